//! The 4-way SHA-NI header hasher: every lane equals plain SHA-256d, and its scan finds
//! the same first winning nonce (and counts the same work) as the portable scan, near
//! `u32::MAX` and for short counts too. On a CPU without SHA-NI the same checks run on
//! the dispatching `HeaderHasher::scan`, i.e. the portable fallback.

mod support;

use cheesechain::chain::hash::Hash256;
use cheesechain::chain::target::hash_meets_target;
use cheesechain::chain::BlockHeader;
use cheesechain::miner::hasher::{state_to_hash, HeaderHasher};
use cheesechain::miner::shani::{tail_words, ShaNi, LANES};
use proptest::prelude::*;
use support::consensus::header_strategy;

/// Says once per test which path is under test, so a CI log shows it.
fn path() -> Option<ShaNi> {
    let ni = ShaNi::detect();
    match ni {
        Some(_) => println!("path: SHA-NI 4-way"),
        None => println!("path: portable fallback (no SHA-NI on this CPU)"),
    }
    ni
}

/// A target that about one hash in `2^k` meets (little-endian: top bytes zero).
fn easy_target(k: u32) -> [u8; 32] {
    let mut t = [0xffu8; 32];
    let v = u32::MAX >> k;
    t[28..].copy_from_slice(&v.to_le_bytes());
    t
}

/// The reference: the first nonce in `start..start+count` (not past `u32::MAX`) whose
/// plain SHA-256d meets the target, and how many nonces that took.
fn reference_scan(
    h: &BlockHeader,
    start: u32,
    count: u32,
    target: &[u8; 32],
) -> (Option<u32>, u32) {
    let mut h = *h;
    let n = u64::from(count).min((1u64 << 32) - u64::from(start)) as u32;
    for i in 0..n {
        h.nonce = start + i;
        if hash_meets_target(&Hash256::sha256d(&h.to_bytes()), target) {
            return (Some(h.nonce), i + 1);
        }
    }
    (None, n)
}

/// Every scan the crate has: the dispatching one, the portable one and (if present)
/// SHA-NI directly.
fn all_scans(
    h: &BlockHeader,
    ni: Option<ShaNi>,
    start: u32,
    count: u32,
    t: &[u8; 32],
) -> Vec<(Option<u32>, u32)> {
    let mut hasher = HeaderHasher::new(h);
    let mut out = vec![
        hasher.scan(start, count, t),
        hasher.scan_portable(start, count, t),
    ];
    if let Some(ni) = ni {
        out.push(ni.scan(&hasher.midstate(), &tail_words(h), start, count, t));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_lane_is_sha256d(h in header_strategy(), nonce in any::<u32>()) {
        let Some(ni) = ShaNi::detect() else {
            // Fallback path: the hasher the miner uses is still checked against plain
            // SHA-256d for the same four nonces.
            let mut hasher = HeaderHasher::new(&h);
            for l in 0..LANES as u32 {
                let mut hl = h;
                hl.nonce = nonce.wrapping_add(l);
                prop_assert_eq!(hasher.hash(hl.nonce), Hash256::sha256d(&hl.to_bytes()));
            }
            return Ok(());
        };
        let hasher = HeaderHasher::new(&h);
        let lanes = ni.hash4(&hasher.midstate(), &tail_words(&h), nonce);
        for (l, s) in lanes.iter().enumerate() {
            let mut hl = h;
            hl.nonce = nonce.wrapping_add(l as u32);
            prop_assert_eq!(state_to_hash(s), Hash256::sha256d(&hl.to_bytes()));
        }
    }

    #[test]
    fn scans_agree_with_reference(
        h in header_strategy(),
        start in any::<u32>(),
        count in 0u32..40,
        k in 0u32..6,
    ) {
        let t = easy_target(k);
        let want = reference_scan(&h, start, count, &t);
        for got in all_scans(&h, ShaNi::detect(), start, count, &t) {
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn scans_agree_near_the_end_of_the_range(
        h in header_strategy(),
        back in 0u32..12,
        count in 1u32..8,
        k in 0u32..4,
    ) {
        let t = easy_target(k);
        let start = u32::MAX - back;
        let want = reference_scan(&h, start, count, &t);
        for got in all_scans(&h, ShaNi::detect(), start, count, &t) {
            prop_assert_eq!(got, want);
        }
    }
}

#[test]
fn prints_the_path_under_test() {
    let ni = path();
    assert_eq!(
        ni.is_some(),
        ShaNi::detect().is_some(),
        "detection is stable"
    );
}

#[test]
fn counts_one_to_seven_from_every_offset_near_u32_max() {
    let ni = path();
    let h = BlockHeader {
        version: 1,
        prev: Hash256([9; 32]),
        merkle_root: Hash256([4; 32]),
        time: 1_700_000_000,
        bits: 0x207f_ffff,
        nonce: 0,
    };
    for k in [0u32, 1, 2, 3, 32] {
        let t = if k == 32 { [0u8; 32] } else { easy_target(k) };
        for start in (u32::MAX - 9..=u32::MAX).chain(0..10) {
            for count in 1..=7 {
                let want = reference_scan(&h, start, count, &t);
                for got in all_scans(&h, ni, start, count, &t) {
                    assert_eq!(got, want, "start {start} count {count} k {k}");
                }
            }
        }
    }
}

#[test]
fn impossible_target_hashes_the_whole_budget_and_stops_at_the_range_end() {
    let ni = path();
    let h = BlockHeader {
        version: 2,
        prev: Hash256([1; 32]),
        merkle_root: Hash256([2; 32]),
        time: 5,
        bits: 0x0300_0001,
        nonce: 0,
    };
    let t = [0u8; 32];
    for got in all_scans(&h, ni, 1000, 1001, &t) {
        assert_eq!(got, (None, 1001));
    }
    for got in all_scans(&h, ni, u32::MAX - 5, 1000, &t) {
        assert_eq!(got, (None, 6));
    }
    for got in all_scans(&h, ni, u32::MAX, u32::MAX, &t) {
        assert_eq!(got, (None, 1));
    }
}

#[test]
fn first_winner_in_order_when_several_lanes_win() {
    let ni = path();
    // Target all ones: every hash meets it, so the first nonce must win every time.
    let h = BlockHeader {
        version: 3,
        prev: Hash256([5; 32]),
        merkle_root: Hash256([6; 32]),
        time: 7,
        bits: 0x207f_ffff,
        nonce: 0,
    };
    let t = [0xffu8; 32];
    for start in [0u32, 1, 2, 3, 77, u32::MAX - 2, u32::MAX] {
        for got in all_scans(&h, ni, start, 100, &t) {
            assert_eq!(got, (Some(start), 1));
        }
    }
}

#[test]
fn tie_on_the_top_word_is_decided_by_the_lower_bytes() {
    let ni = path();
    let h = BlockHeader {
        version: 4,
        prev: Hash256([8; 32]),
        merkle_root: Hash256([3; 32]),
        time: 11,
        bits: 0x207f_ffff,
        nonce: 0,
    };
    // A target equal to one nonce's hash in its top 4 bytes: that nonce wins exactly when
    // its lower bytes are at most the target's.
    let mut hn = h;
    hn.nonce = 6;
    let hash = Hash256::sha256d(&hn.to_bytes());
    let mut above = hash.0;
    above[..28].fill(0xff);
    let mut below = hash.0;
    below[..28].fill(0x00);
    for t in [above, below, hash.0] {
        let want = reference_scan(&h, 0, 16, &t);
        for got in all_scans(&h, ni, 0, 16, &t) {
            assert_eq!(got, want);
        }
    }
}
