//! Events of the User aggregate: the complete catalogue, including those raised by login, two-factor
//! authentication, TOTP and password reset. Type strings are stable and never renamed. Fields named
//! `*_hash` / `*_sealed` are secrets kept in the store only (see `crate::public`).

use chrono::{DateTime, Duration, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::device::DeviceRevokeReason;
use crate::values::{
    Email, Language, PersonName, Phone, Roles, StoredSecret, TwoFactorChannel, Username,
};

mod reasons;
pub use reasons::*;

/// Reads a field that may be absent (`None`: unchanged) or `null` (`Some(None)`: cleared). Plain
/// `Option<Option<T>>` would read `null` back as "unchanged" and lose every clear on replay.
fn absent_or_nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A profile change: only the fields that changed, each with its new value (`null` = cleared).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileChanges {
    #[serde(
        default,
        deserialize_with = "absent_or_nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_name: Option<Option<PersonName>>,
    #[serde(
        default,
        deserialize_with = "absent_or_nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_name: Option<Option<PersonName>>,
    #[serde(
        default,
        deserialize_with = "absent_or_nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<Option<Phone>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

impl ProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.first_name.is_none()
            && self.last_name.is_none()
            && self.phone.is_none()
            && self.language.is_none()
    }
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    UserRegistered {
        user_id: Uuid,
        account_id: Uuid,
        email: Email,
        username: Option<Username>,
        first_name: Option<PersonName>,
        last_name: Option<PersonName>,
        phone: Option<Phone>,
        language: Language,
        roles: Roles,
        source: RegistrationSource,
        /// True until the user sets a password or logs in through an external identity.
        invited: bool,
        password_hash: Option<StoredSecret>,
        password_changed_at: Option<DateTime<Utc>>,
        /// Whether the user is managed by SSO (created by it).
        sso_managed: bool,
        /// The SSO configuration that created the user (source SSO); absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sso_config_id: Option<Uuid>,
    },
    UserProfileUpdated {
        changes: ProfileChanges,
    },
    UserRolesChanged {
        roles: Roles,
        previous: Roles,
    },
    UserEmailChanged {
        email: Email,
        previous: Email,
    },
    UserUsernameChanged {
        username: Option<Username>,
        previous: Option<Username>,
    },
    UserPhoneVerified {
        phone: Phone,
    },
    UserEmailVerified {
        email: Email,
    },
    UserInvitationAccepted,
    UserDisabled {
        reason: DisableReason,
    },
    UserEnabled,
    /// Version 2 adds `scope` (version 1: the whole account).
    UserLocked {
        reason: LockReason,
        failed_attempts: u32,
        /// When a policy lock lifts by itself; None = until an admin unlocks.
        until: Option<DateTime<Utc>>,
        scope: LockScope,
    },
    UserUnlocked {
        reason: UnlockReason,
    },
    UserLanguageChanged {
        language: Language,
    },
    PasswordChanged {
        password_hash: StoredSecret,
        method: PasswordChangeMethod,
        changed_at: DateTime<Utc>,
        /// When it must be renewed under the account's policy at the time; None = never.
        expires_at: Option<DateTime<Utc>>,
    },
    /// Version 2 adds `requested_at` (version 1: an hour before `expires_at`).
    PasswordResetRequested {
        request_id: Uuid,
        requested_at: DateTime<Utc>,
        token_hash: StoredSecret,
        /// The token sealed for the notifier, which puts it in the emailed link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_sealed: Option<StoredSecret>,
        initiated_by: ResetInitiator,
        expires_at: DateTime<Utc>,
    },
    PasswordResetEmailSent {
        request_id: Uuid,
    },
    PasswordResetEmailFailed {
        request_id: Uuid,
        error: String,
    },
    PasswordResetCompleted {
        request_id: Uuid,
    },
    LoginSucceeded {
        method: LoginMethod,
        session_id: Uuid,
        session_token_hash: StoredSecret,
        session_expires_at: DateTime<Utc>,
        device_id: Option<Uuid>,
        at: DateTime<Utc>,
    },
    /// Version 2 adds `scope` (version 1: the whole account).
    LoginFailed {
        method: LoginMethod,
        reason: LoginFailure,
        /// Failed attempts in a row including this one, on the counter of `scope`.
        failed_attempts: u32,
        device_id: Option<Uuid>,
        /// Which counter the failure counts on: failures from untrusted devices under the
        /// `untrusted_devices` lockout count apart.
        scope: LockScope,
    },
    /// A login answered `password_change_required`: the password is past its validity.
    PasswordChangeRequired {
        change_id: Uuid,
        token_hash: StoredSecret,
        expires_at: DateTime<Utc>,
    },
    UserLoggedOut {
        session_id: Uuid,
    },
    SessionsEnded {
        session_ids: Vec<Uuid>,
        reason: SessionEndReason,
    },
    TwoFactorRequirementChanged {
        required: bool,
    },
    TwoFactorChannelChanged {
        channel: TwoFactorChannel,
    },
    /// Version 2 adds `purpose` and `issued_at` (version 1: sign-in, ten minutes before
    /// `expires_at`).
    TwoFactorChallengeIssued {
        challenge_id: Uuid,
        channel: TwoFactorChannel,
        purpose: ChallengePurpose,
        issued_at: DateTime<Utc>,
        /// Hash of the code, to check it; absent for TOTP.
        code_hash: Option<StoredSecret>,
        /// The code sealed for the notifier, which delivers it; absent for TOTP.
        code_sealed: Option<StoredSecret>,
        device_id: Option<Uuid>,
        expires_at: DateTime<Utc>,
        max_attempts: u32,
    },
    TwoFactorCodeDelivered {
        challenge_id: Uuid,
        channel: TwoFactorChannel,
    },
    TwoFactorCodeDeliveryFailed {
        challenge_id: Uuid,
        channel: TwoFactorChannel,
        error: String,
    },
    TwoFactorChallengePassed {
        challenge_id: Uuid,
        device_id: Option<Uuid>,
    },
    /// Version 2 adds `reason`, `tries_left`, `failed_attempts` and `scope` (version 1: a wrong
    /// code, not counted on the user).
    TwoFactorChallengeFailed {
        challenge_id: Uuid,
        attempts: u32,
        /// True when no tries are left: the challenge is dead.
        exhausted: bool,
        reason: CodeFailure,
        tries_left: u32,
        /// The user's failed attempts in a row including this one (None: not counted, version 1).
        failed_attempts: Option<u32>,
        scope: LockScope,
    },
    /// A wrong current password on a password change from a session: counts like a failed login.
    PasswordChangeFailed {
        failed_attempts: u32,
    },
    /// A wrong or reused authenticator code when resetting or disabling it from a session:
    /// counts like a failed login.
    TotpCodeRejected {
        action: TotpAction,
        reason: CodeFailure,
        failed_attempts: u32,
    },
    TotpEnrolled {
        secret_sealed: StoredSecret,
    },
    TotpConfirmed {
        step: u64,
    },
    TotpCodeUsed {
        step: u64,
    },
    /// Version 2 adds `keeps_current`: the new secret waits for its first code while the
    /// current authenticator keeps working. Version 1 (`keeps_current: false`) replaced it at
    /// once, the new one unconfirmed.
    TotpReset {
        secret_sealed: StoredSecret,
        keeps_current: bool,
    },
    TotpDisabled {
        by_admin: bool,
    },
    ExternalIdentityLinked {
        provider: IdentityProvider,
        subject: String,
    },
    ExternalIdentityUnlinked {
        provider: IdentityProvider,
        subject: String,
    },
    UserAddedToTeam {
        team_id: Uuid,
        via_sso: bool,
    },
    UserRemovedFromTeam {
        team_id: Uuid,
        via_sso: bool,
    },
}

