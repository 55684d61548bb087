//! Persistent storage: the append-only block file, the node's key file and the data
//! directory's network file.
//!
//! The record format and the recovery rules are in `spec/storage.md`.

pub mod blockfile;
pub mod keyfile;
pub mod netfile;

pub use blockfile::{BlockFile, Recovery, BLOCK_FILE_NAME, RECORD_HEADER_LEN, RECORD_MAGIC};
pub use keyfile::{load_key, load_or_create_key, save_key, KEY_FILE_NAME};
pub use netfile::{check_or_record_network, NETWORK_FILE_NAME};

use crate::codec::DecodeError;
use std::fmt;
use std::path::PathBuf;

/// Why the block file or a key file could not be read or written.
#[derive(Debug)]
pub enum StoreError {
    /// An operating-system call failed.
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// What was being done, e.g. "open", "read", "sync".
        op: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A record does not start with the magic bytes.
    BadMagic {
        /// The block file.
        path: PathBuf,
        /// Byte offset of the record.
        offset: u64,
    },
    /// A record's payload does not match its checksum and more data follows it.
    BadChecksum {
        /// The block file.
        path: PathBuf,
        /// Byte offset of the record.
        offset: u64,
    },
    /// A record's payload would run past the end of the file, yet a complete record
    /// follows inside those bytes: the length field is damaged, it is not a torn tail.
    BadLength {
        /// The block file.
        path: PathBuf,
        /// Byte offset of the record with the damaged length.
        offset: u64,
        /// Byte offset of the complete record found after it.
        next: u64,
    },
    /// A record declares a payload longer than the largest block.
    TooLarge {
        /// The block file.
        path: PathBuf,
        /// Byte offset of the record.
        offset: u64,
        /// The declared (or attempted) payload length.
        len: u64,
    },
    /// A record's payload passed its checksum but is not a valid block encoding.
    Decode {
        /// The block file.
        path: PathBuf,
        /// Byte offset of the record.
        offset: u64,
        /// Why decoding failed.
        error: DecodeError,
    },
    /// A key file can be read by its group or by others.
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A key file's content is not 64 hex characters of a valid secret key.
    KeyMalformed {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// The data directory belongs to another network.
    NetworkMismatch {
        /// The network file.
        path: PathBuf,
        /// The network the directory belongs to.
        found: Box<netfile::DirNetwork>,
        /// The network the node runs.
        wanted: Box<netfile::DirNetwork>,
    },
    /// The network file is not one valid `NAME GENESIS` line.
    NetworkMalformed {
        /// The network file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { path, op, source } => {
                write!(f, "cannot {op} {}: {source}", path.display())
            }
            StoreError::BadMagic { path, offset } => write!(
                f,
                "{}: bad record magic at byte offset {offset}",
                path.display()
            ),
            StoreError::BadChecksum { path, offset } => write!(
                f,
                "{}: checksum mismatch in record at byte offset {offset} (not the last record)",
                path.display()
            ),
            StoreError::BadLength { path, offset, next } => write!(
                f,
                "{}: record at byte offset {offset} runs past the end of the file but a complete record follows at byte offset {next} (damaged length)",
                path.display()
            ),
            StoreError::TooLarge { path, offset, len } => write!(
                f,
                "{}: record at byte offset {offset} has payload length {len}, over the limit of {}",
                path.display(),
                crate::chain::block::MAX_BLOCK_BYTES
            ),
            StoreError::Decode {
                path,
                offset,
                error,
            } => write!(
                f,
                "{}: record at byte offset {offset} is not a valid block: {error}",
                path.display()
            ),
            StoreError::KeyPermissions { path, mode } => write!(
                f,
                "{}: key file is readable by group or others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            ),
            StoreError::KeyMalformed { path, reason } => {
                write!(f, "{}: malformed key file: {reason}", path.display())
            }
            StoreError::NetworkMismatch {
                path,
                found,
                wanted,
            } => write!(
                f,
                "data directory {} belongs to network {} (genesis {}), not {} (genesis {}); use another --data-dir or the matching --network/--block-time",
                path.parent().unwrap_or(path).display(),
                found.name,
                found.genesis.short(),
                wanted.name,
                wanted.genesis.short()
            ),
            StoreError::NetworkMalformed { path, reason } => {
                write!(f, "{}: malformed network file: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            StoreError::Decode { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Builds an [`StoreError::Io`] mapper for `path` and `op`.
pub(crate) fn io_err(
    path: &std::path::Path,
    op: &'static str,
) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io { path, op, source }
}
