//! chronid's domain: the Account, User, Device and SsoConfig aggregates, the Reservation aggregate
//! that makes cross-aggregate values unique, their commands, events and errors, the validated value
//! types commands carry, and the ports (`Clock`, `IdGenerator`, `PasswordHasher`, ...) through which
//! time, ids, randomness and hashing reach the aggregates. Nothing here does IO.

pub mod account;
pub mod device;
pub mod error;
pub mod metadata;
pub mod ports;
pub mod public;
pub mod reservation;
pub mod services;
pub mod sso_config;
pub mod user;
pub mod values;

#[cfg(test)]
pub(crate) mod testing;

pub use error::{DomainError, ValidationError};
pub use services::Services;

/// The version string every event type currently has. A change of shape gets a new version and an
/// upcaster; a type string is never renamed.
pub const EVENT_VERSION_1: &str = "1";

/// Implemented by every aggregate so the store can stamp each event with the account it belongs to
/// (the stream subject starts with it) without reading payloads.
pub trait AccountScoped {
    /// The account the aggregate belongs to, once known (after its first event).
    fn account_id(&self) -> Option<uuid::Uuid>;
}
