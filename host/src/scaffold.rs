//! `cityrank new`: a new methodology that runs as created — a commented manifest,
//! a sample dataset (or the author's CSV) and an edition, in TOML only or with
//! code in Rust, Python or JavaScript.
//!
//! Layout of `DIR` (the manifest at the top for `--lang toml`, in `methodology/`
//! next to the code otherwise):
//!
//! ```text
//! DIR/edition.toml              the edition: methodology + dataset, variants, sensitivity
//! DIR/data/dataset.toml, *.csv  the dataset and its description
//! DIR/methodology.toml          (toml) the manifest
//! DIR/methodology/              (rust|python|js) methodology.toml and the code
//! DIR/README.md, .gitignore
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

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
    pub files: Vec<(PathBuf, String)>,
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
    /// The author's data (a CSV with a header row), instead of the sample.
    pub from_csv: Option<PathBuf>,
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
    let (manifest, dataset_files, edition) = match &options.from_csv {
        None => (fill(MANIFEST), sample_data(), fill(EDITION)),
        Some(csv) => {
            let data = from_csv(csv)?;
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
    let from_csv = options.from_csv.is_some();
    // The code languages compute `rapid_transit` in code: the manifest declares the
    // variables the code reads and leaves out the formula.
    let manifest = if code && !from_csv {
        code_manifest(&manifest)
    } else {
        manifest
    };
    files.push((PathBuf::from("edition.toml"), edition));
    for (path, text) in dataset_files {
        files.push((Path::new("data").join(path), text));
    }
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
    // What `new` writes must load: check the manifest and the dataset description
    // before anything is written (the author's headers made them).
    for (path, text) in &files {
        let origin = dir.join(path).display().to_string();
        if path.ends_with("methodology.toml") {
            crate::run::check_manifest(text, &origin, code)
                .with_context(|| "cityrank new made a manifest that does not load (a bug; please report it)")?;
        } else if path.ends_with("dataset.toml") {
            crate::schema::parse_toml::<crate::dataset::DatasetDescription>(text, &origin)
                .with_context(|| "cityrank new made a dataset description that does not load")?;
        }
    }
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
    let files: Vec<(PathBuf, Vec<u8>)> = scaffold
        .files
        .iter()
        .map(|(p, t)| (dir.join(p), t.clone().into_bytes()))
        .collect();
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

fn sample_data() -> Vec<(PathBuf, String)> {
    vec![
        (PathBuf::from("cities.csv"), SAMPLE_CSV.to_string()),
        (PathBuf::from("dataset.toml"), SAMPLE_DATASET.to_string()),
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
    files: Vec<(PathBuf, String)>,
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

/// Reads the author's CSV and describes it: the id, name and country columns by
/// their usual names (else the first column whose values are unique, and that
/// column), every column whose cells are all numbers (or empty) a numeric
/// variable, the rest text. Headers become names a formula can use (the copy of
/// the CSV gets them; the original text is kept as each variable's description).
fn from_csv(path: &Path) -> Result<CsvData> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let file = path.display();
    if bytes.starts_with(b"PK\x03\x04") {
        bail!("{file}: this is an Excel workbook, not a CSV file; save it as \"CSV UTF-8 (comma delimited)\" first");
    }
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("{file}: not UTF-8 text; save the file as CSV UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    let first = text.lines().next().unwrap_or_default();
    if !first.contains(',') && first.contains(';') {
        bail!(
            "{file}: the header is separated by `;`; cityrank reads comma-separated files: save as \"CSV UTF-8 \
             (comma delimited)\""
        );
    }
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow!("{file}: cannot read the header row: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.len() < 2 {
        bail!("{file}: expected a header row with an id column and at least one variable");
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    // The line each row starts on in the file (for messages).
    let mut lines: Vec<u64> = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let record = record.map_err(|e| anyhow!("{file}: record {}: {e}", k + 1))?;
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        lines.push(record.position().map_or(0, csv::Position::line));
        rows.push(cells);
    }
    if rows.is_empty() {
        bail!("{file}: no data rows below the header");
    }
    let cell = |r: &Vec<String>, c: usize| r.get(c).cloned().unwrap_or_default();
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
    let is_number = |v: &str| v.parse::<f64>().is_ok_and(f64::is_finite);
    // The id: a column named so, else the first text column with a different value
    // in every row (a rank or a count is not an id), else the first such column.
    let id_col = find(&["id", "code", "city_id", "unit_id", "city_code", "geoid", "fips", "nuts"])
        .filter(|&c| unique(c))
        .or_else(|| (0..header.len()).find(|&c| unique(c) && !rows.iter().all(|r| is_number(&cell(r, c)))))
        .or_else(|| (0..header.len()).find(|&c| unique(c)))
        .with_context(|| {
            format!("{file}: no column has a value for every row, different in each; add an `id` column")
        })?;
    if !unique(id_col) {
        bail!(
            "{file}: the id column `{}` has an empty or repeated value; give every row its own id",
            header[id_col]
        );
    }
    let name_col = find(&["name", "city", "city_name"]).unwrap_or(id_col);
    let country_col = find(&["country", "country_iso3", "iso3", "country_code"]).filter(|&c| c != id_col);
    // A column is numeric when it has numbers, and nothing else but empty cells.
    let first_text = |c: usize| {
        rows.iter()
            .zip(&lines)
            .map(|(r, &l)| (cell(r, c), l))
            .find(|(v, _)| !v.is_empty() && !is_number(v))
    };
    let mut taken = BTreeSet::new();
    let ids: Vec<String> = header.iter().map(|h| variable_id(h, &mut taken)).collect();
    let mut numeric = Vec::new();
    let mut texts = Vec::new();
    let mut variables = String::new();
    for (c, h) in header.iter().enumerate() {
        if c == id_col || c == name_col || Some(c) == country_col {
            continue;
        }
        let text = first_text(c);
        let empty = rows.iter().all(|r| cell(r, c).is_empty());
        let kind = if text.is_none() && !empty { "number" } else { "text" };
        let unit = unit_of(h);
        if kind == "number" {
            numeric.push((ids[c].clone(), h.clone(), unit.clone()));
        } else {
            texts.push(match text {
                Some((v, line)) => format!("`{h}` (line {line} has `{v}`)"),
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
    notes.push(format!(
        "{} numeric column{} became indicators, each `direction = \"higher\"` (higher is better) for now: \
         check each one",
        numeric.len(),
        if numeric.len() == 1 { "" } else { "s" }
    ));
    if !texts.is_empty() {
        notes.push(format!(
            "{} column{} read as text, not indicators: {}; numbers need a decimal point `.`, no thousands \
             separators, and an empty cell where a value is missing",
            texts.len(),
            if texts.len() == 1 { " is" } else { "s are" },
            texts.join(", ")
        ));
    }
    if numeric.is_empty() {
        bail!(
            "{file}: no column has only numbers; a methodology needs numeric variables (decimal point `.`, no \
             thousands separators)"
        );
    }
    // The copy of the data, with the new header.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&ids)?;
    for r in &rows {
        w.write_record((0..header.len()).map(|c| cell(r, c)))?;
    }
    let data = String::from_utf8(w.into_inner().map_err(|e| anyhow!("cannot write the CSV: {e}"))?)?;
    let stem = path
        .file_stem()
        .map_or_else(|| "data".to_string(), |n| n.to_string_lossy().into_owned());
    let csv_name = format!("{}.csv", slug(&stem));
    let country = country_col.map_or(String::new(), |c| format!("country = {}\n", q(&ids[c])));
    let dataset = format!(
        "# The description of {csv_name} (a copy of {}, its headers made into names a formula\n\
         # can use): which columns identify a unit, and every variable.\n\
         schema_version = 1\nid = {}\ntitle = {}\nyear = 2024   # the data's year\nfile = {}\n\n\
         [columns]\nid = {}\nname = {}\n{country}{variables}",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        q(&slug(&stem)),
        q(&stem),
        q(&csv_name),
        q(&ids[id_col]),
        q(&ids[name_col]),
    );
    Ok(CsvData {
        files: vec![
            (PathBuf::from(&csv_name), data),
            (PathBuf::from("dataset.toml"), dataset),
        ],
        numeric,
        notes,
    })
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
            from_csv: None,
            sdk: None,
        };
        let s = scaffold(Path::new("/tmp/2025-index"), &options).unwrap_or_else(|e| panic!("{e:#}"));
        let cargo = s
            .files
            .iter()
            .find(|(p, _)| p.ends_with("Cargo.toml"))
            .map(|(_, t)| t.as_str())
            .unwrap_or_default();
        assert!(cargo.contains("name = \"m-2025-index\""), "{cargo}");
        // The methodology's id keeps the directory's name.
        let manifest = s
            .files
            .iter()
            .find(|(p, _)| p.ends_with("methodology.toml"))
            .map(|(_, t)| t.as_str());
        assert!(manifest.unwrap_or_default().contains("id = \"2025-index\""));
    }

    #[test]
    fn code_manifests_leave_the_transit_formula_to_the_code() {
        let m = code_manifest(MANIFEST);
        assert!(!m.contains("metro_km / population_k"), "{m}");
        assert!(m.contains("id = \"metro_km\""), "{m}");
        assert_ne!(m, MANIFEST);
    }
}
