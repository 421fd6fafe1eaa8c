//! cityrank's analyses of rankings: comparisons of methods and editions
//! ([`compare`], [`published`]), one unit's explanation ([`explain`]), the
//! statistics of a run ([`analysis`]), uncertainty and sensitivity analysis
//! ([`sensitivity`]), the HTML reports ([`html`]) and the re-run of a published
//! results file ([`verify`]).
//!
//! Everything here works on `cityrank-core`'s results and pipeline; code a
//! methodology supplies is reached only through core's `Loader` and `Plugin`
//! traits, so this crate cannot run anything outside the sandbox. It draws nothing
//! on a terminal: progress is reported through [`sensitivity::Progress`].

pub mod analysis;
pub mod compare;
pub mod datacheck;
pub mod diff;
pub mod document;
pub mod excel;
pub mod experts;
pub mod explain;
pub mod html;
pub mod interactive;
pub mod published;
pub mod sensitivity;
pub mod verify;
