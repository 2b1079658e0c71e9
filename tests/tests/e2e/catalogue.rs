//! A history that holds one event of every type the domain has, written through the store as
//! the aggregates would write them (events without a command yet, such as SSO configuration or
//! linked identities, included), for replay and projection tests that must not be vacuous.

use std::collections::BTreeSet;

use chronid_domain::account::{Account, AccountEvent};
use chronid_domain::device::{Device, DeviceEvent, DeviceRevokeReason};
use chronid_domain::external_login::{
    ExternalLogin, ExternalLoginEvent, ExternalLoginFailure, Refusal,
};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::sso_config::{NameIdSource, SsoConfig, SsoConfigEvent, SsoSettings};
use chronid_domain::user::{
    ChallengePurpose, CodeFailure, DisableReason, IdentityProvider, LockReason, LockScope,
    LoginFailure, LoginMethod, PasswordChangeMethod, ProfileChanges, RegistrationSource,
    ResetInitiator, SessionEndReason, TotpAction, UnlockReason, User, UserEvent,
};
use chronid_domain::values::{
    AcsPath, Certificate, Certificates, ColorScheme, Email, EntityId, Hostname, HttpUrl, Language,
    LoginOptions, Logo, Name, PersonName, Phone, Role, Roles, SecurityPolicy, StoredSecret,
    TimeZone, TwoFactorChannel, TwoFactorMode, UserAgent, Username,
};
use chronid_domain::AccountScoped;
use chronid_store::PgEventStore;
use chronid_tests::server::TestApp;
use chrono::{Duration, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use uuid::Uuid;

/// Every event type the domain publishes, from the domain's own event-type enums (an event
/// added to an aggregate shows here without anyone listing it).
pub fn domain_event_types() -> BTreeSet<String> {
    chronid_projections::published::Published::all()
        .map(|p| p.names().1.to_string())
        .collect()
}

fn secret(s: &str) -> StoredSecret {
    StoredSecret(format!("catalogue-{s}"))
}

fn name(s: &str) -> Name {
    Name::parse("name", s).unwrap()
}

/// Appends `events` to aggregate `id` after what it holds, as its own commands would.
async fn append<A>(app: &TestApp, id: Uuid, events: Vec<A::Event>) -> BTreeSet<String>
where
    A: Aggregate + AccountScoped,
{
    let store: PgEventStore<A> = app.app.executor().store::<A>();
    let mut context = store.load(&id.to_string()).await.unwrap();
    let types = events.iter().map(DomainEvent::event_type).collect();
    for e in &events {
        context.aggregate.apply(e.clone());
    }
    let facts = RequestFacts {
        ip: Some("192.0.2.44".into()),
        user_agent: Some("catalogue".into()),
        ..RequestFacts::system()
    };
    store
        .append(&events, &context, &facts.to_metadata(Utc::now()))
        .await
        .unwrap();
    types
}

fn sso_settings(auto_create_groups: bool) -> SsoSettings {
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

/// Writes one event of every type into the test app's account (a new user, device, team, API key
/// and SSO configuration carry them; the account's creation is the bootstrap's); returns the
/// event types written.
pub async fn append_every_event_type(app: &TestApp) -> BTreeSet<String> {
    let account = app.account_id;
    let now = Utc::now();
    let mut written = BTreeSet::new();
    let team = Uuid::now_v7();
    let key = Uuid::now_v7();
    let policy = SecurityPolicy {
        max_login_attempts: 7,
        two_factor: TwoFactorMode::NewDevice,
        ..SecurityPolicy::default()
    };
    written.extend(
        append::<Account>(
            app,
            account,
            vec![
                AccountEvent::AccountRenamed {
                    name: name("Acme Catalogue"),
                    previous: name("Acme"),
                },
                AccountEvent::SecurityPolicyUpdated {
                    policy: policy.clone(),
                    previous: SecurityPolicy::default(),
                },
                AccountEvent::TwoFactorModeChanged {
                    mode: TwoFactorMode::NewDevice,
                    previous: TwoFactorMode::Off,
                },
                AccountEvent::LoginOptionsUpdated {
                    options: LoginOptions {
                        github: true,
                        ..LoginOptions::default()
                    },
                    previous: LoginOptions::default(),
                },
                AccountEvent::AccountLanguageChanged {
                    language: Language::parse("de").unwrap(),
                },
                AccountEvent::AccountTimeZoneChanged {
                    time_zone: TimeZone::parse("Europe/Zagreb").unwrap(),
                    previous: TimeZone::utc(),
                },
                AccountEvent::ColorSchemeSet {
                    scheme: ColorScheme::Dark,
                },
                AccountEvent::HostnameSet {
                    hostname: Some(Hostname::parse("login.acme.test").unwrap()),
                },
                AccountEvent::LogoUpdated {
                    logo: Some(Logo::new("image/png", 100, 80, "ab12".into()).unwrap()),
                },
                AccountEvent::TeamCreated {
                    team_id: team,
                    name: name("Catalogue team"),
                    sso_managed: true,
                },
                AccountEvent::TeamRenamed {
                    team_id: team,
                    name: name("Catalogue team 2"),
                    previous: name("Catalogue team"),
                },
                AccountEvent::TeamsDetachedFromSso {
                    team_ids: vec![team],
                },
                AccountEvent::ApiKeyCreated {
                    key_id: key,
                    name: name("Catalogue key"),
                    roles: Roles::new([Role::AccountAdmin]),
                    valid_from: now,
                    valid_until: None,
                    key_hash: secret("key"),
                },
                AccountEvent::ApiKeyUpdated {
                    key_id: key,
                    name: name("Catalogue key 2"),
                    valid_until: Some(now + Duration::days(30)),
                },
                AccountEvent::ApiKeyRevoked { key_id: key },
            ],
        )
        .await,
    );

    let user = Uuid::now_v7();
    let device = Uuid::now_v7();
    let (session, request, failed_request, challenge) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let email = Email::parse(&format!("catalogue-{}@acme.test", user.simple())).unwrap();
    let new_email = Email::parse(&format!("catalogue-{}@new.acme.test", user.simple())).unwrap();
    let phone = Phone::parse("+14155550199").unwrap();
    written.extend(
        append::<User>(
            app,
            user,
            vec![
                UserEvent::UserRegistered {
                    user_id: user,
                    account_id: account,
                    email: email.clone(),
                    username: Some(
                        Username::parse(&format!("cat-{}", &user.simple().to_string()[20..]))
                            .unwrap(),
                    ),
                    first_name: Some(PersonName::parse("first_name", "Cat").unwrap()),
                    last_name: None,
                    phone: None,
                    language: Language::english(),
                    roles: Roles::member(),
                    source: RegistrationSource::Admin,
                    invited: true,
                    password_hash: None,
                    password_changed_at: None,
                    sso_managed: false,
                    sso_config_id: None,
                },
                UserEvent::UserProfileUpdated {
                    changes: ProfileChanges {
                        phone: Some(Some(phone.clone())),
                        last_name: Some(Some(PersonName::parse("last_name", "Alog").unwrap())),
                        ..ProfileChanges::default()
                    },
                },
                UserEvent::UserRolesChanged {
                    roles: Roles::new([Role::AccountAdmin]),
                    previous: Roles::member(),
                },
                UserEvent::UserEmailChanged {
                    email: new_email.clone(),
                    previous: email,
                },
                UserEvent::UserUsernameChanged {
                    username: None,
                    previous: None,
                },
                UserEvent::UserPhoneVerified { phone },
                UserEvent::UserEmailVerified { email: new_email },
                UserEvent::UserInvitationAccepted,
                UserEvent::PasswordChanged {
                    password_hash: secret("password"),
                    method: PasswordChangeMethod::SelfService,
                    changed_at: now,
                    expires_at: Some(now + Duration::days(90)),
                },
                UserEvent::UserDisabled {
                    reason: DisableReason::Admin,
                },
                UserEvent::UserEnabled,
                UserEvent::LoginFailed {
                    method: LoginMethod::Password,
                    reason: LoginFailure::WrongPassword,
                    failed_attempts: 1,
                    device_id: None,
                    scope: LockScope::Account,
                },
                UserEvent::UserLocked {
                    reason: LockReason::Policy,
                    failed_attempts: 1,
                    until: Some(now + Duration::minutes(15)),
                    scope: LockScope::UntrustedDevices,
                },
                UserEvent::UserUnlocked {
                    reason: UnlockReason::Admin,
                },
                UserEvent::UserLanguageChanged {
                    language: Language::parse("hr").unwrap(),
                },
                UserEvent::PasswordResetRequested {
                    request_id: request,
                    token_hash: secret("reset"),
                    token_sealed: Some(secret("reset-sealed")),
                    initiated_by: ResetInitiator::Admin,
                    expires_at: now + Duration::hours(1),
                    requested_at: now,
                },
                UserEvent::PasswordResetEmailSent {
                    request_id: request,
                },
                UserEvent::PasswordResetRequested {
                    request_id: failed_request,
                    token_hash: secret("reset2"),
                    token_sealed: Some(secret("reset2-sealed")),
                    initiated_by: ResetInitiator::User,
                    expires_at: now + Duration::hours(1),
                    requested_at: now,
                },
                UserEvent::PasswordResetEmailFailed {
                    request_id: failed_request,
                    error: "smtp said no".into(),
                },
                UserEvent::PasswordResetCompleted {
                    request_id: request,
                },
                UserEvent::PasswordChangeRequired {
                    change_id: Uuid::now_v7(),
                    token_hash: secret("change"),
                    expires_at: now + Duration::minutes(15),
                },
                UserEvent::TwoFactorRequirementChanged { required: true },
                UserEvent::TwoFactorChannelChanged {
                    channel: TwoFactorChannel::Sms,
                },
                UserEvent::TwoFactorChallengeIssued {
                    challenge_id: challenge,
                    channel: TwoFactorChannel::Sms,
                    purpose: ChallengePurpose::SignIn,
                    issued_at: now,
                    code_hash: Some(secret("code")),
                    code_sealed: Some(secret("code-sealed")),
                    device_id: Some(device),
                    expires_at: now + Duration::minutes(10),
                    max_attempts: 5,
                },
                UserEvent::TwoFactorCodeDeliveryFailed {
                    challenge_id: challenge,
                    channel: TwoFactorChannel::Sms,
                    error: "carrier refused".into(),
                },
                UserEvent::TwoFactorChallengeFailed {
                    challenge_id: challenge,
                    attempts: 1,
                    exhausted: false,
                    reason: CodeFailure::Wrong,
                    tries_left: 4,
                    failed_attempts: Some(1),
                    scope: LockScope::Account,
                },
                UserEvent::TwoFactorChallengeIssued {
                    challenge_id: Uuid::now_v7(),
                    channel: TwoFactorChannel::Email,
                    purpose: ChallengePurpose::SignIn,
                    issued_at: now,
                    code_hash: Some(secret("code2")),
                    code_sealed: Some(secret("code2-sealed")),
                    device_id: Some(device),
                    expires_at: now + Duration::minutes(10),
                    max_attempts: 5,
                },
                UserEvent::TwoFactorCodeDelivered {
                    challenge_id: challenge,
                    channel: TwoFactorChannel::Email,
                },
                UserEvent::TwoFactorChallengePassed {
                    challenge_id: challenge,
                    device_id: Some(device),
                },
                UserEvent::LoginSucceeded {
                    method: LoginMethod::Password,
                    session_id: session,
                    session_token_hash: secret("session"),
                    session_expires_at: now + Duration::hours(12),
                    device_id: Some(device),
                    at: now,
                },
                UserEvent::PasswordChangeFailed { failed_attempts: 1 },
                UserEvent::TotpEnrolled {
                    secret_sealed: secret("totp"),
                },
                UserEvent::TotpConfirmed { step: 1 },
                UserEvent::TotpCodeUsed { step: 2 },
                UserEvent::TotpCodeRejected {
                    action: TotpAction::Disable,
                    reason: CodeFailure::Reused,
                    failed_attempts: 2,
                },
                UserEvent::TotpReset {
                    secret_sealed: secret("totp2"),
                    keeps_current: true,
                },
                UserEvent::TotpDisabled { by_admin: true },
                UserEvent::ExternalIdentityLinked {
                    provider: IdentityProvider::Google,
                    subject: "1234".into(),
                },
                UserEvent::ExternalIdentityUnlinked {
                    provider: IdentityProvider::Google,
                    subject: "1234".into(),
                },
                UserEvent::UserAddedToTeam {
                    team_id: team,
                    via_sso: false,
                },
                UserEvent::UserRemovedFromTeam {
                    team_id: team,
                    via_sso: false,
                },
                UserEvent::UserLoggedOut {
                    session_id: session,
                },
                UserEvent::SessionsEnded {
                    session_ids: vec![session],
                    reason: SessionEndReason::Revoked,
                },
            ],
        )
        .await,
    );
    written.extend(
        append::<Device>(
            app,
            device,
            vec![
                DeviceEvent::DeviceRegistered {
                    device_id: device,
                    user_id: user,
                    account_id: account,
                    token_hash: secret("device"),
                    label: Some(name("Catalogue laptop")),
                    user_agent: UserAgent::new("catalogue"),
                    first_seen_at: now,
                },
                DeviceEvent::DeviceTrusted {
                    challenge_id: Some(challenge),
                    trusted_at: now,
                    user_epoch: 0,
                },
                DeviceEvent::DeviceRenamed { label: None },
                DeviceEvent::DeviceRevoked {
                    reason: DeviceRevokeReason::Admin,
                },
            ],
        )
        .await,
    );
    let sso = Uuid::now_v7();
    let other_account = Uuid::now_v7();
    written.extend(
        append::<SsoConfig>(
            app,
            sso,
            vec![
                SsoConfigEvent::SsoConfigCreated {
                    config_id: sso,
                    account_id: account,
                    settings: sso_settings(true),
                },
                SsoConfigEvent::SsoConfigUpdated {
                    settings: sso_settings(false),
                    previous_auto_create_groups: true,
                },
                SsoConfigEvent::SsoAccountOffered {
                    account_id: other_account,
                },
                SsoConfigEvent::SsoAccountAdded {
                    account_id: other_account,
                },
                SsoConfigEvent::SsoLoginFailed {
                    reason: chronid_domain::sso_config::SsoLoginFailure::UnknownUser,
                    account_id: Some(account),
                    user_id: None,
                    name_id: Some("nobody@corp.example".into()),
                },
                SsoConfigEvent::SsoAccountRemoved {
                    account_id: other_account,
                },
                SsoConfigEvent::SsoConfigDeleted {
                    sp_entity_id: EntityId::parse("sp_entity_id", "https://sp.example.com/acme")
                        .unwrap(),
                    accounts: vec![account],
                },
            ],
        )
        .await,
    );
    // A refused Google login of the user, and one the deployment's.
    for account_id in [Some(account), None] {
        written.extend(
            append::<ExternalLogin>(
                app,
                Uuid::now_v7(),
                vec![ExternalLoginEvent::ExternalLoginRefused(Refusal {
                    provider: IdentityProvider::Google,
                    reason: ExternalLoginFailure::ProviderNotAllowed,
                    account_id,
                    user_id: account_id.map(|_| user),
                    subject: Some("1234".into()),
                    email: Some("catalogue@acme.test".into()),
                })],
            )
            .await,
        );
    }
    // The team's deletion last: the user's membership events above name it.
    written.extend(
        append::<Account>(
            app,
            account,
            vec![AccountEvent::TeamDeleted {
                team_id: team,
                name: name("Catalogue team 2"),
            }],
        )
        .await,
    );
    written
}
