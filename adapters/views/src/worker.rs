//! The live worker of one projection: takes the projection's lock, (re)creates its consumer
//! after the checkpoint, applies what arrives in chunks, retries and parks what cannot be applied.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use chronid_store::leader::{Candidate, Leader, LockKey};
use chronid_stream::StreamConfig;
use futures::StreamExt;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::watch;

use super::*;

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
#[derive(Clone)]
pub struct ProjectionWorker {
    pool: PgPool,
    js: jetstream::Context,
    stream: StreamConfig,
    projection: Projection,
    options: ProjectionOptions,
    stats: Arc<ProjectionStats>,
}

pub(crate) enum Exit {
    Shutdown,
    Restart,
}

/// What to do after a chunk of messages.
#[derive(PartialEq, Eq)]
pub(crate) enum Flow {
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

    /// The consumer, and the stream sequence it must deliver first (none before a checkpoint).
    pub(crate) async fn consumer(
        &self,
    ) -> Result<(consumer::PullConsumer, Option<u64>), anyhow_like::Error> {
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
        let next = checkpoint
            .and_then(|s| u64::try_from(s).ok())
            .filter(|s| *s > 0)
            .map(|s| s + 1);
        let deliver_policy = match next {
            Some(start_sequence) => consumer::DeliverPolicy::ByStartSequence { start_sequence },
            None => consumer::DeliverPolicy::All,
        };
        let durable = self.projection.durable_name();
        if let Err(error) = stream.delete_consumer(&durable).await {
            tracing::debug!(target: LOG_TARGET, %error, "no previous consumer to delete");
        }
        let consumer = stream
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
            .map_err(anyhow_like::Error::from_display)?;
        Ok((consumer, next))
    }

