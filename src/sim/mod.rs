//! A deterministic discrete-event network simulator that drives the real state machines.
//!
//! Thousands of real [`crate::node::Node`]s (and the real [`crate::tracker::Tracker`])
//! run in virtual time from one seed: the simulator only plays the network (latency,
//! upload bandwidth, loss, duplication, partitions, churn, tracker outages) and the
//! Poisson clock of the miners. Blocks are real blocks on the regtest target and go
//! through the real validation. See [`Sim`] for the API and [`Report`] for the output.
//!
//! Layout (after TigerBeetle's VOPR): `engine` (the [`Sim`] state and the event loop),
//! `network` (links, latency, bandwidth, loss, partitions), `hosts` (nodes and the
//! tracker, their timers and actions), `checker` (invariants, including the timer
//! rule), `metrics` (propagation records, the trace digest, the report), `workload`
//! (the miners' clock, transfers), `trace` (the `--trace` writer), `tree` (the final block tree), [`swarm`] (many short runs drawn from one seed), [`model`] and [`math`] (seeded, libm-free sampling),
//! [`queue`] (the event queue), [`harness`] (instant in-memory delivery for tests) and
//! [`SimTime`]/[`HostId`] (virtual time and host ids).

mod checker;
mod engine;
mod geo;
pub mod harness;
mod hosts;
pub mod math;
mod metrics;
pub mod model;
mod network;
pub mod queue;
pub mod regions;
pub mod report;
pub mod swarm;
mod time;
mod trace;
mod tree;
mod workload;

pub use engine::{Progress, Sim, SimError};
pub use hosts::HostId;
pub use model::Latency;
pub use regions::{Regions, Scenario};
pub use report::Report;
use std::time::Duration;
pub use time::{SimDuration, SimTime};

/// How the peers are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// The simulator connects every pair of nodes directly (nodes open no connections
    /// themselves) and reconnects pairs cut by a partition when it heals.
    Mesh,
    /// Every node registers with the real tracker and keeps this many outbound peer
    /// connections, chosen by its own protocol logic from the tracker's peer lists.
    Tracker {
        /// Outbound connections per node.
        outbound: usize,
    },
    /// The simulator wires each node to this many others chosen at random (SimBlock's
    /// way; a node's inbound links are whatever the others picked), or to a count drawn
    /// from [`SimConfig::degrees`] when that is set; nodes open no connections
    /// themselves.
    Graph {
        /// Outbound links per node.
        outbound: usize,
    },
}

/// A node crash, optionally followed by a restart from the blocks it had stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crash {
    /// The node.
    pub node: usize,
    /// When it crashes, after mining starts.
    pub at: Duration,
    /// When it restarts, after mining starts (`None`: never).
    pub restart: Option<Duration>,
}

/// A split of the nodes into two halves (the first `nodes / 2` indices and the rest) for
/// a while. Miners are spread over the indices, so both halves mine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// When the links between the halves are cut, after mining starts.
    pub start: Duration,
    /// When they are restored, after mining starts.
    pub heal: Duration,
}

/// Everything a simulation run depends on.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The seed every random stream derives from.
    pub seed: u64,
    /// Number of peer nodes.
    pub nodes: usize,
    /// Hash-power shares of the miners (any positive weights); miners are spread evenly
    /// over the node indices (see [`Sim::miner_nodes`]).
    pub miner_shares: Vec<f64>,
    /// How peers connect.
    pub topology: Topology,
    /// Link latency.
    pub latency: Latency,
    /// Upload bandwidth of every node in bytes per second (`None`: unlimited).
    pub bandwidth: Option<u64>,
    /// Probability that a message is lost (the handshake is exempt).
    pub loss: f64,
    /// Probability that a message is delivered twice (the handshake is exempt).
    pub dup: f64,
    /// Mean time between blocks (all miners together).
    pub block_interval: Duration,
    /// Blocks to mine (counted in the statistics); mining then goes on only until all
    /// nodes agree on a tip.
    pub blocks: u64,
    /// A partition into two halves, if any.
    pub partition: Option<Partition>,
    /// Node crashes and restarts.
    pub crashes: Vec<Crash>,
    /// Tracker outages as (start, end) after mining starts.
    pub tracker_outages: Vec<(Duration, Duration)>,
    /// Peers a new tip block is pushed to whole (the node's `block_push_peers`);
    /// `None` keeps the node default.
    pub block_push_peers: Option<usize>,
    /// Keep the nodes' pings, idle timeouts and tracker heartbeats at their defaults;
    /// when false they are stretched out of the way (they cost events, not realism,
    /// in runs without failures).
    pub keepalive: bool,
    /// All nodes must agree on one tip within this time after the last block was mined
    /// or the partition healed, whichever is later (zero: a default from the block
    /// interval and the latency).
    pub converge_within: Duration,
    /// One more miner, mining selfishly (SM1) with this share of the total hash power
    /// (0 < share < 1); it is the last miner.
    pub selfish: Option<f64>,
    /// Honest nodes pick a random tip among equal-work ones (seeded per node) instead
    /// of the first seen.
    pub tie_break_random: bool,
    /// Each node's clock runs off by a fixed offset drawn uniformly from
    /// [-`clock_skew_ms`, +`clock_skew_ms`] (from the seed), so the rule refusing block
    /// times too far in the future is exercised; 0 (the default): one true clock.
    pub clock_skew_ms: u64,
    /// Regions with a latency matrix and bandwidths (see [`Regions`]); when set they
    /// replace [`SimConfig::latency`] and [`SimConfig::bandwidth`].
    pub regions: Option<Regions>,
    /// Block messages cross the links as if they were at least this many bytes (the
    /// node's blocks stay what they are; only their transfer time is billed at this
    /// size); 0: their real size. At most the largest valid block.
    pub block_size: u64,
    /// With [`Topology::Graph`]: the cumulative distribution of outbound links per node
    /// (entry `k` is P(count <= k + 1)); empty: every node gets `outbound`.
    pub degrees: Vec<f64>,
}

impl SimConfig {
    /// A full mesh of `nodes` nodes of which the first `miners` (spread out) mine with
    /// equal shares; fixed 50 ms latency, no bandwidth limit, 600 s blocks.
    pub fn new(seed: u64, nodes: usize, miners: usize) -> SimConfig {
        SimConfig {
            seed,
            nodes,
            miner_shares: vec![1.0; miners.min(nodes)],
            topology: Topology::Mesh,
            latency: Latency::Fixed(50.0),
            bandwidth: None,
            loss: 0.0,
            dup: 0.0,
            block_interval: Duration::from_secs(600),
            blocks: 100,
            partition: None,
            crashes: Vec::new(),
            tracker_outages: Vec::new(),
            block_push_peers: None,
            keepalive: false,
            converge_within: Duration::ZERO,
            selfish: None,
            tie_break_random: false,
            clock_skew_ms: 0,
            regions: None,
            block_size: 0,
            degrees: Vec::new(),
        }
    }

    /// The built-in scenario's regions, block interval, block size and (on the graph
    /// topology) outbound degrees applied to this configuration.
    pub fn apply_scenario(&mut self, s: &Scenario) {
        self.regions = Some(s.regions.clone());
        self.block_interval = s.block_interval;
        self.block_size = s.block_size;
        self.degrees = s.degrees.to_vec();
    }

    /// A latency almost every link stays below, ms (see [`Latency::high_ms`] and
    /// [`Regions::high_ms`]).
    pub fn latency_high_ms(&self) -> f64 {
        match &self.regions {
            Some(r) => r.high_ms(),
            None => self.latency.high_ms(),
        }
    }
}
