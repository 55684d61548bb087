//! Mining: the block template and when mining pauses.

use super::*;

/// The miner and its template's bookkeeping: when it was built, whether the tip or
/// the mempool changed since, and the extra nonce that makes each template unique.
#[derive(Debug)]
pub(super) struct Mining {
    miner: Option<Miner>,
    built: Time,
    dirty: bool,
    extra_nonce: u64,
}

impl Mining {
    /// No template yet; the first mining slice builds one.
    pub(super) fn new(now: Time) -> Mining {
        Mining {
            miner: None,
            built: now,
            dirty: true,
            extra_nonce: 0,
        }
    }

    /// The tip or the mempool changed: the next slice builds a new template.
    pub(super) fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// True if the template must be (re)built at `now`: none yet, marked dirty, or
    /// older than `refresh`.
    fn needs_template(&self, now: Time, refresh: Duration) -> bool {
        self.miner.is_none() || self.dirty || now.since(self.built) >= refresh
    }

    /// The extra nonce for the next template.
    fn next_extra_nonce(&mut self) -> u64 {
        self.extra_nonce = self.extra_nonce.wrapping_add(1);
        self.extra_nonce
    }

    /// The miner working on the current template, if any.
    pub(super) fn miner_mut(&mut self) -> Option<&mut Miner> {
        self.miner.as_mut()
    }
}

impl Node {
    /// True while catching up on more than [`SYNC_PAUSE_GAP`] blocks that are being
    /// downloaded: mining on a tip known to be far behind only makes stale blocks. A
    /// block or two in flight (ordinary propagation) does not stop mining, as a real
    /// miner keeps working on its tip until the new block is validated.
    pub(super) fn syncing(&self) -> bool {
        !self.block_requests.is_empty()
            && self.chain.best_header().1 > self.chain.height() + SYNC_PAUSE_GAP
    }

    pub(super) fn ensure_template(&mut self, now: Time) {
        let request = self.mine_request.as_ref().map(|r| r.account);
        let Some(to) = request.or(self.cfg.mine_to) else {
            return;
        };
        if !self.mining.needs_template(now, self.cfg.template_refresh) {
            return;
        }
        let txs = self
            .mempool
            .select(crate::chain::block::MAX_BLOCK_BYTES - TEMPLATE_RESERVED_BYTES);
        let extra = self.mining.next_extra_nonce() ^ self.nonce;
        let template = block_template(&self.chain, to, txs, now.secs(), extra);
        self.mining.miner = Some(Miner::new(template));
        self.mining.built = now;
        self.mining.dirty = false;
    }
}
