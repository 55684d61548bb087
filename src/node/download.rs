//! Block download and upload: requesting missing blocks from peers that have them, answering GetData, accepting blocks and their orphans.

use super::*;
use crate::chain::orphans::LOCAL;
use crate::chain::validate::check_block_stateless;

impl Node {
    pub(super) fn on_getdata(&mut self, conn: ConnId, items: Vec<InvItem>) {
        let mut missing = Vec::new();
        let mut blocks_sent = 0;
        for it in items {
            match it.kind {
                InvKind::Block => {
                    let block =
                        if blocks_sent < MAX_BLOCKS_PER_GETDATA && !self.is_withheld(&it.hash) {
                            self.chain.shared_block(&it.hash)
                        } else {
                            None
                        };
                    match block {
                        Some(b) => {
                            blocks_sent += 1;
                            if let Some(p) = self.peers.get_mut(&conn) {
                                self.known.record(p, &it.hash);
                            }
                            self.send(conn, Message::Block(b));
                        }
                        None => missing.push(it),
                    }
                }
                InvKind::Tx => match self.mempool.get(&it.hash) {
                    Some(t) => {
                        let t = *t;
                        if let Some(p) = self.peers.get_mut(&conn) {
                            p.known_txs.insert(it.hash);
                        }
                        self.send(conn, Message::Tx(Box::new(Transaction::Transfer(t))));
                    }
                    None => missing.push(it),
                },
            }
        }
        if !missing.is_empty() {
            self.send(conn, Message::NotFound { items: missing });
        }
    }

    /// A `not-found` from `conn`: each block item marks the peer as lacking that block
    /// for [`NOT_FOUND_RETRY`] and clears its request, so that the block is asked of
    /// another peer at once, or of this one again once the retry time has passed.
    pub(super) fn on_notfound(&mut self, conn: ConnId, items: Vec<InvItem>, now: Time) {
        for it in items {
            match it.kind {
                InvKind::Block => {
                    if let Some(p) = self.peers.get_mut(&conn) {
                        p.lacks_blocks.insert(it.hash);
                        if p.lacks_until.is_none() {
                            p.lacks_until = Some(now + NOT_FOUND_RETRY);
                            self.arm_peer_timers(conn);
                        }
                    }
                    if let Some((c, deadline)) = self.block_requests.get(&it.hash) {
                        if c == conn {
                            self.block_requests.remove(&it.hash);
                            if let Some(p) = self.peers.get_mut(&conn) {
                                p.blocks_in_flight = p.blocks_in_flight.saturating_sub(1);
                            }
                            self.block_request_done(conn, deadline);
                        }
                    }
                }
                InvKind::Tx => {
                    if let Some((_, deadline)) = self.tx_requests.remove(&it.hash) {
                        self.tx_request_done(deadline);
                    }
                }
            }
        }
        self.request_blocks(now);
    }

    pub(super) fn on_block(&mut self, conn: ConnId, block: Arc<Block>, now: Time) {
        let block = HashedBlock::from_shared(block);
        let hash = block.hash();
        if let Some((c, deadline)) = self.block_requests.remove(&hash) {
            if let Some(p) = self.peers.get_mut(&c) {
                p.blocks_in_flight = p.blocks_in_flight.saturating_sub(1);
            }
            self.block_request_done(c, deadline);
        }
        if let Some(p) = self.peers.get_mut(&conn) {
            self.known.record(p, &hash);
            self.known.record(p, &block.block().header.prev);
        }
        self.process_block(block, Some(conn), now);
        self.blocks_arrived(now);
    }

    /// Accepts a block from a peer (`from`) or from our own miner (`None`), then any
    /// orphans waiting for it.
    pub(super) fn process_block(&mut self, block: HashedBlock, from: Option<ConnId>, now: Time) {
        let mut work = vec![(block, from)];
        // The highest block from another miner accepted here (for the selfish strategy).
        let mut public: Option<(Hash256, u32)> = None;
        while let Some((block, from)) = work.pop() {
            let hash = block.hash();
            if self.chain.block(&hash).is_some() {
                continue;
            }
            // Kept only for the orphan pool, i.e. when the parent is unknown; such a
            // block must first pass the checks that need no chain (its proof of work
            // meets its own bits and the network's limit, its body matches its
            // header), so nothing unproven is ever kept.
            let prev = block.block().header.prev;
            let orphan = if self.chain.header(&prev).is_none() && !self.orphans.contains(&hash) {
                let pow = crate::chain::pow::check_pow_hashed(
                    &block.hashed_header(),
                    self.cfg.params.pow_limit_bits,
                );
                if let Err(e) = pow.and_then(|()| check_block_stateless(block.block())) {
                    warn!(target: "chain", "invalid orphan block {hash}: {e}");
                    match from {
                        Some(c) => self.punish(c, format!("invalid orphan block {hash}: {e}"), now),
                        None => warn!(target: "miner", "our own block was invalid: {e}"),
                    }
                    continue;
                }
                Some(block.block().clone())
            } else {
                None
            };
            match self
                .chain
                .accept_block_with(block, now.secs(), Some(&mut self.sig_cache))
            {
                Ok(outcome) => {
                    // Durable before announced, and only once the whole ancestry has
                    // data, so that the block file lists every parent before its
                    // children (a block whose parent never arrives is not stored).
                    for h in &outcome.linked {
                        let b = self.chain.shared_block(h).expect("linked blocks have data");
                        self.push(Action::StoreBlock(b));
                    }
                    if self.random_ties() {
                        for h in &outcome.linked {
                            self.relay_rival(*h);
                        }
                    }
                    self.credit_block(from, now);
                    if from.is_some() {
                        self.stats.blocks_received += 1;
                        if let Some(h) = self.chain.height_of(&hash) {
                            if public.is_none_or(|(_, ph)| h > ph) {
                                public = Some((hash, h));
                            }
                        }
                    }
                    if outcome.tip_changed {
                        self.on_tip_changed(&outcome.disconnected, outcome.reorg_depth as u32, now);
                    }
                    for (child, sender) in self.orphans.take_children(&hash) {
                        let sender = (sender != LOCAL).then_some(sender);
                        work.push((HashedBlock::new(child), sender));
                    }
                }
                Err(BlockError::UnknownParent) => {
                    debug!(target: "chain", "orphan block {hash}; fetching its ancestors");
                    if let Some(b) = orphan {
                        self.orphans.insert(b, from.unwrap_or(LOCAL));
                    }
                    if let Some(c) = from {
                        self.request_headers(c, now);
                    }
                }
                Err(e) if !block_error_punishable(&e) => {
                    debug!(target: "chain", "block {hash} not accepted: {e}");
                    if matches!(e, BlockError::TimeTooNew { .. }) {
                        self.stats.time_too_new += 1;
                    }
                }
                Err(e) => {
                    warn!(target: "chain", "invalid block {hash}: {e}");
                    match from {
                        Some(c) => self.punish(c, format!("invalid block {hash}: {e}"), now),
                        None => warn!(target: "miner", "our own block was invalid: {e}"),
                    }
                }
            }
        }
        if let (Some(s), Some((hash, height))) = (self.selfish.as_mut(), public) {
            let publish = s.on_public_block(hash, height);
            self.publish(publish);
        }
    }

