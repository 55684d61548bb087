//! The region model: latencies from the region pair, transfers at the slower of upload
//! and download, node shares as configured, and the Bitcoin scenarios converging.

use cheesechain::rng::SplitMix64;
use cheesechain::sim::regions::Jitter;
use cheesechain::sim::{Regions, Scenario, Sim, SimConfig, Topology};
use std::time::Duration;

#[test]
fn intra_region_links_are_faster_than_inter_region_ones() {
    let r = Scenario::named("bitcoin-2015").unwrap().regions;
    let mut rng = SplitMix64::new(4);
    let mean = |a: u8, b: u8, rng: &mut SplitMix64| {
        (0..20_000)
            .map(|_| r.sample_latency(a, b, rng).us())
            .sum::<u64>() as f64
            / 2e4
    };
    for a in 0..6u8 {
        let own = mean(a, a, &mut rng);
        for b in (0..6u8).filter(|&b| b != a) {
            let other = mean(a, b, &mut rng);
            assert!(own < other, "region {a}: own {own} us, to {b} {other} us");
        }
    }
}

/// Two nodes in one region with 1 Mbit/s links and no latency: a block billed at
/// 535 000 bytes needs at least 4.28 s to cross, a real-sized one far less.
#[test]
fn a_535_kb_block_takes_at_least_size_over_bandwidth() {
    let run = |block_size: u64| {
        let mut c = SimConfig::new(5, 2, 2);
        c.topology = Topology::Mesh;
        c.regions = Some(Regions {
            name: "one".into(),
            names: vec!["X".into()],
            shares: vec![1.0],
            latency_ms: vec![vec![0.0]],
            upload_bps: vec![1_000_000],
            download_bps: vec![4_000_000],
            jitter: Jitter::None,
        });
        c.block_size = block_size;
        c.block_interval = Duration::from_secs(600);
        c.blocks = 10;
        Sim::run(c).expect("runs")
    };
    let big = run(535_000);
    let small = run(0);
    let floor_ms = 535_000.0 * 8.0 / 1_000_000.0 * 1000.0;
    // t100: the time for a block to reach both nodes, i.e. to cross the one link.
    let (p50, _) = big.t100_ms;
    assert!(
        p50 >= floor_ms,
        "535 kB block crossed in {p50} ms < {floor_ms} ms"
    );
    assert!(p50 < 3.0 * floor_ms, "535 kB block took {p50} ms");
    assert!(
        small.t100_ms.0 < floor_ms / 10.0,
        "small block {} ms",
        small.t100_ms.0
    );
}

#[test]
fn scenario_node_shares_come_out_as_configured() {
    let s = Scenario::named("bitcoin-2019").unwrap();
    let mut c = SimConfig::new(2, 2000, 4);
    c.apply_scenario(&s);
    c.topology = Topology::Graph { outbound: 2 };
    c.degrees.clear();
    let sim = Sim::new(c).expect("builds");
    for (r, share) in s.regions.shares.iter().enumerate() {
        let got = (0..2000).filter(|&i| sim.node_region(i) == Some(r)).count();
        let want = (share * 2000.0).round() as i64;
        assert!(
            (got as i64 - want).abs() <= 1,
            "region {r}: {got} nodes, want {want}"
        );
    }
}

#[test]
fn bitcoin_scenarios_converge_with_real_transfer_times() {
    for name in ["bitcoin-2015", "bitcoin-2019"] {
        let mut c = SimConfig::new(3, 60, 60);
        c.apply_scenario(&Scenario::named(name).unwrap());
        c.topology = Topology::Graph { outbound: 8 };
        c.blocks = 8;
        let r = Sim::run(c).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.blocks_reaching_all, r.blocks, "{name}");
        // At least one hop of 535 kB at the fastest rate (8.1 Mbit/s, EU upload).
        assert!(r.t50_ms.0 > 528.0, "{name}: t50 {} ms", r.t50_ms.0);
    }
}
