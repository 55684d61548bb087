//! Consensus: the data types of the chain and the rules that decide which chain wins.
//!
//! Pure code: nothing here opens a socket or reads the clock; functions that need the
//! time take it as an argument.

pub mod bech32m;
pub mod block;
pub mod error;
pub mod hash;
pub mod header;
pub mod keys;
pub mod mempool;
pub mod merkle;
pub mod orphans;
pub mod params;
pub mod pow;
pub mod presync;
pub mod sigcache;
pub mod state;
pub mod target;
pub mod tree;
pub mod tx;
pub mod u256;
pub mod validate;

pub use block::Block;
pub use hash::Hash256;
pub use header::BlockHeader;
pub use params::NetworkParams;
pub use tx::{AccountId, Coinbase, Transaction, Transfer};
