//! Proof of work: block work, the header hash check, median time past and the
//! difficulty retarget rule.

use super::error::BlockError;
use super::header::{BlockHeader, HashedHeader};
use super::params::NetworkParams;
use super::u256::U256;

/// The work a block with compact `bits` represents: the expected number of hashes to
/// find it, `2^256 / (target + 1)`, computed as `!target / (target + 1) + 1`.
/// Invalid `bits` have zero work.
pub fn work_of(bits: u32) -> U256 {
    match U256::from_compact(bits) {
        None => U256::ZERO,
        Some(target) => match target.checked_add(U256::ONE) {
            None => U256::ONE,
            Some(t1) => {
                let (q, _) = (!target).div_rem(t1).expect("target + 1 is not zero");
                q.saturating_add(U256::ONE)
            }
        },
    }
}

/// Checks a header's proof of work on its own: `bits` decodes to a valid target that
/// is at most the network limit, and the hash (little-endian) is at most the target.
///
/// # Errors
/// [`BlockError::InvalidTarget`] or [`BlockError::BadProofOfWork`].
pub fn check_pow(header: &BlockHeader, pow_limit_bits: u32) -> Result<(), BlockError> {
    check_pow_hashed(&HashedHeader::new(*header), pow_limit_bits)
}

/// [`check_pow`] for a header whose hash is already known.
///
/// # Errors
/// As [`check_pow`].
pub fn check_pow_hashed(h: &HashedHeader, pow_limit_bits: u32) -> Result<(), BlockError> {
    let header = h.header();
    let target = U256::from_compact(header.bits).ok_or(BlockError::InvalidTarget)?;
    let limit = U256::from_compact(pow_limit_bits).ok_or(BlockError::InvalidTarget)?;
    if target > limit {
        return Err(BlockError::InvalidTarget);
    }
    if U256::from_le_bytes(&h.hash().0) > target {
        return Err(BlockError::BadProofOfWork);
    }
    Ok(())
}

/// The median of the given block times: sorted, the element at index `len / 2`
/// (the upper median for an even count). Zero for an empty slice.
pub fn median_time_past(times: &[u32]) -> u32 {
    median_in_place(&mut times.to_vec())
}

/// [`median_time_past`] of times the caller lets it reorder (no copy).
pub fn median_in_place(times: &mut [u32]) -> u32 {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or(0)
}

/// The retarget arithmetic: `old_target * actual / expected` computed exactly, with
/// `actual` first clamped to `[expected / clamp, expected * clamp]` (`clamp` 0 is
/// treated as 1), the result capped at `pow_limit`, then compacted with
/// [`U256::to_compact`].
pub fn retarget(old_bits: u32, actual: i64, expected: u64, clamp: u32, pow_limit: U256) -> u32 {
    let clamp = clamp.max(1) as u64;
    let expected = expected.max(1);
    let lo = (expected / clamp) as i64;
    let hi = expected.saturating_mul(clamp).min(i64::MAX as u64) as i64;
    let actual = actual.clamp(lo, hi) as u64;
    let old = U256::from_compact(old_bits).unwrap_or(pow_limit);
    let new = match old.mul_div_u64(actual, expected) {
        Some(t) if t <= pow_limit && !t.is_zero() => t,
        Some(t) if t.is_zero() => U256::ONE,
        _ => pow_limit,
    };
    new.to_compact()
}

/// True if a block at `height` starts a new difficulty period.
pub fn is_retarget_height(params: &NetworkParams, height: u32) -> bool {
    params.retarget_interval != 0 && height != 0 && height.is_multiple_of(params.retarget_interval)
}

/// The height of the first block of the retarget window of a block at `height`: the
/// window ends at `height - 1` and starts `retarget_interval` blocks before, but never
/// at genesis, whose time is fixed when the network is defined, long before anyone
/// mines: block 1 instead (spec/consensus.md §5). `None` where `height` does not
/// retarget, or the window would hold no block interval.
pub fn retarget_first(params: &NetworkParams, height: u32) -> Option<u32> {
    if !is_retarget_height(params, height) {
        return None;
    }
    let first = (height - 1).saturating_sub(params.retarget_interval).max(1);
    (first < height - 1).then_some(first)
}

