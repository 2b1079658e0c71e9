//! Single sign-on in the browser.
//!
//! - `/login/saml/{slug}/`, the SP initiation URL, sends the browser to the configuration's IdP
//!   with an AuthnRequest, remembered with this browser.
//! - `POST /saml/acs/{path}`, the assertion consumer, takes the IdP's Response. It comes as a
//!   cross-site POST without the browser's cookies, so it sets none either: it checks the
//!   Response and sends the browser on to `/login/saml/finish` with a one-time ticket.
//! - `/login/saml/finish` binds the ticket to this browser, which must be the one the request
//!   was sent from, and goes on: the session, or choosing the account (shared SSO), or the
//!   group changes to confirm ("I understand"), each kept in the sealed pending-login cookie.
//! - `/login/sso` is "Login with SSO": the email finds the SP initiation URL; when it finds
//!   none or several, the user types the SP initiation URL.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::{SsoError, SsoOutcome};
use chronid_domain::sso_config::SsoLoginFailure;
use chronid_domain::values::{AcsPath, Email, SpSlug};
use chronid_saml::authn::{redirect_url, request_id, AuthnParams};
use maud::html;
use uuid::Uuid;

use super::login::{
    choice_page, chosen_account, keep_pending, pending, restart, signed_in_now, ChoiceFor,
};
use crate::context::{Ctx, Fields};
use crate::errors::Shown;
use crate::layout::{csrf_field, Input};
use crate::pending::Pending;

/// A page that sends the browser on to `url` by itself (a `Refresh` header) with a link for
/// when it does not. A form's answer cannot redirect to another site: the pages' policy
/// (`form-action 'self'`) holds for every redirect a form submission follows, and the IdP is
/// another site; a refresh is a navigation of its own.
pub(crate) fn onward(ctx: Ctx, url: &str) -> Response {
    let title = ctx.t("sso-title");
    let body = html! {
        div.card {
            h1 { (title) }
            p.links { a href=(url) { (ctx.t("sso-onward")) } }
        }
    };
    let mut response = ctx.page_status(StatusCode::OK, &title, body);
    if let Ok(value) = axum::http::HeaderValue::from_str(&format!("0;url={url}")) {
        response.headers_mut().insert("refresh", value);
    }
    response
}

/// `GET /login/saml/{slug}`: to the same with its trailing slash (the SP entity ID's form).
pub async fn start_without_slash(ctx: Ctx, Path(slug): Path<String>) -> Response {
    match SpSlug::parse(&slug) {
        Ok(slug) => ctx.redirect(&format!("/login/saml/{}/", slug.as_str())),
        Err(_) => super::not_found(ctx).await,
    }
}

fn unavailable(ctx: Ctx, what: &str, error: &dyn std::fmt::Display) -> Response {
    tracing::warn!(%error, "{what}");
    let text = ctx.t("error-internal");
    ctx.error_page(StatusCode::SERVICE_UNAVAILABLE, &text)
}

/// `GET /login/saml/{slug}/`: the SP initiation URL.
pub async fn start(ctx: Ctx, Path(slug): Path<String>) -> Response {
    let Ok(slug) = SpSlug::parse(&slug) else {
        return super::not_found(ctx).await;
    };
    let app = ctx.web().app.clone();
    let view = match app.sso_by_slug(&slug).await {
        Ok(Some(view)) => view,
        Ok(None) => return super::not_found(ctx).await,
        Err(error) => return unavailable(ctx, "an SSO configuration could not be read", &error),
    };
    // Sent here by another site (a link in a mail, or an attacker's page whose IdP would
    // answer at once and log this browser in as the attacker's user): the person confirms
    // first. Their click comes from this page, same-origin. Typed or bookmarked URLs say
    // `none`; a client that sends no such header goes on.
    let from_elsewhere = ctx
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site" || site == "same-site");
    if from_elsewhere {
        let name = match app.branding(view.owner).await {
            Ok(Some(b)) => b.name.as_str().to_string(),
            _ => String::new(),
        };
        return confirm_start(ctx, &slug, &name);
    }
    let id = request_id(rand::random());
    let digest = ctx.web().csrf.browser_digest(&ctx.browser);
    if let Err(error) = app.remember_sso_request(&id, view.id, &digest).await {
        return unavailable(ctx, "an SSO request could not be remembered", &error);
    }
    let params = AuthnParams {
        request_id: &id,
        sp_entity_id: &view.sp_entity_id,
        acs_url: &view.acs_url,
        idp_sso_url: view.settings.idp_sso_url.as_str(),
        name_id_source: view.settings.name_id_source,
        now: ctx.now(),
        relay_state: "",
    };
    match redirect_url(&params) {
        Ok(url) => ctx.redirect(&url),
        Err(error) => {
            tracing::warn!(%error, "an AuthnRequest could not be written");
            let text = ctx.t("error-internal");
            ctx.error_page(StatusCode::INTERNAL_SERVER_ERROR, &text)
        }
    }
}

