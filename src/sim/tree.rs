//! The final block tree of a run, as the blocks [`crate::tree_svg::render`] draws
//! (`sim --tree-svg`).

use super::engine::Sim;
use crate::tree_svg::TreeBlock;

impl Sim {
    /// Every block mined so far, for [`crate::tree_svg::render`]: its height and
    /// whether it is on the active chain as the first live node sees them (a block
    /// that node never received sits one above its parent), labelled by the node that
    /// mined it (`node-N`, `selfish-N` for the selfish miner), in the order they
    /// were mined. Empty if no node is live. Call it after [`Sim::run_checked`] for
    /// the final tree.
    pub fn block_tree(&self) -> Vec<TreeBlock> {
        let Some(reference) = self.nodes.iter().flatten().next() else {
            return Vec::new();
        };
        let chain = reference.chain();
        let mut heights: Vec<u32> = Vec::with_capacity(self.blocks.len());
        let mut out = Vec::with_capacity(self.blocks.len());
        for (k, b) in self.blocks.iter().enumerate() {
            let h = chain.height_of(&b.hash).or_else(|| {
                let ix = *self.block_index.get(&b.parent)?;
                Some(heights.get(ix as usize).copied().unwrap_or(0) + 1)
            });
            let h = h.unwrap_or(0);
            heights.push(h);
            let miner = b.miner as usize;
            let label = if self.selfish_node == Some(miner) {
                format!("selfish-{miner}")
            } else {
                format!("node-{miner}")
            };
            out.push(TreeBlock {
                hash: b.hash,
                parent: b.parent,
                height: h,
                miner: Some(label),
                arrival: k as u64,
                active: chain.is_active(&b.hash),
            });
        }
        out
    }
}
