//! The SAML room's public routes: `GET /saml/{slug}/metadata`.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chronid_app::App;
use chronid_domain::values::SpSlug;

use crate::metadata::sp_metadata;

/// The routes, for a router of any state.
pub fn routes<S>(app: App) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/saml/{slug}/metadata", get(metadata))
        .with_state(app)
}

/// `GET /saml/{slug}/metadata`: the SP metadata of the configuration with this slug.
async fn metadata(State(app): State<App>, Path(slug): Path<String>) -> Response {
    let Ok(slug) = SpSlug::parse(&slug) else {
        return (
            StatusCode::NOT_FOUND,
            "no SSO configuration has this slug\n",
        )
            .into_response();
    };
    let view = match app.sso_by_slug(&slug).await {
        Ok(Some(view)) => view,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                "no SSO configuration has this slug\n",
            )
                .into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "SP metadata could not be read");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match sp_metadata(
        &view.sp_entity_id,
        &view.acs_url,
        view.settings.name_id_source,
    ) {
        Ok(xml) => {
            let mut response = xml.into_response();
            let headers = response.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/samlmetadata+xml"),
            );
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Err(error) => {
            tracing::warn!(%error, "SP metadata could not be written");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
