//! Supervision of the background tasks a process runs (append writers, relay, projection workers,
//! notifier, sweeper): a task that fails or panics is started again after a pause that grows
//! with each failure in a row (50 ms to 5 s), each restart is counted, and while a task is down
//! its [`TaskHealth`] says so, for `/ready` and `/metrics`.

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The state of one kind of task: how many copies should run, how many do, how often they were
/// restarted.
#[derive(Debug)]
pub struct TaskHealth {
    name: String,
    expected: usize,
    running: AtomicUsize,
    restarts: AtomicU64,
}

impl TaskHealth {
    /// A task kind named `name` (as `/ready` and `/metrics` show it) meant to run `expected`
    /// copies.
    pub fn new(name: impl Into<String>, expected: usize) -> Self {
        Self {
            name: name.into(),
            expected,
            running: AtomicUsize::new(0),
            restarts: AtomicU64::new(0),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Copies running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Times a copy failed or panicked and was started again.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// Every copy meant to run is running.
    pub fn is_up(&self) -> bool {
        self.running() >= self.expected
    }
}

/// Runs the task `make` gives, and again (after a growing pause) whenever it returns an error or
/// panics; stops when it returns `Ok` (its work is over, e.g. the process is stopping) or the
/// runtime shuts down. A run that lasted a minute resets the pause.
pub async fn supervised<F, Fut, E>(health: std::sync::Arc<TaskHealth>, make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    const FIRST: Duration = Duration::from_millis(50);
    let mut delay = FIRST;
    loop {
        health.running.fetch_add(1, Ordering::Relaxed);
        let started = std::time::Instant::now();
        let outcome = tokio::spawn(make()).await;
        health.running.fetch_sub(1, Ordering::Relaxed);
        let error = match outcome {
            Ok(Ok(())) => return,
            Err(error) if error.is_cancelled() => return,
            Ok(Err(error)) => error.to_string(),
            Err(error) => error.to_string(),
        };
        health.restarts.fetch_add(1, Ordering::Relaxed);
        if started.elapsed() >= Duration::from_secs(60) {
            delay = FIRST;
        }
        tracing::error!(task = %health.name, %error, retry_in_ms = delay.as_millis() as u64,
            "a background task ended abnormally; starting it again");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// A task that logs its own failures and ends only when asked to, in the shape [`supervised`]
/// takes (a panic is still restarted).
pub async fn never_fails(task: impl Future<Output = ()>) -> Result<(), std::convert::Infallible> {
    task.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_or_fails_is_started_again_and_counted() {
        let health = Arc::new(TaskHealth::new("test", 1));
        let starts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&starts);
        supervised(Arc::clone(&health), move || {
            let n = counted.fetch_add(1, Ordering::Relaxed);
            async move {
                match n {
                    0 => panic!("run {n} fails on purpose"),
                    1 => Err(format!("run {n} returns an error")),
                    _ => Ok(()),
                }
            }
        })
        .await;
        assert_eq!(starts.load(Ordering::Relaxed), 3);
        assert_eq!(health.restarts(), 2);
        assert_eq!(health.running(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn while_a_task_waits_to_be_restarted_it_is_down() {
        let health = Arc::new(TaskHealth::new("relay", 1));
        let starts = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&starts);
        let (release, hold) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(supervised(Arc::clone(&health), move || {
            let n = counted.fetch_add(1, Ordering::Relaxed);
            let mut hold = hold.clone();
            async move {
                if n == 0 {
                    return Err("the first run fails");
                }
                let _ = hold.wait_for(|go| *go).await;
                Ok(())
            }
        }));
        // The first run fails at once; the restart waits 50 ms, down meanwhile.
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!health.is_up(), "down while waiting to restart");
        assert_eq!(health.restarts(), 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(health.is_up(), "up once restarted");
        release.send(true).unwrap();
        task.await.unwrap();
        assert_eq!(starts.load(Ordering::Relaxed), 2);
        assert!(!health.is_up(), "a task that finished is no longer running");
    }
}
