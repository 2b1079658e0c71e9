use cqrs_es::test::TestFramework;
use cqrs_es::{Aggregate, DomainEvent};

use super::*;
use crate::error::DomainError;
use crate::testing::{now, services, uuid};

type Test = TestFramework<Device>;

const TOKEN_HASH: &str = "device-token-digest-9f86d081884c7d65";

fn label(raw: &str) -> Name {
    Name::parse("label", raw).unwrap()
}

fn registered() -> DeviceEvent {
    DeviceEvent::DeviceRegistered {
        device_id: uuid(1),
        user_id: uuid(2),
        account_id: uuid(3),
        token_hash: StoredSecret(TOKEN_HASH.into()),
        label: Some(label("Work laptop")),
        user_agent: UserAgent::new("Mozilla/5.0 (X11; Linux x86_64)"),
        first_seen_at: now(),
    }
}

fn trusted() -> DeviceEvent {
    DeviceEvent::DeviceTrusted {
        challenge_id: Some(uuid(7)),
        trusted_at: now(),
        user_epoch: 0,
    }
}

const DAYS_30: Duration = Duration::days(30);

fn trust(challenge_id: Option<Uuid>) -> DeviceCommand {
    DeviceCommand::Trust {
        challenge_id,
        user_epoch: 0,
        trust_for: DAYS_30,
    }
}

fn revoked() -> DeviceEvent {
    DeviceEvent::DeviceRevoked {
        reason: DeviceRevokeReason::User,
    }
}

fn register() -> DeviceCommand {
    DeviceCommand::Register {
        device_id: uuid(1),
        user_id: uuid(2),
        account_id: uuid(3),
        token_hash: StoredSecret(TOKEN_HASH.into()),
        label: Some(label("Work laptop")),
        user_agent: UserAgent::new("Mozilla/5.0 (X11; Linux x86_64)"),
    }
}

#[tokio::test]
async fn register_new_device_emits_registered_first_seen_now() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(register())
        .await
        .then_expect_events(vec![registered()]);
}

#[tokio::test]
async fn register_existing_device_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(register())
        .await
        .then_expect_error(DeviceError::AlreadyRegistered);
}

#[tokio::test]
async fn trust_registered_device_emits_trusted_now() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(trust(Some(uuid(7))))
        .await
        .then_expect_events(vec![trusted()]);
}

#[tokio::test]
async fn trust_unknown_device_is_refused() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(trust(None))
        .await
        .then_expect_error(DeviceError::NotFound);
}

#[tokio::test]
async fn trust_revoked_device_is_refused() {
    Test::with(services())
        .given(vec![registered(), trusted(), revoked()])
        .when_async(trust(None))
        .await
        .then_expect_error(DeviceError::Revoked);
}

#[tokio::test]
async fn trust_already_trusted_is_refused() {
    Test::with(services())
        .given(vec![registered(), trusted()])
        .when_async(trust(None))
        .await
        .then_expect_error(DeviceError::AlreadyTrusted);
}

#[tokio::test]
async fn rename_with_new_label_emits_renamed() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(DeviceCommand::Rename {
            label: Some(label("Home desktop")),
        })
        .await
        .then_expect_events(vec![DeviceEvent::DeviceRenamed {
            label: Some(label("Home desktop")),
        }]);
}

#[tokio::test]
async fn rename_to_no_label_emits_renamed_cleared() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(DeviceCommand::Rename { label: None })
        .await
        .then_expect_events(vec![DeviceEvent::DeviceRenamed { label: None }]);
}

#[tokio::test]
async fn rename_unknown_device_is_refused() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(DeviceCommand::Rename { label: None })
        .await
        .then_expect_error(DeviceError::NotFound);
}

#[tokio::test]
async fn rename_revoked_device_is_refused() {
    Test::with(services())
        .given(vec![registered(), revoked()])
        .when_async(DeviceCommand::Rename {
            label: Some(label("Old phone")),
        })
        .await
        .then_expect_error(DeviceError::Revoked);
}

#[tokio::test]
async fn rename_to_same_label_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(DeviceCommand::Rename {
            label: Some(label("Work laptop")),
        })
        .await
        .then_expect_error(DeviceError::NoChange);
}

