//! Account settings: security policy, login options, customization.

use axum::extract::State;
use axum::Json;
use chronid_domain::values::{LoginOptions, SecurityPolicy};
use uuid::Uuid;

use crate::body::{
    parse_lockout, parse_two_factor, CustomizationBody, CustomizationReply, DnsRecord,
    LoginOptionsBody, Position, SecurityPolicyBody,
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

/// Set the interface language, colour scheme, custom login host name and time zone. Setting a
/// host name answers the DNS record to create: a CNAME to the host of `CHRONID_PUBLIC_URL`.
#[utoipa::path(put, path = "/v1/accounts/{account}/customization", tag = "accounts",
    params(("account" = Uuid, Path)), request_body = CustomizationBody,
    responses((status = 200, body = CustomizationReply), (status = 400, body = Problem),
        (status = 403, body = Problem),
        (status = 409, body = Problem, description = "ACC-HOSTNAME-TAKEN: another account logs in on this host name")),
    security(("bearer" = [])))]
pub async fn put_customization(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CustomizationBody>,
) -> Result<Json<CustomizationReply>, ApiError> {
    let c = body.parse()?;
    let dns_record = match (&c.hostname, &state.public_host) {
        (Some(Some(hostname)), Some(public)) => Some(DnsRecord {
            kind: "CNAME".into(),
            name: hostname.as_str().to_string(),
            value: public.clone(),
        }),
        _ => None,
    };
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
    Ok(Json(CustomizationReply {
        position: o.position,
        dns_record,
    }))
}

/// Set the account's logo: a PNG or JPEG of at most 150 x 150 pixels, as the request body. It is
/// re-encoded as a PNG of its pixels alone (no metadata is kept).
#[utoipa::path(put, path = "/v1/accounts/{account}/logo", tag = "accounts",
    params(("account" = Uuid, Path)),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = Position),
        (status = 400, body = Problem, description = "ACC-LOGO-TOO-LARGE: over 150 x 150 px; ACC-LOGO-INVALID: not a readable PNG or JPEG"),
        (status = 403, body = Problem), (status = 413, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_logo(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Position>, ApiError> {
    let body = body.map_err(|_| {
        ApiError(Problem::http(
            crate::problem::HttpCode::ReqBodyTooLarge,
            format!(
                "a logo is at most {} bytes (and 150 x 150 px)",
                chronid_app::MAX_LOGO_BYTES
            ),
        ))
    })?;
    let o = state
        .app
        .set_logo(&who, account, &body, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Remove the account's logo.
#[utoipa::path(delete, path = "/v1/accounts/{account}/logo", tag = "accounts",
    params(("account" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_logo(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
) -> Result<Json<Position>, ApiError> {
    who.require_account_manager(account)?;
    let o = state
        .app
        .delete_logo(&who, account, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}
