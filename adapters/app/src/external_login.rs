//! Google and GitHub logins, once the provider vouched for an identity (the pages check the
//! provider's answer with `chronid-oauth`): which user it is, the second factor, the session,
//! and the refusals, each recorded as an `ExternalLoginRefused` event.
//!
//! Which user: the one the provider's subject was linked to (in any account, or in the branded
//! host's), even after the email changed at the provider; otherwise the users holding the
//! verified email in accounts whose login options allow the provider, none of them linked to
//! another identity at that provider. One is logged in, and linked once the whole login passed
//! (the second factor included, never before); several are offered to choose from; none is a
//! refusal that creates nobody. The provider's own second factor is not known to chronid: the
//! login owes chronid's, as a password login does.

use chronid_crypto::SessionToken;
use chronid_domain::account::Account;
use chronid_domain::external_login::{
    ExternalLogin, ExternalLoginCommand, ExternalLoginFailure, Refusal,
};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::reservation::{provider_identity_key, Reservation, ReservationCommand};
use chronid_domain::user::{
    second_factor, IdentityProvider, LoginMethod, RecordLogin, User, UserCommand, UserError,
};
use chronid_domain::values::{Email, Language, StoredSecret, TwoFactorChannel};
use chronid_store::login_state::claimed_identities;
use chronid_store::CommandError;
use uuid::Uuid;

use crate::login::{as_user, AccountChoice, LoginOutcome, NewSession};
use crate::{App, AppError, Principal};

/// Users one identity may be linked to, or one email held by, that are looked at.
const MAX_MATCHES: i64 = 20;

/// The login method of a provider's sessions.
pub(crate) fn login_method(provider: IdentityProvider) -> LoginMethod {
    match provider {
        IdentityProvider::Google => LoginMethod::Google,
        IdentityProvider::Github => LoginMethod::Github,
        IdentityProvider::Saml => LoginMethod::Sso,
    }
}

/// The provider's name in reservation keys and challenge routes.
pub fn provider_name(provider: IdentityProvider) -> &'static str {
    match provider {
        IdentityProvider::Google => "google",
        IdentityProvider::Github => "github",
        IdentityProvider::Saml => "saml",
    }
}

/// The provider `name` names, for Google and GitHub.
pub(crate) fn provider_named(name: &str) -> Option<IdentityProvider> {
    match name {
        "google" => Some(IdentityProvider::Google),
        "github" => Some(IdentityProvider::Github),
        _ => None,
    }
}

pub(crate) fn allows(account: &Account, provider: IdentityProvider) -> bool {
    match provider {
        IdentityProvider::Google => account.login_options.google,
        IdentityProvider::Github => account.login_options.github,
        IdentityProvider::Saml => false,
    }
}

/// An identity the provider vouched for, presented for a login.
#[derive(Clone)]
pub struct ExternalSignIn {
    /// The attempt's id: the refusal, if any, is recorded under it.
    pub attempt_id: Uuid,
    pub provider: IdentityProvider,
    /// Google's `sub`, GitHub's numeric id.
    pub subject: String,
    /// The email the provider verified.
    pub email: String,
    /// Only this account: the branded host's, or the one the person chose.
    pub account_id: Option<Uuid>,
    /// The language chosen on the login page; becomes the user's.
    pub language: Option<Language>,
    /// The device token the browser kept from an earlier login, if any.
    pub device_token: Option<String>,
}

impl std::fmt::Debug for ExternalSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalSignIn")
            .field("attempt_id", &self.attempt_id)
            .field("provider", &self.provider)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

/// Why a Google or GitHub login did not go on.
#[derive(Debug)]
pub enum ExternalError {
    /// Refused for this reason, recorded.
    Refused(ExternalLoginFailure),
    Failed(AppError),
}

impl From<AppError> for ExternalError {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

impl<E: chronid_domain::DomainError> From<CommandError<E>> for ExternalError {
    fn from(e: CommandError<E>) -> Self {
        Self::Failed(e.into())
    }
}

/// An identity linked to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentity {
    pub provider: IdentityProvider,
    pub subject: String,
}

