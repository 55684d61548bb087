//! One connection of the reactor (TCP, or a Unix control-socket client): its state,
//! its push decoder and its bounded write buffer.

use crate::service::{ConnId, Direction, DisconnectReason, Role};
use crate::wire::FrameDecoder;
use mio::net::{TcpStream, UnixStream};
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Instant;

/// The socket under a connection: a TCP stream, or a client of the Unix control socket.
#[derive(Debug)]
pub(crate) enum Stream {
    /// A peer or tracker connection.
    Tcp(TcpStream),
    /// A local control client.
    Unix(UnixStream),
}

impl Stream {
    /// The pending socket error, if any (a failed non-blocking connect).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self {
            Stream::Tcp(s) => s.take_error(),
            Stream::Unix(s) => s.take_error(),
        }
    }

    /// `Ok` once connected; `NotConnected` while a connect is in progress.
    pub fn check_connected(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.peer_addr().map(|_| ()),
            Stream::Unix(_) => Ok(()),
        }
    }

    /// Disables Nagle's algorithm on TCP (a no-op on Unix sockets).
    pub fn set_nodelay(&self) {
        if let Stream::Tcp(s) = self {
            let _ = s.set_nodelay(true);
        }
    }

    /// Shuts down one or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            Stream::Unix(s) => s.shutdown(how),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
        }
    }
}

impl mio::event::Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(r, t, i),
            Stream::Unix(s) => s.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(r, t, i),
            Stream::Unix(s) => s.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Unix(s) => s.deregister(r),
        }
    }
}

use super::MAX_IDLE_WRITE_BUFFER;

/// Where a connection is in its life.
#[derive(Debug)]
pub(crate) enum ConnState {
    /// Outbound connect in progress; the service does not know it yet.
    Connecting {
        /// When the attempt counts as failed.
        deadline: Instant,
    },
    /// Open: messages flow both ways.
    Open,
    /// The service asked to close it: flushing what is queued, input is discarded.
    Closing {
        /// Why (passed to `on_disconnected` once closed).
        reason: DisconnectReason,
        /// When to give up flushing.
        deadline: Instant,
    },
}

/// A connection in the reactor's slab.
#[derive(Debug)]
pub(crate) struct Conn {
    /// The id the service sees.
    pub id: ConnId,
    pub stream: Stream,
    pub addr: SocketAddr,
    pub dir: Direction,
    pub role: Role,
    pub state: ConnState,
    pub decoder: FrameDecoder,
    /// Encoded frames not yet accepted by the kernel, from `wpos` on.
    wbuf: Vec<u8>,
    wpos: usize,
    /// Bytes of this connection waiting in the reactor's delay queue.
    pub delayed_bytes: usize,
    /// Whether WRITABLE interest is registered.
    pub writable_interest: bool,
    /// In the reactor's dirty list (needs a flush attempt).
    pub dirty: bool,
    /// Set when the connection must be removed at the end of the iteration.
    pub dead: Option<DisconnectReason>,
    /// The service closed it, but the close waits behind unsynced blocks (group
    /// commit): its input is already dropped, as for a closing connection.
    pub close_held: bool,
}

/// Result of a flush attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flush {
    /// Everything written.
    Drained,
    /// The kernel buffer is full; wait for WRITABLE.
    Blocked,
}

impl Conn {
    pub fn new(
        id: ConnId,
        stream: Stream,
        addr: SocketAddr,
        dir: Direction,
        role: Role,
        state: ConnState,
        decoder: FrameDecoder,
    ) -> Conn {
        Conn {
            id,
            stream,
            addr,
            dir,
            role,
            state,
            decoder,
            wbuf: Vec::new(),
            wpos: 0,
            delayed_bytes: 0,
            writable_interest: false,
            dirty: false,
            dead: None,
            close_held: false,
        }
    }

    /// True while messages may be delivered to and sent from it.
    pub fn is_open(&self) -> bool {
        self.dead.is_none() && matches!(self.state, ConnState::Open)
    }

    /// True while its input is delivered to the service: open, and no close is held.
    pub fn takes_input(&self) -> bool {
        self.is_open() && !self.close_held
    }

    /// Bytes queued for this connection (write buffer plus delay queue).
    pub fn queued_bytes(&self) -> usize {
        self.wbuf.len() - self.wpos + self.delayed_bytes
    }

    /// True when nothing is left to write for it.
    pub fn nothing_queued(&self) -> bool {
        self.queued_bytes() == 0
    }

    /// Appends an encoded frame to the write buffer.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        if self.wpos > 0 && self.wpos >= self.wbuf.len() / 2 {
            self.wbuf.drain(..self.wpos);
            self.wpos = 0;
        }
        self.wbuf.extend_from_slice(bytes);
    }

    /// Drops everything queued (the connection is going away without a flush).
    pub fn discard_output(&mut self) {
        self.wbuf = Vec::new();
        self.wpos = 0;
    }

    /// Writes until the buffer is empty or the kernel would block; counts bytes into
    /// `sent`.
    ///
    /// # Errors
    /// A write error other than `WouldBlock`/`Interrupted`, or a zero-length write.
    pub fn flush(&mut self, sent: &mut u64) -> io::Result<Flush> {
        while self.wpos < self.wbuf.len() {
            match self.stream.write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.wpos += n;
                    *sent += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Flush::Blocked),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.wpos = 0;
        if self.wbuf.capacity() > MAX_IDLE_WRITE_BUFFER {
            self.wbuf = Vec::new();
        } else {
            self.wbuf.clear();
        }
        Ok(Flush::Drained)
    }
}
