//! `starling bus-burst` (hidden): puts events as fast as it can and prints each acknowledged
//! event id on its own line, flushed, once the put has returned. The crash test kills it
//! mid-burst and checks every printed id is delivered after a restart. With `--deliver-to FILE`
//! it also delivers while it puts, appending `route id` lines to FILE, so the test can kill it
//! mid-delivery too.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::json;
use starling_contracts::OutgoingEvent;

use super::Global;
use starling_bus::{DeliveryError, TargetRegistry, target_fn};

/// Put events in a burst.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many events in all.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Events per put (1–10).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10))]
    pub batch: u64,
    /// The events' source.
    #[arg(long, default_value = "starling.test")]
    pub source: String,
    /// Also deliver, every route to this file (one `route id` line per delivery).
    #[arg(long, value_name = "FILE")]
    pub deliver_to: Option<PathBuf>,
}

/// Puts the burst.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let bus = global.open_bus()?;
    if let Some(path) = &args.deliver_to {
        let file = std::fs::File::options()
            .create(true)
            .append(true)
            .open(path)?;
        let file = Arc::new(Mutex::new(file));
        let mut targets = TargetRegistry::new();
        for route in bus.routes() {
            let (file, name) = (file.clone(), route.name().to_string());
            let target = target_fn(move |event| {
                let line = format!("{name} {}\n", event.id);
                let file = file.clone();
                async move {
                    // One write per line, before the bus moves the cursor: what the cursor
                    // has passed is in the file even after kill -9.
                    file.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .write_all(line.as_bytes())
                        .map_err(|e| DeliveryError::Retryable(e.to_string()))
                }
            });
            targets = targets.with_route(route.name(), target);
        }
        bus.start(&targets).await?;
    }
    let mut stdout = std::io::stdout().lock();
    let mut n = 0;
    while n < args.count {
        let batch: Vec<OutgoingEvent> = (n..args.count.min(n + args.batch))
            .map(|i| OutgoingEvent::new(&args.source, "BURST", json!({ "n": i })))
            .collect::<Result<_, _>>()?;
        n += batch.len() as u64;
        for result in bus.put_entries(&batch).await? {
            match result {
                Ok(accepted) => writeln!(stdout, "{}", accepted.id)?,
                Err(refused) => anyhow::bail!("entry refused: {}", refused.message),
            }
        }
        stdout.flush()?;
    }
    bus.wait_idle(std::time::Duration::from_secs(600)).await?;
    bus.shutdown().await?;
    Ok(())
}
