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

pub mod config;
pub mod known;
pub mod peer;
pub mod recent;

pub use config::NodeConfig;

use crate::chain::block::HashedBlock;
use crate::chain::error::{BlockError, TxError};
use crate::chain::header::HashedHeader;
use crate::chain::mempool::Mempool;
use crate::chain::orphans::OrphanPool;
use crate::chain::tree::Chain;
use crate::chain::{Block, BlockHeader, Hash256, Transaction, Transfer};
use crate::miner::Miner;
use crate::rng::SplitMix64;
use crate::service::{Action, ConnId, Direction, DisconnectReason, Event, Role, Service, Time};
use crate::wire::{
    InvItem, InvKind, Message, RejectCode, Version, MAX_HEADERS, MAX_INV, MAX_LOCATOR,
    PROTOCOL_VERSION,
};
use known::BlockKnowledge;
use log::{debug, info, warn};
use peer::{Peer, PeerTable};
use recent::RecentHeaders;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// Most blocks a single GetData answer carries; the rest are answered with NotFound.
pub const MAX_BLOCKS_PER_GETDATA: usize = 128;
/// Most headers of a new tip announced at once; a peer that needs more asks.
pub const MAX_ANNOUNCE_HEADERS: usize = 8;
/// Most recently accepted headers remembered with their hash and height, so the same
/// header announced again by other peers is recognised without hashing or tree look-ups.
pub const MAX_RECENT_HEADERS: usize = 2 * MAX_ANNOUNCE_HEADERS;
/// How many blocks of the best header chain past the tip are considered for download
/// at once.
pub const DOWNLOAD_WINDOW: usize = 512;
/// Bytes of a block template kept free of transfers (header, count, coinbase, slack).
pub const TEMPLATE_RESERVED_BYTES: usize = 10_000;
/// Mining pauses while the best header is more than this many blocks ahead of the
/// tip and blocks are being downloaded.
pub const SYNC_PAUSE_GAP: u32 = 2;
/// Least time between two requests for a fresh peer list, in ms.
pub const GET_PEERS_INTERVAL_MS: u64 = 30_000;
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

#[derive(Debug)]
struct TrackerLink {
    conn: Option<ConnId>,
    /// When we last asked the tracker for a fresh peer list.
    last_get_peers: Time,
    connecting: bool,
    retry_at: Time,
    backoff_ms: u64,
    next_heartbeat: Time,
}

/// The peer node state machine. See the module documentation.
///
/// `repr(C)` keeps the fields in this order: those read on every message and timer
/// come first, so they share a few cache lines (a simulator holds thousands of nodes
/// and touches a different one at each event).
#[repr(C)]
pub struct Node {
    peers: PeerTable,
    tracker: TrackerLink,
    /// Which peers are known to have which blocks (see [`known`]).
    known: BlockKnowledge,
    /// Recently accepted valid headers with hash and height (see [`MAX_RECENT_HEADERS`]),
    /// valid while `chain.invalid_marks()` equals `recent_marks`.
    recent_headers: RecentHeaders,
    recent_marks: u64,
    outbox: VecDeque<Action>,
    /// The earliest per-peer deadline (handshake, idle, ping, header request), cached
    /// so that [`Service::next_deadline`] need not scan every peer after every event;
    /// `None` means it must be recomputed. It may be earlier than the exact value (a
    /// peer's `last_recv` moves its idle deadline later without clearing it), which
    /// only costs a tick that finds nothing to do; every change that can make a
    /// deadline earlier clears it ([`Node::peer_timers_changed`]).
    peer_deadline: Cell<Option<Option<Time>>>,
    started: bool,
    /// Block downloads: hash -> (peer, deadline).
    requested: BTreeMap<Hash256, (ConnId, Time)>,
    /// Transaction downloads: txid -> peer.
    tx_requested: BTreeMap<Hash256, (ConnId, Time)>,
    /// The earliest time an address now waiting out its retry delay may be dialled.
    next_connect_retry: Option<Time>,
    stats: NodeStats,
    chain: Chain,
    cfg: NodeConfig,
    mempool: Mempool,
    orphans: OrphanPool,
    rng: SplitMix64,
    nonce: u64,
    /// Peer listen addresses learned from the tracker, with the earliest retry time.
    known_addrs: BTreeMap<SocketAddr, Time>,
    /// Addresses found to be ourselves.
    self_addrs: BTreeSet<SocketAddr>,
    pending_connects: BTreeSet<SocketAddr>,
    /// Who sent each block in the orphan pool, so the right peer is blamed if it
    /// turns out invalid once its parent arrives.
    orphan_from: BTreeMap<Hash256, ConnId>,
    bans: BTreeMap<BanKey, Time>,
    miner: Option<Miner>,
    template_built: Time,
    template_dirty: bool,
    extra_nonce: u64,
}

/// What a ban applies to: an IP address, or, on loopback where every local process
/// shares one IP, the exact socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum BanKey {
    Ip(IpAddr),
    Socket(SocketAddr),
}

impl BanKey {
    fn of(addr: SocketAddr) -> BanKey {
        if addr.ip().is_loopback() {
            BanKey::Socket(addr)
        } else {
            BanKey::Ip(addr.ip())
        }
    }
}

