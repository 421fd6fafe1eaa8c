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

//!
//! The job is split in four: [`runner`] runs the editions named on the command
//! line, this module assembles the report, [`measures`] holds the pairwise
//! measures, [`render`] the table, CSV and JSON forms (HTML: [`crate::html`]).

mod measures;
mod render;
mod runner;

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::published::PublishedComparison;
use cityrank_core::results::Results;

pub use measures::cohen_kappa;
use measures::pair;
pub(crate) use measures::rerank;
pub use render::{NAME_MATCHES_LISTED, csv, json, name_matches, published_table, table};
pub use runner::{EditionArg, EditionRun, Runner};

/// Version of the comparison format: 2 matches units by name and country when
/// their ids differ (`matched_by_name`) and counts rank shifts among the units
/// both methods rank (`mean_abs_rank_shift_reported` keeps the shift of the ranks
/// as reported).
pub const COMPARE_SCHEMA_VERSION: u32 = 2;

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
    /// Units matched by name and country because their ids differ between methods
    /// (e.g. `ng-lagos` and `nga-lagos`); they are compared under the id they have
    /// in the first method that has them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_by_name: Vec<NameMatch>,
}

/// A unit matched by name and country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameMatch {
    /// The method whose unit was renamed.
    pub method: String,
    /// Its id there.
    pub id: String,
    /// The id it is compared under.
    pub as_id: String,
    /// The name both have.
    pub name: String,
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
    /// Rank shift against the baseline: baseline rank − this rank, both ranks
    /// counted among the units that both methods rank (so that units only one
    /// method has do not shift the others); positive means higher up than in the
    /// baseline (null for the baseline itself, or when either rank is missing).
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
    /// Mean of |rank in a − rank in b|, both rankings re-ranked among the units
    /// both rank (so that units only one method has do not shift the others).
    pub mean_abs_rank_shift: Option<f64>,
    /// Largest such shift.
    pub max_abs_rank_shift: Option<u32>,
    /// Mean of |rank in a − rank in b| with the ranks as each method reports them
    /// (among its own units; equal to `mean_abs_rank_shift` when both methods rank
    /// the same units).
    pub mean_abs_rank_shift_reported: Option<f64>,
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

/// Compares the results of several methods (at least one; pair measures need two).
pub fn compare(results: &[&Results], options: CompareOptions) -> Result<CompareReport> {
    if results.is_empty() {
        bail!("nothing to compare: give at least one edition");
    }
    if options.top_k == 0 {
        bail!("--top: k must be at least 1");
    }
    let labels = labels(results);
    let (aligned, matched_by_name) = align(results, &labels);
    let results: Vec<&Results> = aligned.iter().collect();
    let results = results.as_slice();
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

    // Each method's ranks among the units it and the baseline both rank.
    let common_ranks: Vec<BTreeMap<&str, (u32, u32)>> = lookup
        .iter()
        .map(|l| {
            let both: Vec<(&str, u32, u32)> = lookup[0]
                .iter()
                .filter_map(|(id, u0)| Some((*id, u0.rank?, l.get(id)?.rank?)))
                .collect();
            let r0 = measures::rerank(&both.iter().map(|x| x.1).collect::<Vec<_>>());
            let rm = measures::rerank(&both.iter().map(|x| x.2).collect::<Vec<_>>());
            both.iter()
                .zip(r0.into_iter().zip(rm))
                .map(|((id, _, _), r)| (*id, r))
                .collect()
        })
        .collect();
    let mut units = Vec::with_capacity(ids.len());
    let mut partial_units = Vec::new();
    for id in &ids {
        let first = lookup.iter().find_map(|l| l.get(id)).copied();
        let Some(first) = first else { continue };
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
                            shift: match m {
                                0 => None,
                                _ => common_ranks[m].get(id).map(|(b, r)| i64::from(*b) - i64::from(*r)),
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
        matched_by_name,
    })
}

/// A unit as matching by name sees it: its id, name and country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitName<'a> {
    /// Unit id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Country code, if known.
    pub country: Option<&'a str>,
}

/// The units of `later` to compare under another id: each one whose id `earlier`
/// does not have takes the id of the one unit of `earlier` with the same name
/// (folded as `--published` folds names) and country whose id `later` does not
/// have — if there is exactly one, and `later` has that name and country once
/// (two cities of one name in one country are not guessed between). Returns
/// `(id in later, id in earlier, name)`, in `later`'s order. The one matching of
/// units by name: `compare` and `diff` use it.
pub fn match_by_name(earlier: &[UnitName], later: &[UnitName]) -> Vec<(String, String, String)> {
    let key = |u: &UnitName| {
        (
            crate::published::normalise_name(u.name),
            u.country.unwrap_or_default().to_string(),
        )
    };
    let own: std::collections::BTreeSet<&str> = later.iter().map(|u| u.id).collect();
    let earlier_ids: std::collections::BTreeSet<&str> = earlier.iter().map(|u| u.id).collect();
    // Earlier units whose ids `later` lacks, by name and country (an id given
    // several times counts with its first name).
    let mut by_key: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    for u in earlier {
        if seen.insert(u.id) && !own.contains(u.id) {
            by_key.entry(key(u)).or_default().push(u.id);
        }
    }
    let mut here: BTreeMap<(String, String), usize> = BTreeMap::new();
    for u in later {
        *here.entry(key(u)).or_default() += 1;
    }
    let mut taken = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for u in later {
        if earlier_ids.contains(u.id) {
            continue;
        }
        let k = key(u);
        if here.get(&k) == Some(&1)
            && let Some([other]) = by_key.get(&k).map(Vec::as_slice)
            && taken.insert(*other)
        {
            out.push((u.id.to_string(), other.to_string(), u.name.to_string()));
        }
    }
    out
}

/// The units of a results document as [`match_by_name`] sees them.
fn unit_names(r: &Results) -> Vec<UnitName<'_>> {
    r.units
        .iter()
        .map(|u| UnitName {
            id: &u.id,
            name: &u.name,
            country: u.country.as_deref(),
        })
        .collect()
}

/// The results with each unit under one id across methods: a unit whose id the
/// earlier methods do not have takes the id of the one unit there with the same
/// normalised name and country (see [`match_by_name`]); the renamings are
/// returned.
fn align(results: &[&Results], labels: &[String]) -> (Vec<Results>, Vec<NameMatch>) {
    let mut aligned: Vec<Results> = Vec::with_capacity(results.len());
    let mut matches = Vec::new();
    for (m, r) in results.iter().enumerate() {
        let mut r = (*r).clone();
        if m > 0 {
            let earlier: Vec<UnitName> = aligned.iter().flat_map(unit_names).collect();
            let renamed = match_by_name(&earlier, &unit_names(&r));
            for (id, as_id, name) in renamed {
                if let Some(u) = r.units.iter_mut().find(|u| u.id == id) {
                    u.id.clone_from(&as_id);
                }
                matches.push(NameMatch {
                    method: labels[m].clone(),
                    id,
                    as_id,
                    name,
                });
            }
        }
        aligned.push(r);
    }
    (aligned, matches)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::measures::rerank;
    use super::*;
    use std::path::PathBuf;

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
