"""u4ssc in Python: a labelled reconstruction of ITU U4SSC-style KPI benchmarking
(not the official method), the same computations as plugins/u4ssc/src/lib.rs.

`derive` turns the dataset's raw variables into the 15 KPIs of methodology.toml:
per-resident transit measures, the carbon intensity of the economy and WGI
estimates on a 0–100 scale. The host then scores each KPI by percentage of its
target, averages the points per category, dimension and index, and groups the cities.
"""

from cityrank_sdk import MISSING, Methodology, clamp, per_100k_residents, ratio


def wgi_0_100(x):
    """A WGI estimate (about −2.5 … 2.5) on a 0–100 scale: (x + 2.5) ÷ 5 × 100, clipped."""
    return clamp([(v + 2.5) / 5.0 * 100.0 for v in x], 0.0, 100.0)


def trips_per_resident(ridership_m, population_k, metro_km):
    """Metro trips per resident; a city without a metro makes none, whatever its
    ridership cell says; missing unless the population is positive."""
    out = []
    for r, p, km in zip(ridership_m, population_k, metro_km):
        if km == 0.0:
            out.append(0.0)
        elif p > 0.0:
            out.append(r / p * 1000.0)
        else:
            out.append(MISSING)
    return out


class U4ssc(Methodology):
    def derive(self, edition, data):
        pop_k = data["population_k"]
        metro_km = data["metro_km"]
        co2 = data["co2_pc"]
        return {
            # Economy: ICT and productivity (country values, used as they are).
            "internet_access": data["internet_pct"],
            "fixed_broadband": data["broadband_per100"],
            "wireless_broadband": data["mobile_per100"],
            "product_per_capita": data["gdp_pc_ppp"],
            # Economy: infrastructure, per 100 000 residents.
            "electricity_supply": data["electricity_pct"],
            "transit_network": per_100k_residents(metro_km, pop_k),
            "transit_convenience": per_100k_residents(data["metro_stations"], pop_k),
            "transit_use": trips_per_resident(data["metro_ridership_m"], pop_k, metro_km),
            "public_service": wgi_0_100(data["wgi_ge"]),
            # Environment: tonnes ÷ $ × 1000 = kg CO2 per international $.
            "ghg_emissions": co2,
            "carbon_intensity": ratio(co2, data["gdp_pc_ppp"], 1000.0),
            # Society and culture.
            "human_development": data["hdi"],
            "safety": wgi_0_100(data["wgi_pv"]),
            "justice": wgi_0_100(data["wgi_rl"]),
            "participation": wgi_0_100(data["wgi_va"]),
        }
