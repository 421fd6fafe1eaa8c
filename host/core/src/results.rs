//! The results of a run: what `cityrank run --format json` writes, validated
//! against `schemas/results.schema.json`. Same inputs give byte-identical JSON:
//! no timestamps, no absolute paths or paths of the machine (only what the
//! edition file itself writes, and its file name), maps ordered by key.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::edition::Variant;
use crate::methodology::{AggregateSpec, Direction, LadderLevel, NodeKind, NormaliseSpec, PipelineSpec, TreatSpec};

/// Version of the results format: 2 added the methodology's `kind` and
/// `manifest_sha256`, and made `contract` absent for a declarative methodology;
/// 3 added how the results were made — the edition file and the variant's
/// changes, the dataset description's hash, the resolved `pipeline`, the plugin
/// `limits` and the `warnings` — so that `cityrank verify` can re-run them; 4
/// added the expert panel whose weights were used (`edition.experts`).
pub const RESULTS_SCHEMA_VERSION: u32 = 4;

/// The results of running one edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Results {
    /// Format version of this document.
    pub schema_version: u32,
    /// Version of cityrank that computed it.
    pub cityrank: String,
    /// The edition that was run.
    pub edition: EditionInfo,
    /// The methodology that scored it.
    pub methodology: MethodologyInfo,
    /// The dataset it was scored on.
    pub dataset: DatasetInfo,
    /// Every step's method and parameters as they ran (after the variant).
    pub pipeline: ResolvedPipeline,
    /// The sandbox's limits on each plugin call (absent for a declarative
    /// methodology: no code runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsInfo>,
    /// The framework tree, root first, with the weights in effect.
    pub framework: Vec<NodeInfo>,
    /// The tiers and how many units each holds.
    pub tiers: Vec<TierInfo>,
    /// Every unit, best rank first (unranked units last, in dataset order).
    pub units: Vec<UnitResult>,
    /// Indicator values missing after derivation (unit id → indicator ids).
    pub missing: BTreeMap<String, Vec<String>>,
    /// Cells filled by imputation (unit id → indicator id → value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub imputed: BTreeMap<String, BTreeMap<String, f64>>,
    /// Units removed by screening (not ranked).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub screened_out: Vec<ScreenedUnit>,
    /// Outlier treatment of each treated indicator (of each indicator and year,
    /// when a panel treats its years on their own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub treatment: Vec<TreatmentInfo>,
    /// Resources the plugin used.
    pub usage: Usage,
    /// Warnings of the run (also printed on standard error), e.g. a formula that
    /// divided by zero for some units, and the plugin's own `warn` and `error`
    /// log messages (`plugin warn: …`). Files are named by their paths relative to
    /// the edition's directory, as the edition names them (the same text wherever
    /// the edition runs from).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

crate::document!(Results, "results");

/// Which edition was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditionInfo {
    /// Edition id.
    pub id: String,
    /// Edition name.
    pub name: String,
    /// Edition year.
    pub year: i32,
    /// The edition file's name (e.g. `las-2024.toml`; where it was is not recorded,
    /// so results do not depend on the machine).
    pub file: String,
    /// SHA-256 of the edition file's bytes.
    pub sha256: String,
    /// The variant run, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// What the variant changed: its table in the edition file, with the
    /// defaults of what it sets written out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Variant>,
    /// The expert panel whose weights were used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experts: Option<ExpertsInfo>,
}

/// The expert panel behind a run's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertsInfo {
    /// The panel file's name (without its folder, so that results do not depend
    /// on the machine).
    pub file: String,
    /// SHA-256 of the panel file's bytes.
    pub sha256: String,
    /// How its judgements became weights.
    pub settings: crate::experts::Settings,
    /// The nodes whose children's weights came from the panel.
    pub nodes: Vec<String>,
    /// Experts on the panel.
    pub experts: usize,
    /// Experts left out at a node for their consistency ratio (`max_cr`), as
    /// `expert at node`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
}

/// The pipeline as it ran: the methodology's steps after the edition's tiers and
/// the variant's changes, every default written out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolvedPipeline {
    /// The steps that apply to every indicator and node unless one has its own.
    pub steps: PipelineSpec,
    /// Every indicator: how it is scored (direction, target, ladder) and its own
    /// settings where they replace the pipeline's.
    pub indicators: BTreeMap<String, IndicatorSteps>,
    /// Nodes (the index included) with their own aggregation: node id → aggregation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nodes: BTreeMap<String, AggregateSpec>,
}

/// How one indicator is scored; absent settings follow the pipeline's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSteps {
    /// Whether higher raw values are better.
    pub direction: Direction,
    /// The target, in raw units (distance-to-target and band normalisations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// The ordinal ladder: points for each rung (ladder normalisation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ladder: Vec<LadderLevel>,
    /// The dataset variable it is divided by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// Its own scale factor of the denominator (absent: the pipeline's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator_scale: Option<f64>,
    /// Its outlier treatment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat: Option<TreatSpec>,
    /// Its normalisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalise: Option<NormaliseSpec>,
}

