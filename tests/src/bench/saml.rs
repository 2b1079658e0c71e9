//! `saml`: what an SSO login costs the server.
//!
//! A `chronid serve` child process (API and pages) with an SSO configuration for a real IdP
//! (pysaml2 with xmlsec1). Each login is prepared first, outside the measure: a browser opens
//! the SP initiation URL (the AuthnRequest is remembered with its browser id) and the IdP signs
//! a Response to that request. The measure is the server's CPU time (from `/proc/<pid>/stat`)
//! over the logins' two requests: the Response posted to the assertion consumer, then the
//! browser's `GET /login/saml/finish` that opens the session. The reference, same run: the CPU
//! time of samael verifying the signature of one of the same Responses in this process (one
//! thread, `ServiceProvider::parse_base64_response` with the IdP's certificate).
//!
//! Two figures: a returning user (found by email), and a first login (the user created).

use std::time::Duration;

use anyhow::{bail, Context};
use chronid_crypto::Argon2Params;
use chronid_tests::peers::SamlIdp;
use chronid_tests::TestEnv;
use serde_json::{json, Value};

use crate::bench_login::{account_with, cpu_seconds, no_redirect_client, thread_cpu, Server};
use crate::{print, Figure};

const SLUG: &str = "bench";

/// One login ready to go: the browser's cookies and the signed Response to its request.
struct Prepared {
    cookies: String,
    response: String,
    request_id: String,
}

/// The `name=value` pairs of a response's Set-Cookie headers.
fn cookies_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

async fn prepare(
    http: &reqwest::Client,
    server: &Server,
    idp: &SamlIdp,
    sp: &str,
    email: &str,
) -> anyhow::Result<Prepared> {
    let start = http
        .get(format!("{}/login/saml/{SLUG}/", server.base))
        .send()
        .await?;
    if start.status() != 303 {
        bail!("the SP initiation URL answered {}", start.status());
    }
    let cookies = cookies_of(&start);
    let location = start.headers()["location"].to_str()?.to_string();
    // The request's id, as the IdP reads it from the redirect.
    let query = location.split_once('?').context("no query")?.1;
    let saml_request = url_param(query, "SAMLRequest").context("no SAMLRequest")?;
    let request_id = request_id_of(&saml_request)?;
    let r = idp
        .test_response(&[
            ("email", email),
            ("sp", sp),
            ("in_response_to", &request_id),
            ("given_name", "Bench"),
            ("surname", "User"),
        ])
        .await?;
    Ok(Prepared {
        cookies,
        response: r["saml_response"].as_str().unwrap_or_default().to_string(),
        request_id,
    })
}

fn url_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| {
            let v = v.replace('+', " ");
            percent_decode(&v)
        })
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The ID of a deflated, base64 AuthnRequest.
fn request_id_of(saml_request: &str) -> anyhow::Result<String> {
    use base64::Engine;
    use std::io::Read;
    let deflated = base64::engine::general_purpose::STANDARD.decode(saml_request)?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..]).read_to_string(&mut xml)?;
    let at = xml.find(" ID=\"").context("no ID")? + 5;
    Ok(xml[at..].split('"').next().unwrap_or_default().to_string())
}

/// The Response posted to the consumer (cross-site: no cookie); the finish URL it answers.
async fn post_response(
    http: &reqwest::Client,
    acs_url: &str,
    p: &Prepared,
) -> anyhow::Result<String> {
    let posted = http
        .post(acs_url)
        .form(&[("SAMLResponse", p.response.as_str())])
        .send()
        .await?;
    if posted.status() != 303 {
        bail!(
            "the consumer answered {}: {}",
            posted.status(),
            posted.text().await?
        );
    }
    Ok(posted.headers()["location"].to_str()?.to_string())
}

/// The browser at the finish page; true when a session was opened.
async fn finish(
    http: &reqwest::Client,
    server: &Server,
    finish: &str,
    p: &Prepared,
) -> anyhow::Result<bool> {
    let done = http
        .get(format!("{}{finish}", server.base))
        .header("cookie", &p.cookies)
        .send()
        .await?;
    let to = done
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(to == "/account" && cookies_of(&done).contains("chronid_session="))
}

/// Server CPU seconds per login of `prepared`, in all and for each of its two requests
/// (all consumer posts first, then all finish pages).
async fn measure(
    http: &reqwest::Client,
    server: &Server,
    acs_url: &str,
    prepared: &[Prepared],
) -> anyhow::Result<(f64, f64, f64)> {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = server.pid().to_string();
    let n = prepared.len() as f64;
    let start = cpu_seconds(&pid)?;
    let mut finishes = Vec::with_capacity(prepared.len());
    for p in prepared {
        finishes.push(post_response(http, acs_url, p).await?);
    }
    let middle = cpu_seconds(&pid)?;
    for (p, to) in prepared.iter().zip(&finishes) {
        if !finish(http, server, to, p).await? {
            bail!("an SSO login opened no session");
        }
    }
    let end = cpu_seconds(&pid)?;
    Ok(((end - start) / n, (middle - start) / n, (end - middle) / n))
}

