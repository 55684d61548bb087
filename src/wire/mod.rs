//! The binary wire format: fixed-layout fields, framing, and every message.
//!
//! [`codec`] reads and writes little-endian fields, [`message`] encodes each message's
//! payload, [`frame`] wraps payloads in the 16-byte header and decodes a byte stream in
//! any chunking. The byte-level reference is `spec/wire.md`.

pub mod codec;
pub mod frame;
pub mod message;
#[cfg(test)]
mod testutil;

pub use codec::DecodeError;
pub use frame::*;
pub use message::*;
