//! Swarm testing: many short simulator runs, each configured entirely from one seed.
//!
//! `sim --swarm N --seed S` runs N short simulations. Run `i` gets its own seed
//! ([`run_seed`]) and from it a whole configuration ([`draw_args`]): node count,
//! topology, latency, bandwidth, loss, duplication, a partition, crashes, tracker
//! outages, clock skew, hash shares, a selfish miner, the tie-break rule, the push
//! count, keepalive timers or a SimBlock scenario. The configuration is drawn as the
//! `sim` command-line flags themselves and the run is configured by parsing them, so
//! the printed command line of a failing run ([`command_line`]) reproduces that run
//! exactly (same trace digest). Each run is checked as a standalone `sim` run is: the
//! invariants while it runs, then convergence ([`Sim::run_checked`]); a panic in a
//! run is caught and counted as a failure too.

use super::engine::Sim;
use super::model::derive_seed;
use super::SimConfig;
use crate::json::json_str;
use crate::rng::SplitMix64;
use std::fmt::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Most runs one swarm may ask for.
pub const MAX_SWARM_RUNS: usize = 100_000;

/// The seed of run `index` of the swarm with seed `swarm_seed`.
pub fn run_seed(swarm_seed: u64, index: usize) -> u64 {
    derive_seed(swarm_seed ^ 0x5377_6172_6d00_0000, index as u64)
}

/// `lo..=hi` from `r` (`lo <= hi`).
fn range(r: &mut SplitMix64, lo: u64, hi: u64) -> u64 {
    lo + r.below(hi - lo + 1)
}

/// True with probability `pct` %.
fn chance(r: &mut SplitMix64, pct: u64) -> bool {
    r.below(100) < pct
}

/// Thousandths as a decimal string that parses back to the same `f64` (`7` -> "0.007").
fn milli(k: u64) -> String {
    format!("{}", k as f64 / 1000.0)
}

/// The `sim` flags of the run with seed `seed` (without the program name): a small,
/// short run (3 to 30 nodes, 5 to 30 blocks at 5 to 60 s) with faults and strategies
/// drawn from the seed. Every value is written so that it parses back exactly, and
/// every drawn configuration is one `sim` accepts.
pub fn draw_args(seed: u64) -> Vec<String> {
    let mut r = SplitMix64::new(derive_seed(seed, 0x5357));
    let mut a: Vec<String> = Vec::new();
    let flag = |a: &mut Vec<String>, f: &str, v: String| {
        a.push(format!("--{f}"));
        a.push(v);
    };
    let nodes = range(&mut r, 3, 30);
    flag(&mut a, "nodes", nodes.to_string());
    let scenario = chance(&mut r, 8);
    let mut tracker = false;
    if scenario {
        let name = if chance(&mut r, 50) {
            "bitcoin-2015"
        } else {
            "bitcoin-2019"
        };
        flag(&mut a, "scenario", name.into());
    } else {
        let most = (nodes - 1).min(8);
        match r.below(10) {
            0..=2 => flag(&mut a, "topology", "mesh".into()),
            3..=6 => {
                tracker = true;
                flag(&mut a, "topology", "tracker".into());
                flag(
                    &mut a,
                    "outbound",
                    range(&mut r, most.min(2), most).to_string(),
                );
            }
            _ => {
                flag(&mut a, "topology", "graph".into());
                flag(
                    &mut a,
                    "outbound",
                    range(&mut r, most.min(3), most).to_string(),
                );
            }
        }
        let latency = match r.below(3) {
            0 => format!("fixed:{}", range(&mut r, 1, 200)),
            1 => {
                let lo = range(&mut r, 1, 100);
                format!("uniform:{lo}:{}", lo + range(&mut r, 0, 300))
            }
            _ => {
                let median = range(&mut r, 10, 100);
                format!("lognormal:{median}:{}", median + range(&mut r, 0, median))
            }
        };
        flag(&mut a, "latency", latency);
        if chance(&mut r, 40) {
            flag(
                &mut a,
                "bandwidth",
                (range(&mut r, 20, 2000) * 1000).to_string(),
            );
        }
    }
    let interval = range(&mut r, 5, 60);
    let blocks = range(&mut r, 5, 30);
    flag(&mut a, "block-interval", interval.to_string());
    flag(&mut a, "blocks", blocks.to_string());
    // Seconds of mining the counted blocks take on average: faults fall inside.
    let span = interval * blocks;
    let selfish = chance(&mut r, 20);
    // Honest miners; one node is left free for a selfish one.
    let most_miners = if selfish { nodes - 1 } else { nodes };
    if chance(&mut r, 30) {
        let k = range(&mut r, 1, most_miners.min(6));
        let shares: Vec<String> = (0..k).map(|_| milli(range(&mut r, 1, 9) * 100)).collect();
        flag(&mut a, "hash-shares", shares.join(","));
    } else {
        flag(&mut a, "miners", range(&mut r, 1, most_miners).to_string());
    }
    if selfish {
        flag(&mut a, "selfish", milli(range(&mut r, 10, 45) * 10));
    }
    if chance(&mut r, 30) {
        flag(&mut a, "tie-break", "random".into());
    }
    if chance(&mut r, 30) {
        flag(&mut a, "push-peers", range(&mut r, 0, 4).to_string());
    }
    if chance(&mut r, 30) {
        flag(&mut a, "loss", milli(range(&mut r, 1, 50)));
    }
    if chance(&mut r, 25) {
        flag(&mut a, "dup", milli(range(&mut r, 1, 50)));
    }
    if chance(&mut r, 25) {
        let start = range(&mut r, 0, span / 2);
        let heal = start + range(&mut r, 1, span / 2 + 1);
        flag(&mut a, "partition", format!("{start}:{heal}"));
    }
    if chance(&mut r, 30) {
        for _ in 0..range(&mut r, 1, 2) {
            let node = r.below(nodes);
            let at = range(&mut r, 0, span);
            let c = if chance(&mut r, 60) {
                format!("{node}:{at}:{}", at + range(&mut r, 1, span / 2 + 1))
            } else {
                format!("{node}:{at}")
            };
            flag(&mut a, "crash", c);
        }
    }
    if tracker && chance(&mut r, 30) {
        for _ in 0..range(&mut r, 1, 2) {
            let start = range(&mut r, 0, span);
            let end = start + range(&mut r, 1, span / 2 + 1);
            flag(&mut a, "tracker-outage", format!("{start}:{end}"));
        }
    }
    if chance(&mut r, 25) {
        flag(
            &mut a,
            "clock-skew",
            range(&mut r, 1, 3_000_000).to_string(),
        );
    }
    if chance(&mut r, 30) {
        a.push("--keepalive".into());
    }
    flag(&mut a, "seed", seed.to_string());
    a
}

