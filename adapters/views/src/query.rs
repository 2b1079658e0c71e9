//! Reads of the views and the audit log, and read-your-writes: waiting until a projection has
//! applied a given position.

use std::time::Duration;

use chronid_projections::device_view::DeviceView;
use chronid_projections::team_view::TeamView;
use chronid_projections::user_view::UserView;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::{Projection, ProjectionStats};

pub use chronid_store::rows::{user_history, HistoryError, HistoryPage};
/// The error of every query here: the database's.
pub use sqlx::Error as DbError;

/// Waits until `projection` has applied the event at `position` (and everything the relay
/// published before it), at most `timeout`. Returns whether it did; `None` when no event has
/// that position. The event's relay cursor is read once; then only the checkpoint is polled.
pub async fn wait_for(
    pool: &PgPool,
    stats: Option<&ProjectionStats>,
    projection: Projection,
    position: i64,
    timeout: Duration,
) -> Result<Option<bool>, sqlx::Error> {
    let Some(cursor) = chronid_store::rows::cursor_of(pool, position).await? else {
        return Ok(None);
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        let reached: Option<bool> = sqlx::query_scalar(
            "SELECT (tx_id, global_seq) >= ($2::text::xid8, $3)
               FROM projection_checkpoints WHERE projection = $1",
        )
        .bind(projection.name())
        .bind(cursor.tx_id.to_string())
        .bind(cursor.global_seq)
        .fetch_optional(pool)
        .await?;
        if reached == Some(true) {
            return Ok(Some(true));
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(Some(false));
        }
        let sleep = pause.min(deadline - now);
        // An in-process worker wakes us at its commit; another node's worker is polled.
        match stats {
            Some(stats) => {
                let _ = tokio::time::timeout(sleep, stats.progressed()).await;
            }
            None => tokio::time::sleep(sleep).await,
        }
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// A user's view with their trusted devices, or None.
pub async fn user(
    pool: &PgPool,
    account_id: Uuid,
    user_id: Uuid,
) -> Result<Option<UserView>, sqlx::Error> {
    let doc: Option<Value> =
        sqlx::query_scalar("SELECT doc FROM view_users WHERE user_id = $1 AND account_id = $2")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    let Some(doc) = doc else { return Ok(None) };
    let mut view: UserView = decode(doc)?;
    let devices: Vec<Value> =
        sqlx::query_scalar("SELECT doc FROM view_devices WHERE user_id = $1 ORDER BY device_id")
            .bind(user_id)
            .fetch_all(pool)
            .await?;
    for doc in devices {
        let device: DeviceView = decode(doc)?;
        view.trusted_devices.extend(device.as_trusted());
    }
    Ok(Some(view))
}

/// Filters of the user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub status: Option<String>,
    pub team: Option<Uuid>,
    pub role: Option<String>,
    /// Part of the email, username, names or phone (case-insensitive).
    pub text: Option<String>,
    /// Users after this id (the cursor).
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// A page of users in creation order (ids are UUIDv7). Trusted devices are not joined in.
pub async fn users(
    pool: &PgPool,
    account_id: Uuid,
    f: &UserFilter,
) -> Result<Vec<UserView>, sqlx::Error> {
    let mut q: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT doc FROM view_users WHERE account_id = ");
    q.push_bind(account_id);
    if let Some(status) = &f.status {
        q.push(" AND status = ").push_bind(status.clone());
    }
    if let Some(team) = f.team {
        q.push(" AND teams @> ARRAY[")
            .push_bind(team)
            .push("]::uuid[]");
    }
    if let Some(role) = &f.role {
        q.push(" AND roles @> ARRAY[")
            .push_bind(role.clone())
            .push("]::text[]");
    }
    if let Some(text) = &f.text {
        q.push(" AND search LIKE ")
            .push_bind(format!("%{}%", like_escape(&text.to_lowercase())));
    }
    if let Some(after) = f.after {
        q.push(" AND user_id > ").push_bind(after);
    }
    q.push(" ORDER BY user_id LIMIT ").push_bind(f.limit);
    let docs: Vec<Value> = q.build_query_scalar().fetch_all(pool).await?;
    docs.into_iter().map(decode).collect()
}

/// A team with its member ids.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    pub team: TeamView,
    pub members: Vec<Uuid>,
}

/// The account's teams (deleted ones left out), each with its members.
pub async fn teams(
    pool: &PgPool,
    account_id: Uuid,
    only: Option<Uuid>,
) -> Result<Vec<TeamWithMembers>, sqlx::Error> {
    let rows: Vec<(Value, Vec<Uuid>)> = sqlx::query_as(
        "SELECT t.doc, COALESCE(ARRAY(SELECT u.user_id FROM view_users u
                                      WHERE u.account_id = t.account_id AND u.teams @> ARRAY[t.team_id]
                                      ORDER BY u.user_id), '{}')
           FROM view_teams t
          WHERE t.account_id = $1 AND NOT t.deleted AND ($2::uuid IS NULL OR t.team_id = $2)
          ORDER BY t.team_id",
    )
    .bind(account_id)
    .bind(only)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(doc, members)| {
            Ok(TeamWithMembers {
                team: decode(doc)?,
                members,
            })
        })
        .collect()
}

