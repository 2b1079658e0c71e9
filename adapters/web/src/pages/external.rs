//! Google and GitHub login in the browser.
//!
//! - `/auth/{provider}/start` sends the browser to the provider with a fresh `state`, PKCE
//!   verifier and (Google) `nonce`, kept in the sealed pending-login cookie bound to this
//!   browser. The whole login runs on the public URL's host, the one registered at the
//!   provider: the login page of a branded host links there with its account (`?account=`),
//!   which only narrows whom the login may find.
//! - `/auth/{provider}/callback` takes the provider's answer: it must come to the browser that
//!   started it (the pending cookie, used once); `chronid-oauth` checks the answer, and the use
//!   case finds the user and goes on as a password login does (the second factor, the session,
//!   or the account to choose). Every refusal is recorded and shown with its reason's name.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chronid_app::{ExternalError, ExternalSignIn, LoginOutcome};
use chronid_domain::external_login::{ExternalLoginFailure, Refusal};
use chronid_domain::user::IdentityProvider;
use chronid_oauth::{github, google};
use maud::{html, Markup};
use uuid::Uuid;

use super::login::{
    choice_page, chosen_account, keep_pending, next_step, pending, restart, ChoiceFor,
};
use crate::context::{Ctx, Fields};
use crate::cookies::{device_cookie, pending_cookie};
use crate::pending::Pending;

/// The provider a path names, when the deployment has it.
fn configured(ctx: &Ctx, name: &str) -> Option<IdentityProvider> {
    let oauth = &ctx.web().oauth;
    match name {
        "google" if oauth.google.is_some() => Some(IdentityProvider::Google),
        "github" if oauth.github.is_some() => Some(IdentityProvider::Github),
        _ => None,
    }
}

fn display(provider: IdentityProvider) -> &'static str {
    match provider {
        IdentityProvider::Google => "Google",
        IdentityProvider::Github => "GitHub",
        IdentityProvider::Saml => "SSO",
    }
}

/// The "Log in with Google / GitHub" buttons of a login page: the providers configured and,
/// on a branded host, allowed by its account.
pub(crate) fn buttons(ctx: &Ctx) -> Markup {
    let oauth = &ctx.web().oauth;
    let options = ctx.branded.as_ref().map(|b| b.login_options);
    let base = ctx.web().config.public_url.trim_end_matches('/');
    let account = ctx
        .branded_account()
        .map(|a| format!("?account={a}"))
        .unwrap_or_default();
    let shown: Vec<(&str, &str)> = [
        (
            "google",
            "login-with-google",
            oauth.google.is_some() && options.is_none_or(|o| o.google),
        ),
        (
            "github",
            "login-with-github",
            oauth.github.is_some() && options.is_none_or(|o| o.github),
        ),
    ]
    .into_iter()
    .filter(|(_, _, on)| *on)
    .map(|(name, label, _)| (name, label))
    .collect();
    html! {
        @if !shown.is_empty() {
            div.providers {
                @for (name, label) in shown {
                    a.button.secondary href=(format!("{base}/auth/{name}/start{account}")) { (ctx.t(label)) }
                }
            }
        }
    }
}

/// `GET /auth/{provider}/start`.
pub async fn start(mut ctx: Ctx, Path(name): Path<String>) -> Response {
    let Some(provider) = configured(&ctx, &name) else {
        return super::not_found(ctx).await;
    };
    let account = ctx
        .query
        .iter()
        .find(|(k, _)| k == "account")
        .and_then(|(_, v)| Uuid::parse_str(v).ok())
        .or_else(|| ctx.branded_account());
    let oauth = ctx.web().oauth.clone();
    let begun = match provider {
        IdentityProvider::Google => oauth.google.as_ref().map(|g| {
            g.begin()
                .map(|(url, s)| (url, s.state, Some(s.nonce), s.verifier))
        }),
        _ => oauth
            .github
            .as_ref()
            .map(|g| g.begin().map(|(url, s)| (url, s.state, None, s.verifier))),
    };
    let (url, state, nonce, verifier) = match begun {
        Some(Ok(begun)) => begun,
        Some(Err(error)) => return unavailable(ctx, &error),
        None => return super::not_found(ctx).await,
    };
    let attempt_id = ctx.web().app.new_id();
    keep_pending(
        &mut ctx,
        Pending::ExternalStarted {
            provider: name,
            attempt_id,
            state,
            nonce,
            verifier,
            account,
        },
    );
    ctx.redirect(&url)
}

