//! The query and control messages' structures (spec/wire.md section 3.4): node info,
//! block and transaction look-ups, chain tips, peer entries, the query error code, and
//! their limits.

use super::common::{decode_reason, encode_reason, read_count, truncate_reason};
use super::tracker::{decode_addr, encode_addr, ADDR_LEN};
use crate::chain::block::Block;
use crate::chain::hash::Hash256;
use crate::chain::header::{BlockHeader, HEADER_LEN};
use crate::chain::tx::Transaction;
use crate::codec::{put_u16, put_u32, put_u64, DecodeError, Reader};
use std::net::SocketAddr;
use std::sync::Arc;

/// Most tips listed in one `tips` answer (the total is sent alongside).
pub const MAX_TIPS: usize = 64;
/// Most peers listed in one `peer-info` answer.
pub const MAX_PEER_INFO: usize = 512;
/// Most blocks one `mine` request may ask for, and most hashes in one `mined` answer.
pub const MAX_MINE_BLOCKS: usize = 1000;
/// Encoded length of one [`TipEntry`].
pub const TIP_ENTRY_LEN: usize = 32 + 4 + 4 + 1;
/// Encoded length of one [`PeerEntry`].
pub const PEER_ENTRY_LEN: usize = ADDR_LEN + 2 + 1 + 1 + 4 + 4 + 8 + 8 + 8;
/// `ping_ms` of a [`PeerEntry`] whose round trip was never measured.
pub const PING_UNKNOWN: u32 = u32::MAX;

fn bool_byte(r: &mut Reader<'_>, what: &'static str) -> Result<bool, DecodeError> {
    match r.u8(what)? {
        0 => Ok(false),
        1 => Ok(true),
        tag => Err(DecodeError::InvalidTag { what, tag }),
    }
}

/// What a node says about itself in answer to `get-info`. Holds no address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// The network's name (`regtest`, `devnet-5s`, ...), at most
    /// [`super::MAX_REASON_LEN`] bytes.
    pub network: String,
    /// Height of the active tip.
    pub height: u32,
    /// Hash of the active tip.
    pub tip: Hash256,
    /// The active tip's header time (seconds since the Unix epoch).
    pub tip_time: u32,
    /// Height of the best known header.
    pub best_header_height: u32,
    /// Hash of the best known header.
    pub best_header: Hash256,
    /// Compact target a child of the tip must meet.
    pub bits: u32,
    /// Hashes per second of this node's miner over the last second or so (0 if idle).
    pub hash_rate: u64,
    /// Whether this node mines.
    pub mining: bool,
    /// Ready inbound peer connections.
    pub peers_in: u16,
    /// Ready outbound peer connections.
    pub peers_out: u16,
    /// Transactions in the mempool.
    pub mempool_txs: u32,
    /// Their encoded bytes.
    pub mempool_bytes: u64,
}

impl NodeInfo {
    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + truncate_reason(&self.network).len() + 4 + 32 + 4 + 4 + 32 + 4 + 8 + 1 + 2 + 2 + 4 + 8
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        encode_reason(&self.network, out);
        put_u32(out, self.height);
        out.extend_from_slice(&self.tip.0);
        put_u32(out, self.tip_time);
        put_u32(out, self.best_header_height);
        out.extend_from_slice(&self.best_header.0);
        put_u32(out, self.bits);
        put_u64(out, self.hash_rate);
        out.push(u8::from(self.mining));
        put_u16(out, self.peers_in);
        put_u16(out, self.peers_out);
        put_u32(out, self.mempool_txs);
        put_u64(out, self.mempool_bytes);
    }

    pub(super) fn decode(r: &mut Reader<'_>) -> Result<NodeInfo, DecodeError> {
        Ok(NodeInfo {
            network: decode_reason(r)?,
            height: r.u32("info height")?,
            tip: Hash256(r.array("info tip")?),
            tip_time: r.u32("info tip time")?,
            best_header_height: r.u32("info best header height")?,
            best_header: Hash256(r.array("info best header")?),
            bits: r.u32("info bits")?,
            hash_rate: r.u64("info hash rate")?,
            mining: bool_byte(r, "info mining flag")?,
            peers_in: r.u16("info peers in")?,
            peers_out: r.u16("info peers out")?,
            mempool_txs: r.u32("info mempool txs")?,
            mempool_bytes: r.u64("info mempool bytes")?,
        })
    }
}

