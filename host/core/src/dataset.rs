//! Datasets: a CSV of units (one row per city) described by a `dataset.toml`.
//!
//! The description names the key columns (id, name, country, groups) and every
//! variable with its type, unit, range and source. Loading checks the CSV against
//! the description: every column described, every described column present, ids
//! unique, numbers parse and lie in their declared range. Missing values are empty
//! cells and stay missing.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::methodology::VariableType;
use crate::table::{Cell, Dialect, RawTable};

/// Version of the dataset description format this host reads.
pub const DATASET_SCHEMA_VERSION: u32 = 1;

/// The description of a dataset (`dataset.toml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetDescription {
    /// Format version of this document; must be 1.
    pub schema_version: u32,
    /// Stable identifier (e.g. `las-2024`).
    pub id: String,
    /// Human-readable title.
    pub title: String,
    /// Reference year of the data.
    pub year: i32,
    /// The data file, relative to this description: CSV, or a workbook (`.xlsx`,
    /// `.xlsm`, `.xlsb`, `.xls`, `.ods`).
    pub file: PathBuf,
    /// The workbook's sheet holding the data (default: the first sheet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The CSV's field separator (default `,`; European Excel writes `;`; `\t` for tabs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(.|\\t)$"))]
    pub delimiter: Option<String>,
    /// The decimal separator of numbers written as text (default `.`; `,` as in
    /// `0,41`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[.,]$"))]
    pub decimal: Option<String>,
    /// Cell texts that mean "missing value" besides an empty cell (e.g. `["NA",
    /// "..", "n/a"]`, or `"#N/A"` for a workbook's error cells).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// How the set of units was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Licence of the derived table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Which columns identify units.
    pub columns: KeyColumns,
    /// Every other column of the CSV.
    pub variables: Vec<Variable>,
    /// The sources the variables cite.
    #[serde(default)]
    pub sources: Vec<Source>,
}

crate::document!(DatasetDescription, "dataset");

impl DatasetDescription {
    /// How the dataset holds panel data, in words (`a time column (`year`)`, or
    /// `columns per variable and year, `{variable}_{year}` for 2022, 2023`), or
    /// `None` for one row per unit.
    pub fn panel_layout(&self) -> Option<String> {
        match (&self.columns.time, &self.columns.wide) {
            (Some(t), _) => Some(format!("a time column (`{t}`)")),
            (None, Some(w)) => Some(format!(
                "columns per variable and year, `{}` for {}",
                w.header,
                w.years.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            )),
            (None, None) => None,
        }
    }
}

/// The key columns of the CSV.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyColumns {
    /// Column holding the unique unit id.
    pub id: String,
    /// Column holding the display name.
    pub name: String,
    /// Column holding the ISO 3166-1 alpha-3 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Grouping columns (text), e.g. a region.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Column holding the year of a row, for panel data in the long layout
    /// (several rows per unit, one per year; the pair id + year is unique).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Panel data in the wide layout (one row per unit, one column per variable
    /// and year, e.g. `NEET_2022`, `NEET_2023`), instead of `time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wide: Option<WideColumns>,
}

/// The wide layout of panel data: each variable has one column per year, named
/// by `header` with `{variable}` and `{year}` filled in. It is read as the long
/// layout would be: one row per unit and year, in the order of `years`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WideColumns {
    /// The years, each once (e.g. `[2022, 2023, 2024]`).
    #[schemars(length(min = 1))]
    pub years: Vec<i32>,
    /// The name of a variable's column for a year (default `{variable}_{year}`;
    /// e.g. `"{variable} ({year})"`).
    #[serde(default = "default_wide_header")]
    pub header: String,
}

fn default_wide_header() -> String {
    "{variable}_{year}".to_string()
}

impl WideColumns {
    /// The column of `variable` in `year`.
    pub fn column(&self, variable: &str, year: i32) -> String {
        self.header
            .replace("{variable}", variable)
            .replace("{year}", &year.to_string())
    }

