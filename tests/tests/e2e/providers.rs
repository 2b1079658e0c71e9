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

pub(crate) fn agent(base: &str) -> Agent {
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

pub(crate) fn param(url: &str, name: &str) -> Option<String> {
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
    // Through its login and consent pages.
    let url = base_query(&[("code_challenge", &s256), ("code_challenge_method", "S256")]);
    let back = through_provider(&mut a, &op.issuer, &url, "ana@acme.test").await;
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
    let octo = [
        ("login", "octo"),
        ("user_id", "583231"),
        ("email", "octo@github.test"),
        ("verified", "yes"),
        ("other_email", "octo@elsewhere.test"),
    ];
    let to = through_github(&mut a, &authorize, &octo).await;
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
    let to = through_github(&mut a, &authorize, &octo).await;
    let code = param(&to, "code").unwrap();
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

/// Through the provider's login and consent pages as `login`, from `url` back to the client's
/// callback: the callback URL with `code` and `state`.
async fn through_provider(a: &mut Agent, issuer: &str, url: &str, login: &str) -> String {
    through_provider_to(a, issuer, url, login, CALLBACK).await
}

/// Through the provider's login and consent pages as `login`, to where it sends the browser
/// back (a URL starting with `callback`).
pub(crate) async fn through_provider_to(
    a: &mut Agent,
    issuer: &str,
    url: &str,
    login: &str,
    callback: &str,
) -> String {
    let mut page = a.get(url).await;
    for _ in 0..8 {
        let to = location(&page).to_string();
        if to.starts_with(callback) {
            return to;
        }
        page = if to.is_empty() {
            let form = action(&page.body);
            if page.body.contains("name=\"login\"") {
                a.post(
                    &form,
                    &[("prompt", "login"), ("login", login), ("password", "x")],
                )
                .await
            } else {
                a.post(&form, &[("prompt", "consent")]).await
            }
        } else if to.starts_with("http") {
            a.get(&to).await
        } else {
            a.get(&format!("{issuer}{to}")).await
        };
    }
    panic!("the provider did not send the browser back: {}", page.body);
}

/// A compact JWS (RS256) of `claims` with `key`, or unsigned (`alg: none`).
pub(crate) fn jws(
    key: Option<&openssl::pkey::PKey<openssl::pkey::Private>>,
    kid: &str,
    claims: &Value,
) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let alg = if key.is_some() { "RS256" } else { "none" };
    let header = serde_json::json!({"alg": alg, "kid": kid, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let signature = match key {
        Some(key) => {
            let mut signer =
                openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), key).unwrap();
            signer.update(input.as_bytes()).unwrap();
            b64.encode(signer.sign_to_vec().unwrap())
        }
        None => String::new(),
    };
    format!("{input}.{signature}")
}

pub(crate) fn rsa_key() -> openssl::pkey::PKey<openssl::pkey::Private> {
    openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap()
}

pub(crate) fn jwks_of(key: &openssl::pkey::PKey<openssl::pkey::Private>, kid: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let rsa = key.rsa().unwrap();
    serde_json::json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
        "n": b64.encode(rsa.n().to_vec()), "e": b64.encode(rsa.e().to_vec())}]})
    .to_string()
}

