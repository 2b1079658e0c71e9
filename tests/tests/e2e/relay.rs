//! The relay against real PostgreSQL and NATS: late commits are never skipped, a relay killed
//! mid-batch or a NATS outage loses and duplicates nothing, only one of two relays publishes, and
//! what is published is exactly the public envelope of API.md. Every wait is bounded.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::HeaderMap;
use chronid_domain::metadata::{Actor, ActorKind};
use chronid_domain::public::PublicEnvelope;
use chronid_stream::relay::{Relay, RelayError, RelayOptions, RelayStats};
use chronid_stream::{ensure_stream, StreamConfig, HEADER_POSITION, HEADER_TX_ID};
use chronid_tests::{
    insert_event, insert_rounds, nats_connect, new_uuid, read_all_stream_messages,
    read_raw_stream_messages, stream_len, test_nats_options, wait_until, NatsServer, TestEnv,
    TestEvent,
};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);

fn options(batch_size: usize) -> RelayOptions {
    RelayOptions {
        batch_size,
        poll_interval: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
    }
}

/// A relay running in its own task.
struct RelayTask {
    stats: Arc<RelayStats>,
    shutdown: watch::Sender<bool>,
    handle: JoinHandle<Result<(), RelayError>>,
}

impl RelayTask {
    fn spawn(
        pool: &PgPool,
        js: &jetstream::Context,
        stream: &StreamConfig,
        opts: RelayOptions,
    ) -> Self {
        let relay = Relay::new(pool.clone(), js.clone(), stream.clone(), opts);
        let stats = relay.stats();
        let (shutdown, rx) = watch::channel(false);
        let handle = tokio::spawn(relay.run(rx));
        Self {
            stats,
            shutdown,
            handle,
        }
    }

    /// Asks the relay to stop and waits for it (bounded).
    async fn stop(self) {
        self.shutdown.send(true).unwrap();
        tokio::time::timeout(WAIT, self.handle)
            .await
            .expect("relay did not stop within 30 s")
            .expect("relay task panicked")
            .expect("relay returned an error");
    }
}

