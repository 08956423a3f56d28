//! The data lake's record rules, shared by the Firehose transform Lambda and the local lake writer:
//! what makes a record acceptable, how it is framed (one JSON object per line), and which
//! partition (`detail_type=…/dt=…/hour=…/`) it lands in.
//!
//! A pure function over bytes: no SDK, no I/O. `starling_aws::firehose` wraps it in Firehose's
//! record types; `starling_local::lake` calls it for every event the local bus delivers.

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;
use starling_contracts::Envelope;

/// The partition keys, in prefix order (the Firehose prefix and the Glue partition columns).
pub const PARTITION_KEYS: [&str; 3] = ["detail_type", "dt", "hour"];

/// The longest detail-type accepted as a partition value (EventBridge's own limit).
pub const MAX_DETAIL_TYPE_LEN: usize = 128;

/// Where an event lands: its detail-type and the UTC day and hour of its `time`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKeys {
    /// The event's `detail-type`, verbatim (checked safe as a path segment).
    pub detail_type: String,
    /// `YYYY-MM-DD` of the event's time in UTC.
    pub dt: String,
    /// `HH` (00–23) of the event's time in UTC.
    pub hour: String,
}

impl PartitionKeys {
    /// The keys of an event with this detail-type and time; a detail-type that cannot be a
    /// partition value (empty, too long, or with characters other than `A-Z a-z 0-9 _ . -`,
    /// or `.`/`..`) is refused.
    pub fn new(detail_type: &str, time: DateTime<Utc>) -> Result<Self, RecordError> {
        let safe = !detail_type.is_empty()
            && detail_type.len() <= MAX_DETAIL_TYPE_LEN
            && detail_type != "."
            && detail_type != ".."
            && detail_type
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !safe {
            return Err(RecordError::BadDetailType(
                detail_type.chars().take(64).collect(),
            ));
        }
        // `dt` is `YYYY-MM-DD`: a time outside years 0–9999 (an envelope's in memory, or an RFC 3339
        // time whose offset carries it into year 10000) has no such partition.
        if !(0..=9999).contains(&time.year()) {
            return Err(RecordError::BadTime(
                time.to_rfc3339().chars().take(64).collect(),
            ));
        }
        Ok(Self {
            detail_type: detail_type.to_string(),
            dt: time.format("%Y-%m-%d").to_string(),
            hour: time.format("%H").to_string(),
        })
    }

    /// `(key, value)` pairs in prefix order, as Firehose's `metadata.partitionKeys` wants them.
    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            (PARTITION_KEYS[0], &self.detail_type),
            (PARTITION_KEYS[1], &self.dt),
            (PARTITION_KEYS[2], &self.hour),
        ]
    }

    /// The partition's path below the lake prefix: `detail_type=X/dt=YYYY-MM-DD/hour=HH/`.
    pub fn prefix(&self) -> String {
        format!(
            "detail_type={}/dt={}/hour={}/",
            self.detail_type, self.dt, self.hour
        )
    }
}

/// A record ready for the lake: the event as one line of JSON, and its partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeRecord {
    /// The event's JSON on one line, ending in `\n`.
    pub data: Vec<u8>,
    /// Where it lands.
    pub keys: PartitionKeys,
}

/// Why a record cannot enter the lake. Firehose sends such a record to the error prefix
/// (`ProcessingFailed`); nothing is dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not UTF-8 (JSON must be).
    #[error("record is not UTF-8 (byte {0})")]
    NotUtf8(usize),
    /// The bytes are not one JSON value.
    #[error("record is not JSON: {0}")]
    NotJson(String),
    /// The JSON is not an object (an EventBridge envelope).
    #[error("record is JSON but not an object (an EventBridge event)")]
    NotAnObject,
    /// A field the partitioning needs is missing or not a string.
    #[error("record has no string \"{0}\" field (an EventBridge event needs one)")]
    MissingField(&'static str),
    /// `time` is not an RFC 3339 timestamp.
    #[error("record's \"time\" is not an RFC 3339 timestamp: {0:?}")]
    BadTime(String),
    /// `detail-type` cannot be a partition value.
    #[error(
        "record's \"detail-type\" cannot be a partition value (1–128 of A-Z a-z 0-9 _ . -): {0:?}"
    )]
    BadDetailType(String),
}

/// Validates one record (an EventBridge event as JSON) and frames it for the lake: the JSON on
/// one line plus `\n`, with its partition keys from `detail-type` and `time`.
///
/// Compact input (what EventBridge sends) is kept byte for byte, without trailing whitespace;
/// JSON spread over several lines is re-serialised compactly so each line stays one event.
pub fn transform_record(data: &[u8]) -> Result<LakeRecord, RecordError> {
    let text = std::str::from_utf8(data).map_err(|e| RecordError::NotUtf8(e.valid_up_to()))?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| RecordError::NotJson(e.to_string()))?;
    let object = value.as_object().ok_or(RecordError::NotAnObject)?;
    let field = |name: &'static str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .ok_or(RecordError::MissingField(name))
    };
    let detail_type = field("detail-type")?;
    let time = field("time")?;
    let time = DateTime::parse_from_rfc3339(time)
        .map_err(|_| RecordError::BadTime(time.chars().take(64).collect()))?
        .with_timezone(&Utc);
    let keys = PartitionKeys::new(detail_type, time)?;
    let trimmed = text.trim();
    let mut line = if trimmed.contains(['\n', '\r']) {
        serde_json::to_vec(&value).map_err(|e| RecordError::NotJson(e.to_string()))?
    } else {
        trimmed.as_bytes().to_vec()
    };
    line.push(b'\n');
    Ok(LakeRecord { data: line, keys })
}

