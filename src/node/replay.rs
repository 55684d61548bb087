//! Rebuilding the chain from stored blocks at start-up.

use super::*;

/// Rebuilds `chain` from stored blocks. A node stores a block once its whole ancestry
/// has data, so parents come before children; replay still follows parent links from
/// the genesis block rather than file order (a file need not be ordered to be
/// readable, see `spec/storage.md`), re-validating every block. Returns how many stored blocks
/// were rejected or could not be connected.
pub(super) fn replay(chain: &mut Chain, stored: Vec<Block>, now: Time) -> usize {
    let total = stored.len();
    let mut children: BTreeMap<Hash256, Vec<Block>> = BTreeMap::new();
    for b in stored {
        children.entry(b.header.prev).or_default().push(b);
    }
    let mut ready: Vec<Hash256> = vec![chain.tip()];
    let mut accepted = 0;
    while let Some(parent) = ready.pop() {
        for b in children.remove(&parent).unwrap_or_default() {
            let b = HashedBlock::new(b);
            let hash = b.hash();
            match chain.accept_block(b, now.secs()) {
                Ok(_) => {
                    accepted += 1;
                    ready.push(hash);
                }
                Err(e) => {
                    warn!(target: "chain", "stored block {hash} rejected on re-validation: {e}")
                }
            }
        }
    }
    let unreachable: usize = children.values().map(|v| v.len()).sum();
    if unreachable > 0 {
        warn!(target: "chain", "{unreachable} stored blocks have no stored parent; ignored");
    }
    total - accepted
}
