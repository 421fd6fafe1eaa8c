//! Authoring a methodology without Rust: declarative manifests and formulas,
//! Python and JavaScript plugins, `cityrank new`, contract versions side by side,
//! and errors that point into the author's files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

/// One compile cache for the tests of this file: a Python or JavaScript component
/// is compiled once, not once per test.
fn shared_cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

/// Runs an edition (`path[@variant]` relative to the repository) and returns its results.
fn results(cache: &Path, edition: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let o = output(
        cityrank(cache)
            .args(["run", edition, "--format", "json", "-o"])
            .arg(&out),
    );
    assert!(o.status.success(), "{edition}: {}", stderr(&o));
    serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
}

/// The parts of two results that must be identical when only the way the
/// methodology is written differs: every unit (scores of every node, ranks, tiers),
/// the framework with its weights, the tiers, the missing values.
fn assert_same_ranking(a: &Value, b: &Value, what: &str) {
    for key in ["units", "framework", "tiers", "missing", "imputed", "treatment"] {
        assert_eq!(a[key], b[key], "{what}: `{key}` differs");
    }
    // Scores are written as shortest round-trip decimals: equal text is equal bits.
    assert_eq!(a["units"][0]["score"], b["units"][0]["score"]);
}

#[test]
fn the_declarative_u4ssc_gives_the_rust_plugins_results_to_the_bit() {
    let cache = shared_cache();
    let rust = results(cache, "methodologies/las-2024.u4ssc.toml");
    let declarative = results(cache, "methodologies/las-2024.u4ssc-declarative.toml");
    assert_same_ranking(&rust, &declarative, "declarative");
    assert_eq!(declarative["methodology"]["kind"], "declarative");
    assert!(declarative["methodology"].get("contract").is_none());
    // Provenance: the hash of a declarative methodology is its manifest file's.
    let text = std::fs::read(root().join("plugins/u4ssc-declarative/methodology.toml")).unwrap();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&text))
    };
    assert_eq!(declarative["methodology"]["sha256"], sha.as_str());
    assert_eq!(rust["methodology"]["kind"], "component");
    assert_eq!(rust["methodology"]["contract"], "cityrank:methodology@0.2.0");
    // 62 cities, every one ranked (a sanity check on the comparison itself).
    assert_eq!(rust["units"].as_array().unwrap().len(), 62);
}

#[test]
fn components_built_against_contract_0_1_keep_loading_with_the_same_results() {
    let cache = shared_cache();
    let old = results(cache, "tests/fixtures/contract-0.1.0/las-2024.u4ssc.toml");
    let new = results(cache, "methodologies/las-2024.u4ssc.toml");
    assert_eq!(old["methodology"]["contract"], "cityrank:methodology@0.1.0");
    assert_same_ranking(&old, &new, "u4ssc 0.1.0 component");
    // Plugin-supplied steps: 0.1.0 reads its parameters (`winmax = 5`) from a JSON
    // string, 0.2.0 as typed values; the same treatment either way.
    let old = results(cache, "tests/fixtures/contract-0.1.0/las-2024.custom-steps.toml");
    let new = results(cache, "methodologies/las-2024.custom-steps.toml");
    assert_eq!(old["methodology"]["contract"], "cityrank:methodology@0.1.0");
    assert_eq!(new["methodology"]["contract"], "cityrank:methodology@0.2.0");
    assert_same_ranking(&old, &new, "custom-steps 0.1.0 component");
    assert_eq!(old["usage"]["calls"], new["usage"]["calls"]);
}

#[test]
fn one_version_literal_for_host_sdks_and_wit() {
    let host = std::fs::read_to_string(root().join("host/core/src/plugin.rs")).unwrap();
    let version = host
        .lines()
        .find_map(|l| l.strip_prefix("pub const CONTRACT_VERSION: &str = \""))
        .and_then(|l| l.strip_suffix("\";"))
        .expect("plugin.rs declares CONTRACT_VERSION");
    let wit = std::fs::read_to_string(root().join(format!("schemas/wit/since_v{version}/methodology.wit"))).unwrap();
    assert!(wit.contains(&format!("package cityrank:methodology@{version};")));
    let rust_sdk = std::fs::read_to_string(root().join("plugins/sdk/src/lib.rs")).unwrap();
    assert!(rust_sdk.contains(&format!("pub const CONTRACT_VERSION: &str = \"{version}\";")));
    assert!(rust_sdk.contains(&format!("schemas/wit/since_v{version}")));
    let python = std::fs::read_to_string(root().join("plugins/sdk-python/cityrank_sdk.py")).unwrap();
    assert!(python.contains(&format!("CONTRACT_VERSION = \"{version}\"")));
    let js = std::fs::read_to_string(root().join("plugins/sdk-js/cityrank-sdk.js")).unwrap();
    assert!(js.contains(&format!("CONTRACT_VERSION = \"{version}\"")));
    // Every released version is kept.
    for v in ["0.1.0", "0.2.0"] {
        assert!(
            root().join(format!("schemas/wit/since_v{v}/methodology.wit")).is_file(),
            "{v}"
        );
    }
}

