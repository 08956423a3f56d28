//! The EventBridge content-filtering language: compile a pattern, match events against it.
//!
//! The local bus routes events with this crate exactly as EventBridge would,
//! so a rule that works locally works in AWS. Supported: exact values
//! (strings, numbers compared numerically, booleans, `null`, empty strings),
//! arrays in patterns (any of) and in events (any element), nested fields,
//! `prefix`, `suffix` (both also with `equals-ignore-case`),
//! `equals-ignore-case`, `anything-but` (values, lists, and its `prefix`,
//! `suffix`, `equals-ignore-case` and `wildcard` forms), `numeric` ranges,
//! `exists`, `wildcard`, `cidr` (IPv4 and IPv6) and `$or`, with EventBridge's
//! validation: an invalid pattern is an error naming the field and reason,
//! never a pattern that silently matches nothing.
//!
//! ```
//! use starling_patterns::Pattern;
//! use serde_json::json;
//!
//! let pattern = Pattern::parse(
//!     r#"{"source": ["starling.analysis"], "detail": {"Analysis": {"TextSentiment": ["NEGATIVE"]}}}"#,
//! )?;
//! let event = json!({
//!     "source": "starling.analysis",
//!     "detail-type": "MESSAGE_ANALYSED",
//!     "detail": {"Analysis": {"TextSentiment": "NEGATIVE"}}
//! });
//! assert!(pattern.matches(&event));
//!
//! let error = Pattern::parse(r#"{"source": "starling.analysis"}"#).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     r#"Event pattern is not valid. Reason: "source": must be an object or an array, not a string"#
//! );
//! # Ok::<(), starling_patterns::PatternError>(())
//! ```
//!
//! # Why hand-written
//!
//! No maintained Rust crate implements EventBridge patterns; the reference
//! implementation is AWS's Java library event-ruler. This crate follows its
//! semantics (read from its tests and EventBridge's documentation), not its
//! code: a pattern compiles once into sub-rules of per-path leaf matchers
//! (see `compile`), and matching walks only the event paths those name.
//!
//! # Semantics worth knowing
//!
//! * Array consistency: within one sub-rule, two fields cannot be satisfied
//!   by objects in different elements of the same event array
//!   (`{"employees": {"first": ["Anna"], "last": ["Jones"]}}` does not match
//!   Anna Smith and Peter Jones in one array).
//! * `exists` is about leaves: an object or an empty array at the path
//!   counts as absent. `null` is a present value.
//! * Field names are flattened with `.` as EventBridge does: a pattern key
//!   `"a.b"` and nested keys `"a"` → `"b"` name the same field, in patterns
//!   and in events.
//! * `{"exists": false}` is checked under the array elements already chosen
//!   by the fields that sort before it (EventBridge evaluates a sub-rule's
//!   fields in sorted path order).
//! * A bare string in a pattern that is an IP address matches any spelling
//!   of that address (`"2001:db8::1"` matches `"2001:0db8::1"`); `exactly`
//!   and `anything-but` compare text.
//!
//! # Known differences from EventBridge
//!
//! * Numbers: any finite `f64` is accepted in `numeric` (like current
//!   event-ruler); older EventBridge documentation states a ±1e9 limit.
//!   Pattern numbers that `serde_json` rounds silently (e.g. `1E-325` to 0)
//!   are not rejected as EventBridge does, since the text is gone by then.
//! * [`Pattern::from_value`] sees object keys sorted (`serde_json::Value`
//!   loses document order), which only matters when an `$or` branch and a
//!   sibling name the same path; [`Pattern::parse`] keeps document order.
//! * Case folding uses Rust's Unicode case mapping per `char`; Java's (per
//!   UTF-16 unit) differs only for characters outside the BMP.
//! * EventBridge's limits on rule complexity (e.g. many wildcards) are not
//!   enforced, except `$or` expansion, refused past EventBridge's 1,000 combinations.

mod compile;
mod json;
mod ops;

use serde_json::Value;

use crate::compile::{Field, SubRule};
use crate::json::Json;

/// A compiled event pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Alternatives (from `$or`); the pattern matches when any one matches.
    rules: Vec<SubRule>,
}

/// Why a pattern is invalid, in EventBridge's terms: the offending field path and the reason.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("Event pattern is not valid. Reason: {0}")]
pub struct PatternError(pub String);

/// Deepest nesting of event arrays and objects the matcher descends into.
const MAX_EVENT_DEPTH: usize = 512;

impl Pattern {
    /// Parses and validates a pattern from JSON text (fields are read in document order).
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| PatternError(format!("the pattern is not valid JSON: {e}")))?;
        Ok(Self {
            rules: compile::compile(&json)?,
        })
    }

    /// Validates and compiles a pattern from a JSON value.
    pub fn from_value(v: &Value) -> Result<Self, PatternError> {
        let json = Json::from_value(v, compile::MAX_DEPTH + 2).ok_or_else(|| {
            PatternError(format!(
                "patterns may nest at most {} levels deep",
                compile::MAX_DEPTH
            ))
        })?;
        Ok(Self {
            rules: compile::compile(&json)?,
        })
    }

    /// Whether the event (a full EventBridge envelope as JSON) matches.
    pub fn matches(&self, event: &Value) -> bool {
        self.rules.iter().any(|rule| rule_matches(rule, event))
    }
}

/// One array element chosen while matching: (array identity, element index).
type Choice = (usize, usize);

