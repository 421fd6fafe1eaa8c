//! The methodology manifest (what a plugin declares) and the framework tree built
//! from it.
//!
//! The manifest is TOML text returned by the plugin's `manifest` export. It is
//! validated against `schemas/manifest.schema.json` (generated from [`Manifest`])
//! and then checked for what a schema cannot say: unique ids, parents that exist,
//! no cycles, positive weights, ladders on ladder-scored indicators.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod steps;

pub use steps::*;

/// Version of the manifest format this host writes and reads: 2 added `from`,
/// `formula` and `[constants]` (and made `[[inputs]]` optional).
pub const MANIFEST_SCHEMA_VERSION: u32 = 2;
/// The oldest manifest version this host still reads (a version-1 manifest loads
/// as it always did; it cannot use what version 2 added).
pub const MANIFEST_OLDEST_VERSION: u32 = 1;

/// A methodology: the framework tree, its weights, its scoring rules, the pipeline
/// steps and the tiers. Written by the methodology's author as TOML.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version of this document: 2 (1 is still read, without `from`,
    /// `formula` and `[constants]`).
    pub schema_version: u32,
    /// Stable identifier, lowercase letters, digits and dashes (e.g. `harbor-ladder`).
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Version of the methodology (semantic versioning).
    #[schemars(regex(pattern = r"^\d+\.\d+\.\d+([-+].*)?$"))]
    pub version: String,
    /// What the methodology measures and how, in a paragraph.
    pub description: String,
    /// What published method this reconstructs, and the disclaimer that it is not
    /// the official method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconstructs: Option<String>,
    /// Sources the methodology is based on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Reference>,
    /// Ids of the editions this methodology was written for (informative).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub editions: Vec<String>,
    /// The raw variables the dataset must provide; a plugin's `derive` receives
    /// them. Variables named by an indicator's `from` or `formula` need not be listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Input>,
    /// Named constants that formulas may use (e.g. `target_transit_km = 50`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub constants: BTreeMap<String, f64>,
    /// The root of the framework tree.
    pub index: IndexSpec,
    /// Intermediate nodes of the tree (pillars, sub-pillars, ...), any depth.
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    /// The leaves of the tree.
    pub indicators: Vec<IndicatorSpec>,
    /// The standard steps and their parameters.
    #[serde(default)]
    pub pipeline: PipelineSpec,
    /// Tiers (or ratings), best first.
    pub tiers: Vec<TierSpec>,
    /// Assign the tiers within peer groups instead of over all units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_groups: Option<PeerGroupSpec>,
}

crate::document!(Manifest, "manifest");

/// The largest weight of a node: weighted sums of scores (at most a few hundred
/// times 10⁶ here) stay far from overflowing.
pub const MAX_WEIGHT: f64 = 1e12;

/// A bibliographic or data source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Title or short citation.
    pub title: String,
    /// Where to find it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What was taken from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The type of a raw variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    /// A number (missing = empty cell).
    Number,
    /// Text (missing = empty cell).
    Text,
}

/// A raw variable the methodology needs from the dataset.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Column id in the dataset.
    pub id: String,
    /// Expected type.
    #[serde(rename = "type")]
    pub kind: VariableType,
    /// What it is used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The root of the framework tree (the overall index).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// Node id of the index (e.g. `index`).
    pub id: String,
    /// Name shown in reports.
    pub name: String,
    /// How the index aggregates its children (default: the pipeline's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateSpec>,
}

fn one() -> f64 {
    1.0
}

/// An intermediate node of the framework (pillar, sub-pillar, ...).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Node id, unique across the framework.
    pub id: String,
    /// Name shown in reports.
    pub name: String,
    /// Id of the parent node (the index or another node).
    pub parent: String,
    /// Weight of the edge to the parent, relative to its siblings (default 1).
    #[serde(default = "one")]
    #[schemars(range(min = 0.0))]
    pub weight: f64,
    /// How this node aggregates its children (default: the pipeline's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateSpec>,
    /// What the node stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Whether a higher indicator value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Higher is better.
    Higher,
    /// Lower is better.
    Lower,
}

impl From<Direction> for cityrank_steps::Direction {
    fn from(d: Direction) -> Self {
        match d {
            Direction::Higher => cityrank_steps::Direction::HigherIsBetter,
            Direction::Lower => cityrank_steps::Direction::LowerIsBetter,
        }
    }
}

