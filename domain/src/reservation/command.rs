//! Commands of the Reservation aggregate.

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub enum ReservationCommand {
    /// Take the key for `owner`; idempotent for the same owner.
    Claim {
        owner: Uuid,
        account_id: Option<Uuid>,
    },
    /// Give the key back; only its owner may.
    Release { owner: Uuid },
}
