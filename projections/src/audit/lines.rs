//! The pieces of audit lines: a line (item, action, outcome, sentence, details), the context it
//! is written from, and the lines and details that take more than one expression.

use chronid_domain::public::PublicEnvelope;
use serde_json::Value;
use uuid::Uuid;

use super::*;
use crate::data::{bool_of, str_of, strings_of, time_of, u32_of, uuid_of};

pub(super) struct Line {
    pub(super) item: String,
    pub(super) action: &'static str,
    pub(super) outcome: Outcome,
    pub(super) text: String,
}

impl Line {
    pub(super) fn new(item: &'static str, action: &'static str, text: impl Into<String>) -> Self {
        Self {
            item: item.to_string(),
            action,
            outcome: Outcome::Success,
            text: text.into(),
        }
    }

    pub(super) fn failed(mut self) -> Self {
        self.outcome = Outcome::Failed;
        self
    }

    /// Appends " Details: <details>." in the product's style.
    pub(super) fn details(mut self, details: Option<String>) -> Self {
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

pub(super) struct Ctx<'a> {
    pub(super) env: &'a PublicEnvelope,
    pub(super) data: &'a Value,
    /// The user the event is about, as known (see `target_of`).
    pub(super) target: Option<&'a Principal>,
    pub(super) lookup: &'a dyn Fn(Uuid) -> Option<Principal>,
}

impl Ctx<'_> {
    /// A free-text field, made safe to show.
    pub(super) fn text(&self, key: &str) -> Option<String> {
        str_of(self.data, key).map(|s| clean(&s))
    }

    /// A snake_case enum field, as is (matched against known values).
    pub(super) fn word(&self, key: &str) -> String {
        str_of(self.data, key).unwrap_or_default()
    }

