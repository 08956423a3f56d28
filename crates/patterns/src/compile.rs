//! Validation and compilation of a pattern into sub-rules.
//!
//! Like EventBridge, a pattern compiles to a list of *sub-rules* (its `$or`s
//! expanded), each a set of `path -> leaf matchers` that must all hold; the
//! pattern matches when any sub-rule does. Fields are read in document order
//! and a later field with the same path replaces an earlier one in every
//! sub-rule it reaches (this is how an `$or` branch overrides, or is
//! overridden by, a sibling field with the same path).

use crate::PatternError;
use crate::json::Json;
use crate::ops::{AnythingBut, Cidr, Folded, Matcher, Num, Range, Wildcard, parse_ip};

/// Deepest object nesting accepted in a pattern.
pub(crate) const MAX_DEPTH: usize = 128;

/// Most sub-rules a pattern may expand to (each `$or` multiplies them): EventBridge refuses a
/// pattern whose `$or` combinations exceed 1,000 (content filtering, "Or matching").
pub(crate) const MAX_SUB_RULES: usize = 1000;

/// Field names that may not be used inside `$or` (EventBridge reserves them).
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// What one path of a sub-rule demands.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The path from the event's root: its object keys joined with `.`, as
    /// EventBridge flattens both patterns and events (so a pattern key
    /// `"a.b"` and nested keys `"a"`, `"b"` name the same field).
    pub(crate) path: Box<str>,
    /// Any of these matching a leaf at the path satisfies the field.
    pub(crate) matchers: Vec<Matcher>,
    /// `{"exists": false}` is among the alternatives: no leaf at the path also satisfies it.
    pub(crate) absent: bool,
    /// No other field of the sub-rule starts with the same key, so no event
    /// array can lie on both paths: its array choices constrain nobody.
    pub(crate) independent: bool,
}

/// Fields that must all be satisfied, sorted by dotted path (EventBridge's evaluation order).
pub(crate) type SubRule = Vec<Field>;

/// Compiles a whole pattern.
pub(crate) fn compile(pattern: &Json) -> Result<Vec<SubRule>, PatternError> {
    let Json::Object(fields) = pattern else {
        return Err(err(
            &[],
            format!("the pattern must be a JSON object, not {}", pattern.kind()),
        ));
    };
    let mut rules: Vec<SubRule> = Vec::new();
    let mut path = Vec::new();
    object(fields, &mut rules, &mut path, false)?;
    for rule in &mut rules {
        rule.sort_by(|a, b| a.path.cmp(&b.path));
        let first_key = |f: &Field| f.path.split('.').next().unwrap_or_default().to_owned();
        let keys: Vec<String> = rule.iter().map(first_key).collect();
        for (i, field) in rule.iter_mut().enumerate() {
            field.independent = keys.iter().filter(|k| **k == keys[i]).count() == 1;
        }
    }
    Ok(rules)
}

fn err(path: &[String], reason: impl Into<String>) -> PatternError {
    let reason = reason.into();
    if path.is_empty() {
        PatternError(reason)
    } else {
        PatternError(format!("\"{}\": {reason}", path.join(".")))
    }
}

fn object(
    fields: &[(String, Json)],
    rules: &mut Vec<SubRule>,
    path: &mut Vec<String>,
    in_or: bool,
) -> Result<(), PatternError> {
    if path.len() >= MAX_DEPTH {
        return Err(err(
            path,
            format!("patterns may nest at most {MAX_DEPTH} objects deep"),
        ));
    }
    if fields.is_empty() {
        return Err(err(path, "empty objects are not allowed"));
    }
    for (name, value) in fields {
        if name == "$or" {
            or(value, rules, path)?;
            continue;
        }
        path.push(name.clone());
        if in_or && RESERVED_IN_OR.contains(&name.as_str()) {
            return Err(err(
                path,
                format!(
                    "{name:?} is a reserved keyword and cannot be used as a field name inside \"$or\""
                ),
            ));
        }
        match value {
            Json::Object(inner) => object(inner, rules, path, in_or)?,
            Json::Array(items) => {
                let field = leaf(items, path)?;
                if rules.is_empty() {
                    rules.push(Vec::new());
                }
                for rule in rules.iter_mut() {
                    match rule.iter_mut().find(|f| f.path == field.path) {
                        Some(existing) => *existing = field.clone(),
                        None => rule.push(field.clone()),
                    }
                }
            }
            other => {
                return Err(err(
                    path,
                    format!("must be an object or an array, not {}", other.kind()),
                ));
            }
        }
        path.pop();
    }
    Ok(())
}

