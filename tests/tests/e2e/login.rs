//! Password login, lockout, sessions and logout over HTTP.

use std::sync::Arc;

use chronid_crypto::{Argon2Hasher, Argon2Params};
use chronid_domain::values::{Email, Name, Password};
use chronid_tests::server::{spawn_app_with, test_services, ManualClock, TestApp};
use chronid_tests::TestEnv;
use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::{reply, spawn_app, Calls, Reply};

const PASSWORD: &str = "jane-has-a-long-password";

async fn create_jane(app: &TestApp) -> Uuid {
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(
                json!({"email": "Jane@Acme.test", "username": "jane", "first_name": "Jane",
                "password": PASSWORD}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["id"].as_str().unwrap().parse().unwrap()
}

async fn post_login(app: &TestApp, body: Value, device: Option<&str>) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/v1/login", app.base))
        .header("user-agent", "login-test/1.0")
        .json(&body);
    if let Some(device) = device {
        req = req.header("x-device-token", device);
    }
    req.send().await.unwrap()
}

async fn login(app: &TestApp, body: Value) -> Reply {
    reply(post_login(app, body, None).await).await
}

/// Calls `method /v1{path}` with a session token.
async fn as_session(app: &TestApp, token: &str, method: Method, path: &str) -> Reply {
    let req = app
        .http
        .request(method, format!("{}/v1{path}", app.base))
        .bearer_auth(token);
    reply(req.send().await.unwrap()).await
}

fn token(r: &Reply) -> String {
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "ok", "{r:?}");
    r.body["session"]["token"].as_str().unwrap().to_string()
}

