//! Sync rate: how fast a fresh node downloads and validates a chain from a peer over
//! loopback, next to how fast the same chain validates in process.
//!
//! 1. Builds a regtest chain of `BLOCKS` blocks (default 10 000; optionally with
//!    `TRANSFERS` signed transfers per block) in process.
//! 2. Replays it into a fresh [`Chain`]: the in-process validation rate.
//! 3. Writes it to a data directory with [`BlockFile`], starts a tracker and the node
//!    holding the chain (loaded from that directory) and then a fresh non-mining node,
//!    each on its own reactor thread over loopback. The fresh node finds the holder
//!    through the tracker and syncs. Measures the time until its height reaches
//!    `BLOCKS`, twice: keeping blocks in memory, then storing them in its own
//!    `blocks.dat` like the `peer` binary (written as they arrive, one `fsync` per loop
//!    iteration: group commit).
//! 4. Prints the ratios durable / in-memory sync and in-memory sync / in-process
//!    validation.
//!
//! Usage: `cargo run --release --example sync_rate [--memory] [BLOCKS [TRANSFERS]]`
//!
//! `--memory`: only the in-memory sync. `SYNC_RATE_IN_FLIGHT=N` sets the nodes' blocks
//! in flight per peer (default: the node's).

use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer};
use cheesechain::chain::pow::check_pow;
use cheesechain::chain::tree::Chain;
use cheesechain::chain::{AccountId, Block, NetworkParams, Transfer};
use cheesechain::miner::block_template;
use cheesechain::net::{wall_clock, Hooks, Reactor, ReactorConfig, ReactorStats};
use cheesechain::node::{Node, NodeConfig};
use cheesechain::service::{Event, Time};
use cheesechain::store::blockfile::BlockFile;
use cheesechain::tracker::{Tracker, TrackerConfig};
use cheesechain::wire::MAX_PAYLOAD_LEN;
use secp256k1::SecretKey;
use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Default chain length.
const DEFAULT_BLOCKS: u32 = 10_000;
/// Give up on the sync after this long.
const SYNC_TIMEOUT: Duration = Duration::from_secs(300);
/// Funded keys the transfers rotate over.
const SENDERS: usize = 16;

/// Increments the nonce until the header meets its target (regtest: ~2 tries).
fn solve(b: &mut Block, pow_limit_bits: u32) {
    while check_pow(&b.header, pow_limit_bits).is_err() {
        b.header.nonce = b.header.nonce.wrapping_add(1);
    }
}

/// A chain of `n` blocks on `params` with `per_block` signed transfers in each block
/// after the first `SENDERS` (which fund the senders). Returns the blocks in order.
fn build_chain(params: &NetworkParams, n: u32, per_block: usize, now: u64) -> Vec<Block> {
    let net = params.network_id();
    let mut chain = Chain::new(params.clone());
    let keys: Vec<SecretKey> = (1..=SENDERS as u8)
        .map(|i| secret_from_bytes([i; 32]).expect("small constant keys are valid"))
        .collect();
    let ids: Vec<AccountId> = keys.iter().map(account_of).collect();
    let mut seqs = [0u64; SENDERS];
    let mut next_sender = 0usize;
    let recipient = account_of(&secret_from_bytes([99; 32]).expect("valid key"));
    let mut blocks = Vec::with_capacity(n as usize);
    let mut time = u64::from(params.genesis_time);
    for h in 1..=n {
        time += 1;
        let miner = ids[(h as usize - 1) % SENDERS];
        let mut transfers = Vec::new();
        if h as usize > SENDERS {
            for _ in 0..per_block {
                let i = next_sender % SENDERS;
                next_sender += 1;
                let mut t = Transfer {
                    sender: ids[i],
                    recipient,
                    amount: 1,
                    fee: 1,
                    sequence: seqs[i],
                    signature: [0; 64],
                };
                seqs[i] += 1;
                sign_transfer(&mut t, &keys[i], &net);
                transfers.push(t);
            }
        }
        let mut b = block_template(&chain, miner, transfers, time, u64::from(h));
        solve(&mut b, params.pow_limit_bits);
        chain
            .accept_block(b.clone(), now)
            .expect("built block is valid");
        blocks.push(b);
    }
    blocks
}

/// What the reactor threads report.
#[derive(Default)]
struct Progress {
    height: AtomicU32,
    /// Group commits of the node's reactor (its `block_syncs`).
    syncs: AtomicU64,
    first_peer: Mutex<Option<Instant>>,
    done: Mutex<Option<Instant>>,
}

