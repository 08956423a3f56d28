//! The local bus's targets: the one adapter every rule-bound handler runs through
//! ([`HandlerTarget`], the local twin of `starling_aws::runner`), the state machine
//! ([`StateMachineTarget`], as an EventBridge → Step Functions rule) and the lake
//! ([`LakeTarget`], as the Firehose delivery stream).

use std::path::Path;
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use starling_bus::{DeliveryError, Target};
use starling_contracts::Envelope;
use starling_core::handler::{DetailHandler, HandlerError, handle_and_publish, handle_detail};
use starling_core::ports::EventPublisher;
use starling_core::publish::{RetryPolicy, publish_all};
use starling_lake::{Appended, Framed, LakeConfig, LakeError, LakeWriter};
use starling_states::{ExecutionOptions, ExecutionStatus, StateMachine, execute};

use crate::tasks::LocalTasks;

/// A route target running any [`DetailHandler`]: the detail decoded, handled, the results put on
/// the bus with the shared publishing retries. Retryable classes are retried by the bus
/// (then dead-lettered); `InvalidInput` is dead-lettered at once.
pub struct HandlerTarget<H> {
    handler: H,
    bus: Arc<dyn EventPublisher>,
    /// How many events of a batch are handled at once (1: in order).
    at_once: usize,
}

impl<H: DetailHandler> HandlerTarget<H> {
    /// `handler`, publishing on `bus`.
    pub fn new(handler: H, bus: Arc<dyn EventPublisher>) -> Self {
        Self {
            handler,
            bus,
            at_once: 1,
        }
    }

    /// Handles up to `at_once` events of a batch at the same time, each failure on its own (the
    /// others are still delivered): for a handler whose events do not depend on each other's
    /// order, such as egress (each reply its own idempotency key), so one event's waits (a
    /// durable write, X's answer) do not hold up the rest.
    pub fn with_concurrency(mut self, at_once: usize) -> Self {
        self.at_once = at_once.max(1);
        self
    }
}

/// How the bus treats a handler's failure.
pub fn delivery_error(e: HandlerError) -> DeliveryError {
    match e.retry_at {
        // A handler that knows when to come back (X's rate-limit reset, a claim held by another
        // delivery) is deferred, not failed: no retry is spent waiting for it.
        Some(until) if e.kind.is_retryable() => DeliveryError::Deferred {
            reason: e.to_string(),
            until,
        },
        _ if e.kind.is_retryable() => DeliveryError::Retryable(e.to_string()),
        _ => DeliveryError::Permanent(e.to_string()),
    }
}

/// How many consecutive events of its route a [`HandlerTarget`] takes at once when they wait
/// together: handled one after another in order, their results published together and the
/// route's cursor moved once — a commit per batch instead of one per event (the bus never waits
/// to fill a batch, so a quiet route still answers each event at once).
pub const HANDLER_BATCH: usize = 32;

#[async_trait]
impl<H: DetailHandler> Target for HandlerTarget<H> {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        handle_and_publish(&self.handler, event.detail.clone(), self.bus.as_ref())
            .await
            .map(|_| ())
            .map_err(delivery_error)
    }

    fn max_batch(&self) -> usize {
        HANDLER_BATCH
    }

    /// In order, stopping at the first failure (the bus delivers that one and the rest again on
    /// their own) — or, with [`HandlerTarget::with_concurrency`], several at once, each on its
    /// own; what the handled ones publish goes out in one publish after them, so an event counts
    /// as delivered only once its results are on the bus.
    async fn deliver_batch(&self, events: &[Envelope]) -> Vec<Result<(), DeliveryError>> {
        let mut results = Vec::with_capacity(events.len());
        let mut outputs = Vec::new();
        if self.at_once > 1 {
            // The futures made up front (an async fn's future does nothing until polled), so
            // the stream holds no closure over borrowed events.
            let pending: Vec<_> = events
                .iter()
                .map(|event| handle_detail(&self.handler, event.detail.clone()))
                .collect();
            let handled: Vec<_> = futures::stream::iter(pending)
                .buffered(self.at_once)
                .collect()
                .await;
            for result in handled {
                results.push(
                    result
                        .map(|published| outputs.extend(published))
                        .map_err(delivery_error),
                );
            }
        } else {
            for event in events {
                match handle_detail(&self.handler, event.detail.clone()).await {
                    Ok(published) => {
                        outputs.extend(published);
                        results.push(Ok(()));
                    }
                    Err(e) => {
                        results.push(Err(delivery_error(e)));
                        break;
                    }
                }
            }
        }
        if !outputs.is_empty()
            && let Err(e) = publish_all(self.bus.as_ref(), outputs, RetryPolicy::default()).await
        {
            // Handled but not published: each is handled again (handlers are safe to repeat:
            // the policy gives a post the same verdict, egress posts once per key).
            let error = delivery_error(HandlerError::unavailable(e));
            for result in results.iter_mut().filter(|r| r.is_ok()) {
                *result = Err(error.clone());
            }
        }
        while results.len() < events.len() {
            results.push(Err(DeliveryError::not_tried()));
        }
        results
    }
}

