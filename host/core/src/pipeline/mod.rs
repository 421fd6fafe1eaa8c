//! The pipeline: from the derived indicator values of every unit to stage tables,
//! node scores, ranks and tiers.
//!
//! Steps run in COINr's order — denominate → impute → screen → treat → normalise
//! → weight → aggregate → rank → tier — each as the manifest (after an edition's
//! variant) selects it. This module knows nothing about files or wasmtime: steps a
//! methodology assigns to its plugin go through the [`CustomSteps`] trait, which the
//! caller implements (with the sandbox, in [`crate::run`]).

use std::any::Any;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, anyhow, bail};
use cityrank_steps::aggregate::{self as agg, MissingPolicy};
use cityrank_steps::impute::{self};
use cityrank_steps::normalise::{self as norm, Normaliser};
use cityrank_steps::treat::TreatReport;
use cityrank_steps::{Direction, StepError, weight as wt};

use crate::methodology::{AggregateSpec, Framework, Manifest, Penalty, PluginParams, RescaleSpec, WeightSpec};

mod level;
mod prepare;
mod rank;
mod scale;

pub use level::{LevelOptimisation, check_level, levels};
use prepare::prepare;
pub use rank::{Ranking, rank, ranking_rule, tier_plan};
pub use scale::scaling_of;
pub use scale::treatment_of;
use scale::{normalise, treat};

/// A numeric column with its id.
pub type NamedColumn = (String, Vec<f64>);

/// Runs pipeline steps with a methodology's own code.
pub trait CustomSteps {
    /// Runs `method` of `step` on `data` (for framework node `node`, empty for
    /// whole-table steps) with JSON `params`; returns the output columns (same
    /// units, same order).
    fn run(
        &mut self,
        step: &str,
        method: &str,
        params: &PluginParams,
        node: &str,
        units: &[String],
        data: Vec<NamedColumn>,
    ) -> Result<Vec<NamedColumn>>;
}

/// A [`CustomSteps`] for methodologies without plugin steps: any call is an error.
pub struct NoCustomSteps;

impl CustomSteps for NoCustomSteps {
    fn run(
        &mut self,
        step: &str,
        method: &str,
        _: &PluginParams,
        _: &str,
        _: &[String],
        _: Vec<NamedColumn>,
    ) -> Result<Vec<NamedColumn>> {
        bail!("step `{step}` names the plugin method `{method}`, but no plugin is available here")
    }
}

/// What the pipeline reads besides the indicators: the units and the dataset's
/// other columns (group columns for imputation, variables for denominators).
pub struct Context<'a> {
    /// Unit ids, in dataset order.
    pub units: &'a [String],
    /// Group columns by name, one label per unit (empty = no group).
    pub groups: &'a BTreeMap<String, Vec<String>>,
    /// Numeric dataset variables by id (denominators).
    pub variables: &'a BTreeMap<String, Vec<f64>>,
    /// For panel data: the unit (an index) and the year of each row.
    pub panel: Option<PanelRows<'a>>,
}

/// The panel layout of the rows: row `r` is unit `unit[r]` in year `time[r]`.
#[derive(Debug, Clone, Copy)]
pub struct PanelRows<'a> {
    /// Unit index of each row.
    pub unit: &'a [usize],
    /// Year of each row.
    pub time: &'a [f64],
    /// The steps that run on each year's rows on their own (the edition's
    /// `panel.by_year`; by default none: every step pools the years).
    pub by_year: ByYear,
}

/// Which steps of a panel run on each year's rows on their own rather than on
/// every row at once (see [`crate::edition::PanelSpec::by_year`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByYear {
    /// Outlier treatment, year by year (COINr's `Treat` on a purse).
    pub treat: bool,
    /// Normalisation, year by year (COINr's `Normalise(purse, global = FALSE)`).
    pub normalise: bool,
}

/// The outlier treatment of one indicator (in one year, when a panel treats its
/// years on their own).
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorTreatment {
    /// Position in the manifest's indicators.
    pub indicator: usize,
    /// The year whose rows were treated together, when the panel treats each year
    /// on its own (`None`: all the rows were treated together).
    pub year: Option<i32>,
    /// What was done; its winsorised points' `unit` are positions among the kept rows.
    pub report: TreatReport,
}

