#!/usr/bin/env python3
"""Derive cityrank's bundled edition datasets from the raw open data in shared/data.

Usage
-----
    python3 methodologies/data/recipe/derive.py --shared /work/shared/data --out methodologies/data
    python3 methodologies/data/recipe/derive.py --shared ../shared/data --out methodologies/data --check
    python3 methodologies/data/recipe/derive.py ... --edition las-2024 --edition g20-2023

Python 3.11, standard library only. The output is deterministic: rows are sorted by id,
no timestamps or absolute paths are written, and every number is formatted by `fmt()`
(integers as integers; other numbers as `repr(float)`, i.e. the shortest string that
round-trips, of the value rounded to a fixed number of decimals per variable, see
`DECIMALS`). `--check` regenerates into a temporary directory and exits with status 1
if any generated file differs from the one in --out.

City-set rule (per edition, applied in this order until the target count is reached)
------------------------------------------------------------------------------------
(a) the capital of every member country, taken from `CAPITALS` (WUP 2018 has no capital
    marker: its "Note" column is a footnote number), when the capital is one of the WUP
    agglomerations of 300k+ (otherwise the country contributes no capital);
(b) every city named in shared/data/published/published_results.csv for the rankings
    mapped to the edition (`rankings` in `EDITIONS`), whatever its country (the G20
    ranking also covers EU members, the Asia ranking named high-income cities). Names are
    matched to WUP agglomerations by normalised name or by the English name that WUP gives
    in parentheses, or else through `PUBLISHED_ALIASES`; a named city that is not a WUP
    agglomeration comes from `EXTRA_CITIES` (coordinates from Wikipedia, population left
    empty - never estimated);
(c) then the largest remaining WUP agglomerations of the member countries by population at
    the edition year (ties broken by WUP city code).
If (a)+(b) alone exceed the target, all of them are kept (a warning is printed).

Variables
---------
population_k      WUP 2018 population (thousands) at the edition year, linear interpolation
                  between the two 5-year columns around it (exact column if the year is a
                  multiple of 5); empty for EXTRA_CITIES.
air_routes        distinct destination airports (IATA) of direct (stops = 0) routes in the
                  OpenFlights 2014 route snapshot departing from any OpenFlights airport
                  of the city's own country with an IATA code within 50 km (great circle)
                  of the city centre, any airline; the city's own airports are not counted
                  as destinations. 0 if no such airport (a measured zero). Airports across
                  a border are left out (Gaza would otherwise get Beersheba, Shenzhen would
                  get Hong Kong's airport).
air_countries     distinct countries of those destinations (OpenFlights country names mapped
                  to ISO3 through the Gapminder names and OPENFLIGHTS_COUNTRY), excluding
                  the city's own country; destinations missing from the airports file are
                  counted in air_routes but cannot count here.
port_size         largest World Port Index "Harbor Size" among the ports of the city's own
                  country within 50 km: Very Small=1, Small=2, Medium=3, Large=4; 0 if no
                  such port; empty if such ports exist but none has a harbour size. (Same
                  country only: Gaza would otherwise get Ashdod, Basra Iran's Abadan.)
metro_km, metro_stations, metro_ridership_m
                  every system of metro_systems.csv is assigned to exactly one city
                  (globally, independent of the edition): by name within the same country
                  (METRO_ALIASES, else normalised name = WUP name / WUP English name /
                  display name), otherwise to the nearest WUP agglomeration or extra city of
                  the same country within 30 km of the system's coordinates. A city sums
                  its systems; 0 if it has none; ridership is empty if any of its systems
                  has no ridership figure.
capital           1 if the city is the WUP agglomeration that CAPITALS gives for its country
                  (the official capital, or the seat of government where the official capital
                  is not a WUP agglomeration; notes in CAPITALS), else 0. Every city's country
                  must be in CAPITALS or NO_NATIONAL_CAPITAL (Hong Kong: 0).
country covariates
                  value for the edition year, or the latest year before it within 5 years
                  (edition year - 5 <= year <= edition year), else empty. Sources: Gapminder
                  Systema Globalis (internet, broadband, mobile, GDP pc PPP, HDI, urban %),
                  WDI (access to electricity), OWID (CO2 per capita), WGI (estimate column,
                  '..' = missing; WGI codes WBG/ROM/TMP/ZAR/ADO/KSV for PSE/ROU/TLS/COD/AND/XKX).

Panel datasets (PANELS)
-----------------------
`<edition>-panel`: the cities of the base edition (chosen for its year), one row per city
and year (`year` column after `region`, declared as `columns.time`; rows sorted by id then
year). Per row year: population_k interpolated to that year, country covariates of that year
or the latest before it within 5 years. air_*, port_size, metro_*, lat, lon and capital have
one snapshot in the sources and are repeated unchanged in every year (no invented series).
The last year's rows equal the base edition's rows.

Distances: haversine on a sphere of radius 6371.0088 km (IUGG mean Earth radius).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import tomllib
import unicodedata
from collections import Counter, defaultdict

# --------------------------------------------------------------------------------------
# Edition configuration (easy to extend: add an entry, and capitals for new members)
# --------------------------------------------------------------------------------------

LAS = "DZA BHR COM DJI EGY IRQ JOR KWT LBN LBY MRT MAR OMN PSE QAT SAU SOM SDN SYR TUN ARE YEM".split()
G20 = "ARG AUS BRA CAN CHN FRA DEU IND IDN ITA JPN KOR MEX RUS SAU ZAF TUR GBR USA".split()
BRICS = "BRA RUS IND CHN ZAF EGY ETH IRN ARE IDN".split()
# "Developing Asian economies": the UN M49 region Asia (Central, Eastern, South-eastern,
# Southern and Western Asia) minus the economies classed high_income in Gapminder's
# ddf--entities--geo--country.csv (income_groups column): BHR BRN CYP HKG ISR JPN KOR KWT MAC
# OMN QAT SAU SGP ARE are left out. Hong Kong (HKG, its own ISO3 and its own WUP country
# code 344) is therefore not a member, but it - like Singapore, Tokyo, Seoul and Yokohama -
# is in the set through rule (b) because the published Asia ranking names it.
ASIA_DEVELOPING = (
    "KAZ KGZ TJK TKM UZB "  # Central Asia
    "CHN PRK MNG "  # Eastern Asia
    "KHM IDN LAO MYS MMR PHL THA TLS VNM "  # South-eastern Asia
    "AFG BGD BTN IND IRN MDV NPL PAK LKA "  # Southern Asia
    "ARM AZE GEO IRQ JOR LBN PSE SYR TUR YEM"  # Western Asia
).split()

# African Union: the 55 member states (the 54 UN member states of Africa and the Sahrawi
# Arab Democratic Republic, for which the ISO3 code ESH of Western Sahara is used), listed
# by the AU's five regions (AU Handbook, African Union Commission). Members whose
# participation is suspended after an unconstitutional change of government (e.g. Mali,
# Burkina Faso, Niger, Sudan) remain member states and are included.
AU_REGIONS = {
    "north_africa": [
        "DZA",  # Algeria
        "EGY",  # Egypt
        "LBY",  # Libya
        "MRT",  # Mauritania
        "MAR",  # Morocco
        "ESH",  # Sahrawi Arab Democratic Republic (Western Sahara)
        "TUN",  # Tunisia
    ],
    "west_africa": [
        "BEN",  # Benin
        "BFA",  # Burkina Faso
        "CPV",  # Cabo Verde
        "CIV",  # Cote d'Ivoire
        "GMB",  # Gambia
        "GHA",  # Ghana
        "GIN",  # Guinea
        "GNB",  # Guinea-Bissau
        "LBR",  # Liberia
        "MLI",  # Mali
        "NER",  # Niger
        "NGA",  # Nigeria
        "SEN",  # Senegal
        "SLE",  # Sierra Leone
        "TGO",  # Togo
    ],
    "central_africa": [
        "BDI",  # Burundi
        "CMR",  # Cameroon
        "CAF",  # Central African Republic
        "TCD",  # Chad
        "COG",  # Congo
        "COD",  # Democratic Republic of the Congo
        "GNQ",  # Equatorial Guinea
        "GAB",  # Gabon
        "STP",  # Sao Tome and Principe
    ],
    "east_africa": [
        "COM",  # Comoros
        "DJI",  # Djibouti
        "ERI",  # Eritrea
        "ETH",  # Ethiopia
        "KEN",  # Kenya
        "MDG",  # Madagascar
        "MUS",  # Mauritius
        "RWA",  # Rwanda
        "SYC",  # Seychelles
        "SOM",  # Somalia
        "SSD",  # South Sudan
        "SDN",  # Sudan
        "TZA",  # Tanzania
        "UGA",  # Uganda
    ],
    "southern_africa": [
        "AGO",  # Angola
        "BWA",  # Botswana
        "SWZ",  # Eswatini
        "LSO",  # Lesotho
        "MWI",  # Malawi
        "MOZ",  # Mozambique
        "NAM",  # Namibia
        "ZAF",  # South Africa
        "ZMB",  # Zambia
        "ZWE",  # Zimbabwe
    ],
}
AU = [iso for isos in AU_REGIONS.values() for iso in isos]
# ASEAN: the ten members of 2024 and Timor-Leste, admitted as the 11th member state on
# 26 October 2025 (Declaration on the Admission of Timor-Leste into ASEAN, 47th ASEAN
# Summit, Kuala Lumpur). TLS contributes no city: Dili is below the 300k threshold of
# WUP F12 and no other Timorese agglomeration is listed; it is kept as a member so the
# country list matches the 2025 membership.
ASEAN = "BRN KHM IDN LAO MYS MMR PHL SGP THA VNM TLS".split()

EDITIONS = {
    "las-2024": {
        "year": 2024,
        "title": "Cities of the League of Arab States, 2024",
        "members": LAS,
        "members_label": "the 22 members of the League of Arab States",
        "target": 62,
        "rankings": [("LAS Smart City Ranking", "2024")],
        # Gapminder world_4region splits the League into its Asian (Gulf, Levant, Iraq,
        # Yemen) and African (Egypt, Maghreb, Horn) members; world_6region would put 57 of
        # the 62 cities into one group.
        "region_field": "world_4region",
    },
    "g20-2023": {
        "year": 2023,
        "title": "Cities of the G20 countries, 2023",
        "members": G20,
        "members_label": "the 19 G20 member countries (the EU and the African Union are members "
        "but not countries; EU cities enter only through the published ranking)",
        "target": 184,
        "rankings": [("G20 Smart City Ranking", "2023")],
        "region_field": "world_6region",
    },
    "asia-2022": {
        "year": 2022,
        "title": "Cities of developing Asian economies, 2022",
        "members": ASIA_DEVELOPING,
        "members_label": "36 developing Asian economies (UN M49 Asia minus the high-income "
        "economies of Gapminder's income_groups)",
        "target": 51,
        # published_results.csv lists this ranking under its announcement year 2023 (the
        # same press item as the G20 2023 ranking); the data year of this edition is 2022.
        "rankings": [("Asia Smart City Ranking", "2023")],
        "region_field": "world_6region",
    },
    "brics-2024": {
        "year": 2024,
        "title": "Cities of the BRICS countries, 2024",
        "members": BRICS,
        "members_label": "the 10 BRICS members as of 2025 (Brazil, Russia, India, China, South Africa; "
        "Egypt, Ethiopia, Iran and the United Arab Emirates from January 2024; Indonesia from January 2025, "
        "included so that the edition matches the current membership)",
        # 100: ten capitals plus the 90 largest agglomerations - roughly the BRICS cities of
        # 2.5 million people and more; no published ranking to match.
        "target": 100,
        "rankings": [],
        "region_field": "world_6region",
    },
    # "Announced" editions: the generic rule only (no published ranking to match yet), for a
    # partner to refine.
    "au-2025": {
        "year": 2025,
        "title": "Cities of the African Union member states, 2025",
        "members": AU,
        "members_label": "the 55 member states of the African Union (the 54 UN member states of Africa "
        "and the Sahrawi Arab Democratic Republic, coded ESH; members with suspended participation included)",
        # 80: the 44 member capitals that are WUP agglomerations plus the 36 largest
        # remaining agglomerations (down to about 1.2 million people in 2025).
        "target": 80,
        "rankings": [],
        "announced": True,
        # The AU's own five regions (Gapminder's world_4region would put every member in
        # one group, world_6region splits only North Africa from the rest).
        "regions": AU_REGIONS,
        "regions_source": "au_regions",
        "regions_label": "the African Union's five regions (AU Handbook): north_africa, west_africa, "
        "central_africa, east_africa, southern_africa",
    },
    "asean-2025": {
        "year": 2025,
        "title": "Cities of the ASEAN member states, 2025",
        "members": ASEAN,
        "members_label": "the 11 member states of ASEAN as of October 2025 (the ten members of 2024 and "
        "Timor-Leste, admitted on 26 October 2025; Timor-Leste contributes no city because Dili is "
        "below the 300k threshold of WUP F12)",
        # 40: the 9 member capitals that are WUP agglomerations plus the 31 largest
        # remaining agglomerations (down to about 1.0 million people in 2025).
        "target": 40,
        "rankings": [],
        "announced": True,
        # every member is east_asia_pacific in world_6region (one group; there is no official
        # ASEAN sub-regional grouping)
        "region_field": "world_6region",
        "metro_note": "Hanoi Metro (Line 2A, opened November 2021) is absent from the metro list, so Hanoi "
        "has 0; Ho Chi Minh City's first metro line opened in December 2024, after the list",
    },
}

# Panel datasets: the cities of a cross-sectional edition (chosen for its year), one row per
# city and year. Population and country covariates follow the row's year; the city
# infrastructure variables (air_*, port_size, metro_*) have one snapshot in the sources and
# are repeated unchanged in every year.
PANELS = {
    "las-2024-panel": {"base": "las-2024", "years": [2022, 2023, 2024]},
    "g20-2023-panel": {"base": "g20-2023", "years": [2021, 2022, 2023]},
}
STATIC_COLUMNS = ("air_routes", "air_countries", "port_size", "metro_km", "metro_stations",
                  "metro_ridership_m")

# ISO3 -> (English display name, exact WUP "Urban Agglomeration" name or None, note)
CAPITALS = {
    # League of Arab States
    "DZA": ("Algiers", "El Djazaïr  (Algiers)", ""),
    "BHR": ("Manama", "Al-Manamah (Manama)", ""),
    "COM": ("Moroni", None, "Moroni is below the 300k threshold of WUP F12"),
    "DJI": ("Djibouti", "Djibouti", ""),
    "EGY": ("Cairo", "Al-Qahirah (Cairo)", ""),
    "IRQ": ("Baghdad", "Baghdad", ""),
    "JOR": ("Amman", "Amman", ""),
    "KWT": ("Kuwait City", "Al Kuwayt (Kuwait City)", ""),
    "LBN": ("Beirut", "Bayrut (Beirut)", ""),
    "LBY": ("Tripoli", "Tarabulus (Tripoli)", ""),
    "MRT": ("Nouakchott", "Nouakchott", ""),
    "MAR": ("Rabat", "Rabat", ""),
    "OMN": ("Muscat", "Masqat (Muscat)", ""),
    "PSE": ("Jerusalem / Ramallah", None,
            "WUP F12 lists only Gaza for the State of Palestine; neither East Jerusalem "
            "(proclaimed capital) nor Ramallah (seat of government) is a 300k+ agglomeration"),
    "QAT": ("Doha", "Ad-Dawhah (Doha)", ""),
    "SAU": ("Riyadh", "Ar-Riyadh (Riyadh)", ""),
    "SOM": ("Mogadishu", "Muqdisho (Mogadishu)", ""),
    "SDN": ("Khartoum", "Al-Khartum (Khartoum)", "de jure capital (government in Port Sudan since 2023)"),
    "SYR": ("Damascus", "Dimashq (Damascus)", ""),
    "TUN": ("Tunis", "Tunis", ""),
    "ARE": ("Abu Dhabi", "Abu Zaby (Abu Dhabi)", ""),
    "YEM": ("Sana'a", "Sana'a'", "de jure capital (recognised government in Aden)"),
    # G20
    "ARG": ("Buenos Aires", "Buenos Aires", ""),
    "AUS": ("Canberra", "Canberra", ""),
    "BRA": ("Brasília", "Brasília", ""),
    "CAN": ("Ottawa", "Ottawa-Gatineau", ""),
    "CHN": ("Beijing", "Beijing", ""),
    "FRA": ("Paris", "Paris", ""),
    "DEU": ("Berlin", "Berlin", ""),
    "IND": ("Delhi", "Delhi", "New Delhi lies in the WUP agglomeration Delhi"),
    "IDN": ("Jakarta", "Jakarta", ""),
    "ITA": ("Rome", "Roma (Rome)", ""),
    "JPN": ("Tokyo", "Tokyo", ""),
    "KOR": ("Seoul", "Seoul", ""),
    "MEX": ("Mexico City", "Ciudad de México (Mexico City)", ""),
    "RUS": ("Moscow", "Moskva (Moscow)", ""),
    "ZAF": ("Pretoria", "Pretoria", "executive capital (Cape Town legislative, Bloemfontein judicial)"),
    "TUR": ("Ankara", "Ankara", ""),
    "GBR": ("London", "London", ""),
    "USA": ("Washington", "Washington, D.C.", ""),
    # BRICS additions
    "ETH": ("Addis Ababa", "Addis Ababa", ""),
    "IRN": ("Tehran", "Tehran", ""),
    # Developing Asia
    "KAZ": ("Astana", "Astana", ""),
    "KGZ": ("Bishkek", "Bishkek", ""),
    "TJK": ("Dushanbe", "Dushanbe", ""),
    "TKM": ("Ashgabat", "Ashgabat", ""),
    "UZB": ("Tashkent", "Tashkent", ""),
    "PRK": ("Pyongyang", "P'yongyang", ""),
    "MNG": ("Ulaanbaatar", "Ulaanbaatar", ""),
    "KHM": ("Phnom Penh", "Phnum Pénh (Phnom Penh)", ""),
    "LAO": ("Vientiane", "Vientiane", ""),
    "MYS": ("Kuala Lumpur", "Kuala Lumpur", ""),
    "MMR": ("Nay Pyi Taw", "Nay Pyi Taw", ""),
    "PHL": ("Manila", "Manila", ""),
    "THA": ("Bangkok", "Krung Thep (Bangkok)", ""),
    "TLS": ("Dili", None, "Dili is below the 300k threshold of WUP F12"),
    "VNM": ("Hanoi", "Hà Noi", ""),
    "AFG": ("Kabul", "Kabul", ""),
    "BGD": ("Dhaka", "Dhaka", ""),
    "BTN": ("Thimphu", None, "Thimphu is below the 300k threshold of WUP F12"),
    "MDV": ("Malé", None, "Malé is below the 300k threshold of WUP F12"),
    "NPL": ("Kathmandu", "Kathmandu", ""),
    "PAK": ("Islamabad", "Islamabad", ""),
    "LKA": ("Colombo", "Colombo",
            "official capital Sri Jayawardenepura Kotte is not a separate WUP agglomeration; "
            "Colombo (commercial capital, adjacent) is used"),
    "ARM": ("Yerevan", "Yerevan", ""),
    "AZE": ("Baku", "Baku", ""),
    "GEO": ("Tbilisi", "Tbilisi", ""),
    "SGP": ("Singapore", "Singapore", ""),
    # ASEAN (besides the developing-Asia members above)
    "BRN": ("Bandar Seri Begawan", None, "Bandar Seri Begawan is below the 300k threshold of WUP F12 "
            "(Brunei has no WUP agglomeration)"),
    # Countries of published cities outside the member lists (so that `capital` is defined
    # for every city of every edition)
    "DNK": ("Copenhagen", "København (Copenhagen)", ""),
    "FIN": ("Helsinki", "Helsinki", ""),
    "SWE": ("Stockholm", "Stockholm", ""),
    # African Union (besides the LAS and BRICS members above)
    "AGO": ("Luanda", "Luanda", ""),
    "BEN": ("Cotonou", "Cotonou",
            "seat of government; the constitutional capital Porto-Novo is below the 300k threshold "
            "of WUP F12"),
    "BWA": ("Gaborone", None, "Gaborone is below the 300k threshold of WUP F12 (Botswana has no WUP agglomeration)"),
    "BFA": ("Ouagadougou", "Ouagadougou", ""),
    "BDI": ("Bujumbura", "Bujumbura",
            "economic capital and seat of most ministries; Gitega, the political capital since 2019, "
            "is below the 300k threshold of WUP F12"),
    "CPV": ("Praia", None, "Praia is below the 300k threshold of WUP F12 (Cabo Verde has no WUP agglomeration)"),
    "CMR": ("Yaoundé", "Yaoundé", ""),
    "CAF": ("Bangui", "Bangui", ""),
    "TCD": ("N'Djamena", "N'Djaména", ""),
    "COD": ("Kinshasa", "Kinshasa", ""),
    "COG": ("Brazzaville", "Brazzaville", ""),
    "CIV": ("Abidjan", "Abidjan",
            "economic capital and seat of most government institutions; the official capital "
            "Yamoussoukro is below the 300k threshold of WUP F12"),
    "GNQ": ("Malabo", None, "Malabo is below the 300k threshold of WUP F12 (only Bata is listed)"),
    "ERI": ("Asmara", "Asmara", ""),
    "SWZ": ("Mbabane / Lobamba", None,
            "neither Mbabane (administrative capital) nor Lobamba (legislative and royal capital) is a "
            "300k+ WUP agglomeration (Eswatini has none)"),
    "GAB": ("Libreville", "Libreville", ""),
    "GMB": ("Banjul", "Banjul", ""),
    "GHA": ("Accra", "Accra", ""),
    "GIN": ("Conakry", "Conakry", ""),
    "GNB": ("Bissau", "Bissau", ""),
    "KEN": ("Nairobi", "Nairobi", ""),
    "LSO": ("Maseru", None, "Maseru is below the 300k threshold of WUP F12 (Lesotho has no WUP agglomeration)"),
    "LBR": ("Monrovia", "Monrovia", ""),
    "MDG": ("Antananarivo", "Antananarivo", ""),
    "MWI": ("Lilongwe", "Lilongwe", ""),
    "MLI": ("Bamako", "Bamako", ""),
    "MUS": ("Port Louis", None, "Port Louis is below the 300k threshold of WUP F12 (Mauritius has no WUP agglomeration)"),
    "MOZ": ("Maputo", "Maputo", ""),
    "NAM": ("Windhoek", "Windhoek", ""),
    "NER": ("Niamey", "Niamey", ""),
    "NGA": ("Abuja", "Abuja", ""),
    "RWA": ("Kigali", "Kigali", ""),
    "ESH": ("El Aaiún", None,
            "the Sahrawi Arab Democratic Republic proclaims El Aaiún (Laayoune), a city administered by "
            "Morocco, as its capital; its institutions sit in the refugee camps near Tindouf (Algeria); "
            "WUP F12 lists no agglomeration for Western Sahara"),
    "STP": ("São Tomé", None, "São Tomé is below the 300k threshold of WUP F12 (no WUP agglomeration)"),
    "SEN": ("Dakar", "Dakar", ""),
    "SYC": ("Victoria", None, "Victoria is below the 300k threshold of WUP F12 (no WUP agglomeration)"),
    "SLE": ("Freetown", "Freetown", ""),
    "SSD": ("Juba", "Juba", ""),
    "TZA": ("Dodoma", None,
            "Dodoma (the official capital, to which the government has moved) is below the 300k "
            "threshold of WUP F12; Dar es Salaam, the former capital, is not marked as capital"),
    "TGO": ("Lomé", "Lomé", ""),
    "UGA": ("Kampala", "Kampala", ""),
    "ZMB": ("Lusaka", "Lusaka", ""),
    "ZWE": ("Harare", "Harare", ""),
}
# Countries of cities in an edition that have no national capital of their own (the
# `capital` variable is 0 for their cities); every other country must be in CAPITALS.
NO_NATIONAL_CAPITAL = {
    "HKG": "Hong Kong is a Special Administrative Region of China, not a country",
}

# (ISO3, name in published_results.csv) -> exact WUP agglomeration name, for names that are
# neither the WUP name nor the English name WUP gives in parentheses.
PUBLISHED_ALIASES = {
    ("SAU", "Jeddah"): "Jiddah",
    ("SAU", "Dammam"): "Ad-Dammam",
    ("SAU", "Al Khobar"): "Khubar",
    ("QAT", "Al Rayyan"): "Ar-Rayyan",
    ("ARE", "Al Ain"): "Al-Ain",
    ("EGY", "Suez"): "As-Suways",
    ("YEM", "Sana'a"): "Sana'a'",
    ("USA", "New York"): "New York-Newark",
    ("USA", "San Francisco"): "San Francisco-Oakland",
    ("USA", "Washington"): "Washington, D.C.",
}

# Published cities that are not WUP 300k+ agglomerations of their own (both lie inside a
# larger WUP agglomeration). Coordinates: English Wikipedia infobox of the city (CC BY-SA 4.0),
# read 2025. Population: no source in shared/data gives it, so it stays empty.
EXTRA_CITIES = [
    {"iso3": "EGY", "name": "New Cairo", "lat": 30.03, "lon": 31.47,
     "note": "satellite city inside the WUP agglomeration Al-Qahirah (Cairo); "
             "coordinates en.wikipedia.org/wiki/New_Cairo (30°02′N 31°28′E)"},
    {"iso3": "JPN", "name": "Yokohama", "lat": 35.44417, "lon": 139.63806,
     "note": "inside the WUP agglomeration Tokyo; "
             "coordinates en.wikipedia.org/wiki/Yokohama (35°26′39″N 139°38′17″E)"},
]

# English display names for WUP agglomerations, keyed by WUP City Code. Applied after
# names from published_results.csv and CAPITALS; otherwise a name "A (B)" displays as B
# (WUP's English form) unless A is listed in KEEP_LOCAL_NAME, and other names as in WUP.
DISPLAY_NAMES = {
    "20741": "Xinyi, Jiangsu",  # two WUP agglomerations named Xinyi
    "23793": "Xinyi, Guangdong",
    "23426": "Concord, California",  # two WUP agglomerations named Concord
    "23027": "Concord, North Carolina",
    "205656": "Ordos",  # WUP: "Erduosi (Ordoss)"
    "20264": "Porto Alegre",  # WUP: "Pôrto Alegre" (pre-1990 spelling)
    "20265": "Porto Velho",
    "204586": "Kitakyushu-Fukuoka",  # WUP: "Kitakyushu-Fukuoka M.M.A." (major metropolitan area)
    "206156": "Shizuoka-Hamamatsu",
    "21152": "Ahmedabad",  # WUP: "Ahmadabad"
    "23637": "Harbin",  # WUP: "Haerbin"
    "22823": "Port Said",
    "22644": "Sfax",
    "21903": "Tangier",
    "20019": "Constantine",
    "21893": "Fez",
    "21897": "Meknes",
    "22437": "Yanbu",
    "23240": "Taiz",
    "23238": "Hodeidah",
    "23741": "Mukalla",
    "22814": "Faiyum",
    "22815": "Ismailia",
    "22806": "El Mahalla El Kubra",
    "22819": "Mansoura",
    "22829": "Zagazig",
    "22612": "Hama",
    "22614": "Latakia",
    "21780": "Benghazi",
    "21781": "Misrata",
    "204112": "Hargeisa",
    "204113": "Kismayo",
    "22575": "El Obeid",
    "22422": "Jubail",
    "20020": "Djelfa",
    "22456": "Hai Phong",  # WUP: "Hai Phòng" (diacritics incomplete)
}
KEEP_LOCAL_NAME = {
    "Chennai", "Guwahati", "Kochi", "Kolkata", "Kozhikode", "Mumbai", "Pune", "Thoothukkudi",
    "Varanasi", "Makassar", "Basilan City", "Durban", "East London", "Pietermaritzburg",
    "Port Elizabeth", "Gaza", "Al Obeid", "Port Sudan", "Birmingham", "Southampton/Portsmouth",
    "Stoke-on-Trent", "Teeside", "Muenster", "Ürümqi", "Tel Aviv-Yafo",
}

# (metro city, metro country) -> (ISO3, exact WUP name or EXTRA_CITIES name)
METRO_ALIASES = {
    ("Hong Kong", "China"): ("HKG", "Hong Kong"),
    ("New York City", "United States"): ("USA", "New York-Newark"),
    ("San Francisco (Bay Area)", "United States"): ("USA", "San Francisco-Oakland"),
    ("Los Angeles", "United States"): ("USA", "Los Angeles-Long Beach-Santa Ana"),
    ("Nizhny Novgorod", "Russia"): ("RUS", "Nizhniy Novgorod"),
    ("Isfahan", "Iran"): ("IRN", "Esfahan"),
    ("Ahmedabad", "India"): ("IND", "Ahmadabad"),
    ("Harbin", "China"): ("CHN", "Haerbin"),
    ("Fuzhou", "China"): ("CHN", "Fuzhou, Fujian"),  # two WUP Fuzhous; the metro is Fujian's
    ("Suzhou", "China"): ("CHN", "Suzhou, Jiangsu"),  # two WUP Suzhous; the metro is Jiangsu's
    # Taizhou Rail Transit line S1 (52.4 km, 2022) is in Taizhou, Zhejiang; the list's
    # coordinates point to Taizhou, Jiangsu
    ("Taizhou", "China"): ("CHN", "Taizhou, Zhejiang"),
    ("Taipei", "Taiwan"): ("TWN", "Taibei"),
    ("Kaohsiung", "Taiwan"): ("TWN", "Gaoxiong"),
    ("Taichung", "Taiwan"): ("TWN", "Taizhong"),
    ("Daejeon", "South Korea"): ("KOR", "Daejon"),
    ("Nagoya", "Japan"): ("JPN", "Chukyo M.M.A. (Nagoya)"),
    ("Osaka", "Japan"): ("JPN", "Kinki M.M.A. (Osaka)"),
    ("Fukuoka", "Japan"): ("JPN", "Kitakyushu-Fukuoka M.M.A."),
    ("Dallas", "United States"): ("USA", "Dallas-Fort Worth"),
    ("San Juan", "United States"): ("PRI", "San Juan"),  # Puerto Rico has its own WUP code
    ("Minneapolis", "United States"): ("USA", "Minneapolis-St. Paul"),
}

# OpenFlights country names that differ from Gapminder's names -> ISO3. Names of neither
# list (e.g. Netherlands Antilles) count as their own country.
OPENFLIGHTS_COUNTRY = {
    "Burma": "MMR", "Myanmar": "MMR", "Cocos (Keeling) Islands": "CCK",
    "Congo (Brazzaville)": "COG", "Congo (Kinshasa)": "COD", "Cook Islands": "COK",
    "East Timor": "TLS", "Falkland Islands": "FLK", "Faroe Islands": "FRO", "Hong Kong": "HKG",
    "Johnston Atoll": "UMI", "Midway Islands": "UMI", "Wake Island": "UMI", "Kyrgyzstan": "KGZ",
    "Laos": "LAO", "Macau": "MAC", "Macedonia": "MKD", "Micronesia": "FSM",
    "Saint Helena": "SHN", "Saint Kitts and Nevis": "KNA", "Saint Lucia": "LCA",
    "Saint Pierre and Miquelon": "SPM", "Saint Vincent and the Grenadines": "VCT",
    "Slovakia": "SVK", "Swaziland": "SWZ", "United Arab Emirates": "ARE",
    "United Kingdom": "GBR", "United States": "USA", "Virgin Islands": "VIR",
    "Wallis and Futuna": "WLF", "West Bank": "PSE", "Palestine": "PSE",
}
# World Port Index "Country Code" values (country names) that differ from Gapminder's names
WPI_COUNTRY = {
    "Burma": "MMR", "Cabo Verde": "CPV", "Caribbean Netherlands": "BES", "Congo (Brazzaville)": "COG",
    "Congo (Kinshasa)": "COD", "Cook Islands": "COK", "Cote D'Ivoire": "CIV", "Curacao": "CUW",
    "Falkland Islands (Islas Malvinas)": "FLK", "Faroe Islands": "FRO",
    "Federated States of Micronesia": "FSM", "Hong Kong": "HKG", "Johnson Atoll": "UMI",
    "Macau": "MAC", "Midway Islands": "UMI", "Saint Helena, Ascension, and Tristan da Cunha": "SHN",
    "Saint Kitts and Nevis": "KNA", "Saint Lucia": "LCA", "Saint Pierre and Miquelon": "SPM",
    "Saint Vincent and the Grenadines (Windward Islands)": "VCT", "Sint Maarten": "SXM",
    "South Georgia and South Sandwich Islands": "SGS", "The Bahamas": "BHS", "The Gambia": "GMB",
    "U.S. Virgin Islands": "VIR", "United Arab Emirates": "ARE", "United Kingdom": "GBR",
    "United States": "USA", "Wake Island": "UMI", "Wallis and Futuna": "WLF",
}
# metro_systems.csv country names that differ from Gapminder's names -> ISO3
METRO_COUNTRY = {"United Arab Emirates": "ARE", "United Kingdom": "GBR", "United States": "USA"}
# ISO3 -> code used by the WGI file
WGI_CODE = {"PSE": "WBG", "ROU": "ROM", "TLS": "TMP", "COD": "ZAR", "AND": "ADO", "XKX": "KSV"}

HARBOR_SIZE = {"Very Small": 1, "Small": 2, "Medium": 3, "Large": 4}
AIR_RADIUS_KM = 50.0
PORT_RADIUS_KM = 50.0
METRO_RADIUS_KM = 30.0
EARTH_RADIUS_KM = 6371.0088
LOOKBACK_YEARS = 5

# --------------------------------------------------------------------------------------
# Sources and variables
# --------------------------------------------------------------------------------------

SOURCES = [
    {"id": "wup2018",
     "title": "UN DESA World Urbanization Prospects 2018, file F12 (urban agglomerations of 300k+)",
     "licence": "CC BY 3.0 IGO", "file": "cities/wup2018_urban_agglomerations_300k.csv",
     "attribution": "United Nations, Department of Economic and Social Affairs, Population "
                    "Division (2018). World Urbanization Prospects: The 2018 Revision, File 12. "
                    "Licensed under CC BY 3.0 IGO."},
    {"id": "wikipedia",
     "title": "Wikipedia city articles (coordinates of published cities that are not WUP agglomerations)",
     "licence": "CC BY-SA 4.0", "file": None,
     "attribution": "Coordinates from the English Wikipedia articles named in SOURCES.md, "
                    "CC BY-SA 4.0."},
    {"id": "openflights_airports", "title": "OpenFlights airports database",
     "licence": "ODbL 1.0", "file": "cities/openflights_airports.dat",
     "attribution": "Airport data from OpenFlights (openflights.org), made available under the "
                    "Open Database License (ODbL) v1.0."},
    {"id": "openflights_routes", "title": "OpenFlights route database (2014 snapshot)",
     "licence": "ODbL 1.0", "file": "cities/openflights_routes.dat",
     "attribution": "Route data from OpenFlights (openflights.org), made available under the "
                    "Open Database License (ODbL) v1.0. The derived counts are a derivative "
                    "database under ODbL."},
    {"id": "wpi", "title": "NGA World Port Index (Pub. 150)",
     "licence": "Public domain (US Government work)", "file": "cities/world_port_index.csv",
     "attribution": "World Port Index (Pub. 150), U.S. National Geospatial-Intelligence Agency; "
                    "public domain."},
    {"id": "metro", "title": "List of metro systems (Wikipedia, about 2023)",
     "licence": "CC BY-SA 4.0", "file": "cities/metro_systems.csv",
     "attribution": "Compiled from Wikipedia's \"List of metro systems\" (about 2023), "
                    "CC BY-SA 4.0; the derived columns are shared alike under CC BY-SA 4.0."},
    {"id": "gapminder_internet", "title": "Gapminder Systema Globalis: internet users (% of population), from WDI IT.NET.USER.ZS",
     "licence": "CC BY 4.0",
     "file": "countries/gapminder/ddf--datapoints--internet_users--by--geo--time.csv",
     "attribution": "Gapminder Systema Globalis (CC BY 4.0), from World Bank WDI (CC BY 4.0)."},
    {"id": "gapminder_broadband", "title": "Gapminder Systema Globalis: fixed broadband subscriptions per 100 people, from WDI IT.NET.BBND.P2",
     "licence": "CC BY 4.0",
     "file": "countries/gapminder/ddf--datapoints--broadband_subscribers_per_100_people--by--geo--time.csv",
     "attribution": "Gapminder Systema Globalis (CC BY 4.0), from World Bank WDI (CC BY 4.0)."},
    {"id": "gapminder_mobile", "title": "Gapminder Systema Globalis: mobile cellular subscriptions per 100 people, from WDI IT.CEL.SETS.P2",
     "licence": "CC BY 4.0",
     "file": "countries/gapminder/ddf--datapoints--cell_phones_per_100_people--by--geo--time.csv",
     "attribution": "Gapminder Systema Globalis (CC BY 4.0), from World Bank WDI (CC BY 4.0)."},
    {"id": "gapminder_gdp", "title": "Gapminder Systema Globalis: GDP per capita, PPP (alternative_gdp_per_capita_ppp_wb), from WDI NY.GDP.PCAP.PP.KD",
     "licence": "CC BY 4.0",
     "file": "countries/gapminder/ddf--datapoints--alternative_gdp_per_capita_ppp_wb--by--geo--time.csv",
     "attribution": "Gapminder Systema Globalis (CC BY 4.0), from World Bank WDI (CC BY 4.0)."},
    {"id": "gapminder_hdi", "title": "Gapminder Systema Globalis: Human Development Index, from UNDP HDR",
     "licence": "CC BY 4.0 (upstream UNDP HDR CC BY 3.0 IGO)",
     "file": "countries/gapminder/ddf--datapoints--hdi_human_development_index--by--geo--time.csv",
     "attribution": "Gapminder Systema Globalis (CC BY 4.0), from UNDP Human Development "
                    "Report Office (CC BY 3.0 IGO)."},
    {"id": "gapminder_urban", "title": "Gapminder Systema Globalis: urban population (% of total), from WDI SP.URB.TOTL.IN.ZS",
     "licence": "CC BY 4.0",
     "file": "countries/gapminder/ddf--datapoints--urban_population_percent_of_total--by--geo--time.csv",
     "attribution": "Gapminder Systema Globalis (CC BY 4.0), from World Bank WDI / UN "
                    "Population Division."},
    {"id": "gapminder_geo", "title": "Gapminder Systema Globalis: country entities (ISO codes, regions)",
     "licence": "CC BY 4.0", "file": "countries/gapminder/ddf--entities--geo--country.csv",
     "attribution": "Gapminder Systema Globalis (CC BY 4.0)."},
    {"id": "wdi_electricity", "title": "World Bank WDI: access to electricity (% of population), EG.ELC.ACCS.ZS",
     "licence": "CC BY 4.0", "file": "countries/wdi_access_to_electricity.csv",
     "attribution": "World Bank, World Development Indicators, EG.ELC.ACCS.ZS (CC BY 4.0)."},
    {"id": "owid_co2", "title": "Our World in Data: annual CO2 emissions per capita (Global Carbon Budget 2024)",
     "licence": "CC BY 4.0", "file": "countries/owid_co2_per_capita.csv",
     "attribution": "Our World in Data based on the Global Carbon Budget (2024), CC BY 4.0."},
    {"id": "wgi", "title": "World Bank Worldwide Governance Indicators, 2024 update",
     "licence": "CC BY 4.0", "file": "countries/wgi_worldwide_governance_indicators.csv",
     "attribution": "Kaufmann, D. and A. Kraay (2024). Worldwide Governance Indicators, 2024 "
                    "update, World Bank (www.govindicators.org), CC BY 4.0."},
    {"id": "au_regions",
     "title": "African Union regions (AU Handbook, African Union Commission), as listed in recipe/derive.py (AU_REGIONS)",
     "licence": "facts (membership and regional groups; no third-party text)", "file": None,
     "attribution": "Regional groups of the African Union member states as given in the AU "
                    "Handbook of the African Union Commission."},
    {"id": "capitals",
     "title": "National capitals: the recipe's capital table (CAPITALS in recipe/derive.py) matched to WUP 2018 agglomerations",
     "licence": "facts (compiled for this recipe; no third-party text)", "file": None,
     "attribution": "Capital table of the recipe (national capitals as of 2025; where the official "
                    "capital is not a WUP agglomeration, a seat of government may stand in, as noted "
                    "under Capital choices)."},
    {"id": "published", "title": "Published ranking outcomes used to choose cities",
     "licence": "facts from press coverage (city names only are used)",
     "file": "published/published_results.csv",
     "attribution": "City names from the rankings' press coverage as listed in the file."},
]

GAPMINDER_FILES = {
    "internet_pct": ("gapminder_internet", "internet_users"),
    "broadband_per100": ("gapminder_broadband", "broadband_subscribers_per_100_people"),
    "mobile_per100": ("gapminder_mobile", "cell_phones_per_100_people"),
    "gdp_pc_ppp": ("gapminder_gdp", "alternative_gdp_per_capita_ppp_wb"),
    "hdi": ("gapminder_hdi", "hdi_human_development_index"),
    "urban_pct": ("gapminder_urban", "urban_population_percent_of_total"),
}
WGI_VARS = {"wgi_ge": "ge", "wgi_rq": "rq", "wgi_rl": "rl", "wgi_cc": "cc", "wgi_va": "va", "wgi_pv": "pv"}
WGI_NAMES = {
    "ge": "Government Effectiveness", "rq": "Regulatory Quality", "rl": "Rule of Law",
    "cc": "Control of Corruption", "va": "Voice and Accountability",
    "pv": "Political Stability and Absence of Violence/Terrorism",
}

# column -> (unit, description, source, min, max)
VARIABLES = [
    ("lat", "degree", "Latitude of the city centre (WGS84): WUP 2018 agglomeration coordinates; extra cities from Wikipedia.", "wup2018", -90.0, 90.0),
    ("lon", "degree", "Longitude of the city centre (WGS84): WUP 2018 agglomeration coordinates; extra cities from Wikipedia.", "wup2018", -180.0, 180.0),
    ("population_k", "thousand people", "Population of the urban agglomeration at the edition year: linear interpolation between the two WUP 2018 five-year values around it. Empty for cities that are not WUP agglomerations.", "wup2018", 0.0, None),
    ("air_routes", "airports", "Distinct destination airports (IATA) of direct scheduled routes (stops = 0, any airline) from all airports of the city's country with an IATA code within 50 km of the city centre; the city's own airports are not destinations. 0 = no such airport, or no route from it in the 2014 snapshot.", "openflights_routes", 0.0, None),
    ("air_countries", "countries", "Distinct countries of those destination airports, excluding the city's own country (OpenFlights country names mapped to ISO3).", "openflights_routes", 0.0, None),
    ("port_size", "code", "Largest World Port Index harbour size among the ports of the city's country within 50 km of the city centre: 1 Very Small, 2 Small, 3 Medium, 4 Large; 0 = no such port.", "wpi", 0.0, 4.0),
    ("metro_km", "km", "Total route length of the rapid-transit (metro) systems assigned to the city (by name and country, else nearest city of the same country within 30 km); 0 = none.", "metro", 0.0, None),
    ("metro_stations", "stations", "Total stations of the metro systems assigned to the city; 0 = none.", "metro", 0.0, None),
    ("metro_ridership_m", "million trips per year", "Total annual ridership of the metro systems assigned to the city; 0 = no metro; empty if a system's ridership is unknown.", "metro", 0.0, None),
    ("internet_pct", "% of population", "Individuals using the Internet, country value.", "gapminder_internet", 0.0, 100.0),
    ("broadband_per100", "subscriptions per 100 people", "Fixed broadband subscriptions per 100 people, country value.", "gapminder_broadband", 0.0, None),
    ("mobile_per100", "subscriptions per 100 people", "Mobile cellular subscriptions per 100 people (can exceed 100), country value.", "gapminder_mobile", 0.0, None),
    ("gdp_pc_ppp", "international $ (constant prices)", "GDP per capita, PPP, country value (Gapminder alternative_gdp_per_capita_ppp_wb; constant 2021 international $ per shared/data/README.md - the concept file still says 2015, but US 2023 = 74159 matches 2021 prices).", "gapminder_gdp", 0.0, None),
    ("hdi", "index", "Human Development Index, country value.", "gapminder_hdi", 0.0, 1.0),
    ("urban_pct", "% of population", "Urban population share, country value.", "gapminder_urban", 0.0, 100.0),
    ("electricity_pct", "% of population", "Access to electricity, country value.", "wdi_electricity", 0.0, 100.0),
    ("co2_pc", "t CO2 per person", "Annual CO2 emissions per capita (fossil and industry), country value.", "owid_co2", 0.0, None),
] + [
    (col, "estimate (about -2.5 to 2.5)", f"WGI {WGI_NAMES[code]}: estimate (standard normal units), country value.", "wgi", None, None)
    for col, code in WGI_VARS.items()
] + [
    ("capital", "indicator (1 = yes, 0 = no)", "1 if the city is its country's national capital according to the recipe's capital table (CAPITALS in recipe/derive.py: the official capital, or the seat of government where the official capital is not a WUP agglomeration - see SOURCES.md), else 0. A country whose capital is not a 300k+ WUP agglomeration has no city with 1; Hong Kong (no national capital) has 0.", "capitals", 0.0, 1.0),
]
RAW_COLUMNS = [v[0] for v in VARIABLES if v[0] not in ("lat", "lon")]
HEADER = ["id", "name", "country", "region", "lat", "lon"] + RAW_COLUMNS
VALUE_COLUMNS = HEADER[4:]
COVARIATES = list(GAPMINDER_FILES) + ["electricity_pct", "co2_pc"] + list(WGI_VARS)

# decimals kept for computed or copied floats (then written with repr)
DECIMALS = {"population_k": 3, "metro_km": 3, "metro_ridership_m": 3}

LICENCE_SUMMARY = (
    "The derived table inherits the attribution requirements of its sources: UN DESA WUP 2018 "
    "(CC BY 3.0 IGO), OpenFlights airports and routes (ODbL 1.0, derivative database), "
    "Wikipedia metro list and city coordinates (CC BY-SA 4.0, share alike), Gapminder / World "
    "Bank WDI / WGI / Our World in Data (CC BY 4.0), NGA World Port Index (public domain). "
    "See SOURCES.md for the attribution texts."
)

# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def norm(s):
    s = strip_accents(s).lower().replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", s).split())


def slug(s):
    return "-".join(norm(s).split())


def clean_ws(s):
    return " ".join(s.split())


def split_paren(name):
    """'Al-Qahirah (Cairo)' -> ('Al-Qahirah', 'Cairo'); names without parentheses -> (name, None)."""
    m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", name)
    if not m:
        return clean_ws(name), None
    return clean_ws(m.group(1)), clean_ws(m.group(2))


def fmt(value, col=None):
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("bool value")
    if isinstance(value, int):
        return str(value)
    nd = DECIMALS.get(col)
    v = round(value, nd) if nd is not None else value
    if v == 0:
        v = 0.0  # no "-0.0"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def toml_str(s):
    return json.dumps(s, ensure_ascii=False)


def toml_float(x):
    r = repr(float(x))
    return r if ("." in r or "e" in r or "inf" in r or "nan" in r) else r + ".0"


def read_csv(path, encoding="utf-8"):
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------------------
# Loading raw data
# --------------------------------------------------------------------------------------


class Data:
    def __init__(self, shared):
        self.shared = shared
        p = lambda *a: os.path.join(shared, *a)  # noqa: E731

        # Gapminder entities
        self.entities = {}
        num_to_iso = {}
        name_to_iso = {}
        for e in read_csv(p("countries", "gapminder", "ddf--entities--geo--country.csv")):
            iso = e["iso3166_1_alpha3"]
            if not iso:
                continue
            self.entities[iso] = e
            if e["iso3166_1_numeric"]:
                num_to_iso[int(e["iso3166_1_numeric"])] = iso
            name_to_iso[e["name"]] = iso
        self.name_to_iso = name_to_iso

        # WUP agglomerations
        self.cities = []  # list of dict
        for r in read_csv(p("cities", "wup2018_urban_agglomerations_300k.csv")):
            iso = num_to_iso[int(r["Country Code"])]
            pops = {}
            for y in range(1950, 2040, 5):
                if r.get(str(y), "").strip():
                    pops[y] = float(r[str(y)])
            self.cities.append({
                "key": "wup:" + r["City Code"].strip(), "code": r["City Code"].strip(),
                "iso3": iso, "wup_name": clean_ws(r["Urban Agglomeration"]),
                "lat": float(r["Latitude"]), "lon": float(r["Longitude"]), "pops": pops,
                "extra": None,
            })
        for x in EXTRA_CITIES:
            self.cities.append({
                "key": "extra:" + x["iso3"] + ":" + x["name"], "code": None, "iso3": x["iso3"],
                "wup_name": None, "lat": x["lat"], "lon": x["lon"], "pops": None, "extra": x,
            })
        self.by_key = {c["key"]: c for c in self.cities}
        self.by_country = defaultdict(list)
        for c in self.cities:
            self.by_country[c["iso3"]].append(c)

        self.published = read_csv(p("published", "published_results.csv"))

        # OpenFlights
        self.airports = []
        self.airport_country = {}
        with open(p("cities", "openflights_airports.dat"), encoding="utf-8", newline="") as f:
            for a in csv.reader(f):
                iata = a[4]
                if iata in ("\\N", ""):
                    continue
                self.airport_country[iata] = self.of_country(a[3])
                self.airports.append((iata, float(a[6]), float(a[7]), self.airport_country[iata]))
        self.routes = defaultdict(set)  # source IATA -> destination IATAs
        with open(p("cities", "openflights_routes.dat"), encoding="utf-8", newline="") as f:
            for r in csv.reader(f):
                if r[7] != "0":
                    continue
                self.routes[r[2]].add(r[4])

        # World Port Index
        self.ports = []
        for r in read_csv(p("cities", "world_port_index.csv"), encoding="utf-8-sig"):
            country = r["Country Code"].strip()
            iso = WPI_COUNTRY.get(country) or self.name_to_iso.get(country, "name:" + country)
            self.ports.append((clean_ws(r["Main Port Name"]), float(r["Latitude"]), float(r["Longitude"]),
                               HARBOR_SIZE.get(r["Harbor Size"].strip()), iso))

        # Metro systems
        self.metros = read_csv(p("cities", "metro_systems.csv"))

        # Covariates: var -> iso3 -> {year: value}
        self.cov = {}
        for var, (_, concept) in GAPMINDER_FILES.items():
            d = defaultdict(dict)
            fn = f"ddf--datapoints--{concept}--by--geo--time.csv"
            for r in read_csv(p("countries", "gapminder", fn)):
                if r[concept].strip():
                    d[r["geo"].upper()][int(r["time"])] = float(r[concept])
            self.cov[var] = d
        d = defaultdict(dict)
        with open(p("countries", "wdi_access_to_electricity.csv"), encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        hi = next(i for i, r in enumerate(rows) if r and r[0] == "Country Name")
        head = rows[hi]
        for r in rows[hi + 1:]:
            if len(r) < 5:
                continue
            for j, h in enumerate(head):
                if h.strip().isdigit() and j < len(r) and r[j].strip():
                    d[r[1]][int(h)] = float(r[j])
        self.cov["electricity_pct"] = d
        d = defaultdict(dict)
        for r in read_csv(p("countries", "owid_co2_per_capita.csv")):
            if r["Code"] and r["Annual CO2 emissions (per capita)"].strip():
                d[r["Code"]][int(r["Year"])] = float(r["Annual CO2 emissions (per capita)"])
        self.cov["co2_pc"] = d
        wgi = {v: defaultdict(dict) for v in WGI_VARS}
        inv = {code: col for col, code in WGI_VARS.items()}
        for r in read_csv(p("countries", "wgi_worldwide_governance_indicators.csv"), encoding="utf-8-sig"):
            est = r["estimate"].strip()
            if est in ("", ".."):
                continue
            wgi[inv[r["indicator"]]][r["code"]][int(r["year"])] = float(est)
        self.cov.update(wgi)

        self._assign_display_names()
        self._assign_metros()
        self.capital_keys = {self.find_wup(iso, wup)["key"] for iso, (_, wup, _) in CAPITALS.items()
                             if wup and iso in self.by_country}

    # -- names ---------------------------------------------------------------------------
    def of_country(self, name):
        if name in OPENFLIGHTS_COUNTRY:
            return OPENFLIGHTS_COUNTRY[name]
        return self.name_to_iso.get(name, "name:" + name)

    def find_wup(self, iso3, wup_name):
        hits = [c for c in self.by_country[iso3] if c["wup_name"] == clean_ws(wup_name)]
        if len(hits) != 1:
            raise SystemExit(f"WUP agglomeration {wup_name!r} ({iso3}) found {len(hits)} times")
        return hits[0]

    def match_published(self, iso3, name):
        """Return (city, how) for a published city name; how in exact/english/alias/extra."""
        for x in self.by_country[iso3]:
            if x["extra"] and x["extra"]["name"] == name:
                return x, "extra"
        if (iso3, name) in PUBLISHED_ALIASES:
            return self.find_wup(iso3, PUBLISHED_ALIASES[(iso3, name)]), "alias"
        n = norm(name)
        exact = [c for c in self.by_country[iso3] if c["wup_name"] and norm(c["wup_name"]) == n]
        if len(exact) == 1:
            return exact[0], "exact"
        eng = [c for c in self.by_country[iso3]
               if c["wup_name"] and split_paren(c["wup_name"])[1] and norm(split_paren(c["wup_name"])[1]) == n]
        if len(eng) == 1:
            return eng[0], "english"
        return None, None

    def _assign_display_names(self):
        names = {}
        for c in self.cities:
            if c["extra"]:
                names[c["key"]] = c["extra"]["name"]
        for iso, (disp, wup, _) in CAPITALS.items():
            if wup and iso in self.by_country:
                names[self.find_wup(iso, wup)["key"]] = disp
        for code, disp in DISPLAY_NAMES.items():
            hits = [c for c in self.cities if c["code"] == code]
            if len(hits) != 1:
                raise SystemExit(f"DISPLAY_NAMES: WUP city code {code} not found")
            k = hits[0]["key"]
            if k in names and names[k] != disp:
                raise SystemExit(f"display name conflict for {k}: {names[k]} vs {disp}")
            names[k] = disp
        # names used by the published rankings (any ranking) must be the display names, so
        # that a city keeps one id across editions
        for r in self.published:
            c, _ = self.match_published(r["country_iso3"], r["city"])
            if c is None:
                continue
            if c["key"] in names and names[c["key"]] != r["city"]:
                raise SystemExit(f"display name conflict for {c['key']}: {names[c['key']]} vs "
                                 f"published {r['city']} - fix DISPLAY_NAMES")
            names[c["key"]] = r["city"]
        # "Guangzhou, Guangdong" -> "Guangzhou" unless another WUP agglomeration of the
        # country has the same base name (Suzhou, Anhui / Suzhou, Jiangsu keep theirs)
        base_count = Counter((c["iso3"], c["wup_name"].split(",")[0]) for c in self.cities if c["wup_name"])
        for c in self.cities:
            if c["key"] not in names:
                main, eng = split_paren(c["wup_name"])
                disp = main if (eng is None or main in KEEP_LOCAL_NAME) else eng
                if eng is None and "," in main and base_count[(c["iso3"], main.split(",")[0])] == 1:
                    disp = main.split(",")[0].strip()
                names[c["key"]] = disp
            c["name"] = names[c["key"]]
            c["id"] = c["iso3"].lower() + "-" + slug(c["name"])
        seen = Counter(c["id"] for c in self.cities)
        dup = sorted(k for k, v in seen.items() if v > 1)
        if dup:
            raise SystemExit("duplicate city ids (add DISPLAY_NAMES entries): " + ", ".join(dup))

    # -- metro assignment -------------------------------------------------------------------
    def _assign_metros(self):
        self.metro_of = defaultdict(list)  # city key -> list of (metro row, how, km)
        self.metro_unassigned = []
        for m in self.metros:
            country = m["country"]
            key = (m["city"], country)
            if key in METRO_ALIASES:
                iso, target = METRO_ALIASES[key]
                hits = [c for c in self.by_country[iso]
                        if c["wup_name"] == target or (c["extra"] and c["extra"]["name"] == target)]
                if len(hits) != 1:
                    raise SystemExit(f"METRO_ALIASES target {target!r} ({iso}) not found")
                self.metro_of[hits[0]["key"]].append((m, "alias", None))
                continue
            iso = METRO_COUNTRY.get(country) or self.name_to_iso.get(country)
            if iso is None:
                raise SystemExit(f"metro country {country!r} unknown")
            n = norm(m["city"])
            cands = []
            for c in self.by_country[iso]:
                forms = {norm(c["name"])}
                if c["wup_name"]:
                    main, eng = split_paren(c["wup_name"])
                    forms |= {norm(c["wup_name"]), norm(main)} | ({norm(eng)} if eng else set())
                    if eng is None and "," in main:
                        forms.add(norm(main.split(",")[0]))
                if n in forms:
                    cands.append(c)
            if len(cands) == 1:
                self.metro_of[cands[0]["key"]].append((m, "name", None))
                continue
            if len(cands) > 1:
                raise SystemExit(f"metro {m['name']} matches several cities: {[c['key'] for c in cands]}")
            lat, lon = float(m["latitude"]), float(m["longitude"])
            best = None
            for c in self.by_country[iso]:
                dkm = haversine_km(lat, lon, c["lat"], c["lon"])
                if dkm <= METRO_RADIUS_KM and (best is None or (dkm, c["key"]) < best[:2]):
                    best = (dkm, c["key"])
            if best:
                self.metro_of[best[1]].append((m, "distance", best[0]))
            else:
                self.metro_unassigned.append(m)

    # -- measures ----------------------------------------------------------------------------
    def population(self, c, year):
        if not c["pops"]:
            return None
        y0 = year - year % 5
        if year % 5 == 0:
            return c["pops"][y0]
        p0, p1 = c["pops"][y0], c["pops"][y0 + 5]
        return p0 + (p1 - p0) * (year - y0) / 5.0

    def air(self, c):
        near = sorted({a[0] for a in self.airports if a[3] == c["iso3"]
                       and haversine_km(c["lat"], c["lon"], a[1], a[2]) <= AIR_RADIUS_KM})
        dests = set()
        for a in near:
            dests |= self.routes.get(a, set())
        dests -= set(near)
        countries = {self.airport_country[d] for d in dests if d in self.airport_country}
        countries.discard(c["iso3"])
        unknown = sorted(d for d in dests if d not in self.airport_country)
        return len(dests), len(countries), near, unknown

    def port(self, c):
        best, best_name, unknown = 0, None, []
        for name, lat, lon, size, iso in self.ports:
            if iso != c["iso3"]:
                continue
            dkm = haversine_km(c["lat"], c["lon"], lat, lon)
            if dkm > PORT_RADIUS_KM:
                continue
            if size is None:
                unknown.append(name)
            elif size > best or (size == best and best_name and name < best_name):
                best, best_name = size, name
        if best == 0 and unknown:
            return None, None, sorted(unknown)
        return best, best_name, sorted(unknown)

    def metro(self, c):
        ms = self.metro_of.get(c["key"], [])
        if not ms:
            return 0, 0, 0, []
        km = sum(float(m["system_length"]) for m, _, _ in ms)
        st = sum(int(m["stations"]) for m, _, _ in ms)
        rid = [m["annual_ridership_millions"].strip() for m, _, _ in ms]
        ridership = None if any(r == "" for r in rid) else sum(float(r) for r in rid)
        return km, st, ridership, ms

    def capital(self, c):
        """1 if the city is its country's capital in CAPITALS, else 0."""
        if c["iso3"] not in CAPITALS and c["iso3"] not in NO_NATIONAL_CAPITAL:
            raise SystemExit(f"no CAPITALS (or NO_NATIONAL_CAPITAL) entry for {c['iso3']}, country of {c['id']}")
        return 1 if c["key"] in self.capital_keys else 0

    def covariate(self, var, iso3, year):
        code = WGI_CODE.get(iso3, iso3) if var in WGI_VARS else iso3
        series = self.cov[var].get(code, {})
        for y in range(year, year - LOOKBACK_YEARS - 1, -1):
            if y in series:
                return series[y], y
        return None, None


