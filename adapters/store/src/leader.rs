//! Leadership among the nodes sharing one database: a session-level advisory lock held on a
//! connection detached from the pool. Whoever holds the lock does the work (relays the store,
//! applies a projection, sweeps inactive users, migrates); the others wait as standbys. When the
//! holding connection dies, PostgreSQL releases the lock, so a standby takes over: a holder checks
//! [`Leader::alive`] before each unit of work and stops when it is gone.

use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};

/// How long a release waits for its connection to close.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Set on every lock connection: PostgreSQL probes an idle peer after 10 s, every 5 s, and
/// drops it after 3 unanswered probes; data it sent that stays unacknowledged for 25 s drops it
/// too (`tcp_user_timeout`, where the keepalives do not run). A holder whose process dies
/// closes its socket and the lock goes at once; a holder whose machine or network dies sends
/// nothing, and without these the system's defaults (two hours idle, about fifteen minutes
/// retransmitting) would keep its lock, and every standby waiting, that long. Ignored on a
/// Unix-domain socket, where the peer cannot vanish that way.
const KEEPALIVES: &str = "SELECT set_config('tcp_keepalives_idle', '10', false),
            set_config('tcp_keepalives_interval', '5', false),
            set_config('tcp_keepalives_count', '3', false),
            set_config('tcp_user_timeout', '25000', false)";

/// A connection of its own for holding a lock, detached from the pool.
async fn lock_connection(pool: &PgPool) -> Result<PgConnection, sqlx::Error> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query(KEEPALIVES).execute(&mut conn).await?;
    Ok(conn)
}

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

    /// The key as SQL over one text parameter, and that parameter.
    fn sql(&self) -> (&'static str, String) {
        match self {
            Self::Named(name) => ("hashtextextended($1, 0)", name.clone()),
            Self::Fixed(key) => ("$1::text::bigint", key.to_string()),
        }
    }
}

/// A held lock and the connection that holds it.
pub struct Leader {
    conn: PgConnection,
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
            None => lock_connection(pool).await?,
        };
        let (expr, value) = self.key.sql();
        let got: bool = sqlx::query_scalar(&format!("SELECT pg_try_advisory_lock({expr})"))
            .bind(value)
            .fetch_one(&mut conn)
            .await?;
        if got {
            Ok(Some(Leader { conn }))
        } else {
            self.conn = Some(conn);
            Ok(None)
        }
    }
}

impl Leader {
    /// Waits until the lock is free, then holds it.
    pub async fn wait_for(pool: &PgPool, key: LockKey) -> Result<Leader, sqlx::Error> {
        let mut conn = lock_connection(pool).await?;
        // pg_advisory_lock returns void: it answers once it holds the lock.
        let (expr, value) = key.sql();
        sqlx::query(&format!("SELECT pg_advisory_lock({expr})"))
            .bind(value)
            .execute(&mut conn)
            .await?;
        Ok(Leader { conn })
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

    /// Releases the lock by closing its connection: a session lock ends with its session, so
    /// no unlock statement is needed. Bounded, so a database that stopped answering cannot hold
    /// up a shutdown (dropping the connection then closes its socket).
    pub async fn release(self) {
        match tokio::time::timeout(CLOSE_WAIT, self.conn.close()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "closing the lock connection failed"),
            Err(_) => tracing::debug!("closing the lock connection timed out; dropped"),
        }
    }
}
