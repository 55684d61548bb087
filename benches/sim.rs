//! Simulator speed: events per second of the `sim` binary on the acceptance scenarios and
//! on the large network, plus the 1000-node run in-process for comparison.
//!
//! The binary is what people run (it re-executes itself with huge-page malloc, see
//! `src/bin/sim.rs`); the in-process run shows the library without that. Every figure
//! is wall time of one run on one core. The goal: >= 1 M events/s, and 1000 peers x
//! 2000 blocks in under a minute. The full 2000-block run takes minutes, so it runs
//! only with `CHEESECHAIN_SIM_BENCH_FULL=1`; the default uses 200 blocks.

use cheesechain::sim::{Latency, Sim, SimConfig, Topology};
use std::process::Command;
use std::time::Duration;
use std::time::Instant;

/// A number field of the binary's `--json` output.
fn field(json: &str, name: &str) -> f64 {
    let key = format!("\"{name}\":");
    let at = json
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {json}"))
        + key.len();
    let rest = json[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].parse().expect("a number")
}

fn run_binary(label: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .arg("--json")
        .output()
        .expect("sim runs");
    assert!(
        out.status.success(),
        "{label}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = String::from_utf8_lossy(&out.stdout);
    let (events, secs) = (field(&json, "events"), field(&json, "wall_secs"));
    println!(
        "{label:<44} {:>11.0} events {:>8.2} s {:>10.0} events/s ({:.2} of 1 M)",
        events,
        secs,
        events / secs,
        events / secs / 1e6
    );
}

fn main() {
    // `cargo bench` passes --bench; nothing else is configurable here.
    let full = std::env::var_os("CHEESECHAIN_SIM_BENCH_FULL").is_some();
    println!("sim speed (binary, one core):");
    run_binary(
        "16 miners, mesh, 30 s delay, 2000 blocks",
        &[
            "--nodes",
            "16",
            "--miners",
            "16",
            "--topology",
            "mesh",
            "--latency",
            "fixed:30000",
            "--block-interval",
            "600",
            "--blocks",
            "2000",
        ],
    );
    run_binary(
        "100 peers, 8 outbound, 500 blocks",
        &[
            "--nodes",
            "100",
            "--miners",
            "16",
            "--outbound",
            "8",
            "--blocks",
            "500",
        ],
    );
    let blocks = if full { "2000" } else { "200" };
    run_binary(
        &format!("1000 peers, 8 outbound, {blocks} blocks"),
        &[
            "--nodes",
            "1000",
            "--miners",
            "16",
            "--outbound",
            "8",
            "--blocks",
            blocks,
        ],
    );

    // The library in-process (the process's own malloc settings).
    let mut cfg = SimConfig::new(1, 1000, 16);
    cfg.topology = Topology::Tracker { outbound: 8 };
    cfg.latency = Latency::Uniform(20.0, 200.0);
    cfg.block_interval = Duration::from_secs(60);
    cfg.blocks = 200;
    let t = Instant::now();
    let r = Sim::run(cfg).expect("the run converges");
    let secs = t.elapsed().as_secs_f64();
    let events = r.totals.events as f64;
    println!(
        "{:<44} {:>11.0} events {:>8.2} s {:>10.0} events/s (in-process)",
        "1000 peers, 8 outbound, 200 blocks",
        events,
        secs,
        events / secs
    );
}
