//! The measures of agreement between two rankings of the same units.

use std::collections::BTreeMap;

use cityrank_core::results::Results;

use super::{PairComparison, TierAgreement, TierBasis, TopK};

/// Competition ranks (1 = best) of `ranks` re-ranked among themselves.
pub(crate) fn rerank(ranks: &[u32]) -> Vec<u32> {
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

pub(super) fn pair(a: &Results, b: &Results, la: &str, lb: &str, top_k: usize) -> PairComparison {
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
    let reported: Vec<u32> = ra.iter().zip(&rb).map(|(x, y)| x.abs_diff(*y)).collect();
    let (ca, cb) = (rerank(&ra), rerank(&rb));
    let shifts: Vec<u32> = ca.iter().zip(&cb).map(|(x, y)| x.abs_diff(*y)).collect();
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
        mean_abs_rank_shift_reported: mean(&reported),
    }
}