    pub(crate) async fn active(
        &self,
        mut lock: Leader,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Exit, anyhow_like::Error> {
        let (consumer, mut expected) = self.consumer().await?;
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
            // Wall-clock time against the stream's own timestamp of each message: a measurement
            // of this machine's delivery, not a business time, so not the Clock port's.
            #[allow(clippy::disallowed_methods)]
            let taken = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i128);
            let mut msgs = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Ok(msg) => {
                        if let Ok(info) = msg.info() {
                            let waited = taken - info.published.unix_timestamp_nanos();
                            let waited = u64::try_from(waited).unwrap_or(0);
                            self.stats.waited.record(Duration::from_nanos(waited));
                        }
                        msgs.push(msg)
                    }
                    Err(error) => {
                        self.stats.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(target: LOG_TARGET, projection = self.projection.name(), %error, "reading the stream");
                    }
                }
            }
            let seqs: Vec<Option<u64>> = msgs
                .iter()
                .map(|m| m.info().ok().map(|i| i.stream_sequence))
                .collect();
            let order = in_order(&seqs, expected);
            expected = order.next;
            // Messages past a gap are left unacked: the consumer made again delivers them.
            let (mut fresh, mut again) = (Vec::with_capacity(order.apply.len()), Vec::new());
            for (msg, apply) in msgs.into_iter().zip(order.apply.iter().copied()) {
                if apply { &mut fresh } else { &mut again }.push(msg);
            }
            // Applied before (redeliveries): acked again, not applied twice.
            ack_all(&again).await;
            if !fresh.is_empty() {
                match self.process(lock.connection(), fresh, shutdown).await {
                    Flow::Continue => {}
                    Flow::Shutdown => return Ok(Exit::Shutdown),
                    Flow::Restart => return Ok(Exit::Restart),
                }
            }
            if let Some((wanted, got)) = order.gap {
                // A message the consumer sent was lost on the way (its server died with it in
                // flight): it would come back only after ack_wait, behind newer ones, and the
                // checkpoint would have passed it. Start again from the checkpoint instead.
                self.stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(target: LOG_TARGET, projection = self.projection.name(), wanted, got,
                    "a stream sequence was skipped in delivery; consuming again from the checkpoint");
                return Ok(Exit::Restart);
            }
        }
    }

    /// Applies a chunk.
    pub(crate) async fn process(
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
            Ok(batch) => match timed(
                &self.stats.applying,
                apply_batch_on(conn, self.projection, &batch),
            )
            .await
            {
                Ok(counts) => {
                    self.stats.committed(&batch, counts);
                    timed(&self.stats.acking, ack_all(&msgs)).await;
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
    pub(crate) async fn process_one(
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
    pub(crate) async fn park(
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

/// Runs `work`, keeping how long it took in `times`.
async fn timed<T>(times: &StageTimes, work: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let out = work.await;
    times.record(started.elapsed());
    out
}

/// Whether the worker's own connection still answers.
pub(crate) async fn connection_alive(conn: &mut PgConnection) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(5), conn.ping()).await,
        Ok(Ok(()))
    )
}

/// How a chunk's stream sequences follow the last one applied. The consumer takes every
/// subject of the stream, which deletes nothing, so the sequences it delivers are consecutive.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Order {
    /// For each message before the first gap: apply it (false: applied before, redelivered).
    pub apply: Vec<bool>,
    /// The sequence expected and the one that came instead, at the first gap.
    pub gap: Option<(u64, u64)>,
    /// The sequence expected next.
    pub next: Option<u64>,
}

/// Checks `seqs` (each message's stream sequence, when it has one) against `next`, the
/// sequence expected first (none before the first checkpoint: whatever comes first).
pub(crate) fn in_order(seqs: &[Option<u64>], mut next: Option<u64>) -> Order {
    let mut apply = Vec::with_capacity(seqs.len());
    for seq in seqs {
        match (*seq, next) {
            (Some(got), Some(wanted)) if got < wanted => apply.push(false),
            (Some(got), Some(wanted)) if got > wanted => {
                return Order {
                    apply,
                    gap: Some((wanted, got)),
                    next,
                }
            }
            (Some(got), _) => {
                apply.push(true);
                next = Some(got + 1);
            }
            (None, _) => apply.push(true),
        }
    }
    Order {
        apply,
        gap: None,
        next,
    }
}

/// Acks messages. A lost ack only means a redelivery, which the views ignore.
pub(crate) async fn ack_all(msgs: &[jetstream::Message]) {
    for msg in msgs {
        if let Err(error) = msg.ack().await {
            tracing::debug!(target: LOG_TARGET, %error, "ack failed; the message will be redelivered");
        }
    }
}

/// Sleeps; returns true if shutdown was asked for first.
pub(crate) async fn sleep_or_shutdown(shutdown: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        changed = shutdown.changed() => changed.is_err() || *shutdown.borrow(),
    }
}

/// A string error for the worker's own failures (NATS setup errors have many types).
pub(crate) mod anyhow_like {
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct Error(String);

    impl Error {
        pub fn from_display(e: impl std::fmt::Display) -> Self {
            Self(e.to_string())
        }
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    #[test]
    fn deliveries_are_taken_in_stream_order_without_a_gap() {
        // From the checkpoint on, in order.
        let o = in_order(&[Some(5), Some(6), Some(7)], Some(5));
        assert_eq!((o.apply, o.gap, o.next), (vec![true; 3], None, Some(8)));
        // Redeliveries of what was applied are skipped.
        let o = in_order(&[Some(3), Some(4), Some(5)], Some(5));
        assert_eq!(
            (o.apply, o.gap, o.next),
            (vec![false, false, true], None, Some(6))
        );
        // A message lost in flight: the prefix is applied, the rest waits for a new consumer.
        let o = in_order(&[Some(5), Some(7), Some(8)], Some(5));
        assert_eq!(
            (o.apply, o.gap, o.next),
            (vec![true], Some((6, 7)), Some(6))
        );
        let o = in_order(&[Some(9)], Some(6));
        assert_eq!((o.apply, o.gap), (vec![], Some((6, 9))));
        // Before a first checkpoint, whatever comes first starts the count.
        let o = in_order(&[Some(1), Some(2), Some(4)], None);
        assert_eq!((o.apply, o.gap), (vec![true, true], Some((3, 4))));
    }
}
