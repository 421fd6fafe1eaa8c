//! Running an edition end to end: build or load the plugin, read its manifest,
//! load the dataset, derive the indicators in the sandbox, score, rank and tier.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::dataset::Dataset;
use crate::edition::{PanelStep, PluginSource, ResolvedEdition};
use crate::formulas::Formulas;
use crate::methodology::{Framework, Manifest, VariableType};
use crate::pipeline::{self, CustomSteps, NamedColumn};
use crate::plugin::{CONTRACT_PACKAGE, CallReport, Column, Limits, LogMessage, Plugin, StepCall, Table, TextColumn};
use crate::results::{
    DatasetInfo, EditionInfo, IndicatorSteps, LimitsInfo, MethodologyInfo, NodeInfo, NodeScores,
    RESULTS_SCHEMA_VERSION, ResolvedPipeline, Results, ScreenedUnit, TierInfo, TreatmentInfo, UnitResult, Usage,
};
use crate::schema;

mod derive;
mod load;
mod record;

pub use derive::*;
pub use load::*;
pub use record::*;

/// Everything a run produced.
pub struct RunOutput {
    /// The results document.
    pub results: Results,
    /// The stage tables, when asked for.
    pub stages: Vec<pipeline::Stage>,
    /// Unit ids of the dataset, in order (stage tables refer to them by position).
    pub unit_ids: Vec<String>,
    /// What the plugin logged, in call order.
    pub log: Vec<LogMessage>,
    /// Notices for the author (printed as warnings by the CLI), naming files as
    /// this process opened them; the results hold the same notices with the paths
    /// the edition gives ([`portable`]).
    pub warnings: Vec<String>,
    /// Whether the plugin's component was built during this run.
    pub rebuilt: bool,
    /// Whether its compiled form came from the cache.
    pub cached: bool,
    /// What the optimisation of a level's weights found (`weights = { method =
    /// "optimised", level = … }`): the objective, the evaluations, the correlations.
    pub optimised: Option<pipeline::LevelOptimisation>,
}

/// Runs an edition (its variant, if one is selected).
pub fn run_edition(loader: &dyn Loader, edition: &ResolvedEdition, options: pipeline::Options) -> Result<RunOutput> {
    let loaded = loader.load(&edition.plugin, &edition.limits)?;
    let mut dataset = Dataset::load(&edition.dataset)?;
    let manifest = edition.effective_manifest(&loaded.manifest)?;
    let covariate = manifest.peer_groups.as_ref().map(|p| &p.covariate);
    // Variables taken as they are (`from`) become their indicators' columns
    // without a copy (13,000 units × 200 variables: 21 MB not held twice).
    let given = take_sole_columns(&loaded, edition, &mut dataset, covariate.map(String::as_str));
    let derived = derive_with(&loaded, edition, &dataset, given)?;
    // The indicators are derived: of the dataset's numbers only the peer-group
    // covariate is read again (the rest freed).
    dataset.numbers.retain(|k, _| Some(k) == covariate);
    run_derived(&loaded, edition, &dataset, manifest, derived, options)
}

/// Runs an edition with an already loaded methodology and dataset.
pub fn run_loaded(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &Dataset,
    options: pipeline::Options,
) -> Result<RunOutput> {
    let manifest = edition.effective_manifest(&loaded.manifest)?;
    let derived = derive_rows(loaded, edition, dataset)?;
    run_derived(loaded, edition, dataset, manifest, derived, options)
}

