//! A state-machine fuzz driver: plays an arbitrary byte string as a sequence of inputs
//! (connections opened and lost, messages, ticks, mining budgets) into any `Service`
//! and checks the rules every service keeps after every step.
//!
//! Shared by the `node_session` and `tracker_session` fuzz targets and by
//! `tests/state_fuzz.rs` (all include this file), so a crash the fuzzer finds is
//! replayed by a plain test. The checks, after every step:
//! - no panic (the fuzzer sees it);
//! - no action names a connection that is gone (never opened, or whose close was
//!   already reported to the service);
//! - after a tick at `now`, the next deadline is `None` or later than `now`;
//! - the caller's `bounds` hold (memory bounded by the documented budgets).
//!
//! The input language (so regression inputs can be written by hand): each input is a
//! step byte (taken modulo 16) and its fields; u16 and u64 are little-endian; a field
//! past the end of the data reads as 0.
//!
//! | step | fields | input |
//! |---|---|---|
//! | 0, 1 | role, host, port (u8 each) | inbound connection from 127.0.0.(1 + host % 6) |
//! | 2 | pick | the remote closes a live connection |
//! | 3–6 | pick, sel, \[type u16 if sel ≥ 0x80\], len (u8, or u16 if sel & 0x40), payload | a message decoded from the payload; type = the service's first + sel % count |
//! | 7, 8 | pick, seed (u64) | the service's well-formed opening (`greeting`) |
//! | 9, 15 | pick, which, flip (u16) | replay a message the service sent; odd flip: one bit changed |
//! | 10 | which, ok | answer a dial the service asked for (even ok: connected) |
//! | 11 | budget (u16) | a mining slice of budget % 4096 nonces, if the service mines |
//! | 12, 13 | ms (u16) | time passes (0: to the next deadline), then a tick |
//! | 14 | secs (u16) | a long jump in time, then a tick |

use cheesechain::service::{Action, ConnId, Direction, DisconnectReason, Role, Service, Time};
use cheesechain::wire::Message;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

/// The most inputs played from one byte string (each takes at least one byte).
pub const MAX_STEPS: usize = 2_000;
/// The most messages the service sent that are kept for replaying to it.
const MAX_ECHOES: usize = 64;

/// Reads the input a byte or a few at a time; past the end, zeros.
pub struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data, pos: 0 }
    }

    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.u8();
        }
        u64::from_le_bytes(b)
    }

    /// Up to `n` bytes (fewer at the end of the input).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let start = self.pos.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.pos = start + n;
        &self.data[start..end]
    }
}

/// What a session needs to know about the service under test beyond `Service`.
pub trait Subject: Service {
    /// The roles an inbound connection may have (a tracker only takes peers; a node
    /// takes peers and local control clients).
    fn inbound_roles(&self) -> &'static [Role];
    /// A well-formed opening the service accepts (e.g. a `version` and `verack` with
    /// the right network), built from `seed`: random bytes rarely hit one.
    fn greeting(&self, conn: ConnId, seed: u64) -> Vec<Message>;
    /// The message types this service speaks (`first`, `count`): raw messages are
    /// mostly drawn from them, so random payloads meet the real handlers.
    fn message_types(&self) -> (u16, u16);
    /// The documented memory bounds; `Err` names the one broken.
    fn bounds(&self, open_conns: usize) -> Result<(), String>;
    /// A measure of how deep into its protocol the session got (ready peers, peers
    /// registered); the session records its largest value.
    fn depth(&self) -> usize;
}

/// What a session did, so a test can show its inputs reach deep states.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    /// Inputs played.
    pub steps: usize,
    /// Messages delivered to the service.
    pub delivered: usize,
    /// Messages the service sent.
    pub sent: usize,
    /// Connections the service closed itself.
    pub closed: usize,
    /// Ticks.
    pub ticks: usize,
    /// The largest [`Subject::depth`] seen.
    pub depth: usize,
}