impl Node {
    /// A node whose chain is rebuilt from `stored` blocks (in the order they were
    /// stored), each re-validated. Returns the node and how many stored blocks were
    /// rejected on re-validation.
    pub fn new(cfg: NodeConfig, stored: Vec<Block>, now: Time) -> (Node, usize) {
        let mut chain = Chain::new(cfg.params.clone());
        let rejected = replay(&mut chain, stored, now);
        let mut rng = SplitMix64::new(cfg.seed);
        let nonce = rng.next_u64();
        let node = Node {
            mempool: Mempool::new(cfg.mempool_max_txs),
            orphans: OrphanPool::new(cfg.orphan_max_blocks),
            recent_marks: chain.invalid_marks(),
            chain,
            recent_headers: RecentHeaders::default(),
            rng,
            nonce,
            peers: PeerTable::default(),
            tracker: TrackerLink {
                conn: None,
                last_get_peers: now,
                connecting: false,
                retry_at: now,
                backoff_ms: cfg.tracker_backoff_min_ms,
                next_heartbeat: now,
            },
            known_addrs: BTreeMap::new(),
            self_addrs: BTreeSet::new(),
            pending_connects: BTreeSet::new(),
            next_connect_retry: None,
            orphan_from: BTreeMap::new(),
            bans: BTreeMap::new(),
            requested: BTreeMap::new(),
            tx_requested: BTreeMap::new(),
            miner: None,
            template_built: now,
            template_dirty: true,
            extra_nonce: 0,
            outbox: VecDeque::new(),
            stats: NodeStats::default(),
            started: false,
            known: BlockKnowledge::default(),
            peer_deadline: Cell::new(None),
            cfg,
        };
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

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
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
            mempool: self.mempool.len(),
            blocks_in_flight: self.requested.len(),
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
        let txid = self.mempool.add(t, &self.chain)?;
        self.relay_tx(txid, None);
        self.template_dirty = true;
        Ok(txid)
    }

    fn push(&mut self, a: Action) {
        self.outbox.push_back(a);
    }

    fn send(&mut self, conn: ConnId, msg: Message) {
        self.push(Action::Send { conn, msg });
    }

    fn disconnect(&mut self, conn: ConnId, reason: DisconnectReason) {
        self.push(Action::Disconnect { conn, reason });
    }

    fn is_banned(&self, addr: SocketAddr, now: Time) -> bool {
        self.bans
            .get(&BanKey::of(addr))
            .is_some_and(|&until| until > now)
    }

    fn ban(&mut self, addr: SocketAddr, now: Time) {
        let key = BanKey::of(addr);
        info!(target: "net", "banning {addr} for {} s", self.cfg.ban_ms / 1000);
        self.bans.insert(key, now.plus_ms(self.cfg.ban_ms));
        self.stats.bans += 1;
    }

    /// Disconnects a peer for provable misbehaviour and bans its address.
    fn punish(&mut self, conn: ConnId, why: String, now: Time) {
        if let Some(p) = self.peers.get(&conn) {
            warn!(target: "net", "peer {} misbehaved: {why}", p.addr);
        }
        self.disconnect(conn, DisconnectReason::Misbehaviour(why));
        let _ = now;
    }

    /// Tells a connection why it is about to be closed.
    fn refuse(&mut self, conn: ConnId, code: RejectCode, reason: &str) {
        self.send(
            conn,
            Message::Reject {
                msg_type: crate::wire::MSG_VERSION,
                code,
                hash: Hash256::ZERO,
                reason: reason.to_string(),
            },
        );
    }

