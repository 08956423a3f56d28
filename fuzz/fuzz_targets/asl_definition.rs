//! ASL definition load (and a short run of what loads). The input is a definition's text, with
//! CDK-style `${Name}` placeholders filled as the local runtime fills them.
//!
//! Properties: loading never panics and a loaded machine is consistent (`StartAt` names one of
//! its states, every listed state can be looked up, loading the same document as a value agrees);
//! running it — Tasks echo their input, or fail with `Fuzz.Failure` when the resource ends in
//! `:fail`; a virtual clock; at most 200 transitions — ends either SUCCEEDED with an output and no
//! error, or FAILED without an output (and with an error name unless a Fail state gave none).
#![no_main]

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use starling_states::{
    ExecutionOptions, ExecutionStatus, StateMachine, TaskContext, TaskFailure, TaskHandler,
    VirtualSleeper, execute, substitute,
};

struct EchoOrFail;

#[async_trait]
impl TaskHandler for EchoOrFail {
    async fn invoke(
        &self,
        resource: &str,
        input: Value,
        _ctx: &TaskContext,
    ) -> Result<Value, TaskFailure> {
        if resource.ends_with(":fail") {
            Err(TaskFailure::new(
                "Fuzz.Failure",
                "the resource asked to fail",
            ))
        } else {
            Ok(input)
        }
    }
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let substitutions: HashMap<String, String> = [
        (
            "AnalyseTextFunctionArn",
            "arn:aws:lambda:local:000000000000:function:analyse-text",
        ),
        (
            "DownloadMediaFunctionArn",
            "arn:aws:lambda:local:000000000000:function:download-media",
        ),
        (
            "AnalyseImageFunctionArn",
            "arn:aws:lambda:local:000000000000:function:analyse-image",
        ),
        ("EventBusName", "starling"),
        ("MediaBucket", "starling-media"),
        (
            "EchoFunction",
            "arn:aws:lambda:local:000000000000:function:echo",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let text = match substitute(text, &substitutions) {
        Ok(filled) => filled,
        Err(_) => text.to_string(),
    };
    let loaded = StateMachine::from_json(&text);
    if let Ok(document) = serde_json::from_str::<Value>(&text) {
        assert_eq!(
            loaded.is_ok(),
            StateMachine::from_value(&document).is_ok(),
            "from_json and from_value disagree"
        );
    }
    let Ok(machine) = loaded else {
        return;
    };
    let names = machine.state_names();
    assert!(
        names.contains(&machine.start_at()),
        "StartAt is not a state"
    );
    for name in names {
        assert!(
            machine.state(name).is_some(),
            "{name} is listed but not found"
        );
    }

    let options = ExecutionOptions {
        execution_name: Some("fuzz".into()),
        sleeper: Arc::new(VirtualSleeper::starting_at(
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
                .single()
                .expect("a time"),
        )),
        max_transitions: 200,
        record_history: false,
        ..ExecutionOptions::default()
    };
    let input = json!({
        "detail-type": "MESSAGE_RECEIVED",
        "detail": {"Text": "hello", "ImageUrls": ["https://pbs.twimg.com/media/a.jpg"], "Lang": "en",
                   "Twitter": {"TweetId": "1", "UserId": "2"}, "Items": [1, 2, 3]}
    });
    let result = RUNTIME.with(|rt| rt.block_on(execute(&machine, input, &EchoOrFail, &options)));
    match result.status {
        ExecutionStatus::Succeeded => {
            assert!(result.output.is_some(), "{result:?}");
            assert!(
                result.error.is_none() && result.cause.is_none(),
                "{result:?}"
            );
        }
        // A Fail state may name no error (ASL makes `Error` optional), so only an empty name is wrong.
        ExecutionStatus::Failed => {
            assert!(result.output.is_none(), "{result:?}");
            assert!(result.error.as_deref() != Some(""), "{result:?}");
        }
    }
});
