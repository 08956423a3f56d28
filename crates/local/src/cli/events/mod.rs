//! `starling events …`: the event log. One module per subcommand.

pub mod list;
pub mod test_pattern;

use super::Global;

/// Inspect the event log.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// The `events` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum EventsCommand {
    /// Show the latest events, oldest first.
    List(list::Args),
    /// Test an event against an event pattern, like `aws events test-event-pattern`.
    TestPattern(test_pattern::Args),
}

/// Runs an `events` subcommand.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    match args.command {
        EventsCommand::List(args) => list::run(global, args).await,
        EventsCommand::TestPattern(args) => test_pattern::run(args),
    }
}
