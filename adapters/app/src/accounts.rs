//! Account use cases: creating an account (and bootstrapping the first one with its admin and API
//! key), the security policy, login options and customization.

use chronid_domain::account::{Account, AccountCommand, AccountError};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::RegistrationSource;
use chronid_domain::values::{
    ColorScheme, Email, Hostname, Language, LoginOptions, Logo, Name, Password, Role, Roles,
    SecurityPolicy, TimeZone, Username,
};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::api_keys::Principal;
use super::users::NewUser;
use super::{outcome, App, AppCode, AppError, Outcome};
use chronid_domain::reservation::{
    hostname_key, Reservation, ReservationCommand, ReservationError,
};
use chronid_store::CommandError;

/// What `chronid bootstrap` prints.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bootstrapped {
    pub account_id: Uuid,
    pub user_id: Uuid,
    /// Printed once by `chronid bootstrap`.
    #[serde(serialize_with = "shown_once")]
    pub api_key: SecretString,
}

impl App {
    #[tracing::instrument(name = "create_account", skip_all, fields(actor = ?facts.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn create_account(
        &self,
        name: Name,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let account_id = self.exec.services().ids.new_id();
        let committed = self
            .exec
            .execute::<chronid_domain::account::Account>(
                &account_id.to_string(),
                AccountCommand::Create { account_id, name },
                facts,
            )
            .await?;
        Ok(outcome(account_id, &committed))
    }

    /// Creates an account, its first user (AccountAdmin and AccountManager) and an API key with
    /// both roles.
    #[tracing::instrument(name = "bootstrap", skip_all)]
    pub async fn bootstrap(
        &self,
        account_name: Name,
        admin_email: Email,
        admin_username: Option<Username>,
        password: Password,
    ) -> Result<Bootstrapped, AppError> {
        let facts = RequestFacts::system();
        let account = self.create_account(account_name, &facts).await?;
        let all_roles = Roles::new([Role::AccountAdmin, Role::AccountManager]);
        let user = self
            .register_user_unchecked(
                account.id,
                NewUser {
                    email: admin_email,
                    username: admin_username,
                    first_name: None,
                    last_name: None,
                    phone: None,
                    language: None,
                    roles: all_roles.clone(),
                    password: Some(password),
                },
                RegistrationSource::Bootstrap,
                None,
                &facts,
            )
            .await?;
        let name = Name::parse("name", "bootstrap")?;
        let key = self
            .mint_api_key(account.id, name, all_roles, None, &facts)
            .await?;
        Ok(Bootstrapped {
            account_id: account.id,
            user_id: user.id,
            api_key: key.token,
        })
    }

    async fn on_account(
        &self,
        who: &Principal,
        account_id: Uuid,
        command: AccountCommand,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_account_manager(account_id)?;
        match self
            .exec
            .execute::<Account>(&account_id.to_string(), command, facts)
            .await
        {
            Ok(committed) => Ok(outcome(account_id, &committed)),
            // Settings set to what they are: idempotent.
            Err(CommandError::Domain(AccountError::NoChange)) => {
                self.unchanged::<Account>(account_id).await
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The account's security policy and login options as they stand (read from the store, so
    /// a page after a change shows it). AccountManager only.
    pub async fn security_settings(
        &self,
        who: &Principal,
        account_id: Uuid,
    ) -> Result<(SecurityPolicy, LoginOptions), AppError> {
        who.require_account_manager(account_id)?;
        let account = self.account(account_id).await?;
        Ok((account.policy, account.login_options))
    }

    #[tracing::instrument(name = "update_security_policy", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn update_security_policy(
        &self,
        who: &Principal,
        account_id: Uuid,
        policy: SecurityPolicy,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        self.on_account(
            who,
            account_id,
            AccountCommand::UpdateSecurityPolicy { policy },
            facts,
        )
        .await
    }

    #[tracing::instrument(name = "update_login_options", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn update_login_options(
        &self,
        who: &Principal,
        account_id: Uuid,
        options: LoginOptions,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        self.on_account(
            who,
            account_id,
            AccountCommand::UpdateLoginOptions { options },
            facts,
        )
        .await
    }

    /// The account's customization as it stands (read from the store). AccountManager only.
    pub async fn customization(
        &self,
        who: &Principal,
        account_id: Uuid,
    ) -> Result<chronid_domain::account::Customization, AppError> {
        who.require_account_manager(account_id)?;
        Ok(self.account(account_id).await?.customization)
    }

    /// The host of the deployment's public URL (`CHRONID_PUBLIC_URL`): the name a custom host
    /// name's CNAME record points to.
    pub fn public_host(&self) -> String {
        crate::host_of(&self.public_url)
    }

    /// Applies the customizations given, all in one command (all or nothing).
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(name = "customize", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn customize(
        &self,
        who: &Principal,
        account_id: Uuid,
        language: Option<Language>,
        color_scheme: Option<ColorScheme>,
        hostname: Option<Option<Hostname>>,
        logo: Option<Option<Logo>>,
        time_zone: Option<TimeZone>,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_account_manager(account_id)?;
        if let Some(Some(h)) = &hostname {
            if h.as_str() == self.public_host() {
                return Err(chronid_domain::ValidationError::new(
                    "hostname",
                    "is the deployment's own host name (CHRONID_PUBLIC_URL); choose a name of the account's",
                )
                .into());
            }
        }
        // A new host name is claimed first (unique across accounts), the one it replaces
        // given back once the change is recorded.
        let before = match &hostname {
            Some(_) => self.account(account_id).await?.customization.hostname,
            None => None,
        };
        let claimed = match &hostname {
            Some(Some(h)) if before.as_ref() != Some(h) => {
                self.claim_hostname(account_id, h, facts).await?;
                Some(h.clone())
            }
            _ => None,
        };
        let replaced = match &hostname {
            Some(new) => before.filter(|b| new.as_ref() != Some(b)),
            None => None,
        };
        let command = AccountCommand::Customize {
            language,
            color_scheme,
            hostname,
            logo,
            time_zone,
        };
        match self.on_account(who, account_id, command, facts).await {
            Ok(outcome) => {
                if let Some(old) = replaced {
                    self.release(&hostname_key(&old), account_id, facts).await;
                }
                Ok(outcome)
            }
            Err(error) => {
                if let Some(new) = claimed {
                    self.release(&hostname_key(&new), account_id, facts).await;
                }
                Err(error)
            }
        }
    }

    /// Claims `hostname` for `account_id`: refused with ACC-HOSTNAME-TAKEN when another
    /// account holds it.
    async fn claim_hostname(
        &self,
        account_id: Uuid,
        hostname: &Hostname,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        let claim = ReservationCommand::Claim {
            owner: account_id,
            account_id: Some(account_id),
        };
        match self
            .exec
            .execute::<Reservation>(&hostname_key(hostname), claim, facts)
            .await
        {
            Ok(_) => Ok(()),
            Err(CommandError::Domain(ReservationError::Taken)) => Err(AppError::new(
                AppCode::HostnameTaken,
                "another account logs in on this host name",
            )
            .at_field("hostname")),
            Err(other) => Err(other.into()),
        }
    }

    /// The account whose branded login pages `host` (a request's `Host`, without port) serves,
    /// if any: the holder of its reservation, while the account still names it.
    pub async fn account_for_host(&self, host: &str) -> Result<Option<Uuid>, AppError> {
        let Ok(hostname) = Hostname::parse(host) else {
            return Ok(None);
        };
        let (held, _) = self
            .exec
            .load::<Reservation>(&hostname_key(&hostname))
            .await?;
        let Some(account_id) = held.owner else {
            return Ok(None);
        };
        let account = match self.account(account_id).await {
            Ok(account) => account,
            Err(_) => return Ok(None),
        };
        Ok((account.customization.hostname.as_ref() == Some(&hostname)).then_some(account_id))
    }
}

/// Writes a secret that is shown to its holder once (the bootstrap key on stdout).
fn shown_once<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}
