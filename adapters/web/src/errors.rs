//! A use case's refusal as a page says it: the message in the page's language and the field it
//! concerns. Codes a page does not expect fall back to a general message naming the code; an
//! internal failure never shows its cause.

use chronid_app::AppError;
use chronid_domain::values::Password;

use crate::context::Ctx;
use crate::i18n::Arg;

/// A refusal ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The form field it concerns, if any (else it is shown above the form).
    pub field: Option<&'static str>,
    pub text: String,
}

/// How `ctx`'s page says `error`. `password_field` names the field a password refusal belongs
/// to on this page.
pub fn shown(ctx: &Ctx, error: &AppError, password_field: &'static str) -> Shown {
    let (field, id, args): (Option<&'static str>, &str, Vec<(&str, Arg)>) = match error.code {
        "AUTH-INVALID-CREDENTIALS" => (Some(password_field), "login-failed", vec![]),
        "AUTH-USER-LOCKED" => (None, "login-locked", vec![]),
        "AUTH-USER-DISABLED" => (None, "login-disabled", vec![]),
        "AUTH-METHOD-NOT-ALLOWED" => (None, "login-method-not-allowed", vec![]),
        "AUTH-CODE-INVALID" => (Some("code"), "code-wrong", vec![]),
        "TOTP-CODE-INVALID" => (Some("code"), "totp-wrong", vec![]),
        "TOTP-CODE-REUSED" => (Some("code"), "code-reused", vec![]),
        "AUTH-CODE-EXHAUSTED" => (None, "code-exhausted", vec![]),
        "AUTH-CODE-EXPIRED" | "AUTH-CHALLENGE-NOT-FOUND" => (None, "login-expired", vec![]),
        "AUTH-TOO-MANY-CODES" => (
            None,
            "code-too-many",
            vec![("secs", error.retry_after.unwrap_or(60).into())],
        ),
        "AUTH-WRONG-PASSWORD" => (Some("current_password"), "password-wrong", vec![]),
        "AUTH-TOKEN-INVALID" | "AUTH-TOKEN-EXPIRED" => (None, "reset-invalid", vec![]),
        "PASSWORD-REUSED" => (Some("new_password"), "password-reused", vec![]),
        "USR-PHONE-REQUIRED" => (Some("channel"), "channel-needs-phone", vec![]),
        "TOTP-NOT-ENABLED" => (Some("channel"), "channel-needs-totp", vec![]),
        "USR-TWO-FACTOR-REQUIRED" => (None, "totp-required-by-admin", vec![]),
        "AUTH-INVALID-SESSION" | "AUTH-SESSION-REQUIRED" => (None, "session-ended", vec![]),
        "VALIDATION" if error.field == Some("password") => (
            Some("new_password"),
            "password-too-short",
            vec![("min", (Password::MIN_LEN as u64).into())],
        ),
        "VALIDATION" if error.field == Some("code") => {
            (Some("code"), "code-invalid-format", vec![])
        }
        "VALIDATION" if error.field == Some("new_password_repeat") => {
            (Some("new_password_repeat"), "password-mismatch", vec![])
        }
        "VALIDATION" if error.field == Some("current_password") => {
            (Some("current_password"), "field-required", vec![])
        }
        "VALIDATION" if error.field == Some("channel") => {
            (Some("channel"), "field-required", vec![])
        }
        "VALIDATION" if matches!(error.field, Some("idp_certificate" | "idp_certificates")) => (
            Some("idp_certificates"),
            "sso-certificate-invalid",
            vec![("why", error.message.clone().into())],
        ),
        "VALIDATION" if error.field == Some("idp_metadata_xml") => (
            Some("idp_metadata_xml"),
            "sso-metadata-invalid",
            vec![("why", error.message.clone().into())],
        ),
        "VALIDATION" if error.field == Some("logo") => (Some("logo"), "logo-missing", vec![]),
        "ACC-LOGO-TOO-LARGE" => (
            Some("logo"),
            "logo-too-large",
            vec![(
                "max",
                u64::from(chronid_domain::values::Logo::MAX_SIDE).into(),
            )],
        ),
        "ACC-LOGO-INVALID" => (Some("logo"), "logo-invalid", vec![]),
        "ACC-HOSTNAME-TAKEN" => (Some("hostname"), "hostname-taken", vec![]),
        "SSO-SLUG-TAKEN" => (Some("sp_slug"), "sso-slug-taken", vec![]),
        // Any other field a value was refused in: said beside that field.
        "VALIDATION" if error.field.is_some() => (error.field, "field-invalid", vec![]),
        "USR-EMAIL-TAKEN" => (Some("email"), "email-taken", vec![]),
        "INTERNAL" | "SERVER-BUSY" => (None, "error-internal", vec![]),
        other => (None, "error-other", vec![("code", other.into())]),
    };
    Shown {
        field,
        text: ctx.t_with(id, &args),
    }
}

impl Shown {
    /// The text when it belongs to `field`.
    pub fn at(&self, field: &str) -> Option<String> {
        (self.field == Some(field)).then(|| self.text.clone())
    }

    /// The text when it belongs to no field.
    pub fn general(&self) -> Option<String> {
        self.field.is_none().then(|| self.text.clone())
    }
}
