//! Queries of the read side: users, teams, the audit log (with exports) and a user's history.
//! Every list pages with an opaque cursor sealed by the server (a tampered cursor is refused)
//! and bound to the filters it was issued for. `min_position` waits, bounded, until the view has
//! applied the command that returned that position.

// Errors are problem documents on the cold path of a request; boxing them buys nothing here.
#![allow(clippy::result_large_err)]

/// An audit cursor: the last key and the resolved bounds of the filter.
type AuditCursor = (AuditKey, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::Query;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::problem::{ApiError, HttpCode, Problem};
use crate::HttpState;
use chronid_app::AppCode;
use chronid_views::query::Fault;
use chronid_views::query::{self, AuditKey};
use chronid_views::Projection;

mod audit;
mod cursor;
mod teams;
mod users;
pub use audit::*;
use cursor::*;
pub use teams::*;
pub use users::*;

/// How long `min_position` waits at most.
const MAX_WAIT: Duration = Duration::from_secs(5);
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 1000;

type Params = Query<HashMap<String, String>>;

fn bad(code: HttpCode, field: &str, detail: impl Into<String>) -> ApiError {
    let mut p = Problem::http(code, detail);
    p.field = Some(field.to_string());
    ApiError(p)
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "read side query failed");
    ApiError(Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        AppCode::Internal.as_str(),
        "the query failed",
    ))
}

/// Refuses parameters the endpoint does not know, and values no query can hold (a NUL byte,
/// which PostgreSQL text refuses).
fn only(params: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    if let Some(k) = params
        .iter()
        .find(|(_, v)| v.contains('\0'))
        .map(|(k, _)| k)
    {
        return Err(bad(
            HttpCode::ReqInvalidParameter,
            k,
            format!("query parameter '{k}' holds a NUL character"),
        ));
    }
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            HttpCode::ReqUnknownParameter,
            k,
            format!(
                "unknown query parameter '{k}'; expected one of: {}",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn limit(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(bad(
                HttpCode::ReqInvalidLimit,
                "limit",
                format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

fn time(
    params: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    query::time_param(params, name).map_err(filter_error)
}

fn filter_error(e: query::FilterError) -> ApiError {
    match e {
        query::FilterError::Invalid(p) => {
            let code = match p.fault {
                Fault::Time => HttpCode::ReqInvalidTime,
                Fault::TimeZone => HttpCode::AuditInvalidTimeZone,
                Fault::UnknownRange => HttpCode::AuditUnknownRange,
                Fault::Range => HttpCode::AuditInvalidRange,
                Fault::Value => HttpCode::ReqInvalidParameter,
            };
            bad(code, p.field, p.message)
        }
        query::FilterError::Db(e) => internal(e),
    }
}

fn uuid_param(params: &HashMap<String, String>, name: &str) -> Result<Option<Uuid>, ApiError> {
    params
        .get(name)
        .map(|raw| {
            Uuid::parse_str(raw).map_err(|_| {
                bad(
                    HttpCode::ReqInvalidParameter,
                    name,
                    format!("{name} must be a UUID"),
                )
            })
        })
        .transpose()
}

/// Waits for `min_position` if given.
async fn wait(
    state: &HttpState,
    params: &HashMap<String, String>,
    projection: Projection,
) -> Result<(), ApiError> {
    let Some(raw) = params.get("min_position") else {
        return Ok(());
    };
    let position: i64 = raw.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
        bad(
            HttpCode::ReqInvalidPosition,
            "min_position",
            "min_position must be a position returned by a command (a positive integer)",
        )
    })?;
    let stats = state.read.stats(projection);
    match query::wait_for(
        state.app.executor().pool(),
        stats.as_deref(),
        projection,
        position,
        MAX_WAIT,
    )
    .await
    .map_err(internal)?
    {
        Some(true) => Ok(()),
        // Well-formed, but it names nothing: like an id that does not exist.
        None => Err(ApiError(Problem::http(
            HttpCode::ReqUnknownPosition,
            "no event has this position",
        ))),
        Some(false) => {
            let mut p = Problem::http(
                HttpCode::ViewNotCaughtUp,
                format!(
                    "the {} view has not reached position {position} within {} s; retry",
                    projection.name(),
                    MAX_WAIT.as_secs()
                ),
            );
            p.field = Some("min_position".into());
            Err(ApiError(p))
        }
    }
}
