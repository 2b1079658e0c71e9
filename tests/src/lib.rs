//! The shared harness of chronid's end-to-end tests and benchmarks, against real PostgreSQL and
//! NATS JetStream (DESIGN.md "Services and tests").
//!
//! [`TestEnv::new`] gives each test its own database (`chronid_t_<uuid>`, migrated) and its own
//! stream (`CHRONID_T_<UUID>`, subjects `chronid_t_<uuid>.events.>`) on the shared services, read
//! from `CHRONID_TEST_DATABASE_URL` and `CHRONID_TEST_NATS_URL` (default: the local ones). When a
//! service is unreachable it fails within seconds, naming how to start it; it never skips. Tests
//! end with [`TestEnv::cleanup`], which drops both (async code cannot run in `Drop`, so a test
//! that panics leaves them behind; their names make them easy to spot).
//!
//! Fault tests never stop the shared services: [`NatsServer`] runs a private `nats-server` on a
//! free port with its own JetStream directory, which a test can kill and restart.

pub mod browser;
pub mod peers;
pub mod server;

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use async_nats::jetstream;
use async_nats::HeaderMap;
use chronid_domain::public::PublicEnvelope;
use chronid_stream::{ensure_stream, NatsOptions, StreamConfig};
use futures::StreamExt;
use serde_json::{json, Value};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const HOW_TO_START: &str = "start the local services with `scripts/services.sh start`";

/// An isolated database and stream on the shared services.
pub struct TestEnv {
    pub pool: PgPool,
    pub db_name: String,
    /// URL of this test's database.
    pub database_url: String,
    pub nats_url: String,
    pub nats: async_nats::Client,
    pub js: jetstream::Context,
    pub stream: StreamConfig,
    admin_url: String,
    /// Set by [`TestEnv::cleanup`]; otherwise (a test that panicked or returned early) `Drop`
    /// removes the database and the stream.
    cleaned: bool,
}

impl TestEnv {
    /// Creates and migrates a fresh database and creates a fresh stream.
    pub async fn new() -> anyhow::Result<Self> {
        init_tracing();
        let admin_url = std::env::var("CHRONID_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_string());
        let nats_url =
            std::env::var("CHRONID_TEST_NATS_URL").unwrap_or_else(|_| DEFAULT_NATS_URL.to_string());
        let id = unique_id();
        let db_name = format!("chronid_t_{id}");

        let mut admin = admin_connect(&admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE \"{db_name}\""))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating database {db_name}"))?;
        admin.close().await.ok();
        let database_url = with_database(&admin_url, &db_name)?;
        // The server's session settings (chronid_store::connect), so tests run as it does.
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(chronid_store::latency_settings(database_url.parse()?))
            .await
            .with_context(|| format!("connecting to {db_name}"))?;
        chronid_store::migrate(&pool)
            .await
            .context("migrating the test database")?;

        let nats = nats_connect(&nats_url).await?;
        let js = test_nats_options().jetstream(nats.clone());
        let stream = StreamConfig {
            stream: format!("CHRONID_T_{}", id.to_uppercase()),
            subject_prefix: format!("chronid_t_{id}.events"),
            ..StreamConfig::default()
        };
        // nats-server 2.9 now and then answers a stream creation with "error creating store
        // for stream" (10049) while many test streams come and go at once; the same request
        // a moment later succeeds. Three tries, then the error.
        let mut tries = 0;
        loop {
            tries += 1;
            match ensure_stream(&js, &stream).await {
                Ok(_) => break,
                Err(error) if tries < 3 => {
                    eprintln!("test stream creation failed ({error}); trying again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => return Err(error).context("creating the test stream"),
            }
        }
        Ok(Self {
            pool,
            db_name,
            database_url,
            nats_url,
            nats,
            js,
            stream,
            admin_url,
            cleaned: false,
        })
    }

    /// Drops the database (closing its sessions) and deletes the stream.
    pub async fn cleanup(mut self) -> anyhow::Result<()> {
        self.pool.close().await;
        drop_database_and_stream(
            &self.admin_url,
            &self.db_name,
            &self.js,
            &self.stream.stream,
        )
        .await?;
        self.cleaned = true;
        Ok(())
    }

    /// How many messages this test's stream holds.
    pub async fn stream_len(&self) -> anyhow::Result<u64> {
        stream_len(&self.js, &self.stream.stream).await
    }
}

impl Drop for TestEnv {
    /// A test that failed never reached `cleanup`: remove its database and stream anyway, from a
    /// thread with a runtime of its own (this may run inside the test's runtime, unwinding).
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let (admin_url, db_name, nats_url, stream) = (
            self.admin_url.clone(),
            self.db_name.clone(),
            self.nats_url.clone(),
            self.stream.stream.clone(),
        );
        let cleaner = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(30), async {
                    let nats = nats_connect(&nats_url).await?;
                    let js = jetstream::new(nats);
                    drop_database_and_stream(&admin_url, &db_name, &js, &stream).await
                })
                .await
                .map_err(|_| anyhow!("timed out"))?
            })
        });
        match cleaner.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!(
                "could not remove test database {} and stream {}: {e:#}",
                self.db_name, self.stream.stream
            ),
            Err(_) => eprintln!("the cleanup of {} panicked", self.db_name),
        }
    }
}

