//! Parallel and Map states: outputs, concurrency, failures, Catch and Retry.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{TestHandler, failure, load, machine, options, output, run, run_with};
use serde_json::{Value, json};
use starling_states::{TaskFailure, VirtualSleeper, execute};

fn doubler() -> TestHandler {
    TestHandler::new(|_, input, _| {
        if input.get("fail") == Some(&json!(true)) {
            return Err(TaskFailure::new("ItemFailed", format!("bad item {input}")));
        }
        match input.get("n").and_then(Value::as_i64) {
            Some(n) => Ok(json!({"n": n * 2})),
            None => Ok(input),
        }
    })
}

#[tokio::test]
async fn parallel_collects_branch_outputs_in_order() {
    let result = run_with(
        &load("parallel.asl.json"),
        json!({"n": 21, "keep": 1}),
        &doubler(),
    )
    .await;
    assert_eq!(
        output(&result),
        json!({"n": 21, "keep": 1, "fan": {"doubled": 42, "size": "big"}})
    );
}

#[tokio::test]
async fn succeed_inside_a_branch_ends_only_that_branch() {
    let result = run_with(&load("parallel.asl.json"), json!({"n": 2}), &doubler()).await;
    assert_eq!(output(&result)["fan"], json!({"doubled": 4, "size": 2}));
    assert_eq!(result.history.last().unwrap().state_name, "Done");
}

#[tokio::test]
async fn parallel_branches_run_concurrently() {
    let handler = TestHandler::echo().with_delay(Duration::from_millis(50));
    let task = json!({"Type": "Task", "Resource": "r", "End": true});
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": task}}, {"StartAt": "B", "States": {"B": task}}, {"StartAt": "C", "States": {"C": task}}]}}});
    let result = run_with(&machine(&definition), json!({"x": 1}), &handler).await;
    assert_eq!(output(&result), json!([{"x": 1}, {"x": 1}, {"x": 1}]));
    assert_eq!(handler.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn parallel_branch_failure_fails_the_state_with_the_branch_error() {
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Custom.Error", "Cause": "branch 2"}}}]}}});
    let result = run(definition, json!({})).await;
    assert_eq!(
        failure(&result),
        ("Custom.Error".to_string(), "branch 2".to_string())
    );
}

#[tokio::test]
async fn parallel_catch_handles_branch_errors() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Ok", "ResultPath": "$.r",
              "Catch": [{"ErrorEquals": ["Custom.Error"], "ResultPath": "$.error", "Next": "Handled"}],
              "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Custom.Error", "Cause": "c"}}}]},
        "Ok": {"Type": "Succeed"},
        "Handled": {"Type": "Pass", "End": true}}});
    let result = run(definition, json!({"in": 1})).await;
    assert_eq!(
        output(&result),
        json!({"in": 1, "error": {"Error": "Custom.Error", "Cause": "c"}})
    );
}