/// Which block a `get-block` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockQuery {
    /// The active chain's block at this height (tag 1, `u32`).
    Height(u32),
    /// The block with this hash, on any branch (tag 2, `hash`).
    Hash(Hash256),
}

impl BlockQuery {
    pub(super) fn encoded_len(&self) -> usize {
        match self {
            BlockQuery::Height(_) => 1 + 4,
            BlockQuery::Hash(_) => 1 + 32,
        }
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            BlockQuery::Height(h) => {
                out.push(1);
                put_u32(out, *h);
            }
            BlockQuery::Hash(h) => {
                out.push(2);
                out.extend_from_slice(&h.0);
            }
        }
    }

    pub(super) fn decode(r: &mut Reader<'_>) -> Result<BlockQuery, DecodeError> {
        match r.u8("get-block kind")? {
            1 => Ok(BlockQuery::Height(r.u32("get-block height")?)),
            2 => Ok(BlockQuery::Hash(Hash256(r.array("get-block hash")?))),
            tag => Err(DecodeError::InvalidTag {
                what: "get-block kind",
                tag,
            }),
        }
    }
}

/// Where a block or branch tip stands in the answering node's tree. One byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ChainStatus {
    /// On the active chain.
    Active = 1,
    /// Off the active chain, fully validated once (a stale branch).
    ValidFork = 2,
    /// Off the active chain; it and its ancestors have data, never validated.
    ValidHeaders = 3,
    /// Off the active chain; the header is valid, block data is missing here or below.
    HeadersOnly = 4,
    /// The block or an ancestor broke a consensus rule.
    Invalid = 5,
}

impl ChainStatus {
    /// Parses the wire byte.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] outside 1..=5.
    pub fn from_u8(tag: u8) -> Result<ChainStatus, DecodeError> {
        Ok(match tag {
            1 => ChainStatus::Active,
            2 => ChainStatus::ValidFork,
            3 => ChainStatus::ValidHeaders,
            4 => ChainStatus::HeadersOnly,
            5 => ChainStatus::Invalid,
            tag => {
                return Err(DecodeError::InvalidTag {
                    what: "chain status",
                    tag,
                })
            }
        })
    }

    /// The name used in the spec, the CLI and its JSON: `active`, `valid-fork`, ...
    pub fn name(self) -> &'static str {
        match self {
            ChainStatus::Active => "active",
            ChainStatus::ValidFork => "valid-fork",
            ChainStatus::ValidHeaders => "valid-headers",
            ChainStatus::HeadersOnly => "headers-only",
            ChainStatus::Invalid => "invalid",
        }
    }
}

/// The body of a `block-info`: the whole block, or only its header when the answering
/// node does not hold the data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockData {
    /// Flag 0: the 80-byte header.
    Header(BlockHeader),
    /// Flag 1: the block in its consensus encoding.
    Full(Arc<Block>),
}

impl BlockData {
    /// The header either way.
    pub fn header(&self) -> &BlockHeader {
        match self {
            BlockData::Header(h) => h,
            BlockData::Full(b) => &b.header,
        }
    }
}

/// Answer to `get-block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block's height.
    pub height: u32,
    /// Blocks on top of it in the active chain, itself included (0: not active).
    pub confirmations: u32,
    /// Where it stands.
    pub status: ChainStatus,
    /// Its header or the whole block.
    pub data: BlockData,
}

impl BlockInfo {
    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        4 + 4
            + 1
            + 1
            + match &self.data {
                BlockData::Header(_) => HEADER_LEN,
                BlockData::Full(b) => b.encoded_len(),
            }
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.height);
        put_u32(out, self.confirmations);
        out.push(self.status as u8);
        match &self.data {
            BlockData::Header(h) => {
                out.push(0);
                h.encode(out);
            }
            BlockData::Full(b) => {
                out.push(1);
                b.encode(out);
            }
        }
    }

    pub(super) fn decode(r: &mut Reader<'_>) -> Result<BlockInfo, DecodeError> {
        let height = r.u32("block-info height")?;
        let confirmations = r.u32("block-info confirmations")?;
        let status = ChainStatus::from_u8(r.u8("block-info status")?)?;
        let data = if bool_byte(r, "block-info data flag")? {
            BlockData::Full(Arc::new(Block::decode(r)?))
        } else {
            BlockData::Header(BlockHeader::decode(r)?)
        };
        Ok(BlockInfo {
            height,
            confirmations,
            status,
            data,
        })
    }
}