    /// The variable whose column in `year` is `column`, if `column` is written by
    /// the header's pattern (the inverse of [`WideColumns::column`]).
    pub fn variable_of(&self, column: &str, year: i32) -> Option<String> {
        let (before, after) = self.header.split_once("{variable}")?;
        let y = year.to_string();
        let variable = column
            .strip_prefix(before.replace("{year}", &y).as_str())?
            .strip_suffix(after.replace("{year}", &y).as_str())?;
        (!variable.is_empty() && self.column(variable, year) == column).then(|| variable.to_string())
    }
}

/// One variable column.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Column name in the CSV.
    pub id: String,
    /// Type of the values.
    #[serde(rename = "type")]
    pub kind: VariableType,
    /// Unit of measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// What the variable measures and how it was derived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Id of the source in `sources`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Year of the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Smallest valid value (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest valid value (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Caveats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A data source and its licence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Id cited by variables.
    pub id: String,
    /// Title and publisher.
    pub title: String,
    /// Licence (e.g. `CC BY 4.0`).
    pub licence: String,
    /// The raw file it was derived from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where to find it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One unit (city) of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country code, if the dataset has one.
    pub country: Option<String>,
    /// Group labels, in the order of [`KeyColumns::groups`].
    pub groups: Vec<String>,
    /// Year of the row, for panel data.
    pub time: Option<i32>,
}

impl Unit {
    /// The row's key: the unit id, or `id@year` for panel data.
    pub fn key(&self) -> String {
        match self.time {
            Some(t) => format!("{}@{t}", self.id),
            None => self.id.clone(),
        }
    }
}

/// The unit id and year of a row key (see [`Unit::key`]): `("a", Some(2024))`
/// for `a@2024`, `("a", None)` for `a`.
pub fn split_key(key: &str) -> (&str, Option<i32>) {
    match key.rsplit_once('@') {
        Some((id, year)) if !id.is_empty() => match year.parse() {
            Ok(y) => (id, Some(y)),
            Err(_) => (key, None),
        },
        _ => (key, None),
    }
}

/// A loaded and checked dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The description it was loaded with.
    pub description: DatasetDescription,
    /// Rows in file order: one per unit, or one per unit and year for panel data.
    pub units: Vec<Unit>,
    /// Numeric variables by id (missing = NaN).
    pub numbers: BTreeMap<String, Vec<f64>>,
    /// Text variables by id.
    pub texts: BTreeMap<String, Vec<Option<String>>>,
    /// SHA-256 of the CSV file's bytes, hex.
    pub sha256: String,
    /// SHA-256 of the description file's bytes, hex (of its JSON form when it was
    /// not read from a file).
    pub description_sha256: String,
    /// Path of the CSV.
    pub csv_path: PathBuf,
}

