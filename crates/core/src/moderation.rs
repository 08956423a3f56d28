//! The moderation gate's port: before reply-image attaches anything drawn on a user's photo, and
//! before reply-text posts, a [`Moderator`] judges the content. On AWS that is Rekognition
//! `DetectModerationLabels` (images) and Comprehend `DetectToxicContent` (English text); on one
//! machine, until an offline model exists, [`UnavailableModerator`] says plainly that nothing can
//! be checked and the reply policy's `moderation.whenUnavailable` decides.
//!
//! A verdict always names its provider. The rules that turn scores into a verdict
//! ([`judge_image`], [`judge_text`]) live here, so every provider applies the same thresholds.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use starling_contracts::ErrorKind;
pub use starling_contracts::ModerationLabel;

use crate::handler::HandlerError;

/// The provider name of [`UnavailableModerator`].
pub const UNAVAILABLE_PROVIDER: &str = "unavailable";
/// Why the local runtime cannot moderate.
pub const NO_OFFLINE_MODEL: &str = "no offline moderation model; set moderation.whenUnavailable";
/// The label [`judge_text`] reports for a segment's overall toxicity score.
pub const TOXICITY_LABEL: &str = "TOXICITY";

/// What a moderator said about one image or one set of text segments.
#[derive(Debug, Clone, PartialEq)]
pub enum ModerationVerdict {
    /// Nothing at or over the threshold.
    Clean {
        /// Who judged it.
        provider: String,
    },
    /// Labels at or over the threshold, most confident first.
    Flagged {
        /// Who judged it.
        provider: String,
        /// The labels that flagged it.
        labels: Vec<ModerationLabel>,
    },
    /// The content could not be judged (no provider configured, a language or an image format the
    /// provider does not support): the reply policy's `moderation.whenUnavailable` decides.
    Unavailable {
        /// Who was asked.
        provider: String,
        /// Why it could not judge, for people.
        reason: String,
    },
}

impl ModerationVerdict {
    /// Who judged (or was asked to judge).
    pub fn provider(&self) -> &str {
        match self {
            Self::Clean { provider }
            | Self::Flagged { provider, .. }
            | Self::Unavailable { provider, .. } => provider,
        }
    }
}

/// The labels' names joined for a log line or a REPLY_SUPPRESSED detail (never the content).
pub fn label_names(labels: &[ModerationLabel]) -> String {
    labels
        .iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The moderation service failed; the delivery is retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModerationError {
    /// The service throttled the call.
    #[error("moderation throttled: {0}")]
    Throttled(String),
    /// The service failed or could not be reached.
    #[error("moderation unavailable: {0}")]
    Unavailable(String),
}

impl ModerationError {
    /// The class of this failure (both are retryable).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Throttled(_) => ErrorKind::Throttled,
            Self::Unavailable(_) => ErrorKind::Unavailable,
        }
    }
}

impl From<ModerationError> for HandlerError {
    fn from(e: ModerationError) -> Self {
        HandlerError::new(e.kind(), e)
    }
}

/// Judges content before the bot posts anything derived from it. Implemented by Rekognition +
/// Comprehend on AWS (`starling_aws::moderation`), by [`UnavailableModerator`] locally.
#[async_trait]
pub trait Moderator: Send + Sync {
    /// Judges one image (the stored bytes: JPEG or PNG); a label of at least `min_confidence`
    /// percent (0–100) flags it.
    async fn image(
        &self,
        bytes: &[u8],
        min_confidence: f64,
    ) -> Result<ModerationVerdict, ModerationError>;

    /// Judges text segments written in `language` (ISO 639-1, e.g. `en`) together; a segment
    /// whose toxicity or any label scores at least `threshold` (0–1) flags them. A language the
    /// provider does not support is [`ModerationVerdict::Unavailable`], not an error.
    async fn text(
        &self,
        segments: &[String],
        language: &str,
        threshold: f64,
    ) -> Result<ModerationVerdict, ModerationError>;
}

/// The image rule: the labels of at least `min_confidence` percent flag the image (a provider
/// that filters by the same minimum, as Rekognition does, is filtered again harmlessly).
pub fn judge_image(
    provider: &str,
    labels: impl IntoIterator<Item = ModerationLabel>,
    min_confidence: f64,
) -> ModerationVerdict {
    flagged_or_clean(
        provider,
        labels
            .into_iter()
            .filter(|l| l.confidence >= min_confidence)
            .collect(),
    )
}

/// One text segment's scores, as Comprehend's `ToxicLabels` reports them (0–1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SegmentScores {
    /// The segment's overall toxicity.
    pub toxicity: f64,
    /// Each toxic content type and its score.
    pub labels: Vec<(String, f64)>,
}

