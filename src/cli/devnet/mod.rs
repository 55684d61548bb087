//! The `devnet` command: a tracker and N peers as child processes on loopback, a live
//! table of their state, and an optional goal height for scripted runs.
//!
//! This file holds the flags and the watch loop; starting and killing children, the
//! data directory, the convergence check and the table each have a file.
//!
//! `devnet` itself only supervises: it starts the watch loop as a worker process
//! (`devnet watch ...`) in its own process group, with a pipe on the worker's stdin,
//! and waits for it. Ctrl-C reaches only the terminal's foreground group, so it stops
//! the supervisor, not the worker or the peers; the worker sees its stdin close,
//! prints the summary and the fork tree, then stops the peers and the tracker. That is
//! how devnet reports on Ctrl-C without a signal handler (std has none, and `unsafe`
//! or another dependency is not allowed).

mod children;
mod converge;
mod data_dir;
mod table;

pub use data_dir::{release_after_parent, LOCK, MARKER, RELEASE_ROLE};

/// The hidden role under which the supervisor starts the watch loop.
pub const WORKER_ROLE: &str = "watch";

use crate::runtime::status::StatusFile;
use argh::FromArgs;
use children::{spawn, Children};
use converge::converged;
use data_dir::prepare_dir;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use table::render_table;

/// Start a local cheesechain network: one tracker and N mining peers as child processes
/// on 127.0.0.1, each peer with its own data directory under --data-dir. Shows a live
/// table (height, tip, peers, hash rate per peer). Ctrl-C stops everything, after
/// printing a summary and writing the fork tree of peer-0 (DATA_DIR/tree.svg).
#[derive(FromArgs, Debug)]
pub struct DevnetArgs {
    /// number of peers to start (default 4)
    #[argh(option, default = "4")]
    pub peers: usize,

    /// target block interval of the network, in seconds (default 5)
    #[argh(option, default = "crate::chain::params::DEFAULT_DEVNET_BLOCK_TIME")]
    pub block_time: u32,

    /// artificial latency on every peer's outgoing messages, in ms (default 0)
    #[argh(option, default = "0")]
    pub delay_ms: u64,

    /// exit 0 once every peer's chain holds the same block at this height or above
    /// (the same tip, unless blocks come faster than peers report), printing a
    /// summary; exit 1 if that does not happen within --timeout-secs
    #[argh(option)]
    pub until_height: Option<u32>,

    /// give up on --until-height after this many seconds (default 300)
    #[argh(option, default = "300")]
    pub timeout_secs: u64,

    /// directory holding the tracker's and peers' data and logs (default
    /// ./devnet-data); wiped at start unless --keep-data, locked while devnet runs
    /// (a second devnet on it refuses)
    #[argh(option, default = "PathBuf::from(\"devnet-data\")")]
    pub data_dir: PathBuf,

    /// keep the chains from the previous run instead of starting from genesis
    #[argh(switch)]
    pub keep_data: bool,

    /// network preset: devnet (default, uses --block-time), testnet (fixed easy
    /// target, a block every few tens of ms; the tests use it) or main
    #[argh(option, default = "String::from(\"devnet\")")]
    pub network: String,

    /// how many of the peers mine (default: all)
    #[argh(option)]
    pub miners: Option<usize>,

    /// print the name and version (`devnet X.Y.Z`), then exit
    #[argh(switch)]
    pub version: bool,
}

impl crate::cli::Versioned for DevnetArgs {
    fn version_requested(&self) -> bool {
        self.version
    }
}

/// Heights below the tip in the picture of peer-0's tree that devnet writes.
pub const TREE_DEPTH: u32 = 40;
/// Name of that picture in the data directory.
pub const TREE_FILE: &str = "tree.svg";

/// Writes the picture of peer-0's block tree (miners named `peer-N`) to
/// `DATA_DIR/tree.svg`; returns the line that says so, or why not.
fn write_tree(args: &DevnetArgs, dirs: &[(String, String, PathBuf)]) -> String {
    let Some((_, _, dir0)) = dirs.first() else {
        return "fork tree: no peer".into();
    };
    let names: Vec<(crate::chain::AccountId, String)> = dirs
        .iter()
        .filter_map(|(name, _, d)| {
            let sk = crate::store::keyfile::load_key(&d.join("node.key")).ok()?;
            Some((crate::chain::keys::account_of(&sk), name.clone()))
        })
        .collect();
    let tree = match crate::cli::cheese_cli::fetch_tree(dir0, TREE_DEPTH, args.block_time) {
        Ok(t) => t,
        Err(e) => return format!("fork tree of peer-0 not written: {e}"),
    };
    let label = |a: &crate::chain::AccountId| {
        names.iter().find(|(x, _)| x == a).map_or_else(
            || crate::cli::cheese_cli::short_account(a),
            |(_, n)| n.clone(),
        )
    };
    let blocks = crate::cli::cheese_cli::tree_blocks(&tree, &label);
    let title = format!(
        "Block tree of peer-0 ({} peers, {} network, {} ms delay)",
        dirs.len(),
        args.network,
        args.delay_ms
    );
    let path = args.data_dir.join(TREE_FILE);
    match std::fs::write(&path, crate::tree_svg::render(&blocks, &title)) {
        Ok(()) => format!(
            "fork tree of peer-0: {} ({} blocks in the last {} heights, {} stale)",
            path.display(),
            blocks.len(),
            TREE_DEPTH,
            crate::tree_svg::stale_count(&blocks)
        ),
        Err(e) => format!("fork tree of peer-0 not written: {}: {e}", path.display()),
    }
}

