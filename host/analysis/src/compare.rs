//! Comparing rankings of the same units: several methods (methodologies or
//! variants) on one edition, or one method on several editions ("edition over
//! edition"). Units are matched by id.
//!
//! Per unit: each method's score, rank and tier, and its rank shift against the
//! first method (the baseline). Per pair of methods, over the units ranked by both:
//! Spearman's ρ and Kendall's τ-b of the ranks, the overlap of the top k, tier
//! agreement (share of units in the same tier and Cohen's κ) and the mean absolute
//! rank shift. Units present in only some methods are listed, not dropped.
//!
//! What `cityrank compare --format json` writes is a [`CompareReport`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use cityrank_core::report::{aligned, fmt_opt};

use crate::published::PublishedComparison;
use cityrank_core::dataset::Dataset;
use cityrank_core::edition::{LimitsSpec, PluginSource, ResolvedEdition};
use cityrank_core::methodology::Manifest;
use cityrank_core::plugin::LogMessage;
use cityrank_core::results::Results;
use cityrank_core::run::{self, LoadedMethodology, Loader};

/// Version of the comparison format.
pub const COMPARE_SCHEMA_VERSION: u32 = 1;

/// An edition argument: `path/to/edition.toml` or `path/to/edition.toml@variant`.
///
/// The variant is what follows the last `@` after the last `/`. A path that exists
/// as written is taken whole, so a file whose name contains `@` still works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionArg {
    /// The edition file.
    pub path: PathBuf,
    /// The variant, if one is selected.
    pub variant: Option<String>,
}

impl EditionArg {
    /// Parses `arg` (see [`EditionArg`]).
    pub fn parse(arg: &str) -> Result<EditionArg> {
        if arg.is_empty() {
            bail!("empty edition argument; give an edition file, e.g. methodologies/las-2024.toml");
        }
        if Path::new(arg).exists() {
            return Ok(EditionArg {
                path: PathBuf::from(arg),
                variant: None,
            });
        }
        let file_start = arg.rfind('/').map_or(0, |i| i + 1);
        match arg[file_start..].rfind('@') {
            Some(at) => {
                let (path, variant) = (&arg[..file_start + at], &arg[file_start + at + 1..]);
                if path.is_empty() {
                    bail!("`{arg}`: no edition file before `@`; write EDITION.toml@VARIANT");
                }
                if variant.is_empty() {
                    bail!("`{arg}`: no variant after `@`; write EDITION.toml@VARIANT, or leave out the `@`");
                }
                Ok(EditionArg {
                    path: PathBuf::from(path),
                    variant: Some(variant.to_string()),
                })
            }
            None => Ok(EditionArg {
                path: PathBuf::from(arg),
                variant: None,
            }),
        }
    }
}

impl std::fmt::Display for EditionArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.variant {
            Some(v) => write!(f, "{}@{v}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

impl std::str::FromStr for EditionArg {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        EditionArg::parse(s)
    }
}

/// One edition run: its results and the manifest as run (variant applied).
pub struct EditionRun {
    /// What was asked for.
    pub arg: EditionArg,
    /// The results.
    pub results: Results,
    /// The effective manifest (edition tiers and variant applied).
    pub manifest: Manifest,
    /// What the plugin logged.
    pub log: Vec<LogMessage>,
}

/// Runs editions, loading each methodology once.
pub struct Runner<'s> {
    loader: &'s dyn Loader,
    limits: LimitsSpec,
    loaded: Vec<(PluginSource, LoadedMethodology)>,
}

impl<'s> Runner<'s> {
    /// A runner that loads methodologies with `loader` (the sandbox, for code), with the limits set on the command line.
    pub fn new(loader: &'s dyn Loader, limits: LimitsSpec) -> Runner<'s> {
        Runner {
            loader,
            limits,
            loaded: Vec::new(),
        }
    }

    /// Loads and runs `arg`.
    pub fn run(&mut self, arg: &EditionArg) -> Result<EditionRun> {
        let edition = ResolvedEdition::load_variant(&arg.path, &self.limits, arg.variant.as_deref())?;
        let at = match self.loaded.iter().position(|(s, _)| *s == edition.plugin) {
            Some(i) => i,
            None => {
                let loaded = self.loader.load(&edition.plugin, &edition.limits)?;
                self.loaded.push((edition.plugin.clone(), loaded));
                self.loaded.len() - 1
            }
        };
        let loaded = &self.loaded[at].1;
        let dataset = Dataset::load(&edition.dataset)?;
        let output = run::run_loaded(loaded, &edition, &dataset, Default::default())?;
        let manifest = edition.effective_manifest(&loaded.manifest)?;
        Ok(EditionRun {
            arg: arg.clone(),
            results: output.results,
            manifest,
            log: output.log,
        })
    }
}

/// What is being compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ComparisonKind {
    /// Several methods (methodologies or variants) on one edition or dataset.
    Methods,
    /// One method (same methodology and variant) on several editions.
    EditionOverEdition,
    /// Different methods on different editions.
    Mixed,
}

