//! The assertion consumer's work, without its HTML: check a posted Response against a
//! configuration and the requests sent for it, accept its assertion once across all nodes, and
//! keep what it asserts under a one-time ticket for the browser's next, same-site, request
//! (`chronid_app::App::sso_login` goes on from there). Every refusal is recorded on the
//! configuration for the audit log.

use std::sync::{Arc, LazyLock};

use chronid_app::{App, SsoAssertion, SsoError, SsoView};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::sso_config::SsoLoginFailure;
use tokio::sync::Semaphore;

use crate::response::{check, in_response_to_of, Expected, Refusal};

/// Checks (xmlsec's signature work) running at once: the rest wait, so a flood of posted
/// Responses cannot take every blocking thread.
static CHECKS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(4)));

/// How long a posted Response waits for a check slot.
const CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Refusal {
    /// The refusal as the audit log records it.
    pub fn failure(&self) -> SsoLoginFailure {
        match self {
            Refusal::Encoding | Refusal::Comments => SsoLoginFailure::Malformed,
            Refusal::AssertionCount => SsoLoginFailure::AssertionCount,
            Refusal::WeakAlgorithm(_) => SsoLoginFailure::WeakAlgorithm,
            Refusal::Signature => SsoLoginFailure::Signature,
            Refusal::Issuer => SsoLoginFailure::Issuer,
            Refusal::Destination => SsoLoginFailure::Destination,
            Refusal::Recipient => SsoLoginFailure::Recipient,
            Refusal::Audience => SsoLoginFailure::Audience,
            Refusal::Expired => SsoLoginFailure::Expired,
            Refusal::NotYetValid => SsoLoginFailure::NotYetValid,
            Refusal::UnknownRequest => SsoLoginFailure::UnknownRequest,
            Refusal::Unsolicited => SsoLoginFailure::Unsolicited,
            Refusal::Status(_) => SsoLoginFailure::IdpStatus,
            Refusal::NoSubject => SsoLoginFailure::NoSubject,
        }
    }
}

/// Takes the base64 `SAMLResponse` posted to `config`'s assertion consumer; returns the ticket
/// that hands the login to the browser.
pub async fn consume(
    app: &App,
    config: &SsoView,
    encoded: String,
    facts: &RequestFacts,
) -> Result<String, SsoError> {
    // Which of our requests it answers: looked up by the id the Response names, from any
    // browser (this cross-site POST carries no cookie); the browser is checked when the
    // ticket is used.
    // The request a Response claims to answer is checked for what the signature covers here
    // (the signed confirmation must name it too), and for being ours when it is taken: once,
    // fresh, sent for this configuration.
    let request_ids: Vec<String> = in_response_to_of(&encoded)
        .filter(|id| id.len() <= 256)
        .into_iter()
        .collect();
    let settings = &config.settings;
    let certificates: Vec<Vec<u8>> = settings.idp_certificates.iter().map(|c| c.der()).collect();
    let idp_entity_id = settings.idp_entity_id.as_str().to_string();
    let sp_entity_id = config.sp_entity_id.clone();
    let acs_url = config.acs_url.clone();
    let (allow_idp_initiated, allow_sha1) = (settings.allow_idp_initiated, settings.allow_sha1);
    let now = app.executor().services().clock.now();
    // The permit moves into the blocking task: it is held while xmlsec works, even when the
    // client has gone; a post that cannot get one soon is answered as unavailable.
    let permit = tokio::time::timeout(CHECK_WAIT, CHECKS.clone().acquire_owned())
        .await
        .map_err(|_| {
            SsoError::App(chronid_app::AppError::internal(
                "no SAML check slot within 5 s: too many Responses at once",
            ))
        })?
        .map_err(|e| SsoError::App(chronid_app::AppError::internal(e)))?;
    let ids = request_ids.clone();
    let entity = idp_entity_id.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let expected = Expected {
            idp_entity_id: &entity,
            certificates: &certificates,
            sp_entity_id: &sp_entity_id,
            acs_url: &acs_url,
            request_ids: &ids,
            allow_idp_initiated,
            allow_sha1,
            now,
        };
        check(&encoded, &expected)
    })
    .await
    .map_err(|e| SsoError::App(chronid_app::AppError::internal(e)))?;
    let refuse = |reason: SsoLoginFailure, name_id: Option<String>| async move {
        app.record_sso_failure(config.id, reason, None, None, name_id.as_deref(), facts)
            .await;
        SsoError::Refused(reason)
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(refusal) => {
            tracing::info!(target: "security", config = %config.id, %refusal, "a SAML response was refused");
            return Err(refuse(refusal.failure(), None).await);
        }
    };
    let assertion = SsoAssertion {
        name_id: checked.name_id.clone(),
        attributes: checked.attributes,
    };
    let accepted = app
        .accept_sso_response(
            config.id,
            &idp_entity_id,
            &checked.assertion_id,
            checked.not_on_or_after,
            checked.in_response_to.as_deref(),
            &assertion,
        )
        .await;
    match accepted {
        Ok(ticket) => Ok(ticket),
        Err(SsoError::Refused(reason)) => Err(refuse(reason, Some(checked.name_id)).await),
        Err(other) => Err(other),
    }
}
