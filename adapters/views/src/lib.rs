//! The projection workers: one durable JetStream pull consumer per projection, explicit acks.
//!
//! A worker takes the messages that are ready (up to a batch), loads the view rows they touch,
//! folds them with the pure logic of `chronid_projections`, and writes the rows and its
//! checkpoint in one PostgreSQL transaction; only then does it ack. A crash before the commit
//! redelivers the batch; a crash after it redelivers messages whose effect is already stored,
//! which the rows' last applied sequence (views) and the event key (audit log) turn into no-ops.
//!
//! A batch that fails is taken apart and its messages applied one by one. A message whose event
//! cannot be applied is retried with backoff, then parked in `projection_failed_events` (counted
//! in /metrics, listed by `chronid projections status`) and acked; database outages are retried
//! without limit and park nothing. One worker per projection is active per database (advisory
//! lock): a second node waits as a standby.

pub mod audit;
pub mod export;
pub mod query;
pub mod replay;
pub mod tables;
pub mod users;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use chronid_domain::public::PublicEnvelope;
use chronid_projections::{Applied, ProjectionError};
use futures::StreamExt;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{watch, Notify};

use chronid_store::leader::{Candidate, Leader, LockKey};
pub use chronid_store::Cursor;
use chronid_stream::{StreamConfig, HEADER_TX_ID};
use tables::Tables;

const LOG_TARGET: &str = "chronid::projection";

/// The projections chronid maintains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Projection {
    /// Users, devices, teams and accounts.
    Users,
    /// The audit log.
    Audit,
}

impl Projection {
    pub const ALL: [Projection; 2] = [Projection::Users, Projection::Audit];

    pub fn name(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Audit => "audit",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == raw)
    }

    /// The durable consumer's name on the events stream.
    pub fn durable_name(self) -> String {
        format!("chronid_{}", self.name())
    }
}

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
    let mut tx = conn.begin().await?;
    // No wait for the WAL flush: a crash may lose the last batches' rows *and* their checkpoint
    // together, and the consumer, recreated from that checkpoint, delivers them again.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
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
async fn save_checkpoint(
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

/// What a worker has done, for /metrics and tests.
#[derive(Debug, Default)]
pub struct ProjectionStats {
    active: AtomicBool,
    applied: AtomicU64,
    stale: AtomicU64,
    batches: AtomicU64,
    retries: AtomicU64,
    parked: AtomicU64,
    errors: AtomicU64,
    last_stream_seq: AtomicU64,
    last_position: AtomicI64,
    progress: Notify,
}

impl ProjectionStats {
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }
    pub fn stale(&self) -> u64 {
        self.stale.load(Ordering::Relaxed)
    }
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
    pub fn parked(&self) -> u64 {
        self.parked.load(Ordering::Relaxed)
    }
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
    pub fn last_stream_seq(&self) -> u64 {
        self.last_stream_seq.load(Ordering::Relaxed)
    }
    pub fn last_position(&self) -> i64 {
        self.last_position.load(Ordering::Relaxed)
    }
    /// Resolves at this worker's next commit (readers waiting for a position use it as a hint
    /// and re-check the database).
    pub async fn progressed(&self) {
        self.progress.notified().await;
    }

    fn committed(&self, batch: &[Incoming], counts: Counts) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.applied.fetch_add(counts.changed, Ordering::Relaxed);
        self.stale.fetch_add(counts.stale, Ordering::Relaxed);
        if let Some(seq) = batch.iter().map(|m| m.stream_seq).max() {
            self.last_stream_seq.fetch_max(seq, Ordering::Relaxed);
        }
        if let Some(pos) = batch.iter().map(|m| m.envelope.position).max() {
            self.last_position.fetch_max(pos, Ordering::Relaxed);
        }
        self.progress.notify_waiters();
    }
}

/// Tuning of a worker.
#[derive(Debug, Clone)]
pub struct ProjectionOptions {
    /// Most messages applied in one transaction.
    pub batch_size: usize,
    /// Tries of an event that cannot be applied before it is parked.
    pub max_attempts: u32,
    /// First retry delay; doubles up to `max_backoff`.
    pub retry_delay: Duration,
    pub max_backoff: Duration,
    /// How long JetStream waits for an ack before redelivering.
    pub ack_wait: Duration,
    /// How often a standby tries to become active.
    pub standby_poll: Duration,
}

impl Default for ProjectionOptions {
    fn default() -> Self {
        Self {
            batch_size: 500,
            max_attempts: 5,
            retry_delay: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            ack_wait: Duration::from_secs(30),
            standby_poll: Duration::from_secs(1),
        }
    }
}

