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
/// user name and stays. A `password` or `sslpassword` query parameter (libpq takes both from
/// the URL) is hidden too.
pub fn redacted_url(url: &str, lone_user_is_secret: bool) -> String {
    let (before, query) = url.split_at(query_start(url));
    let before = match (before.find("://"), before.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let (head, user, tail) = (
                &before[..scheme + 3],
                &before[scheme + 3..at],
                &before[at..],
            );
            match user.split_once(':') {
                Some((name, _)) => format!("{head}{name}:***{tail}"),
                None if lone_user_is_secret => format!("{head}***{tail}"),
                None => before.to_string(),
            }
        }
        _ => before.to_string(),
    };
    format!("{before}{}", redacted_query(query))
}

/// Where the query (or fragment) starts: an '@' there (a file path) does not end the user part.
/// A '?' or '#' written into a password unencoded is told apart by what follows it: the '@'
/// ending the user part comes before any '=' or '&' a query would have, and the password stays
/// hidden whole.
fn query_start(url: &str) -> usize {
    let mut from = 0;
    while let Some(i) = url[from..].find(['?', '#']).map(|i| from + i) {
        let rest = &url[i + 1..];
        match rest.find('@') {
            Some(at) if !rest[..at].contains(['=', '&']) => from = i + 1 + at + 1,
            _ => return i,
        }
    }
    url.len()
}

/// `?a=1&password=x#f` with the values of `password` and `sslpassword` replaced by `***`.
fn redacted_query(query: &str) -> String {
    let Some(params) = query.strip_prefix('?') else {
        return query.to_string();
    };
    let (params, fragment) = match params.find('#') {
        Some(i) => params.split_at(i),
        None => (params, ""),
    };
    let params: Vec<String> = params
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((key, _))
                if key.eq_ignore_ascii_case("password")
                    || key.eq_ignore_ascii_case("sslpassword") =>
            {
                format!("{key}=***")
            }
            _ => param.to_string(),
        })
        .collect();
    format!("?{}{fragment}", params.join("&"))
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

    #[test]
    fn an_at_sign_in_the_query_leaves_the_user_part_alone() {
        assert_eq!(
            redacted_url(
                "postgres://app:s3cret@db/x?sslrootcert=/etc/ca@2026.pem&sslmode=verify-full",
                false
            ),
            "postgres://app:***@db/x?sslrootcert=/etc/ca@2026.pem&sslmode=verify-full"
        );
        assert_eq!(
            redacted_url("postgres://db/x?sslrootcert=/etc/ca@2026.pem", false),
            "postgres://db/x?sslrootcert=/etc/ca@2026.pem"
        );
    }

    #[test]
    fn a_question_mark_or_hash_in_a_password_does_not_show_it() {
        assert_eq!(
            redacted_url("postgres://app:pa?ss@db/x?sslmode=require", false),
            "postgres://app:***@db/x?sslmode=require"
        );
        assert_eq!(
            redacted_url("postgres://app:p#a?s@db/x", false),
            "postgres://app:***@db/x"
        );
        assert_eq!(
            redacted_url("nats://to?ken@a:4222", true),
            "nats://***@a:4222"
        );
    }

    #[test]
    fn a_password_in_the_query_never_shows() {
        assert_eq!(
            redacted_url(
                "postgres://app@db/x?sslmode=require&password=s3cret&sslpassword=k3y#f",
                false
            ),
            "postgres://app@db/x?sslmode=require&password=***&sslpassword=***#f"
        );
        assert_eq!(
            redacted_url("postgres://db/x?PASSWORD=s3cret", false),
            "postgres://db/x?PASSWORD=***"
        );
    }
}
