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

/// A connection URL as a message may show it: the password of its user part replaced by `***`.
/// With `lone_user_is_secret` (NATS, where `nats://s3cret@host` carries a token) a user part
/// without a password is replaced whole; otherwise (PostgreSQL's `postgres://user@host`) it is a
/// user name and stays.
pub fn redacted_url(url: &str, lone_user_is_secret: bool) -> String {
    let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return url.to_string();
    };
    if at < scheme {
        return url.to_string();
    }
    let (head, user, tail) = (&url[..scheme + 3], &url[scheme + 3..at], &url[at..]);
    match user.split_once(':') {
        Some((name, _)) => format!("{head}{name}:***{tail}"),
        None if lone_user_is_secret => format!("{head}***{tail}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::redacted_url;

    #[test]
    fn passwords_and_tokens_never_show() {
        assert_eq!(
            redacted_url("postgres://app:s3cret@db:5432/x?sslmode=require", false),
            "postgres://app:***@db:5432/x?sslmode=require"
        );
        assert_eq!(
            redacted_url("postgres://app@db/x", false),
            "postgres://app@db/x"
        );
        assert_eq!(
            redacted_url("nats://s3cret-token@a:4222", true),
            "nats://***@a:4222"
        );
        // A password holding '@' or ':' is hidden whole: the last '@' ends the user part.
        assert_eq!(
            redacted_url("nats://u:p@ss:w@a:4222", true),
            "nats://u:***@a:4222"
        );
        assert_eq!(redacted_url("nats://a:4222", true), "nats://a:4222");
    }
}
