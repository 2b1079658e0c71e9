//! Queries of the read side: users, teams, the audit log (with exports) and a user's history.
//! Every list pages with an opaque cursor sealed by the server (a tampered cursor is refused)
//! and bound to the filters it was issued for. `min_position` waits, bounded, until the view has
//! applied the command that returned that position.

// Errors are problem documents on the cold path of a request; boxing them buys nothing here.
#![allow(clippy::result_large_err)]

/// An audit cursor: the last key and the resolved bounds of the filter.
type AuditCursor = (AuditKey, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
/// A projection's checkpoint row for /metrics: name, position, parked events.
type CheckpointRow = (Projection, Option<i64>, i64);

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chronid_domain::public::PublicEnvelope;
use chronid_domain::values::StoredSecret;
use chronid_projections::user_view::{self, UserStatus, UserView};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::extract::{ApiPath, Caller};
use crate::problem::{ApiError, Problem};
use crate::HttpState;
use chronid_views::export::{audit_csv_line, AUDIT_CSV_HEADER};
use chronid_views::query::{self, AuditEntry, AuditFilter, AuditKey, TeamWithMembers};
use chronid_views::Projection;

/// How long `min_position` waits at most.
const MAX_WAIT: Duration = Duration::from_secs(5);
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 1000;

type Params = Query<HashMap<String, String>>;

fn bad(code: &str, field: &str, detail: impl Into<String>) -> ApiError {
    let mut p = Problem::new(StatusCode::BAD_REQUEST, code, detail);
    p.field = Some(field.to_string());
    ApiError(p)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "read side query failed");
    ApiError(Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "the query failed",
    ))
}

