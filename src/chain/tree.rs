//! The block tree: every known header, the block data received, the active chain
//! with its ledger, and fork choice by most cumulative work.
//!
//! Headers come first (each with valid proof of work and a known parent, so an
//! attacker cannot fill memory cheaply); block data follows. A block becomes a
//! *candidate* once it and all its ancestors have data; the candidate with the most
//! cumulative work wins, ties going to the one that became a candidate first (so a
//! tip is never replaced by an equal-work rival). Blocks are validated against the
//! ledger only when the chain switches to them; one that fails is marked invalid with
//! all its descendants and the choice is made again.

use super::block::{Block, HashedBlock};
use super::error::BlockError;
use super::hash::Hash256;
use super::hash::HashMap256;
use super::header::{BlockHeader, HashedHeader};
use super::merkle::merkle_root;
use super::params::NetworkParams;
use super::pow::{is_retarget_height, median_in_place, next_bits, work_of};
use super::state::{Ledger, Undo};
use super::tx::{AccountId, Coinbase, Transaction, Transfer};
use super::u256::U256;
use super::validate::{
    body_matches_header, check_block_stateless, check_hashed_header_contextual, HeaderContext,
    TxContext,
};
use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Most headers in one answer to a header request: what [`Chain::headers_after`]
/// returns whatever the caller asks, and what one `headers` message may carry.
pub const MAX_HEADERS: usize = 2000;
/// Most hashes in a block locator: what [`Chain::locator`] builds, and what one
/// `get-headers` message may carry.
pub const MAX_LOCATOR: usize = 64;

/// What the chain knows about a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockStatus {
    /// Header accepted, no block data yet.
    HeaderOnly,
    /// Data stored and passed the stateless checks, not yet validated against a ledger.
    HaveData,
    /// Connected to the active chain at least once: fully valid.
    Valid,
    /// The block or an ancestor broke a rule. Its data is dropped.
    Invalid,
}

/// Result of a successful [`Chain::accept_header`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderOutcome {
    /// The header was new and is now stored.
    New,
    /// The header was already known; nothing changed.
    AlreadyKnown,
}

/// Result of a successful [`Chain::accept_block`]: the net change of the active chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockOutcome {
    /// The block's hash.
    pub hash: Hash256,
    /// The data was already stored: nothing changed (not misbehaviour).
    pub already_had: bool,
    /// The active tip is different from before the call.
    pub tip_changed: bool,
    /// Blocks disconnected from the old chain (`disconnected.len()`).
    pub reorg_depth: usize,
    /// Blocks connected, in height order.
    pub connected: Vec<Hash256>,
    /// Blocks disconnected, old tip first; their transfers may go back to the mempool.
    pub disconnected: Vec<Block>,
    /// Other blocks (descendants of this one that arrived earlier) found invalid while
    /// switching chains, with the reason.
    pub invalidated: Vec<(Hash256, BlockError)>,
    /// Blocks whose whole ancestry has data since this call (this block and
    /// descendants that arrived before it), parents before children, without any found
    /// invalid. Persisting exactly these, in this order, keeps a block file in which
    /// every block's parent comes before it.
    pub linked: Vec<Hash256>,
}

/// Index of an [`Entry`] in [`Chain::entries`]; [`NONE`] for "no such entry".
type Idx = u32;

/// The absent index: genesis's parent, a leaf's first child, a last sibling.
const NONE: Idx = Idx::MAX;

/// Everything the chain keeps about one known header, in one place: a look-up by hash
/// is one probe of [`Chain::index`] and one read of [`Chain::entries`], and walks
/// through the tree (ancestors, children) follow indices without hashing.
#[derive(Clone, Debug)]
struct Entry {
    hash: Hash256,
    header: BlockHeader,
    work: U256,
    /// Set when the block and all its ancestors have data; orders equal-work candidates.
    seq: Option<u64>,
    /// Block data, shared (`Arc`) with the messages that carry it and, in the
    /// simulator, with the other nodes that have it. `None` until it arrives, and again
    /// once the block is found invalid.
    block: Option<Arc<Block>>,
    /// What undoes the block on the ledger, while it is on the active chain (never for
    /// genesis).
    undo: Option<Undo>,
    height: u32,
    status: BlockStatus,
    /// The parent's index ([`NONE`] for genesis).
    parent: Idx,
    /// The children form a list in the order their headers arrived: the first and
    /// last child here, each child pointing to the next. No allocation per block.
    first_child: Idx,
    last_child: Idx,
    next_sibling: Idx,
}

