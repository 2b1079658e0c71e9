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
