//! `cityrank report`: an edition as a page where the reader moves weights and
//! switches methods, recomputed in the browser by `cityrank-web`.
//!
//! [`build`] runs the edition (its variant, if one is named) once with its stages
//! recorded and writes the page's [`Model`]: the framework tree with the weights in
//! effect, the data normalisation starts from (the normalised table, when there
//! is one normaliser; else the treated table and each normaliser's methods, or
//! its table when the methodology's code normalises), the missing-value policy,
//! the rescaling, the ranking rule and the tier plan (with each unit's peer
//! group). The alternatives
//! the reader chooses among are the edition's variants and its sensitivity
//! alternatives that change only normalisation or aggregation (other changes —
//! weights, imputation, outlier treatment, dropped indicators — cannot be offered
//! as a switch, and are listed in [`Report::left_out`]): each normaliser's table
//! is computed here by the pipeline itself, each aggregation's methods are read
//! from its effective manifest.
//!
//! The model is checked before it is written: read back from the JSON and bytes
//! the page holds and recomputed with the edition's own settings
//! ([`Model::nominal`]), it must give every unit the score, rank and tier the run
//! gave, to the bit; otherwise `build` fails and names the unit.

use anyhow::{Context as _, Result, anyhow, bail};
use cityrank_core::dataset::Dataset;
use cityrank_core::edition::{LimitsSpec, ResolvedEdition, Variant};
use cityrank_core::methodology::{Framework, Manifest, NodeKind, RescaleSpec, WeightSpec};
use cityrank_core::pipeline::{self, Options};
use cityrank_core::run::{self, Loader};
use cityrank_steps::aggregate as agg;
use cityrank_web::{Aggregation, Choice, MODEL_FORMAT, Model, Node, Rescale, Tiers};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::compare::EditionArg;

/// A report page's contents: the model the page recomputes from and what it
/// shows beside it.
#[derive(Debug, Clone)]
pub struct Report {
    /// The model (its tables included).
    pub model: Model,
    /// What the page shows that the model does not hold.
    pub page: Page,
    /// Alternatives of the edition that the page cannot offer, each with what it
    /// changes besides normalisation and aggregation (printed by the CLI).
    pub left_out: Vec<String>,
    /// The run's warnings.
    pub warnings: Vec<String>,
}

/// The page's own data (JSON in the page, beside the model).
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The edition's name.
    pub title: String,
    /// The edition's file name and variant (`las-2024.toml@variant`).
    pub edition: String,
    /// The variant, if one was named.
    pub variant: Option<String>,
    /// The edition's file name.
    pub file: String,
    /// The cityrank version that wrote the page.
    pub cityrank: String,
    /// Units in the model's order.
    pub units: Vec<PageUnit>,
    /// Whether the units have coordinates (`lat`, `lon` in the dataset).
    pub located: bool,
    /// The name of the variant a scenario is copied as (`scenario`, or
    /// `scenario-2`… when the edition has one of that name).
    pub variant_name: String,
}

/// One unit as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PageUnit {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country code, if known.
    pub country: Option<String>,
    /// The edition's (nominal) rank.
    pub rank: Option<u32>,
    /// Latitude and longitude in degrees, when the dataset has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<[f64; 2]>,
}

