//! Bans for provable misbehaviour, and which errors prove it.

use super::*;

/// What a ban applies to: an IP address, or, on loopback where every local process
/// shares one IP, the exact socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum BanKey {
    Ip(IpAddr),
    Socket(SocketAddr),
}

impl BanKey {
    pub(super) fn of(addr: SocketAddr) -> BanKey {
        if addr.ip().is_loopback() {
            BanKey::Socket(addr)
        } else {
            BanKey::Ip(addr.ip())
        }
    }
}

/// True if sending this block or header proves the sender misbehaves. Not for a block
/// from the future (clocks differ) or with an unknown parent (a race or a fork we have
/// not seen yet).
pub(super) fn block_error_punishable(e: &BlockError) -> bool {
    !matches!(e, BlockError::TimeTooNew { .. } | BlockError::UnknownParent)
}

/// True if relaying this transaction proves the sender misbehaves: it is invalid
/// whatever the chain state (bad signature, malformed amounts). Sequence, balance and
/// pool-capacity refusals are benign races.
pub(super) fn tx_error_punishable(e: &TxError) -> bool {
    matches!(
        e,
        TxError::Signature(_)
            | TxError::ZeroAmount
            | TxError::AmountOverflow
            | TxError::BadRecipient
            | TxError::SelfTransfer
    )
}

impl Node {
    pub(super) fn is_banned(&self, addr: SocketAddr, now: Time) -> bool {
        self.bans
            .get(&BanKey::of(addr))
            .is_some_and(|&until| until > now)
    }

    pub(super) fn ban(&mut self, addr: SocketAddr, now: Time) {
        let key = BanKey::of(addr);
        info!(target: "net", "banning {addr} for {} s", self.cfg.ban_duration.as_secs());
        self.bans.insert(key, now + self.cfg.ban_duration);
        self.stats.bans += 1;
    }

    /// Disconnects a peer for provable misbehaviour and bans its address.
    pub(super) fn punish(&mut self, conn: ConnId, why: String, now: Time) {
        if let Some(p) = self.peers.get(&conn) {
            warn!(target: "net", "peer {} misbehaved: {why}", p.addr);
        }
        self.disconnect(conn, DisconnectReason::Misbehaviour(why));
        let _ = now;
    }
}
