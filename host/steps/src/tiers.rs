//! Tiers: groups of units by rank, such as "top 10%", "10–30%", "30–60%", "60–100%".

use crate::StepError;

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
pub fn by_cumulative_share(
    ranks: &[Option<u32>],
    upper_shares: &[f64],
) -> Result<Vec<Option<usize>>, StepError> {
    let valid = !upper_shares.is_empty()
        && upper_shares.windows(2).all(|w| w[0] < w[1])
        && upper_shares[0] > 0.0
        && (upper_shares[upper_shares.len() - 1] - 1.0).abs() < 1e-12;
    if !valid {
        return Err(StepError::InvalidParameter {
            name: "tiers".into(),
            expected: format!(
                "increasing cumulative shares in (0, 1] ending at 1, got {upper_shares:?}"
            ),
        });
    }
    let n = ranks.iter().flatten().count() as f64;
    let cutoffs: Vec<u32> = upper_shares
        .iter()
        .map(|s| (s * n).round() as u32)
        .collect();
    Ok(ranks
        .iter()
        .map(|r| {
            r.map(|r| {
                cutoffs
                    .iter()
                    .position(|&c| r <= c)
                    .unwrap_or(cutoffs.len() - 1)
            })
        })
        .collect())
}

#[cfg(test)]
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
    fn rejects_bad_shares() {
        assert!(by_cumulative_share(&[Some(1)], &[0.5, 0.3, 1.0]).is_err());
        assert!(by_cumulative_share(&[Some(1)], &[0.5]).is_err());
    }
}
