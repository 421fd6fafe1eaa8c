//! Weights from an expert panel: the panel file, its checks, each expert's
//! priorities and consistency, the panel's weights and its agreement.
//!
//! **The panel file** (CSV, or a sheet of a workbook) has the header
//! `expert,node,kind,a,b,value`, one judgement per row:
//! - `kind = points` (budget allocation): `a` a child of `node`, `value` the
//!   points the expert gives it (any total: each expert's points at a node are
//!   divided by their sum);
//! - `kind = pairwise` (AHP): `a` and `b` two children of `node`, `value` how much
//!   more important `a` is than `b` on Saaty's scale 1/9…9 (`3`, `1/3` or
//!   `0.333` all accepted; the reciprocal is implied);
//! - `kind = rating` (direct rating, e.g. Likert 1–5): `a` a child, `value` its
//!   rating (weights proportional to the ratings).
//!
//! An expert may judge some nodes and not others; the whole panel judges a node
//! in one way (its kind). With points and ratings an expert judges every child of
//! the node (0 points is a judgement); with pairwise comparisons an expert may
//! leave pairs out as long as the pairs given connect all children: the matrix is
//! then completed by logarithmic least squares (see
//! [`cityrank_steps::experts::complete_llsm`]) and its consistency is that of the
//! completed matrix — which understates the inconsistency of the judgements
//! given, as the completed entries are consistent by construction (the report
//! says how many pairs each expert compared). AIJ takes the completed matrices.
//!
//! **Each expert at each node**: priorities (AHP: the principal eigenvector, or
//! the row geometric mean), λ_max, Saaty's CI and CR (flagged above 0.1); shares
//! for points and ratings.
//!
//! **The panel's weights** per node: AHP by aggregating individual judgements
//! (AIJ: the element-wise geometric mean of the matrices, then priorities) or
//! individual priorities (AIP: their geometric or arithmetic mean); points and
//! ratings by the mean or the median of the shares (renormalised). Experts whose
//! CR at a node is above `max_cr` can be left out there.
//!
//! **Agreement** per node (among the experts whose judgements count: not those
//! `max_cr` leaves out): Kendall's W over the experts' weights, each expert's
//! distance to the panel's weights (total variation: half the sum of absolute
//! differences, the share of weight the expert would have to move to agree), and
//! the outliers: experts whose distance is above Q3 + 1.5 × IQR of the node's
//! distances (Tukey's fence; with 4 experts or more).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use cityrank_steps::experts::{self as ahp, Combine};
use cityrank_steps::stats;

use crate::dataset::Problems;
use crate::methodology::Framework;
use crate::table::{Cell, Dialect, RawTable};

/// Version of the experts report format.
pub const EXPERTS_SCHEMA_VERSION: u32 = 1;

/// Ids an expert may not have: reports use them for the panel's and the
/// methodology's weights.
pub const RESERVED_EXPERTS: [&str; 2] = ["panel", "methodology"];

/// The columns of a panel file, in order.
pub const PANEL_COLUMNS: [&str; 6] = ["expert", "node", "kind", "a", "b", "value"];

/// How a node is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Budget allocation: points per child.
    Points,
    /// AHP: pairwise comparisons of children on Saaty's scale.
    Pairwise,
    /// Direct rating per child.
    Rating,
}

impl Kind {
    /// The kind as written in a panel file: `points`, `pairwise` or `rating`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Points => "points",
            Kind::Pairwise => "pairwise",
            Kind::Rating => "rating",
        }
    }
}

/// How the panel's AHP judgements become weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PairwiseAggregation {
    /// Aggregation of individual judgements: the element-wise geometric mean of
    /// the experts' matrices, then its priorities (Forman & Peniwati 1998).
    #[default]
    Aij,
    /// Aggregation of individual priorities by their geometric mean (renormalised).
    Aip,
    /// Aggregation of individual priorities by their arithmetic mean.
    AipArithmetic,
}

/// How the panel's points or ratings become weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PointsAggregation {
    /// The mean of the experts' shares.
    #[default]
    Mean,
    /// The median of the experts' shares, per child, renormalised to sum 1.
    Median,
}

/// How priorities are derived from a pairwise comparison matrix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PriorityMethod {
    /// The principal right eigenvector (Saaty).
    #[default]
    Eigenvector,
    /// The normalised row geometric mean (logarithmic least squares).
    GeometricMean,
}

/// How a panel's judgements become weights (an edition's `[experts]` without
/// its file; the defaults are AIJ, the mean, the eigenvector and no exclusion).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// AHP nodes: `aij` (default), `aip` (geometric mean of the experts'
    /// priorities) or `aip-arithmetic`.
    #[serde(default)]
    pub pairwise: PairwiseAggregation,
    /// Budget-allocation and rating nodes: `mean` (default) or `median`.
    #[serde(default)]
    pub points: PointsAggregation,
    /// Priorities of a comparison matrix: `eigenvector` (default) or `geometric-mean`.
    #[serde(default)]
    pub priorities: PriorityMethod,
    /// Leave out, at a node, the experts whose consistency ratio there is above
    /// this (e.g. 0.1, Saaty's threshold); absent: every expert counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_cr: Option<f64>,
}

/// One row of a panel file.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// Where the row is (`line 4`, `sheet panel, row 4`).
    pub place: String,
    /// The expert's id.
    pub expert: String,
    /// The node judged.
    pub node: String,
    /// How.
    pub kind: Kind,
    /// The child judged (for pairwise: the first of the two).
    pub a: String,
    /// The second child of a pairwise comparison.
    pub b: Option<String>,
    /// Points, rating, or how much more important `a` is than `b`.
    pub value: f64,
}