/// Runs `arg` (with the limits given on the command line) through `loader` and
/// builds its report. Errors: what a run of the edition reports; a panel edition
/// (the page recomputes one table, not an average of years); a node aggregated
/// by the methodology's own code (the page runs the standard steps only); a
/// model that does not reproduce the run.
pub fn build(loader: &dyn Loader, arg: &EditionArg, limits: &LimitsSpec) -> Result<Report> {
    let edition = arg.load(limits)?;
    refuse_averaged_years(arg, &edition)?;
    let loaded = loader.load(&edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    let out = run::run_loaded(&loaded, &edition, &dataset, recording()).with_context(|| format!("running `{arg}`"))?;
    let manifest = edition.effective_manifest(&loaded.manifest)?;
    let framework = manifest.framework()?;
    let stage = normalised(&out.stages)?;
    let keys = unit_keys(arg, stage, &out.unit_ids, edition.panel.is_some())?;
    let kept: Vec<String> = keys.iter().map(|(id, _)| id.clone()).collect();
    let nodes = tree(&framework, &out.results)?;
    if let Some(n) = nodes.iter().find(|n| n.weight < 0.0) {
        bail!(
            "`{arg}` weights `{}` by {} (optimised weights of a level may be negative); a report page moves weights \
             as shares of their siblings, which negative weights do not have: report a variant whose weights are \
             not negative (e.g. `objective = \"infomax\"`, or COINr's default tolerance)",
            n.id,
            n.weight
        );
    }
    let rows = dataset_rows(&dataset, &keys)?;
    let covariate = run::ranking_columns(&manifest, &dataset)?
        .1
        .map(|v| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>());
    let plan = pipeline::tier_plan(&manifest, covariate.as_deref())?;
    let tier_names: Vec<String> = out.results.tiers.iter().map(|t| t.label.clone()).collect();
    let treated = stage_named(&out.stages, cityrank_core::catalogue::stage::TREATED)?;
    let mut offered = Offered::collect(
        &edition, &loaded, &dataset, &manifest, &framework, stage, treated, &kept,
    )?;
    let (shipped, treated_table) = ship(&mut offered.normalisers, offered.tables, offered.scalings, treated)?;
    let Offered {
        normalisers,
        aggregators,
        left_out,
        base,
        ..
    } = offered;
    let base_variant = match &base {
        None => None,
        Some(v) => {
            let mut table = as_object(v)?;
            table.remove("description");
            Some(table)
        }
    };
    let model = Model {
        format: MODEL_FORMAT,
        units: kept.len(),
        nodes,
        indicators: framework.indicators().count(),
        normalisers,
        aggregators,
        missing: manifest.pipeline.missing.into(),
        rescale: manifest.pipeline.rescale.as_ref().map(|r| match r {
            RescaleSpec::RelativeToBest => Rescale::RelativeToBest,
            RescaleSpec::MinMax { lo, hi } => Rescale::MinMax { lo: *lo, hi: *hi },
        }),
        ranking: pipeline::ranking_rule(&manifest),
        tiers: Tiers::from_plan(&plan, tier_names),
        derived_weights: manifest.pipeline.weights != WeightSpec::Manual,
        base_variant,
        table_count: shipped.len(),
        treated: treated_table,
        tables: shipped,
    };
    model.check().map_err(|e| anyhow!("internal error: {e}"))?;

    let page_units = reproduced(arg, &model, &out.results, &kept, &rows, &dataset)?;
    let located = page_units.iter().any(|u| u.at.is_some());
    Ok(Report {
        page: Page {
            title: out.results.edition.name.clone(),
            // The file's name, not its path: the page holds no path of the machine.
            edition: match &edition.variant {
                Some(v) => format!("{}@{v}", out.results.edition.file),
                None => out.results.edition.file.clone(),
            },
            variant: edition.variant.clone(),
            file: out.results.edition.file.clone(),
            cityrank: out.results.cityrank.clone(),
            units: page_units,
            located,
            variant_name: unique("scenario", edition.edition.variants.keys().map(String::as_str)),
        },
        model,
        left_out,
        warnings: out.warnings,
    })
}

/// A run that records its stage tables (the page needs the treated and
/// normalised ones).
fn recording() -> Options<'static> {
    Options {
        record_stages: true,
        ..Default::default()
    }
}

