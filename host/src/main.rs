//! The `cityrank` command line: a thin layer over the `cityrank` library.

mod cli;

// mimalloc: the pipeline and the sensitivity analysis allocate many small,
// short-lived column vectors; mimalloc serves them markedly faster than the
// system allocator (see `cityrank bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let code = match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    };
    // For `cityrank bench`, which runs commands as processes of their own: the
    // process's peak memory, written where it asks.
    if let Some(path) = std::env::var_os("CITYRANK_PEAK_MEMORY_FILE") {
        let (peak, _) = cityrank::bench::memory();
        let _ = std::fs::write(path, peak.to_string());
    }
    code
}
