//! [`Moderator`] on AWS: Rekognition `DetectModerationLabels` for images (the bytes inline, with
//! `MinConfidence`) and Comprehend `DetectToxicContent` for English text (at most 10 segments of
//! at most 1 KB each per call). The thresholds are applied by `starling_core::moderation`'s rules;
//! what the services cannot judge (a format or size Rekognition refuses, a language other than
//! English) is a [`ModerationVerdict::Unavailable`] and the reply policy decides; throttling and
//! service failures are errors, retried like every other adapter's.

use async_trait::async_trait;
use aws_sdk_comprehend::types::{LanguageCode, TextSegment};
use aws_sdk_rekognition::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::Image;
use starling_core::moderation::{
    ModerationError, ModerationLabel, ModerationVerdict, Moderator, SegmentScores, judge_image,
    judge_text,
};

use crate::sdk_error::describe;

/// The provider name of image verdicts.
pub const REKOGNITION_PROVIDER: &str = "amazon-rekognition";
/// The provider name of text verdicts.
pub const COMPREHEND_PROVIDER: &str = "amazon-comprehend";
/// Rekognition's limit for an image passed as bytes (5 MB; S3 objects may be larger).
pub const MAX_INLINE_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// `DetectToxicContent` takes at most 10 segments per call.
pub const MAX_SEGMENTS: usize = 10;
/// `DetectToxicContent` takes segments of at most 1 KB of UTF-8; read as 1,000 bytes, the
/// stricter of the two readings.
pub const MAX_SEGMENT_BYTES: usize = 1000;
/// The languages `DetectToxicContent` supports.
pub const TOXIC_CONTENT_LANGUAGES: [&str; 1] = ["en"];

/// Rekognition for images and Comprehend for text, as the moderation gate.
#[derive(Debug, Clone)]
pub struct AwsModerator {
    rekognition: aws_sdk_rekognition::Client,
    comprehend: aws_sdk_comprehend::Client,
}

impl AwsModerator {
    /// Both clients from the SDK configuration (`AWS_ENDPOINT_URL_REKOGNITION` and
    /// `AWS_ENDPOINT_URL_COMPREHEND` point them elsewhere, as for any SDK client).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            rekognition: aws_sdk_rekognition::Client::new(config),
            comprehend: aws_sdk_comprehend::Client::new(config),
        }
    }
}

