//! `starling demo`: the whole pipeline on bundled sample deliveries, in one process, on a fresh
//! data directory — the same ingress, routes, state machine and handlers as `starling up`, with
//! the offline providers, the outbox instead of X, and the lake.
//!
//! The deliveries are signed and POSTed over loopback HTTP to the real webhook server, exactly as
//! `starling send` does; the photo they link is served from the binary by [`DemoFetcher`] (X's CDN
//! URL, no network). Before the deliveries the demo enrols its two people in the known-faces
//! gallery from photos of their own (not the one posted), so the photo reply names both and draws
//! their names; the post's second photo, a sign, shows text read offline.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use async_trait::async_trait;
use serde_json::Value;
use starling_core::acl::AclConfig;
use starling_core::analysis::media::{FetchError, Fetched, HttpFetcher};
use starling_core::ingress::{Ingress, IngressConfig};
use starling_core::policy::{ModerationConfig, PolicyConfig, WhenUnavailable};
use starling_core::ports::XCredentials;
use starling_core::responding::annotate::UnknownFaces;
use starling_core::secrets::StaticSecrets;

use starling_bus::{BusConfig, RoutingTable, SqliteBus};
#[cfg(feature = "sql")]
use starling_lake::{Format, LakeEngine, QueryResult, embedded_tables};

use starling_offline::image::known::LocalFaceGallery;

use crate::dashboard::{Access, Dashboard};
use crate::data_dir::DataDir;
use crate::idempotency::SqliteIdempotency;
use crate::runtime::{LocalOptions, local_targets};
use crate::send::send_delivery;

/// The demo bot's X user id (the deliveries' `for_user_id`).
pub const DEMO_BOT_USER_ID: &str = "1603419180975409153";

/// The URL the photo delivery links, as X's CDN would serve it.
pub const DEMO_PHOTO_URL: &str = "https://pbs.twimg.com/media/StarlingDemoPeople.jpg";

/// Two real public-domain portraits side by side (see the fixture's SOURCES.md).
const DEMO_PHOTO: &[u8] =
    include_bytes!("../../offline/tests/fixtures/images/two_faces_composite.jpg");

/// The URL of the post's second photo, a sign.
pub const DEMO_SIGN_URL: &str = "https://pbs.twimg.com/media/StarlingDemoSign.jpg";

/// A drawn café sign (`crates/offline/examples/demo_sign.rs` made it), for text in an image.
const DEMO_SIGN: &[u8] = include_bytes!("../demo/sign.jpg");

/// The people the demo enrols before it posts, each from a portrait of their own: the
/// single-person public-domain originals the composite was made from (SOURCES.md).
pub const DEMO_PEOPLE: [(&str, &str, &[u8]); 2] = [
    (
        "Eileen Collins",
        "astronaut.png",
        include_bytes!("../../offline/tests/fixtures/images/astronaut.png"),
    ),
    (
        "Grace Hopper",
        "grace_hopper.jpg",
        include_bytes!("../../offline/tests/fixtures/images/grace_hopper.jpg"),
    ),
];

/// The bundled deliveries, in the order they are sent: (name, body).
pub const DELIVERIES: [(&str, &str); 6] = [
    (
        "a mention asking for a joke",
        include_str!("../demo/1-mention-joke.json"),
    ),
    (
        "a negative message",
        include_str!("../demo/2-negative.json"),
    ),
    (
        "a post with two photos: two people and a sign",
        include_str!("../demo/3-photo.json"),
    ),
    ("a like", include_str!("../demo/4-like.json")),
    ("a follow", include_str!("../demo/5-follow.json")),
    ("a direct message", include_str!("../demo/6-dm.json")),
];

/// The `athena/` query the summary ends with, and its file name.
pub const DEMO_QUERY: (&str, &str) = (
    "athena/sentiment-by-language.sql",
    include_str!("../../../athena/sentiment-by-language.sql"),
);

/// Serves the bundled photos for their URLs and refuses everything else: the demo never goes
/// online.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoFetcher;

