//! The relay: the events table is the outbox, and the relay copies every committed event, in
//! commit order, to the JetStream stream as its public envelope (API.md "Events on NATS").
//!
//! # How it works
//!
//! * **One active relay per database and stream.** The relay takes a session-level
//!   `pg_try_advisory_lock` (key: `hashtextextended('chronid.relay:' || stream, 0)`) on a connection
//!   detached from the pool; standbys retry every poll interval. The connection is pinged before
//!   every batch: when it dies the lock is gone, so the relay stops publishing and goes back to
//!   waiting for the lock.
//! * **Reading.** Rows are read in `(tx_id, global_seq)` order after a cursor, and only from
//!   transactions older than the snapshot horizon (`tx_id < pg_snapshot_xmin(..)`): every
//!   transaction below the horizon has finished, so no row can ever appear behind the cursor and a
//!   transaction that commits late cannot be skipped (polling `global_seq` alone would skip it).
//!   The horizon is cluster-wide: a long transaction in any database of the cluster delays the
//!   relay (never loses an event), so keep transactions short.
//!   `reservation` rows are internal and never published. The relay is woken by `LISTEN
//!   chronid_events` (writers notify after commit, see `store::CommitNotifier`) and by a timer,
//!   so a missed notification delays an event by at most the poll interval; it loops at once
//!   while batches come back full.
//! * **Publishing.** A batch is published pipelined (all publishes sent, then all acks awaited).
//!   Each message carries `Nats-Msg-Id: {aggregate_type}:{aggregate_id}:{sequence}`,
//!   `Chronid-Tx-Id` and `Chronid-Position` (so the stream's tail maps back to a cursor) and
//!   `Nats-Expected-Last-Sequence`. The checkpoint row advances only once every ack is in.
//!   Any failure is logged, followed by a bounded exponential back-off, and the relay resumes from
//!   what is known to be in the stream, republishing with the same Msg-Ids.
//!
//! # Why no gap can stand, and where the relay resumes
//!
//! Pipelined publishes can fail partway: when the connection drops mid-batch, messages written to
//! the dead socket are lost while later ones, still queued in the client, go out after the
//! reconnect. Without a guard the stream would hold `1..k, m..n` with a gap, its tail would
//! claim `n`, and the events `k+1..m-1` would either be lost (resume from the tail) or land
//! after later events of the same aggregates (refill the gap later), which breaks per-aggregate
//! order that projections rely on (a view row keeps the last applied sequence).
//!
//! The usual answer is "resume from the checkpoint and let the duplicate window drop the copies,
//! unless the tail is older than the window". It still reorders and it compares clocks of two
//! machines. The relay instead makes gaps impossible: message `i` of a batch that starts after
//! stream sequence `S` is sent with `Nats-Expected-Last-Sequence: S + i`, so JetStream stores it
//! only if its predecessor in `(tx_id, global_seq)` order is the stream's last message.
//! JetStream checks `Nats-Msg-Id` before the expected sequence, so a copy of a message already
//! stored is acked as a duplicate and stored nowhere. By induction the stream is always a gap-free
//! prefix of the events' order (also when two relays overlap briefly after a lock loss: whichever
//! message arrives second is refused or deduplicated). Hence:
//!
//! * at start and after any failure the relay reads the checkpoint and the stream's last message
//!   and resumes from whichever is further; the tail is exact because nothing before it is
//!   missing, and the checkpoint wins only when the stream lost messages (recreated, restored);
//! * a tail ahead of the checkpoint must name an event of this database (same position,
//!   transaction and Msg-Id). If it does not, the database was restored from a backup (it will
//!   reuse transaction ids the stream already passed) or the stream is another database's:
//!   resuming from it would skip events silently, so the relay refuses, logs an error and
//!   retries with back-off until an operator resolves it;
//! * a batch whose acks failed partway is simply resumed from the tail: the unacked remainder is
//!   republished with the same Msg-Ids (copies that did land are dropped by the duplicate window,
//!   those after a hole were refused by the sequence check), so nothing is lost, nothing is
//!   duplicated and order is kept;
//! * this requires the relay to be the only publisher on the stream's subjects, which it is by
//!   design (a message from anyone else makes the relay resynchronise on its tail).
//!
//! # Envelopes
//!
//! Every field of the envelope comes from the row: `id`, `account_id`, `actor` and the request
//! facts from the metadata the store writes, `occurred_at` from the metadata (falling back to
//! `recorded_at`), `position` = `global_seq`, `data` = the payload without its secrets. A row
//! without a valid `event_id`, `account_id`, `actor_kind` or UUID `aggregate_id` is a store bug:
//! the relay does not invent an id nor skip the event (an outbox never skips); it logs the
//! position and retries with back-off, which stalls the stream visibly until the code is fixed.
//!
//! Logs carry positions, counts and errors only, never payloads.