/// Msg-Ids of every publishable event in the order the relay must publish them.
async fn expected_order(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT aggregate_type || ':' || aggregate_id || ':' || sequence FROM events
          WHERE aggregate_type <> 'reservation' ORDER BY tx_id, global_seq",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

fn msg_id_of(headers: &HeaderMap) -> String {
    headers
        .get("Nats-Msg-Id")
        .expect("message without Nats-Msg-Id")
        .as_str()
        .to_string()
}

/// Every expected event exactly once, each aggregate's sequences increasing in stream order, and
/// the stream in commit order (the relay's gap-free guarantee).
fn assert_exactly_once_in_order(messages: &[(HeaderMap, PublicEnvelope)], expected: &[String]) {
    let ids: Vec<String> = messages.iter().map(|(h, _)| msg_id_of(h)).collect();
    let mut seen = HashSet::new();
    let dups: Vec<&String> = ids.iter().filter(|id| !seen.insert(*id)).collect();
    assert!(
        dups.is_empty(),
        "published more than once: {:?}",
        &dups[..dups.len().min(10)]
    );
    let expected_set: HashSet<&String> = expected.iter().collect();
    let missing: Vec<&&String> = expected_set
        .iter()
        .filter(|id| !seen.contains(**id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} events never published, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let extra: Vec<&String> = ids.iter().filter(|id| !expected_set.contains(id)).collect();
    assert!(extra.is_empty(), "unexpected messages: {extra:?}");

    let order: Vec<String> = messages
        .iter()
        .map(|(h, e)| {
            let tx = h.get(HEADER_TX_ID).map(|v| v.as_str().to_string());
            format!(
                "{}@{}/tx{}",
                msg_id_of(h),
                e.position,
                tx.unwrap_or_default()
            )
        })
        .collect();
    let mut last: HashMap<(String, Uuid), i64> = HashMap::new();
    let mut compared = 0;
    for (_, e) in messages {
        let key = (e.aggregate_type.clone(), e.aggregate_id);
        if let Some(prev) = last.insert(key, e.sequence) {
            compared += 1;
            assert!(
                e.sequence > prev,
                "{}:{} sequence {} published after {prev}; stream order: {order:?}, commit order: {expected:?}",
                e.aggregate_type,
                e.aggregate_id,
                e.sequence
            );
        }
    }
    assert!(
        compared > 0,
        "no aggregate had two messages: nothing was compared"
    );
    assert_eq!(
        ids, expected,
        "stream order differs from commit order; stream: {order:?}"
    );
}

/// Waits until `stats` reports the newest event published and the stream holds `count` messages.
async fn wait_published(
    js: &jetstream::Context,
    stream: &str,
    pool: &PgPool,
    stats: &RelayStats,
    count: u64,
) {
    let max: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(global_seq), -1) FROM events WHERE aggregate_type <> 'reservation'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    wait_until(&format!("{count} messages up to position {max}"), WAIT, || async move {
        Ok(stats.last_position() >= max && stream_len(js, stream).await? >= count)
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_never_skips_a_transaction_that_commits_late() {
    let env = TestEnv::new().await.unwrap();
    let account = new_uuid();
    let user = new_uuid();
    let relay = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(1000));

    // The pipeline works: a first event goes out.
    let first = TestEvent::new(account, "user", user, 1, "UserRegistered", json!({"n": 1}));
    insert_event(&env.pool, &first).await.unwrap();
    wait_published(&env.js, &env.stream.stream, &env.pool, &relay.stats, 1).await;

    // A takes its transaction id first and inserts, then stays open while B, C, D commit.
    let mut a = env.pool.begin().await.unwrap();
    let a_event = TestEvent::new(account, "user", user, 2, "UserRenamed", json!({"n": 2}));
    insert_event(&mut *a, &a_event).await.unwrap();
    insert_event(
        &env.pool,
        &TestEvent::new(account, "user", user, 3, "UserRenamed", json!({"n": 3})),
    )
    .await
    .unwrap();
    for _ in 0..2 {
        let other = TestEvent::new(account, "device", new_uuid(), 1, "DeviceTrusted", json!({}));
        insert_event(&env.pool, &other).await.unwrap();
    }

    // Let the relay read the table several times after the later commits: the horizon must hold
    // back everything behind A's open transaction.
    let polls = relay.stats.polls();
    let stats = &relay.stats;
    wait_until("three relay polls", WAIT, || async move {
        Ok(stats.polls() >= polls + 3)
    })
    .await
    .unwrap();
    assert_eq!(
        env.stream_len().await.unwrap(),
        1,
        "the relay published events committed after a still-open earlier transaction"
    );

    a.commit().await.unwrap();
    let tx_of = |seq: i64| {
        sqlx::query_scalar::<_, String>(
            "SELECT tx_id::text FROM events WHERE aggregate_id = $1 AND sequence = $2",
        )
        .bind(user.to_string())
        .bind(seq)
        .fetch_one(&env.pool)
    };
    let (a_tx, b_tx): (u64, u64) = (
        tx_of(2).await.unwrap().parse().unwrap(),
        tx_of(3).await.unwrap().parse().unwrap(),
    );
    assert!(
        a_tx < b_tx,
        "premise: A's transaction id {a_tx} precedes B's {b_tx}"
    );
    wait_published(&env.js, &env.stream.stream, &env.pool, &relay.stats, 5).await;
    let messages = read_all_stream_messages(&env.js, &env.stream.stream)
        .await
        .unwrap();
    assert_exactly_once_in_order(&messages, &expected_order(&env.pool).await);
    assert_eq!(
        messages[1].1.sequence, 2,
        "A's event comes right after the first one"
    );

    relay.stop().await;
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_mid_batch_resumes_without_loss_or_duplicates() {
    let env = TestEnv::new().await.unwrap();
    let account = new_uuid();
    let aggregates: Vec<Uuid> = (0..100).map(|_| new_uuid()).collect();
    let total = insert_rounds(&env.pool, account, &aggregates, 1, 50)
        .await
        .unwrap();
    assert_eq!(total, 5000);

    // The first relay has its own connection, so killing it is like killing its process.
    let own_client = nats_connect(&env.nats_url).await.unwrap();
    let own_js = test_nats_options().jetstream(own_client);
    let first = RelayTask::spawn(&env.pool, &own_js, &env.stream, options(250));
    drop(own_js);
    let js = &env.js;
    let name = env.stream.stream.as_str();
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    while seen == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first relay published nothing in 30 s"
        );
        seen = stream_len(js, name).await.unwrap();
    }
    first.handle.abort();
    assert!(
        first.handle.await.unwrap_err().is_cancelled(),
        "the first relay ended by itself before it was killed"
    );
    assert!(
        seen < total,
        "the first relay published all {total} events before it could be killed; raise the backlog"
    );
    let at_kill = stream_len(js, name).await.unwrap();
    assert!(
        at_kill < total,
        "kill came too late ({at_kill} of {total} published)"
    );

    let second = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(1000));
    wait_published(&env.js, name, &env.pool, &second.stats, total).await;
    let messages = read_all_stream_messages(&env.js, name).await.unwrap();
    assert_eq!(messages.len() as u64, total);
    assert_exactly_once_in_order(&messages, &expected_order(&env.pool).await);
    assert!(second.stats.published() <= total - at_kill);

    second.stop().await;
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_survives_a_nats_outage() {
    let env = TestEnv::new().await.unwrap();
    let mut server = NatsServer::launch().await.unwrap();
    let client = nats_connect(&server.url()).await.unwrap();
    let js = test_nats_options().jetstream(client);
    ensure_stream(&js, &env.stream).await.unwrap();
    let name = env.stream.stream.as_str();
    let account = new_uuid();
    let aggregates: Vec<Uuid> = (0..20).map(|_| new_uuid()).collect();

    let relay = RelayTask::spawn(&env.pool, &js, &env.stream, options(50));
    insert_rounds(&env.pool, account, &aggregates, 1, 5)
        .await
        .unwrap();
    wait_published(&js, name, &env.pool, &relay.stats, 100).await;

    // Kill NATS with the relay busy: more events keep coming while it is down.
    let errors = relay.stats.errors();
    let pool = env.pool.clone();
    let aggs = aggregates.clone();
    let writer = tokio::spawn(async move { insert_rounds(&pool, account, &aggs, 6, 10).await });
    server.kill().unwrap();
    assert_eq!(writer.await.unwrap().unwrap(), 200);
    let stats = &relay.stats;
    wait_until("the relay to notice the outage", WAIT, || async move {
        Ok(stats.errors() > errors)
    })
    .await
    .unwrap();
    insert_rounds(&env.pool, account, &aggregates, 16, 5)
        .await
        .unwrap();

    server.start().await.unwrap();
    wait_published(&js, name, &env.pool, &relay.stats, 400).await;
    let messages = read_all_stream_messages(&js, name).await.unwrap();
    assert_eq!(messages.len(), 400);
    assert_exactly_once_in_order(&messages, &expected_order(&env.pool).await);

    relay.stop().await;
    drop(server);
    env.cleanup().await.unwrap();
}

/// A three-node NATS cluster with the stream replicated three times (R3): the relay, given the
/// seed list, goes on through a SIGKILL of the stream's leader while events keep coming, and
/// every event is on the stream exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_survives_killing_the_stream_leader_of_a_three_node_cluster() {
    let env = TestEnv::new().await.unwrap();
    let mut cluster = chronid_tests::NatsCluster::launch().await.unwrap();
    let client = nats_connect(&cluster.seed_list()).await.unwrap();
    let js = test_nats_options().jetstream(client);
    let cfg = StreamConfig {
        replicas: 3,
        ..env.stream.clone()
    };
    let mut stream = ensure_stream(&js, &cfg).await.unwrap();
    let name = cfg.stream.as_str();
    let account = new_uuid();
    let aggregates: Vec<Uuid> = (0..20).map(|_| new_uuid()).collect();

    let relay = RelayTask::spawn(&env.pool, &js, &cfg, options(50));
    insert_rounds(&env.pool, account, &aggregates, 1, 5)
        .await
        .unwrap();
    wait_published(&js, name, &env.pool, &relay.stats, 100).await;

    let info = stream.info().await.unwrap();
    let cluster_info = info.cluster.as_ref().expect("a clustered stream");
    assert_eq!(cluster_info.replicas.len(), 2, "{cluster_info:?}");
    let leader = cluster_info
        .leader
        .clone()
        .expect("the stream has a leader");
    let pool = env.pool.clone();
    let aggs = aggregates.clone();
    let writer = tokio::spawn(async move { insert_rounds(&pool, account, &aggs, 6, 5).await });
    cluster.kill(&leader).unwrap();
    assert_eq!(writer.await.unwrap().unwrap(), 100);
    insert_rounds(&env.pool, account, &aggregates, 11, 5)
        .await
        .unwrap();
    wait_published(&js, name, &env.pool, &relay.stats, 300).await;
    let info = stream.info().await.unwrap();
    let new_leader = info.cluster.as_ref().and_then(|c| c.leader.clone());
    assert!(
        new_leader.is_some() && new_leader.as_deref() != Some(leader.as_str()),
        "another member leads the stream: {new_leader:?}, killed {leader}"
    );
    // Creating the reading consumer goes through the cluster's meta leader, which may be the
    // member just killed and still being elected again: retried, as any client would.
    let mut messages = Err(anyhow::anyhow!("not read"));
    for _ in 0..20 {
        messages = read_all_stream_messages(&js, name).await;
        if messages.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let messages = messages.unwrap();
    assert_eq!(messages.len(), 300);
    assert_exactly_once_in_order(&messages, &expected_order(&env.pool).await);

    relay.stop().await;
    drop(cluster);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_of_two_relays_publishes_and_the_standby_takes_over() {
    let env = TestEnv::new().await.unwrap();
    let name = env.stream.stream.as_str();
    let account = new_uuid();
    let aggregates: Vec<Uuid> = (0..50).map(|_| new_uuid()).collect();
    let a = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(100));
    let b = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(100));
    insert_rounds(&env.pool, account, &aggregates, 1, 10)
        .await
        .unwrap();

    let (sa, sb) = (&a.stats, &b.stats);
    wait_until("one relay to publish everything", WAIT, || async move {
        Ok(sa.published() + sb.published() >= 500)
    })
    .await
    .unwrap();
    assert_eq!(env.stream_len().await.unwrap(), 500);
    assert!(
        (sa.published(), sb.published()) == (500, 0)
            || (sa.published(), sb.published()) == (0, 500),
        "both relays published: {} and {}",
        sa.published(),
        sb.published()
    );
    assert!(
        sa.is_active() != sb.is_active(),
        "exactly one relay is active"
    );
    let (active, standby) = if sa.is_active() { (a, b) } else { (b, a) };

    // The active one stops; the standby takes the lock and publishes the rest.
    active.stop().await;
    insert_rounds(&env.pool, account, &aggregates, 11, 6)
        .await
        .unwrap();
    wait_published(&env.js, name, &env.pool, &standby.stats, 800).await;
    let messages = read_all_stream_messages(&env.js, name).await.unwrap();
    assert_eq!(messages.len(), 800);
    assert_exactly_once_in_order(&messages, &expected_order(&env.pool).await);
    assert_eq!(standby.stats.published(), 300);

    standby.stop().await;
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_publishes_the_public_envelope_only() {
    let env = TestEnv::new().await.unwrap();
    let account = new_uuid();
    let user = new_uuid();
    let device = new_uuid();

    // Reservations first: if the relay published them they would precede everything else.
    for value in ["email", "username"] {
        let r = TestEvent::new(
            account,
            "reservation",
            user,
            1,
            "ValueReserved",
            json!({"owner": user}),
        );
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata)
             VALUES ('reservation', $1, 1, 'ValueReserved', '1', $2, $3)",
        )
        .bind(format!("{value}:{account}:alice"))
        .bind(&r.payload)
        .bind(&r.metadata)
        .execute(&env.pool)
        .await
        .unwrap();
    }
    let registered = TestEvent::new(
        account,
        "user",
        user,
        1,
        "UserRegistered",
        json!({"email": "a@example.com", "password_hash": "$argon2id$SECRET-ONE"}),
    );
    let code = TestEvent::new(
        account,
        "user",
        user,
        2,
        "TwoFactorCodeSent",
        json!({"channel": "sms", "code_hash": "SECRET-TWO"}),
    );
    let totp = TestEvent::new(
        account,
        "user",
        user,
        3,
        "TotpEnrolled",
        json!({"totp": {"secret_sealed": "SECRET-THREE", "key_id": "k1"}}),
    );
    // A system event without actor id and without occurred_at (falls back to recorded_at).
    let mut trusted = TestEvent::new(
        account,
        "device",
        device,
        1,
        "DeviceTrusted",
        json!({"label": "laptop"}),
    );
    trusted.metadata = json!({
        "event_id": new_uuid().to_string(),
        "account_id": account.to_string(),
        "actor_kind": "system",
    });
    let events = [registered, code, totp, trusted];
    for e in &events {
        insert_event(&env.pool, e).await.unwrap();
    }

    let relay = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(1000));
    wait_published(&env.js, &env.stream.stream, &env.pool, &relay.stats, 4).await;
    let raw = read_raw_stream_messages(&env.js, &env.stream.stream)
        .await
        .unwrap();
    assert_eq!(raw.len(), 4, "reservations must not be published");

    let rows: Vec<(i64, chrono::DateTime<chrono::Utc>, String)> = sqlx::query_as(
        "SELECT e.global_seq, e.recorded_at, e.tx_id::text FROM events e
          WHERE e.aggregate_type <> 'reservation' ORDER BY e.tx_id, e.global_seq",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    for ((msg, event), (global_seq, recorded_at, tx_id)) in raw.iter().zip(&events).zip(&rows) {
        for secret in ["password_hash", "code_hash", "secret_sealed", "SECRET-"] {
            let bytes = String::from_utf8_lossy(&msg.payload);
            assert!(
                !bytes.contains(secret),
                "{secret} published on {}",
                msg.subject
            );
            assert!(
                msg.headers
                    .iter()
                    .all(|(_, vs)| vs.iter().all(|v| !v.as_str().contains(secret))),
                "{secret} in headers"
            );
        }
        assert_eq!(
            msg.subject,
            format!(
                "{}.{account}.{}.{}",
                env.stream.subject_prefix, event.aggregate_type, event.event_type
            )
        );
        assert_eq!(
            msg.header("Nats-Msg-Id"),
            Some(
                format!(
                    "{}:{}:{}",
                    event.aggregate_type, event.aggregate_id, event.sequence
                )
                .as_str()
            )
        );
        assert_eq!(
            msg.header(HEADER_POSITION),
            Some(global_seq.to_string().as_str())
        );
        assert_eq!(msg.header(HEADER_TX_ID), Some(tx_id.as_str()));

        let body: Value = serde_json::from_slice(&msg.payload).unwrap();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "account_id",
                "actor",
                "aggregate_id",
                "aggregate_type",
                "correlation_id",
                "data",
                "id",
                "ip",
                "occurred_at",
                "position",
                "recorded_at",
                "sequence",
                "type",
                "user_agent",
                "version"
            ]
        );
        let envelope: PublicEnvelope = serde_json::from_value(body).unwrap();
        let meta = |k: &str| {
            event
                .metadata
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        assert_eq!(envelope.id.to_string(), meta("event_id").unwrap());
        assert_eq!(envelope.event_type, event.event_type);
        assert_eq!(envelope.version, "1");
        assert_eq!(envelope.aggregate_type, event.aggregate_type);
        assert_eq!(envelope.aggregate_id, event.aggregate_id);
        assert_eq!(envelope.sequence, event.sequence);
        assert_eq!(envelope.position, *global_seq);
        assert_eq!(envelope.account_id, account);
        assert_eq!(envelope.recorded_at, *recorded_at);
        assert_eq!(envelope.ip, meta("ip"));
        assert_eq!(envelope.user_agent, meta("user_agent"));
        assert_eq!(envelope.correlation_id, meta("correlation_id"));
        match meta("occurred_at") {
            Some(t) => assert_eq!(
                envelope.occurred_at,
                t.parse::<chrono::DateTime<chrono::Utc>>().unwrap()
            ),
            None => assert_eq!(envelope.occurred_at, *recorded_at),
        }
        let actor_kind = ActorKind::parse(&meta("actor_kind").unwrap()).unwrap();
        let actor_id = meta("actor_id").map(|s| s.parse::<Uuid>().unwrap());
        assert_eq!(
            envelope.actor,
            Actor {
                kind: actor_kind,
                id: actor_id
            }
        );
    }
    let data: Vec<Value> = raw
        .iter()
        .map(|m| {
            serde_json::from_slice::<PublicEnvelope>(&m.payload)
                .unwrap()
                .data
        })
        .collect();
    assert_eq!(
        data,
        vec![
            json!({"email": "a@example.com"}),
            json!({"channel": "sms"}),
            json!({"totp": {"key_id": "k1"}}),
            json!({"label": "laptop"}),
        ]
    );

    relay.stop().await;
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_that_loses_its_lock_connection_waits_and_resumes() {
    let env = TestEnv::new().await.unwrap();
    let name = env.stream.stream.as_str();
    let account = new_uuid();
    let aggregates: Vec<Uuid> = (0..20).map(|_| new_uuid()).collect();
    let relay = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(100));
    insert_rounds(&env.pool, account, &aggregates, 1, 5)
        .await
        .unwrap();
    wait_published(&env.js, name, &env.pool, &relay.stats, 100).await;

    // Kill the session that holds the advisory lock.
    let errors = relay.stats.errors();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_locks
          WHERE locktype = 'advisory' AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        killed,
        vec![true],
        "exactly one session holds the relay's lock"
    );
    let stats = &relay.stats;
    wait_until("the relay to notice its lost lock", WAIT, || async move {
        Ok(stats.errors() > errors)
    })
    .await
    .unwrap();

    insert_rounds(&env.pool, account, &aggregates, 6, 5)
        .await
        .unwrap();
    wait_published(&env.js, name, &env.pool, &relay.stats, 200).await;
    assert!(relay.stats.is_active());
    let messages = read_all_stream_messages(&env.js, name).await.unwrap();
    assert_eq!(messages.len(), 200);
    assert_exactly_once_in_order(&messages, &expected_order(&env.pool).await);

    relay.stop().await;
    env.cleanup().await.unwrap();
}

