//! Typed reasons a block, header or transfer is refused.
//!
//! Every variant has a stable snake_case [`BlockError::name`] / [`TxError::name`] used by
//! the test vectors in `spec/vectors/chain/`, and a lowercase `Display` message.

use super::keys::SignatureError;
use std::fmt;

/// Why a transfer is invalid (in a block or for the mempool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxError {
    /// The amount is zero.
    ZeroAmount,
    /// `amount + fee` does not fit in a `u64`.
    AmountOverflow,
    /// The recipient's first byte is not 0x02 or 0x03.
    BadRecipient,
    /// Sender and recipient are the same account.
    SelfTransfer,
    /// The sequence is not the sender's next one.
    BadSequence {
        /// The sequence the sender must use.
        expected: u64,
        /// The sequence in the transfer.
        got: u64,
    },
    /// The sender cannot pay `amount + fee`.
    InsufficientBalance {
        /// What the sender has (after earlier transfers of the same block or pool).
        balance: u64,
        /// What it needs.
        needed: u64,
    },
    /// Crediting the recipient would overflow its balance.
    RecipientOverflow,
    /// The signature does not verify.
    Signature(SignatureError),
    /// Mempool only: a transfer with the same sender and sequence is already pending.
    ConflictingSequence,
    /// Mempool only: the same transfer is already pending.
    AlreadyInPool,
    /// Mempool only: the pool holds its maximum number of transfers.
    MempoolFull,
}

impl TxError {
    /// Stable identifier used in test vectors.
    pub fn name(&self) -> &'static str {
        match self {
            TxError::ZeroAmount => "zero_amount",
            TxError::AmountOverflow => "amount_overflow",
            TxError::BadRecipient => "bad_recipient",
            TxError::SelfTransfer => "self_transfer",
            TxError::BadSequence { .. } => "bad_sequence",
            TxError::InsufficientBalance { .. } => "insufficient_balance",
            TxError::RecipientOverflow => "recipient_overflow",
            TxError::Signature(SignatureError::BadPublicKey) => "bad_sender_key",
            TxError::Signature(SignatureError::Malformed) => "malformed_signature",
            TxError::Signature(SignatureError::HighS) => "high_s_signature",
            TxError::Signature(SignatureError::Mismatch) => "bad_signature",
            TxError::ConflictingSequence => "conflicting_sequence",
            TxError::AlreadyInPool => "already_in_pool",
            TxError::MempoolFull => "mempool_full",
        }
    }
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxError::ZeroAmount => f.write_str("transfer amount is zero"),
            TxError::AmountOverflow => f.write_str("amount plus fee overflows"),
            TxError::BadRecipient => f.write_str("recipient is not a compressed public key"),
            TxError::SelfTransfer => f.write_str("sender and recipient are the same"),
            TxError::BadSequence { expected, got } => {
                write!(f, "sequence {got} where {expected} was expected")
            }
            TxError::InsufficientBalance { balance, needed } => {
                write!(f, "balance {balance} cannot pay {needed}")
            }
            TxError::RecipientOverflow => f.write_str("recipient balance would overflow"),
            TxError::Signature(e) => write!(f, "{e}"),
            TxError::ConflictingSequence => {
                f.write_str("a transfer with this sender and sequence is already pending")
            }
            TxError::AlreadyInPool => f.write_str("transfer already in the pool"),
            TxError::MempoolFull => f.write_str("mempool is full"),
        }
    }
}

impl std::error::Error for TxError {}

/// Why a header or block is refused.
///
/// Only [`BlockError::TimeTooNew`] (retry later), [`BlockError::UnknownParent`] (fetch
/// the parent) and [`BlockError::BadMerkleRoot`] / [`BlockError::MutatedMerkle`] (the
/// body does not match the header; the header may still be fine) say nothing about the
/// header itself; see [`BlockError::is_permanent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockError {
    /// The encoded block exceeds `MAX_BLOCK_BYTES`.
    Oversized {
        /// Encoded size.
        size: usize,
    },
    /// The block has no transactions.
    NoTransactions,
    /// The first transaction is not a coinbase.
    MissingCoinbase,
    /// A transaction after the first is a coinbase.
    ExtraCoinbase,
    /// The merkle root in the header does not match the transactions.
    BadMerkleRoot,
    /// The transaction list has a duplicated merkle pair (CVE-2012-2459).
    MutatedMerkle,
    /// Two transactions have the same id.
    DuplicateTx,
    /// The parent header is not known.
    UnknownParent,
    /// An ancestor is known to be invalid.
    InvalidAncestor,
    /// This block was already found invalid.
    KnownInvalid,
    /// `bits` is not the value the difficulty rule requires.
    BadBits {
        /// Required bits.
        expected: u32,
        /// Bits in the header.
        got: u32,
    },
    /// `bits` is not a valid compact target or is above the network's limit.
    InvalidTarget,
    /// The header hash is above its target.
    BadProofOfWork,
    /// The time is not after the median time of the previous blocks.
    TimeTooOld {
        /// The header's time.
        time: u32,
        /// The median time past it must exceed.
        mtp: u32,
    },
    /// The time is too far ahead of the receiver's clock. Not a permanent failure: the
    /// block may become acceptable later and must not be marked invalid.
    TimeTooNew {
        /// The header's time.
        time: u32,
        /// The latest acceptable time now.
        max: u64,
    },
    /// The coinbase height is not the block height.
    BadCoinbaseHeight {
        /// Block height.
        expected: u32,
        /// Height in the coinbase.
        got: u32,
    },
    /// The coinbase amount is not reward plus fees.
    BadCoinbaseAmount {
        /// Reward plus fees.
        expected: u64,
        /// Amount in the coinbase.
        got: u64,
    },
    /// The fees, or reward plus fees, overflow a `u64`.
    FeeOverflow,
    /// Crediting the coinbase would overflow the recipient's balance.
    CoinbaseOverflow,
    /// A transfer is invalid.
    Transfer {
        /// Index of the transaction in the block.
        index: usize,
        /// What is wrong with it.
        error: TxError,
    },
}

