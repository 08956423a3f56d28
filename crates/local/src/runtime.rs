//! The local runtime's wiring: which handler each route's target resolves to on one machine.
//! Grows with the handlers; a route with no handler yet waits (its events are kept in the log).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use starling_contracts::{Envelope, MessageAnalysed, OutgoingEvent, SendTweet};
use starling_core::alert::{self, AlertConfig};
use starling_core::egress::{Egress, EgressConfig, XApiPoster};
use starling_core::ports::{ChatBot, EventPublisher, Notifier, SystemClock, XCredentials, XPoster};
use starling_core::publish::{RetryPolicy, publish_all};
use starling_core::responding::reply_text::ReplyText;
use starling_core::secrets::StaticSecrets;
use starling_states::{ExecutionOptions, ExecutionStatus, StateMachine, execute};
use starling_x::api::{XApi, XApiConfig};

use crate::blob::DiskBlobStore;
use crate::bus::{DeliveryError, Target, TargetRegistry, target_fn};
use crate::chatbot::LocalIntentMatcher;
use crate::idempotency::SqliteIdempotency;
use crate::notifier::FileNotifier;
use crate::outbox::OutboxPoster;
use crate::tasks::LocalTasks;

/// The analyse-message definition, the same file CDK deploys.
pub const ANALYSE_MESSAGE_ASL: &str =
    include_str!("../../../statemachines/analyse-message.asl.json");

/// The local values of the definitions' placeholders (statemachines/README.md).
pub fn local_substitutions(data_dir: &Path) -> HashMap<String, String> {
    HashMap::from([
        (
            "AnalyseTextFunctionArn".to_string(),
            "analyse-text".to_string(),
        ),
        (
            "DownloadMediaFunctionArn".to_string(),
            "download-media".to_string(),
        ),
        (
            "AnalyseImageFunctionArn".to_string(),
            "analyse-image".to_string(),
        ),
        (
            "MediaBucket".to_string(),
            data_dir.join("media").display().to_string(),
        ),
        ("EventBusName".to_string(), "Plumbing".to_string()),
    ])
}

/// Puts a handler's outcome on the bus with the shared publishing retries; a refusal that
/// outlasts them fails the delivery so the bus retries it.
async fn publish(bus: &dyn EventPublisher, event: OutgoingEvent) -> Result<(), DeliveryError> {
    publish_all(bus, vec![event], RetryPolicy::default())
        .await
        .map(|_| ())
        .map_err(|e| DeliveryError::Retryable(e.to_string()))
}

/// A route target that runs a state machine per event, as an EventBridge → Step Functions rule does.
pub struct StateMachineTarget {
    name: String,
    machine: StateMachine,
    tasks: LocalTasks,
}

impl StateMachineTarget {
    /// A target running `machine` with `tasks`.
    pub fn new(name: &str, machine: StateMachine, tasks: LocalTasks) -> Self {
        Self {
            name: name.to_string(),
            machine,
            tasks,
        }
    }
}

#[async_trait]
impl Target for StateMachineTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let input =
            serde_json::to_value(event).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let options = ExecutionOptions {
            execution_name: Some(event.id.clone()),
            state_machine_name: self.name.clone(),
            record_history: false,
            ..Default::default()
        };
        let result = execute(&self.machine, input, &self.tasks, &options).await;
        match result.status {
            ExecutionStatus::Succeeded => Ok(()),
            // The definition catches every stage failure and publishes it; an execution that still
            // fails could not publish at all, so the bus retries it (and dead-letters it at the end).
            _ => Err(DeliveryError::Retryable(format!(
                "{} failed: {}: {}",
                self.name,
                result.error.unwrap_or_default(),
                result.cause.unwrap_or_default()
            ))),
        }
    }
}

/// A route target running the egress handler: the reply is posted (or written to the outbox) and
/// TWEET_SENT / TWEET_FAILED put on the bus.
pub struct EgressTarget {
    egress: Egress,
    bus: Arc<dyn EventPublisher>,
}

#[async_trait]
impl Target for EgressTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let send: SendTweet = event
            .detail_as()
            .map_err(|e| DeliveryError::Permanent(format!("SEND_TWEET detail unreadable: {e}")))?;
        match self.egress.handle(&send).await {
            Ok(outcome) => publish(self.bus.as_ref(), outcome).await,
            Err(e) if e.is_retryable() => Err(DeliveryError::Retryable(e.to_string())),
            Err(e) => Err(DeliveryError::Permanent(e.to_string())),
        }
    }
}

/// A route target running reply-text: a text-only MESSAGE_ANALYSED is answered by the chat bot
/// (the local intent matcher) and the SEND_TWEET put on the bus; no answer, no event.
pub struct ReplyTextTarget {
    handler: ReplyText,
    bus: Arc<dyn EventPublisher>,
}

