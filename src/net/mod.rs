//! The `mio` reactor: the only code in the crate that touches sockets.
//!
//! One single-threaded [`mio::Poll`] drives any [`crate::service::Service`]: it accepts
//! and opens TCP connections, turns bytes into [`crate::wire::Message`]s with a push
//! decoder, hands them to the service, and applies the [`crate::service::Action`]s the
//! service queues (send, connect, disconnect, store a block, report an event). Between
//! polls it gives the service mining slices of about [`ReactorConfig::mining_slice`].
//! See `mio-rules.md` in the project guides for the rules this loop keeps.

mod budget;
mod conn;
mod delay;
mod lifecycle;
mod reactor;

pub use reactor::Reactor;

use crate::chain::{Block, NetworkParams};
use crate::service::{Event, Time};
use crate::wire::MAX_PAYLOAD_LEN;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

/// Default cap on inbound connections, well below the usual `ulimit -n`.
pub const DEFAULT_MAX_INBOUND: usize = 1_000;
/// Default bound on the bytes queued for one connection (written or delayed but not yet
/// accepted by the kernel). A peer that lets more pile up is disconnected.
pub const DEFAULT_MAX_SEND_QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Default length of one mining slice between two polls.
pub const DEFAULT_MINING_SLICE: Duration = Duration::from_millis(1);
/// The periodic hook runs at least this often.
pub const PERIODIC_INTERVAL: Duration = Duration::from_millis(100);
/// How long an outbound connect may take before it counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection the service disconnected may spend flushing its queue.
pub const CLOSE_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// How long accepting pauses after the process ran out of file descriptors.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// The address the service sees for a control-socket client (Unix sockets have none).
pub const CONTROL_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
/// The control socket's file name in a peer's data directory.
pub const CONTROL_SOCKET_NAME: &str = "control.sock";
/// Size of the one scratch buffer every read goes through (no per-connection buffer).
pub const READ_CHUNK: usize = 64 * 1024;
/// A connection's write buffer is freed when it drains and holds more than this, so idle
/// connections stay small (mio rule 11): an allocation per burst costs far less than the
/// write system call that drained it.
pub const MAX_IDLE_WRITE_BUFFER: usize = 0;

/// How a [`Reactor`] listens and bounds its connections.
#[derive(Clone, Debug)]
pub struct ReactorConfig {
    /// Address to listen on (port 0 picks a free port; see [`Reactor::local_addr`]).
    /// `None`: outbound connections only.
    pub listen: Option<SocketAddr>,
    /// Network magic every frame must start with.
    pub magic: [u8; 4],
    /// Largest payload accepted in one frame.
    pub max_payload: usize,
    /// Inbound connections beyond this are closed as soon as they are accepted.
    pub max_inbound: usize,
    /// Artificial latency added to every outgoing message: it is held in order until
    /// `queued + delay`, then written (zero: none).
    pub delay: Duration,
    /// Bytes that may be queued for one connection before it is dropped with
    /// [`crate::service::DisconnectReason::SendQueueFull`].
    pub max_send_queue_bytes: usize,
    /// Target duration of one [`crate::service::Service::mine`] call.
    pub mining_slice: Duration,
    /// Path of a Unix control socket to serve (created with mode 0600, removed when the
    /// reactor is dropped); its clients are connections of role
    /// [`crate::service::Role::Control`]. `None`: no control socket.
    pub control_socket: Option<PathBuf>,
}

impl Default for ReactorConfig {
    fn default() -> Self {
        ReactorConfig {
            listen: None,
            magic: NetworkParams::main().magic,
            max_payload: MAX_PAYLOAD_LEN,
            max_inbound: DEFAULT_MAX_INBOUND,
            delay: Duration::ZERO,
            max_send_queue_bytes: DEFAULT_MAX_SEND_QUEUE_BYTES,
            mining_slice: DEFAULT_MINING_SLICE,
            control_socket: None,
        }
    }
}

/// Counters the reactor keeps, handed to [`Hooks::periodic`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReactorStats {
    /// Bytes written to sockets.
    pub bytes_sent: u64,
    /// Bytes read from sockets.
    pub bytes_received: u64,
    /// Messages queued for sending.
    pub messages_sent: u64,
    /// Messages decoded and delivered to the service.
    pub messages_received: u64,
    /// Open inbound connections.
    pub inbound: usize,
    /// Open (or connecting) outbound connections.
    pub outbound: usize,
    /// Inbound connections accepted since start.
    pub accepted_total: u64,
    /// Inbound connections closed at once because of [`ReactorConfig::max_inbound`].
    pub refused_total: u64,
    /// Nonces actually hashed by [`crate::service::Service::mine`] since start.
    pub hashes_tried: u64,
    /// Nonces per second over roughly the last second of mining (0 when idle).
    pub hash_rate: f64,
    /// The current mining budget per slice.
    pub mining_budget: u32,
    /// Group commits: calls of [`Hooks::sync_blocks`] since start (each covers every
    /// block stored since the one before).
    pub block_syncs: u64,
}

/// What the reactor's owner plugs in: durable storage, event reporting and a periodic
/// call that can stop the loop.
pub trait Hooks<S> {
    /// Writes a block ([`crate::service::Action::StoreBlock`]). It need not be durable
    /// yet: the reactor calls [`Hooks::sync_blocks`] before it applies any action
    /// queued after the block (group commit: the blocks of one loop iteration are
    /// written one by one and synced once). The default, for services that never store
    /// blocks (the tracker), fails with `Unsupported`.
    ///
    /// # Errors
    /// A failure is fatal: [`Reactor::run`] returns it.
    fn store_block(&mut self, _block: &Block) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "this process does not store blocks",
        ))
    }

    /// Makes every block written by [`Hooks::store_block`] durable (`fdatasync`). The
    /// default does nothing, for hooks whose `store_block` is durable by itself.
    ///
    /// # Errors
    /// A failure is fatal: [`Reactor::run`] returns it.
    fn sync_blocks(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// An [`Event`] the service reported.
    fn event(&mut self, ev: &Event, now: Time);

    /// Called at least every [`PERIODIC_INTERVAL`]; `Break` makes [`Reactor::run`]
    /// return `Ok(())`.
    fn periodic(&mut self, service: &S, stats: &ReactorStats, now: Time) -> ControlFlow<()>;
}

/// Hooks for services that never store blocks: events are logged at debug level, and the
/// loop runs until an error. Storing a block fails with `Unsupported` (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;

impl<S> Hooks<S> for NoHooks {
    fn event(&mut self, ev: &Event, _now: Time) {
        log::debug!(target: "net", "event: {ev:?}");
    }

    fn periodic(&mut self, _service: &S, _stats: &ReactorStats, _now: Time) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// The current wall-clock time as a service [`Time`] (ms since the Unix epoch).
pub fn wall_clock() -> Time {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().min(u64::MAX as u128) as u64)
        .unwrap_or(0);
    Time(ms)
}