/// A panel file, read and checked row by row.
#[derive(Debug, Clone)]
pub struct Panel {
    /// The file, as named in messages.
    pub file: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// The judgements, in file order.
    pub judgements: Vec<Judgement>,
}

/// Parses a judgement's value: a number, or a fraction `p/q` (with a decimal
/// comma when `decimal` is `,`).
fn parse_value(cell: &Cell, decimal: char) -> Result<f64, String> {
    match cell {
        Cell::Number(x) => Ok(*x),
        Cell::Empty => Err(
            "no value (in a workbook, a formula whose result was not saved reads as empty: open and save the file \
             in the spreadsheet, or type the number)"
                .into(),
        ),
        Cell::Error(e) => Err(format!("the cell holds the error {e}")),
        Cell::Text(t) => {
            let t = t.trim();
            let number = |s: &str| {
                let s = s.trim();
                let s = if decimal == ',' {
                    s.replace(',', ".")
                } else {
                    s.to_string()
                };
                s.parse::<f64>().ok().filter(|x| x.is_finite())
            };
            match t.split_once('/') {
                Some((p, q)) => match (number(p), number(q)) {
                    (Some(p), Some(q)) if q != 0.0 => Ok(p / q),
                    _ => Err(format!("`{t}` is not a number or a fraction like `1/3`")),
                },
                None => number(t).ok_or_else(|| format!("`{t}` is not a number or a fraction like `1/3`")),
            }
        }
    }
}

impl Panel {
    /// Reads the panel file at `path`: CSV (comma-, semicolon- or tab-separated,
    /// told apart by the header, which is known; with semicolons, decimal commas
    /// are read too), or a sheet of a workbook (`sheet`, default the first).
    /// Every bad row is reported (up to 20), each at its line, with the fix.
    pub fn load(path: &Path, sheet: Option<&str>) -> Result<Panel> {
        let bytes = crate::fsutil::read_file(path)
            .with_context(|| format!("cannot read the expert panel file `{}`", path.display()))?;
        let dialect = if crate::table::is_workbook(path) {
            Dialect::default()
        } else {
            csv_dialect(&bytes)
        };
        let mut table = crate::table::read(&bytes, path, sheet, &dialect)?;
        let mut panel = Self::from_table(&mut table, dialect.decimal)?;
        panel.sha256 = crate::digest::sha256_hex(&bytes);
        Ok(panel)
    }

    fn from_table(table: &mut RawTable, decimal: char) -> Result<Panel> {
        let file = &table.file.clone();
        let header: Vec<String> = table.header.iter().map(|h| h.to_lowercase()).collect();
        if header != PANEL_COLUMNS {
            let read = match &table.origin {
                crate::table::Origin::Sheet(name) => format!(
                    " (read from the sheet `{name}`; another sheet is chosen with `sheet = \"…\"` in [experts], or \
                     `--sheet` for `cityrank experts`)"
                ),
                crate::table::Origin::Csv => String::new(),
            };
            bail!(
                "{file}: the header is `{}`{read}; a panel file's header is `{}` (one judgement per row: see \
                 `cityrank experts --help`)",
                table.header.join(","),
                PANEL_COLUMNS.join(",")
            );
        }
        let mut problems = Problems::default();
        let mut judgements = Vec::new();
        while let Some(row) = table.next_row()? {
            let row = &row;
            let place = table.row_place(row);
            if row.fields > PANEL_COLUMNS.len() {
                problems.push(format!("{place}: {} fields, the header has 6", row.fields));
                continue;
            }
            let text = |c: usize| -> String {
                match &row.cells[c] {
                    Cell::Text(t) => t.trim().to_string(),
                    Cell::Number(x) => crate::table::number_text(*x),
                    Cell::Empty | Cell::Error(_) => String::new(),
                }
            };
            let (expert, node, kind_text, a, b) = (text(0), text(1), text(2), text(3), text(4));
            let mut bad = |what: String| problems.push(format!("{place}: {what}"));
            if expert.is_empty() || node.is_empty() || a.is_empty() {
                bad("`expert`, `node` and `a` must all be given".into());
                continue;
            }
            if RESERVED_EXPERTS.contains(&expert.as_str()) {
                bad(format!(
                    "`{expert}` names the panel's or the methodology's weights in reports; give the expert another id"
                ));
                continue;
            }
            let kind = match kind_text.to_lowercase().as_str() {
                "points" => Kind::Points,
                "pairwise" => Kind::Pairwise,
                "rating" => Kind::Rating,
                other => {
                    bad(format!(
                        "kind `{other}`: write `points` (budget allocation), `pairwise` (AHP) or `rating`"
                    ));
                    continue;
                }
            };
            let value = match parse_value(&row.cells[5], decimal) {
                Ok(v) => v,
                Err(why) => {
                    let b = if b.is_empty() {
                        String::new()
                    } else {
                        format!(" vs `{b}`")
                    };
                    bad(format!(
                        "value of expert `{expert}`'s {kind_text} of `{a}`{b} at `{node}`: {why}"
                    ));
                    continue;
                }
            };
            let b = (!b.is_empty()).then_some(b);
            match kind {
                Kind::Pairwise => {
                    let Some(other) = &b else {
                        bad(format!(
                            "a pairwise comparison needs `b`, the child `{a}` is compared with"
                        ));
                        continue;
                    };
                    if *other == a {
                        bad(format!(
                            "`{a}` is compared with itself; `a` and `b` are two different children"
                        ));
                        continue;
                    }
                    // Saaty's scale, with room for 1/9 written 0.111.
                    if value > 20_000.0 && matches!(row.cells[5], Cell::Number(_)) {
                        bad(format!(
                            "{value} is outside Saaty's scale (1/9 to 9); it looks like a date: a spreadsheet turned \
                             a fraction such as `1/3` into one. Format the column as text, or write 0.333"
                        ));
                        continue;
                    }
                    if !(1.0 / 9.0 - 1e-3..=9.0).contains(&value) {
                        bad(format!(
                            "{value} is outside Saaty's scale (1/9 to 9): 1 = equally important, 3 moderately, 5 \
                             strongly, 7 very strongly, 9 extremely more important; 1/3 … 1/9 the other way round"
                        ));
                        continue;
                    }
                }
                Kind::Points | Kind::Rating => {
                    if let Some(other) = &b {
                        bad(format!(
                            "`b` (`{other}`) is only for pairwise comparisons; a {} row judges one child, `a`",
                            kind.as_str()
                        ));
                        continue;
                    }
                    if !(value.is_finite() && value >= 0.0) {
                        bad(format!("{value}: {} are numbers ≥ 0", kind.as_str()));
                        continue;
                    }
                }
            }
            judgements.push(Judgement {
                place,
                expert,
                node,
                kind,
                a,
                b,
                value,
            });
        }
        problems.finish(file)?;
        if judgements.is_empty() {
            bail!("{file}: the panel has no judgements");
        }
        Ok(Panel {
            file: file.clone(),
            sha256: String::new(),
            judgements,
        })
    }