    fn version_message(&self) -> Message {
        Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: self.chain.network_id(),
            nonce: self.nonce,
            best_height: self.chain.height(),
            listen_port: self.cfg.listen_port,
        })
    }

    fn locator_message(&self) -> Message {
        let mut locator = self.chain.locator();
        locator.truncate(MAX_LOCATOR);
        Message::GetHeaders {
            locator,
            stop: Hash256::ZERO,
        }
    }

    fn request_headers(&mut self, conn: ConnId, now: Time) {
        let msg = self.locator_message();
        let deadline = now.plus_ms(self.cfg.request_timeout_ms);
        if let Some(p) = self.peers.get_mut(&conn) {
            p.headers_deadline = Some(deadline);
            self.outbox.push_back(Action::Send { conn, msg });
            self.peer_timers_changed();
        }
    }

    // ----- tracker ---------------------------------------------------------------

    fn tracker_tick(&mut self, now: Time) {
        let Some(addr) = self.cfg.tracker else { return };
        if self.cfg.listen_port == 0 {
            // Nothing to register: a node that accepts no connections has no address
            // to share, and the tracker refuses port 0.
            return;
        }
        if let Some(conn) = self.tracker.conn {
            if now >= self.tracker.next_heartbeat {
                self.send(conn, Message::Heartbeat);
                self.tracker.next_heartbeat = now.plus_ms(self.cfg.heartbeat_interval_ms);
            }
        } else if !self.tracker.connecting && now >= self.tracker.retry_at {
            self.tracker.connecting = true;
            self.push(Action::Connect {
                addr,
                role: Role::Tracker,
            });
        }
    }

    fn tracker_lost(&mut self, now: Time) {
        self.tracker.conn = None;
        self.tracker.connecting = false;
        let jitter = self.rng.below(self.tracker.backoff_ms / 4 + 1);
        self.tracker.retry_at = now.plus_ms(self.tracker.backoff_ms + jitter);
        info!(target: "net", "tracker unreachable; retrying in {} ms", self.tracker.backoff_ms + jitter);
        self.tracker.backoff_ms =
            (self.tracker.backoff_ms * 2).min(self.cfg.tracker_backoff_max_ms);
    }

    fn learn_addr(&mut self, addr: SocketAddr, now: Time) {
        if self.self_addrs.contains(&addr) || addr.port() == 0 {
            return;
        }
        if self.known_addrs.len() >= MAX_KNOWN_ADDRS && !self.known_addrs.contains_key(&addr) {
            return;
        }
        self.known_addrs.entry(addr).or_insert(now);
    }

    fn on_tracker_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        match msg {
            Message::PeerList { peers } => {
                self.tracker.backoff_ms = self.cfg.tracker_backoff_min_ms;
                for a in peers {
                    self.learn_addr(a, now);
                }
                self.connect_more(now);
            }
            Message::PeerJoined { addr } => {
                self.learn_addr(addr, now);
                self.connect_more(now);
            }
            Message::PeerLeft { addr } => {
                self.known_addrs.remove(&addr);
            }
            Message::Error { code, message } => {
                warn!(target: "net", "tracker refused us ({code:?}): {message}");
            }
            other => {
                debug!(target: "net", "unexpected {} from tracker", other.name());
                self.disconnect(
                    conn,
                    DisconnectReason::ProtocolViolation("unexpected message from tracker"),
                );
            }
        }
    }

    /// Outbound peer connections, open or being opened.
    fn outbound_count(&self) -> usize {
        self.peers
            .values()
            .filter(|p| p.dir == Direction::Outbound)
            .count()
            + self.pending_connects.len()
    }

    /// Opens outbound connections until the configured number is reached.
    fn connect_more(&mut self, now: Time) {
        self.next_connect_retry = None;
        let outbound = self.outbound_count();
        if outbound >= self.cfg.max_outbound {
            return;
        }
        let connected: BTreeSet<SocketAddr> = self
            .peers
            .values()
            .flat_map(|p| [Some(p.addr), p.listen_addr()])
            .flatten()
            .collect();
        let usable = |(a, _): &(&SocketAddr, &Time)| {
            !connected.contains(*a) && !self.pending_connects.contains(*a)
        };
        let mut candidates: Vec<SocketAddr> = self
            .known_addrs
            .iter()
            .filter(usable)
            .filter(|(a, &retry)| retry <= now && !self.is_banned(**a, now))
            .map(|(a, _)| *a)
            .collect();
        // Wake up when the next address waiting out its retry delay becomes usable.
        self.next_connect_retry = self
            .known_addrs
            .iter()
            .filter(usable)
            .map(|(_, &retry)| retry)
            .filter(|&retry| retry > now)
            .min();
        let want = self.cfg.max_outbound - outbound;
        for _ in 0..want {
            if candidates.is_empty() {
                break;
            }
            let i = self.rng.below(candidates.len() as u64) as usize;
            let addr = candidates.swap_remove(i);
            self.pending_connects.insert(addr);
            self.push(Action::Connect {
                addr,
                role: Role::Peer,
            });
        }
    }

    /// With fewer outbound peers than wanted and no address left to try, asks the
    /// tracker for a fresh list, at most every [`GET_PEERS_INTERVAL_MS`].
    fn ask_for_peers_if_starving(&mut self, now: Time) {
        let Some(conn) = self.tracker.conn else {
            return;
        };
        let outbound = self.outbound_count();
        let any_candidate = self.known_addrs.values().any(|&t| t <= now);
        if outbound < self.cfg.max_outbound
            && !any_candidate
            && now.since(self.tracker.last_get_peers) >= GET_PEERS_INTERVAL_MS
        {
            self.tracker.last_get_peers = now;
            self.send(conn, Message::GetPeers);
        }
    }

    // ----- peers -----------------------------------------------------------------

    fn on_peer_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        let Some(p) = self.peers.get_mut(&conn) else {
            return;
        };
        p.last_recv = now;
        let ready = p.is_ready();
        match msg {
            Message::Version(v) => self.on_version(conn, v, now),
            Message::Verack => {
                let p = self.peers.get_mut(&conn).expect("checked above");
                if p.got_verack {
                    self.punish(conn, "duplicate verack".into(), now);
                    return;
                }
                p.got_verack = true;
                let ready = p.is_ready();
                self.peer_timers_changed();
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
            Message::Ping { nonce } => self.send(conn, Message::Pong { nonce }),
            Message::Pong { nonce } => {
                let p = self.peers.get_mut(&conn).expect("checked above");
                if let Some((n, sent)) = p.ping {
                    if n == nonce {
                        p.rtt_ms = Some(now.since(sent));
                        p.ping = None;
                        self.peer_timers_changed();
                    }
                }
            }
            Message::GetHeaders { locator, stop } => {
                let hashed = self
                    .chain
                    .hashed_headers_after(&locator, &stop, MAX_HEADERS);
                if let Some(p) = self.peers.get_mut(&conn) {
                    for h in &hashed {
                        self.known.record(p, &h.hash());
                    }
                }
                let headers = hashed.iter().map(|h| *h.header()).collect();
                self.send(conn, Message::Headers { headers });
            }
            Message::Headers { headers } => self.on_headers(conn, headers, now),
            Message::Inv { items } => self.on_inv(conn, items, now),
            Message::GetData { items } => self.on_getdata(conn, items),
            Message::NotFound { items } => {
                for it in items {
                    match it.kind {
                        InvKind::Block => {
                            if let Some(p) = self.peers.get_mut(&conn) {
                                p.lacks_blocks.insert(it.hash);
                            }
                            if self
                                .requested
                                .get(&it.hash)
                                .is_some_and(|(c, _)| *c == conn)
                            {
                                self.requested.remove(&it.hash);
                                if let Some(p) = self.peers.get_mut(&conn) {
                                    p.blocks_in_flight = p.blocks_in_flight.saturating_sub(1);
                                }
                            }
                        }
                        InvKind::Tx => {
                            self.tx_requested.remove(&it.hash);
                        }
                    }
                }
                self.request_blocks(now);
            }
            Message::Block(block) => self.on_block(conn, block, now),
            Message::Tx(tx) => self.on_tx(conn, *tx, now),
            Message::Mempool => {
                let ids = self.mempool.txids();
                if ids.is_empty() {
                    self.send(conn, Message::Inv { items: Vec::new() });
                }
                for chunk in ids.chunks(MAX_INV) {
                    let items = chunk
                        .iter()
                        .map(|h| InvItem {
                            kind: InvKind::Tx,
                            hash: *h,
                        })
                        .collect();
                    self.send(conn, Message::Inv { items });
                }
            }
            Message::GetAccount { account } => {
                let pending = self.mempool.pending_count(&account);
                let msg = Message::Account {
                    account,
                    balance: self.chain.balance(&account),
                    next_sequence: self.chain.next_sequence(&account) + pending,
                    height: self.chain.height(),
                };
                self.send(conn, msg);
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

    fn on_version(&mut self, conn: ConnId, v: Version, now: Time) {
        let our_id = self.chain.network_id();
        let p = self.peers.get_mut(&conn).expect("caller checked");
        if p.version.is_some() {
            self.punish(conn, "duplicate version".into(), now);
            return;
        }
        if v.version != PROTOCOL_VERSION as u32 || v.network_id != our_id {
            let reason = format!(
                "wrong network: expected {} protocol {}",
                our_id.short(),
                PROTOCOL_VERSION
            );
            self.send(
                conn,
                Message::Reject {
                    msg_type: crate::wire::MSG_VERSION,
                    code: RejectCode::WrongNetwork,
                    hash: Hash256::ZERO,
                    reason,
                },
            );
            self.disconnect(conn, DisconnectReason::WrongNetwork);
            return;
        }
        if v.nonce == self.nonce {
            let p = self.peers.get(&conn).expect("caller checked");
            if p.dir == Direction::Outbound {
                self.self_addrs.insert(p.addr);
                self.known_addrs.remove(&p.addr);
            }
            self.disconnect(conn, DisconnectReason::SelfConnection);
            return;
        }
        let dup = self
            .peers
            .iter()
            .any(|(c, q)| *c != conn && q.version.as_ref().is_some_and(|w| w.nonce == v.nonce));
        let p = self.peers.get_mut(&conn).expect("caller checked");
        // Two connections between the same pair of nodes: only the node with the larger
        // nonce closes its outbound one, so the pair never closes both.
        if dup && p.dir == Direction::Outbound && self.nonce > v.nonce {
            self.disconnect(conn, DisconnectReason::Duplicate);
            return;
        }
        p.best_height = v.best_height;
        p.version = Some(v);
        self.peer_timers_changed();
        self.send(conn, Message::Verack);
        if self.peers.get(&conn).is_some_and(|p| p.is_ready()) {
            self.on_ready(conn, now);
        }
    }

    fn on_ready(&mut self, conn: ConnId, now: Time) {
        let addr = self.peers[&conn].addr;
        info!(target: "net", "peer {addr} connected ({:?})", self.peers[&conn].dir);
        self.push(Action::Event(Event::PeerConnected { conn, addr }));
        self.request_headers(conn, now);
        // Ask for its mempool so transactions reach late joiners.
        self.send(conn, Message::Mempool);
    }

    fn on_headers(&mut self, conn: ConnId, headers: Vec<BlockHeader>, now: Time) {
        let full = headers.len() >= MAX_HEADERS;
        if let Some(p) = self.peers.get_mut(&conn) {
            p.headers_deadline = None;
        }
        let mut last = None;
        for (i, h) in headers.iter().enumerate() {
            // Most announcements repeat a header we already have (every peer announces
            // each block): find it among the recently accepted ones, without hashing or
            // tree look-ups. Same outcome as `accept_hashed_header` on a known header.
            let marks = self.chain.invalid_marks();
            if marks != self.recent_marks {
                self.recent_headers.clear();
                self.recent_marks = marks;
            }
            let (hash, result) = match self.recent_headers.find(h) {
                Some((hash, height)) => (hash, Ok(height)),
                None => self.lookup_or_accept_header(h, now),
            };
            let height = match result {
                Ok(height) => height,
                Err(BlockError::UnknownParent) => {
                    if i == 0 {
                        // A header we cannot connect: ask for the chain leading to it.
                        self.request_headers(conn, now);
                    } else {
                        self.punish(conn, "headers do not connect to each other".into(), now);
                    }
                    return;
                }
                Err(e) if !block_error_punishable(&e) => {
                    debug!(target: "chain", "header {hash} not accepted now: {e}");
                    break;
                }
                Err(e) => {
                    self.punish(conn, format!("invalid header {hash}: {e}"), now);
                    return;
                }
            };
            if let Some(p) = self.peers.get_mut(&conn) {
                self.known.record(p, &hash);
                p.best_height = p.best_height.max(height);
            }
            last = Some(hash);
        }
        if full {
            if let Some(last) = last {
                let msg = Message::GetHeaders {
                    locator: vec![last],
                    stop: Hash256::ZERO,
                };
                let deadline = now.plus_ms(self.cfg.request_timeout_ms);
                if let Some(p) = self.peers.get_mut(&conn) {
                    p.headers_deadline = Some(deadline);
                }
                self.peer_timers_changed();
                self.send(conn, msg);
            }
        }
        self.request_blocks(now);
    }

    /// A header of an announcement not in `recent_headers`: its hash, and its height
    /// once known or accepted (then it is remembered) or why it was not accepted.
    fn lookup_or_accept_header(
        &mut self,
        h: &BlockHeader,
        now: Time,
    ) -> (Hash256, Result<u32, BlockError>) {
        let (hash, result) = match self.chain.find_known_header(h) {
            Some((hash, _)) if self.chain.is_invalid(&hash) => {
                (hash, Err(BlockError::KnownInvalid))
            }
            Some((hash, height)) => (hash, Ok(height)),
            None => {
                let hashed = HashedHeader::new(*h);
                let hash = hashed.hash();
                let r = self.chain.accept_hashed_header(&hashed, now.secs());
                // Accepted: it is known now, with its height.
                (hash, r.map(|_| self.chain.height_of(&hash).unwrap_or(0)))
            }
        };
        if let Ok(height) = result {
            self.recent_headers
                .push(*h, hash, height, MAX_RECENT_HEADERS);
        }
        (hash, result)
    }

    fn on_inv(&mut self, conn: ConnId, items: Vec<InvItem>, now: Time) {
        let mut want = Vec::new();
        let mut unknown_block = false;
        for it in items {
            match it.kind {
                InvKind::Tx => {
                    if let Some(p) = self.peers.get_mut(&conn) {
                        p.known_txs.insert(it.hash);
                    }
                    if !self.mempool.contains(&it.hash) && !self.tx_requested.contains_key(&it.hash)
                    {
                        let deadline = now.plus_ms(self.cfg.request_timeout_ms);
                        self.tx_requested.insert(it.hash, (conn, deadline));
                        want.push(it);
                    }
                }
                InvKind::Block => {
                    if let Some(p) = self.peers.get_mut(&conn) {
                        self.known.record(p, &it.hash);
                    }
                    if !self.chain.contains(&it.hash) {
                        unknown_block = true;
                    }
                }
            }
        }
        if !want.is_empty() {
            self.send(conn, Message::GetData { items: want });
        }
        if unknown_block {
            self.request_headers(conn, now);
        }
    }

    fn on_getdata(&mut self, conn: ConnId, items: Vec<InvItem>) {
        let mut missing = Vec::new();
        let mut blocks_sent = 0;
        for it in items {
            match it.kind {
                InvKind::Block => {
                    let block = if blocks_sent < MAX_BLOCKS_PER_GETDATA {
                        self.chain.shared_block(&it.hash)
                    } else {
                        None
                    };
                    match block {
                        Some(b) => {
                            blocks_sent += 1;
                            if let Some(p) = self.peers.get_mut(&conn) {
                                self.known.record(p, &it.hash);
                            }
                            self.send(conn, Message::Block(b));
                        }
                        None => missing.push(it),
                    }
                }
                InvKind::Tx => match self.mempool.get(&it.hash) {
                    Some(t) => {
                        let t = *t;
                        if let Some(p) = self.peers.get_mut(&conn) {
                            p.known_txs.insert(it.hash);
                        }
                        self.send(conn, Message::Tx(Box::new(Transaction::Transfer(t))));
                    }
                    None => missing.push(it),
                },
            }
        }
        if !missing.is_empty() {
            self.send(conn, Message::NotFound { items: missing });
        }
    }

    fn on_tx(&mut self, conn: ConnId, tx: Transaction, now: Time) {
        let Transaction::Transfer(t) = tx else {
            self.punish(conn, "coinbase relayed as a transaction".into(), now);
            return;
        };
        let txid = tx.txid();
        self.tx_requested.remove(&txid);
        if let Some(p) = self.peers.get_mut(&conn) {
            p.known_txs.insert(txid);
        }
        if self.mempool.contains(&txid) {
            return;
        }
        match self.mempool.add(t, &self.chain) {
            Ok(_) => {
                self.template_dirty = true;
                self.relay_tx(txid, Some(conn));
            }
            Err(e) if tx_error_punishable(&e) => {
                self.punish(conn, format!("invalid transaction {txid}: {e}"), now);
            }
            Err(e) => {
                debug!(target: "chain", "transaction {txid} not accepted: {e}");
                self.send(
                    conn,
                    Message::Reject {
                        msg_type: crate::wire::MSG_TX,
                        code: match e {
                            TxError::AlreadyInPool => RejectCode::Duplicate,
                            TxError::MempoolFull => RejectCode::Policy,
                            _ => RejectCode::Invalid,
                        },
                        hash: txid,
                        reason: e.to_string(),
                    },
                );
            }
        }
    }

    fn relay_tx(&mut self, txid: Hash256, except: Option<ConnId>) {
        let targets: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(c, p)| Some(**c) != except && p.is_ready() && !p.known_txs.contains(&txid))
            .map(|(c, _)| *c)
            .collect();
        for c in targets {
            if let Some(p) = self.peers.get_mut(&c) {
                p.known_txs.insert(txid);
            }
            self.send(
                c,
                Message::Inv {
                    items: vec![InvItem {
                        kind: InvKind::Tx,
                        hash: txid,
                    }],
                },
            );
        }
    }

    fn on_block(&mut self, conn: ConnId, block: Arc<Block>, now: Time) {
        let block = HashedBlock::from_shared(block);
        let hash = block.hash();
        if let Some((c, _)) = self.requested.get(&hash) {
            let c = *c;
            self.requested.remove(&hash);
            if let Some(p) = self.peers.get_mut(&c) {
                p.blocks_in_flight = p.blocks_in_flight.saturating_sub(1);
            }
        }
        if let Some(p) = self.peers.get_mut(&conn) {
            self.known.record(p, &hash);
            self.known.record(p, &block.block().header.prev);
        }
        self.process_block(block, Some(conn), now);
        self.request_blocks(now);
    }

    /// Accepts a block from a peer (`from`) or from our own miner (`None`), then any
    /// orphans waiting for it.
    fn process_block(&mut self, block: HashedBlock, from: Option<ConnId>, now: Time) {
        let mut work = vec![(block, from)];
        while let Some((block, from)) = work.pop() {
            let hash = block.hash();
            if self.chain.block(&hash).is_some() {
                continue;
            }
            // Kept only for the orphan pool, i.e. when the parent is unknown.
            let prev = block.block().header.prev;
            let orphan = self
                .chain
                .header(&prev)
                .is_none()
                .then(|| block.block().clone());
            match self.chain.accept_hashed_block(block, now.secs()) {
                Ok(outcome) => {
                    // Durable before announced, and only once the whole ancestry has
                    // data, so that the block file lists every parent before its
                    // children (a block whose parent never arrives is not stored).
                    for h in &outcome.linked {
                        let b = self.chain.shared_block(h).expect("linked blocks have data");
                        self.push(Action::StoreBlock(b));
                    }
                    if from.is_some() {
                        self.stats.blocks_received += 1;
                    }
                    if outcome.tip_changed {
                        self.on_tip_changed(&outcome.disconnected, outcome.reorg_depth as u32, now);
                    }
                    for child in self.orphans.take_children(&hash) {
                        let child = HashedBlock::new(child);
                        let sender = self.orphan_from.remove(&child.hash());
                        work.push((child, sender));
                    }
                }
                Err(BlockError::UnknownParent) => {
                    debug!(target: "chain", "orphan block {hash}; fetching its ancestors");
                    if orphan.is_some_and(|b| self.orphans.insert(b)) {
                        if let Some(c) = from {
                            self.orphan_from.insert(hash, c);
                        }
                    }
                    // Forget senders of orphans the bounded pool has evicted.
                    if self.orphan_from.len() > 2 * self.cfg.orphan_max_blocks {
                        let orphans = &self.orphans;
                        self.orphan_from.retain(|h, _| orphans.contains(h));
                    }
                    if let Some(c) = from {
                        self.request_headers(c, now);
                    }
                }
                Err(e) if !block_error_punishable(&e) => {
                    debug!(target: "chain", "block {hash} not accepted: {e}");
                }
                Err(e) => {
                    warn!(target: "chain", "invalid block {hash}: {e}");
                    match from {
                        Some(c) => self.punish(c, format!("invalid block {hash}: {e}"), now),
                        None => warn!(target: "miner", "our own block was invalid: {e}"),
                    }
                }
            }
        }
    }

    fn on_tip_changed(&mut self, disconnected: &[Block], reorg_depth: u32, now: Time) {
        let _ = now;
        let tip = self.chain.tip();
        let height = self.chain.height();
        if reorg_depth > 0 {
            self.stats.reorgs += 1;
            self.stats.max_reorg_depth = self.stats.max_reorg_depth.max(reorg_depth);
            info!(target: "chain", "reorganisation of depth {reorg_depth}: new tip {height} {}", tip.short());
        } else {
            debug!(target: "chain", "new tip {height} {}", tip.short());
        }
        self.mempool.reorganized(disconnected, &self.chain);
        self.template_dirty = true;
        self.push(Action::Event(Event::TipChanged {
            tip,
            height,
            reorg_depth,
        }));
        self.announce_tip();
    }

    /// Sends the newest headers of the active chain to every ready peer that does not
    /// have the tip yet.
    fn announce_tip(&mut self) {
        let tip = self.chain.tip();
        let height = self.chain.height();
        // At most MAX_ANNOUNCE_HEADERS headers, never the genesis block's.
        let depth = (height as usize).min(MAX_ANNOUNCE_HEADERS);
        if depth == 0 {
            return;
        }
        // Which peers (by slot) know the tip: one look-up for all of them.
        let tip_mask = self.known.mask(&tip);
        let has = BlockKnowledge::peer_in;
        let targets: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.is_ready() && !has(p, tip_mask, &tip))
            .map(|(c, _)| *c)
            .collect();
        if targets.is_empty() {
            return;
        }
        let tip_block = (self.cfg.block_push_peers > 0)
            .then(|| self.chain.shared_block(&tip))
            .flatten();
        // The newest headers, tip first, with their hashes and the slots known to have
        // them; extended down the parent links only as far as some peer needs (usually
        // one: peers know the parent). Recording below only sets the target's own bit,
        // so the masks stay right for the other peers.
        let tip_header = *self.chain.header(&tip).expect("the tip is known");
        let mut headers: Vec<(BlockHeader, Hash256, u64)> = vec![(tip_header, tip, tip_mask)];
        let mut pushed = 0;
        for c in targets {
            let p = self.peers.get_mut(&c).expect("listed above");
            // Send only the headers after the last one it is known to have.
            let mut n = 1;
            while n < depth {
                if headers.len() <= n {
                    let prev = headers[n - 1].0.prev;
                    match self.chain.header(&prev) {
                        Some(h) => headers.push((*h, prev, self.known.mask(&prev))),
                        None => break,
                    }
                }
                if has(p, headers[n].2, &headers[n].1) {
                    break;
                }
                n += 1;
            }
            let n = n.min(headers.len());
            // A peer that has the parent gets the whole block directly, up to the
            // configured number of peers: one message delay instead of three.
            if let Some(b) = &tip_block {
                if pushed < self.cfg.block_push_peers && n == 1 && headers.len() > 1 {
                    pushed += 1;
                    self.known.record(p, &tip);
                    self.outbox.push_back(Action::Send {
                        conn: c,
                        msg: Message::Block(b.clone()),
                    });
                    continue;
                }
            }
            let slice: Vec<BlockHeader> = headers[..n].iter().rev().map(|(h, ..)| *h).collect();
            for (_, h, _) in &headers[..n] {
                self.known.record(p, h);
            }
            self.outbox.push_back(Action::Send {
                conn: c,
                msg: Message::Headers { headers: slice },
            });
        }
    }

    /// Requests blocks of the best header chain that we lack, spread over the peers
    /// that have them.
    fn request_blocks(&mut self, now: Time) {
        // Nothing missing (the usual case once a block has arrived): no side effects
        // either way, so skip the per-peer scan below.
        if !self.chain.has_missing_blocks() {
            return;
        }
        // Usually every missing block is requested already (announcements keep
        // arriving while a block is in flight): nothing to do either, and the peer scan
        // below is skipped.
        let pending = self.requested.len();
        let first = self.chain.missing_blocks(pending + 1);
        if first.len() <= pending && first.iter().all(|h| self.requested.contains_key(h)) {
            return;
        }
        let max = self.cfg.max_blocks_in_flight_per_peer;
        // Free request slots over all ready peers: nothing to do without one, and no
        // point looking further ahead than the blocks already requested plus the slots.
        let free: usize = self
            .peers
            .values()
            .filter(|p| p.is_ready())
            .map(|p| max.saturating_sub(p.blocks_in_flight))
            .sum();
        if free == 0 {
            return;
        }
        let window = (self.requested.len() + free).min(DOWNLOAD_WINDOW);
        let missing = self.chain.missing_blocks(window);
        if missing.is_empty() {
            return;
        }
        let mut batches: BTreeMap<ConnId, Vec<InvItem>> = BTreeMap::new();
        for hash in missing {
            if self.requested.contains_key(&hash) {
                continue;
            }
            let height = self.chain.height_of(&hash).unwrap_or(u32::MAX);
            let pick = self
                .peers
                .iter()
                .filter(|(_, p)| p.is_ready() && p.blocks_in_flight < max)
                .filter(|(_, p)| !p.lacks_blocks.contains(&hash))
                .filter(|(_, p)| self.known.peer_has(p, &hash) || p.best_height >= height)
                .min_by_key(|(_, p)| p.blocks_in_flight)
                .map(|(c, _)| *c);
            let Some(c) = pick else { continue };
            let p = self.peers.get_mut(&c).expect("picked from peers");
            p.blocks_in_flight += 1;
            self.requested
                .insert(hash, (c, now.plus_ms(self.cfg.request_timeout_ms)));
            batches.entry(c).or_default().push(InvItem {
                kind: InvKind::Block,
                hash,
            });
        }
        for (c, items) in batches {
            self.send(c, Message::GetData { items });
        }
    }

    fn peer_timeouts(&mut self, now: Time) {
        let mut drop = Vec::new();
        let mut pings = Vec::new();
        for (c, p) in self.peers.iter_mut() {
            if !p.is_ready() && now.since(p.connected_at) >= self.cfg.handshake_timeout_ms {
                drop.push((*c, "handshake"));
            } else if now.since(p.last_recv) >= self.cfg.idle_timeout_ms {
                drop.push((*c, "idle"));
            } else if p
                .ping
                .is_some_and(|(_, sent)| now.since(sent) >= self.cfg.ping_timeout_ms)
            {
                drop.push((*c, "ping"));
            } else if p.headers_deadline.is_some_and(|d| now >= d) {
                drop.push((*c, "headers request"));
            } else if p.is_ready() && p.ping.is_none() && now >= p.next_ping {
                let nonce = self.rng.next_u64();
                p.ping = Some((nonce, now));
                p.next_ping = now.plus_ms(self.cfg.ping_interval_ms);
                pings.push((*c, nonce));
            }
        }
        for (c, hash_deadline) in self.requested.values() {
            if now >= *hash_deadline && !drop.iter().any(|(d, _)| d == c) {
                drop.push((*c, "block request"));
            }
        }
        for (c, nonce) in pings {
            self.send(c, Message::Ping { nonce });
        }
        for (c, what) in drop {
            if let Some(p) = self.peers.get(&c) {
                info!(target: "net", "peer {} timed out ({what})", p.addr);
            }
            self.disconnect(c, DisconnectReason::Timeout(what));
        }
    }

    /// True while catching up on more than [`SYNC_PAUSE_GAP`] blocks that are being
    /// downloaded: mining on a tip known to be far behind only makes stale blocks. A
    /// block or two in flight (ordinary propagation) does not stop mining, as a real
    /// miner keeps working on its tip until the new block is validated.
    fn syncing(&self) -> bool {
        !self.requested.is_empty()
            && self.chain.best_header().1 > self.chain.height() + SYNC_PAUSE_GAP
    }

    fn ensure_template(&mut self, now: Time) {
        let Some(to) = self.cfg.mine_to else { return };
        let stale = now.since(self.template_built) >= self.cfg.template_refresh_ms;
        if self.miner.is_some() && !self.template_dirty && !stale {
            return;
        }
        let txs = self
            .mempool
            .select(crate::chain::block::MAX_BLOCK_BYTES - TEMPLATE_RESERVED_BYTES);
        self.extra_nonce = self.extra_nonce.wrapping_add(1);
        let template =
            self.chain
                .block_template(to, txs, now.secs(), self.extra_nonce ^ self.nonce);
        self.miner = Some(Miner::new(template));
        self.template_built = now;
        self.template_dirty = false;
    }

    /// Forgets the cached earliest peer deadline (see [`Node::peer_deadline`]).
    fn peer_timers_changed(&self) {
        self.peer_deadline.set(None);
    }

    /// The earliest deadline over all peers, computed by scanning them.
    fn peers_next_deadline(&self) -> Option<Time> {
        let mut d: Option<Time> = None;
        let mut consider = |t: Time| d = Some(d.map_or(t, |x: Time| x.min(t)));
        for p in self.peers.values() {
            if !p.is_ready() {
                consider(p.connected_at.plus_ms(self.cfg.handshake_timeout_ms));
            }
            consider(p.last_recv.plus_ms(self.cfg.idle_timeout_ms));
            if let Some(h) = p.headers_deadline {
                consider(h);
            }
            match p.ping {
                Some((_, sent)) => consider(sent.plus_ms(self.cfg.ping_timeout_ms)),
                None if p.is_ready() => consider(p.next_ping),
                None => {}
            }
        }
        d
    }

    /// The next deadline computed without the cache: what
    /// [`Service::next_deadline`] returns must never be later than this (tests check
    /// it; an earlier value only costs a spare tick).
    pub fn next_deadline_uncached(&self) -> Option<Time> {
        self.compute_next_deadline(self.peers_next_deadline())
    }

    /// The next deadline, given the earliest peer deadline.
    fn compute_next_deadline(&self, peers: Option<Time>) -> Option<Time> {
        let mut d: Option<Time> = None;
        let mut consider = |t: Time| d = Some(d.map_or(t, |x: Time| x.min(t)));
        if !self.started {
            return Some(Time(0));
        }
        // Same condition as `tracker_tick`: without a listen port the tracker is never
        // contacted, so its retry time is not a deadline.
        if self.cfg.tracker.is_some() && self.cfg.listen_port != 0 {
            if self.tracker.conn.is_some() {
                consider(self.tracker.next_heartbeat);
            } else if !self.tracker.connecting {
                consider(self.tracker.retry_at);
            }
        }
        if let Some(t) = peers {
            consider(t);
        }
        for (_, deadline) in self.requested.values().chain(self.tx_requested.values()) {
            consider(*deadline);
        }
        if let Some(t) = self.next_connect_retry {
            consider(t);
        }
        d
    }
}

