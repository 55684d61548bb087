//! The binary wire format: framing and every message.
//!
//! Fields are read and written with [`crate::codec`]; [`message`] encodes each message's
//! payload, [`frame`] wraps payloads in the 16-byte header and decodes a byte stream in
//! any chunking. The byte-level reference is `spec/wire.md`.

pub mod frame;
pub mod message;
#[cfg(test)]
mod testutil;

pub use crate::codec::DecodeError;
pub use frame::*;
pub use message::*;
