//! What a node remembers about one connected peer.

use super::timers::PeerTimers;
use crate::chain::hash::KeyedState;
use crate::chain::Hash256;
use crate::service::{ConnId, Direction, Time};
use crate::wire::Version;
use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use std::time::Duration;

/// Most hashes remembered per peer and kind; the oldest is forgotten first. The sets
/// only avoid sending a peer what it already has (and asking it for what it lacks),
/// so forgetting is harmless, while the bound keeps a node with many peers small.
pub const MAX_KNOWN_PER_PEER: usize = 1024;

/// A bounded set of hashes a peer is known to have (or, for `lacks_blocks`, not to
/// have), forgetting the oldest when full.
///
/// It keeps a 64-bit keyed fingerprint of each hash rather than the hash (8 bytes
/// instead of 32, in a table and a ring of insertion order: about 26 KiB when full,
/// nothing while empty). The fingerprint is the process-keyed hash of
/// [`KeyedState`], so a peer cannot grind hashes that collide; an accidental
/// collision (odds about 2^-54 for a full set) only skips one announcement or
/// request, which the protocol recovers from like any forgotten entry.
///
/// An empty set is one null pointer: most peers never fill most of their sets, and a
/// small [`Peer`] keeps its often-read fields in fewer cache lines.
#[derive(Debug, Default)]
pub struct KnownSet {
    inner: Option<Box<KnownInner>>,
}

#[derive(Debug, Default)]
struct KnownInner {
    set: HashSet<u64, BuildHasherDefault<Prehashed>>,
    order: FingerprintRing,
}

/// Fingerprints in insertion order, at most a given number: the eviction order of a
/// bounded fingerprint table ([`KnownSet`], [`BlockKnowledge`](super::known::BlockKnowledge)).
#[derive(Debug, Default)]
pub(crate) struct FingerprintRing {
    ring: Vec<u64>,
    /// Once the ring is full, the index of the oldest entry.
    next: usize,
}

impl FingerprintRing {
    /// Appends `f`; if the ring already held `cap` entries, the oldest gives way and is
    /// returned, for the caller to forget.
    pub(crate) fn push(&mut self, f: u64, cap: usize) -> Option<u64> {
        if self.ring.len() < cap {
            self.ring.push(f);
            return None;
        }
        let old = std::mem::replace(&mut self.ring[self.next], f);
        self.next = (self.next + 1) % cap;
        Some(old)
    }
}

/// A `Hasher` for keys that are already uniformly random 64-bit values.
#[derive(Debug, Default)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed with it; fold anything else rather than panic.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The keyed 64-bit fingerprint the known-hash tables keep instead of a hash.
pub(crate) fn fingerprint(h: &Hash256) -> u64 {
    KeyedState::default().hash_one(h)
}

impl KnownSet {
    /// Remembers `h`, forgetting the oldest entry if the set is full.
    pub fn insert(&mut self, h: Hash256) {
        let f = fingerprint(&h);
        let inner = self.inner.get_or_insert_with(Box::default);
        if !inner.set.insert(f) {
            return;
        }
        if let Some(old) = inner.order.push(f, MAX_KNOWN_PER_PEER) {
            inner.set.remove(&old);
        }
    }

    /// True if `h` is remembered.
    pub fn contains(&self, h: &Hash256) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| i.set.contains(&fingerprint(h)))
    }

    /// How many hashes are remembered.
    pub fn len(&self) -> usize {
        self.inner.as_ref().map_or(0, |i| i.set.len())
    }

    /// True if nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        // Eviction keeps going in insertion order around the ring.
        let n = MAX_KNOWN_PER_PEER as u32;
        for i in n + 10..3 * n {
            k.insert(h(i));
            assert_eq!(k.len(), MAX_KNOWN_PER_PEER);
            assert!(!k.contains(&h(i - n)) && k.contains(&h(i - n + 1)) && k.contains(&h(i)));
        }
    }

    #[test]
    fn an_empty_set_contains_nothing_and_holds_no_memory() {
        let k = KnownSet::default();
        assert!(k.is_empty() && !k.contains(&Hash256::ZERO));
        assert!(k.inner.is_none());
        assert_eq!(std::mem::size_of::<KnownSet>(), 8);
    }
}

