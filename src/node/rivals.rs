//! Equal-work rival tips under the random tie-break: fetching and relaying them.
//!
//! A node fetches only blocks of branches with more work than its tip, so under the
//! first-seen rule it never even downloads a rival tip of equal work (it would never
//! switch to it). Under [`TieBreak::Random`] (Eyal and Sirer's defence against selfish
//! mining) it must see both blocks of a 1-vs-1 race to choose between them: it
//! remembers the headers of equal-work rivals (at most [`MAX_RIVALS`]), downloads their
//! blocks, lets the chain's fork choice pick one of the equal-work tips at random
//! (seeded, reproducible), and relays a rival it did not pick ("propagate both").

use super::*;
use crate::chain::tree::TieBreak;

/// Most equal-work rival headers remembered for download at once; more are ignored
/// (each costs a block of proof of work at the tip's difficulty, so an honest network
/// never has more than a few).
pub const MAX_RIVALS: usize = 8;

/// Most missing blocks fetched below one rival tip (a deeper rival branch is fetched
/// only once it has more work, as usual).
pub const MAX_RIVAL_DEPTH: usize = MAX_ANNOUNCE_HEADERS;

impl Node {
    /// True if equal-work tips are chosen between at random.
    pub(super) fn random_ties(&self) -> bool {
        matches!(self.chain.tie_break(), TieBreak::Random { .. })
    }

    /// A header `hash` was accepted or seen: remember it if it is a rival tip of the
    /// same work as ours whose block we lack (random tie-break only).
    pub(super) fn note_rival(&mut self, hash: Hash256) {
        if !self.random_ties() || self.rivals.len() >= MAX_RIVALS || self.rivals.contains(&hash) {
            return;
        }
        if self.chain.chain_work(&hash) == Some(self.chain.tip_work())
            && !self.chain.has_block(&hash)
            && !self.chain.is_invalid(&hash)
        {
            self.rivals.push(hash);
        }
    }

    /// The tip changed: its siblings of equal work whose headers arrived before it
    /// became the tip (so [`Node::note_rival`] could not know their work was the tip's)
    /// are rivals too.
    pub(super) fn note_tip_rivals(&mut self) {
        if !self.random_ties() {
            return;
        }
        for s in self.chain.siblings(&self.chain.tip(), MAX_RIVALS) {
            self.note_rival(s);
        }
    }

    /// Blocks to download for the remembered rivals, lowest first below each rival;
    /// forgets rivals that arrived, fell behind the tip or turned out invalid.
    pub(super) fn rival_missing(&mut self) -> Vec<Hash256> {
        let tip_work = self.chain.tip_work();
        let chain = &self.chain;
        self.rivals.retain(|h| {
            chain.chain_work(h) == Some(tip_work) && !chain.has_block(h) && !chain.is_invalid(h)
        });
        let mut out = Vec::new();
        for r in &self.rivals {
            let mut below = Vec::new();
            let mut x = *r;
            while below.len() < MAX_RIVAL_DEPTH && !self.chain.has_block(&x) {
                below.push(x);
                match self.chain.header(&x) {
                    Some(h) => x = h.prev,
                    None => break,
                }
            }
            if !self.chain.has_block(&x) {
                continue; // deeper than we fetch for a tie
            }
            for h in below.into_iter().rev() {
                if !out.contains(&h) {
                    out.push(h);
                }
            }
        }
        out
    }

    /// A block `hash` was linked (it and its ancestry have data) without being the
    /// tip: under the random
    /// tie-break, an equal-work rival is relayed to the peers that lack it, so that
    /// every node sees both sides of a race.
    pub(super) fn relay_rival(&mut self, hash: Hash256) {
        if self.random_ties()
            && hash != self.chain.tip()
            && self.chain.chain_work(&hash) == Some(self.chain.tip_work())
        {
            self.announce(hash);
        }
    }
}
