//! Running the editions a comparison names: `EDITION.toml[@VARIANT]` arguments,
//! each methodology loaded once.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use cityrank_core::dataset::Dataset;
use cityrank_core::edition::{LimitsSpec, PluginSource, ResolvedEdition};
use cityrank_core::methodology::Manifest;
use cityrank_core::plugin::LogMessage;
use cityrank_core::results::Results;
use cityrank_core::run::{self, LoadedMethodology, Loader};

/// An edition argument: `path/to/edition.toml` or `path/to/edition.toml@variant`.
///
/// The variant is what follows the last `@` after the last `/`. A path that exists
/// as written is taken whole, so a file whose name contains `@` still works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionArg {
    /// The edition file.
    pub path: PathBuf,
    /// The variant, if one is selected.
    pub variant: Option<String>,
}

impl EditionArg {
    /// The edition file, resolved for its variant (if one is given) and `flags`.
    pub fn load(&self, flags: &LimitsSpec) -> Result<ResolvedEdition> {
        ResolvedEdition::load_variant(&self.path, flags, self.variant.as_deref())
    }

    /// Parses `arg` (see [`EditionArg`]).
    pub fn parse(arg: &str) -> Result<EditionArg> {
        if arg.is_empty() {
            bail!("empty edition argument; give an edition file, e.g. methodologies/las-2024.toml");
        }
        if Path::new(arg).exists() {
            return Ok(EditionArg {
                path: PathBuf::from(arg),
                variant: None,
            });
        }
        let file_start = arg.rfind('/').map_or(0, |i| i + 1);
        match arg[file_start..].rfind('@') {
            Some(at) => {
                let (path, variant) = (&arg[..file_start + at], &arg[file_start + at + 1..]);
                if path.is_empty() {
                    bail!("`{arg}`: no edition file before `@`; write EDITION.toml@VARIANT");
                }
                if variant.is_empty() {
                    bail!("`{arg}`: no variant after `@`; write EDITION.toml@VARIANT, or leave out the `@`");
                }
                Ok(EditionArg {
                    path: PathBuf::from(path),
                    variant: Some(variant.to_string()),
                })
            }
            None => Ok(EditionArg {
                path: PathBuf::from(arg),
                variant: None,
            }),
        }
    }
}

impl std::fmt::Display for EditionArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.variant {
            Some(v) => write!(f, "{}@{v}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

impl std::str::FromStr for EditionArg {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        EditionArg::parse(s)
    }
}

/// One edition run: its results and the manifest as run (variant applied).
pub struct EditionRun {
    /// What was asked for.
    pub arg: EditionArg,
    /// The results.
    pub results: Results,
    /// The effective manifest (edition tiers and variant applied).
    pub manifest: Manifest,
    /// What the plugin logged.
    pub log: Vec<LogMessage>,
    /// The run's warnings, naming files as this process opened them.
    pub warnings: Vec<String>,
}

/// Runs editions, loading each methodology once.
pub struct Runner<'s> {
    loader: &'s dyn Loader,
    limits: LimitsSpec,
    loaded: Vec<(PluginSource, LoadedMethodology)>,
}

impl<'s> Runner<'s> {
    /// A runner that loads methodologies with `loader` (the sandbox, for code), with the limits set on the command line.
    pub fn new(loader: &'s dyn Loader, limits: LimitsSpec) -> Runner<'s> {
        Runner {
            loader,
            limits,
            loaded: Vec::new(),
        }
    }

    /// Loads and runs `arg`.
    pub fn run(&mut self, arg: &EditionArg) -> Result<EditionRun> {
        let edition = arg.load(&self.limits)?;
        let at = match self.loaded.iter().position(|(s, _)| *s == edition.plugin) {
            Some(i) => i,
            None => {
                let loaded = self.loader.load(&edition.plugin, &edition.limits)?;
                self.loaded.push((edition.plugin.clone(), loaded));
                self.loaded.len() - 1
            }
        };
        let loaded = &self.loaded[at].1;
        let dataset = Dataset::load(&edition.dataset)?;
        let output = run::run_loaded(loaded, &edition, &dataset, Default::default())?;
        let manifest = edition.effective_manifest(&loaded.manifest)?;
        Ok(EditionRun {
            arg: arg.clone(),
            results: output.results,
            manifest,
            log: output.log,
            warnings: output.warnings,
        })
    }
}
