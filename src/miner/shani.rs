//! SHA-256d of 80-byte headers for 4 consecutive nonces at once with the x86 SHA
//! extensions (SHA-NI), interleaved so the SHA unit's latency is hidden.
//!
//! Per nonce the work is the same as [`HeaderHasher`](super::hasher::HeaderHasher)'s:
//! compress(midstate, header tail block with the nonce), then compress(IV, digest padding
//! block). The four nonces are four independent dependency chains; the rounds of the
//! four are issued alternately so a `sha256rnds2` of one lane runs while the others wait.
//!
//! This is the only module of the crate with `unsafe` code: one call of a
//! `#[target_feature]` function per entry point, made after the CPU was checked at run
//! time. A [`ShaNi`] value can only be obtained from [`ShaNi::detect`], so holding one is
//! the proof that the features are present. The intrinsics themselves are safe to call
//! inside the `#[target_feature]` functions (no loads or stores through pointers are
//! used). On other architectures [`ShaNi::detect`] always returns `None`.

use crate::chain::header::BlockHeader;

/// Nonces hashed per call of [`ShaNi::hash4`].
pub const LANES: usize = 4;

/// Header bytes 64..76 (last 4 bytes of the merkle root, time, bits) as little-endian
/// words, with a zero fourth word where the nonce goes. The `tail` argument of
/// [`ShaNi::hash4`] and [`ShaNi::scan`].
pub fn tail_words(header: &BlockHeader) -> [u32; 4] {
    let b = header.to_bytes();
    let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    [w(64), w(68), w(72), 0]
}

/// Proof that the running CPU has SHA-NI and SSE4.1 (and so SSE2 and SSSE3): the 4-way
/// SHA-256d hasher. Obtained only from [`ShaNi::detect`].
#[derive(Clone, Copy, Debug)]
pub struct ShaNi {
    /// Private so no value exists unless the detection succeeded.
    _proof: Proof,
}

#[cfg(target_arch = "x86_64")]
type Proof = ();
#[cfg(not(target_arch = "x86_64"))]
type Proof = core::convert::Infallible;

#[cfg(target_arch = "x86_64")]
impl ShaNi {
    /// The hasher if this CPU supports it. Detection runs once; the answer is cached.
    pub fn detect() -> Option<ShaNi> {
        static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let has = *HAS.get_or_init(|| {
            std::is_x86_feature_detected!("sha")
                && std::is_x86_feature_detected!("sse2")
                && std::is_x86_feature_detected!("ssse3")
                && std::is_x86_feature_detected!("sse4.1")
        });
        has.then_some(ShaNi { _proof: () })
    }

    /// The final SHA-256 states of SHA-256d(header) for nonces `nonce .. nonce + 4`
    /// (wrapping past `u32::MAX`), where the header's first 64 bytes compress to
    /// `midstate` and `tail` is [`tail_words`] of it. Each state's words, big-endian,
    /// are the hash bytes (as from `HeaderHasher::hash_state`).
    pub fn hash4(self, midstate: &[u32; 8], tail: &[u32; 4], nonce: u32) -> [[u32; 8]; LANES] {
        // SAFETY: `self` exists only if `detect` found every feature `x86::hash4` enables.
        unsafe { x86::hash4(midstate, tail, nonce) }
    }

    /// Like `HeaderHasher::scan`: tries nonces `start, start+1, ...` for at most `count`
    /// nonces (never past `u32::MAX`) and stops at the first, in nonce order, whose hash
    /// meets `target` (32 little-endian bytes). Returns the winning nonce, if any, and
    /// how many nonces were tried (the winner included).
    pub fn scan(
        self,
        midstate: &[u32; 8],
        tail: &[u32; 4],
        start: u32,
        count: u32,
        target: &[u8; 32],
    ) -> (Option<u32>, u32) {
        // SAFETY: `self` exists only if `detect` found every feature `x86::scan` enables.
        unsafe { x86::scan(midstate, tail, start, count, target) }
    }
}

#[cfg(not(target_arch = "x86_64"))]
impl ShaNi {
    /// Always `None`: SHA-NI exists only on x86_64 here.
    pub fn detect() -> Option<ShaNi> {
        None
    }

    /// Never called: no [`ShaNi`] value exists on this architecture.
    pub fn hash4(self, _: &[u32; 8], _: &[u32; 4], _: u32) -> [[u32; 8]; LANES] {
        match self._proof {}
    }

