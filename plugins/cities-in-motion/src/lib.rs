//! cities-in-motion: a labelled reconstruction of the IESE Cities in Motion
//! Index (not the official method).
//!
//! `derive` turns the dataset's raw variables into the 20 indicators of
//! `methodology.toml`: logarithms of heavy-tailed counts (so that z-scores are not
//! decided by one hub), the city's economic size, the carbon intensity of the
//! economy and metro trips per resident. The host standardises them, averages the
//! nine dimensions and the index, and expresses the index relative to the best city.

use cityrank_sdk::{Methodology, Table, city_product_bn, export_methodology, ln, log1p, ratio, trips_per_resident};

struct CitiesInMotion;

impl Methodology for CitiesInMotion {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let copy = |id: &str| input.number(id).map(<[f64]>::to_vec);
        let pop_k = input.number("population_k")?;
        let gdp_pc = input.number("gdp_pc_ppp")?;
        let co2 = input.number("co2_pc")?;
        let metro_km = input.number("metro_km")?;
        let mut out = Table::like(&input);

        // Economy: GDP per capita and the city's product in billion $, as logarithms.
        out.push("productivity", ln(gdp_pc));
        out.push("economic_size", ln(&city_product_bn(pop_k, gdp_pc)));

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

        // Mobility: trips per resident; a city without a metro makes no metro trips.
        out.push("metro_length", log1p(metro_km));
        out.push("metro_stations", log1p(input.number("metro_stations")?));
        out.push(
            "metro_use",
            trips_per_resident(input.number("metro_ridership_m")?, pop_k, metro_km),
        );
        Ok(out)
    }
}

export_methodology!(CitiesInMotion);
