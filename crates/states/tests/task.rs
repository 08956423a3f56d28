//! Task states: the handler port, the lambda:invoke output shape, timeouts,
//! Retry (with the delays asserted on a virtual clock) and Catch.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{TestHandler, failure, load, machine, options, output, run_with};
use serde_json::{Value, json};
use starling_states::{Integration, TaskFailure, VirtualSleeper, execute};

/// A handler failing with `errors` in turn, then answering `{"value": "ok"}`.
fn failing_then_ok(errors: &[&str]) -> TestHandler {
    let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let calls = AtomicUsize::new(0);
    TestHandler::new(move |_, input, _| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        match errors.get(n) {
            Some(error) => Err(TaskFailure::new(error.clone(), format!("failure {n}"))),
            None => Ok(
                json!({"value": "ok", "attempt": input.get("attempt").cloned().unwrap_or(Value::Null)}),
            ),
        }
    })
}

fn task(extra: Value) -> Value {
    let mut state =
        json!({"Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": true});
    if let (Some(state), Some(extra)) = (state.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            state.insert(k.clone(), v.clone());
        }
    }
    let text = state.to_string();
    let mut states = json!({"T": state});
    if text.contains("\"Caught\"") {
        states["Caught"] = json!({"Type": "Pass", "End": true});
    }
    if text.contains("\"Other\"") {
        states["Other"] = json!({"Type": "Pass", "Result": "other", "End": true});
    }
    json!({"StartAt": "T", "States": states})
}

fn secs(delays: &[Duration]) -> Vec<f64> {
    delays.iter().map(Duration::as_secs_f64).collect()
}

#[tokio::test]
async fn task_passes_parameters_to_handler_and_returns_result() {
    let handler = TestHandler::new(|resource, input, ctx| {
        Ok(
            json!({"resource": resource, "got": input, "kind": format!("{:?}", ctx.integration), "state": ctx.state_name}),
        )
    });
    let definition = task(json!({"Parameters": {"Entries": [{"Detail.$": "$.d"}]}}));
    let result = run_with(&machine(&definition), json!({"d": 1}), &handler).await;
    assert_eq!(
        output(&result),
        json!({"resource": "arn:aws:states:::events:putEvents", "got": {"Entries": [{"Detail": 1}]}, "kind": "Service", "state": "T"})
    );
}

#[tokio::test]
async fn lambda_invoke_sends_payload_and_wraps_result() {
    let handler = TestHandler::new(|_, input, ctx| {
        assert_eq!(ctx.integration, Integration::LambdaInvoke);
        assert_eq!(ctx.function_name.as_deref(), Some("analyse"));
        Ok(json!({"x": input["n"].as_i64().unwrap_or(0) * 2}))
    });
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "analyse", "Payload": {"n.$": "$.n"}}, "End": true}}});
    let result = run_with(&machine(&definition), json!({"n": 21}), &handler).await;
    let out = output(&result);
    assert_eq!(out["Payload"], json!({"x": 42}));
    assert_eq!(out["StatusCode"], json!(200));
    assert_eq!(out["ExecutedVersion"], json!("$LATEST"));
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
    assert!(out["SdkResponseMetadata"]["RequestId"].is_string());
}

#[tokio::test]
async fn lambda_invoke_result_selector_reads_payload() {
    let handler = TestHandler::new(|_, _, _| Ok(json!({"x": 1, "y": 2})));
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultSelector": {"x.$": "$.Payload.x"},
        "ResultPath": "$.result", "End": true}}});
    let result = run_with(&machine(&definition), json!({"keep": true}), &handler).await;
    assert_eq!(output(&result), json!({"keep": true, "result": {"x": 1}}));
}

#[tokio::test]
async fn lambda_invoke_without_payload_sends_empty_object() {
    let handler = TestHandler::echo();
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"}, "End": true}}});
    let result = run_with(&machine(&definition), json!({"a": 1}), &handler).await;
    assert_eq!(output(&result)["Payload"], json!({}));
}

#[tokio::test]
async fn lambda_invoke_without_function_name_fails() {
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}});
    let result = run_with(&machine(&definition), json!({}), &TestHandler::echo()).await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn lambda_arn_resource_returns_raw_result() {
    let handler = TestHandler::new(|_, input, ctx| {
        assert_eq!(ctx.integration, Integration::LambdaFunction);
        Ok(json!({"echo": input}))
    });
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:echo", "End": true}}});
    let result = run_with(&machine(&definition), json!({"a": 1}), &handler).await;
    assert_eq!(output(&result), json!({"echo": {"a": 1}}));
}