/// [`transform_record`] for an event already in memory (the local bus's): the same rule and
/// framing, serialised once instead of written out and parsed back.
pub fn transform_envelope(event: &Envelope) -> Result<LakeRecord, RecordError> {
    let keys = PartitionKeys::new(&event.detail_type, event.time)?;
    let mut line = serde_json::to_vec(event).map_err(|e| RecordError::NotJson(e.to_string()))?;
    line.push(b'\n');
    Ok(LakeRecord { data: line, keys })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"version":"0","id":"e1","detail-type":"MESSAGE_ANALYSED","source":"starling.analysis","account":"1","time":"2026-11-23T07:05:09Z","region":"eu-west-1","resources":[],"detail":{"Text":"hi"}}"#;

    #[test]
    fn an_envelope_in_memory_frames_and_partitions_as_its_bytes_do() {
        let event: Envelope = serde_json::from_str(EVENT).unwrap();
        let from_bytes = transform_record(EVENT.as_bytes()).unwrap();
        let from_memory = transform_envelope(&event).unwrap();
        assert_eq!(from_memory.keys, from_bytes.keys);
        let line: Value = serde_json::from_slice(&from_memory.data).unwrap();
        assert_eq!(line, serde_json::from_str::<Value>(EVENT).unwrap());
        assert_eq!(from_memory.data.iter().filter(|b| **b == b'\n').count(), 1);
        assert!(from_memory.data.ends_with(b"\n"));
        let mut bad = event;
        bad.detail_type = "../x".into();
        assert!(matches!(
            transform_envelope(&bad),
            Err(RecordError::BadDetailType(_))
        ));
    }

    #[test]
    fn a_time_outside_years_0_to_9999_has_no_partition() {
        // Found by the lake_record fuzz target: an envelope whose time was year -2026 was framed
        // under `dt=-2026-11-23` in memory, while the same event as bytes was refused.
        let before_year_0 = EVENT.replace("2026-11-23T07:05:09Z", "-2026-11-23T07:05:09Z");
        let event: Envelope = serde_json::from_str(&before_year_0).unwrap();
        assert!(matches!(
            transform_envelope(&event),
            Err(RecordError::BadTime(_))
        ));
        assert!(matches!(
            transform_record(before_year_0.as_bytes()),
            Err(RecordError::BadTime(_))
        ));
        // A valid RFC 3339 time whose offset carries it into year 10000.
        let after_9999 = EVENT.replace("2026-11-23T07:05:09Z", "9999-12-31T23:30:00-01:00");
        assert!(matches!(
            transform_record(after_9999.as_bytes()),
            Err(RecordError::BadTime(_))
        ));
    }

    #[test]
    fn a_valid_event_is_kept_verbatim_with_a_newline_and_partitioned_by_type_day_and_hour() {
        let record = transform_record(EVENT.as_bytes()).unwrap();
        assert_eq!(record.data, format!("{EVENT}\n").into_bytes());
        assert_eq!(
            record.keys.pairs(),
            [
                ("detail_type", "MESSAGE_ANALYSED"),
                ("dt", "2026-11-23"),
                ("hour", "07")
            ]
        );
        assert_eq!(
            record.keys.prefix(),
            "detail_type=MESSAGE_ANALYSED/dt=2026-11-23/hour=07/"
        );
    }

    #[test]
    fn the_partition_is_the_utc_day_and_hour_of_an_offset_time() {
        let event = EVENT.replace("2026-11-23T07:05:09Z", "2026-11-23T23:30:00-02:00");
        let keys = transform_record(event.as_bytes()).unwrap().keys;
        assert_eq!((keys.dt.as_str(), keys.hour.as_str()), ("2026-11-24", "01"));
    }

    #[test]
    fn pretty_printed_json_becomes_one_line_and_a_trailing_newline_is_not_doubled() {
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(EVENT).unwrap()).unwrap();
        let record = transform_record(pretty.as_bytes()).unwrap();
        let text = String::from_utf8(record.data).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with("}\n"));
        let again = transform_record(format!("{EVENT}\n").as_bytes()).unwrap();
        assert_eq!(again.data, format!("{EVENT}\n").into_bytes());
    }

    #[test]
    fn invalid_records_are_refused_with_the_reason() {
        assert!(matches!(
            transform_record(b"{not json"),
            Err(RecordError::NotJson(_))
        ));
        assert_eq!(transform_record(b"[1]"), Err(RecordError::NotAnObject));
        assert_eq!(
            transform_record(br#"{"time":"2026-11-23T07:05:09Z"}"#),
            Err(RecordError::MissingField("detail-type"))
        );
        assert_eq!(
            transform_record(br#"{"detail-type":"X","time":5}"#),
            Err(RecordError::MissingField("time"))
        );
        assert!(matches!(
            transform_record(br#"{"detail-type":"X","time":"yesterday"}"#),
            Err(RecordError::BadTime(_))
        ));
        for bad in ["", "..", "a/b", "A B", "x\u{e9}"] {
            let event = EVENT.replace("MESSAGE_ANALYSED", bad);
            assert!(
                matches!(
                    transform_record(event.as_bytes()),
                    Err(RecordError::BadDetailType(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn non_utf8_bytes_are_refused_with_their_position() {
        let mut bytes = EVENT.as_bytes().to_vec();
        bytes[10] = 0xff;
        assert_eq!(transform_record(&bytes), Err(RecordError::NotUtf8(10)));
    }
}
