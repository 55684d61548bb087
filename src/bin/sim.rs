//! The simulator binary: parses flags, runs [`cheesechain::sim::Sim`], prints the report.

use argh::FromArgs;
use cheesechain::sim::regions::SCENARIOS;
use cheesechain::sim::swarm;
use cheesechain::sim::{Crash, Latency, Partition, Scenario, Sim, SimConfig, Topology};
use std::fs::OpenOptions;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// cheesechain sim: many real peer nodes (and the real tracker) on a simulated network,
/// in virtual time, reproducible from one seed. Prints a text summary (or JSON) with the
/// stale-block rate, propagation times, reorganisations, traffic and a trace digest.
#[derive(FromArgs)]
struct Args {
    /// number of peer nodes (default 100)
    #[argh(option, default = "100")]
    nodes: usize,
    /// how many of them mine, with equal hash shares, spread over the indices
    /// (default 16; every node with --scenario)
    #[argh(option)]
    miners: Option<usize>,
    /// mesh (every pair connected by the simulator), tracker (each node keeps
    /// --outbound links chosen through the real tracker protocol) or graph (the
    /// simulator links each node to --outbound random others, as SimBlock does);
    /// default tracker, graph with --scenario
    #[argh(option)]
    topology: Option<String>,
    /// outbound links per node with --topology tracker or graph (default 8; with
    /// --scenario and the graph topology, drawn per node from the scenario's degree
    /// distribution unless given)
    #[argh(option)]
    outbound: Option<usize>,
    /// real geography from SimBlock's tables: bitcoin-2015 or bitcoin-2019. Six
    /// regions (NA, EU, SA, AP, JP, AU) with their node shares, a latency matrix
    /// (each link drawn once from SimBlock's Pareto around the mean) and per-region
    /// upload and download bandwidth (a transfer runs at the smaller of the sender's
    /// upload and the receiver's download); 600 s blocks billed at 535000 bytes;
    /// outbound links per node from SimBlock's degree distribution (Miller et al.
    /// 2015); every node mines with an equal share unless --miners or --hash-shares is
    /// given. Numbers from dsg-titech/simblock,
    /// simulator/src/main/java/simblock/settings/NetworkConfiguration.java at commit
    /// 5fc7f9f71745e4f689799a317c8438fe41304c01. Replaces --latency and --bandwidth;
    /// --block-interval and --block-size still override
    #[argh(option)]
    scenario: Option<String>,
    /// block messages cross the links as if they were at least BYTES long (their
    /// transfer time is billed at that size; the blocks themselves stay as mined), at
    /// most 1000000 (default: their real size; 535000 with --scenario)
    #[argh(option)]
    block_size: Option<u64>,
    /// one-way link latency: fixed:MS, uniform:LO:HI or lognormal:MEDIAN:MEAN
    /// (milliseconds; default uniform:20:200)
    #[argh(option, default = "\"uniform:20:200\".parse().unwrap()")]
    latency: Latency,
    /// upload bandwidth of every node in bytes per second (default unlimited)
    #[argh(option)]
    bandwidth: Option<u64>,
    /// probability that a message is lost (default 0; the handshake is exempt)
    #[argh(option, default = "0.0")]
    loss: f64,
    /// probability that a message is delivered twice (default 0)
    #[argh(option, default = "0.0")]
    dup: f64,
    /// mean seconds between blocks over all miners (default 60; 600 with --scenario)
    #[argh(option)]
    block_interval: Option<f64>,
    /// blocks to mine (default 200)
    #[argh(option, default = "200")]
    blocks: u64,
    /// the seed every random choice derives from (default 1)
    #[argh(option, default = "1")]
    seed: u64,
    /// split the nodes into two halves from START to HEAL seconds after mining
    /// starts, e.g. 600:1800
    #[argh(option)]
    partition: Option<String>,
    /// crash node N at START seconds and restart it at RESTART seconds: N:START:RESTART
    /// (repeatable; RESTART may be omitted)
    #[argh(option)]
    crash: Vec<String>,
    /// tracker outage from START to END seconds: START:END (repeatable)
    #[argh(option)]
    tracker_outage: Vec<String>,
    /// peers a new block is pushed to whole instead of announced (default: the node's
    /// default, 2)
    #[argh(option)]
    push_peers: Option<usize>,
    /// keep pings, idle timeouts and tracker heartbeats at their real intervals
    /// (default: stretched out of the way, they only cost events)
    #[argh(switch)]
    keepalive: bool,
    /// add one selfish miner (Eyal and Sirer's SM1, in the real node) holding this share
    /// of the total hash power, 0 < SHARE < 1, next to the --miners honest ones; the
    /// report then gives its revenue share, the measured gamma and the Eyal-Sirer
    /// prediction
    #[argh(option)]
    selfish: Option<f64>,
    /// how honest nodes choose between equal-work tips: first-seen (default) or random
    /// (seeded per node; Eyal and Sirer's defence)
    #[argh(option, default = "String::from(\"first-seen\")")]
    tie_break: String,
    /// give each node a clock off by a fixed offset drawn from the seed, uniform in
    /// [-MS, +MS] milliseconds (default 0: one true clock); past the network's limit
    /// on block times ahead of the clock (7200 s on regtest, so offsets above 3600000 make some pairs disagree) nodes refuse blocks for a
    /// while, and the report counts them
    #[argh(option, default = "0")]
    clock_skew: u64,
    /// hash-power shares of the miners as a comma-separated list of positive weights,
    /// e.g. 0.3,0.2,0.2,0.1 (they need not sum to 1; replaces --miners, which then
    /// counts the list)
    #[argh(option)]
    hash_shares: Option<String>,
    /// write a trace of the run to this file as JSON lines: every first arrival of a
    /// block at a node (block, node, time_ms, from), then every block (hash, parent,
    /// height, miner, mined_at_ms, counted, best: on the final best chain); times are
    /// milliseconds since mining started
    #[argh(option)]
    trace: Option<String>,
    /// no progress lines on stderr (by default a run that takes longer than 5 s prints
    /// one every 5 s)
    #[argh(switch)]
    quiet: bool,
    /// print the report as JSON instead of text
    #[argh(switch)]
    json: bool,
    /// also write an SVG picture of the propagation CDFs to this file
    #[argh(option)]
    svg: Option<String>,
    /// also write an SVG picture of the final block tree to this file: the best chain
    /// on the top lane, stale branches faded on the lanes below, each block coloured by
    /// the node that mined it (node-N)
    #[argh(option)]
    tree_svg: Option<String>,
    /// swarm testing: N short runs (3 to 30 nodes, a few blocks), each configured
    /// entirely from its own seed derived from --seed and its index (nodes, topology,
    /// latency, bandwidth, loss, duplication, partition, crashes, tracker outages,
    /// clock skew, hash shares, a selfish miner, tie-break, push count, keepalive or a
    /// --scenario), each checked like a single run. Prints one line per run, then each
    /// failing run's seed and the standalone sim command that reproduces it (same trace
    /// digest); exit status 1 if any run failed. Goes only with --seed, --json (one
    /// object with runs and failures) and --quiet
    #[argh(option)]
    swarm: Option<usize>,
    /// print the name and version (`sim X.Y.Z`), then exit
    #[argh(switch)]
    version: bool,
}