/// The last few entries added to a [`Chain`], by index and hash prefix.
#[derive(Clone, Debug)]
struct RecentIndex {
    /// (first 8 bytes of the hash, index); unused places hold [`NONE`].
    items: [(u64, Idx); 4],
    /// The place the next entry overwrites.
    next: usize,
}

impl Default for RecentIndex {
    fn default() -> RecentIndex {
        RecentIndex {
            items: [(0, NONE); 4],
            next: 0,
        }
    }
}

impl RecentIndex {
    fn key(hash: &Hash256) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&hash.0[..8]);
        u64::from_le_bytes(w)
    }

    fn push(&mut self, hash: &Hash256, i: Idx) {
        self.items[self.next] = (Self::key(hash), i);
        self.next = (self.next + 1) % self.items.len();
    }
}

/// Largest median-time-past window computed without a heap allocation.
const MTP_STACK_WINDOW: usize = 32;

type CandidateKey = (U256, Reverse<u64>, Hash256);

/// The block tree and the state of its active chain.
///
/// `repr(C)` keeps the fields in this order, the ones most look-ups read first (a
/// simulator holds thousands of chains and touches a different one at each event).
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Chain {
    active: Vec<Hash256>,
    /// Cumulative work of the active tip, kept with `active`.
    active_tip_work: U256,
    /// Cumulative work of `best_header` (entries are immutable in work).
    best_header_work: U256,
    best_header: Hash256,
    invalid_marks: u64,
    /// Every known header with what is known about its block, in the order the headers
    /// were accepted (genesis first): an entry's index is its header sequence, which
    /// breaks ties between equal-work headers. Nothing is ever removed.
    entries: Vec<Entry>,
    /// The index in `entries` of each known hash.
    index: HashMap256<Idx>,
    /// The newest entries' indices with the first 8 bytes of their hash, looked at
    /// before `index` ([`Chain::find`]).
    recent: RecentIndex,
    best_header_chain: Vec<Hash256>,
    candidates: BTreeSet<CandidateKey>,
    next_seq: u64,
    /// The header times of `active`, index for index: the median time past of an
    /// active block reads them in one place instead of walking the tree.
    active_times: Vec<u32>,
    ledger: Ledger,
    params: NetworkParams,
    network_id: Hash256,
}

impl Chain {
    /// A chain holding only the genesis block of `params`, connected.
    pub fn new(params: NetworkParams) -> Chain {
        let genesis = params.genesis_block();
        let genesis_time = genesis.header.time;
        let hash = genesis.hash();
        let work = work_of(genesis.header.bits);
        let mut ledger = Ledger::new();
        ledger.apply_genesis(&genesis);
        let entries = vec![Entry {
            hash,
            header: genesis.header,
            work,
            seq: Some(0),
            block: Some(Arc::new(genesis)),
            undo: None,
            height: 0,
            status: BlockStatus::Valid,
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
        }];
        let mut index = HashMap256::default();
        index.insert(hash, 0);
        let mut candidates = BTreeSet::new();
        candidates.insert((work, Reverse(0), hash));
        Chain {
            params,
            network_id: hash,
            entries,
            index,
            recent: RecentIndex::default(),
            active: vec![hash],
            active_times: vec![genesis_time],
            ledger,
            candidates,
            next_seq: 1,
            best_header: hash,
            best_header_work: work,
            active_tip_work: work,
            best_header_chain: vec![hash],
            invalid_marks: 0,
        }
    }

