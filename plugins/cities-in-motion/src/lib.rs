//! cities-in-motion: a labelled reconstruction of the IESE Cities in Motion
//! Index (not the official method).
//!
//! `derive` turns the dataset's raw variables into the 20 indicators of
//! `methodology.toml`: logarithms of heavy-tailed counts (so that z-scores are not
//! decided by one hub), the city's economic size, the carbon intensity of the
//! economy and metro trips per resident. The host standardises them, averages the
//! nine dimensions and the index, and expresses the index relative to the best city.

use cityrank_sdk::{Methodology, Table, export_methodology};

struct CitiesInMotion;

/// `ln(1 + x)` of each count; missing stays missing.
fn log1p(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| v.ln_1p()).collect()
}

/// `ln x`; missing for a missing or non-positive `x` (a logarithm needs `x > 0`).
fn ln(x: f64) -> f64 {
    if x > 0.0 { x.ln() } else { f64::NAN }
}

/// `numerator ÷ denominator × scale`; missing when either is missing or the
/// denominator is not positive.
fn ratio(numerator: &[f64], denominator: &[f64], scale: f64) -> Vec<f64> {
    numerator
        .iter()
        .zip(denominator)
        .map(|(&n, &d)| if d > 0.0 { n / d * scale } else { f64::NAN })
        .collect()
}

impl Methodology for CitiesInMotion {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let copy = |id: &str| input.number(id).map(<[f64]>::to_vec);
        let pop_k = input.number("population_k")?;
        let gdp_pc = input.number("gdp_pc_ppp")?;
        let co2 = input.number("co2_pc")?;
        let metro_km = input.number("metro_km")?;
        let mut out = Table::like(&input);

        // Economy: thousand people × $ per person ÷ 10⁶ = billion $.
        out.push("productivity", gdp_pc.iter().map(|&g| ln(g)).collect());
        let size: Vec<f64> = pop_k.iter().zip(gdp_pc).map(|(p, g)| ln(p * g / 1e6)).collect();
        out.push("economic_size", size);

        out.push("human_development", copy("hdi")?);
        out.push("peace", copy("wgi_pv")?);

        // Environment: tonnes ÷ $ × 1000 = kg CO2 per $.
        out.push("co2_emissions", co2.to_vec());
        out.push("carbon_intensity", ratio(co2, gdp_pc, 1000.0));

        out.push("government_effectiveness", copy("wgi_ge")?);
        out.push("rule_of_law", copy("wgi_rl")?);
        out.push("corruption_control", copy("wgi_cc")?);
        out.push("democracy", copy("wgi_va")?);

        out.push("basic_services", copy("electricity_pct")?);

        out.push("air_destinations", log1p(input.number("air_routes")?));
        out.push("foreign_reach", copy("air_countries")?);

        out.push("internet_users", copy("internet_pct")?);
        out.push("broadband", copy("broadband_per100")?);
        out.push("mobile_phones", copy("mobile_per100")?);

        // Mobility: million trips ÷ thousand residents × 1000 = trips per resident;
        // a city without a metro makes no metro trips.
        out.push("metro_length", log1p(metro_km));
        out.push("metro_stations", log1p(input.number("metro_stations")?));
        let trips = ratio(input.number("metro_ridership_m")?, pop_k, 1000.0);
        let trips = trips
            .iter()
            .zip(metro_km)
            .map(|(&t, &km)| if km == 0.0 { 0.0 } else { t })
            .collect();
        out.push("metro_use", trips);
        Ok(out)
    }
}

export_methodology!(CitiesInMotion);
