//! How geography plugs into the engine: each link's latency and transfer rate from
//! the regions of its two ends, block messages billed at `block_size`, and the
//! simulator-wired random graph topology.

use super::engine::{Sim, SimError};
use super::hosts::HostId;
use super::model::derive_seed;
use super::regions::draw_degrees;
use super::time::SimDuration;
use super::Topology;
use crate::rng::SplitMix64;
use crate::wire::{Message, FRAME_HEADER_LEN};

impl Sim {
    /// The region of host `h`; the tracker has none (its links take the other end's).
    pub(super) fn region(&self, h: HostId) -> Option<u8> {
        self.region_of.get(h.index()).copied()
    }

    /// A new link's one-way latency between hosts `a` and `b`: from their regions if
    /// the run has regions, else from the run's latency distribution (one draw from
    /// the network stream either way).
    pub(super) fn link_latency(&mut self, a: HostId, b: HostId) -> SimDuration {
        match &self.cfg.regions {
            None => self.cfg.latency.sample(&mut self.rng_net),
            Some(r) => {
                let ra = self.region_of.get(a.index()).copied();
                let rb = self.region_of.get(b.index()).copied();
                let (x, y) = match (ra, rb) {
                    (Some(x), Some(y)) => (x, y),
                    (Some(x), None) | (None, Some(x)) => (x, x),
                    (None, None) => (0, 0),
                };
                r.sample_latency(x, y, &mut self.rng_net)
            }
        }
    }

    /// The bytes a message occupies on the link: its frame, with a block message
    /// billed at no less than the run's `block_size` plus the frame header.
    pub(super) fn wire_size(&self, msg: &Message) -> u64 {
        let size = (msg.payload_len() + FRAME_HEADER_LEN) as u64;
        match msg {
            Message::Block(_) if self.cfg.block_size > 0 => {
                size.max(self.cfg.block_size + FRAME_HEADER_LEN as u64)
            }
            _ => size,
        }
    }

    /// Microseconds host `h` needs to upload `size` bytes on the link whose far end is
    /// connection end `remote`, or `None` when the link is unlimited (no bandwidth
    /// set; the tracker's uploads).
    pub(super) fn upload_us(&self, h: HostId, remote: u32, size: u64) -> Option<u64> {
        if h == self.tracker_host {
            return None;
        }
        match &self.cfg.regions {
            None => self.cfg.bandwidth.map(|bw| (size * 1_000_000).div_ceil(bw)),
            Some(r) => {
                let from = self.region(h)?;
                let to = self.conns[remote as usize].host;
                let bps = match self.region(to) {
                    Some(t) => r.rate_bps(from, t),
                    None => r.upload_bps[from as usize],
                };
                Some((size * 8_000_000).div_ceil(bps))
            }
        }
    }

    /// The slowest rate a block crosses a link at, bytes per second (`None`:
    /// unlimited), for scaling the nodes' request timeouts.
    pub(super) fn slowest_rate(&self) -> Option<u64> {
        match &self.cfg.regions {
            Some(r) => Some((r.min_rate_bps() / 8).max(1)),
            None => self.cfg.bandwidth,
        }
    }

    /// Wires the [`Topology::Graph`] topology: each node in turn links to its number
    /// of outbound peers, drawn uniformly among the nodes it is not linked to yet (its
    /// own stream of the seed, so the other streams are unchanged).
    pub(super) fn wire_graph(&mut self) -> Result<(), SimError> {
        let Topology::Graph { outbound } = self.cfg.topology else {
            return Ok(());
        };
        let n = self.cfg.nodes;
        let mut rng = SplitMix64::new(derive_seed(self.cfg.seed, 7));
        let counts = if self.cfg.degrees.is_empty() {
            vec![outbound; n]
        } else {
            draw_degrees(&self.cfg.degrees, n, &mut rng)
        };
        self.graph = vec![Vec::new(); n];
        for (a, &want) in counts.iter().enumerate() {
            let want = want.min(n - 1 - self.graph[a].len().min(n - 1));
            let mut got = 0;
            // Rejection sampling: at most a few tries per link while the graph is
            // sparse; a bounded number of tries in all.
            let mut tries = 0;
            while got < want && tries < 64 * (want + 1) {
                tries += 1;
                let b = rng.below(n as u64) as usize;
                if b == a || self.graph[a].contains(&(b as u32)) {
                    continue;
                }
                self.graph[a].push(b as u32);
                self.graph[b].push(a as u32);
                got += 1;
                self.connect_pair(a, b)?;
            }
        }
        Ok(())
    }

    /// Re-links restarted node `i` to its graph neighbours that are up and reachable.
    pub(super) fn rewire_graph_node(&mut self, i: usize) -> Result<(), SimError> {
        let peers = self.graph.get(i).cloned().unwrap_or_default();
        for j in peers {
            let j = j as usize;
            if self.nodes[j].is_some() && !self.cut(HostId::node(i), HostId::node(j)) {
                self.connect_pair(i, j)?;
            }
        }
        Ok(())
    }
}

impl Sim {
    /// The region index of node `i` (into [`super::Regions::names`]), `None` without
    /// regions or for a node that does not exist.
    pub fn node_region(&self, i: usize) -> Option<usize> {
        self.region_of.get(i).map(|&r| r as usize)
    }
}
