//! Payload templates: Parameters, ResultSelector and ItemSelector, whose keys
//! ending in `.$` take their value from a path or an intrinsic function.

use serde_json::{Map, Value};

use crate::context::StateContext;
use crate::error::StatesError;
use crate::intrinsics::Intrinsic;
use crate::paths::Path;

/// A compiled payload template.
#[derive(Debug, Clone)]
pub enum Template {
    /// An object whose fields may be dynamic.
    Object(Vec<(String, Field)>),
    /// An array of templates.
    Array(Vec<Template>),
    /// Any other value, copied as is.
    Literal(Value),
}

/// The value of one field of an object template.
#[derive(Debug, Clone)]
pub enum Field {
    /// A static or nested value.
    Template(Template),
    /// `"key.$": "$.path"` or `"key.$": "$$.Context.path"`.
    Path(Path),
    /// `"key.$": "States.Function(...)"`.
    Intrinsic(Intrinsic),
}

/// Compiles the dynamic value of a `.$` field: a path or an intrinsic call.
pub fn compile_dynamic(key: &str, value: &Value) -> Result<Field, String> {
    let Some(text) = value.as_str() else {
        return Err(format!(
            "the value of '{key}' must be a string holding a path or an intrinsic function"
        ));
    };
    if text.trim_start().starts_with('$') {
        Path::parse(text)
            .map(Field::Path)
            .map_err(|e| format!("'{key}': {e}"))
    } else {
        Intrinsic::parse(text)
            .map(Field::Intrinsic)
            .map_err(|e| format!("'{key}': invalid intrinsic function '{text}': {e}"))
    }
}

impl Template {
    /// Compiles a template; the error names the faulty key.
    pub fn compile(value: &Value) -> Result<Self, String> {
        match value {
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                for (key, value) in map {
                    match key.strip_suffix(".$") {
                        Some(name) => fields.push((name.to_string(), compile_dynamic(key, value)?)),
                        None => fields.push((key.clone(), Field::Template(Self::compile(value)?))),
                    }
                }
                Ok(Self::Object(fields))
            }
            Value::Array(items) => Ok(Self::Array(
                items.iter().map(Self::compile).collect::<Result<_, _>>()?,
            )),
            other => Ok(Self::Literal(other.clone())),
        }
    }

    /// Builds the payload from `data` and the context object.
    pub fn evaluate(&self, data: &Value, context: &StateContext) -> Result<Value, StatesError> {
        match self {
            Self::Literal(value) => Ok(value.clone()),
            Self::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|item| item.evaluate(data, context))
                    .collect::<Result<_, _>>()?,
            )),
            Self::Object(fields) => {
                let mut map = Map::with_capacity(fields.len());
                for (key, field) in fields {
                    let value = match field {
                        Field::Template(template) => template.evaluate(data, context)?,
                        Field::Path(path) => {
                            context.read_required(path, data, StatesError::parameter_path)?
                        }
                        Field::Intrinsic(intrinsic) => intrinsic.evaluate(data, context)?,
                    };
                    map.insert(key.clone(), value);
                }
                Ok(Value::Object(map))
            }
        }
    }
}