    /// The experts, in order of first appearance.
    pub fn experts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for j in &self.judgements {
            if !out.contains(&j.expert) {
                out.push(j.expert.clone());
            }
        }
        out
    }
}

/// A node's children's weights: `(node, [(child, weight)])`.
pub type NodeWeights = (String, Vec<(String, f64)>);

/// A node the panel judges, and its children, as the weights will apply.
#[derive(Debug, Clone)]
pub struct Target {
    /// Node id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Children ids, in framework order.
    pub children: Vec<String>,
    /// Children names.
    pub child_names: Vec<String>,
    /// The children's weights in the methodology (normalised to sum 1), if known.
    pub nominal: Option<Vec<f64>>,
}

/// One expert's judgements at one node, ready to aggregate.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Position of the expert in [`PreparedPanel::experts`].
    pub expert: usize,
    /// The completed comparison matrix (pairwise), row-major.
    pub matrix: Option<Vec<f64>>,
    /// Priorities or shares, by child.
    pub weights: Vec<f64>,
    /// λ_max (pairwise).
    pub lambda_max: Option<f64>,
    /// Consistency index (pairwise).
    pub ci: Option<f64>,
    /// Consistency ratio (pairwise, up to 15 children).
    pub cr: Option<f64>,
    /// Pairs compared (pairwise), of `n(n−1)/2`.
    pub pairs: Option<usize>,
    /// Left out of the aggregation (CR above `max_cr`).
    pub excluded: bool,
}

/// A node's judgements, ready to aggregate.
#[derive(Debug, Clone)]
pub struct PreparedNode {
    /// The node and its children.
    pub target: Target,
    /// How it is judged.
    pub kind: Kind,
    /// Each judging expert's, in panel order.
    pub experts: Vec<Prepared>,
}

/// A panel checked against a framework (or its own node list), each expert's
/// judgements turned into priorities or shares.
#[derive(Debug, Clone)]
pub struct PreparedPanel {
    /// The file, as named in messages.
    pub file: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The experts, in order of first appearance.
    pub experts: Vec<String>,
    /// The nodes judged, in framework order (or file order without a framework).
    pub nodes: Vec<PreparedNode>,
    /// The settings used.
    pub settings: Settings,
}

/// The dialect of a panel CSV, from its header (known to be
/// `expert,node,kind,a,b,value`): separated by commas, semicolons (then with
/// decimal commas, as European spreadsheets write) or tabs.
fn csv_dialect(bytes: &[u8]) -> Dialect {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| first.iter().filter(|b| **b == d).count();
    let (delimiter, decimal) = if count(b',') >= 5 {
        (b',', '.')
    } else if count(b';') >= 5 {
        (b';', ',')
    } else if count(b'\t') >= 5 {
        (b'\t', '.')
    } else {
        (b',', '.')
    };
    Dialect {
        delimiter,
        decimal,
        missing: Vec::new(),
    }
}

/// The nodes a framework lets a panel judge: every node with children.
pub fn targets_of(framework: &Framework) -> Vec<Target> {
    framework
        .nodes
        .iter()
        .filter(|n| !n.children.is_empty())
        .map(|n| {
            let w: Vec<f64> = n.children.iter().map(|&c| framework.nodes[c].weight).collect();
            let total: f64 = w.iter().sum();
            Target {
                id: n.id.clone(),
                name: n.name.clone(),
                children: n.children.iter().map(|&c| framework.nodes[c].id.clone()).collect(),
                child_names: n.children.iter().map(|&c| framework.nodes[c].name.clone()).collect(),
                nominal: (total > 0.0).then(|| w.iter().map(|x| x / total).collect()),
            }
        })
        .collect()
}

