//! Logging in through SAML single sign-on, once the SAML room has checked a Response.
//!
//! The assertion consumer is reached by a cross-site POST, which carries none of the browser's
//! cookies (they are `SameSite=Lax`). So the login is split in two: the consumer checks the
//! Response, takes the AuthnRequest it answers and keeps what it asserts under a random
//! one-time ticket for the browser that sent that request (`accept_sso_response`); the browser
//! is then sent to a same-site page with the ticket, which only that browser can use
//! (`sso_login`). A Response captured from another browser's login cannot open a session here
//! (login CSRF), and a ticket opens one session at most: it is deleted when the session is
//! opened.
//!
//! Which user: the NameID (an email, or a UPN written like one) names, in each account the
//! configuration serves, the user it was linked to at an earlier login, else the user whose
//! email it is (exactly); the email claim never finds anyone (an IdP user who can edit that
//! attribute would pick whom to log in as). None, and auto-create users on: the user is created
//! in the owner account (or the account chosen), with the email claim or the NameID as email
//! and the given name and surname claims, and linked to the NameID. Several (shared SSO): the
//! user chooses the account. With auto-create groups on, the group claim's values become the
//! user's memberships in SSO-managed teams (created when missing); when that changes anything,
//! the changes are shown first and written with the session once the user confirms them.
//! The identity provider authenticated the user: no code of chronid's is asked (decision 0015).
//! Every refusal is recorded on the configuration (`SsoLoginFailed`) for the audit log.

use std::collections::{BTreeMap, BTreeSet};

