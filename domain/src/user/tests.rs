use chrono::Duration;
use cqrs_es::test::TestFramework;
use cqrs_es::{Aggregate, DomainEvent};

use super::*;
use crate::ports::PortError;
use crate::testing::{now, nth_id, services, services_with_failing_hasher, uuid};
use crate::values::{Password, Role, TwoFactorMode};

type Test = TestFramework<User>;

const USER: u128 = 1;
const ACCOUNT: u128 = 2;
const TEAM: u128 = 30;

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

fn person(raw: &str) -> PersonName {
    PersonName::parse("first_name", raw).unwrap()
}

fn password() -> Password {
    Password::parse("correct horse battery").unwrap()
}

fn admin_roles() -> Roles {
    Roles::new([Role::AccountAdmin])
}

fn register_command(password: Option<Password>, source: RegistrationSource) -> UserCommand {
    UserCommand::Register(Box::new(RegisterUser {
        user_id: uuid(USER),
        account_id: uuid(ACCOUNT),
        email: email("ana@example.com"),
        username: Some(Username::parse("ana").unwrap()),
        first_name: Some(person("Ana")),
        last_name: None,
        phone: None,
        language: None,
        roles: Roles::member(),
        password,
        source,
        sso_config_id: None,
    }))
}

/// The event `register_command` produces, given the outcome of hashing.
fn registered_event(
    password_hash: Option<&str>,
    source: RegistrationSource,
    invited: bool,
) -> UserEvent {
    UserEvent::UserRegistered {
        user_id: uuid(USER),
        account_id: uuid(ACCOUNT),
        email: email("ana@example.com"),
        username: Some(Username::parse("ana").unwrap()),
        first_name: Some(person("Ana")),
        last_name: None,
        phone: None,
        language: Language::english(),
        roles: Roles::member(),
        source,
        invited,
        password_hash: password_hash.map(|h| StoredSecret(h.into())),
        password_changed_at: password_hash.map(|_| now()),
        sso_managed: source == RegistrationSource::Sso,
        sso_config_id: None,
    }
}

/// An active user with a password.
fn registered() -> UserEvent {
    registered_event(
        Some("hashed:correct horse battery"),
        RegistrationSource::Admin,
        false,
    )
}

fn login(session: u64) -> UserEvent {
    UserEvent::LoginSucceeded {
        method: LoginMethod::Password,
        session_id: nth_id(session),
        session_token_hash: StoredSecret(format!("session-{session}")),
        session_expires_at: now() + Duration::hours(8),
        device_id: None,
        at: now() - Duration::hours(1),
    }
}

fn failed(failed_attempts: u32) -> UserEvent {
    UserEvent::LoginFailed {
        method: LoginMethod::Password,
        reason: LoginFailure::WrongPassword,
        failed_attempts,
        device_id: None,
        scope: LockScope::Account,
    }
}

fn policy_lock(failed_attempts: u32, until: Option<chrono::DateTime<Utc>>) -> UserEvent {
    UserEvent::UserLocked {
        reason: LockReason::Policy,
        failed_attempts,
        until,
        scope: LockScope::Account,
    }
}

fn lockout(max_attempts: u8, lock_minutes: Option<u32>) -> Lockout {
    Lockout {
        max_attempts,
        lock_minutes,
        mode: LockoutMode::Account,
    }
}

fn record_failed_login(max_attempts: u8, lock_minutes: Option<u32>) -> UserCommand {
    UserCommand::RecordFailedLogin {
        method: LoginMethod::Password,
        device_id: None,
        device_trusted: false,
        lockout: lockout(max_attempts, lock_minutes),
    }
}

async fn refused_on_unknown_user(command: UserCommand) {
    Test::with(services())
        .given_no_previous_events()
        .when_async(command)
        .await
        .then_expect_error(UserError::NotFound);
}

// Register

#[tokio::test]
async fn register_without_password_emits_invited_user() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(register_command(None, RegistrationSource::Admin))
        .await
        .then_expect_events(vec![registered_event(
            None,
            RegistrationSource::Admin,
            true,
        )]);
}

#[tokio::test]
async fn register_with_password_emits_active_user_with_hash() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(register_command(
            Some(password()),
            RegistrationSource::Admin,
        ))
        .await
        .then_expect_events(vec![registered()]);
}

#[tokio::test]
async fn register_from_sso_without_password_emits_active_sso_managed_user() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(register_command(None, RegistrationSource::Sso))
        .await
        .then_expect_events(vec![registered_event(None, RegistrationSource::Sso, false)]);
}

#[tokio::test]
async fn register_with_failing_hasher_is_refused() {
    Test::with(services_with_failing_hasher())
        .given_no_previous_events()
        .when_async(register_command(
            Some(password()),
            RegistrationSource::Admin,
        ))
        .await
        .then_expect_error(UserError::Port(PortError {
            port: "hasher",
            reason: "pool closed".into(),
        }));
}

#[tokio::test]
async fn register_existing_user_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(register_command(None, RegistrationSource::Admin))
        .await
        .then_expect_error(UserError::AlreadyRegistered);
}

// UpdateProfile

#[tokio::test]
async fn update_profile_emits_only_the_fields_that_changed() {
    let changes = ProfileChanges {
        first_name: Some(Some(person("Ana"))),
        last_name: Some(Some(person("Lopez"))),
        phone: Some(None),
        language: Some(Language::parse("pt-BR").unwrap()),
    };
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::UpdateProfile { changes })
        .await
        .then_expect_events(vec![UserEvent::UserProfileUpdated {
            changes: ProfileChanges {
                last_name: Some(Some(person("Lopez"))),
                language: Some(Language::parse("pt-BR").unwrap()),
                ..ProfileChanges::default()
            },
        }]);
}

