//! chronid as a cluster, as docs/deploy.md sets it up: three `nats-server` processes forming a
//! JetStream cluster with the stream replicated three times, two `chronid serve` nodes running
//! every component on one database, and load through both. Under that load the member that
//! leads the stream and then the chronid node holding the relay are killed (SIGKILL). Every
//! command that was acknowledged must be in the store once and on the stream once, the stream
//! must hold the store's events in commit order, the survivor's views must be complete, and its
//! notifier must mail what is asked for after the kills.
//! Once with plain NATS, once with TLS (the servers verifying a client certificate) and a user
//! and password.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chronid_stream::{NatsAuth, NatsOptions, NatsTls};
use chronid_tests::{NatsCluster, TestEnv};
use common::*;
use serde_json::{json, Value};

/// How a test reaches the NATS cluster: the servers' extra arguments, the options a probe
/// connects with, the URL scheme and the chronid settings that say the same.
struct NatsSetup {
    server_args: Vec<String>,
    probe: NatsOptions,
    scheme: &'static str,
    vars: Vec<(&'static str, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl NatsSetup {
    fn plain() -> Self {
        Self {
            server_args: Vec::new(),
            probe: chronid_tests::test_nats_options(),
            scheme: "nats",
            vars: Vec::new(),
            _dir: None,
        }
    }

    /// TLS with a client certificate the servers verify, and a user and password.
    fn tls_and_password() -> Self {
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let (user, password) = ("chronid-node", "cluster-test-password");
        let mut server_args = nats_tls_args(dir.path());
        server_args.extend(["--user", user, "--pass", password].map(String::from));
        let probe = NatsOptions {
            tls: Some(NatsTls {
                ca: Some(path("ca.pem").into()),
                client: Some((path("client.pem").into(), path("client.key").into())),
            }),
            auth: NatsAuth::UserPassword {
                user: user.into(),
                password: password.into(),
            },
            ..chronid_tests::test_nats_options()
        };
        let vars = vec![
            ("CHRONID_NATS_TLS_CA", path("ca.pem")),
            ("CHRONID_NATS_TLS_CERT", path("client.pem")),
            ("CHRONID_NATS_TLS_KEY", path("client.key")),
            ("CHRONID_NATS_USER", user.to_string()),
            ("CHRONID_NATS_PASSWORD", password.to_string()),
        ];
        Self {
            server_args,
            probe,
            scheme: "tls",
            vars,
            _dir: Some(dir),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_a_nats_cluster_lose_nothing_when_a_nats_node_and_the_relay_node_die() {
    cluster_scenario(NatsSetup::plain()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_with_tls_and_a_password_on_nats() {
    cluster_scenario(NatsSetup::tls_and_password()).await;
}

/// Commands acknowledged with 201: the created user, the command's position and the email.
type Acked = Arc<Mutex<Vec<(String, i64, String)>>>;

/// One scenario at a time: each runs six server processes on this machine's cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn cluster_scenario(nats: NatsSetup) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let env = TestEnv::new().await.unwrap();
    let args: Vec<&str> = nats.server_args.iter().map(String::as_str).collect();
    let mut cluster = NatsCluster::launch_with(&args, nats.probe.clone(), nats.scheme)
        .await
        .unwrap();
    let seeds = cluster.seed_list();
    let peers = chronid_tests::peers::Peers::start().await.unwrap();
    let mut vars = vec![
        ("CHRONID_SMTP_URL", peers.smtp_url()),
        ("CHRONID_NATS_URL", seeds.clone()),
        ("CHRONID_STREAM_REPLICAS", "3".to_string()),
        ("CHRONID_STANDBY_POLL_MS", "200".to_string()),
    ];
    vars.extend(nats.vars.iter().cloned());
    let acme = bootstrap(&env).await;

    // The first node takes the relay and the workers; the second stands by.
    let mut first = Some(Serve::start(&env, "api,relay,projections,notifier", &vars).await);
    let first_metrics = first.as_ref().unwrap().metrics.clone();
    wait_until("the first node's relay to be active", || {
        let metrics = first_metrics.clone();
        async move { metric(&metrics, "chronid_relay_active").await == Some(1.0) }
    })
    .await;
    let second = Serve::start(&env, "api,relay,projections,notifier", &vars).await;
    assert_eq!(
        metric(&second.metrics, "chronid_relay_active").await,
        Some(0.0),
        "only one relay is active"
    );
    let servers = chronid_stream::server_addrs(&seeds).unwrap();
    let js = nats
        .probe
        .jetstream(nats.probe.connect(&servers).await.unwrap());
    let replicas = js
        .get_stream(&env.stream.stream)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .config
        .num_replicas;
    assert_eq!(replicas, 3, "the stream is created with three replicas");

    // Load through both nodes: six clients, each alternating between them.
    let nodes = vec![
        first.as_ref().unwrap().api().to_string(),
        second.api().to_string(),
    ];
    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client in 0..6 {
        let (nodes, acked, stop) = (nodes.clone(), Arc::clone(&acked), Arc::clone(&stop));
        let (key, account) = (acme.key.clone(), acme.id.clone());
        clients.push(tokio::spawn(async move {
            load(client, &nodes, &key, &account, &acked, &stop).await
        }));
    }
    let count = |acked: &Acked| acked.lock().unwrap().len();
    let at_least = |n: usize| {
        let acked = Arc::clone(&acked);
        async move {
            wait_until(&format!("{n} acknowledged commands"), || async {
                count(&acked) >= n
            })
            .await
        }
    };
    at_least(60).await;

    // Kill the NATS member that leads the stream.
    let mut stream = js.get_stream(&env.stream.stream).await.unwrap();
    let info = stream.info().await.unwrap();
    let leader = info
        .cluster
        .as_ref()
        .and_then(|c| c.leader.clone())
        .expect("the replicated stream has a leader");
    cluster.kill(&leader).unwrap();
    let before = count(&acked);
    at_least(before + 60).await;
    // The first node's relay goes on through the kill: the stream catches up with the store.
    let stored = stored_events(&env).await;
    wait_until("the relay to publish past the NATS kill", || async {
        chronid_tests::stream_len(&js, &env.stream.stream)
            .await
            .is_ok_and(|n| n >= stored)
    })
    .await;
    assert_eq!(
        metric(&second.metrics, "chronid_relay_published_total").await,
        Some(0.0),
        "the standby published nothing"
    );

    // Kill the chronid node that holds the relay: the first one, which took it at start.
    let mut killed = first.take().unwrap();
    assert_eq!(
        metric(&killed.metrics, "chronid_relay_active").await,
        Some(1.0),
        "the first node still holds the relay"
    );
    killed.child.start_kill().unwrap();
    killed.child.wait().await.unwrap();
    let before = count(&acked);
    at_least(before + 60).await;
    stop.store(true, Ordering::Relaxed);
    let mut unreachable = 0;
    for client in clients {
        unreachable += client.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        unreachable > 0,
        "some requests went to the killed node and got no answer"
    );

    // The survivor took the relay over and publishes everything.
    wait_until("the survivor's relay to be active", || async {
        metric(&second.metrics, "chronid_relay_active").await == Some(1.0)
    })
    .await;
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT aggregate_type || ':' || aggregate_id || ':' || sequence FROM events
          WHERE aggregate_type <> 'reservation' ORDER BY tx_id, global_seq",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    wait_until("every stored event on the stream", || async {
        chronid_tests::stream_len(&js, &env.stream.stream)
            .await
            .is_ok_and(|n| n >= expected.len() as u64)
    })
    .await;
    // Reading may need the meta leader, which the kill may have sent to an election: retried.
    let mut messages = Err(anyhow::anyhow!("not read"));
    for _ in 0..40 {
        messages = chronid_tests::read_all_stream_messages(&js, &env.stream.stream).await;
        if messages.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let published: Vec<String> = messages
        .unwrap()
        .iter()
        .map(|(headers, _)| headers.get("Nats-Msg-Id").unwrap().as_str().to_string())
        .collect();
    assert_eq!(
        published.len(),
        expected.len(),
        "the stream holds each stored event once"
    );
    assert!(
        published == expected,
        "the stream is the store's events in commit order"
    );
    let now_leads = stream
        .info()
        .await
        .unwrap()
        .cluster
        .clone()
        .and_then(|c| c.leader);
    assert!(
        now_leads.is_some() && now_leads.as_deref() != Some(leader.as_str()),
        "another member leads the stream: {now_leads:?}, killed {leader}"
    );

    // Every acknowledged command is in the store.
    let ids: Vec<String> = acked.iter().map(|(id, _, _)| id.clone()).collect();
    let created: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events
          WHERE aggregate_type = 'user' AND sequence = 1 AND aggregate_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        created as usize,
        ids.len(),
        "an acknowledged user is missing"
    );

    // The survivor's views are complete: once its workers reach the store's last event, the
    // users view and the audit log hold every stored event.
    // The stream's order is the store's (tx_id, global_seq) order, and so is a checkpoint's.
    wait_until("both views to reach the store's last event", || async {
        let done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM projection_checkpoints c,
                    (SELECT tx_id, global_seq FROM events
                      WHERE aggregate_type <> 'reservation'
                      ORDER BY tx_id DESC, global_seq DESC LIMIT 1) last
              WHERE (c.tx_id, c.global_seq) >= (last.tx_id, last.global_seq)",
        )
        .fetch_one(&env.pool)
        .await
        .unwrap();
        done == 2
    })
    .await;
    let parked: Vec<(String, Option<String>, String, i32)> =
        sqlx::query_as("SELECT projection, msg_id, error, attempts FROM projection_failed_events")
            .fetch_all(&env.pool)
            .await
            .unwrap();
    assert!(parked.is_empty(), "events parked: {parked:?}");
    // Every acknowledged user through the survivor's API.
    let last = acked.iter().map(|(_, p, _)| *p).max().unwrap();
    for (user, _, _) in &acked {
        let (status, view) = call(
            second.api(),
            &acme.key,
            reqwest::Method::GET,
            &format!("/v1/accounts/{}/users/{user}?min_position={last}", acme.id),
            None,
        )
        .await;
        if status != 200 {
            let events: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT sequence, event_type, global_seq FROM events WHERE aggregate_id = $1",
            )
            .bind(user)
            .fetch_all(&env.pool)
            .await
            .unwrap();
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT last_sequence, last_position FROM view_users WHERE user_id = $1::uuid",
            )
            .bind(user)
            .fetch_optional(&env.pool)
            .await
            .unwrap();
            let checkpoints: Vec<(String, i64, i64, i64)> = sqlx::query_as(
                "SELECT projection, stream_seq, global_seq, applied FROM projection_checkpoints",
            )
            .fetch_all(&env.pool)
            .await
            .unwrap();
            let audit: i64 =
                sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE aggregate_id = $1::uuid")
                    .bind(user)
                    .fetch_one(&env.pool)
                    .await
                    .unwrap();
            panic!(
                "acknowledged user {user} not in the survivor's view ({status} {view}): \
                 its events {events:?}, its view row {row:?}, checkpoints {checkpoints:?}, \
                 audit entries {audit}, last acknowledged position {last}"
            );
        }
        assert_eq!(view["id"], user.as_str());
    }
    let missing_users: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
           SELECT aggregate_id, max(sequence) AS last FROM events
            WHERE aggregate_type = 'user' GROUP BY aggregate_id) e
          LEFT JOIN view_users v
                 ON v.user_id = e.aggregate_id::uuid AND v.last_sequence = e.last
          WHERE v.user_id IS NULL",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        missing_users, 0,
        "users missing or behind in the users view"
    );
    let missing_audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events e
          LEFT JOIN audit_log a ON a.aggregate_type = e.aggregate_type
                AND a.aggregate_id = e.aggregate_id::uuid AND a.sequence = e.sequence
          WHERE e.aggregate_type <> 'reservation' AND a.aggregate_id IS NULL",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(missing_audit, 0, "events missing from the audit log");
    // Each acknowledged command made one user: no email twice.
    let emails: Vec<String> = acked.iter().map(|(_, _, e)| e.clone()).collect();
    let twice: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT email_lower FROM view_users
                                WHERE email_lower = ANY($1)
                                GROUP BY email_lower HAVING count(*) > 1) d",
    )
    .bind(&emails)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(twice, 0, "an acknowledged command made two users");
    // The survivor's notifier mails a reset link asked for after the kills, once.
    let email = &acked[0].2;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/password/forgot", second.api()))
        .json(&json!({ "login": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let mail = peers.nth_mail_to(email, 1).await.unwrap();
    assert!(mail.body.contains("reset-password?token=chr_"), "{mail:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(peers.mails_to(email).await.unwrap().len(), 1, "mailed once");
    for projection in ["users", "audit"] {
        let series = format!("chronid_projection_active{{projection=\"{projection}\"}}");
        assert_eq!(
            metric(&second.metrics, &series).await,
            Some(1.0),
            "the survivor runs the {projection} worker"
        );
    }

    assert!(second.stop().await.success());
    drop(cluster);
    env.cleanup().await.unwrap();
}

/// One client's load: creates users, alternating between `nodes`, until `stop`; a request to a
/// node that is gone, or any answer but 201 with the user, is not acknowledged. Returns how many
/// requests got no answer at all.
async fn load(
    client: usize,
    nodes: &[String],
    key: &str,
    account: &str,
    acked: &Acked,
    stop: &AtomicBool,
) -> usize {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut unreachable = 0;
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let node = &nodes[(client + i) % nodes.len()];
        i += 1;
        let email = format!("load-{client}-{i}@acme.test");
        let sent = http
            .post(format!("{node}/v1/accounts/{account}/users"))
            .bearer_auth(key)
            .json(&json!({ "email": email }))
            .send()
            .await;
        let Ok(response) = sent else {
            unreachable += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let status = response.status().as_u16();
        // A body cut off by the kill is no acknowledgement.
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match (status, body["id"].as_str(), body["position"].as_i64()) {
            (201, Some(id), Some(position)) => {
                acked
                    .lock()
                    .unwrap()
                    .push((id.to_string(), position, email))
            }
            (201, ..) => unreachable += 1,
            // A server error while nodes die (shed, timed out): not acknowledged, moved on.
            (500..=599, ..) => tokio::time::sleep(Duration::from_millis(20)).await,
            (other, ..) => panic!("creating a user answered {other}: {body}"),
        }
    }
    unreachable
}

/// A metric's value on a node's `/metrics` (the first series of that name), if it answers.
async fn metric(base: &str, name: &str) -> Option<f64> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .ok()?;
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let values: HashMap<&str, &str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .collect();
    values.get(name)?.trim().parse().ok()
}

/// Events in the store that the relay publishes.
async fn stored_events(env: &TestEnv) -> u64 {
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type <> 'reservation'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    n as u64
}
