//! Building plugins written in Python and JavaScript, and running the build tools
//! (cargo, componentize-py, componentize-qjs) with errors an author can act on.
//!
//! A Python plugin is a directory with `methodology.toml` and `methodology.py`; a
//! JavaScript plugin one with `methodology.toml` and `methodology.js`. `cityrank
//! build` writes the contract's WIT, the language's SDK (bundled in this binary)
//! and a generated entry module holding the manifest text into
//! `<dir>/target/cityrank-<lang>/`, then runs the language's componentizer with
//! WASI stubbed out, so that the component imports nothing but the contract. The
//! tools are installed by `tools/install-authoring-tools.sh` at pinned versions.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use cityrank_core::diagnostic::Source;
use cityrank_core::edition::PluginSource;

/// The contract WIT the SDKs build against (the newest version).
pub const CONTRACT_WIT: &str = include_str!("../../../schemas/wit/since_v0.2.0/methodology.wit");
/// The Python SDK (one module, `cityrank_sdk`).
pub const PYTHON_SDK: &str = include_str!("../../../plugins/sdk-python/cityrank_sdk.py");
/// The JavaScript SDK (one ES module, `cityrank-sdk.js`).
pub const JS_SDK: &str = include_str!("../../../plugins/sdk-js/cityrank-sdk.js");

/// componentize-py's version, as pinned by `tools/install-authoring-tools.sh`.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";
/// componentize-qjs's version (QuickJS; npm), as pinned by `tools/node/package-lock.json`.
pub const COMPONENTIZE_JS_VERSION: &str = "0.4.5";

/// What a build tool did.
pub struct ToolOutput {
    /// Whether it exited with success.
    pub success: bool,
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error, as text.
    pub stderr: String,
}

/// Runs a build tool with standard input closed, collecting both outputs. An
/// error only when the tool cannot be started (not installed: the message says
/// how to install it).
pub fn run_tool(command: &mut Command, tool: &str, what: &str) -> Result<ToolOutput> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow!("cannot {what}: `{tool}` is not installed{}", install_hint(tool))
            } else {
                anyhow!("cannot run `{tool}` to {what}: {e}")
            }
        })?;
    // Read standard error on a thread so that neither pipe fills and blocks the tool.
    let mut err_pipe = child.stderr.take().context("no standard error pipe")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    let mut stdout = Vec::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_end(&mut stdout).context("cannot read the tool's output")?;
    }
    let status = child.wait().with_context(|| format!("`{tool}` did not finish"))?;
    let stderr = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    Ok(ToolOutput {
        success: status.success(),
        status,
        stdout,
        stderr,
    })
}

fn install_hint(tool: &str) -> String {
    if tool.contains("componentize") || tool.ends_with("node") {
        format!(
            "; install the authoring tools with `bash tools/install-authoring-tools.sh` in the cityrank checkout \
             (componentize-py {COMPONENTIZE_PY_VERSION} from PyPI, componentize-qjs {COMPONENTIZE_JS_VERSION} from npm, \
             into `.tools/`), or set CITYRANK_TOOLS to the directory they were installed in"
        )
    } else if tool.contains("cargo") {
        "; install Rust (the repository pins its version in rust-toolchain.toml) and `rustup target add \
         wasm32-unknown-unknown`"
            .to_string()
    } else {
        String::new()
    }
}

/// The first error a build tool reported: from the first line that starts with
/// `error` (rustc, cargo) or names a Python/JavaScript exception, the lines up to
/// the next blank line (at most 25); else the last 25 lines.
pub fn first_error(stderr: &str) -> String {
    let mut lines: Vec<&str> = stderr.lines().collect();
    // componentize-py reports the author's traceback inside its own: keep the inner one.
    let tracebacks: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("Traceback (most recent call last)"))
        .collect();
    if let [_, inner, ..] = tracebacks.as_slice() {
        let at = lines[*inner].find("Traceback").unwrap_or(0);
        lines[*inner] = &lines[*inner][at..];
        lines.drain(..*inner);
    }
    let start = lines.iter().position(|l| {
        let t = l.trim_start();
        t.starts_with("error") || t.starts_with("Error") || t.starts_with("Traceback") || t.contains("Error:")
    });
    let picked: Vec<&str> = match start {
        Some(s) => {
            let mut out = Vec::new();
            let rest = &lines[s..];
            for (k, l) in rest.iter().enumerate() {
                // A Python traceback has no blank lines; rustc's diagnostic ends at one,
                // cargo's goes on with its causes.
                if k > 0 && l.trim().is_empty() {
                    if rest.get(k + 1).is_some_and(|n| n.starts_with("Caused by")) {
                        continue;
                    }
                    break;
                }
                out.push(*l);
                if out.len() >= 25 {
                    break;
                }
            }
            out
        }
        None => lines[lines.len().saturating_sub(25)..].to_vec(),
    };
    picked.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