    /// How many blocks the fork choice still considers: linked blocks with at least
    /// the active tip's work (the tip among them).
    pub fn candidate_count(&self) -> usize {
        self.candidates.len()
    }

    /// The network parameters.
    pub fn params(&self) -> &NetworkParams {
        &self.params
    }

    /// The network id (genesis hash), cached.
    pub fn network_id(&self) -> Hash256 {
        self.network_id
    }

    /// Hash of the active tip.
    pub fn tip(&self) -> Hash256 {
        *self.active.last().expect("the active chain holds genesis")
    }

    /// Height of the active tip.
    pub fn height(&self) -> u32 {
        (self.active.len() - 1) as u32
    }

    /// Cumulative work of the active chain.
    pub fn tip_work(&self) -> U256 {
        self.active_tip_work
    }

    /// Cumulative work of the chain ending at a known header.
    pub fn chain_work(&self, hash: &Hash256) -> Option<U256> {
        self.entry(hash).map(|e| e.work)
    }

    /// A known header.
    pub fn header(&self, hash: &Hash256) -> Option<&BlockHeader> {
        self.entry(hash).map(|e| &e.header)
    }

    /// Height of a known header (on any branch).
    pub fn height_of(&self, hash: &Hash256) -> Option<u32> {
        self.entry(hash).map(|e| e.height)
    }

    /// Stored block data (none for invalid blocks).
    pub fn block(&self, hash: &Hash256) -> Option<&Block> {
        self.entry(hash)?.block.as_deref()
    }

    /// The block's data as a shared handle (no copy), if stored.
    pub fn shared_block(&self, hash: &Hash256) -> Option<Arc<Block>> {
        self.entry(hash)?.block.clone()
    }

    /// Hash of the active chain's block at `height`.
    pub fn hash_at(&self, height: u32) -> Option<Hash256> {
        self.active.get(height as usize).copied()
    }

    /// The hash and height of `header` if it is already known, found through its
    /// parent's children by comparing the 80 bytes: no hashing. `None` means "not
    /// found this way" (unknown, or genesis, which has no parent entry).
    pub fn find_known_header(&self, header: &BlockHeader) -> Option<(Hash256, u32)> {
        let parent = self.find(&header.prev)?;
        self.children(parent).find_map(|c| {
            let e = &self.entries[c as usize];
            (e.header == *header).then_some((e.hash, e.height))
        })
    }

    /// How many times headers were marked invalid so far: a caller that remembers
    /// valid headers knows its memory still holds while this has not changed.
    pub fn invalid_marks(&self) -> u64 {
        self.invalid_marks
    }

    /// True if the header is known (valid or not).
    pub fn contains(&self, hash: &Hash256) -> bool {
        self.find(hash).is_some()
    }

    /// True if the block data is stored.
    pub fn has_block(&self, hash: &Hash256) -> bool {
        self.entry(hash).is_some_and(|e| e.block.is_some())
    }

    /// True if the block is known to be invalid.
    pub fn is_invalid(&self, hash: &Hash256) -> bool {
        self.status(hash) == Some(BlockStatus::Invalid)
    }

    /// What is known about a block.
    pub fn status(&self, hash: &Hash256) -> Option<BlockStatus> {
        self.entry(hash).map(|e| e.status)
    }

    /// True if the block is on the active chain.
    pub fn is_active(&self, hash: &Hash256) -> bool {
        self.entry(hash).is_some_and(|e| self.on_active(e))
    }

    /// The ledger at the active tip.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Balance of an account at the active tip.
    pub fn balance(&self, id: &AccountId) -> u64 {
        self.ledger.balance(id)
    }

    /// Next sequence of an account at the active tip.
    pub fn next_sequence(&self, id: &AccountId) -> u64 {
        self.ledger.next_sequence(id)
    }

    /// Number of headers known (all branches, invalid included).
    pub fn header_count(&self) -> usize {
        self.entries.len()
    }