/// One projection's worker.
pub struct ProjectionWorker {
    pool: PgPool,
    js: jetstream::Context,
    stream: StreamConfig,
    projection: Projection,
    options: ProjectionOptions,
    stats: Arc<ProjectionStats>,
}

enum Exit {
    Shutdown,
    Restart,
}

/// What to do after a chunk of messages.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Shutdown,
    /// The worker's connection is gone: start over (reconnect, relock, recreate the consumer).
    Restart,
}

impl ProjectionWorker {
    pub fn new(
        pool: PgPool,
        js: jetstream::Context,
        stream: StreamConfig,
        projection: Projection,
        options: ProjectionOptions,
    ) -> Self {
        Self {
            pool,
            js,
            stream,
            projection,
            options,
            stats: Arc::new(ProjectionStats::default()),
        }
    }

    pub fn stats(&self) -> Arc<ProjectionStats> {
        Arc::clone(&self.stats)
    }

    /// Runs until `shutdown` turns true: waits for the projection's lock, then consumes. Every
    /// failure is logged and retried.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let name = self.projection.name();
        let mut backoff = self.options.retry_delay;
        let mut candidate = Candidate::new(LockKey::projection(name));
        loop {
            if *shutdown.borrow() {
                return;
            }
            let lock = match candidate.try_lead(&self.pool).await {
                Ok(Some(leader)) => leader,
                Ok(None) => {
                    if sleep_or_shutdown(&mut shutdown, self.options.standby_poll).await {
                        return;
                    }
                    continue;
                }
                Err(error) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: LOG_TARGET, projection = name, %error, "cannot try the projection lock");
                    if sleep_or_shutdown(&mut shutdown, backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(self.options.max_backoff);
                    continue;
                }
            };
            tracing::info!(target: LOG_TARGET, projection = name, "projection worker active");
            self.stats.active.store(true, Ordering::Relaxed);
            let exit = self.active(lock, &mut shutdown).await;
            self.stats.active.store(false, Ordering::Relaxed);
            match exit {
                Ok(Exit::Shutdown) => return,
                Ok(Exit::Restart) => backoff = self.options.retry_delay,
                Err(error) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: LOG_TARGET, projection = name, %error, "projection worker stopped; restarting");
                    if sleep_or_shutdown(&mut shutdown, backoff).await {
                        return;
                    }
                    backoff = (backoff * 2).min(self.options.max_backoff);
                }
            }
        }
    }

    async fn consumer(&self) -> Result<consumer::PullConsumer, anyhow_like::Error> {
        let stream = self
            .js
            .get_stream(&self.stream.stream)
            .await
            .map_err(anyhow_like::Error::from_display)?;
        // The consumer is made anew at every activation, starting right after the checkpoint
        // committed with the rows. An old consumer would redeliver the previous worker's unacked
        // messages only after ack_wait, behind newer ones, and a newer event applied first
        // makes the older one look stale: its change would be lost.
        let checkpoint: Option<i64> = sqlx::query_scalar(
            "SELECT stream_seq FROM projection_checkpoints WHERE projection = $1",
        )
        .bind(self.projection.name())
        .fetch_optional(&self.pool)
        .await
        .map_err(anyhow_like::Error::from_display)?;
        let deliver_policy = match checkpoint.and_then(|s| u64::try_from(s).ok()) {
            Some(seq) if seq > 0 => consumer::DeliverPolicy::ByStartSequence {
                start_sequence: seq + 1,
            },
            _ => consumer::DeliverPolicy::All,
        };
        let durable = self.projection.durable_name();
        if let Err(error) = stream.delete_consumer(&durable).await {
            tracing::debug!(target: LOG_TARGET, %error, "no previous consumer to delete");
        }
        stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(durable.clone()),
                description: Some(format!("chronid projection {}", self.projection.name())),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: self.options.ack_wait,
                deliver_policy,
                filter_subject: format!("{}.>", self.stream.subject_prefix),
                max_ack_pending: 20_000,
                ..Default::default()
            })
            .await
            .map_err(anyhow_like::Error::from_display)
    }

    async fn active(
        &self,
        mut lock: Leader,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Exit, anyhow_like::Error> {
        let consumer = self.consumer().await?;
        let messages = consumer
            .stream()
            .max_messages_per_batch(self.options.batch_size.max(1) * 2)
            .heartbeat(Duration::from_secs(5))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(anyhow_like::Error::from_display)?;
        let mut chunks = messages.ready_chunks(self.options.batch_size.max(1));
        let mut last_ping = Instant::now();
        loop {
            if last_ping.elapsed() > Duration::from_secs(5) {
                if !lock.alive(Duration::from_secs(5)).await {
                    tracing::warn!(target: LOG_TARGET, projection = self.projection.name(),
                        "projection lost its lock connection");
                    return Ok(Exit::Restart);
                }
                last_ping = Instant::now();
            }
            let next = tokio::select! {
                biased;
                _ = shutdown.changed() => return Ok(Exit::Shutdown),
                next = tokio::time::timeout(Duration::from_secs(5), chunks.next()) => next,
            };
            let items = match next {
                Err(_) => continue,
                Ok(None) => return Ok(Exit::Restart),
                Ok(Some(items)) => items,
            };
            let mut msgs = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Ok(msg) => msgs.push(msg),
                    Err(error) => {
                        self.stats.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(target: LOG_TARGET, projection = self.projection.name(), %error, "reading the stream");
                    }
                }
            }
            if msgs.is_empty() {
                continue;
            }
            match self.process(lock.connection(), msgs, shutdown).await {
                Flow::Continue => {}
                Flow::Shutdown => return Ok(Exit::Shutdown),
                Flow::Restart => return Ok(Exit::Restart),
            }
        }
    }

    /// Applies a chunk.
    async fn process(
        &self,
        conn: &mut PgConnection,
        msgs: Vec<jetstream::Message>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Flow {
        let decoded = match msgs
            .iter()
            .map(decode)
            .collect::<Result<Vec<Incoming>, String>>()
        {
            Ok(batch) => match apply_batch_on(conn, self.projection, &batch).await {
                Ok(counts) => {
                    self.stats.committed(&batch, counts);
                    ack_all(&msgs).await;
                    return Flow::Continue;
                }
                Err(error) => {
                    tracing::debug!(target: LOG_TARGET, projection = self.projection.name(), %error,
                        "batch failed; applying its messages one by one");
                    batch.into_iter().map(Ok).collect::<Vec<_>>()
                }
            },
            // Rare: some message is not an envelope; decode again to keep each one's own result.
            Err(_) => msgs.iter().map(decode).collect(),
        };
        for (msg, decoded) in msgs.iter().zip(decoded) {
            let flow = self.process_one(conn, msg, decoded, shutdown).await;
            if flow != Flow::Continue {
                return flow;
            }
        }
        Flow::Continue
    }

    /// One message: applied, or retried and parked.
    async fn process_one(
        &self,
        conn: &mut PgConnection,
        msg: &jetstream::Message,
        decoded: Result<Incoming, String>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Flow {
        let mut attempts: u32 = 0;
        let mut delay = self.options.retry_delay;
        loop {
            let result = match &decoded {
                Ok(incoming) => {
                    apply_batch_on(conn, self.projection, std::slice::from_ref(incoming)).await
                }
                Err(reason) => Err(BatchError::Message(reason.clone())),
            };
            let error = match result {
                Ok(counts) => {
                    if let Ok(incoming) = &decoded {
                        self.stats.committed(std::slice::from_ref(incoming), counts);
                    }
                    ack_all(std::slice::from_ref(msg)).await;
                    return Flow::Continue;
                }
                Err(error) => error,
            };
            if !error.is_transient() {
                attempts += 1;
            } else if !connection_alive(conn).await {
                return Flow::Restart;
            }
            if attempts >= self.options.max_attempts {
                return self
                    .park(conn, msg, &decoded, &error, attempts, shutdown)
                    .await;
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(target: LOG_TARGET, projection = self.projection.name(), %error, attempts,
                "applying an event failed; retrying");
            if sleep_or_shutdown(shutdown, delay).await {
                return Flow::Shutdown;
            }
            delay = (delay * 2).min(self.options.max_backoff);
        }
    }

    /// Parks a message that cannot be applied, moves the checkpoint past it and acks it. Retries
    /// the parking itself until the database takes it.
    async fn park(
        &self,
        conn: &mut PgConnection,
        msg: &jetstream::Message,
        decoded: &Result<Incoming, String>,
        error: &BatchError,
        attempts: u32,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Flow {
        let stream_seq = msg.info().map(|i| i.stream_sequence).unwrap_or(0);
        let mut delay = self.options.retry_delay;
        loop {
            match park_message(
                conn,
                self.projection,
                msg,
                stream_seq,
                decoded,
                error,
                attempts,
            )
            .await
            {
                Ok(()) => {
                    self.stats.parked.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(target: LOG_TARGET, projection = self.projection.name(),
                        stream_seq, %error, "event parked in projection_failed_events");
                    ack_all(std::slice::from_ref(msg)).await;
                    self.stats.progress.notify_waiters();
                    return Flow::Continue;
                }
                Err(park_error) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: LOG_TARGET, projection = self.projection.name(),
                        error = %park_error, "cannot park a failed event; retrying");
                    if !connection_alive(conn).await {
                        return Flow::Restart;
                    }
                    if sleep_or_shutdown(shutdown, delay).await {
                        return Flow::Shutdown;
                    }
                    delay = (delay * 2).min(self.options.max_backoff);
                }
            }
        }
    }
}

async fn park_message(
    conn: &mut PgConnection,
    projection: Projection,
    msg: &jetstream::Message,
    stream_seq: u64,
    decoded: &Result<Incoming, String>,
    error: &BatchError,
    attempts: u32,
) -> Result<(), sqlx::Error> {
    let envelope: Option<serde_json::Value> = serde_json::from_slice(&msg.payload).ok();
    let env = decoded.as_ref().ok().map(|i| &i.envelope);
    let mut tx = conn.begin().await?;
    sqlx::query(
        "INSERT INTO projection_failed_events (projection, stream_seq, msg_id, event_type,
                aggregate_type, aggregate_id, sequence, position, error, attempts, envelope)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (projection, stream_seq) DO NOTHING",
    )
    .bind(projection.name())
    .bind(i64::try_from(stream_seq).unwrap_or(i64::MAX))
    .bind(
        msg.headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_string()),
    )
    .bind(env.map(|e| e.event_type.clone()))
    .bind(env.map(|e| e.aggregate_type.clone()))
    .bind(env.map(|e| e.aggregate_id.to_string()))
    .bind(env.map(|e| e.sequence))
    .bind(env.map(|e| e.position))
    .bind(error.to_string())
    .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
    .bind(envelope)
    .execute(&mut *tx)
    .await?;
    if let Ok(incoming) = decoded {
        save_checkpoint(&mut tx, projection, stream_seq, incoming.cursor, 0).await?;
    }
    tx.commit().await
}