/// Writes `files` (relative path, text) into a new temporary directory.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const DATASET: &str = "schema_version = 1\nid = \"d\"\ntitle = \"d\"\nyear = 2024\nfile = \"d.csv\"\n\n[columns]\nid = \"id\"\nname = \"name\"\n\n[[variables]]\nid = \"pop_k\"\ntype = \"number\"\n\n[[variables]]\nid = \"km\"\ntype = \"number\"\n\n[[variables]]\nid = \"region\"\ntype = \"text\"\n";
const CSV: &str = "id,name,pop_k,km,region\na,A,1000,50,x\nb,B,2000,0,x\nc,C,0,10,y\nd,D,500,,y\n";
const EDITION: &str =
    "schema_version = 1\nid = \"e\"\nname = \"E\"\nyear = 2024\nmethodology = \"m.toml\"\ndataset = \"d.toml\"\n";

fn manifest(indicators: &str) -> String {
    format!(
        "schema_version = 2\nid = \"m\"\nname = \"M\"\nversion = \"0.1.0\"\ndescription = \"d\"\n\n[index]\nid = \"index\"\nname = \"I\"\n\n{indicators}\n[[tiers]]\nlabel = \"all\"\nupper_share = 1.0\n"
    )
}

#[test]
fn formulas_compute_indicators_and_missing_values_propagate() {
    // km per million people = km / pop_k * 1000: a = 50, b = 0, c: pop 0 → no value
    // (guarded by `if`), d: km missing → missing.
    let m = manifest(
        "[[indicators]]\nid = \"transit\"\nname = \"T\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nformula = \"if(pop_k > 0, km / pop_k * 1000, missing)\"\nnormalise = { method = \"none\" }\n\n[[indicators]]\nid = \"pop\"\nname = \"P\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"k\"\nfrom = \"pop_k\"\nweight = 0\n",
    );
    let dir = project(&[("m.toml", &m), ("d.toml", DATASET), ("d.csv", CSV), ("e.toml", EDITION)]);
    let cache = shared_cache();
    let stages = dir.path().join("stages");
    let o = output(
        cityrank(cache)
            .arg("run")
            .arg(dir.path().join("e.toml"))
            .arg("--stages")
            .arg(&stages),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let raw = std::fs::read_to_string(stages.join("raw.csv")).unwrap();
    assert_eq!(raw, "id,transit,pop\na,50,1000\nb,0,2000\nc,,0\nd,,500\n", "{raw}");
}

#[test]
fn formula_problems_point_into_the_manifest() {
    // `popp_k` starts at column 17: `formula = "` is 11 characters and `km / ` 5 more.
    let m = manifest(
        "[[indicators]]\nid = \"transit\"\nname = \"T\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nformula = \"km / popp_k\"\n",
    );
    let line = m.lines().position(|l| l.starts_with("formula")).unwrap() + 1;
    let dir = project(&[("m.toml", &m), ("d.toml", DATASET), ("d.csv", CSV), ("e.toml", EDITION)]);
    let cache = shared_cache();
    let o = output(cityrank(cache).arg("run").arg(dir.path().join("e.toml")));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(&format!("m.toml:{line}:17: indicator `transit`: formula:")),
        "{err}"
    );
    assert!(err.contains("no variable `popp_k`"), "{err}");
    assert!(err.contains("did you mean `pop_k`?"), "{err}");
    // R's and Python's words for a missing value point at the language's own.
    let m = manifest(
        "[[indicators]]\nid = \"transit\"\nname = \"T\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nformula = \"if(pop_k > 0, km, NA)\"\n",
    );
    let dir = project(&[("m.toml", &m), ("d.toml", DATASET), ("d.csv", CSV), ("e.toml", EDITION)]);
    let o = output(cityrank(cache).arg("run").arg(dir.path().join("e.toml")));
    let err = stderr(&o);
    assert!(
        err.contains("`NA` is not a name here; a missing value is written `missing`"),
        "{err}"
    );

    // A syntax error, a typo in a direction and `from` with an expression: all
    // reported at once, each at its place, the indicator named by its id.
    let m = manifest(
        "[[indicators]]\nid = \"a\"\nname = \"A\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nformula = \"km / (pop_k * 2\"\n\n[[indicators]]\nid = \"b\"\nname = \"B\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nfrom = \"km * 2\"\n",
    );
    let dir = project(&[("m.toml", &m)]);
    let o = output(cityrank(cache).arg("validate").arg(dir.path().join("m.toml")));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("2 problems"), "{err}");
    assert!(err.contains("indicator `a`: formula:"), "{err}");
    assert!(
        err.contains("indicator `b`: from: `km * 2` is not a variable name"),
        "{err}"
    );
    assert!(err.contains("write `formula = \"km * 2\"` instead"), "{err}");

    let m = manifest(
        "[[indicators]]\nid = \"a\"\nname = \"A\"\nparent = \"index\"\ndirection = \"lowr\"\nunit = \"km\"\nfrom = \"km\"\nwieght = 2\n",
    );
    let dir = project(&[("m.toml", &m)]);
    let o = output(cityrank(cache).arg("validate").arg(dir.path().join("m.toml")));
    let err = stderr(&o);
    let direction = m.lines().position(|l| l.starts_with("direction")).unwrap() + 1;
    let weight = m.lines().position(|l| l.starts_with("wieght")).unwrap() + 1;
    assert!(
        err.contains(&format!(
            ":{direction}:13: indicator `a`: direction: \"lowr\" is not one of \"higher\", \"lower\""
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            ":{weight}:1: indicator `a`: 'wieght' is not a key here (unexpected); did you mean `weight`?"
        )),
        "{err}"
    );
}