/// Drives one service through the inputs read from `data`.
pub struct Session<'s, S: Subject> {
    pub service: &'s mut S,
    pub now: Time,
    /// Connections open as far as the service knows, with their role.
    open: BTreeMap<ConnId, Role>,
    /// Connections the service asked to close, whose close is not yet reported.
    closing: BTreeSet<ConnId>,
    /// Outbound dials the service asked for, not yet answered.
    dials: Vec<(SocketAddr, Role)>,
    /// Messages the service sent, for replaying (valid blocks and headers that random
    /// bytes would never produce).
    echoes: Vec<Message>,
    next_conn: ConnId,
    /// What happened so far.
    pub summary: Summary,
}

impl<'s, S: Subject> Session<'s, S> {
    pub fn new(service: &'s mut S, now: Time) -> Self {
        Session {
            service,
            now,
            open: BTreeMap::new(),
            closing: BTreeSet::new(),
            dials: Vec::new(),
            echoes: Vec::new(),
            next_conn: 1,
            summary: Summary::default(),
        }
    }

    /// Plays the whole input; panics on the first broken rule.
    pub fn run(&mut self, data: &[u8]) -> Summary {
        let mut b = Bytes::new(data);
        self.settle("start");
        let mut steps = 0;
        while !b.done() && steps < MAX_STEPS {
            steps += 1;
            self.step(&mut b);
        }
        // Everything the service still waits for, in time order: its deadlines must
        // keep moving forward.
        for _ in 0..32 {
            let Some(d) = self.service.next_deadline() else {
                break;
            };
            self.now = self.now.max(d);
            self.tick();
        }
        self.summary.steps = steps;
        self.summary
    }

    /// One of the live connections, chosen by `pick`.
    fn live(&self, pick: u8) -> Option<ConnId> {
        let live: Vec<ConnId> = self
            .open
            .keys()
            .copied()
            .filter(|c| !self.closing.contains(c))
            .collect();
        (!live.is_empty()).then(|| live[usize::from(pick) % live.len()])
    }

    /// One input. Each reads all of its fields before looking at the state, so an
    /// input means the same whatever state it meets (the layout is in the module docs).
    fn step(&mut self, b: &mut Bytes) {
        match b.u8() % 16 {
            0 | 1 => {
                let (role, host, port) = (b.u8(), b.u8(), b.u8());
                let roles = self.service.inbound_roles();
                let role = roles[usize::from(role) % roles.len()];
                let addr = SocketAddr::from(([127, 0, 0, 1 + host % 6], 40_000 + u16::from(port)));
                let conn = self.fresh_conn();
                self.open.insert(conn, role);
                self.service
                    .on_connected(conn, addr, Direction::Inbound, role, self.now);
                self.settle("on_connected");
            }
            2 => {
                if let Some(conn) = self.live(b.u8()) {
                    self.open.remove(&conn);
                    self.service
                        .on_disconnected(conn, &DisconnectReason::RemoteClosed, self.now);
                    self.settle("on_disconnected");
                }
            }
            3..=6 => {
                // A message decoded from raw bytes: mostly the service's own types and
                // short payloads, sometimes any type or a long payload.
                let (pick, sel) = (b.u8(), b.u8());
                let ty = if sel & 0x80 == 0 {
                    let (first, count) = self.service.message_types();
                    first + u16::from(sel) % count
                } else {
                    b.u16()
                };
                let len = if sel & 0x40 == 0 {
                    usize::from(b.u8())
                } else {
                    usize::from(b.u16() % 8192)
                };
                let payload = b.take(len);
                let Some(conn) = self.live(pick) else {
                    return;
                };
                if let Ok(Some(msg)) = Message::decode_payload(ty, payload) {
                    self.deliver(conn, msg);
                }
            }
            7 | 8 => {
                let (pick, seed) = (b.u8(), b.u64());
                let Some(conn) = self.live(pick) else {
                    return;
                };
                for msg in self.service.greeting(conn, seed) {
                    self.deliver(conn, msg);
                }
            }
            9 | 15 => {
                // Replay something the service sent, whole or with one bit flipped.
                let (pick, which, flip) = (b.u8(), b.u8(), b.u16());
                let (Some(conn), false) = (self.live(pick), self.echoes.is_empty()) else {
                    return;
                };
                let msg = self.echoes[usize::from(which) % self.echoes.len()].clone();
                let mut bytes = Vec::new();
                msg.encode_payload(&mut bytes);
                if flip & 1 == 1 && !bytes.is_empty() {
                    let at = usize::from(flip >> 1) % bytes.len();
                    bytes[at] ^= 1 << (flip % 8);
                }
                if let Ok(Some(m)) = Message::decode_payload(msg.msg_type(), &bytes) {
                    self.deliver(conn, m);
                }
            }
            10 => {
                // Answer one pending dial: connected, or failed.
                let (which, ok) = (b.u8(), b.u8() & 1 == 0);
                if self.dials.is_empty() {
                    return;
                }
                let (addr, role) = self.dials.remove(usize::from(which) % self.dials.len());
                if ok {
                    let conn = self.fresh_conn();
                    self.open.insert(conn, role);
                    self.service
                        .on_connected(conn, addr, Direction::Outbound, role, self.now);
                    self.settle("on_connected outbound");
                } else {
                    self.service.on_connect_failed(addr, role, self.now);
                    self.settle("on_connect_failed");
                }
            }
            11 => {
                // Small slices: a regtest block takes a few nonces, and the fuzzer's
                // time is better spent on messages than on hashing.
                let budget = u32::from(b.u16() % 4096);
                if self.service.wants_to_mine() {
                    self.service.mine(budget, self.now);
                    self.settle("mine");
                }
            }
            12 | 13 => {
                // Time passes: up to 65 s, or straight to the next deadline.
                let ms = b.u16();
                self.now = match (ms, self.service.next_deadline()) {
                    (0, Some(d)) => self.now.max(d),
                    _ => Time(self.now.0 + u64::from(ms)),
                };
                self.tick();
            }
            _ => {
                // A long jump (minutes to hours): timeouts, bans, retries expire.
                self.now = Time(self.now.0 + u64::from(b.u16()) * 1_000);
                self.tick();
            }
        }
    }

