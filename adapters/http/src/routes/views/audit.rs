//! The audit log: a filtered page newest first, and exports of every matching entry as CSV or
//! JSON lines.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chronid_views::export::{audit_csv_line, AUDIT_CSV_HEADER};
use chronid_views::query::{self, AuditEntry, AuditFilter, AuditKey};
use chronid_views::Projection;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::*;
use crate::extract::{ApiPath, Caller};
use crate::problem::{ApiError, Problem};
use crate::HttpState;

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

pub(super) const AUDIT_FILTERS: [&str; 7] = ["username", "ip", "q", "range", "tz", "from", "to"];

pub(super) async fn audit_filter(
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
                HttpCode::ReqInvalidParameter,
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
