//! The event loop: the [`Sim`] state, its start-up, event dispatch and the run API.

use super::hosts::{Host, HostId};
use super::model::derive_seed;
use super::network::{End, EndInfo, MAX_NODES, TRACKER_ADDR};
use super::queue::EventQueue;
use super::report::{BlockRec, Report};
use super::time::{SimDuration, SimTime};
use super::{SimConfig, Topology};
use crate::chain::hash::HashMap256;
use crate::chain::keys::secret_from_bytes;
use crate::chain::u256::U256;
use crate::chain::{Block, NetworkParams};
use crate::node::Node;
use crate::rng::SplitMix64;
use crate::service::{ConnId, Direction, DisconnectReason, Role, Time};
use crate::tracker::Tracker;
use crate::wire::Message;
use secp256k1::SecretKey;
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Largest `--clock-skew` accepted: a day, beyond any timestamp rule of the presets.
pub const MAX_CLOCK_SKEW_MS: u64 = 86_400_000;

/// How far a run is, for a progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Counted blocks mined so far.
    pub counted_mined: u64,
    /// Counted blocks to mine.
    pub counted_target: u64,
    /// Blocks mined after the counted ones, while the nodes settle.
    pub tail_mined: u64,
    /// Events processed.
    pub events: u64,
    /// Virtual time since mining started, ms.
    pub virtual_ms: u64,
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The configuration is unusable.
    Config(String),
    /// A checked invariant failed.
    Invariant(String),
    /// The nodes did not agree on one tip in the stated time.
    NoConvergence(String),
    /// A host handled its tick at `now` and then still asked for a deadline at or
    /// before `now`: a reactor driving it would spin (the timer rule, checked after
    /// every tick).
    TimerRule {
        /// The host.
        host: HostId,
        /// When the tick was handled.
        now: Time,
        /// The deadline it asked for afterwards.
        deadline: Time,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Config(s) => write!(f, "bad simulation config: {s}"),
            SimError::Invariant(s) => write!(f, "invariant violated: {s}"),
            SimError::NoConvergence(s) => write!(f, "no convergence: {s}"),
            SimError::TimerRule {
                host,
                now,
                deadline,
            } => write!(
                f,
                "timer rule violated: host {host} handled its tick at {} ms and asked \
                 for a deadline at {} ms, not later",
                now.0, deadline.0
            ),
        }
    }
}

impl std::error::Error for SimError {}

#[derive(Debug)]
pub(super) enum Ev {
    Tick(HostId, u32),
    Deliver(ConnId, Message),
    RemoteClose(ConnId),
    Accept {
        from: HostId,
        from_inc: u32,
        to: HostId,
        role: Role,
        addr: SocketAddr,
        lat: SimDuration,
    },
    Established(ConnId),
    ConnectFailed {
        host: HostId,
        inc: u32,
        addr: SocketAddr,
        role: Role,
    },
    Mine,
    Partition(bool),
    Crash(usize),
    Restart(usize),
    TrackerDown,
    TrackerUp,
}

impl Ev {
    fn kind(&self) -> u8 {
        match self {
            Ev::Tick(..) => 1,
            Ev::Deliver(..) => 2,
            Ev::RemoteClose(_) => 3,
            Ev::Accept { .. } => 4,
            Ev::Established(_) => 5,
            Ev::ConnectFailed { .. } => 6,
            Ev::Mine => 7,
            Ev::Partition(_) => 8,
            Ev::Crash(_) => 9,
            Ev::Restart(_) => 10,
            Ev::TrackerDown => 11,
            Ev::TrackerUp => 12,
        }
    }
}