/// One stage's table: rows are units, columns indicators (or nodes).
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// One of [`crate::catalogue::stage_names`].
    pub name: &'static str,
    /// Positions of the stage's units in [`Context::units`].
    pub units: Vec<usize>,
    /// Column ids.
    pub columns: Vec<String>,
    /// Column-major values (`values[c][row]`), NaN = missing.
    pub values: Vec<Vec<f64>>,
}

/// A unit removed by screening.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenedOut {
    /// Position in [`Context::units`].
    pub unit: usize,
    /// Share of indicators present.
    pub availability: f64,
    /// Share of present values that are non-zero.
    pub nonzero: f64,
    /// Whether it was removed by the `exclude` list rather than by its data.
    pub forced: bool,
}

/// A cell filled by imputation.
#[derive(Debug, Clone, PartialEq)]
pub struct Imputed {
    /// Position in [`Context::units`].
    pub unit: usize,
    /// Position in the manifest's indicators.
    pub indicator: usize,
    /// The value written.
    pub value: f64,
}

/// Options of a pipeline run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Keep a copy of every stage's table (for `--stages`).
    pub record_stages: bool,
    /// Edge weights by framework position, replacing the framework's own (e.g. the
    /// noisy weights of a sensitivity analysis); data-driven weighting still applies.
    pub weights: Option<&'a [f64]>,
    /// Memoised stages to reuse and fill.
    pub cache: Option<&'a StageCache>,
    /// Keys of the memoised stages, when the caller knows which settings they depend
    /// on (otherwise they are derived from the settings themselves).
    pub keys: Option<StageKeys>,
    /// Leave the indicators' entries of [`Outcome::scores`] empty (only aggregates
    /// are kept), to save copying when only the index matters.
    pub index_only: bool,
}

/// Cache keys of the memoised stages: equal keys promise equal settings up to and
/// including that stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StageKeys {
    /// Denominate → impute → screen.
    pub prepare: u64,
    /// … → treat.
    pub treat: u64,
    /// … → normalise.
    pub normalise: u64,
}

/// A 64-bit hash of `value` (FNV-1a over its bytes), for cache keys.
pub fn key_of(value: impl AsRef<[u8]>) -> u64 {
    value.as_ref().iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Everything a pipeline run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Stage tables, when recorded.
    pub stages: Vec<Stage>,
    /// What screening and imputation did (shared with the stage cache).
    pub prepared: Arc<PrepInfo>,
    /// Outlier treatment per indicator (and year), shared with the stage cache.
    pub treatment: Arc<Vec<IndicatorTreatment>>,
    /// Weight of every framework node (by position) as used by aggregation.
    pub weights: Vec<f64>,
    /// `scores[p][k]`: score of node `p` for kept unit `k`.
    pub scores: Vec<Vec<f64>>,
    /// Notices for the author (e.g. a child whose PCA loading has the opposite
    /// sign of its siblings', hidden by squared loadings).
    pub warnings: Vec<String>,
    /// What the optimisation of a level's weights found, when the weights are
    /// optimised by level.
    pub optimised: Option<LevelOptimisation>,
}

/// Memoised stage results, shared by the builds of a sensitivity analysis: a stage
/// whose inputs and settings are those of an earlier build is not computed again.
/// Keys are the canonical JSON of every setting the stage depends on.
#[derive(Default)]
pub struct StageCache {
    map: Mutex<HashMap<(u8, u64), Arc<dyn Any + Send + Sync>>>,
}

impl std::fmt::Debug for StageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StageCache({} entries)", self.len())
    }
}

impl StageCache {
    /// The value stored under `key`, computing and storing it with `f` if absent.
    fn get_or_try<T: Send + Sync + 'static>(&self, key: (u8, u64), f: impl FnOnce() -> Result<T>) -> Result<Arc<T>> {
        let found = self
            .map
            .lock()
            .map_err(|_| anyhow!("stage cache poisoned"))?
            .get(&key)
            .cloned();
        if let Some(v) = found.and_then(|v| v.downcast::<T>().ok()) {
            return Ok(v);
        }
        let v = Arc::new(f()?);
        self.map
            .lock()
            .map_err(|_| anyhow!("stage cache poisoned"))?
            .insert(key, v.clone());
        Ok(v)
    }

    /// Number of stored stage results.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What screening decided, besides the data.
