//! The binary wire format: fixed-layout fields, framing, and every message.

pub mod codec;