impl ComparisonKind {
    /// A heading for people.
    pub fn title(self) -> &'static str {
        match self {
            ComparisonKind::Methods => "method comparison",
            ComparisonKind::EditionOverEdition => "edition over edition",
            ComparisonKind::Mixed => "methods across editions",
        }
    }
}

/// The comparison document: what `cityrank compare --format json` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareReport {
    /// Format version of this document.
    pub schema_version: u32,
    /// Version of cityrank that computed it.
    pub cityrank: String,
    /// What is being compared.
    pub kind: ComparisonKind,
    /// The methods, in argument order; the first is the baseline of rank shifts.
    pub methods: Vec<MethodInfo>,
    /// The `k` of the top-k overlaps.
    pub top_k: usize,
    /// Units ranked by every method.
    pub common_units: usize,
    /// Every unit of any method: ordered by the baseline's rank, then units absent
    /// from (or unranked by) the baseline by the next method's rank, and so on.
    pub units: Vec<UnitComparison>,
    /// Units absent from some methods or unranked by some (listed, not dropped; the
    /// pair measures use the units ranked by both methods of the pair).
    pub partial_units: Vec<PartialUnit>,
    /// Every pair of methods.
    pub pairs: Vec<PairComparison>,
    /// Comparisons with a published ranking, one per method (with `--published`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub published: Vec<PublishedComparison>,
}

cityrank_core::document!(CompareReport, "compare");

/// One method of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodInfo {
    /// Label: the methodology id (`@variant` if any), or the edition id (`@variant`)
    /// when several editions of one methodology are compared; `#n` is appended to
    /// tell apart a method given twice.
    pub label: String,
    /// Edition id.
    pub edition: String,
    /// Edition name.
    pub edition_name: String,
    /// Edition year.
    pub year: i32,
    /// Variant, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Methodology id.
    pub methodology: String,
    /// Methodology version.
    pub methodology_version: String,
    /// Dataset id.
    pub dataset: String,
    /// Units of the results.
    pub units: usize,
    /// Units ranked.
    pub ranked: usize,
    /// Tier labels, best first.
    pub tiers: Vec<String>,
}

/// One unit across the methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitComparison {
    /// Unit id.
    pub id: String,
    /// Display name (from the first method that has the unit).
    pub name: String,
    /// Country code, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The unit in each method that has it, by method label.
    pub methods: BTreeMap<String, UnitInMethod>,
}

/// A unit in one method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInMethod {
    /// Rank (null when unranked).
    pub rank: Option<u32>,
    /// Score (null when it cannot be computed).
    pub score: Option<f64>,
    /// Tier label (null when unranked).
    pub tier: Option<String>,
    /// Rank shift against the baseline: baseline rank − this rank, so positive means
    /// higher up than in the baseline (null for the baseline itself, or when either
    /// rank is missing).
    pub shift: Option<i64>,
}

/// A unit absent from, or unranked by, some methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartialUnit {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Methods that rank it.
    pub ranked_in: Vec<String>,
    /// Methods that have it without a rank (no score, e.g. too many missing values).
    pub unranked_in: Vec<String>,
    /// Methods that do not have it (not in their dataset, or screened out).
    pub absent_from: Vec<String>,
}

/// Agreement of two methods, over the units ranked by both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PairComparison {
    /// Label of the first method.
    pub a: String,
    /// Label of the second method.
    pub b: String,
    /// Units ranked by both (the measures below are computed on these).
    pub n: usize,
    /// Spearman's ρ of the two rankings (null when undefined).
    pub spearman: Option<f64>,
    /// Kendall's τ-b of the two rankings (null when undefined).
    pub kendall: Option<f64>,
    /// Pearson's r of the two methods' scores (null when undefined).
    pub pearson: Option<f64>,
    /// Overlap of the top k.
    pub top_k: TopK,
    /// Agreement of tiers.
    pub tiers: TierAgreement,
    /// Mean of |rank in a − rank in b|, ranks as each method reports them.
    pub mean_abs_rank_shift: Option<f64>,
    /// Largest |rank in a − rank in b|.
    pub max_abs_rank_shift: Option<u32>,
    /// Mean absolute shift with both rankings re-ranked among the common units
    /// only (so that units missing from one method do not shift the others; equal
    /// to `mean_abs_rank_shift` when both methods rank the same units).
    pub mean_abs_rank_shift_common: Option<f64>,
}

