//! peer-ratings: a labelled reconstruction of the IMD Smart City Index's ratings
//! within HDI peer groups (not the official method).
//!
//! `derive` turns the dataset's raw variables into the 13 proxy indicators of
//! `methodology.toml`: metro length and trips per resident, logarithms of air
//! destinations and GDP per capita, besides values used as they are. The host
//! scores, aggregates and ranks; it forms the HDI quartile groups and rates each
//! city within its group.

use cityrank_sdk::{Methodology, Table, export_methodology, ln, log1p, per_100k_residents, trips_per_resident};

struct PeerRatings;

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

        // Metro length per 100 000 residents; trips per resident. No metro, no
        // metro trips.
        out.push("transit_supply", per_100k_residents(metro_km, pop_k));
        out.push(
            "transit_use",
            trips_per_resident(input.number("metro_ridership_m")?, pop_k, metro_km),
        );

        out.push("leisure_reach", log1p(input.number("air_routes")?));
        out.push("prosperity", ln(input.number("gdp_pc_ppp")?));
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