/// Where a transaction was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxLocation {
    /// Tag 1: waiting in the mempool.
    Mempool,
    /// Tag 2: in a block of the active chain.
    Block {
        /// The block's hash.
        hash: Hash256,
        /// Its height.
        height: u32,
        /// Blocks on top of it, itself included.
        confirmations: u32,
    },
}

/// Answer to `get-tx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxInfo {
    /// Where it is.
    pub location: TxLocation,
    /// The transaction.
    pub tx: Transaction,
}

impl TxInfo {
    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + match self.location {
            TxLocation::Mempool => 0,
            TxLocation::Block { .. } => 32 + 4 + 4,
        } + self.tx.encoded_len()
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        match self.location {
            TxLocation::Mempool => out.push(1),
            TxLocation::Block {
                hash,
                height,
                confirmations,
            } => {
                out.push(2);
                out.extend_from_slice(&hash.0);
                put_u32(out, height);
                put_u32(out, confirmations);
            }
        }
        self.tx.encode(out);
    }

    pub(super) fn decode(r: &mut Reader<'_>) -> Result<TxInfo, DecodeError> {
        let location = match r.u8("tx-info location")? {
            1 => TxLocation::Mempool,
            2 => TxLocation::Block {
                hash: Hash256(r.array("tx-info block hash")?),
                height: r.u32("tx-info height")?,
                confirmations: r.u32("tx-info confirmations")?,
            },
            tag => {
                return Err(DecodeError::InvalidTag {
                    what: "tx-info location",
                    tag,
                })
            }
        };
        Ok(TxInfo {
            location,
            tx: Transaction::decode(r)?,
        })
    }
}

/// One branch tip in a `tips` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TipEntry {
    /// The tip's hash.
    pub hash: Hash256,
    /// Its height.
    pub height: u32,
    /// Blocks from the tip down to the active chain (0 for the active tip).
    pub branch_len: u32,
    /// Where it stands.
    pub status: ChainStatus,
}

impl TipEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hash.0);
        put_u32(out, self.height);
        put_u32(out, self.branch_len);
        out.push(self.status as u8);
    }

    fn decode(r: &mut Reader<'_>) -> Result<TipEntry, DecodeError> {
        Ok(TipEntry {
            hash: Hash256(r.array("tip hash")?),
            height: r.u32("tip height")?,
            branch_len: r.u32("tip branch length")?,
            status: ChainStatus::from_u8(r.u8("tip status")?)?,
        })
    }
}

/// Appends `u16` count and entries, at most [`MAX_TIPS`].
pub(super) fn encode_tips(tips: &[TipEntry], out: &mut Vec<u8>) {
    let tips = &tips[..tips.len().min(MAX_TIPS)];
    put_u16(out, tips.len() as u16);
    for t in tips {
        t.encode(out);
    }
}

pub(super) fn decode_tips(r: &mut Reader<'_>) -> Result<Vec<TipEntry>, DecodeError> {
    let n = read_count(r, "tips", MAX_TIPS, TIP_ENTRY_LEN)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(TipEntry::decode(r)?);
    }
    Ok(v)
}

/// One connection in a `peer-info` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerEntry {
    /// The remote socket address.
    pub addr: SocketAddr,
    /// The port it says it listens on (0: none or not yet known).
    pub listen_port: u16,
    /// True if it connected to us.
    pub inbound: bool,
    /// True once the handshake completed.
    pub ready: bool,
    /// The best height it claimed or showed.
    pub best_height: u32,
    /// Last measured round trip in ms, or [`PING_UNKNOWN`].
    pub ping_ms: u32,
    /// Frame bytes received from it.
    pub bytes_in: u64,
    /// Frame bytes sent to it.
    pub bytes_out: u64,
    /// When the connection opened, ms since the Unix epoch.
    pub connected_since: u64,
}

