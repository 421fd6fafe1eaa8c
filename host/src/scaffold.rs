//! `cityrank new`: a new methodology that runs as created — a commented manifest,
//! a sample dataset (or the author's CSV) and an edition, in TOML only or with
//! code in Rust, Python or JavaScript.
//!
//! Layout of `DIR` (the manifest at the top for `--lang toml`, in `methodology/`
//! next to the code otherwise):
//!
//! ```text
//! DIR/edition.toml              the edition: methodology + dataset, variants, sensitivity
//! DIR/data/dataset.toml, *.csv  the dataset (a CSV, or the `--from` workbook's sheet) and its description
//! DIR/methodology.toml          (toml) the manifest
//! DIR/methodology/              (rust|python|js) methodology.toml and the code
//! DIR/README.md, .gitignore
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::dataset::{MISSING_TOKENS, parse_number};
use cityrank_core::table::{self, Cell, Dialect, Origin};

/// The languages a methodology can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// A declarative manifest, no code.
    Toml,
    /// A Rust plugin crate.
    Rust,
    /// A Python plugin (componentize-py).
    Python,
    /// A JavaScript plugin (componentize-qjs).
    Js,
}

impl Language {
    /// The language's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Language::Toml => "toml",
            Language::Rust => "rust",
            Language::Python => "python",
            Language::Js => "js",
        }
    }
}

const MANIFEST: &str = include_str!("../templates/toml/methodology.toml");
const EDITION: &str = include_str!("../templates/common/edition.toml");
const SAMPLE_CSV: &str = include_str!("../templates/common/data/cities.csv");
const SAMPLE_DATASET: &str = include_str!("../templates/common/data/dataset.toml");
const RUST_CARGO: &str = include_str!("../templates/rust/Cargo.toml");
const RUST_LIB: &str = include_str!("../templates/rust/src/lib.rs");
const PYTHON_CODE: &str = include_str!("../templates/python/methodology.py");
const JS_CODE: &str = include_str!("../templates/js/methodology.js");

/// The files `new` would write, relative to its directory, and the command to run next.
#[derive(Debug, Clone)]
pub struct Scaffold {
    /// `(relative path, contents)`.
    pub files: Vec<(PathBuf, Vec<u8>)>,
    /// The edition file, relative to the directory.
    pub edition: PathBuf,
    /// What the author should check (how `--from`'s data was read).
    pub notes: Vec<String>,
}

/// Options of [`scaffold`].
#[derive(Debug, Clone)]
pub struct NewOptions {
    /// The language.
    pub lang: Language,
    /// The author's data (a CSV in any usual dialect, or a workbook; a header row
    /// and a row per unit), instead of the sample.
    pub from: Option<PathBuf>,
    /// The sheet of the `from` workbook (default: the first).
    pub sheet: Option<String>,
    /// The Rust SDK (`plugins/sdk` of a cityrank checkout), for `--lang rust`.
    pub sdk: Option<PathBuf>,
}

/// The methodology id for a directory name: lowercase letters, digits and dashes.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "my-ranking".to_string() } else { out }
}

/// `my-ranking` → `My Ranking Index`.
fn title(id: &str) -> String {
    let words: Vec<String> = id
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{} Index", words.join(" "))
}

