//! The audit catalogue as a table: for every event the domain publishes, its item, action,
//! outcome and sentence (the product's where the product's catalogue has one, in
//! `../shared/seeds/002_...`), with the details clause that follows it. One match per aggregate,
//! exhaustive: an event added to the domain without a line here does not compile.

use chronid_domain::account::AccountEventType;
use chronid_domain::device::DeviceEventType;
use chronid_domain::external_login::ExternalLoginEventType;
use chronid_domain::sso_config::SsoConfigEventType;
use chronid_domain::user::UserEventType;
use serde_json::Value;

use super::*;
use crate::data::{bool_of, time_of, uuid_of};
use crate::published::Published;

pub(super) const USER: &str = "User";
pub(super) const PASSWORD: &str = "Password";
pub(super) const TWO_FA: &str = "2FA";
pub(super) const ACCOUNT: &str = "Account";
pub(super) const TEAM: &str = "Team";
pub(super) const API_KEY: &str = "API key";
pub(super) const DEVICE: &str = "Device";
pub(super) const SSO: &str = "SSO";

pub(super) const TWO_FA_UPDATED: &str = "Two-factor authentication settings updated.";

/// The line of an event: the catalogue's, by aggregate and event type; chronid's own for a type
/// this version does not know.
pub(super) fn line_of(ctx: &Ctx) -> Line {
    match Published::of(ctx.env) {
        Some(Published::User(kind)) => user_line(kind, ctx),
        Some(Published::Account(kind)) => account_line(kind, ctx),
        Some(Published::Device(kind)) => device_line(kind, ctx),
        Some(Published::SsoConfig(kind)) => sso_config_line(kind, ctx),
        Some(Published::ExternalLogin(kind)) => external_login_line(kind, ctx),
        None => unknown(ctx.env),
    }
}

/// The catalogue's line of each user event.
pub(super) fn user_line(kind: UserEventType, ctx: &Ctx) -> Line {
    use UserEventType as U;
    match kind {
        // User: lifecycle and profile.
        U::UserRegistered => user_registered(ctx),
        U::UserProfileUpdated => {
            Line::new(USER, "Update", "User updated.").details(profile_changes(ctx))
        }
        U::UserRolesChanged => {
            Line::new(USER, "Update", "User updated.").details(roles_changed(ctx))
        }
        U::UserEmailChanged => Line::new(USER, "Update", "User changed email address.")
            .details(from_to(ctx.text("previous"), ctx.text("email"))),
        U::UserUsernameChanged => Line::new(USER, "Update", "User changed username.")
            .details(from_to(ctx.text("previous"), ctx.text("username"))),
        U::UserPhoneVerified => Line::new(USER, "Update", "Mobile number verified for user."),
        U::UserEmailVerified => Line::new(USER, "Verify", "User verified."),
        U::UserInvitationAccepted => Line::new(USER, "Accept", "User accepted."),
        U::UserDisabled => Line::new(USER, "Disable", "User disabled.").details(
            (ctx.word("reason") == "inactivity").then(|| "inactive for too long".to_string()),
        ),
        U::UserEnabled => Line::new(USER, "Enable", "User enabled."),
        U::UserLocked => user_locked(ctx),
        U::UserUnlocked => Line::new(USER, "Unlock", "User unlocked.").details(
            match ctx.word("reason").as_str() {
                "expired" => Some("the lock expired"),
                "password_reset" => Some("password reset by link"),
                _ => None,
            }
            .map(str::to_string),
        ),
        U::UserLanguageChanged => {
            Line::new(USER, "Update", "User language changed.").details(ctx.text("language"))
        }
        U::ExternalIdentityLinked => {
            Line::new(USER, "Link", "External identity linked.").details(external_identity(ctx))
        }
        U::ExternalIdentityUnlinked => {
            Line::new(USER, "Unlink", "External identity unlinked.").details(external_identity(ctx))
        }
        U::UserAddedToTeam => team_membership(ctx, "added to"),
        U::UserRemovedFromTeam => team_membership(ctx, "removed from"),

        // User: login and sessions.
        U::LoginSucceeded => login_succeeded(ctx),
        U::LoginFailed => login_failed(ctx),
        U::UserLoggedOut => {
            let text = match ctx.who() {
                Some(who) => format!("User logged out {who}"),
                None => "User logged out.".to_string(),
            };
            Line::new(USER, "Logout", text)
        }
        U::SessionsEnded => sessions_ended(ctx),

        // User: password.
        U::PasswordChanged => password_changed(ctx),
        U::PasswordChangeFailed => Line::new(PASSWORD, "Update", "Password update failed.")
            .failed()
            .details(join(&[
                Some("wrong current password".to_string()),
                in_a_row(ctx),
            ])),
        U::PasswordResetRequested => Line::new(PASSWORD, "Restore", "Password reset requested.")
            .details(Some(
                match ctx.word("initiated_by").as_str() {
                    "admin" => "requested by an administrator",
                    _ => "forgot password",
                }
                .to_string(),
            )),
        U::PasswordResetEmailSent => {
            Line::new(PASSWORD, "Restore", "Reset forgot password email sent.")
        }
        U::PasswordResetEmailFailed => Line::new(
            PASSWORD,
            "Restore",
            "Reset forgot password email sending failed.",
        )
        .failed()
        .details(ctx.text("error")),
        U::PasswordResetCompleted => Line::new(PASSWORD, "Restore", "Password reset completed."),
        U::PasswordChangeRequired => Line::new(PASSWORD, "Expire", "Password change required.")
            .details(Some("the password has expired".to_string())),

        // User: two-factor authentication.
        U::TwoFactorRequirementChanged => {
            let required = bool_of(ctx.data, "required");
            Line::new(TWO_FA, "Update", TWO_FA_UPDATED).details(required.map(|r| {
                if r {
                    "two-factor authentication required for the user".to_string()
                } else {
                    "two-factor authentication no longer required for the user".to_string()
                }
            }))
        }
        U::TwoFactorChannelChanged => Line::new(TWO_FA, "Update", TWO_FA_UPDATED)
            .details(channel(ctx).map(|c| format!("codes delivered by {c}"))),
        U::TwoFactorChallengeIssued => Line::new(
            TWO_FA,
            "Challenge",
            "Two-factor authentication challenge issued.",
        )
        .details(channel(ctx)),
        U::TwoFactorCodeDelivered => {
            Line::new(TWO_FA, "Send", "Two-factor authentication code sent.").details(channel(ctx))
        }
        U::TwoFactorCodeDeliveryFailed => Line::new(
            TWO_FA,
            "Send",
            "Two-factor authentication code sending failed.",
        )
        .failed()
        .details(join(&[channel(ctx), ctx.text("error")])),
        U::TwoFactorChallengePassed => {
            Line::new(TWO_FA, "Verify", "Two-factor authentication passed.")
        }
        U::TwoFactorChallengeFailed => challenge_failed(ctx),
        U::TotpCodeRejected => totp_code_rejected(ctx),
        U::TotpEnrolled => Line::new(TWO_FA, "Enroll", "Authenticator app enrollment started."),
        U::TotpConfirmed => Line::new(TWO_FA, "Update", TWO_FA_UPDATED)
            .details(Some("authenticator app enabled".to_string())),
        U::TotpCodeUsed => Line::new(TWO_FA, "Verify", "Authenticator app code accepted."),
        U::TotpReset => Line::new(TWO_FA, "Update", TWO_FA_UPDATED)
            .details(Some("authenticator app reset".to_string())),
        U::TotpDisabled => Line::new(TWO_FA, "Update", TWO_FA_UPDATED).details(Some(
            if bool_of(ctx.data, "by_admin") == Some(true) {
                "authenticator app disabled by an administrator"
            } else {
                "authenticator app disabled"
            }
            .to_string(),
        )),
    }
}

