//! The User's credentials beyond the first login: password reset and change, two-factor
//! challenges, and the authenticator app (TOTP).
//!
//! Tokens for links are drawn by the caller (who shows them once) and arrive here as hashes; the
//! one-time codes of challenges are drawn here through the `Random` port, kept as a keyed digest
//! for checking and sealed for the notifier, which delivers them. TOTP secrets are drawn through
//! the `TotpAlgorithm` port and kept sealed; a code is accepted only for a time step later than
//! the last one accepted, so a code works once.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::challenge::code_context;
use super::command::{ChangePassword, Lockout};
use super::{
    second_factor, ChallengePurpose, LockScope, PasswordChangeMethod, SessionEndReason, TotpAction,
    User, UserCommand, UserError, UserEvent,
};
use crate::values::{OneTimeCode, Password, StoredSecret, TwoFactorChannel};
use crate::Services;

/// How long a one-time code of a challenge is valid.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(10);
/// Wrong codes a challenge takes before it is dead.
pub const CHALLENGE_MAX_ATTEMPTS: u32 = 5;
/// At most this many codes are delivered (email, SMS, voice) to a user per `CODE_WINDOW`.
pub const CODES_PER_WINDOW: usize = 5;
pub const CODE_WINDOW: Duration = Duration::minutes(15);
/// At most this many reset links are sent to a user per `RESET_WINDOW`.
pub const RESETS_PER_WINDOW: usize = 3;
pub const RESET_WINDOW: Duration = Duration::hours(1);
/// Outstanding reset requests, change tokens and challenges kept per user (the newest).
const KEEP_PENDING: usize = 10;

/// A reset request or password-change token not used yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingToken {
    pub token_hash: StoredSecret,
    pub expires_at: DateTime<Utc>,
    /// Whether the notifier recorded the email's outcome (reset requests only).
    #[serde(default)]
    pub delivery_recorded: bool,
}

/// A two-factor challenge not passed yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChallengeState {
    pub channel: TwoFactorChannel,
    pub purpose: ChallengePurpose,
    /// Keyed digest of the code; None for TOTP.
    pub code_hash: Option<StoredSecret>,
    pub device_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub max_attempts: u32,
    pub attempts: u32,
    #[serde(default)]
    pub delivery_recorded: bool,
}

/// Keeps the newest `KEEP_PENDING` entries of a map keyed by UUID v7 (time-ordered).
pub(super) fn prune<V>(map: &mut std::collections::BTreeMap<Uuid, V>) {
    while map.len() > KEEP_PENDING {
        map.pop_first();
    }
}

/// Keeps the newest `keep` times, `at` included.
pub(super) fn remember(times: &mut Vec<DateTime<Utc>>, at: DateTime<Utc>, keep: usize) {
    times.push(at);
    times.sort();
    let excess = times.len().saturating_sub(keep);
    times.drain(..excess);
}

/// When another item may be sent, if `limit` were sent within `window` before `now` (`times`
/// holds the newest `limit`).
fn retry_after(
    times: &[DateTime<Utc>],
    limit: usize,
    window: Duration,
    now: DateTime<Utc>,
) -> Option<u64> {
    if times.len() < limit {
        return None;
    }
    let oldest = times.first()?;
    let free_at = *oldest + window;
    (free_at > now).then(|| (free_at - now).num_seconds().max(1) as u64)
}

impl User {
    /// Whether the password is past `validity_days` at `now` (a user without a password has
    /// nothing to expire).
    pub fn password_expired(&self, validity_days: Option<u16>, now: DateTime<Utc>) -> bool {
        match (validity_days, self.password_changed_at, &self.password_hash) {
            (Some(days), Some(changed), Some(_)) => {
                now >= changed + Duration::days(i64::from(days))
            }
            _ => false,
        }
    }

    /// Whether the user has a confirmed authenticator.
    pub fn totp_enabled(&self) -> bool {
        self.totp.is_some()
    }

    /// Whether a login must set up an authenticator: an administrator requires one and none is
    /// confirmed.
    pub fn enrolment_due(&self) -> bool {
        self.two_factor_required && !self.totp_enabled()
    }

