//! Inbound slot exhaustion from one address, against a real `peer` process: an
//! attacker on 127.0.0.2 keeps silent sockets and handshaken idle peers open (each
//! reopened as soon as the victim cuts it), and honest clients on 127.0.0.3… must
//! still complete their handshakes (spec: peer protocol §4.2).
//!
//! `CHEESE_ATTACK_PEER_BIN=/path/to/peer` runs the same attack against another build
//! (to measure an older one); the figures are printed either way.

mod support;

use cheesechain::chain::NetworkParams;
use cheesechain::wire::{
    encode_frame, Decoded, FrameDecoder, Message, Version, MAX_PAYLOAD_LEN, PROTOCOL_VERSION,
};
use socket2::{Domain, Socket, Type};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::process::{peer_of, serial, wait_for, Proc, NET};

fn params() -> NetworkParams {
    NetworkParams::by_name(NET).unwrap()
}

/// A TCP connection to `to` from address `from` (port chosen by the OS).
fn connect_from(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    s.bind(&SocketAddr::new(IpAddr::V4(from), 0).into())?;
    s.connect_timeout(&to.into(), Duration::from_secs(2))?;
    Ok(s.into())
}

fn version(nonce: u64) -> Vec<u8> {
    let p = params();
    let mut v = encode_frame(
        p.magic,
        &Message::Version(Version {
            version: PROTOCOL_VERSION as u32,
            network_id: p.network_id(),
            nonce,
            best_height: 0,
            listen_port: 0,
        }),
    );
    v.extend(encode_frame(p.magic, &Message::Verack));
    v
}

/// One attacker socket: silent (never sends a byte) or handshaken (sends its version
/// and verack, answers pings, asks for nothing).
struct Sock {
    stream: Option<TcpStream>,
    dec: FrameDecoder,
    handshaken: bool,
    ready: bool,
}

/// What the attacker sees, shared with the test.
#[derive(Default)]
struct Tally {
    /// Connections the victim closed (each is reopened).
    cut: AtomicUsize,
    /// Handshaken sockets that currently have the victim's verack.
    ready: AtomicUsize,
}

