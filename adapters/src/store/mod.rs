//! The PostgreSQL event store: migrations, chronid's snapshotting store behind cqrs-es's
//! `EventStore` trait, and the command executor that retries conflicts.

pub mod batch;
mod cache;
mod devices;
mod event_store;
mod executor;
mod migrate;
mod wakeup;

pub use batch::AppendBatcher;
pub use devices::trusted_devices_of;
pub use event_store::{CommittedEvent, LoadedAggregate, PgEventStore, DEFAULT_SNAPSHOT_EVERY};
pub use executor::{CommandError, CommandExecutor, Committed, GuardError};
pub use migrate::migrate;
pub use wakeup::{CommitNotifier, EVENTS_CHANNEL};
