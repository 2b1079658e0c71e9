//! Two-factor login (emailed, texted and spoken codes; trusted devices), the authenticator app
//! against pyotp, password reset by link (forgot and admin), expired passwords and password
//! change, over HTTP with the real SMTP server and SMS provider of `tests/peers/peers.py`.

use std::sync::Arc;

use chronid_domain::ports::Clock;
use chronid_tests::peers::{code_in, Peers, FAILING_NUMBER};
use chronid_tests::server::{spawn_app_with, test_services, Delivering, ManualClock, TestApp};
use chronid_tests::TestEnv;
use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::{reply, Calls, Reply};

pub(crate) const PASSWORD: &str = "ana-has-a-long-password";

struct Setup {
    env: TestEnv,
    app: TestApp,
    peers: Peers,
    clock: Arc<ManualClock>,
    _delivering: Delivering,
}

async fn setup() -> Setup {
    let env = TestEnv::new().await.unwrap();
    let peers = Peers::start().await.unwrap();
    let clock = ManualClock::starting_now();
    let mut services = test_services();
    services.clock = clock.clone();
    let app = spawn_app_with(&env, env.pool.clone(), services)
        .await
        .unwrap();
    let delivering = Delivering::start(&env, &app.app, &peers).unwrap();
    Setup {
        env,
        app,
        peers,
        clock,
        _delivering: delivering,
    }
}

/// A user with a unique address (the SMTP peer is shared by every test) and a password.
pub(crate) async fn create_user(app: &TestApp, phone: Option<&str>) -> (Uuid, String) {
    let email = format!("ana-{}@acme.test", Uuid::now_v7().simple());
    let mut body = json!({"email": email, "first_name": "Ana", "password": PASSWORD});
    if let Some(phone) = phone {
        body["phone"] = json!(phone);
    }
    let r = app.call(Method::POST, "/users", Some(body)).await;
    assert_eq!(r.status, 201, "{r:?}");
    (r.body["id"].as_str().unwrap().parse().unwrap(), email)
}

pub(crate) async fn set_policy(app: &TestApp, two_factor: &str, validity: Option<u16>) {
    app.set_security_policy(json!({"max_login_attempts": 10,
        "password_validity_days": validity, "two_factor": two_factor}))
        .await;
}

pub(crate) async fn post(app: &TestApp, path: &str, body: Value, device: Option<&str>) -> Reply {
    let mut req = app.http.post(format!("{}/v1{path}", app.base)).json(&body);
    if let Some(device) = device {
        req = req.header("x-device-token", device);
    }
    reply(req.send().await.unwrap()).await
}

pub(crate) async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    device: Option<&str>,
) -> Reply {
    post(
        app,
        "/login",
        json!({"login": email, "password": password}),
        device,
    )
    .await
}

pub(crate) async fn answer(
    app: &TestApp,
    challenge: &str,
    code: &str,
    device: Option<&str>,
) -> Reply {
    post(
        app,
        &format!("/login/challenges/{challenge}"),
        json!({ "code": code }),
        device,
    )
    .await
}

/// `method /v1{path}` with a session token.
pub(crate) async fn as_session(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = app
        .http
        .request(method, format!("{}/v1{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    reply(req.send().await.unwrap()).await
}

pub(crate) fn session_token(r: &Reply) -> String {
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "ok", "{r:?}");
    r.body["session"]["token"].as_str().unwrap().to_string()
}

pub(crate) fn challenge(r: &Reply, channel: &str) -> String {
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["status"], "two_factor_required", "{r:?}");
    assert_eq!(r.body["channel"], channel, "{r:?}");
    r.body["challenge_id"].as_str().unwrap().to_string()
}

pub(crate) async fn event_types(env: &TestEnv, aggregate_type: &str, id: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT event_type FROM events WHERE aggregate_type = $1 AND aggregate_id = $2
          ORDER BY sequence",
    )
    .bind(aggregate_type)
    .bind(id.to_string())
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

