//! Commit batching for the common append: one event, no snapshot due. Concurrent commands hand
//! their event to a few writer tasks; each writer takes whatever has queued (up to a bound) and
//! inserts it in one statement, one transaction, one WAL flush. Under load this turns many
//! single-row transactions into a few multi-row ones. A lone command (no other append under way)
//! writes its event itself with the same statement, skipping the hand-off to a writer task.
//! Decision 0009 records why and what it costs.
//!
//! Each event still succeeds or fails on its own: the statement is `ON CONFLICT DO NOTHING` on
//! the `(aggregate_type, aggregate_id, sequence)` key, and an event whose row is not returned lost
//! the optimistic-concurrency race, exactly as a unique violation would have told it alone. An
//! event is only answered once its transaction has committed, so an acknowledged command is
//! durable. If PostgreSQL refuses a batch's statement (nothing of it stored), each of its events
//! is retried alone, so one bad event cannot fail the commands it happened to share a statement
//! with; after any other error every event of the batch reports it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::supervise::{never_fails, supervised, TaskHealth};

/// How many writers insert at the same time: enough to keep the disk busy while one waits for
/// its flush, few enough that batches form.
pub const DEFAULT_WRITERS: usize = 4;
/// The most events one statement carries.
pub const MAX_BATCH: usize = 128;

/// One event to append.
pub struct Append {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// The event and its metadata as JSON text, written into `jsonb` columns: serialised
    /// straight to text, not built as a `serde_json::Value` tree first.
    pub payload: String,
    pub metadata: String,
}

/// What became of an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Stored at this global position.
    Stored { global_seq: i64 },
    /// Another writer already holds this sequence of the aggregate.
    Conflict,
}

/// Why an append failed; the text is sqlx's, which names no bound value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BatchError {
    #[error("database connection failed: {0}")]
    Connection(String),
    /// PostgreSQL refused the statement: nothing of it was stored.
    #[error("the database refused the event: {0}")]
    Rejected(String),
    /// Anything else; whether the batch was stored is not known.
    #[error("appending the event failed: {0}")]
    Other(String),
}

impl From<sqlx::Error> for BatchError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => Self::Connection(err.to_string()),
            sqlx::Error::Database(_) => Self::Rejected(err.to_string()),
            other => Self::Other(other.to_string()),
        }
    }
}

type Reply = oneshot::Sender<Result<Appended, BatchError>>;
type Queue = Arc<Mutex<mpsc::Receiver<(Append, Reply)>>>;

const INSERT_SQL: &str = "
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT t, id, seq, et, ev, p::jsonb, m::jsonb
  FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
    AS u(t, id, seq, et, ev, p, m)
ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING
RETURNING aggregate_type, aggregate_id, sequence, global_seq";

/// The handle commands append through; clones share the writers, which stop when the last
/// clone is dropped.
#[derive(Clone)]
pub struct AppendBatcher {
    queue: mpsc::Sender<(Append, Reply)>,
    pool: PgPool,
    /// Appends under way, queued or being written.
    in_flight: Arc<AtomicUsize>,
    health: Arc<TaskHealth>,
}

