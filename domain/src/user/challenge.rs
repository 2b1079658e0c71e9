//! The steps of the User's second factor and password links that `handle_auth` calls: setting a
//! password with a reset token, answering a challenge (a delivered code or the authenticator),
//! recording a failed code, and writing the login a passed challenge opens; and which second
//! factor a login must pass.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use uuid::Uuid;

use super::auth::{ChallengeState, CHALLENGE_LIFETIME, CHALLENGE_MAX_ATTEMPTS};
use super::command::{AnswerChallenge, Lockout, PasswordToken, SetPasswordWithToken};
use super::{
    failure_scope, ChallengePurpose, CodeFailure, LockReason, PasswordChangeMethod, RecordLogin,
    SessionEndReason, TotpAction, UnlockReason, User, UserError, UserEvent,
};
use crate::values::TwoFactorChannel;
use crate::Services;

impl User {
    pub(super) async fn set_password_with_token(
        &mut self,
        set: SetPasswordWithToken,
        services: &Services,
        sink: &EventSink<Self>,
        now: DateTime<Utc>,
    ) -> Result<(), UserError> {
        let pending = match set.kind {
            PasswordToken::Reset => self.reset_requests.get(&set.id),
            PasswordToken::Change => self.change_tokens.get(&set.id),
        };
        let Some(pending) = pending.filter(|p| p.token_hash.matches(&set.token_hash)) else {
            return Err(UserError::ResetTokenInvalid);
        };
        if pending.expires_at <= now {
            return Err(UserError::ResetTokenExpired);
        }
        if self.disabled.is_some() {
            return Err(UserError::Disabled);
        }
        self.refuse_reuse(&set.new_password, services).await?;
        let password_hash = services.hasher.hash(&set.new_password).await?;
        let method = match set.kind {
            PasswordToken::Reset => PasswordChangeMethod::ResetLink,
            PasswordToken::Change => PasswordChangeMethod::Expired,
        };
        sink.write(
            UserEvent::PasswordChanged {
                password_hash,
                method,
                changed_at: now,
                expires_at: Self::new_password_expiry(set.password_validity_days, now),
            },
            self,
        )
        .await;
        if set.kind == PasswordToken::Reset {
            sink.write(
                UserEvent::PasswordResetCompleted { request_id: set.id },
                self,
            )
            .await;
            // The owner of the mailbox proved themselves: a lock from failed logins lifts (an
            // administrator's lock stays).
            if self
                .locked
                .as_ref()
                .is_some_and(|l| l.reason == LockReason::Policy)
            {
                sink.write(
                    UserEvent::UserUnlocked {
                        reason: UnlockReason::PasswordReset,
                    },
                    self,
                )
                .await;
            }
        }
        self.end_all_sessions(SessionEndReason::PasswordChanged, sink)
            .await;
        Ok(())
    }

