//! Edition files: one run of a methodology on one dataset (e.g. the 2024 LAS
//! ranking), and the single place where an edition's settings are resolved from
//! the file, the command-line flags and the defaults.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::methodology::TierSpec;
use crate::sandbox::Limits;

/// Version of the edition format this host reads.
pub const EDITION_SCHEMA_VERSION: u32 = 1;

/// An edition file (`methodologies/<id>.toml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    /// Format version of this document; must be 1.
    pub schema_version: u32,
    /// Stable identifier (e.g. `las-2024`).
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Year of the edition.
    pub year: i32,
    /// What this edition is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The methodology: a plugin directory (a Cargo crate, built on demand) or a
    /// component file (`.wasm`), relative to this file.
    pub methodology: PathBuf,
    /// The dataset description (`dataset.toml`), relative to this file.
    pub dataset: PathBuf,
    /// Sandbox limits for this edition's plugin calls.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Tiers replacing the methodology's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<TierSpec>>,
}

/// Sandbox limits as written in an edition file; absent values take the defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Fuel (deterministic units of CPU work) per plugin call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub fuel: Option<u64>,
    /// Linear memory per plugin instance, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory_mib: Option<u64>,
    /// Size of what one plugin call may return, in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub output_mib: Option<u64>,
}

impl LimitsSpec {
    /// `self` with the values set in `over` replacing its own.
    pub fn overridden_by(&self, over: &LimitsSpec) -> LimitsSpec {
        LimitsSpec {
            fuel: over.fuel.or(self.fuel),
            memory_mib: over.memory_mib.or(self.memory_mib),
            output_mib: over.output_mib.or(self.output_mib),
        }
    }

    /// The limits, with defaults for what is not set.
    pub fn resolve(&self) -> Limits {
        let d = Limits::default();
        Limits {
            fuel: self.fuel.unwrap_or(d.fuel),
            memory_bytes: self.memory_mib.map_or(d.memory_bytes, |m| (m as usize).saturating_mul(1 << 20)),
            output_bytes: self.output_mib.map_or(d.output_bytes, |m| (m as usize).saturating_mul(1 << 20)),
        }
    }
}

/// Where a methodology's component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// A plugin crate, built (and componentised) when its component is missing or stale.
    Crate(PathBuf),
    /// A ready component file.
    Component(PathBuf),
}

impl PluginSource {
    /// Classifies a path: a directory with a `Cargo.toml` is a crate, a file is a component.
    pub fn from_path(path: &Path) -> Result<PluginSource> {
        if path.is_dir() {
            if path.join("Cargo.toml").is_file() {
                return Ok(PluginSource::Crate(path.to_path_buf()));
            }
            bail!("`{}` is a directory without a Cargo.toml; name a plugin crate or a component `.wasm` file", path.display());
        }
        if path.is_file() {
            return Ok(PluginSource::Component(path.to_path_buf()));
        }
        bail!("`{}` does not exist", path.display())
    }
}

/// An edition with every setting resolved: paths absolute, limits final.
#[derive(Debug, Clone)]
pub struct ResolvedEdition {
    /// The edition file.
    pub path: PathBuf,
    /// Its contents.
    pub edition: Edition,
    /// The methodology's component source.
    pub plugin: PluginSource,
    /// The dataset description.
    pub dataset: PathBuf,
    /// Final sandbox limits (defaults < edition file < flags).
    pub limits: Limits,
}

impl ResolvedEdition {
    /// Loads the edition at `path` (validated against the edition schema) and
    /// resolves it with the limits given on the command line.
    pub fn load(path: &Path, flag_limits: &LimitsSpec) -> Result<ResolvedEdition> {
        let edition: Edition = crate::schema::load_toml(path, crate::schema::Document::Edition)?;
        let file = path.display();
        if edition.schema_version != EDITION_SCHEMA_VERSION {
            bail!(
                "{file}: schema_version: this host reads edition version {EDITION_SCHEMA_VERSION}, got {}",
                edition.schema_version
            );
        }
        if let Some(tiers) = &edition.tiers {
            crate::methodology::check_tiers(tiers).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let plugin = PluginSource::from_path(&base.join(&edition.methodology))
            .map_err(|e| anyhow::anyhow!("{file}: methodology: {e}"))?;
        let dataset = base.join(&edition.dataset);
        if !dataset.is_file() {
            bail!("{file}: dataset: `{}` does not exist", dataset.display());
        }
        let limits = edition.limits.overridden_by(flag_limits).resolve();
        Ok(ResolvedEdition { path: path.to_path_buf(), edition, plugin, dataset, limits })
    }
}
