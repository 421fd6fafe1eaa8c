//! Edition files: one run of a methodology on one dataset (e.g. the 2024 LAS
//! ranking), and the single place where an edition's settings are resolved from
//! the file, the command-line flags and the defaults.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalogue::{Part, Phase, STEPS};
pub use crate::methodology::PipelineOverride;
use crate::methodology::{
    AggregateSpec, DenominatorChange, DenominatorTable, IndicatorSpec, Manifest, NormaliseSpec, TierSpec, TreatSpec,
};
use crate::plugin::Limits;

pub mod sensitivity;

/// Version of the edition format this host reads.
pub const EDITION_SCHEMA_VERSION: u32 = 1;

/// An edition file (`methodologies/<id>.toml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    /// Format version of this document; must be 1.
    pub schema_version: u32,
    /// Stable identifier (e.g. `las-2024`).
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Year of the edition.
    pub year: i32,
    /// What this edition is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The methodology, relative to this file: a manifest (`methodology.toml`, no
    /// code), a plugin directory (a Rust crate, or a Python or JavaScript plugin,
    /// built on demand) or a component file (`.wasm`).
    pub methodology: PathBuf,
    /// The methodology's SHA-256, pinned: the run is refused when the methodology
    /// found has another (the value is `methodology.sha256` of its results, or
    /// what `cityrank validate` prints). For code, the component's hash; for a
    /// manifest, the manifest file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub methodology_sha256: Option<String>,
    /// The dataset description (`dataset.toml`), relative to this file.
    pub dataset: PathBuf,
    /// Sandbox limits for this edition's plugin calls.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Tiers replacing the methodology's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<TierSpec>>,
    /// Rating scales per peer group replacing the methodology's `[peer_groups]
    /// scales` (tier labels per group, lowest covariate first; `[]`: every group is
    /// rated on the whole tier list). Needed when `tiers` drops labels those scales use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_scales: Option<Vec<Vec<String>>>,
    /// Panel data: score several years of the dataset together and average them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel: Option<PanelSpec>,
    /// Weights from an expert panel: the weights of the children of every node
    /// the panel judges (see `cityrank experts --help`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experts: Option<ExpertsSpec>,
    /// The uncertainty and sensitivity analysis of this edition (`cityrank sensitivity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<sensitivity::SensitivitySpec>,
    /// Named variants: changes to the methodology's steps, weights and indicators,
    /// run with `cityrank run <edition> --variant <name>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, Variant>,
}

crate::document!(Edition, "edition");

/// An edition's `[experts]`: the panel file and how its judgements become weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertsSpec {
    /// The panel file (CSV with the header `expert,node,kind,a,b,value`, or a
    /// workbook), relative to the edition file.
    pub file: PathBuf,
    /// The sheet of a workbook (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// AHP nodes: `aij` (default: the geometric mean of the experts' judgements,
    /// then priorities), `aip` (the geometric mean of their priorities) or
    /// `aip-arithmetic`.
    #[serde(default)]
    pub pairwise: crate::experts::PairwiseAggregation,
    /// Budget-allocation and rating nodes: `mean` (default) or `median` of the
    /// experts' shares.
    #[serde(default)]
    pub points: crate::experts::PointsAggregation,
    /// Priorities of a comparison matrix: `eigenvector` (default) or `geometric-mean`.
    #[serde(default)]
    pub priorities: crate::experts::PriorityMethod,
    /// Leave out, at a node, the experts whose consistency ratio there is above
    /// this (e.g. 0.1); absent: every expert counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_cr: Option<f64>,
}

impl ExpertsSpec {
    /// The aggregation settings.
    pub fn settings(&self) -> crate::experts::Settings {
        crate::experts::Settings {
            pairwise: self.pairwise,
            points: self.points,
            priorities: self.priorities,
            max_cr: self.max_cr,
        }
    }
}

/// A variant's `experts`: what it changes of the edition's `[experts]` (for an
/// edition without one, the whole of it: then `file` is needed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertsOverride {
    /// Another panel file, relative to the edition file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// See [`ExpertsSpec::sheet`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// See [`ExpertsSpec::pairwise`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pairwise: Option<crate::experts::PairwiseAggregation>,
    /// See [`ExpertsSpec::points`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<crate::experts::PointsAggregation>,
    /// See [`ExpertsSpec::priorities`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priorities: Option<crate::experts::PriorityMethod>,
    /// See [`ExpertsSpec::max_cr`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_cr: Option<f64>,
}

/// The edition's `[experts]` with a variant's changes made: `Ok(None)` without a
/// panel; an error (at `key`) when a variant sets experts' options for an edition
/// without a panel and names no file.
fn resolve_experts(
    edition: Option<&ExpertsSpec>,
    over: Option<&ExpertsOverride>,
    key: &str,
) -> Result<Option<ExpertsSpec>, String> {
    let Some(o) = over else {
        return Ok(edition.cloned());
    };
    let base = match (edition, &o.file) {
        (Some(e), _) => e.clone(),
        (None, Some(f)) => ExpertsSpec {
            file: f.clone(),
            sheet: None,
            pairwise: Default::default(),
            points: Default::default(),
            priorities: Default::default(),
            max_cr: None,
        },
        (None, None) => {
            return Err(format!(
                "{key}: the edition has no [experts] panel to change; give the panel's `file`"
            ));
        }
    };
    Ok(Some(ExpertsSpec {
        // Another file does not keep the edition's sheet.
        sheet: o.sheet.clone().or(if o.file.is_some() { None } else { base.sheet }),
        file: o.file.clone().unwrap_or(base.file),
        pairwise: o.pairwise.unwrap_or(base.pairwise),
        points: o.points.unwrap_or(base.points),
        priorities: o.priorities.unwrap_or(base.priorities),
        max_cr: o.max_cr.or(base.max_cr),
    }))
}

