//! Runs the real API router in this process on a free port over a test environment's database,
//! with an account bootstrapped: what the end-to-end tests and the benchmarks talk to.

use std::net::SocketAddr;
use std::sync::Arc;

use chronid_app::App;
use chronid_crypto::{
    AesGcmSealer, Argon2Hasher, Argon2Params, OsRandom, RfcTotp, SystemClock, UuidV7Ids,
};
use chronid_domain::values::{Email, Name, Password};
use chronid_domain::Services;
use chronid_http::edge::{Edge, RateLimits, TrustedProxies};
use chronid_http::{metrics_router, router_with, HttpState, ReadSide};
use chronid_store::CommandExecutor;
use chronid_stream::relay::{Relay, RelayOptions};
use chronid_views::{Projection, ProjectionOptions, ProjectionStats, ProjectionWorker};

use crate::TestEnv;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    /// Where `/metrics` is served (apart from the API, as `CHRONID_METRICS_LISTEN`).
    pub metrics_base: String,
    pub http: reqwest::Client,
    pub app: App,
    pub account_id: Uuid,
    pub api_key: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The deployment secret of test servers (the pages' CSRF and pending-login keys).
pub const TEST_SECRET: &[u8] = b"chronid test deployment secret, 32+";

/// Cheap argon2 parameters so tests spend their time on behaviour, not hashing.
pub fn test_services() -> Services {
    Services {
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7Ids),
        random: Arc::new(OsRandom),
        hasher: Arc::new(
            Argon2Hasher::new(
                Argon2Params {
                    memory_kib: 1024,
                    iterations: 1,
                    parallelism: 1,
                },
                2,
            )
            .unwrap_or_else(|e| unreachable!("fixed argon2 parameters are valid: {e}")),
        ),
        sealer: Arc::new(AesGcmSealer::new([3u8; 32])),
        totp: Arc::new(RfcTotp),
    }
}

/// Starts the API with cheap hashing parameters and bootstraps account "Acme".
pub async fn spawn_app(env: &TestEnv) -> anyhow::Result<TestApp> {
    spawn_app_with(env, env.pool.clone(), test_services()).await
}

/// Starts the API over `pool` (a database of `env`) and `services`, and bootstraps account
/// "Acme".
pub async fn spawn_app_with(
    env: &TestEnv,
    pool: sqlx::PgPool,
    services: Services,
) -> anyhow::Result<TestApp> {
    spawn_app_read(env, pool, services, ReadSide::default()).await
}

/// Starts the API with `edge` (trusted proxies, rate limits) in front; the other helpers start
/// it with no rate limit a test would reach.
pub async fn spawn_app_with_edge(env: &TestEnv, edge: Edge) -> anyhow::Result<TestApp> {
    spawn_app_edge(
        env,
        env.pool.clone(),
        test_services(),
        ReadSide::default(),
        edge,
    )
    .await
}

async fn spawn_app_read(
    env: &TestEnv,
    pool: sqlx::PgPool,
    services: Services,
    read: ReadSide,
) -> anyhow::Result<TestApp> {
    let edge = Edge::new(TrustedProxies::default(), RateLimits::unlimited());
    spawn_app_edge(env, pool, services, read, edge).await
}

/// Starts the API over `pool` with `services`, the read side `read` (for /metrics and
/// read-your-writes) and `edge` in front, and bootstraps account "Acme".
pub async fn spawn_app_edge(
    env: &TestEnv,
    pool: sqlx::PgPool,
    services: Services,
    read: ReadSide,
    edge: Edge,
) -> anyhow::Result<TestApp> {
    let none = async |_: String| Ok(chronid_oauth::Clients::default());
    spawn_app_full(env, (pool, services, read, edge), none).await
}

/// Starts the API (with the read side `read`) with Google and GitHub login through the clients
/// `providers` makes for the server's base URL (the peers' redirect URIs are known once it listens), and bootstraps
/// account "Acme".
pub async fn spawn_app_with_providers(
    env: &TestEnv,
    read: ReadSide,
    providers: impl AsyncFnOnce(String) -> anyhow::Result<chronid_oauth::Clients>,
) -> anyhow::Result<TestApp> {
    let edge = Edge::new(TrustedProxies::default(), RateLimits::unlimited());
    let parts = (env.pool.clone(), test_services(), read, edge);
    spawn_app_full(env, parts, providers).await
}

