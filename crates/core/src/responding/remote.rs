//! An optional remote source of jokes and facts for the fulfilment code hook. Off unless a URL is
//! configured; each call is bounded by a timeout of at most [`MAX_REMOTE_TIMEOUT`] (Lex waits for
//! its code hook, and the post should not wait on a joke API), and anything short of a usable
//! answer — a timeout, an error status, an unreadable or over-long body — falls back to the
//! curated list, so the code hook always answers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::bot::{FACT_INTENT, JOKE_INTENT};
use crate::analysis::media::HttpFetcher;

/// The longest a remote answer is waited for.
pub const MAX_REMOTE_TIMEOUT: Duration = Duration::from_millis(700);
/// A remote answer longer than this is not used (a post has 280 weighted characters, and the reply
/// starts with the author's handle).
pub const MAX_REMOTE_ANSWER_CHARS: usize = 240;
/// Bodies are read up to this size.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// JSON fields an answer is read from, in order (`joke`: icanhazdadjoke-style APIs, `text`:
/// fact APIs, `value`: chucknorris.io-style APIs).
const ANSWER_FIELDS: [&str; 4] = ["joke", "fact", "text", "value"];

/// Where remote answers come from.
#[derive(Clone)]
pub struct RemoteAnswers {
    fetcher: Arc<dyn HttpFetcher>,
    joke_url: Option<String>,
    fact_url: Option<String>,
    timeout: Duration,
}

impl std::fmt::Debug for RemoteAnswers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteAnswers")
            .field("joke_url", &self.joke_url)
            .field("fact_url", &self.fact_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RemoteAnswers {
    /// Answers fetched with `fetcher` from the given URLs (either may be absent), each within
    /// `timeout`, capped at [`MAX_REMOTE_TIMEOUT`].
    pub fn new(
        fetcher: Arc<dyn HttpFetcher>,
        joke_url: Option<String>,
        fact_url: Option<String>,
        timeout: Duration,
    ) -> Self {
        Self {
            fetcher,
            joke_url,
            fact_url,
            timeout: timeout.min(MAX_REMOTE_TIMEOUT),
        }
    }

    /// Whether any URL is configured.
    pub fn is_enabled(&self) -> bool {
        self.joke_url.is_some() || self.fact_url.is_some()
    }

    /// The remote answer for `intent`, or `None` (no URL for it, or no usable answer in time).
    pub async fn answer(&self, intent: &str) -> Option<String> {
        let url = match intent {
            JOKE_INTENT => self.joke_url.as_deref(),
            FACT_INTENT => self.fact_url.as_deref(),
            _ => None,
        }?;
        let fetched = match tokio::time::timeout(
            self.timeout,
            self.fetcher.get(url, MAX_BODY_BYTES),
        )
        .await
        {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => {
                tracing::warn!(intent, error = %e, "remote answer failed: the curated list answers");
                return None;
            }
            Err(_) => {
                tracing::warn!(
                    intent,
                    timeout_ms = self.timeout.as_millis() as u64,
                    "remote answer timed out: the curated list answers"
                );
                return None;
            }
        };
        if fetched.status != 200 {
            tracing::warn!(
                intent,
                status = fetched.status,
                "remote answer refused: the curated list answers"
            );
            return None;
        }
        let answer = parse_answer(&fetched.body);
        if answer.is_none() {
            tracing::warn!(intent, "remote answer unusable: the curated list answers");
        }
        answer
    }
}

/// A body's answer: a JSON string, a JSON object's first [`ANSWER_FIELDS`] string (or `setup` +
/// `punchline`), or plain text; trimmed, non-empty, at most [`MAX_REMOTE_ANSWER_CHARS`].
pub fn parse_answer(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let answer = match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) => s,
        Ok(Value::Object(o)) => {
            let field = ANSWER_FIELDS
                .iter()
                .find_map(|f| o.get(*f).and_then(Value::as_str));
            match (field, o.get("setup"), o.get("punchline")) {
                (Some(s), _, _) => s.to_string(),
                (None, Some(Value::String(s)), Some(Value::String(p))) => format!("{s} {p}"),
                _ => return None,
            }
        }
        Ok(_) => return None,
        Err(_) if text.starts_with('<') => return None, // an HTML page, not an answer
        Err(_) => text.to_string(),
    };
    let answer = answer.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = answer.chars().count();
    (chars > 0 && chars <= MAX_REMOTE_ANSWER_CHARS).then_some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_the_common_shapes() {
        assert_eq!(
            parse_answer(br#"{"id":"R7UfaahVfFd","joke":"My dog used to chase people on a bike.","status":200}"#).as_deref(),
            Some("My dog used to chase people on a bike.")
        );
        assert_eq!(
            parse_answer(br#"{"text":"Honey never spoils.","source":"x"}"#).as_deref(),
            Some("Honey never spoils.")
        );
        assert_eq!(
            parse_answer(br#"{"setup":"Why?","punchline":"Because."}"#).as_deref(),
            Some("Why? Because.")
        );
        assert_eq!(
            parse_answer(b"  A plain\n joke.  ").as_deref(),
            Some("A plain joke.")
        );
    }

    #[test]
    fn unusable_bodies_are_refused() {
        assert_eq!(parse_answer(b""), None);
        assert_eq!(parse_answer(b"<!doctype html><html></html>"), None);
        assert_eq!(parse_answer(br#"{"other":"x"}"#), None);
        assert_eq!(parse_answer(b"[1,2]"), None);
        assert_eq!(parse_answer(&[0xff, 0xfe]), None);
        assert_eq!(parse_answer("x".repeat(241).as_bytes()), None);
    }
}
