//! Headers-first sync: header requests and answers, and announcing a new tip to peers.

use super::*;

impl Node {
    pub(super) fn locator_message(&self) -> Message {
        let mut locator = self.chain.locator();
        locator.truncate(MAX_LOCATOR);
        Message::GetHeaders {
            locator,
            stop: Hash256::ZERO,
        }
    }

    pub(super) fn request_headers(&mut self, conn: ConnId, now: Time) {
        let msg = self.locator_message();
        let deadline = now + self.cfg.request_timeout;
        if let Some(p) = self.peers.get_mut(&conn) {
            p.headers_deadline = Some(deadline);
            self.outbox.push_back(Action::Send { conn, msg });
            self.arm_peer_timers(conn);
        }
    }

    pub(super) fn on_headers(&mut self, conn: ConnId, headers: Vec<BlockHeader>, now: Time) {
        let full = headers.len() >= MAX_HEADERS;
        if let Some(p) = self.peers.get_mut(&conn) {
            // Most headers are announcements, not answers: re-arm only on an answer.
            if p.headers_deadline.take().is_some() {
                self.arm_peer_timers(conn);
            }
        }
        let (headers, more) = match self.headers_gate(conn, &headers, full, now) {
            presync::Gate::Store => (headers, full),
            presync::Gate::StoreThenMore(hs) => (hs, true),
            presync::Gate::Done => return,
        };
        let Some(last) = self.store_headers(conn, &headers, now) else {
            return;
        };
        if more {
            if let Some(last) = last {
                self.ask_headers_after(conn, last, now);
            }
        }
        self.request_blocks(now);
    }

    /// Stores a `headers` message from `conn` header by header; `None` if it stopped
    /// (an unknown parent was asked about, or the peer was punished), else the last
    /// header accepted.
    fn store_headers(
        &mut self,
        conn: ConnId,
        headers: &[BlockHeader],
        now: Time,
    ) -> Option<Option<Hash256>> {
        let mut last = None;
        let mut top = 0;
        for (i, h) in headers.iter().enumerate() {
            let (hash, result) = self.lookup_or_accept_header(h, now);
            let height = match result {
                Ok(height) => height,
                Err(BlockError::UnknownParent) => {
                    if i == 0 {
                        // A header we cannot connect: ask for the chain leading to it.
                        self.request_headers(conn, now);
                    } else {
                        self.punish(conn, "headers do not connect to each other".into(), now);
                    }
                    return None;
                }
                Err(e) if !block_error_punishable(&e) => {
                    debug!(target: "chain", "header {hash} not accepted now: {e}");
                    if matches!(e, BlockError::TimeTooNew { .. }) {
                        self.stats.time_too_new += 1;
                    }
                    break;
                }
                Err(e) => {
                    self.punish(conn, format!("invalid header {hash}: {e}"), now);
                    return None;
                }
            };
            if let Some(p) = self.peers.get_mut(&conn) {
                self.known.record(p, &hash);
                p.best_height = p.best_height.max(height);
            }
            self.note_rival(hash);
            last = Some(hash);
            top = top.max(height);
        }
        // A selfish miner reacts to the public chain as soon as it sees its headers.
        if let (Some(s), Some(hash)) = (self.selfish.as_mut(), last) {
            let publish = s.on_public_block(hash, top);
            self.publish(publish);
        }
        Some(last)
    }

    /// A header of an announcement: its hash, and its height once known or accepted, or
    /// why it was not accepted. Most announcements repeat a header we already have
    /// (every peer announces each block): those are found among the children of their
    /// parent, without hashing.
    pub(super) fn lookup_or_accept_header(
        &mut self,
        h: &BlockHeader,
        now: Time,
    ) -> (Hash256, Result<u32, BlockError>) {
        let (hash, result) = match self.chain.find_known_header(h) {
            Some((hash, _)) if self.chain.is_invalid(&hash) => {
                (hash, Err(BlockError::KnownInvalid))
            }
            Some((hash, height)) => (hash, Ok(height)),
            None => {
                let hashed = HashedHeader::new(*h);
                let hash = hashed.hash();
                let r = self.chain.accept_header(hashed, now.secs());
                // Accepted: it is known now, with its height.
                (hash, r.map(|_| self.chain.height_of(&hash).unwrap_or(0)))
            }
        };
        (hash, result)
    }

