//! chronid's end-to-end tests, compiled into one binary: each test gets its own database and
//! stream on the shared PostgreSQL and NATS (`chronid_tests::TestEnv`) and drops them at the end;
//! fault tests run private servers. Start the services with `scripts/services.sh start`.
// Tests need fresh ids and the clock; determinism is the domain's rule, not theirs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]

mod api;
mod attacks;
mod catalogue;
mod console;
mod credentials;
mod external_login;
mod flows;
mod harness;
mod journey;
mod login;
mod pages;
mod providers;
mod relay;
mod secrets;
mod sso;
mod sso_login;
mod store;
mod support;
mod views;