async fn drop_database_and_stream(
    admin_url: &str,
    db_name: &str,
    js: &jetstream::Context,
    stream: &str,
) -> anyhow::Result<()> {
    let mut admin = admin_connect(admin_url).await?;
    sqlx::query(&format!(
        "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
    ))
    .execute(&mut admin)
    .await
    .with_context(|| format!("dropping database {db_name}"))?;
    admin.close().await.ok();
    js.delete_stream(stream)
        .await
        .with_context(|| format!("deleting stream {stream}"))?;
    Ok(())
}

/// Sends `tracing` output to the test's captured output, filtered by `RUST_LOG` (default: warnings).
/// Idempotent.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// NATS options for tests: short timeouts so failures surface quickly.
pub fn test_nats_options() -> NatsOptions {
    NatsOptions {
        name: "chronid-tests".to_string(),
        connection_timeout: CONNECT_TIMEOUT,
        request_timeout: Duration::from_secs(3),
        max_reconnect_delay: Duration::from_millis(500),
        ..NatsOptions::default()
    }
}

/// Connects to NATS, failing within seconds with a message that says how to start it.
pub async fn nats_connect(url: &str) -> anyhow::Result<async_nats::Client> {
    let servers = chronid_stream::server_addrs(url).map_err(|e| anyhow!("{url}: {e}"))?;
    match tokio::time::timeout(CONNECT_TIMEOUT * 2, test_nats_options().connect(&servers)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(anyhow!("NATS unreachable at {url} ({e}); {HOW_TO_START}")),
        Err(_) => Err(anyhow!(
            "NATS at {url} did not answer in time; {HOW_TO_START}"
        )),
    }
}

async fn admin_connect(url: &str) -> anyhow::Result<PgConnection> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(anyhow!(
            "PostgreSQL unreachable at {url} ({e}); {HOW_TO_START}"
        )),
        Err(_) => Err(anyhow!(
            "PostgreSQL at {url} did not answer in time; {HOW_TO_START}"
        )),
    }
}

