//! SAML single sign-on configurations of an account (AccountManager).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chronid_app::{SsoInput, SsoView};
use chronid_domain::sso_config::NameIdSource;
use chronid_domain::ValidationError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::body::Position;
use crate::extract::{ApiJson, ApiPath, Caller, Facts};
use crate::problem::{ApiError, Problem};
use crate::HttpState;

/// The settings of a configuration, with the seed's field names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoBody {
    /// IdP identifier (its entity ID, the Issuer of its responses). Required unless
    /// `idp_metadata_xml` gives it.
    #[serde(default)]
    pub idp_entity_id: Option<String>,
    /// IdP signature certificates (PEM), 1 to 4; each must be valid now, RSA >= 2048 or EC.
    /// Required unless `idp_metadata_xml` gives them.
    #[serde(default)]
    pub idp_certificates: Option<Vec<String>>,
    /// IdP single sign-on URL (HTTP-Redirect binding). Required unless `idp_metadata_xml`
    /// gives it.
    #[serde(default)]
    pub idp_sso_url: Option<String>,
    /// The IdP's metadata XML, instead of typing the three fields above (and the logout URL):
    /// a field given beside it wins.
    #[serde(default)]
    pub idp_metadata_xml: Option<String>,
    /// Where users go after logging out of chronid.
    #[serde(default)]
    pub logout_url: Option<String>,
    /// The last segment of the SP entity ID `{public}/login/saml/{slug}/`.
    pub sp_slug: String,
    pub auto_create_users: bool,
    pub auto_create_groups: bool,
    /// email | upn
    pub name_id_source: String,
    /// Accept IdP-initiated (unsolicited) responses; false by default.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Accept SHA-1 signatures; false by default.
    #[serde(default)]
    pub allow_sha1: bool,
}

impl SsoBody {
    fn parse(&self) -> Result<SsoInput, ValidationError> {
        chronid_saml::import::SsoFields {
            idp_entity_id: self.idp_entity_id.clone(),
            idp_certificates: self.idp_certificates.clone(),
            idp_sso_url: self.idp_sso_url.clone(),
            idp_metadata_xml: self.idp_metadata_xml.clone(),
            logout_url: self.logout_url.clone(),
            sp_slug: self.sp_slug.clone(),
            auto_create_users: self.auto_create_users,
            auto_create_groups: self.auto_create_groups,
            name_id_source: self.name_id_source.clone(),
            allow_idp_initiated: self.allow_idp_initiated,
            allow_sha1: self.allow_sha1,
        }
        .input()
    }
}

/// A configuration, with the URLs to give the IdP's administrator.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SsoConfigBody {
    pub id: Uuid,
    /// The account that created it.
    pub owner: Uuid,
    /// The accounts whose users log in through it.
    pub accounts: Vec<Uuid>,
    pub idp_entity_id: String,
    pub idp_certificates: Vec<String>,
    pub idp_sso_url: String,
    pub logout_url: Option<String>,
    pub sp_slug: Option<String>,
    /// The SP entity ID, which is also the SP initiation URL.
    pub sp_entity_id: String,
    pub sp_initiation_url: String,
    /// The assertion consumer service URL (HTTP-POST binding).
    pub acs_url: String,
    /// SP metadata for the IdP's administrator.
    pub metadata_url: String,
    pub auto_create_users: bool,
    pub auto_create_groups: bool,
    pub name_id_source: String,
    pub allow_idp_initiated: bool,
    pub allow_sha1: bool,
    pub position: Option<i64>,
}

