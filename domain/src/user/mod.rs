//! User: a person in one account. Owns identity (email, username, names, phone, language), roles,
//! status (invited / active / disabled / locked), the password hash and its age, the failed-login
//! counter, two-factor state, external identities, team memberships and the last login.

mod apply;
mod auth;
mod challenge;
mod command;
mod error;
mod event;
mod lockout;
#[cfg(test)]
mod tests;

pub use auth::{
    ChallengeState, PendingToken, CHALLENGE_LIFETIME, CHALLENGE_MAX_ATTEMPTS, CODES_PER_WINDOW,
    CODE_WINDOW, RESETS_PER_WINDOW, RESET_WINDOW,
};
pub use challenge::second_factor;
pub use command::{
    AnswerChallenge, ChangePassword, Lockout, NextStep, PasswordToken, RecordLogin, RegisterUser,
    SetPasswordWithToken, UserCommand,
};
pub use error::UserError;
pub use event::*;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{
    Email, Language, LockoutMode, PersonName, Phone, Roles, StoredSecret, TwoFactorChannel,
    Username,
};
use crate::{AccountScoped, Services};

/// What a view shows as the user's status; derived, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Invited,
    Active,
    Disabled,
    Locked,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockState {
    pub reason: LockReason,
    pub until: Option<DateTime<Utc>>,
    pub scope: LockScope,
}

/// A confirmed authenticator: the user's second factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotpState {
    pub secret_sealed: StoredSecret,
    pub last_step: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    pub token_hash: StoredSecret,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub opened_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub method: Option<LoginMethod>,
    #[serde(default)]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub email: Option<Email>,
    pub username: Option<Username>,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub phone_verified: bool,
    pub email_verified: bool,
    pub language: Option<Language>,
    pub roles: Roles,
    pub invited: bool,
    pub disabled: Option<DisableReason>,
    pub locked: Option<LockState>,
    pub password_hash: Option<StoredSecret>,
    pub password_changed_at: Option<DateTime<Utc>>,
    /// Failed attempts in a row counting towards a lock of the whole user.
    pub failed_attempts: u32,
    /// Under the `untrusted_devices` lockout: failures from untrusted devices in a row.
    pub untrusted_failed_attempts: u32,
    pub two_factor_required: bool,
    pub two_factor_channel: TwoFactorChannel,
    /// The confirmed authenticator, if any.
    pub totp: Option<TotpState>,
    /// An authenticator being set up (or replacing `totp` after a reset), not a second factor
    /// until confirmed.
    pub totp_pending: Option<StoredSecret>,
    /// Moves on with every event that ends the trust of the user's devices (password changed,
    /// authenticator reset, locked, disabled); a device is trusted only in the epoch it was
    /// trusted in. (No serde default: a snapshot from before this field is unreadable, so the
    /// user is rebuilt from its events.)
    pub trust_epoch: u32,
    /// When the latest delivered codes were issued (at most `CODES_PER_WINDOW`).
    pub codes_issued: Vec<DateTime<Utc>>,
    /// When the latest reset links were requested (at most `RESETS_PER_WINDOW`).
    pub resets_requested: Vec<DateTime<Utc>>,
    pub external_identities: BTreeSet<(IdentityProvider, String)>,
    /// Team id -> whether the membership came from SSO group sync.
    pub teams: BTreeMap<Uuid, bool>,
    pub sso_managed: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub sessions: BTreeMap<Uuid, SessionState>,
    /// Password reset requests not used yet, by request id.
    #[serde(default)]
    pub reset_requests: BTreeMap<Uuid, PendingToken>,
    /// Password-change tokens (from logins with an expired password) not used yet.
    #[serde(default)]
    pub change_tokens: BTreeMap<Uuid, PendingToken>,
    /// Two-factor challenges not passed yet.
    #[serde(default)]
    pub challenges: BTreeMap<Uuid, ChallengeState>,
}

impl User {
    pub fn status(&self) -> UserStatus {
        if self.disabled.is_some() {
            UserStatus::Disabled
        } else if self.locked.is_some() {
            UserStatus::Locked
        } else if self.invited {
            UserStatus::Invited
        } else {
            UserStatus::Active
        }
    }

