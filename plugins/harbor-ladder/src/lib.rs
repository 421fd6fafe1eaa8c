//! harbor-ladder: a labelled reconstruction of the ladder-scoring method of the
//! regional smart-city ranking series (not the official method).
//!
//! `derive` turns the dataset's raw variables into the 16 indicators of
//! `methodology.toml`; the host then scores each on its ladder, aggregates the
//! pillars and the index, ranks and tiers.

use cityrank_sdk::{Methodology, Table, export_methodology, zero_without_metro, zip};

struct HarborLadder;

impl Methodology for HarborLadder {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let pop_k = input.number("population_k")?;
        let mut out = Table::like(&input);
        let copy = |id: &str| input.number(id).map(<[f64]>::to_vec);

        // Traditional infrastructure.
        out.push("air_connectivity", copy("air_routes")?);
        out.push("air_reach", copy("air_countries")?);
        out.push("seaport", copy("port_size")?);
        out.push("metro_network", copy("metro_km")?);
        // Trips per resident: ridership (millions) ÷ population (thousands) × 1000.
        // No metro (0 km) means 0 trips, even where the ridership cell is 0 or empty.
        // A plain division: unlike `trips_per_resident`, which makes a non-positive
        // population missing, this method divides by whatever population it is given.
        let trips = zip(input.number("metro_ridership_m")?, pop_k, |r, p| r / p * 1000.0);
        out.push("metro_use", zero_without_metro(&trips, input.number("metro_km")?));
        out.push("electricity", copy("electricity_pct")?);

        // Digital infrastructure.
        out.push("internet_use", copy("internet_pct")?);
        out.push("fixed_broadband", copy("broadband_per100")?);
        out.push("mobile", copy("mobile_per100")?);
        out.push(
            "connected_people",
            zip(pop_k, input.number("internet_pct")?, |p, i| p * i / 100.0),
        );

        // Institutional infrastructure.
        out.push("government_effectiveness", copy("wgi_ge")?);
        out.push("regulatory_quality", copy("wgi_rq")?);
        out.push("rule_of_law", copy("wgi_rl")?);
        out.push("control_of_corruption", copy("wgi_cc")?);
        out.push("stability", copy("wgi_pv")?);
        out.push("human_development", copy("hdi")?);
        Ok(out)
    }
}

export_methodology!(HarborLadder);
