//! What the fuzz targets (`fuzz_targets/*.rs`) share.

use serde_json::Value;

/// Equal JSON, floats to within a few units in the last place. serde_json, as the workspace builds
/// it (without its `float_roundtrip` feature), may read a float's shortest form one ulp away from
/// the float the original text was read as; so a document written out and read back again (the
/// lake's re-serialised records, `States.JsonToString`) is equal only up to that.
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= x.abs().max(y.abs()) * 1e-15
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}
