//! Mining: the block template and when mining pauses.

use super::*;

impl Node {
    /// True while catching up on more than [`SYNC_PAUSE_GAP`] blocks that are being
    /// downloaded: mining on a tip known to be far behind only makes stale blocks. A
    /// block or two in flight (ordinary propagation) does not stop mining, as a real
    /// miner keeps working on its tip until the new block is validated.
    pub(super) fn syncing(&self) -> bool {
        !self.requested.is_empty()
            && self.chain.best_header().1 > self.chain.height() + SYNC_PAUSE_GAP
    }

    pub(super) fn ensure_template(&mut self, now: Time) {
        let Some(to) = self.cfg.mine_to else { return };
        let stale = now.since(self.template_built) >= self.cfg.template_refresh;
        if self.miner.is_some() && !self.template_dirty && !stale {
            return;
        }
        let txs = self
            .mempool
            .select(crate::chain::block::MAX_BLOCK_BYTES - TEMPLATE_RESERVED_BYTES);
        self.extra_nonce = self.extra_nonce.wrapping_add(1);
        let template =
            self.chain
                .block_template(to, txs, now.secs(), self.extra_nonce ^ self.nonce);
        self.miner = Some(Miner::new(template));
        self.template_built = now;
        self.template_dirty = false;
    }
}
