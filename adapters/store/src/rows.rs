//! Rows of the `events` table as the relay, the rebuilds and the history queries read them: the
//! relay's order (`(tx_id, global_seq)` cursors), the commit horizon, and the public envelope of a
//! row. Nothing else reads `events` outside this crate.

use chronid_domain::metadata::{self as meta, Actor, ActorKind};
use chronid_domain::public::{into_public_data, PublicEnvelope};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Aggregate type of the internal uniqueness reservations: stored, never published nor projected.
pub const RESERVATION_AGGREGATE_TYPE: &str = "reservation";

/// Where a message stands in the relay's order: the (tx_id, global_seq) cursor of its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub tx_id: u64,
    pub global_seq: i64,
}

/// The `SELECT ... FROM events e` that reads [`EventRow`]s; callers add WHERE and ORDER BY.
/// `tx_text`, not `tx_id`: ORDER BY a bare name binds to an output column first, and ordering by
/// the text of xids puts 10000 before 9999; order by `e.tx_id`.
pub const EVENT_ROWS: &str = "SELECT e.aggregate_type, e.aggregate_id, e.sequence, \
     e.event_type, e.event_version, e.payload, e.metadata, e.global_seq, \
     e.tx_id::text AS tx_text, e.recorded_at FROM events e";

#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: sqlx::types::Json<RowMetadata>,
    pub global_seq: i64,
    /// `tx_id` as decimal text (xid8 has no Rust type in sqlx).
    pub tx_text: String,
    pub recorded_at: DateTime<Utc>,
}

/// The events after `after` in the relay's order, at most `limit`: up to `upto` when given, else
/// up to the commit horizon (no transaction still running can commit an event before the last
/// one read). Shared by the relay and the rebuilds, which read the store in the same order.
pub async fn rows_after<'e, E: sqlx::PgExecutor<'e>>(
    exec: E,
    after: Cursor,
    upto: Option<Cursor>,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    // Two statements rather than one with optional bounds, so each gets a plain plan.
    let end = match upto {
        Some(_) => "(e.tx_id, e.global_seq) <= ($5::text::xid8, $6)",
        None => "e.tx_id < pg_snapshot_xmin(pg_current_snapshot())",
    };
    let sql = format!(
        "{EVENT_ROWS}
          WHERE (e.tx_id, e.global_seq) > ($1::text::xid8, $2)
            AND {end}
            AND e.aggregate_type <> $3
          ORDER BY e.tx_id, e.global_seq
          LIMIT $4"
    );
    let query = sqlx::query_as(&sql)
        .bind(after.tx_id.to_string())
        .bind(after.global_seq)
        .bind(RESERVATION_AGGREGATE_TYPE)
        .bind(limit);
    let query = match upto {
        Some(c) => query.bind(c.tx_id.to_string()).bind(c.global_seq),
        None => query,
    };
    query.fetch_all(exec).await
}

/// The metadata the store writes beside each event (string values; other keys ignored), read
/// straight into fields rather than a JSON tree: the relay decodes one per published event.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RowMetadata {
    event_id: Option<String>,
    account_id: Option<String>,
    actor_kind: Option<String>,
    actor_id: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    correlation_id: Option<String>,
    occurred_at: Option<String>,
}

/// The public envelope of a row; the error names the faulty field, never its value.
#[inline]
pub fn envelope(row: EventRow) -> Result<PublicEnvelope, String> {
    let m = row.metadata.0;
    let uuid = |key: &str, raw: Option<&str>| -> Result<Uuid, String> {
        let raw = raw.ok_or_else(|| format!("metadata {key} missing"))?;
        Uuid::parse_str(raw).map_err(|_| format!("metadata {key} is not a UUID"))
    };
    let kind = m
        .actor_kind
        .as_deref()
        .and_then(ActorKind::parse)
        .ok_or_else(|| format!("metadata {} missing or unknown", meta::ACTOR_KIND))?;
    let actor_id = match m.actor_id.as_deref() {
        Some(raw) => Some(uuid(meta::ACTOR_ID, Some(raw))?),
        None => None,
    };
    let occurred_at = match m.occurred_at.as_deref() {
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map_err(|_| format!("metadata {} is not RFC 3339", meta::OCCURRED_AT))?
            .with_timezone(&Utc),
        None => row.recorded_at,
    };
    let id = uuid(meta::EVENT_ID, m.event_id.as_deref())?;
    let account_id = uuid(meta::ACCOUNT_ID, m.account_id.as_deref())?;
    let aggregate_id =
        Uuid::parse_str(&row.aggregate_id).map_err(|_| "aggregate_id is not a UUID".to_string())?;
    Ok(PublicEnvelope {
        id,
        event_type: row.event_type,
        version: row.event_version,
        aggregate_type: row.aggregate_type,
        aggregate_id,
        sequence: row.sequence,
        position: row.global_seq,
        account_id,
        occurred_at,
        recorded_at: row.recorded_at,
        actor: Actor { kind, id: actor_id },
        ip: m.ip,
        user_agent: m.user_agent,
        correlation_id: m.correlation_id,
        data: into_public_data(row.payload),
    })
}

#[inline]
pub fn parse_xid8(raw: &str) -> Option<u64> {
    raw.trim().parse().ok()
}

