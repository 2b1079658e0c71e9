//! SSO configurations (AccountManager): create, read, update and delete the SAML settings of an
//! account. A configuration's SP entity ID is `{public}/login/saml/{slug}/`, unique across the
//! deployment through its reservation; its assertion consumer URL `{public}/saml/acs/{random}`
//! is drawn when it is created. Every IdP certificate is checked before it is trusted (the
//! check is the SAML room's, handed in as [`CertificateCheck`]); without a check, no
//! configuration is taken: samael would skip signatures entirely without a certificate it can
//! use.

use std::sync::Arc;

use chronid_domain::account::{Account, AccountCommand, AccountError};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::reservation::{
    sp_entity_id_key, Reservation, ReservationCommand, ReservationError,
};
use chronid_domain::sso_config::{
    NameIdSource, SsoConfig, SsoConfigCommand, SsoConfigError, SsoSettings,
};
use chronid_domain::values::{AcsPath, Certificates, EntityId, HttpUrl, SpSlug};
use chronid_domain::ValidationError;
use chronid_store::CommandError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{outcome, App, AppCode, AppError, Outcome, Principal};

/// How long an AuthnRequest waits for its Response.
pub const SSO_REQUEST_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// Checks an IdP certificate (DER) at a time; `Err` says why it cannot be trusted.
pub type CertificateCheck = Arc<dyn Fn(&[u8], DateTime<Utc>) -> Result<(), String> + Send + Sync>;

/// What an administrator sets (the form, or the API's body).
#[derive(Debug, Clone)]
pub struct SsoInput {
    pub idp_entity_id: EntityId,
    pub idp_certificates: Certificates,
    pub idp_sso_url: HttpUrl,
    pub idp_logout_url: Option<HttpUrl>,
    pub sp_slug: SpSlug,
    pub auto_create_users: bool,
    pub auto_create_groups: bool,
    pub name_id_source: NameIdSource,
    pub allow_idp_initiated: bool,
    pub allow_sha1: bool,
}

/// A configuration as its administrators see it.
#[derive(Debug, Clone)]
pub struct SsoView {
    pub id: Uuid,
    /// The account that created it (the one that may change it).
    pub owner: Uuid,
    /// The accounts whose users log in through it, the owner first.
    pub accounts: Vec<Uuid>,
    pub settings: SsoSettings,
    pub sp_slug: Option<SpSlug>,
    /// The SP entity ID, which is also the SP initiation URL.
    pub sp_entity_id: String,
    pub acs_url: String,
    pub metadata_url: String,
    pub position: Option<i64>,
}

fn slug_taken() -> AppError {
    AppError::new(
        AppCode::SlugTaken,
        "another SSO configuration uses this SP entity ID; choose another slug",
    )
    .at_field("sp_slug")
}

fn not_found() -> AppError {
    AppError::not_found(&SsoConfigError::NotFound, "SSO configuration")
}

impl App {
    /// The same application with the SAML room's certificate check.
    pub fn with_certificate_check(mut self, check: CertificateCheck) -> Self {
        self.certificate_check = Some(check);
        self
    }

