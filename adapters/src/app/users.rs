//! User use cases. Registration reserves the email (and username) first: the reservation's first
//! event can be written only once, so of many concurrent registrations of one address exactly one
//! proceeds; if creating the user then fails, the reservations are released.

use chronid_domain::metadata::RequestFacts;
use chronid_domain::reservation::{email_key, username_key};
use chronid_domain::user::{
    DisableReason, ProfileChanges, RegisterUser, RegistrationSource, User, UserCommand,
};
use chronid_domain::values::{Email, Language, Password, PersonName, Phone, Roles, Username};
use uuid::Uuid;

use super::api_keys::Principal;
use super::{in_account, outcome, App, AppError, Outcome};
use crate::store::GuardError;
use chronid_domain::error::ErrorKind;

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
        self.register_user_unchecked(account_id, user, RegistrationSource::Admin, facts)
            .await
    }

    pub(super) async fn register_user_unchecked(
        &self,
        account_id: Uuid,
        user: NewUser,
        source: RegistrationSource,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let user_id = self.exec.services().ids.new_id();
        let email_key = email_key(account_id, &user.email);
        self.reserve(
            &email_key,
            user_id,
            Some(account_id),
            facts,
            "USR-EMAIL-TAKEN",
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
                    "USR-USERNAME-TAKEN",
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
        }));
        match self
            .exec
            .execute::<User>(&user_id.to_string(), command, facts)
            .await
        {
            Ok(committed) => Ok(outcome(user_id, &committed)),
            Err(e) => {
                self.release(&email_key, user_id, facts).await;
                if let Some(key) = &username_key {
                    self.release(key, user_id, facts).await;
                }
                Err(e.into())
            }
        }
    }

    async fn on_user(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        command: UserCommand,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let committed = self
            .exec
            .execute_guarded::<User, _>(
                &user_id.to_string(),
                command,
                facts,
                in_account(account_id, "USR-NOT-FOUND", "user"),
            )
            .await?;
        Ok(outcome(user_id, &committed))
    }

    /// Changes profile fields and roles in one command: all given changes or none.
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
        let same_account = in_account(account_id, "USR-NOT-FOUND", "user");
        let guard = move |user: &User| {
            same_account(user)?;
            let touches_manager =
                requested_manager.is_some_and(|m| m != user.roles.can_manage_account());
            if touches_manager && !caller_is_manager {
                return Err(GuardError {
                    code: "AUTH-FORBIDDEN",
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
        let committed = self
            .exec
            .execute_guarded::<User, _>(&user_id.to_string(), command, facts, guard)
            .await?;
        Ok(outcome(user_id, &committed))
    }

    /// An administrator disables, enables, locks or unlocks a user.
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
        self.on_user(account_id, user_id, command, facts).await
    }

    pub async fn require_two_factor(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        required: bool,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        self.on_user(
            account_id,
            user_id,
            UserCommand::RequireTwoFactor { required },
            facts,
        )
        .await
    }

    /// Changes a user's email: reserve the new address, change it, release the old one.
    pub async fn change_email(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        email: Email,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let current = self.user_in_account(account_id, user_id).await?;
        let Some(previous) = current.email else {
            return Err(AppError::not_found("USR-NOT-FOUND", "user"));
        };
        let new_key = email_key(account_id, &email);
        let old_key = email_key(account_id, &previous);
        if new_key != old_key {
            self.reserve(
                &new_key,
                user_id,
                Some(account_id),
                facts,
                "USR-EMAIL-TAKEN",
                "a user with this email already exists in the account",
            )
            .await?;
        }
        match self
            .exec
            .execute::<User>(
                &user_id.to_string(),
                UserCommand::ChangeEmail { email },
                facts,
            )
            .await
        {
            Ok(c) => {
                if new_key != old_key {
                    self.release(&old_key, user_id, facts).await;
                }
                Ok(outcome(user_id, &c))
            }
            Err(e) => {
                if new_key != old_key {
                    self.release(&new_key, user_id, facts).await;
                }
                Err(e.into())
            }
        }
    }
}
