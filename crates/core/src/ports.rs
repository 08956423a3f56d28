//! The ports: small traits named for what the core needs. Implementations live in
//! `starling-aws` (the AWS SDK) and `starling-local` (one machine).

use std::sync::Arc;

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

/// One store shared by several readers (the poller Lambda's mentions and searches).
#[async_trait]
impl<S: Secrets + ?Sized> Secrets for Arc<S> {
    async fn x_credentials(&self) -> Result<XCredentials, SecretsError> {
        (**self).x_credentials().await
    }
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
            reason: format!(
                "not the expected JSON object (line {}, column {})",
                e.line(),
                e.column()
            ),
        })?;
        if creds.api_secret.is_empty() {
            return Err(SecretsError::Malformed {
                name: name.into(),
                reason: "ApiSecret is empty".into(),
            });
        }
        Ok(creds)
    }

    /// Whether user-context credentials are present (needed to post on X).
    pub fn can_post(&self) -> bool {
        !self.api_key.is_empty()
            && !self.access_token.is_empty()
            && !self.access_token_secret.is_empty()
    }
}

/// Why an analysis call failed. `Throttled` and `Unavailable` are worth retrying.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// The service asked us to slow down.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The service could not be reached or failed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The input was refused (bad image, text too long, unsupported language…).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl AnalysisError {
    /// The class of this failure (the `Starling.*` error the task reports).
    pub fn kind(&self) -> starling_contracts::ErrorKind {
        use starling_contracts::ErrorKind;
        match self {
            Self::Throttled(_) => ErrorKind::Throttled,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::InvalidInput(_) => ErrorKind::InvalidInput,
        }
    }
}

/// The Comprehend operations whose language support differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextOp {
    /// DetectSentiment.
    Sentiment,
    /// DetectEntities.
    Entities,
    /// DetectKeyPhrases.
    KeyPhrases,
}

/// A language a detector found, with its confidence 0–1 (Comprehend's `DominantLanguage`).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedLanguage {
    /// ISO 639-1 (or RFC 5646) code.
    pub code: String,
    /// Confidence 0–1.
    pub score: f64,
}

/// Text analysis, one Comprehend operation per method. Comprehend on AWS, offline models locally.
#[async_trait]
pub trait TextAnalyzer: Send + Sync {
    /// Names the provider in results (`Analysis.Provider`).
    fn provider(&self) -> String;
    /// Whether `op` is available in `language`.
    fn supports(&self, op: TextOp, language: &str) -> bool;
    /// Dominant languages, most likely first.
    async fn detect_language(&self, text: &str) -> Result<Vec<DetectedLanguage>, AnalysisError>;
    /// Sentiment class and scores.
    async fn sentiment(
        &self,
        text: &str,
        language: &str,
    ) -> Result<
        (
            starling_contracts::Sentiment,
            starling_contracts::SentimentScore,
        ),
        AnalysisError,
    >;
    /// Named entities.
    async fn entities(
        &self,
        text: &str,
        language: &str,
    ) -> Result<Vec<starling_contracts::Entity>, AnalysisError>;
    /// Key phrases.
    async fn key_phrases(
        &self,
        text: &str,
        language: &str,
    ) -> Result<Vec<starling_contracts::KeyPhrase>, AnalysisError>;
}

/// Where an image is: a key in the media bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The bucket (a directory locally).
    pub bucket: String,
    /// The object key.
    pub key: String,
}

