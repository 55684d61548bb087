//! The `peer` command: parses its flags and runs a node under the reactor.

use crate::chain::keys::account_of;
use crate::miner::engine::Engine;
use crate::miner::Miner;
use crate::net::{wall_clock, Reactor, ReactorConfig};
use crate::node::{Node, NodeConfig};
use crate::runtime::{resolve, PeerHooks};
use crate::service::Time;
use crate::store::blockfile::BlockFile;
use crate::store::keyfile::load_or_create_key;
use crate::store::netfile::check_or_record_network;
use crate::wire::MAX_PAYLOAD_LEN;
use argh::FromArgs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A cheesechain peer: mines blocks ("cheeses"), relays blocks and transactions, and
/// follows the valid chain with the most work. Its chain and key live in --data-dir and
/// survive restarts. Logs go to stderr (RUST_LOG=debug for more); a status line is
/// printed every --status-secs.
#[derive(FromArgs, Debug)]
pub struct PeerArgs {
    /// tracker address HOST:PORT (default 127.0.0.1:7878); "none" runs without one
    #[argh(option, default = "String::from(\"127.0.0.1:7878\")")]
    pub tracker: String,

    /// a peer to connect to, HOST:PORT (repeatable); with --tracker none the node
    /// needs no tracker at all
    #[argh(option)]
    pub connect: Vec<String>,

    /// address to accept peers on (default 0.0.0.0:0: all interfaces, any free port)
    #[argh(option, default = "String::from(\"0.0.0.0:0\")")]
    pub listen: String,

    /// directory for the block file, the node key and the control socket
    /// `control.sock` that cheese-cli uses (default ./cheese-data)
    #[argh(option, default = "PathBuf::from(\"cheese-data\")")]
    pub data_dir: PathBuf,

    /// network: main, devnet, testnet or regtest (default main); all peers and the
    /// tracker must agree
    #[argh(option, default = "String::from(\"main\")")]
    pub network: String,

    /// target block interval in seconds for the devnet network (default 5, as the
    /// devnet launcher uses)
    #[argh(option, default = "crate::chain::params::DEFAULT_DEVNET_BLOCK_TIME")]
    pub block_time: u32,

    /// do not mine; only relay and validate
    #[argh(switch)]
    pub no_mine: bool,

    /// account (66 hex characters, a compressed secp256k1 public key) that mined
    /// coins are paid to (default: this node's own key in --data-dir)
    #[argh(option)]
    pub mine_to: Option<String>,

    /// outbound peer connections to keep (default 8)
    #[argh(option, default = "8")]
    pub max_outbound: usize,

    /// inbound peer connections to accept at most (default 32); sockets still in
    /// their handshake wait in a pool of their own (16) that does not count
    #[argh(option, default = "32")]
    pub max_inbound: usize,

    /// inbound connections one address group may hold at most (default 8); a group is
    /// one IP on loopback and private ranges, a /16 (IPv6 /32) elsewhere
    #[argh(option, default = "8")]
    pub max_inbound_per_group: usize,

    /// ms without a new block before the stale-tip check looks for other peers (one
    /// extra outbound to a new address group, then the outbound peer that told us
    /// nothing new longest is dropped); also at least 3 block intervals (default
    /// 600000 on main and devnet, 30000 on testnet and regtest)
    #[argh(option)]
    pub stale_tip_min_ms: Option<u64>,

    /// artificial latency added to every outgoing message, in ms (default 0), to make
    /// forks happen on one machine as they do across the internet
    #[argh(option, default = "0")]
    pub delay_ms: u64,

    /// seconds between status lines on stderr (default 2; 0 turns them off)
    #[argh(option, default = "2")]
    pub status_secs: u64,

    /// seconds a misbehaving address stays banned (default 600)
    #[argh(option, default = "600")]
    pub ban_secs: u64,

    /// how this peer mines: honest (default: announce every block at once) or selfish
    /// (Eyal and Sirer's SM1: withhold found blocks, publish them to match or override
    /// the public chain; spec/peer-protocol.md appendix A), to watch an attack on a
    /// devnet
    #[argh(option, default = "crate::node::Strategy::Honest")]
    pub strategy: crate::node::Strategy,

    /// how to choose between tips of equal work: first-seen (default) or random (a
    /// defence against selfish mining)
    #[argh(option, default = "String::from(\"first-seen\")")]
    pub tie_break: String,

    /// stop when the process that started this one exits (devnet uses this)
    #[argh(switch)]
    pub exit_with_parent: bool,

    /// SHA-256d engine the miner uses: avx512, sha-ni, avx2 or scalar (default: the
    /// fastest this CPU supports; all find the same blocks)
    #[argh(option)]
    pub miner_engine: Option<String>,

    /// mine nothing real for SECS seconds on one thread, print
    /// `mining benchmark: X MH/s (1 thread, ENGINE)`, then exit (like cpuminer's
    /// --benchmark; combine with --miner-engine to compare engines)
    #[argh(option)]
    pub benchmark: Option<f64>,

    /// print the name and version (`peer X.Y.Z`), then exit
    #[argh(switch)]
    pub version: bool,
}

/// Hashes per second of the miner on this thread for about `dur`: a template whose
/// target (1) no hash meets, mined in batches of 2^20 nonces.
fn benchmark(dur: Duration) -> f64 {
    use crate::chain::block::Block;
    use crate::chain::hash::Hash256;
    use crate::chain::header::BlockHeader;
    use crate::chain::tx::{Coinbase, Transaction};
    let template = Block {
        header: BlockHeader {
            version: 1,
            prev: Hash256([0x5a; 32]),
            merkle_root: Hash256([0; 32]),
            time: 1_700_000_000,
            bits: 0x0300_0001,
            nonce: 0,
        },
        txs: vec![Transaction::Coinbase(Coinbase {
            height: 1,
            recipient: crate::chain::tx::AccountId([2; 33]),
            amount: 0,
            extra_nonce: 0,
        })],
    };
    let mut miner = Miner::new(template);
    let t0 = Instant::now();
    while t0.elapsed() < dur {
        let _ = std::hint::black_box(miner.work(1 << 20));
    }
    miner.hashes_done() as f64 / t0.elapsed().as_secs_f64()
}