/// The Msg-Id (`{aggregate_type}:{aggregate_id}:{sequence}`) of the event at `at`, if this
/// database has one there: the relay checks the stream's tail against it.
pub async fn msg_id_at(pool: &PgPool, at: Cursor) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT aggregate_type || ':' || aggregate_id || ':' || sequence FROM events
          WHERE tx_id = $1::text::xid8 AND global_seq = $2",
    )
    .bind(at.tx_id.to_string())
    .bind(at.global_seq)
    .fetch_optional(pool)
    .await
}

/// The relay cursor of the event at `position`, if there is one.
pub async fn cursor_of(pool: &PgPool, position: i64) -> Result<Option<Cursor>, sqlx::Error> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT tx_id::text, global_seq FROM events WHERE global_seq = $1")
            .bind(position)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(tx, global_seq)| parse_xid8(&tx).map(|tx_id| Cursor { tx_id, global_seq })))
}

/// How many published events (reservations left out) lie below the commit horizon now: what a
/// rebuild from the store will read.
pub async fn count_below_horizon(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type <> $1
            AND tx_id < pg_snapshot_xmin(pg_current_snapshot())",
    )
    .bind(RESERVATION_AGGREGATE_TYPE)
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(total).unwrap_or(0))
}

/// A user's events from the store, in sequence order, in their public form.
pub async fn user_history(
    pool: &PgPool,
    account_id: Uuid,
    user_id: Uuid,
    page: HistoryPage,
) -> Result<Vec<PublicEnvelope>, HistoryError> {
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "{EVENT_ROWS} WHERE e.aggregate_type = 'user' AND e.aggregate_id = $1 AND e.sequence > $2
            AND ($4::timestamptz IS NULL OR (e.metadata ->> 'occurred_at')::timestamptz <= $4)
          ORDER BY e.sequence LIMIT $3"
    ))
    .bind(user_id.to_string())
    .bind(page.after_sequence)
    .bind(page.limit)
    .bind(page.until)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let env = envelope(row).map_err(HistoryError::Envelope)?;
        if env.account_id != account_id {
            return Ok(Vec::new());
        }
        out.push(env);
    }
    Ok(out)
}

/// Which part of a user's history to read: the events after a sequence, at most `limit`, and
/// none that occurred after `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage {
    pub after_sequence: i64,
    pub limit: i64,
    pub until: Option<DateTime<Utc>>,
}

impl HistoryPage {
    /// Every event, up to `until` if given.
    pub fn all(until: Option<DateTime<Utc>>) -> Self {
        Self {
            after_sequence: 0,
            limit: i64::MAX,
            until,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored event cannot be read: {0}")]
    Envelope(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(metadata: Value) -> EventRow {
        let metadata = sqlx::types::Json(serde_json::from_value(metadata).unwrap());
        EventRow {
            aggregate_type: "user".into(),
            aggregate_id: "0190a0d0-0000-7000-8000-000000000001".into(),
            sequence: 3,
            event_type: "UserRegistered".into(),
            event_version: "1".into(),
            payload: json!({"UserRegistered": {"email": "a@b.c", "password_hash": "x"}}),
            metadata,
            global_seq: 42,
            tx_text: "777".into(),
            recorded_at: DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn row_metadata_reads_the_keys_the_store_writes() {
        let keys = [
            meta::EVENT_ID,
            meta::ACCOUNT_ID,
            meta::ACTOR_KIND,
            meta::ACTOR_ID,
            meta::IP,
            meta::USER_AGENT,
            meta::CORRELATION_ID,
            meta::OCCURRED_AT,
        ];
        let doc: serde_json::Map<String, Value> =
            keys.iter().map(|k| (k.to_string(), json!(k))).collect();
        let m: RowMetadata = serde_json::from_value(Value::Object(doc)).unwrap();
        let read = [
            m.event_id,
            m.account_id,
            m.actor_kind,
            m.actor_id,
            m.ip,
            m.user_agent,
            m.correlation_id,
            m.occurred_at,
        ];
        for (key, value) in keys.iter().zip(read) {
            assert_eq!(value.as_deref(), Some(*key));
        }
    }

    #[test]
    fn envelope_from_row() {
        let ok = json!({
            "event_id": "0190a0d0-0000-7000-8000-0000000000aa",
            "account_id": "0190a0d0-0000-7000-8000-0000000000bb",
            "actor_kind": "system",
        });
        let e = envelope(row(ok)).unwrap();
        assert_eq!(e.position, 42);
        assert_eq!(e.occurred_at, e.recorded_at);
        assert_eq!(e.data, json!({"email": "a@b.c"}));
        assert_eq!(e.actor, Actor::system());
        let missing =
            json!({"account_id": "0190a0d0-0000-7000-8000-0000000000bb", "actor_kind": "system"});
        assert!(envelope(row(missing)).unwrap_err().contains("event_id"));
    }

    #[test]
    fn cursor_order() {
        let a = Cursor {
            tx_id: 5,
            global_seq: 100,
        };
        let b = Cursor {
            tx_id: 6,
            global_seq: 1,
        };
        assert!(a < b);
        assert_eq!(Some(a).max(None), Some(a));
    }
}