/// The standalone command line of a run: `sim` and its flags (no value needs quoting).
pub fn command_line(args: &[String]) -> String {
    let mut s = String::from("sim");
    for a in args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// What one run of a swarm did.
#[derive(Clone, Debug)]
pub struct SwarmRun {
    /// Its index in the swarm, from 0.
    pub index: usize,
    /// Its seed ([`run_seed`]).
    pub seed: u64,
    /// The `sim` command line that reproduces it.
    pub command: String,
    /// `None` if it passed, else why it failed (a bad configuration, a violated
    /// invariant, no convergence, a panic).
    pub error: Option<String>,
    /// The trace digest in hex (`None` if the run produced no report).
    pub digest: Option<String>,
    /// Nodes simulated.
    pub nodes: usize,
    /// Blocks mined in all (counted and settling).
    pub mined: u64,
    /// Of them, not on the final best chain.
    pub stale: u64,
    /// Events processed.
    pub events: u64,
    /// Wall-clock seconds.
    pub wall_secs: f64,
}

impl SwarmRun {
    /// One line: index, seed, outcome, a few figures and the digest.
    pub fn line(&self, total: usize) -> String {
        let mut s = format!("run {}/{total} seed {}: ", self.index + 1, self.seed);
        match &self.error {
            None => s.push_str("ok"),
            Some(e) => {
                let _ = write!(s, "FAILED ({e})");
            }
        }
        let _ = write!(
            s,
            ", {} nodes, {} blocks ({} stale), {} events, {:.2} s",
            self.nodes, self.mined, self.stale, self.events, self.wall_secs
        );
        if let Some(d) = &self.digest {
            let _ = write!(s, ", digest {d}");
        }
        s
    }

    fn json(&self) -> String {
        format!(
            "{{\"index\": {}, \"seed\": {}, \"ok\": {}, \"error\": {}, \"command\": {}, \
             \"nodes\": {}, \"blocks\": {}, \"stale\": {}, \"events\": {}, \
             \"wall_secs\": {:.3}, \"trace_digest\": {}}}",
            self.index,
            self.seed,
            self.error.is_none(),
            self.error.as_deref().map_or("null".into(), json_str),
            json_str(&self.command),
            self.nodes,
            self.mined,
            self.stale,
            self.events,
            self.wall_secs,
            self.digest.as_deref().map_or("null".into(), json_str),
        )
    }
}

/// Runs one drawn configuration: `parse` turns the flags into the configuration
/// exactly as the `sim` command does.
pub fn run_one(
    index: usize,
    seed: u64,
    parse: &dyn Fn(&[String]) -> Result<SimConfig, String>,
) -> SwarmRun {
    let args = draw_args(seed);
    let mut run = SwarmRun {
        index,
        seed,
        command: command_line(&args),
        error: None,
        digest: None,
        nodes: 0,
        mined: 0,
        stale: 0,
        events: 0,
        wall_secs: 0.0,
    };
    let start = std::time::Instant::now();
    let cfg = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            run.error = Some(format!("bad drawn flags: {e}"));
            return run;
        }
    };
    run.nodes = cfg.nodes;
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        Sim::new(cfg).map(|s| s.finish_with_report())
    }));
    match outcome {
        Ok(Ok((report, result))) => {
            if let Some(rep) = report {
                run.digest = Some(rep.digest_hex());
                run.mined = rep.blocks + rep.totals.tail_blocks;
                run.stale = rep.stale;
                run.events = rep.totals.events;
            }
            run.error = result.err().map(|e| e.to_string());
        }
        Ok(Err(e)) => run.error = Some(e.to_string()),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string payload".into());
            run.error = Some(format!("panic: {msg}"));
        }
    }
    run.wall_secs = start.elapsed().as_secs_f64();
    run
}