# --------------------------------------------------------------------------------------
# Building an edition
# --------------------------------------------------------------------------------------


def select_cities(data, ed):
    year = ed["year"]
    chosen = {}  # key -> reasons list
    order = []
    notes = {"capitals_missing": [], "published": [], "published_unmatched": []}

    def add(c, reason):
        if c["key"] not in chosen:
            chosen[c["key"]] = []
            order.append(c["key"])
        if reason not in chosen[c["key"]]:
            chosen[c["key"]].append(reason)

    for iso in sorted(ed["members"]):
        if iso not in CAPITALS:
            raise SystemExit(f"no CAPITALS entry for member {iso}")
        disp, wup, note = CAPITALS[iso]
        if wup is None:
            notes["capitals_missing"].append((iso, disp, note))
            continue
        add(data.find_wup(iso, wup), "capital")
    for ranking, edition in ed["rankings"]:
        rows = [r for r in data.published if r["ranking"] == ranking and r["edition"] == edition]
        if not rows:
            raise SystemExit(f"no published rows for {ranking} {edition}")
        for r in rows:
            c, how = data.match_published(r["country_iso3"], r["city"])
            if c is None:
                notes["published_unmatched"].append(r)
                continue
            notes["published"].append((r, c, how))
            add(c, "published")
    fixed = len(order)
    if fixed > ed["target"]:
        print(f"warning: {fixed} capitals and published cities exceed the target {ed['target']}", file=sys.stderr)
    members = set(ed["members"])
    pool = [c for c in data.cities if c["iso3"] in members and c["key"] not in chosen and c["pops"]]
    pool.sort(key=lambda c: (-data.population(c, year), c["code"]))
    for c in pool:
        if len(order) >= ed["target"]:
            break
        add(c, "size")
    return [data.by_key[k] for k in order], chosen, notes


