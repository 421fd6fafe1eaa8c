//! Indicators the host computes from a manifest's `from` and `formula`.
//!
//! A formula is a closed expression over the dataset's numeric variables and the
//! manifest's `[constants]` (the language is `cityrank-formula`'s). It runs in the
//! host's pure code, not in the sandbox: the language has no loops, no I/O and no
//! names but columns and constants, and every formula is bounded in size and depth
//! at parse time, so it can do nothing a sandbox would have to stop; evaluating it
//! in the host is ~50× faster than a Wasm call's set-up and keeps the results
//! bit-identical on every platform (IEEE arithmetic, `libm`'s portable functions).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use cityrank_formula::{Binding, Bound, ErrorKind, Formula};

use crate::diagnostic::{Source, parse_path};
use crate::methodology::Manifest;

/// One indicator's formula (`from = "x"` is the formula `x`).
#[derive(Debug, Clone)]
struct Item {
    /// Position of the indicator in the manifest.
    indicator: usize,
    /// `from` or `formula` (for messages).
    key: &'static str,
    formula: Formula,
}

/// The parsed formulas of a manifest's indicators, with the manifest's text for
/// locating errors found later (an unknown variable is known only with a dataset).
#[derive(Debug, Clone)]
pub struct Formulas {
    items: Vec<Item>,
    constants: BTreeMap<String, f64>,
    source: Source,
}

/// A dataset's variables as formulas see them.
#[derive(Debug, Clone, Copy)]
pub struct Variables<'a> {
    /// The numeric variables, by id: a value per dataset row (`NaN`: missing).
    pub numbers: &'a BTreeMap<String, Vec<f64>>,
    /// The names of its text columns, to say so when a formula names one.
    pub texts: &'a BTreeSet<String>,
    /// The dataset, as named in messages.
    pub dataset: &'a str,
    /// Numeric variables already taken out of `numbers` (moved into the indicators
    /// that take them as they are): still offered when a name is misspelt.
    pub taken: &'a BTreeSet<String>,
}

/// What evaluating the formulas gave.
#[derive(Debug, Clone, Default)]
pub struct Computed {
    /// Values per indicator position of the manifest (`None`: not computed by a formula).
    pub columns: Vec<Option<Vec<f64>>>,
    /// Notices for the author (e.g. division by zero for some units).
    pub warnings: Vec<String>,
}

