//! Leadership among the nodes sharing one database: a session-level advisory lock held on a
//! connection detached from the pool. Whoever holds the lock does the work (relays the store,
//! applies a projection, sweeps inactive users, migrates); the others wait as standbys. When the
//! holding connection dies, PostgreSQL releases the lock, so a standby takes over: a holder checks
//! [`Leader::alive`] before each unit of work and stops when it is gone.

use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};

/// Which lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockKey {
    /// `hashtextextended(name, 0)`: one lock per name (`chronid.relay:<stream>`, ...).
    Named(String),
    /// A fixed 64-bit key.
    Fixed(i64),
}

impl LockKey {
    /// The lock of the relay for one stream.
    pub fn relay(stream: &str) -> Self {
        Self::Named(format!("chronid.relay:{stream}"))
    }

    /// The lock of one projection's worker.
    pub fn projection(name: &str) -> Self {
        Self::Named(format!("chronid.projection:{name}"))
    }

    /// The lock of the periodic sweep (inactivity, old login state).
    pub const SWEEP: LockKey = LockKey::Fixed(0x6368_726f_6e69_6402);
    /// The lock that serialises migrations.
    pub const MIGRATION: LockKey = LockKey::Fixed(0x6368_726f_6e69_6401);
}

/// A held lock and the connection that holds it.
pub struct Leader {
    conn: PgConnection,
    key: LockKey,
}

/// A node that wants a lock: keeps its connection between tries, so a standby polling every
/// second does not open a connection each time.
pub struct Candidate {
    key: LockKey,
    conn: Option<PgConnection>,
}

impl Candidate {
    pub fn new(key: LockKey) -> Self {
        Self { key, conn: None }
    }

    /// Tries the lock once, without waiting: `Some` when this node now holds it. On an error the
    /// kept connection is dropped and the next try opens a new one.
    pub async fn try_lead(&mut self, pool: &PgPool) -> Result<Option<Leader>, sqlx::Error> {
        let mut conn = match self.conn.take() {
            Some(c) => c,
            None => pool.acquire().await?.detach(),
        };
        let got: bool = match &self.key {
            LockKey::Named(name) => {
                sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                    .bind(name)
                    .fetch_one(&mut conn)
                    .await?
            }
            LockKey::Fixed(key) => {
                sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut conn)
                    .await?
            }
        };
        if got {
            Ok(Some(Leader {
                conn,
                key: self.key.clone(),
            }))
        } else {
            self.conn = Some(conn);
            Ok(None)
        }
    }
}

impl Leader {
    /// Waits until the lock is free, then holds it.
    pub async fn wait_for(pool: &PgPool, key: LockKey) -> Result<Leader, sqlx::Error> {
        let mut conn = pool.acquire().await?.detach();
        match &key {
            LockKey::Named(name) => {
                sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
                    .bind(name)
                    .execute(&mut conn)
                    .await?
            }
            LockKey::Fixed(k) => {
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(k)
                    .execute(&mut conn)
                    .await?
            }
        };
        Ok(Leader { conn, key })
    }

    /// Whether the lock is still held: its connection answers within `timeout`.
    pub async fn alive(&mut self, timeout: Duration) -> bool {
        matches!(
            tokio::time::timeout(timeout, self.conn.ping()).await,
            Ok(Ok(()))
        )
    }

    /// The connection holding the lock, for work that must stop with the lock (a projection
    /// writes its rows on it).
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Releases the lock and closes its connection (closing alone would release it too).
    pub async fn release(mut self) {
        let unlocked = match &self.key {
            LockKey::Named(name) => {
                sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
                    .bind(name)
                    .execute(&mut self.conn)
                    .await
            }
            LockKey::Fixed(key) => {
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut self.conn)
                    .await
            }
        };
        if let Err(error) = unlocked {
            tracing::debug!(%error, "advisory unlock failed; closing the connection releases it");
        }
        if let Err(error) = self.conn.close().await {
            tracing::debug!(%error, "closing the lock connection failed");
        }
    }
}
