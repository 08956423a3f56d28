//! `starling events test-pattern`: does an event match a pattern? Answers like
//! `aws events test-event-pattern` (`true`/`false`); an invalid pattern exits non-zero with the reason.

use std::path::PathBuf;

use anyhow::Context;
use starling_patterns::Pattern;

/// Options of `starling events test-pattern`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The event pattern (JSON file).
    #[arg(long)]
    pub pattern: PathBuf,
    /// The event (JSON file: a full EventBridge envelope).
    #[arg(long)]
    pub event: PathBuf,
}

/// Prints `true` or `false`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let pattern_text = std::fs::read_to_string(&args.pattern)
        .with_context(|| format!("reading {}", args.pattern.display()))?;
    let pattern =
        Pattern::parse(&pattern_text).with_context(|| format!("{}", args.pattern.display()))?;
    let event_text = std::fs::read_to_string(&args.event)
        .with_context(|| format!("reading {}", args.event.display()))?;
    let event: serde_json::Value = serde_json::from_str(&event_text)
        .with_context(|| format!("{} is not JSON", args.event.display()))?;
    println!("{}", pattern.matches(&event));
    Ok(())
}
