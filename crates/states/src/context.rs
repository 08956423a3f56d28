//! The context object (`$$`): facts about the execution and the current state.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::error::StatesError;
use crate::paths::{Path, Root, Segment, get_in};

/// Facts about one execution, shared by every state it enters.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    /// `$$.Execution.Id`, an execution ARN.
    pub id: String,
    /// `$$.Execution.Name`.
    pub name: String,
    /// `$$.Execution.Input`.
    pub input: Value,
    /// `$$.Execution.StartTime`.
    pub start_time: DateTime<Utc>,
    /// `$$.Execution.RoleArn`.
    pub role_arn: String,
    /// `$$.StateMachine.Id`.
    pub state_machine_id: String,
    /// `$$.StateMachine.Name`.
    pub state_machine_name: String,
}

/// The context of one state being run; builds the `$$` document on first use.
#[derive(Debug)]
pub struct StateContext {
    execution: Arc<ExecutionInfo>,
    state_name: String,
    entered_time: DateTime<Utc>,
    retry_count: u32,
    map_item: Option<(usize, Value)>,
    document: OnceLock<Value>,
    light: OnceLock<Value>,
}

/// Formats a timestamp as Step Functions does (`2024-01-02T03:04:05.678Z`).
pub fn format_timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl StateContext {
    /// The context of `state_name`, entered at `entered_time`.
    pub fn new(
        execution: Arc<ExecutionInfo>,
        state_name: &str,
        entered_time: DateTime<Utc>,
    ) -> Self {
        Self {
            execution,
            state_name: state_name.to_string(),
            entered_time,
            retry_count: 0,
            map_item: None,
            document: OnceLock::new(),
            light: OnceLock::new(),
        }
    }

    /// The same context with `$$.State.RetryCount` set.
    pub fn with_retry_count(&self, retry_count: u32) -> Self {
        Self {
            execution: self.execution.clone(),
            state_name: self.state_name.clone(),
            entered_time: self.entered_time,
            retry_count,
            map_item: self.map_item.clone(),
            document: OnceLock::new(),
            light: OnceLock::new(),
        }
    }

    /// The same context with `$$.Map.Item` set (inside a Map's ItemSelector).
    pub fn with_map_item(&self, index: usize, value: Value) -> Self {
        Self {
            execution: self.execution.clone(),
            state_name: self.state_name.clone(),
            entered_time: self.entered_time,
            retry_count: self.retry_count,
            map_item: Some((index, value)),
            document: OnceLock::new(),
            light: OnceLock::new(),
        }
    }

    /// The execution this state belongs to.
    pub fn execution(&self) -> &Arc<ExecutionInfo> {
        &self.execution
    }

    /// The name of the current state.
    pub fn state_name(&self) -> &str {
        &self.state_name
    }

    /// How many times the current state has been retried.
    pub fn retry_count(&self) -> u32 {
        self.retry_count
    }

    /// The `$$` document.
    pub fn document(&self) -> &Value {
        self.document.get_or_init(|| self.build(true))
    }

    fn build(&self, with_input: bool) -> Value {
        {
            let execution = &self.execution;
            let mut document = json!({
                "Execution": {
                    "Id": execution.id,
                    "Name": execution.name,
                    "StartTime": format_timestamp(execution.start_time),
                    "RoleArn": execution.role_arn,
                    "RedriveCount": 0,
                },
                "State": {
                    "Name": self.state_name,
                    "EnteredTime": format_timestamp(self.entered_time),
                    "RetryCount": self.retry_count,
                },
                "StateMachine": {
                    "Id": execution.state_machine_id,
                    "Name": execution.state_machine_name,
                },
            });
            if with_input
                && let Some(execution) =
                    document.get_mut("Execution").and_then(Value::as_object_mut)
            {
                execution.insert("Input".to_string(), self.execution.input.clone());
            }
            if let (Some((index, value)), Some(map)) = (&self.map_item, document.as_object_mut()) {
                map.insert(
                    "Map".to_string(),
                    json!({ "Item": { "Index": index, "Value": value } }),
                );
            }
            document
        }
    }

    /// Reads `path` against `data` (for `$`) or the context object (for `$$`).
    pub fn read(&self, path: &Path, data: &Value) -> Option<Value> {
        match path.root() {
            Root::Data => path.read(data),
            Root::Context => self.read_context(path),
        }
    }

    /// Reads the context object, building it without `Execution.Input`
    /// (which can be large) unless the path needs all of `Execution`.
    fn read_context(&self, path: &Path) -> Option<Value> {
        let Some(reference) = path.as_reference() else {
            return path.read(self.document());
        };
        match reference.segments() {
            [Segment::Field(execution), Segment::Field(input), rest @ ..]
                if execution == "Execution" && input == "Input" =>
            {
                get_in(rest, &self.execution.input).cloned()
            }
            [Segment::Field(map), Segment::Field(item), rest @ ..]
                if map == "Map" && item == "Item" =>
            {
                let (index, value) = self.map_item.as_ref()?;
                match rest {
                    [] => Some(json!({ "Index": index, "Value": value })),
                    [Segment::Field(field), deeper @ ..] if field == "Value" => {
                        get_in(deeper, value).cloned()
                    }
                    [Segment::Field(field)] if field == "Index" => Some(Value::from(*index)),
                    _ => None,
                }
            }
            [] => path.read(self.document()),
            [Segment::Field(execution)] if execution == "Execution" => path.read(self.document()),
            segments => get_in(segments, self.light_document()).cloned(),
        }
    }

    /// The `$$` document without `Execution.Input`.
    fn light_document(&self) -> &Value {
        self.light.get_or_init(|| self.build(false))
    }

    /// Reads `path`, failing with `make_error` when it selects nothing.
    pub fn read_required(
        &self,
        path: &Path,
        data: &Value,
        make_error: fn(String) -> StatesError,
    ) -> Result<Value, StatesError> {
        self.read(path, data).ok_or_else(|| {
            make_error(format!(
                "the JSONPath '{}' could not be found in the {} (state '{}')",
                path.text(),
                match path.root() {
                    Root::Data => "input",
                    Root::Context => "context object",
                },
                self.state_name
            ))
        })
    }
}
