//! Commands of the User aggregate. They carry validated values only; facts that live in another
//! aggregate (the account's policy, whether a team is SSO-managed) are looked up by the application
//! layer and carried in the command.

use uuid::Uuid;

use super::event::{
    DisableReason, IdentityProvider, LoginMethod, ProfileChanges, RegistrationSource,
    ResetInitiator,
};
use chrono::{DateTime, Utc};

use crate::values::{
    Email, Language, LockoutMode, OneTimeCode, Password, PersonName, Phone, Roles, SecurityPolicy,
    StoredSecret, TwoFactorChannel, TwoFactorMode, Username,
};

/// The account's rules for counting failed checks of a credential, carried by every command
/// that can fail one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// The account's `max_login_attempts`.
    pub max_attempts: u8,
    /// The account's temporary lock length, if any.
    pub lock_minutes: Option<u32>,
    pub mode: LockoutMode,
}

impl Lockout {
    pub fn of(policy: &SecurityPolicy) -> Self {
        Self {
            max_attempts: policy.max_login_attempts,
            lock_minutes: policy.lock_minutes,
            mode: policy.lockout,
        }
    }
}

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
    /// The SSO configuration that created the user at its first login (source SSO).
    pub sso_config_id: Option<Uuid>,
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
    /// Links an identity of an external provider to the user (the application claims its
    /// reservation key first, so one identity names one user of an account).
    LinkExternalIdentity {
        provider: IdentityProvider,
        subject: String,
    },
    /// Forgets a linked identity: the provider's subject no longer finds this user.
    UnlinkExternalIdentity {
        provider: IdentityProvider,
        subject: String,
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
    /// Refused, writing nothing, when the user may not log in from this device anyway (locked
    /// or disabled): such attempts are counted in a metric, not in the history.
    RecordFailedLogin {
        method: LoginMethod,
        device_id: Option<Uuid>,
        /// Whether the login came from a device the user trusted.
        device_trusted: bool,
        lockout: Lockout,
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
    /// Forgot-password or an administrator: a reset link is to be emailed. The token is drawn by
    /// the caller; its hash checks it later and its sealed copy is for the notifier alone.
    RequestPasswordReset {
        request_id: Uuid,
        token_hash: StoredSecret,
        token_sealed: StoredSecret,
        initiated_by: ResetInitiator,
        expires_at: DateTime<Utc>,
    },
    /// The notifier reports whether the reset email went out (`error` None) or not.
    RecordResetEmail {
        request_id: Uuid,
        error: Option<String>,
    },
    /// A password-change token from a login whose password had expired.
    RequirePasswordChange {
        change_id: Uuid,
        token_hash: StoredSecret,
        expires_at: DateTime<Utc>,
        /// The account's `password_validity_days`: the change is refused if the password is
        /// still valid under it.
        password_validity_days: Option<u16>,
        /// Whether the login comes from a device the user trusted.
        device_trusted: bool,
        /// The account's two-factor mode: refused when a second factor is due first.
        two_factor: TwoFactorMode,
    },
    /// A new password set with a reset link's token or a password-change token.
    SetPasswordWithToken(Box<SetPasswordWithToken>),
    /// The user changes their own password, knowing the current one.
    ChangePassword(Box<ChangePassword>),
    /// A login needs a second factor: issue a one-time code (delivered by the notifier) or, on
    /// channel TOTP, ask for the authenticator's code.
    /// At most `CODES_PER_WINDOW` delivered codes per `CODE_WINDOW`; an authenticator challenge
    /// needs a confirmed authenticator.
    IssueChallenge {
        challenge_id: Uuid,
        channel: TwoFactorChannel,
        device_id: Option<Uuid>,
        device_trusted: bool,
    },
    /// The notifier reports whether the code was delivered (`error` None) or not.
    RecordCodeDelivery {
        challenge_id: Uuid,
        error: Option<String>,
    },
    /// The user answers a challenge; a right code passes it and opens the session of `login`.
    AnswerChallenge(Box<AnswerChallenge>),
    /// Start (or restart, while unconfirmed) authenticator-app enrolment: a new secret, pending
    /// until confirmed. It is not a second factor before then.
    EnrolTotp,
    /// The first code from the pending authenticator confirms it (replacing the previous one
    /// after a reset).
    ConfirmTotp {
        code: OneTimeCode,
    },
    /// A current code starts replacing the authenticator (a new phone): the new secret is
    /// pending, the old one keeps working until the new one is confirmed. The user's other
    /// sessions end and their trusted devices are no longer trusted. A wrong code counts as a
    /// failed attempt.
    ResetTotp {
        code: OneTimeCode,
        keep_session: Option<Uuid>,
        lockout: Lockout,
    },
    /// The user turns the authenticator off with a current code; a wrong code counts as a
    /// failed attempt.
    DisableTotp {
        code: OneTimeCode,
        lockout: Lockout,
    },
    /// An administrator turns two-factor off for this user: the requirement and the TOTP go.
    TurnOffTwoFactor,
    /// The user's preferred channel for one-time codes.
    ChangeTwoFactorChannel {
        channel: TwoFactorChannel,
    },
}

/// What a password-setting token was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordToken {
    /// A reset link (forgot password or an administrator).
    Reset,
    /// A login found the password expired.
    Change,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SetPasswordWithToken {
    pub kind: PasswordToken,
    /// The reset request's or password change's id.
    pub id: Uuid,
    /// SHA-256 of the presented token's secret.
    pub token_hash: StoredSecret,
    pub new_password: Password,
    pub password_validity_days: Option<u16>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangePassword {
    pub current_password: Password,
    pub new_password: Password,
    pub password_validity_days: Option<u16>,
    /// The session the change is made from, which stays open; the others end.
    pub keep_session: Option<Uuid>,
    /// A wrong current password counts as a failed attempt under these rules.
    pub lockout: Lockout,
}

/// The user answers a challenge. A wrong code uses up a try and counts as a failed attempt. A
/// right one leads to the login's next step: the authenticator enrolment an administrator
/// required (after a sign-in challenge), else a password change if the password has expired,
/// else the session of `login`.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerChallenge {
    pub challenge_id: Uuid,
    pub code: OneTimeCode,
    /// The session to open when this is the last step.
    pub login: RecordLogin,
    pub lockout: Lockout,
    /// The account's `password_validity_days`.
    pub password_validity_days: Option<u16>,
    /// What the next step uses, if there is one.
    pub next: NextStep,
}

/// Ids and the token digest for the step after a passed challenge, drawn by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NextStep {
    /// The id of an enrolment challenge.
    pub challenge_id: Uuid,
    /// The id and token digest of a password change.
    pub change_id: Uuid,
    pub change_token_hash: StoredSecret,
    pub change_expires_at: DateTime<Utc>,
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
    /// Whether the login comes from a device the user trusted.
    pub device_trusted: bool,
    /// The account's two-factor mode: a login without a challenge is refused when the user's
    /// current state asks for a second factor (the caller's decision may be stale).
    pub two_factor: TwoFactorMode,
}