/// The nodes a panel judges when no framework is given: each node's children are
/// the children its rows name, in order of first appearance.
fn targets_from(panel: &Panel) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    for j in &panel.judgements {
        let at = match out.iter().position(|t| t.id == j.node) {
            Some(p) => p,
            None => {
                out.push(Target {
                    id: j.node.clone(),
                    name: j.node.clone(),
                    children: Vec::new(),
                    child_names: Vec::new(),
                    nominal: None,
                });
                out.len() - 1
            }
        };
        for c in std::iter::once(&j.a).chain(j.b.as_ref()) {
            if !out[at].children.contains(c) {
                out[at].children.push(c.clone());
                out[at].child_names.push(c.clone());
            }
        }
    }
    out
}

/// Without a methodology to check against, ids that are likely typos: a node,
/// or a child of a node, that only one expert of a panel of three or more
/// names, and that is close to another's. One line each, at its first row.
fn likely_typos(panel: &Panel, targets: &[Target]) -> Vec<String> {
    let experts_naming = |pred: &dyn Fn(&Judgement) -> bool| -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for j in panel.judgements.iter().filter(|j| pred(j)) {
            if !out.contains(&j.expert.as_str()) {
                out.push(&j.expert);
            }
        }
        out
    };
    let mut out = Vec::new();
    let panel_size = panel.experts().len();
    let advice = "(without --edition, the panel's ids are not checked against a methodology)";
    for t in targets {
        let judges = experts_naming(&|j| j.node == t.id);
        let others = targets.iter().filter(|o| o.id != t.id).map(|o| o.id.as_str());
        if judges.len() == 1
            && panel_size >= 3
            && let Some(hint) = crate::diagnostic::did_you_mean(&t.id, others, 1)
        {
            let first = panel
                .judgements
                .iter()
                .find(|j| j.node == t.id)
                .map_or("", |j| j.place.as_str());
            out.push(format!(
                "{first}: node `{}` is judged only by expert `{}`: a typo? {hint} {advice}",
                t.id, judges[0]
            ));
            continue;
        }
        if judges.len() < 3 {
            continue;
        }
        for c in &t.children {
            let naming = experts_naming(&|j| j.node == t.id && (&j.a == c || j.b.as_ref() == Some(c)));
            let others = t.children.iter().filter(|o| *o != c).map(String::as_str);
            if naming.len() == 1
                && let Some(hint) = crate::diagnostic::did_you_mean(c, others, 1)
            {
                let first = panel
                    .judgements
                    .iter()
                    .find(|j| j.node == t.id && (&j.a == c || j.b.as_ref() == Some(c)))
                    .map_or("", |j| j.place.as_str());
                out.push(format!(
                    "{first}: `{c}` (a child of `{}`) is named only by expert `{}`: a typo? {hint} {advice}",
                    t.id, naming[0]
                ));
            }
        }
    }
    out
}

