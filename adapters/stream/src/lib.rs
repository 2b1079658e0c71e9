//! NATS JetStream: connecting, the events stream's configuration and creation, and the naming rules
//! of what the relay publishes (subject, `Nats-Msg-Id`, and the headers that map a stream message
//! back to a position in the events table).
//!
//! Connections are made so that a dead server turns into errors, never into an eternal hang: the
//! initial connect is bounded by `connection_timeout`, every request and JetStream API call by
//! `request_timeout`, and publish acks by the JetStream context's timeout. While disconnected the
//! client keeps reconnecting (unbounded attempts, bounded delay): a long-running service must
//! come back by itself once the server does, and publishes whose acks failed are retried by the
//! relay with the same `Nats-Msg-Id`.

pub mod relay;

use std::time::Duration;

use async_nats::jetstream::{self, stream};

/// Header carrying the `tx_id` (xid8, decimal) of the event a message was published from.
pub const HEADER_TX_ID: &str = "Chronid-Tx-Id";
/// Header carrying the `global_seq` (the canonical position) of the event a message was
/// published from.
pub const HEADER_POSITION: &str = "Chronid-Position";

/// The events stream: its name, subject prefix and the few settings that vary by environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// JetStream stream name (`CHRONID_EVENTS`).
    pub stream: String,
    /// Subject prefix (`chronid.events`); the stream captures `{prefix}.>`.
    pub subject_prefix: String,
    /// Replicas (1 locally, 3 in production).
    pub replicas: usize,
    /// JetStream's `Nats-Msg-Id` deduplication window.
    pub duplicate_window: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            stream: "CHRONID_EVENTS".to_string(),
            subject_prefix: "chronid.events".to_string(),
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

impl StreamConfig {
    /// The JetStream configuration this stream must have.
    pub fn jetstream_config(&self) -> stream::Config {
        stream::Config {
            name: self.stream.clone(),
            subjects: vec![format!("{}.>", self.subject_prefix)],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            max_age: Duration::ZERO,
            max_messages: -1,
            max_bytes: -1,
            deny_delete: true,
            deny_purge: true,
            duplicate_window: self.duplicate_window,
            num_replicas: self.replicas,
            description: Some("chronid events (public envelopes)".to_string()),
            ..Default::default()
        }
    }
}

/// Errors of stream setup.
#[derive(Debug, thiserror::Error)]
pub enum StreamSetupError {
    #[error("creating or updating stream {stream}: {source}")]
    CreateOrUpdate {
        stream: String,
        #[source]
        source: jetstream::context::CreateStreamError,
    },
    #[error("reading stream {stream}: {source}")]
    Get {
        stream: String,
        #[source]
        source: jetstream::context::GetStreamError,
    },
}

/// Creates the events stream, or updates it to `cfg` when it exists (run at every start).
pub async fn ensure_stream(
    js: &jetstream::Context,
    cfg: &StreamConfig,
) -> Result<stream::Stream, StreamSetupError> {
    js.create_or_update_stream(cfg.jetstream_config())
        .await
        .map_err(|source| StreamSetupError::CreateOrUpdate {
            stream: cfg.stream.clone(),
            source,
        })?;
    js.get_stream(&cfg.stream)
        .await
        .map_err(|source| StreamSetupError::Get {
            stream: cfg.stream.clone(),
            source,
        })
}

/// The subject of an event: `{prefix}.{account_id}.{aggregate_type}.{EventType}`.
pub fn subject(prefix: &str, account_id: &str, aggregate_type: &str, event_type: &str) -> String {
    format!("{prefix}.{account_id}.{aggregate_type}.{event_type}")
}

/// The `Nats-Msg-Id` of an event: `{aggregate_type}:{aggregate_id}:{sequence}`, unique per event
/// and stable across republishes, so JetStream drops the copies of a retried publish.
pub fn msg_id(aggregate_type: &str, aggregate_id: &str, sequence: i64) -> String {
    format!("{aggregate_type}:{aggregate_id}:{sequence}")
}

/// Timeouts and reconnect behaviour of a NATS connection.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// Client name shown by the server (`chronid`).
    pub name: String,
    /// Bound on establishing a connection (TCP, handshake, first PONG).
    pub connection_timeout: Duration,
    /// Bound on requests and JetStream API calls, and on publish acks.
    pub request_timeout: Duration,
    /// Longest delay between two reconnect attempts.
    pub max_reconnect_delay: Duration,
}

impl Default for NatsOptions {
    fn default() -> Self {
        Self {
            name: "chronid".to_string(),
            connection_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            max_reconnect_delay: Duration::from_secs(2),
        }
    }
}

impl NatsOptions {
    /// The client options: bounded connect and request times, reconnect forever with a delay
    /// growing 50 ms, 100 ms, ... up to `max_reconnect_delay`.
    pub fn connect_options(&self) -> async_nats::ConnectOptions {
        let max_delay = self.max_reconnect_delay;
        async_nats::ConnectOptions::new()
            .name(&self.name)
            .connection_timeout(self.connection_timeout)
            .request_timeout(Some(self.request_timeout))
            .max_reconnects(None)
            .reconnect_delay_callback(move |attempts| {
                let exp = u32::try_from(attempts.min(10)).unwrap_or(10);
                Duration::from_millis(50)
                    .saturating_mul(2u32.saturating_pow(exp))
                    .min(max_delay)
            })
    }

    /// Connects to `url`; fails (within `connection_timeout`) when the server is unreachable.
    pub async fn connect(&self, url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
        self.connect_options().connect(url).await
    }

    /// A JetStream context whose API calls and publish acks are bounded by `request_timeout`.
    pub fn jetstream(&self, client: async_nats::Client) -> jetstream::Context {
        jetstream::ContextBuilder::new()
            .timeout(self.request_timeout)
            .build(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            subject("chronid.events", "a1", "user", "UserLocked"),
            "chronid.events.a1.user.UserLocked"
        );
        assert_eq!(msg_id("user", "u1", 7), "user:u1:7");
        let cfg = StreamConfig::default().jetstream_config();
        assert_eq!(cfg.subjects, vec!["chronid.events.>".to_string()]);
        assert!(cfg.deny_delete && cfg.deny_purge);
        assert_eq!(cfg.duplicate_window, Duration::from_secs(120));
    }
}
