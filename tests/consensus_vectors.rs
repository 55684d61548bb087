//! Reads every file in `spec/vectors/chain/` and checks each line against the code,
//! so the spec's vectors and the implementation cannot drift apart.
//! Regenerate with `cargo run --release --example gen_chain_vectors`.

use cheesechain::chain::hash::{hex, unhex};
use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer, verify_transfer};
use cheesechain::chain::mempool::transfer_txid;
use cheesechain::chain::pow::{check_pow, is_retarget_height, retarget, work_of};
use cheesechain::chain::state::Ledger;
use cheesechain::chain::tree::Chain;
use cheesechain::chain::u256::U256;
use cheesechain::chain::{AccountId, Block, BlockHeader, Hash256, NetworkParams, Transaction};

fn read(name: &str) -> Vec<(String, Vec<String>)> {
    let path = format!("{}/spec/vectors/chain/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap_or_else(|| panic!("bad line {l}"));
            (k.to_string(), v.split(' ').map(String::from).collect())
        })
        .collect()
}

fn be_u256(s: &str) -> U256 {
    let mut b: [u8; 32] = unhex(s).unwrap().try_into().unwrap();
    b.reverse();
    U256::from_le_bytes(&b)
}

fn bits(s: &str) -> u32 {
    u32::from_str_radix(s, 16).unwrap()
}

fn work_hex(s: &str) -> U256 {
    let padded = format!("{s:0>64}");
    be_u256(&padded)
}

#[test]
fn networks_genesis_hashes() {
    let lines = read("networks.txt");
    assert_eq!(lines.len(), 5);
    for (k, v) in lines {
        assert_eq!(k, "network");
        let p = match v[0].as_str() {
            "main" => NetworkParams::main(),
            "regtest" => NetworkParams::regtest(),
            "devnet-10s" => NetworkParams::devnet(10),
            "devnet-5s" => NetworkParams::devnet(5),
            "testnet" => NetworkParams::testnet(),
            other => panic!("unknown network {other}"),
        };
        assert_eq!(p.name, v[0]);
        let g = p.genesis_block();
        assert_eq!(g.hash().to_hex(), v[1]);
        assert_eq!(p.network_id().to_hex(), v[1]);
        assert_eq!(hex(&g.to_bytes()), v[2]);
        assert_eq!(Block::from_bytes(&unhex(&v[2]).unwrap()), Ok(g));
    }
}

#[test]
fn pow_vectors() {
    let mut n = 0;
    for (k, v) in read("pow.txt") {
        match k.as_str() {
            "compact" => {
                let b = bits(&v[0]);
                if v[1] == "invalid" {
                    assert_eq!(U256::from_compact(b), None, "{}", v[0]);
                    assert_eq!(work_of(b), U256::ZERO);
                } else {
                    assert_eq!(U256::from_compact(b), Some(be_u256(&v[1])), "{}", v[0]);
                    assert_eq!(work_of(b), work_hex(&v[2]), "{}", v[0]);
                }
            }
            "retarget" => {
                let got = retarget(
                    bits(&v[0]),
                    v[1].parse().unwrap(),
                    v[2].parse().unwrap(),
                    v[3].parse().unwrap(),
                    be_u256(&v[4]),
                );
                assert_eq!(got, bits(&v[5]), "{v:?}");
            }
            "to_compact" => assert_eq!(be_u256(&v[0]).to_compact(), bits(&v[1])),
            "pow_check" => {} // pow_check_vectors
            other => panic!("unknown key {other}"),
        }
        n += 1;
    }
    assert!(n >= 20);
}

/// The network a vector file names: a listed network, or (with a `params:` line) one
/// defined by the file.
fn network_named(name: &str) -> NetworkParams {
    match name {
        "main" => NetworkParams::main(),
        "regtest" => NetworkParams::regtest(),
        "testnet" => NetworkParams::testnet(),
        n => {
            let secs = n
                .strip_prefix("devnet-")
                .and_then(|s| s.strip_suffix('s'))
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("unknown network {n}"));
            let p = NetworkParams::devnet(secs);
            assert_eq!(p.name, n);
            p
        }
    }
}

