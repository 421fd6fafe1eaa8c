//! End to end: bad input gets a clear error naming what and where, a non-zero
//! exit, no panic, and no output file left behind (cases found by an adversarial
//! review of the CLI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;

/// Copies the ASEM dataset into `dir`, with `edit` applied to its CSV text, and
/// writes an edition for it (plus `extra` TOML) as `dir/edition.toml`.
fn asem_edition(dir: &Path, extra: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let data = root().join("methodologies/data/asem-2018");
    for f in ["dataset.toml", "SOURCES.md"] {
        std::fs::copy(data.join(f), dir.join(f)).unwrap();
    }
    let csv = std::fs::read_to_string(data.join("units.csv")).unwrap();
    std::fs::write(dir.join("units.csv"), edit(csv)).unwrap();
    let edition = dir.join("edition.toml");
    std::fs::write(
        &edition,
        format!(
            "schema_version = 1\nid = \"asem-x\"\nname = \"x\"\nyear = 2018\nmethodology = \"{}\"\n\
             dataset = \"dataset.toml\"\n{extra}",
            root().join("plugins/asem").display()
        ),
    )
    .unwrap();
    edition
}

fn fails(o: &std::process::Output, expected: &str) {
    assert!(!o.status.success(), "should fail; stdout: {}", stdout(o));
    let e = stderr(o);
    assert!(e.contains(expected), "expected `{expected}` in: {e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn sensitivity_sizes_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let asem = "methodologies/asem-2018.toml";
    // N · (d + 2) overflows: an error, not a capacity-overflow panic.
    let o = output(cityrank(&cache).args([
        "sensitivity",
        asem,
        "--design",
        "mc",
        "--samples",
        "18446744073709551615",
    ]));
    fails(&o, "exceed the limit of 10000000 builds");
    let o = output(cityrank(&cache).args(["sensitivity", asem, "--samples", "8", "--threads", "100000"]));
    fails(&o, "--threads: at most 256");
}

#[test]
fn a_failed_write_leaves_no_stage_files() {
    let dir = tempfile::tempdir().unwrap();
    let blocked = dir.path().join("results");
    std::fs::create_dir(&blocked).unwrap();
    let stages = dir.path().join("stages");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .args(["run", "methodologies/asem-2018.toml", "--stages"])
            .arg(&stages)
            .arg("-o")
            .arg(&blocked),
    );
    fails(&o, "it is a directory");
    let left: Vec<_> = std::fs::read_dir(&stages)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "stage files left behind: {left:?}");
}

#[test]
fn values_and_weights_that_would_overflow_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // Austria's LPI (4.097985 in COINr's data) set to 1e200: its square overflows.
    let edition = asem_edition(dir.path(), "", |csv| csv.replacen(",4.097985,", ",1e200,", 1));
    let o = output(cityrank(&cache).arg("run").arg(&edition));
    fails(&o, "column `LPI` is 1e200 for unit `AUT`, beyond ±1e60");

    let sub = dir.path().join("w");
    std::fs::create_dir(&sub).unwrap();
    let edition = asem_edition(&sub, "[variants.big]\nweights = { Conn = 1e300 }\n", |csv| csv);
    let o = output(cityrank(&cache).arg("run").arg(&edition).args(["--variant", "big"]));
    fails(&o, "weight: 1e300 (node `Conn`) is above 1e12");
}

#[test]
fn duplicates_and_csv_lines() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // A blank line and a quoted line break before a bad cell: the error gives the
    // line the record starts on in the file (line 6 here: header 1, AUT 2, blank 3,
    // BEL 4–5 with its name over two lines, BGR 6).
    let edition = asem_edition(dir.path(), "", |csv| {
        let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
        lines[2] = lines[2].replacen("BEL,Belgium,", "BEL,\"Bel\ngium\",", 1);
        lines[3] = lines[3].replacen(",110879.0,", ",zzz,", 1);
        lines.insert(2, String::new());
        lines.join("\n") + "\n"
    });
    let o = output(cityrank(&cache).arg("run").arg(&edition));
    fails(&o, "line 6");

    let sub = dir.path().join("p");
    std::fs::create_dir(&sub).unwrap();
    let edition = asem_edition(
        &sub,
        "tiers = [{ label = \"a\", upper_share = 0.5 }, { label = \"a\", upper_share = 1.0 }]\n",
        |csv| csv,
    );
    let o = output(cityrank(&cache).arg("run").arg(&edition));
    // Line 7, the second `label` value at column 56; the tier named by its label.
    fails(
        &o,
        "edition.toml:7:56: tier `a`: label: `a` is already the label of tiers[0]",
    );
}

/// A methodology from another institution cannot make the host recurse without
/// end or hold gigabytes: a manifest nested 100,000 deep is a located syntax
/// error quoting a bounded part of its line, and one of 40 MB is refused before
/// it is read; both exit 1, print little and write nothing.
#[test]
fn deeply_nested_and_enormous_manifests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = declarative_manifest(&[("p", &["a"])]);
    std::fs::write(dir.path().join("d.csv"), "id,name,country,a\nu1,U1,X,1\nu2,U2,Y,2\n").unwrap();
    std::fs::write(
        dir.path().join("dataset.toml"),
        dataset_description("d.csv", "", &["a"]),
    )
    .unwrap();
    std::fs::write(dir.path().join("edition.toml"), declarative_edition("")).unwrap();
    let out = dir.path().join("out.json");
    let run = || {
        output(
            cityrank(&dir.path().join("cache"))
                .arg("run")
                .arg(dir.path().join("edition.toml"))
                .args(["--format", "json", "-o"])
                .arg(&out),
        )
    };
    std::fs::write(
        dir.path().join("methodology.toml"),
        format!("{base}\nx = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let err = stderr(&o);
    assert!(err.len() < 1_000, "{} bytes", err.len());
    assert!(err.contains("invalid TOML: cannot recurse further"), "{err}");
    std::fs::write(
        dir.path().join("methodology.toml"),
        format!("{base}\n# {}\n", "x".repeat(40 << 20)),
    )
    .unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let err = stderr(&o);
    assert!(err.len() < 1_000, "{} bytes", err.len());
    assert!(err.contains("the manifest is 40.0 MiB; the limit is 16 MiB"), "{err}");
}
