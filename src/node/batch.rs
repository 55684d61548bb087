//! Message batches: the work a run of blocks arriving together would repeat for every
//! block (tip-change event, mempool revalidation, announcement, block requests), done
//! once at the end of the run.
//!
//! A driver that reads several messages at once (the reactor: one read from one socket)
//! brackets them with [`Service::batch_start`] and [`Service::batch_end`]. Inside, each
//! block is still validated, accepted and stored at once; what a tip change causes
//! beyond the chain is put off. Any other message first finishes the put-off tip work,
//! so it sees the node exactly as it would have one message at a time; only
//! consecutive blocks are merged. The simulator delivers one message at a time and
//! never opens a batch, so its behaviour is unchanged.
//!
//! Measured (`cargo run --release --example sync_rate --memory`, 10 000 blocks):
//! in-memory sync / in-process validation 0.26-0.35 in five runs on a quiet machine
//! (load < 0.5), against 0.161 noted for the code before; the profile of the syncing
//! node then still shows block decoding, acceptance and the reactor's per-message
//! action loop. Alternating runs against the old binary on a loaded machine (load 13)
//! were too noisy to confirm the gain: re-measure quietly.

use super::*;

/// What the open batch put off.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Between `batch_start` and `batch_end`.
    open: bool,
    /// The tip changed during the batch and its effects are still to come.
    tip: Option<PendingTip>,
    /// A block arrived during the batch: look for blocks to request at its end.
    request_blocks: bool,
    /// Peers whose block-request timer must move off a finished request's deadline
    /// (the earliest such deadline each), moved once at the end: finding the next
    /// deadline scans every request in flight, which for each block of a run was
    /// about 7 % of the syncing node's time in `examples/sync_rate`. No timer can
    /// fire inside a batch, so the stale timer is never seen.
    retime: Vec<(ConnId, Time)>,
}

/// The merged effects of the tip changes of a batch.
#[derive(Debug, Default)]
struct PendingTip {
    /// Blocks disconnected by any of them, in order (their transfers return to the
    /// mempool unless the new chain has them).
    disconnected: Vec<Block>,
    /// The deepest of their reorganisations.
    reorg_depth: u32,
}

impl Batch {
    /// True while a batch is open.
    pub(super) fn is_open(&self) -> bool {
        self.open
    }
}

impl Node {
    /// Opens a batch (see the module docs).
    pub(super) fn open_batch(&mut self) {
        self.batch.open = true;
    }

    /// Closes the batch: the tip change's effects, then the block requests, in the
    /// order a single block would have caused them.
    pub(super) fn close_batch(&mut self, now: Time) {
        self.flush_batched_tip();
        self.batch.open = false;
        for (conn, deadline) in std::mem::take(&mut self.batch.retime) {
            self.block_request_done(conn, deadline);
        }
        if std::mem::take(&mut self.batch.request_blocks) {
            self.request_blocks(now);
        }
    }

    /// The tip changed (the chain part is done): its effects now, or at the end of
    /// the open batch.
    pub(super) fn tip_effects(&mut self, disconnected: &[Block], reorg_depth: u32) {
        if !self.batch.open {
            self.apply_tip_effects(disconnected, reorg_depth);
            return;
        }
        let t = self.batch.tip.get_or_insert_with(PendingTip::default);
        t.disconnected.extend_from_slice(disconnected);
        t.reorg_depth = t.reorg_depth.max(reorg_depth);
    }

    /// A block arrived: request more now, or at the end of the open batch.
    pub(super) fn blocks_arrived(&mut self, now: Time) {
        if self.batch.open {
            self.batch.request_blocks = true;
        } else {
            self.request_blocks(now);
        }
    }

    /// The block-request timer of `conn` sits on the finished request's `deadline`:
    /// false if a batch is open, which then moves it at its end.
    pub(super) fn retime_now(&mut self, conn: ConnId, deadline: Time) -> bool {
        if !self.batch.open {
            return true;
        }
        match self.batch.retime.iter_mut().find(|(c, _)| *c == conn) {
            Some((_, d)) => *d = (*d).min(deadline),
            None => self.batch.retime.push((conn, deadline)),
        }
        false
    }

    /// Applies the tip effects the open batch put off, if any: called before any
    /// message that is not a block, so it sees the node as if unbatched.
    pub(super) fn flush_batched_tip(&mut self) {
        if let Some(t) = self.batch.tip.take() {
            self.apply_tip_effects(&t.disconnected, t.reorg_depth);
        }
    }
}
