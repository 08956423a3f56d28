//! Putting many events on the bus: batches within EventBridge's limits, bounded retries of
//! the entries a partial failure refused, and oversized entries slimmed instead of failing the rest.

use std::time::Duration;

use serde_json::{Map, Value};
use starling_contracts::{MAX_PUT_EVENTS_BYTES, MAX_PUT_EVENTS_ENTRIES, OutgoingEvent};

use crate::ports::{EventPublisher, PublishError};

/// How hard to try before giving up (so the caller can ask X to redeliver).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per batch, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled each time.
    pub base_delay: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(800),
        }
    }
}

/// What was published.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishReport {
    /// Entries the bus accepted.
    pub published: usize,
    /// PutEvents requests made (retries included).
    pub requests: usize,
    /// Entries that exceeded 256 KB and were published slimmed (ids and scalars kept).
    pub slimmed: usize,
}

/// Some entries could not be published after every retry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{failed} of {total} events could not be published after retries: {last_error}")]
pub struct PublishFailure {
    /// Entries never accepted.
    pub failed: usize,
    /// Entries in all.
    pub total: usize,
    /// The last error the bus gave.
    pub last_error: String,
    /// Entries accepted before giving up.
    pub published: usize,
    /// For each event given, in order, whether the bus accepted it: a caller can settle what got
    /// through and hand in only the rest again.
    pub accepted: Vec<bool>,
}

/// Publishes every event, in order, in as few requests as the limits allow.
pub async fn publish_all(
    publisher: &dyn EventPublisher,
    events: Vec<OutgoingEvent>,
    policy: RetryPolicy,
) -> Result<PublishReport, PublishFailure> {
    let total = events.len();
    let mut report = PublishReport::default();
    let mut prepared = Vec::with_capacity(total);
    for event in events {
        if event.entry_size() > MAX_PUT_EVENTS_BYTES {
            report.slimmed += 1;
            tracing::warn!(detail_type = %event.detail_type, bytes = event.entry_size(), "event over 256 KB published slimmed");
            prepared.push(slim(event));
        } else {
            prepared.push(event);
        }
    }
    let mut failed = 0;
    let mut last_error = String::new();
    let mut accepted = vec![true; total];
    let mut offset = 0;
    for batch in batches(&prepared) {
        match put_with_retries(publisher, batch, policy, &mut report).await {
            Ok(()) => report.published += batch.len(),
            Err((left, err)) => {
                failed += left.len();
                report.published += batch.len() - left.len();
                for i in left {
                    if let Some(flag) = accepted.get_mut(offset + i) {
                        *flag = false;
                    }
                }
                last_error = err;
            }
        }
        offset += batch.len();
    }
    if failed > 0 {
        return Err(PublishFailure {
            failed,
            total,
            last_error,
            published: report.published,
            accepted,
        });
    }
    Ok(report)
}

