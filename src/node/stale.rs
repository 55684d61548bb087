//! The stale-tip check: when no new block arrived for [`STALE_TIP_INTERVALS`] block
//! intervals, open one extra outbound connection to an address group we have no
//! outbound connection to, then evict the outbound peer that has gone longest without
//! telling us anything new (spec: peer protocol §4.5).
//!
//! An eclipsed node (every outbound slot held by peers that never send a block) sees
//! its tip go stale and rotates its outbound peers, one per check, until it reaches
//! one that has the chain; a node on a live network rarely goes stale, and then
//! replaces at most one peer per check.

use super::timers::Timer;
use super::*;
use crate::netgroup::{group_of, NetGroup};

/// Block intervals without a new tip after which the tip is stale.
pub const STALE_TIP_INTERVALS: u32 = 3;

/// The default least time without a new tip before it is stale on `main` and
/// `devnet`, in milliseconds (10 min): three intervals of a few seconds would be
/// network jitter, not an eclipse. A local setting ([`NodeConfig::stale_tip_min`]).
pub const STALE_TIP_MIN_MS: u64 = 600_000;

/// The default floor on `testnet` and `regtest`, in milliseconds (30 s): their easy
/// targets make a mining network find many blocks a second.
pub const STALE_TIP_MIN_TEST_MS: u64 = 30_000;

/// The stale-tip check's state.
#[derive(Debug)]
pub(super) struct StaleTip {
    /// The active tip when last looked at.
    tip: Hash256,
    /// When the check next looks: [`STALE_TIP_INTERVALS`] block intervals after the tip
    /// last changed, or after the last check that acted.
    next_check: Time,
    /// The extra outbound dial opened for a stale tip, until its handshake completes
    /// or the dial fails.
    extra: Option<SocketAddr>,
    /// Checks that found the tip stale.
    pub(super) stale_events: u64,
    /// Outbound peers evicted by the check.
    pub(super) evictions: u64,
}

impl StaleTip {
    pub(super) fn new(tip: Hash256, now: Time, after: Duration) -> StaleTip {
        StaleTip {
            tip,
            next_check: now + after,
            extra: None,
            stale_events: 0,
            evictions: 0,
        }
    }

    /// When the check next looks.
    pub(super) fn deadline(&self) -> Time {
        self.next_check
    }
}

/// How long the tip may stay unchanged before it is stale: [`STALE_TIP_INTERVALS`]
/// target block intervals, at least [`NodeConfig::stale_tip_min`].
pub(super) fn stale_after(cfg: &NodeConfig) -> Duration {
    let intervals =
        Duration::from_secs(u64::from(cfg.params.target_spacing_secs.max(1))) * STALE_TIP_INTERVALS;
    intervals.max(cfg.stale_tip_min)
}

impl Node {
    /// How long the tip may stay unchanged before it is stale.
    pub(super) fn stale_after(&self) -> Duration {
        stale_after(&self.cfg)
    }

    /// Notes a tip change (called after every input that may change it): the check
    /// looks again a full stale period later.
    pub(super) fn stale_tip_seen(&mut self, now: Time) {
        let tip = self.chain.tip();
        if tip != self.stale.tip {
            self.stale.tip = tip;
            self.stale.next_check = now + self.stale_after();
            self.timers.set(Timer::StaleTip, self.stale.next_check);
        }
    }

