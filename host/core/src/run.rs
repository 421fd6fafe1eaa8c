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

/// A methodology ready to run: its checked manifest, its formulas and, unless it
/// is a declarative manifest, its component loaded into the sandbox.
pub struct LoadedMethodology {
    /// The component (`None` for a declarative manifest: no code runs).
    pub plugin: Option<Box<dyn Plugin>>,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its framework tree.
    pub framework: Framework,
    /// The indicators the host computes from `from` and `formula`.
    pub formulas: Formulas,
    /// Where it came from: the component file, or the manifest file.
    pub path: PathBuf,
    /// What the methodology's results depend on, hashed: the component's SHA-256,
    /// or for a declarative manifest the manifest file's.
    pub sha256: String,
    /// SHA-256 of the manifest text.
    pub manifest_sha256: String,
    /// Name used in messages (the component's or the manifest's file name).
    pub label: String,
    /// Whether the component was built by this call.
    pub rebuilt: bool,
    /// What the `manifest` call used (nothing for a declarative manifest).
    pub report: CallReport,
}

impl LoadedMethodology {
    /// The contract the component implements (`cityrank:methodology@0.2.0`), if there is a component.
    pub fn contract(&self) -> Option<String> {
        self.plugin
            .as_ref()
            .map(|p| format!("{}@{}", CONTRACT_PACKAGE, p.contract_version()))
    }

    /// `declarative` (a manifest, no code) or `component`.
    pub fn kind(&self) -> &'static str {
        if self.plugin.is_none() {
            "declarative"
        } else {
            "component"
        }
    }
}

/// Finds and loads the methodology an edition names: a declarative manifest is
/// read directly; code is built if needed and loaded into a sandbox. The sandbox
/// crate implements this for its `Sandbox`; the analyses take any loader.
pub trait Loader: Sync {
    /// Locates (building it if needed) and loads a methodology, and checks its
    /// manifest. Errors name the file and what to fix.
    fn load(&self, source: &PluginSource, limits: &Limits) -> Result<LoadedMethodology>;
}

impl LoadedMethodology {
    /// A methodology with code: asks `plugin` for its manifest and checks it.
    /// `source_dir` is the plugin's source directory, if it was built from one:
    /// when the component carries that directory's `methodology.toml` as it is,
    /// errors point into that file. `path` is the component's file.
    pub fn from_plugin(
        plugin: Box<dyn Plugin>,
        path: PathBuf,
        source_dir: Option<&std::path::Path>,
        rebuilt: bool,
        limits: &Limits,
    ) -> Result<LoadedMethodology> {
        let (text, report) = plugin.manifest(limits)?;
        let origin = match source_dir {
            Some(dir) if std::fs::read_to_string(dir.join("methodology.toml")).is_ok_and(|t| t == text) => {
                dir.join("methodology.toml").display().to_string()
            }
            _ => format!("manifest of plugin `{}`", plugin.label()),
        };
        let checked = check_manifest(&text, &origin, true)?;
        Ok(LoadedMethodology {
            sha256: plugin.sha256().to_string(),
            manifest_sha256: crate::digest::sha256_hex(text.as_bytes()),
            label: plugin.label().to_string(),
            plugin: Some(plugin),
            manifest: checked.0,
            framework: checked.1,
            formulas: checked.2,
            path,
            rebuilt,
            report,
        })
    }
}

/// The largest methodology manifest read, in bytes. A real one is tens of
/// kilobytes (200 indicators: 25 KB; 10,000 would be about 2 MB), and parsing a
/// manifest costs about twelve times its size in memory: a manifest from another
/// institution, or from a plugin, cannot make the host hold gigabytes.
pub const MAX_MANIFEST_BYTES: usize = 16 << 20;

/// Refuses a manifest of `bytes` above [`MAX_MANIFEST_BYTES`].
fn refuse_enormous_manifest(bytes: usize, origin: &str) -> Result<()> {
    if bytes > MAX_MANIFEST_BYTES {
        bail!(
            "{origin}: the manifest is {:.1} MiB; the limit is {} MiB (a methodology of 10,000 indicators is about \
             2 MB): is it the methodology, or data written into it?",
            bytes as f64 / f64::from(1u32 << 20),
            MAX_MANIFEST_BYTES >> 20
        );
    }
    Ok(())
}