    pub(super) async fn answer_challenge(
        &mut self,
        answer: AnswerChallenge,
        services: &Services,
        sink: &EventSink<Self>,
        now: DateTime<Utc>,
    ) -> Result<(), UserError> {
        let AnswerChallenge {
            challenge_id,
            code,
            login,
            lockout,
            password_validity_days,
            next,
        } = answer;
        let Some(challenge) = self.challenges.get(&challenge_id).cloned() else {
            return Err(UserError::ChallengeNotFound);
        };
        if challenge.attempts >= challenge.max_attempts {
            return Err(UserError::ChallengeExhausted);
        }
        if challenge.expires_at <= now {
            return Err(UserError::ChallengeExpired);
        }
        self.may_log_in(now, login.device_trusted)?;
        let verdict = match (&challenge.code_hash, challenge.purpose) {
            (Some(expected), _) => {
                let digest = services
                    .sealer
                    .digest(&code_context(challenge_id), code.expose().as_bytes())?;
                if digest.matches(expected) {
                    Ok(None)
                } else {
                    Err(UserError::CodeInvalid)
                }
            }
            (None, ChallengePurpose::SignIn) => self.totp_step(&code, services, now).map(Some),
            (None, ChallengePurpose::EnrolTotp) => {
                self.pending_totp_step(&code, services, now).map(Some)
            }
        };
        let step = match verdict {
            Ok(step) => step,
            // A wrong or replayed code is recorded (it uses up a try and counts towards a lock)
            // rather than refused, so the count survives; the caller reads the outcome from the
            // events.
            Err(
                refused @ (UserError::TotpCodeInvalid
                | UserError::CodeInvalid
                | UserError::TotpCodeReused),
            ) => {
                let reason = if refused == UserError::TotpCodeReused {
                    CodeFailure::Reused
                } else {
                    CodeFailure::Wrong
                };
                self.fail_challenge(challenge_id, &challenge, reason, &login, lockout, now, sink)
                    .await;
                return Ok(());
            }
            Err(other) => return Err(other),
        };
        if let Some(step) = step {
            let event = match challenge.purpose {
                ChallengePurpose::SignIn => UserEvent::TotpCodeUsed { step },
                ChallengePurpose::EnrolTotp => UserEvent::TotpConfirmed { step },
            };
            sink.write(event, self).await;
        }
        sink.write(
            UserEvent::TwoFactorChallengePassed {
                challenge_id,
                device_id: challenge.device_id,
            },
            self,
        )
        .await;
        if challenge.purpose == ChallengePurpose::SignIn && self.enrolment_due() {
            // The authenticator an administrator required is set up only now, behind the
            // factor the user already had.
            let secret_sealed = services.sealer.seal(&services.totp.new_secret())?;
            sink.write(UserEvent::TotpEnrolled { secret_sealed }, self)
                .await;
            sink.write(
                UserEvent::TwoFactorChallengeIssued {
                    challenge_id: next.challenge_id,
                    channel: TwoFactorChannel::Totp,
                    purpose: ChallengePurpose::EnrolTotp,
                    issued_at: now,
                    code_hash: None,
                    code_sealed: None,
                    device_id: challenge.device_id,
                    expires_at: now + CHALLENGE_LIFETIME,
                    max_attempts: CHALLENGE_MAX_ATTEMPTS,
                },
                self,
            )
            .await;
            return Ok(());
        }
        if self.password_expired(password_validity_days, now) {
            sink.write(
                UserEvent::PasswordChangeRequired {
                    change_id: next.change_id,
                    token_hash: next.change_token_hash,
                    expires_at: next.change_expires_at,
                },
                self,
            )
            .await;
            return Ok(());
        }
        self.write_login(login, sink, now).await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn fail_challenge(
        &mut self,
        challenge_id: Uuid,
        challenge: &ChallengeState,
        reason: CodeFailure,
        login: &RecordLogin,
        lockout: Lockout,
        now: DateTime<Utc>,
        sink: &EventSink<Self>,
    ) {
        let attempts = challenge.attempts + 1;
        let tries_left = challenge.max_attempts.saturating_sub(attempts);
        let scope = failure_scope(lockout, login.device_trusted);
        let failed_attempts = self.failures(scope) + 1;
        sink.write(
            UserEvent::TwoFactorChallengeFailed {
                challenge_id,
                attempts,
                exhausted: tries_left == 0,
                reason,
                tries_left,
                failed_attempts: Some(failed_attempts),
                scope,
            },
            self,
        )
        .await;
        self.lock_on_failures(failed_attempts, scope, lockout, now, sink)
            .await;
    }

    /// Records a wrong or reused authenticator code given to reset or disable it.
    pub(super) async fn reject_totp_code(
        &mut self,
        action: TotpAction,
        refused: UserError,
        lockout: Lockout,
        now: DateTime<Utc>,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        let reason = match refused {
            UserError::TotpCodeInvalid => CodeFailure::Wrong,
            UserError::TotpCodeReused => CodeFailure::Reused,
            other => return Err(other),
        };
        self.fail_session_check(
            |failed_attempts| UserEvent::TotpCodeRejected {
                action,
                reason,
                failed_attempts,
            },
            lockout,
            now,
            sink,
        )
        .await;
        Ok(())
    }

    /// The events of a successful login (the checks are the caller's).
    pub(super) async fn write_login(
        &mut self,
        login: RecordLogin,
        sink: &EventSink<Self>,
        now: DateTime<Utc>,
    ) {
        self.lift_expired_lock(now, sink).await;
        if let Some(language) = login.language.filter(|l| Some(l) != self.language.as_ref()) {
            sink.write(UserEvent::UserLanguageChanged { language }, self)
                .await;
        }
        sink.write(
            UserEvent::LoginSucceeded {
                method: login.method,
                session_id: login.session_id,
                session_token_hash: login.session_token_hash,
                session_expires_at: login.session_expires_at,
                device_id: login.device_id,
                at: now,
            },
            self,
        )
        .await;
    }
}

/// The first challenge a login must pass before a session, decided from the user, the account's
/// mode and the device: nothing, or a challenge on a channel. A confirmed authenticator is asked
/// at every login; otherwise a delivered code when the account's mode asks for one or an
/// administrator requires two-factor authentication of the user (whose authenticator, if still
/// to be set up, is enrolled only after that code: see `AnswerChallenge`). An authenticator being
/// set up is never a second factor.
pub fn second_factor(
    user: &User,
    mode: crate::values::TwoFactorMode,
    device_trusted: bool,
) -> Option<TwoFactorChannel> {
    use crate::values::TwoFactorMode;
    if user.totp_enabled() {
        return Some(TwoFactorChannel::Totp);
    }
    let asked = user.two_factor_required
        || match mode {
            TwoFactorMode::Off => false,
            TwoFactorMode::NewDevice => !device_trusted,
            TwoFactorMode::EveryLogin => true,
        };
    if !asked {
        return None;
    }
    Some(match user.two_factor_channel {
        TwoFactorChannel::Sms | TwoFactorChannel::Voice if user.phone.is_none() => {
            TwoFactorChannel::Email
        }
        TwoFactorChannel::Totp => TwoFactorChannel::Email,
        other => other,
    })
}

/// The context of a challenge code's keyed digest.
pub(super) fn code_context(challenge_id: Uuid) -> String {
    format!("2fa-code:{challenge_id}")
}
