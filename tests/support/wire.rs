//! Shared by the wire vector test and the vector generator: the names
//! `spec/vectors/messages.txt` gives frame errors.

use cheesechain::wire::{DecodeError, FrameError};

/// The vector file's name of a frame error, and of the decode error inside a
/// malformed payload.
pub fn error_name(e: &FrameError) -> (&'static str, Option<&'static str>) {
    match e {
        FrameError::BadMagic { .. } => ("bad-magic", None),
        FrameError::UnsupportedVersion { .. } => ("unsupported-version", None),
        FrameError::Oversized { .. } => ("oversized", None),
        FrameError::BadChecksum => ("bad-checksum", None),
        FrameError::Malformed { error, .. } => (
            "malformed",
            Some(match error {
                DecodeError::Truncated { .. } => "truncated",
                DecodeError::TrailingBytes { .. } => "trailing-bytes",
                DecodeError::TooMany { .. } => "too-many",
                DecodeError::InvalidTag { .. } => "invalid-tag",
                DecodeError::InvalidValue { .. } => "invalid-value",
            }),
        ),
    }
}
