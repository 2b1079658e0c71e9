//! Errors of the Reservation aggregate.

use crate::error::{DomainError, ErrorKind};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReservationError {
    #[error("the value is already taken")]
    Taken,
    #[error("only the owner may release a reservation")]
    NotOwner,
}

impl DomainError for ReservationError {
    crate::error::error_codes! {
        Self::Taken => "RSV-TAKEN",
        Self::NotOwner => "RSV-NOT-OWNER",
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Conflict
    }
}
