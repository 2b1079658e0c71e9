//! Errors of the SsoConfig aggregate, each with a stable code.

use crate::error::{DomainError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoConfigError {
    #[error("the SSO configuration already exists")]
    AlreadyExists,
    #[error("no such SSO configuration")]
    NotFound,
    #[error("the SSO configuration was deleted")]
    Deleted,
    #[error("nothing to change")]
    NoChange,
    #[error("the SSO configuration already serves this account")]
    AccountAlreadyServed,
    #[error("the SSO configuration does not serve this account")]
    AccountNotServed,
    #[error("the owner of the SSO configuration has not offered to serve this account")]
    NotOffered,
    #[error("the account that owns an SSO configuration cannot be removed from it")]
    CannotRemoveOwner,
}

impl DomainError for SsoConfigError {
    crate::error::error_codes! {
        Self::AlreadyExists => "SSO-EXISTS",
        Self::NotFound => "SSO-NOT-FOUND",
        Self::Deleted => "SSO-DELETED",
        Self::NoChange => "SSO-NO-CHANGE",
        Self::AccountAlreadyServed => "SSO-ACCOUNT-ALREADY-SERVED",
        Self::AccountNotServed => "SSO-ACCOUNT-NOT-SERVED",
        Self::CannotRemoveOwner => "SSO-CANNOT-REMOVE-OWNER",
        Self::NotOffered => "SSO-NOT-OFFERED",
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound | Self::Deleted | Self::AccountNotServed => ErrorKind::NotFound,
            Self::NoChange => ErrorKind::Invalid,
            Self::AlreadyExists
            | Self::AccountAlreadyServed
            | Self::CannotRemoveOwner
            | Self::NotOffered => ErrorKind::Conflict,
        }
    }
}
