//! chronid's read side: pure event -> view logic for the user view, devices, teams, accounts and
//! the audit log, and the query types. It reads only the public envelopes of the stream
//! (`chronid_domain::public::PublicEnvelope`) and knows nothing of NATS or SQL: `adapters` loads
//! rows, calls these functions and stores what they return.

pub mod account_view;
pub mod audit;
pub mod data;
pub mod device_view;
pub mod published;
pub mod range;
pub mod team_view;
pub mod user_view;
#[cfg(test)]
mod view_tests;

use chronid_domain::public::PublicEnvelope;

/// What applying an envelope did to a view row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The row changed (or was created).
    Changed,
    /// At or below the row's last applied sequence: a redelivery, nothing changed.
    Stale,
    /// Not an event this view follows.
    Ignored,
}

/// An event a projection cannot apply. The consumer retries it, then parks it; it is never
/// skipped silently. The message names the event, never a payload value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event_type} {aggregate_type}:{aggregate_id}:{sequence}: {reason}")]
pub struct ProjectionError {
    pub event_type: String,
    pub aggregate_type: String,
    pub aggregate_id: uuid::Uuid,
    pub sequence: i64,
    pub reason: String,
}

impl ProjectionError {
    pub fn bad(env: &PublicEnvelope, reason: &str) -> Self {
        Self {
            event_type: env.event_type.clone(),
            aggregate_type: env.aggregate_type.clone(),
            aggregate_id: env.aggregate_id,
            sequence: env.sequence,
            reason: reason.to_string(),
        }
    }

    /// The row does not exist yet and this event cannot start it.
    pub fn missing_start(env: &PublicEnvelope, first: &str) -> Self {
        Self::bad(env, &format!("no view row yet; expected {first} first"))
    }
}
