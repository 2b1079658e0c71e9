//! Device: a browser or app a user logs in from, known by the hash of a long random device token
//! the client keeps (header `X-Device-Token` or cookie `chronid_device`). Owns its user and
//! account, label and user agent, when it was first seen, when two-factor authentication made it
//! trusted, and whether it was revoked. Under the `new_device` two-factor mode a login from a
//! trusted device skips the challenge; a revoked device is never trusted again (the client gets a
//! new token and a new device).

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

pub use command::DeviceCommand;
pub use error::DeviceError;
pub use event::{DeviceEvent, DeviceEventType, DeviceRevokeReason};

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{Name, StoredSecret, UserAgent};
use crate::{AccountScoped, Services};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    /// Hash of the device token; a presented token is checked against it.
    pub token_hash: Option<StoredSecret>,
    pub label: Option<Name>,
    pub user_agent: Option<UserAgent>,
    pub first_seen_at: Option<DateTime<Utc>>,
    pub trusted_at: Option<DateTime<Utc>>,
    /// The owner's trust epoch when it was trusted.
    pub trusted_in_epoch: u32,
    pub revoked: Option<DeviceRevokeReason>,
}

impl Device {
    /// Whether a login from this device may skip a `new_device` two-factor challenge at `now`:
    /// trusted less than `trust_for` ago, not revoked, and in the owner's current trust epoch
    /// (a password change, authenticator reset, lock or disable since ends the trust even if
    /// the device's own revocation was never written).
    pub fn is_trusted(&self, now: DateTime<Utc>, trust_for: Duration, user_epoch: u32) -> bool {
        self.revoked.is_none()
            && self.trusted_in_epoch == user_epoch
            && self.trusted_at.is_some_and(|at| now < at + trust_for)
    }

    /// When the trust runs out.
    pub fn trusted_until(&self, trust_for: Duration) -> Option<DateTime<Utc>> {
        self.trusted_at.map(|at| at + trust_for)
    }

    /// The device, registered and not revoked, or why not.
    fn require_live(&self) -> Result<(), DeviceError> {
        if self.id.is_none() {
            return Err(DeviceError::NotFound);
        }
        if self.revoked.is_some() {
            return Err(DeviceError::Revoked);
        }
        Ok(())
    }
}

impl crate::Upcast for Device {
    fn upcast(event_type: &str, version: &str, payload: serde_json::Value) -> serde_json::Value {
        event::upcast(event_type, version, payload)
    }
}

impl AccountScoped for Device {
    fn account_id(&self) -> Option<Uuid> {
        self.account_id
    }
}

impl Aggregate for Device {
    const TYPE: &'static str = "device";
    type Command = DeviceCommand;
    type Event = DeviceEvent;
    type Error = DeviceError;
    type Services = Services;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let now = services.clock.now();
        match command {
            DeviceCommand::Register {
                device_id,
                user_id,
                account_id,
                token_hash,
                label,
                user_agent,
            } => {
                if self.id.is_some() {
                    return Err(DeviceError::AlreadyRegistered);
                }
                let event = DeviceEvent::DeviceRegistered {
                    device_id,
                    user_id,
                    account_id,
                    token_hash,
                    label,
                    user_agent,
                    first_seen_at: now,
                };
                sink.write(event, self).await;
            }
            DeviceCommand::Trust {
                challenge_id,
                user_epoch,
                trust_for,
            } => {
                self.require_live()?;
                // Trusted again once the trust ran out or the user's epoch moved on.
                if self.is_trusted(now, trust_for, user_epoch) {
                    return Err(DeviceError::AlreadyTrusted);
                }
                let event = DeviceEvent::DeviceTrusted {
                    challenge_id,
                    trusted_at: now,
                    user_epoch,
                };
                sink.write(event, self).await;
            }
            DeviceCommand::Rename { label } => {
                self.require_live()?;
                if label == self.label {
                    return Err(DeviceError::NoChange);
                }
                sink.write(DeviceEvent::DeviceRenamed { label }, self).await;
            }
            DeviceCommand::Revoke { reason } => {
                self.require_live()?;
                sink.write(DeviceEvent::DeviceRevoked { reason }, self)
                    .await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            DeviceEvent::DeviceRegistered {
                device_id,
                user_id,
                account_id,
                token_hash,
                label,
                user_agent,
                first_seen_at,
            } => {
                self.id = Some(device_id);
                self.user_id = Some(user_id);
                self.account_id = Some(account_id);
                self.token_hash = Some(token_hash);
                self.label = label;
                self.user_agent = user_agent;
                self.first_seen_at = Some(first_seen_at);
            }
            DeviceEvent::DeviceTrusted {
                trusted_at,
                user_epoch,
                ..
            } => {
                self.trusted_at = Some(trusted_at);
                self.trusted_in_epoch = user_epoch;
            }
            DeviceEvent::DeviceRenamed { label } => self.label = label,
            DeviceEvent::DeviceRevoked { reason } => self.revoked = Some(reason),
        }
    }
}
