//! Reading an IdP's metadata XML into the fields of a configuration, for the administrator who
//! imports the file instead of typing them: the entity ID, the HTTP-Redirect single sign-on
//! URL, the single logout URL if any, and the signing certificates (PEM). The certificates are
//! then checked like typed ones before anything trusts them.

use samael::metadata::EntityDescriptor;

/// The binding chronid sends AuthnRequests with.
const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// What an IdP's metadata says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
    pub logout_url: Option<String>,
    /// PEM.
    pub certificates: Vec<String>,
}

/// The largest metadata document read.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;

/// Reads `xml`; the error says what is missing, in words for the administrator.
pub fn read_idp_metadata(xml: &str) -> Result<IdpMetadata, String> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err("is larger than 64 KiB".into());
    }
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err("may not contain a DOCTYPE".into());
    }
    let descriptor: EntityDescriptor = xml
        .parse()
        .map_err(|_| "is not SAML 2.0 metadata with one EntityDescriptor".to_string())?;
    let entity_id = descriptor
        .entity_id
        .filter(|e| !e.trim().is_empty())
        .ok_or("names no entityID")?;
    let idp = descriptor
        .idp_sso_descriptors
        .and_then(|d| d.into_iter().next())
        .ok_or("has no IDPSSODescriptor")?;
    let sso_url = idp
        .single_sign_on_services
        .iter()
        .find(|s| s.binding == REDIRECT_BINDING)
        .map(|s| s.location.clone())
        .ok_or("has no SingleSignOnService with the HTTP-Redirect binding")?;
    let logout_url = idp
        .single_logout_services
        .iter()
        .find(|s| s.binding == REDIRECT_BINDING)
        .or_else(|| idp.single_logout_services.first())
        .map(|s| s.location.clone());
    let certificates: Vec<String> = idp
        .key_descriptors
        .iter()
        .filter(|k| k.key_use.as_deref().is_none_or(|u| u == "signing"))
        .filter_map(|k| k.key_info.x509_data.as_ref())
        .flat_map(|x| x.certificates.iter())
        .map(|body| {
            let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .filter_map(|c| std::str::from_utf8(c).ok())
                .collect();
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            )
        })
        .collect();
    if certificates.is_empty() {
        return Err("has no signing certificate".into());
    }
    Ok(IdpMetadata {
        entity_id,
        sso_url,
        logout_url,
        certificates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sts.contoso.test/adfs">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>RU5D</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      U0lH
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sts.contoso.test/logout"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sts.contoso.test/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sts.contoso.test/redirect"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#;

    #[test]
    fn metadata_gives_the_entity_id_redirect_url_logout_url_and_signing_certificates() {
        let read = read_idp_metadata(METADATA).unwrap();
        assert_eq!(read.entity_id, "https://sts.contoso.test/adfs");
        assert_eq!(read.sso_url, "https://sts.contoso.test/redirect");
        assert_eq!(
            read.logout_url.as_deref(),
            Some("https://sts.contoso.test/logout")
        );
        assert_eq!(
            read.certificates,
            vec!["-----BEGIN CERTIFICATE-----\nU0lH\n-----END CERTIFICATE-----\n"]
        );
    }

    #[test]
    fn metadata_without_what_chronid_needs_is_refused_with_the_reason() {
        let no_redirect = METADATA.replace(
            "bindings:HTTP-Redirect\" Location=\"https://sts.contoso.test/redirect",
            "bindings:HTTP-POST\" Location=\"https://sts.contoso.test/redirect",
        );
        assert!(read_idp_metadata(&no_redirect)
            .unwrap_err()
            .contains("HTTP-Redirect"));
        let no_signing = METADATA.replace("use=\"signing\"", "use=\"encryption\"");
        assert!(read_idp_metadata(&no_signing)
            .unwrap_err()
            .contains("signing certificate"));
        let doctype = format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{METADATA}");
        assert!(read_idp_metadata(&doctype).is_err());
        assert!(read_idp_metadata("not xml").is_err());
    }
}
