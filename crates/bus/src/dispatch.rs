//! One dispatcher per route: reads the log after the route's cursor, delivers matching events in
//! order with retries, and moves the cursor only once an event is delivered or dead-lettered.

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use starling_contracts::Envelope;
use tokio::sync::watch;
use tokio::time::{Instant, sleep};

use super::error::BusError;
use super::store::{LoggedEvent, PendingRedelivery};
use super::target::{DeliveryError, Target};
use super::{Inner, blocking, bump};

/// How one event's delivery ended.
enum Outcome {
    Delivered,
    Failed {
        attempts: u32,
        error: String,
    },
    /// The bus is shutting down; the event stays where it was and is delivered on the next start.
    Stopped,
}

/// A stored event as one route reads it.
enum Read {
    /// The route's pattern does not match it.
    Skipped,
    /// It matches; delivered as this envelope.
    Matching(Box<Envelope>),
    /// It cannot be read (dead-lettered at once).
    Unreadable(String),
}

/// Why a drain of the route's work returned.
enum Flow {
    Idle,
    Stopped,
}

pub(super) struct Dispatcher {
    inner: Arc<Inner>,
    route: usize,
    target: Arc<dyn Target>,
    wake: watch::Receiver<u64>,
    shutdown: watch::Receiver<bool>,
    /// The cursor as last committed; read from the database on the first drain.
    cursor: Option<i64>,
    /// Whether the next delivery is the first since this dispatcher started: it is noted in the
    /// database before it runs, so an event that keeps stopping the process is found out.
    guard: bool,
}

