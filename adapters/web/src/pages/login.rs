//! `/login` and the steps a login may need after the password: choose account, the one-time
//! code or authenticator code (with the enrolment an administrator required), and the new
//! password an expired one asks for. Each step's state is the sealed pending-login cookie.

use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::{AppError, LoginOutcome, LoginRequest};
use chronid_domain::user::{CHALLENGE_MAX_ATTEMPTS, CODES_PER_WINDOW};
use chronid_domain::values::{Language, OneTimeCode, Password, TwoFactorChannel};
use maud::{html, Markup};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{notice, signed_in};
use crate::context::{Ctx, Fields};
use crate::cookies::{device_cookie, pending_cookie, session_cookie};
use crate::errors::{shown, Shown};
use crate::i18n::Arg;
use crate::layout::{csrf_field, Input};
use crate::pending::Pending;

/// The largest cookie value sent (browsers keep at most 4096 bytes of name, value and
/// attributes).
const MAX_COOKIE_VALUE: usize = 3900;

/// Seconds a device cookie is kept (the device's trust itself is bounded by the server).
const DEVICE_COOKIE_SECS: u64 = 400 * 24 * 3600;

/// `GET /`: the account page when signed in, else the login page.
pub async fn root(ctx: Ctx) -> Response {
    match signed_in(&ctx).await {
        Some(_) => ctx.redirect("/account"),
        None => ctx.redirect("/login"),
    }
}

/// `GET /login`.
pub async fn show(ctx: Ctx) -> Response {
    if signed_in(&ctx).await.is_some() {
        return ctx.redirect("/account");
    }
    let note = notice(&ctx);
    login_page(ctx, StatusCode::OK, "", None, note)
}

fn login_page(
    ctx: Ctx,
    status: StatusCode,
    login: &str,
    error: Option<Shown>,
    note: Option<String>,
) -> Response {
    let title = ctx.t("login-title");
    let missing = |field: &str| error.as_ref().and_then(|e| e.at(field));
    let mut login_input = Input::new("login", ctx.t("login-field-login"), "text", "username");
    login_input.value = login;
    login_input.error = missing("login");
    login_input.autofocus = true;
    let mut password_input = Input::new(
        "password",
        ctx.t("login-field-password"),
        "password",
        "current-password",
    );
    password_input.error = missing("password");
    let general = error.as_ref().and_then(Shown::general);
    let body = html! {
        div.card {
            @match &ctx.branded {
                Some(b) => h1 { (ctx.t_with("login-heading-account", &[("account", b.name.as_str().into())])) },
                None => h1 { (ctx.t("login-heading")) },
            }
            @if let Some(note) = note { p.notice role="status" { (note) } }
            @if let Some(text) = general { p.error role="alert" { (text) } }
            form method="post" action="/login" novalidate {
                (csrf_field(&ctx))
                (login_input.render())
                (password_input.render())
                button type="submit" { (ctx.t("login-submit")) }
            }
            (super::external::buttons(&ctx))
            p.links {
                a href="/forgot-password" { (ctx.t("login-forgot")) }
                " · "
                a href="/login/sso" { (ctx.t("login-sso-link")) }
            }
        }
    };
    ctx.page_status(status, &title, body)
}

/// `POST /login`.
pub async fn submit(ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let login = fields.text("login").to_string();
    let password = fields.get("password").to_string();
    let required = |field: &'static str| Shown {
        field: Some(field),
        text: ctx.t("field-required"),
    };
    if login.is_empty() {
        let error = required("login");
        return login_page(ctx, StatusCode::BAD_REQUEST, &login, Some(error), None);
    }
    let Ok(presented) = Password::presented(&password) else {
        let error = match password.is_empty() {
            true => required("password"),
            false => Shown {
                field: Some("password"),
                text: ctx.t("field-too-long"),
            },
        };
        return login_page(ctx, StatusCode::BAD_REQUEST, &login, Some(error), None);
    };
    log_in(ctx, login, password, presented, None).await
}