/// The user's stored events: (type, payload) in order.
async fn user_events(env: &TestEnv, user: Uuid) -> Vec<(String, Value)> {
    sqlx::query_as(
        "SELECT event_type, payload FROM events
          WHERE aggregate_type = 'user' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(user.to_string())
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

fn inner(payload: &Value) -> &Value {
    payload.as_object().unwrap().values().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_by_email_or_username_opens_a_session_until_logout() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let jane = create_jane(&app).await;

    // By email, in another case; a new device gets a token (also as a cookie).
    let resp = post_login(
        &app,
        json!({"login": "JANE@acme.test", "password": PASSWORD}),
        None,
    )
    .await;
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let first = reply(resp).await;
    let t1 = token(&first);
    assert!(t1.len() > 60, "a long opaque token");
    assert_eq!(first.body["user_id"], jane.to_string());
    assert_eq!(first.body["account_id"], app.account_id.to_string());
    let device = first.body["device_token"].as_str().unwrap().to_string();
    assert!(
        cookie.starts_with(&format!("chronid_device={device};")),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    // By username, from the same device, choosing German: the device is recognised and the
    // language becomes the user's.
    let second = reply(
        post_login(
            &app,
            json!({"login": "Jane", "password": PASSWORD, "language": "de", "account_id": app.account_id}),
            Some(&device),
        )
        .await,
    )
    .await;
    let t2 = token(&second);
    assert_eq!(second.body["device_token"], device.as_str());

    // Both sessions are listed; the one calling is marked.
    let mine = as_session(&app, &t1, Method::GET, "/me/sessions").await;
    assert_eq!(mine.status, 200, "{mine:?}");
    let sessions = mine.body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{mine:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(sessions.iter().all(|s| s["method"] == "password"));
    // A member's session is no admin credential.
    let admin = as_session(
        &app,
        &t1,
        Method::GET,
        &format!("/accounts/{}/users", app.account_id),
    )
    .await;
    admin.assert_problem(403, "AUTH-FORBIDDEN");

    // Revoke the second session from the first; log out of the first.
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = as_session(&app, &t1, Method::DELETE, &format!("/me/sessions/{other}")).await;
    assert_eq!(r.status, 204, "{r:?}");
    as_session(&app, &t2, Method::GET, "/me/sessions")
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");
    let r = as_session(&app, &t1, Method::DELETE, &format!("/me/sessions/{other}")).await;
    r.assert_problem(404, "SESSION-NOT-FOUND");
    let r = as_session(&app, &t1, Method::POST, "/logout").await;
    assert_eq!(r.status, 204, "{r:?}");
    as_session(&app, &t1, Method::GET, "/me/sessions")
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");
    // An API key has no session to end.
    let r = app
        .http
        .post(format!("{}/v1/logout", app.base))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    reply(r).await.assert_problem(403, "AUTH-SESSION-REQUIRED");

    // The history: logins with the request facts, the language, the ends of both sessions.
    let events = user_events(&env, jane).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "UserRegistered",
            "LoginSucceeded",
            "UserLanguageChanged",
            "LoginSucceeded",
            "SessionsEnded",
            "UserLoggedOut"
        ]
    );
    let logins: Vec<&Value> = events
        .iter()
        .filter(|(t, _)| t == "LoginSucceeded")
        .map(|(_, p)| inner(p))
        .collect();
    assert_eq!(logins[0]["device_id"], logins[1]["device_id"]);
    let meta: Vec<Value> = sqlx::query_scalar(
        "SELECT metadata FROM events WHERE aggregate_id = $1 AND event_type = 'LoginSucceeded'",
    )
    .bind(jane.to_string())
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert!(
        meta.iter()
            .all(|m| m["user_agent"] == "login-test/1.0" && m["ip"] == "127.0.0.1"),
        "{meta:?}"
    );
    // The token's secret is nowhere in the store.
    // The secret follows the two ids and may itself hold `_`.
    let secret = t1.splitn(4, '_').nth(3).unwrap();
    assert_eq!(secret.len(), 43);
    let leaked: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'")
            .bind(secret)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(leaked, 0);
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_login_and_wrong_password_give_byte_identical_answers() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    create_jane(&app).await;
    let mut bodies = Vec::new();
    for body in [
        json!({"login": "jane@acme.test", "password": "not-her-password"}),
        json!({"login": "nobody@acme.test", "password": "not-her-password"}),
        json!({"login": "jane", "password": "x"}),
        json!({"login": "nobody", "password": PASSWORD}),
        json!({"login": "jane", "password": PASSWORD, "account_id": Uuid::now_v7()}),
    ] {
        let resp = post_login(&app, body.clone(), None).await;
        assert_eq!(resp.status(), 401, "{body}");
        assert_eq!(
            resp.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        bodies.push(resp.bytes().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    let problem: Value = serde_json::from_slice(&bodies[0]).unwrap();
    assert_eq!(problem["code"], "AUTH-INVALID-CREDENTIALS");
    // Bad input is still bad input.
    let r = login(
        &app,
        json!({"login": "jane", "password": PASSWORD, "extra": 1}),
    )
    .await;
    r.assert_problem(400, "REQ-INVALID-BODY");
    let r = login(
        &app,
        json!({"login": "jane", "password": PASSWORD, "language": "klingon"}),
    )
    .await;
    r.assert_problem(400, "VALIDATION");
    assert_eq!(r.body["field"], "language");
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_lock_after_exactly_the_limit() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let jane = create_jane(&app).await;
    let r = app
        .call(
            Method::PUT,
            "/security-policy",
            Some(json!({"max_inactivity_days": 90, "max_login_attempts": 5,
                "password_validity_days": null, "two_factor": "off"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    let attempts = (0..100).map(|i| {
        let app = &app;
        async move {
            login(
                app,
                json!({"login": "jane", "password": format!("wrong-password-{i}")}),
            )
            .await
        }
    });
    let replies = futures::future::join_all(attempts).await;
    for r in &replies {
        r.assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    }

    // The right password now meets the lock, and is answered exactly like a wrong one: a lock
    // that told the right password apart would let guessing go on, uncounted.
    let right = login(&app, json!({"login": "jane", "password": PASSWORD})).await;
    right.assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    let wrong = login(
        &app,
        json!({"login": "jane", "password": "wrong-after-lock"}),
    )
    .await;
    assert_eq!(right.body, wrong.body);

    let events = user_events(&env, jane).await;
    let lock_at = events
        .iter()
        .position(|(t, _)| t == "UserLocked")
        .expect("locked");
    let before: Vec<&Value> = events[..lock_at]
        .iter()
        .filter(|(t, _)| t == "LoginFailed")
        .map(|(_, p)| inner(p))
        .collect();
    assert_eq!(before.len(), 5, "exactly five failures before the lock");
    let counts: Vec<i64> = before
        .iter()
        .map(|f| f["failed_attempts"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [1, 2, 3, 4, 5]);
    let lock = inner(&events[lock_at].1);
    assert_eq!(lock["reason"], "policy");
    assert_eq!(lock["failed_attempts"], 5);
    assert_eq!(events.iter().filter(|(t, _)| t == "UserLocked").count(), 1);
    // Every other attempt is refused without an event (the user's history does not grow with a
    // flood at a locked user) and counted in a metric instead.
    assert!(
        events[lock_at..].iter().all(|(t, _)| t != "LoginFailed"),
        "{events:?}"
    );
    assert_eq!(
        app.app
            .auth_metrics()
            .refused_locked
            .load(std::sync::atomic::Ordering::Relaxed),
        97,
        "95 wrong passwords, then the right one and one more wrong one"
    );

    // An admin unlocks; the right password works and the count starts again.
    let r = app
        .call(Method::POST, &format!("/users/{jane}/unlock"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    token(&login(&app, json!({"login": "jane", "password": PASSWORD})).await);
    login(&app, json!({"login": "jane", "password": "wrong-again-1"}))
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    let last = user_events(&env, jane).await;
    assert_eq!(inner(&last.last().unwrap().1)["failed_attempts"], 1);
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_in_several_accounts_asks_which_one() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    create_jane(&app).await;
    // The same address (another case) in a second account, with the same password.
    let beta = app
        .app
        .bootstrap(
            Name::parse("name", "Beta").unwrap(),
            Email::parse("jane@ACME.test").unwrap(),
            None,
            Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let r = login(
        &app,
        json!({"login": "jane@acme.test", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "choose_account");
    assert_eq!(
        r.body["accounts"],
        json!([{"id": app.account_id, "name": "Acme"}, {"id": beta.account_id, "name": "Beta"}])
    );
    let r = login(
        &app,
        json!({"login": "jane@acme.test", "password": PASSWORD, "account_id": beta.account_id}),
    )
    .await;
    token(&r);
    assert_eq!(r.body["account_id"], beta.account_id.to_string());
    // A wrong password in both: the same 401, and each account's user counts one failure.
    let r = login(
        &app,
        json!({"login": "jane@acme.test", "password": "wrong-for-both"}),
    )
    .await;
    r.assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    let counted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'LoginFailed'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(counted, 2);
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_end_when_idle_or_old_and_refused_users_cannot_log_in() {
    let env = TestEnv::new().await.unwrap();
    let clock = ManualClock::starting_now();
    let mut services = test_services();
    services.clock = clock.clone();
    let app = spawn_app_with(&env, env.pool.clone(), services)
        .await
        .unwrap();
    let jane = create_jane(&app).await;
    let body = json!({"login": "jane", "password": PASSWORD});

    // Idle: used every 29 minutes it lives on; left for 31 it ends.
    let t = token(&login(&app, body.clone()).await);
    for _ in 0..3 {
        clock.advance(Duration::minutes(29));
        let r = as_session(&app, &t, Method::GET, "/me/sessions").await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    clock.advance(Duration::minutes(31));
    as_session(&app, &t, Method::GET, "/me/sessions")
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");

    // Absolute: however busy, a session ends 12 hours after login.
    let t = token(&login(&app, body.clone()).await);
    for _ in 0..(12 * 60 / 20 - 1) {
        clock.advance(Duration::minutes(20));
        let r = as_session(&app, &t, Method::GET, "/me/sessions").await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    clock.advance(Duration::minutes(20));
    as_session(&app, &t, Method::GET, "/me/sessions")
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");

    // Locked by an admin: sessions end, the right password is refused as locked.
    let t = token(&login(&app, body.clone()).await);
    let r = app
        .call(Method::POST, &format!("/users/{jane}/lock"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    as_session(&app, &t, Method::GET, "/me/sessions")
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");
    login(&app, body.clone())
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    app.call(Method::POST, &format!("/users/{jane}/unlock"), None)
        .await;
    // Disabled: refused like a wrong password; the attempt is counted in a metric, not written.
    let r = app
        .call(Method::POST, &format!("/users/{jane}/disable"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let before = user_events(&env, jane).await.len();
    login(&app, body.clone())
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    login(
        &app,
        json!({"login": "jane", "password": "not the password"}),
    )
    .await
    .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    assert_eq!(user_events(&env, jane).await.len(), before);
    assert_eq!(
        app.app
            .auth_metrics()
            .refused_disabled
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    // Password login turned off for the account: the right password is not enough.
    app.call(Method::POST, &format!("/users/{jane}/enable"), None)
        .await;
    let r = app
        .call(
            Method::PUT,
            "/login-options",
            Some(json!({"password": false, "google": true, "github": false, "sso": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    login(&app, body)
        .await
        .assert_problem(403, "AUTH-METHOD-NOT-ALLOWED");
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_logins_queues_then_is_told_to_retry() {
    let env = TestEnv::new().await.unwrap();
    let mut services = test_services();
    // One hash at a time, two waiting, each costing real work.
    let params = Argon2Params {
        memory_kib: 16 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    services.hasher = Arc::new(Argon2Hasher::with_queue(params, 1, 2).unwrap());
    let app = spawn_app_with(&env, env.pool.clone(), services)
        .await
        .unwrap();
    create_jane(&app).await;
    let attempts = (0..12).map(|_| {
        let app = &app;
        async move { post_login(app, json!({"login": "jane", "password": PASSWORD}), None).await }
    });
    let responses = futures::future::join_all(attempts).await;
    let mut ok = 0;
    let mut busy = 0;
    for resp in responses {
        match resp.status().as_u16() {
            200 => ok += 1,
            503 => {
                assert_eq!(resp.headers().get("retry-after").unwrap(), "1");
                let r = reply(resp).await;
                r.assert_problem(503, "SERVER-BUSY");
                busy += 1;
            }
            other => panic!("unexpected {other}: {:?}", reply(resp).await),
        }
    }
    assert!(ok >= 3, "{ok} logged in");
    assert!(busy >= 1, "{busy} told to retry");
    assert_eq!(ok + busy, 12);
    drop(app);
    env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweeper_disables_only_users_inactive_past_the_limit() {
    let env = TestEnv::new().await.unwrap();
    let clock = ManualClock::starting_now();
    let mut services = test_services();
    services.clock = clock.clone();
    let (app, _workers) = chronid_tests::server::spawn_full(&env, services)
        .await
        .unwrap();
    let jane = create_jane(&app).await;
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "bob@acme.test", "password": PASSWORD})),
        )
        .await;
    let bob: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    let r = app
        .call(
            Method::PUT,
            "/security-policy",
            Some(json!({"max_inactivity_days": 15, "max_login_attempts": 5,
                "password_validity_days": null, "two_factor": "off"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    // Bob logs in on day 10; on day 16 Jane and the bootstrap admin (never logged in since their
    // passwords were set) are past the limit, Bob is not.
    clock.advance(Duration::days(10));
    token(
        &login(
            &app,
            json!({"login": "bob@acme.test", "password": PASSWORD}),
        )
        .await,
    );
    clock.advance(Duration::days(6));
    let r = login(
        &app,
        json!({"login": "bob@acme.test", "password": PASSWORD}),
    )
    .await;
    let position = r.body["position"].as_i64().unwrap();
    let seen = app
        .call(
            Method::GET,
            &format!("/users/{bob}?min_position={position}"),
            None,
        )
        .await;
    assert_eq!(seen.status, 200, "{seen:?}");

    assert_eq!(app.app.sweep_inactive().await.unwrap(), 2);
    let events = user_events(&env, jane).await;
    let (last_type, last) = events.last().unwrap();
    assert_eq!(last_type, "UserDisabled");
    assert_eq!(inner(last)["reason"], "inactivity");
    login(&app, json!({"login": "jane", "password": PASSWORD}))
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    assert_eq!(
        user_events(&env, bob).await.last().unwrap().0,
        "LoginSucceeded"
    );
    // Once the view shows Jane disabled, a second sweep has nothing to do; meanwhile it would
    // only be refused by Jane herself.
    assert_eq!(app.app.sweep_inactive().await.unwrap(), 0);
    drop(app);
    env.cleanup().await.unwrap();
}