#[tokio::test]
async fn update_profile_with_current_values_is_refused() {
    let changes = ProfileChanges {
        first_name: Some(Some(person("Ana"))),
        language: Some(Language::english()),
        ..ProfileChanges::default()
    };
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::UpdateProfile { changes })
        .await
        .then_expect_error(UserError::NoChange);
}

#[tokio::test]
async fn update_profile_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::UpdateProfile {
        changes: ProfileChanges::default(),
    })
    .await;
}

// ChangeRoles

#[tokio::test]
async fn change_roles_emits_roles_changed_with_previous() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::ChangeRoles {
            roles: admin_roles(),
        })
        .await
        .then_expect_events(vec![UserEvent::UserRolesChanged {
            roles: admin_roles(),
            previous: Roles::member(),
        }]);
}

#[tokio::test]
async fn change_roles_to_same_roles_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::ChangeRoles {
            roles: Roles::new([Role::Member]),
        })
        .await
        .then_expect_error(UserError::NoChange);
}

#[tokio::test]
async fn change_roles_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::ChangeRoles {
        roles: admin_roles(),
    })
    .await;
}

// ChangeEmail

#[tokio::test]
async fn change_email_emits_email_changed_with_previous() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::ChangeEmail {
            email: email("ana.lopez@example.com"),
        })
        .await
        .then_expect_events(vec![UserEvent::UserEmailChanged {
            email: email("ana.lopez@example.com"),
            previous: email("ana@example.com"),
        }]);
}

#[tokio::test]
async fn change_email_to_same_address_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::ChangeEmail {
            email: email("ana@example.com"),
        })
        .await
        .then_expect_error(UserError::NoChange);
}

#[tokio::test]
async fn change_email_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::ChangeEmail {
        email: email("ana@example.com"),
    })
    .await;
}

// Disable / Enable

#[tokio::test]
async fn disable_active_user_emits_disabled() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::Disable {
            reason: DisableReason::Admin,
        })
        .await
        .then_expect_events(vec![UserEvent::UserDisabled {
            reason: DisableReason::Admin,
        }]);
}

#[tokio::test]
async fn disable_with_open_sessions_also_ends_them() {
    Test::with(services())
        .given(vec![registered(), login(0), login(1)])
        .when_async(UserCommand::Disable {
            reason: DisableReason::Inactivity,
        })
        .await
        .then_expect_events(vec![
            UserEvent::UserDisabled {
                reason: DisableReason::Inactivity,
            },
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(0), nth_id(1)],
                reason: SessionEndReason::Disabled,
            },
        ]);
}

#[tokio::test]
async fn disable_already_disabled_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::UserDisabled {
                reason: DisableReason::Admin,
            },
        ])
        .when_async(UserCommand::Disable {
            reason: DisableReason::Admin,
        })
        .await
        .then_expect_error(UserError::AlreadyDisabled);
}

#[tokio::test]
async fn disable_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::Disable {
        reason: DisableReason::Admin,
    })
    .await;
}

#[tokio::test]
async fn enable_disabled_user_emits_enabled() {
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::UserDisabled {
                reason: DisableReason::Inactivity,
            },
        ])
        .when_async(UserCommand::Enable)
        .await
        .then_expect_events(vec![UserEvent::UserEnabled]);
}

#[tokio::test]
async fn enable_not_disabled_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::Enable)
        .await
        .then_expect_error(UserError::NotDisabled);
}

#[tokio::test]
async fn enable_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::Enable).await;
}

// Lock / Unlock

#[tokio::test]
async fn lock_active_user_emits_admin_lock_without_end() {
    Test::with(services())
        .given(vec![registered(), failed(1), failed(2)])
        .when_async(UserCommand::Lock)
        .await
        .then_expect_events(vec![UserEvent::UserLocked {
            reason: LockReason::Admin,
            failed_attempts: 2,
            until: None,
            scope: LockScope::Account,
        }]);
}

#[tokio::test]
async fn lock_with_open_sessions_also_ends_them() {
    Test::with(services())
        .given(vec![registered(), login(0)])
        .when_async(UserCommand::Lock)
        .await
        .then_expect_events(vec![
            UserEvent::UserLocked {
                reason: LockReason::Admin,
                failed_attempts: 0,
                until: None,
                scope: LockScope::Account,
            },
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(0)],
                reason: SessionEndReason::Locked,
            },
        ]);
}

#[tokio::test]
async fn lock_after_temporary_lock_expired_lifts_it_then_locks() {
    Test::with(services())
        .given(vec![
            registered(),
            failed(3),
            policy_lock(3, Some(now() - Duration::minutes(1))),
        ])
        .when_async(UserCommand::Lock)
        .await
        .then_expect_events(vec![
            UserEvent::UserUnlocked {
                reason: UnlockReason::Expired,
            },
            UserEvent::UserLocked {
                reason: LockReason::Admin,
                failed_attempts: 0,
                until: None,
                scope: LockScope::Account,
            },
        ]);
}

#[tokio::test]
async fn lock_already_locked_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            policy_lock(5, Some(now() + Duration::minutes(10))),
        ])
        .when_async(UserCommand::Lock)
        .await
        .then_expect_error(UserError::AlreadyLocked);
}