/// Transaction ids order numerically: 10 after 9 (ordering their text would put "10" first).
/// Rows with explicit old transaction ids stand for events written before a digit boundary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_orders_transaction_ids_as_numbers() {
    let env = TestEnv::new().await.unwrap();
    let account = new_uuid();
    let user = new_uuid();
    for (seq, tx) in [(1, "9"), (2, "10"), (3, "99"), (4, "100")] {
        let e = TestEvent::new(account, "user", user, seq, "UserRenamed", json!({"n": seq}));
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata, tx_id)
             VALUES ('user', $1, $2, 'UserRenamed', '1', $3, $4, $5::text::xid8)",
        )
        .bind(user.to_string())
        .bind(seq)
        .bind(&e.payload)
        .bind(&e.metadata)
        .bind(tx)
        .execute(&env.pool)
        .await
        .unwrap();
    }
    let relay = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(2));
    wait_published(&env.js, &env.stream.stream, &env.pool, &relay.stats, 4).await;
    let messages = read_all_stream_messages(&env.js, &env.stream.stream)
        .await
        .unwrap();
    let sequences: Vec<i64> = messages.iter().map(|(_, e)| e.sequence).collect();
    assert_eq!(sequences, [1, 2, 3, 4]);
    assert_exactly_once_in_order(&messages, &expected_order(&env.pool).await);
    relay.stop().await;
    env.cleanup().await.unwrap();
}