impl PreparedPanel {
    /// Checks `panel` against `targets` (from [`targets_of`]; `None`: the nodes and
    /// children the panel names) and prepares every expert's judgements. Every
    /// problem is reported, each at its row: an unknown node or child, a pair or
    /// child given twice, an expert mixing kinds at a node, a node judged in
    /// different ways, points or ratings for only some children, comparisons that
    /// do not connect the children, and a node where `max_cr` leaves no expert.
    pub fn prepare(panel: &Panel, targets: Option<Vec<Target>>, settings: &Settings) -> Result<PreparedPanel> {
        let file = &panel.file;
        let known = targets.is_some();
        let targets = targets.unwrap_or_else(|| targets_from(panel));
        let experts = panel.experts();
        let expert_at: BTreeMap<&str, usize> = experts.iter().enumerate().map(|(i, e)| (e.as_str(), i)).collect();
        let mut problems = Problems::default();
        // The same expert written two ways?
        for (i, e) in experts.iter().enumerate() {
            if let Some(other) = experts[..i].iter().find(|o| o.to_lowercase() == e.to_lowercase()) {
                let at = panel
                    .judgements
                    .iter()
                    .find(|j| &j.expert == e)
                    .map_or("", |j| j.place.as_str());
                problems.push(format!(
                    "{at}: expert `{e}` and expert `{other}` differ only in case: the same expert? Write the id the \
                     same way on every row"
                ));
            }
        }
        if !known {
            // A typo's row is the cause; the other experts' rows would only seem
            // to miss the misspelt child: reported alone.
            let typos = likely_typos(panel, &targets);
            if !typos.is_empty() {
                for p in typos {
                    problems.push(p);
                }
                problems.finish(file)?;
                bail!("internal error: the typos were not reported");
            }
        }
        // Rows by (node, expert), checked for unknown nodes and children.
        let mut rows: BTreeMap<(usize, usize), Vec<&Judgement>> = BTreeMap::new();
        for j in &panel.judgements {
            let Some(t) = targets.iter().position(|t| t.id == j.node) else {
                let hint = crate::diagnostic::did_you_mean(&j.node, targets.iter().map(|t| t.id.as_str()), 2)
                    .map(|d| format!("; {d}"))
                    .unwrap_or_default();
                problems.push(format!(
                    "{}: no node `{}` with children in the methodology (nodes that can be judged: {}){hint}",
                    j.place,
                    j.node,
                    targets.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")
                ));
                continue;
            };
            let target = &targets[t];
            let mut ok = true;
            for c in std::iter::once(&j.a).chain(j.b.as_ref()) {
                if !target.children.contains(c) {
                    let hint = crate::diagnostic::did_you_mean(c, target.children.iter().map(String::as_str), 2)
                        .map(|d| format!("; {d}"))
                        .unwrap_or_default();
                    problems.push(format!(
                        "{}: `{c}` is not a child of `{}` (its children: {}){hint}",
                        j.place,
                        j.node,
                        target.children.join(", ")
                    ));
                    ok = false;
                }
            }
            if ok {
                let e = expert_at.get(j.expert.as_str()).copied().unwrap_or(0);
                rows.entry((t, e)).or_default().push(j);
            }
        }
        // One kind per node for the whole panel: the kind of its first row in the
        // file; an expert judging it another way is told so once, at their first
        // such row.
        let mut kinds: Vec<Option<(Kind, &Judgement)>> = vec![None; targets.len()];
        let mut told: Vec<(usize, &str)> = Vec::new();
        for j in &panel.judgements {
            let Some(t) = targets.iter().position(|t| t.id == j.node) else {
                continue;
            };
            match kinds[t] {
                None => kinds[t] = Some((j.kind, j)),
                Some((k, first)) if k != j.kind && !told.contains(&(t, j.expert.as_str())) => {
                    told.push((t, j.expert.as_str()));
                    problems.push(format!(
                        "{}: expert `{}` judges `{}` by {}, but the panel judges it by {} (from {}, expert `{}`); a \
                         node is judged one way by the whole panel",
                        j.place,
                        j.expert,
                        j.node,
                        j.kind.as_str(),
                        k.as_str(),
                        first.place,
                        first.expert
                    ));
                }
                Some(_) => {}
            }
        }
        let mut nodes: Vec<PreparedNode> = Vec::new();
        for (t, target) in targets.iter().enumerate() {
            let Some((kind, _)) = kinds[t] else { continue };
            let mut prepared = Vec::new();
            for (e, expert) in experts.iter().enumerate() {
                let Some(js) = rows.get(&(t, e)) else { continue };
                let js: Vec<&Judgement> = js.iter().copied().filter(|j| j.kind == kind).collect();
                if js.is_empty() {
                    continue;
                }
                match judge(target, kind, expert, &js, settings) {
                    Ok(p) => prepared.push(Prepared { expert: e, ..p }),
                    Err(lines) => {
                        for l in lines {
                            problems.push(l);
                        }
                    }
                }
            }
            if let Some(max) = settings.max_cr {
                for p in &mut prepared {
                    p.excluded = p.cr.is_some_and(|cr| cr > max);
                }
                if !prepared.is_empty() && prepared.iter().all(|p| p.excluded) {
                    problems.push(format!(
                        "node `{}`: every expert's consistency ratio is above max_cr = {max} (lowest {:.3}); raise \
                         max_cr, or have the comparisons revised",
                        target.id,
                        prepared.iter().filter_map(|p| p.cr).fold(f64::INFINITY, f64::min)
                    ));
                }
            }
            nodes.push(PreparedNode {
                target: target.clone(),
                kind,
                experts: prepared,
            });
        }
        problems.finish(file)?;
        if nodes.is_empty() && !known {
            bail!("{file}: the panel judges no node");
        }
        Ok(PreparedPanel {
            file: file.clone(),
            sha256: panel.sha256.clone(),
            experts,
            nodes,
            settings: settings.clone(),
        })
    }

    /// The panel's weights at node `k` (position in `nodes`) from the judgements
    /// of `members` (positions in the node's `experts`, repeats allowed, as a
    /// bootstrap resample draws them; excluded experts are skipped). `None` when
    /// none of them judged the node.
    pub fn consensus(&self, k: usize, members: &[usize]) -> Result<Option<Vec<f64>>> {
        let node = &self.nodes[k];
        let n = node.target.children.len();
        let chosen: Vec<&Prepared> = members
            .iter()
            .map(|&m| &node.experts[m])
            .filter(|p| !p.excluded)
            .collect();
        if chosen.is_empty() {
            return Ok(None);
        }
        let step = |e: cityrank_steps::StepError| anyhow::anyhow!("node `{}`: {e}", node.target.id);
        let weights = match node.kind {
            Kind::Pairwise => match self.settings.pairwise {
                PairwiseAggregation::Aij => {
                    let matrices: Vec<&[f64]> = chosen.iter().filter_map(|p| p.matrix.as_deref()).collect();
                    let m = ahp::aggregate_judgements(&matrices, n).map_err(step)?;
                    priorities(&m, n, self.settings.priorities).map_err(step)?
                }
                PairwiseAggregation::Aip | PairwiseAggregation::AipArithmetic => {
                    let how = if self.settings.pairwise == PairwiseAggregation::Aip {
                        Combine::Geometric
                    } else {
                        Combine::Mean
                    };
                    let v: Vec<&[f64]> = chosen.iter().map(|p| p.weights.as_slice()).collect();
                    ahp::combine(&v, n, how).map_err(step)?
                }
            },
            Kind::Points | Kind::Rating => {
                let how = match self.settings.points {
                    PointsAggregation::Mean => Combine::Mean,
                    PointsAggregation::Median => Combine::Median,
                };
                let v: Vec<&[f64]> = chosen.iter().map(|p| p.weights.as_slice()).collect();
                ahp::combine(&v, n, how).map_err(step)?
            }
        };
        Ok(Some(weights))
    }

