//! Errors of the User aggregate, each with a stable code.

use crate::error::{DomainError, ErrorKind};
use crate::ports::PortError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("the user already exists")]
    AlreadyRegistered,
    #[error("no such user")]
    NotFound,
    #[error("nothing to change")]
    NoChange,
    #[error("no such identity is linked to the user")]
    IdentityNotLinked,
    #[error("another identity at this provider is linked to the user")]
    OtherIdentityLinked,
    #[error("the user is already disabled")]
    AlreadyDisabled,
    #[error("the user is not disabled")]
    NotDisabled,
    #[error("the user is already locked")]
    AlreadyLocked,
    #[error("the user is not locked")]
    NotLocked,
    #[error("the team is managed by SSO group sync: its members cannot be changed by hand")]
    TeamManagedBySso,
    #[error("the user is already a member of the team")]
    AlreadyInTeam,
    #[error("the user is not a member of the team")]
    NotInTeam,
    #[error("the user is locked")]
    Locked,
    #[error("the user is disabled")]
    Disabled,
    #[error("the password changed while the login was being checked")]
    CredentialChanged,
    #[error("no such session")]
    SessionNotFound,
    #[error("the user has been active within the allowed time")]
    NotInactive,
    #[error("the reset link or password-change token is not valid (unknown, used or superseded)")]
    ResetTokenInvalid,
    #[error("the reset link or password-change token has expired; ask for a new one")]
    ResetTokenExpired,
    #[error("the new password must differ from the current one")]
    PasswordReused,
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("the password has not expired")]
    PasswordNotExpired,
    #[error("this delivery outcome is already recorded")]
    DeliveryAlreadyRecorded,
    #[error("no such two-factor challenge, or it was already passed; log in again")]
    ChallengeNotFound,
    #[error("the code has expired; log in again for a new one")]
    ChallengeExpired,
    #[error("too many wrong codes; log in again for a new one")]
    ChallengeExhausted,
    #[error("the code is not correct")]
    CodeInvalid,
    #[error("the user has no authenticator app enabled")]
    TotpNotEnabled,
    #[error("the authenticator app is already enabled")]
    TotpAlreadyEnabled,
    #[error("no authenticator enrolment is in progress; start one first")]
    TotpNotEnrolled,
    #[error("the authenticator code is not correct")]
    TotpCodeInvalid,
    #[error("this authenticator code was already used; wait for the next one")]
    TotpCodeReused,
    #[error("two-factor authentication is required of this user by an administrator")]
    TwoFactorRequired,
    #[error("this channel needs a phone number on the user")]
    PhoneRequired,
    #[error("too many codes were sent to this user; try again in {retry_after_secs} seconds")]
    TooManyCodes { retry_after_secs: u64 },
    #[error(
        "too many reset links were sent to this user; try again in {retry_after_secs} seconds"
    )]
    TooManyResets { retry_after_secs: u64 },
    #[error("a second factor is due for this login")]
    SecondFactorDue,
    #[error("{0}")]
    Port(PortError),
}

impl From<PortError> for UserError {
    fn from(e: PortError) -> Self {
        Self::Port(e)
    }
}

impl DomainError for UserError {
    crate::error::error_codes! {
        Self::AlreadyRegistered => "USR-EXISTS",
        Self::NotFound => "USR-NOT-FOUND",
        Self::NoChange => "USR-NO-CHANGE",
        Self::IdentityNotLinked => "USR-IDENTITY-NOT-LINKED",
        Self::OtherIdentityLinked => "USR-OTHER-IDENTITY-LINKED",
        Self::AlreadyDisabled => "USR-ALREADY-DISABLED",
        Self::NotDisabled => "USR-NOT-DISABLED",
        Self::AlreadyLocked => "USR-ALREADY-LOCKED",
        Self::NotLocked => "USR-NOT-LOCKED",
        Self::TeamManagedBySso => "USR-TEAM-SSO-MANAGED",
        Self::AlreadyInTeam => "USR-ALREADY-IN-TEAM",
        Self::NotInTeam => "USR-NOT-IN-TEAM",
        Self::Locked => "AUTH-USER-LOCKED",
        Self::Disabled => "AUTH-USER-DISABLED",
        Self::CredentialChanged => "AUTH-CREDENTIAL-CHANGED",
        Self::SessionNotFound => "SESSION-NOT-FOUND",
        Self::NotInactive => "USR-NOT-INACTIVE",
        Self::ResetTokenInvalid => "AUTH-TOKEN-INVALID",
        Self::ResetTokenExpired => "AUTH-TOKEN-EXPIRED",
        Self::PasswordReused => "PASSWORD-REUSED",
        Self::WrongPassword => "AUTH-WRONG-PASSWORD",
        Self::PasswordNotExpired => "AUTH-PASSWORD-NOT-EXPIRED",
        Self::DeliveryAlreadyRecorded => "USR-DELIVERY-RECORDED",
        Self::ChallengeNotFound => "AUTH-CHALLENGE-NOT-FOUND",
        Self::ChallengeExpired => "AUTH-CODE-EXPIRED",
        Self::ChallengeExhausted => "AUTH-CODE-EXHAUSTED",
        Self::CodeInvalid => "AUTH-CODE-INVALID",
        Self::TotpNotEnabled => "TOTP-NOT-ENABLED",
        Self::TotpAlreadyEnabled => "TOTP-ALREADY-ENABLED",
        Self::TotpNotEnrolled => "TOTP-NOT-ENROLLED",
        Self::TotpCodeInvalid => "TOTP-CODE-INVALID",
        Self::TotpCodeReused => "TOTP-CODE-REUSED",
        Self::TwoFactorRequired => "USR-TWO-FACTOR-REQUIRED",
        Self::PhoneRequired => "USR-PHONE-REQUIRED",
        Self::TooManyCodes { .. } => "AUTH-TOO-MANY-CODES",
        Self::TooManyResets { .. } => "AUTH-TOO-MANY-RESETS",
        Self::SecondFactorDue => "AUTH-SECOND-FACTOR-DUE",
        Self::Port(e) if e.is_overloaded() => "SERVER-BUSY",
        Self::Port(_) => "INTERNAL",
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound | Self::SessionNotFound => ErrorKind::NotFound,
            Self::Locked | Self::Disabled | Self::WrongPassword | Self::TwoFactorRequired => {
                ErrorKind::Forbidden
            }
            Self::ChallengeNotFound | Self::IdentityNotLinked => ErrorKind::NotFound,
            Self::ChallengeExpired
            | Self::ChallengeExhausted
            | Self::CodeInvalid
            | Self::TotpCodeInvalid
            | Self::TotpCodeReused => ErrorKind::Unauthorized,
            Self::ResetTokenInvalid
            | Self::ResetTokenExpired
            | Self::PasswordReused
            | Self::PhoneRequired => ErrorKind::Invalid,
            Self::NoChange => ErrorKind::Invalid,
            Self::TeamManagedBySso => ErrorKind::Conflict,
            Self::TooManyCodes { .. } | Self::TooManyResets { .. } => ErrorKind::TooManyRequests,
            Self::Port(e) if e.is_overloaded() => ErrorKind::Unavailable,
            Self::Port(_) => ErrorKind::Internal,
            _ => ErrorKind::Conflict,
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyCodes { retry_after_secs } | Self::TooManyResets { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }
}
