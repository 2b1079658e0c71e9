//! Login, logout and the caller's own sessions.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chronid_domain::user::LoginMethod;
use chronid_domain::values::{Language, OneTimeCode, Password, TwoFactorChannel};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::extract::{ApiJson, ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;
use chronid_app::{LoginOutcome, LoginRequest, NewSession, SessionInfo};

/// The cookie a browser keeps its device token in.
pub const DEVICE_COOKIE: &str = "chronid_device";
/// The same over https as the pages set it: `__Host-` prefixed, so a sibling subdomain cannot
/// plant one.
pub const HOST_DEVICE_COOKIE: &str = "__Host-chronid_device";
/// The header an API client sends its device token in.
pub const DEVICE_HEADER: &str = "x-device-token";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// An email or a username.
    pub login: String,
    pub password: String,
    /// Needed when the login exists in several accounts (see `choose_account`).
    #[serde(default)]
    pub account_id: Option<Uuid>,
    /// The language chosen on the login page; becomes the user's language.
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionBody {
    /// The bearer token for later requests; shown only now.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountChoiceBody {
    pub id: Uuid,
    pub name: String,
}

/// What a login answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginReply {
    Ok {
        session: SessionBody,
        /// Keep it and send it with later logins (`X-Device-Token` or the `chronid_device`
        /// cookie) so this device is recognised.
        device_token: String,
        user_id: Uuid,
        account_id: Uuid,
        position: Option<i64>,
    },
    /// The login and password match in several accounts: repeat with one `account_id`.
    ChooseAccount { accounts: Vec<AccountChoiceBody> },
    /// A second factor is needed: `POST /v1/login/challenges/{challenge_id}` with the code sent
    /// on `channel` (sms, voice, email) or shown by the authenticator app (totp).
    TwoFactorRequired {
        challenge_id: Uuid,
        channel: String,
        /// Keep it: once the challenge is passed this device is trusted.
        device_token: String,
        /// Present when the authenticator app is still to be set up: scan, then answer with
        /// its code.
        #[serde(skip_serializing_if = "Option::is_none")]
        enrolment: Option<TotpEnrolmentBody>,
    },
    /// The password has expired: `POST /v1/password/reset` with this token and a new password,
    /// then log in again. The token works once, for 15 minutes.
    PasswordChangeRequired { change_token: String },
}

/// What an authenticator app needs: scan the QR code or type the secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpEnrolmentBody {
    /// The secret in base32.
    pub secret: String,
    pub otpauth_uri: String,
    /// A PNG of the QR code of `otpauth_uri`, base64.
    pub qr_png_base64: String,
}

impl From<chronid_crypto::TotpEnrolment> for TotpEnrolmentBody {
    fn from(e: chronid_crypto::TotpEnrolment) -> Self {
        Self {
            // Shown once, to the user enrolling.
            secret: e.secret.expose_secret().to_string(),
            otpauth_uri: e.otpauth_uri.expose_secret().to_string(),
            qr_png_base64: e.qr_png_base64.expose_secret().to_string(),
        }
    }
}

fn channel_name(c: TwoFactorChannel) -> String {
    match c {
        TwoFactorChannel::Sms => "sms",
        TwoFactorChannel::Voice => "voice",
        TwoFactorChannel::Email => "email",
        TwoFactorChannel::Totp => "totp",
    }
    .to_string()
}

