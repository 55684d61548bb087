//! The peer node: the protocol logic of one participant, as a pure state machine.
//!
//! A [`Node`] owns the chain, mempool, orphan pool, miner and the state of every
//! connection, and implements [`Service`]: inputs in, [`Action`]s out, time passed in.
//! The `peer` binary drives it with the `mio` reactor; tests and the simulator drive it
//! directly.
//!
//! Protocol summary (the byte-level reference is `spec/peer-protocol.md`):
//! handshake (Version/Verack both ways, network id and self-connection checks), then
//! headers-first sync (GetHeaders with a locator, Headers), block download by GetData
//! with per-request deadlines, new blocks announced by their header, transactions
//! relayed by inventory, ping/pong keepalive, and bans for provable misbehaviour.

mod addrbook;
mod bans;
mod batch;
pub mod budget;
pub mod config;
mod download;
mod handshake;
pub mod hashmeter;
mod inflight;
pub mod known;
mod mining;
mod mismatch;
pub mod peer;
mod ping;
mod presync;
pub mod query;
mod relay;
mod replay;
mod rivals;
mod slots;
mod stale;
pub mod strategy;
mod sync;
mod timers;

pub use config::{stale_tip_min_default, NodeConfig};
pub use strategy::{Selfish, Strategy};

use crate::chain::block::HashedBlock;
use crate::chain::error::{BlockError, TxError};
use crate::chain::header::HashedHeader;
use crate::chain::mempool::Mempool;
use crate::chain::orphans::OrphanPool;
use crate::chain::sigcache::{SigCache, SIG_CACHE_MAX_ENTRIES};
use crate::chain::tree::Chain;
use crate::chain::{Block, BlockHeader, Hash256, Transaction, Transfer};
use crate::miner::{block_template, Miner};
use crate::rng::SplitMix64;
use crate::service::{
    whole_ms, Action, Budget, ConnId, Direction, DisconnectReason, Event, Role, Service, Time,
};
use crate::wire::{
    InvItem, InvKind, Message, RejectCode, Version, MAX_HEADERS, MAX_INV, MAX_LOCATOR,
    PROTOCOL_VERSION,
};
pub use addrbook::MAX_OUTBOUND_PER_GROUP;
use addrbook::{AddrBook, TrackerLink};
use bans::{block_error_punishable, tx_error_punishable, Bans};
use inflight::InFlight;
use known::BlockKnowledge;
use log::{debug, info, warn};
use mining::Mining;
use mismatch::MismatchWatch;
use peer::{Handshake, Peer, PeerTable, PingState};
pub use stale::{STALE_TIP_INTERVALS, STALE_TIP_MIN_MS, STALE_TIP_MIN_TEST_MS};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use timers::TimerTable;

/// Most blocks a single GetData answer carries; the rest are answered with NotFound.
/// A node never asks one peer for more blocks than this in one GetData.
pub const MAX_BLOCKS_PER_GETDATA: usize = 128;
/// How long a peer that answered NotFound for a block is not asked for it again.
pub const NOT_FOUND_RETRY: Duration = Duration::from_secs(10);
/// Most headers of a new tip announced at once; a peer that needs more asks.
pub const MAX_ANNOUNCE_HEADERS: usize = 8;
/// How many blocks of the best header chain past the tip are considered for download
/// at once.
pub const DOWNLOAD_WINDOW: usize = 512;
/// Bytes of a block template kept free of transfers (header, count, coinbase, slack).
pub const TEMPLATE_RESERVED_BYTES: usize = 10_000;
/// Mining pauses while the best header is more than this many blocks ahead of the
/// tip and blocks are being downloaded.
pub const SYNC_PAUSE_GAP: u32 = 2;
/// Least time between two requests for a fresh peer list.
pub const GET_PEERS_INTERVAL: Duration = Duration::from_secs(30);
/// Default size of the pool of inbound sockets still in their handshake
/// ([`NodeConfig::max_handshaking`]).
pub const MAX_HANDSHAKING: usize = 16;
/// Most addresses remembered from the tracker.
pub const MAX_KNOWN_ADDRS: usize = 4096;

