//! Mining strategy: honest, or selfish mining (Eyal and Sirer's SM1) as a small state
//! machine over the private branch and the height of the public chain.
//!
//! The selfish node keeps its own blocks in its chain (so it mines on them: they are its
//! most-work tip) but withholds them: they are not announced, not given in answer to
//! header or block requests, until this state machine publishes them. The transitions
//! are those of Algorithm 1 of Eyal and Sirer, "Majority is not enough" (2014); the
//! protocol-level description is the appendix of `spec/peer-protocol.md`.

use crate::chain::Hash256;
use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

/// How a node mines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Announce every block at once (the protocol's behaviour).
    #[default]
    Honest,
    /// Eyal and Sirer's SM1: withhold found blocks, publish to match or override when
    /// the public chain catches up.
    Selfish,
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Strategy, String> {
        match s {
            "honest" => Ok(Strategy::Honest),
            "selfish" => Ok(Strategy::Selfish),
            _ => Err(format!(
                "unknown strategy {s:?}: expected honest or selfish"
            )),
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Honest => "honest",
            Strategy::Selfish => "selfish",
        })
    }
}

/// The selfish miner's state (SM1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selfish {
    /// Own blocks not yet published, (hash, height), in height order: the top of the
    /// active chain.
    withheld: VecDeque<(Hash256, u32)>,
    /// Blocks of the private branch since it forked from the public chain, published
    /// or not (Eyal and Sirer's `privateBranchLen`).
    branch_len: u32,
    /// Height of the private tip.
    private_height: u32,
    /// Height of the public chain: the highest block received from others or published.
    public_height: u32,
    /// While a 1-vs-1 race is on (state 0'): our published tip and the rival tip.
    race: Option<(Hash256, Hash256)>,
}

impl Selfish {
    /// A state at `height` with nothing withheld (state 0).
    pub fn new(height: u32) -> Selfish {
        Selfish {
            private_height: height,
            public_height: height,
            ..Selfish::default()
        }
    }

    /// The private lead in blocks (private height minus public height, at least 0).
    pub fn lead(&self) -> u32 {
        self.private_height.saturating_sub(self.public_height)
    }

    /// Blocks withheld now.
    pub fn withheld(&self) -> usize {
        self.withheld.len()
    }

    /// Height of the lowest withheld block, if any: nothing at or above it may be
    /// revealed.
    pub fn withheld_from(&self) -> Option<u32> {
        self.withheld.front().map(|w| w.1)
    }

    /// True if `hash` is withheld.
    pub fn is_withheld(&self, hash: &Hash256) -> bool {
        self.withheld.iter().any(|w| w.0 == *hash)
    }

    /// During a 1-vs-1 race (state 0'): (our published tip, the rival public tip).
    pub fn race(&self) -> Option<(Hash256, Hash256)> {
        self.race
    }

    /// Height of the public chain as this node sees it.
    pub fn public_height(&self) -> u32 {
        self.public_height
    }

    /// Our miner found `hash` at `height` (on the private tip). Returns the newest
    /// block to publish, if any (with everything withheld below it).
    pub fn on_mined(&mut self, hash: Hash256, height: u32) -> Option<Hash256> {
        let prev_lead = self.private_height as i64 - self.public_height as i64;
        self.withheld.push_back((hash, height));
        self.private_height = height;
        self.branch_len += 1;
        if prev_lead == 0 && self.branch_len == 2 {
            // Won the race from state 0': publish the branch.
            self.branch_len = 0;
            self.race = None;
            return self.publish_up_to(height);
        }
        None
    }

    /// A block from another miner, `hash` at `height`, was accepted. Only a block above
    /// the public height moves the state. Returns the newest block to publish, if any.
    pub fn on_public_block(&mut self, hash: Hash256, height: u32) -> Option<Hash256> {
        let mut publish = None;
        while self.public_height < height {
            let prev_lead = self.private_height as i64 - self.public_height as i64;
            self.public_height += 1;
            let h = self.public_height;
            let p = match prev_lead {
                i64::MIN..=0 => {
                    // The public chain is ahead: adopt it.
                    self.withheld.clear();
                    self.branch_len = 0;
                    self.private_height = h;
                    self.race = None;
                    None
                }
                1 => {
                    // Same length now: publish ours and race (state 0').
                    let ours = self.withheld.back().map(|w| w.0);
                    self.race = ours.map(|o| (o, hash));
                    self.publish_up_to(self.private_height)
                }
                2 => {
                    // One ahead: publish all and win.
                    self.branch_len = 0;
                    self.race = None;
                    self.publish_up_to(self.private_height)
                }
                _ => {
                    // Comfortably ahead: publish the block that matches the public one.
                    self.race = None;
                    self.publish_up_to(h)
                }
            };
            publish = p.or(publish);
        }
        publish
    }

