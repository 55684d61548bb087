//! Prints the wire test vectors (`spec/vectors/messages.txt`) to standard output.
//!
//! Deterministic: run `cargo run --release --example gen_wire_vectors >
//! spec/vectors/messages.txt` and the file must not change unless the format did.
//! `tests/wire_vectors.rs` checks the committed file against the decoder; this program
//! also checks every record before printing it, so it cannot emit a wrong expectation.

#[path = "../tests/support/wire.rs"]
mod wire_util;
use cheesechain::chain::hash::{hex, Hash256};
use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer};
use cheesechain::chain::params::{NetworkParams, COIN};
use cheesechain::chain::tx::{AccountId, Coinbase, Transaction, Transfer};
use cheesechain::wire::*;
use std::fmt::Write as _;
use std::net::SocketAddr;
use wire_util::error_name;

/// What decoding a record's frame must give.
enum Expect {
    Message,
    Unknown,
    Error(&'static str, Option<&'static str>),
}

struct Record {
    name: &'static str,
    note: &'static str,
    magic: [u8; 4],
    max_payload: usize,
    frame: Vec<u8>,
    expect: Expect,
}

fn raw_frame(magic: [u8; 4], version: u16, msg_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    encode_raw_frame(magic, version, msg_type, payload, &mut v);
    v
}

