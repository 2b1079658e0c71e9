//! Events of the Reservation aggregate.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReservationEvent {
    Claimed {
        owner: Uuid,
        account_id: Option<Uuid>,
        at: DateTime<Utc>,
    },
    Released {
        owner: Uuid,
    },
}

impl crate::SecurityRelevant for ReservationEvent {
    /// Reservations are internal bookkeeping; the user events they guard are logged instead.
    fn is_security_outcome(&self) -> bool {
        false
    }
}

impl DomainEvent for ReservationEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Claimed { .. } => "ReservationClaimed",
            Self::Released { .. } => "ReservationReleased",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        crate::EVENT_VERSION_1.to_string()
    }
}
