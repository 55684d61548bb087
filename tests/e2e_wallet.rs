//! The README's walkthrough with real processes: a peer mines to its key A, a new key B
//! is created, A sends coins to B through the peer, and both balances change.

mod support;

use std::process::Command;
use support::process::*;

fn wallet(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wallet"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn balance(key_or_account: &[&str], peer: &str) -> u64 {
    let mut args = vec!["balance", "--peer", peer, "--network", NET];
    args.extend_from_slice(key_or_account);
    let (ok, out) = wallet(&args);
    assert!(ok, "balance failed: {out}");
    let line = out.lines().find(|l| l.starts_with("balance ")).unwrap();
    let coins = line.split(' ').nth(1).unwrap();
    let (w, f) = coins.split_once('.').unwrap();
    w.parse::<u64>().unwrap() * 100_000_000 + f.parse::<u64>().unwrap()
}

#[test]
fn mine_to_a_send_to_b_and_see_both_balances_change() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let t = tracker(&tmp.path().join("t"), "127.0.0.1:0");
    let p = peer(&tmp.path().join("a"), &t.addr, &[]);
    let a_key = tmp.path().join("a/node.key");
    let a_key = a_key.to_str().unwrap();
    let b_key = tmp.path().join("b.key");
    let b_key = b_key.to_str().unwrap();

    let (ok, b_account) = wallet(&["new", "--key", b_key]);
    assert!(ok, "{b_account}");
    let b_account = b_account.trim().to_string();
    assert!(
        b_account.starts_with("cheese1") && b_account.len() == 66,
        "new prints the checksummed account: {b_account}"
    );
    let (ok, b_hex) = wallet(&["address", "--key", b_key, "--hex"]);
    assert!(ok, "{b_hex}");
    let b_hex = b_hex.trim().to_string();
    assert!(b_hex.len() == 66 && b_hex.starts_with('0'), "{b_hex}");
    // One mistyped letter of the checksummed form is caught before anything is sent.
    let mut typo = b_account.clone().into_bytes();
    typo[30] = if typo[30] == b'q' { b'p' } else { b'q' };
    let typo = String::from_utf8(typo).unwrap();
    let (ok, out) = wallet(&["balance", "--account", &typo, "--peer", "127.0.0.1:1"]);
    assert!(!ok && out.contains("checksum does not match"), "{out}");
    let (ok, again) = wallet(&["new", "--key", b_key]);
    assert!(!ok && again.contains("not overwriting"), "{again}");

    wait_for(60, "A has mined coins", || {
        (balance(&["--key", a_key], &p.addr) >= 100 * 100_000_000).then_some(())
    });
    assert_eq!(balance(&["--account", &b_account], &p.addr), 0);
    // The raw hex names the same account.
    assert_eq!(balance(&["--account", &b_hex], &p.addr), 0);

    let (ok, out) = wallet(&[
        "send",
        "--key",
        a_key,
        "--to",
        &b_account,
        "--amount",
        "12.5",
        "--fee",
        "0.01",
        "--peer",
        &p.addr,
        "--network",
        NET,
    ]);
    assert!(ok, "send failed: {out}");
    assert!(out.contains("sent 12.50000000 coins"), "{out}");
    wait_for(60, "B's coins are mined", || {
        (balance(&["--account", &b_account], &p.addr) == 1_250_000_000).then_some(())
    });
    assert_eq!(balance(&["--account", &b_hex], &p.addr), 1_250_000_000);

    // Spending more than B has is refused with a clear message, before signing.
    let (ok, out) = wallet(&[
        "send",
        "--key",
        b_key,
        "--to",
        &b_account,
        "--amount",
        "100",
        "--peer",
        &p.addr,
        "--network",
        NET,
    ]);
    assert!(!ok && out.contains("less than amount plus fee"), "{out}");
    // A wrong network is reported, not hung on.
    let (ok, out) = wallet(&[
        "balance",
        "--key",
        a_key,
        "--peer",
        &p.addr,
        "--network",
        "main",
    ]);
    assert!(!ok, "{out}");
}

/// 33 bytes with a valid prefix whose X (2^256 - 1) is no curve coordinate.
fn not_a_point() -> String {
    format!("02{}", "ff".repeat(32))
}

#[test]
fn wallet_rejects_an_account_that_is_no_curve_point() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("a.key");
    let key = key.to_str().unwrap();
    let (ok, out) = wallet(&["new", "--key", key]);
    assert!(ok, "{out}");
    let bad = not_a_point();
    // Port 9 (discard) on loopback: nothing listens, so only the account check can
    // produce the message below.
    for args in [
        vec!["balance", "--account", &bad, "--peer", "127.0.0.1:9"],
        vec![
            "send",
            "--key",
            key,
            "--to",
            &bad,
            "--amount",
            "1",
            "--peer",
            "127.0.0.1:9",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_wallet"))
            .args(&args)
            .args(["--network", NET])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(
            stderr.contains("not a compressed secp256k1 public key"),
            "{stderr}"
        );
    }
}

#[test]
fn peer_rejects_mine_to_an_account_that_is_no_curve_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let out = Command::new(env!("CARGO_BIN_EXE_peer"))
        .args([
            "--tracker",
            "none",
            "--listen",
            "127.0.0.1:0",
            "--network",
            NET,
        ])
        .args(["--mine-to", &not_a_point(), "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.contains("--mine-to") && stderr.contains("not a compressed secp256k1 public key"),
        "{stderr}"
    );
    assert!(
        !dir.exists(),
        "the peer created its data directory before refusing"
    );
}
