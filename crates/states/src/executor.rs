//! Running a state machine: transitions, input/output processing, Retry and
//! Catch, Parallel branches and Map iterations (with bounded concurrency).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::{FutureExt as _, StreamExt as _};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::choice::parse_timestamp;
use crate::clock::{Sleeper, TokioSleeper};
use crate::context::{ExecutionInfo, StateContext};
use crate::definition::{
    FailText, IoPath, Processing, Setting, State, StateKind, StateMachine, TaskTimeout, Transition,
    WaitFor,
};
use crate::error::{StatesError, names};
use crate::paths::type_name;
use crate::retry::error_matches;
use crate::task::{Integration, TaskContext, TaskHandler, classify, wrap_lambda_result};

/// How an execution is run and named.
#[derive(Clone)]
pub struct ExecutionOptions {
    /// `$$.Execution.Name` (a UUID when `None`).
    pub execution_name: Option<String>,
    /// `$$.StateMachine.Name`.
    pub state_machine_name: String,
    /// The region in the ARNs of the context object.
    pub region: String,
    /// The account in the ARNs of the context object.
    pub account: String,
    /// `$$.Execution.RoleArn`.
    pub role_arn: String,
    /// The clock used by Wait, Retry and `EnteredTime`.
    pub sleeper: Arc<dyn Sleeper>,
    /// The execution fails with `States.Runtime` after this many transitions
    /// (a guard against endless loops).
    pub max_transitions: u64,
    /// Whether to record the states entered in [`ExecutionResult::history`].
    pub record_history: bool,
}

impl Default for ExecutionOptions {
    fn default() -> Self {
        Self {
            execution_name: None,
            state_machine_name: "local".to_string(),
            region: "local".to_string(),
            account: "000000000000".to_string(),
            role_arn: "arn:aws:iam::000000000000:role/starling-local".to_string(),
            sleeper: Arc::new(TokioSleeper),
            max_transitions: 100_000,
            record_history: true,
        }
    }
}

impl std::fmt::Debug for ExecutionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionOptions")
            .field("execution_name", &self.execution_name)
            .field("state_machine_name", &self.state_machine_name)
            .field("max_transitions", &self.max_transitions)
            .finish_non_exhaustive()
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// It reached a Succeed state or an End.
    Succeeded,
    /// An error was not caught, or a Fail state was reached.
    Failed,
}

/// One state entered during the execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    /// The state's name.
    pub state_name: String,
    /// Its type (`Task`, `Map`...).
    pub state_type: &'static str,
    /// Where it ran: empty at top level, else e.g. `Fan/Branches[1]` or `Each/Items[3]`.
    pub scope: String,
    /// When it was entered (by the sleeper's clock).
    pub entered_at: DateTime<Utc>,
}

/// The outcome of an execution (serialises as camelCase JSON, with the
/// status as `SUCCEEDED` or `FAILED`, as Step Functions spells it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionResult {
    /// Succeeded or Failed.
    pub status: ExecutionStatus,
    /// The final output, when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// The error name, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The error cause, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// How many states were entered (nested ones included).
    pub transitions: u64,
    /// The states entered, in order (concurrent branches interleave).
    pub history: Vec<HistoryEvent>,
}

/// Runs `machine` on `input`, doing Task work through `handler`.
pub async fn execute(
    machine: &StateMachine,
    input: Value,
    handler: &dyn TaskHandler,
    options: &ExecutionOptions,
) -> ExecutionResult {
    let name = options
        .execution_name
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let execution = Arc::new(ExecutionInfo {
        id: format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            options.region, options.account, options.state_machine_name, name
        ),
        name,
        input: input.clone(),
        start_time: options.sleeper.now(),
        role_arn: options.role_arn.clone(),
        state_machine_id: format!(
            "arn:aws:states:{}:{}:stateMachine:{}",
            options.region, options.account, options.state_machine_name
        ),
        state_machine_name: options.state_machine_name.clone(),
    });
    let runner = Runner {
        handler,
        options,
        execution,
        transitions: AtomicU64::new(0),
        history: Mutex::new(Vec::new()),
    };
    let run = runner.run_machine(machine, input, String::new());
    let outcome = match machine.timeout_seconds() {
        Some(seconds) if tokio::runtime::Handle::try_current().is_ok() => {
            match tokio::time::timeout(Duration::from_secs(seconds), run).await {
                Ok(outcome) => outcome,
                Err(_) => Err(StatesError::new(
                    names::TIMEOUT,
                    format!("the execution ran longer than its TimeoutSeconds ({seconds})"),
                )),
            }
        }
        _ => run.await,
    };
    let transitions = runner.transitions.load(Ordering::Relaxed);
    let history = runner
        .history
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match outcome {
        Ok(output) => ExecutionResult {
            status: ExecutionStatus::Succeeded,
            output: Some(output),
            error: None,
            cause: None,
            transitions,
            history,
        },
        Err(e) => ExecutionResult {
            status: ExecutionStatus::Failed,
            output: None,
            error: Some(e.error).filter(|s| !s.is_empty()),
            cause: Some(e.cause).filter(|s| !s.is_empty()),
            transitions,
            history,
        },
    }
}

