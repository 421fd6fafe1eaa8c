//! Uncertainty and sensitivity analysis of an edition's ranking.
//!
//! The uncertain inputs are declared in the edition (`[sensitivity]`): discrete
//! choices between alternatives — each alternative is a variant, so anything a
//! variant can change can be uncertain — and multiplicative noise on the weights
//! of chosen levels. A design (plain Monte Carlo or a scrambled Sobol' sequence,
//! arranged as COINr's Saltelli design for a sensitivity analysis) gives one
//! build per sample; builds run in parallel and share memoised stages (a stage
//! whose settings were already computed is reused), so a build costs little more
//! than its aggregation when only weights or aggregators vary. The plugin derives
//! the indicators once. Results are deterministic for a seed, whatever the number
//! of threads: each build depends only on its sample, and everything random
//! (weight noise, bootstrap) is drawn from seeded generators in a fixed order.

mod builds;
pub mod design;
pub mod estimate;
mod inputs;
pub mod render;
mod report;
pub mod shard;
mod statistics;

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, anyhow, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use builds::*;
use cityrank_core::catalogue::Phase;
pub use cityrank_core::edition::sensitivity::{
    DesignKind, ExpertsInput, InputSpec, MAX_BOOTSTRAP, MAX_BUILDS, MAX_REPLICATES, MAX_THREADS, Resample,
    SensitivitySpec, WeightNoise,
};
use cityrank_core::edition::{ResolvedEdition, Variant};
use cityrank_core::methodology::{Framework, Manifest, NodeKind};
use cityrank_core::pipeline::{self, CustomSteps, StageCache, StageKeys};
use cityrank_core::plugin::{Limits, Plugin};
use cityrank_core::run::{Derived, LoadedMethodology, SandboxSteps};
use design::{Rng, Sampler};
use inputs::*;
pub use report::*;
pub use shard::{Part, Shard};
use statistics::*;

impl From<DesignKind> for Sampler {
    fn from(d: DesignKind) -> Sampler {
        match d {
            DesignKind::Mc => Sampler::MonteCarlo,
            DesignKind::Sobol => Sampler::Sobol,
        }
    }
}

/// Settings from the command line, overriding the edition's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `N`.
    pub samples: Option<usize>,
    /// The seed.
    pub seed: Option<u64>,
    /// The design.
    pub design: Option<DesignKind>,
    /// The target.
    pub target: Option<String>,
    /// Uncertainty analysis only.
    pub uncertainty_only: bool,
    /// Threads (default: all cores).
    pub threads: Option<usize>,
    /// Told how far the builds have gone (the CLI draws a progress bar).
    pub progress: Option<ProgressHook>,
}

/// Something told how far an analysis's builds have gone: a progress bar, a log.
/// Called from the worker threads.
pub trait Progress: Send + Sync {
    /// The builds start; `total` of them.
    fn start(&self, total: u64);
    /// One more build is done.
    fn advance(&self);
    /// Every build is done.
    fn finish(&self);
}

/// A shared [`Progress`] in [`Overrides`].
#[derive(Clone)]
pub struct ProgressHook(pub std::sync::Arc<dyn Progress>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

/// The output analysed by the sensitivity indices.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    MeanRankShift,
    Spearman,
    UnitRank(usize),
}

/// The outcome of one build: rank and tier per dataset row (`None`: unranked).
#[derive(Debug, Clone, PartialEq)]
///
/// Compact, as a design keeps one per build (8,192 builds of 13,000 units): per
/// unit its rank (0: unranked), its tier (`NO_TIER`: none) with the top flag in
/// the high bit; scores only for the nominal build, which reports them.
struct Build {
    ranks: Vec<u32>,
    tiers: Vec<u16>,
    scores: Option<Vec<f64>>,
}

/// A build's tier slot of an unranked unit.
const NO_TIER: u16 = 0x7FFF;
/// The top-tier flag in a build's tier slot.
const TOP: u16 = 0x8000;

impl Build {
    /// Unit `u`'s rank.
    fn rank(&self, u: usize) -> Option<u32> {
        (self.ranks[u] != 0).then_some(self.ranks[u])
    }