/// The account's IANA time zone for audit ranges ("UTC" when unknown).
pub async fn account_time_zone(pool: &PgPool, account_id: Uuid) -> Result<String, sqlx::Error> {
    let tz: Option<String> =
        sqlx::query_scalar("SELECT doc->>'time_zone' FROM view_accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await?
            .flatten();
    Ok(tz.unwrap_or_else(|| "UTC".to_string()))
}

/// Filters of the audit log; `from` is inclusive, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub ip: Option<String>,
    pub text: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A query parameter that is not acceptable: a stable code, the parameter, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidParam {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("{}: {}", .0.field, .0.message)]
    Invalid(InvalidParam),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

fn invalid(code: &'static str, field: &'static str, message: impl Into<String>) -> FilterError {
    FilterError::Invalid(InvalidParam {
        code,
        field,
        message: message.into(),
    })
}

/// An RFC 3339 time parameter, if present.
pub fn time_param(
    params: &std::collections::HashMap<String, String>,
    name: &'static str,
) -> Result<Option<DateTime<Utc>>, FilterError> {
    params
        .get(name)
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    invalid(
                        "REQ-INVALID-TIME",
                        name,
                        format!("{name} must be an RFC 3339 time, e.g. 2026-11-22T10:00:00Z"),
                    )
                })
        })
        .transpose()
}

/// The audit filters from raw parameters (`username`, `ip`, `q`, `range`, `tz`, `from`, `to`),
/// shared by the HTTP API and `chronid audit`. A named range resolves at `now` in `tz`, or in
/// the account's time zone.
pub async fn resolve_audit_filter(
    pool: &PgPool,
    account_id: Uuid,
    params: &std::collections::HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<AuditFilter, FilterError> {
    use chronid_projections::range::{parse_time_zone, NamedRange, RANGE_NAMES};
    let time = |name: &'static str| time_param(params, name);
    let mut from = time("from")?;
    let mut to = time("to")?;
    let bad_tz = |tz: &str| {
        invalid(
            "AUDIT-INVALID-TIME-ZONE",
            "tz",
            format!("unknown time zone '{tz}'; use an IANA name such as Europe/Zagreb"),
        )
    };
    if let Some(tz) = params.get("tz") {
        parse_time_zone(tz).ok_or_else(|| bad_tz(tz))?;
    }
    if let Some(name) = params.get("range") {
        let range = NamedRange::parse(name).ok_or_else(|| {
            invalid(
                "AUDIT-UNKNOWN-RANGE",
                "range",
                format!(
                    "unknown range '{name}'; expected one of: {}",
                    RANGE_NAMES.join(", ")
                ),
            )
        })?;
        if from.is_some() || to.is_some() {
            return Err(invalid(
                "AUDIT-INVALID-RANGE",
                "range",
                "give either range or from/to, not both",
            ));
        }
        let tz_name = match params.get("tz") {
            Some(tz) => tz.clone(),
            None => account_time_zone(pool, account_id).await?,
        };
        let tz = parse_time_zone(&tz_name).ok_or_else(|| bad_tz(&tz_name))?;
        let (f, t) = range.bounds(now, tz);
        from = Some(f);
        to = Some(t);
    }
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(invalid("AUDIT-INVALID-RANGE", "from", "from is after to"));
        }
    }
    let text = |name: &'static str, max: usize| -> Result<Option<String>, FilterError> {
        match params.get(name) {
            Some(v) if v.is_empty() || v.chars().count() > max => Err(invalid(
                "REQ-INVALID-PARAMETER",
                name,
                format!("{name} must be 1 to {max} characters"),
            )),
            other => Ok(other.cloned()),
        }
    };
    Ok(AuditFilter {
        username: text("username", 320)?,
        ip: text("ip", 64)?,
        text: text("q", 200)?,
        from,
        to,
    })
}