/// A `params:` line: every field of spec/consensus.md §12's `encode(params)`.
fn params_from(v: &[String]) -> NetworkParams {
    assert_eq!(v.len(), 11, "params line {v:?}");
    NetworkParams {
        name: v[0].clone(),
        magic: unhex(&v[1]).unwrap().try_into().unwrap(),
        pow_limit_bits: bits(&v[2]),
        genesis_bits: bits(&v[3]),
        genesis_time: v[4].parse().unwrap(),
        target_spacing_secs: v[5].parse().unwrap(),
        retarget_interval: v[6].parse().unwrap(),
        retarget_clamp: v[7].parse().unwrap(),
        mtp_window: v[8].parse().unwrap(),
        max_future_drift_secs: v[9].parse().unwrap(),
        block_reward: v[10].parse().unwrap(),
    }
}

/// A chain vector file replayed: every line checked against the code.
struct Replay {
    chain: Chain,
    now: u64,
    /// `case:` lines, for [`check_cases`].
    cases: Vec<Vec<String>>,
    transfers: usize,
    /// Retarget heights at which the required bits differ from the parent's.
    bits_changes: usize,
}

/// Replays a chain vector file (valid_chain.txt and the files in its format), checking
/// every line.
fn replay(name: &str) -> Replay {
    let mut params: Option<NetworkParams> = None;
    let mut chain: Option<Chain> = None;
    let mut now = 0;
    let mut accounts: Vec<(AccountId, u64, u64)> = Vec::new();
    let (mut transfers, mut bits_changes) = (0, 0);
    let mut tip_seen = false;
    let mut cases = Vec::new();
    let mut secrets = std::collections::HashMap::new();
    for (k, v) in read(name) {
        if !matches!(k.as_str(), "params" | "network") {
            assert!(chain.is_some(), "{name}: `{k}` before `network`");
        }
        match k.as_str() {
            "params" => params = Some(params_from(&v)),
            "network" => {
                let p = params.take().unwrap_or_else(|| network_named(&v[0]));
                assert_eq!(v[0], p.name);
                assert_eq!(v[1], p.network_id().to_hex());
                assert_eq!(p.genesis_block().hash().to_hex(), v[1]);
                chain = Some(Chain::new(p));
            }
            "now" => now = v[0].parse().unwrap(),
            "key" => {
                let n: u8 = v[0].parse().unwrap();
                let secret: [u8; 32] = unhex(&v[1]).unwrap().try_into().unwrap();
                assert_eq!(secret, [n; 32]);
                let sk = secret_from_bytes(secret).unwrap();
                assert_eq!(account_of(&sk).to_string(), v[2]);
                secrets.insert(account_of(&sk), sk);
            }
            "transfer" => {
                let net = chain.as_ref().unwrap().network_id();
                let tx = Transaction::from_bytes(&unhex(&v[0]).unwrap()).unwrap();
                let t = *tx.as_transfer().expect("a transfer");
                assert_eq!(tx.txid().to_hex(), v[1]);
                assert_eq!(transfer_txid(&t).to_hex(), v[1]);
                assert_eq!(hex(&t.signing_digest(&net)), v[2]);
                assert_eq!(verify_transfer(&t, &net), Ok(()));
                // Deterministic signing (spec/consensus.md §9): signing the same
                // fields again with the sender's key gives the same bytes, low-S.
                let mut again = t;
                again.signature = [0; 64];
                sign_transfer(&mut again, &secrets[&t.sender], &net);
                assert_eq!(hex(&again.signature), hex(&t.signature), "{}", v[1]);
                assert!(t.signature[32..] <= HALF_ORDER[..], "high S in {}", v[1]);
                transfers += 1;
            }
            "retarget" => {
                // Precedes the block at a retarget height: the inputs of §5 and the
                // required bits, checked against the chain and against `retarget`.
                let c = chain.as_ref().unwrap();
                let p = c.params();
                let h: u32 = v[0].parse().unwrap();
                assert!(is_retarget_height(p, h), "{h} is no retarget height");
                assert_eq!(c.height() + 1, h);
                // The window starts N blocks before the parent, or at block 1.
                let first_height: u32 = v[1].parse().unwrap();
                let want_first = (h - 1).saturating_sub(p.retarget_interval).max(1);
                assert_eq!(first_height, want_first);
                let first = c.hash_at(first_height).unwrap();
                let parent = c.header(&c.tip()).unwrap();
                let (t_first, t_last): (u32, u32) = (v[2].parse().unwrap(), v[3].parse().unwrap());
                assert_eq!(c.header(&first).unwrap().time, t_first);
                assert_eq!(parent.time, t_last);
                assert_eq!(parent.bits, bits(&v[4]));
                assert_eq!(c.next_bits(&c.tip()), Some(bits(&v[5])));
                let limit = U256::from_compact(p.pow_limit_bits).unwrap();
                let expected = (h - 1 - first_height) as u64 * p.target_spacing_secs as u64;
                let span = t_last as i64 - t_first as i64;
                assert_eq!(
                    retarget(bits(&v[4]), span, expected, p.retarget_clamp, limit),
                    bits(&v[5])
                );
                if v[4] != v[5] {
                    bits_changes += 1;
                }
            }
            "block" => {
                let c = chain.as_mut().unwrap();
                let h: u32 = v[0].parse().unwrap();
                let b = Block::from_bytes(&unhex(&v[2]).unwrap()).unwrap();
                assert_eq!(b.hash().to_hex(), v[1]);
                if !is_retarget_height(c.params(), h) {
                    assert_eq!(Some(b.header.bits), c.header(&c.tip()).map(|p| p.bits));
                }
                let out = c.accept_block(b, now).unwrap();
                assert!(out.tip_changed);
                assert_eq!(c.height(), h);
            }
            "account" => accounts.push((
                AccountId::from_hex(&v[0]).unwrap(),
                v[1].parse().unwrap(),
                v[2].parse().unwrap(),
            )),
            "tip" => {
                let c = chain.as_ref().unwrap();
                assert_eq!(c.height(), v[0].parse::<u32>().unwrap());
                assert_eq!(c.tip(), Hash256::from_hex(&v[1]).unwrap());
                assert_eq!(c.ledger().total_supply(), v[2].parse::<u128>().unwrap());
                assert_eq!(
                    c.ledger().total_supply(),
                    c.height() as u128 * c.params().block_reward as u128
                );
                tip_seen = true;
            }
            "work" => {
                let c = chain.as_ref().unwrap();
                assert_eq!(c.tip_work(), work_hex(&v[0]));
                // The sum of the work of every block, genesis included (§4).
                let sum = (0..=c.height()).fold(U256::ZERO, |acc, h| {
                    acc.saturating_add(work_of(c.header(&c.hash_at(h).unwrap()).unwrap().bits))
                });
                assert_eq!(sum, work_hex(&v[0]));
            }
            "case" => cases.push(v),
            other => panic!("{name}: unknown key {other}"),
        }
    }
    let chain = chain.expect("a network line");
    assert!(tip_seen, "{name}: no tip line");
    let ledger: Vec<_> = chain
        .ledger()
        .accounts()
        .into_iter()
        .map(|(id, a)| (id, a.balance, a.next_sequence))
        .collect();
    assert_eq!(ledger, accounts, "{name}");
    // A fresh ledger replaying the blocks agrees.
    let mut fresh = Ledger::new();
    for h in 1..=chain.height() {
        let b = chain.block(&chain.hash_at(h).unwrap()).unwrap();
        fresh.apply_block(b, h, chain.params()).unwrap();
    }
    assert_eq!(&fresh, chain.ledger());
    Replay {
        chain,
        now,
        cases,
        transfers,
        bits_changes,
    }
}