fn unavailable(ctx: Ctx, error: &dyn std::fmt::Display) -> Response {
    tracing::warn!(%error, "a login provider could not be used");
    let text = ctx.t("external-unavailable");
    ctx.error_page(StatusCode::SERVICE_UNAVAILABLE, &text)
}

fn param<'a>(ctx: &'a Ctx, name: &str) -> &'a str {
    ctx.query
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// `GET /auth/{provider}/callback`.
pub async fn callback(mut ctx: Ctx, Path(name): Path<String>) -> Response {
    let Some(provider) = configured(&ctx, &name) else {
        return super::not_found(ctx).await;
    };
    // The pending login is used once, whatever the answer; another step in progress (a
    // password login's code) is left alone, whoever sent the browser here.
    let started = match pending(&ctx) {
        Some(Pending::ExternalStarted {
            provider: p,
            attempt_id,
            state,
            nonce,
            verifier,
            account,
        }) if p == name => Some((attempt_id, state, nonce, verifier, account)),
        _ => None,
    };
    if started.is_some() {
        ctx.clear_cookie(pending_cookie(ctx.web().cookies));
    }
    let app = ctx.web().app.clone();
    // Before a user is found, a refusal is the deployment's: the account a login started with
    // (`?account=`) is anyone's to name.
    let refusal = |reason| Refusal {
        provider,
        reason,
        account_id: None,
        user_id: None,
        subject: None,
        email: None,
    };
    let Some((attempt_id, state, nonce, verifier, account)) = started else {
        let reason = ExternalLoginFailure::State;
        let attempt = app.new_id();
        app.refuse_external_login(attempt, refusal(reason), &ctx.facts)
            .await;
        return refused(ctx, provider, reason);
    };
    let answered_state = param(&ctx, "state").to_string();
    let code = param(&ctx, "code").to_string();
    let oauth = ctx.web().oauth.clone();
    // The person cancelled at the provider, or it refused: said only for this browser's login.
    let cancelled =
        !param(&ctx, "error").is_empty() && chronid_oauth::same_secret(&answered_state, &state);
    let verified = if cancelled {
        Err(Some(ExternalLoginFailure::Cancelled))
    } else {
        match (provider, &oauth.google, &oauth.github) {
            (IdentityProvider::Google, Some(g), _) => {
                let started = google::Started {
                    state,
                    nonce: nonce.unwrap_or_default(),
                    verifier,
                };
                g.finish(&code, &answered_state, &started)
                    .await
                    .map(|id| (id.subject, id.email))
                    .map_err(google_reason)
            }
            (IdentityProvider::Github, _, Some(g)) => {
                let started = github::Started { state, verifier };
                g.finish(&code, &answered_state, &started)
                    .await
                    .map(|id| (id.subject, id.email))
                    .map_err(github_reason)
            }
            _ => return super::not_found(ctx).await,
        }
    };
    let (subject, email) = match verified {
        Ok(identity) => identity,
        Err(Some(reason)) => {
            app.refuse_external_login(attempt_id, refusal(reason), &ctx.facts)
                .await;
            return refused(ctx, provider, reason);
        }
        Err(None) => return unavailable(ctx, &"the provider could not be reached"),
    };
    let sign_in = ExternalSignIn {
        attempt_id,
        provider,
        subject,
        email,
        account_id: account,
        language: super::login::chosen_language(&ctx),
        device_token: ctx
            .cookie(device_cookie(ctx.web().cookies))
            .map(str::to_string),
    };
    go_on(ctx, sign_in).await
}

/// The refusal a Google answer earns (`None`: the provider could not be reached).
fn google_reason(refusal: google::Refusal) -> Option<ExternalLoginFailure> {
    use google::Refusal as R;
    use ExternalLoginFailure as F;
    Some(match refusal {
        R::State => F::State,
        R::Code(_) => F::Code,
        R::NoIdToken => F::NoIdToken,
        R::Signature | R::UnknownKey => F::Signature,
        R::Audience => F::Audience,
        R::Issuer => F::Issuer,
        R::Expired => F::Expired,
        R::Nonce => F::Nonce,
        R::Claims(_) => F::Claims,
        R::EmailNotVerified => F::EmailNotVerified,
        R::Unreachable(_) => return None,
    })
}

fn github_reason(refusal: github::Refusal) -> Option<ExternalLoginFailure> {
    use github::Refusal as R;
    use ExternalLoginFailure as F;
    Some(match refusal {
        R::State => F::State,
        R::Code(_) => F::Code,
        R::NoVerifiedEmail => F::EmailNotVerified,
        R::Api(_) => F::ProviderError,
        R::Unreachable(_) => return None,
    })
}