def check_config():
    """Consistency of the edition tables (members unique, regions cover the members exactly)."""
    for eid, ed in EDITIONS.items():
        if len(set(ed["members"])) != len(ed["members"]):
            raise SystemExit(f"{eid}: duplicate members")
        if "regions" in ed:
            listed = [iso for isos in ed["regions"].values() for iso in isos]
            if sorted(listed) != sorted(ed["members"]):
                raise SystemExit(f"{eid}: regions do not list exactly the members")
    for pid, p in PANELS.items():
        base = EDITIONS[p["base"]]
        ys = p["years"]
        if ys != sorted(set(ys)) or ys[-1] != base["year"]:
            raise SystemExit(f"{pid}: panel years must be increasing and end at {base['year']}")


def edition_spec(eid):
    """An EDITIONS entry, or a PANELS entry merged into the configuration of its base edition."""
    if eid in EDITIONS:
        return EDITIONS[eid]
    p = PANELS[eid]
    base = EDITIONS[p["base"]]
    ys = list(p["years"])
    title = base["title"]
    suffix = f", {base['year']}"
    if title.endswith(suffix):
        title = title[: -len(suffix)]
    return dict(base, title=f"{title}, {ys[0]}-{ys[-1]} (panel)", base=p["base"], panel_years=ys)