fn or(value: &Json, rules: &mut Vec<SubRule>, path: &mut Vec<String>) -> Result<(), PatternError> {
    let mut here = path.clone();
    here.push("$or".to_owned());
    let Json::Array(branches) = value else {
        return Err(err(
            &here,
            format!("must be an array of objects, not {}", value.kind()),
        ));
    };
    if branches.len() < 2 {
        return Err(err(&here, "must contain at least 2 objects"));
    }
    let before = std::mem::take(rules);
    for branch in branches {
        let Json::Object(fields) = branch else {
            return Err(err(
                &here,
                format!("may only contain objects, not {}", branch.kind()),
            ));
        };
        let mut forked = before.clone();
        if forked.is_empty() {
            forked.push(Vec::new());
        }
        object(fields, &mut forked, path, true)?;
        rules.extend(forked);
        if rules.len() > MAX_SUB_RULES {
            return Err(err(
                &here,
                format!("the pattern is too complex: its $or combinations exceed {MAX_SUB_RULES}"),
            ));
        }
    }
    Ok(())
}

/// Compiles the array of alternatives at a leaf path.
fn leaf(items: &[Json], path: &[String]) -> Result<Field, PatternError> {
    if items.is_empty() {
        return Err(err(path, "empty arrays are not allowed"));
    }
    let mut field = Field {
        path: path.join(".").into(),
        matchers: Vec::with_capacity(items.len()),
        absent: false,
        independent: false,
    };
    for item in items {
        match item {
            Json::String(s) => field.matchers.push(exact_string(s)),
            Json::Number(n) => field.matchers.push(Matcher::ExactNumber(number(n, path)?)),
            Json::Bool(b) => field.matchers.push(Matcher::ExactBool(*b)),
            Json::Null => field.matchers.push(Matcher::ExactNull),
            Json::Object(expr) => match expression(expr, path)? {
                Some(m) => field.matchers.push(m),
                None => field.absent = true,
            },
            Json::Array(_) => {
                return Err(err(
                    path,
                    "match values must be strings, numbers, true, false, null or operator objects, not arrays",
                ));
            }
        }
    }
    Ok(field)
}

fn exact_string(s: &str) -> Matcher {
    Matcher::ExactString {
        text: s.into(),
        ip: parse_ip(s),
    }
}

fn number(n: &serde_json::Number, path: &[String]) -> Result<Num, PatternError> {
    Num::from_json(n).ok_or_else(|| err(path, format!("cannot compare number {n}")))
}