/// The page that asks a person who came from another site whether to log in.
fn confirm_start(ctx: Ctx, slug: &SpSlug, account: &str) -> Response {
    let title = ctx.t("sso-start-title");
    let intro = ctx.t_with(
        "sso-start-intro",
        &[("account", account.to_string().into())],
    );
    let to = format!("/login/saml/{}/", slug.as_str());
    let body = html! {
        div.card {
            h1 { (title) }
            p { (intro) }
            p { a.button href=(to) { (ctx.t("sso-start-continue")) } }
            p.links { a href="/login" { (ctx.t("forgot-back")) } }
        }
    };
    ctx.page_status(StatusCode::OK, &title, body)
}

/// `POST /saml/acs/{path}`: the assertion consumer (HTTP-POST binding).
pub async fn acs(mut ctx: Ctx, Path(path): Path<String>, fields: Fields) -> Response {
    ctx.set_no_cookies();
    if let Some(secs) = ctx.throttled {
        let text = ctx.t_with("error-rate", &[("secs", secs.into())]);
        return ctx.error_page(StatusCode::TOO_MANY_REQUESTS, &text);
    }
    if AcsPath::parse(&path).is_err() {
        return super::not_found(ctx).await;
    }
    let app = ctx.web().app.clone();
    let view = match app.sso_by_acs(&path).await {
        Ok(Some(view)) => view,
        Ok(None) => return super::not_found(ctx).await,
        Err(error) => return unavailable(ctx, "an SSO configuration could not be read", &error),
    };
    let encoded = fields.get("SAMLResponse").to_string();
    match chronid_saml::consumer::consume(&app, &view, encoded, &ctx.facts).await {
        Ok(ticket) => ctx.redirect(&format!("/login/saml/finish?ticket={ticket}")),
        Err(error) => refused(ctx, error),
    }
}

/// `GET /login/saml/finish?ticket=`: the login goes on in the browser that asked for it.
pub async fn finish(ctx: Ctx) -> Response {
    let ticket = ctx
        .query
        .iter()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if ticket.is_empty() || ticket.len() > 128 {
        return refused(ctx, SsoError::Refused(SsoLoginFailure::Replayed));
    }
    let digest = ctx.web().csrf.browser_digest(&ctx.browser);
    let app = ctx.web().app.clone();
    let outcome = app
        .sso_login(&ticket, &digest, None, false, &ctx.facts)
        .await;
    next(ctx, ticket, outcome)
}

/// Where an SSO login goes after a step.
fn next(mut ctx: Ctx, ticket: String, outcome: Result<SsoOutcome, SsoError>) -> Response {
    let pending = match outcome {
        Ok(SsoOutcome::Session(session)) => return signed_in_now(ctx, &session),
        Ok(SsoOutcome::ChooseAccount(accounts)) => Pending::SsoChoose {
            ticket,
            accounts: accounts.into_iter().map(|a| (a.id, a.name)).collect(),
        },
        Ok(SsoOutcome::GroupsChanged {
            account_id,
            account_name,
            added,
            removed,
        }) => Pending::SsoConfirm {
            ticket,
            account_id,
            account_name,
            added,
            removed,
        },
        Err(error) => return refused(ctx, error),
    };
    let to = match &pending {
        Pending::SsoChoose { .. } => "/login/saml/account",
        _ => "/login/saml/confirm",
    };
    keep_pending(&mut ctx, pending);
    ctx.redirect(to)
}

