//! Intrinsic functions: parsing a call once, evaluating it per state.

mod functions;
pub mod parser;

use serde_json::Value;

use crate::context::StateContext;
use crate::error::StatesError;
pub use parser::{Arg, Call};

/// A compiled intrinsic function call.
#[derive(Debug, Clone)]
pub struct Intrinsic {
    call: Call,
}

impl Intrinsic {
    /// Parses `text` and checks that every function it calls exists.
    pub fn parse(text: &str) -> Result<Self, String> {
        let call = parser::parse(text)?;
        check_names(&call)?;
        Ok(Self { call })
    }

    /// Evaluates the call against `data` and the context object.
    pub fn evaluate(&self, data: &Value, context: &StateContext) -> Result<Value, StatesError> {
        evaluate_call(&self.call, data, context)
    }
}

fn check_names(call: &Call) -> Result<(), String> {
    if !functions::KNOWN.contains(&call.name.as_str()) {
        return Err(format!("unknown intrinsic function '{}'", call.name));
    }
    for arg in &call.args {
        if let Arg::Call(inner) = arg {
            check_names(inner)?;
        }
    }
    Ok(())
}

fn evaluate_call(call: &Call, data: &Value, context: &StateContext) -> Result<Value, StatesError> {
    let mut values = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        values.push(match arg {
            Arg::Literal(value) => value.clone(),
            Arg::Str { value, .. } => Value::String(value.clone()),
            Arg::Path(path) => context.read(path, data).ok_or_else(|| {
                StatesError::intrinsic(format!(
                    "{}: the JSONPath '{}' selects nothing",
                    call.name,
                    path.text()
                ))
            })?,
            Arg::Call(inner) => evaluate_call(inner, data, context)?,
        });
    }
    let raw_template = match call.args.first() {
        Some(Arg::Str { raw, .. }) if call.name == "States.Format" => Some(raw.as_str()),
        _ => None,
    };
    functions::call(&call.name, values, raw_template)
}