/// A leaf of the framework: one indicator.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSpec {
    /// Indicator id, unique across the framework.
    pub id: String,
    /// Name shown in reports.
    pub name: String,
    /// Id of the parent node.
    pub parent: String,
    /// Weight of the edge to the parent, relative to its siblings (default 1).
    #[serde(default = "one")]
    #[schemars(range(min = 0.0))]
    pub weight: f64,
    /// Whether higher values are better.
    pub direction: Direction,
    /// Unit of the derived value (e.g. `routes`, `%`, `km per million people`).
    pub unit: String,
    /// How the value is derived and what it proxies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The dataset variable whose values the indicator takes as they are (e.g.
    /// `air_routes`). Give `from` or `formula`, or neither when a plugin's `derive`
    /// computes the indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// How the indicator is computed from the dataset's variables and the
    /// manifest's `[constants]`, e.g. `metro_ridership_m / population_k * 1000`:
    /// arithmetic (`+ - * / ^`), comparisons, `and`/`or`/`not`, `if(cond, a, b)`,
    /// `min`, `max`, `clamp`, `abs`, `ln`, `log1p`, `log10`, `exp`, `sqrt`, `pow`,
    /// `is_missing(x)`, `coalesce(a, b, …)` and `missing`. A missing value makes the
    /// result missing unless the formula handles it. See `docs/authoring.md`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// A dataset variable the indicator is divided by in the `denominate` step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// The scale factor of this indicator's denominator (COINr's `ScaleFactor`): it
    /// is divided by `denominator / denominator_scale` (default: the pipeline's
    /// `denominate.scale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub denominator_scale: Option<f64>,
    /// Target value, in the indicator's units (for distance-to-target methods).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// How this indicator is treated for outliers (default: the pipeline's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat: Option<TreatSpec>,
    /// How this indicator is normalised (default: the pipeline's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalise: Option<NormaliseSpec>,
    /// The rungs of an ordinal ladder (for `ladder` normalisation), any order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ladder: Vec<LadderLevel>,
}

/// One rung of a ladder: the points earned by a value in `[min, max)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LadderLevel {
    /// Points earned on this rung.
    pub points: f64,
    /// What the rung means (e.g. `gigabit`, `all-optical`).
    pub label: String,
    /// Inclusive lower bound of the value, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Exclusive upper bound of the value, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// One tier. Tiers are either all by cumulative share of ranked units
/// (`upper_share`, e.g. 0.1, 0.3, 0.6, 1.0) or all by score threshold (`min_score`,
/// strictly decreasing; the last tier may omit it to catch every other unit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Label shown in reports (e.g. `top 10%`, `AAA`).
    pub label: String,
    /// Cumulative upper share of ranked units (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub upper_share: Option<f64>,
    /// Lowest score of the tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
}

impl TierSpec {
    /// What puts a unit in this tier, for people: `≤ 10%` (cumulative share of the
    /// ranked units), `score ≥ 90` (score threshold) or `rest` (the last tier of a
    /// list by score, which catches every other unit).
    pub fn describe(&self) -> String {
        match (self.upper_share, self.min_score) {
            (Some(share), _) => format!("≤ {}%", short_number(share * 100.0)),
            (None, Some(min)) => format!("score ≥ {}", short_number(min)),
            (None, None) => "rest".to_string(),
        }
    }
}

/// `x` with at most six decimals and no trailing zeros (`0.3 × 100` prints `30`,
/// not `30.000000000000004`).
fn short_number(x: f64) -> String {
    let rounded = (x * 1e6).round() / 1e6;
    // `-0` prints as `0`.
    format!("{}", rounded + 0.0)
}

/// How tiers are assigned.
#[derive(Debug, Clone, PartialEq)]
pub enum TierRule {
    /// By cumulative share of ranked units.
    Shares(Vec<f64>),
    /// By score: lower bounds, the last possibly −∞.
    Thresholds(Vec<f64>),
}

