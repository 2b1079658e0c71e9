//! The user, device, team and account views, fed the public envelopes of real domain events:
//! every field each event sets, redeliveries that change nothing, and events a view cannot start
//! with.

#![allow(clippy::unwrap_used, clippy::panic)]

use chronid_domain::account::AccountEvent;
use chronid_domain::device::{DeviceEvent, DeviceRevokeReason};
use chronid_domain::metadata::Actor;
use chronid_domain::public::{public_data, PublicEnvelope};
use chronid_domain::user::{
    CodeFailure, DisableReason, IdentityProvider, LockReason, LockScope, LoginFailure, LoginMethod,
    PasswordChangeMethod, ProfileChanges, RegistrationSource, SessionEndReason, TotpAction,
    UnlockReason, UserEvent,
};
use chronid_domain::values::{
    Email, Language, Name, PersonName, Phone, Role, Roles, StoredSecret, TimeZone,
    TwoFactorChannel, TwoFactorMode, UserAgent, Username,
};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use cqrs_es::DomainEvent;
use uuid::Uuid;

use crate::account_view::{self, AccountView};
use crate::device_view::{self, DeviceView};
use crate::team_view::{self, TeamView};
use crate::user_view::{
    self, ExternalIdentity, LockView, PasswordView, TotpState, TrustedDevice, TwoFactorView,
    UserStatus, UserView,
};
use crate::Applied;

const ACCOUNT: Uuid = Uuid::from_u128(0xA);
const USER: Uuid = Uuid::from_u128(0x1);
const DEVICE: Uuid = Uuid::from_u128(0x5);
const TEAM: Uuid = Uuid::from_u128(0x6);
const OTHER_TEAM: Uuid = Uuid::from_u128(0x7);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().unwrap()
}

/// Envelopes of one aggregate in order: sequence 1, 2, ..., a minute apart, positions 100+.
struct Feed {
    aggregate_type: &'static str,
    id: Uuid,
    sequence: i64,
}

impl Feed {
    fn new(aggregate_type: &'static str, id: Uuid) -> Self {
        Self {
            aggregate_type,
            id,
            sequence: 0,
        }
    }

    fn next<E: DomainEvent>(&mut self, event: &E) -> PublicEnvelope {
        let payload = serde_json::to_value(event).unwrap();
        self.stored(&event.event_type(), &event.event_version(), payload)
    }

    /// The envelope of a payload as the store keeps it (externally tagged), whatever its
    /// version.
    fn stored(
        &mut self,
        event_type: &str,
        version: &str,
        payload: serde_json::Value,
    ) -> PublicEnvelope {
        self.sequence += 1;
        PublicEnvelope {
            id: Uuid::from_u128(0xE000 + self.sequence as u128),
            event_type: event_type.into(),
            version: version.into(),
            aggregate_type: self.aggregate_type.into(),
            aggregate_id: self.id,
            sequence: self.sequence,
            position: 100 + self.sequence,
            account_id: ACCOUNT,
            occurred_at: self.at(),
            recorded_at: self.at(),
            actor: Actor::system(),
            ip: Some("198.51.100.7".into()),
            user_agent: None,
            correlation_id: None,
            data: public_data(&payload),
        }
    }

    fn at(&self) -> DateTime<Utc> {
        t0() + Duration::minutes(self.sequence)
    }
}

fn secret(s: &str) -> StoredSecret {
    StoredSecret(format!("sealed-{s}"))
}

fn registered() -> UserEvent {
    UserEvent::UserRegistered {
        user_id: USER,
        account_id: ACCOUNT,
        email: Email::parse("jane@acme.test").unwrap(),
        username: Some(Username::parse("jane").unwrap()),
        first_name: Some(PersonName::parse("first_name", "Jane").unwrap()),
        last_name: None,
        phone: None,
        language: Language::english(),
        roles: Roles::new([Role::AccountAdmin]),
        source: RegistrationSource::Admin,
        invited: true,
        password_hash: None,
        password_changed_at: None,
        sso_managed: false,
        sso_config_id: None,
    }
}