    /// The same application with the deployment's public URL (SSO URLs are built on it).
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = url.into().trim_end_matches('/').to_string();
        self
    }

    fn sp_entity_id_of(&self, slug: &SpSlug) -> Result<EntityId, AppError> {
        let url = format!("{}/login/saml/{}/", self.public_url, slug.as_str());
        Ok(EntityId::parse("sp_slug", &url)?)
    }

    /// Every certificate of `input` must pass the SAML room's check, now.
    fn check_certificates(&self, certificates: &Certificates) -> Result<(), AppError> {
        let Some(check) = &self.certificate_check else {
            return Err(AppError::internal(
                "no IdP certificate check is configured: SSO configurations are refused",
            ));
        };
        let now = self.exec.services().clock.now();
        for (i, certificate) in certificates.iter().enumerate() {
            if let Err(why) = check(&certificate.der(), now) {
                return Err(ValidationError::new(
                    "idp_certificates",
                    format!("certificate {}: {why}", i + 1),
                )
                .into());
            }
        }
        Ok(())
    }

    fn settings_of(&self, input: SsoInput, acs: AcsPath) -> Result<SsoSettings, AppError> {
        self.check_certificates(&input.idp_certificates)?;
        Ok(SsoSettings {
            sp_entity_id: self.sp_entity_id_of(&input.sp_slug)?,
            idp_entity_id: input.idp_entity_id,
            idp_certificates: input.idp_certificates,
            idp_sso_url: input.idp_sso_url,
            idp_logout_url: input.idp_logout_url,
            sp_acs_path: acs,
            auto_create_users: input.auto_create_users,
            auto_create_groups: input.auto_create_groups,
            name_id_source: input.name_id_source,
            allow_idp_initiated: input.allow_idp_initiated,
            allow_sha1: input.allow_sha1,
        })
    }

    /// Claims the SP entity ID for configuration `config_id`.
    async fn claim_entity_id(
        &self,
        entity_id: &EntityId,
        config_id: Uuid,
        account_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        let claim = ReservationCommand::Claim {
            owner: config_id,
            account_id: Some(account_id),
        };
        match self
            .exec
            .execute::<Reservation>(&sp_entity_id_key(entity_id.as_str()), claim, facts)
            .await
        {
            Ok(_) => Ok(()),
            Err(CommandError::Domain(ReservationError::Taken)) => Err(slug_taken()),
            Err(other) => Err(other.into()),
        }
    }

    /// Creates an SSO configuration owned by `account_id`.
    #[tracing::instrument(name = "create_sso", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn create_sso(
        &self,
        who: &Principal,
        account_id: Uuid,
        input: SsoInput,
        facts: &RequestFacts,
    ) -> Result<SsoView, AppError> {
        who.require_account_manager(account_id)?;
        let acs: [u8; 16] = chronid_crypto::random_bytes();
        let acs = AcsPath::parse(&hex::encode(acs))?;
        let settings = self.settings_of(input, acs)?;
        let config_id = self.exec.services().ids.new_id();
        self.claim_entity_id(&settings.sp_entity_id, config_id, account_id, facts)
            .await?;
        let command = SsoConfigCommand::Create {
            config_id,
            account_id,
            settings: settings.clone(),
        };
        let key = sp_entity_id_key(settings.sp_entity_id.as_str());
        match self
            .exec
            .execute::<SsoConfig>(&config_id.to_string(), command, facts)
            .await
        {
            Ok(committed) => {
                let position = outcome(config_id, &committed).position;
                self.sso_view(config_id, position).await
            }
            Err(error) => {
                self.release(&key, config_id, facts).await;
                Err(error.into())
            }
        }
    }

    pub(crate) async fn sso_view(
        &self,
        config_id: Uuid,
        position: Option<i64>,
    ) -> Result<SsoView, AppError> {
        let (config, seq) = self.exec.load::<SsoConfig>(&config_id.to_string()).await?;
        let (Some(owner), Some(settings), false) =
            (config.account_id, config.settings.clone(), seq == 0)
        else {
            return Err(not_found());
        };
        if config.deleted {
            return Err(not_found());
        }
        let entity_id = settings.sp_entity_id.as_str().to_string();
        let slug = SpSlug::of_entity_id(&entity_id);
        let metadata_url = match &slug {
            Some(s) => format!("{}/saml/{}/metadata", self.public_url, s.as_str()),
            None => String::new(),
        };
        Ok(SsoView {
            id: config_id,
            owner,
            accounts: config.accounts.clone(),
            acs_url: format!(
                "{}/saml/acs/{}",
                self.public_url,
                settings.sp_acs_path.as_str()
            ),
            sp_entity_id: entity_id,
            metadata_url,
            sp_slug: slug,
            settings,
            position,
        })
    }

    /// The live configuration whose SP entity ID ends in `slug` (public: for its metadata and
    /// its SP initiation URL).
    pub async fn sso_by_slug(&self, slug: &SpSlug) -> Result<Option<SsoView>, AppError> {
        let entity_id = self.sp_entity_id_of(slug)?;
        let (held, _) = self
            .exec
            .load::<Reservation>(&sp_entity_id_key(entity_id.as_str()))
            .await?;
        let Some(config_id) = held.owner else {
            return Ok(None);
        };
        let view = self.live_sso_view(config_id).await?;
        Ok(view.filter(|v| v.sp_entity_id == entity_id.as_str()))
    }

    /// A configuration that exists and is not deleted.
    pub(crate) async fn live_sso_view(&self, config_id: Uuid) -> Result<Option<SsoView>, AppError> {
        match self.sso_view(config_id, None).await {
            Ok(view) => Ok(Some(view)),
            Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The live configurations serving `account_id`, oldest first.
    pub(crate) async fn configs_serving(&self, account_id: Uuid) -> Result<Vec<SsoView>, AppError> {
        let ids = chronid_store::sso_configs_of(self.exec.pool(), account_id)
            .await
            .map_err(AppError::internal)?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(view) = self.live_sso_view(id).await? {
                if view.accounts.contains(&account_id) {
                    out.push(view);
                }
            }
        }
        Ok(out)
    }

    /// Remembers the AuthnRequest `request_id` sent for `config_id` from the browser whose id
    /// digests to `browser_digest`, for the Response that answers it.
    pub async fn remember_sso_request(
        &self,
        request_id: &str,
        config_id: Uuid,
        browser_digest: &str,
    ) -> Result<(), AppError> {
        let now = self.exec.services().clock.now();
        self.saml_requests
            .remember(request_id, config_id, browser_digest, now)
            .await
            .map_err(AppError::internal)
    }

    /// The configurations serving `account_id` (AccountManager of it).
    pub async fn sso_configs(
        &self,
        who: &Principal,
        account_id: Uuid,
    ) -> Result<Vec<SsoView>, AppError> {
        who.require_account_manager(account_id)?;
        self.configs_serving(account_id).await
    }

    /// One configuration serving `account_id`.
    pub async fn sso_config(
        &self,
        who: &Principal,
        account_id: Uuid,
        config_id: Uuid,
    ) -> Result<SsoView, AppError> {
        who.require_account_manager(account_id)?;
        let view = self.sso_view(config_id, None).await?;
        if !view.accounts.contains(&account_id) {
            return Err(not_found());
        }
        Ok(view)
    }

    /// Replaces the settings of a configuration `account_id` owns. A new slug is claimed
    /// first and the old one given back once the change is recorded.
    #[tracing::instrument(name = "update_sso", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn update_sso(
        &self,
        who: &Principal,
        account_id: Uuid,
        config_id: Uuid,
        input: SsoInput,
        facts: &RequestFacts,
    ) -> Result<SsoView, AppError> {
        let current = self.sso_config(who, account_id, config_id).await?;
        if current.owner != account_id {
            return Err(AppError::forbidden(
                "only the account that created an SSO configuration changes it",
            ));
        }
        let settings = self.settings_of(input, current.settings.sp_acs_path.clone())?;
        let groups_off = current.settings.auto_create_groups && !settings.auto_create_groups;
        let moved = settings.sp_entity_id != current.settings.sp_entity_id;
        if moved {
            self.claim_entity_id(&settings.sp_entity_id, config_id, account_id, facts)
                .await?;
        }
        let new_key = sp_entity_id_key(settings.sp_entity_id.as_str());
        let command = SsoConfigCommand::Update { settings };
        let result = self
            .exec
            .execute::<SsoConfig>(&config_id.to_string(), command, facts)
            .await;
        let position = match result {
            Ok(committed) => outcome(config_id, &committed).position,
            Err(CommandError::Domain(SsoConfigError::NoChange)) => {
                self.unchanged::<SsoConfig>(config_id).await?.position
            }
            Err(error) => {
                if moved {
                    self.release(&new_key, config_id, facts).await;
                }
                return Err(error.into());
            }
        };
        if moved {
            let old = sp_entity_id_key(current.settings.sp_entity_id.as_str());
            self.release(&old, config_id, facts).await;
        }
        // Auto-create groups turned off: the SSO teams of every served account become
        // ordinary teams, whose members are managed by hand from now on.
        let mut position = position;
        if groups_off {
            for served in &current.accounts {
                match self
                    .exec
                    .execute::<Account>(&served.to_string(), AccountCommand::DetachSsoTeams, facts)
                    .await
                {
                    Ok(committed) => position = outcome(*served, &committed).position.or(position),
                    Err(CommandError::Domain(AccountError::NoChange)) => {}
                    Err(error) => return Err(error.into()),
                }
            }
        }
        self.sso_view(config_id, position).await
    }

    /// Deletes a configuration `account_id` owns; its SP entity ID is free again.
    #[tracing::instrument(name = "delete_sso", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn delete_sso(
        &self,
        who: &Principal,
        account_id: Uuid,
        config_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let current = self.sso_config(who, account_id, config_id).await?;
        if current.owner != account_id {
            return Err(AppError::forbidden(
                "only the account that created an SSO configuration deletes it",
            ));
        }
        let committed = self
            .exec
            .execute::<SsoConfig>(&config_id.to_string(), SsoConfigCommand::Delete, facts)
            .await?;
        let key = sp_entity_id_key(current.settings.sp_entity_id.as_str());
        self.release(&key, config_id, facts).await;
        Ok(outcome(config_id, &committed))
    }

    /// Shared SSO. A manager of the owner account offers the configuration to `other`
    /// (`account_id` is the owner); a manager of `other` accepts it (`account_id == other`):
    /// each account's manager agrees for their own account.
    #[tracing::instrument(name = "share_sso", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn share_sso(
        &self,
        who: &Principal,
        account_id: Uuid,
        config_id: Uuid,
        other: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_account_manager(account_id)?;
        let (config, seq) = self.exec.load::<SsoConfig>(&config_id.to_string()).await?;
        if seq == 0 || config.deleted {
            return Err(not_found());
        }
        let command = if account_id == other {
            // Accepting: the offer must name this account.
            if !config.offered.contains(&other) && !config.accounts.contains(&other) {
                return Err(not_found());
            }
            SsoConfigCommand::AddAccount { account_id: other }
        } else {
            if config.account_id != Some(account_id) {
                return Err(AppError::forbidden(
                    "only the account that created an SSO configuration offers it to another",
                ));
            }
            self.account(other).await?;
            SsoConfigCommand::OfferAccount { account_id: other }
        };
        let committed = self
            .exec
            .execute::<SsoConfig>(&config_id.to_string(), command, facts)
            .await?;
        Ok(outcome(config_id, &committed))
    }

    /// Stops serving `other`: by the owner's manager, or by a manager of `other` itself.
    #[tracing::instrument(name = "unshare_sso", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn unshare_sso(
        &self,
        who: &Principal,
        account_id: Uuid,
        config_id: Uuid,
        other: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let view = self.sso_config(who, account_id, config_id).await?;
        if account_id != other && view.owner != account_id {
            return Err(AppError::forbidden(
                "only the owner or the account itself ends a shared SSO configuration",
            ));
        }
        let command = SsoConfigCommand::RemoveAccount { account_id: other };
        let committed = self
            .exec
            .execute::<SsoConfig>(&config_id.to_string(), command, facts)
            .await?;
        Ok(outcome(config_id, &committed))
    }
}