/// `url` with its database replaced by `db` (query parameters kept).
fn with_database(url: &str, db: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base
        .find("://")
        .map(|i| i + 3)
        .context("database URL without scheme")?;
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// A fresh lowercase hex id for names. Tests need uniqueness, not determinism.
#[allow(clippy::disallowed_methods)]
pub fn unique_id() -> String {
    Uuid::now_v7().simple().to_string()
}

/// A fresh UUID (v7) for test data.
#[allow(clippy::disallowed_methods)]
pub fn new_uuid() -> Uuid {
    Uuid::now_v7()
}

/// A free TCP port on 127.0.0.1 (free when asked; good enough for tests).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// An event row for [`insert_event`], as the store writes it: payload externally tagged,
/// metadata with every key the relay reads.
#[derive(Debug, Clone)]
pub struct TestEvent {
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    pub sequence: i64,
    pub event_type: String,
    pub payload: Value,
    pub metadata: Value,
}

impl TestEvent {
    /// An event of `account_id` whose payload is `{event_type: data}`, caused by a user.
    pub fn new(
        account_id: Uuid,
        aggregate_type: &str,
        aggregate_id: Uuid,
        sequence: i64,
        event_type: &str,
        data: Value,
    ) -> Self {
        Self {
            aggregate_type: aggregate_type.to_string(),
            aggregate_id,
            sequence,
            event_type: event_type.to_string(),
            payload: json!({ event_type: data }),
            metadata: json!({
                "event_id": new_uuid().to_string(),
                "account_id": account_id.to_string(),
                "actor_kind": "user",
                "actor_id": new_uuid().to_string(),
                "ip": "192.0.2.1",
                "user_agent": "chronid-tests",
                "correlation_id": format!("corr-{sequence}"),
                "occurred_at": "2024-05-01T12:00:00.000000Z",
            }),
        }
    }
}

/// Inserts one event row (raw SQL, as postgres-es would); returns its `global_seq`.
pub async fn insert_event<'e, E>(exec: E, event: &TestEvent) -> anyhow::Result<i64>
where
    E: sqlx::PgExecutor<'e>,
{
    let global_seq = sqlx::query_scalar(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         VALUES ($1, $2, $3, $4, '1', $5, $6)
         RETURNING global_seq",
    )
    .bind(&event.aggregate_type)
    .bind(event.aggregate_id.to_string())
    .bind(event.sequence)
    .bind(&event.event_type)
    .bind(&event.payload)
    .bind(&event.metadata)
    .fetch_one(exec)
    .await
    .context("inserting an event")?;
    Ok(global_seq)
}

/// Inserts `rounds` transactions; transaction `r` appends sequence `first_sequence + r` to every
/// aggregate in `aggregates` (type `user`, event `UserRenamed`, payload with a `password_hash`).
/// Returns how many rows it inserted.
pub async fn insert_rounds(
    pool: &PgPool,
    account_id: Uuid,
    aggregates: &[Uuid],
    first_sequence: i64,
    rounds: i64,
) -> anyhow::Result<u64> {
    let ids: Vec<String> = aggregates.iter().map(Uuid::to_string).collect();
    let mut inserted = 0;
    for r in 0..rounds {
        let seq = first_sequence + r;
        let done = sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata)
             SELECT 'user', a.id, $2, 'UserRenamed', '1',
                    jsonb_build_object('UserRenamed', jsonb_build_object(
                        'name', 'n' || $2, 'password_hash', 'argon2-not-public')),
                    jsonb_build_object('event_id', gen_random_uuid()::text,
                                       'account_id', $3::text, 'actor_kind', 'system')
               FROM unnest($1::text[]) WITH ORDINALITY AS a(id, ord)
              ORDER BY a.ord",
        )
        .bind(&ids)
        .bind(seq)
        .bind(account_id.to_string())
        .execute(pool)
        .await
        .context("inserting a round of events")?;
        inserted += done.rows_affected();
    }
    Ok(inserted)
}

/// How many messages a stream holds.
pub async fn stream_len(js: &jetstream::Context, stream: &str) -> anyhow::Result<u64> {
    let info = js
        .get_stream(stream)
        .await
        .with_context(|| format!("reading stream {stream}"))?;
    Ok(info.cached_info().state.messages)
}

/// A message as stored in the stream.
#[derive(Debug, Clone)]
pub struct RawStreamMessage {
    /// Stream sequence (1, 2, ... in stream order).
    pub stream_sequence: u64,
    pub subject: String,
    pub headers: HeaderMap,
    pub payload: Vec<u8>,
}

impl RawStreamMessage {
    /// A header's value, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.as_str())
    }
}

