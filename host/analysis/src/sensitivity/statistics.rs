//! What the builds say: per-unit uncertainty, tier changes, Sobol' indices,
//! leave-one-out; the report assembled from them.

use super::*;

/// The report from the nominal build, every design row's build (in row order)
/// and the extra builds' results.
pub(super) fn summarise(frame: Frame, nominal: &Build, builds: &[Build], extras: Extras) -> Result<SensitivityReport> {
    let design = &frame.design;
    let (n, d) = (design.samples, design.inputs.len());
    if builds.len() != design.builds {
        bail!(
            "internal error: {} builds for a design of {}",
            builds.len(),
            design.builds
        );
    }
    let x = design_matrix(n, d, design.seed, design.design, design.uncertainty_only);
    let target = parse_target(&design.target, &frame.unit_ids)?;
    // Uncertainty: the A and B builds of a sensitivity design, every build otherwise.
    let (ua, ua_x) = if design.uncertainty_only {
        (builds, &x[..])
    } else {
        (&builds[..2 * n], &x[..2 * n * d])
    };
    let units = unit_uncertainty(ua, nominal, &frame.tiers, &frame.unit_ids, &frame.unit_names);
    let top_tier = top_tier_changes(ua, ua_x, nominal, &frame.choices, &design.inputs);
    let sensitivity = if design.uncertainty_only {
        None
    } else {
        Some(sobol(
            builds,
            &target,
            nominal,
            n,
            design.seed,
            d,
            frame.bootstrap,
            &design.inputs,
        )?)
    };
    let report = SensitivityReport {
        edition: frame.edition,
        variant: frame.variant,
        methodology: frame.methodology,
        methodology_sha256: frame.methodology_sha256,
        dataset_sha256: frame.dataset_sha256,
        design: frame.design,
        units,
        top_tier_label: frame.top_tier_label,
        tiers: frame.tiers,
        top_tier,
        tier_changes: extras.tier_changes,
        sensitivity,
        leave_one_out: extras.leave_one_out,
        warnings: frame.warnings,
    };
    // The report must satisfy its own schema; a failure here is a bug in cityrank.
    cityrank_core::schema::validate::<SensitivityReport>(&serde_json::to_value(&report)?, "sensitivity report")
        .context("internal error: the sensitivity report does not match its schema")?;
    Ok(report)
}

/// Each unit's rank distribution and tier shares over the builds `ua`, best
/// nominal rank first.
pub(super) fn unit_uncertainty(
    ua: &[Build],
    nominal: &Build,
    tier_labels: &[String],
    unit_ids: &[String],
    unit_names: &[String],
) -> Vec<UnitUncertainty> {
    let mut units: Vec<UnitUncertainty> = (0..unit_ids.len())
        .map(|u| {
            let mut ranks: Vec<f64> = ua.iter().filter_map(|b| b.rank(u)).map(f64::from).collect();
            ranks.sort_by(f64::total_cmp);
            // Count by tier index (the last slot: unranked), then label.
            let mut counts = vec![0usize; tier_labels.len() + 1];
            for b in ua {
                counts[b.tier(u).unwrap_or(tier_labels.len())] += 1;
            }
            let tier_shares: BTreeMap<String, f64> = counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(t, &c)| {
                    let label = tier_labels.get(t).cloned().unwrap_or_else(|| "unranked".to_string());
                    (label, c as f64 / ua.len() as f64)
                })
                .collect();
            let top_share = ua.iter().filter(|b| b.top(u)).count() as f64 / ua.len() as f64;
            let stat = |v: f64| (!ranks.is_empty()).then_some(v);
            UnitUncertainty {
                id: unit_ids[u].clone(),
                name: unit_names[u].clone(),
                nominal_rank: nominal.rank(u),
                nominal_score: nominal.scores.as_ref().and_then(|s| s[u].is_finite().then_some(s[u])),
                nominal_tier: nominal.tier(u).map(|t| tier_labels[t].clone()),
                mean_rank: stat(ranks.iter().sum::<f64>() / ranks.len() as f64),
                median_rank: stat(estimate::quantile_sorted(&ranks, 0.5)),
                q5_rank: stat(estimate::quantile_sorted(&ranks, 0.05)),
                q95_rank: stat(estimate::quantile_sorted(&ranks, 0.95)),
                tier_shares,
                top_share,
            }
        })
        .collect();
    units.sort_by_key(|u| u.nominal_rank.unwrap_or(u32::MAX));
    units
}

