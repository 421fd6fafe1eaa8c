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

pub mod design;
pub mod estimate;
pub mod render;
pub mod shard;

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, anyhow, bail};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
pub use shard::{Part, Shard};

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

/// The report of `cityrank sensitivity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitivityReport {
    /// Edition id.
    pub edition: String,
    /// Methodology id and version.
    pub methodology: String,
    /// SHA-256 of the methodology's component.
    pub methodology_sha256: String,
    /// SHA-256 of the dataset's CSV.
    pub dataset_sha256: String,
    /// The design that was run.
    pub design: DesignInfo,
    /// Rank statistics per unit, nominal rank first.
    pub units: Vec<UnitUncertainty>,
    /// Tier labels, best first.
    pub tiers: Vec<String>,
    /// What the top tier is: the first tier's label, or, when peer groups are rated
    /// on scales of their own, each group's best rating.
    pub top_tier_label: String,
    /// How often the top tier differs from the nominal top tier.
    pub top_tier: Vec<TopTierChange>,
    /// Each weight input alone (the others nominal): how many units change tier
    /// over its weight sets.
    pub tier_changes: Vec<InputTierChanges>,
    /// Sobol indices of the target (absent for an uncertainty analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<SobolInfo>,
    /// Rank shifts when each indicator or node is left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leave_one_out: Vec<LeaveOneOut>,
    /// Warnings of deriving the indicators (e.g. a formula that divided by zero
    /// for some units), also printed on standard error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

cityrank_core::document!(SensitivityReport, "sensitivity");

/// The design of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignInfo {
    /// `sobol` or `mc`.
    pub design: DesignKind,
    /// Points per matrix `N`.
    pub samples: usize,
    /// Builds run.
    pub builds: usize,
    /// The seed.
    pub seed: u64,
    /// The target of the indices.
    pub target: String,
    /// Whether only an uncertainty analysis was run.
    pub uncertainty_only: bool,
    /// The inputs and their alternatives.
    pub inputs: Vec<InputInfo>,
}

/// One uncertain input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputInfo {
    /// Its name.
    pub name: String,
    /// Labels of its alternatives (for weight noise: `±φ at levels …`).
    pub alternatives: Vec<String>,
}

/// Rank statistics of one unit over the builds (the `A` and `B` builds of a
/// sensitivity design, as COINr; every build of an uncertainty analysis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitUncertainty {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Rank in the nominal build.
    pub nominal_rank: Option<u32>,
    /// Score in the nominal build.
    pub nominal_score: Option<f64>,
    /// Tier in the nominal build.
    pub nominal_tier: Option<String>,
    /// Mean rank.
    pub mean_rank: Option<f64>,
    /// Median rank.
    pub median_rank: Option<f64>,
    /// 5th percentile of the rank.
    pub q5_rank: Option<f64>,
    /// 95th percentile of the rank.
    pub q95_rank: Option<f64>,
    /// Share of builds in each tier (tier label → share); `unranked` when screened out.
    pub tier_shares: BTreeMap<String, f64>,
    /// Share of builds in the top tier open to the unit (see `top_tier_label`).
    pub top_share: f64,
}

/// How often the top tier changes, for all builds and per alternative of each input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopTierChange {
    /// Input name (`all` for every build).
    pub input: String,
    /// Alternative label (`all` for every build).
    pub alternative: String,
    /// Builds with this alternative.
    pub builds: usize,
    /// Share of them whose top tier (the units in the first tier, or in the first
    /// rating of their peer group's scale) differs from the nominal one.
    pub changed: f64,
}

/// What one weight input (noise or an expert panel) does to the tiers on its
/// own: every weight set built with the other inputs nominal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputTierChanges {
    /// Input name.
    pub input: String,
    /// Builds: the input's weight sets.
    pub builds: usize,
    /// Units whose tier differs from their nominal tier in at least one build.
    pub units_changing_tier: usize,
    /// Units ranked.
    pub units: usize,
    /// Mean number of units in another tier than their nominal one, per build.
    pub mean_units_changing_tier: f64,
    /// Share of the builds whose top tier differs from the nominal one.
    pub top_tier_changed: f64,
    /// The units most often in another tier (up to 5, most often first), with
    /// the share of builds.
    pub most_often: Vec<(String, f64)>,
}

/// Sobol indices of the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SobolInfo {
    /// Variance of the target over the `A` and `B` builds.
    pub variance: f64,
    /// One entry per input.
    pub indices: Vec<SobolIndex>,
}

/// First- and total-order indices of one input, with bootstrap intervals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SobolIndex {
    /// Input name.
    pub input: String,
    /// First-order index (Saltelli 2010).
    pub first: f64,
    /// Total-order index (Jansen).
    pub total: f64,
    /// 5th–95th bootstrap percentiles of the first-order index.
    pub first_ci: Option<[f64; 2]>,
    /// 5th–95th bootstrap percentiles of the total-order index.
    pub total_ci: Option<[f64; 2]>,
}

