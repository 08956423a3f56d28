//! An Amazon States Language (JSONPath) interpreter for the local runtime.
//!
//! Load a definition with [`StateMachine::from_json`] (or
//! [`StateMachine::from_json_with_substitutions`] to fill CDK-style
//! `${Placeholder}`s), then run it with [`execute`], doing the work of Task
//! states through a [`TaskHandler`]. Wait states and Retry backoff sleep
//! through a [`Sleeper`]: [`TokioSleeper`] in production, [`VirtualSleeper`]
//! in tests.
//!
//! ```no_run
//! # async fn demo(handler: &dyn starling_states::TaskHandler) -> Result<(), starling_states::DefinitionError> {
//! use starling_states::{ExecutionOptions, StateMachine, execute};
//! let machine = StateMachine::from_json(r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#)?;
//! let result = execute(&machine, serde_json::json!({"a": 1}), handler, &ExecutionOptions::default()).await;
//! assert_eq!(result.output, Some(serde_json::json!({"a": 1})));
//! # Ok(()) }
//! ```
//!
//! Semantics worth knowing (they follow Step Functions unless said):
//! - `States.ALL` and `States.TaskFailed` are wildcards; `States.TaskFailed`
//!   does not match `States.Timeout`; `States.Runtime` (bad InputPath,
//!   OutputPath, ItemsPath, Choice variable...) is never retried nor caught.
//! - A failing Parallel branch or Map iteration fails the state with the
//!   branch's own error name and cause (so `ErrorEquals: ["MyError"]` on the
//!   Parallel catches a `MyError` raised inside); `States.BranchFailed` is
//!   accepted in `ErrorEquals` but never raised.
//! - Retry wraps Parameters, the work and ResultSelector; a failed ResultPath
//!   (`States.ResultPathMatchFailure`) can be caught but is not retried.
//! - Map runs inline (a `DISTRIBUTED` ProcessorConfig runs inline too;
//!   ItemReader, ItemBatcher and ResultWriter are rejected). With
//!   `ToleratedFailureCount`/`Percentage`, a failed item's slot in the output
//!   holds `{"Error", "Cause"}`.
//! - Task `TimeoutSeconds` and the machine's `TimeoutSeconds` use tokio's
//!   timer (real time), not the [`Sleeper`]; `HeartbeatSeconds` is accepted
//!   and ignored.
//! - Only the JSONPath query language: JSONata, `Arguments`, `Output` and
//!   `Assign` (variables) are rejected when the definition is loaded.

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