/// A loader for declarative manifests only: refuses methodologies with code
/// (for tools and tests that must not run any).
pub struct ManifestsOnly;

impl Loader for ManifestsOnly {
    fn load(&self, source: &PluginSource, _limits: &Limits) -> Result<LoadedMethodology> {
        match source {
            PluginSource::Manifest(path) => load_manifest(path),
            other => bail!(
                "`{}` is a methodology with code, which this tool does not run; give a declarative manifest \
                 (`methodology.toml`)",
                other.path().display()
            ),
        }
    }
}

/// Loads a declarative manifest file: no component, every indicator computed by
/// the host from `from` or `formula`.
pub fn load_manifest(path: &std::path::Path) -> Result<LoadedMethodology> {
    // Refused before it is read.
    if let Ok(meta) = std::fs::metadata(path) {
        refuse_enormous_manifest(
            usize::try_from(meta.len()).unwrap_or(usize::MAX),
            &path.display().to_string(),
        )?;
    }
    let bytes =
        crate::fsutil::read_file(path).with_context(|| format!("cannot read methodology `{}`", path.display()))?;
    let origin = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow!(
            "{origin}: not a methodology manifest: it is not UTF-8 text (a manifest is a TOML file; a compiled plugin \
             ends in `.wasm`)"
        )
    })?;
    let (manifest, framework, formulas) = check_manifest(&text, &origin, false)?;
    let sha256 = crate::digest::sha256_hex(text.as_bytes());
    Ok(LoadedMethodology {
        plugin: None,
        manifest,
        framework,
        formulas,
        label: path
            .file_name()
            .map_or_else(|| origin.clone(), |n| n.to_string_lossy().into_owned()),
        path: path.to_path_buf(),
        manifest_sha256: sha256.clone(),
        sha256,
        rebuilt: false,
        report: CallReport::default(),
    })
}

/// Parses and checks a manifest's text: the schema, the framework tree, and the
/// formulas; every problem reported with its line and column in `origin`. A
/// manifest without a component (`has_code` false) must say where every
/// indicator's values come from and cannot ask for the plugin's own steps.
pub fn check_manifest(text: &str, origin: &str, has_code: bool) -> Result<(Manifest, Framework, Formulas)> {
    refuse_enormous_manifest(text.len(), origin)?;
    let source = crate::diagnostic::Source::new(origin, text);
    let manifest: Manifest = schema::parse_toml(text, origin)?;
    let mut problems: Vec<String> = Vec::new();
    let framework = match manifest.framework() {
        Ok(f) => Some(f),
        Err(e) => {
            problems.extend(e.to_string().lines().map(|l| source.render(l)));
            None
        }
    };
    if !has_code {
        for (i, spec) in manifest.indicators.iter().enumerate() {
            if spec.from.is_none() && spec.formula.is_none() {
                problems.push(source.render(&format!(
                    "indicators[{i}]: indicator `{}` says neither where its values come from nor how they are \
                     computed; give `from = \"<dataset variable>\"` or `formula = \"…\"` (a manifest without plugin \
                     code has no `derive`)",
                    spec.id
                )));
            }
        }
        if let Some(step) = manifest.plugin_steps().first() {
            problems.push(source.render(&format!(
                "{step}: `method = \"plugin\"` runs the plugin's own code, but this methodology is a manifest \
                 without code; choose a standard method, or write the methodology as a plugin (`cityrank new --lang \
                 python|js|rust`)"
            )));
        }
    }
    let formulas = match Formulas::parse(&manifest, &source) {
        Ok(f) => Some(f),
        Err(mut p) => {
            problems.append(&mut p);
            None
        }
    };
    match (framework, formulas, problems.as_slice()) {
        (Some(f), Some(x), []) => Ok((manifest, f, x)),
        (_, _, [one]) => bail!("{one}"),
        (_, _, many) => bail!("{origin}: {} problems:\n  {}", many.len(), many.join("\n  ")),
    }
}

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

