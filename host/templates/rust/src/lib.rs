//! {{NAME}}: the code of the methodology. The manifest (methodology.toml) holds
//! everything else; indicators with `from` or `formula` there are computed by
//! cityrank, the others here.

use cityrank_sdk::{Methodology, Table, export_methodology, ratio};

struct MyMethodology;

impl Methodology for MyMethodology {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    /// One column per indicator without `from` or `formula`, one value per unit
    /// (`f64::NAN` = missing). `input` holds the variables of `[[inputs]]`.
    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let mut out = Table::like(&input);
        // km ÷ (thousand people ÷ 1000) = km per million people; missing unless population > 0.
        out.push(
            "rapid_transit",
            ratio(input.number("metro_km")?, input.number("population_k")?, 1000.0),
        );
        Ok(out)
    }
}

export_methodology!(MyMethodology);
