//! Commands of the Device aggregate. They carry validated values only; the device token is drawn
//! and hashed by the caller, who hands the token to the client once.

use uuid::Uuid;

use super::event::DeviceRevokeReason;
use crate::values::{Name, StoredSecret, UserAgent};

#[derive(Debug, Clone, PartialEq)]
pub enum DeviceCommand {
    /// A user logged in from a device chronid has not seen.
    Register {
        device_id: Uuid,
        user_id: Uuid,
        account_id: Uuid,
        /// Hash of the device token the client keeps.
        token_hash: StoredSecret,
        label: Option<Name>,
        user_agent: Option<UserAgent>,
    },
    /// A two-factor challenge was passed on this device (None: trusted by other means, such as an
    /// administrator).
    Trust {
        challenge_id: Option<Uuid>,
        /// The user's trust epoch now (`User::trust_epoch`).
        user_epoch: u32,
        /// How long trust lasts: a device still trusted is not trusted again.
        trust_for: chrono::Duration,
    },
    /// Set or clear (None) the label the user sees.
    Rename { label: Option<Name> },
    /// The device is no longer trusted; its token stops identifying it.
    Revoke { reason: DeviceRevokeReason },
}
