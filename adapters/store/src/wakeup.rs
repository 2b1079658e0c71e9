//! Wakes the relays after commits. PostgreSQL serialises the commits of every transaction that
//! issued NOTIFY (a global lock at commit), so a NOTIFY inside the event transaction caps the
//! whole store's commit rate (measured: 661 vs 3,616 inserts/s at 32 clients). Instead, after a
//! commit the executor pokes this task, which sends `NOTIFY chronid_events` in a transaction of its
//! own, at most one in flight and one per 2 ms: commits in between coalesce into the next one. Relays also poll on
//! a timer, so a lost wake-up delays, never loses, an event.

use sqlx::PgPool;
use tokio::sync::mpsc;

/// The shortest time between two NOTIFYs: bounds their cost under load, adds at most this much
/// to the relay's lag.
const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_millis(2);

/// The channel relays LISTEN on.
pub const EVENTS_CHANNEL: &str = "chronid_events";

#[derive(Clone)]
pub struct CommitNotifier {
    wake: mpsc::Sender<()>,
}

impl CommitNotifier {
    /// Starts the notifying task on the current Tokio runtime (without one, only the relays'
    /// timer wakes them). The task ends when the last clone of the notifier is dropped.
    pub fn spawn(pool: PgPool) -> Self {
        // Capacity 1: a poke while one is pending is merged into it.
        let (wake, mut woken) = mpsc::channel::<()>(1);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // A connection of its own, detached from the pool, so a NOTIFY never makes a
                // command wait for a pool connection. Re-opened after a failure.
                let mut conn: Option<sqlx::PgConnection> = None;
                while woken.recv().await.is_some() {
                    if conn.is_none() {
                        conn = pool.acquire().await.ok().map(|c| c.detach());
                    }
                    if let Some(c) = conn.as_mut() {
                        if let Err(err) = sqlx::query("SELECT pg_notify($1, '')")
                            .bind(EVENTS_CHANNEL)
                            .execute(&mut *c)
                            .await
                        {
                            tracing::debug!(%err, "could not notify relays; they will poll");
                            conn = None;
                        }
                    }
                    // At most one NOTIFY per interval; pokes meanwhile merge into the next.
                    tokio::time::sleep(MIN_INTERVAL).await;
                }
            });
        }
        Self { wake }
    }

    /// Signals that events were committed.
    pub fn committed(&self) {
        let _ = self.wake.try_send(());
    }
}