/// Whether every field of a sub-rule matches, with array choices consistent
/// across fields (two fields cannot use different elements of one array).
///
/// A field satisfied without choosing a new array element (absent, or a
/// matching leaf outside arrays or in elements already chosen) leaves the
/// rest of the search unchanged, so it is taken greedily. A field that needs
/// new choices branches over its candidate leaves; the search backtracks with
/// an explicit stack, so its depth never grows the call stack.
fn rule_matches(fields: &[Field], event: &Value) -> bool {
    struct Branch {
        field: usize,
        candidates: Vec<Vec<Choice>>,
        next: usize,
        chosen_len: usize,
    }
    let mut chosen: Vec<Choice> = Vec::new();
    let mut branches: Vec<Branch> = Vec::new();
    let mut from = 0;
    loop {
        match advance(fields, from, event, &chosen) {
            Step::Done => return true,
            Step::Branch(field, candidates) => branches.push(Branch {
                field,
                candidates,
                next: 0,
                chosen_len: chosen.len(),
            }),
            Step::Fail => {}
        }
        // Take the next untried candidate of the innermost open branch.
        loop {
            let Some(branch) = branches.last_mut() else {
                return false;
            };
            chosen.truncate(branch.chosen_len);
            if let Some(choices) = branch.candidates.get(branch.next) {
                branch.next += 1;
                for &(array, index) in choices {
                    if !chosen.iter().any(|&(a, _)| a == array) {
                        chosen.push((array, index));
                    }
                }
                from = branch.field + 1;
                break;
            }
            branches.pop();
        }
    }
}

/// What [`advance`] found.
enum Step {
    /// Every remaining field is satisfied.
    Done,
    /// A field cannot be satisfied under the current choices.
    Fail,
    /// This field needs one of these sets of new array choices.
    Branch(usize, Vec<Vec<Choice>>),
}

/// Satisfies fields from `from` on greedily until one needs new array choices.
fn advance(fields: &[Field], from: usize, event: &Value, chosen: &[Choice]) -> Step {
    // A field shares no array with the others when its first key is its own;
    // only a root array (on every path) defeats that.
    let root_is_array = event.is_array();
    for (i, field) in fields.iter().enumerate().skip(from) {
        let path = Some(&*field.path);
        let mut trail = Vec::new();
        if field.independent && !root_is_array {
            let mut any_leaf = false;
            let matched = visit_leaves(event, path, &mut trail, 0, &mut |leaf, _| {
                any_leaf = true;
                field.matchers.iter().any(|m| m.matches(leaf))
            });
            if matched || (field.absent && !any_leaf) {
                continue;
            }
            return Step::Fail;
        }
        if field.absent {
            let present = visit_leaves(event, path, &mut trail, 0, &mut |_, choices| {
                consistent(chosen, choices)
            });
            if !present {
                continue;
            }
        }
        if field.matchers.is_empty() {
            return Step::Fail;
        }
        let mut candidates = Vec::new();
        let free = visit_leaves(event, path, &mut trail, 0, &mut |leaf, choices| {
            if !consistent(chosen, choices) || !field.matchers.iter().any(|m| m.matches(leaf)) {
                return false;
            }
            if adds_nothing(chosen, choices) {
                return true;
            }
            candidates.push(choices.to_vec());
            false
        });
        if free {
            continue;
        }
        return if candidates.is_empty() {
            Step::Fail
        } else {
            Step::Branch(i, candidates)
        };
    }
    Step::Done
}

/// Every choice is already made.
fn adds_nothing(chosen: &[Choice], choices: &[Choice]) -> bool {
    choices.iter().all(|c| chosen.contains(c))
}

/// No array is chosen at two different elements.
fn consistent(chosen: &[Choice], choices: &[Choice]) -> bool {
    choices
        .iter()
        .all(|&(array, index)| chosen.iter().all(|&(a, i)| a != array || i == index))
}

/// Calls `f` on each leaf (string, number, boolean, null) whose flattened
/// name is `rest` below `v` (`None`: `v` itself must be the leaf), descending
/// through arrays, with the array elements taken to reach it; stops at, and
/// returns, the first `true`.
///
/// Names are matched as EventBridge flattens them, keys joined with `.`: the
/// next key is any prefix of `rest` that ends before a `.` or at its end, so
/// `detail.state` is found under `{"detail": {"state": ..}}` and under
/// `{"detail.state": ..}` alike.
fn visit_leaves<'a>(
    v: &'a Value,
    rest: Option<&str>,
    trail: &mut Vec<Choice>,
    depth: usize,
    f: &mut dyn FnMut(&'a Value, &[Choice]) -> bool,
) -> bool {
    if depth > MAX_EVENT_DEPTH {
        return false;
    }
    match v {
        Value::Array(items) => {
            let id = items.as_ptr().addr();
            for (index, item) in items.iter().enumerate() {
                trail.push((id, index));
                let found = visit_leaves(item, rest, trail, depth + 1, f);
                trail.pop();
                if found {
                    return true;
                }
            }
            false
        }
        Value::Object(map) => {
            let Some(name) = rest else { return false };
            let ends = name
                .match_indices('.')
                .map(|(at, _)| at)
                .chain(std::iter::once(name.len()));
            for end in ends {
                let (key, after) = name.split_at(end);
                let next = after.strip_prefix('.');
                if let Some(child) = map.get(key)
                    && visit_leaves(child, next, trail, depth + 1, f)
                {
                    return true;
                }
            }
            false
        }
        leaf => rest.is_none() && f(leaf, trail),
    }
}
