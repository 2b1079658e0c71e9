//! What every page handler starts from ([`Ctx`]: the browser, its language, its CSRF token, the
//! request's facts) and how it answers ([`Ctx::page`], [`Ctx::redirect`]): with the security
//! headers, and the cookies the handler decided to set.

use std::collections::HashMap;

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::header::{ACCEPT_LANGUAGE, LOCATION, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chronid_app::{ClientIp, Throttled};
use chronid_domain::metadata::RequestFacts;
use maud::Markup;

use crate::cookies::cookie;
use crate::csrf::{browser_cookie, Csrf};
use crate::i18n::{Arg, Lang};
use crate::layout::{self, Chrome};
use crate::WebState;

/// The language cookie the selector sets (not a secret; a year long).
pub const LANG_COOKIE: &str = "chronid_lang";
const YEAR_SECS: u64 = 365 * 24 * 3600;

/// One page request.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    /// Whether the language was chosen with the selector (then it becomes the user's at login).
    pub lang_chosen: bool,
    pub browser: String,
    pub csrf: String,
    pub facts: RequestFacts,
    pub headers: HeaderMap,
    /// The request's path, and its query without `lang`, for the selector's links.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Seconds to wait, when the edge found this address over its rate.
    pub throttled: Option<u64>,
    /// The account whose branded host name this request came to, with its branding: its
    /// pages show its logo and theme, and log in to it only.
    pub branded: Option<chronid_app::Branding>,
    /// The host name's account could not be read: a login here is refused rather than let
    /// into any account.
    pub host_unknown: bool,
    set_cookies: Vec<String>,
    web: WebState,
}

impl<S> FromRequestParts<S> for Ctx
where
    WebState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let web = WebState::from_ref(state);
        let headers = parts.headers.clone();
        let mut set_cookies = Vec::new();
        let browser = match cookie(&headers, browser_cookie(web.cookies)) {
            Some(id) if Csrf::is_browser_id(id) => id.to_string(),
            _ => {
                let id = Csrf::browser_id(rand::random());
                set_cookies.push(web.cookies.set(browser_cookie(web.cookies), &id, None));
                id
            }
        };
        let query: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| {
                url_pairs(q)
                    .into_iter()
                    .filter(|(k, _)| k != "lang")
                    .collect()
            })
            .unwrap_or_default();
        let asked = parts
            .uri
            .query()
            .and_then(|q| url_pairs(q).into_iter().find(|(k, _)| k == "lang"))
            .and_then(|(_, v)| Lang::from_tag(&v));
        let kept = cookie(&headers, LANG_COOKIE).and_then(Lang::from_tag);
        if let Some(lang) = asked {
            set_cookies.push(web.cookies.set(LANG_COOKIE, lang.tag(), Some(YEAR_SECS)));
        }
        let negotiated = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language);
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(crate::host_of)
            .unwrap_or_default();
        let mut host_unknown = false;
        let branded = match host.is_empty() || host == web.public_host {
            true => None,
            false => match web.app.account_for_host(&host).await {
                Ok(Some(account)) => match web.app.branding(account).await {
                    Ok(branding) => branding,
                    Err(error) => {
                        tracing::warn!(%error, "the branding of a host name could not be read");
                        host_unknown = true;
                        None
                    }
                },
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(%error, "the account of a host name could not be read");
                    host_unknown = true;
                    None
                }
            },
        };
        let account_lang = branded
            .as_ref()
            .and_then(|b| b.language.as_deref())
            .and_then(Lang::from_tag);
        let lang = asked
            .or(kept)
            .or(negotiated)
            .or(account_lang)
            .unwrap_or(Lang::En);
        let mut facts = RequestFacts::system();
        facts.ip = parts
            .extensions
            .get::<ClientIp>()
            .map(|ClientIp(ip)| ip.to_string());
        facts.user_agent = headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        facts.correlation_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(Self {
            lang,
            lang_chosen: asked.or(kept).is_some(),
            csrf: web.csrf.token(&browser),
            browser,
            facts,
            headers,
            path: parts.uri.path().to_string(),
            query,
            throttled: parts.extensions.get::<Throttled>().map(|Throttled(s)| *s),
            branded,
            host_unknown,
            set_cookies,
            web,
        })
    }
}