/// The files of a new methodology named after `dir`.
pub fn scaffold(dir: &Path, options: &NewOptions) -> Result<Scaffold> {
    let dir_name = dir
        .file_name()
        .map_or_else(|| "my-ranking".to_string(), |n| n.to_string_lossy().into_owned());
    let id = slug(&dir_name);
    let name = title(&id);
    // Cargo refuses package names that start with a digit.
    let crate_name = if id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("m-{id}")
    } else {
        id.clone()
    };
    let code = options.lang != Language::Toml;
    let methodology_ref = if code { "methodology" } else { "methodology.toml" };
    let edition_path = dir.join("edition.toml");
    let fill = |text: &str| {
        text.replace("{{ID}}", &id)
            .replace("{{NAME}}", &name)
            .replace("{{CRATE}}", &crate_name)
            .replace("{{METHODOLOGY}}", methodology_ref)
            .replace("{{EDITION_PATH}}", &edition_path.display().to_string())
    };
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut notes = Vec::new();
    if options.sheet.is_some() && options.from.is_none() {
        bail!("--sheet names the sheet of the workbook given with --from; give --from FILE too");
    }
    let (manifest, dataset_files, edition) = match &options.from {
        None => (fill(MANIFEST), sample_data(), fill(EDITION)),
        Some(path) => {
            let data = from_data(path, options.sheet.as_deref())?;
            let manifest = data.manifest(&id, &name);
            notes = data.notes.clone();
            // No pillars yet: the indicator weights (level 1) and the normalisation vary.
            let edition = without_variant(&fill(EDITION))
                .replace(
                    "[[sensitivity.inputs]]\nname = \"pillar weights\"\nweight_noise = { levels = [1], factor = 0.25 }\n",
                    "[[sensitivity.inputs]]\nname = \"normalisation\"\nalternatives = [\n  { description = \"min-max 0-100\" },\n  \
                     { description = \"z-score\", pipeline = { normalise = { method = \"z-score\", mean = 50.0, sd = 15.0 } } },\n]\n",
                )
                .replace("levels = [2]", "levels = [1]")
                .replace(
                    "the pillar weights and the indicator weights\n# (each ±25%, at random)",
                    "the normalisation (min-max or z-scores) and the\n# indicator weights (±25%, at random)",
                );
            (manifest, data.files, edition)
        }
    };
    let from_csv = options.from.is_some();
    // The code languages compute `rapid_transit` in code: the manifest declares the
    // variables the code reads and leaves out the formula.
    let manifest = if code && !from_csv {
        code_manifest(&manifest)
    } else {
        manifest
    };
    files.push((PathBuf::from("edition.toml"), edition));
    match options.lang {
        Language::Toml => files.push((PathBuf::from("methodology.toml"), manifest)),
        Language::Rust => {
            let sdk = match &options.sdk {
                Some(p) => p.clone(),
                None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk"),
            };
            let sdk = sdk.canonicalize().map_err(|_| {
                anyhow!(
                    "the Rust SDK is not at `{}`; pass --sdk PATH (the `plugins/sdk` folder of a cityrank checkout)",
                    sdk.display()
                )
            })?;
            let sdk_text = sdk.display().to_string().replace('\\', "/");
            files.push((PathBuf::from("methodology/methodology.toml"), manifest));
            files.push((
                PathBuf::from("methodology/Cargo.toml"),
                fill(RUST_CARGO).replace("{{SDK}}", &sdk_text),
            ));
            let lib = if from_csv {
                empty_rust_derive(&fill(RUST_LIB))
            } else {
                fill(RUST_LIB)
            };
            files.push((PathBuf::from("methodology/src/lib.rs"), lib));
        }
        Language::Python | Language::Js => {
            let (file, template, emptied): (&str, &str, fn(&str) -> String) = match options.lang {
                Language::Python => ("methodology.py", PYTHON_CODE, empty_python_derive),
                _ => ("methodology.js", JS_CODE, empty_js_derive),
            };
            files.push((PathBuf::from("methodology/methodology.toml"), manifest));
            let code = if from_csv {
                emptied(&fill(template))
            } else {
                fill(template)
            };
            files.push((Path::new("methodology").join(file), code));
        }
    }
    files.push((
        PathBuf::from(".gitignore"),
        "target/\n*.component.wasm\n*.component.fingerprint\n__pycache__/\n".to_string(),
    ));
    files.push((PathBuf::from("README.md"), readme(&name, options.lang, &edition_path)));
    // What `new` writes must load: check the manifest, and the dataset with its
    // data, before anything is written (the author's headers and cells made them).
    for (path, text) in &files {
        if path.ends_with("methodology.toml") {
            let origin = dir.join(path).display().to_string();
            crate::run::check_manifest(text, &origin, code)
                .with_context(|| "cityrank new made a manifest that does not load (a bug; please report it)")?;
        }
    }
    let description = dataset_files
        .iter()
        .find(|(p, _)| p.ends_with("dataset.toml"))
        .map(|(p, bytes)| (dir.join("data").join(p), String::from_utf8_lossy(bytes).into_owned()));
    if let Some((path, text)) = description {
        let origin = path.display().to_string();
        let description = crate::schema::parse_toml::<crate::dataset::DatasetDescription>(&text, &origin)
            .with_context(|| "cityrank new made a dataset description that does not load (a bug; please report it)")?;
        let data = dataset_files.iter().find(|(p, _)| *p == description.file);
        if let Some((p, bytes)) = data {
            crate::dataset::Dataset::from_bytes(description.clone(), bytes, dir.join("data").join(p)).with_context(
                || "cityrank new made a copy of the data that does not read as described (a bug; please report it)",
            )?;
        }
    }
    let mut files: Vec<(PathBuf, Vec<u8>)> = files.into_iter().map(|(p, t)| (p, t.into_bytes())).collect();
    files.splice(
        1..1,
        dataset_files
            .into_iter()
            .map(|(p, bytes)| (Path::new("data").join(p), bytes)),
    );
    Ok(Scaffold {
        files,
        edition: PathBuf::from("edition.toml"),
        notes,
    })
}

