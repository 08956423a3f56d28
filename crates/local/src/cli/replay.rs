//! `starling replay --from T --to T [--route R]`: re-deliver archived events.

use chrono::{DateTime, SecondsFormat, Utc};

use super::Global;
use super::time::parse_time;

/// Re-deliver archived events whose time is in a range, to every matching route or one.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start of the range (inclusive): RFC 3339, a date, `now` or `now-2h`.
    #[arg(long, value_parser = parse_time)]
    pub from: DateTime<Utc>,
    /// End of the range (inclusive); now when not given.
    #[arg(long, value_parser = parse_time)]
    pub to: Option<DateTime<Utc>>,
    /// Only this route (its pattern still has to match).
    #[arg(long, value_name = "ROUTE")]
    pub route: Option<String>,
    /// Follow the deliveries the running `starling up` makes, with a progress bar, until they are
    /// all made (or nothing has moved for 30 s).
    #[arg(long)]
    pub wait: bool,
}

/// Redeliveries queued on every route (replays, redrives) not yet made.
pub async fn queued(bus: &starling_bus::SqliteBus) -> anyhow::Result<u64> {
    let progress = bus.progress().await?;
    Ok(progress
        .routes
        .iter()
        .map(|r| u64::try_from(r.queued).unwrap_or(0))
        .sum())
}

/// Follows `ours` deliveries queued on top of `before` others until the queue is back to
/// `before` (a running `starling up` makes them), showing progress; gives up when nothing has
/// moved for 30 s.
pub async fn follow(
    bus: &starling_bus::SqliteBus,
    label: &str,
    before: u64,
    ours: u64,
) -> anyhow::Result<()> {
    if ours == 0 {
        return Ok(());
    }
    let mut progress = crate::progress::Progress::new(label, ours, "deliveries");
    let mut last = (0, std::time::Instant::now());
    loop {
        let left = queued(bus).await?.saturating_sub(before);
        let done = ours.saturating_sub(left);
        progress.set(done, "delivered");
        if left == 0 {
            progress.finish();
            return Ok(());
        }
        if done != last.0 {
            last = (done, std::time::Instant::now());
        } else if last.1.elapsed() >= std::time::Duration::from_secs(30) {
            progress.finish();
            anyhow::bail!(
                "{left} of {ours} deliveries still queued and none made for 30 s: is `starling up` running on this data directory?"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Queues the replay; the running (or next) `starling up` delivers it.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let to = args.to.unwrap_or_else(Utc::now);
    anyhow::ensure!(
        args.from <= to,
        "--from {} is after --to {}",
        args.from.to_rfc3339_opts(SecondsFormat::Secs, true),
        to.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let bus = global.open_bus()?;
    let before = queued(&bus).await?;
    let report = bus.replay(args.from, to, args.route.as_deref()).await?;
    println!(
        "{} archived event(s) between {} and {}; deliveries queued: {}",
        report.events,
        args.from.to_rfc3339_opts(SecondsFormat::Secs, true),
        to.to_rfc3339_opts(SecondsFormat::Secs, true),
        report.total()
    );
    for (route, n) in &report.queued {
        println!("  {route}: {n}");
    }
    if args.wait {
        follow(&bus, "replay", before, report.total() as u64).await?;
        println!("replayed: every queued delivery made");
    } else if report.total() > 0 {
        println!("a running `starling up` delivers them now; otherwise the next one will");
    }
    Ok(())
}