/// Peer groups (IMD style): units are grouped by quantiles of a dataset variable
/// (e.g. the country's HDI) and tiers (ratings) are assigned within each group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeerGroupSpec {
    /// The numeric dataset variable that forms the groups.
    pub covariate: String,
    /// Number of quantile groups (4 = quartiles).
    #[serde(default = "four")]
    #[schemars(range(min = 1))]
    pub groups: usize,
    /// Group labels, lowest covariate first (default `group 1 (lowest)` …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// The part of the tier scale each group is rated on, lowest covariate first:
    /// one list of tier labels per group, best first, in the order of `tiers` (e.g.
    /// IMD's `["CCC", "CC", "C", "D"]` for its lowest HDI group, `["AAA", "AA", "A",
    /// "BBB", "BB"]` for its highest). A group's tiers keep their relative widths
    /// (`upper_share` steps) stretched over the whole group. Empty: every group uses
    /// every tier. Needs tiers by share.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scales: Vec<Vec<String>>,
}

impl PeerGroupSpec {
    /// The scales as tier indices per group (empty when every group uses the whole
    /// scale), checked against `tiers`: one scale per group, known labels, in the
    /// order of the tiers, tiers by share.
    pub fn scale_indices(&self, tiers: &[TierSpec]) -> Result<Vec<Vec<usize>>> {
        if self.scales.is_empty() {
            return Ok(Vec::new());
        }
        if self.scales.len() != self.groups {
            bail!(
                "peer_groups.scales: one scale per group ({} groups), got {}",
                self.groups,
                self.scales.len()
            );
        }
        if !matches!(check_tiers(tiers)?, TierRule::Shares(_)) {
            bail!("peer_groups.scales: scales need tiers by share (upper_share), not by score");
        }
        let labels: Vec<&str> = tiers.iter().map(|t| t.label.as_str()).collect();
        self.scales
            .iter()
            .enumerate()
            .map(|(g, scale)| {
                if scale.is_empty() {
                    bail!("peer_groups.scales[{g}]: give at least one tier label");
                }
                let mut indices = Vec::with_capacity(scale.len());
                for (k, label) in scale.iter().enumerate() {
                    let Some(t) = labels.iter().position(|l| l == label) else {
                        bail!(
                            "peer_groups.scales[{g}][{k}]: no tier `{label}`; the tiers are {}",
                            labels.join(", ")
                        );
                    };
                    if indices.last().is_some_and(|&prev| t <= prev) {
                        bail!(
                            "peer_groups.scales[{g}][{k}]: `{label}` comes after `{}`; list a group's tiers best first, \
                             in the order of `tiers`",
                            scale[k - 1]
                        );
                    }
                    indices.push(t);
                }
                Ok(indices)
            })
            .collect()
    }
}

fn four() -> usize {
    4
}

/// The kind of a framework node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// The root.
    Index,
    /// An intermediate node.
    Pillar,
    /// A leaf.
    Indicator,
}

impl NodeKind {
    /// The kind as written in documents: `index`, `pillar` or `indicator`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Index => "index",
            NodeKind::Pillar => "pillar",
            NodeKind::Indicator => "indicator",
        }
    }
}

/// One node of the validated framework tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// Node id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of node.
    pub kind: NodeKind,
    /// Position of the parent in [`Framework::nodes`] (`None` for the root).
    pub parent: Option<usize>,
    /// Positions of the children, in manifest order.
    pub children: Vec<usize>,
    /// Weight of the edge to the parent (1 for the root).
    pub weight: f64,
    /// Depth below the root (root = 0).
    pub depth: usize,
    /// Product of normalised weights from the root down to this node.
    pub effective_weight: f64,
    /// Position in [`Manifest::indicators`] for indicators.
    pub indicator: Option<usize>,
    /// How the node aggregates its children (resolved; `None` for indicators).
    pub aggregate: Option<AggregateSpec>,
}

/// The framework tree of a manifest, checked and resolved.
#[derive(Debug, Clone)]
pub struct Framework {
    /// All nodes; the root is at position 0 and every parent comes before its children.
    pub nodes: Vec<Node>,
}