/// Where a page of the audit log ends: entries strictly older come next.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditKey {
    pub at: DateTime<Utc>,
    pub position: i64,
}

/// One audit log entry as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub account_id: Uuid,
    /// Who acted (a user's username or email, "API key <name>", "system").
    pub username: Option<String>,
    pub ip: Option<String>,
    pub item: String,
    pub action: String,
    /// "success" or "failed".
    pub outcome: String,
    pub description: String,
    pub event_type: String,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    pub sequence: i64,
    pub position: i64,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// The user the entry is about, if any.
    pub target_id: Option<Uuid>,
    pub target_username: Option<String>,
    pub user_agent: Option<String>,
}

const AUDIT_COLUMNS: &str = "at, account_id, username, ip, item, action, outcome, description, \
     event_type, aggregate_type, aggregate_id, sequence, position, actor_kind, actor_id, \
     target_id, target_username, user_agent";

/// Above this many matching descriptions a text search does not send their hashes back: the
/// lookup runs inside the statement instead.
const MAX_TEXTS: usize = 10_000;

/// Up to this many matching descriptions (and no username filter, whose own index leads then), a
/// text search reads each one's newest entries from the hash index and merges them (at most this
/// many times a page); above, PostgreSQL weighs the hash index against a scan newest first.
const MERGE_TEXTS: usize = 64;

/// How a description filter reads the entries, once resolved against the account's distinct
/// descriptions. The pattern itself is always checked too: two descriptions may share a hash.
enum TextFilter {
    /// One description: the hash index gives its entries newest first.
    One(i64),
    /// A few, each read newest first and merged (`h.hash` of the enclosing `unnest`).
    Merge(Vec<i64>),
    /// Many: any of their hashes.
    Any(Vec<i64>),
    /// Too many to list: the lookup runs inside the statement.
    Pattern,
}

