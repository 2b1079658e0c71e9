//! Cross-site request forgery: every form carries a token bound to the browser that loaded it.
//!
//! A browser gets a random id in an `HttpOnly`, `SameSite=Lax` cookie the first time it loads a
//! page. A form's token is `HMAC-SHA256(key, "csrf:" || browser id)`, base64url. A posted form is
//! taken only when its token matches the one computed from the cookie the browser sent: another
//! site can make the browser post (and send the cookie), but cannot read the page to learn the
//! token. The key is derived from the deployment's secret key, so every node of a cluster
//! computes the same token. Comparison is constant-time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// The name of the cookie holding the browser id over https: the `__Host-` prefix makes the
/// browser refuse it unless it was set by this very host, `Secure`, with `Path=/` and no
/// `Domain`, so a sibling subdomain cannot plant a browser id of its choosing.
pub const BROWSER_COOKIE: &str = "__Host-chronid_browser";
/// The same over plain http (a developer's machine), where `__Host-` cookies cannot be set.
pub const BROWSER_COOKIE_HTTP: &str = "chronid_browser";

/// The browser-id cookie's name under `policy`. The pages issue a new browser id at every login,
/// so an id planted before it does not outlive it.
pub fn browser_cookie(policy: crate::cookies::CookiePolicy) -> &'static str {
    if policy.secure {
        BROWSER_COOKIE
    } else {
        BROWSER_COOKIE_HTTP
    }
}
/// The name of the form field holding the token.
pub const FORM_FIELD: &str = "csrf";

/// Length of a browser id in bytes (before base64url).
const BROWSER_ID_BYTES: usize = 32;

/// Mints and checks tokens with one key.
#[derive(Clone)]
pub struct Csrf {
    /// A full HMAC-SHA256 block, so keying cannot fail.
    key: [u8; 64],
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf([redacted])")
    }
}

impl Csrf {
    /// A minter keyed from `secret` (the deployment's secret key), under its own label so the
    /// CSRF key is not the sealing key.
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut hash = Sha512::new();
        hash.update(b"chronid web csrf key v1\0");
        hash.update(secret);
        Self {
            key: hash.finalize().into(),
        }
    }

    /// A fresh browser id from `random` bytes (the caller draws them).
    pub fn browser_id(random: [u8; BROWSER_ID_BYTES]) -> String {
        URL_SAFE_NO_PAD.encode(random)
    }

    /// Whether `raw` has the shape of a browser id this server hands out.
    pub fn is_browser_id(raw: &str) -> bool {
        raw.len() == 43
            && URL_SAFE_NO_PAD
                .decode(raw)
                .is_ok_and(|b| b.len() == BROWSER_ID_BYTES)
    }

    /// The token of the forms shown to the browser `browser_id`.
    pub fn token(&self, browser_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(browser_id))
    }

    /// Whether `token` is the token of `browser_id`.
    pub fn verify(&self, browser_id: &str, token: &str) -> bool {
        if !Self::is_browser_id(browser_id) {
            return false;
        }
        let Ok(given) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        let expected = self.mac(browser_id);
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// What the server keeps to recognise `browser_id` later (an SSO request's browser): a
    /// keyed digest, so a copy of the table does not give the cookies that match it.
    pub fn browser_digest(&self, browser_id: &str) -> String {
        self.labelled(b"browser:", browser_id)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn mac(&self, browser_id: &str) -> [u8; 32] {
        self.labelled(b"csrf:", browser_id)
    }

    fn labelled(&self, label: &[u8], browser_id: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new((&self.key).into());
        mac.update(label);
        mac.update(browser_id.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn browser(n: u8) -> String {
        Csrf::browser_id([n; BROWSER_ID_BYTES])
    }

    #[test]
    fn a_token_is_good_for_its_browser_only() {
        let csrf = Csrf::from_secret(b"a deployment secret of some length");
        let (a, b) = (browser(1), browser(2));
        let token = csrf.token(&a);
        assert!(csrf.verify(&a, &token));
        assert!(!csrf.verify(&b, &token), "another browser's token");
        assert!(!csrf.verify(&a, ""), "no token");
        assert!(!csrf.verify(&a, "not base64 !"), "garbage");
        let mut tampered = token.clone().into_bytes();
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        assert!(!csrf.verify(&a, &String::from_utf8(tampered).unwrap()));
        assert!(!csrf.verify(&a, &token[..token.len() - 1]), "truncated");
    }

    #[test]
    fn another_deployment_key_gives_other_tokens() {
        let a = browser(7);
        let one = Csrf::from_secret(b"one secret");
        let two = Csrf::from_secret(b"two secret");
        assert_ne!(one.token(&a), two.token(&a));
        assert!(!two.verify(&a, &one.token(&a)));
        // Two nodes with the same secret agree.
        assert!(Csrf::from_secret(b"one secret").verify(&a, &one.token(&a)));
    }

    #[test]
    fn over_https_the_browser_cookie_is_host_only() {
        let https = crate::cookies::CookiePolicy::for_public_url("https://id.acme.test");
        let name = browser_cookie(https);
        assert!(name.starts_with("__Host-"));
        let set = https.set(name, &browser(1), None);
        assert!(set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"));
        let http = crate::cookies::CookiePolicy::for_public_url("http://127.0.0.1:8080");
        assert_eq!(browser_cookie(http), BROWSER_COOKIE_HTTP);
    }

    #[test]
    fn only_ids_of_the_right_shape_are_browser_ids() {
        assert!(Csrf::is_browser_id(&browser(3)));
        assert!(!Csrf::is_browser_id("short"));
        assert!(!Csrf::is_browser_id(&"!".repeat(43)));
        let csrf = Csrf::from_secret(b"k");
        // A forged cookie value is refused before any token is compared.
        assert!(!csrf.verify("short", &csrf.token("short")));
    }
}
