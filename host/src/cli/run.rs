//! `cityrank run`.

use std::path::PathBuf;

use anyhow::Result;
use cityrank::edition::ResolvedEdition;
use cityrank::fsutil::Content;
use cityrank::report;
use clap::Args;

/// Output formats of `cityrank run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table for the terminal.
    Table,
    /// The results document (see `schemas/results.schema.json`).
    Json,
    /// One row per unit, one column per framework node.
    Csv,
    /// An Excel workbook (needs -o FILE): ranking with tiers coloured, indicator
    /// scores, raw values, framework with weights, missing values, provenance.
    Xlsx,
}

/// Arguments of `cityrank run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The edition file (e.g. methodologies/las-2024.toml), or `EDITION.toml@VARIANT`
    /// for one of its variants (as --variant).
    #[arg(value_name = "EDITION[@VARIANT]")]
    edition: cityrank::compare::EditionArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// With --format csv: start with a byte-order mark (for Excel on Windows).
    #[arg(long)]
    bom: bool,
    /// With --format csv: head the pillar and indicator columns with their names, not their ids.
    #[arg(long)]
    names: bool,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Run the edition's variant NAME (see `[variants.NAME]` in the edition file).
    #[arg(long, value_name = "NAME")]
    variant: Option<String>,
    /// Also write one CSV per pipeline stage (raw, denominated, imputed, screened,
    /// treated, normalised, aggregated) into DIR.
    #[arg(long, value_name = "DIR")]
    stages: Option<PathBuf>,
    /// Also print the plugin's debug messages (by default its info messages, warnings
    /// and errors are printed, e.g. what print() or console.log wrote).
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the edition and writes its results.
pub fn run(args: RunArgs) -> Result<()> {
    let variant = match (&args.edition.variant, &args.variant) {
        (Some(a), Some(b)) if a != b => {
            anyhow::bail!("the variant is given twice: `@{a}` and `--variant {b}`; give it once")
        }
        (Some(v), _) | (None, Some(v)) => Some(v.as_str()),
        (None, None) => None,
    };
    if (args.bom || args.names) && args.format != Format::Csv {
        anyhow::bail!("--bom and --names are for --format csv");
    }
    if args.format == Format::Xlsx && args.output.is_none() {
        anyhow::bail!("--format xlsx writes a workbook: give the file to write with -o FILE (e.g. -o ranking.xlsx)");
    }
    let edition = ResolvedEdition::load_variant(&args.edition.path, &args.sandbox.limits(), variant)?;
    let sandbox = args.sandbox.sandbox()?;
    let options = cityrank::pipeline::Options {
        record_stages: args.stages.is_some() || args.format == Format::Xlsx,
        ..Default::default()
    };
    let output = cityrank::run::run_edition(&sandbox, &edition, options)?;
    super::print_plugin_log(&output.log, args.verbose, true, None);
    super::print_warnings(&output.warnings, None);
    let bytes = match args.format {
        Format::Table => report::table(&output.results).into_bytes(),
        // Written as it is produced, below (about 100 MB for 13,000 units).
        Format::Json => Vec::new(),
        // Written as it is produced too.
        Format::Csv => Vec::new(),
        Format::Xlsx => {
            let raw = output.stages.iter().find(|s| s.name == cityrank::catalogue::stage::RAW);
            cityrank::excel::results_workbook(&output.results, raw.map(|s| (s, output.unit_ids.as_slice())))?
        }
    };
    // The stage tables (if asked for) and the results: all written, or none.
    let files = match &args.stages {
        Some(dir) => cityrank::run::stage_files(&output.stages, &output.unit_ids, dir)?,
        None => Vec::new(),
    };
    // The results: the bytes above, or for JSON the document as it is written
    // (what `report::json` returns, without holding it whole).
    let results = &output.results;
    let csv_options = report::CsvOptions {
        bom: args.bom,
        names: args.names,
    };
    let content = match args.format {
        Format::Json => Content::Stream(Box::new(move |w: &mut dyn std::io::Write| {
            serde_json::to_writer_pretty(&mut *w, results).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })),
        Format::Csv => Content::Stream(Box::new(move |w: &mut dyn std::io::Write| {
            report::csv_to(results, &csv_options, w).map_err(std::io::Error::other)
        })),
        _ => Content::Bytes(&bytes),
    };
    match &args.output {
        Some(path) => {
            let mut all: Vec<(&std::path::Path, Content)> =
                files.iter().map(|(p, b)| (p.as_path(), Content::Bytes(b))).collect();
            all.push((path, content));
            cityrank::fsutil::write_contents(&all)
        }
        None => {
            cityrank::fsutil::write_all_or_none(&files)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            content.write_to(&mut out)?;
            std::io::Write::flush(&mut out)?;
            Ok(())
        }
    }
}