/// The text rule: a segment whose toxicity (reported as [`TOXICITY_LABEL`]) or any label scores at
/// least `threshold` flags the text; each label appears once, with its highest score in percent.
pub fn judge_text(provider: &str, segments: &[SegmentScores], threshold: f64) -> ModerationVerdict {
    let mut labels: Vec<ModerationLabel> = Vec::new();
    for segment in segments {
        let scores = std::iter::once((TOXICITY_LABEL, segment.toxicity))
            .chain(segment.labels.iter().map(|(n, s)| (n.as_str(), *s)));
        for (name, score) in scores {
            if score < threshold {
                continue;
            }
            let confidence = score * 100.0;
            match labels.iter_mut().find(|l| l.name == name) {
                Some(l) => l.confidence = l.confidence.max(confidence),
                None => labels.push(ModerationLabel {
                    name: name.to_string(),
                    confidence,
                }),
            }
        }
    }
    flagged_or_clean(provider, labels)
}

fn flagged_or_clean(provider: &str, mut labels: Vec<ModerationLabel>) -> ModerationVerdict {
    if labels.is_empty() {
        return ModerationVerdict::Clean {
            provider: provider.to_string(),
        };
    }
    labels.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    ModerationVerdict::Flagged {
        provider: provider.to_string(),
        labels,
    }
}

/// A moderator that can judge nothing: every verdict is [`ModerationVerdict::Unavailable`] with
/// provider `unavailable` and its reason. The local runtime's moderator until an offline model
/// exists ([`NO_OFFLINE_MODEL`]).
#[derive(Debug, Clone)]
pub struct UnavailableModerator {
    reason: String,
}

impl UnavailableModerator {
    /// A moderator answering every request with `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The local runtime's: no offline moderation model.
    pub fn no_offline_model() -> Self {
        Self::new(NO_OFFLINE_MODEL)
    }

    fn verdict(&self) -> ModerationVerdict {
        ModerationVerdict::Unavailable {
            provider: UNAVAILABLE_PROVIDER.to_string(),
            reason: self.reason.clone(),
        }
    }
}

#[async_trait]
impl Moderator for UnavailableModerator {
    async fn image(&self, _: &[u8], _: f64) -> Result<ModerationVerdict, ModerationError> {
        Ok(self.verdict())
    }

    async fn text(
        &self,
        _: &[String],
        _: &str,
        _: f64,
    ) -> Result<ModerationVerdict, ModerationError> {
        Ok(self.verdict())
    }
}

/// A moderator in memory, for tests: a real rule over markers, provider `memory`.
///
/// - images: bytes containing `NSFW` carry `Explicit Nudity` at 97 %, `SWIMWEAR` carry
///   `Suggestive` at 55 %, `UNCHECKABLE` cannot be judged (as Rekognition refuses a format);
/// - text (English only, like Comprehend): a segment containing `toxic` scores 0.9 (`INSULT`
///   0.85), `rude` 0.4 (`PROFANITY` 0.45), anything else 0.01;
/// - [`MemoryModerator::set_down`] makes every call fail as an unavailable service would.
#[derive(Debug, Default)]
pub struct MemoryModerator {
    down: AtomicBool,
    images: AtomicUsize,
    texts: Mutex<Vec<(Vec<String>, String)>>,
}

impl MemoryModerator {
    /// The provider name in its verdicts.
    pub const PROVIDER: &'static str = "memory";

    /// A moderator that is up.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every call fail (`true`) or succeed again.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// How many images were judged.
    pub fn images_judged(&self) -> usize {
        self.images.load(Ordering::SeqCst)
    }

    /// Every text call: (segments, language).
    pub fn texts_judged(&self) -> Vec<(Vec<String>, String)> {
        self.texts.lock().map(|t| t.clone()).unwrap_or_default()
    }

    fn check_up(&self) -> Result<(), ModerationError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(ModerationError::Unavailable(
                "memory moderator is down".into(),
            ));
        }
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[async_trait]
impl Moderator for MemoryModerator {
    async fn image(
        &self,
        bytes: &[u8],
        min_confidence: f64,
    ) -> Result<ModerationVerdict, ModerationError> {
        self.check_up()?;
        self.images.fetch_add(1, Ordering::SeqCst);
        if contains(bytes, b"UNCHECKABLE") {
            return Ok(ModerationVerdict::Unavailable {
                provider: Self::PROVIDER.into(),
                reason: "image format not supported".into(),
            });
        }
        let mut labels = Vec::new();
        if contains(bytes, b"NSFW") {
            labels.push(ModerationLabel {
                name: "Explicit Nudity".into(),
                confidence: 97.0,
            });
        }
        if contains(bytes, b"SWIMWEAR") {
            labels.push(ModerationLabel {
                name: "Suggestive".into(),
                confidence: 55.0,
            });
        }
        Ok(judge_image(Self::PROVIDER, labels, min_confidence))
    }

