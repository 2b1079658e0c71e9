//! API keys: create (the key is shown once), update, revoke.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chronid_domain::values::{Name, Role, Roles};
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::body::{parse_roles, CreateApiKeyBody, CreatedApiKey, PatchApiKeyBody, Position};
use crate::extract::{ApiJson, ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;

/// Create an API key; the key is in this response only.
#[utoipa::path(post, path = "/v1/accounts/{account}/api-keys", tag = "api-keys",
    params(("account" = Uuid, Path)), request_body = CreateApiKeyBody,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_api_key(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CreateApiKeyBody>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let name = Name::parse("name", &body.name)?;
    let roles = match &body.roles {
        Some(r) => parse_roles(r)?,
        None => Roles::new([Role::AccountAdmin]),
    };
    let key = state
        .app
        .create_api_key(
            &who,
            account,
            name,
            roles,
            body.valid_until,
            &facts.by(&who),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            id: key.id,
            key: key.token.expose_secret().to_string(),
            position: key.position,
        }),
    ))
}

/// Rename an API key or change its expiry.
#[utoipa::path(patch, path = "/v1/accounts/{account}/api-keys/{key}", tag = "api-keys",
    params(("account" = Uuid, Path), ("key" = Uuid, Path)), request_body = PatchApiKeyBody,
    responses((status = 200, body = Position), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn patch_api_key(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, key)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<PatchApiKeyBody>,
) -> Result<Json<Position>, ApiError> {
    let name = body
        .name
        .as_deref()
        .map(|n| Name::parse("name", n))
        .transpose()?;
    let o = state
        .app
        .update_api_key(&who, account, key, name, body.valid_until, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/v1/accounts/{account}/api-keys/{key}", tag = "api-keys",
    params(("account" = Uuid, Path), ("key" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke_api_key(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, key)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .revoke_api_key(&who, account, key, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}
