//! The sandbox against hostile and broken plugins: each case asserts the one
//! message the user sees, a non-zero exit, and that no output file was written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Writes an edition running the hostile fixture plugin with behaviour `id`.
fn hostile_edition(dir: &Path, id: &str, limits: &str) -> PathBuf {
    let root = root();
    let text = format!(
        "schema_version = 1\nid = \"{id}\"\nname = \"hostile {id}\"\nyear = 2024\n\
         methodology = \"{}\"\ndataset = \"{}\"\n{limits}\n",
        root.join("tests/plugins/hostile").display(),
        root.join("tests/fixtures/tiny/dataset.toml").display(),
    );
    let path = dir.join(format!("{id}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the edition with `--output`, expects failure, returns stderr.
fn fails(dir: &Path, edition: &Path, extra: &[&str]) -> String {
    let out = dir.join("out.json");
    let o = output(
        cityrank(&dir.join("cache"))
            .arg("run")
            .arg(edition)
            .args(["--format", "json", "--output"])
            .arg(&out)
            .args(extra),
    );
    assert!(!o.status.success(), "expected a failure, got: {}", stdout(&o));
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists(), "a failed run must not leave an output file");
    let err = stderr(&o);
    // One clear message: the last line is the error; cargo's build output may precede it.
    err.lines()
        .rfind(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in: {err}"))
        .to_string()
}

#[test]
fn well_behaved_plugin_runs() {
    let dir = tempfile::tempdir().unwrap();
    let edition = hostile_edition(dir.path(), "well-behaved", "");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("run")
            .arg(&edition)
            .args(["--format", "csv"]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // x = 1, 3, 2 → min-max 0, 100, 50 → ranks b, c, a.
    let csv = stdout(&o);
    let ids: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap()).collect();
    assert_eq!(ids, ["b", "c", "a"]);
    assert!(
        csv.lines().nth(1).unwrap().starts_with("1,all,b,Beta,BBB,100,"),
        "{csv}"
    );
}

#[test]
fn infinite_loop_stops_on_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let edition = hostile_edition(dir.path(), "loop", "[limits]\nfuel = 50_000_000");
    let err = fails(dir.path(), &edition, &[]);
    assert!(
        err.contains("plugin `hostile.component.wasm`, function `derive`: ran out of fuel after 50000000 units"),
        "{err}"
    );
    // The flag overrides the edition's limit.
    let err = fails(dir.path(), &edition, &["--fuel", "2000000"]);
    assert!(err.contains("ran out of fuel after 2000000 units"), "{err}");
}

#[test]
fn memory_growth_stops_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let edition = hostile_edition(dir.path(), "oom", "[limits]\nmemory_mib = 16");
    let err = fails(dir.path(), &edition, &[]);
    assert!(
        err.contains("function `derive`: memory limit exceeded: the plugin asked to grow its memory to"),
        "{err}"
    );
    assert!(err.contains("but the limit is 16.0 MiB"), "{err}");
}

#[test]
fn panic_is_reported_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let edition = hostile_edition(dir.path(), "panic", "");
    let err = fails(dir.path(), &edition, &[]);
    assert!(
        err.contains("function `derive`: the plugin panicked: panic at tests/plugins/hostile/src/lib.rs:"),
        "{err}"
    );
    assert!(err.ends_with(": deliberate panic in derive"), "{err}");
}

#[test]
fn stack_overflow_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let edition = hostile_edition(dir.path(), "stack-overflow", "");
    let err = fails(dir.path(), &edition, &[]);
    assert!(err.contains("function `derive`: out-of-bounds memory access"), "{err}");
    assert!(err.contains("usually a stack overflow"), "{err}");
}

#[test]
fn output_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let edition = hostile_edition(dir.path(), "huge-output", "[limits]\noutput_mib = 8");
    let err = fails(dir.path(), &edition, &[]);
    // 4,000,000 × 8 bytes = 30.5 MiB of values, above 8 MiB.
    assert!(
        err.contains("returned 30.5 MiB of data, above the output limit of 8.0 MiB"),
        "{err}"
    );
}

#[test]
fn plugin_errors_and_bad_tables_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &hostile_edition(dir.path(), "error", ""), &[]);
    assert!(
        err.contains("the plugin reported an error: the data of this edition are not usable"),
        "{err}"
    );
    let err = fails(dir.path(), &hostile_edition(dir.path(), "extra-column", ""), &[]);
    assert!(
        err.contains("returned column `surprise`, which is not an indicator of the manifest"),
        "{err}"
    );
}

