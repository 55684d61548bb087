//! Golden trace digests: "same seed, same trace" checked by CI, not claimed.
//!
//! Each scenario is small (well under a second in release) and its trace digest is
//! pinned in [`GOLDEN`]. A pure refactor must leave every digest unchanged. A change
//! of behaviour (of the node, the tracker or the simulator) that changes a digest
//! updates the table in its own commit, saying why the trace changed. On a mismatch the
//! test prints every scenario's new digest in the table's format, ready to paste.

use cheesechain::sim::{Crash, Latency, Partition, Sim, SimConfig, Topology};
use std::time::Duration;

/// (scenario, pinned trace digest). Update only in a commit that says why.
const GOLDEN: &[(&str, &str)] = &[
    (
        "mesh16",
        "47e64c597d14cf82b7a2f225a5df989eb7adbc88e4d200c106d0e433d0e96760",
    ),
    (
        "tracker100",
        "1e3f9e46dbaa6373a5e6cc72f5e17ab51b9cabe82f105e1e2961efd9029ea703",
    ),
    (
        "faults",
        "6c6a36c8a63ee3e2357794b2e32fe4d0d64435e877db2ee342f4f5cbc0787f3c",
    ),
];

fn scenario(name: &str) -> SimConfig {
    match name {
        // 16 miners in a full mesh, fixed latency, 200 blocks.
        "mesh16" => {
            let mut cfg = SimConfig::new(1, 16, 16);
            cfg.latency = Latency::Fixed(100.0);
            cfg.block_interval = Duration::from_secs(60);
            cfg.blocks = 200;
            cfg
        }
        // 100 peers on the tracker topology with random latency and limited bandwidth.
        "tracker100" => {
            let mut cfg = SimConfig::new(2, 100, 16);
            cfg.topology = Topology::Tracker { outbound: 8 };
            cfg.latency = Latency::Uniform(20.0, 200.0);
            cfg.bandwidth = Some(50_000);
            cfg.block_interval = Duration::from_secs(60);
            cfg.blocks = 100;
            cfg
        }
        // Loss, duplication, lognormal latency, a partition, crashes and a tracker
        // outage, with the keepalive timers on.
        "faults" => {
            let mut cfg = SimConfig::new(3, 30, 6);
            cfg.topology = Topology::Tracker { outbound: 4 };
            cfg.latency = Latency::LogNormal {
                median: 40.0,
                mean: 60.0,
            };
            cfg.bandwidth = Some(100_000);
            cfg.loss = 0.02;
            cfg.dup = 0.02;
            cfg.keepalive = true;
            cfg.block_interval = Duration::from_secs(30);
            cfg.blocks = 60;
            cfg.partition = Some(Partition {
                start: Duration::from_secs(300),
                heal: Duration::from_secs(600),
            });
            cfg.crashes = vec![
                Crash {
                    node: 5,
                    at: Duration::from_secs(200),
                    restart: Some(Duration::from_secs(500)),
                },
                Crash {
                    node: 11,
                    at: Duration::from_secs(700),
                    restart: None,
                },
            ];
            cfg.tracker_outages = vec![(Duration::from_secs(800), Duration::from_secs(950))];
            cfg
        }
        _ => unreachable!("unknown scenario {name}"),
    }
}

#[test]
fn golden_trace_digests_are_unchanged() {
    let mut got = Vec::new();
    for &(name, _) in GOLDEN {
        let r = Sim::run(scenario(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} events, {:.2} s wall",
            r.totals.events, r.totals.wall_secs
        );
        got.push((name, r.digest_hex()));
    }
    if got.iter().zip(GOLDEN).any(|((_, g), (_, want))| g != want) {
        let table: String = got
            .iter()
            .map(|(n, d)| format!("    (\n        \"{n}\",\n        \"{d}\",\n    ),\n"))
            .collect();
        panic!(
            "trace digests changed; if intended, pin them in its own commit saying why:\n{table}"
        );
    }
}
