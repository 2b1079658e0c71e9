//! The `chronid` binary as a user runs it: processes with their environment, each test on its
//! own database and stream (`chronid_tests::TestEnv`) and its own free ports. `serve` with each
//! component set in its own process, stopped with SIGTERM; `migrate` and `bootstrap`; `audit`,
//! `history user`, `projections status` and `replay` against what the API answers; and flags that
//! cannot be taken, which exit with 2 naming the flag.
// Tests read the clock and draw ids; determinism is the domain's rule.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

mod common;

use chronid_tests::peers::Peers;
use chronid_tests::TestEnv;
use common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_that_cannot_be_taken_exit_2_naming_the_flag() {
    let env = TestEnv::new().await.unwrap();
    let cases: [(&[&str], &str); 11] = [
        (
            &[
                "bootstrap",
                "--account-name",
                "Acme",
                "--admin-email",
                "not-an-email",
            ],
            "--admin-email",
        ),
        (
            &[
                "bootstrap",
                "--account-name",
                "",
                "--admin-email",
                "a@acme.test",
            ],
            "--account-name",
        ),
        (
            &["serve", "--device-trust-days", "0"],
            "--device-trust-days",
        ),
        (&["serve", "--standby-poll-ms", "10"], "--standby-poll-ms"),
        (
            &["serve", "--trusted-proxies", "10.0.0.0/8,nope"],
            "--trusted-proxies",
        ),
        (&["serve", "--listen", "not-an-address"], "--listen"),
        (
            &["serve", "--google-client-id", "an-id"],
            "CHRONID_GOOGLE_CLIENT_SECRET",
        ),
        (
            &[
                "serve",
                "--github-client-id",
                "an-id",
                "--github-client-secret",
                "a-secret",
                "--github-url",
                "http://github.example.com",
            ],
            "--github-url",
        ),
        (&["audit", "--account", "not-a-uuid"], "--account"),
        (&["replay", "--projection", "nope"], "--projection"),
        (&["serve", "--no-such-flag"], "--no-such-flag"),
    ];
    for (args, flag) in cases {
        let out = run(&env, args, "").await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?} should name {flag}: {err}");
    }
    // A password too short on stdin is a usage error too; nothing is created.
    let out = run(
        &env,
        &[
            "bootstrap",
            "--account-name",
            "Acme",
            "--admin-email",
            "a@acme.test",
        ],
        "short\n",
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("password"));
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(events, 0);
    // A service that is not there is not a usage error: 1, naming what to start.
    let mut cmd = chronid(&env, &["migrate"]);
    cmd.env(
        "CHRONID_DATABASE_URL",
        format!("postgres://postgres@127.0.0.1:{}/none", free_port()),
    );
    let out = cmd.output().await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("scripts/services.sh start"));
    env.cleanup().await.unwrap();
}

