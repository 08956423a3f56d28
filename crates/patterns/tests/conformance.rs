//! Conformance tests: one behaviour of EventBridge's content filtering per
//! test, written from the examples in AWS's EventBridge documentation and the
//! behaviours event-ruler's test suite pins down.

#![allow(clippy::unwrap_used, missing_docs)]

use serde_json::{Value, json};
use starling_patterns::{Pattern, PatternError};

/// An EventBridge envelope around `detail`, like the documentation's EC2 example.
fn envelope(detail: Value) -> Value {
    json!({
        "version": "0",
        "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "012345679012",
        "time": "2017-10-02T16:24:49Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
        "detail": detail
    })
}

/// Whether `pattern` (JSON text) matches an envelope whose detail is `detail`.
fn matches(pattern: &str, detail: Value) -> bool {
    Pattern::parse(pattern).unwrap().matches(&envelope(detail))
}

/// Whether `pattern` matches the raw event `event` (no envelope).
fn matches_raw(pattern: &str, event: Value) -> bool {
    Pattern::parse(pattern).unwrap().matches(&event)
}

/// The error for an invalid pattern, as text.
fn invalid(pattern: &str) -> String {
    match Pattern::parse(pattern) {
        Ok(p) => panic!("pattern {pattern} should be invalid, compiled to {p:?}"),
        Err(e) => e.to_string(),
    }
}

fn valid(pattern: &str) {
    if let Err(e) = Pattern::parse(pattern) {
        panic!("pattern {pattern} should be valid: {e}");
    }
}

// ---------------------------------------------------------------- exact values

#[test]
fn exact_string_matches_equal_value() {
    assert!(matches(
        r#"{"detail": {"state": ["running"]}}"#,
        json!({"state": "running"})
    ));
}

#[test]
fn exact_string_rejects_different_value() {
    assert!(!matches(
        r#"{"detail": {"state": ["running"]}}"#,
        json!({"state": "stopped"})
    ));
}

#[test]
fn exact_string_is_case_sensitive() {
    assert!(!matches(
        r#"{"detail": {"state": ["running"]}}"#,
        json!({"state": "Running"})
    ));
}

#[test]
fn values_in_a_pattern_array_are_alternatives() {
    let p = r#"{"detail": {"state": ["initializing", "running"]}}"#;
    assert!(matches(p, json!({"state": "initializing"})));
    assert!(matches(p, json!({"state": "running"})));
    assert!(!matches(p, json!({"state": "stopped"})));
}

#[test]
fn every_field_of_the_pattern_must_match() {
    let p = r#"{"source": ["aws.ec2"], "detail": {"state": ["running"]}}"#;
    assert!(matches(p, json!({"state": "running"})));
    assert!(!matches(
        r#"{"source": ["aws.s3"], "detail": {"state": ["running"]}}"#,
        json!({"state": "running"})
    ));
}

#[test]
fn missing_field_does_not_match() {
    assert!(!matches(
        r#"{"detail": {"state": ["running"]}}"#,
        json!({"other": "running"})
    ));
}

#[test]
fn event_fields_absent_from_the_pattern_are_ignored() {
    assert!(matches(
        r#"{"detail": {"state": ["running"]}}"#,
        json!({"state": "running", "x": 1, "y": {"z": []}})
    ));
}

#[test]
fn envelope_fields_match() {
    let p = r#"{
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        "account": ["012345679012"],
        "region": ["us-east-1"],
        "version": ["0"],
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"]
    }"#;
    assert!(matches(p, json!({})));
}

#[test]
fn nested_fields_match_by_structure() {
    let p = r#"{"detail": {"a": {"b": {"c": ["deep"]}}}}"#;
    assert!(matches(p, json!({"a": {"b": {"c": "deep"}}})));
    assert!(!matches(p, json!({"a": {"c": "deep"}})));
    assert!(!matches(p, json!({"c": "deep"})));
}

#[test]
fn dotted_pattern_keys_and_nested_keys_name_the_same_field() {
    // EventBridge flattens names with '.', in patterns and in events alike.
    assert!(matches_raw(
        r#"{"detail.state": ["running"]}"#,
        json!({"detail": {"state": "running"}})
    ));
    assert!(matches_raw(
        r#"{"detail": {"state": ["running"]}}"#,
        json!({"detail.state": "running"})
    ));
    assert!(matches_raw(
        r#"{"a": {"b.c": [1]}}"#,
        json!({"a.b": {"c": 1}})
    ));
    assert!(!matches_raw(
        r#"{"detail.state": ["running"]}"#,
        json!({"detail": {"stat": "running"}})
    ));
}

#[test]
fn object_at_a_value_path_does_not_match_a_value() {
    assert!(!matches(
        r#"{"detail": {"state": ["running"]}}"#,
        json!({"state": {"name": "running"}})
    ));
}

#[test]
fn empty_string_matches_empty_string() {
    assert!(matches(
        r#"{"detail": {"eventVersion": [""]}}"#,
        json!({"eventVersion": ""})
    ));
}

#[test]
fn empty_string_does_not_match_null_or_missing() {
    let p = r#"{"detail": {"eventVersion": [""]}}"#;
    assert!(!matches(p, json!({"eventVersion": null})));
    assert!(!matches(p, json!({})));
}

#[test]
fn null_matches_null() {
    assert!(matches(
        r#"{"detail": {"responseElements": [null]}}"#,
        json!({"responseElements": null})
    ));
}

#[test]
fn null_does_not_match_empty_string_or_missing_field() {
    let p = r#"{"detail": {"responseElements": [null]}}"#;
    assert!(!matches(p, json!({"responseElements": ""})));
    assert!(!matches(p, json!({})));
}

#[test]
fn booleans_match_booleans_not_strings() {
    let p = r#"{"detail": {"enabled": [true]}}"#;
    assert!(matches(p, json!({"enabled": true})));
    assert!(!matches(p, json!({"enabled": false})));
    assert!(!matches(p, json!({"enabled": "true"})));
}

#[test]
fn numbers_match_numerically_equal_numbers() {
    assert!(matches(
        r#"{"detail": {"count": [5]}}"#,
        json!({"count": 5.0})
    ));
    assert!(matches(
        r#"{"detail": {"count": [5.0]}}"#,
        json!({"count": 5})
    ));
    assert!(matches(
        r#"{"detail": {"limit": [3.018e2]}}"#,
        json!({"limit": 301.8})
    ));
    assert!(!matches(
        r#"{"detail": {"count": [5]}}"#,
        json!({"count": 6})
    ));
}

#[test]
fn numbers_do_not_match_strings_and_strings_do_not_match_numbers() {
    assert!(!matches(
        r#"{"detail": {"count": [5]}}"#,
        json!({"count": "5"})
    ));
    assert!(!matches(
        r#"{"detail": {"count": ["5"]}}"#,
        json!({"count": 5})
    ));
}

#[test]
fn large_integers_compare_exactly() {
    assert!(matches_raw(
        r#"{"account": [123456789012]}"#,
        json!({"account": 123456789012_u64})
    ));
    assert!(!matches_raw(
        r#"{"n": [9007199254740993]}"#,
        json!({"n": 9007199254740992_u64})
    ));
}

// ---------------------------------------------------------------- arrays