/// Writes the scaffold into `dir`, which must not exist or be empty. All files or none.
pub fn write(dir: &Path, scaffold: &Scaffold) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("`{}` exists and cannot be listed", dir.display()))?
            .next()
            .is_none();
        if !empty {
            bail!(
                "`{}` exists and is not empty; name a new directory (cityrank new never overwrites files)",
                dir.display()
            );
        }
    }
    // Directories first (deepest last), remembered so that a failure leaves none.
    let mut created: Vec<PathBuf> = Vec::new();
    for (path, _) in &scaffold.files {
        let mut missing: Vec<PathBuf> = dir
            .join(path)
            .ancestors()
            .skip(1)
            // A relative path's last ancestor is the empty path: the current directory.
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        for d in missing {
            std::fs::create_dir(&d).with_context(|| format!("cannot create `{}`", d.display()))?;
            created.push(d);
        }
    }
    let files: Vec<(PathBuf, Vec<u8>)> = scaffold.files.iter().map(|(p, t)| (dir.join(p), t.clone())).collect();
    let written = crate::fsutil::write_all_or_none(&files);
    if written.is_err() {
        for d in created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
    written
}

/// The edition template without its `equal-pillars` variant (the author's data has no pillars yet).
fn without_variant(edition: &str) -> String {
    let start = edition.find("# Variants change steps").unwrap_or(edition.len());
    let end = edition[start..]
        .find("[sensitivity]")
        .map_or(edition.len(), |e| start + e);
    format!("{}{}", &edition[..start], &edition[end..])
}

