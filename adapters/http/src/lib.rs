//! The HTTP API (axum): JSON under `/v1`, problem+json errors with stable codes, bearer API keys,
//! an OpenAPI document at `/openapi.json`, `/health` and `/ready`. One tracing span per request
//! carries its id, method, path, and once authenticated the actor.

mod body;
pub mod codes;
pub mod edge;
mod extract;
mod metrics;
mod openapi;
mod problem;
mod routes;

pub use body::{Created, CreatedApiKey, Position};
pub use problem::{HttpCode, Problem};

use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use tower::ServiceExt;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use std::sync::Arc;

use chronid_app::App;
use chronid_stream::relay::RelayStats;
use chronid_views::{Projection, ProjectionStats};

/// What every handler can reach: shared, so the clone axum makes for each request's handler is
/// one reference count, not a copy of every pool handle, string and list below.
#[derive(Clone)]
pub struct HttpState(Arc<HttpShared>);

/// The fields of [`HttpState`], reached through it.
#[derive(Clone)]
pub struct HttpShared {
    pub app: App,
    /// For `/ready`; `None` means NATS is not configured, so not ready.
    pub nats: Option<async_nats::Client>,
    /// The workers running in this process, for /metrics and read-your-writes wake-ups.
    pub read: ReadSide,
    /// Client addresses and per-address rate limits.
    pub edge: Arc<edge::Edge>,
    /// This process's Prometheus recorder.
    metrics: metrics::Metrics,
    /// The host of `CHRONID_PUBLIC_URL`, which a branded host name is an alias of.
    pub public_host: Option<String>,
    /// What answers a path outside the API that no route takes (the pages' "not found" page);
    /// without it, problem+json as for the API.
    pub page_fallback: Option<Router>,
}

impl std::ops::Deref for HttpState {
    type Target = HttpShared;

    fn deref(&self) -> &HttpShared {
        &self.0
    }
}

impl HttpState {
    /// Every supervised background task of this process: the append writers and the read side's.
    pub fn tasks(&self) -> impl Iterator<Item = &Arc<chronid_store::supervise::TaskHealth>> {
        self.app
            .executor()
            .append_writers()
            .into_iter()
            .chain(&self.read.tasks)
    }

    /// A state with the default edge (no trusted proxies, the default rate limits).
    pub fn new(app: App, nats: Option<async_nats::Client>, read: ReadSide) -> Self {
        Self(Arc::new(HttpShared {
            app,
            nats,
            read,
            edge: Arc::default(),
            metrics: metrics::Metrics::default(),
            public_host: None,
            page_fallback: None,
        }))
    }

    /// The fields, to change while the state is being built (a copy if it is already shared).
    fn fields(&mut self) -> &mut HttpShared {
        Arc::make_mut(&mut self.0)
    }

    /// The same state with `fallback` answering paths outside the API that no route takes.
    pub fn with_page_fallback(mut self, fallback: Router) -> Self {
        self.fields().page_fallback = Some(fallback);
        self
    }

    /// The same state with the deployment's public host (for the DNS record of a host name).
    pub fn with_public_host(mut self, host: impl Into<String>) -> Self {
        self.fields().public_host = Some(host.into());
        self
    }

    pub fn with_edge(mut self, edge: edge::Edge) -> Self {
        self.fields().edge = Arc::new(edge);
        self
    }
}

/// Largest request body the JSON API reads; beyond, `413 REQ-BODY-TOO-LARGE`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The relay and projection workers of this process (none on an API-only node), and the
/// supervised background tasks it runs, which `/ready` and `/metrics` report.
#[derive(Clone, Default)]
pub struct ReadSide {
    pub relay: Option<Arc<RelayStats>>,
    pub projections: Vec<(Projection, Arc<ProjectionStats>)>,
    pub tasks: Vec<Arc<chronid_store::supervise::TaskHealth>>,
}

impl ReadSide {
    pub fn stats(&self, projection: Projection) -> Option<Arc<ProjectionStats>> {
        self.projections
            .iter()
            .find(|(p, _)| *p == projection)
            .map(|(_, s)| Arc::clone(s))
    }
}

/// The whole API.
pub fn router(state: HttpState) -> Router {
    router_with(state, Router::new())
}