/// `migrate` is idempotent; `bootstrap` prints the account; then `serve` in four processes,
/// one component each, does the work of one: the API writes, the relay publishes, the
/// projection workers build the views the API reads, and the notifier sends the mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_in_parts_does_the_work_of_one_process() {
    let env = TestEnv::new().await.unwrap();
    let peers = Peers::start().await.unwrap();
    let out = run(&env, &["migrate"], "").await;
    assert_ok(&out);
    assert!(
        text(&out.stderr).contains("migrations applied: 0"),
        "{}",
        text(&out.stderr)
    );
    let acme = bootstrap(&env).await;

    let api = Serve::start(&env, "api", &[]).await;
    let email = format!("ana-{}@acme.test", uuid::Uuid::now_v7().simple());
    let (status, created) = call(
        api.api(),
        &acme.key,
        reqwest::Method::POST,
        &format!("/v1/accounts/{}/users", acme.id),
        Some(json!({"email": email, "password": "ana-has-a-long-password"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let user = created["id"].as_str().unwrap().to_string();
    let position = created["position"].as_i64().unwrap();
    // No relay runs: nothing is on the stream yet.
    assert_eq!(env.stream_len().await.unwrap(), 0);

    let relay = Serve::start(&env, "relay", &[]).await;
    // (Reservations are internal and never published.)
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type <> 'reservation'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    wait_until("the relay publishes every stored event", || async {
        env.stream_len().await.unwrap() as i64 >= stored
    })
    .await;

    let projections = Serve::start(&env, "projections", &[]).await;
    let (status, view) = call(
        api.api(),
        &acme.key,
        reqwest::Method::GET,
        &format!(
            "/v1/accounts/{}/users/{user}?min_position={position}",
            acme.id
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["email"], email.as_str());

    let notifier = Serve::start(&env, "notifier", &[("CHRONID_SMTP_URL", peers.smtp_url())]).await;
    let r = reqwest::Client::new()
        .post(format!("{}/v1/password/forgot", api.api()))
        .json(&json!({"login": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let mail = peers.nth_mail_to(&email, 1).await.unwrap();
    assert!(mail.body.contains("reset-password?token=chr_"), "{mail:?}");

    // Metrics are served apart from the API.
    let metrics = reqwest::get(format!("{}/metrics", api.metrics))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("chronid_login_refused_total"), "{metrics}");
    let on_api = reqwest::get(format!("{}/metrics", api.api()))
        .await
        .unwrap();
    assert_eq!(on_api.status().as_u16(), 404);

    for part in [notifier, projections, relay, api] {
        let status = part.stop().await;
        assert!(status.success(), "{status:?}");
    }
    env.cleanup().await.unwrap();
}

/// The command line reads what the API reads: the audit log (filters, CSV, JSON lines), a user's
/// history, the projections' status; and `replay` rebuilds the views to what they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn command_line_reads_agree_with_the_api_and_replay_rebuilds_the_same_views() {
    let env = TestEnv::new().await.unwrap();
    let acme = bootstrap(&env).await;
    let serve = Serve::start(&env, "api,relay,projections", &[]).await;
    let base = serve.api().to_string();
    let account = format!("/v1/accounts/{}", acme.id);
    let mut last = 0;
    let mut users = Vec::new();
    for name in ["jane", "joe"] {
        let (status, created) = call(
            &base,
            &acme.key,
            reqwest::Method::POST,
            &format!("{account}/users"),
            Some(
                json!({"email": format!("{name}@acme.test"), "username": name,
                "password": "a-long-user-password"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        users.push(created["id"].as_str().unwrap().to_string());
    }
    let http = reqwest::Client::new();
    for password in ["a-long-user-password", "not-the-password"] {
        http.post(format!("{base}/v1/login"))
            .json(&json!({"login": "jane", "password": password}))
            .send()
            .await
            .unwrap();
    }
    let (status, locked) = call(
        &base,
        &acme.key,
        reqwest::Method::POST,
        &format!("{account}/users/{}/lock", users[1]),
        None,
    )
    .await;
    assert_eq!(status, 200, "{locked}");
    last = last.max(locked["position"].as_i64().unwrap());
    let (status, _) = call(
        &base,
        &acme.key,
        reqwest::Method::GET,
        &format!("{account}/audit?min_position={last}"),
        None,
    )
    .await;
    assert_eq!(status, 200);

    // The audit log: every line the API exports, for each filter, in each format.
    let export = |query: String| {
        let (http, base, account, key) = (
            http.clone(),
            base.clone(),
            account.clone(),
            acme.key.clone(),
        );
        async move {
            http.get(format!("{base}{account}/audit/export?{query}"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let filters: [(&[&str], &str); 5] = [
        (&[], ""),
        (&["--username", "jane"], "username=jane"),
        (&["--q", "locked"], "q=locked"),
        (&["--range", "today", "--tz", "UTC"], "range=today&tz=UTC"),
        (&["--ip", "127.0.0.1"], "ip=127.0.0.1"),
    ];
    for (flags, query) in filters {
        for format in ["jsonl", "csv"] {
            let mut args = vec!["audit", "--account", acme.id.as_str(), "--format", format];
            args.extend_from_slice(flags);
            let out = run(&env, &args, "").await;
            assert_ok(&out);
            let api = export(format!("format={format}&{query}")).await;
            assert_eq!(text(&out.stdout), api, "{args:?}");
            // Every filter here matches something: the comparison is not of two empty logs.
            let rows = api.lines().count() - usize::from(format == "csv");
            assert!(rows >= 1, "{args:?}: {api}");
        }
    }
    let all = export("format=jsonl".into()).await;
    assert!(all.lines().any(|l| l.contains("User locked.")), "{all}");

    // A user's history: the API's events, one JSON line each; with --as-of, the user then.
    let out = run(
        &env,
        &["history", "user", "--account", &acme.id, &users[0]],
        "",
    )
    .await;
    assert_ok(&out);
    let (_, api) = call(
        &base,
        &acme.key,
        reqwest::Method::GET,
        &format!("{account}/users/{}/history?limit=1000", users[0]),
        None,
    )
    .await;
    let cli: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(Value::Array(cli.clone()), api["events"]);
    let as_of = cli[0]["occurred_at"].as_str().unwrap().to_string();
    let out = run(
        &env,
        &[
            "history",
            "user",
            "--account",
            &acme.id,
            &users[0],
            "--as-of",
            &as_of,
        ],
        "",
    )
    .await;
    assert_ok(&out);
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.last().unwrap()["user_as_of"]["email"],
        "jane@acme.test"
    );

    // The projections' status: both caught up to the last position, nothing parked.
    let out = run(&env, &["projections", "status"], "").await;
    assert_ok(&out);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    for p in status.as_array().unwrap() {
        assert!(
            p["checkpoint"]["position"].as_i64().unwrap() >= last,
            "{status}"
        );
        assert_eq!(p["failed_events"], json!([]), "{status}");
    }

    // Replay from the store, then from the stream: the same views, the same audit log.
    let view = |id: String| {
        let (base, account, key) = (base.clone(), account.clone(), acme.key.clone());
        async move {
            call(
                &base,
                &key,
                reqwest::Method::GET,
                &format!("{account}/users/{id}"),
                None,
            )
            .await
            .1
        }
    };
    let before = (
        view(users[0].clone()).await,
        view(users[1].clone()).await,
        all.clone(),
    );
    for source in ["store", "stream"] {
        let out = run(
            &env,
            &["replay", "--projection", "all", "--source", source],
            "",
        )
        .await;
        assert_ok(&out);
        let after = (
            view(users[0].clone()).await,
            view(users[1].clone()).await,
            export("format=jsonl".into()).await,
        );
        assert_eq!(after, before, "replay from the {source}");
    }
    // --until builds the views as they stood then beside the live ones.
    let out = run(&env, &["replay", "--until", &as_of], "").await;
    assert_ok(&out);
    let then: i64 = sqlx::query_scalar("SELECT count(*) FROM view_users__until")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    let now: i64 = sqlx::query_scalar("SELECT count(*) FROM view_users")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert!(then < now, "until {as_of}: {then} users then, {now} now");

    assert!(serve.stop().await.success());
    env.cleanup().await.unwrap();
}

/// `serve` with `vars` set, to its end (within a minute): its exit status and stderr.
async fn serve_exits(env: &TestEnv, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut cmd = chronid(env, &["serve"]);
    cmd.env("CHRONID_COMPONENTS", "api,relay")
        .env("CHRONID_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env(
            "CHRONID_METRICS_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        );
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("serve should stop within a minute")
        .unwrap();
    (out.status.code(), text(&out.stderr))
}

/// Waits until the stream `stream` on the server `client` is connected to holds events.
async fn events_reach(client: async_nats::Client, stream: &str) {
    let js = chronid_tests::test_nats_options().jetstream(client);
    wait_until("events published to the stream", || async {
        match js.get_stream(stream).await {
            Ok(mut s) => s.info().await.is_ok_and(|i| i.state.messages > 0),
            Err(_) => false,
        }
    })
    .await;
}

/// `serve` running the relay alone on the private `server` with `vars` (its credentials), on a
/// stream of its own named after `name`: the relay starts it from the first stored event, and
/// the events reach it as `probe` reads them.
async fn relay_reaches(
    env: &TestEnv,
    server: &chronid_tests::NatsServer,
    probe: &chronid_stream::NatsOptions,
    name: &str,
    vars: &[(&str, String)],
) {
    let stream = format!("{}_{}", env.stream.stream, name.to_uppercase());
    let mut all = vec![
        ("CHRONID_NATS_URL", server.url()),
        ("CHRONID_STREAM", stream.clone()),
        (
            "CHRONID_SUBJECT_PREFIX",
            format!("{}.{name}", env.stream.subject_prefix),
        ),
    ];
    all.extend(vars.iter().cloned());
    let serve = Serve::start(env, "relay", &all).await;
    let servers = chronid_stream::server_addrs(&server.url()).unwrap();
    events_reach(probe.connect(&servers).await.unwrap(), &stream).await;
    serve.stop().await;
}

/// `CHRONID_NATS_URL` takes a seed list (a server that is down in it does not stop the start),
/// user and password, a token, and TLS with a client certificate; every wrong setting stops the start
/// naming it, and a password never shows in what is printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_seed_lists_credentials_and_tls() {
    use chronid_stream::{NatsAuth, NatsOptions, NatsTls};
    let env = TestEnv::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(dir.path().join("bad.creds"), "not a creds file").unwrap();
    let (cert, key, garbage) = (path("client.pem"), path("client.key"), path("bad.creds"));
    // Settings that are wrong: 2, naming the setting.
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![(
                "CHRONID_NATS_URL",
                "nats://127.0.0.1:4222,,nats://127.0.0.1:4223",
            )],
            "CHRONID_NATS_URL",
        ),
        (
            vec![("CHRONID_NATS_URL", "nats://u:hunter22@127.0.0.1:99999")],
            "CHRONID_NATS_URL",
        ),
        (
            vec![("CHRONID_NATS_CREDS", "/nonexistent/chronid.creds")],
            "CHRONID_NATS_CREDS",
        ),
        (vec![("CHRONID_NATS_CREDS", &garbage)], "CHRONID_NATS_CREDS"),
        (
            vec![("CHRONID_NATS_TLS_CERT", &cert)],
            "CHRONID_NATS_TLS_KEY",
        ),
        (
            vec![("CHRONID_NATS_USER", "chronid")],
            "CHRONID_NATS_PASSWORD",
        ),
        (
            vec![("CHRONID_NATS_TOKEN", "t"), ("CHRONID_NATS_USER", "u")],
            "CHRONID_NATS_TOKEN",
        ),
    ];
    for (vars, setting) in cases {
        let (code, err) = serve_exits(&env, &vars).await;
        assert_eq!(code, Some(2), "{vars:?}: {err}");
        assert!(
            err.contains(setting),
            "{vars:?} should name {setting}: {err}"
        );
        assert!(!err.contains("hunter22"), "a password was printed: {err}");
    }

    // A seed list with a server that is down: the start goes on with the other, and events
    // flow.
    let seeds = format!("nats://127.0.0.1:{},{}", free_port(), env.nats_url);
    let serve = Serve::start(&env, "api,relay", &[("CHRONID_NATS_URL", seeds)]).await;
    bootstrap(&env).await;
    events_reach(env.nats.clone(), &env.stream.stream).await;
    serve.stop().await;

    // User and password, on a server that requires them.
    let auth = NatsAuth::UserPassword {
        user: "chronid".into(),
        password: "hunter22-nats".into(),
    };
    let probe = NatsOptions {
        auth: auth.clone(),
        ..chronid_tests::test_nats_options()
    };
    let server = chronid_tests::NatsServer::launch_with(
        &["--user", "chronid", "--pass", "hunter22-nats"],
        probe.clone(),
        "nats",
    )
    .await
    .unwrap();
    let (code, err) = serve_exits(
        &env,
        &[
            ("CHRONID_NATS_URL", &server.url()),
            ("CHRONID_NATS_USER", "chronid"),
            ("CHRONID_NATS_PASSWORD", "hunter22-wrong"),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("CHRONID_NATS_URL"), "{err}");
    assert!(!err.contains("hunter22"), "a password was printed: {err}");
    relay_reaches(
        &env,
        &server,
        &probe,
        "auth",
        &[
            ("CHRONID_NATS_USER", "chronid".into()),
            ("CHRONID_NATS_PASSWORD", "hunter22-nats".into()),
        ],
    )
    .await;
    drop(server);

    // A token, on a server that requires one; a wrong one is refused, never printed.
    let probe = NatsOptions {
        auth: NatsAuth::Token("hunter22-token".into()),
        ..chronid_tests::test_nats_options()
    };
    let server = chronid_tests::NatsServer::launch_with(
        &["--auth", "hunter22-token"],
        probe.clone(),
        "nats",
    )
    .await
    .unwrap();
    let (code, err) = serve_exits(
        &env,
        &[
            ("CHRONID_NATS_URL", &server.url()),
            ("CHRONID_NATS_TOKEN", "hunter22-wrong"),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("hunter22"), "a token was printed: {err}");
    let token = [("CHRONID_NATS_TOKEN", "hunter22-token".to_string())];
    relay_reaches(&env, &server, &probe, "token", &token).await;
    drop(server);

    // TLS, the server verifying a client certificate.
    let tls = NatsTls {
        ca: Some(path("ca.pem").into()),
        client: Some((cert.clone().into(), key.clone().into())),
    };
    let probe = NatsOptions {
        tls: Some(tls),
        ..chronid_tests::test_nats_options()
    };
    let tls_args = nats_tls_args(dir.path());
    let server = chronid_tests::NatsServer::launch_with(
        &tls_args.iter().map(String::as_str).collect::<Vec<_>>(),
        probe.clone(),
        "tls",
    )
    .await
    .unwrap();
    let ca = path("ca.pem");
    // Without the client certificate the server refuses the connection.
    let (code, err) = serve_exits(
        &env,
        &[
            ("CHRONID_NATS_URL", &server.url()),
            ("CHRONID_NATS_TLS_CA", &ca),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("CHRONID_NATS_URL"), "{err}");
    let tls = [
        ("CHRONID_NATS_TLS_CA", ca.clone()),
        ("CHRONID_NATS_TLS_CERT", cert.clone()),
        ("CHRONID_NATS_TLS_KEY", key.clone()),
    ];
    relay_reaches(&env, &server, &probe, "tls", &tls).await;
    drop(server);
    env.cleanup().await.unwrap();
}

/// A JWT signed by `issuer` (an operator or account NKey) for `subject`, as nsc would issue it.
fn nats_jwt(issuer: &nkeys::KeyPair, subject: &str, name: &str, nats: Value) -> String {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = json!({"typ": "JWT", "alg": "ed25519-nkey"});
    let claims = json!({
        "jti": uuid::Uuid::now_v7().simple().to_string().to_uppercase(),
        "iat": 1_700_000_000, "iss": issuer.public_key(), "sub": subject, "name": name,
        "nats": nats,
    });
    let signed = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = issuer.sign(signed.as_bytes()).unwrap();
    format!("{signed}.{}", b64(&signature))
}

/// `CHRONID_NATS_CREDS` against a server in operator mode (decentralised JWT authentication,
/// the accounts preloaded): a `.creds` file of a user of the account connects, publishes and
/// consumes; the same file for a user the account did not sign is refused, and its seed is never
/// printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_creds_file_on_an_operator_mode_server() {
    use chronid_stream::{NatsAuth, NatsOptions};
    use nkeys::KeyPair;
    let env = TestEnv::new().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (operator, account, system) = (
        KeyPair::new_operator(),
        KeyPair::new_account(),
        KeyPair::new_account(),
    );
    let limits = json!({"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                        "wildcards": true, "conn": -1, "leaf": -1});
    let mut with_jetstream = limits.clone();
    for (k, v) in [
        ("mem_storage", -1),
        ("disk_storage", -1),
        ("streams", -1),
        ("consumer", -1),
    ] {
        with_jetstream[k] = json!(v);
    }
    let account_jwt = nats_jwt(
        &operator,
        &account.public_key(),
        "chronid",
        json!({"type": "account", "version": 2, "limits": with_jetstream}),
    );
    let system_jwt = nats_jwt(
        &operator,
        &system.public_key(),
        "SYS",
        json!({"type": "account", "version": 2, "limits": limits}),
    );
    let operator_jwt = nats_jwt(
        &operator,
        &operator.public_key(),
        "chronid-test",
        json!({"type": "operator", "version": 2, "system_account": system.public_key()}),
    );
    let config = format!(
        "operator: \"{operator_jwt}\"\nsystem_account: {sys}\nresolver: MEMORY\n\
         resolver_preload: {{\n  {acc}: \"{account_jwt}\"\n  {sys}: \"{system_jwt}\"\n}}\n",
        sys = system.public_key(),
        acc = account.public_key(),
    );
    let config_path = dir.path().join("operator.conf");
    std::fs::write(&config_path, config).unwrap();
    // A user of the account, and one signed by a key the operator never vouched for.
    let creds = |signer: &KeyPair, user: &KeyPair| {
        let jwt = nats_jwt(
            signer,
            &user.public_key(),
            "chronid-node",
            json!({"type": "user", "version": 2, "pub": {}, "sub": {},
                   "subs": -1, "data": -1, "payload": -1}),
        );
        format!(
            "-----BEGIN NATS USER JWT-----\n{jwt}\n------END NATS USER JWT------\n\n\
             -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            user.seed().unwrap()
        )
    };
    let user = KeyPair::new_user();
    let good = creds(&account, &user);
    let stranger = KeyPair::new_user();
    let bad = creds(&KeyPair::new_account(), &stranger);
    let (good_path, bad_path) = (dir.path().join("node.creds"), dir.path().join("bad.creds"));
    std::fs::write(&good_path, &good).unwrap();
    std::fs::write(&bad_path, &bad).unwrap();

    let probe = NatsOptions {
        auth: NatsAuth::Credentials(good.clone()),
        ..chronid_tests::test_nats_options()
    };
    let server = chronid_tests::NatsServer::launch_with(
        &["-c", &config_path.to_string_lossy()],
        probe.clone(),
        "nats",
    )
    .await
    .unwrap();
    let (code, err) = serve_exits(
        &env,
        &[
            ("CHRONID_NATS_URL", &server.url()),
            ("CHRONID_NATS_CREDS", &bad_path.to_string_lossy()),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("CHRONID_NATS_URL"), "{err}");
    let seed = stranger.seed().unwrap();
    assert!(!err.contains(&seed), "a seed was printed: {err}");

    bootstrap(&env).await;
    let creds = [(
        "CHRONID_NATS_CREDS",
        good_path.to_string_lossy().into_owned(),
    )];
    relay_reaches(&env, &server, &probe, "creds", &creds).await;
    drop(server);
    env.cleanup().await.unwrap();
}

/// TLS to PostgreSQL is asked for in the URL (`sslmode`, `sslrootcert`): `require` encrypts,
/// `verify-full` with an authority that did not sign the server's certificate refuses to start,
/// naming the setting. (The local server's certificate is Debian's self-signed snakeoil one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tls_through_the_url() {
    let env = TestEnv::new().await.unwrap();
    let sep = if env.database_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let required = format!("{}{sep}sslmode=require", env.database_url);
    let pool = chronid_store::connect(&required, 2).await.unwrap();
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        encrypted,
        "sslmode=require should encrypt (is ssl on in postgresql.conf?)"
    );
    pool.close().await;
    let mut cmd = chronid(&env, &["migrate"]);
    let out = cmd
        .env("CHRONID_DATABASE_URL", &required)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let wrong_ca = dir.path().join("ca.pem");
    let verified = format!(
        "{}{sep}sslmode=verify-full&sslrootcert={}",
        env.database_url,
        wrong_ca.display()
    );
    let mut cmd = chronid(&env, &["migrate"]);
    let out = cmd
        .env("CHRONID_DATABASE_URL", &verified)
        .output()
        .await
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("CHRONID_DATABASE_URL"), "{err}");
    env.cleanup().await.unwrap();
}
