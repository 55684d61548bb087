//! The account ledger: balances and sequence numbers, applied and undone block by block.

use super::block::Block;
use super::error::{BlockError, TxError};
use super::params::NetworkParams;
use super::sigcache::SigCache;
use super::tx::{AccountId, Transaction};
use super::validate::{
    check_transfer_signature_cached, check_transfer_stateless, SenderKeys, TxContext,
};
use std::collections::{BTreeMap, HashMap};

/// One account's state. An account that was never touched is `Account::default()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Spendable coins.
    pub balance: u64,
    /// Sequence its next transfer must carry (count of its transfers so far).
    pub next_sequence: u64,
}

/// What [`Ledger::undo_block`] needs to restore the state before a block: the previous
/// value of every account the block touched (`None`: it did not exist).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Undo {
    prev: Vec<(AccountId, Option<Account>)>,
}

/// All accounts at some block. Lookups are by hash; nothing iterates the map in an
/// order that could influence behaviour (see [`Ledger::accounts`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    accounts: HashMap<AccountId, Account>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// The account's state (default if never touched).
    pub fn account(&self, id: &AccountId) -> Account {
        self.accounts.get(id).copied().unwrap_or_default()
    }

    /// The account's balance.
    pub fn balance(&self, id: &AccountId) -> u64 {
        self.account(id).balance
    }

    /// The sequence the account's next transfer must carry.
    pub fn next_sequence(&self, id: &AccountId) -> u64 {
        self.account(id).next_sequence
    }

    /// Number of accounts stored.
    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    /// True if no account is stored.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Every stored account, sorted by id.
    pub fn accounts(&self) -> Vec<(AccountId, Account)> {
        let sorted: BTreeMap<_, _> = self.accounts.iter().map(|(k, v)| (*k, *v)).collect();
        sorted.into_iter().collect()
    }

    /// Sum of all balances (a `u128`, so it cannot overflow).
    pub fn total_supply(&self) -> u128 {
        self.accounts.values().map(|a| a.balance as u128).sum()
    }

    /// Credits the genesis coinbase without any check (its amount is 0 on every
    /// network, so in practice this changes nothing).
    pub fn apply_genesis(&mut self, genesis: &Block) {
        if let Some(Transaction::Coinbase(cb)) = genesis.txs.first() {
            if cb.amount > 0 {
                let a = self.accounts.entry(cb.recipient).or_default();
                a.balance = a.balance.saturating_add(cb.amount);
            }
        }
    }

    /// [`Ledger::apply_block_with`] verifying signatures, computing the network id from
    /// `params` (a genesis hash per call; callers applying many blocks should cache it).
    ///
    /// # Errors
    /// As [`Ledger::apply_block_with`].
    pub fn apply_block(
        &mut self,
        block: &Block,
        height: u32,
        params: &NetworkParams,
    ) -> Result<Undo, BlockError> {
        let ctx = TxContext {
            network_id: params.network_id(),
            verify_signatures: true,
        };
        self.apply_block_with(block, height, params, &ctx, None)
    }

    /// Applies a block that passed the stateless checks, atomically: on error the
    /// ledger is unchanged. Order of checks:
    ///
    /// 1. coinbase height equals `height`;
    /// 2. the sum of fees, then reward plus fees, fit in a `u64` ([`BlockError::FeeOverflow`]);
    /// 3. coinbase amount equals reward plus fees;
    /// 4. each transfer in block order, against the state left by the ones before it:
    ///    the stateless rules, sequence, balance, recipient overflow, signature;
    /// 5. the coinbase is credited last (a miner cannot spend it in the same block).
    ///
    /// With `sigs`, a signature found in that cache is not verified again (see
    /// [`SigCache::verify_for_block`]); the result is the same either way.
    ///
    /// # Errors
    /// The first failing rule; transfer failures are [`BlockError::Transfer`].
    pub fn apply_block_with(
        &mut self,
        block: &Block,
        height: u32,
        params: &NetworkParams,
        ctx: &TxContext,
        mut sigs: Option<&mut SigCache>,
    ) -> Result<Undo, BlockError> {
        let cb = match block.txs.first() {
            Some(Transaction::Coinbase(cb)) => cb,
            Some(_) => return Err(BlockError::MissingCoinbase),
            None => return Err(BlockError::NoTransactions),
        };
        if cb.height != height {
            return Err(BlockError::BadCoinbaseHeight {
                expected: height,
                got: cb.height,
            });
        }
        let mut fees: u64 = 0;
        for tx in &block.txs[1..] {
            if let Transaction::Transfer(t) = tx {
                fees = fees.checked_add(t.fee).ok_or(BlockError::FeeOverflow)?;
            }
        }
        let expected = params
            .block_reward
            .checked_add(fees)
            .ok_or(BlockError::FeeOverflow)?;
        if cb.amount != expected {
            return Err(BlockError::BadCoinbaseAmount {
                expected,
                got: cb.amount,
            });
        }
        let mut overlay: BTreeMap<AccountId, Account> = BTreeMap::new();
        let mut sender_keys = SenderKeys::new();
        for (index, tx) in block.txs.iter().enumerate().skip(1) {
            let t = match tx {
                Transaction::Transfer(t) => t,
                Transaction::Coinbase(_) => return Err(BlockError::ExtraCoinbase),
            };
            let fail = |error| BlockError::Transfer { index, error };
            let total = check_transfer_stateless(t).map_err(fail)?;
            let mut s = *overlay
                .entry(t.sender)
                .or_insert_with(|| self.account(&t.sender));
            if t.sequence != s.next_sequence {
                return Err(fail(TxError::BadSequence {
                    expected: s.next_sequence,
                    got: t.sequence,
                }));
            }
            if s.balance < total {
                return Err(fail(TxError::InsufficientBalance {
                    balance: s.balance,
                    needed: total,
                }));
            }
            let mut r = *overlay
                .entry(t.recipient)
                .or_insert_with(|| self.account(&t.recipient));
            r.balance = r
                .balance
                .checked_add(t.amount)
                .ok_or(fail(TxError::RecipientOverflow))?;
            if ctx.verify_signatures {
                match sigs.as_deref_mut() {
                    Some(c) => c.verify_for_block(t, &ctx.network_id, &mut sender_keys),
                    None => check_transfer_signature_cached(t, &ctx.network_id, &mut sender_keys),
                }
                .map_err(fail)?;
            }
            s.balance -= total;
            s.next_sequence += 1;
            overlay.insert(t.sender, s);
            overlay.insert(t.recipient, r);
        }
        if cb.amount > 0 {
            let m = overlay
                .entry(cb.recipient)
                .or_insert_with(|| self.account(&cb.recipient));
            m.balance = m
                .balance
                .checked_add(cb.amount)
                .ok_or(BlockError::CoinbaseOverflow)?;
        }
        let mut undo = Undo {
            prev: Vec::with_capacity(overlay.len()),
        };
        for (id, acc) in overlay {
            let prev = self.accounts.insert(id, acc);
            undo.prev.push((id, prev));
        }
        Ok(undo)
    }

    /// Restores the state from before the block that produced `undo`. Must be applied
    /// to the state right after that block (undo blocks in reverse order).
    pub fn undo_block(&mut self, undo: Undo) {
        for (id, prev) in undo.prev.into_iter().rev() {
            match prev {
                Some(a) => {
                    self.accounts.insert(id, a);
                }
                None => {
                    self.accounts.remove(&id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::header::BlockHeader;
    use crate::chain::keys::{account_of, secret_from_bytes, sign_transfer};
    use crate::chain::tx::{Coinbase, Transfer};
    use crate::chain::Hash256;

    fn block(height: u32, miner: AccountId, amount: u64, transfers: Vec<Transfer>) -> Block {
        let mut txs = vec![Transaction::Coinbase(Coinbase {
            height,
            recipient: miner,
            amount,
            extra_nonce: 0,
        })];
        txs.extend(transfers.into_iter().map(Transaction::Transfer));
        Block {
            header: BlockHeader {
                version: 1,
                prev: Hash256::ZERO,
                merkle_root: Hash256::ZERO,
                time: 0,
                bits: 0,
                nonce: 0,
            },
            txs,
        }
    }

    #[test]
    fn undo_restores_exactly_and_failures_change_nothing() {
        let p = NetworkParams::regtest();
        let net = p.network_id();
        let sk = secret_from_bytes([1; 32]).unwrap();
        let a = account_of(&sk);
        let b = AccountId([2; 33]);
        let mut l = Ledger::new();
        let u1 = l
            .apply_block(&block(1, a, p.block_reward, vec![]), 1, &p)
            .unwrap();
        let after1 = l.clone();
        let mut t = Transfer {
            sender: a,
            recipient: b,
            amount: 10,
            fee: 2,
            sequence: 0,
            signature: [0; 64],
        };
        sign_transfer(&mut t, &sk, &net);
        let miner = AccountId([3; 33]);
        let u2 = l
            .apply_block(&block(2, miner, p.block_reward + 2, vec![t]), 2, &p)
            .unwrap();
        assert_eq!(l.balance(&a), p.block_reward - 12);
        assert_eq!(l.balance(&b), 10);
        assert_eq!(l.next_sequence(&a), 1);
        assert_eq!(l.total_supply(), 2 * p.block_reward as u128);
        assert_eq!(l.len(), 3);
        // Replaying the same transfer fails and leaves everything as it was.
        let snapshot = l.clone();
        let e = l
            .apply_block(&block(3, miner, p.block_reward + 2, vec![t]), 3, &p)
            .unwrap_err();
        assert_eq!(e.name(), "bad_sequence");
        assert_eq!(l, snapshot);
        l.undo_block(u2);
        assert_eq!(l, after1);
        l.undo_block(u1);
        assert!(l.is_empty());
        assert_eq!(l, Ledger::new());
    }
}