    /// When another code may be delivered, if the limit is reached at `now`.
    pub fn codes_retry_after(&self, now: DateTime<Utc>) -> Option<u64> {
        retry_after(&self.codes_issued, CODES_PER_WINDOW, CODE_WINDOW, now)
    }

    /// The step of `code` under the confirmed authenticator if it is later than the last
    /// accepted one; `Err(TotpCodeReused)` if it matches only steps already used,
    /// `Err(TotpCodeInvalid)` if it matches none.
    pub(super) fn totp_step(
        &self,
        code: &OneTimeCode,
        services: &Services,
        now: DateTime<Utc>,
    ) -> Result<u64, UserError> {
        let Some(totp) = &self.totp else {
            return Err(UserError::TotpNotEnabled);
        };
        let secret = services.sealer.open(&totp.secret_sealed)?;
        let steps = services.totp.matching_steps(&secret, code.expose(), now);
        if steps.is_empty() {
            return Err(UserError::TotpCodeInvalid);
        }
        steps
            .into_iter()
            .find(|s| totp.last_step.is_none_or(|last| *s > last))
            .ok_or(UserError::TotpCodeReused)
    }

    /// The step of `code` under the pending authenticator (any matching step: none was used).
    pub(super) fn pending_totp_step(
        &self,
        code: &OneTimeCode,
        services: &Services,
        now: DateTime<Utc>,
    ) -> Result<u64, UserError> {
        let Some(pending) = &self.totp_pending else {
            return Err(UserError::TotpNotEnrolled);
        };
        let secret = services.sealer.open(pending)?;
        // A replacement's first code must not be one the old authenticator already used (the
        // same phone app may hold both for a moment).
        let last = self.totp.as_ref().and_then(|t| t.last_step);
        services
            .totp
            .matching_steps(&secret, code.expose(), now)
            .into_iter()
            .find(|s| last.is_none_or(|l| *s > l))
            .ok_or(UserError::TotpCodeInvalid)
    }

    /// Records a wrong secret given from a session (`event` built with the new count) and locks
    /// the whole user at the limit.
    pub(super) async fn fail_session_check(
        &mut self,
        event: impl FnOnce(u32) -> UserEvent,
        lockout: Lockout,
        now: DateTime<Utc>,
        sink: &EventSink<Self>,
    ) {
        let failed_attempts = self.failed_attempts + 1;
        sink.write(event(failed_attempts), self).await;
        self.lock_on_failures(failed_attempts, LockScope::Account, lockout, now, sink)
            .await;
    }

    pub(super) fn new_password_expiry(
        validity_days: Option<u16>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        validity_days.map(|d| now + Duration::days(i64::from(d)))
    }

    /// Refuses a new password equal to the current one.
    pub(super) async fn refuse_reuse(
        &self,
        new: &Password,
        services: &Services,
    ) -> Result<(), UserError> {
        if let Some(hash) = &self.password_hash {
            if services.hasher.verify(new, hash).await? {
                return Err(UserError::PasswordReused);
            }
        }
        Ok(())
    }