impl From<SsoView> for SsoConfigBody {
    fn from(v: SsoView) -> Self {
        let s = v.settings;
        Self {
            id: v.id,
            owner: v.owner,
            accounts: v.accounts,
            idp_entity_id: s.idp_entity_id.as_str().to_string(),
            idp_certificates: s
                .idp_certificates
                .iter()
                .map(|c| c.pem().to_string())
                .collect(),
            idp_sso_url: s.idp_sso_url.as_str().to_string(),
            logout_url: s.idp_logout_url.map(|u| u.as_str().to_string()),
            sp_slug: v.sp_slug.map(|s| s.as_str().to_string()),
            sp_initiation_url: v.sp_entity_id.clone(),
            sp_entity_id: v.sp_entity_id,
            acs_url: v.acs_url,
            metadata_url: v.metadata_url,
            auto_create_users: s.auto_create_users,
            auto_create_groups: s.auto_create_groups,
            name_id_source: match s.name_id_source {
                NameIdSource::Email => "email".into(),
                NameIdSource::Upn => "upn".into(),
            },
            allow_idp_initiated: s.allow_idp_initiated,
            allow_sha1: s.allow_sha1,
            position: v.position,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SsoConfigList {
    pub configs: Vec<SsoConfigBody>,
}

/// Configure SAML single sign-on for the account (it owns the configuration).
#[utoipa::path(post, path = "/v1/accounts/{account}/sso", tag = "sso",
    params(("account" = Uuid, Path)), request_body = SsoBody,
    responses((status = 201, body = SsoConfigBody),
        (status = 400, body = Problem, description = "VALIDATION (a certificate that is expired, weak or unreadable names its place)"),
        (status = 403, body = Problem), (status = 409, body = Problem, description = "SSO-SLUG-TAKEN")),
    security(("bearer" = [])))]
pub async fn create_sso(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath(account): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SsoBody>,
) -> Result<(StatusCode, Json<SsoConfigBody>), ApiError> {
    let input = body.parse()?;
    let view = state
        .app
        .create_sso(&who, account, input, &facts.by(&who))
        .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The SSO configurations serving the account.
#[utoipa::path(get, path = "/v1/accounts/{account}/sso", tag = "sso",
    params(("account" = Uuid, Path)),
    responses((status = 200, body = SsoConfigList), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_sso(
    State(state): State<HttpState>,
    Caller(who): Caller,
    ApiPath(account): ApiPath<Uuid>,
) -> Result<Json<SsoConfigList>, ApiError> {
    let configs = state.app.sso_configs(&who, account).await?;
    Ok(Json(SsoConfigList {
        configs: configs.into_iter().map(Into::into).collect(),
    }))
}

/// Replace a configuration's settings (the form is saved whole); a new slug moves the SP
/// entity ID.
#[utoipa::path(patch, path = "/v1/accounts/{account}/sso/{id}", tag = "sso",
    params(("account" = Uuid, Path), ("id" = Uuid, Path)), request_body = SsoBody,
    responses((status = 200, body = SsoConfigBody), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_sso(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<SsoBody>,
) -> Result<Json<SsoConfigBody>, ApiError> {
    let input = body.parse()?;
    let view = state
        .app
        .update_sso(&who, account, id, input, &facts.by(&who))
        .await?;
    Ok(Json(view.into()))
}

/// Delete a configuration; its users keep their accounts and log in as the login options allow.
#[utoipa::path(delete, path = "/v1/accounts/{account}/sso/{id}", tag = "sso",
    params(("account" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_sso(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .delete_sso(&who, account, id, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Shared SSO: the owner's manager offers the configuration to account `other`; a manager of
/// `other` accepts with `account == other`. Until accepted, `other` is not served.
#[utoipa::path(put, path = "/v1/accounts/{account}/sso/{id}/accounts/{other}", tag = "sso",
    params(("account" = Uuid, Path), ("id" = Uuid, Path), ("other" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "SSO-ACCOUNT-ALREADY-SERVED, SSO-NOT-OFFERED")),
    security(("bearer" = [])))]
pub async fn share_sso(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id, other)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .share_sso(&who, account, id, other, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}

/// Stops serving account `other` (the owner's manager, or a manager of `other`).
#[utoipa::path(delete, path = "/v1/accounts/{account}/sso/{id}/accounts/{other}", tag = "sso",
    params(("account" = Uuid, Path), ("id" = Uuid, Path), ("other" = Uuid, Path)),
    responses((status = 200, body = Position), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "SSO-CANNOT-REMOVE-OWNER")),
    security(("bearer" = [])))]
pub async fn unshare_sso(
    State(state): State<HttpState>,
    Caller(who): Caller,
    facts: Facts,
    ApiPath((account, id, other)): ApiPath<(Uuid, Uuid, Uuid)>,
) -> Result<Json<Position>, ApiError> {
    let o = state
        .app
        .unshare_sso(&who, account, id, other, &facts.by(&who))
        .await?;
    Ok(Json(Position {
        position: o.position,
    }))
}