#[async_trait]
impl HttpFetcher for DemoFetcher {
    async fn get(&self, url: &str, max_bytes: usize) -> Result<Fetched, FetchError> {
        let body = match url {
            DEMO_PHOTO_URL => DEMO_PHOTO,
            DEMO_SIGN_URL => DEMO_SIGN,
            _ => {
                return Err(FetchError::Transport(format!(
                    "the demo serves only its bundled photos ({DEMO_PHOTO_URL}, {DEMO_SIGN_URL}), not {url}"
                )));
            }
        };
        Fetched::ok(body.to_vec(), max_bytes)
    }
}

/// What the demo did, read back from the data directory.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// The data directory it ran in.
    pub data_dir: DataDir,
    /// Each delivery and the webhook's status code.
    pub deliveries: Vec<(String, u16)>,
    /// Events in the log, per detail-type.
    pub events: BTreeMap<String, usize>,
    /// The alerts written (`alerts.jsonl`).
    pub alerts: Vec<Value>,
    /// The replies written to the outbox, in the order written.
    pub replies: Vec<Value>,
    /// Dead letters, of every route.
    pub dead_letters: usize,
    /// The lake's files (finalised parts).
    pub lake_files: usize,
    /// Who was enrolled in the known-faces gallery, and from which photo.
    pub enrolled: Vec<(String, String)>,
    /// What the image analysis found in each photo: (URL, known people, lines of text, provider).
    pub seen: Vec<(String, Vec<String>, Vec<String>, String)>,
    /// The closing query's result (built with the `sql` feature).
    #[cfg(feature = "sql")]
    pub query: QueryResult,
}

/// How the demo runs.
#[derive(Debug, Default)]
pub struct DemoOptions {
    /// How long to wait for the pipeline to finish.
    pub idle_timeout: Duration,
    /// Keep serving the webhook and the dashboard on this listener after the summary
    /// (`starling demo --serve`); the deliveries are POSTed to it too.
    pub serve: Option<tokio::net::TcpListener>,
    /// The bus's tunables (`--max-retries`).
    pub bus: BusConfig,
    /// A Slack-compatible incoming-webhook URL the demo's alerts are also POSTed to.
    pub alert_webhook: Option<String>,
}

/// The demo still serving (`--serve`): its webhook, dashboard and pipeline, until stopped.
pub struct Serving {
    /// The server's address, e.g. `http://127.0.0.1:3000`.
    pub base_url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    bus: Arc<SqliteBus>,
    targets: starling_bus::TargetRegistry,
    dashboard: Arc<Dashboard>,
}

impl std::fmt::Debug for Serving {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serving")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Serving {
    /// Serves until `signal` resolves, then stops cleanly (the lake's parts finalised).
    pub async fn until(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        self.dashboard.stop();
        let _ = self.stop.send(());
        let _ = self.server.await;
        self.bus.shutdown().await?;
        drop(self.targets);
        Ok(())
    }
}

/// Runs the demo in `data_dir` (emptied first), waiting at most `idle_timeout` for the pipeline.
pub async fn run(data_dir: &DataDir, idle_timeout: Duration) -> anyhow::Result<DemoReport> {
    let (report, _) = run_with(
        data_dir,
        DemoOptions {
            idle_timeout,
            ..DemoOptions::default()
        },
    )
    .await?;
    Ok(report)
}

