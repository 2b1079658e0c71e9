//! The audit log: filters (named ranges and times in the account's time zone, text), a page
//! after a key, and every matching entry as a stream for exports.

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// The error of every query here: the database's.
use super::*;

/// Filters of the audit log; `from` is inclusive, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub ip: Option<String>,
    pub text: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What is wrong with a filter's parameter (the HTTP edge gives each its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A time that is not RFC 3339.
    Time,
    /// Not an IANA time zone.
    TimeZone,
    /// Not one of the named ranges.
    UnknownRange,
    /// `from` after `to`, or a named range with `from` / `to`.
    Range,
    /// Any other value the parameter cannot take.
    Value,
}

/// A query parameter that is not acceptable: what is wrong, the parameter, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidParam {
    pub fault: Fault,
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

pub(crate) fn invalid(
    fault: Fault,
    field: &'static str,
    message: impl Into<String>,
) -> FilterError {
    FilterError::Invalid(InvalidParam {
        fault,
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
                        Fault::Time,
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
            Fault::TimeZone,
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
                Fault::UnknownRange,
                "range",
                format!(
                    "unknown range '{name}'; expected one of: {}",
                    RANGE_NAMES.join(", ")
                ),
            )
        })?;
        if from.is_some() || to.is_some() {
            return Err(invalid(
                Fault::Range,
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
            return Err(invalid(Fault::Range, "from", "from is after to"));
        }
    }
    let text = |name: &'static str, max: usize| -> Result<Option<String>, FilterError> {
        match params.get(name) {
            Some(v) if v.is_empty() || v.chars().count() > max => Err(invalid(
                Fault::Value,
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

pub(crate) const AUDIT_COLUMNS: &str =
    "at, account_id, username, ip, item, action, outcome, description, \
     event_type, aggregate_type, aggregate_id, sequence, position, actor_kind, actor_id, \
     target_id, target_username, user_agent";

/// Above this many matching descriptions a text search does not send their hashes back: the
/// lookup runs inside the statement instead.
pub(crate) const MAX_TEXTS: usize = 10_000;

/// Up to this many matching descriptions (and no username filter, whose own index leads then), a
/// text search reads each one's newest entries from the hash index and merges them (at most this
/// many times a page); above, PostgreSQL weighs the hash index against a scan newest first.
pub(crate) const MERGE_TEXTS: usize = 64;

/// How a description filter reads the entries, once resolved against the account's distinct
/// descriptions. The pattern itself is always checked too: two descriptions may share a hash.
pub(crate) enum TextFilter {
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
            // A few first: a pattern many descriptions match is often common in the log too,
            // and then the newest entries hold the page; listing thousands of descriptions and
            // planning with their hashes would cost more than the page.
            let mut hashes = matching_texts(pool, account_id, &pattern, MERGE_TEXTS + 1).await?;
            if hashes.len() > MERGE_TEXTS {
                if f.username.is_none() {
                    if let Some(page) =
                        newest_matching(pool, account_id, f, &pattern, after, limit).await?
                    {
                        return Ok(page);
                    }
                }
                hashes = matching_texts(pool, account_id, &pattern, MAX_TEXTS + 1).await?;
            }
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
            // First the newest few of each description, which usually settle the page; the
            // page's full share of each only when they do not.
            let few = merge_share(limit, hashes.len());
            if few < limit {
                if let Some(page) =
                    merge_page(pool, account_id, f, text, after, limit, hashes, few).await?
                {
                    return Ok(page);
                }
            }
            merge_query(&mut q, account_id, f, text, after, hashes, limit, limit);
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

/// The hashes of the account's distinct descriptions matching `pattern`, at most `limit`.
async fn matching_texts(
    pool: &PgPool,
    account_id: Uuid,
    pattern: &str,
    limit: usize,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT hashtextextended(description, 0) FROM audit_texts
          WHERE account_id = $1 AND description ILIKE $2 LIMIT $3",
    )
    .bind(account_id)
    .bind(pattern)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    // Planned with the pattern bound: a generic plan cannot tell a pattern the trigram index
    // serves from one it does not, and settles on scanning every description.
    .persistent(false)
    .fetch_all(pool)
    .await
}

/// Entries the newest-first window of a common pattern looks at.
const NEWEST_WINDOW: i64 = 1000;

/// The page of a text filter read from the newest [`NEWEST_WINDOW`] entries that pass the other
/// filters, or None when fewer than `limit` of them match: every entry outside the window is
/// older than every one in it, so `limit` matches in it are the page.
async fn newest_matching(
    pool: &PgPool,
    account_id: Uuid,
    f: &AuditFilter,
    pattern: &str,
    after: Option<AuditKey>,
    limit: i64,
) -> Result<Option<Vec<AuditEntry>>, sqlx::Error> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!("SELECT {AUDIT_COLUMNS} FROM ("));
    audit_select(&mut q, account_id, f, None, after, NEWEST_WINDOW, None);
    q.push(") AS w WHERE description ILIKE ")
        .push_bind(pattern.to_string())
        .push(" ORDER BY at DESC, position DESC LIMIT ")
        .push_bind(limit);
    let page: Vec<AuditEntry> = q.build_query_as().fetch_all(pool).await?;
    Ok((page.len() as i64 >= limit).then_some(page))
}

/// How many of each description's newest entries the first read of a merge takes: enough
/// that, descriptions' entries being spread over time, the page is usually settled by them
/// (three pages' worth in all, at least two each).
fn merge_share(limit: i64, descriptions: usize) -> i64 {
    let descriptions = i64::try_from(descriptions.max(1)).unwrap_or(i64::MAX);
    ((limit * 3 + descriptions - 1) / descriptions + 1).min(limit)
}

/// The newest `outer` of the merge of each description's `per` newest entries (`text_hash` is
/// the description's), newest first.
#[allow(clippy::too_many_arguments)]
fn merge_query<'a>(
    q: &mut QueryBuilder<'a, Postgres>,
    account_id: Uuid,
    f: &AuditFilter,
    text: Option<(&str, &TextFilter)>,
    after: Option<AuditKey>,
    hashes: &[i64],
    per: i64,
    outer: i64,
) {
    q.push("SELECT e.*, h.hash AS text_hash FROM unnest(")
        .push_bind(hashes.to_vec())
        .push("::bigint[]) AS h(hash) CROSS JOIN LATERAL (");
    audit_select(q, account_id, f, text, after, per, None);
    q.push(") AS e ORDER BY e.at DESC, e.position DESC LIMIT ")
        .push_bind(outer);
}

#[derive(sqlx::FromRow)]
struct Merged {
    #[sqlx(flatten)]
    entry: AuditEntry,
    text_hash: i64,
}

/// A merge from each description's `few` newest entries, or None when they do not settle the
/// page. A description that gave fewer than `few` has given all it has; one that gave `few`
/// may have older entries unread, so the merged entries are complete only down to the newest
/// of those descriptions' oldest read entry. The page is settled when `limit` entries lie there.
#[allow(clippy::too_many_arguments)]
async fn merge_page(
    pool: &PgPool,
    account_id: Uuid,
    f: &AuditFilter,
    text: Option<(&str, &TextFilter)>,
    after: Option<AuditKey>,
    limit: i64,
    hashes: &[i64],
    few: i64,
) -> Result<Option<Vec<AuditEntry>>, sqlx::Error> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new("");
    let all = few.saturating_mul(i64::try_from(hashes.len()).unwrap_or(i64::MAX));
    merge_query(&mut q, account_id, f, text, after, hashes, few, all);
    let rows: Vec<Merged> = q.build_query_as().persistent(false).fetch_all(pool).await?;
    let key = |e: &AuditEntry| (e.at, e.position);
    let mut read: std::collections::HashMap<i64, (i64, (DateTime<Utc>, i64))> =
        std::collections::HashMap::new();
    for row in &rows {
        let seen = read.entry(row.text_hash).or_insert((0, key(&row.entry)));
        seen.0 += 1;
        seen.1 = seen.1.min(key(&row.entry));
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // Complete down to (and including) this key; everything read when no description was cut.
    let complete_to = read
        .values()
        .filter(|(count, _)| *count >= few)
        .map(|(_, oldest)| *oldest)
        .max();
    if let Some(bound) = complete_to {
        if rows.iter().take_while(|r| key(&r.entry) >= bound).count() < limit {
            return Ok(None);
        }
    }
    Ok(Some(
        rows.into_iter().take(limit).map(|r| r.entry).collect(),
    ))
}

pub(crate) fn audit_select(
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

pub(crate) fn like_escape(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Logins and failed logins in one hour of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginHour {
    /// The hour's start (UTC).
    pub hour: DateTime<Utc>,
    pub succeeded: i64,
    pub failed: i64,
}

/// The account's logins and failed logins per hour (UTC) between `f.from` and `f.to` (both
/// required; the other filters do not apply), oldest first; hours without any are left out.
/// Reads the hourly counts the audit projection keeps (`audit_login_hours`, migration 0015):
/// one row per hour, whatever the number of logins.
pub async fn audit_login_hours(
    pool: &PgPool,
    account_id: Uuid,
    f: &AuditFilter,
) -> Result<Vec<LoginHour>, sqlx::Error> {
    sqlx::query_as(
        "SELECT hour, succeeded, failed FROM audit_login_hours
          WHERE account_id = $1 AND hour >= date_trunc('hour', $2::timestamptz, 'UTC')
            AND hour < $3 AND (succeeded > 0 OR failed > 0)
          ORDER BY hour",
    )
    .bind(account_id)
    .bind(f.from)
    .bind(f.to)
    .fetch_all(pool)
    .await
}
