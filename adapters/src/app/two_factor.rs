//! Second factor at login (one-time codes by email, SMS or voice; the authenticator app), the
//! authenticator's self-service (enrol, confirm, reset, disable) and the preferred channel.
//!
//! A login that needs a second factor issues a challenge on the User (the code is drawn, kept
//! digested and sealed there; the notifier delivers it) and answers `two_factor_required` with
//! the challenge id. `login_challenges` routes the id back to its user. Passing the challenge
//! opens the session in the same command, and trusts the device.

use chronid_domain::device::{Device, DeviceCommand, DeviceError};
use chronid_domain::error::ErrorKind;
use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{
    AnswerChallenge, LoginMethod, RecordLogin, User, UserCommand, UserError,
};
use chronid_domain::values::{Language, OneTimeCode, StoredSecret, TwoFactorChannel};
use uuid::Uuid;

use super::login::{as_user, refused_login, NewSession};
use super::{App, AppError, Principal};
use crate::crypto::{enrolment, SessionToken, TotpEnrolment};
use crate::store::CommandError;

/// A challenge the client must answer.
#[derive(Debug, Clone)]
pub struct ChallengeIssued {
    pub challenge_id: Uuid,
    pub channel: TwoFactorChannel,
    /// The device token the client should keep (trusted once the challenge is passed).
    pub device_token: String,
    /// When the authenticator is still to be set up: what to scan before answering.
    pub enrolment: Option<TotpEnrolment>,
}

fn challenge_not_found() -> AppError {
    AppError::from_domain(&UserError::ChallengeNotFound)
}

