//! The egress Lambda's wiring: settings from the environment, the X API with credentials from
//! Secrets Manager (cached), images from S3, idempotency in DynamoDB, outcomes on EventBridge.
//!
//! Time: an attempt is cut off at [`EgressConfig::attempt_deadline`] (120 s), the Lambda's timeout
//! is 150 s (the CDK app), and a claim's lease 180 s, so a claim is never taken over from a live
//! attempt.
//!
//! Rate limits: a 429 whose reset is within 10 s is waited out in-process; a later one is handed
//! to EventBridge Scheduler as a one-time schedule that puts the SEND_TWEET back on the bus at
//! X's reset ([`DeferringEgress`]), so it neither spends Lambda's async retries nor lands in the
//! DLQ while X's window is closed.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use starling_contracts::{OutgoingEvent, SendTweet, detail_type, source};
use starling_core::egress::{DryRunPoster, Egress, EgressConfig, EgressError, XApiPoster};
use starling_core::handler::{DetailHandler, HandlerError};
use starling_core::ports::{SystemClock, XPoster};
use starling_core::secrets::CachedSecrets;
use starling_x::api::{XApi, XApiConfig};

use crate::{ConfigError, DynamoIdempotency, Env, EventBridgePublisher, SecretsManagerSecrets};

/// The egress Lambda's settings.
#[derive(Debug, Clone)]
pub struct EgressSettings {
    /// `SECRET_ARN`: the X credentials.
    pub secret_arn: String,
    /// `EVENT_BUS_NAME`: where TWEET_SENT / TWEET_FAILED go.
    pub event_bus_name: String,
    /// `MEDIA_BUCKET`: where the images to attach are.
    pub media_bucket: String,
    /// `IDEMPOTENCY_TABLE`: one item per IdempotencyKey.
    pub idempotency_table: String,
    /// `BOT_USER_ID`: the bot's X user id, whose own posts egress reads after an attempt whose
    /// answer was lost (to record the reply instead of posting it twice).
    pub bot_user_id: String,
    /// `X_API_BASE` / `X_UPLOAD_BASE` (default `https://api.x.com`), `X_TIMEOUT_SECONDS` (10).
    pub x_api: XApiConfig,
    /// `SECRET_TTL_SECONDS` (300).
    pub secret_ttl: Duration,
    /// `ATTEMPT_DEADLINE_SECONDS` (120) and `LEASE_SECONDS` (180): one attempt's cut-off and a
    /// claim's lease; keep the Lambda timeout between them.
    pub attempt_deadline: Duration,
    /// See `attempt_deadline`.
    pub lease: Duration,
    /// `EVENT_BUS_ARN` and `DEFER_ROLE_ARN` (optional, both or neither): a SEND_TWEET that X
    /// rate-limits past the in-process wait is put back on the bus at X's reset by a one-time
    /// EventBridge Scheduler schedule (run as that role) instead of failing.
    pub defer: Option<DeferSettings>,
    /// `DRY_RUN` (`false`): log replies instead of posting them, publish REPLY_SUPPRESSED
    /// `dry-run` (with the text, so it reaches the lake) instead of TWEET_SENT.
    pub dry_run: bool,
}