/// `text` as a TOML string (quoted and escaped).
fn q(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

fn sample_data() -> Vec<(PathBuf, Vec<u8>)> {
    vec![
        (PathBuf::from("cities.csv"), SAMPLE_CSV.as_bytes().to_vec()),
        (PathBuf::from("dataset.toml"), SAMPLE_DATASET.as_bytes().to_vec()),
    ]
}

/// The manifest of a code language: `rapid_transit` computed by `derive`.
fn code_manifest(manifest: &str) -> String {
    manifest
        .replace(
            "a city-ranking methodology written as one manifest, no code.",
            "a city-ranking methodology: this manifest, and code for what a formula cannot say.",
        )
        .replace(
            "# population is in thousands: km ÷ (thousands ÷ 1000) = km per million.\nformula = \"if(population_k > 0, metro_km / population_k * 1000, missing)\"\n",
            "# No `from` or `formula`: the plugin's derive computes it.\n",
        )
        .replace(
            "# Numbers a formula may use by name.",
            "# The dataset variables the plugin's code reads (`from` and `formula` name theirs).\n[[inputs]]\nid = \"metro_km\"\ntype = \"number\"\n[[inputs]]\nid = \"population_k\"\ntype = \"number\"\n\n# Numbers a formula may use by name.",
        )
}

fn empty_rust_derive(lib: &str) -> String {
    let start = lib.find("        let mut out").unwrap_or(lib.len());
    let end = lib[start..].find("        Ok(out)").map_or(lib.len(), |e| start + e);
    format!(
        "{}        let out = Table::like(&input);\n        // out.push(\"indicator_id\", values); for each indicator without `from`/`formula`\n{}",
        &lib[..start],
        &lib[end..]
    )
    .replace("use cityrank_sdk::{Methodology, Table, export_methodology, ratio};", "use cityrank_sdk::{Methodology, Table, export_methodology};")
}

fn empty_python_derive(code: &str) -> String {
    let start = code.find("        # km").unwrap_or(code.len());
    format!(
        "{}        # {{\"indicator_id\": [...]}} for each indicator without `from`/`formula`\n        return {{}}\n",
        &code[..start]
    )
    .replace(
        "from cityrank_sdk import Methodology, ratio",
        "from cityrank_sdk import Methodology",
    )
}

fn empty_js_derive(code: &str) -> String {
    let start = code.find("    // km").unwrap_or(code.len());
    let end = code[start..].find("  }\n}").map_or(code.len(), |e| start + e);
    format!(
        "{}    // {{ indicator_id: [...] }} for each indicator without `from`/`formula`\n    return {{}};\n{}",
        &code[..start],
        &code[end..]
    )
    .replace("import { Methodology, ratio } from", "import { Methodology } from")
}

fn readme(name: &str, lang: Language, edition: &Path) -> String {
    let e = edition.display();
    let code = match lang {
        Language::Toml => {
            "`methodology.toml`: the whole methodology (indicators, formulas, pillars, weights, tiers)".to_string()
        }
        Language::Rust => {
            "`methodology/`: the manifest (`methodology.toml`) and the Rust code (`src/lib.rs`)".to_string()
        }
        Language::Python => {
            "`methodology/`: the manifest (`methodology.toml`) and the Python code (`methodology.py`)".to_string()
        }
        Language::Js => {
            "`methodology/`: the manifest (`methodology.toml`) and the JavaScript code (`methodology.js`)".to_string()
        }
    };
    format!(
        "# {name}\n\nCreated by `cityrank new --lang {}`.\n\n- {code}\n- `data/`: the dataset (`cities.csv`) and its description (`dataset.toml`)\n- `edition.toml`: one run of the methodology on the dataset, its variants and its sensitivity analysis\n\n```sh\ncityrank validate {e}      # check everything, without running\ncityrank run {e}           # the ranking\ncityrank run {e} --format csv -o results.csv\ncityrank explain {e} --unit <city id>\ncityrank sensitivity {e}\n```\n\nSee docs/authoring.md in the cityrank repository for the guide.\n",
        lang.name()
    )
}

/// The author's data, described.
struct CsvData {
    files: Vec<(PathBuf, Vec<u8>)>,
    /// Numeric variables: (id used in the files, the header as the author wrote it, its unit).
    numeric: Vec<(String, String, String)>,
    /// What the author should know about how the data was read.
    notes: Vec<String>,
}

/// The unit in a header's closing parentheses: `GDP (USD bn)` → `USD bn`,
/// `Rate (per (1000))` → `per (1000)`; none for a bare number (`Population (2020)`).
fn unit_of(header: &str) -> String {
    let h = header.trim_end();
    let Some(inner) = h.strip_suffix(')') else {
        return String::new();
    };
    // The `(` that the final `)` closes.
    let mut depth = 0usize;
    for (at, c) in inner.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                let unit = inner[at + 1..].trim();
                let bare_number = unit.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-');
                return if bare_number { String::new() } else { unit.to_string() };
            }
            '(' => depth -= 1,
            _ => {}
        }
    }
    String::new()
}

impl CsvData {
    fn manifest(&self, id: &str, name: &str) -> String {
        let mut out = format!(
            "# {name}: one indicator per numeric column of the data, all under the index and\n\
             # equally weighted. Check each indicator's direction and unit, group them into\n\
             # pillars ([[nodes]]), set weights, and compute new ones with `formula`\n\
             # (see docs/authoring.md).\n\
             schema_version = 2\nid = {}\nname = {}\nversion = \"0.1.0\"\n\
             description = \"A methodology over the columns of the data (to be described).\"\n\n\
             [index]\nid = \"index\"\nname = {}\n\n\
             [pipeline]\nnormalise = {{ method = \"min-max\", lo = 0.0, hi = 100.0 }}\n\
             aggregate = {{ method = \"arithmetic\" }}\nmissing = {{ policy = \"reweight\", min_share = 0.5 }}\n",
            q(id),
            q(name),
            q(name)
        );
        for (var, header, unit) in &self.numeric {
            out.push_str(&format!(
                "\n[[indicators]]\nid = {}\nname = {}\nparent = \"index\"\nweight = 1\n\
                 direction = \"higher\"   # check: is a higher value better? else \"lower\"\n\
                 unit = {}{}\nfrom = {}\n",
                q(var),
                q(header),
                q(unit),
                if unit.is_empty() {
                    "              # e.g. \"%\", \"km per million people\""
                } else {
                    ""
                },
                q(var)
            ));
        }
        out.push_str(
            "\n[[tiers]]\nlabel = \"top 10%\"\nupper_share = 0.1\n[[tiers]]\nlabel = \"10-30%\"\nupper_share = 0.3\n\
             [[tiers]]\nlabel = \"30-60%\"\nupper_share = 0.6\n[[tiers]]\nlabel = \"60-100%\"\nupper_share = 1.0\n",
        );
        out
    }
}

