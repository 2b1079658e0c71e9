//! Why and how: the small enums User events carry (registration source, disable, lock and
//! unlock reasons, login method and failure, password change method, reset initiator, lock scope,
//! challenge purpose, code failure, TOTP action, session end reason, identity provider).

use serde::{Deserialize, Serialize};

/// How a user came to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationSource {
    Admin,
    Bootstrap,
    Sso,
    Google,
    Github,
}

/// Why a user was disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisableReason {
    Admin,
    Inactivity,
}

/// Why a user was locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    Admin,
    Policy,
}

/// Why a lock ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlockReason {
    Admin,
    Expired,
    /// A password reset by link lifts a lock set by the failed-login policy.
    PasswordReset,
}

/// How a login was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    Password,
    Google,
    Github,
    Sso,
}

/// Why a login attempt was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginFailure {
    WrongPassword,
    Locked,
    Disabled,
    PasswordExpired,
    MethodNotAllowed,
}

/// How a password came to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordChangeMethod {
    /// The user changed it, knowing the current one.
    SelfService,
    /// Through a reset link (forgot password or admin-initiated).
    ResetLink,
    /// Set by an administrator directly.
    Admin,
    /// Required at login because the old one expired.
    Expired,
}

/// Who asked for a password reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetInitiator {
    User,
    Admin,
}

/// What a lock, and the failure count that led to it, applies to (see `LockoutMode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockScope {
    /// Every login of the user.
    #[default]
    Account,
    /// Logins from devices the user has not trusted.
    UntrustedDevices,
}

/// What a two-factor challenge is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengePurpose {
    /// A second factor the user already has (a delivered code or the confirmed authenticator).
    #[default]
    SignIn,
    /// An authenticator an administrator required, being set up at login: issued only after a
    /// sign-in challenge was passed; its first code confirms it.
    EnrolTotp,
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeFailure {
    /// It matches nothing.
    #[default]
    Wrong,
    /// An authenticator code of a time step already used.
    Reused,
}

/// A check of a credential made from a session that can fail and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotpAction {
    Reset,
    Disable,
}

/// Why sessions ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    Logout,
    Revoked,
    PasswordChanged,
    TotpReset,
    Disabled,
    Locked,
    Expired,
}

/// An identity at an external provider linked to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityProvider {
    Google,
    Github,
    Saml,
}
