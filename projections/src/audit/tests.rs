use std::collections::{BTreeSet, HashMap};

use chronid_domain::account::AccountEvent;
use chronid_domain::device::{DeviceEvent, DeviceRevokeReason};
use chronid_domain::external_login::{ExternalLoginEvent, ExternalLoginFailure, Refusal};
use chronid_domain::metadata::Actor;
use chronid_domain::public::public_data;
use chronid_domain::sso_config::{NameIdSource, SsoConfigEvent, SsoLoginFailure, SsoSettings};
use chronid_domain::user::{
    ChallengePurpose, CodeFailure, DisableReason, IdentityProvider, LockReason, LockScope,
    LoginFailure, LoginMethod, PasswordChangeMethod, ProfileChanges, RegistrationSource,
    ResetInitiator, SessionEndReason, TotpAction, UnlockReason, UserEvent,
};
use chronid_domain::values::{
    AcsPath, Certificate, Certificates, ColorScheme, Email, EntityId, Hostname, HttpUrl, Language,
    LoginOptions, Logo, Name, PersonName, Phone, Role, Roles, SecurityPolicy, StoredSecret,
    TimeZone, TwoFactorChannel, TwoFactorMode, UserAgent, Username,
};
use serde_json::json;

use super::*;
use serde_json::Value;

const ACCOUNT_ID: Uuid = Uuid::from_u128(0xA);
const USER_ID: Uuid = Uuid::from_u128(0x1);
const ADMIN_ID: Uuid = Uuid::from_u128(0x2);
/// The API key that acts.
const KEY_ID: Uuid = Uuid::from_u128(0x3);
/// The API key that events create, change and revoke.
const NEW_KEY_ID: Uuid = Uuid::from_u128(0x4);
const DEVICE_ID: Uuid = Uuid::from_u128(0x5);
const TEAM_ID: Uuid = Uuid::from_u128(0x6);
const SSO_ID: Uuid = Uuid::from_u128(0x7);
const CHALLENGE_ID: Uuid = Uuid::from_u128(0x8);
const OTHER_ACCOUNT_ID: Uuid = Uuid::from_u128(0xC);

/// Marks every secret put into a domain event; no output may contain it.
const SECRET: &str = "SECRET-VALUE";

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn secret(field: &str) -> StoredSecret {
    StoredSecret(format!("{SECRET}-{field}"))
}

fn name(s: &str) -> Name {
    Name::parse("name", s).unwrap()
}

fn env(
    aggregate_type: &str,
    aggregate_id: Uuid,
    event_type: &str,
    data: Value,
    actor: Actor,
) -> PublicEnvelope {
    PublicEnvelope {
        id: Uuid::from_u128(0xE0),
        event_type: event_type.to_string(),
        version: "1".to_string(),
        aggregate_type: aggregate_type.to_string(),
        aggregate_id,
        sequence: 7,
        position: 1234,
        account_id: ACCOUNT_ID,
        occurred_at: t("2026-01-02T03:04:05Z"),
        recorded_at: t("2026-01-02T03:04:06Z"),
        actor,
        ip: Some("192.0.2.1".to_string()),
        user_agent: Some("curl/8".to_string()),
        correlation_id: Some("corr".to_string()),
        data,
    }
}

/// The type string of a serialized domain event: cqrs-es tags it with the variant name, which
/// is the `event_type()` of every event of the four aggregates (checked against the sources
/// in `the_table_covers_every_event_type_of_the_domain`).
fn tag(payload: &Value) -> String {
    match payload {
        Value::Object(map) => map.keys().next().cloned().unwrap_or_default(),
        Value::String(s) => s.clone(),
        other => panic!("unexpected payload {other}"),
    }
}

/// The envelope the relay would publish for `event`: its public form.
fn published(
    aggregate_type: &str,
    aggregate_id: Uuid,
    event: &impl serde::Serialize,
    actor: Actor,
) -> PublicEnvelope {
    let payload = serde_json::to_value(event).unwrap();
    env(
        aggregate_type,
        aggregate_id,
        &tag(&payload),
        public_data(&payload),
        actor,
    )
}

