//! Ranking units by score: competition ("1224") and dense ("1223") rankings, over
//! all units or within groups (e.g. peer groups or regions).
//!
//! All rankings are O(n log n): one sort of the present scores, then one pass.
//!
//! # Ties
//! Scores that are equal up to rounding tie ([`ties`]): a mean of 0.1, 0.2, 0.3
//! is 0.20000000000000004 or 0.19999999999999998 depending on the order of the
//! terms, and ranks must follow the scores users see, not the last bits of a sum.
//! Two scores tie when they differ by at most [`TIE_TOLERANCE`] of the larger
//! magnitude; in a sorted list each unit is compared with the first (best) unit of
//! its tie group, so a group never stretches beyond that tolerance by chaining.

use crate::{StepError, is_missing};

/// How tied units are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Ranking {
    /// Competition ranking ("1224"): ties share the best rank of their group and the
    /// next rank skips the tied places (see [`competition`]).
    Competition,
    /// Dense ranking ("1223"): ties share a rank and the next rank follows on
    /// without gaps (see [`dense`]).
    Dense,
}

/// Relative tolerance under which two scores tie: 1e-12, about 4,500 units in the
/// last place of a double — far above the rounding error of any aggregation over
/// a few hundred children (at most n · 2⁻⁵³ ≈ 2e-14 relative for 200 terms) and far
/// below any difference a report prints (scores are shown to 2–6 digits).
pub const TIE_TOLERANCE: f64 = 1e-12;

/// Whether the scores `a` and `b` tie: equal, or within [`TIE_TOLERANCE`] of the
/// larger magnitude (`|a − b| ≤ 1e-12 · max(|a|, |b|)`).
pub fn ties(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= TIE_TOLERANCE * a.abs().max(b.abs())
}

/// Ranks `scores` (highest = rank 1) with the given tie rule; missing scores get no
/// rank (`None`).
pub fn rank(scores: &[f64], ranking: Ranking) -> Vec<Option<u32>> {
    match ranking {
        Ranking::Competition => competition(scores),
        Ranking::Dense => dense(scores),
    }
}

/// Competition ranking ("1224"): the highest score gets rank 1 and tied units share
/// the best rank of their group. Missing scores get no rank (`None`).
///
/// Scores equal up to rounding tie (see [`ties`]).
pub fn competition(scores: &[f64]) -> Vec<Option<u32>> {
    let order = descending_order(scores);
    let mut ranks = vec![None; scores.len()];
    // The first score of the current tie group and its rank.
    let mut leader: Option<(f64, u32)> = None;
    for (pos, &u) in order.iter().enumerate() {
        let s = scores[u];
        let r = match leader {
            Some((p, r)) if ties(p, s) => r,
            _ => {
                let r = pos as u32 + 1;
                leader = Some((s, r));
                r
            }
        };
        ranks[u] = Some(r);
    }
    ranks
}

/// Indices of the units with a score, best first; ties keep their input order.
pub fn descending_order(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).filter(|&u| !is_missing(scores[u])).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// Dense ranking ("1223"): the highest score gets rank 1, tied units share a rank and
/// the next distinct score gets the next integer. Missing scores get no rank (`None`).
/// Scores equal up to rounding tie (see [`ties`]).
pub fn dense(scores: &[f64]) -> Vec<Option<u32>> {
    let order = descending_order(scores);
    let mut ranks = vec![None; scores.len()];
    let mut leader: Option<(f64, u32)> = None;
    for &u in &order {
        let s = scores[u];
        let r = match leader {
            Some((p, r)) if ties(p, s) => r,
            Some((_, r)) => {
                leader = Some((s, r + 1));
                r + 1
            }
            None => {
                leader = Some((s, 1));
                1
            }
        };
        ranks[u] = Some(r);
    }
    ranks
}

/// Ranks units within groups: each unit is ranked only against the units of its own
/// group (`groups[u]`), with the given tie rule (scores equal up to rounding tie,
/// see [`ties`]). Units without a group or without a
/// score get no rank. Group labels are arbitrary indices (they need not be
/// contiguous).
///
/// Errors if `groups` and `scores` differ in length.
pub fn within_groups(
    scores: &[f64],
    groups: &[Option<usize>],
    ranking: Ranking,
) -> Result<Vec<Option<u32>>, StepError> {
    if groups.len() != scores.len() {
        return Err(StepError::Shape {
            what: format!("{} scores but {} group labels", scores.len(), groups.len()),
        });
    }
    // One sort of (group, score desc) and a pass per group run: O(n log n).
    let mut order: Vec<usize> = (0..scores.len())
        .filter(|&u| groups[u].is_some() && !is_missing(scores[u]))
        .collect();
    order.sort_by(|&a, &b| groups[a].cmp(&groups[b]).then(scores[b].total_cmp(&scores[a])));
    let mut ranks = vec![None; scores.len()];
    let mut start = 0;
    while start < order.len() {
        let g = groups[order[start]];
        let mut end = start;
        while end < order.len() && groups[order[end]] == g {
            end += 1;
        }
        let mut leader: Option<(f64, u32)> = None;
        for (pos, &u) in order[start..end].iter().enumerate() {
            let s = scores[u];
            let r = match (leader, ranking) {
                (Some((p, r)), _) if ties(p, s) => r,
                (_, Ranking::Competition) => pos as u32 + 1,
                (Some((_, r)), Ranking::Dense) => r + 1,
                (None, Ranking::Dense) => 1,
            };
            if leader.is_none_or(|(p, _)| !ties(p, s)) {
                leader = Some((s, r));
            }
            ranks[u] = Some(r);
        }
        start = end;
    }
    Ok(ranks)
}

