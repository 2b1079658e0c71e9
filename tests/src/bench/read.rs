//! The read side's scenarios of `chronid-bench`: `lag`, `replay`, `audit`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chronid_app::ProfilePatch;
use chronid_domain::metadata::RequestFacts;
use chronid_domain::values::PersonName;
use chronid_tests::server::{spawn_full, test_services};
use chronid_tests::{wait_until, TestEnv};
use chronid_views::replay::{self, Progress, Source};
use chronid_views::{Projection, ProjectionStats, Stage};
use futures::StreamExt;
use serde_json::json;
use uuid::Uuid;

use crate::{print, Figure};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `lag`: commands at a steady 1,000 events/s; for each, the time from its commit (the command
/// returned) to the user view having applied it, and (the reference) to the message reaching a
/// plain NATS subscriber of the stream's subjects.
/// Commit -> user view against commit -> stream at 1,000 and at 5,000 events/s, each rate on a
/// database and stream of its own.
pub async fn lag(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let seconds = if quick { 5 } else { 20 };
    lag_at(env, 1000, seconds).await?;
    let other = TestEnv::new().await?;
    let faster = lag_at(&other, 5000, seconds / 2).await;
    other.cleanup().await?;
    faster
}

async fn lag_at(env: &TestEnv, rate: u64, seconds: u64) -> anyhow::Result<()> {
    let (app, workers) = spawn_full(env, test_services()).await?;
    let who = app.app.authenticate_api_key(&app.api_key).await?;
    let mut users = Vec::new();
    // At most ten commands per second per user, two at 5,000/s: a command rarely races another
    // on the same user.
    let user_count = (rate / 2).clamp(100, 2500);
    for i in 0..user_count {
        let r = app
            .http
            .post(app.url("/users"))
            .bearer_auth(&app.api_key)
            .json(&json!({ "email": format!("lag{i}@acme.test") }))
            .send()
            .await?;
        let body: serde_json::Value = r.json().await?;
        users.push(body["id"].as_str().unwrap_or_default().parse::<Uuid>()?);
    }
    // Published: arrival time and transaction id by position, from a plain subscriber.
    let published: Arc<Mutex<HashMap<i64, (Instant, u64)>>> = Arc::default();
    let mut sub = env
        .nats
        .subscribe(format!("{}.>", env.stream.subject_prefix))
        .await?;
    let p2 = published.clone();
    let listener = tokio::spawn(async move {
        while let Some(msg) = sub.next().await {
            let tx_id = msg
                .headers
                .as_ref()
                .and_then(|h| h.get(chronid_stream::HEADER_TX_ID))
                .and_then(|v| v.as_str().parse::<u64>().ok());
            if let (Ok(v), Some(tx_id)) = (
                serde_json::from_slice::<serde_json::Value>(&msg.payload),
                tx_id,
            ) {
                if let Some(pos) = v["position"].as_i64() {
                    if let Ok(mut m) = p2.lock() {
                        m.insert(pos, (Instant::now(), tx_id));
                    }
                }
            }
        }
    });
    wait_until("setup applied", Duration::from_secs(60), || async {
        Ok(workers.stats.iter().all(|(_, s)| s.batches() > 0))
    })
    .await?;
    // Committed: (position, commit instant); visible: filled by the observer.
    let committed: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
    let visible: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let users_stats: Arc<ProjectionStats> = workers
        .stats
        .iter()
        .find(|(p, _)| *p == Projection::Users)
        .map(|(_, s)| s.clone())
        .ok_or_else(|| anyhow::anyhow!("no users worker"))?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let observer = {
        let (pool, committed, visible, stop, stats, published) = (
            env.pool.clone(),
            committed.clone(),
            visible.clone(),
            stop.clone(),
            users_stats.clone(),
            published.clone(),
        );
        tokio::spawn(async move {
            // Positions committed and not yet seen in the view; `taken` of `committed` read
            // so far.
            let mut pending: Vec<i64> = Vec::new();
            let mut taken = 0;
            // Registered for the worker's next commit before each look, so a commit made while
            // the observer reads is not missed; an entry is seen as of the look's start (the
            // statement's snapshot), not its end. An event is visible once the view's
            // checkpoint, committed with its rows, has passed its (transaction, position): the
            // transaction comes from the message's header as the subscriber saw it, so a look
            // reads one row and the observer costs the database next to nothing.
            let mut next = Box::pin(stats.progressed_owned());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = tokio::time::timeout(Duration::from_millis(5), next.as_mut()).await;
                next = Box::pin(stats.progressed_owned());
                next.as_mut().enable();
                if let Ok(c) = committed.lock() {
                    pending.extend(c[taken..].iter().map(|(p, _)| *p));
                    taken = c.len();
                }
                if pending.is_empty() {
                    continue;
                }
                let looked = Instant::now();
                let Ok(Some((tx_text, global_seq))) = sqlx::query_as::<_, (String, i64)>(
                    "SELECT tx_id::text, global_seq FROM projection_checkpoints
                      WHERE projection = 'users'",
                )
                .fetch_optional(&pool)
                .await
                else {
                    continue;
                };
                let checkpoint = (tx_text.parse::<u64>().unwrap_or(0), global_seq);
                let txs: HashMap<i64, u64> = match published.lock() {
                    Ok(m) => pending
                        .iter()
                        .filter_map(|p| m.get(p).map(|(_, tx)| (*p, *tx)))
                        .collect(),
                    Err(_) => continue,
                };
                let seen = |p: &i64| txs.get(p).is_some_and(|tx| (*tx, *p) <= checkpoint);
                if let Ok(mut v) = visible.lock() {
                    for p in pending.iter().filter(|p| seen(p)) {
                        v.entry(*p).or_insert(looked);
                    }
                }
                pending.retain(|p| !seen(p));
            }
        })
    };
    // Where the messages wait while commands run, to stderr every second: how busy the machine
    // is, what each worker took and how long it spent applying, and each consumer as JetStream
    // reports it (not yet delivered / delivered and not acked).
    let sampler = {
        let (js, stream, stop) = (env.js.clone(), env.stream.clone(), stop.clone());
        let stats: Vec<(Projection, Arc<ProjectionStats>)> = workers.stats.clone();
        tokio::spawn(async move {
            let mut last: Vec<(u64, u64, f64)> = vec![(0, 0, 0.0); stats.len()];
            let mut last_cpu = machine_cpu();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let cpu = machine_cpu();
                let mut line = format!(" machine idle {:.0} %;", idle_pct(last_cpu, cpu));
                last_cpu = cpu;
                for (i, (p, s)) in stats.iter().enumerate() {
                    let now = (
                        s.messages(),
                        s.batches(),
                        s.stage(Stage::Apply).total_seconds(),
                    );
                    let (m, b, busy) = (now.0 - last[i].0, now.1 - last[i].1, now.2 - last[i].2);
                    last[i] = now;
                    line.push_str(&format!(
                        " {} took {m} in {b} batches, applying {:.0} % of the second;",
                        p.name(),
                        busy * 100.0
                    ));
                }
                for p in Projection::ALL {
                    if let Some(s) = chronid_views::consumer_state(&js, &stream, p).await {
                        line.push_str(&format!(
                            " {} consumer: pending {} ack_pending {};",
                            p.name(),
                            s["pending"],
                            s["ack_pending"]
                        ));
                    }
                }
                eprintln!("lag {rate}/s:{line}");
            }
        })
    };
    let cpu_before = machine_cpu();
    let total = rate * seconds;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..total {
        let due = start + Duration::from_micros(n * 1_000_000 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (a, who, committed) = (app.app.clone(), who.clone(), committed.clone());
        let (account, user) = (app.account_id, users[(n % user_count) as usize]);
        tasks.push(tokio::spawn(async move {
            let facts = RequestFacts {
                actor: who.actor,
                ..RequestFacts::system()
            };
            let patch = ProfilePatch {
                first_name: Some(Some(PersonName::parse("first_name", &format!("L{n}"))?)),
                ..ProfilePatch::default()
            };
            let o = match a.update_user(&who, account, user, patch, &facts).await {
                Ok(o) => o,
                // Gave up after its retries, each lost to another commit on the user: nothing
                // was committed, so there is nothing to see; counted.
                Err(e) if e.code == "CONFLICT-RETRY" => return anyhow::Ok(false),
                Err(e) => anyhow::bail!("{e}"),
            };
            if let (Some(p), Ok(mut c)) = (o.position, committed.lock()) {
                c.push((p, Instant::now()));
            }
            anyhow::Ok(true)
        }));
    }
    let mut gave_up = 0u64;
    for t in tasks {
        if !t.await?? {
            gave_up += 1;
        }
    }
    let achieved = total as f64 / start.elapsed().as_secs_f64();
    let machine_idle = idle_pct(cpu_before, machine_cpu());
    wait_until("every command visible", Duration::from_secs(60), || async {
        let c = committed.lock().map(|c| c.len()).unwrap_or(0);
        let v = visible.lock().map(|v| v.len()).unwrap_or(0);
        Ok(v >= c)
    })
    .await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    observer.await?;
    sampler.abort();
    listener.abort();
    let (mut to_view, mut to_stream) = (Vec::new(), Vec::new());
    {
        let c = committed.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let v = visible.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let p = published.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for (pos, at) in c.iter() {
            if let Some(seen) = v.get(pos) {
                to_view.push(seen.saturating_duration_since(*at).as_secs_f64() * 1000.0);
            }
            if let Some((seen, _)) = p.get(pos) {
                to_stream.push(seen.saturating_duration_since(*at).as_secs_f64() * 1000.0);
            }
        }
    }
    to_view.sort_by(f64::total_cmp);
    to_stream.sort_by(f64::total_cmp);
    // Where the stream -> view hop spends its time, worker by worker (quantiles are bucket
    // bounds, at most 19 % high): each message from its storing in the stream to being taken
    // in a batch, each batch's transaction, each batch's acks.
    let stages: serde_json::Map<String, serde_json::Value> = workers
        .stats
        .iter()
        .map(|(projection, s)| {
            let stage = |st: Stage| {
                let t = s.stage(st);
                json!({"p50_ms": t.quantile_ms(0.5), "p99_ms": t.quantile_ms(0.99),
                    "mean_ms": (t.total_seconds() * 1000.0 / t.count().max(1) as f64 * 1000.0).round() / 1000.0})
            };
            let batches = s.batches().max(1);
            (
                projection.name().to_string(),
                json!({
                    "wait": stage(Stage::Wait),
                    "apply": stage(Stage::Apply),
                    "ack": stage(Stage::Ack),
                    "messages_per_batch": (s.messages() as f64 / batches as f64 * 10.0).round() / 10.0,
                }),
            )
        })
        .collect();
    for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
        print(Figure {
            scenario: "lag",
            figure: &format!("commit_to_view_{name}_ms"),
            params: json!({ "events_per_s": rate, "achieved_per_s": achieved.round(), "events": to_view.len(),
                "machine_idle_pct_while_sending": machine_idle.round(),
                "users": user_count, "gave_up_after_conflicts": gave_up, "stages": stages }),
            value: percentile(&to_view, p),
            unit: "ms",
            reference: &format!("commit_to_stream_{name}_ms"),
            reference_value: percentile(&to_stream, p),
        });
    }
    drop(workers);
    drop(app);
    Ok(())
}

