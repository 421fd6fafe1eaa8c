//! The ranking recomputed in a browser, by the same steps as the command line.
//!
//! `cityrank report` writes a page holding a [`Model`] (the framework tree, the
//! weights in effect, the data each normaliser starts from — the treated table
//! and each normaliser's methods, or a normalised table — and each alternative
//! aggregation's methods, the missing-value policy, the rescaling, the
//! ranking rule and the tier plan) and this crate compiled to WebAssembly
//! (`host/analysis/assets/cityrank-web.wasm`, built by `tools/build-web.sh`). When
//! the reader moves a weight or picks another method, the page calls
//! [`Session::recompute`] through the interface of the `abi` module:
//! normalisation, aggregation up the tree, rescaling, ranking and tiers are
//! `cityrank-steps`' own functions, called in the
//! order `cityrank run` calls them, so a scenario's scores are the bits `cityrank
//! run` gives for the same weights (tests/report.rs checks it natively and in a
//! browser).
//!
//! A scenario ([`Scenario`]) is the page's state: weights per node, the normaliser
//! and the aggregation chosen. It travels in the page's URL fragment
//! ([`Model::fragment`], [`Model::parse_fragment`]) and becomes an edition's
//! `[variants.NAME]` table ([`Model::variant_toml`]) that `cityrank run --variant
//! NAME` reproduces.
//!
//! ## The fragment's grammar
//!
//! ```text
//! fragment  = part *( "&" part )
//! part      = "weights=" weight *( "," weight )   ; node or indicator id, then its weight
//!           / "normalise=" name                    ; one of the page's normalisers
//!           / "aggregate=" name                    ; one of the page's aggregations
//!           / "unit=" id                           ; the unit whose breakdown is shown
//! weight    = id ":" number                        ; a weight relative to its siblings, ≥ 0
//! ```
//!
//! Ids and names are percent-encoded where they hold other characters than
//! letters, digits, `-`, `_` and `.`. Weights not named keep the edition's; e.g.
//! `report.html#weights=traditional:0.2,digital:0.6,institutional:0.2&aggregate=geometric`.

use cityrank_steps::aggregate::{self as agg, MissingPolicy};
use cityrank_steps::normalise::{self as norm, Normaliser, Scaling};
use cityrank_steps::rank::{self as rk, Ranking};
use cityrank_steps::tiers::{self as tr, TierPlan, TierRule};
use cityrank_steps::{Direction, StepError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(target_arch = "wasm32")]
mod abi;

/// The version of the [`Model`] document this crate reads.
pub const MODEL_FORMAT: u32 = 1;

/// Everything the page recomputes from: the tree, the alternatives and the rules
/// after aggregation. Written by `cityrank report` as JSON; the tables travel
/// apart, as little-endian `f64` bytes (see [`Model::load_tables`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// [`MODEL_FORMAT`].
    pub format: u32,
    /// Number of units ranked (those that passed screening).
    pub units: usize,
    /// Framework nodes in the framework's order: the index at 0, every parent
    /// before its children.
    pub nodes: Vec<Node>,
    /// Number of indicators (columns of each normalised table).
    pub indicators: usize,
    /// The normalisers the reader chooses among; the first is the edition's.
    pub normalisers: Vec<Choice>,
    /// The aggregations the reader chooses among; the first is the edition's.
    pub aggregators: Vec<Aggregation>,
    /// What aggregation does with a missing child.
    pub missing: MissingPolicy,
    /// The index's rescaling after aggregation.
    pub rescale: Option<Rescale>,
    /// How tied scores are ranked.
    pub ranking: Ranking,
    /// How ranks and scores become tiers.
    pub tiers: Tiers,
    /// Whether the edition's weights are data-driven (`equal`, `pca`, `optimised`):
    /// a scenario that changes weights then fixes them all (`pipeline.weights =
    /// { method = "manual" }`).
    pub derived_weights: bool,
    /// The edition's variant the page starts from (its table is copied into a
    /// scenario's), as JSON; `null` for the edition itself.
    pub base_variant: Option<Map<String, Value>>,
    /// How many tables the page holds ([`Model::tables`]).
    pub table_count: usize,
    /// Which table is the treated one (before normalisation), when a normaliser
    /// normalises it ([`Choice::scalings`]).
    pub treated: Option<usize>,
    /// The tables: `tables[k][i][u]` (indicator `i`, unit `u`), NaN = missing;
    /// each a normaliser's result ([`Choice::table`]) or the treated table. Not in
    /// the JSON (see [`Model::load_tables`]).
    #[serde(skip)]
    pub tables: Vec<Vec<Vec<f64>>>,
}

/// One node of the framework.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Node or indicator id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Parent's position (`None` for the index).
    pub parent: Option<usize>,
    /// Children's positions, in order.
    pub children: Vec<usize>,
    /// For an indicator, its column in the normalised tables.
    pub indicator: Option<usize>,
    /// Depth below the index (the index is 0).
    pub depth: usize,
    /// The weight in effect, relative to its siblings (as `cityrank run` used it).
    pub weight: f64,
}

