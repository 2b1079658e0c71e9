//! Test-side helpers over `chronid_tests::server`: replies reduced to status, content type and
//! JSON, problem assertions, and event counts.

pub use chronid_tests::server::{spawn_app as spawn, test_services, TestApp};
use chronid_tests::TestEnv;
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

pub async fn spawn_app(env: &TestEnv) -> TestApp {
    spawn(env).await.unwrap()
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.content_type, "application/problem+json", "{self:?}");
        assert_eq!(self.code(), code, "{self:?}");
        for field in ["type", "title", "status", "detail", "code"] {
            assert!(
                self.body.get(field).is_some(),
                "problem without {field}: {self:?}"
            );
        }
    }
}

/// Request helpers for tests.
#[allow(async_fn_in_trait)]
pub trait Calls {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply;
    async fn call_as(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply;
    async fn create_user(&self, email: &str) -> Uuid;
    /// Sets the account's security policy: `changes` over five login attempts, no inactivity
    /// limit, no password expiry and two-factor off.
    async fn set_security_policy(&self, changes: Value);
    /// An administrator requires (or stops requiring) two-factor for `user`.
    async fn require_two_factor(&self, user: Uuid, required: bool);
}

impl Calls for TestApp {
    /// Sends `method path` with the bootstrap key and an optional JSON body.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(&self.api_key.clone(), method, path, body)
            .await
    }

    async fn call_as(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.unwrap()).await
    }

    async fn create_user(&self, email: &str) -> Uuid {
        let r = self
            .call(
                reqwest::Method::POST,
                "/users",
                Some(serde_json::json!({ "email": email })),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["id"].as_str().unwrap().parse().unwrap()
    }

    async fn set_security_policy(&self, changes: Value) {
        let mut policy = serde_json::json!({"max_inactivity_days": null, "max_login_attempts": 5,
            "password_validity_days": null, "two_factor": "off"});
        for (k, v) in changes.as_object().unwrap() {
            policy[k] = v.clone();
        }
        let r = self
            .call(reqwest::Method::PUT, "/security-policy", Some(policy))
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }

    async fn require_two_factor(&self, user: Uuid, required: bool) {
        let r = self
            .call(
                reqwest::Method::PUT,
                &format!("/users/{user}/two-factor"),
                Some(serde_json::json!({ "enabled": required })),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
}

pub async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}

pub async fn event_count(env: &TestEnv) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

/// A browser without a browser: keeps the cookies chronid sets, follows no redirect.
pub struct Agent {
    pub http: reqwest::Client,
    pub base: String,
    pub cookies: Vec<(String, String)>,
    pub language: Option<&'static str>,
}

pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Agent {
    pub fn new(app: &TestApp) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            cookies: Vec::new(),
            language: None,
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn keep(&mut self, headers: &HeaderMap) {
        for set in headers.get_all(SET_COOKIE) {
            let text = set.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    /// A request to `path` (or a whole URL) with this agent's cookies and language.
    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = match path.starts_with("http") {
            true => path.to_string(),
            false => format!("{}{path}", self.base),
        };
        let mut req = self.http.request(method, url);
        if !self.cookies.is_empty() {
            let header: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", header.join("; "));
        }
        if let Some(lang) = self.language {
            req = req.header("accept-language", lang);
        }
        req
    }

    /// Sends `req`, keeps the cookies the answer sets, and reads the page.
    async fn answer(&mut self, req: reqwest::RequestBuilder) -> Page {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.keep(&headers);
        Page {
            status,
            headers,
            body: resp.text().await.unwrap(),
        }
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let mut req = self.request(method, path);
        if let Some(form) = form {
            req = req.form(form);
        }
        self.answer(req).await
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    /// GET `path` until `ready` holds of the page (a page read from a view may trail the write
    /// just made), for at most five seconds; the last page either way.
    pub async fn get_when(&mut self, path: &str, ready: impl Fn(&Page) -> bool) -> Page {
        let mut page = self.get(path).await;
        for _ in 0..100 {
            if ready(&page) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            page = self.get(path).await;
        }
        page
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form)).await
    }

    /// A form with files posted as `multipart/form-data`, as a browser sends it: `texts` are
    /// its fields, `files` its (field, file name, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        texts: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "----chronidTestBoundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in texts {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = self
            .request(Method::POST, path)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.answer(req).await
    }

    /// A form posted from another site's page: a browser sends no `SameSite=Lax` cookie with
    /// it, and keeps what the answer sets.
    pub async fn post_cross_site(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let kept = std::mem::take(&mut self.cookies);
        let page = self.send(Method::POST, url, Some(form)).await;
        let set = std::mem::replace(&mut self.cookies, kept);
        for (k, v) in set {
            self.cookies.retain(|(name, _)| *name != k);
            self.cookies.push((k, v));
        }
        page
    }

    /// Logs in on the login page (its token first) with `login` and `password`.
    pub async fn log_in(&mut self, login: &str, password: &str) -> Page {
        let token = self.token("/login").await;
        self.post(
            "/login",
            &[("csrf", &token), ("login", login), ("password", password)],
        )
        .await
    }

    /// The CSRF token of the forms on `path`.
    pub async fn token(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        token_in(&page.body)
    }
}

pub fn token_in(body: &str) -> String {
    let at = body
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token");
    body[at + 19..].split('"').next().unwrap().to_string()
}

pub fn location(page: &Page) -> &str {
    page.headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The account's audit log (its first 200 entries, newest first) once the projection has
/// applied every event written so far, as JSON text.
pub async fn audit_text(app: &TestApp, env: &chronid_tests::TestEnv) -> String {
    let position: i64 = sqlx::query_scalar("SELECT max(global_seq) FROM events")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    let audit = app
        .call(
            reqwest::Method::GET,
            &format!("/audit?min_position={position}&limit=200"),
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{audit:?}");
    audit.body.to_string()
}

/// A self-signed certificate (PEM) with an RSA key of `bits`, valid `days_from` to `days_to`
/// around now.
pub fn certificate(bits: u32, days_from: i64, days_to: i64) -> String {
    let key = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(bits).unwrap()).unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(openssl::nid::Nid::COMMONNAME, "idp.contoso.test")
        .unwrap();
    let name = name.build();
    let now = chrono::Utc::now().timestamp();
    let mut b = openssl::x509::X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::from_unix(now + days_from * 86_400).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::from_unix(now + days_to * 86_400).unwrap())
        .unwrap();
    b.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}