/// Applies each `case:` (parent height, error, block hex, description) to a copy of
/// `chain`: it must fail with that error and change nothing. Returns the error names.
fn check_cases(
    chain: &Chain,
    now: u64,
    cases: &[Vec<String>],
) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    for v in cases {
        let parent_height: u32 = v[0].parse().unwrap();
        let want = &v[1];
        let b = Block::from_bytes(&unhex(&v[2]).unwrap()).unwrap();
        assert_eq!(Some(b.header.prev), chain.hash_at(parent_height), "{v:?}");
        let mut c = chain.clone();
        let e = c
            .accept_block(b, now)
            .expect_err(&format!("case {:?} must fail", v[3..].join(" ")));
        assert_eq!(e.name(), want, "case {:?}: {e}", v[3..].join(" "));
        assert_eq!(c.tip(), chain.tip());
        assert_eq!(c.ledger(), chain.ledger());
        names.insert(want.clone());
    }
    names
}

/// floor(n / 2) for the secp256k1 group order n, big-endian: the largest low S.
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// The signing primitive is RFC 6979 with low-S normalisation, as spec/consensus.md §9
/// says: the widely published secp256k1 vector (secret key 1, message
/// SHA-256("Satoshi Nakamoto"), e.g. in bitcoinjs-lib's ecdsa fixtures) comes out
/// byte for byte.
#[test]
fn signatures_are_rfc6979_and_low_s() {
    use sha2::{Digest, Sha256};
    let sk = secret_from_bytes({
        let mut b = [0; 32];
        b[31] = 1;
        b
    })
    .unwrap();
    let digest: [u8; 32] = Sha256::digest(b"Satoshi Nakamoto").into();
    let sig = secp256k1::ecdsa::sign(secp256k1::Message::from_digest(digest), &sk);
    assert_eq!(
        hex(&sig.serialize_compact()),
        "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8\
         2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"
    );
}

