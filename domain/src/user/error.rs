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
    #[error("{0}")]
    Port(PortError),
}

impl DomainError for UserError {
    fn code(&self) -> &'static str {
        match self {
            Self::AlreadyRegistered => "USR-EXISTS",
            Self::NotFound => "USR-NOT-FOUND",
            Self::NoChange => "USR-NO-CHANGE",
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
            Self::Port(e) if e.is_overloaded() => "SERVER-BUSY",
            Self::Port(_) => "INTERNAL",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound | Self::SessionNotFound => ErrorKind::NotFound,
            Self::Locked | Self::Disabled => ErrorKind::Forbidden,
            Self::NoChange => ErrorKind::Invalid,
            Self::TeamManagedBySso => ErrorKind::Conflict,
            Self::Port(e) if e.is_overloaded() => ErrorKind::Unavailable,
            Self::Port(_) => ErrorKind::Internal,
            _ => ErrorKind::Conflict,
        }
    }
}
