//! Runs commands: load, decide, append; on `AggregateConflict` (another writer took the sequence)
//! reload and decide again, a bounded number of times. Re-deciding on fresh state is what makes
//! counters such as failed logins exact under parallel attempts.

use std::time::Duration;

use chronid_domain::metadata::RequestFacts;
use chronid_domain::{AccountScoped, Services};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateError};
use sqlx::PgPool;

use super::event_store::{CommittedEvent, PgEventStore, DEFAULT_SNAPSHOT_EVERY};

/// The outcome of a command that was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    pub events: Vec<CommittedEvent>,
}

impl Committed {
    /// The position (`global_seq`) of the last event, for read-your-writes.
    pub fn position(&self) -> Option<i64> {
        self.events.last().map(|e| e.position)
    }
}

/// Why a command was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused the command.
    #[error(transparent)]
    Domain(E),
    /// Other writers kept winning; the caller may retry later.
    #[error("the {aggregate_type} {aggregate_id} kept changing under concurrent writes")]
    Conflict {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    /// The store failed.
    #[error("store failure: {0}")]
    Store(String),
}

#[derive(Clone)]
pub struct CommandExecutor {
    pool: PgPool,
    services: Services,
    snapshot_every: usize,
    max_attempts: u32,
}

impl CommandExecutor {
    pub fn new(pool: PgPool, services: Services) -> Self {
        Self {
            pool,
            services,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            max_attempts: 12,
        }
    }

    pub fn with_snapshot_every(mut self, n: usize) -> Self {
        self.snapshot_every = n;
        self
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn store<A: Aggregate + AccountScoped>(&self) -> PgEventStore<A> {
        PgEventStore::new(self.pool.clone(), self.services.ids.clone()).with_snapshot_every(self.snapshot_every)
    }

    /// Loads the current state of an aggregate (default state if it has no events).
    pub async fn load<A: Aggregate + AccountScoped>(&self, aggregate_id: &str) -> Result<(A, usize), CommandError<A::Error>> {
        let loaded = self.store::<A>().load(aggregate_id).await.map_err(store_error)?;
        Ok((loaded.aggregate, loaded.current_sequence))
    }

    /// Executes `command` against aggregate `aggregate_id`, retrying on conflicts.
    pub async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        facts: &RequestFacts,
    ) -> Result<Committed, CommandError<A::Error>>
    where
        A: Aggregate<Services = Services> + AccountScoped,
        A::Command: Clone,
    {
        let store = self.store::<A>();
        for attempt in 0..self.max_attempts {
            let mut context = store.load(aggregate_id).await.map_err(store_error)?;
            let sink = EventSink::<A>::default();
            context
                .aggregate
                .handle(command.clone(), &self.services, &sink)
                .await
                .map_err(CommandError::Domain)?;
            let events = sink.collect().await;
            if events.is_empty() {
                return Ok(Committed::default());
            }
            let metadata = facts.to_metadata(self.services.clock.now());
            match store.append(&events, &context, &metadata).await {
                Ok(events) => return Ok(Committed { events }),
                Err(AggregateError::AggregateConflict) => {
                    // Spread the retries of competing writers apart.
                    let jitter = self.services.random.below(1 << attempt.min(5)) as u64;
                    tokio::time::sleep(Duration::from_millis(jitter)).await;
                }
                Err(other) => return Err(store_error(other)),
            }
        }
        Err(CommandError::Conflict {
            aggregate_type: A::TYPE,
            aggregate_id: aggregate_id.to_string(),
        })
    }
}

fn store_error<E: std::error::Error>(err: AggregateError<E>) -> CommandError<E> {
    match err {
        AggregateError::UserError(e) => CommandError::Domain(e),
        other => CommandError::Store(other.to_string()),
    }
}
