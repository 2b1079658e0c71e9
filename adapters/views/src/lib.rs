//! The projection workers: one durable JetStream pull consumer per projection, explicit acks.
//!
//! A worker takes the messages that are ready (up to a batch), loads the view rows they touch,
//! folds them with the pure logic of `chronid_projections`, and writes the rows and its
//! checkpoint in one PostgreSQL transaction; only then does it ack. A crash before the commit
//! redelivers the batch; a crash after it redelivers messages whose effect is already stored,
//! which the rows' last applied sequence (views) and the event key (audit log) turn into no-ops.
//!
//! A batch that fails is taken apart and its messages applied one by one. A message whose event
//! cannot be applied is retried with backoff, then parked in `projection_failed_events` (counted
//! in /metrics, listed by `chronid projections status`) and acked; database outages are retried
//! without limit and park nothing. One worker per projection is active per database (advisory
//! lock): a second node waits as a standby.

pub mod audit;
pub mod export;
pub mod query;
pub mod replay;
pub mod tables;
pub mod users;

pub use chronid_store::Cursor;

mod batch;
mod messages;
mod stats;
mod worker;
pub use batch::*;
pub use messages::*;
pub use stats::*;
pub use worker::*;

const LOG_TARGET: &str = "chronid::projection";

/// The projections chronid maintains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Projection {
    /// Users, devices, teams and accounts.
    Users,
    /// The audit log.
    Audit,
}

impl Projection {
    pub const ALL: [Projection; 2] = [Projection::Users, Projection::Audit];

    pub fn name(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Audit => "audit",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == raw)
    }

    /// The durable consumer's name on the events stream.
    pub fn durable_name(self) -> String {
        format!("chronid_{}", self.name())
    }
}