struct Runner<'a> {
    handler: &'a dyn TaskHandler,
    options: &'a ExecutionOptions,
    execution: Arc<ExecutionInfo>,
    transitions: AtomicU64,
    history: Mutex<Vec<HistoryEvent>>,
}

enum Step {
    Next(String, Value),
    End(Value),
}

fn transition(transition: &Transition, output: Value) -> Step {
    match transition {
        Transition::Next(next) => Step::Next(next.clone(), output),
        Transition::End => Step::End(output),
    }
}

fn apply_input_path(state: &State, raw: &Value, ctx: &StateContext) -> Result<Value, StatesError> {
    match &state.input_path {
        IoPath::Null => Ok(Value::Object(Map::new())),
        IoPath::Path(path) => ctx.read_required(path, raw, |cause| {
            StatesError::runtime(format!("InputPath: {cause}"))
        }),
    }
}

fn apply_output_path(
    state: &State,
    value: Value,
    ctx: &StateContext,
) -> Result<Value, StatesError> {
    match &state.output_path {
        IoPath::Null => Ok(Value::Object(Map::new())),
        IoPath::Path(path) if path.as_reference().is_some_and(|r| r.segments().is_empty()) => {
            Ok(value)
        }
        IoPath::Path(path) => ctx.read_required(path, &value, |cause| {
            StatesError::runtime(format!("OutputPath: {cause}"))
        }),
    }
}

fn result_path_error(state: &State, message: String) -> StatesError {
    StatesError::new(
        names::RESULT_PATH_MATCH_FAILURE,
        format!(
            "unable to apply the ResultPath of state '{}' to its input: {message}",
            state.name
        ),
    )
}

fn resolve_setting(
    setting: &Setting,
    data: &Value,
    ctx: &StateContext,
    field: &str,
) -> Result<f64, StatesError> {
    match setting {
        Setting::Value(value) => Ok(*value),
        Setting::Path(path) => {
            let value = ctx.read_required(path, data, StatesError::runtime)?;
            value.as_f64().filter(|n| *n >= 0.0).ok_or_else(|| {
                StatesError::runtime(format!(
                    "{field}Path '{}' must select a non-negative number, got {value}",
                    path.text()
                ))
            })
        }
    }
}

