//! The append-only block file `blocks.dat`: one checksummed record per block.
//!
//! Record: magic `CHZB` (4) | payload length u32 LE (4) | checksum (4, the first bytes of
//! SHA-256d of the payload) | payload (a [`Block`] encoding). Opening reads every record;
//! a torn last record (a crash during an append) is cut off, anything else that is wrong
//! is an error naming the file and the byte offset. See `spec/storage.md`.

use super::{io_err, StoreError};
use crate::chain::block::{Block, MAX_BLOCK_BYTES};
use crate::chain::hash::Hash256;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Name of the block file inside the data directory.
pub const BLOCK_FILE_NAME: &str = "blocks.dat";
/// The 4 bytes every record starts with.
pub const RECORD_MAGIC: [u8; 4] = *b"CHZB";
/// Length of a record header: magic, payload length, checksum.
pub const RECORD_HEADER_LEN: usize = 12;

/// What was cut off the end of the block file when it was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// Byte offset where the torn record started; the file now ends here.
    pub offset: u64,
    /// How many bytes were removed.
    pub bytes_dropped: u64,
}

/// The open block file, positioned for appending.
#[derive(Debug)]
pub struct BlockFile {
    path: PathBuf,
    file: File,
    /// Current length of the file: the end of the last complete record.
    len: u64,
    /// Number of records in the file.
    records: u64,
    /// Records were written since the last sync.
    unsynced: bool,
    /// `len` and `records` at the last sync (or open).
    synced_len: u64,
    synced_records: u64,
}

/// The 4-byte checksum of a payload.
fn checksum(payload: &[u8]) -> [u8; 4] {
    let h = Hash256::sha256d(payload);
    [h.0[0], h.0[1], h.0[2], h.0[3]]
}

/// Reads exactly `buf.len()` bytes or reports how many were available (end of file).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The position of the first complete, checksum-valid record inside `bytes`, if any.
fn find_complete_record(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len().saturating_sub(RECORD_HEADER_LEN - 1)).find(|&p| {
        let h = &bytes[p..p + RECORD_HEADER_LEN];
        if h[..4] != RECORD_MAGIC {
            return false;
        }
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let body = p + RECORD_HEADER_LEN;
        len <= bytes.len() - body && checksum(&bytes[body..body + len]) == h[8..12]
    })
}