#[derive(Debug, Clone)]
pub struct PrepInfo {
    /// Positions (in [`Context::units`]) of the units that passed screening.
    pub kept: Vec<usize>,
    /// Units removed by screening.
    pub screened_out: Vec<ScreenedOut>,
    /// Cells filled by imputation.
    pub imputed: Vec<Imputed>,
}

/// The data after screening.
#[derive(Debug)]
pub struct Prepared {
    /// Indicator columns of the kept units.
    pub x: Vec<Vec<f64>>,
    /// What screening and imputation did.
    pub info: Arc<PrepInfo>,
}

/// The data after outlier treatment.
#[derive(Debug)]
pub struct Treated {
    /// Indicator columns of the kept units.
    pub x: Vec<Vec<f64>>,
    /// Outlier treatment per indicator (and year), for indicators treated natively.
    pub reports: Arc<Vec<IndicatorTreatment>>,
}

/// Normalised indicator columns, owned by this run or shared with the stage cache.
enum Columns {
    Owned(Vec<Vec<f64>>),
    Shared(Arc<Vec<Vec<f64>>>),
}

impl Columns {
    fn get(&self) -> &[Vec<f64>] {
        match self {
            Columns::Owned(v) => v,
            Columns::Shared(v) => v,
        }
    }
}

impl Outcome {
    /// Positions (in [`Context::units`]) of the units that passed screening.
    pub fn kept(&self) -> &[usize] {
        &self.prepared.kept
    }
}

