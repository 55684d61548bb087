//! SHA-256d of 80-byte headers written once for any lane width: the per-template
//! precompute ([`Prepared`]), the per-nonce rounds with every nonce-independent message
//! word folded away, and the early reject after round 60 of the second hash.
//!
//! The SIMD engines ([`super::avx512`], [`super::avx2`]) and the portable one implement
//! [`Lanes`] (a vector of `N` 32-bit words) and instantiate [`scan`] inside a function
//! compiled for their CPU features; everything here is `#[inline(always)]` so it is
//! compiled once per engine with that engine's instructions.
//!
//! Per template ([`Prepared::new`], scalar, once): the midstate of the first 64 header
//! bytes; rounds 0, 1 and 2 of the second block (message words 0..3 are header bytes
//! 64..76, which do not depend on the nonce) and the nonce-free half of round 3; and the
//! nonce-free parts of schedule words 16..32 (cpuminer-opt's `prehash_3rounds`).
//!
//! Per nonce: rounds 3..63 of the second block, with the constant padding words (word
//! 4 is `0x80000000`, 5..14 are zero, 15 is the length) folded into the round
//! constants; then the second SHA-256 over the digest up to round 60 only. Its state
//! word h after round 63 is the e computed in round 60 (it moves f, g, h), so after
//! round 60 the final word 7 (the hash's most significant 4 bytes, byte-swapped) is
//! known; a lane whose word 7 is above the target's top word cannot meet the target
//! and the rest of its rounds are skipped. A lane that passes this filter (for a real
//! target about one in 2^32) is checked exactly by the caller with a full hash.

/// The SHA-256 round constants.
pub(crate) const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

use super::hasher::SHA256_IV;

/// Message word 4 of both padded blocks' padding byte, and word 8 of the digest block.
const PAD: u32 = 0x8000_0000;
/// Message word 15 of the header's second block: 80 bytes in bits.
const LEN80: u32 = 640;
/// Message word 15 of the digest block: 32 bytes in bits.
const LEN32: u32 = 256;

/// `N` 32-bit words operated on in parallel: one per nonce. Implemented by the engines
/// with their SIMD registers (and by `u32` for the portable engine).
pub trait Lanes: Copy {
    /// Number of lanes.
    const N: usize;
    /// Every lane `x`.
    fn splat(x: u32) -> Self;
    /// Lane-wise wrapping addition.
    fn add(self, o: Self) -> Self;
    /// SHA-256's Σ0: `ror 2 ^ ror 13 ^ ror 22`.
    fn big_s0(self) -> Self;
    /// SHA-256's Σ1: `ror 6 ^ ror 11 ^ ror 25`.
    fn big_s1(self) -> Self;
    /// SHA-256's σ0: `ror 7 ^ ror 18 ^ shr 3`.
    fn small_s0(self) -> Self;
    /// SHA-256's σ1: `ror 17 ^ ror 19 ^ shr 10`.
    fn small_s1(self) -> Self;
    /// `(e & f) ^ (!e & g)`.
    fn ch(e: Self, f: Self, g: Self) -> Self;
    /// `(a & b) ^ (a & c) ^ (b & c)`.
    fn maj(a: Self, b: Self, c: Self) -> Self;
    /// The header nonces `base, base + 1, ...` (wrapping), each byte-swapped: message
    /// word 3 of the header's second block.
    fn nonce_words(base: u32) -> Self;
    /// Bit `l` set if lane `l`, byte-swapped, is at most `top`.
    fn le_mask(self, top: u32) -> u32;
    /// The lanes as an array (for tests and the full-hash path; not in the hot loop).
    fn to_vec(self) -> Vec<u32>;
}

