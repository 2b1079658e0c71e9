//! `oidc`: what a Google login costs the server.
//!
//! A `chronid serve` child process (API and pages) with Google login pointed at a real OpenID
//! Connect provider on this machine (oidc-provider, the Google tests' peer). Each login is
//! prepared first, outside the measure: a browser starts it at `/auth/google/start` (the state,
//! nonce and PKCE verifier sealed in its cookie) and goes through the provider's login and
//! consent pages, which send it back with a code. The measure is the server's CPU time (from
//! `/proc/<pid>/stat`) over the callback requests, each through the session: the state checked,
//! the code exchanged at the provider (PKCE), the ID token verified, the user found, the
//! session recorded. The reference, same run: the CPU time of this process verifying one ID
//! token of the same provider with chronid's Google client (signature with the provider's key,
//! issuer, audience, expiry, nonce, email verified), on one thread.
//!
//! Two figures: a returning login (the user found by the linked identity, through the session),
//! and a first one (found by the verified email, up to the code chronid sends before it links
//! the identity: decision 0016).

use std::time::Duration;

use anyhow::{bail, Context};
use chronid_crypto::Argon2Params;
use chronid_tests::peers::OidcProvider;
use chronid_tests::TestEnv;
use serde_json::{json, Value};

use chronid_domain::reservation::{provider_identity_key, Reservation, ReservationCommand};
use chronid_domain::user::{IdentityProvider, User, UserCommand};
use chronid_tests::server::test_services;

use crate::bench_login::{
    account_with, cpu_seconds, free_port, no_redirect_client, thread_cpu, Server,
};
use crate::{print, Figure};

/// A browser without a browser, for one host: its cookies, sent back as they were set.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn keep(&mut self, r: &reqwest::Response) {
        for set in r.headers().get_all("set-cookie") {
            let Some(pair) = set.to_str().ok().and_then(|v| v.split(';').next()) else {
                continue;
            };
            if let Some((k, v)) = pair.split_once('=') {
                self.0.retain(|(name, _)| name != k);
                self.0.push((k.to_string(), v.to_string()));
            }
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join("; ")
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Through the provider's login and consent pages from `url` as `login`: the URL it sends the
/// browser back to (starting with `callback`).
async fn through_provider(
    http: &reqwest::Client,
    issuer: &str,
    url: &str,
    login: &str,
    callback: &str,
) -> anyhow::Result<String> {
    let mut jar = Jar::default();
    let mut next = (url.to_string(), None::<Vec<(&str, &str)>>);
    for _ in 0..10 {
        let (to, form) = &next;
        let absolute = match to.starts_with("http") {
            true => to.clone(),
            false => format!("{issuer}{to}"),
        };
        let request = match form {
            Some(form) => http.post(&absolute).form(form),
            None => http.get(&absolute),
        };
        let r = request.header("cookie", jar.header()).send().await?;
        jar.keep(&r);
        let to = location(&r);
        if to.starts_with(callback) {
            return Ok(to);
        }
        if !to.is_empty() {
            next = (to, None);
            continue;
        }
        let body = r.text().await?;
        let at = body
            .find("action=\"")
            .context("a provider page without a form")?
            + 8;
        let action = body[at..].split('"').next().unwrap_or_default().to_string();
        let fields = match body.contains("name=\"login\"") {
            true => vec![("prompt", "login"), ("login", login), ("password", "x")],
            false => vec![("prompt", "consent")],
        };
        next = (action, Some(fields));
    }
    bail!("the provider did not send the browser back")
}

/// One login ready to go: the browser's cookies at chronid and where the provider sent it.
struct Prepared {
    cookies: String,
    callback_url: String,
}

async fn prepare(
    http: &reqwest::Client,
    server: &Server,
    op: &OidcProvider,
    email: &str,
) -> anyhow::Result<Prepared> {
    let start = http
        .get(format!("{}/auth/google/start", server.base))
        .send()
        .await?;
    if start.status() != 303 {
        bail!("/auth/google/start answered {}", start.status());
    }
    let mut jar = Jar::default();
    jar.keep(&start);
    let callback = format!("{}/auth/google/callback", server.base);
    let back = through_provider(http, &op.issuer, &location(&start), email, &callback).await?;
    Ok(Prepared {
        cookies: jar.header(),
        callback_url: back,
    })
}

/// Server CPU seconds per login of `prepared` (each callback through the session, or to the
/// code step when `to_code`).
async fn measure(
    http: &reqwest::Client,
    server: &Server,
    prepared: &[Prepared],
    to_code: bool,
) -> anyhow::Result<f64> {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = server.pid().to_string();
    let start = cpu_seconds(&pid)?;
    for p in prepared {
        let done = http
            .get(&p.callback_url)
            .header("cookie", &p.cookies)
            .send()
            .await?;
        let session = done
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().is_ok_and(|c| c.starts_with("chronid_session=")));
        let reached = match to_code {
            true => location(&done) == "/login/code",
            false => location(&done) == "/account" && session,
        };
        if !reached {
            bail!(
                "a Google login opened no session: {} {}",
                done.status(),
                done.text().await?
            );
        }
    }
    Ok((cpu_seconds(&pid)? - start) / prepared.len() as f64)
}