/// The pairs of a URL-encoded query or form.
pub fn url_pairs(raw: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw).unwrap_or_default()
}

/// A posted form's fields (a field sent twice keeps its first value). Any body parses: a
/// missing field reads as empty, and the page says which field to fill in. A form that uploads
/// files comes as `multipart/form-data` (RFC 7578): its text parts are fields like any other,
/// its file parts are [`Fields::file`]. The body is whole in memory (the route's body limit
/// bounds it), so the parts are read from it directly.
pub struct Fields {
    texts: HashMap<String, String>,
    files: HashMap<String, Vec<u8>>,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let boundary = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(multipart_boundary);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut fields = Fields {
            texts: HashMap::new(),
            files: HashMap::new(),
        };
        match boundary {
            Some(boundary) => {
                for part in multipart_parts(&bytes, &boundary) {
                    match part.filename {
                        Some(_) => {
                            fields.files.entry(part.name).or_insert(part.body.to_vec());
                        }
                        None => {
                            let text = String::from_utf8_lossy(part.body).into_owned();
                            fields.texts.entry(part.name).or_insert(text);
                        }
                    }
                }
            }
            None => {
                let text = std::str::from_utf8(&bytes).unwrap_or("");
                for (k, v) in url_pairs(text) {
                    fields.texts.entry(k).or_insert(v);
                }
            }
        }
        Ok(fields)
    }
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .find_map(|p| {
            let (key, value) = p.split_once('=')?;
            (key.trim().eq_ignore_ascii_case("boundary"))
                .then(|| value.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// One part of a multipart body.
struct Part<'a> {
    name: String,
    filename: Option<String>,
    body: &'a [u8],
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The parts of `body` between `--boundary` lines; a malformed part ends the reading (what
/// was read so far is kept, and the page names any field still missing).
fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<Part<'a>> {
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut parts = Vec::new();
    let Some(first) = find(body, delimiter.as_bytes(), 0) else {
        return parts;
    };
    let mut at = first + delimiter.len();
    loop {
        // `--` after a delimiter closes the body; otherwise a line break opens a part.
        if body.get(at..at + 2) == Some(b"--") || body.get(at..at + 2) != Some(b"\r\n") {
            break;
        }
        let headers_start = at + 2;
        let Some(headers_end) = find(body, b"\r\n\r\n", headers_start) else {
            break;
        };
        let Some(end) = find(body, next_delimiter.as_bytes(), headers_end + 4) else {
            break;
        };
        let headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let disposition = headers.split("\r\n").find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then(|| value.trim().to_string())
        });
        if let Some(disposition) = disposition {
            let param = |key: &str| {
                disposition.split(';').skip(1).find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    (k.trim().eq_ignore_ascii_case(key))
                        .then(|| v.trim().trim_matches('"').to_string())
                })
            };
            if let Some(name) = param("name") {
                parts.push(Part {
                    name,
                    filename: param("filename"),
                    body: &body[headers_end + 4..end],
                });
            }
        }
        at = end + next_delimiter.len();
    }
    parts
}

impl Fields {
    /// The field's value, trimmed unless it is a password.
    pub fn get(&self, name: &str) -> &str {
        self.texts.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn text(&self, name: &str) -> &str {
        self.get(name).trim()
    }

    /// The bytes of the file uploaded as `name`; empty when no file was chosen.
    pub fn file(&self, name: &str) -> &[u8] {
        self.files.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl Ctx {
    pub fn web(&self) -> &WebState {
        &self.web
    }

    /// Now, by the application's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.web.app.executor().services().clock.now()
    }

    /// A message in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.web.catalogues.text(self.lang, id, &[])
    }

    /// A message in the page's language, with arguments.
    pub fn t_with(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.web.catalogues.text(self.lang, id, args)
    }

    /// A cookie of the request.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookie(&self.headers, name)
    }

    /// Sets a cookie on the answer.
    pub fn set_cookie(&mut self, name: &str, value: &str, max_age_secs: Option<u64>) {
        self.set_cookies
            .push(self.web.cookies.set(name, value, max_age_secs));
    }

    /// Sends none of the cookies this request would set (a cross-site POST, which came
    /// without the browser's cookies: a new browser id would replace the one it has).
    pub fn set_no_cookies(&mut self) {
        self.set_cookies.clear();
    }

