//! The lake record transform (`starling_core::lake`, shared by the Firehose transform Lambda and
//! the local lake writer). The input is a record's bytes.
//!
//! Properties: an accepted record is the same JSON (floats to within a few ulps when a record
//! spread over lines is re-serialised) on exactly one line ending in `\n`; its partition is its
//! `detail-type` (a safe path segment) and the UTC `YYYY-MM-DD` and `HH` of its `time`, so the
//! prefix is three `key=value/` segments; and an envelope in memory frames and partitions as its
//! bytes do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use starling_contracts::Envelope;
use starling_core::lake::{LakeRecord, transform_envelope, transform_record};
use starling_fuzz::same_json;

fn check(record: &LakeRecord) {
    let data = &record.data;
    assert_eq!(data.last(), Some(&b'\n'));
    assert_eq!(
        data.iter().filter(|b| **b == b'\n' || **b == b'\r').count(),
        1,
        "not one line"
    );
    let keys = &record.keys;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let dt: Vec<&str> = keys.dt.split('-').collect();
    assert!(
        dt.len() == 3
            && dt[0].len() == 4
            && dt[1].len() == 2
            && dt[2].len() == 2
            && dt.iter().all(|p| digits(p)),
        "dt {:?} is not YYYY-MM-DD",
        keys.dt
    );
    assert!(
        keys.hour.len() == 2 && digits(&keys.hour) && keys.hour.as_str() < "24",
        "hour {:?}",
        keys.hour
    );
    let prefix = keys.prefix();
    let segments: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    assert_eq!(segments.len(), 3, "{prefix}");
    for (segment, key) in segments.iter().zip(["detail_type=", "dt=", "hour="]) {
        let value = segment.strip_prefix(key).expect("key=value");
        assert!(
            !value.is_empty() && value != "." && value != "..",
            "{prefix}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = transform_record(data) {
        check(&record);
        let original: Value = serde_json::from_slice(data).expect("accepted JSON");
        let line: Value = serde_json::from_slice(&record.data).expect("the line is JSON");
        assert!(
            same_json(&line, &original),
            "the record changed: {line} from {original}"
        );
        assert_eq!(
            Some(record.keys.detail_type.as_str()),
            original["detail-type"].as_str()
        );
    }

    if let Ok(event) = serde_json::from_slice::<Envelope>(data)
        && let Ok(record) = transform_envelope(&event)
    {
        check(&record);
        let back: Envelope = serde_json::from_slice(&record.data).expect("the line is an envelope");
        assert_eq!(
            (&back.detail_type, back.time),
            (&event.detail_type, event.time)
        );
        assert!(same_json(&back.detail, &event.detail), "the detail changed");
        let from_bytes = transform_record(&record.data).expect("its own line is accepted");
        assert_eq!(from_bytes.keys, record.keys);
        assert_eq!(from_bytes.data, record.data);
    }
});