/// The limits of each plugin call (see `[limits]` in an edition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsInfo {
    /// Fuel (deterministic CPU units) per call.
    pub fuel: u64,
    /// Memory per instance, in bytes.
    pub memory_bytes: u64,
    /// Output per call, in bytes.
    pub output_bytes: u64,
}

/// A unit removed by screening.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenedUnit {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Share of indicators present.
    pub availability: f64,
    /// Share of present values that are non-zero.
    pub nonzero: f64,
    /// Removed by the `exclude` list rather than by its data.
    pub forced: bool,
}

/// How one indicator was treated for outliers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreatmentInfo {
    /// Indicator id.
    pub indicator: String,
    /// The year whose rows were treated together, when a panel treats each year
    /// on its own (`panel.by_year = ["treat"]`, as COINr's `Treat` on a purse: its
    /// details table has a `Time` column); then each indicator has an entry per
    /// year. Absent when every row was treated at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// What was applied: `none`, `winsorised`, `log` (COINr `log_CT`), `log_neg`
    /// (`log_CT_plus` on a negative skew), `log_orig` (`log_CT_orig`), `log_gii`
    /// (the formula of `log_GII`), `box_cox`; or, when the second treatment of
    /// COINr's loop was applied to the first one's output (`combine`), both joined
    /// by `+`, e.g. `box_cox+log`.
    pub transform: String,
    /// Points winsorised (as COINr counts them, also when the winsorisation was
    /// then discarded for the second treatment).
    pub winsorised: usize,
    /// Ids of the units whose values were winsorised (`id@year` for panel data).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// Bias-corrected skewness before treatment.
    pub skew_before: Option<f64>,
    /// Bias-corrected excess kurtosis before treatment.
    pub kurt_before: Option<f64>,
    /// Skewness after treatment.
    pub skew_after: Option<f64>,
    /// Kurtosis after treatment.
    pub kurt_after: Option<f64>,
}

/// Which methodology scored the edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodologyInfo {
    /// Methodology id.
    pub id: String,
    /// Methodology name.
    pub name: String,
    /// Methodology version.
    pub version: String,
    /// How it is written: `declarative` (a manifest, no code) or `component` (a
    /// WebAssembly component, from Rust, Python or JavaScript).
    pub kind: String,
    /// SHA-256 of what determines the numbers besides the data: the component's
    /// bytes (its manifest is inside it), or the manifest file's bytes.
    pub sha256: String,
    /// SHA-256 of the manifest text.
    pub manifest_sha256: String,
    /// The plugin contract the component implements (e.g.
    /// `cityrank:methodology@0.2.0`); absent for a declarative manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
}

/// Which data were scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetInfo {
    /// Dataset id.
    pub id: String,
    /// Reference year.
    pub year: i32,
    /// SHA-256 of the CSV's bytes.
    pub sha256: String,
    /// SHA-256 of the dataset description's bytes (`dataset.toml`: columns, types, ranges).
    pub description_sha256: String,
    /// Number of units (cities) scored, screened-out units included; for panel data
    /// each unit counts once, whatever its number of years.
    pub units: usize,
    /// Number of dataset rows scored: one per unit, or for panel data one per unit
    /// and year of the panel.
    pub rows: usize,
}

/// One node of the framework tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeInfo {
    /// Node id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of node.
    pub kind: NodeKind,
    /// Parent id (absent for the root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Weight on the edge to the parent, as used (after variants and data-driven
    /// weighting); relative to its siblings' weights (aggregation divides by their
    /// sum, so 0.3, 0.3, 0.35 and 6, 6, 7 give the same scores).
    pub weight: f64,
    /// Product of normalised weights from the root.
    pub effective_weight: f64,
}

/// One tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierInfo {
    /// Label.
    pub label: String,
    /// Cumulative upper share of ranked units (tiers by share).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_share: Option<f64>,
    /// Lowest score of the tier (tiers by score).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Units in the tier.
    pub count: usize,
}

/// The result of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitResult {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country code, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Overall score (null when it cannot be computed).
    pub score: Option<f64>,
    /// Competition rank (ties share the best rank; null when unscored).
    pub rank: Option<u32>,
    /// Tier (or rating) label (null when unranked).
    pub tier: Option<String>,
    /// Peer group the tier was assigned in, when the methodology rates within groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_group: Option<String>,
    /// Score of every framework node (normalised values for indicators), by node id.
    pub scores: NodeScores,
    /// Index score of each year, for panel data (the `score` is their weighted average).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_year: BTreeMap<String, Option<f64>>,
    /// The unit's group, when the methodology ranks within groups (`rank = { within = … }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The unit's rank within its group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_rank: Option<u32>,
}

