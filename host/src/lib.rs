//! cityrank: build, run and compare city rankings whose methodologies are
//! declarative manifests or sandboxed WebAssembly plugins.
//!
//! This is the `cityrank` command's crate. The work is done by the crates it
//! re-exports, one per job (see ARCHITECTURE.md):
//! - `cityrank-core`: the model (methodology, dataset, edition), the pipeline and
//!   the results; runs no foreign code;
//! - `cityrank-sandbox`: plugin builds and the WebAssembly sandbox — the only crate
//!   that links a WebAssembly runtime;
//! - `cityrank-analysis`: comparisons, explanations, statistics, sensitivity
//!   analysis and HTML reports;
//! - `cityrank-steps` and `cityrank-formula`: the pure numeric steps and the
//!   formula language.
//!
//! What is only this crate's: the command line (`src/cli`), `cityrank new`'s
//! templates ([`scaffold`]), the benchmarks ([`bench`]) and the registry of every
//! document with a schema ([`documents`]).
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

pub use cityrank_analysis::experts as experts_report;
pub use cityrank_analysis::{
    analysis, compare, datacheck, diff, document, excel, explain, html, interactive, published, sensitivity, verify,
};
pub use cityrank_core::{
    catalogue, dataset, diagnostic, digest, edition, experts, formulas, fsutil, methodology, pipeline, plugin, report,
    results, run, schema,
};
pub use cityrank_sandbox::{authoring, build, runtime as sandbox};
pub use cityrank_web as web;

pub mod bench;
pub mod documents;
pub mod scaffold;
