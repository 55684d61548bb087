//! The hosts: starting, crashing and configuring the nodes and the tracker, their
//! timers and the actions they emit.

use super::engine::{Ev, Sim, SimError};
use super::model::derive_seed;
use super::network::{LISTEN_PORT, TRACKER_ADDR};
use super::time::SimTime;
use super::Topology;
use crate::chain::keys::account_of;
use crate::chain::u256::U256;
use crate::chain::{Block, Hash256};
use crate::node::{Node, NodeConfig};
use crate::service::{Action, ConnId, Event, Service};
use crate::tracker::TrackerConfig;
use std::fmt;
use std::time::Duration;

/// A protocol timer far enough away never to fire in a run ("off").
pub(super) const NEVER: Duration = Duration::from_millis(1_000_000_000_000);

/// A simulated host: node `i` is `HostId(i)`; the tracker's id comes after the nodes'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u32);

impl HostId {
    /// No host: global events in the trace digest, and the unused connection end 0.
    pub const NONE: HostId = HostId(u32::MAX);

    /// Node `i`'s host (node counts are capped at `MAX_NODES`, so `i` fits).
    pub fn node(i: usize) -> HostId {
        HostId(i as u32)
    }

    /// The index into the per-host tables; for a node, its node index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What the engine keeps per host (node or tracker).
#[derive(Clone, Debug)]
pub(super) struct Host {
    /// Incarnation: bumped at each crash, so events of a dead incarnation are dropped.
    pub(super) inc: u32,
    /// Time of the pending tick (`u64::MAX`: none).
    pub(super) tick_at: SimTime,
    /// When the host's upload link is free again (bandwidth model).
    pub(super) upload_free: SimTime,
    /// The node's tip and its work, as of its last check (invariants, convergence).
    pub(super) tip: Hash256,
    pub(super) work: U256,
}

impl Sim {
    pub(super) fn tracker_config(&self) -> TrackerConfig {
        let mut t = TrackerConfig {
            seed: derive_seed(self.cfg.seed, 3) ^ self.hosts[self.tracker_host.index()].inc as u64,
            network: self.params.name.clone(),
            ..TrackerConfig::default()
        };
        if !self.cfg.keepalive {
            t.heartbeat_timeout = NEVER;
            t.sweep_interval = Duration::from_secs(60);
        }
        t
    }

    pub(super) fn node_config(&self, i: usize) -> NodeConfig {
        let mut c = NodeConfig::new(self.params.clone());
        // Simulated blocks come at the run's own interval (60 s to 600 s), not at the
        // regtest preset's pace that sets that preset's 30 s floor: the main floor.
        c.stale_tip_min = Duration::from_millis(crate::node::STALE_TIP_MIN_MS);
        c.listen_port = LISTEN_PORT;
        c.seed = derive_seed(self.cfg.seed, 1000 + i as u64) ^ self.hosts[i].inc as u64;
        if let Some(j) = self.miner_nodes.iter().position(|&m| m == i) {
            c.mine_to = Some(account_of(&self.miner_keys[j]));
        }
        if self.selfish_node == Some(i) {
            c.strategy = crate::node::Strategy::Selfish;
        }
        if self.cfg.tie_break_random {
            c.tie_break = crate::chain::tree::TieBreak::Random { key: c.seed };
        }
        match self.cfg.topology {
            Topology::Mesh | Topology::Graph { .. } => {
                c.tracker = None;
                c.max_outbound = 0;
                c.max_inbound = self.cfg.nodes;
                c.max_handshaking = self.cfg.nodes;
            }
            Topology::Tracker { outbound } => {
                c.tracker = Some(TRACKER_ADDR);
                c.max_outbound = outbound;
                c.max_inbound = c.max_inbound.max(outbound * 4);
            }
        }
        // Scale request timeouts to the network: a round trip on a slow link plus
        // sending a full block must fit comfortably.
        let hi = self.cfg.latency_high_ms() as u64;
        let xfer = self.slowest_rate().map_or(0, |bw| {
            (crate::chain::block::MAX_BLOCK_BYTES as u64 * 1000) / bw
        });
        let t = Duration::from_millis((10 * hi + 2 * xfer).max(10_000));
        c.handshake_timeout = c.handshake_timeout.max(t);
        c.request_timeout = c.request_timeout.max(t);
        if !self.cfg.keepalive {
            c.ping_interval = NEVER;
            c.idle_timeout = NEVER;
            c.heartbeat_interval = NEVER;
        }
        if let Some(p) = self.cfg.block_push_peers {
            c.block_push_peers = p;
        }
        c
    }