/// A warning as the results record it: the files it names (a manifest's formula,
/// the edition itself) by their paths relative to the edition's directory, as the
/// edition names them, instead of as this process opened them (relative to its
/// working directory, or absolute), so that the results of one edition are the
/// same bytes wherever and from wherever it runs (`cityrank verify` compares
/// them). A file the edition names by an absolute path keeps it.
pub fn portable(warning: &str, edition: &Path) -> String {
    let Some(dir) = edition.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return warning.to_string();
    };
    let dir = dir.display().to_string();
    let prefix = if dir.ends_with(std::path::MAIN_SEPARATOR) {
        dir
    } else {
        format!("{dir}{}", std::path::MAIN_SEPARATOR)
    };
    // At the start of the warning, or after a space or a backtick (a path quoted
    // within the text), never inside another path.
    let mut out = String::with_capacity(warning.len());
    let mut rest = warning;
    while let Some(at) = rest.find(&prefix) {
        let boundary = at == 0 && out.is_empty() || rest[..at].ends_with([' ', '`', '(']);
        out.push_str(&rest[..at]);
        if !boundary {
            out.push_str(&prefix);
        }
        rest = &rest[at + prefix.len()..];
    }
    out.push_str(rest);
    out
}

/// How many units (and entries of each per-unit table) the results' own schema
/// check looks at.
const SCHEMA_SAMPLE: usize = 64;

/// Checks the results against their own schema (a failure is a bug in
/// cityrank): every field, with the units and the per-unit tables (`missing`,
/// `imputed`, `screened_out`) cut to their first [`SCHEMA_SAMPLE`] entries while
/// it looks — they are rows of one shape, and as a JSON tree the whole document
/// of 13,000 units would take several times the memory of the results.
fn check_schema(results: &mut Results) -> Result<()> {
    fn cut<K: Ord + Clone, V>(map: &mut BTreeMap<K, V>) -> BTreeMap<K, V> {
        match map.keys().nth(SCHEMA_SAMPLE).cloned() {
            Some(k) => map.split_off(&k),
            None => BTreeMap::new(),
        }
    }
    let units = results.units.split_off(results.units.len().min(SCHEMA_SAMPLE));
    let screened = results
        .screened_out
        .split_off(results.screened_out.len().min(SCHEMA_SAMPLE));
    let (missing, imputed) = (cut(&mut results.missing), cut(&mut results.imputed));
    let checked = serde_json::to_value(&*results)
        .context("cannot represent the results as JSON")
        .and_then(|json| {
            schema::validate::<Results>(&json, "results").context("internal error: results do not match their schema")
        });
    results.units.extend(units);
    results.screened_out.extend(screened);
    results.missing.extend(missing);
    results.imputed.extend(imputed);
    checked
}

/// Which edition was run: its file (name and hash), the variant and what it
/// changed, and the expert panel behind its weights.
fn edition_info(edition: &ResolvedEdition, manifest: &Manifest) -> Result<EditionInfo> {
    Ok(EditionInfo {
        id: edition.edition.id.clone(),
        name: edition.edition.name.clone(),
        year: edition.edition.year,
        file: edition
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: edition.sha256.clone(),
        variant: edition.variant.clone(),
        changes: edition
            .variant
            .as_ref()
            .and_then(|v| edition.edition.variants.get(v))
            .cloned(),
        experts: experts_info(edition, manifest)?,
    })
}

/// What the results record of the expert panel (`None` without one): its file
/// name and hash, the settings, the nodes it weights.
fn experts_info(edition: &ResolvedEdition, manifest: &Manifest) -> Result<Option<crate::results::ExpertsInfo>> {
    let Some(spec) = &edition.experts else {
        return Ok(None);
    };
    let prepared = edition.panel_weights(spec, manifest)?;
    Ok(Some(crate::results::ExpertsInfo {
        file: spec
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256: prepared.sha256.clone(),
        settings: spec.settings(),
        nodes: prepared.nodes.iter().map(|n| n.target.id.clone()).collect(),
        experts: prepared.experts.len(),
        left_out: prepared
            .nodes
            .iter()
            .flat_map(|n| {
                n.experts
                    .iter()
                    .filter(|p| p.excluded)
                    .map(|p| format!("{} at {}", prepared.experts[p.expert], n.target.id))
            })
            .collect(),
    }))
}