impl BlockFile {
    /// Opens (creating if needed) `dir/blocks.dat` and reads every block in it, in order.
    ///
    /// A torn tail is truncated (with a warning in the log) and described by the
    /// returned [`Recovery`]: a last record whose header or payload runs past the end
    /// of the file, or whose checksum fails with nothing after it.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the directory or file cannot be used; for corruption that
    /// is not a torn tail, [`StoreError::BadMagic`], [`StoreError::BadChecksum`],
    /// [`StoreError::TooLarge`], [`StoreError::BadLength`] or [`StoreError::Decode`]
    /// with the record's offset.
    pub fn open(dir: &Path) -> Result<(BlockFile, Vec<Block>, Option<Recovery>), StoreError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir, "create directory"))?;
        let path = dir.join(BLOCK_FILE_NAME);
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_err(&path, "open"))?;
        if !existed {
            // Make the new directory entry durable too.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        let file_len = file.metadata().map_err(io_err(&path, "stat"))?.len();
        let mut reader = BufReader::with_capacity(1 << 16, &file);
        let mut blocks = Vec::new();
        let mut offset = 0u64;
        let mut recovery = None;
        while offset < file_len {
            let rest = file_len - offset;
            let torn = Recovery {
                offset,
                bytes_dropped: rest,
            };
            let mut head = [0u8; RECORD_HEADER_LEN];
            let got = read_full(&mut reader, &mut head).map_err(io_err(&path, "read"))?;
            if got < RECORD_HEADER_LEN {
                recovery = Some(torn);
                break;
            }
            if head[..4] != RECORD_MAGIC {
                return Err(StoreError::BadMagic { path, offset });
            }
            let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as u64;
            if len > MAX_BLOCK_BYTES as u64 {
                return Err(StoreError::TooLarge { path, offset, len });
            }
            let avail = rest - RECORD_HEADER_LEN as u64;
            if len > avail {
                // Here avail < len <= MAX_BLOCK_BYTES, so reading the rest is bounded.
                // A torn append is a prefix of one record: if a complete record is found
                // inside the rest, the length field is damaged instead.
                let mut tail = vec![0u8; avail as usize];
                let got = read_full(&mut reader, &mut tail).map_err(io_err(&path, "read"))?;
                if let Some(at) = find_complete_record(&tail[..got]) {
                    return Err(StoreError::BadLength {
                        path,
                        offset,
                        next: offset + RECORD_HEADER_LEN as u64 + at as u64,
                    });
                }
                recovery = Some(torn);
                break;
            }
            // len <= MAX_BLOCK_BYTES and <= the bytes really in the file.
            let mut payload = vec![0u8; len as usize];
            let got = read_full(&mut reader, &mut payload).map_err(io_err(&path, "read"))?;
            if got < payload.len() {
                // The file shrank while we read it: treat like a torn tail.
                recovery = Some(torn);
                break;
            }
            if checksum(&payload) != head[8..12] {
                if len == avail {
                    recovery = Some(torn);
                    break;
                }
                return Err(StoreError::BadChecksum { path, offset });
            }
            let block = Block::from_bytes(&payload).map_err(|error| StoreError::Decode {
                path: path.clone(),
                offset,
                error,
            })?;
            blocks.push(block);
            offset += RECORD_HEADER_LEN as u64 + len;
        }
        drop(reader);
        if let Some(r) = recovery {
            log::warn!(
                "{}: torn record at byte offset {}, dropping its {} bytes",
                path.display(),
                r.offset,
                r.bytes_dropped
            );
            file.set_len(r.offset).map_err(io_err(&path, "truncate"))?;
            file.sync_all().map_err(io_err(&path, "sync"))?;
        }
        let records = blocks.len() as u64;
        Ok((
            BlockFile {
                path,
                file,
                len: offset,
                records,
                unsynced: false,
                synced_len: offset,
                synced_records: records,
            },
            blocks,
            recovery,
        ))
    }

    /// Appends one block as a record and waits until it is on disk (`sync_data`).
    ///
    /// # Errors
    /// [`StoreError::TooLarge`] for a block over [`MAX_BLOCK_BYTES`];
    /// [`StoreError::Io`] if writing or syncing fails, in which case the file is cut back
    /// to its previous length when possible.
    pub fn append(&mut self, block: &Block) -> Result<(), StoreError> {
        self.write(block)?;
        self.sync()
    }

    /// Appends one block as a record without waiting for the disk: the record is
    /// durable only after the next [`BlockFile::sync`] (group commit: many writes, one
    /// sync). A crash before that loses it, and possibly the records written after it,
    /// never the ones synced before.
    ///
    /// # Errors
    /// [`StoreError::TooLarge`] for a block over [`MAX_BLOCK_BYTES`];
    /// [`StoreError::Io`] if writing fails, in which case the file is cut back to the end
    /// of the last complete record when possible.
    pub fn write(&mut self, block: &Block) -> Result<(), StoreError> {
        let payload_len = block.encoded_len();
        if payload_len > MAX_BLOCK_BYTES {
            return Err(StoreError::TooLarge {
                path: self.path.clone(),
                offset: self.len,
                len: payload_len as u64,
            });
        }
        let mut rec = Vec::with_capacity(RECORD_HEADER_LEN + payload_len);
        rec.extend_from_slice(&RECORD_MAGIC);
        rec.extend_from_slice(&(payload_len as u32).to_le_bytes());
        rec.extend_from_slice(&[0; 4]);
        block.encode(&mut rec);
        let sum = checksum(&rec[RECORD_HEADER_LEN..]);
        rec[8..12].copy_from_slice(&sum);
        if let Err(e) = self.file.write_all(&rec) {
            // Do not leave a partial record that a later append would bury mid-file.
            let _ = self.file.set_len(self.len);
            return Err(io_err(&self.path, "write")(e));
        }
        self.len += rec.len() as u64;
        self.records += 1;
        self.unsynced = true;
        Ok(())
    }

    /// Waits until every record written so far is on disk (`sync_data`); returns at
    /// once when nothing was written since the last sync.
    ///
    /// # Errors
    /// [`StoreError::Io`] if syncing fails. The records written since the last sync are
    /// then cut off when possible (their durability is unknown, and a node stops on
    /// this error), so the file ends at its last synced record.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        if !self.unsynced {
            return Ok(());
        }
        if let Err(e) = self.file.sync_data() {
            if self.file.set_len(self.synced_len).is_ok() {
                self.len = self.synced_len;
                self.records = self.synced_records;
            }
            return Err(io_err(&self.path, "sync")(e));
        }
        self.unsynced = false;
        self.synced_len = self.len;
        self.synced_records = self.records;
        Ok(())
    }

    /// True if records were written since the last [`BlockFile::sync`].
    pub fn has_unsynced(&self) -> bool {
        self.unsynced
    }

    /// Path of the block file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Length of the file in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.len
    }

    /// Number of blocks stored.
    pub fn records(&self) -> u64 {
        self.records
    }
}
