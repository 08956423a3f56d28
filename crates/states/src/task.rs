//! The port through which Task states do their work, and the shape of the
//! optimized `lambda:invoke` integration's output.

use async_trait::async_trait;
use serde_json::{Value, json};

/// A failed task: the error name (matched by Retry/Catch) and its cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {cause}")]
pub struct TaskFailure {
    /// The error name, e.g. `Lambda.ServiceException` or a function's error type.
    pub error: String,
    /// A description, often a JSON document.
    pub cause: String,
}

impl TaskFailure {
    /// A failure named `error` with `cause`.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// How the interpreter understood a Task's `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// `arn:aws:states:::lambda:invoke`: the handler gets `Parameters.Payload`
    /// and its result is wrapped as `{"Payload": ..., "StatusCode": 200, ...}`.
    LambdaInvoke,
    /// A Lambda function ARN as Resource: the handler gets the effective
    /// parameters and its result is the state's result as is.
    LambdaFunction,
    /// Any other resource (e.g. `arn:aws:states:::events:putEvents`): the
    /// handler gets the effective parameters and returns the result as is.
    Service,
}

/// What a handler knows about the task it runs.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// The Task state's name.
    pub state_name: String,
    /// The execution ARN.
    pub execution_id: String,
    /// The execution name.
    pub execution_name: String,
    /// How many times this state has been retried so far.
    pub retry_count: u32,
    /// How the Resource was understood.
    pub integration: Integration,
    /// The function to call, for the Lambda integrations (`FunctionName` as
    /// written, or the Resource ARN); see [`lambda_function_name`].
    pub function_name: Option<String>,
    /// The state's effective parameters (for `lambda:invoke`: with
    /// `FunctionName`, `Payload`, `Qualifier`...).
    pub parameters: Value,
}

/// Runs the work of Task states.
#[async_trait]
pub trait TaskHandler: Send + Sync {
    /// Runs `resource` (the state's `Resource` string) on `input` (see
    /// [`Integration`] for what the input is).
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        ctx: &TaskContext,
    ) -> Result<Value, TaskFailure>;
}

/// Classifies a Task's Resource string.
pub fn classify(resource: &str) -> Integration {
    let parts: Vec<&str> = resource.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "states", "", "", "lambda", "invoke"] => Integration::LambdaInvoke,
        ["arn", _, "lambda", _, _, "function", ..] => Integration::LambdaFunction,
        _ => Integration::Service,
    }
}

/// The function name in a Lambda function name, ARN or partial ARN
/// (`arn:aws:lambda:eu-west-1:123:function:name:alias` → `name`).
pub fn lambda_function_name(name_or_arn: &str) -> &str {
    let parts: Vec<&str> = name_or_arn.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) if i + 1 < parts.len() => parts[i + 1],
        _ => parts.first().copied().unwrap_or(name_or_arn),
    }
}

/// Wraps a function's result as the optimized `lambda:invoke` integration does.
pub fn wrap_lambda_result(payload: Value, request_id: &str) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": [request_id],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Type": "application/json",
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": request_id,
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": { "RequestId": request_id },
        "StatusCode": 200,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_classified() {
        assert_eq!(
            classify("arn:aws:states:::lambda:invoke"),
            Integration::LambdaInvoke
        );
        assert_eq!(
            classify("arn:aws:lambda:eu-west-1:123456789012:function:analyse"),
            Integration::LambdaFunction
        );
        assert_eq!(
            classify("arn:aws:states:::events:putEvents"),
            Integration::Service
        );
        assert_eq!(
            lambda_function_name("arn:aws:lambda:eu-west-1:1:function:analyse:live"),
            "analyse"
        );
        assert_eq!(lambda_function_name("analyse"), "analyse");
    }
}
