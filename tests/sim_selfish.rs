//! Acceptance: a selfish miner (SM1, in the real node) against Eyal and Sirer's formula.
//! 16 equal honest miners plus one selfish miner in a full mesh, 50 ms links, 600 s
//! blocks, 20 000 counted blocks per point (a few seconds each in release).

use cheesechain::sim::report::eyal_sirer_revenue;
use cheesechain::sim::{Latency, Sim, SimConfig};

fn run(alpha: f64, seed: u64) -> cheesechain::sim::report::SelfishReport {
    run_with(alpha, seed, false)
}

fn run_with(alpha: f64, seed: u64, random: bool) -> cheesechain::sim::report::SelfishReport {
    let mut c = SimConfig::new(seed, 17, 16);
    c.latency = Latency::Fixed(50.0);
    c.blocks = 20_000;
    c.selfish = Some(alpha);
    c.tie_break_random = random;
    let report = Sim::run(c).expect("run");
    report.selfish.expect("a selfish report")
}

#[test]
fn revenue_matches_eyal_sirer_and_exceeds_the_share_above_the_threshold() {
    for alpha in [1.0 / 3.0, 0.40] {
        let s = run(alpha, 7);
        // First-seen ties on equal links: honest miners learn the honest block first.
        assert!(s.gamma < 0.1, "gamma {}", s.gamma);
        assert!((s.predicted - eyal_sirer_revenue(alpha, s.gamma)).abs() < 1e-12);
        // The tolerance (±0.015), or 3 batch-means standard errors if wider.
        // Over seeds 1-5 the revenue minus the prediction averaged +0.003 (first-seen
        // and random alike) with a seed-to-seed spread of 0.004 at alpha = 1/3 and
        // 0.008 at 0.40 (twice the binomial s.e.: long private leads win many blocks
        // at once), so a fixed ±0.015 is only two spreads wide at alpha = 0.40; the
        // batch-means s.e. measures that spread within the run.
        let tol = 0.015_f64.max(3.0 * s.revenue_se_batch);
        assert!(
            (s.revenue_share - s.predicted).abs() <= tol,
            "alpha {alpha}: revenue {} vs predicted {} (tol {tol})",
            s.revenue_share,
            s.predicted
        );
        if alpha > 0.34 {
            assert!(s.revenue_share > alpha + 4.0 * s.revenue_se, "{s:?}");
        }
    }
}

#[test]
fn random_tie_break_makes_gamma_one_half() {
    // Every honest node fetches both blocks of a 1-vs-1 race and picks one at random,
    // so half the honest hash power mines on the selfish branch. At alpha = 1/3 a run
    // of 20 000 blocks has about 1 600 race blocks: the standard error of gamma is
    // sqrt(0.25 / 1600) = 0.0125, and the tolerance of 0.05 is 4 of them.
    let s = run_with(1.0 / 3.0, 7, true);
    let se = (0.25 / s.race_blocks as f64).sqrt();
    assert!(s.race_blocks > 1000, "{s:?}");
    assert!(
        (s.gamma - 0.5).abs() <= 0.05_f64.max(4.0 * se),
        "gamma {} over {} race blocks",
        s.gamma,
        s.race_blocks
    );
    let tol = 0.015_f64.max(3.0 * s.revenue_se_batch);
    assert!(
        (s.revenue_share - s.predicted).abs() <= tol,
        "revenue {} vs predicted {} at gamma {} (tol {tol})",
        s.revenue_share,
        s.predicted,
        s.gamma
    );
    // Against first-seen on equal links (gamma ~0) the random rule helps the selfish
    // miner: the defence is against a badly placed miner whose gamma is near 1.
    let first_seen = run(1.0 / 3.0, 7);
    assert!(first_seen.gamma < 0.1, "{first_seen:?}");
    assert!(
        s.revenue_share > first_seen.revenue_share,
        "{s:?} vs {first_seen:?}"
    );
}
