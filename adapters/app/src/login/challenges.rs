//! Second factor at login (one-time codes by email, SMS or voice; the authenticator app), the
//! authenticator's self-service (enrol, confirm, reset, disable) and the preferred channel.
//!
//! A login that needs a second factor issues a challenge on the User (the code is drawn, kept
//! digested and sealed there; the notifier delivers it) and answers `two_factor_required` with
//! the challenge id. `login_challenges` routes the id back to its user. Answering it is one
//! command on the User, which decides the next step: an authenticator enrolment an administrator
//! required (only ever behind another factor), a password change if the password expired, or the
//! session; passing the last step trusts the device the challenge was issued to. Wrong codes
//! count as failed attempts and lock like wrong passwords.

use chronid_crypto::{enrolment, SessionToken, TotpEnrolment, UserToken, UserTokenKind};
use chronid_domain::device::{Device, DeviceCommand, DeviceError};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{
    AnswerChallenge, ChallengePurpose, CodeFailure, Lockout, LoginMethod, NextStep, RecordLogin,
    User, UserCommand, UserError, UserEvent,
};
use chronid_domain::values::{Language, OneTimeCode, StoredSecret, TwoFactorChannel};
use chronid_store::login_state::ChallengeRoute;
use chronid_store::CommandError;
use secrecy::SecretString;
use uuid::Uuid;

use super::{as_user, refused_login, LoginOutcome, NewSession};
use crate::external_login::{allows, login_method, provider_named};
use crate::password::CHANGE_TOKEN_LIFETIME;
use crate::{App, AppError, Principal};

/// A challenge the client must answer.
#[derive(Debug, Clone)]
pub struct ChallengeIssued {
    pub challenge_id: Uuid,
    pub channel: TwoFactorChannel,
    /// The device token the client should keep (trusted once the login is complete).
    pub device_token: SecretString,
    /// When the authenticator an administrator required is being set up: what to scan before
    /// answering.
    pub enrolment: Option<TotpEnrolment>,
}

pub(crate) fn challenge_not_found() -> AppError {
    AppError::from_domain(&UserError::ChallengeNotFound)
}

/// The answer to a wrong code, read from what the User recorded: the domain's refusal, with
/// the tries left.
pub(crate) fn code_refused(reason: CodeFailure, tries_left: u32) -> AppError {
    let refusal = match (reason, tries_left) {
        (_, 0) => return AppError::from_domain(&UserError::ChallengeExhausted),
        (CodeFailure::Reused, _) => UserError::TotpCodeReused,
        (CodeFailure::Wrong, _) => UserError::CodeInvalid,
    };
    let mut error =
        AppError::from_domain_with(&refusal, format!("{refusal} ({tries_left} tries left)"));
    error.tries_left = Some(tries_left);
    error
}

/// What a command that records its own refusals wrote: USR-LOCKED when it locked the user,
/// else the failure `failure` picks out of the events, if any.
pub(crate) fn recorded_failure<T>(
    events: &[UserEvent],
    failure: impl Fn(&UserEvent) -> Option<T>,
) -> Result<Option<T>, AppError> {
    if events
        .iter()
        .any(|e| matches!(e, UserEvent::UserLocked { .. }))
    {
        return Err(AppError::from_domain(&UserError::Locked));
    }
    Ok(events.iter().find_map(failure))
}

impl App {
    /// Issues the challenge of a login whose password was right, from the device given as
    /// (id, token, trusted).
    pub(crate) async fn issue_challenge(
        &self,
        user: &User,
        channel: TwoFactorChannel,
        device: (Uuid, SecretString, bool),
        route: (Option<&Language>, Option<&(String, String)>),
        facts: &RequestFacts,
    ) -> Result<ChallengeIssued, AppError> {
        let (language, external) = route;
        let Some(user_id) = user.id else {
            return Err(challenge_not_found());
        };
        let challenge_id = self.exec.services().ids.new_id();
        let command = UserCommand::IssueChallenge {
            challenge_id,
            channel,
            device_id: Some(device.0),
            device_trusted: device.2,
        };
        match self.on_user_id(user_id, command, facts).await {
            Ok(_) => {}
            Err(CommandError::Domain(e)) => return Err(refused_login(self, e)),
            Err(other) => return Err(other.into()),
        }
        self.route_challenge(challenge_id, user_id, language, external)
            .await?;
        Ok(ChallengeIssued {
            challenge_id,
            channel,
            device_token: device.1,
            enrolment: None,
        })
    }