fn apply_user(view: &mut Option<UserView>, env: &PublicEnvelope) {
    assert_eq!(
        user_view::apply(view, env).unwrap(),
        Applied::Changed,
        "{}",
        env.event_type
    );
}

#[test]
fn registration_starts_the_user_view_with_every_field() {
    let mut feed = Feed::new("user", USER);
    let mut view = None;
    apply_user(&mut view, &feed.next(&registered()));
    assert_eq!(
        view.unwrap(),
        UserView {
            id: USER,
            account_id: ACCOUNT,
            email: "jane@acme.test".into(),
            email_verified: false,
            username: Some("jane".into()),
            first_name: Some("Jane".into()),
            last_name: None,
            phone: None,
            phone_verified: false,
            language: "en".into(),
            roles: vec!["AccountAdmin".into()],
            status: UserStatus::Invited,
            status_reason: None,
            invited: true,
            disabled_reason: None,
            lock: None,
            two_factor: TwoFactorView {
                required: false,
                channel: "email".into(),
                totp: TotpState::None,
                totp_replacement_pending: false,
            },
            password: PasswordView::default(),
            last_login_at: None,
            last_login_ip: None,
            failed_attempts: 0,
            untrusted_failed_attempts: 0,
            teams: vec![],
            trusted_devices: vec![],
            external_identities: vec![],
            sso_managed: false,
            source: "admin".into(),
            created_at: t0() + Duration::minutes(1),
            updated_at: t0() + Duration::minutes(1),
            last_sequence: 1,
            last_position: 101,
        }
    );
}

