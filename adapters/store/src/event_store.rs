//! chronid's snapshotting event store behind cqrs-es's `EventStore` trait.
//!
//! cqrs-es 0.5.0's own snapshot and aggregate stores apply each new event twice (the `EventSink`
//! applies it during `handle`, their `commit` applies it again), so their snapshots are corrupt.
//! Here `commit` never re-applies: the aggregate in the context already holds every new event, so
//! it *is* the state at the new sequence, and that is what a snapshot stores. Loading reads the
//! snapshot and the events after it in one round trip, so its cost does not grow with history.
//! Events and snapshot are written by a single SQL statement (atomic); a second writer of the same
//! sequence gets `AggregateConflict` (from the primary key, or, for a single event appended
//! through the batcher, from its row not being returned by `ON CONFLICT DO NOTHING`).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use chronid_domain::metadata;
use chronid_domain::ports::IdGenerator;
use chronid_domain::AccountScoped;
use cqrs_es::persist::{EventUpcaster, PersistedEventStore, SerializedEvent};
use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, DomainEvent, EventEnvelope, EventStore,
};
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlx::{PgPool, Row};

use super::batch::{Append, AppendBatcher, Appended, BatchError};

/// Write a snapshot once this many events have accumulated since the last one.
pub const DEFAULT_SNAPSHOT_EVERY: usize = 50;

/// An aggregate as loaded: its state, the sequence it is at, and the sequence of its snapshot.
#[derive(Clone)]
pub struct LoadedAggregate<A: Aggregate> {
    pub aggregate_id: String,
    pub aggregate: A,
    pub current_sequence: usize,
    pub snapshot_sequence: usize,
}

impl<A: Aggregate> AggregateContext<A> for LoadedAggregate<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

/// One committed event: where it landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedEvent {
    pub sequence: i64,
    pub position: i64,
    pub event_type: String,
    pub event_id: uuid::Uuid,
}

pub struct PgEventStore<A: Aggregate> {
    pool: PgPool,
    ids: Arc<dyn IdGenerator>,
    snapshot_every: usize,
    batcher: Option<AppendBatcher>,
    _aggregate: PhantomData<A>,
}

/// cqrs-es's upcaster over the aggregate's own (`chronid_domain::Upcast::upcast`), for the
/// paths that read through postgres-es.
struct AggregateUpcaster(fn(&str, &str, Value) -> Value);

impl EventUpcaster for AggregateUpcaster {
    fn can_upcast(&self, _event_type: &str, _event_version: &str) -> bool {
        true
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        event.payload = (self.0)(&event.event_type, &event.event_version, event.payload);
        event
    }
}

const LOAD_SQL: &str = "
WITH snap AS (
    SELECT last_sequence, payload FROM snapshots WHERE aggregate_type = $1 AND aggregate_id = $2
)
SELECT 0 AS kind, last_sequence AS sequence, ''::text AS event_type, ''::text AS event_version, payload
  FROM snap
UNION ALL
SELECT 1, e.sequence, e.event_type, e.event_version, e.payload
  FROM events e
 WHERE e.aggregate_type = $1 AND e.aggregate_id = $2
   AND e.sequence > COALESCE((SELECT last_sequence FROM snap), 0)
ORDER BY kind, sequence";

const COMMIT_SQL: &str = "
WITH ins AS (
    INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    SELECT $1, $2, u.seq, u.et, u.ev, u.p::jsonb, u.m::jsonb
      FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(seq, et, ev, p, m)
    RETURNING sequence, global_seq
), snap AS (
    INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
    SELECT $1, $2, $8, 1, $9::jsonb WHERE $9::jsonb IS NOT NULL
    ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
       SET last_sequence = EXCLUDED.last_sequence,
           current_snapshot = snapshots.current_snapshot + 1,
           payload = EXCLUDED.payload
     WHERE snapshots.last_sequence < EXCLUDED.last_sequence
)
SELECT sequence, global_seq FROM ins ORDER BY sequence";

/// One event and no snapshot due, without a batcher (outside a Tokio runtime): a plain INSERT is
/// cheaper for PostgreSQL than the combined statement.
const COMMIT_ONE_SQL: &str = "
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb)
RETURNING sequence, global_seq";

fn db_error<E: std::error::Error>(err: sqlx::Error) -> AggregateError<E> {
    if let sqlx::Error::Database(db) = &err {
        if db.code().as_deref() == Some("23505") {
            return AggregateError::AggregateConflict;
        }
    }
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => AggregateError::DatabaseConnectionError(Box::new(err)),
        other => AggregateError::UnexpectedError(Box::new(other)),
    }
}

