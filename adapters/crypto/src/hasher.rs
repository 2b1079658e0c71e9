//! argon2id password hashing. Each hash or verify costs tens of milliseconds of one core and
//! `m` KiB of memory, so work runs on a fixed set of worker threads sized to the cores: a flood
//! of logins queues instead of exhausting memory. The threads are long-lived (not Tokio's
//! blocking pool, whose threads come and go): the allocator keeps a freed argon2 block per thread
//! that used one, so the number of threads that ever hash bounds the memory, not the number of
//! clients. The queue is bounded too: past it, work is refused at once
//! (`PortError::overloaded`, answered 503 with Retry-After) rather than left to wait longer than
//! any client would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use chronid_domain::ports::{PasswordHasher, PortError};
use chronid_domain::values::{Password, StoredSecret};

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

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// Jobs for the worker threads, which stop when the last hasher clone is dropped.
    jobs: mpsc::Sender<Job>,
    /// Jobs running or waiting, and how many may be at most.
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

/// Gives an admitted job's place back when it ends, however it ends.
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn port_error(reason: impl ToString) -> PortError {
    PortError {
        port: "password hasher",
        reason: reason.to_string(),
    }
}

impl Argon2Hasher {
    /// Jobs that may wait per worker, by default.
    pub const DEFAULT_QUEUE_PER_WORKER: usize = 64;

    /// A hasher running at most `workers` hashes at once (normally the number of cores), with up
    /// to `DEFAULT_QUEUE_PER_WORKER` jobs per worker waiting.
    pub fn new(params: Argon2Params, workers: usize) -> Result<Self, PortError> {
        Self::with_queue(
            params,
            workers,
            workers.max(1) * Self::DEFAULT_QUEUE_PER_WORKER,
        )
    }

    /// As `new`, with at most `queue` jobs waiting beyond those running.
    pub fn with_queue(
        params: Argon2Params,
        workers: usize,
        queue: usize,
    ) -> Result<Self, PortError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(port_error)?;
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..workers.max(1) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .map_err(port_error)?;
        }
        Ok(Self {
            params,
            jobs: sender,
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: workers.max(1) + queue,
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(Argon2<'static>) -> Result<T, PortError> + Send + 'static,
    ) -> Result<T, PortError> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(PortError::overloaded("password hasher"));
        }
        let _admission = Admission(self.admitted.clone());
        let argon2 = self.argon2();
        let (done, result) = tokio::sync::oneshot::channel();
        let work: Job = Box::new(move || {
            let _ = done.send(job(argon2));
        });
        self.jobs
            .send(work)
            .map_err(|_| port_error("hashing pool stopped"))?;
        result.await.map_err(|_| port_error("hashing job lost"))?
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

    #[tokio::test]
    async fn a_full_queue_refuses_work_at_once_and_frees_its_places_after() {
        let params = Argon2Params {
            memory_kib: 8 * 1024,
            iterations: 2,
            parallelism: 1,
        };
        // One running and one waiting at most.
        let hasher = Argon2Hasher::with_queue(params, 1, 1).unwrap();
        let pw = Password::parse("correct horse battery").unwrap();
        let (a, b, c) = tokio::join!(hasher.hash(&pw), hasher.hash(&pw), hasher.hash(&pw));
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        let refused = c.unwrap_err();
        assert!(refused.is_overloaded(), "{refused}");
        assert!(hasher.hash(&pw).await.is_ok());
        assert_eq!(hasher.admitted.load(Ordering::Acquire), 0);
    }
}
