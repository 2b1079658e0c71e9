//! Password login, sessions and logout.
//!
//! A login names an email or a username. The users holding it are found from the reservations in
//! the store (no projection lag), in the given account or, without one, in every account. The
//! password is checked against each holder's hash on the bounded hashing pool; an unknown login is
//! checked against a dummy hash with the same parameters, so neither the answer nor the work tells
//! whether the login exists. A wrong password is recorded on the User, which counts it and locks
//! at the account's limit; the executor's reload-and-retry on conflicts keeps the count exact
//! under parallel attempts.
//!
//! A session is opened by `LoginSucceeded` on the User (its token's SHA-256 in the store only)
//! and ends by logout, revocation, lock, disable or expiry. Its last use is kept outside the
//! events, in `session_activity`, written at most every `TOUCH_EVERY` per session, for the idle
//! timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use challenges::ChallengeIssued;
use chronid_domain::metadata::{Actor, RequestFacts};
use chronid_domain::user::{Lockout, LoginMethod, User, UserCommand, UserError};
use chronid_domain::values::{Language, Password, StoredSecret};
use chronid_store::CommandError;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{App, AppCode, AppError, Principal};

pub(crate) mod candidates;
pub(crate) mod challenges;
pub(crate) mod devices;
pub(crate) mod sessions;

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// From login, whatever the use.
    pub lifetime: Duration,
    /// Without a request.
    pub idle: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            lifetime: Duration::hours(12),
            idle: Duration::minutes(30),
        }
    }
}

/// A session's last use is written at most this often (so the idle timeout is exact to within it).
const TOUCH_EVERY: Duration = Duration::seconds(30);

/// At most this many accounts' users are tried for one login without an account id.
const MAX_CANDIDATES: usize = 10;

/// Stripes of the per-user login lock.
const LOGIN_STRIPES: usize = 1024;

/// A refused password login answers no sooner than this many password checks' time after it
/// began, so that an unknown login, a wrong password and a login held in up to this many
/// accounts (checked against each) take the same time.
const PADDED_CHECKS: u32 = 3;

/// Logins refused without a check of the password's worth: the user may not log in anyway.
/// Counted here (and shown in /metrics), not written as events, so a flood of attempts at a
/// locked user does not grow its history.
#[derive(Debug, Default)]
pub struct AuthMetrics {
    pub refused_locked: AtomicU64,
    pub refused_disabled: AtomicU64,
}

/// A running estimate of one password check's duration, in microseconds.
#[derive(Debug, Default)]
struct CheckCost(AtomicU64);

impl CheckCost {
    fn observe(&self, took: std::time::Duration) {
        let sample = took.as_micros().min(u128::from(u32::MAX)) as u64;
        // An exponential moving average (weight 1/8), lock-free; a lost update is harmless.
        let old = self.0.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample
        } else {
            old - old / 8 + sample / 8
        };
        self.0.store(new, Ordering::Relaxed);
    }

    fn floor(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.0.load(Ordering::Relaxed) * u64::from(PADDED_CHECKS))
    }
}
/// Session settings and the state login keeps between requests.
#[derive(Clone)]
pub(crate) struct Sessions {
    pub(super) policy: SessionPolicy,
    /// Logins of one user record their outcome one at a time in this process (a user hashes to
    /// one stripe), so a burst of attempts queues here instead of colliding in the store and
    /// exhausting the executor's retries. Other processes still meet on the store's sequence key.
    stripes: Arc<Vec<tokio::sync::Mutex<()>>>,
    /// A hash of a random password, checked when the login names no one.
    dummy_hash: Arc<OnceCell<StoredSecret>>,
    /// Session id -> when its last use was written.
    touched: Arc<Mutex<HashMap<Uuid, DateTime<Utc>>>>,
    pub(super) metrics: Arc<AuthMetrics>,
    check_cost: Arc<CheckCost>,
}

impl Sessions {
    pub fn new(policy: SessionPolicy) -> Self {
        Self {
            policy,
            stripes: Arc::new((0..LOGIN_STRIPES).map(|_| Default::default()).collect()),
            dummy_hash: Arc::default(),
            touched: Arc::default(),
            metrics: Arc::default(),
            check_cost: Arc::default(),
        }
    }