    /// The ancestor of `hash` at `height` (`hash` itself at its own height).
    pub fn ancestor(&self, hash: &Hash256, height: u32) -> Option<Hash256> {
        let mut e = self.entry(hash)?;
        loop {
            if e.height < height {
                return None;
            }
            if e.height == height {
                return Some(e.hash);
            }
            if self.on_active(e) {
                return self.hash_at(height);
            }
            // Above `height`, so not genesis: the parent exists.
            e = &self.entries[e.parent as usize];
        }
    }

    /// Median time past at a known block: the median time of it and up to
    /// `mtp_window - 1` ancestors. A child's time must exceed it.
    pub fn median_time_past(&self, hash: &Hash256) -> Option<u32> {
        self.entry(hash).map(|e| self.median_time_past_of(e))
    }

    /// Bits required of a child of `parent`, or `None` if `parent` is unknown.
    pub fn next_bits(&self, parent: &Hash256) -> Option<u32> {
        self.entry(parent).map(|p| self.next_bits_of(p))
    }

    /// Checks and stores a header (headers-first sync).
    ///
    /// # Errors
    /// [`BlockError::KnownInvalid`], [`BlockError::UnknownParent`],
    /// [`BlockError::InvalidAncestor`], or a contextual header rule
    /// (see [`check_header_contextual`]). Nothing is stored on error.
    pub fn accept_header(
        &mut self,
        header: &BlockHeader,
        now: u64,
    ) -> Result<HeaderOutcome, BlockError> {
        self.accept_hashed_header(&HashedHeader::new(*header), now)
    }

