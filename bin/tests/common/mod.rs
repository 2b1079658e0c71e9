//! What the binary's tests share: `chronid` processes with a test environment's database and
//! stream, `serve` started and stopped, bootstrap, and JSON calls.
#![allow(dead_code)]

use std::process::{ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use chronid_tests::TestEnv;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

pub const SECRET_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
pub const ADMIN_PASSWORD: &str = "a-long-admin-password";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `chronid ARGS` with the test environment's database, stream and cheap hashing.
pub fn chronid(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chronid"));
    cmd.args(args)
        .env("CHRONID_DATABASE_URL", &env.database_url)
        .env("CHRONID_NATS_URL", &env.nats_url)
        .env("CHRONID_STREAM", &env.stream.stream)
        .env("CHRONID_SUBJECT_PREFIX", &env.stream.subject_prefix)
        .env("CHRONID_SECRET_KEY", SECRET_KEY)
        .env("CHRONID_ARGON2_MEMORY_KIB", "1024")
        .env("CHRONID_ARGON2_ITERATIONS", "1")
        .env("CHRONID_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

/// Runs `chronid ARGS` to completion, `stdin` written to it.
pub async fn run(env: &TestEnv, args: &[&str], stdin: &str) -> Output {
    let mut child = chronid(env, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("chronid {args:?} did not finish within 2 minutes"))
        .unwrap()
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl
/// command in `dir`.
pub fn make_certificates(dir: &std::path::Path) {
    let script = r#"set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=chronid-test-ca 2>/dev/null
for who in server client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $who.key -out $who.csr -subj /CN=$who 2>/dev/null
done
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
for who in server client; do
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem -days 2 -extfile $who.ext 2>/dev/null
done"#;
    let status = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .status()
        .expect("the openssl command (Debian's openssl package) makes the test certificates");
    assert!(status.success(), "openssl could not make the certificates");
}

/// `nats-server` arguments for TLS with the certificates [`make_certificates`] made in `dir`,
/// verifying client certificates.
pub fn nats_tls_args(dir: &std::path::Path) -> Vec<String> {
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    vec![
        "--tls".into(),
        "--tlscert".into(),
        path("server.pem"),
        "--tlskey".into(),
        path("server.key"),
        "--tlscacert".into(),
        path("ca.pem"),
        "--tlsverify".into(),
    ]
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// A `chronid serve` process.
pub struct Serve {
    pub child: Child,
    pub api: Option<String>,
    pub metrics: String,
}

impl Serve {
    /// Starts `chronid serve` with `components` and `extra` variables; waits for the API to
    /// answer when it is one of them.
    pub async fn start(env: &TestEnv, components: &str, extra: &[(&str, String)]) -> Self {
        Self::start_at(env, components, extra, free_port()).await
    }

    /// The same with the API on `api_port` (known before, for `CHRONID_PUBLIC_URL`).
    pub async fn start_at(
        env: &TestEnv,
        components: &str,
        extra: &[(&str, String)],
        api_port: u16,
    ) -> Self {
        let metrics_port = free_port();
        let mut cmd = chronid(env, &["serve"]);
        cmd.env("CHRONID_COMPONENTS", components)
            .env("CHRONID_LISTEN", format!("127.0.0.1:{api_port}"))
            .env(
                "CHRONID_METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let serve = Self {
            child,
            api: components
                .contains("api")
                .then(|| format!("http://127.0.0.1:{api_port}")),
            metrics: format!("http://127.0.0.1:{metrics_port}"),
        };
        if let Some(api) = &serve.api {
            let http = reqwest::Client::new();
            wait_until(&format!("{components} answers /ready"), || async {
                http.get(format!("{api}/ready"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            })
            .await;
        }
        serve
    }

    pub fn api(&self) -> &str {
        self.api.as_deref().unwrap()
    }

    /// SIGTERM; the process must end by itself, cleanly, within 10 s.
    pub async fn stop(mut self) -> ExitStatus {
        let pid = self.child.id().unwrap().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("chronid serve did not stop within 10 s of SIGTERM")
            .unwrap()
    }
}

pub async fn wait_until<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub struct Account {
    pub id: String,
    pub key: String,
}

pub async fn bootstrap(env: &TestEnv) -> Account {
    let out = run(
        env,
        &[
            "bootstrap",
            "--account-name",
            "Acme",
            "--admin-email",
            "admin@acme.test",
        ],
        &format!("{ADMIN_PASSWORD}\n"),
    )
    .await;
    assert_ok(&out);
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    for field in ["account_id", "user_id", "api_key"] {
        assert!(printed[field].is_string(), "{printed}");
    }
    Account {
        id: printed["account_id"].as_str().unwrap().to_string(),
        key: printed["api_key"].as_str().unwrap().to_string(),
    }
}

pub async fn call(
    base: &str,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
