//! u4ssc: a labelled reconstruction of ITU U4SSC-style KPI benchmarking (not the
//! official method).
//!
//! `derive` turns the dataset's raw variables into the 15 KPIs of
//! `methodology.toml`: per-resident transit measures, the carbon intensity of the
//! economy and WGI estimates on a 0–100 scale (target bands need non-negative
//! values). The host then scores each KPI by percentage of its target, averages
//! the points per category, dimension and index, and groups the cities.

use cityrank_sdk::{Methodology, Table, export_methodology, per_100k_residents, ratio, trips_per_resident};

struct U4ssc;

/// A WGI estimate (standard normal units, about −2.5 … 2.5) on a 0–100 scale:
/// `(x + 2.5) ÷ 5 × 100`, clipped to the scale; missing stays missing.
fn wgi_0_100(x: &[f64]) -> Vec<f64> {
    x.iter().map(|&v| ((v + 2.5) / 5.0 * 100.0).clamp(0.0, 100.0)).collect()
}

impl Methodology for U4ssc {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let copy = |id: &str| input.number(id).map(<[f64]>::to_vec);
        let pop_k = input.number("population_k")?;
        let metro_km = input.number("metro_km")?;
        let mut out = Table::like(&input);

        // Economy: ICT and productivity (country values, used as they are).
        out.push("internet_access", copy("internet_pct")?);
        out.push("fixed_broadband", copy("broadband_per100")?);
        out.push("wireless_broadband", copy("mobile_per100")?);
        out.push("product_per_capita", copy("gdp_pc_ppp")?);

        // Economy: infrastructure, per 100 000 residents.
        out.push("electricity_supply", copy("electricity_pct")?);
        out.push("transit_network", per_100k_residents(metro_km, pop_k));
        out.push(
            "transit_convenience",
            per_100k_residents(input.number("metro_stations")?, pop_k),
        );
        // Trips per resident; a city without a metro makes no metro trips, whatever
        // its ridership cell says.
        out.push(
            "transit_use",
            trips_per_resident(input.number("metro_ridership_m")?, pop_k, metro_km),
        );
        out.push("public_service", wgi_0_100(input.number("wgi_ge")?));

        // Environment: tonnes ÷ $ × 1000 = kg CO2 per international $.
        let co2 = input.number("co2_pc")?;
        out.push("ghg_emissions", co2.to_vec());
        out.push("carbon_intensity", ratio(co2, input.number("gdp_pc_ppp")?, 1000.0));

        // Society and culture.
        out.push("human_development", copy("hdi")?);
        out.push("safety", wgi_0_100(input.number("wgi_pv")?));
        out.push("justice", wgi_0_100(input.number("wgi_rl")?));
        out.push("participation", wgi_0_100(input.number("wgi_va")?));
        Ok(out)
    }
}

export_methodology!(U4ssc);
