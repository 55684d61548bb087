//! The tracker: a pure state machine that keeps the list of live peers.
//!
//! A peer connects, sends [`Message::Register`] with the port it listens on, and gets a
//! [`Message::PeerList`] of up to [`MAX_PEER_LIST`] other live peers chosen at random.
//! Each join ([`Message::PeerJoined`]) and each departure ([`Message::PeerLeft`]: a
//! closed connection or heartbeats missing for [`TrackerConfig::heartbeat_timeout`]) is
//! then told to [`NOTICE_FANOUT`] registered peers chosen at random. Peers send
//! [`Message::Heartbeat`] every [`HEARTBEAT_INTERVAL`] and may ask again with
//! [`Message::GetPeers`], within a budget of [`GET_PEERS_BURST`] requests refilled one
//! per [`GET_PEERS_REFILL`]; beyond it is misbehaviour. A registration of an address
//! another live connection holds is
//! refused until that connection misses its heartbeats.
//!
//! Anything else (another first message, a peer-protocol message, a second registration
//! under another port) is a protocol violation: the tracker answers
//! [`Message::Error`] and disconnects. It implements [`Service`]: no socket, no clock,
//! randomness from a seeded generator, so the same inputs give the same actions.

pub use crate::rng::SplitMix64;

use crate::chain::hash::hex;
use crate::chain::NetworkParams;
use crate::netgroup::{group_of, NetGroup};
use crate::service::{
    whole_ms, Action, ConnId, Direction, DisconnectReason, Event, Role, Service, Time,
};
use crate::wire::FrameError;
use crate::wire::{Message, RejectCode, MAX_PEER_LIST};
use log::{debug, info, warn};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Default cap on tracker connections (registered or not), kept below the usual file
/// descriptor limit of 20 000.
pub const DEFAULT_MAX_PEERS: usize = 16_000;
/// Default cap on connections from one IP address. High because local experiments run
/// many peers on 127.0.0.1; lower it on a public tracker.
pub const DEFAULT_MAX_PER_IP: usize = 64;
/// How often peers are expected to send [`Message::Heartbeat`].
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(10);
/// Default time without a heartbeat after which a peer is dropped and announced gone.
pub const DEFAULT_HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection that has not registered within this time is dropped.
pub const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);
/// Registered peers told of each join or departure, chosen at random: the tracker's
/// traffic grows linearly with joins instead of with joins times registered peers.
pub const NOTICE_FANOUT: usize = 8;
/// `get-peers` (or repeated registrations) a registered connection may send at once;
/// more than its budget is misbehaviour. The reference peer asks at most every 30 s.
pub const GET_PEERS_BURST: u32 = 3;
/// One more `get-peers` is allowed per this much time, up to [`GET_PEERS_BURST`].
pub const GET_PEERS_REFILL: Duration = Duration::from_secs(10);
/// How often the tracker sweeps for expired connections (the precision of both
/// timeouts).
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Limits and timeouts of a [`Tracker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Most connections held at once (registered or not); more get
    /// [`RejectCode::TooManyPeers`].
    pub max_peers: usize,
    /// Most connections from one IP address; more get [`RejectCode::Policy`].
    pub max_per_ip: usize,
    /// Peers in one [`Message::PeerList`] (capped at [`MAX_PEER_LIST`]).
    pub peer_list_size: usize,
    /// Registered peers sent each [`Message::PeerJoined`] and [`Message::PeerLeft`].
    pub notice_fanout: usize,
    /// Peer lists a connection may ask for at once ([`GET_PEERS_BURST`]).
    pub get_peers_burst: u32,
    /// One more peer list allowed per this much time ([`GET_PEERS_REFILL`]).
    pub get_peers_refill: Duration,
    /// Time without a heartbeat after which a registered peer is dropped.
    pub heartbeat_timeout: Duration,
    /// Time a connection may take to send [`Message::Register`].
    pub register_timeout: Duration,
    /// How often expired connections are looked for.
    pub sweep_interval: Duration,
    /// Seed of the generator that picks peer-list subsets.
    pub seed: u64,
    /// Name of the network whose magic the tracker speaks, for the warning that names
    /// a refused network.
    pub network: String,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            max_peers: DEFAULT_MAX_PEERS,
            max_per_ip: DEFAULT_MAX_PER_IP,
            peer_list_size: MAX_PEER_LIST,
            notice_fanout: NOTICE_FANOUT,
            get_peers_burst: GET_PEERS_BURST,
            get_peers_refill: GET_PEERS_REFILL,
            heartbeat_timeout: DEFAULT_HEARTBEAT_TIMEOUT,
            register_timeout: REGISTER_TIMEOUT,
            sweep_interval: SWEEP_INTERVAL,
            seed: 0,
            network: String::from("main"),
        }
    }
}

/// What the tracker knows about one connection (kept small: thousands are held).
#[derive(Clone, Debug)]
struct ConnEntry {
    ip: IpAddr,
    /// Connection time until registered, then the last heartbeat.
    last_seen: Time,
    /// The peer's listen address once registered.
    registered: Option<SocketAddr>,
    /// The `get-peers` budget as a virtual time (GCRA, a token bucket in one field):
    /// each answered request moves it one refill period later, never starting before
    /// now; a request that would move it more than the burst past now is refused.
    peers_budget: Time,
}

/// The tracker state machine. See the module docs.
#[derive(Debug)]
pub struct Tracker {
    config: TrackerConfig,
    rng: SplitMix64,
    conns: BTreeMap<ConnId, ConnEntry>,
    /// Registered peers, dense so random subsets cost O(k).
    peers: Vec<(SocketAddr, ConnId)>,
    /// Position of each registered address in `peers`.
    index: HashMap<SocketAddr, usize>,
    per_ip: HashMap<IpAddr, usize>,
    next_sweep: Option<Time>,
    actions: VecDeque<Action>,
}

impl Tracker {
    /// A tracker with no peers.
    pub fn new(config: TrackerConfig) -> Tracker {
        Tracker {
            rng: SplitMix64::new(config.seed),
            config,
            conns: BTreeMap::new(),
            peers: Vec::new(),
            index: HashMap::new(),
            per_ip: HashMap::new(),
            next_sweep: None,
            actions: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Registered peers.
    pub fn registered_count(&self) -> usize {
        self.peers.len()
    }

    /// Connections held (registered or not).
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// The listen addresses of all registered peers, in no particular order.
    pub fn registered_addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.peers.iter().map(|&(a, _)| a)
    }

    /// The listen address `conn` registered, if it did.
    pub fn registered_addr(&self, conn: ConnId) -> Option<SocketAddr> {
        self.conns.get(&conn).and_then(|e| e.registered)
    }

    fn send(&mut self, conn: ConnId, msg: Message) {
        self.actions.push_back(Action::Send { conn, msg });
    }

    /// Error message, then disconnect. `conn` must already be out of the tables.
    fn refuse(&mut self, conn: ConnId, code: RejectCode, text: &str, reason: DisconnectReason) {
        debug!(target: "tracker", "connection {conn}: {text}");
        self.send(
            conn,
            Message::Error {
                code,
                message: text.to_string(),
            },
        );
        self.actions.push_back(Action::Disconnect { conn, reason });
    }

    fn violation(&mut self, conn: ConnId, what: &'static str) {
        self.remove_conn(conn, true);
        self.refuse(
            conn,
            RejectCode::Invalid,
            what,
            DisconnectReason::ProtocolViolation(what),
        );
    }

    /// Sends `msg` to [`TrackerConfig::notice_fanout`] registered peers chosen at
    /// random, never to the one at `exclude`.
    fn notify(&mut self, exclude: Option<usize>, msg: &Message) {
        let n = self.peers.len() - usize::from(exclude.is_some());
        for j in self.rng.sample(n, self.config.notice_fanout) {
            let j = match exclude {
                Some(x) if j >= x => j + 1,
                _ => j,
            };
            let conn = self.peers[j].1;
            self.actions.push_back(Action::Send {
                conn,
                msg: msg.clone(),
            });
        }
    }

    /// A random subset of registered peers, without the one at `exclude`, spread over
    /// address groups (peer-protocol.md §2.3): when a uniform sample holds two peers of
    /// one group while some group is missing, the list is drawn again group by group.
    fn sample_peers(&mut self, exclude: Option<usize>) -> Vec<SocketAddr> {
        let n = self.peers.len() - usize::from(exclude.is_some());
        let k = self.config.peer_list_size.min(MAX_PEER_LIST);
        let at = |j: usize| match exclude {
            Some(x) if j >= x => j + 1,
            _ => j,
        };
        let picked: Vec<usize> = self.rng.sample(n, k).into_iter().map(at).collect();
        let mut seen = std::collections::BTreeSet::new();
        let crowded = picked
            .iter()
            .any(|&i| !seen.insert(group_of(self.peers[i].0.ip())));
        if !crowded || picked.len() == n {
            return picked.into_iter().map(|i| self.peers[i].0).collect();
        }
        // Some group appears twice: group every candidate (O(n), only in this case).
        let mut groups: BTreeMap<NetGroup, Vec<usize>> = BTreeMap::new();
        for j in 0..n {
            let i = at(j);
            groups
                .entry(group_of(self.peers[i].0.ip()))
                .or_default()
                .push(i);
        }
        if groups.len() >= k || groups.len() > seen.len() {
            spread_over_groups(&mut self.rng, groups.into_values().collect(), k)
                .into_iter()
                .map(|i| self.peers[i].0)
                .collect()
        } else {
            picked.into_iter().map(|i| self.peers[i].0).collect()
        }
    }

    /// Answers a `get-peers` (or repeated `register`) of registered `conn` with a
    /// `peer-list`, if its budget allows; otherwise closes it as misbehaving.
    fn answer_get_peers(&mut self, conn: ConnId, now: Time) {
        let refill = whole_ms(self.config.get_peers_refill).max(1);
        let burst = u64::from(self.config.get_peers_burst);
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        e.last_seen = now;
        let next = e.peers_budget.0.max(now.0).saturating_add(refill);
        if next > now.0.saturating_add(burst.saturating_mul(refill)) {
            let what = format!("get-peers over budget ({burst} at once, then one per {refill} ms)");
            self.remove_conn(conn, true);
            self.refuse(
                conn,
                RejectCode::Policy,
                &what,
                DisconnectReason::Misbehaviour(what.clone()),
            );
            return;
        }
        e.peers_budget = Time(next);
        let me = e.registered.and_then(|a| self.index.get(&a).copied());
        let peers = self.sample_peers(me);
        self.send(conn, Message::PeerList { peers });
    }

    /// Forgets a connection; if it was registered, tells everyone it left (when
    /// `announce`).
    fn remove_conn(&mut self, conn: ConnId, announce: bool) {
        let Some(entry) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(n) = self.per_ip.get_mut(&entry.ip) {
            *n -= 1;
            if *n == 0 {
                self.per_ip.remove(&entry.ip);
            }
        }
        let Some(addr) = entry.registered else {
            return;
        };
        let Some(&i) = self.index.get(&addr) else {
            return;
        };
        if self.peers[i].1 != conn {
            return;
        }
        self.peers.swap_remove(i);
        self.index.remove(&addr);
        if let Some(&(moved, _)) = self.peers.get(i) {
            self.index.insert(moved, i);
        }
        if announce {
            info!(target: "tracker", "peer {addr} left ({} registered)", self.peers.len());
            self.notify(None, &Message::PeerLeft { addr });
            self.actions
                .push_back(Action::Event(Event::Unregistered { addr }));
        }
    }

    fn register(&mut self, conn: ConnId, listen_port: u16, now: Time) {
        let Some(entry) = self.conns.get(&conn) else {
            return;
        };
        if listen_port == 0 {
            self.violation(conn, "listen port 0");
            return;
        }
        let addr = SocketAddr::new(entry.ip, listen_port);
        if let Some(old) = entry.registered {
            if old == addr {
                // A repeated registration: a heartbeat that also asks for peers.
                self.answer_get_peers(conn, now);
            } else {
                self.violation(conn, "registered twice under different ports");
            }
            return;
        }
        let mut replaced = false;
        if let Some(&i) = self.index.get(&addr) {
            let holder = self.peers[i].1;
            let live = self
                .conns
                .get(&holder)
                .is_some_and(|h| now.since(h.last_seen) < self.config.heartbeat_timeout);
            if live {
                // Refused: a takeover would let any process on the same IP kick a live
                // peer off. The holder must miss its heartbeats first.
                self.remove_conn(conn, false);
                self.refuse(
                    conn,
                    RejectCode::Duplicate,
                    "address already registered by a live connection",
                    DisconnectReason::Duplicate,
                );
                return;
            }
            // The holder's heartbeat deadline has passed but no sweep has dropped it
            // yet: drop it now, as the sweep would have, without announcing a change
            // that is undone at once.
            debug!(target: "tracker", "{addr} registered again: dropping silent connection {holder}");
            self.remove_conn(holder, false);
            self.actions.push_back(Action::Disconnect {
                conn: holder,
                reason: DisconnectReason::Timeout("heartbeat"),
            });
            replaced = true;
        }
        let peers = self.sample_peers(None);
        self.send(conn, Message::PeerList { peers });
        if let Some(e) = self.conns.get_mut(&conn) {
            e.registered = Some(addr);
            e.last_seen = now;
        }
        self.index.insert(addr, self.peers.len());
        self.peers.push((addr, conn));
        if !replaced {
            self.notify(Some(self.peers.len() - 1), &Message::PeerJoined { addr });
        }
        info!(target: "tracker", "peer {addr} registered ({} registered)", self.peers.len());
        self.actions
            .push_back(Action::Event(Event::Registered { addr }));
    }

    fn sweep(&mut self, now: Time) {
        let hb = self.config.heartbeat_timeout;
        let reg = self.config.register_timeout;
        let expired: Vec<(ConnId, bool)> = self
            .conns
            .iter()
            .filter_map(|(&c, e)| {
                let limit = if e.registered.is_some() { hb } else { reg };
                (now.since(e.last_seen) >= limit).then_some((c, e.registered.is_some()))
            })
            .collect();
        for (conn, registered) in expired {
            self.remove_conn(conn, true);
            let what = if registered {
                "heartbeat"
            } else {
                "registration"
            };
            debug!(target: "tracker", "connection {conn}: {what} timeout");
            self.actions.push_back(Action::Disconnect {
                conn,
                reason: DisconnectReason::Timeout(what),
            });
        }
    }
}

impl Service for Tracker {
    fn on_connected(
        &mut self,
        conn: ConnId,
        addr: SocketAddr,
        _dir: Direction,
        _role: Role,
        now: Time,
    ) {
        if self.conns.contains_key(&conn) {
            return;
        }
        let ip = addr.ip().to_canonical();
        if self.conns.len() >= self.config.max_peers {
            self.refuse(
                conn,
                RejectCode::TooManyPeers,
                "tracker is full",
                DisconnectReason::TooManyConnections,
            );
            return;
        }
        let from_ip = self.per_ip.get(&ip).copied().unwrap_or(0);
        if from_ip >= self.config.max_per_ip {
            self.refuse(
                conn,
                RejectCode::Policy,
                "too many connections from this address",
                DisconnectReason::TooManyConnections,
            );
            return;
        }
        self.per_ip.insert(ip, from_ip + 1);
        self.conns.insert(
            conn,
            ConnEntry {
                ip,
                last_seen: now,
                registered: None,
                peers_budget: now,
            },
        );
        if self.next_sweep.is_none() {
            self.next_sweep = Some(now + self.config.sweep_interval);
        }
    }

    fn on_connect_failed(&mut self, _addr: SocketAddr, _role: Role, _now: Time) {}

    fn on_message(&mut self, conn: ConnId, msg: Message, now: Time) {
        let Some(entry) = self.conns.get_mut(&conn) else {
            return;
        };
        match (entry.registered.is_some(), msg) {
            (_, Message::Register { listen_port }) => self.register(conn, listen_port, now),
            (false, _) => self.violation(conn, "first message must be register"),
            (true, Message::Heartbeat) => entry.last_seen = now,
            (true, Message::GetPeers) => self.answer_get_peers(conn, now),
            (true, Message::Error { code, message }) => {
                debug!(target: "tracker", "connection {conn} reports error {code:?}: {message:?}");
            }
            (true, _) => self.violation(conn, "peer-protocol message sent to the tracker"),
        }
    }

    fn on_disconnected(&mut self, conn: ConnId, reason: &DisconnectReason, _now: Time) {
        if let DisconnectReason::Frame(FrameError::BadMagic { found }) = reason {
            // The reactor refused the first frame: the sender is on another network
            // (or speaks no cheesechain at all). It would retry forever in silence.
            let ip = self.conns.get(&conn).map(|e| e.ip);
            let ip = ip.map_or_else(|| "?".to_string(), |ip| ip.to_string());
            let theirs = match NetworkParams::name_of_magic(*found) {
                Some(name) => format!("network {name} (magic {})", hex(found)),
                None => format!("unknown magic {}", hex(found)),
            };
            warn!(
                target: "tracker",
                "refused connection {conn} from {ip}: it speaks {theirs}, this tracker serves {}",
                self.config.network
            );
        }
        self.remove_conn(conn, true);
    }

    fn on_tick(&mut self, now: Time) {
        match self.next_sweep {
            Some(t) if t <= now => {
                self.sweep(now);
                self.next_sweep = (!self.conns.is_empty())
                    .then(|| now + self.config.sweep_interval.max(Duration::from_millis(1)));
            }
            _ => {}
        }
    }

    fn next_deadline(&self) -> Option<Time> {
        self.next_sweep
    }

    fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}

/// Draws `k` members (or all there are) from `groups`, round by round: each round
/// visits the groups still holding members in a random order and takes one random
/// member of each, so no group gets a second entry before every group has one.
fn spread_over_groups(rng: &mut SplitMix64, mut groups: Vec<Vec<usize>>, k: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(k);
    while out.len() < k && !groups.is_empty() {
        for g in rng.sample(groups.len(), groups.len()) {
            if out.len() == k {
                break;
            }
            let members = &mut groups[g];
            let m = rng.below(members.len() as u64) as usize;
            out.push(members.swap_remove(m));
        }
        groups.retain(|g| !g.is_empty());
    }
    out
}

#[cfg(test)]
mod spread_tests {
    use super::*;

    #[test]
    fn no_group_gets_a_second_entry_before_every_group_has_one() {
        let mut rng = SplitMix64::new(7);
        // Group 0 holds 150 members (Sybils on one address), groups 1..=5 one each.
        let mut groups = vec![(0..150).collect::<Vec<usize>>()];
        groups.extend((1..=5).map(|g| vec![1000 + g]));
        for k in [3, 6, 20] {
            let out = spread_over_groups(&mut rng, groups.clone(), k);
            assert_eq!(out.len(), k);
            let sybils = out.iter().filter(|&&i| i < 1000).count();
            let honest = k - sybils;
            match k {
                3 => assert!(sybils <= 1, "3 entries from 3 distinct groups: {out:?}"),
                6 => assert_eq!((sybils, honest), (1, 5), "one entry per group: {out:?}"),
                _ => assert_eq!(honest, 5, "every lone group listed: {out:?}"),
            }
            let mut uniq = out.clone();
            uniq.sort_unstable();
            uniq.dedup();
            assert_eq!(uniq.len(), k, "no member twice");
        }
    }
}
