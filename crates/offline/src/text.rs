//! [`OfflineTextAnalyzer`]: the [`TextAnalyzer`] port without Comprehend.
//!
//! | operation | algorithm | languages |
//! | --- | --- | --- |
//! | detect_language | whatlang trigram + script model ([`language`]) | 69 languages, ISO 639-1 codes |
//! | sentiment | VADER ([`vader`]) mapped to Comprehend's classes ([`sentiment`]) | `en` only |
//! | key_phrases | RAKE with an English stopword list ([`rake`]) | `en` only |
//! | entities | rules for DATE, QUANTITY, OTHER ([`entities`]) | `en` (dates and units use English words) |
//!
//! An operation asked for in a language it does not support is refused with
//! [`AnalysisError::InvalidInput`], as Comprehend refuses with `UnsupportedLanguageException`;
//! callers ask [`TextAnalyzer::supports`] first. Offsets are character offsets ([`chars`]).

pub mod chars;
pub mod entities;
pub mod language;
pub mod rake;
pub mod sentiment;
pub mod stopwords;
pub mod vader;

use async_trait::async_trait;
use starling_contracts::{Entity, KeyPhrase, Sentiment, SentimentScore};
use starling_core::ports::{AnalysisError, DetectedLanguage, TextAnalyzer, TextOp};

/// The provider named in text results: the models that produced them.
pub const TEXT_PROVIDER: &str = "starling-offline/vader+whatlang+rake";

/// The longest text accepted, in bytes. Comprehend takes 5,000 bytes for the per-document
/// operations; the offline models are fast enough to take a long article, but not a whole book.
pub const MAX_TEXT_BYTES: usize = 100_000;

/// Text analysis on this machine: VADER, whatlang, RAKE and entity rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineTextAnalyzer;

impl OfflineTextAnalyzer {
    /// The analyzer. The lexicon and patterns load on first use.
    pub fn new() -> Self {
        Self
    }

    /// Refuses text over [`MAX_TEXT_BYTES`] and operations the language lacks.
    fn check(&self, op: TextOp, text: &str, language: &str) -> Result<(), AnalysisError> {
        check_length(text)?;
        if !self.supports(op, language) {
            let what = match op {
                TextOp::Sentiment => "sentiment (VADER)",
                TextOp::Entities => "entities (English date and unit rules)",
                TextOp::KeyPhrases => "key phrases (RAKE, English stopwords)",
            };
            return Err(AnalysisError::InvalidInput(format!(
                "language {language:?} is not supported offline for {what}: English (en) only"
            )));
        }
        Ok(())
    }
}

fn check_length(text: &str) -> Result<(), AnalysisError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(AnalysisError::InvalidInput(format!(
            "text of {} bytes exceeds the offline limit of {MAX_TEXT_BYTES} bytes",
            text.len()
        )));
    }
    Ok(())
}

#[async_trait]
impl TextAnalyzer for OfflineTextAnalyzer {
    fn provider(&self) -> String {
        TEXT_PROVIDER.to_string()
    }

    fn supports(&self, _op: TextOp, language: &str) -> bool {
        // VADER's lexicon, the stopword list and the date/unit words are all English.
        language::primary_subtag(language) == "en"
    }

    async fn detect_language(&self, text: &str) -> Result<Vec<DetectedLanguage>, AnalysisError> {
        check_length(text)?;
        Ok(language::detect(text))
    }

    async fn sentiment(
        &self,
        text: &str,
        language: &str,
    ) -> Result<(Sentiment, SentimentScore), AnalysisError> {
        self.check(TextOp::Sentiment, text, language)?;
        Ok(sentiment::to_comprehend(vader::polarity_scores(text)))
    }

    async fn entities(&self, text: &str, language: &str) -> Result<Vec<Entity>, AnalysisError> {
        self.check(TextOp::Entities, text, language)?;
        Ok(entities::entities(text))
    }

