//! Tiers: groups of units by rank, such as "top 10%", "10–30%", "30–60%", "60–100%";
//! by score thresholds; and within peer groups (e.g. ratings within quartiles of a
//! covariate such as HDI, as the IMD does).

use crate::rank::{Ranking, within_groups};
use crate::{StepError, is_missing};

/// Assigns tiers by cumulative share of the ranked units.
///
/// `upper_shares` are the cumulative upper bounds of the tiers, increasing and
/// ending at 1 (e.g. `[0.1, 0.3, 0.6, 1.0]`). With `n` ranked units, tier `k` holds
/// the units whose rank is at most `round(upper_shares[k] · n)` (halves round up)
/// and that belong to no earlier tier. Because the rank decides, tied units always
/// share a tier. Returns the tier index per unit (`None` for unranked units).
///
/// Example: 62 units and `[0.1, 0.3, 0.6, 1.0]` give cut-offs 6.2 → 6, 18.6 → 19,
/// 37.2 → 37 and 62, so tiers of 6, 13, 18 and 25 units.
pub fn by_cumulative_share(ranks: &[Option<u32>], upper_shares: &[f64]) -> Result<Vec<Option<usize>>, StepError> {
    let valid = !upper_shares.is_empty()
        && upper_shares.windows(2).all(|w| w[0] < w[1])
        && upper_shares[0] > 0.0
        && (upper_shares[upper_shares.len() - 1] - 1.0).abs() < 1e-12;
    if !valid {
        return Err(StepError::InvalidParameter {
            name: "tiers".into(),
            expected: format!("increasing cumulative shares in (0, 1] ending at 1, got {upper_shares:?}"),
        });
    }
    let n = ranks.iter().flatten().count() as f64;
    // `s·n` for a decimal share can land a hair below an exact half (0.29 × 50 =
    // 14.499999999999998, and a stretched peer scale's 0.25 is 0.24999999999999994):
    // a tolerance far below any real fraction of a unit makes halves round up, as
    // documented.
    let cutoffs: Vec<u32> = upper_shares.iter().map(|s| (s * n + 1e-9).round() as u32).collect();
    Ok(ranks
        .iter()
        .map(|r| r.map(|r| cutoffs.iter().position(|&c| r <= c).unwrap_or(cutoffs.len() - 1)))
        .collect())
}

/// Assigns tiers by score thresholds: `lower_bounds` are the minimum scores of the
/// tiers, best tier first and strictly decreasing (e.g. `[75, 50, 25]`). A unit gets
/// the first tier whose bound its score reaches (or equals up to rounding, see
/// [`crate::rank::ties`]); a score below every bound gets the extra last tier
/// (`lower_bounds.len()`). Missing scores get `None`.
pub fn by_thresholds(scores: &[f64], lower_bounds: &[f64]) -> Result<Vec<Option<usize>>, StepError> {
    let valid = !lower_bounds.is_empty()
        && lower_bounds.iter().all(|b| b.is_finite())
        && lower_bounds.windows(2).all(|w| w[0] > w[1]);
    if !valid {
        return Err(StepError::InvalidParameter {
            name: "thresholds".into(),
            expected: format!("finite, strictly decreasing lower bounds, got {lower_bounds:?}"),
        });
    }
    Ok(scores
        .iter()
        .map(|&s| {
            if is_missing(s) {
                None
            } else {
                Some(
                    lower_bounds
                        .iter()
                        .position(|&b| s >= b || crate::rank::ties(s, b))
                        .unwrap_or(lower_bounds.len()),
                )
            }
        })
        .collect())
}

