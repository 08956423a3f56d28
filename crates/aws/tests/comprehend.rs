//! The Comprehend adapter over HTTP: against moto for DetectSentiment and DetectKeyPhrases, and
//! against a local JSON-1.1 endpoint answering as AWS documents DetectEntities and
//! DetectDominantLanguage (which moto does not implement).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use starling_aws::ComprehendTextAnalyzer;
use starling_contracts::{MessageReceived, Sentiment};
use starling_core::analysis::text::analyse_text;
use starling_core::ports::{AnalysisError, TextAnalyzer};
use starling_testkit::aws::sdk_config_without_retries;
use starling_testkit::aws_json::{AwsJsonEndpoint, Operation};

fn op(f: impl Fn(&Value) -> (u16, Value) + Send + Sync + 'static) -> Operation {
    Arc::new(f)
}

/// Responses as in the Comprehend API reference's examples.
async fn documented_endpoint(dominant: &'static str) -> AwsJsonEndpoint {
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert(
        "DetectDominantLanguage".into(),
        op(move |_| (200, json!({"Languages": [{"LanguageCode": "en", "Score": 0.02}, {"LanguageCode": dominant, "Score": 0.97}]}))),
    );
    ops.insert(
        "DetectEntities".into(),
        op(|_| (200, json!({"Entities": [{"BeginOffset": 11, "EndOffset": 18, "Score": 0.9972, "Text": "Seattle", "Type": "LOCATION"}]}))),
    );
    ops.insert(
        "DetectSentiment".into(),
        op(|req| {
            let sentiment = if req["Text"].as_str().unwrap_or_default().contains("hate") { "NEGATIVE" } else { "POSITIVE" };
            (200, json!({"Sentiment": sentiment, "SentimentScore": {"Positive": 0.1, "Negative": 0.85, "Neutral": 0.04, "Mixed": 0.01}}))
        }),
    );
    ops.insert(
        "DetectKeyPhrases".into(),
        op(|_| (200, json!({"KeyPhrases": [{"BeginOffset": 0, "EndOffset": 9, "Score": 0.99, "Text": "the queue"}]}))),
    );
    AwsJsonEndpoint::start(ops).await.unwrap()
}

fn message(text: &str, lang: &str) -> MessageReceived {
    MessageReceived {
        text: text.into(),
        lang: Some(lang.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn sentiment_and_key_phrases_against_moto() {
    let analyzer = ComprehendTextAnalyzer::new(&sdk_config_without_retries(
        &starling_testkit::moto::endpoint(),
    ));
    let (sentiment, score) = analyzer.sentiment("I love this", "en").await.unwrap();
    let total = score.positive + score.negative + score.neutral + score.mixed;
    assert!((total - 1.0).abs() < 0.05, "scores sum to ~1: {score:?}");
    assert!(matches!(
        sentiment,
        Sentiment::Positive | Sentiment::Negative | Sentiment::Neutral | Sentiment::Mixed
    ));
    let phrases = analyzer
        .key_phrases("the quick brown fox jumps over the lazy dog", "en")
        .await
        .unwrap();
    assert!(!phrases.is_empty());
    assert!(phrases.iter().all(|p| p.end_offset >= p.begin_offset));
}

#[tokio::test]
async fn moto_refuses_an_unsupported_language_as_invalid_input() {
    let analyzer = ComprehendTextAnalyzer::new(&sdk_config_without_retries(
        &starling_testkit::moto::endpoint(),
    ));
    let err = analyzer
        .key_phrases("Hyvää huomenta", "xx")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AnalysisError::InvalidInput(_) | AnalysisError::Unavailable(_)
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_spanish_post_is_analysed_in_spanish_without_detection() {
    let endpoint = documented_endpoint("es").await;
    let analyzer = ComprehendTextAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let r = analyse_text(
        &analyzer,
        &message("@bot odio esperar en Seattle https://t.co/x", "es"),
    )
    .await
    .unwrap();
    assert_eq!(r.language.as_deref(), Some("es"));
    assert_eq!(r.provider, "amazon-comprehend");
    assert_eq!(r.text_entities[0].kind, "LOCATION");
    assert_eq!(r.key_phrases[0].text, "the queue");
    let reqs = endpoint.requests();
    assert!(!reqs.iter().any(|(op, _)| op == "DetectDominantLanguage"));
    let sent = reqs.iter().find(|(op, _)| op == "DetectSentiment").unwrap();
    assert_eq!(
        sent.1,
        json!({"Text": "odio esperar en Seattle", "LanguageCode": "es"})
    );
}

#[tokio::test]
async fn a_japanese_post_gets_every_operation_comprehend_offers_in_japanese() {
    let endpoint = documented_endpoint("ja").await;
    let analyzer = ComprehendTextAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let r = analyse_text(&analyzer, &message("このキューは嫌いです", "ja"))
        .await
        .unwrap();
    assert_eq!(r.language.as_deref(), Some("ja"));
    assert!(r.text_sentiment.is_some());
    let ops: Vec<String> = endpoint.requests().into_iter().map(|(op, _)| op).collect();
    assert_eq!(ops.len(), 3, "{ops:?}");
    assert!(
        endpoint
            .requests()
            .iter()
            .all(|(_, req)| req["LanguageCode"] == "ja")
    );
}

#[tokio::test]
async fn an_unsupported_language_is_detected_and_analysed_without_sentiment() {
    let endpoint = documented_endpoint("fi").await;
    let analyzer = ComprehendTextAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let r = analyse_text(&analyzer, &message("Hyvää huomenta kaikille", "und"))
        .await
        .unwrap();
    assert_eq!(
        r.language.as_deref(),
        Some("fi"),
        "the most likely language, not the first listed"
    );
    assert_eq!(r.text_sentiment, None);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("sentiment not available in fi")),
        "{:?}",
        r.notes
    );
    let ops: Vec<String> = endpoint.requests().into_iter().map(|(op, _)| op).collect();
    assert_eq!(ops, ["DetectDominantLanguage"]);
}

#[tokio::test]
async fn throttling_is_reported_as_throttled_for_the_state_machine_to_retry() {
    let mut ops: HashMap<String, Operation> = HashMap::new();
    ops.insert(
        "DetectSentiment".into(),
        op(|_| {
            (
                400,
                json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
            )
        }),
    );
    let endpoint = AwsJsonEndpoint::start(ops).await.unwrap();
    let analyzer = ComprehendTextAnalyzer::new(&sdk_config_without_retries(&endpoint.url));
    let err = analyzer.sentiment("hello", "en").await.unwrap_err();
    assert!(
        matches!(err, AnalysisError::Throttled(ref m) if m.contains("Rate exceeded")),
        "{err}"
    );
    let task: starling_aws::TaskError = err.into();
    assert_eq!(task.error_type(), "Starling.Throttled");
}
