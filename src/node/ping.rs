//! Ping keepalive and per-peer timeouts, handled when a tick is due.

use super::*;

impl Node {
    pub(super) fn peer_timeouts(&mut self, now: Time) {
        let mut drop = Vec::new();
        let mut pings = Vec::new();
        for (c, p) in self.peers.iter_mut() {
            if p.lacks_until.is_some_and(|t| now >= t) {
                // What it lacked may have arrived since: ask it again.
                p.lacks_blocks = super::peer::KnownSet::default();
                p.lacks_until = None;
            }
            if !p.is_ready() && now.since(p.connected_at) >= self.cfg.handshake_timeout {
                drop.push((*c, "handshake"));
            } else if now.since(p.last_recv) >= self.cfg.idle_timeout {
                drop.push((*c, "idle"));
            } else if matches!(p.ping, PingState::AwaitingPong { sent, .. }
                if now.since(sent) >= self.cfg.ping_timeout)
            {
                drop.push((*c, "ping"));
            } else if p.headers_deadline.is_some_and(|d| now >= d) {
                drop.push((*c, "headers request"));
            } else if p.is_ready() && matches!(p.ping, PingState::Idle { next } if now >= next) {
                let nonce = self.rng.next_u64();
                p.ping = PingState::AwaitingPong { nonce, sent: now };
                pings.push((*c, nonce));
            }
        }
        let mut expired = Vec::new();
        for (c, hash_deadline) in self.block_requests.iter() {
            if now >= hash_deadline {
                if !expired.contains(&c) {
                    expired.push(c);
                }
                if !drop.iter().any(|(d, _)| *d == c) {
                    drop.push((c, "block request"));
                }
            }
        }
        // Re-arm every peer's slots from its new state (an idle slot may have fired
        // early, a ping was sent), then stop those of the peers being closed.
        let conns: Vec<ConnId> = self.peers.iter().map(|(c, _)| *c).collect();
        for c in conns {
            self.arm_peer_timers(c);
        }
        for (c, _) in &drop {
            self.stop_peer_timers(*c);
        }
        // Handled: the requests that timed out leave their peer's slot (the peer is
        // being closed, which drops them).
        for c in expired {
            self.block_requests_expired(c, now);
        }
        for (c, nonce) in pings {
            self.send(c, Message::Ping { nonce });
        }
        for (c, what) in drop {
            if let Some(p) = self.peers.get(&c) {
                info!(target: "net", "peer {} timed out ({what})", p.addr);
            }
            self.disconnect(c, DisconnectReason::Timeout(what));
        }
    }
}
