//! Checks the committed wire test vectors (`spec/vectors/messages.txt`) against the
//! decoder and encoder, so the spec's bytes and the code cannot drift apart.

mod support;
use cheesechain::chain::hash::{hex, unhex};
use cheesechain::wire::*;
use std::collections::{BTreeMap, BTreeSet};
use support::wire::error_name;

const VECTORS: &str = include_str!("../spec/vectors/messages.txt");

type Record = BTreeMap<String, String>;

fn parse(text: &str) -> Vec<Record> {
    let mut records = Vec::new();
    let mut cur = Record::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            if !cur.is_empty() {
                records.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let (k, v) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("line {}: not `key: value`: {line}", n + 1));
        assert!(
            cur.insert(k.to_owned(), v.to_owned()).is_none(),
            "line {}: duplicate key {k}",
            n + 1
        );
    }
    if !cur.is_empty() {
        records.push(cur);
    }
    records
}

struct Vector {
    name: String,
    magic: [u8; 4],
    max_payload: usize,
    msg_type: u16,
    frame: Vec<u8>,
    rec: Record,
}

fn vectors() -> Vec<Vector> {
    parse(VECTORS)
        .into_iter()
        .map(|rec| {
            let name = rec["name"].clone();
            let magic: [u8; 4] = unhex(&rec["magic"])
                .and_then(|m| m.try_into().ok())
                .unwrap_or_else(|| panic!("{name}: bad magic field"));
            let max_payload = rec
                .get("max-payload")
                .map_or(MAX_PAYLOAD_LEN, |s| s.parse().expect("decimal max-payload"));
            let msg_type = u16::from_str_radix(
                rec["type"]
                    .strip_prefix("0x")
                    .unwrap_or_else(|| panic!("{name}: type needs 0x")),
                16,
            )
            .expect("hex type");
            let mut frame = unhex(&rec["frame"]).unwrap_or_else(|| panic!("{name}: bad frame hex"));
            if let Some(n) = rec.get("zero-fill") {
                let n: usize = n.parse().expect("decimal zero-fill");
                frame.resize(frame.len() + n, 0);
            }
            Vector {
                name,
                magic,
                max_payload,
                msg_type,
                frame,
                rec,
            }
        })
        .collect()
}

#[test]
fn vector_file_is_well_formed_and_covers_every_message_type() {
    let vs = vectors();
    let names: BTreeSet<&str> = vs.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names.len(), vs.len(), "record names are unique");
    let covered: BTreeSet<u16> = vs
        .iter()
        .filter(|v| v.rec["expect"] == "message")
        .map(|v| v.msg_type)
        .collect();
    for (t, n) in MESSAGE_TYPES {
        assert!(covered.contains(&t), "no valid vector for {n} ({t:#06x})");
    }
    let errors: BTreeSet<&str> = vs
        .iter()
        .filter_map(|v| v.rec.get("error").map(String::as_str))
        .collect();
    for e in [
        "bad-magic",
        "unsupported-version",
        "oversized",
        "bad-checksum",
        "malformed",
    ] {
        assert!(errors.contains(e), "no invalid vector for {e}");
    }
    // A block payload over MAX_BLOCK_BYTES but within MAX_PAYLOAD_LEN is `malformed`
    // (`too-many`), from its length alone (spec/wire.md §3.3).
    let big = vs
        .iter()
        .find(|v| v.name == "block-oversized")
        .expect("a vector for an oversized block payload");
    let len = big.frame.len() - FRAME_HEADER_LEN;
    assert_eq!(big.msg_type, MSG_BLOCK);
    assert!(len > cheesechain::chain::block::MAX_BLOCK_BYTES && len <= MAX_PAYLOAD_LEN);
    assert_eq!(
        (
            big.rec["error"].as_str(),
            big.rec.get("decode-error").map(String::as_str)
        ),
        ("malformed", Some("too-many"))
    );
    for v in &vs {
        if v.frame.len() >= 8 {
            assert_eq!(
                u16::from_le_bytes([v.frame[6], v.frame[7]]),
                v.msg_type,
                "{}: type field disagrees with the frame",
                v.name
            );
        }
    }
}