/// Panel data: the dataset has a time column; the rows of `years` are scored
/// together (so normalisation is joint across years and scores are comparable),
/// then each unit's scores are averaged over the years with `weights` and the
/// average is ranked. Each row is a unit in a year (`id@year` in stage tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PanelSpec {
    /// The years scored, e.g. `[2022, 2023, 2024]`.
    pub years: Vec<i32>,
    /// Weight of each year, e.g. `[1, 2, 3]` (3:2:1 with the latest year heaviest).
    pub weights: Vec<f64>,
    /// A unit's average needs years carrying at least this share of the weight (default 0.5).
    #[serde(default = "half")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_share: f64,
    /// Steps run on each year's rows on their own rather than on the rows of every
    /// year together: `treat` (COINr's `Treat` on a purse, which treats each year's
    /// coin separately) and `normalise` (COINr's `Normalise(purse, global = FALSE)`).
    /// Absent or `[]`: both run on all the years' rows at once (pooled: one
    /// minimum and maximum per indicator over every unit and year, COINr's default
    /// `Normalise(purse, global = TRUE)`). COINr's example purse
    /// (`build_example_purse()`) is `by_year = ["treat"]`. Denomination, screening
    /// and aggregation read one row (a unit in a year) at a time, so they are the
    /// same either way: screening judges each unit in each year on its own, as
    /// COINr's `Screen` on each coin of a purse. Imputation stays pooled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_year: Vec<PanelStep>,
}

/// A step that a panel runs year by year (see [`PanelSpec::by_year`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PanelStep {
    /// Outlier treatment: each year's skewness, kurtosis and winsorisation from
    /// that year's rows alone (COINr's `Treat` on a purse); the treatment report
    /// then has one entry per indicator and year.
    Treat,
    /// Normalisation: each year's minimum and maximum (or mean, ranks, …) from that
    /// year's rows alone (COINr's `Normalise(purse, global = FALSE)`), so scores
    /// are not comparable across years.
    Normalise,
}

impl PanelStep {
    /// The step's name in `by_year`.
    pub fn as_str(self) -> &'static str {
        match self {
            PanelStep::Treat => "treat",
            PanelStep::Normalise => "normalise",
        }
    }
}

impl PanelSpec {
    /// Whether `step` runs on each year's rows on their own.
    pub fn runs_by_year(&self, step: PanelStep) -> bool {
        self.by_year.contains(&step)
    }
}

fn half() -> f64 {
    0.5
}

/// A variant of an edition: the methodology with some steps, parameters, weights or
/// indicators changed, without touching the plugin.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// What the variant changes and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Pipeline steps replaced (only the keys given).
    #[serde(default)]
    pub pipeline: PipelineOverride,
    /// Steps switched off: `denominate`, `impute`, `screen`, `treat`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
    /// New weights by node or indicator id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, f64>,
    /// Indicators or nodes (with everything under them) left out; nodes left
    /// without children are left out too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
    /// Denominator per indicator id: a dataset variable (`Goods = "Population"`),
    /// `false` (not denominated), or `{ denominator = "…", scale = … }` (COINr's
    /// `denomby` row: `Denominator` and `ScaleFactor`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub denominate: BTreeMap<String, DenominatorChange>,
    /// Normalisation per indicator id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub normalise: BTreeMap<String, NormaliseSpec>,
    /// Outlier treatment per indicator id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub treat: BTreeMap<String, TreatSpec>,
    /// Aggregation per node id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aggregate: BTreeMap<String, AggregateSpec>,
    /// Tiers replacing the edition's or methodology's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<TierSpec>>,
    /// Rating scales per peer group replacing the edition's or methodology's (see
    /// the edition's `peer_scales`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_scales: Option<Vec<Vec<String>>>,
    /// Another dataset (relative to the edition file), e.g. a multi-year one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<PathBuf>,
    /// Panel scoring for this variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel: Option<PanelSpec>,
    /// Changes to the expert panel's settings (or another panel file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experts: Option<ExpertsOverride>,
}