    fn require_registered(&self) -> Result<(), UserError> {
        match self.id {
            Some(_) => Ok(()),
            None => Err(UserError::NotFound),
        }
    }

    /// Whether a lock with an end time has run out at `now`.
    pub fn lock_expired(&self, now: DateTime<Utc>) -> bool {
        matches!(&self.locked, Some(LockState { until: Some(until), .. }) if *until <= now)
    }

    /// Refuses a login (or a step of one) for a disabled user, or a locked one whose lock has
    /// not run out at `now` and applies to the device (a lock of untrusted devices lets a
    /// trusted device in).
    pub fn may_log_in(&self, now: DateTime<Utc>, device_trusted: bool) -> Result<(), UserError> {
        if self.disabled.is_some() {
            return Err(UserError::Disabled);
        }
        match &self.locked {
            Some(lock) if !self.lock_expired(now) => {
                if lock.scope == LockScope::UntrustedDevices && device_trusted {
                    Ok(())
                } else {
                    Err(UserError::Locked)
                }
            }
            _ => Ok(()),
        }
    }

    /// The failure counter of `scope`.
    pub fn failures(&self, scope: LockScope) -> u32 {
        match scope {
            LockScope::Account => self.failed_attempts,
            LockScope::UntrustedDevices => self.untrusted_failed_attempts,
        }
    }
}

impl crate::Upcast for User {
    fn upcast(event_type: &str, version: &str, payload: serde_json::Value) -> serde_json::Value {
        event::upcast(event_type, version, payload)
    }
}

