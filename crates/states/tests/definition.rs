//! Loading definitions: validation errors name the state; substitutions.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use serde_json::json;
use starling_states::{DefinitionError, StateMachine, substitute};

fn error_of(definition: serde_json::Value) -> String {
    StateMachine::from_value(&definition)
        .unwrap_err()
        .to_string()
}

#[test]
fn valid_fixture_loads() {
    let machine = common::load("analyse_like.asl.json");
    assert_eq!(machine.start_at(), "Normalise");
    assert!(machine.state_names().contains(&"Analyse"));
}

#[test]
fn invalid_json_is_rejected() {
    assert!(matches!(
        StateMachine::from_json("{not json"),
        Err(DefinitionError::Json(_))
    ));
}

#[test]
fn start_at_must_exist() {
    let message = error_of(json!({"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}}));
    assert!(message.contains("StartAt 'Nope'"), "{message}");
}

#[test]
fn next_target_must_exist_and_error_names_the_state() {
    let message =
        error_of(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Missing"}}}));
    assert!(message.contains("state \"A\""), "{message}");
    assert!(message.contains("Missing"), "{message}");
}

#[test]
fn default_and_catch_targets_must_exist() {
    let message = error_of(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "E"}], "Default": "Gone"},
        "E": {"Type": "Succeed"}}}));
    assert!(message.contains("Default 'Gone'"), "{message}");
    let message = error_of(json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "r", "End": true, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone"}]}}}));
    assert!(message.contains("catcher's Next 'Gone'"), "{message}");
}

#[test]
fn state_needs_next_or_end_but_not_both() {
    let message = error_of(json!({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}));
    assert!(message.contains("Next or End"), "{message}");
    let message = error_of(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A", "End": true}}}),
    );
    assert!(message.contains("both Next and End"), "{message}");
}

#[test]
fn terminal_states_cannot_transition() {
    let message =
        error_of(json!({"StartAt": "A", "States": {"A": {"Type": "Succeed", "End": true}}}));
    assert!(
        message.contains("state \"A\"") && message.contains("End"),
        "{message}"
    );
    let message = error_of(json!({"StartAt": "A", "States": {"A": {"Type": "Fail", "Next": "A"}}}));
    assert!(
        message.contains("state \"A\"") && message.contains("Next"),
        "{message}"
    );
}

#[test]
fn unreachable_states_are_rejected() {
    let message = error_of(json!({"StartAt": "A", "States": {
        "A": {"Type": "Succeed"}, "Orphan": {"Type": "Succeed"}}}));
    assert!(
        message.contains("state \"Orphan\"") && message.contains("not reachable"),
        "{message}"
    );
}

#[test]
fn unknown_fields_and_types_are_rejected() {
    let message = error_of(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Resullt": 1}}}),
    );
    assert!(message.contains("Resullt"), "{message}");
    let message =
        error_of(json!({"StartAt": "A", "States": {"A": {"Type": "Dance", "End": true}}}));
    assert!(message.contains("Dance"), "{message}");
}

#[test]
fn state_names_must_be_unique_across_branches() {
    let message = error_of(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
        {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}]}}}),
    );
    assert!(message.contains("unique"), "{message}");
}

#[test]
fn branch_targets_are_scoped_to_their_branch() {
    let message = error_of(json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "After"}}}]},
        "After": {"Type": "Succeed"}}}));
    assert!(message.contains("state \"X\""), "{message}");
}

#[test]
fn malformed_paths_and_intrinsics_are_definition_errors() {
    let message = error_of(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "InputPath": "nope"}}}),
    );
    assert!(message.contains("InputPath"), "{message}");
    let message = error_of(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true,
        "Parameters": {"x.$": "States.Nope(1)"}}}}),
    );
    assert!(message.contains("States.Nope"), "{message}");
    let message = error_of(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true,
        "Parameters": {"x.$": "States.Format('a'"}}}}),
    );
    assert!(message.contains("x.$"), "{message}");
    let message = error_of(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "ResultPath": "$.a[*]"}}}),
    );
    assert!(message.contains("reference path"), "{message}");
}

#[test]
fn states_all_must_be_alone_and_last() {
    let message = error_of(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}}}),
    );
    assert!(message.contains("last"), "{message}");
    let message = error_of(
        json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true,
        "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "T"}]}}}),
    );
    assert!(message.contains("alone"), "{message}");
}

#[test]
fn choice_rules_are_validated() {
    let message = error_of(json!({"StartAt": "C", "States": {"C": {"Type": "Choice",
        "Choices": [{"Variable": "$.x", "NumericEquals": "one", "Next": "C"}]}}}));
    assert!(message.contains("NumericEquals"), "{message}");
    let message = error_of(json!({"StartAt": "C", "States": {"C": {"Type": "Choice",
        "Choices": [{"Variable": "$.x", "Next": "C"}]}}}));
    assert!(message.contains("operator"), "{message}");
}

#[test]
fn jsonata_is_rejected_clearly() {
    let message = error_of(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Succeed"}}}),
    );
    assert!(message.contains("JSONPath"), "{message}");
}

#[test]
fn substitutions_fill_placeholders() {
    let values = HashMap::from([
        (
            "AnalyseFunction".to_string(),
            "arn:aws:lambda:eu-west-1:1:function:analyse".to_string(),
        ),
        ("BusName".to_string(), "starling".to_string()),
    ]);
    let text = substitute(
        r#"{"a": "${AnalyseFunction}", "b": "${BusName}-x", "c": "$.keep"}"#,
        &values,
    )
    .unwrap();
    assert_eq!(
        text,
        r#"{"a": "arn:aws:lambda:eu-west-1:1:function:analyse", "b": "starling-x", "c": "$.keep"}"#
    );
}

#[test]
fn unfilled_placeholder_is_an_error() {
    let values: HashMap<String, String> = HashMap::new();
    assert_eq!(
        substitute(r#"{"a": "${Missing}"}"#, &values),
        Err(DefinitionError::UnfilledPlaceholder("Missing".into()))
    );
}

#[test]
fn fixture_with_substitutions_loads() {
    let values = HashMap::from([("EchoFunction".to_string(), "echo".to_string())]);
    let machine = StateMachine::from_json_with_substitutions(
        &common::fixture("substitutions.asl.json"),
        &values,
    )
    .unwrap();
    assert_eq!(machine.start_at(), "Call");
}

#[test]
fn text_that_is_not_a_placeholder_is_left_alone() {
    let values = HashMap::from([("Name".to_string(), "v".to_string())]);
    let text = r#"{"Comment": "placeholders ${...} and ${} and $${1x} stay", "a": "${Name}"}"#;
    assert_eq!(
        substitute(text, &values).unwrap(),
        r#"{"Comment": "placeholders ${...} and ${} and $${1x} stay", "a": "v"}"#
    );
}
