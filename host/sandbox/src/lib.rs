//! cityrank's sandbox: the only crate that runs a methodology's own code.
//!
//! [`runtime`] owns the WebAssembly engine (wasmtime, with fuel, memory and output
//! limits, NaN canonicalisation and no capabilities at all) and loads components
//! that implement the contract (`schemas/wit/`); [`build`] and [`authoring`] turn a
//! plugin's sources (Rust, Python, JavaScript) into such a component. This crate
//! implements `cityrank-core`'s [`Plugin`](cityrank_core::plugin::Plugin) and
//! [`Loader`](cityrank_core::run::Loader) traits, which is all the rest of cityrank
//! sees of it: no other crate's `Cargo.toml` names wasmtime or wit-component.
//!
//! ```no_run
//! use cityrank_core::{edition::{LimitsSpec, ResolvedEdition}, run, report};
//! use cityrank_sandbox::Sandbox;
//! # fn main() -> anyhow::Result<()> {
//! let sandbox = Sandbox::new(Sandbox::default_cache_dir())?;
//! let edition = ResolvedEdition::load("methodologies/las-2024.u4ssc.toml".as_ref(), &LimitsSpec::default())?;
//! let output = run::run_edition(&sandbox, &edition, Default::default())?;
//! print!("{}", report::table(&output.results));
//! # Ok(()) }
//! ```

pub mod authoring;
pub mod build;
mod cache;
pub mod runtime;
pub mod sources;

use anyhow::Result;
use cityrank_core::edition::PluginSource;
use cityrank_core::plugin::Limits;
use cityrank_core::run::{self, LoadedMethodology, Loader};

pub use runtime::{Sandbox, WasmPlugin};

impl Loader for Sandbox {
    /// A declarative manifest is read as it is; a plugin's sources are built first
    /// when stale (see [`build::build_if_stale`]); a component is loaded into this
    /// sandbox and asked for its manifest.
    fn load(&self, source: &PluginSource, limits: &Limits) -> Result<LoadedMethodology> {
        let (component, source_dir, rebuilt) = match source {
            PluginSource::Manifest(path) => return run::load_manifest(path),
            PluginSource::Crate(dir) | PluginSource::Python(dir) | PluginSource::JavaScript(dir) => {
                let built = build::build_if_stale(source)?;
                (built.component, Some(dir.as_path()), built.rebuilt)
            }
            PluginSource::Component(path) => (path.clone(), None, false),
        };
        let plugin = self.load_component(&component)?;
        LoadedMethodology::from_plugin(Box::new(plugin), component, source_dir, rebuilt, limits)
    }
}