/// Hooks for the nodes: durable storage like the `peer` binary (the holder stores
/// nothing new), progress reports, and a stop flag.
struct NodeHooks {
    /// `None`: blocks are not persisted (`--memory`).
    store: Option<BlockFile>,
    stop: Arc<AtomicBool>,
    target: u32,
    progress: Arc<Progress>,
}

impl Hooks<Node> for NodeHooks {
    fn store_block(&mut self, block: &Block) -> io::Result<()> {
        match &mut self.store {
            Some(s) => s.write(block).map_err(|e| io::Error::other(e.to_string())),
            None => Ok(()),
        }
    }

    fn sync_blocks(&mut self) -> io::Result<()> {
        match &mut self.store {
            Some(s) => s.sync().map_err(|e| io::Error::other(e.to_string())),
            None => Ok(()),
        }
    }

    fn event(&mut self, ev: &Event, _now: Time) {
        match ev {
            Event::PeerConnected { .. } => {
                let mut f = self.progress.first_peer.lock().expect("lock");
                f.get_or_insert_with(Instant::now);
            }
            Event::TipChanged { height, .. } => {
                self.progress.height.store(*height, Ordering::Relaxed);
                if *height >= self.target {
                    let mut d = self.progress.done.lock().expect("lock");
                    d.get_or_insert_with(Instant::now);
                }
            }
            _ => {}
        }
    }

