use cqrs_es::test::TestFramework;

use super::*;
use crate::testing::{services, uuid};

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
        }]);
}

#[tokio::test]
async fn claim_taken_key_is_refused() {
    Test::with(services())
        .given(vec![ReservationEvent::Claimed {
            owner: uuid(1),
            account_id: None,
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
        }]);
}

#[tokio::test]
async fn release_by_owner_emits_released() {
    Test::with(services())
        .given(vec![ReservationEvent::Claimed {
            owner: uuid(1),
            account_id: None,
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
        }])
        .when_async(ReservationCommand::Release { owner: uuid(2) })
        .await
        .then_expect_error(ReservationError::NotOwner);
}
