//! The signature cache: transfer signatures this node verified itself, so a transfer
//! checked on entry to the mempool is not checked again when its block arrives.
//!
//! Modelled on Bitcoin Core's signature cache. An entry is the salted SHA-256 of
//! (signing digest, sender key, signature): the salt is random per cache, so nobody
//! outside the process can compute an entry, predict which entries share a bucket, or
//! make two inputs meet. Only successful verifications done here are stored, and only
//! on the mempool's path ([`SigCache::verify_and_store`]); a block's check
//! ([`SigCache::verify_for_block`]) consumes a hit (the transfer is now confirmed and
//! not checked again) and stores nothing, so the blocks a peer sends cannot fill the
//! cache. The size is fixed: at most [`SIG_CACHE_MAX_ENTRIES`] entries in two
//! generations; when the newer one is full the older one is dropped.
//!
//! The cache is plain owned state: the node passes it into the mempool and the chain,
//! which stay pure functions of their inputs. A hit and a miss give the same answer,
//! only at different cost.

use super::error::TxError;
use super::hash::{Hash256, HashSet256};
use super::keys::{parse_sender, verify_transfer_digest};
use super::tx::Transfer;
use super::validate::SenderKeys;
use sha2::{Digest, Sha256};

/// Most entries a node's signature cache holds (32-byte entries in hash sets: about
/// 2.5 MiB when full). Twice the default mempool size, so every pending transfer fits
/// with room for those already in blocks not yet received.
pub const SIG_CACHE_MAX_ENTRIES: usize = 40_000;

/// Successful signature verifications, keyed by a salted hash. See the module docs.
#[derive(Clone)]
pub struct SigCache {
    /// SHA-256 after absorbing the 64-byte salt block (salt, then zeros): every entry
    /// starts from this state.
    salted: Sha256,
    /// The newer generation, where entries are added.
    current: HashSet256,
    /// The older generation: still answered, dropped when `current` fills.
    previous: HashSet256,
    /// Entries per generation (half the total bound).
    generation_max: usize,
}

impl std::fmt::Debug for SigCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The salt stays out of logs.
        f.debug_struct("SigCache")
            .field("entries", &self.len())
            .field("max_entries", &self.max_entries())
            .finish()
    }
}

