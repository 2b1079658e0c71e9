//! Ports: what the domain needs from the outside world, as traits. The real implementations live in
//! `chronid-adapters` (`crypto`); deterministic ones for tests in `testing`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::values::{Password, StoredSecret};

/// The current time. Aggregates never read the system clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// New identifiers (UUID v7 in production).
pub trait IdGenerator: Send + Sync {
    fn new_id(&self) -> Uuid;
}

/// Unpredictable numbers, for one-time codes.
pub trait Random: Send + Sync {
    /// A uniformly drawn number below `bound`.
    fn below(&self, bound: u32) -> u32;
}

/// A failure inside a port; its text is for logs, never for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{port} failed: {reason}")]
pub struct PortError {
    pub port: &'static str,
    pub reason: String,
}

impl PortError {
    /// The reason of a port that refuses work because its queue is full.
    pub const OVERLOADED: &'static str = "overloaded: too much work queued";

    pub fn overloaded(port: &'static str) -> Self {
        Self {
            port,
            reason: Self::OVERLOADED.to_string(),
        }
    }

    /// Whether the port refused the work because it is busy (the caller may retry).
    pub fn is_overloaded(&self) -> bool {
        self.reason == Self::OVERLOADED
    }
}

/// Password hashing (argon2id in production). Costly: the adapter runs it on a bounded pool.
#[async_trait::async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A self-describing hash string (PHC format) of `password`.
    async fn hash(&self, password: &Password) -> Result<StoredSecret, PortError>;
    /// Whether `password` matches `hash`.
    async fn verify(&self, password: &Password, hash: &StoredSecret) -> Result<bool, PortError>;
}

/// Seals small secrets (TOTP keys, one-time codes for delivery) for storage; AES-256-GCM under a key
/// from configuration in production, key id kept beside the ciphertext.
pub trait SecretSealer: Send + Sync {
    fn seal(&self, plaintext: &[u8]) -> Result<StoredSecret, PortError>;
    fn open(&self, sealed: &StoredSecret) -> Result<Vec<u8>, PortError>;
    /// A keyed digest of `value` within `context` (HMAC-SHA256 under a key derived from the
    /// sealing key in production): for one-time codes, whose few digits a plain hash would not
    /// protect against a copy of the store.
    fn digest(&self, context: &str, value: &[u8]) -> Result<StoredSecret, PortError>;
}

/// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30-second steps).
pub trait TotpAlgorithm: Send + Sync {
    /// A new random secret (160 bits).
    fn new_secret(&self) -> Vec<u8>;
    /// The time steps around `at` (one before, the current, one after) whose code is `code`,
    /// oldest first.
    fn matching_steps(&self, secret: &[u8], code: &str, at: DateTime<Utc>) -> Vec<u64>;
}
