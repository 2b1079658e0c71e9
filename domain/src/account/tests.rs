use chrono::Duration;
use cqrs_es::test::TestFramework;
use cqrs_es::DomainEvent;

use super::*;
use crate::testing::{now, services, uuid};
use crate::values::{LockoutMode, Role, TwoFactorMode};

type Test = TestFramework<Account>;

const ACCOUNT: u128 = 1;
const TEAM: u128 = 20;
const OTHER_TEAM: u128 = 21;
const KEY: u128 = 30;

fn name(raw: &str) -> Name {
    Name::parse("name", raw).unwrap()
}

fn created() -> AccountEvent {
    AccountEvent::AccountCreated {
        account_id: uuid(ACCOUNT),
        name: name("Contoso"),
    }
}

fn team_created(team: u128, team_name: &str, sso_managed: bool) -> AccountEvent {
    AccountEvent::TeamCreated {
        team_id: uuid(team),
        name: name(team_name),
        sso_managed,
    }
}

fn key_created(valid_until: Option<DateTime<Utc>>) -> AccountEvent {
    AccountEvent::ApiKeyCreated {
        key_id: uuid(KEY),
        name: name("CI"),
        roles: Roles::new([Role::AccountAdmin]),
        valid_from: now() - Duration::days(30),
        valid_until,
        key_hash: StoredSecret("key-digest".into()),
    }
}

fn key_revoked() -> AccountEvent {
    AccountEvent::ApiKeyRevoked { key_id: uuid(KEY) }
}

fn policy(two_factor: TwoFactorMode, lock_minutes: Option<i64>) -> SecurityPolicy {
    SecurityPolicy::new(
        Some(90),
        5,
        Some(90),
        two_factor,
        lock_minutes,
        LockoutMode::Account,
    )
    .unwrap()
}

fn logo() -> Logo {
    Logo::new("image/png", 120, 40, "ab12".into()).unwrap()
}

fn hostname(raw: &str) -> Hostname {
    Hostname::parse(raw).unwrap()
}

async fn refused_on_unknown_account(command: AccountCommand) {
    Test::with(services())
        .given_no_previous_events()
        .when_async(command)
        .await
        .then_expect_error(AccountError::NotFound);
}

// Create / Rename

#[tokio::test]
async fn create_new_account_emits_created() {
    Test::with(services())
        .given_no_previous_events()
        .when_async(AccountCommand::Create {
            account_id: uuid(ACCOUNT),
            name: name("Contoso"),
        })
        .await
        .then_expect_events(vec![created()]);
}

#[tokio::test]
async fn create_existing_account_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::Create {
            account_id: uuid(ACCOUNT),
            name: name("Other"),
        })
        .await
        .then_expect_error(AccountError::AlreadyExists);
}

#[tokio::test]
async fn rename_account_emits_renamed_with_previous() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::Rename {
            name: name("Contoso Ltd"),
        })
        .await
        .then_expect_events(vec![AccountEvent::AccountRenamed {
            name: name("Contoso Ltd"),
            previous: name("Contoso"),
        }]);
}

#[tokio::test]
async fn rename_to_same_name_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::Rename {
            name: name("Contoso"),
        })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn rename_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::Rename {
        name: name("Contoso"),
    })
    .await;
}

// Security policy

#[tokio::test]
async fn update_security_policy_same_two_factor_emits_policy_updated_only() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::UpdateSecurityPolicy {
            policy: policy(TwoFactorMode::Off, Some(30)),
        })
        .await
        .then_expect_events(vec![AccountEvent::SecurityPolicyUpdated {
            policy: policy(TwoFactorMode::Off, Some(30)),
            previous: SecurityPolicy::default(),
        }]);
}

#[tokio::test]
async fn update_security_policy_changing_two_factor_emits_mode_changed_after_policy_updated() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::UpdateSecurityPolicy {
            policy: policy(TwoFactorMode::EveryLogin, None),
        })
        .await
        .then_expect_events(vec![
            AccountEvent::SecurityPolicyUpdated {
                policy: policy(TwoFactorMode::EveryLogin, None),
                previous: SecurityPolicy::default(),
            },
            AccountEvent::TwoFactorModeChanged {
                mode: TwoFactorMode::EveryLogin,
                previous: TwoFactorMode::Off,
            },
        ]);
}

