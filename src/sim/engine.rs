//! The simulation engine: hosts, links, the event loop, invariants and measurements.

use super::model::{derive_seed, exponential, unit};
use super::queue::EventQueue;
use super::report::{BlockRec, Report};
use super::{SimConfig, Topology};
use crate::chain::error::TxError;
use crate::chain::hash::HashMap256;
use crate::chain::keys::{account_of, secret_from_bytes};
use crate::chain::u256::U256;
use crate::chain::{Block, Hash256, NetworkParams, Transfer};
use crate::node::{Node, NodeConfig};
use crate::rng::SplitMix64;
use crate::service::{Action, ConnId, Direction, DisconnectReason, Event, Role, Service, Time};
use crate::tracker::{Tracker, TrackerConfig};
use crate::wire::{Message, FRAME_HEADER_LEN, MSG_VERACK, MSG_VERSION};
use secp256k1::SecretKey;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The port every simulated node listens on (each has its own virtual IP).
pub const LISTEN_PORT: u16 = 8333;
/// The virtual address of the tracker.
pub const TRACKER_ADDR: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 255, 255, 254)), 7000);
/// Most nodes a run may have (each needs its own 127.x.y.z address).
pub const MAX_NODES: usize = 1 << 20;
/// Most attempts at finding a block once a miner's Poisson clock fired (each attempt
/// tries 64 nonces against the regtest target, which every second hash meets).
const MAX_MINE_ATTEMPTS: usize = 64;
/// A protocol timer far enough away never to fire in a run ("off").
const NEVER_MS: u64 = 1_000_000_000_000;

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The configuration is unusable.
    Config(String),
    /// A checked invariant failed.
    Invariant(String),
    /// The nodes did not agree on one tip in the stated time.
    NoConvergence(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Config(s) => write!(f, "bad simulation config: {s}"),
            SimError::Invariant(s) => write!(f, "invariant violated: {s}"),
            SimError::NoConvergence(s) => write!(f, "no convergence: {s}"),
        }
    }
}

impl std::error::Error for SimError {}

