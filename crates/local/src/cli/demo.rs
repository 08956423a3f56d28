//! `starling demo`: bundled sample deliveries through the whole local pipeline, then a summary.

use std::time::Duration;

use super::Global;
use crate::demo;

/// Options of `starling demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to wait for the pipeline to finish, in seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout_secs: u64,
}

/// Runs the demo in `<data dir>/demo` (its own directory, emptied first) and prints the summary.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let dir = global.data_dir().demo();
    println!(
        "Starling demo in {}: {} sample deliveries through the local pipeline (offline analysis, replies to the outbox, the lake)…\n",
        dir.root().display(),
        demo::DELIVERIES.len()
    );
    let report = demo::run(&dir, Duration::from_secs(args.timeout_secs)).await?;
    print!("{}", report.summary());
    Ok(())
}