/// Resolves once shutdown is requested (or the bus is gone).
async fn stopping(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

impl Dispatcher {
    pub(super) fn new(inner: Arc<Inner>, route: usize, target: Arc<dyn Target>) -> Self {
        Self {
            wake: inner.wake.subscribe(),
            shutdown: inner.shutdown.subscribe(),
            inner,
            route,
            target,
            cursor: None,
            guard: true,
        }
    }

    fn name(&self) -> &str {
        self.inner.routes[self.route].name()
    }

    pub(super) async fn run(mut self) {
        let poll = self.inner.config.poll_interval;
        loop {
            self.wake.borrow_and_update();
            match self.drain().await {
                Ok(Flow::Stopped) => return,
                Ok(Flow::Idle) => {}
                Err(error) => tracing::warn!(
                    route = self.name(),
                    %error,
                    "delivery paused by an event log error; trying again"
                ),
            }
            tokio::select! {
                () = stopping(&mut self.shutdown) => return,
                Ok(()) = self.wake.changed() => {}
                () = sleep(poll) => {}
            }
        }
    }

    fn stop_requested(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Delivers queued redeliveries, then the log after the cursor, until there is nothing left.
    async fn drain(&mut self) -> Result<Flow, BusError> {
        let batch = self.inner.config.batch_size.max(1);
        if self.cursor.is_none() {
            let route = self.name().to_string();
            self.cursor = Some(blocking(&self.inner, move |s| s.cursor(&route)).await?);
        }
        loop {
            if self.stop_requested() {
                return Ok(Flow::Stopped);
            }
            let route = self.name().to_string();
            let pending = blocking(&self.inner, move |s| s.redeliveries(&route, batch)).await?;
            for item in &pending {
                if let Flow::Stopped = self.redeliver(item).await? {
                    return Ok(Flow::Stopped);
                }
            }

            let cursor = self.cursor.unwrap_or_default();
            let events = blocking(&self.inner, move |s| s.events_after(cursor, batch)).await?;
            if pending.is_empty() && events.is_empty() {
                return Ok(Flow::Idle);
            }
            // Events the pattern skips cost no write of their own.
            let mut skipped = None;
            let read: Vec<(i64, Read)> = events
                .into_iter()
                .map(|event| (event.seq, self.read(&event)))
                .collect();
            let mut events = read.into_iter().peekable();
            while let Some((seq, read)) = events.next() {
                let envelope = match read {
                    Read::Skipped => {
                        skipped = Some(seq);
                        continue;
                    }
                    Read::Unreadable(error) => Err(error),
                    Read::Matching(envelope) => Ok(envelope),
                };
                // Settling this event moves the cursor past the skipped ones too.
                skipped = None;
                let batching = self.target.max_batch() > 1 && !self.guard;
                if let (true, Ok(first)) = (batching, &envelope) {
                    // The events waiting together go to the target as one batch: one commit for
                    // them all, the cursor moved once, after it.
                    let mut batch = vec![(seq, first.clone())];
                    let mut trailing = None;
                    while batch.len() < self.target.max_batch() {
                        match events.peek() {
                            Some((next, Read::Skipped)) => trailing = Some(*next),
                            Some((next, Read::Matching(e))) => {
                                batch.push((*next, e.clone()));
                                trailing = None;
                            }
                            Some((_, Read::Unreadable(_))) | None => break,
                        }
                        events.next();
                    }
                    if let Flow::Stopped = self.deliver_batch(batch).await? {
                        return Ok(Flow::Stopped);
                    }
                    skipped = trailing;
                    continue;
                }
                let outcome = match envelope {
                    Ok(envelope) => self.guarded(&envelope, "event", seq).await?,
                    Err(error) => Outcome::Failed { attempts: 0, error },
                };
                if let Flow::Stopped = self.settle(seq, outcome).await? {
                    return Ok(Flow::Stopped);
                }
            }
            if let Some(seq) = skipped {
                self.advance(seq).await?;
            }
        }
    }

    /// A stored event as this route sees it; one of a detail-type the route's pattern rules out
    /// is skipped without parsing its envelope.
    fn read(&self, stored: &LoggedEvent) -> Read {
        if !self.inner.routes[self.route].may_match_detail_type(&stored.detail_type) {
            return Read::Skipped;
        }
        let value = match serde_json::from_str::<Value>(&stored.envelope) {
            Ok(value) => value,
            Err(e) => return Read::Unreadable(format!("the stored envelope is not JSON: {e}")),
        };
        if !self.inner.routes[self.route].matches(&value) {
            return Read::Skipped;
        }
        match serde_json::from_value::<Envelope>(value) {
            Ok(envelope) => Read::Matching(Box::new(envelope)),
            Err(e) => Read::Unreadable(format!("the stored event is not an envelope: {e}")),
        }
    }

    /// Records how a log event's delivery ended: the cursor moved past it, or it dead-lettered.
    async fn settle(&mut self, seq: i64, outcome: Outcome) -> Result<Flow, BusError> {
        match outcome {
            Outcome::Stopped => {
                self.unguard().await?;
                return Ok(Flow::Stopped);
            }
            Outcome::Delivered => self.advance(seq).await?,
            Outcome::Failed { attempts, error } => {
                self.dead_letter(seq, attempts, error).await?;
            }
        }
        self.unguard().await?;
        Ok(Flow::Idle)
    }

    /// Delivers consecutive events in one call of the target; the cursor moves past those it
    /// delivered, and each other one is delivered again on its own under the retry policy.
    async fn deliver_batch(&mut self, batch: Vec<(i64, Box<Envelope>)>) -> Result<Flow, BusError> {
        if self.stop_requested() {
            return Ok(Flow::Stopped);
        }
        let target = self.target.clone();
        let envelopes: Vec<Envelope> = batch.iter().map(|(_, e)| (**e).clone()).collect();
        let size = envelopes.len();
        let task = tokio::spawn(async move { Ok(target.deliver_batch(&envelopes).await) });
        let results = match self.await_batch(task).await {
            None => return Ok(Flow::Stopped),
            Some(Ok(results)) if results.len() == size => results,
            Some(Ok(results)) => {
                let error = format!(
                    "the target answered {} results for {size} events",
                    results.len()
                );
                vec![Err(DeliveryError::Retryable(error)); size]
            }
            Some(Err(error)) => vec![Err(error); size],
        };
        let mut delivered_up_to = None;
        for ((seq, envelope), result) in batch.into_iter().zip(results) {
            if result.is_ok() {
                delivered_up_to = Some(seq);
                continue;
            }
            if let Some(up_to) = delivered_up_to.take() {
                self.advance(up_to).await?;
            }
            let outcome = self.deliver(&envelope).await;
            if let Flow::Stopped = self.settle(seq, outcome).await? {
                return Ok(Flow::Stopped);
            }
        }
        if let Some(up_to) = delivered_up_to {
            self.advance(up_to).await?;
        }
        Ok(Flow::Idle)
    }

    async fn advance(&mut self, seq: i64) -> Result<(), BusError> {
        let route = self.name().to_string();
        blocking(&self.inner, move |s| s.advance(&route, seq)).await?;
        self.cursor = Some(seq);
        self.inner.progress.send_modify(bump);
        Ok(())
    }

    /// Dead-letters a log event and moves the cursor past it, in one transaction.
    async fn dead_letter(
        &mut self,
        seq: i64,
        attempts: u32,
        error: String,
    ) -> Result<(), BusError> {
        let route = self.name().to_string();
        let now = Utc::now().timestamp_millis();
        blocking(&self.inner, move |s| {
            s.dead_letter(&route, seq, attempts, &error, now)
        })
        .await?;
        self.cursor = Some(seq);
        self.inner.progress.send_modify(bump);
        Ok(())
    }

    /// Delivers `envelope`; the first delivery since the dispatcher started is noted in the
    /// database first, and refused (failed without a try) when the process already stopped
    /// `crash_limit` times in a row while delivering it.
    async fn guarded(
        &mut self,
        envelope: &Envelope,
        kind: &'static str,
        item: i64,
    ) -> Result<Outcome, BusError> {
        if self.guard {
            let route = self.name().to_string();
            let starts =
                blocking(&self.inner, move |s| s.begin_delivery(&route, kind, item)).await?;
            let crashes = starts.saturating_sub(1);
            if crashes >= self.inner.config.crash_limit.max(1) {
                tracing::error!(
                    route = self.name(),
                    event_id = envelope.id,
                    detail_type = envelope.detail_type,
                    crashes,
                    "the process stopped every time it delivered this event: dead-lettered"
                );
                return Ok(Outcome::Failed {
                    attempts: crashes,
                    error: format!(
                        "the process stopped {crashes} times in a row while delivering this event \
                         (a crash? out of memory?); dead-lettered without another try so it \
                         cannot stop the bus again"
                    ),
                });
            }
        }
        Ok(self.deliver(envelope).await)
    }

    /// The guarded first delivery has ended one way or another: forget it.
    async fn unguard(&mut self) -> Result<(), BusError> {
        if self.guard {
            let route = self.name().to_string();
            blocking(&self.inner, move |s| s.end_delivery(&route)).await?;
            self.guard = false;
        }
        Ok(())
    }

    /// Delivers one queued replay or redrive.
    async fn redeliver(&mut self, item: &PendingRedelivery) -> Result<Flow, BusError> {
        let outcome = match serde_json::from_str::<Envelope>(&item.envelope) {
            Ok(envelope) => self.guarded(&envelope, "redelivery", item.id).await?,
            Err(e) => Outcome::Failed {
                attempts: 0,
                error: format!("the stored event is not an envelope: {e}"),
            },
        };
        let route = self.name().to_string();
        let item = item.clone();
        match outcome {
            Outcome::Stopped => {
                self.unguard().await?;
                return Ok(Flow::Stopped);
            }
            Outcome::Delivered => blocking(&self.inner, move |s| s.redelivered(&item)).await?,
            Outcome::Failed { attempts, error } => {
                let now = Utc::now().timestamp_millis();
                blocking(&self.inner, move |s| {
                    s.redelivery_failed(&route, &item, attempts, &error, now)
                })
                .await?;
            }
        }
        self.unguard().await?;
        self.inner.progress.send_modify(bump);
        Ok(Flow::Idle)
    }

    /// Delivers one event under the retry policy. A deferral waits as asked and spends no retry;
    /// the event's age bounds both.
    async fn deliver(&mut self, envelope: &Envelope) -> Outcome {
        let policy = self.inner.config.retry.clone();
        let first = Instant::now();
        let mut attempt: u32 = 0;
        let mut failures: u32 = 0;
        loop {
            if self.stop_requested() {
                return Outcome::Stopped;
            }
            attempt = attempt.saturating_add(1);
            let error = match self.attempt(envelope).await {
                None => return Outcome::Stopped,
                Some(Ok(())) => return Outcome::Delivered,
                Some(Err(error)) => error,
            };
            let deferred_until = match &error {
                DeliveryError::Deferred { until, .. } => Some(*until),
                _ => {
                    failures = failures.saturating_add(1);
                    None
                }
            };
            let age = first.elapsed();
            if !error.is_retryable() || failures > policy.max_retries || age >= policy.max_event_age
            {
                tracing::warn!(
                    route = self.name(),
                    event_id = envelope.id,
                    detail_type = envelope.detail_type,
                    attempts = attempt,
                    %error,
                    "event dead-lettered (starling dlq list shows it; starling dlq redrive retries it)"
                );
                return Outcome::Failed {
                    attempts: attempt,
                    error: error.to_string(),
                };
            }
            let delay = match deferred_until {
                Some(until) => policy.defer_until(until, Utc::now()),
                None => policy.delay_after(failures),
            }
            .min(policy.max_event_age.saturating_sub(age));
            if deferred_until.is_some() {
                tracing::info!(
                    route = self.name(),
                    event_id = envelope.id,
                    ?delay,
                    %error,
                    "delivery deferred"
                );
            } else {
                tracing::debug!(
                    route = self.name(),
                    event_id = envelope.id,
                    attempt,
                    ?delay,
                    %error,
                    "delivery failed; retrying"
                );
            }
            tokio::select! {
                () = stopping(&mut self.shutdown) => return Outcome::Stopped,
                () = sleep(delay) => {}
            }
        }
    }

    /// One attempt, isolated in its own task so a panicking or hanging target fails the attempt
    /// instead of the dispatcher. `None` when shutdown abandoned it.
    async fn attempt(&mut self, envelope: &Envelope) -> Option<Result<(), DeliveryError>> {
        let target = self.target.clone();
        let event = envelope.clone();
        let task = tokio::spawn(async move { target.deliver(&event).await });
        self.await_batch(task).await
    }

    /// Waits for a delivery task within the delivery timeout; a panic or a failed task is a
    /// retryable error. `None` when shutdown abandoned it.
    async fn await_batch<T: Send + 'static>(
        &mut self,
        mut task: tokio::task::JoinHandle<Result<T, DeliveryError>>,
    ) -> Option<Result<T, DeliveryError>> {
        let timeout = self.inner.config.delivery_timeout;
        let grace = self.inner.config.shutdown_grace;
        let joined = tokio::select! {
            joined = &mut task => joined,
            () = sleep(timeout) => {
                task.abort();
                return Some(Err(DeliveryError::Retryable(format!(
                    "the target did not answer within {timeout:?} (delivery_timeout)"
                ))));
            }
            () = stopping(&mut self.shutdown) => {
                match tokio::time::timeout(grace, &mut task).await {
                    Ok(joined) => joined,
                    Err(_) => {
                        task.abort();
                        return None;
                    }
                }
            }
        };
        Some(match joined {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(DeliveryError::Retryable(format!(
                "the target panicked: {}",
                panic_message(e.into_panic())
            ))),
            Err(e) => Err(DeliveryError::Retryable(format!(
                "the delivery task failed: {e}"
            ))),
        })
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
