//! analyse-text's decisions: which language, which operations, what it says when it can't.
//! The analyzer here records calls and supports a fixed language table, like Comprehend's.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Mutex;

use async_trait::async_trait;
use starling_contracts::{Entity, KeyPhrase, MessageReceived, Sentiment, SentimentScore};
use starling_core::analysis::text::analyse_text;
use starling_core::ports::{AnalysisError, DetectedLanguage, TextAnalyzer, TextOp};

/// Comprehend's published support: sentiment in 12 languages, entities and key phrases in the same
/// dozen (abridged here to what the tests use).
struct TableAnalyzer {
    detect: &'static str,
    calls: Mutex<Vec<String>>,
}

impl TableAnalyzer {
    fn new(detect: &'static str) -> Self {
        Self {
            detect,
            calls: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl TextAnalyzer for TableAnalyzer {
    fn provider(&self) -> String {
        "table".into()
    }
    fn supports(&self, op: TextOp, language: &str) -> bool {
        match op {
            TextOp::Sentiment => ["en", "es", "ja", "de", "fr"].contains(&language),
            TextOp::Entities | TextOp::KeyPhrases => ["en", "es", "de"].contains(&language),
        }
    }
    async fn detect_language(&self, text: &str) -> Result<Vec<DetectedLanguage>, AnalysisError> {
        self.calls.lock().unwrap().push(format!("detect:{text}"));
        Ok(vec![DetectedLanguage {
            code: self.detect.into(),
            score: 0.9,
        }])
    }
    async fn sentiment(
        &self,
        text: &str,
        language: &str,
    ) -> Result<(Sentiment, SentimentScore), AnalysisError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("sentiment:{language}:{text}"));
        Ok((
            Sentiment::Neutral,
            SentimentScore {
                neutral: 1.0,
                ..Default::default()
            },
        ))
    }
    async fn entities(&self, _: &str, language: &str) -> Result<Vec<Entity>, AnalysisError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("entities:{language}"));
        Ok(vec![])
    }
    async fn key_phrases(&self, _: &str, language: &str) -> Result<Vec<KeyPhrase>, AnalysisError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("keyphrases:{language}"));
        Ok(vec![])
    }
}

fn message(text: &str, lang: Option<&str>) -> MessageReceived {
    MessageReceived {
        text: text.into(),
        lang: lang.map(Into::into),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_posts_language_is_used_when_supported_without_detection() {
    let a = TableAnalyzer::new("xx");
    let r = analyse_text(
        &a,
        &message("@bot hola, ¿qué tal? https://t.co/1", Some("es")),
    )
    .await
    .unwrap();
    assert_eq!(r.language.as_deref(), Some("es"));
    assert_eq!(r.text_sentiment, Some(Sentiment::Neutral));
    let calls = a.calls.lock().unwrap();
    assert!(!calls.iter().any(|c| c.starts_with("detect")), "{calls:?}");
    assert!(
        calls.contains(&"sentiment:es:hola, ¿qué tal?".to_string()),
        "{calls:?}"
    );
}

#[tokio::test]
async fn a_language_with_sentiment_only_gets_sentiment_and_says_what_is_missing() {
    let a = TableAnalyzer::new("xx");
    let r = analyse_text(&a, &message("今日はいい天気ですね", Some("ja")))
        .await
        .unwrap();
    assert_eq!(r.language.as_deref(), Some("ja"));
    assert!(r.text_sentiment.is_some());
    assert!(r.text_entities.is_empty());
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("entities not available in ja")),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("key phrases not available in ja")),
        "{:?}",
        r.notes
    );
}

#[tokio::test]
async fn an_unsupported_language_is_analysed_without_sentiment_and_never_as_english() {
    let a = TableAnalyzer::new("fi");
    let r = analyse_text(&a, &message("Hyvää huomenta kaikille", Some("fi")))
        .await
        .unwrap();
    assert_eq!(r.language.as_deref(), Some("fi"));
    assert_eq!(r.text_sentiment, None);
    assert_eq!(r.sentiment_score, None);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("sentiment not available in fi")),
        "{:?}",
        r.notes
    );
    assert!(!a.calls.lock().unwrap().iter().any(|c| c.contains(":en")));
}

#[tokio::test]
async fn an_undetermined_post_language_is_detected() {
    let a = TableAnalyzer::new("de");
    let r = analyse_text(&a, &message("Guten Morgen zusammen", Some("und")))
        .await
        .unwrap();
    assert_eq!(r.language.as_deref(), Some("de"));
    assert!(
        a.calls
            .lock()
            .unwrap()
            .iter()
            .any(|c| c.starts_with("detect"))
    );
    assert!(r.text_sentiment.is_some());
}

#[tokio::test]
async fn text_of_only_mentions_and_links_is_not_sent_to_the_provider() {
    let a = TableAnalyzer::new("en");
    let r = analyse_text(&a, &message("@bot https://t.co/abc", Some("en")))
        .await
        .unwrap();
    assert!(a.calls.lock().unwrap().is_empty());
    assert_eq!(r.text_sentiment, None);
    assert!(!r.notes.is_empty());
}
