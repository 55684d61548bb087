//! `cheese-cli` against a real peer: the control socket (mode 0600), info JSON, mine N,
//! block, tips, the peer-port mode refusing control commands, stop, and the hash rate
//! of a mining peer.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use support::process::*;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cheese-cli"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = cli(args);
    assert!(
        out.status.success(),
        "cheese-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn control_socket_info_mine_block_tips_and_stop() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let mut p = peer(&dir, "none", &["--no-mine"]);
    let sock = dir.join("control.sock");
    wait_for(30, "control socket", || sock.exists().then_some(()));
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let d = dir.to_str().unwrap();
    let info = ok(&["--data-dir", d, "info", "--json"]);
    for f in [
        "\"network\":",
        "\"height\":0",
        "\"tip\":",
        "\"peers_in\":0",
        "\"peers_out\":0",
        "\"mempool\":0",
    ] {
        assert!(info.contains(f), "{f} missing in {info}");
    }
    let key = dir.join("node.key");
    let acc = Command::new(env!("CARGO_BIN_EXE_wallet"))
        .args(["address", "--hex", "--key", key.to_str().unwrap()])
        .output()
        .unwrap();
    let acc = String::from_utf8(acc.stdout).unwrap().trim().to_string();
    let mined = ok(&["--data-dir", d, "mine", "3", &acc, "--json"]);
    assert!(mined.contains("\"height\":3"), "{mined}");
    let info = ok(&["--data-dir", d, "info", "--json"]);
    assert!(info.contains("\"height\":3"), "{info}");
    let block = ok(&["--data-dir", d, "block", "2", "--json"]);
    assert!(
        block.contains("\"height\":2") && block.contains("\"confirmations\":2"),
        "{block}"
    );
    assert!(block.contains(&format!("\"miner\":\"{acc}\"")), "{block}");
    let tips = ok(&["--data-dir", d, "tips", "--json"]);
    assert!(
        tips.contains("\"status\":\"active\"") && tips.contains("\"height\":3"),
        "{tips}"
    );
    let addr = format!("127.0.0.1:{}", p.port());
    let info = ok(&["--peer", &addr, "--network", "testnet", "info", "--json"]);
    assert!(
        info.contains("\"height\":3") && !info.contains("data_dir"),
        "{info}"
    );
    let refused = cli(&["--peer", &addr, "--network", "testnet", "stop"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&refused.stderr).lines().count(), 1);
    ok(&["--data-dir", d, "stop"]);
    wait_for(30, "peer exits", || p.child.try_wait().ok().flatten());
    assert!(!sock.exists(), "control socket removed on exit");
}

/// The number after `"field":` in a JSON object (0 if missing).
fn json_num(json: &str, field: &str) -> u64 {
    let key = format!("\"{field}\":");
    json.find(&key).map_or(0, |i| {
        json[i + key.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0)
    })
}

#[test]
fn info_hash_rate_is_above_zero_while_mining_on_regtest() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let d = dir.to_str().unwrap();
    let _p = spawn(
        env!("CARGO_BIN_EXE_peer"),
        "peer",
        &[
            "--network",
            "regtest",
            "--tracker",
            "none",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            d,
            "--status-secs",
            "0",
        ],
        &dir,
        None,
    );
    // Mining from the start; a measurement needs two slices, so poll.
    let info = wait_for(30, "a hash rate above 0 while mining", || {
        let out = cli(&["--data-dir", d, "info", "--json"]);
        let s = String::from_utf8_lossy(&out.stdout).to_string();
        (json_num(&s, "height") > 0 && json_num(&s, "hash_rate") > 0).then_some(s)
    });
    assert!(info.contains("\"mining\":true"), "{info}");
    let text = ok(&["--data-dir", d, "info"]);
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("hash rate "))
        .unwrap_or_else(|| panic!("no hash rate line in {text}"));
    assert_ne!(rate, "0 H/s", "{text}");
}