/// Runs the use case with a verified identity and answers with the login's next step.
async fn go_on(mut ctx: Ctx, sign_in: ExternalSignIn) -> Response {
    let app = ctx.web().app.clone();
    match app.external_login(&sign_in, &ctx.facts).await {
        Ok(LoginOutcome::ChooseAccount(accounts)) => {
            let pending = Pending::ExternalChoose {
                provider: chronid_app::provider_name(sign_in.provider).to_string(),
                attempt_id: sign_in.attempt_id,
                subject: sign_in.subject,
                email: sign_in.email,
                accounts: accounts.into_iter().map(|a| (a.id, a.name)).collect(),
            };
            keep_pending(&mut ctx, pending);
            ctx.redirect("/login/external/account")
        }
        Ok(outcome) => next_step(ctx, outcome, None),
        Err(ExternalError::Refused(reason)) => refused(ctx, sign_in.provider, reason),
        Err(ExternalError::Failed(error)) => {
            let shown = crate::errors::shown(&ctx, &error, "login");
            let status = super::login::status_of(&error);
            let title = ctx.t("external-refused-title");
            let body = html! {
                div.card {
                    h1 { (title) }
                    p.error role="alert" { (shown.text) }
                    p.links { a href="/login" { (ctx.t("forgot-back")) } }
                }
            };
            ctx.page_status(status, &title, body)
        }
    }
}

/// The page of a refused login: what happened in the person's words, and the reason's stable
/// name for their administrator (the audit log has the same).
fn refused(ctx: Ctx, provider: IdentityProvider, reason: ExternalLoginFailure) -> Response {
    use ExternalLoginFailure as F;
    let (id, status) = match reason {
        F::State | F::Code | F::Nonce | F::Expired => {
            ("external-refused-stale", StatusCode::BAD_REQUEST)
        }
        F::EmailNotVerified => ("external-refused-unverified", StatusCode::FORBIDDEN),
        F::NoAccount => ("external-refused-no-account", StatusCode::FORBIDDEN),
        F::ProviderNotAllowed => ("external-refused-not-allowed", StatusCode::FORBIDDEN),
        F::UserLocked | F::UserDisabled => ("external-refused-user", StatusCode::FORBIDDEN),
        F::Cancelled => ("external-refused-cancelled", StatusCode::BAD_REQUEST),
        F::NoIdToken | F::Signature | F::Audience | F::Issuer | F::Claims | F::ProviderError => {
            ("external-refused-response", StatusCode::BAD_REQUEST)
        }
    };
    let title = ctx.t("external-refused-title");
    let named = [("provider", display(provider).into())];
    let reference = ctx.t_with("sso-refused-reference", &[("code", reason.as_str().into())]);
    let body = html! {
        div.card {
            h1 { (title) }
            p.error role="alert" { (ctx.t_with(id, &named)) }
            p.hint { (reference) }
            p.links { a href="/login" { (ctx.t("forgot-back")) } }
        }
    };
    ctx.page_status(status, &title, body)
}

/// `GET /login/external/account`.
pub async fn show_choice(ctx: Ctx) -> Response {
    match pending(&ctx) {
        Some(Pending::ExternalChoose { accounts, .. }) => {
            choice_page(ctx, StatusCode::OK, &accounts, None, ChoiceFor::External)
        }
        _ => restart(ctx, "login-expired"),
    }
}

/// `POST /login/external/account`.
pub async fn choose(mut ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let Some(Pending::ExternalChoose {
        provider,
        attempt_id,
        subject,
        email,
        accounts,
    }) = pending(&ctx)
    else {
        return restart(ctx, "login-expired");
    };
    let Some(provider) = configured(&ctx, &provider) else {
        return restart(ctx, "login-expired");
    };
    let account_id = match chosen_account(ctx, &fields, &accounts, ChoiceFor::External) {
        Ok((back, id)) => {
            ctx = back;
            id
        }
        Err(page) => return *page,
    };
    ctx.clear_cookie(pending_cookie(ctx.web().cookies));
    let sign_in = ExternalSignIn {
        attempt_id,
        provider,
        subject,
        email,
        account_id: Some(account_id),
        language: super::login::chosen_language(&ctx),
        device_token: ctx
            .cookie(device_cookie(ctx.web().cookies))
            .map(str::to_string),
    };
    go_on(ctx, sign_in).await
}
