//! The attacks of "close the second-factor and credential-attack holes", each performed over
//! HTTP by someone who knows the user's password (or holds a session, or floods the API from one
//! address), each watched to fail, with the legitimate path beside it.

use std::sync::Arc;

use chronid_http::edge::{Edge, RateLimits, TrustedProxies};
use chronid_http::ReadSide;
use chronid_tests::peers::Peers;
use chronid_tests::server::{
    spawn_app_edge, test_services, Delivering, ManualClock, TestApp, Workers,
};
use chronid_tests::TestEnv;
use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::credentials::{
    answer, as_session, at, challenge, create_user, event_types, login, mailed_code, post,
    session_token, token_in_link, PASSWORD,
};
use crate::support::{reply, Calls, Reply};

struct Setup {
    env: TestEnv,
    app: TestApp,
    peers: Peers,
    clock: Arc<ManualClock>,
    _delivering: Delivering,
    _workers: Option<Workers>,
}

/// The API with the notifier (and, with `views`, the projection workers) over a clock the test
/// moves, behind `edge`.
async fn setup_with(edge: Edge, views: bool) -> Setup {
    let env = TestEnv::new().await.unwrap();
    let peers = Peers::start().await.unwrap();
    let clock = ManualClock::starting_now();
    let mut services = test_services();
    services.clock = clock.clone();
    let workers = views.then(|| Workers::start(&env));
    let read = workers
        .as_ref()
        .map_or_else(ReadSide::default, Workers::read_side);
    let app = spawn_app_edge(&env, env.pool.clone(), services, read, edge)
        .await
        .unwrap();
    let delivering = Delivering::start(&env, &app.app, &peers).unwrap();
    Setup {
        env,
        app,
        peers,
        clock,
        _delivering: delivering,
        _workers: workers,
    }
}

fn no_limits() -> Edge {
    Edge::new(TrustedProxies::default(), RateLimits::unlimited())
}

async fn setup() -> Setup {
    setup_with(no_limits(), false).await
}

/// With the projection workers, for tests that read the views or the audit log.
async fn setup_with_views() -> Setup {
    setup_with(no_limits(), true).await
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" {
        "111111"
    } else {
        "000000"
    }
}

fn device_of(r: &Reply) -> String {
    r.body["device_token"].as_str().unwrap().to_string()
}

/// Logs in from a new device and passes the emailed code (the `n`-th mail): a session and a
/// trusted device.
async fn trusted_login(s: &Setup, email: &str, n: usize) -> (String, String) {
    trusted_login_with(s, email, PASSWORD, n).await
}

async fn trusted_login_with(s: &Setup, email: &str, password: &str, n: usize) -> (String, String) {
    let r = login(&s.app, email, password, None).await;
    let id = challenge(&r, "email");
    let device = device_of(&r);
    let code = mailed_code(&s.peers, email, n).await;
    let t = session_token(&answer(&s.app, &id, &code, Some(&device)).await);
    (t, device)
}

/// Item 1: an authenticator being set up (or replacing one after a reset) is not a factor.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pending_authenticator_does_not_replace_the_factor_the_user_has() {
    let s = setup().await;
    let (_, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"two_factor": "every_login"}))
        .await;
    let (t, _) = trusted_login(&s, &email, 1).await;
    // The user starts setting up an authenticator and stops before confirming it.
    let r = as_session(&s.app, &t, Method::POST, "/me/totp", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let pending = r.body["secret"].as_str().unwrap().to_string();

    // The attacker, with the password alone: the login still asks the emailed code, shows no
    // enrolment, and a code of the pending authenticator does not pass.
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    assert!(r.body.get("enrolment").is_none(), "{r:?}");
    let from_pending = s.peers.totp(&pending, Some(at(&s.clock, 0))).await.unwrap();
    let code = mailed_code(&s.peers, &email, 2).await;
    if from_pending != code {
        answer(&s.app, &id, &from_pending, None)
            .await
            .assert_problem(401, "AUTH-CODE-INVALID");
    }
    // The pending authenticator stayed unconfirmed, and the channel is still email.
    session_token(&answer(&s.app, &id, &code, None).await);
    let r = as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "totp"})),
    )
    .await;
    r.assert_problem(409, "TOTP-NOT-ENABLED");
    s.env.cleanup().await.unwrap();
}

