//! Request facts that travel beside every event as cqrs-es metadata (never in payloads): who acted,
//! from where, under which correlation id, and when (from the injected clock). The store adds the
//! event's own id and the account it belongs to.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const EVENT_ID: &str = "event_id";
pub const ACCOUNT_ID: &str = "account_id";
pub const ACTOR_KIND: &str = "actor_kind";
pub const ACTOR_ID: &str = "actor_id";
pub const IP: &str = "ip";
pub const USER_AGENT: &str = "user_agent";
pub const CORRELATION_ID: &str = "correlation_id";
pub const OCCURRED_AT: &str = "occurred_at";

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::ApiKey => "api_key",
            Self::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "api_key" => Some(Self::ApiKey),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            id: None,
        }
    }

    pub fn user(id: Uuid) -> Self {
        Self {
            kind: ActorKind::User,
            id: Some(id),
        }
    }

    pub fn api_key(id: Uuid) -> Self {
        Self {
            kind: ActorKind::ApiKey,
            id: Some(id),
        }
    }
}

/// The facts of one request, turned into metadata for every event it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub actor: Actor,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub correlation_id: Option<String>,
}

impl RequestFacts {
    pub fn system() -> Self {
        Self {
            actor: Actor::system(),
            ip: None,
            user_agent: None,
            correlation_id: None,
        }
    }

    /// The metadata map for an event that occurred at `occurred_at`.
    pub fn to_metadata(&self, occurred_at: DateTime<Utc>) -> HashMap<String, String> {
        let mut m = HashMap::with_capacity(8);
        m.insert(ACTOR_KIND.to_string(), self.actor.kind.as_str().to_string());
        if let Some(id) = self.actor.id {
            m.insert(ACTOR_ID.to_string(), id.to_string());
        }
        if let Some(ip) = &self.ip {
            m.insert(IP.to_string(), ip.clone());
        }
        if let Some(ua) = &self.user_agent {
            m.insert(USER_AGENT.to_string(), ua.clone());
        }
        if let Some(c) = &self.correlation_id {
            m.insert(CORRELATION_ID.to_string(), c.clone());
        }
        m.insert(
            OCCURRED_AT.to_string(),
            occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        );
        m
    }
}
