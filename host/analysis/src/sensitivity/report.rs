//! The report of a sensitivity analysis: its types (the JSON schema's source).

use std::collections::BTreeMap;

use cityrank_core::methodology::NodeKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::DesignKind;

impl SensitivityReport {
    /// The edition's id, and its variant's after an `@` when one was analysed
    /// (`las-2024@equal-weights`).
    pub fn subject(&self) -> String {
        match &self.variant {
            Some(v) => format!("{}@{v}", self.edition),
            None => self.edition.clone(),
        }
    }
}

/// The report of `cityrank sensitivity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitivityReport {
    /// Edition id.
    pub edition: String,
    /// The edition's variant whose ranking was analysed (the uncertain inputs
    /// change it), if one was chosen (`EDITION.toml@VARIANT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
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
