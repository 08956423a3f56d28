//! `starling`: Starling on one machine. Parsing and wiring only; the subcommands live in
//! `starling_local::cli`.

use std::process::ExitCode;

use clap::Parser;
use starling_local::cli::{Cli, init_tracing};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.default_log_level());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
