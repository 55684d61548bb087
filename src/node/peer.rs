//! What a node remembers about one connected peer.

use crate::chain::hash::HashSet256;
use crate::chain::Hash256;
use crate::service::{Direction, Time};
use crate::wire::Version;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// Most hashes remembered per peer and kind; the oldest is forgotten first. The sets
/// only avoid sending a peer what it already has (and asking it for what it lacks),
/// so forgetting is harmless, while the bound keeps a node with many peers small.
pub const MAX_KNOWN_PER_PEER: usize = 1024;

/// A bounded set of hashes a peer is known to have (or, for `lacks_blocks`, not to
/// have), forgetting the oldest when full.
#[derive(Debug, Default)]
pub struct KnownSet {
    set: HashSet256,
    order: VecDeque<Hash256>,
}

impl KnownSet {
    /// Remembers `h`, forgetting the oldest entry if the set is full.
    pub fn insert(&mut self, h: Hash256) {
        if !self.set.insert(h) {
            return;
        }
        self.order.push_back(h);
        if self.order.len() > MAX_KNOWN_PER_PEER {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }

    /// True if `h` is remembered.
    pub fn contains(&self, h: &Hash256) -> bool {
        self.set.contains(h)
    }

    /// How many hashes are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True if nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_set_forgets_the_oldest_beyond_its_bound() {
        let h = |i: u32| Hash256::sha256(&i.to_le_bytes());
        let mut k = KnownSet::default();
        for i in 0..(MAX_KNOWN_PER_PEER as u32 + 10) {
            k.insert(h(i));
            k.insert(h(i)); // a repeat changes nothing
        }
        assert_eq!(k.len(), MAX_KNOWN_PER_PEER);
        assert!(!k.contains(&h(0)) && !k.contains(&h(9)));
        assert!(k.contains(&h(10)) && k.contains(&h(MAX_KNOWN_PER_PEER as u32 + 9)));
    }
}

/// One peer connection, from the node's point of view.
#[derive(Debug)]
pub struct Peer {
    /// The socket address of the remote end.
    pub addr: SocketAddr,
    /// Who connected.
    pub dir: Direction,
    /// Its version message, once received.
    pub version: Option<Version>,
    /// True once it acknowledged our version.
    pub got_verack: bool,
    /// When the connection opened.
    pub connected_at: Time,
    /// When the last message arrived.
    pub last_recv: Time,
    /// When to send the next ping.
    pub next_ping: Time,
    /// The outstanding ping's nonce and when it was sent.
    pub ping: Option<(u64, Time)>,
    /// Latest round-trip time measured, in ms.
    pub rtt_ms: Option<u64>,
    /// Deadline of an outstanding header request.
    pub headers_deadline: Option<Time>,
    /// Blocks requested from this peer and not yet received.
    pub blocks_in_flight: usize,
    /// Height the peer claimed or showed us.
    pub best_height: u32,
    /// Blocks it has (sent, announced, or was sent).
    pub known_blocks: KnownSet,
    /// Transactions it has.
    pub known_txs: KnownSet,
    /// Blocks it answered `not-found` for: not asked of it again.
    pub lacks_blocks: KnownSet,
}

impl Peer {
    /// A freshly opened connection.
    pub fn new(addr: SocketAddr, dir: Direction, now: Time, ping_interval_ms: u64) -> Peer {
        Peer {
            addr,
            dir,
            version: None,
            got_verack: false,
            connected_at: now,
            last_recv: now,
            next_ping: now.plus_ms(ping_interval_ms),
            ping: None,
            rtt_ms: None,
            headers_deadline: None,
            blocks_in_flight: 0,
            best_height: 0,
            known_blocks: KnownSet::default(),
            known_txs: KnownSet::default(),
            lacks_blocks: KnownSet::default(),
        }
    }

    /// True once both versions and acknowledgements were exchanged.
    pub fn is_ready(&self) -> bool {
        self.version.is_some() && self.got_verack
    }

    /// The address the peer accepts connections on, if it listens.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        let v = self.version.as_ref()?;
        (v.listen_port != 0).then(|| SocketAddr::new(self.addr.ip(), v.listen_port))
    }
}
