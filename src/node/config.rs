//! Settings of a peer node, with the defaults the `peer` binary uses.

use super::strategy::Strategy;
use crate::chain::tree::TieBreak;
use crate::chain::{AccountId, NetworkParams};
use std::net::SocketAddr;
use std::time::Duration;

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
    /// Peer addresses known from the start, as if a tracker had listed them: dialled
    /// like any other (and again after the retry delay when a dial fails), so a node
    /// can run without a tracker.
    pub connect: Vec<SocketAddr>,
    /// Outbound peer connections to keep.
    pub max_outbound: usize,
    /// Inbound peer connections to accept at most (sockets that sent their `version`).
    pub max_inbound: usize,
    /// Inbound sockets still in their handshake (no `version` yet) kept at most, in a
    /// pool of their own that does not count against `max_inbound`.
    pub max_handshaking: usize,
    /// Inbound slots one address group may hold at most.
    pub max_inbound_per_group: usize,
    /// Who the coinbase pays; `None` disables mining.
    pub mine_to: Option<AccountId>,
    /// Seed of the node's protocol randomness (handshake nonce, peer choice, jitter).
    pub seed: u64,
    /// Time allowed for the version handshake.
    pub handshake_timeout: Duration,
    /// Interval between pings on a ready connection.
    pub ping_interval: Duration,
    /// A ping unanswered for this long closes the connection.
    pub ping_timeout: Duration,
    /// A connection silent for this long (no message at all) is closed.
    pub idle_timeout: Duration,
    /// Time a peer gets to answer a header or block request before it is asked of
    /// another peer.
    pub request_timeout: Duration,
    /// How long a misbehaving address stays banned.
    pub ban_duration: Duration,
    /// Interval between heartbeats to the tracker.
    pub heartbeat_interval: Duration,
    /// First delay before reconnecting to the tracker; doubles up to the maximum.
    pub tracker_backoff_min: Duration,
    /// Largest delay between tracker reconnection attempts.
    pub tracker_backoff_max: Duration,
    /// Wait before retrying a peer address whose connection failed.
    pub peer_retry: Duration,
    /// Largest number of transactions kept in the mempool.
    pub mempool_max_txs: usize,
    /// Most bytes of blocks with unknown parents kept (memory they occupy).
    pub orphan_max_bytes: usize,
    /// Most of those bytes kept from one peer; beyond it, its own oldest go first.
    pub orphan_peer_bytes: usize,
    /// Blocks requested from one peer at a time.
    pub max_blocks_in_flight_per_peer: usize,
    /// Pings one peer may send at once, and pings regained per second (`PING_BURST`
    /// and `PING_RATE` of the spec by default). The round-trip benchmark raises it: it
    /// pings as fast as the answers come.
    pub ping_budget: (u64, u64),
    /// Rebuild the mining template at least this often (fresh time, new transactions).
    pub template_refresh: Duration,
    /// How many peers get a new tip block pushed whole instead of announced by header
    /// (like BIP 152's high-bandwidth mode); the others get the header and ask for it.
    pub block_push_peers: usize,
    /// How this node mines: honest, or selfish (SM1, withholding its blocks).
    pub strategy: Strategy,
    /// How an honest node chooses between equal-work tips; a selfish node always
    /// prefers its own (first seen).
    pub tie_break: TieBreak,
    /// Least cumulative work a branch must reach before its headers are stored (the
    /// anti-DoS threshold is at least this); zero by default.
    pub min_chain_work: crate::chain::u256::U256,
    /// The least time without a new tip before the stale-tip check acts (it also waits
    /// [`super::STALE_TIP_INTERVALS`] target block intervals): a local setting, see
    /// [`stale_tip_min_default`].
    pub stale_tip_min: Duration,
}

/// The default stale-tip floor on `params`: [`super::STALE_TIP_MIN_MS`] (10 min) on
/// `main` and `devnet`, where a block takes seconds of real work; on `testnet` and
/// `regtest`, whose easy targets make a mining network find blocks many times a second,
/// [`super::STALE_TIP_MIN_TEST_MS`] (30 s) already means nothing is reaching us.
pub fn stale_tip_min_default(params: &NetworkParams) -> Duration {
    match params.name.as_str() {
        "testnet" | "regtest" => Duration::from_millis(super::STALE_TIP_MIN_TEST_MS),
        _ => Duration::from_millis(super::STALE_TIP_MIN_MS),
    }
}

impl NodeConfig {
    /// Defaults for a node on `params`.
    pub fn new(params: NetworkParams) -> NodeConfig {
        let stale_tip_min = stale_tip_min_default(&params);
        NodeConfig {
            params,
            listen_port: 0,
            tracker: None,
            connect: Vec::new(),
            max_outbound: 8,
            max_inbound: 32,
            max_handshaking: super::MAX_HANDSHAKING,
            max_inbound_per_group: 8,
            mine_to: None,
            seed: 0,
            handshake_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(20),
            ping_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            request_timeout: Duration::from_secs(10),
            ban_duration: Duration::from_secs(10 * 60),
            heartbeat_interval: Duration::from_secs(10),
            tracker_backoff_min: Duration::from_millis(500),
            tracker_backoff_max: Duration::from_secs(30),
            peer_retry: Duration::from_secs(15),
            mempool_max_txs: 20_000,
            orphan_max_bytes: crate::chain::orphans::ORPHAN_MAX_BYTES,
            orphan_peer_bytes: crate::chain::orphans::ORPHAN_PEER_BYTES,
            max_blocks_in_flight_per_peer: 32,
            ping_budget: (super::budget::PING_BURST, super::budget::PING_RATE),
            template_refresh: Duration::from_secs(5),
            block_push_peers: 2,
            strategy: Strategy::Honest,
            tie_break: TieBreak::FirstSeen,
            min_chain_work: crate::chain::u256::U256::ZERO,
            stale_tip_min,
        }
    }
}
