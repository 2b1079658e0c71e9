//! What the console's team pages read: the account's teams with their members, from the team
//! and user views (as `GET /v1/accounts/{a}/teams`), once the view holds a command's write.

use std::time::Duration;

use chronid_views::query;
use chronid_views::Projection;
use uuid::Uuid;

pub use chronid_views::query::TeamWithMembers;

use crate::{App, AppError, Principal};

const MAX_WAIT: Duration = Duration::from_secs(5);

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
        query::teams(self.exec.pool(), account_id, team_id)
            .await
            .map_err(AppError::internal)
    }
}
