//! Inbound slots: the pool of handshaking sockets, the per-address-group cap, and which ready inbound peer gives way when every slot is taken.
//!
//! Three rules keep one attacker from taking every inbound slot (spec: peer protocol
//! §4.2):
//!
//! - An inbound socket that has not sent its `version` yet sits in a pool of at most
//!   `max_handshaking` sockets of its own, which does not count against
//!   `max_inbound`. When the pool is full, a newcomer from a group with fewer sockets
//!   in it than the most crowded group displaces that group's oldest socket; any other
//!   newcomer is refused ([`admit_handshaking`]).
//! - A `version` moves the socket from the pool into an inbound slot. At most
//!   `max_inbound_per_group` slots go to one address group.
//! - When all `max_inbound` slots are taken, the newcomer and the slot holders are
//!   candidates for eviction ([`select_to_evict`], after Bitcoin Core's
//!   `SelectNodeToEvict`, simplified): outbound peers are never candidates; four peers
//!   of distinct groups (chosen by a keyed hash the remote cannot predict), the eight
//!   with the lowest round-trip time, the four that most recently gave us a new
//!   transaction, the four that most recently gave us a new block and then the older
//!   half of the rest are protected; of the others, the youngest peer of the most
//!   crowded group goes. If that is the newcomer, or nobody is left, the newcomer is
//!   refused.

use super::*;
use crate::netgroup::{group_of, NetGroup};
use std::cmp::Reverse;

/// Candidates protected for their address group (distinct groups, keyed choice).
pub const EVICT_PROTECT_GROUPS: usize = 4;
/// Candidates protected for their low round-trip time.
pub const EVICT_PROTECT_LATENCY: usize = 8;
/// Candidates protected for having given us the newest transactions.
pub const EVICT_PROTECT_TXS: usize = 4;
/// Candidates protected for having given us the newest blocks.
pub const EVICT_PROTECT_BLOCKS: usize = 4;

/// One inbound socket still in its handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handshaking {
    /// Its connection.
    pub conn: ConnId,
    /// Its address group.
    pub group: NetGroup,
    /// When it connected.
    pub since: Time,
}

/// What to do with a new inbound socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Room in the pool.
    Accept,
    /// Accept it and close this handshaking socket to make room.
    Evict(ConnId),
    /// No room: refuse it.
    Refuse,
}

/// Whether a new inbound socket from `group` may join the handshaking `pool` (which
/// does not include it) of at most `max` sockets, and whom it displaces.
pub fn admit_handshaking(pool: &[Handshaking], group: NetGroup, max: usize) -> Admit {
    if pool.len() < max {
        return Admit::Accept;
    }
    let mut counts: BTreeMap<NetGroup, usize> = BTreeMap::new();
    for h in pool {
        *counts.entry(h.group).or_default() += 1;
    }
    let ours = counts.get(&group).copied().unwrap_or(0);
    // The most crowded group; between equals, the one with the oldest socket.
    let oldest_of = |g: NetGroup| {
        pool.iter()
            .filter(|h| h.group == g)
            .map(|h| (h.since, h.conn))
            .min()
    };
    let Some((crowded, n)) = counts
        .iter()
        .map(|(&g, &n)| (g, n))
        .max_by_key(|&(g, n)| (n, Reverse(oldest_of(g))))
    else {
        return Admit::Refuse;
    };
    if n <= ours {
        return Admit::Refuse;
    }
    oldest_of(crowded).map_or(Admit::Refuse, |(_, c)| Admit::Evict(c))
}

/// An inbound peer (or the newcomer) that could be evicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvictCandidate {
    /// Its connection.
    pub conn: ConnId,
    /// Its address group.
    pub group: NetGroup,
    /// The keyed hash of its group that decides group protection.
    pub group_key: u64,
    /// When it connected.
    pub connected_at: Time,
    /// Its latest round-trip time, if measured.
    pub rtt: Option<Duration>,
    /// When it last gave us a block we did not have.
    pub last_block: Option<Time>,
    /// When it last gave us a transaction we did not have.
    pub last_tx: Option<Time>,
}

