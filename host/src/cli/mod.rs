//! Command-line arguments and dispatch; each subcommand lives in its own file.

mod analyse;
mod bench;
mod build;
mod compare;
mod data;
mod diff;
mod document;
mod experts;
mod explain;
mod inspect;
mod new;
mod report;
mod run;
mod schema;
mod sensitivity;
mod validate;
mod verify;

use std::path::Path;

use anyhow::Result;
use cityrank::edition::LimitsSpec;
use cityrank::sandbox::Sandbox;
use clap::{Args, Parser, Subcommand};

/// Build, run and compare city rankings (`cityrank new DIR` starts a methodology).
#[derive(Debug, Parser)]
#[command(name = "cityrank", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an edition: score, rank and tier its units.
    Run(run::RunArgs),
    /// Create a new methodology (manifest, sample data, edition) that runs as created.
    New(new::NewArgs),
    /// Build a plugin (Rust, Python or JavaScript) into a methodology component.
    Build(build::BuildArgs),
    /// Check an edition or a methodology (manifest, plugin or component) without running the ranking.
    Validate(validate::ValidateArgs),
    /// Print a methodology's framework tree with its weights and ladders.
    Inspect(inspect::InspectArgs),
    /// Print the JSON Schema of a document (edition, manifest, dataset, results, compare, explain, sensitivity, analysis, experts, …).
    Schema(schema::SchemaArgs),
    /// Uncertainty and sensitivity analysis of an edition's ranking.
    Sensitivity(sensitivity::SensitivityArgs),
    /// Measure cityrank's speed and memory goals (for its developers; build with --release).
    Bench(bench::BenchArgs),
    /// Compare rankings: several methods on one edition, or one method over editions.
    Compare(compare::CompareArgs),
    /// Explain one unit's score: its breakdown, strengths and weaknesses.
    Explain(explain::ExplainArgs),
    /// Write an edition as an offline web page where weights and methods can be changed and the ranking follows.
    Report(report::ReportArgs),
    /// Statistical analysis of a run: Cronbach's alpha, PCA and correlations per node.
    Analyse(analyse::AnalyseArgs),
    /// Re-run what a results file names and check that the same results come out, byte for byte.
    Verify(verify::VerifyArgs),
    /// Look at a dataset before ranking: statistics and COINr's flags (`cityrank data check`).
    Data(data::DataArgs),
    /// Write an edition's methodology appendix (Markdown or HTML): framework, weights, indicators, steps, tiers, data.
    Document(document::DocumentArgs),
    /// An expert panel's weights: each expert's AHP priorities and consistency ratio, budget
    /// allocations, the panel's weights and agreement (Kendall's W, outliers).
    Experts(experts::ExpertsArgs),
    /// What differs between two editions (or variants) and how much of the rank change each difference causes.
    Diff(diff::DiffArgs),
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::New(a) => new::run(a),
        Command::Build(a) => build::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Schema(a) => schema::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Report(a) => report::run(a),
        Command::Sensitivity(a) => sensitivity::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Analyse(a) => analyse::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Data(a) => data::run(a),
        Command::Document(a) => document::run(a),
        Command::Experts(a) => experts::run(a),
        Command::Diff(a) => diff::run(a),
    }
}

/// Sandbox limits and cache settings shared by the commands that load plugins.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Plugin limits (for plugins with code; a manifest without code needs none)")]
pub struct SandboxArgs {
    /// Fuel (CPU budget) per plugin call [default: 10000000000, or the edition's].
    #[arg(long, value_name = "UNITS")]
    fuel: Option<u64>,
    /// Memory limit per plugin instance, in MiB [default: 256, or the edition's].
    #[arg(long, value_name = "MIB")]
    memory_mib: Option<u64>,
    /// Limit on what one plugin call may return, in MiB [default: 64, or the edition's].
    #[arg(long, value_name = "MIB")]
    output_mib: Option<u64>,
    /// Do not read or write the compiled-component cache.
    #[arg(long)]
    no_cache: bool,
}

impl SandboxArgs {
    fn limits(&self) -> LimitsSpec {
        LimitsSpec {
            fuel: self.fuel,
            memory_mib: self.memory_mib,
            output_mib: self.output_mib,
        }
    }

    fn sandbox(&self) -> Result<Sandbox> {
        let sandbox = Sandbox::new(if self.no_cache {
            None
        } else {
            Sandbox::default_cache_dir()
        })?;
        for notice in sandbox.notices() {
            eprintln!("warning: {notice}");
        }
        Ok(sandbox)
    }
}

/// Prints on standard error what a plugin logged that its run's warnings do not
/// already hold (its `warn` and `error` messages are among them, printed by
/// [`print_warnings`]): `info` messages when `info` or `verbose`, `debug` ones when
/// `verbose`; prefixed with the edition when several runs print theirs.
fn print_plugin_log(log: &[cityrank::plugin::LogMessage], verbose: bool, info: bool, edition: Option<&str>) {
    for m in log {
        let shown = match m.level {
            "debug" => verbose,
            "info" => info || verbose,
            _ => false,
        };
        if shown {
            match edition {
                Some(e) => eprintln!("{e}: plugin {}: {}", m.level, m.message),
                None => eprintln!("plugin {}: {}", m.level, m.message),
            }
        }
    }
}

/// Prints a run's warnings on standard error (`warning: …`), naming the edition
/// when several runs print theirs.
fn print_warnings(warnings: &[String], edition: Option<&str>) {
    for w in warnings {
        match edition {
            Some(e) => eprintln!("warning: {e}: {w}"),
            None => eprintln!("warning: {w}"),
        }
    }
}

/// Writes `text` to `output` atomically, or to standard output.
fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(path) => cityrank::fsutil::write_atomically(path, text.as_bytes()),
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

/// A methodology argument: a manifest, a plugin directory or a component file.
fn plugin_source(path: &Path) -> Result<cityrank::edition::PluginSource> {
    cityrank::edition::PluginSource::from_path(path)
}
