//! The inactivity sweeper: disables users who have not logged in for longer than their account's
//! `max_inactivity_days`. It runs inside `serve` on every API node; a session advisory lock lets
//! one node sweep at a time, and the User re-decides each disable on its own state (a login that
//! lands meanwhile wins), so the view that nominates candidates may lag without harm.

use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::{UserCommand, UserError};
use sqlx::Connection;
use uuid::Uuid;

use super::{App, AppError};
use crate::store::CommandError;

/// Arbitrary constant: the advisory lock one sweeping node holds.
const SWEEP_LOCK: i64 = 0x6368_726f_6e69_6402;

/// Candidates examined per account and sweep; the next sweep takes the rest.
const BATCH: i64 = 1000;

impl App {
    /// One sweep over every account with an inactivity limit; returns how many users it disabled
    /// (0 when another node is sweeping).
    pub async fn sweep_inactive(&self) -> Result<usize, AppError> {
        let mut lock = self
            .exec
            .pool()
            .acquire()
            .await
            .map_err(AppError::internal)?;
        let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(SWEEP_LOCK)
            .fetch_one(&mut *lock)
            .await
            .map_err(AppError::internal)?;
        if !mine {
            return Ok(0);
        }
        let swept = self.sweep_accounts().await;
        if let Err(error) = self.prune_login_state().await {
            tracing::warn!(error = %error.message, "pruning old challenges and session activity failed");
        }
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(SWEEP_LOCK)
            .execute(&mut *lock)
            .await;
        if unlocked.is_err() {
            // The session lock must not outlive this sweep on a pooled connection.
            let _ = lock.detach().close().await;
        }
        swept
    }

    /// Drops routing rows of challenges older than a day (their codes lived ten minutes) and
    /// activity rows of sessions past any lifetime a session can have.
    async fn prune_login_state(&self) -> Result<(), AppError> {
        let now = self.exec.services().clock.now();
        sqlx::query("DELETE FROM login_challenges WHERE created_at < $1")
            .bind(now - chrono::Duration::days(1))
            .execute(self.exec.pool())
            .await
            .map_err(AppError::internal)?;
        sqlx::query("DELETE FROM session_activity WHERE last_seen_at < $1")
            .bind(now - self.sessions.policy.idle.max(chrono::Duration::hours(1)))
            .execute(self.exec.pool())
            .await
            .map_err(AppError::internal)?;
        Ok(())
    }

    async fn sweep_accounts(&self) -> Result<usize, AppError> {
        let accounts: Vec<Uuid> = sqlx::query_scalar("SELECT account_id FROM view_accounts")
            .fetch_all(self.exec.pool())
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
            let candidates: Vec<Uuid> = sqlx::query_scalar(
                "SELECT user_id FROM view_users
                  WHERE account_id = $1 AND status IN ('active', 'locked')
                    AND GREATEST((doc->>'last_login_at')::timestamptz,
                                 (doc->'password'->>'changed_at')::timestamptz) < $2
                  LIMIT $3",
            )
            .bind(account_id)
            .bind(cutoff)
            .bind(BATCH)
            .fetch_all(self.exec.pool())
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