/// Runs the login use case and answers with its next step.
async fn log_in(
    ctx: Ctx,
    login: String,
    password: String,
    presented: Password,
    account_id: Option<Uuid>,
) -> Response {
    // A branded host name logs in to its account only; one whose account could not be read
    // logs in to none.
    if ctx.host_unknown {
        let text = ctx.t("error-internal");
        return ctx.error_page(StatusCode::SERVICE_UNAVAILABLE, &text);
    }
    let account_id = ctx.branded_account().or(account_id);
    let request = LoginRequest {
        login: login.clone(),
        password: presented,
        account_id,
        language: chosen_language(&ctx),
        device_token: ctx
            .cookie(device_cookie(ctx.web().cookies))
            .map(str::to_string),
    };
    let app = ctx.web().app.clone();
    match app.login(&request, &ctx.facts).await {
        Ok(outcome) => next_step(ctx, outcome, Some((login, password))),
        Err(error) => {
            let shown = shown(&ctx, &error, "password");
            login_page(ctx, status_of(&error), &login, Some(shown), None)
        }
    }
}

/// The language the user chose with the selector, which becomes theirs at login.
pub(crate) fn chosen_language(ctx: &Ctx) -> Option<Language> {
    ctx.lang_chosen
        .then(|| Language::parse(ctx.lang.tag()).ok())
        .flatten()
}

pub(crate) fn status_of(error: &AppError) -> StatusCode {
    use chronid_domain::error::ErrorKind;
    match error.kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Where a login goes after a step: signed in, or on to the next step, kept in the sealed
/// pending cookie.
pub(crate) fn next_step(
    mut ctx: Ctx,
    outcome: LoginOutcome,
    credentials: Option<(String, String)>,
) -> Response {
    let pending = match outcome {
        LoginOutcome::Session(session) => return signed_in_now(ctx, &session),
        LoginOutcome::ChooseAccount(accounts) => {
            let Some((login, password)) = credentials else {
                return ctx.redirect("/login?m=login-expired");
            };
            Pending::Choose {
                login,
                password,
                accounts: accounts.into_iter().map(|a| (a.id, a.name)).collect(),
            }
        }
        LoginOutcome::TwoFactorRequired(challenge) => {
            ctx.set_cookie(
                device_cookie(ctx.web().cookies),
                challenge.device_token.expose_secret(),
                Some(DEVICE_COOKIE_SECS),
            );
            Pending::Code {
                challenge_id: challenge.challenge_id,
                channel: channel_name(challenge.channel).to_string(),
                tries_left: CHALLENGE_MAX_ATTEMPTS,
                enrolment: challenge.enrolment.map(|e| {
                    (
                        e.secret.expose_secret().to_string(),
                        e.otpauth_uri.expose_secret().to_string(),
                    )
                }),
            }
        }
        LoginOutcome::PasswordChangeRequired { change_token } => Pending::Change {
            token: change_token.expose_secret().to_string(),
        },
    };
    let to = match &pending {
        Pending::Choose { .. } => "/login/account",
        Pending::Code { .. } => "/login/code",
        Pending::Change { .. } => "/login/password",
        Pending::SsoChoose { .. } => "/login/saml/account",
        Pending::SsoConfirm { .. } => "/login/saml/confirm",
        Pending::ExternalStarted { .. } => "/login",
        Pending::ExternalChoose { .. } => "/login/external/account",
    };
    keep_pending(&mut ctx, pending);
    ctx.redirect(to)
}

/// The session just opened goes into its cookie, and the browser to its account page.
pub(crate) fn signed_in_now(mut ctx: Ctx, session: &chronid_app::NewSession) -> Response {
    // A new browser id from here on: one planted before the login does not outlive it.
    ctx.renew_browser();
    let cookies = ctx.web().cookies;
    let secs = (session.expires_at - ctx.now()).num_seconds().max(1) as u64;
    ctx.set_cookie(
        session_cookie(cookies),
        session.token.expose_secret(),
        Some(secs),
    );
    if let Some(device) = &session.device_token {
        ctx.set_cookie(
            device_cookie(cookies),
            device.expose_secret(),
            Some(DEVICE_COOKIE_SECS),
        );
    }
    ctx.clear_cookie(pending_cookie(cookies));
    ctx.redirect("/account")
}

pub(crate) fn keep_pending(ctx: &mut Ctx, pending: Pending) {
    let name = pending_cookie(ctx.web().cookies);
    match ctx.web().pending.seal(pending, &ctx.browser, ctx.now()) {
        // Browsers drop a cookie over 4096 bytes: said, rather than found as a loop.
        Some(value) if value.len() > MAX_COOKIE_VALUE => {
            tracing::error!(
                bytes = value.len(),
                "a pending login does not fit in a cookie"
            );
            ctx.clear_cookie(name);
        }
        Some(value) => ctx.set_cookie(
            name,
            &value,
            Some(crate::pending::PENDING_LIFETIME.num_seconds() as u64),
        ),
        None => ctx.clear_cookie(name),
    }
}

/// The pending login of this browser, if any.
pub(crate) fn pending(ctx: &Ctx) -> Option<Pending> {
    let value = ctx.cookie(pending_cookie(ctx.web().cookies))?;
    ctx.web().pending.open(value, &ctx.browser, ctx.now())
}

/// Back to the login page, the pending login forgotten, saying `message_id`.
pub(crate) fn restart(mut ctx: Ctx, message_id: &str) -> Response {
    ctx.clear_cookie(pending_cookie(ctx.web().cookies));
    ctx.redirect(&format!("/login?m={message_id}"))
}

pub(crate) fn channel_name(channel: TwoFactorChannel) -> &'static str {
    match channel {
        TwoFactorChannel::Sms => "sms",
        TwoFactorChannel::Voice => "voice",
        TwoFactorChannel::Email => "email",
        TwoFactorChannel::Totp => "totp",
    }
}