#[tokio::test]
async fn update_security_policy_unchanged_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::UpdateSecurityPolicy {
            policy: SecurityPolicy::default(),
        })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn update_security_policy_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::UpdateSecurityPolicy {
        policy: SecurityPolicy::default(),
    })
    .await;
}

// Login options and customization

#[tokio::test]
async fn update_login_options_emits_updated_with_previous() {
    let options = LoginOptions::new(false, false, false, true).unwrap();
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::UpdateLoginOptions { options })
        .await
        .then_expect_events(vec![AccountEvent::LoginOptionsUpdated {
            options,
            previous: LoginOptions::default(),
        }]);
}

#[tokio::test]
async fn update_login_options_unchanged_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::UpdateLoginOptions {
            options: LoginOptions::default(),
        })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn update_login_options_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::UpdateLoginOptions {
        options: LoginOptions::default(),
    })
    .await;
}

#[tokio::test]
async fn change_language_emits_language_changed() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::ChangeLanguage {
            language: Language::english(),
        })
        .await
        .then_expect_events(vec![AccountEvent::AccountLanguageChanged {
            language: Language::english(),
        }]);
}

#[tokio::test]
async fn change_language_to_current_is_refused() {
    Test::with(services())
        .given(vec![
            created(),
            AccountEvent::AccountLanguageChanged {
                language: Language::english(),
            },
        ])
        .when_async(AccountCommand::ChangeLanguage {
            language: Language::english(),
        })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn change_language_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::ChangeLanguage {
        language: Language::english(),
    })
    .await;
}

#[tokio::test]
async fn set_color_scheme_emits_scheme_set() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::SetColorScheme {
            scheme: ColorScheme::Dark,
        })
        .await
        .then_expect_events(vec![AccountEvent::ColorSchemeSet {
            scheme: ColorScheme::Dark,
        }]);
}

#[tokio::test]
async fn set_color_scheme_to_current_is_refused() {
    Test::with(services())
        .given(vec![
            created(),
            AccountEvent::ColorSchemeSet {
                scheme: ColorScheme::Dark,
            },
        ])
        .when_async(AccountCommand::SetColorScheme {
            scheme: ColorScheme::Dark,
        })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn set_color_scheme_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::SetColorScheme {
        scheme: ColorScheme::Light,
    })
    .await;
}

#[tokio::test]
async fn set_hostname_emits_hostname_set() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::SetHostname {
            hostname: Some(hostname("login.contoso.com")),
        })
        .await
        .then_expect_events(vec![AccountEvent::HostnameSet {
            hostname: Some(hostname("login.contoso.com")),
        }]);
}

#[tokio::test]
async fn set_hostname_none_clears_it() {
    Test::with(services())
        .given(vec![
            created(),
            AccountEvent::HostnameSet {
                hostname: Some(hostname("login.contoso.com")),
            },
        ])
        .when_async(AccountCommand::SetHostname { hostname: None })
        .await
        .then_expect_events(vec![AccountEvent::HostnameSet { hostname: None }]);
}

#[tokio::test]
async fn set_hostname_to_current_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::SetHostname { hostname: None })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn set_hostname_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::SetHostname { hostname: None }).await;
}

#[tokio::test]
async fn update_logo_emits_logo_updated() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::UpdateLogo { logo: Some(logo()) })
        .await
        .then_expect_events(vec![AccountEvent::LogoUpdated { logo: Some(logo()) }]);
}

#[tokio::test]
async fn update_logo_to_current_is_refused() {
    Test::with(services())
        .given(vec![
            created(),
            AccountEvent::LogoUpdated { logo: Some(logo()) },
        ])
        .when_async(AccountCommand::UpdateLogo { logo: Some(logo()) })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn update_logo_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::UpdateLogo { logo: None }).await;
}

