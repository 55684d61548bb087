//! The workload: the miners' Poisson clock and transfers submitted at nodes.

use super::engine::{Ev, Sim, SimError};
use super::hosts::HostId;
use super::model::{exponential, unit};
use super::time::SimDuration;
use crate::chain::error::TxError;
use crate::chain::{Hash256, Transfer};
use crate::service::Service;

/// Most attempts at finding a block once a miner's Poisson clock fired (each attempt
/// tries 64 nonces against the regtest target, which every second hash meets).
pub(super) const MAX_MINE_ATTEMPTS: usize = 64;

impl Sim {
    pub(super) fn on_mine(&mut self) -> Result<(), SimError> {
        let counting = self.counted_found < self.cfg.blocks;
        if !counting && self.tips_agree() && !self.partitioned && self.no_partition_ahead() {
            // Every counted block is mined and the network agrees: stop the clock.
            self.mining_stopped = Some(self.clock);
            return Ok(());
        }
        if !counting && self.tail_found > self.cfg.blocks.max(100) {
            return Err(SimError::NoConvergence(format!(
                "nodes still disagree after {} extra blocks",
                self.tail_found
            )));
        }
        let next = exponential(
            &mut self.rng_mine,
            SimDuration::from(self.cfg.block_interval).us() as f64,
        );
        let u = unit(&mut self.rng_mine);
        self.schedule(self.clock + (next as u64).max(1), Ev::Mine);
        if !self.mining_enabled {
            return Ok(());
        }
        let j = self
            .miner_cum
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.miner_cum.len() - 1);
        let i = self.miner_nodes[j];
        let now = self.now_of(HostId::node(i));
        let Some(node) = self.nodes[i].as_mut() else {
            self.lost_finds += 1;
            return Ok(());
        };
        if !node.wants_to_mine() {
            self.lost_finds += 1;
            return Ok(());
        }
        let before = node.stats().blocks_mined;
        let race = match self.selfish_node {
            Some(s) if s != i => self.nodes[s]
                .as_ref()
                .and_then(|n| n.selfish())
                .and_then(|st| st.race()),
            _ => None,
        };
        let node = self.nodes[i].as_mut().expect("checked above");
        for _ in 0..MAX_MINE_ATTEMPTS {
            node.mine(64, now);
            if node.stats().blocks_mined > before {
                break;
            }
        }
        if node.stats().blocks_mined == before {
            return Err(SimError::Invariant(format!(
                "miner {i} found no block on the regtest target"
            )));
        }
        if let Some((ours, theirs)) = race {
            let tip = node.chain().tip();
            let parent = node.chain().header(&tip).map(|h| h.prev);
            if parent == Some(ours) {
                self.race_blocks.0 += 1;
                self.race_blocks.1 += 1;
            } else if parent == Some(theirs) {
                self.race_blocks.0 += 1;
            }
        }
        if counting {
            self.counted_found += 1;
        } else {
            self.tail_found += 1;
        }
        self.mining_counted = counting;
        self.drain(HostId::node(i))
    }

    /// True when no partition is still to come (so stopping the miners is final).
    pub(super) fn no_partition_ahead(&self) -> bool {
        match self.cfg.partition {
            Some(p) => self.clock >= self.mining_start + p.heal,
            None => true,
        }
    }

    /// Turns the miners' Poisson clock on or off (finds while off are discarded).
    pub fn set_mining(&mut self, on: bool) {
        self.mining_enabled = on;
    }

    /// Submits a transfer at node `i` (as its local wallet would) and delivers what it
    /// sends.
    ///
    /// # Errors
    /// The mempool's refusal, or an invariant violation.
    pub fn submit_transfer(
        &mut self,
        i: usize,
        t: Transfer,
    ) -> Result<Result<Hash256, TxError>, SimError> {
        let Some(node) = self.nodes.get_mut(i).and_then(|n| n.as_mut()) else {
            return Err(SimError::Config(format!("node {i} is down")));
        };
        let r = node.submit_transfer(t);
        self.drain(HostId::node(i))?;
        Ok(r)
    }
}