def dataset_ids():
    return list(EDITIONS) + list(PANELS)


def build_edition(data, eid, ed):
    year = ed["year"]
    panel = "panel_years" in ed
    years = ed["panel_years"] if panel else [year]
    cities, reasons, notes = select_cities(data, ed)
    region_of = ({iso: reg for reg, isos in ed["regions"].items() for iso in isos}
                 if "regions" in ed else None)
    rows, audit = [], []
    cov_years = defaultdict(Counter)  # var -> Counter(year used), over all rows
    cov_years_by = {y: defaultdict(Counter) for y in years}  # row year -> var -> Counter
    for c in cities:
        if region_of is not None:
            if c["iso3"] not in region_of:
                raise SystemExit(f"{eid}: no region for {c['iso3']} ({c['id']})")
            region = region_of[c["iso3"]]
        else:
            region = data.entities.get(c["iso3"], {}).get(ed["region_field"], "")
        n_routes, n_countries, near, unknown_dest = data.air(c)
        psize, pname, punknown = data.port(c)
        mkm, mst, mrid, ms = data.metro(c)
        for y in years:
            row = {
                "id": c["id"], "name": c["name"], "country": c["iso3"], "region": region,
                "lat": c["lat"], "lon": c["lon"],
                "population_k": data.population(c, y),
                "air_routes": n_routes, "air_countries": n_countries,
                "port_size": psize,
                "metro_km": mkm, "metro_stations": mst, "metro_ridership_m": mrid,
                "capital": data.capital(c),
            }
            if panel:
                row["year"] = y
            for var in COVARIATES:
                v, vy = data.covariate(var, c["iso3"], y)
                row[var] = v
                if vy is not None:
                    cov_years[var][vy] += 1
                    cov_years_by[y][var][vy] += 1
            rows.append(row)
        audit.append({"city": c, "reasons": reasons[c["key"]], "airports": near,
                      "unknown_dest": unknown_dest, "port": (psize, pname, punknown), "metros": ms})
    rows.sort(key=lambda r: (r["id"], r.get("year", 0)))
    for col, _, _, _, vmin, vmax in VARIABLES:
        for r in rows:
            v = r[col]
            if v is not None and ((vmin is not None and v < vmin) or (vmax is not None and v > vmax)):
                raise SystemExit(f"{eid}: {r['id']} {col} = {v} outside [{vmin}, {vmax}]")
    audit.sort(key=lambda a: a["city"]["id"])
    keys = [(r["id"], r.get("year")) for r in rows]
    assert len(keys) == len(set(keys)), "duplicate ids"
    return {"id": eid, "ed": ed, "rows": rows, "audit": audit, "notes": notes, "cov_years": cov_years,
            "cov_years_by": cov_years_by, "panel": panel, "years": years, "n_cities": len(cities)}


