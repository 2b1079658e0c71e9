//! Who a user is: email, username, names, phone, language, roles, user agent.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::*;
use crate::ValidationError;

/// An email address as the user typed it (case kept for display); `key()` is the case-insensitive
/// form used for uniqueness.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "email";
        let value = raw.trim();
        check_len(FIELD, value, 3, 254)?;
        let (local, domain) = value
            .rsplit_once('@')
            .ok_or_else(|| ValidationError::new(FIELD, "must contain '@'"))?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(ValidationError::new(FIELD, "is not a valid email address"));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive form: two addresses with the same key are the same login.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A login name: 3 to 64 characters of letters, digits, `.`, `_` and `-`, starting with a letter or
/// digit. Unique per account regardless of case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "username";
        let value = raw.trim();
        check_len(FIELD, value, 3, 64)?;
        let first_ok = value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if !first_ok
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(ValidationError::new(
                FIELD,
                "may hold only letters, digits, '.', '_' and '-', starting with a letter or digit",
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A first or last name: up to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let value = raw.trim();
        check_len(field, value, 1, 100)?;
        if value.chars().any(char::is_control) {
            return Err(ValidationError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 form: `+` then 8 to 15 digits. Spaces, dashes and parentheses typed by a
/// person are removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "phone";
        let cleaned: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        let digits = cleaned.strip_prefix('+').unwrap_or("");
        if digits.len() < 8
            || digits.len() > 15
            || !digits.chars().all(|c| c.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(ValidationError::new(
                FIELD,
                "must be in international form, for example +14155550100",
            ));
        }
        Ok(Self(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An interface language as a BCP 47 tag limited to language and optional region (`en`, `pt-BR`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Language(String);

impl Language {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "language";
        let value = raw.trim();
        let mut parts = value.split(['-', '_']);
        let lang = parts.next().unwrap_or("");
        let region = parts.next();
        let lang_ok =
            (2..=3).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_alphabetic());
        let region_ok = region.is_none_or(|r| {
            (r.len() == 2 && r.chars().all(|c| c.is_ascii_alphabetic()))
                || (r.len() == 3 && r.chars().all(|c| c.is_ascii_digit()))
        });
        if !lang_ok || !region_ok || parts.next().is_some() {
            return Err(ValidationError::new(
                FIELD,
                "must be a language tag such as 'en' or 'pt-BR'",
            ));
        }
        let normalized = match region {
            Some(r) => format!("{}-{}", lang.to_lowercase(), r.to_uppercase()),
            None => lang.to_lowercase(),
        };
        Ok(Self(normalized))
    }

    pub fn english() -> Self {
        Self("en".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's roles within their account. Every user is a member; these add powers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Manages users and teams, resets passwords, requires two-factor of users.
    AccountAdmin,
    /// Everything an AccountAdmin does, plus the audit log, SSO, security policy, login options,
    /// customization and API keys.
    AccountManager,
    /// No administrative power; accepted on input for clarity and never stored.
    #[serde(rename = "member")]
    Member,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw {
            "AccountAdmin" => Ok(Self::AccountAdmin),
            "AccountManager" => Ok(Self::AccountManager),
            "member" | "Member" => Ok(Self::Member),
            _ => Err(ValidationError::new(
                "roles",
                format!("unknown role '{raw}'; expected AccountAdmin, AccountManager or member"),
            )),
        }
    }
}

/// A set of roles; `Member` is implied and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roles(BTreeSet<Role>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        Self(roles.into_iter().filter(|r| *r != Role::Member).collect())
    }

    pub fn member() -> Self {
        Self::default()
    }

    pub fn contains(&self, role: Role) -> bool {
        role == Role::Member || self.0.contains(&role)
    }

    /// AccountManager holds every AccountAdmin power.
    pub fn can_administer_users(&self) -> bool {
        self.0.contains(&Role::AccountAdmin) || self.0.contains(&Role::AccountManager)
    }

    pub fn can_manage_account(&self) -> bool {
        self.0.contains(&Role::AccountManager)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }
}

/// A browser's `User-Agent` as sent: control characters removed, cut to 512 characters. Never
/// refused (it is a header, not input a person typed); an empty one is no user agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserAgent(String);

impl UserAgent {
    pub const MAX_LEN: usize = 512;

    pub fn new(raw: &str) -> Option<Self> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_control())
            .take(Self::MAX_LEN)
            .collect();
        let trimmed = cleaned.trim();
        (!trimmed.is_empty()).then(|| Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