/// Refuses an edition whose panel years are averaged or weighted: the page
/// recomputes one table of units as it is.
fn refuse_averaged_years(arg: &EditionArg, edition: &ResolvedEdition) -> Result<()> {
    if let Some(panel) = edition
        .panel
        .as_ref()
        .filter(|p| p.years.len() == 1 && p.weights.first() != Some(&1.0))
    {
        bail!(
            "`{arg}` scores one panel year with weight {} (scores multiplied and divided by it, which rounds); \
             a report recomputes the year's scores as they are: give it weight 1 (`panel = {{ years = [{}], \
             weights = [1] }}`)",
            panel.weights.first().copied().unwrap_or_default(),
            panel.years[0]
        );
    }
    if let Some(panel) = edition.panel.as_ref().filter(|p| p.years.len() > 1) {
        bail!(
            "`{arg}` scores panel data over {} years (each unit's years averaged); a report recomputes one \
             table of units: name an edition or a variant that scores one year (e.g. `panel = {{ years = [{}], \
             weights = [1] }}`)",
            panel.years.len(),
            panel.years.last().copied().unwrap_or_default()
        );
    }
    Ok(())
}

/// Each scored unit of the normalised `stage`: its id and, for panel data (rows
/// named `id@year`), its year. Errors: a unit scored in several rows (panel
/// years scored together).
fn unit_keys(
    arg: &EditionArg,
    stage: &pipeline::Stage,
    unit_ids: &[String],
    panel: bool,
) -> Result<Vec<(String, Option<i32>)>> {
    let year_of = |id: &str| -> Option<(String, i32)> {
        let (unit, year) = id.rsplit_once('@')?;
        Some((unit.to_string(), year.parse().ok()?))
    };
    let keys: Vec<(String, Option<i32>)> = stage
        .units
        .iter()
        .map(|&u| {
            let id = &unit_ids[u];
            match year_of(id).filter(|_| panel) {
                Some((unit, year)) => (unit, Some(year)),
                None => (id.clone(), None),
            }
        })
        .collect();
    let mut ids: Vec<&str> = keys.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "`{arg}` scores several rows of unit `{}` (panel years scored together); a report recomputes one \
             table of units: name a variant that scores one year",
            w[0]
        );
    }
    Ok(keys)
}

/// The framework's tree for the page, with the weights in effect (after
/// data-driven weighting, as the results give them).
fn tree(framework: &Framework, results: &cityrank_core::results::Results) -> Result<Vec<Node>> {
    let positions: Vec<usize> = framework.indicators().collect();
    let weight_of: std::collections::HashMap<&str, f64> =
        results.framework.iter().map(|n| (n.id.as_str(), n.weight)).collect();
    let mut depth = vec![0usize; framework.nodes.len()];
    let mut nodes = Vec::with_capacity(framework.nodes.len());
    for (p, n) in framework.nodes.iter().enumerate() {
        if let Some(parent) = n.parent {
            depth[p] = depth[parent] + 1;
        }
        nodes.push(Node {
            id: n.id.clone(),
            name: n.name.clone(),
            parent: n.parent,
            children: n.children.clone(),
            indicator: positions.iter().position(|&q| q == p),
            depth: depth[p],
            weight: if p == 0 {
                1.0
            } else {
                *weight_of
                    .get(n.id.as_str())
                    .with_context(|| format!("internal error: the results give no weight for `{}`", n.id))?
            },
        });
    }
    Ok(nodes)
}

/// The dataset row of each unit key (id and year, as [`unit_keys`] gives them).
fn dataset_rows(dataset: &Dataset, keys: &[(String, Option<i32>)]) -> Result<Vec<usize>> {
    let row_of: std::collections::HashMap<(&str, Option<i32>), usize> = dataset
        .units
        .iter()
        .enumerate()
        .map(|(r, u)| ((u.id.as_str(), u.time), r))
        .collect();
    keys.iter()
        .map(|(id, year)| {
            row_of
                .get(&(id.as_str(), *year))
                .copied()
                .with_context(|| format!("internal error: unit `{id}` is not in the dataset"))
        })
        .collect()
}

/// A table of indicator columns (one `Vec` of unit values per indicator).
type Table = Vec<Vec<f64>>;