    pub(super) async fn handle_auth(
        &mut self,
        command: UserCommand,
        services: &Services,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        let now = services.clock.now();
        match command {
            UserCommand::RequestPasswordReset {
                request_id,
                token_hash,
                token_sealed,
                initiated_by,
                expires_at,
            } => {
                if self.disabled.is_some() {
                    return Err(UserError::Disabled);
                }
                if let Some(retry_after_secs) =
                    retry_after(&self.resets_requested, RESETS_PER_WINDOW, RESET_WINDOW, now)
                {
                    return Err(UserError::TooManyResets { retry_after_secs });
                }
                sink.write(
                    UserEvent::PasswordResetRequested {
                        request_id,
                        requested_at: now,
                        token_hash,
                        token_sealed: Some(token_sealed),
                        initiated_by,
                        expires_at,
                    },
                    self,
                )
                .await;
            }
            UserCommand::RecordResetEmail { request_id, error } => {
                let pending = self
                    .reset_requests
                    .get(&request_id)
                    .ok_or(UserError::ResetTokenInvalid)?;
                if pending.delivery_recorded {
                    return Err(UserError::DeliveryAlreadyRecorded);
                }
                let event = match error {
                    None => UserEvent::PasswordResetEmailSent { request_id },
                    Some(error) => UserEvent::PasswordResetEmailFailed { request_id, error },
                };
                sink.write(event, self).await;
            }
            UserCommand::RequirePasswordChange {
                change_id,
                token_hash,
                expires_at,
                password_validity_days,
                device_trusted,
                two_factor,
            } => {
                self.may_log_in(now, device_trusted)?;
                // The caller's decision may be stale: a second factor now due comes first.
                if second_factor(self, two_factor, device_trusted).is_some() {
                    return Err(UserError::SecondFactorDue);
                }
                if !self.password_expired(password_validity_days, now) {
                    return Err(UserError::PasswordNotExpired);
                }
                sink.write(
                    UserEvent::PasswordChangeRequired {
                        change_id,
                        token_hash,
                        expires_at,
                    },
                    self,
                )
                .await;
            }
            UserCommand::SetPasswordWithToken(set) => {
                self.set_password_with_token(*set, services, sink, now)
                    .await?;
            }
            UserCommand::ChangePassword(change) => {
                let ChangePassword {
                    current_password,
                    new_password,
                    password_validity_days,
                    keep_session,
                    lockout,
                } = *change;
                let right = match &self.password_hash {
                    Some(hash) => services.hasher.verify(&current_password, hash).await?,
                    None => false,
                };
                if !right {
                    // Recorded (it counts), not refused; the caller reads the outcome.
                    self.fail_session_check(
                        |failed_attempts| UserEvent::PasswordChangeFailed { failed_attempts },
                        lockout,
                        now,
                        sink,
                    )
                    .await;
                    return Ok(());
                }
                self.refuse_reuse(&new_password, services).await?;
                let password_hash = services.hasher.hash(&new_password).await?;
                sink.write(
                    UserEvent::PasswordChanged {
                        password_hash,
                        method: PasswordChangeMethod::SelfService,
                        changed_at: now,
                        expires_at: Self::new_password_expiry(password_validity_days, now),
                    },
                    self,
                )
                .await;
                self.end_sessions(SessionEndReason::PasswordChanged, keep_session, sink)
                    .await;
            }
            UserCommand::IssueChallenge {
                challenge_id,
                channel,
                device_id,
                device_trusted,
            } => {
                self.may_log_in(now, device_trusted)?;
                let (code_hash, code_sealed) = match channel {
                    // Only a confirmed authenticator is a second factor; one being set up is
                    // shown only after another factor passed (see `answer_challenge`).
                    TwoFactorChannel::Totp if !self.totp_enabled() => {
                        return Err(UserError::TotpNotEnabled)
                    }
                    TwoFactorChannel::Totp => (None, None),
                    TwoFactorChannel::Sms | TwoFactorChannel::Voice if self.phone.is_none() => {
                        return Err(UserError::PhoneRequired)
                    }
                    _ => {
                        if let Some(retry_after_secs) = self.codes_retry_after(now) {
                            return Err(UserError::TooManyCodes { retry_after_secs });
                        }
                        let code = OneTimeCode::from_number(services.random.below(1_000_000));
                        let digest = services
                            .sealer
                            .digest(&code_context(challenge_id), code.expose().as_bytes())?;
                        let sealed = services.sealer.seal(code.expose().as_bytes())?;
                        (Some(digest), Some(sealed))
                    }
                };
                sink.write(
                    UserEvent::TwoFactorChallengeIssued {
                        challenge_id,
                        channel,
                        purpose: ChallengePurpose::SignIn,
                        issued_at: now,
                        code_hash,
                        code_sealed,
                        device_id,
                        expires_at: now + CHALLENGE_LIFETIME,
                        max_attempts: CHALLENGE_MAX_ATTEMPTS,
                    },
                    self,
                )
                .await;
            }
            UserCommand::RecordCodeDelivery {
                challenge_id,
                error,
            } => {
                let challenge = self
                    .challenges
                    .get(&challenge_id)
                    .ok_or(UserError::ChallengeNotFound)?;
                if challenge.delivery_recorded {
                    return Err(UserError::DeliveryAlreadyRecorded);
                }
                let channel = challenge.channel;
                let event = match error {
                    None => UserEvent::TwoFactorCodeDelivered {
                        challenge_id,
                        channel,
                    },
                    Some(error) => UserEvent::TwoFactorCodeDeliveryFailed {
                        challenge_id,
                        channel,
                        error,
                    },
                };
                sink.write(event, self).await;
            }
            UserCommand::AnswerChallenge(answer) => {
                self.answer_challenge(*answer, services, sink, now).await?;
            }
            UserCommand::EnrolTotp => {
                if self.totp_enabled() {
                    return Err(UserError::TotpAlreadyEnabled);
                }
                let secret = services.totp.new_secret();
                let secret_sealed = services.sealer.seal(&secret)?;
                sink.write(UserEvent::TotpEnrolled { secret_sealed }, self)
                    .await;
            }
            UserCommand::ConfirmTotp { code } => {
                if self.totp_pending.is_none() {
                    return Err(if self.totp_enabled() {
                        UserError::TotpAlreadyEnabled
                    } else {
                        UserError::TotpNotEnrolled
                    });
                }
                let step = self.pending_totp_step(&code, services, now)?;
                sink.write(UserEvent::TotpConfirmed { step }, self).await;
            }
            UserCommand::ResetTotp {
                code,
                keep_session,
                lockout,
            } => {
                if !self.totp_enabled() {
                    return Err(UserError::TotpNotEnabled);
                }
                let step = match self.totp_step(&code, services, now) {
                    Ok(step) => step,
                    Err(refused) => {
                        return self
                            .reject_totp_code(TotpAction::Reset, refused, lockout, now, sink)
                            .await
                    }
                };
                sink.write(UserEvent::TotpCodeUsed { step }, self).await;
                let secret_sealed = services.sealer.seal(&services.totp.new_secret())?;
                sink.write(
                    UserEvent::TotpReset {
                        secret_sealed,
                        keeps_current: true,
                    },
                    self,
                )
                .await;
                self.end_sessions(SessionEndReason::TotpReset, keep_session, sink)
                    .await;
            }
            UserCommand::DisableTotp { code, lockout } => {
                if !self.totp_enabled() {
                    return Err(UserError::TotpNotEnabled);
                }
                if self.two_factor_required {
                    return Err(UserError::TwoFactorRequired);
                }
                let step = match self.totp_step(&code, services, now) {
                    Ok(step) => step,
                    Err(refused) => {
                        return self
                            .reject_totp_code(TotpAction::Disable, refused, lockout, now, sink)
                            .await
                    }
                };
                sink.write(UserEvent::TotpCodeUsed { step }, self).await;
                sink.write(UserEvent::TotpDisabled { by_admin: false }, self)
                    .await;
            }
            UserCommand::TurnOffTwoFactor => {
                if !self.two_factor_required && self.totp.is_none() && self.totp_pending.is_none() {
                    return Err(UserError::NoChange);
                }
                if self.two_factor_required {
                    sink.write(
                        UserEvent::TwoFactorRequirementChanged { required: false },
                        self,
                    )
                    .await;
                }
                if self.totp.is_some() || self.totp_pending.is_some() {
                    sink.write(UserEvent::TotpDisabled { by_admin: true }, self)
                        .await;
                }
            }
            UserCommand::ChangeTwoFactorChannel { channel } => {
                if channel == self.two_factor_channel {
                    return Err(UserError::NoChange);
                }
                match channel {
                    TwoFactorChannel::Sms | TwoFactorChannel::Voice if self.phone.is_none() => {
                        return Err(UserError::PhoneRequired)
                    }
                    TwoFactorChannel::Totp if !self.totp_enabled() => {
                        return Err(UserError::TotpNotEnabled)
                    }
                    _ => {}
                }
                sink.write(UserEvent::TwoFactorChannelChanged { channel }, self)
                    .await;
            }
            // `User::handle` sends only the commands above here.
            _ => return Err(UserError::NoChange),
        }
        Ok(())
    }
}