    /// The weights of every child of every node judged, from the panel of the
    /// experts `drawn` (positions in [`PreparedPanel::experts`], repeats allowed):
    /// `(child, weight)` in node order. At a node none of them judged, the whole
    /// panel's weights.
    pub fn weights_of(&self, drawn: &[usize]) -> Result<Vec<(String, f64)>> {
        let mut out = Vec::new();
        for (k, node) in self.nodes.iter().enumerate() {
            let members: Vec<usize> = drawn
                .iter()
                .filter_map(|e| node.experts.iter().position(|p| p.expert == *e))
                .collect();
            let w = match self.consensus(k, &members)? {
                Some(w) => w,
                None => {
                    let all: Vec<usize> = (0..node.experts.len()).collect();
                    match self.consensus(k, &all)? {
                        Some(w) => w,
                        None => continue,
                    }
                }
            };
            out.extend(node.target.children.iter().cloned().zip(w));
        }
        Ok(out)
    }

    /// The panel's weights of every node judged, with all experts: `(node,
    /// [(child, weight)])`, in node order.
    pub fn weights(&self) -> Result<Vec<NodeWeights>> {
        let mut out = Vec::new();
        for (k, node) in self.nodes.iter().enumerate() {
            let all: Vec<usize> = (0..node.experts.len()).collect();
            if let Some(w) = self.consensus(k, &all)? {
                out.push((
                    node.target.id.clone(),
                    node.target.children.iter().cloned().zip(w).collect(),
                ));
            }
        }
        Ok(out)
    }
}

/// Priorities of a complete comparison matrix.
fn priorities(a: &[f64], n: usize, how: PriorityMethod) -> Result<Vec<f64>, cityrank_steps::StepError> {
    match how {
        PriorityMethod::Eigenvector => ahp::eigenvector(a, n).map(|(w, _)| w),
        PriorityMethod::GeometricMean => ahp::geometric_mean(a, n),
    }
}

/// One expert's judgements `js` (all of `kind`) of `target`: their priorities or
/// shares, or the problems, one line each.
fn judge(
    target: &Target,
    kind: Kind,
    expert: &str,
    js: &[&Judgement],
    settings: &Settings,
) -> Result<Prepared, Vec<String>> {
    let n = target.children.len();
    let at = |c: &str| target.children.iter().position(|x| x == c).unwrap_or(0);
    let mut problems = Vec::new();
    match kind {
        Kind::Points | Kind::Rating => {
            let mut values: Vec<Option<(f64, &str)>> = vec![None; n];
            for j in js {
                let i = at(&j.a);
                match values[i] {
                    Some((_, first)) => problems.push(format!(
                        "{}: expert `{expert}` judges `{}` at `{}` again (first at {first}); give each child once",
                        j.place, j.a, target.id
                    )),
                    None => values[i] = Some((j.value, j.place.as_str())),
                }
            }
            let missing: Vec<&str> = (0..n)
                .filter(|&i| values[i].is_none())
                .map(|i| target.children[i].as_str())
                .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "{}: expert `{expert}` gives {} to {} of the {n} children of `{}` (missing: {}); give every \
                     child its {} (0 if none)",
                    js[0].place,
                    if kind == Kind::Points { "points" } else { "ratings" },
                    n - missing.len(),
                    target.id,
                    missing.join(", "),
                    if kind == Kind::Points { "points" } else { "rating" },
                ));
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            let v: Vec<f64> = values.iter().map(|x| x.map_or(0.0, |(v, _)| v)).collect();
            let weights = ahp::shares(&v).map_err(|_| {
                vec![format!(
                    "{}: expert `{expert}` gives every child of `{}` 0 {}; give some child a positive value",
                    js[0].place,
                    target.id,
                    kind.as_str()
                )]
            })?;
            Ok(Prepared {
                expert: 0,
                matrix: None,
                weights,
                lambda_max: None,
                ci: None,
                cr: None,
                pairs: None,
                excluded: false,
            })
        }
        Kind::Pairwise => {
            let mut given: Vec<(usize, usize, f64)> = Vec::new();
            let mut first: BTreeMap<(usize, usize), &str> = BTreeMap::new();
            for j in js {
                let (i, k) = (at(&j.a), at(j.b.as_deref().unwrap_or_default()));
                let key = (i.min(k), i.max(k));
                if let Some(f) = first.get(&key) {
                    problems.push(format!(
                        "{}: expert `{expert}` compares `{}` and `{}` at `{}` again (first at {f}); give each pair once",
                        j.place,
                        j.a,
                        j.b.as_deref().unwrap_or_default(),
                        target.id
                    ));
                    continue;
                }
                first.insert(key, &j.place);
                given.push((i, k, j.value));
            }
            if !problems.is_empty() {
                return Err(problems);
            }
            let matrix = ahp::complete_llsm(n, &given).map_err(|e| {
                // Which children the comparisons leave apart.
                let mut reach = vec![false; n];
                reach[given[0].0] = true;
                loop {
                    let mut grew = false;
                    for &(i, k, _) in &given {
                        if reach[i] != reach[k] {
                            reach[i] = true;
                            reach[k] = true;
                            grew = true;
                        }
                    }
                    if !grew {
                        break;
                    }
                }
                let apart: Vec<&str> = (0..n)
                    .filter(|&i| !reach[i])
                    .map(|i| target.children[i].as_str())
                    .collect();
                if apart.is_empty() {
                    return vec![format!("{}: expert `{expert}` at `{}`: {e}", js[0].place, target.id)];
                }
                vec![format!(
                    "{}: expert `{expert}`'s comparisons at `{}` leave {} unconnected to the other children (pairs \
                     given: {} of {}); compare each child with at least one connected sibling",
                    js[0].place,
                    target.id,
                    apart.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                    given.len(),
                    n * (n - 1) / 2
                )]
            })?;
            let step = |e: cityrank_steps::StepError| {
                vec![format!("{}: expert `{expert}` at `{}`: {e}", js[0].place, target.id)]
            };
            let weights = priorities(&matrix, n, settings.priorities).map_err(step)?;
            // Consistency is the matrix's: λ_max is its principal eigenvalue
            // whatever the priority method (Saaty's CR is defined on it).
            let (_, lambda) = ahp::eigenvector(&matrix, n).map_err(step)?;
            let (ci, cr) = ahp::consistency(lambda, n);
            Ok(Prepared {
                expert: 0,
                matrix: Some(matrix),
                weights,
                lambda_max: Some(lambda),
                ci: Some(ci),
                cr,
                pairs: Some(given.len()),
                excluded: false,
            })
        }
    }
}

