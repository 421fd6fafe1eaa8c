//! The uncertain inputs: the edition's `[sensitivity]` table and the command's
//! overrides resolved into settings, inputs (choices between variants, noise on
//! weights, resamples of an expert panel) and the design's size checked.

use super::*;

/// One uncertain input, resolved.
pub(super) enum Input {
    Choice {
        labels: Vec<String>,
        variants: Vec<Variant>,
        reach: Phase,
    },
    Noise {
        label: String,
        targets: Vec<String>,
        sets: Vec<Vec<f64>>,
    },
}

/// Draws the noisy weight sets of a weight-noise input: the ids of the nodes it
/// perturbs and `replicates` weight vectors for them.
pub(super) fn noise_sets(
    framework: &Framework,
    noise: &WeightNoise,
    rng: &mut Rng,
) -> Result<(Vec<String>, Vec<Vec<f64>>)> {
    // COINr levels: indicators 1, each node one above its highest child.
    let level = cityrank_core::pipeline::levels(framework);
    let targets: Vec<usize> = (1..framework.nodes.len())
        .filter(|&p| noise.levels.contains(&level[p]))
        .collect();
    if targets.is_empty() {
        bail!(
            "weight_noise.levels: no node is at levels {:?}; this framework's weights are at levels 1 (indicators) \
             to {} (the index's children)",
            noise.levels,
            (1..framework.nodes.len()).map(|p| level[p]).max().unwrap_or(1)
        );
    }
    let nominal: Vec<f64> = targets.iter().map(|&p| framework.nodes[p].weight).collect();
    if noise.replicates > MAX_REPLICATES {
        bail!(
            "weight_noise.replicates: at most {MAX_REPLICATES} weight sets, got {}",
            noise.replicates
        );
    }
    let mut sets = Vec::with_capacity(noise.replicates);
    for _ in 0..noise.replicates {
        let draws: Vec<f64> = targets.iter().map(|_| rng.uniform()).collect();
        sets.push(
            cityrank_steps::weight::noisy(&nominal, noise.factor, &draws).map_err(|e| anyhow!("weight_noise: {e}"))?,
        );
    }
    Ok((targets.iter().map(|&p| framework.nodes[p].id.clone()).collect(), sets))
}

/// Draws the weight sets of an experts input: the ids of the children whose
/// weights the panel sets, one weight vector per resample, and a label.
pub(super) fn panel_sets(
    panel: &cityrank_core::experts::PreparedPanel,
    input: &ExpertsInput,
    rng: &mut Rng,
) -> Result<(Vec<String>, Vec<Vec<f64>>, String)> {
    let m = panel.experts.len();
    if m < 2 {
        bail!("experts: the panel has {m} expert; resampling needs at least 2");
    }
    let draws: Vec<Vec<usize>> = match input.resample {
        Resample::Bootstrap => {
            if input.replicates > MAX_REPLICATES {
                bail!(
                    "experts.replicates: at most {MAX_REPLICATES} resamples, got {}",
                    input.replicates
                );
            }
            (0..input.replicates)
                .map(|_| {
                    (0..m)
                        .map(|_| ((rng.uniform() * m as f64) as usize).min(m - 1))
                        .collect()
                })
                .collect()
        }
        Resample::LeaveOneOut => (0..m).map(|k| (0..m).filter(|&e| e != k).collect()).collect(),
        Resample::Each => (0..m).map(|k| vec![k]).collect(),
    };
    let mut targets: Vec<String> = Vec::new();
    let mut sets = Vec::with_capacity(draws.len());
    for drawn in &draws {
        let w = panel.weights_of(drawn)?;
        if targets.is_empty() {
            targets = w.iter().map(|(c, _)| c.clone()).collect();
        }
        sets.push(w.into_iter().map(|(_, x)| x).collect());
    }
    let label = match input.resample {
        Resample::Bootstrap => format!("{} bootstrap resamples of the {m} experts", input.replicates),
        Resample::LeaveOneOut => format!("the panel without one of its {m} experts"),
        Resample::Each => format!("each of the {m} experts alone"),
    };
    Ok((targets, sets, label))
}

