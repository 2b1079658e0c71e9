//! The teams view: one row per team, from the Account aggregate's team events. Members are the
//! users whose view lists the team (joined when read), so membership has one home.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use chronid_domain::account::AccountEventType;
use chronid_domain::public::PublicEnvelope;
use AccountEventType as E;

use crate::data::{bool_of, uuids_of};
use crate::user_view::{required_str, required_uuid};
use crate::{Applied, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    /// Created by SSO group sync: memberships follow the IdP and refuse manual changes.
    pub sso_managed: bool,
    /// Deleted teams stay as tombstones so a late redelivery cannot bring them back.
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The account sequence of the last event applied to this team.
    pub last_sequence: i64,
    pub last_position: i64,
}

/// The teams an envelope touches (empty for every event that is not about teams).
pub fn teams_touched(env: &PublicEnvelope) -> Vec<Uuid> {
    if env.aggregate_type != "account" {
        return Vec::new();
    }
    let Some(kind) = AccountEventType::parse(&env.event_type) else {
        return Vec::new();
    };
    match kind {
        E::TeamCreated | E::TeamRenamed | E::TeamDeleted => {
            crate::data::uuid_of(&env.data, "team_id")
                .into_iter()
                .collect()
        }
        E::TeamsDetachedFromSso => uuids_of(&env.data, "team_ids"),
        E::AccountCreated
        | E::AccountRenamed
        | E::SecurityPolicyUpdated
        | E::TwoFactorModeChanged
        | E::LoginOptionsUpdated
        | E::AccountLanguageChanged
        | E::AccountTimeZoneChanged
        | E::ColorSchemeSet
        | E::HostnameSet
        | E::LogoUpdated
        | E::ApiKeyCreated
        | E::ApiKeyUpdated
        | E::ApiKeyRevoked => Vec::new(),
    }
}

/// Applies an account event to one of the teams it touches.
pub fn apply(
    team_id: Uuid,
    view: &mut Option<TeamView>,
    env: &PublicEnvelope,
) -> Result<Applied, ProjectionError> {
    if !teams_touched(env).contains(&team_id) {
        return Ok(Applied::Ignored);
    }
    if let Some(v) = view {
        if env.sequence <= v.last_sequence {
            return Ok(Applied::Stale);
        }
    }
    // Only the four team events touch a team (`teams_touched`).
    let Some(kind) = AccountEventType::parse(&env.event_type) else {
        return Ok(Applied::Ignored);
    };
    match (kind, view.as_mut()) {
        (E::TeamCreated, None) => {
            *view = Some(TeamView {
                id: required_uuid(env, "team_id")?,
                account_id: env.account_id,
                name: required_str(env, "name")?,
                sso_managed: bool_of(&env.data, "sso_managed").unwrap_or(false),
                deleted: false,
                created_at: env.occurred_at,
                updated_at: env.occurred_at,
                last_sequence: env.sequence,
                last_position: env.position,
            });
            return Ok(Applied::Changed);
        }
        (E::TeamCreated, Some(_)) => return Err(ProjectionError::bad(env, "team created twice")),
        (_, None) => return Err(ProjectionError::missing_start(env, E::TeamCreated.name())),
        (E::TeamRenamed, Some(v)) => v.name = required_str(env, "name")?,
        (E::TeamDeleted, Some(v)) => v.deleted = true,
        (E::TeamsDetachedFromSso, Some(v)) => v.sso_managed = false,
        // Not team events: `teams_touched` is empty for them, so they never get here.
        (_, Some(_)) => return Ok(Applied::Ignored),
    }
    if let Some(v) = view {
        v.updated_at = env.occurred_at;
        v.last_sequence = env.sequence;
        v.last_position = env.position;
    }
    Ok(Applied::Changed)
}
