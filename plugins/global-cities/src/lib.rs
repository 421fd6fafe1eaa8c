//! global-cities: a labelled reconstruction of Kearney's Global Cities Index
//! (not the official method).
//!
//! `derive` turns the dataset's raw variables into the 13 proxy metrics of
//! `methodology.toml`: the city product (population × GDP per capita), population
//! in millions, the capital flag and a mean of four WGI governance estimates,
//! besides metrics used as they are. The host scores each metric against the
//! best city and aggregates with Kearney's fixed dimension weights.

use cityrank_sdk::{Methodology, Table, city_product_bn, export_methodology};

struct GlobalCities;

impl Methodology for GlobalCities {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        let copy = |id: &str| input.number(id).map(<[f64]>::to_vec);
        let pop_k = input.number("population_k")?;
        let mut out = Table::like(&input);

        // Business activity; the city product in billion $.
        out.push("air_connectivity", copy("air_routes")?);
        out.push("seaport", copy("port_size")?);
        out.push("city_product", city_product_bn(pop_k, input.number("gdp_pc_ppp")?));

        out.push("human_development", copy("hdi")?);
        out.push("urbanisation", copy("urban_pct")?);

        out.push("broadband", copy("broadband_per100")?);
        out.push("online_presence", copy("internet_pct")?);
        out.push("freedom_of_expression", copy("wgi_va")?);

        out.push("international_reach", copy("air_countries")?);
        out.push("cultural_scale", pop_k.iter().map(|p| p / 1000.0).collect());

        // Political engagement. Any value other than 1 is "not a capital"; a
        // missing flag stays missing.
        let capital = input
            .number("capital")?
            .iter()
            .map(|&c| if c.is_nan() { c } else { f64::from(u8::from(c == 1.0)) })
            .collect();
        out.push("national_capital", capital);
        // Mean of the four institutional WGI estimates; missing if any is missing.
        let wgi = ["wgi_ge", "wgi_rq", "wgi_rl", "wgi_cc"]
            .iter()
            .map(|id| input.number(id))
            .collect::<Result<Vec<_>, _>>()?;
        let governance = (0..input.units.len())
            .map(|u| wgi.iter().map(|c| c[u]).sum::<f64>() / wgi.len() as f64)
            .collect();
        out.push("governance", governance);
        Ok(out)
    }
}

export_methodology!(GlobalCities);
