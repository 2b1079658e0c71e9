//! The audit log: one entry per published event, in the product's own words. Where the product's
//! audit catalogue has an entry for an event (item, action, sentence), its sentence is used
//! verbatim, sometimes followed by a " Details: ..." clause in the product's style; every other
//! event gets chronid's own sentence in the same style.
//!
//! Everything here is pure. The storage layer, for each envelope in order:
//! 1. loads the principals named by [`principals_needed`], then the owners of the devices among
//!    them (at most two queries per batch),
//! 2. stores what [`principal_change`] returns (so a new user is known to step 3),
//! 3. stores the [`AuditRecord`] that [`describe`] returns.
//!
//! Only the public `data` of an envelope is read, field by field: secret fields are not in it, and
//! descriptions never echo `data` wholesale.

use chronid_domain::metadata::ActorKind;
use chronid_domain::public::PublicEnvelope;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::data::{bool_of, change_of, str_of, strings_of, time_of, u32_of, uuid_of, Change};

/// Whether what the entry records succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Self::Success),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// What the audit log knows of a user or an API key, to name actors and targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    pub username: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// For an API key: its name.
    pub key_name: Option<String>,
    /// For a device: the user it belongs to, so every event of the device is about them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Uuid>,
}

impl Principal {
    /// How the audit log names this principal: username, else email, else "API key <name>".
    pub fn display(&self) -> Option<String> {
        let present =
            |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        present(&self.username)
            .or_else(|| present(&self.email))
            .or_else(|| present(&self.key_name).map(|name| format!("API key {name}")))
    }

