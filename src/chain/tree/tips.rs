//! Read-only views of the tree's shape for queries: its branch tips and how each
//! block relates to the active chain.

use super::{BlockStatus, Chain, NONE};
use crate::chain::hash::Hash256;

/// One tip of the block tree: a known header without a known child, or the active tip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TipInfo {
    /// The tip's hash.
    pub hash: Hash256,
    /// Its height.
    pub height: u32,
    /// Blocks from the tip down to the active chain (0 for the active tip), at most the
    /// walk limit passed to [`Chain::tips`].
    pub branch_len: u32,
    /// What is known about the tip block.
    pub status: BlockStatus,
    /// True if it and all its ancestors have block data.
    pub linked: bool,
    /// True for the active tip.
    pub active: bool,
}

impl Chain {
    /// The number of tips and up to `max` of them: the active tip first, then by
    /// height (highest first), then in header arrival order. Reads every entry once and
    /// walks at most `max_walk` blocks per listed tip.
    pub fn tips(&self, max: usize, max_walk: u32) -> (usize, Vec<TipInfo>) {
        let tip = self.tip();
        let mut leaves: Vec<(u32, u32)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.first_child == NONE && e.hash != tip)
            .map(|(i, e)| (e.height, i as u32))
            .collect();
        let total = leaves.len() + 1;
        leaves.sort_unstable_by_key(|&(h, i)| (std::cmp::Reverse(h), i));
        let mut out = Vec::with_capacity(max.min(total));
        let ti = self.idx(&tip);
        for i in std::iter::once(ti)
            .chain(leaves.into_iter().map(|(_, i)| i))
            .take(max)
        {
            let e = &self.entries[i as usize];
            let mut steps = 0;
            let mut cur = e;
            while !self.on_active(cur) && steps < max_walk && cur.parent != NONE {
                cur = &self.entries[cur.parent as usize];
                steps += 1;
            }
            out.push(TipInfo {
                hash: e.hash,
                height: e.height,
                branch_len: steps,
                status: e.status,
                linked: e.seq.is_some(),
                active: i == ti,
            });
        }
        (total, out)
    }

    /// True if the block and all its ancestors have data (it can become the tip).
    pub fn is_linked(&self, hash: &Hash256) -> bool {
        self.entry(hash).is_some_and(|e| e.seq.is_some())
    }
}

/// One block of the tree near the tip, as [`Chain::blocks_near_tip`] lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeBlockInfo {
    /// The block's hash.
    pub hash: Hash256,
    /// Its parent's hash.
    pub parent: Hash256,
    /// Its height.
    pub height: u32,
    /// The order its header was accepted in (0 is genesis).
    pub arrival: u32,
    /// What is known about it.
    pub status: BlockStatus,
    /// True if it and all its ancestors have block data.
    pub linked: bool,
    /// True if it is on the active chain.
    pub active: bool,
    /// The recipient of its coinbase, if the block data is here.
    pub miner: Option<crate::chain::tx::AccountId>,
}

impl Chain {
    /// The number of known blocks at heights `min_height` and above, and up to `max`
    /// of them in arrival order (the highest kept when there are more). Reads every
    /// entry once.
    pub fn blocks_near_tip(&self, min_height: u32, max: usize) -> (usize, Vec<TreeBlockInfo>) {
        let mut picked: Vec<(u32, u32)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.height >= min_height)
            .map(|(i, e)| (e.height, i as u32))
            .collect();
        let total = picked.len();
        if picked.len() > max {
            picked.sort_unstable_by_key(|&(h, i)| (std::cmp::Reverse(h), i));
            picked.truncate(max);
            picked.sort_unstable_by_key(|&(_, i)| i);
        }
        let out = picked
            .into_iter()
            .map(|(_, i)| {
                let e = &self.entries[i as usize];
                let miner = e.block.as_ref().and_then(|b| match b.txs.first() {
                    Some(crate::chain::tx::Transaction::Coinbase(c)) => Some(c.recipient),
                    _ => None,
                });
                TreeBlockInfo {
                    hash: e.hash,
                    parent: e.header.prev,
                    height: e.height,
                    arrival: i,
                    status: e.status,
                    linked: e.seq.is_some(),
                    active: self.on_active(e),
                    miner,
                }
            })
            .collect();
        (total, out)
    }
}