/// Image analysis, one Rekognition operation per method. Rekognition on AWS, offline models locally.
#[async_trait]
pub trait ImageAnalyzer: Send + Sync {
    /// Names the provider in results (`ImageAnalysis.Provider`).
    fn provider(&self) -> String;
    /// RecognizeCelebrities: celebrity faces and unrecognized faces.
    async fn recognize_celebrities(
        &self,
        image: &ImageRef,
    ) -> Result<
        (
            Vec<starling_contracts::Celebrity>,
            Vec<starling_contracts::ComparedFace>,
        ),
        AnalysisError,
    >;
    /// DetectLabels, at most `max_labels` at or above `min_confidence` (0–100).
    async fn detect_labels(
        &self,
        image: &ImageRef,
        max_labels: u32,
        min_confidence: f64,
    ) -> Result<Vec<starling_contracts::Label>, AnalysisError>;
    /// DetectText.
    async fn detect_text(
        &self,
        image: &ImageRef,
    ) -> Result<Vec<starling_contracts::TextDetection>, AnalysisError>;
    /// Searches the known-faces gallery for each of `faces` (faces no celebrity matched, as
    /// `RecognizeCelebrities` returned them): the closest enrolled person per face, when alike
    /// enough. A provider without a gallery finds no one.
    async fn search_known_faces(
        &self,
        _image: &ImageRef,
        _faces: &[starling_contracts::ComparedFace],
    ) -> Result<Vec<starling_contracts::KnownFace>, AnalysisError> {
        Ok(Vec::new())
    }
    /// Whether this provider's labels can tell which images show text (Rekognition's can: `Text`,
    /// `Sign`, …). When they cannot, `DETECT_TEXT=auto` reads text in every image.
    fn labels_suggest_text(&self) -> bool {
        true
    }
    /// Why labels or text are unavailable from this provider, if they are (said in `ImageAnalysis.Notes`).
    fn limitations(&self) -> Vec<String> {
        Vec::new()
    }
}

/// One person in a known-faces gallery.
#[derive(Debug, Clone, PartialEq)]
pub struct GalleryPerson {
    /// The name replies give them.
    pub name: String,
    /// The gallery's ids of their enrolled faces (Rekognition `FaceId`s, or local ids).
    pub face_ids: Vec<String>,
}

/// One face added to a gallery.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrolledFace {
    /// Its id in the gallery.
    pub face_id: String,
    /// Where the face is in the photo it came from.
    pub bounding_box: starling_contracts::BoundingBox,
}

/// Why a gallery operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GalleryError {
    /// The photo or the name cannot be used (no face found, an unreadable image, an empty name).
    #[error("{0}")]
    InvalidInput(String),
    /// The gallery could not be read or written.
    #[error("face gallery unavailable: {0}")]
    Unavailable(String),
}

/// The known-faces gallery `starling faces` manages: a Rekognition collection on AWS, a file of
/// face embeddings locally.
#[async_trait]
pub trait FaceGallery: Send + Sync {
    /// Names the gallery (the collection, or the local file) for people.
    fn describe(&self) -> String;
    /// Enrols the most prominent face of one photo as `name`.
    async fn add(&self, name: &str, image: &[u8]) -> Result<EnrolledFace, GalleryError>;
    /// Everyone enrolled, by name.
    async fn list(&self) -> Result<Vec<GalleryPerson>, GalleryError>;
    /// Removes every face enrolled as `name`; how many were removed.
    async fn remove(&self, name: &str) -> Result<usize, GalleryError>;
}

/// Why a blob operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BlobError {
    /// No object under that key.
    #[error("no object {0}")]
    NotFound(String),
    /// Storage failed.
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
}

/// Stores media and annotated images. S3 on AWS, a directory locally.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// The bucket name (or directory) images live in, for [`ImageRef`]s.
    fn bucket(&self) -> String;
    /// Writes (or overwrites) an object.
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), BlobError>;
    /// Reads an object.
    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError>;
}

/// An alert for ops: SNS on AWS (subject, message, attributes), a file and a webhook locally.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// A one-line subject (SNS: ASCII, under 100 characters).
    pub subject: String,
    /// The body.
    pub message: String,
    /// Attributes subscribers can filter on: (name, value, is_number).
    pub attributes: Vec<(String, String, bool)>,
}

/// Why an alert could not be sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("alert not sent: {0}")]
pub struct NotifyError(pub String);

/// Sends alerts to ops.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends one alert.
    async fn notify(&self, alert: &Alert) -> Result<(), NotifyError>;
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

