//! Every message of the tracker and peer protocols, and its payload encoding.
//!
//! A payload is the bytes inside one frame (see [`super::frame`]); its layout is fixed by
//! the message type. All integers are little-endian. Decoding is strict and canonical:
//! every count is checked against its `MAX_*` limit and against the bytes that remain
//! before anything is allocated, the payload must be consumed exactly, and
//! `encode_payload(decode_payload(x)) == x` for every accepted `x`. The byte-level
//! reference is `spec/wire.md`.
//!
//! This file holds the [`Message`] enum and its encode, length and decode functions;
//! the structures they use are one file per family of `spec/wire.md` section 3:
//! `types` (the type-code table with names), `common` (reject code, text, counts),
//! `tracker` (socket addresses), `handshake` (`version`), `relay` (inventory items) and
//! `query` (the query and control messages' structures).
//! The header-sync limits are the chain's, re-exported here. Those files import
//! nothing from this one.

mod common;
mod handshake;
mod query;
mod relay;
#[cfg(test)]
mod tests;
mod tracker;
mod types;

/// Most hashes in the locator of one [`Message::GetHeaders`], and most headers in one
/// [`Message::Headers`]: the chain's limits, defined once there.
pub use crate::chain::tree::{MAX_HEADERS, MAX_LOCATOR};
pub use common::{truncate_reason, RejectCode, MAX_REASON_LEN};
pub use handshake::{Version, VERSION_LEN};
pub use query::{
    BlockData, BlockInfo, BlockQuery, ChainStatus, NodeInfo, PeerEntry, QueryErrorCode, TipEntry,
    TreeEntry, TreeInfo, TxInfo, TxLocation, MAX_MINE_BLOCKS, MAX_PEER_INFO, MAX_TIPS,
    MAX_TREE_BLOCKS, MAX_TREE_DEPTH, MAX_TREE_MINERS, MINER_UNKNOWN, PEER_ENTRY_LEN, PING_UNKNOWN,
    TIP_ENTRY_LEN, TREE_ENTRY_LEN,
};
pub use relay::{InvItem, InvKind, INV_ITEM_LEN, MAX_INV};
pub use tracker::{decode_addr, encode_addr, ADDR_LEN, MAX_PEER_LIST};
pub use types::*;

use crate::chain::block::Block;
use crate::chain::hash::Hash256;
use crate::chain::header::{BlockHeader, HEADER_LEN};
use crate::chain::tx::{AccountId, Transaction};
use crate::codec::{put_u16, put_u32, put_u64, DecodeError, Reader};
use common::{decode_reason, encode_reason, read_count};
use relay::decode_items;
use std::net::SocketAddr;
use std::sync::Arc;