/// Counters a status line or a test reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Reorganisations (tip changes that disconnected blocks).
    pub reorgs: u64,
    /// Deepest reorganisation seen.
    pub max_reorg_depth: u32,
    /// Blocks this node mined that were accepted by its own chain.
    pub blocks_mined: u64,
    /// Blocks received from peers and accepted.
    pub blocks_received: u64,
    /// Peers disconnected for misbehaviour.
    pub bans: u64,
    /// Headers and blocks refused for now because their time was too far ahead of this
    /// node's clock (they are accepted once announced again when the clock caught up).
    pub time_too_new: u64,
}

/// A one-line summary of the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Height of the active tip.
    pub height: u32,
    /// Active tip hash.
    pub tip: Hash256,
    /// Height of the best known header (above `height` while syncing).
    pub best_header_height: u32,
    /// Ready inbound peers.
    pub peers_in: usize,
    /// Ready outbound peers.
    pub peers_out: usize,
    /// Distinct ready peers (two connections with one peer, one each way, count once:
    /// peers are told apart by their version nonce).
    pub peers_distinct: usize,
    /// Transactions in the mempool.
    pub mempool: usize,
    /// Blocks being downloaded.
    pub blocks_in_flight: usize,
    /// Whether the tracker connection is up.
    pub tracker_connected: bool,
    /// The newest blocks of the active chain, oldest first (up to
    /// [`STATUS_RECENT_BLOCKS`]): lets an observer check that nodes agree on the chain
    /// below a tip that is still moving.
    pub recent: Vec<(u32, Hash256)>,
    /// Counters.
    pub stats: NodeStats,
}

/// How many of the newest active-chain blocks [`Node::status`] lists.
pub const STATUS_RECENT_BLOCKS: u32 = 16;

/// The peer node state machine. See the module documentation.
pub struct Node {
    peers: PeerTable,
    tracker: TrackerLink,
    /// Which peers are known to have which blocks (see [`known`]).
    known: BlockKnowledge,
    outbox: VecDeque<Action>,
    started: bool,
    /// Block downloads in flight.
    block_requests: InFlight,
    /// Transaction downloads in flight.
    tx_requests: InFlight,
    stats: NodeStats,
    chain: Chain,
    cfg: NodeConfig,
    mempool: Mempool,
    /// Signatures verified on entry to the mempool, so their block need not verify
    /// them again.
    sig_cache: SigCache,
    orphans: OrphanPool,
    rng: SplitMix64,
    nonce: u64,
    /// Where outbound connections may go.
    addrs: AddrBook,
    bans: Bans,
    /// The miner and its template.
    mining: Mining,
    /// Every armed deadline (see [`timers`]).
    timers: TimerTable,
    /// Connections lost to another network, for a warning that names it.
    mismatch: MismatchWatch,
    /// Clients of the local control socket (see [`query`]).
    control: BTreeSet<ConnId>,
    /// The `mine` request being carried out, if any.
    mine_request: Option<query::MineRequest>,
    /// This node's own hash rate.
    hash_meter: hashmeter::HashMeter,
    /// A control client asked the node to stop.
    stop_requested: bool,
    /// The selfish-mining state, for a node whose strategy is selfish.
    selfish: Option<Selfish>,
    /// Equal-work rival tips whose blocks to fetch (random tie-break; see [`rivals`]).
    rivals: Vec<Hash256>,
    /// The side headers all peers together may still make it store (see [`presync`]).
    side_headers: budget::Gcra,
    /// Work put off until the end of a message batch (see [`batch`]).
    batch: batch::Batch,
    /// The stale-tip check (see [`stale`]).
    stale: stale::StaleTip,
}

