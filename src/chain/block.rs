//! A block: its header and its transactions, with the size-capped encoding.

use super::hash::Hash256;
use super::header::{BlockHeader, HashedHeader, HEADER_LEN};
use super::tx::{Transaction, MIN_TX_LEN};
use crate::codec::{put_u32, DecodeError, Reader};
use std::sync::Arc;

/// Largest encoded block, in bytes. Part of consensus: a bigger block is invalid, and a
/// decoder refuses to read one.
pub const MAX_BLOCK_BYTES: usize = 1_000_000;
/// Largest number of transactions a block can hold (what fits in [`MAX_BLOCK_BYTES`]).
pub const MAX_BLOCK_TXS: usize = (MAX_BLOCK_BYTES - HEADER_LEN - 4) / MIN_TX_LEN;

/// A block ("cheese"). Encoded as the 80-byte header, a `u32` transaction count, then
/// the transactions back to back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The header; its hash is the block's hash.
    pub header: BlockHeader,
    /// Transactions; the first must be the coinbase.
    pub txs: Vec<Transaction>,
}

/// A block together with its hash, computed once when the value is made (see
/// [`super::header::HashedHeader`]). The fields are private: the hash is always the true
/// hash of the block's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashedBlock {
    block: Arc<Block>,
    hash: Hash256,
}

impl From<Block> for HashedBlock {
    fn from(block: Block) -> HashedBlock {
        HashedBlock::new(block)
    }
}

impl HashedBlock {
    /// Hashes `block`'s header once.
    pub fn new(block: Block) -> HashedBlock {
        HashedBlock::from_shared(Arc::new(block))
    }

    /// Hashes a shared block's header once (the block itself is not copied).
    pub fn from_shared(block: Arc<Block>) -> HashedBlock {
        HashedBlock {
            hash: block.hash(),
            block,
        }
    }

    /// The block.
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// Its hash.
    pub fn hash(&self) -> Hash256 {
        self.hash
    }

    /// The header with its hash.
    pub fn hashed_header(&self) -> HashedHeader {
        HashedHeader::known(self.block.header, self.hash)
    }

    /// The shared block, dropping the hash.
    pub fn into_shared(self) -> Arc<Block> {
        self.block
    }
}

impl Block {
    /// The block hash (the header hash).
    pub fn hash(&self) -> Hash256 {
        self.header.hash()
    }

    /// Appends the encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.header.encode(out);
        put_u32(out, self.txs.len() as u32);
        for tx in &self.txs {
            tx.encode(out);
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
        HEADER_LEN + 4 + self.txs.iter().map(|t| t.encoded_len()).sum::<usize>()
    }

    /// Reads a block that must take the rest of the reader's input.
    ///
    /// The transaction count is checked against what the remaining bytes could hold
    /// before anything is allocated.
    ///
    /// # Errors
    /// Any [`DecodeError`]; input longer than [`MAX_BLOCK_BYTES`] is
    /// [`DecodeError::TooMany`].
    pub fn decode(r: &mut Reader<'_>) -> Result<Block, DecodeError> {
        if r.remaining() > MAX_BLOCK_BYTES {
            return Err(DecodeError::TooMany {
                what: "block bytes",
                count: r.remaining() as u64,
                max: MAX_BLOCK_BYTES as u64,
            });
        }
        let header = BlockHeader::decode(r)?;
        let count = r.u32("block transaction count")? as usize;
        let fits = r.remaining() / MIN_TX_LEN;
        if count > fits.min(MAX_BLOCK_TXS) {
            return Err(DecodeError::TooMany {
                what: "block transactions",
                count: count as u64,
                max: fits.min(MAX_BLOCK_TXS) as u64,
            });
        }
        let mut txs = Vec::with_capacity(count);
        for _ in 0..count {
            txs.push(Transaction::decode(r)?);
        }
        r.finish()?;
        Ok(Block { header, txs })
    }

    /// Decodes a block from exactly `bytes`.
    ///
    /// # Errors
    /// Any [`DecodeError`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Block, DecodeError> {
        Block::decode(&mut Reader::new(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::tx::{AccountId, Coinbase};

    #[test]
    fn round_trips_and_refuses_impossible_counts() {
        let b = Block {
            header: BlockHeader {
                version: 1,
                prev: Hash256::ZERO,
                merkle_root: Hash256([1; 32]),
                time: 5,
                bits: 0x207fffff,
                nonce: 0,
            },
            txs: vec![Transaction::Coinbase(Coinbase {
                height: 0,
                recipient: AccountId([2; 33]),
                amount: 0,
                extra_nonce: 0,
            })],
        };
        let bytes = b.to_bytes();
        assert_eq!(bytes.len(), b.encoded_len());
        assert_eq!(Block::from_bytes(&bytes), Ok(b));
        let mut lying = bytes.clone();
        lying[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            Block::from_bytes(&lying),
            Err(DecodeError::TooMany { .. })
        ));
    }
}
