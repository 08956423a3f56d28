//! The intrinsic functions, evaluated through Pass state Parameters.
#![allow(clippy::unwrap_used)]

mod common;

use common::{failure, output, run_state};
use serde_json::{Value, json};

/// Evaluates `expression` as the value of a `.$` key against `input`.
async fn eval(expression: &str, input: Value) -> Value {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {"r.$": expression}, "End": true}),
        input,
    )
    .await;
    output(&result)["r"].clone()
}

async fn eval_error(expression: &str, input: Value) -> String {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {"r.$": expression}, "End": true}),
        input,
    )
    .await;
    failure(&result).0
}

#[tokio::test]
async fn format_fills_placeholders() {
    let value = eval(
        "States.Format('Hello {}, you are {} ({})', $.name, $.age, $.ok)",
        json!({"name": "Ada", "age": 36, "ok": true}),
    )
    .await;
    assert_eq!(value, json!("Hello Ada, you are 36 (true)"));
}

#[tokio::test]
async fn format_honours_escapes() {
    let value = eval(
        r"States.Format('it\'s \{literal\} {} \\ done', 'x')",
        json!({}),
    )
    .await;
    assert_eq!(value, json!(r"it's {literal} x \ done"));
}

#[tokio::test]
async fn format_with_wrong_argument_count_is_intrinsic_failure() {
    assert_eq!(
        eval_error("States.Format('{} {}', 'a')", json!({})).await,
        "States.IntrinsicFailure"
    );
    assert_eq!(
        eval_error("States.Format('{}', 'a', 'b')", json!({})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn format_refuses_objects() {
    assert_eq!(
        eval_error("States.Format('{}', $)", json!({"a": 1})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn string_to_json_parses() {
    assert_eq!(
        eval("States.StringToJson($.s)", json!({"s": "{\"a\":[1,2]}"})).await,
        json!({"a": [1, 2]})
    );
    assert_eq!(
        eval_error("States.StringToJson($.s)", json!({"s": "{oops"})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn json_to_string_serialises() {
    assert_eq!(
        eval("States.JsonToString($.o)", json!({"o": {"a": 1}})).await,
        json!("{\"a\":1}")
    );
}

#[tokio::test]
async fn array_builds_from_arguments() {
    assert_eq!(
        eval(
            "States.Array('a', 1, $.x, null, States.Array())",
            json!({"x": {"y": 2}})
        )
        .await,
        json!(["a", 1, {"y": 2}, null, []])
    );
}

#[tokio::test]
async fn array_partition_chunks() {
    assert_eq!(
        eval(
            "States.ArrayPartition($.a, 2)",
            json!({"a": [1, 2, 3, 4, 5]})
        )
        .await,
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(
        eval_error("States.ArrayPartition($.a, 0)", json!({"a": [1]})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn array_contains_finds_values() {
    assert_eq!(
        eval("States.ArrayContains($.a, 2)", json!({"a": [1, 2]})).await,
        json!(true)
    );
    assert_eq!(
        eval(
            "States.ArrayContains($.a, $.o)",
            json!({"a": [{"k": 1}], "o": {"k": 1}})
        )
        .await,
        json!(true)
    );
    assert_eq!(
        eval("States.ArrayContains($.a, 'x')", json!({"a": [1]})).await,
        json!(false)
    );
}

#[tokio::test]
async fn array_range_is_inclusive_with_step() {
    assert_eq!(
        eval("States.ArrayRange(1, 9, 2)", json!({})).await,
        json!([1, 3, 5, 7, 9])
    );
    assert_eq!(
        eval("States.ArrayRange(5, 1, -2)", json!({})).await,
        json!([5, 3, 1])
    );
    assert_eq!(
        eval_error("States.ArrayRange(1, 5000, 1)", json!({})).await,
        "States.IntrinsicFailure"
    );
    assert_eq!(
        eval_error("States.ArrayRange(1, 5, 0)", json!({})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn array_get_item_indexes() {
    assert_eq!(
        eval("States.ArrayGetItem($.a, 1)", json!({"a": ["x", "y"]})).await,
        json!("y")
    );
    assert_eq!(
        eval_error("States.ArrayGetItem($.a, 5)", json!({"a": ["x"]})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn array_length_counts() {
    assert_eq!(
        eval("States.ArrayLength($.a)", json!({"a": [1, 2, 3]})).await,
        json!(3)
    );
    assert_eq!(
        eval_error("States.ArrayLength($.a)", json!({"a": "no"})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn array_unique_keeps_first_occurrences() {
    assert_eq!(
        eval("States.ArrayUnique($.a)", json!({"a": [1, 2, 1, "1", 2]})).await,
        json!([1, 2, "1"])
    );
}

#[tokio::test]
async fn base64_round_trips() {
    assert_eq!(
        eval("States.Base64Encode('Data to encode')", json!({})).await,
        json!("RGF0YSB0byBlbmNvZGU=")
    );
    assert_eq!(
        eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})).await,
        json!("Data to encode")
    );
    assert_eq!(
        eval_error("States.Base64Decode('@@@')", json!({})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn hash_supports_every_algorithm() {
    let cases = [
        ("MD5", "900150983cd24fb0d6963f7d28e17f72"),
        ("SHA-1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (
            "SHA-256",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            "SHA-384",
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        ),
        (
            "SHA-512",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
    ];
    for (algorithm, digest) in cases {
        let expression = format!("States.Hash('abc', '{algorithm}')");
        assert_eq!(
            eval(&expression, json!({})).await,
            json!(digest),
            "{algorithm}"
        );
    }
    assert_eq!(
        eval_error("States.Hash('abc', 'CRC32')", json!({})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn json_merge_is_shallow() {
    assert_eq!(
        eval(
            "States.JsonMerge($.a, $.b, false)",
            json!({"a": {"x": 1, "n": {"p": 1}}, "b": {"y": 2, "n": {"q": 2}}})
        )
        .await,
        json!({"x": 1, "y": 2, "n": {"q": 2}})
    );
    assert_eq!(
        eval_error("States.JsonMerge($.a, $.a, true)", json!({"a": {}})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn math_random_stays_in_range_and_seed_is_deterministic() {
    for _ in 0..20 {
        let value = eval("States.MathRandom(1, 10)", json!({}))
            .await
            .as_i64()
            .unwrap();
        assert!((1..10).contains(&value));
    }
    let a = eval("States.MathRandom(1, 1000, 7)", json!({})).await;
    let b = eval("States.MathRandom(1, 1000, 7)", json!({})).await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn math_add_adds_integers() {
    assert_eq!(
        eval("States.MathAdd($.n, -3)", json!({"n": 10})).await,
        json!(7)
    );
    assert_eq!(
        eval_error("States.MathAdd(1.5, 1)", json!({})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn string_split_on_any_delimiter_character() {
    assert_eq!(
        eval("States.StringSplit('1,2,3', ',')", json!({})).await,
        json!(["1", "2", "3"])
    );
    assert_eq!(
        eval(
            "States.StringSplit($.s, '.+,=')",
            json!({"s": "This.is+a,test=string"})
        )
        .await,
        json!(["This", "is", "a", "test", "string"])
    );
}

#[tokio::test]
async fn uuid_is_a_v4_uuid() {
    let value = eval("States.UUID()", json!({})).await;
    let parsed = uuid::Uuid::parse_str(value.as_str().unwrap()).unwrap();
    assert_eq!(parsed.get_version_num(), 4);
}

#[tokio::test]
async fn nested_calls_compose() {
    assert_eq!(
        eval(
            "States.Format('{} items: {}', States.ArrayLength(States.StringSplit($.csv, ',')), States.JsonToString(States.ArrayGetItem(States.StringSplit($.csv, ','), 0)))",
            json!({"csv": "a,b,c"})
        )
        .await,
        json!("3 items: \"a\"")
    );
}

#[tokio::test]
async fn intrinsic_reads_the_context_object() {
    assert_eq!(
        eval("States.Format('{}', $$.State.Name)", json!({})).await,
        json!("S")
    );
}

#[tokio::test]
async fn intrinsic_path_missing_is_intrinsic_failure() {
    assert_eq!(
        eval_error("States.ArrayLength($.nope)", json!({})).await,
        "States.IntrinsicFailure"
    );
}

#[tokio::test]
async fn wrong_argument_types_are_intrinsic_failures() {
    assert_eq!(
        eval_error("States.Base64Encode(1)", json!({})).await,
        "States.IntrinsicFailure"
    );
    assert_eq!(
        eval_error("States.UUID(1)", json!({})).await,
        "States.IntrinsicFailure"
    );
}
