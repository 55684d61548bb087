//! A peer started on the wrong network says so at WARN, naming both networks, instead
//! of sitting at zero peers with the reason only at DEBUG.

mod support;

use cheesechain::chain::NetworkParams;
use cheesechain::wire::{encode_frame, Message, Version, PROTOCOL_VERSION};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::process::*;

fn peer_on(dir: &std::path::Path, name: &str, args: &[&str]) -> Proc {
    let dir_s = dir.display().to_string();
    let mut all = vec!["--data-dir", &dir_s, "--status-secs", "0", "--no-mine"];
    all.extend_from_slice(args);
    spawn(env!("CARGO_BIN_EXE_peer"), name, &all, dir, None)
}

fn warn_line(p: &Proc, needle: &str) -> String {
    let line = wait_for(30, &format!("{} to warn {needle:?}", p.name), || {
        p.log()
            .lines()
            .find(|l| l.contains(" WARN ") && l.contains(needle))
            .map(str::to_string)
    });
    eprintln!("{line}");
    line
}

#[test]
fn a_peer_of_another_network_names_its_own_when_the_tracker_keeps_closing() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let t = tracker(&tmp.path().join("t"), "127.0.0.1:0");
    let p = peer_on(
        &tmp.path().join("p"),
        "peer",
        &[
            "--tracker",
            &t.addr,
            "--listen",
            "127.0.0.1:0",
            "--network",
            "main",
        ],
    );
    let line = warn_line(&p, "without sending a peer list");
    assert!(line.contains(&format!("tracker {}", t.addr)), "{line}");
    assert!(line.contains("this peer runs main"), "{line}");
    assert!(line.contains("--network"), "{line}");
    // The tracker names the refused network too.
    let tl = warn_line(&t, "it speaks network main");
    assert!(tl.contains(&format!("this tracker serves {NET}")), "{tl}");
}

#[test]
fn devnets_of_different_block_times_name_each_other() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let t = spawn(
        env!("CARGO_BIN_EXE_tracker"),
        "tracker",
        &["--listen", "127.0.0.1:0", "--network", "devnet"],
        &tmp.path().join("t"),
        None,
    );
    let base = [
        "--tracker",
        &t.addr,
        "--listen",
        "127.0.0.1:0",
        "--network",
        "devnet",
    ];
    let five = peer_on(&tmp.path().join("five"), "five", &base);
    let mut ten_args = base.to_vec();
    ten_args.extend(["--block-time", "10"]);
    let ten = peer_on(&tmp.path().join("ten"), "ten", &ten_args);
    let line = warn_line(&ten, "to another network");
    assert!(line.contains("devnet-5s (block time 5 s)"), "{line}");
    assert!(
        line.contains("this peer runs devnet-10s (block time 10 s"),
        "{line}"
    );
    let line = warn_line(&five, "to another network");
    assert!(line.contains("devnet-10s (block time 10 s)"), "{line}");
    assert!(line.contains("this peer runs devnet-5s"), "{line}");
}

#[test]
fn frames_of_another_network_are_named_and_not_banned() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let p = peer_on(
        &tmp.path().join("p"),
        "peer",
        &[
            "--tracker",
            "none",
            "--listen",
            "127.0.0.1:0",
            "--network",
            NET,
        ],
    );
    let regtest = NetworkParams::regtest();
    let version = |params: &NetworkParams| {
        Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: params.network_id(),
            nonce: 0x5eed,
            best_height: 0,
            listen_port: 0,
        })
    };
    for _ in 0..2 {
        let mut s = TcpStream::connect(&p.addr).unwrap();
        s.write_all(&encode_frame(regtest.magic, &version(&regtest)))
            .unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 4096];
        // Read until the peer closes (its own version may come first).
        while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
    }
    let line = warn_line(&p, "to another network");
    assert!(line.contains("on regtest (magic "), "{line}");
    assert!(line.contains(&format!("this peer runs {NET}")), "{line}");
    // A mistake, not an attack: the same address may still connect and handshake.
    let ours = NetworkParams::by_name(NET).unwrap();
    let mut s = TcpStream::connect(&p.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&encode_frame(ours.magic, &version(&ours)))
        .unwrap();
    let mut header = [0u8; 4];
    s.read_exact(&mut header).unwrap();
    assert_eq!(header, ours.magic, "the peer answers in its own network");
}

/// Runs `wallet balance` against `peer` with `net_args`; returns its one stderr line.
fn wallet_balance_error(peer: &Proc, net_args: &[&str]) -> String {
    // The secp256k1 generator point: a valid account.
    let account = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wallet"))
        .args(["balance", "--peer", &peer.addr, "--account", account])
        .args(net_args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    stderr
}

#[test]
fn the_wallet_names_the_network_of_a_peer_on_another_one() {
    let tmp = tempfile::tempdir().unwrap();
    let base = ["--tracker", "none", "--listen", "127.0.0.1:0"];
    let testnet: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--network", "testnet"])
        .collect();
    let t = peer_on(&tmp.path().join("t"), "testnet", &testnet);
    let err = wallet_balance_error(&t, &["--network", "regtest"]);
    assert!(
        err.contains("runs network testnet, not regtest") && err.contains("pass --network testnet"),
        "{err}"
    );

    let ten: Vec<&str> = base
        .iter()
        .copied()
        .chain(["--network", "devnet", "--block-time", "10"])
        .collect();
    let d = peer_on(&tmp.path().join("d"), "devnet10", &ten);
    let err = wallet_balance_error(&d, &["--network", "devnet"]);
    assert!(
        err.contains("runs network devnet-10s, not devnet-5s")
            && err.contains("pass --network devnet --block-time 10"),
        "{err}"
    );
}