/// Every message of `stream`, in stream order, read with an ordered (ephemeral) consumer.
pub async fn read_raw_stream_messages(
    js: &jetstream::Context,
    stream: &str,
) -> anyhow::Result<Vec<RawStreamMessage>> {
    let handle = js
        .get_stream(stream)
        .await
        .with_context(|| format!("reading stream {stream}"))?;
    let count = handle.cached_info().state.messages;
    let last = handle.cached_info().state.last_sequence;
    let mut out: Vec<RawStreamMessage> = Vec::new();
    if count == 0 {
        return Ok(out);
    }
    let consumer = handle
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .context("creating an ordered consumer")?;
    let mut messages = consumer.messages().await.context("consuming the stream")?;
    while out.last().map_or(0, |m| m.stream_sequence) < last {
        let next = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .with_context(|| {
                format!(
                    "stream {stream}: timed out after {} of {count} messages",
                    out.len()
                )
            })?;
        let msg = next
            .with_context(|| {
                format!(
                    "stream {stream}: ended after {} of {count} messages",
                    out.len()
                )
            })?
            .map_err(|e| anyhow!("stream {stream}: {e}"))?;
        let stream_sequence = msg
            .info()
            .map_err(|e| anyhow!("stream {stream}: message without info: {e}"))?
            .stream_sequence;
        // A recreated ordered consumer may deliver a message again: keep the first copy.
        if out
            .last()
            .is_some_and(|m| m.stream_sequence >= stream_sequence)
        {
            continue;
        }
        out.push(RawStreamMessage {
            stream_sequence,
            subject: msg.subject.to_string(),
            headers: msg.headers.clone().unwrap_or_default(),
            payload: msg.payload.to_vec(),
        });
    }
    Ok(out)
}

/// Every message of `stream` with its body parsed as the public envelope.
pub async fn read_all_stream_messages(
    js: &jetstream::Context,
    stream: &str,
) -> anyhow::Result<Vec<(HeaderMap, PublicEnvelope)>> {
    read_raw_stream_messages(js, stream)
        .await?
        .into_iter()
        .map(|m| {
            let envelope = serde_json::from_slice(&m.payload)
                .with_context(|| format!("message on {} is not a public envelope", m.subject))?;
            Ok((m.headers, envelope))
        })
        .collect()
}