/// The version handshake of one connection. Both sides send their version at once, so
/// a connection starts with ours sent; theirs and their acknowledgement of ours may
/// arrive in either order.
#[derive(Debug)]
pub enum Handshake {
    /// Our version sent; nothing received yet.
    VersionSent,
    /// Their version received (and acknowledged); waiting for their verack.
    GotVersion(Version),
    /// Their verack received; waiting for their version.
    GotVerack,
    /// Both versions and acknowledgements exchanged.
    Ready(Version),
}

/// The keepalive of a ready connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PingState {
    /// No ping outstanding; the next one is due at `next`.
    Idle {
        /// When to send the next ping.
        next: Time,
    },
    /// A ping was sent and its pong has not arrived.
    AwaitingPong {
        /// The ping's nonce, echoed by the pong.
        nonce: u64,
        /// When the ping was sent.
        sent: Time,
    },
}

/// One peer connection, from the node's point of view.
#[derive(Debug)]
pub struct Peer {
    /// The socket address of the remote end.
    pub addr: SocketAddr,
    /// Who connected.
    pub dir: Direction,
    /// Where the version handshake stands.
    pub handshake: Handshake,
    /// When the connection opened.
    pub connected_at: Time,
    /// When the last message arrived.
    pub last_recv: Time,
    /// Keepalive: when the next ping is due, or the one awaiting its pong.
    pub ping: PingState,
    /// Latest round-trip time measured (whole ms).
    pub rtt: Option<Duration>,
    /// Deadline of an outstanding header request.
    pub headers_deadline: Option<Time>,
    /// Its timer slots, derived from the fields above when they change.
    pub timers: PeerTimers,
    /// Blocks requested from this peer and not yet received.
    pub blocks_in_flight: usize,
    /// Height the peer claimed or showed us.
    pub best_height: u32,
    /// Its slot in the node's [`BlockKnowledge`](super::known::BlockKnowledge), which
    /// records the blocks it has (sent, announced, or was sent).
    pub slot: Option<u8>,
    /// The same record for a peer without a slot (more than
    /// [`PEER_SLOTS`](super::known::PEER_SLOTS) peers).
    pub known_blocks: KnownSet,
    /// Transactions it has.
    pub known_txs: KnownSet,
    /// Blocks it answered `not-found` for: not asked of it again until `lacks_until`.
    pub lacks_blocks: KnownSet,
    /// When `lacks_blocks` is forgotten ([`NOT_FOUND_RETRY`](super::NOT_FOUND_RETRY)
    /// after its first entry), so that those blocks are asked of it again.
    pub lacks_until: Option<Time>,
    /// Its budgets of amplifying requests.
    pub budgets: super::budget::PeerBudgets,
    /// Frame bytes received from it (header and payload).
    pub bytes_in: u64,
    /// Frame bytes queued for it.
    pub bytes_out: u64,
    /// Its query budget (spec/peer-protocol.md section 12.2).
    pub queries: super::query::QueryBudget,
    /// The node asked for this connection to be closed: it no longer holds a slot.
    pub closing: bool,
    /// When it last gave us a block we did not have.
    pub last_new_block: Option<Time>,
    /// When it last gave us a transaction we did not have.
    pub last_new_tx: Option<Time>,
    /// Its presync of a branch too light to store yet, if any.
    pub presync: Option<Box<crate::chain::presync::Presync>>,
    /// When it last sent us a header we did not have.
    pub last_new_header: Option<Time>,
}

impl Peer {
    /// A freshly opened connection.
    pub fn new(addr: SocketAddr, dir: Direction, now: Time, ping_interval: Duration) -> Peer {
        Peer {
            addr,
            dir,
            handshake: Handshake::VersionSent,
            connected_at: now,
            last_recv: now,
            ping: PingState::Idle {
                next: now + ping_interval,
            },
            rtt: None,
            headers_deadline: None,
            timers: PeerTimers::default(),
            blocks_in_flight: 0,
            best_height: 0,
            slot: None,
            known_blocks: KnownSet::default(),
            known_txs: KnownSet::default(),
            lacks_blocks: KnownSet::default(),
            lacks_until: None,
            budgets: super::budget::PeerBudgets::default(),
            bytes_in: 0,
            bytes_out: 0,
            queries: super::query::QueryBudget::new(now),
            closing: false,
            last_new_block: None,
            last_new_tx: None,
            presync: None,
            last_new_header: None,
        }
    }

    /// When it last told us something new (a block or header we did not have), or
    /// when it connected if it never did.
    pub fn last_news(&self) -> Time {
        self.last_new_block
            .max(self.last_new_header)
            .unwrap_or(self.connected_at)
    }

