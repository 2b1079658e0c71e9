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

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::{self, stream};
use async_nats::ServerAddr;

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
    #[error("stream {stream} has no leader after {waited:?}")]
    NoLeader { stream: String, waited: Duration },
}

/// Creates the events stream, or updates it to `cfg` when it exists (run at every start).
pub async fn ensure_stream(
    js: &jetstream::Context,
    cfg: &StreamConfig,
) -> Result<stream::Stream, StreamSetupError> {
    ensure_stream_within(js, cfg, STREAM_READY_TIMEOUT).await
}

/// How long a start waits for the stream to be created and to answer.
pub const STREAM_READY_TIMEOUT: Duration = Duration::from_secs(30);

/// [`ensure_stream`], waiting at most `timeout`. Several nodes may start at once: each creates
/// or updates the stream (the same configuration, so whichever comes second finds it made),
/// retrying what fails meanwhile, then waits until the stream answers with a leader, so no node
/// publishes or consumes before a replicated stream has elected one.
pub async fn ensure_stream_within(
    js: &jetstream::Context,
    cfg: &StreamConfig,
    timeout: Duration,
) -> Result<stream::Stream, StreamSetupError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(50);
    let pause = |delay: &mut Duration| {
        let d = *delay;
        *delay = (*delay * 2).min(Duration::from_secs(1));
        tokio::time::sleep(d)
    };
    let wanted = cfg.jetstream_config();
    // A stream that already has this configuration is left alone: in a cluster an update,
    // even to the same settings, is a proposal through the meta leader to every replica, and a
    // node that restarts while the others publish has no reason to make one.
    // `get_stream` reads the stream's information once; `cached_info` is that answer.
    let current = js.get_stream(&cfg.stream).await.ok();
    let made = current
        .as_ref()
        .is_some_and(|s| same_settings(&s.cached_info().config, &wanted));
    if let Some(stream) = current.filter(|s| made && has_leader(s.cached_info())) {
        return Ok(stream);
    }
    if !made {
        loop {
            match js.create_or_update_stream(wanted.clone()).await {
                Ok(_) => break,
                Err(source)
                    if !setup_may_pass_later(&source)
                        || tokio::time::Instant::now() + delay >= deadline =>
                {
                    return Err(StreamSetupError::CreateOrUpdate {
                        stream: cfg.stream.clone(),
                        source,
                    })
                }
                Err(error) => {
                    tracing::info!(stream = %cfg.stream, %error, "creating or updating the stream; retrying");
                    pause(&mut delay).await;
                }
            }
        }
    }
    loop {
        let failed = match js.get_stream(&cfg.stream).await {
            Ok(stream) if has_leader(stream.cached_info()) => return Ok(stream),
            Ok(_) => None,
            Err(source) => Some(source),
        };
        if tokio::time::Instant::now() + delay >= deadline {
            return Err(match failed {
                Some(source) => StreamSetupError::Get {
                    stream: cfg.stream.clone(),
                    source,
                },
                None => StreamSetupError::NoLeader {
                    stream: cfg.stream.clone(),
                    waited: timeout,
                },
            });
        }
        pause(&mut delay).await;
    }
}

/// Whether a stream can take messages: alone, or replicated with a leader elected.
fn has_leader(info: &stream::Info) -> bool {
    info.cluster.as_ref().is_none_or(|c| c.leader.is_some())
}

/// Whether a live stream has every setting chronid sets (the server fills in the others).
fn same_settings(live: &stream::Config, wanted: &stream::Config) -> bool {
    live.subjects == wanted.subjects
        && live.storage == wanted.storage
        && live.retention == wanted.retention
        && live.max_age == wanted.max_age
        && live.max_messages == wanted.max_messages
        && live.max_bytes == wanted.max_bytes
        && live.deny_delete == wanted.deny_delete
        && live.deny_purge == wanted.deny_purge
        && live.duplicate_window == wanted.duplicate_window
        && live.num_replicas.max(1) == wanted.num_replicas.max(1)
        && live.description == wanted.description
        // Left at their defaults by chronid, so an update puts them back if someone changed
        // them: a per-subject limit would delete events, no_ack would stop the relay's acks.
        && unlimited(live.max_messages_per_subject) == unlimited(wanted.max_messages_per_subject)
        && unlimited(live.max_message_size.into()) == unlimited(wanted.max_message_size.into())
        && live.discard == wanted.discard
        && live.no_ack == wanted.no_ack
        && live.sealed == wanted.sealed
        && live.allow_rollup == wanted.allow_rollup
        && live.sources.as_ref().is_none_or(Vec::is_empty)
        && live.mirror.is_none()
        && live.republish.is_none()
}