/// A life of the user, event by event, with the whole view checked at the end and the fields
/// each step changes checked on the way.
#[test]
fn every_event_that_shows_on_the_user_view_sets_its_fields() {
    let mut feed = Feed::new("user", USER);
    let mut view = None;
    apply_user(&mut view, &feed.next(&registered()));
    let mut step = |event: UserEvent, view: &mut Option<UserView>| {
        let env = feed.next(&event);
        apply_user(view, &env);
        view.clone().unwrap()
    };

    let v = step(
        UserEvent::PasswordChanged {
            password_hash: secret("pw"),
            method: PasswordChangeMethod::ResetLink,
            changed_at: t0() + Duration::minutes(2),
            expires_at: Some(t0() + Duration::days(90)),
        },
        &mut view,
    );
    assert_eq!(
        v.password,
        PasswordView {
            set: true,
            changed_at: Some(t0() + Duration::minutes(2)),
            expires_at: Some(t0() + Duration::days(90)),
        }
    );
    assert!(!v.invited);
    assert_eq!(v.status, UserStatus::Active);

    let v = step(
        UserEvent::UserProfileUpdated {
            changes: ProfileChanges {
                first_name: Some(None),
                last_name: Some(Some(PersonName::parse("last_name", "Doe").unwrap())),
                phone: Some(Some(Phone::parse("+14155550100").unwrap())),
                language: Some(Language::parse("de").unwrap()),
            },
        },
        &mut view,
    );
    assert_eq!(
        (v.first_name, v.last_name, v.phone.clone(), v.language),
        (
            None,
            Some("Doe".into()),
            Some("+14155550100".into()),
            "de".into()
        )
    );
    let v = step(
        UserEvent::UserPhoneVerified {
            phone: Phone::parse("+14155550100").unwrap(),
        },
        &mut view,
    );
    assert!(v.phone_verified);
    let v = step(
        UserEvent::UserEmailChanged {
            email: Email::parse("jane.doe@acme.test").unwrap(),
            previous: Email::parse("jane@acme.test").unwrap(),
        },
        &mut view,
    );
    assert_eq!(
        (v.email.as_str(), v.email_verified),
        ("jane.doe@acme.test", false)
    );
    let v = step(
        UserEvent::UserEmailVerified {
            email: Email::parse("jane.doe@acme.test").unwrap(),
        },
        &mut view,
    );
    assert!(v.email_verified);
    let v = step(
        UserEvent::UserUsernameChanged {
            username: Some(Username::parse("janed").unwrap()),
            previous: Some(Username::parse("jane").unwrap()),
        },
        &mut view,
    );
    assert_eq!(v.username.as_deref(), Some("janed"));
    let v = step(
        UserEvent::UserRolesChanged {
            roles: Roles::new([Role::AccountAdmin, Role::AccountManager]),
            previous: Roles::new([Role::AccountAdmin]),
        },
        &mut view,
    );
    assert_eq!(v.roles, vec!["AccountAdmin", "AccountManager"]);
    let v = step(
        UserEvent::UserLanguageChanged {
            language: Language::parse("hr").unwrap(),
        },
        &mut view,
    );
    assert_eq!(v.language, "hr");

    // Failures on each counter, then a lock of untrusted devices only.
    let failed = |n, scope| UserEvent::LoginFailed {
        method: LoginMethod::Password,
        reason: LoginFailure::WrongPassword,
        failed_attempts: n,
        device_id: None,
        scope,
    };
    step(failed(1, LockScope::Account), &mut view);
    let v = step(failed(2, LockScope::UntrustedDevices), &mut view);
    assert_eq!((v.failed_attempts, v.untrusted_failed_attempts), (1, 2));
    let v = step(
        UserEvent::TwoFactorChallengeFailed {
            challenge_id: Uuid::from_u128(9),
            attempts: 1,
            exhausted: false,
            reason: CodeFailure::Wrong,
            tries_left: 4,
            failed_attempts: Some(2),
            scope: LockScope::Account,
        },
        &mut view,
    );
    assert_eq!(v.failed_attempts, 2);
    let v = step(
        UserEvent::PasswordChangeFailed { failed_attempts: 3 },
        &mut view,
    );
    assert_eq!(v.failed_attempts, 3);
    let v = step(
        UserEvent::TotpCodeRejected {
            action: TotpAction::Reset,
            reason: CodeFailure::Reused,
            failed_attempts: 4,
        },
        &mut view,
    );
    assert_eq!(v.failed_attempts, 4);
    let until = t0() + Duration::hours(3);
    let v = step(
        UserEvent::UserLocked {
            reason: LockReason::Policy,
            failed_attempts: 3,
            until: Some(until),
            scope: LockScope::UntrustedDevices,
        },
        &mut view,
    );
    assert_eq!(
        v.lock,
        Some(LockView {
            reason: "policy".into(),
            failed_attempts: 3,
            until: Some(until),
            scope: "untrusted_devices".into(),
        })
    );
    assert_eq!(
        (v.status, v.status_reason.as_deref()),
        (UserStatus::Locked, Some("policy"))
    );
    let v = step(
        UserEvent::UserUnlocked {
            reason: UnlockReason::Expired,
        },
        &mut view,
    );
    // The lock of untrusted devices lifting restarts their count only.
    assert_eq!(
        (v.lock, v.failed_attempts, v.untrusted_failed_attempts),
        (None, 4, 0)
    );
    let v = step(
        UserEvent::UserDisabled {
            reason: DisableReason::Inactivity,
        },
        &mut view,
    );
    assert_eq!(
        (
            v.status,
            v.status_reason.as_deref(),
            v.disabled_reason.as_deref()
        ),
        (UserStatus::Disabled, Some("inactivity"), Some("inactivity"))
    );
    let v = step(UserEvent::UserEnabled, &mut view);
    assert_eq!((v.status, v.disabled_reason), (UserStatus::Active, None));

    let login_at = t0() + Duration::hours(5);
    let v = step(
        UserEvent::LoginSucceeded {
            method: LoginMethod::Password,
            session_id: Uuid::from_u128(0x30),
            session_token_hash: secret("session"),
            session_expires_at: login_at + Duration::hours(8),
            device_id: Some(DEVICE),
            at: login_at,
        },
        &mut view,
    );
    assert_eq!(v.last_login_at, Some(login_at));
    assert_eq!(v.last_login_ip.as_deref(), Some("198.51.100.7"));

    // Two-factor: required, a channel, an authenticator set up, replaced, confirmed, turned off.
    let v = step(
        UserEvent::TwoFactorRequirementChanged { required: true },
        &mut view,
    );
    assert!(v.two_factor.required);
    let v = step(
        UserEvent::TwoFactorChannelChanged {
            channel: TwoFactorChannel::Sms,
        },
        &mut view,
    );
    assert_eq!(v.two_factor.channel, "sms");
    let v = step(
        UserEvent::TotpEnrolled {
            secret_sealed: secret("a"),
        },
        &mut view,
    );
    assert_eq!(v.two_factor.totp, TotpState::Pending);
    let v = step(UserEvent::TotpConfirmed { step: 10 }, &mut view);
    assert_eq!(
        (v.two_factor.totp, v.two_factor.channel.as_str()),
        (TotpState::Enabled, "totp")
    );
    let v = step(
        UserEvent::TotpReset {
            secret_sealed: secret("b"),
            keeps_current: true,
        },
        &mut view,
    );
    assert_eq!(
        (v.two_factor.totp, v.two_factor.totp_replacement_pending),
        (TotpState::Enabled, true)
    );
    let v = step(UserEvent::TotpConfirmed { step: 20 }, &mut view);
    assert!(!v.two_factor.totp_replacement_pending);
    let v = step(UserEvent::TotpDisabled { by_admin: true }, &mut view);
    assert_eq!(
        (v.two_factor.totp, v.two_factor.channel.as_str()),
        (TotpState::None, "email")
    );

    // Identities and teams, kept sorted and without duplicates.
    for subject in ["42", "7", "42"] {
        step(
            UserEvent::ExternalIdentityLinked {
                provider: IdentityProvider::Github,
                subject: subject.into(),
            },
            &mut view,
        );
    }
    let v = step(
        UserEvent::ExternalIdentityUnlinked {
            provider: IdentityProvider::Github,
            subject: "7".into(),
        },
        &mut view,
    );
    assert_eq!(
        v.external_identities,
        vec![ExternalIdentity {
            provider: "github".into(),
            subject: "42".into()
        }]
    );
    for team in [OTHER_TEAM, TEAM, TEAM] {
        step(
            UserEvent::UserAddedToTeam {
                team_id: team,
                via_sso: false,
            },
            &mut view,
        );
    }
    let v = step(
        UserEvent::UserRemovedFromTeam {
            team_id: OTHER_TEAM,
            via_sso: true,
        },
        &mut view,
    );
    assert_eq!(v.teams, vec![TEAM]);

    // Events the view keeps no trace of still advance its sequence.
    let v = step(
        UserEvent::SessionsEnded {
            session_ids: vec![Uuid::from_u128(0x30)],
            reason: SessionEndReason::Revoked,
        },
        &mut view,
    );
    assert_eq!(v.last_sequence, 35, "one sequence per event fed");
    assert_eq!(v.updated_at, t0() + Duration::minutes(v.last_sequence));
    assert_eq!(v.last_position, 100 + v.last_sequence);
    assert_eq!(v.created_at, t0() + Duration::minutes(1));
}