impl Variant {
    /// The earliest phase of the pipeline this variant changes: everything from
    /// there on must be recomputed for it (a sensitivity analysis reuses the
    /// earlier phases). Dropping indicators or nodes changes the table itself, so
    /// everything.
    pub fn reach(&self) -> Phase {
        if !self.drop.is_empty() {
            return Phase::Prepare;
        }
        STEPS
            .iter()
            .filter(|s| {
                (s.overridden)(&self.pipeline)
                    || self.skip.iter().any(|k| k == s.name)
                    || match s.part {
                        Part::None => false,
                        Part::IndicatorDenominate => !self.denominate.is_empty(),
                        Part::IndicatorTreat => !self.treat.is_empty(),
                        Part::IndicatorNormalise => !self.normalise.is_empty(),
                        Part::Weights => !self.weights.is_empty(),
                        Part::NodeAggregate => !self.aggregate.is_empty(),
                    }
            })
            .map(|s| s.phase)
            .min()
            .unwrap_or(Phase::Later)
    }

    /// The manifest with this variant applied. `key` names the variant in errors
    /// (e.g. `variants.zscore`).
    pub fn apply(&self, manifest: &Manifest, key: &str) -> Result<Manifest> {
        let mut m = manifest.clone();
        self.apply_in_place(&mut m, key)?;
        Ok(m)
    }

