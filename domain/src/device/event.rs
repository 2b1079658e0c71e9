//! Events of the Device aggregate. Type strings are stable and never renamed. `token_hash` is a
//! secret kept in the store only (see `crate::public`).

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{Name, StoredSecret, UserAgent};

/// Why a device was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRevokeReason {
    /// The user revoked it.
    User,
    /// An administrator revoked it.
    Admin,
    /// The user's password was reset: every device must prove itself again.
    PasswordReset,
    /// The user changed their password.
    PasswordChanged,
    /// The user replaced their authenticator.
    TotpReset,
    /// The user was locked.
    Locked,
    /// The user was disabled.
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeviceEvent {
    DeviceRegistered {
        device_id: Uuid,
        user_id: Uuid,
        account_id: Uuid,
        /// Hash of the long random token the client keeps; secret.
        token_hash: StoredSecret,
        label: Option<Name>,
        user_agent: Option<UserAgent>,
        first_seen_at: DateTime<Utc>,
    },
    /// Version 2 adds `user_epoch` (version 1: 0).
    DeviceTrusted {
        /// The two-factor challenge that was passed, if any.
        challenge_id: Option<Uuid>,
        trusted_at: DateTime<Utc>,
        /// The user's trust epoch when the device was trusted (see `User::trust_epoch`): the
        /// trust holds only while the user's epoch is the same.
        user_epoch: u32,
    },
    DeviceRenamed {
        label: Option<Name>,
    },
    DeviceRevoked {
        reason: DeviceRevokeReason,
    },
}

crate::event_types::event_types! {
    /// The type of each [`DeviceEvent`].
    DeviceEventType for DeviceEvent {
        DeviceRegistered,
        DeviceTrusted,
        DeviceRenamed,
        DeviceRevoked,
    }
}

impl crate::SecurityRelevant for DeviceEvent {
    fn is_security_outcome(&self) -> bool {
        match self.kind() {
            DeviceEventType::DeviceTrusted | DeviceEventType::DeviceRevoked => true,
            DeviceEventType::DeviceRegistered | DeviceEventType::DeviceRenamed => false,
        }
    }
}

impl DomainEvent for DeviceEvent {
    fn event_type(&self) -> String {
        self.kind().name().to_string()
    }

    fn event_version(&self) -> String {
        match self {
            Self::DeviceTrusted { .. } => crate::EVENT_VERSION_2,
            _ => crate::EVENT_VERSION_1,
        }
        .to_string()
    }
}

/// Version 1 payloads of the events whose shape changed, in the current shape.
pub(super) fn upcast(
    event_type: &str,
    version: &str,
    mut payload: serde_json::Value,
) -> serde_json::Value {
    if version == crate::EVENT_VERSION_1 && event_type == "DeviceTrusted" {
        if let Some(data) = payload.get_mut(event_type).and_then(|d| d.as_object_mut()) {
            data.insert("user_epoch".into(), serde_json::json!(0));
        }
    }
    payload
}
