//! What the host exchanges with a methodology's own code, in the host's terms.
//!
//! The pipeline needs three things from a plugin: its manifest, the indicators it
//! derives from a dataset's raw variables, and the custom steps it supplies. This
//! module states them as the [`Plugin`] trait and the plain data types it passes
//! ([`Table`], [`StepCall`], [`CallReport`], [`Limits`]); the sandbox
//! (`cityrank-sandbox`, the only crate that links a WebAssembly runtime) implements
//! the trait for components, so that nothing here — and nothing that depends only
//! on this crate — can run code outside the sandbox.

use anyhow::Result;

use crate::methodology::PluginParams;

/// The contract's WIT package.
pub const CONTRACT_PACKAGE: &str = "cityrank:methodology";
/// The newest contract version, which the host's types follow and the SDKs build against.
pub const CONTRACT_VERSION: &str = "0.2.0";
/// Every contract version the host loads, oldest first; a component's version
/// must be semver-compatible with one of them (0.2.x with 0.2.0).
pub const CONTRACT_VERSIONS: [&str; 2] = ["0.1.0", "0.2.0"];

/// Resource limits of one plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fuel: deterministic units of CPU work (roughly one per Wasm instruction).
    pub fuel: u64,
    /// Maximum linear memory of the instance, in bytes.
    pub memory_bytes: usize,
    /// Maximum size of what one call may return, in bytes.
    pub output_bytes: usize,
}

impl Default for Limits {
    /// 10 billion fuel, 256 MiB of memory, 64 MiB of output.
    fn default() -> Self {
        Limits {
            fuel: 10_000_000_000,
            memory_bytes: 256 << 20,
            output_bytes: 64 << 20,
        }
    }
}

/// A numeric column: one value per unit, NaN for missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Variable or indicator id.
    pub id: String,
    /// Values, in the table's unit order.
    pub values: Vec<f64>,
}

/// A text column: one value per unit, `None` for missing.
#[derive(Debug, Clone, PartialEq)]
pub struct TextColumn {
    /// Variable id.
    pub id: String,
    /// Values, in the table's unit order.
    pub values: Vec<Option<String>>,
}

/// A table passed to or returned by a plugin: unit ids and columns of equal length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Unit ids, in row order.
    pub units: Vec<String>,
    /// Numeric columns.
    pub numbers: Vec<Column>,
    /// Text columns.
    pub texts: Vec<TextColumn>,
}

/// A message the plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogMessage {
    /// Severity: `debug`, `info`, `warn` or `error`.
    pub level: &'static str,
    /// The message (at most 4 KiB, saying how much was cut; control characters
    /// escaped).
    pub message: String,
}

/// What one plugin call used and logged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallReport {
    /// Fuel consumed.
    pub fuel: u64,
    /// Messages logged, in order.
    pub log: Vec<LogMessage>,
    /// Messages dropped beyond the log cap.
    pub dropped_log: usize,
}

/// A step for the plugin's own code, in the host's terms; each contract version
/// gets it in its own form (0.1: parameters as JSON text; 0.2: typed values).
pub struct StepCall<'a> {
    /// The step (`treat`, `normalise`, …).
    pub step: &'a str,
    /// The method the manifest names for the plugin.
    pub method: &'a str,
    /// The method's parameters.
    pub params: &'a PluginParams,
    /// The framework node the step applies to (empty for whole-table steps).
    pub node: &'a str,
    /// The step's input.
    pub data: Table,
}

/// A methodology's own code, loaded and ready to call. Every call runs within
/// `limits` and is independent of the previous ones (a fresh instance each time),
/// so calls may run in parallel.
///
/// Errors name the plugin and the function, and say what to change (a limit, the
/// plugin's code).
pub trait Plugin: Send + Sync {
    /// Name used in messages (the component's file name).
    fn label(&self) -> &str;
    /// SHA-256 of the code, hex.
    fn sha256(&self) -> &str;
    /// Size of the code in bytes.
    fn size(&self) -> usize;
    /// The contract version the code was built against (e.g. `0.2.0`).
    fn contract_version(&self) -> &str;
    /// Whether its compiled form came from a cache.
    fn was_cached(&self) -> bool;
    /// The manifest's TOML text.
    fn manifest(&self, limits: &Limits) -> Result<(String, CallReport)>;
    /// The indicators derived from an edition's raw variables (`edition`: the edition id).
    fn derive(&self, limits: &Limits, edition: &str, input: Table) -> Result<(Table, CallReport)>;
    /// One custom step.
    fn run_step(&self, limits: &Limits, call: StepCall<'_>) -> Result<(Table, CallReport)>;
}
