//! The moderation adapter over HTTP, against a local endpoint speaking AWS JSON 1.1 (moto
//! implements neither `DetectModerationLabels` nor `DetectToxicContent`): the requests are checked
//! as the API references define them (target header, `Image.Bytes`, `MinConfidence`,
//! `LanguageCode`, `TextSegments`), the answers are the references' response shapes, and the
//! services' errors land where the gate needs them.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use starling_aws::AwsModerator;
use starling_aws::moderation::{COMPREHEND_PROVIDER, MAX_SEGMENT_BYTES, REKOGNITION_PROVIDER};
use starling_core::moderation::{ModerationError, ModerationVerdict, Moderator};
use starling_testkit::aws::sdk_config_without_retries;
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};

fn op(f: impl Fn(&Value) -> (u16, Value) + Send + Sync + 'static) -> Operation {
    Arc::new(f)
}

fn error(status: u16, kind: &str) -> (u16, Value) {
    (
        status,
        json!({"__type": kind, "Message": format!("{kind} from the test endpoint")}),
    )
}

/// `DetectModerationLabels` as the API reference answers it: a level-1 label and its level-2
/// child for an image whose bytes say `NSFW`, nothing for others; errors on request.
fn rekognition(req: &Value) -> (u16, Value) {
    let bytes = req["Image"]["Bytes"].as_str().unwrap_or_default();
    match bytes {
        // base64 of "NSFW"
        "TlNGVw==" => (
            200,
            json!({
                "ModerationLabels": [
                    {"Confidence": 97.52, "Name": "Explicit Nudity", "ParentName": "", "TaxonomyLevel": 1},
                    {"Confidence": 96.1, "Name": "Nudity", "ParentName": "Explicit Nudity", "TaxonomyLevel": 2}
                ],
                "ModerationModelVersion": "7.0",
                "ContentTypes": []
            }),
        ),
        // base64 of "SLOW", "DOWN", "GIF!"
        "U0xPVw==" => error(400, "ThrottlingException"),
        "RE9XTg==" => error(500, "InternalServerError"),
        "R0lGIQ==" => error(400, "InvalidImageFormatException"),
        _ => (
            200,
            json!({"ModerationLabels": [], "ModerationModelVersion": "7.0"}),
        ),
    }
}

/// `DetectToxicContent` as the API reference answers it: one `ToxicLabels` per segment, a
/// segment saying "idiot" toxic; errors on request.
fn comprehend(req: &Value) -> (u16, Value) {
    let texts: Vec<&str> = req["TextSegments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Text"].as_str().unwrap())
        .collect();
    match texts.first().copied() {
        Some("slow down") => return error(400, "TooManyRequestsException"),
        Some("break") => return error(500, "InternalServerException"),
        Some("too big") => return error(400, "TextSizeLimitExceededException"),
        _ => {}
    }
    let results: Vec<Value> = texts
        .iter()
        .map(|t| {
            if t.contains("idiot") {
                json!({"Labels": [{"Name": "INSULT", "Score": 0.91}, {"Name": "PROFANITY", "Score": 0.32}], "Toxicity": 0.83})
            } else {
                json!({"Labels": [{"Name": "PROFANITY", "Score": 0.02}, {"Name": "HATE_SPEECH", "Score": 0.01}], "Toxicity": 0.03})
            }
        })
        .collect();
    (200, json!({"ResultList": results}))
}

async fn endpoint() -> (AwsJsonEndpoint, AwsModerator) {
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert("DetectModerationLabels".into(), op(rekognition));
    ops.insert("DetectToxicContent".into(), op(comprehend));
    let endpoint = AwsJsonEndpoint::start(ops).await.unwrap();
    let moderator = AwsModerator::new(&sdk_config_without_retries(&endpoint.url));
    (endpoint, moderator)
}

#[tokio::test]
async fn an_image_is_sent_inline_with_the_minimum_and_flagged_by_the_labels_returned() {
    let (endpoint, moderator) = endpoint().await;
    let verdict = moderator.image(b"NSFW", 75.0).await.unwrap();
    let ModerationVerdict::Flagged { provider, labels } = verdict else {
        panic!("flagged: {verdict:?}")
    };
    assert_eq!(provider, REKOGNITION_PROVIDER);
    let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Explicit Nudity", "Nudity"]);
    assert!((labels[0].confidence - 97.52).abs() < 0.01);

    assert_eq!(
        endpoint.targets(),
        ["RekognitionService.DetectModerationLabels"]
    );
    assert_eq!(
        endpoint.requests()[0].1,
        json!({"Image": {"Bytes": "TlNGVw=="}, "MinConfidence": 75.0})
    );
    // A label under the minimum (a provider ignoring MinConfidence) does not flag.
    assert!(matches!(
        moderator.image(b"NSFW", 98.0).await.unwrap(),
        ModerationVerdict::Clean { .. }
    ));
    assert!(matches!(
        moderator.image(b"a cat", 60.0).await.unwrap(),
        ModerationVerdict::Clean { provider } if provider == REKOGNITION_PROVIDER
    ));
}

