//! The miner: searches nonces for a block template in bounded batches.
