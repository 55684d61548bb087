//! Consensus decoders and validation on arbitrary bytes: `Block::from_bytes` and
//! `Transaction::from_bytes` never panic, accepted input re-encodes to itself, and a
//! decoded block goes through full validation on a fresh regtest chain (optionally
//! re-parented onto genesis with the right bits, so the fuzzer reaches the coinbase,
//! transfer and signature rules) without panicking or breaking the supply invariant.
#![no_main]

#[path = "../checks/block_decode.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