/// A running simulation. See the module documentation of [`crate::sim`].
pub struct Sim {
    pub(super) cfg: SimConfig,
    pub(super) params: NetworkParams,
    pub(super) queue: EventQueue<Ev>,
    /// The virtual clock.
    pub(super) clock: SimTime,
    pub(super) start: SimTime,
    pub(super) mining_start: SimTime,
    pub(super) nodes: Vec<Option<Node>>,
    pub(super) tracker: Option<Tracker>,
    pub(super) tracker_host: HostId,
    /// Per-host state the event loop touches on every event, kept together (one
    /// cache line or two per host instead of one per field); index `n` is the tracker.
    pub(super) hosts: Vec<Host>,
    pub(super) conns: Vec<End>,
    /// `conn_info[c]` goes with `conns[c]`.
    pub(super) conn_info: Vec<EndInfo>,
    pub(super) host_conns: Vec<Vec<ConnId>>,
    pub(super) stored: Vec<Vec<Arc<Block>>>,
    pub(super) keep_stored: bool,
    pub(super) miner_nodes: Vec<usize>,
    pub(super) miner_keys: Vec<SecretKey>,
    pub(super) miner_cum: Vec<f64>,
    pub(super) is_miner: Vec<bool>,
    pub(super) share_of: Vec<f64>,
    pub(super) rng_net: SplitMix64,
    pub(super) rng_mine: SplitMix64,
    /// The selfish miner's node, if any.
    pub(super) selfish_node: Option<usize>,
    /// Each node's region (empty without regions; the tracker has none).
    pub(super) region_of: Vec<u8>,
    /// The graph topology's links, both directions (empty for the other topologies).
    pub(super) graph: Vec<Vec<u32>>,
    /// Each host's clock offset in ms (`--clock-skew`; empty without skew).
    pub(super) skew_ms: Vec<i64>,
    /// Where `--trace` lines go (see [`Sim::set_trace`]).
    pub(super) trace: super::trace::Trace,
    /// While a delivered message is handled: the host that sent it (the trace's
    /// `from` of the blocks stored meanwhile).
    pub(super) delivering_from: Option<HostId>,
    /// Called now and then during [`Sim::finish`] (see [`Sim::set_progress`]).
    pub(super) progress: Option<Box<dyn FnMut(Progress)>>,
    /// Honest blocks mined during a 1-vs-1 race, and those of them on the selfish branch.
    pub(super) race_blocks: (u64, u64),
    pub(super) digest: Sha256,
    // invariants and convergence
    pub(super) tip_count: HashMap256<u32>,
    pub(super) live: u32,
    pub(super) partitioned: bool,
    pub(super) cut_pairs: Vec<(HostId, HostId)>,
    pub(super) last_heal: Option<SimTime>,
    pub(super) converged_after_heal: Option<SimDuration>,
    // mining
    pub(super) mining_enabled: bool,
    pub(super) mining_stopped: Option<SimTime>,
    pub(super) counted_found: u64,
    /// Whether the block being mined now counts in the statistics.
    pub(super) mining_counted: bool,
    pub(super) tail_found: u64,
    pub(super) lost_finds: u64,
    // measurements
    pub(super) blocks: Vec<BlockRec>,
    pub(super) block_index: HashMap256<u32>,
    pub(super) reorg_hist: Vec<u64>,
    pub(super) events: u64,
    pub(super) messages: u64,
    pub(super) bytes: u64,
    pub(super) msg_by_type: Vec<(u64, u64)>,
    pub(super) lost_msgs: u64,
    pub(super) dup_msgs: u64,
    pub(super) invariant_checks: u64,
    pub(super) wall: std::time::Instant,
}