    /// The [`Timer::StaleTip`] slot fired (or any tick passed its deadline).
    pub(super) fn stale_tip_check(&mut self, now: Time) {
        self.stale_tip_seen(now);
        if now < self.stale.next_check {
            return;
        }
        self.stale.next_check = now + self.stale_after();
        self.timers.set(Timer::StaleTip, self.stale.next_check);
        // Blocks on their way are not a stale tip, only a slow one.
        if !self.block_requests.is_empty() || self.syncing() {
            return;
        }
        self.stale.stale_events += 1;
        debug!(target: "net", "tip {} unchanged for {} s: looking for other peers",
            self.stale.tip.short(), self.stale_after().as_secs());
        // A fresh sample from the tracker may hold addresses we never saw.
        if let Some(conn) = self.tracker.conn {
            if now.since(self.tracker.last_get_peers) >= GET_PEERS_INTERVAL {
                self.tracker.last_get_peers = now;
                self.send(conn, Message::GetPeers);
            }
        }
        if self.stale.extra.is_none() {
            if let Some(addr) = self.new_group_addr(now) {
                info!(target: "net", "stale tip: extra outbound connection to {addr}");
                self.stale.extra = Some(addr);
                self.addrs.dialling(addr);
                self.push(Action::Connect {
                    addr,
                    role: Role::Peer,
                });
                return;
            }
        }
        // No group left to try: free the stalest slot for a fresh draw, once that peer
        // has had a whole stale period to tell us something; only if there is an
        // address to draw (connected to everyone we know, as in a full mesh, an
        // eviction would only churn: the sim's selfish-mining mesh never converged).
        if !self.fresh_addr_due(now) {
            return;
        }
        let after = self.stale_after();
        if let Some(conn) = self.stalest_outbound(None, |p| now.since(p.connected_at) >= after) {
            self.evict_stale(conn);
            self.connect_more(now);
        }
    }

    /// Every address of a connected peer: the one it connects from and, if it told us,
    /// the one it listens on.
    fn connected_addrs(&self) -> BTreeSet<SocketAddr> {
        self.peers
            .values()
            .flat_map(|p| [Some(p.addr), p.listen_addr()])
            .flatten()
            .collect()
    }

    /// True if some known address we are not connected to may be dialled now.
    fn fresh_addr_due(&self, now: Time) -> bool {
        let connected = self.connected_addrs();
        let bans = &self.bans;
        self.addrs
            .any_dialable(now, &connected, |a| bans.is_banned(a, now))
    }

    /// A due address in an address group with no outbound connection (open or being
    /// dialled), drawn uniformly among such groups and then within the group.
    fn new_group_addr(&mut self, now: Time) -> Option<SocketAddr> {
        let connected = self.connected_addrs();
        let used: BTreeSet<NetGroup> = self
            .peers
            .values()
            .filter(|p| p.dir == Direction::Outbound)
            .map(|p| group_of(p.addr.ip()))
            .chain(self.addrs.dialling_addrs().map(|a| group_of(a.ip())))
            .collect();
        let bans = &self.bans;
        let mut groups: BTreeMap<NetGroup, Vec<SocketAddr>> = BTreeMap::new();
        for a in self.addrs.due(now, &connected, |a| bans.is_banned(a, now)) {
            let g = group_of(a.ip());
            if !used.contains(&g) {
                groups.entry(g).or_default().push(a);
            }
        }
        if groups.is_empty() {
            return None;
        }
        let gi = self.rng.below(groups.len() as u64) as usize;
        let members = groups.into_values().nth(gi)?;
        let ai = self.rng.below(members.len() as u64) as usize;
        members.get(ai).copied()
    }

    /// The ready outbound peer (other than `except`, among those `eligible`) that has
    /// gone longest without giving us a block or header we did not have; one that never
    /// did counts from its connection time; ties go to the oldest connection.
    fn stalest_outbound(
        &self,
        except: Option<ConnId>,
        eligible: impl Fn(&Peer) -> bool,
    ) -> Option<ConnId> {
        self.peers
            .iter()
            .filter(|(c, p)| {
                Some(**c) != except
                    && p.dir == Direction::Outbound
                    && p.is_ready()
                    && !p.closing
                    && eligible(p)
            })
            .min_by_key(|(c, p)| (p.last_news(), **c))
            .map(|(c, _)| *c)
    }

    fn evict_stale(&mut self, conn: ConnId) {
        self.stale.evictions += 1;
        if let Some(p) = self.peers.get(&conn) {
            info!(target: "net", "stale tip: evicting outbound peer {} (nothing new from it)", p.addr);
        }
        self.disconnect(conn, DisconnectReason::StaleEvicted);
    }