/// Runs the pipeline on `raw` (one column per manifest indicator, one value per
/// unit of `ctx`). With a stage cache in `options`, stages already computed with the
/// same settings (by earlier builds of a sensitivity analysis) are reused.
pub fn run(
    manifest: &Manifest,
    framework: &Framework,
    ctx: &Context,
    raw: Cow<'_, [Vec<f64>]>,
    options: Options,
    custom: &mut dyn CustomSteps,
) -> Result<Outcome> {
    let ids = || -> Vec<String> { manifest.indicators.iter().map(|i| i.id.clone()).collect() };
    let mut stages = Vec::new();
    let cache = if options.record_stages { None } else { options.cache };
    let keyed = match (cache, options.keys) {
        (None, _) => None,
        (Some(c), Some(k)) => Some((c, k)),
        (Some(c), None) => Some((c, derived_keys(manifest, framework))),
    };

    let (info, treatment, normalised) = match keyed {
        // Memoised: each stage is looked up, and computed from a copy of the
        // previous stage's data only when absent.
        Some((c, k)) => {
            let prepared = c.get_or_try((0, k.prepare), || {
                prepare(
                    manifest,
                    framework,
                    ctx,
                    raw.into_owned(),
                    &mut Vec::new(),
                    options,
                    custom,
                )
            })?;
            let info = prepared.info.clone();
            let kept_ids: Vec<String> = info.kept.iter().map(|&u| ctx.units[u].clone()).collect();
            let treated = c.get_or_try((1, k.treat), || {
                treat(manifest, ctx, prepared.x.clone(), &info.kept, &kept_ids, custom)
            })?;
            let normalised = c.get_or_try((2, k.normalise), || {
                normalise(manifest, ctx, treated.x.clone(), &info.kept, &kept_ids, custom)
            })?;
            (info, treated.reports.clone(), Columns::Shared(normalised))
        }
        // One run: the data move from stage to stage, no copies kept.
        None => {
            let Prepared { x, info } =
                prepare(manifest, framework, ctx, raw.into_owned(), &mut stages, options, custom)?;
            let kept_ids: Vec<String> = info.kept.iter().map(|&u| ctx.units[u].clone()).collect();
            let Treated { x, reports } = treat(manifest, ctx, x, &info.kept, &kept_ids, custom)?;
            if options.record_stages {
                stages.push(Stage {
                    name: crate::catalogue::stage::TREATED,
                    units: info.kept.clone(),
                    columns: ids(),
                    values: x.clone(),
                });
            }
            let normalised = normalise(manifest, ctx, x, &info.kept, &kept_ids, custom)?;
            if options.record_stages {
                stages.push(Stage {
                    name: crate::catalogue::stage::NORMALISED,
                    units: info.kept.clone(),
                    columns: ids(),
                    values: normalised.clone(),
                });
            }
            (info, reports, Columns::Owned(normalised))
        }
    };
    let kept = &info.kept;
    let normalised_cols = normalised.get();

    // Weight and aggregate, deepest nodes first. Indicator nodes read their
    // normalised column directly; `values` holds the aggregates.
    let positions: Vec<usize> = framework.indicators().collect();
    let mut indicator_of = vec![usize::MAX; framework.nodes.len()];
    for (i, &p) in positions.iter().enumerate() {
        indicator_of[p] = i;
    }
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); framework.nodes.len()];
    let policy: MissingPolicy = manifest.pipeline.missing.into();
    let mut weights: Vec<f64> = match options.weights {
        Some(w) if w.len() == framework.nodes.len() => w.to_vec(),
        Some(w) => bail!(
            "internal error: {} weights for {} framework nodes",
            w.len(),
            framework.nodes.len()
        ),
        None => framework.nodes.iter().map(|n| n.weight).collect(),
    };
    if manifest.pipeline.weights == WeightSpec::Equal {
        weights.iter_mut().skip(1).for_each(|w| *w = 1.0);
    }
    // Optimised weights of one level: the nodes up to that level are aggregated
    // first (by level), then the level's weights are optimised, then the rest.
    let by_level = match level::level_spec(manifest) {
        Some((l, search)) => Some((level::LevelPlan::new(manifest, framework, l)?, search)),
        None => None,
    };
    let mut order = framework.bottom_up();
    if let Some((plan, _)) = &by_level {
        order.sort_by_key(|&p| plan.levels[p]);
    }
    let mut optimised = None;
    // The GII log on an indicator whose maximum is below 1 reverses its order.
    let mut warnings: Vec<String> = treatment
        .iter()
        .filter(|t| t.report.reversed)
        .map(|t| {
            format!(
                "treating `{}`{}: the GII log (log-gii) reversed its order: its largest value is below 1, so the \
                 formula's `max − 1` is negative and its best units now score worst. Use another log \
                 (log-ct, log-ct-orig) or rescale the indicator",
                manifest.indicators[t.indicator].id,
                t.year.map_or(String::new(), |y| format!(" in {y}"))
            )
        })
        .collect();
    for &p in &order {
        if let Some((plan, search)) = &by_level
            && optimised.is_none()
            && plan.is_above(p)
        {
            let column = |c: usize| -> &[f64] {
                if indicator_of[c] == usize::MAX {
                    values[c].as_slice()
                } else {
                    &normalised_cols[indicator_of[c]]
                }
            };
            let (report, notes) = level::optimise(plan, framework, search, policy, &column, &mut weights)?;
            warnings.extend(notes);
            optimised = Some(report);
        }
        let node = &framework.nodes[p];
        let method = node.aggregate.as_ref().unwrap_or(&AggregateSpec::Arithmetic);
        let children: Vec<&[f64]> = node
            .children
            .iter()
            .map(|&c| {
                if indicator_of[c] == usize::MAX {
                    values[c].as_slice()
                } else {
                    &normalised_cols[indicator_of[c]]
                }
            })
            .collect();
        let native = native_method(method);
        let mut w: Vec<f64> = node.children.iter().map(|&c| weights[c]).collect();
        match (&manifest.pipeline.weights, native) {
            (WeightSpec::Pca { loadings }, _) if children.len() > 1 => {
                let how = if *loadings {
                    wt::PcaWeighting::Loadings
                } else {
                    wt::PcaWeighting::SquaredLoadings
                };
                let ids = child_ids(framework, node);
                w = wt::pca(&children, how).map_err(|e| weighting_error("PCA weights", &node.id, &ids, e))?;
                if !*loadings {
                    // Squared loadings hide a child that runs against the others.
                    let first = wt::first_component(&children)
                        .map_err(|e| weighting_error("PCA weights", &node.id, &ids, e))?;
                    if let Some(note) = opposite_loadings(&node.id, &ids, &first) {
                        warnings.push(format!(
                            "{note}; squared loadings weight it as if it ran with them. Check its direction"
                        ));
                    }
                }
            }
            (
                WeightSpec::Optimised {
                    level: None,
                    objective,
                    reltol,
                    max_evaluations,
                },
                Some(m),
            ) if children.len() > 1 => {
                let opts = wt::OptimiseOptions {
                    reltol: *reltol,
                    max_evaluations: *max_evaluations,
                    objective: (*objective).into(),
                    ..Default::default()
                };
                let r = wt::optimise_for_correlation(&children, None, &w, &opts, |w| {
                    agg::aggregate(m, &children, w, policy)
                })
                .map_err(|e| weighting_error("optimised weights", &node.id, &child_ids(framework, node), e))?;
                w = r.weights;
            }
            _ => {}
        }
        for (&c, &wc) in node.children.iter().zip(&w) {
            weights[c] = wc;
        }
        let column = match native {
            Some(m) => agg::aggregate(m, &children, &w, policy)
                .map_err(|e| anyhow!("aggregating `{}`: {}", node.id, describe(&e, ctx.units, kept)))?,
            None => {
                let AggregateSpec::Plugin { name, params } = method else {
                    bail!("internal error: aggregation method {method:?} has no implementation")
                };
                let data = node
                    .children
                    .iter()
                    .zip(&children)
                    .map(|(&c, v)| (framework.nodes[c].id.clone(), v.to_vec()))
                    .collect();
                let mut params = params.clone();
                params.insert("weights".into(), serde_json::json!(w));
                let kept_ids: Vec<String> = kept.iter().map(|&u| ctx.units[u].clone()).collect();
                let out = custom.run("aggregate", name, &params, &node.id, &kept_ids, data)?;
                let mut cols = columns_back(out, std::slice::from_ref(&node.id), kept.len(), "aggregate")?;
                cols.pop().unwrap_or_default()
            }
        };
        values[p] = column;
    }
    match normalised {
        _ if options.index_only => {}
        Columns::Owned(cols) => {
            for (col, &p) in cols.into_iter().zip(&positions) {
                values[p] = col;
            }
        }
        Columns::Shared(cols) => {
            for (col, &p) in cols.iter().zip(&positions) {
                values[p] = col.clone();
            }
        }
    }
    if options.record_stages {
        let mut columns: Vec<String> = positions.iter().map(|&p| framework.nodes[p].id.clone()).collect();
        let mut table: Vec<Vec<f64>> = positions.iter().map(|&p| values[p].clone()).collect();
        for &p in &order {
            columns.push(framework.nodes[p].id.clone());
            table.push(values[p].clone());
        }
        stages.push(Stage {
            name: crate::catalogue::stage::AGGREGATED,
            units: kept.clone(),
            columns,
            values: table,
        });
    }

    // Rescale the index.
    match &manifest.pipeline.rescale {
        None => {}
        Some(RescaleSpec::RelativeToBest) => {
            values[0] = norm::normalise(&values[0], Direction::HigherIsBetter, &Normaliser::RelativeToBest)
                .map_err(|e| anyhow!("rescaling the index: {}", describe(&e, ctx.units, kept)))?;
        }
        Some(RescaleSpec::MinMax { lo, hi }) => {
            values[0] = norm::min_max(&values[0], Direction::HigherIsBetter, *lo, *hi)
                .map_err(|e| anyhow!("rescaling the index: {}", describe(&e, ctx.units, kept)))?;
        }
    }
    Ok(Outcome {
        stages,
        prepared: info,
        treatment,
        weights,
        scores: values,
        warnings,
        optimised,
    })
}

