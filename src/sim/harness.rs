//! A small in-memory harness: real nodes wired directly, with instant in-order delivery.
//!
//! The in-memory tests (`tests/node_pair.rs`) drive a handful of [`Node`]s with it,
//! without sockets and without the simulator's latency model. Both it and the
//! simulator's event loop check the same timer rule ([`timer_rule`]) after every tick.

use crate::chain::keys::{account_of, secret_from_bytes};
use crate::chain::{Hash256, NetworkParams};
use crate::node::{Node, NodeConfig};
use crate::service::{Action, ConnId, Direction, DisconnectReason, Role, Service, Time};
use crate::wire::Message;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

/// The timer rule: once a service has handled its tick at `now` and its actions are
/// drained, its next deadline is `None` or later than `now` (else a reactor driving it
/// would wake it again at once, for nothing).
///
/// # Errors
/// The deadline at or before `now` that breaks the rule.
pub fn timer_rule(service: &dyn Service, now: Time) -> Result<(), Time> {
    match service.next_deadline() {
        Some(d) if d <= now => Err(d),
        _ => Ok(()),
    }
}

/// The listen address node `i` of a [`Harness`] appears at.
pub fn addr(i: usize) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, i as u8 + 1], 9000 + i as u16))
}

/// Real nodes connected in memory; every message sent is delivered at once, in order.
///
/// The harness panics when a node breaks a rule it checks: a block stored before its
/// parent, or the [`timer_rule`] after a tick.
pub struct Harness {
    /// The nodes, by index.
    pub nodes: Vec<Node>,
    /// Conn id -> (owner node, remote node, remote's conn id).
    pub links: BTreeMap<ConnId, (usize, usize, ConnId)>,
    queue: VecDeque<(usize, ConnId, Message)>,
    /// Connections a node closed: (node, its connection, reason).
    pub closed: Vec<(usize, ConnId, DisconnectReason)>,
    /// Hashes each node asked to store, in order.
    pub stored: Vec<Vec<Hash256>>,
    /// A node whose messages are lost (it looks dead to its peers).
    pub muted: Option<usize>,
    /// Every message sent: (sender, its connection, message type).
    pub sends: Vec<(usize, ConnId, u16)>,
    next_conn: ConnId,
    /// The harness's clock.
    pub now: Time,
}

impl Harness {
    /// `n` regtest nodes that open no connections themselves (the harness makes them)
    /// and accept any number; the nodes in `miners` mine to their own keys.
    pub fn new(n: usize, miners: &[usize]) -> Harness {
        Harness::with_config(n, miners, |_, _| {})
    }

    /// As [`Harness::new`], with `tweak(i, config)` applied to each node's settings
    /// (a strategy, a tie-break) before the node is made.
    pub fn with_config(
        n: usize,
        miners: &[usize],
        tweak: impl Fn(usize, &mut NodeConfig),
    ) -> Harness {
        let params = NetworkParams::regtest();
        let now = Time(params.genesis_time as u64 * 1000 + 60_000);
        let nodes = (0..n)
            .map(|i| {
                let mut cfg = NodeConfig::new(params.clone());
                cfg.seed = i as u64 + 1;
                cfg.listen_port = 9000 + i as u16;
                cfg.max_outbound = 0;
                // The harness makes every connection itself: none is refused for the cap.
                cfg.max_inbound = n;
                cfg.max_handshaking = n;
                if miners.contains(&i) {
                    let sk = secret_from_bytes([i as u8 + 1; 32]).expect("valid key");
                    cfg.mine_to = Some(account_of(&sk));
                }
                tweak(i, &mut cfg);
                Node::new(cfg, Vec::new(), now).0
            })
            .collect();
        Harness {
            nodes,
            links: BTreeMap::new(),
            queue: VecDeque::new(),
            closed: Vec::new(),
            stored: vec![Vec::new(); n],
            muted: None,
            sends: Vec::new(),
            next_conn: 1,
            now,
        }
    }