/// Overlap of the top k of two rankings, each re-ranked among the common units
/// (competition ranking: a tie at the cut-off lets more than k units in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopK {
    /// k.
    pub k: usize,
    /// Units in the top k of a.
    pub a: usize,
    /// Units in the top k of b.
    pub b: usize,
    /// Units in both.
    pub both: usize,
    /// `both / max(a, b)`: the share of the top k the two agree on (null when empty).
    pub share: Option<f64>,
}

/// How tiers were compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TierBasis {
    /// Both methods use the same tier labels: compared by label.
    Label,
    /// The labels differ: tiers compared by position (1 = best tier of each method).
    Position,
}

/// Agreement of the two methods' tiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TierAgreement {
    /// By label or by position.
    pub basis: TierBasis,
    /// Units with a tier in both.
    pub n: usize,
    /// Of those, units in the same tier.
    pub same: usize,
    /// `same / n` (null when `n` is 0).
    pub share: Option<f64>,
    /// Cohen's κ: `(p_o − p_e) / (1 − p_e)` with `p_o` the share in the same tier and
    /// `p_e` the share expected by chance from the two methods' tier frequencies
    /// (null when `p_e` is 1, e.g. every unit in one tier).
    pub kappa: Option<f64>,
}

/// Options of [`compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOptions {
    /// The k of the top-k overlap.
    pub top_k: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { top_k: 10 }
    }
}

/// The labels of the methods (see [`MethodInfo::label`]).
pub fn labels(results: &[&Results]) -> Vec<String> {
    let with_variant = |base: &str, r: &Results| match &r.edition.variant {
        Some(v) => format!("{base}@{v}"),
        None => base.to_string(),
    };
    let mut out: Vec<String> = results
        .iter()
        .map(|r| {
            let several_editions = results
                .iter()
                .any(|o| o.methodology.id == r.methodology.id && o.edition.id != r.edition.id);
            if several_editions {
                with_variant(&r.edition.id, r)
            } else {
                with_variant(&r.methodology.id, r)
            }
        })
        .collect();
    for i in 1..out.len() {
        let repeats = out[..i].iter().filter(|l| **l == out[i]).count();
        if repeats > 0 {
            out[i] = format!("{}#{}", out[i], repeats + 1);
        }
    }
    out
}

/// What kind of comparison the results make: several methods when they share the
/// edition or the dataset (the same units and data, e.g. `las-2024.toml` and
/// `las-2024.u4ssc.toml`); edition over edition when they share the methodology and
/// variant but not the data; mixed otherwise.
pub fn kind(results: &[&Results]) -> ComparisonKind {
    let first = results[0];
    if results.iter().all(|r| r.edition.id == first.edition.id)
        || results
            .iter()
            .all(|r| r.dataset.id == first.dataset.id && r.dataset.sha256 == first.dataset.sha256)
    {
        ComparisonKind::Methods
    } else if results
        .iter()
        .all(|r| r.methodology.id == first.methodology.id && r.edition.variant == first.edition.variant)
    {
        ComparisonKind::EditionOverEdition
    } else {
        ComparisonKind::Mixed
    }
}

/// Competition ranks (1 = best) of `ranks` re-ranked among themselves.
fn rerank(ranks: &[u32]) -> Vec<u32> {
    ranks
        .iter()
        .map(|r| 1 + ranks.iter().filter(|o| *o < r).count() as u32)
        .collect()
}

fn defined(r: Result<f64, cityrank_steps::StepError>) -> Option<f64> {
    r.ok().filter(|v| v.is_finite())
}