    pub(super) fn service(&mut self, h: HostId) -> Option<&mut dyn Service> {
        if h == self.tracker_host {
            self.tracker.as_mut().map(|t| t as &mut dyn Service)
        } else {
            self.nodes[h.index()]
                .as_mut()
                .map(|n| n as &mut dyn Service)
        }
    }

    pub(super) fn alive(&self, h: HostId) -> bool {
        if h == self.tracker_host {
            self.tracker.is_some()
        } else {
            self.nodes[h.index()].is_some()
        }
    }

    pub(super) fn start_node(&mut self, i: usize, stored: Vec<Block>) -> Result<(), SimError> {
        let cfg = self.node_config(i);
        let (node, rejected) = Node::new(cfg, stored, self.now_of(HostId::node(i)));
        if rejected > 0 {
            return Err(SimError::Invariant(format!(
                "node {i} rejected {rejected} of its own stored blocks on restart"
            )));
        }
        let tip = node.chain().tip();
        self.hosts[i].work = node.chain().tip_work();
        self.hosts[i].tip = tip;
        *self.tip_count.entry(tip).or_insert(0) += 1;
        self.live += 1;
        self.nodes[i] = Some(node);
        self.refresh_tick(HostId::node(i));
        Ok(())
    }

    pub(super) fn crash_node(&mut self, i: usize) {
        if self.nodes[i].is_none() {
            return;
        }
        self.close_all(HostId::node(i));
        self.nodes[i] = None;
        self.hosts[i].inc += 1;
        self.hosts[i].tick_at = SimTime::NEVER;
        let tip = self.hosts[i].tip;
        if let Some(c) = self.tip_count.get_mut(&tip) {
            *c -= 1;
        }
        self.live -= 1;
    }

    pub(super) fn refresh_tick(&mut self, h: HostId) {
        let Some(d) = self.service(h).and_then(|s| s.next_deadline()) else {
            return;
        };
        let us = self.sim_time_of(h, d).max(self.clock);
        if us != self.hosts[h.index()].tick_at {
            self.hosts[h.index()].tick_at = us;
            let inc = self.hosts[h.index()].inc;
            self.schedule(us, Ev::Tick(h, inc));
        }
    }

    /// Applies every queued action of `h`, then checks its invariants and re-arms its
    /// timer.
    pub(super) fn drain(&mut self, h: HostId) -> Result<(), SimError> {
        self.drain_actions(h)?;
        self.refresh_tick(h);
        Ok(())
    }

    /// Applies every queued action of `h`, then checks its invariants.
    pub(super) fn drain_actions(&mut self, h: HostId) -> Result<(), SimError> {
        while let Some(a) = self.service(h).and_then(|s| s.poll_action()) {
            self.apply(h, a)?;
        }
        if h != self.tracker_host {
            self.check_node(h.index())?;
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, h: HostId, a: Action) -> Result<(), SimError> {
        match a {
            Action::Send { conn, msg } => self.send(h, conn, msg),
            Action::Connect { addr, role } => self.connect(h, addr, role),
            Action::Disconnect { conn, reason } => {
                let Some(e) = self.conns.get_mut(conn as usize) else {
                    return Ok(());
                };
                if !e.open || e.host != h {
                    return Ok(());
                }
                e.open = false;
                let at = (self.clock + e.lat).max(e.last_arrival);
                let r = ConnId::from(e.remote);
                self.schedule(at, Ev::RemoteClose(r));
                let now = self.now_of(h);
                if let Some(s) = self.service(h) {
                    s.on_disconnected(conn, &reason, now);
                }
            }
            Action::StoreBlock(b) => self.on_store(h.index(), b),
            Action::Event(Event::TipChanged { reorg_depth, .. }) => {
                if reorg_depth > 0 {
                    let d = reorg_depth as usize;
                    if self.reorg_hist.len() <= d {
                        self.reorg_hist.resize(d + 1, 0);
                    }
                    self.reorg_hist[d] += 1;
                }
            }
            Action::Event(_) => {}
        }
        Ok(())
    }
}
