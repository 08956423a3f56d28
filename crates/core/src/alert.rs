//! alert: a negative MESSAGE_ANALYSED becomes an alert for ops — a subject naming the author, the
//! text, the scores and a link to the post, and attributes subscribers can filter on. A
//! MODERATION_FLAGGED with `Alert` (route `alert-moderation`) becomes one too: the provider, the
//! labels, the flagged images' keys and the link — never the post's text.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use starling_contracts::{MessageAnalysed, ModerationFlagged, OutgoingEvent, Sentiment};

use crate::handler::{DetailHandler, HandlerError};
use crate::ports::{Alert, Notifier, NotifyError};

/// When to alert.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertConfig {
    /// The least negative score (0–1) that alerts (`MIN_NEGATIVE_SCORE`).
    pub min_negative_score: f64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            min_negative_score: 0.5,
        }
    }
}

/// The alert for a message, or `None` when it is not negative enough (or not negative at all).
pub fn alert_for(message: &MessageAnalysed, config: &AlertConfig) -> Option<Alert> {
    let analysis = &message.analysis;
    if analysis.text_sentiment != Some(Sentiment::Negative) {
        return None;
    }
    let scores = analysis.sentiment_score.unwrap_or_default();
    if scores.negative < config.min_negative_score {
        return None;
    }
    let m = &message.message;
    let author = if m.author.is_empty() {
        m.twitter.user_id.as_str()
    } else {
        m.author.as_str()
    };
    let link = format!(
        "https://x.com/{}/status/{}",
        url_segment(author),
        url_segment(&m.twitter.tweet_id)
    );
    let language = analysis
        .language
        .clone()
        .unwrap_or_else(|| "unknown".into());
    let message_body = format!(
        "Negative message from @{author} ({language}):\n\n{}\n\nScores: negative {:.2}, positive {:.2}, neutral {:.2}, mixed {:.2} ({})\n{link}",
        m.text, scores.negative, scores.positive, scores.neutral, scores.mixed, analysis.provider
    );
    Some(Alert {
        subject: subject("negative message from", author),
        message: message_body,
        attributes: vec![
            ("sentiment".into(), "NEGATIVE".into(), false),
            (
                "negative_score".into(),
                format!("{:.4}", scores.negative),
                true,
            ),
            ("author".into(), author.to_string(), false),
            ("language".into(), language, false),
        ],
    })
}

/// The alert for a moderation flag, or `None` when `moderation.alertOnFlag` was off.
pub fn moderation_alert_for(flag: &ModerationFlagged) -> Option<Alert> {
    if !flag.alert {
        return None;
    }
    let author = if flag.author.is_empty() {
        flag.user_id.as_str()
    } else {
        flag.author.as_str()
    };
    let link = format!(
        "https://x.com/{}/status/{}",
        url_segment(author),
        url_segment(&flag.tweet_id)
    );
    let labels = flag
        .labels
        .iter()
        .map(|l| format!("{} {:.1}%", l.name, l.confidence))
        .collect::<Vec<_>>()
        .join(", ");
    let what = flag.content.as_str();
    let mut body = format!(
        "Moderation ({}) flagged the {what} of a post by @{author}; no reply was posted.\n\nLabels: {labels}\n",
        flag.provider
    );
    if !flag.image_keys.is_empty() {
        body.push_str(&format!("Images: {}\n", flag.image_keys.join(", ")));
    }
    body.push_str(&link);
    Some(Alert {
        subject: subject("moderation flagged a post by", author),
        message: body,
        attributes: vec![
            ("kind".into(), "moderation".into(), false),
            ("content".into(), what.to_string(), false),
            ("provider".into(), flag.provider.clone(), false),
            ("author".into(), author.to_string(), false),
        ],
    })
}

/// What the alert handler reads: a MESSAGE_ANALYSED (route `alert-negative`) or a
/// MODERATION_FLAGGED (route `alert-moderation`), told apart by MODERATION_FLAGGED's `Alert`.
#[derive(Debug, Clone)]
pub enum AlertInput {
    /// An analysed message: alerts when negative enough.
    Analysed(Box<MessageAnalysed>),
    /// A moderation flag: alerts when its `Alert` is set.
    Flagged(ModerationFlagged),
}

