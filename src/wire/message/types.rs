//! The message type table: every type code with its name.

/// Defines each `MSG_*` constant and its row of [`MESSAGE_TYPES`] from one line:
/// constant, type code, log name, and the [`super::Message`] variant it belongs to.
macro_rules! message_types {
    ($($konst:ident = $code:literal, $name:literal, $variant:ident;)*) => {
        $(
            #[doc = concat!("Message type of [`super::Message::", stringify!($variant), "`].")]
            pub const $konst: u16 = $code;
        )*

        /// Every known message type with its log name, in type order.
        pub const MESSAGE_TYPES: [(u16, &str); [$($code),*].len()] = [$(($konst, $name)),*];
    };
}

// The one table of message types (spec/wire.md section 3).
message_types! {
    MSG_REGISTER = 0x0001, "register", Register;
    MSG_PEER_LIST = 0x0002, "peer-list", PeerList;
    MSG_PEER_JOINED = 0x0003, "peer-joined", PeerJoined;
    MSG_PEER_LEFT = 0x0004, "peer-left", PeerLeft;
    MSG_HEARTBEAT = 0x0005, "heartbeat", Heartbeat;
    MSG_GET_PEERS = 0x0006, "get-peers", GetPeers;
    MSG_ERROR = 0x0007, "error", Error;
    MSG_VERSION = 0x0010, "version", Version;
    MSG_VERACK = 0x0011, "verack", Verack;
    MSG_PING = 0x0012, "ping", Ping;
    MSG_PONG = 0x0013, "pong", Pong;
    MSG_GET_HEADERS = 0x0014, "get-headers", GetHeaders;
    MSG_HEADERS = 0x0015, "headers", Headers;
    MSG_INV = 0x0016, "inv", Inv;
    MSG_GET_DATA = 0x0017, "get-data", GetData;
    MSG_NOT_FOUND = 0x0018, "not-found", NotFound;
    MSG_BLOCK = 0x0019, "block", Block;
    MSG_TX = 0x001a, "tx", Tx;
    MSG_MEMPOOL = 0x001b, "mempool", Mempool;
    MSG_REJECT = 0x001c, "reject", Reject;
    MSG_GET_ACCOUNT = 0x001d, "get-account", GetAccount;
    MSG_ACCOUNT = 0x001e, "account", Account;
    MSG_GET_INFO = 0x0020, "get-info", GetInfo;
    MSG_INFO = 0x0021, "info", Info;
    MSG_GET_BLOCK = 0x0022, "get-block", GetBlock;
    MSG_BLOCK_INFO = 0x0023, "block-info", BlockInfo;
    MSG_GET_TX = 0x0024, "get-tx", GetTx;
    MSG_TX_INFO = 0x0025, "tx-info", TxInfo;
    MSG_GET_TIPS = 0x0026, "get-tips", GetTips;
    MSG_TIPS = 0x0027, "tips", Tips;
    MSG_QUERY_ERROR = 0x0028, "query-error", QueryError;
    MSG_GET_PEER_INFO = 0x0029, "get-peer-info", GetPeerInfo;
    MSG_PEER_INFO = 0x002a, "peer-info", PeerInfo;
    MSG_MINE = 0x002b, "mine", Mine;
    MSG_MINED = 0x002c, "mined", Mined;
    MSG_CONNECT_PEER = 0x002d, "connect-peer", ConnectPeer;
    MSG_DISCONNECT_PEER = 0x002e, "disconnect-peer", DisconnectPeer;
    MSG_STOP = 0x002f, "stop", Stop;
    MSG_DONE = 0x0030, "done", Done;
    MSG_GET_TREE = 0x0031, "get-tree", GetTree;
    MSG_TREE = 0x0032, "tree", Tree;
}

/// The log name of a message type, or `None` if the type is unknown.
pub fn message_name(msg_type: u16) -> Option<&'static str> {
    MESSAGE_TYPES
        .iter()
        .find(|(t, _)| *t == msg_type)
        .map(|(_, n)| *n)
}
