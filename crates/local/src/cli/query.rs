//! `starling query`: Athena SQL (a file of `athena/`, or any statement) over the local lake,
//! through DuckDB with the shared table definitions as views.

use std::path::Path;

use anyhow::Context;

use super::Global;
use starling_lake::{Format, LakeEngine, embedded_tables};

/// Options of `starling query`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The SQL, or a file holding it (e.g. athena/all-celebrities.sql).
    #[arg(value_name = "SQL | FILE.sql")]
    pub sql: String,
    /// How to print the result: table, csv or json.
    #[arg(long, default_value = "table", value_name = "table|csv|json")]
    pub format: Format,
}

/// The SQL of `arg`: a file's content when `arg` names an existing file, else `arg` itself.
pub fn sql_of(arg: &str) -> anyhow::Result<String> {
    let path = Path::new(arg);
    let looks_like_file = arg.ends_with(".sql") && !arg.contains(char::is_whitespace);
    if looks_like_file || path.is_file() {
        return std::fs::read_to_string(path).with_context(|| format!("reading {arg}"));
    }
    Ok(arg.to_string())
}

/// Runs the query and prints the result.
pub async fn run(global: &Global, args: Args) -> anyhow::Result<()> {
    let sql = sql_of(&args.sql)?;
    let root = global.data_dir().lake();
    let result = tokio::task::spawn_blocking(move || {
        let engine = LakeEngine::open(&root, &embedded_tables()?)?;
        anyhow::Ok(engine.query(&sql)?)
    })
    .await??;
    print!("{}", result.render(args.format));
    Ok(())
}