/// `GET /login/account`.
pub async fn show_choice(ctx: Ctx) -> Response {
    match pending(&ctx) {
        Some(Pending::Choose { accounts, .. }) => {
            choice_page(ctx, StatusCode::OK, &accounts, None, ChoiceFor::Password)
        }
        _ => restart(ctx, "login-expired"),
    }
}

/// Which login the account is chosen for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChoiceFor {
    Password,
    Sso,
    External,
}

pub(crate) fn choice_page(
    ctx: Ctx,
    status: StatusCode,
    accounts: &[(Uuid, String)],
    error: Option<String>,
    choice_for: ChoiceFor,
) -> Response {
    let title = ctx.t("choose-title");
    let (action, intro) = match choice_for {
        ChoiceFor::Password => ("/login/account", ctx.t("choose-intro")),
        ChoiceFor::Sso => ("/login/saml/account", ctx.t("sso-choose-intro")),
        ChoiceFor::External => ("/login/external/account", ctx.t("external-choose-intro")),
    };
    let body = html! {
        div.card {
            h1 { (title) }
            @if let Some(text) = &error { p.error role="alert" id="f-account-error" { (text) } }
            form method="post" action=(action) {
                (csrf_field(&ctx))
                fieldset {
                    legend { (intro) }
                    @for (i, (id, name)) in accounts.iter().enumerate() {
                        div.choice {
                            input type="radio" name="account" id=(format!("account-{i}")) value=(id) checked[i == 0];
                            label for=(format!("account-{i}")) { (name) }
                        }
                    }
                }
                button type="submit" { (ctx.t("choose-submit")) }
            }
        }
    };
    ctx.page_status(status, &title, body)
}

/// The account the form chose among `accounts`, or the choice page again saying so.
pub(crate) fn chosen_account(
    ctx: Ctx,
    fields: &Fields,
    accounts: &[(Uuid, String)],
    choice_for: ChoiceFor,
) -> Result<(Ctx, Uuid), Box<Response>> {
    let chosen = Uuid::parse_str(fields.text("account"))
        .ok()
        .filter(|id| accounts.iter().any(|(a, _)| a == id));
    match chosen {
        Some(id) => Ok((ctx, id)),
        None => {
            let text = ctx.t("field-required");
            let page = choice_page(
                ctx,
                StatusCode::BAD_REQUEST,
                accounts,
                Some(text),
                choice_for,
            );
            Err(Box::new(page))
        }
    }
}

