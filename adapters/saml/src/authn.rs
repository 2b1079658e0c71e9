//! The AuthnRequest an SP initiation URL sends the browser to the IdP with (HTTP-Redirect
//! binding: deflated, base64, in the `SAMLRequest` query parameter). It asks for the HTTP-POST
//! binding back to our assertion consumer, and names us as its Issuer.

use chronid_domain::sso_config::NameIdSource;
use chrono::{DateTime, Utc};
use samael::metadata::HTTP_POST_BINDING;
use samael::schema::{AuthnRequest, Issuer, NameIdPolicy};

use crate::metadata::{NAME_ID_EMAIL, NAME_ID_UNSPECIFIED};

/// What an AuthnRequest is made of.
#[derive(Debug, Clone)]
pub struct AuthnParams<'a> {
    /// A fresh id (an XML ID: it must not start with a digit); the Response's `InResponseTo`.
    pub request_id: &'a str,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    pub idp_sso_url: &'a str,
    pub name_id_source: NameIdSource,
    pub now: DateTime<Utc>,
    /// Carried through the IdP and back (empty: none).
    pub relay_state: &'a str,
}

/// A fresh AuthnRequest id: `_` and 32 hex digits from `random`.
pub fn request_id(random: [u8; 16]) -> String {
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("_{hex}")
}

/// The IdP URL the browser is redirected to.
pub fn redirect_url(p: &AuthnParams<'_>) -> Result<String, String> {
    let format = match p.name_id_source {
        NameIdSource::Email => NAME_ID_EMAIL,
        NameIdSource::Upn => NAME_ID_UNSPECIFIED,
    };
    let request = AuthnRequest {
        id: p.request_id.to_string(),
        version: "2.0".to_string(),
        issue_instant: p.now,
        destination: Some(p.idp_sso_url.to_string()),
        assertion_consumer_service_url: Some(p.acs_url.to_string()),
        protocol_binding: Some(HTTP_POST_BINDING.to_string()),
        issuer: Some(Issuer {
            format: Some("urn:oasis:names:tc:SAML:2.0:nameid-format:entity".to_string()),
            value: Some(p.sp_entity_id.to_string()),
            ..Issuer::default()
        }),
        name_id_policy: Some(NameIdPolicy {
            allow_create: Some(true),
            format: Some(format.to_string()),
            ..NameIdPolicy::default()
        }),
        ..AuthnRequest::default()
    };
    match request.redirect(p.relay_state) {
        Ok(Some(url)) => Ok(url.to_string()),
        Ok(None) => Err("the AuthnRequest has no destination".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_redirect_carries_a_deflated_request_for_our_acs() {
        let id = request_id([0xab; 16]);
        assert_eq!(id.len(), 33);
        let url = redirect_url(&AuthnParams {
            request_id: &id,
            sp_entity_id: "https://id.acme.test/login/saml/contoso/",
            acs_url: "https://id.acme.test/saml/acs/0123",
            idp_sso_url: "https://idp.contoso.test/sso?tenant=1",
            name_id_source: NameIdSource::Email,
            now: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            relay_state: "",
        })
        .unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.host_str(), Some("idp.contoso.test"));
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        assert_eq!(
            pairs[0],
            ("tenant".into(), "1".into()),
            "the IdP's own query stays"
        );
        let encoded = &pairs.iter().find(|(k, _)| k == "SAMLRequest").unwrap().1;
        assert!(!pairs.iter().any(|(k, _)| k == "RelayState"));
        use base64::Engine;
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&deflated[..])
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains(&format!(r#"ID="{id}""#)), "{xml}");
        assert!(
            xml.contains(r#"AssertionConsumerServiceURL="https://id.acme.test/saml/acs/0123""#),
            "{xml}"
        );
        assert!(
            xml.contains("https://id.acme.test/login/saml/contoso/"),
            "{xml}"
        );
        assert!(xml.contains(HTTP_POST_BINDING), "{xml}");
        assert!(
            xml.contains(r#"Destination="https://idp.contoso.test/sso?tenant=1""#),
            "{xml}"
        );
    }
}