/// The component name of a Python or JavaScript plugin: its manifest's `id`.
pub fn plugin_name(dir: &Path) -> Result<String> {
    let path = dir.join("methodology.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| {
        anyhow!(
            "{}",
            Source::new(path.display().to_string(), text.as_str()).toml_error(&e)
        )
    })?;
    doc.get("id")
        .and_then(|v| v.as_str())
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .map(str::to_string)
        .with_context(|| {
            format!(
                "{}: give the methodology an `id` (e.g. `id = \"my-ranking\"`)",
                path.display()
            )
        })
}

/// The plugin's language (`python` or `js`).
fn language(source: &PluginSource) -> Result<(&'static str, &Path)> {
    match source {
        PluginSource::Python(d) => Ok(("python", d)),
        PluginSource::JavaScript(d) => Ok(("js", d)),
        other => bail!("`{}` is not a Python or JavaScript plugin", other.path().display()),
    }
}

/// SHA-256 over the plugin directory's files (but `target/`, dot files and built
/// components), the SDK, the contract, the tool version and cityrank's version.
pub fn fingerprint(source: &PluginSource) -> Result<String> {
    let (lang, dir) = language(source)?;
    let mut files = Vec::new();
    crate::sources::collect_files(dir, &mut files)?;
    files.sort();
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(CONTRACT_WIT.as_bytes());
    match lang {
        "python" => {
            h.update(PYTHON_SDK.as_bytes());
            h.update(COMPONENTIZE_PY_VERSION.as_bytes());
        }
        _ => {
            h.update(JS_SDK.as_bytes());
            h.update(COMPONENTIZE_JS_VERSION.as_bytes());
        }
    }
    for f in files {
        let bytes = std::fs::read(&f).with_context(|| format!("cannot read `{}`", f.display()))?;
        let rel = f.strip_prefix(dir).unwrap_or(&f);
        h.update(rel.to_string_lossy().as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(hex::encode(h.finalize()))
}

/// Where the authoring tools are: `$CITYRANK_TOOLS`, else `.tools/` of the
/// checkout this binary was built from (where the install script puts them).
pub fn tools_dir() -> PathBuf {
    match std::env::var_os("CITYRANK_TOOLS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(".tools"),
    }
}

/// The build tool `name`: in its folder `dir` under [`tools_dir`] when it is
/// there, else by name on the `PATH`.
fn tool(dir: &[&str], name: &str) -> PathBuf {
    let mut path = tools_dir();
    path.extend(dir);
    path.push(name);
    if path.is_file() { path } else { PathBuf::from(name) }
}

/// Builds a Python or JavaScript plugin and returns its component's bytes.
pub fn build(source: &PluginSource, name: &str) -> Result<Vec<u8>> {
    let (lang, dir) = language(source)?;
    let manifest_path = dir.join("methodology.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read `{}`", manifest_path.display()))?;
    let work = dir.join("target").join(format!("cityrank-{lang}"));
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("cannot clear `{}`", work.display()))?;
    }
    std::fs::create_dir_all(work.join("wit")).with_context(|| format!("cannot create `{}`", work.display()))?;
    std::fs::write(work.join("wit").join("methodology.wit"), CONTRACT_WIT)?;
    // The author's files, copied into a clean staging directory: the component
    // depends on them and on nothing else lying in the plugin directory (built
    // components, caches), and a JavaScript module can import its siblings.
    let src = work.join("src");
    let mut files = Vec::new();
    crate::sources::collect_files(dir, &mut files)?;
    for f in &files {
        let rel = f.strip_prefix(dir).unwrap_or(f);
        let to = src.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        std::fs::copy(f, &to).with_context(|| format!("cannot copy `{}`", f.display()))?;
    }
    let out = work.join(format!("{name}.wasm"));
    // The manifest travels inside the component, as a string constant of a
    // generated module (JSON string syntax is valid Python and JavaScript).
    let literal = serde_json::to_string(&manifest)?;
    let output = match lang {
        "python" => {
            // The SDK and the entry module in a directory of their own, next to the
            // author's files: the Python path holds these two directories only.
            let generated = work.join("gen");
            std::fs::create_dir_all(&generated)?;
            std::fs::write(generated.join("cityrank_sdk.py"), PYTHON_SDK)?;
            std::fs::write(
                generated.join("cityrank_app.py"),
                format!(
                    "# Generated by `cityrank build`: the component's entry point.\nimport cityrank_sdk\nimport \
                     methodology\n\nMANIFEST = {literal}\n\nPlugin = cityrank_sdk.export(methodology, MANIFEST)\n"
                ),
            )?;
            let mut command = Command::new(tool(&["python", "bin"], "componentize-py"));
            command
                .arg("-d")
                .arg(work.join("wit"))
                .args(["-w", "methodology", "componentize", "--stub-wasi", "-p"])
                .arg(&generated)
                .arg("-p")
                .arg(&src)
                .arg("cityrank_app")
                .arg("-o")
                .arg(&out)
                // Deterministic: no hash randomisation, no bytecode files in the plugin.
                .env("PYTHONHASHSEED", "0")
                .env("PYTHONDONTWRITEBYTECODE", "1");
            run_tool(
                &mut command,
                "componentize-py",
                &format!("build Python plugin `{}`", dir.display()),
            )?
        }
        _ => {
            std::fs::write(src.join("cityrank-sdk.js"), JS_SDK)?;
            // The author imports the SDK by name; in the build directory it is a file.
            for f in &files {
                if f.extension().is_some_and(|e| e == "js" || e == "mjs") {
                    let to = src.join(f.strip_prefix(dir).unwrap_or(f));
                    let depth = to
                        .strip_prefix(&src)
                        .map_or(0, |r| r.components().count().saturating_sub(1));
                    let sdk = if depth == 0 {
                        "./cityrank-sdk.js".to_string()
                    } else {
                        format!("{}cityrank-sdk.js", "../".repeat(depth))
                    };
                    let text = std::fs::read_to_string(&to)?
                        .replace("from \"cityrank-sdk\"", &format!("from \"{sdk}\""))
                        .replace("from 'cityrank-sdk'", &format!("from '{sdk}'"));
                    std::fs::write(&to, text)?;
                }
            }
            std::fs::write(
                src.join("cityrank-app.js"),
                format!(
                    "// Generated by `cityrank build`: the component's entry point.\nimport {{ exportPlugin }} from \
                     \"./cityrank-sdk.js\";\nimport Methodology from \"./methodology.js\";\n\nconst MANIFEST = \
                     {literal};\n\nexport const plugin = exportPlugin(Methodology, MANIFEST);\n"
                ),
            )?;
            let mut command = Command::new(tool(&["node", "node_modules", ".bin"], "componentize-qjs"));
            command
                .arg("--wit")
                .arg(work.join("wit"))
                .arg("--js")
                .arg(src.join("cityrank-app.js"))
                .arg("--module-root")
                .arg(&src)
                .args(["-n", "methodology", "--stub-wasi", "--sync", "-o"])
                .arg(&out);
            run_tool(
                &mut command,
                "componentize-qjs",
                &format!("build JavaScript plugin `{}`", dir.display()),
            )?
        }
    };
    if !output.success {
        bail!(
            "building {} plugin `{}` failed ({} exited with {}):\n{}",
            if lang == "python" { "Python" } else { "JavaScript" },
            dir.display(),
            if lang == "python" {
                "componentize-py"
            } else {
                "componentize-qjs"
            },
            output.status,
            first_error(&output.stderr)
        );
    }
    std::fs::read(&out).with_context(|| format!("the build wrote no component at `{}`", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_is_cargos_own() {
        let stderr = "   Compiling x v0.1.0\nwarning: unused\n\nerror: failed to parse manifest at `/a/Cargo.toml`\n\nCaused by:\n  error inheriting `edition` from workspace root manifest's `workspace.package.edition`\n";
        assert_eq!(
            first_error(stderr),
            "  error: failed to parse manifest at `/a/Cargo.toml`\n  Caused by:\n    error inheriting `edition` from \
             workspace root manifest's `workspace.package.edition`"
        );
        let traceback =
            "Traceback (most recent call last):\n  File \"app.py\", line 3\nNameError: name 'x' is not defined\n";
        assert!(first_error(traceback).contains("NameError"));
    }
}
