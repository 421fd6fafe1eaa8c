//! Building a plugin crate into a methodology component.
//!
//! `cargo build --release --target wasm32-unknown-unknown` produces a core module;
//! `wit-component` turns it into a component (the `wasm32-wasip2` target would drag
//! in WASI imports, which the sandbox refuses). The component is written next to
//! the crate (`<crate>.component.wasm`) with a fingerprint of every input, so a run
//! rebuilds only when a source file changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use cityrank_core::diagnostic::Source;
use cityrank_core::edition::PluginSource;

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// Compiler flags of every plugin build: 128-bit SIMD, which the sandbox runs
/// deterministically (relaxed SIMD stays off) and the step library uses for its
/// hottest reductions. `.cargo/config.toml` sets the same for builds by hand.
pub const RUSTFLAGS: &str = "-C target-feature=+simd128";

/// A built component.
#[derive(Debug, Clone)]
pub struct Built {
    /// Path of the component file.
    pub component: PathBuf,
    /// Whether it was (re)built now, rather than found up to date.
    pub rebuilt: bool,
}

/// Builds a plugin (a Rust crate, a Python or a JavaScript plugin directory)
/// unless its component is up to date. Errors: a source that is not a plugin
/// directory; the build tool's own first error when the build fails.
pub fn build_if_stale(source: &PluginSource) -> Result<Built> {
    build_source(source, false)
}

/// Builds a plugin unconditionally.
pub fn build_now(source: &PluginSource) -> Result<Built> {
    build_source(source, true)
}

fn build_source(source: &PluginSource, force: bool) -> Result<Built> {
    let dir = match source {
        PluginSource::Crate(d) | PluginSource::Python(d) | PluginSource::JavaScript(d) => d.as_path(),
        PluginSource::Component(p) => bail!(
            "`{}` is a component already; there is nothing to build (`cityrank build` takes a plugin directory)",
            p.display()
        ),
        PluginSource::Manifest(p) => bail!(
            "`{}` is a declarative manifest: it has no code to build; run an edition that names it, or check it with \
             `cityrank validate {}`",
            p.display(),
            p.display()
        ),
    };
    let name = match source {
        PluginSource::Crate(_) => crate_name(dir)?,
        _ => crate::authoring::plugin_name(dir)?,
    };
    let component = dir.join(format!("{name}.component.wasm"));
    let stamp = dir.join(format!("{name}.component.fingerprint"));
    let fingerprint = match source {
        PluginSource::Crate(_) => fingerprint(dir)?,
        _ => crate::authoring::fingerprint(source)?,
    };
    if !force && component.is_file() && std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == fingerprint) {
        return Ok(Built {
            component,
            rebuilt: false,
        });
    }
    // Builds take seconds to minutes (the first one fetches and compiles the SDK's
    // dependencies): say what is happening.
    eprintln!("building plugin `{}` …", dir.display());
    let bytes = match source {
        PluginSource::Crate(_) => build_crate(dir, &name)?,
        _ => crate::authoring::build(source, &name)?,
    };
    cityrank_core::fsutil::write_atomically(&component, &bytes)?;
    cityrank_core::fsutil::write_atomically(&stamp, fingerprint.as_bytes())?;
    Ok(Built {
        component,
        rebuilt: true,
    })
}

