//! The address book and the tracker link: registering, heartbeats, reconnecting with backoff, learning addresses and opening outbound connections.

use super::*;
use crate::netgroup::{group_of, NetGroup};

/// Most outbound connections (open or being opened) to one address group.
pub const MAX_OUTBOUND_PER_GROUP: usize = 2;

#[derive(Debug)]
pub(super) struct TrackerLink {
    pub(super) conn: Option<ConnId>,
    /// When we last asked the tracker for a fresh peer list.
    pub(super) last_get_peers: Time,
    pub(super) connecting: bool,
    pub(super) retry_at: Time,
    pub(super) backoff: Duration,
    pub(super) next_heartbeat: Time,
}

/// Where outbound connections may go: peer listen addresses learned from the tracker,
/// each with the earliest time it may be dialled again, the addresses found to be
/// ourselves, and the dials under way. Holds at most [`MAX_KNOWN_ADDRS`] addresses.
#[derive(Debug, Default)]
pub(super) struct AddrBook {
    /// Known addresses with their earliest retry time.
    known: BTreeMap<SocketAddr, Time>,
    /// Addresses found to be ourselves: never learned again.
    self_addrs: BTreeSet<SocketAddr>,
    /// Outbound dials under way.
    pending: BTreeSet<SocketAddr>,
    /// The earliest time an address now waiting out its retry delay may be dialled.
    next_retry: Option<Time>,
}

impl AddrBook {
    /// Remembers `addr` (usable from `now`) unless it is ourselves, has port 0, or the
    /// book is full.
    pub(super) fn learn(&mut self, addr: SocketAddr, now: Time) {
        if self.self_addrs.contains(&addr) || addr.port() == 0 {
            return;
        }
        if self.known.len() >= MAX_KNOWN_ADDRS && !self.known.contains_key(&addr) {
            return;
        }
        self.known.entry(addr).or_insert(now);
    }

    /// Forgets `addr` (the tracker says it left).
    pub(super) fn forget(&mut self, addr: &SocketAddr) {
        self.known.remove(addr);
    }

    /// Records that `addr` is ourselves: forgotten and never learned again.
    pub(super) fn mark_self(&mut self, addr: SocketAddr) {
        self.self_addrs.insert(addr);
        self.known.remove(&addr);
    }

    /// Delays the next dial of `addr`, if known, until `at`.
    pub(super) fn retry_later(&mut self, addr: &SocketAddr, at: Time) {
        if let Some(t) = self.known.get_mut(addr) {
            *t = at;
        }
    }

    /// The dial of `addr` ended (connected or failed).
    pub(super) fn dial_done(&mut self, addr: &SocketAddr) {
        self.pending.remove(addr);
    }

    /// Outbound dials under way.
    pub(super) fn dials(&self) -> usize {
        self.pending.len()
    }

    /// The addresses being dialled.
    pub(super) fn dialling_addrs(&self) -> impl Iterator<Item = &SocketAddr> {
        self.pending.iter()
    }

    /// True if some known address may be dialled at `now`.
    pub(super) fn any_due(&self, now: Time) -> bool {
        self.known.values().any(|&t| t <= now)
    }

    /// True if [`AddrBook::due`] would return an address (without noting the next
    /// retry: a pure question).
    pub(super) fn any_dialable(
        &self,
        now: Time,
        connected: &BTreeSet<SocketAddr>,
        banned: impl Fn(SocketAddr) -> bool,
    ) -> bool {
        self.known.iter().any(|(a, &retry)| {
            retry <= now && !connected.contains(a) && !self.pending.contains(a) && !banned(*a)
        })
    }

    /// When the next address now waiting out its retry delay becomes usable.
    pub(super) fn next_retry(&self) -> Option<Time> {
        self.next_retry
    }

