//! The PostgreSQL event store: migrations, chronid's snapshotting store behind cqrs-es's
//! `EventStore` trait, and the command executor that retries conflicts.

mod event_store;
mod executor;
mod migrate;

pub use event_store::{CommittedEvent, LoadedAggregate, PgEventStore, DEFAULT_SNAPSHOT_EVERY};
pub use executor::{CommandError, CommandExecutor, Committed};
pub use migrate::migrate;
