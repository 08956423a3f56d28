//! Choice rules: comparison operators, `And`/`Or`/`Not` and type tests.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::context::StateContext;
use crate::error::StatesError;
use crate::paths::Path;

/// A top-level rule of a Choice state: a condition and where it leads.
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    /// The condition to test.
    pub condition: Condition,
    /// The state to go to when it holds.
    pub next: String,
}

/// A boolean expression over the state's input.
#[derive(Debug, Clone)]
pub enum Condition {
    /// Every condition holds.
    And(Vec<Condition>),
    /// At least one condition holds.
    Or(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
    /// `Variable` compared with an operand.
    Compare {
        /// The `Variable` path.
        variable: Path,
        /// The operator.
        operator: Operator,
        /// The literal, or the path given by a `...Path` operator.
        operand: Operand,
    },
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal from the definition.
    Value(Value),
    /// A path read from the input (operators ending in `Path`).
    Path(Path),
}

/// The comparison operators (the `...Path` variants share their operator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Operator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsPresent,
    IsNull,
    IsString,
    IsNumeric,
    IsBoolean,
    IsTimestamp,
}

const OPERATORS: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringLessThan", Operator::StringLessThan),
    ("StringGreaterThan", Operator::StringGreaterThan),
    ("StringLessThanEquals", Operator::StringLessThanEquals),
    ("StringGreaterThanEquals", Operator::StringGreaterThanEquals),
    ("StringMatches", Operator::StringMatches),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    (
        "NumericGreaterThanEquals",
        Operator::NumericGreaterThanEquals,
    ),
    ("BooleanEquals", Operator::BooleanEquals),
    ("TimestampEquals", Operator::TimestampEquals),
    ("TimestampLessThan", Operator::TimestampLessThan),
    ("TimestampGreaterThan", Operator::TimestampGreaterThan),
    ("TimestampLessThanEquals", Operator::TimestampLessThanEquals),
    (
        "TimestampGreaterThanEquals",
        Operator::TimestampGreaterThanEquals,
    ),
    ("IsPresent", Operator::IsPresent),
    ("IsNull", Operator::IsNull),
    ("IsString", Operator::IsString),
    ("IsNumeric", Operator::IsNumeric),
    ("IsBoolean", Operator::IsBoolean),
    ("IsTimestamp", Operator::IsTimestamp),
];

impl Operator {
    fn is_type_test(self) -> bool {
        matches!(
            self,
            Self::IsPresent
                | Self::IsNull
                | Self::IsString
                | Self::IsNumeric
                | Self::IsBoolean
                | Self::IsTimestamp
        )
    }

    fn has_path_variant(self) -> bool {
        !self.is_type_test() && self != Self::StringMatches
    }
}

fn lookup_operator(key: &str) -> Option<(Operator, bool)> {
    if let Some((_, op)) = OPERATORS.iter().find(|(name, _)| *name == key) {
        return Some((*op, false));
    }
    let base = key.strip_suffix("Path")?;
    OPERATORS
        .iter()
        .find(|(name, op)| *name == base && op.has_path_variant())
        .map(|(_, op)| (*op, true))
}

/// Parses a top-level rule (which must have `Next`).
pub fn parse_rule(value: &Value) -> Result<ChoiceRule, String> {
    let Some(map) = value.as_object() else {
        return Err("a choice rule must be an object".into());
    };
    let next = match map.get("Next") {
        Some(Value::String(next)) => next.clone(),
        Some(_) => return Err("a choice rule's Next must be a string".into()),
        None => return Err("a top-level choice rule needs a Next".into()),
    };
    let condition = parse_condition(map, true)?;
    Ok(ChoiceRule { condition, next })
}

fn parse_nested(value: &Value) -> Result<Condition, String> {
    let Some(map) = value.as_object() else {
        return Err("a choice rule must be an object".into());
    };
    if map.contains_key("Next") {
        return Err("a nested choice rule must not have a Next".into());
    }
    parse_condition(map, false)
}

