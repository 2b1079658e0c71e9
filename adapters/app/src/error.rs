//! The one error type use cases return: a stable code, a kind the HTTP edge maps to a status, a
//! message safe to show, and for invalid input the field at fault. Internal failures keep their
//! cause for the log only.

use chronid_domain::error::{DomainError, ErrorKind};
use chronid_domain::ValidationError;

use chronid_store::{CommandError, GuardError};

/// The codes the use cases raise themselves. The aggregates raise theirs ([`DomainError::code`]);
/// the HTTP edge has its own for requests it refuses before any use case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppCode {
    /// A failure the caller cannot fix; the cause is logged, never shown.
    Internal,
    /// A value in the request is not acceptable (the error names the field).
    Validation,
    /// Other writers kept changing the object; try again.
    ConflictRetry,
    /// The caller may not do this.
    Forbidden,
    /// The login, the password or the API key is not correct.
    InvalidCredentials,
    /// The session token is not valid or its session has ended.
    InvalidSession,
    /// A user's session is needed, not an API key.
    SessionRequired,
    /// The account does not allow this way of logging in.
    MethodNotAllowed,
    /// Another user of the account has this email.
    EmailTaken,
    /// Another user of the account has this username.
    UsernameTaken,
    /// A logo larger than 150 x 150 pixels.
    LogoTooLarge,
    /// A logo that is not a readable PNG or JPEG image.
    LogoInvalid,
    /// Another account logs in on this host name.
    HostnameTaken,
    /// Another SSO configuration has this SP entity ID (its slug).
    SlugTaken,
}

impl AppCode {
    pub const ALL: [AppCode; 14] = [
        Self::Internal,
        Self::Validation,
        Self::ConflictRetry,
        Self::Forbidden,
        Self::InvalidCredentials,
        Self::InvalidSession,
        Self::SessionRequired,
        Self::MethodNotAllowed,
        Self::EmailTaken,
        Self::UsernameTaken,
        Self::LogoTooLarge,
        Self::LogoInvalid,
        Self::HostnameTaken,
        Self::SlugTaken,
    ];

    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Internal => "INTERNAL",
            Self::Validation => "VALIDATION",
            Self::ConflictRetry => "CONFLICT-RETRY",
            Self::Forbidden => "AUTH-FORBIDDEN",
            Self::InvalidCredentials => "AUTH-INVALID-CREDENTIALS",
            Self::InvalidSession => "AUTH-INVALID-SESSION",
            Self::SessionRequired => "AUTH-SESSION-REQUIRED",
            Self::MethodNotAllowed => "AUTH-METHOD-NOT-ALLOWED",
            Self::EmailTaken => "USR-EMAIL-TAKEN",
            Self::UsernameTaken => "USR-USERNAME-TAKEN",
            Self::LogoTooLarge => "ACC-LOGO-TOO-LARGE",
            Self::LogoInvalid => "ACC-LOGO-INVALID",
            Self::HostnameTaken => "ACC-HOSTNAME-TAKEN",
            Self::SlugTaken => "SSO-SLUG-TAKEN",
        }
    }

    pub fn kind(self) -> ErrorKind {
        match self {
            Self::Internal => ErrorKind::Internal,
            Self::Validation | Self::LogoTooLarge | Self::LogoInvalid => ErrorKind::Invalid,
            Self::ConflictRetry
            | Self::EmailTaken
            | Self::UsernameTaken
            | Self::HostnameTaken
            | Self::SlugTaken => ErrorKind::Conflict,
            Self::Forbidden | Self::SessionRequired | Self::MethodNotAllowed => {
                ErrorKind::Forbidden
            }
            Self::InvalidCredentials | Self::InvalidSession => ErrorKind::Unauthorized,
        }
    }
}

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
    /// For a wrong second-factor code: the tries the challenge has left.
    pub tries_left: Option<u32>,
}

impl AppError {
    /// An error the use cases raise, with a message safe to show.
    pub fn new(code: AppCode, message: impl Into<String>) -> Self {
        Self::with_code(code.as_str(), code.kind(), message)
    }

    fn with_code(code: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            code,
            kind,
            message: message.into(),
            field: None,
            internal: None,
            retry_after: None,
            tries_left: None,
        }
    }

    /// The same error, telling the caller when to retry.
    /// The same error, at the request's field `field`.
    pub fn at_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn internal(cause: impl ToString) -> Self {
        Self {
            code: AppCode::Internal.as_str(),
            kind: ErrorKind::Internal,
            message: "an internal error occurred; it has been logged".into(),
            field: None,
            internal: Some(cause.to_string()),
            retry_after: None,
            tries_left: None,
        }
    }

    /// The aggregate's not-found refusal, worded "no such {what}".
    pub fn not_found<E: DomainError>(err: &E, what: &str) -> Self {
        Self::with_code(err.code(), err.kind(), format!("no such {what}"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(AppCode::Forbidden, message)
    }

    /// Other writers kept changing the object; the caller may try again.
    pub fn conflict_retry(message: impl Into<String>) -> Self {
        Self::new(AppCode::ConflictRetry, message)
    }

    /// An aggregate's refusal with a message of the use case's (tries left, for one).
    pub fn from_domain_with<E: DomainError>(err: &E, message: impl Into<String>) -> Self {
        let mut e = Self::with_code(err.code(), err.kind(), message);
        e.retry_after = err.retry_after_secs();
        e
    }

    pub fn from_domain<E: DomainError>(err: &E) -> Self {
        if err.kind() == ErrorKind::Internal {
            return Self::internal(err.to_string());
        }
        Self::from_domain_with(err, err.to_string())
    }
}

impl From<ValidationError> for AppError {
    fn from(err: ValidationError) -> Self {
        Self {
            code: AppCode::Validation.as_str(),
            kind: ErrorKind::Invalid,
            message: err.to_string(),
            field: Some(err.field),
            internal: None,
            retry_after: None,
            tries_left: None,
        }
    }
}

impl From<GuardError> for AppError {
    fn from(g: GuardError) -> Self {
        Self::with_code(g.code, g.kind, g.message)
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
