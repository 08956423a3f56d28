//! `starling up`: serve the X webhook on this machine — the same ingress code as the Lambda —
//! putting every event on the durable local bus in the data directory.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Context;
use starling_core::acl::AclConfig;
use starling_core::ingress::{DEFAULT_MAX_BODY_BYTES, Ingress, IngressConfig, Intake};
use starling_core::policy::{PolicyConfig, WhenUnavailable};
use starling_core::publish::RetryPolicy;
use starling_core::secrets::StaticSecrets;
use starling_core::sources::{
    PollerConfig, PostPages, PostPoller, StreamConfig, StreamConsumer, XApiActivityStream,
    XApiMentions, XApiSearch,
};

use starling_core::analysis::image::DetectTextMode;
use starling_core::responding::annotate::UnknownFaces;

use super::Global;
use crate::dashboard::{Access, Availability, Dashboard};
use crate::runtime::LocalOptions;
use crate::settings::{self, SecretSource, XSettings};

/// Options of `starling up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 3000, env = "STARLING_PORT")]
    pub port: u16,
    /// Address to listen on (use 0.0.0.0 behind a tunnel that forwards X's requests).
    #[arg(long, default_value = "127.0.0.1", env = "STARLING_BIND")]
    pub bind: IpAddr,
    /// Largest delivery accepted, in bytes (larger ones get 413).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES, env = "STARLING_MAX_BODY_BYTES")]
    pub max_body_bytes: usize,
    /// Make plain retweets MESSAGE_RECEIVED too.
    #[arg(long, env = "STARLING_INCLUDE_RETWEETS")]
    pub include_retweets: bool,
    /// A Slack-compatible incoming-webhook URL alerts are also POSTed to.
    #[arg(long, env = crate::notifier::ALERT_WEBHOOK_URL, hide_env_values = true, value_name = "URL")]
    pub alert_webhook_url: Option<String>,
    /// What reply-image does with faces nobody recognised: ignore, box or blur.
    #[arg(
        long,
        env = "STARLING_UNKNOWN_FACES",
        default_value = "ignore",
        value_name = "HOW"
    )]
    pub unknown_faces: UnknownFaces,
    /// When analyse-image reads text in photos: auto, always or never (`DETECT_TEXT` on AWS).
    /// Offline, `auto` reads every photo: no offline labeller says which ones show text.
    #[arg(
        long,
        env = "STARLING_DETECT_TEXT",
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub detect_text: DetectTextMode,
    /// The reply policy: a JSON file (README, "Reply policy"); unset keys take the defaults.
    #[arg(long = "policy", env = "STARLING_REPLY_POLICY", value_name = "FILE")]
    pub policy_file: Option<std::path::PathBuf>,
    /// Dry run: everything runs, nothing is posted on X; replies go to the outbox and are
    /// recorded as REPLY_SUPPRESSED `dry-run`.
    #[arg(long, env = "STARLING_DRY_RUN")]
    pub dry_run: bool,
    /// Base URL of X's API for every call `starling up` makes (replies, media uploads): a fake X
    /// can stand in for tests and demos.
    #[arg(
        long,
        env = "STARLING_X_API_BASE",
        default_value = "https://api.x.com",
        value_name = "URL"
    )]
    pub x_api_base: String,
    /// Also poll the bot's mentions (`GET /2/users/:id/mentions`): the way in without a public
    /// URL or webhook access. Needs the bot's user credentials and user id.
    #[arg(long, env = "STARLING_POLL_MENTIONS")]
    pub poll_mentions: bool,
    /// Also hold the X Activity API stream open (`GET /2/activity/stream`): events of the app's
    /// subscriptions (`starling x subscriptions create`) without a public URL. Needs the app's
    /// bearer token.
    #[arg(long, env = "STARLING_STREAM")]
    pub stream: bool,
    /// The app's bearer token (app-only), for `--stream`.
    #[arg(
        long,
        env = "STARLING_X_BEARER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub bearer_token: Option<String>,
    /// Also poll a keyword/hashtag search (`GET /2/tweets/search/recent`, X's query syntax):
    /// its posts are analysed, alerted on and kept in the lake, never replied to.
    #[arg(long, env = "STARLING_SEARCH", value_name = "QUERY")]
    pub search: Option<String>,
    /// Seconds between two mention polls (X allows 300 reads per 15 min per user).
    #[arg(
        long,
        default_value_t = 15,
        env = "STARLING_POLL_INTERVAL",
        value_name = "SECONDS"
    )]
    pub poll_interval: u64,
    /// The token the dashboard asks for (at least 16 characters). Without one the dashboard is
    /// served on loopback only; bound to another address it is off unless a token is set.
    #[arg(
        long,
        env = "STARLING_DASHBOARD_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub dashboard_token: Option<String>,
    /// Seconds between two compactions of the lake's silver layer (`starling lake compact`), also
    /// run once at stop; 0: never.
    #[cfg(feature = "sql")]
    #[arg(
        long,
        default_value_t = 3600,
        env = "STARLING_COMPACT_EVERY",
        value_name = "SECONDS"
    )]
    pub compact_every: u64,
    /// Do not serve the dashboard (`/ui`, `/api/…`).
    #[arg(long, env = "STARLING_NO_DASHBOARD")]
    pub no_dashboard: bool,
    /// Load tests: answer photo URLs (still only https on X's media hosts) from the files in this
    /// directory, by file name, instead of downloading them.
    #[arg(long, hide = true, value_name = "DIR")]
    pub media_dir: Option<std::path::PathBuf>,
    /// The X app and the bot.
    #[command(flatten)]
    pub x: XSettings,
}

