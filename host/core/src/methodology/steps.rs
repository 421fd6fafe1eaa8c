//! The standard steps a methodology selects by name, with their parameters, as
//! written in a manifest's `[pipeline]` table (and overridden per indicator, per
//! node, or by an edition's variant). Each maps onto a function of
//! `cityrank-steps`; `method = "plugin"` hands the step to the plugin's own code.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

fn hundred() -> f64 {
    100.0
}
fn one_f() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}

/// Parameters handed to a plugin's own step, as JSON.
pub type PluginParams = BTreeMap<String, serde_json::Value>;

/// Denomination: each indicator that names a `denominator` is divided by
/// `denominator ÷ scale` (COINr `Denominate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DenominateSpec {
    /// Scale factor: the indicator is divided by `denominator / scale` (default 1;
    /// an indicator's `denominator_scale` replaces it).
    #[serde(default = "one_f")]
    pub scale: f64,
}

/// A variant's change to one indicator's denominator (its `denominate` table,
/// by indicator id): a dataset variable (`Goods = "Population"`, the scale then
/// the pipeline's), `false` (not denominated), or a table with the variable and
/// its scale factor (`Goods = { denominator = "Population", scale = 1000 }`;
/// either key alone changes only that, the scale alone keeping the variable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DenominatorChange {
    /// The dataset variable the indicator is divided by (COINr's `Denominator`);
    /// the indicator's own scale factor, if any, goes with its old denominator.
    Variable(String),
    /// `false`: the indicator is not denominated.
    Off(bool),
    /// The variable, its scale factor, or both.
    Table(DenominatorTable),
}

/// The table form of [`DenominatorChange`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DenominatorTable {
    /// The dataset variable the indicator is divided by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// Its scale factor (COINr's `ScaleFactor`): the indicator is divided by
    /// `denominator / scale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub scale: Option<f64>,
}

/// Imputation of missing indicator values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ImputeSpec {
    /// No imputation: missing values stay missing.
    None,
    /// The indicator's mean over all units.
    Mean,
    /// The indicator's median over all units.
    Median,
    /// The indicator's mean within the unit's group (a group column of the dataset).
    GroupMean {
        /// The dataset's group column.
        group: String,
    },
    /// The indicator's median within the unit's group.
    GroupMedian {
        /// The dataset's group column.
        group: String,
    },
    /// The mean of the unit's other indicators under the same parent node (values
    /// min-max normalised first, so indicators of different units can be averaged,
    /// then mapped back to the indicator's scale; COINr `impute_by = "row"`).
    RowMean,
    /// As `row-mean`, with the median.
    RowMedian,
    /// Panel data: the unit's latest earlier observation (last observation carried
    /// forward), looking back at most `max_steps` years (COINr `imp_type = "latest"`).
    Latest {
        /// How many earlier years may be looked at (default: all).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_steps: Option<usize>,
    },
    /// Panel data: linear interpolation in time between the unit's observations (the
    /// nearest observation before the first or after the last).
    Linear,
    /// Panel data: the previous observation, or the first one before it.
    Constant,
    /// The plugin's own code (`run-step` with step `impute`, the whole table at once).
    Plugin {
        /// Method name passed to the plugin.
        name: String,
        /// Parameters passed to the plugin.
        #[serde(default)]
        params: PluginParams,
    },
}

/// Screening: units with too little data are removed (and listed in the results).
/// Give `min_availability`, `min_nonzero` or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenSpec {
    /// Units whose share of indicators present is strictly below this are removed
    /// (COINr `dat_thresh`, 0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_availability: Option<f64>,
    /// Units whose share of non-zero values (among those present) is strictly below
    /// this are removed (COINr `nonzero_thresh`, 0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub min_nonzero: Option<f64>,
    /// Unit ids kept whatever their data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Unit ids removed whatever their data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// The log transform COINr's loop falls back to when the first treatment