    /// The lock under which a login of `user_id` records its outcome.
    pub(crate) async fn serialize(&self, user_id: Uuid) -> tokio::sync::MutexGuard<'_, ()> {
        let stripe = (user_id.as_u128() % LOGIN_STRIPES as u128) as usize;
        self.stripes[stripe].lock().await
    }

    /// Whether the session's last use was written recently enough to skip writing it now.
    fn recently_touched(&self, session_id: Uuid, now: DateTime<Utc>) -> bool {
        self.touched
            .lock()
            .ok()
            .and_then(|m| m.get(&session_id).copied())
            .is_some_and(|at| now - at < TOUCH_EVERY)
    }

    fn touched_at(&self, session_id: Uuid, now: DateTime<Utc>) {
        if let Ok(mut m) = self.touched.lock() {
            if m.len() > 100_000 {
                m.retain(|_, at| now - *at < TOUCH_EVERY);
            }
            m.insert(session_id, now);
        }
    }

    fn forget(&self, session_id: Uuid) {
        if let Ok(mut m) = self.touched.lock() {
            m.remove(&session_id);
        }
    }
}

/// A login as presented.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// An email or a username.
    pub login: String,
    pub password: Password,
    pub account_id: Option<Uuid>,
    /// The language chosen on the login page; becomes the user's.
    pub language: Option<Language>,
    /// The device token the client kept from an earlier login, if any.
    pub device_token: Option<String>,
}

/// A session just opened: the token is shown once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: SecretString,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub account_id: Uuid,
    pub expires_at: DateTime<Utc>,
    /// The device token the client should keep (a new one when the device was not recognised;
    /// after a challenge, the one the client presented, if any).
    pub device_token: Option<SecretString>,
    pub position: Option<i64>,
}

/// An account the login exists in, for the user to choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChoice {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone)]
pub enum LoginOutcome {
    Session(Box<NewSession>),
    /// The password matched in several accounts: ask again with `account_id`.
    ChooseAccount(Vec<AccountChoice>),
    /// A second factor is needed: answer the challenge.
    TwoFactorRequired(Box<ChallengeIssued>),
    /// The password has expired: set a new one with this token, then log in again.
    PasswordChangeRequired {
        change_token: SecretString,
    },
}

/// The answer to a login the user may not complete (locked, disabled): counted in a metric,
/// not written; other refusals pass through.
pub(crate) fn refused_login(app: &App, refusal: UserError) -> AppError {
    app.count_refusal(&refusal);
    AppError::from_domain(&refusal)
}

/// One of the caller's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub id: Uuid,
    pub opened_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub method: Option<LoginMethod>,
    pub device_id: Option<Uuid>,
    /// The session this request came with.
    pub current: bool,
}

fn invalid_credentials() -> AppError {
    AppError::new(
        AppCode::InvalidCredentials,
        "the login or the password is not correct",
    )
}

fn invalid_session() -> AppError {
    AppError::new(
        AppCode::InvalidSession,
        "the session is not valid or has ended; log in again",
    )
}

fn no_session() -> AppError {
    AppError::new(
        AppCode::SessionRequired,
        "this needs a user's session, not an API key",
    )
}

/// The request's facts with the user as the actor (a login acts as the user it names).
pub(crate) fn as_user(facts: &RequestFacts, user_id: Uuid) -> RequestFacts {
    RequestFacts {
        actor: Actor::user(user_id),
        ..facts.clone()
    }
}

fn port(e: chronid_domain::ports::PortError) -> AppError {
    AppError::from_domain(&UserError::Port(e))
}

/// Why a password login did not open a session.
pub(crate) enum Refusal {
    /// The password changed, or the user's state asks for a second factor, since the decision:
    /// decide again.
    Stale,
    /// Unknown login or wrong password (answered late enough to say neither).
    InvalidCredentials,
    Other(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Self::Other(e)
    }
}

impl<E: chronid_domain::DomainError> From<CommandError<E>> for Refusal {
    fn from(e: CommandError<E>) -> Self {
        Self::Other(e.into())
    }
}

