//! Running an edition end to end: build or load the plugin, read its manifest,
//! load the dataset, derive the indicators in the sandbox, score, rank and tier.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};

use crate::dataset::Dataset;
use crate::edition::{PluginSource, ResolvedEdition};
use crate::methodology::{Framework, Manifest, VariableType};
use crate::pipeline::{self, CustomSteps, NamedColumn};
use crate::results::{
    DatasetInfo, EditionInfo, MethodologyInfo, NodeInfo, RESULTS_SCHEMA_VERSION, Results, TierInfo, UnitResult, Usage,
};
use crate::sandbox::{CallReport, Column, Limits, LogMessage, Plugin, Sandbox, StepRequest, Table, TextColumn};
use crate::schema::{self, Document};

/// A methodology loaded into the sandbox, with its checked manifest.
pub struct LoadedMethodology {
    /// The component.
    pub plugin: Plugin,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its framework tree.
    pub framework: Framework,
    /// Where the component came from.
    pub component_path: PathBuf,
    /// Whether the component was built by this call.
    pub rebuilt: bool,
    /// What the `manifest` call used.
    pub report: CallReport,
}

/// Locates (building it if needed) and loads a methodology, and checks its manifest.
pub fn load_methodology(sandbox: &Sandbox, source: &PluginSource, limits: &Limits) -> Result<LoadedMethodology> {
    let (component_path, rebuilt) = match source {
        PluginSource::Crate(dir) => {
            let built = crate::build::build_if_stale(dir)?;
            (built.component, built.rebuilt)
        }
        PluginSource::Component(path) => (path.clone(), false),
    };
    let plugin = sandbox.load(&component_path)?;
    let (text, report) = plugin.manifest(limits)?;
    let origin = format!("manifest of plugin `{}`", plugin.label());
    let manifest: Manifest = schema::parse_toml(&text, Document::Manifest, &origin)?;
    let framework = manifest.framework().map_err(|e| anyhow!("{origin}: {e}"))?;
    Ok(LoadedMethodology { plugin, manifest, framework, component_path, rebuilt, report })
}

/// Everything a run produced.
pub struct RunOutput {
    /// The results document.
    pub results: Results,
    /// What the plugin logged, in call order.
    pub log: Vec<LogMessage>,
    /// Whether the plugin's component was built during this run.
    pub rebuilt: bool,
    /// Whether its compiled form came from the cache.
    pub cached: bool,
}