/// Rank shifts when one indicator or node is left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveOneOut {
    /// The id left out.
    pub removed: String,
    /// `indicator` or `pillar`.
    pub kind: NodeKind,
    /// Mean absolute rank shift against the nominal ranking.
    pub mean_abs_shift: f64,
    /// Largest absolute rank shift.
    pub max_abs_shift: u32,
    /// The unit with the largest shift.
    pub most_affected: Option<String>,
}

/// One uncertain input, resolved.
enum Input {
    Choice {
        labels: Vec<String>,
        variants: Vec<Variant>,
        reach: Phase,
    },
    Noise {
        label: String,
        targets: Vec<String>,
        sets: Vec<Vec<f64>>,
    },
}

/// Raw columns (one per indicator), shared.
type RawColumns = std::sync::Arc<Vec<Vec<f64>>>;

/// A combination of discrete alternatives, resolved once and shared by every
/// build that chooses it.
struct Combo {
    manifest: Manifest,
    framework: Framework,
    /// The raw columns of its indicators, shared by the combinations with the
    /// same indicators (13,000 units × 200 indicators: 21 MB each).
    raw: RawColumns,
    /// Per noise input, the framework position of each of its targets.
    noise_positions: Vec<Vec<Option<usize>>>,
}

/// The choice of an input left as nominal (a build's `x` of NaN).
const NOMINAL: usize = usize::MAX;

/// Everything a build needs, shared by all builds.
struct Model<'a> {
    base: Manifest,
    plugin_manifest: &'a Manifest,
    derived: &'a Derived,
    inputs: Vec<Input>,
    plugin: Option<(&'a dyn Plugin, &'a Limits)>,
    covariate: Option<Vec<f64>>,
    cache: StageCache,
    combos: std::sync::Mutex<BTreeMap<Vec<usize>, std::sync::Arc<Combo>>>,
    /// The raw columns by the indicators they are of.
    raws: std::sync::Mutex<BTreeMap<Vec<String>, RawColumns>>,
}

