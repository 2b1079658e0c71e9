//! Sessions: opening one once a login has passed every step, recording and checking its use for
//! the idle timeout, the caller's open sessions, revoking one, and logging out.

use std::collections::HashMap;

use chronid_crypto::{ParsedSessionToken, SessionToken};
use chronid_domain::account::Account;
use chronid_domain::metadata::{Actor, RequestFacts};
use chronid_domain::user::{second_factor, LoginMethod, RecordLogin, User, UserCommand, UserError};
use chronid_domain::values::StoredSecret;
use chronid_store::CommandError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;
use super::{App, AppError, Principal};
use secrecy::SecretString;

impl App {
    pub(crate) async fn open_session(
        &self,
        user: User,
        request: &LoginRequest,
        facts: &RequestFacts,
    ) -> Result<LoginOutcome, Refusal> {
        let (Some(user_id), Some(account_id)) = (user.id, user.account_id) else {
            return Err(Refusal::InvalidCredentials);
        };
        let account: Account = self.account(account_id).await?;
        let facts = as_user(facts, user_id);
        let services = self.exec.services();
        let now = services.clock.now();
        // Refused before anything is written: no device, no event for a user who may not log
        // in from this device.
        let presented = self
            .presented_device(&user, request.device_token.as_deref())
            .await?;
        let trusted = presented.is_some_and(|(_, trusted)| trusted);
        if let Err(refused) = user.may_log_in(now, trusted) {
            return Err(self.refused_by_state(refused));
        }
        if !account.login_options.password {
            return Err(AppError::new(
                AppCode::MethodNotAllowed,
                "this account does not allow password login; use its other login options",
            )
            .into());
        }
        let policy = &account.policy;
        let factor = second_factor(&user, policy.two_factor, trusted);
        let (device_id, device_token) = self
            .login_device(
                &user,
                factor,
                (presented, request.device_token.as_deref()),
                &facts,
            )
            .await?;
        // The second factor comes before anything else, an expired password included.
        if let Some(channel) = factor {
            let issued = self
                .issue_challenge(
                    &user,
                    channel,
                    (device_id, device_token, trusted),
                    (request.language.as_ref(), None),
                    &facts,
                )
                .await?;
            return Ok(LoginOutcome::TwoFactorRequired(Box::new(issued)));
        }
        if user.password_expired(policy.password_validity_days, now) {
            return match self
                .require_password_change(user_id, policy, trusted, &facts)
                .await
            {
                Ok(change_token) => Ok(LoginOutcome::PasswordChangeRequired { change_token }),
                Err(CommandError::Domain(UserError::SecondFactorDue)) => Err(Refusal::Stale),
                Err(CommandError::Domain(refused)) => Err(self.refused_by_state(refused)),
                Err(other) => Err(other.into()),
            };
        }
        let session_id = services.ids.new_id();
        let minted = SessionToken::mint(user_id, session_id);
        let expires_at = now + self.sessions.policy.lifetime;
        let command = UserCommand::RecordLogin(Box::new(RecordLogin {
            method: LoginMethod::Password,
            session_id,
            session_token_hash: StoredSecret(minted.secret_hash),
            session_expires_at: expires_at,
            device_id: Some(device_id),
            language: request.language.clone(),
            verified_hash: user.password_hash.clone(),
            device_trusted: trusted,
            two_factor: policy.two_factor,
        }));
        let turn = self.sessions.serialize(user_id).await;
        let executed = self.on_user_id(user_id, command, &facts).await;
        drop(turn);
        let committed = match executed {
            Ok((committed, _)) => committed,
            Err(CommandError::Domain(
                UserError::CredentialChanged | UserError::SecondFactorDue,
            )) => {
                return Err(Refusal::Stale);
            }
            Err(CommandError::Domain(refused)) => return Err(self.refused_by_state(refused)),
            Err(other) => return Err(other.into()),
        };
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

    /// The device a login goes on from: the one the client presented, else one registered now,
    /// with the token the client keeps. A login owing a code that could not be sent anyway
    /// (the user's limit reached) is refused first, leaving no device behind.
    pub(crate) async fn login_device(
        &self,
        user: &User,
        factor: Option<chronid_domain::values::TwoFactorChannel>,
        (presented, token): (Option<(Uuid, bool)>, Option<&str>),
        facts: &RequestFacts,
    ) -> Result<(Uuid, SecretString), AppError> {
        let (Some(user_id), Some(account_id)) = (user.id, user.account_id) else {
            return Err(AppError::internal("a login without its user"));
        };
        let now = self.exec.services().clock.now();
        if factor.is_some_and(|c| c != chronid_domain::values::TwoFactorChannel::Totp) {
            if let Some(retry_after_secs) = user.codes_retry_after(now) {
                let refused = UserError::TooManyCodes { retry_after_secs };
                return Err(AppError::from_domain(&refused));
            }
        }
        Ok(match presented {
            Some((id, _)) => (
                id,
                SecretString::from(token.unwrap_or_default().to_string()),
            ),
            None => self.register_device(user_id, account_id, facts).await?,
        })
    }

    /// A new session's first use, for the idle timeout.
    pub(crate) async fn record_activity(
        &self,
        session_id: Uuid,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        self.activity
            .record(session_id, user_id, now)
            .await
            .map_err(AppError::internal)?;
        self.sessions.touched_at(session_id, now);
        Ok(())
    }

    /// Drops the activity rows of the user's sessions that are no longer open.
    pub(crate) async fn forget_user_activity(&self, user_id: Uuid) -> Result<(), AppError> {
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        let open: Vec<Uuid> = user.sessions.keys().copied().collect();
        let gone = self
            .activity
            .keep_only(user_id, &open)
            .await
            .map_err(AppError::internal)?;
        for id in gone {
            self.sessions.forget(id);
        }
        Ok(())
    }

    /// Authenticates a bearer session token.
    #[tracing::instrument(name = "authenticate_session", skip_all)]
    pub async fn authenticate_session(&self, token: &str) -> Result<Principal, AppError> {
        let parsed = ParsedSessionToken::parse(token).ok_or_else(invalid_session)?;
        let (user, seq) = self.exec.load::<User>(&parsed.user_id.to_string()).await?;
        let now = self.exec.services().clock.now();
        let session = user
            .sessions
            .get(&parsed.session_id)
            .filter(|_| seq > 0)
            .ok_or_else(invalid_session)?;
        // A session outlives a lock of untrusted devices only: one of the whole user ends it.
        let blocked = user.may_log_in(now, true).is_err();
        if !session.token_hash.matches_digest(&parsed.secret_hash)
            || session.expires_at <= now
            || blocked
        {
            return Err(invalid_session());
        }
        let account_id = user.account_id.ok_or_else(invalid_session)?;
        self.touch_session(parsed.session_id, now).await?;
        Ok(Principal {
            account_id,
            roles: user.roles.clone(),
            actor: Actor::user(parsed.user_id),
            session_id: Some(parsed.session_id),
        })
    }

    /// Records the session's use, refusing it when it has been idle too long.
    pub(crate) async fn touch_session(
        &self,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        if self.sessions.recently_touched(session_id, now) {
            return Ok(());
        }
        let alive = self
            .activity
            .touch(session_id, now, now - self.sessions.policy.idle)
            .await
            .map_err(AppError::internal)?;
        if !alive {
            self.sessions.forget(session_id);
            return Err(invalid_session());
        }
        self.sessions.touched_at(session_id, now);
        Ok(())
    }

    pub(crate) fn session_caller(who: &Principal) -> Result<(Uuid, Uuid), AppError> {
        match (who.actor.id, who.session_id) {
            (Some(user_id), Some(session_id)) => Ok((user_id, session_id)),
            _ => Err(no_session()),
        }
    }

    /// Runs `command` on the caller's User (a session's); returns the user id.
    pub(crate) async fn on_me(
        &self,
        who: &Principal,
        command: UserCommand,
        facts: &RequestFacts,
    ) -> Result<Uuid, AppError> {
        self.on_me_returning(who, command, facts)
            .await
            .map(|(user_id, _)| user_id)
    }

    /// [`App::on_me`], with the events the command wrote.
    pub(crate) async fn on_me_returning(
        &self,
        who: &Principal,
        command: UserCommand,
        facts: &RequestFacts,
    ) -> Result<(Uuid, Vec<chronid_domain::user::UserEvent>), AppError> {
        let (user_id, _) = Self::session_caller(who)?;
        let (_, events) = self.on_user_id(user_id, command, facts).await?;
        Ok((user_id, events))
    }

    /// Ends the caller's session.
    #[tracing::instrument(name = "logout", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn logout(&self, who: &Principal, facts: &RequestFacts) -> Result<(), AppError> {
        let (_, session_id) = Self::session_caller(who)?;
        self.on_me(who, UserCommand::Logout { session_id }, facts)
            .await?;
        self.forget_activity(session_id).await
    }