impl super::Versioned for PeerArgs {
    fn version_requested(&self) -> bool {
        self.version
    }
}

/// Runs a peer until its event loop stops.
///
/// # Errors
/// A message for the user: bad flags, unusable data directory, bind failure.
pub fn run(args: PeerArgs) -> Result<(), String> {
    if let Some(name) = &args.miner_engine {
        let engine = Engine::from_name(name).ok_or_else(|| {
            format!("--miner-engine {name:?}: expected avx512, sha-ni, avx2 or scalar")
        })?;
        engine.select()?;
    }
    if let Some(secs) = args.benchmark {
        if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
            return Err(format!(
                "--benchmark {secs}: expected a number of seconds above 0, at most 86400"
            ));
        }
        let rate = benchmark(Duration::from_secs_f64(secs));
        println!(
            "mining benchmark: {:.2} MH/s (1 thread, {})",
            rate / 1e6,
            Engine::selected().name()
        );
        return Ok(());
    }
    let params = super::network_params(&args.network, args.block_time)?;
    let listen: SocketAddr = resolve(&args.listen)?;
    let tracker = match args.tracker.as_str() {
        "none" => None,
        t => Some(resolve(t)?),
    };
    let connect = args
        .connect
        .iter()
        .map(|a| resolve(a).map_err(|e| format!("--connect {a:?}: {e}")))
        .collect::<Result<Vec<SocketAddr>, String>>()?;
    let mine_to_flag = args
        .mine_to
        .as_deref()
        .map(|hex| {
            crate::chain::keys::parse_account(hex).map_err(|e| format!("--mine-to {hex:?} is {e}"))
        })
        .transpose()?;
    std::fs::create_dir_all(&args.data_dir).map_err(|e| {
        format!(
            "cannot create data directory {}: {e}",
            args.data_dir.display()
        )
    })?;
    if check_or_record_network(&args.data_dir, &params).map_err(|e| e.to_string())? {
        log::info!(
            "data directory {} now belongs to network {}",
            args.data_dir.display(),
            params.name
        );
    }
    let key = load_or_create_key(&args.data_dir).map_err(|e| e.to_string())?;
    let mine_to = if args.no_mine {
        None
    } else {
        Some(mine_to_flag.unwrap_or_else(|| account_of(&key)))
    };
    let (store, blocks, recovery) = BlockFile::open(&args.data_dir).map_err(|e| e.to_string())?;
    if let Some(r) = recovery {
        log::warn!("block file had a torn tail: {r:?}");
    }
    let stored = blocks.len();

    let control = args.data_dir.join(crate::net::CONTROL_SOCKET_NAME);
    let mut reactor = Reactor::bind(ReactorConfig {
        control_socket: Some(control.clone()),
        listen: Some(listen),
        magic: params.magic,
        max_payload: MAX_PAYLOAD_LEN,
        // Room for every slot and the handshake pool; the node refuses or evicts
        // beyond its own caps, this only bounds descriptors.
        max_inbound: args.max_inbound + crate::node::MAX_HANDSHAKING + 8,
        delay: Duration::from_millis(args.delay_ms),
        ..ReactorConfig::default()
    })
    .map_err(|e| format!("cannot listen on {listen} or {}: {e}", control.display()))?;
    let local = reactor
        .local_addr()
        .ok_or("listener has no local address")?;

    let mut cfg = NodeConfig::new(params);
    cfg.listen_port = local.port();
    cfg.tracker = tracker;
    cfg.connect = connect;
    cfg.max_outbound = args.max_outbound;
    cfg.max_inbound = args.max_inbound;
    cfg.max_inbound_per_group = args.max_inbound_per_group;
    cfg.mine_to = mine_to;
    cfg.ban_duration = Duration::from_secs(args.ban_secs);
    if let Some(ms) = args.stale_tip_min_ms {
        cfg.stale_tip_min = Duration::from_millis(ms);
    }
    cfg.seed = seed_from_os();
    cfg.strategy = args.strategy;
    cfg.tie_break = match args.tie_break.as_str() {
        "first-seen" => crate::chain::tree::TieBreak::FirstSeen,
        "random" => crate::chain::tree::TieBreak::Random { key: cfg.seed },
        t => {
            return Err(format!(
                "unknown --tie-break {t:?}: expected first-seen or random"
            ))
        }
    };
    let start: Time = wall_clock();
    let (node, rejected) = Node::new(cfg, blocks, start);
    println!("peer listening on {local}");
    log::info!(
        "network {} ({}), chain height {} from {stored} stored blocks ({rejected} rejected), mining to {}",
        node.config().params.name,
        node.config().params.network_id().short(),
        node.chain().height(),
        mine_to.map_or("nobody".to_string(), |a| a.to_string())
    );
    let mut node = node;
    let mut hooks = PeerHooks::new(
        store,
        args.data_dir.clone(),
        Duration::from_secs(args.status_secs),
        crate::runtime::ParentWatch::new(args.exit_with_parent),
    );
    reactor
        .run(&mut node, &mut hooks)
        .map_err(|e| format!("event loop stopped: {e}"))
}

fn seed_from_os() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if f.read_exact(&mut b).is_ok() {
            return u64::from_le_bytes(b);
        }
    }
    std::process::id() as u64 ^ wall_clock().0
}