fn parse_condition(map: &Map<String, Value>, top_level: bool) -> Result<Condition, String> {
    let mut found: Option<Condition> = None;
    let mut set = |condition: Condition| -> Result<(), String> {
        if found.is_some() {
            return Err("a choice rule must have exactly one operator".to_string());
        }
        found = Some(condition);
        Ok(())
    };
    for (key, value) in map {
        match key.as_str() {
            "Next" if top_level => {}
            "Comment" | "Variable" => {}
            "And" | "Or" => {
                let Some(items) = value.as_array().filter(|items| !items.is_empty()) else {
                    return Err(format!("{key} must be a non-empty array of rules"));
                };
                let conditions = items.iter().map(parse_nested).collect::<Result<_, _>>()?;
                set(if key == "And" {
                    Condition::And(conditions)
                } else {
                    Condition::Or(conditions)
                })?;
            }
            "Not" => set(Condition::Not(Box::new(parse_nested(value)?)))?,
            other => {
                let Some((operator, is_path)) = lookup_operator(other) else {
                    return Err(format!("unknown choice rule field '{other}'"));
                };
                let Some(variable) = map.get("Variable") else {
                    return Err(format!("the '{other}' rule needs a Variable"));
                };
                let variable = variable
                    .as_str()
                    .ok_or_else(|| "Variable must be a string".to_string())
                    .and_then(Path::parse)?;
                let operand = if is_path {
                    Operand::Path(
                        value
                            .as_str()
                            .ok_or_else(|| format!("{other} must be a path string"))
                            .and_then(Path::parse)?,
                    )
                } else {
                    check_literal(other, operator, value)?;
                    Operand::Value(value.clone())
                };
                set(Condition::Compare {
                    variable,
                    operator,
                    operand,
                })?;
            }
        }
    }
    match found {
        Some(Condition::Compare { .. }) | None => {}
        Some(_) if map.contains_key("Variable") => {
            return Err("And/Or/Not rules must not have a Variable".into());
        }
        Some(_) => {}
    }
    found.ok_or_else(|| "a choice rule needs an operator (or And/Or/Not)".into())
}

fn check_literal(key: &str, operator: Operator, value: &Value) -> Result<(), String> {
    use Operator as O;
    let ok = match operator {
        O::StringEquals
        | O::StringLessThan
        | O::StringGreaterThan
        | O::StringLessThanEquals
        | O::StringGreaterThanEquals
        | O::StringMatches => value.is_string(),
        O::NumericEquals
        | O::NumericLessThan
        | O::NumericGreaterThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThanEquals => value.is_number(),
        O::TimestampEquals
        | O::TimestampLessThan
        | O::TimestampGreaterThan
        | O::TimestampLessThanEquals
        | O::TimestampGreaterThanEquals => value.as_str().and_then(parse_timestamp).is_some(),
        O::BooleanEquals
        | O::IsPresent
        | O::IsNull
        | O::IsString
        | O::IsNumeric
        | O::IsBoolean
        | O::IsTimestamp => value.is_boolean(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("'{key}' has a value of the wrong type: {value}"))
    }
}

/// Parses an RFC 3339 timestamp as Step Functions accepts them (`T` separator).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if text.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn compare_numbers(left: &Value, right: &Value) -> Option<Ordering> {
    if let (Some(l), Some(r)) = (left.as_i64(), right.as_i64()) {
        return Some(l.cmp(&r));
    }
    if let (Some(l), Some(r)) = (left.as_u64(), right.as_u64()) {
        return Some(l.cmp(&r));
    }
    left.as_f64()?.partial_cmp(&right.as_f64()?)
}

/// Glob matching for StringMatches: `*` matches any run of characters,
/// `\*` a literal star and `\\` a literal backslash.
pub fn string_matches(text: &str, pattern: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Char(char),
        Star,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push(Token::Char(chars.next().unwrap_or('\\'))),
            '*' => tokens.push(Token::Star),
            other => tokens.push(Token::Char(other)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| *token == Token::Star)
}

