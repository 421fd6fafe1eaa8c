//! The `[sensitivity]` table of an edition: the uncertain inputs of an
//! uncertainty and sensitivity analysis and its settings (the analysis itself is
//! `cityrank-analysis`'s `sensitivity`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Variant;

fn fifty() -> usize {
    50
}
fn one_u64() -> u64 {
    1
}
fn hundred_usize() -> usize {
    100
}
fn yes() -> bool {
    true
}
fn default_target() -> String {
    "mean-rank-shift".into()
}

/// How the sample points are drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DesignKind {
    /// Independent uniform draws.
    Mc,
    /// A scrambled Sobol' low-discrepancy sequence.
    #[default]
    Sobol,
}

/// The most builds one analysis may run (samples × (inputs + 2) for a sensitivity
/// design): about an hour at the slowest measured rate.
pub const MAX_BUILDS: usize = 10_000_000;
/// The most bootstrap replicates of the Sobol indices.
pub const MAX_BOOTSTRAP: usize = 100_000;
/// The most weight sets of one weight-noise input.
pub const MAX_REPLICATES: usize = 1_000_000;
/// The most worker threads.
pub const MAX_THREADS: usize = 256;

/// The `[sensitivity]` table of an edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitivitySpec {
    /// Points per design matrix `N`: a sensitivity analysis runs `N·(d + 2)` builds
    /// for `d` inputs, an uncertainty analysis `N`.
    #[serde(default = "fifty")]
    #[schemars(range(min = 2))]
    pub samples: usize,
    /// How the points are drawn.
    #[serde(default)]
    pub design: DesignKind,
    /// Seed of every random draw.
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// Only an uncertainty analysis (no Sobol indices; `N` builds).
    #[serde(default)]
    pub uncertainty_only: bool,
    /// Bootstrap resamples for the confidence intervals of the indices (0: none).
    #[serde(default = "hundred_usize")]
    pub bootstrap: usize,
    /// The output analysed: `mean-rank-shift` (mean absolute rank shift against the
    /// nominal ranking, COINr's default), `spearman` (rank correlation with the
    /// nominal ranking) or `rank:<unit id>` (one unit's rank).
    #[serde(default = "default_target")]
    pub target: String,
    /// Also remove each indicator and node in turn and report the rank shifts.
    #[serde(default = "yes")]
    pub leave_one_out: bool,
    /// The uncertain inputs.
    pub inputs: Vec<InputSpec>,
}

/// One uncertain input: a choice between alternatives, or noise on weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Name shown in reports.
    pub name: String,
    /// Alternatives written inline, each a variant (equally likely).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Variant>,
    /// Alternatives named among the edition's variants (`nominal` = no change).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// Multiplicative noise on the weights of some levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_noise: Option<WeightNoise>,
    /// Weights drawn from the edition's expert panel (`[experts]`): how much the
    /// ranking depends on who sat on the panel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experts: Option<ExpertsInput>,
}

/// How the panel is resampled: each weight set is the panel's weights (aggregated
/// as the edition's `[experts]` says) from another set of experts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Resample {
    /// `replicates` resamples of the experts with replacement (an expert drawn
    /// brings all their judgements).
    #[default]
    Bootstrap,
    /// The panel without one expert, for each expert in turn.
    LeaveOneOut,
    /// Each expert's own weights, one expert at a time.
    Each,
}

/// A sensitivity input drawing the weights from the expert panel. At a node
/// none of the experts drawn judged, the whole panel's weights stay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertsInput {
    /// `bootstrap` (default), `leave-one-out` or `each`.
    #[serde(default)]
    pub resample: Resample,
    /// Bootstrap resamples (weight sets) to draw from (`bootstrap` only: the
    /// others have one weight set per expert).
    #[serde(default = "hundred_usize")]
    #[schemars(range(min = 1))]
    pub replicates: usize,
}

/// Weights `w` of the nodes at the given levels become `w·(1 + φ(2u − 1))` with
/// `u ~ U(0, 1)` per weight (COINr `get_noisy_weights`); the input chooses one of
/// `replicates` such weight sets, drawn once from the seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightNoise {
    /// Levels counted from the indicators upward, as in COINr: indicators are level
    /// 1, a node is one level above its highest child (pillars 2, …).
    pub levels: Vec<usize>,
    /// The noise factor φ (0.25 = ±25%).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub factor: f64,
    /// How many noisy weight sets to draw from.
    #[serde(default = "hundred_usize")]
    #[schemars(range(min = 1))]
    pub replicates: usize,
}
