//! What a projection worker has done, for /metrics, `/ready` and the read-your-writes wait.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

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
    pub(crate) progress: Notify,
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

    pub(crate) fn committed(&self, batch: &[Incoming], counts: Counts) {
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
