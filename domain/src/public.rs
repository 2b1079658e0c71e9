//! The public form of an event. Secrets stay in the store: by convention every field that holds a
//! digest or a sealed value is named `*_hash` or `*_sealed` (and typed `StoredSecret`), and the
//! public form of a payload is the payload with every such field removed, at any depth. The relay
//! publishes only this form.

use serde_json::Value;

/// Whether a field name marks a secret that must not leave the store.
pub fn is_secret_field(name: &str) -> bool {
    name.ends_with("_hash") || name.ends_with("_sealed") || name == "password" || name == "secret"
}

/// `payload` without its secret fields. cqrs-es stores events externally tagged
/// (`{"UserRegistered": {...}}`); the public form is the inner object.
pub fn public_data(payload: &Value) -> Value {
    into_public_data(payload.clone())
}

/// [`public_data`] of an owned payload, stripped in place (the relay's path: no copy).
pub fn into_public_data(payload: Value) -> Value {
    let mut inner = match payload {
        Value::Object(map) if map.len() == 1 => map
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or(Value::Null),
        other => other,
    };
    strip(&mut inner);
    inner
}

fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !is_secret_field(k));
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn public_data_removes_secret_fields_at_any_depth() {
        let payload = json!({"UserRegistered": {
            "email": "a@example.com",
            "password_hash": "$argon2id$...",
            "nested": [{"code_hash": "x", "keep": 1}],
            "totp": {"secret_sealed": "y"}
        }});
        let public = public_data(&payload);
        assert_eq!(
            public,
            json!({"email": "a@example.com", "nested": [{"keep": 1}], "totp": {}})
        );
    }
}

/// The body of every message on the stream (API.md): the event's public form with its request
/// facts. Projections and downstream services read exactly this.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PublicEnvelope {
    pub id: uuid::Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: String,
    pub aggregate_type: String,
    pub aggregate_id: uuid::Uuid,
    pub sequence: i64,
    pub position: i64,
    pub account_id: uuid::Uuid,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub actor: crate::metadata::Actor,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub correlation_id: Option<String>,
    pub data: Value,
}
