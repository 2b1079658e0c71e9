//! Errors shared by every aggregate: invalid input caught by value constructors, and the trait
//! that gives each aggregate error a stable machine-readable code and an HTTP-neutral kind.

use serde::Serialize;

/// A value rejected by a constructor such as `Email::parse`; names the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The same refusal, naming the request field the value came in (`new_password` for a
    /// value `Password::parse` calls `password`).
    pub fn in_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }
}

/// What kind of failure a domain error is; the HTTP adapter maps each kind to one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is well-formed but not acceptable (422 would be pedantic; we answer 400).
    Invalid,
    /// The target does not exist (404).
    NotFound,
    /// The command conflicts with the current state (409).
    Conflict,
    /// The actor may not do this (403).
    Forbidden,
    /// Authentication failed (401).
    Unauthorized,
    /// A failure of a port (hashing, sealing): internal (500).
    Internal,
    /// Too busy to take the request now; retry shortly (503 with Retry-After).
    Unavailable,
    /// Too many of these requests for now; retry after the time the error names (429).
    TooManyRequests,
}

/// Every aggregate error implements this so the edge can answer with a stable code.
pub trait DomainError: std::error::Error {
    /// A stable code such as `USR-LOCKED`; never changes once published.
    fn code(&self) -> &'static str;
    /// Every code `code` can return (for the catalogue of codes the API can answer).
    fn codes() -> &'static [&'static str]
    where
        Self: Sized;
    fn kind(&self) -> ErrorKind;
    /// For `TooManyRequests`: seconds until a retry may succeed.
    fn retry_after_secs(&self) -> Option<u64> {
        None
    }
}

/// Writes `DomainError::code` and `DomainError::codes` from one list of `pattern => "CODE"`
/// arms, so the catalogue of codes cannot miss one.
macro_rules! error_codes {
    ($($pat:pat $(if $guard:expr)? => $code:literal),+ $(,)?) => {
        fn code(&self) -> &'static str {
            match self {
                $($pat $(if $guard)? => $code),+
            }
        }

        fn codes() -> &'static [&'static str] {
            &[$($code),+]
        }
    };
}

pub(crate) use error_codes;