/// A stream whose last message is not an event of this database (a restored database, another
/// database's stream) would make the relay skip events: it must refuse and publish nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_refuses_a_stream_ahead_of_its_database() {
    use async_nats::jetstream::message::PublishMessage;
    let env = TestEnv::new().await.unwrap();
    let foreign = PublishMessage::build()
        .payload("{}".into())
        .message_id("user:someone-else:1")
        .header(HEADER_TX_ID, "4000000000")
        .header(HEADER_POSITION, "1");
    env.js
        .send_publish(
            format!("{}.x.user.UserRegistered", env.stream.subject_prefix),
            foreign,
        )
        .await
        .unwrap()
        .await
        .unwrap();
    let account = new_uuid();
    let event = TestEvent::new(account, "user", new_uuid(), 1, "UserRegistered", json!({}));
    insert_event(&env.pool, &event).await.unwrap();

    let relay = RelayTask::spawn(&env.pool, &env.js, &env.stream, options(100));
    let stats = &relay.stats;
    wait_until("the relay to refuse twice", WAIT, || async move {
        Ok(stats.errors() >= 2)
    })
    .await
    .unwrap();
    assert_eq!(stats.published(), 0);
    assert_eq!(
        env.stream_len().await.unwrap(),
        1,
        "the relay published past a foreign tail"
    );
    relay.stop().await;
    env.cleanup().await.unwrap();
}

