//! The local runtime's wiring: which handler each route's target resolves to on one machine.
//! Every rule-bound handler runs through the one [`HandlerTarget`]; a route with no handler yet
//! waits (its events are kept in the log).

use std::collections::HashMap;
use std::sync::Arc;

use starling_bus::TargetRegistry;
use starling_core::alert::{AlertConfig, AlertHandler};
use starling_core::analysis::image::DetectTextMode;
use starling_core::analysis::media::HttpFetcher;
use starling_core::egress::{Egress, EgressConfig, XApiPoster};
use starling_core::moderation::Moderator;
use starling_core::policy::{PolicyConfig, PolicyGate, ReplyPolicy, RepostRule};
use starling_core::ports::{EventPublisher, SystemClock, XCredentials, XPoster};
use starling_core::responding::annotate::UnknownFaces;
use starling_core::responding::reply_image::{ReplyImage, ReplyImageConfig};
use starling_core::responding::reply_text::ReplyText;
use starling_core::secrets::StaticSecrets;
use starling_lake::LakeConfig;
use starling_offline::LocalIntentMatcher;
use starling_offline::OfflineModerator;
use starling_states::StateMachine;
use starling_x::api::{XApi, XApiConfig};

use crate::blob::DiskBlobStore;
use crate::data_dir::DataDir;
use crate::idempotency::SqliteIdempotency;
use crate::notifier::FileNotifier;
use crate::outbox::OutboxPoster;
use crate::policy_store::SqlitePolicyStore;
use crate::targets::{HandlerTarget, LakeTarget, StateMachineTarget};

/// The analyse-message definition, the same file CDK deploys.
pub const ANALYSE_MESSAGE_ASL: &str =
    include_str!("../../../statemachines/analyse-message.asl.json");

/// The local values of the definitions' placeholders (statemachines/README.md).
pub fn local_substitutions(data_dir: &DataDir) -> HashMap<String, String> {
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
            data_dir.media().display().to_string(),
        ),
        ("EventBusName".to_string(), "Plumbing".to_string()),
    ])
}

/// What posts on X from one machine: X API v2 (at `x_api`) as the bot when its user credentials
/// are set and this is no dry run, else the outbox in the data directory.
pub fn local_poster(
    data_dir: &DataDir,
    creds: &XCredentials,
    x_api: XApiConfig,
    bot_user_id: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<Arc<dyn XPoster>> {
    if !creds.can_post() || dry_run {
        return Ok(Arc::new(OutboxPoster::new(data_dir.outbox())));
    }
    let bot_user_id = bot_user_id.filter(|id| !id.is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "posting to X needs the bot's user id (STARLING_BOT_USER_ID / --bot-user-id)"
        )
    })?;
    Ok(Arc::new(XApiPoster::new(
        XApi::new(x_api),
        StaticSecrets(creds.clone()),
        bot_user_id,
    )))
}