/// Everything about a header template that does not depend on the nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// SHA-256 state after the first 64 header bytes.
    pub midstate: [u32; 8],
    /// The second block's state after rounds 0..2 and round 3 without its message word
    /// (the nonce word): adding word 3 to entries 0 and 4 finishes round 3.
    pub state3: [u32; 8],
    /// Message words 0..3 of the second block (header bytes 64..76, big-endian).
    pub w: [u32; 3],
    /// The nonce-free parts of schedule words 16..32: `x[0]` = W16, `x[1]` = W17 (both
    /// complete), `x[2]` = σ1(W16) + W2, `x[3]` = σ1(W17) + σ0(W4), `x[4]` = σ0(W15),
    /// `x[5]` = σ0(W16) + W15, `x[6]` = σ0(W17) + W16.
    pub x: [u32; 7],
}

impl Prepared {
    /// The precompute for a template with SHA-256 `midstate` after its first 64 bytes
    /// and `tail` = header bytes 64..76 as little-endian words (the fourth entry, the
    /// nonce, is ignored).
    pub fn new(midstate: &[u32; 8], tail: &[u32; 4]) -> Prepared {
        let w = [
            tail[0].swap_bytes(),
            tail[1].swap_bytes(),
            tail[2].swap_bytes(),
        ];
        let mut s = *midstate;
        for (i, wi) in w.iter().enumerate() {
            s = round(s, u32::splat(K[i].wrapping_add(*wi)));
        }
        // Round 3 without the nonce word.
        let [a, b, c, d, e, f, g, h] = s;
        let t1 = h
            .wrapping_add(e.big_s1())
            .wrapping_add(u32::ch(e, f, g))
            .wrapping_add(K[3]);
        let t2 = a.big_s0().wrapping_add(u32::maj(a, b, c));
        let state3 = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
        let w16 = w[1].small_s0().wrapping_add(w[0]);
        let w17 = LEN80
            .small_s1()
            .wrapping_add(w[2].small_s0())
            .wrapping_add(w[1]);
        let x = [
            w16,
            w17,
            w16.small_s1().wrapping_add(w[2]),
            w17.small_s1().wrapping_add(PAD.small_s0()),
            LEN80.small_s0(),
            w16.small_s0().wrapping_add(LEN80),
            w17.small_s0().wrapping_add(w16),
        ];
        Prepared {
            midstate: *midstate,
            state3,
            w,
            x,
        }
    }
}

impl Lanes for u32 {
    const N: usize = 1;
    #[inline(always)]
    fn splat(x: u32) -> u32 {
        x
    }
    #[inline(always)]
    fn add(self, o: u32) -> u32 {
        self.wrapping_add(o)
    }
    #[inline(always)]
    fn big_s0(self) -> u32 {
        self.rotate_right(2) ^ self.rotate_right(13) ^ self.rotate_right(22)
    }
    #[inline(always)]
    fn big_s1(self) -> u32 {
        self.rotate_right(6) ^ self.rotate_right(11) ^ self.rotate_right(25)
    }
    #[inline(always)]
    fn small_s0(self) -> u32 {
        self.rotate_right(7) ^ self.rotate_right(18) ^ (self >> 3)
    }
    #[inline(always)]
    fn small_s1(self) -> u32 {
        self.rotate_right(17) ^ self.rotate_right(19) ^ (self >> 10)
    }
    #[inline(always)]
    fn ch(e: u32, f: u32, g: u32) -> u32 {
        g ^ (e & (f ^ g))
    }
    #[inline(always)]
    fn maj(a: u32, b: u32, c: u32) -> u32 {
        (a & b) | (c & (a | b))
    }
    #[inline(always)]
    fn nonce_words(base: u32) -> u32 {
        base.swap_bytes()
    }
    #[inline(always)]
    fn le_mask(self, top: u32) -> u32 {
        u32::from(self.swap_bytes() <= top)
    }
    fn to_vec(self) -> Vec<u32> {
        vec![self]
    }
}

/// One SHA-256 round on state `s` with `kw` = round constant plus message word.
#[inline(always)]
fn round<V: Lanes>(s: [V; 8], kw: V) -> [V; 8] {
    let [a, b, c, d, e, f, g, h] = s;
    let t1 = h.add(e.big_s1()).add(V::ch(e, f, g)).add(kw);
    let t2 = a.big_s0().add(V::maj(a, b, c));
    [t1.add(t2), a, b, c, d.add(t1), e, f, g]
}