#[test]
fn valid_chain_vectors() {
    let r = replay("valid_chain.txt");
    assert_eq!(r.chain.params(), &NetworkParams::regtest());
    assert!(r.transfers >= 10 && r.chain.height() >= 20 && r.cases.is_empty());
}

#[test]
fn invalid_block_vectors() {
    let r = replay("valid_chain.txt");
    let cases: Vec<Vec<String>> = read("invalid_blocks.txt")
        .into_iter()
        .map(|(k, v)| {
            assert_eq!(k, "case");
            v
        })
        .collect();
    let names = check_cases(&r.chain, r.now, &cases);
    for required in [
        "bad_merkle_root",
        "mutated_merkle",
        "bad_pow",
        "bad_bits",
        "time_too_old",
        "bad_coinbase_amount",
        "bad_coinbase_height",
        "missing_coinbase",
        "extra_coinbase",
        "bad_signature",
        "high_s_signature",
        "malformed_signature",
        "bad_sender_key",
        "bad_sequence",
        "insufficient_balance",
        "amount_overflow",
    ] {
        assert!(names.contains(required), "no vector for {required}");
    }
}

/// overflow_chain.txt: a network of its own (block reward 2^64 - 1) on which balances
/// overflow.
#[test]
fn overflow_chain_vectors() {
    let r = replay("overflow_chain.txt");
    assert_eq!(r.chain.params().block_reward, u64::MAX);
    let names = check_cases(&r.chain, r.now, &r.cases);
    for required in ["coinbase_overflow", "recipient_overflow", "fee_overflow"] {
        assert!(names.contains(required), "no vector for {required}");
    }
}

/// retarget_chain.txt: a devnet chain across retargets that move the target both ways.
#[test]
fn retarget_chain_vectors() {
    let r = replay("retarget_chain.txt");
    let p = r.chain.params();
    assert!(p.retarget_interval > 0);
    assert!(
        r.bits_changes >= 2,
        "crosses only {} retargets",
        r.bits_changes
    );
    assert!(r.chain.height() > 2 * p.retarget_interval);
    let names = check_cases(&r.chain, r.now, &r.cases);
    assert!(names.contains("bad_bits"));
}

