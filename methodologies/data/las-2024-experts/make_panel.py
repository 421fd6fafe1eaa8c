#!/usr/bin/env python3
"""Writes panel.csv: an ILLUSTRATIVE, SYNTHETIC expert panel for the LAS 2024
edition (methodologies/las-2024.experts.toml). No real expert gave these
judgements: they are drawn at random, reproducibly (seed 2024, Python's
Mersenne Twister; standard library only), around the harbor-ladder
methodology's own weights, to show how `cityrank experts` reads a panel and how
much a ranking depends on who sat on it.

The panel: 18 experts (`synthetic-01` … `synthetic-18`), as in the 2024 LAS
edition's panel of 18 policymakers and experts.
- AHP on the three pillars (node `index`): each expert compares traditional,
  digital and institutional infrastructure pairwise on Saaty's 1–9 scale.
- Budget allocation within each pillar: 100 points over its indicators.

How the judgements are drawn:
- Each expert has latent weights: the methodology's weights, each multiplied
  by exp(N(0, 0.35)) (pillars) or exp(N(0, 0.30)) (indicators), renormalised.
  Experts 16–18 lean towards institutions (institutional ×2.5): a minority view.
- A pairwise judgement is the latent ratio rounded to Saaty's scale (1…9 or
  1/9…1); with probability 0.15 it is one step off. Experts 07 and 13 reverse
  their traditional-vs-institutional judgement (inconsistent on purpose: their
  consistency ratios exceed 0.1).
- Points are the latent shares × 100 rounded to multiples of 5 (the largest
  share takes the rounding difference so that each expert gives 100).
- Expert 05 gives no points within institutional infrastructure and expert 11
  none within traditional infrastructure (an expert may judge some nodes only).

Usage: python3 make_panel.py [--check]   (--check: fail if panel.csv differs)
"""

import math
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

PILLARS = [("traditional", 0.35), ("digital", 0.40), ("institutional", 0.25)]
INDICATORS = {
    "traditional": [("air_connectivity", 3), ("air_reach", 2), ("seaport", 2),
                    ("metro_network", 2), ("metro_use", 1), ("electricity", 1)],
    "digital": [("internet_use", 3), ("fixed_broadband", 3), ("mobile", 2),
                ("connected_people", 2)],
    "institutional": [("government_effectiveness", 2), ("regulatory_quality", 1),
                      ("rule_of_law", 1), ("control_of_corruption", 1),
                      ("stability", 1), ("human_development", 2)],
}
EXPERTS = 18
SCALE = [1, 2, 3, 4, 5, 6, 7, 8, 9]


def latent(rng, weights, sd):
    w = [x * math.exp(rng.gauss(0.0, sd)) for x in weights]
    total = sum(w)
    return [x / total for x in w]


def saaty(rng, ratio):
    """The ratio rounded to Saaty's scale, one step off with probability 0.15."""
    up = ratio >= 1.0
    step = min(max(round(ratio if up else 1.0 / ratio), 1), 9)
    if rng.random() < 0.15:
        step = min(max(step + (1 if rng.random() < 0.5 else -1), 1), 9)
    if step == 1:
        return "1"
    return str(step) if up else f"1/{step}"


def points(shares):
    raw = [round(s * 20) * 5 for s in shares]
    big = max(range(len(shares)), key=lambda i: shares[i])
    raw[big] += 100 - sum(raw)
    return raw


def panel():
    rng = random.Random(2024)
    rows = [("expert", "node", "kind", "a", "b", "value")]
    for e in range(1, EXPERTS + 1):
        who = f"synthetic-{e:02d}"
        base = [w for _, w in PILLARS]
        if e >= 16:
            base = [base[0], base[1], base[2] * 2.5]
        w = latent(rng, base, 0.35)
        names = [p for p, _ in PILLARS]
        for i in range(3):
            for j in range(i + 1, 3):
                value = saaty(rng, w[i] / w[j])
                if e in (7, 13) and (names[i], names[j]) == ("traditional", "institutional"):
                    value = value[2:] if value.startswith("1/") else ("1" if value == "1" else f"1/{value}")
                    value = "1/5" if value == "1" else value
                rows.append((who, "index", "pairwise", names[i], names[j], value))
        for pillar, children in INDICATORS.items():
            shares = latent(rng, [w for _, w in children], 0.30)
            if (e, pillar) in ((5, "institutional"), (11, "traditional")):
                continue
            for (child, _), p in zip(children, points(shares)):
                rows.append((who, pillar, "points", child, "", str(p)))
    return "".join(",".join(r) + "\n" for r in rows)


def main():
    text = panel()
    out = HERE / "panel.csv"
    if "--check" in sys.argv[1:]:
        if out.read_text() != text:
            sys.exit(f"{out} differs from what make_panel.py writes: run it without --check")
        return
    out.write_text(text)


if __name__ == "__main__":
    main()