/// The same event as if nothing had been stripped (to prove nothing secret is ever read).
fn unstripped(
    aggregate_type: &str,
    aggregate_id: Uuid,
    event: &impl serde::Serialize,
    actor: Actor,
) -> PublicEnvelope {
    let payload = serde_json::to_value(event).unwrap();
    let inner = match &payload {
        Value::Object(map) => map.values().next().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    env(aggregate_type, aggregate_id, &tag(&payload), inner, actor)
}

fn jane() -> Principal {
    Principal {
        username: Some("jane".to_string()),
        email: Some("jane@example.com".to_string()),
        first_name: Some("Jane".to_string()),
        last_name: Some("Doe".to_string()),
        ..Principal::default()
    }
}

fn principals() -> HashMap<Uuid, Principal> {
    HashMap::from([
        (USER_ID, jane()),
        (
            ADMIN_ID,
            Principal {
                username: Some("admin".to_string()),
                email: Some("admin@example.com".to_string()),
                ..Principal::default()
            },
        ),
        (
            KEY_ID,
            Principal {
                key_name: Some("CI".to_string()),
                ..Principal::default()
            },
        ),
        (
            NEW_KEY_ID,
            Principal {
                key_name: Some("Deploy".to_string()),
                ..Principal::default()
            },
        ),
        (
            DEVICE_ID,
            Principal {
                owner: Some(USER_ID),
                ..Principal::default()
            },
        ),
    ])
}

fn describe_known(env: &PublicEnvelope) -> AuditRecord {
    let known = principals();
    describe(env, &|id| known.get(&id).cloned())
}

fn settings(auto_create_groups: bool) -> SsoSettings {
    SsoSettings {
        idp_entity_id: EntityId::parse("idp_entity_id", "https://idp.example.com/entity").unwrap(),
        idp_certificates: Certificates::new(vec![Certificate::parse(
            "-----BEGIN CERTIFICATE-----MA==-----END CERTIFICATE-----",
        )
        .unwrap()])
        .unwrap(),
        idp_sso_url: HttpUrl::parse("idp_sso_url", "https://idp.example.com/sso").unwrap(),
        idp_logout_url: None,
        sp_entity_id: EntityId::parse("sp_entity_id", "https://sp.example.com/acme").unwrap(),
        sp_acs_path: AcsPath::parse("Zm9vYmFyYmF6cXV4LV8x").unwrap(),
        auto_create_users: true,
        auto_create_groups,
        name_id_source: NameIdSource::Email,
        allow_idp_initiated: false,
        allow_sha1: false,
    }
}

struct Case {
    env: PublicEnvelope,
    /// The same event with its secrets left in.
    raw: PublicEnvelope,
    /// "item | action | outcome | description".
    expected: &'static str,
}

fn case(
    aggregate_type: &str,
    id: Uuid,
    event: &impl serde::Serialize,
    actor: Actor,
    expected: &'static str,
) -> Case {
    Case {
        env: published(aggregate_type, id, event, actor),
        raw: unstripped(aggregate_type, id, event, actor),
        expected,
    }
}

fn user_case(event: UserEvent, actor: Actor, expected: &'static str) -> Case {
    case("user", USER_ID, &event, actor, expected)
}

fn account_case(event: AccountEvent, expected: &'static str) -> Case {
    case(
        "account",
        ACCOUNT_ID,
        &event,
        Actor::api_key(KEY_ID),
        expected,
    )
}

fn device_case(event: DeviceEvent, expected: &'static str) -> Case {
    case("device", DEVICE_ID, &event, Actor::user(USER_ID), expected)
}

fn sso_case(event: SsoConfigEvent, expected: &'static str) -> Case {
    case(
        "sso_config",
        SSO_ID,
        &event,
        Actor::user(ADMIN_ID),
        expected,
    )
}

fn summary(record: &AuditRecord) -> String {
    format!(
        "{} | {} | {} | {}",
        record.item,
        record.action,
        record.outcome.as_str(),
        record.description
    )
}

/// One instance of every event of the four aggregates, with its expected entry.
fn cases() -> Vec<Case> {
    let admin = Actor::user(ADMIN_ID);
    let own = Actor::user(USER_ID);
    let system = Actor::system();
    let at = t("2026-01-02T03:04:05Z");
    vec![
        user_case(UserEvent::UserRegistered {
                user_id: USER_ID,
                account_id: ACCOUNT_ID,
                email: Email::parse("jane@example.com").unwrap(),
                username: Some(Username::parse("jane").unwrap()),
                first_name: Some(PersonName::parse("first_name", "Jane").unwrap()),
                last_name: Some(PersonName::parse("last_name", "Doe").unwrap()),
                phone: Some(Phone::parse("+14155550100").unwrap()),
                language: Language::english(),
                roles: Roles::new([Role::AccountAdmin]),
                source: RegistrationSource::Admin,
                invited: true,
                password_hash: Some(secret("password_hash")),
                password_changed_at: None,
                sso_managed: false,
                sso_config_id: None,
            }, admin, "User | Create | success | User created."),
        user_case(UserEvent::UserProfileUpdated {
                changes: ProfileChanges {
                    first_name: Some(Some(PersonName::parse("first_name", "Janet").unwrap())),
                    last_name: Some(None),
                    phone: None,
                    language: None,
                },
            }, admin, "User | Update | success | User updated. Details: first name, last name changed."),
        user_case(UserEvent::UserRolesChanged {
                roles: Roles::new([Role::AccountAdmin, Role::AccountManager]),
                previous: Roles::member(),
            }, admin, "User | Update | success | User updated. Details: roles changed from member to AccountAdmin, AccountManager."),
        user_case(UserEvent::UserEmailChanged {
                email: Email::parse("jane@new.example.com").unwrap(),
                previous: Email::parse("jane@example.com").unwrap(),
            }, admin, "User | Update | success | User changed email address. Details: from jane@example.com to jane@new.example.com."),
        user_case(UserEvent::UserUsernameChanged {
                username: Some(Username::parse("janed").unwrap()),
                previous: Some(Username::parse("jane").unwrap()),
            }, own, "User | Update | success | User changed username. Details: from jane to janed."),
        user_case(UserEvent::UserPhoneVerified { phone: Phone::parse("+14155550100").unwrap() }, own, "User | Update | success | Mobile number verified for user."),
        user_case(UserEvent::UserEmailVerified { email: Email::parse("jane@example.com").unwrap() }, own, "User | Verify | success | User verified."),
        user_case(UserEvent::UserInvitationAccepted, own, "User | Accept | success | User accepted."),
        user_case(UserEvent::UserDisabled { reason: DisableReason::Inactivity }, system, "User | Disable | success | User disabled. Details: inactive for too long."),
        user_case(UserEvent::UserEnabled, admin, "User | Enable | success | User enabled."),
        user_case(UserEvent::UserLocked {
                reason: LockReason::Policy,
                failed_attempts: 5,
                until: Some(t("2026-01-02T03:34:05Z")),
                scope: LockScope::UntrustedDevices,
            }, system, "User | Lock | success | User locked. Details: 5 failed login attempts, locked until 2026-01-02 03:34:05 UTC, for logins from untrusted devices only."),
        user_case(UserEvent::UserUnlocked { reason: UnlockReason::Admin }, admin, "User | Unlock | success | User unlocked."),
        user_case(UserEvent::UserLanguageChanged { language: Language::parse("de").unwrap() }, own, "User | Update | success | User language changed. Details: de."),
        user_case(UserEvent::PasswordChanged {
                password_hash: secret("password_hash"),
                method: PasswordChangeMethod::SelfService,
                changed_at: at,
                expires_at: None,
            }, own, "Password | Updated | success | Password updated."),
        user_case(UserEvent::PasswordResetRequested {
                request_id: Uuid::from_u128(0x20),
                token_hash: secret("token_hash"),
                token_sealed: Some(secret("token_sealed")),
                initiated_by: ResetInitiator::Admin,
                expires_at: at,
                requested_at: at,
            }, admin, "Password | Restore | success | Password reset requested. Details: requested by an administrator."),
        user_case(UserEvent::PasswordResetEmailSent { request_id: Uuid::from_u128(0x20) }, system, "Password | Restore | success | Reset forgot password email sent."),
        user_case(UserEvent::PasswordResetEmailFailed {
                request_id: Uuid::from_u128(0x20),
                error: "smtp timeout".to_string(),
            }, system, "Password | Restore | failed | Reset forgot password email sending failed. Details: smtp timeout."),
        user_case(UserEvent::PasswordResetCompleted { request_id: Uuid::from_u128(0x20) }, system, "Password | Restore | success | Password reset completed."),
        user_case(UserEvent::LoginSucceeded {
                method: LoginMethod::Password,
                session_id: Uuid::from_u128(0x30),
                session_token_hash: secret("session_token_hash"),
                session_expires_at: at,
                device_id: Some(DEVICE_ID),
                at,
            }, system, "User | Login | success | User logged in (Jane Doe, jane@example.com)"),
        user_case(UserEvent::LoginFailed {
                method: LoginMethod::Password,
                reason: LoginFailure::WrongPassword,
                failed_attempts: 1,
                device_id: None,
                scope: LockScope::Account,
            }, system, "User | Login | failed | User login failed (Jane Doe, jane@example.com). Details: wrong password."),
        user_case(UserEvent::PasswordChangeRequired {
                change_id: Uuid::from_u128(0x21),
                token_hash: secret("token_hash"),
                expires_at: at,
            }, system, "Password | Expire | success | Password change required. Details: the password has expired."),
        user_case(UserEvent::UserLoggedOut { session_id: Uuid::from_u128(0x30) }, own, "User | Logout | success | User logged out (Jane Doe, jane@example.com)"),
        user_case(UserEvent::SessionsEnded {
                session_ids: vec![Uuid::from_u128(0x30), Uuid::from_u128(0x31)],
                reason: SessionEndReason::PasswordChanged,
            }, system, "User | Logout | success | User sessions ended. Details: 2 sessions, password changed."),
        user_case(UserEvent::TwoFactorRequirementChanged { required: true }, admin, "2FA | Update | success | Two-factor authentication settings updated. Details: two-factor authentication required for the user."),
        user_case(UserEvent::TwoFactorChannelChanged { channel: TwoFactorChannel::Sms }, own, "2FA | Update | success | Two-factor authentication settings updated. Details: codes delivered by SMS."),
        user_case(UserEvent::TwoFactorChallengeIssued {
                challenge_id: CHALLENGE_ID,
                channel: TwoFactorChannel::Sms,
                purpose: ChallengePurpose::SignIn,
                issued_at: at,
                code_hash: Some(secret("code_hash")),
                code_sealed: Some(secret("code_sealed")),
                device_id: None,
                expires_at: at,
                max_attempts: 3,
            }, system, "2FA | Challenge | success | Two-factor authentication challenge issued. Details: SMS."),
        user_case(UserEvent::TwoFactorCodeDelivered { challenge_id: CHALLENGE_ID, channel: TwoFactorChannel::Sms }, system, "2FA | Send | success | Two-factor authentication code sent. Details: SMS."),
        user_case(UserEvent::TwoFactorCodeDeliveryFailed {
                challenge_id: CHALLENGE_ID,
                channel: TwoFactorChannel::Voice,
                error: "carrier rejected".to_string(),
            }, system, "2FA | Send | failed | Two-factor authentication code sending failed. Details: voice call, carrier rejected."),
        user_case(UserEvent::TwoFactorChallengePassed { challenge_id: CHALLENGE_ID, device_id: None }, system, "2FA | Verify | success | Two-factor authentication passed."),
        user_case(UserEvent::TwoFactorChallengeFailed {
                challenge_id: CHALLENGE_ID,
                attempts: 3,
                exhausted: true,
                reason: CodeFailure::Reused,
                tries_left: 0,
                failed_attempts: Some(3),
                scope: LockScope::Account,
            }, system, "2FA | Verify | failed | Two-factor authentication failed. Details: an authenticator code already used, 3 failed attempts, no attempts left."),
        user_case(UserEvent::PasswordChangeFailed { failed_attempts: 2 }, own, "Password | Update | failed | Password update failed. Details: wrong current password, 2 failed attempts in a row."),
        user_case(UserEvent::TotpCodeRejected {
                action: TotpAction::Disable,
                reason: CodeFailure::Wrong,
                failed_attempts: 1,
            }, own, "2FA | Update | failed | Two-factor authentication settings update failed. Details: disabling the authenticator app: wrong code."),
        user_case(UserEvent::TotpEnrolled { secret_sealed: secret("secret_sealed") }, own, "2FA | Enroll | success | Authenticator app enrollment started."),
        user_case(UserEvent::TotpConfirmed { step: 59_000_000 }, own, "2FA | Update | success | Two-factor authentication settings updated. Details: authenticator app enabled."),
        user_case(UserEvent::TotpCodeUsed { step: 59_000_001 }, system, "2FA | Verify | success | Authenticator app code accepted."),
        user_case(UserEvent::TotpReset { secret_sealed: secret("secret_sealed"), keeps_current: true }, own, "2FA | Update | success | Two-factor authentication settings updated. Details: authenticator app reset."),
        user_case(UserEvent::TotpDisabled { by_admin: true }, admin, "2FA | Update | success | Two-factor authentication settings updated. Details: authenticator app disabled by an administrator."),
        user_case(UserEvent::ExternalIdentityLinked { provider: IdentityProvider::Google, subject: "1234".to_string() }, own, "User | Link | success | External identity linked. Details: Google account 1234."),
        user_case(UserEvent::ExternalIdentityUnlinked { provider: IdentityProvider::Github, subject: "octo".to_string() }, own, "User | Unlink | success | External identity unlinked. Details: GitHub account octo."),
        user_case(UserEvent::UserAddedToTeam { team_id: TEAM_ID, via_sso: false }, admin, "Team | Update | success | Group updated. Details: user jane added to group 00000000-0000-0000-0000-000000000006."),
        user_case(UserEvent::UserRemovedFromTeam { team_id: TEAM_ID, via_sso: true }, system, "Team | Update | success | Group updated. Details: user jane removed from group 00000000-0000-0000-0000-000000000006 by SSO group sync."),
        account_case(AccountEvent::AccountCreated { account_id: ACCOUNT_ID, name: name("Acme") }, "Account | Create | success | Account created. Details: \"Acme\"."),
        account_case(AccountEvent::AccountRenamed { name: name("Acme Inc"), previous: name("Acme") }, "Account | Update | success | Account renamed. Details: from \"Acme\" to \"Acme Inc\"."),
        account_case(AccountEvent::SecurityPolicyUpdated {
                policy: SecurityPolicy {
                    max_login_attempts: 3,
                    password_validity_days: Some(90),
                    two_factor: TwoFactorMode::NewDevice,
                    ..SecurityPolicy::default()
                },
                previous: SecurityPolicy::default(),
            }, "Account | Update | success | Account security options updated. Details: maximum login attempts changed from 5 to 3; password validity changed from never to 90 days; two-factor authentication changed from off to asked on new devices."),
        account_case(AccountEvent::TwoFactorModeChanged { mode: TwoFactorMode::NewDevice, previous: TwoFactorMode::Off }, "2FA | Enable | success | Two-factor authentication enabled for all users. Details: asked on new devices."),
        account_case(AccountEvent::LoginOptionsUpdated {
                options: LoginOptions { google: true, ..LoginOptions::default() },
                previous: LoginOptions::default(),
            }, "Account | Update | success | Account login options updated. Details: Google login enabled."),
        account_case(AccountEvent::AccountLanguageChanged { language: Language::parse("de").unwrap() }, "Account | Update | success | Language successfully changed. Details: de."),
        account_case(AccountEvent::AccountTimeZoneChanged { time_zone: TimeZone::parse("Europe/Zagreb").unwrap(), previous: TimeZone::utc() }, "Account | Update | success | Time zone changed. Details: from UTC to Europe/Zagreb."),
        account_case(AccountEvent::ColorSchemeSet { scheme: ColorScheme::Dark }, "Account | Update | success | Color scheme set. Details: dark."),
        account_case(AccountEvent::HostnameSet { hostname: Some(Hostname::parse("login.acme.test").unwrap()) }, "Account | Update | success | Host name set. Details: login.acme.test."),
        account_case(AccountEvent::LogoUpdated { logo: Some(Logo::new("image/png", 100, 80, "ab12".to_string()).unwrap()) }, "Account | Update | success | Logo updated. Details: image/png, 100x80 px."),
        account_case(AccountEvent::TeamCreated { team_id: TEAM_ID, name: name("Sales"), sso_managed: false }, "Team | Create | success | Group created. Details: \"Sales\"."),
        account_case(AccountEvent::TeamRenamed { team_id: TEAM_ID, name: name("Sales EU"), previous: name("Sales") }, "Team | Update | success | Group updated. Details: renamed from \"Sales\" to \"Sales EU\"."),
        account_case(AccountEvent::TeamDeleted { team_id: TEAM_ID, name: name("Sales EU") }, "Team | Delete | success | Group deleted. Details: \"Sales EU\"."),
        account_case(AccountEvent::TeamsDetachedFromSso { team_ids: vec![TEAM_ID] }, "Team | Update | success | Group updated. Details: 1 group no longer managed by SSO."),
        account_case(AccountEvent::ApiKeyCreated {
                key_id: NEW_KEY_ID,
                name: name("Deploy"),
                roles: Roles::new([Role::AccountManager]),
                valid_from: at,
                valid_until: None,
                key_hash: secret("key_hash"),
            }, "API key | Create | success | API key generated (Deploy, 2026-01-02 03:04:05 UTC)"),
        account_case(AccountEvent::ApiKeyUpdated {
                key_id: NEW_KEY_ID,
                name: name("Deploy 2"),
                valid_until: Some(t("2027-01-01T00:00:00Z")),
            }, "API key | Update | success | API key updated (Deploy 2, 2027-01-01 00:00:00 UTC)."),
        account_case(AccountEvent::ApiKeyRevoked { key_id: NEW_KEY_ID }, "API key | Revoke | success | API key revoked (Deploy)."),
        device_case(DeviceEvent::DeviceRegistered {
                device_id: DEVICE_ID,
                user_id: USER_ID,
                account_id: ACCOUNT_ID,
                token_hash: secret("token_hash"),
                label: Some(name("Laptop")),
                user_agent: UserAgent::new("Mozilla/5.0"),
                first_seen_at: at,
            }, "Device | Create | success | Device registered. Details: \"Laptop\", Mozilla/5.0."),
        device_case(DeviceEvent::DeviceTrusted { challenge_id: Some(CHALLENGE_ID), trusted_at: at, user_epoch: 0 }, "Device | Trust | success | Device trusted. Details: after two-factor authentication."),
        device_case(DeviceEvent::DeviceRenamed { label: None }, "Device | Update | success | Device renamed. Details: label removed."),
        device_case(DeviceEvent::DeviceRevoked { reason: DeviceRevokeReason::PasswordReset }, "Device | Revoke | success | Device revoked. Details: the user's password was reset."),
        sso_case(SsoConfigEvent::SsoConfigCreated { config_id: SSO_ID, account_id: ACCOUNT_ID, settings: settings(true) }, "SSO | Create | success | SSO configuration created. Details: identity provider https://idp.example.com/entity."),
        sso_case(SsoConfigEvent::SsoConfigUpdated { settings: settings(false), previous_auto_create_groups: true }, "SSO | Update | success | SSO configuration updated. Details: auto-create groups turned off; its groups are no longer managed by SSO."),
        sso_case(SsoConfigEvent::SsoAccountOffered { account_id: OTHER_ACCOUNT_ID }, "SSO | Update | success | SSO configuration offered to account. Details: account 00000000-0000-0000-0000-00000000000c; it is served once a manager of it accepts."),
        sso_case(SsoConfigEvent::SsoLoginFailed { reason: SsoLoginFailure::Signature, account_id: None, user_id: None, name_id: None }, "User | Login | failed | User login failed. Details: SSO login: the SAML response is not signed by a configured certificate."),
        sso_case(SsoConfigEvent::SsoAccountAdded { account_id: OTHER_ACCOUNT_ID }, "SSO | Update | success | Account added to SSO configuration. Details: account 00000000-0000-0000-0000-00000000000c."),
        sso_case(SsoConfigEvent::SsoAccountRemoved { account_id: OTHER_ACCOUNT_ID }, "SSO | Update | success | Account removed from SSO configuration. Details: account 00000000-0000-0000-0000-00000000000c."),
        sso_case(SsoConfigEvent::SsoConfigDeleted {
                sp_entity_id: EntityId::parse("sp_entity_id", "https://sp.example.com/acme").unwrap(),
                accounts: vec![ACCOUNT_ID, OTHER_ACCOUNT_ID],
            }, "SSO | Delete | success | SSO configuration deleted. Details: logins through it ended for 2 accounts."),
        case("external_login", ATTEMPT_ID, &ExternalLoginEvent::ExternalLoginRefused(Refusal {
                provider: IdentityProvider::Google,
                reason: ExternalLoginFailure::NoAccount,
                account_id: None,
                user_id: None,
                subject: Some("1234".into()),
                email: Some("ana@example.com".into()),
            }), Actor::system(), "User | Login | failed | User login failed (ana@example.com). Details: Google login: no user of an account that allows this login holds the email."),
    ]
}

const ATTEMPT_ID: Uuid = Uuid::from_u128(0x77);

#[test]
fn a_refused_external_login_says_why_in_chronids_words() {
    for reason in ExternalLoginFailure::ALL.iter().copied() {
        for provider in [IdentityProvider::Google, IdentityProvider::Github] {
            let event = ExternalLoginEvent::ExternalLoginRefused(Refusal {
                provider,
                reason,
                account_id: Some(ACCOUNT_ID),
                user_id: Some(USER_ID),
                subject: None,
                email: None,
            });
            let case = case("external_login", ATTEMPT_ID, &event, Actor::system(), "");
            let record = describe_known(&case.env);
            let line = summary(&record);
            let name = match provider {
                IdentityProvider::Github => "GitHub",
                _ => "Google",
            };
            assert!(
                line.contains(&format!("Details: {name} login: ")),
                "{reason:?}: {line}"
            );
            assert_eq!(record.target_id, Some(USER_ID), "{line}");
        }
    }
}

/// Every `event_type()` string of the four aggregates, read from their sources.
/// Every event type the domain publishes, from the domain's own event-type enums.
fn domain_event_types() -> BTreeSet<String> {
    crate::published::Published::all()
        .map(|p| p.names().1.to_string())
        .collect()
}

#[test]
fn the_table_covers_every_event_type_of_the_domain() {
    let in_table: Vec<String> = cases().iter().map(|c| c.env.event_type.clone()).collect();
    let unique: BTreeSet<String> = in_table.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        in_table.len(),
        "an event type is listed twice"
    );
    let in_domain = domain_event_types();
    assert_eq!(
        in_domain.len(),
        70,
        "the domain's event catalogue changed size"
    );
    assert_eq!(unique, in_domain);
}

