//! Patterns and events come from users: no input may panic, overflow the
//! stack, or take unbounded time.

#![allow(clippy::unwrap_used, missing_docs)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use starling_patterns::Pattern;

/// Keys that steer generated JSON into the compiler's interesting paths.
const KEYS: &[&str] = &[
    "a",
    "b",
    "a.b",
    "$or",
    "prefix",
    "suffix",
    "anything-but",
    "numeric",
    "exists",
    "wildcard",
    "cidr",
    "equals-ignore-case",
    "exactly",
    "",
    "detail",
];

const STRINGS: &[&str] = &[
    "",
    "x",
    "*",
    "a*b",
    "\\*",
    "a**b",
    "\\x",
    "10.0.0.0/8",
    "::/0",
    "10.0.0.1",
    "2001:db8::1",
    ">",
    ">=",
    "<",
    "<=",
    "=",
    "ß",
    "İ",
    "ǅ",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        prop::sample::select(STRINGS).prop_map(|s| json!(s)),
        "[a-zA-Z0-9.:*\\\\/ ]{0,8}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..5).prop_map(|fields| {
                Value::Object(
                    fields
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_patterns_and_events_never_panic(pattern in json_value(), event in json_value()) {
        if let Ok(p) = Pattern::from_value(&pattern) {
            let _ = p.matches(&event);
        }
        if let Ok(p) = Pattern::parse(&pattern.to_string()) {
            let _ = p.matches(&event);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}") {
        let _ = Pattern::parse(&text);
    }
}

/// Runs `f` on a thread with a 2 MiB stack (a Tokio worker's default).
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_pattern_with_thousands_of_fields_matches_on_a_small_stack() {
    on_small_stack(|| {
        let fields: Map<String, Value> = (0..5000).map(|i| (format!("f{i}"), json!([i]))).collect();
        let event: Map<String, Value> = (0..5000).map(|i| (format!("f{i}"), json!(i))).collect();
        let p = Pattern::from_value(&Value::Object(fields)).unwrap();
        assert!(p.matches(&Value::Object(event)));
    });
}

#[test]
fn thousands_of_fields_below_one_array_match_on_a_small_stack() {
    on_small_stack(|| {
        let inner: Map<String, Value> = (0..3000).map(|i| (format!("f{i}"), json!([i]))).collect();
        let element: Map<String, Value> = (0..3000).map(|i| (format!("f{i}"), json!(i))).collect();
        let p = Pattern::from_value(&json!({"items": inner})).unwrap();
        assert!(p.matches(&json!({"items": [{"other": 1}, element]})));
    });
}

#[test]
fn deeply_nested_patterns_are_refused_not_overflowed() {
    on_small_stack(|| {
        let mut v = json!(["x"]);
        for _ in 0..1000 {
            v = Value::Object(Map::from_iter([("k".to_owned(), v)]));
        }
        assert!(Pattern::from_value(&v).is_err());
        let mut text = String::new();
        for _ in 0..1000 {
            text.push_str(r#"{"k":"#);
        }
        text.push_str(r#"["x"]"#);
        text.push_str(&"}".repeat(1000));
        assert!(Pattern::parse(&text).is_err());
        // Leak the deep value: dropping it recursively is serde_json's business, not ours.
        std::mem::forget(v);
    });
}

#[test]
fn deeply_nested_event_arrays_are_bounded() {
    on_small_stack(|| {
        let mut v = json!("x");
        for _ in 0..5000 {
            v = Value::Array(vec![v]);
        }
        let event = Value::Object(Map::from_iter([("a".to_owned(), v)]));
        let p = Pattern::parse(r#"{"a": ["x"]}"#).unwrap();
        let _ = p.matches(&event);
        std::mem::forget(event);
    });
}

#[test]
fn pathological_wildcards_stay_fast() {
    let p = Pattern::parse(r#"{"s": [{"wildcard": "*a*a*a*a*a*a*a*a*a*a*b"}]}"#).unwrap();
    let event = json!({"s": "a".repeat(100_000)});
    let started = std::time::Instant::now();
    assert!(!p.matches(&event));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_thousand_fields_each_in_its_own_array_match_on_a_small_stack() {
    on_small_stack(|| {
        let n = 1000;
        let pattern: Map<String, Value> = (0..n)
            .map(|i| (format!("a{i}"), json!({"x": [i]})))
            .collect();
        let event: Map<String, Value> = (0..n)
            .map(|i| (format!("a{i}"), json!([{"x": -1}, {"x": i}])))
            .collect();
        let p = Pattern::from_value(&Value::Object(pattern)).unwrap();
        assert!(p.matches(&Value::Object(event)));
    });
}

#[test]
fn patterns_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<Pattern>();
    assert_send_sync::<starling_patterns::PatternError>();
}
