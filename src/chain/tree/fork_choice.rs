//! Fork choice: candidate blocks by most work, connecting and disconnecting blocks
//! on the ledger, marking invalid subtrees, and what the best header chain still misses.

use super::{BlockOutcome, BlockStatus, Chain, Idx, NONE};
use crate::chain::block::Block;
use crate::chain::error::BlockError;
use crate::chain::hash::Hash256;
use crate::chain::sigcache::SigCache;
use crate::chain::validate::TxContext;
use std::cmp::Reverse;

impl Chain {
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

    /// Gives entry `i` (whose data just arrived) and its waiting descendants a
    /// candidate sequence if their whole ancestry has data; returns them, parents
    /// first.
    pub(super) fn link(&mut self, i: Idx) -> Vec<Idx> {
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
                self.candidates
                    .insert((e.work, Reverse(self.tie_break.rank(seq)), e.hash));
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

    pub(super) fn mark_invalid(&mut self, i: Idx) {
        let hash = self.entries[i as usize].hash;
        let mut stack = vec![i];
        let mut best_lost = false;
        while let Some(x) = stack.pop() {
            let e = &mut self.entries[x as usize];
            e.status = BlockStatus::Invalid;
            if let Some(seq) = e.seq.take() {
                let rank = self.tie_break.rank(seq);
                self.candidates.remove(&(e.work, Reverse(rank), e.hash));
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

    pub(super) fn connect(
        &mut self,
        i: Idx,
        sigs: Option<&mut SigCache>,
    ) -> Result<(), BlockError> {
        let e = &self.entries[i as usize];
        let ctx = TxContext {
            network_id: self.network_id,
            verify_signatures: e.status != BlockStatus::Valid,
        };
        let block = e.block.as_ref().expect("candidates have data");
        let undo = self
            .ledger
            .apply_block_with(block, e.height, &self.params, &ctx, sigs)?;
        self.active.push(e.hash);
        self.active_times.push(e.header.time);
        self.active_tip_work = e.work;
        let e = &mut self.entries[i as usize];
        e.undo = Some(undo);
        e.status = BlockStatus::Valid;
        Ok(())
    }

    pub(super) fn disconnect_tip(&mut self) {
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
    pub(super) fn fork_point(&self, i: Idx) -> Idx {
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
    pub(super) fn prune_candidates(&mut self) {
        let floor = (self.active_tip_work, Reverse(u64::MAX), Hash256::ZERO);
        if self.candidates.first().is_some_and(|k| *k < floor) {
            self.candidates.retain(|k| *k >= floor);
        }
    }

    pub(super) fn activate_best_chain(&mut self, mut sigs: Option<&mut SigCache>) -> BlockOutcome {
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
                if let Err(e) = self.connect(x, sigs.as_deref_mut()) {
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
