//! One user's way through the product with the relay and the projection workers running, read
//! back as an administrator reads it: the audit log (each line in the product's wording, who,
//! from where, with what outcome), the user view and the device list.

use std::sync::Arc;

use chronid_tests::peers::Peers;
use chronid_tests::server::{
    spawn_app_edge, test_services, Delivering, ManualClock, TestApp, Workers,
};
use chronid_tests::TestEnv;
use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};

use crate::credentials::{
    answer, as_session, at, challenge, create_user, login, mailed_code, post, session_token,
    token_in_link, PASSWORD,
};
use crate::support::{Calls, Reply};

struct Setup {
    env: TestEnv,
    app: TestApp,
    peers: Peers,
    clock: Arc<ManualClock>,
    _workers: Workers,
    _delivering: Delivering,
}

async fn setup() -> Setup {
    let env = TestEnv::new().await.unwrap();
    let peers = Peers::start().await.unwrap();
    let clock = ManualClock::starting_now();
    let mut services = test_services();
    services.clock = clock.clone();
    let workers = Workers::start(&env);
    let edge = chronid_http::edge::Edge::new(
        Default::default(),
        chronid_http::edge::RateLimits::unlimited(),
    );
    let app = spawn_app_edge(&env, env.pool.clone(), services, workers.read_side(), edge)
        .await
        .unwrap();
    let delivering = Delivering::start(&env, &app.app, &peers).unwrap();
    Setup {
        env,
        app,
        peers,
        clock,
        _workers: workers,
        _delivering: delivering,
    }
}

