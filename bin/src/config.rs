//! Configuration: one struct, read from flags or `CHRONID_*` variables (a flag and its variable
//! mean the same thing), validated at start with errors that name both.

use std::net::SocketAddr;

use crate::usage::usage;
use base64::Engine;
use chronid_crypto::Argon2Params;
use chronid_stream::{NatsAuth, NatsOptions, NatsTls, StreamConfig};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct StoreConfig {
    /// PostgreSQL URL of the event store and views.
    #[arg(
        long,
        env = "CHRONID_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/chronid"
    )]
    pub database_url: String,
    /// Most connections in the pool.
    #[arg(long, env = "CHRONID_DB_MAX_CONNECTIONS", default_value_t = 32)]
    pub db_max_connections: u32,
}

#[derive(Debug, Clone, Args)]
pub struct NatsConfig {
    /// NATS server URL, or a comma-separated seed list of a cluster's servers
    /// (`nats://a:4222,nats://b:4222,nats://c:4222`); `tls://` asks for TLS.
    #[arg(
        long,
        env = "CHRONID_NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// PEM file of the certificate authorities that signed the NATS servers' certificates;
    /// setting it turns TLS on.
    #[arg(long, env = "CHRONID_NATS_TLS_CA")]
    pub nats_tls_ca: Option<std::path::PathBuf>,
    /// PEM file of a client certificate for NATS servers that verify clients (with
    /// --nats-tls-key).
    #[arg(long, env = "CHRONID_NATS_TLS_CERT")]
    pub nats_tls_cert: Option<std::path::PathBuf>,
    /// PEM file of the client certificate's key.
    #[arg(long, env = "CHRONID_NATS_TLS_KEY")]
    pub nats_tls_key: Option<std::path::PathBuf>,
    /// A NATS `.creds` file (user JWT and NKey seed).
    #[arg(long, env = "CHRONID_NATS_CREDS")]
    pub nats_creds: Option<std::path::PathBuf>,
    /// NATS user (with CHRONID_NATS_PASSWORD; a password is taken from the environment only).
    #[arg(long, env = "CHRONID_NATS_USER")]
    pub nats_user: Option<String>,
    #[arg(skip = std::env::var("CHRONID_NATS_PASSWORD").ok())]
    pub nats_password: Option<String>,
    /// NATS token (taken from the environment only).
    #[arg(skip = std::env::var("CHRONID_NATS_TOKEN").ok())]
    pub nats_token: Option<String>,
    /// JetStream stream the events are published to.
    #[arg(long, env = "CHRONID_STREAM", default_value = "CHRONID_EVENTS")]
    pub stream: String,
    /// Subject prefix: subjects are `{prefix}.{account}.{aggregate_type}.{EventType}`.
    #[arg(long, env = "CHRONID_SUBJECT_PREFIX", default_value = "chronid.events")]
    pub subject_prefix: String,
    /// Stream replicas (3 in production clusters).
    #[arg(long, env = "CHRONID_STREAM_REPLICAS", default_value_t = 1)]
    pub stream_replicas: usize,
}

