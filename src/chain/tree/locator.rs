//! Block locators and the headers that answer them, with their limits.

use super::{Chain, MAX_HEADERS, MAX_LOCATOR};
use crate::chain::hash::Hash256;
use crate::chain::header::{BlockHeader, HashedHeader};

impl Chain {
    /// A block locator of the active chain: the last 10 hashes one by one, then steps
    /// doubling, always ending with genesis; at most [`MAX_LOCATOR`] entries.
    pub fn locator(&self) -> Vec<Hash256> {
        let mut v = Vec::new();
        let mut h = self.height() as i64;
        let mut step = 1i64;
        while h > 0 && v.len() < MAX_LOCATOR - 1 {
            v.push(self.active[h as usize]);
            if v.len() >= 10 {
                step *= 2;
            }
            h -= step;
        }
        v.push(self.active[0]);
        v
    }

    /// Headers of the active chain after the first `locator` hash found on it (after
    /// genesis if none is), up to and including `stop`, at most `max` (capped at
    /// [`MAX_HEADERS`]).
    pub fn headers_after(
        &self,
        locator: &[Hash256],
        stop: &Hash256,
        max: usize,
    ) -> Vec<BlockHeader> {
        self.hashed_headers_after(locator, stop, max)
            .into_iter()
            .map(|h| *h.header())
            .collect()
    }

    /// [`Chain::headers_after`] with each header's hash (stored, not recomputed).
    pub fn hashed_headers_after(
        &self,
        locator: &[Hash256],
        stop: &Hash256,
        max: usize,
    ) -> Vec<HashedHeader> {
        let start = locator
            .iter()
            .find_map(|h| self.entry(h).filter(|e| self.on_active(e)))
            .map(|e| e.height as usize + 1)
            .unwrap_or(1);
        let max = max.min(MAX_HEADERS);
        let mut out = Vec::new();
        for h in self.active.iter().skip(start) {
            if out.len() >= max {
                break;
            }
            let e = self.entry(h).expect("active blocks are known");
            out.push(HashedHeader::known(e.header, *h));
            if h == stop {
                break;
            }
        }
        out
    }
}
