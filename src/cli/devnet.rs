//! The `devnet` command: a tracker and N peers as child processes on loopback, a live
//! table of their state, and an optional goal height for scripted runs.

use super::status_table::render_table;
use crate::runtime::status::{agreed_block, StatusFile};
use argh::FromArgs;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Name of the marker file that makes a directory safe for devnet to wipe.
pub const MARKER: &str = ".devnet";

/// Start a local cheesechain network: one tracker and N mining peers as child processes
/// on 127.0.0.1, each peer with its own data directory under --data-dir. Shows a live
/// table (height, tip, peers, hash rate per peer). Ctrl-C stops everything.
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
    /// ./devnet-data); wiped at start unless --keep-data
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
}

/// The child processes, with their stdout pipes kept open; all are killed when this
/// is dropped, also on panic or error.
struct Children(
    Vec<(String, Child)>,
    Vec<BufReader<std::process::ChildStdout>>,
);

impl Drop for Children {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
        }
        for (_, c) in &mut self.0 {
            let _ = c.wait();
        }
    }
}

/// Runs the devnet until Ctrl-C, or until the goal height (see [`DevnetArgs`]).
///
/// # Errors
/// A message for the user: cannot prepare the data directory, a child failed to start
/// or died, or the goal was not reached in time.
pub fn run(args: DevnetArgs) -> Result<(), String> {
    if args.peers == 0 {
        return Err("--peers must be at least 1".into());
    }
    prepare_dir(&args.data_dir, args.keep_data)?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
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
            let table = render_table(&dirs, &statuses, start.elapsed());
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

/// If the peers have converged at height >= `goal` (every peer's chain holds the same
/// block there, see [`agreed_block`]), the run's summary.
fn converged(statuses: &[Option<StatusFile>], goal: u32, elapsed: Duration) -> Option<String> {
    let all: Vec<StatusFile> = statuses.iter().cloned().collect::<Option<_>>()?;
    let (height, block) = agreed_block(&all, goal as u64)?;
    let mined: u64 = all.iter().map(|s| s.num("blocks_mined")).sum();
    let reorgs: u64 = all.iter().map(|s| s.num("reorgs")).sum();
    let bytes: u64 = all.iter().map(|s| s.num("bytes_sent")).sum();
    let tips: std::collections::BTreeSet<&str> = all.iter().filter_map(|s| s.get("tip")).collect();
    let top = all.iter().map(|s| s.num("height")).max().unwrap_or(height);
    // Blocks mined that are not on the agreed chain (up to the highest tip).
    let stale = mined.saturating_sub(top);
    Some(format!(
        "converged: {} peers share block {} at height {height} ({} tip{} at heights up to {top})\n\
         elapsed {:.1} s, blocks mined {mined}, stale blocks {stale}, reorgs {reorgs}, \
         bytes sent per block {}",
        all.len(),
        &block[..16.min(block.len())],
        tips.len(),
        if tips.len() == 1 { "" } else { "s" },
        elapsed.as_secs_f64(),
        bytes / top.max(1),
    ))
}

/// Empties `dir` if it is a devnet directory (or creates it); refuses to wipe a
/// directory devnet did not create.
fn prepare_dir(dir: &Path, keep: bool) -> Result<(), String> {
    if dir.exists() && !keep {
        let is_ours = dir.join(MARKER).exists();
        let empty = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .next()
            .is_none();
        if !is_ours && !empty {
            return Err(format!(
                "{} exists and was not made by devnet; choose another --data-dir",
                dir.display()
            ));
        }
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join(MARKER), "made by devnet; wiped at each start\n")
        .map_err(|e| e.to_string())
}

/// A started child, its stdout (kept open so it never gets a broken pipe) and the
/// address it printed.
type Spawned = (Child, BufReader<std::process::ChildStdout>, String);

/// Starts `exe role args...` with stderr to `dir/<role>.log`, and returns it with the
/// address from its first stdout line (`... listening on ADDR`).
fn spawn(exe: &Path, role: &str, args: &[String], dir: &Path) -> Result<Spawned, String> {
    let log = std::fs::File::create(dir.join(format!("{role}.log")))
        .map_err(|e| format!("cannot create log in {}: {e}", dir.display()))?;
    let mut child = Command::new(exe)
        .arg(role)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .map_err(|e| format!("cannot start {role}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    let got = reader.read_line(&mut line);
    match got {
        Ok(n) if n > 0 => {}
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{role} failed to start; see {}",
                dir.join(format!("{role}.log")).display()
            ));
        }
    }
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    Ok((child, reader, addr))
}