impl App {
    /// Logs in with a password.
    #[tracing::instrument(name = "login", skip_all, fields(actor = ?facts.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn login(
        &self,
        request: &LoginRequest,
        facts: &RequestFacts,
    ) -> Result<LoginOutcome, AppError> {
        let started = Instant::now();
        // A decision made on state that changed before the session was recorded is made again,
        // once.
        let mut result = self.decide_login(request, facts).await;
        if matches!(result, Err(Refusal::Stale)) {
            result = self.decide_login(request, facts).await;
        }
        match result {
            Ok(outcome) => Ok(outcome),
            Err(Refusal::InvalidCredentials) => {
                let floor = started + self.sessions.check_cost.floor();
                tokio::time::sleep_until(floor.into()).await;
                Err(invalid_credentials())
            }
            Err(Refusal::Stale) => Err(AppError::conflict_retry(
                "the user changed while logging in; try again",
            )),
            Err(Refusal::Other(e)) => Err(e),
        }
    }

    /// A password login the user's state refuses. A locked or disabled user is answered like
    /// a wrong password, whatever the password: otherwise a lock would stop logging in but not
    /// guessing, since the right password would be told apart (and uncounted guesses go on).
    fn refused_by_state(&self, refused: UserError) -> Refusal {
        match refused {
            UserError::Locked | UserError::Disabled => {
                self.count_refusal(&refused);
                Refusal::InvalidCredentials
            }
            other => Refusal::Other(AppError::from_domain(&other)),
        }
    }

    fn count_refusal(&self, refusal: &UserError) {
        let counter = match refusal {
            UserError::Locked => &self.sessions.metrics.refused_locked,
            UserError::Disabled => &self.sessions.metrics.refused_disabled,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Checks `password` against `hash`, keeping the estimate of a check's duration.
    async fn check_password(
        &self,
        password: &Password,
        hash: &StoredSecret,
    ) -> Result<bool, AppError> {
        let started = Instant::now();
        let ok = self
            .exec
            .services()
            .hasher
            .verify(password, hash)
            .await
            .map_err(port)?;
        self.sessions.check_cost.observe(started.elapsed());
        Ok(ok)
    }

    async fn decide_login(
        &self,
        request: &LoginRequest,
        facts: &RequestFacts,
    ) -> Result<LoginOutcome, Refusal> {
        let candidates = self
            .login_candidates(&request.login, request.account_id)
            .await?;
        if candidates.is_empty() {
            self.verify_dummy(&request.password).await?;
            return Err(Refusal::InvalidCredentials);
        }
        let mut matched = Vec::new();
        let mut wrong = Vec::new();
        for user in candidates {
            let ok = match &user.password_hash {
                Some(hash) => self.check_password(&request.password, hash).await?,
                None => {
                    self.verify_dummy(&request.password).await?;
                    false
                }
            };
            if ok {
                matched.push(user);
            } else {
                wrong.push(user);
            }
        }
        if matched.is_empty() {
            for user in &wrong {
                self.record_failed_login(user, request.device_token.as_deref(), facts)
                    .await?;
            }
            return Err(Refusal::InvalidCredentials);
        }
        if matched.len() > 1 {
            let mut choices = Vec::with_capacity(matched.len());
            for user in &matched {
                let Some(id) = user.account_id else { continue };
                let account = self.account(id).await?;
                let name = account.name.map(|n| n.as_str().to_string());
                choices.push(AccountChoice {
                    id,
                    name: name.unwrap_or_default(),
                });
            }
            choices.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            return Ok(LoginOutcome::ChooseAccount(choices));
        }
        let Some(user) = matched.pop() else {
            return Err(Refusal::InvalidCredentials);
        };
        self.open_session(user, request, facts).await
    }

    /// Counts a wrong password on the user, under the account's policy, from the device the
    /// client presented; a user who may not log in from it anyway is counted in a metric only.
    async fn record_failed_login(
        &self,
        user: &User,
        device_token: Option<&str>,
        facts: &RequestFacts,
    ) -> Result<(), AppError> {
        let (Some(user_id), Some(account_id)) = (user.id, user.account_id) else {
            return Ok(());
        };
        let policy = self.account(account_id).await?.policy;
        let device = self.presented_device(user, device_token).await?;
        let command = UserCommand::RecordFailedLogin {
            method: LoginMethod::Password,
            device_id: device.map(|(id, _)| id),
            device_trusted: device.is_some_and(|(_, trusted)| trusted),
            lockout: Lockout::of(&policy),
        };
        let facts = as_user(facts, user_id);
        let _turn = self.sessions.serialize(user_id).await;
        match self.on_user_id(user_id, command, &facts).await {
            Ok(_) => Ok(()),
            Err(CommandError::Domain(refused @ (UserError::Locked | UserError::Disabled))) => {
                self.count_refusal(&refused);
                Ok(())
            }
            // Counted or not, the answer stays the wrong password's: an error here must not
            // tell that the login exists. The failure is logged for the operator.
            Err(other) => {
                let error = AppError::from(other);
                tracing::warn!(target: "security", %user_id, code = error.code, "a failed login could not be recorded");
                Ok(())
            }
        }
    }
}
