//! alert: a negative MESSAGE_ANALYSED becomes an alert for ops — a subject naming the author, the
//! text, the scores and a link to the post, and attributes subscribers can filter on.

use std::sync::Arc;

use async_trait::async_trait;
use starling_contracts::{MessageAnalysed, OutgoingEvent, Sentiment, detail_type};

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
        subject: subject(author),
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

/// The alert route (`alert-negative`): alerts through a [`Notifier`]; publishes nothing.
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
    type Detail = MessageAnalysed;

    fn detail_type(&self) -> &'static str {
        detail_type::MESSAGE_ANALYSED
    }

    /// A notifier that fails is unavailable: the message is delivered again.
    async fn handle(&self, message: MessageAnalysed) -> Result<Vec<OutgoingEvent>, HandlerError> {
        handle(self.notifier.as_ref(), &message, &self.config)
            .await
            .map_err(HandlerError::unavailable)?;
        Ok(Vec::new())
    }
}

/// SNS subjects must be printable ASCII without line breaks, under 100 characters.
fn subject(author: &str) -> String {
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
    format!("Starling: negative message from {who}")
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
}
