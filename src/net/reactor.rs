//! The event loop: one `mio::Poll`, a slab of connections, a delay queue, the mining
//! slice, and the one function that applies a service's actions.

use super::budget::MiningBudget;
use super::conn::{Conn, ConnState, Flush};
use super::delay::DelayQueue;
use super::{
    wall_clock, Hooks, ReactorConfig, ReactorStats, ACCEPT_BACKOFF, CLOSE_FLUSH_TIMEOUT,
    CONNECT_TIMEOUT, PERIODIC_INTERVAL, READ_CHUNK,
};
use crate::service::{Action, ConnId, Direction, DisconnectReason, Role, Service, Time};
use crate::wire::{encode_frame_into, Decoded, FrameDecoder, Message};
use log::{debug, trace, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

/// The listener's token, outside the slab's key range (mio rule 7).
const LISTENER: Token = Token(usize::MAX - 1);
/// Most events taken from one poll.
const MAX_EVENTS: usize = 1024;
/// Window over which the hash rate is measured.
const HASH_RATE_WINDOW: Duration = Duration::from_secs(1);

/// Adaptive mining budget and hash-rate measurement.
struct Mining {
    budget: MiningBudget,
    window_start: Instant,
    window_hashes: u64,
    last_mined: Option<Instant>,
}

/// A readiness event copied out of `mio::Events` so handlers can borrow the reactor.
#[derive(Clone, Copy)]
struct Ready {
    token: Token,
    readable: bool,
    writable: bool,
}

/// The single-threaded event loop. See the module docs of [`crate::net`].
pub struct Reactor {
    poll: Poll,
    events: Events,
    ready: Vec<Ready>,
    listener: Option<TcpListener>,
    local_addr: Option<SocketAddr>,
    config: ReactorConfig,
    conns: Slab<Conn>,
    ids: HashMap<ConnId, usize>,
    next_id: ConnId,
    scratch: Vec<u8>,
    msgs: Vec<Message>,
    dirty: Vec<usize>,
    dead: Vec<usize>,
    /// Connections with a deadline: connecting or closing.
    timed: Vec<(usize, ConnId)>,
    delay_queue: DelayQueue,
    accept_paused_until: Option<Instant>,
    /// The last message encoded and its frame: a broadcast encodes once.
    enc_msg: Option<Message>,
    enc_buf: Vec<u8>,
    mining: Mining,
    stats: ReactorStats,
}

impl Reactor {
    /// Creates the poll and, if [`ReactorConfig::listen`] is set, binds the listener.
    ///
    /// # Errors
    /// Creating the poll, binding or registering the listener failed.
    pub fn bind(config: ReactorConfig) -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let (listener, local_addr) = match config.listen {
            Some(addr) => {
                let mut l = TcpListener::bind(addr)?;
                poll.registry()
                    .register(&mut l, LISTENER, Interest::READABLE)?;
                let local = l.local_addr()?;
                (Some(l), Some(local))
            }
            None => (None, None),
        };
        let now = Instant::now();
        Ok(Reactor {
            poll,
            events: Events::with_capacity(MAX_EVENTS),
            ready: Vec::with_capacity(MAX_EVENTS),
            listener,
            local_addr,
            config,
            conns: Slab::new(),
            ids: HashMap::new(),
            next_id: 1,
            scratch: vec![0; READ_CHUNK],
            msgs: Vec::new(),
            dirty: Vec::new(),
            dead: Vec::new(),
            timed: Vec::new(),
            delay_queue: DelayQueue::new(),
            accept_paused_until: None,
            enc_msg: None,
            enc_buf: Vec::new(),
            mining: Mining {
                budget: MiningBudget::new(),
                window_start: now,
                window_hashes: 0,
                last_mined: None,
            },
            stats: ReactorStats {
                mining_budget: MiningBudget::new().get(),
                ..ReactorStats::default()
            },
        })
    }

    /// The address the listener is bound to (with the real port when bound to port 0),
    /// or `None` without a listener.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The configuration this reactor runs with.
    pub fn config(&self) -> &ReactorConfig {
        &self.config
    }

    /// The counters so far.
    pub fn stats(&self) -> &ReactorStats {
        &self.stats
    }

    /// Runs the loop until [`Hooks::periodic`] returns `Break`.
    ///
    /// # Errors
    /// A failing `poll` or a failing [`Hooks::store_block`]; socket errors of single
    /// connections only close those connections.
    pub fn run<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
    ) -> io::Result<()> {
        let now = wall_clock();
        self.apply_actions(service, hooks, now)?;
        self.flush_dirty();
        self.remove_dead(service, hooks, now)?;
        let mut next_periodic = Instant::now();
        loop {
            let inst = Instant::now();
            if inst >= next_periodic {
                self.refresh_stats(inst);
                if hooks
                    .periodic(service, &self.stats, wall_clock())
                    .is_break()
                {
                    return Ok(());
                }
                next_periodic = inst + PERIODIC_INTERVAL;
            }
            let timeout = self.poll_timeout(service, next_periodic);
            match self.poll.poll(&mut self.events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            // Polls wake early and late: read the clock again (mio rule 8).
            let now = wall_clock();
            self.ready.clear();
            for ev in self.events.iter() {
                self.ready.push(Ready {
                    token: ev.token(),
                    readable: ev.is_readable() || ev.is_read_closed() || ev.is_error(),
                    writable: ev.is_writable() || ev.is_write_closed() || ev.is_error(),
                });
            }
            let ready = std::mem::take(&mut self.ready);
            for r in &ready {
                self.handle_ready(*r, service, hooks, now)?;
            }
            self.ready = ready;

            let inst = Instant::now();
            if self.accept_paused_until.is_some_and(|t| t <= inst) {
                self.accept_paused_until = None;
                self.accept_loop(service, hooks, now)?;
            }
            self.release_delayed(inst);
            self.check_timed(inst);
            if service.next_deadline().is_some_and(|d| d <= now) {
                service.on_tick(now);
                self.apply_actions(service, hooks, now)?;
            }
            // Replies go out before the slice, not a slice later.
            self.flush_dirty();
            if service.wants_to_mine() {
                self.mine_slice(service, hooks)?;
                self.flush_dirty();
            }
            self.remove_dead(service, hooks, wall_clock())?;
        }
    }

    fn poll_timeout<S: Service>(&self, service: &S, next_periodic: Instant) -> Duration {
        if service.wants_to_mine() {
            return Duration::ZERO;
        }
        let inst = Instant::now();
        let mut until = next_periodic;
        if let Some(release) = self.delay_queue.next_release() {
            until = until.min(release);
        }
        if let Some(t) = self.accept_paused_until {
            until = until.min(t);
        }
        for &(key, id) in &self.timed {
            if let Some(c) = self.conns.get(key).filter(|c| c.id == id) {
                match &c.state {
                    ConnState::Connecting { deadline } | ConnState::Closing { deadline, .. } => {
                        until = until.min(*deadline)
                    }
                    ConnState::Open => {}
                }
            }
        }
        let mut timeout = until.saturating_duration_since(inst);
        if let Some(d) = service.next_deadline() {
            let ms = d.since(wall_clock());
            timeout = timeout.min(Duration::from_millis(ms));
        }
        timeout
    }

    fn handle_ready<S: Service, H: Hooks<S>>(
        &mut self,
        r: Ready,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        if r.token == LISTENER {
            if self.accept_paused_until.is_none() {
                self.accept_loop(service, hooks, now)?;
            }
            return Ok(());
        }
        let key = r.token.0;
        // Events for an empty slot or a dead connection are stale hints (mio rule 2).
        let Some(conn) = self.conns.get(key) else {
            return Ok(());
        };
        if conn.dead.is_some() {
            return Ok(());
        }
        if matches!(conn.state, ConnState::Connecting { .. }) {
            self.check_connect(key, service, hooks, now)?;
        }
        if r.readable {
            self.read_conn(key, service, hooks, now)?;
        }
        if r.writable {
            self.flush_conn(key);
        }
        Ok(())
    }

    fn accept_loop<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        loop {
            let Some(listener) = self.listener.as_ref() else {
                return Ok(());
            };
            let (mut stream, addr) = match listener.accept() {
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

    /// Non-blocking connect completion check (mio rule 4).
    fn check_connect<S: Service, H: Hooks<S>>(
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
        match conn.stream.peer_addr() {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
            Err(e) => {
                debug!(target: "net", "connect to {} failed: {e}", conn.addr);
                self.kill(key, DisconnectReason::Io(e.to_string()));
                return Ok(());
            }
        }
        conn.state = ConnState::Open;
        let _ = conn.stream.set_nodelay(true);
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
    fn read_conn<S: Service, H: Hooks<S>>(
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
            if !conn.is_open() {
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
            for m in msgs.drain(..) {
                if !self
                    .conns
                    .get(key)
                    .is_some_and(|c| c.id == id && c.is_open())
                {
                    break;
                }
                self.stats.messages_received += 1;
                trace!(target: "net", "connection {id}: received {}", m.name());
                service.on_message(id, m, now);
                self.apply_actions(service, hooks, now)?;
            }
            msgs.clear();
            self.msgs = msgs;
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
    fn flush_conn(&mut self, key: usize) {
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

    fn mark_dirty(&mut self, key: usize) {
        if let Some(c) = self.conns.get_mut(key) {
            if !c.dirty {
                c.dirty = true;
                self.dirty.push(key);
            }
        }
    }

    fn flush_dirty(&mut self) {
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
    fn kill(&mut self, key: usize, reason: DisconnectReason) {
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

    fn remove_dead<S: Service, H: Hooks<S>>(
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

    /// Applies every queued action, in order (the one place actions take effect).
    fn apply_actions<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        while let Some(action) = service.poll_action() {
            match action {
                Action::Send { conn, msg } => self.send(conn, msg),
                Action::Connect { addr, role } => {
                    if !self.connect(addr, role) {
                        service.on_connect_failed(addr, role, now);
                    }
                }
                Action::Disconnect { conn, reason } => self.close(conn, reason),
                Action::StoreBlock(block) => hooks.store_block(&block)?,
                Action::Event(ev) => hooks.event(&ev, now),
            }
        }
        Ok(())
    }

    fn send(&mut self, id: ConnId, msg: Message) {
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
        if self.config.delay_ms > 0 {
            conn.delayed_bytes += len;
            self.delay_queue.push(
                Instant::now() + Duration::from_millis(self.config.delay_ms),
                id,
                self.enc_buf.clone(),
            );
        } else {
            conn.push_bytes(&self.enc_buf);
            self.mark_dirty(key);
        }
    }

    /// Starts a non-blocking connect; false if it failed at once.
    fn connect(&mut self, addr: SocketAddr, role: Role) -> bool {
        let mut stream = match TcpStream::connect(addr) {
            Ok(s) => s,
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

    fn close(&mut self, id: ConnId, reason: DisconnectReason) {
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
    fn release_delayed(&mut self, inst: Instant) {
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
    fn check_timed(&mut self, inst: Instant) {
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

    /// One mining slice, with the budget adapted so a slice takes about
    /// [`ReactorConfig::mining_slice`].
    fn mine_slice<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
    ) -> io::Result<()> {
        let budget = self.mining.budget.get();
        let t0 = Instant::now();
        let tried = service.mine(budget, wall_clock());
        let elapsed = t0.elapsed();
        self.mining
            .budget
            .record(tried, elapsed, self.config.mining_slice);
        self.stats.mining_budget = self.mining.budget.get();
        self.stats.hashes_tried += tried;
        self.mining.window_hashes += tried;
        let inst = Instant::now();
        self.mining.last_mined = Some(inst);
        let window = inst.duration_since(self.mining.window_start);
        if window >= HASH_RATE_WINDOW {
            self.stats.hash_rate = self.mining.window_hashes as f64 / window.as_secs_f64();
            self.mining.window_hashes = 0;
            self.mining.window_start = inst;
        }
        self.apply_actions(service, hooks, wall_clock())
    }

    fn refresh_stats(&mut self, inst: Instant) {
        let idle = self
            .mining
            .last_mined
            .is_none_or(|t| inst.duration_since(t) > 2 * HASH_RATE_WINDOW);
        if idle {
            self.stats.hash_rate = 0.0;
            self.mining.window_hashes = 0;
            self.mining.window_start = inst;
        }
    }
}