// Teams

fn zone(raw: &str) -> TimeZone {
    TimeZone::parse(raw).unwrap()
}

fn customize_time_zone(raw: &str) -> AccountCommand {
    AccountCommand::Customize {
        language: None,
        color_scheme: None,
        hostname: None,
        logo: None,
        time_zone: Some(zone(raw)),
    }
}

#[tokio::test]
async fn customize_emits_one_event_per_changed_setting_in_order() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::Customize {
            language: Some(Language::english()),
            color_scheme: Some(ColorScheme::Dark),
            hostname: Some(Some(hostname("login.contoso.com"))),
            logo: None,
            time_zone: Some(zone("Europe/Zagreb")),
        })
        .await
        .then_expect_events(vec![
            AccountEvent::AccountLanguageChanged {
                language: Language::english(),
            },
            AccountEvent::ColorSchemeSet {
                scheme: ColorScheme::Dark,
            },
            AccountEvent::HostnameSet {
                hostname: Some(hostname("login.contoso.com")),
            },
            AccountEvent::AccountTimeZoneChanged {
                time_zone: zone("Europe/Zagreb"),
                previous: TimeZone::utc(),
            },
        ]);
}

#[tokio::test]
async fn customize_skips_settings_already_in_place() {
    Test::with(services())
        .given(vec![
            created(),
            AccountEvent::AccountLanguageChanged {
                language: Language::english(),
            },
        ])
        .when_async(AccountCommand::Customize {
            language: Some(Language::english()),
            color_scheme: Some(ColorScheme::Light),
            hostname: None,
            logo: None,
            time_zone: None,
        })
        .await
        .then_expect_events(vec![AccountEvent::ColorSchemeSet {
            scheme: ColorScheme::Light,
        }]);
}

#[tokio::test]
async fn customize_time_zone_carries_the_previous_zone() {
    Test::with(services())
        .given(vec![
            created(),
            AccountEvent::AccountTimeZoneChanged {
                time_zone: zone("Europe/Zagreb"),
                previous: TimeZone::utc(),
            },
        ])
        .when_async(customize_time_zone("America/New_York"))
        .await
        .then_expect_events(vec![AccountEvent::AccountTimeZoneChanged {
            time_zone: zone("America/New_York"),
            previous: zone("Europe/Zagreb"),
        }]);
}

#[tokio::test]
async fn customize_time_zone_to_utc_by_default_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(customize_time_zone("UTC"))
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn customize_nothing_new_is_refused() {
    Test::with(services())
        .given(vec![
            created(),
            AccountEvent::AccountTimeZoneChanged {
                time_zone: zone("Europe/Zagreb"),
                previous: TimeZone::utc(),
            },
        ])
        .when_async(customize_time_zone("Europe/Zagreb"))
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn customize_unknown_account_is_refused() {
    refused_on_unknown_account(customize_time_zone("Europe/Zagreb")).await;
}

#[tokio::test]
async fn create_team_emits_team_created() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::CreateTeam {
            team_id: uuid(TEAM),
            name: name("Ops"),
            sso_managed: false,
        })
        .await
        .then_expect_events(vec![team_created(TEAM, "Ops", false)]);
}

#[tokio::test]
async fn create_team_with_existing_id_is_refused() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Ops", false)])
        .when_async(AccountCommand::CreateTeam {
            team_id: uuid(TEAM),
            name: name("Finance"),
            sso_managed: false,
        })
        .await
        .then_expect_error(AccountError::TeamExists);
}

#[tokio::test]
async fn create_team_name_taken_in_other_case_is_refused() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Ops", false)])
        .when_async(AccountCommand::CreateTeam {
            team_id: uuid(OTHER_TEAM),
            name: name("OPS"),
            sso_managed: true,
        })
        .await
        .then_expect_error(AccountError::TeamNameTaken);
}

#[tokio::test]
async fn create_team_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::CreateTeam {
        team_id: uuid(TEAM),
        name: name("Ops"),
        sso_managed: false,
    })
    .await;
}

