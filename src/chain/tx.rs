//! Transactions: the coinbase that pays the miner, and signed transfers between accounts.
//!
//! Both have a fixed layout behind a one-byte tag (see `spec/consensus.md`). Signing
//! and verification live in [`super::keys`]; the rules that need chain state live in
//! [`super::state`].

use super::hash::{hex, Hash256};
use crate::codec::{put_u32, put_u64, DecodeError, Reader};
use std::fmt;

/// Length of a compressed secp256k1 public key, the account identifier.
pub const ACCOUNT_LEN: usize = 33;
/// Length of a compact ECDSA signature (r || s, big-endian each).
pub const SIGNATURE_LEN: usize = 64;
/// Tag byte of a coinbase transaction.
pub const TAG_COINBASE: u8 = 0x00;
/// Tag byte of a transfer transaction.
pub const TAG_TRANSFER: u8 = 0x01;
/// Encoded length of a coinbase, tag included.
pub const COINBASE_LEN: usize = 1 + 4 + ACCOUNT_LEN + 8 + 8;
/// Encoded length of a transfer, tag included.
pub const TRANSFER_LEN: usize = 1 + ACCOUNT_LEN + ACCOUNT_LEN + 8 + 8 + 8 + SIGNATURE_LEN;
/// The smallest encoded transaction; bounds how many a byte count can hold.
pub const MIN_TX_LEN: usize = COINBASE_LEN;
/// Domain-separation prefix of the transfer signing digest.
pub const SIGNING_DOMAIN: &[u8] = b"cheesechain/transfer/v1";

/// An account: a compressed secp256k1 public key (prefix 0x02 or 0x03, then X).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub [u8; ACCOUNT_LEN]);

impl AccountId {
    /// True if the prefix byte is 0x02 or 0x03, the only ones a compressed key can have.
    /// This is the cheap syntactic check; whether X is on the curve is only checked for
    /// senders, by signature verification.
    pub fn has_valid_prefix(&self) -> bool {
        self.0[0] == 0x02 || self.0[0] == 0x03
    }

    /// Parses 66 hex characters.
    pub fn from_hex(s: &str) -> Option<AccountId> {
        Some(AccountId(super::hash::unhex(s)?.try_into().ok()?))
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex(&self.0))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex(&self.0))
    }
}

/// The first transaction of every block: creates the block reward plus fees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Coinbase {
    /// Height of the block that holds it; makes every coinbase id unique.
    pub height: u32,
    /// Who receives the coins.
    pub recipient: AccountId,
    /// Reward plus the block's fees, exactly.
    pub amount: u64,
    /// Free field the miner changes when the header nonce range is exhausted.
    pub extra_nonce: u64,
}

/// "sender sends amount coins to recipient", signed by the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transfer {
    /// The paying account; its key signs.
    pub sender: AccountId,
    /// The receiving account.
    pub recipient: AccountId,
    /// Coins moved to the recipient, at least 1.
    pub amount: u64,
    /// Coins paid to the miner that includes the transfer.
    pub fee: u64,
    /// The sender's sequence number: equal to the count of the sender's earlier
    /// transfers in the chain (replay protection).
    pub sequence: u64,
    /// Compact ECDSA signature, low-S, over [`Transfer::signing_digest`].
    pub signature: [u8; SIGNATURE_LEN],
}

/// A transaction of either kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transaction {
    /// Pays the miner.
    Coinbase(Coinbase),
    /// Moves coins between accounts.
    Transfer(Transfer),
}

impl Transfer {
    /// The 32-byte digest the sender signs: SHA-256d of the domain string, the chain id
    /// (the genesis block hash) and every other field in wire order.
    pub fn signing_digest(&self, chain_id: &Hash256) -> [u8; 32] {
        let mut v = Vec::with_capacity(SIGNING_DOMAIN.len() + 32 + 2 * ACCOUNT_LEN + 24);
        v.extend_from_slice(SIGNING_DOMAIN);
        v.extend_from_slice(&chain_id.0);
        v.extend_from_slice(&self.sender.0);
        v.extend_from_slice(&self.recipient.0);
        put_u64(&mut v, self.amount);
        put_u64(&mut v, self.fee);
        put_u64(&mut v, self.sequence);
        Hash256::sha256d(&v).0
    }
}