impl Node {
    /// A node whose chain is rebuilt from `stored` blocks (in the order they were
    /// stored), each re-validated. Returns the node and how many stored blocks were
    /// rejected on re-validation.
    pub fn new(cfg: NodeConfig, stored: Vec<Block>, now: Time) -> (Node, usize) {
        let tie_break = match cfg.strategy {
            Strategy::Honest => cfg.tie_break,
            Strategy::Selfish => crate::chain::tree::TieBreak::FirstSeen,
        };
        let mut chain = Chain::with_tie_break(cfg.params.clone(), tie_break);
        let rejected = replay::replay(&mut chain, stored, now);
        let mut rng = SplitMix64::new(cfg.seed);
        let nonce = rng.next_u64();
        let tip = chain.tip();
        let stale_after = stale::stale_after(&cfg);
        let mut node = Node {
            mempool: Mempool::new(cfg.mempool_max_txs),
            sig_cache: SigCache::with_random_salt(SIG_CACHE_MAX_ENTRIES),
            orphans: OrphanPool::new(cfg.orphan_max_bytes, cfg.orphan_peer_bytes),
            chain,
            rng,
            nonce,
            peers: PeerTable::default(),
            tracker: TrackerLink {
                conn: None,
                last_get_peers: now,
                connecting: false,
                retry_at: now,
                backoff: cfg.tracker_backoff_min,
                next_heartbeat: now,
            },
            addrs: AddrBook::default(),
            bans: Bans::default(),
            block_requests: InFlight::default(),
            tx_requests: InFlight::default(),
            mining: Mining::new(now),
            outbox: VecDeque::new(),
            stats: NodeStats::default(),
            started: false,
            known: BlockKnowledge::default(),
            timers: TimerTable::default(),
            mismatch: MismatchWatch::default(),
            control: BTreeSet::new(),
            mine_request: None,
            hash_meter: hashmeter::HashMeter::default(),
            stop_requested: false,
            selfish: None,
            rivals: Vec::new(),
            side_headers: budget::Gcra::default(),
            batch: batch::Batch::default(),
            stale: stale::StaleTip::new(tip, now, stale_after),
            cfg,
        };
        if node.cfg.strategy == Strategy::Selfish {
            node.selfish = Some(Selfish::new(node.chain.height()));
        }
        for a in node.cfg.connect.clone() {
            node.addrs.learn(a, now);
        }
        node.timers
            .set(timers::Timer::StaleTip, node.stale.deadline());
        node.arm_node_timers();
        (node, rejected)
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The mempool.
    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }

