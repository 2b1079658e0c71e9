//! The one error type use cases return: a stable code, a kind the HTTP edge maps to a status, a
//! message safe to show, and for invalid input the field at fault. Internal failures keep their
//! cause for the log only.

use chronid_domain::error::{DomainError, ErrorKind};
use chronid_domain::ValidationError;

use chronid_store::{CommandError, GuardError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AppError {
    pub code: &'static str,
    pub kind: ErrorKind,
    /// Safe to show to the caller.
    pub message: String,
    /// For invalid input: the field at fault.
    pub field: Option<&'static str>,
    /// For internal errors: the cause, logged, never shown.
    pub internal: Option<String>,
    /// For `TooManyRequests` and `Unavailable`: seconds until a retry may succeed.
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(code: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            code,
            kind,
            message: message.into(),
            field: None,
            internal: None,
            retry_after: None,
        }
    }

    /// The same error, telling the caller when to retry.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn internal(cause: impl ToString) -> Self {
        Self {
            code: "INTERNAL",
            kind: ErrorKind::Internal,
            message: "an internal error occurred; it has been logged".into(),
            field: None,
            internal: Some(cause.to_string()),
            retry_after: None,
        }
    }

    pub fn not_found(code: &'static str, what: &str) -> Self {
        Self::new(code, ErrorKind::NotFound, format!("no such {what}"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new("AUTH-FORBIDDEN", ErrorKind::Forbidden, message)
    }

    /// Other writers kept changing the object; the caller may try again.
    pub fn conflict_retry(message: impl Into<String>) -> Self {
        Self::new("CONFLICT-RETRY", ErrorKind::Conflict, message)
    }

    pub fn from_domain<E: DomainError>(err: &E) -> Self {
        if err.kind() == ErrorKind::Internal {
            return Self::internal(err.to_string());
        }
        let mut e = Self::new(err.code(), err.kind(), err.to_string());
        e.retry_after = err.retry_after_secs();
        e
    }
}

impl From<ValidationError> for AppError {
    fn from(err: ValidationError) -> Self {
        Self {
            code: "VALIDATION",
            kind: ErrorKind::Invalid,
            message: err.to_string(),
            field: Some(err.field),
            internal: None,
            retry_after: None,
        }
    }
}

impl From<GuardError> for AppError {
    fn from(g: GuardError) -> Self {
        Self::new(g.code, g.kind, g.message)
    }
}

impl<E: DomainError> From<CommandError<E>> for AppError {
    fn from(err: CommandError<E>) -> Self {
        match err {
            CommandError::Domain(e) => Self::from_domain(&e),
            CommandError::Conflict { .. } => {
                Self::conflict_retry("too many concurrent changes to the same object; try again")
            }
            CommandError::Guard(g) => g.into(),
            CommandError::Store(cause) => Self::internal(cause),
        }
    }
}
