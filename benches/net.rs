//! Ping round trips to a real peer (reactor + node on a thread) while it mines and while
//! it is idle, measured in the same run.
//!
//! A raw TCP client does the version handshake, then sends [`PINGS`] pings one at a time
//! and times each until its pong. The mining peer runs on `main` parameters, so it
//! mines without pause and (almost) never finds a block. Prints p50, p99 and max of
//! both, and the reactor's measured hash rate.

use cheesechain::chain::keys::{account_of, secret_from_bytes};
use cheesechain::chain::{Block, NetworkParams};
use cheesechain::net::{Hooks, Reactor, ReactorConfig, ReactorStats, PERIODIC_INTERVAL};
use cheesechain::node::{Node, NodeConfig};
use cheesechain::service::{Event, Time};
use cheesechain::wire::{
    encode_frame, Decoded, FrameDecoder, Message, Version, MAX_PAYLOAD_LEN, PROTOCOL_VERSION,
};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Pings per measurement.
const PINGS: usize = 2000;
/// Pings sent first and not counted (connection and caches warm).
const WARMUP_PINGS: usize = 100;
/// The goal for the 99th percentile while mining.
const GOAL_P99: Duration = Duration::from_micros(150);
/// The goal for p99 while mining over p99 idle.
const GOAL_P99_RATIO: f64 = 5.0;
/// The goal for the hash rate while answering pings over the standalone miner's.
const GOAL_RATE_RATIO: f64 = 0.97;
/// Time allowed for any one answer.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What the reactor thread reports about itself.
#[derive(Clone, Default)]
struct Shared {
    stats: ReactorStats,
    /// The reactor thread's scheduler counters: (ns on a CPU, ns runnable but waiting).
    sched: Option<(u64, u64)>,
}

/// The calling thread's (run, wait) nanoseconds from `/proc/thread-self/schedstat`.
fn thread_schedstat() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut it = s.split_whitespace().map(|x| x.parse::<u64>().ok());
    Some((it.next()??, it.next()??))
}

/// Stops the reactor when the flag is set; keeps the last stats it saw.
struct BenchHooks {
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Shared>>,
}

impl Hooks<Node> for BenchHooks {
    fn store_block(&mut self, _block: &Block) -> io::Result<()> {
        Ok(())
    }

    fn event(&mut self, _ev: &Event, _now: Time) {}

    fn periodic(&mut self, _node: &Node, stats: &ReactorStats, _now: Time) -> ControlFlow<()> {
        let mut sh = self.shared.lock().expect("shared lock");
        sh.stats = stats.clone();
        sh.sched = thread_schedstat();
        drop(sh);
        if self.stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// A node on its own reactor thread.
struct Peer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    shared: Arc<Mutex<Shared>>,
    handle: Option<JoinHandle<io::Result<()>>>,
}

impl Peer {
    fn start(params: &NetworkParams, mining: bool) -> Peer {
        let mut reactor = Reactor::bind(ReactorConfig {
            listen: Some("127.0.0.1:0".parse().expect("address")),
            magic: params.magic,
            ..ReactorConfig::default()
        })
        .expect("bind");
        let addr = reactor.local_addr().expect("listening");
        let mut cfg = NodeConfig::new(params.clone());
        cfg.listen_port = addr.port();
        cfg.max_outbound = 0;
        cfg.seed = 7;
        // The client pings as fast as the answers come, far past a peer's budget.
        cfg.ping_budget = (u64::from(u32::MAX), 1_000_000);
        if mining {
            cfg.mine_to = Some(account_of(&secret_from_bytes([3; 32]).expect("key")));
        }
        let (mut node, _) = Node::new(cfg, Vec::new(), cheesechain::net::wall_clock());
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let mut hooks = BenchHooks {
            stop: stop.clone(),
            shared: shared.clone(),
        };
        let handle = std::thread::spawn(move || reactor.run(&mut node, &mut hooks));
        Peer {
            addr,
            stop,
            shared,
            handle: Some(handle),
        }
    }

