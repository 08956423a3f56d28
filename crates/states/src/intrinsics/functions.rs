//! The intrinsic functions themselves (`States.Format`, `States.Hash`...).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};
use sha2::Digest as _;

use crate::error::StatesError;
use crate::paths::type_name;

/// Every intrinsic function this interpreter knows.
pub const KNOWN: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.Array",
    "States.ArrayPartition",
    "States.ArrayContains",
    "States.ArrayRange",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayUnique",
    "States.Base64Encode",
    "States.Base64Decode",
    "States.Hash",
    "States.JsonMerge",
    "States.MathRandom",
    "States.MathAdd",
    "States.StringSplit",
    "States.UUID",
];

/// The largest array States.ArrayRange may build.
const MAX_RANGE_ITEMS: i64 = 1000;
/// The longest input States.Base64Encode/Decode and States.Hash accept.
const MAX_ENCODE_CHARS: usize = 10_000;

type Result<T> = std::result::Result<T, StatesError>;

fn fail(name: &str, message: impl std::fmt::Display) -> StatesError {
    StatesError::intrinsic(format!("{name}: {message}"))
}

fn expect_count(name: &str, args: &[Value], min: usize, max: usize) -> Result<()> {
    if args.len() < min || args.len() > max {
        let wanted = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(fail(
            name,
            format!("takes {wanted} arguments, got {}", args.len()),
        ));
    }
    Ok(())
}

fn as_str<'a>(name: &str, value: &'a Value, what: &str) -> Result<&'a str> {
    value.as_str().ok_or_else(|| {
        fail(
            name,
            format!("{what} must be a string, got {}", type_name(value)),
        )
    })
}

fn as_array<'a>(name: &str, value: &'a Value, what: &str) -> Result<&'a Vec<Value>> {
    value.as_array().ok_or_else(|| {
        fail(
            name,
            format!("{what} must be an array, got {}", type_name(value)),
        )
    })
}

fn as_integer(name: &str, value: &Value, what: &str) -> Result<i64> {
    if let Some(integer) = value.as_i64() {
        return Ok(integer);
    }
    match value.as_f64() {
        Some(float) if float.fract() == 0.0 && float.abs() < 9.0e15 => Ok(float as i64),
        _ => Err(fail(
            name,
            format!("{what} must be an integer, got {value}"),
        )),
    }
}

/// Calls intrinsic `name` on already evaluated `args`. `format_template` is
/// the raw text of a literal first argument, for States.Format's escapes.
pub fn call(name: &str, args: Vec<Value>, format_template: Option<&str>) -> Result<Value> {
    match name {
        "States.Format" => format(args, format_template),
        "States.StringToJson" => {
            expect_count(name, &args, 1, 1)?;
            let text = as_str(name, &args[0], "the argument")?;
            serde_json::from_str(text).map_err(|e| fail(name, format!("invalid JSON: {e}")))
        }
        "States.JsonToString" => {
            expect_count(name, &args, 1, 1)?;
            Ok(Value::String(args[0].to_string()))
        }
        "States.Array" => Ok(Value::Array(args)),
        "States.ArrayPartition" => {
            expect_count(name, &args, 2, 2)?;
            let items = as_array(name, &args[0], "the first argument")?;
            let size = as_integer(name, &args[1], "the chunk size")?;
            if size <= 0 {
                return Err(fail(name, "the chunk size must be positive"));
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            Ok(Value::Array(
                items
                    .chunks(size)
                    .map(|chunk| Value::Array(chunk.to_vec()))
                    .collect(),
            ))
        }
        "States.ArrayContains" => {
            expect_count(name, &args, 2, 2)?;
            let items = as_array(name, &args[0], "the first argument")?;
            Ok(Value::Bool(items.contains(&args[1])))
        }
        "States.ArrayRange" => array_range(&args),
        "States.ArrayGetItem" => {
            expect_count(name, &args, 2, 2)?;
            let items = as_array(name, &args[0], "the first argument")?;
            let index = as_integer(name, &args[1], "the index")?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| fail(name, format!("index {index} is out of bounds")))
        }
        "States.ArrayLength" => {
            expect_count(name, &args, 1, 1)?;
            Ok(Value::from(as_array(name, &args[0], "the argument")?.len()))
        }
        "States.ArrayUnique" => {
            expect_count(name, &args, 1, 1)?;
            let items = as_array(name, &args[0], "the argument")?;
            let mut unique: Vec<Value> = Vec::with_capacity(items.len());
            for item in items {
                if !unique.contains(item) {
                    unique.push(item.clone());
                }
            }
            Ok(Value::Array(unique))
        }
        "States.Base64Encode" => {
            expect_count(name, &args, 1, 1)?;
            let text = as_str(name, &args[0], "the argument")?;
            if text.chars().count() > MAX_ENCODE_CHARS {
                return Err(fail(name, "the input is longer than 10000 characters"));
            }
            Ok(Value::String(STANDARD.encode(text)))
        }
        "States.Base64Decode" => {
            expect_count(name, &args, 1, 1)?;
            let text = as_str(name, &args[0], "the argument")?;
            if text.chars().count() > MAX_ENCODE_CHARS {
                return Err(fail(name, "the input is longer than 10000 characters"));
            }
            let bytes = STANDARD
                .decode(text)
                .map_err(|e| fail(name, format!("invalid base64: {e}")))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail(name, "the decoded data is not UTF-8"))
        }
        "States.Hash" => hash(&args),
        "States.JsonMerge" => {
            expect_count(name, &args, 3, 3)?;
            let (Value::Object(left), Value::Object(right)) = (&args[0], &args[1]) else {
                return Err(fail(name, "the first two arguments must be objects"));
            };
            if args[2] != Value::Bool(false) {
                return Err(fail(
                    name,
                    "only shallow merging is supported: the third argument must be false",
                ));
            }
            let mut merged: Map<String, Value> = left.clone();
            for (key, value) in right {
                merged.insert(key.clone(), value.clone());
            }
            Ok(Value::Object(merged))
        }
        "States.MathRandom" => {
            expect_count(name, &args, 2, 3)?;
            let start = as_integer(name, &args[0], "the start")?;
            let end = as_integer(name, &args[1], "the end")?;
            if start >= end {
                return Err(fail(name, "the start must be lower than the end"));
            }
            let mut rng = match args.get(2) {
                Some(seed) => fastrand::Rng::with_seed(as_integer(name, seed, "the seed")? as u64),
                None => fastrand::Rng::new(),
            };
            Ok(Value::from(rng.i64(start..end)))
        }
        "States.MathAdd" => {
            expect_count(name, &args, 2, 2)?;
            let left = as_integer(name, &args[0], "the first argument")?;
            let right = as_integer(name, &args[1], "the second argument")?;
            left.checked_add(right)
                .map(Value::from)
                .ok_or_else(|| fail(name, "the sum overflows"))
        }
        "States.StringSplit" => {
            expect_count(name, &args, 2, 2)?;
            let text = as_str(name, &args[0], "the first argument")?;
            let delimiters = as_str(name, &args[1], "the delimiter")?;
            if delimiters.is_empty() {
                return Err(fail(name, "the delimiter must not be empty"));
            }
            Ok(Value::Array(
                text.split(|c| delimiters.contains(c))
                    .filter(|part| !part.is_empty())
                    .map(|part| Value::String(part.to_string()))
                    .collect(),
            ))
        }
        "States.UUID" => {
            expect_count(name, &args, 0, 0)?;
            Ok(Value::String(uuid::Uuid::new_v4().to_string()))
        }
        other => Err(fail(other, "unknown intrinsic function")),
    }
}

