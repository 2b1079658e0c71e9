//! What a person's own pages show: their profile and second-factor state, and the branding of
//! the account whose pages they are on. Read from the aggregates, so a page shown right after a
//! change shows the change.

use chronid_domain::user::User;
use chronid_domain::values::{ColorScheme, Logo, Role, TwoFactorChannel};
use uuid::Uuid;

use crate::{App, AppError, Principal};

/// The caller's own user, as their profile page shows it. No secret is here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyProfile {
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub account_name: String,
    pub email: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub roles: Vec<Role>,
    /// The user must pass a second factor on new devices (set for them or by the account).
    pub two_factor_required: bool,
    pub two_factor_channel: TwoFactorChannel,
    /// A confirmed authenticator app.
    pub totp_enabled: bool,
    /// An authenticator being set up, waiting for its first code.
    pub totp_pending: bool,
}

/// How an account's pages look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub account_id: Uuid,
    pub name: String,
    pub color_scheme: Option<ColorScheme>,
    pub logo: Option<Logo>,
    pub language: Option<String>,
    /// Which ways of logging in the account allows (its login page shows only those).
    pub login_options: chronid_domain::values::LoginOptions,
}

impl App {
    /// The caller's profile (a session's user).
    pub async fn my_profile(&self, who: &Principal) -> Result<MyProfile, AppError> {
        let (user_id, _) = Self::session_caller(who)?;
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        let account = self.account(who.account_id).await?;
        let text = |v: Option<&str>| v.map(str::to_string);
        Ok(MyProfile {
            user_id,
            account_id: who.account_id,
            account_name: account
                .name
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            email: text(user.email.as_ref().map(|e| e.as_str())),
            username: text(user.username.as_ref().map(|u| u.as_str())),
            first_name: text(user.first_name.as_ref().map(|n| n.as_str())),
            last_name: text(user.last_name.as_ref().map(|n| n.as_str())),
            phone: text(user.phone.as_ref().map(|p| p.as_str())),
            language: text(user.language.as_ref().map(|l| l.as_str())),
            roles: user.roles.iter().collect(),
            two_factor_required: user.two_factor_required
                || account.policy.two_factor != chronid_domain::values::TwoFactorMode::Off,
            two_factor_channel: user.two_factor_channel,
            totp_enabled: user.totp.is_some(),
            totp_pending: user.totp_pending.is_some(),
        })
    }

    /// The branding of an account; `None` when there is no such account.
    pub async fn branding(&self, account_id: Uuid) -> Result<Option<Branding>, AppError> {
        let account = match self.account(account_id).await {
            Ok(account) => account,
            Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let c = account.customization;
        Ok(Some(Branding {
            account_id,
            name: account
                .name
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            color_scheme: c.color_scheme,
            logo: c.logo,
            language: c.language.map(|l| l.as_str().to_string()),
            login_options: account.login_options,
        }))
    }
}
