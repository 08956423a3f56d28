//! JSONPath as ASL uses it: reference paths (a single node, readable and
//! writable: InputPath, ResultPath, Choice variables...) and general query
//! paths (read only, through `serde_json_path`; they always select a list).

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// One step of a reference path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Field(String),
    /// `[3]`.
    Index(usize),
}

/// A path that can identify only a single node, e.g. `$.a.b[0]['c d']`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferencePath {
    segments: Vec<Segment>,
}

impl ReferencePath {
    /// Parses a reference path starting with `$`; `None` if it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix('$')?;
        let chars: Vec<char> = rest.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                        if "*@?(),:'\"$ ".contains(chars[end]) {
                            return None;
                        }
                        end += 1;
                    }
                    if end == start {
                        return None;
                    }
                    segments.push(Segment::Field(chars[start..end].iter().collect()));
                    i = end;
                }
                '[' => {
                    let close = chars[i..].iter().position(|c| *c == ']')? + i;
                    let inner: String = chars[i + 1..close].iter().collect();
                    let inner = inner.trim();
                    if let Ok(index) = inner.parse::<usize>() {
                        segments.push(Segment::Index(index));
                    } else if inner.len() >= 2
                        && ((inner.starts_with('\'') && inner.ends_with('\''))
                            || (inner.starts_with('"') && inner.ends_with('"')))
                    {
                        let name = &inner[1..inner.len() - 1];
                        if name.contains(['\'', '"']) {
                            return None;
                        }
                        segments.push(Segment::Field(name.to_string()));
                    } else {
                        return None;
                    }
                    i = close + 1;
                }
                _ => return None,
            }
        }
        Some(Self { segments })
    }

    /// The steps of the path (empty for `$`).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The node this path identifies in `value`, if there is one.
    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        get_in(&self.segments, value)
    }

    /// Places `value` at this path inside `target`, creating missing objects on
    /// the way (as ResultPath does). Fails if the way is blocked by a non-object.
    pub fn set(&self, target: Value, value: Value) -> Result<Value, String> {
        if self.segments.is_empty() {
            return Ok(value);
        }
        let mut target = target;
        set_in(&mut target, &self.segments, value)?;
        Ok(target)
    }
}

/// Follows `segments` down from `value`.
pub fn get_in<'a>(segments: &[Segment], value: &'a Value) -> Option<&'a Value> {
    let mut current = value;
    for segment in segments {
        current = match (segment, current) {
            (Segment::Field(name), Value::Object(map)) => map.get(name)?,
            (Segment::Index(index), Value::Array(items)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(current)
}

fn set_in(node: &mut Value, segments: &[Segment], value: Value) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else {
        *node = value;
        return Ok(());
    };
    match (first, node) {
        (Segment::Field(name), Value::Object(map)) => {
            if rest.is_empty() {
                map.insert(name.clone(), value);
                return Ok(());
            }
            let child = map
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            set_in(child, rest, value)
        }
        (Segment::Index(index), Value::Array(items)) => match items.get_mut(*index) {
            Some(child) => set_in(child, rest, value),
            None => Err(format!("index {index} is out of bounds")),
        },
        (Segment::Field(name), other) => Err(format!(
            "cannot set field '{name}' on a {}",
            type_name(other)
        )),
        (Segment::Index(index), other) => Err(format!(
            "cannot set index {index} on a {}",
            type_name(other)
        )),
    }
}

/// The JSON type name of a value, for error messages.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The deepest nesting of `[` and `(` outside quotes a query path may have. serde_json_path's
/// parser backtracks exponentially through nested filters that do not close (14 levels took
/// seconds); real paths nest two to four deep (`$.a[?(@.b[?(@.c > 1)])]`).
const MAX_QUERY_NESTING: usize = 8;

/// How deep `[` and `(` nest in `text`, quoted strings aside.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ']' | ')' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

/// Whether a quoted name in `text` has a `\u` escape not followed by four hex digits.
/// serde_json_path 0.7 panics ("we do not use streaming parsers") on one at the end of the
/// path instead of refusing it; found by the jsonpath_intrinsics fuzz target.
fn has_unfinished_unicode_escape(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(_) if c == '\\' => {
                if chars.get(i + 1) == Some(&'u') {
                    let hex = chars.get(i + 2..i + 6);
                    if hex.is_none_or(|h| !h.iter().all(char::is_ascii_hexdigit)) {
                        return true;
                    }
                }
                i += 2;
                continue;
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {}
        }
        i += 1;
    }
    false
}

/// Which document a path reads: the state's data (`$`) or the context object (`$$`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    /// `$...`: the state's input (or the task result, for ResultSelector).
    Data,
    /// `$$...`: the context object.
    Context,
}