impl Runner<'_> {
    fn run_machine<'s>(
        &'s self,
        machine: &'s StateMachine,
        input: Value,
        scope: String,
    ) -> BoxFuture<'s, Result<Value, StatesError>> {
        async move {
            let mut name = machine.start_at.as_str();
            let mut data = input;
            loop {
                let state = machine
                    .states
                    .get(name)
                    .ok_or_else(|| StatesError::runtime(format!("no state named '{name}'")))?;
                let count = self.transitions.fetch_add(1, Ordering::Relaxed) + 1;
                if count > self.options.max_transitions {
                    return Err(StatesError::runtime(format!(
                        "the execution exceeded {} state transitions",
                        self.options.max_transitions
                    )));
                }
                let entered = self.options.sleeper.now();
                if self.options.record_history {
                    let mut history = self
                        .history
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    history.push(HistoryEvent {
                        state_name: state.name.clone(),
                        state_type: state.kind.type_name(),
                        scope: scope.clone(),
                        entered_at: entered,
                    });
                }
                let ctx = StateContext::new(self.execution.clone(), &state.name, entered);
                match self.run_state(state, data, &ctx, &scope).await? {
                    Step::Next(next, output) => {
                        name = machine
                            .states
                            .get_key_value(&next)
                            .map(|(k, _)| k.as_str())
                            .ok_or_else(|| {
                                StatesError::runtime(format!("no state named '{next}'"))
                            })?;
                        data = output;
                    }
                    Step::End(output) => return Ok(output),
                }
            }
        }
        .boxed()
    }

    async fn run_state(
        &self,
        state: &State,
        raw: Value,
        ctx: &StateContext,
        scope: &str,
    ) -> Result<Step, StatesError> {
        match &state.kind {
            StateKind::Pass {
                parameters,
                result,
                result_path,
                transition: next,
            } => {
                let effective = apply_input_path(state, &raw, ctx)?;
                let result = match (result, parameters) {
                    (Some(result), _) => result.clone(),
                    (None, Some(parameters)) => parameters.evaluate(&effective, ctx)?,
                    (None, None) => effective,
                };
                let output = result_path
                    .apply(raw, result)
                    .map_err(|e| result_path_error(state, e))?;
                Ok(transition(next, apply_output_path(state, output, ctx)?))
            }
            StateKind::Choice { choices, default } => {
                let effective = apply_input_path(state, &raw, ctx)?;
                for rule in choices {
                    if rule.condition.evaluate(&effective, ctx)? {
                        let output = apply_output_path(state, effective, ctx)?;
                        return Ok(Step::Next(rule.next.clone(), output));
                    }
                }
                match default {
                    Some(default) => {
                        let output = apply_output_path(state, effective, ctx)?;
                        Ok(Step::Next(default.clone(), output))
                    }
                    None => Err(StatesError::new(
                        names::NO_CHOICE_MATCHED,
                        format!(
                            "no choice rule of state '{}' matched and it has no Default",
                            state.name
                        ),
                    )),
                }
            }
            StateKind::Wait {
                wait,
                transition: next,
            } => {
                let effective = apply_input_path(state, &raw, ctx)?;
                let delay = self.wait_delay(wait, &effective, ctx)?;
                self.options.sleeper.sleep(delay).await;
                Ok(transition(next, apply_output_path(state, effective, ctx)?))
            }
            StateKind::Succeed => {
                let effective = apply_input_path(state, &raw, ctx)?;
                Ok(Step::End(apply_output_path(state, effective, ctx)?))
            }
            StateKind::Fail { error, cause } => {
                let error = self.fail_text(error.as_ref(), &raw, ctx, "ErrorPath")?;
                let cause = self.fail_text(cause.as_ref(), &raw, ctx, "CausePath")?;
                Err(StatesError::new(error, cause))
            }
            StateKind::Task {
                processing,
                transition: next,
                ..
            }
            | StateKind::Parallel {
                processing,
                transition: next,
                ..
            }
            | StateKind::Map {
                processing,
                transition: next,
                ..
            } => {
                self.run_with_retry(state, processing, next, raw, ctx, scope)
                    .await
            }
        }
    }

    fn wait_delay(
        &self,
        wait: &WaitFor,
        data: &Value,
        ctx: &StateContext,
    ) -> Result<Duration, StatesError> {
        let until = |time: DateTime<Utc>| {
            (time - self.options.sleeper.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        };
        match wait {
            WaitFor::Seconds(seconds) => Ok(Duration::from_secs(*seconds)),
            WaitFor::Timestamp(time) => Ok(until(*time)),
            WaitFor::SecondsPath(path) => {
                let value = ctx.read_required(path, data, StatesError::runtime)?;
                value.as_u64().map(Duration::from_secs).ok_or_else(|| {
                    StatesError::runtime(format!(
                        "SecondsPath '{}' must select a non-negative integer, got {value}",
                        path.text()
                    ))
                })
            }
            WaitFor::TimestampPath(path) => {
                let value = ctx.read_required(path, data, StatesError::runtime)?;
                value
                    .as_str()
                    .and_then(parse_timestamp)
                    .map(until)
                    .ok_or_else(|| {
                        StatesError::runtime(format!(
                            "TimestampPath '{}' must select an RFC 3339 timestamp, got {value}",
                            path.text()
                        ))
                    })
            }
        }
    }

    fn fail_text(
        &self,
        text: Option<&FailText>,
        data: &Value,
        ctx: &StateContext,
        field: &str,
    ) -> Result<String, StatesError> {
        let value = match text {
            None => return Ok(String::new()),
            Some(FailText::Literal(text)) => return Ok(text.clone()),
            Some(FailText::Path(path)) => ctx.read_required(path, data, StatesError::runtime)?,
            Some(FailText::Intrinsic(intrinsic)) => intrinsic.evaluate(data, ctx)?,
        };
        match value {
            Value::String(text) => Ok(text),
            other => Err(StatesError::runtime(format!(
                "{field} of state '{}' must select a string, got a {}",
                ctx.state_name(),
                type_name(&other)
            ))),
        }
    }

    async fn run_with_retry(
        &self,
        state: &State,
        processing: &Processing,
        next: &Transition,
        raw: Value,
        ctx: &StateContext,
        scope: &str,
    ) -> Result<Step, StatesError> {
        let mut attempts = vec![0u32; processing.retry.len()];
        let mut retries = 0u32;
        let error = loop {
            let attempt_ctx = if retries == 0 {
                None
            } else {
                Some(ctx.with_retry_count(retries))
            };
            let attempt_ctx = attempt_ctx.as_ref().unwrap_or(ctx);
            let outcome = match apply_input_path(state, &raw, attempt_ctx) {
                Ok(effective) => self.attempt(state, effective, attempt_ctx, scope).await,
                Err(e) => Err(e),
            };
            let error = match outcome {
                Ok(result) => match processing.result_path.apply(raw.clone(), result) {
                    Ok(output) => {
                        return Ok(transition(next, apply_output_path(state, output, ctx)?));
                    }
                    Err(message) => break result_path_error(state, message),
                },
                Err(error) => error,
            };
            let retrier = processing
                .retry
                .iter()
                .position(|r| error_matches(&r.error_equals, &error.error));
            match retrier {
                Some(index) if attempts[index] < processing.retry[index].max_attempts => {
                    let delay = processing.retry[index].delay(attempts[index]);
                    attempts[index] += 1;
                    retries += 1;
                    self.options.sleeper.sleep(delay).await;
                }
                _ => break error,
            }
        };
        match processing
            .catch
            .iter()
            .find(|c| error_matches(&c.error_equals, &error.error))
        {
            Some(catcher) => {
                let error_output = json!({ "Error": error.error, "Cause": error.cause });
                let output = catcher
                    .result_path
                    .apply(raw, error_output)
                    .map_err(|e| result_path_error(state, e))?;
                Ok(Step::Next(catcher.next.clone(), output))
            }
            None => Err(error),
        }
    }

    /// One attempt of a Task, Parallel or Map: from Parameters to ResultSelector.
    async fn attempt(
        &self,
        state: &State,
        effective: Value,
        ctx: &StateContext,
        scope: &str,
    ) -> Result<Value, StatesError> {
        let (processing, result) = match &state.kind {
            StateKind::Task {
                resource,
                processing,
                timeout,
                ..
            } => {
                let parameters = match &processing.parameters {
                    Some(template) => template.evaluate(&effective, ctx)?,
                    None => effective.clone(),
                };
                let timeout = match timeout {
                    None => None,
                    Some(TaskTimeout::Seconds(seconds)) => Some(*seconds as f64),
                    Some(TaskTimeout::Path(path)) => Some(resolve_setting(
                        &Setting::Path(path.clone()),
                        &effective,
                        ctx,
                        "TimeoutSeconds",
                    )?),
                };
                let result = self.invoke(resource, parameters, ctx, timeout).await?;
                (processing, result)
            }
            StateKind::Parallel {
                branches,
                processing,
                ..
            } => {
                let input = match &processing.parameters {
                    Some(template) => template.evaluate(&effective, ctx)?,
                    None => effective,
                };
                let runs = branches.iter().enumerate().map(|(i, branch)| {
                    self.run_machine(
                        branch,
                        input.clone(),
                        nested_scope(scope, &state.name, "Branches", i),
                    )
                });
                let outputs = futures::future::try_join_all(runs).await?;
                (processing, Value::Array(outputs))
            }
            StateKind::Map { processing, .. } => {
                let result = self.run_map(state, effective, ctx, scope).await?;
                (processing, result)
            }
            _ => {
                return Err(StatesError::runtime(format!(
                    "state '{}' cannot be retried",
                    state.name
                )));
            }
        };
        match &processing.result_selector {
            Some(selector) => selector.evaluate(&result, ctx),
            None => Ok(result),
        }
    }

    async fn invoke(
        &self,
        resource: &str,
        parameters: Value,
        ctx: &StateContext,
        timeout: Option<f64>,
    ) -> Result<Value, StatesError> {
        let integration = classify(resource);
        let (function_name, input) = match integration {
            Integration::LambdaInvoke => {
                let function_name = parameters
                    .get("FunctionName")
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        StatesError::runtime(format!(
                            "state '{}': lambda:invoke needs a string Parameters.FunctionName",
                            ctx.state_name()
                        ))
                    })?
                    .to_string();
                let payload = parameters
                    .get("Payload")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Map::new()));
                (Some(function_name), payload)
            }
            Integration::LambdaFunction => (Some(resource.to_string()), parameters.clone()),
            Integration::Service => (None, parameters.clone()),
        };
        let task_ctx = TaskContext {
            state_name: ctx.state_name().to_string(),
            execution_id: ctx.execution().id.clone(),
            execution_name: ctx.execution().name.clone(),
            retry_count: ctx.retry_count(),
            integration,
            function_name,
            parameters,
        };
        let call = self.handler.invoke(resource, input, &task_ctx);
        let outcome = match timeout {
            None => call.await,
            Some(seconds) => {
                if tokio::runtime::Handle::try_current().is_err() {
                    return Err(StatesError::runtime(
                        "TimeoutSeconds needs the execution to run inside a tokio runtime",
                    ));
                }
                let limit = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
                match tokio::time::timeout(limit, call).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        return Err(StatesError::new(
                            names::TIMEOUT,
                            format!(
                                "the task of state '{}' ran longer than {seconds} seconds",
                                ctx.state_name()
                            ),
                        ));
                    }
                }
            }
        };
        let result = outcome.map_err(|failure| StatesError::new(failure.error, failure.cause))?;
        Ok(match integration {
            Integration::LambdaInvoke => {
                let request_id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
                    .into_uuid()
                    .to_string();
                wrap_lambda_result(result, &request_id)
            }
            _ => result,
        })
    }

    async fn run_map(
        &self,
        state: &State,
        effective: Value,
        ctx: &StateContext,
        scope: &str,
    ) -> Result<Value, StatesError> {
        let StateKind::Map {
            processor,
            items_path,
            item_selector,
            max_concurrency,
            tolerated_failure_count,
            tolerated_failure_percentage,
            ..
        } = &state.kind
        else {
            return Err(StatesError::runtime("not a Map state"));
        };
        let items = ctx.read_required(items_path, &effective, |cause| {
            StatesError::runtime(format!("ItemsPath: {cause}"))
        })?;
        let Value::Array(items) = items else {
            return Err(StatesError::runtime(format!(
                "ItemsPath '{}' of state '{}' must select an array, got a {}",
                items_path.text(),
                state.name,
                type_name(&items)
            )));
        };
        let count = items.len();
        let mut inputs = Vec::with_capacity(count);
        for (index, item) in items.into_iter().enumerate() {
            inputs.push(match item_selector {
                Some(selector) => {
                    let item_ctx = ctx.with_map_item(index, item);
                    selector.evaluate(&effective, &item_ctx)?
                }
                None => item,
            });
        }
        let limit = match max_concurrency {
            None => 0,
            Some(setting) => resolve_setting(setting, &effective, ctx, "MaxConcurrency")? as usize,
        };
        let limit = if limit == 0 { count.max(1) } else { limit };
        let tolerated_count = tolerated_failure_count
            .as_ref()
            .map(|s| resolve_setting(s, &effective, ctx, "ToleratedFailureCount"))
            .transpose()?;
        let tolerated_percentage = tolerated_failure_percentage
            .as_ref()
            .map(|s| resolve_setting(s, &effective, ctx, "ToleratedFailurePercentage"))
            .transpose()?;
        let tolerates = tolerated_count.is_some() || tolerated_percentage.is_some();

        let runs = inputs.into_iter().enumerate().map(|(index, input)| {
            let item_scope = nested_scope(scope, &state.name, "Items", index);
            self.run_machine(processor, input, item_scope)
                .map(move |outcome| (index, outcome))
        });
        let mut stream = futures::stream::iter(runs).buffer_unordered(limit);
        let mut results = vec![Value::Null; count];
        let mut failures = 0usize;
        while let Some((index, outcome)) = stream.next().await {
            match outcome {
                Ok(output) => results[index] = output,
                // A States.Runtime error is never tolerated, retried or caught: it fails the
                // execution (AWS: "A retry or catch on States.ALL won't catch States.Runtime").
                Err(error) if tolerates && error.error != names::RUNTIME => {
                    failures += 1;
                    let over_count = tolerated_count.is_some_and(|c| failures as f64 > c);
                    let over_percentage = tolerated_percentage
                        .is_some_and(|p| failures as f64 * 100.0 / count as f64 > p);
                    if over_count || over_percentage {
                        return Err(StatesError::new(
                            names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                            format!(
                                "state '{}': {failures} of {count} items failed, over the tolerated threshold (last: {}: {})",
                                state.name, error.error, error.cause
                            ),
                        ));
                    }
                    results[index] = json!({ "Error": error.error, "Cause": error.cause });
                }
                Err(error) => return Err(error),
            }
        }
        Ok(Value::Array(results))
    }
}

fn nested_scope(scope: &str, state: &str, kind: &str, index: usize) -> String {
    if scope.is_empty() {
        format!("{state}/{kind}[{index}]")
    } else {
        format!("{scope}/{state}/{kind}[{index}]")
    }
}