/// The page of a refused SSO login: what happened in the user's words, and the reason's
/// stable name for their administrator (the audit log has the same).
fn refused(ctx: Ctx, error: SsoError) -> Response {
    let reason = match error {
        SsoError::Refused(reason) => reason,
        SsoError::App(error) => {
            return unavailable(ctx, "an SSO login could not go on", &error);
        }
    };
    use SsoLoginFailure as F;
    let (id, status) = match reason {
        F::Expired | F::UnknownRequest | F::Replayed | F::OtherBrowser | F::NotYetValid => {
            ("sso-refused-stale", StatusCode::BAD_REQUEST)
        }
        F::UnknownUser => ("sso-refused-unknown-user", StatusCode::FORBIDDEN),
        F::MethodNotAllowed => ("sso-refused-not-allowed", StatusCode::FORBIDDEN),
        F::UserLocked | F::UserDisabled => ("sso-refused-user", StatusCode::FORBIDDEN),
        F::IdpStatus => ("sso-refused-idp", StatusCode::FORBIDDEN),
        _ => ("sso-refused-response", StatusCode::BAD_REQUEST),
    };
    let title = ctx.t("sso-refused-title");
    let reference = ctx.t_with("sso-refused-reference", &[("code", reason.as_str().into())]);
    let body = html! {
        div.card {
            h1 { (title) }
            p.error role="alert" { (ctx.t(id)) }
            p.hint { (reference) }
            p.links { a href="/login" { (ctx.t("forgot-back")) } }
        }
    };
    ctx.page_status(status, &title, body)
}

/// `GET /login/saml/account`.
pub async fn show_choice(ctx: Ctx) -> Response {
    match pending(&ctx) {
        Some(Pending::SsoChoose { accounts, .. }) => {
            choice_page(ctx, StatusCode::OK, &accounts, None, ChoiceFor::Sso)
        }
        _ => restart(ctx, "login-expired"),
    }
}

/// `POST /login/saml/account`.
pub async fn choose(ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Some(Pending::SsoChoose { ticket, accounts }) = pending(&ctx) else {
        return restart(ctx, "login-expired");
    };
    match chosen_account(ctx, &fields, &accounts, ChoiceFor::Sso) {
        Ok((ctx, account_id)) => go_on(ctx, ticket, account_id, false).await,
        Err(page) => *page,
    }
}

async fn go_on(ctx: Ctx, ticket: String, account_id: Uuid, confirmed: bool) -> Response {
    let digest = ctx.web().csrf.browser_digest(&ctx.browser);
    let app = ctx.web().app.clone();
    let outcome = app
        .sso_login(&ticket, &digest, Some(account_id), confirmed, &ctx.facts)
        .await;
    next(ctx, ticket, outcome)
}

/// `GET /login/saml/confirm`: the "I understand" page of group sync.
pub async fn show_confirm(ctx: Ctx) -> Response {
    let Some(Pending::SsoConfirm {
        account_name,
        added,
        removed,
        ..
    }) = pending(&ctx)
    else {
        return restart(ctx, "login-expired");
    };
    let title = ctx.t("sso-groups-title");
    let intro = ctx.t_with("sso-groups-intro", &[("account", account_name.into())]);
    let body = html! {
        div.card {
            h1 { (title) }
            p { (intro) }
            @if !added.is_empty() {
                h2 { (ctx.t("sso-groups-added")) }
                ul.teams-added { @for team in &added { li { (team) } } }
            }
            @if !removed.is_empty() {
                h2 { (ctx.t("sso-groups-removed")) }
                ul.teams-removed { @for team in &removed { li { (team) } } }
            }
            form method="post" action="/login/saml/confirm" {
                (csrf_field(&ctx))
                button type="submit" { (ctx.t("sso-groups-submit")) }
            }
        }
    };
    ctx.page_status(StatusCode::OK, &title, body)
}

