//! The read side end to end: commands -> store -> relay -> JetStream -> projection workers ->
//! views and audit log -> queries; idempotent redelivery; replay equal to the live views (also
//! after killing the workers mid-stream); audit filters, ranges and exports; bad query input;
//! parked events.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chronid_app::{NewUser, ProfilePatch, StatusChange};
use chronid_domain::metadata::{ActorKind, RequestFacts};
use chronid_domain::values::{Email, Name, PersonName, Role, Roles};
use chronid_projections::audit::{AuditRecord, Outcome};
use chronid_tests::server::{spawn_full, test_services, TestApp};
use chronid_tests::{wait_until, TestEnv};
use chronid_views::audit::insert_records;
use chronid_views::query::{user_history, HistoryPage};
use chronid_views::replay::{self, Progress, Source};
use chronid_views::tables::Tables;
use chronid_views::{apply_batch, Cursor, Incoming, Projection};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::Calls;

struct Quiet;
impl Progress for Quiet {
    fn update(&self, _: u64, _: u64) {}
    fn finish(&self, _: u64, _: Duration) {}
}

/// Waits until both projections have applied everything in the store.
async fn caught_up(env: &TestEnv) {
    wait_until(
        "projections caught up",
        Duration::from_secs(120),
        || async {
            let behind: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM unnest(ARRAY['users','audit']) AS p(name)
              WHERE NOT EXISTS (SELECT 1 FROM projection_checkpoints c
                                 WHERE c.projection = p.name
                                   AND c.global_seq >= (SELECT max(global_seq) FROM events
                                                         WHERE aggregate_type <> 'reservation'))",
            )
            .fetch_one(&env.pool)
            .await?;
            Ok(behind == 0)
        },
    )
    .await
    .unwrap();
}

/// An ordered digest of every row of every view.
async fn digest(env: &TestEnv) -> HashMap<&'static str, String> {
    let mut out = HashMap::new();
    for (name, sql) in [
        ("users", "SELECT md5(string_agg(user_id::text || status || array_to_string(roles, ',') || array_to_string(teams, ',') || search || last_sequence || doc::text, '|' ORDER BY user_id)) FROM view_users"),
        ("devices", "SELECT md5(string_agg(device_id::text || doc::text, '|' ORDER BY device_id)) FROM view_devices"),
        ("teams", "SELECT md5(string_agg(team_id::text || deleted || doc::text, '|' ORDER BY team_id)) FROM view_teams"),
        ("accounts", "SELECT md5(string_agg(account_id::text || doc::text, '|' ORDER BY account_id)) FROM view_accounts"),
        ("audit", "SELECT md5(string_agg(a::text, '|' ORDER BY aggregate_type, aggregate_id, sequence)) FROM audit_log a"),
        ("principals", "SELECT md5(string_agg(principal_id::text || last_sequence || doc::text, '|' ORDER BY principal_id)) FROM audit_principals"),
        ("texts", "SELECT md5(string_agg(account_id::text || encode(digest, 'hex') || description, '|' ORDER BY account_id, digest)) FROM audit_texts"),
        ("login_hours", "SELECT md5(string_agg(account_id::text || hour::text || succeeded || '/' || failed, '|' ORDER BY account_id, hour)) FROM audit_login_hours"),
    ] {
        let d: Option<String> = sqlx::query_scalar(sql).fetch_one(&env.pool).await.unwrap();
        out.insert(name, d.unwrap_or_default());
    }
    out
}

/// The hourly login counts the audit projection keeps are the log's own, hour by hour.
async fn assert_login_hours_match_the_log(env: &TestEnv) {
    let differ: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
           (SELECT account_id, hour, succeeded, failed FROM audit_login_hours
             WHERE succeeded > 0 OR failed > 0
            EXCEPT
            SELECT account_id, date_trunc('hour', at, 'UTC'),
                   count(*) FILTER (WHERE outcome = 'success'), count(*) FILTER (WHERE outcome = 'failed')
              FROM audit_log WHERE item = 'User' AND action = 'Login' GROUP BY 1, 2)
           UNION ALL
           (SELECT account_id, date_trunc('hour', at, 'UTC'),
                   count(*) FILTER (WHERE outcome = 'success'), count(*) FILTER (WHERE outcome = 'failed')
              FROM audit_log WHERE item = 'User' AND action = 'Login' GROUP BY 1, 2
            EXCEPT
            SELECT account_id, hour, succeeded, failed FROM audit_login_hours)) d",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        differ, 0,
        "hours that differ between audit_login_hours and audit_log"
    );
}

