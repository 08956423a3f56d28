//! The policy around a reply handler: the same wrapper around reply-text and reply-image, on AWS
//! (the Lambda runner) and locally (the bus target). The screen runs first (a post that may not
//! be answered costs no chat-bot call and no drawing); a composed SEND_TWEET is then admitted or
//! replaced by a REPLY_SUPPRESSED carrying its text; a stop or start gets its confirmation.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use starling_contracts::{
    MessageAnalysed, OutgoingEvent, ReplySuppressed, SendTweet, SuppressReason, detail_type, source,
};

use super::decide::{ReplyPolicy, Verdict};
use crate::handler::{DetailHandler, HandlerError};

/// A reply handler behind the reply policy.
pub struct PolicyGate<H> {
    inner: H,
    policy: Arc<ReplyPolicy>,
}

impl<H> PolicyGate<H> {
    /// `inner` answers only what `policy` allows.
    pub fn new(inner: H, policy: Arc<ReplyPolicy>) -> Self {
        Self { inner, policy }
    }
}

#[async_trait]
impl<H> DetailHandler for PolicyGate<H>
where
    H: DetailHandler<Detail = MessageAnalysed>,
{
    type Detail = MessageAnalysed;

    fn detail_type(&self) -> &'static str {
        self.inner.detail_type()
    }

    async fn handle(&self, message: MessageAnalysed) -> Result<Vec<OutgoingEvent>, HandlerError> {
        let m = message.message.clone();
        let verdict = self
            .policy
            .screen(&m)
            .await
            .map_err(HandlerError::unavailable)?;
        match verdict {
            Verdict::Reply => {
                let events = self.inner.handle(message).await?;
                let is_reply = |e: &OutgoingEvent| e.detail_type == detail_type::SEND_TWEET;
                if !events.iter().any(is_reply) {
                    return Ok(events);
                }
                match self
                    .policy
                    .admit(&m)
                    .await
                    .map_err(HandlerError::unavailable)?
                {
                    Verdict::Suppress { reason, detail } => {
                        tracing::info!(tweet_id = %m.twitter.tweet_id, %reason, %detail, "reply suppressed");
                        events
                            .into_iter()
                            .map(|e| {
                                if !is_reply(&e) {
                                    return Ok(e);
                                }
                                let text = e.detail["Text"].as_str().map(str::to_string);
                                suppressed(&m, reason, detail.clone(), text)
                            })
                            .collect()
                    }
                    Verdict::Reply | Verdict::Confirm(_) => Ok(events),
                }
            }
            Verdict::Confirm(text) => {
                let send = SendTweet {
                    text,
                    reply_to_tweet_id: m.twitter.tweet_id.clone(),
                    reply_to_user_id: m.twitter.user_id.clone(),
                    reply_to_username: Some(m.author.clone()),
                    image_keys: Vec::new(),
                    idempotency_key: format!("policy:{}", m.twitter.tweet_id),
                };
                Ok(vec![event(
                    detail_type::SEND_TWEET,
                    send,
                    &m.twitter.tweet_id,
                )?])
            }
            Verdict::Suppress { reason, detail } => {
                tracing::info!(tweet_id = %m.twitter.tweet_id, %reason, %detail, "reply suppressed");
                Ok(vec![suppressed(&m, reason, detail, None)?])
            }
        }
    }

    fn summary(&self, published: &[OutgoingEvent]) -> Value {
        self.inner.summary(published)
    }
}

/// A REPLY_SUPPRESSED for the message `m`.
pub fn suppressed(
    m: &starling_contracts::MessageReceived,
    reason: SuppressReason,
    detail: String,
    text: Option<String>,
) -> Result<OutgoingEvent, HandlerError> {
    let detail = ReplySuppressed {
        reason,
        tweet_id: m.twitter.tweet_id.clone(),
        user_id: m.twitter.user_id.clone(),
        author: m.author.clone(),
        detail,
        text,
    };
    event(detail_type::REPLY_SUPPRESSED, detail, &m.twitter.tweet_id)
}

fn event<T: serde::Serialize>(
    detail_type: &str,
    detail: T,
    tweet_id: &str,
) -> Result<OutgoingEvent, HandlerError> {
    Ok(OutgoingEvent::new(source::RESPONDING, detail_type, detail)
        .map_err(HandlerError::invalid_input)?
        .with_resources([tweet_id.to_string()]))
}
