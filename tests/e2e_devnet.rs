//! The `devnet` launcher end to end: a tracker and three peers reach a common tip and
//! devnet exits 0 with a summary; an impossible goal exits non-zero with a message; a
//! second devnet on a folder in use refuses and deletes nothing; Ctrl-C prints the
//! summary and the fork tree, then stops every child.

mod support;

use cheesechain::runtime::status::StatusFile;
use std::path::Path;
use std::process::{Command, Stdio};
use support::process::{wait_for, KillOnDrop};

#[test]
fn devnet_reaches_the_goal_height_and_reports() {
    let _g = support::process::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let out = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args([
            "--peers",
            "3",
            "--until-height",
            "8",
            "--network",
            "testnet",
        ])
        .args(["--timeout-secs", "120", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "devnet failed: {stdout}\n{stderr}");
    assert!(
        stdout.contains("converged: 3 peers share block"),
        "{stdout}"
    );
    assert!(stdout.contains("bytes sent per block"), "{stdout}");
    // The picture of peer-0's tree, every block labelled with the peer that mined it.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fork tree of peer-0: "))
        .unwrap_or_else(|| panic!("no fork tree line: {stdout}"));
    assert!(line.contains("tree.svg"), "{line}");
    let svg = std::fs::read_to_string(dir.join("tree.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("mined by peer-"),
        "{line}"
    );
    // The table fits 80 columns and names the tracker and its columns.
    assert!(stdout.contains("tracker 127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("height/best header"), "{stdout}");
    let summary = ["converged", "elapsed", "fork tree"];
    for l in stdout
        .lines()
        .filter(|l| !summary.iter().any(|s| l.starts_with(s)))
    {
        assert!(l.chars().count() <= 80, "wider than 80 columns: {l:?}");
    }
    for i in 0..3 {
        assert!(dir.join(format!("peer-{i}/blocks.dat")).exists());
    }
}

#[test]
fn devnet_fails_clearly_when_the_goal_is_not_reached() {
    let _g = support::process::serial();
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args(["--peers", "1", "--miners", "0", "--until-height", "5"])
        .args(["--network", "testnet", "--timeout-secs", "3", "--data-dir"])
        .arg(tmp.path().join("net"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did not converge"), "{stderr}");
}

#[test]
fn devnet_refuses_to_wipe_a_directory_it_did_not_make() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), "keep me").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args(["--peers", "1", "--data-dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(tmp.path().join("precious.txt").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not made by devnet"));
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(needle))
        .count()
}

#[test]
fn children_stop_when_devnet_is_killed() {
    let _g = support::process::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("killed-net");
    let mut devnet = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args(["--peers", "2", "--network", "testnet", "--data-dir"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let needle = dir.display().to_string();
    support::process::wait_for(30, "devnet's peers running", || {
        (processes_mentioning(&needle) >= 2 && dir.join("peer-1/status").exists()).then_some(())
    });
    devnet.kill().unwrap();
    devnet.wait().unwrap();
    support::process::wait_for(10, "peers and tracker exit after devnet is killed", || {
        (processes_mentioning(&needle) == 0).then_some(())
    });
}

/// Ctrl-C sends SIGINT to the terminal's foreground process group: here that is the
/// devnet process alone (the test's own group is not signalled), as the worker and the
/// peers sit in their own group. Devnet then prints where the network got to and
/// writes the fork tree, and every child exits.
#[test]
fn ctrl_c_prints_the_summary_and_the_fork_tree() {
    let _g = support::process::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("interrupted-net");
    let mut devnet = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_devnet"))
            .args(["--peers", "2", "--network", "testnet", "--data-dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut stdout = devnet.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        let _ = tx.send(s);
    });
    wait_for(60, "both peers past height 3", || {
        (peer_height(&dir.join("peer-0")) >= 3 && peer_height(&dir.join("peer-1")) >= 3)
            .then_some(())
    });
    let pid = devnet.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    // The pipe closes when the worker, its last holder, has exited.
    let out = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("devnet's output did not end within 60 s of Ctrl-C");
    let summary = out
        .lines()
        .find(|l| l.starts_with("stopped: "))
        .unwrap_or_else(|| panic!("no summary after Ctrl-C: {out}"));
    assert!(summary.contains("2 of 2 peers reported"), "{summary}");
    assert!(out.contains("blocks mined"), "{out}");
    assert!(out.contains("fork tree of peer-0: "), "{out}");
    let svg = std::fs::read_to_string(dir.join("tree.svg")).unwrap();
    assert!(svg.contains("mined by peer-"), "{svg}");
    let needle = dir.display().to_string();
    wait_for(10, "every child gone after Ctrl-C", || {
        (processes_mentioning(&needle) == 0).then_some(())
    });
    assert!(!dir.join(".devnet.lock").exists(), "lock left behind");
}

/// The parent PID of process `pid`, from `/proc/PID/stat` (the field after the
/// parenthesised command name and the state).
fn parent_of(pid: &str) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 1..];
    after.split_whitespace().nth(1).unwrap().to_string()
}

/// The height in the status file of the peer whose data is in `dir` (0 if none yet).
fn peer_height(dir: &Path) -> u64 {
    StatusFile::read(dir).map_or(0, |s| s.num("height"))
}

#[test]
fn a_second_devnet_on_a_folder_in_use_refuses_and_deletes_nothing() {
    let _g = support::process::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    let mut first = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_devnet"))
            .args(["--peers", "2", "--network", "testnet", "--data-dir"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let keys = [dir.join("peer-0/node.key"), dir.join("peer-1/node.key")];
    wait_for(60, "the first devnet's peers mining", || {
        (keys.iter().all(|k| k.exists()) && peer_height(&dir.join("peer-1")) > 0).then_some(())
    });
    let before: Vec<Vec<u8>> = keys.iter().map(|k| std::fs::read(k).unwrap()).collect();
    let lock = dir.join(cheesechain::cli::devnet::LOCK);
    // The lock names the worker that runs the network, a child of the devnet started.
    let holder = std::fs::read_to_string(&lock).unwrap().trim().to_string();
    assert_eq!(
        parent_of(&holder),
        first.0.id().to_string(),
        "lock {holder}"
    );

    let second = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args([
            "--peers",
            "1",
            "--network",
            "testnet",
            "--until-height",
            "1",
        ])
        .args(["--timeout-secs", "30", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr:?}");
    assert!(stderr.contains("in use by another devnet"), "{stderr}");

    assert!(
        first.0.try_wait().unwrap().is_none(),
        "the first devnet died"
    );
    let after: Vec<Vec<u8>> = keys.iter().map(|k| std::fs::read(k).unwrap()).collect();
    assert_eq!(before, after, "node keys changed");
    assert_eq!(std::fs::read_to_string(&lock).unwrap().trim(), holder);
    let h = peer_height(&dir.join("peer-0"));
    wait_for(
        60,
        "the first devnet's chain growing after the refusal",
        || (peer_height(&dir.join("peer-0")) > h).then_some(()),
    );

    // Ctrl-C (SIGINT to devnet alone: no destructor runs) still removes the lock.
    let int = Command::new("kill")
        .args(["-INT", &first.0.id().to_string()])
        .status()
        .unwrap();
    assert!(int.success());
    let status = first.0.wait().unwrap();
    assert!(!status.success());
    wait_for(20, "the lock removed after Ctrl-C", || {
        (!lock.exists()).then_some(())
    });
    let after: Vec<Vec<u8>> = keys.iter().map(|k| std::fs::read(k).unwrap()).collect();
    assert_eq!(before, after, "node keys changed");
}

#[test]
fn devnet_removes_a_stale_lock_and_says_so() {
    let _g = support::process::serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("net");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = dir.join(cheesechain::cli::devnet::LOCK);
    // Above any PID Linux hands out (pid_max is at most 2^22).
    std::fs::write(&lock, "4000000000\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args(["--peers", "1", "--miners", "0", "--until-height", "5"])
        .args(["--network", "testnet", "--timeout-secs", "1", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("removing stale lock") && stderr.contains("4000000000"),
        "{stderr}"
    );
    assert!(stderr.contains("did not converge"), "{stderr}");
    assert!(!lock.exists(), "the lock outlived devnet");
}