/// The catalogue's line of each account event.
pub(super) fn account_line(kind: AccountEventType, ctx: &Ctx) -> Line {
    use AccountEventType as A;
    match kind {
        // Account.
        A::AccountCreated => {
            Line::new(ACCOUNT, "Create", "Account created.").details(ctx.text("name").map(quoted))
        }
        A::AccountRenamed => Line::new(ACCOUNT, "Update", "Account renamed.").details(from_to(
            ctx.text("previous").map(quoted),
            ctx.text("name").map(quoted),
        )),
        A::SecurityPolicyUpdated => {
            Line::new(ACCOUNT, "Update", "Account security options updated.")
                .details(policy_changes(ctx))
        }
        A::TwoFactorModeChanged => two_factor_mode_changed(ctx),
        A::LoginOptionsUpdated => Line::new(ACCOUNT, "Update", "Account login options updated.")
            .details(login_option_changes(ctx)),
        A::AccountLanguageChanged => Line::new(ACCOUNT, "Update", "Language successfully changed.")
            .details(ctx.text("language")),
        A::AccountTimeZoneChanged => Line::new(ACCOUNT, "Update", "Time zone changed.").details(
            match (ctx.text("previous"), ctx.text("time_zone")) {
                (Some(from), Some(to)) => Some(format!("from {from} to {to}")),
                (_, to) => to,
            },
        ),
        A::ColorSchemeSet => {
            Line::new(ACCOUNT, "Update", "Color scheme set.").details(ctx.text("scheme"))
        }
        A::HostnameSet => Line::new(ACCOUNT, "Update", "Host name set.").details(Some(
            ctx.text("hostname")
                .unwrap_or_else(|| "host name removed".to_string()),
        )),
        A::LogoUpdated => Line::new(ACCOUNT, "Update", "Logo updated.").details(Some(logo(ctx))),

        // Account: teams.
        A::TeamCreated => {
            let sso = (bool_of(ctx.data, "sso_managed") == Some(true))
                .then(|| "managed by SSO".to_string());
            Line::new(TEAM, "Create", "Group created.")
                .details(join(&[ctx.text("name").map(quoted), sso]))
        }
        A::TeamRenamed => Line::new(TEAM, "Update", "Group updated.").details(
            from_to(
                ctx.text("previous").map(quoted),
                ctx.text("name").map(quoted),
            )
            .map(|d| format!("renamed {d}")),
        ),
        A::TeamDeleted => {
            Line::new(TEAM, "Delete", "Group deleted.").details(ctx.text("name").map(quoted))
        }
        A::TeamsDetachedFromSso => {
            let n = ctx
                .data
                .get("team_ids")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            Line::new(TEAM, "Update", "Group updated.").details(Some(format!(
                "{} no longer managed by SSO",
                count(n, "group", "groups")
            )))
        }

        // Account: API keys.
        A::ApiKeyCreated => {
            let valid_from = time_of(ctx.data, "valid_from").map(when);
            let text = match join(&[ctx.text("name"), valid_from]) {
                Some(facts) => format!("API key generated ({facts})"),
                None => "API key generated.".to_string(),
            };
            Line::new(API_KEY, "Create", text)
        }
        A::ApiKeyUpdated => {
            let expiration = Some(
                time_of(ctx.data, "valid_until")
                    .map(when)
                    .unwrap_or_else(|| "no expiration".to_string()),
            );
            let facts = join(&[ctx.text("name"), expiration]).unwrap_or_default();
            Line::new(API_KEY, "Update", format!("API key updated ({facts})."))
        }
        A::ApiKeyRevoked => {
            let name = revoked_key_of(ctx.env)
                .and_then(|id| (ctx.lookup)(id))
                .and_then(|p| p.key_name)
                .map(|n| clean(&n));
            let text = match name {
                Some(name) => format!("API key revoked ({name})."),
                None => "API key revoked.".to_string(),
            };
            Line::new(API_KEY, "Revoke", text)
        }
    }
}

