//! Timer rules of the peer node: after a tick at `now` has been handled (and its
//! actions drained), the node never reports a deadline at or before `now`, which would
//! make a reactor spin.

use cheesechain::chain::{Hash256, NetworkParams};
use cheesechain::node::{Node, NodeConfig};
use cheesechain::service::{Action, ConnId, Direction, DisconnectReason, Role, Service, Time};
use cheesechain::wire::{InvItem, InvKind, Message, Version, PROTOCOL_VERSION};
use proptest::prelude::*;
use std::net::SocketAddr;
use std::time::Duration;

fn start_time(params: &NetworkParams) -> Time {
    Time(params.genesis_time as u64 * 1000 + 60_000)
}

fn drain(n: &mut Node) {
    while n.poll_action().is_some() {}
}

/// A node with a tracker but no listening port never contacts the tracker (it has no
/// address to register), so it must not report the tracker retry time either.
#[test]
fn a_tracker_node_without_a_listen_port_reports_no_stale_retry_deadline() {
    let params = NetworkParams::regtest();
    let now = start_time(&params);
    let mut cfg = NodeConfig::new(params);
    cfg.tracker = Some("127.0.0.1:7878".parse::<SocketAddr>().unwrap());
    cfg.listen_port = 0;
    let (mut node, _) = Node::new(cfg, Vec::new(), now);
    for step in 0..3 {
        let t = Time(now.0 + step * 1000);
        node.on_tick(t);
        drain(&mut node);
        let d = node.next_deadline();
        assert!(
            d.is_none_or(|d| d > t),
            "deadline {d:?} not after the handled tick {t:?}"
        );
    }
}

/// One input of the property test.
#[derive(Clone, Debug)]
enum Op {
    /// Time passes; the node is ticked if its deadline is due (or `early`).
    Tick { ms: u64, early: bool },
    /// A peer connection opens (inbound, or outbound to a learned address).
    Connect { inbound: bool, who: u8 },
    /// A peer connection closes.
    Close { pick: u8 },
    /// A peer sends a message (`kind` picks which).
    Msg { pick: u8, kind: u8, x: u64 },
    /// The tracker connection opens, fails, closes, or sends a peer list.
    Tracker { kind: u8, who: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..40_000, any::<bool>()).prop_map(|(ms, early)| Op::Tick { ms, early }),
        2 => (any::<bool>(), 0u8..6).prop_map(|(inbound, who)| Op::Connect { inbound, who }),
        1 => any::<u8>().prop_map(|pick| Op::Close { pick }),
        4 => (any::<u8>(), 0u8..10, any::<u64>()).prop_map(|(pick, kind, x)| Op::Msg { pick, kind, x }),
        1 => (0u8..4, 0u8..6).prop_map(|(kind, who)| Op::Tracker { kind, who }),
    ]
}

fn peer_addr(who: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, who + 1], 9000 + u16::from(who)))
}

struct Harness {
    node: Node,
    now: Time,
    next_conn: ConnId,
    peers: Vec<ConnId>,
    tracker: Option<ConnId>,
    tracker_addr: SocketAddr,
    /// Deliver the node's own disconnects back to it at once (a reactor does), or
    /// leave the connection open for a while (a slow one).
    deliver_disconnects: bool,
    last_ping: u64,
}

impl Harness {
    fn conn(&mut self) -> ConnId {
        self.next_conn += 1;
        self.next_conn
    }

    fn drain(&mut self) {
        while let Some(a) = self.node.poll_action() {
            match a {
                Action::Disconnect { conn, reason } if self.deliver_disconnects => {
                    if self.tracker == Some(conn) {
                        self.tracker = None;
                    }
                    self.peers.retain(|c| *c != conn);
                    let now = self.now;
                    self.node.on_disconnected(conn, &reason, now);
                }
                Action::Send {
                    msg: Message::Ping { nonce },
                    ..
                } => self.last_ping = nonce,
                _ => {}
            }
        }
    }

