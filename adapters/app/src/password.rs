//! Password reset (forgot password and administrator), renewal of an expired password, and a
//! user's own password change.
//!
//! A reset link's token and a password-change token are minted here (`chr_` / `chp_`, naming the
//! user and the request, 256 random bits), shown once (by email through the notifier, or in the
//! login answer), and kept as SHA-256 only; the reset token is also sealed into the event for the
//! notifier. Forgot-password answers at once and does its work in the background, so neither the
//! answer nor its timing says whether the login exists.

use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{
    ChangePassword, Lockout, PasswordToken, ResetInitiator, SetPasswordWithToken, User,
    UserCommand, UserError, UserEvent,
};
use chronid_domain::values::{Password, SecurityPolicy, StoredSecret};
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::login::as_user;
use super::login::challenges::recorded_failure;

use super::{administrable_by, App, AppError, Outcome, Principal};
use chronid_crypto::{ParsedUserToken, UserToken, UserTokenKind};
use chronid_store::{CommandError, GuardError};

/// How long a reset link works.
pub const RESET_LINK_LIFETIME: Duration = Duration::hours(1);
/// How long a password-change token from a login works.
pub const CHANGE_TOKEN_LIFETIME: Duration = Duration::minutes(15);

fn invalid_token() -> AppError {
    AppError::from_domain(&UserError::ResetTokenInvalid)
}

impl App {
    /// Forgot password: emails a reset link to every user holding `login` (in `account_id`, or
    /// in every account). Returns at once; the work and its failures stay in the background.
    pub fn forgot_password(&self, login: String, account_id: Option<Uuid>, facts: RequestFacts) {
        let app = self.clone();
        tokio::spawn(async move {
            let users = match app.login_candidates(&login, account_id).await {
                Ok(users) => users,
                Err(error) => {
                    tracing::warn!(error = %error.message, "forgot password: looking up the login failed");
                    return;
                }
            };
            for user in users {
                let Some(user_id) = user.id else { continue };
                let facts = as_user(&facts, user_id);
                if let Err(error) = app
                    .request_reset(user_id, ResetInitiator::User, &facts, |_: &User| Ok(()))
                    .await
                {
                    // A disabled user, or one sent too many links this hour, gets none; the
                    // answer was the same anyway.
                    tracing::info!(target: "security", %user_id, code = error.code, "forgot password: no reset link issued");
                }
            }
        });
    }

    /// An administrator sends a user the reset link.
    #[tracing::instrument(name = "admin_password_reset", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn admin_password_reset(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let position = self
            .request_reset(
                user_id,
                ResetInitiator::Admin,
                facts,
                administrable_by(who, account_id),
            )
            .await?;
        Ok(Outcome {
            id: user_id,
            position,
        })
    }

    async fn request_reset<G>(
        &self,
        user_id: Uuid,
        initiated_by: ResetInitiator,
        facts: &RequestFacts,
        guard: G,
    ) -> Result<Option<i64>, AppError>
    where
        G: Fn(&User) -> Result<(), GuardError>,
    {
        let services = self.exec.services();
        let request_id = services.ids.new_id();
        let minted = UserToken::mint(UserTokenKind::Reset, user_id, request_id);
        let token_sealed = services
            .sealer
            .seal(minted.token.expose_secret().as_bytes())
            .map_err(AppError::internal)?;
        let command = UserCommand::RequestPasswordReset {
            request_id,
            token_hash: StoredSecret(minted.secret_hash),
            token_sealed,
            initiated_by,
            expires_at: services.clock.now() + RESET_LINK_LIFETIME,
        };
        let (committed, _) = self.user_command(user_id, command, facts, guard).await?;
        Ok(committed.position())
    }

    /// A login found the password expired: a token to set a new one with (refused when the
    /// user's current state asks a second factor first).
    pub(super) async fn require_password_change(
        &self,
        user_id: Uuid,
        policy: &SecurityPolicy,
        device_trusted: bool,
        facts: &RequestFacts,
    ) -> Result<SecretString, CommandError<UserError>> {
        let services = self.exec.services();
        let change_id = services.ids.new_id();
        let minted = UserToken::mint(UserTokenKind::Change, user_id, change_id);
        let command = UserCommand::RequirePasswordChange {
            change_id,
            token_hash: StoredSecret(minted.secret_hash),
            expires_at: services.clock.now() + CHANGE_TOKEN_LIFETIME,
            password_validity_days: policy.password_validity_days,
            device_trusted,
            two_factor: policy.two_factor,
        };
        self.on_user_id(user_id, command, facts).await?;
        Ok(minted.token)
    }

    /// Sets a new password with a reset link's token or a password-change token; the user's
    /// sessions end.
    #[tracing::instrument(name = "reset_password", skip_all, fields(actor = ?facts.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: Password,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        let parsed = ParsedUserToken::parse(token).ok_or_else(invalid_token)?;
        let (user, seq) = self.exec.load::<User>(&parsed.user_id.to_string()).await?;
        let account_id = user
            .account_id
            .filter(|_| seq > 0)
            .ok_or_else(invalid_token)?;
        let policy = self.account(account_id).await?.policy;
        let command = UserCommand::SetPasswordWithToken(Box::new(SetPasswordWithToken {
            kind: match parsed.kind {
                UserTokenKind::Reset => PasswordToken::Reset,
                UserTokenKind::Change => PasswordToken::Change,
            },
            id: parsed.item_id,
            token_hash: StoredSecret(parsed.secret_hash),
            new_password,
            password_validity_days: policy.password_validity_days,
        }));
        let facts = as_user(facts, parsed.user_id);
        self.on_user_id(parsed.user_id, command, &facts).await?;
        self.forget_user_activity(parsed.user_id).await
    }

    /// The caller changes their own password; their other sessions end.
    #[tracing::instrument(name = "change_my_password", skip_all, fields(account = %who.account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn change_my_password(
        &self,
        who: &Principal,
        current_password: Password,
        new_password: Password,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        let (_, session_id) = Self::session_caller(who)?;
        let policy = self.account(who.account_id).await?.policy;
        let command = UserCommand::ChangePassword(Box::new(ChangePassword {
            current_password,
            new_password,
            password_validity_days: policy.password_validity_days,
            keep_session: Some(session_id),
            lockout: Lockout::of(&policy),
        }));
        let (_, events) = self.on_me_returning(who, command, facts).await?;
        let failed = recorded_failure(&events, |e| {
            matches!(e, UserEvent::PasswordChangeFailed { .. }).then_some(())
        })?;
        match failed {
            Some(()) => Err(AppError::from_domain(&UserError::WrongPassword)),
            None => Ok(()),
        }
    }
}