/// The catch-all route's target: one log line per event, as the CloudWatch log group keeps one.
/// Takes the events waiting together at once, so the route moves its cursor once per batch.
pub struct LogTarget;

#[async_trait]
impl Target for LogTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        tracing::info!(target: "starling::events", id = %event.id, detail_type = %event.detail_type, source = %event.source, "event");
        Ok(())
    }

    fn max_batch(&self) -> usize {
        256
    }
}

/// A route target that runs a state machine per event, as an EventBridge → Step Functions rule does.
pub struct StateMachineTarget {
    machine: Arc<Machine>,
    concurrency: usize,
}

/// A state machine with the task resolver its executions use.
struct Machine {
    name: String,
    machine: StateMachine,
    tasks: LocalTasks,
}

impl StateMachineTarget {
    /// A target running `machine` with `tasks`, one execution at a time.
    pub fn new(name: &str, machine: StateMachine, tasks: LocalTasks) -> Self {
        Self {
            machine: Arc::new(Machine {
                name: name.to_string(),
                machine,
                tasks,
            }),
            concurrency: 1,
        }
    }

    /// Runs up to `n` executions at once when events wait together (as Step Functions runs
    /// executions side by side): for machines whose executions are independent of each other's
    /// order, such as analyse-message.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
}

impl Machine {
    async fn run(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let input =
            serde_json::to_value(event).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let options = ExecutionOptions {
            execution_name: Some(event.id.clone()),
            state_machine_name: self.name.clone(),
            record_history: false,
            ..Default::default()
        };
        let result = execute(&self.machine, input, &self.tasks, &options).await;
        match result.status {
            ExecutionStatus::Succeeded => Ok(()),
            // The definition catches every stage failure and publishes it; an execution that still
            // fails could not publish at all, so the bus retries it (and dead-letters it at the end).
            _ => Err(DeliveryError::Retryable(format!(
                "{} failed: {}: {}",
                self.name,
                result.error.unwrap_or_default(),
                result.cause.unwrap_or_default()
            ))),
        }
    }
}

#[async_trait]
impl Target for StateMachineTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        self.machine.run(event).await
    }

    fn max_batch(&self) -> usize {
        self.concurrency
    }

    /// The executions run side by side, each on its own task (so on every worker thread); each
    /// reports for itself.
    async fn deliver_batch(&self, events: &[Envelope]) -> Vec<Result<(), DeliveryError>> {
        let runs: Vec<_> = events
            .iter()
            .map(|event| {
                let machine = self.machine.clone();
                let event = event.clone();
                tokio::spawn(async move { machine.run(&event).await })
            })
            .collect();
        let mut results = Vec::with_capacity(runs.len());
        for run in runs {
            results.push(match run.await {
                Ok(result) => result,
                Err(e) => Err(DeliveryError::Retryable(format!(
                    "the execution task failed: {e}"
                ))),
            });
        }
        results
    }
}

/// The `lake` route's target (kind `firehose`): each delivered event appended to the lake and on
/// disk before the delivery is acknowledged. Expired parts are finalised by a background tick;
/// the rest when the last clone of the target is dropped (after the bus shut down).
pub struct LakeTarget {
    writer: Arc<LakeWriter>,
}

