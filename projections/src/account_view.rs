//! The account view: the few account facts the read side needs (name, time zone for audit
//! ranges, language, two-factor mode).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use chronid_domain::account::AccountEventType;
use chronid_domain::public::PublicEnvelope;
use AccountEventType as E;

use crate::data::str_of;
use crate::user_view::required_str;
use crate::{Applied, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: Uuid,
    pub name: String,
    /// IANA time zone for named audit ranges; "UTC" until set.
    pub time_zone: String,
    pub language: Option<String>,
    pub two_factor_mode: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_sequence: i64,
    pub last_position: i64,
}

pub fn apply(
    view: &mut Option<AccountView>,
    env: &PublicEnvelope,
) -> Result<Applied, ProjectionError> {
    if env.aggregate_type != "account" {
        return Ok(Applied::Ignored);
    }
    let d = &env.data;
    let Some(v) = view else {
        if env.event_type != E::AccountCreated.name() {
            return Err(ProjectionError::missing_start(
                env,
                E::AccountCreated.name(),
            ));
        }
        *view = Some(AccountView {
            id: env.aggregate_id,
            name: required_str(env, "name")?,
            time_zone: "UTC".to_string(),
            language: None,
            two_factor_mode: "off".to_string(),
            created_at: env.occurred_at,
            updated_at: env.occurred_at,
            last_sequence: env.sequence,
            last_position: env.position,
        });
        return Ok(Applied::Changed);
    };
    if env.sequence <= v.last_sequence {
        return Ok(Applied::Stale);
    }
    // A type this version does not know (a newer producer) leaves no trace but its position.
    if let Some(kind) = AccountEventType::parse(&env.event_type) {
        match kind {
            E::AccountRenamed => v.name = required_str(env, "name")?,
            E::AccountTimeZoneChanged => v.time_zone = required_str(env, "time_zone")?,
            E::AccountLanguageChanged => v.language = str_of(d, "language"),
            E::TwoFactorModeChanged => v.two_factor_mode = required_str(env, "mode")?,
            // Kept by the account's own aggregate, the team view and the audit log.
            E::AccountCreated
            | E::SecurityPolicyUpdated
            | E::LoginOptionsUpdated
            | E::ColorSchemeSet
            | E::HostnameSet
            | E::LogoUpdated
            | E::TeamCreated
            | E::TeamRenamed
            | E::TeamDeleted
            | E::TeamsDetachedFromSso
            | E::ApiKeyCreated
            | E::ApiKeyUpdated
            | E::ApiKeyRevoked => {}
        }
    }
    v.updated_at = env.occurred_at;
    v.last_sequence = env.sequence;
    v.last_position = env.position;
    Ok(Applied::Changed)
}