/// Runs the demo as `options` say; with `serve`, returns it still serving.
pub async fn run_with(
    data_dir: &DataDir,
    options: DemoOptions,
) -> anyhow::Result<(DemoReport, Option<Serving>)> {
    let dir = data_dir.root();
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    DataDir::new(dir)
        .create()
        .with_context(|| format!("creating {}", dir.display()))?;
    let creds = XCredentials {
        api_key: String::new(),
        api_secret: format!("demo-{}", uuid::Uuid::new_v4().simple()),
        access_token: String::new(),
        access_token_secret: String::new(),
    };
    // Kept where `starling send --data-dir` looks, so more deliveries can be signed while serving.
    crate::settings::store_consumer_secret(data_dir, &creds.api_secret)
        .with_context(|| format!("writing {}", data_dir.consumer_secret().display()))?;
    let bus = Arc::new(SqliteBus::open(
        data_dir.bus(),
        &RoutingTable::embedded()?,
        options.bus.clone(),
    )?);
    let local = LocalOptions {
        alert_webhook: options.alert_webhook.clone(),
        unknown_faces: UnknownFaces::Box,
        fetcher: Some(Arc::new(DemoFetcher)),
        bot_user_id: Some(DEMO_BOT_USER_ID.into()),
        // The demo's photo is a bundled public-domain portrait, not a stranger's upload, so it is
        // drawn on and attached although no offline moderation model can check it; `starling up`
        // keeps the default (photo replies as text only).
        policy: PolicyConfig {
            moderation: ModerationConfig {
                when_unavailable: WhenUnavailable::Allow,
                ..ModerationConfig::default()
            },
            ..PolicyConfig::default()
        },
        ..LocalOptions::default()
    };
    let gallery = LocalFaceGallery::open(data_dir.faces_gallery());
    let mut enrolled = Vec::new();
    for (name, file, photo) in DEMO_PEOPLE {
        let g = gallery.clone();
        tokio::task::spawn_blocking(move || g.add_blocking(name, photo))
            .await?
            .with_context(|| format!("enrolling {name} from {file}"))?;
        enrolled.push((name.to_string(), file.to_string()));
    }
    let targets = local_targets(data_dir, bus.clone(), &creds, local)?;
    let started = bus.start(&targets).await?;
    if !started.waiting.is_empty() {
        bail!("routes without a handler: {}", started.waiting.join(", "));
    }
    let ingress = Arc::new(
        Ingress::new(
            bus.clone(),
            Arc::new(StaticSecrets(creds.clone())),
            IngressConfig {
                acl: AclConfig {
                    bot_user_id: Some(DEMO_BOT_USER_ID.into()),
                    include_retweets: false,
                    bot_username: None,
                    source: starling_contracts::MessageSource::Webhook,
                },
                ..IngressConfig::default()
            },
        )
        .with_dedup(Arc::new(SqliteIdempotency::open_for_redeliveries(
            &data_dir.idempotency_db(),
        )?)),
    );
    let serving = options.serve.is_some();
    let listener = match options.serve {
        Some(listener) => listener,
        None => tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?,
    };
    let base_url = format!("http://{}", listener.local_addr()?);
    let url = format!("{base_url}/twitter");
    let dashboard = Arc::new(Dashboard::new(
        bus.clone(),
        data_dir.clone(),
        Access::loopback(),
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::server::serve(
        listener,
        ingress,
        serving.then(|| dashboard.clone()),
        async move {
            let _ = stopped.await;
        },
    ));

    let mut deliveries = Vec::new();
    for (name, body) in DELIVERIES {
        let answer =
            send_delivery(&url, creds.api_secret.as_bytes(), body.as_bytes().to_vec()).await?;
        deliveries.push((name.to_string(), answer.status));
    }
    let idle = bus.wait_idle(options.idle_timeout).await;
    let serving = if serving {
        idle.context("waiting for the pipeline to finish")?;
        Some(Serving {
            base_url,
            stop,
            server,
            bus: bus.clone(),
            targets,
            dashboard,
        })
    } else {
        let _ = stop.send(());
        let _ = server.await;
        bus.shutdown().await?;
        // Dropping the targets finalises the lake's open parts, as Firehose flushes its buffer.
        drop(targets);
        idle.context("waiting for the pipeline to finish")?;
        None
    };

    let mut events = BTreeMap::new();
    let mut seen = Vec::new();
    for event in bus.events(None, usize::MAX).await? {
        *events
            .entry(event.envelope.detail_type.clone())
            .or_insert(0) += 1;
        if event.envelope.detail_type == starling_contracts::detail_type::MESSAGE_ANALYSED
            && let Ok(analysed) = event
                .envelope
                .detail_as::<starling_contracts::MessageAnalysed>()
        {
            seen.extend(analysed.analysis.images.iter().filter_map(|image| {
                let a = image.analysis.as_ref()?;
                Some((
                    image.url.clone().unwrap_or_default(),
                    a.known_faces
                        .iter()
                        .map(|k| format!("{} ({:.0})", k.name, k.similarity))
                        .collect(),
                    a.text_detections
                        .iter()
                        .filter(|t| t.kind == "LINE")
                        .map(|t| t.detected_text.clone())
                        .collect(),
                    a.provider.clone(),
                ))
            }));
        }
    }
    let dead_letters = bus.dead_letters(None).await?.len();
    let alerts = read_json_lines(&data_dir.alerts())?;
    let replies = read_outbox(&data_dir.outbox())?;
    let lake_files = starling_lake::writer::files_under(&data_dir.lake())?.len();
    #[cfg(feature = "sql")]
    let query = LakeEngine::open(&data_dir.lake(), &embedded_tables()?)?.query(DEMO_QUERY.1)?;
    Ok((
        DemoReport {
            data_dir: data_dir.clone(),
            deliveries,
            events,
            alerts,
            replies,
            dead_letters,
            lake_files,
            enrolled,
            seen,
            #[cfg(feature = "sql")]
            query,
        },
        serving,
    ))
}

fn read_json_lines(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("a line of {}", path.display())))
        .collect()
}

