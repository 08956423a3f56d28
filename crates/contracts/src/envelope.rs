//! The EventBridge envelope, and the entry a publisher puts on the bus.

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event as EventBridge delivers it to targets (and as the local bus stores it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Envelope<D = Value> {
    /// Always `"0"`.
    pub version: String,
    /// Unique event id assigned by the bus.
    pub id: String,
    /// What happened, e.g. `MESSAGE_RECEIVED`.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// Who said so, e.g. `starling.twitter`.
    pub source: String,
    /// AWS account id (`000000000000` locally).
    pub account: String,
    /// When the event was put, RFC 3339.
    pub time: DateTime<Utc>,
    /// AWS region (`local` on one machine).
    pub region: String,
    /// ARNs or ids the event concerns.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The event's payload.
    pub detail: D,
}

impl Envelope<Value> {
    /// Builds the envelope a bus assigns to an entry it accepted.
    pub fn from_entry(
        entry: &OutgoingEvent,
        id: String,
        account: &str,
        region: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            version: "0".into(),
            id,
            detail_type: entry.detail_type.clone(),
            source: entry.source.clone(),
            account: account.into(),
            time: entry.time.unwrap_or(now),
            region: region.into(),
            resources: entry.resources.clone(),
            detail: entry.detail.clone(),
        }
    }

    /// Reads the detail as a typed contract.
    pub fn detail_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.detail)
    }
}

/// One entry to put on the bus (EventBridge's `PutEventsRequestEntry` without the bus name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingEvent {
    /// Event source, see [`crate::source`].
    pub source: String,
    /// Detail-type, see [`crate::detail_type`].
    pub detail_type: String,
    /// The detail object.
    pub detail: Value,
    /// Ids the event concerns (the tweet id, so downstream can be idempotent).
    pub resources: Vec<String>,
    /// Event time; the bus uses its own clock when absent.
    pub time: Option<DateTime<Utc>>,
}

/// EventBridge's limit on one PutEvents request (and so on one entry): 256 KB.
pub const MAX_PUT_EVENTS_BYTES: usize = 256 * 1024;
/// EventBridge's limit on entries per PutEvents request.
pub const MAX_PUT_EVENTS_ENTRIES: usize = 10;

impl OutgoingEvent {
    /// An entry with a serialisable detail.
    pub fn new(
        source: &str,
        detail_type: &str,
        detail: impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            source: source.into(),
            detail_type: detail_type.into(),
            detail: serde_json::to_value(detail)?,
            resources: Vec::new(),
            time: None,
        })
    }

    /// Adds the ids the event concerns.
    pub fn with_resources(mut self, resources: impl IntoIterator<Item = String>) -> Self {
        self.resources.extend(resources);
        self
    }

    /// The detail serialised as EventBridge receives it.
    pub fn detail_json(&self) -> String {
        self.detail.to_string()
    }

    /// The entry's size as EventBridge counts it against the 256 KB limit
    /// (source, detail-type, detail and resources as UTF-8, plus 14 bytes for a time).
    pub fn entry_size(&self) -> usize {
        let time = if self.time.is_some() { 14 } else { 0 };
        time + self.source.len()
            + self.detail_type.len()
            + self.detail_json().len()
            + self.resources.iter().map(String::len).sum::<usize>()
    }

    /// The time as RFC 3339 with seconds, when set.
    pub fn time_rfc3339(&self) -> Option<String> {
        self.time
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_serialises_with_eventbridge_field_names() {
        let entry =
            OutgoingEvent::new("starling.twitter", "TWITTER_FOLLOWED", json!({"a": 1})).unwrap();
        let now = "2026-11-23T10:00:00Z".parse().unwrap();
        let env = Envelope::from_entry(&entry, "id-1".into(), "000000000000", "local", now);
        let v = serde_json::to_value(&env).unwrap();
        assert_eq!(v["detail-type"], "TWITTER_FOLLOWED");
        assert_eq!(v["version"], "0");
        assert_eq!(v["time"], "2026-11-23T10:00:00Z");
        assert_eq!(v["detail"]["a"], 1);
        let back: Envelope = serde_json::from_value(v).unwrap();
        assert_eq!(back, env);
    }

    #[test]
    fn entry_size_counts_every_part_eventbridge_counts() {
        let entry = OutgoingEvent::new("ab", "cd", json!({"x": "y"}))
            .unwrap()
            .with_resources(["123".to_string()]);
        assert_eq!(entry.entry_size(), 2 + 2 + r#"{"x":"y"}"#.len() + 3);
        let timed = OutgoingEvent {
            time: Some(Utc::now()),
            ..entry
        };
        assert_eq!(timed.entry_size(), 2 + 2 + 9 + 3 + 14);
    }
}