impl SigCache {
    /// An empty cache holding at most `max_entries` entries (at least 2), keyed with
    /// `salt`. The salt must be secret and random for the cache to resist an attacker;
    /// [`SigCache::with_random_salt`] draws one.
    pub fn new(max_entries: usize, salt: [u8; 32]) -> SigCache {
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&salt);
        let mut salted = Sha256::new();
        salted.update(block);
        SigCache {
            salted,
            current: HashSet256::default(),
            previous: HashSet256::default(),
            generation_max: (max_entries / 2).max(1),
        }
    }

    /// [`SigCache::new`] with a salt drawn from the operating system's randomness (the
    /// standard library's randomly keyed hasher, drawn afresh for each cache).
    pub fn with_random_salt(max_entries: usize) -> SigCache {
        use std::hash::BuildHasher;
        let mut salt = [0u8; 32];
        for (i, chunk) in salt.chunks_exact_mut(8).enumerate() {
            let rs = std::collections::hash_map::RandomState::new();
            chunk.copy_from_slice(&rs.hash_one(i as u64).to_le_bytes());
        }
        SigCache::new(max_entries, salt)
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    /// True if nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bound on [`SigCache::len`].
    pub fn max_entries(&self) -> usize {
        2 * self.generation_max
    }

    /// The entry of a transfer whose signing digest is `digest`.
    fn entry(&self, t: &Transfer, digest: &[u8; 32]) -> Hash256 {
        let mut h = self.salted.clone();
        h.update(digest);
        h.update(t.sender.0);
        h.update(t.signature);
        Hash256(h.finalize().into())
    }

    fn contains(&self, e: &Hash256) -> bool {
        self.current.contains(e) || self.previous.contains(e)
    }

    fn insert(&mut self, e: Hash256) {
        if self.contains(&e) {
            return;
        }
        if self.current.len() >= self.generation_max {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(e);
    }

    fn remove(&mut self, e: &Hash256) -> bool {
        self.current.remove(e) || self.previous.remove(e)
    }

    /// Checks `t`'s signature for the network `network_id` as
    /// [`check_transfer_signature`](super::validate::check_transfer_signature) does,
    /// answering from the cache when this very signature verified here before, and
    /// remembering it when it verifies now. For the mempool.
    ///
    /// # Errors
    /// [`TxError::Signature`], exactly as without the cache.
    pub fn verify_and_store(&mut self, t: &Transfer, network_id: &Hash256) -> Result<(), TxError> {
        let digest = t.signing_digest(network_id);
        let e = self.entry(t, &digest);
        if self.contains(&e) {
            return Ok(());
        }
        let pk = parse_sender(&t.sender).map_err(TxError::Signature)?;
        verify_transfer_digest(t, &pk, &digest).map_err(TxError::Signature)?;
        self.insert(e);
        Ok(())
    }

    /// Checks `t`'s signature for a block being connected, as
    /// [`check_transfer_signature_cached`](super::validate::check_transfer_signature_cached)
    /// does (sender keys parsed through `keys`). A cached signature is accepted without
    /// verifying and its entry dropped (it is confirmed now); a verification done here
    /// is not stored.
    ///
    /// # Errors
    /// [`TxError::Signature`], exactly as without the cache.
    pub fn verify_for_block(
        &mut self,
        t: &Transfer,
        network_id: &Hash256,
        keys: &mut SenderKeys,
    ) -> Result<(), TxError> {
        let digest = t.signing_digest(network_id);
        let e = self.entry(t, &digest);
        if self.remove(&e) {
            return Ok(());
        }
        let pk = keys.parse(&t.sender).map_err(TxError::Signature)?;
        verify_transfer_digest(t, &pk, &digest).map_err(TxError::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::keys::{account_of, secret_from_bytes, sign_transfer, SignatureError};
    use crate::chain::tx::AccountId;
    use crate::chain::validate::check_transfer_signature;

    fn signed(seq: u64, net: &Hash256) -> Transfer {
        let sk = secret_from_bytes([7; 32]).unwrap();
        let mut t = Transfer {
            sender: account_of(&sk),
            recipient: AccountId([2; 33]),
            amount: 5,
            fee: 1,
            sequence: seq,
            signature: [0; 64],
        };
        sign_transfer(&mut t, &sk, net);
        t
    }

    #[test]
    fn a_stored_signature_is_a_hit_once_for_a_block() {
        let net = Hash256([1; 32]);
        let mut c = SigCache::new(16, [9; 32]);
        let t = signed(0, &net);
        assert_eq!(c.verify_and_store(&t, &net), Ok(()));
        assert_eq!(c.len(), 1);
        // Again from the mempool: a hit, still one entry.
        assert_eq!(c.verify_and_store(&t, &net), Ok(()));
        assert_eq!(c.len(), 1);
        let mut keys = SenderKeys::new();
        assert_eq!(c.verify_for_block(&t, &net, &mut keys), Ok(()));
        assert!(c.is_empty(), "a block consumes the entry");
        // Without the entry the block path verifies, and stores nothing.
        assert_eq!(c.verify_for_block(&t, &net, &mut keys), Ok(()));
        assert!(c.is_empty());
    }

    #[test]
    fn an_altered_signature_or_field_is_never_a_hit() {
        let net = Hash256([1; 32]);
        let mut c = SigCache::new(16, [9; 32]);
        let t = signed(0, &net);
        c.verify_and_store(&t, &net).unwrap();
        let mut keys = SenderKeys::new();
        let mut bad_sig = t;
        bad_sig.signature[10] ^= 1;
        let mut bad_amount = t;
        bad_amount.amount += 1;
        let other_net = Hash256([2; 32]);
        for (case, n) in [(bad_sig, net), (bad_amount, net), (t, other_net)] {
            let plain = check_transfer_signature(&case, &n);
            assert!(plain.is_err());
            assert_eq!(c.verify_and_store(&case, &n), plain);
            assert_eq!(c.verify_for_block(&case, &n, &mut keys), plain);
        }
        assert_eq!(c.len(), 1, "failures are never stored");
        assert_eq!(
            c.verify_for_block(&bad_sig, &net, &mut keys),
            Err(TxError::Signature(SignatureError::Mismatch))
        );
    }

    #[test]
    fn the_bound_holds() {
        let net = Hash256([1; 32]);
        let mut c = SigCache::new(10, [9; 32]);
        for seq in 0..50 {
            c.verify_and_store(&signed(seq, &net), &net).unwrap();
            assert!(c.len() <= 10, "len {} after {seq}", c.len());
        }
        assert!(c.len() >= 5, "the newest generation is kept");
        // The newest is still a hit: a block consumes it.
        let newest = signed(49, &net);
        c.verify_for_block(&newest, &net, &mut SenderKeys::new())
            .unwrap();
        let before = c.len();
        c.verify_and_store(&newest, &net).unwrap();
        assert_eq!(c.len(), before + 1);
    }

    #[test]
    fn salts_give_different_entries() {
        let net = Hash256([1; 32]);
        let t = signed(0, &net);
        let d = t.signing_digest(&net);
        let a = SigCache::new(4, [1; 32]).entry(&t, &d);
        let b = SigCache::new(4, [2; 32]).entry(&t, &d);
        assert_ne!(a, b);
        assert_ne!(
            SigCache::with_random_salt(4).entry(&t, &d),
            SigCache::with_random_salt(4).entry(&t, &d)
        );
    }
}
