//! The Google and GitHub login tests' peers, held to what chronid's code will rely on: the
//! OpenID Connect provider (oidc-provider from npm) requires PKCE, runs its login and consent
//! pages, and puts the email claims and the nonce in an ID token signed with a key its JWKS
//! lists; the GitHub stand-in answers as GitHub documents (form-encoded unless JSON is asked
//! for, errors as 200 with `error`, a code used once, a User-Agent required, the emails with
//! their primary and verified flags).

use base64::Engine;
use chronid_tests::peers::{GithubStandIn, OidcProvider};
use serde_json::Value;

use crate::support::*;

const CALLBACK: &str = "http://127.0.0.1:9/auth/google/callback";

fn agent(base: &str) -> Agent {
    Agent {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: base.to_string(),
        cookies: Vec::new(),
        language: None,
    }
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs().into_owned().collect()
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params(base, pairs)
        .unwrap()
        .to_string()
}

fn param(url: &str, name: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(openssl::sha::sha256(verifier.as_bytes()))
}

fn action(body: &str) -> String {
    let at = body.find("action=\"").expect("a form") + 8;
    body[at..].split('"').next().unwrap().replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openid_provider_requires_pkce_and_signs_the_email_claims() {
    let op = OidcProvider::start(CALLBACK).await.unwrap();
    let discovery: Value = reqwest::get(format!("{}/.well-known/openid-configuration", op.issuer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], Value::String(op.issuer.clone()));
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let authorize = discovery["authorization_endpoint"]
        .as_str()
        .unwrap()
        .to_string();
    let mut a = agent(&op.issuer);
    let base_query = |extra: &[(&str, &str)]| {
        let mut q = vec![
            ("client_id", op.client_id.as_str()),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("redirect_uri", CALLBACK),
            ("state", "st-1"),
            ("nonce", "no-1"),
        ];
        q.extend_from_slice(extra);
        with_query(&authorize, &q)
    };
    // Without PKCE: refused, back to the client with an error.
    let refused = a.get(&base_query(&[])).await;
    let to = location(&refused).to_string();
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_request"));

    let verifier = "a-verifier-of-enough-length-for-pkce-0123456789";
    let s256 = challenge(verifier);
    let mut page = a
        .get(&base_query(&[
            ("code_challenge", &s256),
            ("code_challenge_method", "S256"),
        ]))
        .await;
    // Through its login and consent pages.
    let mut back = None;
    for _ in 0..8 {
        let to = location(&page).to_string();
        if to.starts_with(CALLBACK) {
            back = Some(to);
            break;
        }
        page = if to.is_empty() {
            let form = action(&page.body);
            if page.body.contains("name=\"login\"") {
                a.post(
                    &form,
                    &[
                        ("prompt", "login"),
                        ("login", "ana@acme.test"),
                        ("password", "x"),
                    ],
                )
                .await
            } else {
                a.post(&form, &[("prompt", "consent")]).await
            }
        } else {
            let next = if to.starts_with("http") {
                to
            } else {
                format!("{}{to}", op.issuer)
            };
            a.get(&next).await
        };
    }
    let back = back.expect("back at the client");
    assert_eq!(param(&back, "state").as_deref(), Some("st-1"));
    let code = param(&back, "code").unwrap();
    let token = |verifier: &'static str, code: String| {
        let http = reqwest::Client::new();
        let url = discovery["token_endpoint"].as_str().unwrap().to_string();
        let (id, secret) = (op.client_id.clone(), op.client_secret.clone());
        async move {
            http.post(url)
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", CALLBACK),
                    ("code_verifier", verifier),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A wrong verifier is refused; the right one gets the tokens, once.
    let wrong = token(
        "another-verifier-of-enough-length-0123456789abc",
        code.clone(),
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let tokens: Value = token(
        "a-verifier-of-enough-length-for-pkce-0123456789",
        code.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap_or_default();
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3, "{tokens}");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["email"], "ana@acme.test");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["nonce"], "no-1");
    assert_eq!(claims["aud"], Value::String(op.client_id.clone()));
    let jwks: Value = reqwest::get(discovery["jwks_uri"].as_str().unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"]));
    let again = token("a-verifier-of-enough-length-for-pkce-0123456789", code).await;
    assert_eq!(again.status(), 400, "a code works once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_github_stand_in_answers_as_github_documents() {
    let gh = GithubStandIn::start("http://127.0.0.1:9/auth/github/callback")
        .await
        .unwrap();
    let mut a = agent(&gh.base);
    let verifier = "a-verifier-of-enough-length-for-pkce-0123456789";
    let authorize = with_query(
        &format!("{}/login/oauth/authorize", gh.base),
        &[
            ("client_id", gh.client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/auth/github/callback"),
            ("state", "st-2"),
            ("code_challenge", &challenge(verifier)),
            ("code_challenge_method", "S256"),
        ],
    );
    let form = a.get(&authorize).await;
    assert_eq!(form.status, 200);
    let mut fields: Vec<(String, String)> = Vec::new();
    for part in form.body.split("type=\"hidden\"").skip(1) {
        let name = part
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let value = part
            .split("value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        fields.push((name.to_string(), value.replace("&amp;", "&")));
    }
    for (k, v) in [
        ("login", "octo"),
        ("user_id", "583231"),
        ("email", "octo@github.test"),
        ("verified", "yes"),
        ("other_email", "octo@elsewhere.test"),
    ] {
        fields.push((k.into(), v.into()));
    }
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = a.post("/login/oauth/authorize", &pairs).await;
    let to = location(&back).to_string();
    assert_eq!(param(&to, "state").as_deref(), Some("st-2"));
    let code = param(&to, "code").unwrap();
    let http = reqwest::Client::new();
    let exchange = |accept: Option<&'static str>, verifier: &'static str, code: String| {
        let mut req = http
            .post(format!("{}/login/oauth/access_token", gh.base))
            .form(&[
                ("client_id", gh.client_id.as_str()),
                ("client_secret", gh.client_secret.as_str()),
                ("code", code.as_str()),
                ("code_verifier", verifier),
            ]);
        if let Some(accept) = accept {
            req = req.header("accept", accept);
        }
        req.send()
    };
    // A wrong verifier: 200 with an error, and the code is spent.
    let wrong = exchange(
        Some("application/json"),
        "not-the-verifier-of-enough-length-0123456789",
        code.clone(),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 200);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(wrong["error"], "bad_verification_code");
    // A new code; answered form-encoded unless JSON is asked for.
    let back = a.post("/login/oauth/authorize", &pairs).await;
    let code = param(location(&back), "code").unwrap();
    let plain = exchange(
        None,
        "a-verifier-of-enough-length-for-pkce-0123456789",
        code.clone(),
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let token = plain
        .split('&')
        .find_map(|kv| kv.strip_prefix("access_token="))
        .unwrap()
        .to_string();
    let reused: Value = exchange(
        Some("application/json"),
        "a-verifier-of-enough-length-for-pkce-0123456789",
        code,
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        reused["error"], "bad_verification_code",
        "a code works once"
    );
    // The API: a User-Agent is required; the emails carry their flags.
    let bare = reqwest::Client::builder().build().unwrap();
    let no_agent = bare
        .get(format!("{}/user", gh.base))
        .bearer_auth(&token)
        .header("user-agent", "")
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), 403);
    let api = |path: &str| {
        bare.get(format!("{}{path}", gh.base))
            .bearer_auth(&token)
            .header("user-agent", "chronid-tests")
            .send()
    };
    let user: Value = api("/user").await.unwrap().json().await.unwrap();
    assert_eq!(user["id"], 583231);
    assert_eq!(user["login"], "octo");
    let emails: Value = api("/user/emails").await.unwrap().json().await.unwrap();
    assert_eq!(emails[0]["email"], "octo@github.test");
    assert_eq!(emails[0]["primary"], true);
    assert_eq!(emails[0]["verified"], true);
    assert_eq!(emails[1]["primary"], false);
    let bad = bare
        .get(format!("{}/user", gh.base))
        .bearer_auth("gho_not-a-token")
        .header("user-agent", "chronid-tests")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
}