/// Polls `check` every 50 ms until it returns true; fails after `timeout`, naming `what`.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => last_error = Some(e),
        }
        if tokio::time::Instant::now() >= deadline {
            match last_error {
                Some(e) => {
                    bail!("timed out after {timeout:?} waiting for {what} (last error: {e:#})")
                }
                None => bail!("timed out after {timeout:?} waiting for {what}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A private `nats-server` with JetStream for fault tests: its own free port and store
/// directory, which survive [`NatsServer::kill`] and [`NatsServer::start`]. Killed on drop.
pub struct NatsServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// More command-line arguments (TLS, users).
    args: Vec<String>,
    /// How the readiness probe connects (its TLS and credentials) and which scheme it names.
    probe: NatsOptions,
    scheme: &'static str,
}

impl NatsServer {
    /// The binary, overridable with `CHRONID_TEST_NATS_SERVER`.
    fn binary() -> PathBuf {
        std::env::var_os("CHRONID_TEST_NATS_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server"))
    }

    /// Starts a new server on a free port.
    pub async fn launch() -> anyhow::Result<Self> {
        Self::launch_with(&[], test_nats_options(), "nats").await
    }

    /// Starts a new server with more arguments (`--tls ...`, `--user ...`); the readiness probe
    /// connects with `probe` to `{scheme}://127.0.0.1:{port}`.
    pub async fn launch_with(
        args: &[&str],
        probe: NatsOptions,
        scheme: &'static str,
    ) -> anyhow::Result<Self> {
        let args = args.iter().map(|a| a.to_string()).collect();
        let mut server = Self::unstarted(args, probe, scheme)?;
        server.start().await?;
        Ok(server)
    }

    /// A server on a free port with a new store directory, not started yet.
    fn unstarted(
        args: Vec<String>,
        probe: NatsOptions,
        scheme: &'static str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            port: free_port()?,
            dir: tempfile::tempdir().context("creating the NATS store directory")?,
            child: None,
            args,
            probe,
            scheme,
        })
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// Starts the server (again) on the same port and directory; returns once JetStream answers.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            return Ok(());
        }
        self.spawn()?;
        self.wait_ready().await
    }

    /// Starts the process without waiting for it.
    fn spawn(&mut self) -> anyhow::Result<()> {
        let store = self.dir.path().join("jetstream");
        let log = self.dir.path().join("nats-server.log");
        let child = Command::new(Self::binary())
            .arg("-js")
            .arg("-sd")
            .arg(&store)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .arg("-l")
            .arg(&log)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", Self::binary().display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits until JetStream answers (in a cluster: answers at all, leader or not).
    async fn wait_ready(&self) -> anyhow::Result<()> {
        let url = self.url();
        wait_until(
            "the private nats-server to serve JetStream",
            Duration::from_secs(15),
            || {
                let (url, probe) = (url.clone(), self.probe.clone());
                async move {
                    let servers =
                        chronid_stream::server_addrs(&url).map_err(|e| anyhow::anyhow!(e))?;
                    let client = probe.connect(&servers).await?;
                    // Any reply (not "no responders") means JetStream is up.
                    Ok(client.request("$JS.API.INFO", "".into()).await.is_ok())
                }
            },
        )
        .await
    }

    /// Kills the server (SIGKILL, no clean shutdown) and waits for it to exit.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().context("killing nats-server")?;
            child.wait().context("waiting for nats-server")?;
        }
        Ok(())
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Three private `nats-server` processes forming one JetStream cluster (server names `nats-0`
/// to `nats-2`, cluster `chronid-test`), each with its own client and route ports and store
/// directory, as deploy/nats-*.conf sets them up. Started together: a lone member has no
/// JetStream meta leader to answer with.
pub struct NatsCluster {
    servers: Vec<NatsServer>,
}

impl NatsCluster {
    pub async fn launch() -> anyhow::Result<Self> {
        Self::launch_with(&[], test_nats_options(), "nats").await
    }

    /// The same with more arguments for every member (`--tls ...`, `--user ...`: they apply to
    /// client connections; routes stay on the members' own ports), probed with `probe` at
    /// `{scheme}://...` as [`NatsServer::launch_with`] does.
    pub async fn launch_with(
        args: &[&str],
        probe: NatsOptions,
        scheme: &'static str,
    ) -> anyhow::Result<Self> {
        const SIZE: usize = 3;
        let routes: Vec<u16> = (0..SIZE).map(|_| free_port()).collect::<Result<_, _>>()?;
        let route_list = routes
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut servers = Vec::with_capacity(SIZE);
        for (i, route) in routes.iter().enumerate() {
            let mut member_args = vec![
                "-n".into(),
                format!("nats-{i}"),
                "--cluster_name".into(),
                "chronid-test".into(),
                "--cluster".into(),
                format!("nats://127.0.0.1:{route}"),
                "--routes".into(),
                route_list.clone(),
            ];
            member_args.extend(args.iter().map(|a| a.to_string()));
            servers.push(NatsServer::unstarted(member_args, probe.clone(), scheme)?);
        }
        for server in &mut servers {
            server.spawn()?;
        }
        for server in &servers {
            server.wait_ready().await?;
        }
        Ok(Self { servers })
    }

    /// Every member's URL, comma-separated: the seed list a client is given.
    pub fn seed_list(&self) -> String {
        self.servers
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Kills (SIGKILL) the member named `name` (`nats-0`...).
    pub fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        let index: usize = name
            .strip_prefix("nats-")
            .and_then(|i| i.parse().ok())
            .filter(|i| *i < self.servers.len())
            .with_context(|| format!("no cluster member named {name}"))?;
        self.servers[index].kill()
    }
}

/// A `width` x `height` RGB PNG of one colour, for logo uploads.
pub fn png_image(width: u32, height: u32, rgb: [u8; 3]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        let pixels: Vec<u8> = (0..width * height).flat_map(|_| rgb).collect();
        writer.write_image_data(&pixels)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replacement() {
        assert_eq!(
            with_database("postgres://u@h:5432/test", "x").unwrap(),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x").unwrap(),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h", "x").unwrap(),
            "postgres://h/x"
        );
    }
}