async fn spawn_app_full(
    env: &TestEnv,
    (pool, services, read, edge): (sqlx::PgPool, Services, ReadSide, Edge),
    providers: impl AsyncFnOnce(String) -> anyhow::Result<chronid_oauth::Clients>,
) -> anyhow::Result<TestApp> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let oauth = providers(format!("http://{addr}")).await?;
    let app = App::new(CommandExecutor::new(pool, services))
        .with_public_url(format!("http://{addr}"))
        .with_certificate_check(std::sync::Arc::new(|der, now| {
            chronid_saml::inspect(der, now)
                .map(|_| ())
                .map_err(|problem| problem.to_string())
        }));
    let boot = app
        .bootstrap(
            Name::parse("name", "Acme")?,
            Email::parse("admin@acme.test")?,
            None,
            Password::parse("a-long-admin-password")?,
        )
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap failed: {e}"))?;
    let state = HttpState::new(app.clone(), Some(env.nats.clone()), read).with_edge(edge);
    let web = chronid_web::WebConfig {
        public_url: format!("http://{addr}"),
        terms_url: Some("https://acme.test/terms".into()),
        privacy_url: Some("https://acme.test/privacy".into()),
    };
    let pages = chronid_web::WebState::new(app.clone(), web, TEST_SECRET)
        .map_err(anyhow::Error::msg)?
        .with_oauth(oauth);
    let saml_app = app.clone();
    let state = state
        .with_public_host("127.0.0.1")
        .with_page_fallback(chronid_web::not_found(pages.clone()));
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let metrics_addr = metrics_listener.local_addr()?;
    let metrics = metrics_router(state.clone());
    let server = tokio::spawn(async move {
        let api = axum::serve(
            listener,
            router_with(
                state,
                chronid_web::routes(pages).merge(chronid_saml::routes(saml_app)),
            )
            .into_make_service_with_connect_info::<SocketAddr>(),
        );
        let metrics = axum::serve(metrics_listener, metrics);
        let (api, metrics) = tokio::join!(api, metrics);
        if let Err(e) = api.and(metrics) {
            eprintln!("the test server failed: {e}");
        }
    });
    Ok(TestApp {
        base: format!("http://{addr}"),
        metrics_base: format!("http://{metrics_addr}"),
        http: reqwest::Client::new(),
        app,
        account_id: boot.account_id,
        api_key: secrecy::ExposeSecret::expose_secret(&boot.api_key).to_string(),
        server,
    })
}

impl TestApp {
    /// `{base}/v1/accounts/{account}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v1/accounts/{}{}", self.base, self.account_id, path)
    }

    /// The text `/metrics` serves now.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        let response = self
            .http
            .get(format!("{}/metrics", self.metrics_base))
            .send()
            .await?
            .error_for_status()?;
        Ok(response.text().await?)
    }
}

/// The relay and both projection workers over a test environment, as `chronid serve` runs them.
pub struct Workers {
    relay: Option<tokio::task::JoinHandle<()>>,
    projections: Vec<tokio::task::JoinHandle<()>>,
    pub stats: Vec<(Projection, Arc<ProjectionStats>)>,
    env_pool: sqlx::PgPool,
    js: async_nats::jetstream::Context,
    stream: chronid_stream::StreamConfig,
}

impl Workers {
    pub fn start(env: &TestEnv) -> Self {
        let relay = Relay::new(
            env.pool.clone(),
            env.js.clone(),
            env.stream.clone(),
            RelayOptions::default(),
        );
        let (_stop, rx) = tokio::sync::watch::channel(false);
        // The sender lives in the task so the receiver never sees it dropped.
        let relay = tokio::spawn(async move {
            let _stop = _stop;
            if let Err(e) = relay.run(rx).await {
                // Said at once, rather than found later as a test's timeout.
                eprintln!("the test relay stopped with an error: {e}");
            }
        });
        let mut workers = Self {
            relay: Some(relay),
            projections: Vec::new(),
            stats: Vec::new(),
            env_pool: env.pool.clone(),
            js: env.js.clone(),
            stream: env.stream.clone(),
        };
        workers.start_projections();
        workers
    }

