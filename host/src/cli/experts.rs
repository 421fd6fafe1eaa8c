//! `cityrank experts`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::compare::EditionArg;
use cityrank::experts::{PairwiseAggregation, Panel, PointsAggregation, PreparedPanel, PriorityMethod, Settings};
use clap::Args;

/// Output formats of `cityrank experts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for the terminal.
    Table,
    /// The experts report (see `schemas/experts.schema.json`).
    Json,
    /// One row per weight: node, kind, child, who (an expert, `panel` or
    /// `methodology`), weight, CR, distance, outlier.
    Csv,
    /// A self-contained web page: per node the experts' weights as strip plots
    /// beside the panel's.
    Html,
    /// An Excel workbook (needs `-o FILE`): weights, experts, agreement.
    Xlsx,
}

/// `--pairwise` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Pairwise {
    /// The geometric mean of the experts' judgements, then its priorities.
    Aij,
    /// The geometric mean of the experts' priorities.
    Aip,
    /// The arithmetic mean of the experts' priorities.
    AipArithmetic,
}

/// `--points` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Points {
    /// The mean of the experts' shares.
    Mean,
    /// The median of the experts' shares, renormalised.
    Median,
}

/// `--priorities` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Priorities {
    /// The principal eigenvector (Saaty).
    Eigenvector,
    /// The normalised row geometric mean.
    GeometricMean,
}

/// Arguments of `cityrank experts`.
#[derive(Debug, Args)]
#[command(after_long_help = PANEL_HELP)]
pub struct ExpertsArgs {
    /// The panel file: CSV (or a workbook) with the header `expert,node,kind,a,b,value`.
    #[arg(value_name = "PANEL")]
    file: PathBuf,
    /// The sheet of a workbook (default: the first).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Check the panel against this edition's methodology (node and child ids and
    /// names, the methodology's own weights beside the panel's) and take the
    /// edition's `[experts]` settings.
    #[arg(long, value_name = "EDITION[@VARIANT]")]
    edition: Option<EditionArg>,
    /// How AHP judgements are aggregated (default: the edition's, else aij).
    #[arg(long, value_enum)]
    pairwise: Option<Pairwise>,
    /// How budget allocations and ratings are aggregated (default: the edition's, else mean).
    #[arg(long, value_enum)]
    points: Option<Points>,
    /// How priorities are derived from a comparison matrix (default: the edition's, else eigenvector).
    #[arg(long, value_enum)]
    priorities: Option<Priorities>,
    /// Leave out, at each node, the experts whose consistency ratio there is above this (e.g. 0.1).
    #[arg(long, value_name = "CR")]
    max_cr: Option<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

const PANEL_HELP: &str = "\
The panel file has one judgement per row:
  expert,node,kind,a,b,value
  e01,index,pairwise,digital,traditional,3      AHP: digital moderately more important than traditional
  e01,index,pairwise,digital,institutional,1/2  (Saaty's scale 1/9 … 9; the reciprocal is implied)
  e01,digital,points,internet_use,,40           budget allocation: points per child (any total)
  e02,digital,rating,internet_use,,5            direct rating (e.g. 1–5)
`node` is a node of the methodology with children (the index or a pillar), `a` and `b` its children. An
expert may judge some nodes only; a node is judged one way by the whole panel. Pairs an expert leaves out
are completed by logarithmic least squares.

In an edition, `[experts] file = \"panel.csv\"` sets the weights of every node the panel judges:
  [experts]
  file = \"panel.csv\"
  pairwise = \"aij\"     # or \"aip\", \"aip-arithmetic\"
  points = \"mean\"      # or \"median\"
  max_cr = 0.1         # optional: leave out inconsistent experts at a node";

/// Reads, checks and reports the panel.
pub fn run(args: ExpertsArgs) -> Result<()> {
    if args.format == Format::Xlsx && args.output.is_none() {
        anyhow::bail!("--format xlsx writes a workbook: give the file to write with -o FILE (e.g. -o panel.xlsx)");
    }
    if args.max_cr.is_some_and(|m| !(m.is_finite() && m >= 0.0)) {
        anyhow::bail!("--max-cr: expected a consistency ratio ≥ 0, e.g. 0.1");
    }
    let panel = Panel::load(&args.file, args.sheet.as_deref())?;
    let (targets, mut settings, methodology) = match &args.edition {
        Some(e) => {
            let edition = e.load(&args.sandbox.limits())?;
            let sandbox = args.sandbox.sandbox()?;
            let loaded = cityrank::run::Loader::load(&sandbox, &edition.plugin, &edition.limits)?;
            let framework = loaded
                .manifest
                .framework()
                .with_context(|| format!("the methodology of {e}"))?;
            let settings = edition.experts.as_ref().map(|x| x.settings()).unwrap_or_default();
            (
                Some(cityrank::experts::targets_of(&framework)),
                settings,
                Some(format!("{} v{}", loaded.manifest.id, loaded.manifest.version)),
            )
        }
        None => (None, Settings::default(), None),
    };
    if let Some(p) = args.pairwise {
        settings.pairwise = match p {
            Pairwise::Aij => PairwiseAggregation::Aij,
            Pairwise::Aip => PairwiseAggregation::Aip,
            Pairwise::AipArithmetic => PairwiseAggregation::AipArithmetic,
        };
    }
    if let Some(p) = args.points {
        settings.points = match p {
            Points::Mean => PointsAggregation::Mean,
            Points::Median => PointsAggregation::Median,
        };
    }
    if let Some(p) = args.priorities {
        settings.priorities = match p {
            Priorities::Eigenvector => PriorityMethod::Eigenvector,
            Priorities::GeometricMean => PriorityMethod::GeometricMean,
        };
    }
    if args.max_cr.is_some() {
        settings.max_cr = args.max_cr;
    }
    let prepared = PreparedPanel::prepare(&panel, targets, &settings)?;
    let report = prepared.report(methodology)?;
    let text = match args.format {
        Format::Table => cityrank::experts_report::table(&report),
        Format::Json => cityrank::experts_report::json(&report)?,
        Format::Csv => cityrank::experts_report::csv(&report)?,
        Format::Html => cityrank::html::experts_report(&report)?,
        Format::Xlsx => {
            let bytes = cityrank::excel::experts_workbook(&report)?;
            let path = args.output.as_deref().context("--format xlsx needs -o FILE")?;
            return cityrank::fsutil::write_atomically(path, &bytes);
        }
    };
    super::emit(&text, args.output.as_deref())
}
