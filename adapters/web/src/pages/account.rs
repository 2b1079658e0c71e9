//! `/account`: the signed-in user's profile, and the Security tab of "My profile": the
//! authenticator app (set up, confirm, reset, turn off), where codes are sent, the password,
//! open sessions and trusted devices; logging out.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::{AppError, MyProfile, Principal};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::values::{OneTimeCode, Password, Role, TwoFactorChannel};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::login::channel_name;
use super::{notice, signed_in};
use crate::context::{Ctx, Fields};
use crate::cookies::session_cookie;
use crate::errors::{shown, Shown};
use crate::layout::{csrf_field, Chrome, Input};

/// The signed-in caller with the request's facts acting as them, or the answer that sends the
/// browser to the login page.
pub(crate) async fn caller(ctx: &mut Ctx) -> Result<(Principal, RequestFacts), ()> {
    match signed_in(ctx).await {
        Some((principal, _)) => {
            let mut facts = ctx.facts.clone();
            facts.actor = principal.actor;
            Ok((principal, facts))
        }
        None => {
            // A cookie that no longer opens a session is dropped.
            if ctx.cookie(session_cookie(ctx.web().cookies)).is_some() {
                ctx.clear_cookie(session_cookie(ctx.web().cookies));
            }
            Err(())
        }
    }
}

pub(crate) fn to_login(ctx: Ctx) -> Response {
    ctx.redirect("/login?m=session-ended")
}

pub(crate) async fn chrome(ctx: &Ctx, principal: &Principal) -> Chrome {
    Chrome {
        branding: ctx
            .web()
            .app
            .branding(principal.account_id)
            .await
            .ok()
            .flatten(),
        wide: true,
        signed_in: true,
    }
}

fn tabs(ctx: &Ctx, security: bool, who: &Principal) -> Markup {
    html! {
        nav.tabs aria-label=(ctx.t("account-nav")) {
            ul {
                li { a href="/account" aria-current=[(!security).then_some("page")] { (ctx.t("tab-profile")) } }
                li { a href="/account/security" aria-current=[security.then_some("page")] { (ctx.t("tab-security")) } }
                @if who.roles.can_administer_users() {
                    li { a href="/console/" { (ctx.t("console-title")) } }
                }
            }
        }
    }
}

/// `GET /account`.
pub async fn profile(mut ctx: Ctx) -> Response {
    let Ok((principal, _)) = caller(&mut ctx).await else {
        return to_login(ctx);
    };
    let me = match ctx.web().app.my_profile(&principal).await {
        Ok(me) => me,
        Err(error) => return failed(ctx, &error),
    };
    let none = ctx.t("profile-none");
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| none.clone());
    let name = [me.first_name.clone(), me.last_name.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let roles = me
        .roles
        .iter()
        .map(|r| match r {
            Role::AccountAdmin => "AccountAdmin",
            Role::AccountManager => "AccountManager",
            Role::Member => "Member",
        })
        .collect::<Vec<_>>()
        .join(", ");
    let title = ctx.t("account-title");
    let note = notice(&ctx);
    let body = html! {
        h1 { (title) }
        (tabs(&ctx, false, &principal))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        div.card {
            dl.profile {
                dt { (ctx.t("profile-name")) } dd { (if name.is_empty() { none.clone() } else { name }) }
                dt { (ctx.t("profile-email")) } dd { (or_none(&me.email)) }
                dt { (ctx.t("profile-username")) } dd { (or_none(&me.username)) }
                dt { (ctx.t("profile-phone")) } dd { (or_none(&me.phone)) }
                dt { (ctx.t("profile-language")) } dd { (or_none(&me.language)) }
                dt { (ctx.t("profile-account")) } dd { (me.account_name) }
                dt { (ctx.t("profile-roles")) } dd { (if roles.is_empty() { none.clone() } else { roles }) }
            }
        }
    };
    let chrome = chrome(&ctx, &principal).await;
    ctx.page_with(StatusCode::OK, &title, chrome, body)
}

fn failed(ctx: Ctx, error: &AppError) -> Response {
    let text = shown(&ctx, error, "password").text;
    ctx.error_page(StatusCode::INTERNAL_SERVER_ERROR, &text)
}

/// Which form of the Security tab an error or a new key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Totp,
    Channel,
    Password,
    Identities,
}

/// What the Security tab shows beyond the user's state.
#[derive(Default)]
struct Shows {
    /// A key just drawn (set up or reset): its base32 text and `otpauth://` URI.
    enrolment: Option<(String, String)>,
    error: Option<(Section, Shown)>,
}

