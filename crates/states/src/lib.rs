//! An Amazon States Language (JSONPath) interpreter for the local runtime.
//!
//! Load a definition with [`StateMachine::from_json`] (or
//! [`StateMachine::from_json_with_substitutions`] to fill CDK-style
//! `${Placeholder}`s), then run it with [`execute`], doing the work of Task
//! states through a [`TaskHandler`]. Wait states and Retry backoff sleep
//! through a [`Sleeper`]: [`TokioSleeper`] in production, [`VirtualSleeper`]
//! in tests.

pub mod choice;
pub mod clock;
pub mod context;
pub mod definition;
pub mod error;
pub mod executor;
pub mod intrinsics;
pub mod paths;
pub mod retry;
pub mod task;
pub mod template;

pub use clock::{Sleeper, TokioSleeper, VirtualSleeper};
pub use definition::{StateMachine, substitute};
pub use error::{DefinitionError, StatesError, names};
pub use executor::{ExecutionOptions, ExecutionResult, ExecutionStatus, HistoryEvent, execute};
pub use task::{Integration, TaskContext, TaskFailure, TaskHandler, lambda_function_name};
