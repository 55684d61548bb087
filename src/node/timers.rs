//! Named timer slots, after quinn-proto's `TimerTable`: the node keeps one deadline per
//! slot (per node and per peer); a slot is set where its event happens and stopped when
//! it is handled, and [`Service::next_deadline`] is the earliest armed slot.
//!
//! Outstanding requests have no slot each: a peer's [`PeerTimer::BlockRequest`] slot
//! holds the earliest deadline of the blocks requested of it, and the node's
//! [`Timer::TxRequest`] the earliest of the transaction requests. Both move only when
//! that earliest request is made or removed (then the others are scanned), so the
//! usual request and answer touch no table (instead of a `Block(hash)` or `Tx(hash)`
//! entry per request: 1000-peer sim 5.17 -> 4.71 s user, ratio to pre-timer 1.22 ->
//! 1.08 in alternating runs on a loaded machine, measured 2026-12-02).

use super::*;

/// A node's timer slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// Reconnect to the tracker after backoff.
    TrackerRetry,
    /// Send the tracker a heartbeat.
    Heartbeat,
    /// An address waiting out its retry delay becomes usable.
    ConnectRetry,
    /// The earliest outstanding transaction request may be asked of someone else.
    TxRequest,
    /// The stale-tip check looks whether the tip moved.
    StaleTip,
    /// The earliest of a peer's slots ([`PeerTimers`]).
    Peer(ConnId),
}

/// A peer's timer slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PeerTimer {
    /// The version handshake must be done.
    Handshake,
    /// The connection has been silent too long. Armed from the last message seen when
    /// the peer's timers are re-armed, not moved on every message: firing early only
    /// re-arms it from the newer last message.
    Idle,
    /// The next ping is due.
    Ping,
    /// The outstanding ping must be answered.
    PongTimeout,
    /// The outstanding header request must be answered.
    HeadersRequest,
    /// The earliest of the blocks requested of the peer must have arrived. Set when a
    /// request is made, moved when the request holding it is answered or dropped;
    /// requests that timed out leave it (their peer is being closed).
    BlockRequest,
    /// The blocks the peer answered `not-found` for may be asked of it again.
    LacksRetry,
}

/// How many slots a peer has.
const PEER_SLOTS: usize = 7;

/// The deadlines of one peer's slots, kept with the peer; the node's [`TimerTable`]
/// holds only their earliest, so re-arming a peer whose earliest deadline did not
/// change costs no table update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerTimers {
    /// By [`PeerTimer`]; [`PeerTimers::OFF`] marks a disarmed slot (56 bytes instead of
    /// 112 for `Option`s, in a struct read on every message).
    slots: [Time; PEER_SLOTS],
}

impl Default for PeerTimers {
    fn default() -> PeerTimers {
        PeerTimers {
            slots: [PeerTimers::OFF; PEER_SLOTS],
        }
    }
}

impl PeerTimers {
    /// The value of a disarmed slot.
    const OFF: Time = Time(u64::MAX);

    /// The deadline of slot `t`, if armed.
    pub fn get(&self, t: PeerTimer) -> Option<Time> {
        Some(self.slots[t as usize]).filter(|&d| d != PeerTimers::OFF)
    }

    /// Arms slot `t` at `at`, or disarms it for `None`.
    pub fn set(&mut self, t: PeerTimer, at: Option<Time>) {
        self.slots[t as usize] = at.unwrap_or(PeerTimers::OFF);
    }

    /// The earliest armed slot.
    pub fn earliest(&self) -> Option<Time> {
        Some(*self.slots.iter().min().expect("seven slots")).filter(|&d| d != PeerTimers::OFF)
    }
}

/// Armed slots with their deadlines: the node's own in an array, each peer's earliest
/// in a short unordered list (a dozen peers), and the earliest of all kept inline.
///
/// Flat arrays instead of a `BTreeMap` by slot plus a `BTreeSet` by deadline: an update
/// writes one entry and rescans the twenty or so others only when the earliest moved
/// later, with no allocation or pointer chase (1000-peer sim 5.29 -> 5.03 s user, ratio
/// to pre-timer 1.082 -> 1.029 in the same round-robin runs, measured 2026-12-02).
#[derive(Debug)]
pub(super) struct TimerTable {
    /// The earliest armed deadline ([`TimerTable::OFF`] for none), kept inline: the
    /// simulator asks for it after every event of every node.
    earliest: Time,
    /// The node's own slots, by [`TimerTable::node_slot`].
    node: [Time; NODE_SLOTS],
    /// Each peer with an armed slot, with its earliest deadline.
    peers: Vec<(ConnId, Time)>,
}

