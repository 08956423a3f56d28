//! Reading a Lambda's configuration from its environment, failing at init with a clear message.

use std::str::FromStr;

/// A configuration problem, naming the variable and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("environment variable {0} is required but not set ({1})")]
    Missing(&'static str, &'static str),
    /// A variable is set but unreadable.
    #[error("environment variable {name}={value:?} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value (never used for secret variables).
        value: String,
        /// What was expected.
        reason: String,
    },
}

/// The environment a Lambda reads its configuration from (injectable for tests).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: Vec<(String, String)>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// A fixed set of variables.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// A variable's value, if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A required variable; `what` says what it is for in the error.
    pub fn required(&self, name: &'static str, what: &'static str) -> Result<String, ConfigError> {
        self.get(name)
            .map(str::to_string)
            .ok_or(ConfigError::Missing(name, what))
    }

    /// An optional variable parsed as `T`, or `default`.
    pub fn parsed<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
                name,
                value: v.to_string(),
                reason: e.to_string(),
            }),
        }
    }

    /// Where and how X is called by a Lambda that reads it: `X_API_BASE` (default
    /// `https://api.x.com`, also the upload base) and `X_TIMEOUT_SECONDS` (10).
    pub fn x_api(&self) -> Result<starling_x::api::XApiConfig, ConfigError> {
        let base = self
            .get("X_API_BASE")
            .map(str::to_string)
            .unwrap_or_else(|| starling_x::api::XApiConfig::default().api_base);
        Ok(starling_x::api::XApiConfig {
            api_base: base.clone(),
            upload_base: base,
            timeout: std::time::Duration::from_secs(self.parsed("X_TIMEOUT_SECONDS", 10u64)?),
        })
    }
}

/// Test support: `parse` succeeds on `full`, and without any one of its variables fails with an
/// error naming that variable.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn assert_each_variable_is_required<T: std::fmt::Debug, E: std::fmt::Display>(
    full: &[(&str, &str)],
    parse: impl Fn(&Env) -> Result<T, E>,
) {
    assert!(parse(&Env::from_pairs(full.iter().copied())).is_ok());
    for skip in 0..full.len() {
        let pairs = full
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, p)| *p);
        let err = match parse(&Env::from_pairs(pairs)) {
            Ok(settings) => panic!("accepted without {}: {settings:?}", full[skip].0),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(full[skip].0), "{err}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_variable_error_names_it_and_its_purpose() {
        let err = Env::from_pairs([("EVENT_BUS_NAME", "")])
            .required("EVENT_BUS_NAME", "the bus to put events on");
        assert_eq!(
            err.unwrap_err().to_string(),
            "environment variable EVENT_BUS_NAME is required but not set (the bus to put events on)"
        );
    }

    #[test]
    fn invalid_number_is_reported_with_its_value() {
        let env = Env::from_pairs([("MAX_BODY_BYTES", "lots")]);
        let err = env.parsed::<usize>("MAX_BODY_BYTES", 1).unwrap_err();
        assert!(
            err.to_string()
                .contains("MAX_BODY_BYTES=\"lots\" is invalid"),
            "{err}"
        );
        assert_eq!(
            Env::default().parsed::<usize>("MAX_BODY_BYTES", 7).unwrap(),
            7
        );
    }
}