/// (winsorisation) is not enough: COINr's `f2` (COINr 1.1.14, `R/treat.R`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LogFallback {
    /// COINr's default `log_CT`: `ln(x − min + 0.01·(max − min))`, whatever the
    /// skew's sign (also written `log-ct`).
    #[default]
    Coinr,
    /// COINr's `log_CT_plus`: `ln(x − min + a)` for a positive skew,
    /// `−ln(max + a − x)` otherwise, with `a = 0.01·(max − min)` (also written
    /// `log-ct-plus`).
    SkewAware,
    /// COINr's `log_CT`, by its COINr name: the same as `coinr`.
    LogCt,
    /// COINr's `log_CT_plus`, by its COINr name: the same as `skew-aware`.
    LogCtPlus,
    /// COINr's `log_CT_orig`: `ln(x − min + 1)`. Scale dependent: for an indicator
    /// whose range is much smaller than 1 (a share, a ratio per capita) the `+1`
    /// makes it almost linear.
    LogCtOrig,
    /// The GII's log, `ln((max − 1)·(x − min)/(max − min) + 1)`, mapping
    /// `[min, max]` onto `[0, ln max]`: the formula of COINr's `log_GII`. COINr
    /// 1.1.14 computes it but returns the values untreated (a bug); cityrank applies
    /// it, so an indicator that reaches it differs from COINr's on purpose. It
    /// assumes a maximum above 1: with a maximum below 1 it reverses the
    /// indicator's order (the run warns), with a maximum ≤ 0 it is an error.
    LogGii,
}

