//! The sandbox against hostile and broken plugins: each case asserts the one
//! message the user sees, a non-zero exit, that no output file was written, and
//! that the process stayed within a time and a memory bound (see [`fails`]).
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

/// The hostile plugin, built once for every test (so that the bounds of
/// [`fails`] time the run, not cargo).
fn hostile_built() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        cityrank::build::build_if_stale(&cityrank::edition::PluginSource::Crate(
            root().join("tests/plugins/hostile"),
        ))
        .unwrap();
    });
}

/// What a hostile case may cost the machine that runs it, at most: wall time
/// (a debug build, the plugin already built and compiled to native code in a
/// fresh cache: Cranelift's time counts) and the process's peak resident memory
/// (the plugin's default memory limit is 256 MiB; the host's own share is tens of MiB).
const MAX_SECONDS: f64 = 60.0;
const MAX_PEAK_MIB: f64 = 512.0;

/// Runs the edition with `--output`, expects failure, returns stderr's error
/// line; checks the exit status, that no output was written, and that the run
/// stayed within [`MAX_SECONDS`] and [`MAX_PEAK_MIB`].
fn fails(dir: &Path, edition: &Path, extra: &[&str]) -> String {
    hostile_built();
    let out = dir.join("out.json");
    let peak_file = dir.join("peak-memory");
    let started = std::time::Instant::now();
    let o = output(
        cityrank(&dir.join("cache"))
            .arg("run")
            .arg(edition)
            .args(["--format", "json", "--output"])
            .arg(&out)
            .args(extra)
            .env("CITYRANK_PEAK_MEMORY_FILE", &peak_file),
    );
    let seconds = started.elapsed().as_secs_f64();
    assert!(!o.status.success(), "expected a failure, got: {}", stdout(&o));
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.exists(), "a failed run must not leave an output file");
    assert!(seconds <= MAX_SECONDS, "{}: {seconds:.1} s", edition.display());
    let peak: f64 = std::fs::read_to_string(&peak_file).unwrap().trim().parse().unwrap();
    assert!(
        peak / f64::from(1 << 20) <= MAX_PEAK_MIB,
        "{}: peak memory {:.0} MiB",
        edition.display(),
        peak / f64::from(1 << 20)
    );
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

/// A component whose compilation would be expensive is refused before it is
/// compiled: above 64 MiB, or with more than 200,000 functions (compiling costs
/// time in proportion to the code, and no fuel bounds it).
#[test]
fn components_that_would_be_expensive_to_compile_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut huge = wat("exports-nothing.wat");
    huge.resize(65 << 20, 0);
    let err = fails(dir.path(), &component_edition(dir.path(), "huge.wasm", &huge), &[]);
    assert!(
        err.contains("plugin `huge.wasm` is refused: it is 65.0 MiB; the limit is 64 MiB"),
        "{err}"
    );
    let many = format!("(component (core module {}))", "(func)".repeat(200_001));
    let err = fails(
        dir.path(),
        &component_edition(dir.path(), "many.wasm", &wat::parse_str(many).unwrap()),
        &[],
    );
    assert!(
        err.contains("plugin `many.wasm` is refused: it holds 200001 functions; the limit is 200000"),
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

/// The compile cache holds native code, loaded without validation: an entry is
/// used only when it is whole (its checksum) and nobody else could have written
/// it (owner and mode of the entry and its directory); a truncated or damaged
/// entry is recompiled and rewritten, never loaded.
#[cfg(unix)]
#[test]
fn the_compile_cache_uses_only_whole_entries_of_its_own() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let edition = hostile_edition(dir.path(), "well-behaved", "");
    let run = || {
        let o = output(cityrank(&cache).arg("run").arg(&edition).args(["--format", "json"]));
        assert!(o.status.success(), "{}", stderr(&o));
        let err = stderr(&o);
        (o.stdout, err)
    };
    let (expected, _) = run();
    let entry = std::fs::read_dir(&cache).unwrap().next().unwrap().unwrap().path();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        (mode(&cache), mode(&entry)),
        (0o700, 0o600),
        "private directory and entry"
    );
    let whole = std::fs::read(&entry).unwrap();
    assert!(
        whole.ends_with(b"crcache1"),
        "an entry ends with its checksum and marker"
    );
    let inode = || std::fs::metadata(&entry).unwrap().ino();
    // Used as it is: not rewritten.
    let before = inode();
    assert_eq!(run().0, expected);
    assert_eq!(inode(), before, "a whole entry is loaded, not rewritten");
    // Truncated, then one bit flipped: recompiled (same results) and rewritten whole.
    let mut flipped = whole.clone();
    flipped[whole.len() / 2] ^= 0x01;
    for damaged in [&whole[..whole.len() / 2], &flipped[..]] {
        std::fs::write(&entry, damaged).unwrap();
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o600)).unwrap();
        let before = inode();
        assert_eq!(run().0, expected);
        assert_ne!(inode(), before, "a damaged entry is replaced");
        assert_eq!(std::fs::read(&entry).unwrap().len(), whole.len());
        assert!(std::fs::read(&entry).unwrap().ends_with(b"crcache1"));
    }
    // An entry others can write is not trusted: recompiled and replaced.
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    let before = inode();
    assert_eq!(run().0, expected);
    assert_ne!(inode(), before);
    assert_eq!(mode(&entry), 0o600);
    // A directory others can write is not used at all, and the user is told.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = inode();
    let (out, err) = run();
    assert_eq!(out, expected);
    assert!(
        err.contains("can be written by others (mode 777); make it private: chmod go-w")
            && err.contains("compiled plugins are not cached"),
        "{err}"
    );
    assert_eq!(inode(), before, "nothing written to it");
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
    // At most 64 KiB of messages per call: the plugin's own "derive for `log-flood`"
    // (22 bytes), then messages of 10,240 bytes, each cut to 4,096 bytes plus
    // " […] (6144 more bytes cut)" (28 bytes: `…` is 3) = 4,124 bytes; 22 + 15 × 4,124
    // = 61,882 ≤ 65,536 < 22 + 16 × 4,124, so 15 are kept and 10,000 − 15 = 9,985 counted.
    assert!(err.len() < 70 << 10, "{} bytes on stderr", err.len());
    // A failed call shows its last 5 messages: 4 floods and the count.
    assert_eq!(err.matches("plugin info: yyyy").count(), 4);
    assert!(
        err.contains("9985 more messages not kept (at most 200 messages and 64 KiB per call)"),
        "{}",
        &err[err.len().saturating_sub(600)..]
    );
    assert!(err.contains(&format!(" […] ({} more bytes cut)", (10 << 10) - 4096)));
}

