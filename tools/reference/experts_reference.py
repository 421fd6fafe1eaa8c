#!/usr/bin/env python3
"""Independent reference numbers for the expert-panel weighting tests.

Requirements (pinned): Python 3.11, numpy==2.1.3  (nothing else).
    python3 -m venv /tmp/ahpvenv && /tmp/ahpvenv/bin/pip install numpy==2.1.3
    /tmp/ahpvenv/bin/python tools/reference/experts_reference.py

This script does NOT import or call anything from the project under test.
Everything is recomputed from first principles with numpy:

  * principal eigenvector via numpy.linalg.eig, normalised to sum 1
  * lambda_max, CI = (lambda_max - n)/(n - 1), CR = CI / RI(n)
  * row-geometric-mean priorities (normalised)
  * AIJ  = element-wise geometric mean of the experts' matrices, then eigenvector
  * AIP  = geometric / arithmetic mean of the experts' eigenvector priorities
  * budget allocation shares, mean and median
  * LLSM priorities of an incomplete matrix via numpy.linalg.lstsq
  * Kendall's W (plain and tie-corrected) for textbook data sets

All floats are printed with 10 significant digits ("%.10g").
"""

from fractions import Fraction as F

import numpy as np

# Saaty's random index (Saaty 1980 / 1990 "Oak Ridge" table), n = 1..15.
RI_SAATY_1980 = [0.00, 0.00, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                 1.51, 1.48, 1.56, 1.57, 1.59]
# Saaty's later table (Saaty 2005 ANP book p.31 / Saaty & Vargas 2012), n = 1..15.
RI_SAATY_LATER = [0.00, 0.00, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49,
                  1.52, 1.54, 1.56, 1.58, 1.59]
# Alonso & Lamata (2006), 100 000 random matrices, n = 1..15.
RI_ALONSO_LAMATA = [0.0, 0.0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056,
                    1.4499, 1.4854, 1.5141, 1.5365, 1.5551, 1.5713, 1.5838]


def g(x):
    """Format a float with 10 significant digits."""
    return "%.10g" % float(x)


def vec(v):
    return "[" + ", ".join(g(x) for x in v) + "]"


def frac(x):
    """Pretty-print a Saaty-scale judgement as an exact fraction where possible."""
    fr = F(x).limit_denominator(1000)
    return str(fr)


def recip_matrix(n, upper):
    """Build a full reciprocal matrix from {(i, j): a_ij} for i < j."""
    a = np.ones((n, n))
    for (i, j), v in upper.items():
        a[i, j] = float(v)
        a[j, i] = 1.0 / float(v)
    return a


def principal(a):
    """Principal (Perron) eigenvector normalised to sum 1, and lambda_max."""
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = vecs[:, k].real
    w = w / w.sum()          # also fixes the sign
    return w, float(vals[k].real)


def consistency(lmax, n, ri_table=RI_SAATY_1980):
    ci = (lmax - n) / (n - 1)
    ri = ri_table[n - 1]
    cr = ci / ri if ri > 0 else float("nan")
    return ci, cr


def row_geomean(a):
    gm = np.exp(np.log(a).mean(axis=1))
    return gm / gm.sum()


def print_matrix(name, a):
    print(f"  {name}:")
    for row in a:
        print("    [" + ", ".join(f"{frac(x):>5}" for x in row) + "]")


def print_matrix_float(name, a):
    print(f"  {name}:")
    for row in a:
        print("    " + vec(row))


def ahp_report(label, a, ri_table=RI_SAATY_1980, show_geo=True):
    n = a.shape[0]
    w, lmax = principal(a)
    ci, cr = consistency(lmax, n, ri_table)
    print(f"  {label} eigenvector priorities : {vec(w)}")
    print(f"  {label} lambda_max             : {g(lmax)}")
    print(f"  {label} CI                     : {g(ci)}")
    print(f"  {label} CR (RI({n})={ri_table[n - 1]})      : {g(cr)}")
    if n == 3:
        _, cr_al = consistency(lmax, n, RI_ALONSO_LAMATA)
        _, cr_later = consistency(lmax, n, RI_SAATY_LATER)
        print(f"  {label} CR (RI(3)=0.52, Saaty later table)  : {g(cr_later)}")
        print(f"  {label} CR (RI(3)=0.5245, Alonso-Lamata)    : {g(cr_al)}")
    if show_geo:
        print(f"  {label} row-geometric-mean priorities: {vec(row_geomean(a))}")
    return w, lmax


