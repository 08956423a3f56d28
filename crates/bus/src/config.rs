//! How the bus retries and paces delivery.

use std::time::Duration;

/// A route's retry policy, after EventBridge's (`MaximumRetryAttempts`, `MaximumEventAgeInSeconds`)
/// with the backoff made explicit. A failed event is retried until either limit is reached, then
/// written to the dead-letter table with its last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (EventBridge allows 0–185; 185 is its default).
    pub max_retries: u32,
    /// How long an event may keep being retried, counted from its first delivery attempt (not
    /// from when it was put: the local bus may have been stopped meanwhile, and an event that
    /// waited in the log still deserves the whole policy). EventBridge's default is 24 hours.
    pub max_event_age: Duration,
    /// The delay before the first retry; each further retry doubles it.
    pub base_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
    /// The longest one deferral ([`DeliveryError::Deferred`](crate::DeliveryError)) waits: X's
    /// rate-limit windows are 15 minutes.
    pub max_defer: Duration,
}

impl Default for RetryPolicy {
    /// Fewer retries than EventBridge's 185 over 24 hours: locally a broken handler should reach
    /// the dead-letter table within minutes, where `starling dlq list` shows it.
    fn default() -> Self {
        Self {
            max_retries: 8,
            max_event_age: Duration::from_secs(60 * 60),
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(60),
            max_defer: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based): `base · 2^(attempt-1)`, capped.
    /// No jitter: each route has a single consumer, so there is no herd to spread out.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay
            .checked_mul(factor)
            .map_or(self.max_delay, |d| d.min(self.max_delay))
    }

    /// How long to wait for a deferral until `until`, seen at `now`: at least the base delay (so
    /// a reset already past does not spin), at most `max_defer`.
    pub fn defer_until(
        &self,
        until: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Duration {
        (until - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .clamp(self.base_delay, self.max_defer.max(self.base_delay))
    }
}

/// The bus's tunables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusConfig {
    /// Retries and dead-lettering, for every route.
    pub retry: RetryPolicy,
    /// An attempt that takes longer than this fails (and is retried).
    pub delivery_timeout: Duration,
    /// How often an idle dispatcher looks for events put by another process (events put through
    /// this bus wake it at once).
    pub poll_interval: Duration,
    /// Events read from the log per query.
    pub batch_size: usize,
    /// On shutdown, how long an attempt in flight may take to finish before it is abandoned
    /// (an abandoned event is delivered again on the next start).
    pub shutdown_grace: Duration,
    /// How many times in a row the process may stop while delivering the same event (a crash,
    /// out of memory) before that event is dead-lettered without another try. Counted in the
    /// database, so it survives the crashes it counts.
    pub crash_limit: u32,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            delivery_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_millis(500),
            batch_size: 256,
            shutdown_grace: Duration::from_secs(10),
            crash_limit: 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_base_and_stop_at_the_cap() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let delays: Vec<_> = (1..=6).map(|a| policy.delay_after(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.delay_after(u32::MAX), Duration::from_secs(1));
    }
}
