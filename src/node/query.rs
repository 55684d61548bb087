//! Answers to the query and control messages (spec/peer-protocol.md section 12): reads
//! of the chain, mempool and peer table, the control requests, `mine` carried out in
//! the mining slices, the control connections, and the per-connection query budget
//! (the hash rate it reports is measured in `hashmeter`).

use super::*;
use crate::chain::keys::parse_sender;
use crate::chain::tree::BlockStatus;
use crate::chain::tree::TipInfo;
use crate::chain::tx::TRANSFER_LEN;
use crate::chain::AccountId;
use crate::wire::{
    BlockData, BlockInfo, BlockQuery, ChainStatus, NodeInfo, PeerEntry, QueryErrorCode, TipEntry,
    TreeEntry, TreeInfo, TxInfo, TxLocation, MAX_MINE_BLOCKS, MAX_PEER_INFO, MAX_TIPS,
    MAX_TREE_BLOCKS, MAX_TREE_DEPTH, MAX_TREE_MINERS, MINER_UNKNOWN, PING_UNKNOWN,
};

/// Queries a peer connection may send at once (the bucket's size).
pub const QUERY_BURST: u64 = 20;
/// Queries per second a peer connection earns after the burst.
pub const QUERY_RATE: u64 = 10;
/// Most control-socket clients connected at once.
pub const MAX_CONTROL_CONNS: usize = 16;
/// Most blocks walked from one tip towards the active chain in a `tips` answer.
pub const MAX_BRANCH_WALK: u32 = 10_000;
/// How many of the newest active blocks `get-tx` searches.
pub const TX_SEARCH_BLOCKS: u32 = 256;
/// Most block transactions `get-tx` examines.
pub const TX_SEARCH_TXS: usize = 20_000;

/// A token bucket of queries for one peer connection, in thousandths of a query.
#[derive(Clone, Copy, Debug)]
pub struct QueryBudget {
    milli: u64,
    at: Time,
}

impl QueryBudget {
    /// A full bucket.
    pub fn new(now: Time) -> QueryBudget {
        QueryBudget {
            milli: QUERY_BURST * 1000,
            at: now,
        }
    }

    /// Takes one query if the bucket holds one (refilled for the time since last).
    pub fn take(&mut self, now: Time) -> bool {
        let ms = now.0.saturating_sub(self.at.0);
        self.at = self.at.max(now);
        self.milli = (self.milli + ms.saturating_mul(QUERY_RATE)).min(QUERY_BURST * 1000);
        if self.milli >= 1000 {
            self.milli -= 1000;
            true
        } else {
            false
        }
    }
}

/// A `mine` request being carried out.
#[derive(Clone, Debug)]
pub(super) struct MineRequest {
    pub(super) conn: ConnId,
    pub(super) account: AccountId,
    pub(super) remaining: u32,
    pub(super) hashes: Vec<Hash256>,
}

/// True for the public read-only queries.
pub(super) fn is_query(m: &Message) -> bool {
    matches!(
        m,
        Message::GetInfo
            | Message::GetBlock(_)
            | Message::GetTx { .. }
            | Message::GetTips
            | Message::GetTree { .. }
    )
}

/// True for the answers a node sends to clients and never expects itself.
pub fn is_answer(m: &Message) -> bool {
    matches!(
        m,
        Message::Info(_)
            | Message::BlockInfo(_)
            | Message::TxInfo(_)
            | Message::Tips { .. }
            | Message::QueryError { .. }
            | Message::PeerInfo { .. }
            | Message::Mined { .. }
            | Message::Done { .. }
            | Message::Tree(_)
    )
}

type Refusal = (QueryErrorCode, String);

fn not_found(s: String) -> Refusal {
    (QueryErrorCode::NotFound, s)
}

impl Node {
    /// True once a control client asked the node to stop; the driver then ends its loop.
    pub fn stop_requested(&self) -> bool {
        self.stop_requested
    }

    /// The height of the newest block a query may show: the active tip, except that
    /// on a peer connection (`public`) a selfish node shows only the chain below the
    /// blocks it withholds.
    fn visible_height(&self, public: bool) -> u32 {
        match self.selfish.as_ref().and_then(|s| s.withheld_from()) {
            Some(h) if public => h.saturating_sub(1),
            _ => self.chain.height(),
        }
    }

