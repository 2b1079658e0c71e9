//! SsoConfig: one SAML 2.0 single sign-on configuration. Owns the account that created it (its
//! owner), the identity provider's entity id, signing certificates, sign-on and logout URLs, our
//! service-provider entity id and the random path of our assertion consumer URL, the auto-create
//! users / groups switches, where the NameID comes from (email or UPN), and the accounts it serves
//! (shared SSO: the owner first, then any account added to it).
//!
//! The SP entity id is unique across all configurations. The aggregate cannot see the others, so
//! the application layer claims `reservation::sp_entity_id_key` before `Create` (and before an
//! `Update` that changes it, releasing the old key afterwards; on `Delete` it releases the key).
//! When `SsoConfigUpdated` says auto-create groups went from on to off
//! (`previous_auto_create_groups && !settings.auto_create_groups`), the application turns the SSO
//! teams of every served account into ordinary ones (`AccountCommand::DetachSsoTeams`).

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

pub use command::SsoConfigCommand;
pub use error::SsoConfigError;
pub use event::{NameIdSource, SsoConfigEvent, SsoConfigEventType, SsoLoginFailure, SsoSettings};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AccountScoped, Services};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoConfig {
    pub id: Option<Uuid>,
    /// The account that created the configuration; it always stays served.
    pub account_id: Option<Uuid>,
    pub settings: Option<SsoSettings>,
    /// The accounts whose users log in through this configuration, the owner first.
    pub accounts: Vec<Uuid>,
    /// Accounts the owner offered to serve, waiting for a manager of each to accept.
    #[serde(default)]
    pub offered: Vec<Uuid>,
    pub deleted: bool,
}

impl SsoConfig {
    /// Whether users of `account_id` log in through this configuration.
    pub fn serves(&self, account_id: Uuid) -> bool {
        !self.deleted && self.accounts.contains(&account_id)
    }

    /// The current settings of a configuration that exists and is not deleted.
    fn live_settings(&self) -> Result<&SsoSettings, SsoConfigError> {
        if self.deleted {
            return Err(SsoConfigError::Deleted);
        }
        self.settings.as_ref().ok_or(SsoConfigError::NotFound)
    }
}

/// Whether `next` changes whom the configuration trusts or what its logins may do: everything
/// but the logout URL and the SP entity ID.
fn trust_changed(current: &SsoSettings, next: &SsoSettings) -> bool {
    let mut same = next.clone();
    same.idp_logout_url = current.idp_logout_url.clone();
    same.sp_entity_id = current.sp_entity_id.clone();
    same != *current
}

impl crate::Upcast for SsoConfig {}

impl AccountScoped for SsoConfig {
    fn account_id(&self) -> Option<Uuid> {
        self.account_id
    }
}

impl Aggregate for SsoConfig {
    const TYPE: &'static str = "sso_config";
    type Command = SsoConfigCommand;
    type Event = SsoConfigEvent;
    type Error = SsoConfigError;
    type Services = Services;

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            SsoConfigCommand::Create {
                config_id,
                account_id,
                settings,
            } => {
                if self.id.is_some() {
                    return Err(SsoConfigError::AlreadyExists);
                }
                let event = SsoConfigEvent::SsoConfigCreated {
                    config_id,
                    account_id,
                    settings,
                };
                sink.write(event, self).await;
            }
            SsoConfigCommand::Update { settings } => {
                let current = self.live_settings()?;
                if *current == settings {
                    return Err(SsoConfigError::NoChange);
                }
                let previous_auto_create_groups = current.auto_create_groups;
                let trust_changed = trust_changed(current, &settings);
                let event = SsoConfigEvent::SsoConfigUpdated {
                    settings,
                    previous_auto_create_groups,
                };
                sink.write(event, self).await;
                // Another account agreed to the configuration as it was: a change of whom it
                // trusts, or of what a login may do, needs that account's agreement again.
                if trust_changed {
                    let others: Vec<Uuid> = self
                        .accounts
                        .iter()
                        .copied()
                        .filter(|a| Some(*a) != self.account_id)
                        .collect();
                    for account_id in others {
                        sink.write(SsoConfigEvent::SsoAccountRemoved { account_id }, self)
                            .await;
                        sink.write(SsoConfigEvent::SsoAccountOffered { account_id }, self)
                            .await;
                    }
                }
            }
            SsoConfigCommand::OfferAccount { account_id } => {
                self.live_settings()?;
                if self.accounts.contains(&account_id) {
                    return Err(SsoConfigError::AccountAlreadyServed);
                }
                if self.offered.contains(&account_id) {
                    return Err(SsoConfigError::NoChange);
                }
                sink.write(SsoConfigEvent::SsoAccountOffered { account_id }, self)
                    .await;
            }
            SsoConfigCommand::AddAccount { account_id } => {
                self.live_settings()?;
                if self.accounts.contains(&account_id) {
                    return Err(SsoConfigError::AccountAlreadyServed);
                }
                if !self.offered.contains(&account_id) {
                    return Err(SsoConfigError::NotOffered);
                }
                sink.write(SsoConfigEvent::SsoAccountAdded { account_id }, self)
                    .await;
            }
            SsoConfigCommand::RemoveAccount { account_id } => {
                self.live_settings()?;
                if self.account_id == Some(account_id) {
                    return Err(SsoConfigError::CannotRemoveOwner);
                }
                if !self.accounts.contains(&account_id) {
                    return Err(SsoConfigError::AccountNotServed);
                }
                sink.write(SsoConfigEvent::SsoAccountRemoved { account_id }, self)
                    .await;
            }
            SsoConfigCommand::Delete => {
                let sp_entity_id = self.live_settings()?.sp_entity_id.clone();
                let accounts = self.accounts.clone();
                let event = SsoConfigEvent::SsoConfigDeleted {
                    sp_entity_id,
                    accounts,
                };
                sink.write(event, self).await;
            }
            SsoConfigCommand::RecordLoginFailure {
                reason,
                account_id,
                user_id,
                name_id,
            } => {
                self.live_settings()?;
                let event = SsoConfigEvent::SsoLoginFailed {
                    reason,
                    account_id,
                    user_id,
                    name_id,
                };
                sink.write(event, self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            SsoConfigEvent::SsoConfigCreated {
                config_id,
                account_id,
                settings,
            } => {
                self.id = Some(config_id);
                self.account_id = Some(account_id);
                self.settings = Some(settings);
                self.accounts = vec![account_id];
            }
            SsoConfigEvent::SsoConfigUpdated { settings, .. } => self.settings = Some(settings),
            SsoConfigEvent::SsoAccountOffered { account_id } => {
                if !self.offered.contains(&account_id) {
                    self.offered.push(account_id);
                }
            }
            SsoConfigEvent::SsoAccountAdded { account_id } => {
                self.offered.retain(|a| *a != account_id);
                if !self.accounts.contains(&account_id) {
                    self.accounts.push(account_id);
                }
            }
            SsoConfigEvent::SsoAccountRemoved { account_id } => {
                self.accounts.retain(|a| *a != account_id);
            }
            SsoConfigEvent::SsoConfigDeleted { .. } => self.deleted = true,
            SsoConfigEvent::SsoLoginFailed { .. } => {}
        }
    }
}