impl Dataset {
    /// Loads the description at `path` (validated against the dataset schema) and its CSV.
    pub fn load(path: &Path) -> Result<Dataset> {
        let bytes =
            crate::fsutil::read_file(path).with_context(|| format!("cannot read dataset file `{}`", path.display()))?;
        let description_sha256 = crate::digest::sha256_hex(&bytes);
        let text = String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!(
                "{}: not a dataset description: it is not UTF-8 text (a description is TOML)",
                path.display()
            )
        })?;
        let description: DatasetDescription = crate::schema::parse_toml(&text, &path.display().to_string())?;
        check_description(
            &description,
            &crate::diagnostic::Source::new(path.display().to_string(), text),
        )?;
        let data_path = path.parent().unwrap_or(Path::new(".")).join(&description.file);
        let dialect = dialect(&description)?;
        // Not found or unreadable: said as the description's `file`.
        std::fs::File::open(&data_path).with_context(|| {
            format!(
                "{}: file: cannot read the dataset's data file `{}`",
                path.display(),
                data_path.display()
            )
        })?;
        let table = crate::table::open(&data_path, description.sheet.as_deref(), &dialect)?;
        Self::from_table(description, table, &dialect, None, description_sha256, data_path)
    }

    /// Parses and checks the bytes of a data file (CSV, or a workbook when
    /// `data_path` has a workbook's extension) against a description (checked
    /// beforehand, see [`Dataset::load`]). Every problem of the cells is reported,
    /// up to [`MAX_PROBLEMS`], each at its line or cell.
    pub fn from_bytes(description: DatasetDescription, bytes: &[u8], data_path: PathBuf) -> Result<Dataset> {
        let description_sha256 = crate::digest::sha256_hex(serde_json::to_string(&description)?);
        Self::read(description, description_sha256, bytes, data_path)
    }

    /// [`Dataset::from_bytes`] with the description's hash already known.
    fn read(
        description: DatasetDescription,
        description_sha256: String,
        bytes: &[u8],
        data_path: PathBuf,
    ) -> Result<Dataset> {
        let dialect = dialect(&description)?;
        let table = crate::table::read(bytes, &data_path, description.sheet.as_deref(), &dialect)?;
        let sha256 = crate::digest::sha256_hex(bytes);
        Self::from_table(
            description,
            table,
            &dialect,
            Some(sha256),
            description_sha256,
            data_path,
        )
    }

    fn from_table(
        description: DatasetDescription,
        mut table: RawTable,
        dialect: &Dialect,
        sha256: Option<String>,
        description_sha256: String,
        data_path: PathBuf,
    ) -> Result<Dataset> {
        let located = locate_columns(&description, &table)?;
        let (units, numbers, texts) = read_rows(&description, &mut table, &located, dialect)?;
        // A file opened from its path was hashed as it was read (to its end).
        let sha256 = sha256.or_else(|| table.sha256()).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: the data file was not read to its end (an internal error; please report it with the file)",
                table.file
            )
        })?;
        let mut num_map = BTreeMap::new();
        let mut text_map = BTreeMap::new();
        for ((var, n), t) in description.variables.iter().zip(numbers).zip(texts) {
            match var.kind {
                VariableType::Number => {
                    num_map.insert(var.id.clone(), n);
                }
                VariableType::Text => {
                    text_map.insert(var.id.clone(), t);
                }
            }
        }
        Ok(Dataset {
            description,
            units,
            numbers: num_map,
            texts: text_map,
            sha256,
            description_sha256,
            csv_path: data_path,
        })
    }
}

/// Where each column the description names is in the header (column indices).
struct Located {
    id: usize,
    name: usize,
    country: Option<usize>,
    groups: Vec<usize>,
    time: Option<usize>,
    /// The variables' columns for each row read: one set (a year from the `time`
    /// column, or none), or one per year of the wide layout.
    layouts: Vec<(Option<i32>, Vec<usize>)>,
}