impl Framework {
    /// Position of node `id`.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    /// Positions of the indicator nodes, in manifest order.
    pub fn indicators(&self) -> impl Iterator<Item = usize> + '_ {
        let mut leaves: Vec<(usize, usize)> = self
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(p, n)| n.indicator.map(|i| (i, p)))
            .collect();
        leaves.sort_unstable();
        leaves.into_iter().map(|(_, p)| p)
    }

    /// Effective weights for the edge weights `weights` (one per node, by position):
    /// each weight normalised among its siblings, times its parent's effective
    /// weight (the root's is 1). Siblings whose weights sum to 0 give NaN.
    pub fn effective_weights(&self, weights: &[f64]) -> Vec<f64> {
        let mut eff = vec![1.0; self.nodes.len()];
        // Parents precede children, so one pass suffices.
        for p in 1..self.nodes.len() {
            let parent = self.nodes[p].parent.unwrap_or(0);
            let total: f64 = self.nodes[parent].children.iter().map(|&c| weights[c]).sum();
            eff[p] = if total == 0.0 {
                f64::NAN
            } else {
                eff[parent] * weights[p] / total
            };
        }
        eff
    }

    /// Positions of the aggregate nodes, deepest first (the order to aggregate in).
    pub fn bottom_up(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.nodes.len())
            .filter(|&p| self.nodes[p].kind != NodeKind::Indicator)
            .collect();
        order.sort_by_key(|&p| std::cmp::Reverse(self.nodes[p].depth));
        order
    }
}

impl Manifest {
    /// Key paths of the steps that name the plugin's own code (`method = "plugin"`),
    /// e.g. `pipeline.treat`, `indicators[2].normalise`.
    pub fn plugin_steps(&self) -> Vec<String> {
        let mut out = Vec::new();
        let p = &self.pipeline;
        if matches!(p.impute, Some(ImputeSpec::Plugin { .. })) {
            out.push("pipeline.impute".to_string());
        }
        if matches!(p.treat, Some(TreatSpec::Plugin { .. })) {
            out.push("pipeline.treat".to_string());
        }
        if matches!(p.normalise, NormaliseSpec::Plugin { .. }) {
            out.push("pipeline.normalise".to_string());
        }
        if matches!(p.aggregate, AggregateSpec::Plugin { .. }) {
            out.push("pipeline.aggregate".to_string());
        }
        if matches!(self.index.aggregate, Some(AggregateSpec::Plugin { .. })) {
            out.push("index.aggregate".to_string());
        }
        for (i, n) in self.nodes.iter().enumerate() {
            if matches!(n.aggregate, Some(AggregateSpec::Plugin { .. })) {
                out.push(format!("nodes[{i}].aggregate"));
            }
        }
        for (i, x) in self.indicators.iter().enumerate() {
            if matches!(x.treat, Some(TreatSpec::Plugin { .. })) {
                out.push(format!("indicators[{i}].treat"));
            }
            if matches!(x.normalise, Some(NormaliseSpec::Plugin { .. })) {
                out.push(format!("indicators[{i}].normalise"));
            }
        }
        out
    }

    /// Checks what the schema cannot express and builds the framework tree.
    /// Errors name the key path inside the manifest and say how to fix it; every
    /// problem is reported at once, one per line.
    pub fn framework(&self) -> Result<Framework> {
        let mut problems = self.problems();
        // With two nodes of one id the tree is ambiguous: its own checks would
        // report consequences of the duplicate, not problems of their own.
        let ambiguous = self.has_duplicate_ids();
        let tree = if ambiguous {
            None
        } else {
            Some(self.build_tree(&mut problems))
        };
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        Ok(tree.expect("a tree is built whenever no id is used twice"))
    }

    /// Whether two parts of the framework (index, nodes, indicators) share an id.
    fn has_duplicate_ids(&self) -> bool {
        let mut seen = std::collections::HashSet::new();
        !std::iter::once(&self.index.id)
            .chain(self.nodes.iter().map(|n| &n.id))
            .chain(self.indicators.iter().map(|x| &x.id))
            .all(|id| seen.insert(id.as_str()))
    }

