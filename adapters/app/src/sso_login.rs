//! Logging in through SAML single sign-on, once the SAML room has checked a Response.
//!
//! The assertion consumer is reached by a cross-site POST, which carries none of the browser's
//! cookies (they are `SameSite=Lax`). So the login is split in two: the consumer checks the
//! Response and keeps what it asserts under a random one-time ticket (`issue_sso_ticket`); the
//! browser is then sent to a same-site page with the ticket, where the ticket is bound to the
//! browser and the AuthnRequest it answers is taken from the same browser
//! (`begin_sso_login`). A Response captured from another browser's login cannot open a session
//! here (login CSRF), and a ticket opens one session at most: it is deleted when the session
//! is opened.
//!
//! Which user: the NameID (an email, or a UPN written like one) is matched exactly against the
//! emails of the users of the accounts the configuration serves, then the email claim if the
//! IdP sends one. None, and auto-create users on: the user is created in the owner account (or
//! the account chosen), with the email claim or the NameID as email and the given name and
//! surname claims. Several (shared SSO): the user chooses the account. With auto-create groups
//! on, the group claim's values become the user's memberships in SSO-managed teams (created
//! when missing); when that changed anything, the session waits for the user's confirmation.
//! The identity provider authenticated the user: no code of chronid's is asked (decision 0015).
//! Every refusal is recorded on the configuration (`SsoLoginFailed`) for the audit log.

use std::collections::{BTreeMap, BTreeSet};

use chronid_crypto::{random_bytes, sha256_hex, SessionToken};
use chronid_domain::account::{Account, AccountCommand, AccountError};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::reservation::{email_key, Reservation};
use chronid_domain::sso_config::{SsoConfig, SsoConfigCommand, SsoLoginFailure, SsoSettings};
use chronid_domain::user::{
    LoginMethod, RecordLogin, RegistrationSource, User, UserCommand, UserError,
};
use chronid_domain::values::{Email, Name, PersonName, Roles, StoredSecret};
use chronid_store::login_state::SsoTicket;
use chronid_store::CommandError;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::login::{as_user, AccountChoice, NewSession};
use crate::users::NewUser;
use crate::{App, AppError};

/// The first name claim (the seed's attribute name).
pub const GIVEN_NAME_CLAIM: &str =
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
/// The last name claim.
pub const SURNAME_CLAIM: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";
/// The email claim, when it differs from the NameID.
pub const EMAIL_CLAIM: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
/// The group memberships claim.
pub const GROUP_CLAIM: &str = "http://schemas.xmlsoap.org/claims/Group";

/// How long a checked assertion waits for its browser, through account choice and
/// confirmation.
pub const SSO_TICKET_LIFETIME: Duration = Duration::minutes(10);

/// At most this many groups of one assertion are synced.
const MAX_GROUPS: usize = 200;

/// What a checked assertion says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoAssertion {
    pub name_id: String,
    /// Attribute name -> values.
    pub attributes: BTreeMap<String, Vec<String>>,
}

impl SsoAssertion {
    fn first(&self, claim: &str) -> Option<&str> {
        self.attributes
            .get(claim)?
            .iter()
            .map(|v| v.trim())
            .find(|v| !v.is_empty())
    }
}

/// Where an SSO login stands.
#[derive(Debug, Clone)]
pub enum SsoOutcome {
    Session(Box<NewSession>),
    /// Shared SSO, and the user exists in several of its accounts.
    ChooseAccount(Vec<AccountChoice>),
    /// Group sync changed the user's teams: the session opens once the user confirms.
    GroupsChanged {
        account_id: Uuid,
        account_name: String,
        added: Vec<String>,
        removed: Vec<String>,
    },
}

/// Why an SSO login did not go on.
#[derive(Debug)]
pub enum SsoError {
    /// Refused, and recorded for the audit log when a configuration is known.
    Refused(SsoLoginFailure),
    App(AppError),
}

impl From<AppError> for SsoError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl<E: chronid_domain::DomainError> From<CommandError<E>> for SsoError {
    fn from(e: CommandError<E>) -> Self {
        Self::App(e.into())
    }
}

fn internal(e: impl std::fmt::Display) -> SsoError {
    SsoError::App(AppError::internal(e))
}

