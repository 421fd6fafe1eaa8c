//! Outlier treatment and normalisation: the steps that put indicators on a common scale.

use super::{ByYear, Context, CustomSteps, IndicatorTreatment, PluginBatches, Treated, describe};
use crate::methodology::{LogFallback, LoopTreatment, Manifest, NormaliseSpec, TreatSpec};
use anyhow::{Context as _, Result, anyhow, bail};
use cityrank_steps::normalise::{self as norm, Normaliser};
use cityrank_steps::treat::{self as trt, LoopStep, TreatLoop, Treatment};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The rows a step runs on together: all the kept rows, or for a panel that runs
/// the step year by year (`panel.by_year`), each year's rows.
struct Rows<'a> {
    /// The year, when these are one year's rows.
    year: Option<i32>,
    /// Their positions among the kept rows (`None`: all of them, in order).
    at: Option<Vec<usize>>,
    /// Their positions in [`Context::units`].
    kept: std::borrow::Cow<'a, [usize]>,
    /// Their ids.
    ids: std::borrow::Cow<'a, [String]>,
}

impl Rows<'_> {
    /// ` in 2019` for one year's rows, else nothing (for messages).
    fn in_year(&self) -> String {
        self.year.map(|y| format!(" in {y}")).unwrap_or_default()
    }

    /// `e` said of one year's rows (`treating the rows of 2019: …`); unchanged for
    /// all the rows.
    fn year_context(&self, e: anyhow::Error, doing: &str) -> anyhow::Error {
        match self.year {
            Some(y) => e.context(format!("{doing} the rows of {y} (panel.by_year)")),
            None => e,
        }
    }

    /// `x`'s columns restricted to these rows (moved when they are all the rows).
    fn take(&self, x: &mut [Vec<f64>]) -> Vec<Vec<f64>> {
        match &self.at {
            None => x.iter_mut().map(std::mem::take).collect(),
            Some(at) => x.iter().map(|c| at.iter().map(|&k| c[k]).collect()).collect(),
        }
    }

    /// Writes `part` (columns over these rows) into `x`'s columns (over every kept
    /// row); an empty column of `part` leaves `x`'s as it is.
    fn put(&self, x: &mut [Vec<f64>], part: Vec<Vec<f64>>, n: usize) {
        for (c, p) in x.iter_mut().zip(part) {
            match &self.at {
                None => *c = p,
                Some(_) if p.is_empty() => {}
                Some(at) => {
                    c.resize(n, f64::NAN);
                    for (&k, v) in at.iter().zip(p) {
                        c[k] = v;
                    }
                }
            }
        }
    }
}

/// The groups of kept rows a step runs on: one group of every kept row, or, when
/// the panel runs the step year by year (`step` of its [`ByYear`]), one group per
/// year, earliest first.
fn row_groups<'a>(
    ctx: &Context,
    kept: &'a [usize],
    kept_ids: &'a [String],
    step: fn(&ByYear) -> bool,
) -> Vec<Rows<'a>> {
    let all = || Rows {
        year: None,
        at: None,
        kept: kept.into(),
        ids: kept_ids.into(),
    };
    let Some(panel) = ctx.panel.filter(|p| step(&p.by_year)) else {
        return vec![all()];
    };
    let mut years: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (k, &u) in kept.iter().enumerate() {
        // Years are whole numbers (an `i32` column of the dataset).
        years.entry(panel.time[u] as i64).or_default().push(k);
    }
    years
        .into_iter()
        .map(|(y, at)| Rows {
            year: i32::try_from(y).ok(),
            kept: at.iter().map(|&k| kept[k]).collect::<Vec<_>>().into(),
            ids: at.iter().map(|&k| kept_ids[k].clone()).collect::<Vec<_>>().into(),
            at: Some(at),
        })
        .collect()
}

/// Outlier treatment of every indicator (plugin methods batched into one call
/// each): over every kept row at once, or year by year when the panel says so
/// (`panel.by_year = ["treat"]`).
pub(super) fn treat(
    manifest: &Manifest,
    ctx: &Context,
    mut x: Vec<Vec<f64>>,
    kept: &[usize],
    kept_ids: &[String],
    custom: &mut dyn CustomSteps,
) -> Result<Treated> {
    let mut reports = Vec::new();
    for rows in row_groups(ctx, kept, kept_ids, |b| b.treat) {
        let part = rows.take(&mut x);
        let (part, found) = treat_rows(manifest, ctx, part, &rows, custom)?;
        rows.put(&mut x, part, kept.len());
        reports.extend(found.into_iter().map(|mut t| {
            // Winsorised points: positions among the year's rows → among the kept rows.
            if let Some(at) = &rows.at {
                for w in &mut t.report.winsorised {
                    w.unit = at[w.unit];
                }
            }
            t
        }));
    }
    Ok(Treated {
        x,
        reports: Arc::new(reports),
    })
}