/// A unit's score of every framework node, by node id: in JSON an object in key
/// order (as a `BTreeMap<String, Option<f64>>` would be). In memory, the units
/// of a run share one [`ScoreTable`] — the pipeline's score columns, moved,
/// not copied — and each unit knows its row: 13,000 units × 200 nodes hold no
/// copies of the ids or of the scores.
#[derive(Clone)]
pub struct NodeScores {
    table: std::sync::Arc<ScoreTable>,
    row: usize,
}

/// Every unit's score of every node: one column per node (a row per unit; a
/// non-finite value is no value), and the node ids sorted, for the key order of
/// [`NodeScores`].
#[derive(Debug, Default)]
pub struct ScoreTable {
    /// Node ids, sorted.
    keys: Vec<String>,
    /// For each key, its column.
    column_of: Vec<usize>,
    /// The values.
    values: Values,
}

/// The values of a [`ScoreTable`].
#[derive(Debug)]
enum Values {
    /// One column per node, in the order given (a run's scores).
    Columns(Vec<Vec<f64>>),
    /// One unit's values, one per node in the order given (a unit read from a
    /// results file: one allocation, not one per node).
    Row(Vec<f64>),
}

impl Default for Values {
    fn default() -> Values {
        Values::Row(Vec::new())
    }
}

impl ScoreTable {
    /// The table of `columns` (one per node, each a value per unit) of the nodes
    /// `ids` (in the columns' order).
    ///
    /// Errors when the counts differ, the columns' lengths differ, or an id is
    /// repeated.
    pub fn new<'a>(ids: impl Iterator<Item = &'a str>, columns: Vec<Vec<f64>>) -> anyhow::Result<ScoreTable> {
        let ids: Vec<&str> = ids.collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by(|&a, &b| ids[a].cmp(ids[b]));
        if ids.len() != columns.len()
            || order.windows(2).any(|w| ids[w[0]] == ids[w[1]])
            || columns.windows(2).any(|w| w[0].len() != w[1].len())
        {
            anyhow::bail!("internal error: a score table needs one column per node, of one length, and unique ids");
        }
        Ok(ScoreTable {
            keys: order.iter().map(|&c| ids[c].to_string()).collect(),
            column_of: order,
            values: Values::Columns(columns),
        })
    }

    /// One unit's table: `values` of the nodes `ids` (sorted and unique).
    fn row(keys: Vec<String>, values: Vec<f64>) -> ScoreTable {
        ScoreTable {
            column_of: (0..keys.len()).collect(),
            keys,
            values: Values::Row(values),
        }
    }

    /// How many rows (units).
    pub fn rows(&self) -> usize {
        match &self.values {
            Values::Columns(c) => c.first().map_or(0, Vec::len),
            Values::Row(_) => 1,
        }
    }

    /// The value of column `column` (in the order given to [`ScoreTable::new`]) at
    /// `row` (`None`: no value).
    pub fn value(&self, column: usize, row: usize) -> Option<f64> {
        match &self.values {
            Values::Columns(c) => c.get(column).and_then(|c| c.get(row)),
            Values::Row(r) => r.get(column).filter(|_| row == 0),
        }
        .copied()
        .filter(|v| v.is_finite())
    }
}

impl NodeScores {
    /// Row `row` of `table`.
    ///
    /// Errors when the table has no such row (and has columns).
    pub fn of(table: std::sync::Arc<ScoreTable>, row: usize) -> anyhow::Result<NodeScores> {
        if !table.keys.is_empty() && row >= table.rows() {
            anyhow::bail!("internal error: no row {row} in a score table of {} rows", table.rows());
        }
        Ok(NodeScores { table, row })
    }

    /// The score of node `id` (`None`: no such node, or no value).
    pub fn get(&self, id: &str) -> Option<f64> {
        self.position(id).and_then(|i| self.at(i))
    }

    /// The position of node `id` among the keys, for [`NodeScores::at`] (the
    /// same for every unit of a run, whose scores share their keys: see
    /// [`NodeScores::same_keys`]).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.table.keys.binary_search_by(|k| k.as_str().cmp(id)).ok()
    }

    /// The score at position `i` of the keys (`None`: no value, or no such position).
    pub fn at(&self, i: usize) -> Option<f64> {
        self.table.column_of.get(i).and_then(|&c| self.table.value(c, self.row))
    }

    /// Whether `other` has the same key list (then positions carry over).
    pub fn same_keys(&self, other: &NodeScores) -> bool {
        std::sync::Arc::ptr_eq(&self.table, &other.table) || self.table.keys == other.table.keys
    }

    /// The node ids, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.table.keys.iter()
    }

    /// The values, in key order.
    pub fn values(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }

    /// `(id, value)` in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, Option<f64>)> {
        self.keys().zip(self.values())
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.table.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.table.keys.is_empty()
    }
}

