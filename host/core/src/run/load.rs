//! Loading a methodology: the `Loader` trait, a declarative manifest read and
//! checked (`check_manifest`: schema, tree and formulas, every problem at once),
//! the manifest size limit.

#[allow(unused_imports)]
use super::*;

/// A methodology ready to run: its checked manifest, its formulas and, unless it
/// is a declarative manifest, its component loaded into the sandbox.
pub struct LoadedMethodology {
    /// The component (`None` for a declarative manifest: no code runs).
    pub plugin: Option<Box<dyn Plugin>>,
    /// Its manifest.
    pub manifest: Manifest,
    /// Its framework tree.
    pub framework: Framework,
    /// The indicators the host computes from `from` and `formula`.
    pub formulas: Formulas,
    /// Where it came from: the component file, or the manifest file.
    pub path: PathBuf,
    /// What the methodology's results depend on, hashed: the component's SHA-256,
    /// or for a declarative manifest the manifest file's.
    pub sha256: String,
    /// SHA-256 of the manifest text.
    pub manifest_sha256: String,
    /// Name used in messages (the component's or the manifest's file name).
    pub label: String,
    /// Whether the component was built by this call.
    pub rebuilt: bool,
    /// What the `manifest` call used (nothing for a declarative manifest).
    pub report: CallReport,
}

impl LoadedMethodology {
    /// The contract the component implements (`cityrank:methodology@0.2.0`), if there is a component.
    pub fn contract(&self) -> Option<String> {
        self.plugin
            .as_ref()
            .map(|p| format!("{}@{}", CONTRACT_PACKAGE, p.contract_version()))
    }

    /// `declarative` (a manifest, no code) or `component`.
    pub fn kind(&self) -> &'static str {
        if self.plugin.is_none() {
            "declarative"
        } else {
            "component"
        }
    }
}

/// Finds and loads the methodology an edition names: a declarative manifest is
/// read directly; code is built if needed and loaded into a sandbox. The sandbox
/// crate implements this for its `Sandbox`; the analyses take any loader.
pub trait Loader: Sync {
    /// Locates (building it if needed) and loads a methodology, and checks its
    /// manifest. Errors name the file and what to fix.
    fn load(&self, source: &PluginSource, limits: &Limits) -> Result<LoadedMethodology>;
}

impl LoadedMethodology {
    /// A methodology with code: asks `plugin` for its manifest and checks it.
    /// `source_dir` is the plugin's source directory, if it was built from one:
    /// when the component carries that directory's `methodology.toml` as it is,
    /// errors point into that file. `path` is the component's file.
    pub fn from_plugin(
        plugin: Box<dyn Plugin>,
        path: PathBuf,
        source_dir: Option<&std::path::Path>,
        rebuilt: bool,
        limits: &Limits,
    ) -> Result<LoadedMethodology> {
        let (text, report) = plugin.manifest(limits)?;
        let origin = match source_dir {
            Some(dir) if std::fs::read_to_string(dir.join("methodology.toml")).is_ok_and(|t| t == text) => {
                dir.join("methodology.toml").display().to_string()
            }
            _ => format!("manifest of plugin `{}`", plugin.label()),
        };
        let checked = check_manifest(&text, &origin, true)?;
        Ok(LoadedMethodology {
            sha256: plugin.sha256().to_string(),
            manifest_sha256: crate::digest::sha256_hex(text.as_bytes()),
            label: plugin.label().to_string(),
            plugin: Some(plugin),
            manifest: checked.0,
            framework: checked.1,
            formulas: checked.2,
            path,
            rebuilt,
            report,
        })
    }
}

/// The largest methodology manifest read, in bytes. A real one is tens of
/// kilobytes (200 indicators: 25 KB; 10,000 would be about 2 MB), and parsing a
/// manifest costs about twelve times its size in memory: a manifest from another
/// institution, or from a plugin, cannot make the host hold gigabytes.
pub const MAX_MANIFEST_BYTES: usize = 16 << 20;

