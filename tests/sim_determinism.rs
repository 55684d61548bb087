//! Acceptance experiment 3: a run is a pure function of its seed. The same seed gives
//! the same trace digest (and the same figures); another seed gives another digest.

use cheesechain::sim::{Latency, Report, Sim, SimConfig, Topology};
use std::time::Duration;

fn run(seed: u64) -> Report {
    let mut cfg = SimConfig::new(seed, 30, 6);
    cfg.topology = Topology::Tracker { outbound: 4 };
    cfg.latency = Latency::LogNormal {
        median: 50.0,
        mean: 80.0,
    };
    cfg.bandwidth = Some(200_000);
    cfg.loss = 0.01;
    cfg.dup = 0.01;
    cfg.block_interval = Duration::from_secs(20);
    cfg.blocks = 60;
    cfg.keepalive = true;
    Sim::run(cfg).expect("simulation runs and converges")
}

#[test]
fn same_seed_same_digest_other_seed_other_digest() {
    let a = run(7);
    let b = run(7);
    let c = run(8);
    eprintln!("seed 7: {}", a.digest_hex());
    eprintln!("seed 7: {}", b.digest_hex());
    eprintln!("seed 8: {}", c.digest_hex());
    eprint!("{}", a.text());
    assert_eq!(a.digest_hex(), b.digest_hex());
    assert_eq!(a.totals.events, b.totals.events);
    assert_eq!(a.stale, b.stale);
    assert_eq!(a.totals.final_height, b.totals.final_height);
    assert_eq!(a.json().lines().count(), b.json().lines().count());
    assert_ne!(a.digest_hex(), c.digest_hex());
}
