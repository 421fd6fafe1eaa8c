#!/usr/bin/env python3
"""Derive the ASEM 2018 dataset and the `asem` plugin's manifest from COINr's ASEM example.

Usage
-----
    python3 methodologies/data/recipe/asem.py --shared ../shared/data --out methodologies/data
    python3 methodologies/data/recipe/asem.py --shared ../shared/data --out methodologies/data --check

Python 3.11, standard library only. Reads `<shared>/coinr/ASEM_iData.csv` and
`<shared>/coinr/ASEM_iMeta.csv` (COINr 1.1.14's example data, MIT) and writes:

- `<out>/asem-2018/units.csv`: one row per country, in ASEM_iData's order (the order
  COINr computes in); columns `id` (= uCode), `name` (= uName), the four group columns
  (GDP_group, GDPpc_group, Pop_group, EurAsia_group), the four denominators (Area,
  Energy, GDP, Population) and the 49 indicators in ASEM_iMeta's order. Every number is
  copied as the exact text of ASEM_iData.csv (no reformatting, so the values are
  bit-identical with COINr's); missing cells stay empty. The `Time` column (2018 for
  every row) is dropped: it is the dataset's year.
- `<out>/asem-2018/dataset.toml` and `<out>/asem-2018/SOURCES.md`: the description
  (every variable with its unit and name from ASEM_iMeta) and the provenance.
- `--manifest` (default `plugins/asem/methodology.toml` of this repository): the
  methodology manifest, generated from ASEM_iMeta: the index `Index`, the level-3
  (sub-index) and level-2 (pillar) aggregates with their parents and weights, the 49
  indicators with parent, weight, direction (1 = higher, -1 = lower), unit, target
  and denominator, and the pipeline of COINr's default build
  (`build_example_coin()`).
- `<out>/asem-2018-panel/units.csv`, `dataset.toml` and `SOURCES.md`: COINr's panel
  example, `<shared>/coinr/ASEM_iData_p.csv` (the same 51 countries in 2018-2022), the
  same columns plus `year` (= Time) after the group columns, one row per country and
  year in ASEM_iData_p's order; numbers copied as their exact text, as above.
- `--purse-manifest` (default `plugins/asem-purse/methodology.toml`): the manifest of
  COINr's example purse (`build_example_purse()`): the same framework and indicators
  (without denominators), and its steps: screen at 90% availability, COINr outlier
  treatment, min-max 0-100, arithmetic means (no denomination, no imputation). The
  edition `methodologies/asem-2018-panel.toml` runs it on the panel, treating each
  year on its own (`panel.by_year = ["treat"]`).
- `--fixtures` (default `tests/fixtures/coinr` of this repository): the COINr reference
  tables the conformance test reads, copied byte for byte from `<shared>/coinr/reference`,
  with a PROVENANCE.md listing their SHA-256.

The output is deterministic (no timestamps, no absolute paths). `--check` regenerates
into a temporary directory and exits with status 1 if any generated file differs from
the committed one.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

DATASET_ID = "asem-2018"
YEAR = 2018
PANEL_ID = "asem-2018-panel"
PANEL_YEARS = [2018, 2019, 2020, 2021, 2022]
GROUPS = ["GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group"]
DENOMINATORS = ["Area", "Energy", "GDP", "Population"]
# The reference tables the conformance test compares against (tests/asem_conformance.rs).
FIXTURES = [
    "asem_default_Raw.csv",
    "asem_default_Denominated.csv",
    "asem_default_Imputed.csv",
    "asem_default_Screened.csv",
    "asem_default_Treated.csv",
    "asem_default_Normalised.csv",
    "asem_default_Aggregated.csv",
    "asem_default_results_full.csv",
    "asem_treat_details.csv",
    "asem_effective_weights.csv",
    "asem_stats_raw.csv",
]

# COINr's inputs, copied beside the reference tables for the step library's tests
# (host/steps/tests), which start from them.
INPUT_FIXTURES = ["ASEM_iData.csv", "ASEM_iMeta.csv"]

COINR_URL = "https://cran.r-project.org/package=COINr"
COINR_REPO = "https://github.com/bluefoxr/COINr"
PORTAL_URL = "https://composite-indicators.jrc.ec.europa.eu/asem-sustainable-connectivity/"
LICENCE = (
    "MIT (COINr 1.1.14, copyright 2022 William Becker), which ships the data as its ASEM example; "
    "the data come from the ASEM Sustainable Connectivity Portal of the European Commission's "
    "Joint Research Centre: credit both (see SOURCES.md)."
)


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def read_csv(path: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def load(shared: str) -> dict:
    coinr = os.path.join(shared, "coinr")
    header, data = read_csv(os.path.join(coinr, "ASEM_iData.csv"))
    _, meta = read_csv(os.path.join(coinr, "ASEM_iMeta.csv"))
    indicators = [m for m in meta if m["Type"] == "Indicator"]
    aggregates = [m for m in meta if m["Type"] == "Aggregate"]
    by_code = {m["iCode"]: m for m in meta}
    # Sanity checks: the recipe relies on these facts of the example.
    for c in ["uName", "uCode", "Time", *GROUPS, *DENOMINATORS, *(m["iCode"] for m in indicators)]:
        if c not in header:
            raise SystemExit(f"ASEM_iData.csv has no column {c!r}")
    for g in GROUPS:
        if by_code.get(g, {}).get("Type") != "Group":
            raise SystemExit(f"ASEM_iMeta.csv does not describe {g!r} as a Group")
    for d in DENOMINATORS:
        if by_code.get(d, {}).get("Type") != "Denominator":
            raise SystemExit(f"ASEM_iMeta.csv does not describe {d!r} as a Denominator")
    years = {row["Time"] for row in data}
    if years != {str(YEAR)}:
        raise SystemExit(f"ASEM_iData.csv: expected Time = {YEAR} everywhere, found {sorted(years)}")
    codes = [row["uCode"] for row in data]
    if len(set(codes)) != len(codes):
        raise SystemExit("ASEM_iData.csv: uCode is not unique")
    for m in indicators:
        if m["Denominator"] and m["Denominator"] not in DENOMINATORS:
            raise SystemExit(f"{m['iCode']}: unknown denominator {m['Denominator']!r}")
        if m["Direction"] not in ("1", "-1"):
            raise SystemExit(f"{m['iCode']}: direction {m['Direction']!r} is not 1 or -1")
    for row in data:
        for c in [*DENOMINATORS, *(m["iCode"] for m in indicators)]:
            cell = row[c]
            if cell == "":
                continue
            if cell.strip() != cell or not _is_finite_number(cell):
                raise SystemExit(f"ASEM_iData.csv: {row['uCode']}/{c}: {cell!r} is not a plain number")
    panel_header, panel = read_csv(os.path.join(coinr, "ASEM_iData_p.csv"))
    if panel_header != header:
        raise SystemExit("ASEM_iData_p.csv: expected the columns of ASEM_iData.csv")
    if sorted({row["Time"] for row in panel}) != [str(y) for y in PANEL_YEARS]:
        raise SystemExit(f"ASEM_iData_p.csv: expected Time in {PANEL_YEARS}")
    keys = [(row["uCode"], row["Time"]) for row in panel]
    if len(set(keys)) != len(keys):
        raise SystemExit("ASEM_iData_p.csv: uCode and Time are not unique")
    if sorted({row["uCode"] for row in panel}) != sorted(codes):
        raise SystemExit("ASEM_iData_p.csv: expected the countries of ASEM_iData.csv")
    for row in panel:
        for c in [*DENOMINATORS, *(m["iCode"] for m in indicators)]:
            cell = row[c]
            if cell != "" and (cell.strip() != cell or not _is_finite_number(cell)):
                raise SystemExit(f"ASEM_iData_p.csv: {row['uCode']}/{row['Time']}/{c}: {cell!r} is not a plain number")
    return {
        "data": data,
        "panel": panel,
        "indicators": indicators,
        "aggregates": aggregates,
        "meta": by_code,
    }


def _is_finite_number(s: str) -> bool:
    try:
        v = float(s)
    except ValueError:
        return False
    return v == v and v not in (float("inf"), float("-inf"))


# --------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------


def q(s: str) -> str:
    """A TOML basic string."""
    return json.dumps(s, ensure_ascii=False)


def num(s: str) -> str:
    """A TOML float from iMeta's text: the shortest text that round-trips."""
    v = float(s)
    return repr(v) if v != int(v) or "e" in repr(v) else f"{int(v)}.0"