/// What a service's error means for the gate: a verdict it could not reach (`Ok`), or an error.
fn classify<E: ProvideErrorMetadata, R>(
    provider: &str,
    service: &str,
    op: &str,
    err: SdkError<E, R>,
    cannot_judge: &[&str],
) -> Result<ModerationVerdict, ModerationError> {
    match describe(service, op, &err) {
        (Some(code), msg)
            if matches!(
                code.as_str(),
                "ThrottlingException"
                    | "ProvisionedThroughputExceededException"
                    | "TooManyRequestsException"
            ) =>
        {
            Err(ModerationError::Throttled(msg))
        }
        (Some(code), msg) if cannot_judge.contains(&code.as_str()) => {
            Ok(ModerationVerdict::Unavailable {
                provider: provider.to_string(),
                reason: msg,
            })
        }
        (_, msg) => Err(ModerationError::Unavailable(msg)),
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
pub fn truncate_utf8(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The primary language subtag, lower-cased (`en-GB` → `en`).
fn primary_language(language: &str) -> String {
    language
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[async_trait]
impl Moderator for AwsModerator {
    async fn image(
        &self,
        bytes: &[u8],
        min_confidence: f64,
    ) -> Result<ModerationVerdict, ModerationError> {
        if bytes.len() > MAX_INLINE_IMAGE_BYTES {
            return Ok(ModerationVerdict::Unavailable {
                provider: REKOGNITION_PROVIDER.into(),
                reason: format!(
                    "image of {} bytes exceeds Rekognition's {MAX_INLINE_IMAGE_BYTES}-byte limit for inline images",
                    bytes.len()
                ),
            });
        }
        let sent = self
            .rekognition
            .detect_moderation_labels()
            .image(Image::builder().bytes(Blob::new(bytes.to_vec())).build())
            .min_confidence(min_confidence as f32)
            .send()
            .await;
        let out = match sent {
            Ok(out) => out,
            Err(e) => {
                return classify(
                    REKOGNITION_PROVIDER,
                    "Rekognition",
                    "DetectModerationLabels",
                    e,
                    &[
                        "InvalidImageFormatException",
                        "ImageTooLargeException",
                        "InvalidParameterException",
                    ],
                );
            }
        };
        tracing::debug!(
            model = out.moderation_model_version().unwrap_or("unknown"),
            labels = out.moderation_labels().len(),
            "DetectModerationLabels"
        );
        let labels = out.moderation_labels().iter().filter_map(|l| {
            Some(ModerationLabel {
                name: l.name().filter(|n| !n.is_empty())?.to_string(),
                confidence: f64::from(l.confidence().unwrap_or_default()),
            })
        });
        Ok(judge_image(REKOGNITION_PROVIDER, labels, min_confidence))
    }

    async fn text(
        &self,
        segments: &[String],
        language: &str,
        threshold: f64,
    ) -> Result<ModerationVerdict, ModerationError> {
        let language = primary_language(language);
        if !TOXIC_CONTENT_LANGUAGES.contains(&language.as_str()) {
            return Ok(ModerationVerdict::Unavailable {
                provider: COMPREHEND_PROVIDER.into(),
                reason: format!("DetectToxicContent supports English only, not {language:?}"),
            });
        }
        let texts: Vec<&str> = segments
            .iter()
            .map(|s| truncate_utf8(s.trim(), MAX_SEGMENT_BYTES))
            .filter(|s| !s.is_empty())
            .collect();
        let mut scores = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(MAX_SEGMENTS) {
            let mut request = self
                .comprehend
                .detect_toxic_content()
                .language_code(LanguageCode::En);
            for text in chunk {
                let segment = TextSegment::builder()
                    .text(*text)
                    .build()
                    .map_err(|e| ModerationError::Unavailable(format!("TextSegment: {e}")))?;
                request = request.text_segments(segment);
            }
            let out = match request.send().await {
                Ok(out) => out,
                Err(e) => {
                    return classify(
                        COMPREHEND_PROVIDER,
                        "Comprehend",
                        "DetectToxicContent",
                        e,
                        &[
                            "UnsupportedLanguageException",
                            "TextSizeLimitExceededException",
                            "InvalidRequestException",
                        ],
                    );
                }
            };
            scores.extend(out.result_list().iter().map(|r| {
                SegmentScores {
                    toxicity: f64::from(r.toxicity().unwrap_or_default()),
                    labels: r
                        .labels()
                        .iter()
                        .filter_map(|l| {
                            Some((
                                l.name()?.as_str().to_string(),
                                f64::from(l.score().unwrap_or_default()),
                            ))
                        })
                        .collect(),
                }
            }));
        }
        Ok(judge_text(COMPREHEND_PROVIDER, &scores, threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_cut_on_a_character_boundary_within_the_limit() {
        let text = "é".repeat(600); // 1,200 bytes
        let cut = truncate_utf8(&text, MAX_SEGMENT_BYTES);
        assert_eq!(cut.len(), 1000);
        assert!(cut.chars().all(|c| c == 'é'));
        let odd = format!("a{}", "é".repeat(600));
        assert_eq!(truncate_utf8(&odd, MAX_SEGMENT_BYTES).len(), 999);
        assert_eq!(truncate_utf8("short", MAX_SEGMENT_BYTES), "short");
    }

    #[test]
    fn language_tags_are_reduced_to_their_primary_subtag() {
        assert_eq!(primary_language("en-GB"), "en");
        assert_eq!(primary_language("EN"), "en");
        assert_eq!(primary_language("und"), "und");
    }
}
