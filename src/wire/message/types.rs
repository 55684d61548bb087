//! The message type table: every type code with its name.

/// Message type of [`super::Message::Register`].
pub const MSG_REGISTER: u16 = 0x0001;

/// Message type of [`super::Message::PeerList`].
pub const MSG_PEER_LIST: u16 = 0x0002;

/// Message type of [`super::Message::PeerJoined`].
pub const MSG_PEER_JOINED: u16 = 0x0003;

/// Message type of [`super::Message::PeerLeft`].
pub const MSG_PEER_LEFT: u16 = 0x0004;

/// Message type of [`super::Message::Heartbeat`].
pub const MSG_HEARTBEAT: u16 = 0x0005;

/// Message type of [`super::Message::GetPeers`].
pub const MSG_GET_PEERS: u16 = 0x0006;

/// Message type of [`super::Message::Error`].
pub const MSG_ERROR: u16 = 0x0007;

/// Message type of [`super::Message::Version`].
pub const MSG_VERSION: u16 = 0x0010;

/// Message type of [`super::Message::Verack`].
pub const MSG_VERACK: u16 = 0x0011;

/// Message type of [`super::Message::Ping`].
pub const MSG_PING: u16 = 0x0012;

/// Message type of [`super::Message::Pong`].
pub const MSG_PONG: u16 = 0x0013;

/// Message type of [`super::Message::GetHeaders`].
pub const MSG_GET_HEADERS: u16 = 0x0014;

/// Message type of [`super::Message::Headers`].
pub const MSG_HEADERS: u16 = 0x0015;

/// Message type of [`super::Message::Inv`].
pub const MSG_INV: u16 = 0x0016;

/// Message type of [`super::Message::GetData`].
pub const MSG_GET_DATA: u16 = 0x0017;

/// Message type of [`super::Message::NotFound`].
pub const MSG_NOT_FOUND: u16 = 0x0018;

/// Message type of [`super::Message::Block`].
pub const MSG_BLOCK: u16 = 0x0019;

/// Message type of [`super::Message::Tx`].
pub const MSG_TX: u16 = 0x001a;

/// Message type of [`super::Message::Mempool`].
pub const MSG_MEMPOOL: u16 = 0x001b;

/// Message type of [`super::Message::Reject`].
pub const MSG_REJECT: u16 = 0x001c;

/// Message type of [`super::Message::GetAccount`].
pub const MSG_GET_ACCOUNT: u16 = 0x001d;

/// Message type of [`super::Message::Account`].
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
