//! Two `f64` lanes processed together, for the hottest kernels: the mean and
//! moments of [`crate::stats::skew_kurt`], and the natural logarithm of COINr's log
//! transforms ([`ln`], [`ln_in_place`]).
//!
//! Every operation is lane-wise IEEE arithmetic or a comparison, so each lane gets
//! exactly the bits the scalar code would: the results are the same on every target
//! and in both implementations. In a plugin (`wasm32` with `simd128`) the lanes are
//! one `v128` register — which halves the work per value, and with it the NaN
//! canonicalisation the sandbox adds after every floating-point operation; elsewhere
//! they are a plain `[f64; 2]`, which LLVM vectorises as it sees fit.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::{
        f64x2, f64x2_abs, f64x2_add, f64x2_convert_low_i32x4, f64x2_div, f64x2_eq, f64x2_extract_lane, f64x2_ge,
        f64x2_mul, f64x2_splat, f64x2_sub, i32x4_shuffle, i64x2_add, i64x2_shl, i64x2_splat, i64x2_sub, u64x2_shr,
        v128, v128_and, v128_bitselect, v128_or,
    };

    /// Two `f64` lanes.
    #[derive(Clone, Copy)]
    pub(crate) struct F64x2(v128);

    impl F64x2 {
        /// Both lanes `v`.
        #[inline(always)]
        pub(crate) fn splat(v: f64) -> Self {
            Self(f64x2_splat(v))
        }
        /// Lanes `a` and `b`.
        #[inline(always)]
        pub(crate) fn new(a: f64, b: f64) -> Self {
            Self(f64x2(a, b))
        }
        /// `a + b` per lane.
        #[inline(always)]
        pub(crate) fn add(self, b: Self) -> Self {
            Self(f64x2_add(self.0, b.0))
        }
        /// `a − b` per lane.
        #[inline(always)]
        pub(crate) fn sub(self, b: Self) -> Self {
            Self(f64x2_sub(self.0, b.0))
        }
        /// `a · b` per lane.
        #[inline(always)]
        pub(crate) fn mul(self, b: Self) -> Self {
            Self(f64x2_mul(self.0, b.0))
        }
        /// `|a|` per lane (a sign-bit operation).
        #[inline(always)]
        pub(crate) fn abs(self) -> Self {
            Self(f64x2_abs(self.0))
        }
        /// Per lane, `a` where `self ≥ other`, else `b`.
        #[inline(always)]
        pub(crate) fn ge_select(self, other: Self, a: Self, b: Self) -> Self {
            Self(v128_bitselect(a.0, b.0, f64x2_ge(self.0, other.0)))
        }
        /// The natural logarithm of both lanes, bit for bit [`super::ln`]: FreeBSD's
        /// algorithm on both lanes at once when both are normal positive numbers,
        /// else lane by lane.
        #[inline]
        pub(crate) fn ln(self) -> Self {
            let [a, b] = self.lanes();
            if !(super::ln_is_plain(a) && super::ln_is_plain(b)) {
                return Self::new(super::ln(a), super::ln(b));
            }
            let c = |v: f64| f64x2_splat(v);
            let bits = self.0;
            // Reduce x into [√2/2, √2]: x = 2^k·(1 + f), on the high words.
            let hx = i64x2_add(u64x2_shr(bits, 32), i64x2_splat(0x3ff0_0000 - 0x3fe6_a09e));
            let k = i64x2_sub(u64x2_shr(hx, 20), i64x2_splat(0x3ff));
            let hx = i64x2_add(v128_and(hx, i64x2_splat(0x000f_ffff)), i64x2_splat(0x3fe6_a09e));
            let x = v128_or(i64x2_shl(hx, 32), v128_and(bits, i64x2_splat(0xffff_ffff)));
            let f = f64x2_sub(x, c(1.0));
            let hfsq = f64x2_mul(f64x2_mul(c(0.5), f), f);
            let s = f64x2_div(f, f64x2_add(c(2.0), f));
            let z = f64x2_mul(s, s);
            let w = f64x2_mul(z, z);
            let t1 = f64x2_mul(
                w,
                f64x2_add(
                    c(super::LG2),
                    f64x2_mul(w, f64x2_add(c(super::LG4), f64x2_mul(w, c(super::LG6)))),
                ),
            );
            let t2 = f64x2_mul(
                z,
                f64x2_add(
                    c(super::LG1),
                    f64x2_mul(
                        w,
                        f64x2_add(
                            c(super::LG3),
                            f64x2_mul(w, f64x2_add(c(super::LG5), f64x2_mul(w, c(super::LG7)))),
                        ),
                    ),
                ),
            );
            let r = f64x2_add(t2, t1);
            // k fits in 32 bits: the low halves of the two 64-bit lanes, converted.
            let dk = f64x2_convert_low_i32x4(i32x4_shuffle::<0, 2, 0, 2>(k, k));
            // s·(hfsq + r) + k·ln2_lo − hfsq + f + k·ln2_hi, left to right.
            let y = f64x2_add(f64x2_mul(s, f64x2_add(hfsq, r)), f64x2_mul(dk, c(super::LN2_LO)));
            let y = f64x2_add(f64x2_sub(y, hfsq), f);
            Self(f64x2_add(y, f64x2_mul(dk, c(super::LN2_HI))))
        }
        /// `v` where `mask` (`v == v`, i.e. present), else `+0`: the bits of `v`
        /// and-ed with the all-ones/all-zeros comparison mask.
        #[inline(always)]
        pub(crate) fn where_present(self, v: Self) -> Self {
            Self(v128_and(v.0, f64x2_eq(self.0, self.0)))
        }
        /// The two lanes.
        #[inline(always)]
        pub(crate) fn lanes(self) -> [f64; 2] {
            [f64x2_extract_lane::<0>(self.0), f64x2_extract_lane::<1>(self.0)]
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    /// Two `f64` lanes.
    #[derive(Clone, Copy)]
    pub(crate) struct F64x2([f64; 2]);

    impl F64x2 {
        #[inline(always)]
        fn map2(self, b: Self, f: impl Fn(f64, f64) -> f64) -> Self {
            Self([f(self.0[0], b.0[0]), f(self.0[1], b.0[1])])
        }
        /// Both lanes `v`.
        #[inline(always)]
        pub(crate) fn splat(v: f64) -> Self {
            Self([v, v])
        }
        /// Lanes `a` and `b`.
        #[inline(always)]
        pub(crate) fn new(a: f64, b: f64) -> Self {
            Self([a, b])
        }
        /// `a + b` per lane.
        #[inline(always)]
        pub(crate) fn add(self, b: Self) -> Self {
            self.map2(b, |x, y| x + y)
        }
        /// `a − b` per lane.
        #[inline(always)]
        pub(crate) fn sub(self, b: Self) -> Self {
            self.map2(b, |x, y| x - y)
        }
        /// `a · b` per lane.
        #[inline(always)]
        pub(crate) fn mul(self, b: Self) -> Self {
            self.map2(b, |x, y| x * y)
        }
        /// `|a|` per lane.
        #[inline(always)]
        pub(crate) fn abs(self) -> Self {
            Self([self.0[0].abs(), self.0[1].abs()])
        }
        /// Per lane, `a` where `self ≥ other`, else `b`.
        #[inline(always)]
        pub(crate) fn ge_select(self, other: Self, a: Self, b: Self) -> Self {
            let pick = |l: usize| if self.0[l] >= other.0[l] { a.0[l] } else { b.0[l] };
            Self([pick(0), pick(1)])
        }
        /// The natural logarithm of both lanes ([`super::ln`]).
        #[inline]
        pub(crate) fn ln(self) -> Self {
            Self([super::ln(self.0[0]), super::ln(self.0[1])])
        }
        /// `v` where `self` is present (not NaN), else `+0`.
        #[inline(always)]
        pub(crate) fn where_present(self, v: Self) -> Self {
            self.map2(v, |s, v| if s.is_nan() { 0.0 } else { v })
        }
        /// The two lanes.
        #[inline(always)]
        pub(crate) fn lanes(self) -> [f64; 2] {
            self.0
        }
    }
}

pub(crate) use imp::F64x2;

// The natural logarithm, ported from FreeBSD's /usr/src/lib/msun/src/e_log.c (as
// the `libm` crate has it, which is what `f64::ln` is inside a plugin):
//
// ====================================================
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//
// Developed at SunSoft, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this
// software is freely granted, provided that this notice
// is preserved.
// ====================================================
//
// x = 2^k·(1 + f) with √2/2 < 1 + f < √2; with s = f/(2 + f),
// ln(1 + f) = 2s + s·R(s²) for a degree-14 Remez polynomial R (error < 2^-58.45), and
// ln x = k·ln2_hi + (f − (hfsq − (s·(hfsq + R) + k·ln2_lo))), hfsq = f²/2: under 1 ulp.
// The constants are given by their bits, as in the original's comments.
// Being our own code rather than the system's, it gives the same bits on every
// platform, in the host and in a plugin.

const LN2_HI: f64 = f64::from_bits(0x3fe62e42_fee00000);
const LN2_LO: f64 = f64::from_bits(0x3dea39ef_35793c76);
const LG1: f64 = f64::from_bits(0x3fe55555_55555593);
const LG2: f64 = f64::from_bits(0x3fd99999_9997fa04);
const LG3: f64 = f64::from_bits(0x3fd24924_94229359);
const LG4: f64 = f64::from_bits(0x3fcc71c5_1d8e78af);
const LG5: f64 = f64::from_bits(0x3fc74664_96cb03de);
const LG6: f64 = f64::from_bits(0x3fc39a09_d078c69f);
const LG7: f64 = f64::from_bits(0x3fc2f112_df3e5244);

/// Whether `x` is a normal positive finite number (no special case of [`ln`]).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
fn ln_is_plain(x: f64) -> bool {
    let hx = (x.to_bits() >> 32) as u32;
    (0x0010_0000..0x7ff0_0000).contains(&hx)
}

/// The natural logarithm of `x`, within 1 ulp and the same bits on every platform:
/// `ln(±0) = −∞`, `ln(x < 0) = NaN`, `ln(+∞) = +∞`, `ln(NaN) = NaN`.
pub fn ln(x: f64) -> f64 {
    let mut x = x;
    let mut ui = x.to_bits();
    let mut hx = (ui >> 32) as u32;
    let mut k: i32 = 0;
    if hx < 0x0010_0000 || (hx >> 31) != 0 {
        if ui << 1 == 0 {
            return f64::NEG_INFINITY;
        }
        if hx >> 31 != 0 {
            return f64::NAN;
        }
        // Subnormal: scale up by 2^54.
        k -= 54;
        x *= f64::from_bits(0x4350_0000_0000_0000);
        ui = x.to_bits();
        hx = (ui >> 32) as u32;
    } else if hx >= 0x7ff0_0000 {
        return x;
    } else if hx == 0x3ff0_0000 && ui << 32 == 0 {
        return 0.0;
    }
    hx += 0x3ff0_0000 - 0x3fe6_a09e;
    k += (hx >> 20) as i32 - 0x3ff;
    hx = (hx & 0x000f_ffff) + 0x3fe6_a09e;
    ui = (u64::from(hx) << 32) | (ui & 0xffff_ffff);
    x = f64::from_bits(ui);
    let f = x - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let dk = f64::from(k);
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// Replaces every value of `x` by its natural logarithm ([`ln`]), two at a time.
pub fn ln_in_place(x: &mut [f64]) {
    let mut pairs = x.chunks_exact_mut(2);
    for p in &mut pairs {
        let [a, b] = F64x2::new(p[0], p[1]).ln().lanes();
        p[0] = a;
        p[1] = b;
    }
    if let [v] = pairs.into_remainder() {
        *v = ln(*v);
    }
}

#[cfg(test)]
mod tests {
    use super::F64x2;

    #[test]
    fn lanes_follow_the_scalar_rules() {
        let nan = f64::NAN;
        let v = F64x2::new(3.0, nan);
        // Missing values become +0; present ones pass through.
        assert_eq!(v.where_present(v).lanes(), [3.0, 0.0]);
        assert_eq!(v.where_present(F64x2::splat(1.0)).lanes(), [1.0, 0.0]);
        assert!(v.where_present(v).lanes()[1].is_sign_positive());
        // Plain lane-wise arithmetic.
        let a = F64x2::new(1.5, -2.0);
        let b = F64x2::new(0.5, 4.0);
        assert_eq!(a.add(b).lanes(), [2.0, 2.0]);
        assert_eq!(a.sub(b).lanes(), [1.0, -6.0]);
        assert_eq!(a.mul(b).lanes(), [0.75, -8.0]);
        assert_eq!(a.abs().lanes(), [1.5, 2.0]);
        assert_eq!(F64x2::new(1.0, 4.0).ln().lanes(), [0.0, super::ln(4.0)]);
        // `ge_select` picks by `≥`; a NaN comparison picks the second.
        let pick = F64x2::new(1.0, nan).ge_select(F64x2::new(1.0, 0.0), a, b);
        assert_eq!(pick.lanes(), [1.5, 4.0]);
    }

    /// `ln` is bit for bit the `libm` crate's `log` (the same FreeBSD code, and what
    /// `f64::ln` compiles to in a plugin): an independent implementation to check
    /// the port against, over special values and 10⁶ pseudo-random numbers of every
    /// magnitude, one by one and two at a time.
    #[test]
    fn ln_is_freebsds_log_bit_for_bit() {
        let special = [
            0.0,
            -0.0,
            1.0,
            2.0,
            0.5,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -1.0,
            1.0 + f64::EPSILON,
            1.0 - f64::EPSILON / 2.0,
            std::f64::consts::E,
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut values: Vec<f64> = special.to_vec();
        for _ in 0..1_000_000 {
            // xorshift64*: positive doubles with random exponents and mantissas.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            values.push(f64::from_bits(r >> 1));
        }
        let mut two = values.clone();
        super::ln_in_place(&mut two);
        for (&x, &y) in values.iter().zip(&two) {
            let (ours, theirs) = (super::ln(x), libm::log(x));
            assert!(
                ours.to_bits() == theirs.to_bits() || (ours.is_nan() && theirs.is_nan()),
                "ln({x:e}) = {ours:e}, libm says {theirs:e}"
            );
            assert!(
                y.to_bits() == ours.to_bits() || (y.is_nan() && ours.is_nan()),
                "ln_in_place({x:e})"
            );
        }
        // Within an ulp of the true values: ln 2 and ln e.
        assert_eq!(super::ln(2.0), std::f64::consts::LN_2);
        assert!((super::ln(std::f64::consts::E) - 1.0).abs() <= f64::EPSILON);
    }
}