impl PeerEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_addr(&self.addr, out);
        put_u16(out, self.listen_port);
        out.push(if self.inbound { 1 } else { 2 });
        out.push(u8::from(self.ready));
        put_u32(out, self.best_height);
        put_u32(out, self.ping_ms);
        put_u64(out, self.bytes_in);
        put_u64(out, self.bytes_out);
        put_u64(out, self.connected_since);
    }

    fn decode(r: &mut Reader<'_>) -> Result<PeerEntry, DecodeError> {
        Ok(PeerEntry {
            addr: decode_addr(r)?,
            listen_port: r.u16("peer listen port")?,
            inbound: match r.u8("peer direction")? {
                1 => true,
                2 => false,
                tag => {
                    return Err(DecodeError::InvalidTag {
                        what: "peer direction",
                        tag,
                    })
                }
            },
            ready: bool_byte(r, "peer ready flag")?,
            best_height: r.u32("peer best height")?,
            ping_ms: r.u32("peer ping")?,
            bytes_in: r.u64("peer bytes in")?,
            bytes_out: r.u64("peer bytes out")?,
            connected_since: r.u64("peer connected since")?,
        })
    }
}

/// Appends `u16` count and entries, at most [`MAX_PEER_INFO`].
pub(super) fn encode_peers(peers: &[PeerEntry], out: &mut Vec<u8>) {
    let peers = &peers[..peers.len().min(MAX_PEER_INFO)];
    put_u16(out, peers.len() as u16);
    for p in peers {
        p.encode(out);
    }
}

pub(super) fn decode_peers(r: &mut Reader<'_>) -> Result<Vec<PeerEntry>, DecodeError> {
    let n = read_count(r, "peer-info", MAX_PEER_INFO, PEER_ENTRY_LEN)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(PeerEntry::decode(r)?);
    }
    Ok(v)
}

/// Appends `u16` count and hashes, at most [`MAX_MINE_BLOCKS`].
pub(super) fn encode_hashes(hashes: &[Hash256], out: &mut Vec<u8>) {
    let hashes = &hashes[..hashes.len().min(MAX_MINE_BLOCKS)];
    put_u16(out, hashes.len() as u16);
    for h in hashes {
        out.extend_from_slice(&h.0);
    }
}

pub(super) fn decode_hashes(r: &mut Reader<'_>) -> Result<Vec<Hash256>, DecodeError> {
    let n = read_count(r, "mined hashes", MAX_MINE_BLOCKS, 32)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(Hash256(r.array("mined hash")?));
    }
    Ok(v)
}

/// Why a query or control request was not answered. One byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum QueryErrorCode {
    /// No such block, transaction or peer.
    NotFound = 1,
    /// Not allowed here: a control request on the peer port, or `mine` on a network
    /// without instant mining.
    NotAllowed = 2,
    /// The request is out of range (e.g. `mine` of 0 or more than [`MAX_MINE_BLOCKS`]).
    BadRequest = 3,
    /// The node cannot do it now (e.g. no account to mine to).
    Unavailable = 4,
    /// Another request of this kind is still running.
    Busy = 5,
}

impl QueryErrorCode {
    /// Parses the wire byte.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] outside 1..=5.
    pub fn from_u8(tag: u8) -> Result<QueryErrorCode, DecodeError> {
        Ok(match tag {
            1 => QueryErrorCode::NotFound,
            2 => QueryErrorCode::NotAllowed,
            3 => QueryErrorCode::BadRequest,
            4 => QueryErrorCode::Unavailable,
            5 => QueryErrorCode::Busy,
            tag => {
                return Err(DecodeError::InvalidTag {
                    what: "query error code",
                    tag,
                })
            }
        })
    }

    /// Lowercase name: `not-found`, `not-allowed`, `bad-request`, `unavailable`, `busy`.
    pub fn name(self) -> &'static str {
        match self {
            QueryErrorCode::NotFound => "not-found",
            QueryErrorCode::NotAllowed => "not-allowed",
            QueryErrorCode::BadRequest => "bad-request",
            QueryErrorCode::Unavailable => "unavailable",
            QueryErrorCode::Busy => "busy",
        }
    }
}