/// A limit, with every value JetStream reads as "none" (0 and -1) as `None`.
fn unlimited(limit: i64) -> Option<i64> {
    (limit > 0).then_some(limit)
}

/// Whether a failed create-or-update may pass if tried again: no answer yet, JetStream not up
/// yet or temporarily unavailable (a cluster electing its leaders). A configuration JetStream
/// refuses (subjects taken by another stream, a change it does not allow) fails at once.
fn setup_may_pass_later(error: &jetstream::context::CreateStreamError) -> bool {
    use jetstream::context::CreateStreamErrorKind as Kind;
    match error.kind() {
        Kind::TimedOut | Kind::JetStreamUnavailable | Kind::Response | Kind::NotFound => true,
        // 10008: JetStream system temporarily unavailable.
        Kind::JetStream(e) => e.error_code().0 == 10008,
        _ => false,
    }
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

/// Timeouts, reconnect behaviour, TLS and credentials of a NATS connection.
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
    /// TLS to the servers; None: plain TCP, unless a URL says `tls://`.
    pub tls: Option<NatsTls>,
    pub auth: NatsAuth,
}

/// TLS to NATS: the authorities to trust (the system's when none) and an optional client
/// certificate.
#[derive(Debug, Clone, Default)]
pub struct NatsTls {
    /// PEM file of the certificate authorities that signed the servers' certificates.
    pub ca: Option<PathBuf>,
    /// PEM files of a client certificate and its key, for servers that verify clients.
    pub client: Option<(PathBuf, PathBuf)>,
}

/// How chronid proves who it is to NATS (beside a user and password in the URL itself).
#[derive(Clone, Default)]
pub enum NatsAuth {
    #[default]
    None,
    /// The text of a `.creds` file: a user JWT and its NKey seed.
    Credentials(String),
    UserPassword {
        user: String,
        password: String,
    },
    Token(String),
}

impl std::fmt::Debug for NatsAuth {
    // Never the secrets: this may end up in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Credentials(_) => f.write_str("Credentials(..)"),
            Self::UserPassword { user, .. } => write!(f, "UserPassword({user}, ..)"),
            Self::Token(_) => f.write_str("Token(..)"),
        }
    }
}

impl Default for NatsOptions {
    fn default() -> Self {
        Self {
            name: "chronid".to_string(),
            connection_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            max_reconnect_delay: Duration::from_secs(2),
            tls: None,
            auth: NatsAuth::None,
        }
    }
}

/// Parses a NATS server URL or a comma-separated seed list (`nats://a:4222,nats://b:4222`, as
/// every NATS client takes it); the error names the entry that is wrong, never a password in it.
pub fn server_addrs(list: &str) -> Result<Vec<ServerAddr>, String> {
    let mut out = Vec::new();
    for (i, entry) in list.split(',').map(str::trim).enumerate() {
        if entry.is_empty() {
            return Err(format!("entry {} of the list is empty", i + 1));
        }
        let addr: ServerAddr = entry.parse().map_err(|e: std::io::Error| {
            format!(
                "entry {} ({}) is not a NATS URL: {e}",
                i + 1,
                redacted(entry)
            )
        })?;
        out.push(addr);
    }
    Ok(out)
}

/// A server list as it may be shown: each URL's password replaced.
pub fn redacted_list(list: &str) -> String {
    list.split(',')
        .map(|u| redacted(u.trim()))
        .collect::<Vec<_>>()
        .join(",")
}

/// A URL as it may be shown: the password, or a lone token, replaced.
fn redacted(url: &str) -> String {
    chronid_store::redacted_url(url, true)
}

