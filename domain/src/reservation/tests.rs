use cqrs_es::test::TestFramework;

use super::*;
use chrono::Duration;

use crate::testing::{now, services, uuid};

type Test = TestFramework<Reservation>;

#[tokio::test]
async fn claim_free_key_emits_claimed() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(ReservationCommand::Claim {
            owner: uuid(1),
            account_id: Some(uuid(9)),
        })
        .await
        .then_expect_events(vec![ReservationEvent::Claimed {
            owner: uuid(1),
            account_id: Some(uuid(9)),
            at: now(),
        }]);
}

#[tokio::test]
async fn claim_taken_key_is_refused() {
    Test::with(services())
        .given(vec![ReservationEvent::Claimed {
            owner: uuid(1),
            account_id: None,
            at: now(),
        }])
        .when_async(ReservationCommand::Claim {
            owner: uuid(2),
            account_id: None,
        })
        .await
        .then_expect_error(ReservationError::Taken);
}

#[tokio::test]
async fn claim_by_same_owner_is_idempotent() {
    Test::with(services())
        .given(vec![ReservationEvent::Claimed {
            owner: uuid(1),
            account_id: None,
            at: now(),
        }])
        .when_async(ReservationCommand::Claim {
            owner: uuid(1),
            account_id: None,
        })
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn claim_after_release_succeeds() {
    Test::with(services())
        .given(vec![
            ReservationEvent::Claimed {
                owner: uuid(1),
                account_id: None,
                at: now(),
            },
            ReservationEvent::Released { owner: uuid(1) },
        ])
        .when_async(ReservationCommand::Claim {
            owner: uuid(2),
            account_id: None,
        })
        .await
        .then_expect_events(vec![ReservationEvent::Claimed {
            owner: uuid(2),
            account_id: None,
            at: now(),
        }]);
}

#[tokio::test]
async fn release_by_owner_emits_released() {
    Test::with(services())
        .given(vec![ReservationEvent::Claimed {
            owner: uuid(1),
            account_id: None,
            at: now(),
        }])
        .when_async(ReservationCommand::Release { owner: uuid(1) })
        .await
        .then_expect_events(vec![ReservationEvent::Released { owner: uuid(1) }]);
}

#[tokio::test]
async fn release_by_other_is_refused() {
    Test::with(services())
        .given(vec![ReservationEvent::Claimed {
            owner: uuid(1),
            account_id: None,
            at: now(),
        }])
        .when_async(ReservationCommand::Release { owner: uuid(2) })
        .await
        .then_expect_error(ReservationError::NotOwner);
}

fn take_over(previous_owner: u128, minutes: i64) -> ReservationCommand {
    ReservationCommand::TakeOver {
        owner: uuid(2),
        account_id: None,
        previous_owner: uuid(previous_owner),
        orphaned_after: Duration::minutes(minutes),
    }
}

fn claimed_minutes_ago(minutes: i64) -> ReservationEvent {
    ReservationEvent::Claimed {
        owner: uuid(1),
        account_id: None,
        at: now() - Duration::minutes(minutes),
    }
}

#[tokio::test]
async fn take_over_orphaned_claim_releases_and_claims() {
    Test::with(services())
        .given(vec![claimed_minutes_ago(5)])
        .when_async(take_over(1, 1))
        .await
        .then_expect_events(vec![
            ReservationEvent::Released { owner: uuid(1) },
            ReservationEvent::Claimed {
                owner: uuid(2),
                account_id: None,
                at: now(),
            },
        ]);
}

#[tokio::test]
async fn take_over_recent_claim_is_refused() {
    Test::with(services())
        .given(vec![claimed_minutes_ago(0)])
        .when_async(take_over(1, 1))
        .await
        .then_expect_error(ReservationError::Taken);
}

#[tokio::test]
async fn take_over_from_another_owner_is_refused() {
    Test::with(services())
        .given(vec![claimed_minutes_ago(5)])
        .when_async(take_over(3, 1))
        .await
        .then_expect_error(ReservationError::Taken);
}