impl App {
    /// Issues the challenge of a login whose password was right.
    pub(super) async fn issue_challenge(
        &self,
        mut user: User,
        channel: TwoFactorChannel,
        device: (Uuid, String),
        language: Option<&Language>,
        facts: &RequestFacts,
    ) -> Result<ChallengeIssued, AppError> {
        let Some(user_id) = user.id else {
            return Err(challenge_not_found());
        };
        let id = user_id.to_string();
        if channel == TwoFactorChannel::Totp && user.totp.is_none() {
            // Required by an administrator and not set up: set it up at this login.
            self.exec
                .execute::<User>(&id, UserCommand::EnrolTotp, facts)
                .await?;
            user = self.exec.load::<User>(&id).await?.0;
        }
        let enrolment = match &user.totp {
            Some(t) if !t.confirmed && channel == TwoFactorChannel::Totp => {
                Some(self.totp_enrolment(&user).await?)
            }
            _ => None,
        };
        let services = self.exec.services();
        let challenge_id = services.ids.new_id();
        let command = UserCommand::IssueChallenge {
            challenge_id,
            channel,
            device_id: Some(device.0),
        };
        match self.exec.execute::<User>(&id, command, facts).await {
            Ok(_) => {}
            Err(CommandError::Domain(e)) => return Err(refused_login(self, &user, e, facts).await),
            Err(other) => return Err(other.into()),
        }
        // Routed only once issued, so a refused login leaves no row behind.
        sqlx::query(
            "INSERT INTO login_challenges (challenge_id, user_id, language, created_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(challenge_id)
        .bind(user_id)
        .bind(language.map(|l| l.as_str().to_string()))
        .bind(services.clock.now())
        .execute(self.exec.pool())
        .await
        .map_err(AppError::internal)?;
        Ok(ChallengeIssued {
            challenge_id,
            channel,
            device_token: device.1,
            enrolment,
        })
    }

    /// Answers a login's challenge; the right code opens the session.
    pub async fn answer_challenge(
        &self,
        challenge_id: Uuid,
        code: OneTimeCode,
        device_token: Option<String>,
        facts: &RequestFacts,
    ) -> Result<NewSession, AppError> {
        let row: Option<(Uuid, Option<String>)> = sqlx::query_as(
            "SELECT user_id, language FROM login_challenges WHERE challenge_id = $1",
        )
        .bind(challenge_id)
        .fetch_optional(self.exec.pool())
        .await
        .map_err(AppError::internal)?;
        let (user_id, language) = row.ok_or_else(challenge_not_found)?;
        let id = user_id.to_string();
        let (user, _) = self.exec.load::<User>(&id).await?;
        let challenge = user
            .challenges
            .get(&challenge_id)
            .cloned()
            .ok_or_else(challenge_not_found)?;
        let account_id = user.account_id.ok_or_else(challenge_not_found)?;
        let services = self.exec.services();
        let now = services.clock.now();
        let reused = challenge.code_hash.is_none() && self.totp_code_reused(&user, &code);
        let session_id = services.ids.new_id();
        let minted = SessionToken::mint(user_id, session_id);
        let expires_at = now + self.sessions.policy.lifetime;
        let command = UserCommand::AnswerChallenge(Box::new(AnswerChallenge {
            challenge_id,
            code,
            login: RecordLogin {
                method: LoginMethod::Password,
                session_id,
                session_token_hash: StoredSecret(minted.secret_hash),
                session_expires_at: expires_at,
                device_id: challenge.device_id,
                language: language.and_then(|l| Language::parse(&l).ok()),
                verified_hash: None,
            },
        }));
        let facts = as_user(facts, user_id);
        let turn = self.sessions.serialize(user_id).await;
        let executed = self.exec.execute::<User>(&id, command, &facts).await;
        drop(turn);
        let committed = executed?;
        if committed
            .events
            .iter()
            .any(|e| e.event_type == "TwoFactorChallengeFailed")
        {
            let left = challenge
                .max_attempts
                .saturating_sub(challenge.attempts + 1);
            return Err(if reused {
                AppError::new(
                    "AUTH-CODE-REUSED",
                    ErrorKind::Unauthorized,
                    format!("this authenticator code was already used; wait for the next one ({left} tries left)"),
                )
            } else if left == 0 {
                AppError::from_domain(&UserError::ChallengeExhausted)
            } else {
                AppError::new(
                    "AUTH-CODE-INVALID",
                    ErrorKind::Unauthorized,
                    format!("the code is not correct ({left} tries left)"),
                )
            });
        }
        if let Some(device_id) = challenge.device_id {
            let trust = DeviceCommand::Trust {
                challenge_id: Some(challenge_id),
            };
            match self
                .exec
                .execute::<Device>(&device_id.to_string(), trust, &facts)
                .await
            {
                Ok(_) | Err(CommandError::Domain(DeviceError::AlreadyTrusted)) => {}
                Err(error) => {
                    tracing::warn!(%device_id, %error, "the device of a passed challenge could not be trusted");
                }
            }
        }
        sqlx::query("DELETE FROM login_challenges WHERE challenge_id = $1")
            .bind(challenge_id)
            .execute(self.exec.pool())
            .await
            .map_err(AppError::internal)?;
        self.record_activity(session_id, user_id, now).await?;
        Ok(NewSession {
            token: minted.token,
            session_id,
            user_id,
            account_id,
            expires_at,
            device_token,
            position: committed.position(),
        })
    }

    /// Whether `code` is the authenticator's code of a step already used (a replay).
    fn totp_code_reused(&self, user: &User, code: &OneTimeCode) -> bool {
        let Some(totp) = &user.totp else { return false };
        let Some(last) = totp.last_step else {
            return false;
        };
        let services = self.exec.services();
        let Ok(secret) = services.sealer.open(&totp.secret_sealed) else {
            return false;
        };
        let steps = services
            .totp
            .matching_steps(&secret, code.expose(), services.clock.now());
        !steps.is_empty() && steps.iter().all(|s| *s <= last)
    }

    /// What the user's authenticator app needs to add the user's (sealed) secret.
    async fn totp_enrolment(&self, user: &User) -> Result<TotpEnrolment, AppError> {
        let Some(totp) = &user.totp else {
            return Err(AppError::from_domain(
                &chronid_domain::user::UserError::TotpNotEnabled,
            ));
        };
        let secret = self
            .exec
            .services()
            .sealer
            .open(&totp.secret_sealed)
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

    /// The enrolment of the user's current (sealed) secret, read after the command that made it.
    async fn enrolment_of(&self, user_id: Uuid) -> Result<TotpEnrolment, AppError> {
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        self.totp_enrolment(&user).await
    }

    /// Starts (or restarts) enrolment of the caller's authenticator app.
    pub async fn enrol_my_totp(
        &self,
        who: &Principal,
        facts: &RequestFacts,
    ) -> Result<TotpEnrolment, AppError> {
        let user_id = self.on_me(who, UserCommand::EnrolTotp, facts).await?;
        self.enrolment_of(user_id).await
    }

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

    /// Replaces the caller's authenticator secret (a current code is needed); every session of
    /// the user ends, this one included, and the next login confirms the new secret.
    pub async fn reset_my_totp(
        &self,
        who: &Principal,
        code: OneTimeCode,
        facts: &RequestFacts,
    ) -> Result<TotpEnrolment, AppError> {
        let user_id = self
            .on_me(who, UserCommand::ResetTotp { code }, facts)
            .await?;
        self.forget_user_activity(user_id).await?;
        self.enrolment_of(user_id).await
    }

    pub async fn disable_my_totp(
        &self,
        who: &Principal,
        code: OneTimeCode,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        self.on_me(who, UserCommand::DisableTotp { code }, facts)
            .await
            .map(|_| ())
    }

    pub async fn change_my_two_factor_channel(
        &self,
        who: &Principal,
        channel: TwoFactorChannel,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        self.on_me(who, UserCommand::ChangeTwoFactorChannel { channel }, facts)
            .await
            .map(|_| ())
    }
}
