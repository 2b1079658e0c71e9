//! argon2id password hashing. Each hash or verify costs tens of milliseconds of one core and
//! `m` KiB of memory, so work runs on Tokio's blocking threads behind a semaphore sized to the
//! cores: a flood of logins queues instead of exhausting memory.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use chronid_domain::ports::{PasswordHasher, PortError};
use chronid_domain::values::{Password, StoredSecret};
use tokio::sync::Semaphore;

/// argon2id cost parameters; the default is OWASP's m=19456 KiB, t=2, p=1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
}

fn port_error(reason: impl ToString) -> PortError {
    PortError {
        port: "password hasher",
        reason: reason.to_string(),
    }
}

impl Argon2Hasher {
    /// A hasher running at most `workers` hashes at once (normally the number of cores).
    pub fn new(params: Argon2Params, workers: usize) -> Result<Self, PortError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(port_error)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(workers.max(1))),
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(Argon2<'static>) -> Result<T, PortError> + Send + 'static,
    ) -> Result<T, PortError> {
        let _permit = self.permits.acquire().await.map_err(port_error)?;
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || job(argon2))
            .await
            .map_err(port_error)?
    }
}

#[async_trait::async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<StoredSecret, PortError> {
        let password = password.clone();
        self.run(move |argon2| {
            argon2
                .hash_password(password.expose().as_bytes())
                .map(|h| StoredSecret(h.to_string()))
                .map_err(port_error)
        })
        .await
    }

    async fn verify(&self, password: &Password, hash: &StoredSecret) -> Result<bool, PortError> {
        let password = password.clone();
        let hash = hash.clone();
        self.run(move |argon2| {
            let parsed = PasswordHash::new(&hash.0).map_err(port_error)?;
            Ok(argon2
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify_round_trips_and_rejects_wrong_password() {
        let hasher = Argon2Hasher::new(
            Argon2Params {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap();
        let pw = Password::parse("correct horse battery").unwrap();
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(hash.0.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
        assert!(hasher.verify(&pw, &hash).await.unwrap());
        let wrong = Password::parse("incorrect horse battery").unwrap();
        assert!(!hasher.verify(&wrong, &hash).await.unwrap());
    }
}