    /// Applies this variant to `m` itself (see [`Variant::apply`]). Errors: every
    /// problem of the variant at once, one per line, each starting with its key
    /// path (`variants.v.weights.x: …`).
    pub fn apply_in_place(&self, m: &mut Manifest, key: &str) -> Result<()> {
        let mut problems: Vec<String> = Vec::new();
        for step in &STEPS {
            (step.apply)(&self.pipeline, m);
        }
        for name in &self.skip {
            match crate::catalogue::step(name) {
                Some(step) if step.skippable => (step.skip)(m),
                _ => problems.push(format!(
                    "{key}.skip: `{name}` cannot be skipped; skippable steps are {}",
                    crate::catalogue::skippable_names()
                )),
            }
        }
        for (id, w) in &self.weights {
            if !(w.is_finite() && *w >= 0.0) {
                problems.push(format!("{key}.weights.{id}: expected a finite weight ≥ 0, got {w}"));
            } else if let Some(n) = m.nodes.iter_mut().find(|n| &n.id == id) {
                n.weight = *w;
            } else if let Some(i) = m.indicators.iter_mut().find(|i| &i.id == id) {
                i.weight = *w;
            } else {
                problems.push(no_part(m, &format!("{key}.weights.{id}"), id).to_string());
            }
        }
        for (id, change) in &self.denominate {
            let at = format!("{key}.denominate");
            match indicator_mut(m, id, &at) {
                Ok(i) => {
                    if let Err(e) = change_denominator(i, change, &format!("{at}.{id}")) {
                        problems.push(format!("{e:#}"));
                    }
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
        // Denominators change only where the denomination step runs: without it, a
        // denominator set would silently do nothing (`false` changes nothing anyway).
        let divides = self
            .denominate
            .values()
            .any(|c| !matches!(c, crate::methodology::DenominatorChange::Off(false)));
        if divides && m.pipeline.denominate.is_none() {
            problems.push(format!(
                "{key}.denominate: the variant changes denominators, but {} has no denomination step, so they \
                 would change nothing; add `pipeline = {{ denominate = {{}} }}` to the variant (or to the \
                 methodology's [pipeline])",
                if self.skip.iter().any(|s| s == "denominate") {
                    "the variant skips the denomination step (`skip = [\"denominate\"]`)".to_string()
                } else {
                    format!("methodology `{}`", m.id)
                }
            ));
        }
        for (id, spec) in &self.normalise {
            match indicator_mut(m, id, &format!("{key}.normalise")) {
                Ok(i) => i.normalise = Some(spec.clone()),
                Err(e) => problems.push(e.to_string()),
            }
        }
        for (id, spec) in &self.treat {
            match indicator_mut(m, id, &format!("{key}.treat")) {
                Ok(i) => i.treat = Some(spec.clone()),
                Err(e) => problems.push(e.to_string()),
            }
        }
        for (id, spec) in &self.aggregate {
            if m.index.id == *id {
                m.index.aggregate = Some(spec.clone());
            } else if let Some(n) = m.nodes.iter_mut().find(|n| &n.id == id) {
                n.aggregate = Some(spec.clone());
            } else {
                let nodes = std::iter::once(m.index.id.as_str()).chain(m.nodes.iter().map(|n| n.id.as_str()));
                let hint = crate::diagnostic::did_you_mean(id, nodes, 2).map_or(String::new(), |d| format!("; {d}"));
                problems.push(format!(
                    "{key}.aggregate.{id}: no aggregate node `{id}` in methodology `{}`{hint}",
                    m.id
                ));
            }
        }
        if let Some(t) = &self.tiers {
            m.tiers = t.clone();
        }
        if let Some(scales) = &self.peer_scales
            && let Err(e) = set_peer_scales(m, scales, key)
        {
            problems.push(e.to_string());
        }
        if !self.drop.is_empty()
            && let Err(e) = drop_parts(m, &self.drop, key)
        {
            problems.push(format!("{e:#}"));
        }
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        Ok(())
    }
}

/// Makes a variant's change to indicator `i`'s denominator (`key` names it in errors).
fn change_denominator(i: &mut IndicatorSpec, change: &DenominatorChange, key: &str) -> Result<()> {
    let scale_ok = |scale: f64| -> Result<f64> {
        if scale.is_finite() && scale > 0.0 {
            Ok(scale)
        } else {
            bail!("{key}.scale: expected a finite number > 0, got {scale}")
        }
    };
    match change {
        DenominatorChange::Variable(v)
        | DenominatorChange::Table(DenominatorTable {
            denominator: Some(v),
            scale: None,
        }) => {
            if v.trim().is_empty() {
                bail!("{key}: give the dataset variable to divide by, or `false` for none");
            }
            // A scale factor belongs to the denominator it scales.
            i.denominator = Some(v.clone());
            i.denominator_scale = None;
        }
        DenominatorChange::Off(false) => {
            i.denominator = None;
            i.denominator_scale = None;
        }
        DenominatorChange::Off(true) => {
            bail!(
                "{key}: `true` names no denominator; give the dataset variable to divide by (e.g. \"Population\"), \
                 or `false` for none"
            )
        }
        DenominatorChange::Table(DenominatorTable {
            denominator: Some(v),
            scale: Some(scale),
        }) => {
            if v.trim().is_empty() {
                bail!("{key}.denominator: give the dataset variable to divide by");
            }
            i.denominator = Some(v.clone());
            i.denominator_scale = Some(scale_ok(*scale)?);
        }
        DenominatorChange::Table(DenominatorTable {
            denominator: None,
            scale: Some(scale),
        }) => {
            let scale = scale_ok(*scale)?;
            if i.denominator.is_none() {
                bail!(
                    "{key}.scale: indicator `{}` has no denominator to scale; give `denominator` too",
                    i.id
                );
            }
            i.denominator_scale = Some(scale);
        }
        DenominatorChange::Table(DenominatorTable {
            denominator: None,
            scale: None,
        }) => bail!("{key}: give `denominator`, `scale` or both"),
    }
    Ok(())
}

/// Replaces the methodology's per-group rating scales (`key` names the override for
/// errors).
fn set_peer_scales(m: &mut Manifest, scales: &[Vec<String>], key: &str) -> Result<()> {
    let id = m.id.clone();
    let Some(spec) = m.peer_groups.as_mut() else {
        bail!("{key}.peer_scales: methodology `{id}` rates no peer groups");
    };
    spec.scales = scales.to_vec();
    Ok(())
}

fn indicator_mut<'a>(m: &'a mut Manifest, id: &str, key: &str) -> Result<&'a mut IndicatorSpec> {
    let mid = m.id.clone();
    let m_ids: Vec<String> = m.indicators.iter().map(|i| i.id.clone()).collect();
    m.indicators
        .iter_mut()
        .find(|i| i.id == id)
        .with_context(|| format!("{key}.{id}: no indicator `{id}` in methodology `{mid}`"))
        .map_err(|e| {
            let hint = crate::diagnostic::did_you_mean(id, m_ids.iter().map(String::as_str), 2);
            anyhow::anyhow!("{e}{}", hint.map_or(String::new(), |d| format!("; {d}")))
        })
}

/// The error for a node or indicator `id` that `m` does not have, at key path `at`.
fn no_part(m: &Manifest, at: &str, id: &str) -> anyhow::Error {
    let ids = m
        .nodes
        .iter()
        .map(|n| n.id.as_str())
        .chain(m.indicators.iter().map(|i| i.id.as_str()));
    anyhow::anyhow!(
        "{at}: no node or indicator `{id}` in methodology `{}`{}",
        m.id,
        crate::diagnostic::did_you_mean(id, ids, 2).map_or(String::new(), |d| format!("; {d}"))
    )
}

/// Removes the named indicators and nodes (with their subtrees), then any node
/// left without children.
fn drop_parts(m: &mut Manifest, ids: &[String], key: &str) -> Result<()> {
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !(m.nodes.iter().any(|n| &n.id == *id) || m.indicators.iter().any(|i| &i.id == *id)))
        .map(|id| no_part(m, &format!("{key}.drop"), id).to_string())
        .collect();
    if !unknown.is_empty() {
        bail!("{}", unknown.join("\n"));
    }
    let mut gone: Vec<String> = ids.to_vec();
    loop {
        let before = gone.len();
        for n in &m.nodes {
            if gone.contains(&n.parent) && !gone.contains(&n.id) {
                gone.push(n.id.clone());
            }
        }
        if gone.len() == before {
            break;
        }
    }
    m.indicators
        .retain(|i| !gone.contains(&i.id) && !gone.contains(&i.parent));
    loop {
        let empty: Vec<String> = m
            .nodes
            .iter()
            .filter(|n| !m.nodes.iter().any(|c| c.parent == n.id) && !m.indicators.iter().any(|i| i.parent == n.id))
            .map(|n| n.id.clone())
            .collect();
        let before = m.nodes.len();
        m.nodes.retain(|n| !empty.contains(&n.id) && !gone.contains(&n.id));
        if m.nodes.len() == before {
            break;
        }
    }
    if m.indicators.is_empty() {
        bail!("{key}.drop: dropping {} leaves no indicator", ids.join(", "));
    }
    Ok(())
}

/// Sandbox limits as written in an edition file; absent values take the defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Fuel (deterministic units of CPU work) per plugin call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub fuel: Option<u64>,
    /// Linear memory per plugin instance, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory_mib: Option<u64>,
    /// Size of what one plugin call may return, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub output_mib: Option<u64>,
}