impl cheesechain::cli::Versioned for Args {
    fn version_requested(&self) -> bool {
        self.version
    }
}

/// Fails if `path` cannot be written, before a long run would find out: an existing
/// file is opened for appending (its content stays), a new one is created and removed.
fn check_writable(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::other("is a directory"));
    }
    if path.exists() {
        OpenOptions::new().append(true).open(path).map(drop)
    } else {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|_| std::fs::remove_file(path))
    }
}

fn secs_list(s: &str, n: usize, what: &str) -> Result<Vec<f64>, String> {
    let v: Vec<f64> = s
        .split(':')
        .map(|p| p.parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("bad --{what} {s:?}"))?;
    if v.len() != n || v.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err(format!("bad --{what} {s:?}"));
    }
    Ok(v)
}

/// A `--hash-shares` list: comma-separated positive finite weights.
fn parse_shares(s: &str) -> Result<Vec<f64>, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("bad --hash-shares {s:?}: expected numbers like 0.3,0.2,0.1"))?;
    if v.is_empty() || v.iter().any(|x| !x.is_finite() || *x <= 0.0) {
        return Err(format!(
            "bad --hash-shares {s:?}: every share must be positive"
        ));
    }
    Ok(v)
}

/// `secs` seconds rounded to whole milliseconds, as the flags are documented.
fn secs(secs: f64) -> Duration {
    Duration::from_millis((secs * 1000.0).round() as u64)
}

