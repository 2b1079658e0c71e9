//! Checking a Response posted to the assertion consumer, fail-closed.
//!
//! Before xmlsec sees a document, a strict screen (`screen.rs`) lets through only the
//! signatures a SAML IdP makes: xmlsec, as samael drives it, would otherwise follow any
//! Reference URI and run any transform while it checks a signature, before it compares the
//! signature value (an attack review of 2026-12-02 found this). samael (with xmlsec)
//! verifies every signature in the document against the configured certificates only (never a
//! key the document carries) and keeps only what a signature covers; then it checks issuer,
//! Destination, InResponseTo, status and the assertion's time bounds and audience when present.
//! This module adds what samael leaves open: no comments, exactly one assertion (wrapping), no
//! SHA-1 unless the configuration allows it and never MD5 or DSA, a Destination on the Response
//! that must be present (samael then checks it is our ACS), an audience restriction
//! that must be present and name us, a bearer confirmation for our ACS, an InResponseTo that
//! must be one of ours unless unsolicited responses are allowed, and time bounds read on our
//! clock with a bounded skew.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use samael::metadata::EntityDescriptor;
use samael::schema::Assertion;
use samael::service_provider::ServiceProvider;

/// The largest Response read (base64 included).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// The clock difference tolerated between the IdP and us.
pub const MAX_SKEW: Duration = Duration::minutes(3);

/// What a Response must match: the configuration and the requests this browser has out.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub idp_entity_id: &'a str,
    /// The configured certificates, DER.
    pub certificates: &'a [Vec<u8>],
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    /// The ids of the AuthnRequests this browser has outstanding.
    pub request_ids: &'a [String],
    pub allow_idp_initiated: bool,
    pub allow_sha1: bool,
    pub now: DateTime<Utc>,
}

/// A Response that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub name_id: String,
    /// The assertion's ID, accepted once across all nodes (the caller records it).
    pub assertion_id: String,
    /// The request it answers; `None` for an unsolicited response.
    pub in_response_to: Option<String>,
    /// Attribute name -> values.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// Until when the assertion may be used (for the replay record).
    pub not_on_or_after: DateTime<Utc>,
}

/// Why a Response is refused; the words go to the audit log and the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the response is not base64 of an XML document within the size limit")]
    Encoding,
    #[error("the response contains XML comments")]
    Comments,
    #[error("the response must hold exactly one assertion")]
    AssertionCount,
    #[error("the response uses a weak algorithm ({0})")]
    WeakAlgorithm(&'static str),
    #[error("the response is not signed by a configured certificate")]
    Signature,
    #[error("the response comes from another identity provider")]
    Issuer,
    #[error("the response is for another assertion consumer (Destination)")]
    Destination,
    #[error("the assertion is for another assertion consumer (Recipient)")]
    Recipient,
    #[error("the assertion is for another service provider (Audience)")]
    Audience,
    #[error("the assertion has expired")]
    Expired,
    #[error("the assertion is not valid yet")]
    NotYetValid,
    #[error("the response answers no request of this browser (InResponseTo)")]
    UnknownRequest,
    #[error("unsolicited responses are not accepted for this configuration")]
    Unsolicited,
    #[error("the identity provider did not authenticate the user ({0})")]
    Status(String),
    #[error("the assertion names no user")]
    NoSubject,
}

/// The IdP as samael needs it: its entity ID and signing certificates, written as metadata.
fn idp_metadata(e: &Expected<'_>) -> Result<EntityDescriptor, Refusal> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;")
    };
    let keys: String = e
        .certificates
        .iter()
        .map(|der| {
            format!(
                "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}\
                 </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
                STANDARD.encode(der)
            )
        })
        .collect();
    let xml = format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{}\">\
         <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         {keys}</md:IDPSSODescriptor></md:EntityDescriptor>",
        escape(e.idp_entity_id)
    );
    xml.parse().map_err(|_| Refusal::Signature)
}

/// The XML of a base64 `SAMLResponse`, within the size limit.
fn decoded(encoded: &str) -> Result<String, Refusal> {
    if encoded.len() > MAX_RESPONSE_BYTES {
        return Err(Refusal::Encoding);
    }
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = STANDARD.decode(compact).map_err(|_| Refusal::Encoding)?;
    String::from_utf8(bytes).map_err(|_| Refusal::Encoding)
}

/// The request a Response says it answers, read before any check: only to know which of our
/// outstanding requests to check it against (`check` then requires the signed confirmation
/// to name the same one).
pub fn in_response_to_of(encoded: &str) -> Option<String> {
    response_in_response_to(&decoded(encoded).ok()?)
}

/// Checks the base64 `SAMLResponse` posted to the assertion consumer.
pub fn check(encoded: &str, e: &Expected<'_>) -> Result<Checked, Refusal> {
    let xml = decoded(encoded)?;
    // Before xmlsec sees it: only the signatures an IdP makes, nothing that could make
    // xmlsec fetch or run anything, no comments, one assertion.
    crate::screen::screen(&xml, e.allow_sha1)?;
    // samael checks no signature at all when it is given no certificate.
    if e.certificates.is_empty() {
        return Err(Refusal::Signature);
    }
    if response_attribute(&xml, "Destination").is_none() {
        return Err(Refusal::Destination);
    }
    let sp = ServiceProvider {
        entity_id: Some(e.sp_entity_id.to_string()),
        acs_url: Some(e.acs_url.to_string()),
        idp_metadata: idp_metadata(e)?,
        allow_idp_initiated: e.allow_idp_initiated,
        max_clock_skew: MAX_SKEW,
        max_issue_delay: Duration::minutes(10),
        ..ServiceProvider::default()
    };
    let ids: Vec<&str> = e.request_ids.iter().map(String::as_str).collect();
    let response_to = response_in_response_to(&xml);
    let assertion =
        sp.parse_xml_response(&xml, Some(&ids))
            .map_err(|error| match from_samael(&error) {
                Refusal::UnknownRequest if response_to.is_none() => Refusal::Unsolicited,
                refusal => refusal,
            })?;
    // samael kept only signed content; what follows reads that content.
    ours(&assertion, response_to, e)
}