/// The machine's CPU time so far, all and idle (idle and I/O wait), in ticks of /proc/stat.
fn machine_cpu() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (ticks.iter().sum(), idle)
}

/// The share of the CPU time between two readings of [`machine_cpu`] that was idle, in percent.
fn idle_pct(before: (u64, u64), after: (u64, u64)) -> f64 {
    let all = after.0.saturating_sub(before.0).max(1) as f64;
    after.1.saturating_sub(before.1) as f64 * 100.0 / all
}

struct Silent;
impl Progress for Silent {
    fn update(&self, _: u64, _: u64) {}
    fn finish(&self, _: u64, _: Duration) {}
}

/// Inserts `users * per_user` user events (a registration, then profile updates) in rounds.
async fn insert_user_events(env: &TestEnv, users: i64, per_user: i64) -> anyhow::Result<()> {
    let account = Uuid::now_v7();
    let ids: Vec<String> = (0..users).map(|_| Uuid::now_v7().to_string()).collect();
    for seq in 1..=per_user {
        sqlx::query(
            "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                                 payload, metadata)
             SELECT 'user', a.id, $2,
                    CASE WHEN $2 = 1 THEN 'UserRegistered' ELSE 'UserProfileUpdated' END, '1',
                    CASE WHEN $2 = 1 THEN jsonb_build_object('UserRegistered', jsonb_build_object(
                            'user_id', a.id, 'account_id', $3::text, 'email', 'u' || a.ord || '@bench.test',
                            'username', 'u' || a.ord, 'first_name', 'F', 'last_name', 'L', 'phone', null,
                            'language', 'en', 'roles', '[]'::jsonb, 'source', 'admin', 'invited', true,
                            'password_hash', null, 'password_changed_at', null, 'sso_managed', false))
                         ELSE jsonb_build_object('UserProfileUpdated', jsonb_build_object(
                            'changes', jsonb_build_object('first_name', 'F' || $2))) END,
                    jsonb_build_object('event_id', gen_random_uuid()::text, 'account_id', $3::text,
                                       'actor_kind', 'system', 'ip', '192.0.2.' || (a.ord % 250),
                                       'occurred_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))
               FROM unnest($1::text[]) WITH ORDINALITY AS a(id, ord)
              ORDER BY a.ord",
        )
        .bind(&ids)
        .bind(seq)
        .bind(account.to_string())
        .execute(&env.pool)
        .await?;
    }
    Ok(())
}

/// `replay`: events/s rebuilding the user view and the audit log from the store, beside the
/// rate of an ordered consumer reading the same events from the stream and doing nothing.
pub async fn replay_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let (users, per_user) = if quick { (1_000, 100) } else { (10_000, 100) };
    let total = (users * per_user) as u64;
    insert_user_events(env, users, per_user).await?;
    // Publish them, for the reference (and to check the stream source too).
    let workers_less = chronid_stream::relay::Relay::new(
        env.pool.clone(),
        env.js.clone(),
        env.stream.clone(),
        chronid_stream::relay::RelayOptions::default(),
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    let relay = tokio::spawn(workers_less.run(rx));
    wait_until("backlog published", Duration::from_secs(1200), || async {
        Ok(env.stream_len().await? >= total)
    })
    .await?;
    let _ = stop.send(true);
    relay.await??;

    // Reference: an ordered consumer reading every message, doing nothing with it.
    let start = Instant::now();
    let stream = env.js.get_stream(&env.stream.stream).await?;
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig {
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    let mut seen = 0u64;
    while seen < total {
        match tokio::time::timeout(Duration::from_secs(30), messages.next()).await {
            Ok(Some(Ok(_))) => seen += 1,
            _ => anyhow::bail!("the ordered consumer stopped after {seen} messages"),
        }
    }
    let read_rate = seen as f64 / start.elapsed().as_secs_f64();
    drop(messages);

    let report = replay::rebuild(
        &env.pool,
        None,
        &env.stream,
        &Projection::ALL,
        Source::Store,
        None,
        &Silent,
    )
    .await?;
    anyhow::ensure!(report.failed == 0, "{} events failed", report.failed);
    let rate = report.events as f64 / report.elapsed.as_secs_f64();
    print(Figure {
        scenario: "replay",
        figure: "events_per_s",
        params: json!({ "events": report.events, "projections": ["users", "audit"], "source": "store" }),
        value: rate,
        unit: "1/s",
        reference: "ordered_consumer_read_per_s",
        reference_value: read_rate,
    });
    let (loaded, rows) = bulk_load_reference(env).await?;
    print(Figure {
        scenario: "replay",
        figure: "events_per_s",
        params: json!({ "events": report.events, "projections": ["users", "audit"], "source": "store",
            "bulk_load": {"rows": rows, "seconds": (loaded.as_secs_f64() * 100.0).round() / 100.0,
                "what": "the rows the rebuild wrote, COPY (binary) into empty tables of the same shape, then their indexes and ANALYZE"}}),
        value: rate,
        unit: "1/s",
        reference: "bulk_load_events_per_s",
        reference_value: report.events as f64 / loaded.as_secs_f64(),
    });
    let report = replay::rebuild(
        &env.pool,
        Some(&env.js),
        &env.stream,
        &Projection::ALL,
        Source::Stream,
        None,
        &Silent,
    )
    .await?;
    print(Figure {
        scenario: "replay",
        figure: "events_per_s",
        params: json!({ "events": report.events, "projections": ["users", "audit"], "source": "stream" }),
        value: report.events as f64 / report.elapsed.as_secs_f64(),
        unit: "1/s",
        reference: "ordered_consumer_read_per_s",
        reference_value: read_rate,
    });
    Ok(())
}

/// The query string of run `i` of a case.
type QueryOf = Box<dyn Fn(u64) -> String>;

/// `audit`: p95 of audit queries (first page, 50 entries) over a log of 10,000,000 entries in one
/// account, per filter kind, beside the p95 of a trivial query's round trip.
pub async fn audit_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let total: i64 = if quick { 1_000_000 } else { 10_000_000 };
    let mut services = test_services();
    services.clock = Arc::new(chronid_crypto::SystemClock);
    let app = chronid_tests::server::spawn_app_with(env, env.pool.clone(), services).await?;
    let account = app.account_id;
    load_audit(env, account, total).await?;
    let http = reqwest::Client::new();
    let runs = if quick { 40 } else { 100 };
    let mut reference = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(&env.pool).await?;
        reference.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    reference.sort_by(f64::total_cmp);
    let reference_p95 = percentile(&reference, 0.95);
    let cases: Vec<(&str, QueryOf)> = vec![
        ("none", Box::new(|_| String::new())),
        (
            "username",
            Box::new(|i| format!("username=user{}", (i * 7919) % 20000)),
        ),
        (
            "ip",
            Box::new(|i| format!("ip=10.{}.{}.{}", i % 7, (i * 31) % 251, (i * 17) % 13)),
        ),
        (
            "q_rare",
            Box::new(|i| format!("q=user{}@bench", (i * 7919) % 20000)),
        ),
        // A prefix of 111 usernames (user1NN, user1NN0-9, user1NN00-99): 44 descriptions,
        // 22,000 entries at 10,000,000.
        (
            "q_some",
            Box::new(|i| format!("q=user{}", (i * 37) % 100 + 100)),
        ),
        // Every login description: 8,000 distinct texts, 40% of the entries.
        ("q_many", Box::new(|_| "q=@bench.test".to_string())),
        ("q_common", Box::new(|_| "q=locked".to_string())),
        ("range_today", Box::new(|_| "range=today".to_string())),
        (
            "range_last_week",
            Box::new(|_| "range=last_week&tz=Europe/Zagreb".to_string()),
        ),
        (
            "from_to",
            Box::new(|i| {
                let days = 1 + i % 80;
                let to = chrono::Utc::now() - chrono::Duration::days(days as i64);
                let from = to - chrono::Duration::hours(6);
                format!(
                    "from={}&to={}",
                    from.format("%Y-%m-%dT%H:%M:%SZ"),
                    to.format("%Y-%m-%dT%H:%M:%SZ")
                )
            }),
        ),
        (
            "username_and_range",
            Box::new(|i| format!("username=user{}&range=this_week", (i * 13) % 20000)),
        ),
    ];
    for (name, query) in cases {
        let mut times = Vec::new();
        for i in 0..runs {
            let url = format!("{}?{}", app.url("/audit"), query(i));
            let t = Instant::now();
            let r = http.get(&url).bearer_auth(&app.api_key).send().await?;
            let status = r.status();
            let _ = r.bytes().await?;
            anyhow::ensure!(status.is_success(), "{name}: {status}");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        print(Figure {
            scenario: "audit",
            figure: &format!("p95_ms_{name}"),
            // The median beside the p95: a constant cost and a tail look alike in a p95 alone.
            params: json!({ "entries": total, "limit": 50, "runs": runs,
                "p50_ms": percentile(&times, 0.5), "reference_p50_ms": percentile(&reference, 0.5) }),
            value: percentile(&times, 0.95),
            unit: "ms",
            reference: "p95_ms_select_1",
            reference_value: reference_p95,
        });
    }
    Ok(())
}

/// Loads `total` audit entries of `account` spread over the last 90 days (20,000 users, five
/// kinds of entries, one in five a failed login), the way the audit projection writes them,
/// with the table's indexes built after the rows, then vacuums and analyzes.
pub(crate) async fn load_audit(
    env: &TestEnv,
    account: uuid::Uuid,
    total: i64,
) -> anyhow::Result<()> {
    // Bulk load without the secondary indexes, then build them as the migration defines them.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes
          WHERE tablename = 'audit_log' AND indexname <> 'audit_log_pkey'",
    )
    .fetch_all(&env.pool)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&env.pool)
            .await?;
    }
    let started = Instant::now();
    let chunk = 1_000_000i64;
    for from in (0..total).step_by(chunk as usize) {
        sqlx::query(
            "INSERT INTO audit_log (aggregate_type, aggregate_id, sequence, position, event_id,
                 account_id, at, event_type, item, action, outcome, description, actor_kind,
                 actor_id, username, target_id, target_username, ip, user_agent)
             SELECT 'user', md5('u' || (g % 20000))::uuid, g, g, md5('e' || g)::uuid, $1,
                    now() - make_interval(secs => (($3 - g) * 90 * 86400.0 / $3)),
                    (ARRAY['LoginSucceeded','UserLocked','PasswordChanged','UserProfileUpdated','LoginFailed'])[g % 5 + 1],
                    'User', (ARRAY['Login','Lock','Updated','Update','Login'])[g % 5 + 1],
                    CASE WHEN g % 5 = 4 THEN 'failed' ELSE 'success' END,
                    (ARRAY['User logged in (User ' || (g % 20000) || ', user' || (g % 20000) || '@bench.test)',
                           'User locked.', 'Password updated.', 'User updated.',
                           'User login failed (User ' || (g % 20000) || ', user' || (g % 20000) || '@bench.test). Details: wrong password.'])[g % 5 + 1],
                    'user', md5('u' || (g % 20000))::uuid, 'user' || (g % 20000),
                    md5('u' || (g % 20000))::uuid, 'user' || (g % 20000),
                    '10.' || (g % 7) || '.' || (g % 251) || '.' || (g % 13), 'bench'
               FROM generate_series($2::bigint, $2::bigint + $4 - 1) AS g",
        )
        .bind(account)
        .bind(from)
        .bind(total)
        .bind(chunk.min(total - from))
        .execute(&env.pool)
        .await?;
    }
    for (_, def) in &indexes {
        sqlx::query(def).execute(&env.pool).await?;
    }

    // What the audit projection writes beside each entry: its description in the account's
    // table of distinct descriptions.
    let texts = sqlx::query(
        "INSERT INTO audit_texts (account_id, digest, description)
         SELECT DISTINCT account_id, sha256(convert_to(description, 'UTF8')), description
           FROM audit_log WHERE account_id = $1
             ON CONFLICT (account_id, digest) DO NOTHING",
    )
    .bind(account)
    .execute(&env.pool)
    .await?
    .rows_affected();
    // And the logins per hour, for the console's chart.
    sqlx::query(
        "INSERT INTO audit_login_hours (account_id, hour, succeeded, failed)
         SELECT account_id, date_trunc('hour', at, 'UTC'),
                count(*) FILTER (WHERE outcome = 'success'), count(*) FILTER (WHERE outcome = 'failed')
           FROM audit_log WHERE account_id = $1 AND item = 'User' AND action = 'Login'
          GROUP BY 1, 2 ON CONFLICT (account_id, hour) DO NOTHING",
    )
    .bind(account)
    .execute(&env.pool)
    .await?;
    eprintln!(
        "loaded {total} entries ({texts} distinct descriptions) in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    sqlx::query("VACUUM ANALYZE audit_texts")
        .execute(&env.pool)
        .await?;
    sqlx::query("VACUUM ANALYZE audit_log")
        .execute(&env.pool)
        .await?;
    Ok(())
}

