//! User use cases. Registration reserves the email (and username) first: the reservation's first
//! event can be written only once, so of many concurrent registrations of one address exactly one
//! proceeds; if creating the user then fails, the reservations are released.

use chronid_domain::metadata::RequestFacts;
use chronid_domain::reservation::{email_key, username_key};
use chronid_domain::user::{
    DisableReason, ProfileChanges, RegisterUser, RegistrationSource, User, UserCommand, UserError,
};
use chronid_domain::values::{Email, Language, Password, PersonName, Phone, Roles, Username};
use uuid::Uuid;

use super::api_keys::Principal;
use std::sync::Mutex;

use super::{administrable_by, outcome, App, AppCode, AppError, Outcome};
use chronid_domain::error::ErrorKind;
use chronid_store::{CommandError, GuardError};

/// A user to create, validated.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub username: Option<Username>,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub language: Option<Language>,
    pub roles: Roles,
    pub password: Option<Password>,
}

/// A change of status an administrator can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Disable,
    Enable,
    Lock,
    Unlock,
}

/// A profile change, validated; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub first_name: Option<Option<PersonName>>,
    pub last_name: Option<Option<PersonName>>,
    pub phone: Option<Option<Phone>>,
    pub language: Option<Language>,
    pub roles: Option<Roles>,
}