/// Removes from `c` up to `n` candidates that have a `key`, smallest key first
/// (ties: lower connection id).
fn protect<K: Ord>(
    c: &mut Vec<EvictCandidate>,
    n: usize,
    key: impl Fn(&EvictCandidate) -> Option<K>,
) {
    let mut keyed: Vec<(K, ConnId)> = c.iter().filter_map(|e| Some((key(e)?, e.conn))).collect();
    keyed.sort();
    let keep: Vec<ConnId> = keyed.into_iter().take(n).map(|(_, id)| id).collect();
    c.retain(|e| !keep.contains(&e.conn));
}

/// The candidate to evict to make room, or `None` if every candidate is protected
/// (see the module documentation).
pub fn select_to_evict(mut c: Vec<EvictCandidate>) -> Option<ConnId> {
    // Distinct groups with the largest keys, the longest-connected member of each.
    let mut by_group: BTreeMap<NetGroup, (u64, Time, ConnId)> = BTreeMap::new();
    for e in &c {
        let v = (e.group_key, e.connected_at, e.conn);
        by_group
            .entry(e.group)
            .and_modify(|o| *o = (*o).min(v))
            .or_insert(v);
    }
    let mut groups: Vec<(u64, ConnId)> = by_group.values().map(|&(k, _, c)| (k, c)).collect();
    groups.sort_by_key(|&(k, c)| (Reverse(k), c));
    let keep: Vec<ConnId> = groups
        .into_iter()
        .take(EVICT_PROTECT_GROUPS)
        .map(|(_, c)| c)
        .collect();
    c.retain(|e| !keep.contains(&e.conn));
    protect(&mut c, EVICT_PROTECT_LATENCY, |e| e.rtt);
    protect(&mut c, EVICT_PROTECT_TXS, |e| e.last_tx.map(Reverse));
    protect(&mut c, EVICT_PROTECT_BLOCKS, |e| e.last_block.map(Reverse));
    let half = c.len() / 2;
    protect(&mut c, half, |e| Some(e.connected_at));
    // The most crowded group; between equally crowded ones, the one whose youngest
    // member is youngest (as Bitcoin Core).
    let mut crowd: BTreeMap<NetGroup, (usize, (Time, ConnId))> = BTreeMap::new();
    for e in &c {
        let g = crowd
            .entry(e.group)
            .or_insert((0, (e.connected_at, e.conn)));
        g.0 += 1;
        g.1 = g.1.max((e.connected_at, e.conn));
    }
    let (_, (_, (_, youngest))) = crowd.into_iter().max_by_key(|(_, v)| *v)?;
    Some(youngest)
}

impl Node {
    /// The key of the keyed group hash: derived from the node's seed without drawing
    /// from its random stream, and never sent.
    fn group_key(&self, g: NetGroup) -> u64 {
        let raw = match g {
            NetGroup::V4(n) => u64::from(n),
            NetGroup::V6(n) => (n >> 64) as u64 ^ n as u64,
        };
        SplitMix64::new(self.cfg.seed ^ 0x9e37_79b9_7f4a_7c15 ^ raw.rotate_left(17)).next_u64()
    }

    /// Inbound connections that hold no slot yet (no `version` received), other than
    /// `except`, and not being closed.
    fn handshaking_pool(&self, except: ConnId) -> Vec<Handshaking> {
        self.peers
            .iter()
            .filter(|(c, p)| {
                **c != except && p.dir == Direction::Inbound && !p.closing && p.version().is_none()
            })
            .map(|(c, p)| Handshaking {
                conn: *c,
                group: group_of(p.addr.ip()),
                since: p.connected_at,
            })
            .collect()
    }

    /// Admits the new inbound socket `conn` to the handshaking pool, closing another
    /// to make room if the rules say so; false if `conn` was refused (and is being
    /// closed).
    pub(super) fn admit_inbound_socket(&mut self, conn: ConnId) -> bool {
        let pool = self.handshaking_pool(conn);
        let group = group_of(self.peers[&conn].addr.ip());
        match admit_handshaking(&pool, group, self.cfg.max_handshaking) {
            Admit::Accept => true,
            Admit::Evict(old) => {
                debug!(target: "net", "handshake pool full: closing {} for {}", self.peers[&old].addr, self.peers[&conn].addr);
                self.disconnect(old, DisconnectReason::TooManyConnections);
                true
            }
            Admit::Refuse => {
                debug!(target: "net", "handshake pool full: refusing {}", self.peers[&conn].addr);
                self.refuse(
                    conn,
                    RejectCode::TooManyPeers,
                    "too many handshaking connections",
                );
                self.disconnect(conn, DisconnectReason::TooManyConnections);
                false
            }
        }
    }

