//! peer-ratings: a labelled reconstruction of the IMD Smart City Index's ratings
//! within HDI peer groups (not the official method).
//!
//! `derive` turns the dataset's raw variables into the 13 proxy indicators of
//! `methodology.toml`: metro length and trips per resident, logarithms of air
//! destinations and GDP per capita, besides values used as they are. The host
//! scores, aggregates and ranks; it forms the HDI quartile groups and rates each
//! city within its group.

use cityrank_sdk::{Methodology, Table, export_methodology};

struct PeerRatings;

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

impl Methodology for PeerRatings {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let copy = |id: &str| input.number(id).map(<[f64]>::to_vec);
        let pop_k = input.number("population_k")?;
        let metro_km = input.number("metro_km")?;
        let mut out = Table::like(&input);

        out.push("public_safety", copy("wgi_pv")?);
        out.push("basic_services", copy("electricity_pct")?);
        out.push("emissions", copy("co2_pc")?);

        // Per 100 000 residents = value ÷ (thousands ÷ 100); trips per resident =
        // million trips ÷ thousand residents × 1000. No metro, no metro trips.
        out.push("transit_supply", ratio(metro_km, pop_k, 100.0));
        let trips = ratio(input.number("metro_ridership_m")?, pop_k, 1000.0);
        let trips = trips
            .iter()
            .zip(metro_km)
            .map(|(&t, &km)| if km == 0.0 { 0.0 } else { t })
            .collect();
        out.push("transit_use", trips);

        out.push(
            "leisure_reach",
            input.number("air_routes")?.iter().map(|r| r.ln_1p()).collect(),
        );
        out.push(
            "prosperity",
            input.number("gdp_pc_ppp")?.iter().map(|&g| ln(g)).collect(),
        );
        out.push("corruption_control", copy("wgi_cc")?);
        out.push("voice", copy("wgi_va")?);

        out.push("online_access", copy("internet_pct")?);
        out.push("fast_internet", copy("broadband_per100")?);
        out.push("mobile_apps", copy("mobile_per100")?);
        out.push("e_government", copy("wgi_ge")?);
        Ok(out)
    }
}

export_methodology!(PeerRatings);
