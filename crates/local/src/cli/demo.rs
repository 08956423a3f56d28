//! `starling demo`: bundled sample deliveries through the whole local pipeline, then a summary —
//! and with `--serve`, the dashboard over the demo's data until Ctrl-C.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context;

use super::Global;
use crate::demo::{self, DemoOptions};

/// Options of `starling demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to wait for the pipeline to finish, in seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout_secs: u64,
    /// Keep serving after the summary: the dashboard (`/ui`) over the demo's data and the webhook
    /// (`starling send --data-dir <data dir>/demo` signs more deliveries), until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
    /// Port to serve on with `--serve` (0: any free port).
    #[arg(long, default_value_t = 3000, env = "STARLING_PORT")]
    pub port: u16,
    /// A Slack-compatible incoming-webhook URL the demo's alerts are also POSTed to.
    #[arg(long, env = crate::notifier::ALERT_WEBHOOK_URL, hide_env_values = true, value_name = "URL")]
    pub alert_webhook_url: Option<String>,
}

/// Runs the demo in `<data dir>/demo` (its own directory, emptied first) and prints the summary.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let dir = global.data_dir().demo();
    println!(
        "Starling demo in {}: {} sample deliveries through the local pipeline (offline analysis, replies to the outbox, the lake)…\n",
        dir.root().display(),
        demo::DELIVERIES.len()
    );
    // Caught from here when serving (a Ctrl-C during the run then stops cleanly once it serves);
    // without --serve, Ctrl-C keeps its default: it ends the demo at once.
    let signal = args.serve.then(super::up::ShutdownSignal::catch);
    let serve = if args.serve {
        // Loopback only: the demo's dashboard has no token.
        let bind: IpAddr = std::net::Ipv4Addr::LOCALHOST.into();
        Some(
            tokio::net::TcpListener::bind((bind, args.port))
                .await
                .with_context(|| format!("listening on {bind}:{}", args.port))?,
        )
    } else {
        None
    };
    let options = DemoOptions {
        idle_timeout: Duration::from_secs(args.timeout_secs),
        serve,
        bus: global.bus_config(),
        alert_webhook: args.alert_webhook_url.filter(|u| !u.trim().is_empty()),
    };
    let (report, serving) = demo::run_with(&dir, options).await?;
    print!("{}", report.summary());
    if let (Some(serving), Some(signal)) = (serving, signal) {
        println!(
            "\nDashboard: {base}/ui (loopback only)\nWebhook: {base}/twitter — starling send --data-dir {dir} --url {base}/twitter FILE\nServing until Ctrl-C…",
            base = serving.base_url,
            dir = dir.root().display()
        );
        serving.until(signal.received()).await?;
        println!("Stopped cleanly.");
    }
    Ok(())
}