/// CPU seconds of samael verifying `response` (base64) once, averaged over `n`, on one thread.
fn samael_verify_cpu(
    idp_metadata: &str,
    sp_entity_id: &str,
    acs_url: &str,
    prepared: &[Prepared],
    n: usize,
) -> anyhow::Result<f64> {
    use samael::service_provider::ServiceProvider;
    let sp = ServiceProvider {
        entity_id: Some(sp_entity_id.to_string()),
        acs_url: Some(acs_url.to_string()),
        idp_metadata: idp_metadata.parse()?,
        ..ServiceProvider::default()
    };
    let before = thread_cpu()?;
    for i in 0..n {
        let p = &prepared[i % prepared.len()];
        let ids = [p.request_id.as_str()];
        sp.parse_base64_response(&p.response, Some(&ids))
            .map_err(|e| anyhow::anyhow!("samael refused a response the server takes: {e}"))?;
    }
    Ok((thread_cpu()? - before) / n as f64)
}

/// CPU seconds of chronid's whole check of one Response (the strict screen, samael, its own
/// checks), averaged over `n`, on one thread: context for the figure.
fn chronid_check_cpu(
    expected: (&str, Vec<Vec<u8>>, &str, &str),
    prepared: &[Prepared],
    n: usize,
) -> anyhow::Result<f64> {
    let (idp_entity_id, certificates, sp_entity_id, acs_url) = expected;
    let before = thread_cpu()?;
    for i in 0..n {
        let p = &prepared[i % prepared.len()];
        let ids = [p.request_id.clone()];
        let e = chronid_saml::response::Expected {
            idp_entity_id,
            certificates: &certificates,
            sp_entity_id,
            acs_url,
            request_ids: &ids,
            allow_idp_initiated: false,
            allow_sha1: false,
            now: chrono::Utc::now(),
        };
        chronid_saml::response::check(&p.response, &e)
            .map_err(|e| anyhow::anyhow!("the check refused a response the server took: {e}"))?;
    }
    Ok((thread_cpu()? - before) / n as f64)
}

pub async fn saml_bench(env: &TestEnv, quick: bool) -> anyhow::Result<()> {
    let server = Server::start_with(env, Argon2Params::default(), None, |base| {
        vec![
            ("CHRONID_PUBLIC_URL", base.to_string()),
            ("CHRONID_COMPONENTS", "api".to_string()),
        ]
    })
    .await?;
    let (key, account, _) = account_with(env, &server, "admin-user@bench.test").await?;
    let idp = SamlIdp::start(&[format!("{}/saml/{SLUG}/metadata", server.base)]).await?;
    let config: Value = server
        .http
        .post(format!("{}/v1/accounts/{account}/sso", server.base))
        .bearer_auth(&key)
        .json(
            &json!({"idp_entity_id": idp.entity_id, "idp_certificates": [idp.certificate_pem],
            "idp_sso_url": idp.sso_url, "sp_slug": SLUG, "auto_create_users": true,
            "auto_create_groups": false, "name_id_source": "email"}),
        )
        .send()
        .await?
        .json()
        .await?;
    let (Some(sp), Some(acs_url)) = (config["sp_entity_id"].as_str(), config["acs_url"].as_str())
    else {
        bail!("the SSO configuration: {config}");
    };
    let options = server
        .http
        .put(format!(
            "{}/v1/accounts/{account}/login-options",
            server.base
        ))
        .bearer_auth(&key)
        .json(&json!({"password": true, "google": false, "github": false, "sso": true}))
        .send()
        .await?;
    if !options.status().is_success() {
        bail!("login options: {}", options.text().await?);
    }
    let http = no_redirect_client()?;
    let n = if quick { 40 } else { 200 };
    let emails: Vec<String> = (0..n).map(|i| format!("sso{i}@bench.test")).collect();

    // First logins: each creates its user.
    let mut first = Vec::with_capacity(n);
    for email in &emails {
        first.push(prepare(&http, &server, &idp, sp, email).await?);
    }
    let first_cpu = measure(&http, &server, acs_url, &first).await?;

    // Returning users.
    let mut again = Vec::with_capacity(n);
    for email in &emails {
        again.push(prepare(&http, &server, &idp, sp, email).await?);
    }
    let returning_cpu = measure(&http, &server, acs_url, &again).await?;

    // The reference: samael alone verifying the same responses, in this process.
    let metadata = reqwest::get(format!("{}/idp/metadata", idp.base))
        .await?
        .text()
        .await?;
    let (sp, acs_url) = (sp.to_string(), acs_url.to_string());
    let der = chronid_domain::values::Certificate::parse(&idp.certificate_pem)?.der();
    let entity = idp.entity_id.clone();
    let (verify, check) = tokio::task::spawn_blocking(move || {
        let verify = samael_verify_cpu(&metadata, &sp, &acs_url, &again, n.max(100))?;
        let check = chronid_check_cpu((&entity, vec![der], &sp, &acs_url), &again, n.max(100))?;
        anyhow::Ok((verify, check))
    })
    .await??;

    for (figure, (value, consumer, session), what) in [
        (
            "sso_login_cpu_returning",
            returning_cpu,
            "a user found by email",
        ),
        (
            "sso_login_cpu_first",
            first_cpu,
            "the user created at this login",
        ),
    ] {
        print(Figure {
            scenario: "saml",
            figure,
            params: json!({"logins": n, "user": what,
                "consumer_ms": (consumer * 1e5).round() / 100.0,
                "finish_ms": (session * 1e5).round() / 100.0,
                "chronid_check_ms": (check * 1e5).round() / 100.0,
                "path": "POST ACS (Response check, assertion recorded, request taken, ticket) + GET finish (ticket read, user, session)"}),
            value: value * 1000.0,
            unit: "ms CPU",
            reference: "samael_verify_cpu",
            reference_value: verify * 1000.0,
        });
    }
    Ok(())
}