/// Why a call to X failed, sorted by what egress does about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XError {
    /// X asked to slow down (429) until `reset_at`, when it said.
    #[error("rate limited by X{}", reset_at.map(|r| format!(" until {r}")).unwrap_or_default())]
    RateLimited {
        /// When the rate-limit window resets.
        reset_at: Option<DateTime<Utc>>,
    },
    /// X refused the request for good (a 4xx other than 429): posting again will not help.
    #[error("X refused the request with {status}: {title}: {detail}")]
    Rejected {
        /// HTTP status (0 when refused before any request, e.g. no user credentials).
        status: u16,
        /// X's problem title.
        title: String,
        /// X's problem detail.
        detail: String,
    },
    /// X or the credentials store could not be reached, or failed: retrying later may help.
    #[error("X unavailable: {0}")]
    Unavailable(String),
    /// The request reached X but its answer did not come back whole (a dropped connection, a
    /// timeout, a 2xx without the new post's id, a 5xx): X may have acted on it. Egress looks on
    /// X before posting again.
    #[error("X's answer was lost; it may have posted: {0}")]
    Uncertain(String),
}

/// Posts on X as the bot: the X API v2 with OAuth 1.0a user context on AWS and locally.
#[async_trait]
pub trait XPoster: Send + Sync {
    /// Uploads an image and returns its media id.
    async fn upload_media(&self, bytes: Vec<u8>, mime: &str) -> Result<String, XError>;
    /// Posts `text` as a reply to `in_reply_to` with the uploaded media and returns the new post id.
    async fn post_reply(
        &self,
        text: &str,
        in_reply_to: &str,
        media_ids: &[String],
    ) -> Result<String, XError>;
    /// The id of a reply the bot posted to `in_reply_to` at or after `since`, if X shows one
    /// (the bot's own recent posts): egress records it instead of posting twice after an
    /// uncertain attempt.
    async fn find_reply(
        &self,
        in_reply_to: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<String>, XError>;
    /// Reposts `post_id` as the bot and returns the repost's id when X gives one. X keeps one
    /// repost per account and post, so repeating it after a lost answer reposts nothing twice.
    async fn repost(&self, post_id: &str) -> Result<Option<String>, XError>;
}

/// What a key's record says when egress tries to claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (or its lease had expired): this delivery posts.
    Claimed,
    /// This delivery holds the key, but an earlier attempt reached the post call at `since` and
    /// never learnt whether X took it (its answer was lost, or the attempt died): look on X for
    /// that reply before posting again.
    ClaimedUncertain {
        /// When the earlier attempt started posting.
        since: DateTime<Utc>,
    },
    /// Another delivery holds the key and its lease has not expired: try again later.
    InProgress,
    /// Already done: the outcome recorded then.
    Done(Completion),
}

/// How a claimed key ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// The reply was posted with this id.
    Sent {
        /// The new post's id.
        tweet_id: String,
    },
    /// X refused the reply for good.
    Failed {
        /// X's error, as TWEET_FAILED reports it.
        error: String,
    },
}

/// What a released claim leaves for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Nothing was posted (the attempt failed before posting, or X said it did not post): the
    /// next claim starts clean.
    NothingPosted,
    /// The attempt may have posted (X's answer was lost): the mark set by
    /// [`IdempotencyStore::mark_uncertain`] stays, and the next claim is
    /// [`Claim::ClaimedUncertain`].
    MaybePosted,
}

/// Why the idempotency store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyError {
    /// The store could not be reached or failed.
    #[error("idempotency store unavailable: {0}")]
    Unavailable(String),
    /// The caller no longer holds the claim on this key: its lease ran out and another delivery
    /// took the key over, or the key was completed. Nothing was changed.
    #[error("the claim on {0} is no longer held by this delivery")]
    NotOwner(String),
}

