//! Per-node clocks (`--clock-skew`): nodes whose clocks run ahead of the others mine
//! blocks the others refuse for a while (their time is too far in the future), the run
//! still converges, and without skew nothing is refused.

use cheesechain::sim::{Latency, Sim, SimConfig};

fn run(skew_ms: u64) -> cheesechain::sim::Report {
    let mut c = SimConfig::new(5, 20, 10);
    c.latency = Latency::Fixed(50.0);
    c.block_interval = std::time::Duration::from_secs(60);
    c.blocks = 100;
    c.clock_skew_ms = skew_ms;
    Sim::run(c).expect("the run converges")
}

#[test]
fn skewed_clocks_exercise_the_future_time_rule() {
    let plain = run(0);
    assert_eq!(plain.totals.time_too_new, 0);
    // Regtest refuses block times more than 7200 s ahead of the receiver's clock; with
    // offsets up to ±75 minutes only the most distant pairs are more than 2 hours
    // apart (offsets of ±2 hours and more split the network for good: the slow nodes
    // never accept the chain the fast miners' times push ahead).
    let skewed = run(4_500_000);
    assert!(skewed.totals.time_too_new > 0, "{}", skewed.text());
    assert!(skewed
        .text()
        .contains("clock skew: each node within ±4500000 ms"));
    assert!(skewed.json().contains("\"time_too_new\": "));
    // The skew comes from the seed: the same run again is the same run.
    assert_eq!(run(4_500_000).digest_hex(), skewed.digest_hex());
    assert_ne!(plain.digest_hex(), skewed.digest_hex());
}
