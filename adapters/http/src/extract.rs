//! Extractors whose failures answer problem+json: JSON bodies (malformed, unknown fields, wrong
//! types), path ids, the bearer credential, and the request facts (IP, user agent, correlation id)
//! every event records.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use chronid_domain::metadata::RequestFacts;
use serde::de::DeserializeOwned;

use super::edge::ClientIp;
use super::problem::{ApiError, HttpCode, Problem};
use super::HttpState;
use chronid_app::Principal;

/// A JSON body; rejections become 400/415 problems with stable codes.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError(json_problem(&rejection))),
        }
    }
}

fn json_problem(rejection: &JsonRejection) -> Problem {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Problem::http(
            HttpCode::ReqBodyTooLarge,
            format!(
                "the body is larger than {} KiB",
                super::MAX_BODY_BYTES / 1024
            ),
        );
    }
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::http(
            HttpCode::ReqUnsupportedMediaType,
            "the body must be JSON with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(e) => Problem::http(
            HttpCode::ReqMalformedJson,
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::JsonDataError(e) => Problem::http(HttpCode::ReqInvalidBody, e.body_text()),
        other => Problem::http(HttpCode::ReqInvalidBody, other.body_text()),
    }
}

/// Path parameters; a malformed id is a 400 problem.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError(path_problem(&rejection))),
        }
    }
}

fn path_problem(rejection: &PathRejection) -> Problem {
    Problem::http(
        HttpCode::ReqInvalidPath,
        format!("a path parameter is not valid: {}", rejection.body_text()),
    )
}

/// The authenticated caller (`Authorization: Bearer <API key or session token>`).
pub struct Caller(pub Principal);

impl FromRequestParts<HttpState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &HttpState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError(Problem::http(
                    HttpCode::AuthMissing,
                    "send an API key or a session token as Authorization: Bearer <token>",
                ))
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError(Problem::http(
                    HttpCode::AuthMissing,
                    "the Authorization header must use the Bearer scheme",
                ))
            })?;
        let principal = if token.starts_with("chs_") {
            state.app.authenticate_session(token).await?
        } else {
            state.app.authenticate_api_key(token).await?
        };
        tracing::Span::current().record(
            "actor",
            tracing::field::display(principal.actor.id.unwrap_or_default()),
        );
        Ok(Self(principal))
    }
}

/// The facts of this request that every event it causes records; the actor is filled in by the
/// handler once authenticated. The IP is the client's as the edge worked it out (behind trusted
/// proxies, from their forwarding headers).
pub struct Facts(pub RequestFacts);

impl<S: Send + Sync> FromRequestParts<S> for Facts {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Set by the edge whenever the connection's address is known.
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .map(|ClientIp(ip)| ip.to_string());
        let text = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect::<String>())
        };
        let mut facts = RequestFacts::system();
        facts.ip = ip;
        facts.user_agent = text(header::USER_AGENT.as_str());
        facts.correlation_id = text("x-request-id");
        Ok(Self(facts))
    }
}

impl Facts {
    /// The facts with the caller as actor.
    pub fn by(mut self, caller: &Principal) -> RequestFacts {
        self.0.actor = caller.actor;
        self.0
    }
}
