//! The lex-fulfilment Lambda's wiring: the optional remote sources of jokes and facts from the
//! environment, and the code hook answering Lex V2 events.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use starling_core::handler::HandlerError;
use starling_core::responding::fulfilment::{Fulfilment, FulfilmentError};
use starling_core::responding::remote::{MAX_REMOTE_TIMEOUT, RemoteAnswers};
use starling_http::ReqwestFetcher;

use crate::{ConfigError, Env, TaskError};

/// The bot's code hook: the shipped answers, a remote source tried first when configured.
pub struct CodeHook {
    fulfilment: Fulfilment,
    remote: RemoteAnswers,
}

impl CodeHook {
    /// The hook for `settings`; fails only when the shipped bot data is unreadable.
    pub fn new(settings: FulfilmentSettings) -> Result<Self, FulfilmentError> {
        let remote = RemoteAnswers::new(
            Arc::new(ReqwestFetcher::new(settings.timeout)),
            settings.joke_url,
            settings.fact_url,
            settings.timeout,
        );
        Ok(Self {
            fulfilment: Fulfilment::shipped()?,
            remote,
        })
    }

    /// Answers one Lex V2 event in Lex's response shape.
    pub async fn handle(&self, event: Value) -> Result<Value, TaskError> {
        self.fulfilment
            .handle_with_remote(event, &self.remote)
            .await
            .map_err(|e| HandlerError::from(e).into())
    }
}

/// Where remote answers come from; both URLs unset (the default) means the curated lists only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfilmentSettings {
    /// `JOKE_SOURCE_URL`: GET for a joke (JSON `joke`/`text`/`value`/`setup`+`punchline`, or text).
    pub joke_url: Option<String>,
    /// `FACT_SOURCE_URL`: GET for a fact (same shapes).
    pub fact_url: Option<String>,
    /// `REMOTE_TIMEOUT_MS` (1–700, default 700).
    pub timeout: Duration,
}

impl FulfilmentSettings {
    /// Reads the settings, naming an invalid variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let max = u64::try_from(MAX_REMOTE_TIMEOUT.as_millis()).unwrap_or(700);
        let timeout_ms: u64 = env.parsed("REMOTE_TIMEOUT_MS", max)?;
        if timeout_ms == 0 || timeout_ms > max {
            return Err(ConfigError::Invalid {
                name: "REMOTE_TIMEOUT_MS",
                value: timeout_ms.to_string(),
                reason: format!("between 1 and {max} milliseconds"),
            });
        }
        let url = |name: &'static str| -> Result<Option<String>, ConfigError> {
            match env.get(name) {
                None => Ok(None),
                Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                    Ok(Some(u.to_string()))
                }
                Some(u) => Err(ConfigError::Invalid {
                    name,
                    value: u.to_string(),
                    reason: "an http(s) URL".into(),
                }),
            }
        };
        Ok(Self {
            joke_url: url("JOKE_SOURCE_URL")?,
            fact_url: url("FACT_SOURCE_URL")?,
            timeout: Duration::from_millis(timeout_ms),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_with_the_longest_timeout() {
        let s = FulfilmentSettings::from_env(&Env::default()).unwrap();
        assert_eq!(
            s,
            FulfilmentSettings {
                joke_url: None,
                fact_url: None,
                timeout: Duration::from_millis(700)
            }
        );
    }

    #[test]
    fn urls_and_timeout_are_read_and_checked() {
        let s = FulfilmentSettings::from_env(&Env::from_pairs([
            ("JOKE_SOURCE_URL", "https://icanhazdadjoke.com/"),
            ("REMOTE_TIMEOUT_MS", "250"),
        ]))
        .unwrap();
        assert_eq!(s.joke_url.as_deref(), Some("https://icanhazdadjoke.com/"));
        assert_eq!(s.fact_url, None);
        assert_eq!(s.timeout, Duration::from_millis(250));
        for (k, v) in [
            ("REMOTE_TIMEOUT_MS", "701"),
            ("REMOTE_TIMEOUT_MS", "0"),
            ("FACT_SOURCE_URL", "ftp://x"),
        ] {
            let err = FulfilmentSettings::from_env(&Env::from_pairs([(k, v)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(k), "{err}");
        }
    }
}
