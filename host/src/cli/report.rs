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
  las.html#weights=traditional:0.2,digital:0.6,institutional:0.2&unit=are-dubai
  asem.html#normalise=geometric&aggregate=geometric
(weights=ID:WEIGHT,… for any node or indicator; normalise=NAME and aggregate=NAME among the \
page's choices, shown in [brackets] in its lists; unit=ID for the breakdown shown). \"Copy as \
edition variant\" gives the scenario as a [variants.scenario] table: add it to the edition file and `cityrank run EDITION.toml \
--variant scenario` gives the page's ranks.

The choices of normalisation and aggregation are the edition's variants and sensitivity \
alternatives that change only those steps.

Example:
  cityrank report methodologies/las-2024.toml -o las.html")]
pub struct ReportArgs {
    /// The edition, `EDITION.toml` or `EDITION.toml@VARIANT`.
    #[arg(value_name = "EDITION[@VARIANT]")]
    edition: EditionArg,
    /// The page to write (HTML) [default: the edition's file name with `.html` (`NAME.VARIANT.html` for a variant), in the current folder].
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
        // `las-2024.html`, `las-2024.by-region.html` for a variant.
        None => PathBuf::from(match (args.edition.path.file_stem(), &args.edition.variant) {
            (Some(stem), Some(v)) => format!("{}.{v}.html", stem.to_string_lossy()),
            (Some(stem), None) => format!("{}.html", stem.to_string_lossy()),
            (None, _) => "report.html".into(),
        }),
    };
    cityrank::fsutil::write_atomically(&output, page.as_bytes())?;
    let count = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    eprintln!(
        "wrote {} ({}, {}, {}, {:.1} MB)",
        output.display(),
        count(report.model.units, "unit", "units"),
        count(report.model.normalisers.len(), "normaliser", "normalisers"),
        count(report.model.aggregators.len(), "aggregation", "aggregations"),
        page.len() as f64 / 1e6
    );
    Ok(())
}
