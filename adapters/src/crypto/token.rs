//! Opaque bearer tokens. An API key reads `chronid_<account id>_<key id>_<secret>` (ids as 32 hex
//! digits, the secret 43 base64url characters): the ids find the key, the 256-bit secret proves it; only the secret's SHA-256 is stored (a
//! slow hash adds nothing for a random 256-bit value).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::system::random_bytes;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A freshly minted API key: the full token is shown once, the hash stored.
pub struct ApiKeyToken {
    pub token: String,
    pub secret_hash: String,
}

impl ApiKeyToken {
    pub fn mint(account_id: Uuid, key_id: Uuid) -> Self {
        let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
        let secret_hash = sha256_hex(secret.as_bytes());
        Self {
            token: format!(
                "chronid_{}_{}_{}",
                account_id.simple(),
                key_id.simple(),
                secret
            ),
            secret_hash,
        }
    }
}

/// The parts of a presented API key.
pub struct ParsedApiKey {
    pub account_id: Uuid,
    pub key_id: Uuid,
    pub secret_hash: String,
}

impl ParsedApiKey {
    pub fn parse(token: &str) -> Option<Self> {
        let rest = token.strip_prefix("chronid_")?;
        let mut parts = rest.splitn(3, '_');
        let (account, id, secret) = (parts.next()?, parts.next()?, parts.next()?);
        if account.len() != 32 || id.len() != 32 || secret.len() != 43 {
            return None;
        }
        Some(Self {
            account_id: Uuid::try_parse(account).ok()?,
            key_id: Uuid::try_parse(id).ok()?,
            secret_hash: sha256_hex(secret.as_bytes()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_key_parses_back_to_its_id_and_hash() {
        let (account, id) = (Uuid::from_u128(7), Uuid::from_u128(42));
        let minted = ApiKeyToken::mint(account, id);
        let parsed = ParsedApiKey::parse(&minted.token).unwrap();
        assert_eq!(parsed.account_id, account);
        assert_eq!(parsed.key_id, id);
        assert!(constant_time_eq(
            parsed.secret_hash.as_bytes(),
            minted.secret_hash.as_bytes()
        ));
        assert!(ParsedApiKey::parse("chronid_zz_yy").is_none());
    }
}