/// A clock stopped at one instant.
struct FixedClock(DateTime<Utc>);
impl chronid_domain::ports::Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn facts(who: &chronid_app::Principal, ip: &str) -> RequestFacts {
    RequestFacts {
        actor: who.actor,
        ip: Some(ip.to_string()),
        user_agent: Some("views-test".into()),
        correlation_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_views_audit_and_history_follow_commands() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();

    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "Jane@Acme.test", "username": "jane",
            "first_name": "Jane", "last_name": "Doe", "phone": "+385911234567"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let jane = r.body["id"].as_str().unwrap().to_string();
    let team = app
        .call(Method::POST, "/teams", Some(json!({"name": "Finance"})))
        .await;
    let team_id = team.body["id"].as_str().unwrap().to_string();
    app.call(
        Method::PUT,
        &format!("/teams/{team_id}/members/{jane}"),
        None,
    )
    .await;
    let lock = app
        .call(Method::POST, &format!("/users/{jane}/lock"), None)
        .await;
    let pos = lock.body["position"].as_i64().unwrap();

    // Read your write: the view waits for the lock's position.
    let view = app
        .call(
            Method::GET,
            &format!("/users/{jane}?min_position={pos}"),
            None,
        )
        .await;
    assert_eq!(view.status, 200, "{view:?}");
    assert_eq!(view.body["status"], "locked");
    assert_eq!(view.body["status_reason"], "admin");
    assert_eq!(view.body["email"], "Jane@Acme.test");
    assert_eq!(view.body["username"], "jane");
    assert_eq!(view.body["teams"], json!([team_id]));
    assert_eq!(view.body["two_factor"]["channel"], "email");
    assert!(view.body["last_position"].as_i64().unwrap() >= pos);

    // Lists and searches.
    let locked = app
        .call(
            Method::GET,
            &format!("/users?status=locked&min_position={pos}"),
            None,
        )
        .await;
    assert_eq!(
        locked.body["users"].as_array().unwrap().len(),
        1,
        "{locked:?}"
    );
    let by_text = app.call(Method::GET, "/users?q=DOE", None).await;
    assert_eq!(by_text.body["users"][0]["id"], jane.as_str());
    // A NUL byte cannot reach a query (PostgreSQL text refuses it): 400, on every list.
    for path in ["/users?q=D%00E", "/audit?q=x%00", "/audit?username=a%00"] {
        app.call(Method::GET, path, None)
            .await
            .assert_problem(400, "REQ-INVALID-PARAMETER");
    }
    let in_team = app
        .call(Method::GET, &format!("/users?team={team_id}"), None)
        .await;
    assert_eq!(in_team.body["users"].as_array().unwrap().len(), 1);
    let active = app.call(Method::GET, "/users?status=active", None).await;
    assert!(active.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["id"] != jane.as_str()));
    let teams = app.call(Method::GET, "/teams", None).await;
    assert_eq!(teams.body["teams"][0]["name"], "Finance");
    assert_eq!(teams.body["teams"][0]["members"], json!([jane]));

    // The audit log, in the product's words.
    let audit = app
        .call(Method::GET, &format!("/audit?min_position={pos}"), None)
        .await;
    assert_eq!(audit.status, 200, "{audit:?}");
    let entries = audit.body["entries"].as_array().unwrap();
    let descriptions: Vec<&str> = entries
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert!(
        descriptions.iter().any(|d| d.starts_with("User locked.")),
        "{descriptions:?}"
    );
    assert!(descriptions.contains(&"User created."), "{descriptions:?}");
    assert!(
        descriptions.iter().any(|d| d.starts_with("Group created.")),
        "{descriptions:?}"
    );
    let newest = &entries[0];
    assert_eq!(newest["event_type"], "UserLocked");
    assert_eq!(newest["item"], "User");
    assert_eq!(newest["action"], "Lock");
    assert_eq!(newest["outcome"], "success");
    assert_eq!(newest["ip"], "127.0.0.1");
    assert_eq!(newest["target_username"], "jane");
    let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");