/// A treatment inside COINr's loop other than its defaults (COINr's `f1` or `f2`),
/// as `first` or `then` of `method = "coinr"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LoopTreatment {
    /// COINr's `boxcox(lambda, makepos)`: `(x^λ − 1)/λ`, or `ln x` when `λ = 0`,
    /// after shifting the values to `x − min + 1` when `shift` (COINr
    /// `makepos = TRUE`, so `λ = 0` with `shift` is `log_CT_orig`). Without `shift`
    /// every value must be > 0. λ > 1 increases right skew; with `shift`, an
    /// indicator whose range is much smaller than 1 is left almost linear.
    ///
    /// In COINr, `f1 = "boxcox"` must come with winsorisation's parameters removed
    /// (`f1_para = list(winmax = NULL, skew_thresh = NULL, kurt_thresh = NULL,
    /// force_win = NULL, lambda = …, makepos = …)`): `global_specs = list(f1 =
    /// "boxcox", f1_para = list(lambda = 0.5))` keeps `winmax` (the specs are
    /// merged), boxcox fails on it and COINr silently returns every failing
    /// indicator untreated, with a warning. Here `first = { method = "box-cox", … }`
    /// is the former.
    BoxCox {
        /// λ (finite).
        lambda: f64,
        /// Shift by `x − min + 1` first (COINr `makepos`).
        shift: bool,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Outlier treatment of indicators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TreatSpec {
    /// No treatment.
    None,
    /// COINr's treatment loop (COINr 1.1.14 `Treat`, `R/treat.R`), by default its
    /// default: treat only where |skew| ≥ `skew` and kurtosis ≥ `kurt`; first
    /// winsorise one point at a time on the skewed side, up to `winmax` points,
    /// while the check fails; if still failing, throw that away and apply the
    /// `log` transform to the original values instead (kept even if it fails).
    ///
    /// `first` replaces winsorisation (COINr's `f1`), `then` replaces the log
    /// (COINr's `f2`), `combine` applies the second treatment to the first one's
    /// output (COINr's `combine_treat`), `force_win` winsorises `winmax` points
    /// of an indicator that fails the check, whatever the check says after each point
    /// (COINr's `force_win`; an indicator that passes the check is left alone). Examples:
    /// `{ method = "coinr", winmax = 1, log = "log-ct-orig" }`;
    /// `{ method = "coinr", first = { method = "box-cox", lambda = 0.5, shift = true } }`.
    Coinr {
        /// Most points winsorised per indicator (COINr `winmax`, default 5; 0: no
        /// winsorisation, a failing indicator goes straight to the second treatment).
        #[serde(default = "five")]
        winmax: usize,
        /// Absolute skewness threshold (COINr `skew_thresh`, default 2).
        #[serde(default = "two")]
        skew: f64,
        /// Kurtosis threshold (COINr `kurt_thresh`, default 3.5).
        #[serde(default = "three_and_a_half")]
        kurt: f64,
        /// The second treatment, a log transform (COINr `f2`, default `log_CT`);
        /// `then` replaces it.
        #[serde(default)]
        log: LogFallback,
        /// Winsorise `winmax` points of a failing indicator even once the check
        /// passes (COINr winsorise's `force_win`). The initial check still decides
        /// which indicators are treated: one that passes is left alone.
        #[serde(default, skip_serializing_if = "is_false")]
        force_win: bool,
        /// The first treatment instead of winsorisation (COINr `f1`): applied where
        /// the check fails and kept if its output passes. `winmax` and `force_win`
        /// are winsorisation's and cannot be set with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first: Option<LoopTreatment>,
        /// The second treatment instead of the `log` (COINr `f2`): applied where the
        /// first treatment's output still fails, and kept even if it fails too.
        /// `log` cannot be set with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<LoopTreatment>,
        /// Apply the second treatment to the first one's output rather than to the
        /// original values, so the two stack (COINr `combine_treat = TRUE`; by
        /// default the first treatment's work is thrown away).
        #[serde(default, skip_serializing_if = "is_false")]
        combine: bool,
    },
    /// Clip to mean ± k standard deviations.
    WinsoriseSd {
        /// Number of standard deviations.
        k: f64,
    },
    /// Box-Cox transform with parameter λ (λ = 0: natural log); needs values > 0
    /// unless `shift` moves the data to start at 1 first (COINr's variant).
    BoxCox {
        /// λ.
        lambda: f64,
        /// Shift by `x − min + 1` first.
        #[serde(default)]
        shift: bool,
    },
    /// The plugin's own code (`run-step` with step `treat`, the whole table at once).
    Plugin {
        /// Method name passed to the plugin.
        name: String,
        /// Parameters passed to the plugin.
        #[serde(default)]
        params: PluginParams,
    },
}

impl TreatSpec {
    /// COINr's default treatment winsorising up to `winmax` points (thresholds
    /// 2 and 3.5, `log_CT`, no other option).
    pub fn coinr(winmax: usize) -> TreatSpec {
        TreatSpec::Coinr {
            winmax,
            skew: two(),
            kurt: three_and_a_half(),
            log: LogFallback::default(),
            force_win: false,
            first: None,
            then: None,
            combine: false,
        }
    }

    /// What the schema cannot say is wrong with this treatment: settings of a
    /// treatment that another setting replaces (`winmax` or `force_win` with
    /// `first`, `log` with `then`). One sentence, to follow the key path.
    pub fn problem(&self) -> Option<String> {
        let TreatSpec::Coinr {
            winmax,
            log,
            force_win,
            first,
            then,
            ..
        } = self
        else {
            return None;
        };
        if first.is_some() && (*winmax != five() || *force_win) {
            return Some(
                "`winmax` and `force_win` set winsorisation, which `first` replaces: remove them, or `first`"
                    .to_string(),
            );
        }
        if then.is_some() && *log != LogFallback::default() {
            return Some("`log` names the second treatment, which `then` replaces: give one of them".to_string());
        }
        None
    }
}

fn five() -> usize {
    5
}
fn two() -> f64 {
    2.0
}
fn three_and_a_half() -> f64 {
    3.5
}

/// Normalisation method of an indicator. Direction is handled inside each method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum NormaliseSpec {
    /// Min-max onto `[lo, hi]` (default `[0, 100]`).
    MinMax {
        /// Value of the worst unit.
        #[serde(default)]
        lo: f64,
        /// Value of the best unit.
        #[serde(default = "hundred")]
        hi: f64,
    },
    /// Z-score rescaled to mean and standard deviation (default 0 and 1).
    ZScore {
        /// Target mean.
        #[serde(default)]
        mean: f64,
        /// Target standard deviation.
        #[serde(default = "one_f")]
        sd: f64,
    },
    /// Rank (worst unit = 1, ties share the lowest rank).
    Rank,
    /// Percentile rank in `[0, 1]`.
    PercentileRank,
    /// Borda score (rank − 1).
    Borda,
    /// Share of the way from the worst goalpost to the best one, times `scale`.
    Goalposts {
        /// Lower goalpost (raw units).
        lo: f64,
        /// Upper goalpost (raw units).
        hi: f64,
        /// Multiplier (e.g. 100).
        #[serde(default = "one_f")]
        scale: f64,
        /// Truncate values beyond the goalposts.
        #[serde(default = "yes")]
        truncate: bool,
    },
    /// `1 − (max − x)/(max − min)`.
    DistanceToMax,
    /// Distance to a reference unit's value (1 = as good as the reference).
    DistanceToReference {
        /// Id of the reference unit.
        unit: String,
        /// Cap scores of units better than the reference at 1.
        #[serde(default)]
        cap: bool,
    },
    /// Distance to a target (1 = target reached); the target defaults to the
    /// indicator's `target`.
    DistanceToTarget {
        /// Target in raw units (default: the indicator's `target`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<f64>,
        /// Cap scores beyond the target at 1.
        #[serde(default)]
        cap: bool,
    },
    /// `x / max` (`min / x` for lower-is-better).
    FractionOfMax,
    /// 100 · `x / max` (`min / x` for lower-is-better): the best unit scores 100.
    RelativeToBest,
    /// Ladder points: each value earns the points of the best rung it reaches (0
    /// below every rung). With `out_of`, points are rescaled so the top rung is worth
    /// `out_of`.
    Ladder {
        /// Rescale points so the top rung is worth this much.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        out_of: Option<f64>,
    },
    /// Points by percentage of a target reached (ITU U4SSC style, default bands
    /// <33% → 1, 33–66% → 2, 66–95% → 3, ≥95% → 4); the target defaults to the
    /// indicator's `target`.
    TargetBands {
        /// Target in raw units (default: the indicator's `target`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<f64>,
        /// Increasing band limits, in percent of the target.
        #[serde(default = "u4ssc_bounds")]
        bounds: Vec<f64>,
        /// Points per band (one more than `bounds`).
        #[serde(default = "u4ssc_points")]
        points: Vec<f64>,
    },
    /// Adjusted Mazziotta–Pareto rescaling onto 70–130 around a reference value
    /// (default: the indicator's mean).
    AmpiGoalposts {
        /// Reference value in raw units (default: the mean).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<f64>,
    },
    /// Values are used as they are (negated for lower-is-better, as COINr does).
    None,
    /// The plugin's own code (`run-step` with step `normalise`, one call per indicator).
    Plugin {
        /// Method name passed to the plugin.
        name: String,
        /// Parameters passed to the plugin.
        #[serde(default)]
        params: PluginParams,
    },
}

