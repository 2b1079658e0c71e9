//! Account settings: security policy, login options, customization.

use axum::extract::State;
use axum::Json;
use chronid_domain::values::{LoginOptions, SecurityPolicy};
use uuid::Uuid;

use crate::body::{
    parse_lockout, parse_two_factor, CustomizationBody, LoginOptionsBody, Position,
    SecurityPolicyBody,
};
use crate::extract::{ApiJson, ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;

/// Set the account's user security policy.
#[utoipa::path(put, path = "/v1/accounts/{account}/security-policy", tag = "accounts",
    params(("account" = Uuid, Path)), request_body = SecurityPolicyBody,
    responses((status = 200, body = Position), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_security_policy(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SecurityPolicyBody>,
) -> Result<Json<Position>, ApiError> {
    let policy = SecurityPolicy::new(
        body.max_inactivity_days,
        body.max_login_attempts,
        body.password_validity_days,
        parse_two_factor(&body.two_factor)?,
        body.lock_minutes,
        parse_lockout(body.lockout.as_deref())?,
    )?;
    let o = state
        .app
        .update_security_policy(&who, account, policy, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Choose which ways of logging in the account allows.
#[utoipa::path(put, path = "/v1/accounts/{account}/login-options", tag = "accounts",
    params(("account" = Uuid, Path)), request_body = LoginOptionsBody,
    responses((status = 200, body = Position), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_login_options(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<LoginOptionsBody>,
) -> Result<Json<Position>, ApiError> {
    let options = LoginOptions::new(body.password, body.google, body.github, body.sso)?;
    let o = state
        .app
        .update_login_options(&who, account, options, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Set the interface language, colour scheme, custom login host name and time zone.
#[utoipa::path(put, path = "/v1/accounts/{account}/customization", tag = "accounts",
    params(("account" = Uuid, Path)), request_body = CustomizationBody,
    responses((status = 200, body = Position), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_customization(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CustomizationBody>,
) -> Result<Json<Position>, ApiError> {
    let c = body.parse()?;
    let o = state
        .app
        .customize(
            &who,
            account,
            c.language,
            c.color_scheme,
            c.hostname,
            None,
            c.time_zone,
            &facts.by(&who),
        )
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}
