//! The conformance suite's own copy of the target's chain, and blocks and transfers
//! crafted on it: valid ones to relay, and one invalid variant per consensus rule.

use super::probe::Probe;
use crate::chain::keys::{account_of, secret_from_bytes, sign_transfer};
use crate::chain::merkle::merkle_root;
use crate::chain::pow::check_pow;
use crate::chain::tree::Chain;
use crate::chain::u256::U256;
use crate::chain::{AccountId, Block, Hash256, NetworkParams, Transaction, Transfer};
use crate::miner::template::block_template;
use crate::wire::{InvItem, InvKind, Message, MAX_HEADERS};
use secp256k1::SecretKey;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Most blocks the suite downloads to mirror a target's chain.
pub(super) const MAX_MIRROR_BLOCKS: u32 = 20_000;

/// Crafting needs blocks mined in moments: networks whose target needs more than
/// 2^this many hashes per block on average are skipped by the cases that mine.
const MAX_EXPECTED_BITS: u32 = 24;

/// Seconds since the Unix epoch.
pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The suite's mirror of the target's active chain, and the key it mines to.
pub(super) struct Mirror {
    pub(super) chain: Chain,
    pub(super) key: SecretKey,
    pub(super) account: AccountId,
    extra: u64,
}

/// Can blocks of this network be mined in moments? (Expected hashes per block are
/// about 2^(256 − bit length of the target).)
pub(super) fn minable(params: &NetworkParams) -> bool {
    U256::from_compact(params.pow_limit_bits)
        .is_some_and(|t| 256u32.saturating_sub(t.bits()) <= MAX_EXPECTED_BITS)
}

impl Mirror {
    /// Downloads the target's active chain over `p` (headers, then blocks) and
    /// validates every block.
    pub(super) fn sync(
        p: &mut Probe,
        params: &NetworkParams,
        timeout: Duration,
    ) -> Result<Mirror, String> {
        let key = secret_from_bytes([0x5c; 32]).ok_or("constant key is valid")?;
        let mut m = Mirror {
            chain: Chain::new(params.clone()),
            account: account_of(&key),
            key,
            extra: super::probe::random_u64(),
        };
        m.refresh(p, timeout)?;
        Ok(m)
    }

    /// Catches up with blocks the target adopted since the last sync (a mining target
    /// moves on): new headers from the mirror's locator, then their blocks.
    pub(super) fn refresh(&mut self, p: &mut Probe, timeout: Duration) -> Result<(), String> {
        let m = self;
        loop {
            let locator = m.chain.locator();
            p.send(&Message::GetHeaders {
                locator,
                stop: Hash256::ZERO,
            })?;
            let headers = p.wait_for(timeout, |msg| match msg {
                Message::Headers { headers } => Some(headers.clone()),
                _ => None,
            })?;
            let n = headers.len();
            for h in headers {
                m.chain
                    .accept_header(h, unix_now())
                    .map_err(|e| format!("the target served an invalid header: {e}"))?;
            }
            if m.chain.header_count() as u32 > MAX_MIRROR_BLOCKS {
                return Err(format!(
                    "the target's chain is longer than {MAX_MIRROR_BLOCKS} blocks"
                ));
            }
            if n < MAX_HEADERS {
                break;
            }
        }
        m.fetch_missing(p, timeout)
    }

    /// Fetches and validates every block of the best header chain not yet held.
    pub(super) fn fetch_missing(&mut self, p: &mut Probe, timeout: Duration) -> Result<(), String> {
        loop {
            let want = self.chain.missing_blocks(128);
            if want.is_empty() {
                return Ok(());
            }
            p.send(&Message::GetData {
                items: want
                    .iter()
                    .map(|&hash| InvItem {
                        kind: InvKind::Block,
                        hash,
                    })
                    .collect(),
            })?;
            for _ in 0..want.len() {
                let b = p.wait_for(timeout, |msg| match msg {
                    Message::Block(b) => Some(Ok(b.clone())),
                    Message::NotFound { items } => Some(Err(items.len())),
                    _ => None,
                })?;
                let b = b.map_err(|n| {
                    format!("the target answered not-found for {n} blocks of its own chain")
                })?;
                self.chain
                    .accept_block((*b).clone(), unix_now())
                    .map_err(|e| format!("the target served an invalid block: {e}"))?;
            }
        }
    }

