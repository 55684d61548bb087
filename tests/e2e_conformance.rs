//! The `conformance` suite against our own `peer` and `tracker` (everything passes) and
//! against a deliberately broken fake peer (the broken rule fails, with its reason).

mod support;

use cheesechain::chain::NetworkParams;
use cheesechain::wire::{encode_frame, Decoded, FrameDecoder, Message, Version, MAX_PAYLOAD_LEN};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use support::process::{peer_of, serial, spawn};

fn conformance(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .output()
        .expect("conformance runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.success(), text)
}

#[test]
fn every_peer_case_passes_against_our_peer() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let peer = peer_of(
        env!("CARGO_BIN_EXE_peer"),
        &dir,
        "none",
        "regtest",
        &["--no-mine"],
    );
    let (ok, text) = conformance(&[
        "--peer",
        &peer.addr,
        "--network",
        "regtest",
        "--timeout-ms",
        "10000",
    ]);
    assert!(
        ok,
        "conformance failed against our peer:\n{text}\nlog:\n{}",
        peer.log()
    );
    let passed = text.lines().filter(|l| l.starts_with("PASS ")).count();
    assert!(passed >= 50, "only {passed} cases passed:\n{text}");
    assert!(text.contains(", 0 failed, 0 skipped"), "{text}");
    // The punished cases were cut for the reason under test, not by accident.
    let log = peer.log();
    for reason in [
        "merkle tree is mutated",
        "coinbase pays",
        "an ancestor is invalid",
    ] {
        assert!(log.contains(reason), "peer log lacks {reason:?}");
    }
}

#[test]
fn every_tracker_case_passes_against_our_tracker_and_json_counts_them() {
    let _g = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let tracker = spawn(
        env!("CARGO_BIN_EXE_tracker"),
        "tracker",
        &["--listen", "127.0.0.1:0", "--network", "regtest"],
        &dir,
        None,
    );
    let (ok, text) = conformance(&["--tracker", &tracker.addr, "--network", "regtest", "--json"]);
    assert!(ok, "conformance failed against our tracker:\n{text}");
    assert!(text.starts_with("{\"role\":\"tracker\""), "{text}");
    assert!(text.contains("\"failed\":0"), "{text}");
    assert!(text.contains("\"id\":\"tracker.takeover-refused\",\"section\":\"peer-protocol.md §2.2\",\"result\":\"pass\""), "{text}");
}

/// A fake peer that handshakes correctly but answers every ping with a wrong nonce.
#[test]
fn a_broken_target_fails_the_broken_case_with_its_reason() {
    let params = NetworkParams::regtest();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let p2 = params.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let params = p2.clone();
            std::thread::spawn(move || {
                let v = Message::Version(Version {
                    version: 1,
                    network_id: params.network_id(),
                    nonce: 42,
                    best_height: 0,
                    listen_port: 0,
                });
                let _ = s.write_all(&encode_frame(params.magic, &v));
                let mut dec = FrameDecoder::new(params.magic, MAX_PAYLOAD_LEN);
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    let mut input = &buf[..n];
                    while let Ok(Some(d)) = dec.decode(&mut input) {
                        let reply = match d {
                            Decoded::Message(Message::Version(_)) => Some(Message::Verack),
                            Decoded::Message(Message::Ping { nonce }) => {
                                Some(Message::Pong { nonce: nonce ^ 1 })
                            }
                            _ => None,
                        };
                        if let Some(r) = reply {
                            let _ = s.write_all(&encode_frame(params.magic, &r));
                        }
                    }
                }
            });
        }
    });
    let (ok, text) = conformance(&[
        "--peer",
        &addr,
        "--network",
        "regtest",
        "--only",
        "wire.",
        "--timeout-ms",
        "1000",
    ]);
    assert!(!ok, "a broken target passed:\n{text}");
    assert!(text.contains("PASS wire.handshake"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL wire.ping (wire.md §2.2): no answer")),
        "{text}"
    );
    // It never closes on a bad frame either.
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL wire.bad-checksum")),
        "{text}"
    );
}