impl ReplyTextTarget {
    /// reply-text asking `bot` and publishing on `bus`.
    pub fn new(bot: Arc<dyn ChatBot>, bus: Arc<dyn EventPublisher>) -> Self {
        Self {
            handler: ReplyText::new(bot),
            bus,
        }
    }
}

#[async_trait]
impl Target for ReplyTextTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let message: MessageAnalysed = event.detail_as().map_err(|e| {
            DeliveryError::Permanent(format!("MESSAGE_ANALYSED detail unreadable: {e}"))
        })?;
        let reply = match self.handler.handle(&message).await {
            Ok(Some(reply)) => reply,
            Ok(None) => return Ok(()),
            Err(e) if e.is_retryable() => return Err(DeliveryError::Retryable(e.to_string())),
            Err(e) => return Err(DeliveryError::Permanent(e.to_string())),
        };
        publish(self.bus.as_ref(), reply).await
    }
}

/// A route target running the alert handler on MESSAGE_ANALYSED.
pub struct AlertTarget {
    notifier: Arc<dyn Notifier>,
    config: AlertConfig,
}

#[async_trait]
impl Target for AlertTarget {
    async fn deliver(&self, event: &Envelope) -> Result<(), DeliveryError> {
        let message: MessageAnalysed = event.detail_as().map_err(|e| {
            DeliveryError::Permanent(format!("MESSAGE_ANALYSED detail unreadable: {e}"))
        })?;
        alert::handle(self.notifier.as_ref(), &message, &self.config)
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError::Retryable(e.to_string()))
    }
}

/// How long a local egress claim protects its key (see `local_egress`).
pub const LOCAL_EGRESS_LEASE: std::time::Duration = std::time::Duration::from_secs(15);

/// Egress on one machine: X API v2 when the bot's user credentials are set, else the outbox.
pub fn local_egress(data_dir: &Path, creds: &XCredentials) -> anyhow::Result<Egress> {
    let x: Arc<dyn XPoster> = if creds.can_post() {
        Arc::new(XApiPoster::new(
            XApi::new(XApiConfig::default()),
            StaticSecrets(creds.clone()),
        ))
    } else {
        Arc::new(OutboxPoster::new(data_dir.join("outbox")))
    };
    let store = SqliteIdempotency::open(&data_dir.join("idempotency.sqlite"))?;
    Ok(Egress::new(
        x,
        Arc::new(DiskBlobStore::new(data_dir.join("media"))),
        Arc::new(store),
        Arc::new(SystemClock),
        // One process delivers from a data directory (the bus's lock file), and a route delivers
        // one event at a time, so a claim still held when an attempt starts was left by a crashed
        // run: a short lease lets the restart take it over within the bus's retries instead of
        // waiting out the Lambda-sized default.
        EgressConfig {
            lease: LOCAL_EGRESS_LEASE,
            ..EgressConfig::default()
        },
    ))
}

/// Everything wired so far: the catch-all log, analyse-message with the offline providers, alerts
/// (a file, and a webhook when given), reply-text with the local intent matcher, egress (X, or
/// the outbox without credentials), and the lake (`<data dir>/lake`, see `crate::lake`).
pub fn local_targets(
    data_dir: &Path,
    bus: Arc<dyn EventPublisher>,
    creds: &XCredentials,
    alert_webhook: Option<String>,
) -> anyhow::Result<TargetRegistry> {
    let egress = EgressTarget {
        egress: local_egress(data_dir, creds)?,
        bus: bus.clone(),
    };
    let reply_text = ReplyTextTarget::new(Arc::new(LocalIntentMatcher::shipped()?), bus.clone());
    let machine = StateMachine::from_json_with_substitutions(
        ANALYSE_MESSAGE_ASL,
        &local_substitutions(data_dir),
    )?;
    let tasks = crate::functions::offline_analysis_tasks(&data_dir.join("media")).with_bus(bus);
    Ok(TargetRegistry::new()
        .with_target(
            "log-group",
            "plumbing-events",
            // The event log is the archive; this is the CloudWatch log group's one line per event.
            target_fn(|event| async move {
                tracing::info!(target: "starling::events", id = %event.id, detail_type = %event.detail_type, source = %event.source, "event");
                Ok(())
            }),
        )
        .with_target("state-machine", "analyse-message", Arc::new(StateMachineTarget::new("analyse-message", machine, tasks)))
        .with_target("lambda", "reply-text", Arc::new(reply_text))
        .with_target("lambda", "egress", Arc::new(egress))
        .with_target("firehose", "lake", crate::lake::local_lake_target(data_dir)?)
        .with_target(
            "lambda",
            "alert",
            Arc::new(AlertTarget {
                notifier: Arc::new(FileNotifier::new(data_dir.join("alerts.jsonl"), alert_webhook)),
                config: AlertConfig::default(),
            }),
        ))
}
