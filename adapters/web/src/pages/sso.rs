//! Single sign-on in the browser: the SP initiation URL `/login/saml/{slug}/` sends the browser
//! to the configuration's IdP with an AuthnRequest, remembered with this browser so only the
//! Response to it, from it, is taken, once.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chronid_domain::values::SpSlug;
use chronid_saml::authn::{redirect_url, request_id, AuthnParams};

use crate::context::Ctx;

/// `GET /login/saml/{slug}`: to the same with its trailing slash (the SP entity ID's form).
pub async fn start_without_slash(ctx: Ctx, Path(slug): Path<String>) -> Response {
    match SpSlug::parse(&slug) {
        Ok(slug) => ctx.redirect(&format!("/login/saml/{}/", slug.as_str())),
        Err(_) => super::not_found(ctx).await,
    }
}

/// `GET /login/saml/{slug}/`: the SP initiation URL.
pub async fn start(ctx: Ctx, Path(slug): Path<String>) -> Response {
    let Ok(slug) = SpSlug::parse(&slug) else {
        return super::not_found(ctx).await;
    };
    let app = ctx.web().app.clone();
    let view = match app.sso_by_slug(&slug).await {
        Ok(Some(view)) => view,
        Ok(None) => return super::not_found(ctx).await,
        Err(error) => {
            tracing::warn!(%error, "an SSO configuration could not be read");
            let text = ctx.t("error-internal");
            return ctx.error_page(StatusCode::SERVICE_UNAVAILABLE, &text);
        }
    };
    let id = request_id(rand::random());
    let digest = ctx.web().csrf.browser_digest(&ctx.browser);
    if let Err(error) = app.remember_sso_request(&id, view.id, &digest).await {
        tracing::warn!(%error, "an SSO request could not be remembered");
        let text = ctx.t("error-internal");
        return ctx.error_page(StatusCode::SERVICE_UNAVAILABLE, &text);
    }
    let params = AuthnParams {
        request_id: &id,
        sp_entity_id: &view.sp_entity_id,
        acs_url: &view.acs_url,
        idp_sso_url: view.settings.idp_sso_url.as_str(),
        name_id_source: view.settings.name_id_source,
        now: ctx.now(),
        relay_state: "",
    };
    match redirect_url(&params) {
        Ok(url) => ctx.redirect(&url),
        Err(error) => {
            tracing::warn!(%error, "an AuthnRequest could not be written");
            let text = ctx.t("error-internal");
            ctx.error_page(StatusCode::INTERNAL_SERVER_ERROR, &text)
        }
    }
}