/// Waits until the user's history holds `event_type`.
pub(crate) async fn wait_for_event(env: &TestEnv, user: Uuid, event_type: &str) {
    wait_for_events(env, user, event_type, 1).await;
}

/// Waits until the user has `n` events of `event_type`.
pub(crate) async fn wait_for_events(env: &TestEnv, user: Uuid, event_type: &str, n: usize) {
    for _ in 0..300 {
        let types = event_types(env, "user", user).await;
        if types.iter().filter(|t| *t == event_type).count() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not {n} {event_type} on user {user} within 30 s");
}

/// The code of the `n`-th mail to `email`.
pub(crate) async fn mailed_code(peers: &Peers, email: &str, n: usize) -> String {
    let mail = peers.nth_mail_to(email, n).await.unwrap();
    code_in(&mail.body, 6).unwrap_or_else(|| panic!("no code in {mail:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn new_device_login_asks_an_emailed_code_and_a_trusted_device_skips_it() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    set_policy(&s.app, "new_device", None).await;

    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let mail = s.peers.nth_mail_to(&email, 1).await.unwrap();
    let code = code_in(&mail.body, 6).unwrap();
    assert!(mail.subject.contains(&code), "{mail:?}");
    assert_eq!(mail.from, "no-reply@acme.test");
    wait_for_event(&s.env, user, "TwoFactorCodeDelivered").await;

    // The store keeps the code digested and sealed, never as typed.
    let stored: String = sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE aggregate_id = $1
          AND event_type = 'TwoFactorChallengeIssued'",
    )
    .bind(user.to_string())
    .fetch_one(&s.env.pool)
    .await
    .unwrap();
    assert!(!stored.contains(&code), "{stored}");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = answer(&s.app, &id, wrong, Some(&device)).await;
    r.assert_problem(401, "AUTH-CODE-INVALID");
    assert!(
        r.body["detail"].as_str().unwrap().contains("4 tries left"),
        "{r:?}"
    );
    let r = answer(&s.app, &id, "12345", Some(&device)).await;
    r.assert_problem(400, "VALIDATION");

    let r = answer(&s.app, &id, &code, Some(&device)).await;
    let t = session_token(&r);
    assert_eq!(r.body["device_token"], device);
    let me = as_session(&s.app, &t, Method::GET, "/me/sessions", None).await;
    assert_eq!(me.status, 200, "{me:?}");
    // Single use.
    answer(&s.app, &id, &code, Some(&device))
        .await
        .assert_problem(404, "AUTH-CHALLENGE-NOT-FOUND");

    // The trusted device logs in without a code; another device is asked again.
    let r = login(&s.app, &email, PASSWORD, Some(&device)).await;
    session_token(&r);
    let r = login(&s.app, &email, PASSWORD, None).await;
    challenge(&r, "email");

    let types = event_types(&s.env, "user", user).await;
    let issued = types
        .iter()
        .filter(|t| *t == "TwoFactorChallengeIssued")
        .count();
    assert_eq!(issued, 2, "{types:?}");
    for t in [
        "TwoFactorChallengeFailed",
        "TwoFactorChallengePassed",
        "LoginSucceeded",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
    }
    let device_id: Uuid = sqlx::query_scalar(
        "SELECT aggregate_id::uuid FROM events WHERE aggregate_type = 'device'
          AND event_type = 'DeviceTrusted'",
    )
    .fetch_one(&s.env.pool)
    .await
    .unwrap();
    assert!(event_types(&s.env, "device", device_id)
        .await
        .contains(&"DeviceTrusted".to_string()));
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_login_sends_codes_by_sms_and_voice_and_records_failed_deliveries() {
    let s = setup().await;
    let phone = format!("+1415{:07}", Uuid::now_v7().as_u128() % 10_000_000);
    let (_, email) = create_user(&s.app, Some(&phone)).await;
    set_policy(&s.app, "every_login", None).await;

    // First by email (the default channel), even from a known device.
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let code = mailed_code(&s.peers, &email, 1).await;
    let t = session_token(&answer(&s.app, &id, &code, Some(&device)).await);

    // Choose SMS: the next login, from the same trusted device, is asked again, by text.
    let r = as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "sms"})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "fax"})),
    )
    .await
    .assert_problem(400, "VALIDATION");
    as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "totp"})),
    )
    .await
    .assert_problem(409, "TOTP-NOT-ENABLED");
    let r = login(&s.app, &email, PASSWORD, Some(&device)).await;
    let id = challenge(&r, "sms");
    let text = s.peers.nth_text_to(&phone, 1).await.unwrap();
    assert_eq!(text.kind, "sms");
    assert_eq!(text.from.as_deref(), Some("+15550001111"));
    assert_eq!(
        text.account.as_deref(),
        Some("ACtest"),
        "credentials in the URL go as basic auth"
    );
    let code = code_in(text.body.as_deref().unwrap(), 6).unwrap();
    let t = session_token(&answer(&s.app, &id, &code, Some(&device)).await);

    // Voice: a call whose TwiML reads the digits out.
    let r = as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "voice"})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    let id = challenge(
        &login(&s.app, &email, PASSWORD, Some(&device)).await,
        "voice",
    );
    let call = s.peers.nth_text_to(&phone, 2).await.unwrap();
    assert_eq!(call.kind, "voice");
    let twiml = call.twiml.unwrap();
    assert!(
        twiml.starts_with("<Response><Say language=\"en-US\">"),
        "{twiml}"
    );
    let spoken: String = twiml.chars().filter(char::is_ascii_digit).take(6).collect();
    session_token(&answer(&s.app, &id, &spoken, Some(&device)).await);

    // A provider that fails: the failure is recorded on the user.
    let (bob, bob_email) = create_user(&s.app, Some(FAILING_NUMBER)).await;
    let id = challenge(&login(&s.app, &bob_email, PASSWORD, None).await, "email");
    let code = mailed_code(&s.peers, &bob_email, 1).await;
    let t = session_token(&answer(&s.app, &id, &code, None).await);
    let r = as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "sms"})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    challenge(&login(&s.app, &bob_email, PASSWORD, None).await, "sms");
    wait_for_event(&s.env, bob, "TwoFactorCodeDeliveryFailed").await;
    // And a call the provider refuses.
    let r = as_session(
        &s.app,
        &t,
        Method::PUT,
        "/me/two-factor-channel",
        Some(json!({"channel": "voice"})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    challenge(&login(&s.app, &bob_email, PASSWORD, None).await, "voice");
    wait_for_events(&s.env, bob, "TwoFactorCodeDeliveryFailed", 2).await;
    let failures: Vec<Value> = sqlx::query_scalar(
        "SELECT payload -> 'TwoFactorCodeDeliveryFailed' FROM events WHERE aggregate_id = $1
          AND event_type = 'TwoFactorCodeDeliveryFailed' ORDER BY sequence",
    )
    .bind(bob.to_string())
    .fetch_all(&s.env.pool)
    .await
    .unwrap();
    let seen: Vec<(&Value, &Value)> = failures
        .iter()
        .map(|f| (&f["channel"], &f["error"]))
        .collect();
    let answered_500 = json!("provider answered 500");
    assert_eq!(
        seen,
        vec![
            (&json!("sms"), &answered_500),
            (&json!("voice"), &answered_500)
        ]
    );
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_code_and_the_sixth_wrong_code_are_refused() {
    let s = setup().await;
    let (_, email) = create_user(&s.app, None).await;
    set_policy(&s.app, "new_device", None).await;

    let id = challenge(&login(&s.app, &email, PASSWORD, None).await, "email");
    let code = mailed_code(&s.peers, &email, 1).await;
    s.clock.advance(Duration::minutes(10));
    answer(&s.app, &id, &code, None)
        .await
        .assert_problem(401, "AUTH-CODE-EXPIRED");

    let id = challenge(&login(&s.app, &email, PASSWORD, None).await, "email");
    let code = mailed_code(&s.peers, &email, 2).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (1..=4).rev() {
        let r = answer(&s.app, &id, wrong, None).await;
        r.assert_problem(401, "AUTH-CODE-INVALID");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("{left} tries left")),
            "{r:?}"
        );
    }
    answer(&s.app, &id, wrong, None)
        .await
        .assert_problem(401, "AUTH-CODE-EXHAUSTED");
    // Even the right code is refused now.
    answer(&s.app, &id, &code, None)
        .await
        .assert_problem(401, "AUTH-CODE-EXHAUSTED");
    s.env.cleanup().await.unwrap();
}