/// Which methodology scored the edition, and its hashes.
fn methodology_info(loaded: &LoadedMethodology, manifest: &Manifest) -> MethodologyInfo {
    MethodologyInfo {
        id: manifest.id.clone(),
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        kind: loaded.kind().to_string(),
        sha256: loaded.sha256.clone(),
        manifest_sha256: loaded.manifest_sha256.clone(),
        contract: loaded.contract(),
    }
}

/// Which data were scored (`rows` of `dataset`), and their hashes.
fn dataset_info(dataset: &Dataset, rows: &[usize]) -> DatasetInfo {
    DatasetInfo {
        id: dataset.description.id.clone(),
        year: dataset.description.year,
        sha256: dataset.sha256.clone(),
        description_sha256: dataset.description_sha256.clone(),
        // Distinct unit ids: a panel has several rows (years) per unit.
        units: rows
            .iter()
            .map(|&r| dataset.units[r].id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        rows: rows.len(),
    }
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

/// The pipeline as `manifest` (the effective one: after the edition's tiers and
/// the variant) runs it: the default steps, how each indicator is scored, and
/// the nodes that have their own aggregation.
pub fn resolved_pipeline(manifest: &Manifest) -> ResolvedPipeline {
    let indicators = manifest
        .indicators
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                IndicatorSteps {
                    direction: i.direction,
                    target: i.target,
                    ladder: i.ladder.clone(),
                    denominator: i.denominator.clone(),
                    denominator_scale: i.denominator_scale,
                    treat: i.treat.clone(),
                    normalise: i.normalise.clone(),
                },
            )
        })
        .collect();
    let nodes = std::iter::once((&manifest.index.id, &manifest.index.aggregate))
        .chain(manifest.nodes.iter().map(|n| (&n.id, &n.aggregate)))
        .filter_map(|(id, a)| a.as_ref().map(|a| (id.clone(), a.clone())))
        .collect();
    ResolvedPipeline {
        steps: manifest.pipeline.clone(),
        indicators,
        nodes,
    }
}

/// Renders one CSV per stage, to be written into `dir` (`<stage>.csv`: first column
/// the unit id, then one column per indicator or node), as `(path, bytes)` pairs for
/// [`crate::fsutil::write_all_or_none`].
pub fn stage_files(
    stages: &[pipeline::Stage],
    unit_ids: &[String],
    dir: &std::path::Path,
) -> Result<Vec<(std::path::PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    for stage in stages {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["id".to_string()];
        header.extend(stage.columns.iter().cloned());
        w.write_record(&header)?;
        for (row, &u) in stage.units.iter().enumerate() {
            let mut record = vec![unit_ids[u].clone()];
            record.extend(stage.values.iter().map(|c| {
                if c[row].is_nan() {
                    String::new()
                } else {
                    c[row].to_string()
                }
            }));
            w.write_record(&record)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| anyhow!("cannot render stage `{}`: {e}", stage.name))?;
        files.push((dir.join(format!("{}.csv", stage.name)), bytes));
    }
    Ok(files)
}

/// The rows an edition scores and their indicator values as derived by the plugin.
pub struct Derived {
    /// Positions of the scored rows in the dataset.
    pub rows: Vec<usize>,
    /// Keys of the scored rows (unit ids, or `id@year` for panel data).
    pub unit_ids: Vec<String>,
    /// Derived values, one column per indicator of the plugin's own manifest.
    pub raw: Vec<Vec<f64>>,
    /// Group columns of the scored rows.
    pub groups: BTreeMap<String, Vec<String>>,
    /// The numeric dataset variables the pipeline reads (denominators and the
    /// peer-group covariate), of the scored rows.
    pub variables: BTreeMap<String, Vec<f64>>,
    /// Plugin use so far (manifest and derive).
    pub usage: Usage,
    /// Plugin log so far.
    pub log: Vec<LogMessage>,
    /// Notices for the author found while deriving (e.g. a formula's division by zero).
    pub warnings: Vec<String>,
    /// For panel data: unit index and year of each row (empty otherwise).
    pub panel_unit: Vec<usize>,
    /// For panel data: the year of each row (empty otherwise).
    pub panel_time: Vec<f64>,
}

impl Derived {
    /// The raw columns of `manifest`'s indicators (a variant of `plugin_manifest`,
    /// whose indicators it may have dropped).
    pub fn raw_for(&self, manifest: &Manifest, plugin_manifest: &Manifest) -> Vec<Vec<f64>> {
        Derived::positions(manifest, plugin_manifest)
            .map(|i| self.raw[i].clone())
            .collect()
    }