impl Model<'_> {
    /// The raw columns of `manifest`'s indicators, made once per set of indicators.
    fn raw_of(&self, manifest: &Manifest) -> Result<RawColumns> {
        let ids: Vec<String> = manifest.indicators.iter().map(|i| i.id.clone()).collect();
        let mut raws = self.raws.lock().map_err(|_| anyhow!("raw column cache poisoned"))?;
        Ok(raws
            .entry(ids)
            .or_insert_with(|| std::sync::Arc::new(self.derived.raw_for(manifest, self.plugin_manifest)))
            .clone())
    }

    /// The manifest, framework and raw data of a combination of alternatives.
    /// (No choices: the nominal combination. Leave-one-out builds, which run once
    /// each, are not cached.)
    fn combo(&self, choices: &[usize], drop: Option<&str>) -> Result<std::sync::Arc<Combo>> {
        let key = choices.to_vec();
        if drop.is_none()
            && let Some(c) = self
                .combos
                .lock()
                .map_err(|_| anyhow!("combination cache poisoned"))?
                .get(&key)
        {
            return Ok(c.clone());
        }
        let mut m = self.base.clone();
        for (input, &k) in self.inputs.iter().zip(choices) {
            if let Input::Choice { variants, labels, .. } = input
                && k != NOMINAL
            {
                variants[k].apply_in_place(&mut m, &format!("sensitivity alternative `{}`", labels[k]))?;
            }
        }
        if let Some(id) = drop {
            Variant {
                drop: vec![id.to_string()],
                ..Default::default()
            }
            .apply_in_place(&mut m, "leave-one-out")?;
        }
        let framework = m.framework()?;
        let noise_positions = self
            .inputs
            .iter()
            .filter_map(|i| match i {
                Input::Noise { targets, .. } => Some(targets.iter().map(|t| framework.position(t)).collect()),
                Input::Choice { .. } => None,
            })
            .collect();
        // Leave-one-out builds, which run once each, make their own.
        let raw = match drop {
            None => self.raw_of(&m)?,
            Some(_) => std::sync::Arc::new(self.derived.raw_for(&m, self.plugin_manifest)),
        };
        let combo = std::sync::Arc::new(Combo {
            manifest: m,
            framework,
            raw,
            noise_positions,
        });
        if drop.is_none() {
            self.combos
                .lock()
                .map_err(|_| anyhow!("combination cache poisoned"))?
                .insert(key, combo.clone());
        }
        Ok(combo)
    }

    /// Builds with the alternatives chosen by `x` (one draw per input, NaN for
    /// "this input as nominal"; `None` = nominal), optionally leaving out the node
    /// or indicator `drop`.
    fn build(&self, x: Option<&[f64]>, drop: Option<&str>) -> Result<Build> {
        let choices: Vec<usize> = match x {
            None => vec![0; 0],
            Some(x) => self
                .inputs
                .iter()
                .zip(x)
                .map(|(input, &u)| match input {
                    _ if u.is_nan() => NOMINAL,
                    Input::Choice { variants, .. } => design::discrete(u, variants.len()),
                    Input::Noise { sets, .. } => design::discrete(u, sets.len()),
                })
                .collect(),
        };
        // The combination of discrete alternatives (noise draws do not change it).
        let discrete: Vec<usize> = if x.is_none() {
            Vec::new()
        } else {
            self.inputs
                .iter()
                .zip(&choices)
                .map(|(i, &k)| {
                    if matches!(i, Input::Choice { .. }) {
                        k
                    } else {
                        usize::MAX
                    }
                })
                .collect()
        };
        // No draws (the nominal build): no alternative applied.
        let combo = self.combo(&discrete, drop)?;
        // Weights: the combination's, with the chosen noisy set on top.
        let mut weights: Vec<f64> = combo.framework.nodes.iter().map(|n| n.weight).collect();
        if x.is_some() {
            let mut noise = 0;
            for (input, &k) in self.inputs.iter().zip(&choices) {
                if let Input::Noise { sets, .. } = input {
                    if k == NOMINAL {
                        noise += 1;
                        continue;
                    }
                    for (j, pos) in combo.noise_positions[noise].iter().enumerate() {
                        if let Some(p) = pos {
                            weights[*p] = sets[k][j];
                        }
                    }
                    noise += 1;
                }
            }
        }
        // Stage keys from the choices that reach each stage.
        let keys = (x.is_some() && drop.is_none()).then(|| {
            let upto = |r: Phase| -> u64 {
                let mut bytes = Vec::with_capacity(choices.len() * 8 + 1);
                bytes.push(r as u8);
                for (input, &k) in self.inputs.iter().zip(&choices) {
                    if let Input::Choice { reach, .. } = input
                        && *reach <= r
                    {
                        bytes.extend_from_slice(&(k as u64).to_le_bytes());
                    } else {
                        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
                    }
                }
                pipeline::key_of(bytes)
            };
            StageKeys {
                prepare: upto(Phase::Prepare),
                treat: upto(Phase::Treat),
                normalise: upto(Phase::Normalise),
            }
        });
        let ctx = self.derived.context();
        let mut sandboxed;
        let mut native = pipeline::NoCustomSteps;
        let custom: &mut dyn CustomSteps = match self.plugin {
            Some((plugin, limits)) => {
                sandboxed = SandboxSteps::new(plugin, limits);
                &mut sandboxed
            }
            None => &mut native,
        };
        let options = pipeline::Options {
            record_stages: false,
            weights: Some(&weights),
            cache: keys.map(|_| &self.cache),
            keys,
            index_only: true,
        };
        let out = pipeline::run(
            &combo.manifest,
            &combo.framework,
            &ctx,
            combo.raw.as_slice().into(),
            options,
            custom,
        )?;
        let kept = out.kept();
        let covariate: Option<Vec<f64>> = self.covariate.as_ref().map(|c| kept.iter().map(|&k| c[k]).collect());
        let ranking = pipeline::rank(&out.scores[0], &combo.manifest, covariate.as_deref(), None)?;
        let n = self.derived.rows.len();
        let mut b = Build {
            ranks: vec![0; n],
            tiers: vec![NO_TIER; n],
            scores: x.is_none().then(|| vec![f64::NAN; n]),
        };
        for (k, &row) in kept.iter().enumerate() {
            b.ranks[row] = ranking.ranks[k].unwrap_or(0);
            let tier = match ranking.tiers[k] {
                Some(t) => u16::try_from(t)
                    .ok()
                    .filter(|t| *t < NO_TIER)
                    .context("more tiers than a sensitivity analysis keeps (32,766)")?,
                None => NO_TIER,
            };
            b.tiers[row] = tier | if ranking.top[k] { TOP } else { 0 };
            if let Some(scores) = b.scores.as_mut() {
                scores[row] = out.scores[0][k];
            }
        }
        Ok(b)
    }
}

/// COINr levels: indicators 1, each node one above its highest child.
fn levels(framework: &Framework) -> Vec<usize> {
    let mut level = vec![1usize; framework.nodes.len()];
    for p in framework.bottom_up() {
        level[p] = 1 + framework.nodes[p].children.iter().map(|&c| level[c]).max().unwrap_or(0);
    }
    level
}

/// Draws the noisy weight sets of a weight-noise input: the ids of the nodes it
/// perturbs and `replicates` weight vectors for them.
fn noise_sets(framework: &Framework, noise: &WeightNoise, rng: &mut Rng) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    let level = levels(framework);
    let targets: Vec<usize> = (1..framework.nodes.len())
        .filter(|&p| noise.levels.contains(&level[p]))
        .collect();
    if targets.is_empty() {
        bail!(
            "weight_noise.levels: no node is at levels {:?} (indicators are level 1)",
            noise.levels
        );
    }
    let nominal: Vec<f64> = targets.iter().map(|&p| framework.nodes[p].weight).collect();
    if noise.replicates > MAX_REPLICATES {
        bail!(
            "weight_noise.replicates: at most {MAX_REPLICATES} weight sets, got {}",
            noise.replicates
        );
    }
    let mut sets = Vec::with_capacity(noise.replicates);
    for _ in 0..noise.replicates {
        let draws: Vec<f64> = targets.iter().map(|_| rng.uniform()).collect();
        sets.push(
            cityrank_steps::weight::noisy(&nominal, noise.factor, &draws).map_err(|e| anyhow!("weight_noise: {e}"))?,
        );
    }
    Ok((targets.iter().map(|&p| framework.nodes[p].id.clone()).collect(), sets))
}