#[test]
fn version_1_manifests_still_load_but_formulas_need_version_2() {
    // Version-1 manifests load as ever: the Python and JavaScript u4ssc plugins carry
    // one (see the four-ways test). One that uses a formula is told what to change.
    let cache = shared_cache();
    let m = manifest(
        "[[indicators]]\nid = \"a\"\nname = \"A\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nfrom = \"km\"\n",
    )
    .replace("schema_version = 2", "schema_version = 1");
    let dir = project(&[("m.toml", &m)]);
    let o = output(cityrank(cache).arg("validate").arg(dir.path().join("m.toml")));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("came with manifest version 2; set `schema_version = 2`"),
        "{err}"
    );
    assert!(err.contains("indicator `a`: from:"), "{err}");
}

#[test]
fn a_manifest_without_code_must_say_where_each_indicator_comes_from() {
    let m = manifest(
        "[[indicators]]\nid = \"a\"\nname = \"A\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\n",
    );
    let dir = project(&[("m.toml", &m)]);
    let cache = shared_cache();
    let o = output(cityrank(cache).arg("validate").arg(dir.path().join("m.toml")));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("indicator `a`"), "{err}");
    assert!(
        err.contains("give `from = \"<dataset variable>\"` or `formula = \"…\"`"),
        "{err}"
    );
}

#[test]
fn division_by_zero_is_a_warning_and_a_missing_value() {
    let m = manifest(
        "[[indicators]]\nid = \"transit\"\nname = \"T\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nformula = \"km / pop_k\"\n",
    );
    let dir = project(&[("m.toml", &m), ("d.toml", DATASET), ("d.csv", CSV), ("e.toml", EDITION)]);
    let cache = shared_cache();
    let o = output(cityrank(cache).arg("run").arg(dir.path().join("e.toml")));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("indicator `transit`: formula: gives no value for 1 of 4 units, the first `c`"),
        "{err}"
    );
    assert!(err.contains("warning: "), "{err}");
    assert!(err.contains("division by zero"), "{err}");
    assert!(err.contains("`if(d > 0, x / d, missing)`"), "{err}");
    // The results record the warning, naming the manifest as the edition does, so
    // that they are the same bytes run by an absolute path or from the edition's
    // directory (a path as the process opened it broke `cityrank verify`).
    let by_path = dir.path().join("by-path.json");
    let o = output(
        cityrank(cache)
            .arg("run")
            .arg(dir.path().join("e.toml"))
            .args(["--format", "json", "-o"])
            .arg(&by_path),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o =
        output(
            cityrank(cache)
                .current_dir(dir.path())
                .args(["run", "e.toml", "--format", "json", "-o", "here.json"]),
        );
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&by_path).unwrap();
    assert_eq!(bytes, std::fs::read(dir.path().join("here.json")).unwrap());
    let results: Value = serde_json::from_slice(&bytes).unwrap();
    let warning = results["warnings"][0].as_str().unwrap();
    // The formula is on line 17 of the manifest, its text from column 12.
    assert!(warning.starts_with("m.toml:17:12: "), "{warning}");
}

