//! Fuzz inputs pinned as regular tests. Each check mirrors the `do_test` of the fuzz
//! target of the same name in `fuzz/fuzz_targets/`, so a crash found by the fuzzer
//! becomes a test that runs with `cargo test`: add its hex to the matching list.

use cheesechain::chain::hash::unhex;
use cheesechain::chain::merkle::merkle_root;
use cheesechain::chain::{Block, Transaction};
use cheesechain::wire::*;

const MAGIC: [u8; 4] = [0xc4, 0xee, 0x5e, 0xff];

fn bytes(h: &str) -> Vec<u8> {
    unhex(h).expect("valid hex")
}

/// Mirror of `fuzz_targets/frame_decoder.rs`.
fn frame_decoder(data: &[u8]) {
    let Some((&mode, mut input)) = data.split_first() else {
        return;
    };
    let max = if mode & 1 == 0 {
        MAX_TRACKER_PAYLOAD_LEN
    } else {
        MAX_PAYLOAD_LEN
    };
    let mut d = FrameDecoder::new(MAGIC, max);
    loop {
        let before = input.len();
        match d.decode(&mut input) {
            Ok(Some(_)) => assert!(input.len() < before),
            Ok(None) => {
                assert!(input.is_empty());
                break;
            }
            Err(e) => {
                let mut rest = input;
                assert_eq!(d.decode(&mut rest), Err(e));
                assert_eq!(rest.len(), input.len());
                break;
            }
        }
        assert!(d.buffered() <= FRAME_HEADER_LEN + max);
        assert!(d.capacity() <= max.max(MAX_RETAINED_BUFFER));
    }
    assert!(d.capacity() <= (2 * d.buffered()).max(MAX_RETAINED_BUFFER));
}

/// Mirror of `fuzz_targets/message_roundtrip.rs`.
fn message_roundtrip(data: &[u8]) {
    let [a, b, payload @ ..] = data else {
        return;
    };
    let msg_type = if a & 0x80 == 0 {
        u16::from(*b & 0x1f)
    } else {
        u16::from_le_bytes([*b, *a & 0x7f])
    };
    match Message::decode_payload(msg_type, payload) {
        Ok(Some(m)) => {
            assert_eq!(m.msg_type(), msg_type);
            assert_eq!(m.payload(), payload);
        }
        Ok(None) => assert!(message_name(msg_type).is_none()),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Mirror of `fuzz_targets/block_decode.rs`.
fn block_decode(data: &[u8]) {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(b) = Block::from_bytes(bytes) {
            assert_eq!(b.to_bytes(), bytes);
            let ids: Vec<_> = b.txs.iter().map(Transaction::txid).collect();
            let (root, _) = merkle_root(&ids);
            if ids.len() == 1 {
                assert_eq!(root, ids[0]);
            }
        }
    } else if let Ok(t) = Transaction::from_bytes(bytes) {
        assert_eq!(t.to_bytes(), bytes);
    }
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
        frame_decoder(&bytes(h));
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
    ] {
        message_roundtrip(&bytes(&h));
    }
}

#[test]
fn block_decode_regressions() {
    let mut lying = vec![0u8];
    lying.extend_from_slice(&[0; 80]);
    lying.extend_from_slice(&u32::MAX.to_le_bytes());
    block_decode(&lying);
    for h in ["", "00", "01", "0100", "0109"] {
        block_decode(&bytes(h));
    }
}
