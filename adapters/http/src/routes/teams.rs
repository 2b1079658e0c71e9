//! Teams and their members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use uuid::Uuid;

use crate::body::{Created, Position, TeamBody};
use crate::extract::{ApiJson, ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;

/// Create a team.
#[utoipa::path(post, path = "/v1/accounts/{account}/teams", tag = "teams",
    params(("account" = Uuid, Path)), request_body = TeamBody,
    responses((status = 201, body = Created), (status = 400, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_team(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<TeamBody>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let name = body.parse()?;
    let o = state
        .app
        .create_team(&who, account, name, &facts.by(&who))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: o.id,
            position: o.position,
        }),
    ))
}

/// Rename a team (not one managed by SSO group sync).
#[utoipa::path(patch, path = "/v1/accounts/{account}/teams/{team}", tag = "teams",
    params(("account" = Uuid, Path), ("team" = Uuid, Path)), request_body = TeamBody,
    responses((status = 200, body = Position), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn rename_team(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, team)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<TeamBody>,
) -> Result<Json<Position>, ApiError> {
    let name = body.parse()?;
    let o = state
        .app
        .rename_team(&who, account, team, name, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Delete a team (not one managed by SSO group sync).
#[utoipa::path(delete, path = "/v1/accounts/{account}/teams/{team}", tag = "teams",
    params(("account" = Uuid, Path), ("team" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_team(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, team)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .delete_team(&who, account, team, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Add a user to a team (refused for teams managed by SSO group sync).
#[utoipa::path(put, path = "/v1/accounts/{account}/teams/{team}/members/{user}", tag = "teams",
    params(("account" = Uuid, Path), ("team" = Uuid, Path), ("user" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_member(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, team, user)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .add_team_member(&who, account, team, user, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Remove a user from a team (refused for teams managed by SSO group sync).
#[utoipa::path(delete, path = "/v1/accounts/{account}/teams/{team}/members/{user}", tag = "teams",
    params(("account" = Uuid, Path), ("team" = Uuid, Path), ("user" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove_member(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, team, user)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .remove_team_member(&who, account, team, user, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}