impl NatsConfig {
    /// The servers to try, TLS and credentials, checked: each error names its setting.
    pub fn connection(&self) -> anyhow::Result<(Vec<async_nats::ServerAddr>, NatsOptions)> {
        let servers = chronid_stream::server_addrs(&self.nats_url)
            .map_err(|e| usage!("--nats-url / CHRONID_NATS_URL: {e}"))?;
        let readable = |path: &std::path::Path, setting: &str| -> anyhow::Result<String> {
            std::fs::read_to_string(path)
                .map_err(|e| usage!("{setting}: cannot read {}: {e}", path.display()))
        };
        let tls = match (&self.nats_tls_ca, &self.nats_tls_cert, &self.nats_tls_key) {
            (None, None, None) => None,
            (ca, cert, key) => {
                if let Some(ca) = ca {
                    readable(ca, "--nats-tls-ca / CHRONID_NATS_TLS_CA")?;
                }
                let client = match (cert, key) {
                    (Some(cert), Some(key)) => {
                        readable(cert, "--nats-tls-cert / CHRONID_NATS_TLS_CERT")?;
                        readable(key, "--nats-tls-key / CHRONID_NATS_TLS_KEY")?;
                        Some((cert.clone(), key.clone()))
                    }
                    (None, None) => None,
                    _ => {
                        return Err(usage!(
                        "--nats-tls-cert / CHRONID_NATS_TLS_CERT and --nats-tls-key / CHRONID_NATS_TLS_KEY go together"
                    ))
                    }
                };
                Some(NatsTls {
                    ca: ca.clone(),
                    client,
                })
            }
        };
        let auth = match (
            &self.nats_creds,
            &self.nats_user,
            &self.nats_password,
            &self.nats_token,
        ) {
            (None, None, None, None) => NatsAuth::None,
            (Some(path), None, None, None) => {
                let creds = readable(path, "--nats-creds / CHRONID_NATS_CREDS")?;
                // Parsed now, so a wrong file stops the start naming the setting.
                async_nats::ConnectOptions::new()
                    .credentials(&creds)
                    .map_err(|e| {
                        usage!(
                            "--nats-creds / CHRONID_NATS_CREDS: {} is not a NATS credentials file ({})",
                            path.display(),
                            e.kind()
                        )
                    })?;
                NatsAuth::Credentials(creds)
            }
            (None, Some(user), Some(password), None) => NatsAuth::UserPassword {
                user: user.clone(),
                password: password.clone(),
            },
            (None, Some(_), None, None) | (None, None, Some(_), None) => {
                return Err(usage!(
                    "--nats-user / CHRONID_NATS_USER and CHRONID_NATS_PASSWORD go together"
                ))
            }
            (None, None, None, Some(token)) => NatsAuth::Token(token.clone()),
            _ => {
                return Err(usage!(
                "NATS credentials: set one of CHRONID_NATS_CREDS, CHRONID_NATS_USER with CHRONID_NATS_PASSWORD, or CHRONID_NATS_TOKEN"
            ))
            }
        };
        Ok((
            servers,
            NatsOptions {
                tls,
                auth,
                ..NatsOptions::default()
            },
        ))
    }

    /// Connects to the first server of the list that answers, with the settings' TLS and
    /// credentials; the error names the servers (passwords hidden) and how to start one.
    pub async fn connect(&self) -> anyhow::Result<(async_nats::Client, NatsOptions)> {
        let (servers, options) = self.connection()?;
        let client = options.connect(&servers).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to NATS at --nats-url / CHRONID_NATS_URL ({}): {e}; is it running with JetStream? `scripts/services.sh start` starts a local one",
                chronid_stream::redacted_list(&self.nats_url)
            )
        })?;
        Ok((client, options))
    }

    pub fn stream_config(&self) -> anyhow::Result<StreamConfig> {
        let name_ok = !self.stream.is_empty()
            && self
                .stream
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            return Err(usage!(
                "--stream / CHRONID_STREAM must be letters, digits, '_' or '-' (got {:?})",
                self.stream
            ));
        }
        let prefix_ok = !self.subject_prefix.is_empty()
            && !self.subject_prefix.contains(['*', '>', ' '])
            && !self.subject_prefix.starts_with('.')
            && !self.subject_prefix.ends_with('.');
        if !prefix_ok {
            return Err(usage!("--subject-prefix / CHRONID_SUBJECT_PREFIX must be a plain subject such as chronid.events (got {:?})", self.subject_prefix));
        }
        if !(1..=5).contains(&self.stream_replicas) {
            return Err(usage!(
                "--stream-replicas / CHRONID_STREAM_REPLICAS must be 1 to 5"
            ));
        }
        Ok(StreamConfig {
            stream: self.stream.clone(),
            subject_prefix: self.subject_prefix.clone(),
            replicas: self.stream_replicas,
            ..StreamConfig::default()
        })
    }
}

#[derive(Debug, Clone, Args)]
pub struct CryptoConfig {
    /// Base64 of 32 random bytes; seals TOTP secrets and one-time codes at rest.
    #[arg(long, env = "CHRONID_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// argon2id memory cost in KiB.
    #[arg(long, env = "CHRONID_ARGON2_MEMORY_KIB", default_value_t = 19_456)]
    pub argon2_memory_kib: u32,
    /// argon2id iterations.
    #[arg(long, env = "CHRONID_ARGON2_ITERATIONS", default_value_t = 2)]
    pub argon2_iterations: u32,
    /// argon2id lanes.
    #[arg(long, env = "CHRONID_ARGON2_PARALLELISM", default_value_t = 1)]
    pub argon2_parallelism: u32,
    /// Password hashes computed at once (default: the number of cores).
    #[arg(long, env = "CHRONID_HASH_WORKERS")]
    pub hash_workers: Option<usize>,
    /// Password hashes that may wait for a worker; beyond, logins answer 503 with Retry-After
    /// (default: 64 per worker).
    #[arg(long, env = "CHRONID_HASH_QUEUE")]
    pub hash_queue: Option<usize>,
}