/// The reference for a rebuild's writing: the rows it wrote, dumped beforehand, then loaded with
/// `COPY ... FROM STDIN (FORMAT binary)` into empty tables of the same columns, their indexes
/// built after and the tables analyzed, as a rebuild does with its own. Returns the load's time
/// and the rows loaded.
async fn bulk_load_reference(env: &TestEnv) -> anyhow::Result<(Duration, u64)> {
    const TABLES: [&str; 8] = [
        "view_users",
        "view_devices",
        "view_teams",
        "view_accounts",
        "audit_principals",
        "audit_texts",
        "audit_login_hours",
        "audit_log",
    ];
    let mut conn = env.pool.acquire().await?;
    let mut dumps = Vec::new();
    let mut rows = 0u64;
    for table in TABLES {
        let copy = format!("bench_copy_{table}");
        sqlx::query(&format!("DROP TABLE IF EXISTS {copy}"))
            .execute(&mut *conn)
            .await?;
        sqlx::query(&format!(
            "CREATE TABLE {copy} (LIKE {table} INCLUDING DEFAULTS)"
        ))
        .execute(&mut *conn)
        .await?;
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *conn)
            .await?;
        rows += u64::try_from(count).unwrap_or(0);
        let mut out = conn
            .copy_out_raw(&format!(
                "COPY (SELECT * FROM {table}) TO STDOUT (FORMAT binary)"
            ))
            .await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = out.next().await {
            bytes.extend_from_slice(&chunk?);
        }
        drop(out);
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT indexname::text, indexdef FROM pg_indexes
              WHERE tablename = $1 AND schemaname = current_schema()",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        dumps.push((table, copy, bytes, indexes));
    }
    let started = Instant::now();
    for (table, copy, bytes, indexes) in &dumps {
        let mut load = conn
            .copy_in_raw(&format!("COPY {copy} FROM STDIN (FORMAT binary)"))
            .await?;
        load.send(bytes.as_slice()).await?;
        load.finish().await?;
        for (name, def) in indexes {
            let def = def
                .replacen(
                    &format!("INDEX {name} ON "),
                    &format!("INDEX {name}__bc ON "),
                    1,
                )
                .replacen(&format!(".{table} "), &format!(".{copy} "), 1);
            sqlx::query(&def).execute(&mut *conn).await?;
        }
        sqlx::query(&format!("ANALYZE {copy}"))
            .execute(&mut *conn)
            .await?;
    }
    let elapsed = started.elapsed();
    for (_, copy, _, _) in &dumps {
        sqlx::query(&format!("DROP TABLE {copy}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok((elapsed, rows))
}
