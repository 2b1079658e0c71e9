use cqrs_es::test::TestFramework;
use cqrs_es::{Aggregate, DomainEvent};

use super::*;
use crate::error::DomainError;
use crate::testing::{services, uuid};
use crate::values::{AcsPath, Certificate, Certificates, EntityId, HttpUrl};

type Test = TestFramework<SsoConfig>;

const OWNER: u128 = 10;
const OTHER: u128 = 11;

fn cert(body: &str) -> Certificate {
    Certificate::parse(&format!(
        "-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----"
    ))
    .unwrap()
}

fn settings() -> SsoSettings {
    SsoSettings {
        idp_entity_id: EntityId::parse("idp_entity_id", "https://sts.contoso.com/adfs").unwrap(),
        idp_certificates: Certificates::new(vec![cert("MIIBszCC")]).unwrap(),
        idp_sso_url: HttpUrl::parse("idp_sso_url", "https://sts.contoso.com/adfs/ls/").unwrap(),
        idp_logout_url: Some(
            HttpUrl::parse(
                "idp_logout_url",
                "https://sts.contoso.com/adfs/ls/?wa=wsignout1.0",
            )
            .unwrap(),
        ),
        sp_entity_id: EntityId::parse(
            "sp_entity_id",
            "https://portal.example.com/login/saml/contoso/",
        )
        .unwrap(),
        sp_acs_path: AcsPath::parse("q7Yb3kP0x9LmN2aZ").unwrap(),
        auto_create_users: true,
        auto_create_groups: true,
        name_id_source: NameIdSource::Email,
        allow_idp_initiated: false,
        allow_sha1: false,
    }
}

fn created() -> SsoConfigEvent {
    SsoConfigEvent::SsoConfigCreated {
        config_id: uuid(1),
        account_id: uuid(OWNER),
        settings: settings(),
    }
}

fn deleted() -> SsoConfigEvent {
    SsoConfigEvent::SsoConfigDeleted {
        sp_entity_id: settings().sp_entity_id,
        accounts: vec![uuid(OWNER)],
    }
}

fn other_offered() -> SsoConfigEvent {
    SsoConfigEvent::SsoAccountOffered {
        account_id: uuid(OTHER),
    }
}

fn other_added() -> SsoConfigEvent {
    SsoConfigEvent::SsoAccountAdded {
        account_id: uuid(OTHER),
    }
}

fn create() -> SsoConfigCommand {
    SsoConfigCommand::Create {
        config_id: uuid(1),
        account_id: uuid(OWNER),
        settings: settings(),
    }
}

fn groups_off() -> SsoSettings {
    SsoSettings {
        auto_create_groups: false,
        ..settings()
    }
}

#[tokio::test]
async fn create_new_config_emits_created() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(create())
        .await
        .then_expect_events(vec![created()]);
}

#[tokio::test]
async fn create_existing_config_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(create())
        .await
        .then_expect_error(SsoConfigError::AlreadyExists);
}

#[tokio::test]
async fn create_over_deleted_config_is_refused() {
    Test::with(services())
        .given(vec![created(), deleted()])
        .when_async(create())
        .await
        .then_expect_error(SsoConfigError::AlreadyExists);
}

#[tokio::test]
async fn update_turning_groups_off_emits_updated_with_previous_groups_on() {
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::Update {
            settings: groups_off(),
        })
        .await
        .then_expect_events(vec![SsoConfigEvent::SsoConfigUpdated {
            settings: groups_off(),
            previous_auto_create_groups: true,
        }]);
}

#[tokio::test]
async fn update_with_rotated_certificates_emits_full_settings() {
    let rotated = SsoSettings {
        idp_certificates: Certificates::new(vec![cert("MIIBszCC"), cert("MIICszCC")]).unwrap(),
        name_id_source: NameIdSource::Upn,
        idp_logout_url: None,
        ..groups_off()
    };
    Test::with(services())
        .given(vec![
            created(),
            SsoConfigEvent::SsoConfigUpdated {
                settings: groups_off(),
                previous_auto_create_groups: true,
            },
        ])
        .when_async(SsoConfigCommand::Update {
            settings: rotated.clone(),
        })
        .await
        .then_expect_events(vec![SsoConfigEvent::SsoConfigUpdated {
            settings: rotated,
            previous_auto_create_groups: false,
        }]);
}