#[tokio::test]
async fn rename_team_emits_renamed_with_previous() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Ops", false)])
        .when_async(AccountCommand::RenameTeam {
            team_id: uuid(TEAM),
            name: name("Operations"),
        })
        .await
        .then_expect_events(vec![AccountEvent::TeamRenamed {
            team_id: uuid(TEAM),
            name: name("Operations"),
            previous: name("Ops"),
        }]);
}

#[tokio::test]
async fn rename_team_changing_only_case_emits_renamed() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Ops", false)])
        .when_async(AccountCommand::RenameTeam {
            team_id: uuid(TEAM),
            name: name("OPS"),
        })
        .await
        .then_expect_events(vec![AccountEvent::TeamRenamed {
            team_id: uuid(TEAM),
            name: name("OPS"),
            previous: name("Ops"),
        }]);
}

#[tokio::test]
async fn rename_team_unknown_team_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::RenameTeam {
            team_id: uuid(TEAM),
            name: name("Ops"),
        })
        .await
        .then_expect_error(AccountError::TeamNotFound);
}

#[tokio::test]
async fn rename_team_sso_managed_is_refused() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Domain_Users", true)])
        .when_async(AccountCommand::RenameTeam {
            team_id: uuid(TEAM),
            name: name("Everyone"),
        })
        .await
        .then_expect_error(AccountError::TeamManagedBySso);
}

#[tokio::test]
async fn rename_team_to_same_name_is_refused() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Ops", false)])
        .when_async(AccountCommand::RenameTeam {
            team_id: uuid(TEAM),
            name: name("Ops"),
        })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn rename_team_to_name_taken_in_other_case_is_refused() {
    Test::with(services())
        .given(vec![
            created(),
            team_created(TEAM, "Ops", false),
            team_created(OTHER_TEAM, "Finance", false),
        ])
        .when_async(AccountCommand::RenameTeam {
            team_id: uuid(TEAM),
            name: name("finance"),
        })
        .await
        .then_expect_error(AccountError::TeamNameTaken);
}

#[tokio::test]
async fn rename_team_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::RenameTeam {
        team_id: uuid(TEAM),
        name: name("Ops"),
    })
    .await;
}

#[tokio::test]
async fn delete_team_emits_deleted_with_name() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Ops", false)])
        .when_async(AccountCommand::DeleteTeam {
            team_id: uuid(TEAM),
        })
        .await
        .then_expect_events(vec![AccountEvent::TeamDeleted {
            team_id: uuid(TEAM),
            name: name("Ops"),
        }]);
}

#[tokio::test]
async fn delete_team_unknown_team_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::DeleteTeam {
            team_id: uuid(TEAM),
        })
        .await
        .then_expect_error(AccountError::TeamNotFound);
}

#[tokio::test]
async fn delete_team_sso_managed_is_refused() {
    Test::with(services())
        .given(vec![created(), team_created(TEAM, "Domain_Users", true)])
        .when_async(AccountCommand::DeleteTeam {
            team_id: uuid(TEAM),
        })
        .await
        .then_expect_error(AccountError::TeamManagedBySso);
}

#[tokio::test]
async fn delete_team_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::DeleteTeam {
        team_id: uuid(TEAM),
    })
    .await;
}

#[tokio::test]
async fn detach_sso_teams_emits_detached_with_only_sso_teams() {
    Test::with(services())
        .given(vec![
            created(),
            team_created(TEAM, "Domain_Users", true),
            team_created(OTHER_TEAM, "Ops", false),
        ])
        .when_async(AccountCommand::DetachSsoTeams)
        .await
        .then_expect_events(vec![AccountEvent::TeamsDetachedFromSso {
            team_ids: vec![uuid(TEAM)],
        }]);
}

#[tokio::test]
async fn detach_sso_teams_without_sso_teams_is_refused() {
    Test::with(services())
        .given(vec![created(), team_created(OTHER_TEAM, "Ops", false)])
        .when_async(AccountCommand::DetachSsoTeams)
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn detach_sso_teams_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::DetachSsoTeams).await;
}