#[test]
fn an_account_lock_lifting_restarts_both_counters() {
    let mut feed = Feed::new("user", USER);
    let mut view = None;
    apply_user(&mut view, &feed.next(&registered()));
    for event in [
        UserEvent::PasswordChangeFailed { failed_attempts: 2 },
        UserEvent::UserLocked {
            reason: LockReason::Policy,
            failed_attempts: 2,
            until: None,
            scope: LockScope::Account,
        },
        UserEvent::UserUnlocked {
            reason: UnlockReason::Admin,
        },
    ] {
        apply_user(&mut view, &feed.next(&event));
    }
    let v = view.unwrap();
    assert_eq!((v.lock, v.failed_attempts), (None, 0));
}

#[test]
fn a_version_1_authenticator_reset_ended_the_old_one_at_once() {
    let mut feed = Feed::new("user", USER);
    let mut view = None;
    apply_user(&mut view, &feed.next(&registered()));
    apply_user(
        &mut view,
        &feed.next(&UserEvent::TotpEnrolled {
            secret_sealed: secret("a"),
        }),
    );
    apply_user(
        &mut view,
        &feed.next(&UserEvent::TotpConfirmed { step: 10 }),
    );
    // Stored before `keeps_current` existed, and published as stored.
    let v1 = feed.stored(
        "TotpReset",
        "1",
        serde_json::json!({"TotpReset": {"secret_sealed": "sealed-b"}}),
    );
    assert!(v1.data.get("keeps_current").is_none(), "{}", v1.data);
    apply_user(&mut view, &v1);
    let v = view.as_ref().unwrap();
    assert_eq!(
        (v.two_factor.totp, v.two_factor.totp_replacement_pending),
        (TotpState::Pending, false)
    );
    apply_user(
        &mut view,
        &feed.next(&UserEvent::TotpConfirmed { step: 20 }),
    );
    assert_eq!(view.unwrap().two_factor.totp, TotpState::Enabled);
}