/// A compiled read path: a reference path, or a general JSONPath query.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    root: Root,
    kind: PathKind,
}

#[derive(Debug, Clone)]
enum PathKind {
    Reference(ReferencePath),
    Query(JsonPath),
}

impl Path {
    /// Compiles `text` (`$...` or `$$...`); the error says why it is not a path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let (root, data_text) = match trimmed.strip_prefix("$$") {
            Some(rest) => (Root::Context, format!("${rest}")),
            None if trimmed.starts_with('$') => (Root::Data, trimmed.to_string()),
            None => return Err(format!("'{text}' is not a path: it must start with '$'")),
        };
        let kind = match ReferencePath::parse(&data_text) {
            Some(reference) => PathKind::Reference(reference),
            None if has_unfinished_unicode_escape(&data_text) => {
                return Err(format!(
                    "'{text}' has a \\u escape without four hex digits in a quoted name"
                ));
            }
            None if nesting(&data_text) > MAX_QUERY_NESTING => {
                return Err(format!(
                    "'{text}' nests brackets and parentheses more than {MAX_QUERY_NESTING} deep"
                ));
            }
            None => PathKind::Query(
                JsonPath::parse(&data_text)
                    .map_err(|e| format!("'{text}' is not a valid JSONPath: {}", e.message()))?,
            ),
        };
        Ok(Self {
            text: text.to_string(),
            root,
            kind,
        })
    }

    /// The path as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Which document the path reads.
    pub fn root(&self) -> Root {
        self.root
    }

    /// The reference path, if this path is one.
    pub fn as_reference(&self) -> Option<&ReferencePath> {
        match &self.kind {
            PathKind::Reference(reference) => Some(reference),
            PathKind::Query(_) => None,
        }
    }

    /// Reads the path in `document`: the node for a reference path (`None` if
    /// absent), the array of every match for a query path.
    pub fn read(&self, document: &Value) -> Option<Value> {
        match &self.kind {
            PathKind::Reference(reference) => reference.get(document).cloned(),
            PathKind::Query(query) => Some(Value::Array(
                query.query(document).all().into_iter().cloned().collect(),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unfinished_unicode_escape_is_refused_not_a_panic() {
        // Found by the jsonpath_intrinsics fuzz target (crash-995fef97…): serde_json_path
        // panicked on it.
        let err = Path::parse("$['Q\\uaace\\u").unwrap_err();
        assert!(err.contains("four hex digits"), "{err}");
        assert!(Path::parse("$['a\\u0041'][*]").is_ok());
    }

    #[test]
    fn deeply_nested_query_paths_are_refused_before_parsing() {
        // Found by the jsonpath_intrinsics fuzz target: filters nested 14 deep without closing took
        // serde_json_path seconds to reject, growing threefold per level.
        let text = format!("$.a{}[?(@.[-0]]]", "[?(@ [?(@.a".repeat(7));
        assert!(Path::parse(&text).unwrap_err().contains("more than 8 deep"));
        // Quoted brackets do not count, and real filters nest well within the limit.
        assert!(Path::parse("$['[[[[[[[[[['][*]").is_ok());
        assert!(Path::parse("$.a[?(@.b[?(@.c > 1)])]").is_ok());
    }

    #[test]
    fn reference_path_parses_dots_brackets_and_indexes() {
        let path = ReferencePath::parse("$.a['b c'][2].d").unwrap();
        assert_eq!(
            path.segments(),
            &[
                Segment::Field("a".into()),
                Segment::Field("b c".into()),
                Segment::Index(2),
                Segment::Field("d".into())
            ]
        );
        assert!(ReferencePath::parse("$.a[*]").is_none());
        assert!(ReferencePath::parse("$..a").is_none());
        assert!(ReferencePath::parse("a").is_none());
    }

    #[test]
    fn set_creates_missing_objects_and_refuses_non_objects() {
        let path = ReferencePath::parse("$.a.b").unwrap();
        assert_eq!(
            path.set(json!({}), json!(1)).unwrap(),
            json!({"a": {"b": 1}})
        );
        assert!(path.set(json!({"a": 3}), json!(1)).is_err());
        assert!(path.set(json!("x"), json!(1)).is_err());
    }

    #[test]
    fn query_paths_select_lists() {
        let path = Path::parse("$.items[*].id").unwrap();
        let doc = json!({"items": [{"id": 1}, {"id": 2}]});
        assert_eq!(path.read(&doc), Some(json!([1, 2])));
        let filter = Path::parse("$.items[?(@.id == 2)]").unwrap();
        assert_eq!(filter.read(&doc), Some(json!([{"id": 2}])));
    }
}
