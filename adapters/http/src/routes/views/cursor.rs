//! Cursors of the list endpoints: opaque to the client, sealed by the server (an HMAC over the
//! key and the filters it was issued for), so a tampered cursor or one reused with other filters
//! is refused.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chronid_domain::values::StoredSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::*;
use crate::problem::ApiError;
use crate::HttpState;

/// A cursor: the key of the last item, bound to a fingerprint of the filters, sealed.
#[derive(Serialize, Deserialize)]
pub(super) struct Sealed<K> {
    k: K,
    f: String,
}

pub(super) fn fingerprint(parts: &[(&str, Option<&String>)]) -> String {
    let mut h = Sha256::new();
    for (name, value) in parts {
        h.update(name.as_bytes());
        h.update([0]);
        if let Some(v) = value {
            h.update(v.as_bytes());
        }
        h.update([1]);
    }
    hex::encode(&h.finalize()[..12])
}

pub(super) fn seal_cursor<K: Serialize>(
    state: &HttpState,
    key: K,
    filters: &str,
) -> Result<String, ApiError> {
    let body = serde_json::to_vec(&Sealed {
        k: key,
        f: filters.to_string(),
    })
    .map_err(internal)?;
    let sealed = state
        .app
        .executor()
        .services()
        .sealer
        .seal(&body)
        .map_err(internal)?;
    Ok(URL_SAFE_NO_PAD.encode(sealed.0.as_bytes()))
}

pub(super) fn open_cursor<K: for<'de> Deserialize<'de>>(
    state: &HttpState,
    params: &HashMap<String, String>,
    filters: &str,
) -> Result<Option<K>, ApiError> {
    let Some(raw) = params.get("cursor") else {
        return Ok(None);
    };
    let invalid = || {
        bad(
            HttpCode::ReqInvalidCursor,
            "cursor",
            "the cursor is not one this server issued for these filters",
        )
    };
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let body = state
        .app
        .executor()
        .services()
        .sealer
        .open(&StoredSecret(text))
        .map_err(|_| invalid())?;
    let sealed: Sealed<K> = serde_json::from_slice(&body).map_err(|_| invalid())?;
    if sealed.f != filters {
        return Err(invalid());
    }
    Ok(Some(sealed.k))
}
