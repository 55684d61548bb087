//! SHA-256d of 80-byte headers for 16 consecutive nonces at once in the 16 32-bit lanes
//! of an AVX-512 register (the rounds of [`super::sha256d`], with rotates as `vprord`
//! and Σ/σ, ch and maj as three-input `vpternlogd`).
//!
//! Measured on the development machine (AMD EPYC, Zen 4, one thread, `peer --benchmark`
//! and `cargo bench --bench core`): this engine is the fastest there, ahead of the
//! SHA-NI 4-way engine; see the README's benchmark section for the figures.
//!
//! `unsafe` is confined to this module: the intrinsics are called from `#[inline(always)]`
//! lane methods that only ever run inlined into [`Avx512::scan`]'s `#[target_feature]`
//! body, and an [`Avx512`] value exists only after [`Avx512::detect`] found the features.

use super::sha256d::Prepared;

/// Nonces per batch.
pub const LANES: usize = 16;

/// Proof that the running CPU has AVX-512 F and BW. Obtained only from
/// [`Avx512::detect`].
#[derive(Clone, Copy, Debug)]
pub struct Avx512 {
    _proof: Proof,
}

#[cfg(target_arch = "x86_64")]
type Proof = ();
#[cfg(not(target_arch = "x86_64"))]
type Proof = core::convert::Infallible;

#[cfg(target_arch = "x86_64")]
impl Avx512 {
    /// The engine if this CPU supports it (detection is cached by std).
    pub fn detect() -> Option<Avx512> {
        let has =
            std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw");
        has.then_some(Avx512 { _proof: () })
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

    /// The 16 final SHA-256 states (full rounds) of SHA-256d for nonces `base ..`,
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
impl Avx512 {
    /// Always `None`: AVX-512 exists only on x86_64.
    pub fn detect() -> Option<Avx512> {
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

    /// 16 lanes of 32 bits.
    #[derive(Clone, Copy)]
    pub(super) struct V16(__m512i);

    /// Each 32-bit lane byte-reversed.
    #[inline(always)]
    fn bswap(x: __m512i) -> __m512i {
        // SAFETY: only inlined into the `#[target_feature(enable = "avx512f,avx512bw")]`
        // functions below, which run only on CPUs with those features.
        unsafe {
            let m = _mm512_broadcast_i32x4(_mm_set_epi8(
                12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
            ));
            _mm512_shuffle_epi8(x, m)
        }
    }

    // SAFETY (every method): only inlined into the `#[target_feature]` functions below,
    // which run only on CPUs with AVX-512 F and BW.
    impl Lanes for V16 {
        const N: usize = LANES;
        #[inline(always)]
        fn splat(x: u32) -> V16 {
            unsafe { V16(_mm512_set1_epi32(x as i32)) }
        }
        #[inline(always)]
        fn add(self, o: V16) -> V16 {
            unsafe { V16(_mm512_add_epi32(self.0, o.0)) }
        }
        #[inline(always)]
        fn big_s0(self) -> V16 {
            let x = self.0;
            unsafe {
                V16(_mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<2>(x),
                    _mm512_ror_epi32::<13>(x),
                    _mm512_ror_epi32::<22>(x),
                ))
            }
        }
        #[inline(always)]
        fn big_s1(self) -> V16 {
            let x = self.0;
            unsafe {
                V16(_mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<6>(x),
                    _mm512_ror_epi32::<11>(x),
                    _mm512_ror_epi32::<25>(x),
                ))
            }
        }
        #[inline(always)]
        fn small_s0(self) -> V16 {
            let x = self.0;
            unsafe {
                V16(_mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<7>(x),
                    _mm512_ror_epi32::<18>(x),
                    _mm512_srli_epi32::<3>(x),
                ))
            }
        }
        #[inline(always)]
        fn small_s1(self) -> V16 {
            let x = self.0;
            unsafe {
                V16(_mm512_ternarylogic_epi32::<0x96>(
                    _mm512_ror_epi32::<17>(x),
                    _mm512_ror_epi32::<19>(x),
                    _mm512_srli_epi32::<10>(x),
                ))
            }
        }
        #[inline(always)]
        fn ch(e: V16, f: V16, g: V16) -> V16 {
            unsafe { V16(_mm512_ternarylogic_epi32::<0xca>(e.0, f.0, g.0)) }
        }
        #[inline(always)]
        fn maj(a: V16, b: V16, c: V16) -> V16 {
            unsafe { V16(_mm512_ternarylogic_epi32::<0xe8>(a.0, b.0, c.0)) }
        }
        #[inline(always)]
        fn nonce_words(base: u32) -> V16 {
            unsafe {
                let idx = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
                V16(bswap(_mm512_add_epi32(_mm512_set1_epi32(base as i32), idx)))
            }
        }
        #[inline(always)]
        fn le_mask(self, top: u32) -> u32 {
            unsafe {
                u32::from(_mm512_cmple_epu32_mask(
                    bswap(self.0),
                    _mm512_set1_epi32(top as i32),
                ))
            }
        }
        fn to_vec(self) -> Vec<u32> {
            let mut out = [0u32; LANES];
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), self.0) };
            out.to_vec()
        }
    }

    /// See `Avx512::scan`. Callers outside this module vouch for AVX-512 F and BW.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn scan(
        p: &Prepared,
        start: u32,
        count: u32,
        top: u32,
        exact: &mut dyn FnMut(u32) -> bool,
    ) -> (Option<u32>, u32) {
        sha256d::scan::<V16>(p, start, count, top, exact)
    }

    /// See `Avx512::hash_lanes`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn hash_lanes(p: &Prepared, base: u32) -> Vec<[u32; 8]> {
        let s = sha256d::hash_lanes::<V16>(p, base);
        let words: Vec<Vec<u32>> = s.iter().map(|v| v.to_vec()).collect();
        (0..LANES)
            .map(|l| core::array::from_fn(|i| words[i][l]))
            .collect()
    }

    /// See `Avx512::top_words`.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) fn top_words(p: &Prepared, base: u32) -> Vec<u32> {
        sha256d::top_words::<V16>(p, base).to_vec()
    }
}
