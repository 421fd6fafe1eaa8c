//! Helpers shared by the end-to-end tests.
#![allow(dead_code, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_path_buf()
}

/// A `cityrank` command with its own compile cache (shared by the tests of one
/// binary, so a component is compiled once per test binary).
pub fn cityrank(cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cityrank"));
    cmd.env("CITYRANK_CACHE_DIR", cache).current_dir(root());
    cmd
}

/// Runs a command and returns its output.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("cityrank runs")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes `files` (name, text) into `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("the test directory is writable");
    }
}

/// A declarative manifest (no code): min-max onto 0–100, weighted arithmetic
/// means, missing values reweighted when the present ones carry at least half the
/// weight (`min_share` 0.5), tiers `top` (50%) and `bottom`. Each `(pillar,
/// indicators)` is a node of weight 1 under the index (`""`: the indicators sit
/// under the index itself); each indicator has weight 1, `direction = "higher"` and
/// takes the dataset variable of its own id.
pub fn declarative_manifest(pillars: &[(&str, &[&str])]) -> String {
    let mut m = String::from(
        "schema_version = 2\nid = \"test-method\"\nname = \"Test method\"\nversion = \"0.1.0\"\n\
         description = \"A methodology for tests.\"\n\n[index]\nid = \"index\"\nname = \"Index\"\n\n\
         [pipeline]\nnormalise = { method = \"min-max\", lo = 0.0, hi = 100.0 }\naggregate = { method = \"arithmetic\" }\n\
         missing = { policy = \"reweight\", min_share = 0.5 }\n",
    );
    for (pillar, indicators) in pillars {
        let parent = if pillar.is_empty() { "index" } else { pillar };
        if !pillar.is_empty() {
            m.push_str(&format!(
                "\n[[nodes]]\nid = \"{pillar}\"\nname = \"Pillar {pillar}\"\nparent = \"index\"\nweight = 1\n"
            ));
        }
        for i in *indicators {
            m.push_str(&format!(
                "\n[[indicators]]\nid = \"{i}\"\nname = \"Indicator {i}\"\nparent = \"{parent}\"\nweight = 1\n\
                 direction = \"higher\"\nunit = \"points\"\nfrom = \"{i}\"\n"
            ));
        }
    }
    m.push_str("\n[[tiers]]\nlabel = \"top\"\nupper_share = 0.5\n[[tiers]]\nlabel = \"bottom\"\nupper_share = 1.0\n");
    m
}

/// The description of the CSV `file` with the key columns `id`, `name` and
/// `country` (and `columns`: more TOML lines of `[columns]`), and a number variable
/// per id of `variables`.
pub fn dataset_description(file: &str, columns: &str, variables: &[&str]) -> String {
    let mut d = format!(
        "schema_version = 1\nid = \"test-data\"\ntitle = \"Made-up units for tests\"\nyear = 2024\nfile = \"{file}\"\n\n\
         [columns]\nid = \"id\"\nname = \"name\"\ncountry = \"country\"\n{columns}\n"
    );
    for v in variables {
        d.push_str(&format!("\n[[variables]]\nid = \"{v}\"\ntype = \"number\"\n"));
    }
    d
}

/// An edition (id `test-edition`, 2024) of `methodology.toml` on `dataset.toml`,
/// with `extra` TOML lines.
pub fn declarative_edition(extra: &str) -> String {
    format!(
        "schema_version = 1\nid = \"test-edition\"\nname = \"Test edition\"\nyear = 2024\n\
         methodology = \"methodology.toml\"\ndataset = \"dataset.toml\"\n{extra}\n"
    )
}

/// A copy of the edition file `edition` in `dir` whose methodology and dataset
/// are absolute paths, with `extra` appended; its path.
pub fn edition_copy(dir: &Path, edition: &str, extra: &str) -> PathBuf {
    let source = root().join(edition);
    let folder = source.parent().unwrap();
    let mut text = String::new();
    for line in std::fs::read_to_string(&source).unwrap().lines() {
        match line.split_once(" = ") {
            Some((key @ ("methodology" | "dataset"), value)) if !line.starts_with(' ') => {
                let path = folder.join(value.trim_matches('"'));
                text.push_str(&format!("{key} = \"{}\"\n", path.display()));
            }
            _ => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    text.push('\n');
    text.push_str(extra);
    let path = dir.join(source.file_name().unwrap());
    std::fs::write(&path, text).unwrap();
    path
}
