//! The one place that reads the real clock, draws real ids and real randomness (clippy.toml
//! forbids these calls everywhere else).

use chronid_domain::ports::{Clock, IdGenerator, Random};
use chrono::{DateTime, Utc};
use rand::Rng;
use uuid::Uuid;

pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    #[allow(clippy::disallowed_methods)]
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

pub struct OsRandom;

impl Random for OsRandom {
    #[allow(clippy::disallowed_methods)]
    fn below(&self, bound: u32) -> u32 {
        rand::rng().random_range(0..bound.max(1))
    }
}

/// `n` bytes from the operating system's CSPRNG.
#[allow(clippy::disallowed_methods)]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    rand::rng().fill(&mut buf[..]);
    buf
}