    /// Unit `u`'s tier (position in the tier list).
    fn tier(&self, u: usize) -> Option<usize> {
        let t = self.tiers[u] & !TOP;
        (t != NO_TIER).then_some(usize::from(t))
    }

    /// Whether unit `u` is in the best tier open to it (see [`pipeline::Ranking::top`]).
    fn top(&self, u: usize) -> bool {
        self.tiers[u] & TOP != 0
    }

    /// How many units.
    fn len(&self) -> usize {
        self.ranks.len()
    }
}

/// What is analysed: a methodology's manifest with the data it derived, and the
/// names for the report. [`analyse`] builds one from an edition; benchmarks build
/// synthetic ones.
pub struct Subject<'a> {
    /// Names the subject in errors (e.g. the edition file).
    pub label: String,
    /// Edition id.
    pub edition_id: String,
    /// The edition's variant analysed (its changes are in `base`), if one was chosen.
    pub variant: Option<String>,
    /// Methodology id and version.
    pub methodology: String,
    /// SHA-256 of the methodology's component.
    pub methodology_sha256: String,
    /// SHA-256 of the dataset.
    pub dataset_sha256: String,
    /// SHA-256 of the edition file (empty for a subject without one): shards of
    /// a changed edition are refused.
    pub edition_sha256: String,
    /// SHA-256 of the edition's expert panel file, if it has one.
    pub panel_sha256: Option<String>,
    /// The nominal manifest (the edition's, tiers and variant applied).
    pub base: Manifest,
    /// The manifest whose indicators `derived.raw` holds.
    pub plugin_manifest: &'a Manifest,
    /// The rows and their derived indicators.
    pub derived: Derived,
    /// Display name of each row.
    pub unit_names: Vec<String>,
    /// Variants that inputs may name.
    pub variants: &'a BTreeMap<String, Variant>,
    /// The plugin and its limits, for plugin-supplied steps.
    pub plugin: Option<(&'a dyn Plugin, &'a Limits)>,
    /// The edition's expert panel, for an `experts` input.
    pub experts: Option<cityrank_core::experts::PreparedPanel>,
}

/// Runs the analysis declared in the edition's `[sensitivity]` table.
pub fn analyse(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &cityrank_core::dataset::Dataset,
    spec: &SensitivitySpec,
    over: &Overrides,
) -> Result<SensitivityReport> {
    match analyse_edition(loaded, edition, dataset, spec, over, None)? {
        Outcome::Report(r) => Ok(*r),
        Outcome::Part(_) => unreachable!("an unsharded analysis gives a report"),
    }
}

/// Runs shard `shard` of the analysis declared in the edition's `[sensitivity]`
/// table: the design rows [`Shard::rows`] gives it (and, for shard 1, the builds
/// that are not design rows: each weight input alone and leave-one-out). The
/// parts of every shard, [`shard::merge`]d, give the report [`analyse`] gives,
/// byte for byte.
///
/// # Errors
/// As [`analyse`]: an invalid design or alternative, a failing build.
pub fn analyse_shard(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &cityrank_core::dataset::Dataset,
    spec: &SensitivitySpec,
    over: &Overrides,
    shard: Shard,
) -> Result<Part> {
    match analyse_edition(loaded, edition, dataset, spec, over, Some(shard))? {
        Outcome::Part(p) => Ok(*p),
        Outcome::Report(_) => unreachable!("a sharded analysis gives a part"),
    }
}

/// What an analysis gives: the report, or one shard's part of it.
enum Outcome {
    Report(Box<SensitivityReport>),
    Part(Box<Part>),
}

/// Checks the analysis declared in `spec` without running a build: its settings,
/// every input (each alternative applied to the methodology, each noise level
/// present in the framework, the expert panel) and the design's size — what
/// `cityrank validate` reports before anyone waits for builds.
///
/// # Errors
/// The first problem, as [`analyse`] would report it.
pub fn check(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &cityrank_core::dataset::Dataset,
    spec: &SensitivitySpec,
) -> Result<()> {
    with_subject(loaded, edition, dataset, spec, |subject, spec| {
        let over = Overrides::default();
        let file = subject.label.clone();
        let settings = Settings::resolve(&spec, &over, &file)?;
        let (inputs, _) = resolve_inputs(&spec, &subject, &subject.base, settings.seed, &file)?;
        check_design_size(&settings, inputs.len(), &file)
    })
}

