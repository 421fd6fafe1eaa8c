//! cityrank: run city-ranking methodologies as sandboxed WebAssembly plugins.
//!
//! A *methodology* (framework tree, weights, scoring rules, pipeline steps, tiers)
//! is a WebAssembly component written by an institution with the SDK in
//! `plugins/sdk`; an *edition* (`methodologies/<id>.toml`) runs one methodology on
//! one dataset. The host loads the component into a sandbox with no capabilities
//! ([`sandbox`]), asks it for its manifest ([`methodology`]), lets it derive the
//! indicators from the dataset's raw variables ([`dataset`]), and runs the
//! standard steps itself ([`pipeline`], backed by the pure `cityrank-steps` crate)
//! to produce [`results`].
//!
//! ```no_run
//! use cityrank::{edition::{LimitsSpec, ResolvedEdition}, run, sandbox::Sandbox, report};
//! # fn main() -> anyhow::Result<()> {
//! let sandbox = Sandbox::new(Sandbox::default_cache_dir())?;
//! let edition = ResolvedEdition::load("methodologies/las-2024.toml".as_ref(), &LimitsSpec::default())?;
//! let output = run::run_edition(&sandbox, &edition, Default::default())?;
//! print!("{}", report::table(&output.results));
//! # Ok(()) }
//! ```

pub mod analysis;
pub mod authoring;
pub mod bench;
pub mod build;
pub mod compare;
pub mod dataset;
pub mod diagnostic;
pub mod digest;
pub mod edition;
pub mod explain;
pub mod formulas;
pub mod fsutil;
pub mod html;
pub mod methodology;
pub mod pipeline;
pub mod published;
pub mod report;
pub mod results;
pub mod run;
pub mod sandbox;
pub mod scaffold;
pub mod schema;
pub mod sensitivity;