    /// The problems found without building the tree: versions, unique ids, parents
    /// that exist, each indicator's own settings, the tiers. One line each, starting
    /// with its key path.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(MANIFEST_OLDEST_VERSION..=MANIFEST_SCHEMA_VERSION).contains(&self.schema_version) {
            problems.push(format!(
                "schema_version: this host reads manifest versions {MANIFEST_OLDEST_VERSION} to \
                 {MANIFEST_SCHEMA_VERSION}, got {}{}",
                self.schema_version,
                if self.schema_version > MANIFEST_SCHEMA_VERSION {
                    "; update cityrank to read it"
                } else {
                    ""
                }
            ));
        }
        if self.schema_version < 2 {
            for (i, x) in self.indicators.iter().enumerate() {
                if x.from.is_some() || x.formula.is_some() {
                    problems.push(format!(
                        "indicators[{i}].{}: `from`, `formula` and `[constants]` came with manifest version 2; set \
                         `schema_version = 2`",
                        if x.from.is_some() { "from" } else { "formula" }
                    ));
                }
            }
            if !self.constants.is_empty() {
                problems.push(
                    "constants: `from`, `formula` and `[constants]` came with manifest version 2; set \
                     `schema_version = 2`"
                        .to_string(),
                );
            }
        }
        // Unique ids across the whole framework.
        let mut paths: HashMap<&str, String> = HashMap::new();
        let all = std::iter::once((self.index.id.as_str(), "index.id".to_string()))
            .chain(
                self.nodes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.id.as_str(), format!("nodes[{i}].id"))),
            )
            .chain(
                self.indicators
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.id.as_str(), format!("indicators[{i}].id"))),
            );
        for (id, path) in all {
            if let Some(first) = paths.get(id) {
                problems.push(format!(
                    "{path}: id `{id}` is already used at {first}; give every node a unique id"
                ));
            } else {
                paths.insert(id, path);
            }
        }
        let input_ids: Vec<&str> = self.inputs.iter().map(|i| i.id.as_str()).collect();
        for (i, input) in self.inputs.iter().enumerate() {
            if input_ids[..i].contains(&input.id.as_str()) {
                problems.push(format!("inputs[{i}].id: input `{}` is declared twice", input.id));
            }
        }
        // Parents that exist: the index or a node (cycles are found with the tree).
        let parents: Vec<&String> = std::iter::once(&self.index.id)
            .chain(self.nodes.iter().map(|n| &n.id))
            .collect();
        let hint = |parent: &str| {
            crate::diagnostic::did_you_mean(parent, parents.iter().map(|p| p.as_str()), 2)
                .unwrap_or_else(|| format!("parents can be {}", known(parents.iter().copied())))
        };
        for (i, n) in self.nodes.iter().enumerate() {
            if self.indicators.iter().any(|x| x.id == n.parent) {
                problems.push(format!(
                    "nodes[{i}].parent: `{}` is an indicator; only the index and nodes can have children",
                    n.parent
                ));
            } else if !parents.contains(&&n.parent) {
                problems.push(format!(
                    "nodes[{i}].parent: no node `{}`; {}",
                    n.parent,
                    hint(&n.parent)
                ));
            }
        }
        for (i, x) in self.indicators.iter().enumerate() {
            if self.indicators.iter().any(|y| y.id == x.parent) {
                problems.push(format!(
                    "indicators[{i}].parent: `{}` is an indicator; indicators hang under the index or a node",
                    x.parent
                ));
            } else if !parents.contains(&&x.parent) {
                problems.push(format!(
                    "indicators[{i}].parent: no node `{}`; {}",
                    x.parent,
                    hint(&x.parent)
                ));
            }
            if let Err(e) = check_indicator(i, x, &self.pipeline.normalise) {
                problems.push(e.to_string());
            }
        }
        // Treatments: settings that another setting replaces.
        let treatments = std::iter::once(("pipeline.treat".to_string(), self.pipeline.treat.as_ref())).chain(
            self.indicators
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("indicators[{i}].treat"), x.treat.as_ref())),
        );
        for (key, spec) in treatments {
            if let Some(p) = spec.and_then(TreatSpec::problem) {
                problems.push(format!("{key}: {p}"));
            }
        }
        if let Err(e) = check_tiers(&self.tiers) {
            problems.push(e.to_string());
        }
        problems
    }

    /// Builds the tree and adds to `problems` what only the tree shows: parents in
    /// a cycle, nodes without children, weights too large or summing to 0, peer
    /// scales. What [`Manifest::problems`] reports (a parent that does not exist, an
    /// indicator's own settings, the tiers) is left out here, not reported twice.
    fn build_tree(&self, problems: &mut Vec<String>) -> Framework {
        // Root first, then nodes in an order where parents precede children.
        let mut nodes = vec![Node {
            id: self.index.id.clone(),
            name: self.index.name.clone(),
            kind: NodeKind::Index,
            parent: None,
            children: Vec::new(),
            weight: 1.0,
            depth: 0,
            effective_weight: 1.0,
            indicator: None,
            aggregate: Some(
                self.index
                    .aggregate
                    .clone()
                    .unwrap_or_else(|| self.pipeline.aggregate.clone()),
            ),
        }];
        let mut pending: Vec<usize> = (0..self.nodes.len()).collect();
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|&i| {
                let spec = &self.nodes[i];
                match nodes.iter().position(|n| n.id == spec.parent) {
                    Some(parent) => {
                        nodes.push(Node {
                            id: spec.id.clone(),
                            name: spec.name.clone(),
                            kind: NodeKind::Pillar,
                            parent: Some(parent),
                            children: Vec::new(),
                            weight: spec.weight,
                            depth: nodes[parent].depth + 1,
                            effective_weight: 0.0,
                            indicator: None,
                            aggregate: Some(
                                spec.aggregate
                                    .clone()
                                    .unwrap_or_else(|| self.pipeline.aggregate.clone()),
                            ),
                        });
                        false
                    }
                    None => true,
                }
            });
            if pending.len() == before {
                break;
            }
        }
        // What is left does not lead up to the index: a missing parent (reported
        // by `problems`), a cycle, or a node hanging under a cycle.
        let node_at: HashMap<&str, usize> = self.nodes.iter().enumerate().map(|(k, n)| (n.id.as_str(), k)).collect();
        for &i in &pending {
            let mut seen = vec![i];
            let mut at = i;
            while let Some(&up) = node_at.get(self.nodes[at].parent.as_str()) {
                if up == i {
                    let cycle: Vec<String> = seen.iter().map(|&k| format!("`{}`", self.nodes[k].id)).collect();
                    problems.push(format!(
                        "nodes[{i}].parent: `{}` is part of a cycle of parents ({} → `{}`); the tree must \
                         lead up to `{}`",
                        self.nodes[i].parent,
                        cycle.join(" → "),
                        self.nodes[i].id,
                        self.index.id
                    ));
                    break;
                }
                if let Some(k) = seen.iter().position(|&s| s == up) {
                    let cycle: Vec<String> = seen[k..]
                        .iter()
                        .chain([&up])
                        .map(|&k| format!("`{}`", self.nodes[k].id))
                        .collect();
                    let parent = &self.nodes[i].parent;
                    let how = if *parent == self.nodes[up].id {
                        "is in"
                    } else {
                        "leads into"
                    };
                    problems.push(format!(
                        "nodes[{i}].parent: `{parent}` {how} a cycle of parents ({}); the tree must lead up to `{}`",
                        cycle.join(" → "),
                        self.index.id
                    ));
                    break;
                }
                seen.push(up);
                at = up;
            }
        }
        for (i, spec) in self.indicators.iter().enumerate() {
            // A parent that is missing, an indicator, or in a cycle is reported elsewhere.
            let Some(parent) = nodes
                .iter()
                .position(|n| n.id == spec.parent && n.kind != NodeKind::Indicator)
            else {
                continue;
            };
            nodes.push(Node {
                id: spec.id.clone(),
                name: spec.name.clone(),
                kind: NodeKind::Indicator,
                parent: Some(parent),
                children: Vec::new(),
                weight: spec.weight,
                depth: nodes[parent].depth + 1,
                effective_weight: 0.0,
                indicator: Some(i),
                aggregate: None,
            });
        }
        for p in 1..nodes.len() {
            let parent = nodes[p].parent.unwrap_or(0);
            nodes[parent].children.push(p);
        }
        for node in &nodes {
            if node.kind == NodeKind::Indicator {
                continue;
            }
            if node.children.is_empty() {
                // A node whose children are all unplaced (their problem is reported) is not childless.
                let written = self.indicators.iter().any(|x| x.parent == node.id)
                    || self.nodes.iter().any(|n| n.parent == node.id);
                if !written {
                    problems.push(format!(
                        "{}: node `{}` has no children; hang indicators under it or remove it",
                        path_of(self, &node.id),
                        node.id
                    ));
                }
                continue;
            }
            for &c in &node.children {
                if nodes[c].weight > MAX_WEIGHT {
                    problems.push(format!(
                        "{}.weight: {:e} (node `{}`) is above {MAX_WEIGHT:e}; only the ratios of sibling weights \
                         matter, so scale them down (weighted sums would overflow)",
                        path_of(self, &nodes[c].id),
                        nodes[c].weight,
                        nodes[c].id
                    ));
                }
            }
            let total: f64 = node.children.iter().map(|&c| nodes[c].weight).sum();
            if total <= 0.0 {
                problems.push(format!(
                    "{}: the weights of the children of `{}` sum to 0; give at least one a positive weight",
                    path_of(self, &node.id),
                    node.id
                ));
            }
        }
        // Effective weights: parents precede children, so one pass suffices.
        for p in 1..nodes.len() {
            let parent = nodes[p].parent.unwrap_or(0);
            let total: f64 = nodes[parent].children.iter().map(|&c| nodes[c].weight).sum();
            nodes[p].effective_weight = nodes[parent].effective_weight * nodes[p].weight / total;
        }
        // (Bad tiers are reported by `problems`; the scales are checked against good ones.)
        if let Some(spec) = &self.peer_groups
            && check_tiers(&self.tiers).is_ok()
            && let Err(e) = spec.scale_indices(&self.tiers)
        {
            problems.push(e.to_string());
        }
        Framework { nodes }
    }
}