impl Formulas {
    /// Parses every `from` and `formula` of `manifest`, whose text is `source`.
    /// Errors: one rendered line per problem (`file:line:column: indicator `x`: …`),
    /// all of them.
    pub fn parse(manifest: &Manifest, source: &Source) -> Result<Formulas, Vec<String>> {
        let mut items = Vec::new();
        let mut problems = Vec::new();
        for (i, spec) in manifest.indicators.iter().enumerate() {
            let (key, text) = match (&spec.from, &spec.formula) {
                (Some(_), Some(_)) => {
                    problems.push(source.render(&format!(
                        "indicators[{i}].formula: give `from` or `formula`, not both (`from = \"x\"` is the formula `x`)"
                    )));
                    continue;
                }
                (Some(from), None) => ("from", from),
                (None, Some(formula)) => ("formula", formula),
                (None, None) => continue,
            };
            if key == "from" && (manifest.constants.contains_key(text) || cityrank_formula::is_reserved(text)) {
                problems.push(source.render(&format!(
                    "indicators[{i}].from: `{text}` is a constant, not a dataset variable; `from` names the variable \
                     whose values the indicator takes"
                )));
                continue;
            }
            let parsed = Formula::parse(text);
            match parsed {
                Ok(f) if key == "from" && (f.names().count() != 1 || !is_name(text)) => {
                    let _ = f;
                    problems.push(source.render(&format!(
                        "indicators[{i}].from: `{text}` is not a variable name; to compute a value, write `formula = \
                         \"{text}\"` instead"
                    )));
                }
                Ok(f) => items.push(Item {
                    indicator: i,
                    key,
                    formula: f,
                }),
                Err(e) if key == "from" => problems.push(source.render(&format!(
                    "indicators[{i}].from: `{text}` is not a variable name ({e}); to compute a value, write \
                     `formula = \"…\"` instead"
                ))),
                Err(e) => problems.push(locate(source, i, key, e.span.start, &e.to_string())),
            }
        }
        for name in manifest.constants.keys() {
            if !is_name(name) || cityrank_formula::is_reserved(name) {
                problems.push(source.render(&format!(
                    "constants.{name}: `{name}` cannot name a constant; use letters, digits and `_`, starting with a \
                     letter, and not a function or keyword of the formula language"
                )));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Formulas {
            items,
            constants: manifest.constants.clone(),
            source: source.clone(),
        })
    }

    /// Whether no indicator has a formula.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Whether the indicator at `position` in the manifest is computed by a formula.
    pub fn covers(&self, position: usize) -> bool {
        self.items.iter().any(|x| x.indicator == position)
    }

    /// The indicators that take a variable as it is (`from = "x"`) that no other
    /// formula reads: (indicator position, variable). When every row is scored,
    /// such a column can be moved out of the dataset into the indicator (see
    /// [`Formulas::evaluate`]'s `given`) rather than copied.
    pub fn sole_readers(&self) -> Vec<(usize, &str)> {
        let readers = |name: &str| {
            self.items
                .iter()
                .filter(|x| x.formula.names().any(|(n, _)| n == name))
                .count()
        };
        self.items
            .iter()
            .filter(|x| x.key == "from")
            .filter_map(|x| x.formula.names().next().map(|(n, _)| (x.indicator, n)))
            .filter(|&(_, n)| readers(n) == 1)
            .collect()
    }

    /// The dataset variables the formulas read (names that are not constants).
    pub fn variables(&self) -> BTreeSet<String> {
        self.items
            .iter()
            .flat_map(|x| x.formula.names().map(|(n, _)| n.to_string()))
            .filter(|n| !self.constants.contains_key(n))
            .collect()
    }

    /// Evaluates the formulas over `rows` of the dataset's variables (`units`: the
    /// rows' ids, for messages). The manifest has
    /// `indicators` indicators. `given` holds columns already taken out of the
    /// dataset for indicators of [`Formulas::sole_readers`] (every row scored, in
    /// file order): they are the values of their indicators as they are, with
    /// nothing to evaluate. Errors: an unknown variable (with the close matches),
    /// a constant that is also a variable.
    pub fn evaluate(
        &self,
        indicators: &[crate::methodology::IndicatorSpec],
        variables: &Variables<'_>,
        rows: &[usize],
        units: &[String],
        mut given: BTreeMap<usize, Vec<f64>>,
    ) -> Result<Computed> {
        let &Variables {
            numbers,
            texts,
            dataset,
            taken,
        } = variables;
        let mut columns: Vec<Option<Vec<f64>>> = vec![None; indicators.len()];
        let mut warnings = Vec::new();
        let mut problems = Vec::new();
        // The rows' values of each variable used, gathered once; when every row
        // is scored in file order, the dataset's own columns (no copy).
        let mut gathered: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let every_row =
            rows.iter().enumerate().all(|(i, &r)| i == r) && numbers.values().all(|column| column.len() == rows.len());
        for item in &self.items {
            if let Some(values) = given.remove(&item.indicator) {
                debug_assert_eq!(values.len(), rows.len());
                columns[item.indicator] = Some(values);
                continue;
            }
            // Every unknown name of the formula at once, each at its place.
            let mut unknown = false;
            let mut reported: BTreeSet<&str> = BTreeSet::new();
            for (name, span) in item.formula.names() {
                let known = if self.constants.contains_key(name) {
                    !numbers.contains_key(name)
                } else {
                    numbers.contains_key(name)
                };
                if !known && reported.insert(name) {
                    unknown = true;
                    let message = self.unknown_name(name, numbers, taken, texts, dataset);
                    problems.push(locate(&self.source, item.indicator, item.key, span.start, &message));
                }
            }
            if unknown {
                continue;
            }
            let mut used: Vec<&str> = Vec::new();
            let bound = item.formula.bind(|name| {
                if let Some(v) = self.constants.get(name) {
                    if numbers.contains_key(name) {
                        return None;
                    }
                    return Some(Binding::Constant(*v));
                }
                numbers.get_key_value(name).map(|(k, _)| {
                    let at = used.iter().position(|u| *u == k).unwrap_or_else(|| {
                        used.push(k.as_str());
                        used.len() - 1
                    });
                    Binding::Column(at)
                })
            });
            let bound: Bound = match bound {
                Ok(b) => b,
                Err(e) if e.kind != ErrorKind::UnknownName => {
                    problems.push(locate(
                        &self.source,
                        item.indicator,
                        item.key,
                        e.span.start,
                        &e.to_string(),
                    ));
                    continue;
                }
                Err(e) => {
                    let spec = &indicators[item.indicator];
                    let text = spec.formula.as_deref().or(spec.from.as_deref()).unwrap_or_default();
                    let name = text.get(e.span.clone()).unwrap_or_default();
                    let message = self.unknown_name(name, numbers, taken, texts, dataset);
                    problems.push(locate(&self.source, item.indicator, item.key, e.span.start, &message));
                    continue;
                }
            };
            if !every_row {
                for name in &used {
                    gathered
                        .entry(name)
                        .or_insert_with(|| rows.iter().map(|&r| numbers[*name][r]).collect());
                }
            }
            let cols: Vec<&[f64]> = used
                .iter()
                .map(|n| match every_row {
                    true => numbers[*n].as_slice(),
                    false => gathered[n].as_slice(),
                })
                .collect();
            let out = bound.eval(&cols, rows.len());
            if out.domain_errors > 0 {
                let first = out
                    .first_domain_error
                    .and_then(|u| units.get(u))
                    .map_or(String::new(), |u| format!(", the first `{u}`"));
                let divides = out
                    .by_kind
                    .iter()
                    .any(|k| k.kind == cityrank_formula::DomainError::DivisionByZero);
                let hint = if divides {
                    "; if that is meant, say so: `if(d > 0, x / d, missing)` (or 0 instead of missing)"
                } else {
                    "; guard the formula with `if(…, …, missing)` where that is meant"
                };
                warnings.push(locate(
                    &self.source,
                    item.indicator,
                    item.key,
                    0,
                    &format!(
                        "gives no value for {} of {} units{first} ({}); those values are missing{hint}",
                        out.domain_errors,
                        rows.len(),
                        out.causes()
                    ),
                ));
            }
            columns[item.indicator] = Some(out.values);
        }
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        Ok(Computed { columns, warnings })
    }

    fn unknown_name(
        &self,
        name: &str,
        numbers: &BTreeMap<String, Vec<f64>>,
        taken: &BTreeSet<String>,
        texts: &BTreeSet<String>,
        dataset: &str,
    ) -> String {
        if self.constants.contains_key(name) && numbers.contains_key(name) {
            return format!(
                "`{name}` is both a constant of the manifest and a variable of dataset `{dataset}`; rename the constant"
            );
        }
        if texts.contains(name) {
            return format!(
                "`{name}` is a text column of dataset `{dataset}`; formulas compute with numeric variables"
            );
        }
        if ["NA", "NaN", "nan", "null", "None", "NULL"].contains(&name) {
            return format!("`{name}` is not a name here; a missing value is written `missing`");
        }
        let variables: BTreeSet<&str> = numbers.keys().chain(taken).map(String::as_str).collect();
        let candidates = variables
            .iter()
            .copied()
            .chain(self.constants.keys().map(String::as_str))
            .chain(["missing"]);
        let hint = crate::diagnostic::did_you_mean(name, candidates, 3).unwrap_or_else(|| {
            format!(
                "its numeric variables are: {}",
                variables
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        format!("dataset `{dataset}` has no variable `{name}` and the manifest no such constant; {hint}")
    }
}

/// A problem at byte `offset` of indicator `i`'s `key` string, rendered with the
/// line and column of that offset in the file.
fn locate(source: &Source, i: usize, key: &str, offset: usize, message: &str) -> String {
    let path_text = format!("indicators[{i}].{key}");
    let path = parse_path(&path_text).unwrap_or_default();
    match source.string_offset(&path, offset) {
        Some(at) => source.render_at(&path, at, message),
        None => source.render(&format!("{path_text}: {message}")),
    }
}

/// Whether `text` is a plain name (`[A-Za-z_][A-Za-z0-9_]*`).
fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