#[tokio::test]
async fn lock_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::Lock).await;
}

#[tokio::test]
async fn unlock_locked_user_emits_admin_unlock() {
    Test::with(services())
        .given(vec![registered(), failed(5), policy_lock(5, None)])
        .when_async(UserCommand::Unlock)
        .await
        .then_expect_events(vec![UserEvent::UserUnlocked {
            reason: UnlockReason::Admin,
        }]);
}

#[tokio::test]
async fn unlock_not_locked_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::Unlock)
        .await
        .then_expect_error(UserError::NotLocked);
}

#[tokio::test]
async fn unlock_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::Unlock).await;
}

// RequireTwoFactor

#[tokio::test]
async fn require_two_factor_emits_requirement_changed() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::RequireTwoFactor { required: true })
        .await
        .then_expect_events(vec![UserEvent::TwoFactorRequirementChanged {
            required: true,
        }]);
}

#[tokio::test]
async fn require_two_factor_unchanged_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::TwoFactorRequirementChanged { required: true },
        ])
        .when_async(UserCommand::RequireTwoFactor { required: true })
        .await
        .then_expect_error(UserError::NoChange);
}

#[tokio::test]
async fn require_two_factor_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::RequireTwoFactor { required: true }).await;
}

// AddToTeam / RemoveFromTeam

fn add_to_team(team_sso_managed: bool, via_sso: bool) -> UserCommand {
    UserCommand::AddToTeam {
        team_id: uuid(TEAM),
        team_sso_managed,
        via_sso,
    }
}

fn remove_from_team(team_sso_managed: bool, via_sso: bool) -> UserCommand {
    UserCommand::RemoveFromTeam {
        team_id: uuid(TEAM),
        team_sso_managed,
        via_sso,
    }
}

fn added(via_sso: bool) -> UserEvent {
    UserEvent::UserAddedToTeam {
        team_id: uuid(TEAM),
        via_sso,
    }
}

#[tokio::test]
async fn add_to_team_by_hand_emits_added() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(add_to_team(false, false))
        .await
        .then_expect_events(vec![added(false)]);
}

#[tokio::test]
async fn add_to_team_sso_managed_via_sso_emits_added() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(add_to_team(true, true))
        .await
        .then_expect_events(vec![added(true)]);
}

#[tokio::test]
async fn add_to_team_sso_managed_by_hand_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(add_to_team(true, false))
        .await
        .then_expect_error(UserError::TeamManagedBySso);
}

#[tokio::test]
async fn add_to_team_already_member_is_refused() {
    Test::with(services())
        .given(vec![registered(), added(false)])
        .when_async(add_to_team(false, false))
        .await
        .then_expect_error(UserError::AlreadyInTeam);
}

#[tokio::test]
async fn add_to_team_unknown_user_is_refused() {
    refused_on_unknown_user(add_to_team(false, false)).await;
}

#[tokio::test]
async fn remove_from_team_member_emits_removed() {
    Test::with(services())
        .given(vec![registered(), added(true)])
        .when_async(remove_from_team(true, true))
        .await
        .then_expect_events(vec![UserEvent::UserRemovedFromTeam {
            team_id: uuid(TEAM),
            via_sso: true,
        }]);
}

#[tokio::test]
async fn remove_from_team_sso_managed_by_hand_is_refused() {
    Test::with(services())
        .given(vec![registered(), added(true)])
        .when_async(remove_from_team(true, false))
        .await
        .then_expect_error(UserError::TeamManagedBySso);
}

#[tokio::test]
async fn remove_from_team_not_member_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(remove_from_team(false, false))
        .await
        .then_expect_error(UserError::NotInTeam);
}

#[tokio::test]
async fn remove_from_team_unknown_user_is_refused() {
    refused_on_unknown_user(remove_from_team(false, false)).await;
}

// RecordFailedLogin

#[tokio::test]
async fn record_failed_login_below_limit_counts_it() {
    Test::with(services())
        .given(vec![registered(), failed(1)])
        .when_async(record_failed_login(5, Some(15)))
        .await
        .then_expect_events(vec![failed(2)]);
}

#[tokio::test]
async fn record_failed_login_reaching_limit_locks_until_lock_minutes() {
    Test::with(services())
        .given(vec![registered(), failed(1), failed(2)])
        .when_async(record_failed_login(3, Some(15)))
        .await
        .then_expect_events(vec![
            failed(3),
            policy_lock(3, Some(now() + Duration::minutes(15))),
        ]);
}

#[tokio::test]
async fn record_failed_login_reaching_limit_without_lock_minutes_locks_until_unlocked() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(record_failed_login(1, None))
        .await
        .then_expect_events(vec![failed(1), policy_lock(1, None)]);
}

#[tokio::test]
async fn record_failed_login_reaching_limit_with_open_sessions_also_ends_them() {
    Test::with(services())
        .given(vec![registered(), login(0), failed(1)])
        .when_async(record_failed_login(2, None))
        .await
        .then_expect_events(vec![
            failed(2),
            policy_lock(2, None),
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(0)],
                reason: SessionEndReason::Locked,
            },
        ]);
}

#[tokio::test]
async fn record_failed_login_when_locked_is_refused_without_an_event() {
    Test::with(services())
        .given(vec![
            registered(),
            failed(3),
            policy_lock(3, Some(now() + Duration::minutes(5))),
        ])
        .when_async(record_failed_login(3, Some(15)))
        .await
        .then_expect_error(UserError::Locked);
}

