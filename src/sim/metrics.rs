//! Measurements: block propagation records, the trace digest and the final report.

use super::engine::Sim;
use super::hosts::HostId;
use super::report::{BlockRec, Report};
use super::time::SimDuration;
use crate::chain::Block;
use sha2::Digest;
use std::sync::Arc;

impl Sim {
    pub(super) fn on_store(&mut self, h: usize, b: Arc<Block>) {
        let hash = b.hash();
        let n = self.cfg.nodes as u32;
        let now = self.clock.0;
        match self.block_index.get(&hash) {
            Some(&ix) => {
                let t = self.ms_since_start(now);
                self.trace.arrival(&hash, h, t, self.delivering_from);
                let is_miner = self.is_miner[h];
                let r = &mut self.blocks[ix as usize];
                r.have += 1;
                let delay = now - r.mined_us;
                if r.have * 2 >= n && r.t50.is_none() {
                    r.t50 = Some(delay);
                }
                if r.have * 10 >= n * 9 && r.t90.is_none() {
                    r.t90 = Some(delay);
                }
                if r.have >= n && r.t100.is_none() {
                    r.t100 = Some(delay);
                }
                if is_miner && r.miner as usize != h {
                    r.miners_have += 1;
                    r.miner_delay_sum_us += delay;
                    r.share_delay_sum_us += self.share_of[h] * delay as f64;
                }
            }
            None => {
                // The first node to store a block is the one that mined it.
                let counted = self.mining_counted;
                let one = |x: bool| x.then_some(0);
                self.block_index.insert(hash, self.blocks.len() as u32);
                self.blocks.push(BlockRec {
                    hash,
                    parent: b.header.prev,
                    miner: h as u32,
                    height: 0,
                    mined_us: now,
                    counted,
                    have: 1,
                    t50: one(2 > n),
                    t90: one(10 > n * 9),
                    t100: one(1 >= n),
                    miners_have: 0,
                    miner_delay_sum_us: 0,
                    share_delay_sum_us: 0.0,
                });
            }
        }
        if self.keep_stored {
            self.stored[h].push(b);
        }
    }

    pub(super) fn record(&mut self, host: HostId, kind: u8, msg_type: u16) {
        let mut rec = [0u8; 15];
        rec[..8].copy_from_slice(&self.clock.0.to_le_bytes());
        rec[8..12].copy_from_slice(&host.0.to_le_bytes());
        rec[12] = kind;
        rec[13..15].copy_from_slice(&msg_type.to_le_bytes());
        self.digest.update(rec);
    }

    /// Milliseconds (fractional) from the start of mining to virtual instant `us`.
    fn ms_since_start(&self, us: u64) -> f64 {
        us.saturating_sub(self.mining_start.0) as f64 / 1000.0
    }

    /// The report, with the chain of the first live node (`None` if none is live).
    pub(super) fn try_report(mut self) -> Option<Report> {
        let reference = self.nodes.iter().flatten().next()?;
        let chain = reference.chain();
        let mut heights = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            // A block the reference node never received: one above its parent's.
            let h = chain.height_of(&b.hash).or_else(|| {
                let ix = *self.block_index.get(&b.parent)?;
                Some(heights.get(ix as usize).copied().unwrap_or(0) + 1)
            });
            heights.push(h.unwrap_or(0));
        }
        for (b, h) in self.blocks.iter_mut().zip(&heights) {
            b.height = *h;
        }
        let in_best: Vec<bool> = self
            .blocks
            .iter()
            .map(|b| chain.is_active(&b.hash))
            .collect();
        let start = self.mining_start.0;
        let ms = |us: u64| us.saturating_sub(start) as f64 / 1000.0;
        self.trace.blocks(&self.blocks, &in_best, ms);
        let reference = self.nodes.iter().flatten().next()?;
        let chain = reference.chain();
        let digest: [u8; 32] = self.digest.clone().finalize().into();
        Some(Report::build(
            &self.cfg,
            &self.blocks,
            &in_best,
            super::report::Totals {
                final_height: chain.height(),
                miner_nodes: self.miner_nodes.clone(),
                reorg_hist: self.reorg_hist.clone(),
                events: self.events,
                messages: self.messages,
                bytes: self.bytes,
                msg_by_type: self.msg_by_type.clone(),
                lost_msgs: self.lost_msgs,
                dup_msgs: self.dup_msgs,
                lost_finds: self.lost_finds,
                tail_blocks: self.tail_found,
                invariant_checks: self.invariant_checks,
                virtual_ms: (self.clock - self.start) / 1000,
                mining_ms: self
                    .mining_stopped
                    .unwrap_or(self.clock)
                    .saturating_since(self.mining_start)
                    / 1000,
                converge_after_heal_ms: self.converged_after_heal.map(SimDuration::ms),
                wall_secs: self.wall.elapsed().as_secs_f64(),
                digest,
                selfish: self.selfish_node.zip(self.cfg.selfish),
                race_blocks: self.race_blocks,
                clock_skew_ms: self.cfg.clock_skew_ms,
                trace_error: self.trace.error(),
                time_too_new: self
                    .nodes
                    .iter()
                    .flatten()
                    .map(|n| n.stats().time_too_new)
                    .sum(),
            },
        ))
    }
}
