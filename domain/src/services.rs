//! The ports bundled for aggregates: every aggregate's `Services` is this one struct, so handlers
//! get time, ids, randomness, hashing and sealing from one place.

use std::sync::Arc;

use crate::ports::{Clock, IdGenerator, PasswordHasher, Random, SecretSealer, TotpAlgorithm};

#[derive(Clone)]
pub struct Services {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub random: Arc<dyn Random>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub sealer: Arc<dyn SecretSealer>,
    pub totp: Arc<dyn TotpAlgorithm>,
}
