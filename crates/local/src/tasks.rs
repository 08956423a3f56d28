//! Task resources for the local ASL interpreter: `lambda:invoke` (and Lambda ARNs) resolve to
//! registered local functions — the same core handlers the Lambdas wrap — and
//! `events:putEvents` puts on the local bus, answering as Step Functions' integration does.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use starling_contracts::OutgoingEvent;
use starling_core::ports::EventPublisher;
use starling_states::{Integration, TaskContext, TaskFailure, TaskHandler, lambda_function_name};

/// A local stand-in for one Lambda function: the event in, the function's result out.
#[async_trait]
pub trait LocalFunction: Send + Sync {
    /// Invokes the function. Errors carry the error type Lambda would report (e.g. `Starling.Throttled`).
    async fn call(&self, payload: Value) -> Result<Value, TaskFailure>;
}

/// Resolves Task states to local functions and the local bus.
#[derive(Clone, Default)]
pub struct LocalTasks {
    functions: HashMap<String, Arc<dyn LocalFunction>>,
    bus: Option<Arc<dyn EventPublisher>>,
}

impl LocalTasks {
    /// No functions, no bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `name` (what a definition's `FunctionName` resolves to after substitution).
    pub fn with_function(mut self, name: &str, f: Arc<dyn LocalFunction>) -> Self {
        self.functions.insert(name.to_string(), f);
        self
    }

    /// Sends `events:putEvents` tasks to `bus`.
    pub fn with_bus(mut self, bus: Arc<dyn EventPublisher>) -> Self {
        self.bus = Some(bus);
        self
    }

    async fn put_events(&self, parameters: &Value) -> Result<Value, TaskFailure> {
        let bus = self.bus.as_ref().ok_or_else(|| TaskFailure {
            error: "States.TaskFailed".into(),
            cause: "events:putEvents needs a bus; none is configured".into(),
        })?;
        let entries = parameters["Entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let events: Vec<OutgoingEvent> = entries
            .iter()
            .map(|e| OutgoingEvent {
                source: e["Source"].as_str().unwrap_or_default().to_string(),
                detail_type: e["DetailType"].as_str().unwrap_or_default().to_string(),
                // The integration accepts Detail as an object or as a JSON string.
                detail: match &e["Detail"] {
                    Value::String(s) => serde_json::from_str(s).unwrap_or(Value::String(s.clone())),
                    other => other.clone(),
                },
                resources: e["Resources"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                time: None,
            })
            .collect();
        let outcome = bus.put(&events).await.map_err(|e| TaskFailure {
            error: "EventBridge.EventBridgeException".into(),
            cause: e.to_string(),
        })?;
        if let Some(f) = outcome.failed.first() {
            return Err(TaskFailure {
                error: "EventBridge.FailedEntry".into(),
                cause: format!(
                    "{} of {} entries failed; entry {}: {}: {}",
                    outcome.failed.len(),
                    events.len(),
                    f.index,
                    f.code,
                    f.message
                ),
            });
        }
        Ok(
            json!({ "Entries": events.iter().map(|_| json!({})).collect::<Vec<_>>(), "FailedEntryCount": 0 }),
        )
    }
}

#[async_trait]
impl TaskHandler for LocalTasks {
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        match ctx.integration {
            Integration::LambdaInvoke | Integration::LambdaFunction => {
                let name = lambda_function_name(ctx.function_name.as_deref().unwrap_or(resource));
                let f = self.functions.get(name).ok_or_else(|| TaskFailure {
                    error: "Lambda.ResourceNotFoundException".into(),
                    cause: format!(
                        "no local function named {name} (registered: {:?})",
                        self.names()
                    ),
                })?;
                f.call(input).await
            }
            Integration::Service if resource.starts_with("arn:aws:states:::events:putEvents") => {
                self.put_events(&input).await
            }
            Integration::Service => Err(TaskFailure {
                error: "States.TaskFailed".into(),
                cause: format!("the local runtime has no integration for {resource}"),
            }),
        }
    }
}

impl LocalTasks {
    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.functions.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}