/// Item 2: wrong codes lock the user like wrong passwords, across challenges; the password
/// holder cannot have more than 5 codes sent per 15 minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_codes_across_challenges_lock_the_user_and_code_sends_are_limited() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"two_factor": "every_login"}))
        .await;

    // Three wrong codes on one challenge, two on a fresh one: five failed attempts, locked.
    let mut mails = 0;
    let mut last_code = String::new();
    for (round, wrongs) in [3, 2].into_iter().enumerate() {
        let id = challenge(&login(&s.app, &email, PASSWORD, None).await, "email");
        mails += 1;
        last_code = mailed_code(&s.peers, &email, mails).await;
        for n in 0..wrongs {
            let r = answer(&s.app, &id, wrong(&last_code), None).await;
            if round == 1 && n == wrongs - 1 {
                r.assert_problem(403, "AUTH-USER-LOCKED");
            } else {
                r.assert_problem(401, "AUTH-CODE-INVALID");
            }
        }
        if round == 1 {
            // The lock ended the live challenge: its right code is refused now.
            answer(&s.app, &id, &last_code, None)
                .await
                .assert_problem(404, "AUTH-CHALLENGE-NOT-FOUND");
        }
    }
    let types = event_types(&s.env, "user", user).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "TwoFactorChallengeFailed")
            .count(),
        5,
        "{types:?}"
    );
    assert_eq!(types.iter().filter(|t| *t == "UserLocked").count(), 1);
    login(&s.app, &email, PASSWORD, None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    assert!(!last_code.is_empty());

    // Sends: an administrator unlocks; five logins send five codes, the sixth is refused with
    // a time to retry, and no sixth code goes out; a quarter of an hour later it works again.
    let (user2, email2) = create_user(&s.app, None).await;
    for n in 1..=5 {
        challenge(&login(&s.app, &email2, PASSWORD, None).await, "email");
        mailed_code(&s.peers, &email2, n).await;
    }
    let r = login(&s.app, &email2, PASSWORD, None).await;
    r.assert_problem(429, "AUTH-TOO-MANY-CODES");
    let types = event_types(&s.env, "user", user2).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "TwoFactorChallengeIssued")
            .count(),
        5
    );
    s.clock.advance(Duration::minutes(15));
    challenge(&login(&s.app, &email2, PASSWORD, None).await, "email");
    mailed_code(&s.peers, &email2, 6).await;
    s.env.cleanup().await.unwrap();
}

