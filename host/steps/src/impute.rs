//! Imputation: estimate missing values, and say exactly which cells were estimated.
//!
//! Three families, as in COINr's `Impute` and `impute_panel`:
//! - [`impute_columns`]: each indicator on its own — the mean or median of the
//!   indicator, overall or within a group of units (COINr `i_mean`, `i_median`,
//!   `i_mean_grp`, `i_median_grp` with `impute_by = "column"`);
//! - [`impute_rows`]: each unit on its own — the mean or median of the unit's other
//!   indicators in the same group of indicators, optionally on min-max normalised
//!   values (COINr `impute_by = "row"`, `group_level`, `normalise_first`);
//! - [`impute_panel`]: each unit's time series — the latest earlier observation,
//!   linear interpolation, or a constant (step) interpolation over time (COINr
//!   `impute_panel` with `imp_type = "latest" | "linear" | "constant"`).
//!
//! Every function works in place on column-major data and returns one
//! [`ImputedCell`] per cell it filled. Cells that cannot be estimated (e.g. a
//! group with no data for the indicator) stay missing and are not reported.

use crate::{Direction, StepError, is_missing, present, stats};

/// Group label meaning "this unit (or column) belongs to no group": it is neither
/// imputed nor used to impute others (COINr's `skip_f_na = TRUE` for an `NA` group).
pub const NO_GROUP: usize = usize::MAX;

/// Column-wise imputation methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Imputation {
    /// Mean of the indicator's present values (COINr `i_mean`).
    Mean,
    /// Median of the indicator's present values (COINr `i_median`).
    Median,
    /// Mean of the indicator over the units of the same group (COINr `i_mean_grp`).
    GroupMean,
    /// Median of the indicator over the units of the same group (COINr `i_median_grp`).
    GroupMedian,
}

/// The statistic of a unit's other indicators used by row-wise imputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowStat {
    /// Mean of the unit's present values in the group of indicators.
    Mean,
    /// Median of the unit's present values in the group of indicators.
    Median,
}

/// Imputation over time, for panel data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PanelImputation {
    /// The unit's latest earlier observation (last observation carried forward),
    /// looking back at most `max_steps` time points of the panel (`None`: all).
    /// Never fills values before the unit's first observation.
    Latest {
        /// How many earlier time points of the panel may be looked at.
        max_steps: Option<usize>,
    },
    /// Linear interpolation in time between the neighbouring observations; before
    /// the first or after the last observation, the nearest observation.
    Linear,
    /// Step interpolation: the previous observation (carried forward); before the
    /// first observation, the first one (carried backward).
    Constant,
}

/// How a cell was imputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ImputedBy {
    /// Mean of the indicator.
    ColumnMean,
    /// Median of the indicator.
    ColumnMedian,
    /// Mean of the indicator within the unit's group.
    GroupMean {
        /// The unit's group.
        group: usize,
    },
    /// Median of the indicator within the unit's group.
    GroupMedian {
        /// The unit's group.
        group: usize,
    },
    /// Mean of the unit's other indicators in the column group.
    RowMean,
    /// Median of the unit's other indicators in the column group.
    RowMedian,
    /// Copied from the unit's observation at an earlier time.
    Latest {
        /// The time of the observation copied.
        from_time: f64,
    },
    /// Linear interpolation (or nearest observation at the ends).
    Linear,
    /// Step interpolation (previous observation, or the first at the start).
    Constant,
}

/// One imputed cell: where, what value, how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImputedCell {
    /// Unit (row) index; for [`impute_panel`], the row of the long-format table.
    pub unit: usize,
    /// Column (indicator) index.
    pub column: usize,
    /// The value written.
    pub value: f64,
    /// How it was computed.
    pub method: ImputedBy,
}

/// Number of rows shared by all columns, or a shape error.
fn rows_of(cols: &[Vec<f64>]) -> Result<usize, StepError> {
    let n = cols.first().map_or(0, Vec::len);
    if let Some((j, c)) = cols.iter().enumerate().find(|(_, c)| c.len() != n) {
        return Err(StepError::Shape {
            what: format!("column {j} has {} rows but column 0 has {n}", c.len()),
        });
    }
    Ok(n)
}

