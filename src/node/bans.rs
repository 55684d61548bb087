//! Bans for provable misbehaviour, and which errors prove it.

use super::*;

/// What a ban applies to: an IP address, or, on loopback where every local process
/// shares one IP, the exact socket address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum BanKey {
    Ip(IpAddr),
    Socket(SocketAddr),
}

impl BanKey {
    fn of(addr: SocketAddr) -> BanKey {
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
/// pool-capacity refusals are benign races, and a transfer to oneself is an honest
/// wallet mistake: those get a `reject` with the reason instead of a ban.
pub(super) fn tx_error_punishable(e: &TxError) -> bool {
    matches!(
        e,
        TxError::Signature(_)
            | TxError::ZeroAmount
            | TxError::AmountOverflow
            | TxError::BadRecipient
    )
}

/// The ban list: who is banned and until when. Bounded by the connections the node
/// accepts, as only a connected peer can earn a ban, and expired entries are dropped on
/// every tick.
#[derive(Debug, Default)]
pub(super) struct Bans {
    until: BTreeMap<BanKey, Time>,
}

impl Bans {
    /// True while `addr` (its IP, or on loopback its socket address) is banned.
    pub(super) fn is_banned(&self, addr: SocketAddr, now: Time) -> bool {
        self.until
            .get(&BanKey::of(addr))
            .is_some_and(|&until| until > now)
    }

    /// Bans `addr` until `until`.
    pub(super) fn insert(&mut self, addr: SocketAddr, until: Time) {
        self.until.insert(BanKey::of(addr), until);
    }

    /// Forgets the bans that have run out by `now`.
    pub(super) fn expire(&mut self, now: Time) {
        self.until.retain(|_, until| *until > now);
    }
}

impl Node {
    pub(super) fn ban(&mut self, addr: SocketAddr, now: Time) {
        info!(target: "net", "banning {addr} for {} s", self.cfg.ban_duration.as_secs());
        self.bans.insert(addr, now + self.cfg.ban_duration);
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
