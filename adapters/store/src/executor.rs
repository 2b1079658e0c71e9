//! Runs commands: load, check the caller's guard, decide, append; on `AggregateConflict` (another
//! writer took the sequence) reload and decide again, a bounded number of times. Re-deciding on
//! fresh state is what makes counters such as failed logins exact under parallel attempts. Loads
//! go through the aggregate cache (see `cache`), and each commit wakes the relays.

use std::time::Duration;

use chronid_domain::error::ErrorKind;

use chronid_domain::metadata::RequestFacts;
use chronid_domain::{AccountScoped, SecurityRelevant, Services};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateError, DomainEvent};
use sqlx::PgPool;

use super::batch::{self, AppendBatcher};
use super::cache::AggregateCache;
use super::event_store::{CommittedEvent, LoadedAggregate, PgEventStore, DEFAULT_SNAPSHOT_EVERY};
use super::wakeup::CommitNotifier;

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
    /// The caller's guard refused the aggregate as loaded (wrong account, missing right...).
    #[error("{0}")]
    Guard(GuardError),
    /// The store failed.
    #[error("store failure: {0}")]
    Store(String),
}

/// What a command returns: what was committed and the events, or why not.
pub type Executed<A> =
    Result<(Committed, Vec<<A as Aggregate>::Event>), CommandError<<A as Aggregate>::Error>>;

/// A refusal by a guard: a stable code, a kind and a message safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct GuardError {
    pub code: &'static str,
    pub kind: ErrorKind,
    pub message: String,
}

impl GuardError {
    /// The refusal a domain error gives, with its code, kind and message.
    pub fn from_domain<E: chronid_domain::error::DomainError>(err: &E) -> Self {
        Self {
            code: err.code(),
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

#[derive(Clone)]
pub struct CommandExecutor {
    pool: PgPool,
    services: Services,
    snapshot_every: usize,
    max_attempts: u32,
    cache: AggregateCache,
    notifier: CommitNotifier,
    batcher: Option<AppendBatcher>,
}

impl CommandExecutor {
    /// An executor over `pool`; must be created inside a Tokio runtime (it starts the task that
    /// wakes relays after commits).
    pub fn new(pool: PgPool, services: Services) -> Self {
        Self {
            notifier: CommitNotifier::spawn(pool.clone()),
            batcher: AppendBatcher::spawn(pool.clone(), batch::DEFAULT_WRITERS),
            pool,
            services,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            max_attempts: 12,
            cache: AggregateCache::new(100_000, Duration::from_secs(2)),
        }
    }

    /// Replaces the aggregate cache (capacity 0 disables it).
    pub fn with_cache(mut self, capacity: usize, read_ttl: Duration) -> Self {
        self.cache = AggregateCache::new(capacity, read_ttl);
        self
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

    /// The append writers' state (None when appends are not batched).
    pub fn append_writers(&self) -> Option<&std::sync::Arc<crate::supervise::TaskHealth>> {
        self.batcher.as_ref().map(AppendBatcher::health)
    }

    /// Whether the database answers a trivial query within `timeout` (readiness).
    pub async fn database_answers(&self, timeout: std::time::Duration) -> bool {
        let probe = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&self.pool);
        matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok(1)))
    }

    pub fn store<A: Aggregate + AccountScoped>(&self) -> PgEventStore<A> {
        PgEventStore::new(self.pool.clone(), self.services.ids.clone())
            .with_snapshot_every(self.snapshot_every)
            .with_batcher(self.batcher.clone())
    }

    /// Loads the current state of an aggregate (default state if it has no events). A cached
    /// state younger than the cache's read TTL may answer.
    pub async fn load<A>(&self, aggregate_id: &str) -> Result<(A, usize), CommandError<A::Error>>
    where
        A: Aggregate + AccountScoped + Clone + 'static,
    {
        if let Some(cached) = self.cache.get::<A>(aggregate_id, true) {
            return Ok((cached.aggregate, cached.current_sequence));
        }
        let loaded = self
            .store::<A>()
            .load(aggregate_id)
            .await
            .map_err(store_error)?;
        self.cache.put(&loaded);
        Ok((loaded.aggregate, loaded.current_sequence))
    }

    /// Executes `command` after `guard` accepted the aggregate as loaded.
    pub async fn execute_guarded<A, G>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        facts: &RequestFacts,
        guard: G,
    ) -> Result<Committed, CommandError<A::Error>>
    where
        A: Aggregate<Services = Services> + AccountScoped + Clone + 'static,
        A::Command: Clone,
        A::Event: SecurityRelevant,
        G: Fn(&A) -> Result<(), GuardError>,
    {
        self.execute_returning(aggregate_id, command, facts, guard)
            .await
            .map(|(committed, _)| committed)
    }

