//! Symmetric eigen-decomposition by the cyclic Jacobi method.
//!
//! Correlation matrices in a composite indicator are small (a node's children, or
//! the indicators of one level), where Jacobi is simple, robust and accurate to
//! machine precision.

/// Eigenvalues (descending) and unit eigenvectors of a symmetric matrix.
#[derive(Debug, Clone)]
pub(crate) struct SymEigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// Eigenvectors: `vectors[k]` belongs to `values[k]` (unit length).
    pub vectors: Vec<Vec<f64>>,
}

/// Decomposes the symmetric `n × n` matrix `a` (row-major). Only the symmetric part
/// is meaningful; the input is not checked for symmetry.
pub(crate) fn symmetric_eigen(a: &[f64], n: usize) -> SymEigen {
    debug_assert_eq!(a.len(), n * n);
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let scale: f64 = m.iter().map(|x| x * x).sum::<f64>().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|p| (p + 1..n).map(move |q| (p, q)))
            .map(|(p, q)| m[p * n + q].powi(2))
            .sum();
        if off <= 1e-32 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                // Rotation J (c, s) in the (p, q) plane with Jᵀ A J zeroing a_pq:
                // t = tan φ is the smaller root of t² + 2θt − 1 = 0.
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    1.0 / (2.0 * theta)
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * akp - s * akq;
                    m[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * apk - s * aqk;
                    m[q * n + k] = s * apk + c * aqk;
                }
                m[p * n + q] = 0.0;
                m[q * n + p] = 0.0;
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    SymEigen {
        values: order.iter().map(|&k| m[k * n + k]).collect(),
        vectors: order.iter().map(|&k| (0..n).map(|i| v[i * n + k]).collect()).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn two_by_two_correlation() {
        // [[1, r], [r, 1]] has eigenvalues 1 ± r with vectors (1, ±1)/√2.
        let e = symmetric_eigen(&[1.0, 0.6, 0.6, 1.0], 2);
        assert!((e.values[0] - 1.6).abs() < 1e-14 && (e.values[1] - 0.4).abs() < 1e-14);
        let h = 0.5f64.sqrt();
        assert!((e.vectors[0][0].abs() - h).abs() < 1e-14);
        assert!((e.vectors[0][0] - e.vectors[0][1]).abs() < 1e-14);
        assert!((e.vectors[1][0] + e.vectors[1][1]).abs() < 1e-14);
    }

    #[test]
    fn three_by_three_by_hand() {
        // [[2, 1, 0], [1, 2, 0], [0, 0, 5]]: eigenvalues 5, 3, 1 (the 2×2 block gives
        // 2 ± 1); check A v = λ v for each pair.
        let a = [2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0];
        let e = symmetric_eigen(&a, 3);
        for (want, got) in [5.0, 3.0, 1.0].iter().zip(&e.values) {
            assert!((want - got).abs() < 1e-13);
        }
        for (l, v) in e.values.iter().zip(&e.vectors) {
            for i in 0..3 {
                let av: f64 = (0..3).map(|j| a[i * 3 + j] * v[j]).sum();
                assert!((av - l * v[i]).abs() < 1e-13);
            }
        }
    }
}