/// Runs an edition.
pub fn run_edition(sandbox: &Sandbox, edition: &ResolvedEdition) -> Result<RunOutput> {
    let loaded = load_methodology(sandbox, &edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    run_loaded(&loaded, edition, &dataset)
}

/// Runs an edition with an already loaded methodology and dataset.
pub fn run_loaded(loaded: &LoadedMethodology, edition: &ResolvedEdition, dataset: &Dataset) -> Result<RunOutput> {
    let LoadedMethodology { plugin, manifest, framework, .. } = loaded;
    let mut usage = Usage { fuel: loaded.report.fuel, calls: 1 };
    let mut log = loaded.report.log.clone();

    let input = input_table(manifest, dataset, &edition.dataset.display().to_string())?;
    let (derived, report) = plugin.derive(&edition.limits, &edition.edition.id, &input)?;
    usage.fuel += report.fuel;
    usage.calls += 1;
    log.extend(report.log);
    let indicators = check_derived(manifest, &input.units, derived, plugin.label())?;

    let unit_ids = &input.units;
    let mut custom = SandboxSteps { plugin, limits: &edition.limits, units: unit_ids, usage: &mut usage, log: &mut log };
    let scores = pipeline::score(manifest, framework, &indicators, unit_ids, &mut custom)?;
    let tier_specs = edition.edition.tiers.as_ref().unwrap_or(&manifest.tiers);
    let root = &scores.values[0];
    let ranking = pipeline::rank(root, tier_specs)?;

    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, spec) in manifest.indicators.iter().enumerate() {
        for (u, v) in indicators[i].iter().enumerate() {
            if v.is_nan() {
                missing.entry(unit_ids[u].clone()).or_default().push(spec.id.clone());
            }
        }
    }
    let mut units: Vec<UnitResult> = dataset
        .units
        .iter()
        .enumerate()
        .map(|(u, unit)| UnitResult {
            id: unit.id.clone(),
            name: unit.name.clone(),
            country: unit.country.clone(),
            score: finite(root[u]),
            rank: ranking.ranks[u],
            tier: ranking.tiers[u].map(|t| tier_specs[t].label.clone()),
            scores: framework.nodes.iter().zip(&scores.values).map(|(n, v)| (n.id.clone(), finite(v[u]))).collect(),
        })
        .collect();
    // Best rank first; ties and unranked units keep dataset order (stable sort).
    units.sort_by_key(|u| u.rank.unwrap_or(u32::MAX));
    let results = Results {
        schema_version: RESULTS_SCHEMA_VERSION,
        cityrank: env!("CARGO_PKG_VERSION").to_string(),
        edition: EditionInfo {
            id: edition.edition.id.clone(),
            name: edition.edition.name.clone(),
            year: edition.edition.year,
        },
        methodology: MethodologyInfo {
            id: manifest.id.clone(),
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            sha256: plugin.sha256().to_string(),
            contract: format!("{}@{}", crate::sandbox::CONTRACT_PACKAGE, crate::sandbox::CONTRACT_VERSION),
        },
        dataset: DatasetInfo {
            id: dataset.description.id.clone(),
            year: dataset.description.year,
            sha256: dataset.sha256.clone(),
            units: dataset.units.len(),
        },
        framework: framework
            .nodes
            .iter()
            .map(|n| NodeInfo {
                id: n.id.clone(),
                name: n.name.clone(),
                kind: n.kind,
                parent: n.parent.map(|p| framework.nodes[p].id.clone()),
                weight: n.weight,
                effective_weight: n.effective_weight,
            })
            .collect(),
        tiers: tier_specs
            .iter()
            .enumerate()
            .map(|(k, t)| TierInfo {
                label: t.label.clone(),
                upper_share: t.upper_share,
                count: ranking.tiers.iter().filter(|x| **x == Some(k)).count(),
            })
            .collect(),
        units,
        missing,
        usage,
    };
    // The results must satisfy their own schema; a failure here is a bug in cityrank.
    let json = serde_json::to_value(&results).context("cannot represent the results as JSON")?;
    schema::validate(&json, Document::Results, "results").context("internal error: results do not match their schema")?;
    Ok(RunOutput { results, log, rebuilt: loaded.rebuilt, cached: plugin.was_cached() })
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The plugin's input: the declared raw variables of every unit, nothing else.
fn input_table(manifest: &Manifest, dataset: &Dataset, file: &str) -> Result<Table> {
    let mut numbers = Vec::new();
    let mut texts = Vec::new();
    for (i, input) in manifest.inputs.iter().enumerate() {
        match input.kind {
            VariableType::Number => match dataset.numbers.get(&input.id) {
                Some(v) => numbers.push(Column { id: input.id.clone(), values: v.clone() }),
                None => bail!("{}", missing_input(manifest, dataset, file, i, "number")),
            },
            VariableType::Text => match dataset.texts.get(&input.id) {
                Some(v) => texts.push(TextColumn { id: input.id.clone(), values: v.clone() }),
                None => bail!("{}", missing_input(manifest, dataset, file, i, "text")),
            },
        }
    }
    Ok(Table { units: dataset.units.iter().map(|u| u.id.clone()).collect(), numbers, texts })
}

fn missing_input(manifest: &Manifest, dataset: &Dataset, file: &str, i: usize, kind: &str) -> String {
    let id = &manifest.inputs[i].id;
    let other = if kind == "number" { dataset.texts.contains_key(id) } else { dataset.numbers.contains_key(id) };
    if other {
        format!("{file}: variable `{id}` is not of type {kind}, as methodology `{}` requires (inputs[{i}])", manifest.id)
    } else {
        format!(
            "{file}: methodology `{}` needs the {kind} variable `{id}` (inputs[{i}]), but the dataset has no such variable",
            manifest.id
        )
    }
}

/// Checks the plugin's derived table against the manifest and returns the
/// indicator columns in manifest order.
fn check_derived(manifest: &Manifest, units: &[String], derived: Table, label: &str) -> Result<Vec<Vec<f64>>> {
    let who = format!("plugin `{label}`, function `derive`");
    if derived.units != units {
        bail!("{who}: returned a table whose units differ from its input; keep the input's units in their order");
    }
    let mut by_id: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for c in derived.numbers {
        if c.values.len() != units.len() {
            bail!("{who}: column `{}` has {} values for {} units", c.id, c.values.len(), units.len());
        }
        if let Some(u) = c.values.iter().position(|v| v.is_infinite()) {
            bail!("{who}: column `{}` is infinite for unit `{}`; return NaN for a missing value", c.id, units[u]);
        }
        if by_id.insert(c.id.clone(), c.values).is_some() {
            bail!("{who}: returned column `{}` twice", c.id);
        }
    }
    let mut out = Vec::with_capacity(manifest.indicators.len());
    for spec in &manifest.indicators {
        match by_id.remove(&spec.id) {
            Some(v) => out.push(v),
            None => bail!("{who}: returned no column for indicator `{}` of the manifest", spec.id),
        }
    }
    if let Some(extra) = by_id.keys().next() {
        bail!("{who}: returned column `{extra}`, which is not an indicator of the manifest");
    }
    Ok(out)
}

/// Plugin-supplied steps, run in the sandbox.
struct SandboxSteps<'a> {
    plugin: &'a Plugin,
    limits: &'a Limits,
    units: &'a [String],
    usage: &'a mut Usage,
    log: &'a mut Vec<LogMessage>,
}

impl CustomSteps for SandboxSteps<'_> {
    fn run(
        &mut self,
        step: &str,
        method: &str,
        params: &BTreeMap<String, serde_json::Value>,
        node: &str,
        data: Vec<NamedColumn>,
    ) -> Result<Vec<NamedColumn>> {
        let request = StepRequest {
            step: step.to_string(),
            method: method.to_string(),
            params: serde_json::to_string(params).context("cannot encode the step's parameters")?,
            node: node.to_string(),
            data: Table {
                units: self.units.to_vec(),
                numbers: data.into_iter().map(|(id, values)| Column { id, values }).collect(),
                texts: Vec::new(),
            },
        };
        let (table, report) = self.plugin.run_step(self.limits, &request)?;
        self.usage.fuel += report.fuel;
        self.usage.calls += 1;
        self.log.extend(report.log);
        if table.units != self.units {
            bail!("plugin `{}`, step `{step}` ({method}): returned other units than it was given", self.plugin.label());
        }
        Ok(table.numbers.into_iter().map(|c| (c.id, c.values)).collect())
    }
}
