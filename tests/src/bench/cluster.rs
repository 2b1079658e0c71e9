//! `cluster`: chronid nodes (`chronid serve` child processes running `api,relay`) on one
//! database and a three-node NATS cluster with the stream replicated three times.
//!
//! - `failover_gap_ms`: time from SIGKILL of the node whose relay is active to the first event
//!   the other node's relay publishes, while an event is written every 10 ms; the median of
//!   several kills, each at a random point of the standby's polling interval (the killed node is
//!   started again as the next standby), beside that interval (`CHRONID_STANDBY_POLL_MS`), at
//!   1000 and 200 ms. Uniform phases put the expected median at half the interval plus the
//!   takeover's own cost.
//! - `commands_per_s`: profile changes per second from 32 clients through two nodes (16 each)
//!   beside all 32 through one node, in alternating windows. The store is shared and so is this
//!   machine's CPU: the ratio says what a second node adds here, not on two machines.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chronid_crypto::Argon2Params;
use chronid_tests::{insert_event, NatsCluster, TestEnv, TestEvent};
use serde_json::json;
use uuid::Uuid;

use crate::bench_login::Server;
use crate::{connections, patch_rate, print, Figure};

pub async fn cluster_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let cluster = NatsCluster::launch().await?;
    let seeds = cluster.seed_list();
    let polls: &[u32] = if quick { &[200] } else { &[1000, 200] };
    for &poll in polls {
        failover(env, &seeds, poll, if quick { 3 } else { 7 }).await?;
    }
    throughput(env, &seeds, quick).await?;
    drop(cluster);
    Ok(())
}

/// A node running the API and the relay on the cluster.
async fn node(env: &TestEnv, seeds: &str, poll_ms: u32) -> anyhow::Result<Server> {
    let (seeds, poll) = (seeds.to_string(), poll_ms.to_string());
    Server::start_with(env, Argon2Params::default(), None, move |_| {
        vec![
            ("CHRONID_COMPONENTS", "api,relay".to_string()),
            ("CHRONID_NATS_URL", seeds),
            ("CHRONID_STREAM_REPLICAS", "3".to_string()),
            ("CHRONID_STANDBY_POLL_MS", poll),
        ]
    })
    .await
}

/// A metric's value on a node (the first series of that name).
async fn metric(http: &reqwest::Client, node: &Server, name: &str) -> anyhow::Result<f64> {
    let text = http
        .get(format!("{}/metrics", node.metrics))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(series, _)| *series == name)
        .and_then(|(_, v)| v.trim().parse().ok())
        .with_context(|| format!("no {name} in the node's metrics"))
}