impl App {
    /// Records the refusal of a Google or GitHub login attempt. Never fails the caller: a
    /// refusal that could not be written is logged for the operator.
    pub async fn refuse_external_login(
        &self,
        attempt_id: Uuid,
        refusal: Refusal,
        facts: &RequestFacts,
    ) -> ExternalLoginFailure {
        let reason = refusal.reason;
        let provider = refusal.provider;
        let command = ExternalLoginCommand::RecordRefusal(Box::new(refusal));
        if let Err(error) = self
            .exec
            .execute::<ExternalLogin>(&attempt_id.to_string(), command, facts)
            .await
        {
            let error = AppError::from(error);
            tracing::warn!(target: "security", code = error.code, ?provider, reason = reason.as_str(), "a refused external login could not be recorded");
        }
        reason
    }

    /// Logs in with an identity Google or GitHub vouched for.
    #[tracing::instrument(name = "external_login", skip_all, fields(provider = ?sign_in.provider, request_id = facts.correlation_id.as_deref()))]
    pub async fn external_login(
        &self,
        sign_in: &ExternalSignIn,
        facts: &RequestFacts,
    ) -> Result<LoginOutcome, ExternalError> {
        let refusal = |reason, account_id, user_id| Refusal {
            provider: sign_in.provider,
            reason,
            account_id,
            user_id,
            subject: Some(sign_in.subject.clone()),
            email: Some(sign_in.email.clone()),
        };
        let candidates = self.external_candidates(sign_in).await?;
        let mut allowed = Vec::new();
        let mut barred = Vec::new();
        for user in candidates {
            let Some(account_id) = user.account_id else {
                continue;
            };
            let account = self.account(account_id).await?;
            if allows(&account, sign_in.provider) {
                allowed.push((user, account));
            } else {
                barred.push((user, account_id));
            }
        }
        if allowed.is_empty() {
            // Each account whose user it was hears of it; with none, the deployment does (never
            // an account the request named: anyone could name any).
            let (reason, concerned) = match barred.is_empty() {
                true => (ExternalLoginFailure::NoAccount, vec![(None, None)]),
                false => (
                    ExternalLoginFailure::ProviderNotAllowed,
                    barred
                        .iter()
                        .map(|(user, account)| (user.id, Some(*account)))
                        .collect(),
                ),
            };
            for (i, (user_id, account_id)) in concerned.into_iter().enumerate() {
                let attempt = match i {
                    0 => sign_in.attempt_id,
                    _ => self.exec.services().ids.new_id(),
                };
                let refused = refusal(reason, account_id, user_id);
                self.refuse_external_login(attempt, refused, facts).await;
            }
            return Err(ExternalError::Refused(reason));
        }
        if allowed.len() > 1 {
            let mut choices: Vec<AccountChoice> = allowed
                .iter()
                .filter_map(|(_, account)| {
                    Some(AccountChoice {
                        id: account.id?,
                        name: account
                            .name
                            .as_ref()
                            .map(|n| n.as_str().to_string())
                            .unwrap_or_default(),
                    })
                })
                .collect();
            choices.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            return Ok(LoginOutcome::ChooseAccount(choices));
        }
        let Some((user, account)) = allowed.pop() else {
            return Err(ExternalError::Refused(ExternalLoginFailure::NoAccount));
        };
        match self
            .open_external_session(&user, &account, sign_in, facts)
            .await
        {
            Err(ExternalError::Refused(reason)) => {
                let refused = refusal(reason, account.id, user.id);
                self.refuse_external_login(sign_in.attempt_id, refused, facts)
                    .await;
                Err(ExternalError::Refused(reason))
            }
            other => other,
        }
    }