/// Finds every column the description names in the table's header. Every problem
/// at once: a column named twice, a named column missing (with the header's
/// closest unclaimed name as the likely typo), a year of the wide layout missing,
/// a column nobody describes (nothing in a data file is silently ignored).
fn locate_columns(description: &DatasetDescription, table: &RawTable) -> Result<Located> {
    let file = &table.file;
    let headers = &table.header;
    for (i, h) in headers.iter().enumerate() {
        if let Some(j) = headers[..i].iter().position(|x| x == h) {
            bail!(
                "{file}: the header has the column `{h}` twice (columns {} and {})",
                j + 1,
                i + 1
            );
        }
    }
    // Every column the description names. A header name none of them claims
    // is what a name the header lacks may have been meant to be (a typo on
    // either side); another year's column of the wide layout never is.
    let wide = description.columns.wide.as_ref();
    let columns = &description.columns;
    let mut claimed: Vec<String> = [columns.id.clone(), columns.name.clone()]
        .into_iter()
        .chain(columns.country.clone())
        .chain(columns.time.clone())
        .chain(columns.groups.iter().cloned())
        .collect();
    for v in &description.variables {
        match wide {
            None => claimed.push(v.id.clone()),
            Some(w) => claimed.extend(w.years.iter().map(|&y| w.column(&v.id, y))),
        }
    }
    let unclaimed: Vec<(usize, &str)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !claimed.contains(h))
        .map(|(i, h)| (i, h.as_str()))
        .collect();
    let mut header_problems = Problems::default();
    // Unclaimed columns offered as the intended one (not reported again as undescribed).
    let mut offered: HashSet<usize> = HashSet::new();
    let mut col = |name: &str, what: &str, problems: &mut Problems| -> Option<usize> {
        let at = headers.iter().position(|h| h == name);
        if at.is_none() {
            let (hint, c) = header_typo(table, name, &unclaimed, "change the description's name to match");
            offered.extend(c);
            problems.push(format!(
                "the description names `{name}` as the {what} column, but the header has no such column{}",
                hint.unwrap_or_else(|| format!(" (its columns: {})", headers.join(", ")))
            ));
        }
        at
    };
    let id_col = col(&columns.id, "id", &mut header_problems);
    let name_col = col(&columns.name, "name", &mut header_problems);
    let country_col = columns
        .country
        .as_deref()
        .map(|c| col(c, "country", &mut header_problems));
    let group_cols: Vec<Option<usize>> = columns
        .groups
        .iter()
        .map(|g| col(g, "group", &mut header_problems))
        .collect();
    let time_col = columns.time.as_deref().map(|c| col(c, "time", &mut header_problems));
    // The variables' columns for each row read: one set (a year from the
    // `time` column, or none), or one per year of the wide layout.
    let layouts: Vec<(Option<i32>, Vec<Option<usize>>)> = match wide {
        None => vec![(
            None,
            description
                .variables
                .iter()
                .map(|v| col(&v.id, "variable", &mut header_problems))
                .collect(),
        )],
        Some(w) => {
            let at = |v: &str, y: i32| headers.iter().position(|h| *h == w.column(v, y));
            for v in &description.variables {
                let absent: Vec<i32> = w.years.iter().copied().filter(|&y| at(&v.id, y).is_none()).collect();
                if absent.len() == w.years.len() {
                    // No year at all: the variable's name, or the header's pattern, differs.
                    let first = w.column(&v.id, w.years[0]);
                    let (mut hint, c) = header_typo(
                        table,
                        &first,
                        &unclaimed,
                        "change the variable's id or `columns.wide.header` in the description to match",
                    );
                    offered.extend(c);
                    // The closest column names another variable: its columns of the
                    // other years are the same typo, and the description's id can follow.
                    let other = c.and_then(|c| w.variable_of(&headers[c], w.years[0]));
                    if let Some(other) = other {
                        let columns: Vec<(usize, &str)> = w
                            .years
                            .iter()
                            .filter_map(|&y| unclaimed.iter().find(|(_, h)| *h == w.column(&other, y)).copied())
                            .collect();
                        if columns.len() > 1 {
                            offered.extend(columns.iter().map(|(i, _)| *i));
                            let named: Vec<String> = columns.iter().map(|(_, h)| format!("`{h}`")).collect();
                            hint = Some(format!(
                                "; the header of {} ({}) has {}: rename them there (`{first}`, …), or change the \
                                     variable's id in the description to `{other}`",
                                table.file_name(),
                                table.header_place(columns[0].0),
                                named.join(", ")
                            ));
                        }
                    }
                    header_problems.push(format!(
                        "the wide layout needs a column per year for variable `{}` (`{first}` for {}, …), but the \
                             header has none of them{}",
                        v.id,
                        w.years[0],
                        hint.unwrap_or_else(|| format!(" (its columns: {})", headers.join(", ")))
                    ));
                    continue;
                }
                for y in absent {
                    let name = w.column(&v.id, y);
                    let (hint, c) = header_typo(table, &name, &unclaimed, "change the description to match");
                    offered.extend(c);
                    header_problems.push(format!(
                        "the wide layout needs a column `{name}` (variable `{}` in {y}), but the header has none: \
                             add the column, or remove {y} from `columns.wide.years`{}",
                        v.id,
                        hint.unwrap_or_default()
                    ));
                }
            }
            w.years
                .iter()
                .map(|&y| (Some(y), description.variables.iter().map(|v| at(&v.id, y)).collect()))
                .collect()
        }
    };
    // Every column must be described: nothing is silently ignored.
    for &(i, h) in &unclaimed {
        if offered.contains(&i) {
            continue;
        }
        let fix = match wide {
            None => "add a [[variables]] entry for it".to_string(),
            Some(w) => format!(
                "add a [[variables]] entry for it (in the wide layout its columns are named `{}` for each of the \
                     years {:?})",
                w.header, w.years
            ),
        };
        header_problems.push(format!(
            "column `{h}` is not described in the dataset description (header, {}); {fix}",
            table.header_place(i)
        ));
    }
    header_problems.finish(file)?;
    // Every named column was found (else `finish` failed).
    let id_col = id_col.unwrap_or_default();
    let name_col = name_col.unwrap_or_default();
    let country_col = country_col.flatten();
    let group_cols: Vec<usize> = group_cols.into_iter().flatten().collect();
    let time_col = time_col.flatten();
    let layouts: Vec<(Option<i32>, Vec<usize>)> = layouts
        .into_iter()
        .map(|(y, cols)| (y, cols.into_iter().flatten().collect()))
        .collect();
    Ok(Located {
        id: id_col,
        name: name_col,
        country: country_col,
        groups: group_cols,
        time: time_col,
        layouts,
    })
}

