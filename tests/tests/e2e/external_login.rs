//! Google and GitHub logins end to end over HTTP without a browser (the browser test is in
//! `bin/tests/browser.rs`): against a real OpenID Connect provider (oidc-provider), a provider
//! an attacker controls (forged ID tokens, served by the test itself), and the GitHub stand-in.
//! Who is logged in (linked identity first, then the verified email among accounts that allow
//! the provider, choosing between accounts), the second factor before the session and before the
//! link, unlinking, and every refusal recorded as an `ExternalLoginRefused` event with its reason.

use std::sync::{Arc, Mutex};

use chronid_http::ReadSide;
use chronid_tests::peers::{code_in, GithubStandIn, OidcProvider, Peers};
use chronid_tests::server::{spawn_app_with_providers, Delivering, Workers};
use chronid_tests::TestEnv;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::providers::{agent, jwks_of, jws, param, rsa_key, through_github, through_provider_to};
use crate::support::*;

const SESSION: &str = "chronid_session";

async fn allow(app: &TestApp, google: bool, github: bool) {
    let options = json!({"password": true, "google": google, "github": github, "sso": false});
    let r = app.call(Method::PUT, "/login-options", Some(options)).await;
    assert_eq!(r.status, 200, "{r:?}");
}

/// The refusals recorded since the test began, as (reason, account, user), oldest first.
async fn refusals(env: &TestEnv) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT payload -> 'ExternalLoginRefused' ->> 'reason',
                metadata ->> 'account_id',
                payload -> 'ExternalLoginRefused' ->> 'user_id'
           FROM events WHERE event_type = 'ExternalLoginRefused' ORDER BY global_seq",
    )
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

async fn user_events(env: &TestEnv, user: Uuid, event_type: &str) -> Vec<Value> {
    sqlx::query_scalar(
        "SELECT payload -> $2 FROM events
          WHERE aggregate_type = 'user' AND aggregate_id = $1 AND event_type = $2
          ORDER BY sequence",
    )
    .bind(user.to_string())
    .bind(event_type)
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

/// The refused page says the reason's name, sets no session, and the refusal is recorded.
async fn assert_refused(env: &TestEnv, page: &Page, reason: &str, before: usize) {
    assert!(
        page.status == 400 || page.status == 403,
        "{}: {}",
        page.status,
        page.body
    );
    assert!(
        page.body.contains(&format!("Reference: {reason}")),
        "{reason}: {}",
        page.body
    );
    assert!(
        page.headers
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with(SESSION)),
        "a refused login sets no session"
    );
    let recorded = refusals(env).await;
    assert_eq!(recorded.len(), before + 1, "{recorded:?}");
    assert_eq!(recorded[before].0, reason, "{recorded:?}");
}

