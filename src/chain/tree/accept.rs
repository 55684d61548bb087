//! Header and block acceptance: contextual header checks (median time past, required
//! bits), storing new entries, and the best header chain.

use super::{BlockOutcome, BlockStatus, Chain, Entry, HeaderOutcome, Idx, NONE};
use crate::chain::block::HashedBlock;
use crate::chain::error::BlockError;
use crate::chain::hash::Hash256;
use crate::chain::header::HashedHeader;
use crate::chain::pow::{median_in_place, next_bits, retarget_first, work_of};
use crate::chain::sigcache::SigCache;
use crate::chain::validate::{
    body_matches_header, check_block_stateless, check_hashed_header_contextual, HeaderContext,
};

/// Largest median-time-past window computed without a heap allocation.
const MTP_STACK_WINDOW: usize = 32;

impl Chain {
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
    /// (see [`crate::chain::validate::check_header_contextual`]). Nothing is stored on
    /// error.
    ///
    /// Takes a [`BlockHeader`](crate::chain::BlockHeader) (hashed here) or a [`HashedHeader`] whose hash the caller
    /// already has, so one function serves both.
    pub fn accept_header(
        &mut self,
        header: impl Into<HashedHeader>,
        now: u64,
    ) -> Result<HeaderOutcome, BlockError> {
        let hashed = &header.into();
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
    ///
    /// Takes a [`Block`](crate::chain::Block) (hashed here) or a [`HashedBlock`] whose hash the caller already
    /// has, so one function serves both.
    pub fn accept_block(
        &mut self,
        block: impl Into<HashedBlock>,
        now: u64,
    ) -> Result<BlockOutcome, BlockError> {
        self.accept_block_with(block, now, None)
    }

    /// [`Chain::accept_block`] answering signature checks from `sigs` where it can:
    /// transfers verified before (on entry to the mempool) are not verified again. The
    /// outcome is the same as without the cache.
    ///
    /// # Errors
    /// As [`Chain::accept_block`].
    pub fn accept_block_with(
        &mut self,
        block: impl Into<HashedBlock>,
        now: u64,
        sigs: Option<&mut SigCache>,
    ) -> Result<BlockOutcome, BlockError> {
        let hashed: HashedBlock = block.into();
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
                self.accept_header(hashed.hashed_header(), now)?;
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
        let mut outcome = self.activate_best_chain(sigs);
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

    /// [`Chain::median_time_past`] of a known entry.
    pub(super) fn median_time_past_of(&self, e: &Entry) -> u32 {
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
    pub(super) fn next_bits_of(&self, p: &Entry) -> u32 {
        let height = p.height + 1;
        let Some(first_height) = retarget_first(&self.params, height) else {
            return p.header.bits;
        };
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

    pub(super) fn set_best_header(&mut self, i: Idx) {
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
}