fn main() {
    let net = NetworkParams::regtest();
    let magic = net.magic;
    let genesis = net.genesis_block();
    let gh = genesis.hash();
    let sk = secret_from_bytes([0x11; 32]).expect("valid secret");
    let mut transfer = Transfer {
        sender: account_of(&sk),
        recipient: AccountId::from_hex(
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
        )
        .expect("valid hex"),
        amount: 3 * COIN,
        fee: 1000,
        sequence: 0,
        signature: [0; 64],
    };
    sign_transfer(&mut transfer, &sk, &net.network_id());
    let transfer_sender = transfer.sender;
    let transfer = Transaction::Transfer(transfer);
    let coinbase = Transaction::Coinbase(Coinbase {
        height: 1,
        recipient: account_of(&sk),
        amount: 50 * COIN,
        extra_nonce: 7,
    });
    let v4: SocketAddr = "127.0.0.1:8334".parse().expect("addr");
    let v6: SocketAddr = "[2001:db8::7]:8335".parse().expect("addr");
    let max_reason = "é".repeat(127) + "!"; // 255 bytes, multi-byte characters

    let valid: Vec<(&'static str, &'static str, Message)> = vec![
        ("register", "", Message::Register { listen_port: 8333 }),
        (
            "peer-list",
            "one IPv4 and one IPv6 address",
            Message::PeerList {
                peers: vec![v4, v6],
            },
        ),
        ("peer-list-empty", "", Message::PeerList { peers: vec![] }),
        (
            "peer-joined",
            "IPv4, sent as IPv4-mapped IPv6",
            Message::PeerJoined { addr: v4 },
        ),
        ("peer-left-ipv6", "", Message::PeerLeft { addr: v6 }),
        ("heartbeat", "", Message::Heartbeat),
        ("get-peers", "", Message::GetPeers),
        (
            "error",
            "",
            Message::Error {
                code: RejectCode::TooManyPeers,
                message: "tracker is full".into(),
            },
        ),
        (
            "version",
            "regtest network id",
            Message::Version(Version {
                version: PROTOCOL_VERSION as u32,
                network_id: net.network_id(),
                nonce: 0x0123_4567_89ab_cdef,
                best_height: 42,
                listen_port: 8333,
            }),
        ),
        ("verack", "", Message::Verack),
        (
            "ping",
            "",
            Message::Ping {
                nonce: 0xdead_beef_0000_0001,
            },
        ),
        (
            "pong",
            "",
            Message::Pong {
                nonce: 0xdead_beef_0000_0001,
            },
        ),
        (
            "get-headers",
            "locator of two hashes, no stop",
            Message::GetHeaders {
                locator: vec![Hash256::sha256d(b"tip"), gh],
                stop: Hash256::ZERO,
            },
        ),
        (
            "get-headers-empty-locator",
            "stop hash set",
            Message::GetHeaders {
                locator: vec![],
                stop: gh,
            },
        ),
        (
            "headers",
            "the regtest genesis header",
            Message::Headers {
                headers: vec![genesis.header],
            },
        ),
        ("headers-empty", "", Message::Headers { headers: vec![] }),
        (
            "inv",
            "one transaction",
            Message::Inv {
                items: vec![InvItem {
                    kind: InvKind::Tx,
                    hash: transfer.txid(),
                }],
            },
        ),
        ("inv-empty", "", Message::Inv { items: vec![] }),
        (
            "get-data",
            "a block and a transaction",
            Message::GetData {
                items: vec![
                    InvItem {
                        kind: InvKind::Block,
                        hash: gh,
                    },
                    InvItem {
                        kind: InvKind::Tx,
                        hash: transfer.txid(),
                    },
                ],
            },
        ),
        (
            "not-found",
            "",
            Message::NotFound {
                items: vec![InvItem {
                    kind: InvKind::Tx,
                    hash: coinbase.txid(),
                }],
            },
        ),
        (
            "block",
            "the regtest genesis block",
            Message::Block(genesis.clone().into()),
        ),
        ("tx-coinbase", "", Message::Tx(Box::new(coinbase))),
        (
            "tx-transfer",
            "signed by secret 0x11 x 32 for regtest",
            Message::Tx(Box::new(transfer)),
        ),
        ("mempool", "", Message::Mempool),
        (
            "reject",
            "",
            Message::Reject {
                msg_type: 0x001a,
                code: RejectCode::Invalid,
                hash: transfer.txid(),
                reason: "bad signature".into(),
            },
        ),
        (
            "reject-max-reason",
            "255-byte reason of 2-byte characters",
            Message::Reject {
                msg_type: 0x0019,
                code: RejectCode::Obsolete,
                hash: gh,
                reason: max_reason,
            },
        ),
        (
            "get-account",
            "the sender of tx-transfer",
            Message::GetAccount {
                account: transfer_sender,
            },
        ),
        (
            "account",
            "",
            Message::Account {
                account: transfer_sender,
                balance: 5_000_000_000,
                next_sequence: 3,
                height: 42,
            },
        ),
        ("get-info", "", Message::GetInfo),
        (
            "info",
            "a regtest node at height 2 mining about 1.5 MH/s",
            Message::Info(Box::new(NodeInfo {
                network: "regtest".into(),
                height: 2,
                tip: Hash256::sha256d(b"tip"),
                tip_time: 1_764_028_802,
                best_header_height: 3,
                best_header: Hash256::sha256d(b"best"),
                bits: 0x207f_ffff,
                hash_rate: 1_500_000,
                mining: true,
                peers_in: 1,
                peers_out: 2,
                mempool_txs: 1,
                mempool_bytes: 187,
            })),
        ),
        (
            "get-block-height",
            "",
            Message::GetBlock(BlockQuery::Height(7)),
        ),
        (
            "get-block-hash",
            "the regtest genesis hash",
            Message::GetBlock(BlockQuery::Hash(gh)),
        ),
        (
            "block-info",
            "the regtest genesis block, whole, on a chain of height 9",
            Message::BlockInfo(Box::new(BlockInfo {
                height: 0,
                confirmations: 10,
                status: ChainStatus::Active,
                data: BlockData::Full(genesis.clone().into()),
            })),
        ),
        (
            "block-info-header-only",
            "a header whose block data the node lacks",
            Message::BlockInfo(Box::new(BlockInfo {
                height: 0,
                confirmations: 0,
                status: ChainStatus::HeadersOnly,
                data: BlockData::Header(genesis.header),
            })),
        ),
        (
            "get-tx",
            "the txid of tx-transfer",
            Message::GetTx {
                txid: transfer.txid(),
            },
        ),
        (
            "tx-info-mempool",
            "",
            Message::TxInfo(Box::new(TxInfo {
                location: TxLocation::Mempool,
                tx: transfer,
            })),
        ),
        (
            "tx-info-block",
            "",
            Message::TxInfo(Box::new(TxInfo {
                location: TxLocation::Block {
                    hash: Hash256::sha256d(b"block"),
                    height: 1,
                    confirmations: 2,
                },
                tx: coinbase,
            })),
        ),
        ("get-tips", "", Message::GetTips),
        (
            "tips",
            "the active tip and a stale branch of one block",
            Message::Tips {
                total: 2,
                tips: vec![
                    TipEntry {
                        hash: Hash256::sha256d(b"tip"),
                        height: 5,
                        branch_len: 0,
                        status: ChainStatus::Active,
                    },
                    TipEntry {
                        hash: Hash256::sha256d(b"stale"),
                        height: 4,
                        branch_len: 1,
                        status: ChainStatus::ValidFork,
                    },
                ],
            },
        ),
        (
            "query-error",
            "a mine request refused on the peer port",
            Message::QueryError {
                request: MSG_MINE,
                code: QueryErrorCode::NotAllowed,
                message: "control request on the peer port".into(),
            },
        ),
        ("get-peer-info", "", Message::GetPeerInfo),
        (
            "peer-info",
            "one ready outbound peer with a measured ping",
            Message::PeerInfo {
                peers: vec![PeerEntry {
                    addr: v4,
                    listen_port: 8334,
                    inbound: false,
                    ready: true,
                    best_height: 42,
                    ping_ms: 12,
                    bytes_in: 4096,
                    bytes_out: 2048,
                    connected_since: 1_764_028_800_000,
                }],
            },
        ),
        ("peer-info-empty", "", Message::PeerInfo { peers: vec![] }),
        (
            "mine",
            "three blocks to the node's own account (all zeros)",
            Message::Mine {
                blocks: 3,
                account: AccountId([0; 33]),
            },
        ),
        (
            "mined",
            "",
            Message::Mined {
                height: 1,
                hashes: vec![Hash256::sha256d(b"block")],
            },
        ),
        ("connect-peer", "", Message::ConnectPeer { addr: v4 }),
        ("disconnect-peer", "", Message::DisconnectPeer { addr: v6 }),
        ("stop", "", Message::Stop),
        (
            "done",
            "",
            Message::Done {
                request: MSG_STOP,
                message: "stopping".into(),
            },
        ),
        (
            "get-tree",
            "twenty heights below the tip",
            Message::GetTree { depth: 20 },
        ),
        (
            "tree",
            "two blocks at height 5, one active; a header-only block has no miner",
            Message::Tree(Box::new(TreeInfo {
                tip_height: 5,
                total: 3,
                miners: vec![transfer_sender],
                blocks: vec![
                    TreeEntry {
                        hash: Hash256::sha256d(b"tip"),
                        parent: Hash256::sha256d(b"parent"),
                        height: 5,
                        arrival: 7,
                        status: ChainStatus::Active,
                        miner: 0,
                    },
                    TreeEntry {
                        hash: Hash256::sha256d(b"stale"),
                        parent: Hash256::sha256d(b"parent"),
                        height: 5,
                        arrival: 8,
                        status: ChainStatus::HeadersOnly,
                        miner: MINER_UNKNOWN,
                    },
                ],
            })),
        ),
        (
            "tree-empty",
            "",
            Message::Tree(Box::new(TreeInfo {
                tip_height: 0,
                total: 0,
                miners: vec![],
                blocks: vec![],
            })),
        ),
    ];

    let mut records: Vec<Record> = valid
        .into_iter()
        .map(|(name, note, m)| Record {
            name,
            note,
            magic,
            max_payload: MAX_PAYLOAD_LEN,
            frame: encode_frame(magic, &m),
            expect: Expect::Message,
        })
        .collect();

    records.push(Record {
        name: "unknown-type",
        note: "type 0x0100 is not defined: skipped, stream continues",
        magic,
        max_payload: MAX_PAYLOAD_LEN,
        frame: raw_frame(magic, PROTOCOL_VERSION, 0x0100, b"from the future"),
        expect: Expect::Unknown,
    });

    let ping = Message::Ping { nonce: 1 }.payload();
    let mut oversized = raw_frame(magic, PROTOCOL_VERSION, MSG_BLOCK, &[]);
    oversized[8..12].copy_from_slice(&(MAX_PAYLOAD_LEN as u32 + 1).to_le_bytes());
    let mut tracker_oversized = raw_frame(magic, PROTOCOL_VERSION, MSG_PEER_LIST, &[]);
    tracker_oversized[8..12].copy_from_slice(&(MAX_TRACKER_PAYLOAD_LEN as u32 + 1).to_le_bytes());
    let mut bad_checksum = raw_frame(magic, PROTOCOL_VERSION, MSG_PING, &ping);
    bad_checksum[12] ^= 0xff;
    let mut too_many_headers = Vec::new();
    too_many_headers.extend_from_slice(&(MAX_HEADERS as u16 + 1).to_le_bytes());
    let mut short_inv = vec![2, 0, 1];
    short_inv.extend_from_slice(&gh.0);
    let mut bad_kind = vec![1, 0, 3];
    bad_kind.extend_from_slice(&gh.0);
    let version_payload = Message::Version(Version {
        version: 1,
        network_id: net.network_id(),
        nonce: 1,
        best_height: 0,
        listen_port: 1,
    })
    .payload();
    let mut ping9 = ping.clone();
    ping9.push(0);

    let bad = |name, note, max_payload, frame, error, decode_error| Record {
        name,
        note,
        magic,
        max_payload,
        frame,
        expect: Expect::Error(error, decode_error),
    };
    records.extend([
        bad(
            "bad-magic",
            "a main-network verack read by a regtest node",
            MAX_PAYLOAD_LEN,
            encode_frame(NetworkParams::main().magic, &Message::Verack),
            "bad-magic",
            None,
        ),
        bad(
            "unsupported-version",
            "protocol version 2",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, 2, MSG_VERACK, &[]),
            "unsupported-version",
            None,
        ),
        bad(
            "oversized",
            "header only: length MAX_PAYLOAD_LEN + 1 is refused before any payload",
            MAX_PAYLOAD_LEN,
            oversized,
            "oversized",
            None,
        ),
        bad(
            "oversized-tracker",
            "header only: length MAX_TRACKER_PAYLOAD_LEN + 1 at the tracker",
            MAX_TRACKER_PAYLOAD_LEN,
            tracker_oversized,
            "oversized",
            None,
        ),
        bad(
            "bad-checksum",
            "ping with the first checksum byte flipped",
            MAX_PAYLOAD_LEN,
            bad_checksum,
            "bad-checksum",
            None,
        ),
        bad(
            "trailing-bytes",
            "ping with a 9-byte payload",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_PING, &ping9),
            "malformed",
            Some("trailing-bytes"),
        ),
        bad(
            "truncated-version",
            "version payload of 49 bytes",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_VERSION, &version_payload[..49]),
            "malformed",
            Some("truncated"),
        ),
        bad(
            "headers-over-limit",
            "headers count MAX_HEADERS + 1 (2001), refused before reading headers",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_HEADERS, &too_many_headers),
            "malformed",
            Some("too-many"),
        ),
        bad(
            "inv-count-exceeds-bytes",
            "inv count 2 but only one item follows",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_INV, &short_inv),
            "malformed",
            Some("truncated"),
        ),
        bad(
            "inv-bad-kind",
            "inventory kind 3",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_INV, &bad_kind),
            "malformed",
            Some("invalid-tag"),
        ),
        bad(
            "block-oversized",
            "block payload of MAX_BLOCK_BYTES + 1 zero bytes: within MAX_PAYLOAD_LEN, but \
             refused by its length before any of it is decoded",
            MAX_PAYLOAD_LEN,
            raw_frame(
                magic,
                PROTOCOL_VERSION,
                MSG_BLOCK,
                &vec![0; cheesechain::chain::block::MAX_BLOCK_BYTES + 1],
            ),
            "malformed",
            Some("too-many"),
        ),
        bad(
            "error-bad-code",
            "reject code 9",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_ERROR, &[9, 0]),
            "malformed",
            Some("invalid-tag"),
        ),
        bad(
            "error-bad-utf8",
            "reason bytes c3 28 are not UTF-8",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_ERROR, &[1, 2, 0xc3, 0x28]),
            "malformed",
            Some("invalid-value"),
        ),
        bad(
            "get-block-bad-kind",
            "get-block kind 3",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_GET_BLOCK, &[3, 0, 0, 0, 0]),
            "malformed",
            Some("invalid-tag"),
        ),
        bad(
            "tips-over-limit",
            "tips count MAX_TIPS + 1 (65), refused before reading entries",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_TIPS, &[1, 0, 0, 0, 65, 0]),
            "malformed",
            Some("too-many"),
        ),
        bad(
            "peer-info-count-exceeds-bytes",
            "peer-info count 1 with no entry",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_PEER_INFO, &[1, 0]),
            "malformed",
            Some("truncated"),
        ),
        bad(
            "query-error-bad-code",
            "query error code 6",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_QUERY_ERROR, &[0x2b, 0, 6, 0]),
            "malformed",
            Some("invalid-tag"),
        ),
        bad(
            "tree-miner-index-past-list",
            "one tree entry whose miner index 0 points past an empty miner list",
            MAX_PAYLOAD_LEN,
            raw_frame(magic, PROTOCOL_VERSION, MSG_TREE, &{
                let mut p = vec![5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0];
                p.extend_from_slice(&[0x11; 64]);
                p.extend_from_slice(&[5, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0]);
                p
            }),
            "malformed",
            Some("invalid-value"),
        ),
        bad(
            "tree-over-limit",
            "tree block count MAX_TREE_BLOCKS + 1 (2049), refused before reading entries",
            MAX_PAYLOAD_LEN,
            raw_frame(
                magic,
                PROTOCOL_VERSION,
                MSG_TREE,
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x08],
            ),
            "malformed",
            Some("too-many"),
        ),
        bad(
            "mined-over-limit",
            "mined count MAX_MINE_BLOCKS + 1 (1001)",
            MAX_PAYLOAD_LEN,
            raw_frame(
                magic,
                PROTOCOL_VERSION,
                MSG_MINED,
                &[1, 0, 0, 0, 0xe9, 0x03],
            ),
            "malformed",
            Some("too-many"),
        ),
    ]);

    let mut out = String::new();
    out.push_str(HEADER);
    for r in &records {
        // Self-check: the decoder must agree with the expectation being written.
        let (frames, err, left) = decode_all(r.magic, r.max_payload, &r.frame);
        let msg_type = u16::from_le_bytes([r.frame[6], r.frame[7]]);
        writeln!(out, "name: {}", r.name).unwrap();
        if !r.note.is_empty() {
            writeln!(out, "note: {}", r.note).unwrap();
        }
        writeln!(out, "magic: {}", hex(&r.magic)).unwrap();
        if r.max_payload != MAX_PAYLOAD_LEN {
            writeln!(out, "max-payload: {}", r.max_payload).unwrap();
        }
        writeln!(out, "type: {msg_type:#06x}").unwrap();
        match &r.expect {
            Expect::Message => {
                let [Decoded::Message(m)] = frames.as_slice() else {
                    panic!("{}: does not decode to one message", r.name)
                };
                assert!(err.is_none() && left == 0, "{}", r.name);
                assert_eq!(encode_frame(r.magic, m), r.frame, "{}", r.name);
                writeln!(out, "expect: message").unwrap();
                writeln!(out, "message: {}", m.name()).unwrap();
            }
            Expect::Unknown => {
                assert!(matches!(frames.as_slice(), [Decoded::Unknown { .. }]));
                assert!(err.is_none() && left == 0, "{}", r.name);
                writeln!(out, "expect: unknown").unwrap();
            }
            Expect::Error(e, d) => {
                let got = err.as_ref().map(error_name);
                assert_eq!(got, Some((*e, *d)), "{}", r.name);
                writeln!(out, "expect: error").unwrap();
                writeln!(out, "error: {e}").unwrap();
                if let Some(d) = d {
                    writeln!(out, "decode-error: {d}").unwrap();
                }
            }
        }
        // A frame too long to write out whose payload is all zeros is written as its
        // header and a count of the zero bytes that follow.
        let zeros = r.frame.len() - FRAME_HEADER_LEN;
        if zeros > 4096 && r.frame[FRAME_HEADER_LEN..].iter().all(|&b| b == 0) {
            writeln!(out, "frame: {}", hex(&r.frame[..FRAME_HEADER_LEN])).unwrap();
            writeln!(out, "zero-fill: {zeros}").unwrap();
        } else {
            writeln!(out, "frame: {}", hex(&r.frame)).unwrap();
        }
        out.push('\n');
    }
    print!("{out}");
}

