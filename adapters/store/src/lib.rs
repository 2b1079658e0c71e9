//! The PostgreSQL event store: migrations, chronid's snapshotting store behind cqrs-es's
//! `EventStore` trait, and the command executor that retries conflicts.

pub mod batch;
pub mod blobs;
mod cache;
mod devices;
mod event_store;
mod executor;
pub mod leader;
pub mod login_state;
mod migrate;
pub mod rows;
pub mod supervise;
mod wakeup;

pub use batch::AppendBatcher;
pub use devices::{sso_configs_of, trusted_devices_of};
pub use event_store::{CommittedEvent, LoadedAggregate, PgEventStore, DEFAULT_SNAPSHOT_EVERY};
pub use executor::{CommandError, CommandExecutor, Committed, GuardError};
pub use migrate::{migrate, versions as migration_versions};
pub use rows::{Cursor, RESERVATION_AGGREGATE_TYPE};
pub use wakeup::{CommitNotifier, EVENTS_CHANNEL};

pub use sqlx::PgPool;

/// A pool of connections to the database at `url`. Waits at most 5 s for a connection.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: sqlx::postgres::PgConnectOptions = url.parse()?;
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(latency_settings(options))
        .await
}

/// Session settings for a service answering in milliseconds, sent with the connection's start
/// (no round trip): no parallel workers (starting them costs about 10 ms, more than the
/// newest-first page scans chronid runs take: a text search over 10,000,000 audit entries went
/// from 14 ms to 1.6 ms) and no JIT compilation (tens of milliseconds, for queries that run in
/// less). Decision 0019.
pub fn latency_settings(
    options: sqlx::postgres::PgConnectOptions,
) -> sqlx::postgres::PgConnectOptions {
    options.options([("max_parallel_workers_per_gather", "0"), ("jit", "off")])
}
