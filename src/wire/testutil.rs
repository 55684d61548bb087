//! Proptest strategies for wire messages, shared by the unit tests of this module.

use super::message::*;
use crate::chain::block::Block;
use crate::chain::hash::Hash256;
use crate::chain::header::BlockHeader;
use crate::chain::tx::{AccountId, Coinbase, Transaction, Transfer};
use proptest::collection::vec;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

pub fn arb_hash() -> impl Strategy<Value = Hash256> {
    any::<[u8; 32]>().prop_map(Hash256)
}

/// Addresses as they come out of a decoder: IPv4 as V4, other IPv6 as V6 with zero
/// flow info and scope.
pub fn arb_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, port)| {
            let ip = Ipv6Addr::from(ip);
            match ip.to_ipv4_mapped() {
                Some(v4) => SocketAddr::new(IpAddr::V4(v4), port),
                None => SocketAddr::new(IpAddr::V6(ip), port),
            }
        }),
    ]
}

pub fn arb_header() -> impl Strategy<Value = BlockHeader> {
    (
        any::<u32>(),
        arb_hash(),
        arb_hash(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(version, prev, merkle_root, time, bits, nonce)| BlockHeader {
                version,
                prev,
                merkle_root,
                time,
                bits,
                nonce,
            },
        )
}

pub fn arb_tx() -> impl Strategy<Value = Transaction> {
    prop_oneof![
        (any::<u32>(), any::<[u8; 33]>(), any::<u64>(), any::<u64>()).prop_map(
            |(height, r, amount, extra_nonce)| Transaction::Coinbase(Coinbase {
                height,
                recipient: AccountId(r),
                amount,
                extra_nonce,
            })
        ),
        (
            any::<[u8; 33]>(),
            any::<[u8; 33]>(),
            any::<(u64, u64, u64)>(),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
        )
            .prop_map(|(s, r, (amount, fee, sequence), sig_a, sig_b)| {
                let mut signature = [0u8; 64];
                signature[..32].copy_from_slice(&sig_a);
                signature[32..].copy_from_slice(&sig_b);
                Transaction::Transfer(Transfer {
                    sender: AccountId(s),
                    recipient: AccountId(r),
                    amount,
                    fee,
                    sequence,
                    signature,
                })
            }),
    ]
}

pub fn arb_code() -> impl Strategy<Value = RejectCode> {
    (1u8..=8).prop_map(|c| RejectCode::from_u8(c).expect("1..=8 are codes"))
}

pub fn arb_items() -> impl Strategy<Value = Vec<InvItem>> {
    vec(
        (
            prop_oneof![Just(InvKind::Block), Just(InvKind::Tx)],
            arb_hash(),
        )
            .prop_map(|(kind, hash)| InvItem { kind, hash }),
        0..20,
    )
}

/// Texts of 0 to 255 bytes, mixing 1- to 4-byte characters.
pub fn arb_reason() -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..80).prop_map(|cs| {
        let s: String = cs.into_iter().collect();
        truncate_reason(&s).to_owned()
    })
}

/// Any message, with fields already in decoder form (within limits).
pub fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        any::<u16>().prop_map(|listen_port| Message::Register { listen_port }),
        vec(arb_addr(), 0..10).prop_map(|peers| Message::PeerList { peers }),
        arb_addr().prop_map(|addr| Message::PeerJoined { addr }),
        arb_addr().prop_map(|addr| Message::PeerLeft { addr }),
        Just(Message::Heartbeat),
        Just(Message::GetPeers),
        (arb_code(), arb_reason()).prop_map(|(code, message)| Message::Error { code, message }),
        (
            any::<u32>(),
            arb_hash(),
            any::<u64>(),
            any::<u32>(),
            any::<u16>()
        )
            .prop_map(|(version, network_id, nonce, best_height, listen_port)| {
                Message::Version(Version {
                    version,
                    network_id,
                    nonce,
                    best_height,
                    listen_port,
                })
            }),
        Just(Message::Verack),
        any::<u64>().prop_map(|nonce| Message::Ping { nonce }),
        any::<u64>().prop_map(|nonce| Message::Pong { nonce }),
        (vec(arb_hash(), 0..10), arb_hash())
            .prop_map(|(locator, stop)| Message::GetHeaders { locator, stop }),
        vec(arb_header(), 0..10).prop_map(|headers| Message::Headers { headers }),
        arb_items().prop_map(|items| Message::Inv { items }),
        arb_items().prop_map(|items| Message::GetData { items }),
        arb_items().prop_map(|items| Message::NotFound { items }),
        (arb_header(), vec(arb_tx(), 0..6))
            .prop_map(|(header, txs)| Message::Block(Block { header, txs }.into())),
        arb_tx().prop_map(|t| Message::Tx(Box::new(t))),
        Just(Message::Mempool),
        (any::<u16>(), arb_code(), arb_hash(), arb_reason()).prop_map(
            |(msg_type, code, hash, reason)| Message::Reject {
                msg_type,
                code,
                hash,
                reason,
            }
        ),
    ]
}