#[test]
fn a_redelivered_event_changes_nothing_and_a_stray_one_is_refused() {
    let mut feed = Feed::new("user", USER);
    let first = feed.next(&registered());
    let second = feed.next(&UserEvent::UserEnabled);
    let mut view = None;
    // Not a registration first: the view cannot start.
    assert!(user_view::apply(&mut view, &second).is_err());
    apply_user(&mut view, &first);
    apply_user(&mut view, &second);
    let before = view.clone();
    assert_eq!(
        user_view::apply(&mut view, &second).unwrap(),
        Applied::Stale
    );
    assert_eq!(user_view::apply(&mut view, &first).unwrap(), Applied::Stale);
    assert_eq!(view, before);
    // Registered twice is an error; other aggregates' events are not the user view's.
    let mut again = feed.next(&registered());
    again.sequence = 9;
    assert!(user_view::apply(&mut view, &again).is_err());
    let device = Feed::new("device", DEVICE).next(&device_registered());
    assert_eq!(
        user_view::apply(&mut view, &device).unwrap(),
        Applied::Ignored
    );
}

#[test]
fn fold_gives_the_user_as_of_any_prefix_of_its_history() {
    let mut feed = Feed::new("user", USER);
    let events = vec![
        feed.next(&registered()),
        feed.next(&UserEvent::UserDisabled {
            reason: DisableReason::Admin,
        }),
    ];
    assert_eq!(user_view::fold(&events[..0]).unwrap(), None);
    assert_eq!(
        user_view::fold(&events[..1]).unwrap().unwrap().status,
        UserStatus::Invited
    );
    assert_eq!(
        user_view::fold(&events).unwrap().unwrap().status,
        UserStatus::Disabled
    );
}

fn device_registered() -> DeviceEvent {
    DeviceEvent::DeviceRegistered {
        device_id: DEVICE,
        user_id: USER,
        account_id: ACCOUNT,
        token_hash: secret("device"),
        label: Some(Name::parse("label", "Work laptop").unwrap()),
        user_agent: UserAgent::new("Firefox"),
        first_seen_at: t0(),
    }
}

