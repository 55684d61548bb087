//! Helpers for tests that run real `tracker` and `peer` processes.
//!
//! Every child is killed when its guard drops, also when a test fails. Ports are
//! chosen by the OS (listen on port 0, read the address the child prints). Waiting is
//! always a poll with a generous deadline, never a fixed sleep.
#![allow(dead_code)]

use cheesechain::runtime::status::{agreed_block, StatusFile};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Process tests share two cores; they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes the process-test lock (poison is ignored: a failed test must not fail the
/// others).
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The network the process tests run: fixed, easy difficulty.
pub const NET: &str = "testnet";

/// A running child process, killed on drop.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub addr: String,
    pub dir: PathBuf,
    _stdout: BufReader<ChildStdout>,
}

impl Proc {
    /// Kills the process with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The latest status file of a peer.
    pub fn status(&self) -> Option<StatusFile> {
        StatusFile::read(&self.dir)
    }

    /// The log the process wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(format!("{}.log", self.name))).unwrap_or_default()
    }

    /// The listen port.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `bin args...` (optionally inside a network namespace), logging stderr to
/// `dir/<name>.log`, and waits up to 20 s for its `... listening on ADDR` line.
pub fn spawn(bin: &str, name: &str, args: &[&str], dir: &Path, netns: Option<&str>) -> Proc {
    std::fs::create_dir_all(dir).unwrap();
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, bin]);
            c
        }
        None => Command::new(bin),
    };
    let mut child = cmd
        .args(args)
        .env(
            "RUST_LOG",
            std::env::var("TEST_RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        let _ = tx.send((line, r));
    });
    let (line, reader) = match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(x) => x,
        Err(_) => {
            let _ = child.kill();
            panic!("{name} did not report its address within 20 s");
        }
    };
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        addr.contains(':'),
        "{name} printed {line:?} instead of its address; log: {}",
        std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default()
    );
    Proc {
        name: name.to_string(),
        child,
        addr,
        dir: dir.to_path_buf(),
        _stdout: reader,
    }
}

/// Starts a tracker listening on `listen` (e.g. "127.0.0.1:0").
pub fn tracker(dir: &Path, listen: &str) -> Proc {
    spawn(
        env!("CARGO_BIN_EXE_tracker"),
        "tracker",
        &[
            "--listen",
            listen,
            "--network",
            NET,
            "--heartbeat-timeout-secs",
            "10",
        ],
        dir,
        None,
    )
}

/// Starts a peer with its data in `dir`, registered with `tracker`.
pub fn peer(dir: &Path, tracker: &str, extra: &[&str]) -> Proc {
    peer_of(env!("CARGO_BIN_EXE_peer"), dir, tracker, NET, extra)
}

/// Starts the peer binary `bin` on `network` with its data in `dir`, listening on
/// 127.0.0.1:0 with a status file on every change, using `tracker` (`none` for none),
/// plus `extra` flags.
pub fn peer_of(bin: &str, dir: &Path, tracker: &str, network: &str, extra: &[&str]) -> Proc {
    let dir_s = dir.display().to_string();
    let mut args = vec![
        "--tracker",
        tracker,
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &dir_s,
        "--network",
        network,
        "--status-secs",
        "0",
    ];
    args.extend_from_slice(extra);
    spawn(bin, "peer", &args, dir, None)
}

/// Polls `cond` every 50 ms until it returns `Some`, or panics with `what` after
/// `secs` seconds.
pub fn wait_for<T>(secs: u64, what: &str, mut cond: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(t) = cond() {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the peers have converged: the highest height >= `min` at which every
/// peer's chain holds the same block (see `runtime::status::agreed_block`).
pub fn same_tip(peers: &[&Proc], min: u64) -> Option<(u64, String)> {
    let st: Vec<StatusFile> = peers.iter().map(|p| p.status()).collect::<Option<_>>()?;
    agreed_block(&st, min)
}

/// A height field of a peer's status (0 if not yet written).
pub fn height(p: &Proc) -> u64 {
    p.status().map_or(0, |s| s.num("height"))
}

/// Any child process (one that prints no address, like `devnet`), killed and reaped on
/// drop, also when a test fails.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
