//! Sampling designs for uncertainty and sensitivity analysis: a seeded
//! pseudo-random generator, plain Monte Carlo and scrambled Sobol' matrices, and
//! the Saltelli arrangement COINr uses (`SA_sample`). Pure functions, no I/O.

/// A small, fast, seedable pseudo-random generator (xoshiro256++, seeded through
/// SplitMix64). Deterministic on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed`; different `stream`s give independent sequences for
    /// the same seed (e.g. one per purpose).
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut z = seed ^ stream.wrapping_mul(0xD605_BBB5_8C8A_BBB3);
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform draw in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// How the base sample points are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampler {
    /// Independent uniform draws.
    MonteCarlo,
    /// An Owen-scrambled Sobol' sequence (low discrepancy; at most 2^16 points).
    Sobol,
}

/// Most points a Sobol' matrix may have.
pub const MAX_SOBOL_POINTS: usize = 1 << 16;

/// An `n × d` matrix of points in `[0, 1)^d`, row-major (`m[row * d + col]`).
pub fn base_matrix(n: usize, d: usize, seed: u64, sampler: Sampler) -> Vec<f64> {
    let mut m = Vec::with_capacity(n * d);
    match sampler {
        Sampler::MonteCarlo => {
            let mut rng = Rng::new(seed, 0x5A17);
            m.extend((0..n * d).map(|_| rng.uniform()));
        }
        Sampler::Sobol => {
            // The scrambling seed is 32-bit; fold the user's seed into it.
            let s = (seed ^ (seed >> 32)) as u32;
            for i in 0..n {
                // Skip the first point of the sequence, as is usual: unscrambled
                // it is the origin, and with Owen scrambling it is still a corner case.
                let idx = (i + 1) as u32;
                for j in 0..d {
                    m.push(f64::from(sobol_burley::sample(idx, j as u32, s)));
                }
            }
        }
    }
    m
}

/// COINr's `SA_sample` arrangement for `d` inputs and `n` points: rows `A` (n),
/// then `B` (n), then for each input `i` the matrix `A` with column `i` taken from
/// `B` (n rows each): `n·(d + 2)` rows of `d` values, row-major. `A` and `B` are the
/// two halves of one `n × 2d` base matrix, as in COINr.
pub fn saltelli(n: usize, d: usize, seed: u64, sampler: Sampler) -> Vec<f64> {
    let base = base_matrix(n, 2 * d, seed, sampler);
    let a = |r: usize, c: usize| base[r * 2 * d + c];
    let b = |r: usize, c: usize| base[r * 2 * d + d + c];
    let mut out = Vec::with_capacity(n * (d + 2) * d);
    for r in 0..n {
        out.extend((0..d).map(|c| a(r, c)));
    }
    for r in 0..n {
        out.extend((0..d).map(|c| b(r, c)));
    }
    for i in 0..d {
        for r in 0..n {
            out.extend((0..d).map(|c| if c == i { b(r, c) } else { a(r, c) }));
        }
    }
    out
}

/// Maps a draw `u ∈ [0, 1)` to one of `n` equally likely alternatives.
pub fn discrete(u: f64, n: usize) -> usize {
    ((u * n as f64) as usize).min(n.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_uniform() {
        let mut a = Rng::new(42, 1);
        let mut b = Rng::new(42, 1);
        let xs: Vec<f64> = (0..10_000).map(|_| a.uniform()).collect();
        assert!(xs.iter().all(|&x| x == b.uniform()));
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        // Mean of U(0,1) is 1/2, sd of the mean over 10,000 draws is √(1/12/10⁴) ≈ 0.0029.
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.012, "{mean}");
        assert_ne!(Rng::new(42, 2).next_u64(), Rng::new(42, 1).next_u64());
    }

    #[test]
    fn saltelli_layout_matches_coinr() {
        // n = 2, d = 3: rows A1 A2 B1 B2 then A with column 0 from B, column 1, column 2.
        let n = 2;
        let d = 3;
        let base = base_matrix(n, 2 * d, 7, Sampler::MonteCarlo);
        let x = saltelli(n, d, 7, Sampler::MonteCarlo);
        assert_eq!(x.len(), n * (d + 2) * d);
        let row = |r: usize| &x[r * d..(r + 1) * d];
        let a = |r: usize| &base[r * 2 * d..r * 2 * d + d];
        let b = |r: usize| &base[r * 2 * d + d..(r + 1) * 2 * d];
        assert_eq!(row(0), a(0));
        assert_eq!(row(3), b(1));
        // Block for input 1, second point: A(1) with column 1 from B(1).
        let r = row(2 * n + n + 1);
        assert_eq!([r[0], r[1], r[2]], [a(1)[0], b(1)[1], a(1)[2]]);
    }

    #[test]
    fn sobol_points_stratify_each_dimension() {
        // 2^k points of a (scrambled) Sobol' sequence put exactly one point in each
        // of the 2^k equal intervals of every dimension — but we skip the first
        // point, so check 2^k consecutive points starting at index 1 are nearly
        // stratified: at most 2 points per interval.
        let n = 256;
        let d = 8;
        let m = base_matrix(n, d, 3, Sampler::Sobol);
        for j in 0..d {
            let mut counts = vec![0; n];
            for i in 0..n {
                counts[(m[i * d + j] * n as f64) as usize] += 1;
            }
            assert!(counts.iter().all(|&c| c <= 2), "dimension {j}");
        }
    }

    #[test]
    fn discrete_alternatives_are_equally_likely() {
        assert_eq!(discrete(0.0, 5), 0);
        assert_eq!(discrete(0.199, 5), 0);
        assert_eq!(discrete(0.2, 5), 1);
        assert_eq!(discrete(0.999_999, 5), 4);
    }
}