/// The settings of one analysis: the edition's `[sensitivity]`, overridden by the
/// command line, checked.
pub(super) struct Settings {
    pub(super) samples: usize,
    pub(super) seed: u64,
    pub(super) design: DesignKind,
    pub(super) uncertainty_only: bool,
    pub(super) target: String,
}

impl Settings {
    pub(super) fn resolve(spec: &SensitivitySpec, over: &Overrides, file: &str) -> Result<Settings> {
        let n = over.samples.unwrap_or(spec.samples);
        if n < 2 {
            bail!("sensitivity.samples: at least 2 samples are needed, got {n}");
        }
        if spec.inputs.is_empty() {
            bail!("{file}: sensitivity.inputs: declare at least one uncertain input");
        }
        for (k, input) in spec.inputs.iter().enumerate() {
            if let Some(j) = spec.inputs[..k].iter().position(|i| i.name == input.name) {
                bail!(
                    "{file}: sensitivity.inputs[{k}].name: `{}` is already the name of inputs[{j}]; the indices are reported by name",
                    input.name
                );
            }
        }
        if spec.bootstrap > MAX_BOOTSTRAP {
            bail!(
                "{file}: sensitivity.bootstrap: at most {MAX_BOOTSTRAP} bootstrap replicates, got {}",
                spec.bootstrap
            );
        }
        if let Some(t) = over.threads.filter(|&t| t > MAX_THREADS) {
            bail!("--threads: at most {MAX_THREADS} worker threads, got {t}");
        }
        Ok(Settings {
            samples: n,
            seed: over.seed.unwrap_or(spec.seed),
            design: over.design.unwrap_or(spec.design),
            uncertainty_only: over.uncertainty_only || spec.uncertainty_only,
            target: over.target.clone().unwrap_or_else(|| spec.target.clone()),
        })
    }
}

/// The uncertain inputs: each a choice among variants (checked to apply cleanly
/// before anything runs) or a set of noisy weights drawn from the seed.
pub(super) fn resolve_inputs(
    spec: &SensitivitySpec,
    subject: &Subject,
    base: &Manifest,
    seed: u64,
    file: &str,
) -> Result<(Vec<Input>, Vec<InputInfo>)> {
    let base_framework = base.framework().map_err(|e| anyhow!("{file}: {e}"))?;
    let mut rng = Rng::new(seed, 0x3E16);
    let mut inputs = Vec::new();
    let mut infos = Vec::new();
    for (k, input) in spec.inputs.iter().enumerate() {
        let key = format!("{file}: sensitivity.inputs[{k}]");
        let kinds = usize::from(!input.alternatives.is_empty())
            + usize::from(!input.variants.is_empty())
            + usize::from(input.weight_noise.is_some())
            + usize::from(input.experts.is_some());
        if kinds != 1 {
            bail!("{key}: give exactly one of `alternatives`, `variants`, `weight_noise` or `experts`");
        }
        if let Some(e) = &input.experts {
            let Some(panel) = &subject.experts else {
                bail!(
                    "{key}.experts: draws the weights from the edition's expert panel, but the edition has no \
                     [experts]; add one (see `cityrank experts --help`)"
                );
            };
            let (targets, sets, label) = panel_sets(panel, e, &mut rng).map_err(|err| anyhow!("{key}: {err}"))?;
            infos.push(InputInfo {
                name: input.name.clone(),
                alternatives: vec![label.clone()],
            });
            inputs.push(Input::Noise { label, targets, sets });
            continue;
        }
        if let Some(noise) = &input.weight_noise {
            let (targets, sets) = noise_sets(&base_framework, noise, &mut rng).map_err(|e| anyhow!("{key}.{e}"))?;
            let label = format!("±{}% at levels {:?}", noise.factor * 100.0, noise.levels);
            infos.push(InputInfo {
                name: input.name.clone(),
                alternatives: vec![label.clone()],
            });
            inputs.push(Input::Noise { label, targets, sets });
            continue;
        }
        let (labels, variants): (Vec<String>, Vec<Variant>) = if !input.variants.is_empty() {
            input
                .variants
                .iter()
                .map(|name| {
                    if name == "nominal" {
                        return Ok((name.clone(), Variant::default()));
                    }
                    let v = subject.variants.get(name).with_context(|| {
                        format!("{key}.variants: no variant `{name}` in the edition (use `nominal` for no change)")
                    })?;
                    Ok((name.clone(), v.clone()))
                })
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .unzip()
        } else {
            input
                .alternatives
                .iter()
                .enumerate()
                .map(|(j, v)| {
                    (
                        v.description
                            .clone()
                            .unwrap_or_else(|| format!("alternative {}", j + 1)),
                        v.clone(),
                    )
                })
                .unzip()
        };
        if variants.len() < 2 {
            bail!("{key}: an uncertain choice needs at least two alternatives");
        }
        // Check each alternative applies cleanly before running anything.
        for (label, v) in labels.iter().zip(&variants) {
            v.apply(base, &format!("{key} (`{label}`)"))?
                .framework()
                .map_err(|e| anyhow!("{key} (`{label}`): {e}"))?;
        }
        infos.push(InputInfo {
            name: input.name.clone(),
            alternatives: labels.clone(),
        });
        let reach = variants.iter().map(Variant::reach).min().unwrap_or(Phase::Later);
        inputs.push(Input::Choice {
            labels,
            variants,
            reach,
        });
    }
    // Two weight inputs drawing the same weights: the later would overwrite the
    // earlier's draws, which would then seem to matter not at all.
    let weight_inputs: Vec<(usize, &Vec<String>)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(k, i)| match i {
            Input::Noise { targets, .. } => Some((k, targets)),
            Input::Choice { .. } => None,
        })
        .collect();
    for (a, (i, ta)) in weight_inputs.iter().enumerate() {
        for (j, tb) in &weight_inputs[a + 1..] {
            let shared: Vec<&str> = ta.iter().filter(|t| tb.contains(t)).map(String::as_str).collect();
            if !shared.is_empty() {
                bail!(
                    "{file}: sensitivity.inputs: `{}` and `{}` both draw the weights of {}; the second would \
                     overwrite the first's draws, so that the first would seem not to matter. Let them draw \
                     different weights (e.g. noise at another level), or keep one of them",
                    infos[*i].name,
                    infos[*j].name,
                    shared.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                );
            }
        }
    }
    Ok((inputs, infos))
}

