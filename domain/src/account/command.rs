//! Commands of the Account aggregate.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::values::{
    ColorScheme, Hostname, Language, LoginOptions, Logo, Name, Roles, SecurityPolicy, StoredSecret,
    TimeZone,
};

#[derive(Debug, Clone, PartialEq)]
pub enum AccountCommand {
    Create {
        account_id: Uuid,
        name: Name,
    },
    Rename {
        name: Name,
    },
    UpdateSecurityPolicy {
        policy: SecurityPolicy,
    },
    UpdateLoginOptions {
        options: LoginOptions,
    },
    ChangeLanguage {
        language: Language,
    },
    SetColorScheme {
        scheme: ColorScheme,
    },
    SetHostname {
        hostname: Option<Hostname>,
    },
    UpdateLogo {
        logo: Option<Logo>,
    },
    /// Several customizations at once, all or nothing; fields left `None` stay as they are.
    Customize {
        language: Option<Language>,
        color_scheme: Option<ColorScheme>,
        hostname: Option<Option<Hostname>>,
        logo: Option<Option<Logo>>,
        time_zone: Option<TimeZone>,
    },
    CreateTeam {
        team_id: Uuid,
        name: Name,
        sso_managed: bool,
    },
    RenameTeam {
        team_id: Uuid,
        name: Name,
    },
    DeleteTeam {
        team_id: Uuid,
    },
    /// Turn every SSO-managed team into an ordinary one (auto-create groups turned off).
    DetachSsoTeams,
    /// The secret was generated and hashed by the caller, who shows it once.
    CreateApiKey {
        key_id: Uuid,
        name: Name,
        roles: Roles,
        valid_until: Option<DateTime<Utc>>,
        key_hash: StoredSecret,
    },
    UpdateApiKey {
        key_id: Uuid,
        name: Option<Name>,
        /// `Some(None)` removes the expiry.
        valid_until: Option<Option<DateTime<Utc>>>,
    },
    RevokeApiKey {
        key_id: Uuid,
    },
}
