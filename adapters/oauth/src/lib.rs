//! The OAuth room: login with Google (OpenID Connect) and GitHub (OAuth 2.0), issue "Google and
//! GitHub login".
//!
//! Here so far: the per-deployment provider settings (`settings`) and the HTTP client every
//! provider call goes through (`http_client`: it follows no redirect, so a provider answer
//! cannot point chronid's requests elsewhere).
//!
//! What will live here: the authorization request with PKCE (S256), `state` and `nonce`, the
//! code exchange, the ID token checks (JWKS cached and refreshed on an unknown `kid`, issuer,
//! audience, expiry, nonce, `email_verified`), GitHub's `/user` and `/user/emails`. It answers
//! with a verified identity (provider, subject, email) that `chronid-app` links or logs in; no
//! use case, no SQL, no HTML here.

pub mod github;
pub mod google;
pub mod settings;

pub use settings::{GithubSettings, GoogleSettings, Providers, RawProviders, SettingError};

/// How long a call to a provider may take.
pub const PROVIDER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The client for calls to providers: no redirect is followed (a provider's answer must not send
/// chronid's requests, with their credentials, to another address), bounded in time, and named
/// by a User-Agent (GitHub's API refuses requests without one).
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(PROVIDER_TIMEOUT)
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent(concat!("chronid/", env!("CARGO_PKG_VERSION")))
        .build()
}
