//! The node's next deadline.

use super::*;

impl Node {
    /// Forgets the cached earliest peer deadline (see [`Node::peer_deadline`]).
    pub(super) fn peer_timers_changed(&self) {
        self.peer_deadline.set(None);
    }

    /// The earliest deadline over all peers, computed by scanning them.
    pub(super) fn peers_next_deadline(&self) -> Option<Time> {
        let mut d: Option<Time> = None;
        let mut consider = |t: Time| d = Some(d.map_or(t, |x: Time| x.min(t)));
        for p in self.peers.values() {
            if !p.is_ready() {
                consider(p.connected_at.plus_ms(self.cfg.handshake_timeout_ms));
            }
            consider(p.last_recv.plus_ms(self.cfg.idle_timeout_ms));
            if let Some(h) = p.headers_deadline {
                consider(h);
            }
            match p.ping {
                PingState::AwaitingPong { sent, .. } => {
                    consider(sent.plus_ms(self.cfg.ping_timeout_ms))
                }
                PingState::Idle { next } if p.is_ready() => consider(next),
                PingState::Idle { .. } => {}
            }
        }
        d
    }

    /// The next deadline computed without the cache: what
    /// [`Service::next_deadline`] returns must never be later than this (tests check
    /// it; an earlier value only costs a spare tick).
    pub fn next_deadline_uncached(&self) -> Option<Time> {
        self.compute_next_deadline(self.peers_next_deadline())
    }

    /// The next deadline, given the earliest peer deadline.
    pub(super) fn compute_next_deadline(&self, peers: Option<Time>) -> Option<Time> {
        let mut d: Option<Time> = None;
        let mut consider = |t: Time| d = Some(d.map_or(t, |x: Time| x.min(t)));
        if !self.started {
            return Some(Time(0));
        }
        // Same condition as `tracker_tick`: without a listen port the tracker is never
        // contacted, so its retry time is not a deadline.
        if self.cfg.tracker.is_some() && self.cfg.listen_port != 0 {
            if self.tracker.conn.is_some() {
                consider(self.tracker.next_heartbeat);
            } else if !self.tracker.connecting {
                consider(self.tracker.retry_at);
            }
        }
        if let Some(t) = peers {
            consider(t);
        }
        for (_, deadline) in self.requested.values().chain(self.tx_requested.values()) {
            consider(*deadline);
        }
        if let Some(t) = self.next_connect_retry {
            consider(t);
        }
        d
    }
}
