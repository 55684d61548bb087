//! The event loop: one `mio::Poll` over a slab of connections, the poll timeout, the
//! mining slice, and the one function that applies a service's actions. How connections
//! live and die is in `lifecycle.rs`, the `--delay-ms` queue in `delay.rs`, the nonce
//! batch size in `budget.rs`.

use super::budget::MiningBudget;
use super::conn::{Conn, ConnState};
use super::delay::DelayQueue;
use super::{wall_clock, Hooks, ReactorConfig, ReactorStats, PERIODIC_INTERVAL, READ_CHUNK};
use crate::service::{Action, ConnId, Service, Time};
use crate::wire::Message;
use mio::net::{TcpListener, UnixListener};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The listener's token, outside the slab's key range (mio rule 7).
const LISTENER: Token = Token(usize::MAX - 1);
/// The control socket's token, outside the slab's key range too.
const CONTROL: Token = Token(usize::MAX - 2);
/// Most events taken from one poll.
const MAX_EVENTS: usize = 1024;
/// A mining slice runs in this many sub-batches, with a zero-timeout poll between two:
/// a message that arrives during the slice ends it after at most one sub-batch (about
/// 1/16 of the slice) instead of waiting for the whole slice.
const MINING_SUB_BATCHES: u32 = 16;
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
    pub(super) poll: Poll,
    events: Events,
    ready: Vec<Ready>,
    pub(super) listener: Option<TcpListener>,
    /// The control socket and its path (removed on drop).
    pub(super) control: Option<(UnixListener, PathBuf)>,
    local_addr: Option<SocketAddr>,
    pub(super) config: ReactorConfig,
    pub(super) conns: Slab<Conn>,
    pub(super) ids: HashMap<ConnId, usize>,
    pub(super) next_id: ConnId,
    pub(super) scratch: Vec<u8>,
    pub(super) msgs: Vec<Message>,
    pub(super) dirty: Vec<usize>,
    pub(super) dead: Vec<usize>,
    /// Connections with a deadline: connecting or closing.
    pub(super) timed: Vec<(usize, ConnId)>,
    pub(super) delay_queue: DelayQueue,
    pub(super) accept_paused_until: Option<Instant>,
    /// The last message encoded and its frame: a broadcast encodes once.
    pub(super) enc_msg: Option<Message>,
    pub(super) enc_buf: Vec<u8>,
    mining: Mining,
    /// `events` holds readiness from a poll made during a mining slice, not yet
    /// handled: the next loop iteration handles it instead of polling again.
    events_pending: bool,
    pub(super) stats: ReactorStats,
    /// Blocks were written and not yet synced (group commit).
    unsynced: bool,
    /// Actions queued after an unsynced block, applied once it is synced.
    held: VecDeque<Action>,
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
        let control = match &config.control_socket {
            Some(path) => {
                let mut l = bind_control(path)?;
                poll.registry()
                    .register(&mut l, CONTROL, Interest::READABLE)?;
                Some((l, path.clone()))
            }
            None => None,
        };
        let now = Instant::now();
        Ok(Reactor {
            control,
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
            events_pending: false,
            stats: ReactorStats {
                mining_budget: MiningBudget::new().get(),
                ..ReactorStats::default()
            },
            unsynced: false,
            held: VecDeque::new(),
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
        self.commit(service, hooks, now)?;
        self.flush_dirty();
        self.remove_dead(service, hooks, now)?;
        let mut next_periodic = Instant::now();
        loop {
            // Whatever the end of the last iteration stored goes out before we sleep.
            if self.unsynced {
                self.commit(service, hooks, wall_clock())?;
                self.flush_dirty();
            }
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
            if !std::mem::take(&mut self.events_pending) {
                let timeout = self.poll_timeout(service, next_periodic);
                match self.poll.poll(&mut self.events, Some(timeout)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
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
                self.accept_control_loop(service, hooks, now)?;
            }
            self.release_delayed(inst);
            self.check_timed(inst);
            if service.next_deadline().is_some_and(|d| d <= now) {
                service.on_tick(now);
                self.apply_actions(service, hooks, now)?;
            }
            // The blocks this iteration stored are synced once, then what waited for
            // them is applied; replies go out before the slice, not a slice later.
            self.commit(service, hooks, now)?;
            self.flush_dirty();
            if service.wants_to_mine() {
                self.mine_slice(service, hooks)?;
                self.commit(service, hooks, wall_clock())?;
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
            timeout = timeout.min(d.since(wall_clock()));
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
        if r.token == CONTROL {
            if self.accept_paused_until.is_none() {
                self.accept_control_loop(service, hooks, now)?;
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

    /// Applies every queued action, in order (the one place actions take effect).
    ///
    /// Group commit: a [`Action::StoreBlock`] is written at once but synced only by
    /// [`Reactor::commit`], at the end of the loop iteration; every action queued
    /// after it waits in `held` until then, so nothing that follows a block (its
    /// announcement, a reply that reports it) leaves before the block is durable.
    pub(super) fn apply_actions<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        while let Some(action) = service.poll_action() {
            self.apply_one(action, service, hooks, now)?;
        }
        Ok(())
    }

    fn apply_one<S: Service, H: Hooks<S>>(
        &mut self,
        action: Action,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        match action {
            Action::StoreBlock(block) => {
                hooks.store_block(&block)?;
                self.unsynced = true;
            }
            // A block request says nothing about what we accepted: it goes out at once,
            // so the next blocks arrive while this group is being synced.
            Action::Send {
                conn,
                msg: msg @ Message::GetData { .. },
            } if self.unsynced && !self.holds_for(conn) => self.send(conn, msg),
            a if self.unsynced => {
                if let Action::Disconnect { conn, .. } = &a {
                    // Closed for the service already: nothing more is read from it.
                    if let Some(&key) = self.ids.get(conn) {
                        self.conns[key].close_held = true;
                    }
                }
                self.held.push_back(a);
            }
            Action::Send { conn, msg } => self.send(conn, msg),
            Action::Connect { addr, role } => {
                if !self.connect(addr, role) {
                    service.on_connect_failed(addr, role, now);
                }
            }
            Action::Disconnect { conn, reason } => self.close(conn, reason),
            Action::Event(ev) => hooks.event(&ev, now),
        }
        Ok(())
    }

    /// True if an action for `conn` is held, so a later one must wait behind it.
    fn holds_for(&self, conn: ConnId) -> bool {
        self.held.iter().any(|a| match a {
            Action::Send { conn: c, .. } | Action::Disconnect { conn: c, .. } => *c == conn,
            _ => false,
        })
    }

    /// Syncs the blocks written since the last commit (one [`Hooks::sync_blocks`] for
    /// all of them), then applies the actions held back behind them, in order, and
    /// whatever those cause.
    pub(super) fn commit<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
        now: Time,
    ) -> io::Result<()> {
        while self.unsynced {
            hooks.sync_blocks()?;
            self.unsynced = false;
            self.stats.block_syncs += 1;
            while let Some(a) = self.held.pop_front() {
                self.apply_one(a, service, hooks, now)?;
            }
            self.apply_actions(service, hooks, now)?;
        }
        Ok(())
    }

    /// One mining slice, with the budget adapted so a slice takes about
    /// [`ReactorConfig::mining_slice`]. The slice runs in [`MINING_SUB_BATCHES`]
    /// sub-batches; between two a zero-timeout poll checks for readiness, and any ends
    /// the slice early (the events are kept for the next loop iteration), so mining
    /// delays a message by at most one sub-batch. A found block ends it too.
    fn mine_slice<S: Service, H: Hooks<S>>(
        &mut self,
        service: &mut S,
        hooks: &mut H,
    ) -> io::Result<()> {
        let budget = self.mining.budget.get();
        let sub = budget.div_ceil(MINING_SUB_BATCHES).max(1);
        let t0 = Instant::now();
        let mut tried = 0u64;
        let mut left = budget;
        while left > 0 {
            let n = sub.min(left);
            let done = service.mine(n, wall_clock());
            tried += done;
            left -= n;
            // Fewer than asked: a block was found, or mining stopped.
            if done < u64::from(n) || left == 0 || !service.wants_to_mine() {
                break;
            }
            match self.poll.poll(&mut self.events, Some(Duration::ZERO)) {
                Ok(()) if self.events.is_empty() => {}
                Ok(()) => {
                    self.events_pending = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let elapsed = t0.elapsed();
        // An interrupted slice counts as short: it may grow the budget, never shrink it.
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

impl Drop for Reactor {
    /// Removes the control socket's file, so no client finds a dead socket.
    fn drop(&mut self) {
        if let Some((_, path)) = &self.control {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Binds the control socket at `path` with mode 0600: bound under a temporary name in
/// the same directory, restricted, then renamed into place, so the socket is never
/// reachable at `path` with wider permissions. A file already at `path` is replaced.
///
/// # Errors
/// The path is too long for a Unix socket, or binding, `chmod` or `rename` failed.
fn bind_control(path: &Path) -> io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or("control".into(), |n| n.to_string_lossy());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let l = UnixListener::bind(&tmp)?;
    let done = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(l)
}