    /// True once both versions and acknowledgements were exchanged.
    pub fn is_ready(&self) -> bool {
        matches!(self.handshake, Handshake::Ready(_))
    }

    /// Its version message, once received.
    pub fn version(&self) -> Option<&Version> {
        match &self.handshake {
            Handshake::GotVersion(v) | Handshake::Ready(v) => Some(v),
            Handshake::VersionSent | Handshake::GotVerack => None,
        }
    }

    /// The address the peer accepts connections on, if it listens.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        let v = self.version()?;
        (v.listen_port != 0).then(|| SocketAddr::new(self.addr.ip(), v.listen_port))
    }
}

/// The connected peers by connection id, in id order (as a `BTreeMap` would list them,
/// so behaviour that depends on the order stays the same).
///
/// Ids and peers are kept in two vectors: finding a peer reads the short id array
/// (one or two cache lines for the usual dozen peers) and then the peer itself,
/// instead of walking tree nodes that hold the peers inline.
#[derive(Debug, Default)]
pub struct PeerTable {
    ids: Vec<ConnId>,
    peers: Vec<Peer>,
}

impl PeerTable {
    fn position(&self, id: &ConnId) -> Result<usize, usize> {
        self.ids.binary_search(id)
    }

    /// The peer on connection `id`.
    pub fn get(&self, id: &ConnId) -> Option<&Peer> {
        self.position(id).ok().map(|i| &self.peers[i])
    }

    /// The peer on connection `id`, to change.
    pub fn get_mut(&mut self, id: &ConnId) -> Option<&mut Peer> {
        self.position(id).ok().map(|i| &mut self.peers[i])
    }

    /// Adds (or replaces) the peer on `id`; returns the one replaced.
    pub fn insert(&mut self, id: ConnId, p: Peer) -> Option<Peer> {
        match self.position(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.peers[i], p)),
            Err(i) => {
                self.ids.insert(i, id);
                self.peers.insert(i, p);
                None
            }
        }
    }

    /// Removes the peer on `id`.
    pub fn remove(&mut self, id: &ConnId) -> Option<Peer> {
        let i = self.position(id).ok()?;
        self.ids.remove(i);
        Some(self.peers.remove(i))
    }

    /// Every peer with its connection id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&ConnId, &Peer)> {
        self.ids.iter().zip(&self.peers)
    }

    /// Every peer, to change, with its connection id, in id order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&ConnId, &mut Peer)> {
        self.ids.iter().zip(&mut self.peers)
    }

    /// Every peer, in id order.
    pub fn values(&self) -> impl Iterator<Item = &Peer> {
        self.peers.iter()
    }

    /// How many peers there are.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True without peers.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl std::ops::Index<&ConnId> for PeerTable {
    type Output = Peer;

    fn index(&self, id: &ConnId) -> &Peer {
        self.get(id).expect("no peer on this connection")
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    fn peer(port: u16) -> Peer {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Peer::new(addr, Direction::Inbound, Time(0), Duration::from_secs(1))
    }

    #[test]
    fn lists_in_id_order_and_finds_inserts_replaces_and_removes() {
        let mut t = PeerTable::default();
        for id in [5u64, 1, 9, 3] {
            assert!(t.insert(id, peer(id as u16)).is_none());
        }
        let ids: Vec<ConnId> = t.iter().map(|(c, _)| *c).collect();
        assert_eq!(ids, vec![1, 3, 5, 9]);
        assert_eq!(t[&9].addr.port(), 9);
        assert!(t.get(&4).is_none());
        let old = t.insert(3, peer(33)).expect("replaces");
        assert_eq!(old.addr.port(), 3);
        assert_eq!(t.get(&3).map(|p| p.addr.port()), Some(33));
        t.get_mut(&5).expect("present").best_height = 7;
        assert_eq!(t.values().map(|p| p.best_height).max(), Some(7));
        assert_eq!(t.remove(&1).map(|p| p.addr.port()), Some(1));
        assert!(t.remove(&1).is_none());
        for (_, p) in t.iter_mut() {
            p.best_height += 1;
        }
        let ports: Vec<(ConnId, u16, u32)> = t
            .iter()
            .map(|(c, p)| (*c, p.addr.port(), p.best_height))
            .collect();
        assert_eq!(ports, vec![(3, 33, 1), (5, 5, 8), (9, 9, 1)]);
        assert_eq!(t.len(), 3);
        assert!(!t.is_empty());
    }
}
