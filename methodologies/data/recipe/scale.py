#!/usr/bin/env python3
"""Write a synthetic edition at the scale of every city on Earth: 13,000 units,
200 indicators in 5 pillars, 2% of the values missing (about 21 MB of CSV), a
declarative methodology on it, and an edition with a sensitivity design of 6
uncertain inputs (weights at two levels, normaliser, aggregator, imputation,
winsorisation). For measuring cityrank as a user runs it (`cityrank bench`
runs it in processes of their own) and for trying it at that size:

    python3 methodologies/data/recipe/scale.py --out /tmp/scale
    cityrank run /tmp/scale/edition.toml --format csv -o /tmp/scale/ranking.csv
    cityrank sensitivity /tmp/scale/edition.toml --samples 1024

Python 3.11, standard library only; deterministic (seed 13000: the same bytes on
every machine). `--units` and `--indicators` make other sizes (5 pillars; at
least 5 indicators).

The values: each unit has a latent "development" level d ~ N(0, 1); indicator i
is exp(0.6·d·r_i + N(0, 0.8)) × scale_i, with r_i in [0.2, 1] (so that pillars
correlate, as real indicators do), written with 6 significant digits; every
seventh indicator is lower-is-better; 2% of the cells are empty at random.
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

PILLARS = 5


def generate(out: Path, units: int, indicators: int) -> None:
    if indicators < PILLARS or units < 2:
        raise SystemExit(f"need at least {PILLARS} indicators and 2 units")
    rng = random.Random(13000)
    out.mkdir(parents=True, exist_ok=True)
    loading = [0.2 + 0.8 * rng.random() for _ in range(indicators)]
    scale = [10 ** rng.uniform(-1, 3) for _ in range(indicators)]
    lines = ["id,name,country," + ",".join(f"v{i}" for i in range(indicators))]
    for u in range(units):
        d = rng.gauss(0.0, 1.0)
        cells = []
        for i in range(indicators):
            if rng.random() < 0.02:
                cells.append("")
                continue
            x = math.exp(0.6 * d * loading[i] + rng.gauss(0.0, 0.8)) * scale[i]
            cells.append(f"{x:.6g}")
        country = f"C{u % 150:03d}"
        lines.append(f"u{u:05d},City {u:05d},{country}," + ",".join(cells))
    (out / "units.csv").write_text("\n".join(lines) + "\n")

    dataset = [
        "schema_version = 1",
        'id = "scale"',
        f'title = "Synthetic: {units} units × {indicators} indicators (methodologies/data/recipe/scale.py)"',
        "year = 2026",
        'file = "units.csv"',
        'licence = "CC0 (synthetic)"',
        "",
        "[columns]",
        'id = "id"',
        'name = "name"',
        'country = "country"',
    ]
    for i in range(indicators):
        dataset += ["", "[[variables]]", f'id = "v{i}"', 'type = "number"', "min = 0.0"]
    (out / "dataset.toml").write_text("\n".join(dataset) + "\n")

    manifest = [
        "schema_version = 2",
        'id = "scale"',
        'name = "Synthetic scale index"',
        'version = "0.1.0"',
        'description = "Five pillars of synthetic indicators, min-max normalised, weighted arithmetic means."',
        "",
        "[index]",
        'id = "index"',
        'name = "Scale index"',
        "",
        "[pipeline]",
        'normalise = { method = "min-max", lo = 0.0, hi = 100.0 }',
        'aggregate = { method = "arithmetic" }',
        'missing = { policy = "reweight", min_share = 0.5 }',
    ]
    for p in range(PILLARS):
        manifest += ["", "[[nodes]]", f'id = "p{p}"', f'name = "Pillar {p}"', 'parent = "index"', "weight = 1"]
    for i in range(indicators):
        direction = "lower" if i % 7 == 6 else "higher"
        manifest += [
            "",
            "[[indicators]]",
            f'id = "i{i}"',
            f'name = "Indicator {i}"',
            f'parent = "p{i % PILLARS}"',
            f"weight = {1 + i % 3}",
            f'direction = "{direction}"',
            'unit = "1"',
            f'from = "v{i}"',
        ]
    for label, share in [("top 10%", 0.1), ("10-30%", 0.3), ("30-60%", 0.6), ("60-100%", 1.0)]:
        manifest += ["", "[[tiers]]", f'label = "{label}"', f"upper_share = {share}"]
    (out / "methodology.toml").write_text("\n".join(manifest) + "\n")

    edition = f'''schema_version = 1
id = "scale"
name = "Synthetic edition: {units} units × {indicators} indicators"
year = 2026
methodology = "methodology.toml"
dataset = "dataset.toml"

# Six uncertain inputs, as a global ranking's robustness analysis would have.
[sensitivity]
samples = 256
design = "sobol"
seed = 13000
bootstrap = 100
leave_one_out = false

[[sensitivity.inputs]]
name = "pillar weights"
weight_noise = {{ levels = [2], factor = 0.25, replicates = 100 }}

[[sensitivity.inputs]]
name = "indicator weights"
weight_noise = {{ levels = [1], factor = 0.25, replicates = 100 }}

[[sensitivity.inputs]]
name = "normaliser"
alternatives = [
  {{ description = "min-max" }},
  {{ description = "z-scores", pipeline = {{ normalise = {{ method = "z-score", mean = 10.0, sd = 2.0 }} }} }},
]

[[sensitivity.inputs]]
name = "aggregator"
alternatives = [
  {{ description = "arithmetic" }},
  {{ description = "geometric", pipeline = {{ normalise = {{ method = "min-max", lo = 1.0, hi = 100.0 }}, aggregate = {{ method = "geometric" }} }} }},
]

[[sensitivity.inputs]]
name = "imputation"
alternatives = [
  {{ description = "none" }},
  {{ description = "mean", pipeline = {{ impute = {{ method = "mean" }} }} }},
]

[[sensitivity.inputs]]
name = "winsorisation"
alternatives = [
  {{ description = "none" }},
  {{ description = "COINr's rule", pipeline = {{ treat = {{ method = "coinr" }} }} }},
]

[variants.equal-weights]
description = "Equal weights at every level."
pipeline = {{ weights = {{ method = "equal" }} }}
'''
    (out / "edition.toml").write_text(edition)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\nPython 3.11")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--out", type=Path, required=True, help="the folder to write (created)")
    ap.add_argument("--units", type=int, default=13_000, help="how many units (default 13000)")
    ap.add_argument(
        "--indicators", type=int, default=200, help="how many indicators, in 5 pillars (default 200, at least 5)"
    )
    a = ap.parse_args()
    generate(a.out, a.units, a.indicators)


if __name__ == "__main__":
    main()