    /// The users the identity may log in as: those it was linked to, else those holding its
    /// email with no other identity at the provider; in the sign-in's account only, if it names
    /// one.
    async fn external_candidates(&self, sign_in: &ExternalSignIn) -> Result<Vec<User>, AppError> {
        let name = provider_name(sign_in.provider);
        let value = format!("{name}:{}", sign_in.subject);
        let keys = claimed_identities(self.exec.pool(), &value, MAX_MATCHES)
            .await
            .map_err(AppError::internal)?;
        let mut linked = Vec::new();
        for key in keys {
            let (held, _) = self.exec.load::<Reservation>(&key).await?;
            let Some(owner) = held.owner else { continue };
            let (user, seq) = self.exec.load::<User>(&owner.to_string()).await?;
            let in_scope = sign_in
                .account_id
                .is_none_or(|a| user.account_id == Some(a));
            let still_linked = user
                .external_identities
                .contains(&(sign_in.provider, sign_in.subject.clone()));
            if seq > 0 && in_scope && still_linked && held.account_id == user.account_id {
                linked.push(user);
            }
        }
        if !linked.is_empty() {
            return Ok(linked);
        }
        let Ok(email) = Email::parse(&sign_in.email) else {
            return Ok(Vec::new());
        };
        let holders = self
            .login_candidates(email.as_str(), sign_in.account_id)
            .await?;
        Ok(holders
            .into_iter()
            .filter(|user| user.email.as_ref().is_some_and(|e| e.key() == email.key()))
            // A user linked to another identity at this provider is that identity's alone.
            .filter(|user| {
                !user
                    .external_identities
                    .iter()
                    .any(|(p, _)| *p == sign_in.provider)
            })
            .collect())
    }

    /// The second factor, then the session, of `user` logging in with the provider.
    async fn open_external_session(
        &self,
        user: &User,
        account: &Account,
        sign_in: &ExternalSignIn,
        facts: &RequestFacts,
    ) -> Result<LoginOutcome, ExternalError> {
        let (Some(user_id), Some(account_id)) = (user.id, account.id) else {
            return Err(AppError::internal("an external login without its user").into());
        };
        let facts = as_user(facts, user_id);
        let services = self.exec.services();
        let now = services.clock.now();
        let presented = self
            .presented_device(user, sign_in.device_token.as_deref())
            .await?;
        let trusted = presented.is_some_and(|(_, trusted)| trusted);
        if let Err(refused) = user.may_log_in(now, trusted) {
            return Err(state_refusal(refused));
        }
        let policy = &account.policy;
        let provider = sign_in.provider;
        // An identity found by its email, not linked yet, is linked only after chronid's own
        // proof: the provider vouches for its account's address, not for the person who holds
        // this user (a lapsed domain, a reassigned address). So the first login asks a code
        // even where the account asks none (the authenticator when the user has one).
        let linked = user
            .external_identities
            .contains(&(provider, sign_in.subject.clone()));
        let factor = second_factor(user, policy.two_factor, trusted).or_else(|| {
            (!linked).then(|| match user.totp_enabled() {
                true => TwoFactorChannel::Totp,
                false => TwoFactorChannel::Email,
            })
        });
        let (device_id, device_token) = self
            .login_device(
                user,
                factor,
                (presented, sign_in.device_token.as_deref()),
                &facts,
            )
            .await?;
        if let Some(channel) = factor {
            let external = (provider_name(provider).to_string(), sign_in.subject.clone());
            let issued = self
                .issue_challenge(
                    user,
                    channel,
                    (device_id, device_token, trusted),
                    (sign_in.language.as_ref(), Some(&external)),
                    &facts,
                )
                .await?;
            return Ok(LoginOutcome::TwoFactorRequired(Box::new(issued)));
        }
        let session_id = services.ids.new_id();
        let minted = SessionToken::mint(user_id, session_id);
        let expires_at = now + self.sessions.policy.lifetime;
        let command = UserCommand::RecordLogin(Box::new(RecordLogin {
            method: login_method(provider),
            session_id,
            session_token_hash: StoredSecret(minted.secret_hash),
            session_expires_at: expires_at,
            device_id: Some(device_id),
            language: sign_in.language.clone(),
            verified_hash: None,
            device_trusted: trusted,
            two_factor: policy.two_factor,
        }));
        let turn = self.sessions.serialize(user_id).await;
        let executed = self.on_user_id(user_id, command, &facts).await;
        drop(turn);
        let committed = match executed {
            Ok((committed, _)) => committed,
            Err(CommandError::Domain(refused @ (UserError::Locked | UserError::Disabled))) => {
                return Err(state_refusal(refused))
            }
            Err(CommandError::Domain(UserError::SecondFactorDue)) => {
                return Err(AppError::conflict_retry(
                    "the user changed while logging in; try again",
                )
                .into())
            }
            Err(other) => return Err(other.into()),
        };
        self.link_external(user, provider, &sign_in.subject, &facts)
            .await;
        self.record_activity(session_id, user_id, now).await?;
        Ok(LoginOutcome::Session(Box::new(NewSession {
            token: minted.token,
            session_id,
            user_id,
            account_id,
            expires_at,
            device_token: Some(device_token),
            position: committed.position(),
        })))
    }