/// Draws the weight sets of an experts input: the ids of the children whose
/// weights the panel sets, one weight vector per resample, and a label.
fn panel_sets(
    panel: &cityrank_core::experts::PreparedPanel,
    input: &ExpertsInput,
    rng: &mut Rng,
) -> Result<(Vec<String>, Vec<Vec<f64>>, String)> {
    let m = panel.experts.len();
    if m < 2 {
        bail!("experts: the panel has {m} expert; resampling needs at least 2");
    }
    let draws: Vec<Vec<usize>> = match input.resample {
        Resample::Bootstrap => {
            if input.replicates > MAX_REPLICATES {
                bail!(
                    "experts.replicates: at most {MAX_REPLICATES} resamples, got {}",
                    input.replicates
                );
            }
            (0..input.replicates)
                .map(|_| {
                    (0..m)
                        .map(|_| ((rng.uniform() * m as f64) as usize).min(m - 1))
                        .collect()
                })
                .collect()
        }
        Resample::LeaveOneOut => (0..m).map(|k| (0..m).filter(|&e| e != k).collect()).collect(),
        Resample::Each => (0..m).map(|k| vec![k]).collect(),
    };
    let mut targets: Vec<String> = Vec::new();
    let mut sets = Vec::with_capacity(draws.len());
    for drawn in &draws {
        let w = panel.weights_of(drawn)?;
        if targets.is_empty() {
            targets = w.iter().map(|(c, _)| c.clone()).collect();
        }
        sets.push(w.into_iter().map(|(_, x)| x).collect());
    }
    let label = match input.resample {
        Resample::Bootstrap => format!("{} bootstrap resamples of the {m} experts", input.replicates),
        Resample::LeaveOneOut => format!("the panel without one of its {m} experts"),
        Resample::Each => format!("each of the {m} experts alone"),
    };
    Ok((targets, sets, label))
}

/// What is analysed: a methodology's manifest with the data it derived, and the
/// names for the report. [`analyse`] builds one from an edition; benchmarks build
/// synthetic ones.
pub struct Subject<'a> {
    /// Names the subject in errors (e.g. the edition file).
    pub label: String,
    /// Edition id.
    pub edition_id: String,
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

