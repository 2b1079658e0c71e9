//! `chronid-bench SCENARIO [--quick]`: measures a figure against a reference taken in the same
//! run on the same machine, and prints one JSON line per figure. Machines here are shared and
//! noisy, so the ratio is what to compare.
//!
//! - `write`: profile updates per second through HTTP at 1 and 32 clients, beside single-row
//!   INSERT transactions per second into a scratch table at the same concurrency.
//! - `relay`: events per second the relay publishes from a backlog, beside publishing the same
//!   messages straight to JetStream with pipelined, awaited acks.
//! - `load`: time to load a user with 10 and with 10,000 events.
//! - `lag`: commit -> user view visible, p50 and p99, at 1,000 events/s (beside commit ->
//!   message on the stream).
//! - `replay`: events/s rebuilding the user view and the audit log from 1,000,000 events, beside
//!   an ordered consumer reading the same stream and doing nothing.
//! - `audit`: p95 of audit queries over 10,000,000 entries, per filter kind.
//! - `login`: server CPU seconds per password login at 1, 8 and 64 clients (a `chronid serve`
//!   child process), beside one argon2 verify's CPU time with the same parameters; at the
//!   default parameters and at m=7168 KiB, t=5, p=1.
//! - `login-history`: login p50 for a user with 10,000 earlier events beside one with 10.
//! - `flood`: the server's peak resident memory during 100 and 1,000 concurrent logins.
//! - `enumeration`: p50 and p95 of a refused login for a login held in one account and in three,
//!   beside an unknown login, in alternating rounds.
//! - `pages`: the login page's time to first byte beside `GET /health` on the same connection,
//!   its weight with stylesheet and logo, and a browser login beside the JSON API's.
//! - `saml`: the server's CPU time per SSO login (the Response at the assertion consumer, then
//!   the session), for a returning user and a first login, beside samael verifying one of the
//!   same Responses in this process.
//! - `oidc`: the server's CPU time per Google login (the provider's answer at the callback
//!   through the session, a real OpenID Connect provider on this machine), beside one ID token
//!   verified in this process.
//! - `cluster`: two `chronid serve` nodes on a three-node NATS cluster (stream R3): the failover
//!   gap after SIGKILL of the relay's node beside the standby poll interval, and commands/s
//!   through two nodes beside one.

// Benchmarks read the real clock and draw real ids: the determinism rule is for the domain.
#![allow(clippy::disallowed_methods)]

#[path = "../bench/cluster.rs"]
mod bench_cluster;
#[path = "../bench/login.rs"]
mod bench_login;
#[path = "../bench/oidc.rs"]
mod bench_oidc;
#[path = "../bench/pages.rs"]
mod bench_pages;
#[path = "../bench/read.rs"]
mod bench_read;
#[path = "../bench/saml.rs"]
mod bench_saml;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{User, UserEvent};
use chronid_stream::relay::{Relay, RelayOptions};
use chronid_stream::{ensure_stream, StreamConfig};
use chronid_tests::server::{spawn_app, spawn_app_with, test_services};
use chronid_tests::{insert_rounds, read_raw_stream_messages, TestEnv};
use clap::{Parser, ValueEnum};
use cqrs_es::Aggregate;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Scenario {
    Write,
    Relay,
    Load,
    Lag,
    Replay,
    Audit,
    Login,
    LoginHistory,
    Flood,
    Enumeration,
    Pages,
    Saml,
    Oidc,
    Cluster,
}

#[derive(Debug, Parser)]
#[command(
    name = "chronid-bench",
    about = "Measure chronid against same-run references"
)]
struct Args {
    scenario: Scenario,
    /// A smaller, faster run.
    #[arg(long)]
    quick: bool,
}

pub(crate) struct Figure<'a> {
    pub(crate) scenario: &'a str,
    pub(crate) figure: &'a str,
    pub(crate) params: serde_json::Value,
    pub(crate) value: f64,
    pub(crate) unit: &'a str,
    pub(crate) reference: &'a str,
    pub(crate) reference_value: f64,
}