    pub fn clear_cookie(&mut self, name: &str) {
        self.set_cookies.push(self.web.cookies.clear(name));
    }

    /// A new browser id from now on (at login and logout), so an id known before does not
    /// outlive them; the page's forms get the new id's token.
    pub fn renew_browser(&mut self) {
        let id = Csrf::browser_id(rand::random());
        let name = browser_cookie(self.web.cookies);
        self.set_cookie(name, &id, None);
        self.csrf = self.web.csrf.token(&id);
        self.browser = id;
    }

    /// Whether a posted form may be taken: `Err` holds the answer when the address is over
    /// its rate or the form's CSRF token is not this browser's.
    pub fn check_form(&self, fields: &Fields) -> Result<(), Box<Response>> {
        if let Some(secs) = self.throttled {
            let text = self.t_with("error-rate", &[("secs", secs.into())]);
            let mut response = self.error_page(StatusCode::TOO_MANY_REQUESTS, &text);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
            return Err(Box::new(response));
        }
        if !self
            .web
            .csrf
            .verify(&self.browser, fields.get(crate::csrf::FORM_FIELD))
        {
            tracing::info!(target: "security", path = %self.path, ip = self.facts.ip.as_deref(), "form refused: CSRF token missing or not this browser's");
            return Err(Box::new(
                self.error_page(StatusCode::FORBIDDEN, &self.t("error-csrf")),
            ));
        }
        Ok(())
    }

    /// A page whose only content is an error.
    pub fn error_page(&self, status: StatusCode, text: &str) -> Response {
        let title = self.t("error-title");
        let body = maud::html! {
            div.card {
                h1 { (title) }
                p.error role="alert" { (text) }
                p.links { a href="/login" { (self.t("login-again")) } }
            }
        };
        self.clone().page_status(status, &title, body)
    }

    /// The page `title` with `body`, status 200.
    pub fn page(self, title: &str, body: Markup) -> Response {
        self.page_status(StatusCode::OK, title, body)
    }

    /// The page `title` with `body` and `status`.
    pub fn page_status(self, status: StatusCode, title: &str, body: Markup) -> Response {
        let chrome = Chrome {
            branding: self.branded.clone(),
            ..Chrome::default()
        };
        self.page_with(status, title, chrome, body)
    }

    /// The account this request's host name brands, if any.
    pub fn branded_account(&self) -> Option<uuid::Uuid> {
        self.branded.as_ref().map(|b| b.account_id)
    }

    /// The page with its chrome (the branding, a wide layout).
    pub fn page_with(
        self,
        status: StatusCode,
        title: &str,
        chrome: Chrome,
        body: Markup,
    ) -> Response {
        let markup = layout::page(&self, title, &chrome, body);
        let mut response = (status, maud::Render::render(&markup).into_string()).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        self.finish(response)
    }

    /// `303 See Other` to `to` (a path of this site).
    pub fn redirect(self, to: &str) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            response.headers_mut().insert(LOCATION, v);
        }
        self.finish(response)
    }

    /// `response` with the pages' security headers and the cookies this request sets.
    pub fn finish_response(self, response: Response) -> Response {
        self.finish(response)
    }

    fn finish(self, response: Response) -> Response {
        let mut response = crate::headers::secure(response);
        for c in &self.set_cookies {
            if let Ok(v) = HeaderValue::from_str(c) {
                response.headers_mut().append(SET_COOKIE, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod multipart_tests {
    use super::{multipart_boundary, multipart_parts};

    #[test]
    fn a_browsers_multipart_form_reads_as_fields_and_files() {
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundaryX1"),
            Some("----WebKitFormBoundaryX1".to_string())
        );
        assert_eq!(
            multipart_boundary("application/x-www-form-urlencoded"),
            None
        );
        let body = b"------B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n------B\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--x\r\n------B--\r\n";
        let parts = multipart_parts(body, "----B");
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].body),
            ("csrf", &b"tok"[..])
        );
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        assert_eq!(parts[1].body, b"\x89PNG\r\n--x");
        // Cut short: the part without its closing delimiter is not taken.
        assert_eq!(multipart_parts(&body[..80], "----B").len(), 1);
        assert!(multipart_parts(b"garbage", "----B").is_empty());
    }
}
