//! Every message of the tracker and peer protocols, and its payload encoding.
//!
//! A payload is the bytes inside one frame (see [`super::frame`]); its layout is fixed by
//! the message type. All integers are little-endian. Decoding is strict and canonical:
//! every count is checked against its `MAX_*` limit and against the bytes that remain
//! before anything is allocated, the payload must be consumed exactly, and
//! `encode_payload(decode_payload(x)) == x` for every accepted `x`. The byte-level
//! reference is `spec/wire.md`.

use crate::chain::block::Block;
use crate::chain::hash::Hash256;
use crate::chain::header::{BlockHeader, HEADER_LEN};
/// Most hashes in the locator of one [`Message::GetHeaders`], and most headers in one
/// [`Message::Headers`]: the chain's limits, defined once there.
pub use crate::chain::tree::{MAX_HEADERS, MAX_LOCATOR};
use crate::chain::tx::{AccountId, Transaction};
use crate::codec::{put_u16, put_u32, put_u64, DecodeError, Reader};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Most addresses in one [`Message::PeerList`].
pub const MAX_PEER_LIST: usize = 64;
/// Most bytes of the UTF-8 text in [`Message::Error`] and [`Message::Reject`] (the
/// length is one byte on the wire).
pub const MAX_REASON_LEN: usize = 255;
/// Most items in one [`Message::Inv`], [`Message::GetData`] or [`Message::NotFound`].
pub const MAX_INV: usize = 1000;

/// Encoded length of a socket address: 16-byte IPv6 address and a `u16` port.
pub const ADDR_LEN: usize = 18;
/// Encoded length of an [`InvItem`]: kind byte and 32-byte hash.
pub const INV_ITEM_LEN: usize = 33;
/// Encoded length of a [`Version`] payload.
pub const VERSION_LEN: usize = 50;

/// Message type of [`Message::Register`].
pub const MSG_REGISTER: u16 = 0x0001;
/// Message type of [`Message::PeerList`].
pub const MSG_PEER_LIST: u16 = 0x0002;
/// Message type of [`Message::PeerJoined`].
pub const MSG_PEER_JOINED: u16 = 0x0003;
/// Message type of [`Message::PeerLeft`].
pub const MSG_PEER_LEFT: u16 = 0x0004;
/// Message type of [`Message::Heartbeat`].
pub const MSG_HEARTBEAT: u16 = 0x0005;
/// Message type of [`Message::GetPeers`].
pub const MSG_GET_PEERS: u16 = 0x0006;
/// Message type of [`Message::Error`].
pub const MSG_ERROR: u16 = 0x0007;
/// Message type of [`Message::Version`].
pub const MSG_VERSION: u16 = 0x0010;
/// Message type of [`Message::Verack`].
pub const MSG_VERACK: u16 = 0x0011;
/// Message type of [`Message::Ping`].
pub const MSG_PING: u16 = 0x0012;
/// Message type of [`Message::Pong`].
pub const MSG_PONG: u16 = 0x0013;
/// Message type of [`Message::GetHeaders`].
pub const MSG_GET_HEADERS: u16 = 0x0014;
/// Message type of [`Message::Headers`].
pub const MSG_HEADERS: u16 = 0x0015;
/// Message type of [`Message::Inv`].
pub const MSG_INV: u16 = 0x0016;
/// Message type of [`Message::GetData`].
pub const MSG_GET_DATA: u16 = 0x0017;
/// Message type of [`Message::NotFound`].
pub const MSG_NOT_FOUND: u16 = 0x0018;
/// Message type of [`Message::Block`].
pub const MSG_BLOCK: u16 = 0x0019;
/// Message type of [`Message::Tx`].
pub const MSG_TX: u16 = 0x001a;
/// Message type of [`Message::Mempool`].
pub const MSG_MEMPOOL: u16 = 0x001b;
/// Message type of [`Message::Reject`].
pub const MSG_REJECT: u16 = 0x001c;
/// Message type of [`Message::GetAccount`].
pub const MSG_GET_ACCOUNT: u16 = 0x001d;
/// Message type of [`Message::Account`].
pub const MSG_ACCOUNT: u16 = 0x001e;