/// Median of `buf` (sorted in place); `NaN` when empty. Matches R's `median()`.
fn median_in_place(buf: &mut [f64]) -> f64 {
    let n = buf.len();
    if n == 0 {
        return f64::NAN;
    }
    buf.sort_unstable_by(f64::total_cmp);
    if n % 2 == 1 {
        buf[n / 2]
    } else {
        (buf[n / 2 - 1] + buf[n / 2]) / 2.0
    }
}

/// Checks a unit-group vector and returns the number of groups (largest label + 1).
fn check_groups(groups: &[usize], n: usize, name: &str) -> Result<usize, StepError> {
    if groups.len() != n {
        return Err(StepError::Shape {
            what: format!("{name} has {} entries for {n} units", groups.len()),
        });
    }
    let k = groups.iter().filter(|&&g| g != NO_GROUP).max().map_or(0, |&g| g + 1);
    if k > n.max(1) {
        return Err(StepError::InvalidParameter {
            name: name.into(),
            expected: format!(
                "compact group labels 0..k with k ≤ the number of units ({n}), got label {}",
                k - 1
            ),
        });
    }
    Ok(k)
}

/// Imputes every indicator (column) on its own, in place.
///
/// `groups` gives one group label per unit (`0..k`, or [`NO_GROUP`]); it is required
/// by [`Imputation::GroupMean`] and [`Imputation::GroupMedian`] and ignored by the
/// others. Statistics are computed over the present values before anything is
/// written, so imputed values never feed other imputations. A unit without a group
/// is not imputed by the group methods and does not count in any group (COINr
/// `skip_f_na = TRUE`). When the statistic cannot be computed (an all-missing
/// column or group), the cells stay missing and are not reported.
///
/// Means are computed from a compensated sum, as R's extended-precision `mean()`,
/// so results match COINr to the last bit or two.
///
/// Returns the imputed cells in column-major order (by column, then unit).
pub fn impute_columns(
    cols: &mut [Vec<f64>],
    method: &Imputation,
    groups: Option<&[usize]>,
) -> Result<Vec<ImputedCell>, StepError> {
    let n = rows_of(cols)?;
    let grouped = matches!(method, Imputation::GroupMean | Imputation::GroupMedian);
    let (groups, k) = if grouped {
        let g = groups.ok_or_else(|| StepError::InvalidParameter {
            name: "groups".into(),
            expected: "one group label per unit for group-mean/median imputation".into(),
        })?;
        let k = check_groups(g, n, "groups")?;
        (g, k)
    } else {
        (&[][..], 0)
    };
    let mut report = Vec::new();
    let mut buf: Vec<f64> = Vec::with_capacity(n);
    let mut per_group: Vec<f64> = vec![f64::NAN; k];
    let mut sums = vec![stats::Sum::default(); k];
    for (j, col) in cols.iter_mut().enumerate() {
        if !col.iter().any(|v| is_missing(*v)) {
            continue;
        }
        match method {
            Imputation::Mean | Imputation::Median => {
                let (value, by) = if *method == Imputation::Mean {
                    (stats::accurate_mean(present(col)), ImputedBy::ColumnMean)
                } else {
                    buf.clear();
                    buf.extend(present(col));
                    (median_in_place(&mut buf), ImputedBy::ColumnMedian)
                };
                if is_missing(value) {
                    continue;
                }
                for (u, v) in col.iter_mut().enumerate() {
                    if is_missing(*v) {
                        *v = value;
                        report.push(ImputedCell {
                            unit: u,
                            column: j,
                            value,
                            method: by,
                        });
                    }
                }
            }
            Imputation::GroupMean | Imputation::GroupMedian => {
                if *method == Imputation::GroupMean {
                    // One pass: a compensated sum per group.
                    sums.fill(stats::Sum::default());
                    for (&v, &g) in col.iter().zip(groups) {
                        if g != NO_GROUP && !is_missing(v) {
                            sums[g].add(v);
                        }
                    }
                    for (slot, sum) in per_group.iter_mut().zip(&sums) {
                        *slot = sum.mean();
                    }
                } else {
                    for (g, slot) in per_group.iter_mut().enumerate() {
                        let needed = (0..n).any(|u| groups[u] == g && is_missing(col[u]));
                        buf.clear();
                        if needed {
                            buf.extend(
                                (0..n)
                                    .filter(|&u| groups[u] == g && !is_missing(col[u]))
                                    .map(|u| col[u]),
                            );
                        }
                        *slot = median_in_place(&mut buf);
                    }
                }
                for (u, v) in col.iter_mut().enumerate() {
                    let g = groups[u];
                    if !is_missing(*v) || g == NO_GROUP || is_missing(per_group[g]) {
                        continue;
                    }
                    *v = per_group[g];
                    let by = if *method == Imputation::GroupMean {
                        ImputedBy::GroupMean { group: g }
                    } else {
                        ImputedBy::GroupMedian { group: g }
                    };
                    report.push(ImputedCell {
                        unit: u,
                        column: j,
                        value: *v,
                        method: by,
                    });
                }
            }
        }
    }
    Ok(report)
}

