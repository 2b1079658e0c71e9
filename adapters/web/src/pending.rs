//! A login in progress between two pages: which accounts to choose from, which challenge to
//! answer, or which password-change token to use. It is kept in the browser, in one cookie,
//! sealed with AES-256-GCM under a key derived from the deployment's secret and bound to the
//! browser id (as associated data), so it can be neither read, forged, nor replayed from
//! another browser; it lasts ten minutes (a challenge's lifetime) and is cleared when used.
//!
//! Choosing an account needs the password once more, so the choice step carries it, sealed;
//! the alternative (the password in a hidden field of the page) would put it in the page's
//! source. Nothing here is logged.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a login may rest between two of its pages.
pub const PENDING_LIFETIME: Duration = Duration::minutes(10);

/// The step a login waits at.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Pending {
    /// The password matched in several accounts.
    Choose {
        login: String,
        password: String,
        accounts: Vec<(Uuid, String)>,
    },
    /// A second factor is due.
    Code {
        challenge_id: Uuid,
        /// sms, voice, email or totp.
        channel: String,
        tries_left: u32,
        /// The authenticator being set up, when an administrator required one: its key and
        /// `otpauth://` URI (the QR image is drawn from it at each showing: an image would
        /// overflow a cookie), shown again if a code is wrong.
        enrolment: Option<(String, String)>,
    },
    /// The password expired: a new one is set with this token.
    Change { token: String },
    /// An SSO login whose user is in several accounts of a shared configuration.
    SsoChoose {
        ticket: String,
        accounts: Vec<(Uuid, String)>,
    },
    /// A Google or GitHub login sent to the provider: what its answer must match.
    ExternalStarted {
        /// `google` or `github`.
        provider: String,
        attempt_id: Uuid,
        state: String,
        /// Google's; GitHub has none.
        nonce: Option<String>,
        verifier: String,
        /// Only this account (the login started on its branded host).
        account: Option<Uuid>,
    },
    /// A Google or GitHub identity whose email is held in several accounts that allow it.
    ExternalChoose {
        provider: String,
        attempt_id: Uuid,
        subject: String,
        email: String,
        accounts: Vec<(Uuid, String)>,
    },
    /// An SSO login whose group sync changed the user's teams: shown until confirmed.
    SsoConfirm {
        ticket: String,
        account_id: Uuid,
        account_name: String,
        added: Vec<String>,
        removed: Vec<String>,
    },
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pending::Choose { accounts, .. } => write!(f, "Choose({} accounts)", accounts.len()),
            Pending::Code { channel, .. } => write!(f, "Code({channel})"),
            Pending::Change { .. } => f.write_str("Change"),
            Pending::SsoChoose { accounts, .. } => {
                write!(f, "SsoChoose({} accounts)", accounts.len())
            }
            Pending::SsoConfirm { .. } => f.write_str("SsoConfirm"),
            Pending::ExternalStarted { provider, .. } => write!(f, "ExternalStarted({provider})"),
            Pending::ExternalChoose { provider, .. } => write!(f, "ExternalChoose({provider})"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    until: DateTime<Utc>,
    pending: Pending,
}

/// Seals and opens pending logins with one key.
#[derive(Clone)]
pub struct PendingSealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for PendingSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingSealer([redacted])")
    }
}

impl PendingSealer {
    /// A sealer keyed from `secret` under its own label (never the secrets' sealing key).
    pub fn from_secret(secret: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"chronid web pending login v1\0");
        hash.update(secret);
        let key: [u8; 32] = hash.finalize().into();
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    /// The cookie value of `pending` for browser `browser_id`, valid until `now` + lifetime.
    pub fn seal(&self, pending: Pending, browser_id: &str, now: DateTime<Utc>) -> Option<String> {
        let plain = serde_json::to_vec(&Sealed {
            until: now + PENDING_LIFETIME,
            pending,
        })
        .ok()?;
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: browser_id.as_bytes(),
                },
            )
            .ok()?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Some(URL_SAFE_NO_PAD.encode(blob))
    }

    /// The pending login in `value`, if it was sealed for `browser_id` and has not expired.
    pub fn open(&self, value: &str, browser_id: &str, now: DateTime<Utc>) -> Option<Pending> {
        let blob = URL_SAFE_NO_PAD.decode(value).ok()?;
        if blob.len() < 12 + 16 {
            return None;
        }
        let (nonce, sealed) = blob.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: browser_id.as_bytes(),
                },
            )
            .ok()?;
        let opened: Sealed = serde_json::from_slice(&plain).ok()?;
        (opened.until > now).then_some(opened.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> Pending {
        Pending::Change {
            token: "cht_secret".into(),
        }
    }

    #[test]
    fn a_pending_login_opens_only_in_its_browser_and_only_in_time() {
        let sealer = PendingSealer::from_secret(b"k1");
        let now = DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let value = sealer.seal(change(), "browser-a", now).unwrap();
        assert!(!value.contains("cht_secret"));
        assert!(matches!(
            sealer.open(&value, "browser-a", now),
            Some(Pending::Change { token }) if token == "cht_secret"
        ));
        assert!(sealer.open(&value, "browser-b", now).is_none());
        assert!(sealer
            .open(&value, "browser-a", now + PENDING_LIFETIME)
            .is_none());
        let other_key = PendingSealer::from_secret(b"k2");
        assert!(other_key.open(&value, "browser-a", now).is_none());
        let mut tampered = value.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(sealer.open(&tampered, "browser-a", now).is_none());
        assert!(sealer.open("garbage", "browser-a", now).is_none());
    }
}
