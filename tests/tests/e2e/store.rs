//! The event store: snapshots give the same state as a full replay (no double apply), loading
//! does not replay history, events are immutable, migrations are idempotent, and the store works
//! behind cqrs-es's own `CqrsFramework`.

use std::collections::HashMap;

use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{
    Lockout, LoginMethod, RegisterUser, RegistrationSource, User, UserCommand, UserError,
};
use chronid_domain::values::{Email, Language, LockoutMode, Roles};
use chronid_domain::Services;
use chronid_store::batch::{Append, Appended, BatchError};
use chronid_store::{migrate, AppendBatcher, CommandError, CommandExecutor, PgEventStore};
use chronid_tests::TestEnv;
use cqrs_es::{Aggregate, CqrsFramework, EventStore};
use uuid::Uuid;

use crate::support::test_services;

fn register(user_id: Uuid, account_id: Uuid) -> UserCommand {
    UserCommand::Register(Box::new(RegisterUser {
        user_id,
        account_id,
        email: Email::parse("snap@acme.test").unwrap(),
        username: None,
        first_name: None,
        last_name: None,
        phone: None,
        language: Some(Language::english()),
        roles: Roles::member(),
        password: None,
        source: RegistrationSource::Admin,
        sso_config_id: None,
    }))
}

fn replay(events: Vec<cqrs_es::EventEnvelope<User>>) -> User {
    let mut user = User::default();
    for e in events {
        user.apply(e.payload);
    }
    user
}

