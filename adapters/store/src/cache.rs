//! A per-process cache of loaded aggregates, so a command on a warm aggregate costs one INSERT
//! and no read. It is safe under concurrency and with several nodes because every append is
//! still checked by the store's (aggregate_type, aggregate_id, sequence) key: a stale cached state
//! writes a sequence that already exists, gets `AggregateConflict`, and the executor evicts the
//! entry and reloads from the store. Entries only move forward (a slower writer cannot put back
//! an older state), any failure evicts, and the size is bounded.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cqrs_es::Aggregate;

use super::event_store::LoadedAggregate;

type Key = (&'static str, String);

struct Entry {
    sequence: usize,
    stored_at: Instant,
    value: Box<dyn Any + Send + Sync>,
}

#[derive(Clone)]
pub struct AggregateCache {
    entries: Arc<Mutex<HashMap<Key, Entry>>>,
    capacity: usize,
    /// How long a cached state may answer a read-only load (writes are checked by the store).
    read_ttl: Duration,
}

/// What a cached aggregate holds.
pub(crate) struct Cached<A> {
    pub aggregate: A,
    pub current_sequence: usize,
    pub snapshot_sequence: usize,
}

impl AggregateCache {
    pub fn new(capacity: usize, read_ttl: Duration) -> Self {
        Self {
            entries: Arc::new(Mutex::new(HashMap::new())),
            capacity,
            read_ttl,
        }
    }

    /// A copy of the cached state; `for_read` applies the read TTL.
    pub(crate) fn get<A: Aggregate + Clone + 'static>(
        &self,
        id: &str,
        for_read: bool,
    ) -> Option<LoadedAggregate<A>> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(&(A::TYPE, id.to_string()))?;
        if for_read && entry.stored_at.elapsed() > self.read_ttl {
            return None;
        }
        let cached = entry.value.downcast_ref::<Cached<A>>()?;
        Some(LoadedAggregate {
            aggregate_id: id.to_string(),
            aggregate: cached.aggregate.clone(),
            current_sequence: cached.current_sequence,
            snapshot_sequence: cached.snapshot_sequence,
        })
    }

    /// Remembers a copy of `loaded` unless a newer state is already cached.
    pub(crate) fn put<A: Aggregate + Clone + Send + Sync + 'static>(
        &self,
        loaded: &LoadedAggregate<A>,
    ) {
        if self.capacity > 0 {
            self.keep(loaded.clone());
        }
    }

    /// Remembers `loaded` itself (no copy) unless a newer state is already cached.
    pub(crate) fn keep<A: Aggregate + Send + Sync + 'static>(&self, loaded: LoadedAggregate<A>) {
        if self.capacity == 0 || loaded.current_sequence == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let LoadedAggregate {
            aggregate_id,
            aggregate,
            current_sequence,
            snapshot_sequence,
        } = loaded;
        let key = (A::TYPE, aggregate_id);
        if entries
            .get(&key)
            .is_some_and(|e| e.sequence >= current_sequence)
        {
            return;
        }
        if entries.len() >= self.capacity {
            // Drop about half, oldest first is not worth a heap here: any half will do.
            let drop_n = entries.len() / 2;
            let victims: Vec<Key> = entries.keys().take(drop_n).cloned().collect();
            for k in victims {
                entries.remove(&k);
            }
        }
        entries.insert(
            key,
            Entry {
                sequence: current_sequence,
                stored_at: Instant::now(),
                value: Box::new(Cached {
                    aggregate,
                    current_sequence,
                    snapshot_sequence,
                }),
            },
        );
    }

    pub(crate) fn evict<A: Aggregate>(&self, id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&(A::TYPE, id.to_string()));
        }
    }
}
