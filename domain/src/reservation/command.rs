//! Commands of the Reservation aggregate.

use chrono::Duration;
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
    /// Take the key from `previous_owner`, who claimed it at least `orphaned_after` ago and (as
    /// the application checked) never came to exist: a crash between reserving and creating.
    TakeOver {
        owner: Uuid,
        account_id: Option<Uuid>,
        previous_owner: Uuid,
        orphaned_after: Duration,
    },
}