    /// The addresses that may be dialled at `now`: known, due, not `connected`, not
    /// being dialled and not `banned`. Also notes when the next address that is not due
    /// yet becomes usable (see [`AddrBook::next_retry`]).
    pub(super) fn due(
        &mut self,
        now: Time,
        connected: &BTreeSet<SocketAddr>,
        banned: impl Fn(SocketAddr) -> bool,
    ) -> Vec<SocketAddr> {
        let usable =
            |(a, _): &(&SocketAddr, &Time)| !connected.contains(*a) && !self.pending.contains(*a);
        let candidates = self
            .known
            .iter()
            .filter(usable)
            .filter(|(a, &retry)| retry <= now && !banned(**a))
            .map(|(a, _)| *a)
            .collect();
        self.next_retry = self
            .known
            .iter()
            .filter(usable)
            .map(|(_, &retry)| retry)
            .filter(|&retry| retry > now)
            .min();
        candidates
    }

    /// Records a dial of `addr` under way.
    pub(super) fn dialling(&mut self, addr: SocketAddr) {
        self.pending.insert(addr);
    }

    /// Clears the retry wake-up (no dial is wanted now).
    pub(super) fn clear_next_retry(&mut self) {
        self.next_retry = None;
    }
}

impl Node {
    pub(super) fn tracker_tick(&mut self, now: Time) {
        let Some(addr) = self.cfg.tracker else { return };
        if self.cfg.listen_port == 0 {
            // Nothing to register: a node that accepts no connections has no address
            // to share, and the tracker refuses port 0.
            return;
        }
        if let Some(conn) = self.tracker.conn {
            if now >= self.tracker.next_heartbeat {
                self.send(conn, Message::Heartbeat);
                self.tracker.next_heartbeat = now + self.cfg.heartbeat_interval;
            }
        } else if !self.tracker.connecting && now >= self.tracker.retry_at {
            self.tracker.connecting = true;
            self.push(Action::Connect {
                addr,
                role: Role::Tracker,
            });
        }
    }

    pub(super) fn tracker_lost(&mut self, now: Time) {
        self.tracker.conn = None;
        self.tracker.connecting = false;
        let jitter = Duration::from_millis(self.rng.below(whole_ms(self.tracker.backoff) / 4 + 1));
        self.tracker.retry_at = now + self.tracker.backoff + jitter;
        info!(target: "net", "tracker unreachable; retrying in {} ms", whole_ms(self.tracker.backoff + jitter));
        self.tracker.backoff =
            (self.tracker.backoff.saturating_mul(2)).min(self.cfg.tracker_backoff_max);
    }