/// `GET /account/security`.
pub async fn security(mut ctx: Ctx) -> Response {
    let Ok((principal, _)) = caller(&mut ctx).await else {
        return to_login(ctx);
    };
    security_page(ctx, &principal, StatusCode::OK, Shows::default()).await
}

async fn security_page(
    ctx: Ctx,
    principal: &Principal,
    status: StatusCode,
    shows: Shows,
) -> Response {
    let app = ctx.web().app.clone();
    let (me, sessions, devices, identities) = match (
        app.my_profile(principal).await,
        app.my_sessions(principal).await,
        app.my_devices(principal).await,
        app.my_identities(principal).await,
    ) {
        (Ok(me), Ok(s), Ok(d), Ok(i)) => (me, s, d, i),
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
            return failed(ctx, &e)
        }
    };
    let title = ctx.t("tab-security");
    let note = notice(&ctx);
    let error_in = |section: Section| {
        shows
            .error
            .as_ref()
            .filter(|(s, _)| *s == section)
            .map(|(_, e)| e.clone())
    };
    let when = |t: Option<DateTime<Utc>>| match t {
        Some(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => ctx.t("unknown"),
    };
    let body = html! {
        h1 { (ctx.t("account-title")) }
        (tabs(&ctx, true, principal))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        (totp_section(&ctx, &me, shows.enrolment.as_ref(), error_in(Section::Totp)))
        (channel_section(&ctx, &me, error_in(Section::Channel)))
        (password_section(&ctx, error_in(Section::Password)))
        section.card aria-labelledby="sessions-heading" {
            h2 id="sessions-heading" { (ctx.t("sessions-heading")) }
            table {
                thead { tr {
                    th scope="col" { (ctx.t("session-opened")) }
                    th scope="col" { (ctx.t("session-last-seen")) }
                    th scope="col" { (ctx.t("session-expires")) }
                    th scope="col" { span.skip { (ctx.t("session-revoke")) } }
                } }
                tbody {
                    @for s in &sessions {
                        tr {
                            td { (when(s.opened_at)) }
                            td { (when(s.last_seen_at)) }
                            td { (when(Some(s.expires_at))) }
                            td {
                                @if s.current {
                                    (ctx.t("session-this"))
                                } @else {
                                    form.inline method="post" action=(format!("/account/sessions/{}/end", s.id)) {
                                        (csrf_field(&ctx))
                                        button.secondary type="submit" { (ctx.t("session-revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="devices-heading" {
            h2 id="devices-heading" { (ctx.t("devices-heading")) }
            p.hint { (ctx.t("devices-intro")) }
            @if devices.is_empty() {
                p { (ctx.t("devices-none")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Browser" }
                        th scope="col" { (ctx.t("device-trusted-until")) }
                        th scope="col" { span.skip { (ctx.t("device-revoke")) } }
                    } }
                    tbody {
                        @for d in &devices {
                            tr {
                                td {
                                    (d.label.as_ref().map(|l| l.as_str().to_string())
                                        .or_else(|| d.user_agent.as_ref().map(|u| u.as_str().chars().take(80).collect()))
                                        .unwrap_or_else(|| ctx.t("unknown")))
                                    @if d.current { " (" (ctx.t("device-this")) ")" }
                                }
                                td { (when(d.trusted_until)) }
                                td {
                                    form.inline method="post" action=(format!("/account/devices/{}/forget", d.id)) {
                                        (csrf_field(&ctx))
                                        button.secondary type="submit" { (ctx.t("device-revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        (identities_section(&ctx, &identities, error_in(Section::Identities)))
    };
    let chrome = chrome(&ctx, principal).await;
    ctx.page_with(status, &title, chrome, body)
}

/// The Google, GitHub and SSO identities linked to the user; Google and GitHub ones can be
/// unlinked (SSO identities follow the identity provider).
fn identities_section(
    ctx: &Ctx,
    identities: &[chronid_app::LinkedIdentity],
    error: Option<Shown>,
) -> Markup {
    use chronid_domain::user::IdentityProvider as P;
    let name = |p: P| match p {
        P::Google => "Google",
        P::Github => "GitHub",
        P::Saml => "SSO",
    };
    html! {
        section.card aria-labelledby="identities-heading" {
            h2 id="identities-heading" { (ctx.t("identities-heading")) }
            p.hint { (ctx.t("identities-intro")) }
            @if let Some(text) = error.as_ref().map(|e| e.text.clone()) { p.error role="alert" { (text) } }
            @if identities.is_empty() {
                p { (ctx.t("identities-none")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("identity-provider")) }
                        th scope="col" { (ctx.t("identity-subject")) }
                        th scope="col" { span.skip { (ctx.t("identity-unlink")) } }
                    } }
                    tbody {
                        @for i in identities {
                            tr {
                                td { (name(i.provider)) }
                                td { code { (i.subject) } }
                                td {
                                    @if i.provider != P::Saml {
                                        form.inline method="post" action="/account/identities/unlink" {
                                            (csrf_field(ctx))
                                            input type="hidden" name="provider" value=(chronid_app::provider_name(i.provider));
                                            input type="hidden" name="subject" value=(i.subject);
                                            button.secondary type="submit" { (ctx.t("identity-unlink")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /account/identities/unlink`.
pub async fn unlink_identity(ctx: Ctx, fields: Fields) -> Response {
    use chronid_domain::user::IdentityProvider as P;
    act(
        ctx,
        fields,
        Section::Identities,
        "identity-unlinked",
        |app, who, facts, fields| async move {
            let provider = match fields.text("provider") {
                "google" => P::Google,
                "github" => P::Github,
                _ => {
                    let refused = chronid_domain::user::UserError::IdentityNotLinked;
                    return Err((AppError::from_domain(&refused), "provider"));
                }
            };
            app.unlink_my_identity(&who, provider, fields.text("subject"), &facts)
                .await
                .map(|_| None)
                .map_err(|e| (e, "subject"))
        },
    )
    .await
}

fn code_input(ctx: &Ctx, name: &'static str, error: Option<&Shown>) -> Markup {
    let mut input = Input::new(name, ctx.t("code-field"), "text", "one-time-code");
    input.extra = Some("numeric");
    input.hint = Some(ctx.t("code-hint"));
    input.error = error.and_then(|e| e.at("code"));
    input.render()
}

fn totp_section(
    ctx: &Ctx,
    me: &MyProfile,
    enrolment: Option<&(String, String)>,
    error: Option<Shown>,
) -> Markup {
    // Which forms this state shows; a code error goes beside the code of the form it came
    // from when that form is shown, else above them all.
    let confirming = me.totp_pending || enrolment.is_some();
    let shown_forms: &[&str] = match (confirming, me.totp_enabled) {
        (true, _) => &["confirm"],
        (false, true) => &["reset", "disable"],
        (false, false) => &[],
    };
    let posted = ["confirm", "reset", "disable"]
        .into_iter()
        .find(|f| ctx.path.ends_with(&format!("/totp/{f}")));
    let beside = posted.filter(|f| shown_forms.contains(f));
    let at = |form: &str| error.as_ref().filter(|_| beside == Some(form));
    let general = error
        .as_ref()
        .filter(|e| e.field.is_none() || beside.is_none())
        .map(|e| e.text.clone());
    html! {
        section.card aria-labelledby="totp-heading" {
            h2 id="totp-heading" { (ctx.t("totp-heading")) }
            @if let Some(text) = general { p.error role="alert" { (text) } }
            @if confirming {
                p { (ctx.t("totp-pending")) }
                @if let Some((key, uri)) = enrolment {
                    (crate::layout::enrolment(ctx, key, uri))
                }
                form method="post" action="/account/totp/confirm" novalidate {
                    (csrf_field(ctx))
                    (code_input(ctx, "confirm_code", at("confirm")))
                    button type="submit" { (ctx.t("totp-confirm")) }
                }
                @if !me.totp_enabled {
                    form method="post" action="/account/totp/enrol" {
                        (csrf_field(ctx))
                        button.secondary type="submit" { (ctx.t("totp-enable")) }
                    }
                }
            } @else if me.totp_enabled {
                p { (ctx.t("totp-on")) }
                form method="post" action="/account/totp/reset" novalidate {
                    (csrf_field(ctx))
                    p.hint { (ctx.t("totp-reset-help")) }
                    (code_input(ctx, "reset_code", at("reset")))
                    button type="submit" { (ctx.t("totp-reset")) }
                }
                form method="post" action="/account/totp/disable" novalidate {
                    (csrf_field(ctx))
                    p.hint { (ctx.t("totp-disable-help")) }
                    (code_input(ctx, "disable_code", at("disable")))
                    button.secondary type="submit" { (ctx.t("totp-disable")) }
                }
            } @else {
                p { (ctx.t("totp-off")) }
                form method="post" action="/account/totp/enrol" {
                    (csrf_field(ctx))
                    button type="submit" { (ctx.t("totp-enable")) }
                }
            }
        }
    }
}

fn channel_section(ctx: &Ctx, me: &MyProfile, error: Option<Shown>) -> Markup {
    let channels = [
        (TwoFactorChannel::Email, "channel-email"),
        (TwoFactorChannel::Sms, "channel-sms"),
        (TwoFactorChannel::Voice, "channel-voice"),
        (TwoFactorChannel::Totp, "channel-totp"),
    ];
    let error_text = error.map(|e| e.text);
    html! {
        section.card aria-labelledby="channel-heading" {
            h2 id="channel-heading" { (ctx.t("channel-heading")) }
            @if me.two_factor_required { p.hint { (ctx.t("two-factor-required-note")) } }
            form method="post" action="/account/channel" {
                (csrf_field(ctx))
                fieldset aria-describedby=[error_text.as_ref().map(|_| "channel-error")] {
                    legend { (ctx.t("channel-heading")) }
                    @for (channel, label) in channels {
                        @let id = format!("channel-{}", channel_name(channel));
                        div.choice {
                            input type="radio" name="channel" id=(id) value=(channel_name(channel)) checked[me.two_factor_channel == channel];
                            label for=(id) { (ctx.t(label)) }
                        }
                    }
                }
                @if let Some(text) = &error_text { p.field-error id="channel-error" role="alert" { (text) } }
                button type="submit" { (ctx.t("channel-save")) }
            }
        }
    }
}

fn password_section(ctx: &Ctx, error: Option<Shown>) -> Markup {
    let at = |f: &str| error.as_ref().and_then(|e| e.at(f));
    let mut current = Input::new(
        "current_password",
        ctx.t("field-current-password"),
        "password",
        "current-password",
    );
    current.error = at("current_password");
    let mut first = Input::new(
        "new_password",
        ctx.t("field-new-password"),
        "password",
        "new-password",
    );
    first.hint = Some(ctx.t_with(
        "password-rule",
        &[("min", (Password::MIN_LEN as u64).into())],
    ));
    first.error = at("new_password");
    let mut second = Input::new(
        "new_password_repeat",
        ctx.t("field-new-password-repeat"),
        "password",
        "new-password",
    );
    second.error = at("new_password_repeat");
    let general = error.as_ref().and_then(Shown::general);
    html! {
        section.card aria-labelledby="password-heading" {
            h2 id="password-heading" { (ctx.t("password-heading")) }
            @if let Some(text) = general { p.error role="alert" { (text) } }
            form method="post" action="/account/password" novalidate {
                (csrf_field(ctx))
                (current.render())
                (first.render())
                (second.render())
                button type="submit" { (ctx.t("change-submit")) }
            }
        }
    }
}

/// Runs a Security-tab form: checks the form and the session, then `act`; on success back to
/// the tab with `done` said, else the tab with the error in `section`.
async fn act<F, Fut>(mut ctx: Ctx, fields: Fields, section: Section, done: &str, act: F) -> Response
where
    F: FnOnce(chronid_app::App, Principal, RequestFacts, Fields) -> Fut,
    Fut: std::future::Future<Output = Result<Option<(String, String)>, (AppError, &'static str)>>,
{
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Ok((principal, facts)) = caller(&mut ctx).await else {
        return to_login(ctx);
    };
    let app = ctx.web().app.clone();
    match act(app, principal.clone(), facts, fields).await {
        Ok(None) => ctx.redirect(&format!("/account/security?m={done}")),
        Ok(Some(enrolment)) => {
            let shows = Shows {
                enrolment: Some(enrolment),
                error: None,
            };
            security_page(ctx, &principal, StatusCode::OK, shows).await
        }
        Err((error, field)) => {
            let mut shown = shown(&ctx, &error, field);
            if field == "code"
                && shown.field.is_none()
                && error.kind == chronid_domain::error::ErrorKind::Invalid
            {
                shown.field = Some("code");
            }
            let status = match error.kind {
                chronid_domain::error::ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            let shows = Shows {
                enrolment: None,
                error: Some((section, shown)),
            };
            security_page(ctx, &principal, status, shows).await
        }
    }
}

fn code_of(fields: &Fields, name: &str) -> Result<OneTimeCode, AppError> {
    OneTimeCode::parse(fields.text(name)).map_err(AppError::from)
}

fn keys(e: chronid_crypto::TotpEnrolment) -> (String, String) {
    (
        e.secret.expose_secret().to_string(),
        e.otpauth_uri.expose_secret().to_string(),
    )
}

/// `POST /account/totp/enrol`: draws a key and shows it to scan.
pub async fn enrol_totp(ctx: Ctx, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Totp,
        "saved",
        |app, who, facts, _| async move {
            app.enrol_my_totp(&who, &facts)
                .await
                .map(|e| Some(keys(e)))
                .map_err(|e| (e, "code"))
        },
    )
    .await
}

/// `POST /account/totp/confirm`.
pub async fn confirm_totp(ctx: Ctx, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Totp,
        "totp-enabled",
        |app, who, facts, fields| async move {
            let code = code_of(&fields, "confirm_code").map_err(|e| (e, "code"))?;
            app.confirm_my_totp(&who, code, &facts)
                .await
                .map(|()| None)
                .map_err(|e| (e, "code"))
        },
    )
    .await
}

/// `POST /account/totp/reset`: with the current code, a new key to scan.
pub async fn reset_totp(ctx: Ctx, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Totp,
        "saved",
        |app, who, facts, fields| async move {
            let code = code_of(&fields, "reset_code").map_err(|e| (e, "code"))?;
            app.reset_my_totp(&who, code, &facts)
                .await
                .map(|e| Some(keys(e)))
                .map_err(|e| (e, "code"))
        },
    )
    .await
}

/// `POST /account/totp/disable`.
pub async fn disable_totp(ctx: Ctx, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Totp,
        "totp-disabled",
        |app, who, facts, fields| async move {
            let code = code_of(&fields, "disable_code").map_err(|e| (e, "code"))?;
            app.disable_my_totp(&who, code, &facts)
                .await
                .map(|()| None)
                .map_err(|e| (e, "code"))
        },
    )
    .await
}

/// `POST /account/channel`.
pub async fn channel(ctx: Ctx, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Channel,
        "saved",
        |app, who, facts, fields| async move {
            let channel = match fields.text("channel") {
                "email" => TwoFactorChannel::Email,
                "sms" => TwoFactorChannel::Sms,
                "voice" => TwoFactorChannel::Voice,
                "totp" => TwoFactorChannel::Totp,
                _ => {
                    let e = chronid_domain::ValidationError::new(
                        "channel",
                        "must be email, sms, voice or totp",
                    );
                    return Err((AppError::from(e), "channel"));
                }
            };
            app.change_my_two_factor_channel(&who, channel, &facts)
                .await
                .map(|()| None)
                .map_err(|e| (e, "channel"))
        },
    )
    .await
}

/// `POST /account/password`.
pub async fn change_password(ctx: Ctx, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Password,
        "password-changed",
        |app, who, facts, fields| async move {
            let validation = |field: &'static str, why: &str| {
                (
                    AppError::from(chronid_domain::ValidationError::new(field, why)),
                    field,
                )
            };
            let current = Password::presented(fields.get("current_password"))
                .map_err(|_| validation("current_password", "required"))?;
            if fields.get("new_password") != fields.get("new_password_repeat") {
                return Err(validation("new_password_repeat", "mismatch"));
            }
            let new = Password::parse(fields.get("new_password"))
                .map_err(|e| (AppError::from(e), "new_password"))?;
            app.change_my_password(&who, current, new, &facts)
                .await
                .map(|()| None)
                .map_err(|e| (e, "current_password"))
        },
    )
    .await
}

/// `POST /account/sessions/{id}/end`.
pub async fn end_session(ctx: Ctx, Path(id): Path<Uuid>, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Password,
        "saved",
        move |app, who, facts, _| async move {
            app.revoke_my_session(&who, id, &facts)
                .await
                .map(|()| None)
                .map_err(|e| (e, "password"))
        },
    )
    .await
}

/// `POST /account/devices/{id}/forget`.
pub async fn forget_device(ctx: Ctx, Path(id): Path<Uuid>, fields: Fields) -> Response {
    act(
        ctx,
        fields,
        Section::Password,
        "saved",
        move |app, who, facts, _| async move {
            app.revoke_my_device(&who, id, &facts)
                .await
                .map(|_| None)
                .map_err(|e| (e, "password"))
        },
    )
    .await
}

/// `POST /logout`: ends the session, forgets the cookie and the browser id.
pub async fn logout(mut ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let mut idp_logout = None;
    if let Ok((principal, facts)) = caller(&mut ctx).await {
        // A session opened through SSO ends at the identity provider too.
        idp_logout = match ctx.web().app.sso_logout_url(&principal).await {
            Ok(url) => url,
            Err(error) => {
                tracing::warn!(%error, "the SSO logout URL could not be read");
                None
            }
        };
        if let Err(error) = ctx.web().app.logout(&principal, &facts).await {
            tracing::warn!(%error, "logout failed");
            return failed(ctx, &error);
        }
    }
    ctx.clear_cookie(session_cookie(ctx.web().cookies));
    ctx.renew_browser();
    match idp_logout {
        Some(url) => super::sso::onward(ctx, &url),
        None => ctx.redirect("/login?m=logged-out"),
    }
}
