//! Waiting: the LISTEN task that wakes the relay after commits, shutdown checks, timed waits
//! and the bounded exponential back-off.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{watch, Notify};

use super::*;

/// Forwards NOTIFYs on the events channel to `wake`, reconnecting after failures. A wake-up is
/// also sent after every (re)connect, since notifications may have been missed meanwhile.
pub(super) async fn listen(pool: PgPool, wake: Arc<Notify>, max_backoff: Duration) {
    let mut backoff = Backoff::new(max_backoff);
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(NOTIFY_CHANNEL).await {
                Ok(()) => {
                    backoff.reset();
                    wake.notify_one();
                    loop {
                        match listener.recv().await {
                            Ok(_) => wake.notify_one(),
                            Err(error) => {
                                tracing::warn!(target: LOG_TARGET, %error, "relay listener failed");
                                break;
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(target: LOG_TARGET, %error, "relay cannot LISTEN"),
            },
            Err(error) => {
                tracing::warn!(target: LOG_TARGET, %error, "relay listener cannot connect")
            }
        }
        tokio::time::sleep(backoff.next()).await;
    }
}

/// Aborts a background task when dropped.
pub(super) struct AbortOnDrop<T>(pub(super) tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(super) fn is_shutdown(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

/// Resolves when shutdown is requested (value true or sender dropped).
pub(super) async fn shutdown_signal(shutdown: &mut watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// Waits for `duration`, a wake-up, or shutdown; returns true on shutdown.
pub(super) async fn wait(
    shutdown: &mut watch::Receiver<bool>,
    duration: Duration,
    wake: Option<&Notify>,
) -> bool {
    let woken = async {
        match wake {
            Some(n) => n.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = shutdown_signal(shutdown) => true,
        _ = tokio::time::sleep(duration) => false,
        _ = woken => false,
    }
}

/// Bounded exponential back-off: 100 ms, 200 ms, ... up to `max`.
pub(super) struct Backoff {
    current: Duration,
    max: Duration,
}

impl Backoff {
    const START: Duration = Duration::from_millis(100);

    pub(super) fn new(max: Duration) -> Self {
        Self {
            current: Self::START.min(max),
            max,
        }
    }

    pub(super) fn reset(&mut self) {
        self.current = Self::START.min(self.max);
    }

    pub(super) fn next(&mut self) -> Duration {
        let d = self.current;
        self.current = self.current.saturating_mul(2).min(self.max);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn backoff_doubles_up_to_its_bound() {
        let mut backoff = Backoff::new(Duration::from_millis(500));
        let seq: Vec<_> = (0..5).map(|_| backoff.next().as_millis()).collect();
        assert_eq!(seq, vec![100, 200, 400, 500, 500]);
    }
}