/// Refuses a manifest of `bytes` above [`MAX_MANIFEST_BYTES`].
pub(crate) fn refuse_enormous_manifest(bytes: usize, origin: &str) -> Result<()> {
    if bytes > MAX_MANIFEST_BYTES {
        bail!(
            "{origin}: the manifest is {:.1} MiB; the limit is {} MiB (a methodology of 10,000 indicators is about \
             2 MB): is it the methodology, or data written into it?",
            bytes as f64 / f64::from(1u32 << 20),
            MAX_MANIFEST_BYTES >> 20
        );
    }
    Ok(())
}

/// A loader for declarative manifests only: refuses methodologies with code
/// (for tools and tests that must not run any).
pub struct ManifestsOnly;

impl Loader for ManifestsOnly {
    fn load(&self, source: &PluginSource, _limits: &Limits) -> Result<LoadedMethodology> {
        match source {
            PluginSource::Manifest(path) => load_manifest(path),
            other => bail!(
                "`{}` is a methodology with code, which this tool does not run; give a declarative manifest \
                 (`methodology.toml`)",
                other.path().display()
            ),
        }
    }
}

/// Loads a declarative manifest file: no component, every indicator computed by
/// the host from `from` or `formula`.
pub fn load_manifest(path: &std::path::Path) -> Result<LoadedMethodology> {
    // Refused before it is read.
    if let Ok(meta) = std::fs::metadata(path) {
        refuse_enormous_manifest(
            usize::try_from(meta.len()).unwrap_or(usize::MAX),
            &path.display().to_string(),
        )?;
    }
    let bytes =
        crate::fsutil::read_file(path).with_context(|| format!("cannot read methodology `{}`", path.display()))?;
    let origin = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow!(
            "{origin}: not a methodology manifest: it is not UTF-8 text (a manifest is a TOML file; a compiled plugin \
             ends in `.wasm`)"
        )
    })?;
    let (manifest, framework, formulas) = check_manifest(&text, &origin, false)?;
    let sha256 = crate::digest::sha256_hex(text.as_bytes());
    Ok(LoadedMethodology {
        plugin: None,
        manifest,
        framework,
        formulas,
        label: path
            .file_name()
            .map_or_else(|| origin.clone(), |n| n.to_string_lossy().into_owned()),
        path: path.to_path_buf(),
        manifest_sha256: sha256.clone(),
        sha256,
        rebuilt: false,
        report: CallReport::default(),
    })
}

/// Parses and checks a manifest's text: the schema, the framework tree, and the
/// formulas; every problem reported with its line and column in `origin`. A
/// manifest without a component (`has_code` false) must say where every
/// indicator's values come from and cannot ask for the plugin's own steps.
pub fn check_manifest(text: &str, origin: &str, has_code: bool) -> Result<(Manifest, Framework, Formulas)> {
    refuse_enormous_manifest(text.len(), origin)?;
    let source = crate::diagnostic::Source::new(origin, text);
    let manifest: Manifest = schema::parse_toml(text, origin)?;
    let mut problems: Vec<String> = Vec::new();
    let framework = match manifest.framework() {
        Ok(f) => Some(f),
        Err(e) => {
            problems.extend(e.to_string().lines().map(|l| source.render(l)));
            None
        }
    };
    if !has_code {
        for (i, spec) in manifest.indicators.iter().enumerate() {
            if spec.from.is_none() && spec.formula.is_none() {
                problems.push(source.render(&format!(
                    "indicators[{i}]: indicator `{}` says neither where its values come from nor how they are \
                     computed; give `from = \"<dataset variable>\"` or `formula = \"…\"` (a manifest without plugin \
                     code has no `derive`)",
                    spec.id
                )));
            }
        }
        if let Some(step) = manifest.plugin_steps().first() {
            problems.push(source.render(&format!(
                "{step}: `method = \"plugin\"` runs the plugin's own code, but this methodology is a manifest \
                 without code; choose a standard method, or write the methodology as a plugin (`cityrank new --lang \
                 python|js|rust`)"
            )));
        }
    }
    let formulas = match Formulas::parse(&manifest, &source) {
        Ok(f) => Some(f),
        Err(mut p) => {
            problems.append(&mut p);
            None
        }
    };
    match (framework, formulas, problems.as_slice()) {
        (Some(f), Some(x), []) => Ok((manifest, f, x)),
        (_, _, [one]) => bail!("{one}"),
        (_, _, many) => bail!("{origin}: {} problems:\n  {}", many.len(), many.join("\n  ")),
    }
}
