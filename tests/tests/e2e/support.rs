//! Spawns the real API router on a free port over a test environment's database, bootstraps an
//! account, and offers small request helpers.

use std::net::SocketAddr;
use std::sync::Arc;

use chronid_adapters::app::App;
use chronid_adapters::crypto::{AesGcmSealer, Argon2Hasher, Argon2Params, OsRandom, SystemClock, UuidV7Ids};
use chronid_adapters::http::{router, HttpState};
use chronid_adapters::store::CommandExecutor;
use chronid_domain::values::{Email, Name, Password};
use chronid_domain::Services;
use chronid_tests::TestEnv;
use serde_json::Value;
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
            .unwrap(),
        ),
        sealer: Arc::new(AesGcmSealer::new([3u8; 32])),
    }
}

pub async fn spawn_app(env: &TestEnv) -> TestApp {
    let app = App::new(CommandExecutor::new(env.pool.clone(), test_services()));
    let boot = app
        .bootstrap(
            Name::parse("name", "Acme").unwrap(),
            Email::parse("admin@acme.test").unwrap(),
            None,
            Password::parse("a-long-admin-password").unwrap(),
        )
        .await
        .unwrap();
    let state = HttpState {
        app: app.clone(),
        nats: Some(env.nats.clone()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>()).await;
    });
    TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        app,
        account_id: boot.account_id,
        api_key: boot.api_key,
        server,
    }
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.content_type, "application/problem+json", "{self:?}");
        assert_eq!(self.code(), code, "{self:?}");
        for field in ["type", "title", "status", "detail", "code"] {
            assert!(self.body.get(field).is_some(), "problem without {field}: {self:?}");
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/v1/accounts/{}{}", self.base, self.account_id, path)
    }

    /// Sends `method path` with the bootstrap key and an optional JSON body.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(&self.api_key.clone(), method, path, body).await
    }

    pub async fn call_as(&self, key: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.unwrap()).await
    }

    pub async fn create_user(&self, email: &str) -> Uuid {
        let r = self
            .call(reqwest::Method::POST, "/users", Some(serde_json::json!({ "email": email })))
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().parse().unwrap()
    }
}

pub async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}

pub async fn event_count(env: &TestEnv) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&env.pool).await.unwrap()
}
