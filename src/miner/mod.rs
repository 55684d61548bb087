//! The miner: searches nonces for a block template in bounded batches.
//!
//! The event loop calls [`Miner::work`] with a nonce budget sized so a slice takes a few
//! milliseconds. The miner is deterministic given its template: no clock, no RNG. When
//! the 32-bit nonce range is exhausted it changes the coinbase's `extra_nonce` (or, in
//! a block without a coinbase, the header time) so the search goes on with a new
//! merkle root.

#[allow(unsafe_code)]
pub mod avx2;
#[allow(unsafe_code)]
pub mod avx512;
pub mod engine;
pub mod hasher;
pub mod sha256d;
#[allow(unsafe_code)]
pub mod shani;
pub mod template;

use crate::chain::block::Block;
use crate::chain::merkle::merkle_root;
use crate::chain::target::expand_compact;
use crate::chain::tx::Transaction;
use crate::chain::Hash256;
use hasher::HeaderHasher;
pub use template::block_template;

/// Number of nonces in the header's nonce field: 2^32.
const NONCE_RANGE: u64 = 1 << 32;

/// Searches for a nonce whose header hash meets the template's target.
#[derive(Clone, Debug)]
pub struct Miner {
    /// The block being mined, with its merkle root filled in and any rolls applied.
    template: Block,
    /// The target from the template's `bits`; `None` if the bits are not a valid target,
    /// in which case nothing is ever found.
    target: Option<[u8; 32]>,
    /// Prepared hashing state for the current header.
    hasher: HeaderHasher,
    /// The next nonce to try, in `0..=2^32`; `2^32` means the range is exhausted.
    next_nonce: u64,
    /// Hashes computed since creation.
    hashes: u64,
}

impl Miner {
    /// A miner for `template`: the first transaction should be the coinbase; the header's
    /// `prev`, `time` and `bits` must be set. The merkle root is computed here from the
    /// transaction ids (whatever the template held is replaced). Starts at nonce 0.
    pub fn new(template: Block) -> Miner {
        Miner::with_start_nonce(template, 0)
    }

    /// Like [`Miner::new`] but starting the search at `nonce`. For tests and benchmarks
    /// (e.g. to reach the end of the nonce range quickly).
    pub fn with_start_nonce(mut template: Block, nonce: u32) -> Miner {
        template.header.merkle_root = txs_root(&template.txs);
        template.header.nonce = nonce;
        let target = expand_compact(template.header.bits);
        let hasher = HeaderHasher::new(&template.header);
        Miner {
            template,
            target,
            hasher,
            next_nonce: u64::from(nonce),
            hashes: 0,
        }
    }

    /// Tries up to `budget` nonces. Returns the solved block (header hash at most the
    /// target of its `bits`) or `None` if none of them met it. After a solution the next
    /// call continues with the following nonce. A template whose `bits` is not a valid
    /// compact target never yields a block and hashes nothing.
    pub fn work(&mut self, budget: u32) -> Option<Block> {
        let target = self.target?;
        let mut left = budget;
        while left > 0 {
            if self.next_nonce >= NONCE_RANGE {
                self.roll();
            }
            let start = self.next_nonce as u32;
            let (found, done) = self.hasher.scan(start, left, &target);
            self.hashes += u64::from(done);
            self.next_nonce += u64::from(done);
            left -= done;
            if let Some(nonce) = found {
                let mut block = self.template.clone();
                block.header.nonce = nonce;
                return Some(block);
            }
        }
        None
    }

    /// Hashes computed since the miner was created.
    pub fn hashes_done(&self) -> u64 {
        self.hashes
    }

    /// The current template: merkle root filled in, `extra_nonce`/time rolls applied.
    /// Its header nonce is the one the search started from after the last roll.
    pub fn template(&self) -> &Block {
        &self.template
    }

    /// The next nonce that [`Miner::work`] will try (`2^32` once the range is spent and
    /// before the roll that the next call makes).
    pub fn next_nonce(&self) -> u64 {
        self.next_nonce
    }

    /// Starts a fresh nonce range: a new `extra_nonce` in the coinbase if the first
    /// transaction is one (a new merkle root), otherwise the header time plus one.
    fn roll(&mut self) {
        match self.template.txs.first_mut() {
            Some(Transaction::Coinbase(cb)) => {
                cb.extra_nonce = cb.extra_nonce.wrapping_add(1);
                self.template.header.merkle_root = txs_root(&self.template.txs);
            }
            _ => {
                self.template.header.time = self.template.header.time.wrapping_add(1);
            }
        }
        self.template.header.nonce = 0;
        self.hasher = HeaderHasher::new(&self.template.header);
        self.next_nonce = 0;
    }
}

/// The merkle root over the transactions' ids.
fn txs_root(txs: &[Transaction]) -> Hash256 {
    let ids: Vec<Hash256> = txs.iter().map(Transaction::txid).collect();
    merkle_root(&ids).0
}