#[test]
fn validate_checks_an_edition_without_running_it() {
    let cache = shared_cache();
    let o = output(cityrank(cache).args(["validate", "methodologies/las-2024.u4ssc-declarative.toml"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("ok: edition las-2024-u4ssc-declarative"), "{out}");
    assert!(
        out.contains("15 indicators (7 from a variable, 8 by formula, 0 by code)"),
        "{out}"
    );
    assert!(out.contains("derived     15 indicators × 62 units"), "{out}");
    // A dataset lacking a formula's variable: refused, with the place in the manifest.
    let m = manifest(
        "[[indicators]]\nid = \"a\"\nname = \"A\"\nparent = \"index\"\ndirection = \"higher\"\nunit = \"km\"\nfrom = \"kms\"\n",
    );
    let dir = project(&[("m.toml", &m), ("d.toml", DATASET), ("d.csv", CSV), ("e.toml", EDITION)]);
    let o = output(cityrank(cache).arg("validate").arg(dir.path().join("e.toml")));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("did you mean `km`?"), "{}", stderr(&o));
}

/// `cityrank new` in `lang`, then the command it prints next, which must succeed.
fn new_and_run(lang: &str, extra: &[&str]) -> String {
    let cache = shared_cache();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("my-ranking");
    // As the README says it: a bare directory name, from the directory it goes in.
    let o = output(
        cityrank(cache)
            .current_dir(parent.path())
            .args(["new", "my-ranking", "--lang", lang])
            .args(extra),
    );
    assert!(o.status.success(), "new --lang {lang}: {}", stderr(&o));
    let printed = stdout(&o);
    let next = printed
        .lines()
        .find_map(|l| l.strip_prefix("next: cityrank "))
        .expect("new prints the next command");
    let args: Vec<&str> = next.split_whitespace().collect();
    let o = output(cityrank(cache).current_dir(parent.path()).args(&args));
    assert!(o.status.success(), "{lang}: `cityrank {next}` failed: {}", stderr(&o));
    // The edition also validates, its sensitivity analysis runs, and new refuses to
    // overwrite.
    let o = output(cityrank(cache).arg("validate").arg(dir.join("edition.toml")));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(
        cityrank(cache)
            .arg("sensitivity")
            .arg(dir.join("edition.toml"))
            .args(["--samples", "16"]),
    );
    assert!(o.status.success(), "sensitivity: {}", stderr(&o));
    let o = output(cityrank(cache).arg("new").arg(&dir));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
    stdout(&output(
        cityrank(cache)
            .args(["run", "--format", "csv"])
            .arg(dir.join("edition.toml")),
    ))
}

#[test]
fn new_toml_runs_as_created() {
    let csv = new_and_run("toml", &[]);
    // 15 sample cities, every one ranked.
    assert_eq!(csv.lines().count(), 16, "{csv}");
}

#[test]
fn new_rust_runs_as_created_outside_the_repository() {
    let csv = new_and_run("rust", &[]);
    assert_eq!(csv.lines().count(), 16, "{csv}");
}

#[test]
fn new_from_the_authors_csv() {
    let data = project(&[(
        "my data.csv",
        "city_id,city,country,internet_pct,pm25,note\nx1,X,AAA,50,10,a\nx2,Y,BBB,70,,b\nx3,Z,CCC,,30,c\n",
    )]);
    let csv = new_and_run("toml", &["--from", data.path().join("my data.csv").to_str().unwrap()]);
    assert_eq!(csv.lines().count(), 4, "{csv}");
}

#[test]
fn new_from_a_csv_with_the_headers_people_write() {
    // Spaces after commas, a header with quotes and one with a backslash, a
    // reserved word, a leading digit, a duplicate, no `id` column (the first
    // column with a distinct value per row is the id), and a blank row.
    let data = project(&[(
        "Städte 2024.csv",
        "city, country, \"GDP \"\"per\"\" capita\", max, 2020, pop\\k, pop\\k\nLagos, NGA, 5.5, 1, 2, 3, 4\nAbuja, NGA, 7, 2, 3, 4, 5\n,,,,,,\nAccra, GHA, 6, , 1, 2, 3\n",
    )]);
    let csv = new_and_run(
        "toml",
        &["--from", data.path().join("Städte 2024.csv").to_str().unwrap()],
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
}

#[test]
fn the_template_sample_is_what_its_recipe_derives() {
    let o = std::process::Command::new("python3")
        .arg(root().join("methodologies/data/recipe/template_sample.py"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn the_formula_reference_in_docs_is_the_crates_own() {
    let lib = std::fs::read_to_string(root().join("host/formula/src/lib.rs")).unwrap();
    let doc: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//! ").or_else(|| l.strip_prefix("//!")))
        .collect();
    let a = doc.iter().position(|l| *l == "# Language reference").unwrap();
    let b = doc.iter().position(|l| *l == "# Using the crate").unwrap();
    let mut text = doc[a + 1..b].join("\n").trim_matches('\n').to_string();
    // Rustdoc links [`X`] become plain `X`.
    while let Some(start) = text.find("[`") {
        let Some(len) = text[start..].find("`]") else { break };
        let inner = text[start + 2..start + len].to_string();
        text.replace_range(start..start + len + 2, &format!("`{inner}`"));
    }
    let docs = std::fs::read_to_string(root().join("docs/formulas.md")).unwrap();
    assert!(
        docs.ends_with(&format!("\n\n{text}\n")),
        "docs/formulas.md differs from the language reference in host/formula/src/lib.rs; regenerate it"
    );
}

#[test]
fn the_python_and_javascript_u4ssc_give_the_rust_plugins_results_to_the_bit() {
    let cache = shared_cache();
    let rust = results(cache, "methodologies/las-2024.u4ssc.toml");
    for lang in ["python", "js"] {
        let other = results(cache, &format!("methodologies/las-2024.u4ssc-{lang}.toml"));
        assert_same_ranking(&rust, &other, lang);
        assert_eq!(other["methodology"]["contract"], "cityrank:methodology@0.2.0");
        assert_eq!(other["methodology"]["kind"], "component");
    }
}

#[test]
fn new_python_runs_as_created() {
    let csv = new_and_run("python", &[]);
    assert_eq!(csv.lines().count(), 16, "{csv}");
}

#[test]
fn new_js_runs_as_created() {
    let csv = new_and_run("js", &[]);
    assert_eq!(csv.lines().count(), 16, "{csv}");
}

/// A plugin of `lang` whose derive fails as `code` says; the run's error.
fn failing_plugin(lang: &str, file: &str, code: &str) -> String {
    let cache = shared_cache();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("failing");
    let o = output(cityrank(cache).arg("new").arg(&dir).args(["--lang", lang]));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(dir.join("methodology").join(file), code).unwrap();
    let o = output(cityrank(cache).arg("run").arg(dir.join("edition.toml")));
    assert!(!o.status.success());
    stderr(&o)
}

#[test]
fn exceptions_in_python_and_javascript_become_errors_with_their_line() {
    let err = failing_plugin(
        "python",
        "methodology.py",
        "from cityrank_sdk import Methodology\n\n\nclass M(Methodology):\n    def derive(self, edition, data):\n        return {\"rapid_transit\": data[\"metro_kms\"]}\n",
    );
    assert!(err.contains("KeyError (methodology.py, line 6)"), "{err}");
    assert!(err.contains("no numeric column `metro_kms`"), "{err}");
    let err = failing_plugin(
        "js",
        "methodology.js",
        "import { Methodology } from \"cityrank-sdk\";\n\nexport default class M extends Methodology {\n  derive(edition, data) {\n    throw new RangeError(\"no such edition\");\n  }\n}\n",
    );
    assert!(err.contains("RangeError"), "{err}");
    assert!(err.contains("no such edition"), "{err}");
    // A syntax error is the build tool's own first error.
    let err = failing_plugin("python", "methodology.py", "class M(:\n");
    assert!(err.contains("building Python plugin"), "{err}");
    assert!(err.contains("SyntaxError"), "{err}");
}

#[test]
fn a_missing_toolchain_says_how_to_install_it() {
    let cache = shared_cache();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("p");
    let o = output(cityrank(cache).arg("new").arg(&dir).args(["--lang", "python"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(
        cityrank(cache)
            .arg("build")
            .arg(dir.join("methodology"))
            .env("CITYRANK_TOOLS", parent.path().join("no-tools"))
            .env("PATH", "/nonexistent"),
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("`componentize-py` is not installed"), "{err}");
    assert!(err.contains("bash tools/install-authoring-tools.sh"), "{err}");
}

/// The u4ssc component with its contract names rewritten to `version` (the same
/// length as `0.2.0`), and an edition running it.
fn u4ssc_as_version(cache: &Path, dir: &Path, version: &str) -> std::path::PathBuf {
    results(cache, "methodologies/las-2024.u4ssc.toml");
    let bytes = std::fs::read(root().join("plugins/u4ssc/u4ssc.component.wasm")).unwrap();
    let mut text = bytes.clone();
    for (from, to) in [
        (
            "cityrank:methodology/host@0.2.0",
            format!("cityrank:methodology/host@{version}"),
        ),
        (
            "cityrank:methodology/plugin@0.2.0",
            format!("cityrank:methodology/plugin@{version}"),
        ),
    ] {
        let (from, to) = (from.as_bytes(), to.as_bytes());
        assert_eq!(from.len(), to.len());
        let mut i = 0;
        while i + from.len() <= text.len() {
            if &text[i..i + from.len()] == from {
                text[i..i + from.len()].copy_from_slice(to);
                i += from.len();
            } else {
                i += 1;
            }
        }
    }
    assert_ne!(text, bytes);
    let component = dir.join(format!("u4ssc-{version}.wasm"));
    std::fs::write(&component, text).unwrap();
    let edition = dir.join(format!("e-{version}.toml"));
    std::fs::write(
        &edition,
        format!(
            "schema_version = 1\nid = \"e\"\nname = \"E\"\nyear = 2024\nmethodology = \"{}\"\ndataset = \"{}\"\n",
            component.display().to_string().replace('\\', "/"),
            root()
                .join("methodologies/data/las-2024/dataset.toml")
                .display()
                .to_string()
                .replace('\\', "/")
        ),
    )
    .unwrap();
    edition
}

#[test]
fn semver_compatible_contract_updates_load_and_later_ones_are_refused() {
    let cache = shared_cache();
    let dir = tempfile::tempdir().unwrap();
    let rust = results(cache, "methodologies/las-2024.u4ssc.toml");
    // 0.2.1: compatible with 0.2.0, loaded, the same results.
    let edition = u4ssc_as_version(cache, dir.path(), "0.2.1");
    let patched = results(cache, edition.to_str().unwrap());
    assert_eq!(patched["methodology"]["contract"], "cityrank:methodology@0.2.1");
    assert_same_ranking(&rust, &patched, "0.2.1");
    // 0.3.0: a later contract this host does not know.
    let edition = u4ssc_as_version(cache, dir.path(), "0.3.0");
    let o = output(cityrank(cache).arg("run").arg(&edition));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("it implements contract version 0.3.0"), "{err}");
    assert!(err.contains("update cityrank to run it"), "{err}");
}

#[test]
fn an_edition_where_a_methodology_is_expected_is_named_as_such() {
    let cache = shared_cache();
    for command in ["build", "inspect"] {
        let o = output(cityrank(cache).args([command, "methodologies/las-2024.toml"]));
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            err.contains("`methodologies/las-2024.toml` is an edition file, not a methodology; its methodology is"),
            "{command}: {err}"
        );
    }
}

#[test]
fn new_from_a_workbook_or_a_csv_in_another_dialect() {
    let cache = shared_cache();
    let data = tempfile::tempdir().unwrap();
    // The same three cities every time: GDP 1.5, 2.25, 3 and PM2.5 10, missing
    // (`n/a`), 30. By hand: min-max GDP → X 0, Y 50, Z 100; PM2.5 → X 0, Z 100, Y
    // none; the index (reweighted, min share 0.5) → X 0, Y 50 (GDP alone: half the
    // weight), Z 100.
    std::fs::write(
        data.path().join("Städte.csv"),
        "\u{feff}id;name;country;GDP (USD bn);pm25\r\nx1;X;AAA;1,5;10\r\nx2;Y;BBB;2,25;n/a\r\nx3;Z;CCC;3;30\r\n",
    )
    .unwrap();
    std::fs::write(
        data.path().join("cities.tsv"),
        "id\tname\tcountry\tGDP (USD bn)\tpm25\nx1\tX\tAAA\t1.5\t10\nx2\tY\tBBB\t2.25\tn/a\nx3\tZ\tCCC\t3\t30\n",
    )
    .unwrap();
    // A workbook whose data are on its second sheet, from B2, numbers as numbers.
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("notes").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("cities").unwrap();
    let rows: [[&str; 5]; 4] = [
        ["id", "name", "country", "GDP (USD bn)", "pm25"],
        ["x1", "X", "AAA", "1.5", "10"],
        ["x2", "Y", "BBB", "2.25", "n/a"],
        ["x3", "Z", "CCC", "3", "30"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16 + 1);
            match v.parse::<f64>() {
                Ok(x) => sheet.write_number(r, c, x).unwrap(),
                Err(_) => sheet.write_string(r, c, *v).unwrap(),
            };
        }
    }
    book.save(data.path().join("cities.xlsx")).unwrap();

    let cases: [(&str, &[&str], &str); 3] = [
        (
            "Städte.csv",
            &[],
            "file = \"st-dte.csv\"\ndelimiter = \";\"\ndecimal = \",\"\nmissing = [\"n/a\"]",
        ),
        (
            "cities.tsv",
            &[],
            "file = \"cities.csv\"\ndelimiter = \"\\t\"\nmissing = [\"n/a\"]",
        ),
        (
            "cities.xlsx",
            &["--sheet", "cities"],
            "file = \"cities.xlsx\"\nsheet = \"cities\"\nmissing = [\"n/a\"]",
        ),
    ];
    for (file, extra, described) in cases {
        let parent = tempfile::tempdir().unwrap();
        let o = output(
            cityrank(cache)
                .current_dir(parent.path())
                .args(["new", "my-ranking", "--from"])
                .arg(data.path().join(file))
                .args(extra),
        );
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let dir = parent.path().join("my-ranking");
        let description = std::fs::read_to_string(dir.join("data/dataset.toml")).unwrap();
        assert!(description.contains(described), "{file}: {description}");
        let o = output(
            cityrank(cache)
                .args(["run", "--format", "csv"])
                .arg(dir.join("edition.toml")),
        );
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let csv = stdout(&o);
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let (id, score) = (
            header.iter().position(|h| *h == "id").unwrap(),
            header.iter().position(|h| *h == "score").unwrap(),
        );
        let scores: Vec<(String, f64)> = csv
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[id].to_string(), f[score].parse().unwrap())
            })
            .collect();
        assert_eq!(
            scores,
            [
                ("x3".to_string(), 100.0),
                ("x2".to_string(), 50.0),
                ("x1".to_string(), 0.0)
            ],
            "{file}: {csv}"
        );
    }
    // A sheet is for workbooks.
    let parent = tempfile::tempdir().unwrap();
    let o = output(
        cityrank(cache)
            .current_dir(parent.path())
            .args(["new", "my-ranking", "--from"])
            .arg(data.path().join("cities.tsv"))
            .args(["--sheet", "cities"]),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--sheet is for workbooks"), "{}", stderr(&o));
}

/// A Python methodology that misbehaves as its edition's id says.
const HOSTILE_PY: &str = r#"import math

from cityrank_sdk import Methodology, log, ratio


def down(n):
    return down(n + 1) + 1


class Hostile(Methodology):
    def derive(self, edition, data):
        if edition == "loop":
            while True:
                pass
        if edition == "memory":
            blocks = []
            while True:
                blocks.append(bytearray(1 << 20))
        if edition == "huge-error":
            raise ValueError("\x1b[2Jcleared the screen; " + "x" * 50_000_000)
        if edition == "log-flood":
            for _ in range(10_000):
                log("y" * 10_240)
        if edition == "recursion":
            down(0)
        if edition == "short-column":
            return {"rapid_transit": [1.0]}
        if edition == "infinity":
            return {"rapid_transit": [math.inf] * len(data)}
        return {"rapid_transit": ratio(data["metro_km"], data["population_k"], 1000)}
"#;

/// The JavaScript twin of [`HOSTILE_PY`].
const HOSTILE_JS: &str = r#"import { Methodology, log, ratio } from "cityrank-sdk";

function down(n) {
  return down(n + 1) + 1;
}

export default class Hostile extends Methodology {
  derive(edition, data) {
    if (edition === "loop") for (;;) {}
    if (edition === "memory") {
      const blocks = [];
      for (;;) blocks.push(new Float64Array(1 << 17));
    }
    if (edition === "huge-error") throw new Error("\u001b[2Jcleared the screen; " + "x".repeat(50_000_000));
    if (edition === "log-flood") for (let i = 0; i < 10000; i++) log("y".repeat(10240));
    if (edition === "recursion") down(0);
    if (edition === "short-column") return { rapid_transit: [1] };
    if (edition === "infinity") return { rapid_transit: data.number("metro_km").map(() => Infinity) };
    return { rapid_transit: ratio(data.number("metro_km"), data.number("population_k"), 1000) };
  }
}
"#;

/// Hostile Python and JavaScript plugins (loops, memory growth, a 50 MB error
/// message with a terminal escape, a flood of log messages, unbounded recursion,
/// a short column, infinities): each is stopped with its own message, exit
/// status 1, no output file, a bounded stderr, and within the time and memory
/// bounds of the Rust hostile cases (`tests/sandbox.rs`: 60 s, 512 MiB).
#[test]
fn hostile_python_and_javascript_plugins_are_stopped() {
    let cache = shared_cache();
    for (lang, file, code) in [
        ("python", "methodology.py", HOSTILE_PY),
        ("js", "methodology.js", HOSTILE_JS),
    ] {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("hostile");
        let o = output(cityrank(cache).arg("new").arg(&dir).args(["--lang", lang]));
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::write(dir.join("methodology").join(file), code).unwrap();
        let edition = std::fs::read_to_string(dir.join("edition.toml")).unwrap();
        assert!(edition.contains("id = \"hostile-2024\""), "{edition}");
        // The well-behaved edition runs (and builds and compiles the component once).
        let o = output(cityrank(cache).arg("run").arg(dir.join("edition.toml")));
        assert!(o.status.success(), "{lang}: {}", stderr(&o));
        let who = "function `derive`: ";
        for (mode, limits, expected) in [
            ("loop", "fuel = 2_000_000_000", "ran out of fuel after 2000000000 units"),
            ("memory", "memory_mib = 64", "memory"),
            ("huge-error", "", "more bytes cut)"),
            (
                "log-flood",
                "",
                "more messages not kept (at most 200 messages and 64 KiB per call)",
            ),
            (
                "recursion",
                "",
                if lang == "python" {
                    "RecursionError"
                } else {
                    "stack overflow"
                },
            ),
            ("short-column", "", "column `rapid_transit` has 1 values for 15 units"),
            ("infinity", "", "column `rapid_transit` is infinite for unit `"),
        ] {
            let path = dir.join(format!("{mode}.toml"));
            let text = edition.replace("id = \"hostile-2024\"", &format!("id = \"{mode}\""));
            let text = if limits.is_empty() {
                text
            } else {
                format!("{text}\n[limits]\n{limits}\n")
            };
            std::fs::write(&path, text).unwrap();
            let out = parent.path().join(format!("{mode}.json"));
            let peak_file = parent.path().join("peak");
            let started = std::time::Instant::now();
            let o = output(
                cityrank(cache)
                    .arg("run")
                    .arg(&path)
                    .args(["--format", "json", "-o"])
                    .arg(&out)
                    .env("CITYRANK_PEAK_MEMORY_FILE", &peak_file),
            );
            let seconds = started.elapsed().as_secs_f64();
            let err = stderr(&o);
            // A flood of log messages is bounded, not an error: the run succeeds.
            let fails = mode != "log-flood";
            assert_eq!(
                o.status.code(),
                Some(if fails { 1 } else { 0 }),
                "{lang} {mode}: {}",
                &err[..err.len().min(2000)]
            );
            assert_eq!(out.exists(), !fails, "{lang} {mode}: a failed run left its output");
            let who = if fails { who } else { "plugin info: " };
            if !fails {
                // What the plugin warned about is in the results too.
                let results: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
                let warnings = results["warnings"].as_array().unwrap();
                assert!(
                    warnings.iter().any(|w| w.as_str().unwrap().starts_with("plugin warn: ")
                        && w.as_str().unwrap().contains("more messages not kept")),
                    "{lang}: {warnings:?}"
                );
            }
            assert!(err.len() < 64 << 10, "{lang} {mode}: {} bytes on stderr", err.len());
            assert!(!err.contains('\u{1b}'), "{lang} {mode}: an escape reached the terminal");
            assert!(
                err.contains(who) && err.contains(expected),
                "{lang} {mode}: expected `{expected}` in: {}",
                &err[..err.len().min(2000)]
            );
            assert!(seconds <= 60.0, "{lang} {mode}: {seconds:.1} s");
            let peak: f64 = std::fs::read_to_string(&peak_file).unwrap().trim().parse().unwrap();
            assert!(peak <= 512.0 * f64::from(1 << 20), "{lang} {mode}: peak {peak} bytes");
        }
    }
}
