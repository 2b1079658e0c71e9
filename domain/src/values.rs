//! Validated value types. Raw strings are parsed here, at the edge, into types that cannot hold an
//! invalid value; commands carry only these.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

fn check_len(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(ValidationError::new(
            field,
            format!("must be {min} to {max} characters long"),
        ));
    }
    Ok(())
}

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

/// When two-factor authentication is asked for at login, account-wide.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorMode {
    #[default]
    Off,
    NewDevice,
    EveryLogin,
}

/// Where a one-time code is delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoFactorChannel {
    Sms,
    Voice,
    #[default]
    Email,
    Totp,
}

/// The account's user security policy, validated as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    /// Days without a login before a user is disabled (15..=365), or never.
    pub max_inactivity_days: Option<u16>,
    /// Failed logins in a row before a user is locked (1..=100).
    pub max_login_attempts: u8,
    /// Days a password stays valid (1..=3650), or forever.
    pub password_validity_days: Option<u16>,
    pub two_factor: TwoFactorMode,
    /// Beyond the product: minutes after which a policy lock lifts by itself; None = until an admin
    /// unlocks.
    #[serde(default)]
    pub lock_minutes: Option<u32>,
    /// Beyond the product: what failed logins lock (the whole user, or only logins from devices
    /// the user has not trusted).
    #[serde(default)]
    pub lockout: LockoutMode,
}

/// What failed logins lock once they reach `max_login_attempts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockoutMode {
    /// The product's behaviour: the user is locked whatever the device.
    #[default]
    Account,
    /// Failures from devices the user has not trusted lock only logins from such devices; the
    /// user on a trusted device still gets in (failures from a trusted device lock the user).
    UntrustedDevices,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            max_inactivity_days: None,
            max_login_attempts: 5,
            password_validity_days: None,
            two_factor: TwoFactorMode::Off,
            lock_minutes: None,
            lockout: LockoutMode::Account,
        }
    }
}

impl SecurityPolicy {
    pub fn new(
        max_inactivity_days: Option<i64>,
        max_login_attempts: i64,
        password_validity_days: Option<i64>,
        two_factor: TwoFactorMode,
        lock_minutes: Option<i64>,
        lockout: LockoutMode,
    ) -> Result<Self, ValidationError> {
        let in_range = |field: &'static str, v: i64, lo: i64, hi: i64| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(ValidationError::new(
                    field,
                    format!("must be between {lo} and {hi}"),
                ))
            }
        };
        let max_inactivity_days = max_inactivity_days
            .map(|v| in_range("max_inactivity_days", v, 15, 365).map(|v| v as u16))
            .transpose()?;
        let max_login_attempts = in_range("max_login_attempts", max_login_attempts, 1, 100)? as u8;
        let password_validity_days = password_validity_days
            .map(|v| in_range("password_validity_days", v, 1, 3650).map(|v| v as u16))
            .transpose()?;
        let lock_minutes = lock_minutes
            .map(|v| in_range("lock_minutes", v, 1, 10_080).map(|v| v as u32))
            .transpose()?;
        Ok(Self {
            max_inactivity_days,
            max_login_attempts,
            password_validity_days,
            two_factor,
            lock_minutes,
            lockout,
        })
    }
}

/// Which ways of logging in the account allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOptions {
    pub password: bool,
    pub google: bool,
    pub github: bool,
    pub sso: bool,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            password: true,
            google: false,
            github: false,
            sso: false,
        }
    }
}

impl LoginOptions {
    pub fn new(
        password: bool,
        google: bool,
        github: bool,
        sso: bool,
    ) -> Result<Self, ValidationError> {
        if !(password || google || github || sso) {
            return Err(ValidationError::new(
                "login_options",
                "at least one way of logging in must stay enabled",
            ));
        }
        Ok(Self {
            password,
            google,
            github,
            sso,
        })
    }
}

/// A short display name (account, team, API key): 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
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

    /// Case-insensitive comparison form (team names are unique per account regardless of case).
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// An IANA time zone name ("Europe/Zagreb", "UTC"), kept in its canonical spelling. The account's
/// time zone decides where "today" and "this week" begin in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeZone(String);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let tz: chrono_tz::Tz = raw.trim().parse().map_err(|_| {
            ValidationError::new(
                "time_zone",
                "must be an IANA time zone name such as 'Europe/Zagreb' or 'UTC'",
            )
        })?;
        Ok(Self(tz.name().to_string()))
    }

    pub fn utc() -> Self {
        Self("UTC".to_string())
    }

    /// Every name `parse` takes in its canonical spelling (for the API's document).
    pub fn names() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A DNS host name for the account's custom login page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hostname(String);

