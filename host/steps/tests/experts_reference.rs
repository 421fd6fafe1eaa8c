//! The expert-panel numerics against independent numbers: Saaty's published AHP
//! examples (priorities, λ_max and CR as printed), Kendall's W as printed in
//! worked examples, and, for aggregation (AIJ, AIP), budget allocation and the
//! LLSM completion, the output of `tools/reference/experts_reference.py`
//! (numpy's `linalg.eig` and `lstsq`; nothing of cityrank), whose numbers are
//! quoted here to 10 significant digits.
// The platform's functions are an independent reference here.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)]

use cityrank_steps::experts::{
    Combine, aggregate_judgements, combine, complete_llsm, consistency, eigenvector, geometric_mean, kendall_w,
    lambda_max, shares,
};

/// Close to 10 significant digits.
fn close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-9 * w.abs().max(1e-3),
            "{what}: got {got:?}, want {want:?}"
        );
    }
}

/// Rounds to `d` decimals, as a table prints.
fn printed(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

/// A full reciprocal matrix from its upper triangle, row by row.
fn matrix(n: usize, upper: &[f64]) -> Vec<f64> {
    let mut a = vec![1.0; n * n];
    let mut k = 0;
    for i in 0..n {
        for j in i + 1..n {
            a[i * n + j] = upper[k];
            a[j * n + i] = 1.0 / upper[k];
            k += 1;
        }
    }
    a
}

#[test]
fn saaty_1990_house_example() {
    // T. L. Saaty, "How to make a decision: the analytic hierarchy process",
    // EJOR 48 (1990) 9–26: the criteria of buying a house. Printed: priorities
    // .173 .054 .188 .018 .031 .036 .167 .333, λ_max 9.669, CI .238, CR .169.
    let third = 1.0 / 3.0;
    let a = matrix(
        8,
        &[
            5.0,
            3.0,
            7.0,
            6.0,
            6.0,
            third,
            0.25, // size
            third,
            5.0,
            3.0,
            3.0,
            0.2,
            1.0 / 7.0, // transportation
            6.0,
            3.0,
            4.0,
            6.0,
            0.2, // neighbourhood
            third,
            0.25,
            1.0 / 7.0,
            0.125, // age
            0.5,
            0.2,
            1.0 / 6.0, // yard
            0.2,
            1.0 / 6.0, // facilities
            0.5,       // condition
        ],
    );
    let (w, lambda) = eigenvector(&a, 8).unwrap();
    let rounded: Vec<f64> = w.iter().map(|x| printed(*x, 3)).collect();
    assert_eq!(rounded, [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]);
    assert_eq!(printed(lambda, 3), 9.669);
    let (ci, cr) = consistency(lambda, 8);
    assert_eq!(printed(ci, 3), 0.238);
    assert_eq!(printed(cr.unwrap(), 3), 0.169);
    // Above Saaty's 0.1: to be flagged.
    assert!(cr.unwrap() > 0.1);
    // numpy: 0.1730174746 … 0.3331889800, λ_max 9.668887317.
    close(&w[..2], &[0.1730174746, 0.0539757230], "house, numpy");
    assert!((lambda - 9.668887317).abs() < 1e-8);
}

#[test]
fn saaty_2008_drinks_example() {
    // T. L. Saaty, "Decision making with the analytic hierarchy process", Int. J.
    // Services Sciences 1(1) (2008): relative consumption of drinks in the US.
    // Printed: .177 .019 .042 .116 .190 .129 .327, CR 0.022.
    let a = matrix(
        7,
        &[
            9.0,
            5.0,
            2.0,
            1.0,
            1.0,
            0.5, // coffee
            1.0 / 3.0,
            1.0 / 9.0,
            1.0 / 9.0,
            1.0 / 9.0,
            1.0 / 9.0, // wine
            1.0 / 3.0,
            0.25,
            1.0 / 3.0,
            1.0 / 9.0, // tea
            0.5,
            1.0,
            1.0 / 3.0, // beer
            2.0,
            0.5,       // sodas
            1.0 / 3.0, // milk
        ],
    );
    let (w, lambda) = eigenvector(&a, 7).unwrap();
    let rounded: Vec<f64> = w.iter().map(|x| printed(*x, 3)).collect();
    assert_eq!(rounded, [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]);
    assert_eq!(printed(consistency(lambda, 7).1.unwrap(), 3), 0.022);
}

/// The 4-element panel of `experts_reference.py` §1b (for 3 elements the
/// eigenvector and geometric-mean methods coincide, so 4 tell them apart).
fn panel() -> [Vec<f64>; 3] {
    [
        matrix(4, &[3.0, 5.0, 7.0, 2.0, 5.0, 3.0]),
        matrix(4, &[0.5, 3.0, 4.0, 4.0, 6.0, 2.0]),
        matrix(4, &[2.0, 7.0, 3.0, 3.0, 0.5, 0.25]),
    ]
}

#[test]
fn individual_priorities_and_consistency_match_numpy() {
    let [e1, e2, e3] = panel();
    let (w, lambda) = eigenvector(&e1, 4).unwrap();
    close(
        &w,
        &[0.5738112599, 0.2388289684, 0.1310143137, 0.05634545797],
        "E1 eigenvector",
    );
    assert!((lambda - 4.077626396).abs() < 1e-8);
    let (ci, cr) = consistency(lambda, 4);
    assert!((ci - 0.02587546521).abs() < 1e-10 && (cr.unwrap() - 0.0287505169).abs() < 1e-10);
    close(
        &geometric_mean(&e1, 4).unwrap(),
        &[0.5711367229, 0.2410807017, 0.1320453385, 0.05573723695],
        "E1 geometric mean",
    );
    let (w, _) = eigenvector(&e2, 4).unwrap();
    close(&w, &[0.3005227599, 0.5041154162, 0.1226254778, 0.07273634615], "E2");
    let (w, lambda) = eigenvector(&e3, 4).unwrap();
    close(&w, &[0.5025972636, 0.1822275578, 0.06294646256, 0.2522287161], "E3");
    assert!((consistency(lambda, 4).1.unwrap() - 0.03977465691).abs() < 1e-10);
    // λ_max from the priorities: for the eigenvector, its eigenvalue.
    assert!((lambda_max(&e3, 4, &w) - 4.107391574).abs() < 1e-8);
}

#[test]
fn aij_and_aip_match_numpy() {
    let p = panel();
    let refs: Vec<&[f64]> = p.iter().map(Vec::as_slice).collect();
    let aij = aggregate_judgements(&refs, 4).unwrap();
    // A/B = (3 · ½ · 2)^⅓ = 3^⅓, A/D = (7·4·3)^⅓ = 84^⅓.
    assert!((aij[1] - 3f64.cbrt()).abs() < 1e-12 && (aij[3] - 84f64.cbrt()).abs() < 1e-12);
    let (w, lambda) = eigenvector(&aij, 4).unwrap();
    close(&w, &[0.4766062488, 0.304359555, 0.1100140853, 0.1090201109], "AIJ");
    assert!((consistency(lambda, 4).1.unwrap() - 0.004361191182).abs() < 1e-10);
    let priorities: Vec<Vec<f64>> = p.iter().map(|m| eigenvector(m, 4).unwrap().0).collect();
    let refs: Vec<&[f64]> = priorities.iter().map(Vec::as_slice).collect();
    close(
        &combine(&refs, 4, Combine::Geometric).unwrap(),
        &[0.4789545511, 0.3029812816, 0.1086331523, 0.109431015],
        "AIP geometric, renormalised",
    );
    close(
        &combine(&refs, 4, Combine::Mean).unwrap(),
        &[0.4589770944, 0.3083906475, 0.1055287514, 0.1271035067],
        "AIP arithmetic",
    );
}

#[test]
fn budget_allocation_by_hand() {
    // Shares = points / the expert's own total (5/3/2 of 10 = 50/30/20 of 100).
    let e: Vec<Vec<f64>> = [
        [50.0, 30.0, 20.0],
        [40.0, 40.0, 20.0],
        [60.0, 25.0, 15.0],
        [5.0, 3.0, 2.0],
    ]
    .iter()
    .map(|p| shares(p).unwrap())
    .collect();
    close(&e[3], &[0.5, 0.3, 0.2], "shares of 10 points");
    let refs: Vec<&[f64]> = e.iter().map(Vec::as_slice).collect();
    // Mean per child: A (0.5+0.4+0.6+0.5)/4 = 0.5, B (0.3+0.4+0.25+0.3)/4 = 0.3125,
    // C (0.2+0.2+0.15+0.2)/4 = 0.1875.
    close(
        &combine(&refs, 3, Combine::Mean).unwrap(),
        &[0.5, 0.3125, 0.1875],
        "mean",
    );
    // A median that does not sum to 1 (0.3, 0.3, 0.3) is renormalised to ⅓ each.
    let f: Vec<Vec<f64>> = [[60.0, 30.0, 10.0], [20.0, 50.0, 30.0], [30.0, 20.0, 50.0]]
        .iter()
        .map(|p| shares(p).unwrap())
        .collect();
    let refs: Vec<&[f64]> = f.iter().map(Vec::as_slice).collect();
    close(&combine(&refs, 3, Combine::Median).unwrap(), &[1.0 / 3.0; 3], "median");
}

#[test]
fn llsm_completion_matches_numpy_and_bozoki_2010() {
    // A/B = 2, B/C = 3, C/D = 2, A/D = 8 (A/C and B/D missing): numpy lstsq gives
    // the priorities below; the completed A/C = B/D = √24.
    let a = complete_llsm(4, &[(0, 1, 2.0), (1, 2, 3.0), (2, 3, 2.0), (0, 3, 8.0)]).unwrap();
    assert!((a[2] - 24f64.sqrt()).abs() < 1e-12, "A/C = {}", a[2]);
    assert!((a[7] - 24f64.sqrt()).abs() < 1e-12, "B/D = {}", a[7]);
    close(
        &geometric_mean(&a, 4).unwrap(),
        &[0.5346406065, 0.2958385463, 0.1091330568, 0.0603877904],
        "LLSM priorities",
    );
    // Bozóki, Fülöp & Rónyai (2010), Example 3: c/d missing; its optimal
    // completion is printed as 0.7302965066 (exactly √(8/15) = 0.7302967433).
    let a = complete_llsm(4, &[(0, 1, 1.0), (0, 2, 5.0), (0, 3, 2.0), (1, 2, 3.0), (1, 3, 4.0)]).unwrap();
    assert!((a[2 * 4 + 3] - 0.7302965066).abs() < 1e-6, "c/d = {}", a[11]);
    assert!((a[2 * 4 + 3] - (8.0f64 / 15.0).sqrt()).abs() < 1e-12);
}

#[test]
fn kendall_w_as_printed() {
    // InfluentialPoints, "Kendall coefficient of concordance", worked example I:
    // 4 raters × 8 farms (ranks), printed W = 0.744 (= 125/168).
    let r = [
        [8.0, 4.0, 2.0, 3.0, 5.0, 1.0, 6.0, 7.0],
        [7.0, 3.0, 1.0, 4.0, 5.0, 2.0, 6.0, 8.0],
        [8.0, 2.0, 5.0, 6.0, 7.0, 1.0, 4.0, 3.0],
        [8.0, 3.0, 4.0, 2.0, 5.0, 1.0, 6.0, 7.0],
    ];
    let refs: Vec<&[f64]> = r.iter().map(|x| x.as_slice()).collect();
    let w = kendall_w(&refs, 8).unwrap();
    assert_eq!(printed(w, 3), 0.744);
    assert!((w - 125.0 / 168.0).abs() < 1e-12);
    // NAG Library g08daf example: 3 raters × 10 objects with ties, printed
    // tie-corrected W = 0.828 (S = 591, Σ(t³ − t) = 114).
    let t = [
        [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
        [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
        [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
    ];
    let refs: Vec<&[f64]> = t.iter().map(|x| x.as_slice()).collect();
    let w = kendall_w(&refs, 10).unwrap();
    assert_eq!(printed(w, 3), 0.828);
    assert!((w - 12.0 * 591.0 / (9.0 * 990.0 - 3.0 * 114.0)).abs() < 1e-12);
}