/// Reads the rows into units and the variables' columns (numbers or texts, in the
/// description's order), checking every cell: ids present and unique (per year),
/// years, numbers in the dialect and in their declared range, spreadsheet errors.
/// Every bad cell is listed, by line or `Sheet!D14`.
#[allow(clippy::type_complexity)]
fn read_rows(
    description: &DatasetDescription,
    table: &mut RawTable,
    located: &Located,
    dialect: &Dialect,
) -> Result<(Vec<Unit>, Vec<Vec<f64>>, Vec<Vec<Option<String>>>)> {
    let &Located {
        id: id_col,
        name: name_col,
        country: country_col,
        groups: ref group_cols,
        time: time_col,
        ref layouts,
    } = located;
    let width = table.header.len();
    let mut problems = Problems::default();
    let mut units = Vec::new();
    // Rows × layouts at most: the columns are filled without growing.
    let capacity = table.rows_left() * layouts.len();
    let mut numbers: Vec<Vec<f64>> = description
        .variables
        .iter()
        .map(|v| match v.kind {
            VariableType::Number => Vec::with_capacity(capacity),
            VariableType::Text => Vec::new(),
        })
        .collect();
    let mut texts: Vec<Vec<Option<String>>> = vec![Vec::new(); description.variables.len()];
    let mut ids = HashSet::new();
    while let Some(row) = table.next_row()? {
        let row = &row;
        // A CSV row with another number of fields than the header (a workbook row
        // always has the sheet's width) would shift its values: refused.
        if row.fields != width && table.origin == crate::table::Origin::Csv || row.fields > width {
            problems.push(format!(
                "{}: {} fields, the header has {}",
                table.row_place(row),
                row.fields,
                width
            ));
            continue;
        }
        let text = |c: usize| -> Result<Option<String>, String> {
            match &row.cells[c] {
                Cell::Empty => Ok(None),
                Cell::Text(t) => Ok(Some(t.to_string())),
                Cell::Number(x) => Ok(Some(crate::table::number_text(*x))),
                Cell::Error(e) => Err(format!(
                    "{}: the cell holds the error {e}; fix the formula, or declare it missing: {}",
                    table.cell_place(row, c),
                    missing_line(dialect, e)
                )),
            }
        };
        let key_text = |c: usize| text(c).map(Option::unwrap_or_default);
        let id = match key_text(id_col) {
            Ok(id) if id.is_empty() => {
                problems.push(format!(
                    "{}: empty unit id in column `{}`",
                    table.row_place(row),
                    description.columns.id
                ));
                continue;
            }
            Ok(id) => id,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let time = match time_col {
            None => None,
            Some(c) => match &row.cells[c] {
                Cell::Number(x) if x.fract() == 0.0 && x.abs() < 1e6 => Some(*x as i32),
                other => {
                    let shown = match other {
                        Cell::Text(t) => t.to_string(),
                        Cell::Error(e) => e.clone(),
                        _ => String::new(),
                    };
                    match shown.parse::<i32>() {
                        Ok(y) => Some(y),
                        Err(_) => {
                            problems.push(format!("{}: `{shown}` is not a year", table.cell_place(row, c)));
                            continue;
                        }
                    }
                }
            },
        };
        let mut key = |c: usize| match key_text(c) {
            Ok(t) => t,
            Err(e) => {
                problems.push(e);
                String::new()
            }
        };
        let name = key(name_col);
        let country = country_col.map(&mut key);
        let groups: Vec<String> = group_cols.iter().map(|&g| key(g)).collect();
        for (year, var_cols) in layouts {
            let time = year.or(time);
            let unit = Unit {
                id: id.clone(),
                name: name.clone(),
                country: country.clone(),
                groups: groups.clone(),
                time,
            };
            if !ids.insert(unit.key()) {
                let what = if time.is_some() { "unit id and year" } else { "unit id" };
                problems.push(format!(
                    "{}: {what} `{}` appears twice; they must be unique",
                    table.row_place(row),
                    unit.key()
                ));
            }
            units.push(unit);
            for (v, (&c, var)) in var_cols.iter().zip(&description.variables).enumerate() {
                match var.kind {
                    VariableType::Text => match text(c) {
                        Ok(t) => texts[v].push(t),
                        Err(e) => {
                            problems.push(e);
                            texts[v].push(None);
                        }
                    },
                    VariableType::Number => {
                        let x = match number(&row.cells[c], dialect) {
                            Ok(x) => x,
                            Err(why) => {
                                problems.push(format!("{}: {why}", table.cell_place(row, c)));
                                f64::NAN
                            }
                        };
                        if var.min.is_some_and(|m| x < m) || var.max.is_some_and(|m| x > m) {
                            problems.push(format!(
                                "{}: {x} is outside the declared range [{}, {}]",
                                table.cell_place(row, c),
                                var.min.map_or("-inf".into(), |m| m.to_string()),
                                var.max.map_or("+inf".into(), |m| m.to_string())
                            ));
                        }
                        numbers[v].push(x);
                    }
                }
            }
        }
    }
    problems.finish(&table.file)?;
    if units.is_empty() {
        bail!("{}: the dataset has no rows", table.file);
    }
    Ok((units, numbers, texts))
}

/// A header name that may be the one `name` was meant to be (the closest of the
/// `unclaimed` columns, if one is close), said with where it is and the two ways
/// to make them agree (`other_fix`: the description's side); and its column.
fn header_typo(
    table: &RawTable,
    name: &str,
    unclaimed: &[(usize, &str)],
    other_fix: &str,
) -> (Option<String>, Option<usize>) {
    let close = cityrank_formula::closest(name, unclaimed.iter().map(|(_, h)| *h), 1);
    let Some((c, found)) = close.first().and_then(|f| unclaimed.iter().find(|(_, h)| h == f)) else {
        return (None, None);
    };
    (
        Some(format!(
            "; the header of {} ({}) has `{found}`: rename it to `{name}` there, or {other_fix}",
            table.file_name(),
            table.header_place(*c)
        )),
        Some(*c),
    )
}

/// The most problems of a data file reported at once (the rest are counted).
pub const MAX_PROBLEMS: usize = 20;

/// The problems of a data file's cells, collected so that all are reported.
#[derive(Default)]
pub(crate) struct Problems {
    lines: Vec<String>,
    count: usize,
}

impl Problems {
    pub(crate) fn push(&mut self, problem: String) {
        self.count += 1;
        if self.lines.len() < MAX_PROBLEMS {
            // A hint (after `; `) is given once: the same fix for many cells.
            let problem = match problem.split_once("; ") {
                Some((what, hint)) if self.lines.iter().any(|l| l.ends_with(hint)) => what.to_string(),
                _ => problem,
            };
            self.lines.push(problem);
        }
    }

    pub(crate) fn finish(self, file: &str) -> Result<()> {
        let more = self.count - self.lines.len();
        match self.lines.as_slice() {
            [] => Ok(()),
            [one] => bail!("{file}: {one}"),
            many => bail!(
                "{file}: {} problems:\n  {}{}",
                self.count,
                many.join("\n  "),
                if more > 0 {
                    format!("\n  … and {more} more")
                } else {
                    String::new()
                }
            ),
        }
    }
}

/// The CSV dialect a description declares.
fn dialect(description: &DatasetDescription) -> Result<Dialect> {
    let delimiter = match description.delimiter.as_deref() {
        None => b',',
        Some("\\t") | Some("\t") => b'\t',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => bail!("delimiter: `{d}` is not one character; write e.g. `delimiter = \";\"`"),
    };
    let decimal = match description.decimal.as_deref() {
        None | Some(".") => '.',
        Some(",") => ',',
        Some(d) => bail!("decimal: `{d}` is not `.` or `,`"),
    };
    Ok(Dialect {
        delimiter,
        decimal,
        missing: description.missing.clone(),
    })
}

/// Tokens that often mean "missing" in exported data.
pub const MISSING_TOKENS: [&str; 11] = ["NA", "N/A", "n/a", "na", "n.a.", "..", "-", "NaN", "null", "#N/A", "?"];

/// The number a cell's text writes with `decimal` as its decimal separator (no
/// thousands separators), if it is one.
pub fn parse_number(text: &str, decimal: char) -> Option<f64> {
    match decimal {
        ',' if text.contains('.') => None,
        ',' => text.replace(',', ".").parse().ok(),
        _ => text.parse().ok(),
    }
}

/// The line of a dataset description that declares `token` missing, with the
/// tokens `dialect` already declares: `missing = ["NA", "n.a."]`.
fn missing_line(dialect: &Dialect, token: &str) -> String {
    let tokens: Vec<String> = dialect
        .missing
        .iter()
        .map(String::as_str)
        .chain([token])
        .map(|t| toml::Value::String(t.to_string()).to_string())
        .collect();
    format!("`missing = [{}]`", tokens.join(", "))
}

/// Whether `text` is written as a number with separators (`1,234`, `1.234,5`,
/// `1 234`, `1'234`, `0.41` where commas are declared): digits and separators
/// only, a digit first and last, after an optional sign.
fn separated_number(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let digit = |c: char| c.is_ascii_digit();
    body.starts_with(digit)
        && body.ends_with(digit)
        && body
            .chars()
            .all(|c| digit(c) || matches!(c, ',' | '.' | ' ' | '\'' | '\u{a0}' | '\u{202f}'))
}

/// Why a cell's text is not a number, and what to do: for a number written with
/// separators, the decimal separator to declare or the separators to drop; for
/// any other text (letters, a dash, dots), the line that declares it missing.
fn not_a_number(t: &str, dialect: &Dialect) -> String {
    if separated_number(t) {
        if dialect.decimal == ',' && t.contains('.') {
            return format!(
                "`{t}` has a point, but the file declares decimal commas (`decimal = \",\"`); write numbers without \
                 thousands separators (`1234,5`)"
            );
        }
        let only_points_and_one_comma = t.matches(',').count() == 1
            && t.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '-' | '+'));
        let decimals = t.rsplit(',').next().unwrap_or_default();
        let hint = if dialect.decimal == '.' && only_points_and_one_comma && (decimals.len() != 3 || t.contains('.')) {
            let written: String = t.chars().filter(|c| *c != '.').collect();
            format!(
                "is it a decimal comma? add `decimal = \",\"` to the dataset description{}",
                if t.contains('.') {
                    format!(", and write numbers without thousands separators (`{written}`)")
                } else {
                    String::new()
                }
            )
        } else {
            "write numbers without thousands separators".to_string()
        };
        return format!("`{t}` is not a number; {hint}");
    }
    let letters = t.chars().any(char::is_alphabetic);
    let digits = t.chars().any(|c| c.is_ascii_digit());
    if letters && digits && !MISSING_TOKENS.contains(&t) {
        return format!(
            "`{t}` is not a number; write the number alone (its unit goes in the variable's `unit`), or if the text \
             means a missing value, declare it: {} (in the dataset description)",
            missing_line(dialect, t)
        );
    }
    if letters || !digits {
        return format!(
            "`{t}` is not a number; if it means a missing value, declare it: {} (in the dataset description)",
            missing_line(dialect, t)
        );
    }
    format!("`{t}` is not a number")
}