    fn fresh_conn(&mut self) -> ConnId {
        let c = self.next_conn;
        self.next_conn += 1;
        c
    }

    fn deliver(&mut self, conn: ConnId, msg: Message) {
        self.summary.delivered += 1;
        self.service.on_message(conn, msg, self.now);
        self.settle("on_message");
    }

    fn tick(&mut self) {
        self.summary.ticks += 1;
        self.service.on_tick(self.now);
        self.settle("on_tick");
        if let Some(d) = self.service.next_deadline() {
            assert!(
                d > self.now,
                "ticked at {:?}, next deadline {d:?} is not later",
                self.now
            );
        }
    }

    /// Drains the service's actions, checking each; reports the closes it asked for
    /// (as a reactor does once the socket is gone), until nothing is left.
    fn settle(&mut self, after: &str) {
        loop {
            while let Some(a) = self.service.poll_action() {
                self.check_action(&a, after);
            }
            let Some(conn) = self.closing.pop_first() else {
                break;
            };
            self.open.remove(&conn);
            self.service
                .on_disconnected(conn, &DisconnectReason::Requested, self.now);
        }
        self.summary.depth = self.summary.depth.max(self.service.depth());
        if let Err(e) = self.service.bounds(self.open.len()) {
            panic!("after {after}: bound broken: {e}");
        }
    }

    fn check_action(&mut self, a: &Action, after: &str) {
        match a {
            Action::Send { conn, msg } => {
                assert!(
                    self.open.contains_key(conn),
                    "after {after}: {} sent to gone connection {conn}",
                    msg.name()
                );
                self.summary.sent += 1;
                if self.echoes.len() < MAX_ECHOES {
                    self.echoes.push(msg.clone());
                } else {
                    let i = (self.now.0 as usize ^ self.next_conn as usize) % MAX_ECHOES;
                    self.echoes[i] = msg.clone();
                }
            }
            Action::Disconnect { conn, .. } => {
                assert!(
                    self.open.contains_key(conn),
                    "after {after}: disconnect of gone connection {conn}"
                );
                self.summary.closed += 1;
                self.closing.insert(*conn);
            }
            Action::Connect { addr, role } => {
                if self.dials.len() < 64 {
                    self.dials.push((*addr, *role));
                }
            }
            Action::StoreBlock(_) | Action::Event(_) => {}
        }
    }
}