/// chronid's Google client against the real provider: PKCE, state and nonce carried through its
/// pages, the ID token checked; then each refusal the issue lists, with ID tokens the test signs
/// itself for the ones a real provider would not issue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_google_client_takes_a_real_login_and_refuses_every_forgery() {
    use chronid_oauth::google::{Google, Refusal};
    let op = OidcProvider::start(CALLBACK).await.unwrap();
    let settings = chronid_oauth::Providers::from_raw(&chronid_oauth::RawProviders {
        google_client_id: Some(op.client_id.clone()),
        google_client_secret: Some(op.client_secret.clone()),
        google_issuer: Some(op.issuer.clone()),
        ..Default::default()
    })
    .unwrap()
    .google
    .unwrap();
    let http = chronid_oauth::http_client().unwrap();
    let google = Google::discover(&settings, CALLBACK, http).await.unwrap();

    // A real login.
    let (url, started) = google.begin().unwrap();
    for needed in [
        "code_challenge_method=S256",
        "nonce=",
        "state=",
        "scope=openid+email",
    ] {
        assert!(url.contains(needed), "{needed} in {url}");
    }
    let mut a = agent(&op.issuer);
    let back = through_provider(&mut a, &op.issuer, &url, "ana@acme.test").await;
    let (code, state) = (
        param(&back, "code").unwrap(),
        param(&back, "state").unwrap(),
    );
    // Another attempt's state is refused before the code is spent.
    assert_eq!(
        google.finish(&code, "another-state", &started).await,
        Err(Refusal::State)
    );
    let identity = google.finish(&code, &state, &started).await.unwrap();
    assert_eq!(identity.subject, "ana@acme.test");
    assert_eq!(identity.email, "ana@acme.test");
    // The code works once.
    assert!(matches!(
        google.finish(&code, &state, &started).await,
        Err(Refusal::Code(_))
    ));
    // Another attempt's nonce; an email the provider has not verified.
    let (url, mut started) = google.begin().unwrap();
    let back = through_provider(&mut a, &op.issuer, &url, "ana@acme.test").await;
    started.nonce = "another-nonce".into();
    let (code, state) = (
        param(&back, "code").unwrap(),
        param(&back, "state").unwrap(),
    );
    assert_eq!(
        google.finish(&code, &state, &started).await,
        Err(Refusal::Nonce)
    );
    let mut b = agent(&op.issuer);
    let (url, started) = google.begin().unwrap();
    let back = through_provider(&mut b, &op.issuer, &url, "unverified-bo@acme.test").await;
    let (code, state) = (
        param(&back, "code").unwrap(),
        param(&back, "state").unwrap(),
    );
    assert_eq!(
        google.finish(&code, &state, &started).await,
        Err(Refusal::EmailNotVerified)
    );

    // The provider rotated its keys since discovery (here: the set chronid holds has only a
    // key the provider never used): the set is fetched again, and the login goes through.
    let stale = google
        .clone()
        .with_keys(&jwks_of(&rsa_key(), "retired-key"))
        .unwrap();
    let (url, started) = stale.begin().unwrap();
    let back = through_provider(&mut a, &op.issuer, &url, "ana@acme.test").await;
    let (code, state) = (
        param(&back, "code").unwrap(),
        param(&back, "state").unwrap(),
    );
    let identity = stale.finish(&code, &state, &started).await.unwrap();
    assert_eq!(identity.email, "ana@acme.test");

    // ID tokens the test signs: with its own key trusted, each claim's check shows.
    let key = rsa_key();
    let trusting = google
        .clone()
        .with_keys(&jwks_of(&key, "test-key"))
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = |changes: Value| {
        let mut c = serde_json::json!({"iss": op.issuer, "aud": op.client_id, "sub": "ana@acme.test",
            "email": "ana@acme.test", "email_verified": true, "nonce": "n-1",
            "iat": now, "exp": now + 300});
        c.as_object_mut()
            .unwrap()
            .extend(changes.as_object().unwrap().clone());
        c
    };
    let good = jws(Some(&key), "test-key", &claims(serde_json::json!({})));
    assert!(trusting.verify_id_token(&good, "n-1").await.is_ok());
    for (changes, refusal) in [
        (
            serde_json::json!({"aud": "another-client"}),
            Refusal::Audience,
        ),
        (
            serde_json::json!({"exp": now - 600, "iat": now - 900}),
            Refusal::Expired,
        ),
        (
            serde_json::json!({"iss": "https://evil.test"}),
            Refusal::Issuer,
        ),
        (serde_json::json!({"nonce": "n-2"}), Refusal::Nonce),
    ] {
        let token = jws(Some(&key), "test-key", &claims(changes.clone()));
        assert_eq!(
            trusting.verify_id_token(&token, "n-1").await,
            Err(refusal),
            "{changes}"
        );
    }
    // alg none, and a key nobody published (the set is fetched again, and still lacks it).
    let unsigned = jws(None, "test-key", &claims(serde_json::json!({})));
    assert_eq!(
        trusting.verify_id_token(&unsigned, "n-1").await,
        Err(Refusal::Signature)
    );
    let stranger = jws(Some(&rsa_key()), "test-key", &claims(serde_json::json!({})));
    assert_eq!(
        google.verify_id_token(&stranger, "n-1").await,
        Err(Refusal::Signature)
    );
}

