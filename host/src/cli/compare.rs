//! `cityrank compare`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use cityrank::compare::{self, CompareOptions, EditionArg, Runner};
use cityrank::published::{self, PublishedFile};
use clap::Args;

/// Output formats of `cityrank compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for the terminal.
    Table,
    /// The comparison document (see `schemas/compare.schema.json`).
    Json,
    /// One row per unit, four columns per method (rank, score, tier, shift).
    Csv,
    /// A self-contained HTML report with charts.
    Html,
    /// An Excel workbook (needs -o FILE): methods, agreement, units, partial units.
    Xlsx,
}

/// Arguments of `cityrank compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Editions to compare, each `EDITION.toml` or `EDITION.toml@VARIANT`; the first
    /// is the baseline of the rank shifts. Several methods on one edition give a
    /// method comparison, one method on several editions an edition over edition.
    #[arg(required = true, value_name = "EDITION[@VARIANT]")]
    editions: Vec<EditionArg>,
    /// Also compare each method with a published ranking from FILE (CSV with the
    /// columns ranking,edition,city,country_iso3,result_kind,result,source).
    #[arg(long, value_name = "FILE")]
    published: Option<PathBuf>,
    /// The published ranking to compare with [default: inferred from each edition's
    /// id and name, among the rankings of its year].
    #[arg(long, value_name = "NAME", requires = "published")]
    published_ranking: Option<String>,
    /// The published edition (the `edition` column) [default: each edition's year].
    #[arg(long, value_name = "YEAR", requires = "published")]
    published_edition: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The k of the top-k overlap.
    #[arg(long, value_name = "K", default_value_t = 10)]
    top: usize,
    /// Print the plugins' log messages of every level (default: warnings and errors).
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the editions, compares them and writes the comparison.
pub fn run(args: CompareArgs) -> Result<()> {
    if args.editions.len() < 2 && args.published.is_none() {
        bail!("give at least two editions to compare (or one with --published FILE)");
    }
    if args.format == Format::Xlsx && args.output.is_none() {
        bail!("--format xlsx writes a workbook: give the file to write with -o FILE (e.g. -o comparison.xlsx)");
    }
    if args.top == 0 {
        bail!("--top: k must be at least 1");
    }
    // Read the published file first: a mistake there should not cost the runs.
    let published = match &args.published {
        Some(path) => Some(PublishedFile::load(path)?),
        None => None,
    };
    let sandbox = args.sandbox.sandbox()?;
    let mut runner = Runner::new(&sandbox, args.sandbox.limits());
    let mut runs = Vec::with_capacity(args.editions.len());
    for arg in &args.editions {
        let run = runner.run(arg).with_context(|| format!("running `{arg}`"))?;
        super::print_plugin_log(&run.log, args.verbose, false, Some(&arg.to_string()));
        super::print_warnings(&run.warnings, Some(&arg.to_string()));
        runs.push(run);
    }
    let results: Vec<&cityrank::results::Results> = runs.iter().map(|r| &r.results).collect();
    let mut report = compare::compare(&results, CompareOptions { top_k: args.top })?;
    if !report.matched_by_name.is_empty() {
        let m = &report.matched_by_name;
        eprintln!(
            "note: {} unit{} matched by name and country because the ids differ (e.g. `{}` of {} as `{}`); {}",
            m.len(),
            if m.len() == 1 { "" } else { "s" },
            m[0].id,
            m[0].method,
            m[0].as_id,
            match args.format {
                Format::Table => "listed below the units".to_string(),
                _ => "see `matched_by_name` in --format json".to_string(),
            }
        );
    }
    if report.methods.len() > 1 && report.common_units == 0 {
        eprintln!(
            "warning: no unit is ranked by every method (units are matched by id, else by name and country), so \
             there is no agreement to measure; check that the editions cover the same cities"
        );
    } else if report.methods.len() > 1 && report.common_units < 10 {
        eprintln!(
            "warning: only {} unit{} ranked by every method ({} listed as partial): correlations and rank shifts on \
             so few units say little",
            report.common_units,
            if report.common_units == 1 { " is" } else { "s are" },
            report.partial_units.len()
        );
    }
    if let Some(file) = &published {
        for (run, method) in runs.iter().zip(&report.methods) {
            let selection = file
                .select(
                    args.published_ranking.as_deref(),
                    args.published_edition.as_deref(),
                    &run.results,
                )
                .with_context(|| format!("comparing `{}` with the published ranking", run.arg))?;
            report
                .published
                .push(published::compare(&selection, &run.results, &method.label));
        }
    }
    let text = match args.format {
        Format::Html => {
            let mut methods = Vec::with_capacity(runs.len());
            for (run, method) in runs.iter().zip(&report.methods) {
                methods.push(cityrank::html::MethodCharts {
                    label: method.label.clone(),
                    framework: run.results.framework.clone(),
                    breakdown: cityrank::explain::breakdown(&run.results, &run.manifest)
                        .with_context(|| format!("breaking down `{}`", run.arg))?,
                });
            }
            // Where the units are, when the datasets say (`lat`, `lon`), by the
            // comparison's ids (a unit matched by name is compared under the id it
            // has in the first method that has it).
            let mut coordinates = std::collections::BTreeMap::new();
            for (run, method) in runs.iter().zip(&report.methods) {
                let edition = run
                    .arg
                    .load(&args.sandbox.limits())
                    .with_context(|| format!("reading `{}` again for the map", run.arg))?;
                let dataset = cityrank::dataset::Dataset::load(&edition.dataset)
                    .with_context(|| format!("reading the dataset of `{}` again for the map", run.arg))?;
                for (id, at) in cityrank::html::coordinates(&dataset) {
                    let id = report
                        .matched_by_name
                        .iter()
                        .find(|m| m.method == method.label && m.id == id)
                        .map_or(id, |m| m.as_id.clone());
                    coordinates.entry(id).or_insert(at);
                }
            }
            cityrank::html::compare_report(&report, &methods, &coordinates)?
        }
        Format::Table => compare::table(&report),
        Format::Json => compare::json(&report)?,
        Format::Csv => compare::csv(&report)?,
        Format::Xlsx => {
            let bytes = cityrank::excel::compare_workbook(&report)?;
            let path = args.output.as_deref().context("--format xlsx needs -o FILE")?;
            return cityrank::fsutil::write_atomically(path, &bytes);
        }
    };
    super::emit(&text, args.output.as_deref())
}