impl Transaction {
    /// Appends the encoding: tag byte, then the fixed fields.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Transaction::Coinbase(c) => {
                out.push(TAG_COINBASE);
                put_u32(out, c.height);
                out.extend_from_slice(&c.recipient.0);
                put_u64(out, c.amount);
                put_u64(out, c.extra_nonce);
            }
            Transaction::Transfer(t) => {
                out.push(TAG_TRANSFER);
                out.extend_from_slice(&t.sender.0);
                out.extend_from_slice(&t.recipient.0);
                put_u64(out, t.amount);
                put_u64(out, t.fee);
                put_u64(out, t.sequence);
                out.extend_from_slice(&t.signature);
            }
        }
    }

    /// The encoding as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        v
    }

    /// Length of the encoding in bytes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Transaction::Coinbase(_) => COINBASE_LEN,
            Transaction::Transfer(_) => TRANSFER_LEN,
        }
    }

    /// Reads one transaction.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for an unknown tag, [`DecodeError::Truncated`] for short
    /// input.
    pub fn decode(r: &mut Reader<'_>) -> Result<Transaction, DecodeError> {
        match r.u8("transaction tag")? {
            TAG_COINBASE => Ok(Transaction::Coinbase(Coinbase {
                height: r.u32("coinbase height")?,
                recipient: AccountId(r.array("coinbase recipient")?),
                amount: r.u64("coinbase amount")?,
                extra_nonce: r.u64("coinbase extra nonce")?,
            })),
            TAG_TRANSFER => Ok(Transaction::Transfer(Transfer {
                sender: AccountId(r.array("transfer sender")?),
                recipient: AccountId(r.array("transfer recipient")?),
                amount: r.u64("transfer amount")?,
                fee: r.u64("transfer fee")?,
                sequence: r.u64("transfer sequence")?,
                signature: r.array("transfer signature")?,
            })),
            tag => Err(DecodeError::InvalidTag {
                what: "transaction",
                tag,
            }),
        }
    }

    /// Decodes exactly one transaction from `bytes`.
    ///
    /// # Errors
    /// Any [`DecodeError`], including trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Transaction, DecodeError> {
        let mut r = Reader::new(bytes);
        let tx = Transaction::decode(&mut r)?;
        r.finish()?;
        Ok(tx)
    }

    /// The transaction id: double SHA-256 of the full encoding (tag included).
    pub fn txid(&self) -> Hash256 {
        Hash256::sha256d(&self.to_bytes())
    }

    /// The transfer inside, if this is one.
    pub fn as_transfer(&self) -> Option<&Transfer> {
        match self {
            Transaction::Transfer(t) => Some(t),
            Transaction::Coinbase(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_round_trip_with_declared_lengths() {
        let cb = Transaction::Coinbase(Coinbase {
            height: 7,
            recipient: AccountId([2; 33]),
            amount: 50,
            extra_nonce: 9,
        });
        let tr = Transaction::Transfer(Transfer {
            sender: AccountId([3; 33]),
            recipient: AccountId([2; 33]),
            amount: 1,
            fee: 2,
            sequence: 3,
            signature: [4; 64],
        });
        for tx in [cb, tr] {
            let b = tx.to_bytes();
            assert_eq!(b.len(), tx.encoded_len());
            assert_eq!(Transaction::from_bytes(&b), Ok(tx));
            assert!(Transaction::from_bytes(&b[..b.len() - 1]).is_err());
        }
        assert_eq!(
            Transaction::from_bytes(&[9]),
            Err(DecodeError::InvalidTag {
                what: "transaction",
                tag: 9
            })
        );
    }
}