/// The number in a cell (NaN for an empty one), or why it is not one.
fn number(cell: &Cell, dialect: &Dialect) -> Result<f64, String> {
    let x = match cell {
        Cell::Empty => return Ok(f64::NAN),
        Cell::Number(x) => *x,
        Cell::Error(e) => {
            return Err(format!(
                "the cell holds the error {e}; fix the formula, or declare it missing: {}",
                missing_line(dialect, e)
            ));
        }
        Cell::Text(t) => match parse_number(t, dialect.decimal) {
            Some(x) if !x.is_finite() => {
                // `NaN`, `inf`: Rust reads them as numbers; a dataset's numbers are finite.
                return Err(format!(
                    "`{t}` is not a finite number; leave the cell empty for a missing value, or declare the text \
                     missing: {}",
                    missing_line(dialect, t)
                ));
            }
            Some(x) => x,
            None => return Err(not_a_number(t, dialect)),
        },
    };
    if !x.is_finite() {
        return Err(format!(
            "`{x}` is not a finite number; leave the cell empty for a missing value"
        ));
    }
    Ok(x)
}

/// Checks a dataset description on its own: its format version, ids of variables
/// and sources unique, every cited source declared. Every problem is reported at
/// once, at its line and column in `source`.
fn check_description(description: &DatasetDescription, source: &crate::diagnostic::Source) -> Result<()> {
    let mut problems = Vec::new();
    if description.schema_version != DATASET_SCHEMA_VERSION {
        problems.push(format!(
            "schema_version: this host reads dataset version {DATASET_SCHEMA_VERSION}, got {}",
            description.schema_version
        ));
    }
    for (i, v) in description.variables.iter().enumerate() {
        if let Some(j) = description.variables[..i].iter().position(|w| w.id == v.id) {
            problems.push(format!(
                "variables[{i}].id: `{}` is already variables[{j}]; give each variable once",
                v.id
            ));
        }
        if let Some(s) = &v.source
            && !description.sources.iter().any(|src| &src.id == s)
        {
            let hint = crate::diagnostic::did_you_mean(s, description.sources.iter().map(|x| x.id.as_str()), 2)
                .map(|h| format!("; {h}"))
                .unwrap_or_default();
            problems.push(format!("variables[{i}].source: no source `{s}` in [[sources]]{hint}"));
        }
        if let (Some(lo), Some(hi)) = (v.min, v.max)
            && lo > hi
        {
            // Said once here, not as every cell being outside an empty range.
            problems.push(format!(
                "variables[{i}].min: variable `{}` has min = {lo} above max = {hi}; swap them",
                v.id
            ));
        }
    }
    if let Some(w) = &description.columns.wide {
        if description.columns.time.is_some() {
            problems.push(
                "columns.wide: panel data are either long (`time`, a year column) or wide (`wide`, a column per \
                 variable and year), not both; remove one"
                    .to_string(),
            );
        }
        for p in ["{variable}", "{year}"] {
            if !w.header.contains(p) {
                problems.push(format!(
                    "columns.wide.header: `{}` has no `{p}`; write the columns' names with both, e.g. \
                     `{{variable}}_{{year}}`",
                    w.header
                ));
            }
        }
        for (i, y) in w.years.iter().enumerate() {
            if w.years[..i].contains(y) {
                problems.push(format!(
                    "columns.wide.years[{i}]: {y} is given twice; give each year once"
                ));
            }
        }
        if w.years.is_empty() {
            problems.push("columns.wide.years: no years; give the years of the columns, e.g. [2022, 2023]".into());
        }
    }
    for (i, src) in description.sources.iter().enumerate() {
        if let Some(j) = description.sources[..i].iter().position(|t| t.id == src.id) {
            problems.push(format!(
                "sources[{i}].id: `{}` is already sources[{j}]; give each source once",
                src.id
            ));
        }
    }
    crate::diagnostic::bail_all(&source.name, problems.iter().map(|p| source.render(p)).collect())
}
