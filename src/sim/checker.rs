//! The checker: invariants verified while the simulation runs.

use super::engine::{Sim, SimError};
use super::hosts::HostId;
use super::time::SimDuration;
use crate::service::Time;

impl Sim {
    /// The cheap per-event invariants of node `i`: its tip's work never decreases and
    /// coins are conserved (supply is the reward times the height: fees move coins,
    /// only coinbases create them).
    pub(super) fn check_node(&mut self, i: usize) -> Result<(), SimError> {
        let Some(node) = self.nodes[i].as_ref() else {
            return Ok(());
        };
        let chain = node.chain();
        let tip = chain.tip();
        if tip == self.hosts[i].tip {
            return Ok(());
        }
        self.invariant_checks += 1;
        let work = chain.tip_work();
        if work < self.hosts[i].work {
            return Err(SimError::Invariant(format!(
                "node {i} moved to a tip with less work at t={} ms",
                self.clock.ms()
            )));
        }
        let supply = chain.ledger().total_supply();
        let expected = self.params.block_reward as u128 * chain.height() as u128;
        if supply != expected {
            return Err(SimError::Invariant(format!(
                "node {i}: supply {supply} != {expected} at height {}",
                chain.height()
            )));
        }
        let old = self.hosts[i].tip;
        if let Some(c) = self.tip_count.get_mut(&old) {
            *c -= 1;
            if *c == 0 {
                self.tip_count.remove(&old);
            }
        }
        let c = self.tip_count.entry(tip).or_insert(0);
        *c += 1;
        let all = *c == self.live;
        self.hosts[i].tip = tip;
        self.hosts[i].work = work;
        if all && self.converged_after_heal.is_none() {
            if let Some(h) = self.last_heal {
                self.converged_after_heal = Some(SimDuration(self.clock - h));
            }
        }
        Ok(())
    }

    /// True if every live node has the same tip.
    pub fn tips_agree(&self) -> bool {
        match self.nodes.iter().position(|n| n.is_some()) {
            Some(i) => self.tip_count.get(&self.hosts[i].tip).copied() == Some(self.live),
            None => true,
        }
    }

    /// The timer rule ([`super::harness::timer_rule`], shared with the in-memory
    /// harness), checked after every tick: once host `h` has handled its tick at `now`
    /// and its actions are drained, its next deadline is `None` or later than `now`.
    pub(super) fn check_timer_rule(&mut self, h: HostId, now: Time) -> Result<(), SimError> {
        let Some(s) = self.service(h) else {
            return Ok(());
        };
        super::harness::timer_rule(s, now).map_err(|deadline| SimError::TimerRule {
            host: h,
            now,
            deadline,
        })
    }
}
