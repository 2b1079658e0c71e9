//! An account's settings: security policy, two-factor modes and channels, login options,
//! name, time zone, hostname and look.

use serde::{Deserialize, Serialize};

use super::*;
use crate::ValidationError;

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
        // A numeric last label is an IP address, not a name a CNAME can be made for.
        let numeric_tld = labels
            .last()
            .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()));
        let ok = value.len() <= 253
            && labels.len() >= 2
            && !numeric_tld
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