impl App {
    #[tracing::instrument(name = "register_user", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn register_user(
        &self,
        who: &Principal,
        account_id: Uuid,
        user: NewUser,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        if user.roles.can_manage_account() && !who.roles.can_manage_account() {
            return Err(AppError::forbidden(
                "only an AccountManager may grant AccountManager",
            ));
        }
        self.account(account_id).await?;
        self.register_user_unchecked(account_id, user, RegistrationSource::Admin, None, facts)
            .await
    }

    pub(super) async fn register_user_unchecked(
        &self,
        account_id: Uuid,
        user: NewUser,
        source: RegistrationSource,
        sso_config_id: Option<Uuid>,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let user_id = self.exec.services().ids.new_id();
        let email_key = email_key(account_id, &user.email);
        self.reserve(
            &email_key,
            user_id,
            Some(account_id),
            facts,
            AppCode::EmailTaken,
            "a user with this email already exists in the account",
        )
        .await?;
        let username_key = user.username.as_ref().map(|u| username_key(account_id, u));
        if let Some(key) = &username_key {
            if let Err(e) = self
                .reserve(
                    key,
                    user_id,
                    Some(account_id),
                    facts,
                    AppCode::UsernameTaken,
                    "a user with this username already exists in the account",
                )
                .await
            {
                self.release(&email_key, user_id, facts).await;
                return Err(e);
            }
        }
        let command = UserCommand::Register(Box::new(RegisterUser {
            user_id,
            account_id,
            email: user.email,
            username: user.username,
            first_name: user.first_name,
            last_name: user.last_name,
            phone: user.phone,
            language: user.language,
            roles: user.roles,
            password: user.password,
            source,
            sso_config_id,
        }));
        match self
            .exec
            .execute::<User>(&user_id.to_string(), command, facts)
            .await
        {
            Ok(committed) => Ok(outcome(user_id, &committed)),
            Err(e) => {
                // A store error may come after the commit (the connection dropped while the
                // answer was on its way): release only when the user surely does not exist.
                if !self.user_may_exist(user_id, &e).await {
                    self.release(&email_key, user_id, facts).await;
                    if let Some(key) = &username_key {
                        self.release(key, user_id, facts).await;
                    }
                }
                Err(e.into())
            }
        }
    }

    /// After a failed registration: whether the user could exist all the same.
    async fn user_may_exist<E: std::error::Error>(
        &self,
        user_id: Uuid,
        err: &CommandError<E>,
    ) -> bool {
        if !matches!(err, CommandError::Store(_)) {
            return false;
        }
        match self.exec.store::<User>().load(&user_id.to_string()).await {
            Ok(loaded) => loaded.current_sequence > 0,
            Err(_) => true,
        }
    }

    /// Runs an administrator's command on a user they may administer.
    pub(super) async fn on_user(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        command: UserCommand,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let (committed, _) = self
            .user_command(user_id, command, facts, administrable_by(who, account_id))
            .await?;
        Ok(outcome(user_id, &committed))
    }

    /// Changes profile fields and roles in one command: all given changes or none.
    #[tracing::instrument(name = "update_user", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn update_user(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        patch: ProfilePatch,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let caller_is_manager = who.roles.can_manage_account();
        let requested_manager = patch.roles.as_ref().map(Roles::can_manage_account);
        let administrable = administrable_by(who, account_id);
        let guard = move |user: &User| {
            administrable(user)?;
            let touches_manager =
                requested_manager.is_some_and(|m| m != user.roles.can_manage_account());
            if touches_manager && !caller_is_manager {
                return Err(GuardError {
                    code: AppCode::Forbidden.as_str(),
                    kind: ErrorKind::Forbidden,
                    message: "only an AccountManager may grant or take AccountManager".into(),
                });
            }
            Ok(())
        };
        let changes = ProfileChanges {
            first_name: patch.first_name,
            last_name: patch.last_name,
            phone: patch.phone,
            language: patch.language,
        };
        let command = UserCommand::Update {
            changes,
            roles: patch.roles,
        };
        match self.user_command(user_id, command, facts, guard).await {
            Ok((committed, _)) => Ok(outcome(user_id, &committed)),
            // Values the user already has: nothing to write, and nothing wrong.
            Err(CommandError::Domain(UserError::NoChange)) => self.unchanged::<User>(user_id).await,
            Err(other) => Err(other.into()),
        }
    }

    /// An administrator disables, enables, locks or unlocks a user.
    #[tracing::instrument(name = "change_user_status", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn change_user_status(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        change: StatusChange,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let command = match change {
            StatusChange::Disable => UserCommand::Disable {
                reason: DisableReason::Admin,
            },
            StatusChange::Enable => UserCommand::Enable,
            StatusChange::Lock => UserCommand::Lock,
            StatusChange::Unlock => UserCommand::Unlock,
        };
        self.on_user(who, account_id, user_id, command, facts).await
    }

    #[tracing::instrument(name = "require_two_factor", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn require_two_factor(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        required: bool,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        // Turning it off also removes the user's authenticator, as the product's "disable
        // two-factor authentication for other users" does.
        let command = if required {
            UserCommand::RequireTwoFactor { required }
        } else {
            UserCommand::TurnOffTwoFactor
        };
        self.on_user_idempotent(who, account_id, user_id, command, facts)
            .await
    }

    /// [`App::on_user`] for a `PUT`: setting what is already set answers the user's current
    /// position and writes nothing.
    pub(super) async fn on_user_idempotent(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        command: UserCommand,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        match self
            .user_command(user_id, command, facts, administrable_by(who, account_id))
            .await
        {
            Ok((committed, _)) => Ok(outcome(user_id, &committed)),
            Err(CommandError::Domain(UserError::NoChange | UserError::AlreadyInTeam)) => {
                self.unchanged::<User>(user_id).await
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Changes a user's email: reserve the new address, change it, release the old one.
    #[tracing::instrument(name = "change_email", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn change_email(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        email: Email,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        // Refuse before reserving anything, so a refused request writes nothing. (The guard
        // below checks again on the state the change is decided on.)
        let (current, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        administrable_by(who, account_id)(&current)?;
        let new_key = email_key(account_id, &email);
        // Claiming is idempotent for the same owner, so reserving an address the user already
        // has is harmless.
        self.reserve(
            &new_key,
            user_id,
            Some(account_id),
            facts,
            AppCode::EmailTaken,
            "a user with this email already exists in the account",
        )
        .await?;
        // The address being replaced is the one in the state the change was decided on (the
        // guard sees every attempt's state; the last one is the one committed).
        let decided_on: Mutex<Option<Email>> = Mutex::new(None);
        let administrable = administrable_by(who, account_id);
        let guard = |user: &User| {
            administrable(user)?;
            if let Ok(mut previous) = decided_on.lock() {
                previous.clone_from(&user.email);
            }
            Ok(())
        };
        let result = self
            .user_command(user_id, UserCommand::ChangeEmail { email }, facts, guard)
            .await
            .map(|(committed, _)| committed);
        let previous_key = decided_on
            .lock()
            .ok()
            .and_then(|p| p.clone())
            .map(|p| email_key(account_id, &p));
        match result {
            Ok(c) => {
                if let Some(old_key) = previous_key.filter(|k| *k != new_key) {
                    self.release(&old_key, user_id, facts).await;
                }
                Ok(outcome(user_id, &c))
            }
            // The address the user already has: idempotent.
            Err(CommandError::Domain(UserError::NoChange)) => self.unchanged::<User>(user_id).await,
            Err(e) => {
                // Keep the new address if it is the user's own (or the outcome is uncertain).
                let own = previous_key.as_ref() == Some(&new_key);
                if !own && !matches!(e, CommandError::Store(_)) {
                    self.release(&new_key, user_id, facts).await;
                }
                Err(e.into())
            }
        }
    }
}
