//! Structures shared by both protocols: the reject code, the text field and checked
//! counts.

use crate::codec::{DecodeError, Reader};
use std::fmt;

/// Most bytes of the UTF-8 text in [`super::Message::Error`] and
/// [`super::Message::Reject`] (the length is one byte on the wire).
pub const MAX_REASON_LEN: usize = 255;

/// The longest prefix of `s` that is at most [`MAX_REASON_LEN`] bytes and ends on a
/// character boundary.
pub fn truncate_reason(s: &str) -> &str {
    if s.len() <= MAX_REASON_LEN {
        return s;
    }
    let mut end = MAX_REASON_LEN;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Appends `u8` length and UTF-8 bytes, cut by [`truncate_reason`].
pub(super) fn encode_reason(s: &str, out: &mut Vec<u8>) {
    let s = truncate_reason(s);
    out.push(s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

pub(super) fn decode_reason(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let n = r.u8("reason length")? as usize;
    let bytes = r.take(n, "reason")?;
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Err(DecodeError::InvalidValue {
            what: "reason text is not utf-8",
        }),
    }
}

/// Why a message, block or transaction was refused, or a connection closed. One byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RejectCode {
    /// The bytes could not be decoded.
    Malformed = 1,
    /// Decoded, but breaks a consensus rule.
    Invalid = 2,
    /// Already known.
    Duplicate = 3,
    /// Too old to matter (e.g. a stale block, a spent sequence number).
    Obsolete = 4,
    /// Valid but refused by local policy (fee, size, rate).
    Policy = 5,
    /// The other side is on a different network (magic or network id).
    WrongNetwork = 6,
    /// The receiver has no room for another peer.
    TooManyPeers = 7,
    /// The sender is banned.
    Banned = 8,
}

impl RejectCode {
    /// The wire byte.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// Parses the wire byte.
    ///
    /// # Errors
    /// [`DecodeError::InvalidTag`] for a value outside 1..=8.
    pub fn from_u8(tag: u8) -> Result<RejectCode, DecodeError> {
        Ok(match tag {
            1 => RejectCode::Malformed,
            2 => RejectCode::Invalid,
            3 => RejectCode::Duplicate,
            4 => RejectCode::Obsolete,
            5 => RejectCode::Policy,
            6 => RejectCode::WrongNetwork,
            7 => RejectCode::TooManyPeers,
            8 => RejectCode::Banned,
            tag => {
                return Err(DecodeError::InvalidTag {
                    what: "reject code",
                    tag,
                })
            }
        })
    }

    /// Lowercase name for logs.
    pub fn name(self) -> &'static str {
        match self {
            RejectCode::Malformed => "malformed",
            RejectCode::Invalid => "invalid",
            RejectCode::Duplicate => "duplicate",
            RejectCode::Obsolete => "obsolete",
            RejectCode::Policy => "policy",
            RejectCode::WrongNetwork => "wrong-network",
            RejectCode::TooManyPeers => "too-many-peers",
            RejectCode::Banned => "banned",
        }
    }
}

impl fmt::Display for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads a `u16` count and checks it against `max` and against what the remaining bytes
/// can hold at `item_len` bytes each, so the caller may allocate `count` items.
pub(super) fn read_count(
    r: &mut Reader<'_>,
    what: &'static str,
    max: usize,
    item_len: usize,
) -> Result<usize, DecodeError> {
    let n = r.u16(what)? as usize;
    if n > max {
        return Err(DecodeError::TooMany {
            what,
            count: n as u64,
            max: max as u64,
        });
    }
    if n * item_len > r.remaining() {
        return Err(DecodeError::Truncated { what });
    }
    Ok(n)
}
