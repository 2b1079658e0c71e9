//! Request and response bodies of the admin API, as they appear on the wire (and in the OpenAPI
//! document). Unknown fields are refused. Raw strings are parsed into domain values here.

use chronid_domain::values::{
    ColorScheme, Email, Hostname, Language, LockoutMode, Name, Password, PersonName, Phone, Role,
    Roles, TimeZone, TwoFactorMode, Username,
};
use chronid_domain::ValidationError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A whole number, written as JSON writes it: `5` or `5.0` (JSON Schema counts both as an
/// integer, and so do clients that only have floating-point numbers).
fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(serde::de::Error::custom(format!(
            "invalid value: {n}, expected a whole number"
        ))),
    }
}

fn optional_whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] i64);
    Option::<Whole>::deserialize(d).map(|o| o.map(|Whole(n)| n))
}

pub fn parse_roles(raw: &[String]) -> Result<Roles, ValidationError> {
    raw.iter()
        .map(|r| Role::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map(Roles::new)
}

pub fn parse_two_factor(raw: &str) -> Result<TwoFactorMode, ValidationError> {
    match raw {
        "off" => Ok(TwoFactorMode::Off),
        "new_device" => Ok(TwoFactorMode::NewDevice),
        "every_login" => Ok(TwoFactorMode::EveryLogin),
        _ => Err(ValidationError::new(
            "two_factor",
            "must be off, new_device or every_login",
        )),
    }
}

pub fn parse_lockout(raw: Option<&str>) -> Result<LockoutMode, ValidationError> {
    match raw {
        None | Some("account") => Ok(LockoutMode::Account),
        Some("untrusted_devices") => Ok(LockoutMode::UntrustedDevices),
        Some(_) => Err(ValidationError::new(
            "lockout",
            "must be account or untrusted_devices",
        )),
    }
}

pub fn parse_color_scheme(raw: &str) -> Result<ColorScheme, ValidationError> {
    match raw {
        "light" => Ok(ColorScheme::Light),
        "dark" => Ok(ColorScheme::Dark),
        "system" => Ok(ColorScheme::System),
        _ => Err(ValidationError::new(
            "color_scheme",
            "must be light, dark or system",
        )),
    }
}

fn opt<T>(
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    raw.map(parse).transpose()
}

fn opt_opt<T>(
    raw: &Option<Option<String>>,
    parse: impl Fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<Option<T>>, ValidationError> {
    match raw {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(v)) => parse(v).map(|v| Some(Some(v))),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityPolicyBody {
    /// 15..365, or null for never.
    #[serde(default, deserialize_with = "optional_whole_number")]
    pub max_inactivity_days: Option<i64>,
    /// 1..100.
    #[serde(deserialize_with = "whole_number")]
    pub max_login_attempts: i64,
    /// 1..3650, or null for never.
    #[serde(default, deserialize_with = "optional_whole_number")]
    pub password_validity_days: Option<i64>,
    /// off | new_device | every_login
    pub two_factor: String,
    /// Beyond the product: minutes after which a policy lock lifts by itself (1..10080), or null.
    #[serde(default, deserialize_with = "optional_whole_number")]
    pub lock_minutes: Option<i64>,
    /// Beyond the product: `account` (default: failed logins lock the user) or
    /// `untrusted_devices` (failures from devices the user has not trusted lock only logins
    /// from such devices).
    #[serde(default)]
    pub lockout: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginOptionsBody {
    pub password: bool,
    pub google: bool,
    pub github: bool,
    pub sso: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomizationBody {
    #[serde(default)]
    pub language: Option<String>,
    /// light | dark | system
    #[serde(default)]
    pub color_scheme: Option<String>,
    /// A host name for the custom login page, or null to remove it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub hostname: Option<Option<String>>,
    /// IANA time zone name (e.g. Europe/Zagreb); named audit ranges are computed in it. UTC by
    /// default.
    #[serde(default)]
    pub time_zone: Option<String>,
}

pub struct Customization {
    pub language: Option<Language>,
    pub color_scheme: Option<ColorScheme>,
    pub hostname: Option<Option<Hostname>>,
    pub time_zone: Option<TimeZone>,
}

impl CustomizationBody {
    pub fn parse(&self) -> Result<Customization, ValidationError> {
        Ok(Customization {
            language: opt(self.language.as_deref(), Language::parse)?,
            color_scheme: opt(self.color_scheme.as_deref(), parse_color_scheme)?,
            hostname: opt_opt(&self.hostname, Hostname::parse)?,
            time_zone: opt(self.time_zone.as_deref(), TimeZone::parse)?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    pub email: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// E.164, e.g. +14155550100
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// AccountAdmin | AccountManager (every user is a member)
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// Without a password the user is invited.
    #[serde(default)]
    pub password: Option<String>,
}

impl CreateUserBody {
    pub fn parse(&self) -> Result<chronid_app::NewUser, ValidationError> {
        Ok(chronid_app::NewUser {
            email: Email::parse(&self.email)?,
            username: opt(self.username.as_deref(), Username::parse)?,
            first_name: opt(self.first_name.as_deref(), |v| {
                PersonName::parse("first_name", v)
            })?,
            last_name: opt(self.last_name.as_deref(), |v| {
                PersonName::parse("last_name", v)
            })?,
            phone: opt(self.phone.as_deref(), Phone::parse)?,
            language: opt(self.language.as_deref(), Language::parse)?,
            roles: parse_roles(self.roles.as_deref().unwrap_or_default())?,
            password: opt(self.password.as_deref(), Password::parse)?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserBody {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

impl PatchUserBody {
    pub fn parse(&self) -> Result<chronid_app::ProfilePatch, ValidationError> {
        Ok(chronid_app::ProfilePatch {
            first_name: opt_opt(&self.first_name, |v| PersonName::parse("first_name", v))?,
            last_name: opt_opt(&self.last_name, |v| PersonName::parse("last_name", v))?,
            phone: opt_opt(&self.phone, Phone::parse)?,
            language: opt(self.language.as_deref(), Language::parse)?,
            roles: self.roles.as_deref().map(parse_roles).transpose()?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmailBody {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorBody {
    pub enabled: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamBody {
    pub name: String,
}

impl TeamBody {
    pub fn parse(&self) -> Result<Name, ValidationError> {
        Name::parse("name", &self.name)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyBody {
    pub name: String,
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
    /// Defaults to ["AccountAdmin"].
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchApiKeyBody {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_until: Option<Option<DateTime<Utc>>>,
}

/// A created object.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Created {
    pub id: Uuid,
    /// Pass as `min_position` to read your own write.
    pub position: Option<i64>,
}

/// A command's position (`global_seq` of its last event).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Position {
    pub position: Option<i64>,
}

/// What a customization answers: its position, and when a host name was set, the DNS record to
/// create for it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomizationReply {
    pub position: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_record: Option<DnsRecord>,
}

/// A DNS record: the branded host name as an alias of the deployment's public host.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DnsRecord {
    /// CNAME
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub value: String,
}

/// A new API key; `key` is shown only now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: Uuid,
    pub key: String,
    pub position: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats: Option<String>,
    /// `/ready` only: each background task of this process (append writers, relay, projection
    /// workers, notifier, sweeper), `ok` or `down` (failed and waiting to be started again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<std::collections::BTreeMap<String, String>>,
}
