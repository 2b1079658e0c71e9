//! chronid's adapters: the PostgreSQL store and its relay to NATS JetStream, the HTTP API, and the
//! implementations of the domain's ports (argon2 hashing, sealing, clock, ids).

pub mod app;
pub mod crypto;
pub mod http;
pub mod nats;
pub mod notifier;
pub mod projection;
pub mod relay;
pub mod store;
