//! Flows and errors the other end-to-end tests left out: a lock that runs out, a reset link that
//! does not lift an administrator's lock, email with no mail server configured, the
//! authenticator's refusals, a wrong code at enrolment during login, a view that does not catch
//! up in time, the device cookie and a forged device token, forgot-password by username and
//! with an account.

use std::sync::Arc;

use chronid_notify::{Notifier, NotifierConfig};
use chronid_tests::peers::Peers;
use chronid_tests::server::{spawn_app_with, test_services, Delivering, ManualClock, TestApp};
use chronid_tests::TestEnv;
use chrono::Duration;
use reqwest::Method;
use serde_json::json;

use crate::credentials::{
    answer, as_session, at, challenge, create_user, event_types, login, mailed_code, post,
    session_token, token_in_link, wait_for_event, PASSWORD,
};
use crate::support::{reply, Calls};

struct Setup {
    env: TestEnv,
    app: TestApp,
    peers: Peers,
    clock: Arc<ManualClock>,
    _delivering: Option<Delivering>,
}

async fn setup(delivering: bool) -> Setup {
    let env = TestEnv::new().await.unwrap();
    let peers = Peers::start().await.unwrap();
    let clock = ManualClock::starting_now();
    let mut services = test_services();
    services.clock = clock.clone();
    let app = spawn_app_with(&env, env.pool.clone(), services)
        .await
        .unwrap();
    let delivering = delivering.then(|| Delivering::start(&env, &app.app, &peers).unwrap());
    Setup {
        env,
        app,
        peers,
        clock,
        _delivering: delivering,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lock_with_minutes_runs_out_and_the_next_login_records_it() {
    let s = setup(false).await;
    let (user, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"max_login_attempts": 2, "lock_minutes": 15}))
        .await;
    for _ in 0..2 {
        login(&s.app, &email, "not-the-password", None)
            .await
            .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    }
    login(&s.app, &email, PASSWORD, None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    s.clock.advance(Duration::minutes(14));
    login(&s.app, &email, PASSWORD, None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    s.clock.advance(Duration::minutes(1));
    session_token(&login(&s.app, &email, PASSWORD, None).await);
    let unlocked: String = sqlx::query_scalar(
        "SELECT payload -> 'UserUnlocked' ->> 'reason' FROM events
          WHERE aggregate_id = $1 AND event_type = 'UserUnlocked'",
    )
    .bind(user.to_string())
    .fetch_one(&s.env.pool)
    .await
    .unwrap();
    assert_eq!(unlocked, "expired");
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_link_does_not_lift_an_administrators_lock() {
    let s = setup(true).await;
    let (user, email) = create_user(&s.app, None).await;
    let r = s
        .app
        .call(Method::POST, &format!("/users/{user}/lock"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        post(&s.app, "/password/forgot", json!({"login": email}), None)
            .await
            .status,
        202
    );
    let link = token_in_link(&s.peers.nth_mail_to(&email, 1).await.unwrap().body);
    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": link, "new_password": "a brand new passphrase"}),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    login(&s.app, &email, "a brand new passphrase", None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    assert!(!event_types(&s.env, "user", user)
        .await
        .iter()
        .any(|t| t == "UserUnlocked"));
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_mail_server_a_reset_email_is_recorded_as_failed() {
    let s = setup(false).await;
    let (user, email) = create_user(&s.app, None).await;
    // A notifier with no mailer configured (no CHRONID_SMTP_URL), behind a relay.
    let relay = chronid_stream::relay::Relay::new(
        s.env.pool.clone(),
        s.env.js.clone(),
        s.env.stream.clone(),
        chronid_stream::relay::RelayOptions::default(),
    );
    let notifier = Notifier::new(
        s.app.app.clone(),
        s.env.js.clone(),
        s.env.stream.clone(),
        NotifierConfig {
            public_url: "https://id.acme.test".into(),
            mailer: None,
            phone: None,
            retry_delay: std::time::Duration::from_millis(10),
        },
    )
    .unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let (rx1, rx2) = (rx.clone(), rx);
    let tasks = [
        tokio::spawn(async move {
            relay.run(rx1).await.unwrap();
        }),
        tokio::spawn(async move { notifier.run(rx2).await }),
    ];
    assert_eq!(
        post(&s.app, "/password/forgot", json!({"login": email}), None)
            .await
            .status,
        202
    );
    wait_for_event(&s.env, user, "PasswordResetEmailFailed").await;
    let error: String = sqlx::query_scalar(
        "SELECT payload -> 'PasswordResetEmailFailed' ->> 'error' FROM events
          WHERE aggregate_id = $1 AND event_type = 'PasswordResetEmailFailed'",
    )
    .bind(user.to_string())
    .fetch_one(&s.env.pool)
    .await
    .unwrap();
    assert!(!error.is_empty());
    stop.send(true).unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_authenticators_refusals_and_a_phone_channel_without_a_phone() {
    let s = setup(true).await;
    let (user, email) = create_user(&s.app, None).await;
    let t = session_token(&login(&s.app, &email, PASSWORD, None).await);
    let code = |c: &str| Some(json!({ "code": c }));
    as_session(&s.app, &t, Method::POST, "/me/totp/confirm", code("123456"))
        .await
        .assert_problem(409, "TOTP-NOT-ENROLLED");
    as_session(&s.app, &t, Method::POST, "/me/totp/reset", code("123456"))
        .await
        .assert_problem(409, "TOTP-NOT-ENABLED");
    as_session(&s.app, &t, Method::DELETE, "/me/totp", code("123456"))
        .await
        .assert_problem(409, "TOTP-NOT-ENABLED");
    as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "sms"})),
    )
    .await
    .assert_problem(400, "USR-PHONE-REQUIRED");
    let secret = as_session(&s.app, &t, Method::POST, "/me/totp", None)
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let now = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let r = as_session(&s.app, &t, Method::POST, "/me/totp/confirm", code(&now)).await;
    assert_eq!(r.status, 204, "{r:?}");
    as_session(&s.app, &t, Method::POST, "/me/totp", None)
        .await
        .assert_problem(409, "TOTP-ALREADY-ENABLED");
    as_session(&s.app, &t, Method::POST, "/me/totp/confirm", code(&now))
        .await
        .assert_problem(409, "TOTP-ALREADY-ENABLED");
    assert!(event_types(&s.env, "user", user)
        .await
        .iter()
        .any(|t| t == "TotpConfirmed"));
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrong_code_at_enrolment_during_login_uses_a_try_and_counts() {
    let s = setup(true).await;
    let (user, email) = create_user(&s.app, None).await;
    s.app.require_two_factor(user, true).await;
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let code = mailed_code(&s.peers, &email, 1).await;
    let r = answer(&s.app, &id, &code, Some(&device)).await;
    let enrol = challenge(&r, "totp");
    let secret = r.body["enrolment"]["secret"].as_str().unwrap().to_string();
    let right = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let r = answer(&s.app, &enrol, wrong, Some(&device)).await;
    r.assert_problem(401, "AUTH-CODE-INVALID");
    assert!(
        r.body["detail"].as_str().unwrap().contains("4 tries left"),
        "{r:?}"
    );
    session_token(&answer(&s.app, &enrol, &right, Some(&device)).await);
    let failures: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT (payload -> 'TwoFactorChallengeFailed' ->> 'failed_attempts')::bigint FROM events
          WHERE aggregate_id = $1 AND event_type = 'TwoFactorChallengeFailed'",
    )
    .bind(user.to_string())
    .fetch_all(&s.env.pool)
    .await
    .unwrap();
    assert_eq!(failures, vec![Some(1)]);
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_view_that_does_not_catch_up_in_time_says_so() {
    // No projection workers: the view never reaches the position.
    let s = setup(false).await;
    let (user, _) = create_user(&s.app, None).await;
    let position: i64 = sqlx::query_scalar("SELECT max(global_seq) FROM events")
        .fetch_one(&s.env.pool)
        .await
        .unwrap();
    let r = s
        .app
        .call(
            Method::GET,
            &format!("/users/{user}?min_position={position}"),
            None,
        )
        .await;
    r.assert_problem(503, "VIEW-NOT-CAUGHT-UP");
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_device_cookie_is_read_and_a_forged_device_token_is_a_new_device() {
    let s = setup(true).await;
    let (_, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"two_factor": "new_device"}))
        .await;
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let code = mailed_code(&s.peers, &email, 1).await;
    session_token(&answer(&s.app, &id, &code, Some(&device)).await);
    // The browser's cookie names the trusted device: no challenge.
    let by_cookie = |token: String| {
        let req = s
            .app
            .http
            .post(format!("{}/v1/login", s.app.base))
            .header("cookie", format!("other=1; chronid_device={token}"))
            .json(&json!({"login": email, "password": PASSWORD}));
        async move { reply(req.send().await.unwrap()).await }
    };
    let r = by_cookie(device.clone()).await;
    session_token(&r);
    // A token with the device's id and another secret, or garbage, is no device of the user's.
    let id_part: String = device.split('_').take(2).collect::<Vec<_>>().join("_");
    for forged in [
        format!("{id_part}_forgedsecretforgedsecret"),
        "chd_nonsense".into(),
    ] {
        let r = by_cookie(forged).await;
        challenge(&r, "email");
        assert_ne!(r.body["device_token"].as_str().unwrap(), device);
    }
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forgot_password_by_username_and_within_one_account() {
    let s = setup(true).await;
    let email = format!("ana-{}@acme.test", uuid::Uuid::now_v7().simple());
    let username = format!("ana{}", &uuid::Uuid::now_v7().simple().to_string()[24..]);
    let r = s
        .app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": email, "username": username, "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        post(&s.app, "/password/forgot", json!({"login": username}), None)
            .await
            .status,
        202
    );
    s.peers.nth_mail_to(&email, 1).await.unwrap();
    // Named in another account: no link; named in its own: a link.
    let other = uuid::Uuid::now_v7();
    for account in [other, s.app.account_id] {
        let r = post(
            &s.app,
            "/password/forgot",
            json!({"login": email, "account_id": account}),
            None,
        )
        .await;
        assert_eq!(r.status, 202, "{r:?}");
    }
    s.peers.nth_mail_to(&email, 2).await.unwrap();
    let requests: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'PasswordResetRequested'",
    )
    .fetch_one(&s.env.pool)
    .await
    .unwrap();
    assert_eq!(requests, 2, "the other account's request found no one");
    s.env.cleanup().await.unwrap();
}