#[test]
fn event_array_matches_when_any_element_matches() {
    let p = r#"{"detail": {"tags": ["Euro-fleet", "Asia-fleet"]}}"#;
    assert!(matches(p, json!({"tags": ["2015Q1", "Euro-fleet"]})));
}

#[test]
fn event_array_without_a_matching_element_does_not_match() {
    let p = r#"{"detail": {"tags": ["Euro-fleet"]}}"#;
    assert!(!matches(p, json!({"tags": ["2015Q1", "US-fleet"]})));
}

#[test]
fn empty_event_array_matches_no_value() {
    assert!(!matches(
        r#"{"detail": {"tags": ["Euro-fleet"]}}"#,
        json!({"tags": []})
    ));
}

#[test]
fn event_array_of_objects_matches_fields_of_its_elements() {
    let event = json!({"employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"}
    ]});
    assert!(matches_raw(
        r#"{"employees": {"firstName": ["Anna"]}}"#,
        event.clone()
    ));
    assert!(!matches_raw(
        r#"{"employees": {"firstName": ["Alice"]}}"#,
        event
    ));
}

#[test]
fn fields_must_come_from_the_same_array_element() {
    let event = json!({"employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"}
    ]});
    assert!(matches_raw(
        r#"{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}"#,
        event.clone()
    ));
    assert!(!matches_raw(
        r#"{"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}"#,
        event
    ));
}

