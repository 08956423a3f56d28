//! State transitions per second: a Pass/Choice loop, and a Map over 100
//! items whose Task does nothing.

use std::hint::black_box;
use std::sync::Arc;

use async_trait::async_trait;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use starling_states::{
    ExecutionOptions, ExecutionStatus, StateMachine, TaskContext, TaskFailure, TaskHandler,
    VirtualSleeper, execute,
};

/// A Task handler that does nothing.
struct NoOp;

#[async_trait]
impl TaskHandler for NoOp {
    async fn invoke(&self, _: &str, input: Value, _: &TaskContext) -> Result<Value, TaskFailure> {
        Ok(input)
    }
}

fn pass_choice_loop() -> StateMachine {
    let definition = json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": {"i": 0, "label": "bench"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 100, "Next": "Done"},
            {"And": [{"Variable": "$.label", "StringEquals": "never"}, {"Variable": "$.i", "IsNumeric": true}], "Next": "Done"}
        ], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "label.$": "$.label"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    StateMachine::from_value(&definition).unwrap_or_else(|e| panic!("{e}"))
}

fn map_over_items() -> StateMachine {
    let definition = json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 10,
            "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"StartAt": "Work", "States": {
                "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                         "Parameters": {"FunctionName": "noop", "Payload.$": "$"},
                         "ResultSelector": {"v.$": "$.Payload.value"}, "End": true}}},
            "ResultPath": "$.results", "End": true}}});
    StateMachine::from_value(&definition).unwrap_or_else(|e| panic!("{e}"))
}

fn bench_machine(c: &mut Criterion, name: &str, machine: &StateMachine, input: &Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let options = ExecutionOptions {
        sleeper: Arc::new(VirtualSleeper::new()),
        ..ExecutionOptions::default()
    };
    let probe = runtime.block_on(execute(machine, input.clone(), &NoOp, &options));
    assert_eq!(
        probe.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        probe.cause
    );
    let mut group = c.benchmark_group("transitions");
    group.throughput(Throughput::Elements(probe.transitions));
    group.bench_function(format!("{name} ({} transitions)", probe.transitions), |b| {
        b.iter(|| {
            let result =
                runtime.block_on(execute(machine, black_box(input.clone()), &NoOp, &options));
            black_box(result.transitions)
        });
    });
    group.finish();
}

fn transitions(c: &mut Criterion) {
    bench_machine(c, "pass_choice_loop", &pass_choice_loop(), &json!({}));
    let items: Vec<Value> = (0..100)
        .map(|i| json!({"id": i, "text": "hello"}))
        .collect();
    bench_machine(
        c,
        "map_100_items",
        &map_over_items(),
        &json!({"items": items}),
    );
}

criterion_group!(benches, transitions);
criterion_main!(benches);
