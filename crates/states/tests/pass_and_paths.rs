//! Pass states and input/output processing: InputPath, Parameters, Result,
//! ResultPath, OutputPath, `.$` keys and the context object.
#![allow(clippy::unwrap_used)]

mod common;

use common::{failure, output, run_state};
use serde_json::json;

#[tokio::test]
async fn pass_outputs_its_input_by_default() {
    let result = run_state(json!({"Type": "Pass", "End": true}), json!({"a": 1})).await;
    assert_eq!(output(&result), json!({"a": 1}));
}

#[tokio::test]
async fn pass_result_replaces_input() {
    let result = run_state(
        json!({"Type": "Pass", "Result": {"x": 1}, "End": true}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(output(&result), json!({"x": 1}));
}

#[tokio::test]
async fn result_path_nests_result_and_creates_objects() {
    let result = run_state(
        json!({"Type": "Pass", "Result": 42, "ResultPath": "$.deep.er.value", "End": true}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(
        output(&result),
        json!({"a": 1, "deep": {"er": {"value": 42}}})
    );
}

#[tokio::test]
async fn result_path_null_discards_result() {
    let result = run_state(
        json!({"Type": "Pass", "Result": 42, "ResultPath": null, "End": true}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(output(&result), json!({"a": 1}));
}

#[tokio::test]
async fn result_path_overwrites_existing_field() {
    let result = run_state(
        json!({"Type": "Pass", "Result": "new", "ResultPath": "$.a", "End": true}),
        json!({"a": "old", "b": 2}),
    )
    .await;
    assert_eq!(output(&result), json!({"a": "new", "b": 2}));
}

#[tokio::test]
async fn result_path_into_a_non_object_fails_with_result_path_match_failure() {
    let result = run_state(
        json!({"Type": "Pass", "Result": 1, "ResultPath": "$.a.b", "End": true}),
        json!({"a": "string"}),
    )
    .await;
    assert_eq!(failure(&result).0, "States.ResultPathMatchFailure");
}

#[tokio::test]
async fn input_path_selects_part_of_the_input() {
    let result = run_state(
        json!({"Type": "Pass", "InputPath": "$.inner", "End": true}),
        json!({"inner": {"x": 1}, "other": 2}),
    )
    .await;
    assert_eq!(output(&result), json!({"x": 1}));
}

#[tokio::test]
async fn input_path_null_gives_empty_object() {
    let result = run_state(
        json!({"Type": "Pass", "InputPath": null, "End": true}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(output(&result), json!({}));
}

#[tokio::test]
async fn missing_input_path_fails_with_states_runtime() {
    let result = run_state(
        json!({"Type": "Pass", "InputPath": "$.missing", "End": true}),
        json!({}),
    )
    .await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn output_path_selects_part_of_the_output() {
    let result = run_state(
        json!({"Type": "Pass", "Result": {"keep": 1, "drop": 2}, "OutputPath": "$.keep", "End": true}),
        json!({}),
    )
    .await;
    assert_eq!(output(&result), json!(1));
}

#[tokio::test]
async fn output_path_null_gives_empty_object() {
    let result = run_state(
        json!({"Type": "Pass", "OutputPath": null, "End": true}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(output(&result), json!({}));
}

#[tokio::test]
async fn missing_output_path_fails_with_states_runtime() {
    let result = run_state(
        json!({"Type": "Pass", "OutputPath": "$.nope", "End": true}),
        json!({}),
    )
    .await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn parameters_build_payload_with_dollar_keys() {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {
            "static": "v", "from.$": "$.a.b", "nested": {"n.$": "$.list[1]"}, "list": [{"i.$": "$.a"}]
        }, "End": true}),
        json!({"a": {"b": "B"}, "list": [10, 20]}),
    )
    .await;
    assert_eq!(
        output(&result),
        json!({"static": "v", "from": "B", "nested": {"n": 20}, "list": [{"i": {"b": "B"}}]})
    );
}

#[tokio::test]
async fn parameters_missing_path_fails_with_parameter_path_failure() {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {"x.$": "$.missing"}, "End": true}),
        json!({}),
    )
    .await;
    assert_eq!(failure(&result).0, "States.ParameterPathFailure");
}

#[tokio::test]
async fn query_paths_select_lists() {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {"ids.$": "$.items[*].id", "big.$": "$.items[?(@.n > 1)].id"}, "End": true}),
        json!({"items": [{"id": "a", "n": 1}, {"id": "b", "n": 2}]}),
    )
    .await;
    assert_eq!(output(&result), json!({"ids": ["a", "b"], "big": ["b"]}));
}

#[tokio::test]
async fn bracket_paths_read_awkward_keys() {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {"v.$": "$['odd key'].x-y"}, "End": true}),
        json!({"odd key": {"x-y": 5}}),
    )
    .await;
    assert_eq!(output(&result), json!({"v": 5}));
}

#[tokio::test]
async fn context_object_exposes_execution_and_state() {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {
            "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "input.$": "$$.Execution.Input",
            "start.$": "$$.Execution.StartTime", "state.$": "$$.State.Name", "entered.$": "$$.State.EnteredTime",
            "retries.$": "$$.State.RetryCount", "machine.$": "$$.StateMachine.Name"
        }, "End": true}),
        json!({"q": 1}),
    )
    .await;
    let out = output(&result);
    assert_eq!(
        out["id"],
        json!("arn:aws:states:local:000000000000:execution:test-machine:test-execution")
    );
    assert_eq!(out["name"], json!("test-execution"));
    assert_eq!(out["input"], json!({"q": 1}));
    assert_eq!(out["state"], json!("S"));
    assert_eq!(out["retries"], json!(0));
    assert_eq!(out["machine"], json!("test-machine"));
    assert!(out["start"].as_str().unwrap().ends_with('Z'));
    assert!(out["entered"].as_str().unwrap().contains('T'));
}

#[tokio::test]
async fn history_records_each_state_and_transitions_count() {
    let result = common::run(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Succeed"}}}),
        json!({}),
    )
    .await;
    assert_eq!(result.transitions, 3);
    let names: Vec<&str> = result
        .history
        .iter()
        .map(|e| e.state_name.as_str())
        .collect();
    assert_eq!(names, vec!["A", "B", "C"]);
    assert_eq!(result.history[2].state_type, "Succeed");
}

#[tokio::test]
async fn endless_loop_is_stopped_by_max_transitions() {
    let machine =
        common::machine(&json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}));
    let sleeper = std::sync::Arc::new(starling_states::VirtualSleeper::new());
    let options = starling_states::ExecutionOptions {
        max_transitions: 50,
        ..common::options(&sleeper)
    };
    let result =
        starling_states::execute(&machine, json!({}), &common::TestHandler::echo(), &options).await;
    assert_eq!(failure(&result).0, "States.Runtime");
    assert_eq!(result.transitions, 51);
}

#[tokio::test]
async fn context_paths_reach_into_execution_input_and_whole_sections() {
    let result = run_state(
        json!({"Type": "Pass", "Parameters": {
            "q.$": "$$.Execution.Input.q", "exec.$": "$$.Execution", "all.$": "$$"
        }, "End": true}),
        json!({"q": [1, 2]}),
    )
    .await;
    let out = output(&result);
    assert_eq!(out["q"], json!([1, 2]));
    assert_eq!(out["exec"]["Input"], json!({"q": [1, 2]}));
    assert_eq!(out["all"]["Execution"]["Input"], json!({"q": [1, 2]}));
    assert_eq!(out["all"]["State"]["Name"], json!("S"));
}