    /// [`Chain::accept_header`] for a header whose hash is already known.
    ///
    /// # Errors
    /// As [`Chain::accept_header`].
    pub fn accept_hashed_header(
        &mut self,
        hashed: &HashedHeader,
        now: u64,
    ) -> Result<HeaderOutcome, BlockError> {
        let (header, hash) = (hashed.header(), hashed.hash());
        if let Some(e) = self.entry(&hash) {
            return match e.status {
                BlockStatus::Invalid => Err(BlockError::KnownInvalid),
                _ => Ok(HeaderOutcome::AlreadyKnown),
            };
        }
        let pi = self.find(&header.prev).ok_or(BlockError::UnknownParent)?;
        let parent = &self.entries[pi as usize];
        if parent.status == BlockStatus::Invalid {
            return Err(BlockError::InvalidAncestor);
        }
        let (height, parent_work) = (parent.height + 1, parent.work);
        let ctx = HeaderContext {
            expected_bits: self.next_bits_of(parent),
            mtp: self.median_time_past_of(parent),
            now,
        };
        check_hashed_header_contextual(hashed, &ctx, &self.params)?;
        let work = parent_work.saturating_add(work_of(header.bits));
        let i = Idx::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NONE)
            .expect("fewer than 2^32 - 1 headers");
        self.entries.push(Entry {
            hash,
            header: *header,
            work,
            seq: None,
            block: None,
            undo: None,
            height,
            status: BlockStatus::HeaderOnly,
            parent: pi,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
        });
        self.index.insert(hash, i);
        self.recent.push(&hash, i);
        let last = self.entries[pi as usize].last_child;
        if last == NONE {
            self.entries[pi as usize].first_child = i;
        } else {
            self.entries[last as usize].next_sibling = i;
        }
        self.entries[pi as usize].last_child = i;
        if work > self.best_header_work {
            self.set_best_header(i);
        }
        Ok(HeaderOutcome::New)
    }

    /// Checks and stores a block, then switches to the chain with the most work.
    ///
    /// Order: known-invalid, header checks (the header is accepted if new), stateless
    /// block checks, store, fork choice with full validation of the blocks connected.
    ///
    /// # Errors
    /// Any [`BlockError`]. If the block itself fails while being connected it is marked
    /// invalid (with its descendants) and the error returned; the active chain is then
    /// the same as before the call. A stateless failure marks the block invalid only if
    /// the body matches the header's merkle root (otherwise only this copy is bad).
    pub fn accept_block(&mut self, block: Block, now: u64) -> Result<BlockOutcome, BlockError> {
        self.accept_hashed_block(HashedBlock::new(block), now)
    }

    /// [`Chain::accept_block`] for a block whose hash is already known.
    ///
    /// # Errors
    /// As [`Chain::accept_block`].
    pub fn accept_hashed_block(
        &mut self,
        hashed: HashedBlock,
        now: u64,
    ) -> Result<BlockOutcome, BlockError> {
        let hash = hashed.hash();
        let i = match self.find(&hash) {
            Some(i) => {
                let e = &self.entries[i as usize];
                if e.status == BlockStatus::Invalid {
                    return Err(BlockError::KnownInvalid);
                }
                if e.block.is_some() {
                    return Ok(BlockOutcome {
                        hash,
                        already_had: true,
                        ..BlockOutcome::default()
                    });
                }
                i
            }
            None => {
                self.accept_hashed_header(&hashed.hashed_header(), now)?;
                // A new header is the last entry.
                let i = (self.entries.len() - 1) as Idx;
                debug_assert_eq!(self.entries[i as usize].hash, hash);
                i
            }
        };
        let block = hashed.into_shared();
        if let Err(e) = check_block_stateless(&block) {
            if e.is_permanent() && body_matches_header(&block) {
                self.mark_invalid(i);
            }
            return Err(e);
        }
        let e = &mut self.entries[i as usize];
        e.block = Some(block);
        e.status = BlockStatus::HaveData;
        let mut linked = self.link(i);
        let mut outcome = self.activate_best_chain();
        outcome.hash = hash;
        linked.retain(|&l| self.entries[l as usize].block.is_some());
        outcome.linked = linked
            .into_iter()
            .map(|l| self.entries[l as usize].hash)
            .collect();
        if let Some(pos) = outcome.invalidated.iter().position(|(h, _)| *h == hash) {
            let (_, e) = outcome.invalidated.remove(pos);
            debug_assert!(!outcome.tip_changed);
            return Err(e);
        }
        Ok(outcome)
    }

    /// Tip of the most-work valid header chain, and its height. It is the active tip
    /// unless some header chain has strictly more work (e.g. during sync).
    pub fn best_header(&self) -> (Hash256, u32) {
        if self.best_header_work > self.active_tip_work {
            (self.best_header, self.best_header_chain.len() as u32 - 1)
        } else {
            (self.tip(), self.height())
        }
    }

    /// True if the best header chain is ahead of the active chain, i.e. if
    /// [`Chain::missing_blocks`] can return anything.
    pub fn has_missing_blocks(&self) -> bool {
        self.best_header().0 != self.tip()
    }

    /// Up to `max` hashes on the best header chain, above its fork with the active
    /// chain, whose block data is missing; in height order.
    pub fn missing_blocks(&self, max: usize) -> Vec<Hash256> {
        let mut out = Vec::new();
        if self.best_header().0 == self.tip() {
            return out;
        }
        // Highest common height of the two chains (binary search: they agree on a
        // prefix), found at once in the usual case of a best chain extending the tip.
        let (a, b) = (&self.active, &self.best_header_chain);
        let (mut lo, mut hi) = (0usize, a.len().min(b.len()));
        if b.get(a.len() - 1) == a.last() {
            lo = a.len() - 1;
            hi = lo + 1;
        }
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if a[mid] == b[mid] {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        for h in &b[lo + 1..] {
            if out.len() >= max {
                break;
            }
            if !self.has_block(h) {
                out.push(*h);
            }
        }
        out
    }

    /// A block locator of the active chain: the last 10 hashes one by one, then steps
    /// doubling, always ending with genesis; at most [`MAX_LOCATOR`] entries.
    pub fn locator(&self) -> Vec<Hash256> {
        let mut v = Vec::new();
        let mut h = self.height() as i64;
        let mut step = 1i64;
        while h > 0 && v.len() < MAX_LOCATOR - 1 {
            v.push(self.active[h as usize]);
            if v.len() >= 10 {
                step *= 2;
            }
            h -= step;
        }
        v.push(self.active[0]);
        v
    }

    /// Headers of the active chain after the first `locator` hash found on it (after
    /// genesis if none is), up to and including `stop`, at most `max` (capped at
    /// [`MAX_HEADERS`]).
    pub fn headers_after(
        &self,
        locator: &[Hash256],
        stop: &Hash256,
        max: usize,
    ) -> Vec<BlockHeader> {
        self.hashed_headers_after(locator, stop, max)
            .into_iter()
            .map(|h| *h.header())
            .collect()
    }

    /// [`Chain::headers_after`] with each header's hash (stored, not recomputed).
    pub fn hashed_headers_after(
        &self,
        locator: &[Hash256],
        stop: &Hash256,
        max: usize,
    ) -> Vec<HashedHeader> {
        let start = locator
            .iter()
            .find_map(|h| self.entry(h).filter(|e| self.on_active(e)))
            .map(|e| e.height as usize + 1)
            .unwrap_or(1);
        let max = max.min(MAX_HEADERS);
        let mut out = Vec::new();
        for h in self.active.iter().skip(start) {
            if out.len() >= max {
                break;
            }
            let e = self.entry(h).expect("active blocks are known");
            out.push(HashedHeader::known(e.header, *h));
            if h == stop {
                break;
            }
        }
        out
    }

    /// A block on the active tip paying `miner`: time `max(now, mtp + 1)`, the
    /// required bits, a coinbase of reward plus the fees of `transfers` (in the given
    /// order; the caller makes them valid and small enough), merkle root set, nonce 0.
    pub fn block_template(
        &self,
        miner: AccountId,
        transfers: Vec<Transfer>,
        now: u64,
        extra_nonce: u64,
    ) -> Block {
        let parent = self.tip();
        let height = self.height() + 1;
        let mtp = self.median_time_past(&parent).expect("tip is known");
        let time = now.min(u32::MAX as u64).max(mtp as u64 + 1) as u32;
        let fees = transfers
            .iter()
            .fold(0u64, |acc, t| acc.saturating_add(t.fee));
        let mut txs = Vec::with_capacity(transfers.len() + 1);
        txs.push(Transaction::Coinbase(Coinbase {
            height,
            recipient: miner,
            amount: self.params.block_reward.saturating_add(fees),
            extra_nonce,
        }));
        txs.extend(transfers.into_iter().map(Transaction::Transfer));
        let ids: Vec<Hash256> = txs.iter().map(|t| t.txid()).collect();
        Block {
            header: BlockHeader {
                version: 1,
                prev: parent,
                merkle_root: merkle_root(&ids).0,
                time,
                bits: self.next_bits(&parent).expect("tip is known"),
                nonce: 0,
            },
            txs,
        }
    }

    // ---- internals ----

    /// The index of `hash`'s entry. Most look-ups are of the newest blocks (the one
    /// being announced, its parent, the tip): those are found in `recent`, one cache
    /// line next to the chain's other hot fields, without probing the index, which a
    /// simulator holding thousands of chains cannot keep in cache.
    fn find(&self, hash: &Hash256) -> Option<Idx> {
        let key = RecentIndex::key(hash);
        for &(k, i) in &self.recent.items {
            if k == key && i != NONE && self.entries[i as usize].hash == *hash {
                return Some(i);
            }
        }
        self.index.get(hash).copied()
    }

    /// The entry of `hash`, if known.
    fn entry(&self, hash: &Hash256) -> Option<&Entry> {
        self.find(hash).map(|i| &self.entries[i as usize])
    }

    /// The index of a hash known to be stored.
    fn idx(&self, hash: &Hash256) -> Idx {
        self.find(hash).expect("the hash is known")
    }

    /// The children of entry `i`, in the order their headers arrived.
    fn children(&self, i: Idx) -> impl Iterator<Item = Idx> + '_ {
        let first = self.entries[i as usize].first_child;
        std::iter::successors((first != NONE).then_some(first), |&c| {
            let next = self.entries[c as usize].next_sibling;
            (next != NONE).then_some(next)
        })
    }

    /// True if the entry is on the active chain.
    fn on_active(&self, e: &Entry) -> bool {
        self.active.get(e.height as usize) == Some(&e.hash)
    }

    /// [`Chain::median_time_past`] of a known entry.
    fn median_time_past_of(&self, e: &Entry) -> u32 {
        let window = self.params.mtp_window.max(1) as usize;
        // The usual small window on the stack: this runs for every new header.
        let mut stack = [0u32; MTP_STACK_WINDOW];
        let mut heap = Vec::new();
        let buf: &mut [u32] = if window <= MTP_STACK_WINDOW {
            &mut stack[..window]
        } else {
            heap.resize(window, 0);
            &mut heap
        };
        let h = e.height as usize;
        let n = if self.on_active(e) {
            // Usually the parent of a new header is the active tip: its ancestors'
            // times are the end of `active_times`.
            let lo = (h + 1).saturating_sub(window);
            buf[..=h - lo].copy_from_slice(&self.active_times[lo..=h]);
            h + 1 - lo
        } else {
            let mut n = 0;
            let mut e = e;
            loop {
                buf[n] = e.header.time;
                n += 1;
                if n == window || e.height == 0 {
                    break n;
                }
                e = &self.entries[e.parent as usize];
            }
        };
        median_in_place(&mut buf[..n])
    }

    /// [`Chain::next_bits`] of a known parent entry.
    fn next_bits_of(&self, p: &Entry) -> u32 {
        let height = p.height + 1;
        if !is_retarget_height(&self.params, height) {
            return p.header.bits;
        }
        let first_height = p.height.saturating_sub(self.params.retarget_interval);
        let first = self
            .ancestor(&p.hash, first_height)
            .expect("a known entry has ancestors down to genesis");
        let time_first = self.entries[self.idx(&first) as usize].header.time;
        next_bits(
            &self.params,
            height,
            p.header.bits,
            p.header.time,
            time_first,
        )
    }

    fn set_best_header(&mut self, i: Idx) {
        let e = &self.entries[i as usize];
        self.best_header = e.hash;
        self.best_header_work = e.work;
        let mut path = Vec::new();
        let mut x = i;
        loop {
            let e = &self.entries[x as usize];
            if self.best_header_chain.get(e.height as usize) == Some(&e.hash) {
                self.best_header_chain.truncate(e.height as usize + 1);
                break;
            }
            path.push(e.hash);
            x = e.parent;
        }
        self.best_header_chain.extend(path.into_iter().rev());
    }

    /// Gives entry `i` (whose data just arrived) and its waiting descendants a
    /// candidate sequence if their whole ancestry has data; returns them, parents
    /// first.
    fn link(&mut self, i: Idx) -> Vec<Idx> {
        let mut linked = Vec::new();
        let prev = self.entries[i as usize].parent;
        if prev == NONE || self.entries[prev as usize].seq.is_none() {
            return linked;
        }
        let mut queue = std::collections::VecDeque::from([i]);
        while let Some(x) = queue.pop_front() {
            let e = &mut self.entries[x as usize];
            if e.seq.is_some() || e.status == BlockStatus::Invalid {
                continue;
            }
            let seq = self.next_seq;
            self.next_seq += 1;
            e.seq = Some(seq);
            // A block with less work than the tip can never be chosen (the tip is
            // valid and stays a candidate): not a candidate.
            if e.work >= self.active_tip_work {
                self.candidates.insert((e.work, Reverse(seq), e.hash));
            }
            linked.push(x);
            for c in self.children(x) {
                if self.entries[c as usize].block.is_some() {
                    queue.push_back(c);
                }
            }
        }
        linked
    }

    fn mark_invalid(&mut self, i: Idx) {
        self.invalid_marks += 1;
        let hash = self.entries[i as usize].hash;
        let mut stack = vec![i];
        let mut best_lost = false;
        while let Some(x) = stack.pop() {
            let e = &mut self.entries[x as usize];
            e.status = BlockStatus::Invalid;
            if let Some(seq) = e.seq.take() {
                self.candidates.remove(&(e.work, Reverse(seq), e.hash));
            }
            e.block = None;
            best_lost |= e.hash == self.best_header;
            stack.extend(self.children(x));
        }
        if best_lost || self.best_header_chain.contains(&hash) {
            // The header sequence is the index: the key is unique, so the result does
            // not depend on the order of iteration.
            let best = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.status != BlockStatus::Invalid)
                .max_by_key(|(x, e)| (e.work, Reverse(*x)))
                .map(|(x, _)| x as Idx)
                .expect("genesis is valid");
            self.set_best_header(best);
        }
    }

    fn connect(&mut self, i: Idx) -> Result<(), BlockError> {
        let e = &self.entries[i as usize];
        let ctx = TxContext {
            network_id: self.network_id,
            verify_signatures: e.status != BlockStatus::Valid,
        };
        let block = e.block.as_ref().expect("candidates have data");
        let undo = self
            .ledger
            .apply_block_with(block, e.height, &self.params, &ctx)?;
        self.active.push(e.hash);
        self.active_times.push(e.header.time);
        self.active_tip_work = e.work;
        let e = &mut self.entries[i as usize];
        e.undo = Some(undo);
        e.status = BlockStatus::Valid;
        Ok(())
    }

    fn disconnect_tip(&mut self) {
        let h = self.active.pop().expect("never disconnects genesis");
        self.active_times.pop();
        let i = self.idx(&h);
        let e = &mut self.entries[i as usize];
        let undo = e.undo.take().expect("active blocks have undo data");
        let parent = e.parent;
        self.active_tip_work = self.entries[parent as usize].work;
        self.ledger.undo_block(undo);
    }

    /// The nearest ancestor of entry `i` (itself included) on the active chain.
    fn fork_point(&self, i: Idx) -> Idx {
        let mut x = i;
        loop {
            let e = &self.entries[x as usize];
            if self.on_active(e) {
                return x;
            }
            x = e.parent;
        }
    }

    /// Drops the candidates with less work than the active tip. The tip is valid, so
    /// it is never marked invalid and stays a candidate: they could never be chosen
    /// again, and without pruning the set would grow by every block ever linked.
    fn prune_candidates(&mut self) {
        let floor = (self.active_tip_work, Reverse(u64::MAX), Hash256::ZERO);
        if self.candidates.first().is_some_and(|k| *k < floor) {
            self.candidates.retain(|k| *k >= floor);
        }
    }

    fn activate_best_chain(&mut self) -> BlockOutcome {
        let start_tip = self.tip();
        let mut invalidated = Vec::new();
        loop {
            let best = self.candidates.last().expect("genesis is a candidate").2;
            if best == self.tip() {
                break;
            }
            let best = self.idx(&best);
            let fork = self.fork_point(best);
            let fork_hash = self.entries[fork as usize].hash;
            while self.tip() != fork_hash {
                self.disconnect_tip();
            }
            let mut path = Vec::new();
            let mut x = best;
            while x != fork {
                path.push(x);
                x = self.entries[x as usize].parent;
            }
            for x in path.into_iter().rev() {
                if let Err(e) = self.connect(x) {
                    self.mark_invalid(x);
                    invalidated.push((self.entries[x as usize].hash, e));
                    break;
                }
            }
        }
        self.prune_candidates();
        let start = self.idx(&start_tip);
        let fork = self.fork_point(start);
        let mut disconnected = Vec::new();
        let mut x = start;
        while x != fork {
            // Blocks that left the active chain were valid, so their data is kept.
            let e = &self.entries[x as usize];
            let block = e.block.as_ref().expect("blocks that were active have data");
            disconnected.push(Block::clone(block));
            x = e.parent;
        }
        let fork_height = self.entries[fork as usize].height as usize;
        BlockOutcome {
            hash: Hash256::ZERO,
            already_had: false,
            tip_changed: self.tip() != start_tip,
            reorg_depth: disconnected.len(),
            connected: self.active[fork_height + 1..].to_vec(),
            disconnected,
            invalidated,
            linked: Vec::new(),
        }
    }
}