/// `POST /login/account`.
pub async fn choose(mut ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Some(Pending::Choose {
        login,
        password,
        accounts,
    }) = pending(&ctx)
    else {
        return restart(ctx, "login-expired");
    };
    let account_id = match chosen_account(ctx, &fields, &accounts, ChoiceFor::Password) {
        Ok((ctx_back, id)) => {
            ctx = ctx_back;
            id
        }
        Err(page) => return *page,
    };
    let Ok(presented) = Password::presented(&password) else {
        return restart(ctx, "login-expired");
    };
    log_in(ctx, login, password, presented, Some(account_id)).await
}

/// `GET /login/code`.
pub async fn show_code(ctx: Ctx) -> Response {
    match pending(&ctx) {
        Some(pending @ Pending::Code { .. }) => code_page(ctx, StatusCode::OK, &pending, None),
        _ => restart(ctx, "login-expired"),
    }
}

fn code_page(ctx: Ctx, status: StatusCode, pending: &Pending, error: Option<Shown>) -> Response {
    let Pending::Code {
        channel,
        tries_left,
        enrolment,
        ..
    } = pending
    else {
        return restart(ctx, "login-expired");
    };
    let enrolling = enrolment.is_some();
    let title = ctx.t(if enrolling {
        "enrol-title"
    } else {
        "code-title"
    });
    let intro = match (enrolling, channel.as_str()) {
        (true, _) => ctx.t("enrol-intro"),
        (false, "sms") => ctx.t("code-intro-sms"),
        (false, "voice") => ctx.t("code-intro-voice"),
        (false, "totp") => ctx.t("code-intro-totp"),
        (false, _) => ctx.t("code-intro-email"),
    };
    let mut input = Input::new("code", ctx.t("code-field"), "text", "one-time-code");
    input.extra = Some("numeric");
    input.autofocus = true;
    input.hint = Some(format!(
        "{} {}",
        ctx.t("code-hint"),
        ctx.t_with("code-tries-left", &[("tries", (*tries_left).into())])
    ));
    input.error = error.as_ref().and_then(|e| e.at("code"));
    let general = error.as_ref().and_then(Shown::general);
    let note = notice(&ctx);
    let delivered = matches!(channel.as_str(), "sms" | "voice" | "email") && !enrolling;
    let body = html! {
        div.card {
            h1 { (title) }
            p { (intro) }
            @if let Some((key, uri)) = enrolment {
                (crate::layout::enrolment(&ctx, key, uri))
            }
            @if let Some(note) = note { p.notice role="status" { (note) } }
            @if let Some(text) = general { p.error role="alert" { (text) } }
            form method="post" action="/login/code" novalidate {
                (csrf_field(&ctx))
                (input.render())
                button type="submit" { (ctx.t(if enrolling { "enrol-submit" } else { "code-submit" })) }
            }
            p.hint { (ctx.t("code-trust-note")) }
            @if delivered {
                form.resend method="post" action="/login/code/resend" {
                    (csrf_field(&ctx))
                    p.hint { (ctx.t_with("code-resend-note", &[("tries", Arg::from(CODES_PER_WINDOW as u64))])) }
                    button.secondary type="submit" { (ctx.t("code-resend")) }
                }
            }
        }
    };
    ctx.page_status(status, &title, body)
}

