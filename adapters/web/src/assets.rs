//! The stylesheet, served under a name that carries a digest of its bytes: cached for a year,
//! since a changed stylesheet has a new name.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The pages' stylesheet.
pub const STYLE: &str = include_str!("../assets/style.css");

/// The first 12 hex digits of the stylesheet's SHA-256.
pub static STYLE_VERSION: LazyLock<String> = LazyLock::new(|| {
    Sha256::digest(STYLE.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// `GET /assets/{name}`: the stylesheet under its current name; anything else is not found.
pub async fn asset(Path(name): Path<String>) -> Response {
    if name != format!("style-{}.css", STYLE_VERSION.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut response = STYLE.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// `GET /assets/logo/{account}`: the account's logo (a PNG chronid re-encoded), cached for a
/// day; its URL carries the digest, so a new logo has a new URL.
pub async fn logo(
    axum::extract::State(web): axum::extract::State<crate::WebState>,
    Path(account): Path<uuid::Uuid>,
) -> Response {
    match web.app.logo_of(account).await {
        Ok(Some((sha256, png))) => {
            let mut response = png.into_response();
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("image/png"));
            headers.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            if let Ok(etag) = HeaderValue::from_str(&format!("\"{sha256}\"")) {
                headers.insert(axum::http::header::ETAG, etag);
            }
            headers.insert(
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::warn!(%error, "the logo could not be read");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
