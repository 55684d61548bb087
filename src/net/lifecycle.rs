//! Connection lifecycle of the [`Reactor`]: accepting, connecting, reading and writing
//! until `WouldBlock`, queueing frames, closing with a flush, deadlines, and removal at
//! the end of the poll iteration.

use super::conn::{Conn, ConnState, Flush, Stream};
use super::reactor::Reactor;
use super::{Hooks, ACCEPT_BACKOFF, CLOSE_FLUSH_TIMEOUT, CONNECT_TIMEOUT};
use crate::service::{ConnId, Direction, DisconnectReason, Role, Service, Time};
use crate::wire::{encode_frame_into, Decoded, FrameDecoder, Message};
use log::{debug, trace, warn};
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr};
use std::time::Instant;

impl Reactor {
    /// Accepts until `WouldBlock` (mio rule 1), refusing beyond
    /// [`super::ReactorConfig::max_inbound`] and pausing on a timer when out of descriptors.
    pub(super) fn accept_loop<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        loop {
            let Some(listener) = self.listener.as_ref() else {
                return Ok(());
            };
            let (stream, addr) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    continue
                }
                Err(e) => {
                    // EMFILE/ENFILE and friends: the listener stays ready without a new
                    // edge, so pause on a timer instead of spinning (mio rule 9).
                    warn!(target: "net", "accept failed ({e}); pausing accepts");
                    self.accept_paused_until = Some(Instant::now() + ACCEPT_BACKOFF);
                    return Ok(());
                }
            };
            if self.stats.inbound >= self.config.max_inbound {
                self.stats.refused_total += 1;
                debug!(target: "net", "refusing {addr}: {} inbound connections", self.stats.inbound);
                drop(stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let mut stream = Stream::Tcp(stream);
            let entry = self.conns.vacant_entry();
            let key = entry.key();
            if let Err(e) =
                self.poll
                    .registry()
                    .register(&mut stream, Token(key), Interest::READABLE)
            {
                warn!(target: "net", "cannot register connection from {addr}: {e}");
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            entry.insert(Conn::new(
                id,
                stream,
                addr,
                Direction::Inbound,
                Role::Peer,
                ConnState::Open,
                FrameDecoder::new(self.config.magic, self.config.max_payload),
            ));
            self.ids.insert(id, key);
            self.stats.inbound += 1;
            self.stats.accepted_total += 1;
            debug!(target: "net", "accepted {addr} as connection {id}");
            service.on_connected(id, addr, Direction::Inbound, Role::Peer, now);
            self.apply_actions(service, hooks, now)?;
        }
    }

    /// Accepts control-socket clients until `WouldBlock` (mio rule 1). They are inbound
    /// connections of role [`Role::Control`] with the placeholder address
    /// [`super::CONTROL_ADDR`]; the service decides whether to keep them.
    pub(super) fn accept_control_loop<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        loop {
            let Some((listener, _)) = self.control.as_ref() else {
                return Ok(());
            };
            let stream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    continue
                }
                Err(e) => {
                    warn!(target: "net", "control accept failed ({e}); pausing accepts");
                    self.accept_paused_until = Some(Instant::now() + ACCEPT_BACKOFF);
                    return Ok(());
                }
            };
            let mut stream = Stream::Unix(stream);
            let entry = self.conns.vacant_entry();
            let key = entry.key();
            if let Err(e) =
                self.poll
                    .registry()
                    .register(&mut stream, Token(key), Interest::READABLE)
            {
                warn!(target: "net", "cannot register control connection: {e}");
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
            let addr = super::CONTROL_ADDR;
            entry.insert(Conn::new(
                id,
                stream,
                addr,
                Direction::Inbound,
                Role::Control,
                ConnState::Open,
                FrameDecoder::new(self.config.magic, self.config.max_payload),
            ));
            self.ids.insert(id, key);
            self.stats.inbound += 1;
            debug!(target: "net", "accepted control client as connection {id}");
            service.on_connected(id, addr, Direction::Inbound, Role::Control, now);
            self.apply_actions(service, hooks, now)?;
        }
    }

    /// Non-blocking connect completion check (mio rule 4).
    pub(super) fn check_connect<S: Service, H: Hooks<S>>(
        &mut self,
        key: usize,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        let conn = &mut self.conns[key];
        match conn.stream.take_error() {
            Ok(Some(e)) | Err(e) => {
                debug!(target: "net", "connect to {} failed: {e}", conn.addr);
                self.kill(key, DisconnectReason::Io(e.to_string()));
                return Ok(());
            }
            Ok(None) => {}
        }
        match conn.stream.check_connected() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
            Err(e) => {
                debug!(target: "net", "connect to {} failed: {e}", conn.addr);
                self.kill(key, DisconnectReason::Io(e.to_string()));
                return Ok(());
            }
        }
        conn.state = ConnState::Open;
        conn.stream.set_nodelay();
        if conn.writable_interest {
            conn.writable_interest = false;
            if let Err(e) =
                self.poll
                    .registry()
                    .reregister(&mut conn.stream, Token(key), Interest::READABLE)
            {
                self.kill(key, DisconnectReason::Io(e.to_string()));
                return Ok(());
            }
        }
        let (id, addr, role) = (conn.id, conn.addr, conn.role);
        debug!(target: "net", "connected to {addr} as connection {id}");
        service.on_connected(id, addr, Direction::Outbound, role, now);
        self.apply_actions(service, hooks, now)
    }

    /// Reads until `WouldBlock` (mio rule 1), delivering each chunk's messages before
    /// reading the next, so everything read before a FIN is delivered (mio rule 6).
    pub(super) fn read_conn<S: Service, H: Hooks<S>>(
        &mut self,
        key: usize,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        loop {
            let Some(conn) = self.conns.get_mut(key) else {
                return Ok(());
            };
            if conn.dead.is_some() || matches!(conn.state, ConnState::Connecting { .. }) {
                return Ok(());
            }
            let n = match conn.stream.read(&mut self.scratch) {
                Ok(0) => {
                    self.kill(key, DisconnectReason::RemoteClosed);
                    return Ok(());
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.kill(key, DisconnectReason::Io(e.to_string()));
                    return Ok(());
                }
            };
            self.stats.bytes_received += n as u64;
            if !conn.takes_input() {
                // Closing: input is read and dropped so the close does not turn into
                // a reset that destroys what we flush.
                continue;
            }
            let mut input = &self.scratch[..n];
            let mut msgs = std::mem::take(&mut self.msgs);
            let mut error = None;
            while !input.is_empty() {
                match conn.decoder.decode(&mut input) {
                    Ok(Some(Decoded::Message(m))) => msgs.push(m),
                    Ok(Some(Decoded::Unknown { msg_type, len })) => {
                        debug!(target: "net", "connection {}: skipped unknown message type {msg_type:#06x} ({len} bytes)", conn.id);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            let id = conn.id;
            // Messages read together are one batch: the service may do once what
            // each of them would repeat (see `Service::batch_start`).
            let batch = msgs.len() > 1;
            if batch {
                service.batch_start();
            }
            let mut applied = Ok(());
            for m in msgs.drain(..) {
                if !self
                    .conns
                    .get(key)
                    .is_some_and(|c| c.id == id && c.takes_input())
                {
                    break;
                }
                self.stats.messages_received += 1;
                trace!(target: "net", "connection {id}: received {}", m.name());
                service.on_message(id, m, now);
                applied = self.apply_actions(service, hooks, now);
                if applied.is_err() {
                    break;
                }
            }
            if batch {
                service.batch_end(now);
                if applied.is_ok() {
                    applied = self.apply_actions(service, hooks, now);
                }
            }
            msgs.clear();
            self.msgs = msgs;
            applied?;
            if let Some(e) = error {
                if self.conns.get(key).is_some_and(|c| c.id == id) {
                    debug!(target: "net", "connection {id}: {e}");
                    self.kill(key, DisconnectReason::Frame(e));
                }
                return Ok(());
            }
        }
    }

    /// Writes what is queued; manages WRITABLE interest (mio rule 5) and finishes a
    /// closing connection once its queue is empty.
    pub(super) fn flush_conn(&mut self, key: usize) {
        let Some(conn) = self.conns.get_mut(key) else {
            return;
        };
        if conn.dead.is_some() || matches!(conn.state, ConnState::Connecting { .. }) {
            return;
        }
        let want_writable = match conn.flush(&mut self.stats.bytes_sent) {
            Ok(Flush::Drained) => false,
            Ok(Flush::Blocked) => true,
            Err(e) => {
                self.kill(key, DisconnectReason::Io(e.to_string()));
                return;
            }
        };
        if want_writable != conn.writable_interest {
            let interest = if want_writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if let Err(e) = self
                .poll
                .registry()
                .reregister(&mut conn.stream, Token(key), interest)
            {
                self.kill(key, DisconnectReason::Io(e.to_string()));
                return;
            }
            conn.writable_interest = want_writable;
        }
        if let ConnState::Closing { reason, .. } = &conn.state {
            if conn.nothing_queued() {
                let _ = conn.stream.shutdown(Shutdown::Write);
                let reason = reason.clone();
                self.kill(key, reason);
            }
        }
    }

    /// Queues a connection for a flush attempt before the next poll.
    pub(super) fn mark_dirty(&mut self, key: usize) {
        if let Some(c) = self.conns.get_mut(key) {
            if !c.dirty {
                c.dirty = true;
                self.dirty.push(key);
            }
        }
    }

    /// Flushes every connection marked dirty.
    pub(super) fn flush_dirty(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for &key in &dirty {
            if let Some(c) = self.conns.get_mut(key) {
                c.dirty = false;
            }
            self.flush_conn(key);
        }
        dirty.clear();
        if self.dirty.is_empty() {
            self.dirty = dirty;
        }
    }

    /// Marks a connection for removal at the end of the iteration (mio rule 7). Once the
    /// service chose a reason with `Action::Disconnect`, that reason is the one reported.
    pub(super) fn kill(&mut self, key: usize, reason: DisconnectReason) {
        if let Some(c) = self.conns.get_mut(key) {
            if c.dead.is_none() {
                let reason = match &c.state {
                    ConnState::Closing { reason, .. } => reason.clone(),
                    _ => reason,
                };
                c.dead = Some(reason);
                c.discard_output();
                self.dead.push(key);
            }
        }
    }

    /// Removes the connections killed in this iteration and tells the service, applying
    /// what it answers (which may kill more).
    pub(super) fn remove_dead<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        while !self.dead.is_empty() {
            let dead = std::mem::take(&mut self.dead);
            for key in dead {
                let Some(mut conn) = self.conns.try_remove(key) else {
                    continue;
                };
                let _ = self.poll.registry().deregister(&mut conn.stream);
                self.ids.remove(&conn.id);
                let reason = conn.dead.take().unwrap_or(DisconnectReason::Shutdown);
                match conn.dir {
                    Direction::Inbound => self.stats.inbound -= 1,
                    Direction::Outbound => self.stats.outbound -= 1,
                }
                if matches!(conn.state, ConnState::Connecting { .. }) {
                    debug!(target: "net", "connect to {} failed: {reason}", conn.addr);
                    let (addr, role) = (conn.addr, conn.role);
                    drop(conn);
                    service.on_connect_failed(addr, role, now);
                } else {
                    debug!(target: "net", "connection {} ({}) closed: {reason}", conn.id, conn.addr);
                    let id = conn.id;
                    drop(conn);
                    service.on_disconnected(id, &reason, now);
                }
                self.apply_actions(service, hooks, now)?;
            }
            self.flush_dirty();
        }
        Ok(())
    }

    /// Encodes `msg` (once per run of identical messages) and queues it for `id`,
    /// directly or through the delay queue; a full send queue kills the connection.
    pub(super) fn send(&mut self, id: ConnId, msg: Message) {
        let Some(&key) = self.ids.get(&id) else {
            trace!(target: "net", "dropping {} for gone connection {id}", msg.name());
            return;
        };
        if !self.conns[key].is_open() {
            return;
        }
        if self.enc_msg.as_ref() != Some(&msg) {
            self.enc_buf.clear();
            encode_frame_into(self.config.magic, &msg, &mut self.enc_buf);
            self.enc_msg = Some(msg);
        }
        self.stats.messages_sent += 1;
        let len = self.enc_buf.len();
        let conn = &mut self.conns[key];
        if conn.queued_bytes().saturating_add(len) > self.config.max_send_queue_bytes {
            debug!(target: "net", "connection {id}: send queue full ({} bytes)", conn.queued_bytes());
            self.kill(key, DisconnectReason::SendQueueFull);
            return;
        }
        if !self.config.delay.is_zero() {
            conn.delayed_bytes += len;
            self.delay_queue
                .push(Instant::now() + self.config.delay, id, self.enc_buf.clone());
        } else {
            conn.push_bytes(&self.enc_buf);
            self.mark_dirty(key);
        }
    }

    /// Starts a non-blocking connect; false if it failed at once.
    pub(super) fn connect(&mut self, addr: SocketAddr, role: Role) -> bool {
        let mut stream = match TcpStream::connect(addr) {
            Ok(s) => Stream::Tcp(s),
            Err(e) => {
                debug!(target: "net", "connect to {addr} failed at once: {e}");
                return false;
            }
        };
        let entry = self.conns.vacant_entry();
        let key = entry.key();
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            Token(key),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            debug!(target: "net", "cannot register connection to {addr}: {e}");
            return false;
        }
        let id = self.next_id;
        self.next_id += 1;
        let mut conn = Conn::new(
            id,
            stream,
            addr,
            Direction::Outbound,
            role,
            ConnState::Connecting {
                deadline: Instant::now() + CONNECT_TIMEOUT,
            },
            FrameDecoder::new(self.config.magic, self.config.max_payload),
        );
        conn.writable_interest = true;
        entry.insert(conn);
        self.ids.insert(id, key);
        self.timed.push((key, id));
        self.stats.outbound += 1;
        debug!(target: "net", "connecting to {addr} (connection {id})");
        true
    }

    /// Starts closing `id` on the service's request: flush what is queued, then close.
    pub(super) fn close(&mut self, id: ConnId, reason: DisconnectReason) {
        let Some(&key) = self.ids.get(&id) else {
            return;
        };
        let conn = &mut self.conns[key];
        if !conn.is_open() {
            return;
        }
        debug!(target: "net", "closing connection {id} ({}): {reason}", conn.addr);
        conn.state = ConnState::Closing {
            reason,
            deadline: Instant::now() + CLOSE_FLUSH_TIMEOUT,
        };
        self.timed.push((key, id));
        self.mark_dirty(key);
    }

    /// Moves frames whose artificial delay has passed into their connections' write
    /// buffers. The delay is the same for every frame, so the queue is in release order.
    pub(super) fn release_delayed(&mut self, inst: Instant) {
        while let Some(d) = self.delay_queue.pop_due(inst) {
            let Some(&key) = self.ids.get(&d.conn) else {
                continue;
            };
            let conn = &mut self.conns[key];
            conn.delayed_bytes = conn.delayed_bytes.saturating_sub(d.bytes.len());
            if conn.dead.is_some() {
                continue;
            }
            conn.push_bytes(&d.bytes);
            self.mark_dirty(key);
        }
    }

    /// Fails connects and ends flushes whose deadline passed.
    pub(super) fn check_timed(&mut self, inst: Instant) {
        let mut timed = std::mem::take(&mut self.timed);
        timed.retain(|&(key, id)| {
            let Some(c) = self
                .conns
                .get(key)
                .filter(|c| c.id == id && c.dead.is_none())
            else {
                return false;
            };
            match &c.state {
                ConnState::Connecting { deadline } => {
                    if *deadline <= inst {
                        self.kill(key, DisconnectReason::Timeout("connect"));
                        return false;
                    }
                    true
                }
                ConnState::Closing { reason, deadline } => {
                    if *deadline <= inst {
                        let reason = reason.clone();
                        self.kill(key, reason);
                        return false;
                    }
                    true
                }
                ConnState::Open => false,
            }
        });
        timed.append(&mut self.timed);
        self.timed = timed;
    }
}