    /// Starts (again) both projection workers.
    pub fn start_projections(&mut self) {
        self.stats.clear();
        for projection in Projection::ALL {
            let worker = ProjectionWorker::new(
                self.env_pool.clone(),
                self.js.clone(),
                self.stream.clone(),
                projection,
                ProjectionOptions {
                    ack_wait: std::time::Duration::from_secs(2),
                    retry_delay: std::time::Duration::from_millis(10),
                    ..ProjectionOptions::default()
                },
            );
            self.stats.push((projection, worker.stats()));
            let (stop, rx) = tokio::sync::watch::channel(false);
            self.projections.push(tokio::spawn(async move {
                let _stop = stop;
                worker.run(rx).await;
            }));
        }
    }

    /// Kills the projection workers abruptly, mid-batch if they are in one.
    pub fn kill_projections(&mut self) {
        for h in self.projections.drain(..) {
            h.abort();
        }
    }

    pub fn read_side(&self) -> ReadSide {
        ReadSide {
            relay: None,
            projections: self.stats.clone(),
            tasks: Vec::new(),
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if let Some(r) = self.relay.take() {
            r.abort();
        }
        self.kill_projections();
    }
}

/// The API with the relay and projection workers running beside it.
pub async fn spawn_full(env: &TestEnv, services: Services) -> anyhow::Result<(TestApp, Workers)> {
    let workers = Workers::start(env);
    let app = spawn_app_read(env, env.pool.clone(), services, workers.read_side()).await?;
    Ok((app, workers))
}

/// A clock tests move by hand (session expiry, lock expiry).
pub struct ManualClock(std::sync::Mutex<chrono::DateTime<chrono::Utc>>);

impl ManualClock {
    #[allow(clippy::disallowed_methods)]
    pub fn starting_now() -> Arc<Self> {
        Arc::new(Self(std::sync::Mutex::new(chrono::Utc::now())))
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }
}

impl chronid_domain::ports::Clock for ManualClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|e| *e.into_inner())
    }
}

/// The relay and the notifier over a test environment, delivering to the test peers: what a
/// login's reset links and codes need to reach the SMTP server and the SMS provider.
pub struct Delivering {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Delivering {
    pub fn start(env: &TestEnv, app: &App, peers: &crate::peers::Peers) -> anyhow::Result<Self> {
        use chronid_notify::{HttpPhoneSender, Notifier, NotifierConfig, SmtpMailer};
        let relay = Relay::new(
            env.pool.clone(),
            env.js.clone(),
            env.stream.clone(),
            RelayOptions::default(),
        );
        let config = NotifierConfig {
            public_url: "https://id.acme.test".into(),
            mailer: Some(Arc::new(
                SmtpMailer::new(&peers.smtp_url(), "chronid <no-reply@acme.test>")
                    .map_err(anyhow::Error::msg)?,
            )),
            phone: Some(Arc::new(
                HttpPhoneSender::new(&peers.sms_url(), "+15550001111")
                    .map_err(anyhow::Error::msg)?,
            )),
            retry_delay: std::time::Duration::from_millis(50),
        };
        let notifier = Notifier::new(app.clone(), env.js.clone(), env.stream.clone(), config)
            .map_err(anyhow::Error::msg)?;
        let (stop, rx) = tokio::sync::watch::channel(false);
        let rx2 = rx.clone();
        let relay = tokio::spawn(async move {
            let _stop = stop;
            if let Err(e) = relay.run(rx).await {
                // Said at once, rather than found later as a test's timeout.
                eprintln!("the test relay stopped with an error: {e}");
            }
        });
        let notifier = tokio::spawn(async move { notifier.run(rx2).await });
        Ok(Self {
            tasks: vec![relay, notifier],
        })
    }
}

impl Drop for Delivering {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