/// The reply policy from `--policy` (defaults without one), `--dry-run` on top.
fn policy(args: &Args) -> anyhow::Result<PolicyConfig> {
    let mut policy = match &args.policy_file {
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .with_context(|| format!("reading the reply policy {}", path.display()))?;
            PolicyConfig::from_json(&json, &path.display().to_string())?
        }
        None => PolicyConfig::default(),
    };
    policy.dry_run |= args.dry_run;
    Ok(policy)
}

/// Serves until Ctrl-C or SIGTERM, then drains requests and stops the bus cleanly.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let signal = ShutdownSignal::catch();
    let data_dir = global.data_dir();
    let (creds, source) = args.x.credentials(&data_dir).with_context(|| {
        format!(
            "reading or creating the consumer secret in {}",
            data_dir.root().display()
        )
    })?;
    let secret_file = data_dir.consumer_secret();
    match source {
        SecretSource::Given => {
            println!("Consumer secret: from {}", settings::CONSUMER_SECRET)
        }
        SecretSource::DataDir => println!("Consumer secret: {}", secret_file.display()),
        SecretSource::Generated => println!(
            "No {} set: generated a consumer secret and stored it in {}:\n  {}",
            settings::CONSUMER_SECRET,
            secret_file.display(),
            creds.api_secret
        ),
    }
    let policy = policy(&args)?;
    for warning in policy.warnings() {
        println!("Reply policy: {warning}");
    }
    println!(
        "Moderation: no offline model, so photos cannot be checked: {} (moderation.whenUnavailable = {})",
        match policy.moderation.when_unavailable {
            WhenUnavailable::TextOnly => "photo replies go out as text only",
            WhenUnavailable::Suppress => "photo replies are suppressed",
            WhenUnavailable::Allow => "annotated photos are attached unchecked",
        },
        policy.moderation.when_unavailable.as_str()
    );
    let bot_user_id = args.x.bot_user_id();
    if creds.can_post() && bot_user_id.is_none() && !policy.dry_run {
        anyhow::bail!(
            "X user credentials are set, so replies would be posted on X, but the bot's user id is not: set {} (or --bot-user-id) so the bot never answers itself",
            settings::BOT_USER_ID
        );
    }
    let bus = Arc::new(global.open_bus()?);
    let dry_run = policy.dry_run;
    let options = LocalOptions {
        alert_webhook: args
            .alert_webhook_url
            .clone()
            .filter(|u| !u.trim().is_empty()),
        unknown_faces: args.unknown_faces,
        detect_text: args.detect_text,
        fetcher: args.media_dir.as_ref().map(|dir| {
            Arc::new(crate::functions::DirFetcher::new(dir))
                as Arc<dyn starling_core::analysis::media::HttpFetcher>
        }),
        policy,
        bot_user_id: bot_user_id.clone(),
        x_api: starling_x::api::XApiConfig {
            api_base: args.x_api_base.trim_end_matches('/').to_string(),
            upload_base: args.x_api_base.trim_end_matches('/').to_string(),
            ..Default::default()
        },
    };
    let targets = crate::runtime::local_targets(&data_dir, bus.clone(), &creds, options)?;
    let report = bus.start(&targets).await?;
    if dry_run {
        println!(
            "Dry run: nothing is posted on X; replies are written to {} and recorded as REPLY_SUPPRESSED",
            data_dir.outbox().display()
        );
    } else if !creds.can_post() {
        println!(
            "No X user credentials ({}, {}, {}): replies are written to {}",
            settings::API_KEY,
            settings::ACCESS_TOKEN,
            settings::ACCESS_TOKEN_SECRET,
            data_dir.outbox().display()
        );
    }
    if !report.waiting.is_empty() {
        println!(
            "Routes waiting for their handlers (events are kept): {}",
            report.waiting.join(", ")
        );
    }
    let config = IngressConfig {
        acl: AclConfig {
            bot_user_id,
            include_retweets: args.include_retweets,
            bot_username: args.x.bot_username(),
            source: starling_contracts::MessageSource::Webhook,
        },
        max_body_bytes: args.max_body_bytes,
        retry: RetryPolicy::default(),
    };
    // Redeliveries: each post (or activity item) is published once, remembered beside egress's
    // claims in the same SQLite file — shared with the mentions poller, so a post that comes both
    // ways is one post.
    let seen = Arc::new(
        crate::idempotency::SqliteIdempotency::open_for_redeliveries(&data_dir.idempotency_db())?,
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let parts = PollerParts {
        args: &args,
        data_dir: &data_dir,
        config: &config,
        bus: bus.clone(),
        seen: seen.clone(),
    };
    let poller = if args.poll_mentions {
        Some(mentions_poller(&parts, &creds)?)
    } else {
        None
    };
    let searching = match args.search.as_deref().filter(|q| !q.trim().is_empty()) {
        Some(query) => {
            let searcher = search_poller(&parts, &creds, query)?;
            println!(
                "Searching X for {query:?} every {} s (never replied to)",
                args.poll_interval
            );
            let stopped = stop.subscribe();
            Some(tokio::spawn(async move {
                if let Err(e) = searcher.run(stopped).await {
                    eprintln!("The search poller stopped: {e}");
                }
            }))
        }
        None => None,
    };
    let polling = poller.map(|poller| {
        println!(
            "Polling the bot's mentions every {} s (X API at {})",
            args.poll_interval, args.x_api_base
        );
        tokio::spawn(async move {
            if let Err(e) = poller.run(stopped).await {
                eprintln!("The mentions poller stopped: {e}");
            }
        })
    });
    let streaming = if args.stream {
        let Some(token) = args.bearer_token.clone().filter(|t| !t.is_empty()) else {
            anyhow::bail!(
                "--stream opens the X Activity API stream with the app's bearer token: set STARLING_X_BEARER_TOKEN"
            );
        };
        let api = starling_x::api::XApi::new(starling_x::api::XApiConfig {
            api_base: args.x_api_base.trim_end_matches('/').to_string(),
            upload_base: args.x_api_base.trim_end_matches('/').to_string(),
            ..Default::default()
        });
        let consumer = StreamConsumer::new(
            Arc::new(XApiActivityStream::new(api, token)),
            Intake::new(bus.clone(), RetryPolicy::default()).with_dedup(seen.clone()),
            config.acl.clone(),
            StreamConfig::default(),
        );
        let stopped = stop.subscribe();
        println!(
            "Holding the X Activity API stream open ({}/2/activity/stream)",
            args.x_api_base
        );
        Some(tokio::spawn(async move {
            if let Err(e) = consumer.run(stopped).await {
                eprintln!("The X Activity stream stopped: {e}");
            }
        }))
    } else {
        None
    };
    let ingress = Arc::new(
        Ingress::new(bus.clone(), Arc::new(StaticSecrets(creds)), config).with_dedup(seen),
    );
    let dashboard = if args.no_dashboard {
        None
    } else {
        match Access::for_bind(args.bind, args.dashboard_token.as_deref()) {
            Availability::On(access) => Some(Arc::new(Dashboard::new(
                bus.clone(),
                data_dir.clone(),
                access,
            ))),
            Availability::Off(why) => {
                println!("Dashboard: {why}");
                None
            }
        }
    };
    let listener = tokio::net::TcpListener::bind((args.bind, args.port))
        .await
        .with_context(|| format!("listening on {}:{}", args.bind, args.port))?;
    let address = listener.local_addr()?;
    println!(
        "Starling is listening on http://{address}/twitter (health: /healthz), data in {}",
        data_dir.root().display()
    );
    if let Some(dashboard) = &dashboard {
        println!("{}", dashboard_line(address, dashboard));
    }
    #[cfg(feature = "sql")]
    let compacting = (args.compact_every > 0).then(|| {
        let root = data_dir.lake();
        let every = std::time::Duration::from_secs(args.compact_every);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tick.tick().await;
                let root = root.clone();
                match tokio::task::spawn_blocking(move || super::lake::compact(&root, None)).await {
                    Ok(Ok(report)) => println!("{}", super::lake::summary(&report)),
                    Ok(Err(e)) => eprintln!("Compacting the lake's silver layer failed: {e:#}"),
                    Err(e) => eprintln!("Compacting the lake's silver layer failed: {e}"),
                }
            }
        })
    });
    let stopping = dashboard.clone();
    crate::server::serve(listener, ingress, dashboard, async move {
        signal.received().await;
        if let Some(dashboard) = stopping {
            dashboard.stop();
        }
        let _ = stop.send(true);
    })
    .await?;
    if let Some(polling) = polling {
        let _ = polling.await;
    }
    if let Some(streaming) = streaming {
        let _ = streaming.await;
    }
    if let Some(searching) = searching {
        let _ = searching.await;
    }
    bus.shutdown().await?;
    // The targets go last: dropping them flushes the lake's buffered parts (Firehose's flush).
    drop(targets);
    #[cfg(feature = "sql")]
    if let Some(compacting) = compacting {
        compacting.abort();
        let _ = compacting.await;
        let root = data_dir.lake();
        match tokio::task::spawn_blocking(move || super::lake::compact(&root, None)).await? {
            Ok(report) => println!("{}", super::lake::summary(&report)),
            Err(e) => eprintln!("Compacting the lake's silver layer failed: {e:#}"),
        }
    }
    println!("Stopped cleanly.");
    Ok(())
}