const HEADER: &str = "\
# cheesechain wire test vectors. Generated by `cargo run --release --example
# gen_wire_vectors > spec/vectors/messages.txt`; checked by tests/wire_vectors.rs.
# Format: spec/wire.md, section \"Test vectors\".
#
# One record per blank-line-separated block of `key: value` lines; `#` starts a comment.
#   name:        record name (unique)
#   note:        optional free text
#   magic:       the receiver's network magic, 8 hex digits
#   max-payload: optional receiver payload limit in bytes (default MAX_PAYLOAD_LEN = 1001024)
#   type:        message type in the frame header
#   expect:      message | unknown | error
#   message:     (expect: message) the message's log name
#   error:       (expect: error) bad-magic | unsupported-version | oversized | bad-checksum | malformed
#   decode-error:(error: malformed) truncated | trailing-bytes | too-many | invalid-tag | invalid-value
#   frame:       the whole frame (16-byte header and payload) in hex
#   zero-fill:   optional decimal count of zero bytes that follow `frame` to complete the
#                frame (for payloads too long to write out; the checksum covers them)
# For `expect: message` the frame must decode to one message that re-encodes to the same bytes.
# Byte order: `frame` is the bytes exactly as sent on the wire, first byte first, so the
#   integers inside it are little-endian and hashes inside it are in natural (wire) order,
#   not the reversed display order; `magic` is the 4 magic bytes in frame order; `type`
#   is the message type as a number (on the wire: u16 little-endian); `max-payload`
#   and `zero-fill` are decimal.

";