/// Every known message type with its log name, in type order.
pub const MESSAGE_TYPES: [(u16, &str); 22] = [
    (MSG_REGISTER, "register"),
    (MSG_PEER_LIST, "peer-list"),
    (MSG_PEER_JOINED, "peer-joined"),
    (MSG_PEER_LEFT, "peer-left"),
    (MSG_HEARTBEAT, "heartbeat"),
    (MSG_GET_PEERS, "get-peers"),
    (MSG_ERROR, "error"),
    (MSG_VERSION, "version"),
    (MSG_VERACK, "verack"),
    (MSG_PING, "ping"),
    (MSG_PONG, "pong"),
    (MSG_GET_HEADERS, "get-headers"),
    (MSG_HEADERS, "headers"),
    (MSG_INV, "inv"),
    (MSG_GET_DATA, "get-data"),
    (MSG_NOT_FOUND, "not-found"),
    (MSG_BLOCK, "block"),
    (MSG_TX, "tx"),
    (MSG_MEMPOOL, "mempool"),
    (MSG_REJECT, "reject"),
    (MSG_GET_ACCOUNT, "get-account"),
    (MSG_ACCOUNT, "account"),
];

/// The log name of a message type, or `None` if the type is unknown.
pub fn message_name(msg_type: u16) -> Option<&'static str> {
    MESSAGE_TYPES
        .iter()
        .find(|(t, _)| *t == msg_type)
        .map(|(_, n)| *n)
}

/// What an [`InvItem`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum InvKind {
    /// A block, by block hash.
    Block = 1,
    /// A transaction, by txid.
    Tx = 2,
}

impl InvKind {
    /// The wire byte.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Parses the wire byte.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for any value but 1 and 2.
    pub fn from_u8(tag: u8) -> Result<InvKind, DecodeError> {
        match tag {
            1 => Ok(InvKind::Block),
            2 => Ok(InvKind::Tx),
            tag => Err(DecodeError::InvalidTag {
                what: "inventory kind",
                tag,
            }),
        }
    }
}

/// One inventory entry: a block or transaction named by its hash. 33 bytes on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvItem {
    /// Block or transaction.
    pub kind: InvKind,
    /// Block hash or txid.
    pub hash: Hash256,
}

impl InvItem {
    /// Appends the 33-byte encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.kind.as_u8());
        out.extend_from_slice(&self.hash.0);
    }

    /// Reads one item.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for an unknown kind, [`DecodeError::Truncated`].
    pub fn decode(r: &mut Reader<'_>) -> Result<InvItem, DecodeError> {
        let kind = InvKind::from_u8(r.u8("inventory kind")?)?;
        let hash = Hash256(r.array("inventory hash")?);
        Ok(InvItem { kind, hash })
    }
}

/// The handshake message a peer sends first on every peer connection. 50 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    /// The sender's protocol version ([`super::frame::PROTOCOL_VERSION`]).
    pub version: u32,
    /// The sender's network id (its genesis block hash); a mismatch ends the connection.
    pub network_id: Hash256,
    /// Random per-process value; a node that receives its own nonce closes the
    /// connection (it dialled itself).
    pub nonce: u64,
    /// Height of the sender's best chain tip.
    pub best_height: u32,
    /// The port the sender accepts peer connections on.
    pub listen_port: u16,
}

impl Version {
    /// Appends the 50-byte encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.version);
        out.extend_from_slice(&self.network_id.0);
        put_u64(out, self.nonce);
        put_u32(out, self.best_height);
        put_u16(out, self.listen_port);
    }

    /// Reads the 50-byte encoding.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`].
    pub fn decode(r: &mut Reader<'_>) -> Result<Version, DecodeError> {
        Ok(Version {
            version: r.u32("version number")?,
            network_id: Hash256(r.array("version network id")?),
            nonce: r.u64("version nonce")?,
            best_height: r.u32("version best height")?,
            listen_port: r.u16("version listen port")?,
        })
    }
}

/// Why a message, block or transaction was refused, or a connection closed. One byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RejectCode {
    /// The bytes could not be decoded.
    Malformed = 1,
    /// Decoded, but breaks a consensus rule.
    Invalid = 2,
    /// Already known.
    Duplicate = 3,
    /// Too old to matter (e.g. a stale block, a spent sequence number).
    Obsolete = 4,
    /// Valid but refused by local policy (fee, size, rate).
    Policy = 5,
    /// The other side is on a different network (magic or network id).
    WrongNetwork = 6,
    /// The receiver has no room for another peer.
    TooManyPeers = 7,
    /// The sender is banned.
    Banned = 8,
}