    /// [`Derived::raw_for`], moving the columns out instead of copying them
    /// (for a single run; `raw` is left empty).
    pub fn take_raw_for(&mut self, manifest: &Manifest, plugin_manifest: &Manifest) -> Vec<Vec<f64>> {
        let mut raw = std::mem::take(&mut self.raw);
        let positions: Vec<usize> = Derived::positions(manifest, plugin_manifest).collect();
        (0..positions.len())
            .map(|j| {
                let i = positions[j];
                // Moved at its last use, copied before (an indicator is named once
                // in a valid manifest).
                if positions[j + 1..].contains(&i) {
                    raw[i].clone()
                } else {
                    std::mem::take(&mut raw[i])
                }
            })
            .collect()
    }

    /// For each indicator of `manifest`, its position in `plugin_manifest`.
    fn positions<'a>(manifest: &'a Manifest, plugin_manifest: &'a Manifest) -> impl Iterator<Item = usize> + 'a {
        manifest.indicators.iter().map(|ind| {
            plugin_manifest
                .indicators
                .iter()
                .position(|x| x.id == ind.id)
                .unwrap_or_default()
        })
    }

    /// The pipeline's view of the rows.
    pub fn context(&self) -> pipeline::Context<'_> {
        pipeline::Context {
            units: &self.unit_ids,
            groups: &self.groups,
            variables: &self.variables,
            panel: (!self.panel_time.is_empty()).then_some(pipeline::PanelRows {
                unit: &self.panel_unit,
                time: &self.panel_time,
                by_year: pipeline::ByYear::default(),
            }),
        }
    }
}

/// Selects the rows of an edition and lets the plugin derive their indicators
/// (one `derive` call for all rows).
pub fn derive_rows(loaded: &LoadedMethodology, edition: &ResolvedEdition, dataset: &Dataset) -> Result<Derived> {
    derive_with(loaded, edition, dataset, BTreeMap::new())
}

/// Takes out of `dataset` the columns that indicators take as they are (`from =
/// "x"`, see [`Formulas::sole_readers`](crate::formulas::Formulas::sole_readers))
/// and nothing else reads: not a plugin's declared input, a denominator or the
/// peer-group `covariate`; only when every row is scored (no panel years). By
/// indicator position, for [`derive_with`].
fn take_sole_columns(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &mut Dataset,
    covariate: Option<&str>,
) -> BTreeMap<usize, Vec<f64>> {
    let mut given = BTreeMap::new();
    if edition.panel.is_some() {
        return given;
    }
    let manifest = &loaded.manifest;
    let variant_denominators = edition.variant_denominators();
    let read_elsewhere = |name: &str| {
        manifest.inputs.iter().any(|i| i.id == name)
            || manifest
                .indicators
                .iter()
                .any(|i| i.denominator.as_deref() == Some(name))
            || variant_denominators.iter().any(|(_, d)| d == name)
            || manifest.peer_groups.as_ref().is_some_and(|p| p.covariate == name)
            || covariate == Some(name)
    };
    let rows = dataset.units.len();
    for (indicator, name) in loaded.formulas.sole_readers() {
        if read_elsewhere(name) {
            continue;
        }
        if dataset.numbers.get(name).is_some_and(|column| column.len() == rows)
            && let Some(column) = dataset.numbers.remove(name)
        {
            given.insert(indicator, column);
        }
    }
    given
}