/// Cohen's κ of two label sequences of equal length.
pub fn cohen_kappa<T: PartialEq>(a: &[T], b: &[T]) -> Option<f64> {
    let n = a.len();
    if n == 0 || b.len() != n {
        return None;
    }
    let mut categories: Vec<&T> = Vec::new();
    for x in a.iter().chain(b) {
        if !categories.contains(&x) {
            categories.push(x);
        }
    }
    let nf = n as f64;
    let po = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / nf;
    let pe: f64 = categories
        .iter()
        .map(|c| {
            let ca = a.iter().filter(|x| x == c).count() as f64;
            let cb = b.iter().filter(|x| x == c).count() as f64;
            ca * cb / (nf * nf)
        })
        .sum();
    if (1.0 - pe).abs() < 1e-12 {
        None
    } else {
        Some((po - pe) / (1.0 - pe))
    }
}

fn pair(a: &Results, b: &Results, la: &str, lb: &str, top_k: usize) -> PairComparison {
    let by_id: BTreeMap<&str, &cityrank_core::results::UnitResult> =
        b.units.iter().map(|u| (u.id.as_str(), u)).collect();
    // Units ranked by both, in a's order.
    let common: Vec<(&cityrank_core::results::UnitResult, &cityrank_core::results::UnitResult)> = a
        .units
        .iter()
        .filter(|u| u.rank.is_some())
        .filter_map(|u| by_id.get(u.id.as_str()).filter(|v| v.rank.is_some()).map(|v| (u, *v)))
        .collect();
    let ra: Vec<u32> = common.iter().map(|(u, _)| u.rank.unwrap_or_default()).collect();
    let rb: Vec<u32> = common.iter().map(|(_, v)| v.rank.unwrap_or_default()).collect();
    let fa: Vec<f64> = ra.iter().map(|&r| f64::from(r)).collect();
    let fb: Vec<f64> = rb.iter().map(|&r| f64::from(r)).collect();
    let sa: Vec<f64> = common.iter().map(|(u, _)| u.score.unwrap_or(f64::NAN)).collect();
    let sb: Vec<f64> = common.iter().map(|(_, v)| v.score.unwrap_or(f64::NAN)).collect();
    let n = common.len();
    let mean = |v: &[u32]| (n > 0).then(|| v.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64);
    let shifts: Vec<u32> = ra.iter().zip(&rb).map(|(x, y)| x.abs_diff(*y)).collect();
    let (ca, cb) = (rerank(&ra), rerank(&rb));
    let common_shifts: Vec<u32> = ca.iter().zip(&cb).map(|(x, y)| x.abs_diff(*y)).collect();
    let k = top_k as u32;
    let top_a: Vec<usize> = (0..n).filter(|&i| ca[i] <= k).collect();
    let top_b: Vec<usize> = (0..n).filter(|&i| cb[i] <= k).collect();
    let both = top_a.iter().filter(|i| top_b.contains(i)).count();
    let larger = top_a.len().max(top_b.len());

    // Tiers: by label when both use the same labels, else by position.
    let labels_a: Vec<&str> = a.tiers.iter().map(|t| t.label.as_str()).collect();
    let labels_b: Vec<&str> = b.tiers.iter().map(|t| t.label.as_str()).collect();
    let same_labels = {
        let (mut x, mut y) = (labels_a.clone(), labels_b.clone());
        x.sort_unstable();
        y.sort_unstable();
        x == y
    };
    let basis = if same_labels {
        TierBasis::Label
    } else {
        TierBasis::Position
    };
    let category = |labels: &[&str], tier: &Option<String>| -> Option<String> {
        let t = tier.as_deref()?;
        match basis {
            TierBasis::Label => Some(t.to_string()),
            TierBasis::Position => labels.iter().position(|l| *l == t).map(|p| (p + 1).to_string()),
        }
    };
    let (ta, tb): (Vec<String>, Vec<String>) = common
        .iter()
        .filter_map(|(u, v)| Some((category(&labels_a, &u.tier)?, category(&labels_b, &v.tier)?)))
        .unzip();
    let same = ta.iter().zip(&tb).filter(|(x, y)| x == y).count();

    PairComparison {
        a: la.to_string(),
        b: lb.to_string(),
        n,
        spearman: defined(cityrank_steps::analysis::spearman(&fa, &fb)),
        kendall: defined(cityrank_steps::analysis::kendall_tau_b(&fa, &fb)),
        pearson: defined(cityrank_steps::analysis::pearson(&sa, &sb)),
        top_k: TopK {
            k: top_k,
            a: top_a.len(),
            b: top_b.len(),
            both,
            share: (larger > 0).then(|| both as f64 / larger as f64),
        },
        tiers: TierAgreement {
            basis,
            n: ta.len(),
            same,
            share: (!ta.is_empty()).then(|| same as f64 / ta.len() as f64),
            kappa: cohen_kappa(&ta, &tb),
        },
        mean_abs_rank_shift: mean(&shifts),
        max_abs_rank_shift: shifts.iter().copied().max(),
        mean_abs_rank_shift_common: mean(&common_shifts),
    }
}