/// The normalisers and aggregations the page offers (the edition's, then its
/// variants' and sensitivity alternatives' that change only these steps), each
/// normaliser's table and how the page computes it from the treated table, and
/// what was left out and why.
struct Offered {
    normalisers: Vec<Choice>,
    aggregators: Vec<Aggregation>,
    /// Each normaliser's normalised table, in `normalisers` order.
    tables: Vec<Table>,
    /// Each normaliser's scalings of the treated table (`None`: computed by the
    /// methodology's code).
    scalings: Vec<Option<Vec<cityrank_steps::normalise::Scaling>>>,
    left_out: Vec<String>,
    /// The variant the page starts from, if any.
    base: Option<Variant>,
}

impl Offered {
    #[allow(clippy::too_many_arguments)]
    fn collect(
        edition: &ResolvedEdition,
        loaded: &run::LoadedMethodology,
        dataset: &Dataset,
        manifest: &Manifest,
        framework: &Framework,
        stage: &pipeline::Stage,
        treated: &pipeline::Stage,
        kept: &[String],
    ) -> Result<Offered> {
        let base = edition
            .variant
            .as_ref()
            .and_then(|v| edition.edition.variants.get(v))
            .cloned();
        let mut left_out = Vec::new();
        let whose = match &edition.variant {
            Some(v) => format!("as in variant `{v}`"),
            None => "as in the edition".to_string(),
        };
        let own = |step: &str, spec: Value| -> String {
            let mut keys = Map::new();
            keys.insert("pipeline".into(), serde_json::json!({ step: spec }));
            format!("{} — {whose}", summary(&keys, step))
        };
        // Each normaliser's result, and how the page can compute it from the
        // treated table (when no indicator is normalised by the methodology's code).
        let mut normalisers = vec![Choice {
            name: "edition".into(),
            label: own("normalise", serde_json::to_value(&manifest.pipeline.normalise)?),
            variant: Map::new(),
            scalings: None,
            table: None,
        }];
        let mut tables = vec![stage.values.clone()];
        let mut scalings = vec![scalings_of(manifest, &treated.values, kept)?];
        let mut aggregators = vec![Aggregation {
            name: "edition".into(),
            label: own("aggregate", serde_json::to_value(&manifest.pipeline.aggregate)?),
            variant: Map::new(),
            methods: methods(framework)?,
        }];
        for Alternative {
            name,
            label,
            short,
            variant: alternative,
        } in alternatives(edition)
        {
            let parts = match switchable(&alternative) {
                Ok(parts) => parts,
                Err(Unswitchable::Same) => continue,
                Err(Unswitchable::Changes(what)) => {
                    left_out.push(format!("{short}: it changes {what}"));
                    continue;
                }
            };
            let merged = merged(base.as_ref(), &alternative)?;
            if let Some(variant) = parts.normalise
                && !normalisers.iter().any(|c| c.variant == variant)
            {
                'normaliser: {
                    // The starting variant with the alternative's normalisation only (its
                    // aggregation, if any, is offered apart).
                    let mut only = alternative.clone();
                    only.pipeline.aggregate = None;
                    only.aggregate.clear();
                    let mut alt = edition.clone();
                    alt.edition
                        .variants
                        .insert(ALTERNATIVE.into(), self::merged(base.as_ref(), &only)?);
                    alt.variant = Some(ALTERNATIVE.into());
                    // Its run (the normalised stage is what the page needs; a failure after
                    // it, in an aggregation of the starting variant, leaves the normaliser
                    // out, said so, rather than the whole page).
                    let run = match run::run_loaded(loaded, &alt, dataset, recording()) {
                        Ok(run) => run,
                        Err(e) => {
                            left_out.push(format!(
                                "{short}: running the edition with its normalisation fails: {e:#}"
                            ));
                            break 'normaliser;
                        }
                    };
                    let table = normalised(&run.stages)?;
                    let alt_treated = stage_named(&run.stages, cityrank_core::catalogue::stage::TREATED)?;
                    let same = |t: &Vec<Vec<f64>>| {
                        t.iter()
                            .flatten()
                            .map(|v| v.to_bits())
                            .eq(table.values.iter().flatten().map(|v| v.to_bits()))
                    };
                    if tables.iter().any(same) {
                        // The same numbers as a normaliser already offered.
                    } else if table.units != stage.units || !same_bits(&alt_treated.values, &treated.values) {
                        left_out.push(format!("{short}: it screens other units than the edition"));
                    } else {
                        normalisers.push(Choice {
                            name: unique(&name, normalisers.iter().map(|c| c.name.as_str())),
                            label: format!("{} — from {short}", summary(&variant, "normalise")),
                            variant,
                            scalings: None,
                            table: None,
                        });
                        tables.push(table.values.clone());
                        scalings.push(scalings_of(
                            &alt.effective_manifest(&loaded.manifest)?,
                            &treated.values,
                            kept,
                        )?);
                    }
                }
            }
            if let Some(variant) = parts.aggregate
                && !aggregators.iter().any(|a| a.variant == variant)
            {
                let methods_of = merged
                    .apply(&manifest_before_variant(edition, &loaded.manifest)?, &label)
                    .and_then(|m| m.framework().map_err(|e| anyhow!("{e}")))
                    .and_then(|f| methods(&f));
                match methods_of {
                    Ok(methods) if aggregators.iter().any(|a| a.methods == methods) => {}
                    Ok(methods) => aggregators.push(Aggregation {
                        name: unique(&name, aggregators.iter().map(|a| a.name.as_str())),
                        label: format!("{} — from {short}", summary(&variant, "aggregate")),
                        variant,
                        methods,
                    }),
                    Err(e) => left_out.push(format!("{short}: {e}")),
                }
            }
        }

