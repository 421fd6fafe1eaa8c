#!/usr/bin/env python3
"""Derive the sample dataset of `cityrank new` (host/templates/common/data) from the
bundled LAS 2024 dataset (methodologies/data/las-2024), itself derived by derive.py.

Usage
-----
    python3 methodologies/data/recipe/template_sample.py            # write
    python3 methodologies/data/recipe/template_sample.py --check    # exit 1 if the committed files differ

Rule: the capitals (`capital` = 1) that have a population, in file order (sorted by id),
the first 15; the columns in `COLUMNS`. The description keeps the LAS dataset's text
for those variables and the sources they cite. Standard library only; deterministic.
"""
import argparse
import csv
import io
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
LAS = ROOT / "methodologies/data/las-2024"
OUT = ROOT / "host/templates/common/data"
COLUMNS = ["id", "name", "country", "region", "population_k", "air_routes", "port_size", "metro_km",
           "internet_pct", "gdp_pc_ppp", "co2_pc", "hdi"]
VARIABLES = COLUMNS[4:]
COUNT = 15


def blocks(text, header):
    """The `[[header]]` blocks of a TOML text, each as its lines (comments and blank lines dropped)."""
    out, cur = [], None
    for line in text.splitlines():
        if line.strip() == f"[[{header}]]":
            cur = [line]
            out.append(cur)
        elif line.startswith("[") and cur is not None:
            cur = None
        elif cur is not None and line.strip():
            cur.append(line)
    return out


def field(block, key):
    for line in block:
        m = re.match(rf'{key} = "(.*)"$', line)
        if m:
            return m.group(1)
    return None


def generate():
    rows = list(csv.DictReader(open(LAS / "cities.csv", newline="", encoding="utf-8")))
    chosen = [r for r in rows if r["capital"] == "1" and r["population_k"] != ""][:COUNT]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in chosen:
        w.writerow([r[c] for c in COLUMNS])
    las = open(LAS / "dataset.toml", encoding="utf-8").read()
    variables = [b for b in blocks(las, "variables") if field(b, "id") in VARIABLES]
    variables.sort(key=lambda b: VARIABLES.index(field(b, "id")))
    used = {field(b, "source") for b in variables}
    sources = [b for b in blocks(las, "sources") if field(b, "id") in used]
    licence = re.search(r'^licence = "(.*)"$', las, re.M).group(1)
    toml = [
        "# A sample dataset for a new methodology: 15 capital cities of the League of Arab",
        "# States with 8 variables, taken from cityrank's LAS 2024 dataset (see its",
        "# SOURCES.md for the attribution texts). Replace cities.csv with your own data and",
        "# describe each of its columns below.",
        "schema_version = 1",
        'id = "sample-cities"',
        'title = "15 capital cities of the League of Arab States (sample of the LAS 2024 dataset)"',
        "year = 2024",
        'file = "cities.csv"',
        f'licence = "{licence}"',
        "",
        "# Which columns identify and name a unit (a city); `groups` are text columns",
        "# that imputation and ranking within groups can use.",
        "[columns]",
        'id = "id"',
        'name = "name"',
        'country = "country"',
        'groups = ["region"]',
        "",
        "# One entry per numeric or text column that a methodology may use.",
    ]
    for b in variables:
        toml += [""] + b
    for b in sources:
        toml += [""] + b
    return {"cities.csv": buf.getvalue(), "dataset.toml": "\n".join(toml) + "\n"}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true")
    args = p.parse_args()
    files = generate()
    bad = []
    for name, text in files.items():
        path = OUT / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                bad.append(str(path))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if bad:
        print("differs from the recipe's output: " + ", ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
