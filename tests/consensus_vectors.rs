//! Reads every file in `spec/vectors/chain/` and checks each line against the code,
//! so the spec's vectors and the implementation cannot drift apart.
//! Regenerate with `cargo run --release --example gen_chain_vectors`.

use cheesechain::chain::hash::{hex, unhex};
use cheesechain::chain::keys::{account_of, secret_from_bytes, sign_transfer, verify_transfer};
use cheesechain::chain::mempool::transfer_txid;
use cheesechain::chain::pow::{retarget, work_of};
use cheesechain::chain::state::Ledger;
use cheesechain::chain::tree::Chain;
use cheesechain::chain::u256::U256;
use cheesechain::chain::{AccountId, Block, Hash256, NetworkParams, Transaction};

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
            other => panic!("unknown key {other}"),
        }
        n += 1;
    }
    assert!(n >= 20);
}

/// Replays valid_chain.txt, checking every line; returns the chain and its clock.
fn valid_chain() -> (Chain, u64) {
    let p = NetworkParams::regtest();
    let mut chain = Chain::new(p.clone());
    let mut now = 0;
    let mut accounts: Vec<(AccountId, u64, u64)> = Vec::new();
    let mut transfers = 0;
    let mut tip_seen = false;
    let mut secrets = std::collections::HashMap::new();
    for (k, v) in read("valid_chain.txt") {
        match k.as_str() {
            "network" => {
                assert_eq!(v[0], p.name);
                assert_eq!(v[1], p.network_id().to_hex());
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
                let tx = Transaction::from_bytes(&unhex(&v[0]).unwrap()).unwrap();
                let t = *tx.as_transfer().expect("a transfer");
                assert_eq!(tx.txid().to_hex(), v[1]);
                assert_eq!(transfer_txid(&t).to_hex(), v[1]);
                assert_eq!(hex(&t.signing_digest(&p.network_id())), v[2]);
                assert_eq!(verify_transfer(&t, &p.network_id()), Ok(()));
                // Deterministic signing (spec/consensus.md §9): signing the same
                // fields again with the sender's key gives the same bytes, low-S.
                let mut again = t;
                again.signature = [0; 64];
                sign_transfer(&mut again, &secrets[&t.sender], &p.network_id());
                assert_eq!(hex(&again.signature), hex(&t.signature), "{}", v[1]);
                assert!(t.signature[32..] <= HALF_ORDER[..], "high S in {}", v[1]);
                transfers += 1;
            }
            "block" => {
                let h: u32 = v[0].parse().unwrap();
                let b = Block::from_bytes(&unhex(&v[2]).unwrap()).unwrap();
                assert_eq!(b.hash().to_hex(), v[1]);
                let out = chain.accept_block(b, now).unwrap();
                assert!(out.tip_changed);
                assert_eq!(chain.height(), h);
            }
            "account" => accounts.push((
                AccountId::from_hex(&v[0]).unwrap(),
                v[1].parse().unwrap(),
                v[2].parse().unwrap(),
            )),
            "tip" => {
                assert_eq!(chain.height(), v[0].parse::<u32>().unwrap());
                assert_eq!(chain.tip(), Hash256::from_hex(&v[1]).unwrap());
                assert_eq!(chain.ledger().total_supply(), v[2].parse::<u128>().unwrap());
                tip_seen = true;
            }
            other => panic!("unknown key {other}"),
        }
    }
    assert!(tip_seen && transfers >= 10 && chain.height() >= 20);
    let ledger: Vec<_> = chain
        .ledger()
        .accounts()
        .into_iter()
        .map(|(id, a)| (id, a.balance, a.next_sequence))
        .collect();
    assert_eq!(ledger, accounts);
    // A fresh ledger replaying the blocks agrees.
    let mut replay = Ledger::new();
    for h in 1..=chain.height() {
        let b = chain.block(&chain.hash_at(h).unwrap()).unwrap();
        replay.apply_block(b, h, &p).unwrap();
    }
    assert_eq!(&replay, chain.ledger());
    (chain, now)
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
    valid_chain();
}

#[test]
fn invalid_block_vectors() {
    let (chain, now) = valid_chain();
    let mut names = std::collections::BTreeSet::new();
    for (k, v) in read("invalid_blocks.txt") {
        assert_eq!(k, "case");
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
        "bad_sequence",
        "insufficient_balance",
        "amount_overflow",
    ] {
        assert!(names.contains(required), "no vector for {required}");
    }
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