    fn stop(mut self) -> ReactorStats {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.join().expect("reactor thread").expect("reactor");
        }
        let s = self.shared.lock().expect("shared lock").stats.clone();
        s
    }

    fn sched(&self) -> Option<(u64, u64)> {
        self.shared.lock().expect("shared lock").sched
    }
}

/// A blocking client speaking the wire protocol.
struct Client {
    stream: TcpStream,
    decoder: FrameDecoder,
    params: NetworkParams,
    buf: Vec<u8>,
    pending: std::collections::VecDeque<Message>,
}

impl Client {
    fn connect(addr: SocketAddr, params: &NetworkParams) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("timeout");
        let mut c = Client {
            stream,
            decoder: FrameDecoder::new(params.magic, MAX_PAYLOAD_LEN),
            params: params.clone(),
            buf: vec![0; 64 * 1024],
            pending: Default::default(),
        };
        c.send(&Message::Version(Version {
            version: u32::from(PROTOCOL_VERSION),
            network_id: params.network_id(),
            nonce: 0x5eed,
            best_height: 0,
            listen_port: 0,
        }));
        c.send(&Message::Verack);
        // Wait for the node's version and verack.
        let (mut version, mut verack) = (false, false);
        while !(version && verack) {
            match c.recv() {
                Message::Version(_) => version = true,
                Message::Verack => verack = true,
                _ => {}
            }
        }
        c
    }

    fn send(&mut self, m: &Message) {
        self.stream
            .write_all(&encode_frame(self.params.magic, m))
            .expect("write");
    }

    fn recv(&mut self) -> Message {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return m;
            }
            let n = self.stream.read(&mut self.buf).expect("read");
            assert!(n > 0, "peer closed the connection");
            let mut input = &self.buf[..n];
            while !input.is_empty() {
                match self.decoder.decode(&mut input).expect("valid frames") {
                    Some(Decoded::Message(m)) => self.pending.push_back(m),
                    Some(Decoded::Unknown { .. }) => {}
                    None => break,
                }
            }
        }
    }

    /// One ping's round trip. On the way answers what the node asks of a peer (its
    /// pings, and its header request, which it would otherwise time out).
    fn ping(&mut self, nonce: u64) -> Duration {
        let t0 = Instant::now();
        self.send(&Message::Ping { nonce });
        loop {
            match self.recv() {
                Message::Pong { nonce: n } if n == nonce => return t0.elapsed(),
                Message::Ping { nonce: n } => self.send(&Message::Pong { nonce: n }),
                Message::GetHeaders { .. } => self.send(&Message::Headers {
                    headers: Vec::new(),
                }),
                _ => {}
            }
        }
    }
}

struct Summary {
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// Round trips above the goal.
    over_goal: usize,
    /// Share of the measurement the reactor thread spent runnable but not running
    /// (other processes had the CPUs), if the kernel reports it.
    cpu_wait: Option<f64>,
}

fn measure(peer: &Peer, params: &NetworkParams) -> Summary {
    let mut c = Client::connect(peer.addr, params);
    for i in 0..WARMUP_PINGS {
        c.ping(i as u64);
    }
    // The hook refreshes the counters every 100 ms: wait for a fresh reading.
    std::thread::sleep(PERIODIC_INTERVAL * 2);
    let (s0, t0) = (peer.sched(), Instant::now());
    let mut rtts: Vec<Duration> = (0..PINGS).map(|i| c.ping(1_000_000 + i as u64)).collect();
    std::thread::sleep(PERIODIC_INTERVAL * 2);
    let (s1, wall) = (peer.sched(), t0.elapsed());
    let cpu_wait = s0
        .zip(s1)
        .map(|((_, w0), (_, w1))| w1.saturating_sub(w0) as f64 / wall.as_nanos() as f64);
    let over_goal = rtts.iter().filter(|d| **d > GOAL_P99).count();
    rtts.sort();
    let at = |q: f64| rtts[((rtts.len() as f64 * q) as usize).min(rtts.len() - 1)];
    Summary {
        p50: at(0.50),
        p99: at(0.99),
        max: *rtts.last().expect("pings"),
        over_goal,
        cpu_wait,
    }
}

