//! Login benchmarks against a real `chronid serve` child process (API only), so its CPU time and
//! memory are its own: read from `/proc/<pid>/stat` and `/proc/<pid>/status`.
//!
//! - `login`: logins/s and server CPU seconds per login at 1, 8 and 64 clients, beside the CPU
//!   time of one argon2 verify with the same parameters in this process (one thread, nothing else
//!   running); at the default parameters and at m=7168 KiB, t=5.
//! - `login-history`: login p50 for a user with 10 and with 10,000 earlier events.
//! - `flood`: the server's peak resident memory during 100 and 1,000 concurrent logins.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chronid_app::App;
use chronid_crypto::{Argon2Hasher, Argon2Params};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::ports::PasswordHasher;
use chronid_domain::user::{ProfileChanges, User, UserCommand};
use chronid_domain::values::{Email, Language, Name, Password};
use chronid_store::CommandExecutor;
use chronid_tests::server::test_services;
use chronid_tests::TestEnv;
use serde_json::{json, Value};

use crate::{print, Figure};

const PASSWORD: &str = "a-long-bench-password";

/// A `chronid serve` process on a free port.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    /// Where its `/metrics` are served.
    pub(crate) metrics: String,
    pub(crate) http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn chronid_binary() -> anyhow::Result<std::path::PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name("chronid");
    if !path.exists() {
        bail!(
            "{} not found: build it beside the bench (`cargo build --release -p chronid -p chronid-tests`)",
            path.display()
        );
    }
    Ok(path)
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Server {
    async fn start(
        env: &TestEnv,
        params: Argon2Params,
        queue: Option<usize>,
    ) -> anyhow::Result<Self> {
        Self::start_with(env, params, queue, |_| Vec::new()).await
    }

    /// The same with more settings, given the server's base URL.
    pub(crate) async fn start_with(
        env: &TestEnv,
        params: Argon2Params,
        queue: Option<usize>,
        extra: impl FnOnce(&str) -> Vec<(&'static str, String)>,
    ) -> anyhow::Result<Self> {
        Self::start_on(env, (params, queue), free_port()?, extra).await
    }

    /// The same listening on `port` (for peers that must know the server's URL first).
    pub(crate) async fn start_on(
        env: &TestEnv,
        (params, queue): (Argon2Params, Option<usize>),
        port: u16,
        extra: impl FnOnce(&str) -> Vec<(&'static str, String)>,
    ) -> anyhow::Result<Self> {
        let metrics_port = free_port()?;
        let mut cmd = Command::new(chronid_binary()?);
        cmd.arg("serve")
            .env("CHRONID_DATABASE_URL", &env.database_url)
            .env("CHRONID_NATS_URL", &env.nats_url)
            .env("CHRONID_STREAM", &env.stream.stream)
            .env("CHRONID_SUBJECT_PREFIX", &env.stream.subject_prefix)
            .env("CHRONID_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "CHRONID_METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            )
            // One client address sends every request: the per-address limits would measure
            // themselves.
            .env("CHRONID_RATE_LOGIN_PER_MINUTE", u32::MAX.to_string())
            .env("CHRONID_RATE_CHALLENGE_PER_MINUTE", u32::MAX.to_string())
            .env("CHRONID_RATE_FORGOT_PER_MINUTE", u32::MAX.to_string())
            .env("CHRONID_COMPONENTS", "api")
            .env(
                "CHRONID_SECRET_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            )
            .env("CHRONID_ARGON2_MEMORY_KIB", params.memory_kib.to_string())
            .env("CHRONID_ARGON2_ITERATIONS", params.iterations.to_string())
            .env("CHRONID_ARGON2_PARALLELISM", params.parallelism.to_string())
            .env("CHRONID_SWEEP_MINUTES", "1440")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(q) = queue {
            cmd.env("CHRONID_HASH_QUEUE", q.to_string());
        }
        for (k, v) in extra(&format!("http://127.0.0.1:{port}")) {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("starting chronid serve")?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            metrics: format!("http://127.0.0.1:{metrics_port}"),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(1024)
                .build()?,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = server
                .http
                .get(format!("{}/health", server.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                bail!("chronid serve did not answer within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Logs `email` in (with its device token, once it has one); returns whether it got a session.
    async fn login(&self, email: &str, device: Option<&str>) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .http
            .post(format!("{}/v1/login", self.base))
            .json(&json!({"login": email, "password": PASSWORD}));
        if let Some(d) = device {
            req = req.header("x-device-token", d);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }
}

/// CPU seconds (user + system) used so far by process `pid` (`self` for this one).
pub(crate) fn cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').context("odd /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// CPU seconds (user + system) the calling thread has used.
pub(crate) fn thread_cpu() -> anyhow::Result<f64> {
    let tid = std::fs::read_link("/proc/thread-self")?;
    let path = tid
        .to_string_lossy()
        .trim_start_matches("/proc/")
        .to_string();
    cpu_seconds(&path)
}

/// A client that follows no redirect, as a browser's requests are measured one by one.
pub(crate) fn no_redirect_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(16)
        .build()?)
}

/// Resident memory of `pid` in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmRSS")
}

/// An account and `n` users with the password, hashed by the server itself.
pub(crate) async fn users(env: &TestEnv, server: &Server, n: usize) -> anyhow::Result<Vec<String>> {
    let app = App::new(CommandExecutor::new(env.pool.clone(), test_services()));
    let boot = app
        .bootstrap(
            Name::parse("name", "Bench")?,
            Email::parse(&format!(
                "admin-{}@bench.test",
                uuid::Uuid::now_v7().simple()
            ))?,
            None,
            Password::parse("a-long-admin-password")?,
        )
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap: {}", e.message))?;
    let mut emails = Vec::with_capacity(n);
    for _ in 0..n {
        let email = format!("u{}@bench.test", uuid::Uuid::now_v7().simple());
        let r = server
            .http
            .post(format!(
                "{}/v1/accounts/{}/users",
                server.base, boot.account_id
            ))
            .bearer_auth(secrecy::ExposeSecret::expose_secret(&boot.api_key))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await?;
        if r.status().as_u16() != 201 {
            bail!("creating a user: {}", r.text().await?);
        }
        emails.push(email);
    }
    Ok(emails)
}

/// CPU seconds of one argon2id verify with `params`, on one thread of this process.
async fn verify_cpu(params: Argon2Params, n: usize) -> anyhow::Result<f64> {
    let hasher = Argon2Hasher::new(params, 1).map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = Password::parse(PASSWORD)?;
    let hash = hasher.hash(&password).await?;
    let before = cpu_seconds("self")?;
    for _ in 0..n {
        if !hasher.verify(&password, &hash).await? {
            bail!("the reference verify failed");
        }
    }
    Ok((cpu_seconds("self")? - before) / n as f64)
}

/// Logins at `clients` for `window`; returns (logins/s, server CPU s per login).
async fn login_rate(
    server: &Arc<Server>,
    emails: &[String],
    devices: &[String],
    clients: usize,
    window: Duration,
) -> anyhow::Result<(f64, f64)> {
    let pid = server.pid().to_string();
    let cpu_before = cpu_seconds(&pid)?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (server, email, device) = (server.clone(), emails[c].clone(), devices[c].clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while start.elapsed() < window {
                let (status, _) = server.login(&email, Some(&device)).await?;
                if status != 200 {
                    bail!("login answered {status}");
                }
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut logins = 0;
    for t in tasks {
        logins += t.await??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds(&pid)? - cpu_before;
    Ok((logins as f64 / elapsed, cpu / logins.max(1) as f64))
}

pub async fn login_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let settings = [
        (
            "default m=19456 t=2 p=1",
            Argon2Params {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1,
            },
        ),
        (
            "keycloak-sizing m=7168 t=5 p=1",
            Argon2Params {
                memory_kib: 7_168,
                iterations: 5,
                parallelism: 1,
            },
        ),
    ];
    for (label, params) in settings {
        let server = Arc::new(Server::start(env, params, None).await?);
        let emails = users(env, &server, 64).await?;
        let mut devices = Vec::new();
        for e in &emails {
            let (status, body) = server.login(e, None).await?;
            if status != 200 {
                bail!("first login: {status} {body}");
            }
            devices.push(
                body["device_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        // Short windows of the reference and of logins alternate, so both see the same machine
        // (its speed drifts by tens of percent from one window to the next).
        let (rounds, window) = if quick {
            (2, Duration::from_secs(2))
        } else {
            (6, Duration::from_secs(3))
        };
        for clients in [1usize, 8, 64] {
            let (mut reference, mut rate, mut cpu) = (0.0, 0.0, 0.0);
            for _ in 0..rounds {
                reference += verify_cpu(params, 15).await? / rounds as f64;
                let (r, c) = login_rate(&server, &emails, &devices, clients, window).await?;
                rate += r / rounds as f64;
                cpu += c / rounds as f64;
            }
            print(Figure {
                scenario: "login",
                figure: "server_cpu_ms_per_login",
                params: json!({"argon2": label, "clients": clients, "windows": rounds, "logins_per_s": (rate * 10.0).round() / 10.0,
                    "logins_per_s_per_core": (1.0 / cpu * 10.0).round() / 10.0}),
                value: cpu * 1000.0,
                unit: "ms",
                reference: "argon2_verify_cpu_ms",
                reference_value: reference * 1000.0,
            });
        }
    }
    Ok(())
}

pub async fn login_history_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let params = Argon2Params {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
    let server = Server::start(env, params, None).await?;
    let emails = users(env, &server, 2).await?;
    // Give the second user 10,000 events, through the store as the API would write them.
    let exec = CommandExecutor::new(env.pool.clone(), test_services());
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT aggregate_id FROM events WHERE aggregate_type = 'user' AND event_type = 'UserRegistered'
          AND payload->'UserRegistered'->>'email' = $1",
    )
    .bind(&emails[1])
    .fetch_all(&env.pool)
    .await?;
    let heavy = rows.first().context("the heavy user")?.0.clone();
    let target = if quick { 2_000 } else { 10_000 };
    for _ in 0..target / 2 {
        for lang in ["de", "fr"] {
            exec.execute::<User>(
                &heavy,
                UserCommand::UpdateProfile {
                    changes: ProfileChanges {
                        language: Some(Language::parse(lang)?),
                        ..Default::default()
                    },
                },
                &RequestFacts::system(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    let mut devices = Vec::new();
    for e in &emails {
        let (_, body) = server.login(e, None).await?;
        devices.push(
            body["device_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    let rounds = if quick { 20 } else { 200 };
    let (mut light, mut heavy_t) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for (k, samples) in [(0usize, &mut light), (1, &mut heavy_t)] {
            let t = Instant::now();
            let (status, _) = server.login(&emails[k], Some(&devices[k])).await?;
            if status != 200 {
                bail!("login answered {status}");
            }
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let p50 = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    print(Figure {
        scenario: "login-history",
        figure: "login_p50_ms_heavy_user",
        params: json!({"earlier_events": target, "rounds": rounds}),
        value: p50(&mut heavy_t),
        unit: "ms",
        reference: "login_p50_ms_user_with_10_events",
        reference_value: p50(&mut light),
    });
    Ok(())
}

pub async fn flood_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let params = Argon2Params {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
    let server = Arc::new(Server::start(env, params, None).await?);
    let emails = users(env, &server, 1).await?;
    let email = emails[0].clone();
    let idle = rss_kib(server.pid())?;
    let sizes: &[usize] = if quick { &[100, 300] } else { &[100, 1_000] };
    let mut peaks = Vec::new();
    for &clients in sizes {
        let pid = server.pid();
        let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let sampler = {
            let (sampling, peak) = (sampling.clone(), peak.clone());
            tokio::spawn(async move {
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok(kib) = rss_kib(pid) {
                        peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        };
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (server, email) = (server.clone(), email.clone());
            tasks.push(tokio::spawn(
                async move { server.login(&email, None).await },
            ));
        }
        let (mut ok, mut busy, mut other) = (0, 0, 0);
        for t in tasks {
            match t.await?? {
                (200, _) => ok += 1,
                (503, _) => busy += 1,
                _ => other += 1,
            }
        }
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        sampler.await?;
        let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
        peaks.push((clients, peak));
        print(Figure {
            scenario: "flood",
            figure: "server_peak_rss_mib",
            params: json!({"concurrent_logins": clients, "ok": ok, "busy_503": busy, "other": other,
                "idle_rss_mib": (idle as f64 / 1024.0 * 10.0).round() / 10.0}),
            value: peak as f64 / 1024.0,
            unit: "MiB",
            reference: "idle_rss_mib",
            reference_value: idle as f64 / 1024.0,
        });
    }
    Ok(())
}

/// A new account holding a user with `email` (and the password); returns the account's API key
/// and id and the user's id.
pub(crate) async fn account_with(
    env: &TestEnv,
    server: &Server,
    email: &str,
) -> anyhow::Result<(String, String, String)> {
    let admin = format!("admin-{}@bench.test", uuid::Uuid::now_v7().simple());
    let mut cmd = Command::new(chronid_binary()?);
    let out = cmd
        .args([
            "bootstrap",
            "--account-name",
            "Enumeration bench",
            "--admin-email",
            &admin,
        ])
        .env("CHRONID_DATABASE_URL", &env.database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting chronid bootstrap")?;
    let output = {
        use std::io::Write;
        let mut child = out;
        child
            .stdin
            .take()
            .context("bootstrap's stdin")?
            .write_all(b"a-long-admin-password\n")?;
        child.wait_with_output()?
    };
    if !output.status.success() {
        bail!(
            "chronid bootstrap: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let boot: Value = serde_json::from_slice(&output.stdout)?;
    let (Some(key), Some(account)) = (boot["api_key"].as_str(), boot["account_id"].as_str()) else {
        bail!("bootstrap printed {boot}");
    };
    let r = server
        .http
        .put(format!(
            "{}/v1/accounts/{account}/security-policy",
            server.base
        ))
        .bearer_auth(key)
        .json(
            &json!({"max_inactivity_days": null, "max_login_attempts": 100,
            "password_validity_days": null, "two_factor": "off"}),
        )
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("policy: {}", r.text().await?);
    }
    let r = server
        .http
        .post(format!("{}/v1/accounts/{account}/users", server.base))
        .bearer_auth(key)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    if r.status().as_u16() != 201 {
        bail!("creating a user: {}", r.text().await?);
    }
    let id = r.json::<Value>().await?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((key.to_string(), account.to_string(), id))
}

/// Milliseconds of one login of `email` with `password`, which must be refused as invalid
/// credentials (any other answer would be a different path).
async fn refused_login_ms(server: &Server, email: &str, password: &str) -> anyhow::Result<f64> {
    let start = Instant::now();
    let r = server
        .http
        .post(format!("{}/v1/login", server.base))
        .json(&json!({"login": email, "password": password}))
        .send()
        .await?;
    let status = r.status().as_u16();
    let _ = r.bytes().await?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status != 401 {
        bail!("a wrong password for {email} answered {status}, not 401");
    }
    Ok(ms)
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(i).copied().unwrap_or(0.0)
}

/// `enumeration`: how long a refused login takes for an unknown login, a login held in one
/// account, and one held in three (checked against each), in alternating rounds at the default
/// argon2 parameters; p50 and p95 of each beside the unknown login's.
pub async fn enumeration_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let params = Argon2Params {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
    let server = Server::start(env, params, None).await?;
    let one = format!("one-{}@bench.test", uuid::Uuid::now_v7().simple());
    let three = format!("three-{}@bench.test", uuid::Uuid::now_v7().simple());
    let mut accounts = vec![(one.clone(), account_with(env, &server, &one).await?.1)];
    for _ in 0..3 {
        accounts.push((three.clone(), account_with(env, &server, &three).await?.1));
    }
    let (rounds, per_round) = if quick { (4, 5) } else { (12, 10) };
    let kinds = ["unknown", "one_account", "three_accounts"];
    let mut samples: [Vec<f64>; 3] = Default::default();
    // Warm the server (the dummy hash, caches, its estimate of a check's time).
    for _ in 0..5 {
        refused_login_ms(&server, "warm@bench.test", "wrong-password-0").await?;
    }
    for round in 0..rounds {
        for (k, kind) in kinds.iter().enumerate() {
            for i in 0..per_round {
                let login = match *kind {
                    "unknown" => format!("nobody-{round}-{i}@bench.test"),
                    "one_account" => one.clone(),
                    _ => three.clone(),
                };
                let ms = refused_login_ms(&server, &login, &format!("wrong-{round}-{i}")).await?;
                samples[k].push(ms);
            }
        }
        // A right password in each account resets the failure counts (unmeasured), so no user
        // locks.
        for (email, account) in &accounts {
            let r = server
                .http
                .post(format!("{}/v1/login", server.base))
                .json(&json!({"login": email, "password": PASSWORD, "account_id": account}))
                .send()
                .await?;
            if r.status().as_u16() != 200 {
                bail!("the right password for {email}: {}", r.text().await?);
            }
        }
    }
    let mut unknown = samples[0].clone();
    let (u50, u95) = (
        percentile(&mut unknown, 0.5),
        percentile(&mut unknown, 0.95),
    );
    for (k, kind) in kinds.iter().enumerate().skip(1) {
        let mut s = samples[k].clone();
        let (p50, p95) = (percentile(&mut s, 0.5), percentile(&mut s, 0.95));
        for (figure, value, reference, reference_value) in [
            ("refused_login_p50_ms", p50, "unknown_login_p50_ms", u50),
            ("refused_login_p95_ms", p95, "unknown_login_p95_ms", u95),
        ] {
            print(Figure {
                scenario: "enumeration",
                figure,
                params: json!({"login": kind, "rounds": rounds, "per_round": per_round}),
                value,
                unit: "ms",
                reference,
                reference_value,
            });
        }
    }
    Ok(())
}