fn known<'a>(ids: impl Iterator<Item = &'a String>) -> String {
    ids.map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
}

fn path_of(manifest: &Manifest, id: &str) -> String {
    if manifest.index.id == id {
        return "index".into();
    }
    if let Some(i) = manifest.nodes.iter().position(|n| n.id == id) {
        return format!("nodes[{i}]");
    }
    match manifest.indicators.iter().position(|x| x.id == id) {
        Some(i) => format!("indicators[{i}]"),
        None => "indicators".into(),
    }
}

fn check_indicator(i: usize, spec: &IndicatorSpec, default: &NormaliseSpec) -> Result<()> {
    let method = spec.normalise.as_ref().unwrap_or(default);
    if matches!(method, NormaliseSpec::Ladder { .. }) && spec.ladder.is_empty() {
        bail!(
            "indicators[{i}].ladder: indicator `{}` is scored on a ladder but declares no rungs; add [[indicators.ladder]] entries with points and min/max",
            spec.id
        );
    }
    for (j, level) in spec.ladder.iter().enumerate() {
        if let (Some(lo), Some(hi)) = (level.min, level.max)
            && lo >= hi
        {
            bail!("indicators[{i}].ladder[{j}]: min {lo} is not below max {hi}");
        }
        if level.min.is_none() && level.max.is_none() {
            bail!(
                "indicators[{i}].ladder[{j}]: rung `{}` has neither min nor max; give it a bound",
                level.label
            );
        }
        if !level.points.is_finite() {
            bail!("indicators[{i}].ladder[{j}].points: expected a finite number");
        }
    }
    if !spec.weight.is_finite() {
        bail!("indicators[{i}].weight: expected a finite number");
    }
    if let Some(scale) = spec.denominator_scale {
        if !(scale.is_finite() && scale > 0.0) {
            bail!("indicators[{i}].denominator_scale: expected a finite number > 0, got {scale}");
        }
        if spec.denominator.is_none() {
            bail!(
                "indicators[{i}].denominator_scale: indicator `{}` has no denominator to scale; give its \
                 `denominator` too, or remove the scale",
                spec.id
            );
        }
    }
    Ok(())
}