    /// Never called: no [`ShaNi`] value exists on this architecture.
    pub fn scan(
        self,
        _: &[u32; 8],
        _: &[u32; 4],
        _: u32,
        _: u32,
        _: &[u8; 32],
    ) -> (Option<u32>, u32) {
        match self._proof {}
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The SHA-NI code proper. Every function enables the same features so they inline
    //! into each other; calling the two entry points from elsewhere is `unsafe` (the
    //! caller vouches for the CPU features), nothing inside is.

    use super::LANES;
    use crate::chain::hash::Hash256;
    use crate::chain::target::hash_meets_target;
    use crate::miner::hasher::{state_to_hash, SHA256_IV};
    use core::arch::x86_64::*;

    /// The SHA-256 round constants.
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    /// A SHA-256 state in the register layout `sha256rnds2` works on: `abef` holds
    /// (from lane 0 up) f, e, b, a and `cdgh` holds h, g, d, c.
    #[derive(Clone, Copy)]
    struct State {
        abef: __m128i,
        cdgh: __m128i,
    }

    /// Four message words, lane `i` holding word `4 * group + i` of the schedule.
    type Quad = __m128i;

    /// Message words `w0..w3` as a vector, `w0` in lane 0.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn quad(w0: u32, w1: u32, w2: u32, w3: u32) -> Quad {
        _mm_set_epi32(w3 as i32, w2 as i32, w1 as i32, w0 as i32)
    }