/// Refuses a design that cannot run: fewer than two inputs for a sensitivity
/// analysis, more than [`MAX_BUILDS`] builds, too many Sobol' points.
pub(super) fn check_design_size(settings: &Settings, d: usize, file: &str) -> Result<()> {
    let n = settings.samples;
    if !settings.uncertainty_only && d < 2 {
        bail!("{file}: a sensitivity analysis needs at least two uncertain inputs; add one or use --uncertainty-only");
    }
    // Builds: N for an uncertainty analysis, N·(d + 2) for a sensitivity design.
    let builds_needed = if settings.uncertainty_only {
        Some(n)
    } else {
        n.checked_mul(d + 2)
    };
    if builds_needed.is_none_or(|b| b > MAX_BUILDS) {
        bail!(
            "sensitivity.samples: {n} samples{} exceed the limit of {MAX_BUILDS} builds",
            if settings.uncertainty_only {
                String::new()
            } else {
                format!(" × ({d} inputs + 2)")
            }
        );
    }
    if settings.design == DesignKind::Sobol && n > design::MAX_SOBOL_POINTS {
        bail!(
            "a Sobol' design has at most {} points per matrix; use --design mc",
            design::MAX_SOBOL_POINTS
        );
    }
    Ok(())
}

/// The output the indices analyse: `mean-rank-shift`, `spearman` or `rank:<unit id>`.
pub(super) fn parse_target(text: &str, unit_ids: &[String]) -> Result<Target> {
    Ok(match text {
        "mean-rank-shift" => Target::MeanRankShift,
        "spearman" => Target::Spearman,
        t => match t.strip_prefix("rank:") {
            Some(id) => Target::UnitRank(
                unit_ids
                    .iter()
                    .position(|u| u == id)
                    .with_context(|| format!("target: no unit `{id}` in the dataset"))?,
            ),
            None => bail!("target: `{t}` is not a target; use mean-rank-shift, spearman or rank:<unit id>"),
        },
    })
}
