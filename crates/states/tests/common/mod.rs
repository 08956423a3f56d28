//! Shared helpers for the conformance tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use starling_states::{
    ExecutionOptions, ExecutionResult, StateMachine, TaskContext, TaskFailure, TaskHandler,
    VirtualSleeper, execute,
};

type Script = dyn Fn(&str, Value, &TaskContext) -> Result<Value, TaskFailure> + Send + Sync;

/// A handler answering from a closure, logging calls and counting how many
/// invocations are in flight at once.
pub struct TestHandler {
    script: Box<Script>,
    pub calls: Mutex<Vec<(String, Value, TaskContext)>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub delay: Option<Duration>,
}

impl TestHandler {
    pub fn new(
        script: impl Fn(&str, Value, &TaskContext) -> Result<Value, TaskFailure> + Send + Sync + 'static,
    ) -> Self {
        Self {
            script: Box::new(script),
            calls: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            delay: None,
        }
    }

    /// Echoes its input.
    pub fn echo() -> Self {
        Self::new(|_, input, _| Ok(input))
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    pub fn call_count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }

    pub fn inputs(&self) -> Vec<Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.1.clone())
            .collect()
    }
}

#[async_trait]
impl TaskHandler for TestHandler {
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        self.calls
            .lock()
            .unwrap()
            .push((resource.to_string(), input.clone(), ctx.clone()));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        let outcome = (self.script)(resource, input, ctx);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        outcome
    }
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn machine(definition: &Value) -> StateMachine {
    StateMachine::from_value(definition).unwrap()
}

pub fn load(name: &str) -> StateMachine {
    StateMachine::from_json(&fixture(name)).unwrap()
}

pub fn options(sleeper: &Arc<VirtualSleeper>) -> ExecutionOptions {
    ExecutionOptions {
        execution_name: Some("test-execution".into()),
        state_machine_name: "test-machine".into(),
        sleeper: sleeper.clone(),
        ..ExecutionOptions::default()
    }
}

/// Runs with a virtual clock and the given handler.
pub async fn run_with(
    machine: &StateMachine,
    input: Value,
    handler: &TestHandler,
) -> ExecutionResult {
    let sleeper = Arc::new(VirtualSleeper::new());
    execute(machine, input, handler, &options(&sleeper)).await
}

/// Runs a definition given inline with an echo handler.
pub async fn run(definition: Value, input: Value) -> ExecutionResult {
    run_with(&machine(&definition), input, &TestHandler::echo()).await
}

/// Runs a single Pass-like state definition `state` as the whole machine.
pub async fn run_state(state: Value, input: Value) -> ExecutionResult {
    run(
        serde_json::json!({"StartAt": "S", "States": {"S": state}}),
        input,
    )
    .await
}

pub fn output(result: &ExecutionResult) -> Value {
    assert_eq!(
        result.status,
        starling_states::ExecutionStatus::Succeeded,
        "execution failed: {:?} {:?}",
        result.error,
        result.cause
    );
    result.output.clone().unwrap()
}

pub fn failure(result: &ExecutionResult) -> (String, String) {
    assert_eq!(
        result.status,
        starling_states::ExecutionStatus::Failed,
        "execution succeeded: {:?}",
        result.output
    );
    (
        result.error.clone().unwrap_or_default(),
        result.cause.clone().unwrap_or_default(),
    )
}
