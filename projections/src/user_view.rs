//! The current user view: one row per user, folded from the user's published events in sequence
//! order. Trusted devices live in the device view (device events name their user only when the
//! device is registered) and are joined in when the view is read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use chronid_domain::public::PublicEnvelope;
use chronid_domain::user::UserEventType;
use UserEventType as E;

use crate::data::{bool_of, change_of, str_of, strings_of, time_of, u32_of, uuid_of};
use crate::{Applied, ProjectionError};

/// Where a user stands. Disabled outranks locked, which outranks invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Invited,
    Active,
    Disabled,
    Locked,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Locked => "locked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "invited" => Some(Self::Invited),
            "active" => Some(Self::Active),
            "disabled" => Some(Self::Disabled),
            "locked" => Some(Self::Locked),
            _ => None,
        }
    }
}

/// The authenticator-app state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotpState {
    #[default]
    None,
    /// Enrolled, waiting for the first code.
    Pending,
    Enabled,
}

/// The channel of a user who chose none (the aggregate's default).
pub const DEFAULT_CHANNEL: &str = "email";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    /// An administrator requires two-factor authentication of this user.
    pub required: bool,
    /// Where one-time codes go: "email" until the user picks another.
    pub channel: String,
    pub totp: TotpState,
    /// A reset started a replacement authenticator that waits for its first code (the current
    /// one still works until then).
    #[serde(default)]
    pub totp_replacement_pending: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PasswordView {
    pub set: bool,
    pub changed_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockView {
    pub reason: String,
    pub failed_attempts: u32,
    /// When a temporary lock lifts by itself.
    pub until: Option<DateTime<Utc>>,
    /// "account" (every login) or "untrusted_devices" (logins from devices the user has not
    /// trusted).
    #[serde(default = "account_scope")]
    pub scope: String,
}

fn account_scope() -> String {
    "account".to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExternalIdentity {
    pub provider: String,
    pub subject: String,
}

/// A trusted device as shown on the user view (from the device view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedDevice {
    pub id: Uuid,
    pub label: Option<String>,
    pub user_agent: Option<String>,
    pub trusted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub email: String,
    pub email_verified: bool,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub language: String,
    pub roles: Vec<String>,
    pub status: UserStatus,
    /// Why the user is disabled or locked ("admin", "inactivity", "policy").
    pub status_reason: Option<String>,
    pub invited: bool,
    pub disabled_reason: Option<String>,
    pub lock: Option<LockView>,
    pub two_factor: TwoFactorView,
    pub password: PasswordView,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_login_ip: Option<String>,
    /// Failed attempts in a row (passwords, codes, current passwords) towards a lock.
    pub failed_attempts: u32,
    /// Under the `untrusted_devices` lockout: failures from untrusted devices in a row.
    #[serde(default)]
    pub untrusted_failed_attempts: u32,
    pub teams: Vec<Uuid>,
    /// Filled from the device view when the view is read; never stored with the row.
    #[serde(default)]
    pub trusted_devices: Vec<TrustedDevice>,
    pub external_identities: Vec<ExternalIdentity>,
    pub sso_managed: bool,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_sequence: i64,
    pub last_position: i64,
}

impl UserView {
    fn refresh_status(&mut self) {
        let (status, reason) = if let Some(reason) = &self.disabled_reason {
            (UserStatus::Disabled, Some(reason.clone()))
        } else if let Some(lock) = &self.lock {
            (UserStatus::Locked, Some(lock.reason.clone()))
        } else if self.invited {
            (UserStatus::Invited, None)
        } else {
            (UserStatus::Active, None)
        };
        self.status = status;
        self.status_reason = reason;
    }

    /// Words a free-text search matches: email, username, names, phone (lower case).
    pub fn search_text(&self) -> String {
        [
            Some(self.email.as_str()),
            self.username.as_deref(),
            self.first_name.as_deref(),
            self.last_name.as_deref(),
            self.phone.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
    }
}

/// Applies one envelope to the view of its user. `view` is the stored row (None before the
/// user's registration). Events of other aggregates are ignored; an event at or below the
/// view's sequence is stale (a redelivery) and changes nothing.
pub fn apply(
    view: &mut Option<UserView>,
    env: &PublicEnvelope,
) -> Result<Applied, ProjectionError> {
    if env.aggregate_type != "user" {
        return Ok(Applied::Ignored);
    }
    let d = &env.data;
    let Some(v) = view else {
        if env.event_type != E::UserRegistered.name() {
            return Err(ProjectionError::missing_start(
                env,
                E::UserRegistered.name(),
            ));
        }
        *view = Some(registered(env)?);
        return Ok(Applied::Changed);
    };
    if env.sequence <= v.last_sequence {
        return Ok(Applied::Stale);
    }
    let Some(kind) = UserEventType::parse(&env.event_type) else {
        // A type this version does not know (a newer producer): no trace on the view.
        return Ok(advance(v, env));
    };
    match kind {
        E::UserRegistered => return Err(ProjectionError::bad(env, "registered twice")),
        E::UserProfileUpdated => {
            let changes = d.get("changes").cloned().unwrap_or_default();
            change_of(&changes, "first_name").apply_to(&mut v.first_name);
            change_of(&changes, "last_name").apply_to(&mut v.last_name);
            let had_phone = v.phone.clone();
            change_of(&changes, "phone").apply_to(&mut v.phone);
            if v.phone != had_phone {
                v.phone_verified = false;
            }
            if let Some(lang) = str_of(&changes, "language") {
                v.language = lang;
            }
        }
        E::UserRolesChanged => v.roles = strings_of(d, "roles"),
        E::UserEmailChanged => {
            v.email = required_str(env, "email")?;
            v.email_verified = false;
        }
        E::UserUsernameChanged => v.username = str_of(d, "username"),
        E::UserPhoneVerified if str_of(d, "phone") == v.phone => v.phone_verified = true,
        E::UserEmailVerified if str_of(d, "email").as_deref() == Some(v.email.as_str()) => {
            v.email_verified = true;
        }
        E::UserInvitationAccepted => v.invited = false,
        E::UserDisabled => v.disabled_reason = Some(required_str(env, "reason")?),
        E::UserEnabled => v.disabled_reason = None,
        E::UserLocked => {
            v.lock = Some(LockView {
                reason: required_str(env, "reason")?,
                failed_attempts: u32_of(d, "failed_attempts").unwrap_or(v.failed_attempts),
                until: time_of(d, "until"),
                scope: str_of(d, "scope").unwrap_or_else(account_scope),
            });
        }
        E::UserUnlocked => {
            // As in the aggregate: a lock of untrusted devices lifting restarts their count
            // only, not the user's own.
            let scope = v.lock.take().map(|l| l.scope);
            v.untrusted_failed_attempts = 0;
            if scope.as_deref() != Some("untrusted_devices") {
                v.failed_attempts = 0;
            }
        }
        E::UserLanguageChanged => v.language = required_str(env, "language")?,
        E::PasswordChanged => {
            v.password = PasswordView {
                set: true,
                changed_at: time_of(d, "changed_at").or(Some(env.occurred_at)),
                expires_at: time_of(d, "expires_at"),
            };
            v.invited = false;
        }
        E::LoginSucceeded => {
            v.last_login_at = time_of(d, "at").or(Some(env.occurred_at));
            v.last_login_ip = env.ip.clone();
            v.failed_attempts = 0;
            v.untrusted_failed_attempts = 0;
            v.invited = false;
        }
        // Version 1 also recorded refused logins of locked or disabled users (no count change).
        E::LoginFailed
        | E::TwoFactorChallengeFailed
        | E::PasswordChangeFailed
        | E::TotpCodeRejected => {
            if let Some(n) = u32_of(d, "failed_attempts") {
                if str_of(d, "scope").as_deref() == Some("untrusted_devices") {
                    v.untrusted_failed_attempts = n;
                } else {
                    v.failed_attempts = n;
                }
            }
        }
        E::TwoFactorRequirementChanged => {
            v.two_factor.required = bool_of(d, "required").unwrap_or(false);
        }
        E::TwoFactorChannelChanged => v.two_factor.channel = required_str(env, "channel")?,
        // A new secret waits for its first code; a replacement leaves the current one working,
        // as in the aggregate.
        E::TotpEnrolled if v.two_factor.totp != TotpState::Enabled => {
            v.two_factor.totp = TotpState::Pending;
        }
        // A version 1 reset (no `keeps_current`) ended the old authenticator at once.
        E::TotpReset if !bool_of(d, "keeps_current").unwrap_or(false) => {
            v.two_factor.totp = TotpState::Pending;
            v.two_factor.totp_replacement_pending = false;
        }
        E::TotpEnrolled | E::TotpReset => v.two_factor.totp_replacement_pending = true,
        E::TotpConfirmed => {
            v.two_factor.totp = TotpState::Enabled;
            v.two_factor.totp_replacement_pending = false;
            v.two_factor.channel = "totp".to_string();
        }
        E::TotpDisabled => {
            v.two_factor.totp = TotpState::None;
            v.two_factor.totp_replacement_pending = false;
            if v.two_factor.channel == "totp" {
                v.two_factor.channel = DEFAULT_CHANNEL.to_string();
            }
        }
        E::ExternalIdentityLinked => {
            let identity = external_identity(env)?;
            if !v.external_identities.contains(&identity) {
                v.external_identities.push(identity);
                v.external_identities.sort();
            }
            v.invited = false;
        }
        E::ExternalIdentityUnlinked => {
            let identity = external_identity(env)?;
            v.external_identities.retain(|i| *i != identity);
        }
        E::UserAddedToTeam => {
            let team = required_uuid(env, "team_id")?;
            if !v.teams.contains(&team) {
                v.teams.push(team);
                v.teams.sort();
            }
        }
        E::UserRemovedFromTeam => {
            let team = required_uuid(env, "team_id")?;
            v.teams.retain(|t| *t != team);
        }
        // Events with no trace on the current view (the audit log and history keep them):
        // password reset requests and mails, challenges, codes, sessions, logouts.
        // Events with no trace on the current view (the audit log and history keep them):
        // password reset requests and mails, challenges, codes, sessions, logouts.
        E::UserPhoneVerified
        | E::UserEmailVerified
        | E::PasswordResetRequested
        | E::PasswordResetEmailSent
        | E::PasswordResetEmailFailed
        | E::PasswordResetCompleted
        | E::PasswordChangeRequired
        | E::UserLoggedOut
        | E::SessionsEnded
        | E::TwoFactorChallengeIssued
        | E::TwoFactorCodeDelivered
        | E::TwoFactorCodeDeliveryFailed
        | E::TwoFactorChallengePassed
        | E::TotpCodeUsed => {}
    }
    Ok(advance(v, env))
}

/// The view after an event at `env`'s position: status recomputed, position advanced.
fn advance(v: &mut UserView, env: &PublicEnvelope) -> Applied {
    v.refresh_status();
    v.updated_at = env.occurred_at;
    v.last_sequence = env.sequence;
    v.last_position = env.position;
    Applied::Changed
}

fn registered(env: &PublicEnvelope) -> Result<UserView, ProjectionError> {
    let d = &env.data;
    let password_changed_at = time_of(d, "password_changed_at");
    let mut view = UserView {
        id: env.aggregate_id,
        account_id: env.account_id,
        email: required_str(env, "email")?,
        email_verified: false,
        username: str_of(d, "username"),
        first_name: str_of(d, "first_name"),
        last_name: str_of(d, "last_name"),
        phone: str_of(d, "phone"),
        phone_verified: false,
        language: str_of(d, "language").unwrap_or_else(|| "en".to_string()),
        roles: strings_of(d, "roles"),
        status: UserStatus::Active,
        status_reason: None,
        invited: bool_of(d, "invited").unwrap_or(false),
        disabled_reason: None,
        lock: None,
        two_factor: TwoFactorView {
            required: false,
            channel: DEFAULT_CHANNEL.to_string(),
            totp: TotpState::None,
            totp_replacement_pending: false,
        },
        password: PasswordView {
            set: password_changed_at.is_some(),
            changed_at: password_changed_at,
            expires_at: None,
        },
        last_login_at: None,
        last_login_ip: None,
        failed_attempts: 0,
        untrusted_failed_attempts: 0,
        teams: Vec::new(),
        trusted_devices: Vec::new(),
        external_identities: Vec::new(),
        sso_managed: bool_of(d, "sso_managed").unwrap_or(false),
        source: str_of(d, "source").unwrap_or_else(|| "admin".to_string()),
        created_at: env.occurred_at,
        updated_at: env.occurred_at,
        last_sequence: env.sequence,
        last_position: env.position,
    };
    view.refresh_status();
    Ok(view)
}

fn external_identity(env: &PublicEnvelope) -> Result<ExternalIdentity, ProjectionError> {
    Ok(ExternalIdentity {
        provider: required_str(env, "provider")?,
        subject: required_str(env, "subject")?,
    })
}

pub(crate) fn required_str(env: &PublicEnvelope, key: &str) -> Result<String, ProjectionError> {
    str_of(&env.data, key).ok_or_else(|| ProjectionError::bad(env, &format!("{key} missing")))
}

pub(crate) fn required_uuid(env: &PublicEnvelope, key: &str) -> Result<Uuid, ProjectionError> {
    uuid_of(&env.data, key).ok_or_else(|| ProjectionError::bad(env, &format!("{key} missing")))
}

/// The user as they stood after the given events (in sequence order). Used by history `?as_of=`.
pub fn fold<'a>(
    events: impl IntoIterator<Item = &'a PublicEnvelope>,
) -> Result<Option<UserView>, ProjectionError> {
    let mut view = None;
    for env in events {
        apply(&mut view, env)?;
    }
    Ok(view)
}