impl<'de> Deserialize<'de> for AlertInput {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let input = if value.get("Alert").is_some() {
            Self::Flagged(serde_json::from_value(value).map_err(serde::de::Error::custom)?)
        } else {
            Self::Analysed(Box::new(
                serde_json::from_value(value).map_err(serde::de::Error::custom)?,
            ))
        };
        Ok(input)
    }
}

/// Alerts when the message calls for it; says whether it did.
pub async fn handle(
    notifier: &dyn Notifier,
    message: &MessageAnalysed,
    config: &AlertConfig,
) -> Result<bool, NotifyError> {
    match alert_for(message, config) {
        Some(alert) => notifier.notify(&alert).await.map(|()| true),
        None => Ok(false),
    }
}

/// The alert routes (`alert-negative`, `alert-moderation`): alerts through a [`Notifier`];
/// publishes nothing.
pub struct AlertHandler {
    notifier: Arc<dyn Notifier>,
    config: AlertConfig,
}

impl AlertHandler {
    /// Alerting through `notifier` by `config`.
    pub fn new(notifier: Arc<dyn Notifier>, config: AlertConfig) -> Self {
        Self { notifier, config }
    }
}

#[async_trait]
impl DetailHandler for AlertHandler {
    type Detail = AlertInput;

    fn detail_type(&self) -> &'static str {
        "MESSAGE_ANALYSED or MODERATION_FLAGGED"
    }

    /// A notifier that fails is unavailable: the message is delivered again.
    async fn handle(&self, input: AlertInput) -> Result<Vec<OutgoingEvent>, HandlerError> {
        match input {
            AlertInput::Analysed(message) => {
                handle(self.notifier.as_ref(), &message, &self.config)
                    .await
                    .map_err(HandlerError::unavailable)?;
            }
            AlertInput::Flagged(flag) => match moderation_alert_for(&flag) {
                Some(alert) => self
                    .notifier
                    .notify(&alert)
                    .await
                    .map_err(HandlerError::unavailable)?,
                None => {
                    tracing::debug!(tweet_id = %flag.tweet_id, "moderation flag without Alert: no alert");
                }
            },
        }
        Ok(Vec::new())
    }
}

/// SNS subjects must be printable ASCII without line breaks, under 100 characters.
fn subject(what: &str, author: &str) -> String {
    let clean: String = author
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(60)
        .collect();
    let who = if clean.is_empty() {
        "an X user".to_string()
    } else {
        format!("@{clean}")
    };
    format!("Starling: {what} {who}")
}