/// A message of the tracker protocol (peer <-> tracker) or the peer protocol
/// (peer <-> peer). See `spec/wire.md` for the layout, direction and session state of
/// each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// `0x0001`, peer -> tracker, first message: the port the peer listens on (the IP is
    /// taken from the socket).
    Register {
        /// The peer's listening port.
        listen_port: u16,
    },
    /// `0x0002`, tracker -> peer: `u16` count (at most [`MAX_PEER_LIST`]) then addresses.
    PeerList {
        /// Known peers.
        peers: Vec<SocketAddr>,
    },
    /// `0x0003`, tracker -> peer: a peer registered.
    PeerJoined {
        /// Its listening address.
        addr: SocketAddr,
    },
    /// `0x0004`, tracker -> peer: a peer went away.
    PeerLeft {
        /// Its listening address.
        addr: SocketAddr,
    },
    /// `0x0005`, peer -> tracker, empty: "still here".
    Heartbeat,
    /// `0x0006`, peer -> tracker, empty: answered by [`Message::PeerList`].
    GetPeers,
    /// `0x0007`, tracker -> peer, before closing: code, then `u8` length and UTF-8 text
    /// (at most [`MAX_REASON_LEN`] bytes).
    Error {
        /// Why.
        code: RejectCode,
        /// Free text for people.
        message: String,
    },
    /// `0x0010`: the handshake.
    Version(Version),
    /// `0x0011`, empty: acknowledges the other side's [`Message::Version`].
    Verack,
    /// `0x0012`: liveness probe, answered by [`Message::Pong`] with the same nonce.
    Ping {
        /// Echoed back.
        nonce: u64,
    },
    /// `0x0013`: answer to [`Message::Ping`].
    Pong {
        /// The ping's nonce.
        nonce: u64,
    },
    /// `0x0014`: `u16` count (at most [`MAX_LOCATOR`]), hashes, stop hash (zero = none).
    GetHeaders {
        /// Block hashes from the sender's tip backwards, densest near the tip.
        locator: Vec<Hash256>,
        /// Last header wanted, or [`Hash256::ZERO`] for "as many as allowed".
        stop: Hash256,
    },
    /// `0x0015`: `u16` count (at most [`MAX_HEADERS`]), 80-byte headers. Also announces
    /// new blocks.
    Headers {
        /// Consecutive headers, each the parent of the next.
        headers: Vec<BlockHeader>,
    },
    /// `0x0016`: `u16` count (at most [`MAX_INV`]), items. Announces transactions.
    Inv {
        /// What the sender has.
        items: Vec<InvItem>,
    },
    /// `0x0017`: same layout as [`Message::Inv`]; asks for blocks or transactions.
    GetData {
        /// What the sender wants.
        items: Vec<InvItem>,
    },
    /// `0x0018`: same layout as [`Message::Inv`]; the [`Message::GetData`] items the
    /// sender does not have.
    NotFound {
        /// What could not be served.
        items: Vec<InvItem>,
    },
    /// `0x0019`: a block in its consensus encoding.
    Block(Arc<Block>),
    /// `0x001a`: a transaction in its consensus encoding.
    Tx(Box<Transaction>),
    /// `0x001b`, empty: answered by [`Message::Inv`] of the mempool's txids.
    Mempool,
    /// `0x001c`: why something the receiver sent was refused.
    Reject {
        /// Type of the refused message.
        msg_type: u16,
        /// Why.
        code: RejectCode,
        /// Hash of the refused block or transaction, or zero.
        hash: Hash256,
        /// Free text for people (at most [`MAX_REASON_LEN`] bytes).
        reason: String,
    },
    /// `0x001d`: 33-byte account. Asks for the account's state (wallets use it).
    GetAccount {
        /// The account asked about.
        account: AccountId,
    },
    /// `0x001e`: answer to [`Message::GetAccount`]: account (33 bytes), balance `u64`,
    /// next sequence `u64` (counting the sender's pending mempool transfers), height
    /// `u32` of the answering node's tip.
    Account {
        /// The account.
        account: AccountId,
        /// Its balance at the tip, in base units.
        balance: u64,
        /// The sequence number its next transfer must carry.
        next_sequence: u64,
        /// Height of the tip the balance is read at.
        height: u32,
    },
    /// `0x0020`, empty: asks for [`Message::Info`].
    GetInfo,
    /// `0x0021`: the answering node's state (no addresses).
    Info(Box<NodeInfo>),
    /// `0x0022`: asks for one block by height or hash, answered by
    /// [`Message::BlockInfo`] or [`Message::QueryError`].
    GetBlock(BlockQuery),
    /// `0x0023`: a block, its height, confirmations and status.
    BlockInfo(Box<BlockInfo>),
    /// `0x0024`: asks where a transaction is, answered by [`Message::TxInfo`] or
    /// [`Message::QueryError`].
    GetTx {
        /// The transaction id.
        txid: Hash256,
    },
    /// `0x0025`: a transaction and where it is.
    TxInfo(Box<TxInfo>),
    /// `0x0026`, empty: asks for [`Message::Tips`].
    GetTips,
    /// `0x0027`: the known branch tips, active first (at most [`MAX_TIPS`]).
    Tips {
        /// How many tips the node knows (may exceed the list).
        total: u32,
        /// The tips listed.
        tips: Vec<TipEntry>,
    },
    /// `0x0028`: why a query or control request was not answered.
    QueryError {
        /// Type of the request.
        request: u16,
        /// Why.
        code: QueryErrorCode,
        /// Free text for people (at most [`MAX_REASON_LEN`] bytes).
        message: String,
    },
    /// `0x0029`, control, empty: asks for [`Message::PeerInfo`].
    GetPeerInfo,
    /// `0x002a`, control: one entry per peer connection (at most [`MAX_PEER_INFO`]).
    PeerInfo {
        /// The connections.
        peers: Vec<PeerEntry>,
    },
    /// `0x002b`, control: mine `blocks` blocks now (regtest and testnet only).
    Mine {
        /// How many, 1 to [`MAX_MINE_BLOCKS`].
        blocks: u32,
        /// Who the coinbases pay; all zeros: the node's own mining account.
        account: AccountId,
    },
    /// `0x002c`, control: answer to [`Message::Mine`].
    Mined {
        /// The active height once the last block was mined.
        height: u32,
        /// The blocks mined, in order.
        hashes: Vec<Hash256>,
    },
    /// `0x002d`, control: open an outbound peer connection.
    ConnectPeer {
        /// Where to.
        addr: SocketAddr,
    },
    /// `0x002e`, control: close the connections with this remote or listening address.
    DisconnectPeer {
        /// Which peer.
        addr: SocketAddr,
    },
    /// `0x002f`, control, empty: stop the node.
    Stop,
    /// `0x0030`, control: a control request was carried out.
    Done {
        /// Type of the request.
        request: u16,
        /// What was done, for people (at most [`MAX_REASON_LEN`] bytes).
        message: String,
    },
    /// `0x0031`: asks for the blocks of the tree within `depth` heights below the
    /// active tip (and any above it), answered by [`Message::Tree`].
    GetTree {
        /// How many heights below the tip (cut to [`MAX_TREE_DEPTH`]).
        depth: u32,
    },
    /// `0x0032`: the blocks of the answering node's tree near its tip.
    Tree(Box<TreeInfo>),
}