/// block_sequences.txt: each sequence from the valid chain, step by step.
#[test]
fn block_sequence_vectors() {
    let base = replay("valid_chain.txt").chain;
    let mut names = std::collections::BTreeSet::new();
    let mut cur: Option<(String, Chain)> = None;
    let mut steps = 0;
    for (k, v) in read("block_sequences.txt") {
        match k.as_str() {
            "sequence" => cur = Some((v.join(" "), base.clone())),
            "step" => {
                let (name, c) = cur.as_mut().expect("step before sequence");
                let now: u64 = v[0].parse().unwrap();
                let want = &v[1];
                let b = Block::from_bytes(&unhex(&v[2]).unwrap()).unwrap();
                let hash = b.hash();
                let (tip, ledger) = (c.tip(), c.ledger().clone());
                match c.accept_block(b, now) {
                    Ok(out) => {
                        assert_eq!(want, "ok", "{name}: accepted, {want} expected");
                        assert!(out.tip_changed && c.tip() == hash, "{name}");
                    }
                    Err(e) => {
                        assert_eq!(e.name(), want, "{name}: {e}");
                        assert_eq!(c.tip(), tip, "{name}");
                        assert_eq!(c.ledger(), &ledger, "{name}");
                        names.insert(want.clone());
                    }
                }
                steps += 1;
            }
            other => panic!("unknown key {other}"),
        }
    }
    assert!(steps >= 10);
    for required in [
        "unknown_parent",
        "known_invalid",
        "invalid_ancestor",
        "time_too_new",
    ] {
        assert!(names.contains(required), "no vector for {required}");
    }
}

/// Every error class of spec/consensus.md §10 has a vector, read by the tests above,
/// and is named in the spec. The class list is checked against the code's enums by an
/// exhaustive match, so a new error variant fails to compile here until it is listed.
#[test]
fn every_error_class_has_a_vector() {
    use cheesechain::chain::error::{BlockError, TxError};
    use cheesechain::chain::keys::SignatureError;
    fn block_class(e: &BlockError) -> &'static str {
        match e {
            BlockError::Oversized { .. }
            | BlockError::NoTransactions
            | BlockError::MissingCoinbase
            | BlockError::ExtraCoinbase
            | BlockError::BadMerkleRoot
            | BlockError::MutatedMerkle
            | BlockError::DuplicateTx
            | BlockError::UnknownParent
            | BlockError::InvalidAncestor
            | BlockError::KnownInvalid
            | BlockError::BadBits { .. }
            | BlockError::InvalidTarget
            | BlockError::BadProofOfWork
            | BlockError::TimeTooOld { .. }
            | BlockError::TimeTooNew { .. }
            | BlockError::BadCoinbaseHeight { .. }
            | BlockError::BadCoinbaseAmount { .. }
            | BlockError::FeeOverflow
            | BlockError::CoinbaseOverflow => e.name(),
            BlockError::Transfer { error, .. } => match error {
                TxError::ZeroAmount
                | TxError::AmountOverflow
                | TxError::BadRecipient
                | TxError::SelfTransfer
                | TxError::BadSequence { .. }
                | TxError::InsufficientBalance { .. }
                | TxError::RecipientOverflow
                | TxError::Signature(
                    SignatureError::BadPublicKey
                    | SignatureError::Malformed
                    | SignatureError::HighS
                    | SignatureError::Mismatch,
                ) => e.name(),
                // Mempool only, never a block error (spec/consensus.md §14).
                TxError::ConflictingSequence | TxError::AlreadyInPool | TxError::MempoolFull => {
                    unreachable!()
                }
            },
        }
    }
    let tx = |error| BlockError::Transfer { index: 1, error };
    let all = [
        BlockError::Oversized { size: 0 },
        BlockError::NoTransactions,
        BlockError::MissingCoinbase,
        BlockError::ExtraCoinbase,
        BlockError::BadMerkleRoot,
        BlockError::MutatedMerkle,
        BlockError::DuplicateTx,
        BlockError::UnknownParent,
        BlockError::InvalidAncestor,
        BlockError::KnownInvalid,
        BlockError::BadBits {
            expected: 0,
            got: 0,
        },
        BlockError::InvalidTarget,
        BlockError::BadProofOfWork,
        BlockError::TimeTooOld { time: 0, mtp: 0 },
        BlockError::TimeTooNew { time: 0, max: 0 },
        BlockError::BadCoinbaseHeight {
            expected: 0,
            got: 0,
        },
        BlockError::BadCoinbaseAmount {
            expected: 0,
            got: 0,
        },
        BlockError::FeeOverflow,
        BlockError::CoinbaseOverflow,
        tx(TxError::ZeroAmount),
        tx(TxError::AmountOverflow),
        tx(TxError::BadRecipient),
        tx(TxError::SelfTransfer),
        tx(TxError::BadSequence {
            expected: 0,
            got: 0,
        }),
        tx(TxError::InsufficientBalance {
            balance: 0,
            needed: 0,
        }),
        tx(TxError::RecipientOverflow),
        tx(TxError::Signature(SignatureError::BadPublicKey)),
        tx(TxError::Signature(SignatureError::Malformed)),
        tx(TxError::Signature(SignatureError::HighS)),
        tx(TxError::Signature(SignatureError::Mismatch)),
    ];
    // Where each class has its vectors: the expected results of every chain file.
    let mut have = std::collections::BTreeSet::new();
    for file in [
        "invalid_blocks.txt",
        "overflow_chain.txt",
        "retarget_chain.txt",
    ] {
        for (k, v) in read(file) {
            if k == "case" {
                have.insert(v[1].clone());
            }
        }
    }
    for (k, v) in read("block_sequences.txt") {
        if k == "step" {
            have.insert(v[1].clone());
        }
    }
    for (k, v) in read("pow.txt") {
        if k == "pow_check" {
            have.insert(v[3].clone());
        }
    }
    // A block over MAX_BLOCK_BYTES cannot be decoded (the decoder refuses it first),
    // so its vector is the wire one: a `block` frame failing with too-many.
    let wire = std::fs::read_to_string(format!(
        "{}/spec/vectors/messages.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    if wire.contains("name: block-oversized\n") {
        have.insert("oversized".into());
    }
    let doc = std::fs::read_to_string(format!("{}/spec/consensus.md", env!("CARGO_MANIFEST_DIR")))
        .unwrap();
    for e in &all {
        let name = block_class(e);
        assert!(have.contains(name), "no vector for {name}");
        assert!(
            doc.contains(&format!("`{name}`")),
            "consensus.md lacks {name}"
        );
    }
    assert_eq!(all.len(), 30);
}