/// `POST /login/code`.
pub async fn answer(mut ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Some(Pending::Code {
        challenge_id,
        channel,
        tries_left,
        enrolment,
    }) = pending(&ctx)
    else {
        return restart(ctx, "login-expired");
    };
    let current = Pending::Code {
        challenge_id,
        channel: channel.clone(),
        tries_left,
        enrolment: enrolment.clone(),
    };
    let code = match OneTimeCode::parse(fields.text("code")) {
        Ok(code) => code,
        Err(_) => {
            let text = ctx.t(if fields.text("code").is_empty() {
                "field-required"
            } else {
                "code-invalid-format"
            });
            return code_page(
                ctx,
                StatusCode::BAD_REQUEST,
                &current,
                Some(Shown {
                    field: Some("code"),
                    text,
                }),
            );
        }
    };
    let device = ctx
        .cookie(device_cookie(ctx.web().cookies))
        .map(str::to_string);
    let app = ctx.web().app.clone();
    match app
        .answer_challenge(challenge_id, code, device, &ctx.facts)
        .await
    {
        Ok(outcome) => next_step(ctx, outcome, None),
        Err(error) if error.tries_left.is_some() => {
            let shown = shown(&ctx, &error, "code");
            let again = Pending::Code {
                challenge_id,
                channel,
                tries_left: error.tries_left.unwrap_or(0),
                enrolment,
            };
            keep_pending(&mut ctx, again.clone());
            code_page(ctx, status_of(&error), &again, Some(shown))
        }
        Err(error) => match error.code {
            "AUTH-CODE-EXHAUSTED" => restart(ctx, "login-expired"),
            "AUTH-CODE-EXPIRED" | "AUTH-CHALLENGE-NOT-FOUND" => restart(ctx, "login-expired"),
            "AUTH-USER-LOCKED" | "AUTH-USER-DISABLED" => {
                ctx.clear_cookie(pending_cookie(ctx.web().cookies));
                let shown = shown(&ctx, &error, "password");
                login_page(ctx, status_of(&error), "", Some(shown), None)
            }
            _ => {
                let shown = shown(&ctx, &error, "code");
                code_page(ctx, status_of(&error), &current, Some(shown))
            }
        },
    }
}

/// `POST /login/code/resend`: a new code on the same channel, within the user's limit.
pub async fn resend(mut ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Some(current @ Pending::Code { challenge_id, .. }) = pending(&ctx) else {
        return restart(ctx, "login-expired");
    };
    let device = ctx
        .cookie(device_cookie(ctx.web().cookies))
        .map(str::to_string);
    let app = ctx.web().app.clone();
    match app.resend_challenge(challenge_id, device, &ctx.facts).await {
        Ok(challenge) => {
            let again = Pending::Code {
                challenge_id: challenge.challenge_id,
                channel: channel_name(challenge.channel).to_string(),
                tries_left: CHALLENGE_MAX_ATTEMPTS,
                enrolment: None,
            };
            keep_pending(&mut ctx, again);
            ctx.redirect("/login/code?m=code-sent")
        }
        Err(error) if error.code == "AUTH-TOO-MANY-CODES" => {
            let text = ctx.t_with(
                "code-too-many",
                &[("secs", error.retry_after.unwrap_or(60).into())],
            );
            code_page(
                ctx,
                StatusCode::TOO_MANY_REQUESTS,
                &current,
                Some(Shown { field: None, text }),
            )
        }
        Err(error) if error.code == "AUTH-CHALLENGE-NOT-FOUND" => restart(ctx, "login-expired"),
        Err(error) => {
            let shown = shown(&ctx, &error, "code");
            code_page(ctx, status_of(&error), &current, Some(shown))
        }
    }
}

/// `GET /login/password`: the new password an expired one asks for.
pub async fn show_change(ctx: Ctx) -> Response {
    match pending(&ctx) {
        Some(Pending::Change { .. }) => {
            new_password_page(ctx, StatusCode::OK, NewPasswordForm::change(), None)
        }
        _ => restart(ctx, "login-expired"),
    }
}

/// `POST /login/password`.
pub async fn change(ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Some(Pending::Change { token }) = pending(&ctx) else {
        return restart(ctx, "login-expired");
    };
    set_new_password(ctx, &fields, &token, NewPasswordForm::change()).await
}