impl LakeTarget {
    /// Opens the lake at `root` (finalising what a crashed run left in progress) and, inside a
    /// Tokio runtime, starts the tick that finalises parts older than the buffer interval.
    pub fn open(root: &Path, config: LakeConfig) -> Result<Self, LakeError> {
        let (writer, _recovered) = LakeWriter::open(root, config)?;
        let writer = Arc::new(writer);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let every =
                (config.max_part_age / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
            handle.spawn(tick(Arc::downgrade(&writer), every));
        }
        Ok(Self { writer })
    }

    /// The writer behind the target.
    pub fn writer(&self) -> &Arc<LakeWriter> {
        &self.writer
    }
}

async fn tick(writer: Weak<LakeWriter>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        let flushed = tokio::task::spawn_blocking(move || writer.flush_expired()).await;
        if let Ok(Err(e)) = flushed {
            tracing::warn!(error = %e, "lake: finalising expired parts failed (retried next tick)");
        }
    }
}

#[async_trait]
impl Target for LakeTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let mut results = self.deliver_batch(std::slice::from_ref(event)).await;
        results.pop().unwrap_or_else(|| {
            Err(DeliveryError::Retryable(
                "the lake returned no result".into(),
            ))
        })
    }

    /// Group commit: the events waiting together are written with one `fdatasync` per part.
    fn max_batch(&self) -> usize {
        LAKE_BATCH
    }

    /// All or nothing: either the whole group is synced or none of it counts as delivered.
    async fn deliver_batch(&self, events: &[Envelope]) -> Vec<Result<(), DeliveryError>> {
        let all = |result: Result<(), DeliveryError>| vec![result; events.len()];
        let framed = match events
            .iter()
            .map(Framed::event)
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(framed) => framed,
            Err(e) => return all(Err(DeliveryError::Retryable(e.to_string()))),
        };
        let writer = self.writer.clone();
        match tokio::task::spawn_blocking(move || writer.append_framed_all(framed)).await {
            Ok(Ok(outcomes)) => {
                for (event, outcome) in events.iter().zip(outcomes) {
                    if let Appended::Failed(reason) = outcome {
                        tracing::warn!(id = %event.id, %reason, "lake: event written to the error prefix");
                    }
                }
                all(Ok(()))
            }
            Ok(Err(e)) => all(Err(DeliveryError::Retryable(e.to_string()))),
            Err(e) => all(Err(DeliveryError::Retryable(format!(
                "lake writer task: {e}"
            )))),
        }
    }
}