impl std::fmt::Display for QueryErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Most blocks listed in one `tree` answer.
pub const MAX_TREE_BLOCKS: usize = 2048;
/// Most distinct miners listed in one `tree` answer.
pub const MAX_TREE_MINERS: usize = 256;
/// Most heights below the tip a `get-tree` may ask for (larger depths are cut to it).
pub const MAX_TREE_DEPTH: u32 = 10_000;
/// Encoded length of one [`TreeEntry`].
pub const TREE_ENTRY_LEN: usize = 32 + 32 + 4 + 4 + 1 + 2;
/// [`TreeEntry::miner`] of a block whose miner is not known (no block data).
pub const MINER_UNKNOWN: u16 = u16::MAX;

/// One block in a `tree` answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    /// The block's hash.
    pub hash: Hash256,
    /// Its parent's hash.
    pub parent: Hash256,
    /// Its height.
    pub height: u32,
    /// The order its header arrived in at the answering node (0 is genesis; larger
    /// came later).
    pub arrival: u32,
    /// Where it stands.
    pub status: ChainStatus,
    /// Index of its coinbase's recipient in the answer's miner list, or
    /// [`MINER_UNKNOWN`].
    pub miner: u16,
}

impl TreeEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hash.0);
        out.extend_from_slice(&self.parent.0);
        put_u32(out, self.height);
        put_u32(out, self.arrival);
        out.push(self.status as u8);
        put_u16(out, self.miner);
    }

    fn decode(r: &mut Reader<'_>, miners: usize) -> Result<TreeEntry, DecodeError> {
        let e = TreeEntry {
            hash: Hash256(r.array("tree block hash")?),
            parent: Hash256(r.array("tree block parent")?),
            height: r.u32("tree block height")?,
            arrival: r.u32("tree block arrival")?,
            status: ChainStatus::from_u8(r.u8("tree block status")?)?,
            miner: r.u16("tree block miner")?,
        };
        if e.miner != MINER_UNKNOWN && usize::from(e.miner) >= miners {
            return Err(DecodeError::InvalidValue {
                what: "tree block miner index past the miner list",
            });
        }
        Ok(e)
    }
}

/// Answer to `get-tree`: the blocks of the answering node's tree near its tip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeInfo {
    /// Height of the answering node's active tip.
    pub tip_height: u32,
    /// Blocks the node knows at the heights asked for (may exceed the list).
    pub total: u32,
    /// The coinbase recipients the entries point to (at most [`MAX_TREE_MINERS`]).
    pub miners: Vec<crate::chain::tx::AccountId>,
    /// The blocks, at most [`MAX_TREE_BLOCKS`].
    pub blocks: Vec<TreeEntry>,
}

impl TreeInfo {
    /// Encoded length (lists cut to their limits).
    pub fn encoded_len(&self) -> usize {
        4 + 4
            + 2
            + self.miners.len().min(MAX_TREE_MINERS) * 33
            + 2
            + self.blocks.len().min(MAX_TREE_BLOCKS) * TREE_ENTRY_LEN
    }

    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.tip_height);
        put_u32(out, self.total);
        let miners = &self.miners[..self.miners.len().min(MAX_TREE_MINERS)];
        put_u16(out, miners.len() as u16);
        for m in miners {
            out.extend_from_slice(&m.0);
        }
        let blocks = &self.blocks[..self.blocks.len().min(MAX_TREE_BLOCKS)];
        put_u16(out, blocks.len() as u16);
        for b in blocks {
            // An index past a cut miner list would not decode: say "unknown" instead.
            let mut b = *b;
            if b.miner != MINER_UNKNOWN && usize::from(b.miner) >= miners.len() {
                b.miner = MINER_UNKNOWN;
            }
            b.encode(out);
        }
    }

    pub(super) fn decode(r: &mut Reader<'_>) -> Result<TreeInfo, DecodeError> {
        let tip_height = r.u32("tree tip height")?;
        let total = r.u32("tree total")?;
        let n = read_count(r, "tree miners", MAX_TREE_MINERS, 33)?;
        let mut miners = Vec::with_capacity(n);
        for _ in 0..n {
            miners.push(crate::chain::tx::AccountId(r.array("tree miner")?));
        }
        let k = read_count(r, "tree blocks", MAX_TREE_BLOCKS, TREE_ENTRY_LEN)?;
        let mut blocks = Vec::with_capacity(k);
        for _ in 0..k {
            blocks.push(TreeEntry::decode(r, miners.len())?);
        }
        Ok(TreeInfo {
            tip_height,
            total,
            miners,
            blocks,
        })
    }
}