/// A reply that must not be cached, with the device cookie when there is a device token.
fn private_reply(reply: LoginReply, device_token: Option<&str>) -> Response {
    let mut response = Json(reply).into_response();
    if let Some(token) = device_token {
        let cookie = format!(
            "{DEVICE_COOKIE}={token}; Path=/; Max-Age=31536000; HttpOnly; Secure; SameSite=Lax"
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn session_reply(s: NewSession) -> Response {
    // The reply is where the tokens are shown, once.
    let device_token = s
        .device_token
        .as_ref()
        .map(|t| t.expose_secret().to_string());
    private_reply(
        LoginReply::Ok {
            session: SessionBody {
                token: s.token.expose_secret().to_string(),
                expires_at: s.expires_at,
            },
            device_token: device_token.clone().unwrap_or_default(),
            user_id: s.user_id,
            account_id: s.account_id,
            position: s.position,
        },
        device_token.as_deref(),
    )
}

/// The device token a client sent: the header, else the cookie.
fn presented_device_token(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(DEVICE_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        // The pages keep it `__Host-` prefixed over https.
        .find(|(name, _)| *name == DEVICE_COOKIE || *name == HOST_DEVICE_COOKIE)
        .map(|(_, value)| value.trim().to_string())
}

/// Log in with an email or username and a password.
#[utoipa::path(post, path = "/v1/login", tag = "login", request_body = LoginBody,
    params(("X-Device-Token" = Option<String>, Header, description = "the device token of an earlier login")),
    responses((status = 200, body = LoginReply), (status = 400, body = Problem),
        (status = 401, body = Problem, description = "AUTH-INVALID-CREDENTIALS: unknown login or wrong password, indistinguishable"),
        (status = 403, body = Problem, description = "AUTH-USER-LOCKED, AUTH-USER-DISABLED, AUTH-METHOD-NOT-ALLOWED"),
        (status = 503, body = Problem, description = "SERVER-BUSY: too many logins queued; retry after Retry-After")))]
pub async fn login(
    State(state): State<HttpState>,
    facts: Facts,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let password = Password::presented(&body.password)?;
    let language = body.language.as_deref().map(Language::parse).transpose()?;
    let request = LoginRequest {
        login: body.login,
        password,
        account_id: body.account_id,
        language,
        device_token: presented_device_token(&headers),
    };
    let outcome = state.app.login(&request, &facts.0).await?;
    Ok(login_reply(outcome))
}

/// The answer to a login step, whichever step it led to.
fn login_reply(outcome: LoginOutcome) -> Response {
    match outcome {
        LoginOutcome::ChooseAccount(accounts) => private_reply(
            LoginReply::ChooseAccount {
                accounts: accounts
                    .into_iter()
                    .map(|a| AccountChoiceBody {
                        id: a.id,
                        name: a.name,
                    })
                    .collect(),
            },
            None,
        ),
        LoginOutcome::Session(s) => session_reply(*s),
        LoginOutcome::TwoFactorRequired(c) => {
            let device_token = c.device_token.expose_secret().to_string();
            private_reply(
                LoginReply::TwoFactorRequired {
                    challenge_id: c.challenge_id,
                    channel: channel_name(c.channel),
                    device_token: device_token.clone(),
                    enrolment: c.enrolment.map(TotpEnrolmentBody::from),
                },
                Some(&device_token),
            )
        }
        LoginOutcome::PasswordChangeRequired { change_token } => {
            let change_token = change_token.expose_secret().to_string();
            private_reply(LoginReply::PasswordChangeRequired { change_token }, None)
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeAnswer {
    /// The six-digit code.
    pub code: String,
}

/// Answer a login's two-factor challenge; the right code opens the session and trusts the
/// device.
#[utoipa::path(post, path = "/v1/login/challenges/{id}", tag = "login", request_body = ChallengeAnswer,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LoginReply), (status = 400, body = Problem),
        (status = 401, body = Problem, description = "AUTH-CODE-INVALID (tries left in detail), AUTH-CODE-REUSED, AUTH-CODE-EXPIRED, AUTH-CODE-EXHAUSTED"),
        (status = 403, body = Problem, description = "AUTH-USER-LOCKED, AUTH-USER-DISABLED"),
        (status = 404, body = Problem, description = "AUTH-CHALLENGE-NOT-FOUND")))]
pub async fn answer_challenge(
    State(state): State<HttpState>,
    facts: Facts,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ChallengeAnswer>,
) -> Result<Response, ApiError> {
    let code = OneTimeCode::parse(&body.code)?;
    let outcome = state
        .app
        .answer_challenge(id, code, presented_device_token(&headers), &facts.0)
        .await?;
    Ok(login_reply(outcome))
}

/// Send a new code for a login waiting at its challenge, on the same channel; only the device the
/// challenge was issued to may ask (its device token, as at login). Answers a new challenge (the
/// old one is forgotten); at most 5 codes in 15 minutes per user.
#[utoipa::path(post, path = "/v1/login/challenges/{id}/resend", tag = "login",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LoginReply),
        (status = 404, body = Problem, description = "AUTH-CHALLENGE-NOT-FOUND (also for another device, or an authenticator challenge)"),
        (status = 429, body = Problem, description = "AUTH-TOO-MANY-CODES, RATE-LIMITED")))]
pub async fn resend_challenge(
    State(state): State<HttpState>,
    facts: Facts,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let issued = state
        .app
        .resend_challenge(id, presented_device_token(&headers), &facts.0)
        .await?;
    Ok(login_reply(LoginOutcome::TwoFactorRequired(Box::new(
        issued,
    ))))
}

/// End the session this request comes with.
#[utoipa::path(post, path = "/v1/logout", tag = "login",
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn logout(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
) -> Result<StatusCode, ApiError> {
    state.app.logout(&who, &facts.by(&who)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub opened_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// password | google | github | sso
    pub method: Option<String>,
    pub device_id: Option<Uuid>,
    /// Whether this is the session of the request.
    pub current: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

fn method_name(m: LoginMethod) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl From<SessionInfo> for SessionView {
    fn from(s: SessionInfo) -> Self {
        Self {
            id: s.id,
            opened_at: s.opened_at,
            expires_at: s.expires_at,
            last_seen_at: s.last_seen_at,
            method: s.method.map(method_name),
            device_id: s.device_id,
            current: s.current,
        }
    }
}

/// The caller's open sessions, newest first.
#[utoipa::path(get, path = "/v1/me/sessions", tag = "login",
    responses((status = 200, body = SessionList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn my_sessions(
    State(state): State<HttpState>,
    Caller(who): Caller,
) -> Result<Json<SessionList>, ApiError> {
    let sessions = state.app.my_sessions(&who).await?;
    Ok(Json(SessionList {
        sessions: sessions.into_iter().map(SessionView::from).collect(),
    }))
}

/// Revoke one of the caller's sessions.
#[utoipa::path(delete, path = "/v1/me/sessions/{id}", tag = "login",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke_my_session(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .revoke_my_session(&who, id, &facts.by(&who))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
