//! Use cases: what the HTTP API and the CLI ask for, carried out as commands on one or more
//! aggregates. Rules that span aggregates live here: reserve an email before registering its user
//! (and release it on failure), look up a team on the Account before changing a membership on the
//! User, mint an API key and store only its hash.

mod accounts;
mod api_keys;
pub mod audit;
pub mod console;
mod console_teams;
mod devices;
mod error;
mod external_login;
pub mod i18n;
mod inactivity;
mod login;
mod logo;
mod password;
mod profile;
mod sso;
mod sso_login;
mod teams;
mod users;

pub use api_keys::{ApiKeyCache, ApiKeyInfo, NewApiKey, Principal};
pub use console_teams::TeamWithMembers;
pub use devices::DeviceInfo;
pub use error::{AppCode, AppError};
pub use external_login::{provider_name, ExternalError, ExternalSignIn, LinkedIdentity};
pub use login::challenges::ChallengeIssued;
use login::Sessions;
pub use login::{
    AccountChoice, AuthMetrics, LoginOutcome, LoginRequest, NewSession, SessionInfo, SessionPolicy,
};
/// The client address of a request as the edge worked it out (behind trusted proxies, from
/// their forwarding headers), kept in the request's extensions for the API and the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub std::net::IpAddr);

/// Set on a request over its address's rate by the edge, for a page to refuse in its own
/// words: the seconds until a retry may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled(pub u64);

pub use logo::{prepare_logo, LogoImage, MAX_LOGO_BYTES};
pub use profile::{Branding, MyProfile};
pub use sso::{CertificateCheck, SsoInput, SsoView, SSO_REQUEST_LIFETIME};
pub use sso_login::{
    SsoAssertion, SsoError, SsoOutcome, EMAIL_CLAIM, GIVEN_NAME_CLAIM, GROUP_CLAIM,
    SSO_TICKET_LIFETIME, SURNAME_CLAIM,
};
pub use users::{NewUser, ProfilePatch, StatusChange};

use chronid_domain::account::{Account, AccountError};
use chronid_domain::error::ErrorKind;
use chronid_domain::metadata::RequestFacts;
use chronid_domain::reservation::{Reservation, ReservationCommand, ReservationError};
use chronid_domain::user::{User, UserError};
use chronid_domain::AccountScoped;
use chronid_domain::DomainError;
use uuid::Uuid;

use chronid_store::login_state::{LoginChallenges, SessionActivity};
use chronid_store::{CommandError, CommandExecutor, Committed, GuardError};

/// How long a reservation must be held by an owner that does not exist before another
/// registration may take it over: far longer than any registration takes.
const ORPHANED_AFTER: chrono::Duration = chrono::Duration::minutes(1);

/// A command's result as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub id: Uuid,
    /// `global_seq` of the last event written; `None` when nothing changed.
    pub position: Option<i64>,
}

/// How long a device stays trusted after a second factor was passed on it, by default.
pub const DEFAULT_DEVICE_TRUST: chrono::Duration = chrono::Duration::days(30);

/// The application: every use case, over one command executor.
#[derive(Clone)]
pub struct App {
    exec: CommandExecutor,
    keys: ApiKeyCache,
    sessions: Sessions,
    /// How long a device stays trusted (`CHRONID_DEVICE_TRUST_DAYS`).
    trust_for: chrono::Duration,
    /// Last use of each open session (the store's `session_activity`).
    activity: SessionActivity,
    /// Challenge id -> user (the store's `login_challenges`).
    challenges: LoginChallenges,
    /// Images the events name by digest (the store's `blobs`).
    blobs: chronid_store::blobs::Blobs,
    /// The SAML room's check of an IdP certificate; without it SSO configurations are refused.
    certificate_check: Option<sso::CertificateCheck>,
    /// `CHRONID_PUBLIC_URL`, without a trailing slash: SSO URLs are built on it.
    public_url: String,
    /// AuthnRequests sent and not answered yet (the store's `saml_requests`).
    saml_requests: chronid_store::login_state::SamlRequests,
    /// Assertion consumer path -> SSO configuration (a path never changes).
    acs_configs: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Uuid>>>,
}

impl App {
    pub fn new(exec: CommandExecutor) -> Self {
        Self {
            activity: SessionActivity::new(exec.pool().clone()),
            challenges: LoginChallenges::new(exec.pool().clone()),
            blobs: chronid_store::blobs::Blobs::new(exec.pool().clone()),
            certificate_check: None,
            saml_requests: chronid_store::login_state::SamlRequests::new(exec.pool().clone()),
            acs_configs: std::sync::Arc::default(),
            public_url: "http://127.0.0.1:8080".to_string(),
            exec,
            keys: ApiKeyCache::default(),
            sessions: Sessions::new(SessionPolicy::default()),
            trust_for: DEFAULT_DEVICE_TRUST,
        }
    }

    /// The same application with another session lifetime and idle timeout.
    pub fn with_session_policy(mut self, policy: SessionPolicy) -> Self {
        self.sessions = Sessions::new(policy);
        self
    }

    /// The same application with devices trusted for `trust_for`.
    pub fn with_device_trust(mut self, trust_for: chrono::Duration) -> Self {
        self.trust_for = trust_for;
        self
    }