/// What every poller of post pages shares: the way out to the bus through the webhook's claims,
/// the checkpoints, the webhook's ACL, the interval.
struct PollerParts<'a> {
    args: &'a Args,
    data_dir: &'a crate::DataDir,
    config: &'a IngressConfig,
    bus: Arc<starling_bus::SqliteBus>,
    seen: Arc<crate::idempotency::SqliteIdempotency>,
}

impl PollerParts<'_> {
    /// The X API the pollers read, after checking the bot's user credentials for `flag`.
    fn api(
        &self,
        creds: &starling_core::ports::XCredentials,
        flag: &str,
    ) -> anyhow::Result<starling_x::api::XApi> {
        if !creds.can_post() {
            anyhow::bail!(
                "{flag} reads X as the bot: set {}, {} and {} (the bot's user credentials)",
                settings::API_KEY,
                settings::ACCESS_TOKEN,
                settings::ACCESS_TOKEN_SECRET
            );
        }
        let base = self.args.x_api_base.trim_end_matches('/').to_string();
        Ok(starling_x::api::XApi::new(starling_x::api::XApiConfig {
            api_base: base.clone(),
            upload_base: base,
            ..Default::default()
        }))
    }

    /// A poller over `pages`.
    fn poller(&self, pages: Arc<dyn PostPages>) -> anyhow::Result<PostPoller> {
        Ok(PostPoller::new(
            pages,
            Intake::new(self.bus.clone(), RetryPolicy::default()).with_dedup(self.seen.clone()),
            Arc::new(crate::checkpoints::SqliteCheckpoints::open(
                &self.data_dir.sources_db(),
            )?),
            self.config.acl.clone(),
            Arc::new(starling_core::ports::SystemClock),
            PollerConfig {
                interval: std::time::Duration::from_secs(self.args.poll_interval.max(1)),
                ..PollerConfig::default()
            },
        ))
    }
}

