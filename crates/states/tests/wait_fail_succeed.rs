//! Wait, Succeed and Fail states, and the execution-level timeout.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::{TestHandler, failure, machine, options, output, run, run_state};
use serde_json::{Value, json};
use starling_states::{VirtualSleeper, execute};

async fn run_virtual(
    state: Value,
    input: Value,
) -> (starling_states::ExecutionResult, Vec<Duration>) {
    let start = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let sleeper = Arc::new(VirtualSleeper::starting_at(start));
    let definition = json!({"StartAt": "W", "States": {"W": state}});
    let result = execute(
        &machine(&definition),
        input,
        &TestHandler::echo(),
        &options(&sleeper),
    )
    .await;
    (result, sleeper.delays())
}

#[tokio::test]
async fn wait_seconds_sleeps_and_passes_input_through() {
    let (result, delays) = run_virtual(
        json!({"Type": "Wait", "Seconds": 5, "End": true}),
        json!({"a": 1}),
    )
    .await;
    assert_eq!(output(&result), json!({"a": 1}));
    assert_eq!(delays, vec![Duration::from_secs(5)]);
}

#[tokio::test]
async fn wait_seconds_path_reads_the_delay() {
    let (result, delays) = run_virtual(
        json!({"Type": "Wait", "SecondsPath": "$.d", "End": true}),
        json!({"d": 7}),
    )
    .await;
    output(&result);
    assert_eq!(delays, vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn wait_seconds_path_must_be_a_non_negative_integer() {
    let (result, _) = run_virtual(
        json!({"Type": "Wait", "SecondsPath": "$.d", "End": true}),
        json!({"d": "soon"}),
    )
    .await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn wait_timestamp_sleeps_until_then() {
    let (result, delays) = run_virtual(
        json!({"Type": "Wait", "Timestamp": "2024-05-01T12:01:30Z", "End": true}),
        json!({}),
    )
    .await;
    output(&result);
    assert_eq!(delays, vec![Duration::from_secs(90)]);
}

#[tokio::test]
async fn wait_timestamp_path_in_the_past_does_not_sleep() {
    let (result, delays) = run_virtual(
        json!({"Type": "Wait", "TimestampPath": "$.t", "End": true}),
        json!({"t": "2020-01-01T00:00:00Z"}),
    )
    .await;
    output(&result);
    assert_eq!(delays, vec![Duration::ZERO]);
}

#[tokio::test]
async fn entered_time_follows_the_virtual_clock() {
    let start = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let sleeper = Arc::new(VirtualSleeper::starting_at(start));
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "Next": "P"},
        "P": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime", "s.$": "$$.Execution.StartTime"}, "End": true}}});
    let result = execute(
        &machine(&definition),
        json!({}),
        &TestHandler::echo(),
        &options(&sleeper),
    )
    .await;
    assert_eq!(
        output(&result),
        json!({"t": "2024-05-01T12:01:00.000Z", "s": "2024-05-01T12:00:00.000Z"})
    );
}

#[tokio::test]
async fn succeed_applies_input_and_output_paths() {
    let result = run_state(
        json!({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}),
        json!({"a": {"b": 3}}),
    )
    .await;
    assert_eq!(output(&result), json!(3));
}

#[tokio::test]
async fn fail_reports_error_and_cause() {
    let result = run_state(
        json!({"Type": "Fail", "Error": "My.Error", "Cause": "because"}),
        json!({}),
    )
    .await;
    assert_eq!(
        failure(&result),
        ("My.Error".to_string(), "because".to_string())
    );
    assert!(result.output.is_none());
}

#[tokio::test]
async fn fail_without_error_has_no_error() {
    let result = run_state(json!({"Type": "Fail"}), json!({})).await;
    assert_eq!(result.error, None);
    assert_eq!(result.cause, None);
}

#[tokio::test]
async fn fail_error_path_and_cause_path_read_input_or_intrinsics() {
    let result = run_state(
        json!({"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.Format('code {}', $.code)"}),
        json!({"e": "Dyn.Error", "code": 7}),
    )
    .await;
    assert_eq!(
        failure(&result),
        ("Dyn.Error".to_string(), "code 7".to_string())
    );
}

#[tokio::test]
async fn fail_error_path_must_select_a_string() {
    let result = run_state(json!({"Type": "Fail", "ErrorPath": "$.e"}), json!({"e": 1})).await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn execution_timeout_seconds_fails_with_states_timeout() {
    let handler = TestHandler::echo().with_delay(Duration::from_secs(3));
    let definition = json!({"TimeoutSeconds": 1, "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}});
    let result = common::run_with(&machine(&definition), json!({}), &handler).await;
    assert_eq!(failure(&result).0, "States.Timeout");
}

#[tokio::test]
async fn pass_chain_runs_through_choice_loop() {
    let definition = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"i": 0}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 3, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    let result = run(definition, json!({})).await;
    assert_eq!(output(&result), json!({"i": 3}));
    assert_eq!(result.transitions, 9);
}

#[tokio::test]
async fn execution_result_serialises_for_the_cli() {
    let result = run_state(
        json!({"Type": "Fail", "Error": "E", "Cause": "C"}),
        json!({}),
    )
    .await;
    let value = serde_json::to_value(&result).unwrap();
    assert_eq!(value["status"], json!("FAILED"));
    assert_eq!(value["error"], json!("E"));
    assert!(value.get("output").is_none());
    assert_eq!(value["history"][0]["stateName"], json!("S"));
    assert_eq!(value["transitions"], json!(1));
}