fn untrusted_lockout(max_attempts: u8) -> Lockout {
    Lockout {
        max_attempts,
        lock_minutes: None,
        mode: LockoutMode::UntrustedDevices,
    }
}

fn failed_from(device_trusted: bool, max_attempts: u8) -> UserCommand {
    UserCommand::RecordFailedLogin {
        method: LoginMethod::Password,
        device_id: None,
        device_trusted,
        lockout: untrusted_lockout(max_attempts),
    }
}

fn failed_untrusted(n: u32) -> UserEvent {
    UserEvent::LoginFailed {
        method: LoginMethod::Password,
        reason: LoginFailure::WrongPassword,
        failed_attempts: n,
        device_id: None,
        scope: LockScope::UntrustedDevices,
    }
}

#[tokio::test]
async fn record_failed_login_from_untrusted_device_under_untrusted_lockout_locks_untrusted_devices_only(
) {
    Test::with(services())
        .given(vec![registered(), login(0), failed_untrusted(1)])
        .when_async(failed_from(false, 2))
        .await
        .then_expect_events(vec![
            failed_untrusted(2),
            // Sessions stay: they were opened with every factor the account asked for.
            UserEvent::UserLocked {
                reason: LockReason::Policy,
                failed_attempts: 2,
                until: None,
                scope: LockScope::UntrustedDevices,
            },
        ]);
}

#[tokio::test]
async fn record_failed_login_from_trusted_device_counts_apart_from_untrusted_failures() {
    let untrusted_lock = UserEvent::UserLocked {
        reason: LockReason::Policy,
        failed_attempts: 2,
        until: None,
        scope: LockScope::UntrustedDevices,
    };
    Test::with(services())
        .given(vec![
            registered(),
            failed_untrusted(1),
            failed_untrusted(2),
            untrusted_lock,
        ])
        .when_async(failed_from(true, 2))
        .await
        .then_expect_events(vec![failed(1)]);
}

#[test]
fn a_lock_of_untrusted_devices_lets_a_trusted_device_in() {
    let mut user = User::default();
    for e in [
        registered(),
        failed_untrusted(1),
        UserEvent::UserLocked {
            reason: LockReason::Policy,
            failed_attempts: 1,
            until: None,
            scope: LockScope::UntrustedDevices,
        },
    ] {
        user.apply(e);
    }
    assert_eq!(user.may_log_in(now(), true), Ok(()));
    assert_eq!(user.may_log_in(now(), false), Err(UserError::Locked));
    assert_eq!(user.failures(LockScope::UntrustedDevices), 1);
    assert_eq!(user.failures(LockScope::Account), 0);
    // A lock of untrusted devices keeps the trust of the trusted ones.
    assert_eq!(user.trust_epoch, 0);
}

#[test]
fn the_events_that_end_device_trust_say_why_and_move_the_epoch_on() {
    use crate::device::DeviceRevokeReason as Why;
    let changed = |method| UserEvent::PasswordChanged {
        password_hash: hash(),
        method,
        changed_at: now(),
        expires_at: None,
    };
    let cases = [
        (
            changed(PasswordChangeMethod::ResetLink),
            Some(Why::PasswordReset),
        ),
        (
            changed(PasswordChangeMethod::SelfService),
            Some(Why::PasswordChanged),
        ),
        (
            changed(PasswordChangeMethod::Admin),
            Some(Why::PasswordChanged),
        ),
        (
            changed(PasswordChangeMethod::Expired),
            Some(Why::PasswordChanged),
        ),
        (
            UserEvent::TotpReset {
                secret_sealed: hash(),
                keeps_current: true,
            },
            Some(Why::TotpReset),
        ),
        (policy_lock(5, None), Some(Why::Locked)),
        (
            UserEvent::UserDisabled {
                reason: DisableReason::Inactivity,
            },
            Some(Why::Disabled),
        ),
        // A lock of untrusted devices keeps the trusted ones; a failure ends nothing.
        (
            UserEvent::UserLocked {
                reason: LockReason::Policy,
                failed_attempts: 3,
                until: None,
                scope: LockScope::UntrustedDevices,
            },
            None,
        ),
        (failed(1), None),
        (UserEvent::UserEnabled, None),
    ];
    for (event, why) in cases {
        assert_eq!(event.ends_device_trust(), why, "{event:?}");
        let mut user = User::default();
        user.apply(registered());
        user.apply(event);
        assert_eq!(user.trust_epoch, u32::from(why.is_some()), "{why:?}");
    }
}

#[tokio::test]
async fn record_failed_login_after_lock_expired_unlocks_then_counts_from_one() {
    Test::with(services())
        .given(vec![
            registered(),
            failed(3),
            policy_lock(3, Some(now() - Duration::seconds(1))),
        ])
        .when_async(record_failed_login(3, Some(15)))
        .await
        .then_expect_events(vec![
            UserEvent::UserUnlocked {
                reason: UnlockReason::Expired,
            },
            failed(1),
        ]);
}

#[tokio::test]
async fn record_failed_login_unknown_user_is_refused() {
    refused_on_unknown_user(record_failed_login(5, None)).await;
}

#[tokio::test]
async fn record_failed_login_when_disabled_is_refused_without_an_event() {
    Test::with(services())
        .given(vec![
            registered(),
            failed(1),
            UserEvent::UserDisabled {
                reason: DisableReason::Admin,
            },
        ])
        .when_async(record_failed_login(2, None))
        .await
        .then_expect_error(UserError::Disabled);
}

