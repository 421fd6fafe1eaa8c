//! `cityrank diff A B`: what differs between two editions (or two variants, or
//! two versions of a methodology) and how much of the change in ranks each
//! difference causes.
//!
//! The differences are found on the effective manifests (the editions' tiers and
//! variants applied) and the data: each indicator's definition and weight, each
//! node's weight and aggregation, the framework's structure (indicators and nodes
//! added, removed or moved — one difference, so that every mix stays a valid
//! tree), each pipeline step, the tiers, the peer groups, the constants, and the
//! data (another dataset or panel). A *mix* applies some of B's differences to A.
//! The rank change of a mix is the mean absolute rank shift against A over the
//! units both rank (re-ranked among them, as `compare` counts it). Each
//! difference's share of the total is its Shapley value: the average over all
//! orders of applying the differences of the change it adds — exact over every
//! subset up to [`MAX_EXACT`] differences, estimated from [`SAMPLED_ORDERS`]
//! random orders (seeded, so the same every run) beyond. Alone (applied to A by
//! itself), each difference also gets its mean absolute shift, the units that
//! change tier and the largest movers.
//!
//! Mixes are built as manifests and checked as any manifest is, so the attribution
//! needs methodologies without code (declarative manifests); for code, the
//! differences and the total are reported without attribution.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, anyhow, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use cityrank_core::dataset::Dataset;
use cityrank_core::edition::ResolvedEdition;
use cityrank_core::methodology::Manifest;
use cityrank_core::report::{aligned, fmt_opt};
use cityrank_core::results::Results;
use cityrank_core::run::{self, LoadedMethodology};

use crate::compare::{NameMatch, UnitName, match_by_name, rerank};

/// Version of the diff format: 2 matches units by name and country when their
/// ids differ (`matched_by_name`), as `compare` does.
pub const DIFF_SCHEMA_VERSION: u32 = 2;
/// Up to this many differences, Shapley values are computed over every subset.
pub const MAX_EXACT: usize = 12;
/// Beyond [`MAX_EXACT`], the number of random orders averaged.
pub const SAMPLED_ORDERS: usize = 500;

/// What `cityrank diff --format json` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffReport {
    /// Format version of this document.
    pub schema_version: u32,
    /// Version of cityrank that computed it.
    pub cityrank: String,
    /// The first edition (`path@variant` as given).
    pub a: String,
    /// The second edition.
    pub b: String,
    /// Units both rank.
    pub common_units: usize,
    /// Mean absolute rank shift from A to B over the units both rank.
    pub total_mean_abs_rank_shift: Option<f64>,
    /// How the shares were computed: `exact` (every subset), `sampled` (random
    /// orders) or `none` (methodologies with code, or more than 63 differences:
    /// no mixes).
    pub attribution: String,
    /// Mixes that were not valid methodologies (counted as no change from A);
    /// many make the shares less telling.
    pub invalid_mixes: usize,
    /// Every difference, largest share first.
    pub differences: Vec<DifferenceInfo>,
    /// Units of B matched to units of A by name and country because their ids
    /// differ (e.g. `ng-lagos` and `nga-lagos`, both "Lagos", NGA); they are
    /// compared, and their data too, under A's id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_by_name: Vec<NameMatch>,
}

cityrank_core::document!(DiffReport, "diff");

/// One difference and its rank impact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DifferenceInfo {
    /// What differs: `data`, `structure`, `indicator`, `weight`, `aggregation`,
    /// `step`, `tiers`, `peer groups`, `constant`.
    pub kind: String,
    /// Which part (an indicator or node id, a step name).
    pub part: String,
    /// The value in A and in B, briefly.
    pub detail: String,
    /// Its Shapley share of the total mean absolute rank shift (null without
    /// attribution).
    pub share: Option<f64>,
    /// Mean absolute rank shift when only this difference is applied to A.
    pub alone_mean_abs_rank_shift: Option<f64>,
    /// Units whose tier changes when only this difference is applied.
    pub alone_tier_changes: Vec<String>,
    /// The largest movers when only this difference is applied: `id (+3)`.
    pub alone_largest_movers: Vec<String>,
}