        Ok(Offered {
            normalisers,
            aggregators,
            tables,
            scalings,
            left_out,
            base,
        })
    }
}

/// The tables the page holds: with one normaliser, its table; with several, the
/// treated table (normalised in the page by each normaliser's scalings — a page
/// of 13,000 units × 200 indicators holds one table, not one per normaliser) and
/// the tables of normalisers the methodology's code computes. Sets each choice's
/// table or scalings; returns the tables and the treated table's position.
/// Errors: a scaling that does not give the run's normalised table, to the bit.
fn ship(
    normalisers: &mut [Choice],
    mut tables: Vec<Table>,
    scalings: Vec<Option<Vec<cityrank_steps::normalise::Scaling>>>,
    treated: &pipeline::Stage,
) -> Result<(Vec<Table>, Option<usize>)> {
    let mut shipped: Vec<Table> = Vec::new();
    let mut treated_table = None;
    if normalisers.len() == 1 {
        normalisers[0].table = Some(0);
        shipped.push(tables.swap_remove(0));
    } else {
        for ((choice, table), scaling) in normalisers.iter_mut().zip(tables).zip(scalings) {
            match scaling {
                Some(scaling) => {
                    // The page's normalisation must be the run's, to the bit.
                    for (i, (sc, x)) in scaling.iter().zip(&treated.values).enumerate() {
                        let y = sc
                            .apply(x)
                            .map_err(|e| anyhow!("internal error: normalising column {i}: {e}"))?;
                        if !same_bits(std::slice::from_ref(&y), std::slice::from_ref(&table[i])) {
                            bail!(
                                "internal error: the page's normalisation of indicator column {i} ({}) differs from the run's",
                                choice.name
                            );
                        }
                    }
                    if treated_table.is_none() {
                        treated_table = Some(shipped.len());
                        shipped.push(treated.values.clone());
                    }
                    choice.scalings = Some(scaling);
                }
                None => {
                    choice.table = Some(shipped.len());
                    shipped.push(table);
                }
            }
        }
    }
    Ok((shipped, treated_table))
}

