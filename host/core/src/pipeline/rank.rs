//! Ranks, tiers, peer groups and ranks within groups.

use super::group_index;
use crate::methodology::{Manifest, RankRule, TierRule, check_tiers};
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
    /// Rank within the unit's group (`pipeline.rank.within`), when asked for.
    pub group_ranks: Option<Vec<Option<u32>>>,
}

/// Ranks units by `scores` (the manifest's ranking rule) and assigns its tiers —
/// within peer groups formed from `covariate` when the manifest asks for them —
/// and ranks them within the groups `within` gives (the dataset column
/// `pipeline.rank.within` names, and its label per unit), by the same rule.
pub fn rank(
    scores: &[f64],
    manifest: &Manifest,
    covariate: Option<&[f64]>,
    within: Option<(&str, &[&str])>,
) -> Result<Ranking> {
    let how = ranking_rule(manifest);
    let ranks = rk::rank(scores, how);
    let group_ranks = match within {
        Some((column, labels)) => Some(
            rk::within_groups(scores, &group_index(labels), how)
                .map_err(|e| anyhow!("ranks within `{column}`: {e}"))?,
        ),
        None => None,
    };
    let plan = tier_plan(manifest, covariate)?;
    let (tiers, top) = tr::assign(scores, &ranks, &plan).map_err(|e| anyhow!("tiers: {e}"))?;
    Ok(Ranking {
        ranks,
        tiers,
        peer_groups: plan.peer_groups,
        top,
        group_ranks,
    })
}

/// The manifest's rule for tied scores.
pub fn ranking_rule(manifest: &Manifest) -> rk::Ranking {
    match manifest.pipeline.rank.rule() {
        RankRule::Competition => rk::Ranking::Competition,
        RankRule::Dense => rk::Ranking::Dense,
    }
}

/// How the manifest's tiers are assigned: its rule (shares, or thresholds with the
/// catch-all tier apart) and, when it rates within peer groups, each unit's group
/// (quantile groups of `covariate`, one value per unit) and the groups' scales.
/// Errors: invalid tiers, a missing covariate, groups that cannot be formed.
pub fn tier_plan(manifest: &Manifest, covariate: Option<&[f64]>) -> Result<tr::TierPlan> {
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
    let (peer_groups, scales) = match (&manifest.peer_groups, covariate) {
        (Some(spec), Some(cov)) => {
            let groups = tr::quantile_groups(cov, spec.groups).map_err(|e| anyhow!("peer groups: {e}"))?;
            (Some(groups), spec.scale_indices(&manifest.tiers)?)
        }
        (Some(spec), None) => bail!("peer groups: the covariate `{}` is not available", spec.covariate),
        (None, _) => (None, Vec::new()),
    };
    Ok(tr::TierPlan {
        rule: steps_rule,
        catch_all: catch_all.then(|| manifest.tiers.len() - 1),
        peer_groups,
        scales,
    })
}