def direction(m: dict) -> str:
    return "higher" if m["Direction"] == "1" else "lower"


# --------------------------------------------------------------------------------------
# units.csv, dataset.toml, SOURCES.md
# --------------------------------------------------------------------------------------


def render_units(d: dict) -> str:
    cols = [*GROUPS, *DENOMINATORS, *(m["iCode"] for m in d["indicators"])]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", *cols])
    for row in d["data"]:
        w.writerow([row["uCode"], row["uName"], *(row[c] for c in cols)])
    return buf.getvalue()


def render_panel_units(d: dict) -> str:
    cols = [*DENOMINATORS, *(m["iCode"] for m in d["indicators"])]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", *GROUPS, "year", *cols])
    for row in d["panel"]:
        w.writerow([row["uCode"], row["uName"], *(row[g] for g in GROUPS), row["Time"], *(row[c] for c in cols)])
    return buf.getvalue()


def missing_cells(d: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in d["indicators"]:
        units = [row["uCode"] for row in d["data"] if row[m["iCode"]] == ""]
        if units:
            out[m["iCode"]] = units
    for c in DENOMINATORS:
        units = [row["uCode"] for row in d["data"] if row[c] == ""]
        if units:
            out[c] = units
    return out


def render_dataset(d: dict, panel: bool = False) -> str:
    n = len(d["data"])
    if panel:
        years = f"{PANEL_YEARS[0]}-{PANEL_YEARS[-1]}"
        head = [
            f"id = {q(PANEL_ID)}",
            f"title = {q(f'ASEM Sustainable Connectivity, {years} (COINr 1.1.14 example panel data)')}",
            f"year = {PANEL_YEARS[-1]}",
            'file = "units.csv"',
            "rule = "
            + q(
                f"The {n} ASEM member countries of COINr's panel example (ASEM_iData_p), one row per country and "
                f"year ({', '.join(map(str, PANEL_YEARS))}), in its order; nothing added, removed or re-ordered. "
                "The 2018 rows are ASEM_iData; COINr made the later years from them with artificial noise."
            ),
        ]
        var_year: list[str] = []
    else:
        head = [
            f"id = {q(DATASET_ID)}",
            f"title = {q('ASEM Sustainable Connectivity, 2018 (COINr 1.1.14 example data)')}",
            f"year = {YEAR}",
            'file = "units.csv"',
            "rule = "
            + q(
                f"The {n} ASEM member countries of COINr's ASEM example (ASEM_iData), in its order; "
                "nothing added, removed or re-ordered."
            ),
        ]
        var_year = [f"year = {YEAR}"]
    L = [
        "# Generated by methodologies/data/recipe/asem.py from COINr's ASEM example; do not edit.",
        "schema_version = 1",
        *head,
        f"licence = {q(LICENCE)}",
        "",
        "[columns]",
        'id = "id"',
        'name = "name"',
        f"groups = [{', '.join(q(g) for g in GROUPS)}]",
        *(['time = "year"'] if panel else []),
        "",
    ]
    for c in DENOMINATORS:
        m = d["meta"][c]
        L += [
            "[[variables]]",
            f"id = {q(c)}",
            'type = "number"',
            f"unit = {q(m['Unit'])}",
            f"description = {q(m['iName'] + ' (denominator).')}",
            'source = "coinr"',
            *var_year,
            "min = 0.0",
        ]
        if c == "Area":
            L.append(
                "note = "
                + q("ASEM_iMeta gives the unit as 'Thousand square km', but the values are in square km (Austria: 83871).")
            )
        L.append("")
    for m in d["indicators"]:
        desc = f"{m['iName']} ({m['Parent']} pillar)."
        if m["Denominator"] and panel:
            desc += f" Raw value (COINr's default build divides it by {m['Denominator']}; its example purse does not)."
        elif m["Denominator"]:
            desc += f" Raw value; the methodology divides it by {m['Denominator']}."
        L += [
            "[[variables]]",
            f"id = {q(m['iCode'])}",
            'type = "number"',
            f"unit = {q(m['Unit'])}",
            f"description = {q(desc)}",
            'source = "coinr"',
            *var_year,
            "",
        ]
    L += [
        "[[sources]]",
        'id = "coinr"',
        "title = "
        + q(
            "COINr 1.1.14 (EU Joint Research Centre's R package for composite indicators), example data "
            "ASEM_iData / ASEM_iMeta, from the ASEM Sustainable Connectivity Portal (JRC)"
        ),
        f"licence = {q('MIT (COINr); data: ASEM Sustainable Connectivity Portal, European Commission JRC')}",
        f"file = {q('shared/data/coinr/ASEM_iData_p.csv' if panel else 'shared/data/coinr/ASEM_iData.csv')}",
        f"url = {q(COINR_URL)}",
        "",
    ]
    return "\n".join(L)


def render_sources(d: dict) -> str:
    n = len(d["data"])
    groups = {}
    for g in GROUPS:
        counts: dict[str, int] = {}
        for row in d["data"]:
            counts[row[g]] = counts.get(row[g], 0) + 1
        groups[g] = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    miss = missing_cells(d)
    total = sum(len(v) for v in miss.values())
    L = [
        f"# ASEM Sustainable Connectivity, 2018 (`{DATASET_ID}`)",
        "",
        "Generated by `methodologies/data/recipe/asem.py` from `shared/data/coinr` (do not edit by hand):",
        "",
        "```sh",
        "python3 methodologies/data/recipe/asem.py --shared ../shared/data --out methodologies/data          # regenerate",
        "python3 methodologies/data/recipe/asem.py --shared ../shared/data --out methodologies/data --check  # verify",
        "```",
        "",
        f"{n} countries (the ASEM members of COINr's example), {len(d['indicators'])} indicators, "
        f"{len(DENOMINATORS)} denominators and {len(GROUPS)} group columns. The same run also generates "
        "`plugins/asem/methodology.toml` from ASEM_iMeta, so the framework, weights, directions, units, "
        "targets and denominators are derived, not hand-copied.",
        "",
        "## Source, licence and attribution",
        "",
        "- **coinr** - the ASEM example data shipped with COINr 1.1.14, the composite-indicator R package of "
        "the European Commission's Joint Research Centre (JRC): `ASEM_iData` (indicator, denominator and group "
        "data) and `ASEM_iMeta` (the framework). Files `shared/data/coinr/ASEM_iData.csv` and "
        f"`shared/data/coinr/ASEM_iMeta.csv`. Package: {COINR_URL} (source {COINR_REPO}). Licence: MIT, "
        "copyright 2022 William Becker.",
        "- The data themselves are those of the **ASEM Sustainable Connectivity Portal** of the JRC "
        f"({PORTAL_URL}): 49 indicators of Asia-Europe Meeting (ASEM) countries, compiled by the JRC from "
        "international sources (World Bank, UN agencies, OECD, IMF and others; see the portal for each "
        "indicator's original source).",
        "",
        "Attribution: *ASEM Sustainable Connectivity data (European Commission, Joint Research Centre), as "
        "distributed in the COINr R package v1.1.14 (W. Becker et al., MIT licence).*",
        "",
        "## What the recipe does",
        "",
        "- `id` = `uCode` (ISO 3166-1 alpha-3), `name` = `uName`; rows in ASEM_iData's order.",
        "- Group columns, as in ASEM_iData (label: number of countries):",
        "",
    ]
    for g in GROUPS:
        L.append(f"  - `{g}` ({d['meta'][g]['iName']}): {groups[g]}")
    L += [
        "",
        "- Denominators `Area`, `Energy`, `GDP`, `Population` and the 49 indicators: the exact text of "
        "ASEM_iData.csv (no rounding or reformatting), so the values are bit-identical with COINr's. "
        "Indicators are the *raw* values: denomination, imputation, screening, treatment, normalisation "
        "and aggregation are the methodology's steps (see `plugins/asem/methodology.toml`).",
        "- Dropped: `Time` (2018 in every row; it is the dataset's `year`).",
        "- Units and names are ASEM_iMeta's, unchanged. Caveat: ASEM_iMeta gives `Area` in "
        "'Thousand square km', but the values are in square km (Austria: 83871); `Energy` has the unit "
        "'Unit'. Denomination is a plain division, so these labels do not change any result.",
        "",
        "## Missing cells",
        "",
        f"{total} missing cells (empty; nothing is imputed here - the methodology imputes by EurAsia_group mean).",
        "",
        "| column | missing | countries |",
        "|---|---|---|",
    ]
    for c, units in miss.items():
        L.append(f"| `{c}` | {len(units)} | {' '.join(units)} |")
    L.append("")
    return "\n".join(L)


def render_panel_sources(d: dict) -> str:
    rows = d["panel"]
    n = len(d["data"])
    years = ", ".join(map(str, PANEL_YEARS))
    L = [
        f"# ASEM Sustainable Connectivity, {PANEL_YEARS[0]}-{PANEL_YEARS[-1]} (`{PANEL_ID}`)",
        "",
        "Generated by `methodologies/data/recipe/asem.py` from `shared/data/coinr` (do not edit by hand):",
        "",
        "```sh",
        "python3 methodologies/data/recipe/asem.py --shared ../shared/data --out methodologies/data          # regenerate",
        "python3 methodologies/data/recipe/asem.py --shared ../shared/data --out methodologies/data --check  # verify",
        "```",
        "",
        f"{len(rows)} rows: the {n} countries of `asem-2018` in each of the years {years} (COINr's panel example). "
        f"{len(d['indicators'])} indicators, {len(DENOMINATORS)} denominators, {len(GROUPS)} group columns and "
        "`year`. The same run generates `plugins/asem-purse/methodology.toml`, the steps of COINr's example purse "
        "(`build_example_purse()`), which `methodologies/asem-2018-panel.toml` runs on these rows.",
        "",
        "## Source, licence and attribution",
        "",
        "- **coinr** - `ASEM_iData_p`, the panel example data shipped with COINr 1.1.14, the composite-indicator R "
        "package of the European Commission's Joint Research Centre (JRC): file `shared/data/coinr/ASEM_iData_p.csv`. "
        f"Package: {COINR_URL} (source {COINR_REPO}). Licence: MIT, copyright 2022 William Becker.",
        "- Its 2018 rows are `ASEM_iData` (the data of the ASEM Sustainable Connectivity Portal of the JRC, "
        f"{PORTAL_URL}), identical cell for cell; **the rows of 2019-2022 are not observations**: COINr made them "
        "from 2018 with artificial noise, to demonstrate panel data. Use them to test panel methods, not to "
        "describe the countries.",
        "",
        "Attribution: *ASEM Sustainable Connectivity data (European Commission, Joint Research Centre), as "
        "distributed in the COINr R package v1.1.14 (W. Becker et al., MIT licence); years after 2018 synthetic "
        "(COINr's example panel).*",
        "",
        "## What the recipe does",
        "",
        "- `id` = `uCode`, `name` = `uName`, the group columns as in `asem-2018`, `year` = `Time`; rows in "
        "ASEM_iData_p's order (year by year, the countries in ASEM_iData's order within each year).",
        "- Denominators and indicators: the exact text of ASEM_iData_p.csv (no rounding or reformatting), so the "
        "values are bit-identical with COINr's.",
        "",
        "## Missing cells",
        "",
    ]
    miss: dict[str, dict[str, list[str]]] = {}
    for c in [*(m["iCode"] for m in d["indicators"]), *DENOMINATORS]:
        for row in rows:
            if row[c] == "":
                miss.setdefault(c, {}).setdefault(row["uCode"], []).append(row["Time"])
    total = sum(len(y) for by in miss.values() for y in by.values())
    L += [
        f"{total} missing cells (empty; nothing is imputed here - COINr's example purse does not impute).",
        "",
        "| column | missing | countries (years) |",
        "|---|---|---|",
    ]
    for c, by in miss.items():
        shown = " ".join(
            f"{u}" if len(ys) == len(PANEL_YEARS) else f"{u} ({', '.join(ys)})" for u, ys in by.items()
        )
        L.append(f"| `{c}` | {sum(len(y) for y in by.values())} | {shown} |")
    L += ["", "A country named without years misses the value in every year.", ""]
    return "\n".join(L)


# --------------------------------------------------------------------------------------
# The manifest of plugins/asem
# --------------------------------------------------------------------------------------


def render_manifest(d: dict, purse: bool = False) -> str:
    aggs = d["aggregates"]
    index = [a for a in aggs if a["Level"] == "4"]
    if len(index) != 1 or index[0]["iCode"] != "Index":
        raise SystemExit("ASEM_iMeta.csv: expected one level-4 aggregate `Index`")
    nodes = [a for a in aggs if a["Level"] == "3"] + [a for a in aggs if a["Level"] == "2"]
    if len(nodes) + 1 != len(aggs):
        raise SystemExit("ASEM_iMeta.csv: expected aggregates at levels 2, 3 and 4 only")
    if purse:
        about = [
            'id = "asem-purse"',
            'name = "ASEM Sustainable Connectivity Index (COINr example purse)"',
            'version = "0.1.0"',
            'description = """',
            "COINr's ASEM example as panel data (a purse: one coin per year): 49 indicators",
            "of the connectivity and sustainability of 51 Asian and European countries, in",
            "8 pillars, 2 sub-indices (Connectivity, Sustainability) and an index. The steps",
            "are those of COINr's example purse: no denomination and no imputation (missing",
            "values stay missing), screen out countries with less than 90% of the indicators,",
            "treat outliers (winsorise up to 5 points while |skew| >= 2 and kurtosis >= 3.5,",
            "else log), normalise min-max onto 0-100 (lower-is-better indicators flipped) and",
            "take weighted arithmetic means of the values present up the tree with",
            "ASEM_iMeta's weights. Run it with a panel that treats each year on its own",
            '(`panel.by_year = ["treat"]`), as methodologies/asem-2018-panel.toml does.',
            '"""',
            'reconstructs = """',
            "COINr 1.1.14's example purse (build_example_purse()), step by step;",
            "tests/core_pipeline.rs checks every stage of each year against COINr's own",
            "output. A worked example of panel data in the toolkit; its years after 2018",
            "are synthetic (COINr's example panel).",
            '"""',
            'editions = ["asem-2018-panel"]',
            "",
            "[[sources]]",
            'title = "COINr 1.1.14, ASEM panel example (ASEM_iData_p, ASEM_iMeta, build_example_purse())"',
            f"url = {q(COINR_URL)}",
            'note = "framework, weights, directions, units, targets and the example purse\'s steps; MIT"',
        ]
    else:
        about = [
            'id = "asem"',
            'name = "ASEM Sustainable Connectivity Index (COINr default build)"',
            'version = "0.1.0"',
            'description = """',
            "COINr's ASEM example: 49 indicators of the connectivity and sustainability of",
            "51 Asian and European countries, in 8 pillars, 2 sub-indices (Connectivity,",
            "Sustainability) and an index. The steps are COINr's default build: denominate by",
            "each indicator's denominator, impute missing values by the EurAsia_group mean,",
            "screen out countries with less than 90% of the indicators, treat outliers (winsorise",
            "up to 5 points while |skew| >= 2 and kurtosis >= 3.5, else log), normalise min-max",
            "onto 0-100 (lower-is-better indicators flipped) and take weighted arithmetic means",
            "up the tree with ASEM_iMeta's weights.",
            '"""',
            'reconstructs = """',
            "COINr 1.1.14's default build of its ASEM example (build_example_coin()),",
            "step by step; tests/asem_conformance.rs checks every stage against COINr's own",
            "output. It is a worked example of the toolkit, not the official computation of",
            "the ASEM Sustainable Connectivity Portal.",
            '"""',
            'editions = ["asem-2018"]',
            "",
            "[[sources]]",
            'title = "COINr 1.1.14, ASEM example (ASEM_iData, ASEM_iMeta, build_example_coin())"',
            f"url = {q(COINR_URL)}",
            'note = "framework, weights, directions, units, targets, denominators and the default build; MIT"',
        ]
    L = [
        "# Generated by methodologies/data/recipe/asem.py from COINr's ASEM_iMeta.csv; do not edit.",
        "# Regenerate: python3 methodologies/data/recipe/asem.py --shared ../shared/data --out methodologies/data",
        "# A declarative manifest: every indicator is a dataset variable (`from`), no plugin code.",
        "schema_version = 2",
        *about,
        "",
        "[[sources]]",
        'title = "ASEM Sustainable Connectivity Portal (European Commission, Joint Research Centre)"',
        f"url = {q(PORTAL_URL)}",
        'note = "the indicator data"',
        "",
        "# ── Inputs: the 49 raw indicators (denominators are read by the host) ──────────",
    ]
    for m in d["indicators"]:
        L += ["[[inputs]]", f"id = {q(m['iCode'])}", 'type = "number"', f"description = {q(m['iName'])}"]
    L += [
        "",
        "# ── Framework ───────────────────────────────────────────────────────────────",
        "[index]",
        f"id = {q(index[0]['iCode'])}",
        f"name = {q(index[0]['iName'])}",
        "",
    ]
    for a in nodes:
        L += [
            "[[nodes]]",
            f"id = {q(a['iCode'])}",
            f"name = {q(a['iName'])}",
            f"parent = {q(a['Parent'])}",
            f"weight = {num(a['Weight'])}",
            f"description = {q('level ' + a['Level'] + (' sub-index' if a['Level'] == '3' else ' pillar'))}",
            "",
        ]
    for m in d["indicators"]:
        L += [
            "[[indicators]]",
            f"id = {q(m['iCode'])}",
            f"name = {q(m['iName'])}",
            f"parent = {q(m['Parent'])}",
            f"weight = {num(m['Weight'])}",
            f"direction = {q(direction(m))}",
            f"unit = {q(m['Unit'])}",
            f"target = {num(m['Target'])}",
            f"from = {q(m['iCode'])}",
        ]
        if m["Denominator"] and not purse:
            L.append(f"denominator = {q(m['Denominator'])}")
        L.append("")
    if purse:
        L += [
            "# ── Pipeline: COINr's example purse (no denomination, no imputation) ─────────",
            "[pipeline]",
        ]
    else:
        L += [
            "# ── Pipeline: COINr's default build ─────────────────────────────────────────",
            "[pipeline]",
            "denominate = { scale = 1.0 }",
            'impute = { method = "group-mean", group = "EurAsia_group" }',
        ]
    L += [
        "screen = { min_availability = 0.9 }",
        'treat = { method = "coinr", winmax = 5 }',
        'normalise = { method = "min-max", lo = 0.0, hi = 100.0 }',
        'aggregate = { method = "arithmetic" }',
        "",
        "# ── Tiers: quartiles of the ranked countries (COINr itself does not tier) ────",
        "[[tiers]]",
        'label = "top 25%"',
        "upper_share = 0.25",
        "[[tiers]]",
        'label = "25-50%"',
        "upper_share = 0.5",
        "[[tiers]]",
        'label = "50-75%"',
        "upper_share = 0.75",
        "[[tiers]]",
        'label = "75-100%"',
        "upper_share = 1.0",
        "",
    ]
    return "\n".join(L)


# --------------------------------------------------------------------------------------
# Fixtures for tests/asem_conformance.rs
# --------------------------------------------------------------------------------------


def render_provenance(shared: str) -> str:
    L = [
        "# COINr reference tables (ASEM example, default build)",
        "",
        "Generated by `methodologies/data/recipe/asem.py`; the CSV files are copied **unchanged** (byte for "
        "byte) from the project's shared data, `shared/data/coinr/reference/`.",
        "",
        "They are what **COINr 1.1.14** (the EU Joint Research Centre's R package for composite indicators, "
        f"{COINR_URL}, MIT licence, copyright 2022 William Becker) computes for its default build of the ASEM "
        "example, `build_example_coin()`, at full precision: Raw, Denominated, Imputed, Screened, Treated, "
        "Normalised and Aggregated data (rows = countries, first column `uCode`), the results table with "
        "ranks, the treatment details per indicator and the effective weights. The underlying data are the "
        f"ASEM Sustainable Connectivity Portal's (European Commission, JRC; {PORTAL_URL}).",
        "",
        "`tests/asem_conformance.rs` compares cityrank's stages and results of `methodologies/asem-2018.toml` "
        "with them; `host/steps/tests/` runs the step library from COINr's inputs (`ASEM_iData.csv`, "
        "`ASEM_iMeta.csv`) and compares every stage and the raw statistics with them.",
        "",
        "| file | SHA-256 |",
        "|---|---|",
    ]
    for name in FIXTURES:
        with open(os.path.join(shared, "coinr", "reference", name), "rb") as f:
            L.append(f"| `{name}` | `{hashlib.sha256(f.read()).hexdigest()}` |")
    for name in INPUT_FIXTURES:
        with open(os.path.join(shared, "coinr", name), "rb") as f:
            L.append(f"| `{name}` (input, from `shared/data/coinr/`) | `{hashlib.sha256(f.read()).hexdigest()}` |")
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------


def generate(shared: str, out: str, manifest: str, purse_manifest: str, fixtures: str) -> list[tuple[str, bytes]]:
    """Returns (path, bytes) of every generated file (paths under the given roots)."""
    d = load(shared)
    files = [
        (os.path.join(out, DATASET_ID, "units.csv"), render_units(d).encode()),
        (os.path.join(out, DATASET_ID, "dataset.toml"), render_dataset(d).encode()),
        (os.path.join(out, DATASET_ID, "SOURCES.md"), render_sources(d).encode()),
        (manifest, render_manifest(d).encode()),
        (os.path.join(out, PANEL_ID, "units.csv"), render_panel_units(d).encode()),
        (os.path.join(out, PANEL_ID, "dataset.toml"), render_dataset(d, panel=True).encode()),
        (os.path.join(out, PANEL_ID, "SOURCES.md"), render_panel_sources(d).encode()),
        (purse_manifest, render_manifest(d, purse=True).encode()),
        (os.path.join(fixtures, "PROVENANCE.md"), render_provenance(shared).encode()),
    ]
    for name in FIXTURES:
        with open(os.path.join(shared, "coinr", "reference", name), "rb") as f:
            files.append((os.path.join(fixtures, name), f.read()))
    for name in INPUT_FIXTURES:
        with open(os.path.join(shared, "coinr", name), "rb") as f:
            files.append((os.path.join(fixtures, name), f.read()))
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", required=True, help="path to shared/data")
    ap.add_argument("--out", required=True, help="output directory of datasets (methodologies/data)")
    ap.add_argument(
        "--manifest",
        default=os.path.join(REPO, "plugins", "asem", "methodology.toml"),
        help="where to write the plugin's manifest (default: plugins/asem/methodology.toml)",
    )
    ap.add_argument(
        "--purse-manifest",
        default=os.path.join(REPO, "plugins", "asem-purse", "methodology.toml"),
        help="where to write the example purse's manifest (default: plugins/asem-purse/methodology.toml)",
    )
    ap.add_argument(
        "--fixtures",
        default=os.path.join(REPO, "tests", "fixtures", "coinr"),
        help="where to copy the reference tables (default: tests/fixtures/coinr)",
    )
    ap.add_argument("--check", action="store_true", help="compare with the committed files; exit 1 if any differs")
    args = ap.parse_args(argv)
    files = generate(args.shared, args.out, args.manifest, args.purse_manifest, args.fixtures)
    if args.check:
        bad = 0
        for path, new in files:
            if not os.path.exists(path):
                print(f"missing: {path}")
                bad += 1
                continue
            with open(path, "rb") as f:
                old = f.read()
            if old != new:
                bad += 1
                print(f"differs: {path}")
                try:
                    diff = difflib.unified_diff(
                        old.decode().splitlines(True), new.decode().splitlines(True), "committed", "regenerated", n=1
                    )
                    sys.stdout.writelines(list(diff)[:40])
                except UnicodeDecodeError:
                    pass
        if bad:
            print(f"{bad} file(s) differ; regenerate with the same command without --check")
            return 1
        print(f"ok: {len(files)} files match")
        return 0
    for path, data in files:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    print(f"wrote {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