/// The most events the lake takes in one group commit (about 1 MB of typical events).
pub const LAKE_BATCH: usize = 256;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A local function that takes 200 ms and records how many calls overlapped.
    struct Slow {
        running: std::sync::atomic::AtomicUsize,
        most: std::sync::atomic::AtomicUsize,
    }

    #[async_trait]
    impl crate::tasks::LocalFunction for Slow {
        async fn call(
            &self,
            payload: serde_json::Value,
        ) -> Result<serde_json::Value, starling_states::TaskFailure> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.running.fetch_add(1, SeqCst) + 1;
            self.most.fetch_max(now, SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
            self.running.fetch_sub(1, SeqCst);
            Ok(payload)
        }
    }

    fn envelope(id: &str) -> Envelope {
        serde_json::from_value(serde_json::json!({
            "version": "0", "id": id, "detail-type": "MESSAGE_RECEIVED", "source": "starling.twitter",
            "account": "000000000000", "time": "2026-11-23T10:00:00Z", "region": "local",
            "resources": [], "detail": {}
        }))
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_of_executions_runs_side_by_side_and_each_reports_for_itself() {
        let slow = Arc::new(Slow {
            running: Default::default(),
            most: Default::default(),
        });
        let machine = StateMachine::from_json(
            r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "slow", "Payload.$": "$"}, "End": true}}}"#,
        )
        .unwrap();
        let tasks = LocalTasks::new().with_function("slow", slow.clone());
        let target =
            StateMachineTarget::new("m", machine.clone(), tasks.clone()).with_concurrency(4);
        assert_eq!(target.max_batch(), 4);
        let events: Vec<Envelope> = (0..4).map(|i| envelope(&format!("e{i}"))).collect();
        let results = target.deliver_batch(&events).await;
        assert_eq!(results.len(), 4);
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(
            slow.most.load(std::sync::atomic::Ordering::SeqCst),
            4,
            "ran side by side"
        );

        // Without concurrency, one at a time.
        let one = StateMachineTarget::new("m", machine, tasks);
        assert_eq!(one.max_batch(), 1);
        let failing = StateMachineTarget::new(
            "m",
            StateMachine::from_json(
                r#"{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}"#,
            )
            .unwrap(),
            LocalTasks::new(),
        )
        .with_concurrency(2);
        let results = failing.deliver_batch(&events[..2]).await;
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(DeliveryError::Retryable(m)) if m.contains("Boom"))),
            "{results:?}"
        );
    }

    fn in_progress(root: &Path) -> usize {
        starling_lake::writer::files_under(root)
            .unwrap()
            .iter()
            .filter(|p| {
                p.to_string_lossy()
                    .ends_with(starling_lake::writer::IN_PROGRESS_SUFFIX)
            })
            .count()
    }

    #[tokio::test]
    async fn deliveries_are_appended_expired_parts_finalised_by_the_tick_and_the_rest_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let config = LakeConfig {
            max_part_age: Duration::from_millis(100),
            ..LakeConfig::default()
        };
        let root = dir.path().join("lake");
        let target = LakeTarget::open(&root, config).unwrap();
        let event: Envelope = serde_json::from_value(serde_json::json!({
            "version": "0", "id": "e1", "detail-type": "TWEET_SENT", "source": "starling.egress",
            "account": "000000000000", "time": "2026-11-23T10:00:00Z", "region": "local",
            "resources": [], "detail": {"ReplyToTweetId": "1"}
        }))
        .unwrap();
        target.deliver(&event).await.unwrap();
        assert_eq!(in_progress(&root), 1);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(in_progress(&root), 0, "the tick finalised the expired part");

        target.deliver(&event).await.unwrap();
        assert_eq!(in_progress(&root), 1);
        drop(target);
        // The tick may hold the writer for a moment; the part is younger than the interval, so
        // only the drop can finalise it.
        for _ in 0..8 {
            if in_progress(&root) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            in_progress(&root),
            0,
            "dropping the target flushed the lake"
        );
        let lines: usize =
            starling_lake::writer::files_under(&root.join("events/detail_type=TWEET_SENT"))
                .unwrap()
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap().lines().count())
                .sum();
        assert_eq!(
            lines, 2,
            "at least once: the same event delivered twice is there twice"
        );
    }

    /// Echoes `{"n": k}` as one event, fails on a negative `n`, and records the order it saw.
    struct Echo {
        seen: std::sync::Mutex<Vec<i64>>,
        /// Events being handled now, and the most there ever were.
        in_flight: std::sync::atomic::AtomicUsize,
        peak: std::sync::atomic::AtomicUsize,
    }

    #[async_trait]
    impl DetailHandler for Echo {
        type Detail = serde_json::Value;

        fn detail_type(&self) -> &'static str {
            "TEST"
        }

        async fn handle(
            &self,
            detail: serde_json::Value,
        ) -> Result<Vec<starling_contracts::OutgoingEvent>, HandlerError> {
            use std::sync::atomic::Ordering::SeqCst;
            let n = detail["n"].as_i64().unwrap_or_default();
            self.seen.lock().unwrap().push(n);
            let now = self.in_flight.fetch_add(1, SeqCst) + 1;
            self.peak.fetch_max(now, SeqCst);
            // A wait, as a durable write or X's answer is: other events may start meanwhile.
            tokio::task::yield_now().await;
            self.in_flight.fetch_sub(1, SeqCst);
            if n < 0 {
                return Err(HandlerError::invalid_input("negative"));
            }
            Ok(vec![
                starling_contracts::OutgoingEvent::new(
                    "starling.test",
                    "ECHOED",
                    serde_json::json!({"n": n}),
                )
                .unwrap(),
            ])
        }
    }

    fn numbered(n: i64) -> Envelope {
        let mut e = envelope(&format!("e{n}"));
        e.detail = serde_json::json!({"n": n});
        e
    }

    fn echo_target() -> (
        HandlerTarget<Echo>,
        Arc<starling_core::memory::MemoryPublisher>,
    ) {
        let bus = Arc::new(starling_core::memory::MemoryPublisher::new());
        let echo = Echo {
            seen: Default::default(),
            in_flight: Default::default(),
            peak: Default::default(),
        };
        (HandlerTarget::new(echo, bus.clone()), bus)
    }

    #[tokio::test]
    async fn a_handler_batch_is_handled_in_order_and_published_together() {
        let (target, bus) = echo_target();
        assert_eq!(target.max_batch(), HANDLER_BATCH);
        let events: Vec<Envelope> = (1..=12).map(numbered).collect();
        let results = target.deliver_batch(&events).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(
            *target.handler.seen.lock().unwrap(),
            (1..=12).collect::<Vec<_>>()
        );
        let published: Vec<i64> = bus
            .events()
            .iter()
            .map(|e| e.detail["n"].as_i64().unwrap())
            .collect();
        assert_eq!(published, (1..=12).collect::<Vec<_>>(), "in order");
    }

    #[tokio::test]
    async fn a_failure_stops_the_batch_and_what_came_before_is_published() {
        let (target, bus) = echo_target();
        let events = vec![numbered(1), numbered(2), numbered(-3), numbered(4)];
        let results = target.deliver_batch(&events).await;
        assert!(results[0].is_ok() && results[1].is_ok());
        assert!(
            matches!(results[2], Err(DeliveryError::Permanent(_))),
            "{results:?}"
        );
        assert!(matches!(&results[3], Err(DeliveryError::Retryable(m)) if m.contains("not tried")));
        assert_eq!(
            *target.handler.seen.lock().unwrap(),
            vec![1, 2, -3],
            "4 is left untried"
        );
        assert_eq!(bus.events().len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_whose_results_cannot_be_published_is_not_delivered() {
        let (target, bus) = echo_target();
        bus.set_down(true);
        let results = target.deliver_batch(&[numbered(1), numbered(2)]).await;
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(DeliveryError::Retryable(_)))),
            "{results:?}"
        );
        assert!(bus.events().is_empty());
    }

    #[tokio::test]
    async fn a_concurrent_batch_overlaps_its_events_and_fails_each_on_its_own() {
        let (target, bus) = echo_target();
        let target = target.with_concurrency(4);
        let events: Vec<Envelope> = [1, 2, -3, 4, 5, 6, 7, 8, 9, 10]
            .into_iter()
            .map(numbered)
            .collect();
        let results = target.deliver_batch(&events).await;
        assert_eq!(results.len(), events.len());
        for (i, result) in results.iter().enumerate() {
            if i == 2 {
                assert!(
                    matches!(result, Err(DeliveryError::Permanent(_))),
                    "{result:?}"
                );
            } else {
                assert!(result.is_ok(), "event {i}: {result:?}");
            }
        }
        let peak = target
            .handler
            .peak
            .load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(peak, 4, "up to four at once, never more");
        let published: Vec<i64> = bus
            .events()
            .iter()
            .map(|e| e.detail["n"].as_i64().unwrap())
            .collect();
        assert_eq!(
            published,
            vec![1, 2, 4, 5, 6, 7, 8, 9, 10],
            "in the events' order"
        );
    }

    #[tokio::test]
    async fn a_handler_target_takes_one_event_at_a_time_unless_told() {
        let (target, _bus) = echo_target();
        let events: Vec<Envelope> = (1..=6).map(numbered).collect();
        assert!(
            target
                .deliver_batch(&events)
                .await
                .iter()
                .all(Result::is_ok)
        );
        assert_eq!(
            target
                .handler
                .peak
                .load(std::sync::atomic::Ordering::SeqCst),
            1
        );
    }
}
