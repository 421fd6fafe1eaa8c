//! `cityrank sensitivity`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use cityrank::dataset::Dataset;
use cityrank::edition::ResolvedEdition;
use cityrank::sensitivity::{self, DesignKind, Overrides, render};
use clap::Args;

/// Sampling designs (`--design`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Design {
    /// Independent uniform draws.
    Mc,
    /// A scrambled Sobol' low-discrepancy sequence.
    Sobol,
}

impl From<Design> for DesignKind {
    fn from(d: Design) -> DesignKind {
        match d {
            Design::Mc => DesignKind::Mc,
            Design::Sobol => DesignKind::Sobol,
        }
    }
}

/// Output formats of `cityrank sensitivity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SensitivityFormat {
    /// A summary for the terminal.
    Table,
    /// The full report.
    Json,
    /// Rank statistics per unit.
    Csv,
    /// A self-contained HTML page whose charts (rank intervals, Sobol indices, tier
    /// stability, leave-one-out shifts) are drawn by the embedded ECharts.
    Html,
    /// An Excel workbook (needs -o FILE): rank intervals and tier shares, Sobol
    /// indices, top-tier changes, leave-one-out shifts.
    Xlsx,
}

/// Arguments of `cityrank sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// The edition file; its `[sensitivity]` table declares the uncertain inputs.
    edition: PathBuf,
    /// Points per design matrix N (a sensitivity analysis runs N·(d + 2) builds).
    #[arg(long, value_name = "N")]
    samples: Option<usize>,
    /// Seed of every random draw.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Sampling design.
    #[arg(long, value_enum)]
    design: Option<Design>,
    /// Target of the indices: mean-rank-shift, spearman or rank:<unit id>.
    #[arg(long)]
    target: Option<String>,
    /// Run only the uncertainty analysis (N builds, no indices).
    #[arg(long)]
    uncertainty_only: bool,
    /// Worker threads (default: one per core). The output does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SensitivityFormat::Table)]
    format: SensitivityFormat,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Runs the analysis and writes its report.
pub fn run(args: SensitivityArgs) -> Result<()> {
    if args.format == SensitivityFormat::Xlsx && args.output.is_none() {
        anyhow::bail!(
            "--format xlsx writes a workbook: give the file to write with -o FILE (e.g. -o sensitivity.xlsx)"
        );
    }
    let edition = ResolvedEdition::load(&args.edition, &args.sandbox.limits())?;
    let spec = edition.edition.sensitivity.clone().with_context(|| {
        format!(
            "{}: no [sensitivity] table; declare the uncertain inputs there (see README: Sensitivity analysis)",
            args.edition.display()
        )
    })?;
    let sandbox = args.sandbox.sandbox()?;
    let loaded = cityrank::run::Loader::load(&sandbox, &edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    let over = Overrides {
        samples: args.samples,
        seed: args.seed,
        design: args.design.map(DesignKind::from),
        target: args.target.clone(),
        uncertainty_only: args.uncertainty_only,
        threads: args.threads,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr())
            .then(|| sensitivity::ProgressHook(std::sync::Arc::new(Bar(indicatif::ProgressBar::new(0))))),
    };
    let started = std::time::Instant::now();
    let report = sensitivity::analyse(&loaded, &edition, &dataset, &spec, &over)?;
    super::print_warnings(&report.warnings, None);
    let elapsed = started.elapsed();
    eprintln!(
        "{} builds in {:.1} ms ({:.0} builds/s)",
        report.design.builds,
        elapsed.as_secs_f64() * 1e3,
        report.design.builds as f64 / elapsed.as_secs_f64()
    );
    let text = match args.format {
        SensitivityFormat::Table => render::table(&report),
        SensitivityFormat::Json => render::json(&report)?,
        SensitivityFormat::Csv => render::csv(&report)?,
        SensitivityFormat::Html => cityrank::html::sensitivity_report(&report)?,
        SensitivityFormat::Xlsx => {
            let bytes = cityrank::excel::sensitivity_workbook(&report)?;
            let path = args.output.as_deref().context("--format xlsx needs -o FILE")?;
            return cityrank::fsutil::write_atomically(path, &bytes);
        }
    };
    super::emit(&text, args.output.as_deref())
}

/// The builds' progress as a bar on the terminal.
struct Bar(indicatif::ProgressBar);

impl sensitivity::Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self) {
        self.0.inc(1);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
