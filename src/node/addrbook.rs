//! The address book and the tracker link: registering, heartbeats, reconnecting with backoff, learning addresses and opening outbound connections.

use super::*;

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

    /// True if some known address may be dialled at `now`.
    pub(super) fn any_due(&self, now: Time) -> bool {
        self.known.values().any(|&t| t <= now)
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

    /// Opens outbound connections until the configured number is reached.
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
        let mut candidates = self.addrs.due(now, &connected, |a| bans.is_banned(a, now));
        let want = self.cfg.max_outbound - outbound;
        for _ in 0..want {
            if candidates.is_empty() {
                break;
            }
            let i = self.rng.below(candidates.len() as u64) as usize;
            let addr = candidates.swap_remove(i);
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