/// Egress on one machine: X API v2 (at `x_api`) when the bot's user credentials are set, else
/// the outbox; always the outbox in a dry run (whose replies are published as REPLY_SUPPRESSED
/// `dry-run`). Posting to X needs `bot_user_id`: after an attempt whose answer was lost, egress
/// reads the bot's own recent posts to find the reply instead of posting it twice.
///
/// The claim lease is the Lambda's (180 s, over a 120 s attempt deadline). A claim left by a run
/// that crashed mid-attempt is freed when the next run starts (this process owns the data
/// directory), keeping its uncertain mark, so the restart neither waits out the lease nor posts
/// twice.
pub fn local_egress(
    data_dir: &DataDir,
    creds: &XCredentials,
    x_api: XApiConfig,
    bot_user_id: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<Egress> {
    let x = local_poster(data_dir, creds, x_api, bot_user_id, dry_run)?;
    egress_over(data_dir, x, creds.can_post() && !dry_run, dry_run)
}

/// [`local_egress`] over a poster already made (`to_x`: it is X, not the outbox).
fn egress_over(
    data_dir: &DataDir,
    x: Arc<dyn XPoster>,
    to_x: bool,
    dry_run: bool,
) -> anyhow::Result<Egress> {
    let store = SqliteIdempotency::open(&data_dir.idempotency_db())?;
    // One process delivers from a data directory (the bus's lock): a claim still held now was
    // left by a run that died mid-attempt.
    let freed = store.release_abandoned()?;
    if freed > 0 {
        tracing::warn!(
            claims = freed,
            "claims left by a stopped run freed (attempts that had begun posting look on X first)"
        );
    }
    Ok(Egress::new(
        x,
        Arc::new(DiskBlobStore::new(data_dir.media())),
        Arc::new(store),
        Arc::new(SystemClock),
        EgressConfig {
            dry_run,
            // The outbox shows a reply the moment it is written: nothing to wait for.
            settle: if to_x {
                EgressConfig::default().settle
            } else {
                std::time::Duration::ZERO
            },
            ..EgressConfig::default()
        },
    ))
}

/// What a local runtime may set (the CLI reads them from flags and the environment).
#[derive(Clone, Default)]
pub struct LocalOptions {
    /// Where alerts are also POSTed (Slack-compatible), besides `alerts.jsonl`.
    pub alert_webhook: Option<String>,
    /// reply-image's handling of faces nobody recognised.
    pub unknown_faces: UnknownFaces,
    /// How download-media fetches; the network (reqwest) when `None`.
    pub fetcher: Option<Arc<dyn HttpFetcher>>,
    /// The reply policy (`starling up --policy`, `--dry-run`).
    pub policy: PolicyConfig,
    /// The bot's X user id: its own posts are never answered.
    pub bot_user_id: Option<String>,
    /// Where X's API is (`STARLING_X_API_BASE`; X itself by default), so a fake X can stand in.
    pub x_api: XApiConfig,
    /// When analyse-image reads text in images (`DETECT_TEXT` on AWS).
    pub detect_text: DetectTextMode,
}

/// How many analyse-message executions run at once when messages wait together.
pub const ANALYSES_AT_ONCE: usize = 16;

/// How many replies egress works on at once when several wait: each reply is its own
/// idempotency key, so their order does not matter, and one reply's waits (its durable mark,
/// X's answer) no longer hold up the others; their marks share fsyncs. Well under X's limits:
/// the reply policy's budget keeps a live bot to a few replies a minute.
pub const REPLIES_AT_ONCE: usize = 8;

/// Every route's target: the catch-all log, analyse-message with the offline providers, alerts
/// (a file, and a webhook when given), reply-text with the local intent matcher and reply-image
/// over the media directory (both behind the reply policy), egress (X, or the outbox without
/// credentials or in a dry run), and the lake.
pub fn local_targets(
    data_dir: &DataDir,
    bus: Arc<dyn EventPublisher>,
    creds: &XCredentials,
    options: LocalOptions,
) -> anyhow::Result<TargetRegistry> {
    // One X (or outbox) for egress and the repost rule; a dry run posts and reposts nothing.
    let dry_run = options.policy.dry_run;
    let x = local_poster(
        data_dir,
        creds,
        options.x_api.clone(),
        options.bot_user_id.as_deref(),
        dry_run,
    )?;
    let egress = HandlerTarget::new(
        egress_over(data_dir, x.clone(), creds.can_post() && !dry_run, dry_run)?,
        bus.clone(),
    )
    .with_concurrency(REPLIES_AT_ONCE);
    data_dir.create()?;
    let policy = Arc::new(ReplyPolicy::new(
        options.policy.clone(),
        options.bot_user_id.clone(),
        Arc::new(SqlitePolicyStore::open(&data_dir.policy_db())?),
        Arc::new(SystemClock),
    ));
    // Images are judged by the offline NSFW classifier; text has no offline model, so for text
    // the gate says so and `moderation.whenUnavailable` decides.
    let moderator: Arc<dyn Moderator> = Arc::new(OfflineModerator);
    let reply_text = HandlerTarget::new(
        PolicyGate::new(
            ReplyText::new(
                Arc::new(LocalIntentMatcher::shipped()?),
                moderator.clone(),
                options.policy.moderation.clone(),
            ),
            policy.clone(),
        ),
        bus.clone(),
    );
    let reply_image = HandlerTarget::new(
        PolicyGate::new(
            ReplyImage::new(
                Arc::new(DiskBlobStore::new(data_dir.media())),
                moderator,
                ReplyImageConfig {
                    unknown_faces: options.unknown_faces,
                    moderation: options.policy.moderation.clone(),
                    ..ReplyImageConfig::default()
                },
            ),
            policy.clone(),
        ),
        bus.clone(),
    );
    let repost = HandlerTarget::new(RepostRule::new(policy, x, dry_run), bus.clone());
    let alert = HandlerTarget::new(
        AlertHandler::new(
            Arc::new(FileNotifier::new(data_dir.alerts(), options.alert_webhook)),
            AlertConfig::default(),
        ),
        bus.clone(),
    );
    let machine = StateMachine::from_json_with_substitutions(
        ANALYSE_MESSAGE_ASL,
        &local_substitutions(data_dir),
    )?;
    let tasks =
        crate::functions::offline_analysis_tasks(data_dir, options.fetcher, options.detect_text)
            .with_bus(bus);
    let lake = LakeTarget::open(&data_dir.lake(), LakeConfig::default())?;
    Ok(TargetRegistry::new()
        .with_target(
            "log-group",
            "plumbing-events",
            // The event log is the archive; this is the CloudWatch log group's one line per event.
            Arc::new(crate::targets::LogTarget),
        )
        .with_target(
            "state-machine",
            "analyse-message",
            // Analyses are independent of each other's order: up to ANALYSES_AT_ONCE at once, so a
            // photo's analysis does not hold up the texts behind it and the results of those
            // waiting together share commits. The image work itself runs at most one job per core
            // (starling-offline), whatever this allows.
            Arc::new(
                StateMachineTarget::new("analyse-message", machine, tasks)
                    .with_concurrency(ANALYSES_AT_ONCE),
            ),
        )
        .with_target("lambda", "reply-text", Arc::new(reply_text))
        .with_target("lambda", "reply-image", Arc::new(reply_image))
        .with_target("lambda", "egress", Arc::new(egress))
        .with_target("lambda", "repost", Arc::new(repost))
        .with_target("firehose", "lake", Arc::new(lake))
        .with_target("lambda", "alert", Arc::new(alert)))
}