/// The Retry-After of the code limit is the time until the oldest of the five ages out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_code_limit_says_when_to_retry() {
    let s = setup().await;
    let (_, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"two_factor": "every_login"}))
        .await;
    for _ in 0..5 {
        challenge(&login(&s.app, &email, PASSWORD, None).await, "email");
        s.clock.advance(Duration::minutes(1));
    }
    let resp = s
        .app
        .http
        .post(format!("{}/v1/login", s.app.base))
        .json(&json!({"login": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    reply(resp).await.assert_problem(429, "AUTH-TOO-MANY-CODES");
    assert_eq!(retry, 10 * 60, "the first code ages out in 10 minutes");
    s.env.cleanup().await.unwrap();
}

/// Item 3: an expired password is asked to be changed only after the second factor.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_password_yields_no_change_token_before_the_second_factor() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"two_factor": "new_device", "password_validity_days": 1}))
        .await;
    s.clock.advance(Duration::days(2));

    // The password alone: a challenge, no change token, no PasswordChangeRequired.
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    assert!(r.body.get("change_token").is_none(), "{r:?}");
    let device = device_of(&r);
    let code = mailed_code(&s.peers, &email, 1).await;
    answer(&s.app, &id, wrong(&code), Some(&device))
        .await
        .assert_problem(401, "AUTH-CODE-INVALID");
    assert!(!event_types(&s.env, "user", user)
        .await
        .iter()
        .any(|t| t == "PasswordChangeRequired"));

    // With the code: the change token, and a new password through it.
    let r = answer(&s.app, &id, &code, Some(&device)).await;
    assert_eq!(r.body["status"], "password_change_required", "{r:?}");
    let token = r.body["change_token"].as_str().unwrap();
    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": token, "new_password": "a fresh passphrase for ana"}),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    s.env.cleanup().await.unwrap();
}

/// Item 4: secrets checked from a session count and lock like logins, and are audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_secrets_from_a_session_count_lock_and_are_audited() {
    let s = setup_with_views().await;
    let (user, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"max_login_attempts": 3}))
        .await;
    let t = session_token(&login(&s.app, &email, PASSWORD, None).await);
    let change = |current: &str| json!({"current_password": current, "new_password": "another passphrase 42"});
    for _ in 0..2 {
        as_session(
            &s.app,
            &t,
            Method::POST,
            "/me/password",
            Some(change("guess")),
        )
        .await
        .assert_problem(403, "AUTH-WRONG-PASSWORD");
    }
    // The third wrong guess locks the user and ends the session it came from.
    as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/password",
        Some(change("guess")),
    )
    .await
    .assert_problem(403, "AUTH-USER-LOCKED");
    as_session(&s.app, &t, Method::GET, "/me/sessions", None)
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");
    let types = event_types(&s.env, "user", user).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "PasswordChangeFailed")
            .count(),
        3,
        "{types:?}"
    );
    let pos: i64 = sqlx::query_scalar("SELECT max(global_seq) FROM events")
        .fetch_one(&s.env.pool)
        .await
        .unwrap();
    let r = s
        .app
        .call(
            Method::GET,
            &format!("/audit?q=Password%20update%20failed&min_position={pos}"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let entries = r.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{r:?}");
    assert!(entries.iter().all(|e| e["outcome"] == "failed"));

    // Authenticator codes given to reset or turn it off count the same way.
    s.app
        .call(Method::POST, &format!("/users/{user}/unlock"), None)
        .await;
    let t = session_token(&login(&s.app, &email, PASSWORD, None).await);
    let secret = as_session(&s.app, &t, Method::POST, "/me/totp", None)
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let code = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let r = as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/totp/confirm",
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    let id = challenge(&login(&s.app, &email, PASSWORD, None).await, "totp");
    s.clock.advance(Duration::seconds(30));
    let code = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let t = session_token(&answer(&s.app, &id, &code, None).await);
    // The code just used is a replay; two made-up ones are wrong; the third failure locks.
    as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/totp/reset",
        Some(json!({"code": code})),
    )
    .await
    .assert_problem(401, "TOTP-CODE-REUSED");
    as_session(
        &s.app,
        &t,
        Method::DELETE,
        "/me/totp",
        Some(json!({"code": wrong(&code)})),
    )
    .await
    .assert_problem(401, "TOTP-CODE-INVALID");
    as_session(
        &s.app,
        &t,
        Method::DELETE,
        "/me/totp",
        Some(json!({"code": wrong(&code)})),
    )
    .await
    .assert_problem(403, "AUTH-USER-LOCKED");
    let types = event_types(&s.env, "user", user).await;
    assert_eq!(types.iter().filter(|t| *t == "TotpCodeRejected").count(), 3);
    assert!(!types.iter().any(|t| t == "TotpDisabled"));
    s.env.cleanup().await.unwrap();
}

