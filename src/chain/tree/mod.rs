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
//!
//! This file holds the data (the [`Chain`] and its entries, the limits) and the
//! read-only queries; the rest is one job per file: `index` (look-ups by hash and walks
//! through the tree), `accept` (header and block acceptance, the best header chain),
//! `fork_choice` (candidates, connecting and disconnecting, invalid subtrees) and
//! `locator` (block locators and the headers that answer them). Submodules import only
//! from this file. Block templates are the miner's (`crate::miner::template`).

mod accept;
mod fork_choice;
mod index;
mod locator;
mod tips;

pub use tips::{TipInfo, TreeBlockInfo};

use super::block::Block;
use super::error::BlockError;
use super::hash::Hash256;
use super::hash::HashMap256;
use super::header::BlockHeader;
use super::params::NetworkParams;
use super::pow::work_of;
use super::state::{Ledger, Undo};
use super::tx::AccountId;
use super::u256::U256;
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

type CandidateKey = (U256, Reverse<u64>, Hash256);

/// How a node chooses between candidate tips of equal work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TieBreak {
    /// The one whose whole ancestry had data first (the tip is never replaced by an
    /// equal-work rival).
    #[default]
    FirstSeen,
    /// A uniformly random one (Eyal and Sirer's defence against selfish mining): each
    /// candidate's rank is a keyed hash of its arrival sequence, so the choice is
    /// random but reproducible from the key.
    Random {
        /// The key (a seed).
        key: u64,
    },
}

impl TieBreak {
    /// The rank of the candidate that arrived `seq`-th; the smallest rank wins a tie.
    fn rank(self, seq: u64) -> u64 {
        match self {
            TieBreak::FirstSeen => seq,
            TieBreak::Random { key } => crate::rng::SplitMix64::new(seq ^ key).next_u64(),
        }
    }
}

/// The block tree and the state of its active chain.
#[derive(Clone, Debug)]
pub struct Chain {
    active: Vec<Hash256>,
    /// Cumulative work of the active tip, kept with `active`.
    active_tip_work: U256,
    /// Cumulative work of `best_header` (entries are immutable in work).
    best_header_work: U256,
    best_header: Hash256,
    /// Every known header with what is known about its block, in the order the headers
    /// were accepted (genesis first): an entry's index is its header sequence, which
    /// breaks ties between equal-work headers. Nothing is ever removed.
    entries: Vec<Entry>,
    /// The index in `entries` of each known hash.
    index: HashMap256<Idx>,
    best_header_chain: Vec<Hash256>,
    candidates: BTreeSet<CandidateKey>,
    next_seq: u64,
    /// The header times of `active`, index for index: the median time past of an
    /// active block reads them in one place instead of walking the tree.
    active_times: Vec<u32>,
    ledger: Ledger,
    params: NetworkParams,
    network_id: Hash256,
    tie_break: TieBreak,
}

impl Chain {
    /// A chain holding only the genesis block of `params`, connected.
    pub fn new(params: NetworkParams) -> Chain {
        Chain::with_tie_break(params, TieBreak::FirstSeen)
    }

    /// A chain holding only the genesis block of `params`, choosing between equal-work
    /// tips by `tie_break`.
    pub fn with_tie_break(params: NetworkParams, tie_break: TieBreak) -> Chain {
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
        candidates.insert((work, Reverse(tie_break.rank(0)), hash));
        Chain {
            params,
            network_id: hash,
            entries,
            index,
            active: vec![hash],
            active_times: vec![genesis_time],
            ledger,
            candidates,
            next_seq: 1,
            best_header: hash,
            best_header_work: work,
            active_tip_work: work,
            best_header_chain: vec![hash],
            tie_break,
        }
    }

    /// How many blocks the fork choice still considers: linked blocks with at least
    /// the active tip's work (the tip among them).
    pub fn candidate_count(&self) -> usize {
        self.candidates.len()
    }

    /// How equal-work tips are chosen between.
    pub fn tie_break(&self) -> TieBreak {
        self.tie_break
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

    /// Cumulative work of the best header chain (at least the active tip's).
    pub fn best_header_work(&self) -> U256 {
        self.best_header_work
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
}