#[tokio::test]
async fn rekognition_errors_are_retryable_or_an_image_it_cannot_judge() {
    let (endpoint, moderator) = endpoint().await;
    assert!(matches!(
        moderator.image(b"SLOW", 60.0).await.unwrap_err(),
        ModerationError::Throttled(m) if m.contains("ThrottlingException")
    ));
    assert!(matches!(
        moderator.image(b"DOWN", 60.0).await.unwrap_err(),
        ModerationError::Unavailable(m) if m.contains("DetectModerationLabels")
    ));
    let ModerationVerdict::Unavailable { provider, reason } =
        moderator.image(b"GIF!", 60.0).await.unwrap()
    else {
        panic!("unavailable")
    };
    assert_eq!(provider, REKOGNITION_PROVIDER);
    assert!(reason.contains("InvalidImageFormatException"), "{reason}");
    // Over Rekognition's 5 MB for inline bytes: unavailable, and no call is made.
    let calls = endpoint.requests().len();
    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    let verdict = moderator.image(&big, 60.0).await.unwrap();
    assert!(
        matches!(&verdict, ModerationVerdict::Unavailable { reason, .. } if reason.contains("5242880")),
        "{verdict:?}"
    );
    assert_eq!(endpoint.requests().len(), calls);
}

#[tokio::test]
async fn english_text_goes_in_one_call_cut_to_1_kb_and_a_toxic_segment_flags_it() {
    let (endpoint, moderator) = endpoint().await;
    let long = "é".repeat(700);
    let verdict = moderator
        .text(
            &["you idiot".to_string(), long.clone(), "  ".to_string()],
            "en-GB",
            0.5,
        )
        .await
        .unwrap();
    let ModerationVerdict::Flagged { provider, labels } = verdict else {
        panic!("flagged: {verdict:?}")
    };
    assert_eq!(provider, COMPREHEND_PROVIDER);
    let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["INSULT", "TOXICITY"], "PROFANITY 0.32 is under 0.5");

    assert_eq!(
        endpoint.targets(),
        ["Comprehend_20171127.DetectToxicContent"]
    );
    let sent = &endpoint.requests()[0].1;
    assert_eq!(sent["LanguageCode"], "en");
    let segments = sent["TextSegments"].as_array().unwrap();
    assert_eq!(segments.len(), 2, "the blank segment is left out");
    assert_eq!(segments[0], json!({"Text": "you idiot"}));
    let cut = segments[1]["Text"].as_str().unwrap();
    assert!(cut.len() <= MAX_SEGMENT_BYTES && long.starts_with(cut));
    assert_eq!(cut.len(), 1000);

    assert!(matches!(
        moderator
            .text(&["you idiot".to_string()], "en", 0.95)
            .await
            .unwrap(),
        ModerationVerdict::Clean { .. }
    ));
}

#[tokio::test]
async fn more_than_ten_segments_take_more_calls_and_other_languages_none() {
    let (endpoint, moderator) = endpoint().await;
    let many: Vec<String> = (0..12).map(|i| format!("segment {i}")).collect();
    assert!(matches!(
        moderator.text(&many, "en", 0.5).await.unwrap(),
        ModerationVerdict::Clean { .. }
    ));
    let sizes: Vec<usize> = endpoint
        .requests()
        .iter()
        .map(|(_, r)| r["TextSegments"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [10, 2]);

    let verdict = moderator
        .text(&["tu es idiot".to_string()], "fr", 0.5)
        .await
        .unwrap();
    assert!(
        matches!(&verdict, ModerationVerdict::Unavailable { provider, reason } if provider == COMPREHEND_PROVIDER && reason.contains("English only")),
        "{verdict:?}"
    );
    assert_eq!(endpoint.requests().len(), 2, "no call for French");
}

#[tokio::test]
async fn comprehend_errors_are_retryable_or_text_it_cannot_judge() {
    let (_endpoint, moderator) = endpoint().await;
    let text = |t: &str| vec![t.to_string()];
    assert!(matches!(
        moderator
            .text(&text("slow down"), "en", 0.5)
            .await
            .unwrap_err(),
        ModerationError::Throttled(_)
    ));
    assert!(matches!(
        moderator.text(&text("break"), "en", 0.5).await.unwrap_err(),
        ModerationError::Unavailable(m) if m.contains("InternalServerException")
    ));
    assert!(matches!(
        moderator.text(&text("too big"), "en", 0.5).await.unwrap(),
        ModerationVerdict::Unavailable { .. }
    ));
}