/// Rebuilds `chain` from stored blocks. A node stores a block once its whole ancestry
/// has data, so parents come before children; replay still follows parent links from
/// the genesis block rather than file order (a file need not be ordered to be
/// readable, see `spec/storage.md`), re-validating every block. Returns how many stored blocks
/// were rejected or could not be connected.
fn replay(chain: &mut Chain, stored: Vec<Block>, now: Time) -> usize {
    let total = stored.len();
    let mut children: BTreeMap<Hash256, Vec<Block>> = BTreeMap::new();
    for b in stored {
        children.entry(b.header.prev).or_default().push(b);
    }
    let mut ready: Vec<Hash256> = vec![chain.tip()];
    let mut accepted = 0;
    while let Some(parent) = ready.pop() {
        for b in children.remove(&parent).unwrap_or_default() {
            let b = HashedBlock::new(b);
            let hash = b.hash();
            match chain.accept_hashed_block(b, now.secs()) {
                Ok(_) => {
                    accepted += 1;
                    ready.push(hash);
                }
                Err(e) => {
                    warn!(target: "chain", "stored block {hash} rejected on re-validation: {e}")
                }
            }
        }
    }
    let unreachable: usize = children.values().map(|v| v.len()).sum();
    if unreachable > 0 {
        warn!(target: "chain", "{unreachable} stored blocks have no stored parent; ignored");
    }
    total - accepted
}