impl RejectCode {
    /// The wire byte.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Parses the wire byte.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for a value outside 1..=8.
    pub fn from_u8(tag: u8) -> Result<RejectCode, DecodeError> {
        Ok(match tag {
            1 => RejectCode::Malformed,
            2 => RejectCode::Invalid,
            3 => RejectCode::Duplicate,
            4 => RejectCode::Obsolete,
            5 => RejectCode::Policy,
            6 => RejectCode::WrongNetwork,
            7 => RejectCode::TooManyPeers,
            8 => RejectCode::Banned,
            tag => {
                return Err(DecodeError::InvalidTag {
                    what: "reject code",
                    tag,
                })
            }
        })
    }

    /// Lowercase name for logs.
    pub fn name(self) -> &'static str {
        match self {
            RejectCode::Malformed => "malformed",
            RejectCode::Invalid => "invalid",
            RejectCode::Duplicate => "duplicate",
            RejectCode::Obsolete => "obsolete",
            RejectCode::Policy => "policy",
            RejectCode::WrongNetwork => "wrong-network",
            RejectCode::TooManyPeers => "too-many-peers",
            RejectCode::Banned => "banned",
        }
    }
}

impl fmt::Display for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
    /// `0x001e`: answer to [`Message::GetAccount`]: account [33], balance `u64`,
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
        }
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
            _ => return Ok(None),
        };
        r.finish()?;
        Ok(Some(msg))
    }
}

/// Reads a `u16` count and checks it against `max` and against what the remaining bytes
/// can hold at `item_len` bytes each, so the caller may allocate `count` items.
fn read_count(
    r: &mut Reader<'_>,
    what: &'static str,
    max: usize,
    item_len: usize,
) -> Result<usize, DecodeError> {
    let n = r.u16(what)? as usize;
    if n > max {
        return Err(DecodeError::TooMany {
            what,
            count: n as u64,
            max: max as u64,
        });
    }
    if n * item_len > r.remaining() {
        return Err(DecodeError::Truncated { what });
    }
    Ok(n)
}

fn decode_items(r: &mut Reader<'_>) -> Result<Vec<InvItem>, DecodeError> {
    let n = read_count(r, "inventory", MAX_INV, INV_ITEM_LEN)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(InvItem::decode(r)?);
    }
    Ok(items)
}