impl NatsOptions {
    /// The client options: bounded connect and request times, reconnect forever with a delay
    /// growing 50 ms, 100 ms, ... up to `max_reconnect_delay`, TLS and credentials as set.
    pub fn connect_options(&self) -> std::io::Result<async_nats::ConnectOptions> {
        let max_delay = self.max_reconnect_delay;
        let mut options = async_nats::ConnectOptions::new()
            .name(&self.name)
            .connection_timeout(self.connection_timeout)
            .request_timeout(Some(self.request_timeout))
            .max_reconnects(None)
            .reconnect_delay_callback(move |attempts| {
                let exp = u32::try_from(attempts.min(10)).unwrap_or(10);
                Duration::from_millis(50)
                    .saturating_mul(2u32.saturating_pow(exp))
                    .min(max_delay)
            });
        if let Some(tls) = &self.tls {
            options = options.require_tls(true);
            if let Some(ca) = &tls.ca {
                options = options.add_root_certificates(ca.clone());
            }
            if let Some((cert, key)) = &tls.client {
                options = options.add_client_certificate(cert.clone(), key.clone());
            }
        }
        Ok(match &self.auth {
            NatsAuth::None => options,
            NatsAuth::Credentials(creds) => options.credentials(creds)?,
            NatsAuth::UserPassword { user, password } => {
                options.user_and_password(user.clone(), password.clone())
            }
            NatsAuth::Token(token) => options.token(token.clone()),
        })
    }

    /// Connects to the first of `servers` that answers (in random order, as NATS clients do);
    /// fails (within `connection_timeout` each) when none does.
    pub async fn connect(
        &self,
        servers: &[ServerAddr],
    ) -> Result<async_nats::Client, async_nats::ConnectError> {
        self.connect_options()?.connect(servers).await
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
    fn a_stream_with_every_setting_chronid_sets_is_not_updated() {
        let wanted = StreamConfig::default().jetstream_config();
        // What a server answers: the same settings, and defaults it filled in.
        let live = stream::Config {
            max_consumers: -1,
            max_message_size: -1,
            max_messages_per_subject: -1,
            ..wanted.clone()
        };
        assert!(same_settings(&live, &wanted));
        let three = StreamConfig {
            replicas: 3,
            ..StreamConfig::default()
        }
        .jetstream_config();
        assert!(!same_settings(&live, &three), "replicas changed");
        let window = StreamConfig {
            duplicate_window: Duration::from_secs(300),
            ..StreamConfig::default()
        }
        .jetstream_config();
        assert!(!same_settings(&live, &window), "window changed");
        let subjects = StreamConfig {
            subject_prefix: "other.events".into(),
            ..StreamConfig::default()
        }
        .jetstream_config();
        assert!(!same_settings(&live, &subjects), "subjects changed");
        let limited = stream::Config {
            max_messages_per_subject: 1,
            ..live.clone()
        };
        assert!(!same_settings(&limited, &wanted), "a per-subject limit set");
        let unacked = stream::Config {
            no_ack: true,
            ..live.clone()
        };
        assert!(!same_settings(&unacked, &wanted), "acks turned off");
    }

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

    #[test]
    fn seed_lists() {
        let one = server_addrs("nats://127.0.0.1:4222").unwrap();
        assert_eq!(one.len(), 1);
        let three = server_addrs("nats://a:4222, nats://b:4223,tls://c:4224").unwrap();
        let hosts: Vec<(String, u16)> = three
            .iter()
            .map(|a| (a.host().to_string(), a.port()))
            .collect();
        assert_eq!(
            hosts,
            [("a".into(), 4222), ("b".into(), 4223), ("c".into(), 4224)]
        );
        assert!(three[2].tls_required());
        let empty = server_addrs("nats://a:4222,,nats://b:4222").unwrap_err();
        assert!(empty.contains("entry 2"), "{empty}");
        let bad = server_addrs("nats://a:4222,nats://u:s3cret@b:99999").unwrap_err();
        assert!(
            bad.contains("entry 2") && bad.contains("u:***@b:99999"),
            "{bad}"
        );
        assert!(!bad.contains("s3cret"), "{bad}");
        // A lone user part is a token in a NATS URL: hidden whole.
        let token = server_addrs("nats://t0ken-s3cret@b:99999").unwrap_err();
        assert!(!token.contains("t0ken"), "{token}");
        assert_eq!(
            redacted_list("nats://t0ken@a:4222, nats://u:p@b:4222"),
            "nats://***@a:4222,nats://u:***@b:4222"
        );
    }

    #[test]
    fn credentials_never_show_in_debug() {
        let auth = NatsAuth::UserPassword {
            user: "chronid".into(),
            password: "s3cret".into(),
        };
        assert_eq!(format!("{auth:?}"), "UserPassword(chronid, ..)");
        assert!(!format!("{:?}", NatsAuth::Token("t0ken".into())).contains("t0ken"));
        assert!(!format!("{:?}", NatsAuth::Credentials("seed".into())).contains("seed"));
    }
}