impl LimitsSpec {
    /// `self` with the values set in `over` replacing its own.
    pub fn overridden_by(&self, over: &LimitsSpec) -> LimitsSpec {
        LimitsSpec {
            fuel: over.fuel.or(self.fuel),
            memory_mib: over.memory_mib.or(self.memory_mib),
            output_mib: over.output_mib.or(self.output_mib),
        }
    }

    /// The limits, with defaults for what is not set.
    pub fn resolve(&self) -> Limits {
        let d = Limits::default();
        Limits {
            fuel: self.fuel.unwrap_or(d.fuel),
            memory_bytes: self
                .memory_mib
                .map_or(d.memory_bytes, |m| (m as usize).saturating_mul(1 << 20)),
            output_bytes: self
                .output_mib
                .map_or(d.output_bytes, |m| (m as usize).saturating_mul(1 << 20)),
        }
    }
}

/// The TOML table of the file at `path` when it is an edition: a `.toml` file with
/// a `methodology` or a `dataset` key (a manifest has neither; an edition missing
/// one of them still counts, so that it is told what it lacks).
pub fn edition_table(path: &Path) -> Option<toml::Table> {
    if !path.is_file() || !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
        return None;
    }
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    (doc.contains_key("methodology") || doc.contains_key("dataset")).then_some(doc)
}

/// Where a methodology comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// A Rust plugin crate, built (and componentised) when its component is missing or stale.
    Crate(PathBuf),
    /// A Python plugin directory (`methodology.py` + `methodology.toml`), built with componentize-py.
    Python(PathBuf),
    /// A JavaScript plugin directory (`methodology.js` + `methodology.toml`), built with componentize-qjs (QuickJS).
    JavaScript(PathBuf),
    /// A ready component file.
    Component(PathBuf),
    /// A declarative manifest (`methodology.toml`): no code; every indicator says
    /// where its values come from (`from` or `formula`), and the host computes them.
    Manifest(PathBuf),
}

impl PluginSource {
    /// Classifies a path: a `.toml` file is a declarative manifest, another file a
    /// component; a directory is a Rust crate (`Cargo.toml`), a Python plugin
    /// (`methodology.py`), a JavaScript plugin (`methodology.js`) or, with only a
    /// `methodology.toml`, a declarative manifest.
    pub fn from_path(path: &Path) -> Result<PluginSource> {
        if path.is_dir() {
            if path.join("Cargo.toml").is_file() {
                return Ok(PluginSource::Crate(path.to_path_buf()));
            }
            if path.join("methodology.py").is_file() {
                return Ok(PluginSource::Python(path.to_path_buf()));
            }
            if path.join("methodology.js").is_file() {
                return Ok(PluginSource::JavaScript(path.to_path_buf()));
            }
            if path.join("methodology.toml").is_file() {
                return Ok(PluginSource::Manifest(path.join("methodology.toml")));
            }
            bail!(
                "`{}` is a directory with no methodology in it; name a methodology manifest (`.toml`), a plugin \
                 directory (with `Cargo.toml`, `methodology.py` or `methodology.js`) or a component `.wasm` file",
                path.display()
            );
        }
        if path.is_file() {
            if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
                // An edition names a methodology; it is not one.
                if let Some(doc) = edition_table(path) {
                    let named = doc
                        .get("methodology")
                        .and_then(|m| m.as_str())
                        .map(|m| {
                            let at = path.parent().unwrap_or(Path::new(".")).join(m);
                            format!("; its methodology is `{}`", at.display())
                        })
                        .unwrap_or_default();
                    bail!("`{}` is an edition file, not a methodology{named}", path.display());
                }
                return Ok(PluginSource::Manifest(path.to_path_buf()));
            }
            return Ok(PluginSource::Component(path.to_path_buf()));
        }
        bail!(
            "`{}` does not exist{}",
            path.display(),
            crate::diagnostic::did_you_mean_path(path)
        )
    }

    /// The path it names.
    pub fn path(&self) -> &Path {
        match self {
            PluginSource::Crate(p)
            | PluginSource::Python(p)
            | PluginSource::JavaScript(p)
            | PluginSource::Component(p)
            | PluginSource::Manifest(p) => p,
        }
    }
}

/// An edition with every setting resolved: paths absolute, limits final.
#[derive(Debug, Clone)]
pub struct ResolvedEdition {
    /// The edition file.
    pub path: PathBuf,
    /// SHA-256 of the edition file's bytes.
    pub sha256: String,
    /// Its contents.
    pub edition: Edition,
    /// The methodology's component source.
    pub plugin: PluginSource,
    /// The dataset description.
    pub dataset: PathBuf,
    /// Final sandbox limits (defaults < edition file < flags).
    pub limits: Limits,
    /// The variant to run, if any (its name is a key of `edition.variants`).
    pub variant: Option<String>,
    /// Panel scoring (the variant's, else the edition's).
    pub panel: Option<PanelSpec>,
    /// The expert panel whose weights apply (the variant's changes made, its file
    /// resolved against the edition file's folder).
    pub experts: Option<ExpertsSpec>,
    /// That panel's file, read and checked row by row once (its hash is of the
    /// bytes whose judgements are used).
    pub expert_panel: Option<crate::experts::Panel>,
}

