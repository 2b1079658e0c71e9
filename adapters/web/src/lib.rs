//! The web room: the server-rendered HTML pages a person uses in a browser, served by `chronid
//! serve` beside the JSON API (decision 0013): the login page (email or username and password,
//! "Forgot your password?", the language selector), choose account, the one-time code and
//! authenticator steps, the enrolment an administrator required, the password change an expired
//! password asks for, forgot and reset password, and `/account` with its Security tab.
//!
//! Pages call the use cases in `chronid-app` directly, never the JSON API. They render with
//! maud's compiled templates (every value escaped), send a strict Content-Security-Policy with no
//! script at all (`headers`), carry a CSRF token bound to the browser on every form (`csrf`),
//! keep the session in an `HttpOnly`, `SameSite=Lax` cookie (`cookies`) and a login in
//! progress in a sealed one (`pending`). Every string comes from the Fluent catalogues of each
//! language (`i18n`). No SQL here.

pub mod assets;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod headers;
pub mod i18n;
pub mod layout;
mod pages;
pub mod pending;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use chronid_app::App;

use crate::cookies::CookiePolicy;
use crate::csrf::Csrf;
use crate::i18n::Catalogues;
use crate::pending::PendingSealer;

/// The settings of the pages.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `CHRONID_PUBLIC_URL`: cookies are `Secure` unless it is plain http.
    pub public_url: String,
    /// Links in every page's footer, when set.
    pub terms_url: Option<String>,
    pub privacy_url: Option<String>,
}

impl WebConfig {
    /// The host of the public URL (no port), where unbranded pages are served.
    pub fn public_host(&self) -> String {
        host_of(&self.public_url)
    }
}

pub use chronid_app::host_of;

/// What every page handler can reach.
#[derive(Clone)]
pub struct WebState {
    pub app: App,
    pub config: Arc<WebConfig>,
    pub cookies: CookiePolicy,
    pub csrf: Csrf,
    pub pending: PendingSealer,
    pub catalogues: Catalogues,
    /// The host of the public URL, worked out once: unbranded pages are served on it.
    pub public_host: String,
    /// The Google and GitHub clients of the deployment (none unless configured).
    pub oauth: Arc<chronid_oauth::Clients>,
}

impl WebState {
    /// The pages' state; `secret` is the deployment's secret key (the CSRF and pending-login
    /// keys are derived from it, so every node of a cluster agrees).
    pub fn new(app: App, config: WebConfig, secret: &[u8]) -> Result<Self, String> {
        Ok(Self {
            app,
            cookies: CookiePolicy::for_public_url(&config.public_url),
            public_host: config.public_host(),
            config: Arc::new(config),
            csrf: Csrf::from_secret(secret),
            pending: PendingSealer::from_secret(secret),
            catalogues: i18n::load()?,
            oauth: Arc::default(),
        })
    }

    /// The same pages with Google and GitHub login through `clients`.
    pub fn with_oauth(self, clients: chronid_oauth::Clients) -> Self {
        Self {
            oauth: Arc::new(clients),
            ..self
        }
    }
}

/// The pages' "not found" page, for what no route takes outside the API.
pub fn not_found(state: WebState) -> Router {
    Router::new().fallback(pages::not_found).with_state(state)
}

