//! An IdP signing certificate as a configuration is about to trust it: an X.509 certificate
//! (OpenSSL parses it, as xmlsec will when it checks a signature with it), valid now, whose key
//! is RSA of at least 2048 bits or an elliptic curve. A configuration without such a certificate
//! is refused: samael skips signature checks entirely when it has none.

use chrono::{DateTime, Utc};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::nid::Nid;
use openssl::pkey::Id;
use openssl::x509::X509;

/// Smallest RSA key taken.
pub const MIN_RSA_BITS: u32 = 2048;

/// What a configuration shows of a certificate it trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpCertificate {
    /// The subject's common name, else the whole subject.
    pub subject: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// `RSA 2048`, `EC prime256v1`...
    pub key: String,
}

/// Why a certificate cannot be trusted, in words an administrator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateProblem {
    #[error("is not a readable X.509 certificate")]
    Unreadable,
    #[error("expired on {0}")]
    Expired(DateTime<Utc>),
    #[error("is not valid before {0}")]
    NotYetValid(DateTime<Utc>),
    #[error("has an RSA key of {0} bits; at least 2048 are needed")]
    WeakKey(u32),
    #[error("has a key that cannot sign SAML messages (only RSA and elliptic-curve keys can)")]
    UnsupportedKey,
}

fn to_utc(time: &Asn1TimeRef) -> Result<DateTime<Utc>, CertificateProblem> {
    let epoch = Asn1Time::from_unix(0).map_err(|_| CertificateProblem::Unreadable)?;
    let diff = epoch
        .diff(time)
        .map_err(|_| CertificateProblem::Unreadable)?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::from_timestamp(secs, 0).ok_or(CertificateProblem::Unreadable)
}

/// Parses `der` and checks it can be trusted at `now`.
pub fn inspect(der: &[u8], now: DateTime<Utc>) -> Result<IdpCertificate, CertificateProblem> {
    let cert = X509::from_der(der).map_err(|_| CertificateProblem::Unreadable)?;
    let not_before = to_utc(cert.not_before())?;
    let not_after = to_utc(cert.not_after())?;
    if not_after <= now {
        return Err(CertificateProblem::Expired(not_after));
    }
    if not_before > now {
        return Err(CertificateProblem::NotYetValid(not_before));
    }
    let key = cert
        .public_key()
        .map_err(|_| CertificateProblem::Unreadable)?;
    let key = match key.id() {
        Id::RSA => {
            let bits = key.bits();
            if bits < MIN_RSA_BITS {
                return Err(CertificateProblem::WeakKey(bits));
            }
            format!("RSA {bits}")
        }
        Id::EC => {
            let curve = key
                .ec_key()
                .ok()
                .and_then(|k| k.group().curve_name())
                .and_then(|n| n.short_name().ok().map(str::to_string))
                .unwrap_or_else(|| "curve".into());
            format!("EC {curve}")
        }
        _ => return Err(CertificateProblem::UnsupportedKey),
    };
    let subject = cert
        .subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .unwrap_or_else(|| format!("{:?}", cert.subject_name()));
    Ok(IdpCertificate {
        subject,
        not_before,
        not_after,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::pkey::{PKey, Private};
    use openssl::rsa::Rsa;
    use openssl::x509::X509NameBuilder;

    /// A self-signed certificate for `key`, valid from `from` to `to` (unix seconds).
    fn certificate(key: &PKey<Private>, from: i64, to: i64) -> Vec<u8> {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::COMMONNAME, "idp.example.test")
            .unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(key).unwrap();
        b.set_not_before(&Asn1Time::from_unix(from).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::from_unix(to).unwrap()).unwrap();
        b.sign(key, MessageDigest::sha256()).unwrap();
        b.build().to_der().unwrap()
    }

    fn rsa(bits: u32) -> PKey<Private> {
        PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    const NOW: i64 = 1_800_000_000;
    const YEAR: i64 = 365 * 86_400;

    #[test]
    fn a_current_rsa_or_ec_certificate_is_trusted_with_its_dates() {
        let der = certificate(&rsa(2048), NOW - YEAR, NOW + YEAR);
        let c = inspect(&der, at(NOW)).unwrap();
        assert_eq!(c.subject, "idp.example.test");
        assert_eq!(c.key, "RSA 2048");
        assert_eq!(
            (c.not_before, c.not_after),
            (at(NOW - YEAR), at(NOW + YEAR))
        );
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let ec = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let c = inspect(&certificate(&ec, NOW - 10, NOW + 10), at(NOW)).unwrap();
        assert_eq!(c.key, "EC prime256v1");
    }

    #[test]
    fn expired_future_weak_and_garbage_certificates_are_refused() {
        let key = rsa(2048);
        assert_eq!(
            inspect(&certificate(&key, NOW - YEAR, NOW - 1), at(NOW)),
            Err(CertificateProblem::Expired(at(NOW - 1)))
        );
        assert_eq!(
            inspect(&certificate(&key, NOW + 60, NOW + YEAR), at(NOW)),
            Err(CertificateProblem::NotYetValid(at(NOW + 60)))
        );
        assert_eq!(
            inspect(&certificate(&rsa(1024), NOW - 1, NOW + 1), at(NOW)),
            Err(CertificateProblem::WeakKey(1024))
        );
        assert_eq!(
            inspect(b"\x30\x03\x02\x01\x00", at(NOW)),
            Err(CertificateProblem::Unreadable)
        );
        let message = CertificateProblem::WeakKey(1024).to_string();
        assert!(message.contains("2048"), "{message}");
    }
}
