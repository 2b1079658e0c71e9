//! Applying a batch of events to a projection's tables in one transaction, with its
//! checkpoint: what the live worker and the rebuilds share.

use chronid_domain::public::PublicEnvelope;
use chronid_projections::{Applied, ProjectionError};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tables::Tables;
use uuid::Uuid;

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

    /// Loads the rows `batch` needs that are not in memory yet.
    pub async fn load(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        batch: &[PublicEnvelope],
    ) -> Result<(), sqlx::Error> {
        if let Some(sql) = self.load_query(tables, batch) {
            let rows = (&mut *conn).fetch_all(sqlx::raw_sql(&sql)).await?;
            self.absorb(rows)?;
        }
        Ok(())
    }

    /// The statement reading the rows `batch` needs (see the projections' own `load_query`).
    pub fn load_query(&mut self, tables: &Tables, batch: &[PublicEnvelope]) -> Option<String> {
        match self {
            Self::Users(s) => s.load_query(tables, batch),
            Self::Audit(s) => s.load_query(tables, batch),
        }
    }

    pub fn absorb(&mut self, rows: Vec<sqlx::postgres::PgRow>) -> Result<(), sqlx::Error> {
        match self {
            Self::Users(s) => s.absorb(rows),
            Self::Audit(s) => s.absorb(rows),
        }
    }

    /// Writes the changed rows and moves the checkpoint in one statement.
    pub async fn save_with_checkpoint(
        &mut self,
        conn: &mut PgConnection,
        tables: &Tables,
        checkpoint: &Checkpoint,
    ) -> Result<(), sqlx::Error> {
        match self {
            Self::Users(s) => s.save_with_checkpoint(conn, tables, checkpoint).await,
            Self::Audit(s) => s
                .save_with_checkpoint(conn, tables, checkpoint)
                .await
                .map(|_| ()),
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
    // Detached: were this future dropped inside the transaction, the connection closes (and the
    // server rolls back) instead of going back to the pool mid-transaction.
    let mut conn = pool.acquire().await?.detach();
    let counts = apply_batch_on(&mut conn, projection, batch).await;
    let _ = conn.close().await;
    counts
}

/// [`apply_batch`] on a given connection. Workers use a connection of their own, never one from
/// a pool: a worker that dies mid-transaction takes its connection with it, instead of handing a
/// half-finished transaction to the pool's next user.
///
/// Three round trips, however many events and views: `BEGIN` with the read of the rows the
/// batch touches, one statement writing the changed rows with the checkpoint, `COMMIT`.
pub async fn apply_batch_on(
    conn: &mut PgConnection,
    projection: Projection,
    batch: &[Incoming],
) -> Result<Counts, BatchError> {
    let result = apply_in_transaction(conn, projection, batch).await;
    if result.is_err() {
        // The transaction may be open (a failed statement leaves it aborted); outside one,
        // ROLLBACK only warns. A dead connection fails here too, which the caller finds out.
        let _ = (&mut *conn).execute(sqlx::raw_sql("ROLLBACK")).await;
    }
    result
}

async fn apply_in_transaction(
    conn: &mut PgConnection,
    projection: Projection,
    batch: &[Incoming],
) -> Result<Counts, BatchError> {
    let tables = Tables::live();
    let envelopes: Vec<PublicEnvelope> = batch.iter().map(|m| m.envelope.clone()).collect();
    let mut state = State::live(projection);
    // No wait for the WAL flush: a crash may lose the last batches' rows *and* their checkpoint
    // together, and the consumer, recreated from that checkpoint, delivers them again. Sent
    // with the BEGIN and the read, in one message (the simple protocol, no parameters: the
    // read names only UUIDs).
    let mut open = String::from("BEGIN; SET LOCAL synchronous_commit = off");
    if let Some(read) = state.load_query(&tables, &envelopes) {
        open.push_str("; ");
        open.push_str(&read);
    }
    let rows = (&mut *conn).fetch_all(sqlx::raw_sql(&open)).await?;
    state.absorb(rows)?;
    let mut counts = Counts::default();
    for env in &envelopes {
        state.apply(env, &mut counts)?;
    }
    if let Some(last) = batch.iter().max_by_key(|m| (m.cursor, m.stream_seq)) {
        let checkpoint = Checkpoint {
            projection,
            stream_seq: batch.iter().map(|m| m.stream_seq).max().unwrap_or(0),
            cursor: last.cursor,
            applied: counts.changed,
        };
        state
            .save_with_checkpoint(&mut *conn, &tables, &checkpoint)
            .await?;
    }
    (&mut *conn).execute(sqlx::raw_sql("COMMIT")).await?;
    Ok(counts)
}

/// Where a projection stands after a batch.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    pub projection: Projection,
    pub stream_seq: u64,
    pub cursor: Cursor,
    /// Events the batch changed something for, added to the projection's count.
    pub applied: u64,
}