/// Imputes every unit (row) on its own, in place: a missing cell gets the mean or
/// median of the unit's present values over the columns of the same column group.
///
/// - `column_groups`: one group label per column (e.g. the column's pillar, COINr's
///   `group_level`); `None` puts all columns in one group. A column labelled
///   [`NO_GROUP`] is neither imputed nor used.
/// - `normalise`: `Some(directions)` (one per column) first brings every column onto
///   `[0, 1]` by min-max with its direction, takes the statistic there, and maps the
///   result back onto the column's own scale — COINr's `normalise_first = TRUE`, the
///   default for row-wise imputation, with the same arithmetic
///   (`t = (d·x − min)/(max − min)`, back: `(t·(max − min) + min)·d`, where `d = ±1`
///   and min/max are those of `d·x`). A constant column carries no information on
///   that scale: it is not used, and a missing cell in it gets the constant.
///   `None` averages the raw values, which only makes sense on a common scale.
///
/// Cells whose unit has no usable value in the group stay missing and are not
/// reported. Returns the imputed cells in column-major order.
pub fn impute_rows(
    cols: &mut [Vec<f64>],
    stat: RowStat,
    column_groups: Option<&[usize]>,
    normalise: Option<&[Direction]>,
) -> Result<Vec<ImputedCell>, StepError> {
    let n = rows_of(cols)?;
    let m = cols.len();
    if let Some(g) = column_groups
        && g.len() != m
    {
        return Err(StepError::Shape {
            what: format!("column_groups has {} entries for {m} columns", g.len()),
        });
    }
    if let Some(d) = normalise
        && d.len() != m
    {
        return Err(StepError::Shape {
            what: format!("normalise has {} directions for {m} columns", d.len()),
        });
    }
    let group_of = |j: usize| column_groups.map_or(0, |g| g[j]);
    // Distinct group labels, in order of first appearance.
    let mut labels: Vec<usize> = Vec::new();
    for j in 0..m {
        let g = group_of(j);
        if g != NO_GROUP && !labels.contains(&g) {
            labels.push(g);
        }
    }
    let members: Vec<Vec<usize>> = labels
        .iter()
        .map(|&l| (0..m).filter(|&j| group_of(j) == l).collect())
        .collect();
    // Per column: sign, min and max of sign·x (for the normalised scale).
    let sign: Vec<f64> = (0..m).map(|j| normalise.map_or(1.0, |d| d[j].sign())).collect();
    let (lo, hi): (Vec<f64>, Vec<f64>) = cols
        .iter()
        .zip(&sign)
        .map(|(c, &s)| {
            present(c).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v * s), b.max(v * s))
            })
        })
        .unzip();
    let to_scale = |j: usize, v: f64| -> f64 {
        if normalise.is_none() {
            v
        } else if hi[j] > lo[j] {
            (v * sign[j] - lo[j]) / (hi[j] - lo[j])
        } else {
            f64::NAN // constant or empty column: no information on the 0–1 scale
        }
    };
    let from_scale = |j: usize, t: f64| -> f64 {
        if normalise.is_none() {
            t
        } else {
            (t * (hi[j] - lo[j]) + lo[j]) * sign[j]
        }
    };
    let by = match stat {
        RowStat::Mean => ImputedBy::RowMean,
        RowStat::Median => ImputedBy::RowMedian,
    };
    let mut report = Vec::new();
    let mut buf: Vec<f64> = Vec::with_capacity(m);
    // `u` indexes a row across several columns: a range loop is the clear form here.
    #[allow(clippy::needless_range_loop)]
    for u in 0..n {
        for cols_in_group in &members {
            if !cols_in_group.iter().any(|&j| is_missing(cols[j][u])) {
                continue;
            }
            buf.clear();
            buf.extend(
                cols_in_group
                    .iter()
                    .filter(|&&j| !is_missing(cols[j][u]))
                    .map(|&j| to_scale(j, cols[j][u]))
                    .filter(|t| !is_missing(*t)),
            );
            let t = match stat {
                RowStat::Mean => stats::accurate_mean(buf.iter().copied()),
                RowStat::Median => median_in_place(&mut buf),
            };
            if is_missing(t) {
                continue;
            }
            for &j in cols_in_group {
                if is_missing(cols[j][u]) {
                    let value = from_scale(j, t);
                    if is_missing(value) || value.is_infinite() {
                        continue; // an all-missing column has no scale to map back to
                    }
                    cols[j][u] = value;
                    report.push(ImputedCell {
                        unit: u,
                        column: j,
                        value,
                        method: by,
                    });
                }
            }
        }
    }
    report.sort_by_key(|c| (c.column, c.unit));
    Ok(report)
}

