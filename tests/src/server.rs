//! Runs the real API router in this process on a free port over a test environment's database,
//! with an account bootstrapped: what the end-to-end tests and the benchmarks talk to.

use std::net::SocketAddr;
use std::sync::Arc;

use chronid_adapters::app::App;
use chronid_adapters::crypto::{
    AesGcmSealer, Argon2Hasher, Argon2Params, OsRandom, SystemClock, UuidV7Ids,
};
use chronid_adapters::http::{router, HttpState};
use chronid_adapters::store::CommandExecutor;
use chronid_domain::values::{Email, Name, Password};
use chronid_domain::Services;

use crate::TestEnv;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
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
    let app = App::new(CommandExecutor::new(pool, services));
    let boot = app
        .bootstrap(
            Name::parse("name", "Acme")?,
            Email::parse("admin@acme.test")?,
            None,
            Password::parse("a-long-admin-password")?,
        )
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap failed: {e}"))?;
    let state = HttpState {
        app: app.clone(),
        nats: Some(env.nats.clone()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Ok(TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        app,
        account_id: boot.account_id,
        api_key: boot.api_key,
        server,
    })
}

impl TestApp {
    /// `{base}/v1/accounts/{account}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/v1/accounts/{}{}", self.base, self.account_id, path)
    }
}