    /// Bytes held in the orphan pool (bounded by the configured budget).
    pub fn orphan_bytes(&self) -> usize {
        self.orphans.bytes()
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    /// The selfish-mining state, if this node mines selfishly.
    pub fn selfish(&self) -> Option<&Selfish> {
        self.selfish.as_ref()
    }

    /// Counters.
    pub fn stats(&self) -> &NodeStats {
        &self.stats
    }

    /// A snapshot of the node's state for status lines and tests.
    pub fn status(&self) -> Status {
        let ready = |d: Direction| {
            self.peers
                .values()
                .filter(|p| p.is_ready() && p.dir == d)
                .count()
        };
        Status {
            height: self.chain.height(),
            tip: self.chain.tip(),
            best_header_height: self.chain.best_header().1,
            peers_in: ready(Direction::Inbound),
            peers_out: ready(Direction::Outbound),
            peers_distinct: self
                .peers
                .values()
                .filter(|p| p.is_ready())
                .filter_map(|p| p.version().map(|v| v.nonce))
                .collect::<BTreeSet<u64>>()
                .len(),
            mempool: self.mempool.len(),
            blocks_in_flight: self.block_requests.len(),
            tracker_connected: self.tracker.conn.is_some(),
            recent: {
                let h = self.chain.height();
                (h.saturating_sub(STATUS_RECENT_BLOCKS - 1)..=h)
                    .filter_map(|i| Some((i, self.chain.hash_at(i)?)))
                    .collect()
            },
            stats: self.stats.clone(),
        }
    }

    /// Adds a transaction as if a peer had sent it (used by local wallets and tests).
    ///
    /// # Errors
    /// The mempool's reason for refusing it.
    pub fn submit_transfer(&mut self, t: Transfer) -> Result<Hash256, TxError> {
        let txid = self
            .mempool
            .add_with(t, &self.chain, Some(&mut self.sig_cache))?;
        self.relay_tx(txid, None);
        self.mining.mark_dirty();
        Ok(txid)
    }

    fn push(&mut self, a: Action) {
        self.outbox.push_back(a);
    }

    fn send(&mut self, conn: ConnId, msg: Message) {
        self.push(Action::Send { conn, msg });
    }

    fn disconnect(&mut self, conn: ConnId, reason: DisconnectReason) {
        if let Some(p) = self.peers.get_mut(&conn) {
            p.closing = true;
        }
        self.push(Action::Disconnect { conn, reason });
    }

    /// Charges `n` tokens of budget `b` to the peer on `conn`; false (and the peer is
    /// cut with [`DisconnectReason::OverBudget`], which bans) if the budget ran out.
    fn charge(&mut self, conn: ConnId, b: crate::service::Budget, n: usize, now: Time) -> bool {
        let (burst, rate) = self.cfg.ping_budget;
        let Some(p) = self.peers.get_mut(&conn) else {
            return false;
        };
        let ok = match b {
            crate::service::Budget::Ping => p.budgets.take_ping(n as u64, burst, rate, now),
            _ => p.budgets.take(b, n as u64, now),
        };
        if ok {
            return true;
        }
        warn!(target: "net", "peer {} exceeded its {b} budget", p.addr);
        self.disconnect(conn, DisconnectReason::OverBudget(b));
        false
    }

    fn on_peer_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        let Some(p) = self.peers.get_mut(&conn) else {
            return;
        };
        p.last_recv = now;
        p.bytes_in += (crate::wire::FRAME_HEADER_LEN + msg.payload_len()) as u64;
        let ready = p.is_ready();
        match msg {
            Message::Version(v) => self.on_version(conn, v, now),
            Message::Verack => {
                let p = self.peers.get_mut(&conn).expect("checked above");
                p.handshake = match std::mem::replace(&mut p.handshake, Handshake::VersionSent) {
                    Handshake::VersionSent => Handshake::GotVerack,
                    Handshake::GotVersion(v) => Handshake::Ready(v),
                    h @ (Handshake::GotVerack | Handshake::Ready(_)) => {
                        p.handshake = h;
                        self.punish(conn, "duplicate verack".into(), now);
                        return;
                    }
                };
                let ready = p.is_ready();
                self.arm_peer_timers(conn);
                if ready {
                    self.on_ready(conn, now);
                }
            }
            Message::Reject { code, reason, .. } if !ready => {
                info!(target: "net", "peer refused the handshake ({code}): {reason}");
            }
            _ if !ready => {
                self.disconnect(
                    conn,
                    DisconnectReason::ProtocolViolation("message before handshake"),
                );
            }
            Message::Ping { nonce } => {
                if self.charge(conn, Budget::Ping, 1, now) {
                    self.send(conn, Message::Pong { nonce });
                }
            }
            Message::Pong { nonce } => {
                let p = self.peers.get_mut(&conn).expect("checked above");
                if let PingState::AwaitingPong { nonce: n, sent } = p.ping {
                    if n == nonce {
                        p.rtt = Some(now.since(sent));
                        p.ping = PingState::Idle {
                            next: sent + self.cfg.ping_interval,
                        };
                        self.arm_peer_timers(conn);
                    }
                }
            }
            Message::GetHeaders { locator, stop } => {
                let mut hashed = self
                    .chain
                    .hashed_headers_after(&locator, &stop, MAX_HEADERS);
                let cost = budget::GET_HEADERS_COST as usize + hashed.len();
                if !self.charge(conn, Budget::GetHeaders, cost, now) {
                    return;
                }
                // A selfish node's withheld blocks are the top of its chain.
                if let Some(s) = &self.selfish {
                    hashed.retain(|h| !s.is_withheld(&h.hash()));
                }
                if let Some(p) = self.peers.get_mut(&conn) {
                    for h in &hashed {
                        self.known.record(p, &h.hash());
                    }
                }
                let headers = hashed.iter().map(|h| *h.header()).collect();
                self.send(conn, Message::Headers { headers });
            }
            Message::Headers { headers } => self.on_headers(conn, headers, now),
            Message::Inv { items } => {
                if self.charge(conn, Budget::Inventory, items.len(), now) {
                    self.on_inv(conn, items, now);
                }
            }
            Message::GetData { items } => {
                // Only transaction items are budgeted. Block items are paid for by
                // reading: at most MAX_BLOCKS_PER_GETDATA blocks per request, and a
                // requester that does not read its answers fills its send queue and
                // is cut; a syncing peer asks for blocks as fast as it takes them, far
                // above any fixed rate.
                let txs = items.iter().filter(|i| i.kind == InvKind::Tx).count();
                if self.charge(conn, Budget::GetData, txs, now) {
                    self.on_getdata(conn, items);
                }
            }
            Message::NotFound { items } => self.on_notfound(conn, items, now),
            Message::Block(block) => self.on_block(conn, block, now),
            Message::Tx(tx) => self.on_tx(conn, *tx, now),
            Message::Mempool => {
                if !self.charge(conn, Budget::GetData, budget::MEMPOOL_COST as usize, now) {
                    return;
                }
                self.answer_mempool(conn)
            }
            Message::GetAccount { account } => self.answer_account(conn, account, true),
            m if query::is_query(&m) || m.is_control() => self.on_peer_query(conn, m, now),
            m if query::is_answer(&m) => {
                debug!(target: "net", "ignoring an unasked {} from a peer", m.name());
            }
            Message::Reject {
                msg_type,
                code,
                hash,
                reason,
            } => {
                debug!(target: "net", "peer rejected our {msg_type:#06x} {hash}: {code:?} {reason}");
            }
            other => {
                debug!(target: "net", "tracker message {} from a peer", other.name());
                self.disconnect(
                    conn,
                    DisconnectReason::ProtocolViolation("tracker message on a peer connection"),
                );
            }
        }
    }
}

