//! Headers presync (after Bitcoin Core's `HeadersSyncState`, PR 25717): following one
//! peer's branch without storing it until its cumulative work reaches a target, then
//! checking its redownload against a salted commitment before it is stored.
//!
//! A branch is first *presynced*: each header must chain onto the last, meet its own
//! `bits` and the network's limit, and keep a permitted difficulty (the parent's bits,
//! or at a retarget height a change within the retarget clamp). Nothing is kept but
//! the last header, the height, the cumulative work, the count, and one commitment bit
//! every [`COMMIT_PERIOD`] headers (a bit of a salted hash of the header hash; the
//! salt is secret to this node). Once the work exceeds the target the branch is
//! *redownloaded* from its fork point: each header must chain again and match the
//! commitment bit at its height; a message whose headers all pass is handed back to be
//! stored (with the full contextual checks). A peer that swaps the branch during the
//! redownload is caught by the first mismatching bit, before anything of that message
//! is stored.
//!
//! Memory per session: a fixed part plus one bit per [`COMMIT_PERIOD`] headers of a
//! branch of at most `max_len` headers.

use super::error::BlockError;
use super::hash::Hash256;
use super::header::{BlockHeader, HashedHeader};
use super::params::NetworkParams;
use super::pow::{check_pow_hashed, is_retarget_height, retarget, work_of};
use super::u256::U256;
use sha2::{Digest, Sha256};

/// One commitment bit is kept per this many presynced headers.
pub const COMMIT_PERIOD: u32 = 64;

/// Why a presync session ended without storing its branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresyncError {
    /// A header does not chain onto the previous one.
    NotConnected,
    /// A header breaks a context-free rule (proof of work, bits, difficulty change).
    Invalid(BlockError),
    /// The branch ended (a short `headers` message) with too little work.
    TooLittleWork,
    /// The branch grew past the most headers a session follows.
    TooLong,
    /// A redownloaded header does not match what was presynced.
    CommitmentMismatch,
}

impl std::fmt::Display for PresyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PresyncError::NotConnected => f.write_str("presync headers do not connect"),
            PresyncError::Invalid(e) => write!(f, "invalid presync header: {e}"),
            PresyncError::TooLittleWork => f.write_str("low-work branch ended below the target"),
            PresyncError::TooLong => f.write_str("presync branch too long"),
            PresyncError::CommitmentMismatch => {
                f.write_str("redownloaded headers differ from the presynced branch")
            }
        }
    }
}

/// What to do after feeding a presync session a `headers` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresyncStep {
    /// Still below the target: ask the peer for the headers after this hash.
    More(Hash256),
    /// The target was reached: redownload from this hash (the fork point).
    Redownload(Hash256),
    /// Redownloading: store these headers (in order), then ask for the headers after
    /// the last of them.
    Store(Vec<BlockHeader>),
    /// The redownload reached the presynced end: store these; the session is over and
    /// the rest of the branch is handled like any stored branch.
    Done(Vec<BlockHeader>),
}

/// The last header seen on a walk along the branch.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    hash: Hash256,
    bits: u32,
    height: u32,
}

/// One peer's presync (then redownload) of one branch.
#[derive(Clone, Debug)]
pub struct Presync {
    salt: [u8; 16],
    /// The stored header the branch forks from.
    start: Cursor,
    start_work: U256,
    target: U256,
    max_len: u32,
    /// Presync: the last header, and the work up to it.
    last: Cursor,
    work: U256,
    /// Commitment bits, one per [`COMMIT_PERIOD`] heights from `start`.
    commits: Vec<u64>,
    commit_count: u32,
    /// `Some` once redownloading: the last header handed back, and the presynced end.
    redownload: Option<(Cursor, u32)>,
}

impl Presync {
    /// A session for a branch forking from the stored header `start` (with its hash,
    /// height and cumulative work), to be stored once its work exceeds `target`,
    /// following at most `max_len` headers; `salt` is secret to this node.
    pub fn new(
        start: (&Hash256, &BlockHeader, u32, U256),
        target: U256,
        max_len: u32,
        salt: [u8; 16],
    ) -> Presync {
        let (hash, header, height, work) = start;
        let c = Cursor {
            hash: *hash,
            bits: header.bits,
            height,
        };
        Presync {
            salt,
            start: c,
            start_work: work,
            target,
            max_len,
            last: c,
            work,
            commits: Vec::new(),
            commit_count: 0,
            redownload: None,
        }
    }

    /// The hash the branch forks from.
    pub fn start(&self) -> Hash256 {
        self.start.hash
    }

    /// True while redownloading.
    pub fn redownloading(&self) -> bool {
        self.redownload.is_some()
    }

    /// Headers followed so far in the presync phase.
    pub fn len(&self) -> u32 {
        self.last.height - self.start.height
    }

    /// True before any header was followed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cumulative work of the presynced branch so far.
    pub fn work(&self) -> U256 {
        self.work
    }

    /// Bytes this session holds on the heap (its commitment bits).
    pub fn heap_bytes(&self) -> usize {
        self.commits.capacity() * 8
    }

