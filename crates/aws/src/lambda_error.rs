//! Errors a Lambda returns to its invoker, with the error type (`ErrorKind::name`, e.g.
//! `Starling.Throttled`) the state machine's Retry and Catch match on.

use lambda_runtime::Diagnostic;
use starling_contracts::ErrorKind;
use starling_core::handler::HandlerError;
use starling_core::ports::AnalysisError;

/// A handler failure as Lambda reports it: a stable error type and a message without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The class of failure; its name is what Retry/Catch match.
    pub kind: ErrorKind,
    /// Human-readable cause.
    pub message: String,
}

impl TaskError {
    /// The event could not be read as the handler's input.
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        HandlerError::invalid_input(message).into()
    }

    /// A dependency (storage, a service) failed; the state machine retries.
    pub fn unavailable(message: impl std::fmt::Display) -> Self {
        HandlerError::unavailable(message).into()
    }

    /// The error type Lambda reports (`Starling.<Kind>`).
    pub fn error_type(&self) -> &'static str {
        self.kind.name()
    }
}

impl From<HandlerError> for TaskError {
    fn from(e: HandlerError) -> Self {
        Self {
            kind: e.kind,
            message: e.message,
        }
    }
}

impl From<AnalysisError> for TaskError {
    fn from(e: AnalysisError) -> Self {
        Self {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

impl From<TaskError> for Diagnostic {
    fn from(e: TaskError) -> Self {
        Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.message,
        }
    }
}
