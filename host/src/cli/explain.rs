//! `cityrank explain`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::compare::{EditionArg, Runner};
use cityrank::explain;
use clap::Args;

/// Output formats of `cityrank explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table for the terminal.
    Table,
    /// The explanation document (see `schemas/explain.schema.json`).
    Json,
    /// An Excel workbook (needs `-o FILE`): the breakdown, strengths and
    /// weaknesses, and how the results were made.
    Xlsx,
}

/// Arguments of `cityrank explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The edition, `EDITION.toml` or `EDITION.toml@VARIANT`.
    #[arg(value_name = "EDITION[@VARIANT]")]
    edition: EditionArg,
    /// The unit to explain: its id (or a name that matches one unit).
    #[arg(long, short, value_name = "ID")]
    unit: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// How many strengths and weaknesses to list.
    #[arg(long, value_name = "N", default_value_t = 3)]
    top: usize,
    /// Print the plugin's log messages of every level (default: warnings and errors).
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the edition and explains the unit's score.
pub fn run(args: ExplainArgs) -> Result<()> {
    if args.format == Format::Xlsx && args.output.is_none() {
        anyhow::bail!("--format xlsx writes a workbook: give the file to write with -o FILE (e.g. -o explain.xlsx)");
    }
    let sandbox = args.sandbox.sandbox()?;
    let mut runner = Runner::new(&sandbox, args.sandbox.limits());
    let run = runner
        .run(&args.edition)
        .with_context(|| format!("running `{}`", args.edition))?;
    super::print_plugin_log(&run.log, args.verbose, false, None);
    super::print_warnings(&run.warnings, None);
    let e = explain::explain(&run.results, &run.manifest, &args.unit, args.top)?;
    let text = match args.format {
        Format::Table => explain::table(&e),
        Format::Json => explain::json(&e)?,
        Format::Xlsx => {
            let bytes = cityrank::excel::explain_workbook(&e)?;
            let path = args.output.as_deref().context("--format xlsx needs -o FILE")?;
            return cityrank::fsutil::write_atomically(path, &bytes);
        }
    };
    super::emit(&text, args.output.as_deref())
}
