//! Reads of the views and the audit log, and read-your-writes: waiting until a projection has
//! applied a given position.

pub use chronid_store::rows::{user_history, HistoryError, HistoryPage};
use serde_json::Value;

/// The error of every query here: the database's.
pub use sqlx::Error as DbError;

mod audit;
mod people;
mod status;
pub use audit::*;
pub use people::*;
pub use status::*;

fn decode<T: serde::de::DeserializeOwned>(doc: Value) -> Result<T, sqlx::Error> {
    serde_json::from_value(doc).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
