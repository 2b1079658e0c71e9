//! The audit log: one entry per published event, in the product's own words. Where the product's
//! audit catalogue has an entry for an event (item, action, sentence), its sentence is used
//! verbatim, sometimes followed by a " Details: ..." clause in the product's style; every other
//! event gets chronid's own sentence in the same style.
//!
//! Everything here is pure. The storage layer, for each envelope in order:
//! 1. loads the principals named by [`principals_needed`], then the owners of the devices among
//!    them (at most two queries per batch),
//! 2. stores what [`principal_change`] returns (so a new user is known to step 3),
//! 3. stores the [`AuditRecord`] that [`describe`] returns.
//!
//! Only the public `data` of an envelope is read, field by field: secret fields are not in it, and
//! descriptions never echo `data` wholesale.

use chronid_domain::account::AccountEventType;
use chronid_domain::device::DeviceEventType;
use chronid_domain::metadata::ActorKind;
use chronid_domain::public::PublicEnvelope;
use chronid_domain::user::UserEventType;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::data::{change_of, str_of, uuid_of, Change};
use crate::published::Published;

mod catalogue;
mod lines;
mod words;
use catalogue::*;
use lines::*;
use words::*;
#[cfg(test)]
mod tests;

/// Whether what the entry records succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Self::Success),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// What the audit log knows of a user or an API key, to name actors and targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    pub username: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// For an API key: its name.
    pub key_name: Option<String>,
    /// For a device: the user it belongs to, so every event of the device is about them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Uuid>,
}

impl Principal {
    /// How the audit log names this principal: username, else email, else "API key <name>".
    pub fn display(&self) -> Option<String> {
        let present =
            |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        present(&self.username)
            .or_else(|| present(&self.email))
            .or_else(|| present(&self.key_name).map(|name| format!("API key {name}")))
    }

