//! Users, teams and accounts as the views hold them: one user, a filtered page of users, teams
//! with their members, an account's time zone, and the inactivity sweep's candidates.

use chronid_projections::device_view::DeviceView;
use chronid_projections::team_view::TeamView;
use chronid_projections::user_view::UserView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// The error of every query here: the database's.
use super::*;

/// A user's view with their trusted devices, or None.
pub async fn user(
    pool: &PgPool,
    account_id: Uuid,
    user_id: Uuid,
) -> Result<Option<UserView>, sqlx::Error> {
    let doc: Option<Value> =
        sqlx::query_scalar("SELECT doc FROM view_users WHERE user_id = $1 AND account_id = $2")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    let Some(doc) = doc else { return Ok(None) };
    let mut view: UserView = decode(doc)?;
    let devices: Vec<Value> =
        sqlx::query_scalar("SELECT doc FROM view_devices WHERE user_id = $1 ORDER BY device_id")
            .bind(user_id)
            .fetch_all(pool)
            .await?;
    for doc in devices {
        let device: DeviceView = decode(doc)?;
        view.trusted_devices.extend(device.as_trusted());
    }
    Ok(Some(view))
}

/// Filters of the user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub status: Option<String>,
    pub team: Option<Uuid>,
    pub role: Option<String>,
    /// Part of the email, username, names or phone (case-insensitive).
    pub text: Option<String>,
    /// Users after this id (the cursor).
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// A page of users in creation order (ids are UUIDv7). Trusted devices are not joined in.
pub async fn users(
    pool: &PgPool,
    account_id: Uuid,
    f: &UserFilter,
) -> Result<Vec<UserView>, sqlx::Error> {
    let mut q: QueryBuilder<Postgres> =
        QueryBuilder::new("SELECT doc FROM view_users WHERE account_id = ");
    q.push_bind(account_id);
    if let Some(status) = &f.status {
        q.push(" AND status = ").push_bind(status.clone());
    }
    if let Some(team) = f.team {
        q.push(" AND teams @> ARRAY[")
            .push_bind(team)
            .push("]::uuid[]");
    }
    if let Some(role) = &f.role {
        q.push(" AND roles @> ARRAY[")
            .push_bind(role.clone())
            .push("]::text[]");
    }
    if let Some(text) = &f.text {
        q.push(" AND search LIKE ")
            .push_bind(format!("%{}%", like_escape(&text.to_lowercase())));
    }
    if let Some(after) = f.after {
        q.push(" AND user_id > ").push_bind(after);
    }
    q.push(" ORDER BY user_id LIMIT ").push_bind(f.limit);
    let docs: Vec<Value> = q.build_query_scalar().fetch_all(pool).await?;
    docs.into_iter().map(decode).collect()
}

/// A team with its member ids.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    pub team: TeamView,
    pub members: Vec<Uuid>,
}

/// The account's teams (deleted ones left out), each with its members.
pub async fn teams(
    pool: &PgPool,
    account_id: Uuid,
    only: Option<Uuid>,
) -> Result<Vec<TeamWithMembers>, sqlx::Error> {
    let rows: Vec<(Value, Vec<Uuid>)> = sqlx::query_as(
        "SELECT t.doc, COALESCE(ARRAY(SELECT u.user_id FROM view_users u
                                      WHERE u.account_id = t.account_id AND u.teams @> ARRAY[t.team_id]
                                      ORDER BY u.user_id), '{}')
           FROM view_teams t
          WHERE t.account_id = $1 AND NOT t.deleted AND ($2::uuid IS NULL OR t.team_id = $2)
          ORDER BY t.team_id",
    )
    .bind(account_id)
    .bind(only)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(doc, members)| {
            Ok(TeamWithMembers {
                team: decode(doc)?,
                members,
            })
        })
        .collect()
}

/// The account's teams (deleted ones left out) by name, without their members: for a filter
/// or for naming a user's teams.
pub async fn team_names(
    pool: &PgPool,
    account_id: Uuid,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT team_id, doc->>'name' FROM view_teams
          WHERE account_id = $1 AND NOT deleted ORDER BY lower(doc->>'name'), team_id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await
}

/// The account's IANA time zone for audit ranges ("UTC" when unknown).
pub async fn account_time_zone(pool: &PgPool, account_id: Uuid) -> Result<String, sqlx::Error> {
    let tz: Option<String> =
        sqlx::query_scalar("SELECT doc->>'time_zone' FROM view_accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await?
            .flatten();
    Ok(tz.unwrap_or_else(|| "UTC".to_string()))
}

/// Every account in the account view.
pub async fn account_ids(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT account_id FROM view_accounts")
        .fetch_all(pool)
        .await
}

/// Up to `limit` active or locked users of the account whose last login and last password change
/// (whichever is later) are both before `cutoff`: the inactivity sweep's candidates. The sweep
/// checks each on its User before disabling it, so a view that lags only delays the sweep.
pub async fn inactive_users(
    pool: &PgPool,
    account_id: Uuid,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT user_id FROM view_users
          WHERE account_id = $1 AND status IN ('active', 'locked')
            AND GREATEST((doc->>'last_login_at')::timestamptz,
                         (doc->'password'->>'changed_at')::timestamptz) < $2
          LIMIT $3",
    )
    .bind(account_id)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(pool)
    .await
}