/// The longest prefix of `s` that is at most [`MAX_REASON_LEN`] bytes and ends on a
/// character boundary.
pub fn truncate_reason(s: &str) -> &str {
    if s.len() <= MAX_REASON_LEN {
        return s;
    }
    let mut end = MAX_REASON_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends `u8` length and UTF-8 bytes, cut by [`truncate_reason`].
fn encode_reason(s: &str, out: &mut Vec<u8>) {
    let s = truncate_reason(s);
    out.push(s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

fn decode_reason(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let n = r.u8("reason length")? as usize;
    let bytes = r.take(n, "reason")?;
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Err(DecodeError::InvalidValue {
            what: "reason text is not utf-8",
        }),
    }
}

/// Appends an 18-byte socket address: the 16-byte IPv6 address (an IPv4 address as
/// IPv4-mapped `::ffff:a.b.c.d`), then the port as a little-endian `u16`. IPv6 flow
/// info and scope id are not sent.
pub fn encode_addr(addr: &SocketAddr, out: &mut Vec<u8>) {
    let ip = match addr.ip() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    out.extend_from_slice(&ip.octets());
    put_u16(out, addr.port());
}

/// Reads an 18-byte socket address; an IPv4-mapped address decodes to
/// [`SocketAddr::V4`], any other to [`SocketAddr::V6`] with zero flow info and scope.
///
/// # Errors
/// [`DecodeError::Truncated`].
pub fn decode_addr(r: &mut Reader<'_>) -> Result<SocketAddr, DecodeError> {
    let ip = Ipv6Addr::from(r.array::<16>("address")?);
    let port = r.u16("address port")?;
    Ok(match ip.to_ipv4_mapped() {
        Some(v4) => SocketAddr::new(IpAddr::V4(v4), port),
        None => SocketAddr::new(IpAddr::V6(ip), port),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::testutil::arb_message;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, SocketAddrV6};

    fn round_trip(m: &Message) -> Vec<u8> {
        let p = m.payload();
        let back = Message::decode_payload(m.msg_type(), &p)
            .expect("decodes")
            .expect("known type");
        assert_eq!(&back, m);
        p
    }

    #[test]
    fn fixed_layouts_have_documented_lengths() {
        let v = Version {
            version: 1,
            network_id: Hash256([7; 32]),
            nonce: 9,
            best_height: 3,
            listen_port: 8333,
        };
        assert_eq!(round_trip(&Message::Version(v)).len(), VERSION_LEN);
        assert_eq!(round_trip(&Message::Ping { nonce: 5 }), 5u64.to_le_bytes());
        assert_eq!(
            round_trip(&Message::Register {
                listen_port: 0x1234
            }),
            [0x34, 0x12]
        );
        for empty in [
            Message::Heartbeat,
            Message::GetPeers,
            Message::Verack,
            Message::Mempool,
        ] {
            assert!(round_trip(&empty).is_empty());
        }
        let item = InvItem {
            kind: InvKind::Tx,
            hash: Hash256([1; 32]),
        };
        assert_eq!(
            round_trip(&Message::Inv { items: vec![item] }).len(),
            2 + INV_ITEM_LEN
        );
    }

    #[test]
    fn addresses_use_ipv4_mapped_ipv6_and_little_endian_port() {
        let a = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)), 0x2001);
        let mut out = Vec::new();
        encode_addr(&a, &mut out);
        assert_eq!(
            out,
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7, 0x01, 0x20]
        );
        assert_eq!(decode_addr(&mut Reader::new(&out)), Ok(a));
        // An IPv4-mapped V6 socket address comes back as V4, and encodes identically.
        let mapped = SocketAddr::V6(SocketAddrV6::new(
            Ipv4Addr::new(10, 0, 0, 7).to_ipv6_mapped(),
            0x2001,
            0,
            0,
        ));
        let mut out2 = Vec::new();
        encode_addr(&mapped, &mut out2);
        assert_eq!(out, out2);
        // A real IPv6 address stays V6.
        let v6: SocketAddr = "[2001:db8::1]:9000".parse().unwrap();
        let mut out3 = Vec::new();
        encode_addr(&v6, &mut out3);
        assert_eq!(decode_addr(&mut Reader::new(&out3)), Ok(v6));
        assert_eq!(
            decode_addr(&mut Reader::new(&out3[..17])),
            Err(DecodeError::Truncated {
                what: "address port"
            })
        );
    }

    #[test]
    fn counts_are_checked_before_allocation() {
        let mut p = Vec::new();
        put_u16(&mut p, (MAX_HEADERS + 1) as u16);
        assert_eq!(
            Message::decode_payload(MSG_HEADERS, &p),
            Err(DecodeError::TooMany {
                what: "headers",
                count: MAX_HEADERS as u64 + 1,
                max: MAX_HEADERS as u64
            })
        );
        // A count within the limit that the bytes cannot hold.
        let mut p = Vec::new();
        put_u16(&mut p, 3);
        p.extend_from_slice(&[0; 2 * ADDR_LEN]);
        assert_eq!(
            Message::decode_payload(MSG_PEER_LIST, &p),
            Err(DecodeError::Truncated { what: "peer list" })
        );
        let mut p = Vec::new();
        put_u16(&mut p, u16::MAX);
        for t in [
            MSG_PEER_LIST,
            MSG_GET_HEADERS,
            MSG_INV,
            MSG_GET_DATA,
            MSG_NOT_FOUND,
        ] {
            assert!(matches!(
                Message::decode_payload(t, &p),
                Err(DecodeError::TooMany { .. })
            ));
        }
    }

    #[test]
    fn strict_decoding_rejects_trailing_bytes_bad_tags_and_bad_utf8() {
        assert_eq!(
            Message::decode_payload(MSG_VERACK, &[0]),
            Err(DecodeError::TrailingBytes { extra: 1 })
        );
        assert_eq!(
            Message::decode_payload(MSG_PING, &[0; 9]),
            Err(DecodeError::TrailingBytes { extra: 1 })
        );
        let mut inv = vec![1, 0, 3];
        inv.extend_from_slice(&[0; 32]);
        assert_eq!(
            Message::decode_payload(MSG_INV, &inv),
            Err(DecodeError::InvalidTag {
                what: "inventory kind",
                tag: 3
            })
        );
        assert_eq!(
            Message::decode_payload(MSG_ERROR, &[9, 0]),
            Err(DecodeError::InvalidTag {
                what: "reject code",
                tag: 9
            })
        );
        assert_eq!(
            Message::decode_payload(MSG_ERROR, &[1, 2, 0xc3, 0x28]),
            Err(DecodeError::InvalidValue {
                what: "reason text is not utf-8"
            })
        );
        assert_eq!(
            Message::decode_payload(MSG_ERROR, &[1, 3, b'a']),
            Err(DecodeError::Truncated { what: "reason" })
        );
        assert_eq!(Message::decode_payload(0x7777, &[1, 2, 3]), Ok(None));
        assert_eq!(Message::decode_payload(0x0000, &[]), Ok(None));
    }

    #[test]
    fn over_long_fields_are_cut_so_the_encoding_stays_valid() {
        // 254 ASCII bytes then a 2-byte char: the char does not fit and is dropped whole.
        let mut s = "x".repeat(254);
        s.push('é');
        s.push_str("tail");
        let m = Message::Reject {
            msg_type: MSG_TX,
            code: RejectCode::Policy,
            hash: Hash256::ZERO,
            reason: s,
        };
        let p = m.payload();
        let back = Message::decode_payload(MSG_REJECT, &p).unwrap().unwrap();
        let Message::Reject { reason, .. } = back else {
            panic!("type changed")
        };
        assert_eq!(reason, "x".repeat(254));
        let exact = "é".repeat(127) + "y"; // 255 bytes, kept whole
        assert_eq!(truncate_reason(&exact), exact);

        let many = Message::PeerList {
            peers: vec!["1.2.3.4:5".parse().unwrap(); MAX_PEER_LIST + 5],
        };
        let back = Message::decode_payload(MSG_PEER_LIST, &many.payload())
            .unwrap()
            .unwrap();
        assert_eq!(
            back,
            Message::PeerList {
                peers: vec!["1.2.3.4:5".parse().unwrap(); MAX_PEER_LIST]
            }
        );
    }

    #[test]
    fn names_and_types_are_consistent() {
        for (i, (t, n)) in MESSAGE_TYPES.iter().enumerate() {
            assert_eq!(message_name(*t), Some(*n));
            if i > 0 {
                assert!(MESSAGE_TYPES[i - 1].0 < *t);
            }
        }
        assert_eq!(Message::Mempool.name(), "mempool");
        assert_eq!(Message::PeerList { peers: vec![] }.name(), "peer-list");
        assert_eq!(message_name(0x0008), None);
        for c in 1..=8u8 {
            assert_eq!(RejectCode::from_u8(c).unwrap().as_u8(), c);
        }
    }

    #[test]
    fn payload_len_counts_truncated_reasons_and_lists() {
        let long = "é".repeat(MAX_REASON_LEN);
        let msgs = [
            Message::Error {
                code: RejectCode::Malformed,
                message: long.clone(),
            },
            Message::Reject {
                msg_type: MSG_BLOCK,
                code: RejectCode::Invalid,
                hash: Hash256::ZERO,
                reason: long,
            },
            Message::Headers {
                headers: vec![
                    BlockHeader {
                        version: 1,
                        prev: Hash256::ZERO,
                        merkle_root: Hash256::ZERO,
                        time: 0,
                        bits: 0,
                        nonce: 0,
                    };
                    MAX_HEADERS + 3
                ],
            },
            Message::GetHeaders {
                locator: vec![Hash256::ZERO; MAX_LOCATOR + 3],
                stop: Hash256::ZERO,
            },
        ];
        for m in &msgs {
            assert_eq!(m.payload_len(), m.payload().len(), "{}", m.name());
        }
    }

    proptest! {
        #[test]
        fn payload_len_is_the_encoded_length(m in arb_message()) {
            prop_assert_eq!(m.payload_len(), m.payload().len());
        }

        #[test]
        fn every_message_round_trips(m in arb_message()) {
            let p = m.payload();
            let back = Message::decode_payload(m.msg_type(), &p).unwrap().unwrap();
            prop_assert_eq!(&back, &m);
        }

        /// Canonical encoding: whatever decodes re-encodes to the same bytes.
        #[test]
        fn decode_then_encode_is_identity(t in 0u16..0x20, bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(Some(m)) = Message::decode_payload(t, &bytes) {
                prop_assert_eq!(m.payload(), bytes);
            }
        }

        /// Same property on mutated valid payloads, which reach deeper than random bytes.
        #[test]
        fn decode_then_encode_is_identity_on_mutations(m in arb_message(), at in any::<usize>(), b in any::<u8>()) {
            let mut p = m.payload();
            if !p.is_empty() {
                let i = at % p.len();
                p[i] = b;
            }
            if let Ok(Some(m2)) = Message::decode_payload(m.msg_type(), &p) {
                prop_assert_eq!(m2.payload(), p);
            }
        }

        #[test]
        fn any_prefix_of_a_payload_fails_cleanly(m in arb_message(), cut in any::<usize>()) {
            let p = m.payload();
            if !p.is_empty() {
                let cut = cut % p.len();
                // Must not panic; a strict prefix can only decode if the type allows it,
                // which for these layouts it never does.
                prop_assert!(Message::decode_payload(m.msg_type(), &p[..cut]).is_err());
            }
        }
    }
}
