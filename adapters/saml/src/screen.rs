//! A strict reading of a Response before xmlsec sees it. xmlsec, as samael drives it, would
//! follow any Reference URI (a URL, a file) and run any transform (XSLT, XPath) while checking
//! a signature, before it compares the signature value; this screen lets through only the
//! signatures a SAML IdP makes: one Reference to the ID of the signed element (the Response or
//! the Assertion), the enveloped-signature and exclusive canonicalisation transforms, and
//! SHA-256 or stronger (SHA-1 where the configuration allows it). It also refuses a DOCTYPE,
//! processing instructions, comments, an encoding other than UTF-8, duplicate IDs, and any
//! number of assertions but one. Names are read with their namespaces and values unescaped, so
//! prefixes, character references and entities cannot disguise them.

use std::collections::HashSet;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::response::Refusal;

const DS: &[u8] = b"http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N_NS: &[u8] = b"http://www.w3.org/2001/10/xml-exc-c14n#";
const ASSERTION_NS: &[u8] = b"urn:oasis:names:tc:SAML:2.0:assertion";
const PROTOCOL_NS: &[u8] = b"urn:oasis:names:tc:SAML:2.0:protocol";

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SIGNATURES: [&str; 6] = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
const DIGESTS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
const SHA1_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1_DIGEST: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// One element open on the way down.
struct Open {
    ns: Vec<u8>,
    local: Vec<u8>,
    id: Option<String>,
}

/// The signature being read: the ID it must point at, and its References so far.
struct Signing {
    depth: usize,
    target: String,
    references: usize,
}