impl Service for Node {
    fn on_connected(
        &mut self,
        conn: ConnId,
        addr: SocketAddr,
        dir: Direction,
        role: Role,
        now: Time,
    ) {
        if role == Role::Control {
            self.on_control_connected(conn);
            return;
        }
        if role == Role::Tracker {
            self.tracker.conn = Some(conn);
            self.tracker.connecting = false;
            self.tracker.next_heartbeat = now + self.cfg.heartbeat_interval;
            info!(target: "net", "connected to tracker {addr}");
            self.send(
                conn,
                Message::Register {
                    listen_port: self.cfg.listen_port,
                },
            );
            self.arm_node_timers();
            return;
        }
        if dir == Direction::Outbound {
            self.addrs.dial_done(&addr);
        }
        let mut peer = Peer::new(addr, dir, now, self.cfg.ping_interval);
        peer.slot = self.known.take_slot();
        // Connection ids are never reused; should one be, free the old peer's slot.
        if let Some(s) = self.peers.insert(conn, peer).and_then(|old| old.slot) {
            self.known.release_slot(s);
        }
        self.arm_peer_timers(conn);
        if self.bans.is_banned(addr, now) {
            self.refuse(conn, RejectCode::Banned, "address banned for misbehaviour");
            self.disconnect(conn, DisconnectReason::Banned);
            return;
        }
        if dir == Direction::Inbound && !self.admit_inbound_socket(conn) {
            return;
        }
        // Both sides send their version at once (spec/wire.md, section 2.2).
        let m = self.version_message();
        self.send(conn, m);
    }

    fn on_connect_failed(&mut self, addr: SocketAddr, role: Role, now: Time) {
        match role {
            Role::Tracker => self.tracker_lost(now),
            Role::Control => {}
            Role::Peer => {
                self.addrs.dial_done(&addr);
                self.addrs.retry_later(&addr, now + self.cfg.peer_retry);
                self.stale_extra_failed(&addr);
                debug!(target: "net", "could not connect to {addr}");
            }
        }
        self.arm_node_timers();
    }