def csv_header(built):
    keys = ["id", "name", "country", "region"] + (["year"] if built["panel"] else [])
    return keys + VALUE_COLUMNS


def render_csv(built):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_header(built))
    for r in built["rows"]:
        w.writerow([r["id"], r["name"], r["country"], r["region"]]
                   + ([str(r["year"])] if built["panel"] else [])
                   + [fmt(r[col], col) for col in VALUE_COLUMNS])
    return buf.getvalue()


def missing_counts(rows):
    return {col: sum(1 for r in rows if r[col] is None) for col in VALUE_COLUMNS}


def year_phrase(counter):
    return ", ".join(f"{y} ({n} cities)" for y, n in sorted(counter.items(), reverse=True))


def rule_text(ed):
    rk = "; ".join(f"{r} {e}" for r, e in ed["rankings"])
    b = ((f"(b) every city named in published_results.csv for the matching published ranking ({rk}), "
          "whatever its country, matched to WUP by name, WUP's English name or a documented alias, "
          "or added from a small table of extra cities (Wikipedia coordinates, population left empty) "
          "when it is not a WUP agglomeration; ") if rk else
         "(b) no published ranking is mapped to this edition, so no city is added by name; ")
    return (
        f"Members: {ed['members_label']}. Cities are taken in this order until {ed['target']} are chosen: "
        "(a) the capital of every member country that is a UN WUP 2018 urban agglomeration of 300k+; "
        + b + "(c) the largest remaining WUP agglomerations of the "
        f"member countries by interpolated population in {ed['year']}."
        + (f" Panel: the same cities as `{ed['base']}` (chosen for {ed['year']}), one row per city and "
           f"year for {', '.join(str(y) for y in ed['panel_years'])}." if "panel_years" in ed else "")
    )