#[derive(Debug)]
enum Ev {
    Tick(u32, u32),
    Deliver(ConnId, Message),
    RemoteClose(ConnId),
    Accept {
        from: u32,
        from_inc: u32,
        to: u32,
        role: Role,
        addr: SocketAddr,
        lat_us: u64,
    },
    Established(ConnId),
    ConnectFailed {
        host: u32,
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

/// One end of a simulated connection: the fields sending and delivering a message
/// read, in 32 bytes (two ends per cache line); the rest is in [`EndInfo`].
#[derive(Debug)]
struct End {
    host: u32,
    inc: u32,
    /// The other end's id (ids fit in 32 bits, see [`Sim::new_end`]).
    remote: u32,
    open: bool,
    established: bool,
    lat_us: u64,
    /// Arrival time of the last message sent from this end (in-order delivery).
    last_arrival: u64,
}

/// What else the simulator knows about one end of a connection (read when it opens,
/// closes or is cut, not per message).
#[derive(Debug)]
struct EndInfo {
    remote_host: u32,
    /// The remote address as this end sees it.
    addr: SocketAddr,
    role: Role,
    dir: Direction,
}

/// What the engine keeps per host (node or tracker).
#[derive(Clone, Debug)]
struct Host {
    /// Incarnation: bumped at each crash, so events of a dead incarnation are dropped.
    inc: u32,
    /// Time of the pending tick (`u64::MAX`: none).
    tick_at: u64,
    /// Time of the last tick delivered.
    last_tick: Option<u64>,
    /// When the host's upload link is free again (bandwidth model).
    upload_free: u64,
    /// The node's tip and its work, as of its last check (invariants, convergence).
    tip: Hash256,
    work: U256,
}

/// A running simulation. See the module documentation of [`crate::sim`].
pub struct Sim {
    cfg: SimConfig,
    params: NetworkParams,
    queue: EventQueue<Ev>,
    now_us: u64,
    start_us: u64,
    mining_start_us: u64,
    nodes: Vec<Option<Node>>,
    tracker: Option<Tracker>,
    tracker_host: u32,
    /// Per-host state the event loop touches on every event, kept together (one
    /// cache line or two per host instead of one per field); index `n` is the tracker.
    hosts: Vec<Host>,
    conns: Vec<End>,
    /// `conn_info[c]` goes with `conns[c]`.
    conn_info: Vec<EndInfo>,
    host_conns: Vec<Vec<ConnId>>,
    stored: Vec<Vec<Arc<Block>>>,
    keep_stored: bool,
    miner_nodes: Vec<usize>,
    miner_keys: Vec<SecretKey>,
    miner_cum: Vec<f64>,
    is_miner: Vec<bool>,
    share_of: Vec<f64>,
    rng_net: SplitMix64,
    rng_mine: SplitMix64,
    digest: Sha256,
    // invariants and convergence
    tip_count: HashMap256<u32>,
    live: u32,
    partitioned: bool,
    cut_pairs: Vec<(u32, u32)>,
    last_heal_us: Option<u64>,
    converged_after_heal_us: Option<u64>,
    // mining
    mining_enabled: bool,
    mining_stopped_us: Option<u64>,
    counted_found: u64,
    /// Whether the block being mined now counts in the statistics.
    mining_counted: bool,
    tail_found: u64,
    lost_finds: u64,
    // measurements
    blocks: Vec<BlockRec>,
    block_index: HashMap256<u32>,
    reorg_hist: Vec<u64>,
    events: u64,
    messages: u64,
    bytes: u64,
    msg_by_type: Vec<(u64, u64)>,
    lost_msgs: u64,
    dup_msgs: u64,
    spin_ticks: u64,
    invariant_checks: u64,
    wall: std::time::Instant,
}

fn node_ip(i: usize) -> IpAddr {
    let n = i as u32 + 1;
    IpAddr::V4(Ipv4Addr::new(127, (n >> 16) as u8, (n >> 8) as u8, n as u8))
}

/// The listen address of node `i`.
pub fn node_addr(i: usize) -> SocketAddr {
    SocketAddr::new(node_ip(i), LISTEN_PORT)
}

fn node_of_addr(addr: SocketAddr) -> Option<usize> {
    if addr.port() != LISTEN_PORT {
        return None;
    }
    match addr.ip() {
        IpAddr::V4(v) => {
            let o = v.octets();
            if o[0] != 127 {
                return None;
            }
            let n = (o[1] as usize) << 16 | (o[2] as usize) << 8 | o[3] as usize;
            n.checked_sub(1)
        }
        IpAddr::V6(_) => None,
    }
}

fn ms_to_us(ms: u64) -> u64 {
    ms.saturating_mul(1000)
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
        if cfg.block_interval_ms == 0 {
            return Err(SimError::Config("block interval must be positive".into()));
        }
        if cfg.bandwidth == Some(0) {
            return Err(SimError::Config("bandwidth must be positive".into()));
        }
        if let Some(p) = cfg.partition {
            if p.heal_ms <= p.start_ms {
                return Err(SimError::Config(
                    "partition must heal after it starts".into(),
                ));
            }
        }
        if let Topology::Tracker { outbound } = cfg.topology {
            if outbound == 0 {
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
        let params = NetworkParams::regtest();
        // Virtual time starts an hour after genesis so block timestamps are realistic.
        let start_us = ms_to_us(params.genesis_time as u64 * 1000 + 3_600_000);
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
        let hi = cfg.latency.high_ms();
        let startup_spread_us = match cfg.topology {
            Topology::Mesh => 0,
            Topology::Tracker { .. } => ms_to_us((n as u64 * 10).min(10_000)),
        };
        let warmup_us = startup_spread_us + ((30.0 * hi + 5000.0) * 1000.0) as u64;
        let genesis = params.genesis_block().hash();
        let mut sim = Sim {
            params,
            queue: EventQueue::new(),
            now_us: start_us,
            start_us,
            mining_start_us: start_us + warmup_us,
            nodes: (0..n).map(|_| None).collect(),
            tracker: None,
            tracker_host: n as u32,
            hosts: vec![
                Host {
                    inc: 0,
                    tick_at: u64::MAX,
                    last_tick: None,
                    upload_free: 0,
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
            digest: Sha256::new(),
            tip_count: HashMap256::default(),
            live: 0,
            partitioned: false,
            cut_pairs: Vec::new(),
            last_heal_us: None,
            converged_after_heal_us: None,
            mining_enabled: true,
            mining_stopped_us: None,
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
            spin_ticks: 0,
            invariant_checks: 0,
            wall: std::time::Instant::now(),
            cfg,
        };
        // Connection id 0 is never used.
        sim.conns.push(End {
            host: u32::MAX,
            inc: 0,
            remote: 0,
            open: false,
            established: false,
            lat_us: 0,
            last_arrival: 0,
        });
        sim.conn_info.push(EndInfo {
            remote_host: u32::MAX,
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
                start_us + sim.rng_net.below(startup_spread_us)
            } else {
                start_us
            };
            if at == start_us {
                sim.start_node(i, Vec::new())?;
            } else {
                sim.queue.push(at, Ev::Restart(i));
            }
        }
        if sim.cfg.topology == Topology::Mesh {
            for b in 1..n {
                for a in 0..b {
                    sim.connect_pair(a, b)?;
                }
            }
        }
        let ms = sim.mining_start_us;
        sim.queue.push(ms, Ev::Mine);
        if let Some(p) = sim.cfg.partition {
            sim.queue
                .push(ms + ms_to_us(p.start_ms), Ev::Partition(true));
            sim.queue
                .push(ms + ms_to_us(p.heal_ms), Ev::Partition(false));
        }
        for c in sim.cfg.crashes.clone() {
            sim.queue.push(ms + ms_to_us(c.at_ms), Ev::Crash(c.node));
            if let Some(r) = c.restart_ms {
                sim.queue
                    .push(ms + ms_to_us(r.max(c.at_ms)), Ev::Restart(c.node));
            }
        }
        for (a, b) in sim.cfg.tracker_outages.clone() {
            sim.queue.push(ms + ms_to_us(a), Ev::TrackerDown);
            sim.queue.push(ms + ms_to_us(b.max(a)), Ev::TrackerUp);
        }
        Ok(sim)
    }

    fn tracker_config(&self) -> TrackerConfig {
        let mut t = TrackerConfig {
            seed: derive_seed(self.cfg.seed, 3) ^ self.hosts[self.tracker_host as usize].inc as u64,
            ..TrackerConfig::default()
        };
        if !self.cfg.keepalive {
            t.heartbeat_timeout = Duration::from_millis(NEVER_MS);
            t.sweep_interval = Duration::from_secs(60);
        }
        t
    }

    fn node_config(&self, i: usize) -> NodeConfig {
        let mut c = NodeConfig::new(self.params.clone());
        c.listen_port = LISTEN_PORT;
        c.seed = derive_seed(self.cfg.seed, 1000 + i as u64) ^ self.hosts[i].inc as u64;
        if let Some(j) = self.miner_nodes.iter().position(|&m| m == i) {
            c.mine_to = Some(account_of(&self.miner_keys[j]));
        }
        match self.cfg.topology {
            Topology::Mesh => {
                c.tracker = None;
                c.max_outbound = 0;
                c.max_inbound = self.cfg.nodes;
            }
            Topology::Tracker { outbound } => {
                c.tracker = Some(TRACKER_ADDR);
                c.max_outbound = outbound;
                c.max_inbound = c.max_inbound.max(outbound * 4);
            }
        }
        // Scale request timeouts to the network: a round trip on a slow link plus
        // sending a full block must fit comfortably.
        let hi = self.cfg.latency.high_ms() as u64;
        let xfer = self.cfg.bandwidth.map_or(0, |bw| {
            (crate::chain::block::MAX_BLOCK_BYTES as u64 * 1000) / bw
        });
        let t = (10 * hi + 2 * xfer).max(10_000);
        c.handshake_timeout_ms = c.handshake_timeout_ms.max(t);
        c.request_timeout_ms = c.request_timeout_ms.max(t);
        if !self.cfg.keepalive {
            c.ping_interval_ms = NEVER_MS;
            c.idle_timeout_ms = NEVER_MS;
            c.heartbeat_interval_ms = NEVER_MS;
        }
        if let Some(p) = self.cfg.block_push_peers {
            c.block_push_peers = p;
        }
        c
    }

    fn now(&self) -> Time {
        Time(self.now_us / 1000)
    }

    fn service(&mut self, h: u32) -> Option<&mut dyn Service> {
        if h == self.tracker_host {
            self.tracker.as_mut().map(|t| t as &mut dyn Service)
        } else {
            self.nodes[h as usize]
                .as_mut()
                .map(|n| n as &mut dyn Service)
        }
    }

    fn alive(&self, h: u32) -> bool {
        if h == self.tracker_host {
            self.tracker.is_some()
        } else {
            self.nodes[h as usize].is_some()
        }
    }

    fn side(&self, h: u32) -> Option<u32> {
        (h != self.tracker_host).then_some(u32::from(h as usize >= self.cfg.nodes / 2))
    }

    /// True if a partition separates the two hosts now (the tracker reaches both).
    fn cut(&self, a: u32, b: u32) -> bool {
        self.partitioned && matches!((self.side(a), self.side(b)), (Some(x), Some(y)) if x != y)
    }

    // ----- hosts -----------------------------------------------------------------

    fn start_node(&mut self, i: usize, stored: Vec<Block>) -> Result<(), SimError> {
        let cfg = self.node_config(i);
        let (node, rejected) = Node::new(cfg, stored, self.now());
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
        self.refresh_tick(i as u32);
        Ok(())
    }

    fn crash_node(&mut self, i: usize) {
        if self.nodes[i].is_none() {
            return;
        }
        self.close_all(i as u32);
        self.nodes[i] = None;
        self.hosts[i].inc += 1;
        self.hosts[i].tick_at = u64::MAX;
        self.hosts[i].last_tick = None;
        let tip = self.hosts[i].tip;
        if let Some(c) = self.tip_count.get_mut(&tip) {
            *c -= 1;
        }
        self.live -= 1;
    }

    /// Closes every open connection of `h` without telling `h` (it is going away); the
    /// remote ends learn it after the link latency.
    fn close_all(&mut self, h: u32) {
        let list = std::mem::take(&mut self.host_conns[h as usize]);
        for c in list {
            let e = &mut self.conns[c as usize];
            if !e.open {
                continue;
            }
            e.open = false;
            let at = (self.now_us + e.lat_us).max(e.last_arrival);
            let r = ConnId::from(e.remote);
            self.queue.push(at, Ev::RemoteClose(r));
        }
    }

    fn refresh_tick(&mut self, h: u32) {
        let Some(d) = self.service(h).and_then(|s| s.next_deadline()) else {
            return;
        };
        let mut us = ms_to_us(d.0);
        if let Some(last) = self.hosts[h as usize].last_tick {
            if us <= last {
                // The service asks again for a deadline it was already ticked at
                // (nothing it can do yet): a real reactor would spin; wake it in 1 s.
                us = last + 1_000_000;
                self.spin_ticks += 1;
            }
        }
        let us = us.max(self.now_us);
        if us != self.hosts[h as usize].tick_at {
            self.hosts[h as usize].tick_at = us;
            let inc = self.hosts[h as usize].inc;
            self.queue.push(us, Ev::Tick(h, inc));
        }
    }

    /// Applies every queued action of `h`, then checks its invariants and re-arms its
    /// timer.
    fn drain(&mut self, h: u32) -> Result<(), SimError> {
        while let Some(a) = self.service(h).and_then(|s| s.poll_action()) {
            self.apply(h, a)?;
        }
        if h != self.tracker_host {
            self.check_node(h as usize)?;
        }
        self.refresh_tick(h);
        Ok(())
    }

    fn apply(&mut self, h: u32, a: Action) -> Result<(), SimError> {
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
                let at = (self.now_us + e.lat_us).max(e.last_arrival);
                let r = ConnId::from(e.remote);
                self.queue.push(at, Ev::RemoteClose(r));
                let now = self.now();
                if let Some(s) = self.service(h) {
                    s.on_disconnected(conn, &reason, now);
                }
            }
            Action::StoreBlock(b) => self.on_store(h as usize, b),
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

    fn on_store(&mut self, h: usize, b: Arc<Block>) {
        let hash = b.hash();
        let n = self.cfg.nodes as u32;
        let now = self.now_us;
        match self.block_index.get(&hash) {
            Some(&ix) => {
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

    /// The cheap per-event invariants of node `i`: its tip's work never decreases and
    /// coins are conserved (supply is the reward times the height: fees move coins,
    /// only coinbases create them).
    fn check_node(&mut self, i: usize) -> Result<(), SimError> {
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
                self.now_us / 1000
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
        if all && self.converged_after_heal_us.is_none() {
            if let Some(h) = self.last_heal_us {
                self.converged_after_heal_us = Some(self.now_us - h);
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

    // ----- links -----------------------------------------------------------------

    fn new_end(
        &mut self,
        host: u32,
        remote_host: u32,
        addr: SocketAddr,
        role: Role,
        dir: Direction,
        lat_us: u64,
    ) -> Result<ConnId, SimError> {
        // Ids are never reused; ends store the other end's id in 32 bits.
        let id = u32::try_from(self.conns.len())
            .map_err(|_| SimError::Config("more than 2^32 connection ends".into()))?;
        self.conns.push(End {
            host,
            inc: self.hosts[host as usize].inc,
            remote: 0,
            open: true,
            established: false,
            lat_us,
            last_arrival: 0,
        });
        self.conn_info.push(EndInfo {
            remote_host,
            addr,
            role,
            dir,
        });
        let id = ConnId::from(id);
        self.host_conns[host as usize].push(id);
        Ok(id)
    }

    /// Joins two new ends `a` and `b` (ids from [`Sim::new_end`], so they fit).
    fn pair_ends(&mut self, a: ConnId, b: ConnId) {
        self.conns[a as usize].remote = b as u32;
        self.conns[b as usize].remote = a as u32;
    }

    /// The address `h` appears to connect from: its IP and an ephemeral port.
    fn source_addr(&self, h: u32, conn: ConnId) -> SocketAddr {
        let ip = if h == self.tracker_host {
            TRACKER_ADDR.ip()
        } else {
            node_ip(h as usize)
        };
        SocketAddr::new(ip, 10_000 + (conn % 50_000) as u16)
    }

    /// Wires `a` (outbound) to `b` (inbound) at once, as the simulator's own topology.
    fn connect_pair(&mut self, a: usize, b: usize) -> Result<(), SimError> {
        let lat = self.cfg.latency.sample_us(&mut self.rng_net);
        let (ha, hb) = (a as u32, b as u32);
        let ca = self.new_end(ha, hb, node_addr(b), Role::Peer, Direction::Outbound, lat)?;
        let cb = self.new_end(
            hb,
            ha,
            SocketAddr::new(node_ip(a), 0),
            Role::Peer,
            Direction::Inbound,
            lat,
        )?;
        let src = self.source_addr(ha, ca);
        self.conn_info[cb as usize].addr = src;
        self.pair_ends(ca, cb);
        self.conns[ca as usize].established = true;
        self.conns[cb as usize].established = true;
        let now = self.now();
        if let Some(s) = self.service(hb) {
            s.on_connected(cb, src, Direction::Inbound, Role::Peer, now);
        }
        if let Some(s) = self.service(ha) {
            s.on_connected(ca, node_addr(b), Direction::Outbound, Role::Peer, now);
        }
        self.drain(hb)?;
        self.drain(ha)
    }

    fn connect(&mut self, h: u32, addr: SocketAddr, role: Role) {
        let lat = self.cfg.latency.sample_us(&mut self.rng_net);
        let target = if addr == TRACKER_ADDR {
            Some(self.tracker_host)
        } else {
            node_of_addr(addr)
                .filter(|&i| i < self.cfg.nodes)
                .map(|i| i as u32)
        };
        let inc = self.hosts[h as usize].inc;
        match target {
            Some(to) if self.alive(to) && !self.cut(h, to) => {
                self.queue.push(
                    self.now_us + lat,
                    Ev::Accept {
                        from: h,
                        from_inc: inc,
                        to,
                        role,
                        addr,
                        lat_us: lat,
                    },
                );
            }
            _ => self.queue.push(
                self.now_us + 2 * lat.max(500),
                Ev::ConnectFailed {
                    host: h,
                    inc,
                    addr,
                    role,
                },
            ),
        }
    }

    fn send(&mut self, h: u32, conn: ConnId, msg: Message) {
        let Some(e) = self.conns.get(conn as usize) else {
            return;
        };
        if !e.open || e.host != h || !e.established {
            return;
        }
        let size = (msg.payload_len() + FRAME_HEADER_LEN) as u64;
        let ty = msg.msg_type();
        self.messages += 1;
        self.bytes += size;
        if let Some(s) = self.msg_by_type.get_mut(ty as usize) {
            s.0 += 1;
            s.1 += size;
        }
        let handshake = ty == MSG_VERSION || ty == MSG_VERACK;
        if self.cfg.loss > 0.0 && !handshake && unit(&mut self.rng_net) < self.cfg.loss {
            self.lost_msgs += 1;
            return;
        }
        let dup = self.cfg.dup > 0.0 && !handshake && unit(&mut self.rng_net) < self.cfg.dup;
        let mut done = self.now_us;
        if let (Some(bw), false) = (self.cfg.bandwidth, h == self.tracker_host) {
            let start = done.max(self.hosts[h as usize].upload_free);
            done = start + (size * 1_000_000).div_ceil(bw);
            self.hosts[h as usize].upload_free = done;
        }
        let e = &mut self.conns[conn as usize];
        let arrival = (done + e.lat_us).max(e.last_arrival);
        e.last_arrival = arrival;
        let r = ConnId::from(e.remote);
        if dup {
            self.dup_msgs += 1;
            self.queue.push(arrival, Ev::Deliver(r, msg.clone()));
        }
        self.queue.push(arrival, Ev::Deliver(r, msg));
    }

    // ----- the event loop --------------------------------------------------------

    fn record(&mut self, host: u32, kind: u8, msg_type: u16) {
        let mut rec = [0u8; 15];
        rec[..8].copy_from_slice(&self.now_us.to_le_bytes());
        rec[8..12].copy_from_slice(&host.to_le_bytes());
        rec[12] = kind;
        rec[13..15].copy_from_slice(&msg_type.to_le_bytes());
        self.digest.update(rec);
    }

    fn process(&mut self, ev: Ev) -> Result<(), SimError> {
        self.events += 1;
        let kind = ev.kind();
        let now = self.now();
        match ev {
            Ev::Tick(h, inc) => {
                if self.hosts[h as usize].tick_at != self.now_us
                    || self.hosts[h as usize].inc != inc
                {
                    self.events -= 1;
                    return Ok(());
                }
                self.record(h, kind, 0);
                self.hosts[h as usize].tick_at = u64::MAX;
                self.hosts[h as usize].last_tick = Some(self.now_us);
                if let Some(s) = self.service(h) {
                    s.on_tick(now);
                }
                self.drain(h)?;
            }
            Ev::Deliver(conn, msg) => {
                let e = &self.conns[conn as usize];
                let h = e.host;
                if !e.open || !e.established || e.inc != self.hosts[h as usize].inc {
                    self.events -= 1;
                    return Ok(());
                }
                self.record(h, kind, msg.msg_type());
                if let Some(s) = self.service(h) {
                    s.on_message(conn, msg, now);
                }
                self.drain(h)?;
            }
            Ev::RemoteClose(conn) => {
                let e = &mut self.conns[conn as usize];
                let h = e.host;
                if !e.open || e.inc != self.hosts[h as usize].inc {
                    return Ok(());
                }
                e.open = false;
                let was_established = e.established;
                let info = &self.conn_info[conn as usize];
                let (addr, role) = (info.addr, info.role);
                self.record(h, kind, 0);
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
                lat_us,
            } => {
                self.record(to, kind, 0);
                if self.hosts[from as usize].inc != from_inc || !self.alive(from) {
                    return Ok(());
                }
                if !self.alive(to) || self.cut(from, to) {
                    self.queue.push(
                        self.now_us + lat_us,
                        Ev::ConnectFailed {
                            host: from,
                            inc: from_inc,
                            addr,
                            role,
                        },
                    );
                    return Ok(());
                }
                let cf = self.new_end(from, to, addr, role, Direction::Outbound, lat_us)?;
                let ct = self.new_end(to, from, addr, Role::Peer, Direction::Inbound, lat_us)?;
                let src = self.source_addr(from, cf);
                self.conn_info[ct as usize].addr = src;
                self.conns[ct as usize].established = true;
                self.pair_ends(cf, ct);
                self.queue.push(self.now_us + lat_us, Ev::Established(cf));
                if let Some(s) = self.service(to) {
                    s.on_connected(ct, src, Direction::Inbound, Role::Peer, now);
                }
                self.drain(to)?;
            }
            Ev::Established(conn) => {
                let e = &mut self.conns[conn as usize];
                let h = e.host;
                if e.inc != self.hosts[h as usize].inc {
                    return Ok(());
                }
                let info = &self.conn_info[conn as usize];
                let (addr, role, open) = (info.addr, info.role, e.open);
                e.established = open;
                self.record(h, kind, 0);
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
                if self.hosts[host as usize].inc != inc {
                    return Ok(());
                }
                self.record(host, kind, 0);
                if let Some(s) = self.service(host) {
                    s.on_connect_failed(addr, role, now);
                }
                self.drain(host)?;
            }
            Ev::Mine => {
                self.record(u32::MAX, kind, 0);
                self.on_mine()?;
            }
            Ev::Partition(on) => {
                self.record(u32::MAX, kind, on as u16);
                if on {
                    self.partition_start()?;
                } else {
                    self.partition_heal()?;
                }
            }
            Ev::Crash(i) => {
                self.record(i as u32, kind, 0);
                self.crash_node(i);
            }
            Ev::Restart(i) => {
                self.record(i as u32, kind, 0);
                if self.nodes[i].is_none() {
                    let stored = std::mem::take(&mut self.stored[i]);
                    self.start_node(i, stored.iter().map(|b| Block::clone(b)).collect())?;
                    self.stored[i] = stored;
                    if self.cfg.topology == Topology::Mesh {
                        for j in 0..self.cfg.nodes {
                            if j != i && self.nodes[j].is_some() && !self.cut(i as u32, j as u32) {
                                self.connect_pair(i, j)?;
                            }
                        }
                    }
                }
            }
            Ev::TrackerDown => {
                let t = self.tracker_host;
                self.record(t, kind, 0);
                if self.tracker.is_some() {
                    self.close_all(t);
                    self.tracker = None;
                    self.hosts[t as usize].inc += 1;
                    self.hosts[t as usize].tick_at = u64::MAX;
                    self.hosts[t as usize].last_tick = None;
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

    fn partition_start(&mut self) -> Result<(), SimError> {
        self.partitioned = true;
        let mut cut = Vec::new();
        for (c, (e, info)) in self.conns.iter().zip(&self.conn_info).enumerate() {
            if e.open && info.dir == Direction::Outbound && self.cut(e.host, info.remote_host) {
                cut.push(c as ConnId);
            }
        }
        let reason = DisconnectReason::Io("network partition".into());
        let now = self.now();
        for c in cut {
            let (h, r, rh, est) = {
                let e = &self.conns[c as usize];
                let rh = self.conn_info[c as usize].remote_host;
                (e.host, ConnId::from(e.remote), rh, e.established)
            };
            self.cut_pairs.push((h, rh));
            for (conn, host, tell) in [(c, h, est), (r, rh, true)] {
                let e = &mut self.conns[conn as usize];
                if !e.open {
                    continue;
                }
                e.open = false;
                if tell {
                    if let Some(s) = self.service(host) {
                        s.on_disconnected(conn, &reason, now);
                    }
                    self.drain(host)?;
                }
            }
        }
        Ok(())
    }

    fn partition_heal(&mut self) -> Result<(), SimError> {
        self.partitioned = false;
        self.last_heal_us = Some(self.now_us);
        self.converged_after_heal_us = None;
        let mut linked = BTreeSet::new();
        for (e, info) in self.conns.iter().zip(&self.conn_info) {
            let rh = info.remote_host;
            if e.open && e.host != self.tracker_host && rh != self.tracker_host {
                linked.insert((e.host.min(rh), e.host.max(rh)));
            }
        }
        let pairs: Vec<(u32, u32)> = match self.cfg.topology {
            Topology::Mesh => {
                let n = self.cfg.nodes as u32;
                (1..n).flat_map(|b| (0..b).map(move |a| (a, b))).collect()
            }
            Topology::Tracker { .. } => std::mem::take(&mut self.cut_pairs),
        };
        for (a, b) in pairs {
            let key = (a.min(b), a.max(b));
            if self.alive(a) && self.alive(b) && !linked.contains(&key) {
                linked.insert(key);
                self.connect_pair(a as usize, b as usize)?;
            }
        }
        if self.tips_agree() {
            self.converged_after_heal_us = Some(0);
        }
        Ok(())
    }

    fn on_mine(&mut self) -> Result<(), SimError> {
        let counting = self.counted_found < self.cfg.blocks;
        if !counting && self.tips_agree() && !self.partitioned && self.no_partition_ahead() {
            // Every counted block is mined and the network agrees: stop the clock.
            self.mining_stopped_us = Some(self.now_us);
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
            self.cfg.block_interval_ms as f64 * 1000.0,
        );
        let u = unit(&mut self.rng_mine);
        self.queue
            .push(self.now_us + (next as u64).max(1), Ev::Mine);
        if !self.mining_enabled {
            return Ok(());
        }
        let j = self
            .miner_cum
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.miner_cum.len() - 1);
        let i = self.miner_nodes[j];
        let now = self.now();
        let Some(node) = self.nodes[i].as_mut() else {
            self.lost_finds += 1;
            return Ok(());
        };
        if !node.wants_to_mine() {
            self.lost_finds += 1;
            return Ok(());
        }
        let before = node.stats().blocks_mined;
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
        if counting {
            self.counted_found += 1;
        } else {
            self.tail_found += 1;
        }
        self.mining_counted = counting;
        self.drain(i as u32)
    }

    /// True when no partition is still to come (so stopping the miners is final).
    fn no_partition_ahead(&self) -> bool {
        match self.cfg.partition {
            Some(p) => self.now_us >= self.mining_start_us + ms_to_us(p.heal_ms),
            None => true,
        }
    }

    /// Processes every event up to and including virtual time `t_us` (absolute µs).
    fn run_to(&mut self, t_us: u64) -> Result<(), SimError> {
        while let Some(t) = self.queue.peek_time() {
            if t > t_us {
                break;
            }
            let (t, ev) = self.queue.pop().expect("peeked");
            self.now_us = t;
            self.process(ev)?;
        }
        self.now_us = self.now_us.max(t_us);
        Ok(())
    }

    /// Runs until `ms` milliseconds after mining started (negative offsets are not
    /// needed: mining starts after the handshakes settle).
    ///
    /// # Errors
    /// The first violated invariant.
    pub fn run_until(&mut self, ms: u64) -> Result<(), SimError> {
        self.run_to(self.mining_start_us + ms_to_us(ms))
    }

    /// Milliseconds since mining started (0 before).
    pub fn now_ms(&self) -> u64 {
        self.now_us.saturating_sub(self.mining_start_us) / 1000
    }

    /// Turns the miners' Poisson clock on or off (finds while off are discarded).
    pub fn set_mining(&mut self, on: bool) {
        self.mining_enabled = on;
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
        self.drain(i as u32)?;
        Ok(r)
    }

    /// Runs to the end: every counted block mined, then until the nodes agree and the
    /// network is quiet; checks convergence and returns the report.
    ///
    /// # Errors
    /// An invariant violation or [`SimError::NoConvergence`].
    pub fn finish(mut self) -> Result<Report, SimError> {
        let hi_us = (self.cfg.latency.high_ms() * 1000.0) as u64;
        let settle_us = (100 * hi_us).max(60_000_000);
        while let Some(t) = self.queue.peek_time() {
            if let Some(stop) = self.mining_stopped_us {
                if t > stop + settle_us {
                    break;
                }
            }
            let (t, ev) = self.queue.pop().expect("peeked");
            self.now_us = t;
            self.process(ev)?;
        }
        let within = if self.cfg.converge_within_ms > 0 {
            ms_to_us(self.cfg.converge_within_ms)
        } else {
            ms_to_us(5 * self.cfg.block_interval_ms) + 100 * hi_us
        };
        if !self.tips_agree() {
            return Err(SimError::NoConvergence(format!(
                "{} distinct tips among {} live nodes at the end",
                self.tip_count.len(),
                self.live
            )));
        }
        if let Some(h) = self.last_heal_us {
            match self.converged_after_heal_us {
                Some(d) if d <= within => {}
                Some(d) => {
                    return Err(SimError::NoConvergence(format!(
                        "tips agreed {} ms after the partition healed (allowed {} ms)",
                        d / 1000,
                        within / 1000
                    )))
                }
                None => {
                    return Err(SimError::NoConvergence(format!(
                        "tips never agreed after the partition healed at {} ms",
                        (h - self.mining_start_us) / 1000
                    )))
                }
            }
        }
        Ok(self.report())
    }

    /// Runs the whole simulation and returns its report.
    ///
    /// # Errors
    /// As [`Sim::finish`].
    pub fn run(cfg: SimConfig) -> Result<Report, SimError> {
        Sim::new(cfg)?.finish()
    }

    fn report(mut self) -> Report {
        let reference = self
            .nodes
            .iter()
            .flatten()
            .next()
            .expect("at least one live node");
        let chain = reference.chain();
        for b in &mut self.blocks {
            b.height = chain.height_of(&b.hash).unwrap_or(0);
        }
        let in_best: Vec<bool> = self
            .blocks
            .iter()
            .map(|b| chain.is_active(&b.hash))
            .collect();
        let digest: [u8; 32] = self.digest.clone().finalize().into();
        Report::build(
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
                spin_ticks: self.spin_ticks,
                invariant_checks: self.invariant_checks,
                virtual_ms: (self.now_us - self.start_us) / 1000,
                mining_ms: self
                    .mining_stopped_us
                    .unwrap_or(self.now_us)
                    .saturating_sub(self.mining_start_us)
                    / 1000,
                converge_after_heal_ms: self.converged_after_heal_us.map(|d| d / 1000),
                wall_secs: self.wall.elapsed().as_secs_f64(),
                digest,
            },
        )
    }
}