def section(title):
    print()
    print("=" * 78)
    print(title)
    print("=" * 78)


# ---------------------------------------------------------------------------
# 1. Synthetic 3-expert panel, one node with children A, B, C
# ---------------------------------------------------------------------------
def panel(n, experts):
    names = "ABCD"[:n]
    mats = {}
    prios = []
    for name, upper in experts.items():
        a = recip_matrix(n, upper)
        mats[name] = a
        print()
        print(f"Expert {name}: " + ", ".join(f"{names[i]}/{names[j]}={v}" for (i, j), v in upper.items()))
        print_matrix("matrix", a)
        w, _ = ahp_report(name, a)
        prios.append(w)

    # AIJ: element-wise geometric mean of judgements
    print()
    print("AIJ (aggregation of individual judgements, element-wise geometric mean):")
    stack = np.array(list(mats.values()))
    aij = np.exp(np.log(stack).mean(axis=0))
    print_matrix_float("AIJ matrix", aij)
    if n == 3:
        print(f"  AIJ exact upper entries: A/B = (3*(1/2)*2)^(1/3) = 3^(1/3) = {g(3 ** (1 / 3))}, "
              f"A/C = (5*3*7)^(1/3) = 105^(1/3) = {g(105 ** (1 / 3))}, "
              f"B/C = (2*4*3)^(1/3) = 24^(1/3) = {g(24 ** (1 / 3))}")
    ahp_report("AIJ", aij)

    # AIP: aggregation of individual priorities
    p = np.array(prios)
    aip_geo = np.exp(np.log(p).mean(axis=0))
    print()
    print("AIP (aggregation of individual eigenvector priorities):")
    print(f"  AIP-geometric, before renormalisation (sum={g(aip_geo.sum())}): {vec(aip_geo)}")
    print(f"  AIP-geometric, renormalised to sum 1 : {vec(aip_geo / aip_geo.sum())}")
    aip_ari = p.mean(axis=0)
    print(f"  AIP-arithmetic (sum={g(aip_ari.sum())})          : {vec(aip_ari)}")

    # Bonus: aggregation of the row-geometric-mean priorities
    pg = np.array([row_geomean(m) for m in mats.values()])
    gg = np.exp(np.log(pg).mean(axis=0))
    print(f"  (bonus) geometric mean of row-GM priorities, renormalised: {vec(gg / gg.sum())}")
    print(f"  (bonus) row-GM priorities of the AIJ matrix               : {vec(row_geomean(aij))}")
    print("  (for row-GM the two bonus lines must coincide: GM commutes with GM)")


def synthetic_panel():
    section("1. Synthetic panel: 3 experts, children A, B, C (order A, B, C)")
    panel(3, {
        "E1": {(0, 1): F(3), (0, 2): F(5), (1, 2): F(2)},
        "E2": {(0, 1): F(1, 2), (0, 2): F(3), (1, 2): F(4)},
        "E3": {(0, 1): F(2), (0, 2): F(7), (1, 2): F(3)},
    })
    print()
    print("NOTE: for n = 3 the eigenvector and the row-geometric mean coincide for every")
    print("reciprocal matrix, so AIJ-eigenvector = renormalised AIP-geometric as well.")
    print("Section 1b uses n = 4, where the methods give different numbers.")

    section("1b. Synthetic panel: 3 experts, children A, B, C, D (discriminating case)")
    panel(4, {
        "E1": {(0, 1): F(3), (0, 2): F(5), (0, 3): F(7), (1, 2): F(2), (1, 3): F(5), (2, 3): F(3)},
        "E2": {(0, 1): F(1, 2), (0, 2): F(3), (0, 3): F(4), (1, 2): F(4), (1, 3): F(6), (2, 3): F(2)},
        "E3": {(0, 1): F(2), (0, 2): F(7), (0, 3): F(3), (1, 2): F(3), (1, 3): F(1, 2), (2, 3): F(1, 4)},
    })