/// Required bits of a block at `height` whose parent has `parent_bits`.
///
/// Where the block retargets (see [`retarget_first`]), `time_last` is the time of the
/// block at `height - 1` and `time_first` the time of the block at
/// `retarget_first(height)`; the expected span is one `target_spacing_secs` for each
/// block interval between them. Otherwise the parent's bits.
pub fn next_bits(
    params: &NetworkParams,
    height: u32,
    parent_bits: u32,
    time_last: u32,
    time_first: u32,
) -> u32 {
    let Some(first) = retarget_first(params, height) else {
        return parent_bits;
    };
    let expected = (height - 1 - first) as u64 * params.target_spacing_secs as u64;
    let actual = time_last as i64 - time_first as i64;
    let limit = U256::from_compact(params.pow_limit_bits).unwrap_or(U256::MAX);
    retarget(parent_bits, actual, expected, params.retarget_clamp, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::hash::Hash256;

    /// Bitcoin's proof-of-work limit, 0x00000000ffff...ff.
    fn bitcoin_limit() -> U256 {
        U256::MAX >> 32
    }

    #[test]
    fn bitcoin_difficulty_one_work() {
        assert_eq!(work_of(0x1d00ffff), U256::from_u64(0x1_0001_0001));
        assert_eq!(work_of(0x207fffff), U256::from_u64(2));
        assert_eq!(work_of(0), U256::ZERO);
    }

    /// The four cases of Bitcoin Core's `pow_tests.cpp` (`get_next_work*`): real
    /// mainnet retargets with Bitcoin's two-week window.
    #[test]
    fn bitcoin_core_retarget_vectors() {
        let expected = 14 * 24 * 60 * 60;
        // Block 32256: 30240 at 1261130161, 32255 at 1262152739.
        assert_eq!(
            retarget(
                0x1d00ffff,
                1262152739 - 1261130161,
                expected,
                4,
                bitcoin_limit()
            ),
            0x1d00d86a
        );
        // Block 2016: capped at the limit.
        assert_eq!(
            retarget(
                0x1d00ffff,
                1233061996 - 1231006505,
                expected,
                4,
                bitcoin_limit()
            ),
            0x1d00ffff
        );
        // Block 68544: timespan below the lower clamp.
        assert_eq!(
            retarget(
                0x1c05a3f4,
                1279297671 - 1279008237,
                expected,
                4,
                bitcoin_limit()
            ),
            0x1c0168fd
        );
        // Block 48384: timespan above the upper clamp.
        assert_eq!(
            retarget(
                0x1c387f6f,
                1269211443 - 1263163443,
                expected,
                4,
                bitcoin_limit()
            ),
            0x1d00e1fd
        );
    }

    fn header(prev: &str, root: &str, time: u32, bits: u32, nonce: u32) -> BlockHeader {
        BlockHeader {
            version: 1,
            prev: Hash256::from_hex(prev).unwrap(),
            merkle_root: Hash256::from_hex(root).unwrap(),
            time,
            bits,
            nonce,
        }
    }

    /// Real Bitcoin mainnet headers pass the check, and a changed nonce fails it.
    #[test]
    fn bitcoin_mainnet_headers_pass_pow() {
        let limit = 0x1d00ffff;
        let b1 = header(
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
            "0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098",
            1231469665,
            0x1d00ffff,
            2573394689,
        );
        assert_eq!(
            b1.hash().to_hex(),
            "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"
        );
        let b100000 = header(
            "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250",
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
            1293623863,
            0x1b04864c,
            274148111,
        );
        assert_eq!(
            b100000.hash().to_hex(),
            "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506"
        );
        for h in [b1, b100000] {
            assert_eq!(check_pow(&h, limit), Ok(()));
            let mut bad = h;
            bad.nonce ^= 1;
            assert_eq!(check_pow(&bad, limit), Err(BlockError::BadProofOfWork));
        }
        let mut easy = b1;
        easy.bits = 0x1e00ffff;
        assert_eq!(check_pow(&easy, limit), Err(BlockError::InvalidTarget));
        easy.bits = 0x1d80ffff;
        assert_eq!(check_pow(&easy, limit), Err(BlockError::InvalidTarget));
    }

    #[test]
    fn median_of_times() {
        assert_eq!(median_time_past(&[]), 0);
        assert_eq!(median_time_past(&[5]), 5);
        assert_eq!(median_time_past(&[9, 1, 5]), 5);
        assert_eq!(median_time_past(&[4, 1, 3, 2]), 3);
    }

    #[test]
    fn retarget_clamps_and_caps() {
        let mut p = NetworkParams::devnet(10);
        p.retarget_interval = 4;
        let bits = 0x1e00ffff;
        let t = U256::from_compact(bits).unwrap();
        // Not a retarget height: parent's bits whatever the times.
        assert_eq!(next_bits(&p, 5, bits, 1000, 0), bits);
        // Exactly on schedule: unchanged. The first window starts at block 1, not at
        // genesis, so it spans two intervals (blocks 1 to 3), not four.
        assert_eq!(retarget_first(&p, 4), Some(1));
        assert_eq!(next_bits(&p, 4, bits, 20, 0), bits);
        assert_eq!(retarget_first(&p, 8), Some(3));
        assert_eq!(next_bits(&p, 8, bits, 40, 0), bits);
        // Far too fast: target divided by the clamp (4), not more.
        let fast = next_bits(&p, 8, bits, 100, 100);
        assert_eq!(fast, t.mul_div_u64(1, 4).unwrap().to_compact());
        // Far too slow: multiplied by 4, not more.
        let slow = next_bits(&p, 8, bits, 1_000_000, 0);
        assert_eq!(slow, t.mul_div_u64(4, 1).unwrap().to_compact());
        // Times going backwards count as the lower clamp.
        assert_eq!(next_bits(&p, 8, bits, 0, 100), fast);
        // Capped at the limit.
        assert_eq!(
            next_bits(&p, 8, p.pow_limit_bits, 1_000_000, 0),
            p.pow_limit_bits
        );
        // A window without an interval (interval 2: blocks 1 to 1) does not retarget.
        p.retarget_interval = 2;
        assert_eq!(retarget_first(&p, 2), None);
        assert_eq!(next_bits(&p, 2, bits, 1_000_000, 0), bits);
        assert_eq!(retarget_first(&p, 4), Some(1));
        // Interval 0 never retargets.
        assert_eq!(
            next_bits(&NetworkParams::regtest(), 100, 0x207fffff, 9, 0),
            0x207fffff
        );
    }
}
