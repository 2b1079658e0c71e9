//! The web room: the server-rendered HTML pages a person uses in a browser, served by `chronid serve`
//! beside the JSON API. The pages land with issue "The login pages a person uses"; what is here so
//! far is what every page stands on: the security headers (`headers`), the cookies (`cookies`)
//! and the forms' CSRF tokens bound to the browser (`csrf`).
//!
//! What will live here: the login page (email or username and password, "Forgot your password?",
//! the language selector), choose account, the one-time code and authenticator steps, forgot and
//! reset password, and `/account` with its Security tab; later the account console (users and
//! teams, security settings, SSO, customization, API keys, audit log). Pages call the use cases in
//! `chronid-app` directly, never the JSON API; they render with compiled templates, send a strict
//! Content-Security-Policy, carry a CSRF token on every form and keep the session in an `HttpOnly`
//! cookie. Strings come from the catalogues of each language. No SQL here: queries are asked of
//! `chronid-views`, commands of `chronid-app`.

pub mod cookies;
pub mod csrf;
pub mod headers;