#[test]
fn every_event_is_described_in_the_catalogues_words() {
    let mut wrong = Vec::new();
    for case in cases() {
        let got = summary(&describe_known(&case.env));
        if got != case.expected {
            wrong.push(format!(
                "{}:\n  got  {got}\n  want {}",
                case.env.event_type, case.expected
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn exactly_the_failed_events_have_a_failed_outcome() {
    let failed: BTreeSet<String> = cases()
        .iter()
        .filter(|c| describe_known(&c.env).outcome == Outcome::Failed)
        .map(|c| c.env.event_type.clone())
        .collect();
    let expected: BTreeSet<String> = [
        "LoginFailed",
        "TwoFactorChallengeFailed",
        "PasswordChangeFailed",
        "TotpCodeRejected",
        "PasswordResetEmailFailed",
        "TwoFactorCodeDeliveryFailed",
        "SsoLoginFailed",
        "ExternalLoginRefused",
    ]
    .map(String::from)
    .into();
    assert_eq!(failed, expected);
}

#[test]
fn no_entry_ever_shows_a_secret_even_if_data_were_not_stripped() {
    for case in cases() {
        for env in [&case.env, &case.raw] {
            let known = principals();
            let record = describe(env, &|id| known.get(&id).cloned());
            let json = serde_json::to_string(&record).unwrap();
            assert!(!json.contains(SECRET), "{}: {json}", env.event_type);
            if let Some((id, p)) = principal_change(env, known.get(&USER_ID)) {
                let json = serde_json::to_string(&p).unwrap();
                assert!(!json.contains(SECRET), "{} {id}: {json}", env.event_type);
            }
        }
    }
    // The raw payloads did hold secrets: the test above proves something.
    let raw_with_secrets = cases()
        .iter()
        .filter(|c| c.raw.data.to_string().contains(SECRET))
        .count();
    assert_eq!(raw_with_secrets, 10);
}

#[test]
fn a_record_carries_the_envelopes_facts() {
    let case = cases()
        .into_iter()
        .find(|c| c.env.event_type == "UserDisabled")
        .unwrap();
    let record = describe_known(&case.env);
    assert_eq!(record.at, t("2026-01-02T03:04:05Z"));
    assert_eq!(record.account_id, ACCOUNT_ID);
    assert_eq!(record.aggregate_type, "user");
    assert_eq!(record.aggregate_id, USER_ID);
    assert_eq!(record.sequence, 7);
    assert_eq!(record.position, 1234);
    assert_eq!(record.event_id, Uuid::from_u128(0xE0));
    assert_eq!(record.event_type, "UserDisabled");
    assert_eq!(record.actor_kind, ActorKind::System);
    assert_eq!(record.actor_id, None);
    assert_eq!(record.username.as_deref(), Some("system"));
    assert_eq!(record.target_id, Some(USER_ID));
    assert_eq!(record.target_username.as_deref(), Some("jane"));
    assert_eq!(record.ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(record.user_agent.as_deref(), Some("curl/8"));
    let back: AuditRecord = serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
    assert_eq!(back, record);
}

fn record_for(event_type: &str) -> AuditRecord {
    let case = cases()
        .into_iter()
        .find(|c| c.env.event_type == event_type)
        .unwrap();
    describe_known(&case.env)
}

#[test]
fn actors_are_named_by_their_display() {
    let by_admin = record_for("UserEnabled");
    assert_eq!(
        (by_admin.actor_id, by_admin.username.as_deref()),
        (Some(ADMIN_ID), Some("admin"))
    );
    assert_eq!(by_admin.target_username.as_deref(), Some("jane"));

    let by_self = record_for("UserLanguageChanged");
    assert_eq!(by_self.username.as_deref(), Some("jane"));

    let by_key = record_for("TeamCreated");
    assert_eq!(by_key.actor_kind, ActorKind::ApiKey);
    assert_eq!(by_key.username.as_deref(), Some("API key CI"));
    assert_eq!((by_key.target_id, by_key.target_username), (None, None));

    let unknown_key = env(
        "account",
        ACCOUNT_ID,
        "TeamDeleted",
        json!({}),
        Actor::api_key(Uuid::from_u128(0x99)),
    );
    assert_eq!(describe_known(&unknown_key).username, None);
}

#[test]
fn a_login_is_listed_under_the_user_who_logged_in() {
    for event_type in [
        "LoginSucceeded",
        "LoginFailed",
        "TwoFactorChallengeFailed",
        "PasswordChangeRequired",
    ] {
        let record = record_for(event_type);
        assert_eq!(record.actor_kind, ActorKind::System, "{event_type}");
        assert_eq!(record.username.as_deref(), Some("jane"), "{event_type}");
    }
    // Through an API key too; a system event that is not a login stays "system".
    let via_key = env(
        "user",
        USER_ID,
        "LoginSucceeded",
        json!({"method": "password"}),
        Actor::api_key(KEY_ID),
    );
    assert_eq!(describe_known(&via_key).username.as_deref(), Some("jane"));
    assert_eq!(
        record_for("PasswordResetEmailSent").username.as_deref(),
        Some("system")
    );
    // An unknown user: the actor's own name is kept.
    let unknown = env(
        "user",
        Uuid::from_u128(0x98),
        "LoginFailed",
        json!({"reason": "locked"}),
        Actor::system(),
    );
    let record = describe_known(&unknown);
    assert_eq!(record.username.as_deref(), Some("system"));
    assert_eq!(
        record.description,
        "User login failed. Details: the user is locked."
    );
}

#[test]
fn every_device_event_is_about_the_devices_owner() {
    let registered = record_for("DeviceRegistered");
    assert_eq!(
        (registered.target_id, registered.target_username.as_deref()),
        (Some(USER_ID), Some("jane"))
    );
    assert_eq!(registered.username.as_deref(), Some("jane"));
    // Its registration makes the device known, with its owner.
    let case = cases()
        .into_iter()
        .find(|c| c.env.event_type == "DeviceRegistered")
        .unwrap();
    assert_eq!(
        principal_change(&case.env, None),
        Some((
            DEVICE_ID,
            Principal {
                owner: Some(USER_ID),
                ..Principal::default()
            }
        ))
    );
    // Later events name only the device: the owner comes from what is known of it, whoever
    // acted (an administrator revoking it).
    let mut revoked = cases()
        .into_iter()
        .find(|c| c.env.event_type == "DeviceRevoked")
        .unwrap()
        .env;
    revoked.actor = Actor::user(ADMIN_ID);
    let record = describe_known(&revoked);
    assert_eq!(
        (
            record.target_id,
            record.target_username.as_deref(),
            record.username.as_deref()
        ),
        (Some(USER_ID), Some("jane"), Some("admin"))
    );
    // A device never seen is about no one.
    let record = describe(&revoked, &|_| None);
    assert_eq!((record.target_id, record.target_username), (None, None));
}

#[test]
fn a_registration_names_its_user_even_before_the_principal_is_stored() {
    let case = cases()
        .into_iter()
        .find(|c| c.env.event_type == "UserRegistered")
        .unwrap();
    let mut self_registered = case.env.clone();
    self_registered.actor = Actor::user(USER_ID);
    let record = describe(&self_registered, &|_| None);
    assert_eq!(record.target_username.as_deref(), Some("jane"));
    assert_eq!(record.username.as_deref(), Some("jane"));
    assert_eq!(record.description, "User created.");
}

#[test]
fn registration_sources_add_details() {
    let registered = |source: &str| {
        let e = env(
            "user",
            USER_ID,
            "UserRegistered",
            json!({"email": "a@example.com", "source": source}),
            Actor::system(),
        );
        describe(&e, &|_| None).description
    };
    assert_eq!(registered("admin"), "User created.");
    assert_eq!(
        registered("sso"),
        "User created. Details: created at first SSO login."
    );
    assert_eq!(
        registered("github"),
        "User created. Details: created at first GitHub login."
    );
    assert_eq!(
        registered("bootstrap"),
        "User created. Details: first administrator of the account."
    );
}

fn line(aggregate_type: &str, event_type: &str, data: Value) -> (String, String, Outcome, String) {
    let e = env(
        aggregate_type,
        USER_ID,
        event_type,
        data,
        Actor::user(ADMIN_ID),
    );
    let r = describe_known(&e);
    (r.item, r.action, r.outcome, r.description)
}

fn entry(item: &str, action: &str, description: &str) -> (String, String, Outcome, String) {
    (
        item.to_string(),
        action.to_string(),
        Outcome::Success,
        description.to_string(),
    )
}

#[test]
fn password_changes_read_by_method() {
    let changed = |method: &str| line("user", "PasswordChanged", json!({"method": method}));
    assert_eq!(
        changed("self_service"),
        entry("Password", "Updated", "Password updated.")
    );
    assert_eq!(
        changed("expired"),
        entry(
            "Password",
            "Updated",
            "Password updated. Details: the previous password had expired."
        )
    );
    assert_eq!(
        changed("reset_link"),
        entry("Password", "Update", "Password for user restored.")
    );
    assert_eq!(
        changed("admin"),
        entry(
            "Password",
            "Update",
            "Password for user restored. Details: set by an administrator."
        )
    );
    assert_eq!(
        line(
            "user",
            "PasswordResetRequested",
            json!({"initiated_by": "user"})
        ),
        entry(
            "Password",
            "Restore",
            "Password reset requested. Details: forgot password."
        )
    );
}

#[test]
fn the_account_two_factor_mode_reads_as_enable_disable_or_update() {
    let mode = |previous: &str, mode: &str| {
        line(
            "account",
            "TwoFactorModeChanged",
            json!({"mode": mode, "previous": previous}),
        )
    };
    assert_eq!(
        mode("off", "every_login"),
        entry(
            "2FA",
            "Enable",
            "Two-factor authentication enabled for all users. Details: asked at every login."
        )
    );
    assert_eq!(
        mode("new_device", "off"),
        entry(
            "2FA",
            "Disable",
            "Two-factor authentication disabled for all users."
        )
    );
    assert_eq!(
        mode("every_login", "off"),
        entry(
            "2FA",
            "Disable",
            "Two-factor authentication disabled for all users."
        )
    );
    assert_eq!(
        mode("every_login", "new_device"),
        entry(
            "2FA",
            "Update",
            "Two-factor authentication settings updated. Details: asked on new devices."
        )
    );
    assert_eq!(
        line("account", "TwoFactorModeChanged", json!({})),
        entry(
            "2FA",
            "Update",
            "Two-factor authentication settings updated."
        )
    );
}

#[test]
fn login_sentences_name_the_user_with_what_is_known() {
    let login = |p: Principal, data: Value| {
        let e = env("user", USER_ID, "LoginSucceeded", data, Actor::system());
        describe(&e, &|id| (id == USER_ID).then(|| p.clone())).description
    };
    let password = json!({"method": "password"});
    assert_eq!(
        login(jane(), password.clone()),
        "User logged in (Jane Doe, jane@example.com)"
    );
    let only_email = Principal {
        email: Some("j@example.com".into()),
        ..Principal::default()
    };
    assert_eq!(
        login(only_email, password.clone()),
        "User logged in (j@example.com)"
    );
    let username_last = Principal {
        username: Some("jd".into()),
        email: Some("j@example.com".into()),
        last_name: Some("Doe".into()),
        ..Principal::default()
    };
    assert_eq!(
        login(username_last, password.clone()),
        "User logged in (Doe, j@example.com)"
    );
    let username_only = Principal {
        username: Some("jd".into()),
        ..Principal::default()
    };
    assert_eq!(login(username_only, password), "User logged in (jd)");
    assert_eq!(login(Principal::default(), json!({})), "User logged in.");
    assert_eq!(
        login(jane(), json!({"method": "sso"})),
        "User logged in (Jane Doe, jane@example.com). Details: SSO login."
    );

    let (_, _, outcome, text) = line(
        "user",
        "LoginFailed",
        json!({"method": "google", "reason": "method_not_allowed", "failed_attempts": 3}),
    );
    assert_eq!(outcome, Outcome::Failed);
    assert_eq!(
        text,
        "User login failed (Jane Doe, jane@example.com). Details: Google login is not allowed, 3 failed attempts in a row."
    );
    let (_, _, _, out) = line("user", "UserLoggedOut", json!({}));
    assert_eq!(out, "User logged out (Jane Doe, jane@example.com)");
}

#[test]
fn an_admin_lock_has_no_details() {
    assert_eq!(
        line(
            "user",
            "UserLocked",
            json!({"reason": "admin", "failed_attempts": 0, "until": null})
        ),
        entry("User", "Lock", "User locked.")
    );
    assert_eq!(
        line(
            "user",
            "UserLocked",
            json!({"reason": "policy", "failed_attempts": 1, "until": null})
        ),
        entry(
            "User",
            "Lock",
            "User locked. Details: 1 failed login attempt."
        )
    );
    assert_eq!(
        line("user", "UserUnlocked", json!({"reason": "expired"})),
        entry(
            "User",
            "Unlock",
            "User unlocked. Details: the lock expired."
        )
    );
    assert_eq!(
        line("user", "UserUnlocked", json!({"reason": "password_reset"})),
        entry(
            "User",
            "Unlock",
            "User unlocked. Details: password reset by link."
        )
    );
}

#[test]
fn removals_and_missing_values_read_sensibly() {
    assert_eq!(
        line("account", "HostnameSet", json!({"hostname": null})),
        entry(
            "Account",
            "Update",
            "Host name set. Details: host name removed."
        )
    );
    assert_eq!(
        line("account", "LogoUpdated", json!({"logo": null})),
        entry("Account", "Update", "Logo updated. Details: logo removed.")
    );
    assert_eq!(
        line(
            "account",
            "ApiKeyUpdated",
            json!({"key_id": NEW_KEY_ID, "name": "CI", "valid_until": null})
        ),
        entry("API key", "Update", "API key updated (CI, no expiration).")
    );
    assert_eq!(
        line(
            "account",
            "ApiKeyRevoked",
            json!({"key_id": Uuid::from_u128(0x97)})
        ),
        entry("API key", "Revoke", "API key revoked.")
    );
    assert_eq!(
        line(
            "user",
            "UserUsernameChanged",
            json!({"username": null, "previous": "jane"})
        ),
        entry(
            "User",
            "Update",
            "User changed username. Details: removed (was jane)."
        )
    );
    assert_eq!(
        line(
            "user",
            "UserProfileUpdated",
            json!({"changes": {"phone": "+14155550100"}})
        ),
        entry("User", "Update", "User updated. Details: phone changed.")
    );
    assert_eq!(
        line(
            "user",
            "UserRolesChanged",
            json!({"roles": [], "previous": ["AccountAdmin"]})
        ),
        entry(
            "User",
            "Update",
            "User updated. Details: roles changed from AccountAdmin to member."
        )
    );
}

#[test]
fn an_unknown_event_still_gets_an_entry() {
    assert_eq!(
        line("user", "SomethingHappened", json!({"x": 1})),
        entry("User", "Event", "Something happened.")
    );
    assert_eq!(
        line("sso_config", "SsoThingDone", json!(null)),
        entry("SSO", "Event", "Sso thing done.")
    );
    assert_eq!(
        line("reservation", "ReservationClaimed", json!({})),
        entry("Reservation", "Event", "Reservation claimed.")
    );
    assert_eq!(
        line("billing_profile", "ChargeFailed", json!([])),
        (
            "Billing profile".to_string(),
            "Event".to_string(),
            Outcome::Failed,
            "Charge failed.".to_string()
        )
    );
    assert_eq!(line("", "", json!("?")), entry("Event", "Event", "Event."));
}

#[test]
fn malformed_data_never_panics() {
    let odd = [
        json!(null),
        json!(17),
        json!("text"),
        json!([1, 2]),
        json!({"reason": 3, "changes": [], "policy": 1}),
    ];
    for case in cases() {
        for data in &odd {
            let mut e = case.env.clone();
            e.data = data.clone();
            let record = describe_known(&e);
            assert!(!record.description.is_empty(), "{}", e.event_type);
            let _ = principal_change(&e, None);
            let _ = principals_needed(&e);
        }
    }
}

#[test]
fn free_text_is_cleaned_and_bounded() {
    let long = format!("line\nbreak{}", "x".repeat(500));
    let (_, _, _, text) = line("account", "TeamDeleted", json!({ "name": long }));
    assert!(!text.contains('\n'));
    assert!(text.chars().count() < 260, "{text}");
    assert!(text.starts_with("Group deleted. Details: \"linebreakxxx"));
}

#[test]
fn principal_change_for_each_event_that_names_a_principal() {
    let by = |event_type: &str, data: Value| {
        env("user", USER_ID, event_type, data, Actor::user(ADMIN_ID))
    };
    let current = jane();

    let registered = cases()
        .into_iter()
        .find(|c| c.env.event_type == "UserRegistered")
        .unwrap();
    assert_eq!(
        principal_change(&registered.env, None),
        Some((USER_ID, jane()))
    );

    let update = by(
        "UserProfileUpdated",
        json!({"changes": {"first_name": "Janet", "last_name": null}}),
    );
    let expected = Principal {
        first_name: Some("Janet".into()),
        last_name: None,
        ..jane()
    };
    assert_eq!(
        principal_change(&update, Some(&current)),
        Some((USER_ID, expected))
    );
    let phone_only = by(
        "UserProfileUpdated",
        json!({"changes": {"phone": "+14155550100"}}),
    );
    assert_eq!(principal_change(&phone_only, Some(&current)), None);
    // The real serialization of a clear reads the same.
    let profile = cases()
        .into_iter()
        .find(|c| c.env.event_type == "UserProfileUpdated")
        .unwrap();
    let (_, p) = principal_change(&profile.env, Some(&current)).unwrap();
    assert_eq!(
        (p.first_name.as_deref(), p.last_name),
        (Some("Janet"), None)
    );

    let email = by(
        "UserEmailChanged",
        json!({"email": "new@example.com", "previous": "jane@example.com"}),
    );
    let (id, p) = principal_change(&email, Some(&current)).unwrap();
    assert_eq!(
        (id, p.email.as_deref(), p.username.as_deref()),
        (USER_ID, Some("new@example.com"), Some("jane"))
    );
    // Unknown before: only what the event says.
    assert_eq!(
        principal_change(&email, None),
        Some((
            USER_ID,
            Principal {
                email: Some("new@example.com".into()),
                ..Principal::default()
            }
        ))
    );

    let renamed = by(
        "UserUsernameChanged",
        json!({"username": "janed", "previous": "jane"}),
    );
    assert_eq!(
        principal_change(&renamed, Some(&current))
            .unwrap()
            .1
            .username
            .as_deref(),
        Some("janed")
    );
    let cleared = by(
        "UserUsernameChanged",
        json!({"username": null, "previous": "jane"}),
    );
    let (_, p) = principal_change(&cleared, Some(&current)).unwrap();
    assert_eq!(p.username, None);
    assert_eq!(p.display().as_deref(), Some("jane@example.com"));

    let created = cases()
        .into_iter()
        .find(|c| c.env.event_type == "ApiKeyCreated")
        .unwrap();
    assert_eq!(
        principal_change(&created.env, None),
        Some((
            NEW_KEY_ID,
            Principal {
                key_name: Some("Deploy".into()),
                ..Principal::default()
            }
        ))
    );
    let updated = cases()
        .into_iter()
        .find(|c| c.env.event_type == "ApiKeyUpdated")
        .unwrap();
    let before = Principal {
        key_name: Some("Deploy".into()),
        ..Principal::default()
    };
    assert_eq!(
        principal_change(&updated.env, Some(&before)),
        Some((
            NEW_KEY_ID,
            Principal {
                key_name: Some("Deploy 2".into()),
                ..Principal::default()
            }
        ))
    );

    for other in [
        "UserDisabled",
        "LoginSucceeded",
        "ApiKeyRevoked",
        "TeamCreated",
        "DeviceRenamed",
    ] {
        let case = cases()
            .into_iter()
            .find(|c| c.env.event_type == other)
            .unwrap();
        assert_eq!(principal_change(&case.env, Some(&current)), None, "{other}");
    }
    assert_eq!(
        principal_change(&by("UserEmailChanged", json!({})), Some(&current)),
        None
    );
    assert_eq!(
        principal_change(&by("ApiKeyCreated", json!({"name": "x"})), None),
        None
    );
}

#[test]
fn display_falls_back_from_username_to_email_to_key_name() {
    assert_eq!(jane().display().as_deref(), Some("jane"));
    let email = Principal {
        username: Some(String::new()),
        email: Some("j@example.com".into()),
        ..Principal::default()
    };
    assert_eq!(email.display().as_deref(), Some("j@example.com"));
    let key = Principal {
        key_name: Some("CI".into()),
        ..Principal::default()
    };
    assert_eq!(key.display().as_deref(), Some("API key CI"));
    assert_eq!(Principal::default().display(), None);
}

#[test]
fn principals_needed_lists_actor_target_and_revoked_key_once() {
    let needed = |event_type: &str| {
        let case = cases()
            .into_iter()
            .find(|c| c.env.event_type == event_type)
            .unwrap();
        principals_needed(&case.env)
    };
    assert_eq!(needed("UserEnabled"), vec![ADMIN_ID, USER_ID]);
    assert_eq!(needed("UserLanguageChanged"), vec![USER_ID]);
    assert_eq!(needed("LoginSucceeded"), vec![USER_ID]);
    assert_eq!(needed("TeamCreated"), vec![KEY_ID]);
    assert_eq!(needed("ApiKeyRevoked"), vec![KEY_ID, NEW_KEY_ID]);
    assert_eq!(needed("DeviceRegistered"), vec![USER_ID]);
    // The device (then its owner, loaded by the storage layer) and the actor.
    assert_eq!(needed("DeviceRenamed"), vec![USER_ID, DEVICE_ID]);
    assert_eq!(needed("SsoAccountAdded"), vec![ADMIN_ID]);
    let system = env(
        "account",
        ACCOUNT_ID,
        "AccountCreated",
        json!({}),
        Actor::system(),
    );
    assert_eq!(principals_needed(&system), Vec::<Uuid>::new());
}

#[test]
fn every_id_describe_asks_for_is_in_principals_needed() {
    // The device events again, done by an administrator: the owner is then needed apart
    // from the actor.
    let by_admin = cases()
        .into_iter()
        .filter(|c| c.env.aggregate_type == "device")
        .map(|mut c| {
            c.env.actor = Actor::user(ADMIN_ID);
            c
        });
    let all: Vec<Case> = cases().into_iter().chain(by_admin).collect();
    assert!(all.len() > cases().len());
    for case in all {
        let known = principals();
        // As the storage layer loads them: the principals needed, then the owners of the
        // devices among them.
        let mut needed = principals_needed(&case.env);
        let owners: Vec<Uuid> = needed
            .iter()
            .filter_map(|id| known.get(id).and_then(|p| p.owner))
            .collect();
        needed.extend(owners);
        let asked = std::cell::RefCell::new(Vec::new());
        describe(&case.env, &|id| {
            asked.borrow_mut().push(id);
            known.get(&id).cloned()
        });
        for id in asked.into_inner() {
            assert!(
                needed.contains(&id),
                "{} asked for {id}",
                case.env.event_type
            );
        }
    }
}

#[test]
fn outcome_strings_round_trip() {
    for outcome in [Outcome::Success, Outcome::Failed] {
        assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        assert_eq!(
            serde_json::to_value(outcome).unwrap(),
            json!(outcome.as_str())
        );
    }
    assert_eq!(Outcome::parse("Failed"), None);
}

#[test]
fn a_refused_sso_login_names_the_user_it_was_for() {
    let case = sso_case(
        SsoConfigEvent::SsoLoginFailed {
            reason: SsoLoginFailure::UnknownUser,
            account_id: Some(ACCOUNT_ID),
            user_id: None,
            name_id: Some("ana@corp.example".into()),
        },
        "",
    );
    assert_eq!(
        summary(&describe_known(&case.env)),
        "User | Login | failed | User login failed (ana@corp.example). Details: SSO login: no user \
         has the NameID as email and auto-create users is off."
    );
    for reason in SsoLoginFailure::ALL {
        let case = sso_case(
            SsoConfigEvent::SsoLoginFailed {
                reason,
                account_id: None,
                user_id: None,
                name_id: None,
            },
            "",
        );
        let line = summary(&describe_known(&case.env));
        assert!(line.contains("Details: SSO login: "), "{reason:?}: {line}");
    }
}