/// Starts a Google login in `a` and follows it through the provider as `login`: the URL the
/// provider sends the browser back to.
async fn google_round(a: &mut Agent, op: &OidcProvider, base: &str, login: &str) -> String {
    let start = a.get("/auth/google/start").await;
    assert_eq!(start.status, 303, "{}", start.body);
    let to = location(&start).to_string();
    assert!(to.starts_with(&op.issuer), "{to}");
    let mut browser = agent(&op.issuer);
    let callback = format!("{base}/auth/google/callback");
    through_provider_to(&mut browser, &op.issuer, &to, login, &callback).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn google_logs_in_through_a_real_provider_and_links_only_after_the_second_factor() {
    let env = TestEnv::new().await.unwrap();
    let peers = Peers::start().await.unwrap();
    let workers = Workers::start(&env);
    let mut op_slot = None;
    let app = spawn_app_with_providers(&env, workers.read_side(), async |base: String| {
        let op = OidcProvider::start(&format!("{base}/auth/google/callback")).await?;
        let settings = chronid_oauth::Providers::from_raw(&chronid_oauth::RawProviders {
            google_client_id: Some(op.client_id.clone()),
            google_client_secret: Some(op.client_secret.clone()),
            google_issuer: Some(op.issuer.clone()),
            ..Default::default()
        })?;
        op_slot = Some(op);
        chronid_oauth::Clients::connect(&settings, &base)
            .await
            .map_err(anyhow::Error::msg)
    })
    .await
    .unwrap();
    let op = op_slot.unwrap();
    let _delivering = Delivering::start(&env, &app.app, &peers).unwrap();
    let email = format!("ana-{}@acme.test", Uuid::now_v7().simple());
    let ana = app.create_user(&email).await;
    allow(&app, true, false).await;
    app.set_security_policy(json!({"two_factor": "new_device"}))
        .await;

    // The login page offers Google (configured), not GitHub (not configured).
    let mut a = Agent::new(&app);
    let page = a.get("/login").await;
    assert!(page.body.contains("Log in with Google"), "{}", page.body);
    assert!(!page.body.contains("Log in with GitHub"));
    assert!(page.body.contains("/auth/google/start"));
    assert_eq!(a.get("/auth/github/start").await.status, 404);

    // A new device: the provider's word is not enough, the emailed code comes first; nothing
    // is linked and no session opened until it is passed.
    let back = google_round(&mut a, &op, &app.base, &email).await;
    let step = a.get(&back).await;
    assert_eq!(step.status, 303, "{}", step.body);
    assert_eq!(location(&step), "/login/code");
    assert!(a.cookie(SESSION).is_none());
    assert!(user_events(&env, ana, "ExternalIdentityLinked")
        .await
        .is_empty());
    let token = a.token("/login/code").await;
    let mail = peers.nth_mail_to(&email, 1).await.unwrap();
    let code = code_in(&mail.body, 6).unwrap();
    let done = a
        .post("/login/code", &[("csrf", &token), ("code", &code)])
        .await;
    assert_eq!(location(&done), "/account", "{}", done.body);
    assert!(a.cookie(SESSION).is_some());
    let linked = user_events(&env, ana, "ExternalIdentityLinked").await;
    assert_eq!(
        linked,
        vec![json!({"provider": "google", "subject": email})]
    );
    let logins = user_events(&env, ana, "LoginSucceeded").await;
    assert_eq!(logins.last().unwrap()["method"], "google");
    let security = a.get("/account/security").await;
    assert!(security.body.contains("Linked identities"));
    assert!(security.body.contains(&email));

    // The same browser, now trusted: straight in.
    let back = google_round(&mut a, &op, &app.base, &email).await;
    let again = a.get(&back).await;
    assert_eq!(location(&again), "/account", "{}", again.body);
    assert_eq!(user_events(&env, ana, "LoginSucceeded").await.len(), 2);

    // Attacks and refusals, each recorded with its reason.
    let mut n = refusals(&env).await.len();
    // Another state than the one this browser was sent with.
    let mut b = Agent::new(&app);
    let back = google_round(&mut b, &op, &app.base, &email).await;
    let forged = back.replace(
        &format!("state={}", param(&back, "state").unwrap()),
        "state=forged",
    );
    assert_refused(&env, &b.get(&forged).await, "state", n).await;
    n += 1;
    // The provider's answer carried to another browser (login CSRF): that browser started no
    // login.
    let mut c = Agent::new(&app);
    let back = google_round(&mut c, &op, &app.base, &email).await;
    let mut victim = Agent::new(&app);
    assert_refused(&env, &victim.get(&back).await, "state", n).await;
    n += 1;
    // A code used twice: presented again with a new login's state.
    let mut d = Agent::new(&app);
    let back = google_round(&mut d, &op, &app.base, &email).await;
    let first = d.get(&back).await;
    assert_eq!(location(&first), "/login/code");
    let start = d.get("/auth/google/start").await;
    let state = param(location(&start), "state").unwrap();
    let replayed = back.replace(
        &format!("state={}", param(&back, "state").unwrap()),
        &format!("state={state}"),
    );
    assert_refused(&env, &d.get(&replayed).await, "code", n).await;
    n += 1;
    // An email the provider has not verified; an email no account allowing Google holds.
    let mut e = Agent::new(&app);
    let unverified = format!("unverified-{email}");
    let back = google_round(&mut e, &op, &app.base, &unverified).await;
    assert_refused(&env, &e.get(&back).await, "email_not_verified", n).await;
    n += 1;
    let nobody = format!("nobody-{}@elsewhere.test", Uuid::now_v7().simple());
    let back = google_round(&mut e, &op, &app.base, &nobody).await;
    assert_refused(&env, &e.get(&back).await, "no_account", n).await;
    let recorded = refusals(&env).await;
    assert_eq!(recorded[n].1, Uuid::nil().to_string(), "the deployment's");
    n += 1;
    // Google switched off in the account's login options: refused for ana, in Acme's log,
    // though her identity is linked.
    allow(&app, false, false).await;
    let back = google_round(&mut a, &op, &app.base, &email).await;
    assert_refused(&env, &a.get(&back).await, "provider_not_allowed", n).await;
    let recorded = refusals(&env).await;
    assert_eq!(recorded[n].1, app.account_id.to_string());
    assert_eq!(recorded[n].2.as_deref(), Some(ana.to_string().as_str()));
    // Nobody was created by any of it.
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'UserRegistered'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(users, 2, "the administrator and ana");

    // The audit log tells each outcome: Acme's through the API (and the administrator sees the
    // identity in the user view), the deployment's through the query `chronid audit` runs.
    let text = audit_text(&app, &env).await;
    let position: i64 = sqlx::query_scalar("SELECT max(global_seq) FROM events")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    for line in [
        format!("External identity linked. Details: Google account {email}."),
        "User logged in".to_string(),
        "Google login: the account does not allow this login.".to_string(),
    ] {
        assert!(text.contains(&line), "{line} not in {text}");
    }
    let view = app
        .call(
            Method::GET,
            &format!("/users/{ana}?min_position={position}"),
            None,
        )
        .await;
    assert_eq!(
        view.body["external_identities"],
        json!([{"provider": "google", "subject": email}]),
        "{view:?}"
    );
    use futures::StreamExt;
    let no_params = std::collections::HashMap::new();
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now();
    let filter =
        chronid_views::query::resolve_audit_filter(&env.pool, Uuid::nil(), &no_params, now)
            .await
            .unwrap();
    let deployment: Vec<String> =
        chronid_views::query::audit_all(env.pool.clone(), Uuid::nil(), filter)
            .map(|e| e.unwrap().description)
            .collect()
            .await;
    for line in [
        "Google login: the answer is for another login attempt or another browser (state).",
        "Google login: the provider refused the authorization code (used before, or expired).",
        "Google login: the provider has not verified the email.",
        "Google login: no user of an account that allows this login holds the email.",
    ] {
        assert!(
            deployment.iter().any(|d| d.contains(line)),
            "{line} not in {deployment:?}"
        );
    }
    drop(workers);
    env.cleanup().await.unwrap();
}

/// An OpenID Connect provider an attacker controls: its discovery document and key set are
/// real, and its token endpoint answers whatever ID token the test put there.
struct Hostile {
    issuer: String,
    next: Arc<Mutex<String>>,
    key: openssl::pkey::PKey<openssl::pkey::Private>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Hostile {
    async fn start() -> Self {
        use axum::routing::{get, post};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let key = rsa_key();
        let jwks = jwks_of(&key, "k1");
        let next = Arc::new(Mutex::new(String::new()));
        let discovery = json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let token = next.clone();
        let router = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { axum::Json(discovery) }),
            )
            .route(
                "/jwks",
                get(move || async move { ([("content-type", "application/json")], jwks.clone()) }),
            )
            .route(
                "/token",
                post(move || async move {
                    let id_token = token.lock().unwrap().clone();
                    axum::Json(json!({"access_token": "at", "token_type": "Bearer",
                        "expires_in": 60, "id_token": id_token}))
                }),
            );
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            issuer,
            next,
            key,
            server,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_id_tokens_are_refused_and_recorded() {
    let env = TestEnv::new().await.unwrap();
    let hostile = Hostile::start().await;
    let client_id = "chronid-client";
    let app = spawn_app_with_providers(&env, ReadSide::default(), async |base: String| {
        let settings = chronid_oauth::Providers::from_raw(&chronid_oauth::RawProviders {
            google_client_id: Some(client_id.into()),
            google_client_secret: Some("secret".into()),
            google_issuer: Some(hostile.issuer.clone()),
            ..Default::default()
        })?;
        chronid_oauth::Clients::connect(&settings, &base)
            .await
            .map_err(anyhow::Error::msg)
    })
    .await
    .unwrap();
    let email = format!("ana-{}@acme.test", Uuid::now_v7().simple());
    let ana = app.create_user(&email).await;
    allow(&app, true, false).await;
    #[allow(clippy::disallowed_methods)]
    let now = chrono::Utc::now().timestamp();
    let other = rsa_key();
    // (what is wrong, the token's key and kid, claims changed, the reason recorded)
    type Forgery = (
        &'static str,
        Option<&'static str>,
        Value,
        Option<&'static str>,
    );
    let cases: Vec<Forgery> = vec![
        ("nothing: the control", Some("k1"), json!({}), None),
        (
            "another nonce",
            Some("k1"),
            json!({"nonce": "n-other"}),
            Some("nonce"),
        ),
        (
            "another client",
            Some("k1"),
            json!({"aud": "someone-else"}),
            Some("audience"),
        ),
        (
            "expired",
            Some("k1"),
            json!({"exp": now - 600, "iat": now - 1200}),
            Some("expired"),
        ),
        ("alg none", None, json!({}), Some("signature")),
        (
            "an unknown key",
            Some("other"),
            json!({}),
            Some("signature"),
        ),
        (
            "another issuer",
            Some("k1"),
            json!({"iss": "https://accounts.google.com"}),
            Some("issuer"),
        ),
    ];
    let mut n = refusals(&env).await.len();
    for (what, kid, changes, reason) in cases {
        let mut a = Agent::new(&app);
        let start = a.get("/auth/google/start").await;
        let to = location(&start).to_string();
        assert!(to.starts_with(&hostile.issuer), "{to}");
        let (state, nonce) = (param(&to, "state").unwrap(), param(&to, "nonce").unwrap());
        let mut claims = json!({"iss": hostile.issuer, "sub": "g-1", "aud": client_id,
            "exp": now + 600, "iat": now, "nonce": nonce, "email": email, "email_verified": true});
        for (k, v) in changes.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let token = match kid {
            Some("k1") => jws(Some(&hostile.key), "k1", &claims),
            Some(_) => jws(Some(&other), "k2", &claims),
            None => jws(None, "k1", &claims),
        };
        *hostile.next.lock().unwrap() = token;
        let page = a
            .get(&format!("/auth/google/callback?code=c1&state={state}"))
            .await;
        match reason {
            // Accepted: the user found by the email, then the code chronid asks before it
            // links a first identity (even with two-factor off).
            None => {
                assert_eq!(location(&page), "/login/code", "{what}: {}", page.body);
                assert!(a.cookie(SESSION).is_none(), "{what}");
            }
            Some(reason) => {
                assert_refused(&env, &page, reason, n).await;
                n += 1;
            }
        }
    }
    // Only the control came as far as a challenge; nobody logged in or linked.
    assert_eq!(
        user_events(&env, ana, "TwoFactorChallengeIssued")
            .await
            .len(),
        1
    );
    assert!(user_events(&env, ana, "LoginSucceeded").await.is_empty());
    assert!(user_events(&env, ana, "ExternalIdentityLinked")
        .await
        .is_empty());
    env.cleanup().await.unwrap();
}

/// A second account with a user of `email` and GitHub allowed.
async fn second_account(app: &TestApp, email: &str) -> (Uuid, Uuid) {
    use chronid_domain::values::{Email, Name, Password};
    let boot = app
        .app
        .bootstrap(
            Name::parse("name", "Zenith").unwrap(),
            Email::parse(&format!("admin-{}@zenith.test", Uuid::now_v7().simple())).unwrap(),
            None,
            Password::parse("a-long-admin-password").unwrap(),
        )
        .await
        .unwrap();
    let key = secrecy::ExposeSecret::expose_secret(&boot.api_key).to_string();
    let url = |path: &str| format!("{}/v1/accounts/{}{path}", app.base, boot.account_id);
    let r = app
        .http
        .put(url("/login-options"))
        .bearer_auth(&key)
        .json(&json!({"password": true, "google": false, "github": true, "sso": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .http
        .post(url("/users"))
        .bearer_auth(&key)
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    (
        boot.account_id,
        body["id"].as_str().unwrap().parse().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn github_links_one_account_of_several_keeps_it_through_an_email_change_and_unlinks() {
    let env = TestEnv::new().await.unwrap();
    let peers = Peers::start().await.unwrap();
    let mut gh_slot = None;
    let app = spawn_app_with_providers(&env, ReadSide::default(), async |base: String| {
        let gh = GithubStandIn::start(&format!("{base}/auth/github/callback")).await?;
        let settings = chronid_oauth::Providers::from_raw(&chronid_oauth::RawProviders {
            github_client_id: Some(gh.client_id.clone()),
            github_client_secret: Some(gh.client_secret.clone()),
            github_url: Some(gh.base.clone()),
            github_api_url: Some(gh.base.clone()),
            ..Default::default()
        })?;
        gh_slot = Some(gh);
        chronid_oauth::Clients::connect(&settings, &base)
            .await
            .map_err(anyhow::Error::msg)
    })
    .await
    .unwrap();
    let gh = gh_slot.unwrap();
    let _delivering = Delivering::start(&env, &app.app, &peers).unwrap();
    let email = format!("octo-{}@acme.test", Uuid::now_v7().simple());
    let octo = app.create_user(&email).await;
    allow(&app, false, true).await;
    let (_zenith, octo_z) = second_account(&app, &email).await;
    let github_id = format!("{}", 100_000 + (Uuid::now_v7().as_u128() % 100_000));
    let round = async |a: &mut Agent, email: &str, verified: &str| {
        let start = a.get("/auth/github/start").await;
        let to = location(&start).to_string();
        assert!(to.starts_with(&gh.base), "{to}");
        let mut browser = agent(&gh.base);
        let who = [
            ("login", "octo"),
            ("user_id", github_id.as_str()),
            ("email", email),
            ("verified", verified),
            ("other_email", "octo@elsewhere.test"),
        ];
        through_github(&mut browser, &to, &who).await
    };

    // Both accounts allow GitHub and hold the email: the person chooses; only the chosen
    // account's user is linked.
    let mut a = Agent::new(&app);
    let back = round(&mut a, &email, "yes").await;
    let step = a.get(&back).await;
    assert_eq!(location(&step), "/login/external/account", "{}", step.body);
    let choice = a.get("/login/external/account").await;
    assert!(choice.body.contains("Acme") && choice.body.contains("Zenith"));
    let token = token_in(&choice.body);
    // A choice outside the list is refused.
    let outside = a
        .post(
            "/login/external/account",
            &[("csrf", &token), ("account", &Uuid::now_v7().to_string())],
        )
        .await;
    assert_eq!(outside.status, 400);
    let acme = app.account_id.to_string();
    let chosen = a
        .post(
            "/login/external/account",
            &[("csrf", &token), ("account", &acme)],
        )
        .await;
    // Found by its email, not linked yet: chronid's own code first, though the account asks
    // none, and no link before it.
    assert_eq!(location(&chosen), "/login/code", "{}", chosen.body);
    assert!(user_events(&env, octo, "ExternalIdentityLinked")
        .await
        .is_empty());
    let code_token = a.token("/login/code").await;
    let mail = peers.nth_mail_to(&email, 1).await.unwrap();
    let code = code_in(&mail.body, 6).unwrap();
    let done = a
        .post("/login/code", &[("csrf", &code_token), ("code", &code)])
        .await;
    assert_eq!(location(&done), "/account", "{}", done.body);
    assert_eq!(
        user_events(&env, octo, "ExternalIdentityLinked").await,
        vec![json!({"provider": "github", "subject": github_id})]
    );
    assert!(user_events(&env, octo_z, "ExternalIdentityLinked")
        .await
        .is_empty());
    // The choice was used once (and the browser's id renewed at login).
    let again = a
        .post(
            "/login/external/account",
            &[("csrf", &token), ("account", &acme)],
        )
        .await;
    assert!(
        !["/account", "/login/code"].contains(&location(&again)),
        "{}",
        again.body
    );
    assert_eq!(user_events(&env, octo, "LoginSucceeded").await.len(), 1);

    // The email changed at GitHub: the linked id still finds the user, and only in Acme.
    let renamed = format!("renamed-{}@elsewhere.test", Uuid::now_v7().simple());
    let mut b = Agent::new(&app);
    let back = round(&mut b, &renamed, "yes").await;
    let step = b.get(&back).await;
    assert_eq!(location(&step), "/account", "{}", step.body);
    let logins = user_events(&env, octo, "LoginSucceeded").await;
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[1]["method"], "github");

    // No verified primary email at GitHub; a code used twice.
    let mut n = refusals(&env).await.len();
    let mut c = Agent::new(&app);
    let back = round(&mut c, &email, "no").await;
    assert_refused(&env, &c.get(&back).await, "email_not_verified", n).await;
    n += 1;
    let back = round(&mut c, &renamed, "yes").await;
    assert_eq!(location(&c.get(&back).await), "/account");
    let start = c.get("/auth/github/start").await;
    let state = param(location(&start), "state").unwrap();
    let replayed = back.replace(
        &format!("state={}", param(&back, "state").unwrap()),
        &format!("state={state}"),
    );
    assert_refused(&env, &c.get(&replayed).await, "code", n).await;
    n += 1;

    // Unlinked from the Security tab: the renamed email finds no one now.
    let security = b.get("/account/security").await;
    assert!(security.body.contains("GitHub"), "{}", security.body);
    assert!(security.body.contains(&github_id));
    let token = token_in(&security.body);
    // Someone else's identity (another subject) is not unlinked.
    let other = b
        .post(
            "/account/identities/unlink",
            &[("csrf", &token), ("provider", "github"), ("subject", "1")],
        )
        .await;
    assert_eq!(other.status, 400, "{}", other.body);
    let done = b
        .post(
            "/account/identities/unlink",
            &[
                ("csrf", &token),
                ("provider", "github"),
                ("subject", &github_id),
            ],
        )
        .await;
    assert_eq!(location(&done), "/account/security?m=identity-unlinked");
    assert_eq!(
        user_events(&env, octo, "ExternalIdentityUnlinked").await,
        vec![json!({"provider": "github", "subject": github_id})]
    );
    let mut d = Agent::new(&app);
    let back = round(&mut d, &renamed, "yes").await;
    assert_refused(&env, &d.get(&back).await, "no_account", n).await;
    n += 1;

    // With the link gone, the email finds the users of both accounts again: the choice is back.
    let back = round(&mut d, &email, "yes").await;
    let step = d.get(&back).await;
    assert_eq!(location(&step), "/login/external/account", "{}", step.body);
    assert_eq!(refusals(&env).await.len(), n);
    env.cleanup().await.unwrap();
}