/// The `InResponseTo` of the Response element, read from the document (samael checked it
/// against our requests when it is present and unsolicited responses are not allowed).
fn response_in_response_to(xml: &str) -> Option<String> {
    response_attribute(xml, "InResponseTo")
}

/// An attribute of the Response element's start tag, as written (double-quoted).
fn response_attribute(xml: &str, name: &str) -> Option<String> {
    let start = xml
        .find(":Response")
        .or_else(|| xml.find("<Response"))
        .filter(|i| {
            xml[i + 1..]
                .chars()
                .find(|c| !c.is_ascii_alphanumeric() && *c != ':')
                .is_some_and(char::is_whitespace)
        })?;
    let tag_end = xml[start..].find('>')? + start;
    let tag = &xml[start..tag_end];
    let key = format!("{name}=\"");
    let at = tag
        .match_indices(&key)
        .find(|(i, _)| tag[..*i].ends_with(char::is_whitespace))?
        .0
        + key.len();
    Some(tag[at..].split('"').next()?.to_string())
}

fn from_samael(error: &samael::service_provider::Error) -> Refusal {
    use samael::service_provider::Error as E;
    match error {
        E::DestinationValidationError { .. } => Refusal::Destination,
        E::AssertionExpired { .. }
        | E::AssertionConditionExpired { .. }
        | E::ResponseExpired { .. } => Refusal::Expired,
        E::AssertionConditionExpiredBefore { .. } => Refusal::NotYetValid,
        E::AssertionConditionAudienceRestrictionFailed { .. } => Refusal::Audience,
        E::ResponseInResponseToInvalid { .. } => Refusal::UnknownRequest,
        E::ResponseIssuerMismatch { .. } | E::AssertionIssuerMismatch { .. } => Refusal::Issuer,
        E::ResponseBadStatusCode { code } => Refusal::Status(code.clone()),
        _ => Refusal::Signature,
    }
}

/// The checks samael leaves to its caller.
fn ours(a: &Assertion, response_to: Option<String>, e: &Expected<'_>) -> Result<Checked, Refusal> {
    // Solicited or not: an unsolicited response only where the configuration allows it; a
    // solicited one answers a request of this browser (samael checked the Response's).
    match &response_to {
        None if !e.allow_idp_initiated => return Err(Refusal::Unsolicited),
        Some(id) if !e.request_ids.contains(id) => return Err(Refusal::UnknownRequest),
        _ => {}
    }
    let conditions = a.conditions.as_ref().ok_or(Refusal::Audience)?;
    let audiences = conditions
        .audience_restrictions
        .as_ref()
        .ok_or(Refusal::Audience)?;
    if audiences.is_empty()
        || !audiences
            .iter()
            .all(|r| r.audience.iter().any(|aud| aud == e.sp_entity_id))
    {
        return Err(Refusal::Audience);
    }
    if let Some(not_before) = conditions.not_before {
        if e.now + MAX_SKEW < not_before {
            return Err(Refusal::NotYetValid);
        }
    }
    let mut not_on_or_after = conditions.not_on_or_after;
    let subject = a.subject.as_ref().ok_or(Refusal::NoSubject)?;
    let name_id = subject
        .name_id
        .as_ref()
        .map(|n| n.value.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or(Refusal::NoSubject)?;
    // A bearer confirmation for our assertion consumer, in answer to the same request.
    let confirmations = subject.subject_confirmations.as_deref().unwrap_or_default();
    let bearer = confirmations
        .iter()
        .filter(|c| c.method.as_deref() == Some("urn:oasis:names:tc:SAML:2.0:cm:bearer"))
        .filter_map(|c| c.subject_confirmation_data.as_ref())
        // The Web Browser SSO profile forbids NotBefore on a bearer confirmation: one that has
        // it is not a confirmation for us.
        .find(|d| d.recipient.as_deref() == Some(e.acs_url) && d.not_before.is_none())
        .ok_or(Refusal::Recipient)?;
    if bearer.in_response_to != response_to {
        return Err(Refusal::UnknownRequest);
    }
    if let Some(until) = bearer.not_on_or_after {
        not_on_or_after = Some(not_on_or_after.map_or(until, |n| n.min(until)));
    }
    let not_on_or_after = not_on_or_after.ok_or(Refusal::Expired)?;
    if not_on_or_after + MAX_SKEW <= e.now {
        return Err(Refusal::Expired);
    }
    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in a.attribute_statements.as_deref().unwrap_or_default() {
        for attribute in &statement.attributes {
            let Some(name) = &attribute.name else {
                continue;
            };
            let values = attribute.values.iter().filter_map(|v| v.value.clone());
            attributes.entry(name.clone()).or_default().extend(values);
        }
    }
    Ok(Checked {
        name_id,
        assertion_id: a.id.clone(),
        in_response_to: response_to,
        attributes,
        not_on_or_after,
    })
}
