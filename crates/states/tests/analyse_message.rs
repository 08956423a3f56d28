//! The project's real definition, statemachines/analyse-message.asl.json,
//! run locally with the placeholders filled as the local runtime fills them.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{TestHandler, options, output};
use serde_json::{Value, json};
use starling_states::{StateMachine, TaskFailure, VirtualSleeper, execute};

fn analyse_message() -> StateMachine {
    let path = format!(
        "{}/../../statemachines/analyse-message.asl.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let definition = std::fs::read_to_string(&path).unwrap();
    let values: HashMap<String, String> = [
        ("AnalyseTextFunctionArn", "analyse-text"),
        ("DownloadMediaFunctionArn", "download-media"),
        ("AnalyseImageFunctionArn", "analyse-image"),
        ("MediaBucket", "/data/media"),
        ("EventBusName", "Plumbing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    StateMachine::from_json_with_substitutions(&definition, &values).unwrap()
}

fn event(images: &[&str]) -> Value {
    json!({
        "version": "0", "id": "e-1", "detail-type": "MESSAGE_RECEIVED", "source": "starling.ingress",
        "time": "2024-05-01T12:00:00Z", "resources": ["tweet:1"],
        "detail": {"Twitter": {"TweetId": "1"}, "Text": "hello", "ImageUrls": images}
    })
}

/// Answers like the real Lambdas; `text_errors` are raised by analyse-text first.
fn lambdas(text_errors: Vec<&'static str>) -> TestHandler {
    let text_calls = AtomicUsize::new(0);
    TestHandler::new(
        move |resource, input, ctx| match ctx.function_name.as_deref() {
            Some("analyse-text") => {
                let n = text_calls.fetch_add(1, Ordering::SeqCst);
                match text_errors.get(n) {
                    Some(error) => Err(TaskFailure::new(*error, format!("text failure {n}"))),
                    None => Ok(json!({"Sentiment": "POSITIVE", "Language": "en"})),
                }
            }
            Some("download-media") => Ok(
                json!({"Images": input["ImageUrls"].as_array().unwrap().iter().map(|url| {
            if url.as_str().unwrap().contains("broken") {
                json!({"Url": url, "Error": "404"})
            } else {
                json!({"Url": url, "Key": format!("{}/{}", input["Bucket"].as_str().unwrap(), url.as_str().unwrap())})
            }
        }).collect::<Vec<_>>()}),
            ),
            Some("analyse-image") => {
                if input["Url"].as_str().unwrap().contains("crash") {
                    Err(TaskFailure::new("Starling.BadImage", "cannot decode"))
                } else {
                    Ok(json!({"Url": input["Url"], "Key": input["Key"], "Faces": 1}))
                }
            }
            _ => {
                assert_eq!(resource, "arn:aws:states:::events:putEvents");
                Ok(json!({"Entries": [{"EventId": "x"}], "FailedEntryCount": 0}))
            }
        },
    )
}

fn published(handler: &TestHandler) -> Vec<Value> {
    handler
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.0 == "arn:aws:states:::events:putEvents")
        .map(|c| c.1["Entries"][0].clone())
        .collect()
}

#[tokio::test]
async fn analyse_message_publishes_message_analysed() {
    let handler = lambdas(vec![]);
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(
        &analyse_message(),
        event(&["a.png", "broken.png", "crash.png"]),
        &handler,
        &options(&sleeper),
    )
    .await;
    output(&result);
    let events = published(&handler);
    assert_eq!(events.len(), 1);
    let entry = &events[0];
    assert_eq!(entry["DetailType"], json!("MESSAGE_ANALYSED"));
    assert_eq!(entry["EventBusName"], json!("Plumbing"));
    assert_eq!(entry["Resources"], json!(["tweet:1"]));
    let analysis = &entry["Detail"]["Analysis"];
    assert_eq!(entry["Detail"]["Text"], json!("hello"));
    assert_eq!(analysis["Sentiment"], json!("POSITIVE"));
    let images = analysis["Images"].as_array().unwrap();
    assert_eq!(
        images[0],
        json!({"Url": "a.png", "Key": "/data/media/a.png", "Faces": 1})
    );
    assert_eq!(images[1], json!({"Url": "broken.png", "Error": "404"}));
    assert_eq!(
        images[2]["Error"],
        json!("analyse-image: Starling.BadImage: cannot decode")
    );
}

#[tokio::test]
async fn analyse_message_without_images_skips_download() {
    let handler = lambdas(vec![]);
    let result = common::run_with(&analyse_message(), event(&[]), &handler).await;
    output(&result);
    assert!(
        handler
            .calls
            .lock()
            .unwrap()
            .iter()
            .all(|c| c.2.function_name.as_deref() != Some("download-media"))
    );
    assert_eq!(
        published(&handler)[0]["Detail"]["Analysis"]["Images"],
        json!([])
    );
}

#[tokio::test]
async fn analyse_message_retries_transient_errors_with_capped_full_jitter() {
    let handler = lambdas(vec![
        "Starling.Throttled",
        "Lambda.ServiceException",
        "Starling.Unavailable",
    ]);
    let sleeper = Arc::new(VirtualSleeper::new());
    let result = execute(&analyse_message(), event(&[]), &handler, &options(&sleeper)).await;
    output(&result);
    let delays = sleeper.delays();
    assert_eq!(delays.len(), 3);
    for (delay, cap) in delays.iter().zip([1, 2, 4]) {
        assert!(*delay <= Duration::from_secs(cap), "{delay:?} > {cap}s");
    }
    assert_eq!(
        published(&handler)[0]["DetailType"],
        json!("MESSAGE_ANALYSED")
    );
}

#[tokio::test]
async fn analyse_message_publishes_failure_naming_the_stage() {
    let handler = lambdas(vec!["Starling.InvalidInput"]);
    let result = common::run_with(&analyse_message(), event(&["a.png"]), &handler).await;
    output(&result);
    let events = published(&handler);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["DetailType"], json!("MESSAGE_ANALYSIS_FAILED"));
    assert_eq!(
        events[0]["Detail"]["Error"],
        json!({"Stage": "analyse-text", "Cause": "text failure 0"})
    );
    assert_eq!(events[0]["Detail"]["Text"], json!("hello"));
}