impl UserEvent {
    /// Whether this event ends the trust of every device of the user, and why. The User moves
    /// its trust epoch on with such an event, and the application revokes the devices with the
    /// reason returned.
    pub fn ends_device_trust(&self) -> Option<DeviceRevokeReason> {
        match self {
            UserEvent::PasswordChanged {
                method: PasswordChangeMethod::ResetLink,
                ..
            } => Some(DeviceRevokeReason::PasswordReset),
            UserEvent::PasswordChanged { .. } => Some(DeviceRevokeReason::PasswordChanged),
            UserEvent::TotpReset { .. } => Some(DeviceRevokeReason::TotpReset),
            UserEvent::UserLocked {
                scope: LockScope::Account,
                ..
            } => Some(DeviceRevokeReason::Locked),
            UserEvent::UserDisabled { .. } => Some(DeviceRevokeReason::Disabled),
            _ => None,
        }
    }
}

crate::event_types::event_types! {
    /// The type of each [`UserEvent`].
    UserEventType for UserEvent {
        UserRegistered,
        UserProfileUpdated,
        UserRolesChanged,
        UserEmailChanged,
        UserUsernameChanged,
        UserPhoneVerified,
        UserEmailVerified,
        UserInvitationAccepted,
        UserDisabled,
        UserEnabled,
        UserLocked,
        UserUnlocked,
        UserLanguageChanged,
        PasswordChanged,
        PasswordResetRequested,
        PasswordResetEmailSent,
        PasswordResetEmailFailed,
        PasswordResetCompleted,
        LoginSucceeded,
        LoginFailed,
        PasswordChangeRequired,
        UserLoggedOut,
        SessionsEnded,
        TwoFactorRequirementChanged,
        TwoFactorChannelChanged,
        TwoFactorChallengeIssued,
        TwoFactorCodeDelivered,
        TwoFactorCodeDeliveryFailed,
        TwoFactorChallengePassed,
        TwoFactorChallengeFailed,
        PasswordChangeFailed,
        TotpCodeRejected,
        TotpEnrolled,
        TotpConfirmed,
        TotpCodeUsed,
        TotpReset,
        TotpDisabled,
        ExternalIdentityLinked,
        ExternalIdentityUnlinked,
        UserAddedToTeam,
        UserRemovedFromTeam,
    }
}