    /// True if a `public` answer must not mention `hash` (a withheld block).
    fn hidden(&self, public: bool, hash: &Hash256) -> bool {
        public && self.is_withheld(hash)
    }

    /// What `get-info` answers; `public` (a peer connection) hides withheld blocks.
    pub fn node_info(&self, now: Time, public: bool) -> NodeInfo {
        let height = self.visible_height(public);
        let tip = self.chain.hash_at(height).unwrap_or(self.chain.tip());
        let (mut best_header, mut best_header_height) = self.chain.best_header();
        if self.hidden(public, &best_header) {
            (best_header, best_header_height) = (tip, height);
        }
        let ready = |d: Direction| {
            let n = self
                .peers
                .values()
                .filter(|p| p.is_ready() && p.dir == d)
                .count();
            u16::try_from(n).unwrap_or(u16::MAX)
        };
        NodeInfo {
            network: self.cfg.params.name.clone(),
            height,
            tip,
            tip_time: self.chain.header(&tip).map_or(0, |h| h.time),
            best_header_height,
            best_header,
            bits: self.chain.next_bits(&tip).unwrap_or(0),
            hash_rate: self.hash_meter.rate(now),
            mining: self.cfg.mine_to.is_some() || self.mine_request.is_some(),
            peers_in: ready(Direction::Inbound),
            peers_out: ready(Direction::Outbound),
            mempool_txs: u32::try_from(self.mempool.len()).unwrap_or(u32::MAX),
            mempool_bytes: (self.mempool.len() * TRANSFER_LEN) as u64,
        }
    }

    fn chain_status(&self, hash: &Hash256) -> ChainStatus {
        if self.chain.is_active(hash) {
            return ChainStatus::Active;
        }
        match self.chain.status(hash) {
            Some(BlockStatus::Invalid) => ChainStatus::Invalid,
            Some(BlockStatus::Valid) => ChainStatus::ValidFork,
            Some(BlockStatus::HaveData) if self.chain.is_linked(hash) => ChainStatus::ValidHeaders,
            _ => ChainStatus::HeadersOnly,
        }
    }

    /// Active blocks from `height` up to the `visible` height, or 0 if `hash` is not
    /// active.
    fn confirmations(&self, hash: &Hash256, height: u32, visible: u32) -> u32 {
        if self.chain.is_active(hash) {
            (visible + 1).saturating_sub(height)
        } else {
            0
        }
    }

    /// What `get-block` answers; `public` hides withheld blocks.
    fn block_info(&self, q: BlockQuery, public: bool) -> Result<BlockInfo, Refusal> {
        let visible = self.visible_height(public);
        let hash = match q {
            BlockQuery::Height(h) => {
                self.chain
                    .hash_at(h)
                    .filter(|_| h <= visible)
                    .ok_or_else(|| {
                        not_found(format!("no block at height {h}: the tip is at {visible}"))
                    })?
            }
            BlockQuery::Hash(h) => h,
        };
        let header = *self
            .chain
            .header(&hash)
            .filter(|_| !self.hidden(public, &hash))
            .ok_or_else(|| not_found(format!("unknown block {hash}")))?;
        let height = self.chain.height_of(&hash).unwrap_or(0);
        Ok(BlockInfo {
            height,
            confirmations: self.confirmations(&hash, height, visible),
            status: self.chain_status(&hash),
            data: match self.chain.shared_block(&hash) {
                Some(b) => BlockData::Full(b),
                None => BlockData::Header(header),
            },
        })
    }

