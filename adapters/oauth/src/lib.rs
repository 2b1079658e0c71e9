//! The OAuth room: login with Google (OpenID Connect) and GitHub (OAuth 2.0), issue "Google and
//! GitHub login".
//!
//! Here: the per-deployment provider settings (`settings`), the HTTP client every provider call
//! goes through (`http_client`: it follows no redirect, so a provider answer cannot point
//! chronid's requests elsewhere), and the two clients: `google` (discovery, PKCE, state and
//! nonce, the ID token's checks) and `github` (PKCE and state, the token endpoint's 200-with-error
//! answers, `/user` and the primary verified email from `/user/emails`). Each answers with a
//! verified identity (subject and email) that `chronid-app` will link or log in; no use case, no
//! SQL, no HTML here.

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

/// Equal, in a time that does not depend on where two secrets differ (their digests compared).
pub fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// The providers a deployment has configured, ready for logins (discovered at start).
#[derive(Clone, Default)]
pub struct Clients {
    pub google: Option<google::Google>,
    pub github: Option<github::Github>,
}

impl Clients {
    /// The clients of `providers`, whose logins come back to `{public_url}/auth/{provider}/callback`
    /// (the URL to register at the provider). Google's discovery document and keys are fetched
    /// now: a provider that cannot be reached at start is an error naming it.
    pub async fn connect(providers: &Providers, public_url: &str) -> Result<Self, String> {
        let base = public_url.trim_end_matches('/');
        let http = http_client().map_err(|e| format!("the providers' HTTP client: {e}"))?;
        let google = match &providers.google {
            Some(settings) => {
                let redirect = format!("{base}/auth/google/callback");
                Some(google::Google::discover(settings, &redirect, http.clone()).await?)
            }
            None => None,
        };
        let github = providers.github.as_ref().map(|settings| {
            let redirect = format!("{base}/auth/github/callback");
            github::Github::new(settings, &redirect, http.clone())
        });
        Ok(Self { google, github })
    }
}