    /// The most commitment bytes a session following `max_len` headers can hold.
    pub fn max_heap_bytes(max_len: u32) -> usize {
        (max_len / COMMIT_PERIOD) as usize / 64 * 8 + 8
    }

    /// True if `headers` continue this session: the first one's parent is where the
    /// current phase stands.
    pub fn continues(&self, headers: &[BlockHeader]) -> bool {
        let at = match self.redownload {
            Some((c, _)) => c.hash,
            None => self.last.hash,
        };
        headers.first().is_some_and(|h| h.prev == at)
    }

    /// Feeds the next `headers` message of the branch (`full`: it held the most one
    /// message may, so there may be more).
    ///
    /// # Errors
    /// A [`PresyncError`]; the session is then over.
    pub fn feed(
        &mut self,
        headers: &[BlockHeader],
        full: bool,
        params: &NetworkParams,
    ) -> Result<PresyncStep, PresyncError> {
        match self.redownload {
            None => self.feed_presync(headers, full, params),
            Some(_) => self.feed_redownload(headers, params),
        }
    }

    fn feed_presync(
        &mut self,
        headers: &[BlockHeader],
        full: bool,
        params: &NetworkParams,
    ) -> Result<PresyncStep, PresyncError> {
        for h in headers {
            let hashed = HashedHeader::new(*h);
            let next = self.check_next(&self.last, &hashed, params)?;
            if next.height - self.start.height > self.max_len {
                return Err(PresyncError::TooLong);
            }
            self.work = self.work.saturating_add(work_of(h.bits));
            if self.is_commit_height(next.height) {
                let bit = self.commit_bit(&next.hash);
                let i = self.commit_count as usize;
                if i / 64 >= self.commits.len() {
                    self.commits.push(0);
                }
                self.commits[i / 64] |= u64::from(bit) << (i % 64);
                self.commit_count += 1;
            }
            self.last = next;
            if self.work > self.target {
                self.redownload = Some((self.start, self.last.height));
                return Ok(PresyncStep::Redownload(self.start.hash));
            }
        }
        if full {
            Ok(PresyncStep::More(self.last.hash))
        } else {
            Err(PresyncError::TooLittleWork)
        }
    }

    fn feed_redownload(
        &mut self,
        headers: &[BlockHeader],
        params: &NetworkParams,
    ) -> Result<PresyncStep, PresyncError> {
        let (mut at, end) = self.redownload.expect("redownloading");
        let mut out = Vec::with_capacity(headers.len());
        for h in headers {
            let hashed = HashedHeader::new(*h);
            let next = self.check_next(&at, &hashed, params)?;
            if self.is_commit_height(next.height) {
                let i = ((next.height - self.start.height) / COMMIT_PERIOD - 1) as usize;
                let want = (self.commits[i / 64] >> (i % 64)) & 1 == 1;
                if self.commit_bit(&next.hash) != want {
                    return Err(PresyncError::CommitmentMismatch);
                }
            }
            at = next;
            out.push(*h);
            if at.height == end {
                // The rest of the message, if any, is the branch beyond the presynced
                // end: stored with the usual rules by the caller.
                self.redownload = Some((at, end));
                return Ok(PresyncStep::Done(out));
            }
        }
        self.redownload = Some((at, end));
        Ok(PresyncStep::Store(out))
    }

    /// Checks `h` as the child of `prev` (chaining, proof of work, permitted bits).
    fn check_next(
        &self,
        prev: &Cursor,
        h: &HashedHeader,
        params: &NetworkParams,
    ) -> Result<Cursor, PresyncError> {
        let header = h.header();
        if header.prev != prev.hash {
            return Err(PresyncError::NotConnected);
        }
        let height = prev.height + 1;
        if !permitted_bits(params, height, prev.bits, header.bits) {
            return Err(PresyncError::Invalid(BlockError::BadBits {
                expected: prev.bits,
                got: header.bits,
            }));
        }
        check_pow_hashed(h, params.pow_limit_bits).map_err(PresyncError::Invalid)?;
        Ok(Cursor {
            hash: h.hash(),
            bits: header.bits,
            height,
        })
    }

    fn is_commit_height(&self, height: u32) -> bool {
        (height - self.start.height).is_multiple_of(COMMIT_PERIOD)
    }

    fn commit_bit(&self, hash: &Hash256) -> bool {
        let mut s = Sha256::new();
        s.update(self.salt);
        s.update(hash.0);
        s.finalize()[0] & 1 == 1
    }

    /// Work the branch had at its fork point.
    pub fn start_work(&self) -> U256 {
        self.start_work
    }
}