/// The durable consumer's backlog as JetStream reports it (None when it does not exist yet).
pub async fn consumer_state(
    js: &jetstream::Context,
    stream: &StreamConfig,
    projection: Projection,
) -> Option<serde_json::Value> {
    let mut consumer: consumer::PullConsumer = js
        .get_consumer_from_stream(projection.durable_name(), &stream.stream)
        .await
        .ok()?;
    let info = consumer.info().await.ok()?;
    Some(serde_json::json!({
        "pending": info.num_pending,
        "ack_pending": info.num_ack_pending,
        "redelivered": info.num_redelivered,
        "delivered_stream_seq": info.delivered.stream_sequence,
        "ack_floor_stream_seq": info.ack_floor.stream_sequence,
    }))
}

/// Whether the worker's own connection still answers.
async fn connection_alive(conn: &mut PgConnection) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(5), conn.ping()).await,
        Ok(Ok(()))
    )
}

/// Decodes a stream message; the error names what is wrong, never the payload.
fn decode(msg: &jetstream::Message) -> Result<Incoming, String> {
    let stream_seq = msg
        .info()
        .map_err(|e| format!("no JetStream info: {e}"))?
        .stream_sequence;
    let envelope: PublicEnvelope =
        serde_json::from_slice(&msg.payload).map_err(|e| format!("not an envelope: {e}"))?;
    let tx_id = msg
        .headers
        .as_ref()
        .and_then(|h| h.get(HEADER_TX_ID))
        .and_then(|v| v.as_str().parse::<u64>().ok())
        .ok_or_else(|| format!("header {HEADER_TX_ID} missing or not a number"))?;
    Ok(Incoming {
        stream_seq,
        cursor: Cursor {
            tx_id,
            global_seq: envelope.position,
        },
        envelope,
    })
}

/// Acks messages. A lost ack only means a redelivery, which the views ignore.
async fn ack_all(msgs: &[jetstream::Message]) {
    for msg in msgs {
        if let Err(error) = msg.ack().await {
            tracing::debug!(target: LOG_TARGET, %error, "ack failed; the message will be redelivered");
        }
    }
}

/// Sleeps; returns true if shutdown was asked for first.
async fn sleep_or_shutdown(shutdown: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        changed = shutdown.changed() => changed.is_err() || *shutdown.borrow(),
    }
}

/// A string error for the worker's own failures (NATS setup errors have many types).
mod anyhow_like {
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct Error(String);

    impl Error {
        pub fn from_display(e: impl std::fmt::Display) -> Self {
            Self(e.to_string())
        }
    }
}