    /// A valid, mined block on the mirror's tip with `transfers`.
    pub(super) fn next_block(&mut self, transfers: Vec<Transfer>) -> Block {
        self.extra = self.extra.wrapping_add(1);
        let mut b = block_template(&self.chain, self.account, transfers, unix_now(), self.extra);
        mine(&mut b, self.chain.params().pow_limit_bits);
        b
    }

    /// A valid, mined child of `parent` (a block at `parent_height` on a network
    /// without retargets between them), paying the suite's key, with `transfers`.
    pub(super) fn child_of(
        &mut self,
        parent: &Block,
        parent_height: u32,
        transfers: Vec<Transfer>,
    ) -> Block {
        self.extra = self.extra.wrapping_add(1);
        let bits = self
            .chain
            .next_bits(&parent.hash())
            .unwrap_or(parent.header.bits);
        let fees = transfers.iter().fold(0u64, |a, t| a.saturating_add(t.fee));
        let mut txs = vec![Transaction::Coinbase(crate::chain::Coinbase {
            height: parent_height + 1,
            recipient: self.account,
            amount: self.chain.params().block_reward.saturating_add(fees),
            extra_nonce: self.extra,
        })];
        txs.extend(transfers.into_iter().map(Transaction::Transfer));
        let mut b = Block {
            header: crate::chain::BlockHeader {
                version: 1,
                prev: parent.hash(),
                merkle_root: Hash256::ZERO,
                time: (unix_now() as u32).max(parent.header.time + 1),
                bits,
                nonce: 0,
            },
            txs,
        };
        fix_root(&mut b);
        mine(&mut b, self.chain.params().pow_limit_bits);
        b
    }

    /// Records a block the target accepted.
    pub(super) fn adopt(&mut self, b: &Block) -> Result<(), String> {
        self.chain
            .accept_block(b.clone(), unix_now())
            .map(|_| ())
            .map_err(|e| format!("the suite's own block is invalid: {e}"))
    }

    /// A signed transfer from the suite's key.
    pub(super) fn transfer(&self, to: AccountId, amount: u64, fee: u64, sequence: u64) -> Transfer {
        let mut t = Transfer {
            sender: self.account,
            recipient: to,
            amount,
            fee,
            sequence,
            signature: [0; 64],
        };
        sign_transfer(&mut t, &self.key, &self.chain.network_id());
        t
    }

    /// Another account (the recipient of the suite's transfers).
    pub(super) fn other_account() -> AccountId {
        let sk = secret_from_bytes([0x6d; 32]).expect("constant key is valid");
        account_of(&sk)
    }
}

/// Increments the nonce until the header meets its own target.
pub(super) fn mine(b: &mut Block, pow_limit_bits: u32) {
    while check_pow(&b.header, pow_limit_bits).is_err() {
        b.header.nonce = b.header.nonce.wrapping_add(1);
    }
}

/// Recomputes the merkle root from the transactions.
pub(super) fn fix_root(b: &mut Block) {
    let ids: Vec<Hash256> = b.txs.iter().map(|t| t.txid()).collect();
    b.header.merkle_root = merkle_root(&ids).0;
}

/// The coinbase of a block (its first transaction), mutable.
pub(super) fn coinbase_mut(b: &mut Block) -> Option<&mut crate::chain::Coinbase> {
    match b.txs.first_mut() {
        Some(Transaction::Coinbase(c)) => Some(c),
        _ => None,
    }
}

/// `n - s` for the 32-byte big-endian `s` half of a compact signature, where `n` is the
/// secp256k1 group order: turns a low-S signature into the equally valid high-S one.
pub(super) fn negate_s(sig: &mut [u8; 64]) {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = N[i] as i16 - sig[32 + i] as i16 - borrow;
        borrow = i16::from(d < 0);
        sig[32 + i] = d.rem_euclid(256) as u8;
    }
}
