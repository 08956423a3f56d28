//! Choice states: every comparison operator, its Path variant, And/Or/Not,
//! the type tests, Default and States.NoChoiceMatched.
#![allow(clippy::unwrap_used)]

mod common;

use common::{failure, output, run};
use serde_json::{Value, json};

/// Runs a Choice with `rule` leading to "Yes" and a Default "No".
async fn choose(rule: Value, input: Value) -> bool {
    let mut rule = rule;
    rule["Next"] = json!("Yes");
    let result = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [rule], "Default": "No"},
            "Yes": {"Type": "Pass", "Result": "yes", "End": true},
            "No": {"Type": "Pass", "Result": "no", "End": true}}}),
        input,
    )
    .await;
    output(&result) == json!("yes")
}

fn var(op: &str, operand: Value) -> Value {
    let mut rule = json!({"Variable": "$.v"});
    rule[op] = operand;
    rule
}

#[tokio::test]
async fn string_equals() {
    assert!(choose(var("StringEquals", json!("a")), json!({"v": "a"})).await);
    assert!(!choose(var("StringEquals", json!("a")), json!({"v": "b"})).await);
    assert!(!choose(var("StringEquals", json!("1")), json!({"v": 1})).await);
}

#[tokio::test]
async fn string_ordering_operators() {
    assert!(choose(var("StringLessThan", json!("b")), json!({"v": "a"})).await);
    assert!(choose(var("StringGreaterThan", json!("a")), json!({"v": "b"})).await);
    assert!(choose(var("StringLessThanEquals", json!("a")), json!({"v": "a"})).await);
    assert!(
        choose(
            var("StringGreaterThanEquals", json!("a")),
            json!({"v": "a"})
        )
        .await
    );
    assert!(
        !choose(
            var("StringGreaterThanEquals", json!("b")),
            json!({"v": "a"})
        )
        .await
    );
}

#[tokio::test]
async fn string_matches_with_wildcards() {
    assert!(
        choose(
            var("StringMatches", json!("*.log")),
            json!({"v": "app.log"})
        )
        .await
    );
    assert!(choose(var("StringMatches", json!("a*c*e")), json!({"v": "abcde"})).await);
    assert!(
        !choose(
            var("StringMatches", json!("*.log")),
            json!({"v": "app.txt"})
        )
        .await
    );
    assert!(choose(var("StringMatches", json!("lit\\*")), json!({"v": "lit*"})).await);
}

#[tokio::test]
async fn numeric_operators() {
    assert!(choose(var("NumericEquals", json!(1)), json!({"v": 1.0})).await);
    assert!(choose(var("NumericLessThan", json!(2)), json!({"v": 1.5})).await);
    assert!(choose(var("NumericGreaterThan", json!(-1)), json!({"v": 0})).await);
    assert!(choose(var("NumericLessThanEquals", json!(3)), json!({"v": 3})).await);
    assert!(choose(var("NumericGreaterThanEquals", json!(3)), json!({"v": 4})).await);
    assert!(!choose(var("NumericEquals", json!(1)), json!({"v": "1"})).await);
}

#[tokio::test]
async fn boolean_equals() {
    assert!(choose(var("BooleanEquals", json!(true)), json!({"v": true})).await);
    assert!(!choose(var("BooleanEquals", json!(true)), json!({"v": "true"})).await);
}

#[tokio::test]
async fn timestamp_operators() {
    let t = json!({"v": "2024-05-01T12:00:00Z"});
    assert!(
        choose(
            var("TimestampEquals", json!("2024-05-01T14:00:00+02:00")),
            t.clone()
        )
        .await
    );
    assert!(
        choose(
            var("TimestampLessThan", json!("2024-05-02T00:00:00Z")),
            t.clone()
        )
        .await
    );
    assert!(
        choose(
            var("TimestampGreaterThan", json!("2024-04-30T00:00:00Z")),
            t.clone()
        )
        .await
    );
    assert!(
        choose(
            var("TimestampLessThanEquals", json!("2024-05-01T12:00:00Z")),
            t.clone()
        )
        .await
    );
    assert!(
        choose(
            var("TimestampGreaterThanEquals", json!("2024-05-01T12:00:00Z")),
            t
        )
        .await
    );
    assert!(
        !choose(
            var("TimestampEquals", json!("2024-05-01T12:00:00Z")),
            json!({"v": "not a time"})
        )
        .await
    );
}

