//! Outlier treatment and normalisation: the steps that put indicators on a common scale.

use super::{Context, CustomSteps, PluginBatches, Treated, describe};
use crate::methodology::{LogFallback, LoopTreatment, Manifest, NormaliseSpec, TreatSpec};
use anyhow::{Context as _, Result, anyhow, bail};
use cityrank_steps::normalise::{self as norm, Normaliser};
use cityrank_steps::treat::{self as trt, LoopStep, TreatLoop, Treatment};
use std::sync::Arc;

/// Outlier treatment of every indicator (plugin methods batched into one call each).
pub(super) fn treat(
    manifest: &Manifest,
    ctx: &Context,
    mut x: Vec<Vec<f64>>,
    kept: &[usize],
    kept_ids: &[String],
    custom: &mut dyn CustomSteps,
) -> Result<Treated> {
    let ids: Vec<String> = manifest.indicators.iter().map(|i| i.id.clone()).collect();

    // Treat.
    let mut treatment = Vec::new();
    let mut batches = PluginBatches::default();
    for (i, ind) in manifest.indicators.iter().enumerate() {
        match ind.treat.as_ref().or(manifest.pipeline.treat.as_ref()) {
            None | Some(TreatSpec::None) => {}
            Some(TreatSpec::Plugin { name, params }) => batches.add(name, params, i),
            Some(spec) => {
                let t = treatment_of(spec).map_err(|e| anyhow!("treating `{}`: {e}", ind.id))?;
                let (y, report) = trt::treat(&x[i], &t)
                    .map_err(|e| anyhow!("treating `{}`: {}", ind.id, describe(&e, ctx.units, kept)))?;
                x[i] = y;
                treatment.push((i, report));
            }
        }
    }
    if !batches.0.is_empty() {
        let input = x.clone();
        batches.run("treat", &input, &ids, kept_ids, custom, &mut x)?;
    }
    Ok(Treated {
        x,
        reports: Arc::new(treatment),
    })
}

/// Normalisation of every indicator (plugin methods batched into one call each).
/// Returns one column per manifest indicator.
pub(super) fn normalise(
    manifest: &Manifest,
    ctx: &Context,
    mut x: Vec<Vec<f64>>,
    kept: &[usize],
    kept_ids: &[String],
    custom: &mut dyn CustomSteps,
) -> Result<Vec<Vec<f64>>> {
    let ids: Vec<String> = manifest.indicators.iter().map(|i| i.id.clone()).collect();
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
                let y = scaling
                    .apply(&x[i])
                    .map_err(|e| anyhow!("normalising `{}`: {}", ind.id, describe(&e, ctx.units, kept)))?;
                values[i] = y;
                // The treated column is no longer needed: free it now, so a large run
                // holds about one copy of the data at a time.
                x[i] = Vec::new();
            }
        }
    }
    batches.run("normalise", &x, &ids, kept_ids, custom, &mut values)?;
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
