//! API keys: minting (the secret is shown once, its hash stored on the Account), revocation, and
//! authentication of a presented key. Authentication reads the Account aggregate (snapshot + tail)
//! and caches the answer briefly; a revocation on this node drops the entry at once, other nodes
//! see it within `TTL`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chronid_domain::account::{Account, AccountCommand, ApiKeyState};
use chronid_domain::metadata::{Actor, RequestFacts};
use chronid_domain::values::{Name, Roles, StoredSecret};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use uuid::Uuid;

use super::{outcome, App, AppCode, AppError, Outcome};
use chronid_crypto::{ApiKeyToken, ParsedApiKey};

/// Who is calling, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: Uuid,
    pub roles: Roles,
    pub actor: Actor,
    /// The session the caller authenticated with (None for an API key).
    pub session_id: Option<Uuid>,
}

impl Principal {
    pub fn require_user_admin(&self, account_id: Uuid) -> Result<(), AppError> {
        self.require_account(account_id)?;
        if !self.roles.can_administer_users() {
            return Err(AppError::forbidden(
                "this needs the AccountAdmin or AccountManager role",
            ));
        }
        Ok(())
    }

    pub fn require_account_manager(&self, account_id: Uuid) -> Result<(), AppError> {
        self.require_account(account_id)?;
        if !self.roles.can_manage_account() {
            return Err(AppError::forbidden("this needs the AccountManager role"));
        }
        Ok(())
    }

    fn require_account(&self, account_id: Uuid) -> Result<(), AppError> {
        if self.account_id != account_id {
            return Err(AppError::forbidden(
                "the credentials belong to another account",
            ));
        }
        Ok(())
    }
}

const TTL: Duration = Duration::from_secs(5);

/// (account id, key id): a key id presented with another account's id must never find this
/// account's key.
type KeyRef = (Uuid, Uuid);

#[derive(Clone, Default)]
pub struct ApiKeyCache {
    entries: Arc<Mutex<HashMap<KeyRef, (Instant, ApiKeyState)>>>,
}

impl ApiKeyCache {
    fn get(&self, key: KeyRef) -> Option<ApiKeyState> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, state)| state.clone())
    }

    fn put(&self, key: KeyRef, state: ApiKeyState) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 10_000 {
                entries.retain(|_, (at, _)| at.elapsed() < TTL);
            }
            entries.insert(key, (Instant::now(), state));
        }
    }

    fn forget(&self, key: KeyRef) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&key);
        }
    }
}

fn invalid_key() -> AppError {
    AppError::new(AppCode::InvalidCredentials, "the API key is not valid")
}

/// An API key as the console lists it (never its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub name: String,
    pub roles: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// A freshly created key: the token is shown once.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: Uuid,
    pub token: SecretString,
    pub position: Option<i64>,
}

impl App {
    /// Authenticates a bearer API key.
    #[tracing::instrument(name = "authenticate_api_key", skip_all)]
    pub async fn authenticate_api_key(&self, token: &str) -> Result<Principal, AppError> {
        let parsed = ParsedApiKey::parse(token).ok_or_else(invalid_key)?;
        let cache_key = (parsed.account_id, parsed.key_id);
        let state = match self.keys.get(cache_key) {
            Some(state) => state,
            None => {
                // Straight from the store, not the aggregate cache: a revocation made on another
                // node is seen within the key cache's TTL.
                let account = self
                    .exec
                    .store::<Account>()
                    .load(&parsed.account_id.to_string())
                    .await
                    .map_err(AppError::internal)?
                    .aggregate;
                let state = account
                    .api_keys
                    .get(&parsed.key_id)
                    .cloned()
                    .ok_or_else(invalid_key)?;
                self.keys.put(cache_key, state.clone());
                state
            }
        };
        let now = self.exec.services().clock.now();
        if !state.key_hash.matches_digest(&parsed.secret_hash) || !state.usable_at(now) {
            return Err(invalid_key());
        }
        Ok(Principal {
            account_id: parsed.account_id,
            roles: state.roles,
            actor: Actor::api_key(parsed.key_id),
            session_id: None,
        })
    }

    /// Mints a key for `account_id`; without the caller check (bootstrap uses it).
    pub(super) async fn mint_api_key(
        &self,
        account_id: Uuid,
        name: Name,
        roles: Roles,
        valid_until: Option<DateTime<Utc>>,
        facts: &RequestFacts,
    ) -> Result<NewApiKey, AppError> {
        let key_id = self.exec.services().ids.new_id();
        let minted = ApiKeyToken::mint(account_id, key_id);
        let committed = self
            .exec
            .execute::<Account>(
                &account_id.to_string(),
                AccountCommand::CreateApiKey {
                    key_id,
                    name,
                    roles,
                    valid_until,
                    key_hash: StoredSecret(minted.secret_hash),
                },
                facts,
            )
            .await?;
        Ok(NewApiKey {
            id: key_id,
            token: minted.token,
            position: committed.position(),
        })
    }

    /// The account's API keys, newest first, from the store (a page after a change shows it).
    /// AccountManager only.
    pub async fn api_keys(
        &self,
        who: &Principal,
        account_id: Uuid,
    ) -> Result<Vec<ApiKeyInfo>, AppError> {
        who.require_account_manager(account_id)?;
        let account = self.account(account_id).await?;
        let mut keys: Vec<ApiKeyInfo> = account
            .api_keys
            .iter()
            .map(|(id, key)| ApiKeyInfo {
                id: *id,
                name: key.name.as_str().to_string(),
                roles: key.roles.iter().map(|r| format!("{r:?}")).collect(),
                valid_from: key.valid_from,
                valid_until: key.valid_until,
                revoked: key.revoked,
            })
            .collect();
        keys.sort_by(|a, b| b.valid_from.cmp(&a.valid_from).then(b.id.cmp(&a.id)));
        Ok(keys)
    }

    #[tracing::instrument(name = "create_api_key", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn create_api_key(
        &self,
        who: &Principal,
        account_id: Uuid,
        name: Name,
        roles: Roles,
        valid_until: Option<DateTime<Utc>>,
        facts: &RequestFacts,
    ) -> Result<NewApiKey, AppError> {
        who.require_account_manager(account_id)?;
        self.mint_api_key(account_id, name, roles, valid_until, facts)
            .await
    }

    #[tracing::instrument(name = "update_api_key", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn update_api_key(
        &self,
        who: &Principal,
        account_id: Uuid,
        key_id: Uuid,
        name: Option<Name>,
        valid_until: Option<Option<DateTime<Utc>>>,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_account_manager(account_id)?;
        let committed = self
            .exec
            .execute::<Account>(
                &account_id.to_string(),
                AccountCommand::UpdateApiKey {
                    key_id,
                    name,
                    valid_until,
                },
                facts,
            )
            .await?;
        self.keys.forget((account_id, key_id));
        Ok(outcome(key_id, &committed))
    }

    #[tracing::instrument(name = "revoke_api_key", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn revoke_api_key(
        &self,
        who: &Principal,
        account_id: Uuid,
        key_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_account_manager(account_id)?;
        let committed = self
            .exec
            .execute::<Account>(
                &account_id.to_string(),
                AccountCommand::RevokeApiKey { key_id },
                facts,
            )
            .await?;
        self.keys.forget((account_id, key_id));
        Ok(outcome(key_id, &committed))
    }
}
