//! `starling lake compact`: the silver layer (deduplicated Parquet tables) from the bronze lake.

use anyhow::Context;
use chrono::NaiveDate;
use starling_lake::silver::Progress as Step;

use super::Global;
use crate::progress::Progress;

/// The data lake's upkeep.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: LakeCommand,
}

/// The `lake` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LakeCommand {
    /// Rewrite the silver tables (events_silver, posts, users) from the bronze lake: Parquet,
    /// zstd, one row per event / post / author, one file per day. Safe while `starling up` writes
    /// the lake; a crash leaves the previous silver intact.
    Compact {
        /// Rewrite only the days from this one on (YYYY-MM-DD); earlier days keep their files.
        #[arg(long, value_name = "DAY")]
        since: Option<NaiveDate>,
    },
}

/// Runs `lake compact`.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    match args.command {
        LakeCommand::Compact { since } => {
            let root = global.data_dir().lake();
            let report = tokio::task::spawn_blocking(move || compact(&root, since))
                .await
                .context("the compaction task")??;
            println!("{}", summary(&report));
            Ok(())
        }
    }
}

/// Compacts the lake under `root`, showing progress per table.
pub fn compact(
    root: &std::path::Path,
    since: Option<NaiveDate>,
) -> anyhow::Result<starling_lake::CompactReport> {
    let mut bar: Option<Progress> = None;
    let report =
        starling_lake::compact(
            root,
            &starling_lake::embedded_tables()?,
            since,
            |step| match step {
                Step::Table { table, rows, parts } => {
                    if let Some(done) = bar.take() {
                        done.finish();
                    }
                    bar = Some(Progress::new(
                        &format!("{table} ({rows} rows)"),
                        parts,
                        "files",
                    ));
                }
                Step::Part { rows, carried, .. } => {
                    if let Some(bar) = bar.as_mut() {
                        bar.step(&if carried {
                            "carried over".to_string()
                        } else {
                            format!("{rows} rows")
                        });
                    }
                }
            },
        )?;
    if let Some(done) = bar.take() {
        done.finish();
    }
    Ok(report)
}

/// The closing line of a compaction.
pub fn summary(report: &starling_lake::CompactReport) -> String {
    format!(
        "Silver layer rewritten from {} bronze events in {:.2} s ({:.0} events/s): {}",
        report.bronze_events,
        report.seconds,
        report.events_per_second(),
        report
            .tables
            .iter()
            .map(|(t, rows, written, carried)| {
                if *carried > 0 {
                    format!("{t} {rows} rows ({written} files written, {carried} kept)")
                } else {
                    format!("{t} {rows} rows ({written} files)")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    )
}
