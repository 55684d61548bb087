//! Bounds-checked little-endian reading and writing of fixed-layout fields.
//!
//! Every decoder in the crate reads through [`Reader`], which never panics and never
//! allocates: a short input is a [`DecodeError::Truncated`], leftover bytes after a
//! complete structure are a [`DecodeError::TrailingBytes`].

use byteorder::{ByteOrder, LittleEndian, WriteBytesExt};
use std::fmt;

/// Why a byte string could not be decoded into a structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended before the structure did.
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// The structure was complete but bytes remained.
    TrailingBytes {
        /// How many bytes were left over.
        extra: usize,
    },
    /// A count field exceeds its limit.
    TooMany {
        /// What was being counted.
        what: &'static str,
        /// The count found in the input.
        count: u64,
        /// The largest allowed count.
        max: u64,
    },
    /// A tag byte has no meaning.
    InvalidTag {
        /// What the tag selects.
        what: &'static str,
        /// The tag found.
        tag: u8,
    },
    /// A field holds a value the format forbids.
    InvalidValue {
        /// Which field, and why.
        what: &'static str,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { what } => write!(f, "input ends inside {what}"),
            DecodeError::TrailingBytes { extra } => {
                write!(f, "{extra} trailing bytes after a complete structure")
            }
            DecodeError::TooMany { what, count, max } => {
                write!(f, "{what} count {count} exceeds the limit of {max}")
            }
            DecodeError::InvalidTag { what, tag } => write!(f, "invalid {what} tag {tag:#04x}"),
            DecodeError::InvalidValue { what } => write!(f, "invalid value: {what}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A cursor over a byte slice with bounds-checked little-endian reads.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Takes the next `n` bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than `n` bytes remain.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated { what });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Takes the next `N` bytes as an array.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than `N` bytes remain.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] at the end of input.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    /// Reads a little-endian `u16`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 2 bytes remain.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(LittleEndian::read_u16(self.take(2, what)?))
    }

    /// Reads a little-endian `u32`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 4 bytes remain.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(LittleEndian::read_u32(self.take(4, what)?))
    }

    /// Reads a little-endian `u64`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 8 bytes remain.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(LittleEndian::read_u64(self.take(8, what)?))
    }

    /// Succeeds only if every byte was consumed.
    ///
    /// # Errors
    /// [`DecodeError::TrailingBytes`] if input remains.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(DecodeError::TrailingBytes { extra }),
        }
    }
}

/// Appends a `u16` in little-endian order.
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.write_u16::<LittleEndian>(v)
        .expect("writing to a Vec cannot fail");
}

/// Appends a `u32` in little-endian order.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.write_u32::<LittleEndian>(v)
        .expect("writing to a Vec cannot fail");
}

/// Appends a `u64` in little-endian order.
pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.write_u64::<LittleEndian>(v)
        .expect("writing to a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_detects_truncation() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 9]);
        assert_eq!(r.u16("a").unwrap(), 1);
        assert_eq!(r.u32("b").unwrap(), 2);
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes { extra: 1 }));
        assert_eq!(r.u16("c"), Err(DecodeError::Truncated { what: "c" }));
        assert_eq!(r.u8("d").unwrap(), 9);
        assert!(r.finish().is_ok());
    }
}
