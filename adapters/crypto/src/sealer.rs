//! AES-256-GCM sealing of small secrets. The stored form is `v1:<key id>:<base64 nonce||ciphertext>`
//! so keys can rotate: the key id says which key opens it.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use chronid_domain::ports::{PortError, SecretSealer};
use chronid_domain::values::StoredSecret;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::system::random_bytes;
use super::token::sha256_hex;

pub struct AesGcmSealer {
    cipher: Aes256Gcm,
    key_id: String,
    /// The HMAC key of `digest`, derived from the sealing key (never the same bytes).
    digest_key: [u8; 32],
}

fn port_error(reason: &str) -> PortError {
    PortError {
        port: "secret sealer",
        reason: reason.to_string(),
    }
}

impl AesGcmSealer {
    /// A sealer for a 32-byte key; its id is the first 8 hex digits of the key's SHA-256.
    pub fn new(key: [u8; 32]) -> Self {
        let key_id = sha256_hex(&key)[..8].to_string();
        let mut derive = Sha256::new();
        derive.update(b"chronid/digest-key/v1\0");
        derive.update(key);
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            key_id,
            digest_key: derive.finalize().into(),
        }
    }
}

impl AesGcmSealer {
    /// A sealer under a fresh random key, for commands that seal nothing kept (`bootstrap`).
    pub fn with_random_key() -> Self {
        Self::new(random_bytes())
    }
}

impl SecretSealer for AesGcmSealer {
    fn seal(&self, plaintext: &[u8]) -> Result<StoredSecret, PortError> {
        let nonce_bytes: [u8; 12] = random_bytes();
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce_bytes), plaintext)
            .map_err(|_| port_error("encryption failed"))?;
        let mut blob = nonce_bytes.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(StoredSecret(format!(
            "v1:{}:{}",
            self.key_id,
            STANDARD_NO_PAD.encode(blob)
        )))
    }

    fn open(&self, sealed: &StoredSecret) -> Result<Vec<u8>, PortError> {
        let mut parts = sealed.0.splitn(3, ':');
        let (Some("v1"), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(port_error("unknown sealed format"));
        };
        if key_id != self.key_id {
            return Err(port_error("sealed under another key"));
        }
        let blob = STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| port_error("bad encoding"))?;
        if blob.len() < 12 {
            return Err(port_error("truncated"));
        }
        let (nonce, ciphertext) = blob.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| port_error("authentication failed"))
    }

    fn digest(&self, context: &str, value: &[u8]) -> Result<StoredSecret, PortError> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.digest_key)
            .map_err(|_| port_error("bad digest key"))?;
        mac.update(context.as_bytes());
        mac.update(b"\0");
        mac.update(value);
        Ok(StoredSecret(format!(
            "h1:{}:{}",
            self.key_id,
            hex::encode(mac.finalize().into_bytes())
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trips_and_detects_tampering() {
        let sealer = AesGcmSealer::new([7u8; 32]);
        let sealed = sealer.seal(b"JBSWY3DPEHPK3PXP").unwrap();
        assert!(!sealed.0.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(sealer.open(&sealed).unwrap(), b"JBSWY3DPEHPK3PXP");
        let mut tampered = sealed.0.clone();
        tampered.pop();
        tampered.push(if sealed.0.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open(&StoredSecret(tampered)).is_err());
        assert!(AesGcmSealer::new([8u8; 32]).open(&sealed).is_err());
    }

    #[test]
    fn digest_is_keyed_and_bound_to_its_context() {
        let sealer = AesGcmSealer::new([7u8; 32]);
        let a = sealer.digest("2fa-code:x", b"123456").unwrap();
        assert_eq!(a, sealer.digest("2fa-code:x", b"123456").unwrap());
        assert_ne!(a, sealer.digest("2fa-code:y", b"123456").unwrap());
        assert_ne!(a, sealer.digest("2fa-code:x", b"123457").unwrap());
        assert_ne!(
            a,
            AesGcmSealer::new([8u8; 32])
                .digest("2fa-code:x", b"123456")
                .unwrap()
        );
        assert!(!a.0.contains("123456"));
    }
}