    /// "First Last", either alone, or None.
    fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> = [&self.first_name, &self.last_name]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// The principal this event creates or changes, if any: (principal id, new value). `current` is
/// the principal as known before the event. UserRegistered (id = aggregate_id: username, email,
/// first/last name), UserProfileUpdated (first_name/last_name present in `changes`: a JSON null
/// clears), UserEmailChanged, UserUsernameChanged, ApiKeyCreated / ApiKeyUpdated (id = data.key_id,
/// key_name = data.name), DeviceRegistered (id = the device, owner = data.user_id).
pub fn principal_change(
    env: &PublicEnvelope,
    current: Option<&Principal>,
) -> Option<(Uuid, Principal)> {
    let data = &env.data;
    let mut next = current.cloned().unwrap_or_default();
    match env.event_type.as_str() {
        "UserRegistered" => {
            let registered = Principal {
                username: str_of(data, "username"),
                email: str_of(data, "email"),
                first_name: str_of(data, "first_name"),
                last_name: str_of(data, "last_name"),
                ..Principal::default()
            };
            Some((env.aggregate_id, registered))
        }
        "DeviceRegistered" => {
            let device = Principal {
                owner: Some(uuid_of(data, "user_id")?),
                ..Principal::default()
            };
            Some((env.aggregate_id, device))
        }
        "UserProfileUpdated" => {
            let changes = data.get("changes")?;
            let first = change_of(changes, "first_name");
            let last = change_of(changes, "last_name");
            if matches!((&first, &last), (Change::Unchanged, Change::Unchanged)) {
                return None;
            }
            first.apply_to(&mut next.first_name);
            last.apply_to(&mut next.last_name);
            Some((env.aggregate_id, next))
        }
        "UserEmailChanged" => {
            next.email = Some(str_of(data, "email")?);
            Some((env.aggregate_id, next))
        }
        "UserUsernameChanged" => match change_of(data, "username") {
            Change::Unchanged => None,
            change => {
                change.apply_to(&mut next.username);
                Some((env.aggregate_id, next))
            }
        },
        "ApiKeyCreated" | "ApiKeyUpdated" => {
            let key_id = uuid_of(data, "key_id")?;
            next.key_name = Some(str_of(data, "name")?);
            Some((key_id, next))
        }
        _ => None,
    }
}

/// The ids whose principals `describe` will ask for (actor id, target user id...), so the storage
/// layer can load them in one query before describing a batch. For a device event that does not
/// name its user this is the device; the storage layer then loads its owner
/// ([`Principal::owner`]) too.
pub fn principals_needed(env: &PublicEnvelope) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = Vec::with_capacity(3);
    let target = named_target(env).or_else(|| device_of(env));
    let candidates = [env.actor.id, target, revoked_key_of(env)];
    for id in candidates.into_iter().flatten() {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// When the event occurred (`occurred_at` of the envelope).
    pub at: DateTime<Utc>,
    pub account_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    pub sequence: i64,
    pub position: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub item: String,
    pub action: String,
    pub outcome: Outcome,
    pub description: String,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    /// The actor's display name (a user's username or email, an API key's "API key <name>", "system").
    pub username: Option<String>,
    /// The user the event is about (user aggregate id; for device events the device's owner), if any.
    pub target_id: Option<Uuid>,
    pub target_username: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The audit entry of one event. `lookup` answers for ids from `principals_needed` (None when unknown).
pub fn describe(env: &PublicEnvelope, lookup: &dyn Fn(Uuid) -> Option<Principal>) -> AuditRecord {
    let target_id = target_of(env, lookup);
    // The storage layer applies `principal_change` first, but be robust when it did not: events
    // that name their user (UserRegistered, UserEmailChanged...) carry enough to name it.
    let target = target_id.and_then(|id| {
        lookup(id).or_else(|| {
            principal_change(env, None)
                .filter(|(changed, _)| *changed == id)
                .map(|(_, p)| p)
        })
    });
    let actor = match env.actor.id {
        Some(id) if Some(id) == target_id => target.clone(),
        Some(id) => lookup(id),
        None => None,
    };
    let ctx = Ctx {
        env,
        data: &env.data,
        target: target.as_ref(),
        lookup,
    };
    let line = line_of(&ctx);
    let target_username = target.as_ref().and_then(Principal::display);
    let username = match env.actor.kind {
        // The product lists a login under the user who logged in, whoever drove it.
        ActorKind::System | ActorKind::ApiKey if is_login_flow(&env.event_type) => target_username
            .clone()
            .or_else(|| actor_display(env.actor.kind, actor.as_ref())),
        kind => actor_display(kind, actor.as_ref()),
    };
    AuditRecord {
        at: env.occurred_at,
        account_id: env.account_id,
        aggregate_type: env.aggregate_type.clone(),
        aggregate_id: env.aggregate_id,
        sequence: env.sequence,
        position: env.position,
        event_id: env.id,
        event_type: env.event_type.clone(),
        item: line.item,
        action: line.action.to_string(),
        outcome: line.outcome,
        description: line.text,
        actor_kind: env.actor.kind,
        actor_id: env.actor.id,
        username,
        target_id,
        target_username,
        ip: env.ip.clone(),
        user_agent: env.user_agent.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Who: actors and targets.

/// The user an event is about: the user of a user event, the owner of a device (named by its
/// registration, known from it for its later events).
fn target_of(env: &PublicEnvelope, lookup: &dyn Fn(Uuid) -> Option<Principal>) -> Option<Uuid> {
    named_target(env).or_else(|| lookup(device_of(env)?)?.owner)
}

/// The user an event names itself: the user of a user event, the owner of a registered device.
fn named_target(env: &PublicEnvelope) -> Option<Uuid> {
    match env.aggregate_type.as_str() {
        "user" => Some(env.aggregate_id),
        "device" => uuid_of(&env.data, "user_id"),
        _ => None,
    }
}

/// The device of a device event.
fn device_of(env: &PublicEnvelope) -> Option<Uuid> {
    (env.aggregate_type == "device").then_some(env.aggregate_id)
}

/// The API key a revocation names (the event carries only its id).
fn revoked_key_of(env: &PublicEnvelope) -> Option<Uuid> {
    (env.event_type == "ApiKeyRevoked")
        .then(|| uuid_of(&env.data, "key_id"))
        .flatten()
}

fn actor_display(kind: ActorKind, actor: Option<&Principal>) -> Option<String> {
    match kind {
        ActorKind::System => Some("system".to_string()),
        ActorKind::User | ActorKind::ApiKey => actor.and_then(Principal::display),
    }
}

/// Events of logging in, listed under the user who logs in when no user drove them.
fn is_login_flow(event_type: &str) -> bool {
    matches!(
        event_type,
        "LoginSucceeded"
            | "LoginFailed"
            | "UserLoggedOut"
            | "PasswordChangeRequired"
            | "TwoFactorChallengeIssued"
            | "TwoFactorChallengePassed"
            | "TwoFactorChallengeFailed"
            | "TotpCodeUsed"
    )
}

// ---------------------------------------------------------------------------------------------
// What: item, action, outcome and sentence.

const USER: &str = "User";
const PASSWORD: &str = "Password";
const TWO_FA: &str = "2FA";
const ACCOUNT: &str = "Account";
const TEAM: &str = "Team";
const API_KEY: &str = "API key";
const DEVICE: &str = "Device";
const SSO: &str = "SSO";

const TWO_FA_UPDATED: &str = "Two-factor authentication settings updated.";

struct Line {
    item: String,
    action: &'static str,
    outcome: Outcome,
    text: String,
}

impl Line {
    fn new(item: &'static str, action: &'static str, text: impl Into<String>) -> Self {
        Self {
            item: item.to_string(),
            action,
            outcome: Outcome::Success,
            text: text.into(),
        }
    }

    fn failed(mut self) -> Self {
        self.outcome = Outcome::Failed;
        self
    }

    /// Appends " Details: <details>." in the product's style.
    fn details(mut self, details: Option<String>) -> Self {
        if let Some(d) = details.filter(|d| !d.is_empty()) {
            if !self.text.ends_with('.') {
                self.text.push('.');
            }
            self.text.push_str(" Details: ");
            self.text.push_str(&d);
            if !d.ends_with('.') {
                self.text.push('.');
            }
        }
        self
    }
}

struct Ctx<'a> {
    env: &'a PublicEnvelope,
    data: &'a Value,
    /// The user the event is about, as known (see `target_of`).
    target: Option<&'a Principal>,
    lookup: &'a dyn Fn(Uuid) -> Option<Principal>,
}

impl Ctx<'_> {
    /// A free-text field, made safe to show.
    fn text(&self, key: &str) -> Option<String> {
        str_of(self.data, key).map(|s| clean(&s))
    }

    /// A snake_case enum field, as is (matched against known values).
    fn word(&self, key: &str) -> String {
        str_of(self.data, key).unwrap_or_default()
    }

    /// "(Jane Doe, jane@example.com)": how login sentences name their user.
    fn who(&self) -> Option<String> {
        let p = self.target?;
        let name = p.full_name().or_else(|| p.username.clone());
        let parts: Vec<String> = [name, p.email.clone()]
            .into_iter()
            .flatten()
            .map(|s| clean(&s))
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| format!("({})", parts.join(", ")))
    }

    /// The target user's display name for details: "user jane".
    fn target_user(&self) -> String {
        match self.target.and_then(Principal::display) {
            Some(name) => format!("user {}", clean(&name)),
            None => "a user".to_string(),
        }
    }
}

fn line_of(ctx: &Ctx) -> Line {
    match ctx.env.event_type.as_str() {
        // User: lifecycle and profile.
        "UserRegistered" => user_registered(ctx),
        "UserProfileUpdated" => {
            Line::new(USER, "Update", "User updated.").details(profile_changes(ctx))
        }
        "UserRolesChanged" => {
            Line::new(USER, "Update", "User updated.").details(roles_changed(ctx))
        }
        "UserEmailChanged" => Line::new(USER, "Update", "User changed email address.")
            .details(from_to(ctx.text("previous"), ctx.text("email"))),
        "UserUsernameChanged" => Line::new(USER, "Update", "User changed username.")
            .details(from_to(ctx.text("previous"), ctx.text("username"))),
        "UserPhoneVerified" => Line::new(USER, "Update", "Mobile number verified for user."),
        "UserEmailVerified" => Line::new(USER, "Verify", "User verified."),
        "UserInvitationAccepted" => Line::new(USER, "Accept", "User accepted."),
        "UserDisabled" => Line::new(USER, "Disable", "User disabled.").details(
            (ctx.word("reason") == "inactivity").then(|| "inactive for too long".to_string()),
        ),
        "UserEnabled" => Line::new(USER, "Enable", "User enabled."),
        "UserLocked" => user_locked(ctx),
        "UserUnlocked" => Line::new(USER, "Unlock", "User unlocked.").details(
            match ctx.word("reason").as_str() {
                "expired" => Some("the lock expired"),
                "password_reset" => Some("password reset by link"),
                _ => None,
            }
            .map(str::to_string),
        ),
        "UserLanguageChanged" => {
            Line::new(USER, "Update", "User language changed.").details(ctx.text("language"))
        }
        "ExternalIdentityLinked" => {
            Line::new(USER, "Link", "External identity linked.").details(external_identity(ctx))
        }
        "ExternalIdentityUnlinked" => {
            Line::new(USER, "Unlink", "External identity unlinked.").details(external_identity(ctx))
        }
        "UserAddedToTeam" => team_membership(ctx, "added to"),
        "UserRemovedFromTeam" => team_membership(ctx, "removed from"),

        // User: login and sessions.
        "LoginSucceeded" => login_succeeded(ctx),
        "LoginFailed" => login_failed(ctx),
        "UserLoggedOut" => {
            let text = match ctx.who() {
                Some(who) => format!("User logged out {who}"),
                None => "User logged out.".to_string(),
            };
            Line::new(USER, "Logout", text)
        }
        "SessionsEnded" => sessions_ended(ctx),

        // User: password.
        "PasswordChanged" => password_changed(ctx),
        "PasswordChangeFailed" => Line::new(PASSWORD, "Update", "Password update failed.")
            .failed()
            .details(join(&[
                Some("wrong current password".to_string()),
                in_a_row(ctx),
            ])),
        "PasswordResetRequested" => Line::new(PASSWORD, "Restore", "Password reset requested.")
            .details(Some(
                match ctx.word("initiated_by").as_str() {
                    "admin" => "requested by an administrator",
                    _ => "forgot password",
                }
                .to_string(),
            )),
        "PasswordResetEmailSent" => {
            Line::new(PASSWORD, "Restore", "Reset forgot password email sent.")
        }
        "PasswordResetEmailFailed" => Line::new(
            PASSWORD,
            "Restore",
            "Reset forgot password email sending failed.",
        )
        .failed()
        .details(ctx.text("error")),
        "PasswordResetCompleted" => Line::new(PASSWORD, "Restore", "Password reset completed."),
        "PasswordChangeRequired" => Line::new(PASSWORD, "Expire", "Password change required.")
            .details(Some("the password has expired".to_string())),

        // User: two-factor authentication.
        "TwoFactorRequirementChanged" => {
            let required = bool_of(ctx.data, "required");
            Line::new(TWO_FA, "Update", TWO_FA_UPDATED).details(required.map(|r| {
                if r {
                    "two-factor authentication required for the user".to_string()
                } else {
                    "two-factor authentication no longer required for the user".to_string()
                }
            }))
        }
        "TwoFactorChannelChanged" => Line::new(TWO_FA, "Update", TWO_FA_UPDATED)
            .details(channel(ctx).map(|c| format!("codes delivered by {c}"))),
        "TwoFactorChallengeIssued" => Line::new(
            TWO_FA,
            "Challenge",
            "Two-factor authentication challenge issued.",
        )
        .details(channel(ctx)),
        "TwoFactorCodeDelivered" => {
            Line::new(TWO_FA, "Send", "Two-factor authentication code sent.").details(channel(ctx))
        }
        "TwoFactorCodeDeliveryFailed" => Line::new(
            TWO_FA,
            "Send",
            "Two-factor authentication code sending failed.",
        )
        .failed()
        .details(join(&[channel(ctx), ctx.text("error")])),
        "TwoFactorChallengePassed" => {
            Line::new(TWO_FA, "Verify", "Two-factor authentication passed.")
        }
        "TwoFactorChallengeFailed" => challenge_failed(ctx),
        "TotpCodeRejected" => totp_code_rejected(ctx),
        "TotpEnrolled" => Line::new(TWO_FA, "Enroll", "Authenticator app enrollment started."),
        "TotpConfirmed" => Line::new(TWO_FA, "Update", TWO_FA_UPDATED)
            .details(Some("authenticator app enabled".to_string())),
        "TotpCodeUsed" => Line::new(TWO_FA, "Verify", "Authenticator app code accepted."),
        "TotpReset" => Line::new(TWO_FA, "Update", TWO_FA_UPDATED)
            .details(Some("authenticator app reset".to_string())),
        "TotpDisabled" => Line::new(TWO_FA, "Update", TWO_FA_UPDATED).details(Some(
            if bool_of(ctx.data, "by_admin") == Some(true) {
                "authenticator app disabled by an administrator"
            } else {
                "authenticator app disabled"
            }
            .to_string(),
        )),

        // Account.
        "AccountCreated" => {
            Line::new(ACCOUNT, "Create", "Account created.").details(ctx.text("name").map(quoted))
        }
        "AccountRenamed" => Line::new(ACCOUNT, "Update", "Account renamed.").details(from_to(
            ctx.text("previous").map(quoted),
            ctx.text("name").map(quoted),
        )),
        "SecurityPolicyUpdated" => {
            Line::new(ACCOUNT, "Update", "Account security options updated.")
                .details(policy_changes(ctx))
        }
        "TwoFactorModeChanged" => two_factor_mode_changed(ctx),
        "LoginOptionsUpdated" => Line::new(ACCOUNT, "Update", "Account login options updated.")
            .details(login_option_changes(ctx)),
        "AccountLanguageChanged" => Line::new(ACCOUNT, "Update", "Language successfully changed.")
            .details(ctx.text("language")),
        "AccountTimeZoneChanged" => Line::new(ACCOUNT, "Update", "Time zone changed.").details(
            match (ctx.text("previous"), ctx.text("time_zone")) {
                (Some(from), Some(to)) => Some(format!("from {from} to {to}")),
                (_, to) => to,
            },
        ),
        "ColorSchemeSet" => {
            Line::new(ACCOUNT, "Update", "Color scheme set.").details(ctx.text("scheme"))
        }
        "HostnameSet" => Line::new(ACCOUNT, "Update", "Host name set.").details(Some(
            ctx.text("hostname")
                .unwrap_or_else(|| "host name removed".to_string()),
        )),
        "LogoUpdated" => Line::new(ACCOUNT, "Update", "Logo updated.").details(Some(logo(ctx))),

        // Account: teams.
        "TeamCreated" => {
            let sso = (bool_of(ctx.data, "sso_managed") == Some(true))
                .then(|| "managed by SSO".to_string());
            Line::new(TEAM, "Create", "Group created.")
                .details(join(&[ctx.text("name").map(quoted), sso]))
        }
        "TeamRenamed" => Line::new(TEAM, "Update", "Group updated.").details(
            from_to(
                ctx.text("previous").map(quoted),
                ctx.text("name").map(quoted),
            )
            .map(|d| format!("renamed {d}")),
        ),
        "TeamDeleted" => {
            Line::new(TEAM, "Delete", "Group deleted.").details(ctx.text("name").map(quoted))
        }
        "TeamsDetachedFromSso" => {
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
        "ApiKeyCreated" => {
            let valid_from = time_of(ctx.data, "valid_from").map(when);
            let text = match join(&[ctx.text("name"), valid_from]) {
                Some(facts) => format!("API key generated ({facts})"),
                None => "API key generated.".to_string(),
            };
            Line::new(API_KEY, "Create", text)
        }
        "ApiKeyUpdated" => {
            let expiration = Some(
                time_of(ctx.data, "valid_until")
                    .map(when)
                    .unwrap_or_else(|| "no expiration".to_string()),
            );
            let facts = join(&[ctx.text("name"), expiration]).unwrap_or_default();
            Line::new(API_KEY, "Update", format!("API key updated ({facts})."))
        }
        "ApiKeyRevoked" => {
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

        // Devices.
        "DeviceRegistered" => Line::new(DEVICE, "Create", "Device registered.").details(join(&[
            ctx.text("label").map(quoted),
            ctx.text("user_agent"),
        ])),
        "DeviceTrusted" => Line::new(DEVICE, "Trust", "Device trusted.").details(
            uuid_of(ctx.data, "challenge_id")
                .map(|_| "after two-factor authentication".to_string()),
        ),
        "DeviceRenamed" => Line::new(DEVICE, "Update", "Device renamed.").details(Some(
            ctx.text("label")
                .map(quoted)
                .unwrap_or_else(|| "label removed".to_string()),
        )),
        "DeviceRevoked" => Line::new(DEVICE, "Revoke", "Device revoked.").details(
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

        // SSO configurations.
        "SsoConfigCreated" => {
            Line::new(SSO, "Create", "SSO configuration created.").details(identity_provider(ctx))
        }
        "SsoConfigUpdated" => sso_config_updated(ctx),
        "SsoAccountAdded" => Line::new(SSO, "Update", "Account added to SSO configuration.")
            .details(uuid_of(ctx.data, "account_id").map(|id| format!("account {id}"))),
        "SsoAccountRemoved" => Line::new(SSO, "Update", "Account removed from SSO configuration.")
            .details(uuid_of(ctx.data, "account_id").map(|id| format!("account {id}"))),
        "SsoConfigDeleted" => {
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

        _ => unknown(ctx.env),
    }
}

fn user_registered(ctx: &Ctx) -> Line {
    let how = match ctx.word("source").as_str() {
        "bootstrap" => Some("first administrator of the account"),
        "sso" => Some("created at first SSO login"),
        "google" => Some("created at first Google login"),
        "github" => Some("created at first GitHub login"),
        _ => None,
    };
    Line::new(USER, "Create", "User created.").details(how.map(str::to_owned))
}

fn profile_changes(ctx: &Ctx) -> Option<String> {
    let changes = ctx.data.get("changes")?;
    let fields: Vec<&str> = [
        ("first_name", "first name"),
        ("last_name", "last name"),
        ("phone", "phone"),
        ("language", "language"),
    ]
    .into_iter()
    .filter(|(key, _)| changes.get(key).is_some())
    .map(|(_, label)| label)
    .collect();
    (!fields.is_empty()).then(|| format!("{} changed", fields.join(", ")))
}

fn roles_changed(ctx: &Ctx) -> Option<String> {
    let roles = |key: &str| {
        let list: Vec<String> = strings_of(ctx.data, key).iter().map(|r| clean(r)).collect();
        if list.is_empty() {
            "member".to_string()
        } else {
            list.join(", ")
        }
    };
    ctx.data.get("roles")?;
    Some(format!(
        "roles changed from {} to {}",
        roles("previous"),
        roles("roles")
    ))
}

fn user_locked(ctx: &Ctx) -> Line {
    let details = (ctx.word("reason") == "policy").then(|| {
        let attempts = u32_of(ctx.data, "failed_attempts").unwrap_or(0);
        let mut d = count(
            attempts as usize,
            "failed login attempt",
            "failed login attempts",
        );
        if let Some(until) = time_of(ctx.data, "until") {
            d.push_str(&format!(", locked until {}", when(until)));
        }
        if ctx.word("scope") == "untrusted_devices" {
            d.push_str(", for logins from untrusted devices only");
        }
        d
    });
    Line::new(USER, "Lock", "User locked.").details(details)
}

fn external_identity(ctx: &Ctx) -> Option<String> {
    let provider = provider_name(&ctx.word("provider"));
    Some(match ctx.text("subject") {
        Some(subject) => format!("{provider} account {subject}"),
        None => format!("{provider} account"),
    })
}

fn team_membership(ctx: &Ctx, verb: &str) -> Line {
    let team = uuid_of(ctx.data, "team_id")
        .map(|id| format!("group {id}"))
        .unwrap_or_else(|| "a group".to_string());
    let mut details = format!("{} {verb} {team}", ctx.target_user());
    if bool_of(ctx.data, "via_sso") == Some(true) {
        details.push_str(" by SSO group sync");
    }
    Line::new(TEAM, "Update", "Group updated.").details(Some(details))
}

fn login_succeeded(ctx: &Ctx) -> Line {
    let text = match ctx.who() {
        Some(who) => format!("User logged in {who}"),
        None => "User logged in.".to_string(),
    };
    let method = ctx.word("method");
    let details = (!method.is_empty() && method != "password")
        .then(|| format!("{} login", login_method_name(&method)));
    Line::new(USER, "Login", text).details(details)
}

fn login_failed(ctx: &Ctx) -> Line {
    let text = match ctx.who() {
        Some(who) => format!("User login failed {who}."),
        None => "User login failed.".to_string(),
    };
    let reason = match ctx.word("reason").as_str() {
        "wrong_password" => Some("wrong password".to_string()),
        "locked" => Some("the user is locked".to_string()),
        "disabled" => Some("the user is disabled".to_string()),
        "password_expired" => Some("the password has expired".to_string()),
        "method_not_allowed" => Some(format!(
            "{} login is not allowed",
            login_method_name(&ctx.word("method"))
        )),
        "" => None,
        other => Some(humanize(other)),
    };
    let attempts = u32_of(ctx.data, "failed_attempts")
        .filter(|n| *n > 1)
        .map(|n| format!("{n} failed attempts in a row"));
    Line::new(USER, "Login", text)
        .failed()
        .details(join(&[reason, attempts]))
}

fn sessions_ended(ctx: &Ctx) -> Line {
    let n = ctx
        .data
        .get("session_ids")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let reason = match ctx.word("reason").as_str() {
        "logout" => Some("logged out".to_string()),
        "revoked" => Some("revoked".to_string()),
        "password_changed" => Some("password changed".to_string()),
        "totp_reset" => Some("authenticator app reset".to_string()),
        "disabled" => Some("user disabled".to_string()),
        "locked" => Some("user locked".to_string()),
        "expired" => Some("expired".to_string()),
        "" => None,
        other => Some(humanize(other)),
    };
    Line::new(USER, "Logout", "User sessions ended.")
        .details(join(&[Some(count(n, "session", "sessions")), reason]))
}

fn password_changed(ctx: &Ctx) -> Line {
    match ctx.word("method").as_str() {
        "reset_link" => Line::new(PASSWORD, "Update", "Password for user restored."),
        "admin" => Line::new(PASSWORD, "Update", "Password for user restored.")
            .details(Some("set by an administrator".to_string())),
        "expired" => Line::new(PASSWORD, "Updated", "Password updated.")
            .details(Some("the previous password had expired".to_string())),
        _ => Line::new(PASSWORD, "Updated", "Password updated."),
    }
}

fn challenge_failed(ctx: &Ctx) -> Line {
    let reason =
        (ctx.word("reason") == "reused").then(|| "an authenticator code already used".to_string());
    let attempts = u32_of(ctx.data, "attempts")
        .map(|n| count(n as usize, "failed attempt", "failed attempts"));
    let exhausted =
        (bool_of(ctx.data, "exhausted") == Some(true)).then(|| "no attempts left".to_string());
    Line::new(TWO_FA, "Verify", "Two-factor authentication failed.")
        .failed()
        .details(join(&[reason, attempts, exhausted]))
}

/// A wrong secret given from a session (counted like a failed login).
fn in_a_row(ctx: &Ctx) -> Option<String> {
    u32_of(ctx.data, "failed_attempts")
        .filter(|n| *n > 1)
        .map(|n| format!("{n} failed attempts in a row"))
}

fn totp_code_rejected(ctx: &Ctx) -> Line {
    let action = match ctx.word("action").as_str() {
        "disable" => "disabling the authenticator app",
        _ => "resetting the authenticator app",
    };
    let reason = if ctx.word("reason") == "reused" {
        "a code already used"
    } else {
        "wrong code"
    };
    Line::new(
        TWO_FA,
        "Update",
        "Two-factor authentication settings update failed.",
    )
    .failed()
    .details(join(&[Some(format!("{action}: {reason}")), in_a_row(ctx)]))
}

fn two_factor_mode_changed(ctx: &Ctx) -> Line {
    let mode = ctx.word("mode");
    let previous = ctx.word("previous");
    let when_asked = two_factor_mode_name(&mode);
    match (previous.as_str(), mode.as_str()) {
        (p, "off") if p != "off" => Line::new(
            TWO_FA,
            "Disable",
            "Two-factor authentication disabled for all users.",
        ),
        ("off", m) if m != "off" => Line::new(
            TWO_FA,
            "Enable",
            "Two-factor authentication enabled for all users.",
        )
        .details(when_asked),
        _ => Line::new(TWO_FA, "Update", TWO_FA_UPDATED).details(when_asked),
    }
}

fn two_factor_mode_name(mode: &str) -> Option<String> {
    match mode {
        "new_device" => Some("asked on new devices".to_string()),
        "every_login" => Some("asked at every login".to_string()),
        "off" => Some("off".to_string()),
        "" => None,
        other => Some(humanize(other)),
    }
}

fn policy_changes(ctx: &Ctx) -> Option<String> {
    let (policy, previous) = (ctx.data.get("policy")?, ctx.data.get("previous")?);
    let days = |v: Option<&Value>| match v.and_then(Value::as_u64) {
        Some(n) => count(n as usize, "day", "days"),
        None => "never".to_string(),
    };
    let minutes = |v: Option<&Value>| match v.and_then(Value::as_u64) {
        Some(n) => count(n as usize, "minute", "minutes"),
        None => "until unlocked".to_string(),
    };
    let plain = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => two_factor_mode_name(s).unwrap_or_default(),
        _ => "none".to_string(),
    };
    type Show<'f> = &'f dyn Fn(Option<&Value>) -> String;
    let fields: [(&str, &str, Show); 5] = [
        ("max_inactivity_days", "inactivity limit", &days),
        ("max_login_attempts", "maximum login attempts", &plain),
        ("password_validity_days", "password validity", &days),
        ("two_factor", "two-factor authentication", &plain),
        ("lock_minutes", "lock duration", &minutes),
    ];
    let changed: Vec<String> = fields
        .iter()
        .filter(|(key, _, _)| policy.get(key) != previous.get(key))
        .map(|(key, label, show)| {
            format!(
                "{label} changed from {} to {}",
                show(previous.get(key)),
                show(policy.get(key))
            )
        })
        .collect();
    (!changed.is_empty()).then(|| changed.join("; "))
}

fn login_option_changes(ctx: &Ctx) -> Option<String> {
    let (options, previous) = (ctx.data.get("options")?, ctx.data.get("previous")?);
    let changed: Vec<String> = ["password", "google", "github", "sso"]
        .into_iter()
        .filter_map(|key| {
            let now = bool_of(options, key)?;
            (bool_of(previous, key) != Some(now)).then(|| {
                let state = if now { "enabled" } else { "disabled" };
                format!("{} login {state}", login_method_name(key))
            })
        })
        .collect();
    (!changed.is_empty()).then(|| changed.join(", "))
}

fn logo(ctx: &Ctx) -> String {
    match ctx.data.get("logo").filter(|l| l.is_object()) {
        None => "logo removed".to_string(),
        Some(logo) => {
            let media = str_of(logo, "media_type").map(|m| clean(&m));
            let size = match (u32_of(logo, "width"), u32_of(logo, "height")) {
                (Some(w), Some(h)) => Some(format!("{w}x{h} px")),
                _ => None,
            };
            join(&[media, size]).unwrap_or_else(|| "new logo".to_string())
        }
    }
}

fn identity_provider(ctx: &Ctx) -> Option<String> {
    let settings = ctx.data.get("settings")?;
    str_of(settings, "idp_entity_id").map(|idp| format!("identity provider {}", clean(&idp)))
}

fn sso_config_updated(ctx: &Ctx) -> Line {
    let groups_now = ctx
        .data
        .get("settings")
        .and_then(|s| bool_of(s, "auto_create_groups"));
    let detached =
        bool_of(ctx.data, "previous_auto_create_groups") == Some(true) && groups_now == Some(false);
    let details = if detached {
        Some("auto-create groups turned off; its groups are no longer managed by SSO".to_string())
    } else {
        identity_provider(ctx)
    };
    Line::new(SSO, "Update", "SSO configuration updated.").details(details)
}

/// An event this catalogue does not know (a newer producer): still an entry, named after itself.
fn unknown(env: &PublicEnvelope) -> Line {
    let item = match env.aggregate_type.as_str() {
        "account" => ACCOUNT.to_string(),
        "user" => USER.to_string(),
        "device" => DEVICE.to_string(),
        "sso_config" => SSO.to_string(),
        other => humanize(&clean(other)),
    };
    let line = Line {
        item,
        action: "Event",
        outcome: Outcome::Success,
        text: format!("{}.", humanize(&clean(&env.event_type))),
    };
    if env.event_type.ends_with("Failed") {
        line.failed()
    } else {
        line
    }
}

// ---------------------------------------------------------------------------------------------
// Words.

fn channel(ctx: &Ctx) -> Option<String> {
    match ctx.word("channel").as_str() {
        "sms" => Some("SMS".to_string()),
        "voice" => Some("voice call".to_string()),
        "email" => Some("email".to_string()),
        "totp" => Some("authenticator app".to_string()),
        "" => None,
        other => Some(humanize(other)),
    }
}

fn login_method_name(method: &str) -> String {
    match method {
        "password" => "password".to_string(),
        "google" => "Google".to_string(),
        "github" => "GitHub".to_string(),
        "sso" => "SSO".to_string(),
        "" => "this".to_string(),
        other => humanize(other),
    }
}

fn provider_name(provider: &str) -> String {
    match provider {
        "google" => "Google".to_string(),
        "github" => "GitHub".to_string(),
        "saml" => "SAML".to_string(),
        "" => "external".to_string(),
        other => humanize(other),
    }
}

/// "from a to b", "set to b", "removed (was a)".
fn from_to(previous: Option<String>, now: Option<String>) -> Option<String> {
    match (previous, now) {
        (Some(p), Some(n)) => Some(format!("from {p} to {n}")),
        (None, Some(n)) => Some(format!("set to {n}")),
        (Some(p), None) => Some(format!("removed (was {p})")),
        (None, None) => None,
    }
}

/// The present parts joined with ", ", or None.
fn join(parts: &[Option<String>]) -> Option<String> {
    let present: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    (!present.is_empty()).then(|| present.join(", "))
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn quoted(s: String) -> String {
    format!("\"{s}\"")
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A value from `data` made fit for a sentence: no control characters, at most 200 characters.
fn clean(s: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = s
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX + 1)
        .collect();
    if out.chars().count() > MAX {
        out = out.chars().take(MAX - 1).collect();
        out.push('…');
    }
    out.trim().to_string()
}

/// "SomethingHappened" or "something_happened" -> "Something happened".
fn humanize(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == ' ' || c == '-' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    let sentence = words
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    if sentence.is_empty() {
        "Event".to_string()
    } else {
        capitalise(&sentence)
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use chronid_domain::account::AccountEvent;
    use chronid_domain::device::{DeviceEvent, DeviceRevokeReason};
    use chronid_domain::metadata::Actor;
    use chronid_domain::public::public_data;
    use chronid_domain::sso_config::{NameIdSource, SsoConfigEvent, SsoSettings};
    use chronid_domain::user::{
        ChallengePurpose, CodeFailure, DisableReason, IdentityProvider, LockReason, LockScope,
        LoginFailure, LoginMethod, PasswordChangeMethod, ProfileChanges, RegistrationSource,
        ResetInitiator, SessionEndReason, TotpAction, UnlockReason, UserEvent,
    };
    use chronid_domain::values::{
        AcsPath, Certificate, Certificates, ColorScheme, Email, EntityId, Hostname, HttpUrl,
        Language, LoginOptions, Logo, Name, PersonName, Phone, Role, Roles, SecurityPolicy,
        StoredSecret, TimeZone, TwoFactorChannel, TwoFactorMode, UserAgent, Username,
    };
    use serde_json::json;

    use super::*;

    const ACCOUNT_ID: Uuid = Uuid::from_u128(0xA);
    const USER_ID: Uuid = Uuid::from_u128(0x1);
    const ADMIN_ID: Uuid = Uuid::from_u128(0x2);
    /// The API key that acts.
    const KEY_ID: Uuid = Uuid::from_u128(0x3);
    /// The API key that events create, change and revoke.
    const NEW_KEY_ID: Uuid = Uuid::from_u128(0x4);
    const DEVICE_ID: Uuid = Uuid::from_u128(0x5);
    const TEAM_ID: Uuid = Uuid::from_u128(0x6);
    const SSO_ID: Uuid = Uuid::from_u128(0x7);
    const CHALLENGE_ID: Uuid = Uuid::from_u128(0x8);
    const OTHER_ACCOUNT_ID: Uuid = Uuid::from_u128(0xC);

    /// Marks every secret put into a domain event; no output may contain it.
    const SECRET: &str = "SECRET-VALUE";

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn secret(field: &str) -> StoredSecret {
        StoredSecret(format!("{SECRET}-{field}"))
    }

    fn name(s: &str) -> Name {
        Name::parse("name", s).unwrap()
    }

    fn env(
        aggregate_type: &str,
        aggregate_id: Uuid,
        event_type: &str,
        data: Value,
        actor: Actor,
    ) -> PublicEnvelope {
        PublicEnvelope {
            id: Uuid::from_u128(0xE0),
            event_type: event_type.to_string(),
            version: "1".to_string(),
            aggregate_type: aggregate_type.to_string(),
            aggregate_id,
            sequence: 7,
            position: 1234,
            account_id: ACCOUNT_ID,
            occurred_at: t("2026-01-02T03:04:05Z"),
            recorded_at: t("2026-01-02T03:04:06Z"),
            actor,
            ip: Some("192.0.2.1".to_string()),
            user_agent: Some("curl/8".to_string()),
            correlation_id: Some("corr".to_string()),
            data,
        }
    }

    /// The type string of a serialized domain event: cqrs-es tags it with the variant name, which
    /// is the `event_type()` of every event of the four aggregates (checked against the sources
    /// in `the_table_covers_every_event_type_of_the_domain`).
    fn tag(payload: &Value) -> String {
        match payload {
            Value::Object(map) => map.keys().next().cloned().unwrap_or_default(),
            Value::String(s) => s.clone(),
            other => panic!("unexpected payload {other}"),
        }
    }

    /// The envelope the relay would publish for `event`: its public form.
    fn published(
        aggregate_type: &str,
        aggregate_id: Uuid,
        event: &impl serde::Serialize,
        actor: Actor,
    ) -> PublicEnvelope {
        let payload = serde_json::to_value(event).unwrap();
        env(
            aggregate_type,
            aggregate_id,
            &tag(&payload),
            public_data(&payload),
            actor,
        )
    }

    /// The same event as if nothing had been stripped (to prove nothing secret is ever read).
    fn unstripped(
        aggregate_type: &str,
        aggregate_id: Uuid,
        event: &impl serde::Serialize,
        actor: Actor,
    ) -> PublicEnvelope {
        let payload = serde_json::to_value(event).unwrap();
        let inner = match &payload {
            Value::Object(map) => map.values().next().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        env(aggregate_type, aggregate_id, &tag(&payload), inner, actor)
    }

    fn jane() -> Principal {
        Principal {
            username: Some("jane".to_string()),
            email: Some("jane@example.com".to_string()),
            first_name: Some("Jane".to_string()),
            last_name: Some("Doe".to_string()),
            ..Principal::default()
        }
    }

    fn principals() -> HashMap<Uuid, Principal> {
        HashMap::from([
            (USER_ID, jane()),
            (
                ADMIN_ID,
                Principal {
                    username: Some("admin".to_string()),
                    email: Some("admin@example.com".to_string()),
                    ..Principal::default()
                },
            ),
            (
                KEY_ID,
                Principal {
                    key_name: Some("CI".to_string()),
                    ..Principal::default()
                },
            ),
            (
                NEW_KEY_ID,
                Principal {
                    key_name: Some("Deploy".to_string()),
                    ..Principal::default()
                },
            ),
            (
                DEVICE_ID,
                Principal {
                    owner: Some(USER_ID),
                    ..Principal::default()
                },
            ),
        ])
    }

    fn describe_known(env: &PublicEnvelope) -> AuditRecord {
        let known = principals();
        describe(env, &|id| known.get(&id).cloned())
    }

    fn settings(auto_create_groups: bool) -> SsoSettings {
        SsoSettings {
            idp_entity_id: EntityId::parse("idp_entity_id", "https://idp.example.com/entity")
                .unwrap(),
            idp_certificates: Certificates::new(vec![Certificate::parse(
                "-----BEGIN CERTIFICATE-----MA==-----END CERTIFICATE-----",
            )
            .unwrap()])
            .unwrap(),
            idp_sso_url: HttpUrl::parse("idp_sso_url", "https://idp.example.com/sso").unwrap(),
            idp_logout_url: None,
            sp_entity_id: EntityId::parse("sp_entity_id", "https://sp.example.com/acme").unwrap(),
            sp_acs_path: AcsPath::parse("Zm9vYmFyYmF6cXV4LV8x").unwrap(),
            auto_create_users: true,
            auto_create_groups,
            name_id_source: NameIdSource::Email,
        }
    }

    struct Case {
        env: PublicEnvelope,
        /// The same event with its secrets left in.
        raw: PublicEnvelope,
        /// "item | action | outcome | description".
        expected: &'static str,
    }

    fn case(
        aggregate_type: &str,
        id: Uuid,
        event: &impl serde::Serialize,
        actor: Actor,
        expected: &'static str,
    ) -> Case {
        Case {
            env: published(aggregate_type, id, event, actor),
            raw: unstripped(aggregate_type, id, event, actor),
            expected,
        }
    }

    fn user_case(event: UserEvent, actor: Actor, expected: &'static str) -> Case {
        case("user", USER_ID, &event, actor, expected)
    }

    fn account_case(event: AccountEvent, expected: &'static str) -> Case {
        case(
            "account",
            ACCOUNT_ID,
            &event,
            Actor::api_key(KEY_ID),
            expected,
        )
    }

    fn device_case(event: DeviceEvent, expected: &'static str) -> Case {
        case("device", DEVICE_ID, &event, Actor::user(USER_ID), expected)
    }

    fn sso_case(event: SsoConfigEvent, expected: &'static str) -> Case {
        case(
            "sso_config",
            SSO_ID,
            &event,
            Actor::user(ADMIN_ID),
            expected,
        )
    }

    fn summary(record: &AuditRecord) -> String {
        format!(
            "{} | {} | {} | {}",
            record.item,
            record.action,
            record.outcome.as_str(),
            record.description
        )
    }

    /// One instance of every event of the four aggregates, with its expected entry.
    fn cases() -> Vec<Case> {
        let admin = Actor::user(ADMIN_ID);
        let own = Actor::user(USER_ID);
        let system = Actor::system();
        let at = t("2026-01-02T03:04:05Z");
        vec![
            user_case(UserEvent::UserRegistered {
                    user_id: USER_ID,
                    account_id: ACCOUNT_ID,
                    email: Email::parse("jane@example.com").unwrap(),
                    username: Some(Username::parse("jane").unwrap()),
                    first_name: Some(PersonName::parse("first_name", "Jane").unwrap()),
                    last_name: Some(PersonName::parse("last_name", "Doe").unwrap()),
                    phone: Some(Phone::parse("+14155550100").unwrap()),
                    language: Language::english(),
                    roles: Roles::new([Role::AccountAdmin]),
                    source: RegistrationSource::Admin,
                    invited: true,
                    password_hash: Some(secret("password_hash")),
                    password_changed_at: None,
                    sso_managed: false,
                }, admin, "User | Create | success | User created."),
            user_case(UserEvent::UserProfileUpdated {
                    changes: ProfileChanges {
                        first_name: Some(Some(PersonName::parse("first_name", "Janet").unwrap())),
                        last_name: Some(None),
                        phone: None,
                        language: None,
                    },
                }, admin, "User | Update | success | User updated. Details: first name, last name changed."),
            user_case(UserEvent::UserRolesChanged {
                    roles: Roles::new([Role::AccountAdmin, Role::AccountManager]),
                    previous: Roles::member(),
                }, admin, "User | Update | success | User updated. Details: roles changed from member to AccountAdmin, AccountManager."),
            user_case(UserEvent::UserEmailChanged {
                    email: Email::parse("jane@new.example.com").unwrap(),
                    previous: Email::parse("jane@example.com").unwrap(),
                }, admin, "User | Update | success | User changed email address. Details: from jane@example.com to jane@new.example.com."),
            user_case(UserEvent::UserUsernameChanged {
                    username: Some(Username::parse("janed").unwrap()),
                    previous: Some(Username::parse("jane").unwrap()),
                }, own, "User | Update | success | User changed username. Details: from jane to janed."),
            user_case(UserEvent::UserPhoneVerified { phone: Phone::parse("+14155550100").unwrap() }, own, "User | Update | success | Mobile number verified for user."),
            user_case(UserEvent::UserEmailVerified { email: Email::parse("jane@example.com").unwrap() }, own, "User | Verify | success | User verified."),
            user_case(UserEvent::UserInvitationAccepted, own, "User | Accept | success | User accepted."),
            user_case(UserEvent::UserDisabled { reason: DisableReason::Inactivity }, system, "User | Disable | success | User disabled. Details: inactive for too long."),
            user_case(UserEvent::UserEnabled, admin, "User | Enable | success | User enabled."),
            user_case(UserEvent::UserLocked {
                    reason: LockReason::Policy,
                    failed_attempts: 5,
                    until: Some(t("2026-01-02T03:34:05Z")),
                    scope: LockScope::UntrustedDevices,
                }, system, "User | Lock | success | User locked. Details: 5 failed login attempts, locked until 2026-01-02 03:34:05 UTC, for logins from untrusted devices only."),
            user_case(UserEvent::UserUnlocked { reason: UnlockReason::Admin }, admin, "User | Unlock | success | User unlocked."),
            user_case(UserEvent::UserLanguageChanged { language: Language::parse("de").unwrap() }, own, "User | Update | success | User language changed. Details: de."),
            user_case(UserEvent::PasswordChanged {
                    password_hash: secret("password_hash"),
                    method: PasswordChangeMethod::SelfService,
                    changed_at: at,
                    expires_at: None,
                }, own, "Password | Updated | success | Password updated."),
            user_case(UserEvent::PasswordResetRequested {
                    request_id: Uuid::from_u128(0x20),
                    token_hash: secret("token_hash"),
                    token_sealed: Some(secret("token_sealed")),
                    initiated_by: ResetInitiator::Admin,
                    expires_at: at,
                    requested_at: at,
                }, admin, "Password | Restore | success | Password reset requested. Details: requested by an administrator."),
            user_case(UserEvent::PasswordResetEmailSent { request_id: Uuid::from_u128(0x20) }, system, "Password | Restore | success | Reset forgot password email sent."),
            user_case(UserEvent::PasswordResetEmailFailed {
                    request_id: Uuid::from_u128(0x20),
                    error: "smtp timeout".to_string(),
                }, system, "Password | Restore | failed | Reset forgot password email sending failed. Details: smtp timeout."),
            user_case(UserEvent::PasswordResetCompleted { request_id: Uuid::from_u128(0x20) }, system, "Password | Restore | success | Password reset completed."),
            user_case(UserEvent::LoginSucceeded {
                    method: LoginMethod::Password,
                    session_id: Uuid::from_u128(0x30),
                    session_token_hash: secret("session_token_hash"),
                    session_expires_at: at,
                    device_id: Some(DEVICE_ID),
                    at,
                }, system, "User | Login | success | User logged in (Jane Doe, jane@example.com)"),
            user_case(UserEvent::LoginFailed {
                    method: LoginMethod::Password,
                    reason: LoginFailure::WrongPassword,
                    failed_attempts: 1,
                    device_id: None,
                    scope: LockScope::Account,
                }, system, "User | Login | failed | User login failed (Jane Doe, jane@example.com). Details: wrong password."),
            user_case(UserEvent::PasswordChangeRequired {
                    change_id: Uuid::from_u128(0x21),
                    token_hash: secret("token_hash"),
                    expires_at: at,
                }, system, "Password | Expire | success | Password change required. Details: the password has expired."),
            user_case(UserEvent::UserLoggedOut { session_id: Uuid::from_u128(0x30) }, own, "User | Logout | success | User logged out (Jane Doe, jane@example.com)"),
            user_case(UserEvent::SessionsEnded {
                    session_ids: vec![Uuid::from_u128(0x30), Uuid::from_u128(0x31)],
                    reason: SessionEndReason::PasswordChanged,
                }, system, "User | Logout | success | User sessions ended. Details: 2 sessions, password changed."),
            user_case(UserEvent::TwoFactorRequirementChanged { required: true }, admin, "2FA | Update | success | Two-factor authentication settings updated. Details: two-factor authentication required for the user."),
            user_case(UserEvent::TwoFactorChannelChanged { channel: TwoFactorChannel::Sms }, own, "2FA | Update | success | Two-factor authentication settings updated. Details: codes delivered by SMS."),
            user_case(UserEvent::TwoFactorChallengeIssued {
                    challenge_id: CHALLENGE_ID,
                    channel: TwoFactorChannel::Sms,
                    purpose: ChallengePurpose::SignIn,
                    issued_at: at,
                    code_hash: Some(secret("code_hash")),
                    code_sealed: Some(secret("code_sealed")),
                    device_id: None,
                    expires_at: at,
                    max_attempts: 3,
                }, system, "2FA | Challenge | success | Two-factor authentication challenge issued. Details: SMS."),
            user_case(UserEvent::TwoFactorCodeDelivered { challenge_id: CHALLENGE_ID, channel: TwoFactorChannel::Sms }, system, "2FA | Send | success | Two-factor authentication code sent. Details: SMS."),
            user_case(UserEvent::TwoFactorCodeDeliveryFailed {
                    challenge_id: CHALLENGE_ID,
                    channel: TwoFactorChannel::Voice,
                    error: "carrier rejected".to_string(),
                }, system, "2FA | Send | failed | Two-factor authentication code sending failed. Details: voice call, carrier rejected."),
            user_case(UserEvent::TwoFactorChallengePassed { challenge_id: CHALLENGE_ID, device_id: None }, system, "2FA | Verify | success | Two-factor authentication passed."),
            user_case(UserEvent::TwoFactorChallengeFailed {
                    challenge_id: CHALLENGE_ID,
                    attempts: 3,
                    exhausted: true,
                    reason: CodeFailure::Reused,
                    tries_left: 0,
                    failed_attempts: Some(3),
                    scope: LockScope::Account,
                }, system, "2FA | Verify | failed | Two-factor authentication failed. Details: an authenticator code already used, 3 failed attempts, no attempts left."),
            user_case(UserEvent::PasswordChangeFailed { failed_attempts: 2 }, own, "Password | Update | failed | Password update failed. Details: wrong current password, 2 failed attempts in a row."),
            user_case(UserEvent::TotpCodeRejected {
                    action: TotpAction::Disable,
                    reason: CodeFailure::Wrong,
                    failed_attempts: 1,
                }, own, "2FA | Update | failed | Two-factor authentication settings update failed. Details: disabling the authenticator app: wrong code."),
            user_case(UserEvent::TotpEnrolled { secret_sealed: secret("secret_sealed") }, own, "2FA | Enroll | success | Authenticator app enrollment started."),
            user_case(UserEvent::TotpConfirmed { step: 59_000_000 }, own, "2FA | Update | success | Two-factor authentication settings updated. Details: authenticator app enabled."),
            user_case(UserEvent::TotpCodeUsed { step: 59_000_001 }, system, "2FA | Verify | success | Authenticator app code accepted."),
            user_case(UserEvent::TotpReset { secret_sealed: secret("secret_sealed"), keeps_current: true }, own, "2FA | Update | success | Two-factor authentication settings updated. Details: authenticator app reset."),
            user_case(UserEvent::TotpDisabled { by_admin: true }, admin, "2FA | Update | success | Two-factor authentication settings updated. Details: authenticator app disabled by an administrator."),
            user_case(UserEvent::ExternalIdentityLinked { provider: IdentityProvider::Google, subject: "1234".to_string() }, own, "User | Link | success | External identity linked. Details: Google account 1234."),
            user_case(UserEvent::ExternalIdentityUnlinked { provider: IdentityProvider::Github, subject: "octo".to_string() }, own, "User | Unlink | success | External identity unlinked. Details: GitHub account octo."),
            user_case(UserEvent::UserAddedToTeam { team_id: TEAM_ID, via_sso: false }, admin, "Team | Update | success | Group updated. Details: user jane added to group 00000000-0000-0000-0000-000000000006."),
            user_case(UserEvent::UserRemovedFromTeam { team_id: TEAM_ID, via_sso: true }, system, "Team | Update | success | Group updated. Details: user jane removed from group 00000000-0000-0000-0000-000000000006 by SSO group sync."),
            account_case(AccountEvent::AccountCreated { account_id: ACCOUNT_ID, name: name("Acme") }, "Account | Create | success | Account created. Details: \"Acme\"."),
            account_case(AccountEvent::AccountRenamed { name: name("Acme Inc"), previous: name("Acme") }, "Account | Update | success | Account renamed. Details: from \"Acme\" to \"Acme Inc\"."),
            account_case(AccountEvent::SecurityPolicyUpdated {
                    policy: SecurityPolicy {
                        max_login_attempts: 3,
                        password_validity_days: Some(90),
                        two_factor: TwoFactorMode::NewDevice,
                        ..SecurityPolicy::default()
                    },
                    previous: SecurityPolicy::default(),
                }, "Account | Update | success | Account security options updated. Details: maximum login attempts changed from 5 to 3; password validity changed from never to 90 days; two-factor authentication changed from off to asked on new devices."),
            account_case(AccountEvent::TwoFactorModeChanged { mode: TwoFactorMode::NewDevice, previous: TwoFactorMode::Off }, "2FA | Enable | success | Two-factor authentication enabled for all users. Details: asked on new devices."),
            account_case(AccountEvent::LoginOptionsUpdated {
                    options: LoginOptions { google: true, ..LoginOptions::default() },
                    previous: LoginOptions::default(),
                }, "Account | Update | success | Account login options updated. Details: Google login enabled."),
            account_case(AccountEvent::AccountLanguageChanged { language: Language::parse("de").unwrap() }, "Account | Update | success | Language successfully changed. Details: de."),
            account_case(AccountEvent::AccountTimeZoneChanged { time_zone: TimeZone::parse("Europe/Zagreb").unwrap(), previous: TimeZone::utc() }, "Account | Update | success | Time zone changed. Details: from UTC to Europe/Zagreb."),
            account_case(AccountEvent::ColorSchemeSet { scheme: ColorScheme::Dark }, "Account | Update | success | Color scheme set. Details: dark."),
            account_case(AccountEvent::HostnameSet { hostname: Some(Hostname::parse("login.acme.test").unwrap()) }, "Account | Update | success | Host name set. Details: login.acme.test."),
            account_case(AccountEvent::LogoUpdated { logo: Some(Logo::new("image/png", 100, 80, "ab12".to_string()).unwrap()) }, "Account | Update | success | Logo updated. Details: image/png, 100x80 px."),
            account_case(AccountEvent::TeamCreated { team_id: TEAM_ID, name: name("Sales"), sso_managed: false }, "Team | Create | success | Group created. Details: \"Sales\"."),
            account_case(AccountEvent::TeamRenamed { team_id: TEAM_ID, name: name("Sales EU"), previous: name("Sales") }, "Team | Update | success | Group updated. Details: renamed from \"Sales\" to \"Sales EU\"."),
            account_case(AccountEvent::TeamDeleted { team_id: TEAM_ID, name: name("Sales EU") }, "Team | Delete | success | Group deleted. Details: \"Sales EU\"."),
            account_case(AccountEvent::TeamsDetachedFromSso { team_ids: vec![TEAM_ID] }, "Team | Update | success | Group updated. Details: 1 group no longer managed by SSO."),
            account_case(AccountEvent::ApiKeyCreated {
                    key_id: NEW_KEY_ID,
                    name: name("Deploy"),
                    roles: Roles::new([Role::AccountManager]),
                    valid_from: at,
                    valid_until: None,
                    key_hash: secret("key_hash"),
                }, "API key | Create | success | API key generated (Deploy, 2026-01-02 03:04:05 UTC)"),
            account_case(AccountEvent::ApiKeyUpdated {
                    key_id: NEW_KEY_ID,
                    name: name("Deploy 2"),
                    valid_until: Some(t("2027-01-01T00:00:00Z")),
                }, "API key | Update | success | API key updated (Deploy 2, 2027-01-01 00:00:00 UTC)."),
            account_case(AccountEvent::ApiKeyRevoked { key_id: NEW_KEY_ID }, "API key | Revoke | success | API key revoked (Deploy)."),
            device_case(DeviceEvent::DeviceRegistered {
                    device_id: DEVICE_ID,
                    user_id: USER_ID,
                    account_id: ACCOUNT_ID,
                    token_hash: secret("token_hash"),
                    label: Some(name("Laptop")),
                    user_agent: UserAgent::new("Mozilla/5.0"),
                    first_seen_at: at,
                }, "Device | Create | success | Device registered. Details: \"Laptop\", Mozilla/5.0."),
            device_case(DeviceEvent::DeviceTrusted { challenge_id: Some(CHALLENGE_ID), trusted_at: at, user_epoch: 0 }, "Device | Trust | success | Device trusted. Details: after two-factor authentication."),
            device_case(DeviceEvent::DeviceRenamed { label: None }, "Device | Update | success | Device renamed. Details: label removed."),
            device_case(DeviceEvent::DeviceRevoked { reason: DeviceRevokeReason::PasswordReset }, "Device | Revoke | success | Device revoked. Details: the user's password was reset."),
            sso_case(SsoConfigEvent::SsoConfigCreated { config_id: SSO_ID, account_id: ACCOUNT_ID, settings: settings(true) }, "SSO | Create | success | SSO configuration created. Details: identity provider https://idp.example.com/entity."),
            sso_case(SsoConfigEvent::SsoConfigUpdated { settings: settings(false), previous_auto_create_groups: true }, "SSO | Update | success | SSO configuration updated. Details: auto-create groups turned off; its groups are no longer managed by SSO."),
            sso_case(SsoConfigEvent::SsoAccountAdded { account_id: OTHER_ACCOUNT_ID }, "SSO | Update | success | Account added to SSO configuration. Details: account 00000000-0000-0000-0000-00000000000c."),
            sso_case(SsoConfigEvent::SsoAccountRemoved { account_id: OTHER_ACCOUNT_ID }, "SSO | Update | success | Account removed from SSO configuration. Details: account 00000000-0000-0000-0000-00000000000c."),
            sso_case(SsoConfigEvent::SsoConfigDeleted {
                    sp_entity_id: EntityId::parse("sp_entity_id", "https://sp.example.com/acme").unwrap(),
                    accounts: vec![ACCOUNT_ID, OTHER_ACCOUNT_ID],
                }, "SSO | Delete | success | SSO configuration deleted. Details: logins through it ended for 2 accounts."),
        ]
    }

    /// Every `event_type()` string of the four aggregates, read from their sources.
    fn domain_event_types() -> BTreeSet<String> {
        let sources = [
            include_str!("../../domain/src/user/event.rs"),
            include_str!("../../domain/src/account/event.rs"),
            include_str!("../../domain/src/device/event.rs"),
            include_str!("../../domain/src/sso_config/event.rs"),
        ];
        let mut types = BTreeSet::new();
        for source in sources {
            let body = source
                .split("fn event_type(&self) -> String {")
                .nth(1)
                .and_then(|rest| rest.split("fn event_version").next())
                .unwrap();
            for arm in body.split("=> \"").skip(1) {
                types.insert(arm.split('"').next().unwrap().to_string());
            }
        }
        types
    }

    #[test]
    fn the_table_covers_every_event_type_of_the_domain() {
        let in_table: Vec<String> = cases().iter().map(|c| c.env.event_type.clone()).collect();
        let unique: BTreeSet<String> = in_table.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            in_table.len(),
            "an event type is listed twice"
        );
        let in_domain = domain_event_types();
        assert_eq!(
            in_domain.len(),
            67,
            "the domain's event catalogue changed size"
        );
        assert_eq!(unique, in_domain);
    }

    #[test]
    fn every_event_is_described_in_the_catalogues_words() {
        let mut wrong = Vec::new();
        for case in cases() {
            let got = summary(&describe_known(&case.env));
            if got != case.expected {
                wrong.push(format!(
                    "{}:\n  got  {got}\n  want {}",
                    case.env.event_type, case.expected
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn exactly_the_failed_events_have_a_failed_outcome() {
        let failed: BTreeSet<String> = cases()
            .iter()
            .filter(|c| describe_known(&c.env).outcome == Outcome::Failed)
            .map(|c| c.env.event_type.clone())
            .collect();
        let expected: BTreeSet<String> = [
            "LoginFailed",
            "TwoFactorChallengeFailed",
            "PasswordChangeFailed",
            "TotpCodeRejected",
            "PasswordResetEmailFailed",
            "TwoFactorCodeDeliveryFailed",
        ]
        .map(String::from)
        .into();
        assert_eq!(failed, expected);
    }

    #[test]
    fn no_entry_ever_shows_a_secret_even_if_data_were_not_stripped() {
        for case in cases() {
            for env in [&case.env, &case.raw] {
                let known = principals();
                let record = describe(env, &|id| known.get(&id).cloned());
                let json = serde_json::to_string(&record).unwrap();
                assert!(!json.contains(SECRET), "{}: {json}", env.event_type);
                if let Some((id, p)) = principal_change(env, known.get(&USER_ID)) {
                    let json = serde_json::to_string(&p).unwrap();
                    assert!(!json.contains(SECRET), "{} {id}: {json}", env.event_type);
                }
            }
        }
        // The raw payloads did hold secrets: the test above proves something.
        let raw_with_secrets = cases()
            .iter()
            .filter(|c| c.raw.data.to_string().contains(SECRET))
            .count();
        assert_eq!(raw_with_secrets, 10);
    }

    #[test]
    fn a_record_carries_the_envelopes_facts() {
        let case = cases()
            .into_iter()
            .find(|c| c.env.event_type == "UserDisabled")
            .unwrap();
        let record = describe_known(&case.env);
        assert_eq!(record.at, t("2026-01-02T03:04:05Z"));
        assert_eq!(record.account_id, ACCOUNT_ID);
        assert_eq!(record.aggregate_type, "user");
        assert_eq!(record.aggregate_id, USER_ID);
        assert_eq!(record.sequence, 7);
        assert_eq!(record.position, 1234);
        assert_eq!(record.event_id, Uuid::from_u128(0xE0));
        assert_eq!(record.event_type, "UserDisabled");
        assert_eq!(record.actor_kind, ActorKind::System);
        assert_eq!(record.actor_id, None);
        assert_eq!(record.username.as_deref(), Some("system"));
        assert_eq!(record.target_id, Some(USER_ID));
        assert_eq!(record.target_username.as_deref(), Some("jane"));
        assert_eq!(record.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(record.user_agent.as_deref(), Some("curl/8"));
        let back: AuditRecord =
            serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(back, record);
    }

    fn record_for(event_type: &str) -> AuditRecord {
        let case = cases()
            .into_iter()
            .find(|c| c.env.event_type == event_type)
            .unwrap();
        describe_known(&case.env)
    }

    #[test]
    fn actors_are_named_by_their_display() {
        let by_admin = record_for("UserEnabled");
        assert_eq!(
            (by_admin.actor_id, by_admin.username.as_deref()),
            (Some(ADMIN_ID), Some("admin"))
        );
        assert_eq!(by_admin.target_username.as_deref(), Some("jane"));

        let by_self = record_for("UserLanguageChanged");
        assert_eq!(by_self.username.as_deref(), Some("jane"));

        let by_key = record_for("TeamCreated");
        assert_eq!(by_key.actor_kind, ActorKind::ApiKey);
        assert_eq!(by_key.username.as_deref(), Some("API key CI"));
        assert_eq!((by_key.target_id, by_key.target_username), (None, None));

        let unknown_key = env(
            "account",
            ACCOUNT_ID,
            "TeamDeleted",
            json!({}),
            Actor::api_key(Uuid::from_u128(0x99)),
        );
        assert_eq!(describe_known(&unknown_key).username, None);
    }

    #[test]
    fn a_login_is_listed_under_the_user_who_logged_in() {
        for event_type in [
            "LoginSucceeded",
            "LoginFailed",
            "TwoFactorChallengeFailed",
            "PasswordChangeRequired",
        ] {
            let record = record_for(event_type);
            assert_eq!(record.actor_kind, ActorKind::System, "{event_type}");
            assert_eq!(record.username.as_deref(), Some("jane"), "{event_type}");
        }
        // Through an API key too; a system event that is not a login stays "system".
        let via_key = env(
            "user",
            USER_ID,
            "LoginSucceeded",
            json!({"method": "password"}),
            Actor::api_key(KEY_ID),
        );
        assert_eq!(describe_known(&via_key).username.as_deref(), Some("jane"));
        assert_eq!(
            record_for("PasswordResetEmailSent").username.as_deref(),
            Some("system")
        );
        // An unknown user: the actor's own name is kept.
        let unknown = env(
            "user",
            Uuid::from_u128(0x98),
            "LoginFailed",
            json!({"reason": "locked"}),
            Actor::system(),
        );
        let record = describe_known(&unknown);
        assert_eq!(record.username.as_deref(), Some("system"));
        assert_eq!(
            record.description,
            "User login failed. Details: the user is locked."
        );
    }

    #[test]
    fn every_device_event_is_about_the_devices_owner() {
        let registered = record_for("DeviceRegistered");
        assert_eq!(
            (registered.target_id, registered.target_username.as_deref()),
            (Some(USER_ID), Some("jane"))
        );
        assert_eq!(registered.username.as_deref(), Some("jane"));
        // Its registration makes the device known, with its owner.
        let case = cases()
            .into_iter()
            .find(|c| c.env.event_type == "DeviceRegistered")
            .unwrap();
        assert_eq!(
            principal_change(&case.env, None),
            Some((
                DEVICE_ID,
                Principal {
                    owner: Some(USER_ID),
                    ..Principal::default()
                }
            ))
        );
        // Later events name only the device: the owner comes from what is known of it, whoever
        // acted (an administrator revoking it).
        let mut revoked = cases()
            .into_iter()
            .find(|c| c.env.event_type == "DeviceRevoked")
            .unwrap()
            .env;
        revoked.actor = Actor::user(ADMIN_ID);
        let record = describe_known(&revoked);
        assert_eq!(
            (
                record.target_id,
                record.target_username.as_deref(),
                record.username.as_deref()
            ),
            (Some(USER_ID), Some("jane"), Some("admin"))
        );
        // A device never seen is about no one.
        let record = describe(&revoked, &|_| None);
        assert_eq!((record.target_id, record.target_username), (None, None));
    }

    #[test]
    fn a_registration_names_its_user_even_before_the_principal_is_stored() {
        let case = cases()
            .into_iter()
            .find(|c| c.env.event_type == "UserRegistered")
            .unwrap();
        let mut self_registered = case.env.clone();
        self_registered.actor = Actor::user(USER_ID);
        let record = describe(&self_registered, &|_| None);
        assert_eq!(record.target_username.as_deref(), Some("jane"));
        assert_eq!(record.username.as_deref(), Some("jane"));
        assert_eq!(record.description, "User created.");
    }

    #[test]
    fn registration_sources_add_details() {
        let registered = |source: &str| {
            let e = env(
                "user",
                USER_ID,
                "UserRegistered",
                json!({"email": "a@example.com", "source": source}),
                Actor::system(),
            );
            describe(&e, &|_| None).description
        };
        assert_eq!(registered("admin"), "User created.");
        assert_eq!(
            registered("sso"),
            "User created. Details: created at first SSO login."
        );
        assert_eq!(
            registered("github"),
            "User created. Details: created at first GitHub login."
        );
        assert_eq!(
            registered("bootstrap"),
            "User created. Details: first administrator of the account."
        );
    }

    fn line(
        aggregate_type: &str,
        event_type: &str,
        data: Value,
    ) -> (String, String, Outcome, String) {
        let e = env(
            aggregate_type,
            USER_ID,
            event_type,
            data,
            Actor::user(ADMIN_ID),
        );
        let r = describe_known(&e);
        (r.item, r.action, r.outcome, r.description)
    }

    fn entry(item: &str, action: &str, description: &str) -> (String, String, Outcome, String) {
        (
            item.to_string(),
            action.to_string(),
            Outcome::Success,
            description.to_string(),
        )
    }

    #[test]
    fn password_changes_read_by_method() {
        let changed = |method: &str| line("user", "PasswordChanged", json!({"method": method}));
        assert_eq!(
            changed("self_service"),
            entry("Password", "Updated", "Password updated.")
        );
        assert_eq!(
            changed("expired"),
            entry(
                "Password",
                "Updated",
                "Password updated. Details: the previous password had expired."
            )
        );
        assert_eq!(
            changed("reset_link"),
            entry("Password", "Update", "Password for user restored.")
        );
        assert_eq!(
            changed("admin"),
            entry(
                "Password",
                "Update",
                "Password for user restored. Details: set by an administrator."
            )
        );
        assert_eq!(
            line(
                "user",
                "PasswordResetRequested",
                json!({"initiated_by": "user"})
            ),
            entry(
                "Password",
                "Restore",
                "Password reset requested. Details: forgot password."
            )
        );
    }

    #[test]
    fn the_account_two_factor_mode_reads_as_enable_disable_or_update() {
        let mode = |previous: &str, mode: &str| {
            line(
                "account",
                "TwoFactorModeChanged",
                json!({"mode": mode, "previous": previous}),
            )
        };
        assert_eq!(
            mode("off", "every_login"),
            entry(
                "2FA",
                "Enable",
                "Two-factor authentication enabled for all users. Details: asked at every login."
            )
        );
        assert_eq!(
            mode("new_device", "off"),
            entry(
                "2FA",
                "Disable",
                "Two-factor authentication disabled for all users."
            )
        );
        assert_eq!(
            mode("every_login", "off"),
            entry(
                "2FA",
                "Disable",
                "Two-factor authentication disabled for all users."
            )
        );
        assert_eq!(
            mode("every_login", "new_device"),
            entry(
                "2FA",
                "Update",
                "Two-factor authentication settings updated. Details: asked on new devices."
            )
        );
        assert_eq!(
            line("account", "TwoFactorModeChanged", json!({})),
            entry(
                "2FA",
                "Update",
                "Two-factor authentication settings updated."
            )
        );
    }

    #[test]
    fn login_sentences_name_the_user_with_what_is_known() {
        let login = |p: Principal, data: Value| {
            let e = env("user", USER_ID, "LoginSucceeded", data, Actor::system());
            describe(&e, &|id| (id == USER_ID).then(|| p.clone())).description
        };
        let password = json!({"method": "password"});
        assert_eq!(
            login(jane(), password.clone()),
            "User logged in (Jane Doe, jane@example.com)"
        );
        let only_email = Principal {
            email: Some("j@example.com".into()),
            ..Principal::default()
        };
        assert_eq!(
            login(only_email, password.clone()),
            "User logged in (j@example.com)"
        );
        let username_last = Principal {
            username: Some("jd".into()),
            email: Some("j@example.com".into()),
            last_name: Some("Doe".into()),
            ..Principal::default()
        };
        assert_eq!(
            login(username_last, password.clone()),
            "User logged in (Doe, j@example.com)"
        );
        let username_only = Principal {
            username: Some("jd".into()),
            ..Principal::default()
        };
        assert_eq!(login(username_only, password), "User logged in (jd)");
        assert_eq!(login(Principal::default(), json!({})), "User logged in.");
        assert_eq!(
            login(jane(), json!({"method": "sso"})),
            "User logged in (Jane Doe, jane@example.com). Details: SSO login."
        );

        let (_, _, outcome, text) = line(
            "user",
            "LoginFailed",
            json!({"method": "google", "reason": "method_not_allowed", "failed_attempts": 3}),
        );
        assert_eq!(outcome, Outcome::Failed);
        assert_eq!(
            text,
            "User login failed (Jane Doe, jane@example.com). Details: Google login is not allowed, 3 failed attempts in a row."
        );
        let (_, _, _, out) = line("user", "UserLoggedOut", json!({}));
        assert_eq!(out, "User logged out (Jane Doe, jane@example.com)");
    }

    #[test]
    fn an_admin_lock_has_no_details() {
        assert_eq!(
            line(
                "user",
                "UserLocked",
                json!({"reason": "admin", "failed_attempts": 0, "until": null})
            ),
            entry("User", "Lock", "User locked.")
        );
        assert_eq!(
            line(
                "user",
                "UserLocked",
                json!({"reason": "policy", "failed_attempts": 1, "until": null})
            ),
            entry(
                "User",
                "Lock",
                "User locked. Details: 1 failed login attempt."
            )
        );
        assert_eq!(
            line("user", "UserUnlocked", json!({"reason": "expired"})),
            entry(
                "User",
                "Unlock",
                "User unlocked. Details: the lock expired."
            )
        );
        assert_eq!(
            line("user", "UserUnlocked", json!({"reason": "password_reset"})),
            entry(
                "User",
                "Unlock",
                "User unlocked. Details: password reset by link."
            )
        );
    }

    #[test]
    fn removals_and_missing_values_read_sensibly() {
        assert_eq!(
            line("account", "HostnameSet", json!({"hostname": null})),
            entry(
                "Account",
                "Update",
                "Host name set. Details: host name removed."
            )
        );
        assert_eq!(
            line("account", "LogoUpdated", json!({"logo": null})),
            entry("Account", "Update", "Logo updated. Details: logo removed.")
        );
        assert_eq!(
            line(
                "account",
                "ApiKeyUpdated",
                json!({"key_id": NEW_KEY_ID, "name": "CI", "valid_until": null})
            ),
            entry("API key", "Update", "API key updated (CI, no expiration).")
        );
        assert_eq!(
            line(
                "account",
                "ApiKeyRevoked",
                json!({"key_id": Uuid::from_u128(0x97)})
            ),
            entry("API key", "Revoke", "API key revoked.")
        );
        assert_eq!(
            line(
                "user",
                "UserUsernameChanged",
                json!({"username": null, "previous": "jane"})
            ),
            entry(
                "User",
                "Update",
                "User changed username. Details: removed (was jane)."
            )
        );
        assert_eq!(
            line(
                "user",
                "UserProfileUpdated",
                json!({"changes": {"phone": "+14155550100"}})
            ),
            entry("User", "Update", "User updated. Details: phone changed.")
        );
        assert_eq!(
            line(
                "user",
                "UserRolesChanged",
                json!({"roles": [], "previous": ["AccountAdmin"]})
            ),
            entry(
                "User",
                "Update",
                "User updated. Details: roles changed from AccountAdmin to member."
            )
        );
    }

    #[test]
    fn an_unknown_event_still_gets_an_entry() {
        assert_eq!(
            line("user", "SomethingHappened", json!({"x": 1})),
            entry("User", "Event", "Something happened.")
        );
        assert_eq!(
            line("sso_config", "SsoThingDone", json!(null)),
            entry("SSO", "Event", "Sso thing done.")
        );
        assert_eq!(
            line("reservation", "ReservationClaimed", json!({})),
            entry("Reservation", "Event", "Reservation claimed.")
        );
        assert_eq!(
            line("billing_profile", "ChargeFailed", json!([])),
            (
                "Billing profile".to_string(),
                "Event".to_string(),
                Outcome::Failed,
                "Charge failed.".to_string()
            )
        );
        assert_eq!(line("", "", json!("?")), entry("Event", "Event", "Event."));
    }

    #[test]
    fn malformed_data_never_panics() {
        let odd = [
            json!(null),
            json!(17),
            json!("text"),
            json!([1, 2]),
            json!({"reason": 3, "changes": [], "policy": 1}),
        ];
        for case in cases() {
            for data in &odd {
                let mut e = case.env.clone();
                e.data = data.clone();
                let record = describe_known(&e);
                assert!(!record.description.is_empty(), "{}", e.event_type);
                let _ = principal_change(&e, None);
                let _ = principals_needed(&e);
            }
        }
    }

    #[test]
    fn free_text_is_cleaned_and_bounded() {
        let long = format!("line\nbreak{}", "x".repeat(500));
        let (_, _, _, text) = line("account", "TeamDeleted", json!({ "name": long }));
        assert!(!text.contains('\n'));
        assert!(text.chars().count() < 260, "{text}");
        assert!(text.starts_with("Group deleted. Details: \"linebreakxxx"));
    }

    #[test]
    fn principal_change_for_each_event_that_names_a_principal() {
        let by = |event_type: &str, data: Value| {
            env("user", USER_ID, event_type, data, Actor::user(ADMIN_ID))
        };
        let current = jane();

        let registered = cases()
            .into_iter()
            .find(|c| c.env.event_type == "UserRegistered")
            .unwrap();
        assert_eq!(
            principal_change(&registered.env, None),
            Some((USER_ID, jane()))
        );

        let update = by(
            "UserProfileUpdated",
            json!({"changes": {"first_name": "Janet", "last_name": null}}),
        );
        let expected = Principal {
            first_name: Some("Janet".into()),
            last_name: None,
            ..jane()
        };
        assert_eq!(
            principal_change(&update, Some(&current)),
            Some((USER_ID, expected))
        );
        let phone_only = by(
            "UserProfileUpdated",
            json!({"changes": {"phone": "+14155550100"}}),
        );
        assert_eq!(principal_change(&phone_only, Some(&current)), None);
        // The real serialization of a clear reads the same.
        let profile = cases()
            .into_iter()
            .find(|c| c.env.event_type == "UserProfileUpdated")
            .unwrap();
        let (_, p) = principal_change(&profile.env, Some(&current)).unwrap();
        assert_eq!(
            (p.first_name.as_deref(), p.last_name),
            (Some("Janet"), None)
        );

        let email = by(
            "UserEmailChanged",
            json!({"email": "new@example.com", "previous": "jane@example.com"}),
        );
        let (id, p) = principal_change(&email, Some(&current)).unwrap();
        assert_eq!(
            (id, p.email.as_deref(), p.username.as_deref()),
            (USER_ID, Some("new@example.com"), Some("jane"))
        );
        // Unknown before: only what the event says.
        assert_eq!(
            principal_change(&email, None),
            Some((
                USER_ID,
                Principal {
                    email: Some("new@example.com".into()),
                    ..Principal::default()
                }
            ))
        );

        let renamed = by(
            "UserUsernameChanged",
            json!({"username": "janed", "previous": "jane"}),
        );
        assert_eq!(
            principal_change(&renamed, Some(&current))
                .unwrap()
                .1
                .username
                .as_deref(),
            Some("janed")
        );
        let cleared = by(
            "UserUsernameChanged",
            json!({"username": null, "previous": "jane"}),
        );
        let (_, p) = principal_change(&cleared, Some(&current)).unwrap();
        assert_eq!(p.username, None);
        assert_eq!(p.display().as_deref(), Some("jane@example.com"));

        let created = cases()
            .into_iter()
            .find(|c| c.env.event_type == "ApiKeyCreated")
            .unwrap();
        assert_eq!(
            principal_change(&created.env, None),
            Some((
                NEW_KEY_ID,
                Principal {
                    key_name: Some("Deploy".into()),
                    ..Principal::default()
                }
            ))
        );
        let updated = cases()
            .into_iter()
            .find(|c| c.env.event_type == "ApiKeyUpdated")
            .unwrap();
        let before = Principal {
            key_name: Some("Deploy".into()),
            ..Principal::default()
        };
        assert_eq!(
            principal_change(&updated.env, Some(&before)),
            Some((
                NEW_KEY_ID,
                Principal {
                    key_name: Some("Deploy 2".into()),
                    ..Principal::default()
                }
            ))
        );

        for other in [
            "UserDisabled",
            "LoginSucceeded",
            "ApiKeyRevoked",
            "TeamCreated",
            "DeviceRenamed",
        ] {
            let case = cases()
                .into_iter()
                .find(|c| c.env.event_type == other)
                .unwrap();
            assert_eq!(principal_change(&case.env, Some(&current)), None, "{other}");
        }
        assert_eq!(
            principal_change(&by("UserEmailChanged", json!({})), Some(&current)),
            None
        );
        assert_eq!(
            principal_change(&by("ApiKeyCreated", json!({"name": "x"})), None),
            None
        );
    }

    #[test]
    fn display_falls_back_from_username_to_email_to_key_name() {
        assert_eq!(jane().display().as_deref(), Some("jane"));
        let email = Principal {
            username: Some(String::new()),
            email: Some("j@example.com".into()),
            ..Principal::default()
        };
        assert_eq!(email.display().as_deref(), Some("j@example.com"));
        let key = Principal {
            key_name: Some("CI".into()),
            ..Principal::default()
        };
        assert_eq!(key.display().as_deref(), Some("API key CI"));
        assert_eq!(Principal::default().display(), None);
    }

    #[test]
    fn principals_needed_lists_actor_target_and_revoked_key_once() {
        let needed = |event_type: &str| {
            let case = cases()
                .into_iter()
                .find(|c| c.env.event_type == event_type)
                .unwrap();
            principals_needed(&case.env)
        };
        assert_eq!(needed("UserEnabled"), vec![ADMIN_ID, USER_ID]);
        assert_eq!(needed("UserLanguageChanged"), vec![USER_ID]);
        assert_eq!(needed("LoginSucceeded"), vec![USER_ID]);
        assert_eq!(needed("TeamCreated"), vec![KEY_ID]);
        assert_eq!(needed("ApiKeyRevoked"), vec![KEY_ID, NEW_KEY_ID]);
        assert_eq!(needed("DeviceRegistered"), vec![USER_ID]);
        // The device (then its owner, loaded by the storage layer) and the actor.
        assert_eq!(needed("DeviceRenamed"), vec![USER_ID, DEVICE_ID]);
        assert_eq!(needed("SsoAccountAdded"), vec![ADMIN_ID]);
        let system = env(
            "account",
            ACCOUNT_ID,
            "AccountCreated",
            json!({}),
            Actor::system(),
        );
        assert_eq!(principals_needed(&system), Vec::<Uuid>::new());
    }

    #[test]
    fn every_id_describe_asks_for_is_in_principals_needed() {
        // The device events again, done by an administrator: the owner is then needed apart
        // from the actor.
        let by_admin = cases()
            .into_iter()
            .filter(|c| c.env.aggregate_type == "device")
            .map(|mut c| {
                c.env.actor = Actor::user(ADMIN_ID);
                c
            });
        let all: Vec<Case> = cases().into_iter().chain(by_admin).collect();
        assert!(all.len() > cases().len());
        for case in all {
            let known = principals();
            // As the storage layer loads them: the principals needed, then the owners of the
            // devices among them.
            let mut needed = principals_needed(&case.env);
            let owners: Vec<Uuid> = needed
                .iter()
                .filter_map(|id| known.get(id).and_then(|p| p.owner))
                .collect();
            needed.extend(owners);
            let asked = std::cell::RefCell::new(Vec::new());
            describe(&case.env, &|id| {
                asked.borrow_mut().push(id);
                known.get(&id).cloned()
            });
            for id in asked.into_inner() {
                assert!(
                    needed.contains(&id),
                    "{} asked for {id}",
                    case.env.event_type
                );
            }
        }
    }

    #[test]
    fn outcome_strings_round_trip() {
        for outcome in [Outcome::Success, Outcome::Failed] {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
            assert_eq!(
                serde_json::to_value(outcome).unwrap(),
                json!(outcome.as_str())
            );
        }
        assert_eq!(Outcome::parse("Failed"), None);
    }
}