fn config(a: &Args) -> Result<SimConfig, String> {
    let scenario = match &a.scenario {
        Some(name) => Some(Scenario::named(name).ok_or_else(|| {
            format!(
                "unknown --scenario {name:?} (one of: {})",
                SCENARIOS.join(", ")
            )
        })?),
        None => None,
    };
    let miners = a
        .miners
        .unwrap_or(if scenario.is_some() { a.nodes } else { 16 });
    let mut c = SimConfig::new(a.seed, a.nodes, miners);
    let default_topology = if scenario.is_some() {
        "graph"
    } else {
        "tracker"
    };
    let outbound = a.outbound.unwrap_or(8);
    c.topology = match a.topology.as_deref().unwrap_or(default_topology) {
        "mesh" => Topology::Mesh,
        "tracker" => Topology::Tracker { outbound },
        "graph" => Topology::Graph { outbound },
        t => return Err(format!("unknown topology {t:?} (mesh, tracker or graph)")),
    };
    c.latency = a.latency;
    c.bandwidth = a.bandwidth;
    if let Some(s) = &scenario {
        if a.bandwidth.is_some() {
            return Err(
                "--bandwidth does not go with --scenario (its regions set the bandwidths)".into(),
            );
        }
        c.apply_scenario(s);
        if a.outbound.is_some() {
            c.degrees.clear();
        }
    }
    if let Some(b) = a.block_size {
        c.block_size = b;
    }
    c.loss = a.loss;
    c.dup = a.dup;
    if let Some(bi) = a.block_interval {
        if !(bi.is_finite() && bi > 0.0) {
            return Err("--block-interval must be positive".into());
        }
        c.block_interval = secs(bi);
    } else if scenario.is_none() {
        c.block_interval = secs(60.0);
    }
    c.blocks = a.blocks;
    c.block_push_peers = a.push_peers;
    c.keepalive = a.keepalive;
    c.selfish = a.selfish;
    c.clock_skew_ms = a.clock_skew;
    if let Some(list) = &a.hash_shares {
        c.miner_shares = parse_shares(list)?;
    }
    c.tie_break_random = match a.tie_break.as_str() {
        "first-seen" => false,
        "random" => true,
        t => return Err(format!("unknown --tie-break {t:?} (first-seen or random)")),
    };
    if let Some(p) = &a.partition {
        let v = secs_list(p, 2, "partition")?;
        c.partition = Some(Partition {
            start: secs(v[0]),
            heal: secs(v[1]),
        });
    }
    for s in &a.crash {
        let parts = s.split(':').count();
        let v = secs_list(s, parts.clamp(2, 3), "crash")?;
        c.crashes.push(Crash {
            node: v[0] as usize,
            at: secs(v[1]),
            restart: v.get(2).map(|r| secs(*r)),
        });
    }
    for s in &a.tracker_outage {
        let v = secs_list(s, 2, "tracker-outage")?;
        c.tracker_outages.push((secs(v[0]), secs(v[1])));
    }
    Ok(c)
}

/// `sim --swarm N`: the runs of [`cheesechain::sim::swarm`], each configured by parsing
/// its drawn flags exactly as a standalone `sim` command is.
fn swarm(n: usize, args: &Args, argv: &[String]) -> ExitCode {
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--swarm" | "--seed" => {
                it.next();
            }
            "--json" | "--quiet" => {}
            other => {
                eprintln!("sim: {other} does not go with --swarm (it draws every run's flags; only --seed, --json and --quiet apply)");
                return ExitCode::from(2);
            }
        }
    }
    if n == 0 || n > swarm::MAX_SWARM_RUNS {
        eprintln!("sim: --swarm must be 1..={}", swarm::MAX_SWARM_RUNS);
        return ExitCode::from(2);
    }
    let parse = |flags: &[String]| -> Result<SimConfig, String> {
        let strs: Vec<&str> = flags.iter().map(|s| s.as_str()).collect();
        let a = Args::from_args(&["sim"], &strs).map_err(|e| e.output.trim().to_string())?;
        config(&a)
    };
    let mut each = |r: &swarm::SwarmRun| {
        let line = r.line(n);
        if !args.json {
            println!("{line}");
        } else if !args.quiet {
            eprintln!("{line}");
        }
    };
    let result = swarm::Swarm::run(args.seed, n, &parse, &mut each);
    if args.json {
        print!("{}", result.json());
    } else {
        print!("{}", result.summary());
    }
    if result.failures().next().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// glibc reads its malloc tunables only at start-up. The simulator's heap (gigabytes