    /// Gives the inbound peer `conn`, which just sent its `version`, an inbound slot:
    /// within the group cap, evicting another inbound peer if every slot is taken;
    /// false if `conn` was refused (and is being closed).
    pub(super) fn admit_inbound_peer(&mut self, conn: ConnId, now: Time) -> bool {
        let group = group_of(self.peers[&conn].addr.ip());
        let holders: Vec<(ConnId, NetGroup)> = self
            .peers
            .iter()
            .filter(|(c, p)| {
                **c != conn && p.dir == Direction::Inbound && !p.closing && p.version().is_some()
            })
            .map(|(c, p)| (*c, group_of(p.addr.ip())))
            .collect();
        if holders.iter().filter(|(_, g)| *g == group).count() >= self.cfg.max_inbound_per_group {
            debug!(target: "net", "refusing {}: its address group holds {} inbound slots", self.peers[&conn].addr, self.cfg.max_inbound_per_group);
            self.refuse(
                conn,
                RejectCode::TooManyPeers,
                "too many inbound connections from your address group",
            );
            self.disconnect(conn, DisconnectReason::TooManyConnections);
            return false;
        }
        if holders.len() < self.cfg.max_inbound {
            return true;
        }
        let candidates = holders
            .iter()
            .map(|(c, _)| *c)
            .chain([conn])
            .map(|c| {
                let p = &self.peers[&c];
                let group = group_of(p.addr.ip());
                EvictCandidate {
                    conn: c,
                    group,
                    group_key: self.group_key(group),
                    connected_at: p.connected_at,
                    rtt: p.rtt,
                    last_block: p.last_new_block,
                    last_tx: p.last_new_tx,
                }
            })
            .collect();
        match select_to_evict(candidates) {
            Some(victim) if victim != conn => {
                info!(target: "net", "inbound slots full: evicting {} for {}", self.peers[&victim].addr, self.peers[&conn].addr);
                self.disconnect(victim, DisconnectReason::Evicted);
                true
            }
            _ => {
                let _ = now;
                self.refuse(
                    conn,
                    RejectCode::TooManyPeers,
                    "too many inbound connections",
                );
                self.disconnect(conn, DisconnectReason::TooManyConnections);
                false
            }
        }
    }

    /// The peer `from` gave us a block we did not have.
    pub(super) fn credit_block(&mut self, from: Option<ConnId>, now: Time) {
        if let Some(p) = from.and_then(|c| self.peers.get_mut(&c)) {
            p.last_new_block = Some(now);
        }
    }

