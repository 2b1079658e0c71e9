//! Team use cases. Teams live on the Account; memberships on the User. A membership change reads
//! the team from the Account (exists? managed by SSO group sync?) and carries that to the User,
//! which refuses manual changes to SSO-managed teams.

use chronid_domain::account::{Account, AccountCommand, AccountError};
use chronid_domain::metadata::RequestFacts;
use chronid_domain::user::UserCommand;
use chronid_domain::values::Name;
use uuid::Uuid;

use super::api_keys::Principal;
use super::{outcome, App, AppError, Outcome};

impl App {
    #[tracing::instrument(name = "create_team", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn create_team(
        &self,
        who: &Principal,
        account_id: Uuid,
        name: Name,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let team_id = self.exec.services().ids.new_id();
        let committed = self
            .exec
            .execute::<Account>(
                &account_id.to_string(),
                AccountCommand::CreateTeam {
                    team_id,
                    name,
                    sso_managed: false,
                },
                facts,
            )
            .await?;
        Ok(outcome(team_id, &committed))
    }

    #[tracing::instrument(name = "rename_team", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn rename_team(
        &self,
        who: &Principal,
        account_id: Uuid,
        team_id: Uuid,
        name: Name,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let command = AccountCommand::RenameTeam { team_id, name };
        self.on_team(who, account_id, team_id, command, facts).await
    }

    #[tracing::instrument(name = "delete_team", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn delete_team(
        &self,
        who: &Principal,
        account_id: Uuid,
        team_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        let command = AccountCommand::DeleteTeam { team_id };
        self.on_team(who, account_id, team_id, command, facts).await
    }

    async fn on_team(
        &self,
        who: &Principal,
        account_id: Uuid,
        team_id: Uuid,
        command: AccountCommand,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let committed = self
            .exec
            .execute::<Account>(&account_id.to_string(), command, facts)
            .await?;
        Ok(outcome(team_id, &committed))
    }

    async fn change_membership(
        &self,
        who: &Principal,
        account_id: Uuid,
        team_id: Uuid,
        user_id: Uuid,
        add: bool,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        who.require_user_admin(account_id)?;
        let account = self.account(account_id).await?;
        let team = account
            .teams
            .get(&team_id)
            .ok_or_else(|| AppError::not_found(&AccountError::TeamNotFound, "team"))?;
        if add {
            // A `PUT`: adding a member already in the team is idempotent.
            let command = UserCommand::AddToTeam {
                team_id,
                team_sso_managed: team.sso_managed,
                via_sso: false,
            };
            return self
                .on_user_idempotent(who, account_id, user_id, command, facts)
                .await;
        }
        let command = UserCommand::RemoveFromTeam {
            team_id,
            team_sso_managed: team.sso_managed,
            via_sso: false,
        };
        self.on_user(who, account_id, user_id, command, facts).await
    }

    #[tracing::instrument(name = "add_team_member", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn add_team_member(
        &self,
        who: &Principal,
        account_id: Uuid,
        team_id: Uuid,
        user_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        self.change_membership(who, account_id, team_id, user_id, true, facts)
            .await
    }

    #[tracing::instrument(name = "remove_team_member", skip_all, fields(account = %account_id, actor = ?who.actor, request_id = facts.correlation_id.as_deref()))]
    pub async fn remove_team_member(
        &self,
        who: &Principal,
        account_id: Uuid,
        team_id: Uuid,
        user_id: Uuid,
        facts: &RequestFacts,
    ) -> Result<Outcome, AppError> {
        self.change_membership(who, account_id, team_id, user_id, false, facts)
            .await
    }
}
