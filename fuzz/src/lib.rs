//! Fuzzing harnesses: every parser of a file a user writes and of what a plugin
//! returns, each a function of arbitrary bytes that must return (an error is
//! fine) and never panic, overflow its stack or hang.
//!
//! - AFL++ (coverage-guided, on the pinned stable toolchain through cargo-afl)
//!   runs them: `bash tools/fuzz.sh TARGET SECONDS` (see that script);
//! - `cargo test` replays every committed input of `fuzz/corpus/TARGET/` (the
//!   seeds, and each input a fuzzer once found to fail, kept as a regression).
//!
//! [`TARGETS`] names them.

use std::path::Path;

use cityrank_core::diagnostic::Source;
use cityrank_core::methodology::Manifest;

/// A harness: arbitrary bytes in; it must return (an error is fine), never panic.
pub type Harness = fn(&[u8]);

/// Every harness, by name: the target names of `tools/fuzz.sh` and the corpus
/// folders.
pub const TARGETS: [(&str, Harness); 9] = [
    ("manifest", manifest),
    ("edition", edition),
    ("dataset-description", dataset_description),
    ("csv", csv),
    ("xlsx", xlsx),
    ("formula", formula),
    ("published", published),
    ("panel", panel),
    ("plugin-table", plugin_table),
];

/// Runs the harness `name` on `data`; `false` when there is no such harness.
pub fn run(name: &str, data: &[u8]) -> bool {
    match TARGETS.iter().find(|(n, _)| *n == name) {
        Some((_, f)) => {
            f(data);
            true
        }
        None => false,
    }
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A methodology manifest: TOML, the schema, the framework tree, the formulas.
pub fn manifest(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(m) = cityrank_core::schema::parse_toml::<Manifest>(text, "methodology.toml") else {
        return;
    };
    let _ = m.framework();
    let _ = cityrank_core::formulas::Formulas::parse(&m, &Source::new("methodology.toml", text));
}

/// Writes `data` as `name` in a fresh temporary directory (for the loaders that
/// read files) and gives the directory and the file's path.
fn file(name: &str, data: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, data).expect("a temporary file");
    (dir, path)
}

/// An edition file (its TOML, schema, variants, limits, panel and sensitivity
/// tables; the files it names do not exist, which is an error like any other).
pub fn edition(data: &[u8]) {
    let (_dir, path) = file("edition.toml", data);
    let _ = cityrank_core::edition::ResolvedEdition::load(&path, &Default::default());
}

/// A dataset description, over a small valid CSV file.
pub fn dataset_description(data: &[u8]) {
    let (dir, path) = file("dataset.toml", data);
    std::fs::write(dir.path().join("units.csv"), "id,name,country,x\na,A,AA,1\nb,B,BB,2\n").expect("a file");
    let _ = cityrank_core::dataset::Dataset::load(&path);
}

/// The description every CSV and workbook harness reads its data with: an id,
/// a name, a country, a group, a year and two variables (a number with a range,
/// a text), in a declared dialect.
fn description(file: &str) -> cityrank_core::dataset::DatasetDescription {
    cityrank_core::schema::parse_toml(&description_text(file), "dataset.toml")
        .expect("the harness's own description is valid")
}

/// The text of [`description`].
fn description_text(file: &str) -> String {
    format!(
        "schema_version = 1\nid = \"fuzz\"\ntitle = \"fuzz\"\nyear = 2024\nfile = \"{file}\"\n\
         missing = [\"NA\", \"..\"]\n\
         [columns]\nid = \"id\"\nname = \"name\"\ncountry = \"country\"\ngroups = [\"g\"]\n\
         [[variables]]\nid = \"x\"\ntype = \"number\"\nmin = -1e6\nmax = 1e6\n\
         [[variables]]\nid = \"label\"\ntype = \"text\"\n"
    )
}

/// A CSV data file, read and checked against a description, from memory and
/// from a file (streamed: scanned in 64 KiB blocks, parsed and hashed row by
/// row): both must give the same dataset and hash, or both refuse it.
pub fn csv(data: &[u8]) {
    use cityrank_core::dataset::Dataset;
    let from_bytes = Dataset::from_bytes(description("units.csv"), data, "units.csv".into());
    let (dir, _) = file("units.csv", data);
    std::fs::write(dir.path().join("dataset.toml"), description_text("units.csv")).expect("a file");
    let from_file = Dataset::load(&dir.path().join("dataset.toml"));
    match (from_bytes, from_file) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.units, b.units, "units differ between memory and file");
            assert_eq!(a.texts, b.texts, "texts differ between memory and file");
            assert_eq!(a.sha256, b.sha256, "hashes differ between memory and file");
            let bits = |d: &Dataset| -> Vec<(String, Vec<u64>)> {
                d.numbers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.iter().map(|x| x.to_bits()).collect()))
                    .collect()
            };
            assert_eq!(bits(&a), bits(&b), "numbers differ between memory and file");
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "memory and file disagree: {:?} / {:?}",
            a.map(|_| "read"),
            b.map(|_| "read")
        ),
    }
}