/// The page's units, after checking that the page reproduces the run from what
/// it holds (the model's JSON and the tables' bytes): every unit's score bits,
/// rank and tier. Errors: any difference (a bug).
fn reproduced(
    arg: &EditionArg,
    model: &Model,
    results: &cityrank_core::results::Results,
    kept: &[String],
    rows: &[usize],
    dataset: &Dataset,
) -> Result<Vec<PageUnit>> {
    // The page must reproduce the run, from what the page holds: the model's JSON
    // and the tables' bytes.
    let mut read_back: Model = serde_json::from_str(&serde_json::to_string(&model)?)
        .map_err(|e| anyhow!("internal error: the page's model does not read back: {e}"))?;
    read_back
        .load_tables(&model.table_bytes())
        .map_err(|e| anyhow!("internal error: {e}"))?;
    let nominal = read_back
        .recompute(&read_back.nominal())
        .map_err(|e| anyhow!("recomputing `{arg}` as the page would: {e}"))?;
    let by_id: std::collections::HashMap<&str, &cityrank_core::results::UnitResult> =
        results.units.iter().map(|u| (u.id.as_str(), u)).collect();
    let mut page_units = Vec::with_capacity(kept.len());
    let (lat, lon) = (dataset.numbers.get("lat"), dataset.numbers.get("lon"));
    for (k, id) in kept.iter().enumerate() {
        let unit = by_id
            .get(id.as_str())
            .with_context(|| format!("internal error: no result for unit `{id}`"))?;
        let score = nominal.scores[0][k];
        let tier = nominal.tiers[k].and_then(|t| model.tiers.names.get(t)).cloned();
        let same_score =
            unit.score.map(f64::to_bits) == Some(score.to_bits()) || (unit.score.is_none() && score.is_nan());
        if !same_score || unit.rank != nominal.ranks[k] || unit.tier != tier {
            bail!(
                "internal error: the page's recomputation gives unit `{id}` score {score}, rank {:?}, tier {tier:?}; \
                 `cityrank run` gives {:?}, {:?}, {:?}",
                nominal.ranks[k],
                unit.score,
                unit.rank,
                unit.tier
            );
        }
        let at = match (lat, lon) {
            (Some(la), Some(lo)) => Some([la[rows[k]], lo[rows[k]]]).filter(|p| p.iter().all(|x| x.is_finite())),
            _ => None,
        };
        page_units.push(PageUnit {
            id: id.clone(),
            name: unit.name.clone(),
            country: unit.country.clone(),
            rank: unit.rank,
            at,
        });
    }
    Ok(page_units)
}

/// The name under which an alternative is run, in a copy of the edition (which
/// this name replaces if the edition had it: the copy is never written).
const ALTERNATIVE: &str = "report alternative";

/// The run's normalised stage.
fn normalised(stages: &[pipeline::Stage]) -> Result<&pipeline::Stage> {
    stage_named(stages, cityrank_core::catalogue::stage::NORMALISED)
}

/// The run's stage `name`.
fn stage_named<'a>(stages: &'a [pipeline::Stage], name: &str) -> Result<&'a pipeline::Stage> {
    stages
        .iter()
        .find(|s| s.name == name)
        .with_context(|| format!("internal error: the run recorded no {name} stage"))
}

/// Whether two tables hold the same bits.
fn same_bits(a: &[Vec<f64>], b: &[Vec<f64>]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()))
}

