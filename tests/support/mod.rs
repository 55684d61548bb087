//! Helpers shared by the integration tests, one module per kind (see tests/README.md).
//! A test declares `mod support;` and uses the module it needs; no test uses them all.
#![allow(dead_code)]

pub mod attacker;
pub mod consensus;
pub mod process;
pub mod wire;