/// The pages' routes, for a router whose state gives a [`WebState`].
pub fn routes<S>(state: WebState) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    use pages::{
        account, console, console_custom, console_keys, console_security, console_sso,
        console_teams, console_users, external, login, password, sso,
    };
    Router::new()
        .route("/", get(login::root))
        .route("/login", get(login::show).post(login::submit))
        .route(
            "/login/account",
            get(login::show_choice).post(login::choose),
        )
        .route("/login/code", get(login::show_code).post(login::answer))
        .route("/login/code/resend", post(login::resend))
        .route("/login/sso", get(sso::show_entry).post(sso::entry))
        .route("/auth/{provider}/start", get(external::start))
        .route("/auth/{provider}/callback", get(external::callback))
        .route(
            "/login/external/account",
            get(external::show_choice).post(external::choose),
        )
        .route("/account/identities/unlink", post(account::unlink_identity))
        .route("/login/saml/finish", get(sso::finish))
        .route(
            "/login/saml/account",
            get(sso::show_choice).post(sso::choose),
        )
        .route(
            "/login/saml/confirm",
            get(sso::show_confirm).post(sso::confirm),
        )
        .route("/login/saml/{slug}", get(sso::start_without_slash))
        .route("/login/saml/{slug}/", get(sso::start))
        .route(
            "/saml/acs/{path}",
            post(sso::acs).layer(axum::extract::DefaultBodyLimit::max(
                chronid_saml::response::MAX_RESPONSE_BYTES + 4096,
            )),
        )
        .route(
            "/login/password",
            get(login::show_change).post(login::change),
        )
        .route(
            "/forgot-password",
            get(password::show_forgot).post(password::forgot),
        )
        .route(
            "/reset-password",
            get(password::show_reset).post(password::reset),
        )
        .route("/account", get(account::profile))
        .route("/account/security", get(account::security))
        .route("/account/totp/enrol", post(account::enrol_totp))
        .route("/account/totp/confirm", post(account::confirm_totp))
        .route("/account/totp/reset", post(account::reset_totp))
        .route("/account/totp/disable", post(account::disable_totp))
        .route("/account/channel", post(account::channel))
        .route("/account/password", post(account::change_password))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route("/account/devices/{id}/forget", post(account::forget_device))
        .route("/logout", post(account::logout))
        .route("/console", get(console::to_home))
        .route("/console/", get(console::home))
        .route("/console/audit", get(console::audit))
        .route("/console/security", get(console_security::show))
        .route(
            "/console/teams",
            get(console_teams::list).post(console_teams::create),
        )
        .route("/console/teams/{id}", get(console_teams::show))
        .route("/console/teams/{id}/{action}", post(console_teams::act))
        .route(
            "/console/teams/{id}/members/{user}/remove",
            post(console_teams::remove),
        )
        .route(
            "/console/api-keys",
            get(console_keys::show).post(console_keys::create),
        )
        .route("/console/api-keys/{id}/{action}", post(console_keys::act))
        .route(
            "/console/security/policy",
            post(console_security::save_policy),
        )
        .route(
            "/console/security/login-options",
            post(console_security::save_options),
        )
        .route(
            "/console/users",
            get(console_users::list).post(console_users::create),
        )
        .route("/console/users/{id}", get(console_users::show))
        .route("/console/users/{id}/history", get(console_users::history))
        .route("/console/users/{id}/{action}", post(console_users::act))
        .route(
            "/console/users/{id}/sessions/{session}/end",
            post(console_users::end_session),
        )
        .route("/console/audit/export", get(console::export))
        .route(
            "/console/customization",
            get(console_custom::show).post(console_custom::save),
        )
        .route(
            "/console/customization/logo",
            post(console_custom::upload_logo).layer(axum::extract::DefaultBodyLimit::max(
                // The logo's own limit, with room for the form around it.
                chronid_app::MAX_LOGO_BYTES + 16 * 1024,
            )),
        )
        .route(
            "/console/customization/logo/remove",
            post(console_custom::remove_logo),
        )
        .route(
            "/console/sso",
            get(console_sso::list).post(console_sso::create).layer(
                axum::extract::DefaultBodyLimit::max(console_sso::MAX_FORM_BYTES),
            ),
        )
        .route("/console/sso/new", get(console_sso::new))
        .route(
            "/console/sso/{id}",
            get(console_sso::show).post(console_sso::update).layer(
                axum::extract::DefaultBodyLimit::max(console_sso::MAX_FORM_BYTES),
            ),
        )
        .route("/console/sso/{id}/delete", post(console_sso::delete))
        .route("/assets/{name}", get(assets::asset))
        .route("/assets/logo/{account}", get(assets::logo))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn the_host_of_a_url_or_a_host_header() {
        assert_eq!(
            host_of("https://ID.Acme.test:8443/login?x=1"),
            "id.acme.test"
        );
        assert_eq!(host_of("login.acme.test"), "login.acme.test");
        assert_eq!(host_of("login.acme.test:80"), "login.acme.test");
        assert_eq!(host_of("http://user@h.test/"), "h.test");
        assert_eq!(host_of("[::1]:8080"), "::1");
        assert_eq!(host_of(""), "");
        assert_eq!(host_of("id.acme.test.:443"), "id.acme.test");
    }
}
