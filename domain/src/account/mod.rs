//! Account: a tenant. Owns its name, the user security policy, login options, customization
//! (language, colour scheme, logo, host name), its teams and its API keys (hashed).

mod command;
mod error;
mod event;
#[cfg(test)]
mod tests;

pub use command::AccountCommand;
pub use error::AccountError;
pub use event::{AccountEvent, AccountEventType};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{
    ColorScheme, Hostname, Language, LoginOptions, Logo, Name, Roles, SecurityPolicy, StoredSecret,
    TimeZone,
};
use crate::{AccountScoped, Services};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamState {
    pub name: Name,
    pub sso_managed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyState {
    pub name: Name,
    pub roles: Roles,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub key_hash: StoredSecret,
    pub revoked: bool,
}

impl ApiKeyState {
    /// Whether the key authenticates at `now`.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && self.valid_from <= now && self.valid_until.is_none_or(|u| now < u)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customization {
    pub language: Option<Language>,
    pub color_scheme: Option<ColorScheme>,
    pub hostname: Option<Hostname>,
    pub logo: Option<Logo>,
    /// `None` is UTC.
    pub time_zone: Option<TimeZone>,
}

impl Customization {
    pub fn time_zone(&self) -> TimeZone {
        self.time_zone.clone().unwrap_or_else(TimeZone::utc)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: Option<Uuid>,
    pub name: Option<Name>,
    pub policy: SecurityPolicy,
    pub login_options: LoginOptions,
    pub customization: Customization,
    pub teams: BTreeMap<Uuid, TeamState>,
    pub api_keys: BTreeMap<Uuid, ApiKeyState>,
}

impl crate::Upcast for Account {}

impl AccountScoped for Account {
    fn account_id(&self) -> Option<Uuid> {
        self.id
    }
}

impl Account {
    fn team(&self, team_id: Uuid) -> Result<&TeamState, AccountError> {
        self.teams.get(&team_id).ok_or(AccountError::TeamNotFound)
    }

    fn usable_key(&self, key_id: Uuid) -> Result<&ApiKeyState, AccountError> {
        let key = self
            .api_keys
            .get(&key_id)
            .ok_or(AccountError::ApiKeyNotFound)?;
        if key.revoked {
            return Err(AccountError::ApiKeyRevoked);
        }
        Ok(key)
    }

    fn team_name_taken(&self, name: &Name, except: Option<Uuid>) -> bool {
        self.teams
            .iter()
            .any(|(id, t)| Some(*id) != except && t.name.key() == name.key())
    }
}

impl Aggregate for Account {
    const TYPE: &'static str = "account";
    type Command = AccountCommand;
    type Event = AccountEvent;
    type Error = AccountError;
    type Services = Services;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let exists = self.id.is_some();
        match (&command, exists) {
            (AccountCommand::Create { .. }, true) => return Err(AccountError::AlreadyExists),
            (AccountCommand::Create { .. }, false) => {}
            (_, false) => return Err(AccountError::NotFound),
            _ => {}
        }
        let now = services.clock.now();
        match command {
            AccountCommand::Create { account_id, name } => {
                sink.write(AccountEvent::AccountCreated { account_id, name }, self)
                    .await;
            }
            AccountCommand::Rename { name } => {
                let Some(previous) = self.name.clone() else {
                    return Err(AccountError::NotFound);
                };
                if previous == name {
                    return Err(AccountError::NoChange);
                }
                sink.write(AccountEvent::AccountRenamed { name, previous }, self)
                    .await;
            }
            AccountCommand::UpdateSecurityPolicy { policy } => {
                let previous = self.policy.clone();
                if previous == policy {
                    return Err(AccountError::NoChange);
                }
                let mode_change = (previous.two_factor != policy.two_factor)
                    .then_some((policy.two_factor, previous.two_factor));
                sink.write(
                    AccountEvent::SecurityPolicyUpdated { policy, previous },
                    self,
                )
                .await;
                if let Some((mode, previous)) = mode_change {
                    sink.write(AccountEvent::TwoFactorModeChanged { mode, previous }, self)
                        .await;
                }
            }
            AccountCommand::UpdateLoginOptions { options } => {
                let previous = self.login_options;
                if previous == options {
                    return Err(AccountError::NoChange);
                }
                sink.write(
                    AccountEvent::LoginOptionsUpdated { options, previous },
                    self,
                )
                .await;
            }
            AccountCommand::ChangeLanguage { language } => {
                if self.customization.language.as_ref() == Some(&language) {
                    return Err(AccountError::NoChange);
                }
                sink.write(AccountEvent::AccountLanguageChanged { language }, self)
                    .await;
            }
            AccountCommand::SetColorScheme { scheme } => {
                if self.customization.color_scheme == Some(scheme) {
                    return Err(AccountError::NoChange);
                }
                sink.write(AccountEvent::ColorSchemeSet { scheme }, self)
                    .await;
            }
            AccountCommand::SetHostname { hostname } => {
                if self.customization.hostname == hostname {
                    return Err(AccountError::NoChange);
                }
                sink.write(AccountEvent::HostnameSet { hostname }, self)
                    .await;
            }
            AccountCommand::UpdateLogo { logo } => {
                if self.customization.logo == logo {
                    return Err(AccountError::NoChange);
                }
                sink.write(AccountEvent::LogoUpdated { logo }, self).await;
            }
            AccountCommand::Customize {
                language,
                color_scheme,
                hostname,
                logo,
                time_zone,
            } => {
                let c = &self.customization;
                let mut events = Vec::new();
                if let Some(language) = language.filter(|l| c.language.as_ref() != Some(l)) {
                    events.push(AccountEvent::AccountLanguageChanged { language });
                }
                if let Some(scheme) = color_scheme.filter(|s| c.color_scheme != Some(*s)) {
                    events.push(AccountEvent::ColorSchemeSet { scheme });
                }
                if let Some(hostname) = hostname.filter(|h| c.hostname != *h) {
                    events.push(AccountEvent::HostnameSet { hostname });
                }
                if let Some(logo) = logo.filter(|l| c.logo != *l) {
                    events.push(AccountEvent::LogoUpdated { logo });
                }
                let previous = c.time_zone();
                if let Some(time_zone) = time_zone.filter(|z| *z != previous) {
                    events.push(AccountEvent::AccountTimeZoneChanged {
                        time_zone,
                        previous,
                    });
                }
                if events.is_empty() {
                    return Err(AccountError::NoChange);
                }
                for event in events {
                    sink.write(event, self).await;
                }
            }
            AccountCommand::CreateTeam {
                team_id,
                name,
                sso_managed,
            } => {
                if self.teams.contains_key(&team_id) {
                    return Err(AccountError::TeamExists);
                }
                if self.team_name_taken(&name, None) {
                    return Err(AccountError::TeamNameTaken);
                }
                sink.write(
                    AccountEvent::TeamCreated {
                        team_id,
                        name,
                        sso_managed,
                    },
                    self,
                )
                .await;
            }
            AccountCommand::RenameTeam { team_id, name } => {
                let team = self.team(team_id)?;
                if team.sso_managed {
                    return Err(AccountError::TeamManagedBySso);
                }
                if team.name == name {
                    return Err(AccountError::NoChange);
                }
                let previous = team.name.clone();
                if self.team_name_taken(&name, Some(team_id)) {
                    return Err(AccountError::TeamNameTaken);
                }
                sink.write(
                    AccountEvent::TeamRenamed {
                        team_id,
                        name,
                        previous,
                    },
                    self,
                )
                .await;
            }
            AccountCommand::DeleteTeam { team_id } => {
                let team = self.team(team_id)?;
                if team.sso_managed {
                    return Err(AccountError::TeamManagedBySso);
                }
                let name = team.name.clone();
                sink.write(AccountEvent::TeamDeleted { team_id, name }, self)
                    .await;
            }
            AccountCommand::DetachSsoTeams => {
                let team_ids: Vec<Uuid> = self
                    .teams
                    .iter()
                    .filter(|(_, t)| t.sso_managed)
                    .map(|(id, _)| *id)
                    .collect();
                if team_ids.is_empty() {
                    return Err(AccountError::NoChange);
                }
                sink.write(AccountEvent::TeamsDetachedFromSso { team_ids }, self)
                    .await;
            }
            AccountCommand::CreateApiKey {
                key_id,
                name,
                roles,
                valid_until,
                key_hash,
            } => {
                if self.api_keys.contains_key(&key_id) {
                    return Err(AccountError::ApiKeyExists);
                }
                if valid_until.is_some_and(|u| u <= now) {
                    return Err(AccountError::ExpiryInPast);
                }
                sink.write(
                    AccountEvent::ApiKeyCreated {
                        key_id,
                        name,
                        roles,
                        valid_from: now,
                        valid_until,
                        key_hash,
                    },
                    self,
                )
                .await;
            }
            AccountCommand::UpdateApiKey {
                key_id,
                name,
                valid_until,
            } => {
                let key = self.usable_key(key_id)?;
                let new_name = name.unwrap_or_else(|| key.name.clone());
                let new_until = valid_until.unwrap_or(key.valid_until);
                if new_name == key.name && new_until == key.valid_until {
                    return Err(AccountError::NoChange);
                }
                // Only a new expiry must lie ahead: an expired key can still be renamed.
                if valid_until.is_some() && new_until.is_some_and(|u| u <= now) {
                    return Err(AccountError::ExpiryInPast);
                }
                sink.write(
                    AccountEvent::ApiKeyUpdated {
                        key_id,
                        name: new_name,
                        valid_until: new_until,
                    },
                    self,
                )
                .await;
            }
            AccountCommand::RevokeApiKey { key_id } => {
                self.usable_key(key_id)?;
                sink.write(AccountEvent::ApiKeyRevoked { key_id }, self)
                    .await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            AccountEvent::AccountCreated { account_id, name } => {
                self.id = Some(account_id);
                self.name = Some(name);
            }
            AccountEvent::AccountRenamed { name, .. } => self.name = Some(name),
            AccountEvent::SecurityPolicyUpdated { policy, .. } => self.policy = policy,
            AccountEvent::TwoFactorModeChanged { mode, .. } => self.policy.two_factor = mode,
            AccountEvent::LoginOptionsUpdated { options, .. } => self.login_options = options,
            AccountEvent::AccountLanguageChanged { language } => {
                self.customization.language = Some(language);
            }
            AccountEvent::AccountTimeZoneChanged { time_zone, .. } => {
                self.customization.time_zone = Some(time_zone);
            }
            AccountEvent::ColorSchemeSet { scheme } => {
                self.customization.color_scheme = Some(scheme)
            }
            AccountEvent::HostnameSet { hostname } => self.customization.hostname = hostname,
            AccountEvent::LogoUpdated { logo } => self.customization.logo = logo,
            AccountEvent::TeamCreated {
                team_id,
                name,
                sso_managed,
            } => {
                self.teams.insert(team_id, TeamState { name, sso_managed });
            }
            AccountEvent::TeamRenamed { team_id, name, .. } => {
                if let Some(t) = self.teams.get_mut(&team_id) {
                    t.name = name;
                }
            }
            AccountEvent::TeamDeleted { team_id, .. } => {
                self.teams.remove(&team_id);
            }
            AccountEvent::TeamsDetachedFromSso { team_ids } => {
                for id in team_ids {
                    if let Some(t) = self.teams.get_mut(&id) {
                        t.sso_managed = false;
                    }
                }
            }
            AccountEvent::ApiKeyCreated {
                key_id,
                name,
                roles,
                valid_from,
                valid_until,
                key_hash,
            } => {
                self.api_keys.insert(
                    key_id,
                    ApiKeyState {
                        name,
                        roles,
                        valid_from,
                        valid_until,
                        key_hash,
                        revoked: false,
                    },
                );
            }
            AccountEvent::ApiKeyUpdated {
                key_id,
                name,
                valid_until,
            } => {
                if let Some(k) = self.api_keys.get_mut(&key_id) {
                    k.name = name;
                    k.valid_until = valid_until;
                }
            }
            AccountEvent::ApiKeyRevoked { key_id } => {
                if let Some(k) = self.api_keys.get_mut(&key_id) {
                    k.revoked = true;
                }
            }
        }
    }
}