impl EgressSettings {
    /// Reads the settings, naming any missing or invalid variable.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = XApiConfig::default();
        let defaults_egress = EgressConfig::default();
        Ok(Self {
            secret_arn: env.required(
                "SECRET_ARN",
                "the Secrets Manager secret holding the X credentials",
            )?,
            event_bus_name: env.required(
                "EVENT_BUS_NAME",
                "the EventBridge bus for TWEET_SENT/TWEET_FAILED",
            )?,
            media_bucket: env
                .required("MEDIA_BUCKET", "the bucket holding the images to attach")?,
            idempotency_table: env.required(
                "IDEMPOTENCY_TABLE",
                "the DynamoDB table keyed by IdempotencyKey",
            )?,
            bot_user_id: env.required(
                "BOT_USER_ID",
                "the bot's X user id (digits), to find its own replies",
            )?,
            x_api: XApiConfig {
                api_base: env
                    .get("X_API_BASE")
                    .map(str::to_string)
                    .unwrap_or(defaults.api_base),
                upload_base: env
                    .get("X_UPLOAD_BASE")
                    .map(str::to_string)
                    .unwrap_or(defaults.upload_base),
                timeout: Duration::from_secs(env.parsed("X_TIMEOUT_SECONDS", 10u64)?),
            },
            secret_ttl: Duration::from_secs(env.parsed("SECRET_TTL_SECONDS", 300u64)?),
            attempt_deadline: Duration::from_secs(env.parsed(
                "ATTEMPT_DEADLINE_SECONDS",
                defaults_egress.attempt_deadline.as_secs(),
            )?),
            lease: Duration::from_secs(
                env.parsed("LEASE_SECONDS", defaults_egress.lease.as_secs())?,
            ),
            defer: match (env.get("EVENT_BUS_ARN"), env.get("DEFER_ROLE_ARN")) {
                (Some(bus), Some(role)) if !bus.is_empty() && !role.is_empty() => {
                    Some(DeferSettings {
                        event_bus_arn: bus.to_string(),
                        role_arn: role.to_string(),
                    })
                }
                _ => None,
            },
            dry_run: env.parsed("DRY_RUN", false)?,
        })
    }
}

/// Where a rate-limited SEND_TWEET is put back at X's reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferSettings {
    /// `EVENT_BUS_ARN`: the bus the SEND_TWEET goes back to.
    pub event_bus_arn: String,
    /// `DEFER_ROLE_ARN`: the role EventBridge Scheduler puts it as (PutEvents as
    /// `starling.responding` on that bus only).
    pub role_arn: String,
}

/// Puts a SEND_TWEET back on the bus at a given time: a one-time EventBridge Scheduler schedule
/// (`at(...)`, deleted after it ran) whose target is the bus, with the SEND_TWEET's source and
/// detail-type, so the egress rule delivers it again then.
#[derive(Debug, Clone)]
pub struct SchedulerDeferrer {
    client: aws_sdk_scheduler::Client,
    settings: DeferSettings,
}

impl SchedulerDeferrer {
    /// A deferrer over EventBridge Scheduler.
    pub fn new(sdk: &aws_config::SdkConfig, settings: DeferSettings) -> Self {
        Self {
            client: aws_sdk_scheduler::Client::new(sdk),
            settings,
        }
    }

    /// The schedule's name: the key and the time, so a retried invocation asks for the same
    /// schedule (and finds it: ConflictException is success) instead of a second one.
    pub fn schedule_name(key: &str, at: DateTime<Utc>) -> String {
        let safe: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let tail: String = safe
            .chars()
            .rev()
            .take(36)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("starling-egress-{tail}-{}", at.timestamp())
    }

    /// Schedules `send` to be put on the bus again at `at`; returns the schedule's name.
    pub async fn defer(&self, send: &SendTweet, at: DateTime<Utc>) -> Result<String, String> {
        use aws_sdk_scheduler::types::{
            ActionAfterCompletion, EventBridgeParameters, FlexibleTimeWindow,
            FlexibleTimeWindowMode, RetryPolicy, Target,
        };
        let name = Self::schedule_name(&send.idempotency_key, at);
        let detail = serde_json::to_string(send).map_err(|e| e.to_string())?;
        let target = Target::builder()
            .arn(&self.settings.event_bus_arn)
            .role_arn(&self.settings.role_arn)
            .input(detail)
            .event_bridge_parameters(
                EventBridgeParameters::builder()
                    .source(source::RESPONDING)
                    .detail_type(detail_type::SEND_TWEET)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(3)
                    .maximum_event_age_in_seconds(3600)
                    .build(),
            )
            .build()
            .map_err(|e| e.to_string())?;
        let created = self
            .client
            .create_schedule()
            .name(&name)
            .description(format!(
                "SEND_TWEET {} deferred to X's rate-limit reset",
                send.idempotency_key
            ))
            .schedule_expression(format!("at({})", at.format("%Y-%m-%dT%H:%M:%S")))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match created {
            Ok(_) => Ok(name),
            Err(e) => match e.as_service_error() {
                // The same deferral asked for again (a retried invocation): it exists, fine.
                Some(se) if se.is_conflict_exception() => Ok(name),
                Some(se) => Err(format!(
                    "Scheduler CreateSchedule: {}: {}",
                    se.meta().code().unwrap_or("Unknown"),
                    se.meta().message().unwrap_or_default()
                )),
                None => {
                    Err("Scheduler CreateSchedule: could not reach EventBridge Scheduler".into())
                }
            },
        }
    }
}