    fn periodic(&mut self, _node: &Node, stats: &ReactorStats, _now: Time) -> ControlFlow<()> {
        self.progress
            .syncs
            .store(stats.block_syncs, Ordering::Relaxed);
        if self.stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Stops a tracker when the flag is set.
struct TrackerHooks(Arc<AtomicBool>);

impl Hooks<Tracker> for TrackerHooks {
    fn store_block(&mut self, _block: &Block) -> io::Result<()> {
        Err(io::Error::other("the tracker does not store blocks"))
    }

    fn event(&mut self, _ev: &Event, _now: Time) {}

    fn periodic(&mut self, _t: &Tracker, _s: &ReactorStats, _now: Time) -> ControlFlow<()> {
        if self.0.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

fn listen_any(magic: [u8; 4], max_payload: usize) -> Reactor {
    Reactor::bind(ReactorConfig {
        listen: Some("127.0.0.1:0".parse().expect("address")),
        magic,
        max_payload,
        ..ReactorConfig::default()
    })
    .expect("bind")
}

/// Starts a node from the blocks in `dir` on its own reactor thread. Returns its
/// address, the height it loaded, its progress and the thread.
fn start_node(
    params: &NetworkParams,
    dir: &std::path::Path,
    tracker: SocketAddr,
    target: u32,
    stop: &Arc<AtomicBool>,
    seed: u64,
    persist: bool,
) -> (u32, Arc<Progress>, JoinHandle<io::Result<()>>) {
    let (store, stored, _) = BlockFile::open(dir).expect("open block file");
    let mut reactor = listen_any(params.magic, MAX_PAYLOAD_LEN);
    let addr = reactor.local_addr().expect("listening");
    let mut cfg = NodeConfig::new(params.clone());
    cfg.listen_port = addr.port();
    cfg.tracker = Some(tracker);
    cfg.seed = seed;
    if let Some(n) = std::env::var("SYNC_RATE_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        cfg.max_blocks_in_flight_per_peer = n;
    }
    let (mut node, rejected) = Node::new(cfg, stored, wall_clock());
    assert_eq!(rejected, 0, "stored blocks are valid");
    let height = node.chain().height();
    let progress = Arc::new(Progress::default());
    progress.height.store(height, Ordering::Relaxed);
    let mut hooks = NodeHooks {
        store: persist.then_some(store),
        stop: stop.clone(),
        target,
        progress: progress.clone(),
    };
    // Named, so a profiler tells the holder and the syncer apart.
    let handle = std::thread::Builder::new()
        .name(if seed == 1 { "holder" } else { "syncer" }.into())
        .spawn(move || reactor.run(&mut node, &mut hooks))
        .expect("spawn");
    (height, progress, handle)
}

/// One sync over loopback: a tracker, the holder loaded from `holder_dir` and a fresh
/// non-mining node in `syncer_dir` (storing every block in its `blocks.dat` when
/// `persist`, group-committed like the `peer` binary), each on its own reactor
/// thread. Prints and returns the rate in blocks per second after the handshake.
fn sync_once(
    params: &NetworkParams,
    holder_dir: &std::path::Path,
    syncer_dir: &std::path::Path,
    n: u32,
    persist: bool,
) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tracker_reactor = listen_any(params.magic, MAX_PAYLOAD_LEN);
    let tracker_addr = tracker_reactor.local_addr().expect("listening");
    let stop_t = stop.clone();
    let tracker_thread = std::thread::spawn(move || {
        let mut tracker = Tracker::new(TrackerConfig::default());
        tracker_reactor.run(&mut tracker, &mut TrackerHooks(stop_t))
    });
    let t = Instant::now();
    let (held, _, holder_thread) = start_node(params, holder_dir, tracker_addr, n, &stop, 1, false);
    assert_eq!(held, n);
    println!(
        "holder loaded and re-validated its chain in {:.2?}",
        t.elapsed()
    );
    // Let the holder register with the tracker before the fresh node asks for peers.
    std::thread::sleep(Duration::from_millis(300));

    let start = Instant::now();
    let (h0, progress, syncer_thread) =
        start_node(params, syncer_dir, tracker_addr, n, &stop, 2, persist);
    assert_eq!(h0, 0);
    let mut last_report = Instant::now();
    let done = loop {
        if let Some(d) = *progress.done.lock().expect("lock") {
            break Some(d);
        }
        if start.elapsed() > SYNC_TIMEOUT {
            break None;
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            println!(
                "  ... height {} after {:.1?}",
                progress.height.load(Ordering::Relaxed),
                start.elapsed()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    stop.store(true, Ordering::Relaxed);
    for h in [syncer_thread, holder_thread, tracker_thread] {
        h.join().expect("thread").expect("reactor");
    }
    let Some(done) = done else {
        println!(
            "sync did not finish within {SYNC_TIMEOUT:?}: height {}",
            progress.height.load(Ordering::Relaxed)
        );
        std::process::exit(1);
    };
    let connected = progress.first_peer.lock().expect("lock").unwrap_or(start);
    let total = done.duration_since(start);
    let syncing = done.duration_since(connected);
    let sync_rate = f64::from(n) / syncing.as_secs_f64();
    let syncs = progress.syncs.load(Ordering::Relaxed);
    println!(
        "sync over loopback ({}): {n} blocks in {syncing:.2?} after the handshake \
         ({total:.2?} from start) = {sync_rate:.0} blocks/s",
        if persist {
            format!("blocks appended to blocks.dat, {syncs} group fsyncs")
        } else {
            "blocks kept in memory".to_string()
        },
    );
    sync_rate
}

fn main() {
    let _ = env_logger::try_init();
    let all: Vec<String> = std::env::args().skip(1).collect();
    let memory_only = all.iter().any(|a| a == "--memory");
    let mut args = all.into_iter().filter(|a| !a.starts_with("--"));
    let n: u32 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEFAULT_BLOCKS);
    let per_block: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let params = NetworkParams::regtest();
    let now = wall_clock().secs();

    // 1. Build.
    let t = Instant::now();
    let blocks = build_chain(&params, n, per_block, now);
    let bytes: usize = blocks.iter().map(Block::encoded_len).sum();
    println!(
        "built {n} regtest blocks ({per_block} transfers each, {:.1} MB) in {:.2?}",
        bytes as f64 / 1e6,
        t.elapsed()
    );

    // 2. In-process validation: replay into a fresh chain (copies made beforehand).
    let copy = blocks.clone();
    let mut chain = Chain::new(params.clone());
    let t = Instant::now();
    for b in copy {
        chain.accept_block(b, now).expect("valid");
    }
    let in_process = t.elapsed();
    assert_eq!(chain.height(), n);
    let in_rate = f64::from(n) / in_process.as_secs_f64();
    println!("in-process validation: {n} blocks in {in_process:.2?} = {in_rate:.0} blocks/s");

    // 3. A real sync over loopback.
    let tmp = tempfile::tempdir().expect("temp dir");
    let holder_dir = tmp.path().join("holder");
    let t = Instant::now();
    {
        let (mut bf, _, _) = BlockFile::open(&holder_dir).expect("create block file");
        for b in &blocks {
            bf.write(b).expect("write");
        }
        bf.sync().expect("sync");
    }
    let write = t.elapsed();
    println!("wrote the holder's blocks.dat in {write:.2?} (one fsync at the end)");
    drop(blocks);

    let memory_rate = sync_once(
        &params,
        &holder_dir,
        &tmp.path().join("syncer-mem"),
        n,
        false,
    );
    let durable_rate = if memory_only {
        None
    } else {
        Some(sync_once(
            &params,
            &holder_dir,
            &tmp.path().join("syncer-disk"),
            n,
            true,
        ))
    };
    println!(
        "in-memory sync / in-process validation = {:.3}",
        memory_rate / in_rate
    );
    if let Some(d) = durable_rate {
        println!("durable sync / in-memory sync = {:.3}", d / memory_rate);
        println!("durable sync / in-process validation = {:.3}", d / in_rate);
    }
}
