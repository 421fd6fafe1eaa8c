//! Ranks, tiers, peer groups and ranks within groups.

use super::group_index;
use crate::methodology::{Manifest, RankSpec, TierRule, check_tiers};
use anyhow::{Result, anyhow, bail};
use cityrank_steps::{rank as rk, tiers as tr};

/// Ranks, tiers and peer groups of a set of units.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// Rank per unit (`None` when unscored).
    pub ranks: Vec<Option<u32>>,
    /// Tier index per unit (`None` when unranked or without a peer group).
    pub tiers: Vec<Option<usize>>,
    /// Peer group per unit, when the methodology rates within peer groups.
    pub peer_groups: Option<Vec<Option<usize>>>,
    /// Whether each unit is in the best tier open to it: the first tier, or the
    /// first of its peer group's scale when groups are rated on scales of their own.
    pub top: Vec<bool>,
    /// Rank within the unit's group (`pipeline.rank_within`), when asked for.
    pub group_ranks: Option<Vec<Option<u32>>>,
}

/// Ranks units by `scores` (the manifest's ranking rule) and assigns its tiers —
/// within peer groups formed from `covariate` when the manifest asks for them —
/// and ranks them within the groups `within` gives (the dataset column
/// `pipeline.rank_within` names, and its label per unit), by the same rule.
pub fn rank(
    scores: &[f64],
    manifest: &Manifest,
    covariate: Option<&[f64]>,
    within: Option<(&str, &[&str])>,
) -> Result<Ranking> {
    let (ranks, how) = match manifest.pipeline.rank {
        RankSpec::Competition => (rk::competition(scores), rk::Ranking::Competition),
        RankSpec::Dense => (rk::dense(scores), rk::Ranking::Dense),
    };
    let group_ranks = match within {
        Some((column, labels)) => Some(
            rk::within_groups(scores, &group_index(labels), how)
                .map_err(|e| anyhow!("ranks within `{column}`: {e}"))?,
        ),
        None => None,
    };
    let rule = check_tiers(&manifest.tiers)?;
    let catch_all = matches!(&rule, TierRule::Thresholds(b) if b.last() == Some(&f64::NEG_INFINITY));
    let steps_rule = match rule {
        TierRule::Shares(s) => tr::TierRule::CumulativeShare(s),
        TierRule::Thresholds(mut b) => {
            if catch_all {
                b.pop();
            }
            tr::TierRule::Thresholds(b)
        }
    };
    let mut scales: Vec<Vec<usize>> = Vec::new();
    let (tiers, peer_groups) = match (&manifest.peer_groups, covariate) {
        (Some(spec), Some(cov)) => {
            let groups = tr::quantile_groups(cov, spec.groups).map_err(|e| anyhow!("peer groups: {e}"))?;
            scales = spec.scale_indices(&manifest.tiers)?;
            let t = match &steps_rule {
                tr::TierRule::CumulativeShare(shares) if !scales.is_empty() => {
                    tr::within_peer_scales(scores, &groups, shares, &scales)
                }
                _ => tr::within_peer_groups(scores, &groups, &steps_rule),
            }
            .map_err(|e| anyhow!("tiers: {e}"))?;
            (t, Some(groups))
        }
        (Some(spec), None) => bail!("peer groups: the covariate `{}` is not available", spec.covariate),
        (None, _) => {
            let t = match &steps_rule {
                tr::TierRule::CumulativeShare(s) => tr::by_cumulative_share(&ranks, s),
                tr::TierRule::Thresholds(b) if b.is_empty() => Ok(vec![None; scores.len()]),
                tr::TierRule::Thresholds(b) => tr::by_thresholds(scores, b),
            }
            .map_err(|e| anyhow!("tiers: {e}"))?;
            (t, None)
        }
    };
    // A threshold list ending without a bound catches every other scored unit.
    let last = manifest.tiers.len() - 1;
    let tiers: Vec<Option<usize>> = tiers
        .into_iter()
        .enumerate()
        .map(|(u, t)| {
            let in_group = peer_groups.as_ref().is_none_or(|g| g[u].is_some());
            t.or((catch_all && in_group && !scores[u].is_nan()).then_some(last))
        })
        .collect();
    let best = |u: usize| -> usize {
        match &peer_groups {
            Some(g) if !scales.is_empty() => g[u].and_then(|g| scales.get(g)).map_or(0, |s| s[0]),
            _ => 0,
        }
    };
    let top = tiers.iter().enumerate().map(|(u, t)| *t == Some(best(u))).collect();
    Ok(Ranking {
        ranks,
        tiers,
        peer_groups,
        top,
        group_ranks,
    })
}