/// The egress Lambda's handler: [`Egress`], and a rate limit longer than the in-process wait
/// deferred to X's reset through [`SchedulerDeferrer`] (when configured) instead of failing into
/// Lambda's two async retries and the DLQ.
pub struct DeferringEgress {
    egress: Egress,
    deferrer: Option<SchedulerDeferrer>,
}

impl DeferringEgress {
    /// `egress`, deferring with `deferrer` when given.
    pub fn new(egress: Egress, deferrer: Option<SchedulerDeferrer>) -> Self {
        Self { egress, deferrer }
    }
}

#[async_trait::async_trait]
impl DetailHandler for DeferringEgress {
    type Detail = SendTweet;

    fn detail_type(&self) -> &'static str {
        detail_type::SEND_TWEET
    }

    async fn handle(&self, send: SendTweet) -> Result<Vec<OutgoingEvent>, HandlerError> {
        match self.egress.handle(&send).await {
            Ok(event) => Ok(vec![event]),
            Err(EgressError::RateLimited {
                retry_after: Some(until),
            }) if self.deferrer.is_some() => {
                let Some(deferrer) = &self.deferrer else {
                    return Err(HandlerError::unavailable("no deferrer"));
                };
                let name = deferrer
                    .defer(&send, until)
                    .await
                    .map_err(HandlerError::unavailable)?;
                tracing::info!(
                    key = send.idempotency_key,
                    until = %until,
                    schedule = name,
                    "X rate limit: SEND_TWEET deferred to the reset"
                );
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// What posts on X as the bot from a Lambda: X API v2 with the credentials in the secret at
/// `secret_arn` (cached for `secret_ttl`), or, in a dry run, [`DryRunPoster`] (X never called).
pub fn x_poster(
    sdk: &aws_config::SdkConfig,
    secret_arn: &str,
    secret_ttl: Duration,
    x_api: XApiConfig,
    bot_user_id: String,
    dry_run: bool,
) -> Arc<dyn XPoster> {
    if dry_run {
        return Arc::new(DryRunPoster::default());
    }
    Arc::new(XApiPoster::new(
        XApi::new(x_api),
        CachedSecrets::new(SecretsManagerSecrets::new(sdk, secret_arn), secret_ttl),
        bot_user_id,
    ))
}

/// The egress handler with its AWS adapters (X with credentials from Secrets Manager, cached;
/// images from S3; claims in DynamoDB), and the bus TWEET_SENT / TWEET_FAILED go to.
pub fn egress(
    settings: EgressSettings,
    sdk: &aws_config::SdkConfig,
) -> (DeferringEgress, EventBridgePublisher) {
    let deferrer = settings
        .defer
        .clone()
        .map(|d| SchedulerDeferrer::new(sdk, d));
    let x = x_poster(
        sdk,
        &settings.secret_arn,
        settings.secret_ttl,
        settings.x_api,
        settings.bot_user_id,
        settings.dry_run,
    );
    let egress = Egress::new(
        x,
        Arc::new(crate::S3BlobStore::new(sdk, &settings.media_bucket)),
        Arc::new(DynamoIdempotency::new(sdk, &settings.idempotency_table)),
        Arc::new(SystemClock),
        EgressConfig {
            dry_run: settings.dry_run,
            attempt_deadline: settings.attempt_deadline,
            lease: settings.lease,
            ..EgressConfig::default()
        },
    );
    (
        DeferringEgress::new(egress, deferrer),
        EventBridgePublisher::new(sdk, &settings.event_bus_name),
    )
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
            ("MEDIA_BUCKET", "media"),
            ("IDEMPOTENCY_TABLE", "starling-idempotency"),
            ("BOT_USER_ID", "1234"),
        ];
        assert_eq!(
            EgressSettings::from_env(&Env::from_pairs(full))
                .unwrap()
                .defer,
            None
        );
        assert!(EgressSettings::from_env(&Env::from_pairs(full)).is_ok());
        crate::config::assert_each_variable_is_required(&full, EgressSettings::from_env);
    }
}