/// The unix time of the server's clock plus `steps` TOTP steps.
pub(crate) fn at(clock: &ManualClock, steps: i64) -> i64 {
    clock.now().timestamp() + 30 * steps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authenticator_enrol_login_replay_reset_and_disable_against_pyotp() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    let t = session_token(&login(&s.app, &email, PASSWORD, None).await);

    let r = as_session(&s.app, &t, Method::POST, "/me/totp", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    let secret = r.body["secret"].as_str().unwrap().to_string();
    let uri = r.body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Acme:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(r.body["qr_png_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // pyotp's code confirms; a made-up one does not.
    let now_code = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let wrong = if now_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/totp/confirm",
        Some(json!({"code": wrong})),
    )
    .await
    .assert_problem(401, "TOTP-CODE-INVALID");
    let r = as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/totp/confirm",
        Some(json!({"code": now_code})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");

    // Login now asks the authenticator; the code already used is a replay.
    let id = challenge(&login(&s.app, &email, PASSWORD, None).await, "totp");
    answer(&s.app, &id, &now_code, None)
        .await
        .assert_problem(401, "TOTP-CODE-REUSED");
    s.clock.advance(Duration::seconds(30));
    let next = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let t = session_token(&answer(&s.app, &id, &next, None).await);

    // Reset: needs a fresh code (a replayed one is refused and counted); the other sessions
    // end, this one stays to confirm the new key; until then the old key still logs in.
    let other = session_token(
        &answer(
            &s.app,
            &challenge(&login(&s.app, &email, PASSWORD, None).await, "totp"),
            &{
                s.clock.advance(Duration::seconds(30));
                s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap()
            },
            None,
        )
        .await,
    );
    let next = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/totp/reset",
        Some(json!({"code": next})),
    )
    .await
    .assert_problem(401, "TOTP-CODE-REUSED");
    s.clock.advance(Duration::seconds(30));
    let code = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let r = as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/totp/reset",
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    let new_secret = r.body["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    as_session(&s.app, &other, Method::GET, "/me/sessions", None)
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");
    // The login still asks the old key, and shows no enrolment: the new key is not a factor.
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "totp");
    assert!(r.body.get("enrolment").is_none(), "{r:?}");
    s.clock.advance(Duration::seconds(30));
    let old_key = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let new_key = s
        .peers
        .totp(&new_secret, Some(at(&s.clock, 0)))
        .await
        .unwrap();
    if old_key != new_key {
        answer(&s.app, &id, &new_key, None)
            .await
            .assert_problem(401, "AUTH-CODE-INVALID");
    }
    session_token(&answer(&s.app, &id, &old_key, None).await);
    // The new key is confirmed from the session that reset it; from then on it is the factor.
    s.clock.advance(Duration::seconds(30));
    let code = s
        .peers
        .totp(&new_secret, Some(at(&s.clock, 0)))
        .await
        .unwrap();
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
    let old_key = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let new_key = s
        .peers
        .totp(&new_secret, Some(at(&s.clock, 0)))
        .await
        .unwrap();
    if old_key != new_key {
        answer(&s.app, &id, &old_key, None)
            .await
            .assert_problem(401, "AUTH-CODE-INVALID");
    }
    let t = session_token(&answer(&s.app, &id, &new_key, None).await);

    // Disable with a code; then a login needs none.
    s.clock.advance(Duration::seconds(30));
    let code = s
        .peers
        .totp(&new_secret, Some(at(&s.clock, 0)))
        .await
        .unwrap();
    let r = as_session(
        &s.app,
        &t,
        Method::DELETE,
        "/me/totp",
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    session_token(&login(&s.app, &email, PASSWORD, None).await);
    let types = event_types(&s.env, "user", user).await;
    for t in [
        "TotpEnrolled",
        "TotpConfirmed",
        "TotpCodeUsed",
        "TotpReset",
        "TotpDisabled",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} missing from {types:?}");
    }
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_requires_two_factor_and_the_next_login_enrols() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    s.app.require_two_factor(user, true).await;

    // The password alone shows no enrolment: the emailed code comes first.
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    assert!(r.body.get("enrolment").is_none(), "{r:?}");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let code = mailed_code(&s.peers, &email, 1).await;
    let r = answer(&s.app, &id, &code, Some(&device)).await;
    let id = challenge(&r, "totp");
    let secret = r.body["enrolment"]["secret"].as_str().unwrap().to_string();
    let code = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let t = session_token(&answer(&s.app, &id, &code, Some(&device)).await);

    // The user may not turn it off; the admin may.
    s.clock.advance(Duration::seconds(30));
    let code = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    as_session(
        &s.app,
        &t,
        Method::DELETE,
        "/me/totp",
        Some(json!({"code": code})),
    )
    .await
    .assert_problem(403, "USR-TWO-FACTOR-REQUIRED");
    s.app.require_two_factor(user, false).await;
    session_token(&login(&s.app, &email, PASSWORD, None).await);
    s.env.cleanup().await.unwrap();
}

pub(crate) fn token_in_link(body: &str) -> String {
    let start = body
        .find("https://id.acme.test/reset-password?token=")
        .unwrap_or_else(|| panic!("no link in {body}"));
    body[start..]
        .split_once("token=")
        .unwrap()
        .1
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forgot_password_emails_a_single_use_link_that_ends_sessions() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    let t = session_token(&login(&s.app, &email, PASSWORD, None).await);

    // Known and unknown logins get the same answer.
    let known = post(&s.app, "/password/forgot", json!({"login": email}), None).await;
    let unknown = post(
        &s.app,
        "/password/forgot",
        json!({"login": "nobody@acme.test"}),
        None,
    )
    .await;
    assert_eq!(known.status, 202);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    post(&s.app, "/password/forgot", json!({"login": ""}), None)
        .await
        .assert_problem(400, "VALIDATION");

    let mail = s.peers.nth_mail_to(&email, 1).await.unwrap();
    let token = token_in_link(&mail.body);
    assert!(token.starts_with("chr_"), "{token}");
    wait_for_event(&s.env, user, "PasswordResetEmailSent").await;

    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": token, "new_password": "short"}),
        None,
    )
    .await;
    r.assert_problem(400, "VALIDATION");
    assert_eq!(r.body["field"], "new_password", "{r:?}");
    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": token, "new_password": PASSWORD}),
        None,
    )
    .await;
    r.assert_problem(400, "PASSWORD-REUSED");
    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": token, "new_password": "a-new-long-password"}),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");

    // Sessions ended; the old password is gone; the link works once.
    as_session(&s.app, &t, Method::GET, "/me/sessions", None)
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");
    login(&s.app, &email, PASSWORD, None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    session_token(&login(&s.app, &email, "a-new-long-password", None).await);
    post(
        &s.app,
        "/password/reset",
        json!({"token": token, "new_password": "another-long-password"}),
        None,
    )
    .await
    .assert_problem(400, "AUTH-TOKEN-INVALID");
    post(
        &s.app,
        "/password/reset",
        json!({"token": "chr_nonsense", "new_password": "another-long-password"}),
        None,
    )
    .await
    .assert_problem(400, "AUTH-TOKEN-INVALID");

    let types = event_types(&s.env, "user", user).await;
    let from = types
        .iter()
        .position(|t| t == "PasswordResetRequested")
        .unwrap();
    let tail: Vec<&str> = types[from..].iter().map(String::as_str).take(5).collect();
    assert_eq!(
        tail,
        [
            "PasswordResetRequested",
            "PasswordResetEmailSent",
            "PasswordChanged",
            "PasswordResetCompleted",
            "SessionsEnded"
        ]
    );
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_reset_link_expires_after_an_hour_and_a_fresh_one_unlocks() {
    let s = setup().await;
    let (user, email) = create_user(&s.app, None).await;
    // Locked by five wrong passwords.
    for _ in 0..5 {
        login(&s.app, &email, "a-wrong-password", None)
            .await
            .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    }
    login(&s.app, &email, PASSWORD, None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");

    let path = format!("/users/{user}/password-reset");
    let r = s.app.call(Method::POST, &path, None).await;
    assert_eq!(r.status, 202, "{r:?}");
    let old = token_in_link(&s.peers.nth_mail_to(&email, 1).await.unwrap().body);
    s.clock.advance(Duration::minutes(61));
    post(
        &s.app,
        "/password/reset",
        json!({"token": old, "new_password": "a-new-long-password"}),
        None,
    )
    .await
    .assert_problem(400, "AUTH-TOKEN-EXPIRED");

    let r = s.app.call(Method::POST, &path, None).await;
    assert_eq!(r.status, 202, "{r:?}");
    let fresh = token_in_link(&s.peers.nth_mail_to(&email, 2).await.unwrap().body);
    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": fresh, "new_password": "a-new-long-password"}),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    session_token(&login(&s.app, &email, "a-new-long-password", None).await);
    s.app
        .call(
            Method::POST,
            &format!("/users/{}/password-reset", Uuid::now_v7()),
            None,
        )
        .await
        .assert_problem(404, "USR-NOT-FOUND");
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_password_is_changed_with_the_login_token() {
    let s = setup().await;
    let (_, email) = create_user(&s.app, None).await;
    set_policy(&s.app, "off", Some(30)).await;
    session_token(&login(&s.app, &email, PASSWORD, None).await);
    s.clock.advance(Duration::days(31));

    let r = login(&s.app, &email, PASSWORD, None).await;
    assert_eq!(r.body["status"], "password_change_required", "{r:?}");
    let change = r.body["change_token"].as_str().unwrap().to_string();
    assert!(change.starts_with("chp_"));
    // A wrong password still gets the plain 401, not the change token.
    login(&s.app, &email, "a-wrong-password", None)
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    post(
        &s.app,
        "/password/reset",
        json!({"token": change, "new_password": PASSWORD}),
        None,
    )
    .await
    .assert_problem(400, "PASSWORD-REUSED");
    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": change, "new_password": "a-renewed-long-password"}),
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    session_token(&login(&s.app, &email, "a-renewed-long-password", None).await);
    post(
        &s.app,
        "/password/reset",
        json!({"token": change, "new_password": "yet-another-password"}),
        None,
    )
    .await
    .assert_problem(400, "AUTH-TOKEN-INVALID");
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changing_your_password_ends_your_other_sessions() {
    let s = setup().await;
    let (_, email) = create_user(&s.app, None).await;
    let mine = session_token(&login(&s.app, &email, PASSWORD, None).await);
    let other = session_token(&login(&s.app, &email, PASSWORD, None).await);
    as_session(
        &s.app,
        &mine,
        Method::POST,
        "/me/password",
        Some(json!({"current_password": "not-my-password", "new_password": "a-new-long-password"})),
    )
    .await
    .assert_problem(403, "AUTH-WRONG-PASSWORD");
    let r = as_session(
        &s.app,
        &mine,
        Method::POST,
        "/me/password",
        Some(json!({"current_password": PASSWORD, "new_password": "a-new-long-password"})),
    )
    .await;
    assert_eq!(r.status, 204, "{r:?}");
    let r = as_session(&s.app, &mine, Method::GET, "/me/sessions", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["sessions"].as_array().unwrap().len(), 1, "{r:?}");
    as_session(&s.app, &other, Method::GET, "/me/sessions", None)
        .await
        .assert_problem(401, "AUTH-INVALID-SESSION");
    // An API key has no password of its own to change.
    let key = s.app.api_key.clone();
    as_session(
        &s.app,
        &key,
        Method::POST,
        "/me/password",
        Some(json!({"current_password": PASSWORD, "new_password": "b-new-long-password"})),
    )
    .await
    .assert_problem(403, "AUTH-SESSION-REQUIRED");
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_code_is_sent_only_to_the_challenged_device_and_within_the_limit() {
    let s = setup().await;
    set_policy(&s.app, "new_device", None).await;
    let (_, email) = create_user(&s.app, None).await;
    let (_, other_email) = create_user(&s.app, None).await;
    let r = login(&s.app, &email, PASSWORD, None).await;
    let first = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let first_code = mailed_code(&s.peers, &email, 1).await;
    let resend = |id: String, device: Option<String>| {
        let app = &s.app;
        async move {
            post(
                app,
                &format!("/login/challenges/{id}/resend"),
                json!({}),
                device.as_deref(),
            )
            .await
        }
    };

    // Without the challenged device's token, or with another user's, nothing is sent.
    resend(first.clone(), None)
        .await
        .assert_problem(404, "AUTH-CHALLENGE-NOT-FOUND");
    let other = login(&s.app, &other_email, PASSWORD, None).await;
    let other_device = other.body["device_token"].as_str().unwrap().to_string();
    resend(first.clone(), Some(other_device))
        .await
        .assert_problem(404, "AUTH-CHALLENGE-NOT-FOUND");

    // The device gets a new challenge and a new code; the old challenge is gone.
    let r = resend(first.clone(), Some(device.clone())).await;
    let second = challenge(&r, "email");
    assert_ne!(second, first);
    assert_eq!(r.body["device_token"], device.as_str(), "{r:?}");
    mailed_code(&s.peers, &email, 2).await;
    answer(&s.app, &first, &first_code, Some(&device))
        .await
        .assert_problem(404, "AUTH-CHALLENGE-NOT-FOUND");

    // Five codes per 15 minutes: the login's and four more.
    let mut id = second;
    for n in 3..=5 {
        id = challenge(&resend(id, Some(device.clone())).await, "email");
        mailed_code(&s.peers, &email, n).await;
    }
    let r = resend(id.clone(), Some(device.clone())).await;
    r.assert_problem(429, "AUTH-TOO-MANY-CODES");
    // The challenge still stands, and its code (the fifth mail's) opens the session.
    let last = mailed_code(&s.peers, &email, 5).await;
    session_token(&answer(&s.app, &id, &last, Some(&device)).await);
    s.env.cleanup().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_exhausted_challenge_gets_no_new_code() {
    let s = setup().await;
    set_policy(&s.app, "new_device", None).await;
    let (_, email) = create_user(&s.app, None).await;
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let right = mailed_code(&s.peers, &email, 1).await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        answer(&s.app, &id, wrong, Some(&device)).await;
    }
    answer(&s.app, &id, &right, Some(&device))
        .await
        .assert_problem(401, "AUTH-CODE-EXHAUSTED");
    // New tries would come without the password: refused, and nothing is mailed.
    post(
        &s.app,
        &format!("/login/challenges/{id}/resend"),
        json!({}),
        Some(&device),
    )
    .await
    .assert_problem(404, "AUTH-CHALLENGE-NOT-FOUND");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(s.peers.mails_to(&email).await.unwrap().len(), 1);
    s.env.cleanup().await.unwrap();
}
