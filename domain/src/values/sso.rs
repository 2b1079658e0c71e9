//! Single sign-on values: HTTP URLs, SAML entity ids, assertion consumer paths, PEM
//! certificates.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::*;
use crate::ValidationError;

/// An absolute `http://` or `https://` URL with a host, such as an IdP's single sign-on or logout
/// endpoint. Checked by hand (the domain takes no URL crate): scheme, host (DNS name, IPv4 or
/// bracketed IPv6), optional port, no user credentials, printable ASCII only (non-ASCII must be
/// percent-encoded). Scheme and host are lower-cased; path, query and fragment are kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                field,
                "must be an absolute http:// or https:// URL with a host, such as https://idp.example.com/sso",
            )
        };
        let value = raw.trim();
        check_len(field, value, 1, Self::MAX_LEN)?;
        if !value
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '`'))
        {
            return Err(invalid());
        }
        let (scheme, rest) = value.split_once("://").ok_or_else(invalid)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(invalid());
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(ValidationError::new(
                field,
                "must not contain user credentials",
            ));
        }
        let (host, port) = split_host_port(authority).ok_or_else(invalid)?;
        if !valid_url_host(host) || !port.is_none_or(valid_port) {
            return Err(invalid());
        }
        let authority = authority.to_ascii_lowercase();
        Ok(Self(format!("{scheme}://{authority}{tail}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `host[:port]` or `[v6]:port` split in two; None when the brackets do not close.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let host = &authority[..inside.len() + 2];
        return match after {
            "" => Some((host, None)),
            _ => after.strip_prefix(':').map(|port| (host, Some(port))),
        };
    }
    Some(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn valid_url_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.contains(':')
            && v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
    }
    host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn valid_port(port: &str) -> bool {
    !port.is_empty()
        && port.len() <= 5
        && port.chars().all(|c| c.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p))
}

/// A SAML entity id (an IdP's issuer or our service-provider id): usually a URI, 1 to 1024
/// characters without whitespace or control characters. Compared exactly, as SAML does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityId(String);

impl EntityId {
    pub const MAX_LEN: usize = 1024;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let value = raw.trim();
        check_len(field, value, 1, Self::MAX_LEN)?;
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new(
                field,
                "must not contain spaces or control characters",
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The random path segment of an SSO configuration's assertion consumer service URL
/// (`/v1/sso/acs/<segment>`): 16 to 128 characters of the URL-safe base64 alphabet, so it needs
/// no escaping and is hard to guess. The caller draws it; the domain only checks its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AcsPath(String);

impl AcsPath {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "sp_acs_path";
        check_len(FIELD, raw, 16, 128)?;
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            return Err(ValidationError::new(
                FIELD,
                "may hold only letters, digits, '-' and '_'",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The last segment of a configuration's SP entity ID and SP initiation URL
/// (`{public}/login/saml/{slug}/`), chosen by the administrator: 2 to 63 lowercase letters,
/// digits and inner hyphens, unique across the deployment (through the entity ID's reservation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SpSlug(String);

/// Slugs that would stand where a page of the SAML flow does.
const RESERVED_SLUGS: [&str; 4] = ["acs", "finish", "account", "confirm"];

impl SpSlug {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "sp_slug";
        let value = raw.trim().to_ascii_lowercase();
        let ok = (2..=63).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if !ok {
            return Err(ValidationError::new(
                FIELD,
                "must be 2 to 63 lowercase letters, digits and inner hyphens, such as 'contoso'",
            ));
        }
        // Words the SAML pages use beside the slugs (`/saml/acs/…`, `/login/saml/finish`…).
        if RESERVED_SLUGS.contains(&value.as_str()) {
            return Err(ValidationError::new(
                FIELD,
                "is a word this service uses itself",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The slug of an SP entity ID of the form `…/login/saml/{slug}/`.
    pub fn of_entity_id(entity_id: &str) -> Option<Self> {
        let rest = entity_id.trim_end_matches('/');
        let (head, slug) = rest.rsplit_once('/')?;
        head.ends_with("/login/saml")
            .then(|| Self::parse(slug).ok())?
    }
}

/// One X.509 certificate in PEM form (an IdP's signing certificate). The domain checks the PEM
/// envelope and that the body is canonical base64 of a DER SEQUENCE; the SAML adapter does the
/// X.509 parsing. Kept normalised: header, body wrapped at 64 columns, footer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Certificate(String);

impl Certificate {
    const BEGIN: &'static str = "-----BEGIN CERTIFICATE-----";
    const END: &'static str = "-----END CERTIFICATE-----";
    /// Far above any real signing certificate; bounds the work done on input.
    pub const MAX_LEN: usize = 16 * 1024;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "idp_certificate";
        let value = raw.trim();
        if value.len() > Self::MAX_LEN {
            return Err(ValidationError::new(FIELD, "is too long for a certificate"));
        }
        let body = value
            .strip_prefix(Self::BEGIN)
            .and_then(|v| v.strip_suffix(Self::END))
            .ok_or_else(|| {
                ValidationError::new(
                    FIELD,
                    "must be one PEM block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----",
                )
            })?;
        let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        match decode_base64(&body) {
            Some(der) if der.first() == Some(&0x30) => {}
            _ => {
                return Err(ValidationError::new(
                    FIELD,
                    "the text between the PEM lines is not a base64-encoded certificate",
                ))
            }
        }
        let mut pem = String::with_capacity(body.len() + body.len() / 64 + 64);
        pem.push_str(Self::BEGIN);
        pem.push('\n');
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str(Self::END);
        Ok(Self(pem))
    }

    /// The certificate in PEM form.
    pub fn pem(&self) -> &str {
        &self.0
    }

    /// The DER bytes of the certificate.
    pub fn der(&self) -> Vec<u8> {
        let body: String = self.0.lines().filter(|l| !l.starts_with("-----")).collect();
        decode_base64(&body).unwrap_or_default()
    }
}

/// Standard padded base64 (RFC 4648 section 4), strictly: length a multiple of four, padding only
/// at the end, unused bits zero. None when `text` is not canonical base64 or is empty.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    let quads = bytes.chunks_exact(4);
    if bytes.is_empty() || !quads.remainder().is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let last = bytes.len() / 4 - 1;
    for (i, quad) in quads.enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i != last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | sextet(c)?;
        }
        n <<= 6 * pad as u32;
        let [_, b0, b1, b2] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[b0, b1, b2]),
            1 if b2 == 0 => out.extend_from_slice(&[b0, b1]),
            2 if b1 == 0 && b2 == 0 => out.push(b0),
            _ => return None,
        }
    }
    Some(out)
}

/// The IdP signing certificates an SSO configuration trusts: 1 to 4 distinct certificates (more
/// than one while the IdP rotates its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Certificates(Vec<Certificate>);

impl Certificates {
    pub const MAX: usize = 4;

    pub fn new(certificates: Vec<Certificate>) -> Result<Self, ValidationError> {
        const FIELD: &str = "idp_certificates";
        let mut unique: Vec<Certificate> = Vec::with_capacity(certificates.len());
        for c in certificates {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        if unique.is_empty() || unique.len() > Self::MAX {
            return Err(ValidationError::new(
                FIELD,
                format!("must hold 1 to {} certificates", Self::MAX),
            ));
        }
        Ok(Self(unique))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Certificate> {
        self.0.iter()
    }
}