/// Compiles one operator object; `None` is `{"exists": false}`.
fn expression(expr: &[(String, Json)], path: &[String]) -> Result<Option<Matcher>, PatternError> {
    let Some((op, value)) = expr.first() else {
        return Err(err(
            path,
            "empty match expression: an operator object needs exactly one operator",
        ));
    };
    let matcher = match op.as_str() {
        // Unlike a bare string, `exactly` compares the text only, never as an IP address.
        "exactly" => Some(Matcher::ExactString {
            text: string(value, op, path)?.into(),
            ip: None,
        }),
        "prefix" => Some(affix(
            value,
            op,
            path,
            Matcher::Prefix,
            Matcher::PrefixIgnoreCase,
        )?),
        "suffix" => Some(affix(
            value,
            op,
            path,
            Matcher::Suffix,
            Matcher::SuffixIgnoreCase,
        )?),
        "equals-ignore-case" => Some(Matcher::EqualsIgnoreCase(Folded::new(string(
            value, op, path,
        )?))),
        "wildcard" => Some(Matcher::Wildcard(
            Wildcard::parse(string(value, op, path)?).map_err(|e| err(path, e))?,
        )),
        "anything-but" => Some(Matcher::AnythingBut(anything_but(value, path)?)),
        "numeric" => Some(Matcher::Numeric(numeric(value, path)?)),
        "exists" => match value {
            Json::Bool(true) => Some(Matcher::Exists),
            Json::Bool(false) => None,
            other => {
                return Err(err(
                    path,
                    format!(
                        "exists match pattern must be either true or false, not {}",
                        other.kind()
                    ),
                ));
            }
        },
        "cidr" => Some(Matcher::Cidr(
            Cidr::parse(string(value, op, path)?).map_err(|e| err(path, e))?,
        )),
        other => return Err(err(path, format!("unrecognized match type {other:?}"))),
    };
    if expr.len() > 1 {
        return Err(err(
            path,
            format!(
                "only one key allowed in match expression, found {}",
                expr.len()
            ),
        ));
    }
    Ok(matcher)
}

fn string<'a>(value: &'a Json, op: &str, path: &[String]) -> Result<&'a str, PatternError> {
    match value {
        Json::String(s) => Ok(s),
        other => Err(err(
            path,
            format!("{op} match pattern must be a string, not {}", other.kind()),
        )),
    }
}

/// `prefix` / `suffix`: a string, or `{"equals-ignore-case": string}`.
fn affix(
    value: &Json,
    op: &str,
    path: &[String],
    plain: fn(Box<str>) -> Matcher,
    folded: fn(Folded) -> Matcher,
) -> Result<Matcher, PatternError> {
    match value {
        Json::String(s) => Ok(plain(s.as_str().into())),
        Json::Object(inner) => {
            let Some((name, v)) = inner.first() else {
                return Err(err(path, format!("{op} expression name not found in {{}}")));
            };
            if name != "equals-ignore-case" {
                return Err(err(path, format!("unsupported {op} pattern: {name:?}")));
            }
            let s = string(v, name, path)?;
            if inner.len() > 1 {
                return Err(err(
                    path,
                    format!("only one key allowed in {op} expression"),
                ));
            }
            Ok(folded(Folded::new(s)))
        }
        other => Err(err(
            path,
            format!("{op} match pattern must be a string, not {}", other.kind()),
        )),
    }
}