#[tokio::test]
async fn task_failure_fails_the_execution_with_its_error_and_cause() {
    let handler = failing_then_ok(&["Boom"]);
    let result = run_with(&machine(&task(json!({}))), json!({}), &handler).await;
    assert_eq!(
        failure(&result),
        ("Boom".to_string(), "failure 0".to_string())
    );
}

#[tokio::test]
async fn retry_backs_off_exponentially() {
    let handler = failing_then_ok(&["Transient", "Transient", "Transient"]);
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &load("retry_backoff.asl.json"),
        json!({}),
        &handler,
        &options(&sleeper),
    )
    .await;
    assert_eq!(output(&result), json!({"value": "ok", "attempt": 3}));
    assert_eq!(secs(&sleeper.delays()), vec![1.0, 2.0, 4.0]);
    assert_eq!(handler.call_count(), 4);
}

#[tokio::test]
async fn retry_exhausted_falls_through_to_catch() {
    let handler = failing_then_ok(&["Transient"; 4]);
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &load("retry_backoff.asl.json"),
        json!({"in": 1}),
        &handler,
        &options(&sleeper),
    )
    .await;
    assert_eq!(
        output(&result),
        json!({"in": 1, "failure": {"Error": "Transient", "Cause": "failure 3"}})
    );
    assert_eq!(handler.call_count(), 4);
    let states: Vec<&str> = result
        .history
        .iter()
        .map(|e| e.state_name.as_str())
        .collect();
    assert_eq!(states, vec!["Flaky", "GaveUp"]);
}

#[tokio::test]
async fn retry_delay_is_capped_by_max_delay_seconds() {
    let handler = failing_then_ok(&["E"; 4]);
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &load("retry_max_delay.asl.json"),
        json!({}),
        &handler,
        &options(&sleeper),
    )
    .await;
    output(&result);
    assert_eq!(secs(&sleeper.delays()), vec![3.0, 9.0, 10.0, 10.0]);
}

#[tokio::test]
async fn each_retrier_counts_its_own_attempts() {
    let handler = failing_then_ok(&["ErrorA", "ErrorB", "ErrorC", "ErrorB"]);
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &load("retry_per_retrier.asl.json"),
        json!({}),
        &handler,
        &options(&sleeper),
    )
    .await;
    assert_eq!(secs(&sleeper.delays()), vec![1.0, 2.0, 5.0]);
    assert_eq!(
        output(&result),
        json!({"Error": "ErrorB", "Cause": "failure 3"})
    );
    assert_eq!(result.history.last().unwrap().state_name, "Z");
}

#[tokio::test]
async fn max_attempts_zero_never_retries() {
    let handler = failing_then_ok(&["E"]);
    let definition = task(json!({"Retry": [{"ErrorEquals": ["E"], "MaxAttempts": 0}]}));
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &machine(&definition),
        json!({}),
        &handler,
        &options(&sleeper),
    )
    .await;
    assert_eq!(failure(&result).0, "E");
    assert!(sleeper.delays().is_empty());
    assert_eq!(handler.call_count(), 1);
}

#[tokio::test]
async fn default_retry_policy_is_three_attempts_one_second_doubling() {
    let handler = failing_then_ok(&["E"; 5]);
    let definition = task(json!({"Retry": [{"ErrorEquals": ["E"]}]}));
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &machine(&definition),
        json!({}),
        &handler,
        &options(&sleeper),
    )
    .await;
    assert_eq!(failure(&result).0, "E");
    assert_eq!(secs(&sleeper.delays()), vec![1.0, 2.0, 4.0]);
}

#[tokio::test]
async fn full_jitter_delays_stay_below_the_backoff() {
    let handler = failing_then_ok(&["E"; 3]);
    let definition = task(
        json!({"Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 4, "JitterStrategy": "FULL"}]}),
    );
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &machine(&definition),
        json!({}),
        &handler,
        &options(&sleeper),
    )
    .await;
    output(&result);
    let delays = secs(&sleeper.delays());
    assert_eq!(delays.len(), 3);
    for (delay, cap) in delays.iter().zip([4.0, 8.0, 16.0]) {
        assert!(*delay >= 0.0 && *delay <= cap, "{delay} > {cap}");
    }
}

#[tokio::test]
async fn retry_count_is_visible_in_the_context_object() {
    let handler = failing_then_ok(&["E", "E"]);
    let definition = task(
        json!({"Parameters": {"attempt.$": "$$.State.RetryCount"}, "Retry": [{"ErrorEquals": ["E"]}]}),
    );
    let result = run_with(&machine(&definition), json!({}), &handler).await;
    assert_eq!(output(&result)["attempt"], json!(2));
    let seen: Vec<u32> = handler
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.2.retry_count)
        .collect();
    assert_eq!(seen, vec![0, 1, 2]);
}

