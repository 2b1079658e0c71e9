//! Schema migrations for the store, the relay and the views, applied in order, each once, under an
//! advisory lock so several nodes starting together do not race. Idempotent: `serve` runs it at
//! every start.

use crate::leader::{Leader, LockKey};
use sqlx::{Executor, PgPool};

/// Every migration, in order. A migration is never edited after release; add a new one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "event_store",
        include_str!("../migrations/0001_event_store.sql"),
    ),
    (2, "views", include_str!("../migrations/0002_views.sql")),
    (3, "login", include_str!("../migrations/0003_login.sql")),
    (
        4,
        "two_factor",
        include_str!("../migrations/0004_two_factor.sql"),
    ),
    (
        5,
        "audit_texts",
        include_str!("../migrations/0005_audit_texts.sql"),
    ),
    (6, "devices", include_str!("../migrations/0006_devices.sql")),
    (
        7,
        "audit_device_owners",
        include_str!("../migrations/0007_audit_device_owners.sql"),
    ),
    (8, "blobs", include_str!("../migrations/0008_blobs.sql")),
    (
        9,
        "sso_accounts",
        include_str!("../migrations/0009_sso_accounts.sql"),
    ),
    (
        10,
        "saml_requests",
        include_str!("../migrations/0010_saml_requests.sql"),
    ),
    (
        11,
        "saml_assertions",
        include_str!("../migrations/0011_saml_assertions.sql"),
    ),
    (
        12,
        "sso_tickets",
        include_str!("../migrations/0012_sso_tickets.sql"),
    ),
    (
        13,
        "external_logins",
        include_str!("../migrations/0013_external_logins.sql"),
    ),
    (
        14,
        "audit_logins",
        include_str!("../migrations/0014_audit_logins.sql"),
    ),
    (
        15,
        "audit_login_hours",
        include_str!("../migrations/0015_audit_login_hours.sql"),
    ),
];

/// The version of every migration, in order.
pub fn versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(v, _, _)| *v).collect()
}

/// Applies the migrations not yet applied; returns how many it applied.
pub async fn migrate(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let mut lock = Leader::wait_for(pool, LockKey::MIGRATION).await?;
    let result = apply_pending(lock.connection()).await;
    lock.release().await;
    result
}

async fn apply_pending(conn: &mut sqlx::PgConnection) -> Result<usize, sqlx::Error> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS chronid_migrations (
             version bigint PRIMARY KEY,
             name text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM chronid_migrations")
        .fetch_all(&mut *conn)
        .await?;
    let mut applied = 0;
    for (version, name, sql) in MIGRATIONS {
        if done.contains(version) {
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        tx.execute(*sql).await?;
        sqlx::query("INSERT INTO chronid_migrations (version, name) VALUES ($1, $2)")
            .bind(version)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
        applied += 1;
    }
    Ok(applied)
}