/// Peer groups by quantiles of a covariate: with `n_groups` groups the cut points are
/// the `1/n, 2/n, …` quantiles of the present values (R's default type-7 quantile)
/// and group `g` holds the values in `(q_g, q_{g+1}]`, the lowest group also its lower
/// end — R's `cut(x, quantile(x, 0:n/n), include.lowest = TRUE)`. Group 0 has the
/// lowest covariate. Equal values always share a group; a unit with a missing
/// covariate gets `None`.
pub fn quantile_groups(covariate: &[f64], n_groups: usize) -> Result<Vec<Option<usize>>, StepError> {
    if n_groups == 0 {
        return Err(StepError::InvalidParameter {
            name: "groups".into(),
            expected: "at least one group".into(),
        });
    }
    let mut sorted: Vec<f64> = covariate.iter().copied().filter(|v| !is_missing(*v)).collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return Ok(vec![None; covariate.len()]);
    }
    let n = sorted.len();
    // Interior cut points q_1 … q_{n_groups−1} (type 7: h = (n − 1)p).
    let cuts: Vec<f64> = (1..n_groups)
        .map(|g| {
            let h = (n - 1) as f64 * g as f64 / n_groups as f64;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        })
        .collect();
    Ok(covariate
        .iter()
        .map(|&v| {
            if is_missing(v) {
                None
            } else {
                Some(cuts.iter().take_while(|&&c| v > c).count())
            }
        })
        .collect())
}

/// A rule that turns scores into tiers.
#[derive(Debug, Clone, PartialEq)]
pub enum TierRule {
    /// By cumulative share of the ranked units (see [`by_cumulative_share`]).
    CumulativeShare(Vec<f64>),
    /// By score thresholds (see [`by_thresholds`]).
    Thresholds(Vec<f64>),
}

/// Assigns tiers within peer groups: units are ranked only against their own group
/// (`groups[u]`, e.g. from [`quantile_groups`] of HDI) and the rule is applied per
/// group, so "top 10%" means the top 10% of the unit's peers. Units without a group
/// or a score get `None`.
pub fn within_peer_groups(
    scores: &[f64],
    groups: &[Option<usize>],
    rule: &TierRule,
) -> Result<Vec<Option<usize>>, StepError> {
    if groups.len() != scores.len() {
        return Err(StepError::Shape {
            what: format!("{} scores but {} group labels", scores.len(), groups.len()),
        });
    }
    match rule {
        TierRule::Thresholds(bounds) => {
            let t = by_thresholds(scores, bounds)?;
            Ok(t.into_iter().zip(groups).map(|(t, g)| g.and(t)).collect())
        }
        TierRule::CumulativeShare(shares) => {
            // Validate once, even when no group has members.
            by_cumulative_share(&[], shares)?;
            rate_groups(scores, groups, |_| Ok((shares.clone(), None)))
        }
    }
}

/// Assigns ratings within peer groups, each group on its own part of the scale, as
/// the IMD Smart City Index does (its highest-HDI group is rated AAA–BB, its lowest
/// CCC–D).
///
/// `upper_shares` are the cumulative shares of the whole scale, best tier first (as
/// for [`by_cumulative_share`]); `scales[g]` lists the tiers group `g` uses, best
/// first, as increasing indices into the scale. Within a group its tiers keep their
/// relative widths, stretched to cover the whole group: on a scale of ten tiers of
/// 10% each, a group rated on five of them puts a fifth of its units in each. Units
/// are ranked only against their own group; units without a group or a score get
/// `None`. Returns the tier index on the whole scale.
pub fn within_peer_scales(
    scores: &[f64],
    groups: &[Option<usize>],
    upper_shares: &[f64],
    scales: &[Vec<usize>],
) -> Result<Vec<Option<usize>>, StepError> {
    by_cumulative_share(&[], upper_shares)?;
    let bad = |expected: String| StepError::InvalidParameter {
        name: "scales".into(),
        expected,
    };
    for (g, scale) in scales.iter().enumerate() {
        let increasing = scale.windows(2).all(|w| w[0] < w[1]);
        if scale.is_empty() || !increasing || scale.iter().any(|&t| t >= upper_shares.len()) {
            return Err(bad(format!(
                "group {g}: a non-empty list of increasing tier indices below {}, got {scale:?}",
                upper_shares.len()
            )));
        }
    }
    rate_groups(scores, groups, |g| {
        let scale = scales
            .get(g)
            .ok_or_else(|| bad(format!("a scale for every peer group; group {g} has none")))?;
        let width = |t: usize| upper_shares[t] - if t == 0 { 0.0 } else { upper_shares[t - 1] };
        let total: f64 = scale.iter().map(|&t| width(t)).sum();
        let mut cumulative = 0.0;
        let mut shares: Vec<f64> = scale
            .iter()
            .map(|&t| {
                cumulative += width(t);
                cumulative / total
            })
            .collect();
        // Exactly 1 at the end, whatever the rounding of the sum.
        if let Some(last) = shares.last_mut() {
            *last = 1.0;
        }
        Ok((shares, Some(scale.as_slice())))
    })
}