/// The problems of a `[panel]` table at `key`, one line each (`key.weights: …`).
fn panel_problems(p: &PanelSpec, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    if p.years.is_empty() || p.years.len() != p.weights.len() {
        out.push(format!(
            "{key}: give one weight per year (years: {}, weights: {})",
            p.years.len(),
            p.weights.len()
        ));
    }
    if p.weights.iter().any(|w| !w.is_finite() || *w < 0.0) || p.weights.iter().sum::<f64>() <= 0.0 {
        out.push(format!(
            "{key}.weights: expected non-negative weights with a positive sum"
        ));
    }
    for (i, y) in p.years.iter().enumerate() {
        if p.years[..i].contains(y) {
            out.push(format!(
                "{key}.years[{i}]: {y} is listed twice; give each year once, with its weight"
            ));
        }
    }
    for (i, s) in p.by_year.iter().enumerate() {
        if p.by_year[..i].contains(s) {
            out.push(format!(
                "{key}.by_year[{i}]: \"{}\" is listed twice; name each step once",
                s.as_str()
            ));
        }
    }
    out
}

impl ResolvedEdition {
    /// Loads the edition at `path` (validated against the edition schema) and
    /// resolves it with the limits given on the command line.
    pub fn load(path: &Path, flag_limits: &LimitsSpec) -> Result<ResolvedEdition> {
        Self::load_variant(path, flag_limits, None)
    }