/// Checks a tier list and returns its rule: shares increasing and ending at 1, or
/// thresholds strictly decreasing.
pub fn check_tiers(tiers: &[TierSpec]) -> Result<TierRule> {
    if tiers.is_empty() {
        bail!("tiers: declare at least one tier (e.g. label = \"all\", upper_share = 1.0)");
    }
    for (k, t) in tiers.iter().enumerate() {
        if t.label.trim().is_empty() {
            bail!("tiers[{k}].label: give the tier a label");
        }
        if let Some(j) = tiers[..k].iter().position(|u| u.label == t.label) {
            bail!("tiers[{k}].label: `{}` is already the label of tiers[{j}]", t.label);
        }
    }
    let last = tiers.len() - 1;
    if tiers.iter().any(|t| t.min_score.is_some()) {
        let mut bounds = Vec::with_capacity(tiers.len());
        for (k, t) in tiers.iter().enumerate() {
            if t.upper_share.is_some() {
                bail!("tiers[{k}].upper_share: tiers are by score (min_score) here; do not mix in shares");
            }
            let b = match t.min_score {
                Some(b) => b,
                None if k == last => f64::NEG_INFINITY,
                None => bail!("tiers[{k}].min_score: every tier but the last needs a min_score"),
            };
            if k > 0 && b >= bounds[k - 1] {
                bail!(
                    "tiers[{k}].min_score: {b} must be below the previous tier's {}",
                    bounds[k - 1]
                );
            }
            bounds.push(b);
        }
        return Ok(TierRule::Thresholds(bounds));
    }
    let mut shares = Vec::with_capacity(tiers.len());
    for (k, t) in tiers.iter().enumerate() {
        let Some(s) = t.upper_share else {
            bail!("tiers[{k}]: give upper_share (cumulative share of units) or min_score (a score threshold)");
        };
        if !(s > 0.0 && s <= 1.0) {
            bail!("tiers[{k}].upper_share: a cumulative share in (0, 1], got {s}");
        }
        if k > 0 && s <= shares[k - 1] {
            bail!(
                "tiers[{k}].upper_share: {s} must be above the previous tier's {}; shares are cumulative",
                shares[k - 1]
            );
        }
        shares.push(s);
    }
    if (shares[last] - 1.0).abs() > 1e-12 {
        bail!(
            "tiers[{last}].upper_share: the last tier must end at 1.0 (all units), got {}",
            shares[last]
        );
    }
    Ok(TierRule::Shares(shares))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(upper_share: Option<f64>, min_score: Option<f64>) -> TierSpec {
        TierSpec {
            label: "t".into(),
            upper_share,
            min_score,
        }
    }

    #[test]
    fn tiers_describe_their_rule() {
        assert_eq!(tier(Some(0.1), None).describe(), "≤ 10%");
        // 0.3 × 100 and 0.6 × 100 are not whole numbers in binary floating point.
        assert_eq!(tier(Some(0.3), None).describe(), "≤ 30%");
        assert_eq!(tier(Some(0.6), None).describe(), "≤ 60%");
        assert_eq!(tier(Some(0.125), None).describe(), "≤ 12.5%");
        assert_eq!(tier(Some(1.0), None).describe(), "≤ 100%");
        assert_eq!(tier(None, Some(90.0)).describe(), "score ≥ 90");
        assert_eq!(tier(None, Some(-2.5)).describe(), "score ≥ -2.5");
        assert_eq!(tier(None, None).describe(), "rest");
    }

    #[test]
    fn peer_scales_are_checked_against_the_tiers() {
        let tiers: Vec<TierSpec> = ["A", "B", "C"]
            .iter()
            .enumerate()
            .map(|(k, l)| TierSpec {
                label: l.to_string(),
                upper_share: Some((k + 1) as f64 / 3.0),
                min_score: None,
            })
            .collect();
        let spec = |scales: &[&[&str]]| PeerGroupSpec {
            covariate: "hdi".into(),
            groups: 2,
            labels: Vec::new(),
            scales: scales
                .iter()
                .map(|s| s.iter().map(|l| l.to_string()).collect())
                .collect(),
        };
        assert_eq!(spec(&[]).scale_indices(&tiers).unwrap(), Vec::<Vec<usize>>::new());
        assert_eq!(
            spec(&[&["B", "C"], &["A", "B"]]).scale_indices(&tiers).unwrap(),
            vec![vec![1, 2], vec![0, 1]]
        );
        let error = |scales: &[&[&str]]| spec(scales).scale_indices(&tiers).unwrap_err().to_string();
        assert!(error(&[&["A"]]).contains("one scale per group (2 groups), got 1"));
        assert!(error(&[&["A"], &["AAA"]]).contains("scales[1][0]: no tier `AAA`; the tiers are A, B, C"));
        assert!(error(&[&["A"], &["C", "B"]]).contains("scales[1][1]: `B` comes after `C`"));
        assert!(error(&[&["A"], &[]]).contains("scales[1]: give at least one tier label"));
        let by_score = [TierSpec {
            label: "A".into(),
            upper_share: None,
            min_score: Some(50.0),
        }];
        let e = spec(&[&["A"], &["A"]])
            .scale_indices(&by_score)
            .unwrap_err()
            .to_string();
        assert!(e.contains("scales need tiers by share"), "{e}");
    }
}