/// How many slots the node has of its own.
const NODE_SLOTS: usize = 5;

impl Default for TimerTable {
    fn default() -> TimerTable {
        TimerTable {
            earliest: TimerTable::OFF,
            node: [TimerTable::OFF; NODE_SLOTS],
            peers: Vec::new(),
        }
    }
}

impl TimerTable {
    /// The value of a disarmed slot.
    const OFF: Time = Time(u64::MAX);

    /// The index in `node` of one of the node's own slots, or the peer of a peer's.
    fn node_slot(timer: Timer) -> Result<usize, ConnId> {
        match timer {
            Timer::TrackerRetry => Ok(0),
            Timer::Heartbeat => Ok(1),
            Timer::ConnectRetry => Ok(2),
            Timer::TxRequest => Ok(3),
            Timer::StaleTip => Ok(4),
            Timer::Peer(c) => Err(c),
        }
    }

    /// Stores `t` ([`TimerTable::OFF`] to disarm) in `timer`'s entry.
    fn put(&mut self, timer: Timer, t: Time) {
        let old = match TimerTable::node_slot(timer) {
            Ok(i) => std::mem::replace(&mut self.node[i], t),
            Err(c) => match self.peers.iter().position(|(p, _)| *p == c) {
                Some(i) if t == TimerTable::OFF => self.peers.swap_remove(i).1,
                Some(i) => std::mem::replace(&mut self.peers[i].1, t),
                None if t == TimerTable::OFF => return,
                None => {
                    self.peers.push((c, t));
                    TimerTable::OFF
                }
            },
        };
        if t < self.earliest {
            self.earliest = t;
        } else if old == self.earliest && t != old {
            let node = self.node.iter().copied().min();
            let peers = self.peers.iter().map(|(_, t)| *t).min();
            self.earliest = node.into_iter().chain(peers).min().expect("node slots");
        }
    }

    /// Arms `timer` at `t` (re-arms it if armed).
    pub(super) fn set(&mut self, timer: Timer, t: Time) {
        self.put(timer, t);
    }

    /// Disarms `timer`.
    pub(super) fn stop(&mut self, timer: Timer) {
        self.put(timer, TimerTable::OFF);
    }

    /// Arms `timer` at `t`, or disarms it for `None`.
    pub(super) fn set_or_stop(&mut self, timer: Timer, t: Option<Time>) {
        self.put(timer, t.unwrap_or(TimerTable::OFF));
    }

    /// The deadline of `timer`, if armed.
    pub(super) fn get(&self, timer: Timer) -> Option<Time> {
        let t = match TimerTable::node_slot(timer) {
            Ok(i) => self.node[i],
            Err(c) => self
                .peers
                .iter()
                .find(|(p, _)| *p == c)
                .map_or(TimerTable::OFF, |(_, t)| *t),
        };
        Some(t).filter(|&t| t != TimerTable::OFF)
    }

    /// The earliest armed deadline.
    pub(super) fn next(&self) -> Option<Time> {
        Some(self.earliest).filter(|&t| t != TimerTable::OFF)
    }
}

impl Node {
    /// Re-arms the node's own slots (tracker link and connect retry) from its state.
    /// Cheap: called after every input.
    pub(super) fn arm_node_timers(&mut self) {
        // Same condition as `tracker_tick`: without a listen port the tracker is never
        // contacted, so it has no timers.
        let tracker = self.cfg.tracker.is_some() && self.cfg.listen_port != 0;
        let link = &self.tracker;
        let heartbeat = (tracker && link.conn.is_some()).then_some(link.next_heartbeat);
        let retry = (tracker && link.conn.is_none() && !link.connecting).then_some(link.retry_at);
        self.timers.set_or_stop(Timer::Heartbeat, heartbeat);
        self.timers.set_or_stop(Timer::TrackerRetry, retry);
        self.timers
            .set_or_stop(Timer::ConnectRetry, self.addrs.next_retry());
    }

