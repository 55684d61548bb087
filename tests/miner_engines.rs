//! The SHA-256d engines (AVX-512 16-way, AVX2 8-way, scalar, SHA-NI 4-way): every lane
//! equals plain SHA-256d (`sha2`) on random headers and nonces, the early-reject top
//! word equals the full hash's, and every engine's scan finds the same first winning
//! nonce, with the same count, as a plain reference scan on targets with few leading
//! zero bits (so the early reject is exercised on many candidates and never misses a
//! block). An engine the CPU lacks is skipped with a printed note.

mod support;

use cheesechain::chain::hash::Hash256;
use cheesechain::chain::target::hash_meets_target;
use cheesechain::chain::BlockHeader;
use cheesechain::miner::avx2::Avx2;
use cheesechain::miner::avx512::Avx512;
use cheesechain::miner::engine::Engine;
use cheesechain::miner::hasher::{state_to_hash, HeaderHasher};
use cheesechain::miner::sha256d::{self, Prepared};
use proptest::prelude::*;
use support::consensus::header_strategy;

/// A target that about one hash in `2^k` meets (little-endian: top bytes zero), with
/// random lower bytes so ties on the top word are decided below it.
fn easy_target(k: u32, low: [u8; 28]) -> [u8; 32] {
    let mut t = [0u8; 32];
    t[..28].copy_from_slice(&low);
    t[28..].copy_from_slice(&(u32::MAX >> k).to_le_bytes());
    t
}

/// Plain SHA-256d of `h` with `nonce`.
fn sha256d(h: &BlockHeader, nonce: u32) -> Hash256 {
    let mut h = *h;
    h.nonce = nonce;
    Hash256::sha256d(&h.to_bytes())
}

/// The first nonce in `start..start+count` (not past `u32::MAX`) whose plain SHA-256d
/// meets the target, and how many nonces that took.
fn reference_scan(
    h: &BlockHeader,
    start: u32,
    count: u32,
    target: &[u8; 32],
) -> (Option<u32>, u32) {
    let n = u64::from(count).min((1u64 << 32) - u64::from(start)) as u32;
    for i in 0..n {
        let nonce = start.wrapping_add(i);
        if hash_meets_target(&sha256d(h, nonce), target) {
            return (Some(nonce), i + 1);
        }
    }
    (None, n)
}

fn prepared(h: &BlockHeader) -> Prepared {
    *HeaderHasher::new(h).prepared()
}

/// Checks `lanes` (lane `l` = final state for nonce `base + l`) against sha2.
fn check_lanes(name: &str, h: &BlockHeader, base: u32, lanes: &[[u32; 8]]) {
    for (l, s) in lanes.iter().enumerate() {
        let nonce = base.wrapping_add(l as u32);
        assert_eq!(
            state_to_hash(s),
            sha256d(h, nonce),
            "{name} lane {l} nonce {nonce}"
        );
    }
}

fn check_tops(name: &str, h: &BlockHeader, base: u32, tops: &[u32]) {
    for (l, t) in tops.iter().enumerate() {
        let nonce = base.wrapping_add(l as u32);
        let full = sha256d(h, nonce);
        let want = u32::from_be_bytes([full.0[28], full.0[29], full.0[30], full.0[31]]);
        assert_eq!(*t, want, "{name} top word, lane {l} nonce {nonce}");
    }
}

#[test]
fn prints_which_engines_are_under_test() {
    for e in Engine::ALL {
        if e.available() {
            println!("engine {}: available, tested", e.name());
        } else {
            println!("engine {}: not supported by this CPU, skipped", e.name());
        }
    }
    println!("default engine: {}", Engine::selected().name());
    assert!(Engine::Scalar.available());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_lane_of_every_engine_is_sha256d(h in header_strategy(), base in any::<u32>()) {
        let p = prepared(&h);
        let s = sha256d::hash_lanes::<u32>(&p, base);
        check_lanes("scalar", &h, base, &[s]);
        check_tops("scalar", &h, base, &[sha256d::top_words::<u32>(&p, base)]);
        if let Some(e) = Avx512::detect() {
            check_lanes("avx512", &h, base, &e.hash_lanes(&p, base));
            check_tops("avx512", &h, base, &e.top_words(&p, base));
        }
        if let Some(e) = Avx2::detect() {
            check_lanes("avx2", &h, base, &e.hash_lanes(&p, base));
            check_tops("avx2", &h, base, &e.top_words(&p, base));
        }
    }

    #[test]
    fn early_reject_never_misses_a_block(
        h in header_strategy(),
        start in any::<u32>(),
        count in 0u32..200,
        k in 0u32..8,
        low in any::<[u8; 28]>(),
    ) {
        let t = easy_target(k, low);
        let want = reference_scan(&h, start, count, &t);
        for e in Engine::ALL.into_iter().filter(|e| e.available()) {
            let mut hasher = HeaderHasher::new(&h);
            prop_assert_eq!(e.scan(&mut hasher, start, count, &t), want, "engine {}", e.name());
        }
    }
}

#[test]
fn ties_on_the_top_word_and_the_end_of_the_range() {
    let h = BlockHeader {
        version: 4,
        prev: Hash256([8; 32]),
        merkle_root: Hash256([3; 32]),
        time: 11,
        bits: 0x207f_ffff,
        nonce: 0,
    };
    // Targets equal to one nonce's hash in its top 4 bytes, with lower bytes above and
    // below it; all ones; zero (nothing wins).
    let hash = sha256d(&h, 21);
    let mut above = hash.0;
    above[..28].fill(0xff);
    let mut below = hash.0;
    below[..28].fill(0x00);
    for t in [above, below, hash.0, [0xff; 32], [0; 32]] {
        for start in (u32::MAX - 40..=u32::MAX).chain(0..40) {
            for count in [0, 1, 7, 15, 16, 17, 33, 100] {
                let want = reference_scan(&h, start, count, &t);
                for e in Engine::ALL.into_iter().filter(|e| e.available()) {
                    let mut hasher = HeaderHasher::new(&h);
                    assert_eq!(
                        e.scan(&mut hasher, start, count, &t),
                        want,
                        "engine {} start {start} count {count}",
                        e.name()
                    );
                }
            }
        }
    }
}
