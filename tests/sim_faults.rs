//! The fault models: node crashes with restarts from the stored chain, a tracker outage,
//! message loss and duplication. The network must still end on one tip with every
//! invariant holding, and a restarted node must catch up.

use cheesechain::sim::{Crash, Latency, Sim, SimConfig, Topology};
use std::time::Duration;

#[test]
fn crashes_tracker_outage_loss_and_duplication_still_converge() {
    let seed = 11;
    let mut cfg = SimConfig::new(seed, 40, 8);
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
    cfg.blocks = 80;
    cfg.crashes = vec![
        // A miner and a relay crash and come back; one node never returns.
        Crash {
            node: 0,
            at: Duration::from_secs(300),
            restart: Some(Duration::from_secs(900)),
        },
        Crash {
            node: 7,
            at: Duration::from_secs(200),
            restart: Some(Duration::from_secs(260)),
        },
        Crash {
            node: 13,
            at: Duration::from_secs(500),
            restart: None,
        },
    ];
    cfg.tracker_outages = vec![(Duration::from_secs(400), Duration::from_secs(700))];
    let mut sim = Sim::new(cfg.clone()).unwrap();
    sim.run_until(Duration::from_secs(899)).unwrap();
    assert!(sim.node(0).is_none() && sim.node(13).is_none());
    let before = sim.node(1).unwrap().chain().height();
    sim.run_until(Duration::from_secs(960)).unwrap();
    // Node 0 restarted from its stored blocks and synced what it missed.
    let n0 = sim.node(0).expect("node 0 restarted").chain().height();
    assert!(n0 >= before, "restarted node at {n0}, network at {before}");
    let r = sim.finish().expect("converges despite faults");
    eprint!("{}", r.text());
    assert!(r.totals.lost_msgs > 0 && r.totals.dup_msgs > 0);
    assert_eq!(r.blocks, 80);
    // Same seed, same run.
    let again = Sim::run(cfg).unwrap();
    assert_eq!(again.digest_hex(), r.digest_hex());
}