impl Message {
    /// The message type on the wire.
    pub fn msg_type(&self) -> u16 {
        match self {
            Message::Register { .. } => MSG_REGISTER,
            Message::PeerList { .. } => MSG_PEER_LIST,
            Message::PeerJoined { .. } => MSG_PEER_JOINED,
            Message::PeerLeft { .. } => MSG_PEER_LEFT,
            Message::Heartbeat => MSG_HEARTBEAT,
            Message::GetPeers => MSG_GET_PEERS,
            Message::Error { .. } => MSG_ERROR,
            Message::Version(_) => MSG_VERSION,
            Message::Verack => MSG_VERACK,
            Message::Ping { .. } => MSG_PING,
            Message::Pong { .. } => MSG_PONG,
            Message::GetHeaders { .. } => MSG_GET_HEADERS,
            Message::Headers { .. } => MSG_HEADERS,
            Message::Inv { .. } => MSG_INV,
            Message::GetData { .. } => MSG_GET_DATA,
            Message::NotFound { .. } => MSG_NOT_FOUND,
            Message::Block(_) => MSG_BLOCK,
            Message::Tx(_) => MSG_TX,
            Message::Mempool => MSG_MEMPOOL,
            Message::Reject { .. } => MSG_REJECT,
            Message::GetAccount { .. } => MSG_GET_ACCOUNT,
            Message::Account { .. } => MSG_ACCOUNT,
            Message::GetInfo => MSG_GET_INFO,
            Message::Info(_) => MSG_INFO,
            Message::GetBlock(_) => MSG_GET_BLOCK,
            Message::BlockInfo(_) => MSG_BLOCK_INFO,
            Message::GetTx { .. } => MSG_GET_TX,
            Message::TxInfo(_) => MSG_TX_INFO,
            Message::GetTips => MSG_GET_TIPS,
            Message::Tips { .. } => MSG_TIPS,
            Message::QueryError { .. } => MSG_QUERY_ERROR,
            Message::GetPeerInfo => MSG_GET_PEER_INFO,
            Message::PeerInfo { .. } => MSG_PEER_INFO,
            Message::Mine { .. } => MSG_MINE,
            Message::Mined { .. } => MSG_MINED,
            Message::ConnectPeer { .. } => MSG_CONNECT_PEER,
            Message::DisconnectPeer { .. } => MSG_DISCONNECT_PEER,
            Message::Stop => MSG_STOP,
            Message::Done { .. } => MSG_DONE,
            Message::GetTree { .. } => MSG_GET_TREE,
            Message::Tree(_) => MSG_TREE,
        }
    }

    /// True for the control messages, which a node accepts only on its local control
    /// socket (spec/peer-protocol.md section 9).
    pub fn is_control(&self) -> bool {
        matches!(
            self,
            Message::GetPeerInfo
                | Message::Mine { .. }
                | Message::ConnectPeer { .. }
                | Message::DisconnectPeer { .. }
                | Message::Stop
        )
    }