/// Compares the results of several methods (at least one; pair measures need two).
pub fn compare(results: &[&Results], options: CompareOptions) -> Result<CompareReport> {
    if results.is_empty() {
        bail!("nothing to compare: give at least one edition");
    }
    if options.top_k == 0 {
        bail!("--top: k must be at least 1");
    }
    let labels = labels(results);
    let methods: Vec<MethodInfo> = results
        .iter()
        .zip(&labels)
        .map(|(r, l)| MethodInfo {
            label: l.clone(),
            edition: r.edition.id.clone(),
            edition_name: r.edition.name.clone(),
            year: r.edition.year,
            variant: r.edition.variant.clone(),
            methodology: r.methodology.id.clone(),
            methodology_version: r.methodology.version.clone(),
            dataset: r.dataset.id.clone(),
            units: r.units.len(),
            ranked: r.units.iter().filter(|u| u.rank.is_some()).count(),
            tiers: r.tiers.iter().map(|t| t.label.clone()).collect(),
        })
        .collect();

    // Every unit id, in the order described on `CompareReport::units`.
    let lookup: Vec<BTreeMap<&str, &cityrank_core::results::UnitResult>> = results
        .iter()
        .map(|r| r.units.iter().map(|u| (u.id.as_str(), u)).collect())
        .collect();
    let mut ids: Vec<&str> = Vec::new();
    for r in results {
        for u in &r.units {
            if !ids.contains(&u.id.as_str()) {
                ids.push(&u.id);
            }
        }
    }
    let sort_key = |id: &str| -> (usize, u32) {
        for (m, l) in lookup.iter().enumerate() {
            if let Some(r) = l.get(id).and_then(|u| u.rank) {
                return (m, r);
            }
        }
        (lookup.len(), u32::MAX)
    };
    // Stable: ties keep the order in which the units first appear.
    ids.sort_by_key(|id| sort_key(id));

    let mut units = Vec::with_capacity(ids.len());
    let mut partial_units = Vec::new();
    for id in &ids {
        let first = lookup.iter().find_map(|l| l.get(id)).copied();
        let Some(first) = first else { continue };
        let base_rank = lookup[0].get(id).and_then(|u| u.rank);
        let mut per = BTreeMap::new();
        let (mut ranked_in, mut unranked_in, mut absent_from) = (Vec::new(), Vec::new(), Vec::new());
        for (m, l) in lookup.iter().enumerate() {
            match l.get(id) {
                Some(u) => {
                    per.insert(
                        labels[m].clone(),
                        UnitInMethod {
                            rank: u.rank,
                            score: u.score,
                            tier: u.tier.clone(),
                            shift: match (m, base_rank, u.rank) {
                                (0, _, _) => None,
                                (_, Some(b), Some(r)) => Some(i64::from(b) - i64::from(r)),
                                _ => None,
                            },
                        },
                    );
                    if u.rank.is_some() {
                        ranked_in.push(labels[m].clone());
                    } else {
                        unranked_in.push(labels[m].clone());
                    }
                }
                None => absent_from.push(labels[m].clone()),
            }
        }
        if !unranked_in.is_empty() || !absent_from.is_empty() {
            partial_units.push(PartialUnit {
                id: id.to_string(),
                name: first.name.clone(),
                ranked_in,
                unranked_in,
                absent_from,
            });
        }
        units.push(UnitComparison {
            id: id.to_string(),
            name: first.name.clone(),
            country: first.country.clone(),
            methods: per,
        });
    }
    let common_units = units.len() - partial_units.len();

    let mut pairs = Vec::new();
    for i in 0..results.len() {
        for j in i + 1..results.len() {
            pairs.push(pair(results[i], results[j], &labels[i], &labels[j], options.top_k));
        }
    }
    Ok(CompareReport {
        schema_version: COMPARE_SCHEMA_VERSION,
        cityrank: env!("CARGO_PKG_VERSION").to_string(),
        kind: kind(results),
        methods,
        top_k: options.top_k,
        common_units,
        units,
        partial_units,
        pairs,
        published: Vec::new(),
    })
}