/// One side of the diff: an edition run.
pub struct Side<'a> {
    /// As given on the command line.
    pub label: String,
    /// The edition.
    pub edition: &'a ResolvedEdition,
    /// Its methodology.
    pub loaded: &'a LoadedMethodology,
}

/// A difference and how a mix takes it.
struct Difference {
    info: DifferenceInfo,
    change: Change,
}

enum Change {
    /// Set the manifest's JSON at this path (keys, or `[id]` for array elements by
    /// id) to B's value (`None`: remove it).
    Json(Vec<String>, Option<Value>),
    /// Several of the above at once (e.g. every weight under one parent: weights
    /// are relative among siblings, so they change together).
    All(Vec<(Vec<String>, Option<Value>)>),
    /// B's framework structure (which indicators and nodes exist, and where).
    Structure,
    /// B's dataset and panel.
    Data,
}

/// A manifest as JSON, its arrays of parts keyed by id.
fn manifest_json(m: &Manifest) -> Result<Value> {
    serde_json::to_value(m).context("cannot represent the manifest as JSON")
}

fn brief(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "none".to_string(),
        Some(v) => {
            let s = crate::document::describe_settings(v);
            if s.chars().count() > 70 {
                format!("{}…", s.chars().take(69).collect::<String>())
            } else {
                s
            }
        }
    }
}

fn parts(v: &Value, key: &str) -> BTreeMap<String, Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((x.get("id")?.as_str()?.to_string(), x.clone())))
                .collect()
        })
        .unwrap_or_default()
}

/// Each indicator's and node's parent and weight, and the sum of the weights
/// under each parent: weights are relative among siblings, so what a weight
/// means is its share of that sum.
fn sibling_weights(m: &Value) -> (BTreeMap<String, (String, f64)>, BTreeMap<String, f64>) {
    let mut of = BTreeMap::new();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for key in ["nodes", "indicators"] {
        for (id, x) in parts(m, key) {
            let parent = x.get("parent").and_then(Value::as_str).unwrap_or_default().to_string();
            let w = x.get("weight").and_then(Value::as_f64).unwrap_or(1.0);
            *sums.entry(parent.clone()).or_default() += w;
            of.insert(id, (parent, w));
        }
    }
    (of, sums)
}

/// The weight differences: one per parent whose children's weights differ,
/// compared as shares of the parent (3, 3, 2, 2 and 0.3, 0.3, 0.2, 0.2 are the
/// same weights) when the parent has the same children in A and B, as written
/// otherwise. Applied, it gives every child in both B's weight: siblings change
/// together, so that a mix never weighs some on A's scale and others on B's.
fn weight_differences(ma: &Value, mb: &Value) -> Vec<Difference> {
    let (a, sum_a) = sibling_weights(ma);
    let (b, sum_b) = sibling_weights(mb);
    let children = |m: &BTreeMap<String, (String, f64)>, parent: &str| -> Vec<String> {
        m.iter()
            .filter(|(_, (p, _))| p == parent)
            .map(|(id, _)| id.clone())
            .collect()
    };
    let indicators = parts(ma, "indicators");
    let mut out = Vec::new();
    // By B's parents: their children end up there once the structure is B's.
    for (parent, &sb) in &sum_b {
        let sa = sum_a.get(parent).copied().unwrap_or(0.0);
        let (ca, cb) = (children(&a, parent), children(&b, parent));
        let same = ca == cb && sa > 0.0 && sb > 0.0;
        // B's children that A has (here, or under another parent: moved, their
        // weight must follow too).
        let common: Vec<&String> = cb.iter().filter(|c| a.contains_key(*c)).collect();
        let mut changed = Vec::new();
        let mut detail = Vec::new();
        for c in &common {
            let (wa, wb) = (a[*c].1, b[*c].1);
            let (share_a, share_b) = (wa / sum_a[&a[*c].0], wb / sb);
            let differs = if same {
                (share_a - share_b).abs() > 1e-12
            } else {
                wa != wb || a[*c].0 != *parent
            };
            if differs {
                detail.push(format!("{c} {:.1}% → {:.1}%", share_a * 100.0, share_b * 100.0));
            }
        }
        if detail.is_empty() {
            continue;
        }
        for c in &common {
            let key = if indicators.contains_key(*c) {
                "indicators"
            } else {
                "nodes"
            };
            changed.push((
                vec![key.to_string(), format!("[{c}]"), "weight".to_string()],
                Some(Value::from(b[*c].1)),
            ));
        }
        let shown = detail.len().min(4);
        let more = if detail.len() > shown {
            format!(" and {} more", detail.len() - shown)
        } else {
            String::new()
        };
        out.push(Difference {
            info: info(
                "weights",
                parent,
                format!("children's shares: {}{more}", detail[..shown].join(", ")),
            ),
            change: Change::All(changed),
        });
    }
    out
}

