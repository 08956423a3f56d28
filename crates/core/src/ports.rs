//! The ports: small traits named for what the core needs. Implementations live in
//! `starling-aws` (the AWS SDK) and `starling-local` (one machine).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use starling_contracts::OutgoingEvent;

/// Publishes events to the bus. Implemented by EventBridge on AWS and the SQLite log locally.
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Puts up to 10 entries (256 KB in all); reports the entries the bus did not accept.
    async fn put(&self, events: &[OutgoingEvent]) -> Result<PutOutcome, PublishError>;
}

/// What a put did: the entries the bus refused (by index into the request), the rest were accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PutOutcome {
    /// Refused entries; empty when all were accepted.
    pub failed: Vec<FailedEntry>,
}

/// One entry the bus refused.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedEntry {
    /// Index of the entry in the request.
    pub index: usize,
    /// The bus's error code, e.g. `ThrottlingException`.
    pub code: String,
    /// The bus's message.
    pub message: String,
}

/// The whole put failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PublishError {
    /// The bus could not be reached or answered with a server error; retrying may help.
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    /// The bus rejected the request itself (e.g. no such bus, access denied).
    #[error("event bus rejected the request: {0}")]
    Rejected(String),
}

/// Reads Starling's X credentials. Secrets Manager on AWS, the environment locally.
#[async_trait]
pub trait Secrets: Send + Sync {
    /// The X app and user credentials.
    async fn x_credentials(&self) -> Result<XCredentials, SecretsError>;
}

/// Why the credentials could not be read. Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecretsError {
    /// The store could not be reached, or refused access.
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
    /// The secret exists but is not the expected JSON.
    #[error("secret {name} is malformed: {reason}")]
    Malformed {
        /// The secret's name or ARN.
        name: String,
        /// What is wrong, without the value.
        reason: String,
    },
}

/// X credentials, stored as one JSON secret `{ApiKey, ApiSecret, AccessToken, AccessTokenSecret}`.
/// `ApiSecret` is the consumer secret that signs webhooks. `Debug` never prints the values.
#[derive(Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct XCredentials {
    /// Consumer (API) key.
    pub api_key: String,
    /// Consumer (API) secret: signs webhook CRCs and deliveries, and OAuth 1.0a requests.
    pub api_secret: String,
    /// The bot account's access token (empty when only the webhook is served).
    #[serde(default)]
    pub access_token: String,
    /// The bot account's access token secret.
    #[serde(default)]
    pub access_token_secret: String,
}

impl std::fmt::Debug for XCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XCredentials")
            .field("api_key", &"<redacted>")
            .field("api_secret", &"<redacted>")
            .field("access_token", &"<redacted>")
            .field("access_token_secret", &"<redacted>")
            .finish()
    }
}

impl XCredentials {
    /// Parses the secret's JSON, naming the secret (never its value) on error.
    pub fn from_json(name: &str, json: &str) -> Result<Self, SecretsError> {
        let creds: Self = serde_json::from_str(json).map_err(|e| SecretsError::Malformed {
            name: name.into(),
            // serde's message may quote the offending value; keep only its position.
            reason: format!("not the expected JSON object (line {}, column {})", e.line(), e.column()),
        })?;
        if creds.api_secret.is_empty() {
            return Err(SecretsError::Malformed { name: name.into(), reason: "ApiSecret is empty".into() });
        }
        Ok(creds)
    }

    /// Whether user-context credentials are present (needed to post on X).
    pub fn can_post(&self) -> bool {
        !self.api_key.is_empty() && !self.access_token.is_empty() && !self.access_token_secret.is_empty()
    }
}

/// The time, for handlers that stamp or expire things.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_never_shows_values() {
        let c = XCredentials::from_json(
            "TwitterSecret",
            r#"{"ApiKey":"k-123","ApiSecret":"s-456","AccessToken":"t-789","AccessTokenSecret":"ts-0"}"#,
        )
        .unwrap();
        let shown = format!("{c:?}");
        for v in ["k-123", "s-456", "t-789", "ts-0"] {
            assert!(!shown.contains(v), "{shown}");
        }
        assert!(c.can_post());
    }

    #[test]
    fn malformed_secret_error_names_the_secret_not_the_value() {
        let err = XCredentials::from_json("TwitterSecret", r#"{"ApiKey": "leak-me", "ApiSecret": 5}"#).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("TwitterSecret"), "{msg}");
        assert!(!msg.contains("leak-me"), "{msg}");
        let empty = XCredentials::from_json("S", r#"{"ApiKey": "k", "ApiSecret": ""}"#).unwrap_err();
        assert!(empty.to_string().contains("ApiSecret is empty"));
    }
}
