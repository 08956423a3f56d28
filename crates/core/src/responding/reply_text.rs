//! reply-text (`lambdas/reply-text`): a text-only MESSAGE_ANALYSED → the chat bot (one session per
//! author) with @mentions and URLs stripped → its message as SEND_TWEET. No message, no reply.
//!
//! Moderation: the post's text (as the bot saw it) and the composed reply go to the [`Moderator`]
//! together, in the message's language (Comprehend `DetectToxicContent` judges English only).
//! Flagged → REPLY_SUPPRESSED `moderation` and MODERATION_FLAGGED instead of the SEND_TWEET, so the
//! reply policy charges nothing. Unavailable (no provider, another language) → the reply goes out:
//! it is the bot's own answer, and a debug line says it was not checked.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use starling_contracts::{
    ErrorKind, MessageAnalysed, ModeratedContent, ModerationFlagged, OutgoingEvent, SendTweet,
    SuppressReason, detail_type, source,
};

use crate::analysis::text::clean_for_analysis;
use crate::handler::{DetailHandler, HandlerError};
use crate::moderation::{ModerationError, ModerationVerdict, Moderator, label_names};
use crate::policy::{ModerationConfig, suppressed};
use crate::ports::{ChatBot, ChatBotError};

/// Lex V2 `RecognizeText` accepts at most 1024 characters.
pub const MAX_BOT_TEXT_CHARS: usize = 1024;
/// Lex V2 session ids are at most 100 characters.
const MAX_SESSION_ID_CHARS: usize = 100;

/// Why reply-text failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplyTextError {
    /// The chat bot failed.
    #[error(transparent)]
    ChatBot(#[from] ChatBotError),
    /// The moderation service failed (retryable).
    #[error(transparent)]
    Moderation(#[from] ModerationError),
    /// The SEND_TWEET could not be serialised.
    #[error("SEND_TWEET could not be built: {0}")]
    Serialise(#[from] serde_json::Error),
    /// The REPLY_SUPPRESSED could not be built.
    #[error("REPLY_SUPPRESSED could not be built: {0}")]
    Suppressed(String),
}

impl ReplyTextError {
    /// Whether retrying may help.
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// The class of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::ChatBot(ChatBotError::Throttled(_)) => ErrorKind::Throttled,
            Self::ChatBot(ChatBotError::Unavailable(_)) => ErrorKind::Unavailable,
            Self::Moderation(e) => e.kind(),
            Self::ChatBot(ChatBotError::InvalidInput(_))
            | Self::Serialise(_)
            | Self::Suppressed(_) => ErrorKind::InvalidInput,
        }
    }
}

impl From<ReplyTextError> for HandlerError {
    fn from(e: ReplyTextError) -> Self {
        HandlerError::new(e.kind(), e)
    }
}

/// The handler.
pub struct ReplyText {
    bot: Arc<dyn ChatBot>,
    moderator: Arc<dyn Moderator>,
    moderation: ModerationConfig,
}

impl ReplyText {
    /// reply-text asking `bot`, each reply judged by `moderator` under `moderation`.
    pub fn new(
        bot: Arc<dyn ChatBot>,
        moderator: Arc<dyn Moderator>,
        moderation: ModerationConfig,
    ) -> Self {
        Self {
            bot,
            moderator,
            moderation,
        }
    }