/// One append counted in `in_flight` until it is answered (or its caller gives up).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// Counts an append in; true when it is the only one under way.
    fn enter(count: &Arc<AtomicUsize>) -> (Self, bool) {
        let before = count.fetch_add(1, Ordering::AcqRel);
        (Self(Arc::clone(count)), before == 0)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AppendBatcher {
    /// Starts `writers` writer tasks on the current Tokio runtime; None outside one.
    pub fn spawn(pool: PgPool, writers: usize) -> Option<Self> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH * writers.max(1));
        let rx: Queue = Arc::new(Mutex::new(rx));
        let health = Arc::new(TaskHealth::new("append writers", writers.max(1)));
        for _ in 0..writers.max(1) {
            let (pool, rx) = (pool.clone(), rx.clone());
            runtime.spawn(supervised(Arc::clone(&health), move || {
                never_fails(writer(pool.clone(), rx.clone()))
            }));
        }
        Some(Self {
            queue,
            pool,
            in_flight: Arc::default(),
            health,
        })
    }

    /// The writer tasks' state.
    pub fn health(&self) -> &Arc<TaskHealth> {
        &self.health
    }

    pub async fn append(&self, append: Append) -> Result<Appended, BatchError> {
        let (_counted, alone) = InFlight::enter(&self.in_flight);
        if alone {
            // Nothing to share a statement with: the same statement, written here, without the
            // hand-off to a writer task and back (two task wake-ups, often on the other core).
            // Appends that come meanwhile queue for the writers as usual.
            let stored = insert(&self.pool, &[&append]).await?;
            return Ok(outcome(&stored, &append));
        }
        let stopped = || BatchError::Other("the append writers stopped".into());
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((append, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Takes what has queued (waiting for the first), inserts it, answers, again.
async fn writer(pool: PgPool, queue: Queue) {
    loop {
        let mut batch = Vec::new();
        {
            let mut rx = queue.lock().await;
            match rx.recv().await {
                Some(first) => batch.push(first),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
        }
        // A command whose caller has gone (its request was cancelled) is not written, as it
        // would not have been had it been waiting for a connection itself.
        batch.retain(|(_, reply)| !reply.is_closed());
        if !batch.is_empty() {
            write(&pool, batch).await;
        }
    }
}

type Key = (String, String, i64);

/// An append's key, borrowed: what batches are ordered and de-duplicated by.
fn key_of(append: &Append) -> (&str, &str, i64) {
    (append.aggregate_type, &append.aggregate_id, append.sequence)
}

/// What became of `append`, given the rows its statement stored.
fn outcome(stored: &HashMap<Key, i64>, append: &Append) -> Appended {
    let (t, id, seq) = key_of(append);
    match stored.get(&(t.to_string(), id.to_string(), seq)) {
        Some(&global_seq) => Appended::Stored { global_seq },
        None => Appended::Conflict,
    }
}

async fn write(pool: &PgPool, mut batch: Vec<(Append, Reply)>) {
    // One key order for every batch: two batches never wait on each other's rows in opposite
    // orders (a deadlock PostgreSQL would break by failing one of them).
    batch.sort_by(|(a, _), (b, _)| key_of(a).cmp(&key_of(b)));
    // Two events for the same sequence of one aggregate: only the first can win.
    let mut rows: Vec<(Append, Reply)> = Vec::with_capacity(batch.len());
    for (append, reply) in batch {
        let same = rows
            .last()
            .is_some_and(|(prev, _)| key_of(prev) == key_of(&append));
        if same {
            let _ = reply.send(Ok(Appended::Conflict));
        } else {
            rows.push((append, reply));
        }
    }
    let appends: Vec<&Append> = rows.iter().map(|(a, _)| a).collect();
    match insert(pool, &appends).await {
        Ok(stored) => {
            for (append, reply) in rows {
                let _ = reply.send(Ok(outcome(&stored, &append)));
            }
        }
        // The database refused the statement, so none of it is stored: each event alone, so
        // only the faulty one fails. (After any other error the batch may have been committed:
        // retrying would find its own rows and report them as conflicts.)
        Err(err @ BatchError::Rejected(_)) if rows.len() > 1 => {
            tracing::warn!(%err, events = rows.len(), "batched append failed; appending one by one");
            for (append, reply) in rows {
                let result = insert(pool, &[&append]).await;
                let _ = reply.send(result.map(|stored| outcome(&stored, &append)));
            }
        }
        Err(err) => {
            for (_, reply) in rows {
                let _ = reply.send(Err(err.clone()));
            }
        }
    }
}

/// Inserts the rows in one statement; returns the global position of each row stored.
async fn insert(pool: &PgPool, rows: &[&Append]) -> Result<HashMap<Key, i64>, BatchError> {
    let types: Vec<&str> = rows.iter().map(|a| a.aggregate_type).collect();
    let ids: Vec<&str> = rows.iter().map(|a| a.aggregate_id.as_str()).collect();
    let seqs: Vec<i64> = rows.iter().map(|a| a.sequence).collect();
    let event_types: Vec<&str> = rows.iter().map(|a| a.event_type.as_str()).collect();
    let versions: Vec<&str> = rows.iter().map(|a| a.event_version.as_str()).collect();
    let payloads: Vec<&str> = rows.iter().map(|a| a.payload.as_str()).collect();
    let metas: Vec<&str> = rows.iter().map(|a| a.metadata.as_str()).collect();
    let stored: Vec<(String, String, i64, i64)> = sqlx::query_as(INSERT_SQL)
        .bind(&types)
        .bind(&ids)
        .bind(&seqs)
        .bind(&event_types)
        .bind(&versions)
        .bind(&payloads)
        .bind(&metas)
        .fetch_all(pool)
        .await?;
    Ok(stored
        .into_iter()
        .map(|(t, id, seq, global_seq)| ((t, id, seq), global_seq))
        .collect())
}