impl Sim {
    /// A simulation of `cfg`, with every node created and the start scheduled.
    ///
    /// # Errors
    /// [`SimError::Config`] for an unusable configuration.
    pub fn new(cfg: SimConfig) -> Result<Sim, SimError> {
        let n = cfg.nodes;
        if n == 0 || n > MAX_NODES {
            return Err(SimError::Config(format!("nodes must be 1..={MAX_NODES}")));
        }
        if cfg.miner_shares.is_empty() || cfg.miner_shares.len() > n {
            return Err(SimError::Config("need 1..=nodes miners".into()));
        }
        if cfg.miner_shares.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err(SimError::Config("miner shares must be positive".into()));
        }
        if !(0.0..1.0).contains(&cfg.loss) || !(0.0..1.0).contains(&cfg.dup) {
            return Err(SimError::Config("loss and dup must be in [0, 1)".into()));
        }
        if cfg.block_interval.is_zero() {
            return Err(SimError::Config("block interval must be positive".into()));
        }
        if cfg.bandwidth == Some(0) {
            return Err(SimError::Config("bandwidth must be positive".into()));
        }
        if let Some(p) = cfg.partition {
            if p.heal <= p.start {
                return Err(SimError::Config(
                    "partition must heal after it starts".into(),
                ));
            }
        }
        if let Topology::Tracker { outbound } | Topology::Graph { outbound } = cfg.topology {
            if outbound == 0 && cfg.degrees.is_empty() {
                return Err(SimError::Config(
                    "tracker topology needs outbound > 0".into(),
                ));
            }
        }
        if cfg.crashes.iter().any(|c| c.node >= n) {
            return Err(SimError::Config(
                "crash of a node that does not exist".into(),
            ));
        }
        if cfg.clock_skew_ms > MAX_CLOCK_SKEW_MS {
            return Err(SimError::Config(format!(
                "clock skew must be at most {MAX_CLOCK_SKEW_MS} ms"
            )));
        }
        if let Some(r) = &cfg.regions {
            r.validate().map_err(SimError::Config)?;
            if cfg.bandwidth.is_some() {
                return Err(SimError::Config(
                    "a bandwidth and regions (which set their own) are both given".into(),
                ));
            }
        }
        if cfg.block_size > crate::chain::block::MAX_BLOCK_BYTES as u64 {
            return Err(SimError::Config(format!(
                "block size must be at most {} bytes (the largest valid block)",
                crate::chain::block::MAX_BLOCK_BYTES
            )));
        }
        let mut cfg = cfg;
        if let Some(a) = cfg.selfish {
            if !(a > 0.0 && a < 1.0) {
                return Err(SimError::Config("selfish share must be in (0, 1)".into()));
            }
            if cfg.miner_shares.len() >= n {
                return Err(SimError::Config(
                    "no node left for the selfish miner".into(),
                ));
            }
            let honest: f64 = cfg.miner_shares.iter().sum();
            cfg.miner_shares.push(a / (1.0 - a) * honest);
        }
        let params = NetworkParams::regtest();
        // Virtual time starts an hour after genesis so block timestamps are realistic.
        let start = SimTime::from_ms(params.genesis_time as u64 * 1000 + 3_600_000);
        let m = cfg.miner_shares.len();
        // Miners spread evenly over the indices, so both partition halves get some.
        let miner_nodes: Vec<usize> = (0..m).map(|j| j * n / m).collect();
        let mut is_miner = vec![false; n];
        let mut share_of = vec![0.0; n];
        let total: f64 = cfg.miner_shares.iter().sum();
        for (j, &i) in miner_nodes.iter().enumerate() {
            is_miner[i] = true;
            share_of[i] = cfg.miner_shares[j] / total;
        }
        let mut key_rng = SplitMix64::new(derive_seed(cfg.seed, 4));
        let miner_keys: Vec<SecretKey> = (0..m)
            .map(|_| loop {
                let mut b = [0u8; 32];
                for c in b.chunks_mut(8) {
                    c.copy_from_slice(&key_rng.next_u64().to_le_bytes());
                }
                if let Some(k) = secret_from_bytes(b) {
                    break k;
                }
            })
            .collect();
        let mut acc = 0.0;
        let miner_cum = cfg
            .miner_shares
            .iter()
            .map(|s| {
                acc += s / total;
                acc
            })
            .collect();
        let hi = cfg.latency_high_ms();
        let startup_spread_us = match cfg.topology {
            Topology::Mesh | Topology::Graph { .. } => 0,
            Topology::Tracker { .. } => (n as u64 * 10).min(10_000) * 1000,
        };
        let warmup_us = startup_spread_us + ((30.0 * hi + 5000.0) * 1000.0) as u64;
        let genesis = params.genesis_block().hash();
        let mut sim = Sim {
            params,
            queue: EventQueue::new(),
            clock: start,
            start,
            mining_start: start + warmup_us,
            nodes: (0..n).map(|_| None).collect(),
            tracker: None,
            tracker_host: HostId::node(n),
            hosts: vec![
                Host {
                    inc: 0,
                    tick_at: SimTime::NEVER,
                    upload_free: SimTime(0),
                    tip: genesis,
                    work: U256::default(),
                };
                n + 1
            ],
            conns: Vec::new(),
            conn_info: Vec::new(),
            host_conns: vec![Vec::new(); n + 1],
            stored: vec![Vec::new(); n],
            keep_stored: !cfg.crashes.is_empty(),
            miner_nodes,
            miner_keys,
            miner_cum,
            is_miner,
            share_of,
            rng_net: SplitMix64::new(derive_seed(cfg.seed, 1)),
            rng_mine: SplitMix64::new(derive_seed(cfg.seed, 2)),
            selfish_node: cfg.selfish.map(|_| (m - 1) * n / m),
            region_of: match &cfg.regions {
                Some(r) => r.assign(n, &mut SplitMix64::new(derive_seed(cfg.seed, 6))),
                None => Vec::new(),
            },
            graph: Vec::new(),
            skew_ms: draw_skews(cfg.seed, n, cfg.clock_skew_ms),
            trace: Default::default(),
            delivering_from: None,
            progress: None,
            race_blocks: (0, 0),
            digest: Sha256::new(),
            tip_count: HashMap256::default(),
            live: 0,
            partitioned: false,
            cut_pairs: Vec::new(),
            last_heal: None,
            converged_after_heal: None,
            mining_enabled: true,
            mining_stopped: None,
            counted_found: 0,
            mining_counted: false,
            tail_found: 0,
            lost_finds: 0,
            blocks: Vec::new(),
            block_index: HashMap256::default(),
            reorg_hist: Vec::new(),
            events: 0,
            messages: 0,
            bytes: 0,
            msg_by_type: vec![(0, 0); 64],
            lost_msgs: 0,
            dup_msgs: 0,
            invariant_checks: 0,
            wall: std::time::Instant::now(),
            cfg,
        };
        // Connection id 0 is never used.
        sim.conns.push(End {
            host: HostId::NONE,
            inc: 0,
            remote: 0,
            open: false,
            established: false,
            lat: SimDuration(0),
            last_arrival: SimTime(0),
        });
        sim.conn_info.push(EndInfo {
            remote_host: HostId::NONE,
            addr: TRACKER_ADDR,
            role: Role::Peer,
            dir: Direction::Inbound,
        });
        let tracker_mode = matches!(sim.cfg.topology, Topology::Tracker { .. });
        if tracker_mode {
            sim.tracker = Some(Tracker::new(sim.tracker_config()));
            sim.refresh_tick(sim.tracker_host);
        }
        for i in 0..n {
            let at = if startup_spread_us > 0 {
                start + sim.rng_net.below(startup_spread_us)
            } else {
                start
            };
            if at == start {
                sim.start_node(i, Vec::new())?;
            } else {
                sim.schedule(at, Ev::Restart(i));
            }
        }
        if sim.cfg.topology == Topology::Mesh {
            for b in 1..n {
                for a in 0..b {
                    sim.connect_pair(a, b)?;
                }
            }
        }
        sim.wire_graph()?;
        let ms = sim.mining_start;
        sim.schedule(ms, Ev::Mine);
        if let Some(p) = sim.cfg.partition {
            sim.schedule(ms + p.start, Ev::Partition(true));
            sim.schedule(ms + p.heal, Ev::Partition(false));
        }
        for c in sim.cfg.crashes.clone() {
            sim.schedule(ms + c.at, Ev::Crash(c.node));
            if let Some(r) = c.restart {
                sim.schedule(ms + r.max(c.at), Ev::Restart(c.node));
            }
        }
        for (a, b) in sim.cfg.tracker_outages.clone() {
            sim.schedule(ms + a, Ev::TrackerDown);
            sim.schedule(ms + b.max(a), Ev::TrackerUp);
        }
        Ok(sim)
    }

    /// Queues `ev` at `at`.
    pub(super) fn schedule(&mut self, at: SimTime, ev: Ev) {
        self.queue.push(at.0, ev);
    }

    /// Host `h`'s clock: the virtual time plus its fixed skew (`--clock-skew`).
    pub(super) fn now_of(&self, h: HostId) -> Time {
        match self.skew_ms.get(h.index()) {
            Some(&s) if s != 0 => Time((self.clock.ms() as i64 + s).max(0) as u64),
            _ => self.clock.to_time(),
        }
    }

    /// The virtual instant at which host `h`'s clock shows `t`.
    pub(super) fn sim_time_of(&self, h: HostId, t: Time) -> SimTime {
        match self.skew_ms.get(h.index()) {
            Some(&s) if s != 0 => SimTime::from_ms((t.0 as i64 - s).max(0) as u64),
            _ => SimTime::from_ms(t.0),
        }
    }

    pub(super) fn process(&mut self, ev: Ev) -> Result<(), SimError> {
        self.events += 1;
        let kind = ev.kind();
        match ev {
            Ev::Tick(h, inc) => {
                if self.hosts[h.index()].tick_at != self.clock || self.hosts[h.index()].inc != inc {
                    self.events -= 1;
                    return Ok(());
                }
                self.record(h, kind, 0);
                self.hosts[h.index()].tick_at = SimTime::NEVER;
                let now = self.now_of(h);
                if let Some(s) = self.service(h) {
                    s.on_tick(now);
                }
                self.drain_actions(h)?;
                self.check_timer_rule(h, now)?;
                self.refresh_tick(h);
            }
            Ev::Deliver(conn, msg) => {
                let e = &self.conns[conn as usize];
                let h = e.host;
                if !e.open || !e.established || e.inc != self.hosts[h.index()].inc {
                    self.events -= 1;
                    return Ok(());
                }
                self.record(h, kind, msg.msg_type());
                let now = self.now_of(h);
                self.delivering_from = Some(self.conn_info[conn as usize].remote_host);
                if let Some(s) = self.service(h) {
                    s.on_message(conn, msg, now);
                }
                let r = self.drain(h);
                self.delivering_from = None;
                r?;
            }
            Ev::RemoteClose(conn) => {
                let e = &mut self.conns[conn as usize];
                let h = e.host;
                if !e.open || e.inc != self.hosts[h.index()].inc {
                    return Ok(());
                }
                e.open = false;
                let was_established = e.established;
                let info = &self.conn_info[conn as usize];
                let (addr, role) = (info.addr, info.role);
                self.record(h, kind, 0);
                let now = self.now_of(h);
                if let Some(s) = self.service(h) {
                    if was_established {
                        s.on_disconnected(conn, &DisconnectReason::RemoteClosed, now);
                    } else {
                        s.on_connect_failed(addr, role, now);
                    }
                }
                self.drain(h)?;
            }
            Ev::Accept {
                from,
                from_inc,
                to,
                role,
                addr,
                lat,
            } => {
                self.record(to, kind, 0);
                if self.hosts[from.index()].inc != from_inc || !self.alive(from) {
                    return Ok(());
                }
                if !self.alive(to) || self.cut(from, to) {
                    self.schedule(
                        self.clock + lat,
                        Ev::ConnectFailed {
                            host: from,
                            inc: from_inc,
                            addr,
                            role,
                        },
                    );
                    return Ok(());
                }
                let cf = self.new_end(from, to, addr, role, Direction::Outbound, lat)?;
                let ct = self.new_end(to, from, addr, Role::Peer, Direction::Inbound, lat)?;
                let src = self.source_addr(from, cf);
                self.conn_info[ct as usize].addr = src;
                self.conns[ct as usize].established = true;
                self.pair_ends(cf, ct);
                self.schedule(self.clock + lat, Ev::Established(cf));
                let now = self.now_of(to);
                if let Some(s) = self.service(to) {
                    s.on_connected(ct, src, Direction::Inbound, Role::Peer, now);
                }
                self.drain(to)?;
            }
            Ev::Established(conn) => {
                let e = &mut self.conns[conn as usize];
                let h = e.host;
                if e.inc != self.hosts[h.index()].inc {
                    return Ok(());
                }
                let info = &self.conn_info[conn as usize];
                let (addr, role, open) = (info.addr, info.role, e.open);
                e.established = open;
                self.record(h, kind, 0);
                let now = self.now_of(h);
                if open {
                    if let Some(s) = self.service(h) {
                        s.on_connected(conn, addr, Direction::Outbound, role, now);
                    }
                } else if let Some(s) = self.service(h) {
                    s.on_connect_failed(addr, role, now);
                }
                self.drain(h)?;
            }
            Ev::ConnectFailed {
                host,
                inc,
                addr,
                role,
            } => {
                if self.hosts[host.index()].inc != inc {
                    return Ok(());
                }
                self.record(host, kind, 0);
                let now = self.now_of(host);
                if let Some(s) = self.service(host) {
                    s.on_connect_failed(addr, role, now);
                }
                self.drain(host)?;
            }
            Ev::Mine => {
                self.record(HostId::NONE, kind, 0);
                self.on_mine()?;
            }
            Ev::Partition(on) => {
                self.record(HostId::NONE, kind, on as u16);
                if on {
                    self.partition_start()?;
                } else {
                    self.partition_heal()?;
                }
            }
            Ev::Crash(i) => {
                self.record(HostId::node(i), kind, 0);
                self.crash_node(i);
            }
            Ev::Restart(i) => {
                self.record(HostId::node(i), kind, 0);
                if self.nodes[i].is_none() {
                    let stored = std::mem::take(&mut self.stored[i]);
                    self.start_node(i, stored.iter().map(|b| Block::clone(b)).collect())?;
                    self.stored[i] = stored;
                    if self.cfg.topology == Topology::Mesh {
                        for j in 0..self.cfg.nodes {
                            if j != i
                                && self.nodes[j].is_some()
                                && !self.cut(HostId::node(i), HostId::node(j))
                            {
                                self.connect_pair(i, j)?;
                            }
                        }
                    }
                    self.rewire_graph_node(i)?;
                }
            }
            Ev::TrackerDown => {
                let t = self.tracker_host;
                self.record(t, kind, 0);
                if self.tracker.is_some() {
                    self.close_all(t);
                    self.tracker = None;
                    self.hosts[t.index()].inc += 1;
                    self.hosts[t.index()].tick_at = SimTime::NEVER;
                }
            }
            Ev::TrackerUp => {
                let t = self.tracker_host;
                self.record(t, kind, 0);
                if self.tracker.is_none() && matches!(self.cfg.topology, Topology::Tracker { .. }) {
                    self.tracker = Some(Tracker::new(self.tracker_config()));
                    self.refresh_tick(t);
                }
            }
        }
        Ok(())
    }

    /// Processes every event up to and including virtual time `t_us` (absolute µs).
    pub(super) fn run_to(&mut self, until: SimTime) -> Result<(), SimError> {
        while let Some(t) = self.queue.peek_time() {
            if SimTime(t) > until {
                break;
            }
            let (t, ev) = self.queue.pop().expect("peeked");
            self.clock = SimTime(t);
            self.process(ev)?;
        }
        self.clock = self.clock.max(until);
        Ok(())
    }

    /// Runs until `after` past the start of mining (negative offsets are not
    /// needed: mining starts after the handshakes settle).
    ///
    /// # Errors
    /// The first violated invariant.
    pub fn run_until(&mut self, after: Duration) -> Result<(), SimError> {
        self.run_to(self.mining_start + after)
    }

    /// Milliseconds since mining started (0 before).
    pub fn now_ms(&self) -> u64 {
        self.clock.saturating_since(self.mining_start) / 1000
    }

    /// Calls `f` about every 65 536 events while [`Sim::finish`] runs, with how far the
    /// run is (for a progress line; it cannot change the run).
    pub fn set_progress(&mut self, f: Box<dyn FnMut(Progress)>) {
        self.progress = Some(f);
    }

    /// Node `i`, unless it is crashed.
    pub fn node(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i).and_then(|n| n.as_ref())
    }

    /// The node indices that mine, in the order of [`SimConfig::miner_shares`].
    pub fn miner_nodes(&self) -> &[usize] {
        &self.miner_nodes
    }

    /// The secret key of the `j`-th miner (its coinbase account).
    pub fn miner_key(&self, j: usize) -> Option<&SecretKey> {
        self.miner_keys.get(j)
    }

    /// The partition half of node `i`: 0 for the first `nodes / 2` indices, else 1.
    pub fn side_of(&self, i: usize) -> usize {
        usize::from(i >= self.cfg.nodes / 2)
    }

    /// Runs to the end: every counted block mined, then until the nodes agree and the
    /// network is quiet; checks convergence and returns the report.
    ///
    /// # Errors
    /// An invariant violation or [`SimError::NoConvergence`].
    pub fn finish(self) -> Result<Report, SimError> {
        let (report, outcome) = self.finish_with_report();
        outcome?;
        report.ok_or_else(|| SimError::NoConvergence("no live node at the end".into()))
    }

    /// [`Sim::finish`], but the report comes back also when a check fails: the report
    /// of the run as far as it got, next to the error (`None` only if no node is live
    /// to take the chain from), so that a failed run can still be looked at.
    pub fn finish_with_report(mut self) -> (Option<Report>, Result<(), SimError>) {
        let outcome = self.run_checked();
        (self.into_report(), outcome)
    }

    /// [`Sim::finish_with_report`] in two steps, so the final state can be looked at
    /// (e.g. [`Sim::block_tree`]) before [`Sim::into_report`] consumes the run: this
    /// runs to the end and checks convergence.
    ///
    /// # Errors
    /// As [`Sim::finish`].
    pub fn run_checked(&mut self) -> Result<(), SimError> {
        self.run_to_end()
    }

    /// The report of the run as far as it got (`None` if no node is live).
    pub fn into_report(self) -> Option<Report> {
        self.try_report()
    }

    /// The body of [`Sim::finish`] without the report.
    fn run_to_end(&mut self) -> Result<(), SimError> {
        let hi_us = (self.cfg.latency_high_ms() * 1000.0) as u64;
        let settle_us = (100 * hi_us).max(60_000_000);
        while let Some(t) = self.queue.peek_time() {
            if let Some(stop) = self.mining_stopped {
                if SimTime(t) > stop + settle_us {
                    break;
                }
            }
            let (t, ev) = self.queue.pop().expect("peeked");
            self.clock = SimTime(t);
            self.process(ev)?;
            if self.events & 0xffff == 0 {
                if let Some(f) = self.progress.as_mut() {
                    f(Progress {
                        counted_mined: self.counted_found,
                        counted_target: self.cfg.blocks,
                        tail_mined: self.tail_found,
                        events: self.events,
                        virtual_ms: self.clock.saturating_since(self.mining_start) / 1000,
                    });
                }
            }
        }
        let within = if !self.cfg.converge_within.is_zero() {
            SimDuration::from(self.cfg.converge_within)
        } else {
            SimDuration(SimDuration::from(5 * self.cfg.block_interval).us() + 100 * hi_us)
        };
        if !self.tips_agree() {
            return Err(SimError::NoConvergence(format!(
                "{} distinct tips among {} live nodes at the end",
                self.tip_count.len(),
                self.live
            )));
        }
        if let Some(h) = self.last_heal {
            match self.converged_after_heal {
                Some(d) if d <= within => {}
                Some(d) => {
                    return Err(SimError::NoConvergence(format!(
                        "tips agreed {} ms after the partition healed (allowed {} ms)",
                        d.ms(),
                        within.ms()
                    )))
                }
                None => {
                    return Err(SimError::NoConvergence(format!(
                        "tips never agreed after the partition healed at {} ms",
                        (h - self.mining_start) / 1000
                    )))
                }
            }
        }
        Ok(())
    }

    /// Runs the whole simulation and returns its report.
    ///
    /// # Errors
    /// As [`Sim::finish`].
    pub fn run(cfg: SimConfig) -> Result<Report, SimError> {
        Sim::new(cfg)?.finish()
    }
}

/// Each node's fixed clock offset, uniform in [-`skew_ms`, +`skew_ms`] from its own
/// stream of the seed (so the other streams, and runs without skew, are unchanged);
/// the tracker (last host) keeps the true time. Empty without skew.
fn draw_skews(seed: u64, nodes: usize, skew_ms: u64) -> Vec<i64> {
    if skew_ms == 0 {
        return Vec::new();
    }
    let mut r = SplitMix64::new(derive_seed(seed, 5));
    let mut v: Vec<i64> = (0..nodes)
        .map(|_| r.below(2 * skew_ms + 1) as i64 - skew_ms as i64)
        .collect();
    v.push(0);
    v
}