async fn device_events(env: &TestEnv, device_token: &str) -> Vec<(String, Value)> {
    // The token is chd_<device id>_<secret>: the id is the first part after the prefix.
    let id = device_token.split('_').nth(1).unwrap().to_string();
    let id: Uuid = id.parse().unwrap();
    sqlx::query_as::<_, (String, Value)>(
        "SELECT event_type, payload FROM events WHERE aggregate_type = 'device'
          AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(id.to_string())
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

/// Item 5: trust lasts its days and ends with a password change, a lock, a revocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trusted_devices_expire_and_are_revoked() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"two_factor": "new_device"}))
        .await;

    // Trusted: listed, and the next login skips the code, until the trust's 30 days are over.
    let (t, device) = trusted_login(&s, &email, 1).await;
    let r = as_session(&s.app, &t, Method::GET, "/me/devices", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let devices = r.body["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{r:?}");
    assert_eq!(devices[0]["current"], true);
    session_token(&login(&s.app, &email, PASSWORD, Some(&device)).await);
    s.clock.advance(Duration::days(30));
    challenge(
        &login(&s.app, &email, PASSWORD, Some(&device)).await,
        "email",
    );

    // A password change ends the trust (DeviceRevoked, password_changed).
    let (t, device) = trusted_login(&s, &email, 3).await;
    let pw = PASSWORD.to_string() + "!";
    let r = as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/password",
        Some(json!({"current_password": PASSWORD, "new_password": pw})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    let events = device_events(&s.env, &device).await;
    let (last, payload) = events.last().unwrap();
    assert_eq!(last, "DeviceRevoked");
    assert_eq!(payload["DeviceRevoked"]["reason"], "password_changed");
    challenge(&login(&s.app, &email, &pw, Some(&device)).await, "email");

    // A lock ends it too, and it stays ended after the unlock.
    let (_, device) = trusted_login_with(&s, &email, &pw, 5).await;
    for step in ["lock", "unlock"] {
        let r = s
            .app
            .call(Method::POST, &format!("/users/{user}/{step}"), None)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let events = device_events(&s.env, &device).await;
    assert_eq!(
        events.last().unwrap().1["DeviceRevoked"]["reason"],
        "locked"
    );
    // (Five codes went out within a quarter of an hour: let the window pass.)
    s.clock.advance(Duration::minutes(16));
    challenge(&login(&s.app, &email, &pw, Some(&device)).await, "email");

    // The user revokes a device; nobody revokes someone else's.
    let (t, device) = trusted_login_with(&s, &email, &pw, 7).await;
    let listed = as_session(&s.app, &t, Method::GET, "/me/devices", None).await;
    let ids: Vec<&str> = listed.body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "only the trusted device that is left: {listed:?}"
    );
    let device_id = ids[0].to_string();
    let (_, other_email) = create_user(&s.app, None).await;
    let (other, _) = trusted_login(&s, &other_email, 1).await;
    as_session(
        &s.app,
        &other,
        Method::DELETE,
        &format!("/me/devices/{device_id}"),
        None,
    )
    .await
    .assert_problem(404, "DEV-NOT-FOUND");
    session_token(&login(&s.app, &email, &pw, Some(&device)).await);
    let r = as_session(
        &s.app,
        &t,
        Method::DELETE,
        &format!("/me/devices/{device_id}"),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    challenge(&login(&s.app, &email, &pw, Some(&device)).await, "email");

    // An administrator revokes every device of the user.
    let (_, device) = trusted_login_with(&s, &email, &pw, 9).await;
    let r = s
        .app
        .call(Method::DELETE, &format!("/users/{user}/devices"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body["position"].as_i64().is_some(), "{r:?}");
    challenge(&login(&s.app, &email, &pw, Some(&device)).await, "email");
    s.env.cleanup().await.unwrap();
}

/// A challenge answered without the device token it was issued with trusts nothing; the `ok`
/// answer always carries a device token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answer_without_the_challenges_device_trusts_no_device() {
    let s = setup().await;
    let (_, email) = create_user(&s.app, None).await;
    s.app
        .set_security_policy(json!({"two_factor": "new_device"}))
        .await;
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let issued_to = device_of(&r);
    let code = mailed_code(&s.peers, &email, 1).await;
    let r = answer(&s.app, &id, &code, None).await;
    session_token(&r);
    let given = device_of(&r);
    assert!(given.starts_with("chd_"), "{r:?}");
    assert_ne!(given, issued_to);
    // Neither the challenge's device nor the new one skips the next challenge.
    challenge(
        &login(&s.app, &email, PASSWORD, Some(&issued_to)).await,
        "email",
    );
    challenge(
        &login(&s.app, &email, PASSWORD, Some(&given)).await,
        "email",
    );
    s.env.cleanup().await.unwrap();
}

/// Item 6: with the `untrusted_devices` lockout, an attacker's failures lock out the attacker
/// only; the user on a trusted device still gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_from_untrusted_devices_lock_only_untrusted_devices() {
    let s = setup_with_views().await;
    let (user, email) = create_user(&s.app, None).await;
    s.app.set_security_policy(json!({"two_factor": "new_device", "max_login_attempts": 3, "lockout": "untrusted_devices"}),
    )
    .await;
    let (_, device) = trusted_login(&s, &email, 1).await;
    for _ in 0..3 {
        login(&s.app, &email, "not the password", None)
            .await
            .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    }
    // From an untrusted device even the right password is refused.
    login(&s.app, &email, PASSWORD, None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    // From the trusted device the user gets in.
    let r = login(&s.app, &email, PASSWORD, Some(&device)).await;
    session_token(&r);
    let pos = r.body["position"].as_i64().unwrap();
    let view = s
        .app
        .call(
            Method::GET,
            &format!("/users/{user}?min_position={pos}"),
            None,
        )
        .await;
    assert_eq!(view.status, 200, "{view:?}");
    assert_eq!(view.body["status"], "locked", "{view:?}");
    assert_eq!(view.body["lock"]["scope"], "untrusted_devices", "{view:?}");
    assert_eq!(view.body["untrusted_failed_attempts"], 0, "{view:?}");
    // Under the product's default an attacker's failures lock the user everywhere.
    s.app
        .set_security_policy(json!({"two_factor": "new_device", "max_login_attempts": 3}))
        .await;
    s.app
        .call(Method::POST, &format!("/users/{user}/unlock"), None)
        .await;
    for _ in 0..3 {
        login(&s.app, &email, "not the password", None).await;
    }
    login(&s.app, &email, PASSWORD, Some(&device))
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    s.env.cleanup().await.unwrap();
}

/// Item 7: per-address rate limits, and the address behind a trusted proxy only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unauthenticated_writes_are_limited_per_client_address() {
    let limits = RateLimits {
        login_per_minute: 3,
        challenge_per_minute: 3,
        forgot_per_minute: 2,
    };
    let proxies = TrustedProxies::parse("127.0.0.1/32").unwrap();
    let s = setup_with(Edge::new(proxies, limits), false).await;
    let (user, email) = create_user(&s.app, None).await;
    let from = |ip: &str| {
        let req = s
            .app
            .http
            .post(format!("{}/v1/login", s.app.base))
            .header("x-forwarded-for", ip)
            .json(&json!({"login": email, "password": PASSWORD}));
        async move { reply(req.send().await.unwrap()).await }
    };
    for _ in 0..3 {
        session_token(&from("203.0.113.5").await);
    }
    let resp = s
        .app
        .http
        .post(format!("{}/v1/login", s.app.base))
        .header("x-forwarded-for", "203.0.113.5")
        .json(&json!({"login": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("retry-after"));
    reply(resp).await.assert_problem(429, "RATE-LIMITED");
    // Another client behind the same proxy has its own allowance.
    session_token(&from("203.0.113.6").await);
    // The address recorded is the client's, not the proxy's.
    let ips: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT metadata ->> 'ip' FROM events WHERE aggregate_id = $1
          AND event_type = 'LoginSucceeded' ORDER BY sequence",
    )
    .bind(user.to_string())
    .fetch_all(&s.env.pool)
    .await
    .unwrap();
    assert_eq!(
        ips.last().unwrap().as_deref(),
        Some("203.0.113.6"),
        "{ips:?}"
    );
    assert!(ips
        .iter()
        .take(3)
        .all(|ip| ip.as_deref() == Some("203.0.113.5")));
    let forgot = |ip: &'static str| {
        let req = s
            .app
            .http
            .post(format!("{}/v1/password/forgot", s.app.base))
            .header("x-forwarded-for", ip)
            .json(&json!({"login": "nobody@acme.test"}));
        async move { reply(req.send().await.unwrap()).await }
    };
    assert_eq!(forgot("198.51.100.1").await.status, 202);
    assert_eq!(forgot("198.51.100.1").await.status, 202);
    forgot("198.51.100.1")
        .await
        .assert_problem(429, "RATE-LIMITED");
    s.env.cleanup().await.unwrap();
}

/// Without trusted proxies, a forwarding header is the client's own words and is ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spoofed_forwarding_header_changes_neither_the_address_nor_the_allowance() {
    let limits = RateLimits {
        login_per_minute: 2,
        ..RateLimits::unlimited()
    };
    let s = setup_with(Edge::new(TrustedProxies::default(), limits), false).await;
    let (user, email) = create_user(&s.app, None).await;
    for (i, expected) in [200, 200, 429].into_iter().enumerate() {
        let r = reply(
            s.app
                .http
                .post(format!("{}/v1/login", s.app.base))
                .header("x-forwarded-for", format!("203.0.113.{i}"))
                .header("forwarded", format!("for=198.51.100.{i}"))
                .json(&json!({"login": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, expected, "{r:?}");
    }
    let ips: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT metadata ->> 'ip' FROM events WHERE aggregate_id = $1
          AND event_type = 'LoginSucceeded'",
    )
    .bind(user.to_string())
    .fetch_all(&s.env.pool)
    .await
    .unwrap();
    assert!(
        ips.iter().all(|ip| ip.as_deref() == Some("127.0.0.1")),
        "{ips:?}"
    );
    s.env.cleanup().await.unwrap();
}

/// Item 7: at most three reset emails per user per hour, the answer unchanged; a new email
/// address revokes the links sent to the old one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reset_links_are_limited_and_die_with_the_address_they_went_to() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    let forgot = || post(&s.app, "/password/forgot", json!({"login": email}), None);
    for n in 1..=3 {
        assert_eq!(forgot().await.status, 202);
        s.peers.nth_mail_to(&email, n).await.unwrap();
    }
    let fourth = forgot().await;
    assert_eq!(fourth.status, 202, "the answer does not say");
    // An administrator hears the limit.
    let r = s
        .app
        .call(Method::POST, &format!("/users/{user}/password-reset"), None)
        .await;
    r.assert_problem(429, "AUTH-TOO-MANY-RESETS");
    let requested = || async {
        event_types(&s.env, "user", user)
            .await
            .iter()
            .filter(|t| *t == "PasswordResetRequested")
            .count()
    };
    // The fourth request's work runs after its answer: give it time to (wrongly) write.
    for _ in 0..20 {
        assert_eq!(requested().await, 3);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // An hour on: a link, then the email changes, and the link is dead.
    s.clock.advance(Duration::hours(1));
    assert_eq!(forgot().await.status, 202);
    let link = token_in_link(&s.peers.nth_mail_to(&email, 4).await.unwrap().body);
    let r = s
        .app
        .call(
            Method::PUT,
            &format!("/users/{user}/email"),
            Some(json!({"email": format!("moved-{}", email)})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    post(
        &s.app,
        "/password/reset",
        json!({"token": link, "new_password": "a passphrase for the thief"}),
        None,
    )
    .await
    .assert_problem(400, "AUTH-TOKEN-INVALID");
    s.env.cleanup().await.unwrap();
}

/// Item 8: smaller bounds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bodies_are_bounded_puts_are_idempotent_and_history_pages() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    // 413 for a body past the limit, before any work.
    let big = "x".repeat(80 * 1024);
    post(
        &s.app,
        "/login",
        json!({"login": email, "password": big}),
        None,
    )
    .await
    .assert_problem(413, "REQ-BODY-TOO-LARGE");

    // The same policy twice: 200, the same position, one event.
    let body = json!({"max_inactivity_days": null, "max_login_attempts": 7,
        "password_validity_days": null, "two_factor": "off"});
    let first = s
        .app
        .call(Method::PUT, "/security-policy", Some(body.clone()))
        .await;
    let again = s
        .app
        .call(Method::PUT, "/security-policy", Some(body))
        .await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(first.body["position"], again.body["position"]);
    let r = s
        .app
        .call(
            Method::PUT,
            &format!("/users/{user}/email"),
            Some(json!({"email": email})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body["position"].as_i64().is_some());

    // History in pages: every event once, in order, the cursor bound to its user.
    for _ in 0..5 {
        session_token(&login(&s.app, &email, PASSWORD, None).await);
    }
    let all = event_types(&s.env, "user", user).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/users/{user}/history?limit=2&cursor={c}"),
            None => format!("/users/{user}/history?limit=2"),
        };
        let r = s.app.call(Method::GET, &path, None).await;
        assert_eq!(r.status, 200, "{r:?}");
        let events = r.body["events"].as_array().unwrap();
        assert!(events.len() <= 2);
        seen.extend(
            events
                .iter()
                .map(|e| e["type"].as_str().unwrap().to_string()),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, all);
    let admin: String = sqlx::query_scalar(
        "SELECT aggregate_id FROM events WHERE event_type = 'UserRegistered' AND aggregate_id <> $1
          LIMIT 1",
    )
    .bind(user.to_string())
    .fetch_one(&s.env.pool)
    .await
    .unwrap();
    let first_page = s
        .app
        .call(Method::GET, &format!("/users/{user}/history?limit=1"), None)
        .await;
    let c = first_page.body["next_cursor"].as_str().unwrap();
    s.app
        .call(
            Method::GET,
            &format!("/users/{admin}/history?limit=1&cursor={c}"),
            None,
        )
        .await
        .assert_problem(400, "REQ-INVALID-CURSOR");
    s.env.cleanup().await.unwrap();
}
