//! Retry and Catch: which errors they match and how long to back off.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::names;
use crate::paths::ReferencePath;

/// Where a state puts its result (or a caught error) in its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultPath {
    /// `"ResultPath": null`: discard the result, output the input.
    Discard,
    /// A reference path (`$` replaces the input entirely).
    At(ReferencePath),
}

impl Default for ResultPath {
    fn default() -> Self {
        Self::At(ReferencePath::default())
    }
}

impl ResultPath {
    /// Parses a `ResultPath` field value.
    pub fn parse(value: &Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(Self::Discard),
            Value::String(text) => ReferencePath::parse(text)
                .map(Self::At)
                .ok_or_else(|| format!("ResultPath '{text}' is not a reference path")),
            _ => Err("ResultPath must be a string or null".into()),
        }
    }

    /// Combines `input` and `result` as the path says.
    pub fn apply(&self, input: Value, result: Value) -> Result<Value, String> {
        match self {
            Self::Discard => Ok(input),
            Self::At(path) => path.set(input, result),
        }
    }
}

/// How a retrier randomises its delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// The computed backoff exactly.
    #[default]
    None,
    /// A random delay between 0 and the computed backoff.
    Full,
}

/// One entry of a state's `Retry` array.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// The error names it handles.
    pub error_equals: Vec<String>,
    /// Seconds before the first retry (default 1).
    pub interval_seconds: f64,
    /// How many retries at most (default 3; 0 never retries).
    pub max_attempts: u32,
    /// The multiplier of the delay at each retry (default 2.0).
    pub backoff_rate: f64,
    /// The cap of any delay, in seconds.
    pub max_delay_seconds: Option<f64>,
    /// FULL or NONE.
    pub jitter: Jitter,
}

/// One entry of a state's `Catch` array.
#[derive(Debug, Clone, PartialEq)]
pub struct Catcher {
    /// The error names it handles.
    pub error_equals: Vec<String>,
    /// The state to go to.
    pub next: String,
    /// Where the error output goes in the state's input (default `$`).
    pub result_path: ResultPath,
}

/// Whether an `ErrorEquals` list matches `error`, following AWS: `States.ALL`
/// matches anything except `States.Runtime` and `States.DataLimitExceeded`,
/// `States.TaskFailed` anything but those and `States.Timeout`, and
/// `States.Runtime` is never retried nor caught.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    if error == names::RUNTIME || error == names::DATA_LIMIT_EXCEEDED {
        return false;
    }
    error_equals.iter().any(|name| match name.as_str() {
        names::ALL => true,
        names::TASK_FAILED => error != names::TIMEOUT,
        exact => exact == error,
    })
}

impl Retrier {
    /// The delay before retry number `retry` (0 for the first retry), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = i32::try_from(retry).unwrap_or(i32::MAX);
        let mut seconds = self.interval_seconds * self.backoff_rate.powi(exponent);
        if let Some(max) = self.max_delay_seconds {
            seconds = seconds.min(max);
        }
        if !seconds.is_finite() {
            seconds = self.max_delay_seconds.unwrap_or(31_622_400.0);
        }
        Duration::from_secs_f64(seconds.clamp(0.0, 31_622_400.0))
    }

    /// The delay actually slept before retry number `retry`.
    pub fn delay(&self, retry: u32) -> Duration {
        let backoff = self.backoff(retry);
        match self.jitter {
            Jitter::None => backoff,
            Jitter::Full => backoff.mul_f64(fastrand::f64()),
        }
    }
}

fn error_equals(map: &Map<String, Value>, last: bool) -> Result<Vec<String>, String> {
    let Some(Value::Array(items)) = map.get("ErrorEquals") else {
        return Err("ErrorEquals must be a non-empty array of strings".into());
    };
    let names: Vec<String> = items
        .iter()
        .map(|item| item.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| "ErrorEquals must hold strings".to_string())?;
    if names.is_empty() {
        return Err("ErrorEquals must not be empty".into());
    }
    if names.iter().any(|n| n == names::ALL) {
        if names.len() != 1 {
            return Err("States.ALL must appear alone in ErrorEquals".into());
        }
        if !last {
            return Err("States.ALL must appear in the last retrier or catcher".into());
        }
    }
    Ok(names)
}