/// A normaliser the reader may pick: an edition variant or a sensitivity
/// alternative that changes only normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Short name, used in the URL fragment (`normalise=NAME`).
    pub name: String,
    /// What it does, for the reader.
    pub label: String,
    /// The keys of a variant that select it (`pipeline` with `normalise`, and
    /// `normalise` per indicator), as JSON; empty for the edition's own.
    pub variant: Map<String, Value>,
    /// Its normalisation of every indicator, applied to the treated table
    /// ([`Model::treated`]); `None` when its result is a table of the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalings: Option<Vec<Scaling>>,
    /// The table holding its result, when it has no `scalings` (the
    /// methodology's own code normalises).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<usize>,
}

/// An aggregation the reader may pick: its method for every node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregation {
    /// Short name, used in the URL fragment (`aggregate=NAME`).
    pub name: String,
    /// What it does, for the reader.
    pub label: String,
    /// The keys of a variant that select it (`pipeline` with `aggregate`, and
    /// `aggregate` per node), as JSON; empty for the edition's own.
    pub variant: Map<String, Value>,
    /// The method of every node by position (`None` for indicators).
    pub methods: Vec<Option<agg::Method>>,
}

/// The index's rescaling after aggregation (ranks unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Rescale {
    /// The best unit scores 100.
    RelativeToBest,
    /// Min-max onto `[lo, hi]`.
    MinMax {
        /// Score of the worst unit.
        lo: f64,
        /// Score of the best unit.
        hi: f64,
    },
}

/// The tier plan (see `cityrank_steps::tiers::TierPlan`) and the tiers' names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tiers {
    /// Tier names, best first.
    pub names: Vec<String>,
    /// Cumulative upper shares of the ranked units, when tiers are by share.
    pub shares: Option<Vec<f64>>,
    /// Lower score bounds (without the catch-all), when tiers are by threshold.
    pub thresholds: Option<Vec<f64>>,
    /// The tier of scored units no bound places.
    pub catch_all: Option<usize>,
    /// Peer group per unit, when units are rated within groups.
    pub peer_groups: Option<Vec<Option<usize>>>,
    /// Tiers of the scale each peer group is rated on.
    pub scales: Vec<Vec<usize>>,
}

impl Tiers {
    /// The plan of `cityrank_steps::tiers`.
    pub fn plan(&self) -> Result<TierPlan, String> {
        let rule = match (&self.shares, &self.thresholds) {
            (Some(s), None) => TierRule::CumulativeShare(s.clone()),
            (None, Some(b)) => TierRule::Thresholds(b.clone()),
            _ => return Err("the model's tiers give both shares and thresholds, or neither".into()),
        };
        Ok(TierPlan {
            rule,
            catch_all: self.catch_all,
            peer_groups: self.peer_groups.clone(),
            scales: self.scales.clone(),
        })
    }

    /// The tiers of a `cityrank_steps` plan, named.
    pub fn from_plan(plan: &TierPlan, names: Vec<String>) -> Tiers {
        let (shares, thresholds) = match &plan.rule {
            TierRule::CumulativeShare(s) => (Some(s.clone()), None),
            TierRule::Thresholds(b) => (None, Some(b.clone())),
        };
        Tiers {
            names,
            shares,
            thresholds,
            catch_all: plan.catch_all,
            peer_groups: plan.peer_groups.clone(),
            scales: plan.scales.clone(),
        }
    }
}

/// The reader's choices: a weight per node and the normaliser and aggregation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Weight of every node by position (the index's is ignored).
    pub weights: Vec<f64>,
    /// Position in [`Model::normalisers`].
    pub normaliser: usize,
    /// Position in [`Model::aggregators`].
    pub aggregator: usize,
    /// The unit whose breakdown is shown, if any (by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// What a scenario gives: every non-indicator node's score, the ranks and tiers.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `scores[p][u]`: score of node `p` for unit `u`; empty for indicators (their
    /// scores are the normalised table's). The index (position 0) is rescaled.
    pub scores: Vec<Vec<f64>>,
    /// Rank per unit (`None`: unscored).
    pub ranks: Vec<Option<u32>>,
    /// Tier per unit (`None`: no tier).
    pub tiers: Vec<Option<usize>>,
}

/// A scenario's error: a step's error with the node it happened at.
fn step_error(what: &str, e: StepError) -> String {
    format!("{what}: {e}")
}

