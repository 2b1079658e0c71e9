//! The catalogue of every `code` the API can answer, collected from the enums that raise them:
//! the aggregates' errors (`DomainError::codes`), the use cases' (`AppCode`) and the edge's own
//! (`HttpCode`). Nothing here is written twice: a code exists only as a variant of its layer.

use chronid_app::AppCode;
use chronid_domain::account::AccountError;
use chronid_domain::device::DeviceError;
use chronid_domain::external_login::ExternalLoginError;
use chronid_domain::reservation::ReservationError;
use chronid_domain::sso_config::SsoConfigError;
use chronid_domain::user::UserError;
use chronid_domain::DomainError;

use crate::problem::HttpCode;

/// Every code with the layer that raises it, in layer order.
pub fn all() -> Vec<(&'static str, &'static str)> {
    let mut codes = Vec::new();
    let mut add = |layer: &'static str, list: &[&'static str]| {
        codes.extend(list.iter().map(|c| (*c, layer)));
    };
    add("UserError", UserError::codes());
    add("AccountError", AccountError::codes());
    add("DeviceError", DeviceError::codes());
    add("SsoConfigError", SsoConfigError::codes());
    add("ReservationError", ReservationError::codes());
    add("ExternalLoginError", ExternalLoginError::codes());
    add("AppCode", &AppCode::ALL.map(AppCode::as_str));
    add("HttpCode", &HttpCode::ALL.map(HttpCode::as_str));
    codes
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn every_code_is_raised_by_one_layer_and_listed_in_readme() {
        let codes = all();
        assert!(codes.len() > 90, "{} codes", codes.len());
        let mut by_code: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (code, layer) in &codes {
            by_code.entry(code).or_default().push(layer);
        }
        for (code, layers) in &by_code {
            // A port failure inside an aggregate is the same internal error the use cases raise.
            let allowed: &[&str] = if *code == "INTERNAL" {
                &["UserError", "AppCode"]
            } else {
                &[]
            };
            assert!(
                layers.len() == 1 || layers.as_slice() == allowed,
                "{code} is raised by {layers:?}"
            );
        }
        let readme = include_str!("../../../README.md");
        let missing: Vec<&str> = by_code
            .keys()
            .filter(|code| !readme.contains(&format!("`{code}`")))
            .copied()
            .collect();
        assert!(missing.is_empty(), "README does not list {missing:?}");
    }

    #[test]
    fn codes_are_upper_case_words_joined_by_hyphens() {
        for (code, layer) in all() {
            assert!(
                !code.is_empty()
                    && code.split('-').all(|w| !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())),
                "{layer}: {code}"
            );
        }
    }
}