/// [`derive_rows`] with columns already taken out of the dataset for some
/// indicators (`given`, from [`take_sole_columns`]).
fn derive_with(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &Dataset,
    given: BTreeMap<usize, Vec<f64>>,
) -> Result<Derived> {
    edition.check_pin(&loaded.sha256, &loaded.manifest_sha256, &loaded.label)?;
    let mut usage = Usage {
        fuel: loaded.report.fuel,
        calls: u32::from(loaded.plugin.is_some()),
    };
    let mut log = loaded.report.log.clone();
    // The rows scored: every row, or for panel data the rows of the panel's years.
    let rows = select_rows(dataset, edition)?;
    let file = edition.dataset.display().to_string();
    // The plugin derives every indicator it declares without a formula; a variant's
    // dropped indicators are simply not used.
    check_inputs(&loaded.manifest, dataset, &file)?;
    let units: Vec<String> = rows.iter().map(|&r| dataset.units[r].key()).collect();
    let mut raw: Vec<Vec<f64>> = match &loaded.plugin {
        Some(plugin)
            if loaded
                .manifest
                .indicators
                .iter()
                .enumerate()
                .any(|(i, _)| !loaded.formulas.covers(i)) =>
        {
            let input = input_table(&loaded.manifest, dataset, &rows, &file)?;
            let (derived, report) = plugin.derive(&edition.limits, &edition.edition.id, input)?;
            usage.fuel += report.fuel;
            usage.calls += 1;
            log.extend(report.log);
            check_derived(&loaded.manifest, &loaded.formulas, &units, derived, plugin.label())?
        }
        _ => vec![Vec::new(); loaded.manifest.indicators.len()],
    };
    let mut warnings = Vec::new();
    // The variables moved out of the dataset for the indicators that take them.
    let taken: std::collections::BTreeSet<String> = given
        .keys()
        .filter_map(|&i| loaded.manifest.indicators.get(i).and_then(|x| x.from.clone()))
        .collect();
    if !loaded.formulas.is_empty() {
        // Text columns, to say so when a formula names one: text variables, groups,
        // and the id, name and country columns.
        let columns = &dataset.description.columns;
        let texts: std::collections::BTreeSet<String> = dataset
            .texts
            .keys()
            .chain(&columns.groups)
            .chain([&columns.id, &columns.name])
            .chain(&columns.country)
            .cloned()
            .collect();
        let computed = loaded
            .formulas
            .evaluate(
                &loaded.manifest.indicators,
                &crate::formulas::Variables {
                    numbers: &dataset.numbers,
                    texts: &texts,
                    dataset: &format!("{} ({file})", dataset.description.id),
                    taken: &taken,
                },
                &rows,
                &units,
                given,
            )
            .map_err(|e| anyhow!("{e}"))?;
        for (i, column) in computed.columns.into_iter().enumerate() {
            if let Some(values) = column {
                let id = &loaded.manifest.indicators[i].id;
                check_column(
                    id,
                    &values,
                    &units,
                    &format!("{}: indicator `{id}`", loaded.path.display()),
                )?;
                raw[i] = values;
            }
        }
        warnings = computed.warnings;
    }
    warnings.extend(indicator_notices(&loaded.manifest, &raw, &units));
    let groups = dataset
        .description
        .columns
        .groups
        .iter()
        .enumerate()
        .map(|(g, name)| {
            (
                name.clone(),
                rows.iter().map(|&r| dataset.units[r].groups[g].clone()).collect(),
            )
        })
        .collect();
    // The variables the pipeline reads (not the indicators' inputs, which the
    // plugin or the formulas have read): denominators (the methodology's and those
    // its variants name) and the peer-group covariate. A variant's denominator
    // must be a numeric variable of the dataset it runs on.
    let variant_denominators = edition.variant_denominators();
    let unknown: Vec<String> = variant_denominators
        .iter()
        .filter(|(_, name)| !dataset.numbers.contains_key(name))
        .map(|(key, name)| {
            let hint = crate::diagnostic::did_you_mean(name, dataset.numbers.keys().map(String::as_str), 2)
                .map_or(String::new(), |h| format!("; {h}"));
            let what = if dataset.texts.contains_key(name) {
                "a text variable, not a numeric one,"
            } else {
                "not a numeric variable"
            };
            format!(
                "{key}: `{name}` is {what} of dataset `{}` ({file}){hint}",
                dataset.description.id
            )
        })
        .collect();
    if !unknown.is_empty() {
        // Each at its place in the edition file, all at once.
        let origin = edition.path.display().to_string();
        let source = crate::diagnostic::Source::new(
            origin.clone(),
            std::fs::read_to_string(&edition.path).unwrap_or_default(),
        );
        crate::diagnostic::bail_all(&origin, unknown.iter().map(|p| source.render(p)).collect())?;
    }
    let used: std::collections::BTreeSet<&str> = loaded
        .manifest
        .indicators
        .iter()
        .filter_map(|i| i.denominator.as_deref())
        .chain(variant_denominators.iter().map(|(_, d)| d.as_str()))
        .chain(loaded.manifest.peer_groups.as_ref().map(|p| p.covariate.as_str()))
        .collect();
    let variables = dataset
        .numbers
        .iter()
        .filter(|(k, _)| used.contains(k.as_str()))
        .map(|(k, v)| (k.clone(), rows.iter().map(|&r| v[r]).collect()))
        .collect();
    // Panel rows: a unit index per distinct id (in order of appearance) and the year.
    let (mut panel_unit, mut panel_time) = (Vec::new(), Vec::new());
    if edition.panel.is_some() {
        let mut ids: Vec<&str> = Vec::new();
        for &r in &rows {
            let u = &dataset.units[r];
            let k = ids.iter().position(|i| *i == u.id).unwrap_or_else(|| {
                ids.push(&u.id);
                ids.len() - 1
            });
            panel_unit.push(k);
            panel_time.push(f64::from(u.time.unwrap_or_default()));
        }
    }
    Ok(Derived {
        rows,
        unit_ids: units,
        raw,
        groups,
        variables,
        usage,
        log,
        warnings,
        panel_unit,
        panel_time,
    })
}