#[test]
fn valid_vectors_decode_and_re_encode_to_the_same_bytes() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v.rec["expect"] == "message") {
        let (frames, err, left) = decode_all(v.magic, v.max_payload, &v.frame);
        assert_eq!(err, None, "{}", v.name);
        assert_eq!(left, 0, "{}", v.name);
        let [Decoded::Message(m)] = frames.as_slice() else {
            panic!("{}: expected one message, got {frames:?}", v.name)
        };
        assert_eq!(m.msg_type(), v.msg_type, "{}", v.name);
        assert_eq!(m.name(), v.rec["message"], "{}", v.name);
        assert_eq!(
            hex(&encode_frame(v.magic, m)),
            hex(&v.frame),
            "{}: re-encoding differs",
            v.name
        );
        // The payload alone round-trips through the message codec too.
        let payload = &v.frame[FRAME_HEADER_LEN..];
        assert_eq!(
            Message::decode_payload(v.msg_type, payload),
            Ok(Some(m.clone()))
        );
        assert_eq!(&m.payload()[..], payload);
        n += 1;
    }
    assert!(n >= MESSAGE_TYPES.len());
}

#[test]
fn unknown_type_vectors_are_skipped() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v.rec["expect"] == "unknown") {
        let (frames, err, left) = decode_all(v.magic, v.max_payload, &v.frame);
        assert_eq!(err, None, "{}", v.name);
        assert_eq!(left, 0);
        assert_eq!(
            frames,
            vec![Decoded::Unknown {
                msg_type: v.msg_type,
                len: (v.frame.len() - FRAME_HEADER_LEN) as u32
            }],
            "{}",
            v.name
        );
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn invalid_vectors_fail_with_the_documented_error() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v.rec["expect"] == "error") {
        let (frames, err, _) = decode_all(v.magic, v.max_payload, &v.frame);
        assert!(frames.is_empty(), "{}", v.name);
        let err = err.unwrap_or_else(|| panic!("{}: decoded without error", v.name));
        let want = (
            v.rec["error"].as_str(),
            v.rec.get("decode-error").map(String::as_str),
        );
        assert_eq!(error_name(&err), want, "{}: got {err}", v.name);
        if let FrameError::Malformed { msg_type, .. } = err {
            assert_eq!(msg_type, v.msg_type);
        }
        // Header errors are found from the header alone.
        if matches!(want.0, "bad-magic" | "unsupported-version" | "oversized") {
            let mut d = FrameDecoder::new(v.magic, v.max_payload);
            let mut input = &v.frame[..FRAME_HEADER_LEN];
            assert!(d.decode(&mut input).is_err(), "{}", v.name);
        }
        n += 1;
    }
    assert!(n >= 7);
}

#[test]
fn all_vectors_streamed_back_to_back_byte_by_byte() {
    // Every valid and unknown frame concatenated: one decoder, one byte at a time.
    let vs = vectors();
    let good: Vec<&Vector> = vs.iter().filter(|v| v.rec["expect"] != "error").collect();
    let magic = good[0].magic;
    let stream: Vec<u8> = good.iter().flat_map(|v| v.frame.clone()).collect();
    let mut d = FrameDecoder::new(magic, MAX_PAYLOAD_LEN);
    let mut got = Vec::new();
    for b in &stream {
        let mut input = std::slice::from_ref(b);
        if let Some(f) = d.decode(&mut input).expect("valid stream") {
            got.push(f);
        }
        assert!(input.is_empty());
    }
    assert_eq!(got.len(), good.len());
    assert_eq!(got, decode_all(magic, MAX_PAYLOAD_LEN, &stream).0);
}

/// spec/wire.md §1's magic table lists every network with the magic the code uses.
#[test]
fn spec_lists_the_magic_of_every_network() {
    use cheesechain::chain::NetworkParams;
    let doc =
        std::fs::read_to_string(format!("{}/spec/wire.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for p in [
        NetworkParams::main(),
        NetworkParams::testnet(),
        NetworkParams::regtest(),
    ] {
        let row = format!("| `{}` | `{}` |", p.name, hex(&p.magic));
        assert!(doc.contains(&row), "wire.md lacks {row}");
    }
    let devnet = NetworkParams::devnet(1).magic;
    for n in [2, 5, 10, 60] {
        assert_eq!(NetworkParams::devnet(n).magic, devnet);
    }
    let row = format!(
        "| `devnet-{{N}}s` (every block time N) | `{}` |",
        hex(&devnet)
    );
    assert!(doc.contains(&row), "wire.md lacks {row}");
}