#[test]
fn version_1_refused_logins_do_not_change_the_count() {
    let mut user = User::default();
    user.apply(registered());
    user.apply(failed(2));
    user.apply(UserEvent::LoginFailed {
        method: LoginMethod::Password,
        reason: LoginFailure::Locked,
        failed_attempts: 0,
        device_id: None,
        scope: LockScope::Account,
    });
    assert_eq!(user.failed_attempts, 2);
}

// RecordLogin, Logout, RevokeSession

fn hash() -> StoredSecret {
    StoredSecret("hashed:correct horse battery".into())
}

fn record_login(language: Option<&str>, verified_hash: Option<StoredSecret>) -> UserCommand {
    UserCommand::RecordLogin(Box::new(RecordLogin {
        method: LoginMethod::Password,
        session_id: nth_id(7),
        session_token_hash: StoredSecret("session-7".into()),
        session_expires_at: now() + Duration::hours(12),
        device_id: Some(uuid(40)),
        language: language.map(|l| Language::parse(l).unwrap()),
        verified_hash,
        device_trusted: false,
        two_factor: TwoFactorMode::Off,
    }))
}

fn logged_in() -> UserEvent {
    UserEvent::LoginSucceeded {
        method: LoginMethod::Password,
        session_id: nth_id(7),
        session_token_hash: StoredSecret("session-7".into()),
        session_expires_at: now() + Duration::hours(12),
        device_id: Some(uuid(40)),
        at: now(),
    }
}

#[tokio::test]
async fn record_login_emits_login_succeeded_with_the_session() {
    Test::with(services())
        .given(vec![registered(), failed(1)])
        .when_async(record_login(None, Some(hash())))
        .await
        .then_expect_events(vec![logged_in()]);
}

#[test]
fn login_succeeded_resets_the_counter_and_opens_the_session() {
    let mut user = User::default();
    user.apply(registered());
    user.apply(failed(2));
    user.apply(logged_in());
    assert_eq!(user.failed_attempts, 0);
    assert_eq!(user.last_login_at, Some(now()));
    assert!(user.sessions.contains_key(&nth_id(7)));
}

#[tokio::test]
async fn record_login_with_a_new_language_changes_it_first() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(record_login(Some("de"), Some(hash())))
        .await
        .then_expect_events(vec![
            UserEvent::UserLanguageChanged {
                language: Language::parse("de").unwrap(),
            },
            logged_in(),
        ]);
}

#[tokio::test]
async fn record_login_with_the_current_language_changes_nothing_else() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(record_login(Some("en"), Some(hash())))
        .await
        .then_expect_events(vec![logged_in()]);
}

#[tokio::test]
async fn record_login_against_a_password_changed_meanwhile_is_refused() {
    Test::with(services())
        .given(vec![registered()])
        .when_async(record_login(None, Some(StoredSecret("hashed:old".into()))))
        .await
        .then_expect_error(UserError::CredentialChanged);
}

#[tokio::test]
async fn record_login_when_locked_is_refused() {
    Test::with(services())
        .given(vec![registered(), policy_lock(5, None)])
        .when_async(record_login(None, Some(hash())))
        .await
        .then_expect_error(UserError::Locked);
}

#[tokio::test]
async fn record_login_after_lock_expired_unlocks_first() {
    Test::with(services())
        .given(vec![
            registered(),
            policy_lock(5, Some(now() - Duration::seconds(1))),
        ])
        .when_async(record_login(None, Some(hash())))
        .await
        .then_expect_events(vec![
            UserEvent::UserUnlocked {
                reason: UnlockReason::Expired,
            },
            logged_in(),
        ]);
}

#[tokio::test]
async fn record_login_when_disabled_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::UserDisabled {
                reason: DisableReason::Inactivity,
            },
        ])
        .when_async(record_login(None, Some(hash())))
        .await
        .then_expect_error(UserError::Disabled);
}

#[tokio::test]
async fn record_login_when_the_current_state_asks_a_second_factor_is_refused() {
    let UserCommand::RecordLogin(mut login) = record_login(None, Some(hash())) else {
        unreachable!()
    };
    login.two_factor = TwoFactorMode::EveryLogin;
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::RecordLogin(login.clone()))
        .await
        .then_expect_error(UserError::SecondFactorDue);
    // An administrator's requirement asks one whatever the mode.
    login.two_factor = TwoFactorMode::Off;
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::TwoFactorRequirementChanged { required: true },
        ])
        .when_async(UserCommand::RecordLogin(login))
        .await
        .then_expect_error(UserError::SecondFactorDue);
}

#[tokio::test]
async fn an_sso_login_owes_no_second_factor_of_chronid() {
    let UserCommand::RecordLogin(mut login) = record_login(None, None) else {
        unreachable!()
    };
    login.method = LoginMethod::Sso;
    login.two_factor = TwoFactorMode::EveryLogin;
    let UserEvent::LoginSucceeded {
        session_id,
        session_token_hash,
        session_expires_at,
        device_id,
        at,
        ..
    } = logged_in()
    else {
        unreachable!()
    };
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::TwoFactorRequirementChanged { required: true },
        ])
        .when_async(UserCommand::RecordLogin(login.clone()))
        .await
        .then_expect_events(vec![UserEvent::LoginSucceeded {
            method: LoginMethod::Sso,
            session_id,
            session_token_hash,
            session_expires_at,
            device_id,
            at,
        }]);
    // Google and GitHub still owe it.
    login.method = LoginMethod::Google;
    Test::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::RecordLogin(login))
        .await
        .then_expect_error(UserError::SecondFactorDue);
}