    pub(super) fn on_tip_changed(&mut self, disconnected: &[Block], reorg_depth: u32, now: Time) {
        let _ = now;
        let tip = self.chain.tip();
        let height = self.chain.height();
        if reorg_depth > 0 {
            self.stats.reorgs += 1;
            self.stats.max_reorg_depth = self.stats.max_reorg_depth.max(reorg_depth);
            info!(target: "chain", "reorganisation of depth {reorg_depth}: new tip {height} {}", tip.short());
        } else {
            debug!(target: "chain", "new tip {height} {}", tip.short());
        }
        self.mining.mark_dirty();
        self.tip_effects(disconnected, reorg_depth);
    }

    /// What a tip change causes beyond the chain: the mempool returns and drops
    /// transfers, observers get [`Event::TipChanged`], peers get the announcement.
    /// Within a message batch, once for all its tip changes (see [`batch`]).
    pub(super) fn apply_tip_effects(&mut self, disconnected: &[Block], reorg_depth: u32) {
        self.mempool.reorganized(disconnected, &self.chain);
        self.push(Action::Event(Event::TipChanged {
            tip: self.chain.tip(),
            height: self.chain.height(),
            reorg_depth,
        }));
        self.announce_tip();
        self.note_tip_rivals();
    }

    /// Sends the newest headers of the active chain to every ready peer that does not
    /// have the tip yet.
    pub(super) fn announce_tip(&mut self) {
        // A selfish node reveals its active chain only below what it withholds.
        let tip = match self.selfish.as_ref().and_then(|s| s.withheld_from()) {
            Some(h) => match self.chain.hash_at(h.saturating_sub(1)) {
                Some(t) => t,
                None => return,
            },
            None => self.chain.tip(),
        };
        self.announce(tip);
    }

    /// Sends the newest headers of the chain ending at `tip` (a known block) to every
    /// ready peer that does not have `tip` yet.
    pub(super) fn announce(&mut self, tip: Hash256) {
        let Some(height) = self.chain.height_of(&tip) else {
            return;
        };
        // At most MAX_ANNOUNCE_HEADERS headers, never the genesis block's.
        let depth = (height as usize).min(MAX_ANNOUNCE_HEADERS);
        if depth == 0 {
            return;
        }
        // Which peers (by slot) know the tip: one look-up for all of them.
        let tip_mask = self.known.mask(&tip);
        let has = BlockKnowledge::peer_in;
        let targets: Vec<ConnId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.is_ready() && !has(p, tip_mask, &tip))
            .map(|(c, _)| *c)
            .collect();
        if targets.is_empty() {
            return;
        }
        let tip_block = (self.cfg.block_push_peers > 0)
            .then(|| self.chain.shared_block(&tip))
            .flatten();
        // The newest headers, tip first, with their hashes and the slots known to have
        // them; extended down the parent links only as far as some peer needs (usually
        // one: peers know the parent). Recording below only sets the target's own bit,
        // so the masks stay right for the other peers.
        let tip_header = *self.chain.header(&tip).expect("the tip is known");
        let mut headers: Vec<(BlockHeader, Hash256, u64)> = vec![(tip_header, tip, tip_mask)];
        let mut pushed = 0;
        for c in targets {
            let p = self.peers.get_mut(&c).expect("listed above");
            // Send only the headers after the last one it is known to have.
            let mut n = 1;
            while n < depth {
                if headers.len() <= n {
                    let prev = headers[n - 1].0.prev;
                    match self.chain.header(&prev) {
                        Some(h) => headers.push((*h, prev, self.known.mask(&prev))),
                        None => break,
                    }
                }
                if has(p, headers[n].2, &headers[n].1) {
                    break;
                }
                n += 1;
            }
            let n = n.min(headers.len());
            // A peer that has the parent gets the whole block directly, up to the
            // configured number of peers: one message delay instead of three.
            if let Some(b) = &tip_block {
                if pushed < self.cfg.block_push_peers && n == 1 && headers.len() > 1 {
                    pushed += 1;
                    self.known.record(p, &tip);
                    self.outbox.push_back(Action::Send {
                        conn: c,
                        msg: Message::Block(b.clone()),
                    });
                    continue;
                }
            }
            let slice: Vec<BlockHeader> = headers[..n].iter().rev().map(|(h, ..)| *h).collect();
            for (_, h, _) in &headers[..n] {
                self.known.record(p, h);
            }
            self.outbox.push_back(Action::Send {
                conn: c,
                msg: Message::Headers { headers: slice },
            });
        }
    }
}
