//! Password reset and change, the authenticator app and the preferred two-factor channel.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chronid_domain::error::ValidationError;
use chronid_domain::values::{OneTimeCode, Password, TwoFactorChannel};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::login::TotpEnrolmentBody;
use crate::body::Position;
use crate::extract::{ApiJson, ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotBody {
    /// An email or a username.
    pub login: String,
    #[serde(default)]
    pub account_id: Option<Uuid>,
}

/// Forgot password: a reset link goes by email to the user, if there is one. The answer is the
/// same, and as quick, whether or not the login exists.
#[utoipa::path(post, path = "/v1/password/forgot", tag = "password", request_body = ForgotBody,
    responses((status = 202), (status = 400, body = Problem)))]
pub async fn forgot(
    State(state): State<HttpState>,
    facts: Facts,
    ApiJson(body): ApiJson<ForgotBody>,
) -> Result<StatusCode, ApiError> {
    let login = body.login.trim();
    if login.is_empty() || login.chars().count() > 320 {
        return Err(ValidationError::new("login", "must be 1 to 320 characters long").into());
    }
    state
        .app
        .forgot_password(login.to_string(), body.account_id, facts.0);
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// The token of the emailed link, or the `change_token` of a login.
    pub token: String,
    pub new_password: String,
}

/// Set a new password with a reset link's token (or a login's password-change token). The
/// token works once; the user's sessions end.
#[utoipa::path(post, path = "/v1/password/reset", tag = "password", request_body = ResetBody,
    responses((status = 204), (status = 400, body = Problem,
        description = "VALIDATION, AUTH-TOKEN-INVALID (unknown, used or superseded), AUTH-TOKEN-EXPIRED, PASSWORD-REUSED"),
        (status = 403, body = Problem, description = "AUTH-USER-DISABLED")))]
pub async fn reset(
    State(state): State<HttpState>,
    facts: Facts,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<StatusCode, ApiError> {
    let new_password =
        Password::parse(&body.new_password).map_err(|e| e.in_field("new_password"))?;
    state
        .app
        .reset_password(&body.token, new_password, &facts.0)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    pub current_password: String,
    pub new_password: String,
}

/// Change your own password; your other sessions end.
#[utoipa::path(post, path = "/v1/me/password", tag = "password", request_body = ChangePasswordBody,
    responses((status = 204), (status = 400, body = Problem, description = "VALIDATION, PASSWORD-REUSED"),
        (status = 403, body = Problem, description = "AUTH-WRONG-PASSWORD, AUTH-SESSION-REQUIRED")),
    security(("bearer" = [])))]
pub async fn change_my_password(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> Result<StatusCode, ApiError> {
    let current =
        Password::presented(&body.current_password).map_err(|e| e.in_field("current_password"))?;
    let new_password =
        Password::parse(&body.new_password).map_err(|e| e.in_field("new_password"))?;
    state
        .app
        .change_my_password(&who, current, new_password, &facts.by(&who))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An administrator emails the user a password reset link.
#[utoipa::path(post, path = "/v1/accounts/{account}/users/{id}/password-reset", tag = "users",
    params(("account" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 202, body = Position), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 403, body = Problem, description = "AUTH-USER-DISABLED")),
    security(("bearer" = [])))]
pub async fn admin_reset(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<(StatusCode, Json<Position>), ApiError> {
    let o = state
        .app
        .admin_password_reset(&who, account, id, &facts.by(&who))
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Position {
            position: o.position,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// A current code of the authenticator app.
    pub code: String,
}

/// Start setting up the authenticator app: scan the QR code, then confirm with a code.
#[utoipa::path(post, path = "/v1/me/totp", tag = "two-factor",
    responses((status = 200, body = TotpEnrolmentBody), (status = 409, body = Problem, description = "TOTP-ALREADY-ENABLED")),
    security(("bearer" = [])))]
pub async fn enrol_totp(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
) -> Result<Json<TotpEnrolmentBody>, ApiError> {
    let e = state.app.enrol_my_totp(&who, &facts.by(&who)).await?;
    Ok(Json(e.into()))
}

/// Confirm the authenticator app with its first code; logins then ask for its codes.
#[utoipa::path(post, path = "/v1/me/totp/confirm", tag = "two-factor", request_body = CodeBody,
    responses((status = 204), (status = 400, body = Problem),
        (status = 401, body = Problem, description = "TOTP-CODE-INVALID, TOTP-CODE-REUSED"),
        (status = 409, body = Problem, description = "TOTP-NOT-ENROLLED, TOTP-ALREADY-ENABLED")),
    security(("bearer" = [])))]
pub async fn confirm_totp(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<StatusCode, ApiError> {
    let code = OneTimeCode::parse(&body.code)?;
    state
        .app
        .confirm_my_totp(&who, code, &facts.by(&who))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the authenticator's key (a new phone). Needs a current code; every session of the
/// user ends, and the next login asks to scan the new key.
#[utoipa::path(post, path = "/v1/me/totp/reset", tag = "two-factor", request_body = CodeBody,
    responses((status = 200, body = TotpEnrolmentBody), (status = 400, body = Problem),
        (status = 401, body = Problem, description = "TOTP-CODE-INVALID, TOTP-CODE-REUSED"),
        (status = 409, body = Problem, description = "TOTP-NOT-ENABLED")),
    security(("bearer" = [])))]
pub async fn reset_totp(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<Json<TotpEnrolmentBody>, ApiError> {
    let code = OneTimeCode::parse(&body.code)?;
    let e = state.app.reset_my_totp(&who, code, &facts.by(&who)).await?;
    Ok(Json(e.into()))
}

/// Turn the authenticator app off (needs a current code).
#[utoipa::path(delete, path = "/v1/me/totp", tag = "two-factor", request_body = CodeBody,
    responses((status = 204), (status = 400, body = Problem),
        (status = 401, body = Problem, description = "TOTP-CODE-INVALID, TOTP-CODE-REUSED"),
        (status = 403, body = Problem, description = "USR-TWO-FACTOR-REQUIRED: an administrator requires it"),
        (status = 409, body = Problem, description = "TOTP-NOT-ENABLED")),
    security(("bearer" = [])))]
pub async fn disable_totp(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiJson(body): ApiJson<CodeBody>,
) -> Result<StatusCode, ApiError> {
    let code = OneTimeCode::parse(&body.code)?;
    state
        .app
        .disable_my_totp(&who, code, &facts.by(&who))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelBody {
    /// sms | voice | email | totp
    pub channel: String,
}

/// Choose where one-time codes go (sms and voice need a phone; totp an enabled authenticator).
#[utoipa::path(put, path = "/v1/me/two-factor-channel", tag = "two-factor", request_body = ChannelBody,
    responses((status = 204), (status = 400, body = Problem, description = "VALIDATION, USR-PHONE-REQUIRED, USR-NO-CHANGE"),
        (status = 409, body = Problem, description = "TOTP-NOT-ENABLED")),
    security(("bearer" = [])))]
pub async fn put_channel(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiJson(body): ApiJson<ChannelBody>,
) -> Result<StatusCode, ApiError> {
    let channel = match body.channel.as_str() {
        "sms" => TwoFactorChannel::Sms,
        "voice" => TwoFactorChannel::Voice,
        "email" => TwoFactorChannel::Email,
        "totp" => TwoFactorChannel::Totp,
        _ => {
            return Err(
                ValidationError::new("channel", "must be one of sms, voice, email, totp").into(),
            )
        }
    };
    state
        .app
        .change_my_two_factor_channel(&who, channel, &facts.by(&who))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
