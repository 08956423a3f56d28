//! The routing table, `schemas/routes.json`: rule name → event pattern → target. CDK builds its
//! EventBridge rules from the same file, so a route exists in exactly one place.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use starling_patterns::{Pattern, PatternError};

/// The repository's routing table, compiled into the binary so `starling` runs from anywhere.
pub const EMBEDDED_ROUTES: &str = include_str!("../../../schemas/routes.json");

/// `routes.json`: the bus's name and its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingTable {
    /// The bus's name (`Plumbing`).
    pub bus: String,
    /// The rules, in file order.
    pub routes: Vec<Route>,
}

/// One rule: which events (the pattern) go where (the target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// The rule's name; also the name of its delivery cursor.
    pub name: String,
    /// What the rule is for.
    #[serde(default)]
    pub description: String,
    /// An EventBridge event pattern.
    pub pattern: Value,
    /// Where matching events go.
    pub target: TargetRef,
}

/// A rule's target, by kind (`lambda`, `state-machine`, `firehose`, `log-group`, …) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TargetRef {
    /// What sort of thing receives the events.
    pub kind: String,
    /// Which one.
    pub name: String,
}

/// Why a routing table cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RoutesError {
    /// The file could not be read.
    #[error("routing table {path}: {error}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not a routing table.
    #[error(
        "routing table {path} is not valid: {error} \
         (expected {{\"bus\": …, \"routes\": [{{\"name\", \"pattern\", \"target\": {{\"kind\", \"name\"}}}}]}})"
    )]
    Parse {
        /// The file, or `embedded`.
        path: String,
        /// What serde found.
        error: serde_json::Error,
    },
    /// A route's pattern is not a valid EventBridge pattern.
    #[error("route {route}: {error}")]
    Pattern {
        /// The route's name.
        route: String,
        /// What is wrong with the pattern.
        error: PatternError,
    },
    /// Two routes share a name (names key the delivery cursors).
    #[error("route name {0:?} appears more than once; route names must be unique")]
    Duplicate(String),
    /// A route has an empty name.
    #[error("route {0} (counting from 1) has an empty name")]
    EmptyName(usize),
}

impl RoutingTable {
    /// The table compiled into the binary (the repository's `schemas/routes.json`).
    pub fn embedded() -> Result<Self, RoutesError> {
        Self::from_json("embedded schemas/routes.json", EMBEDDED_ROUTES)
    }

    /// Reads a table from a file.
    pub fn from_path(path: &Path) -> Result<Self, RoutesError> {
        let text = std::fs::read_to_string(path).map_err(|error| RoutesError::Read {
            path: path.display().to_string(),
            error,
        })?;
        Self::from_json(&path.display().to_string(), &text)
    }

    /// Parses a table; `origin` names it in errors.
    pub fn from_json(origin: &str, text: &str) -> Result<Self, RoutesError> {
        serde_json::from_str(text).map_err(|error| RoutesError::Parse {
            path: origin.to_string(),
            error,
        })
    }

    /// Validates names and compiles every pattern.
    pub fn compile(&self) -> Result<Vec<CompiledRoute>, RoutesError> {
        let mut seen = HashSet::new();
        self.routes
            .iter()
            .enumerate()
            .map(|(i, route)| {
                if route.name.is_empty() {
                    return Err(RoutesError::EmptyName(i + 1));
                }
                if !seen.insert(route.name.as_str()) {
                    return Err(RoutesError::Duplicate(route.name.clone()));
                }
                let pattern =
                    Pattern::from_value(&route.pattern).map_err(|error| RoutesError::Pattern {
                        route: route.name.clone(),
                        error,
                    })?;
                Ok(CompiledRoute {
                    detail_types: exact_detail_types(&route.pattern),
                    route: route.clone(),
                    pattern,
                })
            })
            .collect()
    }
}