fn u4ssc_bounds() -> Vec<f64> {
    vec![33.0, 66.0, 95.0]
}
fn u4ssc_points() -> Vec<f64> {
    vec![1.0, 2.0, 3.0, 4.0]
}

impl Default for NormaliseSpec {
    fn default() -> Self {
        NormaliseSpec::MinMax { lo: 0.0, hi: 100.0 }
    }
}

/// Which way the Mazziotta–Pareto penalty points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Penalty {
    /// Higher is better: imbalance lowers the score.
    #[default]
    Positive,
    /// Higher is worse: imbalance raises the score.
    Negative,
}

/// Aggregation method of a node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AggregateSpec {
    /// Weighted arithmetic mean.
    #[default]
    Arithmetic,
    /// Weighted geometric mean (every value must be > 0).
    Geometric,
    /// Weighted harmonic mean (every value must be > 0).
    Harmonic,
    /// Weighted generalised (power) mean with exponent `p` ≠ 0.
    Generalised {
        /// The exponent.
        p: f64,
    },
    /// Weighted median.
    Median,
    /// Copeland scores from the weighted outranking matrix.
    Copeland,
    /// Mazziotta–Pareto index (children standardised to mean 100, sd 10 first).
    MazziottaPareto {
        /// Direction of the penalty for unbalanced children.
        #[serde(default)]
        penalty: Penalty,
    },
    /// Benefit of the doubt: each unit gets its most favourable weights (a linear
    /// programme per unit); node weights are not used.
    BenefitOfTheDoubt,
    /// The plugin's own code (`run-step` with step `aggregate`, one call per node).
    Plugin {
        /// Method name passed to the plugin.
        name: String,
        /// Parameters passed to the plugin.
        #[serde(default)]
        params: PluginParams,
    },
}

