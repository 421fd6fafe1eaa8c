//! The builds: the model every build shares (the base manifest, derived data,
//! the stage cache, the combinations of discrete alternatives and their raw
//! columns), and running a design's rows in parallel.

use super::*;

/// Raw columns (one per indicator), shared.
pub(super) type RawColumns = std::sync::Arc<Vec<Vec<f64>>>;

/// A combination of discrete alternatives, resolved once and shared by every
/// build that chooses it.
pub(super) struct Combo {
    pub(super) manifest: Manifest,
    pub(super) framework: Framework,
    /// The raw columns of its indicators, shared by the combinations with the
    /// same indicators (13,000 units × 200 indicators: 21 MB each).
    pub(super) raw: RawColumns,
    /// Per noise input, the framework position of each of its targets.
    pub(super) noise_positions: Vec<Vec<Option<usize>>>,
}

/// The choice of an input left as nominal (a build's `x` of NaN).
pub(super) const NOMINAL: usize = usize::MAX;

/// Everything a build needs, shared by all builds.
pub(super) struct Model<'a> {
    pub(super) base: Manifest,
    pub(super) plugin_manifest: &'a Manifest,
    pub(super) derived: &'a Derived,
    pub(super) inputs: Vec<Input>,
    pub(super) plugin: Option<(&'a dyn Plugin, &'a Limits)>,
    pub(super) covariate: Option<Vec<f64>>,
    pub(super) cache: StageCache,
    pub(super) combos: std::sync::Mutex<BTreeMap<Vec<usize>, std::sync::Arc<Combo>>>,
    /// The raw columns by the indicators they are of.
    pub(super) raws: std::sync::Mutex<BTreeMap<Vec<String>, RawColumns>>,
}

impl Model<'_> {
    /// The raw columns of `manifest`'s indicators, made once per set of indicators.
    pub(super) fn raw_of(&self, manifest: &Manifest) -> Result<RawColumns> {
        let ids: Vec<String> = manifest.indicators.iter().map(|i| i.id.clone()).collect();
        let mut raws = self.raws.lock().map_err(|_| anyhow!("raw column cache poisoned"))?;
        Ok(raws
            .entry(ids)
            .or_insert_with(|| std::sync::Arc::new(self.derived.raw_for(manifest, self.plugin_manifest)))
            .clone())
    }

    /// The manifest, framework and raw data of a combination of alternatives.
    /// (No choices: the nominal combination. Leave-one-out builds, which run once
    /// each, are not cached.)
    pub(super) fn combo(&self, choices: &[usize], drop: Option<&str>) -> Result<std::sync::Arc<Combo>> {
        let key = choices.to_vec();
        if drop.is_none()
            && let Some(c) = self
                .combos
                .lock()
                .map_err(|_| anyhow!("combination cache poisoned"))?
                .get(&key)
        {
            return Ok(c.clone());
        }
        let mut m = self.base.clone();
        for (input, &k) in self.inputs.iter().zip(choices) {
            if let Input::Choice { variants, labels, .. } = input
                && k != NOMINAL
            {
                variants[k].apply_in_place(&mut m, &format!("sensitivity alternative `{}`", labels[k]))?;
            }
        }
        if let Some(id) = drop {
            Variant {
                drop: vec![id.to_string()],
                ..Default::default()
            }
            .apply_in_place(&mut m, "leave-one-out")?;
        }
        let framework = m.framework()?;
        let noise_positions = self
            .inputs
            .iter()
            .filter_map(|i| match i {
                Input::Noise { targets, .. } => Some(targets.iter().map(|t| framework.position(t)).collect()),
                Input::Choice { .. } => None,
            })
            .collect();
        // Leave-one-out builds, which run once each, make their own.
        let raw = match drop {
            None => self.raw_of(&m)?,
            Some(_) => std::sync::Arc::new(self.derived.raw_for(&m, self.plugin_manifest)),
        };
        let combo = std::sync::Arc::new(Combo {
            manifest: m,
            framework,
            raw,
            noise_positions,
        });
        if drop.is_none() {
            self.combos
                .lock()
                .map_err(|_| anyhow!("combination cache poisoned"))?
                .insert(key, combo.clone());
        }
        Ok(combo)
    }

    /// Builds with the alternatives chosen by `x` (one draw per input, NaN for
    /// "this input as nominal"; `None` = nominal), optionally leaving out the node
    /// or indicator `drop`.
    pub(super) fn build(&self, x: Option<&[f64]>, drop: Option<&str>) -> Result<Build> {
        let choices: Vec<usize> = match x {
            None => vec![0; 0],
            Some(x) => self
                .inputs
                .iter()
                .zip(x)
                .map(|(input, &u)| match input {
                    _ if u.is_nan() => NOMINAL,
                    Input::Choice { variants, .. } => design::discrete(u, variants.len()),
                    Input::Noise { sets, .. } => design::discrete(u, sets.len()),
                })
                .collect(),
        };
        // The combination of discrete alternatives (noise draws do not change it).
        let discrete: Vec<usize> = if x.is_none() {
            Vec::new()
        } else {
            self.inputs
                .iter()
                .zip(&choices)
                .map(|(i, &k)| {
                    if matches!(i, Input::Choice { .. }) {
                        k
                    } else {
                        usize::MAX
                    }
                })
                .collect()
        };
        // No draws (the nominal build): no alternative applied.
        let combo = self.combo(&discrete, drop)?;
        // Weights: the combination's, with the chosen noisy set on top.
        let mut weights: Vec<f64> = combo.framework.nodes.iter().map(|n| n.weight).collect();
        if x.is_some() {
            let mut noise = 0;
            for (input, &k) in self.inputs.iter().zip(&choices) {
                if let Input::Noise { sets, .. } = input {
                    if k == NOMINAL {
                        noise += 1;
                        continue;
                    }
                    for (j, pos) in combo.noise_positions[noise].iter().enumerate() {
                        if let Some(p) = pos {
                            weights[*p] = sets[k][j];
                        }
                    }
                    noise += 1;
                }
            }
        }
        // Stage keys from the choices that reach each stage.
        let keys = (x.is_some() && drop.is_none()).then(|| {
            let upto = |r: Phase| -> u64 {
                let mut bytes = Vec::with_capacity(choices.len() * 8 + 1);
                bytes.push(r as u8);
                for (input, &k) in self.inputs.iter().zip(&choices) {
                    if let Input::Choice { reach, .. } = input
                        && *reach <= r
                    {
                        bytes.extend_from_slice(&(k as u64).to_le_bytes());
                    } else {
                        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
                    }
                }
                pipeline::key_of(bytes)
            };
            StageKeys {
                prepare: upto(Phase::Prepare),
                treat: upto(Phase::Treat),
                normalise: upto(Phase::Normalise),
            }
        });
        let ctx = self.derived.context();
        let mut sandboxed;
        let mut native = pipeline::NoCustomSteps;
        let custom: &mut dyn CustomSteps = match self.plugin {
            Some((plugin, limits)) => {
                sandboxed = SandboxSteps::new(plugin, limits);
                &mut sandboxed
            }
            None => &mut native,
        };
        let options = pipeline::Options {
            record_stages: false,
            weights: Some(&weights),
            cache: keys.map(|_| &self.cache),
            keys,
            index_only: true,
        };
        let out = pipeline::run(
            &combo.manifest,
            &combo.framework,
            &ctx,
            combo.raw.as_slice().into(),
            options,
            custom,
        )?;
        let kept = out.kept();
        let covariate: Option<Vec<f64>> = self.covariate.as_ref().map(|c| kept.iter().map(|&k| c[k]).collect());
        let ranking = pipeline::rank(&out.scores[0], &combo.manifest, covariate.as_deref(), None)?;
        let n = self.derived.rows.len();
        let mut b = Build {
            ranks: vec![0; n],
            tiers: vec![NO_TIER; n],
            scores: x.is_none().then(|| vec![f64::NAN; n]),
        };
        for (k, &row) in kept.iter().enumerate() {
            b.ranks[row] = ranking.ranks[k].unwrap_or(0);
            let tier = match ranking.tiers[k] {
                Some(t) => u16::try_from(t)
                    .ok()
                    .filter(|t| *t < NO_TIER)
                    .context("more tiers than a sensitivity analysis keeps (32,766)")?,
                None => NO_TIER,
            };
            b.tiers[row] = tier | if ranking.top[k] { TOP } else { 0 };
            if let Some(scores) = b.scores.as_mut() {
                scores[row] = out.scores[0][k];
            }
        }
        Ok(b)
    }
}

