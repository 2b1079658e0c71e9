//! Google login: OpenID Connect, authorization code with PKCE (S256), `state` and `nonce`, with
//! the `openidconnect` crate on a client that follows no redirect.
//!
//! `begin` gives the provider URL and the secrets the browser's pending login keeps (sealed
//! and bound to the browser by the pages); `finish` takes the provider's answer: the `state`
//! must be the one sent, the code is exchanged with the PKCE verifier, and the ID token must be
//! signed by a key of the provider's JWKS (fetched again once when it names a key not known yet),
//! by the issuer, for this client, not expired, with the nonce sent; its email must be verified.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJsonWebKeySet, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::same_secret;
use crate::settings::GoogleSettings;

/// A key set is fetched again at most this often, however many tokens name unknown keys.
const KEYS_REFRESH_EVERY: Duration = Duration::from_secs(60);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The Google (OpenID Connect) provider of a deployment, discovered at start.
#[derive(Clone)]
pub struct Google {
    /// The discovery document, with the key set fetched again when a token names a key it
    /// lacks (a rotation), at most once per `KEYS_REFRESH_EVERY`.
    metadata: Arc<RwLock<CoreProviderMetadata>>,
    keys_fetched: Arc<Mutex<Option<Instant>>>,
    client_id: String,
    client_secret: SecretString,
    redirect_uri: String,
    http: reqwest::Client,
}

/// What the browser keeps between `begin` and `finish` (sealed, bound to the browser).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Started {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Started([redacted])")
    }
}

/// An identity the provider vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The provider's subject (Google's `sub`).
    pub subject: String,
    pub email: String,
}

/// Why a Google login is refused; the words go to the audit log and the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the answer is for another login attempt (state)")]
    State,
    #[error("the provider refused the code ({0})")]
    Code(String),
    #[error("the provider sent no ID token")]
    NoIdToken,
    #[error("the ID token is not signed by the provider")]
    Signature,
    /// Internal to the check: a key the cached set lacks (answered as `Signature` once the set
    /// was fetched again).
    #[error("the ID token names a key the provider does not publish")]
    UnknownKey,
    #[error("the ID token is for another client (audience)")]
    Audience,
    #[error("the ID token comes from another issuer")]
    Issuer,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token answers another login attempt (nonce)")]
    Nonce,
    #[error("the ID token is not acceptable ({0})")]
    Claims(String),
    #[error("the provider has not verified the email")]
    EmailNotVerified,
    #[error("the provider could not be reached ({0})")]
    Unreachable(String),
}

