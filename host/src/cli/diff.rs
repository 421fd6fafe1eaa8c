//! `cityrank diff`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::compare::EditionArg;
use cityrank::diff::{self, Side};
use cityrank::edition::ResolvedEdition;
use clap::Args;

/// Output formats of `cityrank diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for the terminal.
    Table,
    /// The diff document (see `schemas/diff.schema.json`).
    Json,
}

/// Arguments of `cityrank diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first edition, `EDITION.toml` or `EDITION.toml@VARIANT`.
    #[arg(value_name = "A[@VARIANT]")]
    a: EditionArg,
    /// The second edition.
    #[arg(value_name = "B[@VARIANT]")]
    b: EditionArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Finds the differences between two editions and their rank impact.
pub fn run(args: DiffArgs) -> Result<()> {
    let sandbox = args.sandbox.sandbox()?;
    let load = |arg: &EditionArg| -> Result<(ResolvedEdition, cityrank::run::LoadedMethodology)> {
        let e = arg.load(&args.sandbox.limits())?;
        let loaded = cityrank::run::Loader::load(&sandbox, &e.plugin, &e.limits)?;
        Ok((e, loaded))
    };
    let (ea, la) = load(&args.a)?;
    let (eb, lb) = load(&args.b)?;
    let report = diff::diff(
        &Side {
            label: args.a.to_string(),
            edition: &ea,
            loaded: &la,
        },
        &Side {
            label: args.b.to_string(),
            edition: &eb,
            loaded: &lb,
        },
    )
    .with_context(|| format!("comparing `{}` with `{}`", args.a, args.b))?;
    let text = match args.format {
        Format::Table => diff::table(&report),
        Format::Json => diff::json(&report)?,
    };
    super::emit(&text, args.output.as_deref())
}
