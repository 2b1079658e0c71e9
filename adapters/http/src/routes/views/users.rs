//! A user, a page of users, and a user's history (with "as of" time travel).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chronid_domain::public::PublicEnvelope;
use chronid_projections::user_view::{self, UserStatus, UserView};
use chronid_views::query::{self};
use chronid_views::Projection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::*;
use crate::extract::{ApiPath, Caller};
use crate::problem::{ApiError, Problem};
use crate::HttpState;
use chronid_domain::user::UserError;
use chronid_domain::DomainError;

/// A page of users.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    #[schema(value_type = Vec<Object>)]
    pub users: Vec<UserView>,
    pub next_cursor: Option<String>,
}

/// The projected user view, with trusted devices (`?min_position=` reads your own write).
#[utoipa::path(get, path = "/v1/accounts/{account}/users/{id}", tag = "views",
    params(("account" = Uuid, Path), ("id" = Uuid, Path), ("min_position" = Option<i64>, Query)),
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 503, body = Problem)),
    security(("bearer" = [])))]
pub async fn get_user(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
    Query(params): Params,
) -> Result<Json<UserView>, ApiError> {
    who.require_user_admin(account)?;
    only(&params, &["min_position"])?;
    wait(&state, &params, Projection::Users).await?;
    query::user(state.app.executor().pool(), account, id)
        .await
        .map_err(internal)?
        .map(Json)
        .ok_or_else(|| {
            ApiError(Problem::new(
                StatusCode::NOT_FOUND,
                UserError::NotFound.code(),
                "no such user",
            ))
        })
}

/// List and search users: `status`, `team`, `role`, `q` (email, username, names, phone), paged.
#[utoipa::path(get, path = "/v1/accounts/{account}/users", tag = "views",
    params(("account" = Uuid, Path), ("status" = Option<String>, Query), ("team" = Option<Uuid>, Query),
        ("role" = Option<String>, Query), ("q" = Option<String>, Query), ("cursor" = Option<String>, Query),
        ("limit" = Option<i64>, Query), ("min_position" = Option<i64>, Query)),
    responses((status = 200, body = UserPage), (status = 400, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath(account): ApiPath<Uuid>,
    Query(params): Params,
) -> Result<Json<UserPage>, ApiError> {
    who.require_user_admin(account)?;
    only(
        &params,
        &[
            "status",
            "team",
            "role",
            "q",
            "cursor",
            "limit",
            "min_position",
        ],
    )?;
    let status = params.get("status").map(|s| {
        UserStatus::parse(s)
            .map(|s| s.as_str().to_string())
            .ok_or_else(|| {
                bad(
                    HttpCode::ReqInvalidParameter,
                    "status",
                    "status must be invited, active, disabled or locked",
                )
            })
    });
    let status = status.transpose()?;
    let role = params
        .get("role")
        .map(|r| match r.as_str() {
            "AccountAdmin" | "AccountManager" => Ok(r.clone()),
            _ => Err(bad(
                HttpCode::ReqInvalidParameter,
                "role",
                "role must be AccountAdmin or AccountManager",
            )),
        })
        .transpose()?;
    let team = uuid_param(&params, "team")?;
    let limit = limit(&params)?;
    let filters = fingerprint(&[
        ("status", params.get("status")),
        ("team", params.get("team")),
        ("role", params.get("role")),
        ("q", params.get("q")),
    ]);
    let after: Option<Uuid> = open_cursor(&state, &params, &filters)?;
    wait(&state, &params, Projection::Users).await?;
    let users = query::users(
        state.app.executor().pool(),
        account,
        &query::UserFilter {
            status,
            team,
            role,
            text: params.get("q").cloned(),
            after,
            limit,
        },
    )
    .await
    .map_err(internal)?;
    let next_cursor = match users.last() {
        Some(last) if users.len() as i64 == limit => Some(seal_cursor(&state, last.id, &filters)?),
        _ => None,
    };
    Ok(Json(UserPage { users, next_cursor }))
}

/// A page of a user's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct History {
    /// The user's events in order, each in its public form (time, actor, IP, payload).
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<PublicEnvelope>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// With `as_of`: the user as they were then (null if they did not exist yet).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_as_of: Option<Option<UserView>>,
}

/// A user's events in order, read from the store, a page at a time (`limit`, default
/// 100, and `cursor`); `?as_of=TIME` gives only the events up to then, and the user as they were
/// then. AccountManager only: it shows IPs, like the audit log.
#[utoipa::path(get, path = "/v1/accounts/{account}/users/{id}/history", tag = "views",
    params(("account" = Uuid, Path), ("id" = Uuid, Path),
        ("as_of" = Option<String>, Query, format = DateTime),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = History),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
    Query(params): Params,
) -> Result<Json<History>, ApiError> {
    who.require_account_manager(account)?;
    only(&params, &["as_of", "limit", "cursor"])?;
    let as_of = time(&params, "as_of")?;
    let limit = limit(&params)?;
    let filters = format!("history:{account}:{id}:{as_of:?}");
    let after: i64 = open_cursor(&state, &params, &filters)?.unwrap_or(0);
    let pool = state.app.executor().pool();
    let page = query::HistoryPage {
        after_sequence: after,
        limit: limit + 1,
        until: as_of,
    };
    let mut events = query::user_history(pool, account, id, page)
        .await
        .map_err(internal)?;
    if events.is_empty() && after == 0 {
        // No event at all (or none up to `as_of`): a user of this account or not?
        let exists = query::user_history(
            pool,
            account,
            id,
            query::HistoryPage {
                after_sequence: 0,
                limit: 1,
                until: None,
            },
        )
        .await
        .map_err(internal)?;
        if exists.is_empty() {
            return Err(ApiError(Problem::new(
                StatusCode::NOT_FOUND,
                UserError::NotFound.code(),
                "no such user",
            )));
        }
    }
    let next_cursor = if events.len() as i64 > limit {
        events.truncate(limit as usize);
        match events.last() {
            Some(last) => Some(seal_cursor(&state, last.sequence, &filters)?),
            None => None,
        }
    } else {
        None
    };
    let user_as_of = match as_of {
        None => None,
        Some(t) => {
            // The user as of then is folded from every event up to then, whatever the page.
            let all = query::user_history(pool, account, id, query::HistoryPage::all(Some(t)))
                .await
                .map_err(internal)?;
            Some(user_view::fold(&all).map_err(internal)?)
        }
    };
    Ok(Json(History {
        events,
        next_cursor,
        user_as_of,
    }))
}
