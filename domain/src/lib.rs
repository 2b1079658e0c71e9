//! chronid's domain: the Account, User, Device and SsoConfig aggregates, the Reservation aggregate
//! that makes cross-aggregate values unique, ExternalLogin (a refused Google or GitHub login),
//! their commands, events and errors, the validated value types commands carry, and the ports
//! (`Clock`, `IdGenerator`, `PasswordHasher`, ...) through which time, ids, randomness and
//! hashing reach the aggregates. Nothing here does IO.

pub mod account;
pub mod device;
pub mod error;
mod event_types;
pub mod external_login;
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

/// The version string of an event type's first shape. A change of shape gets a new version and an
/// upcaster ([`Upcast`]); a type string is never renamed.
pub const EVENT_VERSION_1: &str = "1";
/// The second shape of an event type (see each event's `event_version`).
pub const EVENT_VERSION_2: &str = "2";

/// Which events are security outcomes (logins and second factors passed or failed, locks,
/// credential, second-factor, role, policy, API key and SSO changes): the executor logs each one it commits on the
/// `security` tracing target (type, aggregate, account, actor, address; never a payload).
pub trait SecurityRelevant {
    fn is_security_outcome(&self) -> bool;
}

/// Implemented by every aggregate so the store can stamp each event with the account it belongs to
/// (the stream subject starts with it) without reading payloads.
pub trait AccountScoped: Upcast {
    /// The account the aggregate belongs to, once known (after its first event).
    fn account_id(&self) -> Option<uuid::Uuid>;
}

/// How an aggregate reads the stored payloads of its events' older versions: the store hands
/// every payload (externally tagged, `{"EventType": {...}}`) with its type and version to
/// `upcast` before deserializing it, and gets it back in the current shape. Stored rows never
/// change; the stream carries them as written, with their version.
pub trait Upcast {
    fn upcast(_event_type: &str, _version: &str, payload: serde_json::Value) -> serde_json::Value
    where
        Self: Sized,
    {
        payload
    }
}