/// One page of the audit log, newest first.
pub async fn audit(
    pool: &PgPool,
    account_id: Uuid,
    f: &AuditFilter,
    after: Option<AuditKey>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    // A text search first finds the matching descriptions in the account's small table of
    // distinct ones (migration 0005), then reads the entries by their hash.
    let text = match &f.text {
        Some(text) => {
            let pattern = format!("%{}%", like_escape(text));
            let mut hashes: Vec<i64> = sqlx::query_scalar(
                "SELECT hashtextextended(description, 0) FROM audit_texts
                  WHERE account_id = $1 AND description ILIKE $2 LIMIT $3",
            )
            .bind(account_id)
            .bind(&pattern)
            .bind(MAX_TEXTS as i64 + 1)
            // Planned with the pattern bound: a generic plan cannot tell a pattern the trigram
            // index serves from one it does not, and settles on scanning every description.
            .persistent(false)
            .fetch_all(pool)
            .await?;
            // Over the limit before de-duplication: the list is cut off, not complete.
            let too_many = hashes.len() > MAX_TEXTS;
            hashes.sort_unstable();
            hashes.dedup();
            let filter = match hashes.len() {
                0 => return Ok(Vec::new()),
                _ if too_many => TextFilter::Pattern,
                1 => TextFilter::One(hashes[0]),
                // Merging by hash needs no other index: with a username, its index leads.
                n if n <= MERGE_TEXTS && f.username.is_none() => TextFilter::Merge(hashes),
                _ => TextFilter::Any(hashes),
            };
            Some((pattern, filter))
        }
        None => None,
    };
    let text = text.as_ref().map(|(p, t)| (p.as_str(), t));
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new("");
    match (&f.username, text) {
        // The acting user or the user acted on: two index scans, merged.
        (Some(name), _) => {
            let name = name.to_lowercase();
            q.push("SELECT * FROM ((");
            audit_select(
                &mut q,
                account_id,
                f,
                text,
                after,
                limit,
                Some(("username", &name)),
            );
            q.push(") UNION (");
            audit_select(
                &mut q,
                account_id,
                f,
                text,
                after,
                limit,
                Some(("target_username", &name)),
            );
            q.push(")) AS x ORDER BY at DESC, position DESC LIMIT ")
                .push_bind(limit);
        }
        (None, Some((_, TextFilter::Merge(hashes)))) => {
            q.push("SELECT e.* FROM unnest(")
                .push_bind(hashes.clone())
                .push("::bigint[]) AS h(hash) CROSS JOIN LATERAL (");
            audit_select(&mut q, account_id, f, text, after, limit, None);
            q.push(") AS e ORDER BY e.at DESC, e.position DESC LIMIT ")
                .push_bind(limit);
        }
        (None, _) => audit_select(&mut q, account_id, f, text, after, limit, None),
    }
    // With a text filter the best plan depends on which hashes and how many: an unnamed
    // statement is planned with the values bound, so PostgreSQL weighs the hash index against a
    // scan newest first using its statistics.
    q.build_query_as()
        .persistent(text.is_none())
        .fetch_all(pool)
        .await
}

fn audit_select(
    q: &mut QueryBuilder<'_, Postgres>,
    account_id: Uuid,
    f: &AuditFilter,
    text: Option<(&str, &TextFilter)>,
    after: Option<AuditKey>,
    limit: i64,
    name: Option<(&str, &str)>,
) {
    q.push(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE account_id = "
    ))
    .push_bind(account_id);
    if let Some((column, value)) = name {
        q.push(format!(" AND lower({column}) = "))
            .push_bind(value.to_string());
    }
    if let Some(ip) = &f.ip {
        q.push(" AND ip = ").push_bind(ip.clone());
    }
    if let Some((pattern, filter)) = text {
        match filter {
            TextFilter::One(hash) => {
                q.push(" AND hashtextextended(description, 0) = ")
                    .push_bind(*hash);
            }
            TextFilter::Merge(_) => {
                q.push(" AND hashtextextended(description, 0) = h.hash");
            }
            TextFilter::Any(hashes) => {
                q.push(" AND hashtextextended(description, 0) = ANY(")
                    .push_bind(hashes.clone())
                    .push(")");
            }
            // Too many to send: the same lookup, inside the statement.
            TextFilter::Pattern => {
                q.push(
                    " AND hashtextextended(description, 0) IN (SELECT hashtextextended(t.description, 0) \
                     FROM audit_texts t WHERE t.account_id = ",
                )
                .push_bind(account_id)
                .push(" AND t.description ILIKE ")
                .push_bind(pattern.to_string())
                .push(")");
            }
        }
        q.push(" AND description ILIKE ")
            .push_bind(pattern.to_string());
    }
    if let Some(from) = f.from {
        q.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND at < ").push_bind(to);
    }
    if let Some(key) = after {
        q.push(" AND (at, position) < (")
            .push_bind(key.at)
            .push(", ")
            .push_bind(key.position)
            .push(")");
    }
    q.push(" ORDER BY at DESC, position DESC LIMIT ")
        .push_bind(limit);
}