use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage};
use bytes::Bytes;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{watch, Notify};

use crate::{msg_id, subject, StreamConfig, HEADER_POSITION, HEADER_TX_ID};
use chronid_store::leader::{Candidate, Leader, LockKey};
use chronid_store::rows::{envelope, msg_id_at, parse_xid8, rows_after, EventRow};
use chronid_store::Cursor;

/// The channel the relay LISTENs on; writers NOTIFY it after commit (`store::CommitNotifier`).
pub const NOTIFY_CHANNEL: &str = chronid_store::EVENTS_CHANNEL;

const LOG_TARGET: &str = "chronid::relay";
/// Bound on the liveness check of the lock connection.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Tuning of the relay.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Events read and published per batch (1000).
    pub batch_size: usize,
    /// The timer: how often an idle relay polls, and how often a standby retries the lock (1 s).
    pub poll_interval: Duration,
    /// Longest back-off after a failure (5 s); it starts at 100 ms and doubles.
    pub max_backoff: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            batch_size: 1000,
            poll_interval: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Counters a server can report (`/metrics`, status). All are monotonic except `active`.
#[derive(Debug)]
pub struct RelayStats {
    published: AtomicU64,
    duplicates: AtomicU64,
    last_position: AtomicI64,
    active: AtomicBool,
    polls: AtomicU64,
    errors: AtomicU64,
}

impl Default for RelayStats {
    fn default() -> Self {
        Self {
            published: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            last_position: AtomicI64::new(-1),
            active: AtomicBool::new(false),
            polls: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }
}

impl RelayStats {
    /// Messages this relay stored in the stream (acked, not as duplicates).
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }
    /// Publishes JetStream acknowledged as duplicates (retries of messages already stored).
    pub fn duplicates(&self) -> u64 {
        self.duplicates.load(Ordering::Relaxed)
    }
    /// `global_seq` of the last event known to be in the stream, -1 before the first resync.
    pub fn last_position(&self) -> i64 {
        self.last_position.load(Ordering::Relaxed)
    }
    /// Whether this relay holds the lock (is the active instance).
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }
    /// Completed reads of the events table.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }
    /// Failures (each followed by a back-off and a resync).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

/// What can go wrong in the relay. `run` logs and retries all of them except `Config`.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("invalid relay configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("lock connection lost")]
    LockLost,
    #[error("reading stream {stream}: {reason}")]
    Stream { stream: String, reason: String },
    #[error("publishing position {position}: {source}")]
    Publish {
        position: i64,
        #[source]
        source: jetstream::context::PublishError,
    },
    #[error("ack for position {position} ({acked} of {batch} acked before it): {source}")]
    Ack {
        position: i64,
        acked: usize,
        batch: usize,
        #[source]
        source: jetstream::context::PublishError,
    },
    #[error("unexpected ack for position {position}: {reason}")]
    UnexpectedAck { position: i64, reason: String },
    #[error("event at position {position} cannot be published: {reason}")]
    Envelope { position: i64, reason: String },
    #[error(
        "stream {stream} ends with position {position} (tx {tx_id}), which this database does not \
         hold: the database was restored or the stream belongs to another database; \
         refusing to publish until an operator resolves it"
    )]
    StreamAhead {
        stream: String,
        position: i64,
        tx_id: u64,
    },
}

/// Where the relay stands: the last event in the stream and the stream sequence it has.
#[derive(Debug, Clone, Copy)]
struct Position {
    cursor: Cursor,
    stream_seq: u64,
}

/// A message ready to publish.
struct Outgoing {
    subject: String,
    msg_id: String,
    cursor: Cursor,
    body: Bytes,
}

/// The relay. Build it with [`Relay::new`], keep [`Relay::stats`], then spawn [`Relay::run`].
pub struct Relay {
    pool: PgPool,
    js: jetstream::Context,
    stream: StreamConfig,
    options: RelayOptions,
    stats: Arc<RelayStats>,
}

