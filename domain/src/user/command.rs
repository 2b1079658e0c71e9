//! Commands of the User aggregate. They carry validated values only; facts that live in another
//! aggregate (the account's policy, whether a team is SSO-managed) are looked up by the application
//! layer and carried in the command.

use uuid::Uuid;

use super::event::{DisableReason, LoginMethod, ProfileChanges, RegistrationSource};
use chrono::{DateTime, Utc};

use crate::values::{Email, Language, Password, PersonName, Phone, Roles, StoredSecret, Username};

#[derive(Debug, Clone, PartialEq)]
pub struct RegisterUser {
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub email: Email,
    pub username: Option<Username>,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub language: Option<Language>,
    pub roles: Roles,
    /// With a password the user is active at once; without one, invited.
    pub password: Option<Password>,
    pub source: RegistrationSource,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserCommand {
    Register(Box<RegisterUser>),
    /// Change names, phone or language; fields left `None` stay as they are.
    UpdateProfile {
        changes: ProfileChanges,
    },
    ChangeRoles {
        roles: Roles,
    },
    /// Profile fields and roles in one decision: both change or neither (an admin's PATCH).
    Update {
        changes: ProfileChanges,
        roles: Option<Roles>,
    },
    /// The new address must already be reserved by the application layer.
    ChangeEmail {
        email: Email,
    },
    Disable {
        reason: DisableReason,
    },
    Enable,
    /// An administrator locks the user.
    Lock,
    /// An administrator lifts a lock.
    Unlock,
    /// An administrator requires (or stops requiring) two-factor authentication of this user.
    RequireTwoFactor {
        required: bool,
    },
    AddToTeam {
        team_id: Uuid,
        /// Whether the team is managed by SSO group sync (read from the Account).
        team_sso_managed: bool,
        /// Whether this change comes from SSO group sync.
        via_sso: bool,
    },
    RemoveFromTeam {
        team_id: Uuid,
        team_sso_managed: bool,
        via_sso: bool,
    },
    /// A login attempt with a wrong credential: counts it and locks at the account's limit.
    RecordFailedLogin {
        method: LoginMethod,
        device_id: Option<Uuid>,
        /// The account's `max_login_attempts` at the time.
        max_attempts: u8,
        /// The account's temporary lock length, if any.
        lock_minutes: Option<u32>,
    },
    /// A login whose credential was verified by the application: opens a session.
    RecordLogin(Box<RecordLogin>),
    /// The user ends one of their sessions by logging out.
    Logout {
        session_id: Uuid,
    },
    /// The user (or an admin) revokes one session.
    RevokeSession {
        session_id: Uuid,
    },
    /// The inactivity sweeper disables a user whose last login (or password set, for a user who
    /// never logged in) is older than the account's limit; refused when it is not.
    DisableForInactivity {
        max_inactivity_days: u16,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordLogin {
    pub method: LoginMethod,
    pub session_id: Uuid,
    /// SHA-256 of the session token's secret; the token itself never reaches the store.
    pub session_token_hash: StoredSecret,
    pub session_expires_at: DateTime<Utc>,
    pub device_id: Option<Uuid>,
    /// The language chosen on the login page, which becomes the user's.
    pub language: Option<Language>,
    /// For a password login: the hash the password was verified against. If the password changed
    /// since (a concurrent change), the login is refused and decided again.
    pub verified_hash: Option<StoredSecret>,
}