    /// "(Jane Doe, jane@example.com)": how login sentences name their user.
    pub(super) fn who(&self) -> Option<String> {
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
    pub(super) fn target_user(&self) -> String {
        match self.target.and_then(Principal::display) {
            Some(name) => format!("user {}", clean(&name)),
            None => "a user".to_string(),
        }
    }
}

pub(super) fn user_registered(ctx: &Ctx) -> Line {
    let how = match ctx.word("source").as_str() {
        "bootstrap" => Some("first administrator of the account"),
        "sso" => Some("created at first SSO login"),
        "google" => Some("created at first Google login"),
        "github" => Some("created at first GitHub login"),
        _ => None,
    };
    Line::new(USER, "Create", "User created.").details(how.map(str::to_owned))
}

pub(super) fn profile_changes(ctx: &Ctx) -> Option<String> {
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

pub(super) fn roles_changed(ctx: &Ctx) -> Option<String> {
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

pub(super) fn user_locked(ctx: &Ctx) -> Line {
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

pub(super) fn external_identity(ctx: &Ctx) -> Option<String> {
    let provider = provider_name(&ctx.word("provider"));
    Some(match ctx.text("subject") {
        Some(subject) => format!("{provider} account {subject}"),
        None => format!("{provider} account"),
    })
}

pub(super) fn team_membership(ctx: &Ctx, verb: &str) -> Line {
    let team = uuid_of(ctx.data, "team_id")
        .map(|id| format!("group {id}"))
        .unwrap_or_else(|| "a group".to_string());
    let mut details = format!("{} {verb} {team}", ctx.target_user());
    if bool_of(ctx.data, "via_sso") == Some(true) {
        details.push_str(" by SSO group sync");
    }
    Line::new(TEAM, "Update", "Group updated.").details(Some(details))
}

pub(super) fn login_succeeded(ctx: &Ctx) -> Line {
    let text = match ctx.who() {
        Some(who) => format!("User logged in {who}"),
        None => "User logged in.".to_string(),
    };
    let method = ctx.word("method");
    let details = (!method.is_empty() && method != "password")
        .then(|| format!("{} login", login_method_name(&method)));
    Line::new(USER, "Login", text).details(details)
}

pub(super) fn login_failed(ctx: &Ctx) -> Line {
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

pub(super) fn sessions_ended(ctx: &Ctx) -> Line {
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

pub(super) fn password_changed(ctx: &Ctx) -> Line {
    match ctx.word("method").as_str() {
        "reset_link" => Line::new(PASSWORD, "Update", "Password for user restored."),
        "admin" => Line::new(PASSWORD, "Update", "Password for user restored.")
            .details(Some("set by an administrator".to_string())),
        "expired" => Line::new(PASSWORD, "Updated", "Password updated.")
            .details(Some("the previous password had expired".to_string())),
        _ => Line::new(PASSWORD, "Updated", "Password updated."),
    }
}

pub(super) fn challenge_failed(ctx: &Ctx) -> Line {
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
pub(super) fn in_a_row(ctx: &Ctx) -> Option<String> {
    u32_of(ctx.data, "failed_attempts")
        .filter(|n| *n > 1)
        .map(|n| format!("{n} failed attempts in a row"))
}

pub(super) fn totp_code_rejected(ctx: &Ctx) -> Line {
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

pub(super) fn two_factor_mode_changed(ctx: &Ctx) -> Line {
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

pub(super) fn two_factor_mode_name(mode: &str) -> Option<String> {
    match mode {
        "new_device" => Some("asked on new devices".to_string()),
        "every_login" => Some("asked at every login".to_string()),
        "off" => Some("off".to_string()),
        "" => None,
        other => Some(humanize(other)),
    }
}

pub(super) fn policy_changes(ctx: &Ctx) -> Option<String> {
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

pub(super) fn login_option_changes(ctx: &Ctx) -> Option<String> {
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

pub(super) fn logo(ctx: &Ctx) -> String {
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

pub(super) fn identity_provider(ctx: &Ctx) -> Option<String> {
    let settings = ctx.data.get("settings")?;
    str_of(settings, "idp_entity_id").map(|idp| format!("identity provider {}", clean(&idp)))
}

/// A refused SSO login, listed as a failed login of the user it names (when known).
pub(super) fn sso_login_failed(ctx: &Ctx) -> Line {
    let text = match ctx
        .who()
        .or_else(|| ctx.text("name_id").map(|n| format!("({n})")))
    {
        Some(who) => format!("User login failed {who}."),
        None => "User login failed.".to_string(),
    };
    let reason = match ctx.word("reason").as_str() {
        "malformed" => "the SAML response is malformed or holds what is not accepted",
        "assertion_count" => "the SAML response does not hold exactly one assertion",
        "weak_algorithm" => "the SAML response uses a weak algorithm",
        "signature" => "the SAML response is not signed by a configured certificate",
        "issuer" => "the SAML response comes from another identity provider",
        "destination" => "the SAML response is for another assertion consumer (Destination)",
        "recipient" => "the assertion is for another assertion consumer (Recipient)",
        "audience" => "the assertion is for another service provider (Audience)",
        "expired" => "the assertion has expired",
        "not_yet_valid" => "the assertion is not valid yet",
        "unknown_request" => "the SAML response answers no outstanding request",
        "unsolicited" => "unsolicited SAML responses are not accepted",
        "idp_status" => "the identity provider did not authenticate the user",
        "no_subject" => "the assertion names no user",
        "replayed" => "the assertion was used before",
        "other_browser" => "the SAML response reached another browser than the one that asked",
        "name_id_not_email" => "the NameID is not an email address",
        "unknown_user" => "no user has the NameID as email and auto-create users is off",
        "method_not_allowed" => "SSO login is not allowed",
        "user_locked" => "the user is locked",
        "user_disabled" => "the user is disabled",
        "creation" => "the user could not be created",
        _ => "",
    };
    let reason = (!reason.is_empty()).then(|| format!("SSO login: {reason}"));
    Line::new(USER, "Login", text).failed().details(reason)
}

/// A Google or GitHub login refused: who, when known (the user, else the verified email), and
/// why in chronid's words.
pub(super) fn external_login_refused(ctx: &Ctx) -> Line {
    let text = match ctx
        .who()
        .or_else(|| ctx.text("email").map(|e| format!("({e})")))
    {
        Some(who) => format!("User login failed {who}."),
        None => "User login failed.".to_string(),
    };
    let provider = match ctx.word("provider").as_str() {
        "google" => "Google",
        "github" => "GitHub",
        _ => "External",
    };
    let reason = match ctx.word("reason").as_str() {
        "state" => "the answer is for another login attempt or another browser (state)",
        "code" => "the provider refused the authorization code (used before, or expired)",
        "no_id_token" => "the provider sent no ID token",
        "signature" => "the ID token is not signed by a key of the provider",
        "audience" => "the ID token is for another client (audience)",
        "issuer" => "the ID token comes from another issuer",
        "expired" => "the ID token has expired",
        "nonce" => "the ID token answers another login attempt (nonce)",
        "claims" => "the ID token's claims are not acceptable",
        "email_not_verified" => "the provider has not verified the email",
        "provider_error" => "the provider's API answered with an error",
        "no_account" => "no user of an account that allows this login holds the email",
        "provider_not_allowed" => "the account does not allow this login",
        "user_locked" => "the user is locked",
        "user_disabled" => "the user is disabled",
        "cancelled" => "the login was not completed at the provider",
        _ => "",
    };
    let details = match reason.is_empty() {
        true => format!("{provider} login"),
        false => format!("{provider} login: {reason}"),
    };
    Line::new(USER, "Login", text)
        .failed()
        .details(Some(details))
}

pub(super) fn sso_config_updated(ctx: &Ctx) -> Line {
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
pub(super) fn unknown(env: &PublicEnvelope) -> Line {
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
