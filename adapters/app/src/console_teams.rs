//! What the console's team pages read: the account's teams with their members, from the team
//! and user views (as `GET /v1/accounts/{a}/teams`), once the view holds a command's write.

use chronid_views::query;
use uuid::Uuid;

pub use chronid_views::query::TeamWithMembers;

use crate::{App, AppError, Principal};

impl App {
    /// The account's teams (or only `team_id`), each with its member ids, once the views hold
    /// `position` when given. AccountAdmin or AccountManager.
    pub async fn console_teams(
        &self,
        who: &Principal,
        account_id: Uuid,
        team_id: Option<Uuid>,
        position: Option<i64>,
    ) -> Result<Vec<TeamWithMembers>, AppError> {
        who.require_user_admin(account_id)?;
        self.wait_for_users_view(position).await?;
        query::teams(self.exec.pool(), account_id, team_id)
            .await
            .map_err(AppError::internal)
    }

    /// The account's teams by name (no members), sorted by name. AccountAdmin or
    /// AccountManager.
    pub async fn team_names(
        &self,
        who: &Principal,
        account_id: Uuid,
    ) -> Result<Vec<(Uuid, String)>, AppError> {
        who.require_user_admin(account_id)?;
        query::team_names(self.exec.pool(), account_id)
            .await
            .map_err(AppError::internal)
    }
}