/// The ids of `node`'s children, in order.
fn child_ids<'a>(framework: &'a Framework, node: &crate::methodology::Node) -> Vec<&'a str> {
    node.children.iter().map(|&c| framework.nodes[c].id.as_str()).collect()
}

/// A weighting step's error at `node` (`step`: e.g. "PCA weights"), naming the
/// children an error about a column or about loadings is about.
fn weighting_error(step: &str, node: &str, ids: &[&str], e: cityrank_steps::StepError) -> anyhow::Error {
    use cityrank_steps::StepError;
    match e {
        StepError::Degenerate { column, why } => anyhow!(
            "{step} of `{node}`: `{}` {why}; leave it out (a variant with `drop = [\"{0}\"]`) or fix its data",
            ids.get(column).copied().unwrap_or("?")
        ),
        StepError::MixedLoadings { loadings } => anyhow!(
            "{step} of `{node}`: {}; check its direction (`direction = \"lower\"` when lower is better), or use \
             squared loadings (`weights = {{ method = \"pca\" }}`)",
            opposite_loadings(node, ids, &loadings).unwrap_or_else(|| format!("loadings {loadings:?}"))
        ),
        e => anyhow!("{step} of `{node}`: {e}"),
    }
}

/// "`x3` loads negatively on the first principal component of `index` (−0.98) while
/// `x1`, `x2` load positively", when the loadings have mixed signs.
fn opposite_loadings(node: &str, ids: &[&str], loadings: &[f64]) -> Option<String> {
    let list = |neg: bool| -> Vec<String> {
        ids.iter()
            .zip(loadings)
            .filter(|(_, a)| (**a < 0.0) == neg)
            .map(|(id, a)| {
                if neg {
                    format!("`{id}` ({a:.2})")
                } else {
                    format!("`{id}`")
                }
            })
            .collect()
    };
    let (negative, positive) = (list(true), list(false));
    if negative.is_empty() || positive.is_empty() {
        return None;
    }
    Some(format!(
        "{} {} negatively on the first principal component of `{node}` while {} {} positively",
        negative.join(", "),
        if negative.len() == 1 { "loads" } else { "load" },
        positive.join(", "),
        if positive.len() == 1 { "loads" } else { "load" },
    ))
}

