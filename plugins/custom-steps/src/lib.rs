//! custom-steps: a methodology that supplies its own code for two pipeline steps.
//!
//! - `treat` / `coinr`: COINr's outlier rule, from the host's own step library
//!   (`cityrank-steps`, compiled to WebAssembly), with `winmax` from the parameters;
//! - `normalise` / `log-min-max`: min-max of `ln(1 + x)` onto 0–100, which spreads
//!   out skewed counts such as air destinations.
//!
//! Each step receives the whole table in one call and returns it.

use cityrank_sdk::{Column, Methodology, StepRequest, Table, export_methodology, log1p};
use cityrank_steps::treat::{Treatment, treat};

struct CustomSteps;

fn log_min_max(x: &[f64]) -> Result<Vec<f64>, String> {
    if x.iter().any(|v| *v < 0.0) {
        return Err("log-min-max needs values ≥ 0".into());
    }
    let logs = log1p(x);
    let (lo, hi) = logs
        .iter()
        .filter(|v| !v.is_nan())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    Ok(logs
        .iter()
        .map(|v| if hi > lo { (v - lo) / (hi - lo) * 100.0 } else { 50.0 })
        .collect())
}

impl Methodology for CustomSteps {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let mut out = Table::like(&input);
        out.push("internet", input.number("internet_pct")?.to_vec());
        out.push("broadband", input.number("broadband_per100")?.to_vec());
        out.push("mobile", input.number("mobile_per100")?.to_vec());
        out.push("air", input.number("air_routes")?.to_vec());
        Ok(out)
    }

    fn run_step(request: StepRequest) -> Result<Table, String> {
        let winmax = request.count_param("winmax", 5)?;
        let StepRequest { step, method, data, .. } = request;
        let columns = match (step.as_str(), method.as_str()) {
            ("treat", "coinr") => {
                let t = Treatment::Coinr {
                    winmax,
                    skew: 2.0,
                    kurt: 3.5,
                };
                data.numbers
                    .into_iter()
                    .map(|c| {
                        let (values, _) = treat(&c.values, &t).map_err(|e| format!("treating `{}`: {e}", c.id))?;
                        Ok(Column { id: c.id, values })
                    })
                    .collect::<Result<Vec<_>, String>>()?
            }
            ("normalise", "log-min-max") => data
                .numbers
                .into_iter()
                .map(|c| {
                    Ok(Column {
                        values: log_min_max(&c.values).map_err(|e| format!("`{}`: {e}", c.id))?,
                        id: c.id,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?,
            _ => return Err(format!("no custom method `{method}` for step `{step}`")),
        };
        Ok(Table {
            units: data.units,
            numbers: columns,
            texts: Vec::new(),
        })
    }
}

export_methodology!(CustomSteps);
