//! The log as an archive: replay a time range, list and redrive dead letters, list events.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use starling_contracts::Envelope;

use super::error::BusError;
use super::routes::CompiledRoute;
use super::store::LoggedEvent;
use super::{SqliteBus, bump};

/// An event in the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// Its place in the log.
    pub seq: i64,
    /// When the bus accepted it.
    pub put_at: DateTime<Utc>,
    /// The envelope as targets receive it.
    pub envelope: Envelope,
}

/// An event a route gave up on, with the last error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// The dead letter's id.
    pub id: i64,
    /// The route whose target refused the event.
    pub route: String,
    /// The event's place in the log.
    pub event_seq: i64,
    /// The event.
    pub event: Envelope,
    /// Attempts made (0 when the stored event could not be read).
    pub attempts: u32,
    /// The last error.
    pub error: String,
    /// When it was dead-lettered.
    pub failed_at: DateTime<Utc>,
    /// Whether a redrive is queued for it.
    pub redrive_queued: bool,
}

/// What a replay queued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Events in the time range.
    pub events: usize,
    /// Deliveries queued, per route (routes matching none of the events are left out).
    pub queued: Vec<(String, usize)>,
}

impl ReplayReport {
    /// Deliveries queued in all.
    pub fn total(&self) -> usize {
        self.queued.iter().map(|(_, n)| n).sum()
    }
}

fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn envelope(seq: i64, json: &str) -> Result<Envelope, BusError> {
    serde_json::from_str(json).map_err(|e| BusError::Corrupt {
        seq,
        reason: format!("not an envelope: {e}"),
    })
}

impl SqliteBus {
    fn route(&self, name: &str) -> Result<&CompiledRoute, BusError> {
        self.routes()
            .iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| BusError::UnknownRoute {
                name: name.to_string(),
                known: self
                    .routes()
                    .iter()
                    .map(CompiledRoute::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn selected_routes(&self, route: Option<&str>) -> Result<Vec<&CompiledRoute>, BusError> {
        match route {
            Some(name) => Ok(vec![self.route(name)?]),
            None => Ok(self.routes().iter().collect()),
        }
    }

    /// Re-delivers archived events whose time is in `[from, to]` to every route (or just `route`)
    /// whose pattern matches them, like an EventBridge archive replay. The deliveries are queued
    /// durably and made by the running bus (or the next one started), ahead of new events, with
    /// the same envelopes (same ids).
    pub async fn replay(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        route: Option<&str>,
    ) -> Result<ReplayReport, BusError> {
        let routes: Vec<CompiledRoute> =
            self.selected_routes(route)?.into_iter().cloned().collect();
        let (from_ms, to_ms) = (
            millis(from).timestamp_millis(),
            millis(to).timestamp_millis(),
        );
        let events = self
            .blocking(move |s| s.events_between(from_ms, to_ms))
            .await?;
        let mut report = ReplayReport {
            events: events.len(),
            queued: routes.iter().map(|r| (r.name().to_string(), 0)).collect(),
        };
        let mut items = Vec::new();
        for event in &events {
            let value: Value =
                serde_json::from_str(&event.envelope).map_err(|e| BusError::Corrupt {
                    seq: event.seq,
                    reason: format!("not JSON: {e}"),
                })?;
            for (route, (_, count)) in routes.iter().zip(report.queued.iter_mut()) {
                if route.matches(&value) {
                    items.push((route.name().to_string(), event.seq));
                    *count += 1;
                }
            }
        }
        report.queued.retain(|(_, n)| *n > 0);
        if !items.is_empty() {
            let now = Utc::now().timestamp_millis();
            self.blocking(move |s| s.enqueue_replay(&items, now))
                .await?;
            self.inner.wake.send_modify(bump);
        }
        Ok(report)
    }

    /// Dead letters, oldest first, of every route or one.
    pub async fn dead_letters(&self, route: Option<&str>) -> Result<Vec<DeadLetter>, BusError> {
        let route = route.map(str::to_string);
        let rows = self
            .blocking(move |s| s.dead_letters(route.as_deref()))
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(DeadLetter {
                    event: envelope(row.event_seq, &row.envelope)?,
                    id: row.id,
                    route: row.route,
                    event_seq: row.event_seq,
                    attempts: u32::try_from(row.attempts).unwrap_or_default(),
                    error: row.error,
                    failed_at: from_millis(row.failed_ms),
                    redrive_queued: row.redrive_queued,
                })
            })
            .collect()
    }

    /// Queues every dead letter of every route (or just `route`) for delivery again; a dead
    /// letter is removed once its target takes the event, and updated if it fails again.
    /// Returns how many were queued (already-queued ones are not queued twice).
    pub async fn redrive(&self, route: Option<&str>) -> Result<usize, BusError> {
        let routes: Vec<String> = self
            .selected_routes(route)?
            .into_iter()
            .map(|r| r.name().to_string())
            .collect();
        let now = Utc::now().timestamp_millis();
        let queued = self
            .blocking(move |s| {
                let names: Vec<&str> = routes.iter().map(String::as_str).collect();
                s.enqueue_redrive(&names, now)
            })
            .await?;
        if queued > 0 {
            self.inner.wake.send_modify(bump);
        }
        Ok(queued)
    }

    /// The latest `limit` events in the log (optionally of one detail-type), oldest first.
    pub async fn events(
        &self,
        detail_type: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, BusError> {
        let detail_type = detail_type.map(str::to_string);
        let rows = self
            .blocking(move |s| s.latest_events(detail_type.as_deref(), limit))
            .await?;
        rows.into_iter().map(stored_event).collect()
    }
}

pub(crate) fn stored_event(row: LoggedEvent) -> Result<StoredEvent, BusError> {
    Ok(StoredEvent {
        envelope: envelope(row.seq, &row.envelope)?,
        seq: row.seq,
        put_at: from_millis(row.put_ms),
    })
}
