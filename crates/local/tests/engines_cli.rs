//! `starling events test-pattern` and `starling states run` through the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_starling");

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).arg("--data-dir").arg(dir).env("RUST_LOG", "warn").output().unwrap()
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.display().to_string()
}

fn envelope(detail_type: &str, detail: Value) -> Value {
    json!({"version": "0", "id": "e-1", "detail-type": detail_type, "source": "starling.analysis", "account": "000000000000",
           "time": "2026-11-23T10:00:00Z", "region": "local", "resources": ["1"], "detail": detail})
}

#[test]
fn test_pattern_answers_true_false_and_refuses_invalid_patterns_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let pattern = write(dir.path(), "p.json", &json!({"detail": {"Analysis": {"TextSentiment": ["NEGATIVE"]}}}));
    let neg = write(dir.path(), "neg.json", &envelope("MESSAGE_ANALYSED", json!({"Analysis": {"TextSentiment": "NEGATIVE"}})));
    let pos = write(dir.path(), "pos.json", &envelope("MESSAGE_ANALYSED", json!({"Analysis": {"TextSentiment": "POSITIVE"}})));
    let out = run(&["events", "test-pattern", "--pattern", &pattern, "--event", &neg], dir.path());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    let out = run(&["events", "test-pattern", "--pattern", &pattern, "--event", &pos], dir.path());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "false");
    let invalid = write(dir.path(), "bad.json", &json!({"detail": {"n": [{"numeric": [">", "five"]}]}}));
    let out = run(&["events", "test-pattern", "--pattern", &invalid, "--event", &neg], dir.path());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Event pattern is not valid"), "{err}");
}

#[test]
fn states_run_prints_the_output_or_the_error_and_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let ok = write(
        dir.path(),
        "ok.asl.json",
        &json!({"StartAt": "Greet", "States": {
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.name)"}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.greeting", "StringMatches": "hello *", "Next": "Done"}], "Default": "Nope"},
            "Done": {"Type": "Succeed"}, "Nope": {"Type": "Fail", "Error": "Nope"}}}),
    );
    let input = write(dir.path(), "in.json", &json!({"name": "ada"}));
    let out = run(&["states", "run", &ok, "--input", &input], dir.path());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["output"], json!({"greeting": "hello ada"}));

    let fail = write(dir.path(), "fail.asl.json", &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "because"}}}));
    let out = run(&["states", "run", &fail], dir.path());
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["status"].as_str(), v["error"].as_str(), v["cause"].as_str()), (Some("FAILED"), Some("Boom"), Some("because")));
}

#[test]
fn analyse_message_with_a_missing_stage_publishes_message_analysis_failed_on_the_bus() {
    let dir = tempfile::tempdir().unwrap();
    let definition = format!("{}/../../statemachines/analyse-message.asl.json", env!("CARGO_MANIFEST_DIR"));
    let received = json!({"version": "0", "id": "r-1", "detail-type": "MESSAGE_RECEIVED", "source": "starling.twitter",
        "account": "000000000000", "time": "2026-11-23T10:00:00Z", "region": "local", "resources": ["42"],
        "detail": {"Text": "hello", "Author": "ada", "ImageUrls": [], "Media": [], "Twitter": {"TweetId": "42", "UserId": "7"}}});
    let input = write(dir.path(), "received.json", &received);
    // Only the functions this build registers exist; a stage without one fails and is reported.
    let out = run(&["states", "run", &definition, "--input", &input, "--bus", "--set", "AnalyseTextFunctionArn=no-such-function"], dir.path());
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let listed = run(&["events", "list"], dir.path());
    let table = String::from_utf8_lossy(&listed.stdout);
    assert!(table.contains("MESSAGE_ANALYSIS_FAILED"), "{table}");
    assert!(!table.contains("MESSAGE_ANALYSED "), "{table}");
}