/// Ranks units within their groups and applies, per group `g`, the cumulative
/// shares `rule(g).0`; a tier `k` of the group is reported as `rule(g).1[k]` when a
/// mapping is given.
fn rate_groups<'a>(
    scores: &[f64],
    groups: &[Option<usize>],
    rule: impl Fn(usize) -> Result<(Vec<f64>, Option<&'a [usize]>), StepError>,
) -> Result<Vec<Option<usize>>, StepError> {
    let ranks = within_groups(scores, groups, Ranking::Competition)?;
    let mut out = vec![None; scores.len()];
    let mut labels: Vec<usize> = groups.iter().flatten().copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let mut sub = Vec::new();
    for g in labels {
        let (shares, map) = rule(g)?;
        let members: Vec<usize> = (0..scores.len()).filter(|&u| groups[u] == Some(g)).collect();
        sub.clear();
        sub.extend(members.iter().map(|&u| ranks[u]));
        let t = by_cumulative_share(&sub, &shares)?;
        for (&u, t) in members.iter().zip(t) {
            out[u] = t.map(|k| map.map_or(k, |m| m[k]));
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sixty_two_units_in_four_tiers() {
        let ranks: Vec<Option<u32>> = (1..=62).map(Some).collect();
        let t = by_cumulative_share(&ranks, &[0.1, 0.3, 0.6, 1.0]).unwrap();
        let count = |k| t.iter().filter(|x| **x == Some(k)).count();
        // Cut-offs 6, 19, 37, 62 (see the doc comment).
        assert_eq!([count(0), count(1), count(2), count(3)], [6, 13, 18, 25]);
    }

    #[test]
    fn halves_round_up_whatever_the_binary_share() {
        // 50 units, top 29%: 0.29 × 50 = 14.5 (14.499999999999998 in binary) → 15 units.
        let ranks: Vec<Option<u32>> = (1..=50).map(Some).collect();
        let t = by_cumulative_share(&ranks, &[0.29, 1.0]).unwrap();
        assert_eq!(t.iter().filter(|x| **x == Some(0)).count(), 15);
    }

    #[test]
    fn ties_share_a_tier_and_unranked_get_none() {
        // 10 units, top 10% = rank ≤ 1: two units tied at rank 1 are both top tier.
        let mut ranks: Vec<Option<u32>> = vec![Some(1), Some(1)];
        ranks.extend((3..=10).map(Some));
        ranks.push(None);
        let t = by_cumulative_share(&ranks, &[0.1, 1.0]).unwrap();
        assert_eq!(&t[..3], &[Some(0), Some(0), Some(1)]);
        assert_eq!(t[10], None);
    }

    #[test]
    fn thresholds_by_hand() {
        // Bounds 75, 50, 25: 80 → 0, 75 → 0 (inclusive), 60 → 1, 25 → 2, 10 → 3.
        let t = by_thresholds(&[80.0, 75.0, 60.0, 25.0, 10.0, f64::NAN], &[75.0, 50.0, 25.0]).unwrap();
        assert_eq!(t, vec![Some(0), Some(0), Some(1), Some(2), Some(3), None]);
        assert!(by_thresholds(&[1.0], &[25.0, 50.0]).is_err());
        assert!(by_thresholds(&[1.0], &[]).is_err());
    }

    #[test]
    fn quartiles_of_a_covariate() {
        // Sorted: .5 .55 .6 .65 .7 .8 .9 .95 (n = 8, h = 7p).
        // q.25: h = 1.75 → .55 + .75·.05 = .5875; q.5: h = 3.5 → .675;
        // q.75: h = 5.25 → .8 + .25·.1 = .825.
        let hdi = [0.5, 0.6, 0.7, 0.8, 0.9, 0.55, 0.65, 0.95, f64::NAN];
        let g = quantile_groups(&hdi, 4).unwrap();
        assert_eq!(
            g,
            vec![
                Some(0),
                Some(1),
                Some(2),
                Some(2),
                Some(3),
                Some(0),
                Some(1),
                Some(3),
                None
            ]
        );
        // A value equal to a cut point goes to the lower group; ties share a group.
        let g = quantile_groups(&[1.0, 2.0, 2.0, 3.0], 2).unwrap(); // median 2
        assert_eq!(g, vec![Some(0), Some(0), Some(0), Some(1)]);
        assert_eq!(quantile_groups(&[4.0, 4.0], 4).unwrap(), vec![Some(0), Some(0)]);
        assert!(quantile_groups(&[1.0], 0).is_err());
    }

    /// Two peer groups of four units (scores 10, 40, 30, 20 and 90, 50, 70, 60) and
    /// one unit without a group (99).
    fn two_groups() -> ([f64; 9], [Option<usize>; 9]) {
        let scores = [10.0, 40.0, 30.0, 20.0, 90.0, 50.0, 70.0, 60.0, 99.0];
        let mut groups = [Some(0); 9];
        groups[4..8].fill(Some(1));
        groups[8] = None;
        (scores, groups)
    }

    #[test]
    fn ratings_within_peer_groups() {
        // Two HDI groups of four units; within each, the top half (cumulative share
        // .5 of 4 = 2 units) is tier 0. Group 0 scores 10, 40, 30, 20 → units with 40
        // and 30 are tier 0. Group 1 scores 90, 50, 70, 60 → 90 and 70.
        let (scores, groups) = two_groups();
        let t = within_peer_groups(&scores, &groups, &TierRule::CumulativeShare(vec![0.5, 1.0])).unwrap();
        assert_eq!(
            t,
            vec![
                Some(1),
                Some(0),
                Some(0),
                Some(1),
                Some(0),
                Some(1),
                Some(0),
                Some(1),
                None
            ]
        );
        // Thresholds apply to scores directly, but only to units with a group.
        let t = within_peer_groups(&scores, &groups, &TierRule::Thresholds(vec![50.0])).unwrap();
        assert_eq!(
            t,
            vec![
                Some(1),
                Some(1),
                Some(1),
                Some(1),
                Some(0),
                Some(0),
                Some(0),
                Some(0),
                None
            ]
        );
        assert!(within_peer_groups(&scores, &groups[..2], &TierRule::Thresholds(vec![50.0])).is_err());
        assert!(within_peer_groups(&scores, &groups, &TierRule::CumulativeShare(vec![0.5])).is_err());
    }

    #[test]
    fn ratings_on_a_scale_per_group() {
        // A scale of four tiers of a quarter each (shares .25, .5, .75, 1). Group 0
        // (the lower one) is rated on tiers 2–3, group 1 on tiers 0–1, so each group
        // puts half of its units in each of its two tiers (widths .25 + .25,
        // stretched to .5 + .5). Group 0 scores 10, 40, 30, 20: 40 and 30 get tier 2,
        // 10 and 20 tier 3. Group 1 scores 90, 50, 70, 60: 90 and 70 get tier 0, the
        // others tier 1. The ungrouped unit (99) gets none.
        let (scores, g) = two_groups();
        let shares = [0.25, 0.5, 0.75, 1.0];
        let t = within_peer_scales(&scores, &g, &shares, &[vec![2, 3], vec![0, 1]]).unwrap();
        let expected = [3, 2, 2, 3, 0, 1, 0, 1].map(Some);
        assert_eq!(t[..8], expected);
        assert_eq!(t[8], None);
        // Unequal widths keep their proportions: tiers 0 (.25) and 2 (.25) and 3
        // (.25) over a group of four: cut-offs round(4/3) = 1, round(8/3) = 3, 4.
        let t = within_peer_scales(&scores[4..8], &[Some(0); 4], &shares, &[vec![0, 2, 3]]).unwrap();
        // Scores 90, 50, 70, 60 rank 1, 4, 2, 3 → tiers 0, 3, 2, 2.
        assert_eq!(t, vec![Some(0), Some(3), Some(2), Some(2)]);
        // IMD's lowest group on a scale of ten tenths: CCC, CC, C, D (tiers 6–9), a
        // quarter each. With 26 cities the cut-offs are 6.5 → 7, 13, 19.5 → 20 and 26
        // (halves round up), so 7, 6, 7 and 6 cities — although 0.7 − 0.6 is not
        // exactly 0.1 in binary.
        let tenths: Vec<f64> = (1..=10).map(|k| k as f64 / 10.0).collect();
        let s26: Vec<f64> = (0..26).map(|u| 100.0 - u as f64).collect();
        let t = within_peer_scales(&s26, &[Some(0); 26], &tenths, &[vec![6, 7, 8, 9]]).unwrap();
        let count = |k| t.iter().filter(|x| **x == Some(k)).count();
        assert_eq!([count(6), count(7), count(8), count(9)], [7, 6, 7, 6]);
        // A group without a scale, a scale out of order or beyond the scale: errors.
        assert!(within_peer_scales(&scores, &g, &shares, &[vec![2, 3]]).is_err());
        assert!(within_peer_scales(&scores, &g, &shares, &[vec![3, 2], vec![0]]).is_err());
        assert!(within_peer_scales(&scores, &g, &shares, &[vec![4], vec![0]]).is_err());
        assert!(within_peer_scales(&scores, &g, &shares, &[vec![], vec![0]]).is_err());
    }

    #[test]
    fn rejects_bad_shares() {
        assert!(by_cumulative_share(&[Some(1)], &[0.5, 0.3, 1.0]).is_err());
        assert!(by_cumulative_share(&[Some(1)], &[0.5]).is_err());
    }
}

/// How a ranking's units are put into tiers: the rule, and the peer groups (with
/// their rating scales) when units are rated within groups. Built by the host from
/// a methodology's `tiers` and `peer_groups`; [`assign`] applies it (the CLI's
/// pipeline and the report page's recomputation alike).
#[derive(Debug, Clone, PartialEq)]
pub struct TierPlan {
    /// The rule (cumulative shares or score thresholds without the catch-all).
    pub rule: TierRule,
    /// The tier of every scored unit that no bound places (in a peer group, when
    /// there are groups): a threshold list ending without a bound. `None`: no such tier.
    pub catch_all: Option<usize>,
    /// Peer group per unit (`None`: the unit has no group and no tier), when units
    /// are rated within groups.
    pub peer_groups: Option<Vec<Option<usize>>>,
    /// Per peer group, the tiers of the whole scale it is rated on (see
    /// [`within_peer_scales`]); empty: every group on the whole scale.
    pub scales: Vec<Vec<usize>>,
}

/// Tiers by `plan`, and whether each unit is in the best tier open to it (the
/// first tier, or the first of its peer group's scale). `scores` and `ranks` are
/// per unit (`ranks` from [`crate::rank::rank`] of the same scores); errors are
/// those of the rule's function.
pub fn assign(
    scores: &[f64],
    ranks: &[Option<u32>],
    plan: &TierPlan,
) -> Result<(Vec<Option<usize>>, Vec<bool>), StepError> {
    let tiers = match (&plan.peer_groups, &plan.rule) {
        (Some(groups), TierRule::CumulativeShare(shares)) if !plan.scales.is_empty() => {
            within_peer_scales(scores, groups, shares, &plan.scales)?
        }
        (Some(groups), rule) => within_peer_groups(scores, groups, rule)?,
        (None, TierRule::CumulativeShare(shares)) => by_cumulative_share(ranks, shares)?,
        (None, TierRule::Thresholds(bounds)) if bounds.is_empty() => vec![None; scores.len()],
        (None, TierRule::Thresholds(bounds)) => by_thresholds(scores, bounds)?,
    };
    let group = |u: usize| plan.peer_groups.as_ref().map_or(Some(0), |g| g[u]);
    let tiers: Vec<Option<usize>> = tiers
        .into_iter()
        .enumerate()
        .map(|(u, t)| t.or(plan.catch_all.filter(|_| group(u).is_some() && !is_missing(scores[u]))))
        .collect();
    let best = |u: usize| -> usize {
        match &plan.peer_groups {
            Some(g) if !plan.scales.is_empty() => g[u].and_then(|g| plan.scales.get(g)).map_or(0, |s| s[0]),
            _ => 0,
        }
    };
    let top = tiers.iter().enumerate().map(|(u, t)| *t == Some(best(u))).collect();
    Ok((tiers, top))
}
