//! Fuzz inputs pinned as regular tests. The checks are the fuzz targets' own
//! (`fuzz/checks/`, included by both), so a crash found by the fuzzer becomes a test
//! that runs with `cargo test`: add its hex to the matching list.

use cheesechain::chain::hash::unhex;

#[path = "../fuzz/checks/block_decode.rs"]
mod block_decode;
#[path = "../fuzz/checks/chunked_stream.rs"]
mod chunked_stream;
#[path = "../fuzz/checks/frame_decoder.rs"]
mod frame_decoder;
#[path = "../fuzz/checks/message_roundtrip.rs"]
mod message_roundtrip;

fn bytes(h: &str) -> Vec<u8> {
    unhex(h).expect("valid hex")
}

#[test]
fn frame_decoder_regressions() {
    for h in [
        "",
        "01",
        // Header of an unknown type declaring the largest allowed payload, no payload yet.
        "01c4ee5eff0100ff7f40460f0000000000",
        // Tracker limit: length 4097 is refused from the header alone.
        "00c4ee5eff01000200011000005df6e0e2",
        // Two verack frames back to back, then a truncated header.
        "01c4ee5eff01001100000000005df6e0e2c4ee5eff01001100000000005df6e0e2c4ee",
    ] {
        frame_decoder::check(&bytes(h));
    }
}

#[test]
fn message_roundtrip_regressions() {
    for h in [
        "0000".to_owned(),
        "0002ffff".to_owned(),
        // reject with a reason whose length byte runs past the payload
        format!("001c1a0002{}05616263", "00".repeat(32)),
        // error with a 2-byte reason that is not UTF-8
        "00070102c328".to_owned(),
        // block with a transaction count larger than the bytes can hold
        format!("0019{}ffffffff", "00".repeat(80)),
        // headers count 2001
        "0015d107".to_owned(),
        // get-tree, depth 20
        "003114000000".to_owned(),
        // tree entry whose miner index points past an empty miner list
        format!(
            "00320500000001000000000001 00{}0500000007000000010000",
            "11".repeat(64)
        )
        .replace(' ', ""),
        // tree with one miner and an entry of unknown miner
        format!(
            "0032050000000100000001 00{}0100{}05000000070000000{}",
            "02".repeat(33),
            "22".repeat(64),
            "4ffff"
        )
        .replace(' ', ""),
    ] {
        message_roundtrip::check(&bytes(&h));
    }
}

#[test]
fn block_decode_regressions() {
    let mut lying = vec![0u8];
    lying.extend_from_slice(&[0; 80]);
    lying.extend_from_slice(&u32::MAX.to_le_bytes());
    block_decode::check(&lying);
    for h in ["", "00", "01", "0100", "0109"] {
        block_decode::check(&bytes(h));
    }
}

#[test]
fn chunked_stream_regressions() {
    for h in [
        "",
        // no cuts, no corruption, frames of assorted types and lengths
        "0000000100080102030405060708",
        // three cut positions, one corrupted byte, frames after it
        "03050019009900030011000e02aabb",
    ] {
        chunked_stream::check(&bytes(h));
    }
}
