//! The `tracker` command: parses flags, starts a [`Tracker`] on the `mio` reactor.

use crate::net::{Reactor, ReactorConfig};
use crate::runtime::{ParentWatch, TrackerHooks};
use crate::tracker::{Tracker, TrackerConfig, DEFAULT_MAX_PEERS, DEFAULT_MAX_PER_IP};
use crate::wire::MAX_TRACKER_PAYLOAD_LEN;
use argh::FromArgs;
use std::net::SocketAddr;
use std::time::Duration;

/// Inbound connections accepted beyond --max-peers, so that they get a polite
/// "too many peers" error instead of a bare close.
const REFUSAL_SLACK: usize = 64;
/// Bytes queued for one peer before it is dropped as not reading.
const TRACKER_SEND_QUEUE_BYTES: usize = 1024 * 1024;

/// cheesechain tracker: peers register here and learn about each other.
#[derive(FromArgs, Debug)]
pub struct TrackerArgs {
    /// address to listen on (default 0.0.0.0:7878, reachable from other hosts; port 0
    /// picks a free port). The first stdout line is `tracker listening on ADDR`.
    #[argh(option, default = "\"0.0.0.0:7878\".parse().unwrap()")]
    pub listen: SocketAddr,
    /// network whose frame magic to speak: main, devnet, testnet or regtest (default main)
    #[argh(option, default = "String::from(\"main\")")]
    pub network: String,
    /// devnet block time in seconds; accepted for symmetry with the peer (the devnet
    /// magic is the same for every block time)
    #[argh(option)]
    pub block_time: Option<u32>,
    /// most connections held at once, registered or not (default 16000; keep below
    /// `ulimit -n`)
    #[argh(option, default = "DEFAULT_MAX_PEERS")]
    pub max_peers: usize,
    /// most connections from one IP address (default 64; local experiments run many
    /// peers on 127.0.0.1)
    #[argh(option, default = "DEFAULT_MAX_PER_IP")]
    pub max_per_ip: usize,
    /// seconds without a heartbeat after which a peer is dropped (default 30; peers
    /// send one every 10)
    #[argh(option, default = "30")]
    pub heartbeat_timeout_secs: u64,
    /// seed of the generator that picks the peers in each peer list (default 0)
    #[argh(option, default = "0")]
    pub seed: u64,
    /// stop when the process that started this one exits (devnet uses this)
    #[argh(switch)]
    pub exit_with_parent: bool,

    /// print the name and version (`tracker X.Y.Z`), then exit
    #[argh(switch)]
    pub version: bool,
}

impl super::Versioned for TrackerArgs {
    fn version_requested(&self) -> bool {
        self.version
    }
}

/// Runs a tracker until its event loop stops.
///
/// # Errors
/// A message for the user: unknown network, bind failure, event loop failure.
pub fn run(args: TrackerArgs) -> Result<(), String> {
    let params = super::network_params(
        &args.network,
        args.block_time
            .unwrap_or(crate::chain::params::DEFAULT_DEVNET_BLOCK_TIME),
    )?;
    let config = ReactorConfig {
        listen: Some(args.listen),
        magic: params.magic,
        max_payload: MAX_TRACKER_PAYLOAD_LEN,
        max_inbound: args.max_peers.saturating_add(REFUSAL_SLACK),
        max_send_queue_bytes: TRACKER_SEND_QUEUE_BYTES,
        ..ReactorConfig::default()
    };
    let mut reactor =
        Reactor::bind(config).map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = reactor.local_addr().unwrap_or(args.listen);
    println!("tracker listening on {addr}");
    log::info!(target: "tracker", "network {}, listening on {addr}", params.name);
    let mut tracker = Tracker::new(TrackerConfig {
        max_peers: args.max_peers,
        max_per_ip: args.max_per_ip,
        heartbeat_timeout: Duration::from_secs(args.heartbeat_timeout_secs.max(1)),
        seed: args.seed,
        network: params.name.clone(),
        ..TrackerConfig::default()
    });
    reactor
        .run(
            &mut tracker,
            &mut TrackerHooks::new(ParentWatch::new(args.exit_with_parent)),
        )
        .map_err(|e| format!("event loop stopped: {e}"))
}