/// Round `i` with message word `w`.
#[inline(always)]
fn round_w<V: Lanes>(s: [V; 8], i: usize, w: V) -> [V; 8] {
    round(s, w.add(V::splat(K[i])))
}

/// Round `i` with the constant message word `w`.
#[inline(always)]
fn round_c<V: Lanes>(s: [V; 8], i: usize, w: u32) -> [V; 8] {
    round(s, V::splat(K[i].wrapping_add(w)))
}

/// The generic schedule step: W[t] from W[t-16], W[t-15], W[t-7], W[t-2].
#[inline(always)]
fn expand<V: Lanes>(w16: V, w15: V, w7: V, w2: V) -> V {
    w2.small_s1().add(w7).add(w15.small_s0()).add(w16)
}

/// Rounds with schedule expansion, each index a literal so the schedule ring `w`
/// (word `t` at `t % 16`) and the state stay in registers: `expand_rounds!(s, w, [t,
/// ...])` computes W[t] from the ring, stores it and runs round `t`.
macro_rules! expand_rounds {
    ($s:ident, $w:ident, [$($t:literal),*]) => {
        $(
            let wt = expand($w[$t % 16], $w[($t + 1) % 16], $w[($t + 9) % 16], $w[($t + 14) % 16]);
            // The last rounds' words are never read again.
            #[allow(unused_assignments)]
            {
                $w[$t % 16] = wt;
            }
            $s = round_w($s, $t, wt);
        )*
    };
}

/// Rounds with message words already in the ring: `ring_rounds!(s, w, [t, ...])` runs
/// round `t` with `w[t % 16]`.
macro_rules! ring_rounds {
    ($s:ident, $w:ident, [$($t:literal),*]) => {
        $( $s = round_w($s, $t, $w[$t % 16]); )*
    };
}

/// Rounds with a constant message word: `const_rounds!(s, [(t, w), ...])`.
macro_rules! const_rounds {
    ($s:ident, [$(($t:literal, $c:expr)),*]) => {
        $( $s = round_c($s, $t, $c); )*
    };
}

/// Rounds 32..64 with schedule expansion.
macro_rules! rounds_32_to_64 {
    ($s:ident, $w:ident) => {
        expand_rounds!(
            $s,
            $w,
            [32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47]
        );
        expand_rounds!(
            $s,
            $w,
            [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63]
        );
    };
}