fn anything_but(value: &Json, path: &[String]) -> Result<AnythingBut, PatternError> {
    match value {
        Json::String(s) => Ok(AnythingBut::Strings(vec![s.as_str().into()])),
        Json::Number(n) => Ok(AnythingBut::Numbers(vec![number(n, path)?])),
        Json::Array(items) => {
            let all_strings = items.iter().all(|i| matches!(i, Json::String(_)));
            let all_numbers = items.iter().all(|i| matches!(i, Json::Number(_)));
            if let Some(bad) = items
                .iter()
                .find(|i| !matches!(i, Json::String(_) | Json::Number(_)))
            {
                return Err(err(
                    path,
                    format!(
                        "anything-but list values must be strings or numbers, not {}",
                        bad.kind()
                    ),
                ));
            }
            if items.is_empty() || !(all_strings || all_numbers) {
                return Err(err(
                    path,
                    "an anything-but list must hold only strings or only numbers, and at least one value",
                ));
            }
            let mut strings = Vec::new();
            let mut numbers = Vec::new();
            for item in items {
                match item {
                    Json::String(s) => strings.push(s.as_str().into()),
                    Json::Number(n) => numbers.push(number(n, path)?),
                    _ => {}
                }
            }
            Ok(if all_strings {
                AnythingBut::Strings(strings)
            } else {
                AnythingBut::Numbers(numbers)
            })
        }
        Json::Object(inner) => {
            let Some((op, v)) = inner.first() else {
                return Err(err(path, "anything-but expression name not found in {}"));
            };
            if !matches!(
                op.as_str(),
                "prefix" | "suffix" | "equals-ignore-case" | "wildcard"
            ) {
                return Err(err(
                    path,
                    format!("unsupported anything-but pattern: {op:?}"),
                ));
            }
            let values: Vec<&str> = match v {
                Json::String(s) => vec![s.as_str()],
                Json::Array(items) => items
                    .iter()
                    .map(|i| match i {
                        Json::String(s) => Ok(s.as_str()),
                        other => Err(err(
                            path,
                            format!(
                                "anything-but {op} values must be strings, not {}",
                                other.kind()
                            ),
                        )),
                    })
                    .collect::<Result<_, _>>()?,
                other => {
                    return Err(err(
                        path,
                        format!(
                            "anything-but {op} takes a string or an array of strings, not {}",
                            other.kind()
                        ),
                    ));
                }
            };
            if inner.len() > 1 {
                return Err(err(path, "only one key allowed in anything-but expression"));
            }
            if matches!(op.as_str(), "prefix" | "suffix") && values.iter().any(|s| s.is_empty()) {
                return Err(err(
                    path,
                    format!("anything-but {op} must not be an empty string"),
                ));
            }
            Ok(match op.as_str() {
                "prefix" => AnythingBut::Prefixes(values.into_iter().map(Into::into).collect()),
                "suffix" => AnythingBut::Suffixes(values.into_iter().map(Into::into).collect()),
                "equals-ignore-case" => {
                    AnythingBut::IgnoreCase(values.into_iter().map(Folded::new).collect())
                }
                _ => AnythingBut::Wildcards(
                    values
                        .into_iter()
                        .map(Wildcard::parse)
                        .collect::<Result<_, _>>()
                        .map_err(|e| err(path, e))?,
                ),
            })
        }
        other => Err(err(
            path,
            format!(
                "value of anything-but must be an array or a single string/number value, not {}",
                other.kind()
            ),
        )),
    }
}