    async fn text(
        &self,
        segments: &[String],
        language: &str,
        threshold: f64,
    ) -> Result<ModerationVerdict, ModerationError> {
        self.check_up()?;
        if let Ok(mut texts) = self.texts.lock() {
            texts.push((segments.to_vec(), language.to_string()));
        }
        if language != "en" {
            return Ok(ModerationVerdict::Unavailable {
                provider: Self::PROVIDER.into(),
                reason: format!("language {language} not supported (English only)"),
            });
        }
        let scores: Vec<SegmentScores> = segments
            .iter()
            .map(|s| {
                let s = s.to_lowercase();
                if s.contains("toxic") {
                    SegmentScores {
                        toxicity: 0.9,
                        labels: vec![("INSULT".into(), 0.85)],
                    }
                } else if s.contains("rude") {
                    SegmentScores {
                        toxicity: 0.4,
                        labels: vec![("PROFANITY".into(), 0.45)],
                    }
                } else {
                    SegmentScores {
                        toxicity: 0.01,
                        labels: vec![("PROFANITY".into(), 0.01)],
                    }
                }
            })
            .collect();
        Ok(judge_text(Self::PROVIDER, &scores, threshold))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn label(name: &str, confidence: f64) -> ModerationLabel {
        ModerationLabel {
            name: name.into(),
            confidence,
        }
    }

    #[test]
    fn an_image_is_flagged_by_labels_at_or_over_the_minimum_most_confident_first() {
        let labels = [
            label("Suggestive", 61.0),
            label("Explicit Nudity", 97.5),
            label("Alcohol", 59.9),
        ];
        assert_eq!(
            judge_image("rekognition", labels.clone(), 60.0),
            ModerationVerdict::Flagged {
                provider: "rekognition".into(),
                labels: vec![label("Explicit Nudity", 97.5), label("Suggestive", 61.0)],
            }
        );
        assert_eq!(
            judge_image("rekognition", labels, 98.0),
            ModerationVerdict::Clean {
                provider: "rekognition".into()
            }
        );
    }

    #[test]
    fn text_is_flagged_by_toxicity_or_any_label_each_label_once_with_its_highest_score() {
        let segments = [
            SegmentScores {
                toxicity: 0.3,
                labels: vec![("PROFANITY".into(), 0.6), ("INSULT".into(), 0.2)],
            },
            SegmentScores {
                toxicity: 0.55,
                labels: vec![("PROFANITY".into(), 0.7)],
            },
        ];
        let ModerationVerdict::Flagged { provider, labels } = judge_text("c", &segments, 0.5)
        else {
            panic!("flagged")
        };
        assert_eq!(provider, "c");
        let names: Vec<(&str, i64)> = labels
            .iter()
            .map(|l| (l.name.as_str(), l.confidence.round() as i64))
            .collect();
        assert_eq!(names, [("PROFANITY", 70), (TOXICITY_LABEL, 55)]);
        assert!(matches!(
            judge_text("c", &segments, 0.71),
            ModerationVerdict::Clean { .. }
        ));
    }

    #[tokio::test]
    async fn the_unavailable_moderator_says_so_with_its_reason_for_images_and_text() {
        let m = UnavailableModerator::no_offline_model();
        for verdict in [
            m.image(b"anything", 60.0).await.unwrap(),
            m.text(&["hi".into()], "en", 0.5).await.unwrap(),
        ] {
            assert_eq!(verdict.provider(), UNAVAILABLE_PROVIDER);
            let ModerationVerdict::Unavailable { reason, .. } = verdict else {
                panic!("unavailable")
            };
            assert!(reason.contains("moderation.whenUnavailable"), "{reason}");
        }
    }

    #[tokio::test]
    async fn the_memory_moderator_applies_the_thresholds_it_is_given() {
        let m = MemoryModerator::new();
        assert!(matches!(
            m.image(b"..SWIMWEAR..", 60.0).await.unwrap(),
            ModerationVerdict::Clean { .. }
        ));
        assert!(matches!(
            m.image(b"..SWIMWEAR..", 50.0).await.unwrap(),
            ModerationVerdict::Flagged { .. }
        ));
        assert!(matches!(
            m.text(&["so rude".into()], "en", 0.5).await.unwrap(),
            ModerationVerdict::Clean { .. }
        ));
        assert!(matches!(
            m.text(&["so rude".into()], "en", 0.4).await.unwrap(),
            ModerationVerdict::Flagged { .. }
        ));
        assert!(matches!(
            m.text(&["toxic".into()], "fi", 0.5).await.unwrap(),
            ModerationVerdict::Unavailable { .. }
        ));
        m.set_down(true);
        let e = m.image(b"x", 60.0).await.unwrap_err();
        assert_eq!(HandlerError::from(e).kind, ErrorKind::Unavailable);
    }
}