/// Builds a Rust plugin crate and returns its component's bytes.
fn build_crate(dir: &Path, name: &str) -> Result<Vec<u8>> {
    // Absolute: cargo runs from the plugin's directory, and its paths must not
    // depend on where cityrank was started.
    let dir = &std::path::absolute(dir).with_context(|| format!("cannot resolve `{}`", dir.display()))?;
    let manifest = dir.join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .args([
            "build",
            "--release",
            "--target",
            TARGET,
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest);
    // The build's output is keyed by the plugin's own location: a crate that is
    // its own workspace builds into its own `target/`, a workspace member into
    // its workspace's (where cargo keeps crate names apart); never into a target
    // directory shared through `CARGO_TARGET_DIR` or cargo's configuration, where
    // two crates of one name in different places overwrite each other's
    // `<name>.wasm` and cargo can report the other's as fresh (a stale plugin,
    // run silently).
    let root = build_root(dir);
    let target_dir = root.join("target");
    command.arg("--target-dir").arg(&target_dir);
    let output = crate::authoring::run_tool(
        command
            // Cargo's configuration is found from the plugin's location, not from
            // wherever cityrank was started.
            .current_dir(dir)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR")
            // Settings of an outer cargo (when run from tests) must not leak in;
            // the flags are exactly these, whatever cargo's configuration says.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env("CARGO_ENCODED_RUSTFLAGS", encoded_rustflags(&root, dir)?),
        &cargo.to_string_lossy(),
        &format!("build plugin `{}`", dir.display()),
    )?;
    if !output.success {
        let hint = rust_hint(&output.stderr);
        bail!(
            "building plugin `{}` failed (cargo exited with {}):\n{}{hint}",
            dir.display(),
            output.status,
            crate::authoring::first_error(&output.stderr)
        );
    }
    let module = core_module_path(&output.stdout, name, &manifest).with_context(|| {
        format!(
            "cargo built plugin `{}` but reported no `{name}.wasm` of it (is it a cdylib?)",
            dir.display()
        )
    })?;
    // What is loaded is what was built for this crate, in its own target directory.
    let inside = match (module.canonicalize(), target_dir.canonicalize()) {
        (Ok(m), Ok(t)) => m.starts_with(t),
        _ => false,
    };
    if !inside {
        bail!(
            "cargo reported `{}` for plugin `{}`, outside its target directory `{}`; refusing to use another \
             build's output (check cargo's configuration for a `target-dir` or a build wrapper that moves it)",
            module.display(),
            dir.display(),
            target_dir.display()
        );
    }
    let bytes = std::fs::read(&module).with_context(|| format!("cannot read `{}`", module.display()))?;
    componentize(&bytes).with_context(|| format!("cannot turn `{}` into a component", module.display()))
}

/// The root of a Rust plugin's build: its workspace's root for a member of a
/// workspace, else its own directory. Its `target/` holds the build.
fn build_root(dir: &Path) -> PathBuf {
    match workspace_root(dir) {
        Some(root) if !is_own_workspace(dir) => root,
        _ => dir.to_path_buf(),
    }
}

/// The flags of a Rust plugin build ([`RUSTFLAGS`] and path remappings), as
/// `CARGO_ENCODED_RUSTFLAGS` (separated by `\x1f`). Source paths that end up in
/// the code (panic locations) are remapped, so that a clone of the plugin at
/// another path, or on another machine, builds the same bytes: the workspace
/// `root` becomes `/plugin`, a path dependency outside it `/plugin-deps/<name>`,
/// cargo's registry `/cargo`.
fn encoded_rustflags(root: &Path, dir: &Path) -> Result<String> {
    let mut flags: Vec<String> = RUSTFLAGS.split(' ').map(str::to_string).collect();
    let mut remap = |from: &Path, to: &str| {
        flags.push(format!("--remap-path-prefix={}={to}", from.display()));
    };
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        remap(&home, "/cargo");
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    for d in input_dirs(dir)? {
        if !d.starts_with(&root) {
            let name = d.file_name().map_or("dep".into(), |n| n.to_string_lossy().into_owned());
            remap(&d, &format!("/plugin-deps/{name}"));
        }
    }
    // Last: rustc applies the last matching remapping, and the root is the most common.
    remap(&root, "/plugin");
    Ok(flags.join("\x1f"))
}

/// Whether the crate in `dir` is the root of its own workspace (not a member of
/// an enclosing one, such as this repository's).
fn is_own_workspace(dir: &Path) -> bool {
    let own =
        std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"));
    own || workspace_root(dir).is_none()
}

/// A hint for a failed Rust plugin build, from what cargo said; empty when cargo's
/// own message says it all.
fn rust_hint(stderr: &str) -> String {
    if stderr.contains("may not be installed") || stderr.contains("can't find crate for `core`") {
        format!("\nhint: install the target: `rustup target add {TARGET}`")
    } else if stderr.contains("failed to find a workspace root") || stderr.contains("workspace root") {
        "\nhint: the crate takes settings from a workspace (`….workspace = true` in its Cargo.toml), as the plugins \
         inside this repository do; outside it, give those settings values (e.g. `edition = \"2024\"`) and add an \
         empty `[workspace]` table, or start from `cityrank new DIR --lang rust`"
            .to_string()
    } else if stderr.contains("believes it's in a workspace when it's not") {
        "\nhint: add an empty `[workspace]` table to the plugin's Cargo.toml (or add the plugin to the enclosing \
         workspace's `members`)"
            .to_string()
    } else {
        String::new()
    }
}

/// Turns a core module built with the SDK (which embeds the contract's WIT) into a component.
pub fn componentize(core: &[u8]) -> Result<Vec<u8>> {
    wit_component::ComponentEncoder::default()
        .module(core)
        .map_err(|e| anyhow!("{e:#}"))?
        .validate(true)
        .encode()
        .map_err(|e| anyhow!("{e:#}"))
}

/// The core module cargo reports having built for the crate of `manifest`
/// (cargo's JSON messages: the artifact of target `name` whose manifest is this
/// crate's, not another crate's of the same name).
fn core_module_path(stdout: &[u8], name: &str, manifest: &Path) -> Option<PathBuf> {
    let target_name = name.replace('-', "_");
    let same_file = |reported: &serde_json::Value| {
        reported.as_str().is_some_and(|r| {
            let (r, m) = (Path::new(r), manifest);
            r == m
                || r.canonicalize()
                    .ok()
                    .zip(m.canonicalize().ok())
                    .is_some_and(|(a, b)| a == b)
        })
    };
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact"
                && m["target"]["name"] == target_name.as_str()
                && same_file(&m["manifest_path"])
        })
        .flat_map(|m| {
            m["filenames"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str().map(PathBuf::from))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
}

fn crate_name(dir: &Path) -> Result<String> {
    let path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| {
        anyhow!(
            "{}",
            Source::new(path.display().to_string(), text.as_str()).toml_error(&e)
        )
    })?;
    doc.get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_string)
        .with_context(|| format!("{}: no [package] name", path.display()))
}