    /// What `get-tx` answers: the mempool, then the newest [`TX_SEARCH_BLOCKS`] active
    /// blocks (below the withheld ones if `public`), at most [`TX_SEARCH_TXS`]
    /// transactions examined.
    fn tx_info(&self, txid: &Hash256, public: bool) -> Result<TxInfo, Refusal> {
        if let Some(t) = self.mempool.get(txid) {
            return Ok(TxInfo {
                location: TxLocation::Mempool,
                tx: Transaction::Transfer(*t),
            });
        }
        let tip = self.visible_height(public);
        let mut examined = 0;
        'blocks: for h in (0..=tip).rev().take(TX_SEARCH_BLOCKS as usize) {
            let Some(hash) = self.chain.hash_at(h) else {
                break;
            };
            let Some(block) = self.chain.block(&hash) else {
                continue;
            };
            for tx in &block.txs {
                if examined >= TX_SEARCH_TXS {
                    break 'blocks;
                }
                examined += 1;
                if tx.txid() == *txid {
                    return Ok(TxInfo {
                        location: TxLocation::Block {
                            hash,
                            height: h,
                            confirmations: tip - h + 1,
                        },
                        tx: *tx,
                    });
                }
            }
        }
        Err(not_found(format!(
            "transaction {txid} is neither in the mempool nor in the newest {TX_SEARCH_BLOCKS} blocks"
        )))
    }

    fn tip_entry(&self, t: &TipInfo) -> TipEntry {
        let status = if t.active {
            ChainStatus::Active
        } else {
            match t.status {
                BlockStatus::Invalid => ChainStatus::Invalid,
                BlockStatus::Valid => ChainStatus::ValidFork,
                BlockStatus::HaveData if t.linked => ChainStatus::ValidHeaders,
                _ => ChainStatus::HeadersOnly,
            }
        };
        TipEntry {
            hash: t.hash,
            height: t.height,
            branch_len: t.branch_len,
            status,
        }
    }

    /// Every peer connection as a `peer-info` entry, oldest first.
    pub fn peer_entries(&self) -> Vec<PeerEntry> {
        self.peers
            .values()
            .take(MAX_PEER_INFO)
            .map(|p| PeerEntry {
                addr: p.addr,
                listen_port: p.version().map_or(0, |v| v.listen_port),
                inbound: p.dir == Direction::Inbound,
                ready: p.is_ready(),
                best_height: p.best_height,
                ping_ms: p.rtt.map_or(PING_UNKNOWN, |d| {
                    u32::try_from(whole_ms(d)).unwrap_or(PING_UNKNOWN - 1)
                }),
                bytes_in: p.bytes_in,
                bytes_out: p.bytes_out,
                connected_since: p.connected_at.0,
            })
            .collect()
    }

    fn query_error(&mut self, conn: ConnId, request: u16, (code, message): Refusal) {
        self.send(
            conn,
            Message::QueryError {
                request,
                code,
                message,
            },
        );
    }

    /// What `tips` answers: the chain's tips; if `public`, the active tip is the
    /// newest block below the withheld ones and no withheld block is listed.
    fn tip_entries(&self, public: bool) -> (u32, Vec<TipEntry>) {
        let (total, mut tips) = self.chain.tips(MAX_TIPS, MAX_BRANCH_WALK);
        let visible = self.visible_height(public);
        if visible < self.chain.height() {
            tips.retain(|t| !t.active && !self.hidden(public, &t.hash));
            if let Some(hash) = self.chain.hash_at(visible) {
                tips.insert(
                    0,
                    TipInfo {
                        hash,
                        height: visible,
                        branch_len: 0,
                        status: BlockStatus::Valid,
                        linked: true,
                        active: true,
                    },
                );
            }
        }
        let total = u32::try_from(total).unwrap_or(u32::MAX);
        (total, tips.iter().map(|t| self.tip_entry(t)).collect())
    }

    /// What `tree` answers: the blocks from `depth` heights below the visible tip up,
    /// without the withheld ones if `public`; at most [`MAX_TREE_BLOCKS`], the highest
    /// kept.
    pub fn tree_info(&self, depth: u32, public: bool) -> TreeInfo {
        let visible = self.visible_height(public);
        let min = visible.saturating_sub(depth.min(MAX_TREE_DEPTH));
        // Withheld blocks are few (the private lead): ask for that many more, drop them.
        let withheld = if public {
            self.selfish.as_ref().map_or(0, |s| s.withheld())
        } else {
            0
        };
        let (total, blocks) = self.chain.blocks_near_tip(min, MAX_TREE_BLOCKS + withheld);
        let mut miners: Vec<AccountId> = Vec::new();
        let mut entries = Vec::with_capacity(blocks.len().min(MAX_TREE_BLOCKS));
        for b in blocks.iter().filter(|b| !self.hidden(public, &b.hash)) {
            let miner = match b.miner {
                Some(m) => match miners.iter().position(|x| *x == m) {
                    Some(k) => k as u16,
                    None if miners.len() < MAX_TREE_MINERS => {
                        miners.push(m);
                        (miners.len() - 1) as u16
                    }
                    None => MINER_UNKNOWN,
                },
                None => MINER_UNKNOWN,
            };
            let status = if b.active {
                ChainStatus::Active
            } else {
                match b.status {
                    BlockStatus::Invalid => ChainStatus::Invalid,
                    BlockStatus::Valid => ChainStatus::ValidFork,
                    BlockStatus::HaveData if b.linked => ChainStatus::ValidHeaders,
                    _ => ChainStatus::HeadersOnly,
                }
            };
            entries.push(TreeEntry {
                hash: b.hash,
                parent: b.parent,
                height: b.height,
                arrival: b.arrival,
                status,
                miner,
            });
        }
        entries.truncate(MAX_TREE_BLOCKS);
        TreeInfo {
            tip_height: visible,
            total: u32::try_from(total.saturating_sub(withheld)).unwrap_or(u32::MAX),
            miners,
            blocks: entries,
        }
    }

    /// Answers a query (`m` satisfies [`is_query`]); `public` for a peer connection,
    /// whose answers never show a block a selfish node withholds.
    pub(super) fn answer_query(&mut self, conn: ConnId, m: Message, now: Time, public: bool) {
        let request = m.msg_type();
        let answer = match m {
            Message::GetInfo => Ok(Message::Info(Box::new(self.node_info(now, public)))),
            Message::GetBlock(q) => self
                .block_info(q, public)
                .map(|b| Message::BlockInfo(Box::new(b))),
            Message::GetTx { txid } => self
                .tx_info(&txid, public)
                .map(|t| Message::TxInfo(Box::new(t))),
            Message::GetTips => {
                let (total, tips) = self.tip_entries(public);
                Ok(Message::Tips { total, tips })
            }
            Message::GetTree { depth } => {
                Ok(Message::Tree(Box::new(self.tree_info(depth, public))))
            }
            _ => return,
        };
        match answer {
            Ok(msg) => self.send(conn, msg),
            Err(r) => self.query_error(conn, request, r),
        }
    }

    /// Answers `get-account`; `public` answers as of the newest block below the
    /// withheld ones (their coinbases and transfers taken back out).
    pub(super) fn answer_account(&mut self, conn: ConnId, account: AccountId, public: bool) {
        let pending = self.mempool.pending_count(&account);
        let mut balance = self.chain.balance(&account);
        let mut sequence = self.chain.next_sequence(&account);
        let visible = self.visible_height(public);
        for h in visible + 1..=self.chain.height() {
            let Some(block) = self.chain.hash_at(h).and_then(|b| self.chain.block(&b)) else {
                continue;
            };
            for tx in &block.txs {
                match tx {
                    Transaction::Coinbase(c) if c.recipient == account => {
                        balance = balance.saturating_sub(c.amount);
                    }
                    Transaction::Coinbase(_) => {}
                    Transaction::Transfer(t) => {
                        if t.sender == account {
                            balance = balance.saturating_add(t.amount.saturating_add(t.fee));
                            sequence = sequence.saturating_sub(1);
                        }
                        if t.recipient == account {
                            balance = balance.saturating_sub(t.amount);
                        }
                    }
                }
            }
        }
        let msg = Message::Account {
            account,
            balance,
            next_sequence: sequence + pending,
            height: visible,
        };
        self.send(conn, msg);
    }

    /// Answers `mempool` with `inv`s of at most [`MAX_INV`] txids (one empty `inv` for an
    /// empty pool).
    pub(super) fn answer_mempool(&mut self, conn: ConnId) {
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

    /// A query on a ready peer connection: answered within the connection's budget;
    /// control requests are refused (the connection stays).
    pub(super) fn on_peer_query(&mut self, conn: ConnId, m: Message, now: Time) {
        let request = m.msg_type();
        if m.is_control() {
            let why = format!(
                "{} is a control request, served only on the node's control socket",
                m.name()
            );
            self.query_error(conn, request, (QueryErrorCode::NotAllowed, why));
            return;
        }
        let allowed = self
            .peers
            .get_mut(&conn)
            .is_some_and(|p| p.queries.take(now));
        if allowed {
            self.answer_query(conn, m, now, true);
        } else {
            let why = format!("over the query budget of {QUERY_RATE} per second");
            self.query_error(conn, request, (QueryErrorCode::Busy, why));
        }
    }

    /// A new control-socket client.
    pub(super) fn on_control_connected(&mut self, conn: ConnId) {
        self.control.insert(conn);
        if self.control.len() > MAX_CONTROL_CONNS {
            self.disconnect(conn, DisconnectReason::TooManyConnections);
        }
    }

    /// A control-socket client went away; its `mine` request goes with it.
    pub(super) fn on_control_disconnected(&mut self, conn: ConnId) {
        self.control.remove(&conn);
        if self.mine_request.as_ref().is_some_and(|r| r.conn == conn) {
            self.mine_request = None;
            self.mining.mark_dirty();
        }
    }

    /// A message from a control-socket client.
    pub(super) fn on_control_message(&mut self, conn: ConnId, m: Message, now: Time) {
        let request = m.msg_type();
        match m {
            m if is_query(&m) => self.answer_query(conn, m, now, false),
            Message::GetAccount { account } => self.answer_account(conn, account, false),
            Message::Mempool => self.answer_mempool(conn),
            Message::GetPeerInfo => {
                let peers = self.peer_entries();
                self.send(conn, Message::PeerInfo { peers });
            }
            Message::Mine { blocks, account } => {
                if let Err(r) = self.start_mine(conn, blocks, account) {
                    self.query_error(conn, request, r);
                }
            }
            Message::ConnectPeer { addr } => {
                self.addrs.learn(addr, now);
                self.addrs.dialling(addr);
                self.push(Action::Connect {
                    addr,
                    role: Role::Peer,
                });
                let message = format!("connecting to {addr}");
                self.send(conn, Message::Done { request, message });
            }
            Message::DisconnectPeer { addr } => {
                let conns: Vec<ConnId> = self
                    .peers
                    .iter()
                    .filter(|(_, p)| p.addr == addr || p.listen_addr() == Some(addr))
                    .map(|(c, _)| *c)
                    .collect();
                if conns.is_empty() {
                    let why = format!("no connection to {addr}");
                    self.query_error(conn, request, not_found(why));
                    return;
                }
                for &c in &conns {
                    self.disconnect(c, DisconnectReason::Requested);
                }
                let message = format!("closing {} connection(s) to {addr}", conns.len());
                self.send(conn, Message::Done { request, message });
            }
            Message::Stop => {
                info!(target: "net", "stop requested on the control socket");
                self.stop_requested = true;
                let message = "stopping".to_string();
                self.send(conn, Message::Done { request, message });
            }
            other => {
                debug!(target: "net", "control client sent {}", other.name());
                self.disconnect(
                    conn,
                    DisconnectReason::ProtocolViolation("not a request on the control socket"),
                );
            }
        }
    }

    fn start_mine(&mut self, conn: ConnId, blocks: u32, account: AccountId) -> Result<(), Refusal> {
        let net = &self.cfg.params.name;
        if net != "regtest" && net != "testnet" {
            return Err((
                QueryErrorCode::NotAllowed,
                format!("mine is allowed on regtest and testnet only; this node runs {net}"),
            ));
        }
        if blocks == 0 || blocks as usize > MAX_MINE_BLOCKS {
            return Err((
                QueryErrorCode::BadRequest,
                format!("mine takes 1 to {MAX_MINE_BLOCKS} blocks, not {blocks}"),
            ));
        }
        if self.mine_request.is_some() {
            return Err((
                QueryErrorCode::Busy,
                "another mine request is still running".into(),
            ));
        }
        let account = if account.0 == [0; 33] {
            self.cfg.mine_to.ok_or((
                QueryErrorCode::Unavailable,
                "this node has no mining account (it runs with --no-mine): name one, mine N ACCOUNT".to_string(),
            ))?
        } else {
            parse_sender(&account).map_err(|_| {
                (
                    QueryErrorCode::BadRequest,
                    format!("{account} is not a valid account (no curve point)"),
                )
            })?;
            account
        };
        self.mine_request = Some(MineRequest {
            conn,
            account,
            remaining: blocks,
            hashes: Vec::with_capacity(blocks as usize),
        });
        self.mining.mark_dirty();
        Ok(())
    }

    /// A block this node mined was accepted: counts it towards a running `mine`.
    pub(super) fn mined_for_request(&mut self, hash: Hash256) {
        let Some(req) = self.mine_request.as_mut() else {
            return;
        };
        req.hashes.push(hash);
        req.remaining = req.remaining.saturating_sub(1);
        if req.remaining == 0 {
            let req = self.mine_request.take().expect("checked above");
            let height = self.chain.height();
            self.send(
                req.conn,
                Message::Mined {
                    height,
                    hashes: req.hashes,
                },
            );
            self.mining.mark_dirty();
        }
    }
}