    /// Links the provider's subject to `user` unless it is linked already.
    pub(crate) async fn link_external(
        &self,
        user: &User,
        provider: IdentityProvider,
        subject: &str,
        facts: &RequestFacts,
    ) {
        let (Some(user_id), Some(account_id)) = (user.id, user.account_id) else {
            return;
        };
        if user
            .external_identities
            .contains(&(provider, subject.to_string()))
        {
            return;
        }
        let key = provider_identity_key(account_id, provider_name(provider), subject);
        self.link_identity((user_id, account_id), provider, &key, subject, facts)
            .await;
    }

    /// The caller's linked identities.
    pub async fn my_identities(&self, who: &Principal) -> Result<Vec<LinkedIdentity>, AppError> {
        let (user_id, _) = App::session_caller(who)?;
        let (user, _) = self.exec.load::<User>(&user_id.to_string()).await?;
        Ok(user
            .external_identities
            .into_iter()
            .map(|(provider, subject)| LinkedIdentity { provider, subject })
            .collect())
    }

    /// Unlinks one of the caller's Google or GitHub identities: the provider's subject no longer
    /// finds the caller (the verified email still may, and links it again at the next login).
    /// SAML identities follow the identity provider and are not unlinked here.
    pub async fn unlink_my_identity(
        &self,
        who: &Principal,
        provider: IdentityProvider,
        subject: &str,
        facts: &RequestFacts,
    ) -> Result<Option<i64>, AppError> {
        let (user_id, _) = App::session_caller(who)?;
        if provider == IdentityProvider::Saml {
            return Err(AppError::from_domain(&UserError::IdentityNotLinked));
        }
        let command = UserCommand::UnlinkExternalIdentity {
            provider,
            subject: subject.to_string(),
        };
        let (committed, _) = self.on_user_id(user_id, command, facts).await?;
        let key = provider_identity_key(who.account_id, provider_name(provider), subject);
        let release = ReservationCommand::Release { owner: user_id };
        if let Err(error) = self.exec.execute::<Reservation>(&key, release, facts).await {
            // The link is gone from the user; a reservation left behind finds no linked user.
            let error = AppError::from(error);
            tracing::info!(%user_id, code = error.code, "an identity's reservation was not released");
        }
        Ok(committed.position())
    }
}

/// A user the state refuses (locked, disabled), as a refusal of the external login.
fn state_refusal(refused: UserError) -> ExternalError {
    match refused {
        UserError::Locked => ExternalError::Refused(ExternalLoginFailure::UserLocked),
        UserError::Disabled => ExternalError::Refused(ExternalLoginFailure::UserDisabled),
        other => ExternalError::Failed(AppError::from_domain(&other)),
    }
}