impl CryptoConfig {
    pub fn argon2(&self) -> anyhow::Result<Argon2Params> {
        if !(1024..=1_048_576).contains(&self.argon2_memory_kib) {
            return Err(usage!(
                "--argon2-memory-kib / CHRONID_ARGON2_MEMORY_KIB must be 1024 to 1048576"
            ));
        }
        if !(1..=20).contains(&self.argon2_iterations) {
            return Err(usage!(
                "--argon2-iterations / CHRONID_ARGON2_ITERATIONS must be 1 to 20"
            ));
        }
        if !(1..=16).contains(&self.argon2_parallelism) {
            return Err(usage!(
                "--argon2-parallelism / CHRONID_ARGON2_PARALLELISM must be 1 to 16"
            ));
        }
        Ok(Argon2Params {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        })
    }

    pub fn workers(&self) -> usize {
        self.hash_workers
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            })
            .max(1)
    }

    /// The sealing key; required by `serve`.
    pub fn secret_key(&self) -> anyhow::Result<[u8; 32]> {
        let raw = self
            .secret_key
            .as_deref()
            .ok_or_else(|| usage!("--secret-key / CHRONID_SECRET_KEY is required: base64 of 32 random bytes (e.g. `head -c32 /dev/urandom | base64`)"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|_| usage!("--secret-key / CHRONID_SECRET_KEY is not valid base64"))?;
        bytes.try_into().map_err(|b: Vec<u8>| {
            usage!(
                "--secret-key / CHRONID_SECRET_KEY must decode to 32 bytes, not {}",
                b.len()
            )
        })
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address the HTTP API listens on.
    #[arg(long, env = "CHRONID_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Which parts this process runs: any of api, relay, projections, notifier
    /// (comma-separated), so API nodes, the relay, projection workers and the notifier can scale
    /// separately.
    #[arg(
        long,
        env = "CHRONID_COMPONENTS",
        value_delimiter = ',',
        default_value = "api,relay,projections,notifier"
    )]
    pub components: Vec<Component>,
    /// Base of links in emails.
    #[arg(
        long,
        env = "CHRONID_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// Link to the terms of service in the footer of every page (none when unset).
    #[arg(long, env = "CHRONID_TERMS_URL")]
    pub terms_url: Option<String>,
    /// Link to the privacy notice in the footer of every page (none when unset).
    #[arg(long, env = "CHRONID_PRIVACY_URL")]
    pub privacy_url: Option<String>,
    /// SMTP server for emails (reset links, codes): `smtp://host:port` (plain),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`; `user:password@` to log in.
    #[arg(long, env = "CHRONID_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of emails.
    #[arg(
        long,
        env = "CHRONID_SMTP_FROM",
        default_value = "chronid <no-reply@localhost>"
    )]
    pub smtp_from: String,
    /// Base URL of a Twilio-style SMS / voice provider (`{base}/Messages.json`,
    /// `{base}/Calls.json`); `user:password@` for basic authentication.
    #[arg(long, env = "CHRONID_SMS_URL", hide_env_values = true)]
    pub sms_url: Option<String>,
    /// The sender number or name of texts and calls.
    #[arg(long, env = "CHRONID_SMS_FROM", default_value = "chronid")]
    pub sms_from: String,
    /// Hours a session lives from login.
    #[arg(long, env = "CHRONID_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u32,
    /// Minutes a session may go unused before it ends.
    #[arg(long, env = "CHRONID_SESSION_IDLE_MINUTES", default_value_t = 30)]
    pub session_idle_minutes: u32,
    /// Minutes between sweeps that disable users inactive past their account's limit.
    #[arg(long, env = "CHRONID_SWEEP_MINUTES", default_value_t = 10)]
    pub sweep_minutes: u32,
    /// Milliseconds between a standby relay's or projection worker's tries to take over from a
    /// node that stopped, and between an idle relay's polls of the store (50 to 60000).
    #[arg(long, env = "CHRONID_STANDBY_POLL_MS", default_value_t = 1000)]
    pub standby_poll_ms: u32,
    /// Address Prometheus metrics are served on, apart from the API.
    #[arg(long, env = "CHRONID_METRICS_LISTEN", default_value = "127.0.0.1:9464")]
    pub metrics_listen: SocketAddr,
    /// Days a device stays trusted after a second factor was passed on it (1 to 365).
    #[arg(long, env = "CHRONID_DEVICE_TRUST_DAYS", default_value_t = 30)]
    pub device_trust_days: u32,
    /// Proxies (comma-separated CIDRs or addresses) whose `Forwarded` / `X-Forwarded-For`
    /// headers name the client; none by default, so the client is the connecting address.
    #[arg(long, env = "CHRONID_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// The header the trusted proxies write: `x-forwarded-for` or `forwarded` (the other one is
    /// ignored, since proxies pass it through as the client sent it).
    #[arg(
        long,
        env = "CHRONID_FORWARDED_HEADER",
        default_value = "x-forwarded-for"
    )]
    pub forwarded_header: String,
    /// `POST /v1/login` requests per minute per client address.
    #[arg(
        long,
        env = "CHRONID_RATE_LOGIN_PER_MINUTE",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub rate_login_per_minute: u32,
    /// `POST /v1/login/challenges/{id}` requests per minute per client address.
    #[arg(
        long,
        env = "CHRONID_RATE_CHALLENGE_PER_MINUTE",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub rate_challenge_per_minute: u32,
    /// `POST /v1/password/forgot` and `/v1/password/reset` requests per minute per client
    /// address.
    #[arg(
        long,
        env = "CHRONID_RATE_FORGOT_PER_MINUTE",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub rate_forgot_per_minute: u32,
    /// Google login: the OAuth client id (Google login is off without it).
    #[arg(long, env = "CHRONID_GOOGLE_CLIENT_ID")]
    pub google_client_id: Option<String>,
    /// Google login: the OAuth client secret.
    #[arg(long, env = "CHRONID_GOOGLE_CLIENT_SECRET", hide_env_values = true)]
    pub google_client_secret: Option<String>,
    /// Google login: the OpenID Connect issuer whose discovery and keys are used (default
    /// https://accounts.google.com; any OpenID Connect provider works).
    #[arg(long, env = "CHRONID_GOOGLE_ISSUER")]
    pub google_issuer: Option<String>,
    /// GitHub login: the OAuth app's client id (GitHub login is off without it).
    #[arg(long, env = "CHRONID_GITHUB_CLIENT_ID")]
    pub github_client_id: Option<String>,
    /// GitHub login: the OAuth app's client secret.
    #[arg(long, env = "CHRONID_GITHUB_CLIENT_SECRET", hide_env_values = true)]
    pub github_client_secret: Option<String>,
    /// GitHub login: where its OAuth pages are (default https://github.com; GitHub Enterprise
    /// otherwise).
    #[arg(long, env = "CHRONID_GITHUB_URL")]
    pub github_url: Option<String>,
    /// GitHub login: its REST API (default https://api.github.com).
    #[arg(long, env = "CHRONID_GITHUB_API_URL")]
    pub github_api_url: Option<String>,
}