    /// A state `[a, b, c, d, e, f, g, h]` in the round layout.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn load_state(s: &[u32; 8]) -> State {
        State {
            abef: quad(s[5], s[4], s[1], s[0]),
            cdgh: quad(s[7], s[6], s[3], s[2]),
        }
    }

    /// The state's words `[a, b, c, d, e, f, g, h]`.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn state_words(s: State) -> [u32; 8] {
        let (x, y) = (s.abef, s.cdgh);
        [
            _mm_extract_epi32::<3>(x) as u32,
            _mm_extract_epi32::<2>(x) as u32,
            _mm_extract_epi32::<3>(y) as u32,
            _mm_extract_epi32::<2>(y) as u32,
            _mm_extract_epi32::<1>(x) as u32,
            _mm_extract_epi32::<0>(x) as u32,
            _mm_extract_epi32::<1>(y) as u32,
            _mm_extract_epi32::<0>(y) as u32,
        ]
    }

    /// Word h (the last) of a state: its big-endian bytes are the hash's last 4 bytes.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn word_h(s: State) -> u32 {
        _mm_cvtsi128_si32(s.cdgh) as u32
    }

    /// The state's words as message words: (a, b, c, d) and (e, f, g, h), first in
    /// lane 0 — the first 8 message words of a SHA-256 over the 32-byte digest.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn state_as_message(s: State) -> (Quad, Quad) {
        let feba = _mm_shuffle_epi32::<0x1b>(s.abef); // a, b, e, f
        let dchg = _mm_shuffle_epi32::<0xb1>(s.cdgh); // g, h, c, d
        let dcba = _mm_blend_epi16::<0xf0>(feba, dchg); // a, b, c, d
        let hgfe = _mm_alignr_epi8::<8>(dchg, feba); // e, f, g, h
        (dcba, hgfe)
    }

    /// Rounds `4 * g .. 4 * g + 4` on one lane with message words `w` (no constants).
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn rounds4(s: &mut State, w: Quad, g: usize) {
        let wk = _mm_add_epi32(w, quad(K[4 * g], K[4 * g + 1], K[4 * g + 2], K[4 * g + 3]));
        s.cdgh = _mm_sha256rnds2_epu32(s.cdgh, s.abef, wk);
        s.abef = _mm_sha256rnds2_epu32(s.abef, s.cdgh, _mm_shuffle_epi32::<0x0e>(wk));
    }

    /// The next four schedule words from the last sixteen `w` (oldest first at index
    /// `i`, which the result replaces).
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn schedule(w: &mut [Quad; 4], i: usize) -> Quad {
        let (w0, w1, w2, w3) = (w[i], w[(i + 1) % 4], w[(i + 2) % 4], w[(i + 3) % 4]);
        let t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8::<4>(w3, w2));
        w[i] = _mm_sha256msg2_epu32(t, w3);
        w[i]
    }

    /// One group of four rounds on all lanes, the lanes alternating so their
    /// dependency chains overlap.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn group(s: &mut [State; LANES], w: &mut [[Quad; 4]; LANES], g: usize) {
        for (s, w) in s.iter_mut().zip(w.iter_mut()) {
            let m = if g < 4 { w[g] } else { schedule(w, g % 4) };
            rounds4(s, m, g);
        }
    }

    /// One SHA-256 compression per lane: `s[l]` from `init` over message block `w[l]`.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn compress4(init: State, w: &mut [[Quad; 4]; LANES]) -> [State; LANES] {
        let mut s = [init; LANES];
        // Written out so every group index is a constant (the constants fold and the
        // message arrays stay in registers).
        group(&mut s, w, 0);
        group(&mut s, w, 1);
        group(&mut s, w, 2);
        group(&mut s, w, 3);
        group(&mut s, w, 4);
        group(&mut s, w, 5);
        group(&mut s, w, 6);
        group(&mut s, w, 7);
        group(&mut s, w, 8);
        group(&mut s, w, 9);
        group(&mut s, w, 10);
        group(&mut s, w, 11);
        group(&mut s, w, 12);
        group(&mut s, w, 13);
        group(&mut s, w, 14);
        group(&mut s, w, 15);
        for s in &mut s {
            s.abef = _mm_add_epi32(s.abef, init.abef);
            s.cdgh = _mm_add_epi32(s.cdgh, init.cdgh);
        }
        s
    }

    /// SHA-256d for nonces `nonce .. nonce + 4` (wrapping): the final states in the
    /// round layout.
    #[inline]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn sha256d4(mid: State, tail: &[u32; 4], nonce: u32) -> [State; LANES] {
        // Second block of the header: 16 bytes, 0x80, zeros, length 640 bits.
        let (t0, t1, t2) = (
            tail[0].swap_bytes(),
            tail[1].swap_bytes(),
            tail[2].swap_bytes(),
        );
        let pad1 = quad(0x8000_0000, 0, 0, 0);
        let zero = _mm_setzero_si128();
        let len1 = quad(0, 0, 0, 640);
        let mut w: [[Quad; 4]; LANES] = core::array::from_fn(|l| {
            let n = nonce.wrapping_add(l as u32).swap_bytes();
            [quad(t0, t1, t2, n), pad1, zero, len1]
        });
        let first = compress4(mid, &mut w);
        // SHA-256 of the 32-byte digest: digest, 0x80, zeros, length 256 bits.
        let len2 = quad(0, 0, 0, 256);
        let mut w: [[Quad; 4]; LANES] = core::array::from_fn(|l| {
            let (m0, m1) = state_as_message(first[l]);
            [m0, m1, pad1, len2]
        });
        compress4(load_state(&SHA256_IV), &mut w)
    }

    /// See `ShaNi::hash4`.
    ///
    /// Callers outside this module must make sure the CPU supports SHA, SSE2, SSSE3
    /// and SSE4.1 (calling it is `unsafe` for them for that reason).
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) fn hash4(mid: &[u32; 8], tail: &[u32; 4], nonce: u32) -> [[u32; 8]; LANES] {
        let s = sha256d4(load_state(mid), tail, nonce);
        core::array::from_fn(|l| state_words(s[l]))
    }

    /// See `ShaNi::scan`.
    ///
    /// Callers outside this module must make sure the CPU supports SHA, SSE2, SSSE3
    /// and SSE4.1 (calling it is `unsafe` for them for that reason).
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    pub(super) fn scan(
        mid: &[u32; 8],
        tail: &[u32; 4],
        start: u32,
        count: u32,
        target: &[u8; 32],
    ) -> (Option<u32>, u32) {
        let (count, top) = crate::miner::hasher::scan_limits(start, count, target);
        let mid = load_state(mid);
        let mut done = 0u32;
        while done < count {
            let base = start.wrapping_add(done);
            let s = sha256d4(mid, tail, base);
            // The last batch may run past `count` (and past u32::MAX, wrapping): those
            // lanes are hashed but never looked at.
            let lanes = (count - done).min(LANES as u32);
            for (l, s) in s.iter().enumerate().take(lanes as usize) {
                // The hash's most significant 4 bytes, as a number: word h byte-swapped.
                let h = word_h(*s).swap_bytes();
                if h < top || (h == top && meets(state_words(*s), target)) {
                    return (Some(base.wrapping_add(l as u32)), done + l as u32 + 1);
                }
            }
            done += lanes;
        }
        (None, done)
    }

    /// Whether a final state's hash meets the target (the slow path for a tie on the
    /// top word).
    fn meets(state: [u32; 8], target: &[u8; 32]) -> bool {
        let hash: Hash256 = state_to_hash(&state);
        hash_meets_target(&hash, target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::hash::Hash256;
    use crate::miner::hasher::{state_to_hash, HeaderHasher};

    fn header(seed: u8) -> BlockHeader {
        BlockHeader {
            version: 1 + u32::from(seed),
            prev: Hash256([seed; 32]),
            merkle_root: Hash256([seed.wrapping_mul(7).wrapping_add(3); 32]),
            time: 1_700_000_000 + u32::from(seed),
            bits: 0x207f_ffff,
            nonce: 0,
        }
    }

    #[test]
    fn tail_words_are_header_bytes_64_to_76() {
        let h = header(5);
        let b = h.to_bytes();
        let t = tail_words(&h);
        assert_eq!(t[0].to_le_bytes(), b[64..68]);
        assert_eq!(t[1].to_le_bytes(), b[68..72]);
        assert_eq!(t[2].to_le_bytes(), b[72..76]);
        assert_eq!(t[3], 0);
    }

    #[test]
    fn lanes_match_sha256d() {
        let Some(ni) = ShaNi::detect() else {
            println!("shani unit test: SHA-NI not available, nothing to check");
            return;
        };
        for seed in 0..8u8 {
            let mut h = header(seed);
            let mut hasher = HeaderHasher::new(&h);
            let tail = tail_words(&h);
            for base in [0u32, 1, 0x1234_5678, u32::MAX - 3, u32::MAX - 1] {
                let lanes = ni.hash4(&hasher.midstate(), &tail, base);
                for (l, s) in lanes.iter().enumerate() {
                    h.nonce = base.wrapping_add(l as u32);
                    assert_eq!(state_to_hash(s), Hash256::sha256d(&h.to_bytes()));
                    assert_eq!(*s, hasher.hash_state(h.nonce));
                }
            }
        }
    }
}