    /// The SEND_TWEET answering `message`; REPLY_SUPPRESSED `moderation` and MODERATION_FLAGGED
    /// when moderation flags the post or the reply; nothing when the message has images, has no
    /// text once mentions and URLs are removed, or the bot says nothing.
    pub async fn handle(
        &self,
        message: &MessageAnalysed,
    ) -> Result<Vec<OutgoingEvent>, ReplyTextError> {
        let m = &message.message;
        if !m.image_urls.is_empty() {
            tracing::debug!(tweet_id = %m.twitter.tweet_id, "not text-only: reply-image answers it");
            return Ok(Vec::new());
        }
        let text = text_for_bot(&m.text);
        if text.is_empty() {
            tracing::info!(tweet_id = %m.twitter.tweet_id, "nothing left for the bot after removing mentions and URLs");
            return Ok(Vec::new());
        }
        let session = session_id(&m.author, &m.twitter.user_id);
        let Some(answer) = self.bot.recognize_text(&session, &text).await? else {
            tracing::info!(tweet_id = %m.twitter.tweet_id, "the bot said nothing: no reply");
            return Ok(Vec::new());
        };
        if answer.trim().is_empty() {
            return Ok(Vec::new());
        }
        // The language analysis chose (Comprehend's or X's), else X's own tag.
        let language = message
            .analysis
            .language
            .clone()
            .or_else(|| m.lang.clone())
            .unwrap_or_else(|| "und".to_string());
        let verdict = self
            .moderator
            .text(
                &[text, answer.clone()],
                &language,
                self.moderation.text_threshold,
            )
            .await?;
        match verdict {
            ModerationVerdict::Clean { .. } => {}
            ModerationVerdict::Unavailable { provider, reason } => {
                tracing::debug!(tweet_id = %m.twitter.tweet_id, %provider, %reason, %language, "text moderation unavailable: the bot's reply goes out unchecked");
            }
            ModerationVerdict::Flagged { provider, labels } => {
                tracing::warn!(tweet_id = %m.twitter.tweet_id, %provider, labels = %label_names(&labels), "text flagged by moderation: no reply");
                let detail = format!("text flagged by {provider}: {}", label_names(&labels));
                let held = suppressed(m, SuppressReason::Moderation, detail, Some(answer))
                    .map_err(|e| ReplyTextError::Suppressed(e.to_string()))?;
                let flag = ModerationFlagged {
                    tweet_id: m.twitter.tweet_id.clone(),
                    user_id: m.twitter.user_id.clone(),
                    author: m.author.clone(),
                    content: ModeratedContent::Text,
                    provider,
                    labels,
                    image_keys: Vec::new(),
                    alert: self.moderation.alert_on_flag,
                };
                return Ok(vec![
                    held,
                    OutgoingEvent::new(source::RESPONDING, detail_type::MODERATION_FLAGGED, flag)?
                        .with_resources([m.twitter.tweet_id.clone()]),
                ]);
            }
        }
        let send = SendTweet {
            text: answer,
            reply_to_tweet_id: m.twitter.tweet_id.clone(),
            reply_to_user_id: m.twitter.user_id.clone(),
            reply_to_username: Some(m.author.clone()),
            image_keys: Vec::new(),
            idempotency_key: format!("reply-text:{}", m.twitter.tweet_id),
        };
        Ok(vec![
            OutgoingEvent::new(source::RESPONDING, detail_type::SEND_TWEET, send)?
                .with_resources([m.twitter.tweet_id.clone()]),
        ])
    }
}

