//! Settings of a peer node, with the defaults the `peer` binary uses.

use crate::chain::{AccountId, NetworkParams};
use std::net::SocketAddr;

/// Everything a [`super::Node`] needs to know besides its stored chain.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The network's consensus parameters.
    pub params: NetworkParams,
    /// The port this node accepts peers on (0 = not listening); sent to the tracker and
    /// in the handshake.
    pub listen_port: u16,
    /// The tracker, if any.
    pub tracker: Option<SocketAddr>,
    /// Outbound peer connections to keep.
    pub max_outbound: usize,
    /// Inbound peer connections to accept at most.
    pub max_inbound: usize,
    /// Who the coinbase pays; `None` disables mining.
    pub mine_to: Option<AccountId>,
    /// Seed of the node's protocol randomness (handshake nonce, peer choice, jitter).
    pub seed: u64,
    /// Time allowed for the version handshake, in ms.
    pub handshake_timeout_ms: u64,
    /// Interval between pings on a ready connection, in ms.
    pub ping_interval_ms: u64,
    /// A ping unanswered for this long closes the connection, in ms.
    pub ping_timeout_ms: u64,
    /// A connection silent for this long (no message at all) is closed, in ms.
    pub idle_timeout_ms: u64,
    /// Time a peer gets to answer a header or block request before it is asked of
    /// another peer, in ms.
    pub request_timeout_ms: u64,
    /// How long a misbehaving address stays banned, in ms.
    pub ban_ms: u64,
    /// Interval between heartbeats to the tracker, in ms.
    pub heartbeat_interval_ms: u64,
    /// First delay before reconnecting to the tracker; doubles up to the maximum.
    pub tracker_backoff_min_ms: u64,
    /// Largest delay between tracker reconnection attempts.
    pub tracker_backoff_max_ms: u64,
    /// Wait before retrying a peer address whose connection failed, in ms.
    pub peer_retry_ms: u64,
    /// Largest number of transactions kept in the mempool.
    pub mempool_max_txs: usize,
    /// Largest number of blocks with unknown parents kept.
    pub orphan_max_blocks: usize,
    /// Blocks requested from one peer at a time.
    pub max_blocks_in_flight_per_peer: usize,
    /// Rebuild the mining template at least this often (fresh time, new transactions).
    pub template_refresh_ms: u64,
    /// How many peers get a new tip block pushed whole instead of announced by header
    /// (like BIP 152's high-bandwidth mode); the others get the header and ask for it.
    pub block_push_peers: usize,
}

impl NodeConfig {
    /// Defaults for a node on `params`.
    pub fn new(params: NetworkParams) -> NodeConfig {
        NodeConfig {
            params,
            listen_port: 0,
            tracker: None,
            max_outbound: 8,
            max_inbound: 32,
            mine_to: None,
            seed: 0,
            handshake_timeout_ms: 10_000,
            ping_interval_ms: 20_000,
            ping_timeout_ms: 30_000,
            idle_timeout_ms: 90_000,
            request_timeout_ms: 10_000,
            ban_ms: 10 * 60_000,
            heartbeat_interval_ms: 10_000,
            tracker_backoff_min_ms: 500,
            tracker_backoff_max_ms: 30_000,
            peer_retry_ms: 15_000,
            mempool_max_txs: 20_000,
            orphan_max_blocks: 200,
            max_blocks_in_flight_per_peer: 32,
            template_refresh_ms: 5_000,
            block_push_peers: 2,
        }
    }
}