impl Model {
    /// Reads the tables from `bytes`: [`Model::table_count`] tables of each
    /// indicator's column of [`Model::units`] values, as little-endian `f64`.
    /// Errors when the length is not `tables × indicators × units × 8`.
    pub fn load_tables(&mut self, bytes: &[u8]) -> Result<(), String> {
        let column = self.units * 8;
        let want = self.table_count * self.indicators * column;
        if bytes.len() != want {
            return Err(format!(
                "the page's data hold {} bytes, {want} expected ({} tables × {} indicators × {} units × 8)",
                bytes.len(),
                self.table_count,
                self.indicators,
                self.units
            ));
        }
        if want == 0 {
            self.tables = vec![vec![Vec::new(); self.indicators]; self.table_count];
            return Ok(());
        }
        self.tables = bytes
            .chunks_exact(self.indicators * column)
            .map(|table| {
                table
                    .chunks_exact(column)
                    .map(|c| {
                        c.chunks_exact(8)
                            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        Ok(())
    }

    /// The normalised table of normaliser `k`: its table, or the treated table
    /// normalised by its scalings (each indicator by [`Scaling::apply`], as the
    /// CLI's pipeline does). Errors name the indicator.
    pub fn normalised(&self, k: usize) -> Result<std::borrow::Cow<'_, [Vec<f64>]>, String> {
        let choice = self
            .normalisers
            .get(k)
            .ok_or_else(|| format!("no normaliser number {k}"))?;
        match (&choice.scalings, choice.table, self.treated) {
            (None, Some(t), _) => Ok(std::borrow::Cow::Borrowed(&self.tables[t])),
            (Some(scalings), None, Some(t)) => {
                let treated = &self.tables[t];
                let ids: Vec<&str> = {
                    let mut ids = vec![""; self.indicators];
                    for n in &self.nodes {
                        if let Some(i) = n.indicator {
                            ids[i] = &n.id;
                        }
                    }
                    ids
                };
                scalings
                    .iter()
                    .zip(treated)
                    .enumerate()
                    .map(|(i, (s, x))| {
                        s.apply(x)
                            .map_err(|e| step_error(&format!("normalising `{}`", ids[i]), e))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(std::borrow::Cow::Owned)
            }
            _ => Err(format!(
                "the normaliser `{}` gives neither a table nor its methods",
                choice.name
            )),
        }
    }

    /// The tables as [`Model::load_tables`] reads them.
    pub fn table_bytes(&self) -> Vec<u8> {
        self.tables
            .iter()
            .flatten()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect()
    }

    /// Checks the model's shape (positions, lengths, one table per normaliser, a
    /// method per node), so that [`Model::recompute`] cannot index out of bounds.
    pub fn check(&self) -> Result<(), String> {
        if self.format != MODEL_FORMAT {
            return Err(format!(
                "the page's model is format {}, this module reads {MODEL_FORMAT}",
                self.format
            ));
        }
        let n = self.nodes.len();
        if n == 0 || self.nodes[0].parent.is_some() {
            return Err("the model's first node must be the index".into());
        }
        for (p, node) in self.nodes.iter().enumerate() {
            let bad_child = node
                .children
                .iter()
                .any(|&c| c <= p || c >= n || self.nodes[c].parent != Some(p));
            let bad_indicator = node
                .indicator
                .is_some_and(|i| i >= self.indicators || !node.children.is_empty());
            if bad_child || bad_indicator || (node.indicator.is_none() && node.children.is_empty()) {
                return Err(format!("the model's node `{}` is malformed", node.id));
            }
        }
        if self.normalisers.is_empty() || self.aggregators.is_empty() {
            return Err("the model offers no normaliser or no aggregation".into());
        }
        if self.tables.len() != self.table_count
            || self
                .tables
                .iter()
                .any(|t| t.len() != self.indicators || t.iter().any(|c| c.len() != self.units))
        {
            return Err("the model's tables do not match its indicators and units".into());
        }
        for c in &self.normalisers {
            let fits = match (&c.scalings, c.table) {
                (Some(s), None) => s.len() == self.indicators && self.treated.is_some_and(|t| t < self.table_count),
                (None, Some(t)) => t < self.table_count,
                _ => false,
            };
            if !fits {
                return Err(format!("the normaliser `{}` does not fit the model's tables", c.name));
            }
        }
        for a in &self.aggregators {
            if a.methods.len() != n {
                return Err(format!("the aggregation `{}` does not give a method per node", a.name));
            }
        }
        if let Some(g) = &self.tiers.peer_groups
            && g.len() != self.units
        {
            return Err("the model's peer groups do not give one group per unit".into());
        }
        self.tiers.plan().map(|_| ())
    }

    /// The scenario the edition itself is: the weights in effect, its own
    /// normaliser and aggregation.
    pub fn nominal(&self) -> Scenario {
        Scenario {
            weights: self.nodes.iter().map(|n| n.weight).collect(),
            normaliser: 0,
            aggregator: 0,
            unit: None,
        }
    }

    /// Scores, ranks and tiers of `scenario`, as `cityrank run` computes them
    /// after normalisation: every node aggregated from its children (deepest
    /// first) by its method with the scenario's weights and the missing-value
    /// policy, the index rescaled, ranked by the ranking rule and put into tiers.
    /// Errors: a scenario that does not fit the model (lengths, positions,
    /// negative or non-finite weights), or a step's error (e.g. a geometric mean of
    /// a zero), naming the node.
    pub fn recompute(&self, scenario: &Scenario) -> Result<Outcome, String> {
        let table = self.normalised(scenario.normaliser)?;
        let tree = self.aggregate_tree(scenario, &table, None)?;
        self.finish(tree)
    }

    /// Every non-indicator node's aggregate (the index not yet rescaled). With
    /// `previous` (an earlier scenario and its aggregates), a node whose method,
    /// children's weights and children's values are unchanged keeps its
    /// aggregate: the same function of the same inputs, so the same bits.
    fn aggregate_tree(
        &self,
        scenario: &Scenario,
        table: &[Vec<f64>],
        previous: Option<(&Scenario, &[Vec<f64>])>,
    ) -> Result<Vec<Vec<f64>>, String> {
        let n = self.nodes.len();
        self.check_scenario(scenario)?;
        let aggregation = self
            .aggregators
            .get(scenario.aggregator)
            .ok_or_else(|| format!("no aggregation number {}", scenario.aggregator))?;
        let method_of = |a: &Aggregation, p: usize| a.methods[p].unwrap_or(agg::Method::Arithmetic);
        let policy = self.missing;
        let mut scores: Vec<Vec<f64>> = vec![Vec::new(); n];
        let mut changed = vec![true; n];
        // Deepest first, positions in order within a depth (the CLI's order).
        let mut order: Vec<usize> = (0..n).filter(|&p| self.nodes[p].indicator.is_none()).collect();
        order.sort_by_key(|&p| std::cmp::Reverse(self.nodes[p].depth));
        for p in order {
            let node = &self.nodes[p];
            if let Some((before, kept)) = previous {
                let same_method = self
                    .aggregators
                    .get(before.aggregator)
                    .is_some_and(|a| method_of(a, p) == method_of(aggregation, p));
                let same_children = node.children.iter().all(|&c| {
                    before.weights.get(c).map(|w| w.to_bits()) == Some(scenario.weights[c].to_bits())
                        && match self.nodes[c].indicator {
                            Some(_) => before.normaliser == scenario.normaliser,
                            None => !changed[c],
                        }
                });
                if same_method && same_children && kept.get(p).is_some_and(|k| k.len() == self.units) {
                    scores[p] = kept[p].clone();
                    changed[p] = false;
                    continue;
                }
            }
            let children: Vec<&[f64]> = node
                .children
                .iter()
                .map(|&c| match self.nodes[c].indicator {
                    Some(i) => table[i].as_slice(),
                    None => scores[c].as_slice(),
                })
                .collect();
            let weights: Vec<f64> = node.children.iter().map(|&c| scenario.weights[c]).collect();
            if weights.iter().all(|w| *w == 0.0) {
                return Err(format!(
                    "every child of `{}` ({}) has weight 0: give at least one of them a weight above 0",
                    node.id,
                    node.children
                        .iter()
                        .map(|&c| format!("`{}`", self.nodes[c].id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let column = agg::aggregate(method_of(aggregation, p), &children, &weights, policy)
                .map_err(|e| step_error(&format!("aggregating `{}`", node.id), e))?;
            scores[p] = column;
        }
        Ok(scores)
    }

    /// Whether `scenario` fits the model: a finite, non-negative weight per node,
    /// a normaliser and an aggregation of the model's.
    fn check_scenario(&self, scenario: &Scenario) -> Result<(), String> {
        let n = self.nodes.len();
        if scenario.weights.len() != n {
            return Err(format!(
                "the scenario gives {} weights for {n} nodes",
                scenario.weights.len()
            ));
        }
        if let Some((p, w)) = scenario
            .weights
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(format!(
                "the weight of `{}` is {w}; weights are finite and not negative",
                self.nodes[p].id
            ));
        }
        if scenario.normaliser >= self.normalisers.len() {
            return Err(format!("no normaliser number {}", scenario.normaliser));
        }
        if scenario.aggregator >= self.aggregators.len() {
            return Err(format!("no aggregation number {}", scenario.aggregator));
        }
        Ok(())
    }

    /// The index rescaled, ranks and tiers, from the tree's aggregates.
    fn finish(&self, mut scores: Vec<Vec<f64>>) -> Result<Outcome, String> {
        match self.rescale {
            None => {}
            Some(Rescale::RelativeToBest) => {
                scores[0] = norm::normalise(&scores[0], Direction::HigherIsBetter, &Normaliser::RelativeToBest)
                    .map_err(|e| step_error("rescaling the index", e))?;
            }
            Some(Rescale::MinMax { lo, hi }) => {
                scores[0] = norm::min_max(&scores[0], Direction::HigherIsBetter, lo, hi)
                    .map_err(|e| step_error("rescaling the index", e))?;
            }
        }
        let ranks = rk::rank(&scores[0], self.ranking);
        let (tiers, _) = tr::assign(&scores[0], &ranks, &self.tiers.plan()?).map_err(|e| step_error("tiers", e))?;
        Ok(Outcome { scores, ranks, tiers })
    }

    /// The URL fragment of `scenario` (without `#`; see the module's grammar):
    /// only what differs from [`Model::nominal`] is written.
    pub fn fragment(&self, scenario: &Scenario) -> String {
        let nominal = self.nominal();
        let mut parts = Vec::new();
        let changed: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(p, _)| scenario.weights.get(*p).is_some_and(|w| *w != nominal.weights[*p]))
            .map(|(p, node)| format!("{}:{}", encode(&node.id), short(scenario.weights[p])))
            .collect();
        if !changed.is_empty() {
            parts.push(format!("weights={}", changed.join(",")));
        }
        if scenario.normaliser != 0
            && let Some(c) = self.normalisers.get(scenario.normaliser)
        {
            parts.push(format!("normalise={}", encode(&c.name)));
        }
        if scenario.aggregator != 0
            && let Some(a) = self.aggregators.get(scenario.aggregator)
        {
            parts.push(format!("aggregate={}", encode(&a.name)));
        }
        if let Some(u) = &scenario.unit {
            parts.push(format!("unit={}", encode(u)));
        }
        parts.join("&")
    }

    /// The scenario a URL fragment (with or without `#`) describes, starting from
    /// [`Model::nominal`]. Errors name the part that is wrong and what is expected
    /// (an unknown id or name with the ones there are, a weight that is not a
    /// non-negative number).
    pub fn parse_fragment(&self, fragment: &str) -> Result<Scenario, String> {
        let mut scenario = self.nominal();
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        let mut seen: Vec<usize> = Vec::new();
        let mut given = std::collections::BTreeSet::new();
        for part in fragment.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected KEY=VALUE (weights=, normalise=, aggregate=, unit=)"))?;
            match key {
                "weights" => {
                    for item in value.split(',').filter(|i| !i.is_empty()) {
                        let (id, w) = item.split_once(':').ok_or_else(|| {
                            let comma = if item.chars().all(|c| c.is_ascii_digit()) {
                                " (a decimal comma? write decimals with a point: 0.4)"
                            } else {
                                ""
                            };
                            format!("weights: `{item}` should be ID:WEIGHT, e.g. digital:0.4{comma}")
                        })?;
                        let id = decode(id)?;
                        let p = self.position(&id)?;
                        if seen.contains(&p) {
                            return Err(format!("weights: `{id}` is given twice; give each weight once"));
                        }
                        seen.push(p);
                        let w: f64 = w
                            .parse()
                            .ok()
                            .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                            .ok_or_else(|| format!("weights: `{id}`'s weight `{w}` is not a number ≥ 0"))?;
                        scenario.weights[p] = w;
                    }
                }
                "normalise" | "aggregate" | "unit" if !given.insert(key) => {
                    return Err(format!("`{key}=` is given twice; give it once"));
                }
                "normalise" => {
                    let name = decode(value)?;
                    scenario.normaliser = pick(&name, self.normalisers.iter().map(|c| c.name.as_str()), "normalise")?;
                }
                "aggregate" => {
                    let name = decode(value)?;
                    scenario.aggregator = pick(&name, self.aggregators.iter().map(|a| a.name.as_str()), "aggregate")?;
                }
                "unit" => scenario.unit = Some(decode(value)?),
                other => {
                    return Err(format!(
                        "`{other}` is not a part of a scenario (weights=, normalise=, aggregate=, unit=)"
                    ));
                }
            }
        }
        Ok(scenario)
    }

    /// The position of the node or indicator `id` (not the index), or an error
    /// with the closest ids (or the first ids, when none is close).
    fn position(&self, id: &str) -> Result<usize, String> {
        if let Some(p) = self.nodes.iter().skip(1).position(|n| n.id == id) {
            return Ok(p + 1);
        }
        let ids = self.nodes.iter().skip(1).map(|n| n.id.as_str());
        let close = cityrank_formula::closest(id, ids.clone(), 3);
        let quoted = |v: &[&str]| v.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>();
        if close.is_empty() {
            let all: Vec<&str> = ids.collect();
            let more = all.len().saturating_sub(12);
            Err(format!(
                "weights: no node or indicator `{id}` (there are {}{})",
                quoted(&all[..all.len().min(12)]).join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ))
        } else {
            Err(format!(
                "weights: no node or indicator `{id}`; did you mean {}?",
                quoted(&close).join(" or ")
            ))
        }
    }

    /// The scenario as an edition's `[variants.NAME]` table: the page's starting
    /// variant (if any) with the chosen normaliser's and aggregation's keys and the
    /// changed weights (all weights, and `pipeline.weights = { method = "manual" }`,
    /// when the edition's weights are data-driven and the scenario changes a weight
    /// or a step). `cityrank run --variant NAME`
    /// with this table in the edition gives the page's scores.
    ///
    /// Errors: a scenario that does not fit the model (as [`Model::recompute`]).
    pub fn variant_toml(&self, scenario: &Scenario, name: &str) -> Result<String, String> {
        self.check_scenario(scenario)?;
        let nominal = self.nominal();
        let mut table = self.base_variant.clone().unwrap_or_default();
        for extra in [
            self.normalisers.get(scenario.normaliser).map(|c| &c.variant),
            self.aggregators.get(scenario.aggregator).map(|a| &a.variant),
        ]
        .into_iter()
        .flatten()
        {
            merge(&mut table, extra);
        }
        let changed = |p: usize| scenario.weights.get(p).is_some_and(|w| *w != nominal.weights[p]);
        // Data-driven weights are derived again from the data a variant's steps
        // give: the page holds the edition's, so a scenario fixes them all when it
        // changes a weight or a step.
        let fix = self.derived_weights && (scenario.normaliser != 0 || scenario.aggregator != 0);
        let any_changed = (1..self.nodes.len()).any(changed);
        if any_changed || fix {
            let mut weights = Map::new();
            for (p, node) in self.nodes.iter().enumerate().skip(1) {
                if self.derived_weights || changed(p) {
                    weights.insert(node.id.clone(), Value::from(scenario.weights[p]));
                }
            }
            let mut extra = Map::new();
            extra.insert("weights".into(), Value::Object(weights));
            if self.derived_weights {
                let mut method = Map::new();
                method.insert("method".into(), Value::from("manual"));
                let mut pipeline = Map::new();
                pipeline.insert("weights".into(), Value::Object(method));
                extra.insert("pipeline".into(), Value::Object(pipeline));
            }
            merge(&mut table, &extra);
        }
        // Tables left empty (a base variant's `pipeline = {}`) say nothing.
        table.retain(|_, v| !matches!(v, Value::Object(o) if o.is_empty()));
        let mut out = format!("[variants.{}]\n", key(name));
        out.push_str("description = \"A scenario from the page of `cityrank report`\"\n");
        for (k, v) in &table {
            out.push_str(&format!("{} = {}\n", key(k), inline(v)));
        }
        Ok(out)
    }
}

/// A model and the last scenario computed with it: a new scenario recomputes
/// only the nodes it changes (moving one indicator's weight recomputes its
/// pillar and the index, not the other pillars), with the bits
/// [`Model::recompute`] gives. The page keeps one.
#[derive(Debug)]
pub struct Session {
    /// The model.
    pub model: Model,
    last: Option<(Scenario, Vec<Vec<f64>>)>,
    /// Each normaliser's table once computed (normalising 13,000 units × 200
    /// indicators takes longer than aggregating them).
    normalised: Vec<Option<Vec<Vec<f64>>>>,
}

impl Session {
    /// A session on `model` (checked with [`Model::check`]).
    pub fn new(model: Model) -> Result<Session, String> {
        model.check()?;
        let normalised = vec![None; model.normalisers.len()];
        Ok(Session {
            model,
            last: None,
            normalised,
        })
    }

    /// As [`Model::recompute`], reusing the last scenario's aggregates where
    /// nothing they depend on changed.
    pub fn recompute(&mut self, scenario: &Scenario) -> Result<Outcome, String> {
        self.prepare(scenario.normaliser)?;
        let table = self.get(scenario.normaliser);
        let previous = self.last.as_ref().map(|(s, t)| (s, t.as_slice()));
        let tree = self.model.aggregate_tree(scenario, table, previous)?;
        let out = self.model.finish(tree.clone())?;
        self.last = Some((scenario.clone(), tree));
        Ok(out)
    }

    /// Computes every normaliser's table now (the page does it while it opens,
    /// so that switching normaliser costs an aggregation, not a normalisation
    /// of every indicator). Errors as [`Model::normalised`].
    pub fn prepare_all(&mut self) -> Result<(), String> {
        (0..self.model.normalisers.len()).try_for_each(|k| self.prepare(k))
    }

    /// Indicator `i`'s normalised column under the last scenario computed (empty
    /// before the first).
    pub fn indicator(&self, i: usize) -> &[f64] {
        match &self.last {
            Some((s, _)) => self.get(s.normaliser).get(i).map_or(&[][..], Vec::as_slice),
            None => &[],
        }
    }

    /// Normaliser `k`'s table (computed on first use).
    pub fn table(&mut self, k: usize) -> Result<&[Vec<f64>], String> {
        self.prepare(k)?;
        Ok(self.get(k))
    }

    /// Computes and keeps normaliser `k`'s table if it is not a table of the page.
    fn prepare(&mut self, k: usize) -> Result<(), String> {
        if k >= self.model.normalisers.len() {
            return Err(format!("no normaliser number {k}"));
        }
        if self.normalised.get(k).is_some_and(Option::is_none)
            && let std::borrow::Cow::Owned(t) = self.model.normalised(k)?
        {
            self.normalised[k] = Some(t);
        }
        Ok(())
    }

    /// Normaliser `k`'s table, once [`Session::prepare`]d.
    fn get(&self, k: usize) -> &[Vec<f64>] {
        match (
            self.normalised.get(k),
            self.model.normalisers.get(k).and_then(|c| c.table),
        ) {
            (Some(Some(t)), _) => t,
            (_, Some(t)) => &self.model.tables[t],
            _ => &[],
        }
    }
}

/// Merges a variant's `extra` keys into `table`: the tables of a variant
/// (`pipeline`, `weights`, `normalise`, `aggregate`) key by key, and each of their
/// entries (a step's whole setting, a weight) replaced.
fn merge(table: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        match (table.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => {
                for (step, setting) in b {
                    a.insert(step.clone(), setting.clone());
                }
            }
            _ => {
                table.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON value as an inline TOML value (numbers that are whole in JSON as
/// integers, others as the shortest decimal that reads back to the same `f64`).
fn inline(v: &Value) -> String {
    match v {
        Value::Null => "\"\"".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => number(f),
            _ => n.to_string(),
        },
        Value::String(s) => quoted(s),
        Value::Array(a) => format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => {
            if o.is_empty() {
                "{}".into()
            } else {
                format!(
                    "{{ {} }}",
                    o.iter()
                        .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }
    }
}

/// `x` as the shortest text that reads back to the same `f64`: plain (`0.25`,
/// `3`) or with an exponent when that is shorter (`1e-300`).
fn short(x: f64) -> String {
    let plain = format!("{x}");
    let exponent = format!("{x:e}");
    if exponent.len() < plain.len() { exponent } else { plain }
}

/// `x` as the shortest decimal that reads back to the same `f64`, always with a
/// decimal point or an exponent (a TOML float: `3.0`, `0.25`, `1e-300`) when `x`
/// is finite (scenarios' weights are).
pub fn number(x: f64) -> String {
    let s = short(x);
    if s.contains(['.', 'e', 'E']) || !x.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

/// Percent-encodes what is not a letter, digit, `-`, `_` or `.` (UTF-8 bytes).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes percent-encoding (and `+` as itself); errors on a broken escape or
/// bytes that are not UTF-8.
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{s}`: `%` must be followed by two hexadecimal digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{s}` does not decode to UTF-8 text"))
}

/// The position of `name` among `names`, or an error listing them.
fn pick<'a>(name: &str, names: impl Iterator<Item = &'a str> + Clone, key: &str) -> Result<usize, String> {
    names.clone().position(|n| n == name).ok_or_else(|| {
        format!(
            "{key}: no `{name}` in this report (there are {})",
            names.collect::<Vec<_>>().join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index over two pillars: `a` (indicators x, y) and z directly.
    fn model() -> Model {
        let node =
            |id: &str, parent: Option<usize>, children: Vec<usize>, indicator: Option<usize>, depth, weight| Node {
                id: id.into(),
                name: id.to_uppercase(),
                parent,
                children,
                indicator,
                depth,
                weight,
            };
        Model {
            format: MODEL_FORMAT,
            units: 3,
            nodes: vec![
                node("index", None, vec![1, 4], None, 0, 1.0),
                node("a", Some(0), vec![2, 3], None, 1, 1.0),
                node("x", Some(1), vec![], Some(0), 2, 1.0),
                node("y", Some(1), vec![], Some(1), 2, 3.0),
                node("z", Some(0), vec![], Some(2), 1, 1.0),
            ],
            indicators: 3,
            normalisers: vec![
                Choice {
                    name: "edition".into(),
                    label: "as published".into(),
                    variant: Map::new(),
                    scalings: None,
                    table: Some(0),
                },
                Choice {
                    name: "min-max".into(),
                    label: "min-max 0-10".into(),
                    variant: serde_json::from_str(
                        r#"{"pipeline":{"normalise":{"method":"min-max","lo":0.0,"hi":10.0}}}"#,
                    )
                    .unwrap(),
                    scalings: Some(
                        [
                            Direction::HigherIsBetter,
                            Direction::LowerIsBetter,
                            Direction::HigherIsBetter,
                        ]
                        .map(|direction| Scaling {
                            normaliser: Normaliser::MinMax { lo: 0.0, hi: 10.0 },
                            direction,
                            out_of: None,
                        })
                        .to_vec(),
                    ),
                    table: None,
                },
            ],
            aggregators: vec![
                Aggregation {
                    name: "edition".into(),
                    label: "as published".into(),
                    variant: Map::new(),
                    methods: vec![
                        Some(agg::Method::Arithmetic),
                        Some(agg::Method::Arithmetic),
                        None,
                        None,
                        None,
                    ],
                },
                Aggregation {
                    name: "geometric".into(),
                    label: "geometric".into(),
                    variant: serde_json::from_str(r#"{"pipeline":{"aggregate":{"method":"geometric"}}}"#).unwrap(),
                    methods: vec![
                        Some(agg::Method::Geometric),
                        Some(agg::Method::Geometric),
                        None,
                        None,
                        None,
                    ],
                },
            ],
            missing: MissingPolicy::Reweight { min_share: 0.0 },
            rescale: None,
            ranking: Ranking::Competition,
            tiers: Tiers {
                names: vec!["top".into(), "rest".into()],
                shares: Some(vec![0.5, 1.0]),
                thresholds: None,
                catch_all: None,
                peer_groups: None,
                scales: vec![],
            },
            derived_weights: false,
            base_variant: None,
            table_count: 2,
            treated: Some(1),
            tables: vec![
                vec![vec![1.0, 2.0, 4.0], vec![2.0, 2.0, 0.5], vec![4.0, 1.0, 1.0]],
                // Treated values: min-max 0–10 of each (y lower-is-better) gives
                // x: 0, 5, 10; y: 0, 10, 5; z: 10, 0, 5.
                vec![vec![10.0, 20.0, 30.0], vec![9.0, 1.0, 5.0], vec![-1.0, -3.0, -2.0]],
            ],
        }
    }

    #[test]
    fn recompute_aggregates_up_the_tree_by_hand() {
        let m = model();
        m.check().unwrap();
        let out = m.recompute(&m.nominal()).unwrap();
        // a = (1·x + 3·y)/4: unit 0 (1 + 6)/4 = 1.75; unit 1 (2 + 6)/4 = 2; unit 2 (4 + 1.5)/4 = 1.375.
        assert_eq!(out.scores[1], vec![1.75, 2.0, 1.375]);
        // index = (a + z)/2: 2.875, 1.5, 1.1875.
        assert_eq!(out.scores[0], vec![2.875, 1.5, 1.1875]);
        assert_eq!(out.ranks, vec![Some(1), Some(2), Some(3)]);
        // Two tiers by share 0.5 of 3 units: cut-off round(1.5) = 2.
        assert_eq!(out.tiers, vec![Some(0), Some(0), Some(1)]);
        // z weighted 0: the index is a alone, and unit 1 leads.
        let mut s = m.nominal();
        s.weights[4] = 0.0;
        assert_eq!(m.recompute(&s).unwrap().ranks, vec![Some(2), Some(1), Some(3)]);
        s.weights[4] = -1.0;
        assert!(m.recompute(&s).unwrap_err().contains("`z`"));
        // Min-max 0–10 of the treated table: a = (x + 3y)/4 = 0, 8.75, 6.25;
        // index = (a + z)/2 = 5, 4.375, 5.625.
        let mut s = m.nominal();
        s.normaliser = 1;
        let out = m.recompute(&s).unwrap();
        assert_eq!(out.scores[1], vec![0.0, 8.75, 6.25]);
        assert_eq!(out.scores[0], vec![5.0, 4.375, 5.625]);
        assert_eq!(out.ranks, vec![Some(2), Some(3), Some(1)]);
    }

    #[test]
    fn a_session_recomputes_what_changed_with_the_same_bits() {
        let m = model();
        let mut session = Session::new(m.clone()).unwrap();
        let mut s = m.nominal();
        let steps: [&dyn Fn(&mut Scenario); 7] = [
            &|s| s.weights[2] = 0.5,
            &|s| s.normaliser = 1,
            &|s| s.normaliser = 0,
            &|s| s.weights[4] = 3.0,
            &|s| s.aggregator = 1,
            &|s| s.weights[1] = 0.0,
            &|s| s.aggregator = 0,
        ];
        assert_eq!(session.recompute(&s).unwrap(), m.recompute(&s).unwrap());
        for step in steps {
            step(&mut s);
            assert_eq!(session.recompute(&s).unwrap(), m.recompute(&s).unwrap(), "{s:?}");
        }
        // A failing scenario leaves the session as it was.
        let mut bad = s.clone();
        bad.weights[2] = f64::NAN;
        assert!(session.recompute(&bad).is_err());
        assert_eq!(session.recompute(&s).unwrap(), m.recompute(&s).unwrap());
    }

    #[test]
    fn fragments_round_trip_and_name_what_is_wrong() {
        let m = model();
        let mut s = m.nominal();
        s.weights[1] = 0.2;
        s.weights[3] = 0.1 + 0.2;
        s.aggregator = 1;
        s.unit = Some("city one".into());
        let f = m.fragment(&s);
        assert_eq!(
            f,
            "weights=a:0.2,y:0.30000000000000004&aggregate=geometric&unit=city%20one"
        );
        assert_eq!(m.parse_fragment(&format!("#{f}")).unwrap(), s);
        assert_eq!(m.fragment(&m.nominal()), "");
        let e = m.parse_fragment("weights=qq:1").unwrap_err();
        assert!(e.contains("(there are `a`, `x`, `y`, `z`)"), "{e}");
        let e = m.parse_fragment("weights=a:0,9").unwrap_err();
        assert!(e.contains("decimal comma"), "{e}");
        let e = m.parse_fragment("weights=a:1,a:2").unwrap_err();
        assert!(e.contains("given twice"), "{e}");
        let e = m.parse_fragment("aggregate=edition&aggregate=geometric").unwrap_err();
        assert!(e.contains("`aggregate=` is given twice"), "{e}");
        let mut tiny = m.nominal();
        tiny.weights[1] = 1e-300;
        assert_eq!(m.fragment(&tiny), "weights=a:1e-300");
        let mut zero = m.nominal();
        zero.weights[2] = 0.0;
        zero.weights[3] = 0.0;
        let e = m.recompute(&zero).unwrap_err();
        assert!(e.contains("every child of `a` (`x`, `y`) has weight 0"), "{e}");
        assert!(
            m.parse_fragment("weights=q:1")
                .unwrap_err()
                .contains("no node or indicator `q`")
        );
        assert!(
            m.parse_fragment("weights=a:-1")
                .unwrap_err()
                .contains("not a number ≥ 0")
        );
        assert!(
            m.parse_fragment("aggregate=mean")
                .unwrap_err()
                .contains("there are edition, geometric")
        );
        assert!(m.parse_fragment("colour=red").unwrap_err().contains("`colour`"));
    }

    #[test]
    fn the_variant_table_carries_the_choices() {
        let m = model();
        let mut s = m.nominal();
        s.weights[4] = 2.0;
        s.aggregator = 1;
        assert_eq!(
            m.variant_toml(&s, "my scenario").unwrap(),
            "[variants.\"my scenario\"]\ndescription = \"A scenario from the page of `cityrank report`\"\n\
             pipeline = { aggregate = { method = \"geometric\" } }\nweights = { z = 2.0 }\n"
        );
        let mut derived = m.clone();
        derived.derived_weights = true;
        assert_eq!(
            derived.variant_toml(&s, "s").unwrap(),
            "[variants.s]\ndescription = \"A scenario from the page of `cityrank report`\"\n\
             pipeline = { aggregate = { method = \"geometric\" }, weights = { method = \"manual\" } }\n\
             weights = { a = 1.0, x = 1.0, y = 3.0, z = 2.0 }\n"
        );
    }

    #[test]
    fn tables_travel_as_bytes() {
        let mut m = model();
        let bytes = m.table_bytes();
        assert_eq!(bytes.len(), 2 * 3 * 3 * 8);
        let tables = std::mem::take(&mut m.tables);
        m.load_tables(&bytes).unwrap();
        assert_eq!(m.tables, tables);
        assert!(
            m.load_tables(&bytes[1..])
                .unwrap_err()
                .contains("143 bytes, 144 expected")
        );
    }
}
