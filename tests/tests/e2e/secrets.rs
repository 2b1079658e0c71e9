//! No published byte carries a secret: every kind of secret-bearing event is written, relayed,
//! and the raw stream messages are searched for the secrets and their stored forms.

use std::time::Duration;

use chronid_domain::device::{Device, DeviceCommand};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{
    ChallengePurpose, LoginMethod, PasswordChangeMethod, ResetInitiator, User, UserEvent,
};
use chronid_domain::values::{StoredSecret, TwoFactorChannel};
use chronid_stream::relay::{Relay, RelayOptions};
use chronid_tests::{read_raw_stream_messages, wait_until, TestEnv};
use chrono::Utc;
use cqrs_es::Aggregate;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::support::{spawn_app, Calls};

#[tokio::test]
async fn no_published_message_contains_a_secret_or_its_hash() {
    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let password = "a-very-secret-password-123";
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "sec@acme.test", "password": password})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let user_id: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    let r = app
        .call(Method::POST, "/api-keys", Some(json!({"name": "robot"})))
        .await;
    let api_key = r.body["key"].as_str().unwrap().to_string();

    // The events whose commands come with the login issue, written through the store itself.
    let marker = |name: &str| format!("SECRET-{name}-{}", Uuid::now_v7().simple());
    let secrets: Vec<String> = [
        "pw2",
        "reset",
        "session",
        "change",
        "code",
        "sealed",
        "totp",
        "totp2",
        "resetsealed",
    ]
    .iter()
    .map(|n| marker(n))
    .collect();
    let s = |i: usize| StoredSecret(secrets[i].clone());
    let now = Utc::now();
    let events = vec![
        UserEvent::PasswordChanged {
            password_hash: s(0),
            method: PasswordChangeMethod::SelfService,
            changed_at: now,
            expires_at: None,
        },
        UserEvent::PasswordResetRequested {
            request_id: Uuid::now_v7(),
            token_hash: s(1),
            token_sealed: Some(s(8)),
            initiated_by: ResetInitiator::Admin,
            expires_at: now,
            requested_at: now,
        },
        UserEvent::LoginSucceeded {
            method: LoginMethod::Password,
            session_id: Uuid::now_v7(),
            session_token_hash: s(2),
            session_expires_at: now,
            device_id: None,
            at: now,
        },
        UserEvent::PasswordChangeRequired {
            change_id: Uuid::now_v7(),
            token_hash: s(3),
            expires_at: now,
        },
        UserEvent::TwoFactorChallengeIssued {
            challenge_id: Uuid::now_v7(),
            channel: TwoFactorChannel::Email,
            purpose: ChallengePurpose::SignIn,
            issued_at: now,
            code_hash: Some(s(4)),
            code_sealed: Some(s(5)),
            device_id: None,
            expires_at: now,
            max_attempts: 5,
        },
        UserEvent::TotpEnrolled {
            secret_sealed: s(6),
        },
        UserEvent::TotpReset {
            secret_sealed: s(7),
            keeps_current: true,
        },
    ];
    let store = app.app.executor().store::<User>();
    let mut context = store.load(&user_id.to_string()).await.unwrap();
    for e in &events {
        context.aggregate.apply(e.clone());
    }
    store
        .append(&events, &context, &RequestFacts::system().to_metadata(now))
        .await
        .unwrap();
    let device_id = Uuid::now_v7();
    let device_secret = marker("device");
    app.app
        .executor()
        .execute::<Device>(
            &device_id.to_string(),
            DeviceCommand::Register {
                device_id,
                user_id,
                account_id: app.account_id,
                token_hash: StoredSecret(device_secret.clone()),
                label: None,
                user_agent: None,
            },
            &RequestFacts::system(),
        )
        .await
        .unwrap();

    // Every stored secret form, read back from the store.
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT v FROM events, jsonb_each_text(payload -> event_type) AS kv(k, v)
          WHERE k LIKE '%\\_hash' OR k LIKE '%\\_sealed'",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert!(
        stored.len() >= 11,
        "expected every secret-bearing event in the store, got {}",
        stored.len()
    );

    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type <> 'reservation'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    let relay = Relay::new(
        env.pool.clone(),
        env.js.clone(),
        env.stream.clone(),
        RelayOptions::default(),
    );
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(relay.run(rx));
    wait_until("every event published", Duration::from_secs(30), || async {
        Ok(env.stream_len().await? >= total as u64)
    })
    .await
    .unwrap();
    stop.send(true).unwrap();
    task.await.unwrap().unwrap();

    let messages = read_raw_stream_messages(&env.js, &env.stream.stream)
        .await
        .unwrap();
    assert_eq!(messages.len() as i64, total);
    // The secret follows the two ids and may itself hold `_`.
    let api_secret = api_key.splitn(4, '_').nth(3).unwrap().to_string();
    assert_eq!(api_secret.len(), 43);
    let mut needles: Vec<String> = stored;
    needles.extend(secrets.iter().cloned());
    needles.extend([password.to_string(), api_secret, device_secret]);
    for m in &messages {
        let text = String::from_utf8_lossy(&m.payload);
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "published message {} holds a secret",
                m.subject
            );
        }
        for field in [
            "password_hash",
            "key_hash",
            "token_hash",
            "code_hash",
            "code_sealed",
            "secret_sealed",
            "session_token_hash",
        ] {
            assert!(
                !text.contains(field),
                "published message {} names {field}",
                m.subject
            );
        }
        let headers = format!("{:?}", m.headers);
        for needle in &needles {
            assert!(!headers.contains(needle.as_str()));
        }
    }
    drop(app);
    env.cleanup().await.unwrap();
}

/// Security outcomes are logged on the `security` target when committed: a failed login names
/// the event, the user, the account and the address, and the line holds no password.
#[tokio::test(flavor = "current_thread")]
async fn a_failed_login_is_logged_on_the_security_target_without_the_password() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let sink = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("security=info"))
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    // A current-thread runtime: every task of the test logs through this subscriber.
    let _guard = tracing_subscriber::util::SubscriberInitExt::set_default(subscriber);

    let env = TestEnv::new().await.unwrap();
    let app = spawn_app(&env).await;
    let r = app
        .call(
            Method::POST,
            "/users",
            Some(json!({"email": "watched@acme.test", "password": "the-right-password-1"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let user_id = r.body["id"].as_str().unwrap().to_string();
    let wrong = "a-wrong-password-that-must-not-be-logged";
    let r = app
        .http
        .post(format!("{}/v1/login", app.base))
        .json(&json!({"login": "watched@acme.test", "password": wrong}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("security") && l.contains("event=LoginFailed"))
        .collect();
    assert_eq!(failed.len(), 1, "{text}");
    let line = failed[0];
    assert!(line.contains(&user_id), "{line}");
    assert!(
        line.contains(&format!("account={}", app.account_id)),
        "{line}"
    );
    assert!(line.contains("ip=\"127.0.0.1\""), "{line}");
    assert!(!text.contains(wrong), "{text}");
    assert!(!text.contains("the-right-password-1"), "{text}");
    // The registration is not a security outcome; nothing else was logged on the target.
    assert!(!text.contains("event=UserRegistered"), "{text}");
    env.cleanup().await.unwrap();
}
