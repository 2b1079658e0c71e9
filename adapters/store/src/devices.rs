//! Which devices a user has, and which SSO configurations an account has, read from the store
//! (never a view, which may lag): the devices registered to the user, through the
//! `events_device_owner` index (migration 0006); the configurations of an account, through
//! `events_sso_account` (0009).

use sqlx::PgPool;
use uuid::Uuid;

/// The devices of `user_id` that were trusted at some point and not revoked, oldest first
/// (whether their trust still holds is the Device's and the User's to say).
pub async fn trusted_devices_of(pool: &PgPool, user_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT r.aggregate_id FROM events r
          WHERE r.aggregate_type = 'device' AND r.event_type = 'DeviceRegistered'
            AND r.payload -> 'DeviceRegistered' ->> 'user_id' = $1
            AND EXISTS (SELECT 1 FROM events t
                         WHERE t.aggregate_type = 'device' AND t.aggregate_id = r.aggregate_id
                           AND t.event_type = 'DeviceTrusted')
            AND NOT EXISTS (SELECT 1 FROM events v
                             WHERE v.aggregate_type = 'device' AND v.aggregate_id = r.aggregate_id
                               AND v.event_type = 'DeviceRevoked')
          ORDER BY r.global_seq",
    )
    .bind(user_id.to_string())
    .fetch_all(pool)
    .await?;
    Ok(ids.iter().filter_map(|id| id.parse().ok()).collect())
}

/// The SSO configurations `account_id` created or was added to, oldest first, through the
/// `events_sso_account` index (migration 0009); whether each still serves the account is the
/// configuration's to say.
pub async fn sso_configs_of(pool: &PgPool, account_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT aggregate_id FROM events
          WHERE aggregate_type = 'sso_config'
            AND event_type IN ('SsoConfigCreated', 'SsoAccountAdded')
            AND COALESCE(payload -> 'SsoConfigCreated' ->> 'account_id',
                         payload -> 'SsoAccountAdded' ->> 'account_id') = $1
          GROUP BY aggregate_id
          ORDER BY min(global_seq)",
    )
    .bind(account_id.to_string())
    .fetch_all(pool)
    .await?;
    Ok(ids.iter().filter_map(|id| id.parse().ok()).collect())
}