/// [`treat`] of the rows `rows` (`x`: their columns).
fn treat_rows(
    manifest: &Manifest,
    ctx: &Context,
    mut x: Vec<Vec<f64>>,
    rows: &Rows,
    custom: &mut dyn CustomSteps,
) -> Result<(Vec<Vec<f64>>, Vec<IndicatorTreatment>)> {
    let ids: Vec<String> = manifest.indicators.iter().map(|i| i.id.clone()).collect();

    // Treat.
    let mut treatment = Vec::new();
    let mut batches = PluginBatches::default();
    for (i, ind) in manifest.indicators.iter().enumerate() {
        match ind.treat.as_ref().or(manifest.pipeline.treat.as_ref()) {
            None | Some(TreatSpec::None) => {}
            Some(TreatSpec::Plugin { name, params }) => batches.add(name, params, i),
            Some(spec) => {
                let t = treatment_of(spec).map_err(|e| anyhow!("treating `{}`{}: {e}", ind.id, rows.in_year()))?;
                let (y, report) = trt::treat(&x[i], &t).map_err(|e| {
                    anyhow!(
                        "treating `{}`{}: {}",
                        ind.id,
                        rows.in_year(),
                        describe(&e, ctx.units, &rows.kept)
                    )
                })?;
                x[i] = y;
                treatment.push(IndicatorTreatment {
                    indicator: i,
                    year: rows.year,
                    report,
                });
            }
        }
    }
    if !batches.0.is_empty() {
        let input = x.clone();
        batches
            .run("treat", &input, &ids, &rows.ids, custom, &mut x)
            .map_err(|e| rows.year_context(e, "treating"))?;
    }
    Ok((x, treatment))
}

/// Normalisation of every indicator (plugin methods batched into one call each):
/// over every kept row at once, or year by year when the panel says so
/// (`panel.by_year = ["normalise"]`). Returns one column per manifest indicator.
pub(super) fn normalise(
    manifest: &Manifest,
    ctx: &Context,
    mut x: Vec<Vec<f64>>,
    kept: &[usize],
    kept_ids: &[String],
    custom: &mut dyn CustomSteps,
) -> Result<Vec<Vec<f64>>> {
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); manifest.indicators.len()];
    for rows in row_groups(ctx, kept, kept_ids, |b| b.normalise) {
        let part = rows.take(&mut x);
        let part = normalise_rows(manifest, ctx, part, &rows, custom)?;
        rows.put(&mut values, part, kept.len());
    }
    Ok(values)
}

/// [`normalise`] of the rows `rows` (`x`: their columns).
fn normalise_rows(
    manifest: &Manifest,
    ctx: &Context,
    mut x: Vec<Vec<f64>>,
    rows: &Rows,
    custom: &mut dyn CustomSteps,
) -> Result<Vec<Vec<f64>>> {
    let ids: Vec<String> = manifest.indicators.iter().map(|i| i.id.clone()).collect();
    let (kept, kept_ids) = (&rows.kept[..], &rows.ids[..]);
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); manifest.indicators.len()];

    // Normalise.
    let mut batches = PluginBatches::default();
    for (i, ind) in manifest.indicators.iter().enumerate() {
        let spec = ind.normalise.as_ref().unwrap_or(&manifest.pipeline.normalise);
        match spec {
            NormaliseSpec::Plugin { name, params } => batches.add(name, params, i),
            _ => {
                let scaling = scaling_of(manifest, i, &x[i], kept_ids)?
                    .context("internal error: a plugin normaliser resolved natively")?;
                let y = scaling.apply(&x[i]).map_err(|e| {
                    anyhow!(
                        "normalising `{}`{}: {}",
                        ind.id,
                        rows.in_year(),
                        describe(&e, ctx.units, kept)
                    )
                })?;
                values[i] = y;
                // The treated column is no longer needed: free it now, so a large run
                // holds about one copy of the data at a time.
                x[i] = Vec::new();
            }
        }
    }
    batches
        .run("normalise", &x, &ids, kept_ids, custom, &mut values)
        .map_err(|e| rows.year_context(e, "normalising"))?;
    Ok(values)
}