    /// As [`ResolvedEdition::load`], selecting the variant `variant`.
    pub fn load_variant(path: &Path, flag_limits: &LimitsSpec, variant: Option<&str>) -> Result<ResolvedEdition> {
        let bytes =
            crate::fsutil::read_file(path).with_context(|| format!("cannot read edition file `{}`", path.display()))?;
        let sha256 = crate::digest::sha256_hex(&bytes);
        let file = path.display();
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{file}: not an edition file: it is not UTF-8 text (an edition is TOML)"))?;
        let edition: Edition = crate::schema::parse_toml(&text, &file.to_string())?;
        // Every problem at once, each at its place in the file.
        let mut problems: Vec<String> = Vec::new();
        if edition.schema_version != EDITION_SCHEMA_VERSION {
            problems.push(format!(
                "schema_version: this host reads edition version {EDITION_SCHEMA_VERSION}, got {}",
                edition.schema_version
            ));
        }
        if let Some(tiers) = &edition.tiers
            && let Err(e) = crate::methodology::check_tiers(tiers)
        {
            // check_tiers names `tiers…` itself.
            problems.push(e.to_string());
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let plugin = match PluginSource::from_path(&base.join(&edition.methodology)) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(format!("methodology: {e}"));
                None
            }
        };
        let missing_dataset = |key: &str, d: &Path| -> Option<String> {
            let at = base.join(d);
            (!at.is_file()).then(|| {
                format!(
                    "{key}: `{}` does not exist (a dataset description, relative to the edition file){}",
                    at.display(),
                    crate::diagnostic::did_you_mean_path(&at)
                )
            })
        };
        // The dataset this run reads (another variant's is checked when it runs, and
        // by `cityrank validate`, which loads every variant).
        match variant.and_then(|v| edition.variants.get(v).map(|x| (v, x))) {
            Some((name, v)) if v.dataset.is_some() => {
                problems.extend(
                    v.dataset
                        .as_deref()
                        .and_then(|d| missing_dataset(&format!("variants.{name}.dataset"), d)),
                );
            }
            _ => problems.extend(missing_dataset("dataset", &edition.dataset)),
        }
        let panels = std::iter::once(("panel".to_string(), edition.panel.as_ref())).chain(
            edition
                .variants
                .iter()
                .map(|(name, v)| (format!("variants.{name}.panel"), v.panel.as_ref())),
        );
        for (key, panel) in panels {
            if let Some(p) = panel {
                problems.extend(panel_problems(p, &key));
            }
        }
        // Every variant's expert panel resolves, and its file exists.
        let experts_of = std::iter::once(("experts".to_string(), None)).chain(
            edition
                .variants
                .iter()
                .map(|(name, v)| (format!("variants.{name}.experts"), v.experts.as_ref())),
        );
        for (key, over) in experts_of {
            match resolve_experts(edition.experts.as_ref(), over, &key) {
                Err(p) => problems.push(p),
                Ok(Some(e)) => {
                    // Each setting is checked where it is written.
                    let here = |set: fn(&ExpertsOverride) -> bool| key == "experts" || over.is_some_and(set);
                    let at = base.join(&e.file);
                    if here(|o| o.file.is_some()) && !at.is_file() {
                        problems.push(format!(
                            "{key}.file: `{}` does not exist (the expert panel file, relative to the edition file){}",
                            at.display(),
                            crate::diagnostic::did_you_mean_path(&at)
                        ));
                    }
                    if here(|o| o.max_cr.is_some()) && e.max_cr.is_some_and(|m| !(m.is_finite() && m >= 0.0)) {
                        problems.push(format!("{key}.max_cr: expected a consistency ratio ≥ 0, e.g. 0.1"));
                    }
                }
                Ok(None) => {}
            }
        }
        if !problems.is_empty() {
            let source = crate::diagnostic::Source::new(file.to_string(), text);
            let mut rendered: Vec<String> = problems.iter().map(|p| source.render(p)).collect();
            // In the order of the file.
            let place = |r: &String| -> (usize, usize) {
                let mut parts = r.get(source.name.len() + 1..).unwrap_or("").splitn(3, ':');
                let mut number = || parts.next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX);
                (number(), number())
            };
            rendered.sort_by_key(place);
            crate::diagnostic::bail_all(&file.to_string(), rendered)?;
        }
        let plugin = plugin.context("internal error: a methodology problem was not reported")?;
        let chosen = variant.and_then(|v| edition.variants.get(v));
        let dataset = base.join(chosen.and_then(|v| v.dataset.as_ref()).unwrap_or(&edition.dataset));
        let panel = chosen.and_then(|v| v.panel.clone()).or_else(|| edition.panel.clone());
        let experts = resolve_experts(
            edition.experts.as_ref(),
            chosen.and_then(|v| v.experts.as_ref()),
            "experts",
        )
        .map_err(|e| anyhow::anyhow!("{file}: {e}"))?
        .map(|e| ExpertsSpec {
            file: base.join(&e.file),
            ..e
        });
        let limits = edition.limits.overridden_by(flag_limits).resolve();
        if let Some(v) = variant
            && !edition.variants.contains_key(v)
        {
            let known: Vec<&str> = edition.variants.keys().map(String::as_str).collect();
            bail!(
                "{file}: no variant `{v}`; {}",
                if known.is_empty() {
                    "this edition defines none".to_string()
                } else {
                    format!("its variants are: {}", known.join(", "))
                }
            );
        }
        Ok(ResolvedEdition {
            path: path.to_path_buf(),
            sha256,
            edition,
            plugin,
            dataset,
            limits,
            variant: variant.map(str::to_string),
            panel,
            expert_panel: experts
                .as_ref()
                .map(|e| crate::experts::Panel::load(&e.file, e.sheet.as_deref()))
                .transpose()?,
            experts,
        })
    }

    /// The dataset variables that the variants running on this edition's dataset
    /// (those without a dataset of their own, or with this one) and the sensitivity
    /// analysis's alternatives name as denominators, each with its key path
    /// (`variants.NAME.denominate.ID`): the rows derived once serve every variant,
    /// so these variables are read with them.
    pub fn variant_denominators(&self) -> Vec<(String, String)> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let named = |v: &Variant, key: &str| -> Vec<(String, String)> {
            v.denominate
                .iter()
                .filter_map(|(id, change)| {
                    let variable = match change {
                        DenominatorChange::Variable(d) => d,
                        DenominatorChange::Table(DenominatorTable {
                            denominator: Some(d), ..
                        }) => d,
                        _ => return None,
                    };
                    Some((format!("{key}.denominate.{id}"), variable.clone()))
                })
                .collect()
        };
        let here = |v: &Variant| base.join(v.dataset.as_ref().unwrap_or(&self.edition.dataset)) == self.dataset;
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, v) in &self.edition.variants {
            if here(v) {
                out.extend(named(v, &format!("variants.{name}")));
            }
        }
        if let Some(spec) = &self.edition.sensitivity {
            for (i, input) in spec.inputs.iter().enumerate() {
                for (j, v) in input.alternatives.iter().enumerate() {
                    if here(v) {
                        out.extend(named(v, &format!("sensitivity.inputs[{i}].alternatives[{j}]")));
                    }
                }
            }
        }
        out
    }

    /// Refuses a methodology whose SHA-256 (`sha256`; its manifest's is
    /// `manifest_sha256`) is not the one the edition pins (`methodology_sha256`,
    /// hex in either case). The error is located in the edition file, names both
    /// hashes and the fix. `Ok(true)` when a pin was checked, `Ok(false)` when the
    /// edition pins nothing.
    pub fn check_pin(&self, sha256: &str, manifest_sha256: &str, label: &str) -> Result<bool> {
        let Some(pinned) = &self.edition.methodology_sha256 else {
            return Ok(false);
        };
        let pinned = pinned.to_ascii_lowercase();
        if pinned == sha256 {
            return Ok(true);
        }
        let why = if pinned == manifest_sha256 {
            "the pinned hash is the methodology's manifest_sha256; pin its sha256 (of the component, which holds the \
             manifest) instead"
                .to_string()
        } else {
            "either the methodology changed since it was pinned (restore the pinned version), or the pinned hash is \
             not this methodology's"
                .to_string()
        };
        let problem = format!(
            "methodology_sha256: the edition pins methodology {pinned}, but `{label}` ({}) has {sha256}: {why}; if \
             this methodology is the one meant, set methodology_sha256 = \"{sha256}\"",
            self.edition.methodology.display()
        );
        let file = self.path.display().to_string();
        match std::fs::read_to_string(&self.path) {
            Ok(text) => bail!("{}", crate::diagnostic::Source::new(file, text).render(&problem)),
            Err(_) => bail!("{file}: {problem}"),
        }
    }

    /// The expert panel of `spec` checked against `manifest`'s framework, every
    /// expert's judgements prepared (see [`crate::experts`]).
    pub fn panel_weights(&self, spec: &ExpertsSpec, manifest: &Manifest) -> Result<crate::experts::PreparedPanel> {
        let loaded;
        let panel = match &self.expert_panel {
            Some(p)
                if self
                    .experts
                    .as_ref()
                    .is_some_and(|e| e.file == spec.file && e.sheet == spec.sheet) =>
            {
                p
            }
            _ => {
                loaded = crate::experts::Panel::load(&spec.file, spec.sheet.as_deref())?;
                &loaded
            }
        };
        let framework = manifest.framework()?;
        crate::experts::PreparedPanel::prepare(panel, Some(crate::experts::targets_of(&framework)), &spec.settings())
            .with_context(|| format!("the expert panel of {}", self.path.display()))
    }

    /// `variant` with its `experts` changes turned into the weights they give
    /// (`weights` of the children of every node the panel judges; the variant's
    /// own `weights` win), so that it applies like any variant, e.g. as an
    /// alternative of a sensitivity input. `key` names it in errors.
    pub fn with_panel_weights(&self, variant: &Variant, manifest: &Manifest, key: &str) -> Result<Variant> {
        let Some(over) = &variant.experts else {
            return Ok(variant.clone());
        };
        let base = self.path.parent().unwrap_or(Path::new("."));
        let spec = resolve_experts(self.edition.experts.as_ref(), Some(over), key)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))?
            .map(|e| ExpertsSpec {
                file: base.join(&e.file),
                ..e
            })
            .context("internal error: a variant's panel did not resolve")?;
        let mut out = variant.clone();
        out.experts = None;
        for (_, weights) in self.panel_weights(&spec, manifest)?.weights()? {
            for (child, w) in weights {
                out.weights.entry(child).or_insert(w);
            }
        }
        Ok(out)
    }

    /// The methodology's manifest as this edition runs it: the edition's tiers, the
    /// expert panel's weights and the variant's changes applied.
    pub fn effective_manifest(&self, manifest: &Manifest) -> Result<Manifest> {
        let mut m = manifest.clone();
        let file = self.path.display();
        if let Some(t) = &self.edition.tiers {
            m.tiers = t.clone();
        }
        if let Some(scales) = &self.edition.peer_scales {
            set_peer_scales(&mut m, scales, &file.to_string())?;
        }
        // The panel's weights replace the methodology's, before a variant's changes
        // (which may drop parts the panel judged, or set weights of their own).
        if let Some(spec) = &self.experts {
            for (node, weights) in self.panel_weights(spec, &m)?.weights()? {
                for (child, w) in weights {
                    if let Some(n) = m.nodes.iter_mut().find(|n| n.id == child && n.parent == node) {
                        n.weight = w;
                    } else if let Some(i) = m.indicators.iter_mut().find(|i| i.id == child && i.parent == node) {
                        i.weight = w;
                    }
                }
            }
        }
        let variant = self
            .variant
            .as_ref()
            .and_then(|n| self.edition.variants.get(n).map(|v| (n, v)));
        if let Some((name, v)) = variant {
            m = v.apply(&m, &format!("variants.{name}")).map_err(|e| {
                // Point into the edition file, each problem at its place:
                // `file:line:column: variants.x.weights.y: …`.
                let source = crate::diagnostic::Source::new(
                    file.to_string(),
                    std::fs::read_to_string(&self.path).unwrap_or_default(),
                );
                let text = format!("{e:#}");
                let rendered: Vec<String> = text.lines().map(|l| source.render(l)).collect();
                crate::diagnostic::bail_all(&file.to_string(), rendered)
                    .err()
                    .unwrap_or(e)
            })?;
        }
        // Replaced tiers must still fit the per-group scales.
        if let Some(spec) = &m.peer_groups {
            let replaced = self.edition.tiers.is_some() || variant.is_some_and(|(_, v)| v.tiers.is_some());
            spec.scale_indices(&m.tiers).map_err(|e| {
                let hint = if replaced {
                    "; tiers replaced by an edition or variant must keep the labels of the methodology's per-group \
                     scales, or replace them too with `peer_scales` (`peer_scales = []` rates every group on the \
                     whole tier list)"
                } else {
                    ""
                };
                anyhow::anyhow!("{file}: {e}{hint}")
            })?;
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_is_the_earliest_step_a_variant_touches() {
        let mut v = Variant::default();
        assert_eq!(v.reach(), Phase::Later);
        v.weights.insert("p".into(), 2.0);
        assert_eq!(v.reach(), Phase::Later);
        v.normalise.insert("x".into(), NormaliseSpec::default());
        assert_eq!(v.reach(), Phase::Normalise);
        v.skip.push("treat".into());
        assert_eq!(v.reach(), Phase::Treat);
        let mut d = Variant::default();
        d.denominate
            .insert("x".into(), DenominatorChange::Variable("population".into()));
        assert_eq!(d.reach(), Phase::Prepare);
        v.drop.push("x".into());
        assert_eq!(v.reach(), Phase::Prepare);
    }
}
