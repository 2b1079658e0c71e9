//! Trusted devices: the caller's, and an administrator ending a user's.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::body::Position;
use crate::extract::{ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;
use chronid_app::DeviceInfo;

/// A device the user trusted by passing a second factor on it: logins from it skip the
/// `new_device` challenge until `trusted_until`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceBody {
    pub id: Uuid,
    pub label: Option<String>,
    pub user_agent: Option<String>,
    pub first_seen_at: Option<DateTime<Utc>>,
    pub trusted_at: Option<DateTime<Utc>>,
    pub trusted_until: Option<DateTime<Utc>>,
    /// The device of the session this request came with.
    pub current: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeviceList {
    pub devices: Vec<DeviceBody>,
}

impl From<DeviceInfo> for DeviceBody {
    fn from(d: DeviceInfo) -> Self {
        Self {
            id: d.id,
            label: d.label.map(|l| l.as_str().to_string()),
            user_agent: d.user_agent.map(|u| u.as_str().to_string()),
            first_seen_at: d.first_seen_at,
            trusted_at: d.trusted_at,
            trusted_until: d.trusted_until,
            current: d.current,
        }
    }
}

/// Your trusted devices, the longest trusted first.
#[utoipa::path(get, path = "/v1/me/devices", tag = "login",
    responses((status = 200, body = DeviceList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "AUTH-SESSION-REQUIRED")),
    security(("bearer" = [])))]
pub async fn my_devices(
    State(state): State<HttpState>,
    Caller(who): Caller,
) -> Result<Json<DeviceList>, ApiError> {
    let devices = state.app.my_devices(&who).await?;
    Ok(Json(DeviceList {
        devices: devices.into_iter().map(DeviceBody::from).collect(),
    }))
}

/// Revoke one of your devices: logins from it ask the second factor again.
#[utoipa::path(delete, path = "/v1/me/devices/{id}", tag = "login",
    params(("id" = Uuid, Path)),
    responses((status = 204),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "AUTH-SESSION-REQUIRED"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "DEV-NOT-FOUND"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "DEV-REVOKED")),
    security(("bearer" = [])))]
pub async fn revoke_my_device(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .revoke_my_device(&who, id, &facts.by(&who))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An administrator revokes every trusted device of a user.
#[utoipa::path(delete, path = "/v1/accounts/{account}/users/{id}/devices", tag = "users",
    params(("account" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Position),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "USR-NOT-FOUND")),
    security(("bearer" = [])))]
pub async fn revoke_user_devices(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .revoke_user_devices(&who, account, id, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}