fn read_outbox(dir: &Path) -> anyhow::Result<Vec<Value>> {
    let mut replies = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(replies);
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path)?;
            replies.push(serde_json::from_str::<Value>(&text)?);
        }
    }
    replies.sort_by(|a, b| a["WrittenAt"].as_str().cmp(&b["WrittenAt"].as_str()));
    Ok(replies)
}

impl DemoReport {
    /// The readable summary `starling demo` prints.
    pub fn summary(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "Deliveries (signed, POSTed to the local webhook):");
        for (name, status) in &self.deliveries {
            let _ = writeln!(out, "  {status}  {name}");
        }
        let _ = writeln!(
            out,
            "\nKnown faces enrolled (in {}):",
            self.data_dir.faces_gallery().display()
        );
        for (name, file) in &self.enrolled {
            let _ = writeln!(out, "  {name}, from {file}");
        }
        let _ = writeln!(out, "\nSeen in the photos (offline models):");
        for (url, people, lines, provider) in &self.seen {
            let _ = writeln!(out, "  {url}  [{provider}]");
            if !people.is_empty() {
                let _ = writeln!(out, "      people: {}", people.join(", "));
            }
            for line in lines {
                let _ = writeln!(out, "      text: {line}");
            }
        }
        let total: usize = self.events.values().sum();
        let _ = writeln!(out, "\nEvents on the bus ({total}):");
        for (detail_type, n) in &self.events {
            let _ = writeln!(out, "  {n:>3}  {detail_type}");
        }
        let _ = writeln!(
            out,
            "\nAlerts ({}), in {}:",
            self.alerts.len(),
            self.data_dir.alerts().display()
        );
        for alert in &self.alerts {
            let _ = writeln!(
                out,
                "  {}",
                alert["Subject"].as_str().unwrap_or("(no subject)")
            );
        }
        let _ = writeln!(
            out,
            "\nReplies ({}), in {}:",
            self.replies.len(),
            self.data_dir.outbox().display()
        );
        for reply in &self.replies {
            let _ = writeln!(
                out,
                "  to {}: {}",
                reply["InReplyToTweetId"].as_str().unwrap_or("?"),
                reply["Text"].as_str().unwrap_or("")
            );
            for media in reply["Media"].as_array().into_iter().flatten() {
                let _ = writeln!(out, "      image: {}", media.as_str().unwrap_or("?"));
            }
        }
        let _ = writeln!(out, "\nDead letters: {}", self.dead_letters);
        let _ = writeln!(
            out,
            "Lake: {} files under {}",
            self.lake_files,
            self.data_dir.lake().display()
        );
        #[cfg(feature = "sql")]
        {
            let _ = writeln!(out, "\n{}:", DEMO_QUERY.0);
            out.push_str(&self.query.render(Format::Table));
        }
        let _ = writeln!(
            out,
            "\nLook around: starling events list --data-dir {dir}; starling query --data-dir {dir} athena/all-positive-messages.sql",
            dir = self.data_dir.root().display()
        );
        out
    }
}