impl BlockError {
    /// Stable identifier used in test vectors; for [`BlockError::Transfer`] it is the
    /// inner [`TxError::name`].
    pub fn name(&self) -> &'static str {
        match self {
            BlockError::Oversized { .. } => "oversized",
            BlockError::NoTransactions => "no_transactions",
            BlockError::MissingCoinbase => "missing_coinbase",
            BlockError::ExtraCoinbase => "extra_coinbase",
            BlockError::BadMerkleRoot => "bad_merkle_root",
            BlockError::MutatedMerkle => "mutated_merkle",
            BlockError::DuplicateTx => "duplicate_tx",
            BlockError::UnknownParent => "unknown_parent",
            BlockError::InvalidAncestor => "invalid_ancestor",
            BlockError::KnownInvalid => "known_invalid",
            BlockError::BadBits { .. } => "bad_bits",
            BlockError::InvalidTarget => "invalid_target",
            BlockError::BadProofOfWork => "bad_pow",
            BlockError::TimeTooOld { .. } => "time_too_old",
            BlockError::TimeTooNew { .. } => "time_too_new",
            BlockError::BadCoinbaseHeight { .. } => "bad_coinbase_height",
            BlockError::BadCoinbaseAmount { .. } => "bad_coinbase_amount",
            BlockError::FeeOverflow => "fee_overflow",
            BlockError::CoinbaseOverflow => "coinbase_overflow",
            BlockError::Transfer { error, .. } => error.name(),
        }
    }

    /// True if the failure proves the header (and so every descendant) invalid for
    /// good, given that the body matches the header. False for errors that may pass
    /// later or that only concern a body not matching its header.
    pub fn is_permanent(&self) -> bool {
        !matches!(
            self,
            BlockError::TimeTooNew { .. }
                | BlockError::UnknownParent
                | BlockError::BadMerkleRoot
                | BlockError::MutatedMerkle
        )
    }
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockError::Oversized { size } => write!(f, "block of {size} bytes is too large"),
            BlockError::NoTransactions => f.write_str("block has no transactions"),
            BlockError::MissingCoinbase => f.write_str("first transaction is not a coinbase"),
            BlockError::ExtraCoinbase => f.write_str("coinbase after the first transaction"),
            BlockError::BadMerkleRoot => f.write_str("merkle root does not match"),
            BlockError::MutatedMerkle => f.write_str("merkle tree is mutated"),
            BlockError::DuplicateTx => f.write_str("duplicate transaction"),
            BlockError::UnknownParent => f.write_str("parent block is unknown"),
            BlockError::InvalidAncestor => f.write_str("an ancestor is invalid"),
            BlockError::KnownInvalid => f.write_str("block is known to be invalid"),
            BlockError::BadBits { expected, got } => {
                write!(f, "bits {got:#010x} where {expected:#010x} was expected")
            }
            BlockError::InvalidTarget => f.write_str("bits encode no valid target"),
            BlockError::BadProofOfWork => f.write_str("hash is above the target"),
            BlockError::TimeTooOld { time, mtp } => {
                write!(f, "time {time} is not after median time past {mtp}")
            }
            BlockError::TimeTooNew { time, max } => {
                write!(f, "time {time} is after the latest acceptable {max}")
            }
            BlockError::BadCoinbaseHeight { expected, got } => {
                write!(f, "coinbase height {got} in block at height {expected}")
            }
            BlockError::BadCoinbaseAmount { expected, got } => {
                write!(f, "coinbase pays {got} instead of {expected}")
            }
            BlockError::FeeOverflow => f.write_str("fees overflow"),
            BlockError::CoinbaseOverflow => f.write_str("coinbase overflows the balance"),
            BlockError::Transfer { index, error } => write!(f, "transaction {index}: {error}"),
        }
    }
}

impl std::error::Error for BlockError {}
