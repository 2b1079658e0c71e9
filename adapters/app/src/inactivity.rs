//! The inactivity sweeper: disables users who have not logged in for longer than their account's
//! `max_inactivity_days`. It runs inside `serve` on every API node; a session advisory lock lets
//! one node sweep at a time, and the User re-decides each disable on its own state (a login that
//! lands meanwhile wins), so the view that nominates candidates may lag without harm.

use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{UserCommand, UserError};
use chronid_store::leader::{Candidate, LockKey};
use chronid_views::query;

use super::{App, AppError};
use chronid_store::CommandError;

/// Candidates examined per account and sweep; the next sweep takes the rest.
const BATCH: i64 = 1000;

impl App {
    /// One sweep over every account with an inactivity limit; returns how many users it disabled
    /// (0 when another node is sweeping).
    #[tracing::instrument(name = "sweep_inactive", skip_all)]
    pub async fn sweep_inactive(&self) -> Result<usize, AppError> {
        let Some(lock) = Candidate::new(LockKey::SWEEP)
            .try_lead(self.exec.pool())
            .await
            .map_err(AppError::internal)?
        else {
            return Ok(0);
        };
        let swept = self.sweep_accounts().await;
        if let Err(error) = self.prune_login_state().await {
            tracing::warn!(error = %error.message, "pruning old challenges and session activity failed");
        }
        lock.release().await;
        swept
    }

    /// Drops routing rows of challenges older than a day (their codes lived ten minutes),
    /// SAML requests older than a day (they waited ten minutes for their Response) and activity
    /// rows of sessions past any lifetime a session can have.
    async fn prune_login_state(&self) -> Result<(), AppError> {
        let now = self.exec.services().clock.now();
        self.challenges
            .prune(now - chrono::Duration::days(1))
            .await
            .map_err(AppError::internal)?;
        self.saml_requests
            .prune(now - chrono::Duration::days(1))
            .await
            .map_err(AppError::internal)?;
        self.activity
            .prune(now - self.sessions.policy.idle.max(chrono::Duration::hours(1)))
            .await
            .map_err(AppError::internal)?;
        Ok(())
    }

    async fn sweep_accounts(&self) -> Result<usize, AppError> {
        let accounts = query::account_ids(self.exec.pool())
            .await
            .map_err(AppError::internal)?;
        let now = self.exec.services().clock.now();
        let mut disabled = 0;
        for account_id in accounts {
            let account = self.account(account_id).await?;
            let Some(days) = account.policy.max_inactivity_days else {
                continue;
            };
            let cutoff = now - chrono::Duration::days(i64::from(days));
            let candidates = query::inactive_users(self.exec.pool(), account_id, cutoff, BATCH)
                .await
                .map_err(AppError::internal)?;
            for user_id in candidates {
                let command = UserCommand::DisableForInactivity {
                    max_inactivity_days: days,
                };
                match self
                    .on_user_id(user_id, command, &RequestFacts::system())
                    .await
                {
                    Ok(_) => disabled += 1,
                    Err(CommandError::Domain(
                        UserError::NotInactive | UserError::AlreadyDisabled,
                    )) => {}
                    Err(other) => return Err(other.into()),
                }
            }
        }
        if disabled > 0 {
            tracing::info!(disabled, "inactivity sweep disabled users");
        }
        Ok(disabled)
    }
}