/// The mentions poller `--poll-mentions` asks for, reading X with the bot's user credentials.
fn mentions_poller(
    parts: &PollerParts<'_>,
    creds: &starling_core::ports::XCredentials,
) -> anyhow::Result<PostPoller> {
    let api = parts.api(creds, "--poll-mentions")?;
    let Some(bot) = parts.config.acl.bot_user_id.clone() else {
        anyhow::bail!(
            "--poll-mentions needs the bot's user id: set {} (or --bot-user-id)",
            settings::BOT_USER_ID
        );
    };
    parts.poller(Arc::new(XApiMentions::new(
        api,
        StaticSecrets(creds.clone()),
        bot,
    )))
}

/// The keyword-search poller `--search` asks for: the mentions poller's machinery over
/// `GET /2/tweets/search/recent`, with its own checkpoint and `Source: search`.
fn search_poller(
    parts: &PollerParts<'_>,
    creds: &starling_core::ports::XCredentials,
    query: &str,
) -> anyhow::Result<PostPoller> {
    let api = parts.api(creds, "--search")?;
    Ok(parts
        .poller(Arc::new(XApiSearch::new(
            api,
            StaticSecrets(creds.clone()),
            query,
        )))?
        .for_search(query))
}

/// The line `starling up` prints about its dashboard.
pub fn dashboard_line(address: std::net::SocketAddr, dashboard: &Dashboard) -> String {
    let host = if address.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    };
    if dashboard.needs_token() {
        format!(
            "Dashboard: http://{host}/ui?token=<your STARLING_DASHBOARD_TOKEN> (every request needs the token)"
        )
    } else {
        format!("Dashboard: http://{host}/ui (loopback only)")
    }
}

/// Ctrl-C and SIGTERM, caught from the moment this is made: a signal that arrives while the
/// server is still starting stops it cleanly once it runs, instead of killing the process with
/// the default action. Make it inside the Tokio runtime.
pub(crate) struct ShutdownSignal {
    #[cfg(unix)]
    signals: Vec<tokio::signal::unix::Signal>,
}

impl ShutdownSignal {
    /// Starts catching the signals.
    pub(crate) fn catch() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = [SignalKind::interrupt(), SignalKind::terminate()]
                .into_iter()
                .filter_map(|kind| signal(kind).ok())
                .collect();
            Self { signals }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Resolves at the first of them.
    pub(crate) async fn received(self) {
        #[cfg(unix)]
        {
            let waits = self.signals.into_iter().map(|mut s| {
                Box::pin(async move {
                    s.recv().await;
                })
            });
            if waits.len() == 0 {
                std::future::pending::<()>().await;
            }
            futures::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
