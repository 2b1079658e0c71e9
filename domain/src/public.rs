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

/// The text chrono's own `Serialize` writes (RFC 3339, as many fraction digits as needed, `Z`),
/// written as one string: chrono's goes through `fmt` one character at a time, which showed in
/// the relay's profile (two timestamps per published event).
fn rfc3339<S: serde::Serializer>(
    t: &chrono::DateTime<chrono::Utc>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_serialize_as_chrono_does() {
        use chrono::TimeZone;
        for nanos in [0, 120_000_000, 123_456_000, 123_456_789, 1_000] {
            let t = chrono::Utc
                .with_ymd_and_hms(2026, 11, 22, 16, 40, 5)
                .single()
                .unwrap()
                + chrono::Duration::nanoseconds(nanos);
            let mut ours = serde_json::Serializer::new(Vec::new());
            rfc3339(&t, &mut ours).unwrap();
            assert_eq!(
                String::from_utf8(ours.into_inner()).unwrap(),
                serde_json::to_string(&t).unwrap()
            );
        }
    }

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
    #[serde(serialize_with = "rfc3339")]
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub actor: crate::metadata::Actor,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub correlation_id: Option<String>,
    pub data: Value,
}