fn analyse_edition(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &cityrank_core::dataset::Dataset,
    spec: &SensitivitySpec,
    over: &Overrides,
    shard: Option<Shard>,
) -> Result<Outcome> {
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
    run_subject(subject, &spec, over, shard)
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

/// The report from the nominal build, every design row's build (in row order)
/// and the extra builds' results.
fn summarise(frame: Frame, nominal: &Build, builds: &[Build], extras: Extras) -> Result<SensitivityReport> {
    let design = &frame.design;
    let (n, d) = (design.samples, design.inputs.len());
    if builds.len() != design.builds {
        bail!(
            "internal error: {} builds for a design of {}",
            builds.len(),
            design.builds
        );
    }
    let x = design_matrix(n, d, design.seed, design.design, design.uncertainty_only);
    let target = parse_target(&design.target, &frame.unit_ids)?;
    // Uncertainty: the A and B builds of a sensitivity design, every build otherwise.
    let (ua, ua_x) = if design.uncertainty_only {
        (builds, &x[..])
    } else {
        (&builds[..2 * n], &x[..2 * n * d])
    };
    let units = unit_uncertainty(ua, nominal, &frame.tiers, &frame.unit_ids, &frame.unit_names);
    let top_tier = top_tier_changes(ua, ua_x, nominal, &frame.choices, &design.inputs);
    let sensitivity = if design.uncertainty_only {
        None
    } else {
        Some(sobol(
            builds,
            &target,
            nominal,
            n,
            design.seed,
            d,
            frame.bootstrap,
            &design.inputs,
        )?)
    };
    let report = SensitivityReport {
        edition: frame.edition,
        methodology: frame.methodology,
        methodology_sha256: frame.methodology_sha256,
        dataset_sha256: frame.dataset_sha256,
        design: frame.design,
        units,
        top_tier_label: frame.top_tier_label,
        tiers: frame.tiers,
        top_tier,
        tier_changes: extras.tier_changes,
        sensitivity,
        leave_one_out: extras.leave_one_out,
        warnings: frame.warnings,
    };
    // The report must satisfy its own schema; a failure here is a bug in cityrank.
    cityrank_core::schema::validate::<SensitivityReport>(&serde_json::to_value(&report)?, "sensitivity report")
        .context("internal error: the sensitivity report does not match its schema")?;
    Ok(report)
}

/// The settings of one analysis: the edition's `[sensitivity]`, overridden by the
/// command line, checked.
struct Settings {
    samples: usize,
    seed: u64,
    design: DesignKind,
    uncertainty_only: bool,
    target: String,
}

impl Settings {
    fn resolve(spec: &SensitivitySpec, over: &Overrides, file: &str) -> Result<Settings> {
        let n = over.samples.unwrap_or(spec.samples);
        if n < 2 {
            bail!("sensitivity.samples: at least 2 samples are needed, got {n}");
        }
        if spec.inputs.is_empty() {
            bail!("{file}: sensitivity.inputs: declare at least one uncertain input");
        }
        for (k, input) in spec.inputs.iter().enumerate() {
            if let Some(j) = spec.inputs[..k].iter().position(|i| i.name == input.name) {
                bail!(
                    "{file}: sensitivity.inputs[{k}].name: `{}` is already the name of inputs[{j}]; the indices are reported by name",
                    input.name
                );
            }
        }
        if spec.bootstrap > MAX_BOOTSTRAP {
            bail!(
                "{file}: sensitivity.bootstrap: at most {MAX_BOOTSTRAP} bootstrap replicates, got {}",
                spec.bootstrap
            );
        }
        if let Some(t) = over.threads.filter(|&t| t > MAX_THREADS) {
            bail!("--threads: at most {MAX_THREADS} worker threads, got {t}");
        }
        Ok(Settings {
            samples: n,
            seed: over.seed.unwrap_or(spec.seed),
            design: over.design.unwrap_or(spec.design),
            uncertainty_only: over.uncertainty_only || spec.uncertainty_only,
            target: over.target.clone().unwrap_or_else(|| spec.target.clone()),
        })
    }
}

/// The uncertain inputs: each a choice among variants (checked to apply cleanly
/// before anything runs) or a set of noisy weights drawn from the seed.
fn resolve_inputs(
    spec: &SensitivitySpec,
    subject: &Subject,
    base: &Manifest,
    seed: u64,
    file: &str,
) -> Result<(Vec<Input>, Vec<InputInfo>)> {
    let base_framework = base.framework().map_err(|e| anyhow!("{file}: {e}"))?;
    let mut rng = Rng::new(seed, 0x3E16);
    let mut inputs = Vec::new();
    let mut infos = Vec::new();
    for (k, input) in spec.inputs.iter().enumerate() {
        let key = format!("{file}: sensitivity.inputs[{k}]");
        let kinds = usize::from(!input.alternatives.is_empty())
            + usize::from(!input.variants.is_empty())
            + usize::from(input.weight_noise.is_some())
            + usize::from(input.experts.is_some());
        if kinds != 1 {
            bail!("{key}: give exactly one of `alternatives`, `variants`, `weight_noise` or `experts`");
        }
        if let Some(e) = &input.experts {
            let Some(panel) = &subject.experts else {
                bail!(
                    "{key}.experts: draws the weights from the edition's expert panel, but the edition has no \
                     [experts]; add one (see `cityrank experts --help`)"
                );
            };
            let (targets, sets, label) = panel_sets(panel, e, &mut rng).map_err(|err| anyhow!("{key}: {err}"))?;
            infos.push(InputInfo {
                name: input.name.clone(),
                alternatives: vec![label.clone()],
            });
            inputs.push(Input::Noise { label, targets, sets });
            continue;
        }
        if let Some(noise) = &input.weight_noise {
            let (targets, sets) = noise_sets(&base_framework, noise, &mut rng).map_err(|e| anyhow!("{key}: {e}"))?;
            let label = format!("±{}% at levels {:?}", noise.factor * 100.0, noise.levels);
            infos.push(InputInfo {
                name: input.name.clone(),
                alternatives: vec![label.clone()],
            });
            inputs.push(Input::Noise { label, targets, sets });
            continue;
        }
        let (labels, variants): (Vec<String>, Vec<Variant>) = if !input.variants.is_empty() {
            input
                .variants
                .iter()
                .map(|name| {
                    if name == "nominal" {
                        return Ok((name.clone(), Variant::default()));
                    }
                    let v = subject.variants.get(name).with_context(|| {
                        format!("{key}.variants: no variant `{name}` in the edition (use `nominal` for no change)")
                    })?;
                    Ok((name.clone(), v.clone()))
                })
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .unzip()
        } else {
            input
                .alternatives
                .iter()
                .enumerate()
                .map(|(j, v)| {
                    (
                        v.description
                            .clone()
                            .unwrap_or_else(|| format!("alternative {}", j + 1)),
                        v.clone(),
                    )
                })
                .unzip()
        };
        if variants.len() < 2 {
            bail!("{key}: an uncertain choice needs at least two alternatives");
        }
        // Check each alternative applies cleanly before running anything.
        for (label, v) in labels.iter().zip(&variants) {
            v.apply(base, &format!("{key} (`{label}`)"))?
                .framework()
                .map_err(|e| anyhow!("{key} (`{label}`): {e}"))?;
        }
        infos.push(InputInfo {
            name: input.name.clone(),
            alternatives: labels.clone(),
        });
        let reach = variants.iter().map(Variant::reach).min().unwrap_or(Phase::Later);
        inputs.push(Input::Choice {
            labels,
            variants,
            reach,
        });
    }
    // Two weight inputs drawing the same weights: the later would overwrite the
    // earlier's draws, which would then seem to matter not at all.
    let weight_inputs: Vec<(usize, &Vec<String>)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(k, i)| match i {
            Input::Noise { targets, .. } => Some((k, targets)),
            Input::Choice { .. } => None,
        })
        .collect();
    for (a, (i, ta)) in weight_inputs.iter().enumerate() {
        for (j, tb) in &weight_inputs[a + 1..] {
            let shared: Vec<&str> = ta.iter().filter(|t| tb.contains(t)).map(String::as_str).collect();
            if !shared.is_empty() {
                bail!(
                    "{file}: sensitivity.inputs: `{}` and `{}` both draw the weights of {}; the second would \
                     overwrite the first's draws, so that the first would seem not to matter. Let them draw \
                     different weights (e.g. noise at another level), or keep one of them",
                    infos[*i].name,
                    infos[*j].name,
                    shared.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                );
            }
        }
    }
    Ok((inputs, infos))
}

