//! Unit tests of the payload encodings: round trips, limits, canonical decoding.

use super::*;
use crate::wire::testutil::arb_message;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV6};

fn round_trip(m: &Message) -> Vec<u8> {
    let p = m.payload();
    let back = Message::decode_payload(m.msg_type(), &p)
        .expect("decodes")
        .expect("known type");
    assert_eq!(&back, m);
    p
}

#[test]
fn fixed_layouts_have_documented_lengths() {
    let v = Version {
        version: 1,
        network_id: Hash256([7; 32]),
        nonce: 9,
        best_height: 3,
        listen_port: 8333,
    };
    assert_eq!(round_trip(&Message::Version(v)).len(), VERSION_LEN);
    assert_eq!(round_trip(&Message::Ping { nonce: 5 }), 5u64.to_le_bytes());
    assert_eq!(
        round_trip(&Message::Register {
            listen_port: 0x1234
        }),
        [0x34, 0x12]
    );
    for empty in [
        Message::Heartbeat,
        Message::GetPeers,
        Message::Verack,
        Message::Mempool,
    ] {
        assert!(round_trip(&empty).is_empty());
    }
    let item = InvItem {
        kind: InvKind::Tx,
        hash: Hash256([1; 32]),
    };
    assert_eq!(
        round_trip(&Message::Inv { items: vec![item] }).len(),
        2 + INV_ITEM_LEN
    );
}

#[test]
fn addresses_use_ipv4_mapped_ipv6_and_little_endian_port() {
    let a = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)), 0x2001);
    let mut out = Vec::new();
    encode_addr(&a, &mut out);
    assert_eq!(
        out,
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7, 0x01, 0x20]
    );
    assert_eq!(decode_addr(&mut Reader::new(&out)), Ok(a));
    // An IPv4-mapped V6 socket address comes back as V4, and encodes identically.
    let mapped = SocketAddr::V6(SocketAddrV6::new(
        Ipv4Addr::new(10, 0, 0, 7).to_ipv6_mapped(),
        0x2001,
        0,
        0,
    ));
    let mut out2 = Vec::new();
    encode_addr(&mapped, &mut out2);
    assert_eq!(out, out2);
    // A real IPv6 address stays V6.
    let v6: SocketAddr = "[2001:db8::1]:9000".parse().unwrap();
    let mut out3 = Vec::new();
    encode_addr(&v6, &mut out3);
    assert_eq!(decode_addr(&mut Reader::new(&out3)), Ok(v6));
    assert_eq!(
        decode_addr(&mut Reader::new(&out3[..17])),
        Err(DecodeError::Truncated {
            what: "address port"
        })
    );
}

#[test]
fn counts_are_checked_before_allocation() {
    let mut p = Vec::new();
    put_u16(&mut p, (MAX_HEADERS + 1) as u16);
    assert_eq!(
        Message::decode_payload(MSG_HEADERS, &p),
        Err(DecodeError::TooMany {
            what: "headers",
            count: MAX_HEADERS as u64 + 1,
            max: MAX_HEADERS as u64
        })
    );
    // A count within the limit that the bytes cannot hold.
    let mut p = Vec::new();
    put_u16(&mut p, 3);
    p.extend_from_slice(&[0; 2 * ADDR_LEN]);
    assert_eq!(
        Message::decode_payload(MSG_PEER_LIST, &p),
        Err(DecodeError::Truncated { what: "peer list" })
    );
    let mut p = Vec::new();
    put_u16(&mut p, u16::MAX);
    for t in [
        MSG_PEER_LIST,
        MSG_GET_HEADERS,
        MSG_INV,
        MSG_GET_DATA,
        MSG_NOT_FOUND,
    ] {
        assert!(matches!(
            Message::decode_payload(t, &p),
            Err(DecodeError::TooMany { .. })
        ));
    }
}

#[test]
fn strict_decoding_rejects_trailing_bytes_bad_tags_and_bad_utf8() {
    assert_eq!(
        Message::decode_payload(MSG_VERACK, &[0]),
        Err(DecodeError::TrailingBytes { extra: 1 })
    );
    assert_eq!(
        Message::decode_payload(MSG_PING, &[0; 9]),
        Err(DecodeError::TrailingBytes { extra: 1 })
    );
    let mut inv = vec![1, 0, 3];
    inv.extend_from_slice(&[0; 32]);
    assert_eq!(
        Message::decode_payload(MSG_INV, &inv),
        Err(DecodeError::InvalidTag {
            what: "inventory kind",
            tag: 3
        })
    );
    assert_eq!(
        Message::decode_payload(MSG_ERROR, &[9, 0]),
        Err(DecodeError::InvalidTag {
            what: "reject code",
            tag: 9
        })
    );
    assert_eq!(
        Message::decode_payload(MSG_ERROR, &[1, 2, 0xc3, 0x28]),
        Err(DecodeError::InvalidValue {
            what: "reason text is not utf-8"
        })
    );
    assert_eq!(
        Message::decode_payload(MSG_ERROR, &[1, 3, b'a']),
        Err(DecodeError::Truncated { what: "reason" })
    );
    assert_eq!(Message::decode_payload(0x7777, &[1, 2, 3]), Ok(None));
    assert_eq!(Message::decode_payload(0x0000, &[]), Ok(None));
}

