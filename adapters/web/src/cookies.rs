//! The cookies of the pages: reading one from a request, and writing one with the attributes
//! every chronid cookie has: `HttpOnly`, `SameSite=Lax`, `Path=/`, and `Secure` unless the
//! deployment's public URL is plain http (a developer's machine).

use axum::http::header::COOKIE;
use axum::http::HeaderMap;

/// How cookies are written for this deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    /// Whether cookies are marked `Secure` (sent over https only).
    pub secure: bool,
}

impl CookiePolicy {
    /// `Secure` unless `public_url` starts with `http://`.
    pub fn for_public_url(public_url: &str) -> Self {
        Self {
            secure: !public_url
                .trim()
                .to_ascii_lowercase()
                .starts_with("http://"),
        }
    }

    /// A `Set-Cookie` value for `name=value`, kept for `max_age_secs` (a session cookie when
    /// `None`). Names and values are chronid's own (ids and tokens in base64url or hex), never
    /// user input.
    pub fn set(&self, name: &str, value: &str, max_age_secs: Option<u64>) -> String {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if let Some(secs) = max_age_secs {
            cookie.push_str(&format!("; Max-Age={secs}"));
        }
        if self.secure {
            cookie.push_str("; Secure");
        }
        cookie
    }

    /// A `Set-Cookie` value that removes `name`.
    pub fn clear(&self, name: &str) -> String {
        self.set(name, "", Some(0))
    }
}

/// The cookie of the signed-in session's token.
pub fn session_cookie(policy: CookiePolicy) -> &'static str {
    if policy.secure {
        "__Host-chronid_session"
    } else {
        "chronid_session"
    }
}

/// The cookie of a login in progress (sealed, see `pending`).
pub fn pending_cookie(policy: CookiePolicy) -> &'static str {
    if policy.secure {
        "__Host-chronid_login"
    } else {
        "chronid_login"
    }
}

/// The cookie a browser keeps its device token in (the JSON API reads it too, so a device is
/// the same device whichever way it logs in): `__Host-` prefixed over https, so a sibling
/// subdomain cannot plant one.
pub fn device_cookie(policy: CookiePolicy) -> &'static str {
    if policy.secure {
        "__Host-chronid_device"
    } else {
        "chronid_device"
    }
}

/// The value of cookie `name` in the request, if sent once. A name sent twice (a cookie set
/// for a parent domain shadowing ours, say) is treated as absent.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    let mut found = None;
    for header in headers.get_all(COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for pair in text.split(';') {
            let Some((k, v)) = pair.trim().split_once('=') else {
                continue;
            };
            if k == name {
                if found.is_some() {
                    return None;
                }
                found = Some(v);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_unless_the_public_url_is_http() {
        let https = CookiePolicy::for_public_url("https://id.acme.test");
        let c = https.set("chronid_session", "abc", None);
        assert_eq!(
            c,
            "chronid_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        let http = CookiePolicy::for_public_url("HTTP://127.0.0.1:8080");
        assert_eq!(
            http.set("chronid_browser", "x", Some(60)),
            "chronid_browser=x; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert!(https.clear("chronid_session").contains("Max-Age=0"));
        // Over https every cookie that carries a credential is bound to this very host.
        for name in [
            session_cookie(https),
            pending_cookie(https),
            device_cookie(https),
        ] {
            assert!(name.starts_with("__Host-"), "{name}");
        }
        assert_eq!(device_cookie(http), "chronid_device");
    }

    #[test]
    fn a_cookie_is_read_by_name_and_a_doubled_one_is_ignored() {
        let h = headers(&["a=1; chronid_browser=xyz; b=2"]);
        assert_eq!(cookie(&h, "chronid_browser"), Some("xyz"));
        assert_eq!(cookie(&h, "missing"), None);
        let h = headers(&["chronid_browser=one", "chronid_browser=two"]);
        assert_eq!(cookie(&h, "chronid_browser"), None);
        let h = headers(&["chronid_browser_x=1"]);
        assert_eq!(cookie(&h, "chronid_browser"), None);
    }
}