/// How the weights of the framework are obtained.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum WeightSpec {
    /// The weights written in the manifest (and variants).
    #[default]
    Manual,
    /// Equal weights among siblings.
    Equal,
    /// Weights of each node's children from the first principal component of their
    /// correlation matrix (squared loadings, summing to 1, unless `loadings`).
    Pca {
        /// Use the raw loadings (as COINr's `get_PCA`) instead of squared ones.
        #[serde(default)]
        loadings: bool,
    },
    /// Weights optimised for the correlations of the framework's parts with an
    /// aggregate (COINr `get_opt_weights`, Nelder–Mead as R's `optim()`).
    ///
    /// Without `level`, each node's children against the node: the weights of a
    /// node's children, normalised as `|p|/Σ|p|` (never negative).
    ///
    /// With `level` (COINr's `Level`), the weights of every node at that level at
    /// once, against the index: each candidate is normalised to sum to 1 over the
    /// level (`p/Σp`, no positivity constraint, as COINr: a weight may come out
    /// negative, which only the arithmetic mean accepts), the nodes above the level
    /// are re-aggregated with it (every other weight as the methodology has it), and
    /// the Pearson correlations of the level's aggregates with the index are
    /// compared (pairwise-complete). The candidates follow the order of the level's
    /// nodes in the manifest (COINr's weight-table order). The level's weights, as
    /// written afterwards, sum to 1 over the level.
    Optimised {
        /// COINr's `Level`: the level whose weights are optimised together,
        /// counted from the indicators upward (indicators 1, a node one above its
        /// highest child: in a tree of indicators, pillars, sub-indices and the
        /// index, pillars are 2 and sub-indices 3). Below the index's level.
        /// Absent: each node's children against the node.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        level: Option<usize>,
        /// COINr's `optype`: `balance` (default), each correlation the same share of
        /// their sum (`ln(Σ(1/k − cᵢ/Σc)²/k)` minimised, from equal weights), or
        /// `infomax`, the correlations' sum as large as possible (`−Σcᵢ` minimised,
        /// from the current weights).
        #[serde(default, skip_serializing_if = "OptimiseObjective::is_balance")]
        objective: OptimiseObjective,
        /// Relative tolerance of the optimiser (COINr `toler`, default 0.1: with it
        /// the search usually stops at the best corner of its first simplex, one
        /// weight 10% up; 1e-8 gets close to the optimum).
        #[serde(default = "tenth")]
        reltol: f64,
        /// Most objective evaluations (COINr `maxiter`; R counts evaluations, not
        /// iterations).
        #[serde(default = "five_hundred")]
        max_evaluations: usize,
    },
}

/// What optimised weights aim for (COINr's `optype`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OptimiseObjective {
    /// Each correlation the same share of their sum (equal targets, COINr
    /// `itarg = "equal"`).
    #[default]
    Balance,
    /// The correlations' sum as large as possible.
    Infomax,
}

impl OptimiseObjective {
    fn is_balance(&self) -> bool {
        *self == OptimiseObjective::Balance
    }
}

impl From<OptimiseObjective> for cityrank_steps::weight::Objective {
    fn from(o: OptimiseObjective) -> Self {
        match o {
            OptimiseObjective::Balance => cityrank_steps::weight::Objective::Balance,
            OptimiseObjective::Infomax => cityrank_steps::weight::Objective::Infomax,
        }
    }
}

fn tenth() -> f64 {
    0.1
}
fn five_hundred() -> usize {
    500
}

/// What aggregation does with missing children.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MissingSpec {
    /// Aggregate over present children with rescaled weights; missing when the
    /// present children carry less than `min_share` of the weight.
    Reweight {
        /// Minimum share of the node's weight that must be present (0–1).
        #[serde(default)]
        #[schemars(range(min = 0.0, max = 1.0))]
        min_share: f64,
    },
    /// Any missing child makes the node missing.
    Propagate,
    /// Any missing child is an error.
    Fail,
}

impl Default for MissingSpec {
    fn default() -> Self {
        MissingSpec::Reweight { min_share: 0.0 }
    }
}