#[tokio::test]
async fn an_sso_login_of_a_locked_user_is_refused() {
    let UserCommand::RecordLogin(mut login) = record_login(None, None) else {
        unreachable!()
    };
    login.method = LoginMethod::Sso;
    Test::with(services())
        .given(vec![registered(), policy_lock(5, None)])
        .when_async(UserCommand::RecordLogin(login))
        .await
        .then_expect_error(UserError::Locked);
}

#[tokio::test]
async fn sso_registration_records_its_configuration() {
    let UserCommand::Register(mut cmd) = register_command(None, RegistrationSource::Sso) else {
        unreachable!()
    };
    cmd.sso_config_id = Some(uuid(77));
    let mut expected = registered_event(None, RegistrationSource::Sso, false);
    if let UserEvent::UserRegistered { sso_config_id, .. } = &mut expected {
        *sso_config_id = Some(uuid(77));
    }
    Test::with(services())
        .given_no_previous_events()
        .when_async(UserCommand::Register(cmd))
        .await
        .then_expect_events(vec![expected]);
}

#[tokio::test]
async fn record_login_unknown_user_is_refused() {
    refused_on_unknown_user(record_login(None, None)).await;
}

#[tokio::test]
async fn logout_emits_logged_out() {
    Test::with(services())
        .given(vec![registered(), logged_in()])
        .when_async(UserCommand::Logout {
            session_id: nth_id(7),
        })
        .await
        .then_expect_events(vec![UserEvent::UserLoggedOut {
            session_id: nth_id(7),
        }]);
}

#[tokio::test]
async fn logout_of_an_unknown_session_is_refused() {
    Test::with(services())
        .given(vec![registered(), logged_in()])
        .when_async(UserCommand::Logout {
            session_id: nth_id(8),
        })
        .await
        .then_expect_error(UserError::SessionNotFound);
}

#[tokio::test]
async fn logout_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::Logout {
        session_id: nth_id(7),
    })
    .await;
}

#[tokio::test]
async fn revoke_session_ends_it() {
    Test::with(services())
        .given(vec![registered(), login(0), logged_in()])
        .when_async(UserCommand::RevokeSession {
            session_id: nth_id(0),
        })
        .await
        .then_expect_events(vec![UserEvent::SessionsEnded {
            session_ids: vec![nth_id(0)],
            reason: SessionEndReason::Revoked,
        }]);
}

#[tokio::test]
async fn revoke_session_already_ended_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            logged_in(),
            UserEvent::UserLoggedOut {
                session_id: nth_id(7),
            },
        ])
        .when_async(UserCommand::RevokeSession {
            session_id: nth_id(7),
        })
        .await
        .then_expect_error(UserError::SessionNotFound);
}

#[tokio::test]
async fn revoke_session_unknown_user_is_refused() {
    refused_on_unknown_user(UserCommand::RevokeSession {
        session_id: nth_id(7),
    })
    .await;
}

// DisableForInactivity

fn inactive(days: u16) -> UserCommand {
    UserCommand::DisableForInactivity {
        max_inactivity_days: days,
    }
}

#[tokio::test]
async fn disable_for_inactivity_past_the_limit_since_the_last_login_disables_and_ends_sessions() {
    let mut long_ago = registered();
    if let UserEvent::UserRegistered {
        password_changed_at,
        ..
    } = &mut long_ago
    {
        *password_changed_at = Some(now() - Duration::days(90));
    }
    let mut old_login = login(0);
    if let UserEvent::LoginSucceeded { at, .. } = &mut old_login {
        *at = now() - Duration::days(31);
    }
    Test::with(services())
        .given(vec![long_ago, old_login])
        .when_async(inactive(30))
        .await
        .then_expect_events(vec![
            UserEvent::UserDisabled {
                reason: DisableReason::Inactivity,
            },
            UserEvent::SessionsEnded {
                session_ids: vec![nth_id(0)],
                reason: SessionEndReason::Disabled,
            },
        ]);
}

#[tokio::test]
async fn disable_for_inactivity_counts_from_the_password_when_never_logged_in() {
    // `registered()` set its password at `now`: not yet inactive.
    Test::with(services())
        .given(vec![registered()])
        .when_async(inactive(15))
        .await
        .then_expect_error(UserError::NotInactive);
    let mut long_ago = registered();
    if let UserEvent::UserRegistered {
        password_changed_at,
        ..
    } = &mut long_ago
    {
        *password_changed_at = Some(now() - Duration::days(16));
    }
    Test::with(services())
        .given(vec![long_ago])
        .when_async(inactive(15))
        .await
        .then_expect_events(vec![UserEvent::UserDisabled {
            reason: DisableReason::Inactivity,
        }]);
}

#[tokio::test]
async fn disable_for_inactivity_after_a_recent_login_is_refused() {
    Test::with(services())
        .given(vec![registered(), login(0)])
        .when_async(inactive(15))
        .await
        .then_expect_error(UserError::NotInactive);
}

#[tokio::test]
async fn disable_for_inactivity_of_an_invited_user_is_refused() {
    Test::with(services())
        .given(vec![registered_event(
            None,
            RegistrationSource::Admin,
            true,
        )])
        .when_async(inactive(15))
        .await
        .then_expect_error(UserError::NotInactive);
}