// API keys

fn create_api_key(valid_until: Option<DateTime<Utc>>) -> AccountCommand {
    AccountCommand::CreateApiKey {
        key_id: uuid(KEY),
        name: name("CI"),
        roles: Roles::new([Role::AccountAdmin]),
        valid_until,
        key_hash: StoredSecret("key-digest".into()),
    }
}

#[tokio::test]
async fn create_api_key_emits_created_valid_from_now() {
    let until = now() + Duration::days(365);
    Test::with(services())
        .given(vec![created()])
        .when_async(create_api_key(Some(until)))
        .await
        .then_expect_events(vec![AccountEvent::ApiKeyCreated {
            key_id: uuid(KEY),
            name: name("CI"),
            roles: Roles::new([Role::AccountAdmin]),
            valid_from: now(),
            valid_until: Some(until),
            key_hash: StoredSecret("key-digest".into()),
        }]);
}

#[tokio::test]
async fn create_api_key_with_existing_id_is_refused() {
    Test::with(services())
        .given(vec![created(), key_created(None)])
        .when_async(create_api_key(None))
        .await
        .then_expect_error(AccountError::ApiKeyExists);
}

#[tokio::test]
async fn create_api_key_expiring_in_the_past_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(create_api_key(Some(now() - Duration::seconds(1))))
        .await
        .then_expect_error(AccountError::ExpiryInPast);
}

#[tokio::test]
async fn create_api_key_expiring_now_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(create_api_key(Some(now())))
        .await
        .then_expect_error(AccountError::ExpiryInPast);
}

#[tokio::test]
async fn create_api_key_unknown_account_is_refused() {
    refused_on_unknown_account(create_api_key(None)).await;
}

#[tokio::test]
async fn update_api_key_name_keeps_expiry() {
    let until = now() + Duration::days(10);
    Test::with(services())
        .given(vec![created(), key_created(Some(until))])
        .when_async(AccountCommand::UpdateApiKey {
            key_id: uuid(KEY),
            name: Some(name("Deploy")),
            valid_until: None,
        })
        .await
        .then_expect_events(vec![AccountEvent::ApiKeyUpdated {
            key_id: uuid(KEY),
            name: name("Deploy"),
            valid_until: Some(until),
        }]);
}

#[tokio::test]
async fn update_api_key_removing_expiry_emits_updated() {
    Test::with(services())
        .given(vec![
            created(),
            key_created(Some(now() + Duration::days(10))),
        ])
        .when_async(AccountCommand::UpdateApiKey {
            key_id: uuid(KEY),
            name: None,
            valid_until: Some(None),
        })
        .await
        .then_expect_events(vec![AccountEvent::ApiKeyUpdated {
            key_id: uuid(KEY),
            name: name("CI"),
            valid_until: None,
        }]);
}

#[tokio::test]
async fn update_api_key_name_of_expired_key_emits_updated() {
    let expired = now() - Duration::days(1);
    Test::with(services())
        .given(vec![created(), key_created(Some(expired))])
        .when_async(AccountCommand::UpdateApiKey {
            key_id: uuid(KEY),
            name: Some(name("CI (old)")),
            valid_until: None,
        })
        .await
        .then_expect_events(vec![AccountEvent::ApiKeyUpdated {
            key_id: uuid(KEY),
            name: name("CI (old)"),
            valid_until: Some(expired),
        }]);
}

#[tokio::test]
async fn update_api_key_unchanged_is_refused() {
    Test::with(services())
        .given(vec![created(), key_created(None)])
        .when_async(AccountCommand::UpdateApiKey {
            key_id: uuid(KEY),
            name: Some(name("CI")),
            valid_until: Some(None),
        })
        .await
        .then_expect_error(AccountError::NoChange);
}

#[tokio::test]
async fn update_api_key_expiry_in_the_past_is_refused() {
    Test::with(services())
        .given(vec![created(), key_created(None)])
        .when_async(AccountCommand::UpdateApiKey {
            key_id: uuid(KEY),
            name: None,
            valid_until: Some(Some(now() - Duration::hours(1))),
        })
        .await
        .then_expect_error(AccountError::ExpiryInPast);
}

