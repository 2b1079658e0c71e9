//! An account's teams, and one team with its members.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chronid_views::query::{self, TeamWithMembers};
use chronid_views::Projection;
use uuid::Uuid;

use super::*;
use crate::extract::{ApiPath, Caller};
use crate::problem::{ApiError, Problem};
use crate::HttpState;
use chronid_domain::account::AccountError;
use chronid_domain::DomainError;

/// The account's teams with their members.
#[utoipa::path(get, path = "/v1/accounts/{account}/teams", tag = "views",
    params(("account" = Uuid, Path), ("min_position" = Option<i64>, Query)),
    responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn list_teams(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath(account): ApiPath<Uuid>,
    Query(params): Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    who.require_user_admin(account)?;
    only(&params, &["min_position"])?;
    wait(&state, &params, Projection::Users).await?;
    let teams = query::teams(state.app.executor().pool(), account, None)
        .await
        .map_err(internal)?;
    Ok(Json(serde_json::json!({ "teams": teams })))
}

/// One team with its members.
#[utoipa::path(get, path = "/v1/accounts/{account}/teams/{team}", tag = "views",
    params(("account" = Uuid, Path), ("team" = Uuid, Path), ("min_position" = Option<i64>, Query)),
    responses((status = 200, body = Object), (status = 404, body = Problem)), security(("bearer" = [])))]
pub async fn get_team(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath((account, team)): ApiPath<(Uuid, Uuid)>,
    Query(params): Params,
) -> Result<Json<TeamWithMembers>, ApiError> {
    who.require_user_admin(account)?;
    only(&params, &["min_position"])?;
    wait(&state, &params, Projection::Users).await?;
    query::teams(state.app.executor().pool(), account, Some(team))
        .await
        .map_err(internal)?
        .into_iter()
        .next()
        .map(Json)
        .ok_or_else(|| {
            ApiError(Problem::new(
                StatusCode::NOT_FOUND,
                AccountError::TeamNotFound.code(),
                "no such team",
            ))
        })
}