/// A whole swarm's outcome.
#[derive(Clone, Debug)]
pub struct Swarm {
    /// The swarm's seed.
    pub seed: u64,
    /// Every run, in order.
    pub runs: Vec<SwarmRun>,
}

impl Swarm {
    /// Runs `n` runs of the swarm with seed `seed`, calling `each` after every run (for
    /// a line of output as the swarm goes).
    pub fn run(
        seed: u64,
        n: usize,
        parse: &dyn Fn(&[String]) -> Result<SimConfig, String>,
        each: &mut dyn FnMut(&SwarmRun),
    ) -> Swarm {
        let runs = (0..n)
            .map(|i| {
                let run = run_one(i, run_seed(seed, i), parse);
                each(&run);
                run
            })
            .collect();
        Swarm { seed, runs }
    }

    /// The failed runs.
    pub fn failures(&self) -> impl Iterator<Item = &SwarmRun> {
        self.runs.iter().filter(|r| r.error.is_some())
    }

    /// The summary after the run lines: the count, then each failure's seed and the
    /// command that reproduces it.
    pub fn summary(&self) -> String {
        let failed: Vec<&SwarmRun> = self.failures().collect();
        let wall: f64 = self.runs.iter().map(|r| r.wall_secs).sum();
        let mut s = format!(
            "swarm seed {}: {} runs, {} failed, {:.2} s\n",
            self.seed,
            self.runs.len(),
            failed.len(),
            wall
        );
        for r in failed {
            let _ = writeln!(
                s,
                "failing seed {} (run {}): {}\n  reproduce: {}",
                r.seed,
                r.index + 1,
                r.error.as_deref().unwrap_or(""),
                r.command
            );
        }
        s
    }

    /// The swarm as one JSON object: its seed, every run and the failures.
    pub fn json(&self) -> String {
        let runs: Vec<String> = self
            .runs
            .iter()
            .map(|r| format!("    {}", r.json()))
            .collect();
        let failures: Vec<String> = self
            .failures()
            .map(|r| {
                format!(
                    "    {{\"index\": {}, \"seed\": {}, \"error\": {}, \"command\": {}}}",
                    r.index,
                    r.seed,
                    json_str(r.error.as_deref().unwrap_or("")),
                    json_str(&r.command)
                )
            })
            .collect();
        format!(
            "{{\n  \"swarm_seed\": {},\n  \"runs\": [\n{}\n  ],\n  \"failures\": [\n{}\n  ]\n}}\n",
            self.seed,
            runs.join(",\n"),
            failures.join(",\n")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_deterministic_and_differ_by_seed() {
        assert_eq!(draw_args(5), draw_args(5));
        assert_ne!(draw_args(5), draw_args(6));
        assert_ne!(run_seed(1, 0), run_seed(1, 1));
        assert_ne!(run_seed(1, 0), run_seed(2, 0));
    }

    #[test]
    fn command_needs_no_quoting() {
        for i in 0..500 {
            let c = command_line(&draw_args(run_seed(9, i)));
            assert!(c
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || " -.:,".contains(ch)));
        }
    }
}