#[tokio::test]
async fn update_api_key_unknown_key_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::UpdateApiKey {
            key_id: uuid(KEY),
            name: Some(name("Deploy")),
            valid_until: None,
        })
        .await
        .then_expect_error(AccountError::ApiKeyNotFound);
}

#[tokio::test]
async fn update_api_key_revoked_is_refused() {
    Test::with(services())
        .given(vec![created(), key_created(None), key_revoked()])
        .when_async(AccountCommand::UpdateApiKey {
            key_id: uuid(KEY),
            name: Some(name("Deploy")),
            valid_until: None,
        })
        .await
        .then_expect_error(AccountError::ApiKeyRevoked);
}

#[tokio::test]
async fn update_api_key_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::UpdateApiKey {
        key_id: uuid(KEY),
        name: None,
        valid_until: None,
    })
    .await;
}

#[tokio::test]
async fn revoke_api_key_emits_revoked() {
    Test::with(services())
        .given(vec![created(), key_created(None)])
        .when_async(AccountCommand::RevokeApiKey { key_id: uuid(KEY) })
        .await
        .then_expect_events(vec![key_revoked()]);
}

#[tokio::test]
async fn revoke_api_key_unknown_key_is_refused() {
    Test::with(services())
        .given(vec![created()])
        .when_async(AccountCommand::RevokeApiKey { key_id: uuid(KEY) })
        .await
        .then_expect_error(AccountError::ApiKeyNotFound);
}

#[tokio::test]
async fn revoke_api_key_already_revoked_is_refused() {
    Test::with(services())
        .given(vec![created(), key_created(None), key_revoked()])
        .when_async(AccountCommand::RevokeApiKey { key_id: uuid(KEY) })
        .await
        .then_expect_error(AccountError::ApiKeyRevoked);
}

#[tokio::test]
async fn revoke_api_key_unknown_account_is_refused() {
    refused_on_unknown_account(AccountCommand::RevokeApiKey { key_id: uuid(KEY) }).await;
}

// State derived from events

#[test]
fn api_key_is_usable_only_between_valid_from_and_valid_until_and_until_revoked() {
    let mut account = Account::default();
    account.apply(created());
    account.apply(key_created(Some(now() + Duration::days(1))));
    let key = &account.api_keys[&uuid(KEY)];
    assert!(key.usable_at(now()));
    assert!(!key.usable_at(now() + Duration::days(1)));
    assert!(!key.usable_at(now() - Duration::days(31)));
    account.apply(key_revoked());
    assert!(!account.api_keys[&uuid(KEY)].usable_at(now()));
    assert_eq!(account.account_id(), Some(uuid(ACCOUNT)));
}

#[test]
fn two_factor_mode_changed_updates_the_policy() {
    let mut account = Account::default();
    account.apply(created());
    account.apply(AccountEvent::TwoFactorModeChanged {
        mode: TwoFactorMode::NewDevice,
        previous: TwoFactorMode::Off,
    });
    assert_eq!(account.policy.two_factor, TwoFactorMode::NewDevice);
}

// Public form: secrets never leave the store

#[test]
fn api_key_created_public_form_has_no_key_hash() {
    let event = AccountEvent::ApiKeyCreated {
        key_id: uuid(KEY),
        name: name("CI"),
        roles: Roles::new([Role::AccountManager]),
        valid_from: now(),
        valid_until: None,
        key_hash: StoredSecret("sha256:SECRET-KEY-DIGEST".into()),
    };
    assert_eq!(event.event_type(), "ApiKeyCreated");
    let stored = serde_json::to_value(&event).unwrap();
    assert!(stored.to_string().contains("SECRET-KEY-DIGEST"));
    let public = crate::public::public_data(&stored).to_string();
    assert!(!public.contains("SECRET-KEY-DIGEST"), "{public}");
    assert!(!public.contains("key_hash"), "{public}");
    assert!(public.contains("valid_from"), "{public}");
}