def render_toml(built):
    ed, rows = built["ed"], built["rows"]
    year = ed["year"]
    out = []
    out.append("schema_version = 1")
    out.append(f"id = {toml_str(built['id'])}")
    out.append(f"title = {toml_str(ed['title'])}")
    out.append(f"year = {year}")
    out.append('file = "cities.csv"')
    out.append(f"rule = {toml_str(rule_text(ed))}")
    out.append(f"licence = {toml_str(LICENCE_SUMMARY)}")
    out.append("")
    out.append("[columns]")
    out.append('id = "id"')
    out.append('name = "name"')
    out.append('country = "country"')
    out.append('groups = ["region"]')
    panel = built["panel"]
    if panel:
        out.append('time = "year"')
    same_every_year = "; the same snapshot in every year of the panel (not a time series)" if panel else ""
    used_sources = set()
    for col, unit, desc, src, vmin, vmax in VARIABLES:
        used_sources.add(src)
        var_year, note = None, None
        if col == "population_k":
            if panel:
                desc = desc.replace("at the edition year", "in the row's year")
                note = "interpolated to each row's year: " + "; ".join(
                    f"{y} {pop_formula(y, short=True)}" for y in built["years"])
            else:
                var_year = year
                note = (f"interpolated between WUP {year - year % 5} and {year - year % 5 + 5}"
                        if year % 5 else None)
        elif col in ("air_routes", "air_countries"):
            var_year = 2014
            note = "OpenFlights route snapshot of 2014 (routes have been added and dropped since)" + same_every_year
        elif col.startswith("metro_"):
            note = ("Wikipedia list of metro systems, about 2023; Riyadh Metro (opened Dec 2024) is absent"
                    + (f"; {ed['metro_note']}" if ed.get("metro_note") else "") + same_every_year)
        elif col == "port_size":
            note = ("World Port Index as in shared/data (Pub. 150); harbour size is a static classification"
                    + same_every_year)
        elif col == "capital":
            note = ("static table of national capitals as of 2025" + (", the same in every year of the panel"
                                                                       if panel else ""))
        elif col in COVARIATES:
            if panel:
                note = (f"value of the row's year or the latest year before it within {LOOKBACK_YEARS} years; "
                        "years used: " + "; ".join(
                            f"{y} rows: {year_phrase(built['cov_years_by'][y][col]) or 'none'}"
                            for y in built["years"]))
            else:
                cy = built["cov_years"][col]
                if len(cy) == 1:
                    var_year = next(iter(cy))
                note = (f"value of {year} or the latest year before it within {LOOKBACK_YEARS} years; "
                        f"years used: {year_phrase(cy) if cy else 'none'}")
        if col in ("lat", "lon") and any(c["extra"] for c in (a["city"] for a in built["audit"])):
            used_sources.add("wikipedia")
        out.append("")
        out.append("[[variables]]")
        out.append(f"id = {toml_str(col)}")
        out.append('type = "number"')
        out.append(f"unit = {toml_str(unit)}")
        out.append(f"description = {toml_str(desc)}")
        out.append(f"source = {toml_str(src)}")
        if vmin is not None:
            out.append(f"min = {toml_float(vmin)}")
        if vmax is not None:
            out.append(f"max = {toml_float(vmax)}")
        if var_year is not None:
            out.append(f"year = {var_year}")
        if note:
            out.append(f"note = {toml_str(note)}")
    used_sources |= {"openflights_airports", "gapminder_geo", "published"}
    if not built["ed"]["rankings"]:
        used_sources.discard("published")
    if "regions" in built["ed"]:
        used_sources.add(built["ed"]["regions_source"])
    for s in SOURCES:
        if s["id"] not in used_sources:
            continue
        out.append("")
        out.append("[[sources]]")
        out.append(f"id = {toml_str(s['id'])}")
        out.append(f"title = {toml_str(s['title'])}")
        out.append(f"licence = {toml_str(s['licence'])}")
        if s["file"]:
            out.append(f"file = {toml_str(s['file'])}")
    text = "\n".join(out) + "\n"
    parsed = tomllib.loads(text)  # must parse
    var_ids = {v["id"] for v in parsed["variables"]}
    src_ids = {s["id"] for s in parsed["sources"]}
    assert set(VALUE_COLUMNS) == var_ids, "variables out of sync with header"
    assert (parsed["columns"].get("time") == "year") == panel and "year" not in var_ids
    assert all(v["source"] in src_ids for v in parsed["variables"]), "unknown source id"
    return text, sorted(used_sources)


