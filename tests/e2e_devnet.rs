//! The `devnet` launcher end to end: a tracker and three peers reach a common tip and
//! devnet exits 0 with a summary; an impossible goal exits non-zero with a message.

mod support;

use std::process::Command;

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