/// Refuses a design that cannot run: fewer than two inputs for a sensitivity
/// analysis, more than [`MAX_BUILDS`] builds, too many Sobol' points.
fn check_design_size(settings: &Settings, d: usize, file: &str) -> Result<()> {
    let n = settings.samples;
    if !settings.uncertainty_only && d < 2 {
        bail!("{file}: a sensitivity analysis needs at least two uncertain inputs; add one or use --uncertainty-only");
    }
    // Builds: N for an uncertainty analysis, N·(d + 2) for a sensitivity design.
    let builds_needed = if settings.uncertainty_only {
        Some(n)
    } else {
        n.checked_mul(d + 2)
    };
    if builds_needed.is_none_or(|b| b > MAX_BUILDS) {
        bail!(
            "sensitivity.samples: {n} samples{} exceed the limit of {MAX_BUILDS} builds",
            if settings.uncertainty_only {
                String::new()
            } else {
                format!(" × ({d} inputs + 2)")
            }
        );
    }
    if settings.design == DesignKind::Sobol && n > design::MAX_SOBOL_POINTS {
        bail!(
            "a Sobol' design has at most {} points per matrix; use --design mc",
            design::MAX_SOBOL_POINTS
        );
    }
    Ok(())
}

/// The output the indices analyse: `mean-rank-shift`, `spearman` or `rank:<unit id>`.
fn parse_target(text: &str, unit_ids: &[String]) -> Result<Target> {
    Ok(match text {
        "mean-rank-shift" => Target::MeanRankShift,
        "spearman" => Target::Spearman,
        t => match t.strip_prefix("rank:") {
            Some(id) => Target::UnitRank(
                unit_ids
                    .iter()
                    .position(|u| u == id)
                    .with_context(|| format!("target: no unit `{id}` in the dataset"))?,
            ),
            None => bail!("target: `{t}` is not a target; use mean-rank-shift, spearman or rank:<unit id>"),
        },
    })
}

/// One build per row of the design `x` (one column per input), in parallel on
/// `pool`, in row order; the first failure names its combination of alternatives.
fn run_builds(
    model: &Model,
    x: &[f64],
    first_row: usize,
    pool: &rayon::ThreadPool,
    progress: Option<&ProgressHook>,
) -> Result<Vec<Build>> {
    let d = model.inputs.len();
    let builds_n = x.len() / d;
    let progress = progress.map(|p| p.0.as_ref());
    if let Some(p) = progress {
        p.start(builds_n as u64);
    }
    let builds: Vec<Result<Build>> = pool.install(|| {
        x.par_chunks(d)
            .map(|row| {
                let b = model.build(Some(row), None);
                if let Some(p) = progress {
                    p.advance();
                }
                b
            })
            .collect()
    });
    if let Some(p) = progress {
        p.finish();
    }
    let mut failed = builds
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.as_ref().err().map(|e| (i, e)));
    if let Some((i, e)) = failed.next() {
        let alts: Vec<String> = model
            .inputs
            .iter()
            .zip(&x[i * d..(i + 1) * d])
            .map(|(inp, &u)| match inp {
                Input::Choice { labels, .. } => labels[design::discrete(u, labels.len())].clone(),
                Input::Noise { label, .. } => label.clone(),
            })
            .collect();
        bail!(
            "{} of {builds_n} builds failed; build {} ({}) failed with: {e:#}. A combination of alternatives is \
             invalid (e.g. a geometric mean of zeros): change the alternatives",
            builds.iter().filter(|b| b.is_err()).count(),
            first_row + i + 1,
            alts.join(", ")
        );
    }
    Ok(builds.into_iter().filter_map(Result::ok).collect())
}