/// A workbook (calamine: xlsx, ods, xls by their bytes), read and checked.
pub fn xlsx(data: &[u8]) {
    let _ = cityrank_core::dataset::Dataset::from_bytes(description("units.xlsx"), data, "units.xlsx".into());
}

/// A formula: parsed, bound to three variables, evaluated on five units.
pub fn formula(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(f) = cityrank_formula::Formula::parse(text) else {
        return;
    };
    let scope = cityrank_formula::Scope::new(["a", "b", "c"]).with_constants([("k", 2.5)]);
    let Ok(bound) = f.bind_scope(&scope) else { return };
    let a = [1.0, -2.0, 0.0, f64::NAN, 1e300];
    let b = [0.0, 3.5, -0.0, 7.0, -1e-300];
    let c = [f64::NAN, 1.0, 2.0, 3.0, 4.0];
    let _ = bound.eval(&[&a, &b, &c], 5);
}

/// A published ranking (CSV) to compare results with.
pub fn published(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(p) = cityrank_analysis::published::PublishedFile::parse(text, "published.csv") {
        let _ = p.rankings();
    }
}

/// An expert panel file (`expert,node,kind,a,b,value`).
pub fn panel(data: &[u8]) {
    let (_dir, path) = file("panel.csv", data);
    let _ = cityrank_core::experts::Panel::load(&path, None);
}

/// What a plugin's `derive` may return: a table decoded from the bytes (units,
/// column ids and values chosen by them), checked against a manifest of two
/// indicators and three units.
pub fn plugin_table(data: &[u8]) {
    use cityrank_core::plugin::{Column, Table};
    let manifest_text = "schema_version = 2\nid = \"m\"\nname = \"M\"\nversion = \"0.1.0\"\ndescription = \"d\"\n\
         [index]\nid = \"index\"\nname = \"I\"\n\
         [[indicators]]\nid = \"x\"\nname = \"X\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"1\"\n\
         [[indicators]]\nid = \"y\"\nname = \"Y\"\nparent = \"index\"\ndirection = \"lower\"\nunit = \"1\"\n\
         [[tiers]]\nlabel = \"all\"\nupper_share = 1.0\n";
    let manifest: Manifest =
        cityrank_core::schema::parse_toml(manifest_text, "m").expect("the harness's own manifest is valid");
    let formulas =
        cityrank_core::formulas::Formulas::parse(&manifest, &Source::new("m", manifest_text)).expect("no formulas");
    let units: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    // Bytes → table: a unit count and ids, then columns of an id and values.
    let mut bytes = data.iter().copied();
    let mut next = || bytes.next();
    let id = |next: &mut dyn FnMut() -> Option<u8>| -> String {
        let n = next().unwrap_or(0) % 8;
        (0..n).filter_map(|_| next().map(|b| char::from(b % 0x80))).collect()
    };
    let n_units = usize::from(next().unwrap_or(3) % 6);
    let table_units: Vec<String> = (0..n_units)
        .map(|k| match next().unwrap_or(0) % 4 {
            0 => units.get(k).cloned().unwrap_or_default(),
            _ => id(&mut next),
        })
        .collect();
    let mut numbers = Vec::new();
    while let Some(kind) = next() {
        let id = match kind % 3 {
            0 => "x".to_string(),
            1 => "y".to_string(),
            _ => id(&mut next),
        };
        let len = usize::from(next().unwrap_or(0) % 6);
        let values = (0..len)
            .map(|_| {
                let raw: [u8; 8] = std::array::from_fn(|_| next().unwrap_or(0));
                f64::from_le_bytes(raw)
            })
            .collect();
        numbers.push(Column { id, values });
    }
    let table = Table {
        units: table_units,
        numbers,
        texts: Vec::new(),
    };
    let _ = cityrank_core::run::check_derived(&manifest, &formulas, &units, table, "fuzz.wasm");
}

/// The committed inputs of `target`: the seeds `fuzz/corpus/<target>/*` and the
/// regressions `fuzz/regressions/<target>/*` (inputs fuzzing found to fail).
pub fn corpus(target: &str) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut inputs = inputs_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target));
    inputs.extend(inputs_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions").join(target),
    ));
    inputs
}

fn inputs_in(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("a corpus file");
            (p, bytes)
        })
        .collect()
}
