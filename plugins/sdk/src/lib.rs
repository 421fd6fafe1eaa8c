//! The guest SDK for cityrank methodology plugins.
//!
//! A methodology author writes the manifest as TOML (the framework tree, weights,
//! ladders, pipeline steps and tiers; see `schemas/manifest.schema.json`), implements
//! [`Methodology`] and registers the type with [`export_methodology!`]:
//!
//! ```ignore
//! use cityrank_sdk::{Methodology, Table, export_methodology};
//!
//! struct MyRanking;
//!
//! impl Methodology for MyRanking {
//!     const MANIFEST: &'static str = include_str!("../methodology.toml");
//!
//!     fn derive(edition: &str, input: Table) -> Result<Table, String> {
//!         let pop = input.number("population_k")?;
//!         let mut out = Table::like(&input);
//!         out.push("population_m", pop.iter().map(|p| p / 1000.0).collect());
//!         Ok(out)
//!     }
//! }
//!
//! export_methodology!(MyRanking);
//! ```
//!
//! Build the crate for `wasm32-unknown-unknown` and turn it into a component with
//! `cityrank build <plugin-dir>` (a run does this by itself when the component is
//! missing or stale). The plugin gets no capabilities: only [`log`] reaches the host.
//! A panic is reported to the host through the log before the plugin traps.
//!
//! The [`columns`] module (re-exported here) has the small column helpers that
//! methodologies share: [`ratio`], [`per_100k_residents`], [`trips_per_resident`],
//! [`city_product_bn`], [`ln`], [`log1p`], [`zip`] and others.

// The generated code names this crate by its external path, so that the export
// macro also works from plugin crates.
extern crate self as cityrank_sdk;

#[allow(missing_docs, unsafe_code, clippy::all)]
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../schemas/wit/since_v0.2.0",
        world: "methodology",
        pub_export_macro: true,
        export_macro_name: "__export_methodology_world",
        default_bindings_module: "cityrank_sdk::bindings",
        runtime_path: "cityrank_sdk::__wit_bindgen::rt",
    });
}

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

pub mod columns;
pub use columns::{city_product_bn, ln, log1p, per_100k_residents, ratio, trips_per_resident, zero_without_metro, zip};

pub use bindings::cityrank::methodology::host::Level;
pub use bindings::exports::cityrank::methodology::plugin::{Column, Param, ParamValue, StepRequest, Table, TextColumn};

/// The version of the plugin contract (the WIT package) this SDK builds against.
pub const CONTRACT_VERSION: &str = "0.2.0";

impl StepRequest {
    /// The parameter `name`, if the manifest gives it.
    pub fn param(&self, name: &str) -> Option<&ParamValue> {
        self.params.iter().find(|p| p.name == name).map(|p| &p.value)
    }

    /// The number parameter `name` (a whole number counts), or `default` when it is
    /// absent; an error naming it when it is not a number.
    pub fn number_param(&self, name: &str, default: f64) -> Result<f64, String> {
        match self.param(name) {
            None => Ok(default),
            Some(ParamValue::Number(x)) => Ok(*x),
            Some(ParamValue::Integer(i)) => Ok(*i as f64),
            Some(_) => Err(format!(
                "parameter `{name}` of method `{}` must be a number",
                self.method
            )),
        }
    }

    /// The whole-number parameter `name` (≥ 0), or `default` when it is absent; an
    /// error naming it when it is not a whole number ≥ 0.
    pub fn count_param(&self, name: &str, default: usize) -> Result<usize, String> {
        match self.param(name) {
            None => Ok(default),
            Some(ParamValue::Integer(i)) if *i >= 0 => Ok(*i as usize),
            Some(ParamValue::Number(x)) if *x >= 0.0 && x.fract() == 0.0 && *x <= u32::MAX as f64 => Ok(*x as usize),
            Some(_) => Err(format!(
                "parameter `{name}` of method `{}` must be a whole number ≥ 0",
                self.method
            )),
        }
    }