/// A route with its pattern compiled.
#[derive(Debug, Clone)]
pub struct CompiledRoute {
    /// The route as written.
    pub route: Route,
    /// Its compiled pattern.
    pub pattern: Pattern,
    /// The only detail-types the pattern can match, when it names them as plain strings: an
    /// event of another detail-type is skipped without parsing its envelope.
    detail_types: Option<HashSet<String>>,
}

/// `pattern["detail-type"]` when it is a list of exact values (EventBridge: the event's
/// detail-type must equal one of them); `None` when it is absent or uses any other matcher.
fn exact_detail_types(pattern: &Value) -> Option<HashSet<String>> {
    pattern
        .get("detail-type")?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

impl CompiledRoute {
    /// The route's name.
    pub fn name(&self) -> &str {
        &self.route.name
    }

    /// Whether an event (the full envelope as JSON) goes to this route.
    pub fn matches(&self, event: &Value) -> bool {
        self.pattern.matches(event)
    }

    /// Whether an event of this detail-type may go to this route; `false` only when the pattern
    /// rules it out whatever the rest of the event says.
    pub fn may_match_detail_type(&self, detail_type: &str) -> bool {
        self.detail_types
            .as_ref()
            .is_none_or(|types| types.contains(detail_type))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_table_loads_and_compiles() {
        let table = RoutingTable::embedded().unwrap();
        assert_eq!(table.bus, "Plumbing");
        let compiled = table.compile().unwrap();
        assert!(compiled.iter().any(|r| r.name() == "analyse-message"));
        assert_eq!(compiled.len(), table.routes.len());
    }

    #[test]
    fn routes_naming_their_detail_types_rule_out_the_others_before_parsing() {
        let compiled = RoutingTable::embedded().unwrap().compile().unwrap();
        let route = |name: &str| compiled.iter().find(|r| r.name() == name).unwrap();
        let analyse = route("analyse-message");
        assert!(analyse.may_match_detail_type("MESSAGE_RECEIVED"));
        assert!(!analyse.may_match_detail_type("TWITTER_TWEETED"));
        // No detail-type in the pattern: anything may match.
        assert!(route("lake").may_match_detail_type("ANYTHING"));
        // A matcher other than a plain string: no shortcut.
        let text = r#"{"bus": "b", "routes": [
            {"name": "p", "pattern": {"detail-type": ["A", {"prefix": "B"}]}, "target": {"kind": "lambda", "name": "f"}}]}"#;
        let prefixed = RoutingTable::from_json("t", text)
            .unwrap()
            .compile()
            .unwrap();
        assert!(prefixed[0].may_match_detail_type("BEE"));
        // The shortcut never disagrees with the pattern itself on the events it rules out.
        for r in &compiled {
            for dt in [
                "MESSAGE_RECEIVED",
                "MESSAGE_ANALYSED",
                "SEND_TWEET",
                "TWEET_SENT",
            ] {
                let event = serde_json::json!({"source": "starling.analysis", "detail-type": dt,
                    "detail": {"Analysis": {"TextSentiment": "NEGATIVE"}, "Text": "x"}});
                if r.matches(&event) {
                    assert!(r.may_match_detail_type(dt), "{} {dt}", r.name());
                }
            }
        }
    }

    #[test]
    fn duplicate_route_names_are_refused() {
        let text = r#"{"bus": "b", "routes": [
            {"name": "a", "pattern": {"source": ["x"]}, "target": {"kind": "lambda", "name": "f"}},
            {"name": "a", "pattern": {"source": ["y"]}, "target": {"kind": "lambda", "name": "g"}}]}"#;
        let err = RoutingTable::from_json("t", text)
            .unwrap()
            .compile()
            .unwrap_err();
        assert!(
            matches!(err, RoutesError::Duplicate(ref n) if n == "a"),
            "{err}"
        );
    }

    #[test]
    fn a_malformed_table_names_the_file_and_the_expected_shape() {
        let err = RoutingTable::from_json("my-routes.json", r#"{"routes": 3}"#).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("my-routes.json"), "{msg}");
        assert!(msg.contains("expected"), "{msg}");
    }
}