/// Each unit's rank distribution and tier shares over the builds `ua`, best
/// nominal rank first.
fn unit_uncertainty(
    ua: &[Build],
    nominal: &Build,
    tier_labels: &[String],
    unit_ids: &[String],
    unit_names: &[String],
) -> Vec<UnitUncertainty> {
    let mut units: Vec<UnitUncertainty> = (0..unit_ids.len())
        .map(|u| {
            let mut ranks: Vec<f64> = ua.iter().filter_map(|b| b.rank(u)).map(f64::from).collect();
            ranks.sort_by(f64::total_cmp);
            // Count by tier index (the last slot: unranked), then label.
            let mut counts = vec![0usize; tier_labels.len() + 1];
            for b in ua {
                counts[b.tier(u).unwrap_or(tier_labels.len())] += 1;
            }
            let tier_shares: BTreeMap<String, f64> = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(t, &c)| {
                    let label = tier_labels.get(t).cloned().unwrap_or_else(|| "unranked".to_string());
                    (label, c as f64 / ua.len() as f64)
                })
                .collect();
            let top_share = ua.iter().filter(|b| b.top(u)).count() as f64 / ua.len() as f64;
            let stat = |v: f64| (!ranks.is_empty()).then_some(v);
            UnitUncertainty {
                id: unit_ids[u].clone(),
                name: unit_names[u].clone(),
                nominal_rank: nominal.rank(u),
                nominal_score: nominal.scores.as_ref().and_then(|s| s[u].is_finite().then_some(s[u])),
                nominal_tier: nominal.tier(u).map(|t| tier_labels[t].clone()),
                mean_rank: stat(ranks.iter().sum::<f64>() / ranks.len() as f64),
                median_rank: stat(estimate::quantile_sorted(&ranks, 0.5)),
                q5_rank: stat(estimate::quantile_sorted(&ranks, 0.05)),
                q95_rank: stat(estimate::quantile_sorted(&ranks, 0.95)),
                tier_shares,
                top_share,
            }
        })
        .collect();
    units.sort_by_key(|u| u.nominal_rank.unwrap_or(u32::MAX));
    units
}