/// Remembers which SEND_TWEETs were posted, so a redelivery never posts twice. A conditional
/// write on DynamoDB on AWS, SQLite locally.
///
/// Every claim names its `owner`, a token unique to one attempt: only the holder of a claim may
/// mark, complete or release it, so an attempt that outlived its lease cannot settle the claim of
/// the delivery that took the key over ([`IdempotencyError::NotOwner`]).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for `owner` until `lease_until` unless it is done or held by an unexpired
    /// lease.
    async fn claim(
        &self,
        key: &str,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Claim, IdempotencyError>;
    /// Notes, just before the call that cannot be taken back (posting), that from `at` the holder
    /// may leave a post the store does not know of. The mark outlives a lease that runs out (the
    /// attempt died) and a [`Release::MaybePosted`]; only a completion or a
    /// [`Release::NothingPosted`] clears it.
    async fn mark_uncertain(
        &self,
        key: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<(), IdempotencyError>;
    /// Records how a claimed key ended; later claims answer [`Claim::Done`].
    async fn complete(
        &self,
        key: &str,
        owner: &str,
        completion: &Completion,
    ) -> Result<(), IdempotencyError>;
    /// Gives a claimed key back (the attempt failed in a way worth retrying).
    async fn release(&self, key: &str, owner: &str, how: Release) -> Result<(), IdempotencyError>;
}

/// One record of the reply policy's state (an author, a conversation, the budget, a post): its
/// JSON value and its version, for compare-and-set. Version 0 is a key never written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyRecord {
    /// The value; `None` when absent or past its expiry.
    pub value: Option<serde_json::Value>,
    /// The version a write must name to replace it (0: never written).
    pub version: u64,
}

/// One write of an all-or-nothing batch: applies only while `key` is still at `expected_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyWrite {
    /// The record's key.
    pub key: String,
    /// The version read before deciding (0: the key was never written).
    pub expected_version: u64,
    /// The new value.
    pub value: serde_json::Value,
    /// When the record may be forgotten (`None`: kept, e.g. an opt-out).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Why the policy store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reply policy store unavailable: {0}")]
pub struct PolicyStoreError(pub String);

/// Keeps the reply policy's state (opt-outs, cooldowns, counters): DynamoDB (conditional
/// transactions, TTL) on AWS, SQLite locally. Versioned records make every decision one
/// compare-and-set, so two deliveries deciding at once cannot both spend the last reply.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// The records at `keys`, in order; a record past its expiry at `now` reads as no value
    /// (keeping its version, which the next write must name).
    async fn read(
        &self,
        keys: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<PolicyRecord>, PolicyStoreError>;
    /// Applies every write or none. `Ok(false)`: some key moved past its expected version
    /// (another decision won); read again and decide again.
    async fn write_all(&self, writes: &[PolicyWrite]) -> Result<bool, PolicyStoreError>;
}

/// Why the chat bot could not answer. `Throttled` and `Unavailable` are worth retrying.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChatBotError {
    /// The service asked us to slow down.
    #[error("chat bot throttled: {0}")]
    Throttled(String),
    /// The service could not be reached or failed.
    #[error("chat bot unavailable: {0}")]
    Unavailable(String),
    /// The request was refused (bad session id, text too long…) or the bot is misconfigured.
    #[error("chat bot refused the request: {0}")]
    InvalidInput(String),
}

/// A conversational bot. Lex V2 `RecognizeText` on AWS, an intent matcher over the same bot
/// definition locally.
#[async_trait]
pub trait ChatBot: Send + Sync {
    /// Sends `text` in `session_id` and returns the bot's message, or `None` when it says nothing.
    async fn recognize_text(
        &self,
        session_id: &str,
        text: &str,
    ) -> Result<Option<String>, ChatBotError>;
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
        let err =
            XCredentials::from_json("TwitterSecret", r#"{"ApiKey": "leak-me", "ApiSecret": 5}"#)
                .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("TwitterSecret"), "{msg}");
        assert!(!msg.contains("leak-me"), "{msg}");
        let empty =
            XCredentials::from_json("S", r#"{"ApiKey": "k", "ApiSecret": ""}"#).unwrap_err();
        assert!(empty.to_string().contains("ApiSecret is empty"));
    }
}