    /// Releases the withheld blocks up to `height`; returns the highest released.
    fn publish_up_to(&mut self, height: u32) -> Option<Hash256> {
        let mut last = None;
        while let Some(&(hash, h)) = self.withheld.front() {
            if h > height {
                break;
            }
            self.withheld.pop_front();
            last = Some(hash);
        }
        self.public_height = self.public_height.max(height.min(self.private_height));
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> Hash256 {
        Hash256([n; 32])
    }

    #[test]
    fn state_0_honest_block_is_adopted() {
        let mut s = Selfish::new(10);
        assert_eq!(s.on_public_block(h(1), 11), None);
        assert_eq!((s.lead(), s.withheld(), s.public_height()), (0, 0, 11));
    }

    #[test]
    fn lead_1_then_honest_block_publishes_and_races() {
        let mut s = Selfish::new(10);
        assert_eq!(s.on_mined(h(1), 11), None);
        assert_eq!((s.lead(), s.withheld()), (1, 1));
        assert!(s.is_withheld(&h(1)));
        assert_eq!(s.on_public_block(h(2), 11), Some(h(1)));
        assert_eq!((s.lead(), s.withheld()), (0, 0));
        assert_eq!(s.race(), Some((h(1), h(2))));
        // State 0', we find the next block: publish it at once (win the race).
        assert_eq!(s.on_mined(h(3), 12), Some(h(3)));
        assert_eq!((s.lead(), s.withheld(), s.race()), (0, 0, None));
    }

    #[test]
    fn race_lost_or_won_by_others_adopts_the_public_chain() {
        let mut s = Selfish::new(10);
        s.on_mined(h(1), 11);
        s.on_public_block(h(2), 11);
        assert_eq!(s.on_public_block(h(4), 12), None);
        assert_eq!((s.lead(), s.withheld(), s.race()), (0, 0, None));
        // Back in state 0: a find is withheld again.
        assert_eq!(s.on_mined(h(5), 13), None);
        assert_eq!(s.lead(), 1);
    }

    #[test]
    fn lead_2_then_honest_block_publishes_all() {
        let mut s = Selfish::new(10);
        s.on_mined(h(1), 11);
        s.on_mined(h(2), 12);
        assert_eq!(s.lead(), 2);
        assert_eq!(s.on_public_block(h(9), 11), Some(h(2)));
        assert_eq!((s.lead(), s.withheld(), s.public_height()), (0, 0, 12));
        assert_eq!(s.race(), None);
    }

    #[test]
    fn lead_above_2_publishes_one_block_per_honest_block() {
        let mut s = Selfish::new(10);
        for (i, height) in (11..=14).enumerate() {
            s.on_mined(h(i as u8 + 1), height);
        }
        assert_eq!(s.lead(), 4);
        assert_eq!(s.on_public_block(h(20), 11), Some(h(1)));
        assert_eq!(
            (s.lead(), s.withheld(), s.withheld_from()),
            (3, 3, Some(12))
        );
        assert_eq!(s.on_public_block(h(21), 12), Some(h(2)));
        assert_eq!(s.lead(), 2);
        // Lead 2: the next honest block makes us publish everything.
        assert_eq!(s.on_public_block(h(22), 13), Some(h(4)));
        assert_eq!((s.lead(), s.withheld()), (0, 0));
    }

    #[test]
    fn a_public_block_at_or_below_the_public_height_changes_nothing() {
        let mut s = Selfish::new(10);
        s.on_mined(h(1), 11);
        let before = s.clone();
        assert_eq!(s.on_public_block(h(7), 10), None);
        assert_eq!(s, before);
    }

    #[test]
    fn a_jump_of_two_public_blocks_is_two_steps() {
        let mut s = Selfish::new(10);
        s.on_mined(h(1), 11);
        // Lead 1 -> race at 11 -> adopt at 12.
        assert_eq!(s.on_public_block(h(8), 12), Some(h(1)));
        assert_eq!((s.lead(), s.withheld(), s.public_height()), (0, 0, 12));
    }

    #[test]
    fn parses_its_names() {
        assert_eq!("selfish".parse::<Strategy>(), Ok(Strategy::Selfish));
        assert_eq!("honest".parse::<Strategy>(), Ok(Strategy::Honest));
        assert!("greedy".parse::<Strategy>().is_err());
        assert_eq!(Strategy::Selfish.to_string(), "selfish");
    }
}
