//! `cityrank run`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use cityrank::edition::ResolvedEdition;
use cityrank::report::{self, Format};

/// Arguments of `cityrank run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The edition file (e.g. methodologies/las-2024.toml).
    edition: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the plugin's log messages of every level (default: warnings and errors).
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the edition and writes its results.
pub fn run(args: RunArgs) -> Result<()> {
    let edition = ResolvedEdition::load(&args.edition, &args.sandbox.limits())?;
    let sandbox = args.sandbox.sandbox()?;
    let output = cityrank::run::run_edition(&sandbox, &edition)?;
    for m in &output.log {
        if args.verbose || matches!(m.level, "warn" | "error") {
            eprintln!("plugin {}: {}", m.level, m.message);
        }
    }
    let text = report::render(&output.results, args.format)?;
    super::emit(&text, args.output.as_deref())
}