#[test]
fn over_long_fields_are_cut_so_the_encoding_stays_valid() {
    // 254 ASCII bytes then a 2-byte char: the char does not fit and is dropped whole.
    let mut s = "x".repeat(254);
    s.push('é');
    s.push_str("tail");
    let m = Message::Reject {
        msg_type: MSG_TX,
        code: RejectCode::Policy,
        hash: Hash256::ZERO,
        reason: s,
    };
    let p = m.payload();
    let back = Message::decode_payload(MSG_REJECT, &p).unwrap().unwrap();
    let Message::Reject { reason, .. } = back else {
        panic!("type changed")
    };
    assert_eq!(reason, "x".repeat(254));
    let exact = "é".repeat(127) + "y"; // 255 bytes, kept whole
    assert_eq!(truncate_reason(&exact), exact);

    let many = Message::PeerList {
        peers: vec!["1.2.3.4:5".parse().unwrap(); MAX_PEER_LIST + 5],
    };
    let back = Message::decode_payload(MSG_PEER_LIST, &many.payload())
        .unwrap()
        .unwrap();
    assert_eq!(
        back,
        Message::PeerList {
            peers: vec!["1.2.3.4:5".parse().unwrap(); MAX_PEER_LIST]
        }
    );
}

#[test]
fn names_and_types_are_consistent() {
    for (i, (t, n)) in MESSAGE_TYPES.iter().enumerate() {
        assert_eq!(message_name(*t), Some(*n));
        if i > 0 {
            assert!(MESSAGE_TYPES[i - 1].0 < *t);
        }
    }
    assert_eq!(Message::Mempool.name(), "mempool");
    assert_eq!(Message::PeerList { peers: vec![] }.name(), "peer-list");
    assert_eq!(message_name(0x0008), None);
    for c in 1..=8u8 {
        assert_eq!(RejectCode::from_u8(c).unwrap().as_u8(), c);
    }
}

#[test]
fn payload_len_counts_truncated_reasons_and_lists() {
    let long = "é".repeat(MAX_REASON_LEN);
    let msgs = [
        Message::Error {
            code: RejectCode::Malformed,
            message: long.clone(),
        },
        Message::Reject {
            msg_type: MSG_BLOCK,
            code: RejectCode::Invalid,
            hash: Hash256::ZERO,
            reason: long,
        },
        Message::Headers {
            headers: vec![
                BlockHeader {
                    version: 1,
                    prev: Hash256::ZERO,
                    merkle_root: Hash256::ZERO,
                    time: 0,
                    bits: 0,
                    nonce: 0,
                };
                MAX_HEADERS + 3
            ],
        },
        Message::GetHeaders {
            locator: vec![Hash256::ZERO; MAX_LOCATOR + 3],
            stop: Hash256::ZERO,
        },
    ];
    for m in &msgs {
        assert_eq!(m.payload_len(), m.payload().len(), "{}", m.name());
    }
}

proptest! {
    #[test]
    fn payload_len_is_the_encoded_length(m in arb_message()) {
        prop_assert_eq!(m.payload_len(), m.payload().len());
    }

    #[test]
    fn every_message_round_trips(m in arb_message()) {
        let p = m.payload();
        let back = Message::decode_payload(m.msg_type(), &p).unwrap().unwrap();
        prop_assert_eq!(&back, &m);
    }

    /// Canonical encoding: whatever decodes re-encodes to the same bytes.
    #[test]
    fn decode_then_encode_is_identity(t in 0u16..0x20, bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(Some(m)) = Message::decode_payload(t, &bytes) {
            prop_assert_eq!(m.payload(), bytes);
        }
    }

    /// Same property on mutated valid payloads, which reach deeper than random bytes.
    #[test]
    fn decode_then_encode_is_identity_on_mutations(m in arb_message(), at in any::<usize>(), b in any::<u8>()) {
        let mut p = m.payload();
        if !p.is_empty() {
            let i = at % p.len();
            p[i] = b;
        }
        if let Ok(Some(m2)) = Message::decode_payload(m.msg_type(), &p) {
            prop_assert_eq!(m2.payload(), p);
        }
    }

    #[test]
    fn any_prefix_of_a_payload_fails_cleanly(m in arb_message(), cut in any::<usize>()) {
        let p = m.payload();
        if !p.is_empty() {
            let cut = cut % p.len();
            // Must not panic; a strict prefix can only decode if the type allows it,
            // which for these layouts it never does.
            prop_assert!(Message::decode_payload(m.msg_type(), &p[..cut]).is_err());
        }
    }
}
