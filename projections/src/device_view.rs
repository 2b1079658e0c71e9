//! The device view: one row per device, naming its user, so the user view can list trusted
//! devices. Only `DeviceRegistered` names the user; later device events carry the device alone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use chronid_domain::device::DeviceEventType;
use chronid_domain::public::PublicEnvelope;
use DeviceEventType as E;

use crate::data::{change_of, str_of, time_of};
use crate::user_view::{required_uuid, TrustedDevice};
use crate::{Applied, ProjectionError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub label: Option<String>,
    pub user_agent: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    pub trusted_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    pub last_sequence: i64,
    pub last_position: i64,
}

impl DeviceView {
    /// The device as a trusted device of its user, if it is one.
    pub fn as_trusted(&self) -> Option<TrustedDevice> {
        match (self.revoked, self.trusted_at) {
            (false, Some(trusted_at)) => Some(TrustedDevice {
                id: self.id,
                label: self.label.clone(),
                user_agent: self.user_agent.clone(),
                trusted_at,
            }),
            _ => None,
        }
    }
}

pub fn apply(
    view: &mut Option<DeviceView>,
    env: &PublicEnvelope,
) -> Result<Applied, ProjectionError> {
    if env.aggregate_type != "device" {
        return Ok(Applied::Ignored);
    }
    let d = &env.data;
    let Some(v) = view else {
        if env.event_type != E::DeviceRegistered.name() {
            return Err(ProjectionError::missing_start(
                env,
                E::DeviceRegistered.name(),
            ));
        }
        *view = Some(DeviceView {
            id: env.aggregate_id,
            user_id: required_uuid(env, "user_id")?,
            account_id: env.account_id,
            label: str_of(d, "label"),
            user_agent: str_of(d, "user_agent"),
            first_seen_at: time_of(d, "first_seen_at").unwrap_or(env.occurred_at),
            trusted_at: None,
            revoked: false,
            last_sequence: env.sequence,
            last_position: env.position,
        });
        return Ok(Applied::Changed);
    };
    if env.sequence <= v.last_sequence {
        return Ok(Applied::Stale);
    }
    // A type this version does not know (a newer producer) leaves no trace but its position.
    match DeviceEventType::parse(&env.event_type) {
        Some(E::DeviceRegistered) => return Err(ProjectionError::bad(env, "registered twice")),
        Some(E::DeviceTrusted) => {
            v.trusted_at = time_of(d, "trusted_at").or(Some(env.occurred_at));
        }
        Some(E::DeviceRenamed) => change_of(d, "label").apply_to(&mut v.label),
        Some(E::DeviceRevoked) => v.revoked = true,
        None => {}
    }
    v.last_sequence = env.sequence;
    v.last_position = env.position;
    Ok(Applied::Changed)
}