/// One build per row of the design `x` (one column per input), in parallel on
/// `pool`, in row order; the first failure names its combination of alternatives.
pub(super) fn run_builds(
    model: &Model,
    x: &[f64],
    first_row: usize,
    pool: &rayon::ThreadPool,
    progress: Option<&ProgressHook>,
) -> Result<Vec<Build>> {
    let d = model.inputs.len();
    let builds_n = x.len() / d;
    let progress = progress.map(|p| p.0.as_ref());
    if let Some(p) = progress {
        p.start(builds_n as u64);
    }
    let builds: Vec<Result<Build>> = pool.install(|| {
        x.par_chunks(d)
            .map(|row| {
                let b = model.build(Some(row), None);
                if let Some(p) = progress {
                    p.advance();
                }
                b
            })
            .collect()
    });
    if let Some(p) = progress {
        p.finish();
    }
    let mut failed = builds
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.as_ref().err().map(|e| (i, e)));
    if let Some((i, e)) = failed.next() {
        let alts: Vec<String> = model
            .inputs
            .iter()
            .zip(&x[i * d..(i + 1) * d])
            .map(|(inp, &u)| match inp {
                Input::Choice { labels, .. } => labels[design::discrete(u, labels.len())].clone(),
                Input::Noise { label, .. } => label.clone(),
            })
            .collect();
        bail!(
            "{} of {builds_n} builds failed; build {} ({}) failed with: {e:#}. A combination of alternatives is \
             invalid (e.g. a geometric mean of zeros): change the alternatives",
            builds.iter().filter(|b| b.is_err()).count(),
            first_row + i + 1,
            alts.join(", ")
        );
    }
    Ok(builds.into_iter().filter_map(Result::ok).collect())
}
