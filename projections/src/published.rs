//! Which domain event an envelope carries, as the domain's own event-type enums. Views and the
//! audit log match on these exhaustively, so an event added to the domain without a decision here
//! (a view change, or explicitly none; an audit line) does not compile. An envelope of a type this
//! version does not know (a newer producer) parses to `None`, and each projection says what it
//! does with those.

use chronid_domain::account::AccountEventType;
use chronid_domain::device::DeviceEventType;
use chronid_domain::external_login::ExternalLoginEventType;
use chronid_domain::public::PublicEnvelope;
use chronid_domain::sso_config::SsoConfigEventType;
use chronid_domain::user::UserEventType;

/// A published event's type, by aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Published {
    User(UserEventType),
    Account(AccountEventType),
    Device(DeviceEventType),
    SsoConfig(SsoConfigEventType),
    ExternalLogin(ExternalLoginEventType),
}

impl Published {
    /// The type of the envelope's event, if this version knows it.
    pub fn of(env: &PublicEnvelope) -> Option<Self> {
        let name = env.event_type.as_str();
        match env.aggregate_type.as_str() {
            "user" => UserEventType::parse(name).map(Self::User),
            "account" => AccountEventType::parse(name).map(Self::Account),
            "device" => DeviceEventType::parse(name).map(Self::Device),
            "sso_config" => SsoConfigEventType::parse(name).map(Self::SsoConfig),
            "external_login" => ExternalLoginEventType::parse(name).map(Self::ExternalLogin),
            _ => None,
        }
    }

    /// Every type the domain publishes.
    pub fn all() -> impl Iterator<Item = Published> {
        UserEventType::ALL
            .iter()
            .map(|t| Self::User(*t))
            .chain(AccountEventType::ALL.iter().map(|t| Self::Account(*t)))
            .chain(DeviceEventType::ALL.iter().map(|t| Self::Device(*t)))
            .chain(SsoConfigEventType::ALL.iter().map(|t| Self::SsoConfig(*t)))
            .chain(
                ExternalLoginEventType::ALL
                    .iter()
                    .map(|t| Self::ExternalLogin(*t)),
            )
    }

    /// The aggregate type and event type on the wire.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Self::User(t) => ("user", t.name()),
            Self::Account(t) => ("account", t.name()),
            Self::Device(t) => ("device", t.name()),
            Self::SsoConfig(t) => ("sso_config", t.name()),
            Self::ExternalLogin(t) => ("external_login", t.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_back_from_its_names() {
        let mut seen = std::collections::HashSet::new();
        for p in Published::all() {
            let (aggregate, event) = p.names();
            assert!(seen.insert(event), "{event} is published by two aggregates");
            let env = PublicEnvelope {
                id: uuid::Uuid::nil(),
                event_type: event.to_string(),
                version: "1".into(),
                aggregate_type: aggregate.to_string(),
                aggregate_id: uuid::Uuid::nil(),
                sequence: 1,
                position: 1,
                account_id: uuid::Uuid::nil(),
                occurred_at: chrono::DateTime::UNIX_EPOCH,
                recorded_at: chrono::DateTime::UNIX_EPOCH,
                actor: chronid_domain::metadata::Actor::system(),
                ip: None,
                user_agent: None,
                correlation_id: None,
                data: serde_json::Value::Null,
            };
            assert_eq!(Published::of(&env), Some(p));
        }
        assert!(seen.len() > 60, "{} types", seen.len());
    }
}
