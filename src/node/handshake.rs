//! The version handshake: what we send, what we check in the peer's version, and what follows once a connection is ready.

use super::*;

impl Node {
    /// Tells a connection why it is about to be closed.
    pub(super) fn refuse(&mut self, conn: ConnId, code: RejectCode, reason: &str) {
        self.send(
            conn,
            Message::Reject {
                msg_type: crate::wire::MSG_VERSION,
                code,
                hash: Hash256::ZERO,
                reason: reason.to_string(),
            },
        );
    }

    pub(super) fn version_message(&self) -> Message {
        Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: self.chain.network_id(),
            nonce: self.nonce,
            best_height: match self.selfish.as_ref().and_then(|s| s.withheld_from()) {
                Some(h) => h.saturating_sub(1),
                None => self.chain.height(),
            },
            listen_port: self.cfg.listen_port,
        })
    }

    pub(super) fn on_version(&mut self, conn: ConnId, v: Version, now: Time) {
        let our_id = self.chain.network_id();
        let p = self.peers.get_mut(&conn).expect("caller checked");
        if p.version().is_some() {
            self.punish(conn, "duplicate version".into(), now);
            return;
        }
        if v.version != PROTOCOL_VERSION as u32 || v.network_id != our_id {
            if v.network_id != our_id {
                let addr = p.addr;
                self.mismatch
                    .peer_network_id(&self.cfg.params, addr, v.network_id, now);
            }
            let reason = format!(
                "wrong network: expected {} protocol {}",
                our_id.short(),
                PROTOCOL_VERSION
            );
            self.send(
                conn,
                Message::Reject {
                    msg_type: crate::wire::MSG_VERSION,
                    code: RejectCode::WrongNetwork,
                    hash: Hash256::ZERO,
                    reason,
                },
            );
            self.disconnect(conn, DisconnectReason::WrongNetwork);
            return;
        }
        if v.nonce == self.nonce {
            // Our own nonce is proof only on a connection we opened: the other end is
            // us. On an inbound one it is the far half of that same loop, or a remote
            // replaying what we sent it; either way only this connection is closed.
            let p = self.peers.get(&conn).expect("caller checked");
            if p.dir == Direction::Outbound {
                self.addrs.mark_self(p.addr);
            }
            self.disconnect(conn, DisconnectReason::SelfConnection);
            return;
        }
        match self.duplicate_to_close(conn, v.nonce) {
            Some(c) if c == conn => {
                self.disconnect(conn, DisconnectReason::Duplicate);
                return;
            }
            Some(other) => self.disconnect(other, DisconnectReason::Duplicate),
            None => {}
        }
        if self.peers[&conn].dir == Direction::Inbound && !self.admit_inbound_peer(conn, now) {
            return;
        }
        let p = self.peers.get_mut(&conn).expect("caller checked");
        p.best_height = v.best_height;
        p.handshake = match p.handshake {
            Handshake::GotVerack => Handshake::Ready(v),
            _ => Handshake::GotVersion(v),
        };
        self.arm_peer_timers(conn);
        self.send(conn, Message::Verack);
        if self.peers.get(&conn).is_some_and(|p| p.is_ready()) {
            self.on_ready(conn, now);
        }
    }

    /// Which connection to close, if any, now that `conn` received a `version` with
    /// `nonce` that another connection's `version` already carried (spec: peer
    /// protocol, handshake rule 4).
    ///
    /// A remote can put any nonce in its `version`, so only what it cannot forge
    /// against us decides: only an inbound connection is ever closed on account of a
    /// nonce an inbound connection claims; an outbound connection (we chose the
    /// address, the far end answered) is closed only for another outbound one.
    /// Between an inbound and an outbound link only the node with the larger nonce
    /// acts: it keeps the link it opened and closes the one it accepted; the other
    /// node closes nothing and waits. Both ends reach the same verdict whatever the
    /// order of arrival or the readiness of either link, so two nodes dialling each
    /// other at once always keep exactly one link. (An earlier rule let "the existing
    /// ready link wins" decide; readiness differs between the two ends for a moment,
    /// so both links could close, and both nodes redialled at the same instant
    /// `PEER_RETRY_MS` later and could race again.)
    fn duplicate_to_close(&self, conn: ConnId, nonce: u64) -> Option<ConnId> {
        let new_dir = self.peers.get(&conn)?.dir;
        let ours_larger = self.nonce > nonce;
        self.peers
            .iter()
            .filter(|(c, q)| **c != conn && q.version().is_some_and(|w| w.nonce == nonce))
            .find_map(|(&old, q)| match (new_dir, q.dir) {
                (Direction::Outbound, Direction::Outbound) => Some(conn),
                (Direction::Inbound, Direction::Outbound) => ours_larger.then_some(conn),
                (Direction::Outbound, Direction::Inbound) => ours_larger.then_some(old),
                (Direction::Inbound, Direction::Inbound) => None,
            })
    }

    pub(super) fn on_ready(&mut self, conn: ConnId, now: Time) {
        let addr = self.peers[&conn].addr;
        info!(target: "net", "peer {addr} connected ({:?})", self.peers[&conn].dir);
        self.mismatch.handshake_ok();
        self.push(Action::Event(Event::PeerConnected { conn, addr }));
        self.stale_extra_ready(conn);
        self.request_headers(conn, now);
        // Ask for its mempool so transactions reach late joiners.
        self.send(conn, Message::Mempool);
    }
}
