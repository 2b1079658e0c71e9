//! Reservation: a tiny aggregate keyed by a normalised value that must be unique across aggregates
//! (`email:<account>:<lowercase email>`, `username:<account>:<lowercase username>`,
//! `sp_entity_id:<value>`). Two writers claiming the same key at once both try to write the same
//! sequence number; the store's (aggregate_type, aggregate_id, sequence) key lets only one commit,
//! and the loser reloads and is refused. Reserve, then create the owner; on failure release.
//! Reservations are internal and never published on the stream.

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

pub use command::ReservationCommand;
pub use error::ReservationError;
pub use event::ReservationEvent;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AccountScoped, Services};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub owner: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub claimed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The reservation key of an email within an account.
pub fn email_key(account_id: Uuid, email: &crate::values::Email) -> String {
    format!("email:{account_id}:{}", email.key())
}

/// The reservation key of a username within an account.
pub fn username_key(account_id: Uuid, username: &crate::values::Username) -> String {
    format!("username:{account_id}:{}", username.key())
}

/// The reservation key of an external identity within an account: `provider` names the
/// provider (for SAML, `saml:{configuration id}`), `subject` its identifier of the user.
pub fn external_identity_key(account_id: Uuid, provider: &str, subject: &str) -> String {
    format!(
        "identity:{account_id}:{provider}:{}",
        subject.trim().to_lowercase()
    )
}

/// The reservation key of an account's login host name (unique across all accounts).
pub fn hostname_key(hostname: &crate::values::Hostname) -> String {
    format!("hostname:{}", hostname.as_str().to_ascii_lowercase())
}

/// The reservation key of a Google or GitHub identity within an account: `provider` is
/// `google` or `github`, `subject` its identifier of the user as given (OpenID Connect subjects
/// are case-sensitive).
pub fn provider_identity_key(account_id: Uuid, provider: &str, subject: &str) -> String {
    format!("identity:{account_id}:{provider}:{subject}")
}

/// The reservation key of an SSO service-provider entity id (unique across all accounts).
pub fn sp_entity_id_key(sp_entity_id: &str) -> String {
    format!("sp_entity_id:{}", sp_entity_id.trim().to_lowercase())
}

impl crate::Upcast for Reservation {}

impl AccountScoped for Reservation {
    fn account_id(&self) -> Option<Uuid> {
        self.account_id
    }
}

impl Aggregate for Reservation {
    const TYPE: &'static str = "reservation";
    type Command = ReservationCommand;
    type Event = ReservationEvent;
    type Error = ReservationError;
    type Services = Services;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            ReservationCommand::Claim { owner, account_id } => {
                match self.owner {
                    Some(current) if current == owner => return Ok(()),
                    Some(_) => return Err(ReservationError::Taken),
                    None => {}
                }
                let at = services.clock.now();
                sink.write(
                    ReservationEvent::Claimed {
                        owner,
                        account_id,
                        at,
                    },
                    self,
                )
                .await;
            }
            ReservationCommand::TakeOver {
                owner,
                account_id,
                previous_owner,
                orphaned_after,
            } => {
                let now = services.clock.now();
                let old_enough = self.claimed_at.is_some_and(|at| at + orphaned_after <= now);
                if self.owner != Some(previous_owner) || !old_enough {
                    return Err(ReservationError::Taken);
                }
                let released = ReservationEvent::Released {
                    owner: previous_owner,
                };
                sink.write(released, self).await;
                let claimed = ReservationEvent::Claimed {
                    owner,
                    account_id,
                    at: now,
                };
                sink.write(claimed, self).await;
            }
            ReservationCommand::Release { owner } => {
                if self.owner != Some(owner) {
                    return Err(ReservationError::NotOwner);
                }
                sink.write(ReservationEvent::Released { owner }, self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ReservationEvent::Claimed {
                owner,
                account_id,
                at,
            } => {
                self.owner = Some(owner);
                self.account_id = account_id;
                self.claimed_at = Some(at);
            }
            ReservationEvent::Released { .. } => {
                self.owner = None;
                self.claimed_at = None;
            }
        }
    }
}