use chronid_crypto::{random_bytes, sha256_hex, SessionToken};
use chronid_domain::account::{Account, AccountCommand, AccountError};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::reservation::{
    email_key, external_identity_key, Reservation, ReservationCommand,
};
use chronid_domain::sso_config::{SsoConfig, SsoConfigCommand, SsoLoginFailure, SsoSettings};
use chronid_domain::user::{
    IdentityProvider, LoginMethod, RecordLogin, RegistrationSource, User, UserCommand, UserError,
};
use chronid_domain::values::{Email, Name, PersonName, Roles, StoredSecret};
use chronid_store::login_state::{Acceptance, SsoTicket};
use chronid_store::CommandError;
use chrono::{DateTime, Duration, Utc};
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
const MAX_GROUPS: usize = 1000;

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
        // A configuration's assertion consumer path never changes: remembered once found.
        let known = self
            .acs_configs
            .lock()
            .ok()
            .and_then(|m| m.get(acs_path).copied());
        let config_id = match known {
            Some(id) => id,
            None => {
                let Some(id) = self
                    .saml_requests
                    .config_by_acs(acs_path)
                    .await
                    .map_err(AppError::internal)?
                else {
                    return Ok(None);
                };
                if let Ok(mut m) = self.acs_configs.lock() {
                    if m.len() >= 10_000 {
                        m.clear();
                    }
                    m.insert(acs_path.to_string(), id);
                }
                id
            }
        };
        let view = self.live_sso_view(config_id).await?;
        Ok(view.filter(|v| v.settings.sp_acs_path.as_str() == acs_path))
    }

    /// Takes a checked Response: its assertion accepted once across all nodes, the request it
    /// answers taken (it names the browser the request was sent from), and what it asserts
    /// kept for that browser under a one-time ticket, returned. An unsolicited assertion (no
    /// request) waits for the first browser that presents its ticket.
    pub async fn accept_sso_response(
        &self,
        config_id: Uuid,
        issuer: &str,
        assertion_id: &str,
        expires_at: DateTime<Utc>,
        request_id: Option<&str>,
        assertion: &SsoAssertion,
    ) -> Result<String, SsoError> {
        let now = self.exec.services().clock.now();
        let ticket = hex::encode(random_bytes::<32>());
        let value = serde_json::to_value(assertion).map_err(internal)?;
        let acceptance = self
            .saml_requests
            .accept_response(
                config_id,
                issuer,
                assertion_id,
                expires_at,
                request_id,
                &sha256_hex(ticket.as_bytes()),
                &value,
                now,
                crate::SSO_REQUEST_LIFETIME,
            )
            .await
            .map_err(internal)?;
        match acceptance {
            Acceptance::Issued => Ok(ticket),
            Acceptance::Replayed => Err(SsoError::Refused(SsoLoginFailure::Replayed)),
            Acceptance::RequestGone => Err(SsoError::Refused(SsoLoginFailure::UnknownRequest)),
        }
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

    /// A step of the SSO login of `ticket` in the browser `browser_digest`: its first (the
    /// finish page), or after the user chose `account`, or `confirmed` the group changes. The
    /// ticket must be this browser's (the one its request was sent from), or, unsolicited, not
    /// yet any browser's; another browser's ticket is spent, so it logs no one in anywhere, and
    /// the attempt recorded.
    #[tracing::instrument(name = "sso_login", skip_all, fields(request_id = facts.correlation_id.as_deref()))]
    pub async fn sso_login(
        &self,
        ticket: &str,
        browser_digest: &str,
        account: Option<Uuid>,
        confirmed: bool,
        facts: &RequestFacts,
    ) -> Result<SsoOutcome, SsoError> {
        let hash = sha256_hex(ticket.as_bytes());
        let now = self.exec.services().clock.now();
        let requests = &self.saml_requests;
        let mine = requests
            .ticket_for(&hash, browser_digest, now, SSO_TICKET_LIFETIME)
            .await
            .map_err(internal)?;
        if let Some(ticket) = mine {
            return self
                .continue_with(&hash, ticket, account, confirmed, facts)
                .await;
        }
        match requests.ticket_config(&hash).await.map_err(internal)? {
            Some(config_id) => {
                requests.spend_ticket(&hash).await.map_err(internal)?;
                let reason = SsoLoginFailure::OtherBrowser;
                Err(self
                    .refuse(config_id, reason, (None, None), None, facts)
                    .await)
            }
            None => Err(SsoError::Refused(SsoLoginFailure::Replayed)),
        }
    }

    /// Goes on with the login of a ticket read for this browser.
    async fn continue_with(
        &self,
        hash: &str,
        ticket: SsoTicket,
        account: Option<Uuid>,
        confirmed: bool,
        facts: &RequestFacts,
    ) -> Result<SsoOutcome, SsoError> {
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
            hash,
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
        // Who the NameID names in each served account: the user it was linked to at an earlier
        // login, else the user whose email it is. The email claim never finds a user: an IdP
        // user able to edit that attribute would otherwise pick whom to log in as.
        let subject = name_id.trim().to_lowercase();
        let provider = format!("saml:{config_id}");
        let mut matched: Vec<(Uuid, Uuid)> = Vec::new();
        let mut linked: Vec<Uuid> = Vec::new();
        for account_id in &accounts {
            let key = external_identity_key(*account_id, &provider, &subject);
            let found = match self.holder_in(*account_id, &key).await? {
                Some(user_id) => {
                    linked.push(user_id);
                    Some(user_id)
                }
                None => self.user_with_email(*account_id, &email).await?,
            };
            if let Some(user_id) = found {
                matched.push((*account_id, user_id));
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
                let source = RegistrationSource::Sso;
                match self
                    .register_user_unchecked(account_id, new, source, Some(config_id), facts)
                    .await
                {
                    Ok(created) => (account_id, created.id),
                    // Another login with the same NameID created it meanwhile: that user.
                    // Any other holder of the email is someone else, not this NameID's.
                    Err(e) if e.code == crate::AppCode::EmailTaken.as_str() => {
                        match self.user_with_email(account_id, &email).await? {
                            Some(user_id) => (account_id, user_id),
                            None => {
                                let reason = SsoLoginFailure::Creation;
                                return Err(self
                                    .refuse(config_id, reason, who, Some(name_id), facts)
                                    .await);
                            }
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
        // Group sync: shown first when it changes anything, written once the user confirmed,
        // with the session.
        let plan = match step.settings.auto_create_groups {
            true => Some(team_plan(&account, &user, step.assertion)),
            false => None,
        };
        if let Some(plan) = plan.as_ref().filter(|p| !p.is_empty() && !confirmed) {
            let account_name = account.name.as_ref().map(|n| n.as_str().to_string());
            return Ok(SsoOutcome::GroupsChanged {
                account_id,
                account_name: account_name.unwrap_or_default(),
                added: plan.added_names(),
                removed: plan.removed_names(),
            });
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
        // Linked from now on: the NameID finds this user even after an email change.
        if !linked.contains(&user_id) {
            let key = external_identity_key(account_id, &provider, &subject);
            self.link_identity(
                (user_id, account_id),
                IdentityProvider::Saml,
                &key,
                &subject,
                facts,
            )
            .await;
        }
        if let Some(plan) = plan {
            self.apply_team_plan(account_id, user_id, plan, facts)
                .await?;
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
        let accounts: BTreeSet<Uuid> = users
            .iter()
            .filter(|u| u.email.as_ref() == Some(email))
            .filter_map(|u| u.account_id)
            .collect();
        let mut urls: Vec<String> = Vec::new();
        for account in accounts {
            for view in self.configs_serving(account).await? {
                if !urls.contains(&view.sp_entity_id) {
                    urls.push(view.sp_entity_id);
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
        let configs = self.configs_serving(account_id).await?;
        Ok(configs
            .into_iter()
            .find_map(|view| view.settings.idp_logout_url)
            .map(|url| url.as_str().to_string()))
    }

    /// The user of `account_id` whose email is `email`, from its reservation (no view lag).
    async fn user_with_email(
        &self,
        account_id: Uuid,
        email: &Email,
    ) -> Result<Option<Uuid>, AppError> {
        self.holder_in(account_id, &email_key(account_id, email))
            .await
    }

    /// The user a reservation key names, if that user is of `account_id`.
    async fn holder_in(&self, account_id: Uuid, key: &str) -> Result<Option<Uuid>, AppError> {
        let (held, _) = self.exec.load::<Reservation>(key).await?;
        let Some(owner) = held.owner else {
            return Ok(None);
        };
        let (user, seq) = self.exec.load::<User>(&owner.to_string()).await?;
        Ok((seq > 0 && user.account_id == Some(account_id)).then_some(owner))
    }

    /// Links an identity at `provider` to the user (its reservation `key` first): best effort,
    /// since the login stands without it (the email still finds the user).
    pub(crate) async fn link_identity(
        &self,
        (user_id, account_id): (Uuid, Uuid),
        provider: IdentityProvider,
        key: &str,
        subject: &str,
        facts: &RequestFacts,
    ) {
        let claim = ReservationCommand::Claim {
            owner: user_id,
            account_id: Some(account_id),
        };
        let facts = as_user(facts, user_id);
        if let Err(error) = self.exec.execute::<Reservation>(key, claim, &facts).await {
            let error = AppError::from(error);
            tracing::info!(%user_id, code = error.code, ?provider, "an identity was not linked");
            return;
        }
        let command = UserCommand::LinkExternalIdentity {
            provider,
            subject: subject.to_string(),
        };
        match self.on_user_id(user_id, command, &facts).await {
            Ok(_) | Err(CommandError::Domain(UserError::NoChange)) => {}
            Err(error) => {
                let error = AppError::from(error);
                tracing::warn!(%user_id, code = error.code, ?provider, "an identity could not be linked");
            }
        }
    }

    /// Writes a group sync: the missing SSO teams created, the memberships added and removed.
    async fn apply_team_plan(
        &self,
        account_id: Uuid,
        user_id: Uuid,
        plan: TeamPlan,
        facts: &RequestFacts,
    ) -> Result<(), SsoError> {
        let facts = as_user(facts, user_id);
        let mut join: Vec<Uuid> = plan.join.iter().map(|(id, _)| *id).collect();
        for name in plan.create {
            let team_id = self.exec.services().ids.new_id();
            let key = name.key();
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
                Ok(_) => join.push(team_id),
                // Another login created it meanwhile: that team, if it is an SSO one.
                Err(CommandError::Domain(AccountError::TeamNameTaken)) => {
                    let account = self.account(account_id).await?;
                    let found = account
                        .teams
                        .iter()
                        .find(|(_, t)| t.name.key() == key && t.sso_managed);
                    if let Some((id, _)) = found {
                        join.push(*id);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        for team_id in join {
            let command = UserCommand::AddToTeam {
                team_id,
                team_sso_managed: true,
                via_sso: true,
            };
            match self.on_user_id(user_id, command, &facts).await {
                Ok(_) | Err(CommandError::Domain(UserError::AlreadyInTeam)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for (team_id, _) in plan.leave {
            let command = UserCommand::RemoveFromTeam {
                team_id,
                team_sso_managed: true,
                via_sso: true,
            };
            match self.on_user_id(user_id, command, &facts).await {
                Ok(_) | Err(CommandError::Domain(UserError::NotInTeam)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
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

/// A group sync to write: SSO teams to create (and join), SSO teams to join, and to leave.
#[derive(Debug, Default)]
struct TeamPlan {
    create: Vec<Name>,
    join: Vec<(Uuid, String)>,
    leave: Vec<(Uuid, String)>,
}

impl TeamPlan {
    fn is_empty(&self) -> bool {
        self.create.is_empty() && self.join.is_empty() && self.leave.is_empty()
    }

    fn added_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .create
            .iter()
            .map(|n| n.as_str().to_string())
            .chain(self.join.iter().map(|(_, n)| n.clone()))
            .collect();
        names.sort();
        names
    }

    fn removed_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.leave.iter().map(|(_, n)| n.clone()).collect();
        names.sort();
        names
    }
}

/// What makes the user's memberships in the SSO-managed teams of `account` exactly the
/// asserted groups, matched to teams by name (case-insensitive). A group named like a team
/// managed by hand is left alone: that team's members are managed by hand. Past `MAX_GROUPS`
/// groups the rest are not read, and then no membership is removed (the list is not whole).
fn team_plan(account: &Account, user: &User, assertion: &SsoAssertion) -> TeamPlan {
    let mut wanted: BTreeMap<String, Name> = BTreeMap::new();
    let mut whole = true;
    for value in assertion.attributes.get(GROUP_CLAIM).into_iter().flatten() {
        if wanted.len() == MAX_GROUPS {
            whole = false;
            break;
        }
        if let Ok(name) = Name::parse("group", value) {
            wanted.entry(name.key()).or_insert(name);
        }
    }
    let mut plan = TeamPlan::default();
    let mut target: BTreeSet<Uuid> = BTreeSet::new();
    for (key, name) in wanted {
        match account.teams.iter().find(|(_, t)| t.name.key() == key) {
            Some((id, team)) if team.sso_managed => {
                target.insert(*id);
                if !user.teams.contains_key(id) {
                    plan.join.push((*id, team.name.as_str().to_string()));
                }
            }
            Some(_) => {}
            None => plan.create.push(name),
        }
    }
    if whole {
        for id in user.teams.keys() {
            match account.teams.get(id) {
                Some(team) if team.sso_managed && !target.contains(id) => {
                    plan.leave.push((*id, team.name.as_str().to_string()));
                }
                _ => {}
            }
        }
    }
    plan
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
