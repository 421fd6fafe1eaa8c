//! `cityrank report`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::compare::EditionArg;
use cityrank::{html, interactive};
use clap::Args;

/// Arguments of `cityrank report`.
#[derive(Debug, Args)]
#[command(after_help = "\
The page needs no network and no other file: open it in a browser, move a weight or choose \
another normalisation or aggregation, and the ranking, tiers, rank changes and each unit's \
breakdown are recomputed in the page by cityrank's own steps (the numbers `cityrank run` gives).

The page's address keeps the scenario, so a link reproduces it, e.g.
  las.html#weights=traditional:0.2,digital:0.6,institutional:0.2&aggregate=geometric
(weights=ID:WEIGHT,… for any node or indicator; normalise=NAME and aggregate=NAME among the \
page's choices; unit=ID for the breakdown shown). \"Copy as edition variant\" gives the scenario \
as a [variants.scenario] table: add it to the edition file and `cityrank run EDITION.toml \
--variant scenario` gives the page's ranks.

The choices of normalisation and aggregation are the edition's variants and sensitivity \
alternatives that change only those steps.

Example:
  cityrank report methodologies/las-2024.toml -o las.html")]
pub struct ReportArgs {
    /// The edition, `EDITION.toml` or `EDITION.toml@VARIANT`.
    #[arg(value_name = "EDITION[@VARIANT]")]
    edition: EditionArg,
    /// The page to write (HTML) [default: the edition's file name with `.html`, in the current folder].
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the edition and writes its page.
pub fn run(args: ReportArgs) -> Result<()> {
    let sandbox = args.sandbox.sandbox()?;
    let report = interactive::build(&sandbox, &args.edition, &args.sandbox.limits())
        .with_context(|| format!("building the report of `{}`", args.edition))?;
    super::print_warnings(&report.warnings, None);
    if !report.left_out.is_empty() {
        eprintln!(
            "note: the page offers only alternatives that change normalisation or aggregation; not offered:\n  {}",
            report.left_out.join("\n  ")
        );
    }
    let page = html::report_page(&report)?;
    let output = match args.output {
        Some(o) => o,
        None => PathBuf::from(
            args.edition
                .path
                .file_stem()
                .map(|s| format!("{}.html", s.to_string_lossy()))
                .unwrap_or_else(|| "report.html".into()),
        ),
    };
    cityrank::fsutil::write_atomically(&output, page.as_bytes())?;
    eprintln!(
        "wrote {} ({} units, {} normalisers, {} aggregations, {:.1} MB)",
        output.display(),
        report.model.units,
        report.model.normalisers.len(),
        report.model.aggregators.len(),
        page.len() as f64 / 1e6
    );
    Ok(())
}