/// True if a header at `height` whose parent has `parent_bits` may have `bits` without
/// knowing the branch's times: the parent's bits off a retarget height, and at one a
/// target within the retarget clamp of the parent's (capped at the limit).
pub fn permitted_bits(params: &NetworkParams, height: u32, parent_bits: u32, bits: u32) -> bool {
    if !is_retarget_height(params, height) {
        return bits == parent_bits;
    }
    let limit = U256::from_compact(params.pow_limit_bits).unwrap_or(U256::MAX);
    let expected = u64::from(params.retarget_interval) * u64::from(params.target_spacing_secs);
    let hardest = retarget(parent_bits, 0, expected, params.retarget_clamp, limit);
    let easiest = retarget(
        parent_bits,
        i64::MAX,
        expected,
        params.retarget_clamp,
        limit,
    );
    match (
        U256::from_compact(bits),
        U256::from_compact(hardest),
        U256::from_compact(easiest),
    ) {
        (Some(t), Some(lo), Some(hi)) => lo <= t && t <= hi,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(prev: Hash256, from_height: u32, n: u32, tag: u8) -> Vec<BlockHeader> {
        let p = NetworkParams::regtest();
        let mut prev = prev;
        (0..n)
            .map(|i| {
                let mut h = BlockHeader {
                    version: 1,
                    prev,
                    merkle_root: Hash256([tag; 32]),
                    time: p.genesis_time + from_height + i + 1,
                    bits: p.pow_limit_bits,
                    nonce: 0,
                };
                while check_pow_hashed(&HashedHeader::new(h), p.pow_limit_bits).is_err() {
                    h.nonce += 1;
                }
                prev = h.hash();
                h
            })
            .collect()
    }

    fn session(target_blocks: u64) -> (Presync, NetworkParams) {
        let p = NetworkParams::regtest();
        let g = p.genesis_block();
        let w = work_of(g.header.bits);
        let target = w.checked_mul_u64(target_blocks).unwrap();
        (
            Presync::new((&g.hash(), &g.header, 0, w), target, 100_000, [7; 16]),
            p,
        )
    }

    #[test]
    fn a_branch_is_presynced_then_redownloaded_and_handed_back() {
        let (mut s, p) = session(3000);
        let g = p.genesis_block().hash();
        let branch = chain(g, 0, 4000, 1);
        assert_eq!(
            s.feed(&branch[..2000], true, &p),
            Ok(PresyncStep::More(branch[1999].hash()))
        );
        // Work passes the target at header 3000 (genesis counts one block).
        assert_eq!(
            s.feed(&branch[2000..], true, &p),
            Ok(PresyncStep::Redownload(g))
        );
        assert!(s.redownloading());
        assert!(s.heap_bytes() <= Presync::max_heap_bytes(100_000));
        assert!(s.continues(&branch[..1]));
        assert_eq!(
            s.feed(&branch[..2000], true, &p),
            Ok(PresyncStep::Store(branch[..2000].to_vec()))
        );
        assert_eq!(
            s.feed(&branch[2000..4000], true, &p),
            Ok(PresyncStep::Done(branch[2000..3000].to_vec()))
        );
    }

    #[test]
    fn a_swapped_redownload_is_caught_within_a_few_periods() {
        let (mut s, p) = session(1000);
        let g = p.genesis_block().hash();
        let branch = chain(g, 0, 1200, 1);
        assert_eq!(s.feed(&branch, true, &p), Ok(PresyncStep::Redownload(g)));
        let other = chain(g, 0, 1200, 2);
        // Each commitment bit catches the swap with probability one half.
        assert_eq!(
            s.feed(&other, true, &p),
            Err(PresyncError::CommitmentMismatch)
        );
    }

    #[test]
    fn a_short_low_work_branch_or_a_broken_one_ends_the_session() {
        let (mut s, p) = session(5000);
        let g = p.genesis_block().hash();
        let branch = chain(g, 0, 2500, 1);
        assert!(matches!(
            s.feed(&branch[..2000], true, &p),
            Ok(PresyncStep::More(_))
        ));
        assert_eq!(
            s.feed(&branch[2000..], false, &p),
            Err(PresyncError::TooLittleWork)
        );
        let (mut s, _) = session(5000);
        assert_eq!(
            s.feed(&branch[1..3], true, &p),
            Err(PresyncError::NotConnected)
        );
        let (mut s, _) = session(5000);
        let mut bad = branch[..2].to_vec();
        bad[1].bits = 0x1d00_ffff;
        assert!(matches!(
            s.feed(&bad, true, &p),
            Err(PresyncError::Invalid(_))
        ));
        let p2 = NetworkParams::regtest();
        let gg = p2.genesis_block();
        let mut s = Presync::new(
            (&gg.hash(), &gg.header, 0, work_of(gg.header.bits)),
            U256::MAX,
            100,
            [1; 16],
        );
        assert_eq!(s.feed(&branch[..200], true, &p), Err(PresyncError::TooLong));
    }

    #[test]
    fn bits_may_change_only_at_retarget_heights_within_the_clamp() {
        let p = NetworkParams::main();
        assert!(p.retarget_interval > 0);
        let b = p.genesis_bits;
        assert!(permitted_bits(&p, 1, b, b));
        assert!(!permitted_bits(&p, 1, b, b - 1));
        let h = p.retarget_interval;
        assert!(permitted_bits(&p, h, b, b));
        assert!(!permitted_bits(&p, h, b, 0x0300_0001));
    }
}