    /// Lowercase name for logs: `"register"`, `"peer-list"`, ... (see [`MESSAGE_TYPES`]).
    pub fn name(&self) -> &'static str {
        message_name(self.msg_type()).expect("every message type has a name")
    }

    /// Appends the payload encoding.
    ///
    /// Encoding always produces a payload that decodes back to what the receiver will
    /// see: lists longer than their `MAX_*` limit are cut to the limit and texts longer
    /// than [`MAX_REASON_LEN`] bytes are cut at the last character boundary that fits.
    /// Callers must respect the limits themselves; the cut only keeps the wire valid.
    /// (A [`Message::Block`] over [`crate::chain::block::MAX_BLOCK_BYTES`] is encoded
    /// as is; receivers refuse it.)
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        match self {
            Message::Register { listen_port } => put_u16(out, *listen_port),
            Message::PeerList { peers } => {
                let peers = &peers[..peers.len().min(MAX_PEER_LIST)];
                put_u16(out, peers.len() as u16);
                for p in peers {
                    encode_addr(p, out);
                }
            }
            Message::PeerJoined { addr } | Message::PeerLeft { addr } => encode_addr(addr, out),
            Message::Heartbeat | Message::GetPeers | Message::Verack | Message::Mempool => {}
            Message::Error { code, message } => {
                out.push(code.as_u8());
                encode_reason(message, out);
            }
            Message::Version(v) => v.encode(out),
            Message::Ping { nonce } | Message::Pong { nonce } => put_u64(out, *nonce),
            Message::GetHeaders { locator, stop } => {
                let locator = &locator[..locator.len().min(MAX_LOCATOR)];
                put_u16(out, locator.len() as u16);
                for h in locator {
                    out.extend_from_slice(&h.0);
                }
                out.extend_from_slice(&stop.0);
            }
            Message::Headers { headers } => {
                let headers = &headers[..headers.len().min(MAX_HEADERS)];
                put_u16(out, headers.len() as u16);
                for h in headers {
                    h.encode(out);
                }
            }
            Message::Inv { items } | Message::GetData { items } | Message::NotFound { items } => {
                let items = &items[..items.len().min(MAX_INV)];
                put_u16(out, items.len() as u16);
                for i in items {
                    i.encode(out);
                }
            }
            Message::Block(b) => b.encode(out),
            Message::Tx(t) => t.encode(out),
            Message::Reject {
                msg_type,
                code,
                hash,
                reason,
            } => {
                put_u16(out, *msg_type);
                out.push(code.as_u8());
                out.extend_from_slice(&hash.0);
                encode_reason(reason, out);
            }
            Message::GetAccount { account } => out.extend_from_slice(&account.0),
            Message::Account {
                account,
                balance,
                next_sequence,
                height,
            } => {
                out.extend_from_slice(&account.0);
                put_u64(out, *balance);
                put_u64(out, *next_sequence);
                put_u32(out, *height);
            }
            Message::GetInfo | Message::GetTips | Message::GetPeerInfo | Message::Stop => {}
            Message::Info(i) => i.encode(out),
            Message::GetBlock(q) => q.encode(out),
            Message::BlockInfo(b) => b.encode(out),
            Message::GetTx { txid } => out.extend_from_slice(&txid.0),
            Message::TxInfo(t) => t.encode(out),
            Message::Tips { total, tips } => {
                put_u32(out, *total);
                query::encode_tips(tips, out);
            }
            Message::QueryError {
                request,
                code,
                message,
            } => {
                put_u16(out, *request);
                out.push(*code as u8);
                encode_reason(message, out);
            }
            Message::PeerInfo { peers } => query::encode_peers(peers, out),
            Message::Mine { blocks, account } => {
                put_u32(out, *blocks);
                out.extend_from_slice(&account.0);
            }
            Message::Mined { height, hashes } => {
                put_u32(out, *height);
                query::encode_hashes(hashes, out);
            }
            Message::ConnectPeer { addr } | Message::DisconnectPeer { addr } => {
                encode_addr(addr, out)
            }
            Message::Done { request, message } => {
                put_u16(out, *request);
                encode_reason(message, out);
            }
            Message::GetTree { depth } => put_u32(out, *depth),
            Message::Tree(t) => t.encode(out),
        }
    }

    /// Length of [`Message::encode_payload`]'s output, computed without encoding
    /// (the simulator sizes every message it sends).
    pub fn payload_len(&self) -> usize {
        match self {
            Message::Register { .. } => 2,
            Message::PeerList { peers } => 2 + peers.len().min(MAX_PEER_LIST) * ADDR_LEN,
            Message::PeerJoined { .. } | Message::PeerLeft { .. } => ADDR_LEN,
            Message::Heartbeat | Message::GetPeers | Message::Verack | Message::Mempool => 0,
            Message::Error { message, .. } => 1 + 1 + truncate_reason(message).len(),
            Message::Version(_) => VERSION_LEN,
            Message::Ping { .. } | Message::Pong { .. } => 8,
            Message::GetHeaders { locator, .. } => 2 + (locator.len().min(MAX_LOCATOR) + 1) * 32,
            Message::Headers { headers } => 2 + headers.len().min(MAX_HEADERS) * HEADER_LEN,
            Message::Inv { items } | Message::GetData { items } | Message::NotFound { items } => {
                2 + items.len().min(MAX_INV) * INV_ITEM_LEN
            }
            Message::Block(b) => b.encoded_len(),
            Message::Tx(t) => t.encoded_len(),
            Message::Reject { reason, .. } => 2 + 1 + 32 + 1 + truncate_reason(reason).len(),
            Message::GetAccount { account } => account.0.len(),
            Message::Account { account, .. } => account.0.len() + 8 + 8 + 4,
            Message::GetInfo | Message::GetTips | Message::GetPeerInfo | Message::Stop => 0,
            Message::Info(i) => i.encoded_len(),
            Message::GetBlock(q) => q.encoded_len(),
            Message::BlockInfo(b) => b.encoded_len(),
            Message::GetTx { .. } => 32,
            Message::TxInfo(t) => t.encoded_len(),
            Message::Tips { tips, .. } => 4 + 2 + tips.len().min(MAX_TIPS) * TIP_ENTRY_LEN,
            Message::QueryError { message, .. } => 2 + 1 + 1 + truncate_reason(message).len(),
            Message::PeerInfo { peers } => 2 + peers.len().min(MAX_PEER_INFO) * PEER_ENTRY_LEN,
            Message::Mine { account, .. } => 4 + account.0.len(),
            Message::Mined { hashes, .. } => 4 + 2 + hashes.len().min(MAX_MINE_BLOCKS) * 32,
            Message::ConnectPeer { .. } | Message::DisconnectPeer { .. } => ADDR_LEN,
            Message::Done { message, .. } => 2 + 1 + truncate_reason(message).len(),
            Message::GetTree { .. } => 4,
            Message::Tree(t) => t.encoded_len(),
        }
    }

    /// The payload encoding as a new vector.
    pub fn payload(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode_payload(&mut v);
        v
    }

    /// Decodes the payload of a frame of type `msg_type`.
    ///
    /// Returns `Ok(None)` for an unknown type (the receiver skips it). The payload must be
    /// consumed exactly.
    ///
    /// # Errors
    /// Any [`DecodeError`]: [`DecodeError::TrailingBytes`] for leftover bytes,
    /// [`DecodeError::TooMany`] for a count over its limit, [`DecodeError::Truncated`]
    /// for a count the remaining bytes cannot hold, [`DecodeError::InvalidTag`] for an
    /// unknown kind or code, [`DecodeError::InvalidValue`] for text that is not UTF-8.
    pub fn decode_payload(msg_type: u16, payload: &[u8]) -> Result<Option<Message>, DecodeError> {
        let mut r = Reader::new(payload);
        let r = &mut r;
        let msg = match msg_type {
            MSG_REGISTER => Message::Register {
                listen_port: r.u16("register listen port")?,
            },
            MSG_PEER_LIST => {
                let n = read_count(r, "peer list", MAX_PEER_LIST, ADDR_LEN)?;
                let mut peers = Vec::with_capacity(n);
                for _ in 0..n {
                    peers.push(decode_addr(r)?);
                }
                Message::PeerList { peers }
            }
            MSG_PEER_JOINED => Message::PeerJoined {
                addr: decode_addr(r)?,
            },
            MSG_PEER_LEFT => Message::PeerLeft {
                addr: decode_addr(r)?,
            },
            MSG_HEARTBEAT => Message::Heartbeat,
            MSG_GET_PEERS => Message::GetPeers,
            MSG_ERROR => Message::Error {
                code: RejectCode::from_u8(r.u8("error code")?)?,
                message: decode_reason(r)?,
            },
            MSG_VERSION => Message::Version(Version::decode(r)?),
            MSG_VERACK => Message::Verack,
            MSG_PING => Message::Ping {
                nonce: r.u64("ping nonce")?,
            },
            MSG_PONG => Message::Pong {
                nonce: r.u64("pong nonce")?,
            },
            MSG_GET_HEADERS => {
                let n = read_count(r, "locator", MAX_LOCATOR, 32)?;
                let mut locator = Vec::with_capacity(n);
                for _ in 0..n {
                    locator.push(Hash256(r.array("locator hash")?));
                }
                let stop = Hash256(r.array("stop hash")?);
                Message::GetHeaders { locator, stop }
            }
            MSG_HEADERS => {
                let n = read_count(r, "headers", MAX_HEADERS, HEADER_LEN)?;
                let mut headers = Vec::with_capacity(n);
                for _ in 0..n {
                    headers.push(BlockHeader::decode(r)?);
                }
                Message::Headers { headers }
            }
            MSG_INV => Message::Inv {
                items: decode_items(r)?,
            },
            MSG_GET_DATA => Message::GetData {
                items: decode_items(r)?,
            },
            MSG_NOT_FOUND => Message::NotFound {
                items: decode_items(r)?,
            },
            MSG_BLOCK => Message::Block(Arc::new(Block::decode(r)?)),
            MSG_TX => Message::Tx(Box::new(Transaction::decode(r)?)),
            MSG_MEMPOOL => Message::Mempool,
            MSG_REJECT => Message::Reject {
                msg_type: r.u16("reject message type")?,
                code: RejectCode::from_u8(r.u8("reject code")?)?,
                hash: Hash256(r.array("reject hash")?),
                reason: decode_reason(r)?,
            },
            MSG_GET_ACCOUNT => Message::GetAccount {
                account: AccountId(r.array("get-account account")?),
            },
            MSG_ACCOUNT => Message::Account {
                account: AccountId(r.array("account account")?),
                balance: r.u64("account balance")?,
                next_sequence: r.u64("account next sequence")?,
                height: r.u32("account height")?,
            },
            MSG_GET_INFO => Message::GetInfo,
            MSG_INFO => Message::Info(Box::new(NodeInfo::decode(r)?)),
            MSG_GET_BLOCK => Message::GetBlock(BlockQuery::decode(r)?),
            MSG_BLOCK_INFO => Message::BlockInfo(Box::new(BlockInfo::decode(r)?)),
            MSG_GET_TX => Message::GetTx {
                txid: Hash256(r.array("get-tx txid")?),
            },
            MSG_TX_INFO => Message::TxInfo(Box::new(TxInfo::decode(r)?)),
            MSG_GET_TIPS => Message::GetTips,
            MSG_TIPS => Message::Tips {
                total: r.u32("tips total")?,
                tips: query::decode_tips(r)?,
            },
            MSG_QUERY_ERROR => Message::QueryError {
                request: r.u16("query-error request")?,
                code: QueryErrorCode::from_u8(r.u8("query-error code")?)?,
                message: decode_reason(r)?,
            },
            MSG_GET_PEER_INFO => Message::GetPeerInfo,
            MSG_PEER_INFO => Message::PeerInfo {
                peers: query::decode_peers(r)?,
            },
            MSG_MINE => Message::Mine {
                blocks: r.u32("mine blocks")?,
                account: AccountId(r.array("mine account")?),
            },
            MSG_MINED => Message::Mined {
                height: r.u32("mined height")?,
                hashes: query::decode_hashes(r)?,
            },
            MSG_CONNECT_PEER => Message::ConnectPeer {
                addr: decode_addr(r)?,
            },
            MSG_DISCONNECT_PEER => Message::DisconnectPeer {
                addr: decode_addr(r)?,
            },
            MSG_STOP => Message::Stop,
            MSG_DONE => Message::Done {
                request: r.u16("done request")?,
                message: decode_reason(r)?,
            },
            MSG_GET_TREE => Message::GetTree {
                depth: r.u32("get-tree depth")?,
            },
            MSG_TREE => Message::Tree(Box::new(TreeInfo::decode(r)?)),
            _ => return Ok(None),
        };
        r.finish()?;
        Ok(Some(msg))
    }
}
