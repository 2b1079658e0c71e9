//! The SAML room: chronid as a SAML 2.0 service provider (issue "SAML 2.0 single sign-on").
//!
//! Here so far: the check of an IdP signing certificate before a configuration trusts it
//! (`certificate`), and the SP metadata an IdP's administrator imports (`metadata`, served at
//! `GET /saml/{slug}/metadata`). samael (with xmlsec1 through OpenSSL) is the SAML library: 0.0.19, since
//! 0.0.20 does not build against Debian 12's xmlsec1 1.2 (decision 0014).
//!
//! What will live here: SP metadata for an `SsoConfig` (entity ID `{public}/login/saml/{slug}/`,
//! the random assertion consumer URL), importing an IdP's metadata, building the AuthnRequest for
//! the HTTP-Redirect binding, and checking the HTTP-POST Response fail-closed with samael and
//! xmlsec: a signature by a configured certificate (RSA-SHA256 or stronger), issuer, audience,
//! Destination, Recipient, InResponseTo, time bounds and replay. It turns a checked assertion into
//! a plain value (NameID, attributes, groups) that `chronid-app` acts on; it holds no use case and
//! no SQL, and the HTML around the flow lives in `chronid-web`.

pub mod authn;
pub mod certificate;
pub mod consumer;
pub mod import;
pub mod metadata;
pub mod response;
mod routes;
mod screen;

pub use certificate::{inspect, CertificateProblem, IdpCertificate};
pub use routes::routes;