/// The position of the last event written, for reading one's own writes.
async fn last_position(env: &TestEnv) -> i64 {
    sqlx::query_scalar("SELECT max(global_seq) FROM events")
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

/// A `(item, action, outcome, description)` line of an audit entry.
fn line(entry: &Value) -> (String, String, String, String) {
    let text = |k: &str| entry[k].as_str().unwrap_or_default().to_string();
    (
        text("item"),
        text("action"),
        text("outcome"),
        text("description"),
    )
}

fn ok(r: &Reply, status: u16) {
    assert_eq!(r.status, status, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_users_way_through_login_codes_authenticator_and_reset_is_audited_and_viewed() {
    let s = setup().await;
    s.app
        .set_security_policy(json!({"two_factor": "new_device"}))
        .await;
    let (user, email) = create_user(&s.app, None).await;
    let start = last_position(&s.env).await;

    // A new device: the emailed code, once wrong, then right; the device is trusted.
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let code = mailed_code(&s.peers, &email, 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    answer(&s.app, &id, wrong, Some(&device))
        .await
        .assert_problem(401, "AUTH-CODE-INVALID");
    let t = session_token(&answer(&s.app, &id, &code, Some(&device)).await);
    // The trusted device skips the code; a wrong password is counted.
    login(&s.app, &email, "not the password", Some(&device))
        .await
        .assert_problem(401, "AUTH-INVALID-CREDENTIALS");
    let other = session_token(&login(&s.app, &email, PASSWORD, Some(&device)).await);
    ok(
        &as_session(&s.app, &other, Method::POST, "/logout", None).await,
        204,
    );

    // An authenticator app.
    let r = as_session(&s.app, &t, Method::POST, "/me/totp", None).await;
    ok(&r, 200);
    let secret = r.body["secret"].as_str().unwrap().to_string();
    let totp = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let r = as_session(
        &s.app,
        &t,
        Method::POST,
        "/me/totp/confirm",
        Some(json!({ "code": totp })),
    )
    .await;
    ok(&r, 204);

    // Forgot password: the link resets it, which ends the device's trust.
    ok(
        &post(&s.app, "/password/forgot", json!({ "login": email }), None).await,
        202,
    );
    let link = token_in_link(&s.peers.nth_mail_to(&email, 2).await.unwrap().body);
    let renewed = "a renewed passphrase 77";
    let r = post(
        &s.app,
        "/password/reset",
        json!({"token": link, "new_password": renewed}),
        None,
    )
    .await;
    ok(&r, 204);
    // The device's token is dead: the login gives a new one, and asks the second factor
    // again, now the authenticator.
    s.clock.advance(Duration::seconds(30));
    let r = login(&s.app, &email, renewed, Some(&device)).await;
    let id = challenge(&r, "totp");
    let renewed_device = r.body["device_token"].as_str().unwrap().to_string();
    assert_ne!(renewed_device, device);
    let totp = s.peers.totp(&secret, Some(at(&s.clock, 0))).await.unwrap();
    let r = answer(&s.app, &id, &totp, Some(&renewed_device)).await;
    assert_eq!(r.body["device_token"], renewed_device.as_str(), "{r:?}");
    let t = session_token(&r);

    // The audit log, oldest first, of entries by or about this user since it was created.
    let end = last_position(&s.env).await;
    let r = s
        .app
        .call(
            Method::GET,
            &format!("/audit?username={email}&limit=200&min_position={end}"),
            None,
        )
        .await;
    ok(&r, 200);
    let mut entries: Vec<Value> = r.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["position"].as_i64().unwrap() > start)
        .cloned()
        .collect();
    entries.sort_by_key(|e| e["position"].as_i64().unwrap());
    let lines: Vec<_> = entries.iter().map(line).collect();
    let ana = |what: &str| format!("{what} (Ana, {email})");
    let (logged_in, login_failed) = (ana("User logged in"), ana("User login failed"));
    let logged_out = ana("User logged out");
    let expected = [
        ("Device", "Create", "success", "Device registered."),
        (
            "2FA",
            "Challenge",
            "success",
            "Two-factor authentication challenge issued. Details: email.",
        ),
        (
            "2FA",
            "Send",
            "success",
            "Two-factor authentication code sent. Details: email.",
        ),
        (
            "2FA",
            "Verify",
            "failed",
            "Two-factor authentication failed. Details: 1 failed attempt.",
        ),
        (
            "2FA",
            "Verify",
            "success",
            "Two-factor authentication passed.",
        ),
        ("User", "Login", "success", &logged_in),
        (
            "Device",
            "Trust",
            "success",
            "Device trusted. Details: after two-factor authentication.",
        ),
        (
            "User",
            "Login",
            "failed",
            &format!("{login_failed}. Details: wrong password."),
        ),
        ("User", "Login", "success", &logged_in),
        ("User", "Logout", "success", &logged_out),
        (
            "2FA",
            "Enroll",
            "success",
            "Authenticator app enrollment started.",
        ),
        (
            "2FA",
            "Update",
            "success",
            "Two-factor authentication settings updated. Details: authenticator app enabled.",
        ),
        (
            "Password",
            "Restore",
            "success",
            "Password reset requested. Details: forgot password.",
        ),
        (
            "Password",
            "Restore",
            "success",
            "Reset forgot password email sent.",
        ),
        (
            "Password",
            "Update",
            "success",
            "Password for user restored.",
        ),
        (
            "Password",
            "Restore",
            "success",
            "Password reset completed.",
        ),
        (
            "User",
            "Logout",
            "success",
            "User sessions ended. Details: 1 session, password changed.",
        ),
        (
            "Device",
            "Revoke",
            "success",
            "Device revoked. Details: the user's password was reset.",
        ),
        ("Device", "Create", "success", "Device registered."),
        (
            "2FA",
            "Challenge",
            "success",
            "Two-factor authentication challenge issued. Details: authenticator app.",
        ),
        (
            "2FA",
            "Verify",
            "success",
            "Authenticator app code accepted.",
        ),
        (
            "2FA",
            "Verify",
            "success",
            "Two-factor authentication passed.",
        ),
        ("User", "Login", "success", &logged_in),
        (
            "Device",
            "Trust",
            "success",
            "Device trusted. Details: after two-factor authentication.",
        ),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
    assert_eq!(lines, expected);
    // Who and from where: the notifier's deliveries are the system's, everything else came
    // from the user's own requests, with their name and address; every entry is about them.
    for e in &entries {
        assert_eq!(e["target_id"], user.to_string(), "{e}");
        let by_notifier = ["TwoFactorCodeDelivered", "PasswordResetEmailSent"]
            .contains(&e["event_type"].as_str().unwrap());
        let (who, kind, ip) = if by_notifier {
            (json!("system"), json!("system"), Value::Null)
        } else {
            (json!(email), json!("user"), json!("127.0.0.1"))
        };
        assert_eq!(
            (&e["username"], &e["actor_kind"], &e["ip"]),
            (&who, &kind, &ip),
            "{e}"
        );
    }

    // The view: the authenticator on, the new password's date, the counters back at zero,
    // and the one trusted device, which is the caller's.
    let r = s
        .app
        .call(
            Method::GET,
            &format!("/users/{user}?min_position={end}"),
            None,
        )
        .await;
    ok(&r, 200);
    let view = r.body;
    assert_eq!(
        view["two_factor"],
        json!({"channel": "totp", "required": false, "totp": "enabled",
            "totp_replacement_pending": false}),
        "{view:#}"
    );
    assert_eq!(
        (&view["status"], &view["lock"], &view["failed_attempts"]),
        (&json!("active"), &Value::Null, &json!(0)),
        "{view:#}"
    );
    assert_eq!(view["last_login_ip"], "127.0.0.1", "{view:#}");
    assert!(view["password"]["changed_at"].is_string(), "{view:#}");
    let trusted = view["trusted_devices"].as_array().unwrap();
    assert_eq!(trusted.len(), 1, "the revoked device is gone: {view:#}");
    assert_eq!(trusted[0]["trusted_at"], view["last_login_at"], "{view:#}");
    // The caller's own list names the same device, as the current one.
    let r = as_session(&s.app, &t, Method::GET, "/me/devices", None).await;
    ok(&r, 200);
    let devices = r.body["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{r:?}");
    assert_eq!(
        (&devices[0]["id"], &devices[0]["current"]),
        (&trusted[0]["id"], &json!(true)),
        "{r:?}"
    );

    // An administrator revokes the device: the entry is listed under the user too, as the
    // one it is about.
    let r = s
        .app
        .call(Method::DELETE, &format!("/users/{user}/devices"), None)
        .await;
    ok(&r, 200);
    let end = last_position(&s.env).await;
    let r = s
        .app
        .call(
            Method::GET,
            &format!("/audit?username={email}&limit=1&min_position={end}"),
            None,
        )
        .await;
    ok(&r, 200);
    let newest = &r.body["entries"][0];
    assert_eq!(
        line(newest),
        line(
            &json!({"item": "Device", "action": "Revoke", "outcome": "success",
            "description": "Device revoked. Details: by an administrator."})
        ),
        "{newest:#}"
    );
    assert_eq!(
        (
            &newest["username"],
            &newest["target_id"],
            &newest["target_username"]
        ),
        (&json!("API key bootstrap"), &json!(user), &json!(email)),
        "{newest:#}"
    );
    let r = as_session(&s.app, &t, Method::GET, "/me/devices", None).await;
    assert_eq!(r.body["devices"], json!([]), "{r:?}");
    s.env.cleanup().await.unwrap();
}

/// Migration 0007 gives a log written before devices had owners in the audit projection what a
/// live worker now writes: the device principals, and the owner as the target of the device
/// entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_device_owner_migration_completes_an_older_log() {
    let s = setup().await;
    s.app
        .set_security_policy(json!({"two_factor": "new_device"}))
        .await;
    let (user, email) = create_user(&s.app, None).await;
    let r = login(&s.app, &email, PASSWORD, None).await;
    let id = challenge(&r, "email");
    let device = r.body["device_token"].as_str().unwrap().to_string();
    let code = mailed_code(&s.peers, &email, 1).await;
    session_token(&answer(&s.app, &id, &code, Some(&device)).await);
    let r = s
        .app
        .call(Method::DELETE, &format!("/users/{user}/devices"), None)
        .await;
    ok(&r, 200);
    let end = last_position(&s.env).await;
    ok(
        &s.app
            .call(Method::GET, &format!("/audit?min_position={end}"), None)
            .await,
        200,
    );
    let device_entries = || async {
        sqlx::query_as::<_, (String, Option<uuid::Uuid>, Option<String>)>(
            "SELECT event_type, target_id, target_username FROM audit_log
              WHERE aggregate_type = 'device' ORDER BY position",
        )
        .fetch_all(&s.env.pool)
        .await
        .unwrap()
    };
    let live = device_entries().await;
    let types: Vec<&str> = live.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        types,
        ["DeviceRegistered", "DeviceTrusted", "DeviceRevoked"],
        "{live:?}"
    );
    assert!(
        live.iter()
            .all(|(_, id, name)| *id == Some(user) && name.as_deref() == Some(email.as_str())),
        "{live:?}"
    );

    // The log as an older chronid left it: no device principals, device entries without a
    // target but the registration's.
    sqlx::raw_sql(
        "DELETE FROM audit_principals WHERE doc ? 'owner';
         UPDATE audit_log SET target_id = NULL, target_username = NULL
          WHERE aggregate_type = 'device' AND event_type <> 'DeviceRegistered';",
    )
    .execute(&s.env.pool)
    .await
    .unwrap();
    assert_ne!(device_entries().await, live);
    sqlx::raw_sql(include_str!(
        "../../../adapters/store/migrations/0007_audit_device_owners.sql"
    ))
    .execute(&s.env.pool)
    .await
    .unwrap();
    assert_eq!(device_entries().await, live);
    let owners: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_principals WHERE doc ->> 'owner' = $1")
            .bind(user.to_string())
            .fetch_one(&s.env.pool)
            .await
            .unwrap();
    assert_eq!(owners, 1);
    s.env.cleanup().await.unwrap();
}
