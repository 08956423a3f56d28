//! The poll-mentions Lambda's wiring: on each scheduled invocation (EventBridge Scheduler, every
//! minute by default) one poll of the bot's mentions onto EventBridge, through the webhook's own
//! redelivery claims (`DEDUP_TABLE`), with the checkpoint in DynamoDB (`CHECKPOINT_TABLE`).
//! An invocation whose payload is `{"search": "QUERY"}` (the search schedule's input) polls that
//! keyword search instead (`GET /2/tweets/search/recent`, checkpoint `search:QUERY`): its posts
//! carry `Source: search`, so the reply policy never answers them.
//!
//! A 429 is remembered in the checkpoint table (`mentions:not-before`, `search:not-before`):
//! invocations before X's reset return at once without calling X. A refusal (401/403) fails the
//! invocation with X's words (`Starling.InvalidInput`), so the Lambda's error metric shows it;
//! anything else is `Starling.Unavailable` and the next schedule tries again from the same
//! checkpoint.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use starling_core::acl::AclConfig;
use starling_core::handler::HandlerError;
use starling_core::ingress::Intake;
use starling_core::ports::Secrets;
use starling_core::ports::{Clock, SystemClock};
use starling_core::publish::RetryPolicy;
use starling_core::secrets::CachedSecrets;
use starling_core::sources::{
    CheckpointStore, PollError, PollerConfig, PostPoller, XApiMentions, XApiSearch,
};
use starling_x::api::{XApi, XApiConfig};

use crate::{
    ConfigError, DynamoCheckpoints, DynamoIdempotency, Env, EventBridgePublisher,
    SecretsManagerSecrets, TaskError,
};

/// The checkpoint-table key that holds X's rate-limit reset for the mentions read.
pub const NOT_BEFORE: &str = "mentions:not-before";
/// The checkpoint-table key that holds X's rate-limit reset for the search read (one limit for
/// every query).
pub const SEARCH_NOT_BEFORE: &str = "search:not-before";

/// The poll-mentions Lambda's settings.
#[derive(Debug, Clone)]
pub struct PollMentionsSettings {
    /// `SECRET_ARN`: the X credentials (the bot's user credentials sign the read).
    pub secret_arn: String,
    /// `EVENT_BUS_NAME`: where TWITTER_TWEETED and MESSAGE_RECEIVED go.
    pub event_bus_name: String,
    /// `BOT_USER_ID`: whose mentions are read.
    pub bot_user_id: String,
    /// `BOT_USERNAME` (optional): recognises mentions X gave no id for.
    pub bot_username: Option<String>,
    /// `CHECKPOINT_TABLE`: the sources' checkpoints (key `Source`).
    pub checkpoint_table: String,
    /// `DEDUP_TABLE` (optional): the webhook's redelivery claims, so a post that came both ways
    /// is one post.
    pub dedup_table: Option<String>,
    /// `X_API_BASE` (default `https://api.x.com`), `X_TIMEOUT_SECONDS` (10).
    pub x_api: XApiConfig,
    /// `SECRET_TTL_SECONDS` (300).
    pub secret_ttl: Duration,
    /// `FIRST_WINDOW_SECONDS` (900): how far back a first poll (no checkpoint) reads.
    pub first_window: Duration,
}

impl PollMentionsSettings {
    /// Reads the settings, naming any missing or invalid variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            secret_arn: env.required(
                "SECRET_ARN",
                "the Secrets Manager secret holding the X credentials",
            )?,
            event_bus_name: env
                .required("EVENT_BUS_NAME", "the EventBridge bus to put events on")?,
            bot_user_id: env.required(
                "BOT_USER_ID",
                "the bot's X user id, whose mentions are read",
            )?,
            bot_username: env.get("BOT_USERNAME").map(str::to_string),
            checkpoint_table: env.required(
                "CHECKPOINT_TABLE",
                "the DynamoDB table keyed by Source holding how far each source has read",
            )?,
            dedup_table: env
                .get("DEDUP_TABLE")
                .filter(|t| !t.trim().is_empty())
                .map(str::to_string),
            x_api: env.x_api()?,
            secret_ttl: Duration::from_secs(env.parsed("SECRET_TTL_SECONDS", 300u64)?),
            first_window: Duration::from_secs(env.parsed("FIRST_WINDOW_SECONDS", 900u64)?),
        })
    }
}

/// One scheduled poll, with the rate-limit memory across invocations.
pub struct PollMentions {
    mentions: PostPoller,
    search: SearchParts,
    checkpoints: Arc<dyn CheckpointStore>,
    clock: Arc<dyn Clock>,
}

/// What a search poll is built from at each invocation (the query comes with it).
struct SearchParts {
    api: XApi,
    secrets: Arc<dyn Secrets>,
    intake: Intake,
    acl: AclConfig,
    config: PollerConfig,
}

impl SearchParts {
    fn poller(
        &self,
        query: &str,
        checkpoints: Arc<dyn CheckpointStore>,
        clock: Arc<dyn Clock>,
    ) -> PostPoller {
        PostPoller::new(
            Arc::new(XApiSearch::new(
                self.api.clone(),
                self.secrets.clone(),
                query,
            )),
            self.intake.clone(),
            checkpoints,
            self.acl.clone(),
            clock,
            self.config.clone(),
        )
        .for_search(query)
    }
}

