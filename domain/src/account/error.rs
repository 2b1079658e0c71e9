//! Errors of the Account aggregate, each with a stable code.

use crate::error::{DomainError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("the account already exists")]
    AlreadyExists,
    #[error("no such account")]
    NotFound,
    #[error("nothing to change")]
    NoChange,
    #[error("no such team")]
    TeamNotFound,
    #[error("a team with this name already exists")]
    TeamNameTaken,
    #[error("a team with this id already exists")]
    TeamExists,
    #[error("the team is managed by SSO group sync; only its roles and permissions can change")]
    TeamManagedBySso,
    #[error("no such API key")]
    ApiKeyNotFound,
    #[error("an API key with this id already exists")]
    ApiKeyExists,
    #[error("the API key is revoked")]
    ApiKeyRevoked,
    #[error("valid_until must be in the future")]
    ExpiryInPast,
}

impl DomainError for AccountError {
    crate::error::error_codes! {
        Self::AlreadyExists => "ACC-EXISTS",
        Self::NotFound => "ACC-NOT-FOUND",
        Self::NoChange => "ACC-NO-CHANGE",
        Self::TeamNotFound => "ACC-TEAM-NOT-FOUND",
        Self::TeamNameTaken => "ACC-TEAM-NAME-TAKEN",
        Self::TeamExists => "ACC-TEAM-EXISTS",
        Self::TeamManagedBySso => "ACC-TEAM-SSO-MANAGED",
        Self::ApiKeyNotFound => "ACC-API-KEY-NOT-FOUND",
        Self::ApiKeyExists => "ACC-API-KEY-EXISTS",
        Self::ApiKeyRevoked => "ACC-API-KEY-REVOKED",
        Self::ExpiryInPast => "ACC-API-KEY-EXPIRY-IN-PAST",
    }

    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound | Self::TeamNotFound | Self::ApiKeyNotFound => ErrorKind::NotFound,
            Self::NoChange | Self::ExpiryInPast => ErrorKind::Invalid,
            _ => ErrorKind::Conflict,
        }
    }
}
