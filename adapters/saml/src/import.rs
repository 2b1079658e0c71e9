//! Reading an IdP's metadata XML into the fields of a configuration, for the administrator who
//! imports the file instead of typing them: the entity ID, the HTTP-Redirect single sign-on
//! URL, the single logout URL if any, and the signing certificates (PEM). The certificates are
//! then checked like typed ones before anything trusts them.

use chronid_app::SsoInput;
use chronid_domain::sso_config::NameIdSource;
use chronid_domain::values::{Certificate, Certificates, EntityId, HttpUrl, SpSlug};
use chronid_domain::ValidationError;
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

/// What an administrator typed or imported for a configuration, as text: the API's body and
/// the console's form both end here. A field given beside `idp_metadata_xml` wins over the
/// metadata's.
#[derive(Debug, Clone, Default)]
pub struct SsoFields {
    pub idp_entity_id: Option<String>,
    /// PEM, one block each.
    pub idp_certificates: Option<Vec<String>>,
    pub idp_sso_url: Option<String>,
    pub idp_metadata_xml: Option<String>,
    pub logout_url: Option<String>,
    pub sp_slug: String,
    pub auto_create_users: bool,
    pub auto_create_groups: bool,
    /// `email` or `upn`.
    pub name_id_source: String,
    pub allow_idp_initiated: bool,
    pub allow_sha1: bool,
}

impl SsoFields {
    /// The settings, each value checked; the error names the field at fault.
    pub fn input(&self) -> Result<SsoInput, ValidationError> {
        let imported = match &self.idp_metadata_xml {
            Some(xml) => Some(
                read_idp_metadata(xml)
                    .map_err(|why| ValidationError::new("idp_metadata_xml", why))?,
            ),
            None => None,
        };
        let required = |field: &'static str, value: Option<String>| {
            value.ok_or_else(|| {
                ValidationError::new(field, "is required (or give idp_metadata_xml)")
            })
        };
        let entity_id = required(
            "idp_entity_id",
            self.idp_entity_id
                .clone()
                .or_else(|| imported.as_ref().map(|m| m.entity_id.clone())),
        )?;
        let sso_url = required(
            "idp_sso_url",
            self.idp_sso_url
                .clone()
                .or_else(|| imported.as_ref().map(|m| m.sso_url.clone())),
        )?;
        let pems = self
            .idp_certificates
            .clone()
            .or_else(|| imported.as_ref().map(|m| m.certificates.clone()))
            .ok_or_else(|| {
                ValidationError::new("idp_certificates", "is required (or give idp_metadata_xml)")
            })?;
        let certificates = pems
            .iter()
            .map(|pem| Certificate::parse(pem))
            .collect::<Result<Vec<_>, _>>()?;
        let logout_url = self
            .logout_url
            .clone()
            .or_else(|| imported.as_ref().and_then(|m| m.logout_url.clone()));
        Ok(SsoInput {
            idp_entity_id: EntityId::parse("idp_entity_id", &entity_id)?,
            idp_certificates: Certificates::new(certificates)?,
            idp_sso_url: HttpUrl::parse("idp_sso_url", &sso_url)?,
            idp_logout_url: logout_url
                .as_deref()
                .map(|u| HttpUrl::parse("logout_url", u))
                .transpose()?,
            sp_slug: SpSlug::parse(&self.sp_slug)?,
            auto_create_users: self.auto_create_users,
            auto_create_groups: self.auto_create_groups,
            name_id_source: match self.name_id_source.as_str() {
                "email" => NameIdSource::Email,
                "upn" => NameIdSource::Upn,
                _ => {
                    return Err(ValidationError::new(
                        "name_id_source",
                        "must be email or upn",
                    ))
                }
            },
            allow_idp_initiated: self.allow_idp_initiated,
            allow_sha1: self.allow_sha1,
        })
    }
}

/// The certificates of an uploaded or pasted file: every PEM block in it, or, when it holds
/// none, the file itself as one DER certificate. Nothing is trusted here: each is checked when
/// the configuration is saved.
pub fn certificates_in(bytes: &[u8]) -> Vec<String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    if let Ok(text) = std::str::from_utf8(bytes) {
        let mut found = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(BEGIN) {
            let Some(len) = rest[start..].find(END) else {
                break;
            };
            let end = start + len + END.len();
            found.push(rest[start..end].to_string());
            rest = &rest[end..];
        }
        if !found.is_empty() || !text.trim().is_empty() && text.is_ascii() {
            return match found.is_empty() {
                // Text that is no PEM: handed on as typed, so the check says what is wrong.
                true => vec![text.trim().to_string()],
                false => found,
            };
        }
    }
    if bytes.is_empty() {
        return Vec::new();
    }
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(bytes);
    vec![format!("{BEGIN}\n{body}\n{END}\n")]
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

    #[test]
    fn a_certificate_file_reads_as_its_pem_blocks_or_as_one_der_certificate() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----";
        let two = format!("subject=CN=x\n{pem}\nissuer\n{pem}\n");
        assert_eq!(
            certificates_in(two.as_bytes()),
            vec![pem.to_string(), pem.to_string()]
        );
        // Text that holds no PEM block is handed on as typed, for the check to refuse.
        assert_eq!(
            certificates_in(b"  not a certificate "),
            vec!["not a certificate".to_string()]
        );
        assert!(certificates_in(b"").is_empty());
        // Bytes that are no text: one DER certificate, as PEM.
        let der = [0x30_u8, 0x82, 0xff, 0x00];
        assert_eq!(
            certificates_in(&der),
            vec!["-----BEGIN CERTIFICATE-----\nMIL/AA==\n-----END CERTIFICATE-----\n".to_string()]
        );
    }
}
