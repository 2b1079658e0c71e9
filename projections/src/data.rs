//! Small readers over an envelope's public `data`. Projections read the published JSON, never the
//! domain enums: secret fields are stripped from it, so the enums would not deserialize.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// A string field, `None` when absent, null or not a string.
pub fn str_of(data: &Value, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).map(str::to_owned)
}

pub fn bool_of(data: &Value, key: &str) -> Option<bool> {
    data.get(key).and_then(Value::as_bool)
}

pub fn u32_of(data: &Value, key: &str) -> Option<u32> {
    data.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

pub fn uuid_of(data: &Value, key: &str) -> Option<Uuid> {
    data.get(key)
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

pub fn time_of(data: &Value, key: &str) -> Option<DateTime<Utc>> {
    data.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// An array of strings (roles); absent or malformed reads as empty.
pub fn strings_of(data: &Value, key: &str) -> Vec<String> {
    data.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub fn uuids_of(data: &Value, key: &str) -> Vec<Uuid> {
    data.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|s| Uuid::parse_str(s).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// A field that may be absent (unchanged), null (cleared) or a string (set).
pub enum Change {
    Unchanged,
    Cleared,
    Set(String),
}

pub fn change_of(data: &Value, key: &str) -> Change {
    match data.get(key) {
        None => Change::Unchanged,
        Some(Value::Null) => Change::Cleared,
        Some(Value::String(s)) => Change::Set(s.clone()),
        Some(_) => Change::Unchanged,
    }
}

impl Change {
    /// Applies the change to `slot`.
    pub fn apply_to(self, slot: &mut Option<String>) {
        match self {
            Change::Unchanged => {}
            Change::Cleared => *slot = None,
            Change::Set(s) => *slot = Some(s),
        }
    }
}