pub(crate) fn print(f: Figure<'_>) {
    let ratio = if f.reference_value > 0.0 {
        f.value / f.reference_value
    } else {
        0.0
    };
    let line = json!({
        "scenario": f.scenario, "figure": f.figure, "params": f.params,
        "value": (f.value * 100.0).round() / 100.0, "unit": f.unit,
        "reference": f.reference, "reference_value": (f.reference_value * 100.0).round() / 100.0,
        "ratio": (ratio * 1000.0).round() / 1000.0,
    });
    println!("{line}");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let env = TestEnv::new().await?;
    let result = match args.scenario {
        Scenario::Write => write(&env, args.quick).await,
        Scenario::Relay => relay(&env, args.quick).await,
        Scenario::Load => load(&env, args.quick).await,
        Scenario::Lag => bench_read::lag(&env, args.quick).await,
        Scenario::Replay => bench_read::replay_bench(&env, args.quick).await,
        Scenario::Audit => bench_read::audit_bench(&env, args.quick).await,
        Scenario::Login => bench_login::login_bench(&env, args.quick).await,
        Scenario::LoginHistory => bench_login::login_history_bench(&env, args.quick).await,
        Scenario::Flood => bench_login::flood_bench(&env, args.quick).await,
        Scenario::Enumeration => bench_login::enumeration_bench(&env, args.quick).await,
        Scenario::Pages => bench_pages::pages_bench(&env, args.quick).await,
        Scenario::Saml => bench_saml::saml_bench(&env, args.quick).await,
        Scenario::Oidc => bench_oidc::oidc_bench(&env, args.quick).await,
        Scenario::Cluster => bench_cluster::cluster_bench(&env, args.quick).await,
    };
    env.cleanup().await?;
    result
}

/// Runs `clients` loops of `op` for `duration`; returns completed operations per second.
async fn rate<F, Fut>(clients: usize, duration: Duration, op: F) -> anyhow::Result<f64>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (op, done, stop) = (op.clone(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                op(client, i).await?;
                done.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

async fn write(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    // The server's default pool size, for the API and the reference alike.
    let pool = chronid_store::connect(&env.database_url, 32).await?;
    let app = Arc::new(spawn_app_with(env, pool.clone(), test_services()).await?);
    sqlx::query("CREATE TABLE bench_scratch (id bigserial PRIMARY KEY, body text NOT NULL)")
        .execute(&pool)
        .await?;
    let mut users = Vec::new();
    for i in 0..32 {
        let r = app
            .http
            .post(app.url("/users"))
            .bearer_auth(&app.api_key)
            .json(&json!({ "email": format!("bench{i}@acme.test") }))
            .send()
            .await?;
        let body: serde_json::Value = r.json().await?;
        users.push(body["id"].as_str().context("user id")?.to_string());
    }
    let users = Arc::new(users);
    let conns = Arc::new(connections(&app.base, 32).await?);
    // Alternate short windows of each so both see the same disk and CPU conditions (the
    // machine is shared: a long window of one then the other measures the drift, not us).
    let (rounds, window) = if quick {
        (3, Duration::from_secs(1))
    } else {
        (8, Duration::from_millis(2500))
    };
    for clients in [1usize, 32] {
        let _ = patch_rate(
            (app.account_id, &app.api_key),
            &conns,
            &users,
            clients,
            Duration::from_millis(500),
        )
        .await?;
        let (mut commands, mut inserts, mut floor) = (0.0, 0.0, 0.0);
        for _ in 0..rounds {
            commands += patch_rate(
                (app.account_id, &app.api_key),
                &conns,
                &users,
                clients,
                window,
            )
            .await?;
            floor += health_rate(&conns, clients, window).await?;
            let pool = pool.clone();
            inserts += rate(clients, window, move |client, i| {
                let pool = pool.clone();
                async move {
                    sqlx::query("INSERT INTO bench_scratch (body) VALUES ($1)")
                        .bind(format!("{client}-{i}"))
                        .execute(&pool)
                        .await?;
                    Ok(())
                }
            })
            .await?;
        }
        print(Figure {
            scenario: "write",
            figure: "commands_per_s",
            params: json!({ "clients": clients, "command": "PATCH user (profile)", "windows": rounds }),
            value: commands / rounds as f64,
            unit: "1/s",
            reference: "insert_tx_per_s",
            reference_value: inserts / rounds as f64,
        });
        // Context, not a goal: what the HTTP stack and client reach doing nothing at all.
        print(Figure {
            scenario: "write",
            figure: "http_floor_per_s",
            params: json!({ "clients": clients, "request": "GET /health", "windows": rounds }),
            value: floor / rounds as f64,
            unit: "1/s",
            reference: "insert_tx_per_s",
            reference_value: inserts / rounds as f64,
        });
    }
    Ok(())
}

/// One HTTP/1 connection per client, driven with hyper's connection API: the lightest client
/// that still speaks real HTTP, so the measuring tool takes as little of the shared CPU as it can.
async fn connections(
    base: &str,
    n: usize,
) -> anyhow::Result<Vec<tokio::sync::Mutex<SendRequest<Full<Bytes>>>>> {
    let addr = base.trim_start_matches("http://").to_string();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let stream = tokio::net::TcpStream::connect(&addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        out.push(tokio::sync::Mutex::new(sender));
    }
    Ok(out)
}

/// Client `i` changes the profile of `users[i]` in `account` over `conns[i]`, with `api_key`.
async fn patch_rate(
    (account, api_key): (Uuid, &str),
    conns: &Arc<Vec<tokio::sync::Mutex<SendRequest<Full<Bytes>>>>>,
    users: &Arc<Vec<String>>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let (conns, users) = (conns.clone(), users.clone());
    let auth = format!("Bearer {api_key}");
    // Every request sets a name never used before, so every one is a real change.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    rate(clients, duration, move |client, _| {
        let path = format!("/v1/accounts/{account}/users/{}", users[client]);
        let body = format!(
            "{{\"first_name\":\"Name{}\"}}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let request = hyper::Request::patch(path)
            .header("host", "127.0.0.1")
            .header("authorization", auth.clone())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)));
        let conns = conns.clone();
        async move {
            let mut sender = conns[client].lock().await;
            sender.ready().await?;
            let response = sender.send_request(request?).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            if status != 200 {
                bail!(
                    "PATCH answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            Ok(())
        }
    })
    .await
}

