//! The service provider's metadata for an IdP's administrator: our entity ID, the assertion
//! consumer service (HTTP-POST), the NameID format we ask for, and that we want assertions
//! signed. AuthnRequests are not signed (the IdP-side trust is the signed response).

use chronid_domain::sso_config::NameIdSource;
use samael::metadata::{EntityDescriptor, IndexedEndpoint, SpSsoDescriptor, HTTP_POST_BINDING};
use samael::traits::ToXml;

/// The NameID format of an email address.
pub const NAME_ID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// The format of a name left to the IdP (an Active Directory UPN arrives so).
pub const NAME_ID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// The SAML 2.0 protocol, as metadata names it.
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// The metadata XML of the service provider `entity_id` consuming assertions at `acs_url`.
pub fn sp_metadata(entity_id: &str, acs_url: &str, source: NameIdSource) -> Result<String, String> {
    let format = match source {
        NameIdSource::Email => NAME_ID_EMAIL,
        NameIdSource::Upn => NAME_ID_UNSPECIFIED,
    };
    let descriptor = EntityDescriptor {
        entity_id: Some(entity_id.to_string()),
        sp_sso_descriptors: Some(vec![SpSsoDescriptor {
            protocol_support_enumeration: Some(PROTOCOL.to_string()),
            authn_requests_signed: Some(false),
            want_assertions_signed: Some(true),
            name_id_formats: Some(vec![format.to_string()]),
            assertion_consumer_services: vec![IndexedEndpoint {
                binding: HTTP_POST_BINDING.to_string(),
                location: acs_url.to_string(),
                response_location: None,
                index: 0,
                is_default: Some(true),
            }],
            ..SpSsoDescriptor::default()
        }]),
        ..EntityDescriptor::default()
    };
    descriptor.to_string().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_names_the_entity_the_acs_and_the_name_id_format() {
        let xml = sp_metadata(
            "https://id.acme.test/login/saml/contoso/",
            "https://id.acme.test/saml/acs/0123456789abcdef",
            NameIdSource::Email,
        )
        .unwrap();
        assert!(
            xml.contains(r#"entityID="https://id.acme.test/login/saml/contoso/""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"Location="https://id.acme.test/saml/acs/0123456789abcdef""#),
            "{xml}"
        );
        assert!(xml.contains(HTTP_POST_BINDING), "{xml}");
        assert!(xml.contains(NAME_ID_EMAIL), "{xml}");
        assert!(xml.contains(r#"WantAssertionsSigned="true""#), "{xml}");
        // It reads back as metadata.
        let parsed: EntityDescriptor = xml.parse().unwrap();
        assert_eq!(
            parsed.entity_id.as_deref(),
            Some("https://id.acme.test/login/saml/contoso/")
        );
        // Input that would break out of an attribute stays inside it.
        let odd = sp_metadata(
            "https://x.test/login/saml/a/\"><x",
            "https://x.test/saml/acs/y",
            NameIdSource::Upn,
        )
        .unwrap();
        assert!(!odd.contains("\"><x"), "{odd}");
    }
}
