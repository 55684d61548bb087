//! Named timer slots, after quinn-proto's `TimerTable`: the node keeps one deadline per
//! slot (per node, per peer and per outstanding request); a slot is set where its event
//! happens and stopped when it is handled, and [`Service::next_deadline`] is the
//! earliest armed slot.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// A node's timer slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Timer {
    /// Reconnect to the tracker after backoff.
    TrackerRetry,
    /// Send the tracker a heartbeat.
    Heartbeat,
    /// An address waiting out its retry delay becomes usable.
    ConnectRetry,
    /// The earliest of a peer's slots ([`PeerTimers`]).
    Peer(ConnId),
    /// A requested block must have arrived.
    Block(Hash256),
    /// A requested transaction may be asked of someone else.
    Tx(Hash256),
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
}

/// The deadlines of one peer's slots, kept with the peer; the node's [`TimerTable`]
/// holds only their earliest, so re-arming a peer whose earliest deadline did not
/// change costs no table update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerTimers {
    /// By [`PeerTimer`]; [`PeerTimers::OFF`] marks a disarmed slot (40 bytes instead of
    /// 80 for `Option`s, in a struct read on every message).
    slots: [Time; 5],
}

impl Default for PeerTimers {
    fn default() -> PeerTimers {
        PeerTimers {
            slots: [PeerTimers::OFF; 5],
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
        Some(*self.slots.iter().min().expect("five slots")).filter(|&d| d != PeerTimers::OFF)
    }
}

/// Armed slots with their deadlines, ordered by deadline.
#[derive(Debug, Default)]
pub(super) struct TimerTable {
    /// The earliest armed deadline, i.e. the first of `order`, kept inline: the
    /// simulator asks for it after every event of every node, and reading it must not
    /// walk a tree.
    earliest: Option<Time>,
    at: BTreeMap<Timer, Time>,
    order: BTreeSet<(Time, Timer)>,
}

impl TimerTable {
    /// Arms `timer` at `t` (re-arms it if armed).
    pub(super) fn set(&mut self, timer: Timer, t: Time) {
        match self.at.insert(timer, t) {
            Some(old) if old == t => return,
            Some(old) => {
                self.order.remove(&(old, timer));
            }
            None => {}
        }
        self.order.insert((t, timer));
        self.earliest = self.order.first().map(|(t, _)| *t);
    }

    /// Disarms `timer`.
    pub(super) fn stop(&mut self, timer: Timer) {
        if let Some(old) = self.at.remove(&timer) {
            self.order.remove(&(old, timer));
            self.earliest = self.order.first().map(|(t, _)| *t);
        }
    }

    /// Arms `timer` at `t`, or disarms it for `None`.
    pub(super) fn set_or_stop(&mut self, timer: Timer, t: Option<Time>) {
        match t {
            Some(t) => self.set(timer, t),
            None => self.stop(timer),
        }
    }

    /// The earliest armed deadline.
    pub(super) fn next(&self) -> Option<Time> {
        self.earliest
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
            .set_or_stop(Timer::ConnectRetry, self.next_connect_retry);
    }

    /// Re-arms the slots of the peer on `conn` from its state (handshake, idle, ping,
    /// pong, header request), and its entry in the node's table if its earliest
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
        let after = p.timers.earliest();
        if after != before {
            self.timers.set_or_stop(Timer::Peer(conn), after);
        }
    }

    /// Disarms every slot of the peer on `conn` (it is gone or being closed).
    pub(super) fn stop_peer_timers(&mut self, conn: ConnId) {
        if let Some(p) = self.peers.get_mut(&conn) {
            p.timers = PeerTimers::default();
        }
        self.timers.stop(Timer::Peer(conn));
    }
}