#[tokio::test]
async fn snapshots_equal_a_full_replay_at_every_step() {
    let env = TestEnv::new().await.unwrap();
    // A snapshot after every 3 events: any double apply would show in the counters.
    let exec = CommandExecutor::new(env.pool.clone(), test_services()).with_snapshot_every(3);
    let (user_id, account_id) = (Uuid::now_v7(), Uuid::now_v7());
    let id = user_id.to_string();
    let facts = RequestFacts::system();
    exec.execute::<User>(&id, register(user_id, account_id), &facts)
        .await
        .unwrap();
    for i in 0..40u32 {
        let command = if i % 7 == 6 {
            UserCommand::Unlock
        } else {
            UserCommand::RecordFailedLogin {
                method: LoginMethod::Password,
                device_id: None,
                device_trusted: false,
                lockout: Lockout {
                    max_attempts: 5,
                    lock_minutes: None,
                    mode: LockoutMode::Account,
                },
            }
        };
        // Some commands are refused on the state they meet (a failed login of a locked user,
        // an unlock of an unlocked one); each outcome is one of these.
        match exec.execute::<User>(&id, command, &facts).await {
            Ok(_) | Err(CommandError::Domain(UserError::Locked | UserError::NotLocked)) => {}
            Err(other) => panic!("command {i}: {other}"),
        }
        let store: PgEventStore<User> = exec.store();
        let loaded = store.load(&id).await.unwrap();
        let replayed = replay(store.load_events(&id).await.unwrap());
        assert_eq!(
            loaded.aggregate, replayed,
            "snapshot state differs from replay after command {i}"
        );
        assert!(loaded.current_sequence - loaded.snapshot_sequence < 3);
    }
    let snapshots: i64 =
        sqlx::query_scalar("SELECT current_snapshot FROM snapshots WHERE aggregate_id = $1")
            .bind(&id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert!(snapshots > 5, "snapshots were not refreshed ({snapshots})");
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn an_unreadable_snapshot_falls_back_to_a_full_replay() {
    let env = TestEnv::new().await.unwrap();
    let exec = CommandExecutor::new(env.pool.clone(), test_services()).with_snapshot_every(1);
    let (user_id, account_id) = (Uuid::now_v7(), Uuid::now_v7());
    let id = user_id.to_string();
    exec.execute::<User>(&id, register(user_id, account_id), &RequestFacts::system())
        .await
        .unwrap();
    sqlx::query("UPDATE snapshots SET payload = '{\"shape\": \"from an older version\"}' WHERE aggregate_id = $1")
        .bind(&id)
        .execute(&env.pool)
        .await
        .unwrap();
    let (user, seq) = exec.load::<User>(&id).await.unwrap();
    assert_eq!(seq, 1);
    assert_eq!(user.id, Some(user_id));
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn events_refuse_update_delete_and_truncate() {
    let env = TestEnv::new().await.unwrap();
    let exec = CommandExecutor::new(env.pool.clone(), test_services());
    let user_id = Uuid::now_v7();
    exec.execute::<User>(
        &user_id.to_string(),
        register(user_id, Uuid::now_v7()),
        &RequestFacts::system(),
    )
    .await
    .unwrap();
    for sql in [
        "UPDATE events SET event_type = 'Tampered'",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let err = sqlx::query(sql).execute(&env.pool).await.expect_err(sql);
        assert!(err.to_string().contains("immutable"), "{sql}: {err}");
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn migrate_is_idempotent_under_concurrency() {
    let env = TestEnv::new().await.unwrap();
    let (a, b) = tokio::join!(migrate(&env.pool), migrate(&env.pool));
    assert_eq!(
        a.unwrap() + b.unwrap(),
        0,
        "TestEnv already migrated; nothing is left to apply"
    );
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM chronid_migrations ORDER BY version")
            .fetch_all(&env.pool)
            .await
            .unwrap();
    assert_eq!(versions, chronid_store::migration_versions());
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<i64>>());
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn store_works_behind_cqrs_es_framework() {
    let env = TestEnv::new().await.unwrap();
    let services: Services = test_services();
    let store: PgEventStore<User> =
        PgEventStore::new(env.pool.clone(), services.ids.clone()).with_snapshot_every(2);
    let cqrs = CqrsFramework::new(store, vec![], services.clone());
    let (user_id, account_id) = (Uuid::now_v7(), Uuid::now_v7());
    let id = user_id.to_string();
    cqrs.execute_with_metadata(&id, register(user_id, account_id), HashMap::new())
        .await
        .unwrap();
    for _ in 0..3 {
        cqrs.execute(
            &id,
            UserCommand::RecordFailedLogin {
                method: LoginMethod::Password,
                device_id: None,
                device_trusted: false,
                lockout: Lockout {
                    max_attempts: 10,
                    lock_minutes: None,
                    mode: LockoutMode::Account,
                },
            },
        )
        .await
        .unwrap();
    }
    let store: PgEventStore<User> = PgEventStore::new(env.pool.clone(), services.ids.clone());
    let loaded = store.load_aggregate(&id).await.unwrap();
    assert_eq!(loaded.current_sequence, 4);
    assert_eq!(
        loaded.aggregate.failed_attempts, 3,
        "an event was applied twice"
    );
    let account: Option<String> = sqlx::query_scalar(
        "SELECT metadata->>'account_id' FROM events WHERE aggregate_id = $1 AND sequence = 4",
    )
    .bind(&id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(account, Some(account_id.to_string()));
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn two_nodes_with_caches_never_decide_on_stale_state() {
    let env = TestEnv::new().await.unwrap();
    // Two executors over one database stand for two nodes, each with its own aggregate cache.
    let node_a = CommandExecutor::new(env.pool.clone(), test_services());
    let node_b = CommandExecutor::new(env.pool.clone(), test_services());
    let (user_id, account_id) = (Uuid::now_v7(), Uuid::now_v7());
    let id = user_id.to_string();
    let facts = RequestFacts::system();
    node_a
        .execute::<User>(&id, register(user_id, account_id), &facts)
        .await
        .unwrap();
    let fail = || UserCommand::RecordFailedLogin {
        method: LoginMethod::Password,
        device_id: None,
        device_trusted: false,
        lockout: Lockout {
            max_attempts: 100,
            lock_minutes: None,
            mode: LockoutMode::Account,
        },
    };
    // Alternate nodes: each one's cache is stale every time it is used.
    for i in 0..20 {
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        node.execute::<User>(&id, fail(), &facts).await.unwrap();
    }
    // And both at once.
    tokio::join!(
        async {
            for _ in 0..15 {
                node_a.execute::<User>(&id, fail(), &facts).await.unwrap();
            }
        },
        async {
            for _ in 0..15 {
                node_b.execute::<User>(&id, fail(), &facts).await.unwrap();
            }
        }
    );
    let store: PgEventStore<User> = node_a.store();
    let replayed = replay(store.load_events(&id).await.unwrap());
    assert_eq!(
        replayed.failed_attempts, 50,
        "a failed attempt was lost or double-counted"
    );
    let counts: Vec<i64> = sqlx::query_scalar(
        "SELECT (payload->'LoginFailed'->>'failed_attempts')::bigint FROM events
          WHERE aggregate_id = $1 AND event_type = 'LoginFailed' ORDER BY sequence",
    )
    .bind(&id)
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        counts,
        (1..=50).collect::<Vec<i64>>(),
        "each attempt must see the one before it"
    );
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_refusal_decided_on_a_stale_cache_is_decided_again_on_stored_state() {
    let env = TestEnv::new().await.unwrap();
    let node_a = CommandExecutor::new(env.pool.clone(), test_services());
    let node_b = CommandExecutor::new(env.pool.clone(), test_services());
    let (user_id, account_id) = (Uuid::now_v7(), Uuid::now_v7());
    let id = user_id.to_string();
    let facts = RequestFacts::system();
    let disable = || UserCommand::Disable {
        reason: chronid_domain::user::DisableReason::Admin,
    };
    node_a
        .execute::<User>(&id, register(user_id, account_id), &facts)
        .await
        .unwrap();
    node_a
        .execute::<User>(&id, disable(), &facts)
        .await
        .unwrap();
    // Node B enables; node A still caches "disabled".
    node_b
        .execute::<User>(&id, UserCommand::Enable, &facts)
        .await
        .unwrap();
    // On A's stale state Disable would be refused as "already disabled"; it must succeed.
    node_a
        .execute::<User>(&id, disable(), &facts)
        .await
        .unwrap();
    let stored = node_b.store::<User>().load(&id).await.unwrap();
    assert!(stored.aggregate.disabled.is_some());
    env.cleanup().await.unwrap();
}

fn batched(aggregate_id: &str, sequence: i64) -> Append {
    Append {
        aggregate_type: "batch_test",
        aggregate_id: aggregate_id.to_string(),
        sequence,
        event_type: "Tested".into(),
        event_version: "1".into(),
        payload: serde_json::json!({ "n": sequence }).to_string(),
        metadata: "{}".into(),
    }
}

/// Appends racing through the batcher: per (aggregate, sequence) exactly one is stored and every
/// other is a conflict, whether they raced inside one statement or across writers; a row the
/// database refuses fails alone, not the events it shared a statement with.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batched_appends_keep_per_event_outcomes() {
    let env = TestEnv::new().await.unwrap();
    migrate(&env.pool).await.unwrap();
    let batcher = AppendBatcher::spawn(env.pool.clone(), 2).unwrap();
    // 20 aggregates, 3 sequences each, each (aggregate, sequence) attempted 4 times at once.
    let mut tasks = Vec::new();
    for a in 0..20 {
        for seq in 1..=3 {
            for attempt in 0..4 {
                let b = batcher.clone();
                tasks.push(tokio::spawn(async move {
                    let r = b.append(batched(&format!("agg-{a}"), seq)).await;
                    ((a, seq, attempt), r)
                }));
            }
        }
    }
    let mut stored: HashMap<(i32, i64), Vec<i64>> = HashMap::new();
    for t in tasks {
        let ((a, seq, _), r) = t.await.unwrap();
        match r.unwrap() {
            Appended::Stored { global_seq } => stored.entry((a, seq)).or_default().push(global_seq),
            Appended::Conflict => {}
        }
    }
    assert_eq!(stored.len(), 60);
    assert!(stored.values().all(|g| g.len() == 1), "{stored:?}");
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'batch_test'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(rows, 60);
    let positions: Vec<i64> = sqlx::query_scalar(
        "SELECT global_seq FROM events WHERE aggregate_type = 'batch_test' ORDER BY global_seq",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    let mut reported: Vec<i64> = stored.values().flatten().copied().collect();
    reported.sort_unstable();
    assert_eq!(reported, positions);

    // One writer, held up by a lock on the table. The first append, alone, writes itself and
    // waits on the lock; the next is the writer's first statement, which waits too; the other
    // 38 queue and go together in its next one. Rows of one statement share a transaction id:
    // 40 events in at most 3 transactions proves they shared statements.
    let single = AppendBatcher::spawn(env.pool.clone(), 1).unwrap();
    let appends_behind_a_lock = |prefix: &'static str, bad: Option<usize>| {
        let single = single.clone();
        let pool = env.pool.clone();
        async move {
            let mut blocker = pool.begin().await.unwrap();
            sqlx::query("LOCK TABLE events IN EXCLUSIVE MODE")
                .execute(&mut *blocker)
                .await
                .unwrap();
            let mut tasks = Vec::new();
            for i in 0..40 {
                let b = single.clone();
                let seq = if Some(i) == bad { 0 } else { 1 };
                tasks.push(tokio::spawn(async move {
                    (i, b.append(batched(&format!("{prefix}-{i}"), seq)).await)
                }));
                if i <= 1 {
                    // The first waits in its own statement, the second in the writer's; the
                    // rest queue behind.
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            blocker.commit().await.unwrap();
            let mut results = Vec::new();
            for t in tasks {
                results.push(t.await.unwrap());
            }
            results
        }
    };
    for (i, r) in appends_behind_a_lock("shared", None).await {
        assert!(matches!(r, Ok(Appended::Stored { .. })), "{i}: {r:?}");
    }
    let transactions: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT tx_id::text) FROM events
          WHERE aggregate_type = 'batch_test' AND aggregate_id LIKE 'shared-%'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert!(
        transactions <= 3,
        "40 queued events took {transactions} transactions: they did not share statements"
    );

    // The same, one event with sequence 0, which breaks the table's CHECK: PostgreSQL refuses
    // that statement whole, and only that event may fail.
    for (i, r) in appends_behind_a_lock("solo", Some(25)).await {
        if i == 25 {
            assert!(matches!(r, Err(BatchError::Rejected(_))), "{r:?}");
        } else {
            assert!(matches!(r, Ok(Appended::Stored { .. })), "{i}: {r:?}");
        }
    }
    assert_eq!(batch_test_rows(&env.pool, "solo-%").await, 39);

    // Payloads are JSON text cast to jsonb in the statement: text that is not JSON is refused
    // whole, stores nothing, and the next append goes through.
    let mut broken = batched("broken", 1);
    broken.payload = "{\"n\": ".into();
    let r = single.append(broken).await;
    assert!(matches!(r, Err(BatchError::Rejected(_))), "{r:?}");
    let r = single.append(batched("after-broken", 1)).await;
    assert!(matches!(r, Ok(Appended::Stored { .. })), "{r:?}");
    assert_eq!(batch_test_rows(&env.pool, "broken").await, 0);
    env.cleanup().await.unwrap();
}

/// How many `batch_test` events are stored with an id `LIKE pattern`.
async fn batch_test_rows(pool: &sqlx::PgPool, pattern: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'batch_test' AND aggregate_id LIKE $1",
    )
    .bind(pattern)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A lock is held by one node at a time, goes when its connection goes, and its connection asks
/// PostgreSQL to probe the peer, so a holder whose machine vanished loses the lock in about
/// 25 s instead of the system's default of hours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_connection_is_probed_by_the_server_and_the_lock_goes_with_it() {
    use chronid_store::leader::{Candidate, LockKey};
    let env = TestEnv::new().await.unwrap();
    let key = LockKey::Named(format!("chronid.test:{}", chronid_tests::unique_id()));
    let mut first = Candidate::new(key.clone());
    let mut second = Candidate::new(key.clone());
    let mut leader = first
        .try_lead(&env.pool)
        .await
        .unwrap()
        .expect("a free lock");
    assert!(second.try_lead(&env.pool).await.unwrap().is_none());
    // The test database is reached over TCP (127.0.0.1 by default), where the settings apply;
    // over a Unix socket PostgreSQL shows them as 0.
    for (setting, value) in [
        ("tcp_keepalives_idle", "10"),
        ("tcp_keepalives_interval", "5"),
        ("tcp_keepalives_count", "3"),
        ("tcp_user_timeout", "25000"),
    ] {
        let shown: String = sqlx::query_scalar(&format!("SHOW {setting}"))
            .fetch_one(leader.connection())
            .await
            .unwrap();
        assert_eq!(shown, value, "{setting}");
    }
    leader.release().await;
    let next = second.try_lead(&env.pool).await.unwrap();
    assert!(next.is_some(), "the lock goes with its connection");
    next.unwrap().release().await;
    env.cleanup().await.unwrap();
}