/// The directories whose files decide the component: the crate, its path
/// dependencies (transitively), and any `[package.metadata.cityrank] inputs`
/// they list (the SDK lists the contract's WIT directory there).
fn input_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let d = d
            .canonicalize()
            .with_context(|| format!("cannot find `{}`", d.display()))?;
        if dirs.contains(&d) {
            continue;
        }
        let manifest = d.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            let doc: toml::Table = toml::from_str(&text).map_err(|e| {
                anyhow!(
                    "{}",
                    Source::new(manifest.display().to_string(), text.as_str()).toml_error(&e)
                )
            })?;
            for section in ["dependencies", "build-dependencies"] {
                if let Some(deps) = doc.get(section).and_then(|v| v.as_table()) {
                    for dep in deps.values() {
                        if let Some(p) = dep.get("path").and_then(|p| p.as_str()) {
                            todo.push(d.join(p));
                        }
                        if dep.get("workspace").and_then(|w| w.as_bool()) == Some(true) {
                            // Resolved through the workspace: the workspace manifest is an input.
                        }
                    }
                }
            }
            if let Some(extra) = doc
                .get("package")
                .and_then(|p| p.get("metadata"))
                .and_then(|m| m.get("cityrank"))
                .and_then(|c| c.get("inputs"))
                .and_then(|i| i.as_array())
            {
                for p in extra.iter().filter_map(|p| p.as_str()) {
                    todo.push(d.join(p));
                }
            }
        }
        dirs.push(d);
    }
    Ok(dirs)
}

/// SHA-256 over the relative paths and contents of every input file, plus the
/// workspace's manifest and lock file when the crate is in a workspace.
fn fingerprint(dir: &Path) -> Result<String> {
    let mut files: Vec<PathBuf> = Vec::new();
    let dirs = input_dirs(dir)?;
    for d in &dirs {
        crate::sources::collect_files(d, &mut files)?;
    }
    // Workspace dependencies (`x.workspace = true`) resolve through the root manifest.
    if let Some(root) = workspace_root(&dirs[0]) {
        files.push(root.join("Cargo.toml"));
        files.push(root.join("Cargo.lock"));
        files.push(root.join("rust-toolchain.toml"));
        if let Some(deps) = workspace_path_deps(&root) {
            for d in deps {
                crate::sources::collect_files(&d, &mut files)?;
            }
        }
    }
    files.sort();
    files.dedup();
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(encoded_rustflags(&build_root(dir), dir)?.as_bytes());
    for f in files {
        if let Ok(bytes) = std::fs::read(&f) {
            h.update(f.to_string_lossy().as_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
    Ok(hex::encode(h.finalize()))
}

fn workspace_path_deps(root: &Path) -> Option<Vec<PathBuf>> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    let deps = doc.get("workspace")?.get("dependencies")?.as_table()?;
    Some(
        deps.values()
            .filter_map(|d| d.get("path").and_then(|p| p.as_str()))
            .filter_map(|p| input_dirs(&root.join(p)).ok())
            .flatten()
            .collect(),
    )
}

fn workspace_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .skip(1)
        .find(|a| {
            std::fs::read_to_string(a.join("Cargo.toml")).is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
}