/// pow.txt `pow_check:` lines: the stand-alone proof-of-work check of §4.
#[test]
fn pow_check_vectors() {
    let mut n = 0;
    for (k, v) in read("pow.txt") {
        if k != "pow_check" {
            continue;
        }
        let bytes: [u8; 80] = unhex(&v[0]).unwrap().try_into().unwrap();
        let h = BlockHeader::from_bytes(&bytes);
        assert_eq!(h.hash().to_hex(), v[1]);
        let got = match check_pow(&h, bits(&v[2])) {
            Ok(()) => "ok",
            Err(e) => e.name(),
        };
        assert_eq!(got, v[3], "{v:?}");
        n += 1;
    }
    assert!(n >= 5);
}

/// The genesis table of spec/consensus.md matches the code.
#[test]
fn spec_lists_the_genesis_hashes() {
    let path = format!("{}/spec/consensus.md", env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(path).unwrap();
    for p in [
        NetworkParams::main(),
        NetworkParams::devnet(10),
        NetworkParams::devnet(5),
        NetworkParams::testnet(),
        NetworkParams::regtest(),
    ] {
        let row = format!("| {:<12} | `{}` |", p.name, p.network_id());
        assert!(doc.contains(&row), "spec lacks {row}");
    }
    assert!(doc.contains("`MAX_BLOCK_BYTES = 1_000_000`"));
    assert_eq!(cheesechain::chain::block::MAX_BLOCK_BYTES, 1_000_000);
    assert!(doc.contains("\"cheesechain/transfer/v1\"      23 ASCII bytes"));
    assert_eq!(cheesechain::chain::tx::SIGNING_DOMAIN.len(), 23);
}