impl ServeConfig {
    /// The login providers that are on (Google, GitHub), checked.
    pub fn providers(&self) -> anyhow::Result<chronid_oauth::Providers> {
        let raw = chronid_oauth::RawProviders {
            google_client_id: self.google_client_id.clone(),
            google_client_secret: self.google_client_secret.clone(),
            google_issuer: self.google_issuer.clone(),
            github_client_id: self.github_client_id.clone(),
            github_client_secret: self.github_client_secret.clone(),
            github_url: self.github_url.clone(),
            github_api_url: self.github_api_url.clone(),
        };
        chronid_oauth::Providers::from_raw(&raw).map_err(|e| usage!("{e}"))
    }

    /// The notifier's senders and link base, from the flags.
    pub fn notifier(&self) -> anyhow::Result<chronid_notify::NotifierConfig> {
        use chronid_notify::{HttpPhoneSender, NotifierConfig, SmtpMailer};
        use std::sync::Arc;
        let mailer = match &self.smtp_url {
            Some(url) => Some(Arc::new(
                SmtpMailer::new(url, &self.smtp_from)
                    .map_err(|e| usage!("--smtp-url / CHRONID_SMTP_URL or --smtp-from: {e}"))?,
            ) as Arc<dyn chronid_notify::Mailer>),
            None => None,
        };
        let phone = match &self.sms_url {
            Some(url) => Some(Arc::new(
                HttpPhoneSender::new(url, &self.sms_from)
                    .map_err(|e| usage!("--sms-url / CHRONID_SMS_URL: {e}"))?,
            ) as Arc<dyn chronid_notify::PhoneSender>),
            None => None,
        };
        let public_url = self.checked_public_url()?;
        Ok(NotifierConfig {
            public_url,
            mailer,
            phone,
            retry_delay: std::time::Duration::from_secs(1),
        })
    }