/// How `manifest` normalises each indicator of the treated table `treated` (over
/// the kept units `kept`), or `None` when the methodology's code normalises one.
fn scalings_of(
    manifest: &Manifest,
    treated: &[Vec<f64>],
    kept: &[String],
) -> Result<Option<Vec<cityrank_steps::normalise::Scaling>>> {
    let mut out = Vec::with_capacity(treated.len());
    for (i, x) in treated.iter().enumerate() {
        match pipeline::scaling_of(manifest, i, x, kept)? {
            Some(s) => out.push(s),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// Every non-indicator node's standard aggregation method (the pipeline's
/// `native_method`), or an error for a node the methodology's code aggregates.
fn methods(framework: &Framework) -> Result<Vec<Option<agg::Method>>> {
    use cityrank_core::methodology::AggregateSpec;
    framework
        .nodes
        .iter()
        .map(|n| {
            if n.kind == NodeKind::Indicator {
                return Ok(None);
            }
            let spec = n.aggregate.as_ref().unwrap_or(&AggregateSpec::Arithmetic);
            match pipeline::native_method(spec) {
                Some(m) => Ok(Some(m)),
                None => {
                    let name = match spec {
                        AggregateSpec::Plugin { name, .. } => name.as_str(),
                        _ => "?",
                    };
                    bail!(
                        "node `{}` is aggregated by the methodology's own method `{name}`; a report recomputes with \
                         cityrank's standard steps only (choose a variant with a standard aggregation)",
                        n.id
                    )
                }
            }
        })
        .collect()
}

/// One of the edition's alternatives.
struct Alternative {
    /// Its name in the URL.
    name: String,
    /// What the reader sees in a list.
    label: String,
    /// How a notice names it.
    short: String,
    /// Its changes.
    variant: Variant,
}

/// The edition's alternatives: its variants, then each sensitivity input's
/// alternatives.
fn alternatives(edition: &ResolvedEdition) -> Vec<Alternative> {
    let mut out: Vec<Alternative> = edition
        .edition
        .variants
        .iter()
        .filter(|(name, _)| Some(*name) != edition.variant.as_ref())
        .map(|(name, v)| Alternative {
            name: name.clone(),
            label: v.description.clone().unwrap_or_else(|| format!("variant `{name}`")),
            short: format!("variant `{name}`"),
            variant: v.clone(),
        })
        .collect();
    if let Some(spec) = &edition.edition.sensitivity {
        for input in &spec.inputs {
            for (k, v) in input.alternatives.iter().enumerate() {
                let described = v
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("alternative {}", k + 1));
                out.push(Alternative {
                    name: slug(&described),
                    label: format!("{described} ({})", input.name),
                    short: format!("sensitivity input `{}`, alternative `{described}`", input.name),
                    variant: v.clone(),
                });
            }
        }
    }
    out
}

/// The parts of a variant the page can switch: its normalisation keys and its
/// aggregation keys (as JSON tables), or why it changes more than those.
struct Parts {
    normalise: Option<Map<String, Value>>,
    aggregate: Option<Map<String, Value>>,
}

/// Why an alternative is not offered as a switch.
#[derive(Debug, PartialEq)]
enum Unswitchable {
    /// It changes nothing the page could switch: it is the edition itself.
    Same,
    /// It changes these keys besides normalisation and aggregation.
    Changes(String),
}

fn switchable(v: &Variant) -> std::result::Result<Parts, Unswitchable> {
    let table = as_object(v).map_err(|e| Unswitchable::Changes(e.to_string()))?;
    let mut normalise = Map::new();
    let mut aggregate = Map::new();
    let mut other: Vec<String> = Vec::new();
    for (k, value) in &table {
        match (k.as_str(), value) {
            ("description", _) => {}
            ("normalise", _) => {
                normalise.insert(k.clone(), value.clone());
            }
            ("aggregate", _) => {
                aggregate.insert(k.clone(), value.clone());
            }
            ("pipeline", Value::Object(p)) => {
                for (step, spec) in p {
                    let target = match step.as_str() {
                        "normalise" => &mut normalise,
                        "aggregate" => &mut aggregate,
                        _ => {
                            other.push(format!("pipeline.{step}"));
                            continue;
                        }
                    };
                    let entry = target.entry("pipeline").or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(o) = entry {
                        o.insert(step.clone(), spec.clone());
                    }
                }
            }
            _ => other.push(k.clone()),
        }
    }
    if !other.is_empty() {
        return Err(Unswitchable::Changes(other.join(", ")));
    }
    if normalise.is_empty() && aggregate.is_empty() {
        return Err(Unswitchable::Same);
    }
    Ok(Parts {
        normalise: (!normalise.is_empty()).then_some(normalise),
        aggregate: (!aggregate.is_empty()).then_some(aggregate),
    })
}

/// A step's setting in a few words, from a variant's keys for it (`step` is
/// `normalise` or `aggregate`): `min-max (hi 100, lo 1)`, and how many
/// indicators or nodes have their own.
fn summary(keys: &Map<String, Value>, step: &str) -> String {
    let mut parts = Vec::new();
    if let Some(Value::Object(spec)) = keys.get("pipeline").and_then(|p| p.get(step)) {
        let method = spec.get("method").and_then(Value::as_str).unwrap_or("?");
        let params: Vec<String> = spec
            .iter()
            .filter(|(k, _)| k.as_str() != "method")
            .map(|(k, v)| match v.as_f64() {
                Some(x) => format!("{k} {x}"),
                None => format!("{k} {v}"),
            })
            .collect();
        parts.push(if params.is_empty() {
            method.to_string()
        } else {
            format!("{method} ({})", params.join(", "))
        });
    }
    if let Some(Value::Object(own)) = keys.get(step) {
        parts.push(format!(
            "own method for {}",
            own.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    parts.join("; ")
}

/// The page's starting variant with an alternative's normalisation and
/// aggregation keys on top.
fn merged(base: Option<&Variant>, alternative: &Variant) -> Result<Variant> {
    let mut v = base.cloned().unwrap_or_default();
    v.pipeline.normalise = alternative.pipeline.normalise.clone().or(v.pipeline.normalise);
    v.pipeline.aggregate = alternative.pipeline.aggregate.clone().or(v.pipeline.aggregate);
    v.normalise.extend(alternative.normalise.clone());
    v.aggregate.extend(alternative.aggregate.clone());
    Ok(v)
}

/// The manifest as the edition runs it before any variant (its tiers and expert
/// panel applied).
fn manifest_before_variant(edition: &ResolvedEdition, manifest: &Manifest) -> Result<Manifest> {
    let mut plain = edition.clone();
    plain.variant = None;
    plain.effective_manifest(manifest)
}

/// A variant as a JSON table, as an edition file writes it.
fn as_object(v: &Variant) -> Result<Map<String, Value>> {
    match serde_json::to_value(v)? {
        Value::Object(o) => Ok(o),
        _ => bail!("internal error: a variant is not a table"),
    }
}

/// `text` as a name for the URL: lowercase letters, digits and `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "alternative".into() } else { out }
}

/// `name`, or `name-2`, `name-3`… if taken.
fn unique<'a>(name: &str, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut candidate = name.to_string();
    let mut k = 2;
    while taken.clone().any(|t| t == candidate) {
        candidate = format!("{name}-{k}");
        k += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_unique_names() {
        assert_eq!(slug("min-max 0-100"), "min-max-0-100");
        assert_eq!(slug("  Ladder points!"), "ladder-points");
        assert_eq!(slug("—"), "alternative");
        assert_eq!(unique("a", ["a", "a-2"].into_iter()), "a-3");
    }

    #[test]
    fn only_normalisation_and_aggregation_switch() {
        let v: Variant = toml::from_str(
            "description = \"x\"\npipeline = { normalise = { method = \"rank\" }, aggregate = { method = \"geometric\" } }",
        )
        .unwrap();
        let parts = switchable(&v).unwrap();
        assert_eq!(
            Value::Object(parts.normalise.unwrap()),
            serde_json::json!({"pipeline": {"normalise": {"method": "rank"}}})
        );
        assert_eq!(
            Value::Object(parts.aggregate.unwrap()),
            serde_json::json!({"pipeline": {"aggregate": {"method": "geometric"}}})
        );
        let w: Variant =
            toml::from_str("weights = { a = 2.0 }\npipeline = { impute = { method = \"mean\" } }").unwrap();
        assert_eq!(
            switchable(&w).err(),
            Some(Unswitchable::Changes("pipeline.impute, weights".into()))
        );
        assert_eq!(switchable(&Variant::default()).err(), Some(Unswitchable::Same));
    }
}