/// Runs the attack from `from` until `stop`: `silent` silent sockets and `idle`
/// handshaken idle peers, each reopened when cut.
fn attack(
    from: Ipv4Addr,
    victim: SocketAddr,
    silent: usize,
    idle: usize,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    let p = params();
    let new_sock = |handshaken| Sock {
        stream: None,
        dec: FrameDecoder::new(p.magic, MAX_PAYLOAD_LEN),
        handshaken,
        ready: false,
    };
    let mut socks: Vec<Sock> = (0..silent)
        .map(|_| new_sock(false))
        .chain((0..idle).map(|_| new_sock(true)))
        .collect();
    let mut nonce = 0xa77a_c000u64;
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        for s in &mut socks {
            if s.stream.is_none() {
                let Ok(mut st) = connect_from(from, victim) else {
                    continue;
                };
                if s.handshaken {
                    nonce += 1;
                    if st.write_all(&version(nonce)).is_err() {
                        continue;
                    }
                }
                let _ = st.set_nonblocking(true);
                s.stream = Some(st);
                s.dec = FrameDecoder::new(p.magic, MAX_PAYLOAD_LEN);
            }
            let st = s.stream.as_mut().expect("just opened");
            let closed = match st.read(&mut buf) {
                Ok(0) => true,
                Ok(n) if s.handshaken => {
                    let mut input = &buf[..n];
                    let mut closed = false;
                    while !input.is_empty() {
                        match s.dec.decode(&mut input) {
                            Ok(Some(Decoded::Message(Message::Verack))) if !s.ready => {
                                s.ready = true;
                                tally.ready.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(Some(Decoded::Message(Message::Ping { nonce }))) => {
                                let pong = encode_frame(p.magic, &Message::Pong { nonce });
                                let _ = st.write_all(&pong);
                            }
                            Ok(Some(_)) => {}
                            Ok(None) => break,
                            Err(_) => {
                                closed = true;
                                break;
                            }
                        }
                    }
                    closed
                }
                Ok(_) => false,
                Err(e) if e.kind() == ErrorKind::WouldBlock => false,
                Err(_) => true,
            };
            if closed {
                s.stream = None;
                if s.ready {
                    s.ready = false;
                    tally.ready.fetch_sub(1, Ordering::Relaxed);
                }
                tally.cut.fetch_add(1, Ordering::Relaxed);
            }
        }
        // The attacker's own pace (a loop round), not a wait in the test.
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An honest handshake from `from`: true once the victim's version and verack both
/// arrived with no `reject` and no close within 5 s. The connection is returned open.
fn honest_handshake(from: Ipv4Addr, victim: SocketAddr, nonce: u64) -> (bool, Option<TcpStream>) {
    let p = params();
    let Ok(mut s) = connect_from(from, victim) else {
        return (false, None);
    };
    if s.write_all(&version(nonce)).is_err() {
        return (false, None);
    }
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut dec = FrameDecoder::new(p.magic, MAX_PAYLOAD_LEN);
    let (mut got_version, mut got_verack) = (false, false);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        let n = match s.read(&mut buf) {
            Ok(0) => return (false, None),
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return (false, None),
        };
        let mut input = &buf[..n];
        while !input.is_empty() {
            match dec.decode(&mut input) {
                Ok(Some(Decoded::Message(Message::Version(_)))) => got_version = true,
                Ok(Some(Decoded::Message(Message::Verack))) => got_verack = true,
                Ok(Some(Decoded::Message(Message::Reject { .. }))) => return (false, None),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return (false, None),
            }
        }
        if got_version && got_verack {
            return (true, Some(s));
        }
    }
    (false, None)
}

/// True if the victim has not closed `s` (a read finds no end of stream).
fn still_open(s: &mut TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return false,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

fn victim(dir: &std::path::Path, extra: &[&str]) -> Proc {
    let bin = std::env::var("CHEESE_ATTACK_PEER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_peer").to_string());
    let mut args = vec!["--no-mine"];
    args.extend_from_slice(extra);
    peer_of(&bin, dir, "none", NET, &args)
}

/// Runs the attack against a victim started with `extra` flags, waits until the
/// attacker has been cut `saturated` times (its sockets fill what the victim allows),
/// then tries five honest handshakes from 127.0.0.3–7 while the attack goes on.
/// Returns (succeeded, still open at the end, the victim's log).
fn run(silent: usize, idle: usize, extra: &[&str], saturated: usize) -> (usize, usize, String) {
    let tmp = tempfile::tempdir().unwrap();
    let v = victim(tmp.path(), extra);
    let addr: SocketAddr = v.addr.parse().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let attacker = {
        let (stop, tally) = (stop.clone(), tally.clone());
        std::thread::spawn(move || {
            attack(Ipv4Addr::new(127, 0, 0, 2), addr, silent, idle, stop, tally)
        })
    };
    wait_for(60, "the attacker to saturate the victim", || {
        (tally.cut.load(Ordering::Relaxed) >= saturated).then_some(())
    });
    let mut ok = 0;
    let mut open = Vec::new();
    for i in 0..5u8 {
        let (done, s) =
            honest_handshake(Ipv4Addr::new(127, 0, 0, 3 + i), addr, 0x4000 + u64::from(i));
        ok += usize::from(done);
        open.extend(s);
    }
    let still = open.iter_mut().map(still_open).filter(|&o| o).count();
    let (cut, ready) = (
        tally.cut.load(Ordering::Relaxed),
        tally.ready.load(Ordering::Relaxed),
    );
    stop.store(true, Ordering::Relaxed);
    attacker.join().unwrap();
    eprintln!(
        "attack {silent} silent + {idle} idle from 127.0.0.2, victim {extra:?}: honest handshakes {ok} of 5 ({still} still open); attacker cut {cut} times, {ready} of its idle peers held slots"
    );
    (ok, still, v.log())
}

#[test]
fn silent_sockets_and_idle_peers_from_one_address_leave_room_for_honest_handshakes() {
    let _g = serial();
    // The row: 40 silent sockets and 45 handshaken idle peers, default caps.
    let (ok, still, log) = run(40, 45, &[], 60);
    assert_eq!(ok, 5, "honest handshakes failed; victim log:\n{log}");
    assert_eq!(still, 5, "honest peers were cut; victim log:\n{log}");
}

#[test]
fn full_inbound_slots_evict_an_idle_attacker_peer_for_an_honest_newcomer() {
    let _g = serial();
    // Eight slots, all of which one address may hold (the group cap is 8 too): the
    // attacker's idle peers take them, so each honest newcomer needs an eviction.
    let (ok, still, log) = run(0, 20, &["--max-inbound", "8"], 12);
    // With only eight slots and six groups competing, once four honest peers hold
    // slots the rule may pick the youngest candidate, an honest newcomer or the
    // youngest honest peer, instead of an attacker (nothing protects the youngest of
    // a group); at most one such loss in five. The default caps (the test above) lose
    // none.
    assert!(ok >= 4, "honest handshakes failed; victim log:\n{log}");
    assert!(still >= 4, "honest peers were cut; victim log:\n{log}");
    assert!(
        log.contains("evicting 127.0.0.2:"),
        "no eviction logged:\n{log}"
    );
}