impl Google {
    /// Discovers the provider of `settings` (its metadata and keys), for logins that come back
    /// to `redirect_uri`.
    pub async fn discover(
        settings: &GoogleSettings,
        redirect_uri: &str,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|e| e.to_string())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| format!("OpenID Connect discovery of {}: {e}", settings.issuer))?;
        Ok(Self {
            metadata: Arc::new(RwLock::new(metadata)),
            keys_fetched: Arc::default(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            redirect_uri: redirect_uri.to_string(),
            http,
        })
    }

    /// The same provider trusting the keys of the JWKS document `jwks` instead of the ones it
    /// published (tests that sign their own ID tokens).
    pub fn with_keys(self, jwks: &str) -> Result<Self, String> {
        let keys: CoreJsonWebKeySet = serde_json::from_str(jwks).map_err(|e| e.to_string())?;
        let metadata = self.metadata().set_jwks(keys);
        Ok(Self {
            metadata: Arc::new(RwLock::new(metadata)),
            keys_fetched: Arc::default(),
            ..self
        })
    }

    fn metadata(&self) -> CoreProviderMetadata {
        match self.metadata.read() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Fetches the key set again unless it was fetched within `KEYS_REFRESH_EVERY`; true when
    /// it did.
    async fn refresh_keys(&self) -> Result<bool, Refusal> {
        {
            let Ok(mut last) = self.keys_fetched.lock() else {
                return Ok(false);
            };
            if last.is_some_and(|at| at.elapsed() < KEYS_REFRESH_EVERY) {
                return Ok(false);
            }
            *last = Some(Instant::now());
        }
        let uri = self.metadata().jwks_uri().clone();
        let keys = CoreJsonWebKeySet::fetch_async(&uri, &self.http)
            .await
            .map_err(|e| Refusal::Unreachable(e.to_string()))?;
        if let Ok(mut m) = self.metadata.write() {
            *m = m.clone().set_jwks(keys);
        }
        Ok(true)
    }

    fn client(&self) -> Result<Client, String> {
        let redirect = RedirectUrl::new(self.redirect_uri.clone()).map_err(|e| e.to_string())?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata(),
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(
                self.client_secret.expose_secret().to_string(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider URL to send the browser to, and what to keep until it comes back.
    pub fn begin(&self) -> Result<(String, Started), String> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client()?
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            Started {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
            },
        ))
    }

    /// Takes the provider's answer (`code` and `state`) for the login `started`.
    pub async fn finish(
        &self,
        code: &str,
        state: &str,
        started: &Started,
    ) -> Result<VerifiedIdentity, Refusal> {
        if !same_secret(state, &started.state) {
            return Err(Refusal::State);
        }
        let client = self.client().map_err(Refusal::Unreachable)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| Refusal::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(started.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    Refusal::Code(answer.error().to_string())
                }
                other => Refusal::Unreachable(other.to_string()),
            })?;
        let id_token = response.id_token().ok_or(Refusal::NoIdToken)?;
        let raw = id_token.to_string();
        self.verify_id_token(&raw, &started.nonce).await
    }

    /// Checks an ID token (compact JWS) for the login whose nonce is `nonce`. A token signed
    /// with a key the cached set does not have makes the set be fetched again, once.
    pub async fn verify_id_token(
        &self,
        raw: &str,
        nonce: &str,
    ) -> Result<VerifiedIdentity, Refusal> {
        match self.claims(raw, nonce) {
            Err(Refusal::UnknownKey) => {
                // A key the cached set lacks: the provider may have rotated its keys.
                if self.refresh_keys().await? {
                    if let Ok(identity) = self.claims(raw, nonce) {
                        return Ok(identity);
                    }
                }
                Err(Refusal::Signature)
            }
            other => other,
        }
    }

    fn claims(&self, raw: &str, nonce: &str) -> Result<VerifiedIdentity, Refusal> {
        let token: openidconnect::core::CoreIdToken =
            raw.parse().map_err(|_| Refusal::Signature)?;
        let client = CoreClient::from_provider_metadata(
            self.metadata(),
            ClientId::new(self.client_id.clone()),
            None,
        );
        let verifier = client.id_token_verifier();
        let claims: &CoreIdTokenClaims = token
            .claims(&verifier, &Nonce::new(nonce.to_string()))
            .map_err(|e| match e {
                ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                ) => Refusal::UnknownKey,
                ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::CryptoError(_)
                    | SignatureVerificationError::DisallowedAlg(_)
                    | SignatureVerificationError::NoSignature,
                ) => Refusal::Signature,
                ClaimsVerificationError::SignatureVerification(other) => {
                    Refusal::Claims(other.to_string())
                }
                ClaimsVerificationError::InvalidAudience(_) => Refusal::Audience,
                ClaimsVerificationError::InvalidIssuer(_) => Refusal::Issuer,
                ClaimsVerificationError::Expired(_) => Refusal::Expired,
                ClaimsVerificationError::InvalidNonce(_) => Refusal::Nonce,
                other => Refusal::Claims(other.to_string()),
            })?;
        let email = claims
            .email()
            .map(|e| e.as_str().to_string())
            .ok_or(Refusal::EmailNotVerified)?;
        if claims.email_verified() != Some(true) {
            return Err(Refusal::EmailNotVerified);
        }
        Ok(VerifiedIdentity {
            subject: claims.subject().as_str().to_string(),
            email,
        })
    }
}