/// Calls `f` with what an analysis of `edition` is about and its `[sensitivity]`
/// table, the expert panel's settings in alternatives turned into the weights
/// they give.
fn with_subject<R>(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &cityrank_core::dataset::Dataset,
    spec: &SensitivitySpec,
    f: impl FnOnce(Subject<'_>, SensitivitySpec) -> Result<R>,
) -> Result<R> {
    let file = edition.path.display().to_string();
    if edition.panel.is_some() {
        bail!("{file}: sensitivity analysis of panel editions is not supported; run it on one year");
    }
    let derived = cityrank_core::run::derive_rows(loaded, edition, dataset)?;
    // Alternatives that change the expert panel's settings become the weights
    // those settings give, so that they apply like any variant.
    let variants = edition
        .edition
        .variants
        .iter()
        .map(|(name, v)| {
            let key = format!("variants.{name}.experts");
            Ok((name.clone(), edition.with_panel_weights(v, &loaded.manifest, &key)?))
        })
        .collect::<Result<BTreeMap<String, Variant>>>()?;
    let mut spec = spec.clone();
    for (k, input) in spec.inputs.iter_mut().enumerate() {
        for (j, a) in input.alternatives.iter_mut().enumerate() {
            let key = format!("sensitivity.inputs[{k}].alternatives[{j}].experts");
            *a = edition.with_panel_weights(a, &loaded.manifest, &key)?;
        }
    }
    let experts = edition
        .experts
        .as_ref()
        .map(|s| edition.panel_weights(s, &loaded.manifest))
        .transpose()?;
    let subject = Subject {
        label: file,
        edition_id: edition.edition.id.clone(),
        variant: edition.variant.clone(),
        methodology: format!("{} v{}", loaded.manifest.id, loaded.manifest.version),
        methodology_sha256: loaded.sha256.clone(),
        dataset_sha256: dataset.sha256.clone(),
        edition_sha256: edition.sha256.clone(),
        panel_sha256: experts.as_ref().map(|p| p.sha256.clone()),
        base: edition.effective_manifest(&loaded.manifest)?,
        plugin_manifest: &loaded.manifest,
        unit_names: derived.rows.iter().map(|&r| dataset.units[r].name.clone()).collect(),
        derived,
        variants: &variants,
        plugin: loaded.plugin.as_deref().map(|p| (p, &edition.limits)),
        experts,
    };
    f(subject, spec)
}

fn analyse_edition(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &cityrank_core::dataset::Dataset,
    spec: &SensitivitySpec,
    over: &Overrides,
    shard: Option<Shard>,
) -> Result<Outcome> {
    with_subject(loaded, edition, dataset, spec, |subject, spec| {
        run_subject(subject, &spec, over, shard)
    })
}

/// Runs an analysis of `subject`.
pub fn analyse_subject(subject: Subject, spec: &SensitivitySpec, over: &Overrides) -> Result<SensitivityReport> {
    match run_subject(subject, spec, over, None)? {
        Outcome::Report(r) => Ok(*r),
        Outcome::Part(_) => unreachable!("an unsharded analysis gives a report"),
    }
}

/// The analysis of `subject`: every build and the report, or one shard's builds.
fn run_subject(subject: Subject, spec: &SensitivitySpec, over: &Overrides, shard: Option<Shard>) -> Result<Outcome> {
    let file = subject.label.clone();
    let settings = Settings::resolve(spec, over, &file)?;
    let (n, seed, uncertainty_only) = (settings.samples, settings.seed, settings.uncertainty_only);
    let base = subject.base.clone();
    let (inputs, infos) = resolve_inputs(spec, &subject, &base, seed, &file)?;
    let d = inputs.len();
    check_design_size(&settings, d, &file)?;

    let dataset_rows = &subject.derived;
    let covariate = match &base.peer_groups {
        None => None,
        Some(p) => Some(
            dataset_rows
                .variables
                .get(&p.covariate)
                .cloned()
                .with_context(|| format!("peer_groups.covariate: no numeric variable `{}`", p.covariate))?,
        ),
    };
    let model = Model {
        base,
        plugin_manifest: subject.plugin_manifest,
        derived: dataset_rows,
        inputs,
        plugin: subject.plugin,
        covariate,
        cache: StageCache::default(),
        combos: std::sync::Mutex::new(BTreeMap::new()),
        raws: std::sync::Mutex::new(BTreeMap::new()),
    };
    // Checked before anything runs; the summary parses it again.
    parse_target(&settings.target, &dataset_rows.unit_ids)?;

    let nominal = model.build(None, None).context("the nominal build failed")?;
    let x = design_matrix(n, d, seed, settings.design, uncertainty_only);
    let all_rows = x.len() / d;
    let rows = shard.map_or(0..all_rows, |s| s.rows(all_rows));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(over.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let builds = run_builds(
        &model,
        &x[rows.start * d..rows.end * d],
        rows.start,
        &pool,
        over.progress.as_ref(),
    )?;

    let tier_labels: Vec<String> = model.base.tiers.iter().map(|t| t.label.clone()).collect();
    let frame = Frame {
        edition: subject.edition_id.clone(),
        variant: subject.variant.clone(),
        methodology: subject.methodology.clone(),
        methodology_sha256: subject.methodology_sha256.clone(),
        dataset_sha256: subject.dataset_sha256.clone(),
        edition_sha256: subject.edition_sha256.clone(),
        panel_sha256: subject.panel_sha256.clone(),
        design: DesignInfo {
            design: settings.design,
            samples: n,
            builds: all_rows,
            seed,
            target: settings.target.clone(),
            uncertainty_only,
            inputs: infos.clone(),
        },
        bootstrap: spec.bootstrap,
        choices: model.inputs.iter().map(|i| matches!(i, Input::Choice { .. })).collect(),
        top_tier_label: top_tier_label(&model.base, &tier_labels),
        tiers: tier_labels,
        unit_ids: dataset_rows.unit_ids.clone(),
        unit_names: subject.unit_names.clone(),
        warnings: subject.derived.warnings.clone(),
    };
    // The builds that are not rows of the design: the unsharded run and shard 1.
    let extras = if shard.is_none_or(|s| s.index == 1) {
        Some(Extras {
            tier_changes: tier_changes_one_at_a_time(&model, &nominal, &infos, &dataset_rows.unit_ids, &pool)?,
            leave_one_out: if spec.leave_one_out {
                leave_one_out(&model, &nominal, &pool)?
            } else {
                Vec::new()
            },
        })
    } else {
        None
    };
    Ok(match shard {
        None => Outcome::Report(Box::new(summarise(
            frame,
            &nominal,
            &builds,
            extras.context("internal error: an unsharded analysis without its extra builds")?,
        )?)),
        Some(shard) => Outcome::Part(Box::new(Part {
            frame,
            shard,
            rows,
            nominal,
            builds,
            extras,
        })),
    })
}

/// The design's rows (one column per input): N for an uncertainty analysis, the
/// N·(d + 2) rows of a Saltelli design otherwise.
fn design_matrix(n: usize, d: usize, seed: u64, kind: DesignKind, uncertainty_only: bool) -> Vec<f64> {
    if uncertainty_only {
        design::base_matrix(n, d, seed, kind.into())
    } else {
        design::saltelli(n, d, seed, kind.into())
    }
}

/// Everything the report is summarised from besides the builds, the same
/// whether the builds ran in one process or in shards (each shard's part
/// carries it, and [`shard::merge`] refuses parts whose frames differ).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Frame {
    edition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
    methodology: String,
    methodology_sha256: String,
    dataset_sha256: String,
    /// Of the edition file and its expert panel (not in the report).
    edition_sha256: String,
    panel_sha256: Option<String>,
    /// The design; `builds` counts all its rows.
    design: DesignInfo,
    bootstrap: usize,
    /// Per input: whether it is a choice among alternatives (labelled by
    /// `design.inputs[k].alternatives`), not a set of weight draws.
    choices: Vec<bool>,
    tiers: Vec<String>,
    top_tier_label: String,
    unit_ids: Vec<String>,
    unit_names: Vec<String>,
    warnings: Vec<String>,
}

/// The results of the builds that are not rows of the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extras {
    tier_changes: Vec<InputTierChanges>,
    leave_one_out: Vec<LeaveOneOut>,
}
