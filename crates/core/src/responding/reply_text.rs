//! reply-text (`lambdas/reply-text`): a text-only MESSAGE_ANALYSED → the chat bot (one session per
//! author) with @mentions and URLs stripped → its message as SEND_TWEET. No message, no reply.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use starling_contracts::{
    ErrorKind, MessageAnalysed, OutgoingEvent, SendTweet, detail_type, source,
};

use crate::analysis::text::clean_for_analysis;
use crate::handler::{DetailHandler, HandlerError};
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
    /// The SEND_TWEET could not be serialised.
    #[error("SEND_TWEET could not be built: {0}")]
    Serialise(#[from] serde_json::Error),
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
            Self::ChatBot(ChatBotError::InvalidInput(_)) | Self::Serialise(_) => {
                ErrorKind::InvalidInput
            }
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
}

impl ReplyText {
    /// reply-text asking `bot`.
    pub fn new(bot: Arc<dyn ChatBot>) -> Self {
        Self { bot }
    }

    /// The SEND_TWEET answering `message`, or `None` when the message has images, has no text
    /// once mentions and URLs are removed, or the bot says nothing.
    pub async fn handle(
        &self,
        message: &MessageAnalysed,
    ) -> Result<Option<OutgoingEvent>, ReplyTextError> {
        let m = &message.message;
        if !m.image_urls.is_empty() {
            tracing::debug!(tweet_id = %m.twitter.tweet_id, "not text-only: reply-image answers it");
            return Ok(None);
        }
        let text = text_for_bot(&m.text);
        if text.is_empty() {
            tracing::info!(tweet_id = %m.twitter.tweet_id, "nothing left for the bot after removing mentions and URLs");
            return Ok(None);
        }
        let session = session_id(&m.author, &m.twitter.user_id);
        let Some(answer) = self.bot.recognize_text(&session, &text).await? else {
            tracing::info!(tweet_id = %m.twitter.tweet_id, "the bot said nothing: no reply");
            return Ok(None);
        };
        if answer.trim().is_empty() {
            return Ok(None);
        }
        let send = SendTweet {
            text: answer,
            reply_to_tweet_id: m.twitter.tweet_id.clone(),
            reply_to_user_id: m.twitter.user_id.clone(),
            reply_to_username: Some(m.author.clone()),
            image_keys: Vec::new(),
            idempotency_key: format!("reply-text:{}", m.twitter.tweet_id),
        };
        Ok(Some(
            OutgoingEvent::new(source::RESPONDING, detail_type::SEND_TWEET, send)?
                .with_resources([m.twitter.tweet_id.clone()]),
        ))
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
        Ok(ReplyText::handle(self, &message)
            .await?
            .into_iter()
            .collect())
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
}