/// What `cityrank experts --format json` writes: the panel, each expert's
/// judgements at each node, the panel's weights and its agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertsReport {
    /// Format version of this document.
    pub schema_version: u32,
    /// Version of cityrank that computed it.
    pub cityrank: String,
    /// The panel file.
    pub file: String,
    /// SHA-256 of the panel file, hex.
    pub sha256: String,
    /// The methodology the panel was checked against, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methodology: Option<String>,
    /// How the judgements became weights.
    pub settings: Settings,
    /// Saaty's threshold of the consistency ratio, above which a matrix is flagged.
    pub cr_threshold: f64,
    /// The experts.
    pub experts: Vec<ExpertSummary>,
    /// Every node judged.
    pub nodes: Vec<NodeReport>,
}

crate::document!(ExpertsReport, "experts");

/// One expert over all nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertSummary {
    /// The expert's id.
    pub id: String,
    /// Nodes judged.
    pub nodes: usize,
    /// Nodes where the expert's consistency ratio is above the threshold.
    pub inconsistent: Vec<String>,
    /// The largest consistency ratio (AHP nodes).
    pub max_cr: Option<f64>,
    /// Mean distance to the panel's weights over the nodes judged (0–1).
    pub mean_distance: f64,
    /// Nodes where the expert is an outlier.
    pub outlier_at: Vec<String>,
    /// Nodes where the expert was left out (`max_cr`).
    pub excluded_at: Vec<String>,
}

/// One node: the panel's weights and every expert's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeReport {
    /// Node id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// How it was judged.
    pub kind: Kind,
    /// Children ids, the order of every weight vector here.
    pub children: Vec<String>,
    /// Children names.
    pub child_names: Vec<String>,
    /// The panel's weights (sum 1).
    pub weights: Vec<f64>,
    /// The methodology's own weights of the children (normalised), when checked
    /// against one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nominal: Option<Vec<f64>>,
    /// Consistency ratio of the aggregated matrix (AIJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel_cr: Option<f64>,
    /// Kendall's W over the experts' weights (null with fewer than 2 experts).
    pub kendall_w: Option<f64>,
    /// Experts' judgements.
    pub experts: Vec<ExpertJudgement>,
}

/// One expert's judgement of one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertJudgement {
    /// The expert's id.
    pub expert: String,
    /// Priorities or shares, by child (sum 1).
    pub weights: Vec<f64>,
    /// λ_max (AHP): the principal eigenvalue of the expert's (completed) matrix,
    /// whatever the priority method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda_max: Option<f64>,
    /// Consistency index (AHP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<f64>,
    /// Consistency ratio (AHP, up to 15 children).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cr: Option<f64>,
    /// Pairs compared (AHP), of `n(n−1)/2`; fewer: the matrix was completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairs: Option<usize>,
    /// Consistency ratio above the threshold.
    pub inconsistent: bool,
    /// Left out of the panel's weights (`max_cr`).
    pub excluded: bool,
    /// Distance to the panel's weights: half the sum of absolute differences (0–1).
    pub distance: f64,
    /// Distance above Q3 + 1.5 × IQR of the node's distances.
    pub outlier: bool,
}