#[tokio::test]
async fn parallel_retry_reruns_every_branch() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let handler = TestHandler::new(move |_, input, _| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(TaskFailure::new("Flaky", "first call"))
        } else {
            Ok(input)
        }
    });
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true,
        "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2}],
        "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "r", "End": true}}}]}}});
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &machine(&definition),
        json!({"v": 1}),
        &handler,
        &options(&sleeper),
    )
    .await;
    assert_eq!(output(&result), json!([{"v": 1}]));
    assert_eq!(sleeper.delays(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn map_runs_each_item_and_keeps_order() {
    let handler = doubler().with_delay(Duration::from_millis(1));
    let input = json!({"batch": "b1", "items": [1, 2, 3, 4, 5]});
    let result = run_with(&load("map_concurrency.asl.json"), input, &handler).await;
    let out = output(&result);
    assert_eq!(out["results"].as_array().unwrap().len(), 5);
    assert_eq!(
        out["results"][2],
        json!({"value": 3, "index": 2, "batch": "b1"})
    );
    assert_eq!(out["items"], json!([1, 2, 3, 4, 5]));
}

#[tokio::test]
async fn map_max_concurrency_bounds_in_flight_invocations() {
    let handler = TestHandler::echo().with_delay(Duration::from_millis(20));
    let items: Vec<i32> = (0..12).collect();
    let result = run_with(
        &load("map_concurrency.asl.json"),
        json!({"batch": 1, "items": items}),
        &handler,
    )
    .await;
    output(&result);
    assert_eq!(handler.call_count(), 12);
    assert_eq!(handler.max_in_flight.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn map_max_concurrency_zero_runs_all_items_at_once() {
    let handler = TestHandler::echo().with_delay(Duration::from_millis(20));
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrency": 0, "End": true,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}}}});
    let result = run_with(
        &machine(&definition),
        json!([1, 2, 3, 4, 5, 6, 7, 8]),
        &handler,
    )
    .await;
    assert_eq!(output(&result), json!([1, 2, 3, 4, 5, 6, 7, 8]));
    assert_eq!(handler.max_in_flight.load(Ordering::SeqCst), 8);
}

#[tokio::test]
async fn map_max_concurrency_path_reads_the_limit() {
    let handler = TestHandler::echo().with_delay(Duration::from_millis(20));
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrencyPath": "$.limit", "ItemsPath": "$.items", "End": true,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}}}});
    let result = run_with(
        &machine(&definition),
        json!({"limit": 2, "items": [1, 2, 3, 4, 5]}),
        &handler,
    )
    .await;
    output(&result);
    assert_eq!(handler.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn map_legacy_iterator_and_parameters_work() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.xs", "End": true,
        "Parameters": {"x.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "tag.$": "$.tag"},
        "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let result = run(definition, json!({"tag": "t", "xs": ["a", "b"]})).await;
    assert_eq!(
        output(&result),
        json!([{"x": "a", "i": 0, "tag": "t"}, {"x": "b", "i": 1, "tag": "t"}])
    );
}

#[tokio::test]
async fn map_over_empty_array_outputs_empty_array() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    assert_eq!(output(&run(definition, json!([])).await), json!([]));
}

#[tokio::test]
async fn map_items_path_must_select_an_array() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.x", "End": true,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    assert_eq!(
        failure(&run(definition, json!({"x": "no"})).await).0,
        "States.Runtime"
    );
}

#[tokio::test]
async fn map_item_failure_fails_the_map_with_its_error() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}}}});
    let result = run_with(
        &machine(&definition),
        json!([{"n": 1}, {"fail": true}]),
        &doubler(),
    )
    .await;
    assert_eq!(failure(&result).0, "ItemFailed");
}

#[tokio::test]
async fn map_catch_handles_item_failure() {
    let definition = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Next": "Ok", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
              "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}},
        "Ok": {"Type": "Succeed"}, "Handled": {"Type": "Pass", "End": true}}});
    let result = run_with(&machine(&definition), json!([{"fail": true}]), &doubler()).await;
    assert_eq!(output(&result)["Error"], json!("ItemFailed"));
}

#[tokio::test]
async fn map_tolerated_failure_count_keeps_going() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}}}});
    let result = run_with(
        &machine(&definition),
        json!([{"n": 1}, {"fail": true}, {"n": 3}]),
        &doubler(),
    )
    .await;
    let out = output(&result);
    assert_eq!(out[0], json!({"n": 2}));
    assert_eq!(out[1]["Error"], json!("ItemFailed"));
    assert_eq!(out[2], json!({"n": 6}));
}

#[tokio::test]
async fn map_exceeding_tolerated_failure_percentage_fails() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true, "ToleratedFailurePercentage": 40,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": true}}}}}});
    let result = run_with(
        &machine(&definition),
        json!([{"fail": true}, {"fail": true}, {"n": 3}]),
        &doubler(),
    )
    .await;
    assert_eq!(failure(&result).0, "States.ExceedToleratedFailureThreshold");
}

#[tokio::test]
async fn nested_states_are_recorded_with_their_scope() {
    let handler = doubler();
    let result = run_with(
        &load("map_concurrency.asl.json"),
        json!({"batch": 0, "items": [1, 2]}),
        &handler,
    )
    .await;
    output(&result);
    assert_eq!(result.transitions, 3);
    let mut scopes: Vec<String> = result
        .history
        .iter()
        .map(|e| format!("{}:{}", e.scope, e.state_name))
        .collect();
    scopes.sort();
    assert_eq!(
        scopes,
        vec![":Each", "Each/Items[0]:Work", "Each/Items[1]:Work"]
    );
}

