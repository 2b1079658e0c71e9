//! Opaque bearer tokens. An API key reads `chronid_<account id>_<key id>_<secret>` (ids as 32 hex
//! digits, the secret 43 base64url characters): the ids find the key, the 256-bit secret proves it; only the secret's SHA-256 is stored (a
//! slow hash adds nothing for a random 256-bit value).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::system::random_bytes;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Mints `<prefix><id>_<id>..._<secret>` (ids as 32 hex digits, the secret 256 random bits as 43
/// base64url characters): the token, and the SHA-256 of its secret.
fn mint(prefix: &str, ids: &[Uuid]) -> (String, String) {
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let secret_hash = sha256_hex(secret.as_bytes());
    let mut token = prefix.to_string();
    for id in ids {
        token.push_str(&id.simple().to_string());
        token.push('_');
    }
    token.push_str(&secret);
    (token, secret_hash)
}

/// The `N` ids of a token [`mint`] made with `prefix`, and the SHA-256 of its secret (which may
/// itself hold `_`).
fn parse<const N: usize>(token: &str, prefix: &str) -> Option<([Uuid; N], String)> {
    let mut parts = token.strip_prefix(prefix)?.splitn(N + 1, '_');
    let mut ids = [Uuid::nil(); N];
    for id in &mut ids {
        let raw = parts.next()?;
        if raw.len() != 32 {
            return None;
        }
        *id = Uuid::try_parse(raw).ok()?;
    }
    let secret = parts.next()?;
    (secret.len() == 43).then(|| (ids, sha256_hex(secret.as_bytes())))
}

/// A freshly minted API key, `chronid_<account id>_<key id>_<secret>`: the full token is shown
/// once, the hash stored.
pub struct ApiKeyToken {
    /// Shown once to its holder; never logged.
    pub token: SecretString,
    pub secret_hash: String,
}

impl ApiKeyToken {
    pub fn mint(account_id: Uuid, key_id: Uuid) -> Self {
        let (token, secret_hash) = mint("chronid_", &[account_id, key_id]);
        Self {
            token: SecretString::from(token),
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
        let ([account_id, key_id], secret_hash) = parse(token, "chronid_")?;
        Some(Self {
            account_id,
            key_id,
            secret_hash,
        })
    }
}

/// A session token reads `chs_<user id>_<session id>_<secret>`, built like an API key: the ids
/// find the session on the User, the 256-bit secret proves it, only its SHA-256 is stored.
pub struct SessionToken {
    /// Shown once to its holder; never logged.
    pub token: SecretString,
    pub secret_hash: String,
}

impl SessionToken {
    pub fn mint(user_id: Uuid, session_id: Uuid) -> Self {
        let (token, secret_hash) = mint("chs_", &[user_id, session_id]);
        Self {
            token: SecretString::from(token),
            secret_hash,
        }
    }
}

/// The parts of a presented session token.
pub struct ParsedSessionToken {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub secret_hash: String,
}

impl ParsedSessionToken {
    pub fn parse(token: &str) -> Option<Self> {
        let ([user_id, session_id], secret_hash) = parse(token, "chs_")?;
        Some(Self {
            user_id,
            session_id,
            secret_hash,
        })
    }
}

/// A device token reads `chd_<device id>_<secret>`: kept by the client (cookie or
/// `X-Device-Token`) so a later login from the same device is recognised; only its SHA-256 is
/// stored, on the Device.
pub struct DeviceToken {
    /// Shown once to its holder; never logged.
    pub token: SecretString,
    pub secret_hash: String,
}

impl DeviceToken {
    pub fn mint(device_id: Uuid) -> Self {
        let (token, secret_hash) = mint("chd_", &[device_id]);
        Self {
            token: SecretString::from(token),
            secret_hash,
        }
    }
}

/// The parts of a presented device token.
pub struct ParsedDeviceToken {
    pub device_id: Uuid,
    pub secret_hash: String,
}

impl ParsedDeviceToken {
    pub fn parse(token: &str) -> Option<Self> {
        let ([device_id], secret_hash) = parse(token, "chd_")?;
        Some(Self {
            device_id,
            secret_hash,
        })
    }
}

/// What a user-scoped one-off token is for; the prefix tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserTokenKind {
    /// A password reset link's token (`chr_`).
    Reset,
    /// A password-change token from a login with an expired password (`chp_`).
    Change,
}