impl PreparedPanel {
    /// The report of the panel: every expert's judgements, the panel's weights,
    /// its agreement. `methodology` names what it was checked against.
    pub fn report(&self, methodology: Option<String>) -> Result<ExpertsReport> {
        let mut nodes = Vec::new();
        for (k, node) in self.nodes.iter().enumerate() {
            let n = node.target.children.len();
            let all: Vec<usize> = (0..node.experts.len()).collect();
            let Some(weights) = self.consensus(k, &all)? else {
                continue;
            };
            let panel_cr = (node.kind == Kind::Pairwise && self.settings.pairwise == PairwiseAggregation::Aij)
                .then(|| {
                    let m: Vec<&[f64]> = node
                        .experts
                        .iter()
                        .filter(|p| !p.excluded)
                        .filter_map(|p| p.matrix.as_deref())
                        .collect();
                    let a = ahp::aggregate_judgements(&m, n).ok()?;
                    let (_, lambda) = ahp::eigenvector(&a, n).ok()?;
                    ahp::consistency(lambda, n).1
                })
                .flatten();
            // Weights equal in theory (e.g. two children compared alike) can differ
            // in the last bits; ranked as computed they would not tie. Rounded to
            // 1e-12 (weights are in [0, 1]) they do, on every machine.
            // Agreement is among the experts whose judgements count (not those
            // `max_cr` leaves out).
            let rounded: Vec<Vec<f64>> = node
                .experts
                .iter()
                .filter(|p| !p.excluded)
                .map(|p| p.weights.iter().map(|w| (w * 1e12).round() / 1e12).collect())
                .collect();
            let vectors: Vec<&[f64]> = rounded.iter().map(Vec::as_slice).collect();
            let kendall_w = ahp::kendall_w(&vectors, n);
            let distances: Vec<f64> = node
                .experts
                .iter()
                .map(|p| p.weights.iter().zip(&weights).map(|(a, b)| (a - b).abs()).sum::<f64>() / 2.0)
                .collect();
            let counted: Vec<f64> = node
                .experts
                .iter()
                .zip(&distances)
                .filter(|(p, _)| !p.excluded)
                .map(|(_, d)| *d)
                .collect();
            let fence = (counted.len() >= 4).then(|| {
                let mut s = counted.clone();
                s.sort_by(f64::total_cmp);
                let (q1, q3) = (stats::quantile_sorted(&s, 0.25), stats::quantile_sorted(&s, 0.75));
                q3 + 1.5 * (q3 - q1)
            });
            let experts = node
                .experts
                .iter()
                .zip(&distances)
                .map(|(p, &d)| ExpertJudgement {
                    expert: self.experts[p.expert].clone(),
                    weights: p.weights.clone(),
                    lambda_max: p.lambda_max,
                    ci: p.ci,
                    cr: p.cr,
                    pairs: p.pairs,
                    inconsistent: p.cr.is_some_and(|cr| cr > ahp::CR_THRESHOLD),
                    excluded: p.excluded,
                    distance: d,
                    outlier: !p.excluded && fence.is_some_and(|f| d > f + 1e-12),
                })
                .collect();
            nodes.push(NodeReport {
                id: node.target.id.clone(),
                name: node.target.name.clone(),
                kind: node.kind,
                children: node.target.children.clone(),
                child_names: node.target.child_names.clone(),
                weights,
                nominal: node.target.nominal.clone(),
                panel_cr,
                kendall_w,
                experts,
            });
        }
        let experts = self
            .experts
            .iter()
            .map(|id| {
                let mine: Vec<(&NodeReport, &ExpertJudgement)> = nodes
                    .iter()
                    .flat_map(|n| n.experts.iter().filter(|e| &e.expert == id).map(move |e| (n, e)))
                    .collect();
                ExpertSummary {
                    id: id.clone(),
                    nodes: mine.len(),
                    inconsistent: mine
                        .iter()
                        .filter(|(_, e)| e.inconsistent)
                        .map(|(n, _)| n.id.clone())
                        .collect(),
                    max_cr: mine.iter().filter_map(|(_, e)| e.cr).reduce(f64::max),
                    mean_distance: if mine.is_empty() {
                        0.0
                    } else {
                        mine.iter().map(|(_, e)| e.distance).sum::<f64>() / mine.len() as f64
                    },
                    outlier_at: mine
                        .iter()
                        .filter(|(_, e)| e.outlier)
                        .map(|(n, _)| n.id.clone())
                        .collect(),
                    excluded_at: mine
                        .iter()
                        .filter(|(_, e)| e.excluded)
                        .map(|(n, _)| n.id.clone())
                        .collect(),
                }
            })
            .collect();
        Ok(ExpertsReport {
            schema_version: EXPERTS_SCHEMA_VERSION,
            cityrank: env!("CARGO_PKG_VERSION").to_string(),
            file: self.file.clone(),
            sha256: self.sha256.clone(),
            methodology,
            settings: self.settings.clone(),
            cr_threshold: ahp::CR_THRESHOLD,
            experts,
            nodes,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn panel(csv: &str) -> Result<Panel> {
        let mut table = crate::table::read(csv.as_bytes(), Path::new("panel.csv"), None, &Dialect::default())?;
        Panel::from_table(&mut table, '.')
    }

    #[test]
    fn fractions_and_bad_rows() {
        let p = panel("expert,node,kind,a,b,value\ne1,index,pairwise,x,y,1/3\ne1,index,pairwise,x,z,0.5\n").unwrap();
        assert!((p.judgements[0].value - 1.0 / 3.0).abs() < 1e-15);
        let e =
            panel("expert,node,kind,a,b,value\ne1,index,pairwise,x,y,12\ne1,index,votes,x,,1\ne1,index,points,x,y,3\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("line 2: 12 is outside Saaty's scale"), "{e}");
        assert!(e.contains("line 3: kind `votes`"), "{e}");
        assert!(e.contains("line 4: `b` (`y`) is only for pairwise"), "{e}");
    }

    #[test]
    fn structure_problems_are_named_at_their_rows() {
        let p = panel(
            "expert,node,kind,a,b,value\n\
             e1,index,pairwise,x,y,3\n\
             e1,index,pairwise,y,x,2\n\
             e2,index,points,x,,3\n\
             e3,p,points,u,,1\n",
        )
        .unwrap();
        let targets = vec![
            Target {
                id: "index".into(),
                name: "Index".into(),
                children: vec!["x".into(), "y".into(), "z".into()],
                child_names: vec!["X".into(), "Y".into(), "Z".into()],
                nominal: None,
            },
            Target {
                id: "q".into(),
                name: "Q".into(),
                children: vec!["u".into(), "v".into()],
                child_names: vec!["U".into(), "V".into()],
                nominal: None,
            },
        ];
        let e = PreparedPanel::prepare(&p, Some(targets), &Settings::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 3: expert `e1` compares `y` and `x` at `index` again (first at line 2)"),
            "{e}"
        );
        assert!(
            e.contains(
                "line 4: expert `e2` judges `index` by points, but the panel judges it by pairwise (from line 2"
            ),
            "{e}"
        );
        assert!(e.contains("line 5: no node `p` with children"), "{e}");
    }
}