/// The native treatment of a (non-plugin) spec; an error when the spec sets a
/// treatment another of its settings replaces ([`TreatSpec::problem`]).
pub fn treatment_of(spec: &TreatSpec) -> Result<Treatment> {
    if let Some(p) = spec.problem() {
        bail!("{p}");
    }
    let loop_step = |t: &LoopTreatment| match *t {
        LoopTreatment::BoxCox { lambda, shift } => LoopStep::BoxCox { lambda, shift },
    };
    Ok(match spec {
        TreatSpec::None | TreatSpec::Plugin { .. } => Treatment::None,
        TreatSpec::Coinr {
            winmax,
            skew,
            kurt,
            log,
            force_win,
            first,
            then,
            combine,
        } => Treatment::Loop(TreatLoop {
            first: first.as_ref().map_or(
                LoopStep::Winsorise {
                    winmax: *winmax,
                    force: *force_win,
                },
                loop_step,
            ),
            second: Some(then.as_ref().map_or(
                match log {
                    LogFallback::Coinr | LogFallback::LogCt => LoopStep::LogCt,
                    LogFallback::SkewAware | LogFallback::LogCtPlus => LoopStep::LogCtPlus,
                    LogFallback::LogCtOrig => LoopStep::LogCtOrig,
                    LogFallback::LogGii => LoopStep::LogGii,
                },
                loop_step,
            )),
            combine: *combine,
            skew: *skew,
            kurt: *kurt,
        }),
        TreatSpec::WinsoriseSd { k } => Treatment::WinsoriseSd { k: *k },
        TreatSpec::BoxCox { lambda, shift: false } => Treatment::BoxCox { lambda: *lambda },
        TreatSpec::BoxCox { lambda, shift: true } => Treatment::BoxCoxShifted { lambda: *lambda },
    })
}

/// How indicator `i` is normalised (its spec, or the pipeline's), with `x` its
/// treated column over the kept units `units`: `None` when the methodology's own
/// code normalises it. [`norm::Scaling::apply`] is the pipeline's normalisation of
/// the column (and `cityrank report`'s page calls the same).
pub fn scaling_of(manifest: &Manifest, i: usize, x: &[f64], units: &[String]) -> Result<Option<norm::Scaling>> {
    let ind = &manifest.indicators[i];
    let spec = ind.normalise.as_ref().unwrap_or(&manifest.pipeline.normalise);
    if let NormaliseSpec::Plugin { .. } = spec {
        return Ok(None);
    }
    Ok(Some(norm::Scaling {
        normaliser: normaliser_of(spec, manifest, i, x, units)?,
        direction: ind.direction.into(),
        out_of: match spec {
            NormaliseSpec::Ladder { out_of } => *out_of,
            _ => None,
        },
    }))
}

/// The native normaliser of a (non-plugin) spec for indicator `i`, resolving
/// defaults from the indicator (ladder, target) and unit ids to positions.
pub(super) fn normaliser_of(
    spec: &NormaliseSpec,
    manifest: &Manifest,
    i: usize,
    x: &[f64],
    units: &[String],
) -> Result<Normaliser> {
    let ind = &manifest.indicators[i];
    let target = |t: &Option<f64>| -> Result<f64> {
        t.or(ind.target).with_context(|| {
            format!(
                "normalising `{}`: the method needs a target; give `target` to the method or the indicator",
                ind.id
            )
        })
    };
    Ok(match spec {
        NormaliseSpec::MinMax { lo, hi } => Normaliser::MinMax { lo: *lo, hi: *hi },
        NormaliseSpec::ZScore { mean, sd } => Normaliser::ZScore { mean: *mean, sd: *sd },
        NormaliseSpec::Rank => Normaliser::Rank,
        NormaliseSpec::PercentileRank => Normaliser::PercentileRank,
        NormaliseSpec::Borda => Normaliser::Borda,
        NormaliseSpec::Goalposts {
            lo,
            hi,
            scale,
            truncate,
        } => Normaliser::Goalposts {
            lo: *lo,
            hi: *hi,
            scale: *scale,
            truncate: *truncate,
        },
        NormaliseSpec::DistanceToMax => Normaliser::DistanceToMax,
        NormaliseSpec::DistanceToReference { unit, cap } => Normaliser::DistanceToReference {
            unit: units.iter().position(|u| u == unit).with_context(|| {
                format!(
                    "normalising `{}`: the reference unit `{unit}` is not among the (screened) units",
                    ind.id
                )
            })?,
            cap: *cap,
        },
        NormaliseSpec::DistanceToTarget { target: t, cap } => Normaliser::DistanceToTarget {
            target: target(t)?,
            cap: *cap,
        },
        NormaliseSpec::FractionOfMax => Normaliser::FractionOfMax,
        NormaliseSpec::RelativeToBest => Normaliser::RelativeToBest,
        NormaliseSpec::Ladder { .. } => Normaliser::Ladder {
            levels: ind
                .ladder
                .iter()
                .map(|l| norm::Level {
                    points: l.points,
                    min: l.min,
                    max: l.max,
                })
                .collect(),
            floor: 0.0,
        },
        NormaliseSpec::TargetBands {
            target: t,
            bounds,
            points,
        } => Normaliser::TargetBands {
            target: target(t)?,
            bounds: bounds.clone(),
            points: points.clone(),
        },
        NormaliseSpec::AmpiGoalposts { reference } => Normaliser::AmpiGoalposts {
            reference: reference.unwrap_or_else(|| cityrank_steps::stats::mean(x)),
        },
        NormaliseSpec::None => Normaliser::None,
        NormaliseSpec::Plugin { .. } => bail!("internal error: plugin normaliser resolved natively"),
    })
}