impl Condition {
    /// Evaluates the condition against the state's input.
    pub fn evaluate(&self, data: &Value, context: &StateContext) -> Result<bool, StatesError> {
        match self {
            Self::And(conditions) => {
                for condition in conditions {
                    if !condition.evaluate(data, context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Self::Or(conditions) => {
                for condition in conditions {
                    if condition.evaluate(data, context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Self::Not(condition) => Ok(!condition.evaluate(data, context)?),
            Self::Compare {
                variable,
                operator,
                operand,
            } => {
                let value = context.read(variable, data);
                if *operator == Operator::IsPresent {
                    let expected = matches!(operand, Operand::Value(Value::Bool(true)));
                    return Ok(value.is_some() == expected);
                }
                let Some(value) = value else {
                    return Err(StatesError::runtime(format!(
                        "Invalid path '{}': the choice state's condition path references an invalid value (state '{}')",
                        variable.text(),
                        context.state_name()
                    )));
                };
                let operand = match operand {
                    Operand::Value(value) => value.clone(),
                    Operand::Path(path) => context.read(path, data).ok_or_else(|| {
                        StatesError::runtime(format!(
                            "Invalid path '{}': the choice state's comparison path references an invalid value (state '{}')",
                            path.text(),
                            context.state_name()
                        ))
                    })?,
                };
                Ok(compare(*operator, &value, &operand))
            }
        }
    }
}

fn compare(operator: Operator, value: &Value, operand: &Value) -> bool {
    use Operator as O;
    let strings = || Some((value.as_str()?, operand.as_str()?));
    let timestamps = || {
        Some((
            parse_timestamp(value.as_str()?)?,
            parse_timestamp(operand.as_str()?)?,
        ))
    };
    let flag = operand.as_bool().unwrap_or(false);
    match operator {
        O::StringEquals => strings().is_some_and(|(a, b)| a == b),
        O::StringLessThan => strings().is_some_and(|(a, b)| a < b),
        O::StringGreaterThan => strings().is_some_and(|(a, b)| a > b),
        O::StringLessThanEquals => strings().is_some_and(|(a, b)| a <= b),
        O::StringGreaterThanEquals => strings().is_some_and(|(a, b)| a >= b),
        O::StringMatches => strings().is_some_and(|(a, b)| string_matches(a, b)),
        O::NumericEquals => compare_numbers(value, operand) == Some(Ordering::Equal),
        O::NumericLessThan => compare_numbers(value, operand) == Some(Ordering::Less),
        O::NumericGreaterThan => compare_numbers(value, operand) == Some(Ordering::Greater),
        O::NumericLessThanEquals => matches!(
            compare_numbers(value, operand),
            Some(Ordering::Less | Ordering::Equal)
        ),
        O::NumericGreaterThanEquals => matches!(
            compare_numbers(value, operand),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        O::BooleanEquals => matches!((value, operand), (Value::Bool(a), Value::Bool(b)) if a == b),
        O::TimestampEquals => timestamps().is_some_and(|(a, b)| a == b),
        O::TimestampLessThan => timestamps().is_some_and(|(a, b)| a < b),
        O::TimestampGreaterThan => timestamps().is_some_and(|(a, b)| a > b),
        O::TimestampLessThanEquals => timestamps().is_some_and(|(a, b)| a <= b),
        O::TimestampGreaterThanEquals => timestamps().is_some_and(|(a, b)| a >= b),
        O::IsPresent => flag,
        O::IsNull => value.is_null() == flag,
        O::IsString => value.is_string() == flag,
        O::IsNumeric => value.is_number() == flag,
        O::IsBoolean => value.is_boolean() == flag,
        O::IsTimestamp => value.as_str().and_then(parse_timestamp).is_some() == flag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_matches_handles_stars_and_escapes() {
        assert!(string_matches("log-2024.txt", "log-*.txt"));
        assert!(string_matches("abc", "*"));
        assert!(string_matches("", "*"));
        assert!(!string_matches("abc", "ab"));
        assert!(string_matches("a*c", "a\\*c"));
        assert!(!string_matches("abc", "a\\*c"));
        assert!(string_matches("aXbXc", "a*b*c"));
        assert!(!string_matches("aXbXd", "a*b*c"));
    }
}
