//! `cityrank analyse`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::analysis;
use cityrank::compare::EditionArg;
use clap::Args;

/// Output formats of `cityrank analyse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for the terminal.
    Table,
    /// The analysis document (see `schemas/analysis.schema.json`).
    Json,
}

/// Arguments of `cityrank analyse`.
#[derive(Debug, Args)]
pub struct AnalyseArgs {
    /// The edition, `EDITION.toml` or `EDITION.toml@VARIANT`.
    #[arg(value_name = "EDITION[@VARIANT]")]
    edition: EditionArg,
    /// Only the Pearson, Spearman and Kendall correlations of nodes A and B (any
    /// framework node ids: index, pillars or indicators).
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    between: Option<Vec<String>>,
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

/// Runs the edition and analyses its normalised indicators and aggregated scores.
pub fn run(args: AnalyseArgs) -> Result<()> {
    let edition = args.edition.load(&args.sandbox.limits())?;
    let sandbox = args.sandbox.sandbox()?;
    let options = cityrank::pipeline::Options {
        record_stages: true,
        ..Default::default()
    };
    let output = cityrank::run::run_edition(&sandbox, &edition, options)
        .with_context(|| format!("running `{}`", args.edition))?;
    super::print_plugin_log(&output.log, args.verbose, false, None);
    super::print_warnings(&output.warnings, None);
    let stage = analysis::aggregated_stage(&output.stages)?;
    let between = match args.between.as_deref() {
        Some([a, b]) => Some((a.as_str(), b.as_str())),
        _ => None,
    };
    let report = analysis::analyse(&output.results, stage, between)?;
    let text = match args.format {
        Format::Table => analysis::table(&report),
        Format::Json => analysis::json(&report)?,
    };
    super::emit(&text, args.output.as_deref())
}
