//! Deriving an edition's indicators: the dataset's rows selected (panel years),
//! the plugin's input table, `derive` or the manifest's formulas, and what a
//! plugin returns checked (`check_derived`).

#[allow(unused_imports)]
use super::*;

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
pub(crate) fn take_sole_columns(
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
pub(crate) fn derive_with(
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
pub(crate) fn select_rows(dataset: &Dataset, edition: &ResolvedEdition) -> Result<Vec<usize>> {
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

/// Refuses a manifest whose declared inputs the dataset lacks (or has with
/// the other type), naming the input and the fix.
pub(crate) fn check_inputs(manifest: &Manifest, dataset: &Dataset, file: &str) -> Result<()> {
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
pub(crate) fn input_table(manifest: &Manifest, dataset: &Dataset, rows: &[usize], file: &str) -> Result<Table> {
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

pub(crate) fn missing_input(manifest: &Manifest, dataset: &Dataset, file: &str, i: usize, kind: &str) -> String {
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
pub(crate) fn check_column(id: &str, values: &[f64], units: &[String], who: &str) -> Result<()> {
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