#[test]
fn the_device_view_follows_registration_trust_label_and_revocation() {
    let mut feed = Feed::new("device", DEVICE);
    let mut view: Option<DeviceView> = None;
    let trusted = feed.next(&DeviceEvent::DeviceTrusted {
        challenge_id: None,
        trusted_at: t0() + Duration::hours(1),
        user_epoch: 0,
    });
    assert!(
        device_view::apply(&mut view, &trusted).is_err(),
        "not registered yet"
    );
    let mut feed = Feed::new("device", DEVICE);
    let reg = feed.next(&device_registered());
    assert_eq!(
        device_view::apply(&mut view, &reg).unwrap(),
        Applied::Changed
    );
    let v = view.clone().unwrap();
    assert_eq!(
        v,
        DeviceView {
            id: DEVICE,
            user_id: USER,
            account_id: ACCOUNT,
            label: Some("Work laptop".into()),
            user_agent: Some("Firefox".into()),
            first_seen_at: t0(),
            trusted_at: None,
            revoked: false,
            last_sequence: 1,
            last_position: 101,
        }
    );
    assert_eq!(v.as_trusted(), None);
    let trusted = feed.next(&DeviceEvent::DeviceTrusted {
        challenge_id: None,
        trusted_at: t0() + Duration::hours(1),
        user_epoch: 0,
    });
    device_view::apply(&mut view, &trusted).unwrap();
    device_view::apply(
        &mut view,
        &feed.next(&DeviceEvent::DeviceRenamed { label: None }),
    )
    .unwrap();
    let v = view.clone().unwrap();
    assert_eq!(
        v.as_trusted(),
        Some(TrustedDevice {
            id: DEVICE,
            label: None,
            user_agent: Some("Firefox".into()),
            trusted_at: t0() + Duration::hours(1),
        })
    );
    assert_eq!(
        device_view::apply(&mut view, &trusted).unwrap(),
        Applied::Stale
    );
    device_view::apply(
        &mut view,
        &feed.next(&DeviceEvent::DeviceRevoked {
            reason: DeviceRevokeReason::PasswordChanged,
        }),
    )
    .unwrap();
    let v = view.unwrap();
    assert!(v.revoked);
    assert_eq!(v.as_trusted(), None);
    assert_eq!((v.last_sequence, v.last_position), (4, 104));
}

fn account_feed() -> (Feed, Vec<PublicEnvelope>) {
    let mut feed = Feed::new("account", ACCOUNT);
    let created = feed.next(&AccountEvent::AccountCreated {
        account_id: ACCOUNT,
        name: Name::parse("name", "Acme").unwrap(),
    });
    (feed, vec![created])
}

#[test]
fn the_account_view_keeps_name_time_zone_language_and_two_factor_mode() {
    let (mut feed, mut envs) = account_feed();
    envs.push(feed.next(&AccountEvent::AccountRenamed {
        name: Name::parse("name", "Acme Inc").unwrap(),
        previous: Name::parse("name", "Acme").unwrap(),
    }));
    envs.push(feed.next(&AccountEvent::AccountTimeZoneChanged {
        time_zone: TimeZone::parse("Europe/Zagreb").unwrap(),
        previous: TimeZone::utc(),
    }));
    envs.push(feed.next(&AccountEvent::AccountLanguageChanged {
        language: Language::parse("hr").unwrap(),
    }));
    envs.push(feed.next(&AccountEvent::TwoFactorModeChanged {
        mode: TwoFactorMode::EveryLogin,
        previous: TwoFactorMode::Off,
    }));
    let mut view: Option<AccountView> = None;
    assert!(
        account_view::apply(&mut view, &envs[1]).is_err(),
        "not created yet"
    );
    for env in &envs {
        assert_eq!(
            account_view::apply(&mut view, env).unwrap(),
            Applied::Changed
        );
    }
    assert_eq!(
        account_view::apply(&mut view, &envs[2]).unwrap(),
        Applied::Stale
    );
    assert_eq!(
        view.unwrap(),
        AccountView {
            id: ACCOUNT,
            name: "Acme Inc".into(),
            time_zone: "Europe/Zagreb".into(),
            language: Some("hr".into()),
            two_factor_mode: "every_login".into(),
            created_at: t0() + Duration::minutes(1),
            updated_at: t0() + Duration::minutes(5),
            last_sequence: 5,
            last_position: 105,
        }
    );
}

