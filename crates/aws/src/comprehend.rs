//! [`TextAnalyzer`] on Amazon Comprehend's real-time APIs.

use crate::sdk_error::describe;
use async_trait::async_trait;
use aws_sdk_comprehend::Client;
use aws_sdk_comprehend::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_comprehend::types::{LanguageCode, SentimentType};
use starling_contracts::{Entity, KeyPhrase, Sentiment, SentimentScore};
use starling_core::ports::{AnalysisError, DetectedLanguage, TextAnalyzer, TextOp};

/// Languages Comprehend's DetectSentiment, DetectEntities and DetectKeyPhrases accept
/// (Comprehend developer guide, "Languages supported in Amazon Comprehend").
pub const COMPREHEND_LANGUAGES: [&str; 12] = [
    "ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "pt", "zh", "zh-TW",
];

/// Comprehend as the text analyzer.
#[derive(Debug, Clone)]
pub struct ComprehendTextAnalyzer {
    client: Client,
}

impl ComprehendTextAnalyzer {
    /// A Comprehend client from the SDK configuration.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

fn classify<E: ProvideErrorMetadata, R>(op: &str, err: SdkError<E, R>) -> AnalysisError {
    match describe("Comprehend", op, &err) {
        (Some(code), msg)
            if code == "ThrottlingException" || code == "TooManyRequestsException" =>
        {
            AnalysisError::Throttled(msg)
        }
        (Some(code), msg)
            if [
                "TextSizeLimitExceededException",
                "UnsupportedLanguageException",
                "InvalidRequestException",
            ]
            .contains(&code.as_str()) =>
        {
            AnalysisError::InvalidInput(msg)
        }
        (_, msg) => AnalysisError::Unavailable(msg),
    }
}

fn offset(v: Option<i32>) -> i64 {
    i64::from(v.unwrap_or_default())
}

#[async_trait]
impl TextAnalyzer for ComprehendTextAnalyzer {
    fn provider(&self) -> String {
        "amazon-comprehend".into()
    }

    fn supports(&self, _op: TextOp, language: &str) -> bool {
        COMPREHEND_LANGUAGES.contains(&language)
    }

    async fn detect_language(&self, text: &str) -> Result<Vec<DetectedLanguage>, AnalysisError> {
        let out = self
            .client
            .detect_dominant_language()
            .text(text)
            .send()
            .await
            .map_err(|e| classify("DetectDominantLanguage", e))?;
        let mut langs: Vec<DetectedLanguage> = out
            .languages()
            .iter()
            .filter_map(|l| {
                Some(DetectedLanguage {
                    code: l.language_code()?.to_string(),
                    score: f64::from(l.score().unwrap_or_default()),
                })
            })
            .collect();
        langs.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(langs)
    }

    async fn sentiment(
        &self,
        text: &str,
        language: &str,
    ) -> Result<(Sentiment, SentimentScore), AnalysisError> {
        let out = self
            .client
            .detect_sentiment()
            .text(text)
            .language_code(LanguageCode::from(language))
            .send()
            .await
            .map_err(|e| classify("DetectSentiment", e))?;
        let sentiment = match out.sentiment() {
            Some(SentimentType::Positive) => Sentiment::Positive,
            Some(SentimentType::Negative) => Sentiment::Negative,
            Some(SentimentType::Mixed) => Sentiment::Mixed,
            _ => Sentiment::Neutral,
        };
        let s = out.sentiment_score();
        let score = SentimentScore {
            positive: f64::from(s.and_then(|s| s.positive()).unwrap_or_default()),
            negative: f64::from(s.and_then(|s| s.negative()).unwrap_or_default()),
            neutral: f64::from(s.and_then(|s| s.neutral()).unwrap_or_default()),
            mixed: f64::from(s.and_then(|s| s.mixed()).unwrap_or_default()),
        };
        Ok((sentiment, score))
    }

    async fn entities(&self, text: &str, language: &str) -> Result<Vec<Entity>, AnalysisError> {
        let out = self
            .client
            .detect_entities()
            .text(text)
            .language_code(LanguageCode::from(language))
            .send()
            .await
            .map_err(|e| classify("DetectEntities", e))?;
        Ok(out
            .entities()
            .iter()
            .map(|e| Entity {
                score: f64::from(e.score().unwrap_or_default()),
                kind: e
                    .r#type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_else(|| "OTHER".into()),
                text: e.text().unwrap_or_default().to_string(),
                begin_offset: offset(e.begin_offset()),
                end_offset: offset(e.end_offset()),
            })
            .collect())
    }

    async fn key_phrases(
        &self,
        text: &str,
        language: &str,
    ) -> Result<Vec<KeyPhrase>, AnalysisError> {
        let out = self
            .client
            .detect_key_phrases()
            .text(text)
            .language_code(LanguageCode::from(language))
            .send()
            .await
            .map_err(|e| classify("DetectKeyPhrases", e))?;
        Ok(out
            .key_phrases()
            .iter()
            .map(|k| KeyPhrase {
                score: f64::from(k.score().unwrap_or_default()),
                text: k.text().unwrap_or_default().to_string(),
                begin_offset: offset(k.begin_offset()),
                end_offset: offset(k.end_offset()),
            })
            .collect())
    }
}
