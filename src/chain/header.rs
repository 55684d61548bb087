//! The 80-byte block header, Bitcoin's layout, hashed with double SHA-256.

use super::hash::Hash256;
use crate::codec::{put_u32, DecodeError, Reader};
use sha2::block_api::compress256;

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
        // Written straight into the array (no vector): this runs for every header hashed.
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&self.version.to_le_bytes());
        b[4..36].copy_from_slice(&self.prev.0);
        b[36..68].copy_from_slice(&self.merkle_root.0);
        b[68..72].copy_from_slice(&self.time.to_le_bytes());
        b[72..76].copy_from_slice(&self.bits.to_le_bytes());
        b[76..80].copy_from_slice(&self.nonce.to_le_bytes());
        b
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
    ///
    /// Computed with three SHA-256 compressions on fixed, pre-padded blocks (an 80-byte
    /// message is two blocks, the 32-byte digest one), without a streaming hasher.
    pub fn hash(&self) -> Hash256 {
        let bytes = self.to_bytes();
        let mut first = [0u8; 64];
        first.copy_from_slice(&bytes[..64]);
        let mut second = [0u8; 64];
        second[..16].copy_from_slice(&bytes[64..]);
        second[16] = 0x80;
        second[56..].copy_from_slice(&(HEADER_LEN as u64 * 8).to_be_bytes());
        let mut state = SHA256_IV;
        compress256(&mut state, &[first, second]);
        let mut pad = [0u8; 64];
        for (chunk, w) in pad[..32].chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        pad[32] = 0x80;
        pad[56..].copy_from_slice(&256u64.to_be_bytes());
        let mut state = SHA256_IV;
        compress256(&mut state, &[pad]);
        let mut out = [0u8; 32];
        for (chunk, w) in out.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        Hash256(out)
    }
}

/// The SHA-256 initial state.
pub const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// A header together with its hash, computed once when the value is made, so code that
/// needs the hash several times along one accept path does not hash again. The fields
/// are private: a `HashedHeader` always holds the true hash of its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashedHeader {
    header: BlockHeader,
    hash: Hash256,
}

impl From<BlockHeader> for HashedHeader {
    fn from(header: BlockHeader) -> HashedHeader {
        HashedHeader::new(header)
    }
}

impl From<&BlockHeader> for HashedHeader {
    fn from(header: &BlockHeader) -> HashedHeader {
        HashedHeader::new(*header)
    }
}

impl From<&HashedHeader> for HashedHeader {
    fn from(hashed: &HashedHeader) -> HashedHeader {
        *hashed
    }
}

impl HashedHeader {
    /// Hashes `header` once.
    pub fn new(header: BlockHeader) -> HashedHeader {
        HashedHeader {
            hash: header.hash(),
            header,
        }
    }

    /// A header whose hash the caller already computed and stored (the chain's index,
    /// keyed by the hash it computed on accept).
    pub(crate) fn known(header: BlockHeader, hash: Hash256) -> HashedHeader {
        debug_assert_eq!(header.hash(), hash);
        HashedHeader { header, hash }
    }

    /// The header.
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// Its hash.
    pub fn hash(&self) -> Hash256 {
        self.hash
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
        let mut v = Vec::new();
        h.encode(&mut v);
        assert_eq!(v, h.to_bytes().to_vec());
        assert_eq!(h.hash(), Hash256::sha256d(&v));
        assert_eq!(HashedHeader::new(h).hash(), h.hash());
    }
}
