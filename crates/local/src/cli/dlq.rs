//! `starling dlq list|redrive`: the dead-letter table.

use chrono::SecondsFormat;

use super::Global;

/// Inspect and redrive dead letters.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: DlqCommand,
}

/// The `dlq` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DlqCommand {
    /// Show dead letters, oldest first.
    List {
        /// Only this route's.
        #[arg(long, value_name = "ROUTE")]
        route: Option<String>,
        /// One JSON object per line, with the full event.
        #[arg(long)]
        json: bool,
    },
    /// Queue dead letters for delivery again; each is removed once its target takes it.
    Redrive {
        /// Only this route's.
        #[arg(long, value_name = "ROUTE")]
        route: Option<String>,
        /// Follow the deliveries the running `starling up` makes, with a progress bar, until they
        /// are all made (or nothing has moved for 30 s).
        #[arg(long)]
        wait: bool,
    },
}

/// Runs `dlq list` or `dlq redrive`.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let bus = global.open_bus()?;
    match args.command {
        DlqCommand::List { route, json } => {
            let dead = bus.dead_letters(route.as_deref()).await?;
            if json {
                for d in &dead {
                    println!("{}", serde_json::to_string(d)?);
                }
                return Ok(());
            }
            if dead.is_empty() {
                println!("no dead letters");
                return Ok(());
            }
            println!(
                "{:<5} {:<16} {:<36} {:<20} {:>8}  {:<20}  ERROR",
                "ID", "ROUTE", "EVENT", "DETAIL-TYPE", "ATTEMPTS", "FAILED-AT"
            );
            for d in &dead {
                println!(
                    "{:<5} {:<16} {:<36} {:<20} {:>8}  {:<20}  {}{}",
                    d.id,
                    d.route,
                    d.event.id,
                    d.event.detail_type,
                    d.attempts,
                    d.failed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    d.error,
                    if d.redrive_queued {
                        " [redrive queued]"
                    } else {
                        ""
                    }
                );
            }
        }
        DlqCommand::Redrive { route, wait } => {
            let before = super::replay::queued(&bus).await?;
            let queued = bus.redrive(route.as_deref()).await?;
            println!("{queued} dead letter(s) queued for redelivery");
            if wait {
                super::replay::follow(&bus, "redrive", before, queued as u64).await?;
                println!("redriven: every queued delivery made");
            } else if queued > 0 {
                println!("a running `starling up` delivers them now; otherwise the next one will");
            }
        }
    }
    Ok(())
}
