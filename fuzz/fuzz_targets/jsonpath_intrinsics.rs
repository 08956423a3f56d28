//! JSONPath and intrinsic functions. The input is an expression (a path such as `$.a[0]` or a call
//! such as `States.Format('{}', $.a)`), then optionally a 0xFF byte and the JSON data it reads
//! (else a fixed MESSAGE_RECEIVED-like document).
//!
//! Properties: parsing and evaluating never panic; an intrinsic fails only with
//! `States.IntrinsicFailure`; a reference path reads what it names and writing a value through it
//! reads back that value; and the encoders round-trip: `States.Base64Decode(States.Base64Encode(s))`
//! is `s` for the expression's own text, `States.StringToJson(States.JsonToString($))` is the data
//! (floats to within a few ulps).
#![no_main]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use starling_fuzz::same_json;
use starling_states::context::{ExecutionInfo, StateContext};
use starling_states::intrinsics::Intrinsic;
use starling_states::names;
use starling_states::paths::Path;

const DEFAULT_DATA: &str = r#"{"detail":{"Text":"hello @bot","ImageUrls":["https://pbs.twimg.com/media/a.jpg","https://pbs.twimg.com/media/b.png"],"Lang":"en","Twitter":{"TweetId":"123","UserId":"42"},"Scores":[0.5,1,-2,1e3]},"items":[1,2,3,2,"a",null,true,{"k":"v"}],"a.b":{"c d":[[]]}}"#;

fn context() -> StateContext {
    let start = Utc
        .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
        .single()
        .expect("a time");
    let execution = ExecutionInfo {
        id: "arn:aws:states:local:000000000000:execution:fuzz:run".into(),
        name: "run".into(),
        input: json!({"detail": {"Text": "hi"}}),
        start_time: start,
        role_arn: "arn:aws:iam::000000000000:role/fuzz".into(),
        state_machine_id: "arn:aws:states:local:000000000000:stateMachine:fuzz".into(),
        state_machine_name: "fuzz".into(),
    };
    StateContext::new(Arc::new(execution), "State", start)
}

/// `text` as an intrinsic string literal: `'` and `\` escaped with `\`.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if matches!(c, '\'' | '\\' | '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fuzz_target!(|input: &[u8]| {
    let (expr_bytes, data_bytes) = match input.iter().position(|b| *b == 0xFF) {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, DEFAULT_DATA.as_bytes()),
    };
    let Ok(expression) = std::str::from_utf8(expr_bytes) else {
        return;
    };
    let Ok(data) = serde_json::from_slice::<Value>(data_bytes) else {
        return;
    };
    let context = context();

    if let Ok(path) = Path::parse(expression) {
        let read = context.read(&path, &data);
        if let Some(reference) = path.as_reference()
            && path.root() == starling_states::paths::Root::Data
        {
            assert_eq!(read.as_ref(), reference.get(&data), "read and get disagree");
            let marker = json!({"fuzz": "marker"});
            if let Ok(written) = reference.set(data.clone(), marker.clone()) {
                assert_eq!(
                    reference.get(&written),
                    Some(&marker),
                    "set then get lost the value"
                );
            }
        }
    }

    if let Ok(intrinsic) = Intrinsic::parse(expression)
        && let Err(e) = intrinsic.evaluate(&data, &context)
    {
        assert_eq!(e.error, names::INTRINSIC_FAILURE, "{e}");
    }

    if expression.len() <= 2048 {
        let round_trip = format!(
            "States.Base64Decode(States.Base64Encode({}))",
            quoted(expression)
        );
        let call = Intrinsic::parse(&round_trip).expect("a quoted string parses");
        let value = call.evaluate(&data, &context).expect("base64 round trip");
        assert_eq!(value, Value::String(expression.to_string()));
    }
    let call = Intrinsic::parse("States.StringToJson(States.JsonToString($))").expect("parses");
    let back = call.evaluate(&data, &context).expect("JSON round trip");
    assert!(same_json(&back, &data), "{back} is not {data}");
});