    /// "First Last", either alone, or None.
    fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// The principal this event creates or changes, if any: (principal id, new value). `current` is
/// the principal as known before the event. UserRegistered (id = aggregate_id: username, email,
/// first/last name), UserProfileUpdated (first_name/last_name present in `changes`: a JSON null
/// clears), UserEmailChanged, UserUsernameChanged, ApiKeyCreated / ApiKeyUpdated (id = data.key_id,
/// key_name = data.name), DeviceRegistered (id = the device, owner = data.user_id).
pub fn principal_change(
    env: &PublicEnvelope,
    current: Option<&Principal>,
) -> Option<(Uuid, Principal)> {
    let data = &env.data;
    let mut next = current.cloned().unwrap_or_default();
    let kind = Published::of(env)?;
    use Published::{Account, Device, User};
    match kind {
        User(UserEventType::UserRegistered) => {
            let registered = Principal {
                username: str_of(data, "username"),
                email: str_of(data, "email"),
                first_name: str_of(data, "first_name"),
                last_name: str_of(data, "last_name"),
                ..Principal::default()
            };
            Some((env.aggregate_id, registered))
        }
        Device(DeviceEventType::DeviceRegistered) => {
            let device = Principal {
                owner: Some(uuid_of(data, "user_id")?),
                ..Principal::default()
            };
            Some((env.aggregate_id, device))
        }
        User(UserEventType::UserProfileUpdated) => {
            let changes = data.get("changes")?;
            let first = change_of(changes, "first_name");
            let last = change_of(changes, "last_name");
            if matches!((&first, &last), (Change::Unchanged, Change::Unchanged)) {
                return None;
            }
            first.apply_to(&mut next.first_name);
            last.apply_to(&mut next.last_name);
            Some((env.aggregate_id, next))
        }
        User(UserEventType::UserEmailChanged) => {
            next.email = Some(str_of(data, "email")?);
            Some((env.aggregate_id, next))
        }
        User(UserEventType::UserUsernameChanged) => match change_of(data, "username") {
            Change::Unchanged => None,
            change => {
                change.apply_to(&mut next.username);
                Some((env.aggregate_id, next))
            }
        },
        Account(AccountEventType::ApiKeyCreated | AccountEventType::ApiKeyUpdated) => {
            let key_id = uuid_of(data, "key_id")?;
            next.key_name = Some(str_of(data, "name")?);
            Some((key_id, next))
        }
        // No other event names or renames a principal.
        _ => None,
    }
}

/// The ids whose principals `describe` will ask for (actor id, target user id...), so the storage
/// layer can load them in one query before describing a batch. For a device event that does not
/// name its user this is the device; the storage layer then loads its owner
/// ([`Principal::owner`]) too.
pub fn principals_needed(env: &PublicEnvelope) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = Vec::with_capacity(3);
    let target = named_target(env).or_else(|| device_of(env));
    let candidates = [env.actor.id, target, revoked_key_of(env)];
    for id in candidates.into_iter().flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// When the event occurred (`occurred_at` of the envelope).
    pub at: DateTime<Utc>,
    pub account_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    pub sequence: i64,
    pub position: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub item: String,
    pub action: String,
    pub outcome: Outcome,
    pub description: String,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    /// The actor's display name (a user's username or email, an API key's "API key <name>", "system").
    pub username: Option<String>,
    /// The user the event is about (user aggregate id; for device events the device's owner), if any.
    pub target_id: Option<Uuid>,
    pub target_username: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The audit entry of one event. `lookup` answers for ids from `principals_needed` (None when unknown).
pub fn describe(env: &PublicEnvelope, lookup: &dyn Fn(Uuid) -> Option<Principal>) -> AuditRecord {
    let target_id = target_of(env, lookup);
    // The storage layer applies `principal_change` first, but be robust when it did not: events
    // that name their user (UserRegistered, UserEmailChanged...) carry enough to name it.
    let target = target_id.and_then(|id| {
        lookup(id).or_else(|| {
            principal_change(env, None)
                .filter(|(changed, _)| *changed == id)
                .map(|(_, p)| p)
        })
    });
    let actor = match env.actor.id {
        Some(id) if Some(id) == target_id => target.clone(),
        Some(id) => lookup(id),
        None => None,
    };
    let ctx = Ctx {
        env,
        data: &env.data,
        target: target.as_ref(),
        lookup,
    };
    let line = line_of(&ctx);
    let target_username = target.as_ref().and_then(Principal::display);
    let username = match env.actor.kind {
        // The product lists a login under the user who logged in, whoever drove it.
        ActorKind::System | ActorKind::ApiKey if is_login_flow(env) => target_username
            .clone()
            .or_else(|| actor_display(env.actor.kind, actor.as_ref())),
        kind => actor_display(kind, actor.as_ref()),
    };
    AuditRecord {
        at: env.occurred_at,
        account_id: env.account_id,
        aggregate_type: env.aggregate_type.clone(),
        aggregate_id: env.aggregate_id,
        sequence: env.sequence,
        position: env.position,
        event_id: env.id,
        event_type: env.event_type.clone(),
        item: line.item,
        action: line.action.to_string(),
        outcome: line.outcome,
        description: line.text,
        actor_kind: env.actor.kind,
        actor_id: env.actor.id,
        username,
        target_id,
        target_username,
        ip: env.ip.clone(),
        user_agent: env.user_agent.clone(),
    }
}

/// The user an event is about: the user of a user event, the owner of a device (named by its
/// registration, known from it for its later events).
fn target_of(env: &PublicEnvelope, lookup: &dyn Fn(Uuid) -> Option<Principal>) -> Option<Uuid> {
    named_target(env).or_else(|| lookup(device_of(env)?)?.owner)
}

/// The user an event names itself: the user of a user event, the owner of a registered device.
fn named_target(env: &PublicEnvelope) -> Option<Uuid> {
    match env.aggregate_type.as_str() {
        "user" => Some(env.aggregate_id),
        "device" | "sso_config" | "external_login" => uuid_of(&env.data, "user_id"),
        _ => None,
    }
}

/// The device of a device event.
fn device_of(env: &PublicEnvelope) -> Option<Uuid> {
    (env.aggregate_type == "device").then_some(env.aggregate_id)
}

/// The API key a revocation names (the event carries only its id).
fn revoked_key_of(env: &PublicEnvelope) -> Option<Uuid> {
    (Published::of(env) == Some(Published::Account(AccountEventType::ApiKeyRevoked)))
        .then(|| uuid_of(&env.data, "key_id"))
        .flatten()
}

fn actor_display(kind: ActorKind, actor: Option<&Principal>) -> Option<String> {
    match kind {
        ActorKind::System => Some("system".to_string()),
        ActorKind::User | ActorKind::ApiKey => actor.and_then(Principal::display),
    }
}

/// Events of logging in, listed under the user who logs in when no user drove them.
fn is_login_flow(env: &PublicEnvelope) -> bool {
    use UserEventType as U;
    matches!(
        Published::of(env),
        Some(Published::User(
            U::LoginSucceeded
                | U::LoginFailed
                | U::UserLoggedOut
                | U::PasswordChangeRequired
                | U::TwoFactorChallengeIssued
                | U::TwoFactorChallengePassed
                | U::TwoFactorChallengeFailed
                | U::TotpCodeUsed
        ))
    )
}