/// Ascending "min" ranks (R's `rank(x, ties.method = "min", na.last = "keep")`) of the
/// present values of `key`, written into `out` as `f64` (missing stays `NaN`). Returns
/// the number of present values. `scratch` is reused to avoid allocation.
pub(crate) fn ascending_min_ranks_into(
    key: impl Fn(usize) -> f64,
    n: usize,
    scratch: &mut Vec<usize>,
    out: &mut [f64],
) -> usize {
    scratch.clear();
    scratch.extend((0..n).filter(|&u| !is_missing(key(u))));
    scratch.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
    for v in out.iter_mut() {
        *v = f64::NAN;
    }
    let mut prev: Option<(f64, f64)> = None;
    for (pos, &u) in scratch.iter().enumerate() {
        let k = key(u);
        // `==` (not total order) so that −0.0 and +0.0 tie, as in R.
        let r = match prev {
            Some((p, r)) if p == k => r,
            _ => (pos + 1) as f64,
        };
        out[u] = r;
        prev = Some((k, r));
    }
    scratch.len()
}

/// Average ranks ("fractional ranking", R's `rank(x)` default): ascending, tied values
/// share the mean of the ranks they span; missing values stay `NaN`.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).filter(|&u| !is_missing(x[u])).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![f64::NAN; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean is (start+1+end)/2.
        let r = (start + 1 + end) as f64 / 2.0;
        for &u in &order[start..end] {
            out[u] = r;
        }
        start = end;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_best_rank() {
        // Scores 5, 9, 5, 7, NaN → order 9 (1), 7 (2), 5 and 5 (3, 3); NaN unranked.
        let r = competition(&[5.0, 9.0, 5.0, 7.0, f64::NAN]);
        assert_eq!(r, vec![Some(3), Some(1), Some(3), Some(2), None]);
    }

    #[test]
    fn dense_ranking_has_no_gaps() {
        // Scores 5, 9, 5, 7, NaN → 9 (1), 7 (2), 5 and 5 (3, 3); NaN unranked.
        // Add a 1: it is the next distinct score, so rank 4 (competition would say 5).
        let r = dense(&[5.0, 9.0, 5.0, 7.0, f64::NAN, 1.0]);
        assert_eq!(r, vec![Some(3), Some(1), Some(3), Some(2), None, Some(4)]);
        let c = rank(&[5.0, 9.0, 5.0, 7.0, f64::NAN, 1.0], Ranking::Competition);
        assert_eq!(c, vec![Some(3), Some(1), Some(3), Some(2), None, Some(5)]);
        assert_eq!(dense(&[2.0, 2.0, 2.0]), vec![Some(1); 3]);
    }

    #[test]
    fn ranks_within_groups() {
        // Group 0: units 0 (10), 2 (30), 4 (30) → 30, 30 share rank 1; 10 is 3rd
        // (competition) or 2nd (dense). Group 7: units 1 (5), 3 (50) → 50 first.
        // Unit 5 has no group, unit 6 no score.
        let s = [10.0, 5.0, 30.0, 50.0, 30.0, 99.0, f64::NAN];
        let g = [Some(0), Some(7), Some(0), Some(7), Some(0), None, Some(0)];
        let c = within_groups(&s, &g, Ranking::Competition).unwrap();
        assert_eq!(c, vec![Some(3), Some(2), Some(1), Some(1), Some(1), None, None]);
        let d = within_groups(&s, &g, Ranking::Dense).unwrap();
        assert_eq!(d, vec![Some(2), Some(2), Some(1), Some(1), Some(1), None, None]);
        assert!(within_groups(&s, &g[..3], Ranking::Dense).is_err());
    }

    #[test]
    fn average_ranks_by_hand() {
        // 3, 1, 4, 1, 5 → sorted 1, 1, 3, 4, 5: the two 1s span ranks 1–2 → 1.5 each.
        let r = average_ranks(&[3.0, 1.0, 4.0, 1.0, f64::NAN, 5.0]);
        assert_eq!(&r[..4], &[3.0, 1.5, 4.0, 1.5]);
        assert!(r[4].is_nan());
        assert_eq!(r[5], 5.0);
    }

    #[test]
    fn min_ranks_treat_signed_zeros_as_ties() {
        let x = [0.0, -0.0, 2.0, f64::NAN, -1.0];
        let mut scratch = Vec::new();
        let mut out = vec![0.0; x.len()];
        let n = ascending_min_ranks_into(|u| x[u], x.len(), &mut scratch, &mut out);
        assert_eq!(n, 4);
        // −1 → 1; the two zeros tie at 2; 2 → 4.
        assert_eq!([out[0], out[1], out[2], out[4]], [2.0, 2.0, 4.0, 1.0]);
        assert!(out[3].is_nan());
    }

    #[test]
    fn single_and_empty() {
        assert_eq!(competition(&[1.0]), vec![Some(1)]);
        assert!(competition(&[]).is_empty());
    }
}