#[test]
fn the_team_view_follows_its_own_team_only() {
    let (mut feed, _) = account_feed();
    let created = feed.next(&AccountEvent::TeamCreated {
        team_id: TEAM,
        name: Name::parse("name", "Sales").unwrap(),
        sso_managed: true,
    });
    let other = feed.next(&AccountEvent::TeamCreated {
        team_id: OTHER_TEAM,
        name: Name::parse("name", "Ops").unwrap(),
        sso_managed: false,
    });
    let renamed = feed.next(&AccountEvent::TeamRenamed {
        team_id: TEAM,
        name: Name::parse("name", "Sales EU").unwrap(),
        previous: Name::parse("name", "Sales").unwrap(),
    });
    let detached = feed.next(&AccountEvent::TeamsDetachedFromSso {
        team_ids: vec![TEAM, OTHER_TEAM],
    });
    let deleted = feed.next(&AccountEvent::TeamDeleted {
        team_id: TEAM,
        name: Name::parse("name", "Sales EU").unwrap(),
    });
    assert_eq!(team_view::teams_touched(&detached), vec![TEAM, OTHER_TEAM]);
    let mut view: Option<TeamView> = None;
    assert!(
        team_view::apply(TEAM, &mut view, &renamed).is_err(),
        "not created yet"
    );
    assert_eq!(
        team_view::apply(TEAM, &mut view, &other).unwrap(),
        Applied::Ignored
    );
    team_view::apply(TEAM, &mut view, &created).unwrap();
    assert!(view.as_ref().unwrap().sso_managed);
    team_view::apply(TEAM, &mut view, &renamed).unwrap();
    team_view::apply(TEAM, &mut view, &detached).unwrap();
    let v = view.clone().unwrap();
    assert_eq!(
        (v.name.as_str(), v.sso_managed, v.deleted),
        ("Sales EU", false, false)
    );
    assert_eq!(
        team_view::apply(TEAM, &mut view, &renamed).unwrap(),
        Applied::Stale
    );
    team_view::apply(TEAM, &mut view, &deleted).unwrap();
    assert_eq!(
        view.unwrap(),
        TeamView {
            id: TEAM,
            account_id: ACCOUNT,
            name: "Sales EU".into(),
            sso_managed: false,
            deleted: true,
            created_at: t0() + Duration::minutes(2),
            updated_at: t0() + Duration::minutes(6),
            last_sequence: 6,
            last_position: 106,
        }
    );
}

// What the mutation run found unchecked in the views: the status words the store keeps, old
// rows, the search text, verifications of an address the user no longer has, an invitation
// accepted, a new authenticator while one works, and a device registered twice.

#[test]
fn user_status_words_read_back() {
    for (status, word) in [
        (UserStatus::Invited, "invited"),
        (UserStatus::Active, "active"),
        (UserStatus::Disabled, "disabled"),
        (UserStatus::Locked, "locked"),
    ] {
        assert_eq!(status.as_str(), word);
        assert_eq!(UserStatus::parse(word), Some(status));
    }
    assert_eq!(UserStatus::parse("deleted"), None);
}

#[test]
fn a_lock_stored_before_scopes_reads_as_a_lock_of_the_account() {
    let lock: LockView = serde_json::from_value(serde_json::json!(
        {"reason": "policy", "failed_attempts": 3, "until": null}
    ))
    .unwrap();
    assert_eq!(lock.scope, "account");
}