/// Pretty JSON with a trailing newline, validated against the comparison schema.
pub fn json(report: &CompareReport) -> Result<String> {
    let value = serde_json::to_value(report).context("cannot represent the comparison as JSON")?;
    // The comparison must satisfy its own schema; a failure here is a bug in cityrank.
    cityrank_core::schema::validate::<CompareReport>(&value, "comparison")
        .context("internal error: the comparison does not match its schema")?;
    // Rendered from the type, not the `Value`, to keep the fields in declaration order.
    let mut s = serde_json::to_string_pretty(report).context("cannot represent the comparison as JSON")?;
    s.push('\n');
    Ok(s)
}

/// CSV: `id,name,country`, then per method `<label> rank`, `<label> score`,
/// `<label> tier` and (after the baseline) `<label> shift`.
pub fn csv(report: &CompareReport) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["id".into(), "name".into(), "country".into()];
    for (m, method) in report.methods.iter().enumerate() {
        let l = &method.label;
        header.extend([format!("{l} rank"), format!("{l} score"), format!("{l} tier")]);
        if m > 0 {
            header.push(format!("{l} shift"));
        }
    }
    w.write_record(&header)?;
    for u in &report.units {
        let mut row = vec![u.id.clone(), u.name.clone(), u.country.clone().unwrap_or_default()];
        for (m, method) in report.methods.iter().enumerate() {
            let e = u.methods.get(&method.label);
            row.push(e.and_then(|e| e.rank).map(|r| r.to_string()).unwrap_or_default());
            row.push(e.and_then(|e| e.score).map(|s| s.to_string()).unwrap_or_default());
            row.push(e.and_then(|e| e.tier.clone()).unwrap_or_default());
            if m > 0 {
                row.push(e.and_then(|e| e.shift).map(|s| s.to_string()).unwrap_or_default());
            }
        }
        w.write_record(&row)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot render the CSV: {e}"))?;
    String::from_utf8(bytes).context("the CSV is not UTF-8")
}

fn signed(s: Option<i64>) -> String {
    match s {
        None => "–".into(),
        Some(0) => "0".into(),
        Some(v) if v > 0 => format!("+{v}"),
        Some(v) => v.to_string(),
    }
}