#[tokio::test]
async fn update_unknown_config_is_refused() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(SsoConfigCommand::Update {
            settings: settings(),
        })
        .await
        .then_expect_error(SsoConfigError::NotFound);
}

#[tokio::test]
async fn update_deleted_config_is_refused() {
    Test::with(services())
        .given(vec![created(), deleted()])
        .when_async(SsoConfigCommand::Update {
            settings: groups_off(),
        })
        .await
        .then_expect_error(SsoConfigError::Deleted);
}

#[tokio::test]
async fn update_with_same_settings_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::Update {
            settings: settings(),
        })
        .await
        .then_expect_error(SsoConfigError::NoChange);
}

#[tokio::test]
async fn add_account_offered_emits_account_added() {
    Test::with(services())
        .given(vec![created(), other_offered()])
        .when_async(SsoConfigCommand::AddAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_events(vec![other_added()]);
}

#[tokio::test]
async fn add_account_unknown_config_is_refused() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(SsoConfigCommand::AddAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::NotFound);
}

#[tokio::test]
async fn add_account_deleted_config_is_refused() {
    Test::with(services())
        .given(vec![created(), deleted()])
        .when_async(SsoConfigCommand::AddAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::Deleted);
}

#[tokio::test]
async fn add_account_already_served_is_refused() {
    Test::with(services())
        .given(vec![created(), other_added()])
        .when_async(SsoConfigCommand::AddAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::AccountAlreadyServed);
}

#[tokio::test]
async fn add_account_owner_is_refused_as_already_served() {
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::AddAccount {
            account_id: uuid(OWNER),
        })
        .await
        .then_expect_error(SsoConfigError::AccountAlreadyServed);
}

#[tokio::test]
async fn remove_account_served_emits_account_removed() {
    Test::with(services())
        .given(vec![created(), other_added()])
        .when_async(SsoConfigCommand::RemoveAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_events(vec![SsoConfigEvent::SsoAccountRemoved {
            account_id: uuid(OTHER),
        }]);
}

#[tokio::test]
async fn remove_account_unknown_config_is_refused() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(SsoConfigCommand::RemoveAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::NotFound);
}

#[tokio::test]
async fn remove_account_deleted_config_is_refused() {
    Test::with(services())
        .given(vec![created(), other_added(), deleted()])
        .when_async(SsoConfigCommand::RemoveAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::Deleted);
}

#[tokio::test]
async fn remove_account_not_served_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::RemoveAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::AccountNotServed);
}

#[tokio::test]
async fn remove_account_owner_is_refused() {
    Test::with(services())
        .given(vec![created(), other_added()])
        .when_async(SsoConfigCommand::RemoveAccount {
            account_id: uuid(OWNER),
        })
        .await
        .then_expect_error(SsoConfigError::CannotRemoveOwner);
}

#[tokio::test]
async fn delete_shared_config_emits_deleted_with_sp_entity_id_and_accounts() {
    Test::with(services())
        .given(vec![created(), other_added()])
        .when_async(SsoConfigCommand::Delete)
        .await
        .then_expect_events(vec![SsoConfigEvent::SsoConfigDeleted {
            sp_entity_id: settings().sp_entity_id,
            accounts: vec![uuid(OWNER), uuid(OTHER)],
        }]);
}

#[tokio::test]
async fn delete_unknown_config_is_refused() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(SsoConfigCommand::Delete)
        .await
        .then_expect_error(SsoConfigError::NotFound);
}

#[tokio::test]
async fn delete_deleted_config_is_refused() {
    Test::with(services())
        .given(vec![created(), deleted()])
        .when_async(SsoConfigCommand::Delete)
        .await
        .then_expect_error(SsoConfigError::Deleted);
}

#[test]
fn served_accounts_follow_added_removed_and_deleted() {
    let mut config = SsoConfig::default();
    config.apply(created());
    config.apply(other_added());
    assert!(config.serves(uuid(OWNER)) && config.serves(uuid(OTHER)));
    config.apply(SsoConfigEvent::SsoAccountRemoved {
        account_id: uuid(OTHER),
    });
    assert!(!config.serves(uuid(OTHER)));
    config.apply(deleted());
    assert!(!config.serves(uuid(OWNER)));
    assert_eq!(config.account_id(), Some(uuid(OWNER)));
}

