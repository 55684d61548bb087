//! The node and tracker state-machine fuzz checks (`fuzz/checks/`, shared with the
//! `node_session` and `tracker_session` fuzz targets) on seeded random sessions, so
//! `cargo test` runs them too; a crash input the fuzzer finds goes into a list here.

use cheesechain::rng::SplitMix64;

#[path = "../fuzz/checks/session.rs"]
mod session;

#[path = "../fuzz/checks/node_session.rs"]
mod node_session;

#[path = "../fuzz/checks/tracker_session.rs"]
mod tracker_session;

/// `n` random inputs of up to `max_len` bytes from `seed`. Byte values are skewed
/// towards small ones (steps, lengths and indices are read from them), so sessions
/// hold many short messages rather than a few huge ones.
fn inputs(seed: u64, n: usize, max_len: usize) -> Vec<Vec<u8>> {
    let mut rng = SplitMix64::new(seed);
    (0..n)
        .map(|_| {
            let len = (rng.next_u64() as usize) % max_len;
            (0..len)
                .map(|_| {
                    let r = rng.next_u64();
                    if r & 3 == 0 {
                        (r >> 8) as u8
                    } else {
                        ((r >> 8) % 16) as u8
                    }
                })
                .collect()
        })
        .collect()
}

/// Every session keeps the rules, and the sessions as a whole reach the deep states
/// (handshaken peers answered, blocks mined, connections cut for misbehaviour), or the
/// check would pass for want of trying.
#[test]
fn node_sessions_keep_every_rule() {
    let (mut delivered, mut sent, mut closed, mut mined, mut peers) = (0, 0, 0, 0, 0);
    for data in inputs(0x5e55_1000, 400, 3_000) {
        let (s, height) = node_session::check(&data);
        delivered += s.delivered;
        sent += s.sent;
        closed += s.closed;
        mined += usize::from(height > 0);
        peers = peers.max(s.depth);
    }
    eprintln!(
        "node: {delivered} messages in, {sent} out, {closed} cut, {mined} sessions \
         mined, at most {peers} ready peers"
    );
    assert!(
        delivered > 1_000 && sent > 1_000,
        "{delivered} in, {sent} out"
    );
    assert!(closed > 300, "only {closed} connections cut");
    assert!(mined > 100, "only {mined} sessions mined a block");
    assert!(peers >= 2, "at most {peers} peers were ever ready at once");
}

#[test]
fn tracker_sessions_keep_every_rule() {
    let (mut delivered, mut sent, mut closed, mut full) = (0, 0, 0, 0);
    for data in inputs(0x5e55_2000, 600, 3_000) {
        let (s, _) = tracker_session::check(&data);
        delivered += s.delivered;
        sent += s.sent;
        closed += s.closed;
        full = full.max(s.depth);
    }
    eprintln!("tracker: {delivered} messages in, {sent} out, {closed} cut, most registered {full}");
    assert!(
        delivered > 1_000 && sent > 1_000,
        "{delivered} in, {sent} out"
    );
    assert!(closed > 300, "only {closed} connections cut");
    assert!(full >= 4, "at most {full} peers registered at once");
}

/// Pinned inputs: the fuzzer's finds, as hex.
#[test]
fn session_regressions() {
    for h in ["", "00", "0006000600"] {
        let data = cheesechain::chain::hash::unhex(h).expect("valid hex");
        node_session::check(&data);
        tracker_session::check(&data);
    }
}

/// A scripted session in the driver's input language: four inbound peers handshake,
/// the node mines, its own messages are replayed to it (intact and with a byte
/// flipped), time runs past every timeout. Reaches the states random inputs seldom do.
#[test]
fn a_scripted_session_reaches_ready_peers_and_mined_blocks() {
    let mut d = Vec::new();
    for i in 0..4u8 {
        d.extend_from_slice(&[0, 0, i, i]); // inbound peer from 127.0.0.(i+1)
    }
    for i in 0..4u8 {
        d.extend_from_slice(&[7, i, i + 1, 2, 3, 4, 5, 6, 7, 0]); // version (height 0), verack
    }
    for i in 0..4u8 {
        d.extend_from_slice(&[3, i, 5, 2, 0, 0]); // headers: none (we are all at genesis)
    }
    for _ in 0..20 {
        d.extend_from_slice(&[11, 0xff, 0xff]); // mine 65 535 nonces
        d.extend_from_slice(&[12, 0xe8, 0x03]); // one second passes
    }
    for i in 0..20u8 {
        d.extend_from_slice(&[9, i, i, i, 0]); // replay a sent message intact
        d.extend_from_slice(&[9, i, i.wrapping_mul(7), 1 + 2 * i, 0]); // one bit flipped
        d.extend_from_slice(&[12, 0xe8, 0x03]);
    }
    let (s, height) = node_session::check(&d);
    eprintln!("{s:?}, height {height}");
    assert_eq!(s.depth, 4, "{s:?}");
    assert!(height >= 10, "mined only {height} blocks");
    // Each mined block is announced to the four peers.
    assert!(s.sent >= 4 * 10, "{s:?}");
}