/// Through the GitHub stand-in's authorization form as the given user, back to the callback.
pub(crate) async fn through_github(a: &mut Agent, url: &str, who: &[(&str, &str)]) -> String {
    let form = a.get(url).await;
    assert_eq!(form.status, 200, "{}", form.body);
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
    fields.extend(who.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = a.post("/login/oauth/authorize", &pairs).await;
    location(&back).to_string()
}

/// chronid's GitHub client against the stand-in: PKCE and state through the authorization, the
/// code exchanged (GitHub's 200-with-error answers read as refusals), the user's id and the
/// primary verified email read from the API; a code used twice, another state and a user
/// without a verified primary email refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_github_client_takes_a_login_and_reads_the_verified_primary_email() {
    use chronid_oauth::github::{Github, Refusal};
    let callback = "http://127.0.0.1:9/auth/github/callback";
    let gh = GithubStandIn::start(callback).await.unwrap();
    let settings = chronid_oauth::Providers::from_raw(&chronid_oauth::RawProviders {
        github_client_id: Some(gh.client_id.clone()),
        github_client_secret: Some(gh.client_secret.clone()),
        github_url: Some(gh.base.clone()),
        github_api_url: Some(gh.base.clone()),
        ..Default::default()
    })
    .unwrap()
    .github
    .unwrap();
    let github = Github::new(&settings, callback, chronid_oauth::http_client().unwrap());
    let octo = [
        ("login", "octo"),
        ("user_id", "583231"),
        ("email", "octo@github.test"),
        ("verified", "yes"),
        ("other_email", "octo@elsewhere.test"),
    ];
    let (url, started) = github.begin().unwrap();
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let mut a = agent(&gh.base);
    let back = through_github(&mut a, &url, &octo).await;
    let (code, state) = (
        param(&back, "code").unwrap(),
        param(&back, "state").unwrap(),
    );
    assert_eq!(
        github.finish(&code, "another-state", &started).await,
        Err(Refusal::State)
    );
    let identity = github.finish(&code, &state, &started).await.unwrap();
    assert_eq!(identity.subject, "583231");
    assert_eq!(identity.login, "octo");
    assert_eq!(identity.email, "octo@github.test");
    assert_eq!(
        github.finish(&code, &state, &started).await,
        Err(Refusal::Code("bad_verification_code".into())),
        "a code works once"
    );
    // The primary email not verified: the other, verified one is not taken instead.
    let (url, started) = github.begin().unwrap();
    let unverified = [
        ("login", "octo"),
        ("user_id", "583231"),
        ("email", "octo@github.test"),
        ("verified", "no"),
        ("other_email", "octo@elsewhere.test"),
    ];
    let back = through_github(&mut a, &url, &unverified).await;
    let (code, state) = (
        param(&back, "code").unwrap(),
        param(&back, "state").unwrap(),
    );
    assert_eq!(
        github.finish(&code, &state, &started).await,
        Err(Refusal::NoVerifiedEmail)
    );
    // A verifier of another attempt: GitHub's 200 with an error.
    let (url, started) = github.begin().unwrap();
    let back = through_github(&mut a, &url, &octo).await;
    let (code, state) = (
        param(&back, "code").unwrap(),
        param(&back, "state").unwrap(),
    );
    let (_, other) = github.begin().unwrap();
    let crossed = chronid_oauth::github::Started {
        state: started.state.clone(),
        verifier: other.verifier,
    };
    assert_eq!(
        github.finish(&code, &state, &crossed).await,
        Err(Refusal::Code("bad_verification_code".into()))
    );
}