impl crate::SecurityRelevant for UserEvent {
    fn is_security_outcome(&self) -> bool {
        match self.kind() {
            UserEventType::UserRolesChanged
            | UserEventType::UserEmailChanged
            | UserEventType::UserDisabled
            | UserEventType::UserEnabled
            | UserEventType::UserLocked
            | UserEventType::UserUnlocked
            | UserEventType::PasswordChanged
            | UserEventType::PasswordResetRequested
            | UserEventType::PasswordResetCompleted
            | UserEventType::LoginFailed
            | UserEventType::PasswordChangeRequired
            | UserEventType::SessionsEnded
            | UserEventType::TwoFactorRequirementChanged
            | UserEventType::TwoFactorChannelChanged
            | UserEventType::TwoFactorCodeDeliveryFailed
            | UserEventType::TwoFactorChallengeFailed
            | UserEventType::PasswordChangeFailed
            | UserEventType::TotpCodeRejected
            | UserEventType::TotpEnrolled
            | UserEventType::TotpConfirmed
            | UserEventType::TotpReset
            | UserEventType::TotpDisabled
            | UserEventType::ExternalIdentityLinked
            | UserEventType::ExternalIdentityUnlinked
            | UserEventType::LoginSucceeded
            | UserEventType::TwoFactorChallengePassed => true,
            UserEventType::UserRegistered
            | UserEventType::UserProfileUpdated
            | UserEventType::UserUsernameChanged
            | UserEventType::UserPhoneVerified
            | UserEventType::UserEmailVerified
            | UserEventType::UserInvitationAccepted
            | UserEventType::UserLanguageChanged
            | UserEventType::PasswordResetEmailSent
            | UserEventType::PasswordResetEmailFailed
            | UserEventType::UserLoggedOut
            | UserEventType::TwoFactorChallengeIssued
            | UserEventType::TwoFactorCodeDelivered
            | UserEventType::TotpCodeUsed
            | UserEventType::UserAddedToTeam
            | UserEventType::UserRemovedFromTeam => false,
        }
    }
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        self.kind().name().to_string()
    }

    fn event_version(&self) -> String {
        match self {
            Self::UserLocked { .. }
            | Self::PasswordResetRequested { .. }
            | Self::LoginFailed { .. }
            | Self::TwoFactorChallengeIssued { .. }
            | Self::TwoFactorChallengeFailed { .. }
            | Self::TotpReset { .. } => crate::EVENT_VERSION_2,
            _ => crate::EVENT_VERSION_1,
        }
        .to_string()
    }
}

/// Version 1 payloads of the events whose shape changed, in the current shape.
pub(super) fn upcast(event_type: &str, version: &str, mut payload: Value) -> Value {
    if version != crate::EVENT_VERSION_1 {
        return payload;
    }
    let Some(data) = payload.get_mut(event_type).and_then(Value::as_object_mut) else {
        return payload;
    };
    let time = |data: &serde_json::Map<String, Value>, key: &str, minus: Duration| {
        data.get(key)
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
            .map(|t| json!(t - minus))
            .unwrap_or(Value::Null)
    };
    match event_type {
        "TotpReset" => {
            data.insert("keeps_current".into(), json!(false));
        }
        "UserLocked" | "LoginFailed" => {
            data.insert("scope".into(), json!(LockScope::Account));
        }
        "PasswordResetRequested" => {
            let at = time(data, "expires_at", Duration::hours(1));
            data.insert("requested_at".into(), at);
        }
        "TwoFactorChallengeIssued" => {
            let at = time(data, "expires_at", super::CHALLENGE_LIFETIME);
            data.insert("issued_at".into(), at);
            data.insert("purpose".into(), json!(ChallengePurpose::SignIn));
        }
        "TwoFactorChallengeFailed" => {
            let exhausted = data.get("exhausted").and_then(Value::as_bool) == Some(true);
            let attempts = data.get("attempts").and_then(Value::as_u64).unwrap_or(0);
            let left = if exhausted {
                0
            } else {
                u64::from(super::CHALLENGE_MAX_ATTEMPTS).saturating_sub(attempts)
            };
            data.insert("reason".into(), json!(CodeFailure::Wrong));
            data.insert("tries_left".into(), json!(left));
            data.insert("failed_attempts".into(), Value::Null);
            data.insert("scope".into(), json!(LockScope::Account));
        }
        _ => {}
    }
    payload
}
