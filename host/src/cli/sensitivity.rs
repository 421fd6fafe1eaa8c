//! `cityrank sensitivity`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use cityrank::dataset::Dataset;
use cityrank::edition::ResolvedEdition;
use cityrank::sensitivity::{self, DesignKind, Overrides, SensitivityReport, Shard, render};
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
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "On several processes or machines: run each shard of the design with --shard K/N -o FILE \
                  (e.g. as a Slurm job array: tools/slurm/sensitivity.sbatch), then combine the parts with \
                  `cityrank sensitivity merge PARTS...`; the report is byte-identical to an unsharded run's."
)]
pub struct SensitivityArgs {
    #[command(subcommand)]
    command: Option<SensitivityCommand>,
    /// The edition file; its `[sensitivity]` table declares the uncertain inputs.
    /// `EDITION.toml@VARIANT` analyses one of its variants (as --variant): the
    /// inputs then change the variant's ranking.
    #[arg(required = true, value_name = "EDITION[@VARIANT]")]
    edition: Option<cityrank::compare::EditionArg>,
    /// Analyse the edition's variant NAME (see `[variants.NAME]` in the edition file).
    #[arg(long, value_name = "NAME")]
    variant: Option<String>,
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
    /// Run only shard K of N: the K-th of N equal slices of the design's builds
    /// (shard 1 also runs the builds that are not design rows). Writes a part
    /// for `cityrank sensitivity merge` to FILE given with -o, not a report.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Output format (default: table).
    #[arg(long, value_enum)]
    format: Option<SensitivityFormat>,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    sandbox: super::SandboxArgs,
}

/// Subcommands of `cityrank sensitivity`.
#[derive(Debug, clap::Subcommand)]
enum SensitivityCommand {
    /// Combine the parts written by every shard (`--shard K/N -o FILE`) into the
    /// report, byte-identical to the unsharded analysis's.
    Merge(MergeArgs),
}

/// Arguments of `cityrank sensitivity merge`.
#[derive(Debug, Args)]
struct MergeArgs {
    /// The part files, one per shard, in any order (e.g. parts/*.part).
    #[arg(required = true, value_name = "PARTS")]
    parts: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SensitivityFormat::Table)]
    format: SensitivityFormat,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text).map_err(|e| {
        // clap names the option itself.
        let e = e.to_string();
        e.split_once(": ").map_or(e.clone(), |(_, rest)| rest.to_string())
    })
}

/// Runs the analysis and writes its report.
pub fn run(args: SensitivityArgs) -> Result<()> {
    if let Some(SensitivityCommand::Merge(m)) = args.command {
        check_xlsx_output(m.format, m.output.as_deref())?;
        let started = std::time::Instant::now();
        let report = sensitivity::shard::merge(&m.parts)?;
        super::print_warnings(&report.warnings, None);
        eprintln!(
            "{} parts merged ({} builds) in {:.1} ms",
            m.parts.len(),
            report.design.builds,
            started.elapsed().as_secs_f64() * 1e3
        );
        // (The parts do not hold the dataset's coordinates: no map.)
        if m.format == SensitivityFormat::Html {
            eprintln!(
                "note: a merged HTML report has no map (the parts do not hold the units' coordinates); \
                 the report of the unsharded run draws it"
            );
        }
        return write_report(&report, m.format, m.output.as_deref(), &Default::default());
    }
    if args.shard.is_some() {
        if let Some(f) = args.format {
            let f = clap::ValueEnum::to_possible_value(&f).map_or_else(String::new, |v| v.get_name().to_string());
            bail!(
                "--shard writes a part for `cityrank sensitivity merge`, not a report; give the format to the merge \
                 instead: cityrank sensitivity merge PARTS... --format {f} -o FILE"
            );
        }
        if args.output.is_none() {
            bail!("--shard writes a part: give the file to write with -o FILE (e.g. -o parts/shard-1.part)");
        }
    }
    let format = args.format.unwrap_or(SensitivityFormat::Table);
    check_xlsx_output(format, args.output.as_deref())?;
    let edition_arg = args.edition.as_ref().context("give the edition file")?;
    let edition_path = edition_arg.path.as_path();
    let variant = match (&edition_arg.variant, &args.variant) {
        (Some(a), Some(b)) if a != b => {
            bail!("the variant is given twice: `@{a}` and `--variant {b}`; give it once")
        }
        (Some(v), _) | (None, Some(v)) => Some(v.as_str()),
        (None, None) => None,
    };
    let edition = ResolvedEdition::load_variant(edition_path, &args.sandbox.limits(), variant)?;
    let spec = edition.edition.sensitivity.clone().with_context(|| {
        format!(
            "{}: no [sensitivity] table; declare the uncertain inputs there (see README: Sensitivity analysis)",
            edition_path.display()
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
    if let Some(shard) = args.shard {
        let part = sensitivity::analyse_shard(&loaded, &edition, &dataset, &spec, &over, shard)?;
        let path = args.output.as_deref().context("--shard needs -o FILE")?;
        part.write(path)?;
        let (builds, total, extra) = part.builds();
        if builds == 0 {
            eprintln!(
                "warning: shard {shard} has none of the design's {total} builds (there are more shards than builds); \
                 split into at most {total} shards"
            );
        }
        eprintln!(
            "shard {shard}: {builds} of the design's {total} builds{} in {:.1} ms, written to {}",
            if extra > 0 {
                format!(" and {extra} builds that are not design rows")
            } else {
                String::new()
            },
            started.elapsed().as_secs_f64() * 1e3,
            path.display()
        );
        return Ok(());
    }
    let report = sensitivity::analyse(&loaded, &edition, &dataset, &spec, &over)?;
    super::print_warnings(&report.warnings, None);
    let elapsed = started.elapsed();
    eprintln!(
        "{} builds in {:.1} ms ({:.0} builds/s)",
        report.design.builds,
        elapsed.as_secs_f64() * 1e3,
        report.design.builds as f64 / elapsed.as_secs_f64()
    );
    write_report(
        &report,
        format,
        args.output.as_deref(),
        &cityrank::html::coordinates(&dataset),
    )
}

/// A workbook is not written to the terminal.
fn check_xlsx_output(format: SensitivityFormat, output: Option<&Path>) -> Result<()> {
    if format == SensitivityFormat::Xlsx && output.is_none() {
        anyhow::bail!(
            "--format xlsx writes a workbook: give the file to write with -o FILE (e.g. -o sensitivity.xlsx)"
        );
    }
    Ok(())
}

/// Writes the report in `format` to `output` or standard output.
/// `coordinates`: the units' `[lat, lon]` by id, for the HTML report's map.
fn write_report(
    report: &SensitivityReport,
    format: SensitivityFormat,
    output: Option<&Path>,
    coordinates: &std::collections::BTreeMap<String, [f64; 2]>,
) -> Result<()> {
    let text = match format {
        SensitivityFormat::Table => render::table(report),
        SensitivityFormat::Json => render::json(report)?,
        SensitivityFormat::Csv => render::csv(report)?,
        SensitivityFormat::Html => cityrank::html::sensitivity_report(report, coordinates)?,
        SensitivityFormat::Xlsx => {
            let bytes = cityrank::excel::sensitivity_workbook(report)?;
            let path = output.context("--format xlsx needs -o FILE")?;
            return cityrank::fsutil::write_atomically(path, &bytes);
        }
    };
    super::emit(&text, output)
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