/// The relay's gap-freedom rests on two JetStream behaviours: a publish whose
/// `Nats-Expected-Last-Sequence` is not the stream's last sequence is refused, and a copy of a
/// stored `Nats-Msg-Id` is acked as a duplicate before that check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_checks_msg_id_before_expected_sequence() {
    use async_nats::jetstream::message::PublishMessage;
    let env = TestEnv::new().await.unwrap();
    let subject = format!("{}.x.user.Probe", env.stream.subject_prefix);
    let publish = |id: &str, expected: u64| {
        let msg = PublishMessage::build()
            .payload("{}".into())
            .message_id(id)
            .expected_last_sequence(expected);
        let js = env.js.clone();
        let subject = subject.clone();
        async move { js.send_publish(subject, msg).await.unwrap().await }
    };
    let first = publish("a", 0).await.unwrap();
    assert_eq!((first.sequence, first.duplicate), (1, false));
    let wrong = publish("b", 0).await.unwrap_err();
    assert_eq!(
        wrong.kind(),
        jetstream::context::PublishErrorKind::WrongLastSequence
    );
    let copy = publish("a", 5).await.unwrap();
    assert_eq!((copy.sequence, copy.duplicate), (1, true));
    let second = publish("b", 1).await.unwrap();
    assert_eq!((second.sequence, second.duplicate), (2, false));
    assert_eq!(env.stream_len().await.unwrap(), 2);
    env.cleanup().await.unwrap();
}