    /// Re-arms the slots of the peer on `conn` from its state (handshake, idle, ping,
    /// pong, header request, not-found retry), and its entry in the node's table if its earliest
    /// deadline moved.
    pub(super) fn arm_peer_timers(&mut self, conn: ConnId) {
        let Some(p) = self.peers.get_mut(&conn) else {
            return;
        };
        let ready = p.is_ready();
        let handshake = (!ready).then(|| p.connected_at + self.cfg.handshake_timeout);
        let idle = p.last_recv + self.cfg.idle_timeout;
        let (ping, pong) = match p.ping {
            PingState::AwaitingPong { sent, .. } => (None, Some(sent + self.cfg.ping_timeout)),
            PingState::Idle { next } if ready => (Some(next), None),
            PingState::Idle { .. } => (None, None),
        };
        let before = p.timers.earliest();
        let t = &mut p.timers;
        t.set(PeerTimer::Handshake, handshake);
        t.set(PeerTimer::Idle, Some(idle));
        t.set(PeerTimer::Ping, ping);
        t.set(PeerTimer::PongTimeout, pong);
        t.set(PeerTimer::HeadersRequest, p.headers_deadline);
        t.set(PeerTimer::LacksRetry, p.lacks_until);
        let after = p.timers.earliest();
        if after != before {
            self.timers.set_or_stop(Timer::Peer(conn), after);
        }
    }

    /// Disarms the slots of the peer on `conn`: all of them if it is gone, its own
    /// (not its [`PeerTimer::BlockRequest`]) if it is being closed, as its requests not
    /// yet due stay armed until the close drops them.
    pub(super) fn stop_peer_timers(&mut self, conn: ConnId) {
        let Some(p) = self.peers.get_mut(&conn) else {
            self.timers.stop(Timer::Peer(conn));
            return;
        };
        let requests = p.timers.get(PeerTimer::BlockRequest);
        p.timers = PeerTimers::default();
        p.timers.set(PeerTimer::BlockRequest, requests);
        self.timers.set_or_stop(Timer::Peer(conn), requests);
    }

    /// Sets the [`PeerTimer::BlockRequest`] slot of the peer on `conn`, and its entry in
    /// the node's table if its earliest deadline moved.
    fn set_block_request_timer(&mut self, conn: ConnId, at: Option<Time>) {
        let Some(p) = self.peers.get_mut(&conn) else {
            return;
        };
        let before = p.timers.earliest();
        p.timers.set(PeerTimer::BlockRequest, at);
        let after = p.timers.earliest();
        if after != before {
            self.timers.set_or_stop(Timer::Peer(conn), after);
        }
    }

    /// A block was requested of the peer on `conn`, due at `deadline`.
    pub(super) fn block_request_made(&mut self, conn: ConnId, deadline: Time) {
        let Some(p) = self.peers.get(&conn) else {
            return;
        };
        if p.timers
            .get(PeerTimer::BlockRequest)
            .is_none_or(|d| deadline < d)
        {
            self.set_block_request_timer(conn, Some(deadline));
        }
    }

    /// The block request of the peer on `conn` due at `deadline` was answered or
    /// dropped (and removed from `block_requests`). If it held the peer's slot, the slot
    /// moves to the earliest of its other requests: those at or after `deadline` (any
    /// earlier one timed out and was handled).
    pub(super) fn block_request_done(&mut self, conn: ConnId, deadline: Time) {
        let Some(p) = self.peers.get(&conn) else {
            return;
        };
        if p.timers.get(PeerTimer::BlockRequest) != Some(deadline)
            || !self.retime_now(conn, deadline)
        {
            return;
        }
        let next = self.block_requests.earliest_of(conn, |d| d >= deadline);
        self.set_block_request_timer(conn, next);
    }

    /// The block requests of the peer on `conn` due by `now` timed out and were
    /// handled (the peer is being closed): its slot moves to the earliest of those not
    /// yet due.
    pub(super) fn block_requests_expired(&mut self, conn: ConnId, now: Time) {
        let next = self.block_requests.earliest_of(conn, |d| d > now);
        self.set_block_request_timer(conn, next);
    }

    /// A transaction was requested, due at `deadline`.
    pub(super) fn tx_request_made(&mut self, deadline: Time) {
        if self
            .timers
            .get(Timer::TxRequest)
            .is_none_or(|d| deadline < d)
        {
            self.timers.set(Timer::TxRequest, deadline);
        }
    }

    /// The transaction request due at `deadline` was answered or dropped (and removed
    /// from `tx_requests`): if it held the slot, the slot moves to the earliest of the
    /// others.
    pub(super) fn tx_request_done(&mut self, deadline: Time) {
        if self.timers.get(Timer::TxRequest) == Some(deadline) {
            self.tx_requests_changed();
        }
    }

    /// Re-arms [`Timer::TxRequest`] from every outstanding transaction request.
    pub(super) fn tx_requests_changed(&mut self) {
        let next = self.tx_requests.earliest();
        self.timers.set_or_stop(Timer::TxRequest, next);
    }
}
