//! Errors as `application/problem+json` (RFC 9457) with a stable `code`: the one place where an
//! error becomes an HTTP status. Internal errors are logged with their cause and answered with a
//! generic text.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chronid_domain::error::ErrorKind;
use serde::Serialize;
use utoipa::ToSchema;

use chronid_app::AppError;

/// The codes the HTTP edge answers itself, for requests refused before (or around) a use case.
/// The use cases' codes are `chronid_app::AppCode` and the aggregates'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpCode {
    /// No route has this path.
    ReqNotFound,
    /// The route does not take this method.
    ReqMethodNotAllowed,
    /// The body is over the size limit.
    ReqBodyTooLarge,
    /// The body is not sent as JSON.
    ReqUnsupportedMediaType,
    /// The body is not valid JSON.
    ReqMalformedJson,
    /// The body has an unknown field or a value of the wrong type.
    ReqInvalidBody,
    /// A path parameter is not valid.
    ReqInvalidPath,
    /// No bearer token was sent.
    AuthMissing,
    /// Too many unauthenticated requests from this address.
    RateLimited,
    /// A query parameter has a value it cannot take.
    ReqInvalidParameter,
    /// A query parameter the route does not know.
    ReqUnknownParameter,
    /// `limit` is not a whole number in range.
    ReqInvalidLimit,
    /// `min_position` is not a positive integer.
    ReqInvalidPosition,
    /// No event has the `min_position` given.
    ReqUnknownPosition,
    /// The view did not reach `min_position` in time.
    ViewNotCaughtUp,
    /// The cursor is not one this server issued for these filters.
    ReqInvalidCursor,
    /// A time parameter is not RFC 3339.
    ReqInvalidTime,
    /// `tz` is not an IANA time zone.
    AuditInvalidTimeZone,
    /// `range` is not a named range.
    AuditUnknownRange,
    /// `from` is after `to`, or a range is given with them.
    AuditInvalidRange,
}

impl HttpCode {
    pub const ALL: [HttpCode; 20] = [
        Self::ReqNotFound,
        Self::ReqMethodNotAllowed,
        Self::ReqBodyTooLarge,
        Self::ReqUnsupportedMediaType,
        Self::ReqMalformedJson,
        Self::ReqInvalidBody,
        Self::ReqInvalidPath,
        Self::AuthMissing,
        Self::RateLimited,
        Self::ReqInvalidParameter,
        Self::ReqUnknownParameter,
        Self::ReqInvalidLimit,
        Self::ReqInvalidPosition,
        Self::ReqUnknownPosition,
        Self::ViewNotCaughtUp,
        Self::ReqInvalidCursor,
        Self::ReqInvalidTime,
        Self::AuditInvalidTimeZone,
        Self::AuditUnknownRange,
        Self::AuditInvalidRange,
    ];

    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReqNotFound => "REQ-NOT-FOUND",
            Self::ReqMethodNotAllowed => "REQ-METHOD-NOT-ALLOWED",
            Self::ReqBodyTooLarge => "REQ-BODY-TOO-LARGE",
            Self::ReqUnsupportedMediaType => "REQ-UNSUPPORTED-MEDIA-TYPE",
            Self::ReqMalformedJson => "REQ-MALFORMED-JSON",
            Self::ReqInvalidBody => "REQ-INVALID-BODY",
            Self::ReqInvalidPath => "REQ-INVALID-PATH",
            Self::AuthMissing => "AUTH-MISSING",
            Self::RateLimited => "RATE-LIMITED",
            Self::ReqInvalidParameter => "REQ-INVALID-PARAMETER",
            Self::ReqUnknownParameter => "REQ-UNKNOWN-PARAMETER",
            Self::ReqInvalidLimit => "REQ-INVALID-LIMIT",
            Self::ReqInvalidPosition => "REQ-INVALID-POSITION",
            Self::ReqUnknownPosition => "REQ-UNKNOWN-POSITION",
            Self::ViewNotCaughtUp => "VIEW-NOT-CAUGHT-UP",
            Self::ReqInvalidCursor => "REQ-INVALID-CURSOR",
            Self::ReqInvalidTime => "REQ-INVALID-TIME",
            Self::AuditInvalidTimeZone => "AUDIT-INVALID-TIME-ZONE",
            Self::AuditUnknownRange => "AUDIT-UNKNOWN-RANGE",
            Self::AuditInvalidRange => "AUDIT-INVALID-RANGE",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::ReqNotFound | Self::ReqUnknownPosition => StatusCode::NOT_FOUND,
            Self::ReqMethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::ReqBodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ReqUnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::ReqMalformedJson
            | Self::ReqInvalidBody
            | Self::ReqInvalidPath
            | Self::ReqInvalidParameter
            | Self::ReqUnknownParameter
            | Self::ReqInvalidLimit
            | Self::ReqInvalidPosition
            | Self::ReqInvalidCursor
            | Self::ReqInvalidTime
            | Self::AuditInvalidTimeZone
            | Self::AuditUnknownRange
            | Self::AuditInvalidRange => StatusCode::BAD_REQUEST,
            Self::AuthMissing => StatusCode::UNAUTHORIZED,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::ViewNotCaughtUp => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// An error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:chronid:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `USR-EMAIL-TAKEN`.
    pub code: String,
    /// For invalid input: the field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds before a retry may succeed (sent as `Retry-After` on 429 and 503).
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("urn:chronid:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_string(),
            field: None,
            retry_after: None,
        }
    }

    /// A refusal of the edge's own: the code's status and code.
    pub fn http(code: HttpCode, detail: impl Into<String>) -> Self {
        Self::new(code.status(), code.as_str(), detail)
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            let secs = self.retry_after.unwrap_or(1).max(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
    }
}

impl From<AppError> for Problem {
    fn from(err: AppError) -> Self {
        if let Some(cause) = &err.internal {
            tracing::error!(code = err.code, %cause, "internal error");
        }
        let mut problem = Problem::new(status_of(err.kind), err.code, err.message);
        problem.field = err.field.map(str::to_string);
        problem.retry_after = err.retry_after;
        problem
    }
}

/// What handlers return on failure.
pub struct ApiError(pub Problem);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        Self(err.into())
    }
}

impl From<chronid_domain::ValidationError> for ApiError {
    fn from(err: chronid_domain::ValidationError) -> Self {
        Self(AppError::from(err).into())
    }
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        Self(p)
    }
}