fn check_fields(map: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match map.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(format!("unknown field '{key}' in a {what}")),
        None => Ok(()),
    }
}

fn number(map: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match map.get(key) {
        None => Ok(None),
        Some(value) => value
            .as_f64()
            .map(Some)
            .ok_or_else(|| format!("{key} must be a number")),
    }
}

/// Parses the retrier at `index` of `count` in a Retry array.
pub fn parse_retrier(value: &Value, last: bool) -> Result<Retrier, String> {
    let Some(map) = value.as_object() else {
        return Err("a retrier must be an object".into());
    };
    check_fields(
        map,
        &[
            "ErrorEquals",
            "IntervalSeconds",
            "MaxAttempts",
            "BackoffRate",
            "MaxDelaySeconds",
            "JitterStrategy",
            "Comment",
        ],
        "retrier",
    )?;
    let interval_seconds = number(map, "IntervalSeconds")?.unwrap_or(1.0);
    if interval_seconds < 1.0 || interval_seconds.fract() != 0.0 {
        return Err("IntervalSeconds must be a positive integer".into());
    }
    let max_attempts = number(map, "MaxAttempts")?.unwrap_or(3.0);
    if max_attempts < 0.0 || max_attempts.fract() != 0.0 || max_attempts > 99_999_999.0 {
        return Err("MaxAttempts must be a non-negative integer".into());
    }
    let backoff_rate = number(map, "BackoffRate")?.unwrap_or(2.0);
    if backoff_rate < 1.0 {
        return Err("BackoffRate must be at least 1.0".into());
    }
    let max_delay_seconds = number(map, "MaxDelaySeconds")?;
    if max_delay_seconds.is_some_and(|max| max <= 0.0 || max.fract() != 0.0) {
        return Err("MaxDelaySeconds must be a positive integer".into());
    }
    let jitter = match map.get("JitterStrategy") {
        None => Jitter::None,
        Some(Value::String(s)) if s == "NONE" => Jitter::None,
        Some(Value::String(s)) if s == "FULL" => Jitter::Full,
        Some(_) => return Err("JitterStrategy must be FULL or NONE".into()),
    };
    Ok(Retrier {
        error_equals: error_equals(map, last)?,
        interval_seconds,
        max_attempts: max_attempts as u32,
        backoff_rate,
        max_delay_seconds,
        jitter,
    })
}

/// Parses one catcher of a Catch array.
pub fn parse_catcher(value: &Value, last: bool) -> Result<Catcher, String> {
    let Some(map) = value.as_object() else {
        return Err("a catcher must be an object".into());
    };
    check_fields(
        map,
        &["ErrorEquals", "Next", "ResultPath", "Comment"],
        "catcher",
    )?;
    let Some(Value::String(next)) = map.get("Next") else {
        return Err("a catcher needs a Next state name".into());
    };
    let result_path = match map.get("ResultPath") {
        Some(value) => ResultPath::parse(value)?,
        None => ResultPath::default(),
    };
    Ok(Catcher {
        error_equals: error_equals(map, last)?,
        next: next.clone(),
        result_path,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_grows_and_is_capped() {
        let retrier = parse_retrier(
            &json!({"ErrorEquals": ["X"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxDelaySeconds": 30}),
            true,
        )
        .unwrap();
        let delays: Vec<u64> = (0..4).map(|n| retrier.backoff(n).as_secs()).collect();
        assert_eq!(delays, vec![2, 6, 18, 30]);
    }

    #[test]
    fn wildcards_follow_aws_rules() {
        let all = vec![names::ALL.to_string()];
        let task_failed = vec![names::TASK_FAILED.to_string()];
        assert!(error_matches(&all, "Custom"));
        assert!(error_matches(&all, names::TIMEOUT));
        assert!(!error_matches(&all, names::RUNTIME));
        assert!(error_matches(&task_failed, "Custom"));
        assert!(!error_matches(&task_failed, names::TIMEOUT));
        assert!(!error_matches(
            &[names::RUNTIME.to_string()],
            names::RUNTIME
        ));
    }
}