/// The comparison as aligned tables: methods, pair measures, units, partial units
/// and the published comparison.
pub fn table(report: &CompareReport) -> String {
    let mut out = String::new();
    let title = report.kind.title();
    let _ = writeln!(
        out,
        "{}{} — {} method{}, {} units ranked by every method{}",
        title[..1].to_uppercase(),
        &title[1..],
        report.methods.len(),
        if report.methods.len() == 1 { "" } else { "s" },
        report.common_units,
        if report.partial_units.is_empty() {
            String::new()
        } else {
            format!(", {} in only some (listed below)", report.partial_units.len())
        }
    );
    for (m, method) in report.methods.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<2} {}  {} ({}{}), {} v{}, {} of {} units ranked{}",
            char::from(b'A' + (m as u8 % 26)),
            method.label,
            method.edition_name,
            method.edition,
            method
                .variant
                .as_deref()
                .map(|v| format!(", variant {v}"))
                .unwrap_or_default(),
            method.methodology,
            method.methodology_version,
            method.ranked,
            method.units,
            if m == 0 { " — baseline" } else { "" }
        );
    }
    if !report.pairs.is_empty() {
        let _ = writeln!(out, "\nAgreement (on the units ranked by both)");
        let header: Vec<String> = [
            "a",
            "b",
            "n",
            "spearman",
            "kendall",
            "pearson",
            &format!("top {}", report.top_k),
            "same tier",
            "kappa",
            "tiers by",
            "mean |Δrank|",
            "max",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows: Vec<Vec<String>> = report
            .pairs
            .iter()
            .map(|p| {
                vec![
                    p.a.clone(),
                    p.b.clone(),
                    p.n.to_string(),
                    fmt_opt(p.spearman, 3),
                    fmt_opt(p.kendall, 3),
                    fmt_opt(p.pearson, 3),
                    format!("{}/{}", p.top_k.both, p.top_k.a.max(p.top_k.b)),
                    format!(
                        "{}/{} ({})",
                        p.tiers.same,
                        p.tiers.n,
                        p.tiers.share.map_or("–".into(), |s| format!("{:.0}%", s * 100.0))
                    ),
                    fmt_opt(p.tiers.kappa, 3),
                    match p.tiers.basis {
                        TierBasis::Label => "label".into(),
                        TierBasis::Position => "position".into(),
                    },
                    fmt_opt(p.mean_abs_rank_shift, 2),
                    p.max_abs_rank_shift.map_or("–".into(), |v| v.to_string()),
                ]
            })
            .collect();
        out.push_str(&aligned(&header, &rows, |c| !matches!(c, 0 | 1 | 9), true));
    }

    // The table holds the units of at least two methods; the others are listed below.
    let shown = report.methods.len().min(2);
    let in_table = |u: &&UnitComparison| u.methods.len() >= shown;
    let hidden = report.units.len() - report.units.iter().filter(in_table).count();
    let _ = writeln!(
        out,
        "\nUnits{} ({}: rank in {} − rank in the method; + = higher up)",
        if hidden > 0 {
            format!(" in more than one method ({hidden} in one only: listed below)")
        } else {
            String::new()
        },
        if report.kind == ComparisonKind::EditionOverEdition {
            "change"
        } else {
            "shift"
        },
        report.methods[0].label
    );
    let mut header: Vec<String> = vec!["city".into(), "country".into()];
    for m in 0..report.methods.len() {
        let tag = char::from(b'A' + (m as u8 % 26));
        header.extend([format!("{tag} rank"), format!("{tag} tier"), format!("{tag} score")]);
        if m > 0 {
            header.push(format!("{tag} Δ"));
        }
    }
    let rows: Vec<Vec<String>> = report
        .units
        .iter()
        .filter(in_table)
        .map(|u| {
            let mut row = vec![u.name.clone(), u.country.clone().unwrap_or_default()];
            for (m, method) in report.methods.iter().enumerate() {
                let e = u.methods.get(&method.label);
                match e {
                    Some(e) => row.extend([
                        e.rank.map_or("–".into(), |r| r.to_string()),
                        e.tier.clone().unwrap_or_else(|| "–".into()),
                        fmt_opt(e.score, 2),
                    ]),
                    None => row.extend(["absent".into(), String::new(), String::new()]),
                }
                if m > 0 {
                    row.push(signed(e.and_then(|e| e.shift)));
                }
            }
            row
        })
        .collect();
    // Right-align ranks, scores and shifts; tiers and names left.
    let numeric = |c: usize| {
        if c < 2 {
            return false;
        }
        // Columns per method: rank, tier, score (+ shift after the baseline).
        let c = c - 2;
        let k = if c < 3 { c } else { (c - 3) % 4 };
        k != 1
    };
    out.push_str(&aligned(&header, &rows, numeric, true));

    if !report.partial_units.is_empty() {
        let _ = writeln!(
            out,
            "\nIn only some methods ({} units; not in the agreement measures of the pairs that lack them)",
            report.partial_units.len()
        );
        // One line per situation, e.g. "ranked in a; absent from b (3): …".
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for p in &report.partial_units {
            let mut parts = Vec::new();
            if !p.ranked_in.is_empty() {
                parts.push(format!("ranked in {}", p.ranked_in.join(", ")));
            }
            if !p.unranked_in.is_empty() {
                parts.push(format!("unranked in {}", p.unranked_in.join(", ")));
            }
            if !p.absent_from.is_empty() {
                parts.push(format!("absent from {}", p.absent_from.join(", ")));
            }
            let key = parts.join("; ");
            let unit = format!("{} ({})", p.name, p.id);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, units)) => units.push(unit),
                None => groups.push((key, vec![unit])),
            }
        }
        for (key, units) in groups {
            let _ = writeln!(out, "  {key} ({}): {}", units.len(), units.join(", "));
        }
    }
    for p in &report.published {
        out.push('\n');
        out.push_str(&published_table(p));
    }
    out
}