/// Splits events into consecutive batches of at most 10 entries and 256 KB.
pub fn batches(events: &[OutgoingEvent]) -> Vec<&[OutgoingEvent]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, e) in events.iter().enumerate() {
        let size = e.entry_size();
        if i > start && (i - start == MAX_PUT_EVENTS_ENTRIES || bytes + size > MAX_PUT_EVENTS_BYTES)
        {
            out.push(&events[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < events.len() {
        out.push(&events[start..]);
    }
    out
}

async fn put_with_retries(
    publisher: &dyn EventPublisher,
    batch: &[OutgoingEvent],
    policy: RetryPolicy,
    report: &mut PublishReport,
) -> Result<(), (Vec<usize>, String)> {
    // Each pending entry with its index in the batch, to report which ones never got through.
    let mut pending: Vec<(usize, OutgoingEvent)> = batch.iter().cloned().enumerate().collect();
    let mut delay = policy.base_delay;
    let mut last_error = String::new();
    for attempt in 1..=policy.max_attempts.max(1) {
        report.requests += 1;
        let entries: Vec<OutgoingEvent> = pending.iter().map(|(_, e)| e.clone()).collect();
        match publisher.put(&entries).await {
            Ok(outcome) if outcome.failed.is_empty() => return Ok(()),
            Ok(outcome) => {
                if let Some(f) = outcome.failed.first() {
                    last_error = format!("{}: {}", f.code, f.message);
                }
                let refused: Vec<usize> = outcome.failed.iter().map(|f| f.index).collect();
                pending = pending
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| refused.contains(i))
                    .map(|(_, e)| e)
                    .collect();
                if pending.is_empty() {
                    return Ok(());
                }
            }
            Err(e @ PublishError::Rejected(_)) => {
                return Err((pending.into_iter().map(|(i, _)| i).collect(), e.to_string()));
            }
            Err(e) => last_error = e.to_string(),
        }
        if attempt < policy.max_attempts {
            tracing::warn!(attempt, pending = pending.len(), error = %last_error, "retrying put");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(policy.max_delay);
        }
    }
    Err((pending.into_iter().map(|(i, _)| i).collect(), last_error))
}

/// Replaces an oversized detail by its scalar top-level fields (ids, types, times) and a marker,
/// so the event still exists downstream and can be traced back to X.
fn slim(mut event: OutgoingEvent) -> OutgoingEvent {
    let original = event.entry_size();
    let mut slim = Map::new();
    if let Value::Object(fields) = &event.detail {
        for (k, v) in fields {
            let small = match v {
                Value::String(s) => s.len() <= 1024,
                Value::Number(_) | Value::Bool(_) | Value::Null => true,
                _ => false,
            };
            if small {
                slim.insert(k.clone(), v.clone());
            }
        }
    }
    slim.insert(
        "StarlingOversized".into(),
        serde_json::json!({ "OriginalBytes": original, "LimitBytes": MAX_PUT_EVENTS_BYTES }),
    );
    event.detail = Value::Object(slim);
    event
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ports::{FailedEntry, PutOutcome};
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::Mutex;

    /// Records every request; refuses entries whose detail has `"refuse": n` for their first n attempts.
    #[derive(Default)]
    struct Recording {
        requests: Mutex<Vec<Vec<OutgoingEvent>>>,
        fail_whole: Mutex<u32>,
    }

    #[async_trait]
    impl EventPublisher for Recording {
        async fn put(&self, events: &[OutgoingEvent]) -> Result<PutOutcome, PublishError> {
            assert!(events.len() <= 10);
            assert!(
                events.iter().map(OutgoingEvent::entry_size).sum::<usize>() <= MAX_PUT_EVENTS_BYTES
            );
            let mut reqs = self.requests.lock().unwrap();
            reqs.push(events.to_vec());
            {
                let mut whole = self.fail_whole.lock().unwrap();
                if *whole > 0 {
                    *whole -= 1;
                    return Err(PublishError::Unavailable("503".into()));
                }
            }
            let mut failed = Vec::new();
            for (index, e) in events.iter().enumerate() {
                let refuse = e.detail["refuse"].as_u64().unwrap_or(0) as usize;
                let seen = reqs
                    .iter()
                    .filter(|r| r.iter().any(|x| x.detail == e.detail))
                    .count();
                if seen <= refuse {
                    failed.push(FailedEntry {
                        index,
                        code: "ThrottlingException".into(),
                        message: "slow down".into(),
                    });
                }
            }
            Ok(PutOutcome { failed })
        }
    }

    fn ev(n: usize, refuse: u32, pad: usize) -> OutgoingEvent {
        OutgoingEvent::new(
            "s",
            "T",
            json!({"n": n, "refuse": refuse, "pad": "x".repeat(pad)}),
        )
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn batches_hold_at_most_ten_entries() {
        let p = Recording::default();
        let report = publish_all(
            &p,
            (0..23).map(|n| ev(n, 0, 0)).collect(),
            RetryPolicy::default(),
        )
        .await
        .unwrap();
        let sizes: Vec<usize> = p.requests.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 3]);
        assert_eq!(report.published, 23);
    }

    #[tokio::test(start_paused = true)]
    async fn batches_hold_at_most_256_kb() {
        let p = Recording::default();
        publish_all(
            &p,
            (0..5).map(|n| ev(n, 0, 100 * 1024)).collect(),
            RetryPolicy::default(),
        )
        .await
        .unwrap();
        let sizes: Vec<usize> = p.requests.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 1]);
    }

    #[tokio::test(start_paused = true)]
    async fn only_refused_entries_are_retried() {
        let p = Recording::default();
        let report = publish_all(
            &p,
            vec![ev(0, 0, 0), ev(1, 2, 0), ev(2, 0, 0)],
            RetryPolicy::default(),
        )
        .await
        .unwrap();
        let reqs = p.requests.lock().unwrap();
        assert_eq!(reqs.iter().map(Vec::len).collect::<Vec<_>>(), [3, 1, 1]);
        assert_eq!(reqs[1][0].detail["n"], 1);
        assert_eq!(report.published, 3);
        assert_eq!(report.requests, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_says_which_events_got_through_across_batches() {
        let p = Recording::default();
        // 12 events: two batches; the 3rd and the 11th are refused every time.
        let events = (0..12)
            .map(|n| ev(n, if n == 2 || n == 10 { 99 } else { 0 }, 0))
            .collect();
        let err = publish_all(&p, events, RetryPolicy::default())
            .await
            .unwrap_err();
        let refused: Vec<usize> = err
            .accepted
            .iter()
            .enumerate()
            .filter(|(_, ok)| !**ok)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(refused, [2, 10]);
        assert_eq!((err.failed, err.published, err.total), (2, 10, 12));
    }

    #[tokio::test(start_paused = true)]
    async fn entries_still_refused_after_every_attempt_fail_the_publish() {
        let p = Recording::default();
        let err = publish_all(&p, vec![ev(0, 0, 0), ev(1, 99, 0)], RetryPolicy::default())
            .await
            .unwrap_err();
        assert_eq!(err.failed, 1);
        assert_eq!(err.published, 1);
        assert!(err.last_error.contains("ThrottlingException"));
        assert_eq!(p.requests.lock().unwrap().len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unavailable_bus_is_retried_with_backoff() {
        let p = Recording {
            fail_whole: Mutex::new(2),
            ..Default::default()
        };
        let start = tokio::time::Instant::now();
        let report = publish_all(&p, vec![ev(0, 0, 0)], RetryPolicy::default())
            .await
            .unwrap();
        assert_eq!(report.requests, 3);
        assert_eq!(start.elapsed(), Duration::from_millis(50 + 100));
    }

    #[tokio::test(start_paused = true)]
    async fn one_oversized_item_never_fails_the_rest() {
        let p = Recording::default();
        let big = OutgoingEvent::new(
            "s",
            "TWITTER_DM_RECEIVED",
            json!({"id": "9", "blob": "x".repeat(300 * 1024)}),
        )
        .unwrap();
        let report = publish_all(
            &p,
            vec![ev(0, 0, 0), big, ev(2, 0, 0)],
            RetryPolicy::default(),
        )
        .await
        .unwrap();
        assert_eq!(report.published, 3);
        assert_eq!(report.slimmed, 1);
        let reqs = p.requests.lock().unwrap();
        let slim = &reqs[0][1].detail;
        assert_eq!(slim["id"], "9");
        assert!(slim.get("blob").is_none());
        assert!(slim["StarlingOversized"]["OriginalBytes"].as_u64().unwrap() > 300 * 1024);
    }
}