/// `numeric`: `["=", n]`, `[op, n]`, or `[">"|">=", low, "<"|"<=", high]` with `low < high`.
fn numeric(value: &Json, path: &[String]) -> Result<Range, PatternError> {
    let Json::Array(items) = value else {
        return Err(err(
            path,
            format!("value of numeric must be an array, not {}", value.kind()),
        ));
    };
    let op_at = |i: usize| -> Result<&str, PatternError> {
        match items.get(i) {
            Some(Json::String(s)) => Ok(s.as_str()),
            Some(other) => Err(err(
                path,
                format!(
                    "numeric expects an operator string at position {i}, found {}",
                    other.kind()
                ),
            )),
            None => Err(err(
                path,
                format!("numeric expects an operator at position {i}"),
            )),
        }
    };
    let num_at = |i: usize, op: &str| -> Result<f64, PatternError> {
        match items.get(i) {
            Some(Json::Number(n)) => Ok(number(n, path)?.float()),
            Some(other) => Err(err(
                path,
                format!("value of {op} must be numeric, not {}", other.kind()),
            )),
            None => Err(err(
                path,
                format!("value of {op} must be numeric, found nothing"),
            )),
        }
    };
    let too_many = |len: usize| -> Result<(), PatternError> {
        if items.len() > len {
            Err(err(path, "too many elements in numeric expression"))
        } else {
            Ok(())
        }
    };
    let first = op_at(0)?;
    let range = match first {
        "=" => {
            let v = num_at(1, first)?;
            too_many(2)?;
            Range {
                low: v,
                low_open: false,
                high: v,
                high_open: false,
            }
        }
        "<" | "<=" => {
            let v = num_at(1, first)?;
            too_many(2)?;
            Range {
                low: f64::NEG_INFINITY,
                low_open: false,
                high: v,
                high_open: first == "<",
            }
        }
        ">" | ">=" => {
            let low = num_at(1, first)?;
            let low_open = first == ">";
            if items.len() == 2 {
                Range {
                    low,
                    low_open,
                    high: f64::INFINITY,
                    high_open: false,
                }
            } else {
                let second = op_at(2)?;
                if !matches!(second, "<" | "<=") {
                    return Err(err(
                        path,
                        format!(
                            "bad numeric range operator {second:?}: a lower bound may only be followed by \"<\" or \"<=\""
                        ),
                    ));
                }
                let high = num_at(3, second)?;
                too_many(4)?;
                if low >= high {
                    return Err(err(
                        path,
                        format!("bottom must be less than top in numeric range ({low} >= {high})"),
                    ));
                }
                Range {
                    low,
                    low_open,
                    high,
                    high_open: second == "<",
                }
            }
        }
        other => {
            return Err(err(
                path,
                format!("unrecognized numeric range operator {other:?}"),
            ));
        }
    };
    Ok(range)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<SubRule> {
        compile(&serde_json::from_str(text).unwrap()).unwrap()
    }

    fn paths(rule: &SubRule) -> Vec<String> {
        rule.iter().map(|f| f.path.to_string()).collect()
    }

    #[test]
    fn or_expands_into_sub_rules() {
        let r = rules(r#"{"source":["a"],"$or":[{"m":["x"]},{"t":["y"],"n":["z"]},{"s":["w"]}]}"#);
        assert_eq!(r.len(), 3);
        assert_eq!(paths(&r[0]), ["m", "source"]);
        assert_eq!(paths(&r[1]), ["n", "source", "t"]);
        assert_eq!(paths(&r[2]), ["s", "source"]);
    }

    #[test]
    fn parallel_ors_multiply() {
        let r = rules(
            r#"{"$or":[{"a":["1"]},{"b":["2"]}],"detail":{"$or":[{"c":["3"]},{"d":["4"]}]}}"#,
        );
        assert_eq!(r.len(), 4);
    }

    #[test]
    fn later_field_overrides_same_path_in_or_branch() {
        let r = rules(r#"{"name":["a","b"],"$or":[{"name":[{"anything-but":"a"}]},{"c":["x"]}]}"#);
        assert_eq!(r.len(), 2);
        assert!(matches!(r[0][0].matchers[0], Matcher::AnythingBut(_)));
        assert_eq!(r[1].len(), 2);
    }

    /// `$or`s of `sizes` branches at top-level keys `k0`, `k1`, …: their product combinations.
    fn ors(sizes: &[usize]) -> Json {
        let mut pattern = serde_json::Map::new();
        for (i, n) in sizes.iter().enumerate() {
            let branches: Vec<serde_json::Value> = (0..*n)
                .map(|b| serde_json::json!({ format!("f{b}"): [format!("v{b}")] }))
                .collect();
            pattern.insert(format!("k{i}"), serde_json::json!({ "$or": branches }));
        }
        serde_json::from_str(&serde_json::Value::Object(pattern).to_string()).unwrap()
    }

    #[test]
    fn a_thousand_or_combinations_compile_and_one_more_is_refused_as_eventbridge_does() {
        assert_eq!(compile(&ors(&[10, 10, 10])).unwrap().len(), 1000);
        let e = compile(&ors(&[7, 11, 13])).unwrap_err();
        assert!(e.0.contains("too complex") && e.0.contains("1000"), "{e}");
    }

    #[test]
    fn or_explosion_is_refused() {
        let branch = r#"{"$or":[{"a":["1"]},{"b":["2"]},{"c":["3"]},{"d":["4"]}]}"#;
        let mut text = String::from("{");
        for i in 0..7 {
            text.push_str(&format!(r#""k{i}":{branch},"#));
        }
        text.push_str(r#""z":["z"]}"#);
        let e = compile(&serde_json::from_str(&text).unwrap()).unwrap_err();
        assert!(e.0.contains("too complex"), "{e}");
    }
}