/// The whole API with `pages` (the web room's routes) beside it, behind the same edge (client
/// address, rate limits), request ids and tracing.
pub fn router_with(state: HttpState, pages: Router<HttpState>) -> Router {
    use routes::{
        accounts, api_keys, credentials, devices, health, login, sso, teams, users, views,
    };
    let request_id = HeaderName::from_static("x-request-id");
    let account = "/v1/accounts/{account}";
    Router::new()
        .route(&format!("{account}/security-policy"), put(accounts::put_security_policy))
        .route(&format!("{account}/login-options"), put(accounts::put_login_options))
        .route(&format!("{account}/customization"), put(accounts::put_customization))
        .route(
            &format!("{account}/logo"),
            put(accounts::put_logo)
                .delete(accounts::delete_logo)
                // The byte limit of a logo, not of JSON: an image too large in pixels is
                // refused with ACC-LOGO-TOO-LARGE, not as a body too large.
                .layer(axum::extract::DefaultBodyLimit::max(chronid_app::MAX_LOGO_BYTES)),
        )
        .route(&format!("{account}/users"), post(users::create_user).get(views::list_users))
        .route(&format!("{account}/users/{{id}}"), patch(users::patch_user).get(views::get_user))
        .route(&format!("{account}/users/{{id}}/history"), get(views::history))
        .route(&format!("{account}/users/{{id}}/email"), put(users::put_email))
        .route(&format!("{account}/users/{{id}}/disable"), post(users::disable_user))
        .route(&format!("{account}/users/{{id}}/enable"), post(users::enable_user))
        .route(&format!("{account}/users/{{id}}/lock"), post(users::lock_user))
        .route(&format!("{account}/users/{{id}}/unlock"), post(users::unlock_user))
        .route(&format!("{account}/users/{{id}}/two-factor"), put(users::put_two_factor))
        .route(&format!("{account}/teams"), post(teams::create_team).get(views::list_teams))
        .route(
            &format!("{account}/teams/{{team}}"),
            patch(teams::rename_team).delete(teams::delete_team).get(views::get_team),
        )
        .route(&format!("{account}/sso"), post(sso::create_sso).get(sso::list_sso))
        .route(
            &format!("{account}/sso/{{id}}"),
            patch(sso::update_sso).delete(sso::delete_sso),
        )
        .route(
            &format!("{account}/sso/{{id}}/accounts/{{other}}"),
            put(sso::share_sso).delete(sso::unshare_sso),
        )
        .route(&format!("{account}/audit"), get(views::audit))
        .route(&format!("{account}/audit/export"), get(views::audit_export))
        .route(
            &format!("{account}/teams/{{team}}/members/{{user}}"),
            put(teams::add_member).delete(teams::remove_member),
        )
        .route(&format!("{account}/api-keys"), post(api_keys::create_api_key))
        .route(
            &format!("{account}/api-keys/{{key}}"),
            patch(api_keys::patch_api_key).delete(api_keys::revoke_api_key),
        )
        .route("/v1/login", post(login::login))
        .route("/v1/login/challenges/{id}", post(login::answer_challenge))
        .route("/v1/login/challenges/{id}/resend", post(login::resend_challenge))
        .route("/v1/password/forgot", post(credentials::forgot))
        .route("/v1/password/reset", post(credentials::reset))
        .route("/v1/me/password", post(credentials::change_my_password))
        .route(
            "/v1/me/totp",
            post(credentials::enrol_totp).delete(credentials::disable_totp),
        )
        .route("/v1/me/totp/confirm", post(credentials::confirm_totp))
        .route("/v1/me/totp/reset", post(credentials::reset_totp))
        .route("/v1/me/two-factor-channel", put(credentials::put_channel))
        .route(
            &format!("{account}/users/{{id}}/password-reset"),
            post(credentials::admin_reset),
        )
        .route("/v1/me/devices", get(devices::my_devices))
        .route(
            "/v1/me/devices/{id}",
            axum::routing::delete(devices::revoke_my_device),
        )
        .route(
            &format!("{account}/users/{{id}}/devices"),
            axum::routing::delete(devices::revoke_user_devices),
        )
        .route("/v1/logout", post(login::logout))
        .route("/v1/me/sessions", get(login::my_sessions))
        .route(
            "/v1/me/sessions/{id}",
            axum::routing::delete(login::revoke_my_session),
        )
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .merge(pages)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.edge(),
            edge::client_address,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path(), actor = tracing::field::Empty)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Prometheus metrics of this process, served apart from the API (`CHRONID_METRICS_LISTEN`), so
/// they are not open to whoever reaches the API.
pub fn metrics_router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .fallback(not_found)
        .with_state(state)
}

/// Whether `path` is the API's (answered with problem+json) rather than a page's.
fn api_path(path: &str) -> bool {
    path == "/v1"
        || path.starts_with("/v1/")
        || matches!(path, "/health" | "/ready" | "/openapi.json" | "/metrics")
}

/// A path outside the API goes to the pages' fallback when there is one; the API's answer
/// is `problem`.
async fn page_or(state: &HttpState, request: Request, problem: Problem) -> Response {
    match (&state.page_fallback, api_path(request.uri().path())) {
        (Some(pages), false) => match pages.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        _ => problem.into_response(),
    }
}

/// A path no route takes: the pages' "not found" page outside the API, problem+json in it.
async fn not_found(State(state): State<HttpState>, request: Request) -> Response {
    let problem = Problem::http(HttpCode::ReqNotFound, "no such route");
    page_or(&state, request, problem).await
}

async fn method_not_allowed(State(state): State<HttpState>, request: Request) -> Response {
    let problem = Problem::http(
        HttpCode::ReqMethodNotAllowed,
        "this route does not take that method",
    );
    page_or(&state, request, problem).await
}