/// Writes an edition whose methodology is the component `bytes`.
fn component_edition(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let component = dir.join(name);
    std::fs::write(&component, bytes).unwrap();
    let text = format!(
        "schema_version = 1\nid = \"x\"\nname = \"x\"\nyear = 2024\nmethodology = \"{}\"\ndataset = \"{}\"\n",
        component.display(),
        root().join("tests/fixtures/tiny/dataset.toml").display()
    );
    let path = dir.join("edition.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn wat(name: &str) -> Vec<u8> {
    wat::parse_file(root().join("tests/fixtures/wat").join(name)).unwrap()
}

#[test]
fn wasi_and_unknown_imports_are_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        dir.path(),
        &component_edition(dir.path(), "wasi.wasm", &wat("imports-wasi.wat")),
        &[],
    );
    assert!(
        err.contains(
            "plugin `wasi.wasm` is refused: it imports `wasi:filesystem/types@0.2.0`, but plugins get no capabilities"
        ),
        "{err}"
    );
    let err = fails(
        dir.path(),
        &component_edition(dir.path(), "evil.wasm", &wat("imports-unknown.wat")),
        &[],
    );
    assert!(
        err.contains("plugin `evil.wasm` is refused: it imports `steal-secrets`"),
        "{err}"
    );
}

#[test]
fn non_components_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        dir.path(),
        &component_edition(dir.path(), "garbage.wasm", b"this is not wasm at all"),
        &[],
    );
    assert!(
        err.contains("plugin `garbage.wasm` is refused: it is not a WebAssembly file"),
        "{err}"
    );
    let err = fails(
        dir.path(),
        &component_edition(dir.path(), "core.wasm", &wat("core-module.wat")),
        &[],
    );
    assert!(
        err.contains("plugin `core.wasm` is refused: it is a core WebAssembly module, not a component"),
        "{err}"
    );
    // A valid header followed by garbage.
    let mut broken = wat("exports-nothing.wat");
    broken.extend_from_slice(b"\x01\x02garbage");
    let err = fails(dir.path(), &component_edition(dir.path(), "broken.wasm", &broken), &[]);
    assert!(
        err.contains("plugin `broken.wasm` is refused: it is not a valid WebAssembly component"),
        "{err}"
    );
}

#[test]
fn components_without_the_contract_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        dir.path(),
        &component_edition(dir.path(), "empty.wasm", &wat("exports-nothing.wat")),
        &[],
    );
    assert!(
        err.contains("plugin `empty.wasm` is refused: it does not export `cityrank:methodology/plugin`"),
        "{err}"
    );
    let err = fails(
        dir.path(),
        &component_edition(dir.path(), "future.wasm", &wat("future-contract.wat")),
        &[],
    );
    assert!(
        err.contains(
            "it implements contract version 9.0.0 (`cityrank:methodology/plugin@9.0.0`), but this host supports \
             versions 0.1.0, 0.2.0 (and their 0.x.y updates); update cityrank to run it"
        ),
        "{err}"
    );
}

#[test]
fn compiled_components_are_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let edition = hostile_edition(dir.path(), "well-behaved", "");
    for _ in 0..2 {
        let o = output(cityrank(&cache).arg("run").arg(&edition));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries.len(), 1, "one compiled component: {entries:?}");
    let name = entries[0].to_string_lossy().into_owned();
    assert!(name.ends_with(".cwasm") && name.len() == 64 + 1 + 16 + 6, "{name}");
}