/// Runs the pipeline of an edition on its derived rows: `manifest` is the
/// edition's effective manifest, `dataset` the data `derived` was derived from
/// (its numbers are not read again, but for the peer-group covariate).
fn run_derived(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &Dataset,
    manifest: Manifest,
    mut derived: Derived,
    options: pipeline::Options,
) -> Result<RunOutput> {
    let manifest = &manifest;
    let framework = &if edition.variant.is_some() || edition.edition.tiers.is_some() || edition.experts.is_some() {
        manifest
            .framework()
            .map_err(|e| anyhow!("{}: {e}", edition.path.display()))?
    } else {
        loaded.framework.clone()
    };
    let mut warnings = derived.warnings.clone();
    warnings.extend(variant_notices(&loaded.manifest, manifest, edition));
    let mut usage = derived.usage.clone();
    let mut log = derived.log.clone();
    // The derived columns move into the pipeline (13,000 × 200: 21 MB not copied).
    let raw = derived.take_raw_for(manifest, &loaded.manifest);
    let rows = &derived.rows;
    let unit_ids = &derived.unit_ids;
    let mut ctx = derived.context();
    if let (Some(rows), Some(panel)) = (ctx.panel.as_mut(), &edition.panel) {
        rows.by_year = pipeline::ByYear {
            treat: panel.runs_by_year(PanelStep::Treat),
            normalise: panel.runs_by_year(PanelStep::Normalise),
        };
    }
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, spec) in manifest.indicators.iter().enumerate() {
        for (u, v) in raw[i].iter().enumerate() {
            if v.is_nan() {
                missing.entry(unit_ids[u].clone()).or_default().push(spec.id.clone());
            }
        }
    }
    let mut sandboxed = loaded
        .plugin
        .as_ref()
        .map(|p| SandboxSteps::new(p.as_ref(), &edition.limits));
    let mut native = pipeline::NoCustomSteps;
    let custom: &mut dyn CustomSteps = match sandboxed.as_mut() {
        Some(s) => s,
        None => &mut native,
    };
    // Pipeline errors name the step and indicator; say which edition (and variant) too.
    let origin = || match &edition.variant {
        Some(v) => format!("{} (variant `{v}`)", edition.path.display()),
        None => edition.path.display().to_string(),
    };
    let mut out = pipeline::run(manifest, framework, &ctx, raw.into(), options, custom).with_context(origin)?;
    warnings.extend(out.warnings.iter().cloned());
    if let Some(s) = sandboxed.as_mut() {
        usage.fuel += s.usage.fuel;
        usage.calls += s.usage.calls;
        log.append(&mut s.log);
    }

    // One result per unit: the scored rows, or for panel data the time-weighted
    // average of each unit's years.
    let mut scored = match &edition.panel {
        None => Scored {
            rows: out.kept().iter().map(|&k| rows[k]).collect(),
            scores: std::mem::take(&mut out.scores),
            by_year: None,
        },
        Some(panel) => average_years(dataset, rows, &out, panel)?,
    };
    let group_label = |g: usize| -> String {
        manifest
            .peer_groups
            .as_ref()
            .and_then(|s| s.labels.get(g).cloned())
            .unwrap_or_else(|| {
                format!(
                    "group {} of {}",
                    g + 1,
                    manifest.peer_groups.as_ref().map_or(1, |s| s.groups)
                )
            })
    };

    let (ranking, within) = rank_scored(manifest, dataset, &scored).with_context(origin)?;
    let group_ranks: Option<(usize, &Vec<Option<u32>>)> = within.zip(ranking.group_ranks.as_ref());

    let tier_specs = &manifest.tiers;
    let effective = framework.effective_weights(&out.weights);
    // The score columns, moved into a table every unit's scores share.
    let table = std::sync::Arc::new(crate::results::ScoreTable::new(
        framework.nodes.iter().map(|n| n.id.as_str()),
        std::mem::take(&mut scored.scores),
    )?);
    let mut units: Vec<UnitResult> = scored
        .rows
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let unit = &dataset.units[r];
            Ok(UnitResult {
                id: unit.id.clone(),
                name: unit.name.clone(),
                country: unit.country.clone(),
                score: table.value(0, k),
                rank: ranking.ranks[k],
                tier: ranking.tiers[k].map(|t| tier_specs[t].label.clone()),
                peer_group: ranking.peer_groups.as_ref().and_then(|g| g[k]).map(group_label),
                scores: NodeScores::of(table.clone(), k)?,
                by_year: scored.by_year.as_ref().map(|b| b[k].clone()).unwrap_or_default(),
                group: group_ranks
                    .as_ref()
                    .map(|(g, _)| unit.groups[*g].clone())
                    .filter(|l| !l.is_empty()),
                group_rank: group_ranks.as_ref().and_then(|(_, r)| r[k]),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Best rank first; ties and unranked units keep dataset order (stable sort).
    units.sort_by_key(|u| u.rank.unwrap_or(u32::MAX));
    let mut imputed: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for c in &out.prepared.imputed {
        imputed
            .entry(unit_ids[c.unit].clone())
            .or_default()
            .insert(manifest.indicators[c.indicator].id.clone(), c.value);
    }
    let mut results = Results {
        schema_version: RESULTS_SCHEMA_VERSION,
        cityrank: env!("CARGO_PKG_VERSION").to_string(),
        edition: edition_info(edition, &loaded.manifest)?,
        methodology: methodology_info(loaded, manifest),
        dataset: dataset_info(dataset, rows),
        pipeline: resolved_pipeline(manifest),
        limits: loaded.plugin.as_ref().map(|_| LimitsInfo {
            fuel: edition.limits.fuel,
            memory_bytes: edition.limits.memory_bytes as u64,
            output_bytes: edition.limits.output_bytes as u64,
        }),
        framework: framework
            .nodes
            .iter()
            .enumerate()
            .map(|(p, n)| NodeInfo {
                id: n.id.clone(),
                name: n.name.clone(),
                kind: n.kind,
                parent: n.parent.map(|q| framework.nodes[q].id.clone()),
                weight: out.weights[p],
                effective_weight: effective[p],
            })
            .collect(),
        tiers: tier_specs
            .iter()
            .enumerate()
            .map(|(k, t)| TierInfo {
                label: t.label.clone(),
                upper_share: t.upper_share,
                min_score: t.min_score,
                count: ranking.tiers.iter().filter(|x| **x == Some(k)).count(),
            })
            .collect(),
        units,
        missing,
        imputed,
        screened_out: out
            .prepared
            .screened_out
            .iter()
            .map(|s| ScreenedUnit {
                id: unit_ids[s.unit].clone(),
                name: dataset.units[rows[s.unit]].name.clone(),
                availability: s.availability,
                nonzero: s.nonzero,
                forced: s.forced,
            })
            .collect(),
        treatment: out
            .treatment
            .iter()
            .map(|t| (t, &t.report))
            .map(|(t, r)| TreatmentInfo {
                indicator: manifest.indicators[t.indicator].id.clone(),
                year: t.year,
                transform: r.label(),
                winsorised: r.nwin,
                units: r
                    .winsorised
                    .iter()
                    .map(|w| unit_ids[out.kept()[w.unit]].clone())
                    .collect(),
                skew_before: finite(r.before.skew),
                kurt_before: finite(r.before.kurt),
                skew_after: finite(r.after.skew),
                kurt_after: finite(r.after.kurt),
            })
            .collect(),
        usage,
        warnings: Vec::new(),
    };
    // What the plugin itself warned about is kept with the other warnings, and units
    // ranked without a whole node's score are warned about too. The results name
    // files as the edition does (`portable`); the terminal, as this process opened
    // them (a path relative to the edition would mislead from another directory).
    warnings.extend(ladder_notices(manifest, &results.treatment));
    let mut warnings: Vec<String> = warnings
        .into_iter()
        .chain(
            log.iter()
                .filter(|m| m.level == "warn" || m.level == "error")
                .map(|m| format!("plugin {}: {}", m.level, m.message)),
        )
        .collect();
    warnings.extend(crate::report::unscored_nodes(&results));
    results.warnings = warnings.iter().map(|w| portable(w, &edition.path)).collect();
    check_schema(&mut results)?;
    Ok(RunOutput {
        results,
        stages: out.stages,
        unit_ids: unit_ids.clone(),
        log,
        warnings,
        rebuilt: loaded.rebuilt,
        cached: loaded.plugin.as_ref().is_some_and(|p| p.was_cached()),
        optimised: out.optimised,
    })
}

/// The ranking step of a run: ranks and tiers of the scored units, within peer
/// groups of the manifest's covariate and within the groups of the dataset column
/// `pipeline.rank.within` when asked; also which group column that is.
fn rank_scored(manifest: &Manifest, dataset: &Dataset, scored: &Scored) -> Result<(pipeline::Ranking, Option<usize>)> {
    let (within, covariate) = ranking_columns(manifest, dataset)?;
    let covariate: Option<Vec<f64>> = covariate.map(|v| scored.rows.iter().map(|&r| v[r]).collect());
    // The groups of a dataset group column (e.g. a region) to rank within, if asked.
    let within: Option<(usize, Vec<&str>)> = within.map(|g| {
        (
            g,
            scored
                .rows
                .iter()
                .map(|&r| dataset.units[r].groups[g].as_str())
                .collect(),
        )
    });
    let ranking = pipeline::rank(
        &scored.scores[0],
        manifest,
        covariate.as_deref(),
        within
            .as_ref()
            .map(|(g, labels)| (dataset.description.columns.groups[*g].as_str(), labels.as_slice())),
    )?;
    Ok((ranking, within.map(|(g, _)| g)))
}

/// The dataset columns the ranking step of `manifest` reads: the group column
/// `pipeline.rank.within` names (its position among the dataset's group
/// columns) and the peer groups' numeric covariate. Errors name the key, the
/// dataset, its columns of that kind and the closest.
pub fn ranking_columns<'d>(manifest: &Manifest, dataset: &'d Dataset) -> Result<(Option<usize>, Option<&'d [f64]>)> {
    let description = &dataset.description;
    let within = match manifest.pipeline.rank.within() {
        None => None,
        Some(column) => {
            let groups = &description.columns.groups;
            let position = groups.iter().position(|c| c == column);
            if position.is_none() {
                let hint = crate::diagnostic::did_you_mean(column, groups.iter().map(String::as_str), 2)
                    .map_or(String::new(), |h| format!("; {h}"));
                bail!(
                    "pipeline.rank.within: `{column}` is not a group column of dataset `{}` (its group columns: {}){hint}",
                    description.id,
                    if groups.is_empty() {
                        "none".to_string()
                    } else {
                        groups.join(", ")
                    }
                );
            }
            position
        }
    };
    let covariate = match &manifest.peer_groups {
        None => None,
        Some(spec) => Some(
            dataset
                .numbers
                .get(&spec.covariate)
                .map(Vec::as_slice)
                .with_context(|| {
                    let hint =
                        crate::diagnostic::did_you_mean(&spec.covariate, dataset.numbers.keys().map(String::as_str), 2)
                            .map_or(String::new(), |h| format!("; {h}"));
                    format!(
                        "peer_groups.covariate: `{}` is not a numeric variable of dataset `{}`{hint}",
                        spec.covariate, description.id
                    )
                })?,
        ),
    };
    Ok((within, covariate))
}

