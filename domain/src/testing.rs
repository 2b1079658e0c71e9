//! Deterministic ports for given/when/then tests: a fixed clock, sequential ids, a transparent
//! "hasher" and "sealer" whose output is predictable so expected events can be written out.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::ports::{
    Clock, IdGenerator, PasswordHasher, PortError, Random, SecretSealer, TotpAlgorithm,
};
use crate::values::{Password, StoredSecret};
use crate::Services;

pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub struct SequentialIds(AtomicU64);

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::SeqCst)) + 0x1000)
    }
}

pub struct CountingRandom(AtomicU32);

impl Random for CountingRandom {
    fn below(&self, bound: u32) -> u32 {
        self.0.fetch_add(1, Ordering::SeqCst) % bound
    }
}

pub struct PlainHasher;

#[async_trait::async_trait]
impl PasswordHasher for PlainHasher {
    async fn hash(&self, password: &Password) -> Result<StoredSecret, PortError> {
        Ok(StoredSecret(format!("hashed:{}", password.expose())))
    }

    async fn verify(&self, password: &Password, hash: &StoredSecret) -> Result<bool, PortError> {
        Ok(hash.0 == format!("hashed:{}", password.expose()))
    }
}

pub struct FailingHasher;

#[async_trait::async_trait]
impl PasswordHasher for FailingHasher {
    async fn hash(&self, _: &Password) -> Result<StoredSecret, PortError> {
        Err(PortError {
            port: "hasher",
            reason: "pool closed".into(),
        })
    }

    async fn verify(&self, _: &Password, _: &StoredSecret) -> Result<bool, PortError> {
        Err(PortError {
            port: "hasher",
            reason: "pool closed".into(),
        })
    }
}

pub struct PlainSealer;

impl SecretSealer for PlainSealer {
    fn seal(&self, plaintext: &[u8]) -> Result<StoredSecret, PortError> {
        Ok(StoredSecret(format!(
            "sealed:{}",
            String::from_utf8_lossy(plaintext)
        )))
    }

    fn open(&self, sealed: &StoredSecret) -> Result<Vec<u8>, PortError> {
        Ok(sealed.0.trim_start_matches("sealed:").as_bytes().to_vec())
    }

    fn digest(&self, context: &str, value: &[u8]) -> Result<StoredSecret, PortError> {
        Ok(StoredSecret(format!(
            "digest:{context}:{}",
            String::from_utf8_lossy(value)
        )))
    }
}

/// A stand-in TOTP: the secret is "totp-secret", and the code of step `s` is `s` modulo 10^6,
/// six digits, so tests can write the code of any step.
pub struct StepTotp;

impl StepTotp {
    /// The step the fixed clock's time falls in.
    pub fn step_at(at: DateTime<Utc>) -> u64 {
        u64::try_from(at.timestamp()).unwrap_or_default() / 30
    }

    /// The code of `step`.
    pub fn code(step: u64) -> String {
        format!("{:06}", step % 1_000_000)
    }
}

impl TotpAlgorithm for StepTotp {
    fn new_secret(&self) -> Vec<u8> {
        b"totp-secret".to_vec()
    }

    fn matching_steps(&self, _secret: &[u8], code: &str, at: DateTime<Utc>) -> Vec<u64> {
        let now = Self::step_at(at);
        (now.saturating_sub(1)..=now + 1)
            .filter(|s| Self::code(*s) == code)
            .collect()
    }
}

/// 2026-01-15T10:00:00Z, the time every test runs at.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn services() -> Services {
    Services {
        clock: Arc::new(FixedClock(now())),
        ids: Arc::new(SequentialIds(AtomicU64::new(0))),
        random: Arc::new(CountingRandom(AtomicU32::new(123_456))),
        hasher: Arc::new(PlainHasher),
        sealer: Arc::new(PlainSealer),
        totp: Arc::new(StepTotp),
    }
}

pub fn services_with_failing_hasher() -> Services {
    Services {
        hasher: Arc::new(FailingHasher),
        ..services()
    }
}

/// The id `SequentialIds` hands out n-th (0-based).
pub fn nth_id(n: u64) -> Uuid {
    Uuid::from_u128(u128::from(n) + 0x1000)
}

pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}