    /// The peer on `conn` gave us a transaction we did not have.
    pub(super) fn credit_tx(&mut self, conn: ConnId, now: Time) {
        if let Some(p) = self.peers.get_mut(&conn) {
            p.last_new_tx = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grp(last: u8) -> NetGroup {
        group_of(std::net::IpAddr::from([127, 0, 0, last]))
    }

    fn cand(conn: ConnId, g: u8, at: u64) -> EvictCandidate {
        EvictCandidate {
            conn,
            group: grp(g),
            // Below the keys of the shield groups (`with_group_shields`), which then
            // take the group protection.
            group_key: u64::from(g),
            connected_at: Time(at),
            rtt: None,
            last_block: None,
            last_tx: None,
        }
    }

    fn hs(conn: ConnId, g: u8, since: u64) -> Handshaking {
        Handshaking {
            conn,
            group: grp(g),
            since: Time(since),
        }
    }

    #[test]
    fn the_pool_admits_while_not_full() {
        let pool: Vec<Handshaking> = (0..3).map(|i| hs(i, 2, i)).collect();
        assert_eq!(admit_handshaking(&pool, grp(2), 4), Admit::Accept);
    }

    #[test]
    fn a_full_pool_gives_a_less_crowded_group_the_oldest_socket_of_the_most_crowded() {
        let mut pool: Vec<Handshaking> = (0..6).map(|i| hs(i, 2, 10 + i)).collect();
        pool.push(hs(50, 3, 1));
        pool.push(hs(51, 3, 2));
        // The crowded group's own newcomer gets nothing; another group's does.
        assert_eq!(admit_handshaking(&pool, grp(2), 8), Admit::Refuse);
        assert_eq!(admit_handshaking(&pool, grp(1), 8), Admit::Evict(0));
        assert_eq!(admit_handshaking(&pool, grp(3), 8), Admit::Evict(0));
        // Groups of one each: a newcomer of a new group displaces the oldest socket;
        // one of a group already present is refused.
        let spread: Vec<Handshaking> = (0..4).map(|i| hs(i, 10 + i as u8, 5 - i)).collect();
        assert_eq!(admit_handshaking(&spread, grp(1), 4), Admit::Evict(3));
        assert_eq!(admit_handshaking(&spread, grp(10), 4), Admit::Refuse);
        assert_eq!(admit_handshaking(&[], grp(1), 0), Admit::Refuse);
    }

    /// Candidates in four groups of their own (keys above the tests' groups), which
    /// absorb the group protection.
    fn with_group_shields(mut c: Vec<EvictCandidate>) -> Vec<EvictCandidate> {
        for i in 0..EVICT_PROTECT_GROUPS as u8 {
            let mut e = cand(900 + u64::from(i), 200 + i, 0);
            e.group_key = u64::MAX - u64::from(i);
            c.push(e);
        }
        c
    }

    #[test]
    fn eviction_drops_the_youngest_of_the_most_crowded_group() {
        // Group 2 has five members, group 1 two; the older half is protected.
        let mut c = vec![cand(1, 1, 100), cand(2, 1, 200)];
        c.extend((10..15).map(|i| cand(i, 2, 1000 + i)));
        assert_eq!(select_to_evict(with_group_shields(c)), Some(14));
        // Equally crowded: the group whose youngest is youngest.
        // Four old peers of group 5 are the older half, protected by age; groups 1
        // and 2 remain with two members each, and group 1's youngest is younger.
        let mut c = vec![
            cand(5, 1, 50),
            cand(2, 1, 500),
            cand(6, 2, 60),
            cand(4, 2, 400),
        ];
        c.extend((20..24).map(|i| cand(i, 5, i)));
        assert_eq!(select_to_evict(with_group_shields(c)), Some(2));
    }

    #[test]
    fn recent_block_and_tx_givers_and_fast_peers_are_protected() {
        // 40 peers of one crowded group, youngest last; no age protection applies to
        // the young ones.
        let mut c: Vec<EvictCandidate> = (0..40).map(|i| cand(i, 2, 1000 + i)).collect();
        // The youngest four gave us blocks, the next four transactions, the next
        // eight have the lowest latency: all sixteen are protected.
        for e in c.iter_mut().skip(36) {
            e.last_block = Some(Time(5000 + e.conn));
        }
        for e in c.iter_mut().skip(32).take(4) {
            e.last_tx = Some(Time(6000));
        }
        for e in c.iter_mut().skip(24).take(8) {
            e.rtt = Some(Duration::from_millis(e.conn));
        }
        let c = with_group_shields(c);
        // Left: 0..24, of which the older half (0..12) is protected: 23 goes.
        assert_eq!(select_to_evict(c.clone()), Some(23));
        assert_eq!(select_to_evict(Vec::new()), None);
        // A lone candidate is protected by its group.
        assert_eq!(select_to_evict(vec![cand(1, 1, 1)]), None);
    }

    #[test]
    fn group_protection_shields_one_member_of_each_of_four_groups() {
        // One attacker group of 10 and four honest lone peers: the lone peers are
        // shielded, and the attacker's youngest goes, never an honest peer.
        let mut c: Vec<EvictCandidate> = (0..10).map(|i| cand(i, 2, 500 + i)).collect();
        for (i, g) in [3u8, 4, 5, 6].into_iter().enumerate() {
            let mut e = cand(100 + i as u64, g, 900);
            e.group_key = 1000 + u64::from(g);
            c.push(e);
        }
        assert_eq!(select_to_evict(c), Some(9));
    }
}