#[tokio::test]
async fn catch_replaces_output_with_error_by_default() {
    let handler = failing_then_ok(&["Boom"]);
    let definition = task(json!({"Catch": [{"ErrorEquals": ["Boom"], "Next": "Caught"}]}));
    let result = run_with(&machine(&definition), json!({"in": 1}), &handler).await;
    assert_eq!(
        output(&result),
        json!({"Error": "Boom", "Cause": "failure 0"})
    );
}

#[tokio::test]
async fn catch_result_path_keeps_the_input() {
    let handler = failing_then_ok(&["Boom"]);
    let definition = task(
        json!({"Catch": [{"ErrorEquals": ["Boom"], "Next": "Caught", "ResultPath": "$.err"}]}),
    );
    let result = run_with(&machine(&definition), json!({"in": 1}), &handler).await;
    assert_eq!(
        output(&result),
        json!({"in": 1, "err": {"Error": "Boom", "Cause": "failure 0"}})
    );
}

#[tokio::test]
async fn catch_result_path_null_discards_the_error() {
    let handler = failing_then_ok(&["Boom"]);
    let definition =
        task(json!({"Catch": [{"ErrorEquals": ["Boom"], "Next": "Caught", "ResultPath": null}]}));
    let result = run_with(&machine(&definition), json!({"in": 1}), &handler).await;
    assert_eq!(output(&result), json!({"in": 1}));
}

#[tokio::test]
async fn first_matching_catcher_wins() {
    let handler = failing_then_ok(&["Boom"]);
    let definition = task(json!({"Catch": [
        {"ErrorEquals": ["Unrelated"], "Next": "Caught"},
        {"ErrorEquals": ["Boom"], "Next": "Other"},
        {"ErrorEquals": ["States.ALL"], "Next": "Caught"}]}));
    let result = run_with(&machine(&definition), json!({}), &handler).await;
    assert_eq!(output(&result), json!("other"));
}

#[tokio::test]
async fn unmatched_error_is_not_caught() {
    let handler = failing_then_ok(&["Boom"]);
    let definition = task(json!({"Catch": [{"ErrorEquals": ["Unrelated"], "Next": "Caught"}]}));
    let result = run_with(&machine(&definition), json!({}), &handler).await;
    assert_eq!(failure(&result).0, "Boom");
}

#[tokio::test]
async fn states_all_does_not_catch_states_runtime() {
    let definition = task(
        json!({"InputPath": "$.missing", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]}),
    );
    let result = run_with(&machine(&definition), json!({}), &TestHandler::echo()).await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn states_task_failed_matches_task_errors() {
    let handler = failing_then_ok(&["Lambda.ServiceException"]);
    let definition =
        task(json!({"Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]}));
    let result = run_with(&machine(&definition), json!({}), &handler).await;
    assert_eq!(output(&result)["Error"], json!("Lambda.ServiceException"));
}

#[tokio::test]
async fn parameter_path_failure_can_be_caught() {
    let definition = task(json!({"Parameters": {"x.$": "$.missing"},
        "Catch": [{"ErrorEquals": ["States.ParameterPathFailure"], "Next": "Caught"}]}));
    let result = run_with(&machine(&definition), json!({}), &TestHandler::echo()).await;
    assert_eq!(
        output(&result)["Error"],
        json!("States.ParameterPathFailure")
    );
}

#[tokio::test]
async fn result_selector_shapes_the_result() {
    let handler = TestHandler::new(|_, _, _| Ok(json!({"a": {"b": 1}, "noise": true})));
    let definition =
        task(json!({"ResultSelector": {"b.$": "$.a.b", "fixed": "f"}, "ResultPath": "$.r"}));
    let result = run_with(&machine(&definition), json!({"x": 0}), &handler).await;
    assert_eq!(
        output(&result),
        json!({"x": 0, "r": {"b": 1, "fixed": "f"}})
    );
}

#[tokio::test]
async fn timeout_fails_with_states_timeout() {
    let handler = TestHandler::echo().with_delay(Duration::from_secs(3));
    let definition = task(json!({"TimeoutSeconds": 1}));
    let result = run_with(&machine(&definition), json!({}), &handler).await;
    assert_eq!(failure(&result).0, "States.Timeout");
}

#[tokio::test]
async fn task_failed_does_not_catch_timeout_but_all_does() {
    let handler = TestHandler::echo().with_delay(Duration::from_secs(3));
    let definition = task(json!({"TimeoutSecondsPath": "$.limit", "Catch": [
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"},
        {"ErrorEquals": ["States.ALL"], "Next": "Other"}]}));
    let result = run_with(&machine(&definition), json!({"limit": 1}), &handler).await;
    assert_eq!(output(&result), json!("other"));
}
