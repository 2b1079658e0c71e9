//! The pages, one file per flow: logging in (`login`), single sign-on (`sso`), Google and
//! GitHub login (`external`), forgot and reset password (`password`), and the signed-in user's
//! own pages (`account`), and the account console (`console*`).

pub mod account;
pub mod console;
pub mod console_custom;
pub mod console_keys;
pub mod console_security;
pub mod console_sso;
pub mod console_teams;
pub mod console_users;
pub mod external;
pub mod login;
pub mod password;
pub mod sso;

use chronid_app::Principal;

use crate::context::Ctx;
use crate::cookies::session_cookie;

/// The signed-in user of the request, if its session cookie holds a live session.
pub(crate) async fn signed_in(ctx: &Ctx) -> Option<(Principal, String)> {
    let token = ctx.cookie(session_cookie(ctx.web().cookies))?.to_string();
    let principal = ctx.web().app.authenticate_session(&token).await.ok()?;
    Some((principal, token))
}

/// The one-line notices a redirect may ask a page to show (`?m=`), by message id: only these
/// ids, so a link cannot make a page say something of the sender's choosing.
pub(crate) fn notice(ctx: &Ctx) -> Option<String> {
    let asked = ctx
        .query
        .iter()
        .find(|(k, _)| k == "m")
        .map(|(_, v)| v.as_str())?;
    let id = [
        "password-changed",
        "logged-out",
        "saved",
        "totp-enabled",
        "totp-disabled",
        "session-ended",
        "login-expired",
        "code-sent",
        "identity-unlinked",
        "reset-link-sent",
        "user-created",
        "user-session-ended",
    ]
    .into_iter()
    .find(|id| *id == asked)?;
    Some(ctx.t(id))
}

/// What no route takes: a page in the request's language, 404.
pub(crate) async fn not_found(ctx: Ctx) -> axum::response::Response {
    let title = ctx.t("not-found-title");
    let body = maud::html! {
        div.card {
            h1 { (title) }
            p { (ctx.t("not-found-text")) }
            p.links { a href="/login" { (ctx.t("forgot-back")) } }
        }
    };
    ctx.page_status(axum::http::StatusCode::NOT_FOUND, &title, body)
}
