//! cheesechain: a peer-to-peer network that emulates the mining process of a blockchain.
//!
//! The crate is split the way the data flows:
//!
//! - [`codec`]: bounds-checked little-endian reading and writing of fixed-layout
//!   fields, the leaf every encoder and decoder builds on.
//! - [`chain`]: consensus types and rules (headers, transactions, blocks, proof of work,
//!   the block tree with fork choice and reorganisation, the mempool). Pure: no sockets,
//!   no clock; the current time is always passed in. Of this crate it uses only
//!   [`codec`].
//! - [`wire`]: the binary wire format (framing and every message), a push decoder that
//!   accepts bytes in any chunking. Depends on [`codec`] and [`chain`], never the
//!   reverse.
//! - [`miner`]: block templates on a chain's tip and a nonce-batch miner that the event
//!   loop runs in time slices.
//! - [`store`]: the append-only block file and the node's key file.
//! - [`service`]: the interface between protocol state machines and their drivers.
//! - [`node`] and [`tracker`]: the peer and tracker protocol logic, pure state machines.
//! - [`net`]: the `mio` reactor that drives a state machine over real sockets (the only
//!   code that touches `mio`).
//! - [`runtime`] and [`cli`]: hooks, the status file, address parsing and the
//!   commands of the binaries.
//! - [`sim`]: a deterministic network simulator that drives the real node and tracker.
//! - [`tree_svg`]: draws a block tree (active chain, stale branches, miners) as SVG.
//!
//! The byte-level reference for all of it is `spec/` at the top of the repository.
#![deny(unsafe_code)]

pub mod chain;
pub mod cli;
pub mod codec;
pub mod json;
pub mod miner;
pub mod net;
pub mod netgroup;
pub mod node;
pub mod rng;
pub mod runtime;
pub mod service;
pub mod sim;
pub mod store;
pub mod tracker;
pub mod tree_svg;
pub mod wire;