fn format(args: Vec<Value>, raw_template: Option<&str>) -> Result<Value> {
    const NAME: &str = "States.Format";
    let Some((template_value, values)) = args.split_first() else {
        return Err(fail(NAME, "takes at least 1 argument"));
    };
    let template = match raw_template {
        Some(raw) => raw,
        None => as_str(NAME, template_value, "the template")?,
    };
    let escapes = raw_template.is_some();
    let mut out = String::with_capacity(template.len());
    let mut values = values.iter();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if escapes => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let Some(value) = values.next() else {
                    return Err(fail(NAME, "more placeholders than arguments"));
                };
                match value {
                    Value::String(text) => out.push_str(text),
                    Value::Null | Value::Bool(_) | Value::Number(_) => {
                        out.push_str(&value.to_string());
                    }
                    other => {
                        return Err(fail(
                            NAME,
                            format!("cannot format a {} into a string", type_name(other)),
                        ));
                    }
                }
            }
            other => out.push(other),
        }
    }
    if values.next().is_some() {
        return Err(fail(NAME, "more arguments than placeholders"));
    }
    Ok(Value::String(out))
}

fn array_range(args: &[Value]) -> Result<Value> {
    const NAME: &str = "States.ArrayRange";
    expect_count(NAME, args, 3, 3)?;
    let start = as_integer(NAME, &args[0], "the start")?;
    let end = as_integer(NAME, &args[1], "the end")?;
    let step = as_integer(NAME, &args[2], "the step")?;
    if step == 0 {
        return Err(fail(NAME, "the step must not be 0"));
    }
    let (start, end, step) = (i128::from(start), i128::from(end), i128::from(step));
    let count = if (step > 0 && end < start) || (step < 0 && end > start) {
        0
    } else {
        (end - start) / step + 1
    };
    if count > i128::from(MAX_RANGE_ITEMS) {
        return Err(fail(NAME, "the range would have more than 1000 items"));
    }
    (0..count)
        .map(|i| {
            i64::try_from(start + i * step)
                .map(Value::from)
                .map_err(|_| fail(NAME, "the range overflows"))
        })
        .collect::<Result<Vec<_>>>()
        .map(Value::Array)
}

fn hash(args: &[Value]) -> Result<Value> {
    const NAME: &str = "States.Hash";
    expect_count(NAME, args, 2, 2)?;
    let data = as_str(NAME, &args[0], "the data")?;
    if data.chars().count() > MAX_ENCODE_CHARS {
        return Err(fail(NAME, "the data is longer than 10000 characters"));
    }
    let algorithm = as_str(NAME, &args[1], "the algorithm")?;
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match algorithm {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(fail(
                NAME,
                format!("unknown algorithm '{other}' (MD5, SHA-1, SHA-256, SHA-384, SHA-512)"),
            ));
        }
    };
    Ok(Value::String(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}