enum Exit {
    Shutdown,
    LockLost,
}

impl Relay {
    /// `pool` serves the queries and provides the dedicated lock connection (detached from it);
    /// `js` should bound its API calls and acks (see `NatsOptions::jetstream`).
    pub fn new(
        pool: PgPool,
        js: jetstream::Context,
        stream: StreamConfig,
        options: RelayOptions,
    ) -> Self {
        Self {
            pool,
            js,
            stream,
            options,
            stats: Arc::new(RelayStats::default()),
        }
    }

    /// The relay's counters, shared with whoever reports them.
    pub fn stats(&self) -> Arc<RelayStats> {
        Arc::clone(&self.stats)
    }

    /// Runs until `shutdown` turns true (or its sender is dropped). Waits for the lock, then
    /// publishes; every failure is logged and retried, so it returns an error only for an
    /// invalid configuration.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), RelayError> {
        if self.options.batch_size == 0 || i64::try_from(self.options.batch_size).is_err() {
            return Err(RelayError::Config("batch_size must be positive".into()));
        }
        if self.options.poll_interval.is_zero() {
            return Err(RelayError::Config("poll_interval must be positive".into()));
        }
        let mut candidate = Candidate::new(LockKey::relay(&self.stream.stream));
        let mut backoff = Backoff::new(self.options.max_backoff);
        loop {
            if is_shutdown(&shutdown) {
                return Ok(());
            }
            match candidate.try_lead(&self.pool).await {
                Ok(Some(conn)) => {
                    backoff.reset();
                    tracing::info!(target: LOG_TARGET, stream = %self.stream.stream, "relay active");
                    self.stats.active.store(true, Ordering::Relaxed);
                    let exit = self.active(conn, &mut shutdown).await;
                    self.stats.active.store(false, Ordering::Relaxed);
                    match exit {
                        Exit::Shutdown => return Ok(()),
                        Exit::LockLost => {
                            self.stats.errors.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(target: LOG_TARGET, stream = %self.stream.stream,
                                "relay lost its lock connection; back to standby");
                        }
                    }
                }
                Ok(None) => {
                    backoff.reset();
                    if wait(&mut shutdown, self.options.poll_interval, None).await {
                        return Ok(());
                    }
                }
                Err(error) => {
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: LOG_TARGET, %error, "relay cannot try its lock");
                    if wait(&mut shutdown, backoff.next(), None).await {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The active phase: holds the lock until shutdown or until the lock connection dies.
    async fn active(&self, mut lock: Leader, shutdown: &mut watch::Receiver<bool>) -> Exit {
        let wake = Arc::new(Notify::new());
        let _listener = AbortOnDrop(tokio::spawn(listen(
            self.pool.clone(),
            Arc::clone(&wake),
            self.options.max_backoff,
        )));
        let mut backoff = Backoff::new(self.options.max_backoff);
        let mut position: Option<Position> = None;
        let mut ahead: Option<(Cursor, Vec<Outgoing>)> = None;
        let exit = loop {
            if is_shutdown(shutdown) {
                break Exit::Shutdown;
            }
            if !lock.alive(PING_TIMEOUT).await {
                return Exit::LockLost;
            }
            let step = tokio::select! {
                biased;
                _ = shutdown_signal(shutdown) => break Exit::Shutdown,
                step = self.step(&mut position, &mut ahead) => step,
            };
            match step {
                Ok(n) => {
                    backoff.reset();
                    if n < self.options.batch_size
                        && wait(shutdown, self.options.poll_interval, Some(&wake)).await
                    {
                        break Exit::Shutdown;
                    }
                }
                Err(error) => {
                    position = None;
                    ahead = None;
                    self.stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(target: LOG_TARGET, %error, "relay step failed; resuming from the stream's tail");
                    if wait(shutdown, backoff.next(), None).await {
                        break Exit::Shutdown;
                    }
                }
            }
        };
        lock.release().await;
        exit
    }

    /// Reads the batch after `after` and turns it into messages.
    async fn fetch(&self, after: Cursor) -> Result<Vec<Outgoing>, RelayError> {
        read_batch(
            self.pool.clone(),
            self.stream.subject_prefix.clone(),
            self.options.batch_size,
            Arc::clone(&self.stats),
            after,
        )
        .await
    }

    /// One batch: resync if needed, read, publish, await acks, checkpoint. Returns rows read.
    ///
    /// When the batch is full, the next one is read (and its messages built) while this one's
    /// acks are in flight, and handed back in `ahead`; it is used only if this batch succeeds and
    /// it starts right after this batch's last cursor, so ordering and the checkpoint rule are
    /// unchanged.
    async fn step(
        &self,
        position: &mut Option<Position>,
        ahead: &mut Option<(Cursor, Vec<Outgoing>)>,
    ) -> Result<usize, RelayError> {
        let pos = match *position {
            Some(p) => p,
            None => {
                *ahead = None;
                let p = self.resync().await?;
                *position = Some(p);
                p
            }
        };
        let outgoing = match ahead.take() {
            Some((after, prefetched)) if after == pos.cursor => prefetched,
            _ => self.fetch(pos.cursor).await?,
        };
        if outgoing.is_empty() {
            return Ok(0);
        }
        let read_ahead = outgoing.len() == self.options.batch_size;
        let batch_last = outgoing.last().map(|m| m.cursor).unwrap_or_default();
        // The read-ahead runs as a task of its own: decoding a thousand rows in this task would
        // hold up the publishing beside it, and the NATS server would sit idle meanwhile.
        let next = read_ahead.then(|| {
            AbortOnDrop(tokio::spawn(read_batch(
                self.pool.clone(),
                self.stream.subject_prefix.clone(),
                self.options.batch_size,
                Arc::clone(&self.stats),
                batch_last,
            )))
        });
        let (last_cursor, last_seq, duplicates) = self.publish(&outgoing, pos.stream_seq).await?;
        // Committed without waiting for the WAL flush: a checkpoint lost in a crash only means
        // resuming from an older one, and resuming already takes the further of checkpoint and
        // stream tail and republishes with the same Msg-Ids.
        sqlx::query(
            "INSERT INTO relay_checkpoints (stream, tx_id, global_seq, updated_at)
             SELECT $1, $2::text::xid8, $3, now()
               FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
             ON CONFLICT (stream) DO UPDATE
                SET tx_id = EXCLUDED.tx_id, global_seq = EXCLUDED.global_seq,
                    updated_at = EXCLUDED.updated_at
              WHERE (relay_checkpoints.tx_id, relay_checkpoints.global_seq)
                  < (EXCLUDED.tx_id, EXCLUDED.global_seq)",
        )
        .bind(&self.stream.stream)
        .bind(last_cursor.tx_id.to_string())
        .bind(last_cursor.global_seq)
        .execute(&self.pool)
        .await?;
        if let Some(mut next) = next {
            if let Ok(Ok(next)) = (&mut next.0).await {
                *ahead = Some((last_cursor, next));
            }
        }
        let stored = outgoing.len() - duplicates;
        self.stats
            .published
            .fetch_add(stored as u64, Ordering::Relaxed);
        self.stats
            .duplicates
            .fetch_add(duplicates as u64, Ordering::Relaxed);
        self.stats
            .last_position
            .store(last_cursor.global_seq, Ordering::Relaxed);
        tracing::debug!(target: LOG_TARGET, count = outgoing.len(), duplicates,
            from_tx = pos.cursor.tx_id, from = pos.cursor.global_seq,
            first_tx = outgoing.first().map(|m| m.cursor.tx_id),
            first = outgoing.first().map(|m| m.cursor.global_seq),
            last_tx = last_cursor.tx_id, position = last_cursor.global_seq,
            stream_seq = last_seq, "batch published");
        // After duplicates the stream's last sequence is not ours to infer: read it again.
        *position = (duplicates == 0).then_some(Position {
            cursor: last_cursor,
            stream_seq: last_seq,
        });
        Ok(outgoing.len())
    }

    /// Publishes a batch pipelined, then awaits every ack. Returns the last cursor, the stream
    /// sequence of the last message and how many acks were duplicates.
    async fn publish(
        &self,
        batch: &[Outgoing],
        stream_seq: u64,
    ) -> Result<(Cursor, u64, usize), RelayError> {
        let mut pending = Vec::with_capacity(batch.len());
        for (expected, msg) in (stream_seq..).zip(batch) {
            let publish = PublishMessage::build()
                .payload(msg.body.clone())
                .message_id(&msg.msg_id)
                .expected_last_sequence(expected)
                .header(HEADER_TX_ID, msg.cursor.tx_id.to_string())
                .header(HEADER_POSITION, msg.cursor.global_seq.to_string());
            let ack = self
                .js
                .send_publish(msg.subject.clone(), publish)
                .await
                .map_err(|source| RelayError::Publish {
                    position: msg.cursor.global_seq,
                    source,
                })?;
            pending.push(ack.into_future());
        }
        let acks = futures::future::join_all(pending).await;
        let mut duplicates = 0;
        let mut last_seq = stream_seq;
        for (i, (ack, msg)) in acks.into_iter().zip(batch).enumerate() {
            let position = msg.cursor.global_seq;
            let ack = ack.map_err(|source| RelayError::Ack {
                position,
                acked: i,
                batch: batch.len(),
                source,
            })?;
            if ack.stream != self.stream.stream {
                return Err(RelayError::UnexpectedAck {
                    position,
                    reason: format!("stored in stream {}", ack.stream),
                });
            }
            if ack.duplicate {
                duplicates += 1;
            } else if ack.sequence != last_seq + 1 {
                return Err(RelayError::UnexpectedAck {
                    position,
                    reason: format!("stream sequence {} after {last_seq}", ack.sequence),
                });
            } else {
                last_seq = ack.sequence;
            }
        }
        let last = batch.last().map(|m| m.cursor).unwrap_or_default();
        Ok((last, last_seq, duplicates))
    }

    /// Where to resume: the further of the checkpoint and the stream's last message.
    async fn resync(&self) -> Result<Position, RelayError> {
        let checkpoint: Option<(String, i64)> = sqlx::query_as(
            "SELECT tx_id::text, global_seq FROM relay_checkpoints WHERE stream = $1",
        )
        .bind(&self.stream.stream)
        .fetch_optional(&self.pool)
        .await?;
        let checkpoint = match checkpoint {
            Some((tx, global_seq)) => Some(Cursor {
                tx_id: parse_xid8(&tx).ok_or_else(|| RelayError::Stream {
                    stream: self.stream.stream.clone(),
                    reason: "checkpoint tx_id is not a number".into(),
                })?,
                global_seq,
            }),
            None => None,
        };
        let stream_error = |reason: String| RelayError::Stream {
            stream: self.stream.stream.clone(),
            reason,
        };
        let stream = self
            .js
            .get_stream(&self.stream.stream)
            .await
            .map_err(|e| stream_error(e.to_string()))?;
        let last_seq = stream.cached_info().state.last_sequence;
        let tail = if last_seq == 0 {
            None
        } else {
            let msg = stream
                .get_raw_message(last_seq)
                .await
                .map_err(|e| stream_error(format!("message {last_seq}: {e}")))?;
            let tx = msg
                .headers
                .get(HEADER_TX_ID)
                .and_then(|v| parse_xid8(v.as_str()));
            let seq = msg
                .headers
                .get(HEADER_POSITION)
                .and_then(|v| v.as_str().parse::<i64>().ok());
            match (tx, seq) {
                (Some(tx_id), Some(global_seq)) => {
                    let cursor = Cursor { tx_id, global_seq };
                    if Some(cursor) > checkpoint {
                        let msg_id = msg.headers.get(async_nats::header::NATS_MESSAGE_ID);
                        self.check_tail(cursor, msg_id.map(|v| v.as_str())).await?;
                    }
                    Some(cursor)
                }
                _ => {
                    tracing::warn!(target: LOG_TARGET, stream_seq = last_seq,
                        "stream's last message has no chronid position; using the checkpoint");
                    None
                }
            }
        };
        let cursor = checkpoint.max(tail).unwrap_or_default();
        tracing::info!(target: LOG_TARGET,
            checkpoint = ?checkpoint.map(|c| c.global_seq), tail = ?tail.map(|c| c.global_seq),
            stream_seq = last_seq, position = cursor.global_seq, "relay resuming");
        self.stats
            .last_position
            .store(cursor.global_seq, Ordering::Relaxed);
        Ok(Position {
            cursor,
            stream_seq: last_seq,
        })
    }

    /// A tail ahead of the checkpoint must name an event of this database. Otherwise (a restored
    /// database reuses transaction ids past its backup, or the stream is another database's)
    /// resuming from it would skip every new event below it: refuse instead, loudly.
    async fn check_tail(&self, tail: Cursor, msg_id: Option<&str>) -> Result<(), RelayError> {
        let row = msg_id_at(&self.pool, tail).await?;
        if row.is_some() && row.as_deref() == msg_id {
            return Ok(());
        }
        let error = RelayError::StreamAhead {
            stream: self.stream.stream.clone(),
            position: tail.global_seq,
            tx_id: tail.tx_id,
        };
        tracing::error!(target: LOG_TARGET, %error, "relay cannot resume");
        Err(error)
    }
}

/// Reads the batch after `after` (up to the commit horizon) and turns it into messages.
async fn read_batch(
    pool: PgPool,
    subject_prefix: String,
    batch_size: usize,
    stats: Arc<RelayStats>,
    after: Cursor,
) -> Result<Vec<Outgoing>, RelayError> {
    let limit = i64::try_from(batch_size).unwrap_or(i64::MAX);
    let rows = rows_after(&pool, after, None, limit).await?;
    stats.polls.fetch_add(1, Ordering::Relaxed);
    rows.into_iter()
        .map(|row| outgoing(&subject_prefix, row))
        .collect()
}

/// The message of a row: subject, Msg-Id, cursor and the public envelope as JSON.
fn outgoing(subject_prefix: &str, row: EventRow) -> Result<Outgoing, RelayError> {
    let position = row.global_seq;
    let bad = |reason: String| RelayError::Envelope { position, reason };
    let tx_id = parse_xid8(&row.tx_text).ok_or_else(|| bad("tx_id is not a number".into()))?;
    let msg_id = msg_id(&row.aggregate_type, &row.aggregate_id, row.sequence);
    let envelope = envelope(row).map_err(bad)?;
    let mut body = Vec::with_capacity(1024);
    serde_json::to_writer(&mut body, &envelope).map_err(|e| bad(e.to_string()))?;
    Ok(Outgoing {
        subject: subject(
            subject_prefix,
            &envelope.account_id.to_string(),
            &envelope.aggregate_type,
            &envelope.event_type,
        ),
        msg_id,
        cursor: Cursor {
            tx_id,
            global_seq: position,
        },
        body: Bytes::from(body),
    })
}

/// Forwards NOTIFYs on the events channel to `wake`, reconnecting after failures. A wake-up is
/// also sent after every (re)connect, since notifications may have been missed meanwhile.
async fn listen(pool: PgPool, wake: Arc<Notify>, max_backoff: Duration) {
    let mut backoff = Backoff::new(max_backoff);
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(NOTIFY_CHANNEL).await {
                Ok(()) => {
                    backoff.reset();
                    wake.notify_one();
                    loop {
                        match listener.recv().await {
                            Ok(_) => wake.notify_one(),
                            Err(error) => {
                                tracing::warn!(target: LOG_TARGET, %error, "relay listener failed");
                                break;
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(target: LOG_TARGET, %error, "relay cannot LISTEN"),
            },
            Err(error) => {
                tracing::warn!(target: LOG_TARGET, %error, "relay listener cannot connect")
            }
        }
        tokio::time::sleep(backoff.next()).await;
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn is_shutdown(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

/// Resolves when shutdown is requested (value true or sender dropped).
async fn shutdown_signal(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// Waits for `duration`, a wake-up, or shutdown; returns true on shutdown.
async fn wait(
    shutdown: &mut watch::Receiver<bool>,
    duration: Duration,
    wake: Option<&Notify>,
) -> bool {
    let woken = async {
        match wake {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = shutdown_signal(shutdown) => true,
        _ = tokio::time::sleep(duration) => false,
        _ = woken => false,
    }
}

/// Bounded exponential back-off: 100 ms, 200 ms, ... up to `max`.
struct Backoff {
    current: Duration,
    max: Duration,
}

impl Backoff {
    const START: Duration = Duration::from_millis(100);

    fn new(max: Duration) -> Self {
        Self {
            current: Self::START.min(max),
            max,
        }
    }

    fn reset(&mut self) {
        self.current = Self::START.min(self.max);
    }

    fn next(&mut self) -> Duration {
        let d = self.current;
        self.current = self.current.saturating_mul(2).min(self.max);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_bound() {
        let mut backoff = Backoff::new(Duration::from_millis(500));
        let seq: Vec<_> = (0..5).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(seq, vec![100, 200, 400, 500, 500]);
    }
}