/// Imputes panel data over time, in place.
///
/// The data are in long format: row `r` is unit `units[r]` at time `times[r]`, and
/// every column has one entry per row (as COINr's `iData` with a `Time` column).
/// Each unit's time series is imputed on its own, for every column, from the
/// *original* observations only (an imputed value never feeds another):
///
/// - [`PanelImputation::Latest`]: the most recent earlier observation, looking back
///   at most `max_steps` of the panel's time points (COINr `imp_type = "latest"`,
///   `max_time`); values before the unit's first observation stay missing;
/// - [`PanelImputation::Linear`]: `y_a + (y_b − y_a)·((t − t_a)/(t_b − t_a))` between the
///   neighbouring observations, the nearest observation outside them (R's
///   `approx(rule = 2)`, as COINr). With a single observation the series is filled
///   with it (R's `approx` would stop with an error);
/// - [`PanelImputation::Constant`]: the previous observation, or the first one
///   before it (R's `approx(method = "constant", rule = 2)`).
///
/// A series with no observation stays missing. Times must be finite and a
/// (unit, time) pair may appear only once. Returns the imputed cells (with `unit`
/// the row index) in column-major order.
pub fn impute_panel(
    cols: &mut [Vec<f64>],
    units: &[usize],
    times: &[f64],
    method: &PanelImputation,
) -> Result<Vec<ImputedCell>, StepError> {
    let rows = rows_of(cols)?;
    if units.len() != rows || times.len() != rows {
        return Err(StepError::Shape {
            what: format!(
                "{rows} rows of data but {} unit labels and {} times",
                units.len(),
                times.len()
            ),
        });
    }
    if let Some(r) = times.iter().position(|t| !t.is_finite()) {
        return Err(StepError::InvalidParameter {
            name: "times".into(),
            expected: format!("finite times, got {} at row {r}", times[r]),
        });
    }
    // Rows sorted by (unit, time); then each unit's rows form one run.
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by(|&a, &b| units[a].cmp(&units[b]).then(times[a].total_cmp(&times[b])));
    if let Some(w) = order
        .windows(2)
        .find(|w| units[w[0]] == units[w[1]] && times[w[0]] == times[w[1]])
    {
        return Err(StepError::Shape {
            what: format!(
                "unit {} appears twice at time {} (rows {} and {})",
                units[w[0]], times[w[0]], w[0], w[1]
            ),
        });
    }
    // The panel's distinct times, ascending, to count "time points back".
    let mut panel_times: Vec<f64> = times.to_vec();
    panel_times.sort_by(f64::total_cmp);
    panel_times.dedup();
    let rank = |t: f64| panel_times.partition_point(|&p| p < t);

    let mut report = Vec::new();
    let mut start = 0;
    while start < rows {
        let mut end = start + 1;
        while end < rows && units[order[end]] == units[order[start]] {
            end += 1;
        }
        let run = &order[start..end];
        for (j, col) in cols.iter_mut().enumerate() {
            impute_series(col, run, times, method, &rank, j, &mut report);
        }
        start = end;
    }
    report.sort_by_key(|c| (c.column, c.unit));
    Ok(report)
}

