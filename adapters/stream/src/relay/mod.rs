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

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use chronid_store::leader::{Candidate, Leader, LockKey};
use chronid_store::Cursor;
use sqlx::PgPool;
use tokio::sync::{watch, Notify};

use crate::StreamConfig;

mod publish;
mod resume;
mod wait;

use publish::Outgoing;
use resume::Position;
use wait::{is_shutdown, listen, shutdown_signal, wait, AbortOnDrop, Backoff};

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

/// The relay. Build it with [`Relay::new`], keep [`Relay::stats`], then spawn [`Relay::run`].
#[derive(Clone)]
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
}
