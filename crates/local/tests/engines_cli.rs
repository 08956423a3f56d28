//! `starling events test-pattern` and `starling states run` through the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_starling");

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
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
    let pattern = write(
        dir.path(),
        "p.json",
        &json!({"detail": {"Analysis": {"TextSentiment": ["NEGATIVE"]}}}),
    );
    let neg = write(
        dir.path(),
        "neg.json",
        &envelope(
            "MESSAGE_ANALYSED",
            json!({"Analysis": {"TextSentiment": "NEGATIVE"}}),
        ),
    );
    let pos = write(
        dir.path(),
        "pos.json",
        &envelope(
            "MESSAGE_ANALYSED",
            json!({"Analysis": {"TextSentiment": "POSITIVE"}}),
        ),
    );
    let out = run(
        &[
            "events",
            "test-pattern",
            "--pattern",
            &pattern,
            "--event",
            &neg,
        ],
        dir.path(),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    let out = run(
        &[
            "events",
            "test-pattern",
            "--pattern",
            &pattern,
            "--event",
            &pos,
        ],
        dir.path(),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "false");
    let invalid = write(
        dir.path(),
        "bad.json",
        &json!({"detail": {"n": [{"numeric": [">", "five"]}]}}),
    );
    let out = run(
        &[
            "events",
            "test-pattern",
            "--pattern",
            &invalid,
            "--event",
            &neg,
        ],
        dir.path(),
    );
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["output"], json!({"greeting": "hello ada"}));

    let fail = write(
        dir.path(),
        "fail.asl.json",
        &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "because"}}}),
    );
    let out = run(&["states", "run", &fail], dir.path());
    assert!(!out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["status"].as_str(),
            v["error"].as_str(),
            v["cause"].as_str()
        ),
        (Some("FAILED"), Some("Boom"), Some("because"))
    );
}

#[test]
fn analyse_message_with_a_missing_stage_publishes_message_analysis_failed_on_the_bus() {
    let dir = tempfile::tempdir().unwrap();
    let definition = format!(
        "{}/../../statemachines/analyse-message.asl.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let received = json!({"version": "0", "id": "r-1", "detail-type": "MESSAGE_RECEIVED", "source": "starling.twitter",
        "account": "000000000000", "time": "2026-11-23T10:00:00Z", "region": "local", "resources": ["42"],
        "detail": {"Text": "hello", "Author": "ada", "ImageUrls": [], "Media": [], "Twitter": {"TweetId": "42", "UserId": "7"}}});
    let input = write(dir.path(), "received.json", &received);
    // Only the functions this build registers exist; a stage without one fails and is reported.
    let out = run(
        &[
            "states",
            "run",
            &definition,
            "--input",
            &input,
            "--bus",
            "--set",
            "AnalyseTextFunctionArn=no-such-function",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = run(&["events", "list"], dir.path());
    let table = String::from_utf8_lossy(&listed.stdout);
    assert!(table.contains("MESSAGE_ANALYSIS_FAILED"), "{table}");
    assert!(!table.contains("MESSAGE_ANALYSED "), "{table}");
}

fn logged(dir: &Path, detail_type: &str) -> Vec<Value> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let table = starling_bus::RoutingTable::embedded().unwrap();
        let bus =
            starling_bus::SqliteBus::open(dir, &table, starling_bus::BusConfig::default()).unwrap();
        bus.events(Some(detail_type), 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.envelope.detail)
            .collect()
    })
}

#[test]
fn analyse_message_runs_offline_end_to_end_and_reports_a_refused_image_in_its_slot() {
    let dir = tempfile::tempdir().unwrap();
    let definition = format!(
        "{}/../../statemachines/analyse-message.asl.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let received = json!({"version": "0", "id": "r-2", "detail-type": "MESSAGE_RECEIVED", "source": "starling.twitter",
        "account": "000000000000", "time": "2026-11-23T10:00:00Z", "region": "local", "resources": ["43"],
        "detail": {"Text": "@starling_bot I hate this awful, terrible queue", "Author": "ada", "Lang": "en",
                   "ImageUrls": ["https://example.com/cat.jpg"], "Media": [{"Url": "https://example.com/cat.jpg", "Type": "photo"}],
                   "Twitter": {"TweetId": "43", "UserId": "7"}}});
    let input = write(dir.path(), "received.json", &received);
    let out = run(
        &["states", "run", &definition, "--input", &input, "--bus"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let analysed = logged(dir.path(), "MESSAGE_ANALYSED");
    assert_eq!(analysed.len(), 1, "exactly one MESSAGE_ANALYSED");
    assert!(logged(dir.path(), "MESSAGE_ANALYSIS_FAILED").is_empty());
    let d = &analysed[0];
    assert_eq!(
        d["Text"], received["detail"]["Text"],
        "the received fields are kept"
    );
    let a = &d["Analysis"];
    assert_eq!(a["Language"], "en");
    assert_eq!(a["TextSentiment"], "NEGATIVE");
    assert!(
        a["Provider"]
            .as_str()
            .unwrap()
            .starts_with("starling-offline"),
        "{}",
        a["Provider"]
    );
    let image = &a["Images"][0];
    assert!(image.get("Key").is_none());
    assert!(
        image["Error"]
            .as_str()
            .unwrap()
            .contains("not allow-listed"),
        "{image}"
    );
}
