//! What a projection worker has done, for /metrics, `/ready` and the read-your-writes wait.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use super::*;

/// What a worker has done, for /metrics and tests.
#[derive(Debug, Default)]
pub struct ProjectionStats {
    pub(crate) active: AtomicBool,
    pub(crate) applied: AtomicU64,
    pub(crate) stale: AtomicU64,
    pub(crate) batches: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) parked: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) last_stream_seq: AtomicU64,
    pub(crate) last_position: AtomicI64,
    pub(crate) progress: std::sync::Arc<Notify>,
    /// Messages taken in batches that committed.
    pub(crate) messages: AtomicU64,
    /// Each message: from its storing in the stream to the worker taking it in a batch (the
    /// delivery, and the wait behind the batch before).
    pub(crate) waited: StageTimes,
    /// Each batch: its transaction, `BEGIN` to `COMMIT` (rows read, applied, written, the
    /// checkpoint).
    pub(crate) applying: StageTimes,
    /// Each batch: acking its messages.
    pub(crate) acking: StageTimes,
}

/// A stage of a worker's work whose durations it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Wait,
    Apply,
    Ack,
}

/// Buckets of [`StageTimes`]: four per doubling, from 1 µs to about 2 s.
const BUCKETS: usize = 84;

/// Durations of one stage, counted in quarter-octave buckets of microseconds (a quantile is
/// read as its bucket's upper bound: at most 19 % above the true value), with their sum.
#[derive(Debug)]
pub struct StageTimes {
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Default for StageTimes {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }
}

impl StageTimes {
    fn bucket(us: u64) -> usize {
        if us <= 1 {
            return 0;
        }
        let b = ((us as f64).log2() * 4.0).ceil() as usize;
        b.min(BUCKETS - 1)
    }

    pub(crate) fn record(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.buckets[Self::bucket(us)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The sum of the durations, in seconds.
    pub fn total_seconds(&self) -> f64 {
        self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
    }

    /// The `q` quantile (0 to 1), in milliseconds: the upper bound of its bucket.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (b, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return 2f64.powf(b as f64 / 4.0) / 1000.0;
            }
        }
        2f64.powf((BUCKETS - 1) as f64 / 4.0) / 1000.0
    }
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
    /// Messages taken in batches that committed.
    pub fn messages(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }
    /// The durations kept of `stage`.
    pub fn stage(&self, stage: Stage) -> &StageTimes {
        match stage {
            Stage::Wait => &self.waited,
            Stage::Apply => &self.applying,
            Stage::Ack => &self.acking,
        }
    }
    /// Resolves at this worker's next commit (readers waiting for a position use it as a hint
    /// and re-check the database).
    pub async fn progressed(&self) {
        self.progress.notified().await;
    }
    /// The same as a future to hold: once enabled (or polled) it catches the next commit even
    /// if the holder is busy elsewhere when it happens.
    pub fn progressed_owned(&self) -> tokio::sync::futures::OwnedNotified {
        std::sync::Arc::clone(&self.progress).notified_owned()
    }

    pub(crate) fn committed(&self, batch: &[Incoming], counts: Counts) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.messages
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
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