/// Stage keys derived from the settings themselves: the canonical JSON of every
/// setting each stage depends on, hashed (see [`crate::catalogue::cache_keys`]).
fn derived_keys(manifest: &Manifest, framework: &Framework) -> StageKeys {
    let [(_, prepare), (_, treat), (_, normalise)] = crate::catalogue::cache_keys(manifest, framework);
    StageKeys {
        prepare: key_of(&prepare),
        treat: key_of(&treat),
        normalise: key_of(&normalise),
    }
}

/// Indicators a step hands to the plugin, grouped by method and parameters so that
/// each group is one `run-step` call with all its columns.
#[derive(Default)]
struct PluginBatches(BTreeMap<String, (String, PluginParams, Vec<usize>)>);

impl PluginBatches {
    /// Adds indicator `i` to the batch of plugin method `name` with `params`.
    fn add(&mut self, name: &str, params: &PluginParams, i: usize) {
        let key = format!("{name}\u{0}{}", serde_json::to_string(params).unwrap_or_default());
        self.0
            .entry(key)
            .or_insert_with(|| (name.to_string(), params.clone(), Vec::new()))
            .2
            .push(i);
    }

    /// Runs every batch of `step` and writes the returned columns into `out`.
    fn run(
        self,
        step: &str,
        x: &[Vec<f64>],
        ids: &[String],
        kept_ids: &[String],
        custom: &mut dyn CustomSteps,
        out: &mut [Vec<f64>],
    ) -> Result<()> {
        for (name, params, cols) in self.0.into_values() {
            let data = cols.iter().map(|&i| (ids[i].clone(), x[i].clone())).collect();
            let sub: Vec<String> = cols.iter().map(|&i| ids[i].clone()).collect();
            let columns = columns_back(
                custom.run(step, &name, &params, "", kept_ids, data)?,
                &sub,
                kept_ids.len(),
                step,
            )?;
            for (&i, col) in cols.iter().zip(columns) {
                out[i] = col;
            }
        }
        Ok(())
    }
}