/// Memory asked for in one block, and in many small ones: stopped at the limit.
#[test]
fn memory_in_one_block_or_many_small_ones_stops_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &hostile_edition(dir.path(), "one-block", ""), &[]);
    assert!(
        err.contains("memory limit exceeded") && err.contains("but the limit is 256.0 MiB"),
        "{err}"
    );
    let edition = hostile_edition(dir.path(), "small-allocations", "[limits]\nmemory_mib = 32");
    let err = fails(dir.path(), &edition, &[]);
    assert!(
        err.contains("memory limit exceeded") && err.contains("but the limit is 32.0 MiB"),
        "{err}"
    );
}

/// A finite recursion deeper than the stack is stopped as the endless one is.
#[test]
fn deep_recursion_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &hostile_edition(dir.path(), "deep-recursion", ""), &[]);
    assert!(err.contains("usually a stack overflow"), "{err}");
}

/// Tables that do not match what the plugin was given: each named, with the fix.
#[test]
fn tables_that_do_not_match_the_input_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let who = "plugin `hostile.component.wasm`, function `derive`: ";
    for (mode, expected) in [
        ("short-column", "column `x` has 2 values for 3 units".to_string()),
        ("duplicate-column", "returned column `x` twice".to_string()),
        (
            "missing-column",
            "returned no column for indicator `x` of the manifest (or give it `from` or `formula` in the manifest)"
                .to_string(),
        ),
        (
            "reordered-units",
            "returned unit `c` at position 1 where the input has `a`; keep the input's units in their order"
                .to_string(),
        ),
        (
            "renamed-unit",
            "returned unit `someone-else` at position 2 where the input has `b`; keep the input's units in their order"
                .to_string(),
        ),
        (
            "infinity",
            "column `x` is infinite for unit `a`; return NaN for a missing value".to_string(),
        ),
    ] {
        let err = fails(dir.path(), &hostile_edition(dir.path(), mode, ""), &[]);
        assert!(err.contains(&format!("{who}{expected}")), "{mode}: {err}");
    }
}

/// A column id of any length holding terminal escapes is shown bounded and
/// escaped: a plugin cannot flood the terminal or clear it through an id.
#[test]
fn a_column_id_cannot_flood_or_control_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &hostile_edition(dir.path(), "control-id", ""), &[]);
    assert!(err.len() < 1_000, "{} bytes", err.len());
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(err.contains("returned column `\\u{1b}[2J\\u{1b}[Hzzz"), "{err}");
    // The id: 7 bytes of escapes (`ESC [ 2 J`, `ESC [ H`) and 2^20 `z`; the first
    // 100 characters are shown: 7 + 1,048,576 − 100 = 1,048,483 bytes cut.
    assert!(
        err.contains("… (1048483 more bytes)`, which is not an indicator of the manifest"),
        "{err}"
    );
}