    fn on_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        if self.batch.is_open() && !matches!(msg, Message::Block(_)) {
            self.flush_batched_tip();
        }
        if self.control.contains(&conn) {
            self.on_control_message(conn, msg, now);
        } else if self.tracker.conn == Some(conn) {
            self.on_tracker_message(conn, msg, now);
            self.arm_node_timers();
        } else {
            let headers = self.chain.header_count();
            self.on_peer_message(conn, msg, now);
            if self.chain.header_count() > headers {
                if let Some(p) = self.peers.get_mut(&conn) {
                    p.last_new_header = Some(now);
                }
            }
            self.stale_tip_seen(now);
        }
    }

    fn batch_start(&mut self) {
        self.open_batch();
    }

    fn batch_end(&mut self, now: Time) {
        self.close_batch(now);
    }

    fn on_disconnected(&mut self, conn: ConnId, reason: &DisconnectReason, now: Time) {
        if self.control.contains(&conn) {
            self.on_control_disconnected(conn);
            return;
        }
        if self.tracker.conn == Some(conn) {
            info!(target: "net", "tracker connection closed: {reason}");
            self.mismatch
                .tracker_closed(&self.cfg.params, self.cfg.tracker, now);
            self.tracker_lost(now);
            self.arm_node_timers();
            return;
        }
        let Some(p) = self.peers.remove(&conn) else {
            return;
        };
        if let Some(s) = p.slot {
            self.known.release_slot(s);
        }
        self.stop_peer_timers(conn);
        let other_network = match reason {
            DisconnectReason::Frame(crate::wire::FrameError::BadMagic { found }) => {
                self.mismatch
                    .peer_magic(&self.cfg.params, p.addr, *found, now);
                crate::chain::params::NetworkParams::name_of_magic(*found).is_some()
            }
            _ => false,
        };
        // A peer of another preset network is a mistake, not an attack: cut, not banned.
        if reason.is_misbehaviour() && !other_network {
            self.ban(p.addr, now);
        }
        if p.dir == Direction::Outbound {
            let retry = now + self.cfg.peer_retry;
            for a in [Some(p.addr), p.listen_addr()].into_iter().flatten() {
                self.addrs.retry_later(&a, retry);
            }
        }
        if p.is_ready() {
            info!(target: "net", "peer {} disconnected: {reason}", p.addr);
            self.push(Action::Event(Event::PeerDisconnected {
                conn,
                reason: reason.clone(),
            }));
        }
        // The peer's block requests went with its slots.
        self.block_requests.drop_peer(conn);
        if self.tx_requests.drop_peer(conn) {
            self.tx_requests_changed();
        }
        self.request_blocks(now);
        self.connect_more(now);
        self.arm_node_timers();
    }

    fn on_tick(&mut self, now: Time) {
        self.started = true;
        self.tracker_tick(now);
        self.peer_timeouts(now);
        self.bans.expire(now);
        // A transaction that was announced but never delivered may be fetched from
        // whoever announces it next.
        if self.tx_requests.expire(now) {
            self.tx_requests_changed();
        }
        self.connect_more(now);
        self.ask_for_peers_if_starving(now);
        self.request_blocks(now);
        self.stale_tip_check(now);
        self.arm_node_timers();
    }

    fn next_deadline(&self) -> Option<Time> {
        if !self.started {
            return Some(Time(0));
        }
        self.timers.next()
    }

    fn wants_to_mine(&self) -> bool {
        (self.cfg.mine_to.is_some() || self.mine_request.is_some())
            && self.started
            && !self.syncing()
    }

    fn mine(&mut self, budget: u32, now: Time) -> u64 {
        if self.cfg.mine_to.is_none() && self.mine_request.is_none() {
            return 0;
        }
        // May replace the miner (new template); the delta below is taken on the miner
        // that does this slice's work, so a rebuild never counts twice or goes negative.
        self.ensure_template(now);
        let Some(miner) = self.mining.miner_mut() else {
            return 0;
        };
        let before = miner.hashes_done();
        let found = miner.work(budget);
        let tried = miner.hashes_done().saturating_sub(before);
        self.hash_meter.record(tried, now);
        if let Some(block) = found {
            let block = HashedBlock::new(block);
            let hash = block.hash();
            self.mining.mark_dirty();
            // Withheld before it is stored, so the tip change does not announce it.
            let publish = match self.selfish.as_mut() {
                Some(s) => {
                    let parent = block.block().header.prev;
                    let height = self.chain.height_of(&parent).map_or(0, |h| h + 1);
                    Some(s.on_mined(hash, height))
                }
                None => None,
            };
            self.process_block(block, None, now);
            self.stale_tip_seen(now);
            if let Some(height) = self.chain.height_of(&hash) {
                self.stats.blocks_mined += 1;
                info!(target: "miner", "mined block {height} {}", hash.short());
                self.push(Action::Event(Event::BlockMined { hash, height }));
                self.mined_for_request(hash);
                if let Some(publish) = publish {
                    self.publish(publish);
                }
            }
        }
        tried
    }

    fn poll_action(&mut self) -> Option<Action> {
        let a = self.outbox.pop_front()?;
        if let Action::Send { conn, msg } = &a {
            if let Some(p) = self.peers.get_mut(conn) {
                p.bytes_out += (crate::wire::FRAME_HEADER_LEN + msg.payload_len()) as u64;
            }
        }
        Some(a)
    }
}