impl UserTokenKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Reset => "chr_",
            Self::Change => "chp_",
        }
    }
}

/// A one-off token naming a user and one pending item of theirs (reset request, password
/// change): `<prefix><user id>_<item id>_<secret>`, shown once; only the secret's SHA-256 is kept.
pub struct UserToken {
    /// Shown once to its holder; never logged.
    pub token: SecretString,
    pub secret_hash: String,
}

impl UserToken {
    pub fn mint(kind: UserTokenKind, user_id: Uuid, item_id: Uuid) -> Self {
        let (token, secret_hash) = mint(kind.prefix(), &[user_id, item_id]);
        Self {
            token: SecretString::from(token),
            secret_hash,
        }
    }
}

pub struct ParsedUserToken {
    pub kind: UserTokenKind,
    pub user_id: Uuid,
    pub item_id: Uuid,
    pub secret_hash: String,
}

impl ParsedUserToken {
    pub fn parse(token: &str) -> Option<Self> {
        [UserTokenKind::Reset, UserTokenKind::Change]
            .into_iter()
            .find_map(|kind| {
                let ([user_id, item_id], secret_hash) = parse(token, kind.prefix())?;
                Some(Self {
                    kind,
                    user_id,
                    item_id,
                    secret_hash,
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chronid_domain::values::constant_time_eq;
    use secrecy::ExposeSecret;

    #[test]
    fn minted_key_parses_back_to_its_id_and_hash() {
        let (account, id) = (Uuid::from_u128(7), Uuid::from_u128(42));
        let minted = ApiKeyToken::mint(account, id);
        let parsed = ParsedApiKey::parse(minted.token.expose_secret()).unwrap();
        assert_eq!(parsed.account_id, account);
        assert_eq!(parsed.key_id, id);
        assert!(constant_time_eq(
            parsed.secret_hash.as_bytes(),
            minted.secret_hash.as_bytes()
        ));
        assert!(ParsedApiKey::parse("chronid_zz_yy").is_none());
    }

    #[test]
    fn minted_session_token_parses_back_and_a_changed_one_does_not_match() {
        let (user, session) = (Uuid::from_u128(3), Uuid::from_u128(4));
        let minted = SessionToken::mint(user, session);
        let parsed = ParsedSessionToken::parse(minted.token.expose_secret()).unwrap();
        assert_eq!((parsed.user_id, parsed.session_id), (user, session));
        assert_eq!(parsed.secret_hash, minted.secret_hash);
        let mut other = minted.token.expose_secret().to_string();
        let last = other.pop().unwrap();
        other.push(if last == 'A' { 'B' } else { 'A' });
        let changed = ParsedSessionToken::parse(&other).unwrap();
        assert_ne!(changed.secret_hash, minted.secret_hash);
        assert!(ParsedSessionToken::parse("chs_short").is_none());
        assert!(ParsedApiKey::parse(minted.token.expose_secret()).is_none());
    }

    #[test]
    fn minted_device_token_parses_back() {
        let id = Uuid::from_u128(9);
        let minted = DeviceToken::mint(id);
        let parsed = ParsedDeviceToken::parse(minted.token.expose_secret()).unwrap();
        assert_eq!(parsed.device_id, id);
        assert_eq!(parsed.secret_hash, minted.secret_hash);
        assert!(ParsedDeviceToken::parse("chd_nothing").is_none());
    }

    #[test]
    fn minted_user_tokens_parse_back_with_their_kind() {
        let (user, item) = (Uuid::from_u128(7), Uuid::from_u128(8));
        for kind in [UserTokenKind::Reset, UserTokenKind::Change] {
            let minted = UserToken::mint(kind, user, item);
            let parsed = ParsedUserToken::parse(minted.token.expose_secret()).unwrap();
            assert_eq!(parsed.kind, kind);
            assert_eq!((parsed.user_id, parsed.item_id), (user, item));
            assert_eq!(parsed.secret_hash, minted.secret_hash);
        }
        assert!(ParsedUserToken::parse("chs_x").is_none());
    }
}