/// Each weight input (noise or an expert panel) on its own: builds over its
/// weight sets with the other inputs nominal, and the units that change tier.
/// (A choice has no nominal to leave the others at: one alternative may need
/// another, e.g. a geometric mean a positive normalisation; its effect is in
/// the top-tier changes per alternative.)
pub(super) fn tier_changes_one_at_a_time(
    model: &Model,
    nominal: &Build,
    infos: &[InputInfo],
    unit_ids: &[String],
    pool: &rayon::ThreadPool,
) -> Result<Vec<InputTierChanges>> {
    let d = model.inputs.len();
    let top = |b: &Build| -> Vec<usize> { (0..b.len()).filter(|&u| b.top(u)).collect() };
    let nominal_top = top(nominal);
    let ranked = (0..nominal.len()).filter(|&u| nominal.tier(u).is_some()).count();
    let mut out = Vec::new();
    for (k, input) in model.inputs.iter().enumerate() {
        let levels = match input {
            Input::Choice { .. } => continue,
            Input::Noise { sets, .. } => sets.len(),
        };
        let builds: Vec<Build> = pool.install(|| {
            (0..levels)
                .into_par_iter()
                .map(|level| {
                    let mut x = vec![f64::NAN; d];
                    // The middle of the level's interval: `discrete` maps it back to `level`.
                    x[k] = (level as f64 + 0.5) / levels as f64;
                    model.build(Some(&x), None)
                })
                .collect::<Result<Vec<_>>>()
        })?;
        let moved: Vec<usize> = (0..unit_ids.len())
            .map(|u| {
                builds
                    .iter()
                    .filter(|b| nominal.tier(u).is_some() && b.tier(u) != nominal.tier(u))
                    .count()
            })
            .collect();
        let mut often: Vec<(usize, usize)> = moved.iter().copied().enumerate().filter(|(_, c)| *c > 0).collect();
        often.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out.push(InputTierChanges {
            input: infos[k].name.clone(),
            builds: levels,
            units_changing_tier: moved.iter().filter(|&&c| c > 0).count(),
            units: ranked,
            mean_units_changing_tier: moved.iter().sum::<usize>() as f64 / levels.max(1) as f64,
            top_tier_changed: builds.iter().filter(|b| top(b) != nominal_top).count() as f64 / levels.max(1) as f64,
            most_often: often
                .iter()
                .take(5)
                .map(|&(u, c)| (unit_ids[u].clone(), c as f64 / levels as f64))
                .collect(),
        });
    }
    Ok(out)
}

/// How often the top tier's membership differs from the nominal one: over all
/// builds `ua` (design rows `ua_x`), and per alternative of each choice. The top
/// tier is tier 0, or each peer group's best rating when groups are rated on
/// scales of their own.
pub(super) fn top_tier_changes(
    ua: &[Build],
    ua_x: &[f64],
    nominal: &Build,
    choices: &[bool],
    infos: &[InputInfo],
) -> Vec<TopTierChange> {
    let d = choices.len();
    let top = |b: &Build| -> Vec<usize> { (0..b.len()).filter(|&u| b.top(u)).collect() };
    let nominal_top = top(nominal);
    let changed: Vec<bool> = ua.iter().map(|b| top(b) != nominal_top).collect();
    let share = |idx: &[usize]| idx.iter().filter(|&&i| changed[i]).count() as f64 / idx.len().max(1) as f64;
    let all: Vec<usize> = (0..ua.len()).collect();
    let mut top_tier = vec![TopTierChange {
        input: "all".into(),
        alternative: "all".into(),
        builds: ua.len(),
        changed: share(&all),
    }];
    for (k, info) in infos.iter().enumerate() {
        if choices[k] {
            let labels = &info.alternatives;
            for (a, label) in labels.iter().enumerate() {
                let idx: Vec<usize> = (0..ua.len())
                    .filter(|&i| design::discrete(ua_x[i * d + k], labels.len()) == a)
                    .collect();
                top_tier.push(TopTierChange {
                    input: infos[k].name.clone(),
                    alternative: label.clone(),
                    builds: idx.len(),
                    changed: share(&idx),
                });
            }
        }
    }
    top_tier
}

