//! cityrank's core: the model of a ranking and the pipeline that computes it.
//!
//! A *methodology* ([`methodology`]: framework tree, weights, scoring rules,
//! pipeline steps, tiers) is a manifest, with or without its own code; an
//! *edition* ([`edition`]) runs one methodology on one [`dataset`]. [`run`] loads
//! them, derives the indicators (the host's [`formulas`], or the plugin's code
//! through the [`plugin::Plugin`] trait), and runs the standard steps
//! ([`pipeline`], backed by the pure `cityrank-steps` crate) to produce
//! [`results`]. Every document is validated against a schema generated from its
//! type ([`schema`]); problems are reported at their file, line and column
//! ([`diagnostic`]).
//!
//! This crate runs no foreign code and has no terminal: it does not depend on a
//! WebAssembly runtime (that is `cityrank-sandbox`, which implements
//! [`run::Loader`] and [`plugin::Plugin`]), on a command-line parser or on progress
//! bars (the `cityrank` binary). Its `Cargo.toml` is what enforces this.
//!
//! ```no_run
//! use cityrank_core::{edition::{LimitsSpec, ResolvedEdition}, run, report};
//! # fn main() -> anyhow::Result<()> {
//! // A declarative methodology (a manifest, no code) needs no sandbox.
//! let edition = ResolvedEdition::load("methodologies/las-2024.toml".as_ref(), &LimitsSpec::default())?;
//! let output = run::run_edition(&run::ManifestsOnly, &edition, Default::default())?;
//! print!("{}", report::table(&output.results));
//! # Ok(()) }
//! ```

pub mod catalogue;
pub mod dataset;
pub mod diagnostic;
pub mod digest;
pub mod edition;
pub mod experts;
pub mod formulas;
pub mod fsutil;
pub mod methodology;
pub mod pipeline;
pub mod plugin;
pub mod report;
pub mod results;
pub mod run;
pub mod schema;
pub mod table;