/// Reads the same nodes' scores of many units: each node's position among the
/// units' keys is found once for the units that share their keys (every unit of
/// a run), not by a search per unit and node.
#[derive(Debug)]
pub struct NodeLookup<'a> {
    ids: Vec<&'a str>,
    of: Option<&'a NodeScores>,
    at: Vec<Option<usize>>,
}

impl<'a> NodeLookup<'a> {
    /// A lookup of the nodes `ids`, in this order.
    pub fn new(ids: impl Iterator<Item = &'a str>) -> NodeLookup<'a> {
        NodeLookup {
            ids: ids.collect(),
            of: None,
            at: Vec::new(),
        }
    }

    /// The scores of the nodes, in the order given, of the unit whose scores are
    /// `scores` (`None`: no value, or no such node).
    pub fn values(&mut self, scores: &'a NodeScores) -> impl Iterator<Item = Option<f64>> + use<'_, 'a> {
        if !self.of.is_some_and(|o| o.same_keys(scores)) {
            self.at = self.ids.iter().map(|id| scores.position(id)).collect();
            self.of = Some(scores);
        }
        self.at.iter().map(move |p| p.and_then(|p| scores.at(p)))
    }
}

impl Default for NodeScores {
    fn default() -> NodeScores {
        NodeScores {
            table: std::sync::Arc::new(ScoreTable::default()),
            row: 0,
        }
    }
}

impl PartialEq for NodeScores {
    fn eq(&self, other: &NodeScores) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for NodeScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(String, Option<f64>)> for NodeScores {
    fn from_iter<I: IntoIterator<Item = (String, Option<f64>)>>(iter: I) -> NodeScores {
        let map: BTreeMap<String, Option<f64>> = iter.into_iter().collect();
        let values = map.values().map(|v| v.unwrap_or(f64::NAN)).collect();
        NodeScores {
            table: std::sync::Arc::new(ScoreTable::row(map.into_keys().collect(), values)),
            row: 0,
        }
    }
}

impl Serialize for NodeScores {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, &v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for NodeScores {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<NodeScores, D::Error> {
        let map = BTreeMap::<String, Option<f64>>::deserialize(deserializer)?;
        Ok(map.into_iter().collect())
    }
}

impl JsonSchema for NodeScores {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        <BTreeMap<String, Option<f64>>>::schema_name()
    }

    fn inline_schema() -> bool {
        <BTreeMap<String, Option<f64>>>::inline_schema()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, Option<f64>>>::json_schema(generator)
    }
}

/// What the plugin consumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    /// Fuel consumed by all plugin calls of the run (deterministic).
    pub fuel: u64,
    /// Number of plugin calls.
    pub calls: u32,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Two units' scores of three nodes given in framework order (`index`,
    /// `p2`, `a1`): each unit reads its own row, by id, in sorted key order, and
    /// writes the JSON object a `BTreeMap` would (a non-finite value as `null`).
    #[test]
    fn units_read_their_row_of_the_shared_table() {
        let columns = vec![vec![61.5, 40.0], vec![f64::NAN, 12.25], vec![3.0, f64::INFINITY]];
        let table = std::sync::Arc::new(ScoreTable::new(["index", "p2", "a1"].into_iter(), columns).unwrap());
        let first = NodeScores::of(table.clone(), 0).unwrap();
        let second = NodeScores::of(table.clone(), 1).unwrap();
        assert_eq!(first.keys().collect::<Vec<_>>(), ["a1", "index", "p2"]);
        assert_eq!(first.get("index"), Some(61.5));
        assert_eq!(first.get("p2"), None);
        assert_eq!(second.get("p2"), Some(12.25));
        assert_eq!(second.get("a1"), None, "infinity is no value");
        assert_eq!(first.get("p9"), None);
        assert_eq!(table.value(0, 1), Some(40.0));
        assert_eq!(
            serde_json::to_string(&first).unwrap(),
            r#"{"a1":3.0,"index":61.5,"p2":null}"#
        );
        // Read back: a table of its own, equal in content.
        let back: NodeScores = serde_json::from_str(&serde_json::to_string(&second).unwrap()).unwrap();
        assert_eq!(back, second);
        assert!(back.same_keys(&first) && first.same_keys(&second));
        assert!(NodeScores::of(table, 2).is_err());
        // Repeated ids or columns of different lengths are refused.
        assert!(ScoreTable::new(["a", "a"].into_iter(), vec![vec![1.0], vec![2.0]]).is_err());
        assert!(ScoreTable::new(["a", "b"].into_iter(), vec![vec![1.0], vec![2.0, 3.0]]).is_err());
    }
}
