//! Benchmarks: the speed and memory goals, each measured against its goal and,
//! where there is one, a baseline measured in the same run.
//!
//! `cityrank bench` runs every case in a fresh child process (so peak memory is the
//! case's own) and prints a table of figures, goals and ratios.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

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
/// project's 2-core machine (the issue's figure).
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
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
    Ok((median(times), last))
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

fn asem(root: &Path) -> Result<(ResolvedEdition, crate::run::LoadedMethodology, Dataset, Sandbox)> {
    let sandbox = Sandbox::new(Sandbox::default_cache_dir())?;
    let edition = ResolvedEdition::load(&root.join("methodologies/asem-2018.toml"), &LimitsSpec::default())?;
    let loaded = sandbox.load(&edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    Ok((edition, loaded, dataset, sandbox))
}

/// The ASEM sensitivity design of the edition file (4 inputs, N = 50, 300 builds),
/// without leave-one-out, against COINr's 34.8 s.
fn sa_asem(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let (edition, loaded, dataset, _sandbox) = asem(root)?;
    let mut spec = edition
        .edition
        .sensitivity
        .clone()
        .context("asem-2018.toml has no [sensitivity] table")?;
    spec.leave_one_out = false;
    let over = Overrides::default();
    let (secs, report) = time(if quick { 3 } else { 15 }, || {
        sensitivity::analyse(&loaded, &edition, &dataset, &spec, &over)
    })?;
    let builds = report.design.builds as f64;
    let ms = secs * 1e3;
    let mut f = Figure::new(
        "ASEM sensitivity design (300 builds, 2 threads)",
        ms,
        "ms",
        Some(35.0),
        format!(
            "{:.0}× faster than COINr's {COINR_SA_SECONDS} s",
            COINR_SA_SECONDS / secs
        ),
    );
    f.name = format!("ASEM sensitivity design ({} builds)", report.design.builds);
    let mut rate = Figure::new("  builds per second", builds / secs, "builds/s", None, String::new());
    rate.lower_is_better = false;
    Ok(vec![f, rate])
}

/// One full ASEM build in process (nominal manifest, no cache): denominate, impute,
/// screen, treat, normalise, aggregate, rank.
fn build_asem(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let (edition, loaded, dataset, _sandbox) = asem(root)?;
    let derived = crate::run::derive_rows(&loaded, &edition, &dataset)?;
    let manifest = edition.effective_manifest(&loaded.manifest)?;
    let framework = manifest.framework()?;
    let raw = derived.raw_for(&manifest, &loaded.manifest);
    let ctx = derived.context();
    let reps = if quick { 200 } else { 2000 };
    let (secs, out) = time(reps, || {
        let out = pipeline::run(
            &manifest,
            &framework,
            &ctx,
            raw.as_slice().into(),
            Default::default(),
            &mut NoCustomSteps,
        )?;
        pipeline::rank(&out.scores[0], &manifest, None, None)?;
        Ok(out)
    })?;
    if out.kept().len() != 51 {
        bail!("the ASEM build kept {} units, 51 expected", out.kept().len());
    }
    Ok(vec![Figure::new(
        "One full ASEM build (51 units × 49 indicators)",
        secs * 1e3,
        "ms",
        Some(0.1),
        format!(
            "{:.0}× faster than COINr's {} s",
            COINR_BUILD_SECONDS / secs,
            COINR_BUILD_SECONDS
        ),
    )])
}

/// A synthetic framework: `pillars` pillars of `per` indicators under one index.
fn synthetic_manifest(pillars: usize, per: usize) -> Manifest {
    let nodes = (0..pillars)
        .map(|p| NodeSpec {
            id: format!("p{p}"),
            name: format!("Pillar {p}"),
            parent: "index".into(),
            weight: 1.0 + p as f64 / 10.0,
            aggregate: None,
            description: None,
        })
        .collect();
    let indicators = (0..pillars * per)
        .map(|i| IndicatorSpec {
            id: format!("i{i}"),
            name: format!("Indicator {i}"),
            parent: format!("p{}", i / per),
            weight: 1.0,
            direction: if i % 7 == 3 {
                Direction::Lower
            } else {
                Direction::Higher
            },
            unit: "1".into(),
            description: None,
            from: None,
            formula: None,
            denominator: None,
            denominator_scale: None,
            target: None,
            treat: None,
            normalise: None,
            ladder: Vec::new(),
        })
        .collect();
    Manifest {
        schema_version: 1,
        id: "synthetic".into(),
        name: "Synthetic".into(),
        version: "0.1.0".into(),
        description: "benchmark".into(),
        reconstructs: None,
        sources: Vec::new(),
        editions: Vec::new(),
        inputs: Vec::new(),
        constants: BTreeMap::new(),
        index: IndexSpec {
            id: "index".into(),
            name: "Index".into(),
            aggregate: None,
        },
        nodes,
        indicators,
        pipeline: PipelineSpec {
            impute: Some(ImputeSpec::Mean),
            treat: Some(TreatSpec::Coinr {
                winmax: 5,
                skew: 2.0,
                kurt: 3.5,
                log: Default::default(),
                force_win: false,
                first: None,
                then: None,
                combine: false,
            }),
            normalise: NormaliseSpec::MinMax { lo: 0.0, hi: 100.0 },
            aggregate: AggregateSpec::Arithmetic,
            ..Default::default()
        },
        tiers: vec![
            TierSpec {
                label: "top 10%".into(),
                upper_share: Some(0.1),
                min_score: None,
            },
            TierSpec {
                label: "rest".into(),
                upper_share: Some(1.0),
                min_score: None,
            },
        ],
        peer_groups: None,
    }
}

/// Synthetic data: skewed (log-normal) columns with 1% missing cells.
fn synthetic_data(units: usize, indicators: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = Rng::new(seed, 0xDA7A);
    (0..indicators)
        .map(|_| {
            (0..units)
                .map(|_| {
                    if rng.uniform() < 0.01 {
                        return f64::NAN;
                    }
                    // Box–Muller normal, then exp: a log-normal value.
                    let (u1, u2) = (rng.uniform().max(1e-300), rng.uniform());
                    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                    (0.8 * z).exp()
                })
                .collect()
        })
        .collect()
}

fn synthetic_derived(units: usize, raw: Vec<Vec<f64>>) -> Derived {
    Derived {
        rows: (0..units).collect(),
        unit_ids: (0..units).map(|u| format!("u{u}")).collect(),
        raw,
        groups: BTreeMap::new(),
        variables: BTreeMap::new(),
        usage: Usage { fuel: 0, calls: 0 },
        log: Vec::new(),
        warnings: Vec::new(),
        panel_unit: Vec::new(),
        panel_time: Vec::new(),
    }
}

/// 13,000 units × 200 indicators in 5 pillars through the full pipeline (mean
/// imputation, COINr treatment, min-max, arithmetic means, ranking): time and peak
/// memory against the size of the data.
fn scale(_quick: bool) -> Result<Vec<Figure>> {
    let (units, indicators) = (13_000, 200);
    let manifest = synthetic_manifest(5, indicators / 5);
    let framework = manifest.framework()?;
    let (_, before) = memory();
    let raw = synthetic_data(units, indicators, 7);
    let data_bytes = (units * indicators * 8) as f64;
    let ids: Vec<String> = (0..units).map(|u| format!("u{u}")).collect();
    let (groups, variables) = (BTreeMap::new(), BTreeMap::new());
    let ctx = pipeline::Context {
        units: &ids,
        groups: &groups,
        variables: &variables,
        panel: None,
    };
    let t = Instant::now();
    let out = pipeline::run(
        &manifest,
        &framework,
        &ctx,
        raw.into(),
        Default::default(),
        &mut NoCustomSteps,
    )?;
    let ranking = pipeline::rank(&out.scores[0], &manifest, None, None)?;
    let secs = t.elapsed().as_secs_f64();
    if ranking.ranks.iter().flatten().count() != units {
        bail!("not every unit was ranked");
    }
    let (peak, _) = memory();
    let used = peak.saturating_sub(before) as f64;
    Ok(vec![
        Figure::new(
            "Full pipeline, 13,000 units × 200 indicators",
            secs * 1e3,
            "ms",
            Some(1000.0),
            String::new(),
        ),
        Figure::new(
            "  peak memory above the baseline ÷ data size",
            used / data_bytes,
            "× data",
            Some(2.0),
            format!("{:.1} MB peak for {:.1} MB of data", used / 1e6, data_bytes / 1e6),
        ),
    ])
}

/// Monte Carlo uncertainty analysis: 10,000 samples on 1,000 units × 50 indicators
/// (inputs: normaliser, aggregator, ±25% weight noise on pillars, winsorisation limit).
fn monte_carlo(quick: bool) -> Result<Vec<Figure>> {
    let (units, indicators) = (1_000, 50);
    let mut manifest = synthetic_manifest(5, indicators / 5);
    // Min-max onto 1–100 so that the geometric alternative is defined.
    manifest.pipeline.normalise = NormaliseSpec::MinMax { lo: 1.0, hi: 100.0 };
    let derived = synthetic_derived(units, synthetic_data(units, indicators, 11));
    let alt = |description: &str, f: &dyn Fn(&mut Variant)| {
        let mut v = Variant {
            description: Some(description.into()),
            ..Default::default()
        };
        f(&mut v);
        v
    };
    let spec = SensitivitySpec {
        samples: if quick { 1_000 } else { 10_000 },
        design: DesignKind::Mc,
        seed: 1,
        uncertainty_only: true,
        bootstrap: 0,
        target: "mean-rank-shift".into(),
        leave_one_out: false,
        inputs: vec![
            InputSpec {
                name: "normalisation".into(),
                alternatives: vec![
                    alt("min-max", &|v| {
                        v.pipeline.normalise = Some(NormaliseSpec::MinMax { lo: 1.0, hi: 100.0 })
                    }),
                    alt("z-score", &|v| {
                        v.pipeline.normalise = Some(NormaliseSpec::ZScore { mean: 50.0, sd: 10.0 })
                    }),
                ],
                variants: Vec::new(),
                weight_noise: None,
                experts: None,
            },
            InputSpec {
                name: "aggregation".into(),
                alternatives: vec![
                    alt("arithmetic", &|v| {
                        v.pipeline.aggregate = Some(AggregateSpec::Arithmetic)
                    }),
                    alt("geometric", &|v| v.pipeline.aggregate = Some(AggregateSpec::Geometric)),
                ],
                variants: Vec::new(),
                weight_noise: None,
                experts: None,
            },
            InputSpec {
                name: "winmax".into(),
                alternatives: (1..=5)
                    .map(|w| {
                        alt(&format!("winmax {w}"), &|v| {
                            v.pipeline.treat = Some(TreatSpec::Coinr {
                                winmax: w,
                                skew: 2.0,
                                kurt: 3.5,
                                log: Default::default(),
                                force_win: false,
                                first: None,
                                then: None,
                                combine: false,
                            })
                        })
                    })
                    .collect(),
                variants: Vec::new(),
                weight_noise: None,
                experts: None,
            },
            InputSpec {
                name: "weights".into(),
                alternatives: Vec::new(),
                variants: Vec::new(),
                weight_noise: Some(WeightNoise {
                    levels: vec![2],
                    factor: 0.25,
                    replicates: 100,
                }),
                experts: None,
            },
        ],
    };
    let variants = BTreeMap::new();
    let plugin_manifest = manifest.clone();
    let t = Instant::now();
    let subject = Subject {
        label: "synthetic".into(),
        edition_id: "synthetic".into(),
        variant: None,
        methodology: "synthetic".into(),
        methodology_sha256: String::new(),
        dataset_sha256: String::new(),
        edition_sha256: String::new(),
        panel_sha256: None,
        base: manifest,
        plugin_manifest: &plugin_manifest,
        unit_names: derived.unit_ids.clone(),
        derived,
        variants: &variants,
        plugin: None,
        experts: None,
    };
    let report = sensitivity::analyse_subject(subject, &spec, &Overrides::default())?;
    let secs = t.elapsed().as_secs_f64();
    let goal = if quick { 1.0 } else { 10.0 };
    Ok(vec![Figure::new(
        &format!(
            "Monte Carlo, {} samples on 1,000 units × 50 indicators",
            report.design.builds
        ),
        secs,
        "s",
        Some(goal),
        format!("{:.0} builds/s", report.design.builds as f64 / secs),
    )])
}

/// A custom step run by a Wasm plugin against the same step compiled natively:
/// COINr's outlier treatment of 2,000 units × 100 indicators (the plugin runs the
/// host's step library compiled to WebAssembly; the data cross the boundary once
/// each way).
fn wasm_step(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let (units, indicators) = (2_000, 100);
    let data = synthetic_data(units, indicators, 13);
    let sandbox = Sandbox::new(Sandbox::default_cache_dir())?;
    let built = crate::build::build_if_stale(&PluginSource::Crate(root.join("plugins/custom-steps")))?;
    let plugin = sandbox.load_component(&built.component)?;
    let limits = crate::plugin::Limits {
        fuel: u64::MAX / 2,
        memory_bytes: 1 << 30,
        output_bytes: 1 << 30,
    };
    let params: crate::methodology::PluginParams = [("winmax".to_string(), serde_json::json!(5))].into();
    let table = Table {
        units: (0..units).map(|u| format!("u{u}")).collect(),
        numbers: data
            .iter()
            .enumerate()
            .map(|(i, c)| Column {
                id: format!("i{i}"),
                values: c.clone(),
            })
            .collect(),
        texts: Vec::new(),
    };
    let treatment = cityrank_steps::treat::Treatment::Coinr {
        winmax: 5,
        skew: 2.0,
        kurt: 3.5,
    };
    let reps = if quick { 3 } else { 9 };
    let (native, native_out) = time(reps, || {
        data.iter()
            .map(|c| {
                cityrank_steps::treat::treat(c, &treatment)
                    .map(|(v, _)| v)
                    .map_err(|e| anyhow!("{e}"))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let (wasm, (wasm_out, _)) = time(reps, || {
        plugin.run_step(
            &limits,
            StepCall {
                step: "treat",
                method: "coinr",
                params: &params,
                node: "",
                data: table.clone(),
            },
        )
    })?;
    // Same step, same code (the step library in both, its own `ln` included): the
    // same bits.
    for (w, n) in wasm_out.numbers.iter().zip(&native_out) {
        if w.values.len() != n.len() {
            bail!(
                "the plugin returned {} values for `{}`, {} expected",
                w.values.len(),
                w.id,
                n.len()
            );
        }
        if let Some(u) =
            (0..n.len()).find(|&u| w.values[u].to_bits() != n[u].to_bits() && !(w.values[u].is_nan() && n[u].is_nan()))
        {
            bail!(
                "the plugin's treatment of `{}` differs from the native one at unit {u}: {} vs {}",
                w.id,
                w.values[u],
                n[u]
            );
        }
    }
    Ok(vec![
        Figure::new(
            "Custom step (COINr treatment, 2,000 × 100): native",
            native * 1e3,
            "ms",
            None,
            String::new(),
        ),
        Figure::new(
            "  the same step in a Wasm plugin",
            wasm * 1e3,
            "ms",
            // Decided: cross-platform determinism over plugin speed (NaN
            // canonicalisation and fuel stay on), so about 2× native is accepted.
            Some(native * 2.5 * 1e3),
            format!(
                "{:.2}× native (accepted: ≤ 2.5×, the price of determinism)",
                wasm / native
            ),
        ),
    ])
}

/// The formula evaluator's throughput on one core, against the same expressions
/// written as Rust closures (the baseline) in the same run: 13,000 units × 100
/// columns (1.3 million values per formula).
fn formula(quick: bool) -> Result<Vec<Figure>> {
    use cityrank_formula::{Binding, Formula};
    let (units, columns) = (13_000, 100);
    let data = synthetic_data(units, columns, 29);
    let reps = if quick { 3 } else { 9 };
    type Native = fn(f64, f64) -> f64;
    let cases: [(&str, &str, Native); 2] = [
        ("a / b * 1000", "a / b * 1000", |a, b| a / b * 1000.0),
        (
            "clamp((a + 2.5) / 5 * 100, 0, 100)",
            "clamp((a + 2.5) / 5 * 100, 0, 100)",
            |a, _| ((a + 2.5) / 5.0 * 100.0).clamp(0.0, 100.0),
        ),
    ];
    let mut out = Vec::new();
    for (label, text, native) in cases {
        let f = Formula::parse(text).map_err(|e| anyhow!("{e}"))?;
        let bound = f
            .bind(|n| match n {
                "a" => Some(Binding::Column(0)),
                "b" => Some(Binding::Column(1)),
                _ => None,
            })
            .map_err(|e| anyhow!("{e}"))?;
        // Every column pair in turn: 100 evaluations of 13,000 units.
        let (secs, _) = time(reps, || {
            let mut sum = 0.0;
            for c in 0..columns {
                let e = bound.eval(&[&data[c], &data[(c + 1) % columns]], units);
                sum += e.values[units / 2];
            }
            Ok(sum)
        })?;
        let (base, _) = time(reps, || {
            let mut sum = 0.0;
            for c in 0..columns {
                let (a, b) = (&data[c], &data[(c + 1) % columns]);
                let v: Vec<f64> = a.iter().zip(b).map(|(&x, &y)| native(x, y)).collect();
                sum += v[units / 2];
            }
            Ok(sum)
        })?;
        let values = (units * columns) as f64;
        let mut fig = Figure::new(
            &format!("formula `{label}`, 1.3 M values"),
            values / secs / 1e6,
            "M values/s",
            Some(50.0),
            format!(
                "{:.2}× the time of the same Rust closure ({:.0} M values/s)",
                secs / base,
                values / base / 1e6
            ),
        );
        fig.lower_is_better = false;
        out.push(fig);
    }
    Ok(out)
}

/// The u4ssc methodology written four ways (Rust, declarative, Python,
/// JavaScript) on the LAS 2024 edition: component size, cold compile, cached load,
/// the `manifest` call (a fresh instance each call), `derive` on the 62 cities and
/// on 13,000 synthetic units, and a warm `cityrank run` as a user runs it (a new
/// process, the compile cache warm), against the Rust plugin's in the same run.
fn authoring(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let reps = if quick { 2 } else { 7 };
    let langs = [
        ("Rust", "methodologies/las-2024.u4ssc.toml"),
        ("declarative", "methodologies/las-2024.u4ssc-declarative.toml"),
        ("Python", "methodologies/las-2024.u4ssc-python.toml"),
        ("JavaScript", "methodologies/las-2024.u4ssc-js.toml"),
    ];
    let exe = std::env::current_exe().context("cannot find the cityrank executable")?;
    let scratch = tempfile_dir()?;
    let mut out = Vec::new();
    for (lang, path) in langs {
        let edition = ResolvedEdition::load(&root.join(path), &LimitsSpec::default())?;
        let dataset = Dataset::load(&edition.dataset)?;
        // Build (not timed), then load without a cache (cold) and with a warm one.
        let loaded = Sandbox::new(None)?.load(&edition.plugin, &edition.limits)?;
        if loaded.plugin.is_some() {
            out.push(Figure::new(
                &format!("u4ssc {lang}: component size"),
                std::fs::metadata(&loaded.path)?.len() as f64 / 1024.0,
                "KiB",
                None,
                String::new(),
            ));
            let cold = Sandbox::new(None)?;
            let (secs, _) = time(if quick { 1 } else { 2 }, || cold.load_component(&loaded.path))?;
            out.push(Figure::new(
                &format!("u4ssc {lang}: cold compile"),
                secs * 1e3,
                "ms",
                None,
                String::new(),
            ));
            let cache = scratch.join(lang);
            let warm = Sandbox::new(Some(cache))?;
            warm.load_component(&loaded.path)?;
            let (secs, plugin) = time(reps, || warm.load_component(&loaded.path))?;
            out.push(Figure::new(
                &format!("u4ssc {lang}: cached load"),
                secs * 1e3,
                "ms",
                None,
                String::new(),
            ));
            let (secs, _) = time(reps, || plugin.manifest(&edition.limits))?;
            out.push(Figure::new(
                &format!("u4ssc {lang}: instantiate + manifest"),
                secs * 1e3,
                "ms",
                None,
                String::new(),
            ));
        }
        let (secs, _) = time(reps, || crate::run::derive_rows(&loaded, &edition, &dataset))?;
        out.push(Figure::new(
            &format!("u4ssc {lang}: derive, 62 cities"),
            secs * 1e3,
            "ms",
            None,
            String::new(),
        ));
        // 13,000 synthetic units with the inputs the methodology reads.
        let units = 13_000;
        let mut names: Vec<String> = loaded.manifest.inputs.iter().map(|i| i.id.clone()).collect();
        names.extend(loaded.formulas.variables());
        names.sort();
        names.dedup();
        let values = synthetic_data(units, names.len(), 41);
        let big = time(reps, || match &loaded.plugin {
            Some(plugin) => {
                let input = Table {
                    units: (0..units).map(|u| format!("u{u}")).collect(),
                    numbers: names
                        .iter()
                        .zip(&values)
                        .map(|(id, v)| Column {
                            id: id.clone(),
                            values: v.iter().map(|x| x.abs()).collect(),
                        })
                        .collect(),
                    texts: Vec::new(),
                };
                let limits = crate::plugin::Limits {
                    fuel: u64::MAX / 2,
                    memory_bytes: 1 << 30,
                    output_bytes: 1 << 30,
                };
                plugin.derive(&limits, "bench", input).map(|_| ())
            }
            None => {
                let numbers: BTreeMap<String, Vec<f64>> = names
                    .iter()
                    .zip(&values)
                    .map(|(id, v)| (id.clone(), v.iter().map(|x| x.abs()).collect()))
                    .collect();
                let rows: Vec<usize> = (0..units).collect();
                let ids: Vec<String> = (0..units).map(|u| format!("u{u}")).collect();
                loaded
                    .formulas
                    .evaluate(
                        &loaded.manifest.indicators,
                        &crate::formulas::Variables {
                            numbers: &numbers,
                            texts: &Default::default(),
                            dataset: "synthetic",
                            taken: &Default::default(),
                        },
                        &rows,
                        &ids,
                        Default::default(),
                    )
                    .map(|_| ())
            }
        })?;
        out.push(Figure::new(
            &format!("u4ssc {lang}: derive, 13,000 units"),
            big.0 * 1e3,
            "ms",
            None,
            String::new(),
        ));
    }
    // A warm run as a user runs it: a new process, the compile cache warm. The
    // languages take turns in each round, so that a slow moment of the machine
    // falls on all of them alike.
    let runs = if quick { 3 } else { 15 };
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); langs.len()];
    for round in 0..=runs {
        for (k, (_, path)) in langs.iter().enumerate() {
            let result = scratch.join(format!("{k}.json"));
            let t = Instant::now();
            let o = std::process::Command::new(&exe)
                .current_dir(root)
                .args(["run", path, "--format", "json", "-o"])
                .arg(&result)
                .output()
                .context("cannot run cityrank")?;
            if !o.status.success() {
                bail!("`cityrank run {path}` failed: {}", String::from_utf8_lossy(&o.stderr));
            }
            // Round 0 warms the caches.
            if round > 0 {
                times[k].push(t.elapsed().as_secs_f64());
            }
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    let rust = medians[0];
    for ((lang, _), secs) in langs.iter().zip(&medians) {
        let (goal, note) = match *lang {
            "Rust" => (None, "the baseline".to_string()),
            "declarative" => (
                Some(1.2 * rust),
                format!("{:.2}× the Rust plugin's run (goal ≤ 1.2×)", secs / rust),
            ),
            _ => (Some(0.5), format!("{:.2}× the Rust plugin's run", secs / rust)),
        };
        out.push(Figure::new(
            &format!("u4ssc {lang}: warm `cityrank run`"),
            *secs,
            "s",
            goal,
            note,
        ));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(out)
}

/// A fresh scratch directory under the system's temporary directory.
/// Data in and out at the scale of every city, and `diff`: reading a 13,000 × 200
/// dataset from a workbook (against the same data from CSV), writing the results
/// workbook of that run (against its JSON), and the Shapley diff of two LAS 2024
/// methods (against one run of the edition).
fn excel_diff(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let (units, indicators) = (13_000, 200);
    let dir = tempfile_dir()?.join("excel");
    std::fs::create_dir_all(&dir)?;
    let values = synthetic_data(units, indicators, 11);
    // The dataset as CSV and as a workbook, and a declarative methodology on it.
    let mut csv = String::from("id,name");
    for i in 0..indicators {
        csv.push_str(&format!(",v{i}"));
    }
    csv.push('\n');
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| anyhow!("cannot write the benchmark workbook: {e}");
    sheet.write_string(0, 0, "id").map_err(err)?;
    sheet.write_string(0, 1, "name").map_err(err)?;
    for i in 0..indicators {
        sheet.write_string(0, i as u16 + 2, format!("v{i}")).map_err(err)?;
    }
    for u in 0..units {
        let row = u as u32 + 1;
        csv.push_str(&format!("u{u},Unit {u}"));
        sheet.write_string(row, 0, format!("u{u}")).map_err(err)?;
        sheet.write_string(row, 1, format!("Unit {u}")).map_err(err)?;
        for (i, column) in values.iter().enumerate() {
            let x = column[u];
            if x.is_nan() {
                csv.push(',');
            } else {
                csv.push_str(&format!(",{x}"));
                sheet.write_number(row, i as u16 + 2, x).map_err(err)?;
            }
        }
        csv.push('\n');
    }
    std::fs::write(dir.join("data.csv"), &csv)?;
    book.save(dir.join("data.xlsx")).map_err(err)?;
    let mut description = String::from(
        "schema_version = 1\nid = \"scale\"\ntitle = \"Synthetic\"\nyear = 2026\nfile = \"FILE\"\n[columns]\nid = \"id\"\nname = \"name\"\n",
    );
    let mut manifest = String::from(
        "schema_version = 2\nid = \"scale\"\nname = \"Scale\"\nversion = \"1.0.0\"\ndescription = \"d\"\n\
         index = { id = \"index\", name = \"Index\" }\nnodes = [\n",
    );
    for p in 0..5 {
        manifest.push_str(&format!(
            "  {{ id = \"p{p}\", name = \"P{p}\", parent = \"index\" }},\n"
        ));
    }
    manifest.push_str("]\nindicators = [\n");
    for i in 0..indicators {
        description.push_str(&format!("[[variables]]\nid = \"v{i}\"\ntype = \"number\"\n"));
        manifest.push_str(&format!(
            "  {{ id = \"i{i}\", name = \"I{i}\", parent = \"p{}\", direction = \"higher\", unit = \"1\", from = \"v{i}\" }},\n",
            i % 5
        ));
    }
    manifest.push_str("]\ntiers = [{ label = \"all\", upper_share = 1.0 }]\n");
    std::fs::write(dir.join("csv.toml"), description.replace("FILE", "data.csv"))?;
    std::fs::write(dir.join("xlsx.toml"), description.replace("FILE", "data.xlsx"))?;
    std::fs::write(dir.join("methodology.toml"), &manifest)?;
    std::fs::write(
        dir.join("edition.toml"),
        "schema_version = 1\nid = \"scale\"\nname = \"Scale\"\nyear = 2026\nmethodology = \"methodology.toml\"\ndataset = \"xlsx.toml\"\n",
    )?;
    let reps = if quick { 1 } else { 3 };
    let (csv_secs, _) = time(reps, || Dataset::load(&dir.join("csv.toml")))?;
    let (xlsx_secs, dataset) = time(reps, || Dataset::load(&dir.join("xlsx.toml")))?;
    if dataset.units.len() != units {
        bail!("the workbook gave {} rows, not {units}", dataset.units.len());
    }
    let edition = ResolvedEdition::load(&dir.join("edition.toml"), &LimitsSpec::default())?;
    let options = pipeline::Options {
        record_stages: true,
        ..Default::default()
    };
    let out = crate::run::run_edition(&crate::run::ManifestsOnly, &edition, options)?;
    let raw = out.stages.iter().find(|s| s.name == crate::catalogue::stage::RAW);
    let (json_secs, _) = time(reps, || crate::report::json(&out.results))?;
    let (write_secs, bytes) = time(reps, || {
        crate::excel::results_workbook(&out.results, raw.map(|s| (s, out.unit_ids.as_slice())))
    })?;
    // Large sheets are streamed through temporary files and built on two threads:
    // the bytes must still be the same every time.
    if crate::excel::results_workbook(&out.results, raw.map(|s| (s, out.unit_ids.as_slice())))? != bytes {
        bail!("the results workbook of 13,000 units differs between two writes");
    }
    // diff: harbor-ladder against the Global Cities-style method on LAS 2024.
    let sandbox = Sandbox::new(None)?;
    let load = |path: &str| -> Result<(ResolvedEdition, crate::run::LoadedMethodology)> {
        let e = ResolvedEdition::load(&root.join(path), &LimitsSpec::default())?;
        let l = sandbox.load(&e.plugin, &e.limits)?;
        Ok((e, l))
    };
    let (ea, la) = load("methodologies/las-2024.toml")?;
    let (eb, lb) = load("methodologies/las-2024.global-cities.toml")?;
    let (run_secs, _) = time(reps, || {
        let d = Dataset::load(&ea.dataset)?;
        crate::run::run_loaded(&la, &ea, &d, Default::default())
    })?;
    let side = |label: &str, e, l| crate::diff::Side {
        label: label.to_string(),
        edition: e,
        loaded: l,
    };
    let (diff_secs, report) = time(reps, || {
        crate::diff::diff(&side("harbor-ladder", &ea, &la), &side("global-cities", &eb, &lb))
    })?;
    let mb = |b: usize| b as f64 / 1e6;
    Ok(vec![
        Figure::new(
            "Read 13,000 × 200 from a workbook",
            xlsx_secs,
            "s",
            Some(2.0),
            format!(
                "{:.2}× the time of the same data from CSV ({:.2} s)",
                xlsx_secs / csv_secs,
                csv_secs
            ),
        ),
        Figure::new(
            "Write the results workbook of 13,000 units",
            write_secs,
            "s",
            Some(2.0),
            format!(
                "{:.1} MB; {:.1}× the time of the JSON results ({:.3} s)",
                mb(bytes.len()),
                write_secs / json_secs,
                json_secs
            ),
        ),
        Figure::new(
            &format!(
                "diff of two LAS 2024 methods ({} differences)",
                report.differences.len()
            ),
            diff_secs,
            "s",
            Some(1.0),
            format!(
                "{} ({}); {:.0}× one run of the edition ({:.4} s)",
                report.attribution,
                1usize << report.differences.len().min(20),
                diff_secs / run_secs,
                run_secs
            ),
        ),
    ])
}

/// Expert panels: `cityrank experts`' work (read, check, every expert's
/// priorities and consistency, the panel's weights and agreement) on a synthetic
/// panel of 100 experts judging 20 nodes of 6 children (10 by AHP, all 15 pairs
/// each; 10 by budget allocation), and the sensitivity analysis of the LAS 2024
/// edition with its expert-panel input (N = 256, as the edition declares it),
/// beside the same design with ±25% noise on the pillar weights instead.
fn experts(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    use crate::experts::{Panel, PreparedPanel, Settings};
    let (n_experts, n_nodes, children) = (100, 20, 6);
    let mut rng = Rng::new(7, 0xE4);
    let mut csv = String::from("expert,node,kind,a,b,value\n");
    let scale = ["1/9", "1/7", "1/5", "1/3", "1/2", "1", "2", "3", "5", "7", "9"];
    let mut judgements = 0;
    for e in 0..n_experts {
        for node in 0..n_nodes {
            if node < n_nodes / 2 {
                for a in 0..children {
                    for b in a + 1..children {
                        let v = scale[((rng.uniform() * scale.len() as f64) as usize).min(scale.len() - 1)];
                        csv.push_str(&format!("e{e},n{node},pairwise,c{node}-{a},c{node}-{b},{v}\n"));
                        judgements += 1;
                    }
                }
            } else {
                for a in 0..children {
                    let points = (rng.uniform() * 20.0).floor() * 5.0;
                    csv.push_str(&format!("e{e},n{node},points,c{node}-{a},,{points}\n"));
                    judgements += 1;
                }
            }
        }
    }
    let path = tempfile_dir()?.join("panel.csv");
    std::fs::write(&path, &csv)?;
    let (secs, report) = time(if quick { 3 } else { 15 }, || {
        let panel = Panel::load(&path, None)?;
        PreparedPanel::prepare(&panel, None, &Settings::default())?.report(None)
    })?;
    if report.experts.len() != n_experts || report.nodes.len() != n_nodes {
        bail!("internal error: the synthetic panel was not read whole");
    }
    let mut figures = vec![Figure::new(
        &format!("cityrank experts: {n_experts} experts × {n_nodes} nodes ({judgements} judgements)"),
        secs * 1e3,
        "ms",
        Some(50.0),
        format!("{:.0} judgements/ms", judgements as f64 / (secs * 1e3)),
    )];

    // LAS 2024 with its panel: the edition's design, and the same with weight noise.
    let file = root.join("methodologies/las-2024.experts.toml");
    let edition = ResolvedEdition::load(&file, &LimitsSpec::default())?;
    let sandbox = Sandbox::new(None)?;
    let loaded = sandbox.load(&edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    let spec = edition
        .edition
        .sensitivity
        .clone()
        .context("las-2024.experts.toml has no [sensitivity] table")?;
    let over = Overrides::default();
    let reps = if quick { 1 } else { 5 };
    let (with_panel, report) = time(reps, || sensitivity::analyse(&loaded, &edition, &dataset, &spec, &over))?;
    let mut noise = spec.clone();
    for input in &mut noise.inputs {
        if input.experts.is_some() {
            input.experts = None;
            input.weight_noise = Some(WeightNoise {
                levels: vec![2],
                factor: 0.25,
                replicates: 200,
            });
        }
    }
    let (with_noise, _) = time(reps, || {
        sensitivity::analyse(&loaded, &edition, &dataset, &noise, &over)
    })?;
    let changing = report
        .tier_changes
        .iter()
        .find(|c| c.input == "panel")
        .map_or(0, |c| c.units_changing_tier);
    figures.push(Figure::new(
        &format!(
            "LAS 2024 sensitivity with the panel input (N = {}, {} builds)",
            report.design.samples, report.design.builds
        ),
        with_panel * 1e3,
        "ms",
        Some(1000.0),
        format!(
            "{:.2}× the same design with ±25% pillar-weight noise ({:.0} ms); {changing} cities change tier across \
             the panel's resamples",
            with_panel / with_noise,
            with_noise * 1e3
        ),
    ));
    Ok(figures)
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

/// Writes the synthetic edition of `methodologies/data/recipe/scale.py` (13,000
/// units × 200 indicators; needs python3) into `dir`.
fn scale_edition(root: &Path, dir: &Path) -> Result<()> {
    let recipe = root.join("methodologies/data/recipe/scale.py");
    let o = std::process::Command::new("python3")
        .arg(&recipe)
        .arg("--out")
        .arg(dir)
        .output()
        .context("cannot run python3 (the scale recipe needs it)")?;
    if !o.status.success() {
        bail!("{}: {}", recipe.display(), String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok(())
}

/// Whole processes at the scale of every city on Earth: the synthetic edition of
/// `methodologies/data/recipe/scale.py` (13,000 units × 200 indicators, 2%
/// missing; needs python3), each command run as a user runs it, with its wall
/// time and peak memory against the CSV's size; and the compare and sensitivity
/// HTML reports: the time to write each, its size, and the time to open it in
/// headless Chromium (skipped, with a note, without Chromium). Goals (issue 15):
/// `run` ≤ 1 s and ≤ 3× the CSV; a sensitivity analysis of 8,192 builds ≤ 60 s
/// and ≤ 2 GiB; each HTML report open in ≤ 3 s.
fn scale_process(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let dir = tempfile_dir()?.join("scale");
    scale_edition(root, &dir)?;
    let csv = std::fs::metadata(dir.join("units.csv"))?.len() as f64;
    let mb = |b: f64| b / (1024.0 * 1024.0);
    let mut figures = Vec::new();
    let add = |figures: &mut Vec<Figure>,
               name: &str,
               args: &[&str],
               goal_secs: Option<f64>,
               goal_ratio: Option<f64>|
     -> Result<()> {
        let (secs, peak) = process(&dir, args)?;
        let (time_then, memory_then) = match before_issue_15(name) {
            Some((t, m)) => (format!("; {t} when issue 15 was filed"), format!("; {m} then")),
            None => (String::new(), String::new()),
        };
        figures.push(Figure::new(
            &format!("{name}: time"),
            secs,
            "s",
            goal_secs,
            format!("`cityrank {}`{time_then}", args.join(" ")),
        ));
        figures.push(Figure::new(
            &format!("{name}: peak memory"),
            peak / csv,
            "× CSV",
            goal_ratio,
            format!("{:.0} MB for a {:.1} MB CSV{memory_then}", mb(peak), mb(csv)),
        ));
        Ok(())
    };
    // An HTML report: the time to write it (`args`, writing `file`), its size, and
    // the time to open it in headless Chromium; `before`: the figures before the
    // reports summarised.
    let browser = chromium();
    let report = |figures: &mut Vec<Figure>, name: &str, args: &[&str], file: &str, before: &str| -> Result<()> {
        let (secs, peak) = process(&dir, args)?;
        figures.push(Figure::new(
            &format!("{name}: time to write"),
            secs,
            "s",
            None,
            format!("`cityrank {}`, peak memory {:.0} MB", args.join(" "), mb(peak)),
        ));
        let page = dir.join(file);
        let bytes = std::fs::metadata(&page)?.len() as f64;
        figures.push(Figure::new(
            &format!("{name}: file size"),
            mb(bytes),
            "MB",
            None,
            format!("self-contained (data, scripts and the 1 MB chart library inline); {before}"),
        ));
        match &browser {
            Some(b) => {
                let (wall, ready) = open_in_chromium(b, &page)?;
                figures.push(Figure::new(
                    &format!("{name}: open in headless Chromium"),
                    wall,
                    "s",
                    Some(3.0),
                    format!("`chromium --headless --dump-dom`, start to exit; {before}"),
                ));
                figures.push(Figure::new(
                    &format!("{name}: page ready in Chromium"),
                    ready,
                    "s",
                    Some(3.0),
                    "the page's own time, navigation start to every chart drawn and the table built".to_string(),
                ));
            }
            None => {
                let note = "skipped: no Chromium found (/usr/bin/chromium, chromium-browser or chromium on PATH; \
                            Debian: apt-get install chromium)";
                eprintln!("{name}: opening in a browser {note}");
                figures.push(Figure::new(
                    &format!("{name}: open in headless Chromium"),
                    f64::NAN,
                    "s",
                    None,
                    note.to_string(),
                ));
            }
        }
        Ok(())
    };
    add(
        &mut figures,
        "run (CSV out)",
        &["run", "edition.toml", "--format", "csv", "-o", "ranking.csv"],
        Some(1.0),
        Some(3.0),
    )?;
    add(
        &mut figures,
        "run (JSON out)",
        &["run", "edition.toml", "--format", "json", "-o", "results.json"],
        None,
        None,
    )?;
    add(
        &mut figures,
        "explain",
        &[
            "explain",
            "edition.toml",
            "--unit",
            "u00000",
            "--format",
            "json",
            "-o",
            "explain.json",
        ],
        None,
        None,
    )?;
    add(
        &mut figures,
        "analyse",
        &["analyse", "edition.toml", "--format", "json", "-o", "analysis.json"],
        None,
        None,
    )?;
    add(
        &mut figures,
        "compare two variants",
        &[
            "compare",
            "edition.toml",
            "edition.toml@equal-weights",
            "--format",
            "json",
            "-o",
            "compare.json",
        ],
        None,
        None,
    )?;
    report(
        &mut figures,
        "compare HTML report of the two variants",
        &[
            "compare",
            "edition.toml",
            "edition.toml@equal-weights",
            "--format",
            "html",
            "-o",
            "compare.html",
        ],
        "compare.html",
        "before the reports summarised: 11 MB, 24 s to open (issue 15)",
    )?;
    // 6 inputs: N·(6 + 2) builds.
    add(
        &mut figures,
        "sensitivity, 512 builds",
        &[
            "sensitivity",
            "edition.toml",
            "--samples",
            "64",
            "--format",
            "json",
            "-o",
            "s512.json",
        ],
        None,
        None,
    )?;
    // The same analysis in 4 shards (processes run one after the other here, as
    // tasks of a job array would run side by side) and merged: the report must
    // be the unsharded one's, byte for byte.
    let (mut slowest, mut largest) = (0.0f64, 0.0f64);
    let mut parts = Vec::new();
    for k in 1..=4 {
        let part = format!("s512-{k}.part");
        let shard = format!("{k}/4");
        let (secs, peak) = process(
            &dir,
            &[
                "sensitivity",
                "edition.toml",
                "--samples",
                "64",
                "--shard",
                &shard,
                "-o",
                &part,
            ],
        )?;
        slowest = slowest.max(secs);
        largest = largest.max(peak);
        parts.push(part);
    }
    figures.push(Figure::new(
        "sensitivity, 512 builds in 4 shards: slowest shard",
        slowest,
        "s",
        None,
        "`cityrank sensitivity edition.toml --samples 64 --shard K/4 -o s512-K.part`".to_string(),
    ));
    figures.push(Figure::new(
        "sensitivity, 512 builds in 4 shards: largest shard's peak memory",
        largest / csv,
        "× CSV",
        None,
        format!("{:.0} MB", mb(largest)),
    ));
    let mut merge_args = vec!["sensitivity", "merge"];
    merge_args.extend(parts.iter().map(String::as_str));
    merge_args.extend(["--format", "json", "-o", "s512-merged.json"]);
    let (secs, peak) = process(&dir, &merge_args)?;
    if std::fs::read(dir.join("s512-merged.json"))? != std::fs::read(dir.join("s512.json"))? {
        bail!("the merged shards' report differs from the unsharded one (s512-merged.json, s512.json)");
    }
    figures.push(Figure::new(
        "sensitivity merge of the 4 parts (byte-identical to the unsharded report)",
        secs,
        "s",
        None,
        format!("peak memory {:.0} MB", mb(peak)),
    ));
    // The HTML report of the same analysis (written from the parts: the time is
    // the merge's and the report's, not the builds').
    let mut html_args = vec!["sensitivity", "merge"];
    html_args.extend(parts.iter().map(String::as_str));
    html_args.extend(["--format", "html", "-o", "s512.html"]);
    report(
        &mut figures,
        "sensitivity HTML report, 512 builds",
        &html_args,
        "s512.html",
        "before the reports summarised: 8.4 MB, 8 to 9 s to open (measured on 128 builds)",
    )?;
    if !quick {
        add(
            &mut figures,
            "sensitivity, 8,192 builds",
            &[
                "sensitivity",
                "edition.toml",
                "--samples",
                "1024",
                "--format",
                "json",
                "-o",
                "s8192.json",
            ],
            Some(60.0),
            Some(2.0 * 1024.0 * 1024.0 * 1024.0 / csv),
        )?;
    }
    Ok(figures)
}

/// The figures issue 15 was filed with (the same commands on the same synthetic
/// edition, measured then): time and peak memory.
fn before_issue_15(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "run (CSV out)" | "run (JSON out)" => ("1.2–1.6 s", "650 MB"),
        "explain" => ("1.6 s", "650 MB"),
        "analyse" => ("2.2 s", "800 MB"),
        "compare two variants" => ("4.6 s", "820 MB"),
        "sensitivity, 512 builds" => ("4.2 s", "1.1 GB"),
        "sensitivity, 8,192 builds" => ("65 s", "4.9 GB"),
        _ => return None,
    })
}

/// Script added to a copy of a `cityrank report` page by [`report_page`]: once
/// the page is ready it moves weights as a reader would (a slider's value
/// changed, its `input` event sent), 24 times over the sliders in turn, then
/// switches to the second normaliser if there is one, and records each
/// recomputation's time (the page's `recomputeMs`) on `<body>`.
const REPORT_DRIVER: &str = r#"<script>
document.addEventListener('cityrank:ready', function () {
  var body = document.body, sliders = document.querySelectorAll('#weights input[type=range]'), times = [];
  for (var k = 0; k < 24 && sliders.length > 0; k++) {
    var s = sliders[k % sliders.length];
    s.value = String(Math.min(parseFloat(s.max), parseFloat(s.value) * 1.2 + parseFloat(s.step)));
    s.dispatchEvent(new Event('input', { bubbles: true }));
    times.push(parseFloat(body.dataset.recomputeMs));
  }
  body.dataset.benchWeights = times.join(',');
  var norm = document.getElementById('normaliser');
  if (norm.options.length > 1) {
    norm.value = '1';
    norm.dispatchEvent(new Event('change', { bubbles: true }));
    body.dataset.benchSwitch = body.dataset.recomputeMs;
  }
});
</script>"#;

/// `cityrank report`'s page (issue 13), for LAS 2024 (62 cities) and for the
/// synthetic 13,000 units × 200 indicators of `methodologies/data/recipe/scale.py`
/// (three normalisers, two aggregations; needs python3): the time to write the
/// page, its size, the time until it is ready in headless Chromium (navigation
/// start to the first ranking drawn), and the time of one recomputation after a
/// weight moves (the median of 24, measured in the page around the module's call)
/// and after a switch of normaliser (every node aggregated again).
/// Goals: a recomputation within a frame (≤ 16 ms); the 13,000-unit page ready in
/// ≤ 2 s.
fn report_page(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let dir = tempfile_dir()?.join("report");
    std::fs::create_dir_all(&dir)?;
    let mut figures = Vec::new();
    let Some(browser) = chromium() else {
        bail!(
            "the report-page case opens pages in Chromium, which is not installed (Debian: apt-get install chromium)"
        );
    };
    let las = std::path::absolute(root.join("methodologies/las-2024.toml"))?;
    let mut cases = vec![("LAS 2024 (62 cities)", las.display().to_string(), false)];
    if !quick {
        scale_edition(root, &dir)?;
        cases.push(("13,000 × 200", dir.join("edition.toml").display().to_string(), true));
    }
    for (k, (name, edition, large)) in cases.into_iter().enumerate() {
        let page = dir.join(format!("page-{k}.html"));
        let page_arg = page.display().to_string();
        let (secs, peak) = process(&dir, &["report", &edition, "-o", &page_arg])?;
        let bytes = std::fs::metadata(&page)?.len() as f64;
        figures.push(Figure::new(
            &format!("report {name}: time to write"),
            secs,
            "s",
            None,
            format!("`cityrank report`, peak memory {:.0} MB", peak / 1e6),
        ));
        figures.push(Figure::new(
            &format!("report {name}: file size"),
            bytes / 1e6,
            "MB",
            None,
            "self-contained: the model, the tables, the WebAssembly module and the map inline".into(),
        ));
        let mut html = std::fs::read_to_string(&page)?;
        let at = html.rfind("</body>").context("the page has no </body>")?;
        html.insert_str(at, REPORT_DRIVER);
        let driven = dir.join(format!("page-{k}-driven.html"));
        std::fs::write(&driven, html)?;
        let dom = dump_dom(&browser, &driven)?;
        let attribute = |name: &str| body_attribute(&dom, name);
        if let Some(e) = attribute("data-errors").filter(|e| e != "[]") {
            bail!("{}: the page's script failed: {e}", page.display());
        }
        let ready: f64 = attribute("data-ready-ms")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("{}: the page did not become ready", page.display()))?;
        let weights: Vec<f64> = attribute("data-bench-weights")
            .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default();
        if weights.is_empty() {
            bail!("{}: the driver script moved no weight", page.display());
        }
        figures.push(Figure::new(
            &format!("report {name}: page ready"),
            ready / 1e3,
            "s",
            large.then_some(2.0),
            "headless Chromium, navigation start to the first ranking drawn".into(),
        ));
        figures.push(Figure::new(
            &format!("report {name}: recompute after a weight moves"),
            median(weights.clone()),
            "ms",
            Some(16.0),
            format!(
                "median of {} (slowest {:.1} ms), in the page: the module's call (normalised table kept; the nodes \
                 the weight changes)",
                weights.len(),
                weights.iter().copied().fold(0.0, f64::max)
            ),
        ));
        if let Some(switch) = attribute("data-bench-switch").and_then(|v| v.parse::<f64>().ok()) {
            figures.push(Figure::new(
                &format!("report {name}: recompute after a normaliser switch"),
                switch,
                "ms",
                Some(16.0),
                "every node aggregated again from that normaliser's table (computed while the page opened)".into(),
            ));
        }
    }
    Ok(figures)
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
