//! The committed JSON Schemas match the host's types, and invalid documents fail
//! with messages that name the file and the key path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use cityrank::documents;
use cityrank::schema;
use common::*;

#[test]
fn committed_schemas_match_the_types() {
    // Regenerate with `cargo run -- schema --write schemas` after changing a type.
    for doc in documents::all() {
        let path = root().join("schemas").join(doc.file_name());
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == doc.schema_text(),
            "{} is out of date: run `cargo run -p cityrank -- schema --write schemas`",
            path.display()
        );
    }
}

#[test]
fn schema_command_prints_each_schema() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(dir.path()).args(["schema", "results"]));
    assert!(o.status.success());
    assert_eq!(stdout(&o), documents::named("results").unwrap().schema_text());
    let o = output(cityrank(dir.path()).args(["schema", "nope"]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no schema named `nope`"));
}

#[test]
fn invalid_edition_names_file_and_key_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "schema_version = 1\nid = \"bad\"\nname = \"Bad\"\nyear = 2024\nmethodology = \"x\"\n\
         dataset = \"y\"\n[limits]\nfuel = \"lots\"\n",
    )
    .unwrap();
    let o = output(cityrank(dir.path()).arg("run").arg(&path));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    // One problem: file, line and column (`fuel = "lots"` is line 8, the value at column 8).
    assert!(
        err.contains(&format!(
            "{}:8:8: limits.fuel: \"lots\" is not of types \"null\", \"integer\"",
            path.display()
        )),
        "{err}"
    );

    std::fs::write(&path, "schema_version = 1\nid = \"bad\"\nname = \"Bad\"\nyear = 2024\nmethodology = \"x\"\ndataset = \"y\"\ncolour = 3\n").unwrap();
    let err = stderr(&output(cityrank(dir.path()).arg("run").arg(&path)));
    assert!(
        err.contains(
            "bad.toml:7:1: (top level): 'colour' is not a key here (unexpected); the keys here are `dataset`, \
             `description`, `experts`, `id`"
        ),
        "{err}"
    );
}

const MANIFEST: &str = r#"
schema_version = 1
id = "m"
name = "M"
version = "0.1.0"
description = "d"
inputs = [{ id = "x", type = "number" }]
index = { id = "index", name = "Index" }
nodes = [{ id = "p", name = "P", parent = "index" }]
indicators = [{ id = "x", name = "X", parent = "p", direction = "higher", unit = "1" }]
tiers = [{ label = "all", upper_share = 1.0 }]
"#;