def pop_formula(year, short=False):
    yy = year - year % 5
    if short:
        return (f"= WUP{year}" if year % 5 == 0 else
                f"= WUP{yy} + (WUP{yy + 5} - WUP{yy}) x {year - yy}/5")
    return (f"WUP 2018 value for {year}" if year % 5 == 0 else
            f"linear interpolation WUP{yy} + (WUP{yy + 5} - WUP{yy}) x {year - yy}/5 (WUP 2018 projections, "
            "not observations)")


def md_escape(s):
    return str(s).replace("|", "\\|")


def render_sources_md(data, built, used_sources):
    ed, rows, audit, notes = built["ed"], built["rows"], built["audit"], built["notes"]
    year = ed["year"]
    L = []
    L.append(f"# {ed['title']} (`{built['id']}`)")
    L.append("")
    L.append("Generated by `methodologies/data/recipe/derive.py` from the raw files in `shared/data` "
             "(do not edit by hand; see `methodologies/data/README.md`).")
    L.append("")
    panel = built["panel"]
    years = built["years"]
    if panel:
        L.append(f"Panel: {built['n_cities']} cities x {len(years)} years ({', '.join(map(str, years))}) = "
                 f"{len(rows)} rows, one per city and year, sorted by id then year; the `year` column is the "
                 "time column (`columns.time`), not a variable. "
                 f"{len(VALUE_COLUMNS)} numeric columns (`lat`, `lon` and {len(RAW_COLUMNS)} variables). "
                 "Missing values are empty cells; nothing is imputed or estimated.")
        L.append("")
        L.append(f"The cities are those of `{ed['base']}` (see its SOURCES.md). Per row year: population "
                 "interpolated to that year; country covariates and WGI of that year or the latest year "
                 f"before it within {LOOKBACK_YEARS} years. **The city infrastructure variables "
                 "(" + ", ".join(f"`{c}`" for c in STATIC_COLUMNS) + ") have a single snapshot in the sources "
                 "(OpenFlights routes 2014, World Port Index, Wikipedia metro list about 2023); the same "
                 "value is repeated in every year. They are not a time series: their change between years "
                 "is zero by construction, not an observation.** `lat`, `lon` and `capital` are also the "
                 "same in every year. A covariate not yet published for a row's year repeats the latest "
                 "earlier value (e.g. WGI 2023 in the 2024 rows; see the table of years used below), so "
                 "some country values do not change between consecutive years. The rows of the last year "
                 f"equal `{ed['base']}`.")
    else:
        L.append(f"{len(rows)} cities, {len(VALUE_COLUMNS)} numeric columns (`lat`, `lon` and {len(RAW_COLUMNS)} variables). "
                 "Missing values are empty cells; nothing is imputed or estimated.")
    L.append("")
    if ed.get("announced"):
        L.append("Announced edition: no published ranking exists yet to match, so the city set follows "
                 "the generic rule only (capitals, then the largest agglomerations). A partner may refine "
                 "the member list, the target or the city list in `EDITIONS` of `recipe/derive.py`.")
        L.append("")
    L.append("## City-set rule")
    L.append("")
    L.append(rule_text(ed))
    L.append("")
    L.append("Member ISO3 codes: " + " ".join(sorted(ed["members"])) + ".")
    L.append("")
    if "regions" in ed:
        L.append(f"Members by region ({ed['regions_label']}):")
        L.append("")
        for reg, isos in ed["regions"].items():
            L.append(f"- `{reg}` ({len(isos)}): " + " ".join(sorted(isos)) + ".")
        L.append("")
    by_reason = Counter("+".join(a["reasons"]) for a in audit)
    L.append("Cities by reason: " + ", ".join(f"{k}: {v}" for k, v in sorted(by_reason.items())) + ".")
    L.append("")
    per_country = Counter(a["city"]["iso3"] for a in audit)
    no_city = [iso for iso in sorted(ed["members"]) if iso not in per_country]
    if no_city:
        L.append("Member countries with no city in the set: " + " ".join(no_city) + ".")
        L.append("")
    if notes["capitals_missing"]:
        L.append("Member countries without a capital in the set:")
        L.append("")
        for iso, disp, note in notes["capitals_missing"]:
            L.append(f"- {iso} ({disp}): {note}.")
        L.append("")
    cap_notes = [(iso, CAPITALS[iso]) for iso in sorted(ed["members"])
                 if CAPITALS[iso][1] and CAPITALS[iso][2]]
    if cap_notes:
        L.append("Capital choices:")
        L.append("")
        for iso, (disp, wup, note) in cap_notes:
            L.append(f"- {iso}: {disp} (WUP `{wup}`) - {note}.")
        L.append("")
    if ed["rankings"]:
        L.append("### Published cities and how they were matched")
        L.append("")
        L.append("| published name | country | matched to | how |")
        L.append("|---|---|---|---|")
        how_txt = {"exact": "same name in WUP", "english": "WUP English name in parentheses",
                   "alias": "alias table (`PUBLISHED_ALIASES`)",
                   "extra": "not a WUP agglomeration: extra-city table, population empty"}
        for r, c, how in notes["published"]:
            target = f"WUP `{c['wup_name']}`" if c["wup_name"] else "extra city"
            L.append(f"| {md_escape(r['city'])} | {r['country_iso3']} | `{c['id']}` ({md_escape(target)}) | {how_txt[how]} |")
        for r in notes["published_unmatched"]:
            L.append(f"| {md_escape(r['city'])} | {r['country_iso3']} | **not found** | - |")
        L.append("")
        outside = sorted({c["iso3"] for _, c, _ in notes["published"]} - set(ed["members"]))
        if outside:
            L.append("Published cities outside the member countries (kept by rule (b); no other city "
                     "of these countries is added): " + ", ".join(outside) + ".")
            L.append("")
    extras = [a["city"] for a in audit if a["city"]["extra"]]
    if extras:
        L.append("Extra cities (not WUP agglomerations):")
        L.append("")
        for c in extras:
            L.append(f"- `{c['id']}` {c['name']} ({c['iso3']}), lat {c['lat']}, lon {c['lon']}: {c['extra']['note']}. "
                     "Population empty.")
        L.append("")

    L.append("## Sources, licences and attribution")
    L.append("")
    for s in SOURCES:
        if s["id"] not in used_sources:
            continue
        f = f" File `shared/data/{s['file']}`." if s["file"] else ""
        L.append(f"- **{s['id']}** - {s['title']}. Licence: {s['licence']}.{f} Attribution: {s['attribution']}")
    L.append("")
    L.append("The table as a whole inherits these requirements: credit every source above; the "
             "OpenFlights-derived counts fall under ODbL 1.0 and the metro columns and Wikipedia "
             "coordinates under CC BY-SA 4.0 (share alike).")
    L.append("")

    L.append("## Method and caveats per variable")
    L.append("")
    if panel:
        pop_txt = ("for each row's year, " + "; ".join(f"{y}: {pop_formula(y, short=True)}" for y in years)
                   + " (WUP 2018 projections, not observations)")
    else:
        pop_txt = pop_formula(year)
    if "regions" in ed:
        L.append(f"- `region`: {ed['regions_label']}, from the member table of the edition "
                 "(`recipe/derive.py`), a grouping column for methodologies.")
    else:
        L.append(f"- `region`: Gapminder `{ed['region_field']}` of the city's country "
                 "(ddf--entities--geo--country.csv), a grouping column for methodologies.")
    L.append(f"- `id`: `<iso3>-<slug of name>`; `name`: the name used by the published rankings, else an English "
             "capital name, else WUP's English form (the part in parentheses) or WUP's name; the same city has "
             "the same id in every edition.")
    L.append(f"- `population_k`: {pop_txt}; rounded to 3 decimals. Agglomeration boundaries are "
             "WUP's (e.g. Tokyo includes Yokohama, Cairo includes New Cairo, Dubai and Sharjah are separate).")
    L.append(f"- `air_routes`, `air_countries`: OpenFlights 2014 route snapshot; airports with an IATA code within "
             f"{AIR_RADIUS_KM:g} km of the WUP centre and in the city's own country (airports across a border are not counted); direct routes only (stops = 0), airlines pooled. "
             "Nearby cities share airports (e.g. Dubai and Sharjah); an airport further than 50 km "
             "(e.g. Jeddah's JED from Mecca, Narita from Tokyo) is not counted. Destinations missing from the "
             "airports file count as routes but not as countries; OpenFlights' separate 'countries' such as "
             "Puerto Rico or Hong Kong count as countries.")
    L.append(f"- `port_size`: World Port Index, largest harbour size among the ports of the city's own country "
             f"within {PORT_RADIUS_KM:g} km (a port across a border, e.g. Ashdod for Gaza, is not counted); ports "
             "without a harbour size are ignored (the cell would be empty if only such ports were near).")
    L.append(f"- `metro_*`: Wikipedia list of metro systems (about 2023). **Riyadh's metro (opened December "
             "2024) is absent, so Riyadh has 0** - the data is not patched. Each system is assigned to one city "
             f"(name and country; else the nearest city of the same country within {METRO_RADIUS_KM:g} km of the "
             "system's coordinates); the coordinates in the list are unreliable for some systems, which is why "
             "names come first. Light rail, trams and suburban rail are not metros in this list."
             + (f" **{ed['metro_note'][0].upper()}{ed['metro_note'][1:]}** - not patched either." if ed.get("metro_note") else ""))
    if panel:
        L.append("- Panel: `air_routes`, `air_countries`, `port_size` and `metro_*` are the single snapshots "
                 "described above, repeated unchanged in every year; no time series is invented for them.")
    no_cap = [f"{k}: {v} (0 for its cities)." for k, v in sorted(NO_NATIONAL_CAPITAL.items())
              if any(a["city"]["iso3"] == k for a in audit)]
    L.append("- `capital`: 1 if the city is the WUP agglomeration that the recipe's capital table (`CAPITALS`) "
             "gives for its country, else 0 - a static table of national capitals as of 2025"
             + (" (the same in every year of the panel)" if panel else "") + ". Where the official capital is "
             "not a 300k+ WUP agglomeration, the table either names the seat of government (see Capital "
             "choices above) or leaves the country without a capital (no city of it has 1)."
             + "".join(" " + x for x in no_cap))
    if panel:
        L.append(f"- Country covariates: for each row, the value for the row's year or the latest year before it, "
                 f"back to {LOOKBACK_YEARS} years earlier; years used per variable and row year (number of cities):")
        L.append("")
        L.append("  | variable | " + " | ".join(f"{y} rows" for y in years) + " |")
        L.append("  |---|" + "---|" * len(years))
        for var in COVARIATES:
            L.append(f"  | `{var}` | " + " | ".join(
                year_phrase(built["cov_years_by"][y][var]) or "none" for y in years) + " |")
    else:
        L.append(f"- Country covariates: the value for {year} or the latest year before it, back to "
                 f"{year - LOOKBACK_YEARS}; years used per variable:")
        L.append("")
        L.append("  | variable | years used (number of cities) |")
        L.append("  |---|---|")
        for var in COVARIATES:
            L.append(f"  | `{var}` | {year_phrase(built['cov_years'][var]) or 'none'} |")
    L.append("")
    L.append("  WGI estimates use the `estimate` column ('..' = missing); WGI codes: " +
             ", ".join(f"{k} -> {v}" for k, v in sorted(WGI_CODE.items())) + ". GDP per capita PPP is in "
             "constant international dollars (2021 prices according to shared/data/README.md).")
    L.append("")

    L.append("## Missing cells")
    L.append("")
    mc = missing_counts(rows)
    L.append("| column | missing | " + ("rows (city, year)" if panel else "cities") + " |")
    L.append("|---|---|---|")
    for col in VALUE_COLUMNS:
        who = [r["id"] + (f" {r['year']}" if panel else "") for r in rows if r[col] is None]
        shown = ", ".join(who[:12]) + (f", ... ({len(who) - 12} more)" if len(who) > 12 else "")
        L.append(f"| `{col}` | {mc[col]} | {shown} |")
    L.append("")
    no_airport = [a["city"]["id"] for a in audit if not a["airports"]]
    no_route = [f"{a['city']['id']} ({' '.join(a['airports'])})" for a in audit
                if a["airports"] and next(r for r in rows if r["id"] == a["city"]["id"])["air_routes"] == 0]
    zero_port = [a["city"]["id"] for a in audit if a["port"][0] == 0]
    L.append(f"Zeros in `air_routes`: {len(no_airport)} cities have no airport of their country within 50 km"
             + (f" ({', '.join(no_airport)})" if no_airport else "")
             + f"; {len(no_route)} have such airports but no departing route in the 2014 snapshot"
             + (f" ({', '.join(no_route)}); these zeros reflect 2014 (airports opened later, renamed, or "
                "closed by war) and may not match current service" if no_route else "")
             + f". {len(zero_port)} cities have no port of their country within 50 km.")
    L.append("")

    L.append("## City audit")
    L.append("")
    L.append("Why each city is in the set and what the spatial joins found (airports = IATA codes within "
             "50 km; port = largest-size port within 50 km; metros = systems assigned).")
    L.append("")
    L.append("| id | name | reason | WUP name | airports | port | metros |")
    L.append("|---|---|---|---|---|---|---|")
    for a in audit:
        c = a["city"]
        psize, pname, punk = a["port"]
        ptxt = f"{pname} ({psize})" if pname else ("size unknown: " + ", ".join(punk) if psize is None else "-")
        mtxt = "; ".join(
            f"{m['name']} ({how}{'' if km is None else f', {km:.1f} km'})" for m, how, km in a["metros"]) or "-"
        L.append(f"| `{c['id']}` | {md_escape(c['name'])} | {'+'.join(a['reasons'])} | "
                 f"{md_escape(c['wup_name'] or '(extra city)')} | {' '.join(a['airports']) or '-'} | "
                 f"{md_escape(ptxt)} | {md_escape(mtxt)} |")
    L.append("")
    members = set(ed["members"])
    un = [m for m in data.metro_unassigned
          if (METRO_COUNTRY.get(m["country"]) or data.name_to_iso.get(m["country"])) in members]
    if un:
        L.append("Metro systems of member countries not assigned to any WUP agglomeration: " +
                 "; ".join(f"{m['name']} ({m['city']})" for m in un) + ".")
        L.append("")
    return "\n".join(L)