/// Refuses parameters the endpoint does not know.
fn only(params: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(bad(
            "REQ-UNKNOWN-PARAMETER",
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
                "REQ-INVALID-LIMIT",
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
        query::FilterError::Invalid(p) => bad(p.code, p.field, p.message),
        query::FilterError::Db(e) => internal(e),
    }
}

fn uuid_param(params: &HashMap<String, String>, name: &str) -> Result<Option<Uuid>, ApiError> {
    params
        .get(name)
        .map(|raw| {
            Uuid::parse_str(raw).map_err(|_| {
                bad(
                    "REQ-INVALID-PARAMETER",
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
            "REQ-INVALID-POSITION",
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
        None => Err(ApiError(Problem::new(
            StatusCode::NOT_FOUND,
            "REQ-UNKNOWN-POSITION",
            "no event has this position",
        ))),
        Some(false) => {
            let mut p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "VIEW-NOT-CAUGHT-UP",
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

/// A cursor: the key of the last item, bound to a fingerprint of the filters, sealed.
#[derive(Serialize, Deserialize)]
struct Sealed<K> {
    k: K,
    f: String,
}

fn fingerprint(parts: &[(&str, Option<&String>)]) -> String {
    let mut h = Sha256::new();
    for (name, value) in parts {
        h.update(name.as_bytes());
        h.update([0]);
        if let Some(v) = value {
            h.update(v.as_bytes());
        }
        h.update([1]);
    }
    hex::encode(&h.finalize()[..12])
}

fn seal_cursor<K: Serialize>(state: &HttpState, key: K, filters: &str) -> Result<String, ApiError> {
    let body = serde_json::to_vec(&Sealed {
        k: key,
        f: filters.to_string(),
    })
    .map_err(internal)?;
    let sealed = state
        .app
        .executor()
        .services()
        .sealer
        .seal(&body)
        .map_err(internal)?;
    Ok(URL_SAFE_NO_PAD.encode(sealed.0.as_bytes()))
}

fn open_cursor<K: for<'de> Deserialize<'de>>(
    state: &HttpState,
    params: &HashMap<String, String>,
    filters: &str,
) -> Result<Option<K>, ApiError> {
    let Some(raw) = params.get("cursor") else {
        return Ok(None);
    };
    let invalid = || {
        bad(
            "REQ-INVALID-CURSOR",
            "cursor",
            "the cursor is not one this server issued for these filters",
        )
    };
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let body = state
        .app
        .executor()
        .services()
        .sealer
        .open(&StoredSecret(text))
        .map_err(|_| invalid())?;
    let sealed: Sealed<K> = serde_json::from_slice(&body).map_err(|_| invalid())?;
    if sealed.f != filters {
        return Err(invalid());
    }
    Ok(Some(sealed.k))
}

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
                "USR-NOT-FOUND",
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
                    "REQ-INVALID-PARAMETER",
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
                "REQ-INVALID-PARAMETER",
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
                "TEAM-NOT-FOUND",
                "no such team",
            ))
        })
}

/// A page of the audit log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
    /// The time bounds applied (a named range resolved in the account's time zone or `tz`);
    /// `from` inclusive, `to` exclusive.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const AUDIT_FILTERS: [&str; 7] = ["username", "ip", "q", "range", "tz", "from", "to"];

async fn audit_filter(
    state: &HttpState,
    account: Uuid,
    params: &HashMap<String, String>,
) -> Result<AuditFilter, ApiError> {
    let now = state.app.executor().services().clock.now();
    query::resolve_audit_filter(state.app.executor().pool(), account, params, now)
        .await
        .map_err(filter_error)
}

/// The audit log, newest first: filter by `username` (actor or target), `ip`, `q` (description
/// text), a named `range` (in the account's time zone, or `tz`) or `from`/`to`. AccountManager only.
#[utoipa::path(get, path = "/v1/accounts/{account}/audit", tag = "views",
    params(("account" = Uuid, Path), ("username" = Option<String>, Query), ("ip" = Option<String>, Query),
        ("q" = Option<String>, Query), ("range" = Option<String>, Query), ("tz" = Option<String>, Query),
        ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("cursor" = Option<String>, Query),
        ("limit" = Option<i64>, Query), ("min_position" = Option<i64>, Query)),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn audit(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath(account): ApiPath<Uuid>,
    Query(params): Params,
) -> Result<Json<AuditPage>, ApiError> {
    who.require_account_manager(account)?;
    let mut known = AUDIT_FILTERS.to_vec();
    known.extend(["cursor", "limit", "min_position"]);
    only(&params, &known)?;
    let limit = limit(&params)?;
    let fp = fingerprint(&AUDIT_FILTERS.map(|n| (n, params.get(n))));
    // The cursor carries the resolved bounds too, so a named range does not slide between pages.
    let cursor: Option<AuditCursor> = open_cursor(&state, &params, &fp)?;
    // The account's time zone lives in the account view, kept by the users projection: reading
    // your own write of it (or of an audited command) waits for both projections.
    wait(&state, &params, Projection::Users).await?;
    wait(&state, &params, Projection::Audit).await?;
    let mut filter = audit_filter(&state, account, &params).await?;
    if let Some((_, from, to)) = &cursor {
        filter.from = *from;
        filter.to = *to;
    }
    let entries = query::audit(
        state.app.executor().pool(),
        account,
        &filter,
        cursor.map(|c| c.0),
        limit,
    )
    .await
    .map_err(internal)?;
    let next_cursor = match entries.last() {
        Some(last) if entries.len() as i64 == limit => Some(seal_cursor(
            &state,
            (
                AuditKey {
                    at: last.at,
                    position: last.position,
                },
                filter.from,
                filter.to,
            ),
            &fp,
        )?),
        _ => None,
    };
    Ok(Json(AuditPage {
        entries,
        next_cursor,
        from: filter.from,
        to: filter.to,
    }))
}

/// Every matching entry, streamed: `format=csv` (RFC 4180, with a header) or `format=jsonl`.
#[utoipa::path(get, path = "/v1/accounts/{account}/audit/export", tag = "views",
    params(("account" = Uuid, Path), ("format" = String, Query), ("username" = Option<String>, Query),
        ("ip" = Option<String>, Query), ("q" = Option<String>, Query), ("range" = Option<String>, Query),
        ("tz" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query)),
    responses((status = 200, content_type = "text/csv",
            description = "CSV (format=csv) or JSON lines (format=jsonl, application/x-ndjson)"),
        (status = 400, body = Problem)),
    security(("bearer" = [])))]
pub async fn audit_export(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath(account): ApiPath<Uuid>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    who.require_account_manager(account)?;
    let mut known = AUDIT_FILTERS.to_vec();
    known.extend(["format", "min_position"]);
    only(&params, &known)?;
    let csv = match params.get("format").map(String::as_str) {
        Some("csv") => true,
        Some("jsonl") => false,
        _ => {
            return Err(bad(
                "REQ-INVALID-PARAMETER",
                "format",
                "format must be csv or jsonl",
            ))
        }
    };
    let filter = audit_filter(&state, account, &params).await?;
    wait(&state, &params, Projection::Audit).await?;
    let entries = query::audit_all(state.app.executor().pool().clone(), account, filter);
    let header =
        csv.then(|| Ok::<_, query::DbError>(bytes::Bytes::from(format!("{AUDIT_CSV_HEADER}\r\n"))));
    let lines = entries.map(move |e| {
        e.map(|e| {
            if csv {
                bytes::Bytes::from(audit_csv_line(&e))
            } else {
                let mut line = serde_json::to_vec(&e).unwrap_or_default();
                line.push(b'\n');
                bytes::Bytes::from(line)
            }
        })
    });
    let body = Body::from_stream(futures::stream::iter(header).chain(lines));
    let mut response = (StatusCode::OK, body).into_response();
    let (ctype, ext) = if csv {
        ("text/csv; charset=utf-8", "csv")
    } else {
        ("application/x-ndjson", "jsonl")
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"audit-{account}.{ext}\""))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
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
                "USR-NOT-FOUND",
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

/// Prometheus metrics: the relay and projection workers of this process, and every
/// projection's checkpoint and parked events from the database.
pub async fn metrics(State(state): State<HttpState>) -> Result<Response, ApiError> {
    let mut out = String::with_capacity(2048);
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    let auth = state.app.auth_metrics();
    metric(
        "chronid_login_refused_total",
        "counter",
        "Logins refused without a write because the user may not log in (locked or disabled).",
        &[
            (
                "{reason=\"locked\"}".to_string(),
                auth.refused_locked
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .to_string(),
            ),
            (
                "{reason=\"disabled\"}".to_string(),
                auth.refused_disabled
                    .load(std::sync::atomic::Ordering::Relaxed)
                    .to_string(),
            ),
        ],
    );
    metric(
        "chronid_rate_limited_total",
        "counter",
        "Unauthenticated requests refused for their address's rate (429 RATE-LIMITED).",
        &[(String::new(), state.edge.refused().to_string())],
    );
    if let Some(relay) = &state.read.relay {
        metric(
            "chronid_relay_active",
            "gauge",
            "1 when this process's relay holds the lock.",
            &[(String::new(), u8::from(relay.is_active()).to_string())],
        );
        metric(
            "chronid_relay_published_total",
            "counter",
            "Events published to JetStream.",
            &[(String::new(), relay.published().to_string())],
        );
        metric(
            "chronid_relay_duplicates_total",
            "counter",
            "Publishes JetStream reported as duplicates.",
            &[(String::new(), relay.duplicates().to_string())],
        );
        metric(
            "chronid_relay_errors_total",
            "counter",
            "Relay steps that failed and were retried.",
            &[(String::new(), relay.errors().to_string())],
        );
        metric(
            "chronid_relay_position",
            "gauge",
            "Position of the last event published.",
            &[(String::new(), relay.last_position().to_string())],
        );
    }
    let label = |p: Projection| format!("{{projection=\"{}\"}}", p.name());
    let workers: Vec<_> = state
        .read
        .projections
        .iter()
        .map(|(p, s)| (*p, s.clone()))
        .collect();
    if !workers.is_empty() {
        let series =
            |f: &dyn Fn(&chronid_views::ProjectionStats) -> String| -> Vec<(String, String)> {
                workers.iter().map(|(p, s)| (label(*p), f(s))).collect()
            };
        metric(
            "chronid_projection_active",
            "gauge",
            "1 when this process's worker holds the projection lock.",
            &series(&|s| u8::from(s.is_active()).to_string()),
        );
        metric(
            "chronid_projection_applied_total",
            "counter",
            "Events that changed a view.",
            &series(&|s| s.applied().to_string()),
        );
        metric(
            "chronid_projection_stale_total",
            "counter",
            "Redelivered events a view had already applied.",
            &series(&|s| s.stale().to_string()),
        );
        metric(
            "chronid_projection_batches_total",
            "counter",
            "Transactions committed.",
            &series(&|s| s.batches().to_string()),
        );
        metric(
            "chronid_projection_retries_total",
            "counter",
            "Retries of events that failed.",
            &series(&|s| s.retries().to_string()),
        );
        metric(
            "chronid_projection_parked_total",
            "counter",
            "Events parked by this process.",
            &series(&|s| s.parked().to_string()),
        );
        metric(
            "chronid_projection_errors_total",
            "counter",
            "Worker errors (stream, database, lock).",
            &series(&|s| s.errors().to_string()),
        );
    }
    let rows = query::checkpoint_positions(state.app.executor().pool())
        .await
        .map_err(internal)?;
    let by = |f: &dyn Fn(&CheckpointRow) -> String| -> Vec<(String, String)> {
        rows.iter().map(|r| (label(r.0), f(r))).collect()
    };
    metric(
        "chronid_projection_failed_events",
        "gauge",
        "Events parked in projection_failed_events.",
        &by(&|r| r.2.to_string()),
    );
    metric(
        "chronid_projection_checkpoint_position",
        "gauge",
        "Position of the last event the projection applied.",
        &by(&|r| r.1.unwrap_or(0).to_string()),
    );
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}