impl AccountScoped for User {
    fn account_id(&self) -> Option<Uuid> {
        self.account_id
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = Services;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if !matches!(command, UserCommand::Register(_)) {
            self.require_registered()?;
        }
        let now = services.clock.now();
        match command {
            UserCommand::Register(cmd) => {
                if self.id.is_some() {
                    return Err(UserError::AlreadyRegistered);
                }
                let password_hash = match &cmd.password {
                    Some(p) => Some(services.hasher.hash(p).await.map_err(UserError::Port)?),
                    None => None,
                };
                let invited = password_hash.is_none()
                    && !matches!(
                        cmd.source,
                        RegistrationSource::Sso
                            | RegistrationSource::Google
                            | RegistrationSource::Github
                    );
                let event = UserEvent::UserRegistered {
                    user_id: cmd.user_id,
                    account_id: cmd.account_id,
                    email: cmd.email,
                    username: cmd.username,
                    first_name: cmd.first_name,
                    last_name: cmd.last_name,
                    phone: cmd.phone,
                    language: cmd.language.unwrap_or_else(Language::english),
                    roles: cmd.roles,
                    source: cmd.source,
                    invited,
                    password_changed_at: password_hash.as_ref().map(|_| now),
                    password_hash,
                    sso_managed: cmd.source == RegistrationSource::Sso,
                    sso_config_id: cmd.sso_config_id,
                };
                sink.write(event, self).await;
            }
            UserCommand::UpdateProfile { changes } => {
                let changes = self.effective_changes(changes);
                if changes.is_empty() {
                    return Err(UserError::NoChange);
                }
                sink.write(UserEvent::UserProfileUpdated { changes }, self)
                    .await;
            }
            UserCommand::Update { changes, roles } => {
                let changes = self.effective_changes(changes);
                let roles = roles.filter(|r| *r != self.roles);
                if changes.is_empty() && roles.is_none() {
                    return Err(UserError::NoChange);
                }
                if !changes.is_empty() {
                    sink.write(UserEvent::UserProfileUpdated { changes }, self)
                        .await;
                }
                if let Some(roles) = roles {
                    let previous = self.roles.clone();
                    sink.write(UserEvent::UserRolesChanged { roles, previous }, self)
                        .await;
                }
            }
            UserCommand::ChangeRoles { roles } => {
                if roles == self.roles {
                    return Err(UserError::NoChange);
                }
                let previous = self.roles.clone();
                sink.write(UserEvent::UserRolesChanged { roles, previous }, self)
                    .await;
            }
            UserCommand::ChangeEmail { email } => {
                let Some(previous) = self.email.clone() else {
                    return Err(UserError::NotFound);
                };
                if previous.as_str() == email.as_str() {
                    return Err(UserError::NoChange);
                }
                sink.write(UserEvent::UserEmailChanged { email, previous }, self)
                    .await;
            }
            UserCommand::Disable { reason } => {
                if self.disabled.is_some() {
                    return Err(UserError::AlreadyDisabled);
                }
                sink.write(UserEvent::UserDisabled { reason }, self).await;
                self.end_all_sessions(SessionEndReason::Disabled, sink)
                    .await;
            }
            UserCommand::Enable => {
                if self.disabled.is_none() {
                    return Err(UserError::NotDisabled);
                }
                sink.write(UserEvent::UserEnabled, self).await;
            }
            UserCommand::Lock => {
                let whole = self
                    .locked
                    .as_ref()
                    .is_some_and(|l| l.scope == LockScope::Account);
                if whole && !self.lock_expired(now) {
                    return Err(UserError::AlreadyLocked);
                }
                // As in RecordFailedLogin: a lock that ran out is lifted first, so the history says
                // so and the counter restarts.
                self.lift_expired_lock(now, sink).await;
                let failed_attempts = self.failed_attempts;
                sink.write(
                    UserEvent::UserLocked {
                        reason: LockReason::Admin,
                        failed_attempts,
                        until: None,
                        scope: LockScope::Account,
                    },
                    self,
                )
                .await;
                self.end_all_sessions(SessionEndReason::Locked, sink).await;
            }
            UserCommand::Unlock => {
                if self.locked.is_none() {
                    return Err(UserError::NotLocked);
                }
                sink.write(
                    UserEvent::UserUnlocked {
                        reason: UnlockReason::Admin,
                    },
                    self,
                )
                .await;
            }
            UserCommand::LinkExternalIdentity { provider, subject } => {
                if self
                    .external_identities
                    .contains(&(provider, subject.clone()))
                {
                    return Err(UserError::NoChange);
                }
                // One Google and one GitHub account per user: a second one with the same
                // address does not join the first. (SAML NameIDs come one per configuration.)
                if provider != IdentityProvider::Saml
                    && self.external_identities.iter().any(|(p, _)| *p == provider)
                {
                    return Err(UserError::OtherIdentityLinked);
                }
                sink.write(
                    UserEvent::ExternalIdentityLinked { provider, subject },
                    self,
                )
                .await;
            }
            UserCommand::UnlinkExternalIdentity { provider, subject } => {
                if !self
                    .external_identities
                    .contains(&(provider, subject.clone()))
                {
                    return Err(UserError::IdentityNotLinked);
                }
                sink.write(
                    UserEvent::ExternalIdentityUnlinked { provider, subject },
                    self,
                )
                .await;
            }
            UserCommand::RequireTwoFactor { required } => {
                if required == self.two_factor_required {
                    return Err(UserError::NoChange);
                }
                sink.write(UserEvent::TwoFactorRequirementChanged { required }, self)
                    .await;
            }
            UserCommand::AddToTeam {
                team_id,
                team_sso_managed,
                via_sso,
            } => {
                if team_sso_managed && !via_sso {
                    return Err(UserError::TeamManagedBySso);
                }
                if self.teams.contains_key(&team_id) {
                    return Err(UserError::AlreadyInTeam);
                }
                sink.write(UserEvent::UserAddedToTeam { team_id, via_sso }, self)
                    .await;
            }
            UserCommand::RemoveFromTeam {
                team_id,
                team_sso_managed,
                via_sso,
            } => {
                if team_sso_managed && !via_sso {
                    return Err(UserError::TeamManagedBySso);
                }
                if !self.teams.contains_key(&team_id) {
                    return Err(UserError::NotInTeam);
                }
                sink.write(UserEvent::UserRemovedFromTeam { team_id, via_sso }, self)
                    .await;
            }
            UserCommand::RecordFailedLogin {
                method,
                device_id,
                device_trusted,
                lockout,
            } => {
                // A disabled or locked user cannot log in whatever the password: the attempt is
                // refused without an event (the caller counts it in a metric), so a flood of
                // attempts at a locked user does not grow its history.
                self.may_log_in(now, device_trusted)?;
                self.lift_expired_lock(now, sink).await;
                let scope = failure_scope(lockout, device_trusted);
                let failed_attempts = self.failures(scope) + 1;
                sink.write(
                    UserEvent::LoginFailed {
                        method,
                        reason: LoginFailure::WrongPassword,
                        failed_attempts,
                        device_id,
                        scope,
                    },
                    self,
                )
                .await;
                self.lock_on_failures(failed_attempts, scope, lockout, now, sink)
                    .await;
            }
            UserCommand::RecordLogin(login) => {
                let same_hash = match (&login.verified_hash, &self.password_hash) {
                    (Some(verified), Some(current)) => verified.matches(current),
                    (None, _) => true,
                    (Some(_), None) => false,
                };
                if !same_hash {
                    return Err(UserError::CredentialChanged);
                }
                self.may_log_in(now, login.device_trusted)?;
                // A SAML login was authenticated by the identity provider, which owns the
                // user's second factor (decision 0015); every other method owes chronid's.
                if login.method != LoginMethod::Sso
                    && second_factor(self, login.two_factor, login.device_trusted).is_some()
                {
                    return Err(UserError::SecondFactorDue);
                }
                self.write_login(*login, sink, now).await;
            }
            UserCommand::Logout { session_id } => {
                if !self.sessions.contains_key(&session_id) {
                    return Err(UserError::SessionNotFound);
                }
                sink.write(UserEvent::UserLoggedOut { session_id }, self)
                    .await;
            }
            UserCommand::DisableForInactivity {
                max_inactivity_days,
            } => {
                if self.disabled.is_some() {
                    return Err(UserError::AlreadyDisabled);
                }
                let last_active = self.last_login_at.max(self.password_changed_at);
                let limit = Duration::days(i64::from(max_inactivity_days));
                if last_active.is_none_or(|t| now - t <= limit) {
                    return Err(UserError::NotInactive);
                }
                sink.write(
                    UserEvent::UserDisabled {
                        reason: DisableReason::Inactivity,
                    },
                    self,
                )
                .await;
                self.end_all_sessions(SessionEndReason::Disabled, sink)
                    .await;
            }
            UserCommand::RevokeSession { session_id } => {
                if !self.sessions.contains_key(&session_id) {
                    return Err(UserError::SessionNotFound);
                }
                sink.write(
                    UserEvent::SessionsEnded {
                        session_ids: vec![session_id],
                        reason: SessionEndReason::Revoked,
                    },
                    self,
                )
                .await;
            }
            // Listed, not caught with `_`, so a new command cannot slip past both matches.
            auth @ (UserCommand::RequestPasswordReset { .. }
            | UserCommand::RecordResetEmail { .. }
            | UserCommand::RequirePasswordChange { .. }
            | UserCommand::SetPasswordWithToken(_)
            | UserCommand::ChangePassword(_)
            | UserCommand::IssueChallenge { .. }
            | UserCommand::RecordCodeDelivery { .. }
            | UserCommand::AnswerChallenge(_)
            | UserCommand::EnrolTotp
            | UserCommand::ConfirmTotp { .. }
            | UserCommand::ResetTotp { .. }
            | UserCommand::DisableTotp { .. }
            | UserCommand::TurnOffTwoFactor
            | UserCommand::ChangeTwoFactorChannel { .. }) => {
                return self.handle_auth(auth, services, sink).await
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        self.apply_event(event);
    }
}

/// Which counter a failure from a device counts on under `lockout`.
fn failure_scope(lockout: Lockout, device_trusted: bool) -> LockScope {
    if lockout.mode == LockoutMode::UntrustedDevices && !device_trusted {
        LockScope::UntrustedDevices
    } else {
        LockScope::Account
    }
}
