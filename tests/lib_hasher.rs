//! The keyed map hasher (`chain::hash::KeyedState`, a folded-multiply hasher with
//! per-process random keys) tested like a library.
//!
//! It implements no published algorithm, so there is no reference crate to compare
//! with; instead: it is a function of the bytes (same keys, same input, same hash, in
//! both of its write paths), every input bit reaches the output, one flipped bit flips
//! about half the output bits, structured inputs (counters, single varying bytes,
//! lengths) spread evenly over the buckets and the tag bits that `HashMap` uses, and
//! they do not collide. The keys are private and drawn once per process, so the bounds
//! are loose enough to hold for any keys: a failure means a broken mixer, not bad luck.

use cheesechain::chain::hash::{HashMap256, HashSet256, KeyedState};
use cheesechain::chain::Hash256;
use proptest::prelude::*;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

fn hash_bytes(st: &KeyedState, bytes: &[u8]) -> u64 {
    let mut h = st.build_hasher();
    h.write(bytes);
    h.finish()
}

/// 32-byte keys that differ only in a counter written at byte `at` (little-endian).
fn counter_keys(n: u32, at: usize) -> Vec<Hash256> {
    (0..n)
        .map(|i| {
            let mut b = [0u8; 32];
            b[at..at + 4].copy_from_slice(&i.to_le_bytes());
            Hash256(b)
        })
        .collect()
}

/// Largest and smallest bucket count when `hashes` are put in `2^bits` buckets by the
/// bits `shift..shift + bits`.
fn bucket_extremes(hashes: &[u64], bits: u32, shift: u32) -> (usize, usize) {
    let mut counts = vec![0usize; 1 << bits];
    for h in hashes {
        counts[((h >> shift) & ((1 << bits) - 1)) as usize] += 1;
    }
    (*counts.iter().min().unwrap(), *counts.iter().max().unwrap())
}

/// Checks an even spread over 1024 buckets by the low bits (the bucket index) and over
/// 128 by the top 7 bits (the tag `HashMap` compares first). 65 536 keys: 64 per low
/// bucket expected (s.d. 8), 512 per tag (s.d. 22).
fn assert_spread(name: &str, hashes: &[u64]) {
    assert_eq!(hashes.len(), 65_536);
    let (lo, hi) = bucket_extremes(hashes, 10, 0);
    assert!(
        lo >= 20 && hi <= 120,
        "{name}: low-bit buckets {lo}..{hi}, want ~64"
    );
    let (lo, hi) = bucket_extremes(hashes, 7, 57);
    assert!(
        lo >= 380 && hi <= 650,
        "{name}: tag buckets {lo}..{hi}, want ~512"
    );
    let distinct: HashSet<u64> = hashes.iter().copied().collect();
    assert_eq!(distinct.len(), hashes.len(), "{name}: 64-bit collisions");
}

#[test]
fn structured_32_byte_keys_spread_evenly_and_do_not_collide() {
    let st = KeyedState::default();
    for at in [0, 6, 8, 14, 16, 24, 28] {
        let hashes: Vec<u64> = counter_keys(65_536, at)
            .iter()
            .map(|k| st.hash_one(k))
            .collect();
        assert_spread(&format!("counter at byte {at}"), &hashes);
    }
}

#[test]
fn u64_keys_spread_evenly_and_do_not_collide() {
    let st = KeyedState::default();
    let seq: Vec<u64> = (0..65_536u64).map(|i| st.hash_one(i)).collect();
    assert_spread("sequential u64", &seq);
    let high: Vec<u64> = (0..65_536u64).map(|i| st.hash_one(i << 48)).collect();
    assert_spread("u64 counter in the top bits", &high);
    let strided: Vec<u64> = (0..65_536u64).map(|i| st.hash_one(i << 10)).collect();
    assert_spread("u64 counter times 1024", &strided);
}

