//! `starling events list [--detail-type X] [--limit N] [--json]`.

use chrono::SecondsFormat;

use crate::cli::Global;

/// Show the latest events in the log.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only events of this detail-type, e.g. MESSAGE_RECEIVED.
    #[arg(long, value_name = "DETAIL_TYPE")]
    pub detail_type: Option<String>,
    /// How many (the latest).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print each envelope as one JSON line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Prints the events.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let bus = global.open_bus()?;
    let events = bus.events(args.detail_type.as_deref(), args.limit).await?;
    if args.json {
        for e in &events {
            println!("{}", serde_json::to_string(&e.envelope)?);
        }
        return Ok(());
    }
    if events.is_empty() {
        println!("no events");
        return Ok(());
    }
    println!(
        "{:>6}  {:<20}  {:<24} {:<20} ID",
        "SEQ", "TIME", "DETAIL-TYPE", "SOURCE"
    );
    for e in &events {
        println!(
            "{:>6}  {:<20}  {:<24} {:<20} {}",
            e.seq,
            e.envelope.time.to_rfc3339_opts(SecondsFormat::Secs, true),
            e.envelope.detail_type,
            e.envelope.source,
            e.envelope.id
        );
    }
    Ok(())
}
