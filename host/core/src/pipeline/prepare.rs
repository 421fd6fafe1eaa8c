//! Denominate → impute → screen: the steps that prepare the indicator table.

use super::{
    Context, CustomSteps, Imputed, Options, PrepInfo, Prepared, ScreenedOut, Stage, columns_back, describe,
    group_labels, step_err, unit_positions,
};
use crate::catalogue::stage;
use crate::methodology::{Framework, ImputeSpec, Manifest};
use anyhow::{Context as _, Result, anyhow, bail};
use cityrank_steps::Direction;
use cityrank_steps::impute::{self, Imputation, RowStat};
use cityrank_steps::screen as scr;
use std::sync::Arc;

/// Denominate → impute → screen.
pub(super) fn prepare(
    manifest: &Manifest,
    framework: &Framework,
    ctx: &Context,
    raw: Vec<Vec<f64>>,
    stages: &mut Vec<Stage>,
    options: Options,
    custom: &mut dyn CustomSteps,
) -> Result<Prepared> {
    let n = ctx.units.len();
    let ids: Vec<String> = manifest.indicators.iter().map(|i| i.id.clone()).collect();
    let directions: Vec<Direction> = manifest.indicators.iter().map(|i| i.direction.into()).collect();
    let mut record = |name: &'static str, units: &[usize], values: &[Vec<f64>]| {
        if options.record_stages {
            stages.push(Stage {
                name,
                units: units.to_vec(),
                columns: ids.clone(),
                values: values.to_vec(),
            });
        }
    };
    let all: Vec<usize> = (0..n).collect();
    let mut x = raw;
    record(stage::RAW, &all, &x);
    // Denominate.
    if let Some(spec) = &manifest.pipeline.denominate {
        for (i, ind) in manifest.indicators.iter().enumerate() {
            let Some(d) = &ind.denominator else { continue };
            let denom = ctx.variables.get(d).with_context(|| {
                format!(
                    "denominating `{}`: its denominator `{d}` is not a numeric variable of the dataset",
                    ind.id
                )
            })?;
            let scale = ind.denominator_scale.unwrap_or(spec.scale);
            x[i] = cityrank_steps::denominate::denominate(&x[i], denom, scale)
                .map_err(|e| anyhow!("denominating `{}` by `{d}`: {}", ind.id, describe(&e, ctx.units, &all)))?;
        }
    }
    record(stage::DENOMINATED, &all, &x);

    // Impute.
    // The cells imputed: reported by the native methods; for a plugin's method,
    // the cells missing before and present after.
    let to_imputed = |cells: Vec<impute::ImputedCell>| -> Vec<Imputed> {
        cells
            .into_iter()
            .map(|c| Imputed {
                unit: c.unit,
                indicator: c.column,
                value: c.value,
            })
            .collect()
    };
    let imputed: Vec<Imputed> = match &manifest.pipeline.impute {
        None | Some(ImputeSpec::None) => Vec::new(),
        Some(ImputeSpec::Mean) => {
            to_imputed(impute::impute_columns(&mut x, &Imputation::Mean, None).map_err(step_err("imputing"))?)
        }
        Some(ImputeSpec::Median) => {
            to_imputed(impute::impute_columns(&mut x, &Imputation::Median, None).map_err(step_err("imputing"))?)
        }
        Some(ImputeSpec::GroupMean { group }) | Some(ImputeSpec::GroupMedian { group }) => {
            let labels = group_labels(ctx, group)?;
            let method = if matches!(manifest.pipeline.impute, Some(ImputeSpec::GroupMean { .. })) {
                Imputation::GroupMean
            } else {
                Imputation::GroupMedian
            };
            to_imputed(impute::impute_columns(&mut x, &method, Some(&labels)).map_err(step_err("imputing"))?)
        }
        Some(ImputeSpec::RowMean) | Some(ImputeSpec::RowMedian) => {
            let stat = if matches!(manifest.pipeline.impute, Some(ImputeSpec::RowMean)) {
                RowStat::Mean
            } else {
                RowStat::Median
            };
            let parents: Vec<usize> = framework
                .indicators()
                .map(|p| framework.nodes[p].parent.unwrap_or(0))
                .collect();
            to_imputed(
                impute::impute_rows(&mut x, stat, Some(&parents), Some(&directions)).map_err(step_err("imputing"))?,
            )
        }
        Some(ImputeSpec::Latest { .. }) | Some(ImputeSpec::Linear) | Some(ImputeSpec::Constant) => {
            let Some(panel) = ctx.panel else {
                bail!(
                    "pipeline.impute: imputation over time needs panel data; run the edition with a [panel] of several years"
                );
            };
            let method = match &manifest.pipeline.impute {
                Some(ImputeSpec::Latest { max_steps }) => impute::PanelImputation::Latest { max_steps: *max_steps },
                Some(ImputeSpec::Linear) => impute::PanelImputation::Linear,
                _ => impute::PanelImputation::Constant,
            };
            to_imputed(impute::impute_panel(&mut x, panel.unit, panel.time, &method).map_err(step_err("imputing"))?)
        }
        Some(ImputeSpec::Plugin { name, params }) => {
            let before: Vec<Vec<bool>> = x.iter().map(|c| c.iter().map(|v| v.is_nan()).collect()).collect();
            let data = ids.iter().cloned().zip(std::mem::take(&mut x)).collect();
            x = columns_back(
                custom.run("impute", name, params, "", ctx.units, data)?,
                &ids,
                n,
                "impute",
            )?;
            before
                .iter()
                .enumerate()
                .flat_map(|(i, col)| col.iter().enumerate().filter(|(_, m)| **m).map(move |(u, _)| (i, u)))
                .filter(|&(i, u)| !x[i][u].is_nan())
                .map(|(i, u)| Imputed {
                    unit: u,
                    indicator: i,
                    value: x[i][u],
                })
                .collect()
        }
    };
    record(stage::IMPUTED, &all, &x);

    // Screen.
    let (kept, screened_out) = match &manifest.pipeline.screen {
        None => (all.clone(), Vec::new()),
        Some(spec) => {
            let rule = match (spec.min_availability, spec.min_nonzero) {
                (Some(a), None) => scr::ScreenRule::Missing { min_availability: a },
                (None, Some(z)) => scr::ScreenRule::Zeros { min_nonzero: z },
                (Some(a), Some(z)) => scr::ScreenRule::MissingOrZeros {
                    min_availability: a,
                    min_nonzero: z,
                },
                (None, None) => bail!("pipeline.screen: give min_availability, min_nonzero or both"),
            };
            let include = unit_positions(ctx, &spec.include, "pipeline.screen.include")?;
            let exclude = unit_positions(ctx, &spec.exclude, "pipeline.screen.exclude")?;
            let r = scr::screen_by(&x, &rule, &include, &exclude).map_err(step_err("screening"))?;
            let out = r
                .removed
                .iter()
                .map(|&u| ScreenedOut {
                    unit: u,
                    availability: r.availability[u],
                    nonzero: r.nonzero[u],
                    forced: exclude.contains(&u),
                })
                .collect();
            if !r.removed.is_empty() {
                x = scr::select_units(&x, &r.kept).map_err(step_err("screening"))?;
            }
            (r.kept, out)
        }
    };
    if kept.is_empty() {
        bail!("screening removed every unit; lower pipeline.screen's thresholds");
    }
    record(stage::SCREENED, &kept, &x);
    Ok(Prepared {
        x,
        info: Arc::new(PrepInfo {
            kept,
            screened_out,
            imputed,
        }),
    })
}