/// A name a formula can use for the column headed `header`: lowercase ASCII
/// letters, digits and `_`; a leading digit or a reserved word of the formula
/// language gets a prefix; unique among `taken`.
fn variable_id(header: &str, taken: &mut BTreeSet<String>) -> String {
    let mut id = String::new();
    for c in header.trim().chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('_') {
            id.push('_');
        }
    }
    let mut id = id.trim_end_matches('_').to_string();
    if id.is_empty() {
        id = "column".to_string();
    }
    if id.starts_with(|c: char| c.is_ascii_digit()) || cityrank_formula::is_reserved(&id) || id == "index" {
        id = format!("v_{id}");
    }
    let mut unique = id.clone();
    let mut k = 2;
    while !taken.insert(unique.clone()) {
        unique = format!("{id}_{k}");
        k += 1;
    }
    unique
}

/// The CSV dialect of `bytes`: the field separator of the header line (`,`, `;`
/// or a tab, whichever it has most of outside quotes) and, for a file separated
/// otherwise than by commas, decimal commas when some cells are numbers written
/// with a comma and none with a point.
fn detect_dialect(bytes: &[u8], path: &Path) -> Result<Dialect> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in first.bytes() {
        match c {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            _ => {
                for (sep, n) in &mut counts {
                    if c == *sep {
                        *n += 1;
                    }
                }
            }
        }
    }
    // The most frequent; a tie keeps the earlier (the comma first).
    let delimiter = counts
        .iter()
        .fold((b',', 0), |best, &(sep, n)| if n > best.1 { (sep, n) } else { best })
        .0;
    let mut dialect = Dialect {
        delimiter,
        ..Dialect::default()
    };
    if delimiter != b',' {
        let rows = table::read(bytes, path, None, &dialect)?.rows()?;
        let texts = || {
            rows.iter().flat_map(|r| &r.cells).filter_map(|c| match c {
                Cell::Text(t) => Some(t.as_str()),
                _ => None,
            })
        };
        let commas = texts().any(|t| t.contains(',') && parse_number(t, ',').is_some());
        let points = texts().any(|t| t.contains('.') && parse_number(t, '.').is_some());
        if commas && !points {
            dialect.decimal = ',';
        }
    }
    Ok(dialect)
}

/// A cell as text (what a key or text column holds).
fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.to_string(),
        Cell::Number(x) => table::number_text(*x),
        Cell::Error(e) => e.clone(),
    }
}