/// Every entry matching `f`, newest first, read page by page (no long-running transaction).
pub fn audit_all(
    pool: PgPool,
    account_id: Uuid,
    f: AuditFilter,
) -> impl Stream<Item = Result<AuditEntry, sqlx::Error>> {
    const PAGE: i64 = 2000;
    futures::stream::unfold(
        (Some(None::<AuditKey>), pool, f),
        move |(after, pool, f)| async move {
            let after = after?;
            match audit(&pool, account_id, &f, after, PAGE).await {
                Ok(page) => {
                    let next = (page.len() as i64 == PAGE).then(|| {
                        page.last().map(|e| AuditKey {
                            at: e.at,
                            position: e.position,
                        })
                    });
                    let items: Vec<Result<AuditEntry, sqlx::Error>> =
                        page.into_iter().map(Ok).collect();
                    Some((futures::stream::iter(items), (next, pool, f)))
                }
                Err(e) => Some((futures::stream::iter(vec![Err(e)]), (None, pool, f))),
            }
        },
    )
    .flatten()
}

fn like_escape(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn decode<T: serde::de::DeserializeOwned>(doc: Value) -> Result<T, sqlx::Error> {
    serde_json::from_value(doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Every account in the account view.
pub async fn account_ids(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT account_id FROM view_accounts")
        .fetch_all(pool)
        .await
}

/// Up to `limit` active or locked users of the account whose last login and last password change
/// (whichever is later) are both before `cutoff`: the inactivity sweep's candidates. The sweep
/// checks each on its User before disabling it, so a view that lags only delays the sweep.
pub async fn inactive_users(
    pool: &PgPool,
    account_id: Uuid,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT user_id FROM view_users
          WHERE account_id = $1 AND status IN ('active', 'locked')
            AND GREATEST((doc->>'last_login_at')::timestamptz,
                         (doc->'password'->>'changed_at')::timestamptz) < $2
          LIMIT $3",
    )
    .bind(account_id)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Where a projection stands in the database: its checkpoint and the events parked for it.
#[derive(Debug, Clone)]
pub struct ProjectionStatus {
    pub projection: Projection,
    pub checkpoint: Option<Checkpoint>,
    pub failed: Vec<FailedEvent>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Checkpoint {
    pub stream_seq: i64,
    pub global_seq: i64,
    pub applied: i64,
    pub updated_at: DateTime<Utc>,
}

/// An event a projection could not apply, parked in `projection_failed_events`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedEvent {
    pub id: i64,
    pub source: String,
    pub stream_seq: Option<i64>,
    pub event_type: Option<String>,
    pub aggregate_id: Option<String>,
    pub position: Option<i64>,
    pub error: String,
    pub parked_at: DateTime<Utc>,
}

/// The checkpoint and parked events of one projection.
pub async fn projection_status(
    pool: &PgPool,
    projection: Projection,
) -> Result<ProjectionStatus, sqlx::Error> {
    let checkpoint: Option<Checkpoint> = sqlx::query_as(
        "SELECT stream_seq, global_seq, applied, updated_at
           FROM projection_checkpoints WHERE projection = $1",
    )
    .bind(projection.name())
    .fetch_optional(pool)
    .await?;
    let failed: Vec<FailedEvent> = sqlx::query_as(
        "SELECT id, source, stream_seq, event_type, aggregate_id, position, error, parked_at
           FROM projection_failed_events WHERE projection = $1 ORDER BY id",
    )
    .bind(projection.name())
    .fetch_all(pool)
    .await?;
    Ok(ProjectionStatus {
        projection,
        checkpoint,
        failed,
    })
}

/// For every projection: the position of its checkpoint (None before the first) and how many
/// events are parked for it, for /metrics.
pub async fn checkpoint_positions(
    pool: &PgPool,
) -> Result<Vec<(Projection, Option<i64>, i64)>, sqlx::Error> {
    let rows: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT p.name, c.global_seq,
                (SELECT count(*) FROM projection_failed_events f WHERE f.projection = p.name)
           FROM unnest($1::text[]) AS p(name)
           LEFT JOIN projection_checkpoints c ON c.projection = p.name",
    )
    .bind(Projection::ALL.map(|p| p.name().to_string()).to_vec())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(name, position, failed)| {
            Projection::parse(&name).map(|p| (p, position, failed))
        })
        .collect())
}
