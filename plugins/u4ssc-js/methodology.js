// u4ssc in JavaScript: a labelled reconstruction of ITU U4SSC-style KPI
// benchmarking (not the official method), the same computations as
// plugins/u4ssc/src/lib.rs.
//
// `derive` turns the dataset's raw variables into the 15 KPIs of methodology.toml:
// per-resident transit measures, the carbon intensity of the economy and WGI
// estimates on a 0–100 scale. The host then scores each KPI by percentage of its
// target, averages the points per category, dimension and index, and groups the cities.
import { Methodology, clamp, map, per100kResidents, ratio } from "cityrank-sdk";

/** A WGI estimate (about −2.5 … 2.5) on a 0–100 scale: (x + 2.5) ÷ 5 × 100, clipped. */
function wgi0To100(x) {
  return clamp(map((v) => ((v + 2.5) / 5) * 100, x), 0, 100);
}

/** Metro trips per resident; none without a metro; missing unless the population is positive. */
function tripsPerResident(ridershipM, populationK, metroKm) {
  return map((r, p, km) => (km === 0 ? 0 : p > 0 ? (r / p) * 1000 : NaN), ridershipM, populationK, metroKm);
}

export default class U4ssc extends Methodology {
  derive(edition, data) {
    const popK = data.number("population_k");
    const metroKm = data.number("metro_km");
    const co2 = data.number("co2_pc");
    return {
      // Economy: ICT and productivity (country values, used as they are).
      internet_access: data.number("internet_pct"),
      fixed_broadband: data.number("broadband_per100"),
      wireless_broadband: data.number("mobile_per100"),
      product_per_capita: data.number("gdp_pc_ppp"),
      // Economy: infrastructure, per 100 000 residents.
      electricity_supply: data.number("electricity_pct"),
      transit_network: per100kResidents(metroKm, popK),
      transit_convenience: per100kResidents(data.number("metro_stations"), popK),
      transit_use: tripsPerResident(data.number("metro_ridership_m"), popK, metroKm),
      public_service: wgi0To100(data.number("wgi_ge")),
      // Environment: tonnes ÷ $ × 1000 = kg CO2 per international $.
      ghg_emissions: co2,
      carbon_intensity: ratio(co2, data.number("gdp_pc_ppp"), 1000),
      // Society and culture.
      human_development: data.number("hdi"),
      safety: wgi0To100(data.number("wgi_pv")),
      justice: wgi0To100(data.number("wgi_rl")),
      participation: wgi0To100(data.number("wgi_va")),
    };
  }
}
