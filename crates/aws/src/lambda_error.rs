//! Errors a Lambda returns to Step Functions, with error types the state machine's Retry and
//! Catch match on (`Starling.Throttled`, `Starling.Unavailable`, `Starling.InvalidInput`).

use lambda_runtime::Diagnostic;
use starling_core::ports::AnalysisError;

/// A handler failure as Lambda reports it: a stable error type and a message without secrets.
#[derive(Debug)]
pub struct TaskError {
    /// `Starling.<Kind>`: what Retry/Catch match.
    pub error_type: &'static str,
    /// Human-readable cause.
    pub message: String,
}

impl TaskError {
    /// The event could not be read as the handler's input.
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        Self {
            error_type: "Starling.InvalidInput",
            message: message.to_string(),
        }
    }

    /// A dependency (storage, a service) failed; the state machine retries.
    pub fn unavailable(message: impl std::fmt::Display) -> Self {
        Self {
            error_type: "Starling.Unavailable",
            message: message.to_string(),
        }
    }
}

impl From<AnalysisError> for TaskError {
    fn from(e: AnalysisError) -> Self {
        let error_type = match e {
            AnalysisError::Throttled(_) => "Starling.Throttled",
            AnalysisError::Unavailable(_) => "Starling.Unavailable",
            AnalysisError::InvalidInput(_) => "Starling.InvalidInput",
        };
        Self {
            error_type,
            message: e.to_string(),
        }
    }
}

impl From<TaskError> for Diagnostic {
    fn from(e: TaskError) -> Self {
        Diagnostic {
            error_type: e.error_type.to_string(),
            error_message: e.message,
        }
    }
}
