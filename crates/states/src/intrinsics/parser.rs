//! The parser of intrinsic function calls such as
//! `States.Format('Hello {}', States.ArrayGetItem($.names, 0))`.

use serde_json::{Number, Value};

use crate::paths::Path;

/// One argument of an intrinsic call.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A number, `true`, `false` or `null`.
    Literal(Value),
    /// A quoted string: its unescaped value and its text between the quotes
    /// (States.Format reads escaped braces from the raw text).
    Str {
        /// The string with escapes resolved.
        value: String,
        /// The string as written between the quotes.
        raw: String,
    },
    /// A path into the data (`$...`) or the context object (`$$...`).
    Path(Path),
    /// A nested intrinsic call.
    Call(Call),
}

/// An intrinsic function call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The function name, e.g. `States.Format`.
    pub name: String,
    /// Its arguments.
    pub args: Vec<Arg>,
}

/// Parses a whole intrinsic call; the error says where and why it is malformed.
pub fn parse(text: &str) -> Result<Call, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut parser = Parser { chars, pos: 0 };
    parser.skip_ws();
    let call = parser.call()?;
    parser.skip_ws();
    if parser.pos != parser.chars.len() {
        return Err(parser.error("unexpected text after the function call"));
    }
    Ok(call)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn error(&self, message: &str) -> String {
        format!("{message} at character {}", self.pos)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn call(&mut self) -> Result<Call, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if name.is_empty() {
            return Err(self.error("expected a function name"));
        }
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(self.error(&format!("expected '(' after {name}")));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(Call { name, args });
        }
        loop {
            self.skip_ws();
            args.push(self.arg()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(Call { name, args });
                }
                _ => return Err(self.error("expected ',' or ')'")),
            }
        }
    }

    fn arg(&mut self) -> Result<Arg, String> {
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => self.path(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() => {
                let rest: String = self.chars[self.pos..].iter().collect();
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if let Some(after) = rest.strip_prefix(word)
                        && !after
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                    {
                        self.pos += word.len();
                        return Ok(Arg::Literal(value));
                    }
                }
                Ok(Arg::Call(self.call()?))
            }
            _ => Err(self.error("expected an argument")),
        }
    }

    fn string(&mut self) -> Result<Arg, String> {
        self.pos += 1;
        let mut value = String::new();
        let mut raw = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some('\'') => {
                    self.pos += 1;
                    return Ok(Arg::Str { value, raw });
                }
                Some('\\') => {
                    let Some(escaped) = self.chars.get(self.pos + 1).copied() else {
                        return Err(self.error("unterminated escape"));
                    };
                    raw.push('\\');
                    raw.push(escaped);
                    value.push(escaped);
                    self.pos += 2;
                }
                Some(c) => {
                    raw.push(c);
                    value.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Arg, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || "+-.eE".contains(c))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if let Ok(integer) = text.parse::<i64>() {
            return Ok(Arg::Literal(Value::Number(integer.into())));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(|n| Arg::Literal(Value::Number(n)))
            .ok_or_else(|| self.error(&format!("'{text}' is not a number")))
    }

    fn path(&mut self) -> Result<Arg, String> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '(') => depth += 1,
                (None, ']') => depth = depth.saturating_sub(1),
                (None, ')') if depth == 0 => break,
                (None, ')') => depth -= 1,
                (None, ',') if depth == 0 => break,
                (None, c) if c.is_whitespace() && depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        Path::parse(&text).map(Arg::Path)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_calls_strings_paths_and_numbers() {
        let call = parse("States.Format('it\\'s {}', States.ArrayGetItem($.a[0], -1), 2.5, true)")
            .unwrap();
        assert_eq!(call.name, "States.Format");
        assert_eq!(call.args.len(), 4);
        assert!(matches!(&call.args[0], Arg::Str { value, .. } if value == "it's {}"));
        assert!(matches!(&call.args[1], Arg::Call(inner) if inner.args.len() == 2));
        assert!(matches!(&call.args[3], Arg::Literal(Value::Bool(true))));
    }

    #[test]
    fn rejects_malformed_calls() {
        assert!(parse("States.Format('x'").is_err());
        assert!(parse("States.Format('x").is_err());
        assert!(parse("States.UUID() extra").is_err());
        assert!(parse("(").is_err());
        assert!(parse("States.Array(#)").is_err());
    }
}
