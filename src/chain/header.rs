//! The 80-byte block header, Bitcoin's layout, hashed with double SHA-256.

use super::hash::Hash256;
use crate::wire::codec::{put_u32, DecodeError, Reader};

/// Length of an encoded header in bytes.
pub const HEADER_LEN: usize = 80;

/// A block header. Encoded as 80 bytes, all integers little-endian:
/// version (4), previous block hash (32), merkle root (32), time (4), bits (4), nonce (4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockHeader {
    /// Block version; 1 for every block this crate makes. Any value is accepted.
    pub version: u32,
    /// Hash of the parent block's header; all zeros for the genesis block.
    pub prev: Hash256,
    /// Merkle root of the block's transaction ids.
    pub merkle_root: Hash256,
    /// Seconds since the Unix epoch, as claimed by the miner.
    pub time: u32,
    /// The proof-of-work target in compact form.
    pub bits: u32,
    /// The value miners vary.
    pub nonce: u32,
}

impl BlockHeader {
    /// The 80-byte encoding.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut v = Vec::with_capacity(HEADER_LEN);
        self.encode(&mut v);
        v.try_into().expect("a header encodes to 80 bytes")
    }

    /// Appends the 80-byte encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.version);
        out.extend_from_slice(&self.prev.0);
        out.extend_from_slice(&self.merkle_root.0);
        put_u32(out, self.time);
        put_u32(out, self.bits);
        put_u32(out, self.nonce);
    }

    /// Reads a header.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 80 bytes remain.
    pub fn decode(r: &mut Reader<'_>) -> Result<BlockHeader, DecodeError> {
        if r.remaining() < HEADER_LEN {
            return Err(DecodeError::Truncated {
                what: "block header",
            });
        }
        Ok(BlockHeader {
            version: r.u32("header version")?,
            prev: Hash256(r.array("header prev")?),
            merkle_root: Hash256(r.array("header merkle root")?),
            time: r.u32("header time")?,
            bits: r.u32("header bits")?,
            nonce: r.u32("header nonce")?,
        })
    }

    /// Decodes exactly 80 bytes.
    pub fn from_bytes(b: &[u8; HEADER_LEN]) -> BlockHeader {
        BlockHeader::decode(&mut Reader::new(b)).expect("80 bytes always decode")
    }

    /// The block hash ("smell"): double SHA-256 of the 80-byte encoding.
    pub fn hash(&self) -> Hash256 {
        Hash256::sha256d(&self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bitcoin's genesis header: a real-world vector for the layout and the hash.
    #[test]
    fn bitcoin_genesis_header_hashes_to_known_value() {
        let h = BlockHeader {
            version: 1,
            prev: Hash256::ZERO,
            merkle_root: Hash256::from_hex(
                "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
            )
            .unwrap(),
            time: 1231006505,
            bits: 0x1d00ffff,
            nonce: 2083236893,
        };
        assert_eq!(
            h.hash().to_hex(),
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        assert_eq!(BlockHeader::from_bytes(&h.to_bytes()), h);
    }
}