fn attribute(e: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>, Refusal> {
    for a in e.attributes() {
        let a = a.map_err(|_| Refusal::Encoding)?;
        if a.key.as_ref() == name {
            let value = a.unescape_value().map_err(|_| Refusal::Encoding)?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

fn algorithm(e: &BytesStart<'_>) -> Result<String, Refusal> {
    attribute(e, b"Algorithm")?.ok_or(Refusal::Signature)
}

/// Reads `xml` strictly; `Ok` when xmlsec may check it.
pub(crate) fn screen(xml: &str, allow_sha1: bool) -> Result<(), Refusal> {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Open> = Vec::new();
    let mut ids = HashSet::new();
    let (mut assertions, mut signatures) = (0usize, 0usize);
    let mut signing: Option<Signing> = None;
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|_| Refusal::Encoding)?;
        match event {
            Event::Decl(decl) => {
                if let Some(encoding) = decl.encoding() {
                    let encoding = encoding.map_err(|_| Refusal::Encoding)?;
                    if !encoding.eq_ignore_ascii_case(b"utf-8") {
                        return Err(Refusal::Encoding);
                    }
                }
            }
            Event::DocType(_) | Event::PI(_) => return Err(Refusal::Encoding),
            Event::Comment(_) => return Err(Refusal::Comments),
            Event::Start(e) => {
                let ns = match resolved {
                    ResolveResult::Bound(ns) => ns.as_ref().to_vec(),
                    ResolveResult::Unbound => Vec::new(),
                    ResolveResult::Unknown(_) => return Err(Refusal::Encoding),
                };
                let local = e.local_name().as_ref().to_vec();
                let id = attribute(&e, b"ID")?;
                if let Some(id) = &id {
                    if !ids.insert(id.clone()) {
                        return Err(Refusal::Signature);
                    }
                }
                match (ns.as_slice(), local.as_slice()) {
                    (ASSERTION_NS, b"Assertion") => assertions += 1,
                    (ASSERTION_NS, b"EncryptedAssertion") => return Err(Refusal::AssertionCount),
                    _ => {}
                }
                if ns == DS {
                    match local.as_slice() {
                        b"Signature" => {
                            if signing.is_some() {
                                return Err(Refusal::Signature);
                            }
                            // Its parent is what it signs: the Response or the Assertion.
                            let target = stack
                                .last()
                                .filter(|p| {
                                    (p.ns == PROTOCOL_NS && p.local == b"Response")
                                        || (p.ns == ASSERTION_NS && p.local == b"Assertion")
                                })
                                .and_then(|p| p.id.clone())
                                .ok_or(Refusal::Signature)?;
                            signatures += 1;
                            signing = Some(Signing {
                                depth: stack.len(),
                                target,
                                references: 0,
                            });
                        }
                        b"CanonicalizationMethod" if algorithm(&e)? != EXC_C14N => {
                            return Err(Refusal::Signature)
                        }
                        b"SignatureMethod" => {
                            let a = algorithm(&e)?;
                            if a == SHA1_SIGNATURE && !allow_sha1 {
                                return Err(Refusal::WeakAlgorithm("SHA-1"));
                            }
                            if a != SHA1_SIGNATURE && !SIGNATURES.contains(&a.as_str()) {
                                return Err(Refusal::WeakAlgorithm(
                                    "not an allowed signature method",
                                ));
                            }
                        }
                        b"DigestMethod" => {
                            let a = algorithm(&e)?;
                            if a == SHA1_DIGEST && !allow_sha1 {
                                return Err(Refusal::WeakAlgorithm("SHA-1"));
                            }
                            if a != SHA1_DIGEST && !DIGESTS.contains(&a.as_str()) {
                                return Err(Refusal::WeakAlgorithm("not an allowed digest method"));
                            }
                        }
                        b"Transform" => {
                            let a = algorithm(&e)?;
                            if a != ENVELOPED && a != EXC_C14N {
                                return Err(Refusal::Signature);
                            }
                        }
                        b"Reference" => {
                            let s = signing.as_mut().ok_or(Refusal::Signature)?;
                            s.references += 1;
                            let uri = attribute(&e, b"URI")?.unwrap_or_default();
                            if s.references > 1 || uri != format!("#{}", s.target) {
                                return Err(Refusal::Signature);
                            }
                        }
                        b"Object" | b"Manifest" | b"RetrievalMethod" | b"XPath" => {
                            return Err(Refusal::Signature)
                        }
                        _ => {}
                    }
                    if signing.is_none() {
                        // A ds element outside a Signature (a KeyInfo loose in the document).
                        return Err(Refusal::Signature);
                    }
                } else if signing.is_some() && ns != EXC_C14N_NS {
                    // Inside a Signature only ds elements, and exclusive c14n's prefix list.
                    return Err(Refusal::Signature);
                }
                stack.push(Open { ns, local, id });
            }
            Event::End(_) => {
                let closing = stack.pop().ok_or(Refusal::Encoding)?;
                if let Some(s) = &signing {
                    if s.depth == stack.len() && closing.ns == DS && closing.local == b"Signature" {
                        if s.references != 1 {
                            return Err(Refusal::Signature);
                        }
                        signing = None;
                    }
                }
            }
            Event::Eof => break,
            Event::Text(_) | Event::CData(_) | Event::Empty(_) => {}
        }
    }
    if assertions != 1 {
        return Err(Refusal::AssertionCount);
    }
    if signatures == 0 {
        return Err(Refusal::Signature);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Response whose Assertion carries a Signature made of `signature` (the content between
    /// the ds:Signature tags), with `prolog` before the root.
    fn response(prolog: &str, signature: &str) -> String {
        format!(
            r##"{prolog}<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="r1" Destination="https://sp/acs"><saml:Assertion ID="a1"><saml:Issuer>https://idp</saml:Issuer><ds:Signature>{signature}</ds:Signature><saml:Subject><saml:NameID>carol@contoso.test</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>"##
        )
    }

    fn signed_info(reference: &str, transform: &str, method: &str, digest: &str) -> String {
        format!(
            r##"<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="{reference}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="{transform}"/></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AA==</ds:SignatureValue>"##
        )
    }

    const RSA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

    fn good() -> String {
        signed_info("#a1", EXC_C14N, RSA256, SHA256)
    }

    #[test]
    fn the_signature_an_idp_makes_passes() {
        let xml = response(r#"<?xml version="1.0" encoding="UTF-8"?>"#, &good());
        assert_eq!(screen(&xml, false), Ok(()));
    }

    #[test]
    fn what_would_make_xmlsec_fetch_or_run_anything_is_refused() {
        let cases = [
            signed_info(
                "http://169.254.169.254/latest/meta-data",
                EXC_C14N,
                RSA256,
                SHA256,
            ),
            signed_info("file:///dev/zero", EXC_C14N, RSA256, SHA256),
            signed_info("", EXC_C14N, RSA256, SHA256),
            signed_info("#r1", EXC_C14N, RSA256, SHA256),
            signed_info(
                "#a1",
                "http://www.w3.org/TR/1999/REC-xslt-19991116",
                RSA256,
                SHA256,
            ),
            signed_info(
                "#a1",
                "http://www.w3.org/TR/1999/REC-xpath-19991116",
                RSA256,
                SHA256,
            ),
            format!("{}<ds:Object>x</ds:Object>", good()),
            format!(
                "{}<ds:KeyInfo><ds:RetrievalMethod URI=\"http://x\"/></ds:KeyInfo>",
                good()
            ),
            good().replace(
                "</ds:SignedInfo>",
                "<ds:Reference URI=\"#a1\"/></ds:SignedInfo>",
            ),
        ];
        for signature in cases {
            let xml = response("", &signature);
            assert_eq!(screen(&xml, false), Err(Refusal::Signature), "{signature}");
        }
    }

    #[test]
    fn weak_algorithms_are_refused_however_they_are_written() {
        let sha1 = signed_info(
            "#a1",
            EXC_C14N,
            "http://www.w3.org/2000/09/xmldsig&#35;rsa-sha1",
            SHA256,
        );
        assert_eq!(
            screen(&response("", &sha1), false),
            Err(Refusal::WeakAlgorithm("SHA-1"))
        );
        assert_eq!(screen(&response("", &sha1), true), Ok(()));
        let md5 = signed_info(
            "#a1",
            EXC_C14N,
            "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
            SHA256,
        );
        assert!(matches!(
            screen(&response("", &md5), true),
            Err(Refusal::WeakAlgorithm(_))
        ));
        let digest = signed_info(
            "#a1",
            EXC_C14N,
            RSA256,
            "http://www.w3.org/2000/09/xmldsig#sha1",
        );
        assert_eq!(
            screen(&response("", &digest), false),
            Err(Refusal::WeakAlgorithm("SHA-1"))
        );
    }

    #[test]
    fn doctypes_instructions_comments_and_other_encodings_are_refused() {
        let doctype = response("<!DOCTYPE r [<!ENTITY x \"y\">]>", &good());
        assert_eq!(screen(&doctype, false), Err(Refusal::Encoding));
        let utf7 = response(r#"<?xml version="1.0" encoding="UTF-7"?>"#, &good());
        assert_eq!(screen(&utf7, false), Err(Refusal::Encoding));
        let pi = response("<?xml-stylesheet href=\"x\"?>", &good());
        assert_eq!(screen(&pi, false), Err(Refusal::Encoding));
        let comment =
            response("", &good()).replace("carol@contoso.test<", "carol@contoso.test<!---->.evil<");
        assert_eq!(screen(&comment, false), Err(Refusal::Comments));
    }

    #[test]
    fn a_second_assertion_or_a_repeated_id_is_refused() {
        let xml = response("", &good());
        let twice = xml.replace(
            "<saml:Assertion ID=\"a1\">",
            "<saml:Assertion ID=\"evil\"><saml:Issuer>https://idp</saml:Issuer></saml:Assertion><saml:Assertion ID=\"a1\">",
        );
        assert_eq!(screen(&twice, false), Err(Refusal::AssertionCount));
        let prefixed = xml.replace(
            "<saml:Assertion ID=\"a1\">",
            "<x:Assertion xmlns:x=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"e2\"/><saml:Assertion ID=\"a1\">",
        );
        assert_eq!(screen(&prefixed, false), Err(Refusal::AssertionCount));
        let same_id = xml.replace("ID=\"r1\"", "ID=\"a1\"");
        assert_eq!(screen(&same_id, false), Err(Refusal::Signature));
        let unsigned = response("", "").replace("<ds:Signature></ds:Signature>", "");
        assert_eq!(screen(&unsigned, false), Err(Refusal::Signature));
    }
}
