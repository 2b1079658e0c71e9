//! Where projections stand: the read-your-writes wait, checkpoints and parked events.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::{Projection, ProjectionStats};

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