/// `POST /login/saml/confirm`.
pub async fn confirm(ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Some(Pending::SsoConfirm {
        ticket, account_id, ..
    }) = pending(&ctx)
    else {
        return restart(ctx, "login-expired");
    };
    go_on(ctx, ticket, account_id, true).await
}

/// `GET /login/sso`: "Login with SSO".
pub async fn show_entry(ctx: Ctx) -> Response {
    entry_page(ctx, StatusCode::OK, ("", ""), false, None)
}

fn entry_page(
    ctx: Ctx,
    status: StatusCode,
    (email, sp_url): (&str, &str),
    ask_url: bool,
    error: Option<Shown>,
) -> Response {
    let title = ctx.t("sso-title");
    let at = |field: &str| error.as_ref().and_then(|e| e.at(field));
    let mut email_input = Input::new("email", ctx.t("sso-field-email"), "email", "email");
    email_input.value = email;
    email_input.error = at("email");
    email_input.autofocus = !ask_url;
    let example = format!(
        "{}/login/saml/contoso/",
        ctx.web().config.public_url.trim_end_matches('/')
    );
    let mut url_input = Input::new("sp_url", ctx.t("sso-field-sp-url"), "url", "url");
    url_input.value = sp_url;
    url_input.error = at("sp_url");
    url_input.hint = Some(ctx.t_with("sso-sp-url-intro", &[("example", example.into())]));
    url_input.autofocus = ask_url;
    let body = html! {
        div.card {
            h1 { (title) }
            p { (ctx.t("sso-intro")) }
            form method="post" action="/login/sso" novalidate {
                (csrf_field(&ctx))
                (email_input.render())
                @if ask_url { (url_input.render()) }
                button type="submit" { (ctx.t("sso-submit")) }
            }
            p.links { a href="/login" { (ctx.t("forgot-back")) } }
        }
    };
    ctx.page_status(status, &title, body)
}

/// `POST /login/sso`: the email's one SP initiation URL, or the one the user typed.
pub async fn entry(ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let email_text = fields.text("email").to_string();
    let typed = fields.text("sp_url").to_string();
    if !typed.is_empty() {
        let slug = typed
            .split_once("/login/saml/")
            .and_then(|(_, rest)| SpSlug::parse(rest.split(['/', '?', '#']).next()?).ok());
        let app = ctx.web().app.clone();
        let found = match &slug {
            Some(slug) => match app.sso_by_slug(slug).await {
                Ok(found) => found,
                Err(error) => {
                    return unavailable(ctx, "an SSO configuration could not be read", &error)
                }
            },
            None => None,
        };
        return match (found, slug) {
            (Some(_), Some(slug)) => onward(ctx, &format!("/login/saml/{}/", slug.as_str())),
            _ => {
                let error = Shown {
                    field: Some("sp_url"),
                    text: ctx.t("sso-sp-url-invalid"),
                };
                let typed = (email_text.as_str(), typed.as_str());
                entry_page(ctx, StatusCode::BAD_REQUEST, typed, true, Some(error))
            }
        };
    }
    let Ok(email) = Email::parse(&email_text) else {
        let text = match email_text.is_empty() {
            true => ctx.t("field-required"),
            false => ctx.t("sso-email-invalid"),
        };
        let error = Shown {
            field: Some("email"),
            text,
        };
        let typed = (email_text.as_str(), "");
        return entry_page(ctx, StatusCode::BAD_REQUEST, typed, false, Some(error));
    };
    let app = ctx.web().app.clone();
    match app.sso_entry_points(&email, ctx.branded_account()).await {
        Ok(urls) if urls.len() == 1 => onward(ctx, &urls[0]),
        // None known for the email (a user created at the first login has no email here yet)
        // or several (the seed's jack@jack.com): the SP initiation URL decides.
        Ok(_) => entry_page(ctx, StatusCode::OK, (&email_text, ""), true, None),
        Err(error) => unavailable(ctx, "SSO configurations could not be read", &error),
    }
}