    /// Routes a challenge id to its user (written only once the challenge is issued, so a
    /// refused login leaves no row behind).
    async fn route_challenge(
        &self,
        challenge_id: Uuid,
        user_id: Uuid,
        language: Option<&Language>,
        external: Option<&(String, String)>,
    ) -> Result<(), AppError> {
        let route = ChallengeRoute {
            user_id,
            language: language.map(|l| l.as_str().to_string()),
            external: external.cloned(),
        };
        self.challenges
            .route(challenge_id, &route, self.exec.services().clock.now())
            .await
            .map_err(AppError::internal)
    }

    async fn unroute_challenge(&self, challenge_id: Uuid) -> Result<(), AppError> {
        self.challenges
            .unroute(challenge_id)
            .await
            .map_err(AppError::internal)
    }

    /// The user a challenge id routes to, the login's language, the provider and subject of a
    /// Google or GitHub login, and the user as stored.
    async fn routed_challenge(
        &self,
        challenge_id: Uuid,
    ) -> Result<(Uuid, Option<Language>, Option<(String, String)>, User), AppError> {
        let ChallengeRoute {
            user_id,
            language,
            external,
        } = self
            .challenges
            .find(challenge_id)
            .await
            .map_err(AppError::internal)?
            .ok_or_else(challenge_not_found)?;
        let language = language.and_then(|l| Language::parse(&l).ok());
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        Ok((user_id, language, external, user))
    }