    /// The caller's open sessions, newest first.
    #[tracing::instrument(name = "my_sessions", skip_all, fields(account = %who.account_id, actor = ?who.actor))]
    pub async fn my_sessions(&self, who: &Principal) -> Result<Vec<SessionInfo>, AppError> {
        let (user_id, current) = Self::session_caller(who)?;
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        self.open_sessions(&user, user_id, Some(current)).await
    }

    /// A user's open sessions, newest first, for the account's administrators.
    #[tracing::instrument(name = "user_sessions", skip_all, fields(account = %account_id, actor = ?who.actor))]
    pub async fn user_sessions(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
    ) -> Result<Vec<SessionInfo>, AppError> {
        who.require_user_admin(account_id)?;
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        crate::in_account::<User>(
            account_id,
            chronid_domain::error::DomainError::code(&UserError::NotFound),
            "user",
        )(&user)?;
        let current = Self::session_caller(who).ok().map(|(_, s)| s);
        self.open_sessions(&user, user_id, current).await
    }

    /// An administrator ends one of a user's sessions (an AccountManager's only when the
    /// caller is one too).
    #[tracing::instrument(name = "end_user_session", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn end_user_session(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        session_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<crate::Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let outcome = self
            .on_user(
                who,
                account_id,
                user_id,
                UserCommand::RevokeSession { session_id },
                facts,
            )
            .await?;
        self.forget_activity(session_id).await?;
        Ok(outcome)
    }

    /// The sessions of `user` still open: not expired, and seen within the idle limit.
    async fn open_sessions(
        &self,
        user: &User,
        user_id: Uuid,
        current: Option<Uuid>,
    ) -> Result<Vec<SessionInfo>, AppError> {
        let now = self.exec.services().clock.now();
        let seen = self
            .activity
            .of_user(user_id)
            .await
            .map_err(AppError::internal)?;
        let seen: HashMap<Uuid, DateTime<Utc>> = seen.into_iter().collect();
        let idle_since = now - self.sessions.policy.idle;
        let mut sessions: Vec<SessionInfo> = user
            .sessions
            .iter()
            .filter(|(id, s)| s.expires_at > now && seen.get(id).is_some_and(|t| *t > idle_since))
            .map(|(id, s)| SessionInfo {
                id: *id,
                opened_at: s.opened_at,
                expires_at: s.expires_at,
                last_seen_at: seen.get(id).copied(),
                method: s.method,
                device_id: s.device_id,
                current: Some(*id) == current,
            })
            .collect();
        sessions.sort_by(|a, b| b.opened_at.cmp(&a.opened_at).then(b.id.cmp(&a.id)));
        Ok(sessions)
    }

    /// Revokes one of the caller's sessions.
    #[tracing::instrument(name = "revoke_my_session", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn revoke_my_session(
        &self,
        who: &Principal,
        session_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        self.on_me(who, UserCommand::RevokeSession { session_id }, facts)
            .await?;
        self.forget_activity(session_id).await
    }

    pub(crate) async fn forget_activity(&self, session_id: Uuid) -> Result<(), AppError> {
        self.sessions.forget(session_id);
        self.activity
            .forget(session_id)
            .await
            .map_err(AppError::internal)
    }
}