/// The HTTP floor: `GET /health` (no database, no authentication) over the same connections.
async fn health_rate(
    conns: &Arc<Vec<tokio::sync::Mutex<SendRequest<Full<Bytes>>>>>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let conns = conns.clone();
    rate(clients, duration, move |client, _| {
        let request = hyper::Request::get("/health")
            .header("host", "127.0.0.1")
            .body(Full::new(Bytes::new()));
        let conns = conns.clone();
        async move {
            let mut sender = conns[client].lock().await;
            sender.ready().await?;
            let response = sender.send_request(request?).await?;
            let status = response.status();
            response.into_body().collect().await?;
            if status != 200 {
                bail!("GET /health answered {status}");
            }
            Ok(())
        }
    })
    .await
}

async fn relay(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    // Rounds of a fresh backlog each, the relay's window then the reference's: the machine is
    // shared, and one long window of each measured its drift as much as the relay.
    let (rounds, per_round): (i64, i64) = if quick { (1, 10_000) } else { (3, 100_000) };
    let account = Uuid::now_v7();
    let aggregates: Vec<Uuid> = (0..1000).map(|_| Uuid::now_v7()).collect();
    let direct = StreamConfig {
        stream: format!("{}_DIRECT", env.stream.stream),
        subject_prefix: format!("{}_direct", env.stream.subject_prefix),
        ..env.stream.clone()
    };
    ensure_stream(&env.js, &direct).await?;
    let (mut relay_secs, mut direct_secs, mut relayed, mut direct_sent) = (0.0, 0.0, 0u64, 0u64);
    for round in 0..rounds {
        let per_aggregate = per_round / 1000;
        insert_rounds(
            &env.pool,
            account,
            &aggregates,
            1 + round * per_aggregate,
            per_aggregate,
        )
        .await?;
        let before = env.stream_len().await?;
        let target = before + per_round as u64;
        let relay = Relay::new(
            env.pool.clone(),
            env.js.clone(),
            env.stream.clone(),
            RelayOptions::default(),
        );
        let stats = relay.stats();
        let (stop, rx) = tokio::sync::watch::channel(false);
        let start = Instant::now();
        let task = tokio::spawn(relay.run(rx));
        // The relay's own count of acknowledged messages, read every 5 ms (no request to NATS
        // that the reference would not make), so the window closes within 5 ms of the last ack.
        while stats.published() < per_round as u64 {
            anyhow::ensure!(
                start.elapsed() < Duration::from_secs(600),
                "the backlog was not published in 10 minutes"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        relay_secs += start.elapsed().as_secs_f64();
        relayed += per_round as u64;
        let _ = stop.send(true);
        task.await??;
        anyhow::ensure!(
            env.stream_len().await? == target,
            "the stream does not hold the backlog exactly once"
        );

        // The reference: the same messages, published straight to a second stream.
        let messages: Vec<_> = read_raw_stream_messages(&env.js, &env.stream.stream)
            .await?
            .into_iter()
            .filter(|m| m.stream_sequence > before)
            .collect();
        let start = Instant::now();
        for chunk in messages.chunks(1000) {
            let mut acks = Vec::with_capacity(chunk.len());
            for m in chunk {
                let subject =
                    m.subject
                        .replacen(&env.stream.subject_prefix, &direct.subject_prefix, 1);
                acks.push(
                    env.js
                        .publish_with_headers(subject, m.headers.clone(), m.payload.clone().into())
                        .await?,
                );
            }
            for ack in acks {
                ack.await?;
            }
        }
        direct_secs += start.elapsed().as_secs_f64();
        direct_sent += messages.len() as u64;
    }
    let _ = env.js.delete_stream(&direct.stream).await;
    print(Figure {
        scenario: "relay",
        figure: "events_per_s",
        params: json!({ "backlog": per_round, "rounds": rounds }),
        value: relayed as f64 / relay_secs,
        unit: "1/s",
        reference: "direct_jetstream_publish_per_s",
        reference_value: direct_sent as f64 / direct_secs,
    });
    Ok(())
}

async fn load(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let app = spawn_app(env).await?;
    let exec = app.app.executor();
    let store = exec.store::<User>();
    let mut ids = Vec::new();
    for (n, email) in [(10usize, "ten@acme.test"), (10_000, "tenk@acme.test")] {
        let r = app
            .http
            .post(app.url("/users"))
            .bearer_auth(&app.api_key)
            .json(&json!({ "email": email }))
            .send()
            .await?;
        let body: serde_json::Value = r.json().await?;
        let id = body["id"].as_str().context("user id")?.to_string();
        // Grow the history to n events in batches, through the store's own append.
        let team = Uuid::now_v7();
        let mut written = 1;
        while written < n {
            let batch = (n - written).min(100);
            let mut context = store.load(&id).await?;
            let events: Vec<UserEvent> = (0..batch)
                .map(|i| {
                    if (written + i) % 2 == 1 {
                        UserEvent::UserAddedToTeam {
                            team_id: team,
                            via_sso: false,
                        }
                    } else {
                        UserEvent::UserRemovedFromTeam {
                            team_id: team,
                            via_sso: false,
                        }
                    }
                })
                .collect();
            for e in &events {
                context.aggregate.apply(e.clone());
            }
            store
                .append(
                    &events,
                    &context,
                    &RequestFacts::system().to_metadata(chrono::Utc::now()),
                )
                .await?;
            written += batch;
        }
        ids.push((n, id));
    }
    let rounds = if quick { 300 } else { 2000 };
    let mut times: Vec<(usize, Vec<f64>)> = ids.iter().map(|(n, _)| (*n, Vec::new())).collect();
    for _ in 0..rounds {
        for (k, (_, id)) in ids.iter().enumerate() {
            let start = Instant::now();
            let loaded = store.load(id).await?;
            times[k].1.push(start.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(loaded.current_sequence);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let t10 = median(&mut times[0].1);
    let t10k = median(&mut times[1].1);
    print(Figure {
        scenario: "load",
        figure: "load_user_ms_p50",
        params: json!({ "events": 10_000, "rounds": rounds }),
        value: t10k,
        unit: "ms",
        reference: "load_user_with_10_events_ms_p50",
        reference_value: t10,
    });
    Ok(())
}