    /// Answers a login's challenge with a code; the client presents the device token it was
    /// given at login. The right code leads to the login's next step.
    #[tracing::instrument(name = "answer_challenge", skip_all, fields(actor = ?facts.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn answer_challenge(
        &self,
        challenge_id: Uuid,
        code: OneTimeCode,
        device_token: Option<String>,
        facts: &RequestFacts,
    ) -> Result<LoginOutcome, AppError> {
        let (user_id, language, external, user) = self.routed_challenge(challenge_id).await?;
        let via = external
            .as_ref()
            .and_then(|(p, s)| Some((provider_named(p)?, s.clone())));
        let challenge = user
            .challenges
            .get(&challenge_id)
            .cloned()
            .ok_or_else(challenge_not_found)?;
        let account_id = user.account_id.ok_or_else(challenge_not_found)?;
        let account = self.account(account_id).await?;
        // A Google or GitHub login the account stopped allowing since it began goes no further.
        if let Some((provider, _)) = &via {
            if !allows(&account, *provider) {
                return Err(AppError::new(
                    crate::AppCode::MethodNotAllowed,
                    "this account does not allow this login; use its other login options",
                ));
            }
        }
        let policy = account.policy;
        let facts = as_user(facts, user_id);
        // The device is the challenge's only when the client proves it with the token it got
        // at login; otherwise the client is a device of its own, never trusted by this answer.
        let presented = self
            .presented_device(&user, device_token.as_deref())
            .await?;
        let proven = presented.filter(|(id, _)| Some(*id) == challenge.device_id);
        let device_trusted = proven.is_some_and(|(_, trusted)| trusted);
        let services = self.exec.services();
        let now = services.clock.now();
        let session_id = services.ids.new_id();
        let minted = SessionToken::mint(user_id, session_id);
        let expires_at = now + self.sessions.policy.lifetime;
        let change_id = services.ids.new_id();
        let change = UserToken::mint(UserTokenKind::Change, user_id, change_id);
        let command = UserCommand::AnswerChallenge(Box::new(AnswerChallenge {
            challenge_id,
            code,
            login: RecordLogin {
                method: via
                    .as_ref()
                    .map_or(LoginMethod::Password, |(p, _)| login_method(*p)),
                session_id,
                session_token_hash: StoredSecret(minted.secret_hash),
                session_expires_at: expires_at,
                device_id: proven.map(|(id, _)| id),
                language: language.clone(),
                verified_hash: None,
                device_trusted,
                two_factor: policy.two_factor,
            },
            lockout: Lockout::of(&policy),
            // A Google or GitHub login does not use the password: its age asks nothing of it.
            password_validity_days: policy.password_validity_days.filter(|_| via.is_none()),
            next: NextStep {
                challenge_id: services.ids.new_id(),
                change_id,
                change_token_hash: StoredSecret(change.secret_hash),
                change_expires_at: now + CHANGE_TOKEN_LIFETIME,
            },
        }));
        let turn = self.sessions.serialize(user_id).await;
        let executed = self.on_user_id(user_id, command, &facts).await;
        drop(turn);
        let (committed, events) = match executed {
            Ok(done) => done,
            Err(CommandError::Domain(refused)) => return Err(refused_login(self, refused)),
            Err(other) => return Err(other.into()),
        };
        let failed = recorded_failure(&events, |e| match e {
            UserEvent::TwoFactorChallengeFailed {
                reason, tries_left, ..
            } => Some((*reason, *tries_left)),
            _ => None,
        });
        let failed = match failed {
            Ok(failed) => failed,
            Err(locked) => {
                self.unroute_challenge(challenge_id).await?;
                return Err(locked);
            }
        };
        if let Some((reason, tries_left)) = failed {
            // The route stays (pruned by the sweeper), so later answers hear "exhausted".
            return Err(code_refused(reason, tries_left));
        }
        // The client keeps the device token it proved, else gets one for a new device (which
        // this answer does not trust).
        let device_token = match (proven, device_token) {
            (Some(_), Some(token)) => SecretString::from(token),
            _ => self.register_device(user_id, account_id, &facts).await?.1,
        };
        self.unroute_challenge(challenge_id).await?;
        for event in events {
            match event {
                UserEvent::TwoFactorChallengeIssued {
                    challenge_id: next,
                    purpose: ChallengePurpose::EnrolTotp,
                    channel,
                    ..
                } => {
                    self.route_challenge(next, user_id, language.as_ref(), external.as_ref())
                        .await?;
                    return Ok(LoginOutcome::TwoFactorRequired(Box::new(ChallengeIssued {
                        challenge_id: next,
                        channel,
                        device_token,
                        enrolment: Some(self.enrolment_of(user_id).await?),
                    })));
                }
                UserEvent::PasswordChangeRequired { .. } => {
                    return Ok(LoginOutcome::PasswordChangeRequired {
                        change_token: change.token,
                    });
                }
                _ => {}
            }
        }
        if let Some((device_id, _)) = proven {
            self.trust_device(device_id, challenge_id, user.trust_epoch, &facts)
                .await;
        }
        // A Google or GitHub identity is linked only once the whole login passed.
        if let Some((provider, subject)) = &via {
            self.link_external(&user, *provider, subject, &facts).await;
        }
        self.record_activity(session_id, user_id, now).await?;
        Ok(LoginOutcome::Session(Box::new(NewSession {
            token: minted.token,
            session_id,
            user_id,
            account_id,
            expires_at,
            device_token: Some(device_token),
            position: committed.position(),
        })))
    }

    /// Sends a new code for a login waiting at its challenge, on the same channel, to the
    /// device that proves it with its token (as at login); the old challenge is forgotten.
    /// The user's issuance limit holds (`AUTH-TOO-MANY-CODES` with the seconds to wait); an
    /// authenticator challenge has nothing to send.
    #[tracing::instrument(name = "resend_challenge", skip_all, fields(actor = ?facts.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn resend_challenge(
        &self,
        challenge_id: Uuid,
        device_token: Option<String>,
        facts: &RequestFacts,
    ) -> Result<ChallengeIssued, AppError> {
        let (user_id, language, external, user) = self.routed_challenge(challenge_id).await?;
        let now = self.exec.services().clock.now();
        let challenge = user
            .challenges
            .get(&challenge_id)
            // An exhausted challenge stays exhausted: a new code would be new tries without
            // the password.
            .filter(|c| {
                c.purpose == ChallengePurpose::SignIn
                    && c.expires_at > now
                    && c.attempts < c.max_attempts
            })
            .cloned()
            .ok_or_else(challenge_not_found)?;
        if challenge.channel == TwoFactorChannel::Totp {
            return Err(challenge_not_found());
        }
        // Only the device the challenge was issued to may ask again.
        let presented = self
            .presented_device(&user, device_token.as_deref())
            .await?;
        let (Some((device_id, _)), Some(token)) = (
            presented.filter(|(id, _)| Some(*id) == challenge.device_id),
            device_token,
        ) else {
            return Err(challenge_not_found());
        };
        let facts = as_user(facts, user_id);
        // The old challenge is forgotten first, so two never stand for one login.
        self.unroute_challenge(challenge_id).await?;
        let issued = self
            .issue_challenge(
                &user,
                challenge.channel,
                (device_id, SecretString::from(token), false),
                (language.as_ref(), external.as_ref()),
                &facts,
            )
            .await;
        if let Err(error) = &issued {
            if error.code == "AUTH-TOO-MANY-CODES" {
                // Nothing was sent: the login may still answer the code it has.
                let route = ChallengeRoute {
                    user_id,
                    language: language.as_ref().map(|l| l.as_str().to_string()),
                    external,
                };
                self.challenges
                    .route(challenge_id, &route, now)
                    .await
                    .map_err(AppError::internal)?;
            }
        }
        issued
    }

    /// Trusts the device a login's last challenge was passed on (for `trust_for`, in the user's
    /// current trust epoch).
    async fn trust_device(
        &self,
        device_id: Uuid,
        challenge_id: Uuid,
        user_epoch: u32,
        facts: &RequestFacts,
    ) {
        let trust = DeviceCommand::Trust {
            challenge_id: Some(challenge_id),
            user_epoch,
            trust_for: self.trust_for,
        };
        match self
            .exec
            .execute::<Device>(&device_id.to_string(), trust, facts)
            .await
        {
            Ok(_) | Err(CommandError::Domain(DeviceError::AlreadyTrusted)) => {}
            Err(error) => {
                tracing::warn!(%device_id, %error, "the device of a passed challenge could not be trusted");
            }
        }
    }

    /// What the user's authenticator app needs to add the authenticator being set up.
    async fn totp_enrolment(&self, user: &User) -> Result<TotpEnrolment, AppError> {
        let Some(pending) = &user.totp_pending else {
            return Err(AppError::from_domain(&UserError::TotpNotEnrolled));
        };
        let secret = self
            .exec
            .services()
            .sealer
            .open(pending)
            .map_err(AppError::internal)?;
        let issuer = match user.account_id {
            Some(id) => self
                .account(id)
                .await?
                .name
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            None => String::new(),
        };
        let account_name = user
            .email
            .as_ref()
            .map(|e| e.as_str().to_string())
            .unwrap_or_default();
        enrolment(&secret, &issuer, &account_name).map_err(AppError::internal)
    }

    /// The enrolment of the user's pending (sealed) secret, read after the command that made it.
    async fn enrolment_of(&self, user_id: Uuid) -> Result<TotpEnrolment, AppError> {
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        self.totp_enrolment(&user).await
    }

    /// Starts (or restarts) enrolment of the caller's authenticator app.
    #[tracing::instrument(name = "enrol_my_totp", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn enrol_my_totp(
        &self,
        who: &Principal,
        facts: &RequestFacts,
    ) -> Result<TotpEnrolment, AppError> {
        let user_id = self.on_me(who, UserCommand::EnrolTotp, facts).await?;
        self.enrolment_of(user_id).await
    }

    #[tracing::instrument(name = "confirm_my_totp", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn confirm_my_totp(
        &self,
        who: &Principal,
        code: OneTimeCode,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        self.on_me(who, UserCommand::ConfirmTotp { code }, facts)
            .await
            .map(|_| ())
    }

    /// The caller's account's lockout rules.
    async fn my_lockout(&self, who: &Principal) -> Result<Lockout, AppError> {
        Ok(Lockout::of(&self.account(who.account_id).await?.policy))
    }

    /// Starts replacing the caller's authenticator (a current code is needed): the new secret
    /// is to be confirmed with `confirm_my_totp`; until then the old one still works. The
    /// user's other sessions end and their devices are no longer trusted. A wrong code counts
    /// as a failed attempt.
    #[tracing::instrument(name = "reset_my_totp", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn reset_my_totp(
        &self,
        who: &Principal,
        code: OneTimeCode,
        facts: &RequestFacts,
    ) -> Result<TotpEnrolment, AppError> {
        let command = UserCommand::ResetTotp {
            code,
            keep_session: who.session_id,
            lockout: self.my_lockout(who).await?,
        };
        let (user_id, events) = self.on_me_returning(who, command, facts).await?;
        refused_totp_code(&events)?;
        self.forget_user_activity(user_id).await?;
        self.enrolment_of(user_id).await
    }

    /// Turns the caller's authenticator off (a current code is needed; a wrong one counts as a
    /// failed attempt).
    #[tracing::instrument(name = "disable_my_totp", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn disable_my_totp(
        &self,
        who: &Principal,
        code: OneTimeCode,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        let command = UserCommand::DisableTotp {
            code,
            lockout: self.my_lockout(who).await?,
        };
        let (_, events) = self.on_me_returning(who, command, facts).await?;
        refused_totp_code(&events)
    }

    #[tracing::instrument(name = "change_my_two_factor_channel", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn change_my_two_factor_channel(
        &self,
        who: &Principal,
        channel: TwoFactorChannel,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        let (user_id, _) = Self::session_caller(who)?;
        match self
            .on_user_id(
                user_id,
                UserCommand::ChangeTwoFactorChannel { channel },
                facts,
            )
            .await
        {
            // The channel the user already has: idempotent.
            Ok(_) | Err(CommandError::Domain(UserError::NoChange)) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}

/// The refusal of an authenticator code the User recorded as rejected (and counted), if it did.
pub(crate) fn refused_totp_code(events: &[UserEvent]) -> Result<(), AppError> {
    match recorded_failure(events, |e| match e {
        UserEvent::TotpCodeRejected { reason, .. } => Some(*reason),
        _ => None,
    })? {
        Some(CodeFailure::Wrong) => Err(AppError::from_domain(&UserError::TotpCodeInvalid)),
        Some(CodeFailure::Reused) => Err(AppError::from_domain(&UserError::TotpCodeReused)),
        None => Ok(()),
    }
}
