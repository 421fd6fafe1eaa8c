//! `cityrank data`.

use std::path::PathBuf;

use anyhow::Result;
use cityrank::datacheck::{self, Thresholds};
use cityrank::dataset::Dataset;
use cityrank::edition::ResolvedEdition;
use clap::{Args, Subcommand};

/// Arguments of `cityrank data`.
#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Statistics of every variable (count, missing share, min, max, mean, skew,
    /// kurtosis) with COINr's flags; for an edition also each indicator as derived
    /// and the units that miss it.
    Check(CheckArgs),
}

/// Output formats of `cityrank data check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for the terminal.
    Table,
    /// The data check document (see `schemas/data-check.schema.json`).
    Json,
}

/// Arguments of `cityrank data check`.
#[derive(Debug, Args)]
struct CheckArgs {
    /// A dataset description (`dataset.toml`) or an edition file.
    path: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs `cityrank data …`.
pub fn run(args: DataArgs) -> Result<()> {
    match args.command {
        DataCommand::Check(a) => check(a),
    }
}

fn check(args: CheckArgs) -> Result<()> {
    let t = Thresholds::default();
    let report = if cityrank::edition::edition_table(&args.path).is_some() {
        let edition = ResolvedEdition::load(&args.path, &args.sandbox.limits())?;
        let sandbox = args.sandbox.sandbox()?;
        let loaded = cityrank::run::Loader::load(&sandbox, &edition.plugin, &edition.limits)?;
        let dataset = Dataset::load(&edition.dataset)?;
        let (check, warnings) = datacheck::check_edition(&loaded, &edition, &dataset, &t)?;
        super::print_warnings(&warnings, None);
        check
    } else {
        datacheck::check_dataset(&Dataset::load(&args.path)?, &t)
    };
    let text = match args.format {
        Format::Table => datacheck::table(&report),
        Format::Json => datacheck::json(&report)?,
    };
    super::emit(&text, args.output.as_deref())
}