impl<A> PgEventStore<A>
where
    A: Aggregate + AccountScoped,
{
    pub fn new(pool: PgPool, ids: Arc<dyn IdGenerator>) -> Self {
        Self {
            pool,
            ids,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            batcher: None,
            _aggregate: PhantomData,
        }
    }

    pub fn with_snapshot_every(mut self, n: usize) -> Self {
        self.snapshot_every = n.max(1);
        self
    }

    /// Appends of one event without a snapshot go through `batcher`, sharing statements with
    /// concurrent ones.
    pub fn with_batcher(mut self, batcher: Option<AppendBatcher>) -> Self {
        self.batcher = batcher;
        self
    }

    /// A stored payload as the current event type, older versions upcast first.
    fn decode(
        event_type: &str,
        event_version: &str,
        payload: Value,
    ) -> Result<A::Event, AggregateError<A::Error>> {
        serde_json::from_value(A::upcast(event_type, event_version, payload))
            .map_err(|e| AggregateError::DeserializationError(Box::new(e)))
    }

    /// The position (`global_seq`) of the aggregate's last event, if it has any.
    pub async fn position_of(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<i64>, AggregateError<A::Error>> {
        sqlx::query_scalar(
            "SELECT global_seq FROM events WHERE aggregate_type = $1 AND aggregate_id = $2
              ORDER BY sequence DESC LIMIT 1",
        )
        .bind(A::TYPE)
        .bind(aggregate_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)
    }

    /// One stored event of the aggregate, in the current shape (secrets included: for the
    /// notifier, which delivers what they seal).
    pub async fn load_event(
        &self,
        aggregate_id: &str,
        sequence: i64,
    ) -> Result<Option<A::Event>, AggregateError<A::Error>> {
        let row = sqlx::query(
            "SELECT event_type, event_version, payload FROM events
              WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3",
        )
        .bind(A::TYPE)
        .bind(aggregate_id)
        .bind(sequence)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.map(|row| {
            Self::decode(
                row.get("event_type"),
                row.get("event_version"),
                row.get("payload"),
            )
        })
        .transpose()
    }

    /// Loads the aggregate from its snapshot and the events after it.
    pub async fn load(
        &self,
        aggregate_id: &str,
    ) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
        let rows = sqlx::query(LOAD_SQL)
            .bind(A::TYPE)
            .bind(aggregate_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let mut loaded = LoadedAggregate {
            aggregate_id: aggregate_id.to_string(),
            aggregate: A::default(),
            current_sequence: 0,
            snapshot_sequence: 0,
        };
        let mut rows = rows.into_iter().peekable();
        if let Some(first) = rows.peek() {
            if first.get::<i32, _>("kind") == 0 {
                let snap = rows.next();
                if let Some(snap) = snap {
                    let seq: i64 = snap.get("sequence");
                    let payload: Value = snap.get("payload");
                    match serde_json::from_value::<A>(payload) {
                        Ok(state) => {
                            loaded.aggregate = state;
                            loaded.current_sequence = seq as usize;
                            loaded.snapshot_sequence = seq as usize;
                        }
                        Err(err) => {
                            // The state's shape changed since the snapshot: rebuild from events.
                            tracing::warn!(aggregate_type = A::TYPE, aggregate_id, %err, "unreadable snapshot; replaying all events");
                            let events = self.load_events(aggregate_id).await?;
                            for e in events {
                                loaded.current_sequence = e.sequence;
                                loaded.aggregate.apply(e.payload);
                            }
                            return Ok(loaded);
                        }
                    }
                }
            }
        }
        for row in rows {
            let seq: i64 = row.get("sequence");
            let event = Self::decode(
                row.get("event_type"),
                row.get("event_version"),
                row.get("payload"),
            )?;
            loaded.aggregate.apply(event);
            loaded.current_sequence = seq as usize;
        }
        Ok(loaded)
    }

    /// Appends `events` (already applied to `context.aggregate` by the sink) after
    /// `context.current_sequence`, with `metadata` plus each event's id and account, and refreshes
    /// the snapshot when due. Returns where each event landed.
    pub async fn append(
        &self,
        events: &[A::Event],
        context: &LoadedAggregate<A>,
        metadata: &HashMap<String, String>,
    ) -> Result<Vec<CommittedEvent>, AggregateError<A::Error>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let account_id = context.aggregate.account_id();
        let n = events.len();
        let mut seqs = Vec::with_capacity(n);
        let mut types = Vec::with_capacity(n);
        let mut versions = Vec::with_capacity(n);
        let mut payloads = Vec::with_capacity(n);
        let mut metas = Vec::with_capacity(n);
        let mut event_ids = Vec::with_capacity(n);
        for (i, event) in events.iter().enumerate() {
            let event_id = self.ids.new_id();
            let mut meta = metadata.clone();
            meta.insert(metadata::EVENT_ID.to_string(), event_id.to_string());
            if let Some(account) = account_id {
                meta.insert(metadata::ACCOUNT_ID.to_string(), account.to_string());
            }
            seqs.push((context.current_sequence + i + 1) as i64);
            types.push(event.event_type());
            versions.push(event.event_version());
            // Text, not a `Value` tree: PostgreSQL parses the jsonb either way, and the tree
            // cost an allocation per field to build and to drop.
            payloads.push(
                serde_json::to_string(event)
                    .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?,
            );
            metas.push(
                serde_json::to_string(&meta)
                    .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?,
            );
            event_ids.push(event_id);
        }
        let new_sequence = context.current_sequence + n;
        let snapshot = if new_sequence - context.snapshot_sequence >= self.snapshot_every {
            Some(
                serde_json::to_value(&context.aggregate)
                    .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?,
            )
        } else {
            None
        };
        if let (1, None, Some(batcher)) = (n, &snapshot, &self.batcher) {
            let (Some(payload), Some(meta), Some(event_id)) =
                (payloads.pop(), metas.pop(), event_ids.pop())
            else {
                return Err(AggregateError::UnexpectedError("no event to append".into()));
            };
            let event_type = types.swap_remove(0);
            let appended = batcher
                .append(Append {
                    aggregate_type: A::TYPE,
                    aggregate_id: context.aggregate_id.clone(),
                    sequence: seqs[0],
                    event_type: event_type.clone(),
                    event_version: versions.swap_remove(0),
                    payload,
                    metadata: meta,
                })
                .await
                .map_err(|err| match err {
                    BatchError::Connection(_) => {
                        AggregateError::DatabaseConnectionError(Box::new(err))
                    }
                    BatchError::Rejected(_) | BatchError::Other(_) => {
                        AggregateError::UnexpectedError(Box::new(err))
                    }
                })?;
            return match appended {
                Appended::Stored { global_seq } => Ok(vec![CommittedEvent {
                    sequence: seqs[0],
                    position: global_seq,
                    event_type,
                    event_id,
                }]),
                Appended::Conflict => Err(AggregateError::AggregateConflict),
            };
        }
        let rows = if n == 1 && snapshot.is_none() {
            sqlx::query(COMMIT_ONE_SQL)
                .bind(A::TYPE)
                .bind(&context.aggregate_id)
                .bind(seqs[0])
                .bind(&types[0])
                .bind(&versions[0])
                .bind(&payloads[0])
                .bind(&metas[0])
                .fetch_all(&self.pool)
                .await
        } else {
            sqlx::query(COMMIT_SQL)
                .bind(A::TYPE)
                .bind(&context.aggregate_id)
                .bind(&seqs)
                .bind(&types)
                .bind(&versions)
                .bind(&payloads)
                .bind(&metas)
                .bind(new_sequence as i64)
                .bind(snapshot)
                .fetch_all(&self.pool)
                .await
        }
        .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .zip(types.into_iter().zip(event_ids))
            .map(|(row, (event_type, event_id))| CommittedEvent {
                sequence: row.get("sequence"),
                position: row.get("global_seq"),
                event_type,
                event_id,
            })
            .collect())
    }
}

impl<A> EventStore<A> for PgEventStore<A>
where
    A: Aggregate + AccountScoped,
{
    type AC = LoadedAggregate<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        // Built here, not per store: commands never read the whole history, and building
        // postgres-es's repository formats its SQL every time.
        PersistedEventStore::<_, A>::new_event_store(PostgresEventRepository::new(
            self.pool.clone(),
        ))
        .with_upcasters(vec![Box::new(AggregateUpcaster(A::upcast))])
        .load_events(aggregate_id)
        .await
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<LoadedAggregate<A>, AggregateError<A::Error>> {
        self.load(aggregate_id).await
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: LoadedAggregate<A>,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let committed = self.append(&events, &context, &metadata).await?;
        Ok(events
            .into_iter()
            .zip(committed)
            .map(|(payload, c)| EventEnvelope {
                aggregate_id: context.aggregate_id.clone(),
                sequence: c.sequence as usize,
                payload,
                metadata: metadata.clone(),
            })
            .collect())
    }
}
