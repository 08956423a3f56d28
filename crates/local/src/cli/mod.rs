//! The `starling` command line. One module per subcommand; `main.rs` only parses and runs.
//!
//! To add a subcommand: a module here with an `Args` struct (clap derive) and a `run`, a variant
//! in [`Command`], and an arm in [`Cli::run`].

pub mod burst;
pub mod demo;
pub mod dlq;
pub mod events;
pub mod faces;
#[cfg(feature = "sql")]
pub mod lake;
#[cfg(feature = "sql")]
pub mod query;
pub mod replay;
pub mod send;
pub mod states;
pub mod time;
pub mod up;
pub mod x;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use starling_bus::{BusConfig, RoutingTable, SqliteBus};

use crate::data_dir::DataDir;

/// Starling on one machine: the local runtime and its tools.
#[derive(Debug, Parser)]
#[command(name = "starling", version, about)]
pub struct Cli {
    /// Options every subcommand takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// Where Starling keeps its state: the event log (bus.sqlite), media, the lake.
    #[arg(
        long,
        global = true,
        env = "STARLING_DATA_DIR",
        default_value = "./.starling",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,
    /// The routing table; the repository's schemas/routes.json (built in) when not given.
    #[arg(long, global = true, env = "STARLING_ROUTES", value_name = "FILE")]
    pub routes: Option<PathBuf>,
    /// Retries of a failed delivery before the event is dead-lettered (each doubling the wait
    /// from 200 ms, capped at 60 s, within an hour).
    #[arg(
        long,
        global = true,
        env = "STARLING_MAX_RETRIES",
        default_value_t = 8,
        value_name = "N"
    )]
    pub max_retries: u32,
}

impl Global {
    /// The data directory.
    pub fn data_dir(&self) -> DataDir {
        DataDir::new(&self.data_dir)
    }

    /// The routing table in use.
    pub fn routing_table(&self) -> anyhow::Result<RoutingTable> {
        Ok(match &self.routes {
            Some(path) => RoutingTable::from_path(path)?,
            None => RoutingTable::embedded()?,
        })
    }

    /// The bus's tunables: the defaults with `--max-retries`.
    pub fn bus_config(&self) -> BusConfig {
        let mut config = BusConfig::default();
        config.retry.max_retries = self.max_retries;
        config
    }

    /// Opens the bus in the data directory (without delivering), creating the directory
    /// private to its owner.
    pub fn open_bus(&self) -> anyhow::Result<SqliteBus> {
        let table = self.routing_table()?;
        self.data_dir().create()?;
        Ok(SqliteBus::open(
            self.data_dir().bus(),
            &table,
            self.bus_config(),
        )?)
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run bundled sample deliveries through the whole pipeline and summarise what happened.
    Demo(demo::Args),
    /// Serve the X webhook locally (the same ingress as the Lambda) onto the durable bus.
    Up(up::Args),
    /// Deliver a payload to a webhook as X would (signed), or run X's CRC check.
    Send(send::Args),
    /// Run Amazon States Language definitions locally.
    States(states::Args),
    /// Re-deliver archived events from a time range.
    Replay(replay::Args),
    /// Inspect and redrive the dead-letter table.
    Dlq(dlq::Args),
    /// Inspect the event log.
    Events(events::Args),
    /// Run SQL (Athena's, e.g. a file of athena/) over the local data lake.
    #[cfg(feature = "sql")]
    Query(query::Args),
    /// The data lake's silver layer: `starling lake compact`.
    #[cfg(feature = "sql")]
    Lake(lake::Args),
    /// Set X up: the bot's OAuth 2.0 login, webhooks, X Activity API subscriptions.
    X(x::Args),
    /// The people replies name: enrol them from photos, list them, forget them.
    Faces(faces::Args),
    /// Test helper: put events in a burst, printing each acknowledged event id.
    #[command(hide = true)]
    BusBurst(burst::Args),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Demo(args) => demo::run(&self.global, args).await,
            Command::Up(args) => up::run(&self.global, args).await,
            Command::Send(args) => send::run(&self.global, args).await,
            Command::States(args) => states::run(&self.global, args).await,
            Command::Replay(args) => replay::run(&self.global, args).await,
            Command::Dlq(args) => dlq::run(&self.global, args).await,
            Command::Events(args) => events::run(&self.global, args).await,
            Command::Faces(args) => faces::run(&self.global, args).await,
            #[cfg(feature = "sql")]
            Command::Query(args) => query::run(&self.global, args).await,
            #[cfg(feature = "sql")]
            Command::Lake(args) => lake::run(&self.global, args).await,
            Command::X(args) => x::run(&self.global, args).await,
            Command::BusBurst(args) => burst::run(&self.global, args).await,
        }
    }

    /// The log level when `RUST_LOG` is not set: `warn` for `demo`, whose summary is its output,
    /// `info` for the rest.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            Command::Demo(_) => "warn",
            _ => "info",
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `default_level`).
pub fn init_tracing(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn data_dir_defaults_to_dot_starling_and_is_accepted_after_the_subcommand() {
        let cli = Cli::try_parse_from(["starling", "dlq", "list"]).unwrap();
        if std::env::var_os("STARLING_DATA_DIR").is_none() {
            assert_eq!(cli.global.data_dir, PathBuf::from("./.starling"));
        }
        let cli = Cli::try_parse_from(["starling", "dlq", "list", "--data-dir", "/tmp/s"]).unwrap();
        assert_eq!(cli.global.data_dir, PathBuf::from("/tmp/s"));
    }
}
