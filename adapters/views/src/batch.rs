//! Applying a batch of events to a projection's tables in one transaction, with its
//! checkpoint: what the live worker and the rebuilds share.

use chronid_domain::public::PublicEnvelope;
use chronid_projections::{Applied, ProjectionError};
use sqlx::{Connection, PgConnection, PgPool};
use tables::Tables;

use super::*;

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub changed: u64,
    pub stale: u64,
    pub ignored: u64,
}

impl Counts {
    pub fn record(&mut self, applied: Applied) {
        match applied {
            Applied::Changed => self.changed += 1,
            Applied::Stale => self.stale += 1,
            Applied::Ignored => self.ignored += 1,
        }
    }
}

/// A projection's in-memory state, for one live batch or a whole rebuild (one per worker, so
/// the size difference of the variants does not matter).
#[allow(clippy::large_enum_variant)]
pub enum State {
    Users(users::UsersState),
    Audit(audit::AuditState),
}

impl State {
    /// The state of a live batch (rows are loaded from the tables).
    pub fn live(projection: Projection) -> Self {
        match projection {
            Projection::Users => Self::Users(users::UsersState::default()),
            Projection::Audit => Self::Audit(audit::AuditState::default()),
        }
    }

    /// The state of a rebuild into empty tables (everything stays in memory).
    pub fn rebuild(projection: Projection) -> Self {
        match projection {
            Projection::Users => Self::Users(users::UsersState::complete()),
            Projection::Audit => Self::Audit(audit::AuditState::complete()),
        }
    }

    pub async fn load(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        batch: &[PublicEnvelope],
    ) -> Result<(), sqlx::Error> {
        match self {
            Self::Users(s) => s.load(conn, tables, batch).await,
            Self::Audit(s) => s.load(conn, tables, batch).await,
        }
    }

    pub fn apply(
        &mut self,
        env: &PublicEnvelope,
        counts: &mut Counts,
    ) -> Result<(), ProjectionError> {
        match self {
            Self::Users(s) => s.apply(env, counts),
            Self::Audit(s) => s.apply(env, counts),
        }
    }

    pub async fn save(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
    ) -> Result<(), sqlx::Error> {
        match self {
            Self::Users(s) => s.save(conn, tables).await,
            Self::Audit(s) => s.save(conn, tables).await.map(|_| ()),
        }
    }

    pub fn clear(&mut self) {
        match self {
            Self::Users(s) => s.clear(),
            Self::Audit(s) => s.clear(),
        }
    }
}

/// A message read from the stream and decoded.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub stream_seq: u64,
    pub cursor: Cursor,
    pub envelope: PublicEnvelope,
}

/// Why a batch could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The event cannot be applied: retrying may not help; parked after the retries.
    #[error("{0}")]
    Event(#[from] ProjectionError),
    /// The message is not a chronid envelope.
    #[error("undecodable message: {0}")]
    Message(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl BatchError {
    /// Whether the failure is of the infrastructure (retried without limit, never parked).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Event(_) | Self::Message(_) => false,
            Self::Db(e) => match e {
                sqlx::Error::Database(db) => !db
                    .code()
                    .is_some_and(|c| c.starts_with("22") || c.starts_with("23")),
                sqlx::Error::Decode(_)
                | sqlx::Error::ColumnDecode { .. }
                | sqlx::Error::Encode(_)
                | sqlx::Error::TypeNotFound { .. } => false,
                _ => true,
            },
        }
    }
}

/// Applies `batch` (in stream order) to the live tables and moves the checkpoint, in one
/// transaction on a connection from `pool`.
pub async fn apply_batch(
    pool: &PgPool,
    projection: Projection,
    batch: &[Incoming],
) -> Result<Counts, BatchError> {
    let mut conn = pool.acquire().await?;
    apply_batch_on(&mut conn, projection, batch).await
}

/// [`apply_batch`] on a given connection. Workers use a connection of their own, never one from
/// a pool: a worker that dies mid-transaction takes its connection with it, instead of handing a
/// half-finished transaction to the pool's next user.
pub async fn apply_batch_on(
    conn: &mut PgConnection,
    projection: Projection,
    batch: &[Incoming],
) -> Result<Counts, BatchError> {
    let tables = Tables::live();
    let envelopes: Vec<PublicEnvelope> = batch.iter().map(|m| m.envelope.clone()).collect();
    // No wait for the WAL flush: a crash may lose the last batches' rows *and* their checkpoint
    // together, and the consumer, recreated from that checkpoint, delivers them again. Set with
    // the BEGIN, in one round trip.
    let mut tx = conn
        .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
        .await?;
    let mut state = State::live(projection);
    state.load(&mut tx, &tables, &envelopes).await?;
    let mut counts = Counts::default();
    for env in &envelopes {
        state.apply(env, &mut counts)?;
    }
    state.save(&mut tx, &tables).await?;
    if let Some(last) = batch.iter().max_by_key(|m| (m.cursor, m.stream_seq)) {
        let max_seq = batch.iter().map(|m| m.stream_seq).max().unwrap_or(0);
        save_checkpoint(&mut tx, projection, max_seq, last.cursor, counts.changed).await?;
    }
    tx.commit().await?;
    Ok(counts)
}

/// Moves a projection's checkpoint forward (never back: a redelivered batch leaves it alone).
pub(crate) async fn save_checkpoint(
    conn: &mut PgConnection,
    projection: Projection,
    stream_seq: u64,
    cursor: Cursor,
    applied: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints AS c (projection, stream_seq, tx_id, global_seq, applied)
         VALUES ($1, $2, $3::text::xid8, $4, $5)
         ON CONFLICT (projection) DO UPDATE SET
             stream_seq = GREATEST(c.stream_seq, EXCLUDED.stream_seq),
             tx_id = CASE WHEN (EXCLUDED.tx_id, EXCLUDED.global_seq) > (c.tx_id, c.global_seq)
                          THEN EXCLUDED.tx_id ELSE c.tx_id END,
             global_seq = CASE WHEN (EXCLUDED.tx_id, EXCLUDED.global_seq) > (c.tx_id, c.global_seq)
                               THEN EXCLUDED.global_seq ELSE c.global_seq END,
             applied = c.applied + EXCLUDED.applied,
             updated_at = now()",
    )
    .bind(projection.name())
    .bind(i64::try_from(stream_seq).unwrap_or(i64::MAX))
    .bind(cursor.tx_id.to_string())
    .bind(cursor.global_seq)
    .bind(i64::try_from(applied).unwrap_or(i64::MAX))
    .execute(conn)
    .await?;
    Ok(())
}