#[test]
fn other_lengths_spread_evenly_and_length_is_part_of_the_input() {
    let st = KeyedState::default();
    for len in [4usize, 15, 16, 17, 33, 40] {
        let hashes: Vec<u64> = (0..65_536u32)
            .map(|i| {
                let mut b = vec![0u8; len];
                b[..4].copy_from_slice(&i.to_le_bytes());
                hash_bytes(&st, &b)
            })
            .collect();
        assert_spread(&format!("{len}-byte keys"), &hashes);
    }
    // All-zero inputs of every length from 0 to 96 bytes hash differently.
    let zeros: HashSet<u64> = (0..=96).map(|n| hash_bytes(&st, &vec![0u8; n])).collect();
    assert_eq!(zeros.len(), 97);
}

#[test]
fn one_flipped_bit_flips_about_half_the_output() {
    let st = KeyedState::default();
    let mut total = 0u64;
    let mut samples = 0u64;
    let mut per_out_bit = [0u32; 64];
    for seed in 0..64u32 {
        let base = Hash256::sha256(&seed.to_le_bytes());
        let h0 = st.hash_one(base);
        for bit in 0..256 {
            let mut k = base;
            k.0[bit / 8] ^= 1 << (bit % 8);
            let d = h0 ^ st.hash_one(k);
            assert_ne!(
                d, 0,
                "seed {seed}: flipping input bit {bit} left the hash unchanged"
            );
            total += u64::from(d.count_ones());
            samples += 1;
            for (o, c) in per_out_bit.iter_mut().enumerate() {
                *c += ((d >> o) & 1) as u32;
            }
        }
    }
    let mean = total as f64 / samples as f64;
    assert!(
        (28.0..=36.0).contains(&mean),
        "mean flipped output bits {mean}, want ~32"
    );
    // Each output bit flips in about half of the 16 384 trials (s.d. 64).
    for (o, &c) in per_out_bit.iter().enumerate() {
        assert!(
            (6_000..=10_400).contains(&c),
            "output bit {o} flipped {c} of {samples}"
        );
    }
}

#[test]
fn maps_and_sets_with_it_behave_like_std_ones() {
    let keys = counter_keys(10_000, 3);
    let mut m: HashMap256<usize> = HashMap256::default();
    let mut s = HashSet256::default();
    for (i, k) in keys.iter().enumerate() {
        assert!(m.insert(*k, i).is_none());
        assert!(s.insert(*k));
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(m.get(k), Some(&i));
        assert!(!s.insert(*k));
    }
    assert_eq!(m.len(), keys.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// A function of the bytes: the same input through the same or another state of this
    /// process, through `hash_one` or a raw 32-byte `write`, gives the same hash.
    #[test]
    fn deterministic_per_key(b in prop::array::uniform32(any::<u8>()), n in any::<u64>()) {
        let (st, other) = (KeyedState::default(), KeyedState::default());
        let h = Hash256(b);
        prop_assert_eq!(st.hash_one(h), st.hash_one(h));
        prop_assert_eq!(st.hash_one(h), other.hash_one(h));
        prop_assert_eq!(st.hash_one(h), hash_bytes(&st, &b));
        prop_assert_eq!(st.hash_one(n), other.hash_one(n));
        let mut w = st.build_hasher();
        w.write_usize(n as usize);
        prop_assert_eq!(w.finish(), st.hash_one(n));
    }

    /// Any two different keys of one length, 32 bytes or not, hash differently (a
    /// collision among a thousand draws of 2^64 would be a 1-in-10^13 event).
    #[test]
    fn different_keys_differ(
        a in prop::collection::vec(any::<u8>(), 0..70),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        prop_assume!(!a.is_empty());
        let st = KeyedState::default();
        let mut b = a.clone();
        b[flip.index(a.len())] ^= 1 << bit;
        prop_assert_ne!(hash_bytes(&st, &a), hash_bytes(&st, &b));
    }

    #[test]
    fn different_u64_differ(a in any::<u64>(), b in any::<u64>()) {
        prop_assume!(a != b);
        let st = KeyedState::default();
        prop_assert_ne!(st.hash_one(a), st.hash_one(b));
    }
}