fn info(kind: &str, part: &str, detail: String) -> DifferenceInfo {
    DifferenceInfo {
        kind: kind.to_string(),
        part: part.to_string(),
        detail,
        share: None,
        alone_mean_abs_rank_shift: None,
        alone_tier_changes: Vec::new(),
        alone_largest_movers: Vec::new(),
    }
}

/// The differences between two effective manifests and two editions' data.
fn differences(ma: &Value, mb: &Value, data: &str) -> Vec<Difference> {
    let mut out = Vec::new();
    // Data (another file, or other panel years).
    if !data.is_empty() {
        out.push(Difference {
            info: info("data", "dataset", data.to_string()),
            change: Change::Data,
        });
    }
    // Structure: which indicators and nodes exist, and their parents.
    let shape = |v: &Value, key: &str| -> BTreeMap<String, Value> {
        parts(v, key)
            .into_iter()
            .map(|(id, x)| (id, x.get("parent").cloned().unwrap_or(Value::Null)))
            .collect()
    };
    let (ia, ib) = (parts(ma, "indicators"), parts(mb, "indicators"));
    let (na, nb) = (parts(ma, "nodes"), parts(mb, "nodes"));
    let root = |v: &Value| v["index"]["id"].clone();
    if shape(ma, "indicators") != shape(mb, "indicators")
        || shape(ma, "nodes") != shape(mb, "nodes")
        || root(ma) != root(mb)
    {
        let mut what = Vec::new();
        if root(ma) != root(mb) {
            what.push(format!("index {} → {}", brief(Some(&root(ma))), brief(Some(&root(mb)))));
        }
        for (label, x, y) in [("indicator", &ia, &ib), ("node", &na, &nb)] {
            for id in y.keys().filter(|k| !x.contains_key(*k)) {
                what.push(format!("+{label} {id}"));
            }
            for id in x.keys().filter(|k| !y.contains_key(*k)) {
                what.push(format!("−{label} {id}"));
            }
            for (id, v) in x {
                if let Some(w) = y.get(id)
                    && v.get("parent") != w.get("parent")
                {
                    what.push(format!("{label} {id} moved to {}", brief(w.get("parent"))));
                }
            }
        }
        let shown = what.len().min(6);
        let more = if what.len() > shown {
            format!(" and {} more", what.len() - shown)
        } else {
            String::new()
        };
        out.push(Difference {
            info: info("structure", "framework", format!("{}{more}", what[..shown].join(", "))),
            change: Change::Structure,
        });
    }
    // Indicators in both: definition and weight.
    for (id, x) in &ia {
        let Some(y) = ib.get(id) else { continue };
        let mut xd = x.clone();
        let mut yd = y.clone();
        for v in [&mut xd, &mut yd] {
            if let Some(o) = v.as_object_mut() {
                for k in ["weight", "parent", "name", "description"] {
                    o.remove(k);
                }
            }
        }
        if xd != yd {
            let changed: Vec<String> = xd
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .chain(yd.as_object().into_iter().flatten().map(|(k, _)| k.clone()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .filter(|k| xd.get(k) != yd.get(k))
                .collect();
            for k in changed {
                let detail = format!("{} → {}", brief(xd.get(&k)), brief(yd.get(&k)));
                out.push(Difference {
                    info: info("indicator", &format!("{id}.{k}"), detail),
                    change: Change::Json(
                        vec!["indicators".into(), format!("[{id}]"), k.clone()],
                        yd.get(&k).cloned(),
                    ),
                });
            }
        }
    }
    out.extend(weight_differences(ma, mb));
    // Nodes in both: aggregation (weights above); the index's aggregation.
    for (id, x) in &na {
        let Some(y) = nb.get(id) else { continue };
        if x.get("aggregate") != y.get("aggregate") {
            out.push(Difference {
                info: info(
                    "aggregation",
                    id,
                    format!("{} → {}", brief(x.get("aggregate")), brief(y.get("aggregate"))),
                ),
                change: Change::Json(
                    vec!["nodes".into(), format!("[{id}]"), "aggregate".into()],
                    y.get("aggregate").cloned(),
                ),
            });
        }
    }
    let index = |v: &Value| v.get("index").and_then(|i| i.get("aggregate")).cloned();
    if index(ma) != index(mb) {
        out.push(Difference {
            info: info(
                "aggregation",
                "index",
                format!("{} → {}", brief(index(ma).as_ref()), brief(index(mb).as_ref())),
            ),
            change: Change::Json(vec!["index".into(), "aggregate".into()], index(mb)),
        });
    }
    // Pipeline steps, tiers, peer groups, constants.
    for s in &cityrank_core::catalogue::STEPS {
        let (x, y) = (ma["pipeline"].get(s.name), mb["pipeline"].get(s.name));
        if x != y {
            out.push(Difference {
                info: info("step", s.name, format!("{} → {}", brief(x), brief(y))),
                change: Change::Json(vec!["pipeline".into(), s.name.into()], y.cloned()),
            });
        }
    }
    for (key, kind) in [("tiers", "tiers"), ("peer_groups", "peer groups")] {
        if ma.get(key) != mb.get(key) {
            out.push(Difference {
                info: info(kind, key, format!("{} → {}", brief(ma.get(key)), brief(mb.get(key)))),
                change: Change::Json(vec![key.into()], mb.get(key).cloned()),
            });
        }
    }
    let constants = |v: &Value| -> BTreeMap<String, Value> {
        v.get("constants")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    };
    let (ca, cb) = (constants(ma), constants(mb));
    for k in ca.keys().chain(cb.keys()).collect::<std::collections::BTreeSet<_>>() {
        if ca.get(k) != cb.get(k) {
            out.push(Difference {
                info: info("constant", k, format!("{} → {}", brief(ca.get(k)), brief(cb.get(k)))),
                change: Change::Json(vec!["constants".into(), k.clone()], cb.get(k).cloned()),
            });
        }
    }
    out
}

/// Sets (or removes) `path` in `v`; `[id]` selects an array element by id.
fn set_path(v: &mut Value, path: &[String], new: Option<&Value>) {
    let Some((last, head)) = path.split_last() else { return };
    let mut at = v;
    for key in head {
        at = match key.strip_prefix('[').and_then(|k| k.strip_suffix(']')) {
            Some(id) => match at.as_array_mut().and_then(|a| a.iter_mut().find(|x| x["id"] == id)) {
                Some(x) => x,
                None => return,
            },
            None => {
                if at.get(key).is_none() {
                    at[key.as_str()] = Value::Object(Default::default());
                }
                &mut at[key.as_str()]
            }
        };
    }
    if let Some(o) = at.as_object_mut() {
        match new {
            Some(x) if !x.is_null() => {
                o.insert(last.clone(), x.clone());
            }
            _ => {
                o.remove(last);
            }
        }
    }
}

/// B's structure in A's manifest: A's parts that B also has (with B's parent),
/// then B's parts that A lacks, in B's order.
fn apply_structure(v: &mut Value, mb: &Value) {
    v["index"]["id"] = mb["index"]["id"].clone();
    for key in ["indicators", "nodes"] {
        let b = parts(mb, key);
        let a_items: Vec<Value> = v.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        let mut items: Vec<Value> = Vec::new();
        let ids_b: Vec<String> = mb[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x["id"].as_str().map(str::to_string))
            .collect();
        for id in &ids_b {
            match a_items.iter().find(|x| x["id"] == id.as_str()) {
                Some(x) => {
                    let mut x = x.clone();
                    x["parent"] = b[id]["parent"].clone();
                    items.push(x);
                }
                None => items.push(b[id].clone()),
            }
        }
        v[key] = Value::Array(items);
    }
}

/// Rank and tier by unit id (unranked units absent).
type Ranks = BTreeMap<String, (u32, Option<String>)>;

/// B's unit ids that A calls otherwise (matched by name and country): B's id → A's.
type Renames = BTreeMap<String, String>;

/// The ranks of a run by unit id (unranked units absent), and tiers; units of B
/// matched by name under A's id.
fn ranks(results: &Results, renames: &Renames) -> Ranks {
    results
        .units
        .iter()
        .filter_map(|u| {
            let id = renames.get(&u.id).unwrap_or(&u.id).clone();
            Some((id, (u.rank?, u.tier.clone())))
        })
        .collect()
}

/// The units of B's dataset that A's has under another id, matched by name and
/// country as `compare` matches them (see [`match_by_name`]).
fn name_matches(da: &Dataset, db: &Dataset, b_label: &str) -> Vec<NameMatch> {
    fn names(d: &Dataset) -> Vec<UnitName<'_>> {
        let mut seen = std::collections::BTreeSet::new();
        d.units
            .iter()
            .filter(|u| seen.insert(u.id.as_str()))
            .map(|u| UnitName {
                id: &u.id,
                name: &u.name,
                country: u.country.as_deref(),
            })
            .collect()
    }
    match_by_name(&names(da), &names(db))
        .into_iter()
        .map(|(id, as_id, name)| NameMatch {
            method: b_label.to_string(),
            id,
            as_id,
            name,
        })
        .collect()
}

/// Per-unit rank shifts (re-ranked among the units both rank) from `base` to `other`.
fn shifts(base: &Ranks, other: &Ranks) -> Vec<(String, i64)> {
    let common: Vec<(&String, u32, u32)> = base
        .iter()
        .filter_map(|(id, (r, _))| Some((id, *r, other.get(id)?.0)))
        .collect();
    let ra = rerank(&common.iter().map(|c| c.1).collect::<Vec<_>>());
    let rb = rerank(&common.iter().map(|c| c.2).collect::<Vec<_>>());
    common
        .iter()
        .zip(ra.iter().zip(&rb))
        .map(|((id, _, _), (a, b))| ((*id).clone(), i64::from(*a) - i64::from(*b)))
        .collect()
}

fn mean_abs(s: &[(String, i64)]) -> Option<f64> {
    (!s.is_empty()).then(|| s.iter().map(|x| x.1.unsigned_abs() as f64).sum::<f64>() / s.len() as f64)
}

/// Compares two editions run by their loaded methodologies. Errors are for what
/// prevents the runs; mixes that are not valid methodologies count as no change.
pub fn diff(a: &Side, b: &Side) -> Result<DiffReport> {
    let ma_manifest = a.edition.effective_manifest(&a.loaded.manifest)?;
    let mb_manifest = b.edition.effective_manifest(&b.loaded.manifest)?;
    let (ma, mb) = (manifest_json(&ma_manifest)?, manifest_json(&mb_manifest)?);
    let da = Dataset::load(&a.edition.dataset)?;
    let db = Dataset::load(&b.edition.dataset)?;
    let matched_by_name = name_matches(&da, &db, &b.label);
    let renames: Renames = matched_by_name
        .iter()
        .map(|m| (m.id.clone(), m.as_id.clone()))
        .collect();
    let data = data_summary(&da, &db, a.edition, b.edition, &renames);
    let mut diffs = differences(&ma, &mb, &data);
    if (a.loaded.plugin.is_some() || b.loaded.plugin.is_some()) && a.loaded.sha256 != b.loaded.sha256 {
        diffs.push(Difference {
            info: info(
                "code",
                "methodology",
                format!("{} → {}", a.loaded.label, b.loaded.label),
            ),
            change: Change::Json(Vec::new(), None),
        });
    }
    let run_a = run::run_loaded(a.loaded, a.edition, &da, Default::default())?;
    let run_b = run::run_loaded(b.loaded, b.edition, &db, Default::default())?;
    let (ranks_a, ranks_b) = (ranks(&run_a.results, &renames), ranks(&run_b.results, &renames));
    let total = shifts(&ranks_a, &ranks_b);
    let declarative = a.loaded.plugin.is_none() && b.loaded.plugin.is_none();
    let attribution = if !declarative || diffs.is_empty() || diffs.len() > 63 {
        "none"
    } else if diffs.len() <= MAX_EXACT {
        "exact"
    } else {
        "sampled"
    };
    let mut invalid_mixes = 0usize;
    if attribution != "none" {
        // The mix of a subset (a bit set over `diffs`), memoised.
        let mut memo: BTreeMap<u64, Option<Ranks>> = BTreeMap::new();
        let mut mix = |set: u64| -> Result<Option<Ranks>> {
            if let Some(r) = memo.get(&set) {
                return Ok(r.clone());
            }
            let r = mix_ranks(&ma, &mb, (a.edition, &da), (b.edition, &db), &diffs, set, &renames)?;
            if r.is_none() {
                invalid_mixes += 1;
            }
            memo.insert(set, r.clone());
            Ok(r)
        };
        let value = |r: &Option<Ranks>| -> Option<f64> { r.as_ref().and_then(|r| mean_abs(&shifts(&ranks_a, r))) };
        let d = diffs.len();
        let full = (1u64 << d) - 1;
        let all = mix(full)?;
        if all.as_ref() != Some(&ranks_b) {
            bail!(
                "internal error: applying every difference found between `{}` and `{}` does not give `{}`'s \
                 ranking; please report it",
                a.label,
                b.label,
                b.label
            );
        }
        let mut shares = vec![0.0; d];
        if d <= MAX_EXACT {
            // Shapley: Σ over subsets S without i of |S|!(d−|S|−1)!/d! · (v(S∪i) − v(S)).
            let fact = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
            for set in 0..=full {
                let v_s = value(&mix(set)?).unwrap_or(0.0);
                let s = set.count_ones() as usize;
                for (i, share) in shares.iter_mut().enumerate() {
                    if set & (1 << i) == 0 {
                        let v_si = value(&mix(set | (1 << i))?).unwrap_or(0.0);
                        *share += fact(s) * fact(d - s - 1) / fact(d) * (v_si - v_s);
                    }
                }
            }
        } else {
            let mut rng = crate::sensitivity::design::Rng::new(0xD1FF, 1);
            for _ in 0..SAMPLED_ORDERS {
                let mut order: Vec<usize> = (0..d).collect();
                for i in (1..d).rev() {
                    let j = (rng.uniform() * (i + 1) as f64) as usize;
                    order.swap(i, j.min(i));
                }
                let mut set = 0u64;
                let mut before = 0.0;
                for i in order {
                    set |= 1 << i;
                    // An invalid mix counts as no change from A, as in the exact sum.
                    let now = value(&mix(set)?).unwrap_or(0.0);
                    shares[i] += (now - before) / SAMPLED_ORDERS as f64;
                    before = now;
                }
            }
        }
        let alone: Vec<Option<Ranks>> = (0..d).map(|i| mix(1 << i)).collect::<Result<_>>()?;
        for (i, diff) in diffs.iter_mut().enumerate() {
            diff.info.share = Some(shares[i]);
            if let Some(alone) = &alone[i] {
                let s = shifts(&ranks_a, alone);
                diff.info.alone_mean_abs_rank_shift = mean_abs(&s);
                diff.info.alone_tier_changes = ranks_a
                    .iter()
                    .filter(|(id, (_, t))| alone.get(*id).is_some_and(|(_, u)| u != t))
                    .map(|(id, _)| id.clone())
                    .collect();
                let mut movers: Vec<&(String, i64)> = s.iter().filter(|x| x.1 != 0).collect();
                movers.sort_by_key(|x| (std::cmp::Reverse(x.1.unsigned_abs()), x.0.clone()));
                diff.info.alone_largest_movers = movers.iter().take(3).map(|(id, x)| format!("{id} ({x:+})")).collect();
            }
        }
    }
    let mut infos: Vec<DifferenceInfo> = diffs.into_iter().map(|d| d.info).collect();
    infos.sort_by(|x, y| y.share.unwrap_or(0.0).total_cmp(&x.share.unwrap_or(0.0)));
    Ok(DiffReport {
        schema_version: DIFF_SCHEMA_VERSION,
        cityrank: env!("CARGO_PKG_VERSION").to_string(),
        a: a.label.clone(),
        b: b.label.clone(),
        common_units: total.len(),
        total_mean_abs_rank_shift: mean_abs(&total),
        attribution: attribution.to_string(),
        invalid_mixes,
        differences: infos,
        matched_by_name,
    })
}

/// What differs in the data: units and values of the variables both have (B's
/// units matched by name under A's ids, see `renames`).
fn data_summary(da: &Dataset, db: &Dataset, a: &ResolvedEdition, b: &ResolvedEdition, renames: &Renames) -> String {
    if da.sha256 == db.sha256 && da.description_sha256 == db.description_sha256 && a.panel == b.panel {
        return String::new();
    }
    // The rows each edition scores (a panel's years), keyed by unit id when that is
    // unique among them (one year), else by id and year.
    let key = |d: &Dataset, e: &ResolvedEdition| -> BTreeMap<String, usize> {
        let rows: Vec<usize> = (0..d.units.len())
            .filter(|&i| match (&e.panel, d.units[i].time) {
                (Some(p), Some(t)) => p.years.contains(&t),
                _ => true,
            })
            .collect();
        let ids: std::collections::BTreeSet<&str> = rows.iter().map(|&i| d.units[i].id.as_str()).collect();
        let by_id = ids.len() == rows.len();
        rows.into_iter()
            .map(|i| {
                let u = &d.units[i];
                let id = renames.get(&u.id).unwrap_or(&u.id);
                match (by_id, u.time) {
                    (false, Some(t)) => (format!("{id}@{t}"), i),
                    _ => (id.clone(), i),
                }
            })
            .collect()
    };
    let (ka, kb) = (key(da, a), key(db, b));
    let added = kb.keys().filter(|k| !ka.contains_key(*k)).count();
    let removed = ka.keys().filter(|k| !kb.contains_key(*k)).count();
    let mut changed = 0usize;
    for (var, xa) in &da.numbers {
        if let Some(xb) = db.numbers.get(var) {
            for (k, &i) in &ka {
                if let Some(&j) = kb.get(k) {
                    let (x, y) = (xa[i], xb[j]);
                    if !(x == y || (x.is_nan() && y.is_nan())) {
                        changed += 1;
                    }
                }
            }
        }
    }
    let mut parts = vec![format!("{} → {}", da.description.id, db.description.id)];
    if a.panel != b.panel {
        let years = |e: &ResolvedEdition| e.panel.as_ref().map_or("all".to_string(), |p| format!("{:?}", p.years));
        parts.push(format!("panel years {} → {}", years(a), years(b)));
    }
    parts.push(format!(
        "{changed} values differ, {added} rows added, {removed} removed"
    ));
    parts.join("; ")
}

/// The ranks of the mix that applies the differences in `set` to A (`None` when
/// the mix is not a valid methodology).
fn mix_ranks(
    ma: &Value,
    mb: &Value,
    a: (&ResolvedEdition, &Dataset),
    b: (&ResolvedEdition, &Dataset),
    diffs: &[Difference],
    set: u64,
    renames: &Renames,
) -> Result<Option<Ranks>> {
    let mut m = ma.clone();
    let mut data_b = false;
    // Structure first, so that field changes find their parts.
    for (i, d) in diffs.iter().enumerate() {
        if set & (1 << i) != 0 && matches!(d.change, Change::Structure) {
            apply_structure(&mut m, mb);
        }
    }
    for (i, d) in diffs.iter().enumerate() {
        if set & (1 << i) == 0 {
            continue;
        }
        match &d.change {
            Change::Json(path, v) => set_path(&mut m, path, v.as_ref()),
            Change::All(changes) => {
                for (path, v) in changes {
                    set_path(&mut m, path, v.as_ref());
                }
            }
            Change::Structure => {}
            Change::Data => data_b = true,
        }
    }
    let manifest: Manifest = match serde_json::from_value(m) {
        Ok(x) => x,
        Err(_) => return Ok(None),
    };
    let text = toml::to_string(&manifest).map_err(|e| anyhow!("cannot write a mixed manifest: {e}"))?;
    let Ok((manifest, framework, formulas)) = run::check_manifest(&text, "a mix of the two editions", false) else {
        return Ok(None);
    };
    let (side, dataset) = if data_b { b } else { a };
    let mut edition = side.clone();
    // The mix is the whole methodology: no edition tiers, variant, expert panel
    // or pin on top.
    edition.variant = None;
    edition.experts = None;
    edition.expert_panel = None;
    edition.edition.tiers = None;
    edition.edition.peer_scales = None;
    edition.edition.methodology_sha256 = None;
    let loaded = LoadedMethodology {
        plugin: None,
        manifest,
        framework,
        formulas,
        path: side.path.clone(),
        sha256: String::new(),
        manifest_sha256: String::new(),
        label: "mix".into(),
        rebuilt: false,
        report: Default::default(),
    };
    match run::run_loaded(&loaded, &edition, dataset, Default::default()) {
        Ok(out) => Ok(Some(ranks(&out.results, renames))),
        Err(_) => Ok(None),
    }
}

/// Pretty JSON with a trailing newline, validated against its schema.
pub fn json(report: &DiffReport) -> Result<String> {
    let value = serde_json::to_value(report).context("cannot represent the diff as JSON")?;
    cityrank_core::schema::validate::<DiffReport>(&value, "diff")
        .context("internal error: the diff does not match its schema")?;
    let mut s = serde_json::to_string_pretty(&value)?;
    s.push('\n');
    Ok(s)
}

/// Aligned tables for the terminal.
pub fn table(r: &DiffReport) -> String {
    let mut out = format!(
        "{} → {}: {} difference{}, {} units ranked by both, mean |Δrank| {}\n",
        r.a,
        r.b,
        r.differences.len(),
        if r.differences.len() == 1 { "" } else { "s" },
        r.common_units,
        fmt_opt(r.total_mean_abs_rank_shift, 2)
    );
    match r.attribution.as_str() {
        "exact" => out.push_str("shares: Shapley values over every order of applying the differences\n"),
        "sampled" => {
            let _ = writeln!(
                out,
                "shares: Shapley values estimated from {SAMPLED_ORDERS} random orders"
            );
        }
        _ => out.push_str(
            "shares: not computed (a methodology with code cannot be mixed, or there are more than 63 differences)\n",
        ),
    }
    if r.invalid_mixes > 0 {
        let _ = writeln!(
            out,
            "{} mix{} of the differences {} not a valid methodology (counted as no change from A)",
            r.invalid_mixes,
            if r.invalid_mixes == 1 { "" } else { "es" },
            if r.invalid_mixes == 1 { "is" } else { "are" }
        );
    }
    let header: Vec<String> = [
        "kind",
        "part",
        "share",
        "alone",
        "tier changes",
        "largest movers",
        "A → B",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = r
        .differences
        .iter()
        .map(|d| {
            vec![
                d.kind.clone(),
                d.part.clone(),
                fmt_opt(d.share, 2),
                fmt_opt(d.alone_mean_abs_rank_shift, 2),
                d.alone_tier_changes.len().to_string(),
                d.alone_largest_movers.join(", "),
                d.detail.clone(),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&aligned(&header, &rows, |c| (2..=4).contains(&c), true));
    if !r.matched_by_name.is_empty() {
        out.push('\n');
        out.push_str(&crate::compare::name_matches(&r.matched_by_name));
    }
    out
}