/// Imputes one unit's series (`run`: its rows in time order) of one column.
fn impute_series(
    col: &mut [f64],
    run: &[usize],
    times: &[f64],
    method: &PanelImputation,
    rank: &dyn Fn(f64) -> usize,
    column: usize,
    report: &mut Vec<ImputedCell>,
) {
    if !run.iter().any(|&r| is_missing(col[r])) || run.iter().all(|&r| is_missing(col[r])) {
        return;
    }
    match *method {
        PanelImputation::Latest { max_steps } => {
            // Walk backwards so that the earlier rows read are still original.
            for p in (0..run.len()).rev() {
                let r = run[p];
                if !is_missing(col[r]) {
                    continue;
                }
                let rank_r = rank(times[r]);
                let source = run[..p]
                    .iter()
                    .rev()
                    .take_while(|&&q| max_steps.is_none_or(|s| rank_r - rank(times[q]) <= s))
                    .find(|&&q| !is_missing(col[q]));
                if let Some(&q) = source {
                    col[r] = col[q];
                    report.push(ImputedCell {
                        unit: r,
                        column,
                        value: col[q],
                        method: ImputedBy::Latest { from_time: times[q] },
                    });
                }
            }
        }
        PanelImputation::Linear | PanelImputation::Constant => {
            let by = if *method == PanelImputation::Linear {
                ImputedBy::Linear
            } else {
                ImputedBy::Constant
            };
            // Previous and next observed rows, scanning the (original) series.
            let observed = |q: &&usize| !is_missing(col[**q]);
            let first = run.iter().find(observed).copied();
            let last = run.iter().rev().find(observed).copied();
            let (Some(first), Some(last)) = (first, last) else {
                return;
            };
            let mut prev: Option<usize> = None;
            let mut filled: Vec<(usize, f64)> = Vec::new();
            for (p, &r) in run.iter().enumerate() {
                if !is_missing(col[r]) {
                    prev = Some(r);
                    continue;
                }
                let next = run[p + 1..].iter().find(|&&q| !is_missing(col[q])).copied();
                let value = match (prev, next) {
                    (None, _) => col[first],
                    (_, None) => col[last],
                    (Some(a), Some(b)) => {
                        if by == ImputedBy::Constant {
                            col[a]
                        } else {
                            let (ya, yb) = (col[a], col[b]);
                            ya + (yb - ya) * ((times[r] - times[a]) / (times[b] - times[a]))
                        }
                    }
                };
                filled.push((r, value));
            }
            for (r, value) in filled {
                col[r] = value;
                report.push(ImputedCell {
                    unit: r,
                    column,
                    value,
                    method: by,
                });
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Direction::{HigherIsBetter as Up, LowerIsBetter as Down};

    const NA: f64 = f64::NAN;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12)
    }

    #[test]
    fn column_mean_and_median() {
        // Column 0: present 1, 2, 6 → mean 3, median 2. Column 1 is complete.
        let mut cols = vec![vec![1.0, NA, 2.0, 6.0], vec![5.0, 5.0, 5.0, 5.0]];
        let rep = impute_columns(&mut cols, &Imputation::Mean, None).unwrap();
        assert_eq!(cols[0], vec![1.0, 3.0, 2.0, 6.0]);
        assert_eq!(
            rep,
            vec![ImputedCell {
                unit: 1,
                column: 0,
                value: 3.0,
                method: ImputedBy::ColumnMean
            }]
        );
        let mut cols = vec![vec![1.0, NA, 2.0, 6.0]];
        impute_columns(&mut cols, &Imputation::Median, None).unwrap();
        assert_eq!(cols[0], vec![1.0, 2.0, 2.0, 6.0]);
        // Even count with ties: present 4, 4, 1, 9 → sorted 1 4 4 9 → median (4+4)/2 = 4.
        let mut cols = vec![vec![4.0, NA, 4.0, 1.0, 9.0, NA]];
        let rep = impute_columns(&mut cols, &Imputation::Median, None).unwrap();
        assert_eq!(cols[0], vec![4.0, 4.0, 4.0, 1.0, 9.0, 4.0]);
        assert_eq!(rep.len(), 2);
    }

    #[test]
    fn column_edge_cases() {
        // All-missing column: nothing to impute from, stays missing, not reported.
        let mut cols = vec![vec![NA, NA], vec![1.0, NA]];
        let rep = impute_columns(&mut cols, &Imputation::Mean, None).unwrap();
        assert!(cols[0].iter().all(|v| v.is_nan()));
        // Single present value: it is the mean.
        assert_eq!(cols[1], vec![1.0, 1.0]);
        assert_eq!(rep.len(), 1);
        // A single unit with nothing present; no columns at all.
        let mut cols = vec![vec![NA]];
        assert!(impute_columns(&mut cols, &Imputation::Median, None).unwrap().is_empty());
        assert!(impute_columns(&mut [], &Imputation::Mean, None).unwrap().is_empty());
        // Ragged columns are a shape error.
        let mut cols = vec![vec![1.0], vec![1.0, 2.0]];
        assert!(matches!(
            impute_columns(&mut cols, &Imputation::Mean, None),
            Err(StepError::Shape { .. })
        ));
    }

    #[test]
    fn group_mean_and_median() {
        // Groups: units 0–2 in group 0, units 3–5 in group 1, unit 6 in no group.
        // Group 0 present: 1, 3 → mean 2. Group 1 present: 10, 60 → mean 35.
        // Unit 6 has no group: not imputed.
        let groups = [0, 0, 0, 1, 1, 1, NO_GROUP];
        let mut cols = vec![vec![1.0, NA, 3.0, 10.0, NA, 60.0, NA]];
        let rep = impute_columns(&mut cols, &Imputation::GroupMean, Some(&groups)).unwrap();
        assert!(same(&cols[0], &[1.0, 2.0, 3.0, 10.0, 35.0, 60.0, NA]));
        assert_eq!(rep[0].method, ImputedBy::GroupMean { group: 0 });
        assert_eq!(
            rep[1],
            ImputedCell {
                unit: 4,
                column: 0,
                value: 35.0,
                method: ImputedBy::GroupMean { group: 1 }
            }
        );
        assert_eq!(rep.len(), 2);
        // Median: group 0 {1, 3} → 2; add a third value to group 1 to make it differ
        // from the mean: {10, 60, 11} → sorted 10 11 60 → median 11 (mean would be 27).
        let mut cols = vec![vec![1.0, NA, 3.0, 10.0, NA, 60.0, 11.0]];
        let groups = [0, 0, 0, 1, 1, 1, 1];
        impute_columns(&mut cols, &Imputation::GroupMedian, Some(&groups)).unwrap();
        assert_eq!(cols[0], vec![1.0, 2.0, 3.0, 10.0, 11.0, 60.0, 11.0]);
    }

    #[test]
    fn group_with_no_data_stays_missing_and_groups_are_checked() {
        let mut cols = vec![vec![1.0, 2.0, NA, NA]];
        let rep = impute_columns(&mut cols, &Imputation::GroupMean, Some(&[0, 0, 1, 1])).unwrap();
        assert!(rep.is_empty());
        assert!(cols[0][2].is_nan() && cols[0][3].is_nan());
        assert!(matches!(
            impute_columns(&mut cols, &Imputation::GroupMean, None),
            Err(StepError::InvalidParameter { .. })
        ));
        assert!(matches!(
            impute_columns(&mut cols, &Imputation::GroupMean, Some(&[0, 1])),
            Err(StepError::Shape { .. })
        ));
        assert!(matches!(
            impute_columns(&mut cols, &Imputation::GroupMean, Some(&[0, 0, 1, 99])),
            Err(StepError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn rows_raw_and_grouped() {
        // Three columns, unit 0 misses column 1. Raw row mean of 2 and 4 = 3;
        // row median likewise 3.
        let mut cols = vec![vec![2.0, 1.0], vec![NA, 1.0], vec![4.0, 1.0]];
        let rep = impute_rows(&mut cols, RowStat::Mean, None, None).unwrap();
        assert_eq!(cols[1], vec![3.0, 1.0]);
        assert_eq!(
            rep,
            vec![ImputedCell {
                unit: 0,
                column: 1,
                value: 3.0,
                method: ImputedBy::RowMean
            }]
        );
        // Column groups {0, 1} and {2, 3}: unit 0 misses column 1 → from column 0 only
        // (5), and column 3 → from column 2 only (100), not the mean of all (52.5).
        let mut cols = vec![vec![5.0], vec![NA], vec![100.0], vec![NA]];
        impute_rows(&mut cols, RowStat::Median, Some(&[7, 7, 3, 3]), None).unwrap();
        assert_eq!((cols[1][0], cols[3][0]), (5.0, 100.0));
        // A row with nothing present in the group stays missing.
        let mut cols = vec![vec![NA], vec![NA], vec![1.0]];
        let rep = impute_rows(&mut cols, RowStat::Mean, Some(&[0, 0, 1]), None).unwrap();
        assert!(rep.is_empty() && cols[0][0].is_nan());
    }

    #[test]
    fn rows_normalised_with_directions() {
        // Column 0 (higher better): 0, 10, 20 → t = 0, 0.5, 1.
        // Column 1 (lower better):  100, 300, NA → d·x = −100, −300: min −300, max −100,
        //   so unit 0: (−100+300)/200 = 1, unit 1: (−300+300)/200 = 0.
        // Column 2 (higher better): NA, 7, 7 — constant: not used; imputed as 7.
        // Unit 1 is complete apart from column 2.
        // Unit 2 misses column 1: row mean of usable t = column 0's 1 → t = 1
        //   → back: (1·200 − 300)·(−1) = 100 (the best value of a lower-is-better column).
        // Unit 0 misses column 2: mean of t = 0 and 1 is 0.5 → (0.5·0 + 7)·1 = 7.
        let mut cols = vec![vec![0.0, 10.0, 20.0], vec![100.0, 300.0, NA], vec![NA, 7.0, 7.0]];
        let rep = impute_rows(&mut cols, RowStat::Mean, None, Some(&[Up, Down, Up])).unwrap();
        assert_eq!(cols[1][2], 100.0);
        assert_eq!(cols[2][0], 7.0);
        assert_eq!(
            rep.iter().map(|c| (c.unit, c.column)).collect::<Vec<_>>(),
            vec![(2, 1), (0, 2)]
        );
        // Direction/group lengths are checked.
        assert!(impute_rows(&mut cols, RowStat::Mean, None, Some(&[Up])).is_err());
        assert!(impute_rows(&mut cols, RowStat::Mean, Some(&[0]), None).is_err());
    }

    #[test]
    fn rows_all_missing_column_cannot_be_mapped_back() {
        // Column 1 has no data at all: with normalisation there is no scale to map a
        // row statistic onto, so the cells stay missing.
        let mut cols = vec![vec![1.0, 2.0], vec![NA, NA]];
        let rep = impute_rows(&mut cols, RowStat::Mean, None, Some(&[Up, Up])).unwrap();
        assert!(rep.is_empty());
        assert!(cols[1].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn panel_latest_linear_constant() {
        // One unit (7) over 2018–2022 in shuffled row order; column: 2018 = NA,
        // 2019 = 10, 2020 = NA, 2021 = NA, 2022 = 40.
        let units = [7, 7, 7, 7, 7];
        let times = [2022.0, 2018.0, 2020.0, 2019.0, 2021.0];
        let col = vec![40.0, NA, NA, 10.0, NA];
        // Latest: 2020 and 2021 ← 2019's 10; 2018 has nothing earlier: stays missing.
        let mut cols = vec![col.clone()];
        let rep = impute_panel(&mut cols, &units, &times, &PanelImputation::Latest { max_steps: None }).unwrap();
        assert!(same(&cols[0], &[40.0, NA, 10.0, 10.0, 10.0]));
        assert_eq!(rep.len(), 2);
        assert!(rep.iter().all(|c| c.method == ImputedBy::Latest { from_time: 2019.0 }));
        // Latest, at most one step back: 2020 ← 2019, but 2021 cannot reach 2019.
        let mut cols = vec![col.clone()];
        impute_panel(
            &mut cols,
            &units,
            &times,
            &PanelImputation::Latest { max_steps: Some(1) },
        )
        .unwrap();
        assert!(same(&cols[0], &[40.0, NA, 10.0, 10.0, NA]));
        // Linear: 2020 = 10 + 30·(1/3) = 20, 2021 = 10 + 30·(2/3) = 30; 2018 = nearest (10).
        let mut cols = vec![col.clone()];
        impute_panel(&mut cols, &units, &times, &PanelImputation::Linear).unwrap();
        assert!(same(&cols[0], &[40.0, 10.0, 20.0, 10.0, 30.0]));
        // Constant: 2020, 2021 ← 10 (carried forward); 2018 ← 10 (first, carried back).
        let mut cols = vec![col];
        let rep = impute_panel(&mut cols, &units, &times, &PanelImputation::Constant).unwrap();
        assert!(same(&cols[0], &[40.0, 10.0, 10.0, 10.0, 10.0]));
        assert_eq!(rep.iter().map(|c| c.unit).collect::<Vec<_>>(), vec![1, 2, 4]);
    }

    #[test]
    fn panel_units_are_separate_and_edge_cases() {
        // Units 1 and 2 at times 1, 2, 3 (uneven spacing for unit 2: times 1, 2, 5).
        // Unit 1: NA, NA, NA → stays missing. Unit 2: 0, NA, 8 → linear at t=2:
        // 0 + 8·(1/4) = 2.
        let units = [1, 1, 1, 2, 2, 2];
        let times = [1.0, 2.0, 3.0, 1.0, 2.0, 5.0];
        let mut cols = vec![vec![NA, NA, NA, 0.0, NA, 8.0]];
        let rep = impute_panel(&mut cols, &units, &times, &PanelImputation::Linear).unwrap();
        assert!(same(&cols[0], &[NA, NA, NA, 0.0, 2.0, 8.0]));
        assert_eq!(rep.len(), 1);
        // A single observation fills the whole series (linear and constant alike).
        let mut cols = vec![vec![NA, 3.0, NA]];
        impute_panel(&mut cols, &[0, 0, 0], &[1.0, 2.0, 3.0], &PanelImputation::Linear).unwrap();
        assert_eq!(cols[0], vec![3.0, 3.0, 3.0]);
        // Duplicate (unit, time), non-finite time, wrong lengths.
        let mut cols = vec![vec![1.0, 2.0]];
        assert!(impute_panel(&mut cols, &[0, 0], &[1.0, 1.0], &PanelImputation::Linear).is_err());
        assert!(impute_panel(&mut cols, &[0, 0], &[1.0, NA], &PanelImputation::Linear).is_err());
        assert!(impute_panel(&mut cols, &[0], &[1.0, 2.0], &PanelImputation::Linear).is_err());
    }
}