impl Checkpoint {
    /// The checkpoint as the one parameter of [`checkpoint_upsert`].
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "projection": self.projection.name(),
            "stream_seq": i64::try_from(self.stream_seq).unwrap_or(i64::MAX),
            "tx_id": self.cursor.tx_id.to_string(),
            "global_seq": self.cursor.global_seq,
            "applied": i64::try_from(self.applied).unwrap_or(i64::MAX),
        })
    }
}

/// The statement moving a projection's checkpoint forward (never back: a redelivered batch
/// leaves it alone), given the parameter holding [`Checkpoint::json`].
pub(crate) fn checkpoint_upsert(param: &str) -> String {
    format!(
        "INSERT INTO projection_checkpoints AS c (projection, stream_seq, tx_id, global_seq, applied)
         SELECT k->>'projection', (k->>'stream_seq')::bigint, (k->>'tx_id')::xid8,
                (k->>'global_seq')::bigint, (k->>'applied')::bigint
           FROM (SELECT {param}::jsonb AS k) AS given
         ON CONFLICT (projection) DO UPDATE SET
             stream_seq = GREATEST(c.stream_seq, EXCLUDED.stream_seq),
             tx_id = CASE WHEN (EXCLUDED.tx_id, EXCLUDED.global_seq) > (c.tx_id, c.global_seq)
                          THEN EXCLUDED.tx_id ELSE c.tx_id END,
             global_seq = CASE WHEN (EXCLUDED.tx_id, EXCLUDED.global_seq) > (c.tx_id, c.global_seq)
                               THEN EXCLUDED.global_seq ELSE c.global_seq END,
             applied = c.applied + EXCLUDED.applied,
             updated_at = now()"
    )
}

/// Moves a projection's checkpoint forward on its own (a parked message).
pub(crate) async fn save_checkpoint(
    conn: &mut PgConnection,
    projection: Projection,
    stream_seq: u64,
    cursor: Cursor,
    applied: u64,
) -> Result<(), sqlx::Error> {
    let checkpoint = Checkpoint {
        projection,
        stream_seq,
        cursor,
        applied,
    };
    sqlx::query(&checkpoint_upsert("$1"))
        .bind(checkpoint.json())
        .execute(conn)
        .await?;
    Ok(())
}

/// A UUID array literal, for statements sent without parameters (UUIDs format as hex digits
/// and dashes only).
pub(crate) fn uuid_array(ids: &[Uuid]) -> String {
    let mut out = String::with_capacity(ids.len() * 37 + 12);
    out.push_str("'{");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.hyphenated().to_string());
    }
    out.push_str("}'::uuid[]");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_array_is_a_literal_of_hyphenated_ids_only() {
        let a = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let b = Uuid::nil();
        assert_eq!(
            uuid_array(&[a, b]),
            "'{01234567-89ab-cdef-0123-456789abcdef,00000000-0000-0000-0000-000000000000}'::uuid[]"
        );
        assert_eq!(uuid_array(&[]), "'{}'::uuid[]");
    }
}
