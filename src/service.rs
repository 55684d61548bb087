//! The interface between a protocol state machine and whatever drives it.
//!
//! The tracker and the peer node implement [`Service`]: they take inputs (a connection
//! opened or closed, a message, a deadline reached, a mining budget) together with the
//! current time, and queue [`Action`]s. They own no socket and read no clock. The `mio`
//! reactor in [`crate::net`] drives them in the binaries; tests and the simulator drive
//! the very same code with virtual time.

use crate::chain::Block;
use crate::wire::{FrameError, Message};
use std::fmt;
use std::net::SocketAddr;
use std::ops::{Add, AddAssign};
use std::sync::Arc;
use std::time::Duration;

/// Identifies one connection for its whole life. Never reused within a process, so a
/// late event cannot reach a newer connection.
pub type ConnId = u64;

/// Milliseconds since the Unix epoch. Real time in the binaries, virtual time in the
/// simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Time(pub u64);

impl Time {
    /// Whole seconds since the Unix epoch (block timestamps use seconds).
    pub fn secs(self) -> u64 {
        self.0 / 1000
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Time) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// Whole milliseconds in `d`, rounded down, saturating at `u64::MAX`. The conversion
/// [`Time`] arithmetic uses: exact for durations of whole milliseconds.
pub fn whole_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Time {
    type Output = Time;

    /// `d` later (whole milliseconds of `d`, rounded down), saturating.
    fn add(self, d: Duration) -> Time {
        Time(self.0.saturating_add(whole_ms(d)))
    }
}

impl AddAssign<Duration> for Time {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

/// Who opened a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The remote side connected to our listener.
    Inbound,
    /// We connected out.
    Outbound,
}

/// What an outbound connection is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The connection to the tracker.
    Tracker,
    /// A connection to another peer.
    Peer,
    /// A client of the local control socket (always inbound; its address is a
    /// placeholder, as Unix sockets have none).
    Control,
}

/// A per-connection request budget (each a token bucket, see `spec/peer-protocol.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// `get-headers` requests, charged by the headers they make us send.
    GetHeaders,
    /// `get-data` items and `mempool` requests.
    GetData,
    /// `inv` items.
    Inventory,
    /// `ping`s.
    Ping,
    /// New headers that did not help: a branch with too little work to be stored, or
    /// headers too far ahead of the active tip.
    UselessHeaders,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Budget::GetHeaders => "get-headers",
            Budget::GetData => "get-data",
            Budget::Inventory => "inventory",
            Budget::Ping => "ping",
            Budget::UselessHeaders => "useless headers",
        })
    }
}

/// Why a connection is closed. Sent to the service in
/// [`Service::on_disconnected`] and chosen by it in [`Action::Disconnect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The remote side closed the connection.
    RemoteClosed,
    /// A socket error.
    Io(String),
    /// The byte stream broke the framing rules (bad magic, checksum, length, payload).
    Frame(FrameError),
    /// A well-formed message that is not allowed now (e.g. before the handshake).
    ProtocolViolation(&'static str),
    /// The remote side sent something provably invalid (bad proof of work, signature).
    Misbehaviour(String),
    /// The remote side asked for more than its per-connection budget allows.
    OverBudget(Budget),
    /// The remote side is on another network or protocol version.
    WrongNetwork,
    /// We connected to ourselves.
    SelfConnection,
    /// A second connection to a peer we are already connected to.
    Duplicate,
    /// A deadline passed (handshake, ping, request, heartbeat).
    Timeout(&'static str),
    /// Too many connections of this kind.
    TooManyConnections,
    /// Closed to give its inbound slot to a newcomer (all slots were taken).
    Evicted,
    /// An outbound peer closed by the stale-tip check: it had gone longest without
    /// telling us anything new while our tip was stale.
    StaleEvicted,
    /// The address is banned for misbehaviour.
    Banned,
    /// The remote side does not read: its outgoing queue is full.
    SendQueueFull,
    /// This process is shutting down.
    Shutdown,
    /// The node's operator asked for it (a control-socket `disconnect-peer`).
    Requested,
}

impl DisconnectReason {
    /// True for reasons that should get the remote address banned for a while.
    pub fn is_misbehaviour(&self) -> bool {
        matches!(
            self,
            DisconnectReason::Frame(_)
                | DisconnectReason::ProtocolViolation(_)
                | DisconnectReason::Misbehaviour(_)
                | DisconnectReason::OverBudget(_)
        )
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::RemoteClosed => f.write_str("closed by remote"),
            DisconnectReason::Io(e) => write!(f, "i/o error: {e}"),
            DisconnectReason::Frame(e) => write!(f, "framing error: {e}"),
            DisconnectReason::ProtocolViolation(w) => write!(f, "protocol violation: {w}"),
            DisconnectReason::Misbehaviour(w) => write!(f, "misbehaviour: {w}"),
            DisconnectReason::OverBudget(b) => write!(f, "over budget: {b}"),
            DisconnectReason::WrongNetwork => f.write_str("wrong network or protocol version"),
            DisconnectReason::SelfConnection => f.write_str("connection to self"),
            DisconnectReason::Duplicate => f.write_str("duplicate connection"),
            DisconnectReason::Timeout(w) => write!(f, "timeout: {w}"),
            DisconnectReason::TooManyConnections => f.write_str("too many connections"),
            DisconnectReason::Evicted => f.write_str("evicted for a new inbound peer"),
            DisconnectReason::StaleEvicted => {
                f.write_str("evicted by the stale-tip check (nothing new from it)")
            }
            DisconnectReason::Banned => f.write_str("banned"),
            DisconnectReason::SendQueueFull => f.write_str("send queue full"),
            DisconnectReason::Shutdown => f.write_str("shutting down"),
            DisconnectReason::Requested => f.write_str("closed on the operator's request"),
        }
    }
}

