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

    pub(super) fn learn_addr(&mut self, addr: SocketAddr, now: Time) {
        if self.self_addrs.contains(&addr) || addr.port() == 0 {
            return;
        }
        if self.known_addrs.len() >= MAX_KNOWN_ADDRS && !self.known_addrs.contains_key(&addr) {
            return;
        }
        self.known_addrs.entry(addr).or_insert(now);
    }

    pub(super) fn on_tracker_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        match msg {
            Message::PeerList { peers } => {
                self.tracker.backoff = self.cfg.tracker_backoff_min;
                for a in peers {
                    self.learn_addr(a, now);
                }
                self.connect_more(now);
            }
            Message::PeerJoined { addr } => {
                self.learn_addr(addr, now);
                self.connect_more(now);
            }
            Message::PeerLeft { addr } => {
                self.known_addrs.remove(&addr);
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
            + self.pending_connects.len()
    }

    /// Opens outbound connections until the configured number is reached.
    pub(super) fn connect_more(&mut self, now: Time) {
        self.next_connect_retry = None;
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
        let usable = |(a, _): &(&SocketAddr, &Time)| {
            !connected.contains(*a) && !self.pending_connects.contains(*a)
        };
        let mut candidates: Vec<SocketAddr> = self
            .known_addrs
            .iter()
            .filter(usable)
            .filter(|(a, &retry)| retry <= now && !self.is_banned(**a, now))
            .map(|(a, _)| *a)
            .collect();
        // Wake up when the next address waiting out its retry delay becomes usable.
        self.next_connect_retry = self
            .known_addrs
            .iter()
            .filter(usable)
            .map(|(_, &retry)| retry)
            .filter(|&retry| retry > now)
            .min();
        let want = self.cfg.max_outbound - outbound;
        for _ in 0..want {
            if candidates.is_empty() {
                break;
            }
            let i = self.rng.below(candidates.len() as u64) as usize;
            let addr = candidates.swap_remove(i);
            self.pending_connects.insert(addr);
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
        let any_candidate = self.known_addrs.values().any(|&t| t <= now);
        if outbound < self.cfg.max_outbound
            && !any_candidate
            && now.since(self.tracker.last_get_peers) >= GET_PEERS_INTERVAL
        {
            self.tracker.last_get_peers = now;
            self.send(conn, Message::GetPeers);
        }
    }
}