/// Reads the author's data — a CSV in its dialect (separated by commas,
/// semicolons or tabs, decimal points or commas, detected) or a sheet of a
/// workbook (`sheet`, default the first), both through the dataset's own reader
/// — and describes it: the id, name and country columns by their usual names
/// (else the first column whose values are unique, and that column), every column
/// whose cells are all numbers (or empty, or a usual mark of a missing value such
/// as `n/a`) a numeric variable, the rest text. Headers become names a formula can
/// use: the copy of the data (a CSV in the same dialect, or a workbook of the one
/// sheet) gets them; the original text is kept as each variable's description. The
/// dialect, the sheet and the missing-value marks are written into the
/// description.
fn from_data(path: &Path, sheet: Option<&str>) -> Result<CsvData> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let file = path.display();
    let workbook = table::is_workbook(path);
    if sheet.is_some() && !workbook {
        bail!("{file}: --sheet is for workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods); this file is read as CSV");
    }
    let dialect = if workbook {
        Dialect::default()
    } else {
        detect_dialect(&bytes, path)?
    };
    let mut table = table::read(&bytes, path, sheet, &dialect)?;
    let all_rows = table.rows()?;
    let header: Vec<String> = table.header.clone();
    if header.len() < 2 {
        bail!("{file}: expected a header row with an id column and at least one variable");
    }
    let rows: Vec<&table::RawRow> = all_rows.iter().collect();
    if rows.is_empty() {
        bail!("{file}: no data rows below the header");
    }
    let cell = |r: &table::RawRow, c: usize| r.cells.get(c).map(cell_text).unwrap_or_default();
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let unique = |c: usize| {
        let mut seen = BTreeSet::new();
        rows.iter().all(|r| {
            let v = cell(r, c);
            !v.is_empty() && seen.insert(v)
        })
    };
    let is_number = |c: &Cell| match c {
        Cell::Number(x) => x.is_finite(),
        Cell::Text(t) => parse_number(t, dialect.decimal).is_some_and(f64::is_finite),
        _ => false,
    };
    // A usual mark of a missing value: a token such as `n/a`, or an error cell (`#N/A`).
    let is_missing_mark = |c: &Cell| match c {
        Cell::Text(t) => MISSING_TOKENS.contains(&t.as_str()),
        Cell::Error(_) => true,
        _ => false,
    };
    // The id: a column named so, else the first text column with a different value
    // in every row (a rank or a count is not an id), else the first such column.
    let id_col = find(&["id", "code", "city_id", "unit_id", "city_code", "geoid", "fips", "nuts"])
        .filter(|&c| unique(c))
        .or_else(|| {
            (0..header.len()).find(|&c| unique(c) && !rows.iter().all(|r| r.cells.get(c).is_some_and(is_number)))
        })
        .or_else(|| (0..header.len()).find(|&c| unique(c)))
        .with_context(|| {
            format!("{file}: no column has a value for every row, different in each; add an `id` column")
        })?;
    let name_col = find(&["name", "city", "city_name"]).unwrap_or(id_col);
    let country_col = find(&["country", "country_iso3", "iso3", "country_code"]).filter(|&c| c != id_col);
    let mut taken = BTreeSet::new();
    let ids: Vec<String> = header.iter().map(|h| variable_id(h, &mut taken)).collect();
    let mut numeric = Vec::new();
    let mut texts = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut variables = String::new();
    for (c, h) in header.iter().enumerate() {
        if c == id_col || c == name_col || Some(c) == country_col {
            continue;
        }
        // A column is numeric when it has numbers, and nothing else but empty cells
        // and marks of a missing value.
        let cells = || rows.iter().map(move |r| (r, r.cells.get(c).unwrap_or(&Cell::Empty)));
        let text = cells().find(|(_, x)| **x != Cell::Empty && !is_number(x) && !is_missing_mark(x));
        let any_number = cells().any(|(_, x)| is_number(x));
        let kind = if text.is_none() && any_number { "number" } else { "text" };
        let unit = unit_of(h);
        if kind == "number" {
            numeric.push((ids[c].clone(), h.clone(), unit.clone()));
            for (_, x) in cells().filter(|(_, x)| is_missing_mark(x)) {
                let mark = cell_text(x);
                if !missing.contains(&mark) {
                    missing.push(mark);
                }
            }
        } else {
            texts.push(match text {
                Some((r, x)) => format!("`{h}` ({} has `{}`)", table.row_place(r), cell_text(x)),
                None => format!("`{h}` (empty)"),
            });
        }
        variables.push_str(&format!(
            "\n[[variables]]\nid = {}\ntype = \"{kind}\"\nunit = {}{}\ndescription = {}   # what it is, where it comes from\n",
            q(&ids[c]),
            q(&unit),
            if unit.is_empty() {
                "          # e.g. \"%\", \"thousand people\""
            } else {
                "   # from the header: check it"
            },
            q(h)
        ));
    }
    let mut notes = vec![format!(
        "the id of a unit: column `{}`{}",
        header[id_col],
        if name_col == id_col {
            String::new()
        } else {
            format!("; its name: `{}`", header[name_col])
        }
    )];
    let decimal = if dialect.decimal == ',' {
        "a decimal comma `,`"
    } else {
        "a decimal point `.`"
    };
    match &table.origin {
        Origin::Sheet(name) => notes.push(format!(
            "read sheet `{name}` of the workbook{}",
            if sheet.is_none() {
                " (the first; --sheet NAME for another)"
            } else {
                ""
            }
        )),
        Origin::Csv => {
            let separated = match dialect.delimiter {
                b';' => "semicolons",
                b'\t' => "tabs",
                _ => "commas",
            };
            notes.push(format!(
                "read as CSV separated by {separated}, numbers with {decimal}{}",
                if dialect.delimiter != b',' || dialect.decimal != '.' {
                    " (declared in data/dataset.toml: check it)"
                } else {
                    ""
                }
            ));
        }
    }
    if !missing.is_empty() {
        notes.push(format!(
            "{} in numeric columns read as missing values (declared in data/dataset.toml as `missing`)",
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    notes.push(format!(
        "{} numeric column{} became indicators, each `direction = \"higher\"` (higher is better) for now: \
         check each one",
        numeric.len(),
        if numeric.len() == 1 { "" } else { "s" }
    ));
    if !texts.is_empty() {
        notes.push(format!(
            "{} column{} read as text, not indicators: {}; numbers need {decimal}, no thousands separators, and an \
             empty cell where a value is missing",
            texts.len(),
            if texts.len() == 1 { " is" } else { "s are" },
            texts.join(", ")
        ));
    }
    if numeric.is_empty() {
        bail!(
            "{file}: no column has only numbers; a methodology needs numeric variables ({decimal}, no thousands separators)"
        );
    }
    let stem = path
        .file_stem()
        .map_or_else(|| "data".to_string(), |n| n.to_string_lossy().into_owned());
    // The copy of the data, with the new header, in the author's format.
    let (data_name, data, format_lines) = match &table.origin {
        Origin::Sheet(name) => {
            let data_name = format!("{}.xlsx", slug(&stem));
            let (bytes, sheet_name) = workbook_copy(name, &ids, &rows)?;
            (data_name, bytes, format!("sheet = {}\n", q(&sheet_name)))
        }
        Origin::Csv => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(dialect.delimiter)
                .from_writer(Vec::new());
            w.write_record(&ids)?;
            for r in &rows {
                w.write_record((0..header.len()).map(|c| cell(r, c)))?;
            }
            let mut data = w.into_inner().map_err(|e| anyhow!("cannot write the CSV: {e}"))?;
            // Excel's "CSV UTF-8" starts with a byte-order mark: kept, for Excel.
            if bytes.starts_with(b"\xEF\xBB\xBF") {
                data.splice(0..0, *b"\xEF\xBB\xBF");
            }
            let mut lines = String::new();
            match dialect.delimiter {
                b',' => {}
                b'\t' => lines.push_str("delimiter = \"\\t\"\n"),
                d => lines.push_str(&format!("delimiter = {}\n", q(&char::from(d).to_string()))),
            }
            if dialect.decimal == ',' {
                lines.push_str("decimal = \",\"\n");
            }
            (format!("{}.csv", slug(&stem)), data, lines)
        }
    };
    let missing_line = if missing.is_empty() {
        String::new()
    } else {
        format!(
            "missing = [{}]   # cell texts that mean \"missing value\"\n",
            missing.iter().map(|m| q(m)).collect::<Vec<_>>().join(", ")
        )
    };
    let country = country_col.map_or(String::new(), |c| format!("country = {}\n", q(&ids[c])));
    let dataset = format!(
        "# The description of {data_name} (a copy of {}, its headers made into names a formula\n\
         # can use): which columns identify a unit, and every variable.\n\
         schema_version = 1\nid = {}\ntitle = {}\nyear = 2024   # the data's year\nfile = {}\n{format_lines}{missing_line}\n\
         [columns]\nid = {}\nname = {}\n{country}{variables}",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        q(&slug(&stem)),
        q(&stem),
        q(&data_name),
        q(&ids[id_col]),
        q(&ids[name_col]),
    );
    Ok(CsvData {
        files: vec![
            (PathBuf::from(&data_name), data),
            (PathBuf::from("dataset.toml"), dataset.into_bytes()),
        ],
        numeric,
        notes,
    })
}

/// A workbook of one sheet (named `sheet` when Excel accepts the name, else
/// `data`) holding `header` and the cells of `rows` as they were read: numbers as
/// numbers, texts as texts, error cells as their text. Deterministic (a fixed
/// creation date). Returns its bytes and the sheet's name.
fn workbook_copy(sheet: &str, header: &[String], rows: &[&table::RawRow]) -> Result<(Vec<u8>, String)> {
    let xlsx = |e: rust_xlsxwriter::XlsxError| anyhow!("cannot write the copy of the workbook: {e}");
    let mut book = rust_xlsxwriter::Workbook::new();
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1).map_err(xlsx)?;
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let ws = book.add_worksheet();
    let name = if ws.set_name(sheet).is_ok() {
        sheet.to_string()
    } else {
        ws.set_name("data").map_err(xlsx)?;
        "data".to_string()
    };
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, h).map_err(xlsx)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let at = r as u32 + 1;
        for (c, x) in row.cells.iter().enumerate().take(header.len()) {
            let c = c as u16;
            match x {
                Cell::Empty => {}
                Cell::Number(n) => {
                    ws.write_number(at, c, *n).map_err(xlsx)?;
                }
                Cell::Text(t) => {
                    ws.write_string(at, c, t.as_str()).map_err(xlsx)?;
                }
                Cell::Error(t) => {
                    ws.write_string(at, c, t).map_err(xlsx)?;
                }
            }
        }
    }
    Ok((book.save_to_buffer().map_err(xlsx)?, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_titles() {
        assert_eq!(slug("My Ranking 2025"), "my-ranking-2025");
        assert_eq!(slug("__"), "my-ranking");
        assert_eq!(title("au-institute"), "Au Institute Index");
    }

    #[test]
    fn units_come_from_a_headers_closing_parentheses() {
        assert_eq!(unit_of("GDP (USD bn)"), "USD bn");
        assert_eq!(unit_of("Rate (per (1000))"), "per (1000)");
        assert_eq!(unit_of("Population (2020)"), "");
        assert_eq!(unit_of("PM2.5 (µg/m³)"), "µg/m³");
        assert_eq!(unit_of("Population"), "");
        assert_eq!(unit_of("odd)"), "");
    }

    #[test]
    fn headers_become_names_a_formula_can_use() {
        let mut taken = BTreeSet::new();
        let ids: Vec<String> = [
            "GDP per capita",
            "pop-density",
            "2020",
            "max",
            "Bevölkerung",
            "co2 (t)",
            "GDP per capita",
            "",
        ]
        .iter()
        .map(|h| variable_id(h, &mut taken))
        .collect();
        assert_eq!(
            ids,
            [
                "gdp_per_capita",
                "pop_density",
                "v_2020",
                "v_max",
                "bev_lkerung",
                "co2_t",
                "gdp_per_capita_2",
                "column"
            ]
        );
    }

    #[test]
    fn a_rust_crate_name_never_starts_with_a_digit() {
        let options = NewOptions {
            lang: Language::Rust,
            from: None,
            sheet: None,
            sdk: None,
        };
        let s = scaffold(Path::new("/tmp/2025-index"), &options).unwrap_or_else(|e| panic!("{e:#}"));
        let cargo = s
            .files
            .iter()
            .find(|(p, _)| p.ends_with("Cargo.toml"))
            .map(|(_, t)| String::from_utf8_lossy(t).into_owned())
            .unwrap_or_default();
        assert!(cargo.contains("name = \"m-2025-index\""), "{cargo}");
        // The methodology's id keeps the directory's name.
        let manifest = s
            .files
            .iter()
            .find(|(p, _)| p.ends_with("methodology.toml"))
            .map(|(_, t)| String::from_utf8_lossy(t).into_owned());
        assert!(manifest.unwrap_or_default().contains("id = \"2025-index\""));
    }

    #[test]
    fn dialects_are_read_from_the_header_and_the_cells() {
        let dialect =
            |text: &str| detect_dialect(text.as_bytes(), Path::new("x.csv")).unwrap_or_else(|e| panic!("{e:#}"));
        // Semicolons outside quotes outnumber the comma inside them; `0,5` is a
        // number only with decimal commas.
        let d = dialect("id;\"name, long\";x\na;A;0,5\n");
        assert_eq!((d.delimiter, d.decimal), (b';', ','));
        // A point written anywhere keeps decimal points.
        let d = dialect("id\tname\tx\ty\na\tA\t0,5\t1.5\n");
        assert_eq!((d.delimiter, d.decimal), (b'\t', '.'));
        // Commas: decimal commas are not guessed (a quoted `1,234` is a thousands separator as often).
        let d = dialect("id,name,x\na,A,\"1,5\"\n");
        assert_eq!((d.delimiter, d.decimal), (b',', '.'));
    }

    #[test]
    fn code_manifests_leave_the_transit_formula_to_the_code() {
        let m = code_manifest(MANIFEST);
        assert!(!m.contains("metro_km / population_k"), "{m}");
        assert!(m.contains("id = \"metro_km\""), "{m}");
        assert_ne!(m, MANIFEST);
    }
}