    /// The text parameter `name`, if given; an error naming it when it is not text.
    pub fn text_param(&self, name: &str) -> Result<Option<&str>, String> {
        match self.param(name) {
            None => Ok(None),
            Some(ParamValue::Text(t)) => Ok(Some(t)),
            Some(_) => Err(format!("parameter `{name}` of method `{}` must be text", self.method)),
        }
    }
}

/// A methodology: its manifest and the code the host calls with data.
pub trait Methodology {
    /// The manifest as TOML text, usually `include_str!("../methodology.toml")`.
    const MANIFEST: &'static str;

    /// Derives the indicator values of `edition` from the raw variables in `input`:
    /// one numeric column per indicator of the manifest, same units in the same order
    /// (missing = `f64::NAN`).
    fn derive(edition: &str, input: Table) -> Result<Table, String>;

    /// Runs a pipeline step that the manifest assigns to the plugin's own code
    /// (`method = "plugin"`, `name = request.method`). The default refuses.
    fn run_step(request: StepRequest) -> Result<Table, String> {
        Err(format!(
            "this methodology has no custom `{}` method for step `{}`",
            request.method, request.step
        ))
    }
}

impl Table {
    /// An empty table over the same units as `other`.
    pub fn like(other: &Table) -> Table {
        Table {
            units: other.units.clone(),
            numbers: Vec::new(),
            texts: Vec::new(),
        }
    }

    /// The numeric column `id`, or an error naming it.
    pub fn number(&self, id: &str) -> Result<&[f64], String> {
        self.numbers
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.values.as_slice())
            .ok_or_else(|| {
                format!(
                    "the input has no numeric column `{id}`; if it is a dataset variable, declare it in \
                     methodology.toml: an [[inputs]] entry with id = \"{id}\" and type = \"number\""
                )
            })
    }

    /// The text column `id`, or an error naming it.
    pub fn text(&self, id: &str) -> Result<&[Option<String>], String> {
        self.texts
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.values.as_slice())
            .ok_or_else(|| {
                format!(
                    "the input has no text column `{id}`; if it is a dataset variable, declare it in \
                     methodology.toml: an [[inputs]] entry with id = \"{id}\" and type = \"text\""
                )
            })
    }

    /// Appends a numeric column.
    pub fn push(&mut self, id: &str, values: Vec<f64>) {
        self.numbers.push(Column {
            id: id.to_string(),
            values,
        });
    }
}

/// Writes a message to the host's log.
pub fn log(level: Level, message: &str) {
    bindings::cityrank::methodology::host::log(level, message);
}

/// Installs (once) a panic hook that sends the panic message to the host's log, so
/// that a panic is reported with its message instead of a bare trap.
#[doc(hidden)]
pub fn __install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_string());
            let place = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            log(Level::Error, &format!("panic{place}: {payload}"));
        }));
    });
}

/// Exports a [`Methodology`] implementation as the plugin's component interface.
#[macro_export]
macro_rules! export_methodology {
    ($ty:ty) => {
        const _: () = {
            struct CityrankExport;

            impl $crate::bindings::exports::cityrank::methodology::plugin::Guest for CityrankExport {
                fn manifest() -> ::std::string::String {
                    $crate::__install_panic_hook();
                    <$ty as $crate::Methodology>::MANIFEST.to_string()
                }

                fn derive(
                    edition: ::std::string::String,
                    input: $crate::Table,
                ) -> ::std::result::Result<$crate::Table, ::std::string::String> {
                    $crate::__install_panic_hook();
                    <$ty as $crate::Methodology>::derive(&edition, input)
                }

                fn run_step(
                    request: $crate::StepRequest,
                ) -> ::std::result::Result<$crate::Table, ::std::string::String> {
                    $crate::__install_panic_hook();
                    <$ty as $crate::Methodology>::run_step(request)
                }
            }

            $crate::bindings::__export_methodology_world!(CityrankExport);
        };
    };
}