impl From<MissingSpec> for cityrank_steps::aggregate::MissingPolicy {
    fn from(m: MissingSpec) -> Self {
        use cityrank_steps::aggregate::MissingPolicy as P;
        match m {
            MissingSpec::Reweight { min_share } => P::Reweight { min_share },
            MissingSpec::Propagate => P::Propagate,
            MissingSpec::Fail => P::Fail,
        }
    }
}

/// How tied scores are ranked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RankRule {
    /// Ties share the best rank and the next rank is skipped ("1224").
    #[default]
    Competition,
    /// Ties share the best rank and no rank is skipped ("1223").
    Dense,
}

/// The ranking step: the rule for ties (`rank = "dense"`), or the rule and the
/// groups to rank within as well (`rank = { rule = "dense", within = "region" }`:
/// each unit also gets its rank within its group of that dataset group column,
/// reported as `group` and `group_rank` per unit).
///
/// In a variant, the rule alone keeps the methodology's `within`; the table
/// replaces both (without `within`, no ranks within groups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RankSpec {
    /// The rule for ties alone.
    Rule(RankRule),
    /// The rule and the groups to rank within.
    Table(RankTable),
}

impl Default for RankSpec {
    fn default() -> Self {
        RankSpec::Rule(RankRule::default())
    }
}

/// The table form of [`RankSpec`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RankTable {
    /// How tied scores are ranked (default `competition`).
    #[serde(default)]
    pub rule: RankRule,
    /// Also rank units within the groups of this dataset group column (e.g. a region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<String>,
}

impl RankSpec {
    /// The rule for ties.
    pub fn rule(&self) -> RankRule {
        match self {
            RankSpec::Rule(r) => *r,
            RankSpec::Table(t) => t.rule,
        }
    }

    /// The dataset group column to rank within, if any.
    pub fn within(&self) -> Option<&str> {
        match self {
            RankSpec::Rule(_) => None,
            RankSpec::Table(t) => t.within.as_deref(),
        }
    }

    /// This ranking as a variant's `over` changes it: a rule alone keeps
    /// `within`; a table replaces both.
    pub fn overridden_by(&self, over: &RankSpec) -> RankSpec {
        match (over, self.within()) {
            (RankSpec::Rule(rule), Some(within)) => RankSpec::Table(RankTable {
                rule: *rule,
                within: Some(within.to_string()),
            }),
            _ => over.clone(),
        }
    }
}

/// A rescaling of the index's scores after aggregation (ranks are unchanged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RescaleSpec {
    /// The best unit scores 100, the others in proportion (IESE Cities in Motion).
    RelativeToBest,
    /// Min-max onto `[lo, hi]`.
    MinMax {
        /// Score of the worst unit.
        #[serde(default)]
        lo: f64,
        /// Score of the best unit.
        #[serde(default = "hundred")]
        hi: f64,
    },
}

/// The steps of the pipeline, in the order they run, with their defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// Denomination (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominate: Option<DenominateSpec>,
    /// Imputation (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impute: Option<ImputeSpec>,
    /// Screening of units by data availability (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<ScreenSpec>,
    /// Outlier treatment (absent: none; indicators may override).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat: Option<TreatSpec>,
    /// Default normalisation (indicators may override).
    #[serde(default)]
    pub normalise: NormaliseSpec,
    /// How the weights are obtained.
    #[serde(default)]
    pub weights: WeightSpec,
    /// Default aggregation (nodes may override).
    #[serde(default)]
    pub aggregate: AggregateSpec,
    /// Missing-value policy of aggregation.
    #[serde(default)]
    pub missing: MissingSpec,
    /// Rescaling of the index's scores (absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescale: Option<RescaleSpec>,
    /// Ranking: the rule for ties, and the groups to rank within as well.
    #[serde(default)]
    pub rank: RankSpec,
}

/// Pipeline steps a variant replaces; absent keys keep the methodology's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineOverride {
    /// Denomination (replaces the indicators' own scale factors too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominate: Option<DenominateSpec>,
    /// Imputation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impute: Option<ImputeSpec>,
    /// Screening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<ScreenSpec>,
    /// Outlier treatment (replaces per-indicator treatments too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat: Option<TreatSpec>,
    /// Normalisation (replaces per-indicator normalisations too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalise: Option<NormaliseSpec>,
    /// Weighting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<WeightSpec>,
    /// Aggregation (replaces per-node aggregations too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<AggregateSpec>,
    /// Missing-value policy of aggregation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<MissingSpec>,
    /// Rescaling of the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescale: Option<RescaleSpec>,
    /// Ranking (the rule alone keeps the methodology's groups to rank within; a
    /// table replaces both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<RankSpec>,
}