#[test]
fn the_search_text_holds_every_searchable_field_in_lower_case() {
    let mut feed = Feed::new("user", USER);
    let mut view = None;
    apply_user(&mut view, &feed.next(&registered()));
    apply_user(
        &mut view,
        &feed.next(&UserEvent::UserProfileUpdated {
            changes: ProfileChanges {
                first_name: None,
                last_name: Some(Some(PersonName::parse("last_name", "Doe").unwrap())),
                phone: Some(Some(Phone::parse("+14155550100").unwrap())),
                language: None,
            },
        }),
    );
    let v = view.unwrap();
    let username = v.username.clone().unwrap();
    assert_eq!(
        v.search_text(),
        format!(
            "jane@acme.test {} jane doe +14155550100",
            username.to_lowercase()
        )
    );
}

#[test]
fn a_verification_counts_only_for_the_address_the_user_has_now() {
    let mut feed = Feed::new("user", USER);
    let mut view = None;
    apply_user(&mut view, &feed.next(&registered()));
    let phone = |raw: &str| Phone::parse(raw).unwrap();
    let set_phone = |raw: &str| UserEvent::UserProfileUpdated {
        changes: ProfileChanges {
            first_name: None,
            last_name: None,
            phone: Some(Some(phone(raw))),
            language: None,
        },
    };
    let mut step = |event: UserEvent| {
        apply_user(&mut view, &feed.next(&event));
        view.clone().unwrap()
    };
    step(set_phone("+14155550100"));
    let v = step(UserEvent::UserPhoneVerified {
        phone: phone("+14155550199"),
    });
    assert!(!v.phone_verified, "another number was verified");
    let v = step(UserEvent::UserPhoneVerified {
        phone: phone("+14155550100"),
    });
    assert!(v.phone_verified);
    // A change of names keeps it verified; a new number does not.
    let v = step(UserEvent::UserProfileUpdated {
        changes: ProfileChanges {
            first_name: Some(Some(PersonName::parse("first_name", "Janet").unwrap())),
            last_name: None,
            phone: None,
            language: None,
        },
    });
    assert!(v.phone_verified);
    let v = step(set_phone("+14155550111"));
    assert!(!v.phone_verified);

    let v = step(UserEvent::UserEmailVerified {
        email: Email::parse("old@acme.test").unwrap(),
    });
    assert!(!v.email_verified, "another address was verified");
    let v = step(UserEvent::UserEmailVerified {
        email: Email::parse("jane@acme.test").unwrap(),
    });
    assert!(v.email_verified);
}

#[test]
fn an_accepted_invitation_and_a_second_authenticator_show() {
    let mut feed = Feed::new("user", USER);
    let mut view = None;
    apply_user(&mut view, &feed.next(&registered()));
    assert!(view.as_ref().unwrap().invited);
    apply_user(&mut view, &feed.next(&UserEvent::UserInvitationAccepted));
    assert!(!view.as_ref().unwrap().invited);
    for event in [
        UserEvent::TotpEnrolled {
            secret_sealed: secret("a"),
        },
        UserEvent::TotpConfirmed { step: 1 },
        // Set up again while the first one works: it keeps working.
        UserEvent::TotpEnrolled {
            secret_sealed: secret("b"),
        },
    ] {
        apply_user(&mut view, &feed.next(&event));
    }
    let v = view.unwrap();
    assert_eq!(
        (v.two_factor.totp, v.two_factor.totp_replacement_pending),
        (TotpState::Enabled, true)
    );
}

#[test]
fn a_device_registered_twice_is_refused() {
    let mut feed = Feed::new("device", DEVICE);
    let mut view: Option<DeviceView> = None;
    device_view::apply(&mut view, &feed.next(&device_registered())).unwrap();
    let again = feed.next(&device_registered());
    assert!(device_view::apply(&mut view, &again).is_err());
    assert_eq!(view.unwrap().last_sequence, 1);
}
