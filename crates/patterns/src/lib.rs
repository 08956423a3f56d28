//! The EventBridge content-filtering language: compile a pattern, match events against it.
//!
//! STUB — API contract for the local bus; implementation in progress.

use serde_json::Value;

/// A compiled event pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    _source: Value,
}

/// Why a pattern is invalid, in EventBridge's terms.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid event pattern: {0}")]
pub struct PatternError(pub String);

impl Pattern {
    /// Parses and validates a pattern from JSON text.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let v: Value = serde_json::from_str(text).map_err(|e| PatternError(e.to_string()))?;
        Self::from_value(&v)
    }

    /// Validates and compiles a pattern from a JSON value.
    pub fn from_value(v: &Value) -> Result<Self, PatternError> {
        Ok(Self { _source: v.clone() })
    }

    /// Whether the event (a full EventBridge envelope as JSON) matches.
    pub fn matches(&self, _event: &Value) -> bool {
        false
    }
}