/// The first SHA-256 (the header's second block) for nonces `base ..`, from the
/// precompute: the digest words (midstate added).
#[inline(always)]
fn first<V: Lanes>(p: &Prepared, base: u32) -> [V; 8] {
    let n = V::nonce_words(base);
    let st = p.state3;
    // Round 3's second half: its message word is the nonce.
    let mut s = [
        V::splat(st[0]).add(n),
        V::splat(st[1]),
        V::splat(st[2]),
        V::splat(st[3]),
        V::splat(st[4]).add(n),
        V::splat(st[5]),
        V::splat(st[6]),
        V::splat(st[7]),
    ];
    const_rounds!(
        s,
        [
            (4, PAD),
            (5, 0),
            (6, 0),
            (7, 0),
            (8, 0),
            (9, 0),
            (10, 0),
            (11, 0),
            (12, 0),
            (13, 0),
            (14, 0),
            (15, LEN80)
        ]
    );
    // Schedule words 16..32 with the nonce-free parts precomputed (see `Prepared::x`).
    let x: [V; 7] = core::array::from_fn(|i| V::splat(p.x[i]));
    let w16 = x[0];
    let w17 = x[1];
    let w18 = x[2].add(n.small_s0());
    let w19 = x[3].add(n);
    let w20 = w18.small_s1().add(V::splat(PAD));
    let w21 = w19.small_s1();
    let w22 = w20.small_s1().add(V::splat(LEN80));
    let w23 = w21.small_s1().add(w16);
    let w24 = w22.small_s1().add(w17);
    let w25 = w23.small_s1().add(w18);
    let w26 = w24.small_s1().add(w19);
    let w27 = w25.small_s1().add(w20);
    let w28 = w26.small_s1().add(w21);
    let w29 = w27.small_s1().add(w22);
    let w30 = w28.small_s1().add(w23).add(x[4]);
    let w31 = w29.small_s1().add(w24).add(x[5]);
    s = round_c(s, 16, p.x[0]);
    s = round_c(s, 17, p.x[1]);
    let mut w = [
        w16, w17, w18, w19, w20, w21, w22, w23, w24, w25, w26, w27, w28, w29, w30, w31,
    ];
    ring_rounds!(
        s,
        w,
        [18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
    );
    // Word 32 has the nonce-free σ0(W17) + W16 precomputed; the rest is generic.
    let w32 = w[14].small_s1().add(w[9]).add(x[6]);
    w[0] = w32;
    s = round_w(s, 32, w32);
    expand_rounds!(
        s,
        w,
        [33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47]
    );
    expand_rounds!(
        s,
        w,
        [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63]
    );
    let m = p.midstate;
    core::array::from_fn(|i| s[i].add(V::splat(m[i])))
}

/// The state after round 0 of a SHA-256 from the IV with message word 0 zero: add
/// word 0 to entries 0 and 4 to finish it.
#[inline(always)]
fn iv_round0() -> [u32; 8] {
    let [a, b, c, d, e, f, g, h] = SHA256_IV;
    let t1 = h
        .wrapping_add(e.big_s1())
        .wrapping_add(u32::ch(e, f, g))
        .wrapping_add(K[0]);
    let t2 = a.big_s0().wrapping_add(u32::maj(a, b, c));
    [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g]
}

/// The second SHA-256 (over the 32-byte digest `d`) through round 15, and its
/// schedule words 0..16.
#[inline(always)]
fn second_head<V: Lanes>(d: &[V; 8]) -> ([V; 8], [V; 16]) {
    let r0 = iv_round0();
    let mut s = core::array::from_fn(|i| {
        let v = V::splat(r0[i]);
        if i == 0 || i == 4 {
            v.add(d[0])
        } else {
            v
        }
    });
    ring_rounds!(s, d, [1, 2, 3, 4, 5, 6, 7]);
    const_rounds!(
        s,
        [
            (8, PAD),
            (9, 0),
            (10, 0),
            (11, 0),
            (12, 0),
            (13, 0),
            (14, 0),
            (15, LEN32)
        ]
    );
    // Schedule words 16..32 with the padding words folded.
    let w16 = d[1].small_s0().add(d[0]);
    let w17 = V::splat(LEN32.small_s1()).add(d[2].small_s0()).add(d[1]);
    let w18 = w16.small_s1().add(d[3].small_s0()).add(d[2]);
    let w19 = w17.small_s1().add(d[4].small_s0()).add(d[3]);
    let w20 = w18.small_s1().add(d[5].small_s0()).add(d[4]);
    let w21 = w19.small_s1().add(d[6].small_s0()).add(d[5]);
    let w22 = w20
        .small_s1()
        .add(d[7].small_s0())
        .add(d[6])
        .add(V::splat(LEN32));
    let w23 = w21
        .small_s1()
        .add(w16)
        .add(d[7])
        .add(V::splat(PAD.small_s0()));
    let w24 = w22.small_s1().add(w17).add(V::splat(PAD));
    let w25 = w23.small_s1().add(w18);
    let w26 = w24.small_s1().add(w19);
    let w27 = w25.small_s1().add(w20);
    let w28 = w26.small_s1().add(w21);
    let w29 = w27.small_s1().add(w22);
    let w30 = w28.small_s1().add(w23).add(V::splat(LEN32.small_s0()));
    let w31 = w29
        .small_s1()
        .add(w24)
        .add(w16.small_s0())
        .add(V::splat(LEN32));
    let w = [
        w16, w17, w18, w19, w20, w21, w22, w23, w24, w25, w26, w27, w28, w29, w30, w31,
    ];
    (s, w)
}

/// The final SHA-256 states of SHA-256d(header with nonces `base ..`): all 64 rounds
/// of both hashes. For tests and for the exact check of a lane that passed the filter.
#[inline(always)]
pub fn hash_lanes<V: Lanes>(p: &Prepared, base: u32) -> [V; 8] {
    let d = first::<V>(p, base);
    let (mut s, mut w) = second_head(&d);
    ring_rounds!(
        s,
        w,
        [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
    );
    rounds_32_to_64!(s, w);
    core::array::from_fn(|i| s[i].add(V::splat(SHA256_IV[i])))
}

/// Word 7 of the final state for nonces `base ..`, computed with the early-reject
/// schedule: the second hash stops after round 60, and rounds 57..60 compute only
/// their new e (the a they would write never reaches word 7).
#[inline(always)]
pub fn top_words<V: Lanes>(p: &Prepared, base: u32) -> V {
    let d = first::<V>(p, base);
    let (mut s, mut w) = second_head(&d);
    ring_rounds!(
        s,
        w,
        [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
    );
    expand_rounds!(
        s,
        w,
        [32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47]
    );
    expand_rounds!(s, w, [48, 49, 50, 51, 52, 53, 54, 55, 56]);
    // Rounds 57..60: only e matters. State entries: e at 4, d at 3; each round's new
    // e is d + t1, and the new d is the old c, so the d of rounds 57..60 are the c,
    // b, a of round 57 and the a written by round 56 (= s[0] now).
    let [a, b, c, d, e, f, g, h] = s;
    let w57 = expand(w[57 % 16], w[58 % 16], w[(57 + 9) % 16], w[(57 + 14) % 16]);
    w[57 % 16] = w57;
    let e57 = d.add(t1(57, e, f, g, h, w57));
    let w58 = expand(w[58 % 16], w[59 % 16], w[(58 + 9) % 16], w[(58 + 14) % 16]);
    w[58 % 16] = w58;
    let e58 = c.add(t1(58, e57, e, f, g, w58));
    let w59 = expand(w[59 % 16], w[60 % 16], w[(59 + 9) % 16], w[(59 + 14) % 16]);
    w[59 % 16] = w59;
    let e59 = b.add(t1(59, e58, e57, e, f, w59));
    let w60 = expand(w[60 % 16], w[61 % 16], w[(60 + 9) % 16], w[(60 + 14) % 16]);
    let e60 = a.add(t1(60, e59, e58, e57, e, w60));
    e60.add(V::splat(SHA256_IV[7]))
}

/// Round `t`'s t1 = h + Σ1(e) + ch(e, f, g) + K[t] + W[t].
#[inline(always)]
fn t1<V: Lanes>(t: usize, e: V, f: V, g: V, h: V, w: V) -> V {
    h.add(e.big_s1())
        .add(V::ch(e, f, g))
        .add(w)
        .add(V::splat(K[t]))
}

/// Tries nonces `start, start + 1, ...` for at most `count` nonces (the caller has cut
/// `count` so it never passes `u32::MAX`), `V::N` at a time, and returns the first in
/// nonce order that `exact` accepts among those whose top word passes the filter
/// (byte-swapped word 7 at most `top`), with the number of nonces tried up to and
/// including it; or `None` and `count`.
#[inline(always)]
pub fn scan<V: Lanes>(
    p: &Prepared,
    start: u32,
    count: u32,
    top: u32,
    exact: &mut dyn FnMut(u32) -> bool,
) -> (Option<u32>, u32) {
    let mut done = 0u32;
    while done < count {
        let base = start.wrapping_add(done);
        let lanes = (count - done).min(V::N as u32);
        let mut mask = top_words::<V>(p, base).le_mask(top);
        if lanes < 32 {
            mask &= (1u32 << lanes) - 1;
        }
        while mask != 0 {
            let l = mask.trailing_zeros();
            mask &= mask - 1;
            let nonce = base.wrapping_add(l);
            if exact(nonce) {
                return (Some(nonce), done + l + 1);
            }
        }
        done += lanes;
    }
    (None, done)
}
