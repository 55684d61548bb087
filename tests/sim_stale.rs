//! Acceptance experiment 1: 16 equal miners in a full mesh, every message delayed
//! exactly D, 600 s blocks. The stale-block rate must match the analytic x/(1+x) with
//! x = (15/16)·D/T within 10 % relative or 3 binomial standard errors, whichever is
//! wider.

use cheesechain::sim::{Latency, Sim, SimConfig, Topology};
use std::time::Duration;

const T_SECS: f64 = 600.0;
const BLOCKS: u64 = 5000;

fn experiment(d_secs: f64, seed: u64) {
    let mut cfg = SimConfig::new(seed, 16, 16);
    cfg.topology = Topology::Mesh;
    cfg.latency = Latency::Fixed(d_secs * 1000.0);
    cfg.block_interval = Duration::from_secs_f64(T_SECS);
    cfg.blocks = BLOCKS;
    // Every peer gets a new block whole: it reaches every miner after exactly D.
    cfg.block_push_peers = Some(15);
    let r = Sim::run(cfg).expect("simulation runs and converges");
    let x = 15.0 / 16.0 * d_secs / T_SECS;
    let analytic = x / (1.0 + x);
    let tolerance = (0.10 * analytic).max(3.0 * r.stale_se);
    eprintln!(
        "D = {d_secs} s, seed {seed}: stale {:.3} % ({} of {}), analytic {:.3} %, tolerance ±{:.3} %, \
         predicted from measured delays {:.3} %, mean delay to miners {:.1} ms, {} events, {:.0} events/s",
        100.0 * r.stale_rate,
        r.stale,
        r.blocks,
        100.0 * analytic,
        100.0 * tolerance,
        100.0 * r.expected_stale_rate,
        r.mean_miner_delay_ms,
        r.totals.events,
        r.events_per_sec()
    );
    assert_eq!(r.blocks, BLOCKS);
    assert!(
        (r.stale_rate - analytic).abs() <= tolerance,
        "stale rate {:.4} vs analytic {:.4} (tolerance {:.4})",
        r.stale_rate,
        analytic,
        tolerance
    );
    // Every best-chain block reached every node, after exactly D.
    assert_eq!(r.best_blocks_reaching_all, r.best_blocks);
    assert_eq!(r.t100_ms.0, d_secs * 1000.0);
}

#[test]
fn stale_rate_matches_analytic_with_10s_delay() {
    experiment(10.0, 10);
}

#[test]
fn stale_rate_matches_analytic_with_30s_delay() {
    experiment(30.0, 30);
}

#[test]
fn stale_rate_matches_analytic_with_60s_delay() {
    experiment(60.0, 60);
}
