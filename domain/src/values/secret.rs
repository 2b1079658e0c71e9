//! Secrets: a password as typed, a stored (hashed or sealed) secret, a one-time code; none of
//! them shows its value in `Debug`.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// A plaintext password on its way to the hasher. Never serialized, never printed.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&n) {
            return Err(ValidationError::new(
                "password",
                format!(
                    "must be {} to {} characters long",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// A password as typed at login: checked only against the stored hash, so any length up to
    /// `MAX_LEN` is taken (a too-short guess is a wrong password, not a different answer).
    pub fn presented(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if !(1..=Self::MAX_LEN).contains(&n) {
            return Err(ValidationError::new(
                "password",
                format!("must be 1 to {} characters long", Self::MAX_LEN),
            ));
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.expose().as_bytes(), other.expose().as_bytes())
    }
}

impl Eq for Password {}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A digest or sealed value that must stay in the store. Its `Debug` hides the content; the field
/// that holds it is named `*_hash` or `*_sealed` so the public form strips it (see `public`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredSecret(pub String);

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredSecret([redacted])")
    }
}

/// Compares two byte strings in time that depends on their lengths only, not on where they
/// first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl StoredSecret {
    /// Compares two digests with [`constant_time_eq`].
    pub fn matches(&self, other: &StoredSecret) -> bool {
        self.matches_digest(&other.0)
    }

    /// Compares with the digest of a presented secret, with [`constant_time_eq`].
    pub fn matches_digest(&self, digest: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), digest.as_bytes())
    }
}

/// A one-time code as typed: six digits (spaces and dashes between them are ignored). Never
/// logged: its `Debug` form is redacted.
#[derive(Clone)]
pub struct OneTimeCode(SecretString);

impl OneTimeCode {
    pub const DIGITS: usize = 6;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != Self::DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "code",
                format!("must be {} digits", Self::DIGITS),
            ));
        }
        Ok(Self(SecretString::from(digits)))
    }

    /// The code for a number below 10^6, zero-padded.
    pub fn from_number(n: u32) -> Self {
        Self(SecretString::from(format!("{:06}", n % 1_000_000)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for OneTimeCode {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.expose().as_bytes(), other.expose().as_bytes())
    }
}

impl Eq for OneTimeCode {}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode([redacted])")
    }
}