#[test]
fn sso_config_created_serializes_settings_and_keeps_them_public() {
    let v = serde_json::to_value(created()).unwrap();
    let public = crate::public::public_data(&v);
    assert_eq!(public["settings"]["name_id_source"], "email");
    assert_eq!(public["settings"]["sp_acs_path"], "q7Yb3kP0x9LmN2aZ");
    assert!(public["settings"]["idp_certificates"][0]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----\n"));
    let back: SsoConfigEvent = serde_json::from_value(v).unwrap();
    assert_eq!(back, created());
}

#[test]
fn sso_event_types_and_error_codes_are_stable() {
    assert_eq!(created().event_type(), "SsoConfigCreated");
    assert_eq!(deleted().event_type(), "SsoConfigDeleted");
    assert_eq!(other_added().event_type(), "SsoAccountAdded");
    assert_eq!(
        SsoConfigError::CannotRemoveOwner.code(),
        "SSO-CANNOT-REMOVE-OWNER"
    );
    assert_eq!(
        SsoConfigError::AccountNotServed.code(),
        "SSO-ACCOUNT-NOT-SERVED"
    );
}

#[tokio::test]
async fn add_account_without_offer_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::AddAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::NotOffered);
}

#[tokio::test]
async fn offer_account_emits_offered() {
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::OfferAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_events(vec![other_offered()]);
}

#[tokio::test]
async fn offer_twice_or_to_a_served_account_is_refused() {
    Test::with(services())
        .given(vec![created(), other_offered()])
        .when_async(SsoConfigCommand::OfferAccount {
            account_id: uuid(OTHER),
        })
        .await
        .then_expect_error(SsoConfigError::NoChange);
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::OfferAccount {
            account_id: uuid(OWNER),
        })
        .await
        .then_expect_error(SsoConfigError::AccountAlreadyServed);
}

#[tokio::test]
async fn an_accepted_offer_is_spent() {
    let mut config = SsoConfig::default();
    for event in [created(), other_offered(), other_added()] {
        config.apply(event);
    }
    assert!(config.offered.is_empty());
    assert!(config.serves(uuid(OTHER)));
}

#[tokio::test]
async fn a_refused_login_is_recorded() {
    let failed = SsoConfigEvent::SsoLoginFailed {
        reason: SsoLoginFailure::Signature,
        account_id: None,
        user_id: None,
        name_id: None,
    };
    Test::with(services())
        .given(vec![created()])
        .when_async(SsoConfigCommand::RecordLoginFailure {
            reason: SsoLoginFailure::Signature,
            account_id: None,
            user_id: None,
            name_id: None,
        })
        .await
        .then_expect_events(vec![failed]);
}

#[tokio::test]
async fn a_refused_login_on_a_deleted_configuration_is_not_recorded() {
    Test::with(services())
        .given(vec![created(), deleted()])
        .when_async(SsoConfigCommand::RecordLoginFailure {
            reason: SsoLoginFailure::UnknownUser,
            account_id: None,
            user_id: None,
            name_id: None,
        })
        .await
        .then_expect_error(SsoConfigError::Deleted);
}

#[test]
fn every_failure_has_its_serialized_name() {
    for failure in SsoLoginFailure::ALL {
        let json = serde_json::to_value(failure).unwrap();
        assert_eq!(json, serde_json::json!(failure.as_str()));
    }
}

#[tokio::test]
async fn a_change_of_trust_asks_the_other_accounts_to_agree_again() {
    let mut changed = settings();
    changed.allow_idp_initiated = !changed.allow_idp_initiated;
    Test::with(services())
        .given(vec![created(), other_offered(), other_added()])
        .when_async(SsoConfigCommand::Update {
            settings: changed.clone(),
        })
        .await
        .then_expect_events(vec![
            SsoConfigEvent::SsoConfigUpdated {
                settings: changed,
                previous_auto_create_groups: settings().auto_create_groups,
            },
            SsoConfigEvent::SsoAccountRemoved {
                account_id: uuid(OTHER),
            },
            other_offered(),
        ]);
    // A new logout URL is not a change of trust.
    let mut logout = settings();
    logout.idp_logout_url = Some(HttpUrl::parse("logout_url", "https://idp.test/bye").unwrap());
    Test::with(services())
        .given(vec![created(), other_offered(), other_added()])
        .when_async(SsoConfigCommand::Update {
            settings: logout.clone(),
        })
        .await
        .then_expect_events(vec![SsoConfigEvent::SsoConfigUpdated {
            settings: logout,
            previous_auto_create_groups: settings().auto_create_groups,
        }]);
}