def render_readme(builts):
    L = []
    L.append("# Bundled edition datasets")
    L.append("")
    L.append("Each directory `<edition>/` holds `cities.csv` (one row per city, sorted by id; panel datasets: "
             "one row per city and year, sorted by id then year), "
             "`dataset.toml` (the metadata the host validates) and `SOURCES.md` (rule, sources, "
             "licences, caveats, missing cells and a per-city audit). They are derived from the raw "
             "open data in `shared/data` by `recipe/derive.py` (Python 3.11, standard library only). "
             "(`asem-2018/` and `asem-2018-panel/` are different: COINr's ASEM example and its panel "
             "example, generated by `recipe/asem.py`; see their SOURCES.md.)")
    L.append("")
    L.append("## Regenerate")
    L.append("")
    L.append("From the repository root, with the shared data next to it:")
    L.append("")
    L.append("```sh")
    L.append("python3 methodologies/data/recipe/derive.py --shared ../shared/data --out methodologies/data")
    L.append("# one edition only")
    L.append("python3 methodologies/data/recipe/derive.py --shared ../shared/data --out methodologies/data --edition las-2024")
    L.append("# verify that the committed files are exactly what the recipe produces (exit 1 if not)")
    L.append("python3 methodologies/data/recipe/derive.py --shared ../shared/data --out methodologies/data --check")
    L.append("```")
    L.append("")
    L.append("The output is byte-for-byte deterministic (sorted rows, fixed number formatting, no "
             "timestamps or absolute paths). This README is generated too.")
    L.append("")
    L.append("## What the recipe does")
    L.append("")
    L.append("1. Chooses the cities of an edition: (a) capitals of the member countries (a small "
             "capital table; WUP has no capital marker), (b) every city named for the matching "
             "ranking in `shared/data/published/published_results.csv` (alias table for names such as "
             "Jeddah = WUP `Jiddah`; cities that are not WUP agglomerations, e.g. New Cairo, come from "
             "a small extra-city table with Wikipedia coordinates and no population), (c) the largest "
             "remaining WUP 2018 agglomerations of the member countries, until the target count.")
    L.append("2. Measures each city: population (WUP 2018, interpolated to the edition year), air "
             "connectivity (OpenFlights 2014: distinct direct destinations and foreign destination "
             "countries from the airports of the city's country within 50 km), port size (World Port Index, "
             "ports of the city's country within 50 km), metro "
             "length, stations and ridership (Wikipedia list of metro systems, about 2023), and `capital` "
             "(1 if the city is its country's national capital in the recipe's capital table, else 0).")
    L.append("3. Adds country covariates (Gapminder/WDI internet, broadband, mobile, GDP per capita PPP, "
             "HDI, urban share; WDI electricity access; OWID CO2 per capita; the six WGI estimates) for "
             "the edition year or the latest earlier year within 5 years.")
    L.append("4. Writes `cities.csv`, `dataset.toml` and `SOURCES.md`. Missing values stay empty - "
             "nothing is imputed; imputation is a methodology's job.")
    L.append("")
    L.append("To add an edition, add an entry to `EDITIONS` in `recipe/derive.py` (and a `CAPITALS` "
             "entry for any new member country), then regenerate. To add a panel, add an entry to `PANELS` "
             "(base edition and years, the last being the edition year).")
    L.append("")
    L.append("## Columns")
    L.append("")
    L.append("`id`, `name`, `country` (ISO3), `region` (group), then the numeric columns "
             + ", ".join(f"`{c}`" for c in VALUE_COLUMNS) + ". Panel datasets add `year` after `region`. "
             "`dataset.toml` describes every column (unit, source, range, year, caveats).")
    L.append("")
    L.append("`capital` (0/1) marks the city that the recipe's capital table (`CAPITALS`) gives as its "
             "country's national capital: the official capital, or the seat of government where the official "
             "capital is not a 300k+ WUP agglomeration (e.g. Cotonou, Abidjan, Bujumbura, Colombo); "
             "countries whose capital is not a WUP agglomeration (e.g. Comoros, Botswana, Tanzania's Dodoma) "
             "have no city with 1, and Hong Kong has 0. Each SOURCES.md lists the capital choices.")
    L.append("")
    L.append("## Editions")
    L.append("")
    L.append("| edition | title | year | members | target | cities | published cities | missing cells |")
    L.append("|---|---|---|---|---|---|---|---|")
    for b in builts:
        if b["panel"]:
            continue
        ed = b["ed"]
        miss = sum(missing_counts(b["rows"]).values())
        L.append(f"| `{b['id']}` | {ed['title']} | {ed['year']} | {len(ed['members'])} | {ed['target']} | "
                 f"{len(b['rows'])} | {len(b['notes']['published'])} | {miss} |")
    L.append("")
    announced = [b["id"] for b in builts if b["ed"].get("announced") and not b["panel"]]
    if announced:
        L.append("Announced editions (generic rule only, no published ranking to match yet; for a partner to "
                 "refine): " + ", ".join(f"`{a}`" for a in announced) + ".")
        L.append("")
    L.append("## Panel datasets")
    L.append("")
    L.append("A panel dataset has the cities of its base edition and one row per city and year "
             "(`columns.time = \"year\"` in `dataset.toml`; the pair id + year is unique; rows sorted by "
             "id then year). Per year: population interpolated to that year; country covariates and WGI of "
             "that year or the latest before it within 5 years. The city infrastructure variables "
             "(`air_routes`, `air_countries`, `port_size`, `metro_*`), `lat`, `lon` and `capital` have one "
             "snapshot in the sources and are repeated unchanged in every year - they are not a time series. "
             "Score a panel with an edition's `[panel] years = [...]` and `weights = [...]` (and "
             "`by_year = [\"treat\"]` to treat outliers year by year, as COINr does for panel data; "
             "see `methodologies/asem-2018-panel.toml`).")
    L.append("")
    L.append("| dataset | base edition | years | cities | rows | missing cells |")
    L.append("|---|---|---|---|---|---|")
    for b in builts:
        if not b["panel"]:
            continue
        miss = sum(missing_counts(b["rows"]).values())
        L.append(f"| `{b['id']}` | `{b['ed']['base']}` | {', '.join(map(str, b['years']))} | {b['n_cities']} | "
                 f"{len(b['rows'])} | {miss} |")
    L.append("")
    L.append("## Licences")
    L.append("")
    L.append(LICENCE_SUMMARY)
    L.append("")
    return "\n".join(L)


def generate(shared, out, editions):
    check_config()
    data = Data(shared)
    builts = [build_edition(data, eid, edition_spec(eid)) for eid in dataset_ids()]
    files = {}
    for b in builts:
        if b["id"] not in editions:
            continue
        toml_text, used = render_toml(b)
        files[os.path.join(b["id"], "cities.csv")] = render_csv(b)
        files[os.path.join(b["id"], "dataset.toml")] = toml_text
        files[os.path.join(b["id"], "SOURCES.md")] = render_sources_md(data, b, used)
    files["README.md"] = render_readme(builts)
    for rel, text in sorted(files.items()):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return sorted(files), builts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", required=True, help="path to shared/data")
    ap.add_argument("--out", required=True, help="output directory (methodologies/data)")
    ap.add_argument("--edition", action="append", choices=sorted(dataset_ids()),
                    help="edition id (repeatable); default: all")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare with --out")
    args = ap.parse_args(argv)
    editions = args.edition or dataset_ids()
    if args.check:
        tmp = tempfile.mkdtemp(prefix="cityrank-derive-")
        try:
            rels, _ = generate(args.shared, tmp, editions)
            bad = 0
            for rel in rels:
                new_path, old_path = os.path.join(tmp, rel), os.path.join(args.out, rel)
                with open(new_path, encoding="utf-8") as f:
                    new = f.read()
                if not os.path.exists(old_path):
                    print(f"missing: {old_path}")
                    bad += 1
                    continue
                with open(old_path, encoding="utf-8", newline="") as f:
                    old = f.read()
                if old != new:
                    bad += 1
                    print(f"differs: {old_path}")
                    sys.stdout.writelines(list(difflib.unified_diff(
                        old.splitlines(True), new.splitlines(True), "committed/" + rel, "regenerated/" + rel, n=1))[:40])
            if bad:
                print(f"{bad} file(s) differ; regenerate with the same command without --check")
                return 1
            print(f"ok: {len(rels)} files match")
            return 0
        finally:
            shutil.rmtree(tmp)
    rels, builts = generate(args.shared, args.out, editions)
    for b in builts:
        if b["id"] in editions:
            what = (f"{b['n_cities']} cities x {len(b['years'])} years = {len(b['rows'])} rows" if b["panel"]
                    else f"{len(b['rows'])} cities")
            print(f"{b['id']}: {what}, {sum(missing_counts(b['rows']).values())} missing cells")
    print(f"wrote {len(rels)} files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