# ---------------------------------------------------------------------------
# 2. Budget allocation (direct point allocation)
# ---------------------------------------------------------------------------
def budget_case(title, alloc):
    print()
    print(title)
    shares = []
    for name, pts in alloc.items():
        pts = np.array(pts, dtype=float)
        s = pts / pts.sum()
        shares.append(s)
        print(f"  {name}: points {list(map(lambda x: g(x), pts))} total {g(pts.sum())} -> shares {vec(s)}")
    s = np.array(shares)
    mean = s.mean(axis=0)
    med = np.median(s, axis=0)
    print(f"  mean of shares (per child)                 : {vec(mean)}  sum={g(mean.sum())}")
    print(f"  median of shares (per child), NOT renormalised: {vec(med)}  sum={g(med.sum())}")
    print(f"  median of shares, renormalised to sum 1       : {vec(med / med.sum())}")


def budget():
    section("2. Budget allocation over A, B, C (shares = points / expert's own total)")
    budget_case("Case 2a: three experts, totals 100",
                {"E1": [50, 30, 20], "E2": [40, 40, 20], "E3": [60, 25, 15]})
    budget_case("Case 2b: case 2a plus a 4th expert who uses a total of 10",
                {"E1": [50, 30, 20], "E2": [40, 40, 20], "E3": [60, 25, 15],
                 "E4": [5, 3, 2]})
    budget_case("Case 2c: median vector that does NOT sum to 1 (synthetic)",
                {"E1": [60, 30, 10], "E2": [20, 50, 30], "E3": [30, 20, 50]})
    print("  (median of an even count = mean of the two middle values, numpy.median)")


# ---------------------------------------------------------------------------
# 3. LLSM on an incomplete 4x4 matrix
# ---------------------------------------------------------------------------
def llsm(n, given):
    """min sum_{(i,j) given} (ln a_ij - ln w_i + ln w_j)^2 via numpy.linalg.lstsq.

    The system is rank n-1 when the comparison graph is connected; lstsq returns
    the minimum-norm solution (sum of ln w = 0); we then exponentiate and
    normalise to sum 1, which removes the free scale.
    """
    rows, rhs = [], []
    for (i, j), v in given.items():
        r = np.zeros(n)
        r[i], r[j] = 1.0, -1.0
        rows.append(r)
        rhs.append(np.log(float(v)))
    x, res, rank, _ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    w = np.exp(x)
    return w / w.sum(), x, rank


def incomplete_llsm():
    section("3. LLSM of an incomplete 4x4 matrix (A, B, C, D)")
    given = {(0, 1): F(2), (1, 2): F(3), (2, 3): F(2), (0, 3): F(8)}
    names = "ABCD"
    print("  given pairs: " + ", ".join(f"{names[i]}/{names[j]}={v}" for (i, j), v in given.items()))
    print("  missing pairs: A/C, B/D")
    w, x, rank = llsm(4, given)
    print(f"  lstsq rank = {rank} (n-1 = 3: comparison graph connected)")
    print(f"  LLSM priorities (sum 1): {vec(w)}")
    for (i, j), v in given.items():
        print(f"    fitted {names[i]}/{names[j]} = {g(w[i] / w[j])}   (given {v})")
    print(f"    implied A/C = {g(w[0] / w[2])}, implied B/D = {g(w[1] / w[3])}")
    # Closed form: the graph is a single 4-cycle A-B-C-D-A. The cycle error
    # e = ln(a_AB a_BC a_CD / a_AD) = ln(12/8) is spread equally (e/4) over the 4 edges.
    e = np.log(12 / 8)
    wd = 1.0
    wc = 2 * np.exp(-e / 4) * wd
    wb = 3 * np.exp(-e / 4) * wc
    wa = 2 * np.exp(-e / 4) * wb
    cf = np.array([wa, wb, wc, wd])
    cf /= cf.sum()
    print(f"  closed-form check (cycle error ln1.5 split in 4): {vec(cf)}")
    print(f"  max |lstsq - closed form| = {g(np.max(np.abs(cf - w)))}")

    # Published incomplete example (Bozoki, Fulop & Ronyai 2010, Example 3):
    section("3b. Bozoki-Fulop-Ronyai (2010) Example 3, one missing entry c/d")
    given2 = {(0, 1): F(1), (0, 2): F(5), (0, 3): F(2), (1, 2): F(3), (1, 3): F(4)}
    w2, _, _ = llsm(4, given2)
    print(f"  LLSM priorities (sum 1): {vec(w2)}")
    print(f"  LLSM-implied c/d = {g(w2[2] / w2[3])}; van Uden / triad geometric mean "
          f"sqrt((1/5*2)*(1/3*4)) = sqrt(8/15) = {g(np.sqrt(8 / 15))}")
    # lambda_max-optimal completion x = c/d: lambda_max(x) is convex in t = ln x and
    # d lambda/dt = (v^T (dA/dt) u)/(v^T u) with Perron right/left vectors u, v, so the
    # optimum solves v_c u_d x - v_d u_c / x = 0 (bisection on the sign, 200 steps).
    def completed(x):
        return recip_matrix(4, {(0, 1): 1, (0, 2): 5, (0, 3): 2, (1, 2): 3, (1, 3): 4, (2, 3): x})

    def dlam(t):
        a = completed(np.exp(t))
        u, _ = principal(a)
        v, _ = principal(a.T)
        return v[2] * u[3] * np.exp(t) - v[3] * u[2] * np.exp(-t)

    lo, hi = np.log(0.1), np.log(10.0)
    for _ in range(200):
        mid = (lo + hi) / 2
        if dlam(mid) < 0:
            lo = mid
        else:
            hi = mid
    t = (lo + hi) / 2
    a_opt = completed(np.exp(t))
    w_opt, l_opt = principal(a_opt)
    print(f"  lambda_max-optimal c/d (bisection on d lambda/dt) = {g(np.exp(t))}  (paper prints 0.7302965066047)")
    print(f"  EM priorities of that completion = {vec(w_opt)}, lambda_max = {g(l_opt)}, "
          f"CR(RI(4)=0.90) = {g(consistency(l_opt, 4)[1])}")