/// The supervisor: starts `exe watch ARGS...` (the arguments devnet was given) in its
/// own process group with a pipe on its stdin, waits for it and exits with its code.
/// If the supervisor dies (Ctrl-C, kill), the pipe closes and the worker reports and
/// stops the network (see the module documentation).
pub fn supervise(raw_args: &[String]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("devnet: error: cannot find own executable: {e}");
            return ExitCode::FAILURE;
        }
    };
    let child = Command::new(exe)
        .arg(WORKER_ROLE)
        .args(raw_args)
        .stdin(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("devnet: error: cannot start the watch loop: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Held open until this process exits; its end of file tells the worker to stop.
    let _pipe = child.stdin.take();
    match child.wait() {
        Ok(st) if st.success() => ExitCode::SUCCESS,
        Ok(st) => match st.code() {
            // The worker printed its own error line.
            Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
            None => {
                eprintln!("devnet: error: the watch loop was killed ({st})");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("devnet: error: cannot wait for the watch loop: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Becomes true once stdin reaches end of file (or fails): the supervisor is gone.
fn watch_stdin() -> Arc<AtomicBool> {
    let gone = Arc::new(AtomicBool::new(false));
    let flag = gone.clone();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        flag.store(true, Ordering::SeqCst);
    });
    gone
}

/// Runs the devnet until Ctrl-C, or until the goal height (see [`DevnetArgs`]). With
/// `supervised`, stdin is the supervisor's pipe: when it closes, the run prints its
/// summary and fork tree and ends.
///
/// # Errors
/// A message for the user: cannot prepare the data directory, a child failed to start
/// or died, or the goal was not reached in time.
pub fn run(args: DevnetArgs, supervised: bool) -> Result<(), String> {
    let stopped = supervised.then(watch_stdin);
    if args.peers == 0 {
        return Err("--peers must be at least 1".into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    // Held until this function returns, after `children` below are killed.
    let _lock = prepare_dir(&args.data_dir, args.keep_data, &exe)?;
    let mut children = Children(Vec::new(), Vec::new());
    let tracker_dir = args.data_dir.join("tracker");
    std::fs::create_dir_all(&tracker_dir).map_err(|e| e.to_string())?;
    let net_args = [
        "--network".to_string(),
        args.network.clone(),
        "--block-time".to_string(),
        args.block_time.to_string(),
    ];
    let mut targs = vec![
        "--listen".to_string(),
        "127.0.0.1:0".to_string(),
        "--exit-with-parent".to_string(),
    ];
    targs.extend(net_args.iter().cloned());
    let (tchild, tout, taddr) = spawn(&exe, "tracker", &targs, &tracker_dir)?;
    children.0.push(("tracker".into(), tchild));
    children.1.push(tout);
    eprintln!(
        "devnet: tracker on {taddr}, logs in {}",
        tracker_dir.display()
    );

    let miners = args.miners.unwrap_or(args.peers).min(args.peers);
    let mut dirs = Vec::new();
    for i in 0..args.peers {
        let dir = args.data_dir.join(format!("peer-{i}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(dir.join(crate::runtime::status::STATUS_FILE));
        let mut pargs = vec![
            "--tracker".to_string(),
            taddr.clone(),
            "--listen".to_string(),
            "127.0.0.1:0".to_string(),
            "--data-dir".to_string(),
            dir.display().to_string(),
            "--delay-ms".to_string(),
            args.delay_ms.to_string(),
            "--status-secs".to_string(),
            "0".to_string(),
            "--exit-with-parent".to_string(),
        ];
        pargs.extend(net_args.iter().cloned());
        if i >= miners {
            pargs.push("--no-mine".into());
        }
        let (child, out, addr) = spawn(&exe, "peer", &pargs, &dir)?;
        eprintln!("devnet: peer-{i} on {addr}, data in {}", dir.display());
        children.0.push((format!("peer-{i}"), child));
        children.1.push(out);
        dirs.push((format!("peer-{i}"), addr, dir));
    }

    let start = Instant::now();
    let tty = std::io::stdout().is_terminal();
    let mut last_print = Instant::now() - Duration::from_secs(10);
    loop {
        std::thread::sleep(Duration::from_millis(250));
        if stopped.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
            let statuses: Vec<Option<StatusFile>> =
                dirs.iter().map(|(_, _, d)| StatusFile::read(d)).collect();
            println!("\n{}", converge::stopped(&statuses, start.elapsed()));
            println!("{}", write_tree(&args, &dirs));
            return Ok(());
        }
        for (name, c) in &mut children.0 {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(format!(
                    "{name} exited unexpectedly ({status}); see its log in {}",
                    args.data_dir.display()
                ));
            }
        }
        let statuses: Vec<Option<StatusFile>> =
            dirs.iter().map(|(_, _, d)| StatusFile::read(d)).collect();
        if tty || last_print.elapsed() >= Duration::from_secs(5) {
            last_print = Instant::now();
            let table = render_table(&taddr, &dirs, &statuses, start.elapsed());
            let mut out = std::io::stdout().lock();
            if tty {
                let _ = write!(out, "\x1b[2J\x1b[H");
            }
            let _ = writeln!(out, "{table}");
            let _ = out.flush();
        }
        if let Some(goal) = args.until_height {
            if let Some(summary) = converged(&statuses, goal, start.elapsed()) {
                println!("{summary}");
                println!("{}", write_tree(&args, &dirs));
                return Ok(());
            }
            if start.elapsed() >= Duration::from_secs(args.timeout_secs) {
                return Err(format!(
                    "peers did not converge on one tip at height >= {goal} within {} s; logs in {}",
                    args.timeout_secs,
                    args.data_dir.display()
                ));
            }
        }
    }
}