    async fn key_phrases(
        &self,
        text: &str,
        language: &str,
    ) -> Result<Vec<KeyPhrase>, AnalysisError> {
        self.check(TextOp::KeyPhrases, text, language)?;
        Ok(rake::key_phrases(text))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn class(text: &str) -> (Sentiment, SentimentScore) {
        OfflineTextAnalyzer::new()
            .sentiment(text, "en")
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn english_praise_is_positive() {
        let (s, score) = class("I love this new phone, the camera is amazing! 😍").await;
        assert_eq!(s, Sentiment::Positive, "{score:?}");
        assert!(score.positive > 0.5);
    }

    #[tokio::test]
    async fn english_complaint_is_negative() {
        let (s, score) =
            class("Worst customer service ever. I hate waiting two hours for nothing.").await;
        assert_eq!(s, Sentiment::Negative, "{score:?}");
    }

    #[tokio::test]
    async fn english_statement_of_fact_is_neutral() {
        let (s, score) = class("The train to Leeds leaves from platform 3 at 5pm.").await;
        assert_eq!(s, Sentiment::Neutral, "{score:?}");
        assert!(score.neutral > 0.9);
    }

    #[tokio::test]
    async fn english_praise_and_complaint_together_is_mixed() {
        let (s, score) = class("I love the new design, but the battery life is terrible.").await;
        assert_eq!(s, Sentiment::Mixed, "{score:?}");
    }

    #[tokio::test]
    async fn sentiment_scores_sum_to_one() {
        for text in ["great", "awful", "a table", "good but bad", "", "🙂🙂🙂"] {
            let (_, s) = class(text).await;
            assert!(
                (s.positive + s.negative + s.neutral + s.mixed - 1.0).abs() < 1e-9,
                "{text}: {s:?}"
            );
        }
    }

    #[tokio::test]
    async fn japanese_and_spanish_are_identified() {
        let analyzer = OfflineTextAnalyzer::new();
        let ja = analyzer
            .detect_language("今日はとても良い天気ですね。散歩に行きましょう。")
            .await
            .unwrap();
        assert_eq!(ja[0].code, "ja");
        let es = analyzer
            .detect_language("Hoy hace un día precioso, vamos a dar un paseo por el parque.")
            .await
            .unwrap();
        assert_eq!(es[0].code, "es");
        assert!(es[0].score > 0.5 && es[0].score <= 1.0, "{es:?}");
        let en = analyzer
            .detect_language("What a lovely day, let's go for a walk in the park.")
            .await
            .unwrap();
        assert_eq!(en[0].code, "en");
    }

    #[tokio::test]
    async fn languages_without_a_model_are_unsupported_and_refused() {
        let analyzer = OfflineTextAnalyzer::new();
        assert!(analyzer.supports(TextOp::Sentiment, "en"));
        assert!(analyzer.supports(TextOp::Sentiment, "en-GB"));
        for lang in ["es", "ja", "fr", "", "und"] {
            for op in [TextOp::Sentiment, TextOp::Entities, TextOp::KeyPhrases] {
                assert!(!analyzer.supports(op, lang), "{op:?} {lang}");
            }
        }
        let err = analyzer
            .sentiment("Hoy es un gran día", "es")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AnalysisError::InvalidInput(m) if m.contains("\"es\"")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn offsets_count_characters_not_bytes() {
        let analyzer = OfflineTextAnalyzer::new();
        let text = "😀 日本, great coffee machine, 20% off tomorrow";
        let chars: Vec<char> = text.chars().collect();
        let slice = |b: i64, e: i64| chars[b as usize..e as usize].iter().collect::<String>();
        let phrases = analyzer.key_phrases(text, "en").await.unwrap();
        let phrase = phrases
            .iter()
            .find(|p| p.text == "great coffee machine")
            .unwrap();
        assert_eq!(phrase.begin_offset, 6);
        assert_eq!(slice(phrase.begin_offset, phrase.end_offset), phrase.text);
        let entities = analyzer.entities(text, "en").await.unwrap();
        assert!(!entities.is_empty());
        for e in &entities {
            assert_eq!(slice(e.begin_offset, e.end_offset), e.text);
        }
    }

    #[tokio::test]
    async fn oversized_text_is_refused_by_name() {
        let big = "a ".repeat(MAX_TEXT_BYTES);
        let err = OfflineTextAnalyzer::new()
            .detect_language(&big)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("exceeds the offline limit"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn odd_text_never_panics() {
        let analyzer = OfflineTextAnalyzer::new();
        let odd = [
            "",
            " ",
            "\u{0}",
            "no",
            "but",
            "least",
            "kind of",
            "NOT BAD!!!!!!",
            "????",
            "@",
            "#",
            "http://",
            "$",
            "%",
            "1/1/1",
            "𝕳𝖊𝖑𝖑𝖔 🏳️‍🌈 e\u{301}",
            "\u{202e}reversed",
            "日本語のテキスト",
            "a-b-c-d-e-f-g",
            "'''",
            "it's n't",
            "12:99 25:00 99%",
            "$1,000,000,000,000,000,000,000,000",
        ];
        for text in odd {
            let _ = analyzer.detect_language(text).await.unwrap();
            let _ = analyzer.sentiment(text, "en").await.unwrap();
            let entities = analyzer.entities(text, "en").await.unwrap();
            let phrases = analyzer.key_phrases(text, "en").await.unwrap();
            let chars = text.chars().count() as i64;
            let valid = |b: i64, e: i64| 0 <= b && b < e && e <= chars;
            assert!(
                entities.iter().all(|e| valid(e.begin_offset, e.end_offset)),
                "{text}: {entities:?}"
            );
            assert!(
                phrases.iter().all(|p| valid(p.begin_offset, p.end_offset)),
                "{text}: {phrases:?}"
            );
        }
    }

    #[test]
    fn provider_names_the_offline_models() {
        assert!(
            OfflineTextAnalyzer::new()
                .provider()
                .starts_with("starling-offline/vader")
        );
    }
}