#[test]
fn nested_event_arrays_are_searched() {
    let event = json!({"employees": [
        [{"firstName": "John", "ids": [1234, 1000, 9999]}, {"firstName": "Anna"}],
        [{"firstName": "Peter", "ids": []}]
    ]});
    assert!(matches_raw(
        r#"{"employees": {"firstName": ["John"], "ids": [1000]}}"#,
        event.clone()
    ));
    assert!(!matches_raw(
        r#"{"employees": {"firstName": ["Anna"], "ids": [1000]}}"#,
        event.clone()
    ));
    assert!(!matches_raw(r#"{"employees": ["b"]}"#, event));
}

#[test]
fn fields_under_different_keys_may_use_different_elements_of_different_arrays() {
    let event = json!({"a": [{"x": 1}, {"x": 2}], "b": [{"y": 3}, {"y": 4}]});
    assert!(matches_raw(r#"{"a": {"x": [2]}, "b": {"y": [3]}}"#, event));
}

// ---------------------------------------------------------------- prefix / suffix

#[test]
fn prefix_matches_start_of_string() {
    assert!(matches_raw(
        r#"{"time": [{"prefix": "2017-10-02"}]}"#,
        json!({"time": "2017-10-02T18:43:48Z"})
    ));
}

#[test]
fn prefix_rejects_string_with_other_start() {
    assert!(!matches_raw(
        r#"{"time": [{"prefix": "2017-10-02"}]}"#,
        json!({"time": "2017-10-03T18:43:48Z"})
    ));
}

#[test]
fn prefix_only_matches_strings() {
    assert!(!matches_raw(
        r#"{"n": [{"prefix": "12"}]}"#,
        json!({"n": 123})
    ));
}

#[test]
fn empty_prefix_matches_any_string() {
    assert!(matches_raw(r#"{"s": [{"prefix": ""}]}"#, json!({"s": "x"})));
    assert!(!matches_raw(
        r#"{"s": [{"prefix": ""}]}"#,
        json!({"s": null})
    ));
}

#[test]
fn prefix_equals_ignore_case_matches_any_casing() {
    let p = r#"{"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}"#;
    assert!(matches_raw(p, json!({"service": "EventBridge"})));
    assert!(matches_raw(p, json!({"service": "EVENTBRIDGE"})));
    assert!(matches_raw(p, json!({"service": "eventbus"})));
}

#[test]
fn prefix_equals_ignore_case_rejects_other_start() {
    assert!(!matches_raw(
        r#"{"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}"#,
        json!({"service": "SNS"})
    ));
}

#[test]
fn suffix_matches_end_of_string() {
    assert!(matches_raw(
        r#"{"FileName": [{"suffix": ".png"}]}"#,
        json!({"FileName": "image.png"})
    ));
}

#[test]
fn suffix_rejects_string_with_other_end() {
    assert!(!matches_raw(
        r#"{"FileName": [{"suffix": ".png"}]}"#,
        json!({"FileName": "image.png.jpg"})
    ));
}

#[test]
fn suffix_equals_ignore_case_matches_any_casing() {
    let p = r#"{"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}"#;
    assert!(matches_raw(p, json!({"FileName": "image.PNG"})));
    assert!(matches_raw(p, json!({"FileName": "image.Png"})));
    assert!(!matches_raw(p, json!({"FileName": "image.jpg"})));
}

// ---------------------------------------------------------------- equals-ignore-case

#[test]
fn equals_ignore_case_matches_any_casing() {
    let p = r#"{"name": [{"equals-ignore-case": "alice"}]}"#;
    assert!(matches_raw(p, json!({"name": "Alice"})));
    assert!(matches_raw(p, json!({"name": "ALICE"})));
}

#[test]
fn equals_ignore_case_requires_the_whole_string() {
    let p = r#"{"name": [{"equals-ignore-case": "alice"}]}"#;
    assert!(!matches_raw(p, json!({"name": "Alice Smith"})));
    assert!(!matches_raw(p, json!({"name": "Alic"})));
}

#[test]
fn equals_ignore_case_folds_non_ascii_letters() {
    assert!(matches_raw(
        r#"{"s": [{"equals-ignore-case": "Éclair"}]}"#,
        json!({"s": "éCLAIR"})
    ));
    assert!(matches_raw(
        r#"{"s": [{"equals-ignore-case": "straße"}]}"#,
        json!({"s": "STRASSE"})
    ));
}

#[test]
fn equals_ignore_case_only_matches_strings() {
    assert!(!matches_raw(
        r#"{"s": [{"equals-ignore-case": "true"}]}"#,
        json!({"s": true})
    ));
}

// ---------------------------------------------------------------- anything-but

#[test]
fn anything_but_string_rejects_that_string() {
    assert!(!matches(
        r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#,
        json!({"state": "initializing"})
    ));
}

#[test]
fn anything_but_string_matches_other_strings() {
    assert!(matches(
        r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#,
        json!({"state": "running"})
    ));
}

#[test]
fn anything_but_string_list_rejects_every_listed_string() {
    let p = r#"{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}"#;
    assert!(!matches(p, json!({"state": "stopped"})));
    assert!(!matches(p, json!({"state": "overloaded"})));
    assert!(matches(p, json!({"state": "running"})));
}

#[test]
fn anything_but_number_rejects_numerically_equal_numbers() {
    let p = r#"{"detail": {"x-limit": [{"anything-but": 123}]}}"#;
    assert!(!matches(p, json!({"x-limit": 123})));
    assert!(!matches(p, json!({"x-limit": 123.0})));
    assert!(matches(p, json!({"x-limit": 124})));
}

#[test]
fn anything_but_number_list_rejects_every_listed_number() {
    let p = r#"{"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}"#;
    assert!(!matches(p, json!({"x-limit": 200})));
    assert!(matches(p, json!({"x-limit": 301.8})));
}

#[test]
fn anything_but_matches_values_of_another_type() {
    assert!(matches(
        r#"{"detail": {"v": [{"anything-but": "5"}]}}"#,
        json!({"v": 5})
    ));
    assert!(matches(
        r#"{"detail": {"v": [{"anything-but": 5}]}}"#,
        json!({"v": "5"})
    ));
    assert!(matches(
        r#"{"detail": {"v": [{"anything-but": "x"}]}}"#,
        json!({"v": null})
    ));
    assert!(matches(
        r#"{"detail": {"v": [{"anything-but": {"prefix": "x"}}]}}"#,
        json!({"v": true})
    ));
}

#[test]
fn anything_but_does_not_match_a_missing_field() {
    assert!(!matches(
        r#"{"detail": {"state": [{"anything-but": "initializing"}]}}"#,
        json!({})
    ));
}

#[test]
fn anything_but_matches_an_array_holding_any_other_value() {
    let p = r#"{"detail": {"price": [{"anything-but": [100, 500]}]}}"#;
    assert!(matches(p, json!({"price": [100, 50]})));
    assert!(!matches(p, json!({"price": [100, 500]})));
}

#[test]
fn anything_but_forms_combine_across_fields() {
    let p = Pattern::parse(
        r#"{
        "a": [{"anything-but": ["dad0", "dad1", "dad2"]}],
        "b": [{"anything-but": [111, 222, 333]}],
        "c": [{"anything-but": "zdd"}],
        "d": [{"anything-but": 444}],
        "z": [{"numeric": [">", 0, "<", 1]}],
        "w": [{"anything-but": {"prefix": "zax"}}],
        "n": [{"anything-but": {"suffix": "ing"}}],
        "o": [{"anything-but": {"equals-ignore-case": "CamelCase"}}],
        "p": [{"anything-but": {"equals-ignore-case": ["CamelCase", "AbC"]}}]
    }"#,
    )
    .unwrap();
    let base = json!({
        "a": "child1", "b": "444", "c": "child1", "d": 123, "w": "xaz",
        "z": 0.001, "n": "nomatch", "o": "nomatch", "p": "nomatch"
    });
    assert!(
        p.matches(&base),
        "a numeric anything-but lets a string through"
    );
    for (field, value) in [
        ("c", json!("zdd")),
        ("z", json!(1.01)),
        ("a", json!("dad1")),
        ("b", json!(111)),
        ("d", json!(444)),
        ("w", json!("zaxonie")),
        ("n", json!("matching")),
        ("o", json!("camelcase")),
        ("p", json!("abc")),
    ] {
        let mut event = base.clone();
        event[field] = value;
        assert!(
            !p.matches(&event),
            "{field} should exclude {}",
            event[field]
        );
    }
}

#[test]
fn anything_but_prefix_rejects_matching_prefix() {
    assert!(!matches(
        r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#,
        json!({"state": "initializing"})
    ));
}

#[test]
fn anything_but_prefix_matches_other_strings() {
    assert!(matches(
        r#"{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}"#,
        json!({"state": "running"})
    ));
}

#[test]
fn anything_but_prefix_list_rejects_any_listed_prefix() {
    let p = r#"{"detail": {"state": [{"anything-but": {"prefix": ["init", "error"]}}]}}"#;
    assert!(!matches(p, json!({"state": "error-42"})));
    assert!(!matches(p, json!({"state": "initializing"})));
    assert!(matches(p, json!({"state": "running"})));
}

#[test]
fn anything_but_suffix_rejects_matching_suffix() {
    let p = r#"{"detail": {"instance-id": [{"anything-but": {"suffix": "1234"}}]}}"#;
    assert!(!matches(p, json!({"instance-id": "i-1234"})));
    assert!(matches(p, json!({"instance-id": "i-5678"})));
}

#[test]
fn anything_but_suffix_list_rejects_any_listed_suffix() {
    let p = r#"{"detail": {"instance-id": [{"anything-but": {"suffix": ["1234", "6789"]}}]}}"#;
    assert!(!matches(p, json!({"instance-id": "i-6789"})));
    assert!(matches(p, json!({"instance-id": "i-0000"})));
}

#[test]
fn anything_but_equals_ignore_case_rejects_any_casing() {
    let p = r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": "Stopped"}}]}}"#;
    assert!(!matches(p, json!({"state": "STOPPED"})));
    assert!(!matches(p, json!({"state": "stopped"})));
    assert!(matches(p, json!({"state": "running"})));
}

#[test]
fn anything_but_equals_ignore_case_list_rejects_every_listed_value() {
    let p = r#"{"detail": {"state": [{"anything-but": {"equals-ignore-case": ["Stopped", "OverLoaded"]}}]}}"#;
    assert!(!matches(p, json!({"state": "overloaded"})));
    assert!(matches(p, json!({"state": "running"})));
}

#[test]
fn anything_but_wildcard_rejects_matching_strings() {
    let p = r#"{"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}"#;
    assert!(!matches(p, json!({"FilePath": "/usr/lib/libc.so"})));
    assert!(matches(p, json!({"FilePath": "/usr/bin/ls"})));
}

#[test]
fn anything_but_wildcard_list_rejects_any_listed_wildcard() {
    let p = r#"{"detail": {"state": [{"anything-but": {"wildcard": ["*/bin/*.jar", "*/bin/*.class"]}}]}}"#;
    assert!(!matches(p, json!({"state": "/opt/bin/app.class"})));
    assert!(matches(p, json!({"state": "/opt/lib/app.class"})));
}

#[test]
fn anything_but_empty_string_matches_non_empty_strings() {
    let p = r#"{"detail": {"Text": [{"anything-but": ""}]}}"#;
    assert!(matches(p, json!({"Text": "hello"})));
    assert!(!matches(p, json!({"Text": ""})));
}

// ---------------------------------------------------------------- numeric

#[test]
fn numeric_range_respects_open_and_closed_bounds() {
    let p = r#"{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}"#;
    assert!(!matches(p, json!({"c-count": 0})));
    assert!(matches(p, json!({"c-count": 0.1})));
    assert!(matches(p, json!({"c-count": 5})));
    assert!(!matches(p, json!({"c-count": 5.01})));
}

#[test]
fn numeric_less_than() {
    let p = r#"{"detail": {"d-count": [{"numeric": ["<", 10]}]}}"#;
    assert!(matches(p, json!({"d-count": 3})));
    assert!(matches(p, json!({"d-count": -1e12})));
    assert!(!matches(p, json!({"d-count": 10})));
}

#[test]
fn numeric_greater_or_equal_and_less_or_equal() {
    assert!(matches(
        r#"{"detail": {"n": [{"numeric": [">=", 10]}]}}"#,
        json!({"n": 10})
    ));
    assert!(!matches(
        r#"{"detail": {"n": [{"numeric": [">=", 10]}]}}"#,
        json!({"n": 9.999})
    ));
    assert!(matches(
        r#"{"detail": {"n": [{"numeric": ["<=", 10]}]}}"#,
        json!({"n": 10})
    ));
    assert!(matches(
        r#"{"detail": {"n": [{"numeric": [">=", 0, "<", 1]}]}}"#,
        json!({"n": 0})
    ));
}

#[test]
fn numeric_equals_compares_numerically() {
    let p = r#"{"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}"#;
    assert!(matches(p, json!({"x-limit": 301.8})));
    assert!(!matches(p, json!({"x-limit": 301.81})));
}

#[test]
fn numeric_only_matches_numbers() {
    let p = r#"{"detail": {"n": [{"numeric": [">", 0]}]}}"#;
    assert!(!matches(p, json!({"n": "5"})));
    assert!(!matches(p, json!({"n": true})));
    assert!(!matches(p, json!({})));
}

#[test]
fn numeric_matches_any_number_of_an_event_array() {
    assert!(matches(
        r#"{"detail": {"n": [{"numeric": [">", 100]}]}}"#,
        json!({"n": [1, 2, 300]})
    ));
}

#[test]
fn numeric_accepts_the_documented_operator_forms() {
    for good in [
        r#"["=", 3.8]"#,
        r#"["=", 0.000033]"#,
        r#"["=", -4e-6]"#,
        r#"["=", 55555]"#,
        r#"["=", 1E-320]"#,
        r#"["<", 3.8]"#,
        r#"["<=", -4e-6]"#,
        r#"[">", 55555]"#,
        r#"[">=", 1E-320]"#,
        r#"[">", 0, "<", 1]"#,
        r#"[">=", 0, "<", 1]"#,
        r#"[">", 0, "<=", 1]"#,
        r#"[">=", 0, "<=", 1]"#,
    ] {
        valid(&format!(r#"{{"x": [{{"numeric": {good}}}]}}"#));
    }
}

// ---------------------------------------------------------------- exists

#[test]
fn exists_true_matches_a_present_field() {
    assert!(matches(
        r#"{"detail": {"c-count": [{"exists": true}]}}"#,
        json!({"c-count": 5})
    ));
}

#[test]
fn exists_true_rejects_a_missing_field() {
    assert!(!matches(
        r#"{"detail": {"c-count": [{"exists": true}]}}"#,
        json!({"d-count": 5})
    ));
}

#[test]
fn exists_false_matches_a_missing_field() {
    assert!(matches(
        r#"{"detail": {"c-count": [{"exists": false}]}}"#,
        json!({"d-count": 5})
    ));
}

#[test]
fn exists_false_rejects_a_present_field() {
    assert!(!matches(
        r#"{"detail": {"c-count": [{"exists": false}]}}"#,
        json!({"c-count": 5})
    ));
}

#[test]
fn exists_counts_null_as_present() {
    assert!(matches(
        r#"{"detail": {"v": [{"exists": true}]}}"#,
        json!({"v": null})
    ));
    assert!(!matches(
        r#"{"detail": {"v": [{"exists": false}]}}"#,
        json!({"v": null})
    ));
}

#[test]
fn exists_only_sees_leaf_fields() {
    // An object is not a leaf: exists:true does not see it and exists:false does not mind it.
    let event = json!({"c-count": {"c1": 100}});
    assert!(!matches(
        r#"{"detail": {"c-count": [{"exists": true}]}}"#,
        event.clone()
    ));
    assert!(matches(
        r#"{"detail": {"c-count": [{"exists": false}]}}"#,
        event
    ));
}

#[test]
fn exists_sees_array_elements_not_empty_arrays() {
    assert!(matches(
        r#"{"detail": {"ids": [{"exists": true}]}}"#,
        json!({"ids": [1]})
    ));
    assert!(!matches(
        r#"{"detail": {"ids": [{"exists": true}]}}"#,
        json!({"ids": []})
    ));
    assert!(matches(
        r#"{"detail": {"ids": [{"exists": false}]}}"#,
        json!({"ids": []})
    ));
}

#[test]
fn exists_on_a_field_below_an_array_of_objects() {
    let p = r#"{"detail": {"Images": {"Key": [{"exists": true}]}}}"#;
    assert!(matches(
        p,
        json!({"Images": [{"Key": "a.png"}, {"Label": "cat"}]})
    ));
    assert!(!matches(p, json!({"Images": []})));
    assert!(!matches(p, json!({"Images": [{"Label": "cat"}]})));
}

#[test]
fn exists_false_is_checked_in_the_array_element_other_fields_matched() {
    let event = json!({"employees": [
        [{"firstName": "John", "ids": [1234, 1000]}, {"firstName": "Anna"}],
        [{"firstName": "Peter", "ids": []}]
    ]});
    assert!(matches_raw(
        r#"{"employees": {"firstName": ["Anna"], "ids": [{"exists": false}]}}"#,
        event.clone()
    ));
    assert!(!matches_raw(
        r#"{"employees": {"firstName": ["John"], "ids": [{"exists": false}]}}"#,
        event.clone()
    ));
    assert!(!matches_raw(
        r#"{"employees": {"firstName": ["Anna"], "ids": [{"exists": true}]}}"#,
        event
    ));
}

#[test]
fn exists_false_can_be_an_alternative_to_a_value() {
    let p = r#"{"detail": {"tier": [{"anything-but": ["gold", "silver"]}, {"exists": false}]}}"#;
    assert!(matches(p, json!({})));
    assert!(matches(p, json!({"tier": "bronze"})));
    assert!(!matches(p, json!({"tier": "gold"})));
}

#[test]
fn exists_false_on_a_top_level_field() {
    assert!(matches_raw(
        r#"{"b": [{"exists": false}]}"#,
        json!({"a": 1})
    ));
    assert!(!matches_raw(
        r#"{"b": [{"exists": false}]}"#,
        json!({"b": 2})
    ));
}

// ---------------------------------------------------------------- wildcard

#[test]
fn wildcard_star_matches_any_run_of_characters() {
    let p = r#"{"source": [{"wildcard": "Simple*Service"}]}"#;
    assert!(matches_raw(p, json!({"source": "SimpleService"})));
    assert!(matches_raw(
        p,
        json!({"source": "SimpleNotificationService"})
    ));
}

#[test]
fn wildcard_rejects_non_matching_strings() {
    assert!(!matches_raw(
        r#"{"source": [{"wildcard": "Simple*Service"}]}"#,
        json!({"source": "SimpleServices"})
    ));
}

#[test]
fn wildcard_matches_path_patterns() {
    let p = r#"{"detail": {"FilePath": [{"wildcard": "dir/*.png"}]}}"#;
    assert!(matches(p, json!({"FilePath": "dir/image.png"})));
    assert!(!matches(p, json!({"FilePath": "other/image.png"})));
    assert!(matches(
        r#"{"detail": {"t": [{"wildcard": "*Title*"}]}}"#,
        json!({"t": "A Title Here"})
    ));
}

#[test]
fn wildcard_escaped_star_is_a_literal_asterisk() {
    let p = r#"{"s": [{"wildcard": "a\\*b"}]}"#;
    assert!(matches_raw(p, json!({"s": "a*b"})));
    assert!(!matches_raw(p, json!({"s": "axb"})));
}

#[test]
fn wildcard_escaped_backslash_is_a_literal_backslash() {
    assert!(matches_raw(
        r#"{"s": [{"wildcard": "a\\\\*"}]}"#,
        json!({"s": "a\\tail"})
    ));
}

#[test]
fn wildcard_without_star_is_an_exact_match() {
    assert!(matches_raw(
        r#"{"s": [{"wildcard": "abc"}]}"#,
        json!({"s": "abc"})
    ));
    assert!(!matches_raw(
        r#"{"s": [{"wildcard": "abc"}]}"#,
        json!({"s": "abcd"})
    ));
}

#[test]
fn wildcard_only_matches_strings() {
    assert!(!matches_raw(
        r#"{"s": [{"wildcard": "*"}]}"#,
        json!({"s": 1})
    ));
    assert!(matches_raw(
        r#"{"s": [{"wildcard": "*"}]}"#,
        json!({"s": ""})
    ));
}

// ---------------------------------------------------------------- cidr

#[test]
fn cidr_matches_ipv4_address_in_block() {
    assert!(matches(
        r#"{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}"#,
        json!({"source-ip": "10.0.0.33"})
    ));
}

#[test]
fn cidr_rejects_ipv4_address_outside_block() {
    assert!(!matches(
        r#"{"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}"#,
        json!({"source-ip": "10.0.1.33"})
    ));
}

#[test]
fn cidr_block_covers_exactly_its_addresses_whatever_address_names_it() {
    let p = Pattern::parse(r#"{"ip": [{"cidr": "220.160.154.255/24"}]}"#).unwrap();
    assert!(p.matches(&json!({"ip": "220.160.154.0"})));
    assert!(p.matches(&json!({"ip": "220.160.154.255"})));
    assert!(!p.matches(&json!({"ip": "220.160.153.255"})));
    assert!(!p.matches(&json!({"ip": "220.160.155.0"})));
    let p = Pattern::parse(r#"{"ip": [{"cidr": "220.160.153.171/31"}]}"#).unwrap();
    assert!(p.matches(&json!({"ip": "220.160.153.170"})));
    assert!(p.matches(&json!({"ip": "220.160.153.171"})));
    assert!(!p.matches(&json!({"ip": "220.160.153.169"})));
    assert!(!p.matches(&json!({"ip": "220.160.153.172"})));
}

#[test]
fn cidr_mask_sizes_cover_the_right_number_of_addresses() {
    for bits in 22..32 {
        let p = Pattern::parse(&format!(r#"{{"a": [{{"cidr": "10.0.0.0/{bits}"}}]}}"#)).unwrap();
        let size: u32 = 1 << (32 - bits);
        let base: u32 = 0x0A00_0000;
        let hits = (base - 16..base + size + 16)
            .filter(|ip| p.matches(&json!({"a": std::net::Ipv4Addr::from_bits(*ip).to_string()})))
            .count();
        assert_eq!(hits, size as usize, "/{bits}");
    }
}

#[test]
fn string_operators_see_ip_addresses_as_text() {
    assert!(!matches_raw(
        r#"{"ip": [{"anything-but": {"prefix": "10.0."}}]}"#,
        json!({"ip": "10.0.1.200"})
    ));
    assert!(!matches_raw(
        r#"{"ip": [{"numeric": [">", 0, "<=", 5]}]}"#,
        json!({"ip": "10.0.1.200"})
    ));
    assert!(matches_raw(
        r#"{"ip": [{"prefix": "10.0."}]}"#,
        json!({"ip": "10.0.1.200"})
    ));
}

#[test]
fn cidr_matches_ipv6_address_in_block() {
    let p = r#"{"detail": {"ip": [{"cidr": "2001:db8::/32"}]}}"#;
    assert!(matches(p, json!({"ip": "2001:db8:0:0:0:0:0:1"})));
    assert!(matches(p, json!({"ip": "2001:DB8::ff"})));
    assert!(!matches(p, json!({"ip": "2001:db9::1"})));
}

#[test]
fn cidr_does_not_mix_address_families() {
    assert!(!matches(
        r#"{"detail": {"ip": [{"cidr": "0.0.0.0/0"}]}}"#,
        json!({"ip": "2001:db8::1"})
    ));
    assert!(!matches(
        r#"{"detail": {"ip": [{"cidr": "::/0"}]}}"#,
        json!({"ip": "10.0.0.1"})
    ));
}

#[test]
fn cidr_ignores_non_addresses() {
    let p = r#"{"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}"#;
    assert!(!matches(p, json!({"ip": "ten"})));
    assert!(!matches(p, json!({"ip": 10})));
}

#[test]
fn exact_ip_address_matches_other_spellings_of_it() {
    assert!(matches(
        r#"{"detail": {"ip": ["2001:db8::1"]}}"#,
        json!({"ip": "2001:0db8:0000:0000:0000:0000:0000:0001"})
    ));
    assert!(matches(
        r#"{"detail": {"ip": ["192.0.2.0"]}}"#,
        json!({"ip": "192.0.2.0"})
    ));
}

#[test]
fn exactly_compares_ip_addresses_as_text() {
    let p = r#"{"detail": {"ip": [{"exactly": "2001:db8::1"}]}}"#;
    assert!(matches(p, json!({"ip": "2001:db8::1"})));
    assert!(!matches(p, json!({"ip": "2001:0db8::1"})));
}

#[test]
fn anything_but_compares_ip_addresses_as_text() {
    let p = r#"{"detail": {"ip": [{"anything-but": "2001:db8::1"}]}}"#;
    assert!(!matches(p, json!({"ip": "2001:db8::1"})));
    assert!(matches(p, json!({"ip": "2001:0db8::1"})));
}

// ---------------------------------------------------------------- $or

#[test]
fn or_matches_when_any_branch_matches() {
    let p = r#"{"detail": {"$or": [
        {"c-count": [{"numeric": [">", 0, "<=", 5]}]},
        {"d-count": [{"numeric": ["<", 10]}]},
        {"x-limit": [{"numeric": ["=", 3.018e2]}]}
    ]}}"#;
    assert!(matches(p, json!({"c-count": 1})));
    assert!(matches(p, json!({"d-count": 8})));
    assert!(matches(p, json!({"x-limit": 301.8})));
}

#[test]
fn or_rejects_when_no_branch_matches() {
    let p = r#"{"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}"#;
    assert!(!matches_raw(
        p,
        json!({"metricName": "ReadLatency", "namespace": "AWS/ES"})
    ));
}

#[test]
fn or_is_combined_with_sibling_fields_by_and() {
    let p = r#"{"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization", "ReadLatency"]},
        {"namespace": ["AWS/EC2", "AWS/ES"]}
    ]}"#;
    assert!(matches_raw(
        p,
        json!({"source": "aws.cloudwatch", "namespace": "AWS/ES"})
    ));
    assert!(!matches_raw(
        p,
        json!({"source": "aws.ec2", "namespace": "AWS/ES"})
    ));
}

#[test]
fn or_branch_may_hold_several_fields_that_must_all_match() {
    let p = r#"{"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization"]},
        {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
        {"scope": ["Service"]}
    ]}"#;
    assert!(matches_raw(
        p,
        json!({"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"})
    ));
    assert!(!matches_raw(
        p,
        json!({"source": "aws.cloudwatch", "metricType": "MetricType"})
    ));
}

#[test]
fn or_nests_inside_an_or_branch() {
    let p = r#"{"source": ["aws.cloudwatch"], "$or": [
        {"metricName": ["CPUUtilization"]},
        {"metricType": ["MetricType"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}
    ]}"#;
    assert!(matches_raw(
        p,
        json!({"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 1000})
    ));
    assert!(!matches_raw(
        p,
        json!({"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 1})
    ));
}

#[test]
fn parallel_ors_must_each_match() {
    let p = r#"{
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
        "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}
    }"#;
    assert!(matches_raw(
        p,
        json!({"namespace": "AWS/EC2", "detail": {"source": "aws.cloudwatch"}})
    ));
    assert!(!matches_raw(
        p,
        json!({"namespace": "AWS/EC2", "detail": {"source": "aws.ec2"}})
    ));
}

#[test]
fn or_branch_reaching_deep_paths() {
    let p = r#"{"source": ["aws.cloudwatch"], "$or": [
        {"withConfiguration": {"metrics": {"metricStat": {"metric": {"namespace": ["AWS/EC2"]}}}}},
        {"withoutConfiguration": {"metric": {"name": ["AWS/Default"]}}}
    ]}"#;
    assert!(matches_raw(
        p,
        json!({"source": "aws.cloudwatch", "withoutConfiguration": {"metric": {"name": "AWS/Default"}}})
    ));
}

#[test]
fn or_branch_path_overrides_an_earlier_sibling_with_the_same_path() {
    // event-ruler's documented override: the later "name" (inside $or) replaces the earlier one.
    let p = r#"{"name": ["a", "b"], "$or": [{"name": [{"anything-but": "a"}]}, {"condition1": ["x"]}]}"#;
    assert!(matches_raw(p, json!({"name": "a", "condition1": "x"})));
    assert!(matches_raw(p, json!({"name": "c"})));
}

#[test]
fn a_field_after_an_or_overrides_the_same_path_in_every_branch() {
    let p = r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}], "a": ["3"]}"#;
    assert!(!matches_raw(p, json!({"a": "1"})));
    assert!(matches_raw(p, json!({"a": "3"})));
    assert!(matches_raw(p, json!({"a": "3", "b": "2"})));
}

#[test]
fn parse_reads_fields_in_document_order() {
    // "a" comes first, so the branch's "a" overrides it in that branch only.
    let p = r#"{"a": ["3"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}"#;
    assert!(matches_raw(p, json!({"a": "1"})));
    assert!(matches_raw(p, json!({"a": "3", "b": "2"})));
    assert!(!matches_raw(p, json!({"a": "3"})));
}

#[test]
fn a_repeated_key_keeps_its_last_value() {
    let p = r#"{"detail": {"eventSource": ["s3.amazonaws.com"], "eventSource": ["sns.amazonaws.com"]}}"#;
    assert!(matches(p, json!({"eventSource": "sns.amazonaws.com"})));
    assert!(!matches(p, json!({"eventSource": "s3.amazonaws.com"})));
}

#[test]
fn reserved_words_are_ordinary_field_names_outside_or() {
    assert!(matches_raw(
        r#"{"prefix": ["x"], "numeric": [1]}"#,
        json!({"prefix": "x", "numeric": 1})
    ));
}

// ---------------------------------------------------------------- invalid patterns

#[test]
fn error_uses_eventbridge_wording_and_names_the_field() {
    let e = invalid(r#"{"detail": {"state": "running"}}"#);
    assert!(e.starts_with("Event pattern is not valid. Reason: "), "{e}");
    assert!(e.contains("\"detail.state\""), "{e}");
    assert!(e.contains("must be an object or an array"), "{e}");
}

#[test]
fn invalid_when_pattern_is_not_an_object() {
    for p in ["[1,2,3]", "\"source\"", "null", "5"] {
        assert!(invalid(p).contains("must be a JSON object"), "{p}");
    }
}

#[test]
fn invalid_when_pattern_is_not_json() {
    assert!(invalid(r#"{"source": ["a"]"#).contains("not valid JSON"));
}

#[test]
fn invalid_when_a_value_is_not_in_an_array() {
    for p in [
        r#"{"a": 1}"#,
        r#"{"a": "x"}"#,
        r#"{"a": true}"#,
        r#"{"a": null}"#,
    ] {
        assert!(invalid(p).contains("must be an object or an array"), "{p}");
    }
}

#[test]
fn invalid_when_an_array_is_empty() {
    assert!(invalid(r#"{"foo": []}"#).contains("empty arrays are not allowed"));
}

#[test]
fn invalid_when_an_object_is_empty() {
    assert!(invalid(r#"{"foo": {}}"#).contains("empty objects are not allowed"));
    assert!(invalid("{}").contains("empty objects are not allowed"));
}

#[test]
fn invalid_when_match_values_are_arrays() {
    assert!(invalid(r#"{"a": [["x"]]}"#).contains("not arrays"));
}

#[test]
fn invalid_when_a_match_expression_is_empty() {
    assert!(invalid(r#"{"a": [{}]}"#).contains("empty match expression"));
}

#[test]
fn invalid_when_operator_is_unknown() {
    assert!(invalid(r#"{"a": [{"foo": "child"}]}"#).contains("unrecognized match type \"foo\""));
    assert!(invalid(r#"{"a": [{"x": 2}]}"#).contains("unrecognized match type"));
    assert!(invalid(r#"{"a": [{"regex": ".*"}]}"#).contains("unrecognized match type"));
}

#[test]
fn invalid_when_a_match_expression_has_two_operators() {
    for p in [
        r#"{"a": [{"prefix": "child", "foo": []}]}"#,
        r#"{"a": [{"suffix": "child", "foo": []}]}"#,
        r#"{"a": [{"anything-but": "child", "foo": []}]}"#,
        r#"{"a": [{"anything-but": {"prefix": "foo"}, "x": 1}]}"#,
        r#"{"a": [{"exists": true, "extraKey": "extraValue"}]}"#,
        r#"{"a": [{"prefix": {"equals-ignore-case": "abc"}, "test": "def"}]}"#,
    ] {
        assert!(invalid(p).contains("only one key allowed"), "{p}");
    }
}

#[test]
fn invalid_when_exactly_is_not_a_string() {
    assert!(invalid(r#"{"a": [{"exactly": 33}]}"#).contains("must be a string"));
    valid(r#"{"a": [{"exactly": "child"}]}"#);
}

#[test]
fn invalid_when_prefix_is_not_a_string() {
    for p in [
        r#"{"a": [{"prefix": 3}]}"#,
        r#"{"a": [{"prefix": ["x"]}]}"#,
        r#"{"a": [{"prefix": null}]}"#,
    ] {
        assert!(
            invalid(p).contains("prefix match pattern must be a string"),
            "{p}"
        );
    }
}

#[test]
fn invalid_when_suffix_is_not_a_string() {
    assert!(invalid(r#"{"a": [{"suffix": 3}]}"#).contains("suffix match pattern must be a string"));
}

#[test]
fn invalid_when_prefix_or_suffix_object_is_not_equals_ignore_case() {
    assert!(
        invalid(r#"{"a": [{"prefix": {"invalid-expression": ["abc"]}}]}"#)
            .contains("unsupported prefix pattern")
    );
    assert!(
        invalid(r#"{"a": [{"suffix": {"invalid-expression": ["abc"]}}]}"#)
            .contains("unsupported suffix pattern")
    );
    assert!(invalid(r#"{"a": [{"prefix": {}}]}"#).contains("prefix expression name not found"));
}

#[test]
fn invalid_when_nested_equals_ignore_case_is_not_a_string() {
    for p in [
        r#"{"a": [{"prefix": {"equals-ignore-case": 5}}]}"#,
        r#"{"a": [{"prefix": {"equals-ignore-case": ["abc"]}}]}"#,
        r#"{"a": [{"suffix": {"equals-ignore-case": 5}}]}"#,
        r#"{"a": [{"suffix": {"equals-ignore-case": ["abc"]}}]}"#,
    ] {
        assert!(
            invalid(p).contains("equals-ignore-case match pattern must be a string"),
            "{p}"
        );
    }
}

#[test]
fn invalid_when_nested_equals_ignore_case_has_extra_keys() {
    assert!(
        invalid(r#"{"a": [{"prefix": {"equals-ignore-case": "abc", "test": "def"}}]}"#)
            .contains("only one key")
    );
    assert!(
        invalid(r#"{"a": [{"suffix": {"equals-ignore-case": "abc", "test": "def"}}]}"#)
            .contains("only one key")
    );
}

#[test]
fn invalid_when_equals_ignore_case_is_not_a_string() {
    assert!(invalid(r#"{"a": [{"equals-ignore-case": 5}]}"#).contains("must be a string"));
    assert!(invalid(r#"{"a": [{"equals-ignore-case": ["abc"]}]}"#).contains("must be a string"));
}

#[test]
fn invalid_when_wildcard_is_not_a_string() {
    assert!(
        invalid(r#"{"a": [{"wildcard": 5}]}"#).contains("wildcard match pattern must be a string")
    );
    assert!(
        invalid(r#"{"a": [{"wildcard": ["abc"]}]}"#)
            .contains("wildcard match pattern must be a string")
    );
}

#[test]
fn invalid_when_wildcard_has_consecutive_stars() {
    assert!(
        invalid(r#"{"key": [{"wildcard": "abc**def"}]}"#)
            .contains("consecutive wildcard characters at position 3")
    );
}

#[test]
fn invalid_when_wildcard_escapes_anything_but_star_or_backslash() {
    assert!(invalid(r#"{"key": [{"wildcard": "a*c\\def"}]}"#).contains("invalid escape character"));
    assert!(
        invalid(r#"{"key": [{"wildcard": "foo*bar\\"}]}"#).contains("invalid escape character")
    );
}

#[test]
fn wildcard_accepts_escaped_star_followed_by_a_wildcard() {
    valid(r#"{"key": [{"wildcard": "\\**"}]}"#);
    valid(r#"{"key": [{"wildcard": ""}]}"#);
}

#[test]
fn invalid_when_anything_but_list_mixes_strings_and_numbers() {
    assert!(
        invalid(r#"{"a": [{"anything-but": ["child0", 111, "child2"]}]}"#)
            .contains("only strings or only numbers")
    );
}

#[test]
fn invalid_when_anything_but_list_is_empty() {
    assert!(invalid(r#"{"a": [{"anything-but": []}]}"#).contains("at least one value"));
}

#[test]
fn invalid_when_anything_but_list_holds_null_booleans_or_objects() {
    for p in [
        r#"{"a": [{"anything-but": [null]}]}"#,
        r#"{"a": [{"anything-but": ["x", true]}]}"#,
        r#"{"a": [{"anything-but": [{"prefix": "x"}]}]}"#,
    ] {
        assert!(invalid(p).contains("must be strings or numbers"), "{p}");
    }
}

#[test]
fn invalid_when_anything_but_value_is_null_or_boolean() {
    assert!(invalid(r#"{"a": [{"anything-but": null}]}"#).contains("single string/number"));
    assert!(invalid(r#"{"a": [{"anything-but": true}]}"#).contains("single string/number"));
}

#[test]
fn invalid_when_anything_but_uses_an_unsupported_operator() {
    assert!(
        invalid(r#"{"a": [{"anything-but": {"foo": 3}}]}"#)
            .contains("unsupported anything-but pattern: \"foo\"")
    );
    assert!(
        invalid(r#"{"a": [{"anything-but": {"numeric": [">", 1]}}]}"#)
            .contains("unsupported anything-but pattern")
    );
    assert!(invalid(r#"{"a": [{"anything-but": {}}]}"#).contains("expression name not found"));
}

#[test]
fn invalid_when_anything_but_prefix_or_suffix_is_empty() {
    for p in [
        r#"{"a": [{"anything-but": {"prefix": ""}}]}"#,
        r#"{"a": [{"anything-but": {"prefix": ["1", ""]}}]}"#,
        r#"{"a": [{"anything-but": {"suffix": ""}}]}"#,
        r#"{"a": [{"anything-but": {"suffix": ["1", ""]}}]}"#,
    ] {
        assert!(invalid(p).contains("must not be an empty string"), "{p}");
    }
}

#[test]
fn invalid_when_anything_but_string_forms_hold_numbers() {
    for p in [
        r#"{"a": [{"anything-but": {"prefix": 27}}]}"#,
        r#"{"a": [{"anything-but": {"prefix": [1, 2, 3]}}]}"#,
        r#"{"a": [{"anything-but": {"suffix": 27}}]}"#,
        r#"{"a": [{"anything-but": {"equals-ignore-case": [1, 2, 3]}}]}"#,
        r#"{"a": [{"anything-but": {"wildcard": 27}}]}"#,
        r#"{"a": [{"anything-but": {"wildcard": [1, 2, 3]}}]}"#,
    ] {
        assert!(invalid(p).contains("string"), "{p}");
    }
}

#[test]
fn invalid_when_anything_but_operator_object_has_extra_keys() {
    for p in [
        r#"{"a": [{"anything-but": {"prefix": "foo", "a": 1}}]}"#,
        r#"{"a": [{"anything-but": {"suffix": "foo", "a": 1}}]}"#,
        r#"{"a": [{"anything-but": {"wildcard": "foo", "a": 1}}]}"#,
    ] {
        assert!(invalid(p).contains("only one key"), "{p}");
    }
}

#[test]
fn invalid_when_anything_but_wildcard_is_malformed() {
    assert!(
        invalid(r#"{"a": [{"anything-but": {"wildcard": "foo**bar"}}]}"#)
            .contains("consecutive wildcard")
    );
    assert!(
        invalid(r#"{"a": [{"anything-but": {"wildcard": ["1", "foo*bar\\"]}}]}"#)
            .contains("invalid escape")
    );
}

#[test]
fn anything_but_accepts_its_documented_forms() {
    for p in [
        r#"{"a": [{"anything-but": "child"}]}"#,
        r#"{"a": [{"anything-but": 111}]}"#,
        r#"{"a": [{"anything-but": ["child0", "child1"]}]}"#,
        r#"{"a": [{"anything-but": [111, 222]}]}"#,
        r#"{"a": [{"anything-but": {"prefix": "foo"}}]}"#,
        r#"{"a": [{"anything-but": {"prefix": ["abc", "123"]}}]}"#,
        r#"{"a": [{"anything-but": {"suffix": "foo"}}]}"#,
        r#"{"a": [{"anything-but": {"equals-ignore-case": ""}}]}"#,
        r#"{"a": [{"anything-but": {"equals-ignore-case": ["abc", ""]}}]}"#,
        r#"{"a": [{"anything-but": {"wildcard": ""}}]}"#,
        r#"{"a": [{"anything-but": {"wildcard": ["foo*bar", "*foobar*"]}}]}"#,
    ] {
        valid(p);
    }
}

#[test]
fn invalid_when_numeric_is_not_an_array() {
    assert!(invalid(r#"{"x": [{"numeric": 5}]}"#).contains("value of numeric must be an array"));
}

#[test]
fn invalid_when_numeric_is_empty() {
    assert!(invalid(r#"{"x": [{"numeric": []}]}"#).contains("numeric expects an operator"));
}

#[test]
fn invalid_when_numeric_operator_is_unknown() {
    assert!(
        invalid(r#"{"x": [{"numeric": ["<>", 1, ">", 0]}]}"#)
            .contains("unrecognized numeric range operator")
    );
    assert!(
        invalid(r#"{"x": [{"numeric": ["==", 1]}]}"#)
            .contains("unrecognized numeric range operator")
    );
    assert!(invalid(r#"{"x": [{"numeric": [1, "<", 2]}]}"#).contains("operator string"));
}

#[test]
fn invalid_when_numeric_value_is_not_a_number() {
    for op in ["=", "<", "<=", ">", ">="] {
        assert!(
            invalid(&format!(r#"{{"x": [{{"numeric": ["{op}", true]}}]}}"#))
                .contains("must be numeric")
        );
        assert!(
            invalid(&format!(r#"{{"x": [{{"numeric": ["{op}", "-4e-6"]}}]}}"#))
                .contains("must be numeric")
        );
        assert!(
            invalid(&format!(r#"{{"x": [{{"numeric": ["{op}"]}}]}}"#)).contains("must be numeric")
        );
    }
    assert!(invalid(r#"{"x": [{"numeric": [">", 0, "<", "5"]}]}"#).contains("must be numeric"));
}

#[test]
fn invalid_when_numeric_number_is_out_of_range() {
    assert!(invalid(r#"{"x": [{"numeric": ["=", 2.0e422]}]}"#).contains("not valid JSON"));
}

#[test]
fn invalid_when_numeric_has_too_many_elements() {
    assert!(
        invalid(r#"{"x": [{"numeric": [">", 1, "<", 30, false]}]}"#).contains("too many elements")
    );
    assert!(invalid(r#"{"x": [{"numeric": ["=", 1, 2]}]}"#).contains("too many elements"));
    assert!(invalid(r#"{"x": [{"numeric": ["<", 1, ">", 0]}]}"#).contains("too many elements"));
}

#[test]
fn invalid_when_numeric_range_has_a_bad_second_operator() {
    assert!(
        invalid(r#"{"x": [{"numeric": [">", 0, ">", 5]}]}"#).contains("bad numeric range operator")
    );
    assert!(
        invalid(r#"{"x": [{"numeric": [">", 0, "=", 5]}]}"#).contains("bad numeric range operator")
    );
}

#[test]
fn invalid_when_numeric_range_is_empty_or_inverted() {
    for r in [
        r#"[">", 1, "<", 1]"#,
        r#"[">", 30, "<", 1]"#,
        r#"[">=", 1, "<=", 1]"#,
    ] {
        assert!(
            invalid(&format!(r#"{{"x": [{{"numeric": {r}}}]}}"#))
                .contains("bottom must be less than top"),
            "{r}"
        );
    }
}

#[test]
fn invalid_when_exists_is_not_a_boolean() {
    assert!(invalid(r#"{"x": [{"exists": "badString"}]}"#).contains("either true or false"));
    assert!(invalid(r#"{"x": [{"exists": 1}]}"#).contains("either true or false"));
}

#[test]
fn invalid_when_cidr_is_not_a_string() {
    assert!(invalid(r#"{"a": [{"cidr": 10}]}"#).contains("cidr match pattern must be a string"));
}

#[test]
fn invalid_when_cidr_is_malformed() {
    for (c, why) in [
        ("foo", "exactly one '/'"),
        ("10.0.0.0", "exactly one '/'"),
        ("10.0.0.0/8/8", "exactly one '/'"),
        ("10.0.0.0/x", "must be an integer"),
        ("10.0.0.0/-1", "must not be negative"),
        ("10.0.0.0/32", "IPv4 mask bits must be < 32"),
        ("2001:db8::/128", "IPv6 mask bits must be < 128"),
        ("300.0.0.0/8", "invalid IP address"),
        ("example.com/8", "nonstandard IP address"),
    ] {
        let e = invalid(&format!(r#"{{"a": [{{"cidr": "{c}"}}]}}"#));
        assert!(e.contains(why), "{c}: {e}");
    }
}

#[test]
fn invalid_when_or_is_not_an_array() {
    let e = invalid(r#"{"source": ["aws.cloudwatch"], "$or": {"metricType": ["MetricType"]}}"#);
    assert!(e.contains("\"$or\": must be an array of objects"), "{e}");
}

#[test]
fn invalid_when_or_has_fewer_than_two_objects() {
    assert!(
        invalid(r#"{"$or": [{"metricName": ["CPUUtilization"]}]}"#).contains("at least 2 objects")
    );
    assert!(invalid(r#"{"$or": []}"#).contains("at least 2 objects"));
}

#[test]
fn invalid_when_or_holds_something_other_than_objects() {
    let e =
        invalid(r#"{"detail": {"$or": [{"source": ["aws.cloudwatch"]}, [{"foo": ["wrong"]}]]}}"#);
    assert!(
        e.contains("\"detail.$or\": may only contain objects"),
        "{e}"
    );
    assert!(
        invalid(r#"{"detail": {"$or": [{"numeric": [">", 0]}, {"cidr": "10.0.0.0/8"}]}}"#)
            .contains("reserved")
    );
}

#[test]
fn invalid_when_or_branch_uses_a_reserved_field_name() {
    let e = invalid(r#"{"$or": [{"numeric": 123}, {"prefix": "abc"}]}"#);
    assert!(e.contains("\"numeric\" is a reserved keyword"), "{e}");
    assert!(invalid(r#"{"$or": [{"a": {"exists": ["x"]}}, {"b": ["y"]}]}"#).contains("reserved"));
}

#[test]
fn invalid_when_or_branch_is_empty() {
    assert!(invalid(r#"{"$or": [{}, {"a": ["x"]}]}"#).contains("empty objects are not allowed"));
}

#[test]
fn from_value_validates_like_parse() {
    let e = Pattern::from_value(&json!({"source": "aws.ec2"})).unwrap_err();
    assert_eq!(
        e,
        PatternError("\"source\": must be an object or an array, not a string".into())
    );
    assert!(
        Pattern::from_value(&json!({"source": ["aws.ec2"]}))
            .unwrap()
            .matches(&envelope(json!({})))
    );
}

#[test]
fn event_that_is_not_an_object_matches_only_absence() {
    let present = Pattern::parse(r#"{"source": [{"exists": true}]}"#).unwrap();
    let absent = Pattern::parse(r#"{"source": [{"exists": false}]}"#).unwrap();
    for event in [json!(null), json!("x"), json!([1, 2]), json!(5)] {
        assert!(!present.matches(&event));
        assert!(absent.matches(&event));
    }
}