#[cfg(test)]
mod tests {
    use super::{LogFallback, LoopTreatment, RankRule, RankSpec, RankTable, TreatSpec};

    /// The value `toml_value` of a one-key TOML document, as a `T`.
    fn value<T: serde::de::DeserializeOwned>(toml_value: &str) -> T {
        let doc: toml::Table = toml::from_str(&format!("x = {toml_value}")).unwrap();
        doc["x"].clone().try_into().unwrap()
    }

    fn treat(toml_value: &str) -> TreatSpec {
        value(toml_value)
    }

    #[test]
    fn coinrs_treatment_options_read_and_write() {
        // The default is written as before: no new key (results keep their bytes).
        let default = treat("{ method = \"coinr\" }");
        assert_eq!(
            serde_json::to_string(&default).unwrap(),
            r#"{"method":"coinr","winmax":5,"skew":2.0,"kurt":3.5,"log":"coinr"}"#
        );
        assert_eq!(default.problem(), None);
        // COINr's names of the logs.
        for (name, log) in [
            ("log-ct", LogFallback::LogCt),
            ("log-ct-plus", LogFallback::LogCtPlus),
            ("log-ct-orig", LogFallback::LogCtOrig),
            ("log-gii", LogFallback::LogGii),
        ] {
            let TreatSpec::Coinr { log: read, .. } = treat(&format!("{{ method = \"coinr\", log = \"{name}\" }}"))
            else {
                panic!("{name}")
            };
            assert_eq!(read, log);
        }
        // Box-Cox first, combined; forced winsorisation; Box-Cox second.
        let spec = treat(
            "{ method = \"coinr\", first = { method = \"box-cox\", lambda = 0.5, shift = true }, combine = true }",
        );
        let TreatSpec::Coinr { first, combine, .. } = &spec else {
            panic!()
        };
        assert_eq!(
            (first, *combine),
            (
                &Some(LoopTreatment::BoxCox {
                    lambda: 0.5,
                    shift: true
                }),
                true
            )
        );
        assert_eq!(spec.problem(), None);
        assert!(
            serde_json::to_string(&spec)
                .unwrap()
                .ends_with(r#""first":{"method":"box-cox","lambda":0.5,"shift":true},"combine":true}"#)
        );
        assert_eq!(treat("{ method = \"coinr\", force_win = true }").problem(), None);
        // Settings another replaces.
        let p = treat(
            "{ method = \"coinr\", force_win = true, first = { method = \"box-cox\", lambda = 0.0, shift = true } }",
        )
        .problem()
        .unwrap();
        assert!(p.contains("`first` replaces"), "{p}");
        let p = treat(
            "{ method = \"coinr\", log = \"log-gii\", then = { method = \"box-cox\", lambda = 0.5, shift = true } }",
        )
        .problem()
        .unwrap();
        assert!(p.contains("`then` replaces"), "{p}");
    }

    fn parse(toml_value: &str) -> RankSpec {
        value(toml_value)
    }

    #[test]
    fn the_ranking_step_is_a_rule_or_a_table() {
        assert_eq!(parse("\"dense\""), RankSpec::Rule(RankRule::Dense));
        let by_region = parse("{ within = \"region\" }");
        assert_eq!(by_region.rule(), RankRule::Competition);
        assert_eq!(by_region.within(), Some("region"));
        // A variant's rule alone keeps the groups; its table replaces both.
        let dense = by_region.overridden_by(&RankSpec::Rule(RankRule::Dense));
        assert_eq!((dense.rule(), dense.within()), (RankRule::Dense, Some("region")));
        let plain = by_region.overridden_by(&RankSpec::Table(RankTable::default()));
        assert_eq!((plain.rule(), plain.within()), (RankRule::Competition, None));
        // The rule alone is written as before (results of editions without groups keep their bytes).
        assert_eq!(serde_json::to_string(&RankSpec::default()).unwrap(), "\"competition\"");
    }
}
