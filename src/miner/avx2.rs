//! SHA-256d of 80-byte headers for 8 consecutive nonces at once in the 8 32-bit lanes of
//! an AVX2 register (the rounds of [`super::sha256d`]; AVX2 has no rotate, so each
//! rotate is two shifts and an or).
//!
//! The engine for x86 CPUs with AVX2 but neither AVX-512 nor SHA-NI; on the development
//! machine it is slower than both (see the README's benchmark section).
//!
//! `unsafe` is confined to this module: the intrinsics are called from `#[inline(always)]`
//! lane methods that only ever run inlined into [`Avx2`]'s `#[target_feature]` entry
//! points, and an [`Avx2`] value exists only after [`Avx2::detect`] found AVX2.

use super::sha256d::Prepared;

/// Nonces per batch.
pub const LANES: usize = 8;

/// Proof that the running CPU has AVX2. Obtained only from [`Avx2::detect`].
#[derive(Clone, Copy, Debug)]
pub struct Avx2 {
    _proof: Proof,
}

#[cfg(target_arch = "x86_64")]
type Proof = ();
#[cfg(not(target_arch = "x86_64"))]
type Proof = core::convert::Infallible;

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// The engine if this CPU supports it (detection is cached by std).
    pub fn detect() -> Option<Avx2> {
        let has = std::is_x86_feature_detected!("avx2");
        has.then_some(Avx2 { _proof: () })
    }

    /// Like `HeaderHasher::scan` on the precompute `p`: tries nonces `start ..` for at
    /// most `count` (already cut at `u32::MAX`), filters on `top` (the target's most
    /// significant 4 bytes as a number) and returns the first nonce `exact` accepts.
    pub fn scan(
        self,
        p: &Prepared,
        start: u32,
        count: u32,
        top: u32,
        exact: &mut dyn FnMut(u32) -> bool,
    ) -> (Option<u32>, u32) {
        // SAFETY: `self` exists only if `detect` found every feature `x86::scan` enables.
        unsafe { x86::scan(p, start, count, top, exact) }
    }

    /// The 8 final SHA-256 states (full rounds) of SHA-256d for nonces `base ..`,
    /// lane `l` for nonce `base + l`: for the lane-equality tests.
    pub fn hash_lanes(self, p: &Prepared, base: u32) -> Vec<[u32; 8]> {
        // SAFETY: as in `scan`.
        unsafe { x86::hash_lanes(p, base) }
    }

    /// Word 7 of the final state for nonces `base ..` as the early-reject path computes
    /// it (for tests).
    pub fn top_words(self, p: &Prepared, base: u32) -> Vec<u32> {
        // SAFETY: as in `scan`.
        unsafe { x86::top_words(p, base) }
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl Avx2 {
    /// Always `None`: AVX2 exists only on x86_64.
    pub fn detect() -> Option<Avx2> {
        None
    }
    /// Never called: no value exists on this architecture.
    pub fn scan(
        self,
        _: &Prepared,
        _: u32,
        _: u32,
        _: u32,
        _: &mut dyn FnMut(u32) -> bool,
    ) -> (Option<u32>, u32) {
        match self._proof {}
    }
    /// Never called: no value exists on this architecture.
    pub fn hash_lanes(self, _: &Prepared, _: u32) -> Vec<[u32; 8]> {
        match self._proof {}
    }
    /// Never called: no value exists on this architecture.
    pub fn top_words(self, _: &Prepared, _: u32) -> Vec<u32> {
        match self._proof {}
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The lane type and the three `#[target_feature]` entry points.

    use super::LANES;
    use crate::miner::sha256d::{self, Lanes, Prepared};
    use core::arch::x86_64::*;

    /// 8 lanes of 32 bits.
    #[derive(Clone, Copy)]
    pub(super) struct V8(__m256i);

    // SAFETY (every function and method here): only inlined into the
    // `#[target_feature(enable = "avx2")]` functions below, which run only on CPUs with
    // AVX2.

    /// Each 32-bit lane byte-reversed.
    #[inline(always)]
    fn bswap(x: __m256i) -> __m256i {
        unsafe {
            let m = _mm256_set_epi8(
                12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11,
                4, 5, 6, 7, 0, 1, 2, 3,
            );
            _mm256_shuffle_epi8(x, m)
        }
    }

    /// Rotate each lane right by `R` bits (`L` = 32 - `R`).
    #[inline(always)]
    fn ror<const R: i32, const L: i32>(x: __m256i) -> __m256i {
        unsafe { _mm256_or_si256(_mm256_srli_epi32::<R>(x), _mm256_slli_epi32::<L>(x)) }
    }

    #[inline(always)]
    fn xor3(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
        unsafe { _mm256_xor_si256(_mm256_xor_si256(a, b), c) }
    }

    impl Lanes for V8 {
        const N: usize = LANES;
        #[inline(always)]
        fn splat(x: u32) -> V8 {
            unsafe { V8(_mm256_set1_epi32(x as i32)) }
        }
        #[inline(always)]
        fn add(self, o: V8) -> V8 {
            unsafe { V8(_mm256_add_epi32(self.0, o.0)) }
        }
        #[inline(always)]
        fn big_s0(self) -> V8 {
            let x = self.0;
            V8(xor3(ror::<2, 30>(x), ror::<13, 19>(x), ror::<22, 10>(x)))
        }
        #[inline(always)]
        fn big_s1(self) -> V8 {
            let x = self.0;
            V8(xor3(ror::<6, 26>(x), ror::<11, 21>(x), ror::<25, 7>(x)))
        }
        #[inline(always)]
        fn small_s0(self) -> V8 {
            let x = self.0;
            V8(xor3(ror::<7, 25>(x), ror::<18, 14>(x), unsafe {
                _mm256_srli_epi32::<3>(x)
            }))
        }
        #[inline(always)]
        fn small_s1(self) -> V8 {
            let x = self.0;
            V8(xor3(ror::<17, 15>(x), ror::<19, 13>(x), unsafe {
                _mm256_srli_epi32::<10>(x)
            }))
        }
        #[inline(always)]
        fn ch(e: V8, f: V8, g: V8) -> V8 {
            // g ^ (e & (f ^ g))
            unsafe {
                V8(_mm256_xor_si256(
                    g.0,
                    _mm256_and_si256(e.0, _mm256_xor_si256(f.0, g.0)),
                ))
            }
        }
        #[inline(always)]
        fn maj(a: V8, b: V8, c: V8) -> V8 {
            // (a & b) | (c & (a | b))
            unsafe {
                V8(_mm256_or_si256(
                    _mm256_and_si256(a.0, b.0),
                    _mm256_and_si256(c.0, _mm256_or_si256(a.0, b.0)),
                ))
            }
        }
        #[inline(always)]
        fn nonce_words(base: u32) -> V8 {
            unsafe {
                let idx = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
                V8(bswap(_mm256_add_epi32(_mm256_set1_epi32(base as i32), idx)))
            }
        }
        #[inline(always)]
        fn le_mask(self, top: u32) -> u32 {
            unsafe {
                // x <= top (unsigned) exactly when max(x, top) == top.
                let t = _mm256_set1_epi32(top as i32);
                let le = _mm256_cmpeq_epi32(_mm256_max_epu32(bswap(self.0), t), t);
                _mm256_movemask_ps(_mm256_castsi256_ps(le)) as u32
            }
        }
        fn to_vec(self) -> Vec<u32> {
            let mut out = [0u32; LANES];
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), self.0) };
            out.to_vec()
        }
    }

    /// See `Avx2::scan`. Callers outside this module vouch for AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) fn scan(
        p: &Prepared,
        start: u32,
        count: u32,
        top: u32,
        exact: &mut dyn FnMut(u32) -> bool,
    ) -> (Option<u32>, u32) {
        sha256d::scan::<V8>(p, start, count, top, exact)
    }

    /// See `Avx2::hash_lanes`.
    #[target_feature(enable = "avx2")]
    pub(super) fn hash_lanes(p: &Prepared, base: u32) -> Vec<[u32; 8]> {
        let s = sha256d::hash_lanes::<V8>(p, base);
        let words: Vec<Vec<u32>> = s.iter().map(|v| v.to_vec()).collect();
        (0..LANES)
            .map(|l| core::array::from_fn(|i| words[i][l]))
            .collect()
    }

    /// See `Avx2::top_words`.
    #[target_feature(enable = "avx2")]
    pub(super) fn top_words(p: &Prepared, base: u32) -> Vec<u32> {
        sha256d::top_words::<V8>(p, base).to_vec()
    }
}