#[tokio::test]
async fn disable_for_inactivity_when_already_disabled_is_refused() {
    Test::with(services())
        .given(vec![
            registered(),
            UserEvent::UserDisabled {
                reason: DisableReason::Admin,
            },
        ])
        .when_async(inactive(15))
        .await
        .then_expect_error(UserError::AlreadyDisabled);
}

#[tokio::test]
async fn disable_for_inactivity_unknown_user_is_refused() {
    refused_on_unknown_user(inactive(15)).await;
}

// State derived from events

#[test]
fn status_follows_invitation_lock_and_disable() {
    let mut user = User::default();
    user.apply(registered_event(None, RegistrationSource::Admin, true));
    assert_eq!(user.status(), UserStatus::Invited);
    user.apply(UserEvent::PasswordChanged {
        password_hash: StoredSecret("h".into()),
        method: PasswordChangeMethod::ResetLink,
        changed_at: now(),
        expires_at: None,
    });
    assert_eq!(user.status(), UserStatus::Active);
    user.apply(policy_lock(5, Some(now())));
    assert_eq!(user.status(), UserStatus::Locked);
    assert!(user.lock_expired(now()));
    user.apply(UserEvent::UserDisabled {
        reason: DisableReason::Admin,
    });
    assert_eq!(user.status(), UserStatus::Disabled);
    assert_eq!(user.account_id(), Some(uuid(ACCOUNT)));
}

// Public form: secrets never leave the store

/// Serialises `event` as the store does and checks that its public form holds neither the secret
/// values nor the names of the fields that carry them (and that the stored form does hold them).
fn assert_public_form_hides(event: UserEvent, secrets: &[(&str, &str)]) {
    let stored = serde_json::to_value(&event).unwrap();
    let stored_text = stored.to_string();
    let public = crate::public::public_data(&stored).to_string();
    for (field, value) in secrets {
        assert!(
            stored_text.contains(field) && stored_text.contains(value),
            "{} fixture must hold {field}",
            event.event_type()
        );
        assert!(!public.contains(value), "{}: {public}", event.event_type());
        assert!(!public.contains(field), "{}: {public}", event.event_type());
    }
}

#[test]
fn user_registered_with_password_public_form_has_no_password_hash() {
    assert_public_form_hides(
        registered_event(
            Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$SECRET1"),
            RegistrationSource::Admin,
            false,
        ),
        &[("password_hash", "SECRET1")],
    );
}

#[test]
fn password_changed_public_form_has_no_password_hash() {
    assert_public_form_hides(
        UserEvent::PasswordChanged {
            password_hash: StoredSecret("$argon2id$SECRET2".into()),
            method: PasswordChangeMethod::SelfService,
            changed_at: now(),
            expires_at: Some(now() + Duration::days(90)),
        },
        &[("password_hash", "SECRET2")],
    );
}

#[test]
fn password_reset_requested_public_form_has_no_token_hash() {
    assert_public_form_hides(
        UserEvent::PasswordResetRequested {
            request_id: uuid(40),
            token_hash: StoredSecret("SECRET3".into()),
            token_sealed: Some(StoredSecret("SECRET4".into())),
            initiated_by: ResetInitiator::Admin,
            expires_at: now() + Duration::hours(1),
            requested_at: now(),
        },
        &[("token_hash", "SECRET3"), ("token_sealed", "SECRET4")],
    );
}

#[test]
fn login_succeeded_public_form_has_no_session_token_hash() {
    assert_public_form_hides(
        UserEvent::LoginSucceeded {
            method: LoginMethod::Sso,
            session_id: uuid(41),
            session_token_hash: StoredSecret("SECRET4".into()),
            session_expires_at: now() + Duration::hours(8),
            device_id: Some(uuid(42)),
            at: now(),
        },
        &[("session_token_hash", "SECRET4")],
    );
}

#[test]
fn password_change_required_public_form_has_no_token_hash() {
    assert_public_form_hides(
        UserEvent::PasswordChangeRequired {
            change_id: uuid(43),
            token_hash: StoredSecret("SECRET5".into()),
            expires_at: now() + Duration::minutes(15),
        },
        &[("token_hash", "SECRET5")],
    );
}

#[test]
fn two_factor_challenge_issued_public_form_has_no_code_hash_or_sealed_code() {
    assert_public_form_hides(
        UserEvent::TwoFactorChallengeIssued {
            challenge_id: uuid(44),
            channel: TwoFactorChannel::Sms,
            purpose: ChallengePurpose::SignIn,
            issued_at: now(),
            code_hash: Some(StoredSecret("SECRET6".into())),
            code_sealed: Some(StoredSecret("sealed:SECRET7".into())),
            device_id: Some(uuid(45)),
            expires_at: now() + Duration::minutes(10),
            max_attempts: 5,
        },
        &[("code_hash", "SECRET6"), ("code_sealed", "SECRET7")],
    );
}

#[test]
fn totp_enrolled_public_form_has_no_sealed_secret() {
    assert_public_form_hides(
        UserEvent::TotpEnrolled {
            secret_sealed: StoredSecret("sealed:SECRET8".into()),
        },
        &[("secret_sealed", "SECRET8")],
    );
}

