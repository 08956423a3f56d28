//! EventBridge pattern compile + match. The input is a pattern's JSON text, then optionally a
//! 0xFF byte and an event's JSON (else a fixed MESSAGE_ANALYSED event is matched).
//!
//! Properties: compiling and matching never panic and matching is deterministic; `parse` of a
//! document's text and `from_value` of the same document agree (validity and every match); and for
//! the event's top-level scalar fields, `{field: [value]}` matches the event while
//! `{field: [{"anything-but": [value]}]}` does not, whenever EventBridge accepts those patterns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use starling_patterns::Pattern;

const DEFAULT_EVENT: &str = r#"{"version":"0","id":"e1","detail-type":"MESSAGE_ANALYSED","source":"starling.analysis","account":"000000000000","time":"2026-01-02T03:04:05Z","region":"local","resources":["123"],"detail":{"Text":"hello @bot","Analysis":{"TextSentiment":"NEGATIVE","TextSentimentScore":{"Negative":0.91}},"Images":[{"Url":"https://pbs.twimg.com/media/a.jpg","Faces":2}],"Twitter":{"TweetId":"123","UserId":"42"}}}"#;

fuzz_target!(|data: &[u8]| {
    let (pattern_bytes, event_bytes) = match data.iter().position(|b| *b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, DEFAULT_EVENT.as_bytes()),
    };
    let Ok(pattern_text) = std::str::from_utf8(pattern_bytes) else {
        return;
    };
    let Ok(event) = serde_json::from_slice::<Value>(event_bytes) else {
        return;
    };

    let parsed = Pattern::parse(pattern_text);
    if let Ok(pattern) = &parsed {
        let first = pattern.matches(&event);
        assert_eq!(
            first,
            pattern.matches(&event),
            "matching is not deterministic"
        );
    }

    // The same document through both entry points.
    if let Ok(document) = serde_json::from_str::<Value>(pattern_text) {
        let from_text = Pattern::parse(&document.to_string());
        let from_value = Pattern::from_value(&document);
        match (&from_text, &from_value) {
            (Ok(a), Ok(b)) => assert_eq!(a.matches(&event), b.matches(&event)),
            (Err(_), Err(_)) => {}
            _ => panic!("parse and from_value disagree: {from_text:?} vs {from_value:?}"),
        }
    }

    // Every scalar field of the event matches itself, and its anything-but does not.
    let Some(object) = event.as_object() else {
        return;
    };
    for (key, value) in object.iter().take(16) {
        if key.starts_with('$') || key.contains('.') || !is_scalar(value) {
            continue;
        }
        let mut equal = Map::new();
        equal.insert(key.clone(), json!([value]));
        if let Ok(pattern) = Pattern::from_value(&Value::Object(equal)) {
            assert!(
                pattern.matches(&event),
                "{key}: [{value}] does not match itself"
            );
        }
        let mut but = Map::new();
        but.insert(key.clone(), json!([{ "anything-but": [value] }]));
        if let Ok(pattern) = Pattern::from_value(&Value::Object(but)) {
            assert!(
                !pattern.matches(&event),
                "{key}: anything-but [{value}] matches {value}"
            );
        }
    }
});

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}