#[tokio::test]
async fn analyse_like_definition_runs_end_to_end() {
    let handler = TestHandler::new(|resource, input, ctx| match ctx.function_name.as_deref() {
        Some("analyse-text") => Ok(
            json!({"sentiment": if input["text"].as_str().unwrap_or("").contains("bad") { "NEGATIVE" } else { "POSITIVE" }}),
        ),
        Some("analyse-image") => Ok(json!({"url": input["url"], "faces": input["index"]})),
        _ => {
            assert_eq!(resource, "arn:aws:states:::events:putEvents");
            Ok(json!({"FailedEntryCount": 0}))
        }
    });
    let input = json!({"detail": {"text": "a bad day", "images": ["a.png", "b.png", "c.png"]}});
    let result = run_with(&load("analyse_like.asl.json"), input, &handler).await;
    let out = output(&result);
    assert_eq!(out["analysis"]["text"], json!({"sentiment": "NEGATIVE"}));
    assert_eq!(
        out["analysis"]["images"][2],
        json!({"url": "c.png", "faces": 2})
    );
    let published = handler.inputs().last().cloned().unwrap();
    assert_eq!(
        published["Entries"][0]["Detail"]["summary"],
        json!("3 image(s), sentiment NEGATIVE")
    );
    let states: Vec<&str> = result
        .history
        .iter()
        .filter(|e| e.scope.is_empty())
        .map(|e| e.state_name.as_str())
        .collect();
    assert_eq!(
        states,
        vec!["Normalise", "Analyse", "Decide", "Publish", "Done"]
    );
}

#[tokio::test]
async fn analyse_like_definition_fails_through_catch_and_fail_state() {
    let handler = TestHandler::new(|_, _, ctx| match ctx.function_name.as_deref() {
        Some("analyse-text") => Err(TaskFailure::new(
            "Lambda.Unknown",
            "{\"errorMessage\":\"boom\"}",
        )),
        _ => Ok(json!({})),
    });
    let input = json!({"detail": {"text": "hi", "images": []}});
    let result = run_with(&load("analyse_like.asl.json"), input, &handler).await;
    assert_eq!(
        failure(&result),
        (
            "Lambda.Unknown".to_string(),
            "{\"errorMessage\":\"boom\"}".to_string()
        )
    );
}

#[tokio::test]
async fn map_item_context_reads_whole_item_and_nested_values() {
    let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemSelector": {"item.$": "$$.Map.Item", "id.$": "$$.Map.Item.Value.id"},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let result = run(definition, json!([{"id": "a"}])).await;
    assert_eq!(
        output(&result),
        json!([{"item": {"Index": 0, "Value": {"id": "a"}}, "id": "a"}])
    );
}

/// AWS: "A retry or catch on States.ALL won't catch States.Runtime errors" — not in the state
/// that raised it, nor in an enclosing Parallel or Map: the execution fails.
#[tokio::test]
async fn a_runtime_error_in_a_branch_is_not_caught_by_the_parallels_states_all() {
    let definition = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "Ok",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
              "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
              "Branches": [{"StartAt": "Bad", "States": {
                  "Bad": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}]},
        "Ok": {"Type": "Succeed"},
        "Caught": {"Type": "Succeed"}}});
    let result = run_with(&machine(&definition), json!({}), &TestHandler::echo()).await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn a_runtime_error_in_a_map_iteration_is_not_caught_by_the_maps_states_all() {
    let definition = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.items", "Next": "Ok",
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
              "ItemProcessor": {"StartAt": "Bad", "States": {
                  "Bad": {"Type": "Pass", "OutputPath": "$.missing", "End": true}}}},
        "Ok": {"Type": "Succeed"},
        "Caught": {"Type": "Succeed"}}});
    let result = run_with(
        &machine(&definition),
        json!({"items": [1]}),
        &TestHandler::echo(),
    )
    .await;
    assert_eq!(failure(&result).0, "States.Runtime");
}

#[tokio::test]
async fn a_runtime_error_in_a_map_iteration_is_never_a_tolerated_failure() {
    for tolerance in [
        json!({"ToleratedFailureCount": 5}),
        json!({"ToleratedFailurePercentage": 100}),
    ] {
        let mut map = json!({"Type": "Map", "ItemsPath": "$.items", "End": true,
            "ItemProcessor": {"StartAt": "Bad", "States": {
                "Bad": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}});
        map.as_object_mut()
            .unwrap()
            .extend(tolerance.as_object().unwrap().clone());
        let definition = json!({"StartAt": "M", "States": {"M": map}});
        let result = run_with(
            &machine(&definition),
            json!({"items": [1, 2]}),
            &TestHandler::echo(),
        )
        .await;
        assert_eq!(failure(&result).0, "States.Runtime", "{tolerance}");
    }
}