impl Hostname {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "hostname";
        let value = raw.trim().trim_end_matches('.').to_lowercase();
        let labels: Vec<&str> = value.split('.').collect();
        let ok = value.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !ok {
            return Err(ValidationError::new(
                FIELD,
                "must be a host name such as login.example.com",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The interface colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColorScheme {
    Light,
    Dark,
    System,
}

/// A logo image already decoded at the edge: the store keeps the bytes by digest, the event the
/// facts. At most 150 x 150 pixels, as the product requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logo {
    pub media_type: String,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of the image bytes, hex; the image is fetched by it.
    pub sha256: String,
}

impl Logo {
    pub const MAX_SIDE: u32 = 150;

    pub fn new(
        media_type: &str,
        width: u32,
        height: u32,
        sha256: String,
    ) -> Result<Self, ValidationError> {
        if !matches!(media_type, "image/png" | "image/jpeg" | "image/gif") {
            return Err(ValidationError::new(
                "logo",
                "must be a PNG, JPEG or GIF image",
            ));
        }
        if width == 0 || height == 0 || width > Self::MAX_SIDE || height > Self::MAX_SIDE {
            return Err(ValidationError::new(
                "logo",
                format!(
                    "the image cannot be uploaded: it is {width}x{height} px, larger than {max}x{max} px",
                    max = Self::MAX_SIDE
                ),
            ));
        }
        Ok(Self {
            media_type: media_type.to_string(),
            width,
            height,
            sha256,
        })
    }
}

/// A plaintext password on its way to the hasher. Never serialized, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 10;
    pub const MAX_LEN: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&n) {
            return Err(ValidationError::new(
                "password",
                format!(
                    "must be {} to {} characters long",
                    Self::MIN_LEN,
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// A password as typed at login: checked only against the stored hash, so any length up to
    /// `MAX_LEN` is taken (a too-short guess is a wrong password, not a different answer).
    pub fn presented(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if !(1..=Self::MAX_LEN).contains(&n) {
            return Err(ValidationError::new(
                "password",
                format!("must be 1 to {} characters long", Self::MAX_LEN),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A digest or sealed value that must stay in the store. Its `Debug` hides the content; the field
/// that holds it is named `*_hash` or `*_sealed` so the public form strips it (see `public`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredSecret(pub String);

impl fmt::Debug for StoredSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoredSecret([redacted])")
    }
}

/// Compares two byte strings in time that depends on their lengths only, not on where they
/// first differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl StoredSecret {
    /// Compares two digests with [`constant_time_eq`].
    pub fn matches(&self, other: &StoredSecret) -> bool {
        self.matches_digest(&other.0)
    }

    /// Compares with the digest of a presented secret, with [`constant_time_eq`].
    pub fn matches_digest(&self, digest: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), digest.as_bytes())
    }
}

/// An absolute `http://` or `https://` URL with a host, such as an IdP's single sign-on or logout
/// endpoint. Checked by hand (the domain takes no URL crate): scheme, host (DNS name, IPv4 or
/// bracketed IPv6), optional port, no user credentials, printable ASCII only (non-ASCII must be
/// percent-encoded). Scheme and host are lower-cased; path, query and fragment are kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HttpUrl(String);

impl HttpUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                field,
                "must be an absolute http:// or https:// URL with a host, such as https://idp.example.com/sso",
            )
        };
        let value = raw.trim();
        check_len(field, value, 1, Self::MAX_LEN)?;
        if !value
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '`'))
        {
            return Err(invalid());
        }
        let (scheme, rest) = value.split_once("://").ok_or_else(invalid)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(invalid());
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(ValidationError::new(
                field,
                "must not contain user credentials",
            ));
        }
        let (host, port) = split_host_port(authority).ok_or_else(invalid)?;
        if !valid_url_host(host) || !port.is_none_or(valid_port) {
            return Err(invalid());
        }
        let authority = authority.to_ascii_lowercase();
        Ok(Self(format!("{scheme}://{authority}{tail}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `host[:port]` or `[v6]:port` split in two; None when the brackets do not close.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let host = &authority[..inside.len() + 2];
        return match after {
            "" => Some((host, None)),
            _ => after.strip_prefix(':').map(|port| (host, Some(port))),
        };
    }
    Some(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn valid_url_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.contains(':')
            && v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
    }
    host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn valid_port(port: &str) -> bool {
    !port.is_empty()
        && port.len() <= 5
        && port.chars().all(|c| c.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p))
}

/// A SAML entity id (an IdP's issuer or our service-provider id): usually a URI, 1 to 1024
/// characters without whitespace or control characters. Compared exactly, as SAML does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntityId(String);

impl EntityId {
    pub const MAX_LEN: usize = 1024;

    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let value = raw.trim();
        check_len(field, value, 1, Self::MAX_LEN)?;
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new(
                field,
                "must not contain spaces or control characters",
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The random path segment of an SSO configuration's assertion consumer service URL
/// (`/v1/sso/acs/<segment>`): 16 to 128 characters of the URL-safe base64 alphabet, so it needs
/// no escaping and is hard to guess. The caller draws it; the domain only checks its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AcsPath(String);

impl AcsPath {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "sp_acs_path";
        check_len(FIELD, raw, 16, 128)?;
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            return Err(ValidationError::new(
                FIELD,
                "may hold only letters, digits, '-' and '_'",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One X.509 certificate in PEM form (an IdP's signing certificate). The domain checks the PEM
/// envelope and that the body is canonical base64 of a DER SEQUENCE; the SAML adapter does the
/// X.509 parsing. Kept normalised: header, body wrapped at 64 columns, footer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Certificate(String);

impl Certificate {
    const BEGIN: &'static str = "-----BEGIN CERTIFICATE-----";
    const END: &'static str = "-----END CERTIFICATE-----";
    /// Far above any real signing certificate; bounds the work done on input.
    pub const MAX_LEN: usize = 16 * 1024;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        const FIELD: &str = "idp_certificate";
        let value = raw.trim();
        if value.len() > Self::MAX_LEN {
            return Err(ValidationError::new(FIELD, "is too long for a certificate"));
        }
        let body = value
            .strip_prefix(Self::BEGIN)
            .and_then(|v| v.strip_suffix(Self::END))
            .ok_or_else(|| {
                ValidationError::new(
                    FIELD,
                    "must be one PEM block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----",
                )
            })?;
        let body: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        match decode_base64(&body) {
            Some(der) if der.first() == Some(&0x30) => {}
            _ => {
                return Err(ValidationError::new(
                    FIELD,
                    "the text between the PEM lines is not a base64-encoded certificate",
                ))
            }
        }
        let mut pem = String::with_capacity(body.len() + body.len() / 64 + 64);
        pem.push_str(Self::BEGIN);
        pem.push('\n');
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str(Self::END);
        Ok(Self(pem))
    }

    /// The certificate in PEM form.
    pub fn pem(&self) -> &str {
        &self.0
    }

    /// The DER bytes of the certificate.
    pub fn der(&self) -> Vec<u8> {
        let body: String = self.0.lines().filter(|l| !l.starts_with("-----")).collect();
        decode_base64(&body).unwrap_or_default()
    }
}

/// Standard padded base64 (RFC 4648 section 4), strictly: length a multiple of four, padding only
/// at the end, unused bits zero. None when `text` is not canonical base64 or is empty.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    let quads = bytes.chunks_exact(4);
    if bytes.is_empty() || !quads.remainder().is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let last = bytes.len() / 4 - 1;
    for (i, quad) in quads.enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i != last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | sextet(c)?;
        }
        n <<= 6 * pad as u32;
        let [_, b0, b1, b2] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[b0, b1, b2]),
            1 if b2 == 0 => out.extend_from_slice(&[b0, b1]),
            2 if b1 == 0 && b2 == 0 => out.push(b0),
            _ => return None,
        }
    }
    Some(out)
}

/// The IdP signing certificates an SSO configuration trusts: 1 to 4 distinct certificates (more
/// than one while the IdP rotates its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Certificates(Vec<Certificate>);

impl Certificates {
    pub const MAX: usize = 4;

    pub fn new(certificates: Vec<Certificate>) -> Result<Self, ValidationError> {
        const FIELD: &str = "idp_certificates";
        let mut unique: Vec<Certificate> = Vec::with_capacity(certificates.len());
        for c in certificates {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        if unique.is_empty() || unique.len() > Self::MAX {
            return Err(ValidationError::new(
                FIELD,
                format!("must hold 1 to {} certificates", Self::MAX),
            ));
        }
        Ok(Self(unique))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Certificate> {
        self.0.iter()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_parse_accepts_common_addresses_and_keys_case_insensitively() {
        let e = Email::parse(" Ana.Lopez+x@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ana.Lopez+x@Example.COM");
        assert_eq!(e.key(), "ana.lopez+x@example.com");
    }

    #[test]
    fn email_parse_rejects_malformed_addresses() {
        for bad in [
            "",
            "a",
            "a@b",
            "@example.com",
            "a@@example.com",
            "a b@example.com",
            "a..b@example.com",
            "a@-x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn username_parse_rejects_bad_characters() {
        assert!(Username::parse("ana_lopez-1").is_ok());
        for bad in ["ab", "_ana", "ana lopez", "ana@x"] {
            assert!(Username::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn phone_parse_normalises_to_e164() {
        assert_eq!(
            Phone::parse("+1 (415) 555-0100").unwrap().as_str(),
            "+14155550100"
        );
        assert!(Phone::parse("4155550100").is_err());
        assert!(Phone::parse("+0123").is_err());
    }

    #[test]
    fn language_parse_normalises_case() {
        assert_eq!(Language::parse("pt_br").unwrap().as_str(), "pt-BR");
        assert!(Language::parse("english").is_err());
        assert_eq!(
            TimeZone::parse(" Europe/Zagreb ").unwrap().as_str(),
            "Europe/Zagreb"
        );
        assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::utc());
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn security_policy_rejects_values_out_of_range() {
        assert!(SecurityPolicy::new(
            Some(14),
            5,
            None,
            TwoFactorMode::Off,
            None,
            LockoutMode::Account
        )
        .is_err());
        assert!(SecurityPolicy::new(
            Some(366),
            5,
            None,
            TwoFactorMode::Off,
            None,
            LockoutMode::Account
        )
        .is_err());
        assert!(SecurityPolicy::new(
            None,
            0,
            None,
            TwoFactorMode::Off,
            None,
            LockoutMode::Account
        )
        .is_err());
        assert!(SecurityPolicy::new(
            None,
            101,
            None,
            TwoFactorMode::Off,
            None,
            LockoutMode::Account
        )
        .is_err());
        assert!(SecurityPolicy::new(
            None,
            5,
            Some(0),
            TwoFactorMode::Off,
            None,
            LockoutMode::Account
        )
        .is_err());
        assert!(SecurityPolicy::new(
            Some(15),
            100,
            Some(3650),
            TwoFactorMode::EveryLogin,
            None,
            LockoutMode::Account
        )
        .is_ok());
    }

    #[test]
    fn logo_larger_than_150_px_is_refused() {
        assert!(Logo::new("image/png", 150, 150, "ab".into()).is_ok());
        assert!(Logo::new("image/png", 151, 20, "ab".into()).is_err());
    }

    #[test]
    fn password_debug_never_shows_the_value() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn http_url_parse_accepts_absolute_http_urls_and_lowercases_scheme_and_host() {
        let u = HttpUrl::parse("url", " HTTPS://IdP.Example.com:8443/saml/SSO?x=1#f ").unwrap();
        assert_eq!(u.as_str(), "https://idp.example.com:8443/saml/SSO?x=1#f");
        assert!(u.is_https());
        for ok in [
            "http://localhost:8080",
            "https://10.0.0.1/sso",
            "https://[::1]:8443/",
            "https://a.b",
        ] {
            assert!(HttpUrl::parse("url", ok).is_ok(), "{ok} refused");
        }
    }

    #[test]
    fn http_url_parse_rejects_other_schemes_missing_hosts_and_credentials() {
        for bad in [
            "",
            "idp.example.com/sso",
            "ftp://idp.example.com",
            "javascript://x.com/%0aalert(1)",
            "https://",
            "https:///path",
            "https://user:pw@idp.example.com",
            "https://idp.example.com:0",
            "https://idp.example.com:99999",
            "https://idp.example.com:",
            "https://idp..example.com",
            "https://-idp.example.com",
            "https://[::1",
            "https://idp.example.com/a b",
            "https://idp.example.com/\"<script>",
            "https://bücher.example",
        ] {
            assert!(HttpUrl::parse("url", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn entity_id_parse_bounds_length_and_refuses_whitespace() {
        assert!(EntityId::parse("sp_entity_id", "https://sp.example.com/saml/contoso").is_ok());
        assert!(EntityId::parse("sp_entity_id", "  ").is_err());
        assert!(EntityId::parse("sp_entity_id", "a b").is_err());
        assert!(EntityId::parse("sp_entity_id", &"x".repeat(1024)).is_ok());
        assert!(EntityId::parse("sp_entity_id", &"x".repeat(1025)).is_err());
    }

    #[test]
    fn acs_path_parse_accepts_only_url_safe_random_segments() {
        assert!(AcsPath::parse("Zm9vYmFyYmF6cXV4LV8x").is_ok());
        for bad in [
            "short",
            "has/slash/in/the/path",
            "has space in the path!",
            &"a".repeat(129),
        ] {
            assert!(AcsPath::parse(bad).is_err(), "{bad} accepted");
        }
    }

    const CERT_BODY: &str = "MIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGVGb3JUZXN0czAKBggqhkjOPQQDAjAS";

    #[test]
    fn certificate_parse_accepts_a_pem_block_and_normalises_it() {
        let raw = format!(
            "\r\n-----BEGIN CERTIFICATE-----\r\n{}\r\n{}\r\n-----END CERTIFICATE-----\r\n",
            &CERT_BODY[..30],
            &CERT_BODY[30..]
        );
        let c = Certificate::parse(&raw).unwrap();
        assert_eq!(
            c.pem(),
            format!("-----BEGIN CERTIFICATE-----\n{CERT_BODY}\n-----END CERTIFICATE-----")
        );
        assert_eq!(c.der().first(), Some(&0x30));
        assert_eq!(c.der().len(), CERT_BODY.len() / 4 * 3);
        let long = "MII".to_string() + &"A".repeat(97);
        let c = Certificate::parse(&format!(
            "-----BEGIN CERTIFICATE-----{long}-----END CERTIFICATE-----"
        ))
        .unwrap();
        assert_eq!(c.pem().lines().nth(1).unwrap().len(), 64);
        assert_eq!(c.pem().lines().nth(2).unwrap().len(), 36);
    }

    #[test]
    fn certificate_parse_rejects_other_blocks_and_bad_base64() {
        let pem =
            |body: &str| format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----");
        for bad in [
            String::new(),
            CERT_BODY.to_string(),
            format!("-----BEGIN PUBLIC KEY-----\n{CERT_BODY}\n-----END PUBLIC KEY-----"),
            pem(""),
            pem("MIIB*zCC"),
            pem("MIIBszC"),
            pem("MA=A"),
            pem("MB=="),
            pem("QUJD"),
            format!("{}\n{}", pem(CERT_BODY), pem(CERT_BODY)),
        ] {
            assert!(Certificate::parse(&bad).is_err(), "{bad} accepted");
        }
        assert!(Certificate::parse(&pem("MA==")).is_ok());
    }

    #[test]
    fn certificates_new_deduplicates_and_bounds_the_count() {
        let a =
            Certificate::parse("-----BEGIN CERTIFICATE-----MA==-----END CERTIFICATE-----").unwrap();
        let b =
            Certificate::parse("-----BEGIN CERTIFICATE-----MAA=-----END CERTIFICATE-----").unwrap();
        assert_eq!(
            Certificates::new(vec![a.clone(), a.clone(), b.clone()])
                .unwrap()
                .iter()
                .count(),
            2
        );
        assert!(Certificates::new(vec![]).is_err());
        let many: Vec<Certificate> = ["MAA=", "MAE=", "MAI=", "MAM=", "MAQ="]
            .iter()
            .map(|body| {
                Certificate::parse(&format!(
                    "-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----"
                ))
                .unwrap()
            })
            .collect();
        assert!(Certificates::new(many).is_err());
    }

    #[test]
    fn user_agent_new_strips_control_characters_and_truncates() {
        assert_eq!(
            UserAgent::new(" Mozilla/5.0\n ").unwrap().as_str(),
            "Mozilla/5.0"
        );
        assert!(UserAgent::new(" \t ").is_none());
        assert_eq!(
            UserAgent::new(&"x".repeat(600)).unwrap().as_str().len(),
            UserAgent::MAX_LEN
        );
    }
}

/// A one-time code as typed: six digits (spaces and dashes between them are ignored). Never
/// logged: its `Debug` form is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct OneTimeCode(String);

impl OneTimeCode {
    pub const DIGITS: usize = 6;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() != Self::DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "code",
                format!("must be {} digits", Self::DIGITS),
            ));
        }
        Ok(Self(digits))
    }

    /// The code for a number below 10^6, zero-padded.
    pub fn from_number(n: u32) -> Self {
        Self(format!("{:06}", n % 1_000_000))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode([redacted])")
    }
}