/// The dataset rows an edition scores.
fn select_rows(dataset: &Dataset, edition: &ResolvedEdition) -> Result<Vec<usize>> {
    let file = edition.dataset.display();
    match (&edition.panel, dataset.description.panel_layout()) {
        (None, None) => Ok((0..dataset.units.len()).collect()),
        (None, Some(layout)) => bail!(
            "{file}: the dataset is panel data ({layout}); give the edition (or variant) a `panel` with the years to score"
        ),
        (Some(_), None) => bail!(
            "{file}: the edition asks for panel scoring but the dataset has no years (no `time` column, no `wide` \
             layout in its [columns])"
        ),
        (Some(panel), Some(_)) => {
            let rows: Vec<usize> = (0..dataset.units.len())
                .filter(|&r| dataset.units[r].time.is_some_and(|t| panel.years.contains(&t)))
                .collect();
            for y in &panel.years {
                if !rows.iter().any(|&r| dataset.units[r].time == Some(*y)) {
                    bail!("{file}: panel.years: the dataset has no rows for {y}");
                }
            }
            Ok(rows)
        }
    }
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

/// Refuses a manifest whose declared inputs the dataset lacks (or has with
/// the other type), naming the input and the fix.
fn check_inputs(manifest: &Manifest, dataset: &Dataset, file: &str) -> Result<()> {
    for (i, input) in manifest.inputs.iter().enumerate() {
        let (present, kind) = match input.kind {
            VariableType::Number => (dataset.numbers.contains_key(&input.id), "number"),
            VariableType::Text => (dataset.texts.contains_key(&input.id), "text"),
        };
        if !present {
            bail!("{}", missing_input(manifest, dataset, file, i, kind));
        }
    }
    Ok(())
}

/// The plugin's input: the declared raw variables of every unit, nothing else.
fn input_table(manifest: &Manifest, dataset: &Dataset, rows: &[usize], file: &str) -> Result<Table> {
    let mut numbers = Vec::new();
    let mut texts = Vec::new();
    for (i, input) in manifest.inputs.iter().enumerate() {
        match input.kind {
            VariableType::Number => match dataset.numbers.get(&input.id) {
                Some(v) => numbers.push(Column {
                    id: input.id.clone(),
                    values: rows.iter().map(|&r| v[r]).collect(),
                }),
                None => bail!("{}", missing_input(manifest, dataset, file, i, "number")),
            },
            VariableType::Text => match dataset.texts.get(&input.id) {
                Some(v) => texts.push(TextColumn {
                    id: input.id.clone(),
                    values: rows.iter().map(|&r| v[r].clone()).collect(),
                }),
                None => bail!("{}", missing_input(manifest, dataset, file, i, "text")),
            },
        }
    }
    Ok(Table {
        units: rows.iter().map(|&r| dataset.units[r].key()).collect(),
        numbers,
        texts,
    })
}

fn missing_input(manifest: &Manifest, dataset: &Dataset, file: &str, i: usize, kind: &str) -> String {
    let id = &manifest.inputs[i].id;
    let other = if kind == "number" {
        dataset.texts.contains_key(id)
    } else {
        dataset.numbers.contains_key(id)
    };
    if other {
        format!(
            "{file}: variable `{id}` is not of type {kind}, as methodology `{}` requires (inputs[{i}])",
            manifest.id
        )
    } else {
        format!(
            "{file}: methodology `{}` needs the {kind} variable `{id}` (inputs[{i}]), but the dataset has no such variable",
            manifest.id
        )
    }
}

/// The largest magnitude of an indicator value: beyond it, fourth powers of
/// deviations (the kurtosis of COINr's outlier test), summed over many units, could
/// overflow to infinity and the steps' results would silently be wrong.
pub const MAX_MAGNITUDE: f64 = 1e60;

/// Checks the table a plugin's `derive` returned (`derived`, from the plugin
/// named `label`) against the manifest and the input's `units`, and returns the
/// indicator columns in manifest order (empty for the indicators that `formulas`
/// compute: the plugin must not return those).
///
/// # Errors
/// Other units or another order, a column of another length, twice, unknown,
/// missing or computed by a formula, an infinite or overflowing value; ids the
/// plugin gave are shown bounded and escaped.
pub fn check_derived(
    manifest: &Manifest,
    formulas: &Formulas,
    units: &[String],
    derived: Table,
    label: &str,
) -> Result<Vec<Vec<f64>>> {
    use crate::diagnostic::shown_name;
    let who = format!("plugin `{label}`, function `derive`");
    if derived.units != units {
        let keep = "keep the input's units in their order";
        if derived.units.len() != units.len() {
            bail!(
                "{who}: returned {} units for the input's {}; {keep}",
                derived.units.len(),
                units.len()
            );
        }
        let (k, (got, want)) = derived
            .units
            .iter()
            .zip(units)
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((0, (&derived.units[0], &units[0])));
        bail!(
            "{who}: returned unit `{}` at position {} where the input has `{}`; {keep}",
            shown_name(got),
            k + 1,
            shown_name(want)
        );
    }
    let mut by_id: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for c in derived.numbers {
        if c.values.len() != units.len() {
            bail!(
                "{who}: column `{}` has {} values for {} units",
                shown_name(&c.id),
                c.values.len(),
                units.len()
            );
        }
        check_column(&shown_name(&c.id), &c.values, units, &who)?;
        if by_id.insert(c.id.clone(), c.values).is_some() {
            bail!("{who}: returned column `{}` twice", shown_name(&c.id));
        }
    }
    let mut out = Vec::with_capacity(manifest.indicators.len());
    for (i, spec) in manifest.indicators.iter().enumerate() {
        match (by_id.remove(&spec.id), formulas.covers(i)) {
            (Some(_), true) => bail!(
                "{who}: returned a column for indicator `{}`, which the manifest computes with `from` or `formula`; \
                 remove one of the two",
                spec.id
            ),
            (None, true) => out.push(Vec::new()),
            (Some(v), false) => out.push(v),
            (None, false) => bail!(
                "{who}: returned no column for indicator `{}` of the manifest (or give it `from` or `formula` in the \
                 manifest)",
                spec.id
            ),
        }
    }
    if let Some(extra) = by_id.keys().next() {
        bail!(
            "{who}: returned column `{}`, which is not an indicator of the manifest",
            shown_name(extra)
        );
    }
    Ok(out)
}

/// Refuses infinite values and values beyond [`MAX_MAGNITUDE`] in a derived column.
fn check_column(id: &str, values: &[f64], units: &[String], who: &str) -> Result<()> {
    if let Some(u) = values.iter().position(|v| v.is_infinite()) {
        bail!(
            "{who}: column `{id}` is infinite for unit `{}`; return NaN for a missing value",
            units[u]
        );
    }
    if let Some(u) = values.iter().position(|v| v.abs() > MAX_MAGNITUDE) {
        bail!(
            "{who}: column `{id}` is {:e} for unit `{}`, beyond ±{MAX_MAGNITUDE:e}: spreads and sums of squares of \
             such values overflow; rescale the variable (e.g. to thousands or millions)",
            values[u],
            units[u]
        );
    }
    Ok(())
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