impl PollMentions {
    /// The poller over AWS: X with credentials from Secrets Manager (cached), EventBridge, the
    /// claims and checkpoints in DynamoDB.
    pub fn new(settings: PollMentionsSettings, sdk: &aws_config::SdkConfig) -> Self {
        let secrets: Arc<dyn Secrets> = Arc::new(CachedSecrets::new(
            SecretsManagerSecrets::new(sdk, &settings.secret_arn),
            settings.secret_ttl,
        ));
        let mut intake = Intake::new(
            Arc::new(EventBridgePublisher::new(sdk, &settings.event_bus_name)),
            RetryPolicy::default(),
        );
        if let Some(table) = &settings.dedup_table {
            intake = intake.with_dedup(Arc::new(DynamoIdempotency::new(sdk, table)));
        }
        let checkpoints: Arc<dyn CheckpointStore> =
            Arc::new(DynamoCheckpoints::new(sdk, &settings.checkpoint_table));
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let api = XApi::new(settings.x_api);
        let acl = AclConfig {
            bot_user_id: Some(settings.bot_user_id.clone()),
            include_retweets: false,
            bot_username: settings.bot_username,
            source: starling_contracts::MessageSource::Mentions,
        };
        let config = PollerConfig {
            first_window: settings.first_window,
            ..PollerConfig::default()
        };
        let mentions = PostPoller::new(
            Arc::new(XApiMentions::new(
                api.clone(),
                secrets.clone(),
                settings.bot_user_id,
            )),
            intake.clone(),
            checkpoints.clone(),
            acl.clone(),
            clock.clone(),
            config.clone(),
        );
        Self {
            mentions,
            search: SearchParts {
                api,
                secrets,
                intake,
                acl,
                config,
            },
            checkpoints,
            clock,
        }
    }

    /// One invocation: a poll of the mentions, or of the search the payload names
    /// (`{"search": "QUERY"}`), unless X's rate limit for that read has not reset yet.
    pub async fn handle(&self, payload: &Value) -> Result<Value, TaskError> {
        let query = match payload.get("search") {
            None | Some(Value::Null) => None,
            Some(Value::String(q)) if !q.trim().is_empty() => Some(q.trim()),
            Some(other) => {
                return Err(HandlerError::invalid_input(format!(
                    "`search` must be a non-empty X search query, got {other}"
                ))
                .into());
            }
        };
        let searcher;
        let (poller, not_before_key, what) = match query {
            None => (&self.mentions, NOT_BEFORE, "mentions"),
            Some(q) => {
                searcher = self
                    .search
                    .poller(q, self.checkpoints.clone(), self.clock.clone());
                (&searcher, SEARCH_NOT_BEFORE, "search")
            }
        };
        let now = self.clock.now();
        let not_before = self
            .checkpoints
            .load(not_before_key)
            .await
            .map_err(TaskError::unavailable)?
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        if let Some(until) = not_before.filter(|until| now < *until) {
            return Ok(json!({"skipped": "rate limited", "until": until.to_rfc3339()}));
        }
        match poller.poll_once().await {
            Ok(report) => Ok(json!({
                "source": what,
                "posts": report.posts,
                "pages": report.pages,
                "published": report.intake.published,
                "duplicates": report.intake.duplicates,
                "checkpoint": report.checkpoint,
            })),
            Err(PollError::RateLimited { until }) => {
                let until = until.unwrap_or(now + chrono::TimeDelta::minutes(15));
                self.checkpoints
                    .save(not_before_key, &until.to_rfc3339())
                    .await
                    .map_err(TaskError::unavailable)?;
                tracing::warn!(until = %until, read = what, "X rate limit: no poll of this read before the reset");
                Ok(json!({"rateLimitedUntil": until.to_rfc3339()}))
            }
            Err(e @ PollError::Refused(_)) => Err(HandlerError::invalid_input(e).into()),
            Err(e @ PollError::Unavailable(_)) => Err(TaskError::unavailable(e)),
        }
    }
}

/// Serves scheduled invocations (any payload) until the environment shuts down.
pub async fn run(poll: PollMentions) -> Result<(), lambda_runtime::Error> {
    let poll = &poll;
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<Value>| async move { poll.handle(&event.payload).await },
    ))
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_required_variable_is_named_when_missing() {
        let full = [
            (
                "SECRET_ARN",
                "arn:aws:secretsmanager:eu-west-1:1:secret:TwitterSecret",
            ),
            ("EVENT_BUS_NAME", "Plumbing"),
            ("BOT_USER_ID", "1234"),
            ("CHECKPOINT_TABLE", "starling-source-checkpoints"),
        ];
        let settings = PollMentionsSettings::from_env(&Env::from_pairs(full)).unwrap();
        assert_eq!(settings.first_window, Duration::from_secs(900));
        assert_eq!(settings.dedup_table, None);
        crate::config::assert_each_variable_is_required(&full, PollMentionsSettings::from_env);
    }
}