#[test]
fn totp_reset_public_form_has_no_sealed_secret() {
    assert_public_form_hides(
        UserEvent::TotpReset {
            secret_sealed: StoredSecret("sealed:SECRET9".into()),
            keeps_current: true,
        },
        &[("secret_sealed", "SECRET9")],
    );
}

#[tokio::test]
async fn update_profile_and_roles_emits_both_events() {
    let given = vec![registered()];
    let changes = ProfileChanges {
        first_name: Some(Some(PersonName::parse("first_name", "Zed").unwrap())),
        ..ProfileChanges::default()
    };
    let roles = Roles::new([Role::AccountAdmin]);
    TestFramework::<User>::with(services())
        .given(given)
        .when_async(UserCommand::Update {
            changes: changes.clone(),
            roles: Some(roles.clone()),
        })
        .await
        .then_expect_events(vec![
            UserEvent::UserProfileUpdated { changes },
            UserEvent::UserRolesChanged {
                roles,
                previous: Roles::member(),
            },
        ]);
}

#[tokio::test]
async fn update_with_nothing_new_is_refused() {
    TestFramework::<User>::with(services())
        .given(vec![registered()])
        .when_async(UserCommand::Update {
            changes: ProfileChanges::default(),
            roles: Some(Roles::member()),
        })
        .await
        .then_expect_error(UserError::NoChange);
}

#[tokio::test]
async fn update_unregistered_user_is_not_found() {
    TestFramework::<User>::with(services())
        .given_no_previous_events()
        .when_async(UserCommand::Update {
            changes: ProfileChanges::default(),
            roles: None,
        })
        .await
        .then_expect_error(UserError::NotFound);
}

#[test]
fn profile_changes_round_trip_keeps_cleared_fields_apart_from_unchanged_ones() {
    let changes = ProfileChanges {
        first_name: Some(None),
        last_name: None,
        phone: Some(Some(Phone::parse("+14155550100").unwrap())),
        language: None,
    };
    let event = UserEvent::UserProfileUpdated {
        changes: changes.clone(),
    };
    let stored = serde_json::to_value(&event).unwrap();
    assert_eq!(
        stored,
        serde_json::json!({"UserProfileUpdated": {"changes": {"first_name": null, "phone": "+14155550100"}}})
    );
    let read_back: UserEvent = serde_json::from_value(stored).unwrap();
    assert_eq!(read_back, event);
}

#[path = "auth_tests.rs"]
mod auth_tests;

#[tokio::test]
async fn linking_an_external_identity_records_it_once() {
    let link = || UserCommand::LinkExternalIdentity {
        provider: IdentityProvider::Saml,
        subject: "ana@corp.example".into(),
    };
    let linked = UserEvent::ExternalIdentityLinked {
        provider: IdentityProvider::Saml,
        subject: "ana@corp.example".into(),
    };
    Test::with(services())
        .given(vec![registered()])
        .when_async(link())
        .await
        .then_expect_events(vec![linked.clone()]);
    Test::with(services())
        .given(vec![registered(), linked])
        .when_async(link())
        .await
        .then_expect_error(UserError::NoChange);
    refused_on_unknown_user(link()).await;
}

#[tokio::test]
async fn a_user_links_one_google_account_but_a_nameid_per_configuration() {
    let linked = |provider, subject: &str| UserEvent::ExternalIdentityLinked {
        provider,
        subject: subject.into(),
    };
    Test::with(services())
        .given(vec![registered(), linked(IdentityProvider::Google, "1234")])
        .when_async(UserCommand::LinkExternalIdentity {
            provider: IdentityProvider::Google,
            subject: "5678".into(),
        })
        .await
        .then_expect_error(UserError::OtherIdentityLinked);
    Test::with(services())
        .given(vec![registered(), linked(IdentityProvider::Google, "1234")])
        .when_async(UserCommand::LinkExternalIdentity {
            provider: IdentityProvider::Github,
            subject: "1234".into(),
        })
        .await
        .then_expect_events(vec![linked(IdentityProvider::Github, "1234")]);
    Test::with(services())
        .given(vec![
            registered(),
            linked(IdentityProvider::Saml, "ana@a.example"),
        ])
        .when_async(UserCommand::LinkExternalIdentity {
            provider: IdentityProvider::Saml,
            subject: "ana@b.example".into(),
        })
        .await
        .then_expect_events(vec![linked(IdentityProvider::Saml, "ana@b.example")]);
}

#[tokio::test]
async fn unlinking_forgets_only_an_identity_that_is_linked() {
    let linked = UserEvent::ExternalIdentityLinked {
        provider: IdentityProvider::Google,
        subject: "1234".into(),
    };
    let unlink = |subject: &str| UserCommand::UnlinkExternalIdentity {
        provider: IdentityProvider::Google,
        subject: subject.into(),
    };
    Test::with(services())
        .given(vec![registered(), linked.clone()])
        .when_async(unlink("1234"))
        .await
        .then_expect_events(vec![UserEvent::ExternalIdentityUnlinked {
            provider: IdentityProvider::Google,
            subject: "1234".into(),
        }]);
    Test::with(services())
        .given(vec![registered(), linked.clone()])
        .when_async(unlink("5678"))
        .await
        .then_expect_error(UserError::IdentityNotLinked);
    Test::with(services())
        .given(vec![registered(), linked])
        .when_async(UserCommand::UnlinkExternalIdentity {
            provider: IdentityProvider::Github,
            subject: "1234".into(),
        })
        .await
        .then_expect_error(UserError::IdentityNotLinked);
}