/// Something the driver must do on the service's behalf, in queue order.
#[derive(Clone, Debug)]
pub enum Action {
    /// Encode and send a message on a connection (ignored if the connection is gone).
    Send {
        /// The connection.
        conn: ConnId,
        /// The message.
        msg: Message,
    },
    /// Open an outbound connection. The driver answers later with
    /// [`Service::on_connected`] or [`Service::on_connect_failed`].
    Connect {
        /// Where to connect.
        addr: SocketAddr,
        /// What the connection is for.
        role: Role,
    },
    /// Close a connection after flushing what is queued for it. The driver then calls
    /// [`Service::on_disconnected`] with the same reason.
    Disconnect {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: DisconnectReason,
    },
    /// Persist a block durably. Queued before any announcement of that block; the block
    /// must be durable before the driver applies any later action. (A driver may write
    /// several blocks and make them durable together, holding back the actions queued
    /// after the first until then.)
    StoreBlock(Arc<Block>),
    /// Something worth showing or counting (status line, tests, simulator reports).
    Event(Event),
}

/// Observable events, for logs, status lines, tests and the simulator's reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The active chain's tip changed.
    TipChanged {
        /// New tip hash.
        tip: crate::chain::Hash256,
        /// New height.
        height: u32,
        /// Blocks disconnected on the way (0 = plain extension).
        reorg_depth: u32,
    },
    /// This node mined a block.
    BlockMined {
        /// Its hash.
        hash: crate::chain::Hash256,
        /// Its height.
        height: u32,
    },
    /// A peer completed the handshake.
    PeerConnected {
        /// The connection.
        conn: ConnId,
        /// Its address.
        addr: SocketAddr,
    },
    /// A peer connection closed.
    PeerDisconnected {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: DisconnectReason,
    },
    /// The tracker registered a peer.
    Registered {
        /// The peer's listen address.
        addr: SocketAddr,
    },
    /// The tracker removed a peer.
    Unregistered {
        /// The peer's listen address.
        addr: SocketAddr,
    },
}

/// A protocol state machine driven by a reactor or a simulator.
///
/// Every input method takes the current time; outputs are queued and drained with
/// [`Service::poll_action`]. Implementations never block, never read a clock and never
/// touch a socket.
pub trait Service {
    /// An outbound connection was established, or an inbound one accepted.
    fn on_connected(
        &mut self,
        conn: ConnId,
        addr: SocketAddr,
        dir: Direction,
        role: Role,
        now: Time,
    );
    /// An outbound connection could not be established.
    fn on_connect_failed(&mut self, addr: SocketAddr, role: Role, now: Time);
    /// A whole message arrived on a connection.
    fn on_message(&mut self, conn: ConnId, msg: Message, now: Time);
    /// The driver is about to deliver several messages that arrived together (one read
    /// from one connection), each by [`Service::on_message`], and will then call
    /// [`Service::batch_end`]. A service may put off work that each message would
    /// repeat (one tip change for a run of blocks) until then. Drivers that deliver one
    /// message at a time, like the simulator, never call it.
    fn batch_start(&mut self) {}
    /// The messages announced by [`Service::batch_start`] were delivered (or the
    /// connection was closed part way): finish the work put off.
    fn batch_end(&mut self, _now: Time) {}
    /// A connection closed, whoever closed it. No more events for `conn` follow.
    fn on_disconnected(&mut self, conn: ConnId, reason: &DisconnectReason, now: Time);
    /// Called at or after [`Service::next_deadline`].
    fn on_tick(&mut self, now: Time);
    /// The earliest time at which [`Service::on_tick`] must be called, if any.
    fn next_deadline(&self) -> Option<Time>;
    /// True while the service has mining work; the driver then polls without sleeping
    /// and calls [`Service::mine`] between polls.
    fn wants_to_mine(&self) -> bool {
        false
    }
    /// Try up to `budget` nonces. Returns how many were actually hashed (fewer than
    /// `budget` when a block is found early or there is nothing to mine), so the driver
    /// can measure the real hash rate and size the next budget.
    fn mine(&mut self, _budget: u32, _now: Time) -> u64 {
        0
    }
    /// The next queued action, oldest first.
    fn poll_action(&mut self) -> Option<Action>;
}