/// The notifier sends once: the same request met again on the stream (a redelivery, a replay,
/// or a forged copy labelled as another event) finds its delivery recorded and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_met_twice_on_the_stream_is_mailed_once() {
    let s = setup(true).await;
    let (user, email) = create_user(&s.app, None).await;
    assert_eq!(
        post(&s.app, "/password/forgot", json!({"login": email}), None)
            .await
            .status,
        202
    );
    s.peers.nth_mail_to(&email, 1).await.unwrap();
    wait_for_event(&s.env, user, "PasswordResetEmailSent").await;
    let messages = chronid_tests::read_raw_stream_messages(&s.env.js, &s.env.stream.stream)
        .await
        .unwrap();
    let request = messages
        .iter()
        .find(|m| m.subject.ends_with(".user.PasswordResetRequested"))
        .unwrap();
    // The same message again, under another message id (the duplicate window would drop it),
    // and forged copies relabelled: as a code challenge, and as another aggregate's event. The
    // notifier reads what to send from the stored event, never from the message.
    let original: serde_json::Value = serde_json::from_slice(&request.payload).unwrap();
    let mut as_challenge = original.clone();
    as_challenge["type"] = json!("TwoFactorChallengeIssued");
    let mut as_account = original.clone();
    as_account["aggregate_type"] = json!("account");
    let mut ack = None;
    for (i, body) in [original, as_challenge, as_account].iter().enumerate() {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("the-same-request-again-{i}").as_str(),
        );
        ack = Some(
            s.env
                .js
                .publish_with_headers(
                    request.subject.clone(),
                    headers,
                    serde_json::to_vec(body).unwrap().into(),
                )
                .await
                .unwrap()
                .await
                .unwrap(),
        );
    }
    let ack = ack.unwrap();
    // Wait until the notifier has taken and acknowledged it.
    let stream = s.env.js.get_stream(&s.env.stream.stream).await.unwrap();
    chronid_tests::wait_until(
        "the notifier acknowledged the second copy",
        std::time::Duration::from_secs(30),
        || {
            let stream = stream.clone();
            async move {
                let mut consumer: async_nats::jetstream::consumer::PullConsumer = stream
                    .get_consumer("chronid-notifier")
                    .await
                    .map_err(anyhow::Error::msg)?;
                let info = consumer.info().await?;
                Ok(info.ack_floor.stream_sequence >= ack.sequence)
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(s.peers.mails_to(&email).await.unwrap().len(), 1);
    let sent = event_types(&s.env, "user", user)
        .await
        .iter()
        .filter(|t| *t == "PasswordResetEmailSent")
        .count();
    assert_eq!(sent, 1);
    s.env.cleanup().await.unwrap();
}

/// The audit log's filters on entries commands wrote: `username` matches the acting user and
/// the user acted upon, `ip` the client's address, `q` the description.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn audit_filters_match_actor_and_target_on_real_entries() {
    let env = TestEnv::new().await.unwrap();
    let (app, _workers) = chronid_tests::server::spawn_full(&env, test_services())
        .await
        .unwrap();
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "jane@acme.test", "username": "jane", "password": PASSWORD})),
        )
        .await;
    let jane = r.body["id"].as_str().unwrap().to_string();
    let joe = app.create_user("joe@acme.test").await;
    // Jane fails to log in (she acts); the API key locks her (she is acted upon).
    login(&app, "jane", "not-her-password", None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    let r = app
        .call(Method::POST, &format!("/users/{jane}/lock"), None)
        .await;
    let pos = r.body["position"].as_i64().unwrap();
    let r = app
        .call(Method::POST, &format!("/users/{joe}/lock"), None)
        .await;
    let last = r.body["position"].as_i64().unwrap().max(pos);
    let audit = |query: String| {
        let app = &app;
        async move {
            let r = app
                .call(
                    Method::GET,
                    &format!("/audit?{query}&min_position={last}&limit=1000"),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{r:?}");
            r.body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["description"].as_str().unwrap().to_string(), e.clone()))
                .collect::<Vec<_>>()
        }
    };
    let janes = audit("username=jane".into()).await;
    let texts: Vec<&str> = janes.iter().map(|(d, _)| d.as_str()).collect();
    assert!(
        texts.iter().any(|d| d.starts_with("User login failed")),
        "{texts:?}"
    );
    assert!(texts.contains(&"User locked."), "{texts:?}");
    assert!(
        janes
            .iter()
            .all(|(_, e)| e["aggregate_id"] == jane.as_str()),
        "only entries about jane: {janes:?}"
    );
    // Joe's lock is not jane's.
    let all_locks = audit("q=User%20locked".into()).await;
    assert_eq!(all_locks.len(), 2, "{all_locks:?}");
    assert_eq!(audit("username=jane&q=User%20locked".into()).await.len(), 1);
    // The client's address is recorded and filtered on.
    assert!(!audit("ip=127.0.0.1".into()).await.is_empty());
    assert!(audit("ip=203.0.113.99".into()).await.is_empty());
    env.cleanup().await.unwrap();
}