    /// Counters of refused logins, for /metrics.
    pub fn auth_metrics(&self) -> &AuthMetrics {
        &self.sessions.metrics
    }

    /// A new id (time-ordered), from the services' generator.
    pub fn new_id(&self) -> Uuid {
        self.exec.services().ids.new_id()
    }

    pub fn executor(&self) -> &CommandExecutor {
        &self.exec
    }

    async fn account(&self, account_id: Uuid) -> Result<Account, AppError> {
        let (account, seq) = self.exec.load::<Account>(&account_id.to_string()).await?;
        if seq == 0 {
            return Err(AppError::not_found(&AccountError::NotFound, "account"));
        }
        Ok(account)
    }

    /// Claims a reservation key for user `owner`; `taken_code` names the conflict for the caller.
    /// A key held for longer than `ORPHANED_AFTER` by a user that never came to exist (the
    /// process died between reserving and registering) is taken over.
    async fn reserve(
        &self,
        key: &str,
        owner: Uuid,
        account_id: Option<Uuid>,
        facts: &RequestFacts,
        taken: AppCode,
        taken_message: &str,
    ) -> Result<(), AppError> {
        let taken = || AppError::new(taken, taken_message);
        let claim = ReservationCommand::Claim { owner, account_id };
        match self.exec.execute::<Reservation>(key, claim, facts).await {
            Ok(_) => return Ok(()),
            Err(CommandError::Domain(ReservationError::Taken)) => {}
            Err(other) => return Err(other.into()),
        }
        let held = self
            .exec
            .store::<Reservation>()
            .load(key)
            .await
            .map_err(AppError::internal)?;
        let Some(holder) = held.aggregate.owner else {
            return Err(taken());
        };
        let holder_exists = self
            .exec
            .store::<User>()
            .load(&holder.to_string())
            .await
            .map_err(AppError::internal)?
            .current_sequence
            > 0;
        if holder_exists {
            return Err(taken());
        }
        let take_over = ReservationCommand::TakeOver {
            owner,
            account_id,
            previous_owner: holder,
            orphaned_after: ORPHANED_AFTER,
        };
        match self
            .exec
            .execute::<Reservation>(key, take_over, facts)
            .await
        {
            Ok(_) => {
                tracing::warn!(previous_owner = %holder, "took over a reservation left by a registration that never completed");
                Ok(())
            }
            Err(CommandError::Domain(_)) => Err(taken()),
            Err(other) => Err(other.into()),
        }
    }

    /// Gives a reservation back; failures are logged, not raised (the caller is already failing).
    async fn release(&self, key: &str, owner: Uuid, facts: &RequestFacts) {
        if let Err(err) = self
            .exec
            .execute::<Reservation>(key, ReservationCommand::Release { owner }, facts)
            .await
        {
            tracing::error!(%err, key_kind = key.split(':').next().unwrap_or(""), "could not release a reservation");
        }
    }
}

/// A guard refusing aggregates of another account, answering "no such {what}".
fn in_account<A: AccountScoped>(
    account_id: Uuid,
    code: &'static str,
    what: &'static str,
) -> impl Fn(&A) -> Result<(), GuardError> {
    move |a: &A| {
        if a.account_id() == Some(account_id) {
            Ok(())
        } else {
            Err(GuardError {
                code,
                kind: ErrorKind::NotFound,
                message: format!("no such {what}"),
            })
        }
    }
}

/// A guard for commands an administrator sends to a user: the user is in `account_id`, and a
/// user holding AccountManager is changed only by an AccountManager (else an AccountAdmin could
/// lock managers out or redirect their email).
fn administrable_by(who: &Principal, account_id: Uuid) -> impl Fn(&User) -> Result<(), GuardError> {
    let same_account = in_account::<User>(account_id, UserError::NotFound.code(), "user");
    let caller_is_manager = who.roles.can_manage_account();
    move |user: &User| {
        same_account(user)?;
        if user.roles.can_manage_account() && !caller_is_manager {
            return Err(GuardError {
                code: AppCode::Forbidden.as_str(),
                kind: ErrorKind::Forbidden,
                message: "only an AccountManager may change an AccountManager".into(),
            });
        }
        Ok(())
    }
}

impl App {
    /// The outcome of a command that would set what is already set (a repeated `PUT`): nothing
    /// written, the aggregate's current position, so the caller can still read its own write.
    async fn unchanged<A>(&self, id: Uuid) -> Result<Outcome, AppError>
    where
        A: cqrs_es::Aggregate + chronid_domain::AccountScoped,
    {
        let position = self
            .exec
            .store::<A>()
            .position_of(&id.to_string())
            .await
            .map_err(AppError::internal)?;
        Ok(Outcome { id, position })
    }
}

fn outcome(id: Uuid, committed: &Committed) -> Outcome {
    Outcome {
        id,
        position: committed.position(),
    }
}

/// The host of a URL or of a `Host` header, lowercase, without port or path.
pub fn host_of(raw: &str) -> String {
    let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        // An IPv6 literal keeps its brackets' content.
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    // A fully qualified name's trailing dot names the same host.
    host.trim_end_matches('.').to_ascii_lowercase()
}