async fn failover(env: &TestEnv, seeds: &str, poll_ms: u32, kills: usize) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut nodes = VecDeque::new();
    nodes.push_back(node(env, seeds, poll_ms).await?);
    nodes.push_back(node(env, seeds, poll_ms).await?);

    // Events keep coming: one every 10 ms, each a new aggregate's first.
    let pool = env.pool.clone();
    let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let writing = Arc::clone(&writing);
        tokio::spawn(async move {
            let account = Uuid::now_v7();
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                tick.tick().await;
                let event = TestEvent::new(
                    account,
                    "user",
                    Uuid::now_v7(),
                    1,
                    "UserRegistered",
                    json!({}),
                );
                insert_event(&pool, &event).await?;
            }
            anyhow::Ok(())
        })
    };

    let mut gaps = Vec::with_capacity(kills);
    for _ in 0..kills {
        // Exactly one relay active, and it has published: the other is the standby.
        let deadline = Instant::now() + Duration::from_secs(30);
        let active = loop {
            let a = metric(&http, &nodes[0], "chronid_relay_active").await?;
            let b = metric(&http, &nodes[1], "chronid_relay_active").await?;
            match (a == 1.0, b == 1.0) {
                (true, false) => break 0,
                (false, true) => break 1,
                _ if Instant::now() > deadline => {
                    bail!("not exactly one active relay within 30 s ({a}, {b})")
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        let standby = 1 - active;
        // The standby tries the lock on its own timer, which started when it did: kill at a
        // random point of its interval, or every gap would be the interval less the time the
        // bench took since the standby's start.
        let phase = rand::random_range(0..u64::from(poll_ms));
        tokio::time::sleep(Duration::from_millis(1000 + phase)).await;
        let before = metric(&http, &nodes[standby], "chronid_relay_published_total").await?;
        let killed = nodes.remove(active).context("the active node")?;
        let start = Instant::now();
        drop(killed); // SIGKILL, then reaped.
        let deadline = start + Duration::from_secs(60);
        loop {
            let now = metric(&http, &nodes[0], "chronid_relay_published_total").await?;
            if now > before {
                break;
            }
            if Instant::now() > deadline {
                bail!("the standby published nothing within 60 s of the kill");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        gaps.push(start.elapsed().as_secs_f64() * 1000.0);
        // The killed node comes back as the next standby.
        nodes.push_back(node(env, seeds, poll_ms).await?);
    }
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    writer.await??;
    gaps.sort_by(f64::total_cmp);
    let median = gaps[gaps.len() / 2];
    print(Figure {
        scenario: "cluster",
        figure: "failover_gap_ms",
        params: json!({
            "kills": kills, "gaps_ms": gaps.iter().map(|g| g.round()).collect::<Vec<_>>(),
            "writes": "an event every 10 ms", "nats": "3 nodes, stream R3",
            "kill": "at a random point of the standby's interval",
        }),
        value: median,
        unit: "ms",
        reference: "standby_poll_ms",
        reference_value: f64::from(poll_ms),
    });
    Ok(())
}

async fn throughput(env: &TestEnv, seeds: &str, quick: bool) -> anyhow::Result<()> {
    const CLIENTS: usize = 32;
    let a = node(env, seeds, 1000).await?;
    let b = node(env, seeds, 1000).await?;
    let (account, key) = bootstrap(env).await?;
    let mut ids = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let r = a
            .http
            .post(format!("{}/v1/accounts/{account}/users", a.base))
            .bearer_auth(&key)
            .json(&json!({ "email": format!("c{i}-{}@bench.test", Uuid::now_v7().simple()) }))
            .send()
            .await?;
        if r.status().as_u16() != 201 {
            bail!("creating a user: {}", r.text().await?);
        }
        let body: serde_json::Value = r.json().await?;
        ids.push(body["id"].as_str().context("user id")?.to_string());
    }
    let users = Arc::new(ids);
    let one = Arc::new(connections(&a.base, CLIENTS).await?);
    // Client i on node i % 2.
    let mut on_a = connections(&a.base, CLIENTS / 2).await?.into_iter();
    let mut on_b = connections(&b.base, CLIENTS / 2).await?.into_iter();
    let mut both = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let next = if i % 2 == 0 { on_a.next() } else { on_b.next() };
        both.push(next.context("a connection")?);
    }
    let both = Arc::new(both);
    let (rounds, window) = if quick {
        (2, Duration::from_secs(1))
    } else {
        (6, Duration::from_millis(2500))
    };
    let target = (account, key.as_str());
    let warm = Duration::from_millis(500);
    let _ = patch_rate(target, &one, &users, CLIENTS, warm).await?;
    let _ = patch_rate(target, &both, &users, CLIENTS, warm).await?;
    let (mut single, mut double) = (0.0, 0.0);
    for _ in 0..rounds {
        single += patch_rate(target, &one, &users, CLIENTS, window).await?;
        double += patch_rate(target, &both, &users, CLIENTS, window).await?;
    }
    print(Figure {
        scenario: "cluster",
        figure: "commands_per_s",
        params: json!({
            "clients": CLIENTS, "nodes": 2, "command": "PATCH user (profile)", "windows": rounds,
            "machine": "both nodes, PostgreSQL and NATS share this machine's cores",
            "relay": "active on the one node in both setups",
        }),
        value: double / f64::from(rounds),
        unit: "1/s",
        reference: "one_node_commands_per_s",
        reference_value: single / f64::from(rounds),
    });
    Ok(())
}

/// An account and its API key, made in this process.
async fn bootstrap(env: &TestEnv) -> anyhow::Result<(Uuid, String)> {
    use chronid_domain::values::{Email, Name, Password};
    let app = chronid_app::App::new(chronid_store::CommandExecutor::new(
        env.pool.clone(),
        chronid_tests::server::test_services(),
    ));
    let boot = app
        .bootstrap(
            Name::parse("name", "Cluster bench")?,
            Email::parse(&format!("admin-{}@bench.test", Uuid::now_v7().simple()))?,
            None,
            Password::parse("a-long-admin-password")?,
        )
        .await
        .map_err(|e| anyhow::anyhow!("bootstrap: {}", e.message))?;
    let key = secrecy::ExposeSecret::expose_secret(&boot.api_key).to_string();
    Ok((boot.account_id, key))
}
