//! The console's security settings (AccountManager): the user-account security policy (maximum
//! inactivity 15-365 days, maximum login attempts with 5 recommended, password validity with 90
//! recommended), two-factor for all users, the lockout options, and the login options. Each
//! form answers an error beside its field, and its result after the redirect.

use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::{AppError, Principal};
use chronid_domain::values::{LockoutMode, LoginOptions, SecurityPolicy, TwoFactorMode};
use maud::{html, Markup};

use super::account::chrome;
use super::console::{caller_with, form_caller, nav, refuse, Needs};
use crate::context::{Ctx, Fields};
use crate::errors::{shown, Shown};
use crate::layout::csrf_field;

/// Which form an error belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Policy,
    Options,
}

/// `GET /console/security`.
pub async fn show(mut ctx: Ctx) -> Response {
    let who = match caller_with(&mut ctx, Needs::Manager).await {
        Ok((who, _)) => who,
        Err(signed_in) => return refuse(ctx, signed_in),
    };
    page(ctx, &who, None, None).await
}

fn number(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The page: the stored settings, or what a refused form was given (`typed`) with its error.
async fn page(
    ctx: Ctx,
    who: &Principal,
    error: Option<(Form, Shown)>,
    typed: Option<&Fields>,
) -> Response {
    let app = ctx.web().app.clone();
    let (policy, options) = match app.security_settings(who, who.account_id).await {
        Ok(settings) => settings,
        Err(error) => {
            let text = shown(&ctx, &error, "q").text;
            return ctx.error_page(super::login::status_of(&error), &text);
        }
    };
    let note = super::notice(&ctx);
    let title = ctx.t("security-title");
    let stored = |name: &str| match name {
        "max_inactivity_days" => number(policy.max_inactivity_days),
        "max_login_attempts" => policy.max_login_attempts.to_string(),
        "password_validity_days" => number(policy.password_validity_days),
        "lock_minutes" => number(policy.lock_minutes),
        _ => String::new(),
    };
    let value = |name: &str| match typed {
        Some(fields) if error.as_ref().is_some_and(|(f, _)| *f == Form::Policy) => {
            fields.text(name).to_string()
        }
        _ => stored(name),
    };
    let error_in = |form: Form| error.as_ref().filter(|(f, _)| *f == form).map(|(_, e)| e);
    let field = |name: &'static str, label: &str, hint: &str| {
        let message = error_in(Form::Policy).and_then(|e| e.at(name));
        let id = format!("f-{name}");
        let error_id = format!("f-{name}-error");
        let hint_id = format!("f-{name}-hint");
        let described = match &message {
            Some(_) => format!("{hint_id} {error_id}"),
            None => hint_id.clone(),
        };
        html! {
            div.field {
                label for=(id) { (ctx.t(label)) }
                p.hint id=(hint_id) { (ctx.t(hint)) }
                @if let Some(m) = &message { p.error id=(error_id) { (m) } }
                input type="number" inputmode="numeric" id=(id) name=(name) value=(value(name))
                    aria-invalid=[message.as_ref().map(|_| "true")] aria-describedby=(described);
            }
        }
    };
    let two_factor = match policy.two_factor {
        TwoFactorMode::Off => "off",
        TwoFactorMode::NewDevice => "new_device",
        TwoFactorMode::EveryLogin => "every_login",
    };
    let lockout = match policy.lockout {
        LockoutMode::Account => "account",
        LockoutMode::UntrustedDevices => "untrusted_devices",
    };
    let radio = |name: &'static str, choice: &'static str, label: &str, current: &str| {
        let id = format!("f-{name}-{choice}");
        html! {
            div.choice {
                input type="radio" id=(id) name=(name) value=(choice) checked[current == choice];
                label for=(id) { (ctx.t(label)) }
            }
        }
    };
    let check = |name: &'static str, label: &str, on: bool| {
        let id = format!("f-{name}");
        html! {
            div.choice {
                input type="checkbox" id=(id) name=(name) value="on" checked[on];
                label for=(id) { (label) }
            }
        }
    };
    let options_error = error_in(Form::Options).map(|e| e.text.clone());
    let policy_general = error_in(Form::Policy).and_then(Shown::general);
    let body: Markup = html! {
        h1 { (title) }
        (nav(&ctx, who, "security"))
        @if let Some(note) = note { p.notice role="status" { (note) } }
        section.card aria-labelledby="policy-heading" {
            h2 id="policy-heading" { (ctx.t("security-policy")) }
            @if let Some(text) = policy_general { p.error role="alert" { (text) } }
            form.settings method="post" action="/console/security/policy" novalidate {
                (csrf_field(&ctx))
                (field("max_inactivity_days", "security-inactivity", "security-inactivity-hint"))
                (field("max_login_attempts", "security-attempts", "security-attempts-hint"))
                (field("password_validity_days", "security-validity", "security-validity-hint"))
                fieldset {
                    legend { (ctx.t("security-two-factor")) }
                    (radio("two_factor", "off", "security-two-factor-off", two_factor))
                    (radio("two_factor", "new_device", "security-two-factor-new-device", two_factor))
                    (radio("two_factor", "every_login", "security-two-factor-every-login", two_factor))
                }
                fieldset {
                    legend { (ctx.t("security-lockout")) }
                    (radio("lockout", "account", "security-lockout-account", lockout))
                    (radio("lockout", "untrusted_devices", "security-lockout-untrusted", lockout))
                }
                (field("lock_minutes", "security-lock-minutes", "security-lock-minutes-hint"))
                button type="submit" { (ctx.t("security-save")) }
            }
        }
        section.card aria-labelledby="options-heading" {
            h2 id="options-heading" { (ctx.t("security-login-options")) }
            @if let Some(text) = &options_error { p.error role="alert" id="f-login_options-error" { (text) } }
            form.settings method="post" action="/console/security/login-options" {
                (csrf_field(&ctx))
                fieldset {
                    legend { (ctx.t("security-login-options-legend")) }
                    (check("password", &ctx.t("security-option-password"), options.password))
                    (check("google", "Google", options.google))
                    (check("github", "GitHub", options.github))
                    (check("sso", "SSO (SAML 2.0)", options.sso))
                }
                button type="submit" { (ctx.t("security-save")) }
            }
        }
    };
    let status = match &error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let chrome = chrome(&ctx, who).await;
    ctx.page_with(status, &title, chrome, body)
}

