//! TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) through totp-rs, and what an
//! authenticator app needs to enrol: the secret in base32, the `otpauth://` URI and that URI as
//! a QR code in a PNG.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chronid_domain::ports::TotpAlgorithm;
use chrono::{DateTime, Utc};
use qrcodegen::{QrCode, QrCodeEcc};
use secrecy::SecretString;
use totp_rs::{Builder, Totp};

use super::system::random_bytes;

/// Seconds in one step.
const STEP: u64 = 30;
/// PNG pixels per QR module.
const SCALE: u32 = 6;
/// Light modules around the code, as the QR specification asks.
const QUIET_ZONE: u32 = 4;

pub struct RfcTotp;

fn totp(secret: &[u8], issuer: Option<String>, account_name: String) -> Result<Totp, String> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_skew(0)
        .with_step_duration(STEP)
        .with_issuer(issuer)
        .with_account_name(account_name)
        .build()
        .map_err(|e| e.to_string())
}

impl TotpAlgorithm for RfcTotp {
    fn new_secret(&self) -> Vec<u8> {
        random_bytes::<20>().to_vec()
    }

    fn matching_steps(&self, secret: &[u8], code: &str, at: DateTime<Utc>) -> Vec<u64> {
        let Ok(totp) = totp(secret, None, String::new()) else {
            return Vec::new();
        };
        let Ok(now) = u64::try_from(at.timestamp()) else {
            return Vec::new();
        };
        // One step of drift either way, for clocks and slow typing.
        [now.saturating_sub(STEP), now, now + STEP]
            .into_iter()
            .filter_map(|t| totp.check(code, t))
            .collect()
    }
}

/// What the user's authenticator app needs.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    /// The secret in base32, for typing in by hand. All three fields carry the secret: they
    /// are shown to the user once, never logged.
    pub secret: SecretString,
    pub otpauth_uri: SecretString,
    /// The URI as a QR code, PNG, base64.
    pub qr_png_base64: SecretString,
}

/// The enrolment of `secret` for `account_name` (the user's email) at `issuer` (the account's
/// name). Colons, which the URI format reserves, become spaces.
pub fn enrolment(secret: &[u8], issuer: &str, account_name: &str) -> Result<TotpEnrolment, String> {
    let issuer = issuer.replace(':', " ");
    let issuer = (!issuer.trim().is_empty()).then(|| issuer.trim().to_string());
    let totp = totp(secret, issuer, account_name.replace(':', " "))?;
    let otpauth_uri = totp.to_url().map_err(|e| e.to_string())?;
    let png = qr_png(&otpauth_uri)?;
    Ok(TotpEnrolment {
        secret: SecretString::from(totp.secret().to_base32()),
        otpauth_uri: SecretString::from(otpauth_uri),
        qr_png_base64: SecretString::from(STANDARD.encode(png)),
    })
}

/// `text` (an `otpauth://` URI) as a QR code: PNG bytes in base64, for a `data:` URL.
pub fn qr_png_base64(text: &str) -> Result<String, String> {
    qr_png(text).map(|png| STANDARD.encode(png))
}

/// `text` as a black-on-white QR code in an 8-bit greyscale PNG.
fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|e| e.to_string())?;
    let modules = u32::try_from(qr.size()).map_err(|e| e.to_string())?;
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = Vec::with_capacity((side * side) as usize);
    for y in 0..side {
        for x in 0..side {
            let module = |p: u32| (p / SCALE) as i32 - QUIET_ZONE as i32;
            let dark = qr.get_module(module(x), module(y));
            pixels.push(if dark { 0u8 } else { 255u8 });
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use secrecy::ExposeSecret;

    /// RFC 6238 appendix B: the SHA-1 secret "12345678901234567890" gives 94287082 (8 digits)
    /// at T = 59 s, so the 6-digit code is 287082.
    #[test]
    fn matches_the_rfc_test_vector_within_one_step() {
        let secret = b"12345678901234567890";
        let at = Utc.timestamp_opt(59, 0).single().unwrap();
        assert_eq!(RfcTotp.matching_steps(secret, "287082", at), vec![1]);
        // A step later it is still taken (drift), two steps later not.
        let later = Utc.timestamp_opt(59 + 30, 0).single().unwrap();
        assert_eq!(RfcTotp.matching_steps(secret, "287082", later), vec![1]);
        let too_late = Utc.timestamp_opt(59 + 60, 0).single().unwrap();
        assert!(RfcTotp
            .matching_steps(secret, "287082", too_late)
            .is_empty());
        assert!(RfcTotp.matching_steps(secret, "287083", at).is_empty());
    }

    #[test]
    fn enrolment_gives_uri_and_a_png() {
        let e = enrolment(b"12345678901234567890", "Acme: Inc", "ana@acme.test").unwrap();
        assert_eq!(e.secret.expose_secret(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(e
            .otpauth_uri
            .expose_secret()
            .starts_with("otpauth://totp/Acme%20%20Inc:ana%40acme.test?"));
        assert!(e
            .otpauth_uri
            .expose_secret()
            .contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
        let png = STANDARD.decode(e.qr_png_base64.expose_secret()).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