/// True if sending this block or header proves the sender misbehaves. Not for a block
/// from the future (clocks differ) or with an unknown parent (a race or a fork we have
/// not seen yet).
fn block_error_punishable(e: &BlockError) -> bool {
    !matches!(e, BlockError::TimeTooNew { .. } | BlockError::UnknownParent)
}

/// True if relaying this transaction proves the sender misbehaves: it is invalid
/// whatever the chain state (bad signature, malformed amounts). Sequence, balance and
/// pool-capacity refusals are benign races.
fn tx_error_punishable(e: &TxError) -> bool {
    matches!(
        e,
        TxError::Signature(_)
            | TxError::ZeroAmount
            | TxError::AmountOverflow
            | TxError::BadRecipient
            | TxError::SelfTransfer
    )
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
        if role == Role::Tracker {
            self.tracker.conn = Some(conn);
            self.tracker.connecting = false;
            self.tracker.next_heartbeat = now.plus_ms(self.cfg.heartbeat_interval_ms);
            info!(target: "net", "connected to tracker {addr}");
            self.send(
                conn,
                Message::Register {
                    listen_port: self.cfg.listen_port,
                },
            );
            return;
        }
        if dir == Direction::Outbound {
            self.pending_connects.remove(&addr);
        }
        let mut peer = Peer::new(addr, dir, now, self.cfg.ping_interval_ms);
        peer.slot = self.known.take_slot();
        // Connection ids are never reused; should one be, free the old peer's slot.
        if let Some(s) = self.peers.insert(conn, peer).and_then(|old| old.slot) {
            self.known.release_slot(s);
        }
        self.peer_timers_changed();
        if self.is_banned(addr, now) {
            self.refuse(conn, RejectCode::Banned, "address banned for misbehaviour");
            self.disconnect(conn, DisconnectReason::Banned);
            return;
        }
        if dir == Direction::Inbound {
            let inbound = self
                .peers
                .values()
                .filter(|p| p.dir == Direction::Inbound)
                .count();
            if inbound > self.cfg.max_inbound {
                self.refuse(
                    conn,
                    RejectCode::TooManyPeers,
                    "too many inbound connections",
                );
                self.disconnect(conn, DisconnectReason::TooManyConnections);
                return;
            }
        }
        // Both sides send their version at once (spec/wire.md, section 2.2).
        let m = self.version_message();
        self.send(conn, m);
    }

    fn on_connect_failed(&mut self, addr: SocketAddr, role: Role, now: Time) {
        match role {
            Role::Tracker => self.tracker_lost(now),
            Role::Peer => {
                self.pending_connects.remove(&addr);
                if let Some(t) = self.known_addrs.get_mut(&addr) {
                    *t = now.plus_ms(self.cfg.peer_retry_ms);
                }
                debug!(target: "net", "could not connect to {addr}");
            }
        }
    }

    fn on_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        if self.tracker.conn == Some(conn) {
            self.on_tracker_message(conn, msg, now);
        } else {
            self.on_peer_message(conn, msg, now);
        }
    }

    fn on_disconnected(&mut self, conn: ConnId, reason: &DisconnectReason, now: Time) {
        if self.tracker.conn == Some(conn) {
            info!(target: "net", "tracker connection closed: {reason}");
            self.tracker_lost(now);
            return;
        }
        let Some(p) = self.peers.remove(&conn) else {
            return;
        };
        if let Some(s) = p.slot {
            self.known.release_slot(s);
        }
        self.peer_timers_changed();
        if reason.is_misbehaviour() {
            self.ban(p.addr, now);
        }
        if p.dir == Direction::Outbound {
            let retry = now.plus_ms(self.cfg.peer_retry_ms);
            for a in [Some(p.addr), p.listen_addr()].into_iter().flatten() {
                if let Some(t) = self.known_addrs.get_mut(&a) {
                    *t = retry;
                }
            }
        }
        if p.is_ready() {
            info!(target: "net", "peer {} disconnected: {reason}", p.addr);
            self.push(Action::Event(Event::PeerDisconnected {
                conn,
                reason: reason.clone(),
            }));
        }
        self.requested.retain(|_, (c, _)| *c != conn);
        self.tx_requested.retain(|_, (c, _)| *c != conn);
        self.request_blocks(now);
        self.connect_more(now);
    }

    fn on_tick(&mut self, now: Time) {
        self.started = true;
        // Timeouts and pings below change peer deadlines; a tick may also be the early
        // wake-up of a stale cached deadline, after which the exact one is needed.
        self.peer_timers_changed();
        self.tracker_tick(now);
        self.peer_timeouts(now);
        self.bans.retain(|_, until| *until > now);
        // A transaction that was announced but never delivered may be fetched from
        // whoever announces it next.
        self.tx_requested.retain(|_, (_, deadline)| *deadline > now);
        self.connect_more(now);
        self.ask_for_peers_if_starving(now);
        self.request_blocks(now);
    }

    fn next_deadline(&self) -> Option<Time> {
        let peers = match self.peer_deadline.get() {
            Some(cached) => cached,
            None => {
                let exact = self.peers_next_deadline();
                self.peer_deadline.set(Some(exact));
                exact
            }
        };
        self.compute_next_deadline(peers)
    }

    fn wants_to_mine(&self) -> bool {
        self.cfg.mine_to.is_some() && self.started && !self.syncing()
    }

    fn mine(&mut self, budget: u32, now: Time) -> u64 {
        if self.cfg.mine_to.is_none() {
            return 0;
        }
        // May replace the miner (new template); the delta below is taken on the miner
        // that does this slice's work, so a rebuild never counts twice or goes negative.
        self.ensure_template(now);
        let Some(miner) = self.miner.as_mut() else {
            return 0;
        };
        let before = miner.hashes_done();
        let found = miner.work(budget);
        let tried = miner.hashes_done().saturating_sub(before);
        if let Some(block) = found {
            let block = HashedBlock::new(block);
            let hash = block.hash();
            self.template_dirty = true;
            self.process_block(block, None, now);
            if let Some(height) = self.chain.height_of(&hash) {
                self.stats.blocks_mined += 1;
                info!(target: "miner", "mined block {height} {}", hash.short());
                self.push(Action::Event(Event::BlockMined { hash, height }));
            }
        }
        tried
    }

    fn poll_action(&mut self) -> Option<Action> {
        self.outbox.pop_front()
    }
}