/// Scores per result unit.
struct Scored {
    /// The dataset row that represents each unit (its latest year for panel data).
    rows: Vec<usize>,
    /// `scores[p][k]`: score of node `p` for unit `k`.
    scores: Vec<Vec<f64>>,
    /// Index score per year, for panel data.
    by_year: Option<Vec<BTreeMap<String, Option<f64>>>>,
}

/// Averages each unit's yearly scores with the panel's weights.
fn average_years(
    dataset: &Dataset,
    rows: &[usize],
    out: &pipeline::Outcome,
    panel: &crate::edition::PanelSpec,
) -> Result<Scored> {
    // Units in order of first appearance among the kept rows.
    let mut ids: Vec<&str> = Vec::new();
    for &k in out.kept() {
        let id = dataset.units[rows[k]].id.as_str();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // position of (unit, year) among the kept rows
    let mut at: BTreeMap<(&str, i32), usize> = BTreeMap::new();
    for (pos, &k) in out.kept().iter().enumerate() {
        let u = &dataset.units[rows[k]];
        if let Some(t) = u.time {
            at.insert((u.id.as_str(), t), pos);
        }
    }
    let policy = cityrank_steps::aggregate::MissingPolicy::Reweight {
        min_share: panel.min_share,
    };
    let mut scores = Vec::with_capacity(out.scores.len());
    for node in &out.scores {
        let years: Vec<Vec<f64>> = panel
            .years
            .iter()
            .map(|&y| {
                ids.iter()
                    .map(|id| at.get(&(*id, y)).map_or(f64::NAN, |&pos| node[pos]))
                    .collect()
            })
            .collect();
        let cols: Vec<&[f64]> = years.iter().map(Vec::as_slice).collect();
        scores.push(
            cityrank_steps::panel::time_weighted_average(&cols, &panel.weights, policy)
                .map_err(|e| anyhow!("averaging the panel's years: {e}"))?,
        );
    }
    let by_year = ids
        .iter()
        .map(|id| {
            panel
                .years
                .iter()
                .map(|&y| {
                    (
                        y.to_string(),
                        at.get(&(*id, y)).and_then(|&pos| finite(out.scores[0][pos])),
                    )
                })
                .collect()
        })
        .collect();
    let latest = |id: &str| -> usize {
        let pos = panel
            .years
            .iter()
            .rev()
            .find_map(|&y| at.get(&(id, y)).copied())
            .unwrap_or_default();
        rows[out.kept()[pos]]
    };
    Ok(Scored {
        rows: ids.iter().map(|id| latest(id)).collect(),
        scores,
        by_year: Some(by_year),
    })
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Indicators that cannot tell units apart, said as warnings: one with no value
/// for any unit (its weight goes to its siblings), and one with the same value
/// for every unit (every normalisation gives every unit the same score on it).
fn indicator_notices(manifest: &Manifest, raw: &[Vec<f64>], units: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if units.len() < 2 {
        return out;
    }
    for (spec, values) in manifest.indicators.iter().zip(raw) {
        if values.len() != units.len() {
            continue;
        }
        let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        match present.first() {
            None => out.push(format!(
                "indicator `{}` has no value for any of the {} units: it cannot be scored (its node follows the \
                 pipeline's missing-value policy: with `reweight`, its weight goes to its siblings); check {}",
                spec.id,
                units.len(),
                match (&spec.from, &spec.formula) {
                    (Some(f), _) => format!("the dataset column `{f}`"),
                    (None, Some(f)) => format!("the columns of its formula `{f}`"),
                    (None, None) => "the data the plugin derives it from".to_string(),
                }
            )),
            // A constant count divided by a denominator differs again: not said.
            Some(_) if spec.denominator.is_some() && manifest.pipeline.denominate.is_some() => {}
            Some(&first) if present.len() >= 2 && present.iter().all(|v| *v == first) => out.push(format!(
                "indicator `{}` is {first} for every unit that has a value ({} of {}): it does not tell units apart, \
                 and every unit gets the same score on it; check its data, or drop it",
                spec.id,
                present.len(),
                units.len()
            )),
            Some(_) => {}
        }
    }
    out
}

/// Ladder-scored indicators whose values a step changed before the rungs scored
/// them: the rungs are in the indicator's own units (300 destinations, 25 km),
/// and outlier treatment (where it changed something: `treatment`) or a
/// denominator hands them other numbers (logarithms, km per thousand people), so
/// units may land on other rungs, silently. One warning per kind of change.
fn ladder_notices(manifest: &Manifest, treatment: &[crate::results::TreatmentInfo]) -> Vec<String> {
    use crate::methodology::NormaliseSpec;
    let ladders = manifest.indicators.iter().filter(|spec| {
        matches!(
            spec.normalise.as_ref().unwrap_or(&manifest.pipeline.normalise),
            NormaliseSpec::Ladder { .. }
        )
    });
    let (mut treated, mut divided) = (Vec::new(), Vec::new());
    for spec in ladders {
        if treatment
            .iter()
            .any(|t| t.indicator == spec.id && t.transform != "none")
        {
            treated.push(spec.id.as_str());
        }
        if spec.denominator.is_some() && manifest.pipeline.denominate.is_some() {
            divided.push(spec.id.as_str());
        }
    }
    let mut out = Vec::new();
    for (ids, change, leave, key, value) in [
        (
            &treated,
            "outlier treatment changed",
            "untreated",
            "treat",
            "{ method = \"none\" }",
        ),
        (
            &divided,
            "their denominators divided",
            "undivided",
            "denominate",
            "false",
        ),
    ] {
        if ids.is_empty() {
            continue;
        }
        let list: Vec<String> = ids.iter().map(|i| format!("`{i}`")).collect();
        let table: Vec<String> = ids.iter().map(|i| format!("{i} = {value}")).collect();
        out.push(format!(
            "indicators {} are scored on ladders whose rungs are in their own units, but {change} their values \
             first, so the rungs scored other numbers; leave them {leave}: `{key} = {{ {} }}` in the variant (or \
             give rungs in the {} units)",
            list.join(", "),
            table.join(", "),
            leave.trim_start_matches("un")
        ));
    }
    out
}

/// What a variant replaced without saying so: an indicator's own normalisation
/// (e.g. a ladder) or treatment, replaced by the variant's pipeline-wide one.
fn variant_notices(base: &Manifest, effective: &Manifest, edition: &ResolvedEdition) -> Vec<String> {
    let Some(name) = &edition.variant else {
        return Vec::new();
    };
    let Some(variant) = edition.edition.variants.get(name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let replaced = |own: &dyn Fn(&crate::methodology::IndicatorSpec) -> bool| -> Vec<String> {
        base.indicators
            .iter()
            .filter(|i| own(i))
            .filter(|i| effective.indicators.iter().any(|e| e.id == i.id && !own(e)))
            .map(|i| format!("`{}`", i.id))
            .collect()
    };
    // Only a pipeline-wide setting replaces the indicators' own without saying so
    // (a skip says it).
    if variant.pipeline.normalise.is_some() {
        let ids = replaced(&|i| i.normalise.is_some());
        if !ids.is_empty() {
            out.push(format!(
                "variant `{name}`: its pipeline.normalise replaces the own normalisation of {} as well (e.g. a \
                 ladder); to keep one, set it again in [variants.{name}.normalise]",
                ids.join(", ")
            ));
        }
    }
    // A ranking table without `within` drops the methodology's ranks within groups.
    if let (Some(within), Some(crate::methodology::RankSpec::Table(t))) =
        (base.pipeline.rank.within(), &variant.pipeline.rank)
        && t.within.is_none()
    {
        out.push(format!(
            "variant `{name}`: its `rank` table has no `within`, so it drops the methodology's ranks within \
             `{within}`; to keep them, write the rule alone (`rank = \"{}\"`) or add `within = \"{within}\"`",
            match t.rule {
                crate::methodology::RankRule::Competition => "competition",
                crate::methodology::RankRule::Dense => "dense",
            }
        ));
    }
    if variant.pipeline.denominate.is_some() {
        let ids = replaced(&|i| i.denominator_scale.is_some());
        if !ids.is_empty() {
            out.push(format!(
                "variant `{name}`: its pipeline.denominate replaces the own denominator scale of {} as well; to \
                 keep one, set it again in [variants.{name}.denominate]",
                ids.join(", ")
            ));
        }
    }
    if variant.pipeline.treat.is_some() {
        let ids = replaced(&|i| i.treat.is_some());
        if !ids.is_empty() {
            out.push(format!(
                "variant `{name}`: its pipeline.treat replaces the own outlier treatment of {} as well; to keep \
                 one, set it again in [variants.{name}.treat]",
                ids.join(", ")
            ));
        }
    }
    out
}

/// Plugin-supplied steps, run in the sandbox: one call per step, each in a fresh
/// instance of the pre-instantiated component.
pub struct SandboxSteps<'a> {
    plugin: &'a dyn Plugin,
    limits: &'a Limits,
    /// Plugin use by the steps run so far.
    pub usage: Usage,
    /// Plugin log of the steps run so far.
    pub log: Vec<LogMessage>,
}

impl<'a> SandboxSteps<'a> {
    /// Steps run by `plugin` within `limits`.
    pub fn new(plugin: &'a dyn Plugin, limits: &'a Limits) -> Self {
        SandboxSteps {
            plugin,
            limits,
            usage: Usage { fuel: 0, calls: 0 },
            log: Vec::new(),
        }
    }
}

impl CustomSteps for SandboxSteps<'_> {
    fn run(
        &mut self,
        step: &str,
        method: &str,
        params: &crate::methodology::PluginParams,
        node: &str,
        units: &[String],
        data: Vec<NamedColumn>,
    ) -> Result<Vec<NamedColumn>> {
        let call = StepCall {
            step,
            method,
            params,
            node,
            data: Table {
                units: units.to_vec(),
                numbers: data.into_iter().map(|(id, values)| Column { id, values }).collect(),
                texts: Vec::new(),
            },
        };
        let (table, report) = self.plugin.run_step(self.limits, call)?;
        self.usage.fuel += report.fuel;
        self.usage.calls += 1;
        self.log.extend(report.log);
        if table.units != units {
            bail!(
                "plugin `{}`, step `{step}` ({method}): returned other units than it was given",
                self.plugin.label()
            );
        }
        Ok(table.numbers.into_iter().map(|c| (c.id, c.values)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::portable;
    use std::path::Path;

    #[test]
    fn warnings_name_files_as_the_edition_does() {
        let edition = Path::new("/home/me/rankings/methodologies/e.toml");
        // The manifest as opened (edition directory + `../plugins/m/methodology.toml`).
        let w = "/home/me/rankings/methodologies/../plugins/m/methodology.toml:3:4: x: y";
        assert_eq!(portable(w, edition), "../plugins/m/methodology.toml:3:4: x: y");
        // The edition itself, quoted within a warning.
        let w = "variant `v` of `/home/me/rankings/methodologies/e.toml` drops a pillar";
        assert_eq!(portable(w, edition), "variant `v` of `e.toml` drops a pillar");
        // Inside another path, or run from the edition's own directory: unchanged.
        let w = "see /elsewhere/home/me/rankings/methodologies/x";
        assert_eq!(portable(w, edition), w);
        assert_eq!(portable("e.toml:1:1: z", Path::new("e.toml")), "e.toml:1:1: z");
    }
}