/// Each weight input (noise or an expert panel) on its own: builds over its
/// weight sets with the other inputs nominal, and the units that change tier.
/// (A choice has no nominal to leave the others at: one alternative may need
/// another, e.g. a geometric mean a positive normalisation; its effect is in
/// the top-tier changes per alternative.)
fn tier_changes_one_at_a_time(
    model: &Model,
    nominal: &Build,
    infos: &[InputInfo],
    unit_ids: &[String],
    pool: &rayon::ThreadPool,
) -> Result<Vec<InputTierChanges>> {
    let d = model.inputs.len();
    let top = |b: &Build| -> Vec<usize> { (0..b.len()).filter(|&u| b.top(u)).collect() };
    let nominal_top = top(nominal);
    let ranked = (0..nominal.len()).filter(|&u| nominal.tier(u).is_some()).count();
    let mut out = Vec::new();
    for (k, input) in model.inputs.iter().enumerate() {
        let levels = match input {
            Input::Choice { .. } => continue,
            Input::Noise { sets, .. } => sets.len(),
        };
        let builds: Vec<Build> = pool.install(|| {
            (0..levels)
                .into_par_iter()
                .map(|level| {
                    let mut x = vec![f64::NAN; d];
                    // The middle of the level's interval: `discrete` maps it back to `level`.
                    x[k] = (level as f64 + 0.5) / levels as f64;
                    model.build(Some(&x), None)
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let moved: Vec<usize> = (0..unit_ids.len())
            .map(|u| {
                builds
                    .iter()
                    .filter(|b| nominal.tier(u).is_some() && b.tier(u) != nominal.tier(u))
                    .count()
            })
            .collect();
        let mut often: Vec<(usize, usize)> = moved.iter().copied().enumerate().filter(|(_, c)| *c > 0).collect();
        often.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out.push(InputTierChanges {
            input: infos[k].name.clone(),
            builds: levels,
            units_changing_tier: moved.iter().filter(|&&c| c > 0).count(),
            units: ranked,
            mean_units_changing_tier: moved.iter().sum::<usize>() as f64 / levels.max(1) as f64,
            top_tier_changed: builds.iter().filter(|b| top(b) != nominal_top).count() as f64 / levels.max(1) as f64,
            most_often: often
                .iter()
                .take(5)
                .map(|&(u, c)| (unit_ids[u].clone(), c as f64 / levels as f64))
                .collect(),
        });
    }
    Ok(out)
}

/// How often the top tier's membership differs from the nominal one: over all
/// builds `ua` (design rows `ua_x`), and per alternative of each choice. The top
/// tier is tier 0, or each peer group's best rating when groups are rated on
/// scales of their own.
fn top_tier_changes(
    ua: &[Build],
    ua_x: &[f64],
    nominal: &Build,
    choices: &[bool],
    infos: &[InputInfo],
) -> Vec<TopTierChange> {
    let d = choices.len();
    let top = |b: &Build| -> Vec<usize> { (0..b.len()).filter(|&u| b.top(u)).collect() };
    let nominal_top = top(nominal);
    let changed: Vec<bool> = ua.iter().map(|b| top(b) != nominal_top).collect();
    let share = |idx: &[usize]| idx.iter().filter(|&&i| changed[i]).count() as f64 / idx.len().max(1) as f64;
    let all: Vec<usize> = (0..ua.len()).collect();
    let mut top_tier = vec![TopTierChange {
        input: "all".into(),
        alternative: "all".into(),
        builds: ua.len(),
        changed: share(&all),
    }];
    for (k, info) in infos.iter().enumerate() {
        if choices[k] {
            let labels = &info.alternatives;
            for (a, label) in labels.iter().enumerate() {
                let idx: Vec<usize> = (0..ua.len())
                    .filter(|&i| design::discrete(ua_x[i * d + k], labels.len()) == a)
                    .collect();
                top_tier.push(TopTierChange {
                    input: infos[k].name.clone(),
                    alternative: label.clone(),
                    builds: idx.len(),
                    changed: share(&idx),
                });
            }
        }
    }
    top_tier
}

/// The Sobol' indices of the target over the builds of a Saltelli design
/// (`N·(d + 2)` builds; estimators and bootstrap in [`estimate`]).
#[allow(clippy::too_many_arguments)]
fn sobol(
    builds: &[Build],
    target: &Target,
    nominal: &Build,
    samples: usize,
    seed: u64,
    d: usize,
    bootstrap: usize,
    infos: &[InputInfo],
) -> Result<SobolInfo> {
    let y: Vec<f64> = builds.iter().map(|b| target_value(target, b, nominal)).collect();
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        bail!(
            "the target could not be computed for build {} (e.g. the unit was screened out)",
            i + 1
        );
    }
    let e = estimate::sobol_indices(&y, samples, d, bootstrap, seed);
    let ci = |c: (f64, f64)| (!c.0.is_nan()).then_some([c.0, c.1]);
    Ok(SobolInfo {
        variance: e.variance,
        indices: e
            .indices
            .iter()
            .zip(infos)
            .map(|(s, info)| SobolIndex {
                input: info.name.clone(),
                first: s.first,
                total: s.total,
                first_ci: ci(s.first_ci),
                total_ci: ci(s.total_ci),
            })
            .collect(),
    })
}

/// The rank shifts when each indicator and node in turn is removed (in parallel
/// on `pool`); a removal that leaves nothing to rank is left out.
fn leave_one_out(model: &Model, nominal: &Build, pool: &rayon::ThreadPool) -> Result<Vec<LeaveOneOut>> {
    let framework = model.base.framework()?;
    let ids: Vec<(String, NodeKind)> = framework
        .nodes
        .iter()
        .skip(1)
        .map(|node| (node.id.clone(), node.kind))
        .collect();
    let unit_ids = &model.derived.unit_ids;
    let shifts: Vec<Option<LeaveOneOut>> = pool.install(|| {
        ids.par_iter()
            .map(|(id, kind)| {
                let b = model.build(None, Some(id)).ok()?;
                let mut shifts: Vec<(u32, usize)> = (0..b.len())
                    .filter_map(|u| Some((b.rank(u)?.abs_diff(nominal.rank(u)?), u)))
                    .collect();
                if shifts.is_empty() {
                    return None;
                }
                let mean = shifts.iter().map(|s| f64::from(s.0)).sum::<f64>() / shifts.len() as f64;
                shifts.sort_by_key(|s| (std::cmp::Reverse(s.0), s.1));
                Some(LeaveOneOut {
                    removed: id.clone(),
                    kind: *kind,
                    mean_abs_shift: mean,
                    max_abs_shift: shifts[0].0,
                    most_affected: (shifts[0].0 > 0).then(|| unit_ids[shifts[0].1].clone()),
                })
            })
            .collect()
    });
    Ok(shifts.into_iter().flatten().collect())
}

/// What "the top tier" is for `manifest`: its first tier, or, when its peer groups
/// are rated on scales of their own, each group's best rating.
fn top_tier_label(manifest: &Manifest, tier_labels: &[String]) -> String {
    let first = tier_labels.first().cloned().unwrap_or_default();
    let Some(spec) = manifest.peer_groups.as_ref().filter(|p| !p.scales.is_empty()) else {
        return first;
    };
    let mut best: Vec<&str> = Vec::new();
    for label in spec.scales.iter().filter_map(|s| s.first()) {
        if !best.contains(&label.as_str()) {
            best.push(label);
        }
    }
    format!("each peer group's best rating: {}", best.join(", "))
}

/// The target value of a build.
fn target_value(target: &Target, b: &Build, nominal: &Build) -> f64 {
    match target {
        Target::MeanRankShift => {
            let d: Vec<f64> = (0..b.len())
                .filter_map(|u| Some(f64::from(b.rank(u)?.abs_diff(nominal.rank(u)?))))
                .collect();
            if d.is_empty() {
                f64::NAN
            } else {
                d.iter().sum::<f64>() / d.len() as f64
            }
        }
        Target::Spearman => {
            let (a, c): (Vec<f64>, Vec<f64>) = (0..b.len())
                .filter_map(|u| Some((f64::from(b.rank(u)?), f64::from(nominal.rank(u)?))))
                .unzip();
            cityrank_steps::analysis::spearman(&a, &c).unwrap_or(f64::NAN)
        }
        Target::UnitRank(u) => b.rank(*u).map_or(f64::NAN, f64::from),
    }
}