/// The comparison of one method with a published ranking, as text.
pub fn published_table(p: &PublishedComparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Published: {} {} vs {} ({}) — {} rows, {} matched, {} unmatched",
        p.ranking,
        p.edition,
        p.method,
        if p.inferred {
            "ranking inferred from the edition"
        } else {
            "ranking named by flags"
        },
        p.rows,
        p.matched.len(),
        p.unmatched.len()
    );
    if let Some(t) = &p.tiers {
        let _ = writeln!(
            out,
            "  tiers: {}/{} published cities in the same tier ({}){}",
            t.same,
            t.n,
            t.share.map_or("–".into(), |s| format!("{:.1}%", s * 100.0)),
            if t.labels_match {
                String::new()
            } else {
                " — the published tier labels are not the method's".to_string()
            }
        );
        if t.labels_match {
            let _ = writeln!(
                out,
                "  the method puts {} units in the published tiers ({}); {} of them are listed there",
                t.method_in_listed_tiers,
                t.confusion
                    .published
                    .iter()
                    .filter(|l| t.confusion.method.contains(l))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                t.method_in_listed_tiers_same
            );
        }
        let mut header = vec!["published \\ method".to_string()];
        header.extend(t.confusion.method.iter().cloned());
        let rows: Vec<Vec<String>> = t
            .confusion
            .published
            .iter()
            .zip(&t.confusion.counts)
            .map(|(l, row)| {
                let mut r = vec![l.clone()];
                r.extend(row.iter().map(|c| c.to_string()));
                r
            })
            .collect();
        for line in aligned(&header, &rows, |c| c > 0, true).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(b) = p.tiers.as_ref().and_then(|t| t.by_rank.as_ref()) {
        let _ = writeln!(
            out,
            "  by rank (the method's ranks cut at the published shares): {}/{} in the same tier ({})",
            b.same,
            b.n,
            b.share.map_or("–".into(), |s| format!("{:.1}%", s * 100.0))
        );
        let mut header = vec!["published \\ by rank".to_string()];
        header.extend(b.confusion.method.iter().cloned());
        let rows: Vec<Vec<String>> = b
            .confusion
            .published
            .iter()
            .zip(&b.confusion.counts)
            .map(|(l, row)| {
                let mut r = vec![l.clone()];
                r.extend(row.iter().map(|c| c.to_string()));
                r
            })
            .collect();
        for line in aligned(&header, &rows, |c| c > 0, true).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(r) = &p.ranks {
        let _ = writeln!(
            out,
            "  ranks: n = {}, spearman {}, kendall {}",
            r.n,
            fmt_opt(r.spearman, 3),
            fmt_opt(r.kendall, 3)
        );
    }
    if let Some(s) = &p.scores {
        let _ = writeln!(out, "  scores: n = {}, pearson {}", s.n, fmt_opt(s.pearson, 3));
    }
    let disagree: Vec<String> = p
        .matched
        .iter()
        .filter(|m| p.tiers.as_ref().is_some_and(|t| t.labels_match) && m.tier.as_deref() != Some(m.published.as_str()))
        .map(|m| {
            format!(
                "{} ({} published, {} here)",
                m.city,
                m.published,
                m.tier.as_deref().unwrap_or("unranked")
            )
        })
        .collect();
    if !disagree.is_empty() {
        let _ = writeln!(out, "  in another tier: {}", disagree.join("; "));
    }
    for u in &p.unmatched {
        let _ = writeln!(
            out,
            "  unmatched: {}{} — {}",
            u.city,
            u.country.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
            u.reason
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn edition_arguments() {
        let a = EditionArg::parse("methodologies/x.toml@zscore").unwrap();
        assert_eq!(a.path, PathBuf::from("methodologies/x.toml"));
        assert_eq!(a.variant.as_deref(), Some("zscore"));
        let a = EditionArg::parse("methodologies/x.toml").unwrap();
        assert_eq!(a.variant, None);
        // `@` in a directory name is not a variant separator.
        let a = EditionArg::parse("/tmp/a@b/x.toml").unwrap();
        assert_eq!(a.variant, None);
        assert!(EditionArg::parse("x.toml@").is_err());
        assert!(EditionArg::parse("@v").is_err());
        assert_eq!(EditionArg::parse("a/x.toml@v").unwrap().to_string(), "a/x.toml@v");
    }

    #[test]
    fn kappa_by_hand() {
        // 5 units, 4 agree: p_o = 0.8. Marginals a: T 3, B 2; b: T 2, B 3 →
        // p_e = (3·2 + 2·3)/25 = 0.48 → κ = 0.32/0.52 = 8/13.
        let a = ["T", "T", "T", "B", "B"];
        let b = ["T", "T", "B", "B", "B"];
        assert!((cohen_kappa(&a, &b).unwrap() - 8.0 / 13.0).abs() < 1e-12);
        assert_eq!(cohen_kappa(&["x", "x"], &["x", "x"]), None);
        assert_eq!(rerank(&[7, 2, 9, 2]), vec![3, 1, 4, 1]);
    }
}