    // History, and the user as they were before the lock.
    let hist = app
        .call(Method::GET, &format!("/users/{jane}/history"), None)
        .await;
    let events = hist.body["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["UserRegistered", "UserAddedToTeam", "UserLocked"]);
    assert_eq!(events[2]["ip"], "127.0.0.1");
    let before_lock = events[1]["occurred_at"].as_str().unwrap();
    let then = app
        .call(
            Method::GET,
            &format!(
                "/users/{jane}/history?as_of={}",
                before_lock.replace('+', "%2B")
            ),
            None,
        )
        .await;
    assert_eq!(then.status, 200, "{then:?}");
    assert_eq!(then.body["user_as_of"]["status"], "invited");
    assert_eq!(then.body["user_as_of"]["teams"], json!([team_id]));
    assert_eq!(then.body["events"].as_array().unwrap().len(), 2);

    // The account's time zone decides where "today" begins in the audit log; a bad zone is
    // refused and changes nothing.
    let bad = app
        .call(
            Method::PUT,
            "/customization",
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
    bad.assert_problem(400, "VALIDATION");
    assert_eq!(bad.body["field"], "time_zone");
    let r = app
        .call(
            Method::PUT,
            "/customization",
            Some(json!({"time_zone": "Asia/Kolkata"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let pos = r.body["position"].as_i64().unwrap();
    let kolkata = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let midnight = |t: DateTime<Utc>| {
        t.with_timezone(&kolkata)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_local_timezone(kolkata)
            .unwrap()
            .with_timezone(&Utc)
    };
    let before = Utc::now();
    let today = app
        .call(
            Method::GET,
            &format!("/audit?range=today&min_position={pos}"),
            None,
        )
        .await;
    let after = Utc::now();
    assert_eq!(today.status, 200, "{today:?}");
    let from: DateTime<Utc> = today.body["from"].as_str().unwrap().parse().unwrap();
    assert!(
        from == midnight(before) || from == midnight(after),
        "today began at {from}, not at midnight in Kolkata"
    );
    assert_eq!(
        today.body["entries"][0]["description"],
        "Time zone changed. Details: from UTC to Asia/Kolkata."
    );
    // `tz` still overrides the account's zone.
    let utc = app
        .call(Method::GET, "/audit?range=today&tz=UTC", None)
        .await;
    let from: DateTime<Utc> = utc.body["from"].as_str().unwrap().parse().unwrap();
    assert_eq!(from.time(), chrono::NaiveTime::MIN, "{utc:?}");

    // Metrics name both workers.
    let metrics = app.metrics().await.unwrap();
    assert!(
        metrics.contains("chronid_projection_applied_total{projection=\"users\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("chronid_projection_failed_events{projection=\"audit\"} 0"),
        "{metrics}"
    );

    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redelivered_and_stale_messages_change_nothing() {
    let env = TestEnv::new().await.unwrap();
    let app = crate::support::spawn_app(&env).await;
    let jane = app.create_user("jane@acme.test").await;
    app.call(
        Method::PATCH,
        &format!("/users/{jane}"),
        Some(json!({"first_name": "Old"})),
    )
    .await;
    app.call(
        Method::PATCH,
        &format!("/users/{jane}"),
        Some(json!({"first_name": "New"})),
    )
    .await;
    let events = user_history(&env.pool, app.account_id, jane, HistoryPage::all(None))
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    // The account's events come first so the user has an account view.
    let account_events = sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM events WHERE aggregate_type = 'account'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert!(account_events >= 1);
    let incoming = |i: usize| Incoming {
        stream_seq: 100 + i as u64,
        cursor: Cursor {
            tx_id: 1,
            global_seq: events[i].position,
        },
        envelope: events[i].clone(),
    };
    for p in Projection::ALL {
        apply_batch(&env.pool, p, &[incoming(0), incoming(1), incoming(2)])
            .await
            .unwrap();
    }
    let before = digest(&env).await;
    // The same message twice, then an older one after the newest.
    for p in Projection::ALL {
        let counts = apply_batch(&env.pool, p, &[incoming(2)]).await.unwrap();
        if p == Projection::Users {
            assert_eq!((counts.changed, counts.stale), (0, 1));
        }
        apply_batch(&env.pool, p, &[incoming(1), incoming(0)])
            .await
            .unwrap();
    }
    assert_eq!(digest(&env).await, before);
    let entries: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE aggregate_id = $1")
        .bind(jane)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(entries, 3);
    let name: String =
        sqlx::query_scalar("SELECT doc->>'first_name' FROM view_users WHERE user_id = $1")
            .bind(jane)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(name, "New");
    drop(app);
    env.cleanup().await.unwrap();
}

/// 10,000 commands over 200 users and 10 teams, from 8 clients.
async fn mixed_workload(app: &TestApp, commands: usize) {
    let who = app.app.authenticate_api_key(&app.api_key).await.unwrap();
    let account = app.account_id;
    let mut users = Vec::new();
    for i in 0..200 {
        let o = app
            .app
            .register_user(
                &who,
                account,
                NewUser {
                    email: Email::parse(&format!("user{i}@acme.test")).unwrap(),
                    username: None,
                    first_name: Some(PersonName::parse("first_name", &format!("U{i}")).unwrap()),
                    last_name: None,
                    phone: None,
                    language: None,
                    roles: Roles::member(),
                    password: None,
                },
                &facts(&who, "10.0.0.1"),
            )
            .await
            .unwrap();
        users.push(o.id);
    }
    let mut teams = Vec::new();
    for i in 0..10 {
        let o = app
            .app
            .create_team(
                &who,
                account,
                Name::parse("name", &format!("Team {i}")).unwrap(),
                &facts(&who, "10.0.0.2"),
            )
            .await
            .unwrap();
        teams.push(o.id);
    }
    let users = Arc::new(users);
    let teams = Arc::new(teams);
    let per_client = (commands - 210) / 8;
    let mut tasks = Vec::new();
    for c in 0..8u64 {
        let (app, who, users, teams) = (app.app.clone(), who.clone(), users.clone(), teams.clone());
        tasks.push(tokio::spawn(async move {
            let mut x = c * 7919 + 1;
            let mut done = 0usize;
            for n in 0..per_client {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let user = users[(x >> 33) as usize % users.len()];
                let team = teams[(x >> 20) as usize % teams.len()];
                let f = facts(&who, &format!("10.1.{c}.{}", n % 250));
                let r = match (x >> 50) % 7 {
                    0 => {
                        app.update_user(
                            &who,
                            account,
                            user,
                            ProfilePatch {
                                first_name: Some(Some(
                                    PersonName::parse("first_name", &format!("N{n}")).unwrap(),
                                )),
                                ..ProfilePatch::default()
                            },
                            &f,
                        )
                        .await
                    }
                    1 => {
                        app.change_user_status(&who, account, user, StatusChange::Lock, &f)
                            .await
                    }
                    2 => {
                        app.change_user_status(&who, account, user, StatusChange::Unlock, &f)
                            .await
                    }
                    3 => app.add_team_member(&who, account, team, user, &f).await,
                    4 => app.remove_team_member(&who, account, team, user, &f).await,
                    5 => {
                        app.update_user(
                            &who,
                            account,
                            user,
                            ProfilePatch {
                                roles: Some(Roles::new([Role::AccountAdmin])),
                                ..ProfilePatch::default()
                            },
                            &f,
                        )
                        .await
                    }
                    _ => {
                        app.rename_team(
                            &who,
                            account,
                            team,
                            Name::parse("name", &format!("T{n}")).unwrap(),
                            &f,
                        )
                        .await
                    }
                };
                // Refusals (removing a non-member, locking a locked user) are part of a
                // realistic mix; any other error fails the workload.
                match r {
                    Ok(_) => done += 1,
                    Err(e) if REFUSALS.contains(&e.code) => {}
                    Err(e) => panic!("workload command {n}: {} {}", e.code, e.message),
                }
            }
            done
        }));
    }
    let mut done = 0;
    for t in tasks {
        done += t.await.unwrap();
    }
    assert!(
        done >= per_client * 8 / 3,
        "only {done} of {} workload commands were carried out",
        per_client * 8
    );
}

/// What the mixed workload's commands may be refused with on the state they meet (and
/// CONFLICT-RETRY: eight clients renaming teams all write the one Account aggregate, and a
/// command that keeps losing is told to retry).
const REFUSALS: [&str; 8] = [
    "CONFLICT-RETRY",
    "ACC-TEAM-NAME-TAKEN",
    "USR-ALREADY-LOCKED",
    "USR-NOT-LOCKED",
    "USR-ALREADY-IN-TEAM",
    "USR-NOT-IN-TEAM",
    "USR-NO-CHANGE",
    "ACC-NO-CHANGE",
];

/// Every event type the domain has, then a rebuild made while commands keep coming and the live
/// workers keep applying: what it swaps in, with the workers' later events, is what a quiet
/// rebuild of the same history gives, from the store and from the stream, table by table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_workers_apply_every_event_type_equals_a_quiet_one() {
    let env = TestEnv::new().await.unwrap();
    let (app, mut workers) = spawn_full(&env, test_services()).await.unwrap();
    crate::catalogue::append_every_event_type(&app).await;
    let stored: std::collections::BTreeSet<String> = sqlx::query_scalar(
        "SELECT DISTINCT event_type FROM events WHERE aggregate_type <> 'reservation'",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let missing: Vec<String> = crate::catalogue::domain_event_types()
        .difference(&stored)
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "event types missing from the replay workload: {missing:?}"
    );
    caught_up(&env).await;

    let rebuild_while_busy = replay::rebuild(
        &env.pool,
        None,
        &env.stream,
        &Projection::ALL,
        Source::Store,
        None,
        &Quiet,
    );
    let (_, report) = tokio::join!(mixed_workload(&app, 2_000), rebuild_while_busy);
    let report = report.unwrap();
    assert_eq!(report.failed, 0);
    caught_up(&env).await;
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_failed_events")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(parked, 0);
    assert_login_hours_match_the_log(&env).await;
    let live = digest(&env).await;
    for (table, d) in &live {
        // An empty table digests the same on both sides: every table must hold rows.
        assert!(!d.is_empty(), "{table} is empty");
    }
    workers.kill_projections();
    for source in [Source::Store, Source::Stream] {
        let quiet = replay::rebuild(
            &env.pool,
            Some(&env.js),
            &env.stream,
            &Projection::ALL,
            source,
            None,
            &Quiet,
        )
        .await
        .unwrap();
        assert_eq!(quiet.failed, 0);
        let after = digest(&env).await;
        assert_login_hours_match_the_log(&env).await;
        let differ: Vec<&&str> = live
            .keys()
            .filter(|t| live.get(*t) != after.get(*t))
            .collect();
        assert!(
            differ.is_empty(),
            "tables that differ after a quiet rebuild from the {source:?}: {differ:?}"
        );
    }
    drop(app);
    drop(workers);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn live_views_equal_a_fresh_replay_even_after_killing_the_workers() {
    let env = TestEnv::new().await.unwrap();
    let (app, mut workers) = spawn_full(&env, test_services()).await.unwrap();
    let load = {
        let app_ref = &app;
        async move { mixed_workload(app_ref, 10_000).await }
    };
    // Kill the workers twice while the workload runs, then start them again.
    let killer = async {
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            workers.kill_projections();
            tokio::time::sleep(Duration::from_millis(300)).await;
            workers.start_projections();
        }
    };
    tokio::join!(load, killer);
    caught_up(&env).await;
    let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_failed_events")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(parked, 0);
    let live = digest(&env).await;
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type <> 'reservation'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert!(events > 5_000, "{events}");
    let audit_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(audit_rows, events, "one audit entry per event");

    workers.kill_projections();
    sqlx::query("CREATE TABLE live_users AS SELECT * FROM view_users")
        .execute(&env.pool)
        .await
        .unwrap();
    let report = replay::rebuild(
        &env.pool,
        None,
        &env.stream,
        &Projection::ALL,
        Source::Store,
        None,
        &Quiet,
    )
    .await
    .unwrap();
    assert_eq!(report.failed, 0);
    assert_eq!(report.events as i64, events);
    let diff: Vec<(Value, Option<Value>)> = sqlx::query_as(
        "SELECT l.doc, v.doc FROM live_users l LEFT JOIN view_users v USING (user_id)
          WHERE v.doc IS DISTINCT FROM l.doc OR v.search IS DISTINCT FROM l.search
             OR v.teams IS DISTINCT FROM l.teams OR v.roles IS DISTINCT FROM l.roles LIMIT 2",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    let disorder: Vec<(String, i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT aggregate_id, sequence, prev, event_type FROM (
             SELECT aggregate_id, sequence, event_type,
                    lag(sequence) OVER (PARTITION BY aggregate_type, aggregate_id ORDER BY tx_id, global_seq) AS prev
               FROM events) x
          WHERE prev IS NOT NULL AND sequence <> prev + 1 LIMIT 5",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert!(
        disorder.is_empty(),
        "events out of sequence order in the relay's order: {disorder:?}"
    );
    assert!(
        diff.is_empty(),
        "live vs replayed user rows: {:?}",
        diff.iter()
            .map(|(l, r)| {
                let r = r.clone().unwrap_or_default();
                l.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, v)| r.get(k.as_str()) != Some(v))
                    .map(|(k, v)| format!("{k}: live {v} replay {}", r[k.as_str()]))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(digest(&env).await, live, "store replay");

    let report = replay::rebuild(
        &env.pool,
        Some(&env.js),
        &env.stream,
        &Projection::ALL,
        Source::Stream,
        None,
        &Quiet,
    )
    .await
    .unwrap();
    assert_eq!(report.failed, 0);
    assert_eq!(digest(&env).await, live, "stream replay");

    // The swapped-in tables keep their index names and serve queries.
    let idx: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE indexname IN ('audit_log_at', 'view_users_search', 'audit_log_pkey', 'audit_log_text', 'audit_texts_description', 'audit_texts_pkey')")
        .fetch_one(&env.pool).await.unwrap();
    assert_eq!(idx, 6);
    assert_text_search_matches_the_log(&env, &app).await;
    drop(app);
    drop(workers);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replay_until_builds_the_past_beside_the_live_views() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let jane = app.create_user("jane@acme.test").await;
    caught_up(&env).await;
    let cut: DateTime<Utc> =
        sqlx::query_scalar("SELECT max((metadata->>'occurred_at')::timestamptz) FROM events")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    app.call(Method::POST, &format!("/users/{jane}/disable"), None)
        .await;
    caught_up(&env).await;
    replay::rebuild(
        &env.pool,
        None,
        &env.stream,
        &[Projection::Users],
        Source::Store,
        Some(cut),
        &Quiet,
    )
    .await
    .unwrap();
    let past: String =
        sqlx::query_scalar("SELECT status FROM view_users__until WHERE user_id = $1")
            .bind(jane)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    let now: String = sqlx::query_scalar("SELECT status FROM view_users WHERE user_id = $1")
        .bind(jane)
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!((past.as_str(), now.as_str()), ("invited", "disabled"));
    drop(app);
    env.cleanup().await.unwrap();
}

/// Text searches over the API, for a piece of each of several descriptions of the app's account,
/// give the entries a plain `ILIKE` over the whole log gives (first page, newest first).
async fn assert_text_search_matches_the_log(env: &TestEnv, app: &TestApp) {
    let descriptions: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT description FROM audit_log WHERE account_id = $1 ORDER BY 1 LIMIT 8",
    )
    .bind(app.account_id)
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert!(descriptions.len() >= 3, "{descriptions:?}");
    for description in descriptions {
        // The first word (common to many descriptions) and a middle piece (rarer), upper-cased.
        let word = description.split(' ').next().unwrap().to_uppercase();
        let chars: Vec<char> = description.chars().collect();
        let middle: String = chars[chars.len() / 3..(chars.len() / 3 + 6).min(chars.len())]
            .iter()
            .collect::<String>()
            .to_uppercase();
        for piece in [word, middle] {
            let expected: Vec<i64> = sqlx::query_scalar(
                "SELECT position FROM audit_log WHERE account_id = $1
                    AND strpos(lower(description), lower($2)) > 0
                  ORDER BY at DESC, position DESC LIMIT 50",
            )
            .bind(app.account_id)
            .bind(&piece)
            .fetch_all(&env.pool)
            .await
            .unwrap();
            assert!(!expected.is_empty(), "{piece}");
            let q: String = url_encode(&piece);
            let r = app
                .call(Method::GET, &format!("/audit?limit=50&q={q}"), None)
                .await;
            assert_eq!(r.status, 200, "{piece}: {r:?}");
            let got: Vec<i64> = r.body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["position"].as_i64().unwrap())
                .collect();
            assert_eq!(got, expected, "q={piece}");
        }
    }
}

fn url_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Writes an audit entry made by hand, the way the audit projection writes its entries (with its
/// description in the account's table of distinct ones).
async fn entry(
    env: &TestEnv,
    account: Uuid,
    at: &str,
    username: &str,
    ip: &str,
    description: &str,
) -> i64 {
    let pos: i64 = sqlx::query_scalar("SELECT COALESCE(max(position), 1000000) + 1 FROM audit_log")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    let id = Uuid::now_v7();
    let record = AuditRecord {
        at: at.parse().unwrap(),
        account_id: account,
        aggregate_type: "user".into(),
        aggregate_id: id,
        sequence: 1,
        position: pos,
        event_id: id,
        event_type: "UserUpdated".into(),
        item: "User".into(),
        action: "Update".into(),
        outcome: Outcome::Success,
        description: description.into(),
        actor_kind: ActorKind::User,
        actor_id: None,
        username: Some(username.into()),
        target_id: None,
        target_username: None,
        ip: Some(ip.into()),
        user_agent: None,
    };
    let mut conn = env.pool.acquire().await.unwrap();
    let inserted = insert_records(&mut conn, &Tables::live(), vec![record])
        .await
        .unwrap();
    assert_eq!(inserted, 1);
    pos
}

/// Every way a text search reads the log (one description, a few merged, many by hash, too many
/// to list), alone, with a username and through cursor pages, gives what a plain scan of the
/// log gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_text_search_path_agrees_with_a_scan_of_the_log() {
    let env = TestEnv::new().await.unwrap();
    let app = chronid_tests::server::spawn_app(&env).await.unwrap();
    let acc = app.account_id;
    let base: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
    let mut records = Vec::new();
    let mut add = |description: String, n: usize| {
        for _ in 0..n {
            let i = records.len() as i64;
            let id = Uuid::now_v7();
            records.push(AuditRecord {
                // Some entries share a time, so the position breaks ties.
                at: base + chrono::Duration::seconds(i / 2),
                account_id: acc,
                aggregate_type: "user".into(),
                aggregate_id: id,
                sequence: 1,
                position: 5_000_000 + i,
                event_id: id,
                event_type: "UserUpdated".into(),
                item: "User".into(),
                action: "Update".into(),
                outcome: Outcome::Success,
                description: description.clone(),
                actor_kind: ActorKind::User,
                actor_id: None,
                username: Some(if i % 3 == 0 { "ana" } else { "bob" }.into()),
                target_id: None,
                target_username: None,
                ip: Some(if i % 2 == 0 { "10.0.0.1" } else { "10.0.0.2" }.into()),
                user_agent: None,
            });
        }
    };
    for i in 0..70 {
        add(format!("Group A item {i}"), 3); // 70 descriptions: by hash, any of them
    }
    for i in 0..5 {
        add(format!("Group B item {i}"), 30); // 5: each newest first, merged
    }
    add("Only C here".into(), 120); // one description
    for i in 0..120 {
        add(format!("Group E item {}", i % 4), 1); // 4, their entries interleaved
    }
    for i in 0..10_001 {
        add(format!("Bulk D {i}"), 1); // over 10,000: looked up inside the statement
    }
    let mut conn = env.pool.acquire().await.unwrap();
    insert_records(&mut conn, &Tables::live(), records)
        .await
        .unwrap();
    drop(conn);
    sqlx::query("ANALYZE audit_log")
        .execute(&env.pool)
        .await
        .unwrap();
    // Group B's entries from the middle of its time span, for a range on a merge.
    let (from, to) = (
        base + chrono::Duration::seconds(150),
        base + chrono::Duration::seconds(250),
    );
    // (text, username, address, within the range)
    for (q, username, ip, in_range) in [
        ("group a", None, None, false),
        ("GROUP B", None, None, false),
        ("only c", None, None, false),
        ("bulk d", None, None, false),
        ("item 1", None, None, false),
        ("group a", Some("ana"), None, false),
        ("group b", Some("bob"), None, false),
        ("group e", None, None, false),
        ("bulk d", Some("ana"), None, false),
        ("nothing matches this", None, None, false),
        // A merge with an address (not in the hash index: every entry read is checked).
        ("group b", None, Some("10.0.0.1"), false),
        ("group e", None, Some("10.0.0.1"), false),
        // A merge within a range: the keys are read within it.
        ("group b", None, None, true),
    ] {
        let bounds = in_range.then_some((from, to));
        let mut extra = ip.map(|ip| format!("&ip={ip}")).unwrap_or_default();
        if let Some((from, to)) = bounds {
            extra.push_str(&format!(
                "&from={}&to={}",
                from.format("%Y-%m-%dT%H:%M:%SZ"),
                to.format("%Y-%m-%dT%H:%M:%SZ")
            ));
        }
        let expected: Vec<i64> = sqlx::query_scalar(
            "SELECT position FROM audit_log WHERE account_id = $1
                AND strpos(lower(description), lower($2)) > 0
                AND ($3::text IS NULL OR lower(username) = $3 OR lower(target_username) = $3)
                AND ($4::text IS NULL OR ip = $4)
                AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
              ORDER BY at DESC, position DESC",
        )
        .bind(acc)
        .bind(q)
        .bind(username)
        .bind(ip)
        .bind(bounds.map(|b| b.0))
        .bind(bounds.map(|b| b.1))
        .fetch_all(&env.pool)
        .await
        .unwrap();
        if !extra.is_empty() {
            assert!(!expected.is_empty(), "q={q}{extra}");
        }
        // Smaller pages cut a merge's first read short (each description's few newest
        // entries): with 20, group E's interleaved entries settle the page from that read;
        // with 7, group B's (one description's block after another's) need the full read.
        for limit in [200, 20, 7] {
            if q == "bulk d" && limit != 200 {
                continue; // 10,001 entries: many pages, and no merge
            }
            let mut got = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let mut path = format!("/audit?limit={limit}&q={}{extra}", url_encode(q));
                if let Some(name) = username {
                    path.push_str(&format!("&username={name}"));
                }
                if let Some(c) = &cursor {
                    path.push_str(&format!("&cursor={c}"));
                }
                let r = app.call(Method::GET, &path, None).await;
                assert_eq!(r.status, 200, "{path}: {r:?}");
                got.extend(
                    r.body["entries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["position"].as_i64().unwrap()),
                );
                match r.body["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            assert_eq!(
                got.len(),
                expected.len(),
                "q={q}{extra} username={username:?} limit={limit}"
            );
            assert_eq!(
                got, expected,
                "q={q}{extra} username={username:?} limit={limit}"
            );
        }
    }
    drop(app);
    env.cleanup().await.unwrap();
}

/// Migration 0005 fills the table of distinct descriptions from a log written before it, so text
/// search finds the older entries too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_description_migration_indexes_an_existing_log() {
    let env = TestEnv::new().await.unwrap();
    let app = chronid_tests::server::spawn_app(&env).await.unwrap();
    // An entry as an older chronid wrote it: the log only.
    sqlx::query(
        "INSERT INTO audit_log (aggregate_type, aggregate_id, sequence, position, event_id,
             account_id, at, event_type, item, action, outcome, description, actor_kind)
         VALUES ('user', $1, 1, 9000001, $1, $2, now(), 'UserLocked', 'User', 'Lock', 'success',
                 'User locked (Old Entry, old@example.test).', 'system')",
    )
    .bind(Uuid::now_v7())
    .bind(app.account_id)
    .execute(&env.pool)
    .await
    .unwrap();
    let r = app.call(Method::GET, "/audit?q=old%40example", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["entries"].as_array().unwrap().len(), 0);
    sqlx::raw_sql(include_str!(
        "../../../adapters/store/migrations/0005_audit_texts.sql"
    ))
    .execute(&env.pool)
    .await
    .unwrap();
    let r = app.call(Method::GET, "/audit?q=old%40example", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let entries = r.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{r:?}");
    assert_eq!(entries[0]["position"], 9000001);
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_filters_ranges_and_exports() {
    let env = TestEnv::new().await.unwrap();
    // Now: Monday 2026-11-23 00:30 in Zagreb (UTC+1) = Sunday 23:30 UTC.
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap();
    let mut services = test_services();
    services.clock = Arc::new(FixedClock(now));
    let app = chronid_tests::server::spawn_app_with(&env, env.pool.clone(), services)
        .await
        .unwrap();
    let acc = app.account_id;
    // Hand-made entries around the day and week boundaries of both zones.
    let a = entry(
        &env,
        acc,
        "2026-11-22T23:20:00Z",
        "ana",
        "10.0.0.1",
        "User logged in (Ana, ana@x)",
    )
    .await; // Mon 00:20 Zagreb; Sun UTC
    let b = entry(
        &env,
        acc,
        "2026-11-22T22:59:59Z",
        "bob",
        "10.0.0.2",
        "User locked.",
    )
    .await; // Sun 23:59:59 Zagreb
    let c = entry(
        &env,
        acc,
        "2026-11-22T00:10:00Z",
        "ana",
        "10.0.0.2",
        "Password updated.",
    )
    .await; // Sun 01:10 Zagreb, Sun UTC
    let d = entry(
        &env,
        acc,
        "2026-11-16T00:30:00Z",
        "bob",
        "10.0.0.1",
        "User logged in (Bob, bob@x)",
    )
    .await; // Mon of last week (both)
    let e = entry(
        &env,
        acc,
        "2026-11-15T23:30:00Z",
        "cy",
        "10.0.0.3",
        "User unlocked.",
    )
    .await; // Mon 00:30 Zagreb; Sun UTC
    let positions = |r: &crate::support::Reply| -> Vec<i64> {
        r.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["position"].as_i64().unwrap())
            .collect()
    };
    let cases: Vec<(&str, Vec<i64>)> = vec![
        ("", vec![a, b, c, d, e]),
        ("?username=ANA", vec![a, c]),
        ("?ip=10.0.0.2", vec![b, c]),
        ("?q=logged%20in", vec![a, d]),
        ("?q=LOCKED", vec![b, e]),
        ("?q=unlock", vec![e]),
        ("?range=last_15_minutes", vec![a]),
        ("?range=today&tz=Europe/Zagreb", vec![a]),
        ("?range=today", vec![a, b, c]),
        ("?range=yesterday&tz=Europe/Zagreb", vec![b, c]),
        ("?range=this_week&tz=Europe/Zagreb", vec![a]),
        ("?range=last_week&tz=Europe/Zagreb", vec![b, c, d, e]),
        ("?range=this_week", vec![a, b, c, d]),
        ("?range=last_week", vec![e]),
        (
            "?from=2026-11-16T00:30:00Z&to=2026-11-22T23:20:00Z",
            vec![b, c, d],
        ),
        ("?username=bob&range=last_week&tz=Europe/Zagreb", vec![b, d]),
    ];
    for (query, expected) in cases {
        let r = app.call(Method::GET, &format!("/audit{query}"), None).await;
        assert_eq!(r.status, 200, "{query}: {r:?}");
        assert_eq!(positions(&r), expected, "{query}");
    }
    // Paging: two at a time, the cursor carries on; a tampered cursor is refused.
    let p1 = app.call(Method::GET, "/audit?limit=2", None).await;
    assert_eq!(positions(&p1), vec![a, b]);
    let cursor = p1.body["next_cursor"].as_str().unwrap().to_string();
    let p2 = app
        .call(
            Method::GET,
            &format!("/audit?limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(positions(&p2), vec![c, d]);
    let mut bad = cursor.clone().into_bytes();
    let i = bad.len() / 2;
    bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
    let r = app
        .call(
            Method::GET,
            &format!("/audit?limit=2&cursor={}", String::from_utf8(bad).unwrap()),
            None,
        )
        .await;
    r.assert_problem(400, "REQ-INVALID-CURSOR");
    let r = app
        .call(
            Method::GET,
            &format!("/audit?limit=2&ip=10.0.0.1&cursor={cursor}"),
            None,
        )
        .await;
    r.assert_problem(400, "REQ-INVALID-CURSOR");

    // Exports parse back to the same entries.
    let page = app.call(Method::GET, "/audit?limit=100", None).await;
    let jsonl = app
        .http
        .get(app.url("/audit/export?format=jsonl"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(jsonl.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = jsonl
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(Value::Array(lines), page.body["entries"]);
    let csv = app
        .http
        .get(app.url("/audit/export?format=csv&username=ana"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = parse_csv(&csv);
    assert_eq!(rows[0][0], "at");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][7], "User logged in (Ana, ana@x)");
    assert_eq!(rows[1][12], a.to_string());
    assert_eq!(rows[2][12], c.to_string());

    // Bad input.
    for (query, code) in [
        ("?range=last_month", "AUDIT-UNKNOWN-RANGE"),
        ("?from=yesterday", "REQ-INVALID-TIME"),
        (
            "?from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z",
            "AUDIT-INVALID-RANGE",
        ),
        (
            "?range=today&from=2026-11-22T00:00:00Z",
            "AUDIT-INVALID-RANGE",
        ),
        ("?limit=0", "REQ-INVALID-LIMIT"),
        ("?limit=1001", "REQ-INVALID-LIMIT"),
        ("?limit=ten", "REQ-INVALID-LIMIT"),
        ("?tz=Mars/Olympus&range=today", "AUDIT-INVALID-TIME-ZONE"),
        ("?cursor=not-a-cursor", "REQ-INVALID-CURSOR"),
        ("?colour=red", "REQ-UNKNOWN-PARAMETER"),
        ("?min_position=-3", "REQ-INVALID-POSITION"),
    ] {
        let r = app.call(Method::GET, &format!("/audit{query}"), None).await;
        r.assert_problem(400, code);
    }
    let r = app
        .call(Method::GET, "/audit/export?format=xml", None)
        .await;
    r.assert_problem(400, "REQ-INVALID-PARAMETER");
    let r = app.call(Method::GET, "/users?status=sleeping", None).await;
    r.assert_problem(400, "REQ-INVALID-PARAMETER");

    // The audit log and history are for AccountManagers only; an AccountAdmin reads users.
    let r = app
        .call(
            Method::POST,
            "/api-keys",
            Some(json!({"name": "ops", "roles": ["AccountAdmin"]})),
        )
        .await;
    let admin_key = r.body["key"].as_str().unwrap().to_string();
    let r = app.call_as(&admin_key, Method::GET, "/audit", None).await;
    r.assert_problem(403, "AUTH-FORBIDDEN");
    let r = app
        .call_as(&admin_key, Method::GET, "/audit/export?format=csv", None)
        .await;
    r.assert_problem(403, "AUTH-FORBIDDEN");
    let r = app.call_as(&admin_key, Method::GET, "/users", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    drop(app);
    env.cleanup().await.unwrap();
}

/// A small RFC 4180 reader for the test (quoted fields, doubled quotes, CRLF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_that_cannot_be_applied_is_parked_and_reported() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = spawn_full(&env, test_services()).await.unwrap();
    let jane = app.create_user("jane@acme.test").await;
    wait_until("user visible", Duration::from_secs(30), || async {
        Ok(app
            .call(Method::GET, &format!("/users/{jane}"), None)
            .await
            .status
            == 200)
    })
    .await
    .unwrap();
    // A message on the events subject that is not an envelope (written by a stranger).
    let subject = format!(
        "{}.{}.user.UserRegistered",
        env.stream.subject_prefix, app.account_id
    );
    let ack = env
        .js
        .publish(subject, "{not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    wait_until(
        "parked by both workers",
        Duration::from_secs(30),
        || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM projection_failed_events WHERE stream_seq = $1",
            )
            .bind(ack.sequence as i64)
            .fetch_one(&env.pool)
            .await?;
            Ok(n == 2)
        },
    )
    .await
    .unwrap();
    let metrics = reply_text(&app, "/metrics").await;
    assert!(
        app.http
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .status()
            == 404,
        "/metrics is not served on the API's address"
    );
    assert!(
        metrics.contains("chronid_projection_failed_events{projection=\"users\"} 1"),
        "{metrics}"
    );
    // The append writers, supervised: all four up, none restarted.
    assert!(
        metrics.contains("chronid_append_writers_running 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("chronid_append_writer_restarts_total 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("chronid_projection_parked_total{projection=\"audit\"} 1"),
        "{metrics}"
    );
    let (error, attempts): (String, i32) = sqlx::query_as(
        "SELECT error, attempts FROM projection_failed_events WHERE projection = 'users'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert!(error.contains("undecodable"), "{error}");
    assert_eq!(attempts, 5);
    drop(app);
    env.cleanup().await.unwrap();
}

async fn reply_text(app: &TestApp, path: &str) -> String {
    let r = app
        .http
        .get(format!("{}{path}", app.metrics_base))
        .send()
        .await
        .unwrap();
    r.text().await.unwrap()
}

/// The service's connections never start parallel workers or JIT compilation (decision 0019):
/// an audit page planned as a parallel scan paid ~10 ms to start its workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_connections_run_without_parallel_workers_or_jit() {
    let env = TestEnv::new().await.unwrap();
    let pool = chronid_store::connect(&env.database_url, 2).await.unwrap();
    for (setting, expected) in [("max_parallel_workers_per_gather", "0"), ("jit", "off")] {
        let value: String = sqlx::query_scalar(&format!("SHOW {setting}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(value, expected, "{setting}");
    }
    pool.close().await;
    env.cleanup().await.unwrap();
}