    /// The pages' settings.
    pub fn web(&self) -> anyhow::Result<chronid_web::WebConfig> {
        let link = |raw: &Option<String>, flag: &str| -> anyhow::Result<Option<String>> {
            match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                    Ok(Some(url.to_string()))
                }
                Some(_) => Err(usage!("{flag} must be an http:// or https:// URL")),
            }
        };
        Ok(chronid_web::WebConfig {
            public_url: self.checked_public_url()?,
            terms_url: link(&self.terms_url, "--terms-url / CHRONID_TERMS_URL")?,
            privacy_url: link(&self.privacy_url, "--privacy-url / CHRONID_PRIVACY_URL")?,
        })
    }

    fn checked_public_url(&self) -> anyhow::Result<String> {
        let public_url = self.public_url.trim_end_matches('/').to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(usage!(
                "--public-url / CHRONID_PUBLIC_URL must be an http:// or https:// URL"
            ));
        }
        Ok(public_url)
    }

    /// The API's edge: trusted proxies and per-address rate limits.
    pub fn edge(&self) -> anyhow::Result<chronid_http::edge::Edge> {
        use chronid_http::edge::{Edge, ForwardedHeader, RateLimits, TrustedProxies};
        let header = ForwardedHeader::parse(&self.forwarded_header)
            .map_err(|e| usage!("--forwarded-header / CHRONID_FORWARDED_HEADER: {e}"))?;
        let proxies = TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| usage!("--trusted-proxies / CHRONID_TRUSTED_PROXIES: {e}"))?
            .with_header(header);
        let limits = RateLimits {
            login_per_minute: self.rate_login_per_minute,
            challenge_per_minute: self.rate_challenge_per_minute,
            forgot_per_minute: self.rate_forgot_per_minute,
        };
        Ok(Edge::new(proxies, limits))
    }

    /// How long devices stay trusted.
    pub fn device_trust(&self) -> anyhow::Result<chrono::Duration> {
        if !(1..=365).contains(&self.device_trust_days) {
            return Err(usage!(
                "--device-trust-days / CHRONID_DEVICE_TRUST_DAYS must be 1 to 365"
            ));
        }
        Ok(chrono::Duration::days(i64::from(self.device_trust_days)))
    }

    pub fn standby_poll(&self) -> anyhow::Result<std::time::Duration> {
        if !(50..=60_000).contains(&self.standby_poll_ms) {
            return Err(usage!(
                "--standby-poll-ms / CHRONID_STANDBY_POLL_MS must be 50 to 60000"
            ));
        }
        Ok(std::time::Duration::from_millis(u64::from(
            self.standby_poll_ms,
        )))
    }

    pub fn session_policy(&self) -> anyhow::Result<chronid_app::SessionPolicy> {
        if !(1..=24 * 90).contains(&self.session_hours) {
            return Err(usage!(
                "--session-hours / CHRONID_SESSION_HOURS must be 1 to 2160"
            ));
        }
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            return Err(usage!(
                "--session-idle-minutes / CHRONID_SESSION_IDLE_MINUTES must be 1 to 1440"
            ));
        }
        Ok(chronid_app::SessionPolicy {
            lifetime: chrono::Duration::hours(i64::from(self.session_hours)),
            idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes)),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Component {
    Api,
    Relay,
    Projections,
    Notifier,
}
