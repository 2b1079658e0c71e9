//! Errors of the Device aggregate, each with a stable code.

use crate::error::{DomainError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("the device is already registered")]
    AlreadyRegistered,
    #[error("no such device")]
    NotFound,
    #[error("the device is revoked")]
    Revoked,
    #[error("the device is already trusted")]
    AlreadyTrusted,
    #[error("nothing to change")]
    NoChange,
}

impl DomainError for DeviceError {
    crate::error::error_codes! {
        Self::AlreadyRegistered => "DEV-EXISTS",
        Self::NotFound => "DEV-NOT-FOUND",
        Self::Revoked => "DEV-REVOKED",
        Self::AlreadyTrusted => "DEV-ALREADY-TRUSTED",
        Self::NoChange => "DEV-NO-CHANGE",
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound => ErrorKind::NotFound,
            Self::NoChange => ErrorKind::Invalid,
            Self::AlreadyRegistered | Self::Revoked | Self::AlreadyTrusted => ErrorKind::Conflict,
        }
    }
}