/// A NameID as recorded: bounded, since the IdP writes it.
fn recorded_name_id(name_id: &str) -> String {
    name_id.chars().take(254).collect()
}

impl App {
    /// The live configuration whose assertion consumer URL ends in `acs_path`.
    pub async fn sso_by_acs(&self, acs_path: &str) -> Result<Option<crate::SsoView>, AppError> {
        let Some(config_id) = self
            .saml_requests
            .config_by_acs(acs_path)
            .await
            .map_err(AppError::internal)?
        else {
            return Ok(None);
        };
        match self.sso_view(config_id, None).await {
            Ok(view) if view.settings.sp_acs_path.as_str() == acs_path => Ok(Some(view)),
            Ok(_) => Ok(None),
            Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether AuthnRequest `request_id` of `config_id` waits for its Response.
    pub async fn sso_request_outstanding(
        &self,
        request_id: &str,
        config_id: Uuid,
    ) -> Result<bool, AppError> {
        let now = self.exec.services().clock.now();
        self.saml_requests
            .outstanding(request_id, config_id, now, crate::SSO_REQUEST_LIFETIME)
            .await
            .map_err(AppError::internal)
    }

    /// Keeps a checked assertion for its browser; returns the one-time ticket to hand it.
    pub async fn issue_sso_ticket(
        &self,
        config_id: Uuid,
        request_id: Option<&str>,
        assertion: &SsoAssertion,
    ) -> Result<String, AppError> {
        let ticket = hex::encode(random_bytes::<32>());
        let value = serde_json::to_value(assertion).map_err(AppError::internal)?;
        let now = self.exec.services().clock.now();
        self.saml_requests
            .issue_ticket(
                &sha256_hex(ticket.as_bytes()),
                config_id,
                request_id,
                &value,
                now,
            )
            .await
            .map_err(AppError::internal)?;
        Ok(ticket)
    }

    /// Records a refused SSO login on its configuration; a failure to record is logged, the
    /// refusal stands.
    pub async fn record_sso_failure(
        &self,
        config_id: Uuid,
        reason: SsoLoginFailure,
        account_id: Option<Uuid>,
        user_id: Option<Uuid>,
        name_id: Option<&str>,
        facts: &RequestFacts,
    ) {
        let command = SsoConfigCommand::RecordLoginFailure {
            reason,
            account_id,
            user_id,
            name_id: name_id.map(recorded_name_id),
        };
        if let Err(error) = self
            .exec
            .execute::<SsoConfig>(&config_id.to_string(), command, facts)
            .await
        {
            let error = AppError::from(error);
            tracing::warn!(target: "security", %config_id, reason = reason.as_str(), code = error.code, "a refused SSO login could not be recorded");
        }
    }

    async fn refuse(
        &self,
        config_id: Uuid,
        reason: SsoLoginFailure,
        who: (Option<Uuid>, Option<Uuid>),
        name_id: Option<&str>,
        facts: &RequestFacts,
    ) -> SsoError {
        self.record_sso_failure(config_id, reason, who.0, who.1, name_id, facts)
            .await;
        SsoError::Refused(reason)
    }

    /// The browser `browser_digest` arrives with `ticket`: binds the ticket to it, takes the
    /// AuthnRequest it answers from the same browser, and goes on with the login.
    #[tracing::instrument(name = "begin_sso_login", skip_all, fields(request_id = facts.correlation_id.as_deref()))]
    pub async fn begin_sso_login(
        &self,
        ticket: &str,
        browser_digest: &str,
        facts: &RequestFacts,
    ) -> Result<SsoOutcome, SsoError> {
        let hash = sha256_hex(ticket.as_bytes());
        let now = self.exec.services().clock.now();
        let requests = &self.saml_requests;
        let bound = requests
            .bind_ticket(&hash, browser_digest, now, SSO_TICKET_LIFETIME)
            .await
            .map_err(internal)?;
        let Some(bound) = bound else {
            // The same browser coming back (a reload) goes on; any other is refused.
            if requests
                .read_ticket(&hash, browser_digest, now, SSO_TICKET_LIFETIME)
                .await
                .map_err(internal)?
                .is_some()
            {
                return self
                    .continue_sso_login(ticket, browser_digest, None, false, facts)
                    .await;
            }
            return Err(
                match requests.ticket_config(&hash).await.map_err(internal)? {
                    Some(config_id) => {
                        requests.spend_ticket(&hash).await.map_err(internal)?;
                        let reason = SsoLoginFailure::OtherBrowser;
                        self.refuse(config_id, reason, (None, None), None, facts)
                            .await
                    }
                    None => SsoError::Refused(SsoLoginFailure::Replayed),
                },
            );
        };
        if let Some(request_id) = &bound.request_id {
            let taken = self.take_sso_request(request_id, browser_digest).await?;
            if taken != Some(bound.config_id) {
                requests.spend_ticket(&hash).await.map_err(internal)?;
                let reason = SsoLoginFailure::OtherBrowser;
                return Err(self
                    .refuse(bound.config_id, reason, (None, None), None, facts)
                    .await);
            }
        }
        self.continue_sso_login(ticket, browser_digest, None, false, facts)
            .await
    }

    /// Goes on with the login of `ticket` in the browser it is bound to: in `account` when the
    /// user chose one, past the group changes when the user confirmed them.
    #[tracing::instrument(name = "continue_sso_login", skip_all, fields(request_id = facts.correlation_id.as_deref()))]
    pub async fn continue_sso_login(
        &self,
        ticket: &str,
        browser_digest: &str,
        account: Option<Uuid>,
        confirmed: bool,
        facts: &RequestFacts,
    ) -> Result<SsoOutcome, SsoError> {
        let hash = sha256_hex(ticket.as_bytes());
        let now = self.exec.services().clock.now();
        let Some(ticket) = self
            .saml_requests
            .read_ticket(&hash, browser_digest, now, SSO_TICKET_LIFETIME)
            .await
            .map_err(internal)?
        else {
            return Err(SsoError::Refused(SsoLoginFailure::Replayed));
        };
        let (config, seq) = self
            .exec
            .load::<SsoConfig>(&ticket.config_id.to_string())
            .await?;
        let settings = match (&config.settings, config.deleted, seq) {
            (Some(settings), false, 1..) => settings.clone(),
            _ => return Err(SsoError::Refused(SsoLoginFailure::UnknownRequest)),
        };
        let assertion: SsoAssertion =
            serde_json::from_value(ticket.assertion.clone()).map_err(internal)?;
        let step = SsoStep {
            hash: &hash,
            ticket: &ticket,
            config: &config,
            settings: &settings,
            assertion: &assertion,
            facts,
        };
        self.decide_sso_login(step, account, confirmed).await
    }

    async fn decide_sso_login(
        &self,
        step: SsoStep<'_>,
        account: Option<Uuid>,
        confirmed: bool,
    ) -> Result<SsoOutcome, SsoError> {
        let config_id = step.ticket.config_id;
        let name_id = step.assertion.name_id.as_str();
        let facts = step.facts;
        let Ok(email) = Email::parse(name_id) else {
            let reason = SsoLoginFailure::NameIdNotEmail;
            return Err(self
                .refuse(config_id, reason, (None, None), Some(name_id), facts)
                .await);
        };
        let claimed = step
            .assertion
            .first(EMAIL_CLAIM)
            .and_then(|v| Email::parse(v).ok());
        let accounts = match account {
            Some(a) if step.config.serves(a) => vec![a],
            Some(_) => {
                return Err(AppError::forbidden(
                    "this SSO configuration does not serve the account chosen",
                )
                .into())
            }
            None => step.config.accounts.clone(),
        };
        let mut matched: Vec<(Uuid, Uuid)> = Vec::new();
        for account_id in &accounts {
            for email in [Some(&email), claimed.as_ref()].into_iter().flatten() {
                if let Some(user_id) = self.user_with_email(*account_id, email).await? {
                    matched.push((*account_id, user_id));
                    break;
                }
            }
        }
        let (account_id, user_id) = match matched.as_slice() {
            [] => {
                let owner = step.config.account_id.unwrap_or_default();
                let account_id = account.unwrap_or(owner);
                let who = (Some(account_id), None);
                if !step.settings.auto_create_users {
                    let reason = SsoLoginFailure::UnknownUser;
                    return Err(self
                        .refuse(config_id, reason, who, Some(name_id), facts)
                        .await);
                }
                if !self.account(account_id).await?.login_options.sso {
                    let reason = SsoLoginFailure::MethodNotAllowed;
                    return Err(self
                        .refuse(config_id, reason, who, Some(name_id), facts)
                        .await);
                }
                let new = NewUser {
                    email: claimed.clone().unwrap_or(email.clone()),
                    username: None,
                    first_name: step
                        .assertion
                        .first(GIVEN_NAME_CLAIM)
                        .and_then(|v| PersonName::parse("first_name", v).ok()),
                    last_name: step
                        .assertion
                        .first(SURNAME_CLAIM)
                        .and_then(|v| PersonName::parse("last_name", v).ok()),
                    phone: None,
                    language: None,
                    roles: Roles::member(),
                    password: None,
                };
                let lookup = new.email.clone();
                let source = RegistrationSource::Sso;
                match self
                    .register_user_unchecked(account_id, new, source, Some(config_id), facts)
                    .await
                {
                    Ok(created) => (account_id, created.id),
                    // Another login of the same user created it meanwhile.
                    Err(e) if e.code == crate::AppCode::EmailTaken.as_str() => {
                        match self.user_with_email(account_id, &lookup).await? {
                            Some(user_id) => (account_id, user_id),
                            None => return Err(e.into()),
                        }
                    }
                    Err(e) if e.kind == chronid_domain::error::ErrorKind::Invalid => {
                        tracing::info!(%config_id, code = e.code, "an SSO user could not be created");
                        let reason = SsoLoginFailure::Creation;
                        return Err(self
                            .refuse(config_id, reason, who, Some(name_id), facts)
                            .await);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            [one] => *one,
            several => {
                let mut choices = Vec::with_capacity(several.len());
                for (id, _) in several {
                    let name = self.account(*id).await?.name;
                    choices.push(AccountChoice {
                        id: *id,
                        name: name.map(|n| n.as_str().to_string()).unwrap_or_default(),
                    });
                }
                choices.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
                return Ok(SsoOutcome::ChooseAccount(choices));
            }
        };
        let who = (Some(account_id), Some(user_id));
        let account = self.account(account_id).await?;
        if !account.login_options.sso {
            let reason = SsoLoginFailure::MethodNotAllowed;
            return Err(self
                .refuse(config_id, reason, who, Some(name_id), facts)
                .await);
        }
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        let now = self.exec.services().clock.now();
        if let Err(refused) = user.may_log_in(now, false) {
            let reason = state_failure(&refused);
            return Err(self
                .refuse(config_id, reason, who, Some(name_id), facts)
                .await);
        }
        if step.settings.auto_create_groups {
            let (added, removed) = self
                .sync_sso_teams(account.clone(), &user, step.assertion, facts)
                .await?;
            if !confirmed && !(added.is_empty() && removed.is_empty()) {
                let account_name = account.name.as_ref().map(|n| n.as_str().to_string());
                return Ok(SsoOutcome::GroupsChanged {
                    account_id,
                    account_name: account_name.unwrap_or_default(),
                    added,
                    removed,
                });
            }
        }
        // The ticket opens one session: whoever deletes it goes on.
        if !self
            .saml_requests
            .spend_ticket(step.hash)
            .await
            .map_err(internal)?
        {
            return Err(SsoError::Refused(SsoLoginFailure::Replayed));
        }
        match self.open_sso_session(&user, &account, facts).await {
            Ok(session) => Ok(SsoOutcome::Session(Box::new(session))),
            Err(SsoError::Refused(reason)) => Err(self
                .refuse(config_id, reason, who, Some(name_id), facts)
                .await),
            Err(other) => Err(other),
        }
    }

    /// "Login with SSO": the SP initiation URLs of the configurations serving the accounts
    /// where a user has `email` (only `account_id`'s on a branded host name), without repeats.
    pub async fn sso_entry_points(
        &self,
        email: &Email,
        account_id: Option<Uuid>,
    ) -> Result<Vec<String>, AppError> {
        let users = self.login_candidates(email.as_str(), account_id).await?;
        let mut accounts: Vec<Uuid> = users
            .iter()
            .filter(|u| u.email.as_ref() == Some(email))
            .filter_map(|u| u.account_id)
            .collect();
        accounts.dedup();
        let mut urls: Vec<String> = Vec::new();
        for account in accounts {
            let ids = chronid_store::sso_configs_of(self.exec.pool(), account)
                .await
                .map_err(AppError::internal)?;
            for id in ids {
                match self.sso_view(id, None).await {
                    Ok(view) if view.accounts.contains(&account) => {
                        if !urls.contains(&view.sp_entity_id) {
                            urls.push(view.sp_entity_id);
                        }
                    }
                    Ok(_) => {}
                    Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(urls)
    }

    /// Where the browser goes after logging out of a session opened through SSO: the logout
    /// URL of a configuration serving the user's account, if it has one.
    pub async fn sso_logout_url(&self, who: &crate::Principal) -> Result<Option<String>, AppError> {
        let (Some(user_id), Some(session_id)) = (who.actor.id, who.session_id) else {
            return Ok(None);
        };
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        let by_sso = user
            .sessions
            .get(&session_id)
            .is_some_and(|s| s.method == Some(LoginMethod::Sso));
        let Some(account_id) = user.account_id.filter(|_| by_sso) else {
            return Ok(None);
        };
        let ids = chronid_store::sso_configs_of(self.exec.pool(), account_id)
            .await
            .map_err(AppError::internal)?;
        for id in ids {
            match self.sso_view(id, None).await {
                Ok(view) if view.accounts.contains(&account_id) => {
                    if let Some(url) = view.settings.idp_logout_url {
                        return Ok(Some(url.as_str().to_string()));
                    }
                }
                Ok(_) => {}
                Err(e) if e.kind == chronid_domain::error::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// The user of `account_id` whose email is `email`, from its reservation (no view lag).
    async fn user_with_email(
        &self,
        account_id: Uuid,
        email: &Email,
    ) -> Result<Option<Uuid>, AppError> {
        let (held, _) = self
            .exec
            .load::<Reservation>(&email_key(account_id, email))
            .await?;
        let Some(owner) = held.owner else {
            return Ok(None);
        };
        let (user, seq) = self.exec.load::<User>(&owner.to_string()).await?;
        Ok((seq > 0 && user.account_id == Some(account_id)).then_some(owner))
    }

    /// Makes the user's memberships in SSO-managed teams of `account` exactly the asserted
    /// groups, creating SSO teams that are missing. A group named like a team not managed by
    /// SSO is left alone: that team's members are managed by hand. Returns the team names the
    /// user joined and left.
    async fn sync_sso_teams(
        &self,
        mut account: Account,
        user: &User,
        assertion: &SsoAssertion,
        facts: &RequestFacts,
    ) -> Result<(Vec<String>, Vec<String>), SsoError> {
        let (Some(account_id), Some(user_id)) = (account.id, user.id) else {
            return Err(internal("an SSO login without its account or user"));
        };
        let facts = as_user(facts, user_id);
        let mut wanted: BTreeMap<String, Name> = BTreeMap::new();
        for value in assertion.attributes.get(GROUP_CLAIM).into_iter().flatten() {
            match Name::parse("group", value) {
                Ok(name) if wanted.len() < MAX_GROUPS => {
                    wanted.entry(name.key()).or_insert(name);
                }
                Ok(_) => break,
                Err(_) => {
                    tracing::info!(%account_id, "an SSO group name is not a team name; skipped")
                }
            }
        }
        let mut target: BTreeSet<Uuid> = BTreeSet::new();
        for (key, name) in wanted {
            let found = |account: &Account| {
                account
                    .teams
                    .iter()
                    .find(|(_, t)| t.name.key() == key)
                    .map(|(id, t)| (*id, t.sso_managed))
            };
            let team = match found(&account) {
                Some(team) => Some(team),
                None => {
                    let team_id = self.exec.services().ids.new_id();
                    let command = AccountCommand::CreateTeam {
                        team_id,
                        name,
                        sso_managed: true,
                    };
                    match self
                        .exec
                        .execute::<Account>(&account_id.to_string(), command, &facts)
                        .await
                    {
                        Ok(_) => Some((team_id, true)),
                        // Another login created it meanwhile.
                        Err(CommandError::Domain(AccountError::TeamNameTaken)) => {
                            account = self.account(account_id).await?;
                            found(&account)
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            match team {
                Some((id, true)) => {
                    target.insert(id);
                }
                Some((_, false)) => {
                    tracing::info!(%account_id, "an SSO group matches a team managed by hand; skipped")
                }
                None => {}
            }
        }
        let account = self.account(account_id).await?;
        let sso_teams: BTreeSet<Uuid> = account
            .teams
            .iter()
            .filter(|(_, t)| t.sso_managed)
            .map(|(id, _)| *id)
            .collect();
        let current: BTreeSet<Uuid> = user.teams.keys().copied().collect();
        let name_of = |id: &Uuid| {
            account
                .teams
                .get(id)
                .map(|t| t.name.as_str().to_string())
                .unwrap_or_default()
        };
        let mut added = Vec::new();
        for team_id in target.difference(&current) {
            let command = UserCommand::AddToTeam {
                team_id: *team_id,
                team_sso_managed: true,
                via_sso: true,
            };
            match self.on_user_id(user_id, command, &facts).await {
                Ok(_) => added.push(name_of(team_id)),
                Err(CommandError::Domain(UserError::AlreadyInTeam)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut removed = Vec::new();
        for team_id in current.intersection(&sso_teams) {
            if target.contains(team_id) {
                continue;
            }
            let command = UserCommand::RemoveFromTeam {
                team_id: *team_id,
                team_sso_managed: true,
                via_sso: true,
            };
            match self.on_user_id(user_id, command, &facts).await {
                Ok(_) => removed.push(name_of(team_id)),
                Err(CommandError::Domain(UserError::NotInTeam)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        added.sort();
        removed.sort();
        Ok((added, removed))
    }

    /// Opens the session of an SSO login (no device, no code: the IdP authenticated).
    async fn open_sso_session(
        &self,
        user: &User,
        account: &Account,
        facts: &RequestFacts,
    ) -> Result<NewSession, SsoError> {
        let (Some(user_id), Some(account_id)) = (user.id, account.id) else {
            return Err(internal("an SSO login without its account or user"));
        };
        let services = self.exec.services();
        let now = services.clock.now();
        let session_id = services.ids.new_id();
        let minted = SessionToken::mint(user_id, session_id);
        let expires_at = now + self.sessions.policy.lifetime;
        let command = UserCommand::RecordLogin(Box::new(RecordLogin {
            method: LoginMethod::Sso,
            session_id,
            session_token_hash: StoredSecret(minted.secret_hash),
            session_expires_at: expires_at,
            device_id: None,
            language: None,
            verified_hash: None,
            device_trusted: false,
            two_factor: account.policy.two_factor,
        }));
        let facts = as_user(facts, user_id);
        let turn = self.sessions.serialize(user_id).await;
        let executed = self.on_user_id(user_id, command, &facts).await;
        drop(turn);
        let committed = match executed {
            Ok((committed, _)) => committed,
            Err(CommandError::Domain(refused @ (UserError::Locked | UserError::Disabled))) => {
                return Err(SsoError::Refused(state_failure(&refused)))
            }
            Err(other) => return Err(other.into()),
        };
        self.record_activity(session_id, user_id, now).await?;
        Ok(NewSession {
            token: minted.token,
            session_id,
            user_id,
            account_id,
            expires_at,
            device_token: None,
            position: committed.position(),
        })
    }
}

/// What a login step reads from the ticket.
struct SsoStep<'a> {
    hash: &'a str,
    ticket: &'a SsoTicket,
    config: &'a SsoConfig,
    settings: &'a SsoSettings,
    assertion: &'a SsoAssertion,
    facts: &'a RequestFacts,
}

fn state_failure(refused: &UserError) -> SsoLoginFailure {
    match refused {
        UserError::Disabled => SsoLoginFailure::UserDisabled,
        _ => SsoLoginFailure::UserLocked,
    }
}
