//! The OAuth room: login with Google (OpenID Connect) and GitHub (OAuth 2.0). Empty until those
//! logins land (issue "Google and GitHub login").
//!
//! What will live here: per-deployment provider settings, the authorization request with PKCE
//! (S256), `state` and `nonce`, the code exchange, the ID token checks (JWKS cached and refreshed
//! on an unknown `kid`, issuer, audience, expiry, nonce, `email_verified`), GitHub's `/user` and
//! `/user/emails`, and HTTP clients that never follow redirects. It answers with a verified
//! identity (provider, subject, email) that `chronid-app` links or logs in; no use case, no SQL,
//! no HTML here.
