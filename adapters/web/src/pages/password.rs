//! "Forgot your password?" and the page the emailed reset link opens.

use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::login::{new_password_page_with, set_new_password, NewPasswordForm};
use crate::context::{Ctx, Fields};
use crate::layout::{csrf_field, Input};

/// `GET /forgot-password`.
pub async fn show_forgot(ctx: Ctx) -> Response {
    forgot_page(ctx, StatusCode::OK, None, false)
}

fn forgot_page(ctx: Ctx, status: StatusCode, error: Option<String>, sent: bool) -> Response {
    let title = ctx.t("forgot-title");
    let mut input = Input::new("login", ctx.t("login-field-login"), "text", "username");
    input.autofocus = true;
    input.error = error;
    let body = html! {
        div.card {
            h1 { (title) }
            @if sent {
                p.notice role="status" { (ctx.t("forgot-sent")) }
            } @else {
                p { (ctx.t("forgot-intro")) }
                form method="post" action="/forgot-password" novalidate {
                    (csrf_field(&ctx))
                    (input.render())
                    button type="submit" { (ctx.t("forgot-submit")) }
                }
            }
            p.links { a href="/login" { (ctx.t("forgot-back")) } }
        }
    };
    ctx.page_status(status, &title, body)
}

/// `POST /forgot-password`: the same answer whether or not the login exists (the use case
/// sends a link only to a user it finds, and takes as long either way).
pub async fn forgot(ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    if ctx.host_unknown {
        let text = ctx.t("error-internal");
        return ctx.error_page(StatusCode::SERVICE_UNAVAILABLE, &text);
    }
    let login = fields.text("login");
    if login.is_empty() {
        let text = ctx.t("field-required");
        return forgot_page(ctx, StatusCode::BAD_REQUEST, Some(text), false);
    }
    if login.chars().count() > 320 {
        let text = ctx.t("field-too-long");
        return forgot_page(ctx, StatusCode::BAD_REQUEST, Some(text), false);
    }
    ctx.web()
        .app
        .forgot_password(login.to_string(), ctx.branded_account(), ctx.facts.clone());
    forgot_page(ctx, StatusCode::OK, None, true)
}

/// `GET /reset-password?token=…`: the page the emailed link opens.
pub async fn show_reset(ctx: Ctx) -> Response {
    let token = ctx
        .query
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if token.is_empty() {
        // A link without its token: nothing to fill in, only where to ask for a new one.
        let title = ctx.t("reset-title");
        let body = html! {
            div.card {
                h1 { (title) }
                p.error role="alert" { (ctx.t("reset-invalid")) }
                p.links { a href="/forgot-password" { (ctx.t("forgot-title")) } }
            }
        };
        return ctx.page_status(StatusCode::BAD_REQUEST, &title, body);
    }
    new_password_page_with(
        ctx,
        StatusCode::OK,
        NewPasswordForm::reset(),
        None,
        Some(&token),
    )
}

/// `POST /reset-password`.
pub async fn reset(ctx: Ctx, fields: Fields) -> Response {
    if let Err(refused) = ctx.check_form(&fields) {
        return *refused;
    }
    let token = fields.text("token").to_string();
    set_new_password(ctx, &fields, &token, NewPasswordForm::reset()).await
}