/// The catalogue's line of each device event.
pub(super) fn device_line(kind: DeviceEventType, ctx: &Ctx) -> Line {
    use DeviceEventType as D;
    match kind {
        // Devices.
        D::DeviceRegistered => Line::new(DEVICE, "Create", "Device registered.").details(join(&[
            ctx.text("label").map(quoted),
            ctx.text("user_agent"),
        ])),
        D::DeviceTrusted => Line::new(DEVICE, "Trust", "Device trusted.").details(
            uuid_of(ctx.data, "challenge_id")
                .map(|_| "after two-factor authentication".to_string()),
        ),
        D::DeviceRenamed => Line::new(DEVICE, "Update", "Device renamed.").details(Some(
            ctx.text("label")
                .map(quoted)
                .unwrap_or_else(|| "label removed".to_string()),
        )),
        D::DeviceRevoked => Line::new(DEVICE, "Revoke", "Device revoked.").details(
            match ctx.word("reason").as_str() {
                "user" => Some("by its user".to_string()),
                "admin" => Some("by an administrator".to_string()),
                "password_reset" => Some("the user's password was reset".to_string()),
                "password_changed" => Some("the user changed their password".to_string()),
                "totp_reset" => Some("the user's authenticator app was reset".to_string()),
                "locked" => Some("the user was locked".to_string()),
                "disabled" => Some("the user was disabled".to_string()),
                _ => None,
            },
        ),
    }
}

/// The catalogue's line of each external login event.
pub(super) fn external_login_line(kind: ExternalLoginEventType, ctx: &Ctx) -> Line {
    match kind {
        ExternalLoginEventType::ExternalLoginRefused => external_login_refused(ctx),
    }
}

/// The catalogue's line of each sso config event.
pub(super) fn sso_config_line(kind: SsoConfigEventType, ctx: &Ctx) -> Line {
    use SsoConfigEventType as S;
    match kind {
        // SSO configurations.
        S::SsoConfigCreated => {
            Line::new(SSO, "Create", "SSO configuration created.").details(identity_provider(ctx))
        }
        S::SsoConfigUpdated => sso_config_updated(ctx),
        S::SsoAccountOffered => Line::new(SSO, "Update", "SSO configuration offered to account.")
            .details(
                uuid_of(ctx.data, "account_id")
                    .map(|id| format!("account {id}; it is served once a manager of it accepts")),
            ),
        S::SsoLoginFailed => sso_login_failed(ctx),
        S::SsoAccountAdded => Line::new(SSO, "Update", "Account added to SSO configuration.")
            .details(uuid_of(ctx.data, "account_id").map(|id| format!("account {id}"))),
        S::SsoAccountRemoved => Line::new(SSO, "Update", "Account removed from SSO configuration.")
            .details(uuid_of(ctx.data, "account_id").map(|id| format!("account {id}"))),
        S::SsoConfigDeleted => {
            let n = ctx
                .data
                .get("accounts")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            Line::new(SSO, "Delete", "SSO configuration deleted.").details((n > 0).then(|| {
                format!(
                    "logins through it ended for {}",
                    count(n, "account", "accounts")
                )
            }))
        }
    }
}
