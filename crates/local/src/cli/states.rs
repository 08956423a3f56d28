//! `starling states run`: execute an Amazon States Language definition locally, printing the
//! execution's output (or its error and cause) as JSON — like Step Functions' StartSyncExecution.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use serde_json::json;
use starling_states::{ExecutionOptions, ExecutionStatus, StateMachine, execute};

use super::Global;

/// Options of `starling states`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `starling states` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Execute a definition on an input.
    Run(RunArgs),
}

/// Options of `starling states run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The definition (`.asl.json`).
    pub definition: PathBuf,
    /// The execution input (JSON file); `{}` when omitted.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// A definition substitution `NAME=VALUE` for `${NAME}` (repeatable). Starling's placeholders
    /// default to their local values.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub substitutions: Vec<String>,
    /// Put `events:putEvents` entries on the local bus in the data directory. Lambda tasks run
    /// the local functions analyse-text, download-media and analyse-image (offline providers).
    #[arg(long)]
    pub bus: bool,
}

/// Runs the subcommand; a failed execution prints its error and exits non-zero.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let Command::Run(args) = args.command;
    let mut subs = crate::runtime::local_substitutions(&global.data_dir());
    for s in &args.substitutions {
        let Some((k, v)) = s.split_once('=') else {
            bail!("--set {s}: expected NAME=VALUE")
        };
        subs.insert(k.to_string(), v.to_string());
    }
    let text = std::fs::read_to_string(&args.definition)
        .with_context(|| format!("reading {}", args.definition.display()))?;
    let machine = StateMachine::from_json_with_substitutions(&text, &subs)
        .with_context(|| format!("{} is not a valid definition", args.definition.display()))?;
    let input = match &args.input {
        Some(p) => serde_json::from_str(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("{} is not JSON", p.display()))?,
        None => json!({}),
    };
    let mut tasks = crate::functions::offline_analysis_tasks(
        &global.data_dir(),
        None,
        starling_core::analysis::image::DetectTextMode::default(),
    );
    let bus = if args.bus {
        Some(Arc::new(global.open_bus()?))
    } else {
        None
    };
    if let Some(bus) = &bus {
        tasks = tasks.with_bus(bus.clone());
    }
    let name = args
        .definition
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = ExecutionOptions {
        state_machine_name: name,
        ..Default::default()
    };
    let result = execute(&machine, input, &tasks, &options).await;
    let failed = result.status != ExecutionStatus::Succeeded;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "status": if failed { "FAILED" } else { "SUCCEEDED" },
            "output": result.output,
            "error": result.error,
            "cause": result.cause,
            "transitions": result.transitions,
        }))?
    );
    if failed {
        bail!("execution failed: {}", result.error.unwrap_or_default());
    }
    Ok(())
}
