//! User administration: create, change profile and roles, email, status, two-factor requirement.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chronid_domain::values::Email;
use uuid::Uuid;

use crate::body::{
    ChangeEmailBody, CreateUserBody, Created, PatchUserBody, Position, TwoFactorBody,
};
use crate::extract::{ApiJson, ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;
use chronid_app::StatusChange;

/// Create a user (with a password: active; without: invited).
#[utoipa::path(post, path = "/v1/accounts/{account}/users", tag = "users",
    params(("account" = Uuid, Path)), request_body = CreateUserBody,
    responses((status = 201, body = Created), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_user(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let user = body.parse()?;
    let o = state
        .app
        .register_user(&who, account, user, &facts.by(&who))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: o.id,
            position: o.position,
        }),
    ))
}

/// Change names, phone, language or roles; `null` clears a field.
#[utoipa::path(patch, path = "/v1/accounts/{account}/users/{id}", tag = "users",
    params(("account" = Uuid, Path), ("id" = Uuid, Path)), request_body = PatchUserBody,
    responses((status = 200, body = Position), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn patch_user(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<PatchUserBody>,
) -> Result<Json<Position>, ApiError> {
    let patch = body.parse()?;
    let o = state
        .app
        .update_user(&who, account, id, patch, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Change a user's email address (unique per account, case-insensitive).
#[utoipa::path(put, path = "/v1/accounts/{account}/users/{id}/email", tag = "users",
    params(("account" = Uuid, Path), ("id" = Uuid, Path)), request_body = ChangeEmailBody,
    responses((status = 200, body = Position), (status = 400, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_email(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<ChangeEmailBody>,
) -> Result<Json<Position>, ApiError> {
    let email = Email::parse(&body.email)?;
    let o = state
        .app
        .change_email(&who, account, id, email, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

macro_rules! status_route {
    ($name:ident, $path:literal, $change:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "users",
            params(("account" = Uuid, Path), ("id" = Uuid, Path)),
            responses((status = 200, body = Position), (status = 404, body = Problem), (status = 409, body = Problem)),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<HttpState>,
            Caller(who): Caller,
            facts: Facts,
            ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
        ) -> Result<Json<Position>, ApiError> {
            let o = state.app.change_user_status(&who, account, id, $change, &facts.by(&who)).await?;
            Ok(Json(Position { position: o.position }))
        }
    };
}

status_route!(
    disable_user,
    "/v1/accounts/{account}/users/{id}/disable",
    StatusChange::Disable,
    "Disable a user."
);
status_route!(
    enable_user,
    "/v1/accounts/{account}/users/{id}/enable",
    StatusChange::Enable,
    "Enable a disabled user."
);
status_route!(
    lock_user,
    "/v1/accounts/{account}/users/{id}/lock",
    StatusChange::Lock,
    "Lock a user."
);
status_route!(
    unlock_user,
    "/v1/accounts/{account}/users/{id}/unlock",
    StatusChange::Unlock,
    "Unlock a user and reset the failed-login count."
);

/// Require (or stop requiring) two-factor authentication of this user.
#[utoipa::path(put, path = "/v1/accounts/{account}/users/{id}/two-factor", tag = "users",
    params(("account" = Uuid, Path), ("id" = Uuid, Path)), request_body = TwoFactorBody,
    responses((status = 200, body = Position), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_two_factor(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<TwoFactorBody>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .require_two_factor(&who, account, id, body.enabled, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}