/// The standalone miner's hash rate on this thread (same engine, no reactor), over
/// about `dur`: a template whose target no hash meets.
fn standalone_rate(dur: Duration) -> f64 {
    use cheesechain::chain::{BlockHeader, Hash256};
    let mut miner = cheesechain::miner::Miner::new(Block {
        header: BlockHeader {
            version: 1,
            prev: Hash256([0x5a; 32]),
            merkle_root: Hash256([0; 32]),
            time: 1_700_000_000,
            bits: 0x0300_0001,
            nonce: 0,
        },
        txs: Vec::new(),
    });
    let t0 = Instant::now();
    while t0.elapsed() < dur {
        std::hint::black_box(miner.work(1 << 18));
    }
    miner.hashes_done() as f64 / t0.elapsed().as_secs_f64()
}

fn us(d: Duration) -> String {
    format!("{:.0} us", d.as_secs_f64() * 1e6)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that does not match skips us.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args
        .iter()
        .any(|a| !a.starts_with('-') && !"ping".contains(a.as_str()))
    {
        return;
    }
    let _ = env_logger::try_init();
    let params = NetworkParams::main();

    let standalone_before = standalone_rate(Duration::from_secs(1));
    let miner = Peer::start(&params, true);
    // Let the miner start and its budget settle.
    std::thread::sleep(Duration::from_millis(500));
    let mining = measure(&miner, &params);
    let stats = miner.stop();

    let standalone_after = standalone_rate(Duration::from_secs(1));
    let standalone = (standalone_before + standalone_after) / 2.0;
    let idle_peer = Peer::start(&params, false);
    std::thread::sleep(Duration::from_millis(200));
    let idle = measure(&idle_peer, &params);
    let idle_stats = idle_peer.stop();

    let wait = |s: &Summary| {
        s.cpu_wait.map_or(String::new(), |w| {
            format!(
                "; reactor thread waited for a CPU {:.0}% of the time",
                w * 100.0
            )
        })
    };
    println!(
        "ping while mining: p50 {} p99 {} max {} ({PINGS} pings, {} over {}; {:.2} MH/s, slice {:?}, budget {}{})",
        us(mining.p50),
        us(mining.p99),
        us(mining.max),
        mining.over_goal,
        us(GOAL_P99),
        stats.hash_rate / 1e6,
        ReactorConfig::default().mining_slice,
        stats.mining_budget,
        wait(&mining)
    );
    println!(
        "ping idle:         p50 {} p99 {} max {} ({PINGS} pings, {} over {}; {} hashes{})",
        us(idle.p50),
        us(idle.p99),
        us(idle.max),
        idle.over_goal,
        us(GOAL_P99),
        idle_stats.hashes_tried,
        wait(&idle)
    );
    let p99_ratio = mining.p99.as_secs_f64() / idle.p99.as_secs_f64().max(1e-9);
    let rate_ratio = stats.hash_rate / standalone.max(1.0);
    let verdict = |ok: bool| if ok { "met" } else { "missed" };
    println!(
        "goal p99 <= {} while mining: {}",
        us(GOAL_P99),
        verdict(mining.p99 <= GOAL_P99)
    );
    println!(
        "ratio p99 mining / p99 idle: {p99_ratio:.2} (goal <= {GOAL_P99_RATIO}: {})",
        verdict(p99_ratio <= GOAL_P99_RATIO)
    );
    println!(
        "ratio hash rate while pinged / standalone miner: {rate_ratio:.3} ({:.2} / {:.2} MH/s, engine {}; goal >= {GOAL_RATE_RATIO}: {})",
        stats.hash_rate / 1e6,
        standalone / 1e6,
        cheesechain::miner::engine::Engine::selected().name(),
        verdict(rate_ratio >= GOAL_RATE_RATIO)
    );
}