    /// True if `hash` is a block the selfish strategy withholds.
    pub(super) fn is_withheld(&self, hash: &Hash256) -> bool {
        self.selfish.as_ref().is_some_and(|s| s.is_withheld(hash))
    }

    /// Announces a block the selfish strategy just released (and the released blocks
    /// below it).
    pub(super) fn publish(&mut self, newest: Option<Hash256>) {
        if let Some(hash) = newest {
            info!(target: "miner", "publishing withheld blocks up to {}", hash.short());
            self.announce(hash);
        }
    }

    /// Requests blocks of the best header chain that we lack, spread over the peers
    /// that have them.
    pub(super) fn request_blocks(&mut self, now: Time) {
        // Nothing missing (the usual case once a block has arrived): no side effects
        // either way, so skip the per-peer scan below.
        let rivals = if self.rivals.is_empty() {
            Vec::new()
        } else {
            self.rival_missing()
        };
        if !self.chain.has_missing_blocks() && rivals.is_empty() {
            return;
        }
        // Usually every missing block is requested already (announcements keep
        // arriving while a block is in flight): nothing to do either, and the peer scan
        // below is skipped.
        let pending = self.block_requests.len();
        let first = self.chain.missing_blocks(pending + 1);
        if first.len() <= pending
            && first
                .iter()
                .chain(&rivals)
                .all(|h| self.block_requests.contains(h))
        {
            return;
        }
        let max = self.cfg.max_blocks_in_flight_per_peer;
        // A peer gets new requests once at least half its slots are free, and is then
        // filled up in this pass: one get-data per half window during a long
        // download, not one per block, while the other half keeps the link busy.
        let half = max.div_ceil(2);
        let opens = |p: &Peer| p.is_ready() && max.saturating_sub(p.blocks_in_flight) >= half;
        // Free request slots over the peers that take requests now: nothing to do
        // without one, and no point looking further ahead than the blocks already
        // requested plus the slots.
        let free: usize = self
            .peers
            .values()
            .filter(|p| opens(p))
            .map(|p| max.saturating_sub(p.blocks_in_flight))
            .sum();
        if free == 0 {
            return;
        }
        let window = (self.block_requests.len() + free).min(DOWNLOAD_WINDOW);
        let mut missing = self.chain.missing_blocks(window);
        for h in rivals {
            if !missing.contains(&h) {
                missing.push(h);
            }
        }
        if missing.is_empty() {
            return;
        }
        let mut batches: BTreeMap<ConnId, Vec<InvItem>> = BTreeMap::new();
        for hash in missing {
            if self.block_requests.contains(&hash) {
                continue;
            }
            let height = self.chain.height_of(&hash).unwrap_or(u32::MAX);
            let pick = self
                .peers
                .iter()
                .filter(|(c, p)| {
                    p.is_ready()
                        && p.blocks_in_flight < max
                        && (opens(p) || batches.contains_key(*c))
                })
                .filter(|(_, p)| !p.lacks_blocks.contains(&hash))
                .filter(|(_, p)| self.known.peer_has(p, &hash) || p.best_height >= height)
                .min_by_key(|(_, p)| p.blocks_in_flight)
                .map(|(c, _)| *c);
            let Some(c) = pick else { continue };
            let p = self.peers.get_mut(&c).expect("picked from peers");
            p.blocks_in_flight += 1;
            let deadline = now + self.cfg.request_timeout;
            self.block_requests.insert(hash, c, deadline);
            self.block_request_made(c, deadline);
            batches.entry(c).or_default().push(InvItem {
                kind: InvKind::Block,
                hash,
            });
        }
        // Never more blocks in one get-data than a peer serves per get-data: the rest
        // would come back not-found.
        for (c, items) in batches {
            for chunk in items.chunks(MAX_BLOCKS_PER_GETDATA) {
                self.send(
                    c,
                    Message::GetData {
                        items: chunk.to_vec(),
                    },
                );
            }
        }
    }
}