    fn apply(&mut self, op: Op) {
        let now = self.now;
        match op {
            Op::Tick { ms, early } => {
                self.now += Duration::from_millis(ms);
                let now = self.now;
                let due = self.node.next_deadline().is_some_and(|d| d <= now);
                if due || early {
                    self.node.on_tick(now);
                    self.drain();
                    let d = self.node.next_deadline();
                    assert!(
                        d.is_none_or(|d| d > now),
                        "deadline {d:?} not after the handled tick {now:?}"
                    );
                }
            }
            Op::Connect { inbound, who } => {
                let c = self.conn();
                let dir = if inbound {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                };
                self.peers.push(c);
                self.node
                    .on_connected(c, peer_addr(who), dir, Role::Peer, now);
            }
            Op::Close { pick } => {
                if !self.peers.is_empty() {
                    let c = self.peers.remove(pick as usize % self.peers.len());
                    self.node
                        .on_disconnected(c, &DisconnectReason::RemoteClosed, now);
                }
            }
            Op::Msg { pick, kind, x } => {
                if self.peers.is_empty() {
                    return;
                }
                let c = self.peers[pick as usize % self.peers.len()];
                let hash = Hash256::sha256(&x.to_le_bytes());
                let msg = match kind {
                    0 | 1 => Message::Version(Version {
                        version: PROTOCOL_VERSION as u32,
                        network_id: self.node.chain().network_id(),
                        nonce: x | 1,
                        best_height: (x % 5) as u32,
                        listen_port: if x % 2 == 0 { 0 } else { 9000 },
                    }),
                    2 | 3 => Message::Verack,
                    4 => Message::Ping { nonce: x },
                    5 => Message::Pong {
                        nonce: if x % 4 == 0 { x } else { self.last_ping },
                    },
                    6 => Message::Inv {
                        items: vec![InvItem {
                            kind: if x % 2 == 0 {
                                InvKind::Block
                            } else {
                                InvKind::Tx
                            },
                            hash,
                        }],
                    },
                    7 => Message::Headers {
                        headers: Vec::new(),
                    },
                    8 => Message::NotFound {
                        items: vec![InvItem {
                            kind: InvKind::Tx,
                            hash,
                        }],
                    },
                    _ => Message::GetHeaders {
                        locator: vec![hash],
                        stop: Hash256::ZERO,
                    },
                };
                self.node.on_message(c, msg, now);
            }
            Op::Tracker { kind, who } => match (kind, self.tracker) {
                (0, None) => {
                    let c = self.conn();
                    self.tracker = Some(c);
                    let a = self.tracker_addr;
                    self.node
                        .on_connected(c, a, Direction::Outbound, Role::Tracker, now);
                }
                (1, None) => {
                    let a = self.tracker_addr;
                    self.node.on_connect_failed(a, Role::Tracker, now);
                }
                (1, Some(c)) | (2, Some(c)) => {
                    self.tracker = None;
                    self.node
                        .on_disconnected(c, &DisconnectReason::RemoteClosed, now);
                }
                (3, Some(c)) => {
                    let peers = (0..=who).map(peer_addr).collect();
                    self.node.on_message(c, Message::PeerList { peers }, now);
                }
                (_, _) => {
                    self.node.on_connect_failed(peer_addr(who), Role::Peer, now);
                }
            },
        }
        self.drain();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// After handling a due deadline at `now` (and draining the actions), the next
    /// deadline is `None` or later than `now`, whatever happened before.
    #[test]
    fn a_handled_deadline_is_never_reported_again(
        tracker in any::<bool>(),
        listening in any::<bool>(),
        deliver_disconnects in any::<bool>(),
        max_outbound in 0usize..4,
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let params = NetworkParams::regtest();
        let now = start_time(&params);
        let mut cfg = NodeConfig::new(params);
        let tracker_addr: SocketAddr = "10.0.0.100:7878".parse().unwrap();
        cfg.tracker = tracker.then_some(tracker_addr);
        cfg.listen_port = if listening { 9100 } else { 0 };
        cfg.max_outbound = max_outbound;
        cfg.seed = 7;
        let (node, _) = Node::new(cfg, Vec::new(), now);
        let mut h = Harness {
            node,
            now,
            next_conn: 0,
            peers: Vec::new(),
            tracker: None,
            tracker_addr,
            deliver_disconnects,
            last_ping: 0,
        };
        for op in ops {
            h.apply(op);
        }
    }
}