/// The form that sets a new password with a token: the expired password's, or a reset link's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewPasswordForm {
    pub action: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub submit: &'static str,
}

impl NewPasswordForm {
    pub(crate) fn change() -> Self {
        Self {
            action: "/login/password",
            title: "change-title",
            intro: "change-intro",
            submit: "change-submit",
        }
    }

    pub(crate) fn reset() -> Self {
        Self {
            action: "/reset-password",
            title: "reset-title",
            intro: "reset-intro",
            submit: "reset-submit",
        }
    }
}

/// The new-password page; `token` goes in a hidden field (a reset link's token, which is in the
/// page's address already) or nowhere (the expired password's, kept sealed).
pub(crate) fn new_password_page(
    ctx: Ctx,
    status: StatusCode,
    form: NewPasswordForm,
    error: Option<Shown>,
) -> Response {
    new_password_page_with(ctx, status, form, error, None)
}

pub(crate) fn new_password_page_with(
    ctx: Ctx,
    status: StatusCode,
    form: NewPasswordForm,
    error: Option<Shown>,
    token: Option<&str>,
) -> Response {
    let title = ctx.t(form.title);
    let rule = ctx.t_with(
        "password-rule",
        &[("min", (Password::MIN_LEN as u64).into())],
    );
    let mut first = Input::new(
        "new_password",
        ctx.t("field-new-password"),
        "password",
        "new-password",
    );
    first.hint = Some(rule);
    first.autofocus = true;
    first.error = error.as_ref().and_then(|e| e.at("new_password"));
    let mut second = Input::new(
        "new_password_repeat",
        ctx.t("field-new-password-repeat"),
        "password",
        "new-password",
    );
    second.error = error.as_ref().and_then(|e| e.at("new_password_repeat"));
    let general = error.as_ref().and_then(Shown::general);
    let body: Markup = html! {
        div.card {
            h1 { (title) }
            p { (ctx.t(form.intro)) }
            @if let Some(text) = general { p.error role="alert" { (text) } }
            form method="post" action=(form.action) novalidate {
                (csrf_field(&ctx))
                @if let Some(token) = token { input type="hidden" name="token" value=(token); }
                (first.render())
                (second.render())
                button type="submit" { (ctx.t(form.submit)) }
            }
        }
    };
    ctx.page_status(status, &title, body)
}

/// Checks the two new-password fields and sets the password with `token`.
pub(crate) async fn set_new_password(
    mut ctx: Ctx,
    fields: &Fields,
    token: &str,
    form: NewPasswordForm,
) -> Response {
    let hidden = (form.action == "/reset-password").then_some(token);
    let (first, second) = (
        fields.get("new_password"),
        fields.get("new_password_repeat"),
    );
    let problem = if first.is_empty() {
        Some(("new_password", ctx.t("field-required")))
    } else if first != second {
        Some(("new_password_repeat", ctx.t("password-mismatch")))
    } else {
        None
    };
    if let Some((field, text)) = problem {
        let error = Shown {
            field: Some(field),
            text,
        };
        return new_password_page_with(ctx, StatusCode::BAD_REQUEST, form, Some(error), hidden);
    }
    let password = match Password::parse(first) {
        Ok(p) => p,
        Err(_) => {
            let text = ctx.t_with(
                "password-too-short",
                &[("min", (Password::MIN_LEN as u64).into())],
            );
            let error = Shown {
                field: Some("new_password"),
                text,
            };
            return new_password_page_with(ctx, StatusCode::BAD_REQUEST, form, Some(error), hidden);
        }
    };
    let app = ctx.web().app.clone();
    match app.reset_password(token, password, &ctx.facts).await {
        Ok(()) => {
            ctx.clear_cookie(pending_cookie(ctx.web().cookies));
            ctx.redirect("/login?m=password-changed")
        }
        Err(error) => {
            let shown = shown(&ctx, &error, "new_password");
            new_password_page_with(ctx, status_of(&error), form, Some(shown), hidden)
        }
    }
}
