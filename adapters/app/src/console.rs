//! What the console's user pages read: the users of an account, searched and filtered from the
//! user view (as `GET /v1/accounts/{a}/users`), and one user's view once it holds a command's
//! write (read-your-writes: the page waits for the position the command answered).

use std::time::Duration;

use chronid_views::query::{self, UserFilter};
use chronid_views::Projection;
use uuid::Uuid;

pub use chronid_projections::user_view::{TotpState, UserView};

use crate::{App, AppError, Principal};

/// How long a page waits for the user view to hold a command's write.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// A search of an account's users.
#[derive(Debug, Clone, Default)]
pub struct UserSearch {
    /// Part of the email, username, names or phone.
    pub text: Option<String>,
    /// invited, active, disabled or locked.
    pub status: Option<String>,
    /// AccountAdmin or AccountManager.
    pub role: Option<String>,
    pub team: Option<Uuid>,
    /// Users after this one (creation order).
    pub after: Option<Uuid>,
    pub limit: i64,
}

impl App {
    /// Waits (a bounded time) until the user and team views hold `position`, a command's
    /// answer, so a page after it shows the change.
    pub(crate) async fn wait_for_users_view(&self, position: Option<i64>) -> Result<(), AppError> {
        if let Some(position) = position {
            query::wait_for(
                self.exec.pool(),
                None,
                Projection::Users,
                position,
                MAX_WAIT,
            )
            .await
            .map_err(AppError::internal)?;
        }
        Ok(())
    }

    /// The users `search` finds, in creation order. AccountAdmin or AccountManager.
    pub async fn console_users(
        &self,
        who: &Principal,
        account_id: Uuid,
        search: UserSearch,
    ) -> Result<Vec<UserView>, AppError> {
        who.require_user_admin(account_id)?;
        let filter = UserFilter {
            status: search.status,
            team: search.team,
            role: search.role,
            text: search.text,
            after: search.after,
            limit: search.limit,
        };
        query::users(self.exec.pool(), account_id, &filter)
            .await
            .map_err(AppError::internal)
    }

    /// One user of the account as the user view shows it, once the view holds `position` (a
    /// command's answer) when given. AccountAdmin or AccountManager.
    pub async fn console_user(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        position: Option<i64>,
    ) -> Result<Option<UserView>, AppError> {
        who.require_user_admin(account_id)?;
        self.wait_for_users_view(position).await?;
        let user = query::user(self.exec.pool(), account_id, user_id)
            .await
            .map_err(AppError::internal)?;
        Ok(user)
    }
}

/// A user's history as the console shows it: every event up to `as_of` (or all), oldest first,
/// and the user as they were then.
#[derive(Debug, Clone)]
pub struct UserHistory {
    pub events: Vec<chronid_domain::public::PublicEnvelope>,
    /// With `as_of`: the user folded from the events up to then (None: not created yet).
    pub as_of: Option<Option<UserView>>,
}

impl App {
    /// The user's events (at most `limit`, the newest, up to `as_of` when given) and, with
    /// `as_of`, the user as they were then, read from the store. AccountManager only: the
    /// history shows addresses, as the audit log does. `None` when the account has no such user.
    pub async fn user_history(
        &self,
        who: &Principal,
        account_id: Uuid,
        user_id: Uuid,
        as_of: Option<chrono::DateTime<chrono::Utc>>,
        limit: usize,
    ) -> Result<Option<UserHistory>, AppError> {
        who.require_account_manager(account_id)?;
        let pool = self.exec.pool();
        let all = query::user_history(pool, account_id, user_id, query::HistoryPage::all(as_of))
            .await
            .map_err(AppError::internal)?;
        if all.is_empty() {
            let any = query::user_history(
                pool,
                account_id,
                user_id,
                query::HistoryPage {
                    after_sequence: 0,
                    limit: 1,
                    until: None,
                },
            )
            .await
            .map_err(AppError::internal)?;
            if any.is_empty() {
                return Ok(None);
            }
        }
        let then = match as_of {
            Some(_) => {
                Some(chronid_projections::user_view::fold(&all).map_err(AppError::internal)?)
            }
            None => None,
        };
        let skip = all.len().saturating_sub(limit);
        Ok(Some(UserHistory {
            events: all.into_iter().skip(skip).collect(),
            as_of: then,
        }))
    }
}
