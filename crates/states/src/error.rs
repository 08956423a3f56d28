//! Errors: the definition errors raised when a state machine is loaded, and the
//! runtime errors (an ASL error name plus a cause) raised while it runs.

use thiserror::Error;

/// Why a state machine definition was rejected when it was loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DefinitionError {
    /// The definition is not valid JSON.
    #[error("the definition is not valid JSON: {0}")]
    Json(String),
    /// A field at the top level or of a state is missing or malformed.
    #[error("{location}: {message}")]
    Invalid {
        /// Where the problem is, e.g. `state "Analyse"` or `top level`.
        location: String,
        /// What is wrong there.
        message: String,
    },
    /// A `${Placeholder}` had no value in the substitution map.
    #[error("definition substitution ${{{0}}} has no value")]
    UnfilledPlaceholder(String),
}

impl DefinitionError {
    /// An `Invalid` error at `location`.
    pub(crate) fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }
}

/// The standard error names of the Amazon States Language.
pub mod names {
    /// Wildcard matching every error except `States.Runtime` and `States.DataLimitExceeded`.
    pub const ALL: &str = "States.ALL";
    /// Wildcard matching every error except `States.Timeout` (and the uncatchable ones).
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A task ran longer than its `TimeoutSeconds`.
    pub const TIMEOUT: &str = "States.Timeout";
    /// An unrecoverable error (bad InputPath/OutputPath, bad Choice variable...). Never caught.
    pub const RUNTIME: &str = "States.Runtime";
    /// Never caught by `States.ALL`; not raised by this interpreter but never matched either.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// A Choice state matched no rule and had no Default.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// A branch of a Parallel state failed (accepted in ErrorEquals; branch errors propagate by name).
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    /// An intrinsic function failed.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// ResultPath could not be applied to the state's input.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// A `.$` path in Parameters, ResultSelector or ItemSelector selected nothing.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// A Map state had more failed items than it tolerates.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
}

/// A runtime error: an ASL error name and a human-readable cause.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{error}: {cause}")]
pub struct StatesError {
    /// The error name matched by `ErrorEquals`, e.g. `States.TaskFailed`.
    pub error: String,
    /// A description of what happened.
    pub cause: String,
}

impl StatesError {
    /// An error named `error` with `cause`.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// A `States.Runtime` error.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// A `States.IntrinsicFailure` error.
    pub fn intrinsic(cause: impl Into<String>) -> Self {
        Self::new(names::INTRINSIC_FAILURE, cause)
    }

    /// A `States.ParameterPathFailure` error.
    pub fn parameter_path(cause: impl Into<String>) -> Self {
        Self::new(names::PARAMETER_PATH_FAILURE, cause)
    }
}
