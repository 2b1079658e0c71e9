//! How each event changes the User: the aggregate's `apply`, which never fails and never decides.

use super::*;
use crate::values::TwoFactorChannel;

impl User {
    pub(super) fn apply_event(&mut self, event: UserEvent) {
        if event.ends_device_trust().is_some() {
            // Devices trusted before this event are not trusted after it, whether or not
            // their revocation gets written.
            self.trust_epoch += 1;
        }
        match event {
            UserEvent::UserRegistered {
                user_id,
                account_id,
                email,
                username,
                first_name,
                last_name,
                phone,
                language,
                roles,
                invited,
                password_hash,
                password_changed_at,
                sso_managed,
                ..
            } => {
                self.id = Some(user_id);
                self.account_id = Some(account_id);
                self.email = Some(email);
                self.username = username;
                self.first_name = first_name;
                self.last_name = last_name;
                self.phone = phone;
                self.language = Some(language);
                self.roles = roles;
                self.invited = invited;
                self.password_hash = password_hash;
                self.password_changed_at = password_changed_at;
                self.sso_managed = sso_managed;
            }
            UserEvent::UserProfileUpdated { changes } => {
                if let Some(v) = changes.first_name {
                    self.first_name = v;
                }
                if let Some(v) = changes.last_name {
                    self.last_name = v;
                }
                if let Some(v) = changes.phone {
                    self.phone = v;
                    self.phone_verified = false;
                }
                if let Some(v) = changes.language {
                    self.language = Some(v);
                }
            }
            UserEvent::UserRolesChanged { roles, .. } => self.roles = roles,
            UserEvent::UserEmailChanged { email, .. } => {
                self.email = Some(email);
                self.email_verified = false;
                // Links sent to the old address die with it.
                self.reset_requests.clear();
            }
            UserEvent::UserUsernameChanged { username, .. } => self.username = username,
            UserEvent::UserPhoneVerified { .. } => self.phone_verified = true,
            UserEvent::UserEmailVerified { .. } => self.email_verified = true,
            UserEvent::UserInvitationAccepted => self.invited = false,
            UserEvent::UserDisabled { reason } => {
                self.disabled = Some(reason);
                self.challenges.clear();
            }
            UserEvent::UserEnabled => self.disabled = None,
            UserEvent::UserLocked {
                reason,
                until,
                scope,
                ..
            } => {
                self.locked = Some(LockState {
                    reason,
                    until,
                    scope,
                });
                if scope == LockScope::Account {
                    self.challenges.clear();
                }
            }
            UserEvent::UserUnlocked { .. } => {
                // A lock of untrusted devices lifting restarts their count only: it must not
                // wipe failures on the user's own counter (a session's wrong secrets).
                let scope = self.locked.take().map(|l| l.scope);
                self.untrusted_failed_attempts = 0;
                if scope != Some(LockScope::UntrustedDevices) {
                    self.failed_attempts = 0;
                }
            }
            UserEvent::UserLanguageChanged { language } => self.language = Some(language),
            UserEvent::PasswordChanged {
                password_hash,
                changed_at,
                ..
            } => {
                self.password_hash = Some(password_hash);
                self.password_changed_at = Some(changed_at);
                self.invited = false;
                // Every outstanding link, change token and challenge dies with the old
                // password, and so does the trust of every device.
                self.reset_requests.clear();
                self.change_tokens.clear();
                self.challenges.clear();
            }
            UserEvent::PasswordResetRequested {
                request_id,
                token_hash,
                expires_at,
                requested_at,
                ..
            } => {
                auth::remember(&mut self.resets_requested, requested_at, RESETS_PER_WINDOW);
                self.reset_requests.insert(
                    request_id,
                    PendingToken {
                        token_hash,
                        expires_at,
                        delivery_recorded: false,
                    },
                );
                auth::prune(&mut self.reset_requests);
            }
            UserEvent::PasswordResetEmailSent { request_id }
            | UserEvent::PasswordResetEmailFailed { request_id, .. } => {
                if let Some(r) = self.reset_requests.get_mut(&request_id) {
                    r.delivery_recorded = true;
                }
            }
            UserEvent::PasswordResetCompleted { request_id } => {
                self.reset_requests.remove(&request_id);
            }
            UserEvent::PasswordChangeRequired {
                change_id,
                token_hash,
                expires_at,
            } => {
                self.change_tokens.insert(
                    change_id,
                    PendingToken {
                        token_hash,
                        expires_at,
                        delivery_recorded: false,
                    },
                );
                auth::prune(&mut self.change_tokens);
            }
            UserEvent::TwoFactorChallengeIssued {
                challenge_id,
                channel,
                purpose,
                issued_at,
                code_hash,
                device_id,
                expires_at,
                max_attempts,
                ..
            } => {
                if code_hash.is_some() {
                    auth::remember(&mut self.codes_issued, issued_at, CODES_PER_WINDOW);
                }
                self.challenges.insert(
                    challenge_id,
                    ChallengeState {
                        channel,
                        purpose,
                        code_hash,
                        device_id,
                        expires_at,
                        max_attempts,
                        attempts: 0,
                        delivery_recorded: false,
                    },
                );
                auth::prune(&mut self.challenges);
            }
            UserEvent::TwoFactorCodeDelivered { challenge_id, .. }
            | UserEvent::TwoFactorCodeDeliveryFailed { challenge_id, .. } => {
                if let Some(c) = self.challenges.get_mut(&challenge_id) {
                    c.delivery_recorded = true;
                }
            }
            UserEvent::TwoFactorChallengePassed { challenge_id, .. } => {
                self.challenges.remove(&challenge_id);
            }
            UserEvent::TwoFactorChallengeFailed {
                challenge_id,
                attempts,
                failed_attempts,
                scope,
                ..
            } => {
                if let Some(c) = self.challenges.get_mut(&challenge_id) {
                    c.attempts = attempts;
                }
                if let Some(n) = failed_attempts {
                    self.set_failures(scope, n);
                }
            }
            UserEvent::PasswordChangeFailed { failed_attempts }
            | UserEvent::TotpCodeRejected {
                failed_attempts, ..
            } => self.failed_attempts = failed_attempts,
            UserEvent::LoginSucceeded {
                method,
                session_id,
                session_token_hash,
                session_expires_at,
                device_id,
                at,
            } => {
                self.failed_attempts = 0;
                self.untrusted_failed_attempts = 0;
                self.last_login_at = Some(at);
                self.invited = false;
                self.sessions.retain(|_, s| s.expires_at > at);
                self.sessions.insert(
                    session_id,
                    SessionState {
                        token_hash: session_token_hash,
                        expires_at: session_expires_at,
                        opened_at: Some(at),
                        method: Some(method),
                        device_id,
                    },
                );
            }
            UserEvent::LoginFailed {
                failed_attempts,
                scope,
                reason,
                ..
            } => {
                // Version 1 recorded refused logins of locked or disabled users without counting.
                if reason == LoginFailure::WrongPassword {
                    self.set_failures(scope, failed_attempts);
                }
            }
            UserEvent::UserLoggedOut { session_id } => {
                self.sessions.remove(&session_id);
            }
            UserEvent::SessionsEnded { session_ids, .. } => {
                for id in session_ids {
                    self.sessions.remove(&id);
                }
            }
            UserEvent::TwoFactorRequirementChanged { required } => {
                self.two_factor_required = required
            }
            UserEvent::TwoFactorChannelChanged { channel } => self.two_factor_channel = channel,
            UserEvent::TotpEnrolled { secret_sealed } => self.totp_pending = Some(secret_sealed),
            UserEvent::TotpReset {
                secret_sealed,
                keeps_current,
            } => {
                if !keeps_current {
                    // A version 1 reset: the old authenticator ended there.
                    self.totp = None;
                }
                self.totp_pending = Some(secret_sealed);
            }
            UserEvent::TotpConfirmed { step } => {
                match (self.totp_pending.take(), &mut self.totp) {
                    (Some(secret_sealed), _) => {
                        self.totp = Some(TotpState {
                            secret_sealed,
                            last_step: Some(step),
                        });
                    }
                    (None, Some(t)) => t.last_step = Some(step),
                    (None, None) => {}
                }
                self.two_factor_channel = TwoFactorChannel::Totp;
            }
            UserEvent::TotpCodeUsed { step } => {
                if let Some(t) = &mut self.totp {
                    t.last_step = Some(step);
                }
            }
            UserEvent::TotpDisabled { .. } => {
                self.totp = None;
                self.totp_pending = None;
                if self.two_factor_channel == TwoFactorChannel::Totp {
                    self.two_factor_channel = TwoFactorChannel::default();
                }
            }
            UserEvent::ExternalIdentityLinked { provider, subject } => {
                self.external_identities.insert((provider, subject));
                self.invited = false;
            }
            UserEvent::ExternalIdentityUnlinked { provider, subject } => {
                self.external_identities.remove(&(provider, subject));
            }
            UserEvent::UserAddedToTeam { team_id, via_sso } => {
                self.teams.insert(team_id, via_sso);
            }
            UserEvent::UserRemovedFromTeam { team_id, .. } => {
                self.teams.remove(&team_id);
            }
        }
    }
}
