//! The ingress Lambda's wiring: configuration from the environment, and API Gateway / Function URL
//! requests translated to and from the core's [`Ingress`].

use std::sync::Arc;
use std::time::Duration;

use lambda_http::{Body, Request, RequestExt, Response};
use starling_core::acl::AclConfig;
use starling_core::ingress::{DEFAULT_MAX_BODY_BYTES, Ingress, IngressConfig, IngressRequest};
use starling_core::publish::RetryPolicy;
use starling_core::secrets::CachedSecrets;

use crate::{ConfigError, Env, EventBridgePublisher, SecretsManagerSecrets};

/// The ingress Lambda's settings, read from its environment.
#[derive(Debug, Clone)]
pub struct IngressSettings {
    /// `SECRET_ARN`: the Secrets Manager secret with the X credentials.
    pub secret_arn: String,
    /// `EVENT_BUS_NAME`: the bus events go to.
    pub event_bus_name: String,
    /// `SECRET_TTL_SECONDS` (default 300): how long the secret is cached.
    pub secret_ttl: Duration,
    /// Everything else the handler needs.
    pub ingress: IngressConfig,
    /// `DEDUP_TABLE` (optional, set by the CDK app): the DynamoDB table (key `IdempotencyKey`)
    /// in which each activity item is claimed, so a redelivered webhook is published once.
    pub dedup_table: Option<String>,
}

impl IngressSettings {
    /// Reads `SECRET_ARN`, `EVENT_BUS_NAME`, `BOT_USER_ID` (required), `MAX_BODY_BYTES`,
    /// `SECRET_TTL_SECONDS`, `INCLUDE_RETWEETS` (optional).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            secret_arn: env.required(
                "SECRET_ARN",
                "the Secrets Manager secret holding the X credentials",
            )?,
            event_bus_name: env
                .required("EVENT_BUS_NAME", "the EventBridge bus to put events on")?,
            secret_ttl: Duration::from_secs(env.parsed("SECRET_TTL_SECONDS", 300u64)?),
            ingress: IngressConfig {
                acl: AclConfig {
                    bot_user_id: Some(env.required(
                        "BOT_USER_ID",
                        "the bot's X user id, so it never answers itself",
                    )?),
                    include_retweets: env.parsed("INCLUDE_RETWEETS", false)?,
                    bot_username: env.get("BOT_USERNAME").map(str::to_string),
                    source: starling_contracts::MessageSource::Webhook,
                },
                max_body_bytes: env.parsed("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?,
                retry: RetryPolicy::default(),
            },
            dedup_table: env
                .get("DEDUP_TABLE")
                .filter(|t| !t.trim().is_empty())
                .map(str::to_string),
        })
    }

    /// Builds the handler with EventBridge and a cached Secrets Manager secret.
    pub fn build(self, sdk: &aws_config::SdkConfig) -> Ingress {
        let publisher = EventBridgePublisher::new(sdk, &self.event_bus_name);
        let secrets = CachedSecrets::new(
            SecretsManagerSecrets::new(sdk, &self.secret_arn),
            self.secret_ttl,
        );
        let ingress = Ingress::new(Arc::new(publisher), Arc::new(secrets), self.ingress);
        match self.dedup_table {
            Some(table) => ingress.with_dedup(Arc::new(crate::DynamoIdempotency::new(sdk, table))),
            None => ingress,
        }
    }
}

/// Answers one API Gateway (REST or HTTP API) or Function URL request.
pub async fn handle_http(
    ingress: &Ingress,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let params = request.query_string_parameters();
    let crc_token = params.first("crc_token");
    let body: &[u8] = request.body().as_ref();
    let answer = ingress
        .handle(IngressRequest {
            method: request.method(),
            crc_token,
            headers: request.headers(),
            body,
        })
        .await;
    Ok(Response::builder()
        .status(answer.status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(answer.body))?)
}
