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
    let _p = peer_of(env!("CARGO_BIN_EXE_peer"), &dir, "none", "regtest", &[]);
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

/// Runs cheese-cli expecting failure: exit 1 and exactly one line on stderr.
fn fails(args: &[&str]) -> String {
    let out = cli(args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "cheese-cli {args:?} should fail: {err}"
    );
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    err
}

#[test]
fn tx_balance_mempool_peers_connect_disconnect_and_tree_in_text_and_json() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (da, db) = (tmp.path().join("a"), tmp.path().join("b"));
    let _a = peer(&da, "none", &["--no-mine"]);
    let b = peer(&db, "none", &["--no-mine"]);
    let (a_dir, b_dir) = (da.to_str().unwrap(), db.to_str().unwrap());
    for d in [&da, &db] {
        let sock = d.join("control.sock");
        wait_for(30, "control socket", || sock.exists().then_some(()));
    }
    let wallet = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_wallet"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "wallet {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let a_key = da.join("node.key");
    let a_key = a_key.to_str().unwrap();
    let a_acc = wallet(&["address", "--hex", "--key", a_key])
        .trim()
        .to_string();
    let b_key = db.join("node.key");
    let b_acc = wallet(&["address", "--hex", "--key", b_key.to_str().unwrap()])
        .trim()
        .to_string();

    // connect, then peers shows the ready outbound link, in text and JSON.
    let b_addr = b.addr.clone();
    let done = ok(&["--data-dir", a_dir, "connect", &b_addr]);
    assert!(done.contains(&format!("connecting to {b_addr}")), "{done}");
    let peers = wait_for(30, "a ready peer", || {
        let j = ok(&["--data-dir", a_dir, "peers", "--json"]);
        j.contains("\"ready\":true").then_some(j)
    });
    assert!(
        peers.starts_with("{\"peers\":[{\"addr\":")
            && peers.contains(&format!("\"addr\":\"{b_addr}\""))
            && peers.contains("\"direction\":\"out\""),
        "{peers}"
    );
    let text = ok(&["--data-dir", a_dir, "peers"]);
    assert!(
        text.contains(&b_addr) && text.contains(" out ready "),
        "{text}"
    );
    let inbound = ok(&["--data-dir", b_dir, "peers", "--json"]);
    assert!(inbound.contains("\"direction\":\"in\""), "{inbound}");

    // Coins for A, then a transfer A -> B: mempool and tx see it.
    ok(&["--data-dir", a_dir, "mine", "2", &a_acc]);
    let bal = ok(&["--data-dir", a_dir, "balance", &a_acc, "--json"]);
    assert!(
        bal.contains(&format!("\"account\":\"{a_acc}\"")) && bal.contains("\"height\":2"),
        "{bal}"
    );
    assert_ne!(json_num(&bal, "balance"), 0, "{bal}");
    let empty = ok(&["--data-dir", a_dir, "mempool", "--json"]);
    assert_eq!(empty.trim(), "{\"size\":0,\"txids\":[]}");
    let addr_a = format!("127.0.0.1:{}", _a.port());
    let sent = wallet(&[
        "send",
        "--key",
        a_key,
        "--to",
        &b_acc,
        "--amount",
        "1.5",
        "--peer",
        &addr_a,
        "--network",
        NET,
    ]);
    let txid = sent
        .lines()
        .find_map(|l| l.strip_prefix("transaction "))
        .unwrap_or_else(|| panic!("no txid in {sent}"))
        .to_string();
    let pool = ok(&["--data-dir", a_dir, "mempool", "--json"]);
    assert_eq!(
        pool.trim(),
        format!("{{\"size\":1,\"txids\":[\"{txid}\"]}}")
    );
    let text = ok(&["--data-dir", a_dir, "mempool"]);
    assert!(
        text.starts_with("1 transaction\n") && text.contains(&txid),
        "{text}"
    );
    let tx = ok(&["--data-dir", a_dir, "tx", &txid, "--json"]);
    assert!(
        tx.contains("\"location\":\"mempool\"") && tx.contains("\"kind\":\"transfer\""),
        "{tx}"
    );
    assert!(ok(&["--data-dir", a_dir, "tx", &txid]).contains("in the mempool"));

    // Mined: the transfer is in block 3 with one confirmation, B has the coins, and
    // the public port (--peer) says the same.
    ok(&["--data-dir", a_dir, "mine", "1", &a_acc]);
    let tx = ok(&["--data-dir", a_dir, "tx", &txid, "--json"]);
    assert!(
        tx.contains("\"location\":\"block\"")
            && tx.contains("\"height\":3")
            && tx.contains("\"confirmations\":1"),
        "{tx}"
    );
    let text = ok(&["--peer", &addr_a, "--network", NET, "tx", &txid]);
    assert!(text.contains("at height 3, 1 confirmation"), "{text}");
    let bal = ok(&[
        "--peer",
        &addr_a,
        "--network",
        NET,
        "balance",
        &b_acc,
        "--json",
    ]);
    assert_eq!(json_num(&bal, "balance"), 150_000_000, "{bal}");
    let text = ok(&["--data-dir", a_dir, "balance", &b_acc]);
    assert!(
        text.starts_with("balance 1.50000000 coins at height 3"),
        "{text}"
    );
    assert_eq!(
        ok(&["--data-dir", a_dir, "mempool", "--json"]).trim(),
        "{\"size\":0,\"txids\":[]}"
    );

    // The tree: B follows A, so both show the 4 blocks 0..=3 on one chain.
    wait_for(30, "B at height 3", || {
        json_num(&ok(&["--data-dir", b_dir, "info", "--json"]), "height")
            .eq(&3)
            .then_some(())
    });
    let svg = tmp.path().join("tree.svg");
    let out = ok(&[
        "--data-dir",
        b_dir,
        "tree",
        "--svg",
        svg.to_str().unwrap(),
        "--depth",
        "10",
    ]);
    assert!(
        out.starts_with(&format!("wrote {}: 4 blocks, 0 stale", svg.display())),
        "{out}"
    );
    let pic = std::fs::read_to_string(&svg).unwrap();
    assert!(
        pic.starts_with("<svg") && pic.contains(&a_acc[..8]),
        "miner label in the picture"
    );
    let tree = ok(&["--peer", &addr_a, "--network", NET, "tree", "--json"]);
    assert!(
        tree.starts_with("{\"tip_height\":3,\"total\":4,\"stale\":0,"),
        "{tree}"
    );
    assert_eq!(tree.matches("\"status\":\"active\"").count(), 4, "{tree}");

    // Errors: one line, exit 1.
    assert!(fails(&["--data-dir", a_dir, "tx", &"00".repeat(32)]).contains("not-found"));
    assert!(fails(&["--data-dir", a_dir, "tx", "xyz"]).contains("hex"));
    fails(&[
        "--data-dir",
        a_dir,
        "balance",
        &format!("02{}", "ff".repeat(32)),
    ]);
    fails(&["--data-dir", a_dir, "tree", "--depth"]);
    fails(&["--peer", &addr_a, "--network", NET, "peers"]);
    fails(&["--peer", &addr_a, "--network", NET, "connect", &b_addr]);

    // disconnect: done, the link goes; a second time there is nothing to close.
    let done = ok(&["--data-dir", a_dir, "disconnect", &b_addr, "--json"]);
    assert!(
        done.starts_with("{\"done\":\"closing 1 connection(s) to "),
        "{done}"
    );
    wait_for(30, "no more peers", || {
        (ok(&["--data-dir", a_dir, "peers", "--json"]).trim() == "{\"peers\":[]}").then_some(())
    });
    assert!(fails(&["--data-dir", a_dir, "disconnect", &b_addr]).contains("no connection to"));
}
