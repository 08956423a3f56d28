//! The clock port: Wait states and Retry backoff sleep through it, so tests
//! can run them instantly and check the delays that were asked for.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Tells the time and sleeps.
#[async_trait]
pub trait Sleeper: Send + Sync {
    /// The current time (for `$$.State.EnteredTime`, Wait timestamps...).
    fn now(&self) -> DateTime<Utc>;
    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// The production sleeper: the system clock and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep(&self, duration: Duration) {
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::time::sleep(duration).await;
        } else {
            std::thread::sleep(duration);
        }
    }
}

/// A test sleeper: sleeping returns at once, advances a virtual clock and
/// records the requested delay.
#[derive(Debug)]
pub struct VirtualSleeper {
    start: DateTime<Utc>,
    state: Mutex<VirtualState>,
}

#[derive(Debug, Default)]
struct VirtualState {
    elapsed: Duration,
    delays: Vec<Duration>,
}

impl Default for VirtualSleeper {
    fn default() -> Self {
        Self::new()
    }
}

impl VirtualSleeper {
    /// A virtual clock starting now.
    pub fn new() -> Self {
        Self::starting_at(Utc::now())
    }

    /// A virtual clock starting at `start`.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            start,
            state: Mutex::new(VirtualState::default()),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut VirtualState) -> T) -> T {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Every delay requested so far, in order.
    pub fn delays(&self) -> Vec<Duration> {
        self.with_state(|s| s.delays.clone())
    }

    /// The sum of the delays requested so far.
    pub fn elapsed(&self) -> Duration {
        self.with_state(|s| s.elapsed)
    }
}

#[async_trait]
impl Sleeper for VirtualSleeper {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.elapsed();
        chrono::Duration::from_std(elapsed)
            .ok()
            .and_then(|elapsed| self.start.checked_add_signed(elapsed))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    async fn sleep(&self, duration: Duration) {
        self.with_state(|s| {
            s.elapsed = s.elapsed.saturating_add(duration);
            s.delays.push(duration);
        });
    }
}