/// A NaN with a payload is a missing value like any other: the results are
/// byte for byte those of the canonical NaN (NaN payloads are canonicalised and
/// never reach the output).
#[test]
fn a_nan_payload_is_just_a_missing_value() {
    hostile_built();
    let dir = tempfile::tempdir().unwrap();
    let run = |mode: &str| {
        let o = output(
            cityrank(&dir.path().join("cache"))
                .arg("run")
                .arg(hostile_edition(dir.path(), mode, ""))
                .args(["--format", "csv"]),
        );
        assert!(o.status.success(), "{mode}: {}", stderr(&o));
        o.stdout
    };
    let canonical = run("nan");
    assert_eq!(run("nan-payload"), canonical);
    // Unit a has no value: b and c are ranked (b first), a is not.
    let csv = String::from_utf8(canonical).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("1,all,b,"), "{csv}");
}

/// Two plugin crates of one name, each a member of its own workspace, built
/// with one shared `CARGO_TARGET_DIR` (the newcomer case
/// `shared-target-dir-stale-plugin`): each edition runs its own crate's code,
/// whatever ran before. A build's output is keyed by the plugin's location, and
/// the artifact cargo reports is checked to be this crate's.
#[test]
fn crates_of_one_name_never_run_each_others_code() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared-target");
    let cache = dir.path().join("cache");
    let mut editions = Vec::new();
    for side in ["a", "b"] {
        let workspace = dir.path().join(side);
        let project = workspace.join("ranking");
        std::fs::create_dir_all(&workspace).unwrap();
        let o = output(cityrank(&cache).arg("new").arg(&project).args(["--lang", "rust"]));
        assert!(o.status.success(), "{}", stderr(&o));
        // The plugin becomes a member of the side's workspace, with a name of its own.
        std::fs::write(
            workspace.join("Cargo.toml"),
            "[workspace]\nresolver = \"2\"\nmembers = [\"ranking/methodology\"]\n",
        )
        .unwrap();
        let crate_toml = project.join("methodology/Cargo.toml");
        let text = std::fs::read_to_string(&crate_toml).unwrap();
        let text = text
            .replace("\n[workspace]\n", "\n")
            .replace("[profile.release]\nopt-level = \"s\"\n", "");
        std::fs::write(&crate_toml, text).unwrap();
        let manifest = project.join("methodology/methodology.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            text.replace("name = \"Ranking Index\"", &format!("name = \"Ranking {side}\"")),
        )
        .unwrap();
        editions.push((side, project.join("edition.toml")));
    }
    for (side, edition) in [&editions[0], &editions[1], &editions[0]] {
        let o = output(
            cityrank(&cache)
                .arg("run")
                .arg(edition)
                .args(["--format", "json"])
                .env("CARGO_TARGET_DIR", &shared),
        );
        assert!(o.status.success(), "{side}: {}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["methodology"]["name"], format!("Ranking {side}"), "{side}");
    }
}

/// Copies what a build of the repository's Rust plugins reads (the workspace's
/// manifests and sources, no build output) from `from` to `to`.
fn copy_sources(from: &Path, to: &Path) {
    let skip = |name: &str| {
        ["target", ".git", ".tools", "node_modules", "__pycache__"].contains(&name) || name.contains(".component.")
    };
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip(&name) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_sources(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A Rust plugin builds to the same bytes from a copy of the repository at
/// another path, started from another directory: the flags are cityrank's own
/// (not cargo's configuration found from where it runs) and source paths are
/// remapped (`/plugin`, `/cargo`).
#[test]
fn a_plugin_builds_to_the_same_bytes_at_any_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut digests = Vec::new();
    // The first copy is built as a user in it would (a relative path, from the
    // copy's root), the second by its absolute path from `/`.
    for (copy, start) in [("first/cityrank", "first/cityrank"), ("second-place/x", "/")] {
        let repo = dir.path().join(copy);
        std::fs::create_dir_all(&repo).unwrap();
        copy_sources(&root(), &repo);
        let plugin = match start {
            "/" => repo.join("plugins/u4ssc"),
            _ => PathBuf::from("plugins/u4ssc"),
        };
        let o = output(
            cityrank(&dir.path().join("cache"))
                .current_dir(dir.path().join(start))
                .arg("build")
                .arg(plugin),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let bytes = std::fs::read(repo.join("plugins/u4ssc/u4ssc.component.wasm")).unwrap();
        digests.push(cityrank::digest::sha256_hex(&bytes));
    }
    let ours = cityrank::build::build_if_stale(&cityrank::edition::PluginSource::Crate(root().join("plugins/u4ssc")))
        .unwrap()
        .component;
    digests.push(cityrank::digest::sha256_hex(std::fs::read(ours).unwrap()));
    assert!(digests.iter().all(|d| *d == digests[0]), "{digests:?}");
}