/// Raw ID tokens of the provider for chronid's client, with their nonces: logins run by this
/// process, the code exchanged here.
async fn id_tokens(
    http: &reqwest::Client,
    op: &OidcProvider,
    google: &chronid_oauth::google::Google,
    callback: &str,
    n: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let discovery: Value = http
        .get(format!("{}/.well-known/openid-configuration", op.issuer))
        .send()
        .await?
        .json()
        .await?;
    let token_endpoint = discovery["token_endpoint"].as_str().unwrap_or_default();
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let (url, started) = google.begin().map_err(anyhow::Error::msg)?;
        let login = format!("reference{i}@bench.test");
        let back = through_provider(http, &op.issuer, &url, &login, callback).await?;
        let code = reqwest::Url::parse(&back)?
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .context("no code")?;
        let answer: Value = http
            .post(token_endpoint)
            .basic_auth(&op.client_id, Some(&op.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", callback),
                ("code_verifier", started.verifier.as_str()),
            ])
            .send()
            .await?
            .json()
            .await?;
        let raw = answer["id_token"].as_str().context("no ID token")?;
        tokens.push((raw.to_string(), started.nonce));
    }
    Ok(tokens)
}

pub async fn oidc_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let port = free_port()?;
    let callback = format!("http://127.0.0.1:{port}/auth/google/callback");
    let op = OidcProvider::start(&callback).await?;
    let settings = [
        ("CHRONID_GOOGLE_CLIENT_ID", op.client_id.clone()),
        ("CHRONID_GOOGLE_CLIENT_SECRET", op.client_secret.clone()),
        ("CHRONID_GOOGLE_ISSUER", op.issuer.clone()),
    ];
    let server = Server::start_on(env, (Argon2Params::default(), None), port, |base| {
        let mut all = vec![
            ("CHRONID_PUBLIC_URL", base.to_string()),
            ("CHRONID_COMPONENTS", "api".to_string()),
        ];
        all.extend(settings);
        all
    })
    .await?;
    let (key, account, _) = account_with(env, &server, "admin-user@bench.test").await?;
    let accounts = format!("{}/v1/accounts/{account}", server.base);
    let options = server
        .http
        .put(format!("{accounts}/login-options"))
        .bearer_auth(&key)
        .json(&json!({"password": true, "google": true, "github": false, "sso": false}))
        .send()
        .await?;
    if !options.status().is_success() {
        bail!("login options: {}", options.text().await?);
    }
    let n = if quick { 30 } else { 150 };
    let exec = chronid_store::CommandExecutor::new(env.pool.clone(), test_services());
    let account_id: uuid::Uuid = account.parse()?;
    let facts = chronid_domain::metadata::RequestFacts::system();
    let (mut linked, mut unlinked) = (Vec::new(), Vec::new());
    for i in 0..2 * n {
        let email = format!("google{i}@bench.test");
        let r = server
            .http
            .post(format!("{accounts}/users"))
            .bearer_auth(&key)
            .json(&json!({ "email": email }))
            .send()
            .await?;
        if r.status() != 201 {
            bail!("creating {email}: {}", r.text().await?);
        }
        if i % 2 == 1 {
            unlinked.push(email);
            continue;
        }
        // Linked beforehand, as an earlier first login (with its emailed code) would have:
        // the provider's subject is the login.
        let body: Value = r.json().await?;
        let user_id: uuid::Uuid = body["id"].as_str().unwrap_or_default().parse()?;
        let key = provider_identity_key(account_id, "google", &email);
        let claim = ReservationCommand::Claim {
            owner: user_id,
            account_id: Some(account_id),
        };
        exec.execute::<Reservation>(&key, claim, &facts).await?;
        let link = UserCommand::LinkExternalIdentity {
            provider: IdentityProvider::Google,
            subject: email.clone(),
        };
        exec.execute::<User>(&user_id.to_string(), link, &facts)
            .await?;
        linked.push(email);
    }
    // The server's cache takes a read-only state for at most 2 s.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let http = no_redirect_client()?;

    // Returning: found by the link, through the session.
    let mut again = Vec::with_capacity(n);
    for email in &linked {
        again.push(prepare(&http, &server, &op, email).await?);
    }
    let returning_cpu = measure(&http, &server, &again, false).await?;
    // First logins: found by the verified email, to the code step.
    let mut first = Vec::with_capacity(n);
    for email in &unlinked {
        first.push(prepare(&http, &server, &op, email).await?);
    }
    let first_cpu = measure(&http, &server, &first, true).await?;

    // The reference: one ID token verified here by chronid's own Google client.
    let provider = chronid_oauth::Providers::from_raw(&chronid_oauth::RawProviders {
        google_client_id: Some(op.client_id.clone()),
        google_client_secret: Some(op.client_secret.clone()),
        google_issuer: Some(op.issuer.clone()),
        ..Default::default()
    })?;
    let settings = provider.google.context("the Google settings")?;
    let google = chronid_oauth::google::Google::discover(
        &settings,
        &callback,
        chronid_oauth::http_client()?,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let tokens = id_tokens(&http, &op, &google, &callback, 8).await?;
    let rounds = if quick { 200 } else { 1000 };
    let verify = tokio::task::spawn_blocking(move || {
        let before = thread_cpu()?;
        for i in 0..rounds {
            let (raw, nonce) = &tokens[i % tokens.len()];
            futures::executor::block_on(google.verify_id_token(raw, nonce))
                .map_err(|e| anyhow::anyhow!("a token of the provider was refused: {e}"))?;
        }
        anyhow::Ok((thread_cpu()? - before) / rounds as f64)
    })
    .await??;

    for (figure, value, what, path) in [
        ("google_login_cpu_returning", returning_cpu, "a user found by the linked identity",
            "GET /auth/google/callback (pending login opened, state, code exchanged with PKCE at the provider, ID token verified, user found by the link, session recorded)"),
        ("google_login_cpu_first", first_cpu, "a user found by the verified email, not linked yet",
            "GET /auth/google/callback to the code step (as above, then a device registered and the emailed code's challenge issued)"),
    ] {
        print(Figure {
            scenario: "oidc",
            figure,
            params: json!({"logins": n, "user": what, "two_factor": "off", "path": path}),
            value: value * 1000.0,
            unit: "ms CPU",
            reference: "id_token_verify_cpu",
            reference_value: verify * 1000.0,
        });
    }
    Ok(())
}
