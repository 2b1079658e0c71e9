//! GitHub login: OAuth 2.0, authorization code with PKCE (S256) and `state`, with the `oauth2`
//! crate on a client that follows no redirect; then the REST API's `GET /user` and
//! `GET /user/emails`, using the email that is both primary and verified.
//!
//! GitHub answers token errors with 200 and an `error` field (the `oauth2` crate then finds no
//! token in the body): such a body is read as the refusal it is. The token endpoint is asked for
//! JSON, and every API call names chronid in its User-Agent (the client does).

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::same_secret;
use crate::settings::GithubSettings;

/// The GitHub provider of a deployment.
#[derive(Clone)]
pub struct Github {
    settings: GithubSettings,
    redirect_uri: String,
    http: reqwest::Client,
}

/// What the browser keeps between `begin` and `finish` (sealed, bound to the browser).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Started {
    pub state: String,
    pub verifier: String,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Started([redacted])")
    }
}

/// A GitHub user and the email GitHub verified as their primary one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubIdentity {
    /// GitHub's numeric user id, which stays when the login or the emails change.
    pub subject: String,
    pub login: String,
    pub email: String,
}

/// Why a GitHub login is refused; the words go to the audit log and the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the answer is for another login attempt (state)")]
    State,
    #[error("GitHub refused the code ({0})")]
    Code(String),
    #[error("GitHub has no verified primary email for this user")]
    NoVerifiedEmail,
    #[error("GitHub's API answered {0}")]
    Api(String),
    #[error("GitHub could not be reached ({0})")]
    Unreachable(String),
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

type Client = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

impl Github {
    pub fn new(settings: &GithubSettings, redirect_uri: &str, http: reqwest::Client) -> Self {
        Self {
            settings: settings.clone(),
            redirect_uri: redirect_uri.to_string(),
            http,
        }
    }

    fn client(&self) -> Result<Client, String> {
        let web = &self.settings.web_url;
        let auth =
            AuthUrl::new(format!("{web}/login/oauth/authorize")).map_err(|e| e.to_string())?;
        let token =
            TokenUrl::new(format!("{web}/login/oauth/access_token")).map_err(|e| e.to_string())?;
        let redirect = RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| e.to_string())?;
        Ok(
            BasicClient::new(ClientId::new(self.settings.client_id.clone()))
                .set_client_secret(ClientSecret::new(
                    self.settings.client_secret.expose_secret().to_string(),
                ))
                .set_auth_uri(auth)
                .set_token_uri(token)
                .set_redirect_uri(redirect),
        )
    }

    /// The GitHub URL to send the browser to, and what to keep until it comes back.
    pub fn begin(&self) -> Result<(String, Started), String> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client()?
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("read:user".into()))
            .add_scope(Scope::new("user:email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            Started {
                state: state.secret().clone(),
                verifier: verifier.secret().clone(),
            },
        ))
    }

    /// Takes GitHub's answer (`code` and `state`) for the login `started`.
    pub async fn finish(
        &self,
        code: &str,
        state: &str,
        started: &Started,
    ) -> Result<GithubIdentity, Refusal> {
        if !same_secret(state, &started.state) {
            return Err(Refusal::State);
        }
        let client = self.client().map_err(Refusal::Unreachable)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(started.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => {
                    Refusal::Code(answer.error().to_string())
                }
                // GitHub's errors come with 200: a body that is no token but says why.
                RequestTokenError::Parse(_, body) => {
                    match serde_json::from_slice::<TokenError>(&body) {
                        Ok(refused) => Refusal::Code(refused.error),
                        Err(_) => Refusal::Unreachable("an answer that is no token".into()),
                    }
                }
                other => Refusal::Unreachable(other.to_string()),
            })?;
        let access = token.access_token().secret().clone();
        let user: User = self.api("/user", &access).await?;
        let emails: Vec<Email> = self.api("/user/emails", &access).await?;
        let email = emails
            .into_iter()
            .find(|e| e.primary && e.verified)
            .ok_or(Refusal::NoVerifiedEmail)?
            .email;
        Ok(GithubIdentity {
            subject: user.id.to_string(),
            login: user.login,
            email,
        })
    }

    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, Refusal> {
        let response = self
            .http
            .get(format!("{}{path}", self.settings.api_url))
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .send()
            .await
            .map_err(|e| Refusal::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(Refusal::Api(format!("{status} to {path}")));
        }
        response
            .json()
            .await
            .map_err(|_| Refusal::Api(format!("an unreadable answer to {path}")))
    }
}