/// Nodes starting at once each create or update the stream: every one of them gets it, with the
/// configuration asked for, and it takes a publish right away.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_at_once_all_get_the_stream() {
    let env = TestEnv::new().await.unwrap();
    let cfg = StreamConfig {
        stream: format!("{}_RACE", env.stream.stream),
        subject_prefix: format!("race{}.events", new_uuid().simple()),
        ..env.stream.clone()
    };
    let mut nodes = Vec::new();
    for _ in 0..8 {
        let (url, cfg) = (env.nats_url.clone(), cfg.clone());
        nodes.push(tokio::spawn(async move {
            let client = chronid_tests::nats_connect(&url).await?;
            let js = chronid_tests::test_nats_options().jetstream(client);
            let mut stream = ensure_stream(&js, &cfg).await?;
            anyhow::Ok(stream.info().await?.config.subjects.clone())
        }));
    }
    for node in nodes {
        let subjects = node.await.unwrap().unwrap();
        assert_eq!(subjects, vec![format!("{}.>", cfg.subject_prefix)]);
    }
    let ack = env
        .js
        .publish(format!("{}.a.user.Made", cfg.subject_prefix), "x".into())
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(ack.stream, cfg.stream);
    // A configuration JetStream refuses fails at once, not after the readiness wait: these
    // subjects are the stream's just made.
    let taken = StreamConfig {
        stream: format!("{}_TAKEN", env.stream.stream),
        ..cfg.clone()
    };
    let started = std::time::Instant::now();
    let refused = ensure_stream(&env.js, &taken).await;
    assert!(refused.is_err(), "overlapping subjects should be refused");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    env.js.delete_stream(&cfg.stream).await.unwrap();
    env.cleanup().await.unwrap();
}