    /// Connects node `a` (outbound) to node `b` (inbound) and delivers until quiet.
    pub fn connect(&mut self, a: usize, b: usize) {
        let (ca, cb) = (self.next_conn, self.next_conn + 1);
        self.next_conn += 2;
        self.links.insert(ca, (a, b, cb));
        self.links.insert(cb, (b, a, ca));
        let now = self.now;
        self.nodes[b].on_connected(cb, addr(a), Direction::Inbound, Role::Peer, now);
        self.nodes[a].on_connected(ca, addr(b), Direction::Outbound, Role::Peer, now);
        self.pump();
    }

    /// Applies every queued action of node `i`; true if there was any.
    fn drain(&mut self, i: usize) -> bool {
        let mut any = false;
        while let Some(a) = self.nodes[i].poll_action() {
            any = true;
            match a {
                Action::Send { .. } if self.muted == Some(i) => {}
                Action::Send { conn, msg } => {
                    self.sends.push((i, conn, msg.msg_type()));
                    self.queue.push_back((i, conn, msg));
                }
                Action::Disconnect { conn, reason } => {
                    if let Some((owner, remote, rc)) = self.links.remove(&conn) {
                        self.links.remove(&rc);
                        let now = self.now;
                        self.nodes[owner].on_disconnected(conn, &reason, now);
                        self.nodes[remote].on_disconnected(
                            rc,
                            &DisconnectReason::RemoteClosed,
                            now,
                        );
                        self.closed.push((owner, conn, reason));
                    }
                }
                Action::StoreBlock(b) => {
                    // Every stored block's parent is genesis or stored before.
                    let genesis = self.nodes[i].config().params.genesis_block().hash();
                    assert!(
                        b.header.prev == genesis || self.stored[i].contains(&b.header.prev),
                        "node {i} stored {} before its parent",
                        b.hash()
                    );
                    self.stored[i].push(b.hash());
                }
                _ => {}
            }
        }
        any
    }

    /// Delivers every queued action until all nodes are quiet.
    pub fn pump(&mut self) {
        for _ in 0..1_000_000 {
            let mut progressed = false;
            for i in 0..self.nodes.len() {
                progressed |= self.drain(i);
            }
            if let Some((_, conn, msg)) = self.queue.pop_front() {
                progressed = true;
                if let Some(&(_, remote, rc)) = self.links.get(&conn) {
                    let now = self.now;
                    self.nodes[remote].on_message(rc, msg, now);
                }
            }
            if !progressed {
                return;
            }
        }
        panic!("network did not go quiet");
    }

    /// Ticks node `i` at the current time, drains its actions and checks the
    /// [`timer_rule`].
    fn tick_node(&mut self, i: usize) {
        let now = self.now;
        self.nodes[i].on_tick(now);
        self.drain(i);
        if let Err(d) = timer_rule(&self.nodes[i], now) {
            panic!("node {i}: ticked at {now:?}, next deadline {d:?} is not later");
        }
    }

    /// Advances the clock by `ms`, ticks every node and delivers until quiet.
    pub fn tick(&mut self, ms: u64) {
        self.now += Duration::from_millis(ms);
        for i in 0..self.nodes.len() {
            self.tick_node(i);
        }
        self.pump();
    }

    /// Advances to the earliest deadline any node asked for (as a reactor would),
    /// ticks the nodes that are due and delivers until quiet.
    pub fn run_timers(&mut self) {
        let next = self.nodes.iter().filter_map(|n| n.next_deadline()).min();
        let next = next.expect("a started node always has a deadline");
        self.now = self.now.max(next);
        let now = self.now;
        for i in 0..self.nodes.len() {
            if self.nodes[i].next_deadline().is_some_and(|d| d <= now) {
                self.tick_node(i);
            }
        }
        self.pump();
    }

    /// Lets node `i` mine until it found `blocks` more blocks, delivering as it goes.
    pub fn mine(&mut self, i: usize, blocks: u32) {
        let start = self.nodes[i].stats().blocks_mined;
        for _ in 0..10_000 {
            if self.nodes[i].stats().blocks_mined >= start + blocks as u64 {
                return;
            }
            let now = self.now;
            self.nodes[i].mine(64, now);
            self.pump();
        }
        panic!("node {i} could not mine");
    }
}
