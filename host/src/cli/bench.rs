//! `cityrank bench`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use cityrank::bench::{self, Figure};
use clap::Args;

/// Arguments of `cityrank bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Run only these cases (sa-asem, build-asem, scale, mc-1000x50, wasm-step, formula, authoring, excel-diff, experts, scale-process).
    #[arg(long = "case", value_name = "NAME")]
    cases: Vec<String>,
    /// Fewer repetitions and smaller Monte Carlo (a smoke test, not a measurement).
    #[arg(long)]
    quick: bool,
    /// The repository root (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    /// Run one case in this process and print its figures as JSON (used by the
    /// parent process; each case runs in a fresh process so peak memory is its own).
    #[arg(long, hide = true)]
    child: bool,
}

/// Runs the cases, each in a child process, and prints the figures.
pub fn run(args: BenchArgs) -> Result<()> {
    if args.child {
        let [case] = args.cases.as_slice() else {
            bail!("--child runs exactly one --case")
        };
        let figures = bench::run_case(case, &args.root, args.quick);
        // The case's temporary files (synthetic datasets, reports: hundreds of MB)
        // go with it, whether it succeeded or not.
        bench::remove_temporary_files();
        println!("{}", serde_json::to_string(&figures?)?);
        return Ok(());
    }
    let cases: Vec<String> = if args.cases.is_empty() {
        bench::CASES.iter().map(|s| s.to_string()).collect()
    } else {
        args.cases.clone()
    };
    let exe = std::env::current_exe().context("cannot find the cityrank executable")?;
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build; measure with `cargo run --release -- bench`");
    }
    let mut all: Vec<Figure> = Vec::new();
    for case in &cases {
        eprintln!("running {case} …");
        let mut cmd = Command::new(&exe);
        cmd.args(["bench", "--child", "--case", case, "--root"]).arg(&args.root);
        if args.quick {
            cmd.arg("--quick");
        }
        let out = cmd
            .output()
            .with_context(|| format!("cannot run benchmark case `{case}`"))?;
        if !out.status.success() {
            bail!(
                "benchmark case `{case}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let figures: Vec<Figure> = serde_json::from_slice(&out.stdout)
            .with_context(|| format!("benchmark case `{case}` printed no figures"))?;
        all.extend(figures);
    }
    let w = all.iter().map(|f| f.name.chars().count()).max().unwrap_or(10);
    println!(
        "{:<w$}  {:>12}  {:>12}  {:>4}  note",
        "figure", "measured", "goal", "met"
    );
    for f in &all {
        let goal = f.goal.map_or("–".to_string(), |g| {
            format!("{} {:.4}", if f.lower_is_better { "≤" } else { "≥" }, g)
        });
        println!(
            "{:<w$}  {:>12}  {:>12}  {:>4}  {}",
            f.name,
            format!("{:.4} {}", f.value, f.unit),
            goal,
            if f.goal.is_none() {
                ""
            } else if f.met() {
                "yes"
            } else {
                "NO"
            },
            f.note
        );
    }
    Ok(())
}