#[tokio::test]
async fn revoke_trusted_device_emits_revoked() {
    Test::with(services())
        .given(vec![registered(), trusted()])
        .when_async(DeviceCommand::Revoke {
            reason: DeviceRevokeReason::PasswordReset,
        })
        .await
        .then_expect_events(vec![DeviceEvent::DeviceRevoked {
            reason: DeviceRevokeReason::PasswordReset,
        }]);
}

#[tokio::test]
async fn revoke_unknown_device_is_refused() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(DeviceCommand::Revoke {
            reason: DeviceRevokeReason::Admin,
        })
        .await
        .then_expect_error(DeviceError::NotFound);
}

#[tokio::test]
async fn revoke_revoked_device_is_refused() {
    Test::with(services())
        .given(vec![registered(), revoked()])
        .when_async(DeviceCommand::Revoke {
            reason: DeviceRevokeReason::Admin,
        })
        .await
        .then_expect_error(DeviceError::Revoked);
}

#[test]
fn revoked_device_is_no_longer_trusted() {
    let mut device = Device::default();
    device.apply(registered());
    assert!(!device.is_trusted(now(), DAYS_30, 0));
    device.apply(trusted());
    assert!(device.is_trusted(now(), DAYS_30, 0));
    device.apply(revoked());
    assert!(!device.is_trusted(now(), DAYS_30, 0));
    assert_eq!(device.revoked, Some(DeviceRevokeReason::User));
    assert_eq!(device.account_id(), Some(uuid(3)));
}

#[test]
fn device_registered_public_form_has_no_token_hash() {
    let v = serde_json::to_value(registered()).unwrap();
    assert!(
        v.to_string().contains(TOKEN_HASH),
        "fixture must hold the secret"
    );
    let public = crate::public::public_data(&v).to_string();
    assert!(!public.contains(TOKEN_HASH), "{public}");
    assert!(!public.contains("token_hash"), "{public}");
    assert!(public.contains("first_seen_at"), "{public}");
}

#[test]
fn device_event_types_and_error_codes_are_stable() {
    assert_eq!(registered().event_type(), "DeviceRegistered");
    assert_eq!(trusted().event_type(), "DeviceTrusted");
    assert_eq!(revoked().event_type(), "DeviceRevoked");
    assert_eq!(DeviceError::AlreadyTrusted.code(), "DEV-ALREADY-TRUSTED");
    assert_eq!(DeviceError::Revoked.code(), "DEV-REVOKED");
}

#[test]
fn trust_ends_after_its_days_and_with_a_new_user_epoch() {
    let mut device = Device::default();
    device.apply(registered());
    device.apply(trusted());
    assert!(device.is_trusted(now() + DAYS_30 - Duration::seconds(1), DAYS_30, 0));
    assert!(!device.is_trusted(now() + DAYS_30, DAYS_30, 0));
    assert!(!device.is_trusted(now(), DAYS_30, 1));
    assert_eq!(device.revoked, None);
    assert_eq!(device.trusted_until(DAYS_30), Some(now() + DAYS_30));
}

#[tokio::test]
async fn trust_after_the_user_epoch_moved_on_trusts_again() {
    Test::with(services())
        .given(vec![registered(), trusted()])
        .when_async(DeviceCommand::Trust {
            challenge_id: None,
            user_epoch: 1,
            trust_for: DAYS_30,
        })
        .await
        .then_expect_events(vec![DeviceEvent::DeviceTrusted {
            challenge_id: None,
            trusted_at: now(),
            user_epoch: 1,
        }]);
}

#[tokio::test]
async fn trust_after_it_ran_out_trusts_again() {
    let old = DeviceEvent::DeviceTrusted {
        challenge_id: None,
        trusted_at: now() - DAYS_30,
        user_epoch: 0,
    };
    Test::with(services())
        .given(vec![registered(), old])
        .when_async(trust(None))
        .await
        .then_expect_events(vec![DeviceEvent::DeviceTrusted {
            challenge_id: None,
            trusted_at: now(),
            user_epoch: 0,
        }]);
}

#[test]
fn a_version_1_trust_reads_as_epoch_0() {
    let v1 = serde_json::json!({"DeviceTrusted": {"challenge_id": null, "trusted_at": "2026-01-01T00:00:00Z"}});
    let up = <Device as crate::Upcast>::upcast("DeviceTrusted", "1", v1);
    let event: DeviceEvent = serde_json::from_value(up).unwrap();
    assert!(matches!(
        event,
        DeviceEvent::DeviceTrusted { user_epoch: 0, .. }
    ));
    assert_eq!(event.event_version(), "2");
}