/// for a thousand nodes, touched at random) ran about 18 % faster on transparent huge
/// pages here (fewer TLB misses), so on Linux the binary re-executes itself once with
/// `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` (malloc then asks for huge pages with
/// `madvise`). A `GLIBC_TUNABLES` the caller set is respected as given, which also
/// stops the re-execution from repeating; where the tunable is unknown (another libc,
/// an old glibc) or the kernel has huge pages off, it changes nothing.
#[cfg(target_os = "linux")]
fn reexec_with_huge_pages() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut argv = std::env::args_os();
    let mut cmd = std::process::Command::new(exe);
    if let Some(arg0) = argv.next() {
        cmd.arg0(arg0);
    }
    // Only returns if the exec failed: then run here, without huge pages.
    let _ = cmd
        .args(argv)
        .env("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")
        .exec();
}

#[cfg(not(target_os = "linux"))]
fn reexec_with_huge_pages() {}

fn main() -> ExitCode {
    reexec_with_huge_pages();
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args: Args = cheesechain::cli::parse_or_exit("sim", &argv);
    if let Some(n) = args.swarm {
        return swarm(n, &args, &argv);
    }
    let cfg = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sim: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.svg {
        if let Err(e) = check_writable(Path::new(path)) {
            eprintln!("sim: cannot write --svg {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = &args.tree_svg {
        if let Err(e) = check_writable(Path::new(path)) {
            eprintln!("sim: cannot write --tree-svg {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = &args.trace {
        if let Err(e) = check_writable(Path::new(path)) {
            eprintln!("sim: cannot write --trace {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mut sim = match Sim::new(cfg) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.trace {
        match std::fs::File::create(path) {
            Ok(f) => sim.set_trace(Box::new(std::io::BufWriter::new(f))),
            Err(e) => {
                eprintln!("sim: cannot write --trace {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if !args.quiet {
        let start = std::time::Instant::now();
        let mut last = start;
        sim.set_progress(Box::new(move |p| {
            let now = std::time::Instant::now();
            if now.duration_since(last).as_secs() >= 5 {
                last = now;
                eprintln!(
                    "sim: {} of {} blocks mined (+{} settling), {} events, {:.0} s virtual, {:.0} s wall",
                    p.counted_mined,
                    p.counted_target,
                    p.tail_mined,
                    p.events,
                    p.virtual_ms as f64 / 1000.0,
                    now.duration_since(start).as_secs_f64()
                );
            }
        }));
    }
    // A failed check still prints the report of the run as far as it got: it is what
    // shows what went wrong.
    let outcome = sim.run_checked();
    let tree = args.tree_svg.as_ref().map(|_| sim.block_tree());
    let report = sim.into_report();
    if let (Some(path), Some(tree)) = (&args.tree_svg, &tree) {
        let stale = cheesechain::tree_svg::stale_count(tree);
        let title = format!(
            "sim seed {}: {} blocks, {stale} stale",
            args.seed,
            tree.len()
        );
        if let Err(e) = std::fs::write(path, cheesechain::tree_svg::render(tree, &title)) {
            eprintln!("sim: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Some(report) = &report {
        if args.json {
            print!("{}", report.json());
        } else {
            print!("{}", report.text());
        }
        if let (Some(path), Some(e)) = (&args.trace, &report.totals.trace_error) {
            eprintln!("sim: cannot write --trace {path}: {e}");
            return ExitCode::FAILURE;
        }
        if let Some(path) = &args.svg {
            if let Err(e) = std::fs::write(path, report.svg()) {
                eprintln!("sim: cannot write {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Err(e) = outcome {
        eprintln!("sim: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
