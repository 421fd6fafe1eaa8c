//! Two `f64` lanes processed together, for the hottest reductions (the mean and
//! moments of [`crate::stats::skew_kurt`]).
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
        f64x2, f64x2_abs, f64x2_add, f64x2_eq, f64x2_extract_lane, f64x2_ge, f64x2_mul, f64x2_splat, f64x2_sub, v128,
        v128_and, v128_bitselect,
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
        // `ge_select` picks by `≥`; a NaN comparison picks the second.
        let pick = F64x2::new(1.0, nan).ge_select(F64x2::new(1.0, 0.0), a, b);
        assert_eq!(pick.lanes(), [1.5, 4.0]);
    }
}
