//! Load generator for the tracker: opens N connections from this process, registers
//! each under its own port, heartbeats, and reports the tracker's resident memory per
//! registered peer (read from /proc/PID/status when `--tracker-pid` is given).
//!
//! ```text
//! tracker --listen 127.0.0.1:7878 --network regtest --max-per-ip 20000 &
//! cargo run --release --example tracker_load -- --peers 10000 --tracker-pid $!
//! ```

use argh::FromArgs;
use cheesechain::chain::{Block, NetworkParams};
use cheesechain::net::{Hooks, Reactor, ReactorConfig, ReactorStats};
use cheesechain::service::{
    Action, ConnId, Direction, DisconnectReason, Event, Role, Service, Time,
};
use cheesechain::wire::{Message, MAX_TRACKER_PAYLOAD_LEN};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// Opens many registered connections to a tracker and measures its memory.
#[derive(FromArgs)]
struct Args {
    /// tracker address (default 127.0.0.1:7878)
    #[argh(option, default = "\"127.0.0.1:7878\".parse().unwrap()")]
    addr: SocketAddr,
    /// connections to open and register (default 10000)
    #[argh(option, default = "10_000")]
    peers: usize,
    /// connects in flight at once (default 100; mio's listen backlog is 128)
    #[argh(option, default = "100")]
    in_flight: usize,
    /// first listen port registered; peer i registers base_port + i (default 20000)
    #[argh(option, default = "20_000")]
    base_port: u16,
    /// network magic (default regtest)
    #[argh(option, default = "String::from(\"regtest\")")]
    network: String,
    /// seconds to hold all peers registered before measuring again (default 5)
    #[argh(option, default = "5")]
    hold_secs: u64,
    /// pid of the tracker process whose VmRSS to report
    #[argh(option)]
    tracker_pid: Option<u32>,
}

struct Load {
    addr: SocketAddr,
    total: usize,
    base_port: u16,
    next_port: usize,
    started: usize,
    registered: usize,
    conns: HashMap<ConnId, bool>,
    failures: u64,
    disconnects: u64,
    received: u64,
    next_heartbeat: Time,
    actions: VecDeque<Action>,
}

impl Load {
    fn connect_one(&mut self) {
        if self.started < self.total {
            self.started += 1;
            self.actions.push_back(Action::Connect {
                addr: self.addr,
                role: Role::Tracker,
            });
        }
    }
}

impl Service for Load {
    fn on_connected(&mut self, conn: ConnId, _a: SocketAddr, _d: Direction, _r: Role, _now: Time) {
        let listen_port = self.base_port.wrapping_add(self.next_port as u16);
        self.next_port += 1;
        self.conns.insert(conn, false);
        self.actions.push_back(Action::Send {
            conn,
            msg: Message::Register { listen_port },
        });
    }
    fn on_connect_failed(&mut self, _addr: SocketAddr, _role: Role, _now: Time) {
        self.failures += 1;
        self.started -= 1;
        self.connect_one();
    }
    fn on_message(&mut self, conn: ConnId, msg: Message, _now: Time) {
        self.received += 1;
        if let Message::PeerList { .. } = msg {
            if let Some(r) = self.conns.get_mut(&conn) {
                if !*r {
                    *r = true;
                    self.registered += 1;
                    self.connect_one();
                }
            }
        }
    }
    fn on_disconnected(&mut self, conn: ConnId, reason: &DisconnectReason, _now: Time) {
        self.disconnects += 1;
        if let Some(true) = self.conns.remove(&conn) {
            self.registered -= 1;
        }
        eprintln!("connection {conn} closed: {reason}");
    }
    fn on_tick(&mut self, now: Time) {
        self.next_heartbeat = now + Duration::from_secs(10);
        for (&conn, &r) in &self.conns {
            if r {
                self.actions.push_back(Action::Send {
                    conn,
                    msg: Message::Heartbeat,
                });
            }
        }
    }
    fn next_deadline(&self) -> Option<Time> {
        Some(self.next_heartbeat)
    }
    fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}

fn vm_rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Report {
    pid: Option<u32>,
    baseline_kb: Option<u64>,
    start: Instant,
    all_in: Option<Instant>,
    hold: Duration,
}

impl Hooks<Load> for Report {
    fn store_block(&mut self, _b: &Block) -> io::Result<()> {
        Ok(())
    }
    fn event(&mut self, _e: &Event, _now: Time) {}
    fn periodic(&mut self, l: &Load, stats: &ReactorStats, _now: Time) -> ControlFlow<()> {
        if self.all_in.is_none() && l.registered == l.total {
            self.all_in = Some(Instant::now());
            println!(
                "registered {} peers in {:.1} s ({} connect failures, {} messages received)",
                l.total,
                self.start.elapsed().as_secs_f64(),
                l.failures,
                l.received
            );
        }
        if let Some(t) = self.all_in {
            if t.elapsed() >= self.hold {
                println!(
                    "held {} peers for {:?}: {} messages, {} bytes received, {} disconnects",
                    l.registered, self.hold, l.received, stats.bytes_received, l.disconnects
                );
                if let (Some(pid), Some(base)) = (self.pid, self.baseline_kb) {
                    if let Some(now_kb) = vm_rss_kb(pid) {
                        let per_peer = (now_kb.saturating_sub(base) * 1024) / l.total.max(1) as u64;
                        println!(
                            "tracker VmRSS: {base} kB idle, {now_kb} kB with {} peers: {per_peer} bytes per peer",
                            l.total
                        );
                    }
                }
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }
}

fn main() -> io::Result<()> {
    let args: Args = argh::from_env();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let params = NetworkParams::by_name(&args.network)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "unknown network"))?;
    let mut reactor = Reactor::bind(ReactorConfig {
        magic: params.magic,
        max_payload: MAX_TRACKER_PAYLOAD_LEN,
        ..ReactorConfig::default()
    })?;
    let mut load = Load {
        addr: args.addr,
        total: args.peers,
        base_port: args.base_port,
        next_port: 0,
        started: 0,
        registered: 0,
        conns: HashMap::new(),
        failures: 0,
        disconnects: 0,
        received: 0,
        next_heartbeat: Time(0),
        actions: VecDeque::new(),
    };
    for _ in 0..args.in_flight {
        load.connect_one();
    }
    let baseline_kb = args.tracker_pid.and_then(vm_rss_kb);
    let mut report = Report {
        pid: args.tracker_pid,
        baseline_kb,
        start: Instant::now(),
        all_in: None,
        hold: Duration::from_secs(args.hold_secs),
    };
    reactor.run(&mut load, &mut report)
}