/// A plugin step built from the host's own step library gives the host's results
/// bit for bit: COINr's treatment (moments in SIMD lanes, the portable logarithm)
/// in the sandbox and natively, on columns that are left alone, winsorised and
/// log-transformed, with missing values and odd lengths.
#[test]
fn plugin_treatment_is_bit_identical_to_native() {
    let dir = tempfile::tempdir().unwrap();
    let built = cityrank::build::build_if_stale(&cityrank::edition::PluginSource::Crate(
        root().join("plugins/custom-steps"),
    ))
    .unwrap();
    let sandbox = cityrank::sandbox::Sandbox::new(Some(dir.path().to_path_buf())).unwrap();
    let plugin = sandbox.load_component(&built.component).unwrap();
    let n = 201;
    let columns: Vec<Vec<f64>> = vec![
        // A power law: winsorising 5 points cannot tame it, so it is logged.
        (1..=n)
            .map(|u| if u == 7 { f64::NAN } else { 1.0 / (u as f64).powi(2) })
            .collect(),
        // Mirrored: negative skew, logged by COINr's sign-blind log_CT.
        (1..=n).map(|u| -1.0 / (u as f64).powi(2)).collect(),
        // Two outliers on a smooth spread: winsorised.
        (0..n)
            .map(|u| {
                if u < 2 {
                    1e3 + u as f64
                } else {
                    (u as f64 * 0.37).sin() * 10.0
                }
            })
            .collect(),
        // Already symmetric: untouched.
        (0..n).map(|u| (u as f64 * 1.3).cos()).collect(),
    ];
    let params: cityrank::methodology::PluginParams = [("winmax".to_string(), serde_json::json!(5))].into();
    let request = cityrank::sandbox::StepCall {
        step: "treat",
        method: "coinr",
        params: &params,
        node: "",
        data: cityrank::sandbox::Table {
            units: (0..n).map(|u| format!("u{u}")).collect(),
            numbers: columns
                .iter()
                .enumerate()
                .map(|(i, c)| cityrank::sandbox::Column {
                    id: format!("c{i}"),
                    values: c.clone(),
                })
                .collect(),
            texts: Vec::new(),
        },
    };
    use cityrank::plugin::Plugin as _;
    let (out, _) = plugin.run_step(&cityrank::sandbox::Limits::default(), request).unwrap();
    let mut transforms = Vec::new();
    for (c, got) in columns.iter().zip(&out.numbers) {
        let (native, report) =
            cityrank_steps::treat::treat(c, &cityrank_steps::treat::Treatment::COINR_DEFAULT).unwrap();
        transforms.push(report.transform.as_str());
        assert_eq!(got.values.len(), native.len());
        for (u, (a, b)) in got.values.iter().zip(&native).enumerate() {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{}[{u}]: plugin {a:e}, native {b:e}",
                got.id
            );
        }
    }
    assert_eq!(transforms, ["log", "log", "winsorised", "none"]);
}

/// What a plugin can make the host print is bounded, says how much was cut, and
/// cannot drive the terminal: a 100 MB error message with an escape sequence that
/// clears the screen, and a flood of 10,000 log messages of 10 KB.
#[test]
fn a_plugin_cannot_flood_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("run")
            .arg(hostile_edition(dir.path(), "huge-error", "[limits]\nmemory_mib = 512"))
            .args(["--format", "json", "-o"])
            .arg(&out),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists());
    let err = stderr(&o);
    // 4,096 bytes kept of 104,857,600 + 32: the rest is counted.
    assert!(err.len() < 16 << 10, "{} bytes on stderr", err.len());
    assert!(!err.contains('\u{1b}'), "an escape character reached the terminal");
    assert!(
        err.contains("\\u{1b}[2Jcleared the screen"),
        "{}",
        &err[..err.len().min(300)]
    );
    // The message's first 4,096 bytes are kept: the 24-byte prefix (ESC is one
    // byte) and 4,072 x's; 104,857,600 + 24 − 4,096 bytes are cut.
    let prefix = "\u{1b}[2Jcleared the screen; ".len();
    assert_eq!(prefix, 24);
    assert!(err.contains(&"x".repeat(4072)) && !err.contains(&"x".repeat(4073)));
    let cut = (100 << 20) + prefix - 4096;
    assert!(
        err.contains(&format!(" […] ({cut} more bytes cut)")),
        "{}",
        &err[err.len().saturating_sub(400)..]
    );

    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("run")
            .arg(hostile_edition(dir.path(), "log-flood", ""))
            .args(["--format", "json", "-o"])
            .arg(&out),
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.len() < 64 << 10, "{} bytes on stderr", err.len());
    // 200 messages kept (the first is the plugin's own "derive for …"), the other
    // 10,000 − 199 counted; each kept one cut to 4,096 of its 10,240 bytes.
    assert!(
        err.contains("9801 more messages not kept (at most 200 per call)"),
        "{}",
        &err[err.len().saturating_sub(600)..]
    );
    assert!(err.contains(&format!(" […] ({} more bytes cut)", (10 << 10) - 4096)));
}