#[tokio::test]
async fn path_variants_compare_two_fields() {
    let input = json!({"v": 5, "w": 5, "s": "a", "t": "b", "b": true, "c": true,
        "ts": "2024-01-01T00:00:00Z", "tu": "2025-01-01T00:00:00Z"});
    assert!(choose(var("NumericEqualsPath", json!("$.w")), input.clone()).await);
    assert!(
        choose(
            var("NumericLessThanEqualsPath", json!("$.w")),
            input.clone()
        )
        .await
    );
    assert!(
        choose(
            json!({"Variable": "$.s", "StringLessThanPath": "$.t"}),
            input.clone()
        )
        .await
    );
    assert!(
        choose(
            json!({"Variable": "$.s", "StringEqualsPath": "$.s"}),
            input.clone()
        )
        .await
    );
    assert!(
        choose(
            json!({"Variable": "$.b", "BooleanEqualsPath": "$.c"}),
            input.clone()
        )
        .await
    );
    assert!(
        choose(
            json!({"Variable": "$.ts", "TimestampLessThanPath": "$.tu"}),
            input.clone()
        )
        .await
    );
    assert!(
        !choose(
            json!({"Variable": "$.ts", "TimestampGreaterThanPath": "$.tu"}),
            input
        )
        .await
    );
}

#[tokio::test]
async fn and_or_not_combine_rules() {
    let input = json!({"a": 1, "b": "x"});
    let and = json!({"And": [{"Variable": "$.a", "NumericEquals": 1}, {"Variable": "$.b", "StringEquals": "x"}]});
    let or = json!({"Or": [{"Variable": "$.a", "NumericEquals": 2}, {"Variable": "$.b", "StringEquals": "x"}]});
    let not = json!({"Not": {"Variable": "$.a", "NumericEquals": 2}});
    let nested = json!({"Not": {"And": [{"Variable": "$.a", "NumericEquals": 1}, {"Variable": "$.b", "StringEquals": "y"}]}});
    assert!(choose(and, input.clone()).await);
    assert!(choose(or, input.clone()).await);
    assert!(choose(not, input.clone()).await);
    assert!(choose(nested, input).await);
}

#[tokio::test]
async fn is_present_tests_existence() {
    assert!(choose(var("IsPresent", json!(true)), json!({"v": null})).await);
    assert!(choose(var("IsPresent", json!(false)), json!({})).await);
    assert!(!choose(var("IsPresent", json!(true)), json!({})).await);
}

#[tokio::test]
async fn type_tests() {
    assert!(choose(var("IsNull", json!(true)), json!({"v": null})).await);
    assert!(choose(var("IsNull", json!(false)), json!({"v": 1})).await);
    assert!(choose(var("IsString", json!(true)), json!({"v": "s"})).await);
    assert!(choose(var("IsNumeric", json!(true)), json!({"v": 1.5})).await);
    assert!(!choose(var("IsNumeric", json!(true)), json!({"v": "1"})).await);
    assert!(choose(var("IsBoolean", json!(true)), json!({"v": false})).await);
    assert!(
        choose(
            var("IsTimestamp", json!(true)),
            json!({"v": "2024-01-01T00:00:00Z"})
        )
        .await
    );
    assert!(choose(var("IsTimestamp", json!(false)), json!({"v": "2024-01-01"})).await);
}

#[tokio::test]
async fn first_matching_rule_wins() {
    let result = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"Variable": "$.v", "NumericGreaterThan": 0, "Next": "First"},
                {"Variable": "$.v", "NumericGreaterThan": 1, "Next": "Second"}]},
            "First": {"Type": "Pass", "Result": 1, "End": true},
            "Second": {"Type": "Pass", "Result": 2, "End": true}}}),
        json!({"v": 5}),
    )
    .await;
    assert_eq!(output(&result), json!(1));
}

#[tokio::test]
async fn no_match_without_default_fails_with_no_choice_matched() {
    let result = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "E"}]},
            "E": {"Type": "Succeed"}}}),
        json!({"v": 2}),
    )
    .await;
    assert_eq!(failure(&result).0, "States.NoChoiceMatched");
}

#[tokio::test]
async fn missing_variable_fails_with_states_runtime() {
    let result = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.nope", "NumericEquals": 1, "Next": "E"}], "Default": "E"},
            "E": {"Type": "Succeed"}}}),
        json!({}),
    )
    .await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn choice_passes_input_through_input_and_output_path() {
    let result = run(
        json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "InputPath": "$.in", "OutputPath": "$.keep",
                  "Choices": [{"Variable": "$.v", "IsPresent": true, "Next": "E"}]},
            "E": {"Type": "Succeed"}}}),
        json!({"in": {"v": 1, "keep": {"k": true}}}),
    )
    .await;
    assert_eq!(output(&result), json!({"k": true}));
}

#[tokio::test]
async fn choice_can_read_the_context_object() {
    assert!(
        choose(
            json!({"Variable": "$$.Execution.Name", "StringEquals": "test-execution"}),
            json!({})
        )
        .await
    );
}