/// A number field: empty is `None`; anything else must be a whole number.
fn optional(fields: &Fields, name: &'static str) -> Result<Option<i64>, AppError> {
    match fields.text(name) {
        "" => Ok(None),
        raw => raw.parse().map(Some).map_err(|_| {
            AppError::from(chronid_domain::ValidationError::new(
                name,
                "not a whole number",
            ))
        }),
    }
}

/// `POST /console/security/policy`.
pub async fn save_policy(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let two_factor = match fields.text("two_factor") {
        "new_device" => TwoFactorMode::NewDevice,
        "every_login" => TwoFactorMode::EveryLogin,
        _ => TwoFactorMode::Off,
    };
    let lockout = match fields.text("lockout") {
        "untrusted_devices" => LockoutMode::UntrustedDevices,
        _ => LockoutMode::Account,
    };
    let policy = (|| {
        let attempts = optional(&fields, "max_login_attempts")?.ok_or_else(|| {
            AppError::from(chronid_domain::ValidationError::new(
                "max_login_attempts",
                "required",
            ))
        })?;
        SecurityPolicy::new(
            optional(&fields, "max_inactivity_days")?,
            attempts,
            optional(&fields, "password_validity_days")?,
            two_factor,
            optional(&fields, "lock_minutes")?,
            lockout,
        )
        .map_err(AppError::from)
    })();
    let app = ctx.web().app.clone();
    let done = match policy {
        Ok(policy) => {
            app.update_security_policy(&who, who.account_id, policy, &facts)
                .await
        }
        Err(error) => Err(error),
    };
    match done {
        Ok(_) => ctx.redirect("/console/security?m=saved"),
        Err(error) if error.code == "ACC-NO-CHANGE" => ctx.redirect("/console/security?m=saved"),
        Err(error) => {
            let shown = shown(&ctx, &error, "max_login_attempts");
            page(ctx, &who, Some((Form::Policy, shown)), Some(&fields)).await
        }
    }
}

/// `POST /console/security/login-options`.
pub async fn save_options(mut ctx: Ctx, fields: Fields) -> Response {
    let (who, facts) = match form_caller(&mut ctx, &fields, Needs::Manager).await {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let on = |name: &str| fields.text(name) == "on";
    let options = LoginOptions::new(on("password"), on("google"), on("github"), on("sso"))
        .map_err(AppError::from);
    let app = ctx.web().app.clone();
    let done = match options {
        Ok(options) => {
            app.update_login_options(&who, who.account_id, options, &facts)
                .await
        }
        Err(error) => Err(error),
    };
    match done {
        Ok(_) => ctx.redirect("/console/security?m=saved"),
        Err(error) if error.code == "ACC-NO-CHANGE" => ctx.redirect("/console/security?m=saved"),
        Err(error) => {
            let shown = shown(&ctx, &error, "login_options");
            page(ctx, &who, Some((Form::Options, shown)), None).await
        }
    }
}
