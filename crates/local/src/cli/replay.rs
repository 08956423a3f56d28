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
    if report.total() > 0 {
        println!("a running `starling up` delivers them now; otherwise the next one will");
    }
    Ok(())
}