/// The Sobol' indices of the target over the builds of a Saltelli design
/// (`N·(d + 2)` builds; estimators and bootstrap in [`estimate`]).
#[allow(clippy::too_many_arguments)]
pub(super) fn sobol(
    builds: &[Build],
    target: &Target,
    nominal: &Build,
    samples: usize,
    seed: u64,
    d: usize,
    bootstrap: usize,
    infos: &[InputInfo],
) -> Result<SobolInfo> {
    let y: Vec<f64> = builds.iter().map(|b| target_value(target, b, nominal)).collect();
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        bail!(
            "the target could not be computed for build {} (e.g. the unit was screened out)",
            i + 1
        );
    }
    let e = estimate::sobol_indices(&y, samples, d, bootstrap, seed);
    let ci = |c: (f64, f64)| (!c.0.is_nan()).then_some([c.0, c.1]);
    Ok(SobolInfo {
        variance: e.variance,
        indices: e
            .indices
            .iter()
            .zip(infos)
            .map(|(s, info)| SobolIndex {
                input: info.name.clone(),
                first: s.first,
                total: s.total,
                first_ci: ci(s.first_ci),
                total_ci: ci(s.total_ci),
            })
            .collect(),
    })
}

/// The rank shifts when each indicator and node in turn is removed (in parallel
/// on `pool`); a removal that leaves nothing to rank is left out.
pub(super) fn leave_one_out(model: &Model, nominal: &Build, pool: &rayon::ThreadPool) -> Result<Vec<LeaveOneOut>> {
    let framework = model.base.framework()?;
    let ids: Vec<(String, NodeKind)> = framework
        .nodes
        .iter()
        .skip(1)
        .map(|node| (node.id.clone(), node.kind))
        .collect();
    let unit_ids = &model.derived.unit_ids;
    let shifts: Vec<Option<LeaveOneOut>> = pool.install(|| {
        ids.par_iter()
            .map(|(id, kind)| {
                let b = model.build(None, Some(id)).ok()?;
                let mut shifts: Vec<(u32, usize)> = (0..b.len())
                    .filter_map(|u| Some((b.rank(u)?.abs_diff(nominal.rank(u)?), u)))
                    .collect();
                if shifts.is_empty() {
                    return None;
                }
                let mean = shifts.iter().map(|s| f64::from(s.0)).sum::<f64>() / shifts.len() as f64;
                shifts.sort_by_key(|s| (std::cmp::Reverse(s.0), s.1));
                Some(LeaveOneOut {
                    removed: id.clone(),
                    kind: *kind,
                    mean_abs_shift: mean,
                    max_abs_shift: shifts[0].0,
                    most_affected: (shifts[0].0 > 0).then(|| unit_ids[shifts[0].1].clone()),
                })
            })
            .collect()
    });
    Ok(shifts.into_iter().flatten().collect())
}

/// What "the top tier" is for `manifest`: its first tier, or, when its peer groups
/// are rated on scales of their own, each group's best rating.
pub(super) fn top_tier_label(manifest: &Manifest, tier_labels: &[String]) -> String {
    let first = tier_labels.first().cloned().unwrap_or_default();
    let Some(spec) = manifest.peer_groups.as_ref().filter(|p| !p.scales.is_empty()) else {
        return first;
    };
    let mut best: Vec<&str> = Vec::new();
    for label in spec.scales.iter().filter_map(|s| s.first()) {
        if !best.contains(&label.as_str()) {
            best.push(label);
        }
    }
    format!("each peer group's best rating: {}", best.join(", "))
}

/// The target value of a build.
pub(super) fn target_value(target: &Target, b: &Build, nominal: &Build) -> f64 {
    match target {
        Target::MeanRankShift => {
            let d: Vec<f64> = (0..b.len())
                .filter_map(|u| Some(f64::from(b.rank(u)?.abs_diff(nominal.rank(u)?))))
                .collect();
            if d.is_empty() {
                f64::NAN
            } else {
                d.iter().sum::<f64>() / d.len() as f64
            }
        }
        Target::Spearman => {
            let (a, c): (Vec<f64>, Vec<f64>) = (0..b.len())
                .filter_map(|u| Some((f64::from(b.rank(u)?), f64::from(nominal.rank(u)?))))
                .unzip();
            cityrank_steps::analysis::spearman(&a, &c).unwrap_or(f64::NAN)
        }
        Target::UnitRank(u) => b.rank(*u).map_or(f64::NAN, f64::from),
    }
}