    pub(super) fn on_tracker_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        match msg {
            Message::PeerList { peers } => {
                self.tracker.backoff = self.cfg.tracker_backoff_min;
                self.mismatch.tracker_ok();
                for a in peers {
                    self.addrs.learn(a, now);
                }
                self.connect_more(now);
            }
            Message::PeerJoined { addr } => {
                self.addrs.learn(addr, now);
                self.connect_more(now);
            }
            Message::PeerLeft { addr } => {
                self.addrs.forget(&addr);
            }
            Message::Error { code, message } => {
                warn!(target: "net", "tracker refused us ({code:?}): {message}");
            }
            other => {
                debug!(target: "net", "unexpected {} from tracker", other.name());
                self.disconnect(
                    conn,
                    DisconnectReason::ProtocolViolation("unexpected message from tracker"),
                );
            }
        }
    }

    /// Outbound peer connections, open or being opened.
    pub(super) fn outbound_count(&self) -> usize {
        self.peers
            .values()
            .filter(|p| p.dir == Direction::Outbound)
            .count()
            + self.addrs.dials()
    }

    /// Opens outbound connections until the configured number is reached, spread over
    /// address groups: a group is drawn uniformly among those with a due address and
    /// fewer than [`MAX_OUTBOUND_PER_GROUP`] outbound connections (open or being
    /// opened), then an address uniformly within it. (With one address per group, as
    /// in the simulator, this is the uniform draw over addresses it replaced, to the
    /// random number.)
    pub(super) fn connect_more(&mut self, now: Time) {
        self.addrs.clear_next_retry();
        let outbound = self.outbound_count();
        if outbound >= self.cfg.max_outbound {
            return;
        }
        let connected: BTreeSet<SocketAddr> = self
            .peers
            .values()
            .flat_map(|p| [Some(p.addr), p.listen_addr()])
            .flatten()
            .collect();
        let bans = &self.bans;
        let candidates = self.addrs.due(now, &connected, |a| bans.is_banned(a, now));
        let mut per_group: BTreeMap<NetGroup, usize> = BTreeMap::new();
        let held = self
            .peers
            .values()
            .filter(|p| p.dir == Direction::Outbound)
            .map(|p| p.addr)
            .chain(self.addrs.dialling_addrs().copied());
        for a in held {
            *per_group.entry(group_of(a.ip())).or_default() += 1;
        }
        // Groups in the order of their first candidate, without those already at the
        // cap.
        let mut groups: Vec<(NetGroup, Vec<SocketAddr>)> = Vec::new();
        let mut index: BTreeMap<NetGroup, usize> = BTreeMap::new();
        for a in candidates {
            let g = group_of(a.ip());
            if per_group.get(&g).copied().unwrap_or(0) >= MAX_OUTBOUND_PER_GROUP {
                continue;
            }
            let i = *index.entry(g).or_insert_with(|| {
                groups.push((g, Vec::new()));
                groups.len() - 1
            });
            groups[i].1.push(a);
        }
        let want = self.cfg.max_outbound - outbound;
        for _ in 0..want {
            if groups.is_empty() {
                break;
            }
            let gi = self.rng.below(groups.len() as u64) as usize;
            let (g, members) = &mut groups[gi];
            let ai = if members.len() > 1 {
                self.rng.below(members.len() as u64) as usize
            } else {
                0
            };
            let addr = members.swap_remove(ai);
            let n = per_group.entry(*g).or_default();
            *n += 1;
            if members.is_empty() || *n >= MAX_OUTBOUND_PER_GROUP {
                groups.swap_remove(gi);
            }
            self.addrs.dialling(addr);
            self.push(Action::Connect {
                addr,
                role: Role::Peer,
            });
        }
    }

    /// With fewer outbound peers than wanted and no address left to try, asks the
    /// tracker for a fresh list, at most every [`GET_PEERS_INTERVAL`].
    pub(super) fn ask_for_peers_if_starving(&mut self, now: Time) {
        let Some(conn) = self.tracker.conn else {
            return;
        };
        let outbound = self.outbound_count();
        let any_candidate = self.addrs.any_due(now);
        if outbound < self.cfg.max_outbound
            && !any_candidate
            && now.since(self.tracker.last_get_peers) >= GET_PEERS_INTERVAL
        {
            self.tracker.last_get_peers = now;
            self.send(conn, Message::GetPeers);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::NetworkParams;

    #[test]
    fn outbound_dials_spread_over_groups_at_most_two_each() {
        let mut cfg = NodeConfig::new(NetworkParams::regtest());
        // Twenty addresses of one group (127.0.0.2) and three lone groups.
        cfg.connect = (0..20)
            .map(|p| SocketAddr::from(([127, 0, 0, 2], 5000 + p)))
            .chain((3..6).map(|i| SocketAddr::from(([127, 0, 0, i], 6000))))
            .collect();
        let (mut node, _) = Node::new(cfg, Vec::new(), Time(1_000_000));
        node.on_tick(Time(1_000_000));
        let mut dials = Vec::new();
        while let Some(a) = node.poll_action() {
            if let Action::Connect { addr, .. } = a {
                dials.push(addr);
            }
        }
        let sybil = dials
            .iter()
            .filter(|a| a.ip() == IpAddr::from([127, 0, 0, 2]))
            .count();
        assert_eq!(sybil, 2, "{dials:?}");
        assert_eq!(
            dials.len(),
            5,
            "two of the crowded group and the three lone ones"
        );
    }
}
