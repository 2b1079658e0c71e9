//! ExternalLogin: one login through Google or GitHub that was refused. Its id is the attempt's
//! (drawn when the browser was sent to the provider, or when a callback came without one), so
//! attempts never contend with each other and a refusal is written once.
//!
//! A refusal is recorded whatever became known before it: nothing but the reason when the
//! provider's answer could not be trusted (wrong state, bad signature, expired token...), the
//! provider's subject and verified email once it could, the user and account once one was
//! found. Its account is the one the refusal concerns (the branded host's, or the user's); a
//! refusal that concerns no account (the email is held nowhere) belongs to the deployment and
//! is filed under the nil account id, where the operator reads it (`chronid audit --account
//! 00000000-0000-0000-0000-000000000000`). Successful logins and links are the User's events.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, ErrorKind};
use crate::user::IdentityProvider;
use crate::{AccountScoped, Services};

#[cfg(test)]
mod tests;

/// The account id under which refusals that concern no account are filed.
pub const DEPLOYMENT_ACCOUNT: Uuid = Uuid::nil();

/// Why a Google or GitHub login was refused: words of ours, never the provider's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExternalLoginFailure {
    /// The answer is for another login attempt, or for none in this browser (`state`).
    State,
    /// The provider refused the authorization code (used before, expired, or not its own).
    Code,
    /// The provider's answer had no ID token.
    NoIdToken,
    /// The ID token is not signed by a key the provider publishes (`alg: none` included).
    Signature,
    /// The ID token is for another client.
    Audience,
    /// The ID token comes from another issuer.
    Issuer,
    /// The ID token has expired.
    Expired,
    /// The ID token answers another login attempt (`nonce`).
    Nonce,
    /// The ID token's claims are not acceptable otherwise.
    Claims,
    /// The provider has not verified the email (GitHub: no primary verified email).
    EmailNotVerified,
    /// The provider's API answered with an error.
    ProviderError,
    /// No user of an account that allows this provider holds the email.
    NoAccount,
    /// The user's account does not allow logging in with this provider.
    ProviderNotAllowed,
    /// The user is disabled.
    UserDisabled,
    /// The user is locked.
    UserLocked,
    /// The person left the login at the provider (it answered `access_denied` or another error).
    Cancelled,
}

impl ExternalLoginFailure {
    /// The stable name (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Code => "code",
            Self::NoIdToken => "no_id_token",
            Self::Signature => "signature",
            Self::Audience => "audience",
            Self::Issuer => "issuer",
            Self::Expired => "expired",
            Self::Nonce => "nonce",
            Self::Claims => "claims",
            Self::EmailNotVerified => "email_not_verified",
            Self::ProviderError => "provider_error",
            Self::NoAccount => "no_account",
            Self::ProviderNotAllowed => "provider_not_allowed",
            Self::UserDisabled => "user_disabled",
            Self::UserLocked => "user_locked",
            Self::Cancelled => "cancelled",
        }
    }

    /// Every reason, in declaration order.
    pub const ALL: &'static [ExternalLoginFailure] = &[
        Self::State,
        Self::Code,
        Self::NoIdToken,
        Self::Signature,
        Self::Audience,
        Self::Issuer,
        Self::Expired,
        Self::Nonce,
        Self::Claims,
        Self::EmailNotVerified,
        Self::ProviderError,
        Self::NoAccount,
        Self::ProviderNotAllowed,
        Self::UserDisabled,
        Self::UserLocked,
        Self::Cancelled,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalLoginCommand {
    /// Records the refusal of the attempt.
    RecordRefusal(Box<Refusal>),
}

/// What is known of a refused attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub provider: IdentityProvider,
    pub reason: ExternalLoginFailure,
    /// The account concerned; `None` for the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    /// The provider's subject (Google `sub`, GitHub id), only once the provider's answer was
    /// verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The email the provider gave, only once its answer was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExternalLoginEvent {
    ExternalLoginRefused(Refusal),
}

crate::event_types::event_types! {
    /// The type of each [`ExternalLoginEvent`].
    ExternalLoginEventType for ExternalLoginEvent {
        ExternalLoginRefused,
    }
}

impl crate::SecurityRelevant for ExternalLoginEvent {
    fn is_security_outcome(&self) -> bool {
        match self.kind() {
            ExternalLoginEventType::ExternalLoginRefused => true,
        }
    }
}

impl DomainEvent for ExternalLoginEvent {
    fn event_type(&self) -> String {
        self.kind().name().to_string()
    }

    fn event_version(&self) -> String {
        crate::EVENT_VERSION_1.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExternalLoginError {
    #[error("the refusal of this login attempt is recorded already")]
    AlreadyRecorded,
}

impl DomainError for ExternalLoginError {
    crate::error::error_codes! {
        Self::AlreadyRecorded => "EXT-ALREADY-RECORDED",
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Conflict
    }
}

/// A refused Google or GitHub login attempt.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalLogin {
    pub refusal: Option<Refusal>,
}

impl crate::Upcast for ExternalLogin {}

impl AccountScoped for ExternalLogin {
    fn account_id(&self) -> Option<Uuid> {
        let refusal = self.refusal.as_ref()?;
        Some(refusal.account_id.unwrap_or(DEPLOYMENT_ACCOUNT))
    }
}

impl Aggregate for ExternalLogin {
    const TYPE: &'static str = "external_login";
    type Command = ExternalLoginCommand;
    type Event = ExternalLoginEvent;
    type Error = ExternalLoginError;
    type Services = Services;

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            ExternalLoginCommand::RecordRefusal(refusal) => {
                if self.refusal.is_some() {
                    return Err(ExternalLoginError::AlreadyRecorded);
                }
                sink.write(ExternalLoginEvent::ExternalLoginRefused(*refusal), self)
                    .await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ExternalLoginEvent::ExternalLoginRefused(refusal) => self.refusal = Some(refusal),
        }
    }
}