# ---------------------------------------------------------------------------
# 4. Published AHP examples recomputed (for full-precision values)
# ---------------------------------------------------------------------------
def published():
    section("4a. Saaty (1990) EJOR 48:9-26, house example, criteria matrix (8x8)")
    h = np.array([
        [1, 5, 3, 7, 6, 6, 1 / 3, 1 / 4],
        [1 / 5, 1, 1 / 3, 5, 3, 3, 1 / 5, 1 / 7],
        [1 / 3, 3, 1, 6, 3, 4, 6, 1 / 5],
        [1 / 7, 1 / 5, 1 / 6, 1, 1 / 3, 1 / 4, 1 / 7, 1 / 8],
        [1 / 6, 1 / 3, 1 / 3, 3, 1, 1 / 2, 1 / 5, 1 / 6],
        [1 / 6, 1 / 3, 1 / 4, 4, 2, 1, 1 / 5, 1 / 6],
        [3, 5, 1 / 6, 7, 5, 5, 1, 1 / 2],
        [4, 7, 5, 8, 6, 6, 2, 1],
    ])
    assert np.allclose(h * h.T, 1.0)
    ahp_report("house", h)
    print("  printed: .173 .054 .188 .018 .031 .036 .167 .333; lambda_max 9.669, CI .238, CR .169")

    section("4b. Saaty (2008) IJSS 1(1):83-98, relative drink consumption in the US (7x7)")
    d = np.array([
        [1, 9, 5, 2, 1, 1, 1 / 2],
        [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
        [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
        [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [1, 9, 4, 2, 1, 2, 1 / 2],
        [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
        [2, 9, 9, 3, 2, 3, 1],
    ])
    assert np.allclose(d * d.T, 1.0)
    w, lmax = ahp_report("drinks", d)
    print(f"  drinks CR with RI(7)=1.35 (Saaty later table): {g(consistency(lmax, 7, RI_SAATY_LATER)[1])}")
    print("  printed: coffee .177 wine .019 tea .042 beer .116 soda .190 milk .129 water .327; CR 0.022")


# ---------------------------------------------------------------------------
# 5. Kendall's W on textbook / documented data
# ---------------------------------------------------------------------------
def kendall_w(r):
    """r: m raters x n objects matrix of ranks (mid-ranks for ties)."""
    r = np.asarray(r, dtype=float)
    m, n = r.shape
    rj = r.sum(axis=0)
    s = float(((rj - rj.mean()) ** 2).sum())
    w = 12 * s / (m * m * (n ** 3 - n))
    t = 0.0
    for row in r:
        _, c = np.unique(row, return_counts=True)
        t += float((c ** 3 - c).sum())
    w_t = 12 * s / (m * m * (n ** 3 - n) - m * t)
    return rj, s, t, w, w_t


def kendall():
    section("5. Kendall's W (W = 12S/(m^2(n^3-n)); tie-corrected: denominator - m*sum(t^3-t))")
    sets = {
        "Kothari (2004) Illustration 9, 4 judges x 7 individuals (printed W to be checked)": [
            [1, 3, 2, 5, 7, 4, 6], [2, 4, 1, 3, 7, 5, 6], [3, 4, 1, 2, 7, 6, 5], [1, 2, 5, 4, 6, 3, 7]],
        "InfluentialPoints worked example I, 4 raters x 8 farms (printed W = 0.744)": [
            [8, 4, 2, 3, 5, 1, 6, 7], [7, 3, 1, 4, 5, 2, 6, 8], [8, 2, 5, 6, 7, 1, 4, 3],
            [8, 3, 4, 2, 5, 1, 6, 7]],
        "NAG g08daf example, 3 comparisons x 10 objects WITH ties (printed W = 0.828)": [
            [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
            [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
            [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0]],
    }
    for name, r in sets.items():
        rj, s, t, w, w_t = kendall_w(r)
        print()
        print(name)
        print(f"  rank sums R_j = {vec(rj)}")
        print(f"  S = {g(s)}, sum(t^3-t) over raters = {g(t)}")
        print(f"  W (uncorrected) = {g(w)}")
        print(f"  W (tie-corrected) = {g(w_t)}")


# ---------------------------------------------------------------------------
# 6. More panel figures for the end-to-end tests (tests/experts.rs)
# ---------------------------------------------------------------------------
def panel_extras():
    section("6. Panel extras: AIJ without E3, Kendall's W of priorities, ratings")
    experts = {
        "E1": {(0, 1): F(3), (0, 2): F(5), (0, 3): F(7), (1, 2): F(2), (1, 3): F(5), (2, 3): F(3)},
        "E2": {(0, 1): F(1, 2), (0, 2): F(3), (0, 3): F(4), (1, 2): F(4), (1, 3): F(6), (2, 3): F(2)},
        "E3": {(0, 1): F(2), (0, 2): F(7), (0, 3): F(3), (1, 2): F(3), (1, 3): F(1, 2), (2, 3): F(1, 4)},
    }
    mats = {k: recip_matrix(4, v) for k, v in experts.items()}
    aij = np.exp((np.log(mats["E1"]) + np.log(mats["E2"])) / 2)
    w, _ = principal(aij)
    print(f"  AIJ of E1 and E2 only (E3 left out), eigenvector priorities: {vec(w)}")
    pri = [principal(mats[k])[0] for k in ("E1", "E2", "E3")]
    # Kendall's W of the three experts' priorities: rank each expert's priorities
    # (ascending; no ties here) and apply the formula of section 5.
    ranks = [np.argsort(np.argsort(p)) + 1 for p in pri]
    rj, s_, t, w_, w_t = kendall_w(ranks)
    print(f"  ranks of the priorities per expert: {[list(map(int, r)) for r in ranks]}")
    print(f"  Kendall's W of the priorities: {g(w_t)} (S = {g(s_)})")
    # Ratings (1-5) of three children by three experts: weights = rating / sum.
    ratings = {"R1": [5, 3, 2], "R2": [4, 4, 1], "R3": [5, 2, 2]}
    shares = {k: np.array(v, float) / sum(v) for k, v in ratings.items()}
    mean = sum(shares.values()) / 3
    print(f"  rating shares: {', '.join(k + ' ' + vec(v) for k, v in shares.items())}")
    print(f"  mean of the rating shares: {vec(mean)}")
    med = np.median(np.array(list(shares.values())), axis=0)
    print(f"  median of the rating shares, renormalised: {vec(med / med.sum())}")


def main():
    print(f"numpy {np.__version__}")
    synthetic_panel()
    budget()
    incomplete_llsm()
    published()
    kendall()
    panel_extras()


if __name__ == "__main__":
    main()
