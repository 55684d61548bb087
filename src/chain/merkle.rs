//! The merkle root of a block's transaction ids, with the duplicate-leaf mutation check.

use super::hash::Hash256;

/// Merkle root, Bitcoin's construction: pair hashes level by level with SHA-256d of the
/// two 32-byte values concatenated; an odd last hash is paired with itself.
///
/// Returns the root and whether the list is *mutated*: at some level two hashes that
/// would be paired are equal. Bitcoin's CVE-2012-2459: duplicating the last transactions
/// of a block gives the same root, so a block whose tree is mutated is invalid.
/// An empty list has root zero.
pub fn merkle_root(leaves: &[Hash256]) -> (Hash256, bool) {
    if leaves.is_empty() {
        return (Hash256::ZERO, false);
    }
    let mut level: Vec<Hash256> = leaves.to_vec();
    let mut mutated = false;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for pair in level.chunks(2) {
            let (a, b) = match pair {
                [a, b] => {
                    if a == b {
                        mutated = true;
                    }
                    (a, b)
                }
                [a] => (a, a),
                _ => unreachable!("chunks(2) yields one or two items"),
            };
            let mut buf = [0u8; 64];
            buf[..32].copy_from_slice(&a.0);
            buf[32..].copy_from_slice(&b.0);
            next.push(Hash256::sha256d(&buf));
        }
        level = next;
    }
    (level[0], mutated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> Hash256 {
        Hash256::sha256d(&[n])
    }

    #[test]
    fn single_leaf_is_its_own_root() {
        assert_eq!(merkle_root(&[h(1)]), (h(1), false));
    }

    #[test]
    fn duplicated_tail_gives_same_root_but_is_flagged() {
        let three = [h(1), h(2), h(3)];
        let four = [h(1), h(2), h(3), h(3)];
        let (r3, m3) = merkle_root(&three);
        let (r4, m4) = merkle_root(&four);
        assert_eq!(r3, r4);
        assert!(!m3);
        assert!(m4);
    }

    /// Bitcoin block 100000 has four transactions; its merkle root is public.
    #[test]
    fn bitcoin_block_100000_root() {
        let ids = [
            "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
            "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
            "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
            "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
        ]
        .map(|s| Hash256::from_hex(s).unwrap());
        assert_eq!(
            merkle_root(&ids).0.to_hex(),
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"
        );
    }
}
