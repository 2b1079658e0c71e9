//! chronid's end-to-end tests, compiled into one binary: each test gets its own database and
//! stream on the shared PostgreSQL and NATS (`chronid_tests::TestEnv`) and drops them at the end;
//! fault tests run private servers. Start the services with `scripts/services.sh start`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod relay;
mod api;
mod secrets;
mod store;
mod support;
