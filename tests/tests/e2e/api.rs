//! The admin API against real PostgreSQL: bad input answers problem+json and writes nothing;
//! roles are enforced; concurrent commands lose nothing; uniqueness holds under concurrency.

use reqwest::Method;
use serde_json::json;

use crate::support::{event_count, reply, spawn_app, Calls};
use chronid_domain::user::User;
use chronid_tests::TestEnv;

#[tokio::test]
async fn bad_input_gets_problem_json_and_appends_nothing() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let before = event_count(&env).await;

    // Malformed JSON.
    let r = reply(
        app.http
            .post(app.url("/users"))
            .bearer_auth(&app.api_key)
            .header("content-type", "application/json")
            .body("{\"email\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_problem(400, "REQ-MALFORMED-JSON");

    // Not JSON at all.
    let r = reply(
        app.http
            .post(app.url("/users"))
            .bearer_auth(&app.api_key)
            .body("email=x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_problem(415, "REQ-UNSUPPORTED-MEDIA-TYPE");

    // Unknown field.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "a@acme.test", "nickname": "x"})),
        )
        .await;
    r.assert_problem(400, "REQ-INVALID-BODY");
    assert!(
        r.body["detail"].as_str().unwrap().contains("nickname"),
        "{r:?}"
    );

    // Wrong type.
    let r = app
        .call(Method::POST, "/users", Some(json!({"email": 42})))
        .await;
    r.assert_problem(400, "REQ-INVALID-BODY");

    // Invalid email.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "not-an-email"})),
        )
        .await;
    r.assert_problem(400, "VALIDATION");
    assert_eq!(r.body["field"], "email");

    // Invalid role.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "b@acme.test", "roles": ["Root"]})),
        )
        .await;
    r.assert_problem(400, "VALIDATION");
    assert_eq!(r.body["field"], "roles");

    // Policy values out of range, each field.
    for (body, field) in [
        (
            json!({"max_login_attempts": 0, "two_factor": "off"}),
            "max_login_attempts",
        ),
        (
            json!({"max_login_attempts": 101, "two_factor": "off"}),
            "max_login_attempts",
        ),
        (
            json!({"max_login_attempts": 5, "two_factor": "off", "max_inactivity_days": 14}),
            "max_inactivity_days",
        ),
        (
            json!({"max_login_attempts": 5, "two_factor": "off", "max_inactivity_days": 366}),
            "max_inactivity_days",
        ),
        (
            json!({"max_login_attempts": 5, "two_factor": "off", "password_validity_days": 0}),
            "password_validity_days",
        ),
        (
            json!({"max_login_attempts": 5, "two_factor": "sometimes"}),
            "two_factor",
        ),
    ] {
        let r = app.call(Method::PUT, "/security-policy", Some(body)).await;
        r.assert_problem(400, "VALIDATION");
        assert_eq!(r.body["field"], field, "{r:?}");
    }
    // Missing required field.
    let r = app
        .call(
            Method::PUT,
            "/security-policy",
            Some(json!({"two_factor": "off"})),
        )
        .await;
    r.assert_problem(400, "REQ-INVALID-BODY");

    // Login options that leave no way in.
    let r = app
        .call(
            Method::PUT,
            "/login-options",
            Some(json!({"password": false, "google": false, "github": false, "sso": false})),
        )
        .await;
    r.assert_problem(400, "VALIDATION");

    // Malformed path id.
    let r = app
        .call(Method::POST, "/users/not-a-uuid/disable", None)
        .await;
    r.assert_problem(400, "REQ-INVALID-PATH");

    // Unknown user.
    let r = app
        .call(
            Method::POST,
            &format!("/users/{}/disable", uuid::Uuid::nil()),
            None,
        )
        .await;
    r.assert_problem(404, "USR-NOT-FOUND");

    assert_eq!(
        event_count(&env).await,
        before,
        "a refused request appended events"
    );
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn credentials_and_roles_are_enforced_and_refusals_append_nothing() {
    let env = TestEnv::new().await.unwrap();
    let clock = chronid_tests::server::ManualClock::starting_now();
    let mut services = chronid_tests::server::test_services();
    services.clock = clock.clone();
    let app = chronid_tests::server::spawn_app_with(&env, env.pool.clone(), services)
        .await
        .unwrap();
    let body = json!({"email": "c@acme.test"});

    // No credentials.
    let r = reply(
        app.http
            .post(app.url("/users"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_problem(401, "AUTH-MISSING");
    // Garbage key.
    let r = app
        .call_as("chronid_nope", Method::POST, "/users", Some(body.clone()))
        .await;
    r.assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    // A well-formed key with a wrong secret.
    let forged = format!("{}x", &app.api_key[..app.api_key.len() - 1]);
    let r = app
        .call_as(&forged, Method::POST, "/users", Some(body.clone()))
        .await;
    r.assert_problem(401, "AUTH-INVALID-CREDENTIALS");

    // A key with the AccountAdmin role only may manage users but not account settings.
    let r = app
        .call(
            Method::POST,
            "/api-keys",
            Some(json!({"name": "ops", "roles": ["AccountAdmin"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let admin_key = r.body["key"].as_str().unwrap().to_string();
    let admin_key_id = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .call(
            Method::POST,
            "/api-keys",
            Some(json!({"name": "member", "roles": []})),
        )
        .await;
    let member_key = r.body["key"].as_str().unwrap().to_string();

    let before = event_count(&env).await;
    let r = app
        .call_as(
            &admin_key,
            Method::PUT,
            "/security-policy",
            Some(json!({"max_login_attempts": 5, "two_factor": "off"})),
        )
        .await;
    r.assert_problem(403, "AUTH-FORBIDDEN");
    let r = app
        .call_as(
            &admin_key,
            Method::POST,
            "/api-keys",
            Some(json!({"name": "more"})),
        )
        .await;
    r.assert_problem(403, "AUTH-FORBIDDEN");
    let r = app
        .call_as(
            &admin_key,
            Method::POST,
            "/users",
            Some(json!({"email": "m@acme.test", "roles": ["AccountManager"]})),
        )
        .await;
    r.assert_problem(403, "AUTH-FORBIDDEN");
    let r = app
        .call_as(&member_key, Method::POST, "/users", Some(body.clone()))
        .await;
    r.assert_problem(403, "AUTH-FORBIDDEN");
    assert_eq!(event_count(&env).await, before);

    // Another account's id in the path.
    let other = format!("{}/v1/accounts/{}/users", app.base, uuid::Uuid::nil());
    let r = reply(
        app.http
            .post(other)
            .bearer_auth(&app.api_key)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_problem(403, "AUTH-FORBIDDEN");

    // The AccountAdmin key works for users...
    let r = app
        .call_as(&admin_key, Method::POST, "/users", Some(body.clone()))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    // ...until revoked; then it is refused at once.
    let r = app
        .call(Method::DELETE, &format!("/api-keys/{admin_key_id}"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let before = event_count(&env).await;
    let r = app
        .call_as(
            &admin_key,
            Method::POST,
            "/users",
            Some(json!({"email": "d@acme.test"})),
        )
        .await;
    r.assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    assert_eq!(event_count(&env).await, before);

    // A key works until its expiry, then is refused (the server's clock moved, not a sleep).
    use chronid_domain::ports::Clock;
    let soon = (clock.now() + chrono::Duration::minutes(1)).to_rfc3339();
    let r = app
        .call(
            Method::POST,
            "/api-keys",
            Some(json!({"name": "brief", "valid_until": soon})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let brief = r.body["key"].as_str().unwrap().to_string();
    let r = app
        .call_as(
            &brief,
            Method::POST,
            "/users",
            Some(json!({"email": "brief@acme.test"})),
        )
        .await;
    assert_eq!(r.status, 201, "before its expiry: {r:?}");
    clock.advance(chrono::Duration::minutes(1));
    let r = app
        .call_as(
            &brief,
            Method::POST,
            "/users",
            Some(json!({"email": "e@acme.test"})),
        )
        .await;
    r.assert_problem(401, "AUTH-INVALID-CREDENTIALS");

    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn fifty_concurrent_registrations_of_one_email_yield_exactly_one_user() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let variants = [
        "Same@Acme.test",
        "same@acme.test",
        "SAME@ACME.TEST",
        "sAmE@aCmE.tEsT",
        "same@ACME.test",
    ];
    let mut tasks = Vec::new();
    for i in 0..50 {
        let email = variants[i % variants.len()];
        let req = app
            .http
            .post(app.url("/users"))
            .bearer_auth(&app.api_key)
            .json(&json!({"email": email}));
        tasks.push(tokio::spawn(async move {
            reply(req.send().await.unwrap()).await
        }));
    }
    let mut created = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => created += 1,
            _ => r.assert_problem(409, "USR-EMAIL-TAKEN"),
        }
    }
    assert_eq!(created, 1);
    let registered: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'UserRegistered'
            AND lower(payload->'UserRegistered'->>'email') = 'same@acme.test'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(registered, 1);
    // Usernames are unique in the same way, and a failed username releases the email.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "u1@acme.test", "username": "Ana"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "u2@acme.test", "username": "ana"})),
        )
        .await;
    r.assert_problem(409, "USR-USERNAME-TAKEN");
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "u2@acme.test", "username": "bea"})),
        )
        .await;
    assert_eq!(
        r.status, 201,
        "the email of a refused registration stayed reserved: {r:?}"
    );
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn concurrent_commands_on_one_user_all_take_effect_or_report_conflict() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let user = app.create_user("busy@acme.test").await;
    let mut teams = Vec::new();
    for i in 0..24 {
        let r = app
            .call(
                Method::POST,
                "/teams",
                Some(json!({"name": format!("team {i}")})),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        teams.push(r.body["id"].as_str().unwrap().to_string());
    }
    // 24 membership changes and a profile change, all at once on the same user.
    let mut tasks = Vec::new();
    for team in &teams {
        let req = app
            .http
            .put(app.url(&format!("/teams/{team}/members/{user}")))
            .bearer_auth(&app.api_key);
        tasks.push(tokio::spawn(async move {
            reply(req.send().await.unwrap()).await
        }));
    }
    let req = app
        .http
        .patch(app.url(&format!("/users/{user}")))
        .bearer_auth(&app.api_key)
        .json(&json!({"first_name": "Busy", "roles": ["AccountAdmin"]}));
    tasks.push(tokio::spawn(async move {
        reply(req.send().await.unwrap()).await
    }));
    let mut accepted = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == 200 {
            accepted += 1;
        } else {
            r.assert_problem(409, "CONFLICT-RETRY");
        }
    }
    let (state, sequence) = app
        .app
        .executor()
        .load::<User>(&user.to_string())
        .await
        .unwrap();
    // Every accepted command is in the state; the sequence has no gaps.
    let in_teams = teams
        .iter()
        .filter(|t| state.teams.contains_key(&t.parse().unwrap()))
        .count();
    let profile = usize::from(state.first_name.is_some());
    assert_eq!(in_teams + profile, accepted, "accepted commands lost");
    // How many lose their 12 attempts depends on the machine's load; what holds whatever the
    // load: a command gives up only after 12 attempts each lost to another commit in between
    // (the sequence moved), so if any gave up, at least 12 were accepted.
    assert!(
        accepted >= 12,
        "a command gave up while fewer than 12 committed: only {accepted} of 25 accepted"
    );
    let sequences: Vec<i64> = sqlx::query_scalar("SELECT sequence FROM events WHERE aggregate_type = 'user' AND aggregate_id = $1 ORDER BY sequence")
        .bind(user.to_string())
        .fetch_all(&env.pool)
        .await
        .unwrap();
    assert_eq!(sequences, (1..=sequence as i64).collect::<Vec<_>>());
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn openapi_health_and_ready_answer() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let doc: serde_json::Value = app
        .http
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/v1/accounts/{account}/users"]["post"].is_object());
    assert!(doc["paths"]["/v1/accounts/{account}/security-policy"]["put"].is_object());
    let r = reply(
        app.http
            .get(format!("{}/health", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = reply(
        app.http
            .get(format!("{}/ready", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["postgres"], "ok");
    assert_eq!(r.body["nats"], "ok");
    let r = reply(
        app.http
            .get(format!("{}/v1/nope", app.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // Inside the API; outside it, the pages answer (pages.rs).
    r.assert_problem(404, "REQ-NOT-FOUND");
    drop(app);
    env.cleanup().await.unwrap();
}

/// `/ready` names each supervised background task and answers 503 while one is down (failed and
/// waiting to be started again); `/metrics` counts its restarts.
#[tokio::test]
async fn ready_says_which_background_task_is_down() {
    use chronid_store::supervise::{supervised, TaskHealth};
    use std::sync::Arc;
    let env = TestEnv::new().await.unwrap();
    let relay = Arc::new(TaskHealth::new("relay", 1));
    let read = chronid_http::ReadSide {
        tasks: vec![Arc::clone(&relay)],
        ..Default::default()
    };
    let app = chronid_tests::server::spawn_app_edge(
        &env,
        env.pool.clone(),
        chronid_tests::server::test_services(),
        read,
        chronid_http::edge::Edge::new(
            chronid_http::edge::TrustedProxies::default(),
            chronid_http::edge::RateLimits::unlimited(),
        ),
    )
    .await
    .unwrap();
    let ready = || async {
        reply(
            app.http
                .get(format!("{}/ready", app.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    // Not started: down, and the whole process is not ready though both services answer.
    let r = ready().await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.body["postgres"], "ok");
    assert_eq!(r.body["nats"], "ok");
    assert_eq!(r.body["tasks"]["relay"], "down", "{r:?}");
    assert_eq!(r.body["tasks"]["append writers"], "ok", "{r:?}");
    // A run that fails at once, then one that keeps running: restarted once, then ready.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let task = tokio::spawn(supervised(Arc::clone(&relay), {
        let runs = Arc::clone(&runs);
        move || {
            let n = runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut rx = rx.clone();
            async move {
                if n == 0 {
                    return Err("lost the database connection");
                }
                let _ = rx.wait_for(|s| *s).await;
                Ok(())
            }
        }
    }));
    let mut r = ready().await;
    for _ in 0..100 {
        if r.status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        r = ready().await;
    }
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["tasks"]["relay"], "ok");
    let metrics = app.metrics().await.unwrap();
    assert!(
        metrics.contains("chronid_task_restarts_total{task=\"relay\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("chronid_task_up{task=\"relay\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("chronid_task_running{task=\"append writers\"} 4"),
        "{metrics}"
    );
    stop.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(ready().await.status, 503, "a task that stopped is down");
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn an_api_key_never_acts_on_another_account() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    // A second account in the same store, with its own manager key.
    let other = app
        .app
        .bootstrap(
            chronid_domain::values::Name::parse("name", "Globex").unwrap(),
            chronid_domain::values::Email::parse("boss@globex.test").unwrap(),
            None,
            chronid_domain::values::Password::parse("another-long-password").unwrap(),
        )
        .await
        .unwrap();
    // Warm the key cache with a legitimate request from account A.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "warm@acme.test"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    // Present A's key id and secret under B's account id.
    let parts: Vec<&str> = app.api_key.splitn(4, '_').collect();
    let forged = format!(
        "chronid_{}_{}_{}",
        other.account_id.simple(),
        parts[2],
        parts[3]
    );
    let before = event_count(&env).await;
    let url = format!("{}/v1/accounts/{}/users", app.base, other.account_id);
    let r = reply(
        app.http
            .post(&url)
            .bearer_auth(&forged)
            .json(&json!({"email": "intruder@globex.test"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    r.assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    assert_eq!(event_count(&env).await, before);
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn an_account_admin_cannot_change_an_account_manager() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "mgr@acme.test", "roles": ["AccountManager"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let manager = r.body["id"].as_str().unwrap().to_string();
    let r = app
        .call(
            Method::POST,
            "/api-keys",
            Some(json!({"name": "admin", "roles": ["AccountAdmin"]})),
        )
        .await;
    let admin_key = r.body["key"].as_str().unwrap().to_string();
    let before = event_count(&env).await;
    for (method, path, body) in [
        (Method::POST, format!("/users/{manager}/lock"), None),
        (Method::POST, format!("/users/{manager}/disable"), None),
        (
            Method::PUT,
            format!("/users/{manager}/email"),
            Some(json!({"email": "mine@evil.test"})),
        ),
        (
            Method::PATCH,
            format!("/users/{manager}"),
            Some(json!({"phone": "+14155550100"})),
        ),
        (
            Method::PUT,
            format!("/users/{manager}/two-factor"),
            Some(json!({"enabled": true})),
        ),
    ] {
        let r = app.call_as(&admin_key, method, &path, body).await;
        r.assert_problem(403, "AUTH-FORBIDDEN");
    }
    // The refused email change left no reservation behind.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "mine@evil.test"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        event_count(&env).await,
        before + 2,
        "only the last registration (reservation + user) was written"
    );
    // A manager may.
    let r = app
        .call(Method::POST, &format!("/users/{manager}/lock"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn changing_an_email_frees_the_old_address_and_holds_the_new_one() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let user = app.create_user("old@acme.test").await;
    let r = app
        .call(
            Method::PUT,
            &format!("/users/{user}/email"),
            Some(json!({"email": "New@acme.test"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "new@ACME.test"})),
        )
        .await;
    r.assert_problem(409, "USR-EMAIL-TAKEN");
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "OLD@acme.test"})),
        )
        .await;
    assert_eq!(r.status, 201, "the old address stayed reserved: {r:?}");
    // A case-only change keeps the address reserved for its owner.
    let r = app
        .call(
            Method::PUT,
            &format!("/users/{user}/email"),
            Some(json!({"email": "NEW@acme.test"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "new@acme.test"})),
        )
        .await;
    r.assert_problem(409, "USR-EMAIL-TAKEN");
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn an_email_reserved_by_a_registration_that_died_is_taken_over_after_a_minute() {
    use chronid_domain::reservation::{email_key, Reservation, ReservationEvent};
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    // What a process that died between reserving and registering leaves behind.
    let store = app.app.executor().store::<Reservation>();
    let leave_orphan = |email: &str, minutes_ago: i64| {
        let key = email_key(
            app.account_id,
            &chronid_domain::values::Email::parse(email).unwrap(),
        );
        let event = ReservationEvent::Claimed {
            owner: uuid::Uuid::now_v7(),
            account_id: Some(app.account_id),
            at: chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
        };
        (key, event)
    };
    for (email, minutes_ago) in [("ghost@acme.test", 5), ("fresh@acme.test", 0)] {
        let (key, event) = leave_orphan(email, minutes_ago);
        let context = store.load(&key).await.unwrap();
        let meta = chronid_domain::metadata::RequestFacts::system().to_metadata(chrono::Utc::now());
        store.append(&[event], &context, &meta).await.unwrap();
    }
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "Ghost@acme.test"})),
        )
        .await;
    assert_eq!(
        r.status, 201,
        "an orphaned reservation blocked the address: {r:?}"
    );
    // Too recent to be an orphan: it may be a registration still in progress.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "fresh@acme.test"})),
        )
        .await;
    r.assert_problem(409, "USR-EMAIL-TAKEN");
    // A reservation held by a user who exists is never taken over.
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "ghost@acme.test"})),
        )
        .await;
    r.assert_problem(409, "USR-EMAIL-TAKEN");
    drop(app);
    env.cleanup().await.unwrap();
}
