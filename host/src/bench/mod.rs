//! Benchmarks: the speed and memory goals, each measured against its goal and,
//! where there is one, a baseline measured in the same run.
//!
//! `cityrank bench` runs every case in a fresh child process (so peak memory is the
//! case's own) and prints a table of figures, goals and ratios.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

mod authoring;
mod data;
mod in_process;
mod process;

use authoring::authoring;
use data::{excel_diff, experts};
use in_process::{build_asem, formula, monte_carlo, sa_asem, scale, synthetic_data, wasm_step};
use process::{report_page, scale_process};

use anyhow::{Context as _, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::edition::{LimitsSpec, PluginSource, ResolvedEdition, Variant};
use crate::methodology::{
    AggregateSpec, Direction, ImputeSpec, IndexSpec, IndicatorSpec, Manifest, NodeSpec, NormaliseSpec, PipelineSpec,
    TierSpec, TreatSpec,
};
use crate::pipeline::{self, NoCustomSteps};
use crate::plugin::{Column, Plugin, StepCall, Table};
use crate::results::Usage;
use crate::run::{Derived, Loader};
use crate::sandbox::Sandbox;
use crate::sensitivity::design::Rng;
use crate::sensitivity::{self, DesignKind, InputSpec, Overrides, SensitivitySpec, Subject, WeightNoise};

/// COINr 1.1.14's time for the ASEM sensitivity design (300 builds), measured on the
/// project's 2-core machine (the figure).
pub const COINR_SA_SECONDS: f64 = 34.8;
/// COINr's time for one ASEM build on the same machine.
pub const COINR_BUILD_SECONDS: f64 = 0.106;

/// One measured figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The measurement.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// The goal (same unit), if any.
    pub goal: Option<f64>,
    /// Whether lower is better (times, memory) or higher (rates).
    pub lower_is_better: bool,
    /// A comparison, e.g. `1234× faster than COINr`.
    pub note: String,
}

impl Figure {
    fn new(name: &str, value: f64, unit: &str, goal: Option<f64>, note: String) -> Figure {
        Figure {
            name: name.into(),
            value,
            unit: unit.into(),
            goal,
            lower_is_better: true,
            note,
        }
    }

    /// Whether the goal is met (true without a goal).
    pub fn met(&self) -> bool {
        self.goal.is_none_or(|g| {
            if self.lower_is_better {
                self.value <= g
            } else {
                self.value >= g
            }
        })
    }
}

/// The names of the cases, in the order `cityrank bench` runs them.
pub const CASES: [&str; 11] = [
    "sa-asem",
    "build-asem",
    "scale",
    "mc-1000x50",
    "wasm-step",
    "formula",
    "authoring",
    "excel-diff",
    "experts",
    "scale-process",
    "report-page",
];

/// Runs one case in this process; `root` is the repository (for the ASEM edition
/// and the plugins).
pub fn run_case(case: &str, root: &Path, quick: bool) -> Result<Vec<Figure>> {
    match case {
        "sa-asem" => sa_asem(root, quick),
        "build-asem" => build_asem(root, quick),
        "scale" => scale(quick),
        "mc-1000x50" => monte_carlo(quick),
        "wasm-step" => wasm_step(root, quick),
        "formula" => formula(quick),
        "authoring" => authoring(root, quick),
        "excel-diff" => excel_diff(root, quick),
        "experts" => experts(root, quick),
        "scale-process" => scale_process(root, quick),
        "report-page" => report_page(root, quick),
        other => bail!("no benchmark case `{other}`; the cases are: {}", CASES.join(", ")),
    }
}

/// Times `f` `reps` times (after one warm-up) and returns the median in seconds.
fn time<T>(reps: usize, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut last = f()?;
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        last = f()?;
        times.push(t.elapsed().as_secs_f64());
    }
    Ok((cityrank_steps::stats::median(&times), last))
}

/// Peak and current resident memory of this process, in bytes (Linux `/proc`).
pub fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Runs `cityrank ARGS` in `dir` as a process of its own (as a user runs it) and
/// returns its wall time in seconds and its peak resident memory in bytes (the
/// child writes it at exit, see `main.rs`). Fails with the child's error.
fn process(dir: &Path, args: &[&str]) -> Result<(f64, f64)> {
    let exe = std::env::current_exe().context("cannot find the cityrank executable")?;
    let peak_file = dir.join(".peak-memory");
    let start = Instant::now();
    let out = std::process::Command::new(exe)
        .args(args)
        .current_dir(dir)
        .env("CITYRANK_PEAK_MEMORY_FILE", &peak_file)
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot start cityrank")?;
    let secs = start.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "`cityrank {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let peak: f64 = std::fs::read_to_string(&peak_file)?
        .trim()
        .parse()
        .context("the child's peak memory")?;
    Ok((secs, peak))
}

/// Chromium's flags for a report opened headless, offline and quiet, in a 1280 × 1000
/// window (the bench's figures and the browser tests; each adds its profile and page).
pub const CHROMIUM_HEADLESS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
];

/// The Chromium binary, if installed: `/usr/bin/chromium`, `/usr/bin/chromium-browser`,
/// then `chromium` or `chromium-browser` on the `PATH` (for the HTML report
/// figures, and for the browser tests).
pub fn chromium() -> Option<std::path::PathBuf> {
    for name in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(name).is_file() {
            return Some(name.into());
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Opens the report `page` in headless Chromium (a fresh profile, `--dump-dom`:
/// the browser loads the page, runs its scripts, prints the DOM and exits) and
/// returns the wall time of the whole browser process and the page's own time
/// from navigation start until every chart was drawn and every table built
/// (`data-rendered-ms` on `<body>`, set by the report's script), both in seconds.
/// Fails when the page reports script errors.
fn open_in_chromium(browser: &Path, page: &Path) -> Result<(f64, f64)> {
    let start = Instant::now();
    let dom = dump_dom(browser, page)?;
    let wall = start.elapsed().as_secs_f64();
    let attribute = |name: &str| body_attribute(&dom, name);
    if attribute("data-errors").as_deref() != Some("[]") {
        bail!(
            "{}: the page's script failed: {}",
            page.display(),
            attribute("data-errors").unwrap_or_else(|| "it did not finish".into())
        );
    }
    let ms: f64 = attribute("data-rendered-ms")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("{}: the page did not say when it was drawn", page.display()))?;
    Ok((wall, ms / 1000.0))
}

/// The value of attribute `name` of `<body>` in a dumped DOM.
fn body_attribute(dom: &str, name: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let body = &body[..body.find('>')?];
    let at = body.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(body[at..at + body[at..].find('"')?].to_string())
}

/// The DOM of `page` after its scripts ran (headless Chromium, a fresh profile).
fn dump_dom(browser: &Path, page: &Path) -> Result<String> {
    let profile = page.with_extension("chromium-profile");
    let out = std::process::Command::new(browser)
        .args(CHROMIUM_HEADLESS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot start {}", browser.display()))?;
    let _ = std::fs::remove_dir_all(&profile);
    if !out.status.success() {
        bail!(
            "{} failed on {}: {}",
            browser.display(),
            page.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Removes this process's temporary folder (see `tempfile_dir`), if any.
pub fn remove_temporary_files() {
    let _ = std::fs::remove_dir_all(temporary_folder());
}

/// This process's temporary folder (`cityrank-bench-PID` in the system's).
fn temporary_folder() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("cityrank-bench-{}", std::process::id()))
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = temporary_folder();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    Ok(dir)
}