/// The native aggregation method of a spec (`None` for plugin methods).
pub fn native_method(spec: &AggregateSpec) -> Option<agg::Method> {
    Some(match spec {
        AggregateSpec::Arithmetic => agg::Method::Arithmetic,
        AggregateSpec::Geometric => agg::Method::Geometric,
        AggregateSpec::Harmonic => agg::Method::Harmonic,
        AggregateSpec::Generalised { p } => agg::Method::Generalised { p: *p },
        AggregateSpec::Median => agg::Method::WeightedMedian,
        AggregateSpec::Copeland => agg::Method::Copeland,
        AggregateSpec::MazziottaPareto { penalty } => agg::Method::MazziottaPareto {
            penalty: match penalty {
                Penalty::Positive => agg::MpiPenalty::Positive,
                Penalty::Negative => agg::MpiPenalty::Negative,
            },
        },
        AggregateSpec::BenefitOfTheDoubt => agg::Method::BenefitOfTheDoubt,
        AggregateSpec::Plugin { .. } => return None,
    })
}

/// Group labels of the group column `name` as indices `0..k` (sorted labels), with
/// [`impute::NO_GROUP`] for units without a label.
fn group_labels(ctx: &Context, name: &str) -> Result<Vec<usize>> {
    let labels = ctx.groups.get(name).with_context(|| {
        format!(
            "pipeline.impute.group: `{name}` is not a group column of the dataset (its groups: {})",
            ctx.groups.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
        )
    })?;
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    Ok(group_index(&refs)
        .into_iter()
        .map(|g| g.unwrap_or(impute::NO_GROUP))
        .collect())
}

/// Group labels as indices `0..k` in sorted label order (`None` for an empty label).
pub fn group_index(labels: &[&str]) -> Vec<Option<usize>> {
    // Groups are few: collect the distinct labels by a linear scan, then sort them.
    let mut distinct: Vec<&str> = Vec::new();
    for &l in labels {
        if !l.is_empty() && !distinct.contains(&l) {
            distinct.push(l);
        }
    }
    distinct.sort_unstable();
    labels.iter().map(|l| distinct.iter().position(|d| d == l)).collect()
}

fn unit_positions(ctx: &Context, ids: &[String], key: &str) -> Result<Vec<usize>> {
    ids.iter()
        .map(|id| {
            ctx.units
                .iter()
                .position(|u| u == id)
                .with_context(|| format!("{key}: no unit `{id}` in the dataset"))
        })
        .collect()
}

/// Checks a plugin step's output columns against the expected ids and length.
fn columns_back(out: Vec<NamedColumn>, ids: &[String], n: usize, step: &str) -> Result<Vec<Vec<f64>>> {
    if out.len() != ids.len() {
        bail!(
            "the plugin's `{step}` returned {} column(s), {} expected",
            out.len(),
            ids.len()
        );
    }
    out.into_iter()
        .zip(ids)
        .map(|((id, v), want)| {
            if &id != want {
                bail!(
                    "the plugin's `{step}` returned column `{}` where `{want}` was expected",
                    crate::diagnostic::shown_name(&id)
                );
            }
            if v.len() != n {
                bail!(
                    "the plugin's `{step}` returned {} values for `{want}`, {n} expected",
                    v.len()
                );
            }
            Ok(v)
        })
        .collect()
}

fn step_err(what: &'static str) -> impl Fn(StepError) -> anyhow::Error {
    move |e| anyhow!("{what}: {e}")
}

/// A step error with unit positions replaced by unit ids (`rows` maps the step's
/// rows to positions in `units`).
fn describe(e: &StepError, units: &[String], rows: &[usize]) -> anyhow::Error {
    match e {
        StepError::Domain {
            method,
            units: bad,
            needs,
            hint,
        } => {
            let shown: Vec<&str> = bad
                .iter()
                .take(10)
                .filter_map(|&r| rows.get(r).and_then(|&u| units.get(u)))
                .map(String::as_str)
                .collect();
            let more = if bad.len() > shown.len() {
                format!(" and {} more", bad.len() - shown.len())
            } else {
                String::new()
            };
            let hint = if hint.is_empty() {
                String::new()
            } else {
                format!("; {hint}")
            };
            anyhow!(
                "{method} needs {needs}, but unit(s) {}{more} do not qualify{hint}",
                shown.join(", ")
            )
        }
        other => anyhow!("{other}"),
    }
}
