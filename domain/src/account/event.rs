//! Events of the Account aggregate. Type strings are stable and never renamed.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{
    ColorScheme, Hostname, Language, LoginOptions, Logo, Name, Roles, SecurityPolicy, StoredSecret,
    TimeZone, TwoFactorMode,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AccountEvent {
    AccountCreated {
        account_id: Uuid,
        name: Name,
    },
    AccountRenamed {
        name: Name,
        previous: Name,
    },
    SecurityPolicyUpdated {
        policy: SecurityPolicy,
        previous: SecurityPolicy,
    },
    /// Raised beside `SecurityPolicyUpdated` when the account-wide two-factor mode changes, so the
    /// audit log can say "Two-factor authentication enabled for all users" without arithmetic.
    TwoFactorModeChanged {
        mode: TwoFactorMode,
        previous: TwoFactorMode,
    },
    LoginOptionsUpdated {
        options: LoginOptions,
        previous: LoginOptions,
    },
    AccountLanguageChanged {
        language: Language,
    },
    /// Named audit ranges ("today", "this week") are computed in this zone.
    AccountTimeZoneChanged {
        time_zone: TimeZone,
        previous: TimeZone,
    },
    ColorSchemeSet {
        scheme: ColorScheme,
    },
    HostnameSet {
        hostname: Option<Hostname>,
    },
    LogoUpdated {
        logo: Option<Logo>,
    },
    TeamCreated {
        team_id: Uuid,
        name: Name,
        sso_managed: bool,
    },
    TeamRenamed {
        team_id: Uuid,
        name: Name,
        previous: Name,
    },
    TeamDeleted {
        team_id: Uuid,
        name: Name,
    },
    /// SSO auto-create groups was turned off: these teams become ordinary teams.
    TeamsDetachedFromSso {
        team_ids: Vec<Uuid>,
    },
    ApiKeyCreated {
        key_id: Uuid,
        name: Name,
        roles: Roles,
        valid_from: DateTime<Utc>,
        valid_until: Option<DateTime<Utc>>,
        key_hash: StoredSecret,
    },
    ApiKeyUpdated {
        key_id: Uuid,
        name: Name,
        valid_until: Option<DateTime<Utc>>,
    },
    ApiKeyRevoked {
        key_id: Uuid,
    },
}

crate::event_types::event_types! {
    /// The type of each [`AccountEvent`].
    AccountEventType for AccountEvent {
        AccountCreated,
        AccountRenamed,
        SecurityPolicyUpdated,
        TwoFactorModeChanged,
        LoginOptionsUpdated,
        AccountLanguageChanged,
        AccountTimeZoneChanged,
        ColorSchemeSet,
        HostnameSet,
        LogoUpdated,
        TeamCreated,
        TeamRenamed,
        TeamDeleted,
        TeamsDetachedFromSso,
        ApiKeyCreated,
        ApiKeyUpdated,
        ApiKeyRevoked,
    }
}

impl crate::SecurityRelevant for AccountEvent {
    fn is_security_outcome(&self) -> bool {
        match self.kind() {
            AccountEventType::SecurityPolicyUpdated
            | AccountEventType::TwoFactorModeChanged
            | AccountEventType::LoginOptionsUpdated
            | AccountEventType::HostnameSet
            | AccountEventType::ApiKeyCreated
            | AccountEventType::ApiKeyUpdated
            | AccountEventType::ApiKeyRevoked => true,
            AccountEventType::AccountCreated
            | AccountEventType::AccountRenamed
            | AccountEventType::AccountLanguageChanged
            | AccountEventType::AccountTimeZoneChanged
            | AccountEventType::ColorSchemeSet
            | AccountEventType::LogoUpdated
            | AccountEventType::TeamCreated
            | AccountEventType::TeamRenamed
            | AccountEventType::TeamDeleted
            | AccountEventType::TeamsDetachedFromSso => false,
        }
    }
}

impl DomainEvent for AccountEvent {
    fn event_type(&self) -> String {
        self.kind().name().to_string()
    }

    fn event_version(&self) -> String {
        crate::EVENT_VERSION_1.to_string()
    }
}