    /// Executes `command` after `guard` accepted the aggregate, returning the events it wrote
    /// with where they landed: for callers whose answer depends on what was decided (a wrong
    /// code is recorded, not refused).
    #[tracing::instrument(name = "command", skip_all, fields(
        aggregate = A::TYPE,
        id = tracing::field::Empty,
        account = tracing::field::Empty,
        actor = ?facts.actor,
        request_id = facts.correlation_id.as_deref(),
    ))]
    pub async fn execute_returning<A, G>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        facts: &RequestFacts,
        guard: G,
    ) -> Executed<A>
    where
        A: Aggregate<Services = Services> + AccountScoped + Clone + 'static,
        A::Command: Clone,
        A::Event: SecurityRelevant,
        G: Fn(&A) -> Result<(), GuardError>,
    {
        // A reservation's id is the value it reserves (`email:<account>:<address>`): not logged.
        if A::TYPE != crate::RESERVATION_AGGREGATE_TYPE {
            tracing::Span::current().record("id", aggregate_id);
        }
        let store = self.store::<A>();
        // A cached state is only proven current by a successful append. A refusal or a no-op
        // decided on it is not checked by the store, so it is decided again on stored state.
        let mut use_cache = true;
        for attempt in 0..self.max_attempts {
            let cached = if use_cache {
                self.cache.get::<A>(aggregate_id, false)
            } else {
                None
            };
            let from_cache = cached.is_some();
            let mut context = match cached {
                Some(cached) => cached,
                None => {
                    let loaded = store.load(aggregate_id).await.map_err(store_error)?;
                    self.cache.put(&loaded);
                    loaded
                }
            };
            if let Some(account) = context.aggregate.account_id() {
                tracing::Span::current().record("account", tracing::field::display(account));
            }
            let sink = EventSink::<A>::default();
            // `context` is a copy: a refusal leaves the cached state as it was.
            let decided = match guard(&context.aggregate) {
                Ok(()) => context
                    .aggregate
                    .handle(command.clone(), &self.services, &sink)
                    .await
                    .map_err(CommandError::Domain),
                Err(refused) => Err(CommandError::Guard(refused)),
            };
            let events = sink.collect().await;
            if from_cache && (decided.is_err() || events.is_empty()) {
                self.cache.evict::<A>(aggregate_id);
                use_cache = false;
                continue;
            }
            decided?;
            if events.is_empty() {
                return Ok((Committed::default(), events));
            }
            let metadata = facts.to_metadata(self.services.clock.now());
            match store.append(&events, &context, &metadata).await {
                Ok(committed) => {
                    log_security_outcomes::<A>(aggregate_id, &context.aggregate, &events, facts);
                    self.remember_after_commit(context, events.len());
                    self.notifier.committed();
                    return Ok((Committed { events: committed }, events));
                }
                Err(AggregateError::AggregateConflict) => {
                    self.cache.evict::<A>(aggregate_id);
                    // Spread the retries of competing writers apart.
                    let jitter = self.services.random.below(1 << attempt.min(5)) as u64;
                    tokio::time::sleep(Duration::from_millis(jitter)).await;
                }
                Err(other) => {
                    self.cache.evict::<A>(aggregate_id);
                    return Err(store_error(other));
                }
            }
        }
        Err(CommandError::Conflict {
            aggregate_type: A::TYPE,
            aggregate_id: aggregate_id.to_string(),
        })
    }

    fn remember_after_commit<A>(&self, mut context: LoadedAggregate<A>, appended: usize)
    where
        A: Aggregate + Clone + 'static,
    {
        context.current_sequence += appended;
        if context.current_sequence - context.snapshot_sequence >= self.snapshot_every {
            context.snapshot_sequence = context.current_sequence;
        }
        self.cache.keep(context);
    }

    /// Executes `command` against aggregate `aggregate_id`, retrying on conflicts.
    pub async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        facts: &RequestFacts,
    ) -> Result<Committed, CommandError<A::Error>>
    where
        A: Aggregate<Services = Services> + AccountScoped + Clone + 'static,
        A::Command: Clone,
        A::Event: SecurityRelevant,
    {
        self.execute_guarded(aggregate_id, command, facts, |_: &A| Ok(()))
            .await
    }
}

fn store_error<E: std::error::Error>(err: AggregateError<E>) -> CommandError<E> {
    match err {
        AggregateError::UserError(e) => CommandError::Domain(e),
        other => CommandError::Store(other.to_string()),
    }
}

/// Logs each committed security outcome on the `security` target: what happened, to which
/// aggregate of which account, by whom and from where; never a payload.
fn log_security_outcomes<A>(
    aggregate_id: &str,
    aggregate: &A,
    events: &[A::Event],
    facts: &RequestFacts,
) where
    A: Aggregate + AccountScoped,
    A::Event: SecurityRelevant,
{
    for event in events.iter().filter(|e| e.is_security_outcome()) {
        tracing::info!(
            target: "security",
            event = %event.event_type(),
            aggregate = A::TYPE,
            id = aggregate_id,
            account = aggregate.account_id().map(tracing::field::display),
            actor_kind = facts.actor.kind.as_str(),
            actor_id = facts.actor.id.map(tracing::field::display),
            ip = facts.ip.as_deref(),
            request_id = facts.correlation_id.as_deref(),
            "security event committed"
        );
    }
}
