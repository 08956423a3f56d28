//! The classes of handler failure, named once. The state machine's `Retry`/`Catch` match the
//! `Starling.*` names a Lambda reports; the local bus retries or dead-letters by the same classes.

use std::fmt;

/// Why a handler failed, as far as a caller can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A service asked us to slow down: retry with backoff.
    Throttled,
    /// A dependency (storage, a service, the bus) failed: retry later.
    Unavailable,
    /// The input itself is unusable: retrying cannot help.
    InvalidInput,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 3] = [Self::Throttled, Self::Unavailable, Self::InvalidInput];

    /// The error type a Lambda reports and `statemachines/*.asl.json` match: `Starling.<Kind>`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Throttled => "Starling.Throttled",
            Self::Unavailable => "Starling.Unavailable",
            Self::InvalidInput => "Starling.InvalidInput",
        }
    }

    /// The kind named `name` (the inverse of [`ErrorKind::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether delivering the same input again may succeed.
    pub const fn is_retryable(self) -> bool {
        !matches!(self, Self::InvalidInput)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_invalid_input_is_final() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.name()), Some(kind));
            assert!(kind.name().starts_with("Starling."));
            assert_eq!(kind.is_retryable(), kind != ErrorKind::InvalidInput);
        }
        assert_eq!(ErrorKind::from_name("States.ALL"), None);
    }

    #[test]
    fn every_starling_error_the_state_machine_matches_is_a_kind() {
        let asl: serde_json::Value = serde_json::from_str(include_str!(
            "../../../statemachines/analyse-message.asl.json"
        ))
        .unwrap_or_default();
        let mut names = Vec::new();
        collect_error_equals(&asl, &mut names);
        let starling: Vec<&String> = names
            .iter()
            .filter(|n| n.starts_with("Starling."))
            .collect();
        assert!(
            !starling.is_empty(),
            "the definition retries on Starling.* errors"
        );
        for name in starling {
            assert!(
                ErrorKind::from_name(name).is_some(),
                "{name} is not an ErrorKind"
            );
        }
    }

    fn collect_error_equals(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if k == "ErrorEquals" {
                        out.extend(
                            v.as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|s| s.as_str().map(str::to_string)),
                        );
                    } else {
                        collect_error_equals(v, out);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|i| collect_error_equals(i, out))
            }
            _ => {}
        }
    }
}