fn manifest_error(text: &str) -> String {
    let parsed: Result<cityrank::methodology::Manifest, _> = schema::parse_toml(text, "manifest of plugin `m.wasm`");
    match parsed {
        Ok(m) => m
            .framework()
            .map(|_| ())
            .map_err(|e| e.to_string())
            .expect_err("invalid manifest accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_manifest_passes() {
    let m: cityrank::methodology::Manifest = schema::parse_toml(MANIFEST, "m").unwrap();
    let f = m.framework().unwrap();
    assert_eq!(f.nodes.len(), 3);
}

#[test]
fn invalid_manifests_name_the_key_path() {
    let err = manifest_error(&MANIFEST.replace("direction = \"higher\"", "direction = \"up\""));
    // Line 10 is the `indicators = [...]` line; the direction's value is at column 65.
    assert!(
        err.contains(
            "manifest of plugin `m.wasm`:10:65: indicator `x`: direction: \"up\" is not one of \"higher\", \"lower\""
        ),
        "{err}"
    );

    let err = manifest_error(
        &MANIFEST
            .replace("weight", "x")
            .replace("parent = \"index\" }", "parent = \"index\", weight = -1 }"),
    );
    assert!(
        err.contains("node `p`: weight: -1 is less than the minimum of 0"),
        "{err}"
    );

    let err = manifest_error(&MANIFEST.replace("parent = \"p\"", "parent = \"q\""));
    assert!(
        err.contains("indicators[0].parent: no node `q`; parents can be `index`, `p`"),
        "{err}"
    );

    let err = manifest_error(&MANIFEST.replace("upper_share = 1.0", "upper_share = 0.5"));
    assert!(
        err.contains("tiers[0].upper_share: the last tier must end at 1.0"),
        "{err}"
    );

    let err = manifest_error(&MANIFEST.replace("parent = \"p\", direction", "parent = \"p\", weight = 0, direction"));
    assert!(
        err.contains("the weights of the children of `p` sum to 0; give at least one a positive weight"),
        "{err}"
    );
}

/// The tree's own problems (cycles, childless nodes, weights) are all reported at
/// once, each on its line with its key path, as the per-key checks are.
#[test]
fn every_problem_of_the_tree_is_reported_at_once() {
    let text = r#"
schema_version = 1
id = "m"
name = "M"
version = "0.1.0"
description = "d"
inputs = [{ id = "x", type = "number" }, { id = "y", type = "number" }, { id = "z", type = "number" }]
index = { id = "index", name = "Index" }
nodes = [
  { id = "p", name = "P", parent = "index" },
  { id = "empty", name = "Empty", parent = "index" },
  { id = "a", name = "A", parent = "b" },
  { id = "b", name = "B", parent = "a" },
  { id = "c", name = "C", parent = "b" },
]
indicators = [
  { id = "x", name = "X", parent = "p", direction = "higher", unit = "1", weight = 2e12 },
  { id = "y", name = "Y", parent = "p", direction = "higher", unit = "1", weight = 0 },
  { id = "z", name = "Z", parent = "c", direction = "higher", unit = "1" },
]
tiers = [{ label = "all", upper_share = 1.0 }]
"#;
    let err = manifest_error(text);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 5, "{err}");
    for expected in [
        "nodes[2].parent: `b` is part of a cycle of parents (`a` → `b` → `a`); the tree must lead up to `index`",
        "nodes[3].parent: `a` is part of a cycle of parents (`b` → `a` → `b`); the tree must lead up to `index`",
        "nodes[4].parent: `b` is in a cycle of parents (`b` → `a` → `b`); the tree must lead up to `index`",
        "nodes[1]: node `empty` has no children; hang indicators under it or remove it",
        "indicators[0].weight: 2e12 (node `x`) is above 1e12",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "missing `{expected}` in:\n{err}"
        );
    }
    // Weights 2e12 and 0 do not sum to 0; a duplicate id stops the tree's checks
    // (their findings would be consequences of the duplicate).
    let dup = text.replace(r#"{ id = "empty", name = "Empty""#, r#"{ id = "p", name = "Empty""#);
    let err = manifest_error(&dup);
    assert!(
        err.contains("nodes[1].id: id `p` is already used at nodes[0].id"),
        "{err}"
    );
    assert!(!err.contains("cycle"), "{err}");
}

/// A TOML syntax error is shown bounded and escaped, whatever the line: a deeply
/// nested value (the parser's depth limit, not a crash) in a line of 200,000
/// characters, and a line holding terminal escapes (a plugin's manifest is
/// foreign text).
#[test]
fn toml_syntax_errors_are_bounded_and_escaped() {
    let deep = format!("deep = {}{}\n{MANIFEST}", "[".repeat(100_000), "]".repeat(100_000));
    let err = manifest_error(&deep);
    assert!(err.len() < 600, "{} bytes: {}", err.len(), &err[..600.min(err.len())]);
    assert!(err.starts_with("manifest of plugin `m.wasm`:1:"), "{err}");
    assert!(err.contains("invalid TOML") && err.contains("recursion"), "{err}");
    assert!(err.contains("\n  | …[[[[") && err.contains("[[[[…\n"), "{err}");

    let err = manifest_error(&format!("{MANIFEST}\nname2 = \"\u{1b}[2J\" oops\n"));
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(err.contains("name2 = \"\\u{1b}[2J\" oops"), "{err}");
    // The caret stands under the column the error names.
    let lines: Vec<&str> = err.lines().collect();
    let column: usize = lines[0].split(':').nth(2).unwrap().parse().unwrap();
    let shown = lines[1].strip_prefix("  | ").unwrap();
    let caret = lines[2].strip_prefix("  | ").unwrap();
    assert_eq!(caret.trim_start().len(), 1, "{err}");
    let under: String = shown.chars().skip(caret.len() - 1).take(4).collect();
    // `name2 = "` (9 characters), ESC [ 2 J (4), `"` and a space: `oops` is at 16.
    assert!(
        column == 16 && under.starts_with("oops"),
        "column {column}, caret under `{under}`: {err}"
    );
}