fn url_segment(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use starling_contracts::{Analysis, MessageReceived, SentimentScore, TwitterRef};

    fn analysed(sentiment: Option<Sentiment>, negative: f64) -> MessageAnalysed {
        MessageAnalysed {
            message: MessageReceived {
                text: "I hate waiting in this queue".into(),
                author: "ada".into(),
                twitter: TwitterRef {
                    tweet_id: "1461823445431828482".into(),
                    user_id: "7".into(),
                    in_reply_to_tweet_id: None,
                    ..Default::default()
                },
                ..Default::default()
            },
            analysis: Analysis {
                language: Some("en".into()),
                text_sentiment: sentiment,
                sentiment_score: Some(SentimentScore {
                    negative,
                    positive: 0.02,
                    neutral: 1.0 - negative - 0.03,
                    mixed: 0.01,
                }),
                provider: "amazon-comprehend".into(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_negative_message_gives_subject_body_link_and_attributes() {
        let alert = alert_for(
            &analysed(Some(Sentiment::Negative), 0.93),
            &AlertConfig::default(),
        )
        .unwrap();
        assert_eq!(alert.subject, "Starling: negative message from @ada");
        assert!(alert.message.contains("I hate waiting in this queue"));
        assert!(alert.message.contains("negative 0.93"));
        assert!(
            alert
                .message
                .contains("https://x.com/ada/status/1461823445431828482")
        );
        assert_eq!(
            alert.attributes,
            vec![
                ("sentiment".to_string(), "NEGATIVE".to_string(), false),
                ("negative_score".to_string(), "0.9300".to_string(), true),
                ("author".to_string(), "ada".to_string(), false),
                ("language".to_string(), "en".to_string(), false),
            ]
        );
    }

    #[test]
    fn positive_neutral_mixed_and_unscored_messages_give_no_alert() {
        for s in [
            Some(Sentiment::Positive),
            Some(Sentiment::Neutral),
            Some(Sentiment::Mixed),
            None,
        ] {
            assert!(
                alert_for(&analysed(s, 0.9), &AlertConfig::default()).is_none(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn the_minimum_negative_score_is_respected() {
        let config = AlertConfig {
            min_negative_score: 0.95,
        };
        assert!(alert_for(&analysed(Some(Sentiment::Negative), 0.93), &config).is_none());
        assert!(alert_for(&analysed(Some(Sentiment::Negative), 0.96), &config).is_some());
    }

    #[test]
    fn subjects_stay_ascii_and_short_whatever_the_author() {
        let mut m = analysed(Some(Sentiment::Negative), 0.9);
        m.message.author = format!("é\n{}", "x".repeat(200));
        let alert = alert_for(&m, &AlertConfig::default()).unwrap();
        assert!(
            alert.subject.len() < 100 && alert.subject.is_ascii() && !alert.subject.contains('\n'),
            "{}",
            alert.subject
        );
    }

    use crate::handler::{NoBus, handle_and_publish};
    use crate::ports::NotifyError;
    use starling_contracts::{ModeratedContent, ModerationLabel};

    /// Keeps every alert.
    #[derive(Default)]
    struct Kept(std::sync::Mutex<Vec<Alert>>);
    #[async_trait]
    impl Notifier for Kept {
        async fn notify(&self, alert: &Alert) -> Result<(), NotifyError> {
            self.0.lock().unwrap().push(alert.clone());
            Ok(())
        }
    }

    fn flag(alert: bool) -> ModerationFlagged {
        ModerationFlagged {
            tweet_id: "1850000000000000001".into(),
            user_id: "7".into(),
            author: "ada".into(),
            content: ModeratedContent::Image,
            provider: "amazon-rekognition".into(),
            labels: vec![ModerationLabel {
                name: "Explicit Nudity".into(),
                confidence: 97.25,
            }],
            image_keys: vec!["media/a/1.jpg".into()],
            alert,
        }
    }

    #[tokio::test]
    async fn a_moderation_flag_alerts_with_provider_labels_images_and_link_through_the_same_handler()
     {
        let kept = Arc::new(Kept::default());
        let handler = AlertHandler::new(kept.clone(), AlertConfig::default());
        let detail = serde_json::to_value(flag(true)).unwrap();
        handle_and_publish(&handler, detail, &NoBus).await.unwrap();
        let alerts = kept.0.lock().unwrap().clone();
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].subject,
            "Starling: moderation flagged a post by @ada"
        );
        for part in [
            "amazon-rekognition",
            "Explicit Nudity 97.2%",
            "media/a/1.jpg",
            "https://x.com/ada/status/1850000000000000001",
        ] {
            assert!(
                alerts[0].message.contains(part),
                "{part}: {}",
                alerts[0].message
            );
        }
        assert!(
            alerts[0]
                .attributes
                .contains(&("kind".into(), "moderation".into(), false))
        );
        // Without Alert (alertOnFlag off) nothing is sent; a negative message still alerts.
        let quiet = serde_json::to_value(flag(false)).unwrap();
        handle_and_publish(&handler, quiet, &NoBus).await.unwrap();
        let negative = serde_json::to_value(analysed(Some(Sentiment::Negative), 0.9)).unwrap();
        handle_and_publish(&handler, negative, &NoBus)
            .await
            .unwrap();
        let alerts = kept.0.lock().unwrap().clone();
        assert_eq!(alerts.len(), 2);
        assert!(alerts[1].subject.contains("negative message"));
    }
}
