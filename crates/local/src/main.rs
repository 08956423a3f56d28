//! `starling`: Starling on one machine. Parsing and wiring only; the subcommands live in
//! `starling_local::cli`.

use std::process::ExitCode;

use clap::Parser;
use starling_local::cli::{Cli, init_tracing};

/// mimalloc instead of glibc's malloc: `starling up` allocates and frees many small JSON values
/// and strings on several threads at once, and glibc's allocator was ~15 % of its CPU time under
/// `scripts/load.sh` (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