    /// The outbound connection on `conn` completed its handshake: if it is the stale
    /// check's extra one, the stalest other outbound peer makes room for it.
    pub(super) fn stale_extra_ready(&mut self, conn: ConnId) {
        let Some(extra) = self.stale.extra else {
            return;
        };
        let Some(p) = self.peers.get(&conn) else {
            return;
        };
        if p.dir != Direction::Outbound || p.addr != extra {
            return;
        }
        self.stale.extra = None;
        let ready_out = self
            .peers
            .values()
            .filter(|p| p.dir == Direction::Outbound && p.is_ready() && !p.closing)
            .count();
        if ready_out > self.cfg.max_outbound {
            if let Some(victim) = self.stalest_outbound(Some(conn), |_| true) {
                self.evict_stale(victim);
            }
        }
    }

    /// The stale check's extra dial to `addr` failed.
    pub(super) fn stale_extra_failed(&mut self, addr: &SocketAddr) {
        if self.stale.extra.as_ref() == Some(addr) {
            self.stale.extra = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::NetworkParams;

    /// Two outbound slots, and pings and idle timeouts far beyond the stale period (it
    /// is minutes), so the silent test peers are not cut for that.
    fn patient_config(params: NetworkParams) -> NodeConfig {
        let mut cfg = NodeConfig::new(params);
        cfg.max_outbound = 2;
        let day = Duration::from_secs(86_400);
        (cfg.ping_interval, cfg.ping_timeout, cfg.idle_timeout) = (day, day, day);
        cfg
    }

    /// The addresses dialled among `actions`.
    fn dials_of(actions: Vec<Action>) -> Vec<SocketAddr> {
        actions
            .into_iter()
            .filter_map(|a| match a {
                Action::Connect { addr, .. } => Some(addr),
                _ => None,
            })
            .collect()
    }

    fn drain(node: &mut Node) -> Vec<Action> {
        std::iter::from_fn(|| node.poll_action()).collect()
    }

    fn ready(node: &mut Node, conn: ConnId, addr: SocketAddr, nonce: u64, now: Time) {
        node.on_connected(conn, addr, Direction::Outbound, Role::Peer, now);
        let v = Version {
            version: PROTOCOL_VERSION as u32,
            network_id: node.chain().network_id(),
            nonce,
            best_height: 0,
            listen_port: addr.port(),
        };
        node.on_message(conn, Message::Version(v), now);
        node.on_message(conn, Message::Verack, now);
        // They have nothing: an empty answer to our header request.
        node.on_message(conn, Message::Headers { headers: vec![] }, now);
    }

    #[test]
    fn a_stale_tip_opens_an_extra_outbound_to_a_new_group_then_evicts_the_stalest() {
        let params = NetworkParams::testnet();
        let spacing = Duration::from_secs(u64::from(params.target_spacing_secs));
        let mut cfg = patient_config(params);
        // Two Sybils on 127.0.0.2 and one honest address on 127.0.0.3.
        let sybil = |p| SocketAddr::from(([127, 0, 0, 2], p));
        let honest = SocketAddr::from(([127, 0, 0, 3], 7000));
        cfg.connect = vec![sybil(5000), sybil(5001), honest];
        cfg.seed = 7;
        let t0 = Time(1_000_000);
        let (mut node, _) = Node::new(cfg, Vec::new(), t0);
        node.on_tick(t0);
        let dials = dials_of(drain(&mut node));
        assert_eq!(dials.len(), 2, "{dials:?}");
        // Whatever the draw, make both slots Sybils: fail the honest dial, if any, and
        // connect the Sybils.
        let mut conn = 1;
        for a in &dials {
            if *a == honest {
                node.on_connect_failed(*a, Role::Peer, t0);
            }
        }
        node.on_tick(t0);
        drain(&mut node);
        for (i, a) in [sybil(5000), sybil(5001)].into_iter().enumerate() {
            ready(&mut node, conn, a, 100 + i as u64, t0);
            conn += 1;
        }
        drain(&mut node);
        // The first Sybil tells us a header once (news), the second never does.
        node.peers.get_mut(&1).unwrap().last_new_header = Some(t0 + spacing);

        // Before the stale period nothing happens.
        let t1 = t0 + (node.stale_after() - Duration::from_millis(1));
        node.on_tick(t1);
        assert!(!drain(&mut node)
            .iter()
            .any(|a| matches!(a, Action::Connect { .. } | Action::Disconnect { .. })));
        assert_eq!(
            node.next_deadline()
                .map(|d| d <= t1 + Duration::from_millis(1)),
            Some(true)
        );

        // Stale: one extra outbound, to the one group without an outbound peer (the
        // honest address is due again after its retry delay).
        assert!(node.stale_after() >= node.cfg.peer_retry);
        let t2 = t0 + node.stale_after();
        node.on_tick(t2);
        let acts = drain(&mut node);
        let extra: Vec<SocketAddr> = acts
            .iter()
            .filter_map(|a| match a {
                Action::Connect {
                    addr,
                    role: Role::Peer,
                } => Some(*addr),
                _ => None,
            })
            .collect();
        assert_eq!(extra, vec![honest], "{acts:?}");
        assert!(!acts.iter().any(|a| matches!(a, Action::Disconnect { .. })));
        assert_eq!(node.stale.stale_events, 1);

        // Its handshake completes: the Sybil that never told us anything goes.
        ready(&mut node, conn, honest, 300, t2);
        let cut: Vec<ConnId> = drain(&mut node)
            .iter()
            .filter_map(|a| match a {
                Action::Disconnect { conn, reason } => {
                    assert_eq!(*reason, DisconnectReason::StaleEvicted);
                    Some(*conn)
                }
                _ => None,
            })
            .collect();
        assert_eq!(cut, vec![2]);
        assert_eq!(node.stale.evictions, 1);
    }

    #[test]
    fn with_no_new_group_a_stale_tip_evicts_the_stalest_for_a_fresh_draw() {
        let params = NetworkParams::testnet();
        let spacing = Duration::from_secs(u64::from(params.target_spacing_secs));
        let mut cfg = patient_config(params);
        let a = SocketAddr::from(([127, 0, 0, 2], 5000));
        let b = SocketAddr::from(([127, 0, 0, 2], 5001));
        let c = SocketAddr::from(([127, 0, 0, 2], 5002));
        cfg.connect = vec![a, b, c];
        let t0 = Time(1_000_000);
        let (mut node, _) = Node::new(cfg, Vec::new(), t0);
        node.on_tick(t0);
        let dials = dials_of(drain(&mut node));
        for (i, d) in dials.iter().enumerate() {
            ready(&mut node, i as ConnId + 1, *d, 10 + i as u64, t0);
        }
        drain(&mut node);
        // Conn 2 gave us a block later than conn 1 gave anything: conn 1 is stalest.
        node.peers.get_mut(&2).unwrap().last_new_block = Some(t0 + spacing);
        let t = t0 + node.stale_after();
        node.on_tick(t);
        let acts = drain(&mut node);
        let cut: Vec<ConnId> = acts
            .iter()
            .filter_map(|x| match x {
                Action::Disconnect { conn, .. } => Some(*conn),
                _ => None,
            })
            .collect();
        assert_eq!(cut, vec![1], "{acts:?}");
        // Its slot goes to the address not tried yet.
        node.on_disconnected(1, &DisconnectReason::StaleEvicted, t);
        let redial: Vec<SocketAddr> = drain(&mut node)
            .into_iter()
            .filter_map(|x| match x {
                Action::Connect { addr, .. } => Some(addr),
                _ => None,
            })
            .collect();
        let fresh: Vec<SocketAddr> = [a, b, c]
            .into_iter()
            .filter(|x| !dials.contains(x))
            .collect();
        assert_eq!(redial, fresh);
        // A tip that moves is not stale: a new check waits a whole period again.
        assert_eq!(node.stale.stale_events, 1);
    }
}