/// The text the bot sees: [`clean_for_analysis`] (leading mentions, URLs), then every remaining
/// `@mention` too, cut to [`MAX_BOT_TEXT_CHARS`].
pub fn text_for_bot(text: &str) -> String {
    let cleaned = clean_for_analysis(text);
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .filter(|w| !(w.starts_with('@') && w.len() > 1))
        .collect();
    words
        .join(" ")
        .chars()
        .take(MAX_BOT_TEXT_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

/// `author-<handle>` with characters Lex refuses in a session id (`[0-9a-zA-Z._:-]`) replaced by
/// `_`; the user id stands in for an empty handle.
pub fn session_id(author: &str, user_id: &str) -> String {
    let who = if author.trim().is_empty() {
        user_id
    } else {
        author
    };
    let clean: String = who
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("author-{clean}")
        .chars()
        .take(MAX_SESSION_ID_CHARS)
        .collect()
}

/// The reply-text route: the SEND_TWEET when the bot said something, nothing otherwise.
#[async_trait]
impl DetailHandler for ReplyText {
    type Detail = MessageAnalysed;

    fn detail_type(&self) -> &'static str {
        detail_type::MESSAGE_ANALYSED
    }

    async fn handle(&self, message: MessageAnalysed) -> Result<Vec<OutgoingEvent>, HandlerError> {
        Ok(ReplyText::handle(self, &message).await?)
    }

    /// `{"Replied": bool, "IdempotencyKey": key or null}`.
    fn summary(&self, published: &[OutgoingEvent]) -> Value {
        // The reply policy may publish a REPLY_SUPPRESSED instead: only a SEND_TWEET is a reply.
        let reply = published
            .iter()
            .find(|e| e.detail_type == detail_type::SEND_TWEET);
        let key = reply
            .and_then(|e| e.detail.get("IdempotencyKey"))
            .cloned()
            .unwrap_or(Value::Null);
        json!({ "Replied": reply.is_some(), "IdempotencyKey": key })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chat_bot_errors_keep_their_retry_class() {
        let k = |e| ReplyTextError::ChatBot(e).kind().name();
        assert_eq!(k(ChatBotError::Throttled("x".into())), "Starling.Throttled");
        assert_eq!(
            k(ChatBotError::Unavailable("x".into())),
            "Starling.Unavailable"
        );
        assert_eq!(
            k(ChatBotError::InvalidInput("x".into())),
            "Starling.InvalidInput"
        );
    }

    #[test]
    fn mentions_and_urls_are_stripped() {
        assert_eq!(
            text_for_bot("@bot @ada tell @bob a joke https://t.co/x please"),
            "tell a joke please"
        );
        assert_eq!(text_for_bot("@bot https://t.co/abc @ada"), "");
    }

    #[test]
    fn session_ids_are_safe_for_lex() {
        assert_eq!(session_id("ada_l", "7"), "author-ada_l");
        assert_eq!(session_id("Ада", "7"), "author-___");
        assert_eq!(session_id("", "42"), "author-42");
    }

    use std::sync::Mutex;

    use starling_contracts::{Analysis, MessageReceived, TwitterRef};

    use crate::moderation::{MemoryModerator, UnavailableModerator};

    /// A bot answering `answer` whatever it is asked.
    struct Says(&'static str, Mutex<usize>);
    #[async_trait]
    impl ChatBot for Says {
        async fn recognize_text(&self, _: &str, _: &str) -> Result<Option<String>, ChatBotError> {
            *self.1.lock().unwrap() += 1;
            Ok(Some(self.0.to_string()))
        }
    }

    fn analysed(text: &str, language: Option<&str>) -> MessageAnalysed {
        MessageAnalysed {
            message: MessageReceived {
                text: text.into(),
                author: "ada".into(),
                lang: Some("en".into()),
                twitter: TwitterRef {
                    tweet_id: "9".into(),
                    user_id: "7".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            analysis: Analysis {
                language: language.map(String::from),
                ..Default::default()
            },
        }
    }

    fn reply_text(answer: &'static str, moderator: Arc<dyn Moderator>) -> ReplyText {
        ReplyText::new(
            Arc::new(Says(answer, Mutex::new(0))),
            moderator,
            ModerationConfig::default(),
        )
    }

    #[tokio::test]
    async fn the_post_and_the_reply_are_moderated_together_in_the_posts_language() {
        let moderator = Arc::new(MemoryModerator::new());
        let events = reply_text("Here is a joke.", moderator.clone())
            .handle(&analysed("@bot tell me a joke https://t.co/x", Some("en")))
            .await
            .unwrap();
        assert_eq!(events[0].detail_type, "SEND_TWEET");
        assert_eq!(
            moderator.texts_judged(),
            [(
                vec!["tell me a joke".to_string(), "Here is a joke.".to_string()],
                "en".to_string()
            )]
        );
    }

    #[tokio::test]
    async fn a_toxic_post_gets_no_reply_a_suppression_naming_the_labels_and_a_flag() {
        let events = reply_text("Here is a joke.", Arc::new(MemoryModerator::new()))
            .handle(&analysed("@bot you toxic bot", Some("en")))
            .await
            .unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.detail_type.as_str()).collect();
        assert_eq!(kinds, ["REPLY_SUPPRESSED", "MODERATION_FLAGGED"]);
        assert_eq!(events[0].detail["Reason"], "moderation");
        let detail = events[0].detail["Detail"].as_str().unwrap();
        assert!(
            detail.contains("memory") && detail.contains("INSULT") && !detail.contains("toxic bot"),
            "{detail}"
        );
        assert_eq!(events[1].detail["Content"], "text");
        assert_eq!(events[1].detail["Alert"], true);
        // A toxic reply (a remote joke source gone bad) is held back too.
        let events = reply_text("a toxic joke", Arc::new(MemoryModerator::new()))
            .handle(&analysed("@bot joke please", Some("en")))
            .await
            .unwrap();
        assert_eq!(events[0].detail["Reason"], "moderation");
        assert_eq!(events[0].detail["Text"], "a toxic joke");
    }

    #[tokio::test]
    async fn another_language_or_no_moderator_lets_the_bots_reply_out() {
        let moderator = Arc::new(MemoryModerator::new());
        let events = reply_text("Voici une blague.", moderator.clone())
            .handle(&analysed("@bot toxic blague", Some("fr")))
            .await
            .unwrap();
        assert_eq!(events[0].detail_type, "SEND_TWEET");
        assert_eq!(moderator.texts_judged()[0].1, "fr");
        let events = reply_text("Here.", Arc::new(UnavailableModerator::no_offline_model()))
            .handle(&analysed("@bot toxic", Some("en")))
            .await
            .unwrap();
        assert_eq!(events[0].detail_type, "SEND_TWEET");
        // No analysed language: X's tag is used.
        let moderator = Arc::new(MemoryModerator::new());
        reply_text("Here.", moderator.clone())
            .handle(&analysed("@bot hi", None))
            .await
            .unwrap();
        assert_eq!(moderator.texts_judged()[0].1, "en");
    }

    #[tokio::test]
    async fn a_failing_moderator_is_retryable() {
        let moderator = Arc::new(MemoryModerator::new());
        moderator.set_down(true);
        let err = reply_text("Here.", moderator)
            .handle(&analysed("@bot hi", Some("en")))
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err}");
    }
}
